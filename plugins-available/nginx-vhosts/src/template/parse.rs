//! The segments of a template parsed into a tree: text, printed pipelines, `if`/`else if`/`else`,
//! `range` (with `else`), `with`, `break`, `continue`, variable declarations and assignments.

use super::lex::{Segment, Token};
use anyhow::{bail, Result};

/// A node of the tree.
#[derive(Debug, Clone)]
pub enum Node {
    /// Text copied as is.
    Text(String),
    /// A pipeline: printed, unless it declares or assigns a variable.
    Action(Pipe, usize),
    /// `if` branches (condition, body) and the `else` body.
    If(Vec<(Pipe, Vec<Node>)>, Vec<Node>, usize),
    /// `range`: the pipeline, the body and the `else` body (run when there is nothing).
    Range(Pipe, Vec<Node>, Vec<Node>, usize),
    /// `with`: the pipeline, the body (with `.` set to its value) and the `else` body.
    With(Pipe, Vec<Node>, Vec<Node>, usize),
    /// `break` (in a `range`).
    Break(usize),
    /// `continue` (in a `range`).
    Continue(usize),
}

/// A pipeline: commands joined by `|`, optionally declaring (`:=`) or assigning (`=`) variables.
#[derive(Debug, Clone)]
pub struct Pipe {
    /// The variables on the left and whether they are declared (`:=`) rather than assigned.
    pub vars: Vec<String>,
    /// Whether `vars` are declared.
    pub declare: bool,
    /// The commands.
    pub cmds: Vec<Vec<Arg>>,
    /// The pipeline as written, for messages.
    pub line: usize,
}

/// An operand of a command.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A function name.
    Func(String),
    /// `.`.
    Dot,
    /// `.A.B`.
    Field(Vec<String>),
    /// `$x.A.B`.
    Var(String, Vec<String>),
    /// A constant.
    Const(Token),
    /// `( pipeline )`.
    Sub(Box<Pipe>),
}

/// How a list of nodes ended.
enum Stop {
    Eof,
    End(usize),
    Else(Option<(String, Pipe)>, usize),
}

/// Parses segments into the template's nodes.
pub fn parse(segments: Vec<Segment>) -> Result<Vec<Node>> {
    let mut it = segments.into_iter();
    let (nodes, end) = list(&mut it)?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End(line) => bail!("line {line}: unexpected {{{{ end }}}}"),
        Stop::Else(_, line) => bail!("line {line}: unexpected {{{{ else }}}}"),
    }
}

fn list(it: &mut impl Iterator<Item = Segment>) -> Result<(Vec<Node>, Stop)> {
    let mut nodes = Vec::new();
    while let Some(seg) = it.next() {
        let (tokens, line) = match seg {
            Segment::Text(t) => {
                nodes.push(Node::Text(t));
                continue;
            }
            Segment::Action(t, l) => (t, l),
        };
        let keyword = match tokens.first() {
            Some(Token::Ident(k)) => k.as_str(),
            None => bail!("line {line}: missing value for command"),
            _ => "",
        };
        let rest = || tokens[1..].to_vec();
        match keyword {
            "end" => {
                no_args(&tokens, line, "end")?;
                return Ok((nodes, Stop::End(line)));
            }
            "else" => {
                let chained = match tokens.get(1) {
                    None => None,
                    Some(Token::Ident(k)) if k == "if" || k == "with" => {
                        Some((k.clone(), pipe(tokens[2..].to_vec(), line, true)?))
                    }
                    _ => bail!("line {line}: unexpected tokens after {{{{ else }}}}"),
                };
                return Ok((nodes, Stop::Else(chained, line)));
            }
            "if" => nodes.push(if_node(it, pipe(rest(), line, true)?, line)?),
            "with" => {
                let p = pipe(rest(), line, true)?;
                let (body, other) = body_else(it, line, "with")?;
                nodes.push(Node::With(p, body, other, line));
            }
            "range" => {
                let p = pipe(rest(), line, true)?;
                if p.vars.len() > 2 {
                    bail!("line {line}: range can declare at most two variables");
                }
                let (body, other) = body_else(it, line, "range")?;
                nodes.push(Node::Range(p, body, other, line));
            }
            "break" => {
                no_args(&tokens, line, "break")?;
                nodes.push(Node::Break(line));
            }
            "continue" => {
                no_args(&tokens, line, "continue")?;
                nodes.push(Node::Continue(line));
            }
            "define" | "template" | "block" => {
                bail!("line {line}: {{{{ {keyword} }}}} is not supported in nginx.conf.sigil")
            }
            _ => nodes.push(Node::Action(pipe(tokens, line, true)?, line)),
        }
    }
    Ok((nodes, Stop::Eof))
}

fn no_args(tokens: &[Token], line: usize, what: &str) -> Result<()> {
    if tokens.len() > 1 {
        bail!("line {line}: unexpected tokens after {{{{ {what} }}}}");
    }
    Ok(())
}

