//! The builder plugin: which builder builds an app. `builder:set APP selected NAME` forces one
//! (it answers `builder-detect` first, since `builder` sorts before every `builder-*` plugin);
//! `builder:set APP build-dir SUBDIR` builds a subfolder of the repository (its
//! `core-post-extract`, as Dokku's, moves that folder's contents to the top of the build folder
//! before any `post-extract`); `builder:set APP skip-cleanup true` keeps what a build leaves
//! behind (its build container, the image it replaced, the intermediate containers of a
//! Dockerfile build), as Dokku's. `builder:report [--global]`; `builder-get-property APP KEY`.
//!
//! Detection follows Dokku's order: the selected builder; else herokuish when its
//! `builder-detect` answers (a `.buildpacks` file, `BUILDPACK_URL` in the repository's `.env` or
//! in the app's config, buildpacks added); else `pack` for a `project.toml` (or the config var
//! `DOKKU_CNB_EXPERIMENTAL=1`), which this server has no builder for, so such a deploy fails
//! with one line saying so (answered here, at `pre-receive-app`); else a Dockerfile's
//! `dockerfile`; else herokuish. The builder a deploy used is kept as `builder-detected`.

use anyhow::{bail, Context, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{log, property};
use std::path::{Component, Path};

static PLUGIN: Plugin = Plugin {
    prefix: "builder",
    summary: "Manage builder settings for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a builder report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a builder property for an app (selected, build-dir, skip-cleanup)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builder-detect", trigger_detect),
        Trigger::new("builder-get-property", trigger_get_property),
        Trigger::new("core-post-extract", trigger_core_post_extract),
        Trigger::new("pre-receive-app", trigger_pre_receive_app),
    ],
};

fn main() {
    PLUGIN.main()
}

const PROPS: &str = "builder";

/// A property of the app, else the global one; `None` when neither is set.
fn app_or_global(app: &str, key: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn check_builder_name(v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        bail!("invalid builder {v:?}: use a builder name such as dockerfile, herokuish or null");
    }
    Ok(())
}

/// A relative path inside the repository: no `..`, not absolute, not empty.
fn check_build_dir(v: &str) -> Result<()> {
    let p = Path::new(v);
    let ok = !v.is_empty()
        && !v.chars().any(|c| c.is_control())
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        bail!("invalid build-dir {v:?}: use a folder of the repository, e.g. apps/web");
    }
    Ok(())
}

const USAGE: &str = "dokku builder:set [--global|<app>] <key> [<value>]";

/// The properties `builder:set` takes.
const KEYS: &[&str] = &["selected", "build-dir", "skip-cleanup"];

/// `builder:set [--global|APP] selected|build-dir|skip-cleanup [VALUE]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, USAGE, KEYS)?;
    match (c.key.as_str(), c.new_value()) {
        ("selected", Some(v)) => check_builder_name(v)?,
        ("build-dir", Some(v)) => check_build_dir(v)?,
        ("skip-cleanup", Some(v)) if v != "true" && v != "false" => {
            bail!("invalid skip-cleanup {v:?}: use true or false")
        }
        _ => {}
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("builder-build-dir", "Builder build dir"),
    ("builder-computed-build-dir", "Builder computed build dir"),
    ("builder-global-build-dir", "Builder global build dir"),
    ("builder-selected", "Builder selected"),
    ("builder-computed-selected", "Builder computed selected"),
    ("builder-global-selected", "Builder global selected"),
    ("builder-detected", "Builder detected"),
    ("builder-skip-cleanup", "Builder skip cleanup"),
    (
        "builder-computed-skip-cleanup",
        "Builder computed skip cleanup",
    ),
    ("builder-global-skip-cleanup", "Builder global skip cleanup"),
];

/// The rows of `builder:report --global`, as Dokku's.
const GLOBAL_FIELDS: &[&str] = &[
    "builder-global-build-dir",
    "builder-global-selected",
    "builder-computed-skip-cleanup",
    "builder-global-skip-cleanup",
];

/// Whether a build keeps what it leaves behind: the app's `skip-cleanup`, else the global
/// one, else `DOKKU_SKIP_CLEANUP` from the environment (as Dokku honours it when the property
/// is unset), else `false`.
fn skip_cleanup(app: &str) -> Result<bool> {
    Ok(match app_or_global(app, "skip-cleanup")? {
        Some(v) => v == "true",
        None => std::env::var("DOKKU_SKIP_CLEANUP").is_ok_and(|v| v == "true" || v == "1"),
    })
}

