//! The checks plugin: whether a new container is fit to take over. Answers
//! `check-deploy APP CONTAINER_ID PROC_TYPE PORT IP` for the scheduler: the `healthchecks` of
//! the app's `app.json` for that process type (HTTP `path` on the published loopback port, with
//! `attempts`, `timeout`, `wait`, `initialDelay`, optional `content`; `uptime`), or by default
//! "the container is still running after `default-wait` seconds" (10); the app.json comes from
//! `app-json-get-content` (ps keeps it). Answers `checks-get-property APP KEY` for schedulers,
//! which ask rather than read checks' files. Commands `checks:disable|enable|skip|set|report`,
//! and `checks:run APP [PROC_TYPE[.N]]`, which runs the same checks against the running
//! containers (as the scheduler lists them through `scheduler-processes`) and names each one
//! that fails.

mod http;
mod legacy;
mod listen;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, docker, log, procfile, property, Exit};
use std::time::{Duration, Instant};

static PLUGIN: Plugin = Plugin {
    prefix: "checks",
    summary: "Manage zero-downtime settings",
    commands: &[
        Command {
            name: "disable",
            usage: "<app> [<process-type(s)>]",
            help: "Disable zero-downtime deployment for all or some process types",
            run: disable,
        },
        Command {
            name: "enable",
            usage: "<app> [<process-type(s)>]",
            help: "Enable zero-downtime deployment for all or some process types",
            run: enable,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a checks report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "run",
            usage: "<app> [<process-type>[.<n>]]",
            help: "Runs the app's checks against its running containers",
            run: run_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a checks property (wait-to-retire, default-wait, wait, timeout, attempts)",
            run: set,
        },
        Command {
            name: "skip",
            usage: "<app> [<process-type(s)>]",
            help: "Skip zero-downtime checks for all or some process types",
            run: skip,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("check-deploy", trigger_check_deploy),
        Trigger::new("checks-get-property", trigger_get_property),
        Trigger::new("install", legacy::trigger_install),
    ],
};

fn main() {
    PLUGIN.main()
}

const PROPS: &str = "checks";
const ALL: &str = "_all_";

/// The comma list stored under `key` (`disabled`, `skipped`).
fn list(app: &str, key: &str) -> Result<Vec<String>> {
    Ok(property::get_or(PROPS, app, key, "")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

fn write_list(app: &str, key: &str, v: &[String]) -> Result<()> {
    if v.is_empty() {
        property::delete(PROPS, app, key)
    } else {
        property::write(PROPS, app, key, &v.join(","))
    }
}

fn in_list(app: &str, key: &str, kind: &str) -> Result<bool> {
    Ok(list(app, key)?.iter().any(|t| t == ALL || t == kind))
}

/// The app and the process types (`_all_` when none) of disable/enable/skip.
fn app_and_types(argv: &[String], usage: &str) -> Result<(String, Vec<String>)> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let types = match a.pos(1) {
        None => vec![ALL.to_string()],
        Some(t) => {
            let v: Vec<String> = t.split(',').map(str::to_string).collect();
            for k in &v {
                procfile::validate_type(k)?;
            }
            v
        }
    };
    Ok((app, types))
}

/// Adds `types` to list `add` and removes them from list `remove`.
fn mark(app: &str, types: &[String], add: Option<&str>, remove: &[&str]) -> Result<()> {
    for key in remove {
        let kept: Vec<String> = if types.iter().any(|t| t == ALL) {
            Vec::new()
        } else {
            list(app, key)?
                .into_iter()
                .filter(|t| !types.contains(t))
                .collect()
        };
        write_list(app, key, &kept)?;
    }
    if let Some(key) = add {
        let mut v = if types.iter().any(|t| t == ALL) {
            Vec::new()
        } else {
            list(app, key)?
        };
        for t in types {
            if !v.contains(t) {
                v.push(t.clone());
            }
        }
        write_list(app, key, &v)?;
    }
    Ok(())
}

/// `checks:disable APP [TYPES]`: no zero-downtime (old containers stop first) and no checks.
fn disable(argv: &[String]) -> Result<()> {
    let (app, types) = app_and_types(argv, usage())?;
    mark(&app, &types, Some("disabled"), &["skipped"])?;
    log::info1(&format!(
        "Zero downtime is disabled for {app} ({})",
        types.join(",")
    ));
    Ok(())
}

/// `checks:enable APP [TYPES]`.
fn enable(argv: &[String]) -> Result<()> {
    let (app, types) = app_and_types(argv, usage())?;
    mark(&app, &types, None, &["disabled", "skipped"])?;
    log::info1(&format!(
        "Zero downtime is enabled for {app} ({})",
        types.join(",")
    ));
    Ok(())
}

/// `checks:skip APP [TYPES]`: zero-downtime kept, checks not run.
fn skip(argv: &[String]) -> Result<()> {
    let (app, types) = app_and_types(argv, usage())?;
    mark(&app, &types, Some("skipped"), &["disabled"])?;
    log::info1(&format!(
        "Zero downtime checks are skipped for {app} ({})",
        types.join(",")
    ));
    Ok(())
}

/// `checks:set [--global|APP] wait-to-retire|default-wait|wait|timeout|attempts [N]` (`wait`,
/// `timeout` and `attempts` are where Dokku keeps the retired `DOKKU_CHECKS_*` settings).
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(
        argv,
        usage(),
        &[
            "attempts",
            "default-wait",
            "timeout",
            "wait",
            "wait-to-retire",
        ],
    )?;
    if let Some(v) = c.new_value() {
        v.parse::<u32>()
            .ok()
            .filter(|n| *n <= 86_400)
            .with_context(|| {
                format!(
                    "{} must be a number of seconds (0 to 86400), not {v:?}",
                    c.key
                )
            })?;
    }
    c.apply(PROPS)
}

/// A number property of the app, else the global one, else `default`.
fn seconds(app: &str, key: &str, default: u64) -> Result<u64> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return v
                .parse()
                .with_context(|| format!("{key} {v:?} is not a number"));
        }
    }
    Ok(default)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("checks-disabled-list", "Checks disabled list"),
    ("checks-skipped-list", "Checks skipped list"),
    (
        "checks-computed-wait-to-retire",
        "Checks computed wait to retire",
    ),
    (
        "checks-global-wait-to-retire",
        "Checks global wait to retire",
    ),
    ("checks-wait-to-retire", "Checks wait to retire"),
    (
        "checks-computed-default-wait",
        "Checks computed default wait",
    ),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "checks-disabled-list" => property::get_or(PROPS, app, "disabled", "none")?,
            "checks-skipped-list" => property::get_or(PROPS, app, "skipped", "none")?,
            "checks-computed-wait-to-retire" => seconds(app, "wait-to-retire", 60)?.to_string(),
            "checks-global-wait-to-retire" => {
                property::get_or(PROPS, property::GLOBAL, "wait-to-retire", "")?
            }
            "checks-wait-to-retire" => property::get_or(PROPS, app, "wait-to-retire", "")?,
            _ => seconds(app, "default-wait", 10)?.to_string(),
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} checks information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Whether the container runs, and how often the engine restarted it.
fn container_state(id: &str) -> Result<(bool, u64)> {
    let s = docker::output([
        "inspect",
        "--format",
        "{{.State.Running}} {{.RestartCount}}",
        id,
    ])?;
    let mut it = s.split_whitespace();
    Ok((
        it.next() == Some("true"),
        it.next().and_then(|n| n.parse().ok()).unwrap_or(0),
    ))
}

