//! Credentials for private https remotes of `git:sync`: `git:auth HOST [USER [PASSWORD]]`
//! keeps one `machine HOST login USER password PASSWORD` entry per host in the dokku user's
//! `$DOKKU_ROOT/.netrc` (mode 0600, written atomically under a lock), which git's http client
//! reads when `git:sync` runs it with `HOME=$DOKKU_ROOT`. Without USER the entry is removed.
//! `git:auth-status HOST [USER [PASSWORD]]` answers by its exit code alone whether the entry
//! is as given (no USER: that there is none). A password never goes on a command line of ours:
//! it comes in the private arguments, or on stdin when only USER is given.

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{args, log, paths, Exit};
use std::io::BufRead;
use std::path::PathBuf;

/// The netrc file git's http client reads for the dokku user.
pub fn netrc_path() -> PathBuf {
    paths().dokku_root.join(".netrc")
}

/// Checks a host name as `git:auth` and `git:allow-host` take it: a DNS name, an IPv4 address
/// or an IPv6 address (no scheme, path or user).
pub fn validate_host(host: &str) -> Result<()> {
    let bad = || anyhow::anyhow!("invalid host {host:?}: give a host name or an IP address");
    if host.is_empty() || host.len() > 253 {
        return Err(bad());
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if !dokku_core::hostname::is_dns_name(host) {
        return Err(bad());
    }
    Ok(())
}

/// A netrc token we can write and curl reads back as one: no whitespace, quotes, backslashes
/// or control characters.
fn check_token(what: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        bail!("the {what} is empty");
    }
    if v.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\')
    {
        bail!(
            "the {what} holds whitespace, a quote or a backslash, which a netrc entry cannot carry"
        );
    }
    Ok(())
}

/// The password when only the user was given: the first line of stdin.
fn password_from_stdin() -> Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        bail!("no password given: pass it as the third argument or on stdin");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.is_empty() {
        bail!("no password given: pass it as the third argument or on stdin");
    }
    Ok(p)
}

/// The parsed arguments of `git:auth` and `git:auth-status`: host, and user with password.
fn parse(argv: &[String], usage: &str) -> Result<(String, Option<(String, String)>)> {
    // Dokku's netrc is the dokku user's, for all apps: `--global` names that scope.
    let a = args::parse(argv, &["--global"], &[])?;
    a.at_most(3, usage)?;
    let Some(host) = a.pos(0) else {
        bail!("no host given; usage: {usage}");
    };
    validate_host(host)?;
    let Some(user) = a.pos(1) else {
        return Ok((host.clone(), None));
    };
    check_token("user name", user)?;
    let password = match a.pos(2) {
        Some(p) => p.clone(),
        None => password_from_stdin()?,
    };
    check_token("password", &password)?;
    Ok((host.clone(), Some((user.clone(), password))))
}

/// One entry of a netrc file, as its tokens (`machine HOST login U password P`, `default …`).
struct Entry {
    tokens: Vec<String>,
}

impl Entry {
    fn machine(&self) -> Option<&str> {
        match self.tokens.as_slice() {
            [m, host, ..] if m == "machine" => Some(host),
            _ => None,
        }
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.tokens
            .windows(2)
            .skip(2)
            .find(|w| w[0] == key)
            .map(|w| w[1].as_str())
    }
}

/// The entries of the netrc file (none when it does not exist).
fn read_entries() -> Result<Vec<Entry>> {
    let path = netrc_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut entries: Vec<Entry> = Vec::new();
    for tok in text.split_whitespace() {
        if tok == "machine" || tok == "default" || entries.is_empty() {
            entries.push(Entry { tokens: Vec::new() });
        }
        if let Some(e) = entries.last_mut() {
            e.tokens.push(tok.to_string());
        }
    }
    Ok(entries)
}

/// The stored `(user, password)` of `host`.
fn stored(host: &str) -> Result<Option<(String, String)>> {
    Ok(read_entries()?
        .iter()
        .find(|e| e.machine() == Some(host))
        .map(|e| {
            (
                e.value("login").unwrap_or_default().to_string(),
                e.value("password").unwrap_or_default().to_string(),
            )
        }))
}

/// `git:auth [--global] HOST [USER [PASSWORD]]`: sets (or, without USER, removes) the netrc
/// entry of HOST; the password is read from stdin when only USER is given.
pub fn auth(argv: &[String]) -> Result<()> {
    const USAGE: &str =
        "dokku git:auth <host> [<username> [<password>]] (password on stdin when left out)";
    let (host, creds) = parse(argv, USAGE)?;
    let path = netrc_path();
    let _guard = plugn::atomic::lock(&path)?;
    let entries = read_entries()?;
    let mut lines: Vec<String> = entries
        .iter()
        .filter(|e| e.machine() != Some(host.as_str()))
        .map(|e| e.tokens.join(" "))
        .collect();
    let had = lines.len() != entries.len();
    match &creds {
        Some((user, password)) => {
            lines.push(format!("machine {host} login {user} password {password}"));
            log::info1(&format!("Setting netrc auth entry for host {host}"));
        }
        None if !had => {
            log::info1(&format!("No netrc auth entry for host {host}"));
            return Ok(());
        }
        None => log::info1(&format!("Removing netrc auth entry for host {host}")),
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    plugn::atomic::write(&path, text.as_bytes(), 0o600)
}

/// `git:auth-status HOST [USER [PASSWORD]]`: exit 0 when the netrc entry of HOST is the one
/// given (without USER: when there is none), 1 otherwise; prints nothing.
pub fn auth_status(argv: &[String]) -> Result<()> {
    let (host, creds) = parse(argv, usage())?;
    if stored(&host)? == creds {
        Ok(())
    } else {
        Err(Exit(1).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in ["github.com", "127.0.0.1", "::1", "git-01.example.org"] {
            validate_host(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["", "-x", "a b", "https://x", "x/y", "a..b", "u@h", "h:22"] {
            assert!(validate_host(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tokens() {
        assert!(check_token("password", "s3cret-Tok_en").is_ok());
        for bad in ["", "a b", "a\"b", "a\\b", "a\nb"] {
            assert!(check_token("password", bad).is_err(), "{bad:?} accepted");
        }
    }
}
