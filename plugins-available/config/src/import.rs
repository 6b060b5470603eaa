//! `config:import`: config vars read from a file on the server or from stdin, in one of the
//! formats `config:export` writes (`envfile`, `shell`/`exports`, `json`), set in one atomic
//! change under the config lock. Every key and value is checked before anything is written.

use crate::store::Vars;
use anyhow::{bail, Context, Result};
use dokku_core::envfile;
use std::io::Read;

/// The most bytes an import reads (a larger input is refused, not cut short).
pub const MAX_BYTES: u64 = 1024 * 1024;

/// An input format, by the `--format` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// dotenv lines: `KEY=value`, `KEY="value"` (with `\n`, `\"`, `\\` escapes),
    /// `KEY='value'`, an optional `export ` prefix, `#` comments.
    Envfile,
    /// Shell words: `export KEY='value'` lines (`config:export`) or `KEY='value' …` on one line
    /// (`config:export --format shell`).
    Shell,
    /// A JSON object of keys to values (`config:export --format json`).
    Json,
}

impl InputFormat {
    /// Parses a `--format` name.
    pub fn parse(name: &str) -> Result<InputFormat> {
        Ok(match name {
            "envfile" => InputFormat::Envfile,
            "shell" | "exports" => InputFormat::Shell,
            "json" => InputFormat::Json,
            other => bail!("Unknown import format: {other:?}; use one of envfile, shell, json"),
        })
    }
}

/// Reads the input: `-` (or nothing) is stdin, anything else a regular file on the server.
pub fn read_input(source: Option<&str>) -> Result<String> {
    let mut bytes = Vec::new();
    match source {
        None | Some("-") => {
            std::io::stdin()
                .lock()
                .take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .context("cannot read the config vars from stdin")?;
        }
        Some(path) => {
            let meta = std::fs::metadata(path).with_context(|| format!("cannot read {path:?}"))?;
            if !meta.is_file() {
                bail!("{path:?} is not a regular file");
            }
            std::fs::File::open(path)
                .with_context(|| format!("cannot read {path:?}"))?
                .take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {path:?}"))?;
        }
    }
    if bytes.len() as u64 > MAX_BYTES {
        bail!("The input is larger than {MAX_BYTES} bytes");
    }
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("The input is not valid UTF-8"))
}

/// Parses `text` in `format` into checked vars (valid keys, no NUL byte in a value); an input
/// with no var at all is refused.
pub fn parse(text: &str, format: InputFormat) -> Result<Vars> {
    let vars = match format {
        InputFormat::Envfile => parse_envfile(text)?,
        InputFormat::Shell => envfile::parse(text).map_err(|e| anyhow::anyhow!("{e:#}"))?,
        InputFormat::Json => parse_json(text)?,
    };
    for (k, v) in &vars {
        envfile::validate_key(k)?;
        if v.contains('\0') {
            bail!("The value of {k} contains a NUL byte, which no environment can hold");
        }
    }
    if vars.is_empty() {
        bail!("No config vars found in the input");
    }
    Ok(vars)
}

/// A JSON object of string (or number or boolean) values.
fn parse_json(text: &str) -> Result<Vars> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("Invalid JSON input: {e}"))?;
    let Some(map) = value.as_object() else {
        bail!("Invalid JSON input: expected an object of KEY: \"value\"");
    };
    let mut vars = Vars::new();
    for (k, v) in map {
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => bail!("Invalid JSON input: the value of {k} is not a string"),
        };
        vars.insert(k.clone(), s);
    }
    Ok(vars)
}

/// dotenv lines, as `config:export --format envfile` writes them and as `.env` files hold them.
fn parse_envfile(text: &str) -> Result<Vars> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut vars = Vars::new();
    let mut i = 0;
    let mut line = 1;
    while envfile::next_entry(&chars, &mut i, &mut line) {
        let start = line;
        envfile::skip_export(&chars, &mut i);
        let ks = i;
        while i < n && chars[i] != '=' && chars[i] != '\n' {
            i += 1;
        }
        let key: String = chars[ks..i].iter().collect::<String>().trim().to_string();
        if i >= n || chars[i] != '=' {
            bail!("line {start}: expected KEY=VALUE");
        }
        envfile::validate_key(&key).with_context(|| format!("line {start}"))?;
        i += 1;
        while i < n && matches!(chars[i], ' ' | '\t') {
            i += 1;
        }
        let mut value = String::new();
        let quote = chars.get(i).copied().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            i += 1;
            loop {
                if i >= n {
                    bail!("line {start}: unterminated quote in the value of {key}");
                }
                let c = chars[i];
                if c == q {
                    i += 1;
                    break;
                }
                if c == '\n' {
                    line += 1;
                }
                if q == '"' && c == '\\' && i + 1 < n {
                    let e = chars[i + 1];
                    value.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        other => other,
                    });
                    if e == '\n' {
                        line += 1;
                    }
                    i += 2;
                    continue;
                }
                value.push(c);
                i += 1;
            }
            // Only blank space or a comment may follow the closing quote.
            while i < n && matches!(chars[i], ' ' | '\t' | '\r') {
                i += 1;
            }
            if i < n && chars[i] != '\n' && chars[i] != '#' {
                bail!("line {start}: unexpected text after the quoted value of {key}");
            }
            while i < n && chars[i] != '\n' {
                i += 1;
            }
        } else {
            while i < n && chars[i] != '\n' {
                // ` #` starts a comment after a bare value.
                if chars[i] == '#' && value.ends_with([' ', '\t']) {
                    while i < n && chars[i] != '\n' {
                        i += 1;
                    }
                    break;
                }
                value.push(chars[i]);
                i += 1;
            }
            value = value.trim_end().to_string();
        }
        vars.insert(key, value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{render, Format};

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn each_export_format_reads_back() {
        let v = vars(&[
            ("A", "it's"),
            ("B", "x\"y\\z\nw $HOME"),
            ("C", ""),
            ("D", " spaced "),
        ]);
        for (out, input) in [
            (Format::Envfile, InputFormat::Envfile),
            (Format::Exports, InputFormat::Shell),
            (Format::Shell, InputFormat::Shell),
            (Format::Json, InputFormat::Json),
        ] {
            assert_eq!(parse(&render(&v, out), input).unwrap(), v, "{out:?}");
        }
    }

    #[test]
    fn dotenv_forms() {
        let text =
            "# c\nexport A=plain value # note\nB='single # kept'\n  C = \"two\nlines\"\nD=a#b\n";
        let v = parse(text, InputFormat::Envfile).unwrap();
        assert_eq!(v["A"], "plain value");
        assert_eq!(v["B"], "single # kept");
        assert_eq!(v["C"], "two\nlines");
        assert_eq!(v["D"], "a#b");
        for bad in ["1A=x", "A-B=x", "novalue", "A=\"open", "A='x' junk", ""] {
            assert!(parse(bad, InputFormat::Envfile).is_err(), "{bad:?}");
        }
        assert!(parse("{\"A\": [1]}", InputFormat::Json).is_err());
        assert!(parse("[]", InputFormat::Json).is_err());
        assert!(parse("{\"bad key\": \"x\"}", InputFormat::Json).is_err());
    }
}