/// The default check: still running, never restarted, after `wait` seconds. With `target`
/// (a web process with a published port), its port is watched meanwhile: a process that has
/// not listened on it by the end of the wait fails (it would never serve), and one that exits
/// fails at once.
fn uptime_check(id: &str, wait: u64, target: Option<&listen::Target>) -> Result<()> {
    log::verbose(&format!("Waiting {wait} s for the container to stay up"));
    let end = Instant::now() + Duration::from_secs(wait);
    let mut heard = target.is_none();
    loop {
        let (running, restarts) = container_state(id)?;
        if !running || restarts > 0 {
            bail!("the container exited (restarted {restarts} time(s)) within {wait} s");
        }
        if let Some(t) = target.filter(|_| !heard) {
            // Unreadable socket tables (None) tell nothing: Dokku's check alone then.
            heard = t.listening() != Some(false);
        }
        if Instant::now() >= end {
            break;
        }
        std::thread::sleep(Duration::from_millis(250).min(end - Instant::now()));
    }
    if let Some(t) = target.filter(|_| !heard) {
        bail!(
            "{} is not listening on port {} after {wait} s (the web process must listen on $PORT)",
            t.dyno,
            t.port
        );
    }
    Ok(())
}

/// Until `target` listens, at most `limit`: an HTTP attempt against a process that does not
/// listen yet would only fail. Without a target (or when nobody can tell), sleeps `limit`
/// when `sleep_anyway`.
fn until_listening(target: Option<&listen::Target>, limit: Duration, sleep_anyway: bool) {
    let end = Instant::now() + limit;
    match target {
        Some(t) if t.listening().is_some() => {
            while t.listening() == Some(false) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20).min(end - Instant::now()));
            }
        }
        _ if sleep_anyway => std::thread::sleep(limit),
        _ => {}
    }
}

