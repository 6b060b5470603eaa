//! Runs a parsed template: values, variables and their scopes, `.` (the template's data, or the
//! element inside `range`/`with`), pipelines (`a | f x` calls `f x a`), and the control nodes.

use super::funcs;
use super::lex::Token;
use super::parse::{Arg, Node, Pipe};
use super::Context;
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use std::rc::Rc;

/// A value of the template language.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A field of the data that does not exist (named).
    Missing(String),
    /// `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (every template variable is one).
    Str(String),
    /// A list (`split`'s result).
    List(Vec<Value>),
    /// A map (the template's data, `splitkv`'s result).
    Map(Rc<BTreeMap<String, Value>>),
}

impl Value {
    /// Go's truth: false, 0, nil and empty values are false.
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing(_) | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The name of the value's type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Missing(_) | Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// The value as printed (`{{ x }}`), Go's `%v`.
    pub fn show(&self) -> String {
        match self {
            Value::Missing(_) => "<no value>".into(),
            Value::Nil => "<nil>".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.clone(),
            Value::List(l) => format!(
                "[{}]",
                l.iter().map(Value::show).collect::<Vec<_>>().join(" ")
            ),
            Value::Map(m) => format!(
                "map[{}]",
                m.iter()
                    .map(|(k, v)| format!("{k}:{}", v.show()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// Runs `nodes` with `cx`, returning the output.
pub fn run(nodes: &[Node], cx: &Context) -> Result<String> {
    let root = Value::Map(Rc::new(
        cx.vars
            .iter()
            .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
            .collect(),
    ));
    let mut st = State {
        vars: vec![("$".to_string(), root.clone())],
        cx,
        out: String::new(),
    };
    match st.walk(nodes, &root)? {
        Flow::Normal => Ok(st.out),
        _ => bail!("{{{{ break }}}} or {{{{ continue }}}} outside {{{{ range }}}}"),
    }
}

struct State<'a> {
    vars: Vec<(String, Value)>,
    cx: &'a Context,
    out: String,
}

fn at(line: usize, e: anyhow::Error) -> anyhow::Error {
    anyhow!("line {line}: {e:#}")
}

impl State<'_> {
    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow> {
        let mark = self.vars.len();
        let flow = self.walk_scoped(nodes, dot);
        self.vars.truncate(mark);
        flow
    }

    fn walk_scoped(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow> {
        for node in nodes {
            let flow = match node {
                Node::Text(t) => {
                    self.out.push_str(t);
                    Flow::Normal
                }
                Node::Action(p, line) => {
                    let v = self.pipe(p, dot).map_err(|e| at(*line, e))?;
                    if p.vars.is_empty() {
                        match v {
                            Value::Missing(name) => {
                                bail!("line {line}: {name} is not a variable of nginx.conf.sigil")
                            }
                            v => self.out.push_str(&v.show()),
                        }
                    }
                    Flow::Normal
                }
                Node::If(branches, other, line) => {
                    let mark = self.vars.len();
                    let mut taken = None;
                    for (cond, body) in branches {
                        if self.pipe(cond, dot).map_err(|e| at(*line, e))?.truth() {
                            taken = Some(body);
                            break;
                        }
                    }
                    let flow = self.walk(taken.unwrap_or(other), dot);
                    self.vars.truncate(mark);
                    flow?
                }
                Node::With(p, body, other, line) => {
                    let mark = self.vars.len();
                    let v = self.pipe(p, dot).map_err(|e| at(*line, e))?;
                    let flow = if v.truth() {
                        self.walk(body, &v)
                    } else {
                        self.walk(other, dot)
                    };
                    self.vars.truncate(mark);
                    flow?
                }
                Node::Range(p, body, other, line) => self.range(p, body, other, *line, dot)?,
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            };
            match flow {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        p: &Pipe,
        body: &[Node],
        other: &[Node],
        line: usize,
        dot: &Value,
    ) -> Result<Flow> {
        let v = self.cmds(p, dot).map_err(|e| at(line, e))?;
        let items: Vec<(Value, Value)> = match v {
            Value::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v))
                .collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| (Value::Str(k.clone()), v.clone()))
                .collect(),
            Value::Int(n) => (0..n.max(0))
                .map(|i| (Value::Int(i), Value::Int(i)))
                .collect(),
            Value::Nil | Value::Missing(_) => Vec::new(),
            v => bail!("line {line}: range can't iterate over {}", v.show()),
        };
        if items.is_empty() {
            return self.walk(other, dot);
        }
        let mark = self.vars.len();
        for (key, item) in items {
            self.vars.truncate(mark);
            let bound: Vec<Value> = match p.vars.len() {
                0 => Vec::new(),
                1 => vec![item.clone()],
                _ => vec![key, item.clone()],
            };
            for (name, v) in p.vars.iter().zip(bound) {
                self.bind(name, v, p.declare).map_err(|e| at(line, e))?;
            }
            match self.walk(body, &item)? {
                Flow::Break => break,
                Flow::Normal | Flow::Continue => {}
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn bind(&mut self, name: &str, v: Value, declare: bool) -> Result<()> {
        if declare {
            self.vars.push((name.to_string(), v));
            return Ok(());
        }
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => bail!("undefined variable: {name}"),
        }
    }

    /// A pipeline with its declaration or assignment done.
    fn pipe(&mut self, p: &Pipe, dot: &Value) -> Result<Value> {
        let v = self.cmds(p, dot)?;
        if let Some(name) = p.vars.first() {
            self.bind(name, v.clone(), p.declare)?;
        }
        Ok(v)
    }

    /// A pipeline's value.
    fn cmds(&mut self, p: &Pipe, dot: &Value) -> Result<Value> {
        let mut piped = None;
        for cmd in &p.cmds {
            piped = Some(self.command(cmd, dot, piped)?);
        }
        Ok(piped.unwrap_or(Value::Nil))
    }

    fn command(&mut self, cmd: &[Arg], dot: &Value, piped: Option<Value>) -> Result<Value> {
        let Arg::Func(name) = &cmd[0] else {
            if cmd.len() > 1 || piped.is_some() {
                bail!("can't give an argument to a non-function");
            }
            return self.arg(&cmd[0], dot);
        };
        let rest = &cmd[1..];
        if name == "and" || name == "or" {
            let n = rest.len() + usize::from(piped.is_some());
            if n == 0 {
                bail!("{name}: wrong number of args: want at least 1 got 0");
            }
            let mut last = Value::Nil;
            for a in rest {
                last = self.arg(a, dot)?;
                if last.truth() == (name == "or") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let mut args = Vec::with_capacity(rest.len() + 1);
        for a in rest {
            args.push(self.arg(a, dot)?);
        }
        args.extend(piped);
        funcs::call(name, args, self.cx)
    }

    fn arg(&mut self, a: &Arg, dot: &Value) -> Result<Value> {
        match a {
            Arg::Func(name) => self
                .command(std::slice::from_ref(a), dot, None)
                .map_err(|e| anyhow!("{name}: {e:#}")),
            Arg::Dot => Ok(dot.clone()),
            Arg::Field(fields) => fields_of(dot.clone(), fields),
            Arg::Var(name, fields) => {
                let Some((_, v)) = self.vars.iter().rev().find(|(n, _)| n == name) else {
                    bail!("undefined variable: {name}");
                };
                fields_of(v.clone(), fields)
            }
            Arg::Const(t) => Ok(match t {
                Token::Str(s) => Value::Str(s.clone()),
                Token::Int(i) => Value::Int(*i),
                Token::Float(f) => Value::Float(*f),
                Token::Bool(b) => Value::Bool(*b),
                _ => Value::Nil,
            }),
            Arg::Sub(p) => self.cmds(p, dot),
        }
    }
}

fn fields_of(mut v: Value, fields: &[String]) -> Result<Value> {
    for f in fields {
        v = match v {
            Value::Map(m) => m
                .get(f)
                .cloned()
                .unwrap_or_else(|| Value::Missing(f.clone())),
            Value::Missing(name) => bail!("{name} is not a variable of nginx.conf.sigil"),
            other => bail!("can't evaluate field {f} in type {}", other.kind()),
        };
    }
    Ok(v)
}
