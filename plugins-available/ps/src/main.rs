//! The ps plugin: an app's processes. Keeps the release's Procfile (from `procfile-path`) and
//! the scale (app.json comes from the app-json plugin through `app-json-get-content`), runs the release step (`release-and-deploy`), and drives the scheduler through its
//! triggers: `ps:scale|start|stop|restart|rebuild|restore|report|inspect|set`. Fires Dokku's
//! `pre-start`, `post-stop`, `pre-restore`, `scheduler-pre-restore`, `core-post-deploy` and
//! `post-deploy`. Answers `app-restart` (a config change restarts a deployed app),
//! `post-extract`, `post-delete`, `post-app-rename`, and, for schedulers and other plugins
//! (which ask rather than read ps's files), `ps-can-scale`, `ps-current-scale`,
//! `ps-get-property`, `ps-set-scale`, `procfile-get-command` and `ps-procfile`. Properties
//! (`ps:set [--global|APP]`): `restart-policy`, `restore`, `procfile-path`, `skip-deploy`, `start-cmd`,
//! `dockerfile-start-cmd`, `stop-timeout-seconds`.

mod failed_build;
mod parallel;
mod procfile_restore;
mod props;
mod release;
mod restore;
mod store;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::procfile;
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, docker, log, property, trigger, trigger_value};
use store::data_dir;

