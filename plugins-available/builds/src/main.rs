//! The builds plugin (Dokku 0.38's build tracking): every deploy's record and full output,
//! kept per app under `$DOKKU_LIB_ROOT/data/builds/APP`. Commands `builds:list|info|output|
//! cancel|prune|report|set`; answers `builds-generate-id`, `builds-record-start`,
//! `builds-record-finalize` (Dokku's), `builds-log-path` (ours: where the core tees the
//! deploy's output), `post-delete` and `post-app-rename-setup`.

mod cancel;
mod store;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Format, Report};
use dokku_core::{appname, args, log, property};
use store::{Build, PROPS};

static PLUGIN: Plugin = Plugin {
    prefix: "builds",
    summary: "Manage running and historical builds",
    commands: &[
        Command {
            name: "cancel",
            usage: "<app>",
            help: "Cancel a running build for an app",
            run: cancel::command,
        },
        Command {
            name: "info",
            usage: "<app> <build-id> [--format json]",
            help: "Show details for a single build",
            run: info,
        },
        Command {
            name: "list",
            usage: "[<app>] [--format json] [--kind build|deploy] [--status STATUS]",
            help: "List builds (running across all apps, or running + history for one)",
            run: list,
        },
        Command {
            name: "output",
            usage: "<app> [<build-id>|current|previous]",
            help: "Show build output (follows a running build, prints a finished one)",
            run: output,
        },
        Command {
            name: "prune",
            usage: "<app>|--all-apps",
            help: "Reap abandoned records and apply retention",
            run: prune,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Display a build report",
            run: report_command,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a builds property (retention)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builds-generate-id", trigger_generate_id),
        Trigger::new("builds-log-path", trigger_log_path),
        Trigger::new("builds-record-finalize", trigger_finalize),
        Trigger::new("builds-record-start", trigger_start),
        Trigger::new("post-app-rename-setup", trigger_rename),
        Trigger::new("post-delete", trigger_post_delete),
    ],
};

fn main() {
    PLUGIN.main()
}

/// `kind` of a record from the command that started it, as Dokku derives it: `build` for
/// paths that make a new image (push, `git:*`, `ps:rebuild`), `deploy` for the others.
fn kind_of(source: &str) -> &'static str {
    if source.starts_with("git") || source == "ps:rebuild" || source == "receive-app" {
        "build"
    } else {
        "deploy"
    }
}

fn trigger_generate_id(_argv: &[String]) -> Result<()> {
    println!("{}", store::new_id());
    Ok(())
}

/// `builds-record-start APP ID PID SOURCE`: the record, status `running`.
fn trigger_start(argv: &[String]) -> Result<()> {
    let [app, id, pid, source] = argv else {
        bail!("builds-record-start needs APP BUILD_ID PID SOURCE");
    };
    appname::validate(app)?;
    store::valid_id(id)?;
    let Ok(pid) = pid.parse::<i32>() else {
        bail!("builds-record-start: invalid pid {pid:?}");
    };
    let _l = store::lock(app)?;
    let b = Build {
        id: id.clone(),
        app: app.clone(),
        kind: kind_of(source).into(),
        pid,
        pid_start: store::proc_start(pid).unwrap_or(0),
        started_at: store::now(),
        finished_at: None,
        status: "running".into(),
        source: source.clone(),
        exit_code: None,
    };
    store::write(&b)
}

/// `builds-log-path APP ID`: the file the core tees the deploy's output into.
fn trigger_log_path(argv: &[String]) -> Result<()> {
    let [app, id] = argv else {
        bail!("builds-log-path needs APP BUILD_ID");
    };
    appname::validate(app)?;
    store::valid_id(id)?;
    println!("{}", store::log_path(app, id).display());
    Ok(())
}

/// `builds-record-finalize APP ID EXIT_CODE`: `succeeded` or `failed`; a record already
/// finished (a cancel got there first) is left as it is. Then retention is applied.
fn trigger_finalize(argv: &[String]) -> Result<()> {
    let [app, id, code] = argv else {
        bail!("builds-record-finalize needs APP BUILD_ID EXIT_CODE");
    };
    appname::validate(app)?;
    store::valid_id(id)?;
    let Ok(code) = code.parse::<i32>() else {
        bail!("builds-record-finalize: invalid exit code {code:?}");
    };
    {
        let _l = store::lock(app)?;
        if let Some(mut b) = store::read(app, id)? {
            if b.status == "running" {
                b.finished_at = Some(store::now());
                b.exit_code = Some(code);
                b.status = if code == 0 { "succeeded" } else { "failed" }.into();
                store::write(&b)?;
            }
        }
    }
    store::prune(app)?;
    Ok(())
}

fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    let dir = store::app_dir(app);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", dir.display()))?;
    }
    property::destroy(PROPS, app)
}

