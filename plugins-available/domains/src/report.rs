//! `domains:report [APP|--global] [--format stdout|json] [<flag>]`.

use crate::store;
use anyhow::{bail, Result};
use dokku_core::args;
use dokku_core::plugin::usage;
use dokku_core::report::{self, Format, Report};

/// The fields of an app's report (flag, label).
const APP_FIELDS: &[(&str, &str)] = &[
    ("domains-app-enabled", "Domains app enabled"),
    ("domains-app-vhosts", "Domains app vhosts"),
    ("domains-global-enabled", "Domains global enabled"),
    ("domains-global-vhosts", "Domains global vhosts"),
];

fn yes_no(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// The rows every report shares: the global domains.
fn global_rows() -> Result<Vec<(String, String, String)>> {
    Ok(vec![
        (
            "domains-global-enabled".into(),
            "Domains global enabled".into(),
            yes_no(store::global_enabled()?),
        ),
        (
            "domains-global-vhosts".into(),
            "Domains global vhosts".into(),
            store::global_domains()?.join(" "),
        ),
    ])
}

fn app_report(app: &str) -> Result<Report> {
    let mut rows = vec![
        (
            "domains-app-enabled".to_string(),
            "Domains app enabled".to_string(),
            yes_no(store::is_enabled(app)?),
        ),
        (
            "domains-app-vhosts".to_string(),
            "Domains app vhosts".to_string(),
            store::app_domains(app)?.join(" "),
        ),
    ];
    rows.extend(global_rows()?);
    Ok(Report {
        heading: format!("{app} domains information"),
        rows,
    })
}

/// `domains:report --global …`: the global domains alone.
fn global_report(argv: &[String]) -> Result<()> {
    let flags = [
        "--global",
        "--domains-global-enabled",
        "--domains-global-vhosts",
    ];
    let a = args::parse(argv, &flags, &["--format"])?;
    a.at_most(0, usage())?;
    let format = Format::parse(a.value("--format"))?;
    let info: Vec<&String> = a
        .flags
        .keys()
        .filter(|k| *k != "--format" && *k != "--global")
        .collect();
    if info.len() > 1 {
        bail!("only one report flag may be given at a time");
    }
    let r = Report {
        heading: "Global domains information".into(),
        rows: global_rows()?,
    };
    report::print(&r, format, info.first().map(|s| s.as_str()))
}

/// `domains:report [APP|--global] [--format stdout|json] [<flag>]`.
pub fn command(argv: &[String]) -> Result<()> {
    if argv.iter().any(|a| a == "--global") {
        return global_report(argv);
    }
    report::command(argv, APP_FIELDS, usage(), app_report)
}