static PLUGIN: Plugin = Plugin {
    prefix: "ps",
    summary: "Manage app processes",
    commands: &[
        Command {
            name: "inspect",
            usage: "<app>",
            help: "Displays a sanitized version of docker inspect for an app",
            run: inspect,
        },
        Command {
            name: "rebuild",
            usage: "[--parallel <count>] [--all|<app>]",
            help: "Rebuilds an app from its source",
            run: rebuild,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a process report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "restart",
            usage: "[--parallel <count>] [--all|<app>] [<process-type>]",
            help: "Restart an app, or one process type of it (zero downtime)",
            run: restart,
        },
        Command {
            name: "restore",
            usage: "[--all|<app>]",
            help: "Start apps that should be running (after a reboot)",
            run: restore::restore,
        },
        Command {
            name: "scale",
            usage: "[--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]",
            help: "Get or set how many instances of a given process to run",
            run: scale,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a ps property (procfile-path, restart-policy, restore, skip-deploy, start-cmd, dockerfile-start-cmd, stop-timeout-seconds)",
            run: set,
        },
        Command {
            name: "start",
            usage: "[--parallel <count>] [--all|<app>]",
            help: "Start an app",
            run: start,
        },
        Command {
            name: "stop",
            usage: "[--parallel <count>] [--all|<app>]",
            help: "Stop an app",
            run: stop,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("post-extract", release::trigger_post_extract),
        Trigger::new("release-and-deploy", release::trigger_release_and_deploy),
        Trigger::new("app-restart", trigger_app_restart),
        Trigger::new("post-delete", trigger_post_delete),
        Trigger::new("install", trigger_install),
        Trigger::new("post-app-rename", trigger_post_app_rename),
        Trigger::new("ps-can-scale", trigger_ps_can_scale),
        Trigger::new("ps-current-scale", trigger_ps_current_scale),
        Trigger::new("ps-get-property", trigger_ps_get_property),
        Trigger::new("ps-procfile-restore", procfile_restore::trigger_restore),
        Trigger::new("builds-record-finalize", failed_build::trigger_finalize),
        Trigger::new("ps-set-scale", trigger_ps_set_scale),
        Trigger::new("procfile-get-command", trigger_procfile_get_command),
        Trigger::new("ps-procfile", trigger_ps_procfile),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which ps keeps its values.
pub const PROPS: &str = "ps";

/// Whether the app was deployed (and its image is still there).
fn is_deployed(app: &str) -> Result<bool> {
    Ok(
        property::get(PROPS, app, "deployed")?.as_deref() == Some("true")
            && docker::image_exists(&docker::app_image(app, "latest")),
    )
}

fn is_stopped(app: &str) -> Result<bool> {
    Ok(property::get(PROPS, app, "stopped")?.as_deref() == Some("true"))
}

/// The apps a command works on: `--all`, or one existing app.
fn target_apps(argv: &[String], usage: &str) -> Result<Vec<String>> {
    Ok(parallel::Targets::parse(argv, usage, 1)?.apps)
}

fn require_deployed(app: &str) -> Result<()> {
    if !is_deployed(app)? {
        bail!("App {app} has not been deployed");
    }
    Ok(())
}

/// `ps:stop [--all|APP]`: `scheduler-stop SCHEDULER APP false` (containers kept), then
/// `post-stop APP`, for each app.
fn stop(argv: &[String]) -> Result<()> {
    let t = parallel::Targets::parse(argv, "dokku ps:stop [--parallel <count>] [--all|<app>]", 1)?;
    t.run(|app| {
        let sched = dokku_core::scheduler(app)?;
        trigger("scheduler-stop", &[&sched, app, "false"])?;
        property::write(PROPS, app, "stopped", "true")?;
        trigger("post-stop", &[app])
    })
}

/// Fires `pre-start APP`; a failure stops the start with Dokku's message.
fn pre_start(app: &str) -> Result<()> {
    trigger("pre-start", &[app]).map_err(|e| match dokku_core::exit_code(&e) {
        Some(c) => anyhow::anyhow!("Failure in pre-start hook of {app} (exit {c})"),
        None => e.context(format!("Failure in pre-start hook of {app}")),
    })
}

/// Starts an app's stopped containers, or deploys its image when it has none; `pre-start APP`
/// first.
fn start_app(app: &str) -> Result<()> {
    pre_start(app)?;
    let sched = dokku_core::scheduler(app)?;
    match trigger("scheduler-start", &[&sched, app]) {
        Ok(()) => {
            property::delete(PROPS, app, "stopped")?;
            Ok(())
        }
        Err(e) if dokku_core::exit_code(&e) == Some(1) => release::redeploy(app),
        Err(e) => Err(e),
    }
}

/// `ps:start [--parallel COUNT] [--all|APP]`.
fn start(argv: &[String]) -> Result<()> {
    let t = parallel::Targets::parse(argv, "dokku ps:start [--parallel <count>] [--all|<app>]", 1)?;
    t.run(|app| {
        require_deployed(app)?;
        start_app(app)
    })
}

/// `ps:restart [--parallel COUNT] [--all|APP] [PROC_TYPE]`: a zero-downtime redeploy of the
/// current image; with PROC_TYPE only that process type's containers are replaced.
fn restart(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku ps:restart [--parallel <count>] [--all|<app>] [<process-type>]";
    let t = parallel::Targets::parse(argv, USAGE, 2)?;
    let only = t.extra.clone();
    if let (Some(kind), [app]) = (&only, t.apps.as_slice()) {
        procfile::validate_type(kind)?;
        let procs = store::deployed(app)?;
        let known = procs.iter().any(|p| p.kind == *kind) || (procs.is_empty() && kind == "web");
        if !known {
            bail!("{app} has no process type {kind}");
        }
    }
    t.run(|app| {
        require_deployed(app)?;
        pre_start(app)?;
        match &only {
            Some(kind) => log::info1(&format!("Restarting {kind} of {app}")),
            None => log::info1(&format!("Restarting {app}")),
        }
        release::redeploy_only(app, only.as_deref())
    })
}

/// `ps:rebuild [--parallel COUNT] [--all|APP]`: builds the app from its source again
/// (`receive-app APP`).
fn rebuild(argv: &[String]) -> Result<()> {
    let t = parallel::Targets::parse(
        argv,
        "dokku ps:rebuild [--parallel <count>] [--all|<app>]",
        1,
    )?;
    t.run(|app| {
        log::info1(&format!("Rebuilding {app}"));
        trigger("receive-app", &[app])
    })
}

/// `ps:scale [--skip-deploy] [--format stdout|json] APP [TYPE=COUNT…]`.
fn scale(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--skip-deploy"], &["--format"])?;
    let format = a.value("--format").unwrap_or("stdout");
    if !matches!(format, "stdout" | "json") {
        bail!("invalid --format {format:?}: use stdout or json");
    }
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let wanted = &a.positional[1..];
    if format == "json" && !wanted.is_empty() {
        bail!("--format applies to showing the scale, not to setting it");
    }
    if format == "json" {
        let list: Vec<serde_json::Value> = current_scale(&app)?
            .into_iter()
            .map(|(k, n)| serde_json::json!({"process_type": k, "quantity": n}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    if wanted.is_empty() {
        log::info2(&format!("Scaling for {app}"));
        println!("proctype: qty");
        println!("--------: ---");
        for (k, n) in current_scale(&app)? {
            println!("{k}: {n}");
        }
        return Ok(());
    }
    if !can_scale(&app)? {
        bail!("App {app} cannot be scaled by hand: its builder turned scaling off (ps-can-scale)");
    }
    set_scale(&app, a.has("--skip-deploy"), false, wanted)
}

/// Whether `ps:scale` may change the app's scale (`ps-can-scale APP false` turns it off).
fn can_scale(app: &str) -> Result<bool> {
    Ok(property::get_or(PROPS, app, "can-scale", "true")? != "false")
}

/// The scale ps:scale shows: every process type of the deployed Procfile with its count, or
/// the scale file as set before a deploy.
fn current_scale(app: &str) -> Result<Vec<(String, u32)>> {
    let procs = store::deployed(app)?;
    if procs.is_empty() {
        store::scale(app)
    } else {
        store::effective_scale(app, &procs)
    }
}

/// Sets the scale of `wanted` (`TYPE=COUNT` each; with `clear_existing` the other types are
/// forgotten) and redeploys a running app unless `skip_deploy`.
fn set_scale(app: &str, skip_deploy: bool, clear_existing: bool, wanted: &[String]) -> Result<()> {
    let procs = store::deployed(app)?;
    let mut changes = Vec::new();
    for w in wanted {
        let Some((k, n)) = w.split_once('=') else {
            bail!("invalid scale {w:?}: use TYPE=COUNT, e.g. web=2");
        };
        procfile::validate_type(k)?;
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| *n <= 100)
            .with_context(|| format!("invalid count {n:?} for {k}: use 0 to 100"))?;
        let known = procs.iter().any(|p| p.kind == k) || (procs.is_empty() && k == "web");
        if !procs.is_empty() && !known {
            bail!("{app} has no process type {k} in its Procfile");
        }
        changes.push((k.to_string(), n));
    }
    store::update_scale(app, |s| {
        if clear_existing {
            s.clear();
        }
        for (k, n) in changes {
            match s.iter_mut().find(|(e, _)| *e == k) {
                Some(e) => e.1 = n,
                None => s.push((k, n)),
            }
        }
    })?;
    log::info1(&format!("Scaling {app}: {}", wanted.join(" ")));
    if !skip_deploy && is_deployed(app)? && !is_stopped(app)? {
        release::redeploy(app)?;
    }
    Ok(())
}

/// `ps:set [--global|APP] KEY [VALUE]` (keys in [`props::KEYS`]); the value is checked before
/// anything is written.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(
        argv,
        "dokku ps:set [--global|<app>] <key> [<value>]",
        props::KEYS,
    )?;
    if let Some(v) = c.new_value() {
        match c.key.as_str() {
            "restart-policy" => validate_restart_policy(v)?,
            k => props::validate(k, v)?,
        }
    }
    c.apply(PROPS)
}

/// Docker's restart policies: `no`, `always`, `unless-stopped`, `on-failure[:N]`.
fn validate_restart_policy(v: &str) -> Result<()> {
    let ok = matches!(v, "no" | "always" | "unless-stopped" | "on-failure")
        || v.strip_prefix("on-failure:")
            .is_some_and(|n| n.parse::<u32>().is_ok());
    if !ok {
        bail!("Invalid restart-policy specified: {v:?} (use no, always, unless-stopped or on-failure[:N])");
    }
    Ok(())
}

/// `ps:inspect APP`.
fn inspect(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, "dokku ps:inspect <app>")?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let sched = dokku_core::scheduler(&app)?;
    trigger("scheduler-inspect", &[&sched, &app])
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("deployed", "Deployed"),
    ("processes", "Processes"),
    ("ps-can-scale", "Ps can scale"),
    ("ps-computed-procfile-path", "Ps computed procfile path"),
    ("ps-global-procfile-path", "Ps global procfile path"),
    ("ps-procfile-path", "Ps procfile path"),
    ("ps-computed-restart-policy", "Ps computed restart policy"),
    ("ps-global-restart-policy", "Ps global restart policy"),
    ("ps-restart-policy", "Ps restart policy"),
    ("ps-restore", "Ps restore"),
    ("ps-computed-skip-deploy", "Ps computed skip deploy"),
    ("ps-global-skip-deploy", "Ps global skip deploy"),
    ("ps-skip-deploy", "Ps skip deploy"),
    ("ps-computed-start-cmd", "Ps computed start cmd"),
    ("ps-global-start-cmd", "Ps global start cmd"),
    ("ps-start-cmd", "Ps start cmd"),
    (
        "ps-computed-dockerfile-start-cmd",
        "Ps computed dockerfile start cmd",
    ),
    (
        "ps-global-dockerfile-start-cmd",
        "Ps global dockerfile start cmd",
    ),
    ("ps-dockerfile-start-cmd", "Ps dockerfile start cmd"),
    (
        "ps-computed-stop-timeout-seconds",
        "Ps computed stop timeout seconds",
    ),
    (
        "ps-global-stop-timeout-seconds",
        "Ps global stop timeout seconds",
    ),
    ("ps-stop-timeout-seconds", "Ps stop timeout seconds"),
    ("running", "Running"),
    ("status", "Status"),
];

fn report_of(app: &str) -> Result<Report> {
    let deployed = is_deployed(app)?;
    let (status, app_status) = if deployed {
        let sched = dokku_core::scheduler(app)?;
        (
            trigger_value("scheduler-status", &[&sched, app])?.unwrap_or_default(),
            trigger_value("scheduler-app-status", &[&sched, app])?.unwrap_or_default(),
        )
    } else {
        (String::new(), String::new())
    };
    let lines: Vec<&str> = status.lines().filter(|l| !l.trim().is_empty()).collect();
    // `PROCS RUNNING`, as Dokku's scheduler-app-status answers (`2 true`).
    let mut words = app_status.split_whitespace();
    let procs = words.next().unwrap_or("0").to_string();
    let running = words.next().unwrap_or("false").to_string();
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "deployed" => deployed.to_string(),
            "processes" => procs.clone(),
            "ps-can-scale" => can_scale(app)?.to_string(),
            "ps-computed-restart-policy" => computed(app, "restart-policy", "on-failure:10")?,
            "ps-global-restart-policy" => {
                property::get_or(PROPS, property::GLOBAL, "restart-policy", "")?
            }
            "ps-restart-policy" => property::get_or(PROPS, app, "restart-policy", "")?,
            "ps-restore" => property::get_or(PROPS, app, "restore", "true")?,
            "running" => running.clone(),
            "status" => lines.join(", "),
            k => props::report_value(app, k)?,
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    if deployed {
        rows.extend(process_rows(app)?);
    }
    Ok(Report {
        heading: format!("{app} ps information"),
        rows,
    })
}

/// One report row per process instance, as the app's scheduler lists them (Trigger
/// `scheduler-processes SCHEDULER APP`: `TYPE<TAB>INDEX<TAB>STATE<TAB>ID<TAB>NODE` lines):
/// `Status web 1: running (CID: 0123456789ab)`, with `, node NODE` when NODE is not `local`.
fn process_rows(app: &str) -> Result<Vec<(String, String, String)>> {
    let sched = dokku_core::scheduler(app)?;
    let text = trigger_value("scheduler-processes", &[&sched, app])?.unwrap_or_default();
    Ok(parse_processes(&text))
}

/// The rows of `scheduler-processes` output; lines that are not five tab-separated fields are
/// skipped.
fn parse_processes(text: &str) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [kind, index, state, id, node] = f.as_slice() else {
            continue;
        };
        if procfile::validate_type(kind).is_err() || index.parse::<u32>().is_err() {
            continue;
        }
        let cid: String = id.chars().take(12).collect();
        let mut value = format!("{state} (CID: {cid}");
        if !node.is_empty() && *node != "local" {
            value.push_str(&format!(", node {node}"));
        }
        value.push(')');
        rows.push((
            format!("status-{kind}-{index}"),
            format!("Status {kind} {index}"),
            value,
        ));
    }
    rows
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku ps:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// Trigger `app-restart APP`: a deployed, running app is redeployed with its new config.
fn trigger_app_restart(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    if !appname::exists(app) || !is_deployed(app)? || is_stopped(app)? {
        return Ok(());
    }
    log::info1(&format!("Restarting {app}"));
    release::redeploy(app)
}

/// Trigger `post-delete APP IMAGE_TAG`: the kept release files go with the app.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    dokku_core::appdata::forget(argv, data_dir)
}

