//! The herokuish builder: buildpacks (Heroku's v2a `bin/detect`, `bin/compile`, `bin/release`)
//! run in a container of a local stack image (`scripts/build-stack`), committed as
//! `dokku/APP:latest`, whose `/start TYPE` and `/exec CMD` run the app's processes.
//! Triggers `builder-detect APP DIR` (names `herokuish` when buildpacks are configured, even
//! beside a Dockerfile, as Dokku's), `builder-build herokuish APP DIR`, `builder-release herokuish APP
//! TAG`, `builder-image-is-herokuish APP IMAGE`, `post-delete APP` and `post-app-rename OLD NEW`
//! (which drop the app's build cache), `builder-herokuish-allowed APP`. Commands
//! `builder-herokuish:set|report` (`allowed`: whether herokuish may build the app; by default
//! only on amd64 hosts, as Dokku's).

mod build;
mod cache;
mod config;
mod sources;

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, builders, docker, log, property};
use std::path::Path;

static PLUGIN: Plugin = Plugin {
    prefix: "builder-herokuish",
    summary: "Manage the herokuish builder integration for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a builder-herokuish report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a builder-herokuish property for an app (allowed)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builder-detect", trigger_detect),
        Trigger::new("builder-build", trigger_build),
        Trigger::new("builder-release", trigger_release),
        Trigger::new("builder-image-is-herokuish", trigger_image_is_herokuish),
        Trigger::new("builder-herokuish-allowed", trigger_allowed),
        Trigger::new("post-delete", trigger_post_delete),
        Trigger::new("post-app-rename", trigger_post_app_rename),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
pub const BUILDER: &str = "herokuish";
const PROPS: &str = "builder-herokuish";

/// Whether herokuish may build the app: its own `allowed`, else the global one, else `true`
/// on an amd64 host and `false` on any other (most buildpacks are amd64-only).
pub fn allowed(app: &str) -> Result<bool> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, "allowed")?.filter(|v| !v.is_empty()) {
            return Ok(v == "true");
        }
    }
    Ok(std::env::consts::ARCH == "x86_64")
}

const SET_USAGE: &str = "dokku builder-herokuish:set [--global|<app>] <key> [<value>]";

/// `builder-herokuish:set [--global|APP] allowed [true|false]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, SET_USAGE, &["allowed"])?;
    if let Some(v) = c.new_value() {
        if v != "true" && v != "false" {
            bail!("invalid allowed {v:?}: use true or false");
        }
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "builder-herokuish-computed-allowed",
        "Builder herokuish computed allowed",
    ),
    (
        "builder-herokuish-global-allowed",
        "Builder herokuish global allowed",
    ),
    ("builder-herokuish-allowed", "Builder herokuish allowed"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = report::layered(PROPS, app, key, "allowed", || Ok(allowed(app)?.to_string()))?;
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} builder-herokuish information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku builder-herokuish:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// Trigger `builder-herokuish-allowed APP`: `true` when herokuish may build the app, else
/// `false`.
fn trigger_allowed(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("builder-herokuish-allowed needs APP");
    };
    appname::validate(app)?;
    println!("{}", allowed(app)?);
    Ok(())
}

/// Trigger `builder-detect APP DIR`: `herokuish` when buildpacks are configured (a
/// `.buildpacks` file, `BUILDPACK_URL` in the source's `.env` or in the app's config,
/// `buildpacks:add`), also beside a Dockerfile, as Dokku's; else nothing.
fn trigger_detect(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        bail!("builder-detect needs APP DIR");
    };
    if !appname::is_valid(app) {
        return Ok(());
    }
    if sources::configured(app, Path::new(dir))? {
        println!("{BUILDER}");
    }
    Ok(())
}

/// Trigger `builder-build BUILDER APP DIR`: builds with buildpacks when BUILDER is
/// `herokuish`.
fn trigger_build(argv: &[String]) -> Result<()> {
    let Some((app, dir)) = builders::build_opening(BUILDER, argv)? else {
        return Ok(());
    };
    if !allowed(app)? {
        bail!("herokuish may not build {app} (builder-herokuish allowed is false): allow it with builder-herokuish:set {app} allowed true, or build with a Dockerfile");
    }
    build::build(app, Path::new(dir))
}

/// Trigger `builder-image-is-herokuish APP IMAGE`: `true` when IMAGE was built by this builder
/// (its `com.dokku.builder-type` label says `herokuish`), else `false` (also for a missing
/// image).
fn trigger_image_is_herokuish(argv: &[String]) -> Result<()> {
    let (Some(app), Some(image)) = (argv.first(), argv.get(1)) else {
        bail!("builder-image-is-herokuish needs APP IMAGE");
    };
    appname::validate(app)?;
    if image.is_empty() || image.starts_with('-') {
        bail!("invalid image {image:?}");
    }
    let herokuish = docker::image_label(image, build::BUILDER_LABEL).is_ok_and(|b| b == BUILDER);
    println!("{herokuish}");
    Ok(())
}

/// Trigger `post-delete APP`: removes the app's build cache.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    cache::remove(app)
}

/// Trigger `post-app-rename OLD NEW`: the cache of the old name goes (the next build of the
/// new name starts a fresh one).
fn trigger_post_app_rename(argv: &[String]) -> Result<()> {
    let Some(old) = argv.first() else {
        bail!("post-app-rename needs OLD NEW");
    };
    appname::validate(old)?;
    if let Err(e) = cache::remove(old) {
        log::warn(&format!("{e:#}"));
    }
    Ok(())
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `herokuish`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (see
/// `docker::builder_release`).
fn trigger_release(argv: &[String]) -> Result<()> {
    docker::builder_release(BUILDER, argv)
}
