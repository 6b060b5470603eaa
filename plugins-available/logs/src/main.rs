//! The logs plugin: `dokku logs APP [-n N] [-p PROCESS] [-t] [-q]` prints the output of the
//! app's deployed containers, each line `TIMESTAMP app[PROCESS.N]: text` as Dokku prints it
//! (`-q`: the text alone). Without `-t` the lines of every container are merged by time; with
//! `-t` they are followed as they come. The app's scheduler does the reading: the command fires
//! `scheduler-logs SCHEDULER APP PROCESS_TYPE TAIL PRETTY_PRINT NUM`, as Dokku.
//! `logs:failed [--all|APP]` (`scheduler-logs-failed`), `logs:set [--global|APP] max-size|
//! app-label-alias [VALUE]`, `logs:report`. Answers `logs-get-property APP KEY` and the
//! `docker-args-process-deploy` / `docker-args-process-run` triggers, which give every container
//! `--log-opt max-size=…` (unless `unlimited` or the log driver is not one with that option)
//! and, when `app-label-alias` names another label than `com.dokku.app-name`, that label too
//! (holding the app's name). The vector commands (`logs:vector-*`) are not built: they need
//! Dokku's vector image, and Debian packages no stand-in.

mod props;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{appname, trigger};

static PLUGIN: Plugin = Plugin {
    prefix: "logs",
    summary: "Manage log integration for an app",
    commands: &[
        Command {
            name: "default",
            usage: "<app> [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process]",
            help: "Display recent log output",
            run: logs,
        },
        Command {
            name: "failed",
            usage: "--all|<app>",
            help: "Shows the last failed deploy logs",
            run: failed,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a logs report for one or more apps",
            run: props::report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a logs property for an app (max-size, app-label-alias)",
            run: props::set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("logs-get-property", props::trigger_get_property),
        Trigger::new("docker-args-process-deploy", props::trigger_docker_args),
        Trigger::new("docker-args-process-run", props::trigger_docker_args),
    ],
};

fn main() {
    PLUGIN.main()
}

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
    let usage = usage();
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
                None => bail!("flag {name} needs a value; usage: {usage}"),
            }
        };
        match flag {
            "-h" | "--help" => return Err(dokku_core::args::HelpRequested.into()),
            "-t" | "--tail" => follow = true,
            "-q" | "--quiet" => raw = true,
            "-n" | "--num" => num = value(flag)?,
            "-p" | "--ps" => process = Some(value(flag)?),
            f if f.starts_with('-') && f.len() > 1 => bail!("unknown flag {f}; usage: {usage}"),
            _ if app.is_none() => app = Some(a.clone()),
            _ => bail!("unexpected argument {a:?}; usage: {usage}"),
        }
    }
    let num = match num.as_str() {
        "all" => None,
        n => match n.parse::<usize>() {
            Ok(n) if !num.starts_with('+') => Some(n),
            _ => bail!("Invalid number of lines {num:?}: expected a number or all"),
        },
    };
    if let Some(p) = &process {
        check_process(p)?;
    }
    Ok(LogArgs {
        app: appname::required(app.as_ref())?,
        num,
        process,
        follow,
        raw,
    })
}

/// Checks `-p`: a process type, or `TYPE.N` for one dyno; a bad value is named whole.
fn check_process(spec: &str) -> Result<()> {
    let (kind, index) = match spec.split_once('.') {
        Some((k, n)) => (k, Some(n)),
        None => (spec, None),
    };
    let index_ok = index.is_none_or(|n| {
        !n.is_empty()
            && !n.starts_with('0')
            && n.len() <= 9
            && n.bytes().all(|b| b.is_ascii_digit())
    });
    if dokku_core::procfile::validate_type(kind).is_err() || !index_ok {
        bail!("invalid process type {spec:?}: expected PROCESS_TYPE or PROCESS_TYPE.N (letters, digits, '-' and '_')");
    }
    Ok(())
}

/// `dokku logs APP [-t] [-n N] [-q] [-p PROCESS]`: `scheduler-logs SCHEDULER APP PROCESS_TYPE
/// TAIL QUIET NUM` (`NUM` `all` for every line).
fn logs(argv: &[String]) -> Result<()> {
    let a = parse(argv)?;
    appname::verify(&a.app)?;
    let sched = dokku_core::scheduler(&a.app)?;
    let num = a.num.map_or_else(|| "all".to_string(), |n| n.to_string());
    trigger(
        "scheduler-logs",
        &[
            &sched,
            &a.app,
            a.process.as_deref().unwrap_or(""),
            &a.follow.to_string(),
            &a.raw.to_string(),
            &num,
        ],
    )
}

/// `logs:failed --all|APP`: `scheduler-logs-failed SCHEDULER APP` for the app, or for every
/// app with `--all`.
fn failed(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = dokku_core::args::parse(argv, &["--all"], &[])?;
    a.at_most(1, usage)?;
    let apps = match (a.has("--all"), a.pos(0)) {
        (true, None) => appname::all()?,
        (false, Some(app)) => {
            appname::verify(app)?;
            vec![app.clone()]
        }
        (true, Some(_)) => bail!("give either --all or an app, not both; usage: {usage}"),
        (false, None) => bail!("Please specify an app or --all; usage: {usage}"),
    };
    for app in apps {
        let sched = dokku_core::scheduler(&app)?;
        trigger("scheduler-logs-failed", &[&sched, &app])?;
    }
    Ok(())
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
