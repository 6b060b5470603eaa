//! The dockerfile builder: `builder-detect` names `dockerfile` when the source has the app's
//! Dockerfile (`Dockerfile`, or the `dockerfile-path` of `builder-dockerfile:set`) and neither
//! herokuish nor pack is detected (Dokku's order);
//! `builder-build dockerfile APP DIR` runs `docker build` of that file with the app's build
//! options (`docker-args-build`), Dokku's labels, and the tag `dokku/APP:latest`, its output
//! streaming as it comes (with `builder:set APP skip-cleanup true`, the intermediate containers
//! stay). Fires `pre-build-dockerfile APP` then `pre-build BUILDER APP DIR` before the build,
//! `docker-args-build` and `docker-args-process-build APP dockerfile` for its options,
//! `post-build-dockerfile APP` then `post-build BUILDER APP DIR` after it, as Dokku's.
//! `builder-release dockerfile APP TAG` fires `pre-release-builder` / `post-release-builder`.
//! Commands `builder-dockerfile:set|report`.

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, builders, docker, log, property, trigger, trigger_value};
use std::path::{Component, Path};

static PLUGIN: Plugin = Plugin {
    prefix: "builder-dockerfile",
    summary: "Manage the dockerfile builder integration for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a builder-dockerfile report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a builder-dockerfile property for an app (dockerfile-path)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builder-detect", trigger_detect),
        Trigger::new("builder-build", trigger_build),
        Trigger::new("builder-release", trigger_release),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
const BUILDER: &str = "dockerfile";
const PROPS: &str = "builder-dockerfile";
const DEFAULT_PATH: &str = "Dockerfile";

/// A file path inside the repository: relative, no `..`, no control characters.
fn check_path(v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 1024
        && !v.chars().any(|c| c.is_control())
        && Path::new(v)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        bail!("invalid dockerfile-path {v:?}: use a file of the repository, e.g. docker/Dockerfile.web");
    }
    Ok(())
}

/// The Dockerfile the app builds from: its own `dockerfile-path`, else the global one, else
/// `Dockerfile`.
fn dockerfile_path(app: &str) -> Result<String> {
    Ok(set_path(app)?.unwrap_or_else(|| DEFAULT_PATH.to_string()))
}

const SET_USAGE: &str = "dokku builder-dockerfile:set [--global|<app>] <key> [<value>]";

/// `builder-dockerfile:set [--global|APP] dockerfile-path [PATH]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, SET_USAGE, &["dockerfile-path"])?;
    if let Some(v) = c.new_value() {
        check_path(v)?;
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "builder-dockerfile-computed-dockerfile-path",
        "Builder dockerfile computed dockerfile path",
    ),
    (
        "builder-dockerfile-global-dockerfile-path",
        "Builder dockerfile global dockerfile path",
    ),
    (
        "builder-dockerfile-dockerfile-path",
        "Builder dockerfile dockerfile path",
    ),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = report::layered(PROPS, app, key, "dockerfile-path", || dockerfile_path(app))?;
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} builder-dockerfile information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku builder-dockerfile:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// The `dockerfile-path` set for the app (its own, else the global one), if any.
fn set_path(app: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, "dockerfile-path")?.filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Trigger `builder-detect APP DIR`: `dockerfile` when DIR has a `Dockerfile`, or when a
/// `dockerfile-path` is set for the app (a path the repository lacks then fails the build, as
/// Dokku's, rather than falling to another builder) — unless, as in Dokku, another enabled
/// plugin's `builder-detect` names a builder that comes first in Dokku's order (herokuish for
/// `.buildpacks` or `BUILDPACK_URL`, pack for `project.toml`: see
/// `dokku_core::builders::claimed_before`).
fn trigger_detect(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    let set = if appname::is_valid(app) {
        set_path(app)?
    } else {
        None
    };
    if (set.is_some() || Path::new(dir).join(DEFAULT_PATH).is_file())
        && !builders::claimed_before(PLUGIN.prefix, BUILDER, app, dir)?
    {
        println!("{BUILDER}");
    }
    Ok(())
}

/// Whether the build keeps what it leaves behind (`builder:set APP skip-cleanup`, through
/// Trigger `builder-get-property APP computed-skip-cleanup`).
fn skip_cleanup(app: &str) -> Result<bool> {
    Ok(
        trigger_value("builder-get-property", &[app, "computed-skip-cleanup"])?.as_deref()
            == Some("true"),
    )
}

/// Trigger `builder-build BUILDER APP DIR`.
fn trigger_build(argv: &[String]) -> Result<()> {
    let Some((app, dir)) = builders::build_opening(BUILDER, argv)? else {
        return Ok(());
    };
    let path = dockerfile_path(app)?;
    check_path(&path)?;
    let file = Path::new(dir).join(&path);
    if !file.is_file() {
        bail!("{app}: the dockerfile builder needs {path} in the repository (builder-dockerfile:set {app} dockerfile-path)");
    }
    trigger("pre-build-dockerfile", &[app])?;
    trigger("pre-build", &[BUILDER, app, dir])?;
    let mut args: Vec<String> = vec!["build".into(), "--pull=false".into()];
    // A failed step's container goes too (`--force-rm`), so failed builds leave nothing behind;
    // `skip-cleanup` keeps every intermediate container.
    args.push(if skip_cleanup(app)? {
        "--rm=false".into()
    } else {
        "--force-rm".into()
    });
    args.extend(["--file".into(), file.display().to_string()]);
    args.extend(docker::labels(app));
    args.extend([
        "--label".into(),
        format!("com.dokku.builder-type={BUILDER}"),
        "-t".into(),
        docker::app_image(app, "latest"),
    ]);
    args.extend(docker::build_args(app, BUILDER)?);
    args.push(dir.to_string());
    log::info1(&format!("Building {app} with {path}"));
    docker::stream(&args)?;
    trigger("post-build-dockerfile", &[app])?;
    trigger("post-build", &[BUILDER, app, dir])
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `dockerfile`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (see
/// `docker::builder_release`).
fn trigger_release(argv: &[String]) -> Result<()> {
    docker::builder_release(BUILDER, argv)
}
