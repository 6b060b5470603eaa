//! The swarm scheduler: runs an app's process types as Docker Swarm services on a multi-node
//! swarm (`scheduler:set APP selected swarm`). Swarm places, restarts, reschedules and rolls
//! updates; this plugin turns the app's contract (asked through triggers: scale, Procfile
//! commands, ps and checks properties, app.json, the web port) into a stack, and hands the
//! proxy where the web tasks answer. Commands `scheduler-swarm:initialize`, `cluster-add`,
//! `cluster-list`, `cluster-remove`, `report`, `set`, `watch`; triggers `scheduler-deploy`,
//! `scheduler-stop`, `scheduler-run`, `scheduler-logs`, `scheduler-enter`,
//! `scheduler-app-status`, `scheduler-is-deployed`, `scheduler-processes`,
//! `scheduler-post-delete`, `post-delete`, `post-deploy` (clean-up after a switch away).

mod cluster;
mod deploy;
mod engine;
mod ops;
mod options;
mod routing;
mod tasks;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{appname, log, property, report, Exit};

static PLUGIN: Plugin = Plugin {
    prefix: "scheduler-swarm",
    summary: "Manage the swarm scheduler integration for an app",
    commands: &[
        Command {
            name: "initialize",
            usage: "[--docker-host DOCKER_HOST] [--advertise-addr ADDR]",
            help: "Make that engine (default: this host's) a swarm manager, or adopt its swarm",
            run: cluster::initialize,
        },
        Command {
            name: "cluster-add",
            usage: "[--role worker|manager] DOCKER_HOST",
            help: "Join the engine at DOCKER_HOST (ssh://user@host, unix:///path) to the swarm",
            run: cluster::add,
        },
        Command {
            name: "cluster-list",
            usage: "[--format json]",
            help: "List the nodes of the swarm",
            run: cluster::list,
        },
        Command {
            name: "cluster-remove",
            usage: "NODE",
            help: "Drain a node, make it leave and remove it from the swarm",
            run: cluster::remove,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format json] [<flag>]",
            help: "Display the swarm scheduler settings of apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a swarm scheduler property",
            run: set_cmd,
        },
        Command {
            name: "watch",
            usage: "[--interval MS] [--once]",
            help: "Keep the proxy routing to where the swarm runs each app's web tasks",
            run: routing::watch,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("scheduler-deploy", trigger_deploy),
        Trigger::new("scheduler-stop", trigger_stop),
        Trigger::new("scheduler-run", trigger_run),
        Trigger::new("scheduler-logs", trigger_logs),
        Trigger::new("scheduler-enter", trigger_enter),
        Trigger::new("scheduler-app-status", trigger_app_status),
        Trigger::new("scheduler-is-deployed", trigger_is_deployed),
        Trigger::new("scheduler-processes", trigger_processes),
        Trigger::new("scheduler-post-delete", trigger_post_delete),
        Trigger::new("post-delete", trigger_app_deleted),
        Trigger::new("post-deploy", trigger_post_deploy),
    ],
};

/// The scheduler name this plugin answers to.
pub const NAME: &str = "swarm";

fn main() {
    PLUGIN.main()
}

/// `(APP, rest…)` when the first argument names this scheduler.
fn for_me(argv: &[String]) -> Option<(&str, &[String])> {
    dokku_core::contract::for_scheduler(argv, NAME)
}

fn trigger_deploy(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    let tag = rest.first().map(String::as_str).unwrap_or("latest");
    deploy::deploy(app, tag)
}

/// `scheduler-stop swarm APP [REMOVE]`: scales the services to 0, or removes them.
fn trigger_stop(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    let Some(m) = engine::manager()? else {
        return Ok(());
    };
    if rest.first().is_some_and(|r| r == "true") {
        ops::remove_all(&m, app)?;
        return Ok(());
    }
    ops::stop(&m, app)
}

fn trigger_run(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    appname::verify(app)?;
    ops::run(app, rest)
}

fn trigger_logs(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    appname::verify(app)?;
    ops::logs(app, rest)
}

fn trigger_enter(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    ops::enter(app, rest)
}

fn trigger_app_status(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    ops::app_status(app)
}

/// `scheduler-is-deployed swarm APP`: exit 0 when the app has services.
fn trigger_is_deployed(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let Some(m) = engine::manager()? else {
        return Err(Exit(1).into());
    };
    if tasks::services(&m, app)?.is_empty() {
        return Err(Exit(1).into());
    }
    Ok(())
}

fn trigger_processes(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    ops::processes(app)
}

/// `scheduler-post-delete swarm APP …`: whatever services and secrets the app still has.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    remove_quietly(app)
}

/// `post-delete APP …`: removes what the swarm still runs for a destroyed app, whichever
/// scheduler it had last.
fn trigger_app_deleted(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    remove_quietly(app)?;
    property::destroy(engine::PROPS, app)
}

