//! The events plugin: `events:on`, `events:off`, `events:list`, `dokku events [-t]`.
//! The logging itself happens in plugn, for every trigger fired, while events are on.

use anyhow::Result;
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin};
use dokku_core::{args, log, paths};
use plugn::events;
use std::io::Write;

static PLUGIN: Plugin = Plugin {
    prefix: "events",
    summary: "Manage event logging",
    commands: &[
        Command {
            name: "default",
            usage: "[-t]",
            help: "Show the last events (-t follows)",
            run: show,
        },
        Command {
            name: "list",
            usage: "",
            help: "List logged events",
            run: list,
        },
        Command {
            name: "on",
            usage: "",
            help: "Enable events logger",
            run: on,
        },
        Command {
            name: "off",
            usage: "",
            help: "Disable events logger",
            run: off,
        },
    ],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}

/// `dokku events [-t]`: the last 100 lines; `-t` then follows new ones, across rotations.
fn show(argv: &[String]) -> Result<()> {
    let follow = argv.iter().any(|a| a == "-t" || a == "--tail");
    if let Some(bad) = argv.iter().find(|a| *a != "-t" && *a != "--tail") {
        anyhow::bail!("events: unknown argument {bad:?}; usage: dokku events [-t]");
    }
    let log_path = paths().events_log();
    let mut out = std::io::stdout().lock();
    if follow {
        // A closed stdout (the reader went away) ends the follow quietly.
        let _ = events::tail_and_follow(&log_path, 100, &mut out, &|| false);
        return Ok(());
    }
    out.write_all(&events::last_lines(&log_path, 100)?)?;
    out.flush()?;
    Ok(())
}

/// `events:list`: the triggers being logged (every trigger an enabled plugin answers).
fn list(argv: &[String]) -> Result<()> {
    args::parse(argv, &[], &[])?.at_most(0, usage())?;
    if !events::enabled(paths()) {
        log::warn("Events logger disabled");
        return Ok(());
    }
    log::info2("Events currently logged");
    let mut names = std::collections::BTreeSet::new();
    for p in plugn::discovery::enabled(paths())? {
        for e in std::fs::read_dir(&p.dir)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let skip = matches!(
                name.as_str(),
                "commands"
                    | "subcommands"
                    | "plugin.toml"
                    | "bin"
                    | "functions"
                    | "internal-functions"
                    | "templates"
                    | "scripts"
            ) || name.starts_with('.')
                || name.contains('.');
            if !skip
                && matches!(
                    plugn::discovery::executable(&e.path()),
                    plugn::discovery::Executable::Runnable
                )
            {
                names.insert(name);
            }
        }
    }
    for n in names {
        println!("{n}");
    }
    Ok(())
}

fn on(argv: &[String]) -> Result<()> {
    args::parse(argv, &[], &[])?.at_most(0, usage())?;
    log::info1("Enabling dokku events logger");
    events::set_enabled(paths(), true)
}

fn off(argv: &[String]) -> Result<()> {
    args::parse(argv, &[], &[])?.at_most(0, usage())?;
    log::info1("Disabling dokku events logger");
    events::set_enabled(paths(), false)
}
