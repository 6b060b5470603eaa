//! Runs Debian's `lego` (the ACME client) for an app: never through a shell, its secrets (DNS
//! provider tokens) in its environment only. `LEGO_CA_CERTIFICATES` (a CA to trust for the
//! ACME server, as a test server's) reaches it from the environment of the `dokku` command.

use crate::settings;
use crate::state;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The lego binary (`DOKKU_LEGO_BIN` overrides it).
fn bin() -> String {
    std::env::var("DOKKU_LEGO_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "lego".to_string())
}

/// The certificate and key lego wrote for DOMAINS (it names them after the first).
pub fn cert_files(app: &str, domains: &[String]) -> (PathBuf, PathBuf) {
    let name = domains
        .first()
        .map(|d| d.replace('*', "_"))
        .unwrap_or_default();
    let d = state::lego_path(app).join("certificates");
    (d.join(format!("{name}.crt")), d.join(format!("{name}.key")))
}

/// `lego … ACTION` for the app's DOMAINS: `run` (a new certificate) or `revoke`.
pub fn run(app: &str, email: &str, domains: &[String], action: &str) -> Result<()> {
    let provider = settings::computed(app, "dns-provider")?;
    let mut cmd = Command::new(bin());
    cmd.arg("--accept-tos")
        .arg("--email")
        .arg(email)
        .arg("--server")
        .arg(settings::server_url(app)?)
        .arg("--path")
        .arg(state::lego_path(app));
    for d in domains {
        cmd.arg("--domains").arg(d);
    }
    if provider.is_empty() {
        cmd.arg("--http")
            .arg("--http.webroot")
            .arg(state::webroot(app));
    } else {
        cmd.arg("--dns").arg(&provider);
        for r in resolvers()? {
            cmd.arg("--dns.resolvers").arg(r);
        }
        // A DNS server that answers the challenge records but no SOA (a test server) cannot
        // take lego's propagation check: `DOKKU_LETSENCRYPT_DNS_DISABLE_CP=1` skips it.
        if std::env::var("DOKKU_LETSENCRYPT_DNS_DISABLE_CP").is_ok_and(|v| v == "1") {
            cmd.arg("--dns.disable-cp");
        }
        for (k, v) in settings::provider_env(app)? {
            cmd.env(k, v);
        }
    }
    cmd.arg(action)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {} (install the lego package)", bin()))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        bail!(
            "lego {action} failed for {}: {}",
            domains.join(", "),
            reason(&text)
        );
    }
    Ok(())
}

/// The DNS resolvers lego checks dns-01 records with: `DOKKU_LETSENCRYPT_DNS_RESOLVERS` from
/// the environment (`HOST:PORT`, comma separated; a private resolver, or a test DNS server),
/// else the system's.
fn resolvers() -> Result<Vec<String>> {
    let v = std::env::var("DOKKU_LETSENCRYPT_DNS_RESOLVERS").unwrap_or_default();
    let mut out = Vec::new();
    for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let ok = r.rsplit_once(':').is_some_and(|(h, p)| {
            !h.is_empty()
                && p.parse::<u16>().is_ok()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        });
        if !ok {
            bail!("invalid DOKKU_LETSENCRYPT_DNS_RESOLVERS entry {r:?}: give HOST:PORT");
        }
        out.push(r.to_string());
    }
    Ok(out)
}

/// The one line that says why lego failed: the ACME error's detail when there is one.
pub fn reason(text: &str) -> String {
    let strip = |l: &str| -> String {
        // `2026/12/01 06:00:00 message`: the date and time left out.
        let mut parts = l.splitn(3, ' ');
        let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let rest = parts.next().unwrap_or("");
        let dated = a.len() == 10 && a.chars().filter(|c| *c == '/').count() == 2;
        let s = if dated && b.contains(':') { rest } else { l };
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(strip)
        .collect();
    let pick = lines
        .iter()
        .rev()
        .find(|l| l.contains("urn:ietf:params:acme:error") || l.contains("acme: error"))
        .or_else(|| {
            lines
                .iter()
                .rev()
                .find(|l| l.to_lowercase().contains("error"))
        })
        .or(lines.last());
    let mut s = pick.cloned().unwrap_or_else(|| "no output".to_string());
    if s.len() > 400 {
        let mut cut = 400;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// The expiry (Unix seconds) of the certificate in the file.
pub fn expiry(crt: &std::path::Path) -> Result<u64> {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"])
        .arg(crt)
        .output()
        .context("cannot run openssl")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text.trim().strip_prefix("notAfter=").unwrap_or_default();
    parse_iso(v).with_context(|| format!("cannot read the expiry of {}", crt.display()))
}

/// `YYYY-MM-DD HH:MM:SSZ` to Unix seconds.
fn parse_iso(s: &str) -> Option<u64> {
    let s = s.trim_end_matches('Z');
    let (date, time) = s.split_once(' ')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else {
        return None;
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if *m <= 2 { y - 1 } else { *y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_reasons() {
        assert_eq!(parse_iso("1970-01-02 00:00:01Z"), Some(86_401));
        assert_eq!(parse_iso("2000-03-01 00:00:00Z"), Some(951_868_800));
        let r = reason("2026/12/01 06:00:00 [INFO] x\n2026/12/01 06:00:01 Could not obtain certificates:\n\terror: one or more domains had a problem:\n[a.test] acme: error: 400 :: urn:ietf:params:acme:error:connection :: refused\n");
        assert_eq!(
            r,
            "[a.test] acme: error: 400 :: urn:ietf:params:acme:error:connection :: refused"
        );
    }
}