/// Trigger `install`: drains every app's legacy `$DOKKU_ROOT/APP/DOKKU_SCALE` into the ps
/// property `scale` (Dokku 0.38's place), naming each file moved.
fn trigger_install(_argv: &[String]) -> Result<()> {
    for app in dokku_core::appname::all()? {
        if store::migrate_scale(&app)? {
            log::info1(&format!(
                "Migrated the DOKKU_SCALE of {app} to ps properties"
            ));
        }
    }
    Ok(())
}

/// Trigger `post-app-rename OLD NEW`: the kept release files move with the app.
fn trigger_post_app_rename(argv: &[String]) -> Result<()> {
    dokku_core::appdata::follow_rename(argv, data_dir)
}

/// Trigger `ps-can-scale APP CAN_SCALE`: whether `ps:scale` may change the app's scale by hand
/// (`true` or `false`; a builder that sets the scale itself turns it off).
fn trigger_ps_can_scale(argv: &[String]) -> Result<()> {
    let [app, value, ..] = argv else {
        bail!("ps-can-scale needs APP CAN_SCALE");
    };
    appname::verify(app)?;
    match value.as_str() {
        "true" => property::delete(PROPS, app, "can-scale"),
        "false" => property::write(PROPS, app, "can-scale", "false"),
        other => bail!("ps-can-scale: CAN_SCALE must be true or false, not {other:?}"),
    }
}

