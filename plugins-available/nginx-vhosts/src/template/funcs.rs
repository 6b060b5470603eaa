//! The functions a template may call: Go template's own (`and or not eq ne lt le gt ge len index
//! slice print printf println`) and sigil's that need neither a shell, the network nor files
//! beyond a path test (`default var exists split join splitkv joinkv replace trim upper lower
//! capitalize substr indent match seq uniq drop append`).

use super::eval::Value;
use super::Context;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Every function name a template may use.
pub const NAMES: &[&str] = &[
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "default",
    "var",
    "exists",
    "split",
    "join",
    "splitkv",
    "joinkv",
    "replace",
    "trim",
    "upper",
    "lower",
    "capitalize",
    "substr",
    "indent",
    "match",
    "seq",
    "uniq",
    "drop",
    "append",
];

fn arity(name: &str, args: &[Value], n: usize) -> Result<()> {
    if args.len() != n {
        bail!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        );
    }
    Ok(())
}

/// A string argument (sigil's functions take strings; a number is refused as Go refuses it).
fn string(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        v => bail!("{name} must be given a string, got {}", v.kind()),
    }
}

fn list(name: &str, v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.clone()),
        Value::Nil | Value::Missing(_) => Ok(Vec::new()),
        v => bail!("{name} must be given a list, got {}", v.kind()),
    }
}