fn num(v: &serde_json::Value, key: &str, default: u64) -> u64 {
    v.get(key).and_then(|x| x.as_u64()).unwrap_or(default)
}

/// One `app.json` healthcheck. With `target`, an attempt waits for the port to listen (at most
/// `timeout` before the first, `wait` between attempts) instead of failing against a process
/// still starting, and the wait after a refused connection ends as soon as it listens: the
/// check passes as soon as the app answers.
fn run_healthcheck(
    id: &str,
    port: Option<u16>,
    target: Option<&listen::Target>,
    check: &serde_json::Value,
) -> Result<()> {
    let name = check
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("healthcheck");
    std::thread::sleep(Duration::from_secs(num(check, "initialDelay", 0)));
    if let Some(up) = check.get("uptime").and_then(|u| u.as_u64()) {
        uptime_check(id, up, None)?;
    }
    let Some(path) = check.get("path").and_then(|p| p.as_str()) else {
        return Ok(());
    };
    let Some(port) = port else {
        log::verbose(&format!("{name}: no published port, path check skipped"));
        return Ok(());
    };
    let attempts = num(check, "attempts", 5).max(1);
    let timeout = Duration::from_secs(num(check, "timeout", 5).max(1));
    let wait = Duration::from_secs(num(check, "wait", 5));
    let content = check.get("content").and_then(|c| c.as_str());
    let mut last = String::new();
    until_listening(target, timeout, false);
    let mut refused = false;
    for attempt in 1..=attempts {
        if attempt > 1 {
            if refused {
                until_listening(target, wait, true);
            } else {
                std::thread::sleep(wait);
            }
        }
        refused = false;
        match http::get(port, path, timeout) {
            Ok((status, body)) if (200..400).contains(&status) => {
                if content.is_none_or(|c| body.contains(c)) {
                    log::verbose(&format!("{name}: {path} answered {status}"));
                    return Ok(());
                }
                last = format!(
                    "{path} answered {status} without {:?}",
                    content.unwrap_or("")
                );
            }
            Ok((status, _)) => last = format!("{path} answered {status}"),
            Err(e) => {
                refused = target.is_some_and(|t| t.listening() == Some(false));
                last = format!("{path}: {e:#}");
            }
        }
        log::verbose(&format!(
            "{name}: attempt {attempt}/{attempts} failed: {last}"
        ));
    }
    bail!("{name} failed after {attempts} attempt(s): {last}")
}

/// Trigger `check-deploy APP CONTAINER_ID PROC_TYPE PORT IP`.
fn trigger_check_deploy(argv: &[String]) -> Result<()> {
    let [app, id, kind, port, _ip] = argv else {
        bail!("check-deploy needs APP CONTAINER_ID PROC_TYPE PORT IP");
    };
    if in_list(app, "disabled", kind)? || in_list(app, "skipped", kind)? {
        log::verbose(&format!("Zero downtime checks are skipped for {kind}"));
        return Ok(());
    }
    let port: Option<u16> = port.parse().ok();
    let target = match port {
        Some(p) => listen::target(id, kind, p)?,
        None => None,
    };
    let checks = healthchecks(app, kind)?;
    if checks.is_empty() {
        let wait = seconds(app, "default-wait", 10)?;
        // A default-wait of 0 asks for no wait: nothing to watch then.
        return uptime_check(id, wait, target.as_ref().filter(|_| wait > 0));
    }
    run_checks(id, port, target.as_ref(), &checks)
}

/// The app.json `healthchecks` of a process type (from `app-json-get-content`).
fn healthchecks(app: &str, kind: &str) -> Result<Vec<serde_json::Value>> {
    Ok(dokku_core::contract::app_json(app)?
        .unwrap_or_default()
        .get("healthchecks")
        .and_then(|h| h.get(kind))
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default())
}

