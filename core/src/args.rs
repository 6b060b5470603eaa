//! A small flag parser for plugin subcommands: `--flag`, `--flag value`, `--flag=value`,
//! positionals anywhere, `--` ends flags. Unknown flags are refused by name; `--help` asks
//! for the command's usage ([`HelpRequested`], which the plugin runtime answers).

use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// The error `parse` answers `--help` with: the plugin runtime prints the command's usage and
/// exits 0, as Dokku's commands do.
#[derive(Debug)]
pub struct HelpRequested;

impl std::fmt::Display for HelpRequested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("--help given")
    }
}

impl std::error::Error for HelpRequested {}

/// Parsed arguments of a subcommand.
#[derive(Debug, Default)]
pub struct Args {
    /// Flags given, with their value for value flags.
    pub flags: BTreeMap<String, String>,
    /// The other arguments, in order.
    pub positional: Vec<String>,
}

impl Args {
    /// Whether a boolean flag (e.g. `--global`) was given.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.contains_key(flag)
    }

    /// The value of a value flag (e.g. `--format`).
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.flags.get(flag).map(String::as_str)
    }

    /// Fails with `usage` when more than `max` positionals were given.
    pub fn at_most(&self, max: usize, usage: &str) -> Result<()> {
        if self.positional.len() > max {
            bail!(
                "unexpected argument {:?}; usage: {usage}",
                self.positional[max]
            );
        }
        Ok(())
    }

    /// The positional at `i`.
    pub fn pos(&self, i: usize) -> Option<&String> {
        self.positional.get(i)
    }
}

/// Parses `args` knowing which flags are boolean and which take a value. `--quiet` is always
/// accepted and turns quiet output on for the rest of the command.
pub fn parse(args: &[String], bool_flags: &[&str], value_flags: &[&str]) -> Result<Args> {
    let mut out = Args::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            out.positional.extend(it.by_ref().cloned());
            break;
        }
        if a.starts_with("--") && a.len() > 2 {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            if name == "--help" && !value_flags.contains(&name) && !bool_flags.contains(&name) {
                return Err(HelpRequested.into());
            }
            if name == "--quiet" {
                std::env::set_var("DOKKU_QUIET_OUTPUT", "1");
                continue;
            }
            if bool_flags.contains(&name) {
                if inline.is_some() {
                    bail!("flag {name} takes no value");
                }
                out.flags.insert(name.to_string(), String::new());
            } else if value_flags.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => match it.next() {
                        Some(v) => v.clone(),
                        None => bail!("flag {name} needs a value"),
                    },
                };
                out.flags.insert(name.to_string(), v);
            } else {
                bail!("unknown flag {name}");
            }
        } else {
            out.positional.push(a.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_and_positionals() {
        let a = parse(
            &s(&["app", "--format", "json", "--global", "K=--x"]),
            &["--global"],
            &["--format"],
        )
        .unwrap();
        assert_eq!(a.value("--format"), Some("json"));
        assert!(a.has("--global"));
        assert_eq!(a.positional, s(&["app", "K=--x"]));
        assert!(parse(&s(&["--nope"]), &[], &[]).is_err());
        assert!(parse(&s(&["--format"]), &[], &["--format"]).is_err());
        let a = parse(&s(&["--", "--global"]), &["--global"], &[]).unwrap();
        assert_eq!(a.positional, s(&["--global"]));
        let e = parse(&s(&["app", "--help"]), &[], &[]).unwrap_err();
        assert!(e.downcast_ref::<HelpRequested>().is_some());
        let a = parse(&s(&["--", "--help"]), &[], &[]).unwrap();
        assert_eq!(a.positional, s(&["--help"]));
    }
}
