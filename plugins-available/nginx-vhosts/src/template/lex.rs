//! The template text cut into literal text and actions (`{{ … }}`, with `{{-`/`-}}` trimming the
//! whitespace beside them and `{{/* … */}}` comments dropped), and an action cut into tokens.

use anyhow::{bail, Result};

/// A piece of the template: literal text, or the tokens of one action and its line.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Text copied as is.
    Text(String),
    /// The tokens between `{{` and `}}`, and the line the action starts on.
    Action(Vec<Token>, usize),
}

/// A token of an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A keyword or function name.
    Ident(String),
    /// `.` alone: the current value.
    Dot,
    /// `.A.B`: fields of the current value.
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone: the template's data).
    Var(String, Vec<String>),
    /// A quoted or raw string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn line_at(text: &str, pos: usize) -> usize {
    text[..pos].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Cuts `text` into segments.
pub fn segments(text: &str) -> Result<Vec<Segment>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    while pos <= text.len() {
        let start = text[pos..].find("{{").map(|i| pos + i);
        let mut literal = &text[pos..start.unwrap_or(text.len())];
        if trim_next {
            literal = literal.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let Some(start) = start else {
            push_text(&mut out, literal);
            break;
        };
        let line = line_at(text, start);
        let mut p = start + 2;
        if bytes.get(p) == Some(&b'-') && bytes.get(p + 1).is_some_and(|b| is_space(*b)) {
            literal = literal.trim_end_matches([' ', '\t', '\r', '\n']);
            p += 2;
        }
        push_text(&mut out, literal);
        while bytes.get(p).is_some_and(|b| is_space(*b)) {
            p += 1;
        }
        if text[p..].starts_with("/*") {
            let Some(close) = text[p + 2..].find("*/") else {
                bail!("line {line}: unclosed comment");
            };
            p += 2 + close + 2;
            let (end, trim) = action_end(text, p).ok_or_else(|| {
                anyhow::anyhow!("line {line}: comment ends without closing delimiter")
            })?;
            trim_next = trim;
            pos = end;
            continue;
        }
        let (tokens, end, trim) = tokens(text, p, line)?;
        out.push(Segment::Action(tokens, line));
        trim_next = trim;
        pos = end;
    }
    Ok(out)
}

fn push_text(out: &mut Vec<Segment>, s: &str) {
    if !s.is_empty() {
        out.push(Segment::Text(s.to_string()));
    }
}