fn remove_quietly(app: &str) -> Result<()> {
    if !appname::is_valid(app) {
        return Ok(());
    }
    let Some(m) = engine::manager()? else {
        return Ok(());
    };
    let n = ops::remove_all(&m, app)?;
    if n > 0 {
        log::info1(&format!("Removed {n} swarm service(s) of {app}"));
    }
    Ok(())
}

/// `post-deploy APP …`: once another scheduler deployed the app, its swarm services go.
fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    if !appname::is_valid(app) || dokku_core::scheduler(app)? == NAME {
        return Ok(());
    }
    let Some(m) = engine::manager()? else {
        return Ok(());
    };
    let n = ops::remove_all(&m, app)?;
    if n > 0 {
        log::info1(&format!(
            "{app} moved to another scheduler: removed its {n} swarm service(s)"
        ));
    }
    Ok(())
}

/// Settable properties: `(key, global only)`.
const KEYS: &[&str] = &[
    "update-parallelism",
    "update-delay",
    "stop-grace-period",
    "deploy-timeout",
    "dispatcher-heartbeat",
];

/// Whether `v` is a Go duration as Swarm takes it (`10s`, `1m30s`, `500ms`).
fn is_duration(v: &str) -> bool {
    let mut rest = v;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ms", "h", "m", "s"].iter().find(|u| rest.starts_with(**u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn set_cmd(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), KEYS)?;
    if let Some(v) = c.new_value() {
        match c.key.as_str() {
            "update-parallelism" | "deploy-timeout" => {
                if !v.parse::<u32>().is_ok_and(|n| n >= 1) {
                    bail!("invalid {} {v:?}: a whole number of at least 1", c.key);
                }
            }
            _ => {
                if !is_duration(v) {
                    bail!(
                        "invalid {} {v:?}: a duration such as 10s, 500ms or 1m30s",
                        c.key
                    );
                }
            }
        }
        if c.key == "dispatcher-heartbeat" && !c.is_global() {
            bail!("dispatcher-heartbeat is a setting of the whole swarm: use --global");
        }
    }
    c.apply(engine::PROPS)?;
    if c.key == "dispatcher-heartbeat" {
        if let Some(m) = engine::manager()? {
            let v = c.new_value().unwrap_or("1s");
            m.output(["swarm", "update", "--dispatcher-heartbeat", v])?;
        }
    }
    Ok(())
}

fn report_cmd(argv: &[String]) -> Result<()> {
    const FIELDS: &[(&str, &str)] = &[
        ("scheduler-swarm-manager", "Scheduler swarm manager"),
        ("scheduler-swarm-nodes", "Scheduler swarm nodes"),
        ("scheduler-swarm-services", "Scheduler swarm services"),
        (
            "scheduler-swarm-update-parallelism",
            "Scheduler swarm update parallelism",
        ),
        (
            "scheduler-swarm-update-delay",
            "Scheduler swarm update delay",
        ),
        (
            "scheduler-swarm-stop-grace-period",
            "Scheduler swarm stop grace period",
        ),
        (
            "scheduler-swarm-deploy-timeout",
            "Scheduler swarm deploy timeout",
        ),
    ];
    report::command(
        argv,
        FIELDS,
        "dokku scheduler-swarm:report [<app>] [--format json]",
        |app| {
            let m = engine::manager()?;
            let (manager, nodes, services) = match &m {
                Some(m) => {
                    let nodes = tasks::nodes(m)
                        .map(|n| {
                            n.iter()
                                .map(|n| format!("{}({})", n.hostname, n.status))
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_else(|e| format!("unreachable: {e:#}"));
                    let svcs = tasks::services(m, app)
                        .map(|s| {
                            s.iter()
                                .map(|s| s.name.clone())
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default();
                    (m.display().to_string(), nodes, svcs)
                }
                None => (String::new(), String::new(), String::new()),
            };
            let s = |k: &str, d: &str| engine::setting(Some(app), k, d);
            Ok(report::Report {
                heading: format!("{app} scheduler-swarm information"),
                rows: vec![
                    (FIELDS[0].0.into(), FIELDS[0].1.into(), manager),
                    (FIELDS[1].0.into(), FIELDS[1].1.into(), nodes),
                    (FIELDS[2].0.into(), FIELDS[2].1.into(), services),
                    (
                        FIELDS[3].0.into(),
                        FIELDS[3].1.into(),
                        s("update-parallelism", "1")?,
                    ),
                    (
                        FIELDS[4].0.into(),
                        FIELDS[4].1.into(),
                        s("update-delay", "0s")?,
                    ),
                    (
                        FIELDS[5].0.into(),
                        FIELDS[5].1.into(),
                        s("stop-grace-period", "10s")?,
                    ),
                    (
                        FIELDS[6].0.into(),
                        FIELDS[6].1.into(),
                        s("deploy-timeout", "600")?,
                    ),
                ],
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for ok in ["10s", "500ms", "1m30s", "2h"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "10", "s", "1x", "-1s", "1s;x"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }
}