fn report_of(app: &str) -> Result<Report> {
    let global = app == property::GLOBAL;
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        if global && !GLOBAL_FIELDS.contains(key) {
            continue;
        }
        let value = match *key {
            "builder-build-dir" => property::get_or(PROPS, app, "build-dir", "")?,
            "builder-computed-build-dir" => app_or_global(app, "build-dir")?.unwrap_or_default(),
            "builder-global-build-dir" => {
                property::get_or(PROPS, property::GLOBAL, "build-dir", "")?
            }
            "builder-selected" => property::get_or(PROPS, app, "selected", "")?,
            "builder-computed-selected" => app_or_global(app, "selected")?.unwrap_or_default(),
            "builder-detected" => property::get_or(PROPS, app, "detected", "")?,
            "builder-skip-cleanup" => property::get_or(PROPS, app, "skip-cleanup", "")?,
            "builder-computed-skip-cleanup" => skip_cleanup(app)?.to_string(),
            "builder-global-skip-cleanup" => {
                property::get_or(PROPS, property::GLOBAL, "skip-cleanup", "")?
            }
            _ => property::get_or(PROPS, property::GLOBAL, "selected", "")?,
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    let heading = if global {
        "Global builder information".to_string()
    } else {
        format!("{app} builder information")
    };
    Ok(Report { heading, rows })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku builder:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// The name Dokku's detection gives Cloud Native Buildpacks builds.
const PACK: &str = "pack";

/// Trigger `builder-detect APP DIR`: the selected builder (the app's, else the global one);
/// else `pack` when the source has a `project.toml` (or the app's config has
/// `DOKKU_CNB_EXPERIMENTAL=1`) and no other enabled plugin's `builder-detect` names a builder
/// that comes first in Dokku's order (herokuish comes first, then pack, then dockerfile: see
/// `dokku_core::builders::claimed_before`).
fn trigger_detect(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    if !dokku_core::appname::is_valid(app) {
        return Ok(());
    }
    if let Some(b) = app_or_global(app, "selected")? {
        println!("{b}");
        return Ok(());
    }
    let pack = Path::new(dir).join("project.toml").is_file()
        || dokku_core::trigger_value("config-get", &[app, "DOKKU_CNB_EXPERIMENTAL"])?
            .is_some_and(|v| v == "1");
    if pack && !dokku_core::builders::claimed_before(PLUGIN.prefix, PACK, app, dir)? {
        println!("{PACK}");
    }
    Ok(())
}

/// Trigger `pre-receive-app APP BUILDER DIR REV`: keeps the builder as the app's
/// `builder-detected`; refuses `pack`, which this server cannot run.
fn trigger_pre_receive_app(argv: &[String]) -> Result<()> {
    let (Some(app), Some(builder)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    dokku_core::appname::validate(app)?;
    if builder == PACK {
        bail!(
            "{app}: the pack builder (Cloud Native Buildpacks, chosen for a project.toml) is not available on this server; choose another with builder:set {app} selected dockerfile|herokuish"
        );
    }
    check_builder_name(builder)?;
    property::write(PROPS, app, "detected", builder)
}

/// Trigger `builder-get-property APP KEY`: the app's own `selected`, `build-dir` or
/// `skip-cleanup` (APP may be `--global`), empty when unset; KEY `computed-skip-cleanup` gives
/// the value in effect for the app (`true` or `false`).
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let (Some(app), Some(key)) = (argv.first(), argv.get(1)) else {
        bail!("builder-get-property needs APP KEY");
    };
    if app != property::GLOBAL {
        dokku_core::appname::validate(app)?;
    }
    if key == "computed-skip-cleanup" {
        println!("{}", skip_cleanup(app)?);
        return Ok(());
    }
    if !KEYS.contains(&key.as_str()) {
        bail!(
            "invalid builder property {key:?}; valid: {}, computed-skip-cleanup",
            KEYS.join(", ")
        );
    }
    println!("{}", property::get_or(PROPS, app, key, "")?);
    Ok(())
}

/// Trigger `core-post-extract APP DIR REV`: with a build-dir, only that folder is built: its
/// contents replace the build folder's (before the `post-extract` of any plugin).
fn trigger_core_post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    let Some(sub) = app_or_global(app, "build-dir")? else {
        return Ok(());
    };
    check_build_dir(&sub)?;
    let dir = Path::new(dir);
    let src = dir.join(&sub);
    if !src.is_dir() {
        bail!("build-dir {sub} does not exist in the repository of {app}");
    }
    // Move the subfolder aside, clear the rest, then move its entries up.
    let holding = dir.join(format!(".dokku-build-dir-{}", std::process::id()));
    std::fs::rename(&src, &holding).with_context(|| format!("cannot move {}", src.display()))?;
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p == holding {
            continue;
        }
        if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        }
        .with_context(|| format!("cannot remove {}", p.display()))?;
    }
    for e in
        std::fs::read_dir(&holding).with_context(|| format!("cannot list {}", holding.display()))?
    {
        let p = e?.path();
        let to = dir.join(p.file_name().expect("entry has a name"));
        std::fs::rename(&p, &to).with_context(|| format!("cannot move {}", p.display()))?;
    }
    std::fs::remove_dir(&holding)
        .with_context(|| format!("cannot remove {}", holding.display()))?;
    log::info1(&format!("Building {app} from the {sub} folder"));
    Ok(())
}