/// At `p` (after optional spaces), `}}` or `-}}` preceded by a space: the position after it
/// and whether it trims.
fn action_end(text: &str, p: usize) -> Option<(usize, bool)> {
    let rest = &text[p..];
    let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
    let skipped = rest.len() - trimmed.len();
    if skipped > 0 && trimmed.starts_with("-}}") {
        return Some((p + skipped + 3, true));
    }
    if trimmed.starts_with("}}") {
        return Some((p + skipped + 2, false));
    }
    None
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn take_name(text: &str, p: usize) -> (String, usize) {
    let name: String = text[p..].chars().take_while(|c| ident_char(*c)).collect();
    let end = p + name.len();
    (name, end)
}

/// `.A.B…` right after a value: the field names and the position after them.
fn take_fields(text: &str, mut p: usize, line: usize) -> Result<(Vec<String>, usize)> {
    let mut fields = Vec::new();
    while text[p..].starts_with('.') {
        let (name, end) = take_name(text, p + 1);
        if name.is_empty() {
            bail!("line {line}: a field name is missing after `.`");
        }
        fields.push(name);
        p = end;
    }
    Ok((fields, p))
}

/// The tokens of the action starting at `p`, the position after its `}}`, and whether it
/// trims the whitespace after it.
fn tokens(text: &str, mut p: usize, line: usize) -> Result<(Vec<Token>, usize, bool)> {
    let mut out = Vec::new();
    loop {
        if let Some((end, trim)) = action_end(text, p) {
            return Ok((out, end, trim));
        }
        let Some(c) = text[p..].chars().next() else {
            bail!("line {line}: unclosed action (`{{{{` without `}}}}`)");
        };
        match c {
            ' ' | '\t' | '\r' | '\n' => p += 1,
            '(' => {
                out.push(Token::Open);
                p += 1
            }
            ')' => {
                out.push(Token::Close);
                p += 1
            }
            '|' => {
                out.push(Token::Pipe);
                p += 1
            }
            ',' => {
                out.push(Token::Comma);
                p += 1
            }
            ':' if text[p..].starts_with(":=") => {
                out.push(Token::Declare);
                p += 2
            }
            '=' => {
                out.push(Token::Assign);
                p += 1
            }
            '"' => {
                let (s, end) = quoted(text, p, line)?;
                out.push(Token::Str(s));
                p = end
            }
            '`' => {
                let Some(close) = text[p + 1..].find('`') else {
                    bail!("line {line}: unterminated raw string");
                };
                out.push(Token::Str(text[p + 1..p + 1 + close].to_string()));
                p += close + 2
            }
            '\'' => {
                let rest = &text[p + 1..];
                let mut it = rest.char_indices();
                let ch = match it.next() {
                    Some((_, '\\')) => match it.next() {
                        Some((_, 'n')) => '\n',
                        Some((_, 't')) => '\t',
                        Some((_, c)) => c,
                        None => bail!("line {line}: unterminated character constant"),
                    },
                    Some((_, c)) => c,
                    None => bail!("line {line}: unterminated character constant"),
                };
                let Some((i, '\'')) = it.next() else {
                    bail!("line {line}: unterminated character constant");
                };
                out.push(Token::Int(ch as i64));
                p += 1 + i + 1
            }
            '$' => {
                let (name, end) = take_name(text, p + 1);
                let (fields, end) = take_fields(text, end, line)?;
                out.push(Token::Var(format!("${name}"), fields));
                p = end
            }
            '.' if !text[p + 1..].starts_with(|c: char| c.is_ascii_digit()) => {
                if text[p + 1..].starts_with(ident_char) {
                    let (fields, end) = take_fields(text, p, line)?;
                    out.push(Token::Field(fields));
                    p = end
                } else {
                    out.push(Token::Dot);
                    p += 1
                }
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let len = text[p..]
                    .char_indices()
                    .skip(1)
                    .find(|(_, c)| {
                        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
                    })
                    .map(|(i, _)| i)
                    .unwrap_or(text.len() - p);
                let word = &text[p..p + len];
                out.push(
                    number(word).ok_or_else(|| {
                        anyhow::anyhow!("line {line}: bad number syntax: {word:?}")
                    })?,
                );
                p += len
            }
            c if ident_char(c) => {
                let (name, end) = take_name(text, p);
                out.push(match name.as_str() {
                    "true" => Token::Bool(true),
                    "false" => Token::Bool(false),
                    "nil" => Token::Nil,
                    _ => Token::Ident(name),
                });
                p = end
            }
            c => bail!("line {line}: unexpected {c:?} in action"),
        }
    }
}

fn number(word: &str) -> Option<Token> {
    let clean = word.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let lower = digits.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(i) = int {
        return Some(Token::Int(if neg { -i } else { i }));
    }
    let f: f64 = lower.parse().ok()?;
    f.is_finite()
        .then_some(Token::Float(if neg { -f } else { f }))
}

fn quoted(text: &str, p: usize, line: usize) -> Result<(String, usize)> {
    let mut s = String::new();
    let mut it = text[p + 1..].char_indices();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => return Ok((s, p + 1 + i + 1)),
            '\n' => break,
            '\\' => match it.next() {
                Some((_, 'n')) => s.push('\n'),
                Some((_, 't')) => s.push('\t'),
                Some((_, 'r')) => s.push('\r'),
                Some((_, '\\')) => s.push('\\'),
                Some((_, '"')) => s.push('"'),
                Some((_, '\'')) => s.push('\''),
                Some((_, c)) => bail!("line {line}: unknown escape sequence \\{c}"),
                None => break,
            },
            c => s.push(c),
        }
    }
    bail!("line {line}: unterminated quoted string")
}