/// Runs `checks` against container `id` (web port `port` on 127.0.0.1); it must still run
/// afterwards.
fn run_checks(
    id: &str,
    port: Option<u16>,
    target: Option<&listen::Target>,
    checks: &[serde_json::Value],
) -> Result<()> {
    for c in checks {
        run_healthcheck(id, port, target, c)?;
    }
    let (running, _) = container_state(id)?;
    if !running {
        bail!("the container exited during its checks");
    }
    Ok(())
}

/// A `PROC_TYPE[.N]` filter of `checks:run`.
fn parse_target(t: &str) -> Result<(String, Option<u32>)> {
    let (kind, index) = match t.split_once('.') {
        Some((k, n)) => {
            let n: u32 = n.parse().ok().filter(|n| *n >= 1).with_context(|| {
                format!("invalid instance {t:?}: use PROC_TYPE or PROC_TYPE.N (N from 1)")
            })?;
            (k, Some(n))
        }
        None => (t, None),
    };
    procfile::validate_type(kind)?;
    Ok((kind.to_string(), index))
}

/// `checks:run APP [PROC_TYPE[.N]]`: the app.json healthchecks of each running container's
/// process type (without any: the container is running and was never restarted), one line per
/// container; exits 1 when any failed.
fn run_cmd(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let filter = a.pos(1).map(|t| parse_target(t)).transpose()?;
    let sched = dokku_core::scheduler(&app)?;
    let text =
        dokku_core::trigger_value("scheduler-processes", &[&sched, &app])?.unwrap_or_default();
    let mut targets = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [kind, index, state, id, _node] = f.as_slice() else {
            continue;
        };
        let Ok(index) = index.parse::<u32>() else {
            continue;
        };
        if let Some((k, n)) = &filter {
            if k != kind || n.is_some_and(|n| n != index) {
                continue;
            }
        }
        targets.push((kind.to_string(), index, state.to_string(), id.to_string()));
    }
    if targets.is_empty() {
        match a.pos(1) {
            Some(t) => bail!("{app} has no container {t}"),
            None => bail!("{app} has no containers to check (not deployed?)"),
        }
    }
    log::info1(&format!("Running checks for {app}"));
    let mut failed = 0;
    for (kind, index, state, id) in &targets {
        let short: String = id.chars().take(12).collect();
        let name = format!("{kind}.{index} ({short})");
        let result = (|| -> Result<()> {
            if state != "running" {
                bail!("the container is {state}");
            }
            let port = if kind == "web" {
                dokku_core::contract::listeners(&app, kind)?
                    .get(*index as usize - 1)
                    .and_then(|l| l.rsplit_once(':'))
                    .and_then(|(_, p)| p.parse().ok())
            } else {
                None
            };
            let checks = healthchecks(&app, kind)?;
            if checks.is_empty() {
                let (running, restarts) = container_state(id)?;
                if !running || restarts > 0 {
                    bail!("the container is not up (restarted {restarts} time(s))");
                }
                return Ok(());
            }
            run_checks(id, port, None, &checks)
        })();
        match result {
            Ok(()) => log::info2(&format!("{name}: checks passed")),
            Err(e) => {
                failed += 1;
                log::error(&format!("{name}: checks failed: {e:#}"));
            }
        }
    }
    if failed > 0 {
        return Err(Exit(1).into());
    }
    Ok(())
}

/// Trigger `checks-get-property APP KEY`: a checks property as computed for the app:
/// `wait-to-retire` and `default-wait` (seconds: the app's, else the global, else 60 and 10),
/// `disabled` and `skipped` (comma lists of process types, `_all_` for every one; empty when
/// none).
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let [app, key, ..] = argv else {
        bail!("checks-get-property needs APP KEY");
    };
    appname::verify(app)?;
    let value = match key.as_str() {
        "wait-to-retire" => seconds(app, "wait-to-retire", 60)?.to_string(),
        "default-wait" => seconds(app, "default-wait", 10)?.to_string(),
        "disabled" | "skipped" => list(app, key)?.join(","),
        other => bail!(
            "invalid checks property {other:?}; valid: default-wait, disabled, skipped, wait-to-retire"
        ),
    };
    println!("{value}");
    Ok(())
}
