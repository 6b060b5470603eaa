//! What goes with an app: at `post-delete APP`, every tag the plugin pushed is deleted from its
//! registry through the HTTP API v2 (GET the manifest for its `Docker-Content-Digest`, then
//! DELETE `/v2/REPO/manifests/DIGEST`), with `curl` reading the credentials from its standard
//! input (`-K -`, never argv) and trusting the registry's CA at
//! `/etc/docker/certs.d/HOST/ca.crt` when there is one; the names made in the engine are
//! removed, then the plugin's folder of the app (its login too).

use crate::login;
use crate::push::{self, Made};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker, log, property};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The manifest types asked for: the digest docker pushed is that of one of these.
const ACCEPT: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

/// `REGISTRY/REPO:TAG` split into its three parts; `None` without a registry host.
fn split(reference: &str) -> Option<(String, String, String)> {
    let (host, rest) = reference.split_once('/')?;
    if !(host.contains('.') || host.contains(':') || host == "localhost") {
        return None;
    }
    let (repo, tag) = rest.rsplit_once(':')?;
    Some((host.to_string(), repo.to_string(), tag.to_string()))
}

/// A value quoted for a curl config file.
fn curl_quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// One request to a registry: returns (status, response headers).
fn request(
    method: &str,
    host: &str,
    path: &str,
    creds: Option<&(String, String)>,
) -> Result<(u16, String)> {
    let url = format!("https://{host}{path}");
    let mut c = Command::new("curl");
    c.args(["-sS", "-K", "-", "-o", "/dev/null", "-D", "-"])
        .args(["--max-time", "30", "--connect-timeout", "5", "-X", method]);
    let ca = Path::new("/etc/docker/certs.d").join(host).join("ca.crt");
    if ca.exists() {
        c.arg("--cacert").arg(&ca);
    }
    for a in ACCEPT {
        c.args(["-H", &format!("Accept: {a}")]);
    }
    c.arg(&url);
    let mut config = String::new();
    if let Some((user, pass)) = creds {
        config.push_str(&format!(
            "user = {}\n",
            curl_quote(&format!("{user}:{pass}"))
        ));
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run curl (is it installed?)")?;
    {
        let mut sin = child.stdin.take().expect("piped stdin");
        let _ = sin.write_all(config.as_bytes());
    }
    let out = child.wait_with_output().context("curl")?;
    if !out.status.success() {
        bail!(
            "{method} {url}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let headers = String::from_utf8_lossy(&out.stdout).into_owned();
    // The status of the last response (curl prints every response's headers).
    let status = headers
        .lines()
        .rev()
        .find(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, headers))
}

fn header(headers: &str, name: &str) -> Option<String> {
    headers.lines().rev().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Deletes the pushed `references` from their registries (grouped by manifest digest).
fn delete_pushed(app: &str, references: &[String]) -> Result<usize> {
    let mut digests = BTreeSet::new();
    for r in references {
        let Some((host, repo, tag)) = split(r) else {
            log::warn(&format!(
                "not deleting {r}: only a registry with its own host can be asked"
            ));
            continue;
        };
        let creds = creds_for(app, &host)?;
        let (status, headers) = request(
            "GET",
            &host,
            &format!("/v2/{repo}/manifests/{tag}"),
            creds.as_ref(),
        )?;
        match status {
            200 => match header(&headers, "Docker-Content-Digest") {
                Some(d) => {
                    digests.insert((host, repo, d));
                }
                None => bail!("{host} gave no Docker-Content-Digest for {repo}:{tag}"),
            },
            404 => {}
            s => bail!("{host} answered {s} for the manifest of {repo}:{tag}"),
        }
    }
    let mut deleted = 0;
    for (host, repo, digest) in digests {
        let creds = creds_for(app, &host)?;
        let (status, _) = request(
            "DELETE",
            &host,
            &format!("/v2/{repo}/manifests/{digest}"),
            creds.as_ref(),
        )?;
        match status {
            200 | 202 => deleted += 1,
            404 => {}
            405 => bail!("{host} does not allow deletes (its storage.delete.enabled is off)"),
            s => bail!("{host} answered {s} to the delete of {repo}@{digest}"),
        }
    }
    Ok(deleted)
}

/// The credentials for `host`: the app's login, else the global one.
fn creds_for(app: &str, host: &str) -> Result<Option<(String, String)>> {
    for dir in [login::app_dir(app), login::global_dir()] {
        if let Some(c) = login::credentials(&dir, host)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Trigger `post-delete APP [TAG]`.
pub fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    let made = push::made(app)?;
    let pushed: Vec<String> = made
        .iter()
        .filter(|m| m.pushed)
        .map(|m| m.reference.clone())
        .collect();
    if !pushed.is_empty() {
        match delete_pushed(app, &pushed) {
            Ok(n) => log::info1(&format!(
                "Deleted {} pushed tag(s) of {app} from the registry ({n} manifest(s))",
                pushed.len()
            )),
            // The app is gone already: say what is left behind, and carry on.
            Err(e) => log::warn(&format!(
                "could not delete the images of {app} from the registry: {e:#}"
            )),
        }
    }
    for Made { reference, .. } in &made {
        let _ = docker::command(["image", "rm", "--no-prune", reference])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    remove_dir(&login::data_dir(app))?;
    property::destroy(crate::props::PROPS, app)
}

fn remove_dir(d: &PathBuf) -> Result<()> {
    match std::fs::remove_dir_all(d) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", d.display())),
    }
}

/// Trigger `post-app-rename-setup OLD NEW`: the plugin's folder (login, tags) moves along.
pub fn trigger_rename(argv: &[String]) -> Result<()> {
    let (Some(old), Some(new)) = (argv.first(), argv.get(1)) else {
        bail!("post-app-rename-setup needs OLD NEW");
    };
    appname::validate(old)?;
    appname::validate(new)?;
    let from = login::data_dir(old);
    if from.exists() {
        let to = login::data_dir(new);
        std::fs::rename(&from, &to)
            .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_and_quoting() {
        assert_eq!(
            super::split("127.0.0.1:5000/dokku/web:3"),
            Some(("127.0.0.1:5000".into(), "dokku/web".into(), "3".into()))
        );
        assert_eq!(super::split("dokku/web:3"), None);
        assert_eq!(super::curl_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            super::header(
                "HTTP/1.1 200 OK\r\ndocker-content-digest: sha256:ab\r\n",
                "Docker-Content-Digest"
            ),
            Some("sha256:ab".into())
        );
    }
}
