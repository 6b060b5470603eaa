//! The run plugin: one-off containers of an app's image. `dokku run`, `run:detached`,
//! `run:list` and `run:stop` ask the app's scheduler (`scheduler-detect`, `docker-local` when
//! none answers) through Dokku's `scheduler-run`, `scheduler-run-list` and
//! `scheduler-run-stop` triggers (the scheduler-docker-local plugin answers them for
//! docker-local). `run:logs` (`scheduler-run-logs`) prints their output; `--ttl-seconds N`
//! limits how long one lives, and `run:retire` (`scheduler-retire`) removes those whose time
//! ran out.

mod logs;
mod options;

use anyhow::{bail, Result};
use dokku_core::plugin::{usage, Command, Plugin};
use dokku_core::report::Format;
use dokku_core::{appname, args};

static PLUGIN: Plugin = Plugin {
    prefix: "run",
    summary: "Run a one-off process inside a container",
    commands: &[
        Command {
            name: "default",
            usage: "[--env KEY=VALUE|-e KEY=VALUE]... [--no-tty|--force-tty] [--ttl-seconds N] <app> <cmd>",
            help: "Run a command in a new container using the current app image",
            run: run_cmd,
        },
        Command {
            name: "detached",
            usage: "[--env KEY=VALUE|-e KEY=VALUE]... [--force-tty] [--ttl-seconds N] <app> <cmd>",
            help: "Run a command in a new detached container using the current app image",
            run: detached,
        },
        Command {
            name: "list",
            usage: "<app> [--format stdout|json]",
            help: "List all run containers for an app",
            run: list,
        },
        Command {
            name: "logs",
            usage: "(<app> [<container>]|--container <app>.run.N) [-t|--tail] [-n|--num num] [-q|--quiet]",
            help: "Display recent log output for run containers",
            run: logs::command,
        },
        Command {
            name: "retire",
            usage: "[<app>]",
            help: "Removes the run containers whose --ttl-seconds ran out",
            run: retire,
        },
        Command {
            name: "stop",
            usage: "(<app>|--container <app>.run.N)",
            help: "Stops all run containers of an app, or the one given",
            run: stop,
        },
    ],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}

/// `run` and `run:detached`.
fn start(argv: &[String], detach: bool) -> Result<()> {
    let r = options::parse(argv, usage())?;
    appname::verify(&r.app)?;
    // Dokku's environment for the scheduler: run containers are removed when they exit.
    std::env::set_var("DOKKU_RM_CONTAINER", "1");
    if detach {
        std::env::set_var("DOKKU_DETACH_CONTAINER", "1");
    }
    if r.no_tty || (detach && !r.force_tty) {
        std::env::set_var("DOKKU_DISABLE_TTY", "true");
    }
    if r.force_tty {
        std::env::set_var("DOKKU_FORCE_TTY", "true");
    }
    if let Some(ttl) = r.ttl {
        std::env::set_var(dokku_core::oneoff::TTL_ENV, ttl.to_string());
    }
    let mut targs = vec![
        dokku_core::scheduler(&r.app)?,
        r.app.clone(),
        r.env.len().to_string(),
    ];
    targs.extend(r.env.iter().cloned());
    targs.push("--".into());
    targs.extend(r.command.iter().cloned());
    let targs: Vec<&str> = targs.iter().map(String::as_str).collect();
    dokku_core::signals::ignore_interrupts();
    dokku_core::trigger_through("scheduler-run", &targs)
}

/// `dokku run [--env KEY=VALUE]… [--no-tty|--force-tty] APP CMD…`.
fn run_cmd(argv: &[String]) -> Result<()> {
    start(argv, false)
}

/// `dokku run:detached [--env KEY=VALUE]… APP CMD…`: prints the container's id.
fn detached(argv: &[String]) -> Result<()> {
    start(argv, true)
}

/// `run:list APP [--format stdout|json]`.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let format = match Format::parse(a.value("--format"))? {
        Format::Stdout => "stdout",
        Format::Json => "json",
    };
    dokku_core::trigger_through(
        "scheduler-run-list",
        &[&dokku_core::scheduler(&app)?, &app, format],
    )
}

/// `run:stop APP` (all its run containers), `run:stop --container APP.run.N`.
fn stop(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--container"])?;
    a.at_most(1, usage)?;
    let container = a.value("--container").unwrap_or("").to_string();
    let app = match (a.pos(0), container.is_empty()) {
        (Some(app), _) => app.clone(),
        (None, false) => container.split('.').next().unwrap_or("").to_string(),
        (None, true) => bail!("Please specify an app or --container; usage: {usage}"),
    };
    appname::verify(&app)?;
    if !container.is_empty() {
        check_run_container(&app, &container)?;
    }
    dokku_core::trigger_through(
        "scheduler-run-stop",
        &[&dokku_core::scheduler(&app)?, &app, &container],
    )
}

/// Checks that `container` names a run container of `app` (`APP.run.N`).
pub fn check_run_container(app: &str, container: &str) -> Result<()> {
    let ok = container
        .strip_prefix(&format!("{app}.run."))
        .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        bail!("Invalid run container name {container:?}: expected {app}.run.N");
    }
    Ok(())
}

/// `run:retire [APP]`: `scheduler-retire SCHEDULER APP` for the app (every app without one):
/// the run containers whose `--ttl-seconds` ran out are removed.
fn retire(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let apps = match a.pos(0) {
        Some(app) => {
            appname::verify(app)?;
            vec![app.clone()]
        }
        None => appname::all()?,
    };
    for app in apps {
        dokku_core::trigger_through("scheduler-retire", &[&dokku_core::scheduler(&app)?, &app])?;
    }
    Ok(())
}
