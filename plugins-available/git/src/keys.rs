//! The dokku user's ssh side of `git:sync`: `git:allow-host HOST[:PORT]` adds the host's keys
//! (`ssh-keyscan`) to `$DOKKU_ROOT/.ssh/known_hosts`, `git:generate-deploy-key` makes an
//! ed25519 key `$DOKKU_ROOT/.ssh/id_ed25519` when there is no deploy key, `git:public-key`
//! prints it. `git:sync` runs ssh with that key and known_hosts, in batch mode (an unknown
//! host is refused, never asked about).

use crate::auth::validate_host;
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{args, log, paths};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `$DOKKU_ROOT/.ssh`.
fn ssh_dir() -> PathBuf {
    paths().dokku_root.join(".ssh")
}

/// The known_hosts file of the dokku user.
pub fn known_hosts() -> PathBuf {
    ssh_dir().join("known_hosts")
}

/// The deploy key (private), when there is one: `id_ed25519`, else Dokku's older `id_rsa`.
pub fn deploy_key() -> Option<PathBuf> {
    ["id_ed25519", "id_rsa"]
        .iter()
        .map(|n| ssh_dir().join(n))
        .find(|p| p.is_file())
}

/// Creates `$DOKKU_ROOT/.ssh` (0700) when missing.
fn ensure_ssh_dir() -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = ssh_dir();
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// A path quoted for the shell that `GIT_SSH_COMMAND` goes through.
fn shell_quote(p: &std::path::Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The `GIT_SSH_COMMAND` of `git:sync`: batch mode, the dokku user's known_hosts and, when
/// there is one, the deploy key.
pub fn ssh_command() -> String {
    let mut c = format!(
        "ssh -o BatchMode=yes -o UserKnownHostsFile={}",
        shell_quote(&known_hosts())
    );
    if let Some(k) = deploy_key() {
        c.push_str(&format!(" -i {}", shell_quote(&k)));
    }
    c
}

/// A host as `git:allow-host` takes it: `HOST`, `HOST:PORT` or `[IPV6]:PORT`; returns the
/// host and the port (22 when not given).
fn split_host_port(arg: &str) -> Result<(String, u16)> {
    let bad_port = || anyhow::anyhow!("invalid port in {arg:?}");
    let (host, port) = if let Some(rest) = arg.strip_prefix('[') {
        let Some((h, p)) = rest.split_once("]:") else {
            bail!("invalid host {arg:?}: use HOST, HOST:PORT or [IPV6]:PORT");
        };
        (h.to_string(), Some(p))
    } else if arg.matches(':').count() == 1 {
        let (h, p) = arg.split_once(':').unwrap_or((arg, ""));
        (h.to_string(), Some(p))
    } else {
        (arg.to_string(), None)
    };
    validate_host(&host)?;
    let port = match port {
        None => 22,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(bad_port)?,
    };
    Ok((host, port))
}

/// `git:allow-host HOST[:PORT]`: adds the host's keys to the dokku user's known_hosts (those
/// already there are not added twice).
pub fn allow_host(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let Some(arg) = a.pos(0) else {
        bail!("Please supply a git host; usage: {usage}");
    };
    let (host, port) = split_host_port(arg)?;
    let out = Command::new("ssh-keyscan")
        .args(["-T", "10", "-p", &port.to_string(), "--", &host])
        .stdin(Stdio::null())
        .output()
        .context("cannot run ssh-keyscan")?;
    let scanned: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if scanned.is_empty() {
        bail!("no ssh host key from {arg}: is an ssh server listening there?");
    }
    ensure_ssh_dir()?;
    let path = known_hosts();
    let _guard = plugn::atomic::lock(&path)?;
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut added = 0;
    for line in scanned {
        if !text.lines().any(|l| l.trim() == line) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&line);
            text.push('\n');
            added += 1;
        }
    }
    if added > 0 {
        plugn::atomic::write(&path, text.as_bytes(), 0o644)?;
    }
    log::info1(&format!("{arg} added to known hosts"));
    Ok(())
}

/// `git:generate-deploy-key`: an ed25519 key pair `$DOKKU_ROOT/.ssh/id_ed25519[.pub]` when
/// the dokku user has no deploy key; both files appear together (made aside, then renamed).
pub fn generate_deploy_key(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(0, usage())?;
    ensure_ssh_dir()?;
    let key = ssh_dir().join("id_ed25519");
    let _guard = plugn::atomic::lock(&key)?;
    if let Some(existing) = deploy_key() {
        log::info1(&format!(
            "A deploy key already exists at {}",
            existing.display()
        ));
        return Ok(());
    }
    let tmp = plugn::atomic::private_dir_in(&ssh_dir(), ".tmp-deploy-key-")?;
    let tmp_key = tmp.path().join("id_ed25519");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let comment = format!("dokku@{}", host.trim());
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", &comment, "-f"])
        .arg(&tmp_key)
        .stdin(Stdio::null())
        .output()
        .context("cannot run ssh-keygen")?;
    if !out.status.success() {
        bail!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    // The public half first: a private key without it is never left behind alone.
    let pub_dest = ssh_dir().join("id_ed25519.pub");
    std::fs::rename(tmp_key.with_extension("pub"), &pub_dest)
        .with_context(|| format!("cannot write {}", pub_dest.display()))?;
    std::fs::rename(&tmp_key, &key).with_context(|| format!("cannot write {}", key.display()))?;
    log::info1(&format!("Generated a deploy key at {}", key.display()));
    log::verbose("Add the output of dokku git:public-key to the remote repository's deploy keys");
    Ok(())
}

/// `git:public-key`: prints the deploy key's public half.
pub fn public_key(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(0, usage())?;
    let Some(key) = deploy_key() else {
        bail!("There is no deploy key; generate one with dokku git:generate-deploy-key");
    };
    let path = key.with_extension("pub");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    print!("{}", text.trim_end());
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports() {
        assert_eq!(
            split_host_port("github.com").unwrap(),
            ("github.com".into(), 22)
        );
        assert_eq!(
            split_host_port("127.0.0.1:2222").unwrap(),
            ("127.0.0.1".into(), 2222)
        );
        assert_eq!(split_host_port("[::1]:22").unwrap(), ("::1".into(), 22));
        for bad in [
            "",
            "-p1",
            "h:0",
            "h:x",
            "a b",
            "[::1]",
            "h:22:1",
            "-oProxyCommand=x",
        ] {
            assert!(split_host_port(bad).is_err(), "{bad} accepted");
        }
    }
}
