//! The nginx config of one app, from what the other plugins say about it: its domains, its port
//! maps, its web containers' loopback ports, whether it has a certificate, and the nginx
//! settings. A pure function of its inputs.

use std::collections::BTreeMap;
use std::fmt::Write;

/// The parameters of each upstream server: after one failed attempt nginx leaves that server
/// out for 5 s, so a request to an instance that went away (a lost host, a retired container)
/// costs one quick retry, not a failed request.
pub const UPSTREAM_SERVER_PARAMS: &str = "max_fails=1 fail_timeout=5s";

/// The retry policy of the proxied location: a request that could not be connected, timed out
/// before any answer, or got a 502/503/504 is passed to the next server, at most 3 tries within
/// 10 s in all (a non-idempotent request is retried only when it never reached the app).
pub const NEXT_UPSTREAM: [&str; 3] = [
    "proxy_next_upstream error timeout http_502 http_503 http_504;",
    "proxy_next_upstream_tries 3;",
    "proxy_next_upstream_timeout 10s;",
];

/// One `scheme:host-port:container-port` map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMap {
    /// `http`, `https` or `tcp`.
    pub scheme: String,
    /// The port the proxy listens on (80 and 443 stand for the configured http/https ports).
    pub host: u16,
    /// The container port (the scheduler publishes the app's one web port).
    pub container: u16,
}

impl PortMap {
    /// Parses `scheme:host:container`.
    pub fn parse(s: &str) -> Option<PortMap> {
        let mut it = s.trim().split(':');
        let (scheme, host, container) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Some(PortMap {
            scheme: scheme.to_string(),
            host: host.parse().ok().filter(|p| *p > 0)?,
            container: container.parse().ok().filter(|p| *p > 0)?,
        })
    }
}

/// Everything the config depends on.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The app.
    pub app: String,
    /// Its domains (none: the server answers any host name on its port).
    pub domains: Vec<String>,
    /// Its port maps.
    pub maps: Vec<PortMap>,
    /// Its web containers' `IP:PORT`s.
    pub upstreams: Vec<String>,
    /// Its certificate and key, when it has them.
    pub tls: Option<(String, String)>,
    /// The address nginx listens on (`bind-address-ipv4`; empty: all).
    pub bind: String,
    /// The port host port 80 stands for.
    pub http_port: u16,
    /// The port host port 443 stands for.
    pub https_port: u16,
    /// `client_max_body_size`.
    pub client_max_body_size: String,
    /// `proxy_read_timeout`.
    pub proxy_read_timeout: String,
    /// `proxy_connect_timeout` (short, so that an unreachable instance is given up quickly for
    /// the next one).
    pub proxy_connect_timeout: String,
    /// Whether https answers carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// The access log (`off` turns it off).
    pub access_log: String,
    /// The error log.
    pub error_log: String,
    /// The IPv6 address nginx listens on too (`bind-address-ipv6`; empty: no IPv6 listener).
    pub bind6: String,
    /// Every `nginx:set` key of the app in effect (see `settings::APP_KEYS`); a key missing
    /// here takes its default.
    pub settings: BTreeMap<String, String>,
    /// The folder ACME http-01 challenges are answered from (see `acme`), when there is one.
    pub acme_dir: Option<String>,
}

impl Inputs {
    /// The port nginx listens on for a map's host port.
    pub fn listen_port(&self, m: &PortMap) -> u16 {
        match (m.scheme.as_str(), m.host) {
            (_, 80) => self.http_port,
            (_, 443) => self.https_port,
            (_, p) => p,
        }
    }

