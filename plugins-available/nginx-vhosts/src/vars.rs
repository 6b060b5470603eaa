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

/// Renders template `text` for the app of `i`: the variables below, then every web listener
/// token resolved to the instance's address (see `Listeners`).
pub fn render(text: &str, i: &Inputs) -> Result<String> {
    let (cx, listeners) = template_vars(i)?;
    listeners.resolve(&crate::template::render(text, &cx)?)
}

/// How a template reaches the web instances. Dokku's listeners are container addresses, which
/// its templates pair with the container port (`server {{ $listener_ip }}:{{ $upstream_port }};`
/// in its default template; older ones use the listener's own port). Here an instance is reached
/// at the address its web port is published on (a loopback port, or a node's port), so the
/// template sees each web listener as `dokku-web-N.listener.invalid:WEB_PORT`, and that pair,
/// wherever the rendered text has it, becomes the instance's address. Either way of writing the
/// upstream then routes as on Dokku.
pub struct Listeners {
    /// (token `HOST:WEB_PORT` as the template sees it, the instance's real `IP:PORT`).
    pairs: Vec<(String, String)>,
    /// The container port the instances are published for.
    web_port: u16,
}

/// The host part of the N-th web listener's token (`.invalid` is a reserved name: it can never
/// be a real host).
fn listener_token(n: usize) -> String {
    format!("dokku-web-{n}.listener.invalid")
}

impl Listeners {
    fn new(upstreams: &[String], web_port: u16) -> Listeners {
        let pairs = upstreams
            .iter()
            .enumerate()
            .map(|(n, real)| {
                (
                    format!("{}:{web_port}", listener_token(n + 1)),
                    real.clone(),
                )
            })
            .collect();
        Listeners { pairs, web_port }
    }

    /// The value of `DOKKU_APP_WEB_LISTENERS` as the template sees it.
    fn tokens(&self) -> String {
        let tokens: Vec<&str> = self.pairs.iter().map(|(t, _)| t.as_str()).collect();
        tokens.join(" ")
    }

    /// The rendered text with every listener token replaced by its instance's address; a token
    /// left (paired with another port than the web port, or alone) is refused by name.
    pub fn resolve(&self, rendered: &str) -> Result<String> {
        let mut out = rendered.to_string();
        for (token, real) in &self.pairs {
            out = out.replace(token.as_str(), real);
        }
        if let Some(at) = out.find(".listener.invalid") {
            let start = out[..at]
                .rfind(|c: char| c.is_whitespace())
                .map_or(0, |p| p + 1);
            let end = out[at..]
                .find(|c: char| c.is_whitespace() || c == ';')
                .map_or(out.len(), |p| at + p);
            anyhow::bail!(
                "nginx.conf.sigil: the template reaches a web instance as {:?}; instances are reached on their web port {} (use $upstream_port of a port map to {}, or the listener's own port)",
                &out[start..end],
                self.web_port,
                self.web_port
            );
        }
        Ok(out)
    }
}

/// The variables a custom `nginx.conf.sigil` may use and the app's config for `var`, and the
/// web listeners the rendered text is resolved with.
pub fn template_vars(i: &Inputs) -> Result<(Context, Listeners)> {
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
    // The web instances, as tokens the rendered text is resolved with (see `Listeners`).
    let listeners = Listeners::new(&i.upstreams, dokku_core::contract::web_port(app)?);
    set("DOKKU_APP_WEB_LISTENERS", listeners.tokens());
    set("DOKKU_APP_LISTENERS", listeners.tokens());
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
    let cx = Context {
        vars: v,
        env: app_config(app)?,
    };
    Ok((cx, listeners))
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

    /// Dokku's default template's upstream (the container port) and the older form (the
    /// listener's own port) both reach the published addresses.
    #[test]
    fn listener_tokens_resolve_to_the_published_addresses() {
        let l = Listeners::new(&["127.0.0.1:32001".into(), "127.0.0.1:32002".into()], 5000);
        let mut vars = BTreeMap::new();
        vars.insert("DOKKU_APP_WEB_LISTENERS".to_string(), l.tokens());
        vars.insert("PROXY_UPSTREAM_PORTS".to_string(), "5000".to_string());
        let cx = Context {
            vars,
            env: BTreeMap::new(),
        };
        let dokkus = r#"{{ range $upstream_port := $.PROXY_UPSTREAM_PORTS | split " " }}upstream u-{{ $upstream_port }} {
{{ range $listeners := $.DOKKU_APP_WEB_LISTENERS | split " " }}{{ $listener_list := $listeners | split ":" }}{{ $listener_ip := index $listener_list 0 }}  server {{ $listener_ip }}:{{ $upstream_port }};
{{ end }}}
{{ end }}"#;
        let older = r#"{{ range $listeners := $.DOKKU_APP_WEB_LISTENERS | split " " }}{{ $listener_list := $listeners | split ":" }}{{ $listener_ip := index $listener_list 0 }}{{ $listener_port := index $listener_list 1 }}server {{ $listener_ip }}:{{ $listener_port }};
{{ end }}"#;
        for t in [dokkus, older] {
            let out = l
                .resolve(&crate::template::render(t, &cx).unwrap())
                .unwrap();
            assert!(out.contains("server 127.0.0.1:32001;"), "{out}");
            assert!(out.contains("server 127.0.0.1:32002;"), "{out}");
            assert!(!out.contains("invalid"), "{out}");
        }
        let err = l
            .resolve("server dokku-web-1.listener.invalid:8080;")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dokku-web-1.listener.invalid:8080"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