/// The first argument (the app), checked to exist.
fn app_arg<'a>(argv: &'a [String], what: &str) -> Result<&'a str> {
    let Some(app) = argv.first() else {
        bail!("{what} needs APP");
    };
    appname::verify(app)?;
    Ok(app)
}

/// Trigger `ps-current-scale APP`: how many instances a scheduler runs, one `TYPE=COUNT` line
/// per process type of the deployed Procfile (`web` 1 and the others 0 unless `ps:scale` or
/// app.json's `formation` said otherwise); without a Procfile `web=N` alone (N as scaled, else
/// 1: the image's own command).
fn trigger_ps_current_scale(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "ps-current-scale")?;
    let procs = store::deployed(app)?;
    let scale = if procs.is_empty() {
        store::effective_scale(
            app,
            &[procfile::Process {
                kind: "web".into(),
                command: String::new(),
            }],
        )?
    } else {
        store::effective_scale(app, &procs)?
    };
    let text: String = scale.iter().map(|(k, n)| format!("{k}={n}\n")).collect();
    print!("{text}");
    Ok(())
}

/// Trigger `ps-procfile APP`: the text of the app's deployed Procfile (nothing when it has
/// none), for plugins that record it (releases) without reading ps's files.
fn trigger_ps_procfile(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "ps-procfile")?;
    print!("{}", store::deployed_text(app)?);
    Ok(())
}

