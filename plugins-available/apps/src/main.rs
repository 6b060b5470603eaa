//! The apps plugin: an app is its folder `$DOKKU_ROOT/APP`. Commands `apps:create|destroy|list|
//! exists|rename|clone|report|lock|unlock|locked|set`; triggers `app-exists`, `app-maybe-create`,
//! `deploy-source-set` and `install`.

mod lifecycle;
mod lock;
mod settings;

use anyhow::{bail, Result};
use dokku_core::appname::{self, app_dir};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Format, Report};
use dokku_core::{args, log, property, Exit};
use std::io::Write;

static PLUGIN: Plugin = Plugin {
    prefix: "apps",
    summary: "Manage apps",
    commands: &[
        Command {
            name: "default",
            usage: "",
            help: "List your apps (as apps:list)",
            run: list,
        },
        Command {
            name: "clone",
            usage: "[--skip-deploy] [--ignore-existing] <old-app> <new-app>",
            help: "Clones an app",
            run: lifecycle::clone,
        },
        Command {
            name: "create",
            usage: "<app>",
            help: "Create a new app",
            run: lifecycle::create,
        },
        Command {
            name: "destroy",
            usage: "[--force] <app>",
            help: "Permanently destroy an app",
            run: lifecycle::destroy,
        },
        Command {
            name: "exists",
            usage: "<app>",
            help: "Checks if an app exists",
            run: exists,
        },
        Command {
            name: "list",
            usage: "[--format stdout|json]",
            help: "List your apps",
            run: list,
        },
        Command {
            name: "lock",
            usage: "<app>",
            help: "Locks an app for deployment",
            run: lock::lock,
        },
        Command {
            name: "locked",
            usage: "<app>",
            help: "Checks if an app is locked for deployment",
            run: lock::locked,
        },
        Command {
            name: "rename",
            usage: "[--skip-deploy] <old-app> <new-app>",
            help: "Rename an app",
            run: lifecycle::rename,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Display report about an app",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> (<value>)",
            help: "Set or clear an apps property for an app",
            run: settings::set,
        },
        Command {
            name: "unlock",
            usage: "<app>",
            help: "Unlocks an app for deployment",
            run: lock::unlock,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("app-exists", trigger_app_exists),
        Trigger::new("app-maybe-create", trigger_app_maybe_create),
        Trigger::new("deploy-source-set", trigger_deploy_source_set),
        Trigger::new("install", settings::trigger_install),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which apps keeps its own values.
pub const PROPS: &str = "apps";

/// `apps:list [--format stdout|json]`; with no app, Dokku's ` !     You haven't deployed any
/// applications yet` on stderr (exit 0; `[]` in json).
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(0, "dokku apps:list [--format stdout|json]")?;
    let format = Format::parse(a.value("--format"))?;
    let names = appname::all()?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(out, "{}", serde_json::to_string(&names)?)?;
        return Ok(());
    }
    if !log::quiet() {
        writeln!(out, "=====> My Apps")?;
    }
    if names.is_empty() {
        // Dokku's words, on stderr, and still a success (scripts match this line).
        out.flush()?;
        log::warn("You haven't deployed any applications yet");
        return Ok(());
    }
    for n in names {
        writeln!(out, "{n}")?;
    }
    Ok(())
}

/// `apps:exists APP`: exit 0 when the app exists, 1 otherwise.
fn exists(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)
}

/// The flags `apps:report` answers, with their labels.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("app-created-at", "App created at"),
    ("app-deploy-source", "App deploy source"),
    ("app-deploy-source-metadata", "App deploy source metadata"),
    ("app-dir", "App dir"),
    (
        "app-global-disable-autocreation",
        "App global disable autocreation",
    ),
    ("app-locked", "App locked"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "app-created-at" => property::get_or(PROPS, app, "created-at", "")?,
            "app-deploy-source" => property::get_or(PROPS, app, "deploy-source", "")?,
            "app-deploy-source-metadata" => {
                property::get_or(PROPS, app, "deploy-source-metadata", "")?
            }
            "app-dir" => app_dir(app).display().to_string(),
            "app-global-disable-autocreation" => {
                property::get_or(PROPS, property::GLOBAL, settings::DISABLE_AUTOCREATION, "")?
            }
            _ => lock::is_locked(app).to_string(),
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} app information"),
        rows,
    })
}

/// `apps:report [APP] [--format stdout|json] [--app-…]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Trigger `app-exists APP`: exit 0 when the app exists, 1 otherwise (silently).
fn trigger_app_exists(argv: &[String]) -> Result<()> {
    match argv.first() {
        Some(app) if appname::exists(app) => Ok(()),
        _ => Err(Exit(1).into()),
    }
}

/// Trigger `app-maybe-create APP`: creates the app when it does not exist yet (an existing
/// app may have a legacy name; a new one follows today's rule).
fn trigger_app_maybe_create(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::validate(app)?;
    if appname::exists(app) {
        return Ok(());
    }
    appname::validate_new(app)?;
    if settings::autocreation_disabled()? {
        bail!("App {app} does not exist, and creating apps on push is turned off (apps:set --global disable-autocreation true): create it with dokku apps:create {app}");
    }
    lifecycle::create_app(app)
}

/// Trigger `deploy-source-set APP TYPE METADATA`: records where the app's code came from (shown
/// by `apps:report` as the deploy source and its metadata).
fn trigger_deploy_source_set(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::verify(app)?;
    let kind = argv.get(1).map(String::as_str).unwrap_or("");
    let meta = argv.get(2).map(String::as_str).unwrap_or("");
    property::write(PROPS, app, "deploy-source", kind)?;
    property::write(PROPS, app, "deploy-source-metadata", meta)
}
