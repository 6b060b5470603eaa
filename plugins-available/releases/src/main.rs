//! The releases plugin: a release per deploy (and per config change that restarts the app),
//! recorded at `post-deploy` with its image (tagged `dokku/APP:release-vN`), git revision,
//! builder, a 0600 snapshot of its ENV, Procfile, app.json, who and when; `releases APP`,
//! `releases:info APP vN`, `releases:rollback APP [vN] [--with-config]`, `releases:set
//! [--global|APP] keep N`, `releases:report`.
//! Fires `post-release APP vN`, `pre-rollback APP vN` and `post-rollback APP vN`, and, before a
//! rollback's deploy, `ps-procfile-restore APP` and `app-json-restore APP` (the release's
//! recorded Procfile and app.json on stdin).
//! Answers `releases-images-in-use APP` for `dokku cleanup`; a deploy that fails (its build
//! record ends non-zero: `builds-record-finalize`) is a release with status `failed`.
mod failed;
mod list;
mod record;
mod rollback;
mod store;

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::property;
use dokku_core::report::{self, Report};

static PLUGIN: Plugin = Plugin {
    prefix: "releases",
    summary: "List an app's releases and roll back to one",
    commands: &[
        Command {
            name: "default",
            usage: "<app> [--format stdout|json]",
            help: "List the releases of an app, newest first",
            run: list::list,
        },
        Command {
            name: "info",
            usage: "<app> <vN> [--format stdout|json]",
            help: "Show one release (config keys only, never values)",
            run: list::info,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a releases report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "rollback",
            usage: "<app> [<vN>] [--with-config]",
            help: "Redeploy a kept release (default: the previous good one)",
            run: rollback::command,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] keep [<N>]",
            help: "Set how many releases keep their image (default 5)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builds-record-finalize", failed::trigger_finalize),
        Trigger::new("post-app-rename-setup", record::trigger_rename_setup),
        Trigger::new("post-delete", record::trigger_post_delete),
        Trigger::new("post-deploy", record::trigger_post_deploy),
        Trigger::new("pre-deploy", failed::trigger_pre_deploy),
        Trigger::new("releases-images-in-use", record::trigger_images_in_use),
    ],
};

fn main() {
    PLUGIN.main()
}

const SET_USAGE: &str = "dokku releases:set [--global|<app>] keep [<N>]";

/// `releases:set [--global|APP] keep [N]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, SET_USAGE, &["keep"])?;
    if let Some(v) = c.new_value() {
        match v.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) && !v.starts_with('+') => {}
            _ => bail!("invalid keep {v:?}: give a whole number from 1 to 1000"),
        }
    }
    c.apply(store::PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("releases-computed-keep", "Releases computed keep"),
    ("releases-global-keep", "Releases global keep"),
    ("releases-keep", "Releases keep"),
    ("releases-current", "Releases current"),
    ("releases-count", "Releases count"),
];

fn report_of(app: &str) -> Result<Report> {
    let g = property::GLOBAL;
    let own = |scope: &str| -> Result<String> {
        Ok(property::get(store::PROPS, scope, "keep")?.unwrap_or_default())
    };
    let releases = if app == g {
        Vec::new()
    } else {
        store::load(app)?
    };
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "releases-computed-keep" => store::keep(app)?.to_string(),
            "releases-global-keep" => own(g)?,
            "releases-keep" => own(app)?,
            "releases-current" => store::current(&releases)
                .map(|r| format!("v{}", r.version))
                .unwrap_or_default(),
            _ => releases.len().to_string(),
        };
        if app == g
            && matches!(
                *key,
                "releases-current" | "releases-count" | "releases-keep"
            )
        {
            continue;
        }
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} releases information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku releases:report [<app>|--global] [--format stdout|json] [<flag>]",
        report_of,
    )
}
