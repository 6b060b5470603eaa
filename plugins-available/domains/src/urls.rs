//! An app's URLs, as Dokku's `domains-urls` gives them: Trigger `app-urls APP URL_TYPE` is asked
//! first (a non-empty answer, whitespace-separated URLs, is taken as it is); otherwise one URL per
//! domain and port map (`ports-get`): `SCHEME://DOMAIN`, with `:PORT` when the map's proxy port
//! is not 80 or 443. With the proxy disabled, the web listeners (`network-get-listeners APP
//! web`) give the ports. An app without domains (or with them disabled) is named by the global
//! domains, else by this host's name. `url` is the first URL of the default scheme (https when
//! `certs-exists APP` says `true`, else http); `urls` all of them, sorted.

use crate::store;
use anyhow::{bail, Result};
use dokku_core::{appname, args, trigger, trigger_lines, trigger_value};

/// `SCHEME://HOST`, with `:PORT` unless the port is 80 or 443.
fn url(scheme: &str, host: &str, port: &str) -> String {
    if port == "80" || port == "443" || port.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

/// This host's name (for an app no domain names).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// The names the app's URLs are made of.
fn hosts(app: &str) -> Result<Vec<String>> {
    let mut hosts = if store::is_enabled(app)? {
        store::app_domains(app)?
    } else {
        Vec::new()
    };
    if hosts.is_empty() {
        hosts = store::global_domains()?;
    }
    if hosts.is_empty() {
        hosts.push(host_name());
    }
    Ok(hosts)
}

/// Every URL of the app made from its domains and ports (unsorted).
fn generate(app: &str, scheme: &str, default_port: &str) -> Result<Vec<String>> {
    let hosts = hosts(app)?;
    let proxy_off = trigger_lines("proxy-is-enabled", &[app])?
        .first()
        .map(String::as_str)
        == Some("false");
    // (scheme, port) pairs.
    let mut ports: Vec<(String, String)> = Vec::new();
    if proxy_off {
        for l in trigger_lines("network-get-listeners", &[app, "web"])? {
            for listener in l.split_whitespace() {
                if let Some((_, port)) = listener.rsplit_once(':') {
                    ports.push((scheme.to_string(), port.to_string()));
                }
            }
        }
    }
    if ports.is_empty() {
        for m in trigger_lines("ports-get", &[app])? {
            let mut it = m.split(':');
            if let (Some(s), Some(p)) = (it.next(), it.next()) {
                ports.push((s.to_string(), p.to_string()));
            }
        }
    }
    if ports.is_empty() {
        ports.push((scheme.to_string(), default_port.to_string()));
    }
    let mut out = Vec::new();
    for h in &hosts {
        for (s, p) in &ports {
            out.push(url(s, h, p));
        }
    }
    Ok(out)
}

/// The app's URLs for `url_type` (`url`: at most one; `urls`: all, sorted and unique).
pub fn urls(app: &str, url_type: &str) -> Result<Vec<String>> {
    let has_cert = trigger_lines("certs-exists", &[app])?
        .first()
        .map(String::as_str)
        == Some("true");
    let (scheme, default_port) = if has_cert {
        ("https", "443")
    } else {
        ("http", "80")
    };
    let custom: Vec<String> = trigger_value("app-urls", &[app, url_type])?
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut all = if custom.is_empty() {
        generate(app, scheme, default_port)?
    } else {
        custom
    };
    if url_type == "url" {
        let prefix = format!("{scheme}://");
        let first = all
            .iter()
            .find(|u| u.starts_with(&prefix))
            .or(all.first())
            .cloned();
        return Ok(first.into_iter().collect());
    }
    all.sort();
    all.dedup();
    Ok(all)
}

/// Trigger `domains-urls APP URL_TYPE`: the app's URLs, one per line (URL_TYPE `url`: the first
/// one of the default scheme; `urls`, the default: all, sorted). `app-urls APP URL_TYPE` is
/// asked first and a non-empty answer overrides.
pub fn trigger_domains_urls(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("domains-urls needs APP URL_TYPE");
    };
    appname::verify(app)?;
    let url_type = match argv.get(1).map(String::as_str) {
        None | Some("") | Some("urls") => "urls",
        Some("url") => "url",
        Some(other) => bail!("domains-urls: unknown URL_TYPE {other:?} (url or urls)"),
    };
    for u in urls(app, url_type)? {
        println!("{u}");
    }
    Ok(())
}

/// The app argument of `dokku url|urls APP`.
fn app_of(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `dokku urls APP`: every URL of the app (`domains-urls APP urls`).
pub fn urls_command(argv: &[String]) -> Result<()> {
    let app = app_of(argv, "dokku urls <app>")?;
    trigger("domains-urls", &[&app, "urls"])
}

/// `dokku url APP`: the app's first URL (`domains-urls APP url`).
pub fn url_command(argv: &[String]) -> Result<()> {
    let app = app_of(argv, "dokku url <app>")?;
    trigger("domains-urls", &[&app, "url"])
}
