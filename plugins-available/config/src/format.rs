//! The output formats of `config:export` (and of `config:show`, which is `pretty`).

use crate::store::Vars;
use anyhow::{bail, Result};
use dokku_core::envfile;

/// An export format, by Dokku's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `export KEY='value'` lines: the ENV file itself, sourceable by a shell.
    Exports,
    /// `KEY="value"` lines, a dotenv file.
    Envfile,
    /// `--env=KEY='value' …` on one line.
    DockerArgs,
    /// `--env=KEY …` on one line.
    DockerArgsKeys,
    /// `KEY='value' …` on one line.
    Shell,
    /// A JSON object of keys to values.
    Json,
    /// A JSON array of `{"name": …, "value": …}`.
    JsonList,
    /// Aligned `KEY:  value` lines.
    Pretty,
}

/// The names `--format` accepts, in help order.
pub const NAMES: &[&str] = &[
    "exports",
    "envfile",
    "docker-args",
    "docker-args-keys",
    "shell",
    "json",
    "json-list",
    "pretty",
];

impl Format {
    /// Parses a format name; an unknown one is an error naming the known ones.
    pub fn parse(name: &str) -> Result<Format> {
        Ok(match name {
            "exports" => Format::Exports,
            "envfile" => Format::Envfile,
            "docker-args" => Format::DockerArgs,
            "docker-args-keys" => Format::DockerArgsKeys,
            "shell" => Format::Shell,
            "json" => Format::Json,
            "json-list" => Format::JsonList,
            "pretty" => Format::Pretty,
            other => bail!(
                "Unknown export format: {other:?}; use one of {}",
                NAMES.join(", ")
            ),
        })
    }
}

/// The whole text of `vars` in `format`, ending in a newline (line formats print nothing
/// for an empty config).
pub fn render(vars: &Vars, format: Format) -> String {
    match format {
        Format::Exports => envfile::serialize(vars),
        Format::Envfile => lines(vars.iter().map(|(k, v)| envfile_line(k, v))),
        Format::Pretty => lines(pretty_lines(vars)),
        Format::DockerArgs => one_line(vars.iter().map(|(k, v)| format!("--env={}", pair(k, v)))),
        Format::DockerArgsKeys => one_line(vars.keys().map(|k| format!("--env={k}"))),
        Format::Shell => one_line(vars.iter().map(|(k, v)| pair(k, v))),
        Format::Json => json(vars),
        Format::JsonList => json_list(vars),
    }
}

/// `KEY='value'`, the value quoted for a POSIX shell.
fn pair(key: &str, value: &str) -> String {
    format!("{key}={}", envfile::shell_quote(value))
}

/// Each item on its own line.
fn lines(items: impl Iterator<Item = String>) -> String {
    items.map(|l| l + "\n").collect()
}

/// The items space-joined on one line.
fn one_line(items: impl Iterator<Item = String>) -> String {
    let mut s = items.collect::<Vec<_>>().join(" ");
    s.push('\n');
    s
}

/// A dotenv line: `KEY="value"` with `\`, `"`, newline and carriage return escaped.
pub fn envfile_line(key: &str, value: &str) -> String {
    let mut s = String::with_capacity(key.len() + value.len() + 3);
    s.push_str(key);
    s.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Dokku's aligned `KEY:  value` lines: `KEY:` padded to the longest, then two spaces.
pub fn pretty_lines(vars: &Vars) -> impl Iterator<Item = String> + '_ {
    let width = vars.keys().map(|k| k.len() + 1).max().unwrap_or(0);
    vars.iter()
        .map(move |(k, v)| format!("{:<width$}  {v}", format!("{k}:")))
}

fn json(vars: &Vars) -> String {
    let mut s = serde_json::to_string(vars).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn json_list(vars: &Vars) -> String {
    let list: Vec<serde_json::Value> = vars
        .iter()
        .map(|(k, v)| serde_json::json!({ "name": k, "value": v }))
        .collect();
    let mut s = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn formats() {
        let v = vars(&[("A", "it's"), ("LONG_KEY", "x\"y\\z\nw")]);
        assert_eq!(
            render(&v, Format::Pretty),
            "A:         it's\nLONG_KEY:  x\"y\\z\nw\n"
        );
        assert_eq!(
            render(&v, Format::Envfile),
            "A=\"it's\"\nLONG_KEY=\"x\\\"y\\\\z\\nw\"\n"
        );
        assert_eq!(
            render(&v, Format::DockerArgs),
            "--env=A='it'\\''s' --env=LONG_KEY='x\"y\\z\nw'\n"
        );
        assert_eq!(
            render(&v, Format::DockerArgsKeys),
            "--env=A --env=LONG_KEY\n"
        );
        assert_eq!(render(&Vars::new(), Format::Pretty), "");
        assert_eq!(render(&Vars::new(), Format::JsonList), "[]\n");
        assert_eq!(render(&Vars::new(), Format::Json), "{}\n");
        assert!(Format::parse("yaml").is_err());
        for n in NAMES {
            assert!(Format::parse(n).is_ok());
        }
    }
}
