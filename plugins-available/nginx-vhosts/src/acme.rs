//! ACME http-01 challenges through the app's own server: when a plugin answers Trigger
//! `acme-challenge-dir APP` with a folder, every http server of the app answers
//! `/.well-known/acme-challenge/` from that folder (the ACME client writes
//! `DIR/.well-known/acme-challenge/TOKEN`), before any redirect to https. An app with domains
//! but no map on the http port (only https, or a non-standard port) gets a small server on the
//! http port for its domains alone, answering the challenge and redirecting the rest to https
//! (404 without an https listener). nginx-vhosts knows the folder only through the trigger.

use crate::generate::Inputs;
use anyhow::{bail, Result};
use std::fmt::Write;

/// The folder the app's challenges are answered from: the first non-blank line of the answer
/// to Trigger `acme-challenge-dir APP` (asked with the app's other facts, see `facts`), when a
/// plugin answers one; it must be an absolute path nginx can take as it is.
pub fn dir_from(app: &str, answer: &str) -> Result<Option<String>> {
    let Some(dir) = answer.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+@".contains(c);
    if !dir.starts_with('/') || !dir.chars().all(plain) {
        bail!("acme-challenge-dir {app} answered {dir:?}, not an absolute plain path");
    }
    Ok(Some(dir.to_string()))
}

/// The challenge location of an http server (nothing when the app has no challenge folder).
pub fn location(out: &mut String, i: &Inputs) {
    if let Some(dir) = &i.acme_dir {
        let _ = writeln!(out, "  location ^~ /.well-known/acme-challenge/ {{");
        let _ = writeln!(out, "    root {dir};");
        let _ = writeln!(out, "    default_type text/plain;");
        let _ = writeln!(out, "    try_files $uri =404;");
        let _ = writeln!(out, "  }}");
    }
}

/// The small http-port server of an app with a challenge folder and domains but no http map
/// on the http port.
pub fn fallback_server(out: &mut String, i: &Inputs) {
    if i.acme_dir.is_none() || i.domains.is_empty() {
        return;
    }
    let served = i
        .maps
        .iter()
        .any(|m| m.scheme == "http" && i.listen_port(m) == i.http_port);
    if served {
        return;
    }
    let _ = writeln!(out, "server {{");
    let _ = writeln!(out, "  listen {};", listen(i));
    let _ = writeln!(out, "  server_name {};", i.domains.join(" "));
    location(out, i);
    let _ = writeln!(out, "  location / {{");
    match i.https_redirect_port() {
        Some(443) => {
            let _ = writeln!(out, "    return 301 https://$host$request_uri;");
        }
        Some(p) => {
            let _ = writeln!(out, "    return 301 https://$host:{p}$request_uri;");
        }
        None => {
            let _ = writeln!(out, "    return 404;");
        }
    }
    let _ = writeln!(out, "  }}");
    let _ = writeln!(out, "}}");
}

fn listen(i: &Inputs) -> String {
    if i.bind.is_empty() {
        i.http_port.to_string()
    } else {
        format!("{}:{}", i.bind, i.http_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::PortMap;

    fn inputs(map: &str) -> Inputs {
        Inputs {
            app: "web".into(),
            domains: vec!["a.test".into(), "b.test".into()],
            maps: vec![PortMap::parse(map).unwrap()],
            upstreams: vec!["127.0.0.1:4000".into()],
            bind: "127.0.0.1".into(),
            http_port: 8080,
            https_port: 8443,
            acme_dir: Some("/d/web".into()),
            ..Default::default()
        }
    }

    #[test]
    fn http_map_answers_the_challenge() {
        let c = crate::generate::config(&inputs("http:80:5000"));
        assert!(c.contains("location ^~ /.well-known/acme-challenge/ {\n    root /d/web;"));
        assert_eq!(c.matches("server {").count(), 1);
    }

    #[test]
    fn https_only_gets_a_port_80_server() {
        let mut i = inputs("https:443:5000");
        i.tls = Some(("/c".into(), "/k".into()));
        let c = crate::generate::config(&i);
        assert!(c.contains("listen 127.0.0.1:8080;\n  server_name a.test b.test;"));
        assert!(c.contains("return 301 https://$host:8443$request_uri;"));
        let mut none = inputs("https:443:5000");
        none.acme_dir = None;
        assert!(!crate::generate::config(&none).contains("acme-challenge"));
    }
}
