//! The logs plugin: `dokku logs APP [-n N] [-p PROCESS] [-t] [-q]` prints the output of the
//! app's deployed containers, each line `TIMESTAMP app[PROCESS.N]: text` as Dokku prints it
//! (`-q`: the text alone). Without `-t` the lines of every container are merged by time; with
//! `-t` they are followed as they come.

mod stream;

use anyhow::{bail, Result};
use dokku_app_containers::containers::{self, AppContainer};
use dokku_core::appname;
use dokku_core::plugin::{Command, Plugin};

static PLUGIN: Plugin = Plugin {
    prefix: "logs",
    summary: "Manage log integration for an app",
    commands: &[Command {
        name: "default",
        usage: "<app> [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process]",
        help: "Display recent log output",
        run: logs,
    }],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}

const USAGE: &str = "dokku logs <app> [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process]";

/// The default number of lines, as Dokku's.
const DEFAULT_LINES: &str = "100";

/// A parsed `logs` command line.
#[derive(Debug, PartialEq, Eq)]
struct LogArgs {
    app: String,
    /// `None` for all lines.
    num: Option<usize>,
    process: Option<String>,
    follow: bool,
    raw: bool,
}

fn parse(argv: &[String]) -> Result<LogArgs> {
    let mut app = None;
    let mut num = DEFAULT_LINES.to_string();
    let mut process = None;
    let (mut follow, mut raw) = (false, false);
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| it.next().cloned()) {
                Some(v) => Ok(v),
                None => bail!("flag {name} needs a value; usage: {USAGE}"),
            }
        };
        match flag {
            "-t" | "--tail" => follow = true,
            "-q" | "--quiet" => raw = true,
            "-n" | "--num" => num = value(flag)?,
            "-p" | "--ps" => process = Some(value(flag)?),
            f if f.starts_with('-') && f.len() > 1 => bail!("unknown flag {f}; usage: {USAGE}"),
            _ if app.is_none() => app = Some(a.clone()),
            _ => bail!("unexpected argument {a:?}; usage: {USAGE}"),
        }
    }
    let num = match num.as_str() {
        "all" => None,
        n => match n.parse::<usize>() {
            Ok(n) if !num.starts_with('+') => Some(n),
            _ => bail!("Invalid number of lines {num:?}: expected a number or all"),
        },
    };
    Ok(LogArgs {
        app: appname::required(app.as_ref())?,
        num,
        process,
        follow,
        raw,
    })
}

/// The containers to read: every deployed one, or those of `-p PROCESS[.N]`.
fn pick(app: &str, process: Option<&str>) -> Result<Vec<AppContainer>> {
    let Some(spec) = process else {
        let all = containers::deployed(app, None)?;
        if all.is_empty() {
            bail!("App {app} has not been deployed");
        }
        return Ok(all);
    };
    let (p, index) = containers::parse_process(spec)?;
    let found: Vec<AppContainer> = containers::deployed(app, Some(&p))?
        .into_iter()
        .filter(|c| index.is_none_or(|i| c.index == i))
        .collect();
    if found.is_empty() {
        let mut types: Vec<String> = containers::deployed(app, None)?
            .into_iter()
            .map(|c| c.process)
            .collect();
        types.dedup();
        if types.is_empty() {
            bail!("App {app} has not been deployed");
        }
        bail!(
            "No containers found for process {spec:?}; available types for app {app}: {}",
            types.join(" ")
        );
    }
    Ok(found)
}

/// `dokku logs APP [-t] [-n N] [-q] [-p PROCESS]`.
fn logs(argv: &[String]) -> Result<()> {
    let a = parse(argv)?;
    appname::verify(&a.app)?;
    let picked = pick(&a.app, a.process.as_deref())?;
    let style = stream::Style::new(a.raw);
    if a.follow {
        stream::follow(&picked, a.num, style)
    } else {
        stream::merged(&picked, a.num, style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        let a = parse(&s(&["app", "-n", "5", "-p", "web", "-t", "-q"])).unwrap();
        assert_eq!(
            a,
            LogArgs {
                app: "app".into(),
                num: Some(5),
                process: Some("web".into()),
                follow: true,
                raw: true
            }
        );
        assert_eq!(parse(&s(&["--num=all", "app"])).unwrap().num, None);
        assert_eq!(parse(&s(&["app"])).unwrap().num, Some(100));
        assert!(parse(&s(&["app", "-n", "x"])).is_err());
        assert!(parse(&s(&["app", "-n"])).is_err());
        assert!(parse(&s(&["app", "-x"])).is_err());
        assert!(parse(&s(&["app", "other"])).is_err());
    }
}
