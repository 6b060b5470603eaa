//! The storage plugin: bind mounts and docker volumes for an app's deployed and one-off
//! containers. As Dokku's, it keeps each mount as a `-v HOST:CONTAINER[:OPTIONS]` line of the
//! app's deploy and run docker options, so the docker-options plugin's `docker-args-deploy`
//! and `docker-args-run` pass them on. Commands
//! `storage:ensure-directory|list|mount|unmount|report`; trigger `storage-list`.

mod ensure;
mod mounts;

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log};
use dokku_docker_options::store::{self, Phase};
use mounts::Mount;
use std::io::Write;

static PLUGIN: Plugin = Plugin {
    prefix: "storage",
    summary: "Mount local volume / directories inside containers",
    commands: &[
        Command {
            name: "ensure-directory",
            usage: "[--chown option] <directory>",
            help: "Creates a persistent storage directory in the recommended storage path",
            run: ensure::command,
        },
        Command {
            name: "list",
            usage: "<app> [--format text|json]",
            help: "List bind mounts for app's container(s) (host:container)",
            run: list,
        },
        Command {
            name: "mount",
            usage: "<app> <host-dir:container-dir>",
            help: "Create a new bind mount",
            run: mount,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a storage report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "unmount",
            usage: "<app> <host-dir:container-dir>",
            help: "Remove an existing bind mount",
            run: unmount,
        },
    ],
    bare_commands: &[],
    triggers: &[Trigger {
        name: "storage-list",
        run: trigger_storage_list,
    }],
};

fn main() {
    PLUGIN.main()
}

/// The phases whose containers get the mounts.
const MOUNT_PHASES: [Phase; 2] = [Phase::Deploy, Phase::Run];

/// The mounts among option lines.
fn mounts_in(options: &[String]) -> Vec<Mount> {
    options
        .iter()
        .filter_map(|l| mounts::spec_of_line(l))
        .map(|s| Mount::lenient(&s))
        .collect()
}

/// `APP SPEC` of mount and unmount: the app (which must exist) and the checked spec.
fn app_and_spec(argv: &[String], verb: &str) -> Result<(String, Mount)> {
    let usage = format!("dokku storage:{verb} <app> <host-dir:container-dir>");
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, &usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(spec) = a.pos(1) else {
        bail!("Please specify a mount (host-dir:container-dir); usage: {usage}");
    };
    Ok((app, Mount::parse(spec)?))
}

/// `storage:mount APP HOST:CONTAINER[:OPTIONS]`.
fn mount(argv: &[String]) -> Result<()> {
    let (app, m) = app_and_spec(argv, "mount")?;
    store::update(&app, &MOUNT_PHASES, |all| {
        for p in all.iter() {
            for old in mounts_in(&p.options) {
                if old.same_paths(&m) {
                    bail!("Mount path already exists.");
                }
                if old.container == m.container {
                    bail!(
                        "Container path {} is already mounted (from {}); unmount it first",
                        m.container,
                        old.host
                    );
                }
            }
        }
        for p in all.iter_mut() {
            p.options.push(m.option_line());
        }
        Ok(())
    })?;
    log::info1(&format!("Mounted {} into {app}", m.spec()));
    Ok(())
}

/// `storage:unmount APP HOST:CONTAINER[:OPTIONS]` (without options, a mount of the same paths
/// goes whatever its options).
fn unmount(argv: &[String]) -> Result<()> {
    let (app, m) = app_and_spec(argv, "unmount")?;
    let given_options = !m.options.is_empty();
    store::update(&app, &MOUNT_PHASES, |all| {
        let mut found = false;
        for p in all.iter_mut() {
            p.options.retain(|line| {
                let hit = mounts::spec_of_line(line)
                    .map(|s| Mount::lenient(&s))
                    .is_some_and(|old| {
                        old.same_paths(&m) && (!given_options || old.options == m.options)
                    });
                found |= hit;
                !hit
            });
        }
        if !found {
            bail!("Mount path does not exist.");
        }
        Ok(())
    })?;
    log::info1(&format!("Unmounted {} from {app}", m.spec()));
    Ok(())
}

/// The mounts of one phase as JSON: `[{"host_path", "container_path", "volume_options"}]`.
fn json_list(mounts: &[Mount]) -> String {
    let list: Vec<serde_json::Value> = mounts
        .iter()
        .map(|m| {
            serde_json::json!({
                "host_path": m.host,
                "container_path": m.container,
                "volume_options": m.options,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// `storage:list APP [--format text|json]`: the deploy phase's mounts.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, "dokku storage:list <app> [--format text|json]")?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let json = match a.value("--format") {
        None | Some("text") | Some("stdout") => false,
        Some("json") => true,
        Some(other) => bail!("Invalid --format value specified: {other:?} (use text or json)"),
    };
    let mounts = mounts_in(&store::read(&app, Phase::Deploy)?);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", json_list(&mounts))?;
        return Ok(());
    }
    log::info1(&format!("{app} volume bind-mounts:"));
    for m in mounts {
        if log::quiet() {
            writeln!(out, "{}", m.spec())?;
        } else {
            writeln!(out, "       {}", m.spec())?;
        }
    }
    Ok(())
}

/// The flags `storage:report` answers, with their labels.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("storage-build-mounts", "Storage build mounts"),
    ("storage-deploy-mounts", "Storage deploy mounts"),
    ("storage-run-mounts", "Storage run mounts"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for ((key, label), phase) in REPORT_FIELDS.iter().zip(Phase::ALL) {
        let value = store::read(app, phase)?
            .iter()
            .filter_map(|l| mounts::spec_of_line(l))
            .map(|s| format!("-v {s}"))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} storage information"),
        rows,
    })
}

/// `storage:report [APP] [--format stdout|json] [--storage-…]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku storage:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// Trigger `storage-list APP PHASE [text|json]`: the phase's mounts, one spec a line (or JSON).
fn trigger_storage_list(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::verify(app)?;
    let phase = argv.get(1).map(String::as_str).unwrap_or("deploy");
    let Some(phase) = Phase::parse(phase) else {
        bail!("storage-list: unknown phase {phase:?}");
    };
    let mounts = mounts_in(&store::read(app, phase)?);
    let mut out = std::io::stdout().lock();
    if argv.get(2).map(String::as_str) == Some("json") {
        writeln!(out, "{}", json_list(&mounts))?;
    } else {
        for m in mounts {
            writeln!(out, "{}", m.spec())?;
        }
    }
    Ok(())
}