/// Trigger `ps-get-property APP KEY`: a ps property as computed for the app: the app's value,
/// else a global one, else the default (`restart-policy`, default `on-failure:10`; `restore`,
/// default `true`; `can-scale`, as `ps-can-scale` set it, default `true`; `procfile-path`,
/// default `Procfile`; `skip-deploy`, default `false`; `start-cmd`, `dockerfile-start-cmd`
/// and `stop-timeout-seconds`, empty when unset).
fn trigger_ps_get_property(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "ps-get-property")?;
    let Some(key) = argv.get(1) else {
        bail!("ps-get-property needs APP KEY");
    };
    let value = match key.as_str() {
        "restart-policy" => computed(app, "restart-policy", "on-failure:10")?,
        "restore" => computed(app, "restore", "true")?,
        "can-scale" => can_scale(app)?.to_string(),
        k if props::KEYS.contains(&k) => props::computed(app, k)?,
        other => bail!(
            "invalid ps property {other:?}; valid: can-scale, {}",
            props::KEYS.join(", ")
        ),
    };
    println!("{value}");
    Ok(())
}

/// A ps property of the app, else the global one, else `default`.
pub fn computed(app: &str, key: &str, default: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(default.to_string())
}

/// Trigger `ps-set-scale APP SKIP_DEPLOY CLEAR_EXISTING TYPE=COUNT…`: sets the scale as
/// `ps:scale` does (`CLEAR_EXISTING` true forgets the types not given; `SKIP_DEPLOY` true
/// leaves the running containers alone).
fn trigger_ps_set_scale(argv: &[String]) -> Result<()> {
    let [app, skip, clear, wanted @ ..] = argv else {
        bail!("ps-set-scale needs APP SKIP_DEPLOY CLEAR_EXISTING TYPE=COUNT…");
    };
    appname::verify(app)?;
    let flag = |name: &str, v: &str| match v {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => Err(anyhow::anyhow!(
            "ps-set-scale: {name} must be true or false, not {v:?}"
        )),
    };
    let (skip, clear) = (flag("SKIP_DEPLOY", skip)?, flag("CLEAR_EXISTING", clear)?);
    if wanted.is_empty() {
        bail!("ps-set-scale needs at least one TYPE=COUNT");
    }
    set_scale(app, skip, clear, wanted)
}

