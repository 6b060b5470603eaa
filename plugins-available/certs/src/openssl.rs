//! The `openssl` commands the certs plugin runs, always with an argument list (never a shell)
//! and no stdin: checking a certificate and key, making a self-signed pair, reading a
//! certificate's details.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `openssl ARGS…` and returns its output (whatever its exit code).
fn run<I, S>(args: I) -> Result<Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run openssl (is it installed?)")
}

/// The first line openssl printed on stderr, for an error message.
fn first_error(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no details")
        .to_string()
}

/// The public key of a PEM certificate; fails when `crt` is not one.
fn cert_pubkey(crt: &Path) -> Result<String> {
    let o = run([
        OsStr::new("x509"),
        OsStr::new("-noout"),
        OsStr::new("-pubkey"),
        OsStr::new("-in"),
        crt.as_os_str(),
    ])?;
    if !o.status.success() {
        bail!("the certificate is not a valid PEM certificate");
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// The public key of a PEM private key; fails when `key` is not an unencrypted private key.
fn key_pubkey(key: &Path) -> Result<String> {
    let o = run([
        OsStr::new("pkey"),
        OsStr::new("-pubout"),
        OsStr::new("-passin"),
        OsStr::new("pass:"),
        OsStr::new("-in"),
        key.as_os_str(),
    ])?;
    if !o.status.success() {
        bail!("the key is not a valid unencrypted PEM private key");
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Checks that `crt` is a certificate, `key` a private key, and that they belong together.
pub fn check_pair(crt: &Path, key: &Path) -> Result<()> {
    let c = cert_pubkey(crt)?;
    let k = key_pubkey(key)?;
    if c.is_empty() || c != k {
        bail!("the certificate and the key do not match (the key is not the certificate's)");
    }
    Ok(())
}

/// Makes a self-signed certificate (RSA 2048, 365 days) for `names` (the first ≤ 64 bytes is
/// the common name, else `fallback_cn`; all are subject alternative names) as
/// `dir/server.crt` and `dir/server.key`.
pub fn generate(dir: &Path, names: &[String], fallback_cn: &str) -> Result<()> {
    let cn = names
        .iter()
        .find(|n| n.len() <= 64)
        .map(String::as_str)
        .unwrap_or(fallback_cn);
    let san: Vec<String> = names
        .iter()
        .map(|n| {
            if n.parse::<std::net::IpAddr>().is_ok() {
                format!("IP:{n}")
            } else {
                format!("DNS:{n}")
            }
        })
        .collect();
    let o = run([
        OsStr::new("req"),
        OsStr::new("-x509"),
        OsStr::new("-newkey"),
        OsStr::new("rsa:2048"),
        OsStr::new("-nodes"),
        OsStr::new("-days"),
        OsStr::new("365"),
        OsStr::new("-subj"),
        OsStr::new(&format!("/CN={cn}")),
        OsStr::new("-addext"),
        OsStr::new(&format!("subjectAltName={}", san.join(","))),
        OsStr::new("-keyout"),
        dir.join("server.key").as_os_str(),
        OsStr::new("-out"),
        dir.join("server.crt").as_os_str(),
    ])?;
    if !o.status.success() {
        bail!("openssl could not make a certificate: {}", first_error(&o));
    }
    Ok(())
}

/// What the report shows of a certificate.
#[derive(Debug, Default, Clone)]
pub struct Info {
    /// `CN=example.com` (RDNs joined with `; `).
    pub subject: String,
    /// The issuer, RDNs joined with `, `.
    pub issuer: String,
    /// `notBefore`, as openssl prints it.
    pub starts_at: String,
    /// `notAfter`, as openssl prints it.
    pub expires_at: String,
    /// The common name and DNS subject alternative names, sorted, without repeats.
    pub hostnames: Vec<String>,
}

/// `/C=GB/CN=x` → the RDNs (`C=GB`, `CN=x`).
fn rdns(compat: &str) -> Vec<String> {
    compat
        .trim()
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses the output of `x509 -noout -subject -issuer -startdate -enddate -ext subjectAltName
/// -nameopt compat`.
fn parse_info(text: &str) -> Info {
    let mut info = Info::default();
    let mut names: Vec<String> = Vec::new();
    let mut in_san = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("subject=") {
            let r = rdns(v);
            names.extend(
                r.iter()
                    .filter_map(|x| x.strip_prefix("CN="))
                    .map(str::to_string),
            );
            info.subject = r.join("; ");
        } else if let Some(v) = line.strip_prefix("issuer=") {
            info.issuer = rdns(v).join(", ");
        } else if let Some(v) = line.strip_prefix("notBefore=") {
            info.starts_at = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("notAfter=") {
            info.expires_at = v.trim().to_string();
        } else if line.contains("Subject Alternative Name") {
            in_san = true;
        } else if in_san && line.starts_with(char::is_whitespace) {
            names.extend(
                line.split(',')
                    .filter_map(|p| p.trim().strip_prefix("DNS:"))
                    .map(str::to_string),
            );
        } else {
            in_san = false;
        }
    }
    names.sort();
    names.dedup();
    info.hostnames = names;
    info
}

/// Reads a certificate's details.
pub fn info(crt: &Path) -> Result<Info> {
    let o = run([
        OsStr::new("x509"),
        OsStr::new("-noout"),
        OsStr::new("-subject"),
        OsStr::new("-issuer"),
        OsStr::new("-startdate"),
        OsStr::new("-enddate"),
        OsStr::new("-ext"),
        OsStr::new("subjectAltName"),
        OsStr::new("-nameopt"),
        OsStr::new("compat"),
        OsStr::new("-in"),
        crt.as_os_str(),
    ])?;
    if !o.status.success() {
        bail!("cannot read {}: {}", crt.display(), first_error(&o));
    }
    Ok(parse_info(&String::from_utf8_lossy(&o.stdout)))
}

/// Whether a certificate verifies against the system's certificate authorities.
pub fn verified(crt: &Path) -> Result<bool> {
    let o = run([
        OsStr::new("verify"),
        OsStr::new("-purpose"),
        OsStr::new("sslserver"),
        crt.as_os_str(),
    ])?;
    Ok(o.status.success()
        && String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .is_some_and(|l| l.trim_end().ends_with(": OK")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_info() {
        let i = parse_info(
            "subject=/O=Acme/CN=example.com\nissuer=/C=GB/CN=CA\nnotBefore=Nov 25 21:08:35 2026 GMT\nnotAfter=Nov 25 21:08:35 2027 GMT\nX509v3 Subject Alternative Name: \n    DNS:www.example.com, DNS:*.example.com, IP Address:1.2.3.4\n",
        );
        assert_eq!(i.subject, "O=Acme; CN=example.com");
        assert_eq!(i.issuer, "C=GB, CN=CA");
        assert_eq!(i.expires_at, "Nov 25 21:08:35 2027 GMT");
        assert_eq!(i.starts_at, "Nov 25 21:08:35 2026 GMT");
        assert_eq!(
            i.hostnames,
            vec!["*.example.com", "example.com", "www.example.com"]
        );
    }
}
