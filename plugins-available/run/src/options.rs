//! The command line of `dokku run` and `run:detached`: options (`--env`, `--no-tty`,
//! `--force-tty`, `--ttl-seconds`), then the app, then the command (whose own flags are left
//! alone).

use anyhow::{bail, Result};

/// A parsed `run` command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// The app.
    pub app: String,
    /// `KEY=VALUE` pairs of `--env`/`-e`, in order.
    pub env: Vec<String>,
    /// The command and its arguments (empty: the app's shell).
    pub command: Vec<String>,
    /// `--no-tty`: never allocate a terminal.
    pub no_tty: bool,
    /// `--force-tty`: always allocate a terminal.
    pub force_tty: bool,
    /// `--ttl-seconds N`: the container is removed N seconds after it starts.
    pub ttl: Option<u64>,
}

use dokku_core::oneoff::{parse_ttl, validate_env};

/// Parses `[--env KEY=VALUE]… [--no-tty] [--force-tty] APP [COMMAND…]`.
pub fn parse(argv: &[String], usage: &str) -> Result<RunArgs> {
    let mut r = RunArgs::default();
    let mut it = argv.iter();
    let mut app = None;
    while let Some(a) = it.next() {
        let inline = a.strip_prefix("--env=").or_else(|| a.strip_prefix("-e="));
        if let Some(pair) = inline {
            validate_env(pair)?;
            r.env.push(pair.to_string());
            continue;
        }
        if let Some(v) = a.strip_prefix("--ttl-seconds=") {
            r.ttl = Some(parse_ttl(v)?);
            continue;
        }
        match a.as_str() {
            "--ttl-seconds" => {
                let Some(v) = it.next() else {
                    bail!("flag --ttl-seconds needs a number of seconds");
                };
                r.ttl = Some(parse_ttl(v)?);
            }
            "--env" | "-e" => {
                let Some(pair) = it.next() else {
                    bail!("flag {a} needs a KEY=VALUE");
                };
                validate_env(pair)?;
                r.env.push(pair.clone());
            }
            "--no-tty" => r.no_tty = true,
            "--force-tty" => r.force_tty = true,
            "--quiet" => std::env::set_var("DOKKU_QUIET_OUTPUT", "1"),
            "--" => {
                app = it.next().cloned();
                break;
            }
            s if s.starts_with('-') && s.len() > 1 => {
                bail!("unknown flag {s}; usage: {usage}")
            }
            _ => {
                app = Some(a.clone());
                break;
            }
        }
    }
    if r.no_tty && r.force_tty {
        bail!("Cannot specify both --force-tty and --no-tty");
    }
    r.app = dokku_core::appname::required(app.as_ref())?;
    r.command = it.cloned().collect();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        let r = parse(
            &s(&[
                "--env", "A=1", "-e=B=x y", "--no-tty", "app", "ls", "-la", "--env",
            ]),
            "",
        )
        .unwrap();
        assert_eq!(r.app, "app");
        assert_eq!(r.env, s(&["A=1", "B=x y"]));
        assert_eq!(r.command, s(&["ls", "-la", "--env"]));
        assert!(r.no_tty);
        assert!(parse(&s(&["--env", "1A=1", "app"]), "").is_err());
        assert!(parse(&s(&["--env", "A", "app"]), "").is_err());
        assert!(parse(&s(&["--bogus", "app"]), "").is_err());
        assert!(parse(&s(&["--no-tty", "--force-tty", "app"]), "").is_err());
        assert_eq!(
            parse(&s(&["--ttl-seconds", "5", "app"]), "").unwrap().ttl,
            Some(5)
        );
        assert_eq!(
            parse(&s(&["--ttl-seconds=7", "app"]), "").unwrap().ttl,
            Some(7)
        );
        for bad in ["0", "x", "-1", "+3", "31536001"] {
            assert!(parse(&s(&["--ttl-seconds", bad, "app"]), "").is_err());
        }
        assert!(parse(&s(&["--ttl-seconds"]), "").is_err());
        assert_eq!(
            parse(&s(&["--", "app", "x"]), "").unwrap().command,
            s(&["x"])
        );
    }
}