/// Calls function `name` with `args` (a piped value last).
pub fn call(name: &str, args: Vec<Value>, cx: &Context) -> Result<Value> {
    let a = &args;
    Ok(match name {
        "not" => {
            arity(name, a, 1)?;
            Value::Bool(!a[0].truth())
        }
        "eq" => {
            if a.len() < 2 {
                bail!("missing argument for comparison");
            }
            let mut any = false;
            for b in &a[1..] {
                any |= equal(&a[0], b)?;
            }
            Value::Bool(any)
        }
        "ne" => {
            arity(name, a, 2)?;
            Value::Bool(!equal(&a[0], &a[1])?)
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(name, a, 2)?;
            let ord = order(&a[0], &a[1])?;
            Value::Bool(match name {
                "lt" => ord.is_lt(),
                "le" => ord.is_le(),
                "gt" => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        "len" => {
            arity(name, a, 1)?;
            Value::Int(match &a[0] {
                Value::Str(s) => s.len(),
                Value::List(l) => l.len(),
                Value::Map(m) => m.len(),
                v => bail!("len of {}", v.kind()),
            } as i64)
        }
        "index" => index(a)?,
        "slice" => slice(a)?,
        "print" => Value::Str(sprint(a)),
        "println" => Value::Str(a.iter().map(Value::show).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => {
            let Some(f) = a.first() else {
                bail!("wrong number of args for printf: want at least 1 got 0");
            };
            Value::Str(printf(&string(name, f)?, &a[1..]))
        }
        "default" => {
            arity(name, a, 2)?;
            let zero = match &a[1] {
                Value::Missing(_) | Value::Nil | Value::Bool(false) => true,
                Value::Int(0) => true,
                Value::Float(f) => *f == 0.0,
                Value::Str(s) => s.is_empty(),
                _ => false,
            };
            if zero {
                a[0].clone()
            } else {
                a[1].clone()
            }
        }
        "var" => {
            arity(name, a, 1)?;
            let key = string(name, &a[0])?;
            Value::Str(cx.env.get(&key).cloned().unwrap_or_default())
        }
        "exists" => {
            arity(name, a, 1)?;
            let p = string(name, &a[0])?;
            let path = std::path::Path::new(&p);
            Value::Bool(path.is_absolute() && path.exists())
        }
        "split" => {
            arity(name, a, 2)?;
            let (delim, s) = (string(name, &a[0])?, string(name, &a[1])?);
            let parts: Vec<Value> = if delim.is_empty() {
                s.chars().map(|c| Value::Str(c.to_string())).collect()
            } else {
                s.split(delim.as_str())
                    .map(|p| Value::Str(p.to_string()))
                    .collect()
            };
            Value::List(parts)
        }
        "join" => {
            arity(name, a, 2)?;
            let delim = string(name, &a[0])?;
            let parts: Vec<String> = list(name, &a[1])?
                .into_iter()
                .filter_map(|v| match v {
                    Value::Str(s) => Some(s),
                    _ => None,
                })
                .collect();
            Value::Str(parts.join(&delim))
        }
        "splitkv" => {
            arity(name, a, 2)?;
            let sep = string(name, &a[0])?;
            let mut m = BTreeMap::new();
            for v in list(name, &a[1])? {
                let s = string(name, &v)?;
                match s.split_once(sep.as_str()) {
                    Some((k, v)) if !sep.is_empty() => {
                        m.insert(k.to_string(), Value::Str(v.to_string()))
                    }
                    _ => m.insert(s, Value::Bool(true)),
                };
            }
            Value::Map(Rc::new(m))
        }
        "joinkv" => {
            arity(name, a, 2)?;
            let sep = string(name, &a[0])?;
            let Value::Map(m) = &a[1] else {
                bail!("joinkv must be given a string map of strings");
            };
            let mut out = Vec::new();
            for (k, v) in m.iter() {
                out.push(Value::Str(format!("{k}{sep}{}", string(name, v)?)));
            }
            Value::List(out)
        }
        "replace" => {
            arity(name, a, 3)?;
            let (old, new, s) = (
                string(name, &a[0])?,
                string(name, &a[1])?,
                string(name, &a[2])?,
            );
            Value::Str(if old.is_empty() {
                s
            } else {
                s.replace(&old, &new)
            })
        }
        "trim" => {
            arity(name, a, 1)?;
            Value::Str(string(name, &a[0])?.trim_matches([' ', '\n']).to_string())
        }
        "upper" => {
            arity(name, a, 1)?;
            Value::Str(string(name, &a[0])?.to_uppercase())
        }
        "lower" => {
            arity(name, a, 1)?;
            Value::Str(string(name, &a[0])?.to_lowercase())
        }
        "capitalize" => {
            arity(name, a, 1)?;
            let mut out = String::new();
            let mut start = true;
            for c in string(name, &a[0])?.chars() {
                if start && c.is_alphanumeric() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !(c.is_alphanumeric() || c == '_' || c == '\'');
            }
            Value::Str(out)
        }
        "substr" => {
            arity(name, a, 2)?;
            let (spec, s) = (string(name, &a[0])?, string(name, &a[1])?);
            let (from, to) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
            let from: usize = from.trim().parse().unwrap_or(0);
            let Ok(to) = to.trim().parse::<usize>() else {
                bail!("substr needs slice expression as 'start:end'");
            };
            match s.get(from..to) {
                Some(sub) if from <= to => Value::Str(sub.to_string()),
                _ => bail!("substr: slice bounds out of range [{from}:{to}]"),
            }
        }
        "indent" => {
            arity(name, a, 2)?;
            let (prefix, s) = (string(name, &a[0])?, string(name, &a[1])?);
            let lines: Vec<String> = s
                .split('\n')
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 || l.is_empty() {
                        l.to_string()
                    } else {
                        format!("{prefix}{l}")
                    }
                })
                .collect();
            Value::Str(lines.join("\n"))
        }
        "match" => {
            arity(name, a, 2)?;
            let (pattern, s) = (string(name, &a[0])?, string(name, &a[1])?);
            Value::Bool(glob(pattern.as_bytes(), s.as_bytes()))
        }
        "seq" => {
            arity(name, a, 1)?;
            let n = match &a[0] {
                Value::Int(i) => *i,
                Value::Str(s) => s.trim().parse().map_err(|_| {
                    anyhow::anyhow!("seq must be given an integer or numeric string")
                })?,
                _ => bail!("seq must be given an integer or numeric string"),
            };
            Value::List((0..n.max(0)).map(|i| Value::Str(i.to_string())).collect())
        }
        "uniq" => {
            let mut out: Vec<Value> = Vec::new();
            for l in a {
                for v in list(name, l)? {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
            Value::List(out)
        }
        "drop" => {
            arity(name, a, 2)?;
            let items = list(name, &a[1])?;
            let kept = match &a[0] {
                Value::Str(p) => {
                    let mut kept = Vec::new();
                    for v in items {
                        let s = string(name, &v)?;
                        if !glob(p.as_bytes(), s.as_bytes()) {
                            kept.push(v);
                        }
                    }
                    kept
                }
                item => items.into_iter().filter(|v| v != item).collect(),
            };
            Value::List(kept)
        }
        "append" => {
            arity(name, a, 2)?;
            let mut items = list(name, &a[1])?;
            items.push(a[0].clone());
            Value::List(items)
        }
        _ => bail!("function {name:?} is not supported in nginx.conf.sigil"),
    })
}

/// Go's `eq` of two values: a nil against anything is unequal; different kinds are an error.
fn equal(a: &Value, b: &Value) -> Result<bool> {
    Ok(match (a, b) {
        (Value::Missing(_) | Value::Nil, Value::Missing(_) | Value::Nil) => true,
        (Value::Missing(_) | Value::Nil, _) | (_, Value::Missing(_) | Value::Nil) => false,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::List(_) | Value::Map(_), _) | (_, Value::List(_) | Value::Map(_)) => {
            bail!("non-comparable type {} for eq", a.kind())
        }
        (x, y) => bail!(
            "incompatible types for comparison: {} and {}",
            x.kind(),
            y.kind()
        ),
    })
}

fn order(a: &Value, b: &Value) -> Result<std::cmp::Ordering> {
    Ok(match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x
            .partial_cmp(y)
            .ok_or_else(|| anyhow::anyhow!("invalid type for comparison"))?,
        (x, y) if x.kind() == y.kind() => bail!("invalid type for comparison: {}", x.kind()),
        (x, y) => bail!(
            "incompatible types for comparison: {} and {}",
            x.kind(),
            y.kind()
        ),
    })
}

fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        v => bail!("cannot index with a {}", v.kind()),
    }
}

