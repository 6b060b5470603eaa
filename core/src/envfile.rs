//! Dokku's `ENV` file format: `export KEY='value'` lines, single quotes escaped as `'\''`, so
//! that the file can be sourced by a shell and every byte of a value comes back. Older
//! double-quoted and bare forms are read too.

use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// Checks a config key: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn validate_key(key: &str) -> Result<()> {
    let b = key.as_bytes();
    let ok = !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    if !ok {
        bail!("Invalid key name: {key:?}; keys must match [A-Za-z_][A-Za-z0-9_]*");
    }
    Ok(())
}

/// Quotes a value for a POSIX shell: `'…'` with `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// The text of an ENV file holding `vars` (sorted by key).
pub fn serialize(vars: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    for (k, v) in vars {
        s.push_str("export ");
        s.push_str(k);
        s.push('=');
        s.push_str(&shell_quote(v));
        s.push('\n');
    }
    s
}

/// Moves `i` past blank space, empty lines and `#` comments to the start of the next entry
/// (counting lines in `line`); false at the end of the text.
pub fn next_entry(b: &[char], i: &mut usize, line: &mut usize) -> bool {
    while *i < b.len() {
        match b[*i] {
            '\n' => *line += 1,
            ' ' | '\t' | '\r' => {}
            '#' => {
                while *i < b.len() && b[*i] != '\n' {
                    *i += 1;
                }
                continue;
            }
            _ => return true,
        }
        *i += 1;
    }
    false
}

/// Moves `i` past an `export ` prefix (and the blanks after it), if the entry has one.
pub fn skip_export(b: &[char], i: &mut usize) {
    if b[*i..].starts_with(&['e', 'x', 'p', 'o', 'r', 't', ' ']) {
        *i += 7;
        while *i < b.len() && matches!(b[*i], ' ' | '\t') {
            *i += 1;
        }
    }
}

/// Parses an ENV file. Malformed lines are named with their line number.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut line = 1;
    let n = b.len();
    while next_entry(&b, &mut i, &mut line) {
        let start_line = line;
        skip_export(&b, &mut i);
        let ks = i;
        while i < n && (b[i].is_ascii_alphanumeric() || b[i] == '_') {
            i += 1;
        }
        let key: String = b[ks..i].iter().collect();
        if key.is_empty() || i >= n || b[i] != '=' || validate_key(&key).is_err() {
            bail!("ENV line {start_line}: expected KEY=VALUE");
        }
        i += 1;
        let mut value = String::new();
        // A value is a run of quoted and bare pieces, as a shell word.
        while i < n && !matches!(b[i], '\n' | ' ' | '\t' | '\r') {
            match b[i] {
                '\'' => {
                    i += 1;
                    while i < n && b[i] != '\'' {
                        if b[i] == '\n' {
                            line += 1;
                        }
                        value.push(b[i]);
                        i += 1;
                    }
                    if i >= n {
                        bail!("ENV line {start_line}: unterminated single quote");
                    }
                    i += 1;
                }
                '"' => {
                    i += 1;
                    while i < n && b[i] != '"' {
                        if b[i] == '\\'
                            && i + 1 < n
                            && matches!(b[i + 1], '"' | '\\' | '$' | '`' | '\n')
                        {
                            i += 1;
                        }
                        if b[i] == '\n' {
                            line += 1;
                        }
                        value.push(b[i]);
                        i += 1;
                    }
                    if i >= n {
                        bail!("ENV line {start_line}: unterminated double quote");
                    }
                    i += 1;
                }
                '\\' if i + 1 < n => {
                    value.push(b[i + 1]);
                    if b[i + 1] == '\n' {
                        line += 1;
                    }
                    i += 2;
                }
                c => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        vars.insert(key, value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("A", "plain"),
            ("B", "it's \"quoted\""),
            ("C", "$HOME `x` \\n \\"),
            ("D", "multi\nline\n"),
            ("E", "a=b=c"),
            ("F", "ünïcödé ✓"),
            ("G", ""),
            ("H", "'"),
            ("I", " lead and trail "),
        ] {
            m.insert(k.to_string(), v.to_string());
        }
        let text = serialize(&m);
        assert_eq!(parse(&text).unwrap(), m);
    }

    #[test]
    fn legacy_forms() {
        let m = parse("export A=\"x\\\"y\"\nB=bare\n# c\n").unwrap();
        assert_eq!(m["A"], "x\"y");
        assert_eq!(m["B"], "bare");
        assert!(parse("export 1=x").is_err());
        assert!(parse("export A='x").is_err());
    }

    #[test]
    fn keys() {
        assert!(validate_key("_A1").is_ok());
        for bad in ["", "1A", "A-B", "A B", "Ä"] {
            assert!(validate_key(bad).is_err());
        }
    }
}
