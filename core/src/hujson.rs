//! HuJSON (JSON with `//` and `/* */` comments and trailing commas, as Dokku reads `app.json`)
//! turned into standard JSON: comments become whitespace, a comma before `]` or `}` goes.
//! Strings are copied untouched (a `//` in a URL stays). The result is checked to be JSON.

use anyhow::{bail, Context, Result};

/// The standard JSON of a HuJSON text; fails (with the line) on an unterminated comment or
/// string, and when the result is not JSON.
pub fn standardize(text: &str) -> Result<String> {
    let plain = strip_commas(&strip_comments(text)?);
    serde_json::from_str::<serde::de::IgnoredAny>(&plain).context("not JSON")?;
    Ok(plain)
}

/// Parses a HuJSON text into a JSON value.
pub fn parse(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(&standardize(text)?).context("not JSON")
}

/// The line (from 1) of byte `at` in `text`, for messages.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Replaces each comment outside strings by spaces (newlines kept, so lines still count).
fn strip_comments(text: &str) -> Result<String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(b, i)
                    .with_context(|| format!("unterminated string on line {}", line_of(text, i)))?;
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                out.extend_from_slice(b"  ");
                i += 2;
                loop {
                    if i >= b.len() {
                        bail!("unterminated /* comment on line {}", line_of(text, start));
                    }
                    if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        out.extend_from_slice(b"  ");
                        i += 2;
                        break;
                    }
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were replaced, by ASCII bytes: still UTF-8.
    String::from_utf8(out).context("HuJSON: not UTF-8 after removing comments")
}

/// Removes each comma (outside strings) that follows a value and whose next non-blank character
/// closes an object or list.
fn strip_commas(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // strip_comments has checked that every string ends.
                let end = string_end(b, i).unwrap_or(b.len());
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            b',' => {
                let next = b[i + 1..]
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .copied();
                // Only a comma after a value may trail (`{,}` and `[1,,]` stay broken).
                let prev = out.iter().rev().find(|c| !c.is_ascii_whitespace()).copied();
                let after_value = !matches!(prev, None | Some(b'{' | b'[' | b','));
                if !(after_value && matches!(next, Some(b']' | b'}'))) {
                    out.push(b',');
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The index just past the string that opens at `start` (a `"`), `None` when it never closes.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_trailing_commas_go_strings_stay() {
        let text = "{\n  // the formation\n  \"formation\": {\"web\": {\"quantity\": 1,},},\n  /* a\n block */ \"url\": \"http://x//y /* no */\", \"q\": \"a\\\",]\",\n  \"l\": [1, 2, ],\n}\n";
        let v = parse(text).unwrap();
        assert_eq!(v["url"], "http://x//y /* no */");
        assert_eq!(v["q"], "a\",]");
        assert_eq!(v["formation"]["web"]["quantity"], 1);
        assert_eq!(v["l"], serde_json::json!([1, 2]));
        // Plain JSON is unchanged.
        let plain = r#"{"a": [1, 2], "b": "c"}"#;
        assert_eq!(standardize(plain).unwrap(), plain);
    }

    #[test]
    fn broken_texts_are_refused() {
        for bad in [
            "{ /* open",
            "{\"a\": \"open}",
            "{,}",
            "[1,,]",
            "{\"a\": 1} trailing",
            "",
            "{'a': 1}",
        ] {
            assert!(standardize(bad).is_err(), "{bad:?}");
        }
    }
}
