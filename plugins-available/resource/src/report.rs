//! `resource:report`: one row per value set (process type, request type and resource), flags
//! such as `--resource-web.limit.memory` (Dokku's names, with the periods).

use crate::values::{self, Kind, DEFAULT_PROCESS, RESOURCES};
use crate::PROPS;
use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::report::{self, Format, Report};
use dokku_core::{appname, log, property};

/// The report of an app: one row per value set (as Dokku reports the stored keys: a cleared
/// value has no row), `_default_` first, then the process types in order; within one, limits
/// then reservations, resources in their order.
fn report_of(app: &str) -> Result<Report> {
    let stored: Vec<(String, String)> = property::list(PROPS, app)?
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let mut processes: Vec<&str> = stored
        .iter()
        .filter_map(|(k, _)| k.split_once('.').map(|(p, _)| p))
        .filter(|p| *p != DEFAULT_PROCESS)
        .collect();
    processes.sort_unstable();
    processes.dedup();
    processes.insert(0, DEFAULT_PROCESS);
    let mut rows = Vec::new();
    for p in processes {
        for kind in [Kind::Limit, Kind::Reserve] {
            let word = if kind == Kind::Limit {
                "limit"
            } else {
                "reservation"
            };
            for r in RESOURCES {
                let key = values::property_key(p, kind, r);
                let Some((_, value)) = stored.iter().find(|(k, _)| *k == key) else {
                    continue;
                };
                let label = format!("{p} {word} {}", r.replace('-', " "));
                rows.push((format!("resource-{key}"), label, value.clone()));
            }
        }
    }
    Ok(Report {
        heading: format!("{app} resource information"),
        rows,
    })
}

/// `resource:report [APP] [--format stdout|json] [--resource-PROC.KIND.RESOURCE]`.
pub fn command(argv: &[String]) -> Result<()> {
    let usage = usage();
    if report::answer_all(argv, report_of)? {
        return Ok(());
    }
    let mut format = None;
    let mut info = None;
    let mut apps = Vec::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--format" {
            match it.next() {
                Some(v) => format = Some(v.clone()),
                None => bail!("flag --format needs a value"),
            }
        } else if let Some(v) = a.strip_prefix("--format=") {
            format = Some(v.to_string());
        } else if a == "--quiet" {
            std::env::set_var("DOKKU_QUIET_OUTPUT", "1");
        } else if a.starts_with("--resource-") {
            if info.is_some() {
                bail!("only one report flag may be given at a time");
            }
            info = Some(a.clone());
        } else if a.starts_with("--") {
            bail!("unknown flag {a}");
        } else {
            apps.push(a.clone());
        }
    }
    if apps.len() > 1 {
        bail!("unexpected argument {:?}; usage: {usage}", apps[1]);
    }
    let format = Format::parse(format.as_deref())?;
    let apps = match apps.pop() {
        Some(app) => {
            appname::verify(&app)?;
            vec![app]
        }
        None => {
            let all = appname::all()?;
            if all.is_empty() {
                log::warn("You haven't deployed any applications yet");
            }
            all
        }
    };
    for app in apps {
        report::print(&report_of(&app)?, format, info.as_deref())?;
    }
    Ok(())
}
