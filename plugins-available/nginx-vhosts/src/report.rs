//! `nginx:report`: per-app and global fields and their values.

use super::*;
use dokku_core::report;

/// The report's fields: for each per-app key its app, computed and global values, then the
/// global-only ports, the config file and the last visit (Dokku's flag names and labels).
pub(crate) fn report_fields() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (key, _) in settings::APP_KEYS {
        let words = key.replace('-', " ");
        v.push((format!("nginx-{key}"), format!("Nginx {words}")));
        v.push((
            format!("nginx-computed-{key}"),
            format!("Nginx computed {words}"),
        ));
        v.push((
            format!("nginx-global-{key}"),
            format!("Nginx global {words}"),
        ));
    }
    for (flag, label) in [
        ("nginx-http-port", "Nginx http port"),
        ("nginx-https-port", "Nginx https port"),
        ("nginx-conf-path", "Nginx conf path"),
        ("nginx-last-visited-at", "Nginx last visited at"),
    ] {
        v.push((flag.to_string(), label.to_string()));
    }
    v
}

/// One report value; `app` is [`property::GLOBAL`] for the global report.
pub(crate) fn report_value(app: &str, flag: &str) -> Result<String> {
    let rest = flag.trim_start_matches("nginx-");
    match rest {
        "http-port" | "https-port" => return settings::global(rest),
        "conf-path" => return Ok(apply::conf_path(app).display().to_string()),
        "last-visited-at" => {
            // When the access log was last written (seconds since the epoch), as Dokku shows it.
            let log = settings::get(app, "access-log-path")?;
            let at = std::fs::metadata(&log)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs().to_string());
            return Ok(at.unwrap_or_default());
        }
        _ => {}
    }
    let key = rest
        .trim_start_matches("computed-")
        .trim_start_matches("global-");
    report::layered(settings::PROPS, app, flag, key, || settings::get(app, key))
}

pub(crate) fn report_of(app: &str) -> Result<Report> {
    let rows = report_fields()
        .into_iter()
        .map(|(flag, label)| Ok((flag.clone(), label, report_value(app, &flag)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        heading: format!("{app} nginx information"),
        rows,
    })
}

/// `nginx:report [APP|--global] [--format stdout|json] [FLAG]`; `--global` shows the global
/// values only.
pub(crate) fn report_cmd(argv: &[String]) -> Result<()> {
    let usage = usage();
    let fields = report_fields();
    if argv.iter().any(|a| a == property::GLOBAL) {
        let rest: Vec<String> = argv
            .iter()
            .filter(|a| *a != property::GLOBAL)
            .cloned()
            .collect();
        let global: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(f, _)| f.starts_with("nginx-global-"))
            .collect();
        let flags: Vec<String> = global.iter().map(|(f, _)| format!("--{f}")).collect();
        let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        let a = args::parse(&rest, &flag_refs, &["--format"])?;
        if let Some(extra) = a.pos(0) {
            bail!("unexpected argument {extra:?} with --global; usage: {usage}");
        }
        let format = report::Format::parse(a.value("--format"))?;
        let info: Vec<&String> = a.flags.keys().filter(|k| *k != "--format").collect();
        if info.len() > 1 {
            bail!("only one report flag may be given at a time");
        }
        let rows = global
            .into_iter()
            .map(|(flag, label)| Ok((flag.clone(), label, report_value(property::GLOBAL, &flag)?)))
            .collect::<Result<Vec<_>>>()?;
        let r = Report {
            heading: "Global nginx information".to_string(),
            rows,
        };
        return report::print(&r, format, info.first().map(|s| s.as_str()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(f, l)| (f.as_str(), l.as_str()))
        .collect();
    report::command(argv, &refs, usage, report_of)
}
