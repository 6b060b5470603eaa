//! The cron plugin: an app's scheduled tasks, the `cron` entries of its deployed app.json
//! (`command`, `schedule`, `concurrency_policy`, `maintenance`), run by the host's cron daemon
//! (Debian's `cron`) in one-off containers of the app through its scheduler's `scheduler-run`,
//! as Dokku's cron plugin does. Commands `cron:list|report|run|set|suspend|resume`; triggers
//! `pre-deploy` (the tasks are validated: a bad one fails the deploy), `post-deploy`,
//! `post-delete`, `post-app-rename` (the crontab is regenerated), `docker-args-run` (a task's
//! container carries `com.dokku.cron-id`), `scheduler-uses-host-cron` (`true` for
//! docker-local) and `cron-get-property`; fires `cron-entries SCHEDULER` so that other plugins
//! add their own lines.

mod crontab;
mod id;
mod runner;
mod schedule;
mod tasks;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Format, Report};
use dokku_core::{appname, args, log, property};

static PLUGIN: Plugin = Plugin {
    prefix: "cron",
    summary: "Manage scheduled cron tasks",
    commands: &[
        Command {
            name: "list",
            usage: "<app> [--format stdout|json]",
            help: "List scheduled cron tasks for an app",
            run: list,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Display a cron report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "resume",
            usage: "<app> <cron_id>",
            help: "Resume a suspended cron task",
            run: resume,
        },
        Command {
            name: "run",
            usage: "[--detach] <app> <cron_id>",
            help: "Run a cron task on the fly",
            run: runner::command,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> <value>",
            help: "Set or clear a cron property (mailfrom, mailto: global; maintenance)",
            run: set,
        },
        Command {
            name: "suspend",
            usage: "<app> <cron_id>",
            help: "Suspend a cron task",
            run: suspend,
        },
    ],
    bare_commands: &[],
    triggers: &[
        // Ours: a plugin's `cron-entries` answer changed (letsencrypt:cron-job): rewrite now.
        Trigger::new("cron-entries-changed", trigger_write),
        Trigger::new("cron-get-property", trigger_get_property),
        Trigger::new("docker-args-run", runner::trigger_docker_args_run),
        Trigger::new("post-app-rename", trigger_write),
        Trigger::new("post-delete", trigger_write),
        Trigger::new("post-deploy", trigger_write),
        Trigger::new("pre-deploy", trigger_pre_deploy),
        Trigger::new("scheduler-uses-host-cron", trigger_uses_host_cron),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which cron keeps its values.
pub const PROPS: &str = "cron";

/// The properties `cron:set` accepts, and whether each is global only.
const KEYS: &[(&str, bool)] = &[("mailfrom", true), ("mailto", true), ("maintenance", false)];

/// `cron:list APP [--format stdout|json]`.
fn list(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let format = Format::parse(a.value("--format"))?;
    let tasks = tasks::of_app(&app)?;
    if format == Format::Json {
        let v: Vec<serde_json::Value> = tasks.iter().map(tasks::Task::json).collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(());
    }
    let mut rows = vec![[
        "ID".to_string(),
        "Schedule".to_string(),
        "Concurrency".to_string(),
        "Suspended".to_string(),
        "Maintenance".to_string(),
        "Command".to_string(),
    ]];
    for t in &tasks {
        rows.push([
            t.id.clone(),
            t.schedule.clone(),
            t.concurrency_policy.clone(),
            t.suspended.to_string(),
            t.maintenance.to_string(),
            t.command.clone(),
        ]);
    }
    let mut width = [0usize; 6];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == r.len() - 1 {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        println!("{}", line.trim_end());
    }
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("cron-computed-maintenance", "Cron computed maintenance"),
    ("cron-global-mailfrom", "Cron global mailfrom"),
    ("cron-global-mailto", "Cron global mailto"),
    ("cron-global-maintenance", "Cron global maintenance"),
    ("cron-maintenance", "Cron maintenance"),
    ("cron-task-count", "Cron task count"),
];

fn report_of(app: &str) -> Result<Report> {
    let get = |scope: &str, key: &str| property::get_or(PROPS, scope, key, "");
    // A task list that cannot be read counts 0 (the deploy refused it); the global scope
    // has none.
    let count = if app == property::GLOBAL {
        0
    } else {
        tasks::of_app(app).map(|t| t.len()).unwrap_or(0)
    };
    let values = [
        tasks::app_maintenance(app)?.to_string(),
        get(property::GLOBAL, "mailfrom")?,
        get(property::GLOBAL, "mailto")?,
        get(property::GLOBAL, "maintenance")?,
        get(app, "maintenance")?,
        count.to_string(),
    ];
    Ok(Report {
        heading: format!("{app} cron information"),
        rows: REPORT_FIELDS
            .iter()
            .zip(values)
            .map(|((k, l), v)| (k.to_string(), l.to_string(), v))
            .collect(),
    })
}

/// `cron:report [APP|--global] [--format stdout|json] [--cron-FLAG]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// `cron:set [--global|APP] KEY [VALUE]`: `mailfrom` and `mailto` are global only,
/// `maintenance` is `true` or `false`; the crontab is regenerated.
fn set(argv: &[String]) -> Result<()> {
    let usage = usage();
    let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    let c = property::SetCommand::parse(argv, usage, &keys)?;
    let global_only = KEYS.iter().any(|(k, g)| *k == c.key && *g);
    if global_only && !c.is_global() {
        bail!(
            "Property {} cannot be specified on a per-app basis; use --global",
            c.key
        );
    }
    if let Some(v) = c.new_value() {
        match c.key.as_str() {
            "maintenance" if v != "true" && v != "false" => {
                bail!("Invalid value for maintenance: {v:?}; valid: true, false")
            }
            "mailto" | "mailfrom" => {
                let ok = v.len() <= 254
                    && !v.contains(char::is_whitespace)
                    && !v.contains(['"', '\'', '%', '\\', '\0']);
                if !ok {
                    bail!(
                        "Invalid value for {}: {v:?}: expected an email address",
                        c.key
                    );
                }
            }
            _ => {}
        }
    }
    let _lock = crontab::lock()?;
    c.apply(PROPS)?;
    drop(_lock);
    crontab::write()
}

/// The app and a task ID of it, for `suspend` and `resume`.
fn app_and_task(argv: &[String], usage: &str) -> Result<(String, tasks::Task)> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(want) = a.pos(1) else {
        bail!("Please specify a cron id; usage: {usage}");
    };
    find(&app, want)
}

/// The task `want` of `app`, or Dokku-style refusal.
pub fn find(app: &str, want: &str) -> Result<(String, tasks::Task)> {
    if !id::is_valid(want) {
        bail!("Invalid cron id {want:?}");
    }
    match tasks::of_app(app)?.into_iter().find(|t| t.id == want) {
        Some(t) => Ok((app.to_string(), t)),
        None => bail!("No cron task with id {want} for app {app} (see dokku cron:list {app})"),
    }
}

/// `cron:suspend APP ID`: the task stays listed but the host's cron no longer runs it.
fn suspend(argv: &[String]) -> Result<()> {
    let (app, task) = app_and_task(argv, usage())?;
    change_suspended(&app, &task.id, true)?;
    log::info1(&format!("Suspended cron task {}", task.id));
    crontab::write()
}

/// `cron:resume APP ID`.
fn resume(argv: &[String]) -> Result<()> {
    let (app, task) = app_and_task(argv, usage())?;
    change_suspended(&app, &task.id, false)?;
    log::info1(&format!("Resumed cron task {}", task.id));
    crontab::write()
}

fn change_suspended(app: &str, id: &str, on: bool) -> Result<()> {
    let _lock = crontab::lock()?;
    let mut ids = tasks::suspended_ids(app)?;
    ids.retain(|i| i != id);
    if on {
        ids.push(id.to_string());
    }
    tasks::set_suspended_ids(app, &ids)
}

/// Triggers that regenerate the crontab (`post-deploy`, `post-delete`, `post-app-rename`).
fn trigger_write(_argv: &[String]) -> Result<()> {
    crontab::write()
}

/// Trigger `pre-deploy APP TAG`: the new release's tasks must be valid, else the deploy fails.
fn trigger_pre_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("pre-deploy needs APP");
    };
    appname::verify(app)?;
    let appjson = dokku_core::contract::app_json(app)?;
    let tasks = tasks::parse(app, appjson.as_ref())?;
    if !tasks.is_empty() {
        log::info1(&format!("Validated {} cron task(s)", tasks.len()));
    }
    Ok(())
}

/// Trigger `scheduler-uses-host-cron SCHEDULER`: `true` for docker-local, whose tasks the host's
/// cron runs.
fn trigger_uses_host_cron(argv: &[String]) -> Result<()> {
    if argv.first().map(String::as_str) == Some("docker-local") {
        println!("true");
    }
    Ok(())
}

/// Trigger `cron-get-property APP KEY` (or `--global KEY`): the value of a cron property;
/// `maintenance` is the computed one.
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let [app, key] = argv else {
        bail!("cron-get-property: expected APP KEY");
    };
    if app != property::GLOBAL {
        appname::verify(app)?;
    }
    let value = match key.as_str() {
        "maintenance" if app != property::GLOBAL => tasks::app_maintenance(app)?.to_string(),
        "mailfrom" | "mailto" => property::get_or(PROPS, property::GLOBAL, key, "")?,
        "maintenance" => property::get_or(PROPS, property::GLOBAL, key, "")?,
        other => bail!("cron-get-property: invalid property {other:?}"),
    };
    println!("{value}");
    Ok(())
}