    /// An `nginx:set` key in effect.
    pub fn setting(&self, key: &str) -> &str {
        self.settings
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| crate::settings::default_of(key))
    }

    /// The `listen` values for a port: the IPv4 address, and the IPv6 one when there is one.
    fn listens(&self, port: u16, ssl: bool) -> Vec<String> {
        let ssl = if ssl { " ssl" } else { "" };
        let mut v = vec![if self.bind.is_empty() {
            format!("{port}{ssl}")
        } else {
            format!("{}:{port}{ssl}", self.bind)
        }];
        if let Some(ip6) = crate::settings::ipv6_of(&self.bind6) {
            v.push(format!("[{ip6}]:{port}{ssl}"));
        }
        v
    }

    fn upstream_name(&self) -> String {
        format!("{}-web", self.app)
    }

    /// The https port a redirect points at, when the app has a certificate and an https map.
    pub fn https_redirect_port(&self) -> Option<u16> {
        self.tls.as_ref()?;
        self.maps
            .iter()
            .find(|m| m.scheme == "https")
            .map(|m| self.listen_port(m))
    }
}

fn proxy_location(out: &mut String, i: &Inputs) {
    let keepalive = !i.setting("proxy-keepalive").is_empty();
    let _ = writeln!(out, "  location / {{");
    let _ = writeln!(out, "    proxy_pass http://{};", i.upstream_name());
    let _ = writeln!(out, "    proxy_http_version 1.1;");
    let _ = writeln!(out, "    proxy_set_header Upgrade $http_upgrade;");
    if keepalive {
        // Connections to the app are kept open: no `Connection: close` is passed on.
        let _ = writeln!(out, "    proxy_set_header Connection \"\";");
    } else {
        let _ = writeln!(out, "    proxy_set_header Connection $http_connection;");
    }
    let _ = writeln!(out, "    proxy_set_header Host $http_host;");
    for (header, key) in [
        ("X-Forwarded-For", "x-forwarded-for-value"),
        ("X-Forwarded-Port", "x-forwarded-port-value"),
        ("X-Forwarded-Proto", "x-forwarded-proto-value"),
        ("X-Forwarded-Ssl", "x-forwarded-ssl"),
    ] {
        let v = i.setting(key);
        if !v.is_empty() {
            let _ = writeln!(out, "    proxy_set_header {header} {v};");
        }
    }
    let _ = writeln!(out, "    proxy_set_header X-Request-Start $msec;");
    for (directive, value) in [
        ("proxy_buffer_size", i.setting("proxy-buffer-size")),
        ("proxy_buffering", i.setting("proxy-buffering")),
        ("proxy_buffers", i.setting("proxy-buffers")),
        (
            "proxy_busy_buffers_size",
            i.setting("proxy-busy-buffers-size"),
        ),
        ("proxy_read_timeout", &i.proxy_read_timeout),
        ("proxy_connect_timeout", &i.proxy_connect_timeout),
        ("proxy_send_timeout", i.setting("proxy-send-timeout")),
    ] {
        let _ = writeln!(out, "    {directive} {value};");
    }
    for line in NEXT_UPSTREAM {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(out, "  }}");
}

fn server_head(out: &mut String, i: &Inputs, port: u16, ssl: bool) {
    let _ = writeln!(out, "server {{");
    for l in i.listens(port, ssl) {
        let _ = writeln!(out, "  listen {l};");
    }
    if !i.domains.is_empty() {
        let _ = writeln!(out, "  server_name {};", i.domains.join(" "));
    }
    match (i.access_log.as_str(), i.setting("access-log-format")) {
        ("off", _) => {
            let _ = writeln!(out, "  access_log off;");
        }
        (path, "") => {
            let _ = writeln!(out, "  access_log {path};");
        }
        (path, format) => {
            let _ = writeln!(out, "  access_log {path} {format};");
        }
    }
    // nginx has no `error_log off`: the errors go nowhere instead.
    let error_log = match i.error_log.as_str() {
        "off" => "/dev/null",
        p => p,
    };
    let _ = writeln!(out, "  error_log {error_log};");
    let _ = writeln!(out, "  client_max_body_size {};", i.client_max_body_size);
    for (directive, key) in [
        ("client_body_timeout", "client-body-timeout"),
        ("client_header_timeout", "client-header-timeout"),
        ("keepalive_timeout", "keepalive-timeout"),
        ("lingering_timeout", "lingering-timeout"),
        ("send_timeout", "send-timeout"),
        ("underscores_in_headers", "underscore-in-headers"),
    ] {
        let _ = writeln!(out, "  {directive} {};", i.setting(key));
    }
    if !ssl {
        crate::acme::location(out, i);
    }
}

/// The `Strict-Transport-Security` value: `max-age=N`, `includeSubDomains` and `preload` as
/// the hsts settings say.
pub fn hsts_value(i: &Inputs) -> String {
    let mut v = format!("max-age={}", i.setting("hsts-max-age"));
    if i.setting("hsts-include-subdomains") == "true" {
        v.push_str("; includeSubDomains");
    }
    if i.setting("hsts-preload") == "true" {
        v.push_str("; preload");
    }
    v
}

/// The config of an app with no web container to send requests to (not deployed yet, no web
/// process, or its web processes stopped), as Dokku 0.38 writes it: its domains answered on
/// its http ports (and https ports when it has a certificate) with `502 Bad Gateway`, so its
/// host names resolve to a clear error that monitoring sees. A deploy replaces it.
pub fn placeholder(i: &Inputs) -> String {
    let mut out = format!(
        "# Generated by dokku for {app}, which has no running web process: every request is answered 502.\n",
        app = i.app
    );
    for m in &i.maps {
        let tls = match (m.scheme.as_str(), &i.tls) {
            ("http", _) => None,
            ("https", Some(tls)) => Some(tls),
            _ => continue,
        };
        server_head(&mut out, i, i.listen_port(m), tls.is_some());
        if let Some((crt, key)) = tls {
            let _ = writeln!(out, "  ssl_certificate {crt};");
            let _ = writeln!(out, "  ssl_certificate_key {key};");
            let _ = writeln!(out, "  ssl_protocols TLSv1.2 TLSv1.3;");
        }
        let _ = writeln!(out, "  location / {{");
        let _ = writeln!(out, "    return 502;");
        let _ = writeln!(out, "  }}");
        let _ = writeln!(out, "}}");
    }
    crate::acme::fallback_server(&mut out, i);
    out
}

/// The app's nginx config (empty when it has no web container to send requests to).
pub fn config(i: &Inputs) -> String {
    if i.upstreams.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "# Generated by dokku for {app}; rebuilt by `dokku proxy:build-config {app}`.\n",
        app = i.app
    );
    let _ = writeln!(out, "upstream {} {{", i.upstream_name());
    for u in &i.upstreams {
        let _ = writeln!(out, "  server {u} {UPSTREAM_SERVER_PARAMS};");
    }
    let keepalive = i.setting("proxy-keepalive");
    if !keepalive.is_empty() {
        let _ = writeln!(out, "  keepalive {keepalive};");
    }
    let _ = writeln!(out, "}}");
    let redirect = i.https_redirect_port();
    for m in &i.maps {
        match m.scheme.as_str() {
            "http" => {
                server_head(&mut out, i, i.listen_port(m), false);
                match redirect {
                    Some(p) => {
                        let suffix = if p == 443 {
                            String::new()
                        } else {
                            format!(":{p}")
                        };
                        let _ = writeln!(out, "  location / {{");
                        let _ = writeln!(out, "    return 301 https://$host{suffix}$request_uri;");
                        let _ = writeln!(out, "  }}");
                    }
                    None => proxy_location(&mut out, i),
                }
                let _ = writeln!(out, "}}");
            }
            "https" => {
                let Some((crt, key)) = &i.tls else {
                    continue; // no certificate: the https map waits for one
                };
                server_head(&mut out, i, i.listen_port(m), true);
                let _ = writeln!(out, "  ssl_certificate {crt};");
                let _ = writeln!(out, "  ssl_certificate_key {key};");
                let _ = writeln!(out, "  ssl_protocols TLSv1.2 TLSv1.3;");
                if i.hsts {
                    let _ = writeln!(
                        out,
                        "  add_header Strict-Transport-Security \"{}\" always;",
                        hsts_value(i)
                    );
                }
                proxy_location(&mut out, i);
                let _ = writeln!(out, "}}");
            }
            _ => {} // tcp/udp maps are not proxied by the http server
        }
    }
    crate::acme::fallback_server(&mut out, i);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Inputs {
        Inputs {
            app: "web".into(),
            domains: vec!["web.example.test".into(), "www.example.test".into()],
            maps: vec![PortMap::parse("http:80:5000").unwrap()],
            upstreams: vec!["127.0.0.1:40001".into(), "127.0.0.1:40002".into()],
            tls: None,
            bind: "127.0.0.1".into(),
            http_port: 8080,
            https_port: 8443,
            client_max_body_size: "1m".into(),
            proxy_read_timeout: "60s".into(),
            proxy_connect_timeout: "1s".into(),
            hsts: true,
            access_log: "/l/a.log".into(),
            error_log: "/l/e.log".into(),
            bind6: String::new(),
            settings: BTreeMap::new(),
            acme_dir: None,
        }
    }

    #[test]
    fn http_and_https_with_redirect() {
        let c = config(&inputs());
        assert!(c.contains(
            "server 127.0.0.1:40001 max_fails=1 fail_timeout=5s;\n  server 127.0.0.1:40002 max_fails=1 fail_timeout=5s;"
        ));
        assert!(c.contains("proxy_connect_timeout 1s;"));
        assert!(c.contains("proxy_next_upstream error timeout http_502 http_503 http_504;"));
        assert!(c.contains("proxy_next_upstream_tries 3;"));
        assert!(c.contains("listen 127.0.0.1:8080;"));
        assert!(c.contains("server_name web.example.test www.example.test;"));
        assert!(c.contains("proxy_pass http://web-web;"));
        assert!(!c.contains("ssl"));
        let mut i = inputs();
        i.tls = Some(("/t/server.crt".into(), "/t/server.key".into()));
        i.maps.push(PortMap::parse("https:443:5000").unwrap());
        let c = config(&i);
        assert!(c.contains("return 301 https://$host:8443$request_uri;"));
        assert!(c.contains("listen 127.0.0.1:8443 ssl;"));
        assert!(c.contains("ssl_certificate /t/server.crt;"));
        assert!(
            c.contains("Strict-Transport-Security \"max-age=15724800; includeSubDomains\" always;")
        );
        i.bind6 = "::1".into();
        i.settings.insert("proxy-keepalive".into(), "16".into());
        i.settings.insert("hsts-preload".into(), "true".into());
        i.settings.insert("access-log-format".into(), "json".into());
        let c = config(&i);
        assert!(c.contains("listen [::1]:8443 ssl;"), "{c}");
        assert!(c.contains("  keepalive 16;\n}"), "{c}");
        assert!(c.contains("proxy_set_header Connection \"\";"), "{c}");
        assert!(c.contains("includeSubDomains; preload\""), "{c}");
        assert!(c.contains("access_log /l/a.log json;"), "{c}");
        assert!(
            c.contains("proxy_set_header X-Forwarded-For $remote_addr;"),
            "{c}"
        );
        assert!(!c.contains("X-Forwarded-Ssl"), "{c}");
        i.upstreams.clear();
        assert_eq!(config(&i), "");
        let p = placeholder(&i);
        assert!(p.contains("  location / {\n    return 502;\n  }"), "{p}");
        assert!(
            p.contains("server_name web.example.test www.example.test;"),
            "{p}"
        );
        assert!(!p.contains("upstream"), "{p}");
        assert!(PortMap::parse("http:0:5000").is_none());
        assert!(PortMap::parse("http:80").is_none());
    }
}