fn if_node(it: &mut impl Iterator<Item = Segment>, first: Pipe, line: usize) -> Result<Node> {
    let mut branches = Vec::new();
    let mut cond = first;
    loop {
        let (body, end) = list(it)?;
        branches.push((cond, body));
        match end {
            Stop::End(_) => return Ok(Node::If(branches, Vec::new(), line)),
            Stop::Else(None, _) => {
                let (other, end) = list(it)?;
                return match end {
                    Stop::End(_) => Ok(Node::If(branches, other, line)),
                    Stop::Else(_, l) => {
                        bail!("line {l}: {{{{ else }}}} after the final {{{{ else }}}}")
                    }
                    Stop::Eof => bail!("line {line}: {{{{ if }}}} without {{{{ end }}}}"),
                };
            }
            Stop::Else(Some((k, p)), _) if k == "if" => cond = p,
            Stop::Else(Some(_), l) => bail!("line {l}: {{{{ else with }}}} inside an {{{{ if }}}}"),
            Stop::Eof => bail!("line {line}: {{{{ if }}}} without {{{{ end }}}}"),
        }
    }
}

fn body_else(
    it: &mut impl Iterator<Item = Segment>,
    line: usize,
    what: &str,
) -> Result<(Vec<Node>, Vec<Node>)> {
    let (body, end) = list(it)?;
    match end {
        Stop::End(_) => Ok((body, Vec::new())),
        Stop::Else(None, _) => {
            let (other, end) = list(it)?;
            match end {
                Stop::End(_) => Ok((body, other)),
                Stop::Else(_, l) => {
                    bail!("line {l}: {{{{ else }}}} after the final {{{{ else }}}}")
                }
                Stop::Eof => bail!("line {line}: {{{{ {what} }}}} without {{{{ end }}}}"),
            }
        }
        Stop::Else(Some(_), l) => bail!("line {l}: {{{{ else if }}}} inside a {{{{ {what} }}}}"),
        Stop::Eof => bail!("line {line}: {{{{ {what} }}}} without {{{{ end }}}}"),
    }
}

/// Parses a pipeline; `decl` allows a leading `$x :=`, `$x =` or `$i, $x :=`.
fn pipe(tokens: Vec<Token>, line: usize, decl: bool) -> Result<Pipe> {
    let mut vars = Vec::new();
    let mut declare = false;
    let mut start = 0;
    if decl {
        let mut i = 0;
        let mut names = Vec::new();
        while let Some(Token::Var(name, fields)) = tokens.get(i) {
            if !fields.is_empty() || name == "$" {
                break;
            }
            names.push(name.clone());
            match tokens.get(i + 1) {
                Some(Token::Comma) if names.len() == 1 => i += 2,
                Some(Token::Declare) => {
                    declare = true;
                    start = i + 2;
                    vars = names;
                    break;
                }
                Some(Token::Assign) => {
                    start = i + 2;
                    vars = names;
                    break;
                }
                _ => break,
            }
        }
    }
    let mut it = tokens[start..].iter().cloned().peekable();
    let p = pipeline(&mut it, line, vars, declare)?;
    if let Some(t) = it.next() {
        bail!("line {line}: unexpected {t:?} in pipeline");
    }
    Ok(p)
}

fn pipeline(
    it: &mut std::iter::Peekable<impl Iterator<Item = Token>>,
    line: usize,
    vars: Vec<String>,
    declare: bool,
) -> Result<Pipe> {
    let mut cmds = Vec::new();
    let mut cmd = Vec::new();
    loop {
        match it.peek() {
            None | Some(Token::Close) => break,
            Some(Token::Pipe) => {
                it.next();
                if cmd.is_empty() {
                    bail!("line {line}: missing command before `|`");
                }
                cmds.push(std::mem::take(&mut cmd));
                continue;
            }
            _ => {}
        }
        let tok = it.next().expect("peeked");
        cmd.push(match tok {
            Token::Ident(name) => Arg::Func(name),
            Token::Dot => Arg::Dot,
            Token::Field(f) => Arg::Field(f),
            Token::Var(n, f) => Arg::Var(n, f),
            Token::Open => {
                let sub = pipeline(it, line, Vec::new(), false)?;
                if it.next() != Some(Token::Close) {
                    bail!("line {line}: unclosed left paren");
                }
                if sub.cmds.is_empty() {
                    bail!("line {line}: missing value in parentheses");
                }
                Arg::Sub(Box::new(sub))
            }
            t @ (Token::Str(_) | Token::Int(_) | Token::Float(_) | Token::Bool(_) | Token::Nil) => {
                Arg::Const(t)
            }
            t => bail!("line {line}: unexpected {} in command", describe(&t)),
        });
    }
    if cmd.is_empty() {
        if cmds.is_empty() {
            bail!("line {line}: missing value for command");
        }
        bail!("line {line}: missing command after `|`");
    }
    cmds.push(cmd);
    Ok(Pipe {
        vars,
        declare,
        cmds,
        line,
    })
}

fn describe(t: &Token) -> &'static str {
    match t {
        Token::Declare => "`:=`",
        Token::Assign => "`=`",
        Token::Comma => "`,`",
        Token::Close => "`)`",
        _ => "token",
    }
}