fn index(a: &[Value]) -> Result<Value> {
    let Some((first, keys)) = a.split_first() else {
        bail!("wrong number of args for index: want at least 1 got 0");
    };
    let mut v = first.clone();
    for k in keys {
        v = match &v {
            Value::List(l) => {
                let i = int_arg(k)?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| l.get(i))
                    .cloned()
                    .ok_or_else(|| {
                        anyhow::anyhow!("error calling index: index out of range: {i}")
                    })?
            }
            Value::Str(s) => {
                let i = int_arg(k)?;
                let b = usize::try_from(i)
                    .ok()
                    .and_then(|i| s.as_bytes().get(i))
                    .ok_or_else(|| {
                        anyhow::anyhow!("error calling index: index out of range: {i}")
                    })?;
                Value::Int(i64::from(*b))
            }
            Value::Map(m) => {
                let Value::Str(key) = k else {
                    bail!("error calling index: a map is indexed with a string");
                };
                m.get(key).cloned().unwrap_or(Value::Nil)
            }
            Value::Missing(_) | Value::Nil => bail!("error calling index: index of untyped nil"),
            other => bail!(
                "error calling index: can't index item of type {}",
                other.kind()
            ),
        };
    }
    Ok(v)
}

fn slice(a: &[Value]) -> Result<Value> {
    let Some((first, idx)) = a.split_first() else {
        bail!("wrong number of args for slice: want at least 1 got 0");
    };
    if idx.len() > 2 {
        bail!("error calling slice: too many slice indexes");
    }
    let len = match first {
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        v => bail!("error calling slice: can't slice item of type {}", v.kind()),
    };
    let from = idx.first().map(int_arg).transpose()?.unwrap_or(0);
    let to = idx.get(1).map(int_arg).transpose()?.unwrap_or(len as i64);
    if from < 0 || to < from || to as usize > len {
        bail!("error calling slice: index out of range: [{from}:{to}]");
    }
    let (from, to) = (from as usize, to as usize);
    Ok(match first {
        Value::Str(s) => Value::Str(
            s.get(from..to)
                .ok_or_else(|| anyhow::anyhow!("error calling slice: not at a character boundary"))?
                .to_string(),
        ),
        Value::List(l) => Value::List(l[from..to].to_vec()),
        _ => unreachable!("checked above"),
    })
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
fn sprint(a: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && !matches!(v, Value::Str(_)) && !matches!(a[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&v.show());
    }
    out
}

/// Go's `fmt.Sprintf` for the verbs a config needs: `%s %v %d %q %x %X %f %t %%`, with flags
/// `-`, `0`, `+`, width and precision.
fn printf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut left, mut zero, mut plus) = (false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut prec = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            prec = Some(p.parse::<usize>().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        let bad = || format!("%!{verb}({}={})", arg.kind(), arg.show());
        let mut s = match (verb, arg) {
            ('v', v) => v.show(),
            ('s', Value::Str(s)) => s.clone(),
            ('s', v @ (Value::List(_) | Value::Bool(_))) => v.show(),
            ('d', Value::Int(i)) => {
                if plus && *i >= 0 {
                    format!("+{i}")
                } else {
                    i.to_string()
                }
            }
            ('x', Value::Int(i)) => format!("{i:x}"),
            ('X', Value::Int(i)) => format!("{i:X}"),
            ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
            ('f' | 'F', Value::Float(f)) => format!("{f:.*}", prec.unwrap_or(6)),
            ('f' | 'F', Value::Int(_)) => bad(),
            ('q', Value::Str(s)) => format!("{s:?}"),
            ('t', Value::Bool(b)) => b.to_string(),
            _ => bad(),
        };
        if let (Some(p), 's' | 'v' | 'q') = (prec, verb) {
            s = s.chars().take(p).collect();
        }
        let width: usize = width.parse().unwrap_or(0);
        let len = s.chars().count();
        if len < width {
            let pad = width - len;
            if left {
                s.push_str(&" ".repeat(pad));
            } else if zero && matches!(verb, 'd' | 'x' | 'X' | 'f' | 'F') {
                let (sign, digits) = match s.strip_prefix(['-', '+']) {
                    Some(d) => (&s[..1], d.to_string()),
                    None => ("", s.clone()),
                };
                s = format!("{sign}{}{digits}", "0".repeat(pad));
            } else {
                s = format!("{}{s}", " ".repeat(pad));
            }
        }
        out.push_str(&s);
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        out.push_str(
            &args[next..]
                .iter()
                .map(|a| format!("{}={}", a.kind(), a.show()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push(')');
    }
    out
}

/// Shell-style pattern matching (`*`, `?`, `[…]`, `\` escapes), as Go's `path.Match` (`*` does
/// not cross `/`).
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len())
            .take_while(|i| *i == 0 || s[i - 1] != b'/')
            .any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => s
            .split_first()
            .is_some_and(|(c, tail)| *c != b'/' && glob(rest, tail)),
        Some((b'[', rest)) => {
            let Some(close) = rest.iter().skip(1).position(|b| *b == b']').map(|i| i + 1) else {
                return false;
            };
            let (class, after) = (&rest[..close], &rest[close + 1..]);
            let (neg, class) = match class.split_first() {
                Some((b'^', c)) => (true, c),
                _ => (false, class),
            };
            let Some((c, tail)) = s.split_first() else {
                return false;
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= *c && *c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != neg && glob(after, tail)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && glob(&rest[1..], &s[1..])
        }
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}
