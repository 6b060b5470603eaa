//! What nginx learns about an app from other plugins, through triggers only: its proxy type and
//! whether its proxy is enabled (`proxy-type`, `proxy-is-enabled`), its port maps (`ports-get`),
//! domains (`domains-list`), web listeners (`network-get-listeners APP web`), the listen ports
//! it asked for (`proxy-get-property APP proxy-port|proxy-ssl-port`) and a template a plugin
//! chose (`nginx-app-template-source APP app-config`) and the folder of its ACME challenges
//! (`acme-challenge-dir APP`). For one app, each trigger is asked for
//! it; for every app (`proxy:build-config --all`), each trigger is asked once in its batch form
//! (`dokku_core::batch`), so the cost does not grow by processes per app.

use anyhow::Result;
use dokku_core::{batch, trigger_lines};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One app's answers.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The first line of `proxy-type` (empty when nothing answered).
    pub proxy_type: String,
    /// `proxy-is-enabled`'s first line is not `false`.
    pub enabled: bool,
    /// `ports-get`'s lines.
    pub ports: Vec<String>,
    /// `domains-list`'s lines.
    pub domains: Vec<String>,
    /// `network-get-listeners APP web`, split on white space.
    pub listeners: Vec<String>,
    /// `proxy-get-property APP proxy-port` (trimmed, maybe empty).
    pub proxy_port: String,
    /// `proxy-get-property APP proxy-ssl-port` (trimmed, maybe empty).
    pub proxy_ssl_port: String,
    /// The first line of `nginx-app-template-source APP app-config`.
    pub template: Option<PathBuf>,
    /// `acme-challenge-dir APP`'s lines.
    pub acme: Vec<String>,
}

/// The facts from each trigger's lines (as [`trigger_lines`] gives them).
#[allow(clippy::too_many_arguments)]
fn assemble(
    kind: Vec<String>,
    enabled: Vec<String>,
    ports: Vec<String>,
    domains: Vec<String>,
    listeners: Vec<String>,
    port: Vec<String>,
    ssl_port: Vec<String>,
    template: Vec<String>,
    acme: Vec<String>,
) -> Facts {
    Facts {
        proxy_type: kind.into_iter().next().unwrap_or_default(),
        enabled: enabled.first().map(String::as_str) != Some("false"),
        ports,
        domains,
        listeners: listeners
            .iter()
            .flat_map(|l| l.split_whitespace())
            .map(str::to_string)
            .collect(),
        proxy_port: port.into_iter().next().unwrap_or_default(),
        proxy_ssl_port: ssl_port.into_iter().next().unwrap_or_default(),
        template: template.into_iter().next().map(PathBuf::from),
        acme,
    }
}

impl Facts {
    /// The app's facts, each trigger asked for it.
    pub fn of(app: &str) -> Result<Facts> {
        Ok(assemble(
            trigger_lines("proxy-type", &[app])?,
            trigger_lines("proxy-is-enabled", &[app])?,
            trigger_lines("ports-get", &[app])?,
            trigger_lines("domains-list", &[app])?,
            dokku_core::contract::listeners(app, "web")?,
            trigger_lines("proxy-get-property", &[app, "proxy-port"])?,
            trigger_lines("proxy-get-property", &[app, "proxy-ssl-port"])?,
            trigger_lines("nginx-app-template-source", &[app, "app-config"])?,
            trigger_lines("acme-challenge-dir", &[app])?,
        ))
    }

    /// Every app's facts, each trigger asked once for all of `apps` (app by app for a trigger
    /// whose answer is not in the batch form).
    pub fn all(apps: &[String]) -> Result<BTreeMap<String, Facts>> {
        let ask_trigger = |name: &str, args: &[&str]| -> Result<BTreeMap<String, Vec<String>>> {
            let mut m = batch::lines(name, args, apps, |app| {
                let mut argv = vec![app];
                argv.extend_from_slice(args);
                trigger_lines(name, &argv)
            })?;
            for v in m.values_mut() {
                *v = v
                    .iter()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
            }
            Ok(m)
        };
        let mut kind = ask_trigger("proxy-type", &[])?;
        let mut enabled = ask_trigger("proxy-is-enabled", &[])?;
        let mut ports = ask_trigger("ports-get", &[])?;
        let mut domains = ask_trigger("domains-list", &[])?;
        let mut listeners = batch::lines("network-get-listeners", &["web"], apps, |app| {
            dokku_core::contract::listeners(app, "web")
        })?;
        let mut port = ask_trigger("proxy-get-property", &["proxy-port"])?;
        let mut ssl_port = ask_trigger("proxy-get-property", &["proxy-ssl-port"])?;
        let mut template = ask_trigger("nginx-app-template-source", &["app-config"])?;
        let mut acme = ask_trigger("acme-challenge-dir", &[])?;
        let take =
            |m: &mut BTreeMap<String, Vec<String>>, app: &str| m.remove(app).unwrap_or_default();
        Ok(apps
            .iter()
            .map(|app| {
                let f = assemble(
                    take(&mut kind, app),
                    take(&mut enabled, app),
                    take(&mut ports, app),
                    take(&mut domains, app),
                    take(&mut listeners, app),
                    take(&mut port, app),
                    take(&mut ssl_port, app),
                    take(&mut template, app),
                    take(&mut acme, app),
                );
                (app.clone(), f)
            })
            .collect())
    }
}
