//! `network:report`: the fields and their values.

use super::*;
use dokku_core::report;

pub(crate) const REPORT_FIELDS: &[(&str, &str)] = &[
    ("network-attach-post-create", "Network attach post create"),
    ("network-attach-post-deploy", "Network attach post deploy"),
    ("network-bind-all-interfaces", "Network bind all interfaces"),
    (
        "network-computed-attach-post-create",
        "Network computed attach post create",
    ),
    (
        "network-computed-attach-post-deploy",
        "Network computed attach post deploy",
    ),
    (
        "network-computed-bind-all-interfaces",
        "Network computed bind all interfaces",
    ),
    (
        "network-computed-initial-network",
        "Network computed initial network",
    ),
    ("network-computed-tld", "Network computed tld"),
    (
        "network-global-attach-post-create",
        "Network global attach post create",
    ),
    (
        "network-global-attach-post-deploy",
        "Network global attach post deploy",
    ),
    (
        "network-global-bind-all-interfaces",
        "Network global bind all interfaces",
    ),
    (
        "network-global-initial-network",
        "Network global initial network",
    ),
    ("network-global-tld", "Network global tld"),
    ("network-initial-network", "Network initial network"),
    ("network-static-web-listener", "Network static web listener"),
    ("network-tld", "Network tld"),
    ("network-web-listeners", "Network web listeners"),
];

pub(crate) fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (flag, label) in REPORT_FIELDS {
        if app == property::GLOBAL && !report::is_global_row(flag) {
            continue;
        }
        let field = flag.trim_start_matches("network-");
        let value = if field == "web-listeners" {
            config::web_listeners(app).join(" ")
        } else if let Some(key) = field.strip_prefix("computed-") {
            computed(app, key)?
        } else if let Some(key) = field.strip_prefix("global-") {
            // Raw, as Dokku: empty when unset (the computed row has the default).
            property::get_or(PROPS, property::GLOBAL, key, "")?
        } else {
            property::get_or(PROPS, app, field, "")?
        };
        rows.push((flag.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} network information"),
        rows,
    })
}

pub(crate) fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}
