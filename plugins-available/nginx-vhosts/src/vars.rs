//! The variables a custom `nginx.conf.sigil` sees, named and valued as Dokku's nginx-vhosts
//! plugin passes them to sigil, and the app's config that `var "NAME"` reads.

use crate::generate::Inputs;
use crate::settings;
use crate::template::Context;
use anyhow::{Context as _, Result};
use dokku_core::{appname, paths, trigger_value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The template variable Dokku names after an `nginx:set` key (`None`: not a template variable).
fn variable_of(key: &str) -> Option<String> {
    Some(match key {
        "disable-custom-config" | "nginx-conf-sigil-path" | "nginx-service-command" => return None,
        "access-log-format" => "NGINX_ACCESS_LOG_FORMAT".into(),
        "access-log-path" => "NGINX_ACCESS_LOG_PATH".into(),
        "error-log-path" => "NGINX_ERROR_LOG_PATH".into(),
        "bind-address-ipv4" => "NGINX_BIND_ADDRESS_IP4".into(),
        "bind-address-ipv6" => "NGINX_BIND_ADDRESS_IP6".into(),
        "underscore-in-headers" => "NGINX_UNDERSCORE_IN_HEADERS".into(),
        "x-forwarded-for-value" => "PROXY_X_FORWARDED_FOR".into(),
        "x-forwarded-port-value" => "PROXY_X_FORWARDED_PORT".into(),
        "x-forwarded-proto-value" => "PROXY_X_FORWARDED_PROTO".into(),
        "x-forwarded-ssl" => "PROXY_X_FORWARDED_SSL".into(),
        k => k.to_ascii_uppercase().replace('-', "_"),
    })
}

/// The variables a custom `nginx.conf.sigil` may use and the app's config for `var`.
pub fn template_vars(i: &Inputs) -> Result<Context> {
    let app = i.app.as_str();
    let mut v: BTreeMap<String, String> = BTreeMap::new();
    let mut set = |k: &str, val: String| {
        v.insert(k.to_string(), val);
    };
    // Every nginx:set key under Dokku's name (the computed ones are overridden below).
    for (key, _) in settings::APP_KEYS {
        if let Some(name) = variable_of(key) {
            set(&name, i.setting(key).to_string());
        }
    }
    set("APP", app.to_string());
    set("DOKKU_ROOT", paths().dokku_root.display().to_string());
    set("DOKKU_LIB_ROOT", paths().lib_root.display().to_string());
    let tls_dir = match &i.tls {
        Some((crt, _)) => std::path::Path::new(crt)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        None => appname::app_dir(app).join("tls").display().to_string(),
    };
    set("APP_SSL_PATH", tls_dir);
    let ssl = i.tls.is_some();
    set("SSL_INUSE", if ssl { "true" } else { "" }.into());
    set("NOSSL_SERVER_NAME", i.domains.join(" "));
    set(
        "SSL_SERVER_NAME",
        if ssl {
            i.domains.join(" ")
        } else {
            String::new()
        },
    );
    // The listen ports: a map's 80 and 443 stand for the configured http and https ports.
    set("PROXY_PORT", i.http_port.to_string());
    set("PROXY_SSL_PORT", i.https_port.to_string());
    set("NGINX_PORT", i.http_port.to_string());
    set("NGINX_SSL_PORT", i.https_port.to_string());
    let maps: Vec<_> = i
        .maps
        .iter()
        .filter(|m| m.scheme != "https" || ssl)
        .collect();
    set(
        "PROXY_PORT_MAP",
        maps.iter()
            .map(|m| format!("{}:{}:{}", m.scheme, i.listen_port(m), m.container))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let mut upstream_ports: Vec<String> = Vec::new();
    for m in &maps {
        let p = m.container.to_string();
        if !upstream_ports.contains(&p) {
            upstream_ports.push(p);
        }
    }
    set("PROXY_UPSTREAM_PORTS", upstream_ports.join(" "));
    set("RAW_TCP_PORTS", String::new());
    // The web instances, as nginx reaches them (IP:PORT each).
    let web = i.upstreams.join(" ");
    set("DOKKU_APP_WEB_LISTENERS", web.clone());
    set("DOKKU_APP_LISTENERS", web);
    set("DOKKU_APP_LISTEN_PORT", String::new());
    set("DOKKU_APP_LISTEN_IP", String::new());
    set("PASSED_LISTEN_IP_PORT", String::new());
    set(
        "UPSTREAM_SERVERS",
        i.upstreams
            .iter()
            .map(|u| format!("server {u} {};", crate::generate::UPSTREAM_SERVER_PARAMS))
            .collect::<Vec<_>>()
            .join(" "),
    );
    // Logs and addresses as the generated config has them.
    let logs = paths().logs_dir.join("nginx");
    set("NGINX_LOG_ROOT", logs.display().to_string());
    let log = |given: &str, kind: &str| match given {
        "" => logs.join(format!("{app}-{kind}.log")).display().to_string(),
        p => p.to_string(),
    };
    let (access, error) = (log(&i.access_log, "access"), log(&i.error_log, "error"));
    set("NGINX_ACCESS_LOG_PATH", access);
    set("NGINX_ERROR_LOG_PATH", error);
    set("NGINX_BIND_ADDRESS_IP4", i.bind.clone());
    set("NGINX_BIND_ADDRESS_IP6", ipv6_address(&i.bind, &i.bind6));
    set("CLIENT_MAX_BODY_SIZE", i.client_max_body_size.clone());
    set("PROXY_READ_TIMEOUT", i.proxy_read_timeout.clone());
    set("PROXY_CONNECT_TIMEOUT", i.proxy_connect_timeout.clone());
    // HSTS, as Dokku's hsts.conf has it.
    let hsts = i.hsts && ssl;
    let mut header = format!("max-age={}", i.setting("hsts-max-age"));
    if i.setting("hsts-include-subdomains") == "true" {
        header.push_str("; includeSubdomains");
    }
    if i.setting("hsts-preload") == "true" {
        header.push_str("; preload");
    }
    set("HSTS", i.hsts.to_string());
    set("HSTS_HEADERS", if hsts { header } else { String::new() });
    // What this nginx supports.
    let (major, minor, patch) = nginx_version();
    let at_least = |a: u32, b: u32, c: u32| (major, minor, patch) >= (a, b, c);
    let flag = |b: bool| b.to_string();
    set("SPDY_SUPPORTED", flag(!at_least(1, 9, 5)));
    set("TLS13_SUPPORTED", flag(at_least(1, 13, 0)));
    set("HTTP2_SUPPORTED", flag(at_least(1, 11, 5)));
    set(
        "HTTP2_PUSH_SUPPORTED",
        flag(at_least(1, 13, 9) && !at_least(1, 25, 1)),
    );
    set("HTTP2_DIRECTIVE_SUPPORTED", flag(at_least(1, 25, 1)));
    set("GRPC_SUPPORTED", flag(at_least(1, 13, 10)));
    // Every other process type's listeners, as DOKKU_APP_<TYPE>_LISTENERS.
    for (kind, _) in dokku_core::contract::current_scale(app)? {
        if kind == "web" {
            continue;
        }
        let name = format!(
            "DOKKU_APP_{}_LISTENERS",
            kind.to_ascii_uppercase().replace('-', "_")
        );
        let listeners = dokku_core::contract::listeners(app, &kind)?;
        set(&name, listeners.join(" "));
    }
    Ok(Context {
        vars: v,
        env: app_config(app)?,
    })
}

/// The IPv6 address a template listens on: the configured one, else `::1` beside a loopback
/// IPv4 address, else every address (`::`).
fn ipv6_address(bind4: &str, bind6: &str) -> String {
    let given = bind6.trim().trim_start_matches('[').trim_end_matches(']');
    if !given.is_empty() {
        return given.to_string();
    }
    if bind4.starts_with("127.") {
        "::1".into()
    } else {
        "::".into()
    }
}

/// The app's config merged with the global one (Trigger `config-export APP false true json`).
fn app_config(app: &str) -> Result<BTreeMap<String, String>> {
    let text = trigger_value("config-export", &[app, "false", "true", "json"])?.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let map: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&text).context("config-export answered something other than JSON")?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}

/// The version of this installation's nginx (`nginx -v`), once per run; 1.22.0 when it cannot
/// be told.
fn nginx_version() -> (u32, u32, u32) {
    static V: OnceLock<(u32, u32, u32)> = OnceLock::new();
    *V.get_or_init(|| {
        let text = crate::apply::nginx(&["-v"])
            .ok()
            .and_then(|mut c| c.output().ok())
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_default();
        parse_version(&text).unwrap_or((1, 22, 0))
    })
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.split('/').nth(1)?.split_whitespace().next()?;
    let mut it = v.split('.').map(|n| n.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert_eq!(
            variable_of("proxy-buffer-size").unwrap(),
            "PROXY_BUFFER_SIZE"
        );
        assert_eq!(
            variable_of("x-forwarded-ssl").unwrap(),
            "PROXY_X_FORWARDED_SSL"
        );
        assert_eq!(
            variable_of("underscore-in-headers").unwrap(),
            "NGINX_UNDERSCORE_IN_HEADERS"
        );
        assert!(variable_of("nginx-conf-sigil-path").is_none());
        assert_eq!(
            parse_version("nginx version: nginx/1.22.1\n"),
            Some((1, 22, 1))
        );
        assert_eq!(
            parse_version("nginx version: openresty/1.25.3.1"),
            Some((1, 25, 3))
        );
        assert_eq!(ipv6_address("127.0.0.1", ""), "::1");
        assert_eq!(ipv6_address("", "[::]"), "::");
    }
}
