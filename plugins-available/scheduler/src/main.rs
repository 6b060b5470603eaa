//! The scheduler plugin: which scheduler runs an app. `scheduler:set [--global|APP] selected
//! [NAME]` chooses one (an empty value unsets); `scheduler:report`; the `scheduler-detect APP`
//! trigger answers the app's choice, else the global one, else `docker-local` (it answers
//! before `scheduler-docker-local`, since `scheduler` sorts first, and the core reads the first
//! line). Setting a scheduler stops nothing: the next deploy is the new scheduler's, and each
//! scheduler's `post-deploy` removes what it still runs for an app that is no longer its own.

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, property};

static PLUGIN: Plugin = Plugin {
    prefix: "scheduler",
    summary: "Manage scheduler settings for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a scheduler report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a scheduler property for an app (selected)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("scheduler-detect", trigger_detect),
        Trigger::new("scheduler-get-property", trigger_get_property),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which the choice is kept.
const PROPS: &str = "scheduler";

/// The scheduler used when neither the app nor the global settings name one.
const DEFAULT: &str = "docker-local";

/// A scheduler name has a plugin name's shape (the plugin is `scheduler-NAME`): lowercase
/// letters, digits and `-`, starting with a letter, at most 64 characters.
fn check_scheduler_name(v: &str) -> Result<()> {
    let ok = v.len() <= 64
        && v.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.ends_with('-');
    if !ok {
        bail!("invalid scheduler {v:?}: use a scheduler name such as docker-local or swarm");
    }
    Ok(())
}

/// The app's own choice (`scope` may be `--global`), `None` when unset.
fn own(scope: &str) -> Result<Option<String>> {
    Ok(property::get(PROPS, scope, "selected")?.filter(|v| !v.is_empty()))
}

/// The scheduler that runs `app`: its own choice, else the global one, else `docker-local`.
fn computed(app: &str) -> Result<String> {
    if app != property::GLOBAL {
        if let Some(v) = own(app)? {
            return Ok(v);
        }
    }
    Ok(own(property::GLOBAL)?.unwrap_or_else(|| DEFAULT.to_string()))
}

/// `scheduler:set [--global|APP] selected [NAME]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), &["selected"])?;
    if let Some(v) = c.new_value() {
        check_scheduler_name(v)?;
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("scheduler-computed-selected", "Scheduler computed selected"),
    ("scheduler-global-selected", "Scheduler global selected"),
    ("scheduler-selected", "Scheduler selected"),
];

fn report_of(app: &str) -> Result<Report> {
    let rows = vec![
        (REPORT_FIELDS[0], computed(app)?),
        (REPORT_FIELDS[1], own(property::GLOBAL)?.unwrap_or_default()),
        (REPORT_FIELDS[2], own(app)?.unwrap_or_default()),
    ];
    Ok(Report {
        heading: format!("{app} scheduler information"),
        rows: rows
            .into_iter()
            .map(|((k, l), v)| (k.to_string(), l.to_string(), v))
            .collect(),
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// The app argument of a trigger: an app name's shape, or `--global`.
fn trigger_app(argv: &[String], name: &str) -> Result<String> {
    let Some(app) = argv.first() else {
        bail!("{name} needs APP");
    };
    if app != property::GLOBAL {
        appname::validate(app)?;
    }
    Ok(app.clone())
}

/// Trigger `scheduler-detect APP`: the app's scheduler, else the global one, else
/// `docker-local`.
fn trigger_detect(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "scheduler-detect")?;
    println!("{}", computed(&app)?);
    Ok(())
}

/// Trigger `scheduler-get-property APP selected`: the app's own value (APP may be
/// `--global`); empty when unset.
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "scheduler-get-property")?;
    match argv.get(1).map(String::as_str) {
        Some("selected") => println!("{}", own(&app)?.unwrap_or_default()),
        other => bail!("invalid scheduler property {other:?}; valid: selected"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_scheduler_name;

    #[test]
    fn names() {
        for ok in ["docker-local", "swarm", "k3s", "null", "a1"] {
            assert!(check_scheduler_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Swarm",
            "-x",
            "x-",
            "a b",
            "a/b",
            "../x",
            "1x",
            &"a".repeat(65),
        ] {
            assert!(check_scheduler_name(bad).is_err(), "{bad}");
        }
    }
}