/// `command` with `$PORT` and `${PORT}` replaced by `port` (other variables are left to the
/// container's shell).
fn substitute_port(command: &str, port: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix("{PORT}") {
            out.push_str(port);
            rest = tail;
        } else if let Some(tail) = after
            .strip_prefix("PORT")
            .filter(|t| !t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        {
            out.push_str(port);
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Trigger `procfile-get-command APP PROC_TYPE PORT`: the command of that process type in the
/// deployed Procfile with `$PORT` replaced by PORT; nothing when the app has no such type. For
/// `web`, `dockerfile-start-cmd` (images built from a Dockerfile) or else `start-cmd`, when
/// set, takes the place of the Procfile's command or the image's CMD.
fn trigger_procfile_get_command(argv: &[String]) -> Result<()> {
    let [app, kind, rest @ ..] = argv else {
        bail!("procfile-get-command needs APP PROC_TYPE PORT");
    };
    appname::verify(app)?;
    procfile::validate_type(kind)?;
    let port = rest.first().map(String::as_str).unwrap_or("5000");
    if kind == "web" {
        if let Some(cmd) = props::start_cmd_override(app)? {
            println!("{}", substitute_port(&cmd, port));
            return Ok(());
        }
    }
    if let Some(p) = store::deployed(app)?.iter().find(|p| p.kind == *kind) {
        println!("{}", substitute_port(&p.command, port));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_rows() {
        let rows = parse_processes(
            "web\t1\trunning\t0123456789abcdef\tlocal\nworker\t2\texited\tabc\tnode-2\nbad line\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1, "Status web 1");
        assert_eq!(rows[0].2, "running (CID: 0123456789ab)");
        assert_eq!(rows[1].0, "status-worker-2");
        assert_eq!(rows[1].2, "exited (CID: abc, node node-2)");
    }

    #[test]
    fn port_substitution() {
        assert_eq!(substitute_port("srv -p $PORT", "5000"), "srv -p 5000");
        assert_eq!(substitute_port("srv -p ${PORT}x", "80"), "srv -p 80x");
        assert_eq!(substitute_port("a $PORTS $X $", "1"), "a $PORTS $X $");
    }
}
