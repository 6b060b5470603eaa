//! The app-json plugin: the `app.json` of each release. At `post-extract` it takes the file at
//! the app's `appjson-path` (default `app.json`, relative to the repository root) from the
//! source and keeps it as pending; the release reads it through `app-json-get-content APP`,
//! and once the release serves (`post-deploy` of a release) it becomes the app's deployed copy
//! (`$DOKKU_LIB_ROOT/data/app-json/APP/app.json`). A failed deploy leaves the previous copy in
//! place, and the pending one is dropped when the deploy ends failed (`builds-record-finalize`).
//! Commands `app-json:set [--global|APP] appjson-path [PATH]` and `app-json:report`;
//! triggers `app-json-get-content`, `app-json-is-valid`, `app-json-restore` (a rollback's
//! app.json), `post-extract`, `post-deploy`, `post-delete`, `post-app-rename`. app.json is
//! HuJSON as in Dokku (`//` and `/* */` comments, trailing commas): it is kept as its standard
//! JSON.

mod failed;
mod restore;
mod validate;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, log, property};
use std::path::{Path, PathBuf};

static PLUGIN: Plugin = Plugin {
    prefix: "app-json",
    summary: "Manage app-json settings for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays an app-json report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear an app-json property (appjson-path)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("app-json-get-content", trigger_get_content),
        Trigger::new("app-json-is-valid", trigger_is_valid),
        Trigger::new("app-json-restore", restore::trigger_restore),
        Trigger::new("builds-record-finalize", failed::trigger_finalize),
        Trigger::new("post-extract", trigger_post_extract),
        Trigger::new("post-deploy", trigger_post_deploy),
        Trigger::new("post-delete", trigger_post_delete),
        Trigger::new("post-app-rename", trigger_post_app_rename),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which app-json keeps its values.
const PROPS: &str = "app-json";
/// Where app.json is looked for when nothing is set.
const DEFAULT_PATH: &str = "app.json";
const FILE: &str = "app.json";
const SET_USAGE: &str = "dokku app-json:set [--global|<app>] <key> [<value>]";

/// The folder where the app's deployed app.json (and the pending one) live.
fn data_dir(app: &str) -> PathBuf {
    dokku_core::paths().lib_root.join("data/app-json").join(app)
}

/// The app's appjson-path: its own, else the global one, else `app.json`.
fn computed_path(app: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, "appjson-path")?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(DEFAULT_PATH.to_string())
}

/// `app-json:set [--global|APP] appjson-path [PATH]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, SET_USAGE, &["appjson-path"])?;
    if let Some(v) = c.new_value() {
        validate::relative_path(v)?;
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "app-json-computed-appjson-path",
        "App json computed appjson path",
    ),
    (
        "app-json-global-appjson-path",
        "App json global appjson path",
    ),
    ("app-json-appjson-path", "App json appjson path"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = report::layered(PROPS, app, key, "appjson-path", || computed_path(app))?;
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} app json information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku app-json:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// Whether the running deploy releases a new build (ps says so in `DOKKU_DEPLOY_KIND`).
fn releasing() -> bool {
    std::env::var("DOKKU_DEPLOY_KIND").is_ok_and(|k| k == "release")
}

/// Reads a file, `None` when it does not exist.
fn read_opt(p: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(p) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// The app.json that counts now: during a release the one extracted from the new source
/// (when there is one pending), else the deployed one; `None` when the app has none.
fn current_content(app: &str) -> Result<Option<String>> {
    let dir = data_dir(app);
    let pending = dir.join("pending");
    if releasing() && pending.is_dir() {
        return read_opt(&pending.join(FILE));
    }
    read_opt(&dir.join(FILE))
}

/// Trigger `app-json-get-content APP`: the app's app.json (see [`current_content`]); nothing
/// when it has none.
fn trigger_get_content(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("app-json-get-content needs APP");
    };
    appname::verify(app)?;
    if let Some(t) = current_content(app)? {
        print!("{t}");
    }
    Ok(())
}

/// Trigger `app-json-is-valid APP [FILE]`: exits 0 when FILE (else the app's current
/// app.json) is a valid app.json, or when the app has none; otherwise says why on stderr and
/// exits 1.
fn trigger_is_valid(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("app-json-is-valid needs APP [FILE]");
    };
    appname::verify(app)?;
    let text = match argv.get(1).filter(|f| !f.is_empty()) {
        Some(f) => read_opt(Path::new(f))?.with_context(|| format!("{f} does not exist"))?,
        None => match current_content(app)? {
            Some(t) => t,
            None => return Ok(()),
        },
    };
    validate::content(&text).context("app.json is not valid")?;
    Ok(())
}

/// Trigger `post-extract APP DIR [REV]`: keeps the source's app.json (at the app's
/// appjson-path) as pending for the release; a file that is not valid app.json fails the push
/// before the build. No file: the release has no app.json.
fn trigger_post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        bail!("post-extract needs APP DIR");
    };
    appname::validate(app)?;
    let rel = computed_path(app)?;
    validate::relative_path(&rel)?;
    // Kept as standard JSON (HuJSON comments and trailing commas removed), so every reader of
    // `app-json-get-content` gets JSON.
    let text = match dokku_core::source::read_inside(Path::new(dir), &rel)? {
        Some(t) => {
            Some(validate::content(&t).with_context(|| format!("{rel} is not a valid app.json"))?)
        }
        None => None,
    };
    let pending = data_dir(app).join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    std::fs::create_dir_all(&pending)
        .with_context(|| format!("cannot create {}", pending.display()))?;
    if let Some(t) = text {
        plugn::atomic::write(&pending.join(FILE), t.as_bytes(), 0o644)?;
        log::verbose(&format!("Using {rel} as app.json"));
    }
    Ok(())
}

/// Trigger `post-deploy APP …`: after a release, the pending app.json becomes the deployed
/// one (or the app has none when the new source had none).
fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    appname::validate(app)?;
    let dir = data_dir(app);
    let pending = dir.join("pending");
    if !releasing() || !pending.is_dir() {
        return Ok(());
    }
    let new = pending.join(FILE);
    let cur = dir.join(FILE);
    if new.exists() {
        std::fs::rename(&new, &cur).with_context(|| format!("cannot install {}", cur.display()))?;
    } else if cur.exists() {
        std::fs::remove_file(&cur).with_context(|| format!("cannot remove {}", cur.display()))?;
    }
    std::fs::remove_dir_all(&pending).with_context(|| format!("cannot clear {}", pending.display()))
}

/// Trigger `post-delete APP`: the kept app.json goes with the app.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    dokku_core::appdata::forget(argv, data_dir)
}

/// Trigger `post-app-rename OLD NEW`: the kept app.json moves with the app.
fn trigger_post_app_rename(argv: &[String]) -> Result<()> {
    dokku_core::appdata::follow_rename(argv, data_dir)
}