fn trigger_rename(argv: &[String]) -> Result<()> {
    let [old, new, ..] = argv else {
        bail!("post-app-rename-setup needs OLD NEW");
    };
    appname::validate(old)?;
    appname::validate(new)?;
    let (from, to) = (store::app_dir(old), store::app_dir(new));
    if from.exists() && !to.exists() {
        std::fs::rename(&from, &to)
            .map_err(|e| anyhow::anyhow!("cannot move {}: {e}", from.display()))?;
        for mut b in store::all(new)? {
            b.app = new.clone();
            store::write(&b)?;
        }
    }
    Ok(())
}

/// An existing app given as the first positional argument.
fn the_app(a: &args::Args, usage: &str) -> Result<String> {
    let Some(app) = a.pos(0).cloned() else {
        bail!("no app given; usage: {usage}");
    };
    appname::verify(&app)?;
    Ok(app)
}

fn json_of(b: &Build) -> serde_json::Value {
    let mut v = serde_json::to_value(b).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("pid_start");
        o.insert("status".into(), b.display_status().into());
        o.insert(
            "log_path".into(),
            store::log_path(&b.app, &b.id).display().to_string().into(),
        );
    }
    v
}

/// `builds:list [APP] [--format json] [--kind K] [--status S]`: without an app the builds
/// running on every app; with one its running builds and history, newest first.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format", "--kind", "--status"])?;
    a.at_most(1, usage())?;
    let format = Format::parse(a.value("--format"))?;
    let kind = a.value("--kind");
    if let Some(k) = kind {
        if k != "build" && k != "deploy" {
            bail!("invalid --kind {k:?}: use build or deploy");
        }
    }
    let status = a.value("--status");
    if let Some(s) = status {
        if !["running", "succeeded", "failed", "canceled", "abandoned"].contains(&s) {
            bail!("invalid --status {s:?}: use running, succeeded, failed, canceled or abandoned");
        }
    }
    let mut builds: Vec<Build> = match a.pos(0) {
        Some(app) => {
            appname::verify(app)?;
            let mut v = store::all(app)?;
            v.reverse();
            v
        }
        None => {
            let mut v = Vec::new();
            for app in appname::all()? {
                v.extend(
                    store::all(&app)?
                        .into_iter()
                        .filter(|b| b.display_status() == "running"),
                );
            }
            v
        }
    };
    builds.retain(|b| kind.is_none_or(|k| b.kind == k));
    builds.retain(|b| status.is_none_or(|s| b.display_status() == s));
    if format == Format::Json {
        let v: Vec<serde_json::Value> = builds.iter().map(json_of).collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(());
    }
    match a.pos(0) {
        Some(app) => log::info2(&format!("{app} builds")),
        None => log::info2("Currently running builds"),
    }
    let mut rows = vec![[
        "App", "Build ID", "Kind", "Status", "PID", "Source", "Started",
    ]
    .map(String::from)];
    for b in &builds {
        rows.push([
            b.app.clone(),
            b.id.clone(),
            b.kind.clone(),
            b.display_status(),
            b.pid.to_string(),
            b.source.clone(),
            b.started_at.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:w$}", w = widths[i]))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(())
}

/// The record `which` names: an id, `current` (the running build) or `previous` (the most
/// recent finished one).
fn resolve(app: &str, which: &str) -> Result<Build> {
    let all = store::all(app)?;
    match which {
        "current" => all
            .into_iter()
            .rev()
            .find(|b| b.display_status() == "running")
            .ok_or_else(|| anyhow::anyhow!("no build is running for {app}")),
        "previous" => all
            .into_iter()
            .rev()
            .find(|b| b.display_status() != "running")
            .ok_or_else(|| anyhow::anyhow!("{app} has no finished build")),
        id => {
            store::valid_id(id)?;
            store::read(app, id)?.ok_or_else(|| anyhow::anyhow!("{app} has no build {id}"))
        }
    }
}

/// `builds:info APP ID [--format json]`.
fn info(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(2, usage)?;
    let format = Format::parse(a.value("--format"))?;
    let app = the_app(&a, usage)?;
    let Some(id) = a.pos(1) else {
        bail!("no build id given; usage: {usage}");
    };
    let b = resolve(&app, id)?;
    if format == Format::Json {
        println!("{}", json_of(&b));
        return Ok(());
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    let rows = [
        ("Build ID", b.id.clone()),
        ("App", b.app.clone()),
        ("Kind", b.kind.clone()),
        ("Status", b.display_status()),
        ("PID", b.pid.to_string()),
        ("Source", b.source.clone()),
        ("Started", b.started_at.clone()),
        ("Finished", opt(b.finished_at.clone())),
        ("Duration", b.duration()),
        ("Exit Code", opt(b.exit_code.map(|c| c.to_string()))),
        ("Log", store::log_path(&b.app, &b.id).display().to_string()),
    ];
    log::info2(&format!("Build {}", b.id));
    for (k, v) in rows {
        println!("       {:<11} {v}", format!("{k}:"));
    }
    Ok(())
}

/// `builds:output APP [ID|current|previous]`: a finished build's log, or a running one's
/// followed until the build ends. Without an id: the running build, else the latest.
fn output(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage())?;
    let app = the_app(&a, usage())?;
    let b = match a.pos(1) {
        Some(which) => resolve(&app, which)?,
        None => match resolve(&app, "current") {
            Ok(b) => b,
            Err(_) => store::all(&app)?
                .pop()
                .ok_or_else(|| anyhow::anyhow!("{app} has no build yet"))?,
        },
    };
    let path = store::log_path(&app, &b.id);
    let mut out = std::io::stdout().lock();
    if b.display_status() != "running" {
        let mut f = std::fs::File::open(&path)
            .map_err(|e| anyhow::anyhow!("no output kept for build {} of {app}: {e}", b.id))?;
        std::io::copy(&mut f, &mut out)?;
        return Ok(());
    }
    let (app2, id) = (app.clone(), b.id.clone());
    // Stops one poll after the build is seen finished, so the last lines are drained.
    let seen_done = std::cell::Cell::new(false);
    let finished = move || {
        if seen_done.get() {
            return true;
        }
        let done = store::read(&app2, &id)
            .ok()
            .flatten()
            .is_none_or(|b| b.display_status() != "running");
        seen_done.set(done);
        false
    };
    // Wait (briefly) for the log file: the core opens it right after the record is made.
    for _ in 0..50 {
        if path.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    plugn::events::tail_and_follow(&path, usize::MAX, &mut out, &finished)
}

/// `builds:prune APP|--all-apps`.
fn prune(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--all-apps"], &[])?;
    a.at_most(1, usage)?;
    let apps = if a.has("--all-apps") {
        if a.pos(0).is_some() {
            bail!("give an app or --all-apps, not both; usage: {usage}");
        }
        appname::all()?
    } else {
        vec![the_app(&a, usage)?]
    };
    for app in apps {
        let n = store::prune(&app)?;
        log::info1(&format!("Pruned {n} build record(s) of {app}"));
    }
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("build-id", "Build id"),
    ("build-kind", "Build kind"),
    ("build-status", "Build status"),
    ("build-pid", "Build pid"),
    ("build-source", "Build source"),
    ("build-started-at", "Build started at"),
    ("build-finished-at", "Build finished at"),
    ("build-exit-code", "Build exit code"),
    ("builds-retention", "Builds retention"),
    ("builds-global-retention", "Builds global retention"),
    ("builds-computed-retention", "Builds computed retention"),
];

fn report_of(app: &str) -> Result<Report> {
    let last = store::all(app)?.pop();
    let f = |g: &dyn Fn(&Build) -> String| last.as_ref().map(g).unwrap_or_default();
    let values = [
        f(&|b| b.id.clone()),
        f(&|b| b.kind.clone()),
        f(&|b| b.display_status()),
        f(&|b| b.pid.to_string()),
        f(&|b| b.source.clone()),
        f(&|b| {
            store::parse_time(&b.started_at)
                .map(|t| t.to_string())
                .unwrap_or_default()
        }),
        f(&|b| {
            b.finished_at
                .as_deref()
                .and_then(store::parse_time)
                .map(|t| t.to_string())
                .unwrap_or_default()
        }),
        f(&|b| b.exit_code.map(|c| c.to_string()).unwrap_or_default()),
        store::retention_setting(app)?.unwrap_or_default(),
        store::retention_setting(property::GLOBAL)?.unwrap_or_default(),
        store::computed_retention(app)?.to_string(),
    ];
    Ok(Report {
        heading: format!("{app} builds information"),
        rows: REPORT_FIELDS
            .iter()
            .zip(values)
            .map(|((k, l), v)| (k.to_string(), l.to_string(), v))
            .collect(),
    })
}

/// `builds:report [APP] [--format stdout|json] [--FLAG]`.
fn report_command(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// `builds:set [--global|APP] retention [N]`: N a whole number of at least 1; no value unsets.
/// Lowering it prunes the app's records at once.
fn set(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku builds:set [--global|<app>] retention [<value>]";
    let cmd = property::SetCommand::parse(argv, USAGE, &["retention"])?;
    if let Some(v) = cmd.new_value() {
        match v.parse::<usize>() {
            Ok(n) if (1..=100_000).contains(&n) => {}
            _ => bail!("invalid retention {v:?}: a whole number from 1 to 100000"),
        }
    }
    cmd.apply(PROPS)?;
    let apps = if cmd.is_global() {
        appname::all()?
    } else {
        vec![cmd.scope.clone()]
    };
    for app in apps {
        store::prune(&app)?;
    }
    Ok(())
}
