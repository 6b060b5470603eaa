//! Push over http(s): nginx checks basic auth against `$DOKKU_ROOT/.git-http/htpasswd` and runs
//! `dokku git-http-backend` as a CGI program (through our FastCGI responder, fastcgi.rs) for `/APP/info/refs`,
//! `/APP/git-upload-pack` and `/APP/git-receive-pack`. It does what `git-receive-pack` does
//! over ssh (auth trigger, app creation, repository, deploy lock) and hands the request to
//! `git http-backend`, whose `pre-receive` hook runs the same pipeline; the build's output
//! streams back in the response as `remote:` lines. Users: `git:http-user-add|remove|list`.

use crate::repo;
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, deploylock, log, paths, Exit};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The password file nginx checks.
pub fn htpasswd() -> PathBuf {
    paths().dokku_root.join(".git-http/htpasswd")
}

/// Answers the request with an error status and one line of text.
fn respond_error(status: &str, msg: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    write!(
        o,
        "Status: {status}\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n\r\n{msg}\n"
    )?;
    o.flush()?;
    Ok(())
}

/// Which git service a request is for.
#[derive(Debug, PartialEq, Eq)]
enum Service {
    Receive,
    Upload,
}

/// The app and service of a request: `PATH_INFO` `/APP[.git]/…` and the `service=` query.
fn parse_request(path_info: &str, query: &str) -> Result<(String, Service, bool)> {
    let rest = path_info.trim_start_matches('/');
    let Some((repo_part, tail)) = rest.split_once('/') else {
        bail!("not a git request: {path_info:?}");
    };
    let app = repo::app_from_path(repo_part)?;
    let service_of = |s: &str| match s {
        "git-receive-pack" => Ok(Service::Receive),
        "git-upload-pack" => Ok(Service::Upload),
        other => bail!("unknown git service {other:?}"),
    };
    match tail {
        "info/refs" => {
            let svc = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("service="))
                .unwrap_or("");
            if svc.is_empty() {
                bail!(
                    "the dumb http protocol is not served; use a git client that speaks smart http"
                );
            }
            Ok((app, service_of(svc)?, false))
        }
        "git-receive-pack" | "git-upload-pack" => Ok((app, service_of(tail)?, true)),
        _ => bail!("not a git request: {path_info:?}"),
    }
}

/// `git-http-backend` (a CGI program started by the FastCGI responder for nginx).
pub fn backend(_argv: &[String]) -> Result<()> {
    let path_info = std::env::var("PATH_INFO").unwrap_or_default();
    let query = std::env::var("QUERY_STRING").unwrap_or_default();
    let user = std::env::var("REMOTE_USER").unwrap_or_default();
    if user.is_empty() {
        return respond_error("401 Unauthorized", "authentication required");
    }
    let (app, service, is_rpc) = match parse_request(&path_info, &query) {
        Ok(r) => r,
        Err(e) => return respond_error("400 Bad Request", &format!("{e:#}")),
    };
    // The user nginx authenticated is the user's name for triggers and the events log.
    std::env::set_var("NAME", &user);
    std::env::set_var("SSH_NAME", &user);
    let prepared = (|| -> Result<Option<deploylock::DeployLock>> {
        crate::push::authorize(&app)?;
        match service {
            Service::Receive => {
                crate::push::trigger_beside_protocol("app-maybe-create", &[&app])?;
                repo::ensure(&app)?;
                Ok(if is_rpc {
                    Some(deploylock::acquire_untracked(&app)?)
                } else {
                    None
                })
            }
            Service::Upload => {
                appname::verify(&app)?;
                if !repo::exists(&app) {
                    bail!("{app} has no repository yet: push to it first");
                }
                if is_rpc {
                    crate::push::trigger_beside_protocol("git-pre-pull", &[&app])?;
                }
                Ok(None)
            }
        }
    })();
    let _lock = match prepared {
        Ok(l) => l,
        Err(e) => {
            let msg = match dokku_core::exit_code(&e) {
                Some(_) => format!("refused by a plugin for {app}"),
                None => format!("{e:#}"),
            };
            return respond_error("403 Forbidden", &msg);
        }
    };
    let tail = path_info
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, t)| t)
        .unwrap_or("");
    let st = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &paths().dokku_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{app}/{tail}"))
        .env("REMOTE_USER", &user)
        .status()
        .context("cannot run git http-backend")?;
    if is_rpc && service == Service::Upload {
        crate::push::trigger_beside_protocol("git-post-pull", &[&app])?;
    }
    match plugn::trigger::exit_code(st) {
        0 => Ok(()),
        c => Err(Exit(c).into()),
    }
}

/// Checks an http user name: letters, digits, `.`, `_`, `@`, `-`; no `:` (the file's separator).
fn validate_user(name: &str) -> Result<()> {
    let ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if !ok {
        bail!("invalid user name {name:?}: use letters, digits, '.', '_', '@' and '-'");
    }
    Ok(())
}

/// The lines of the password file (empty when it does not exist).
fn read_users() -> Result<Vec<String>> {
    let path = htpasswd();
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_users(lines: &[String]) -> Result<()> {
    let path = htpasswd();
    let dir = path.parent().expect("htpasswd has a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    plugn::atomic::write(&path, text.as_bytes(), 0o600)
}

/// A salted SHA-512 crypt hash of `password` (`openssl passwd -6`, password on stdin).
fn hash_password(password: &str) -> Result<String> {
    let mut child = Command::new("openssl")
        .args(["passwd", "-6", "-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run openssl (apt-get install openssl)")?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{password}\n").as_bytes())
        .context("cannot pass the password to openssl")?;
    let out = child.wait_with_output().context("cannot run openssl")?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !hash.starts_with("$6$") {
        bail!("openssl could not hash the password");
    }
    Ok(hash)
}

/// `git:http-user-add USER` (password: one line on stdin): adds or replaces a push user.
pub fn user_add(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, "dokku git:http-user-add <user> (password on stdin)")?;
    let Some(user) = a.pos(0) else {
        bail!("no user given; usage: dokku git:http-user-add <user> (password on stdin)");
    };
    validate_user(user)?;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("cannot read the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']);
    if password.len() < 8 {
        bail!("the password must have at least 8 characters (given on stdin)");
    }
    let hash = hash_password(password)?;
    let _guard = plugn::atomic::lock(&htpasswd())?;
    let mut lines: Vec<String> = read_users()?
        .into_iter()
        .filter(|l| l.split(':').next() != Some(user.as_str()))
        .collect();
    lines.push(format!("{user}:{hash}"));
    write_users(&lines)?;
    log::info1(&format!("Added http push user {user}"));
    Ok(())
}

/// `git:http-user-remove USER`.
pub fn user_remove(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let Some(user) = a.pos(0) else {
        bail!("no user given; usage: dokku git:http-user-remove <user>");
    };
    validate_user(user)?;
    let _guard = plugn::atomic::lock(&htpasswd())?;
    let lines = read_users()?;
    let kept: Vec<String> = lines
        .iter()
        .filter(|l| l.split(':').next() != Some(user.as_str()))
        .cloned()
        .collect();
    if kept.len() == lines.len() {
        bail!("no http push user {user}");
    }
    write_users(&kept)?;
    log::info1(&format!("Removed http push user {user}"));
    Ok(())
}

/// `git:http-user-list`.
pub fn user_list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(0, usage())?;
    let mut o = std::io::stdout().lock();
    for l in read_users()? {
        if let Some(user) = l.split(':').next() {
            writeln!(o, "{user}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(
            parse_request("/web/info/refs", "service=git-receive-pack").unwrap(),
            ("web".into(), Service::Receive, false)
        );
        assert_eq!(
            parse_request("/web.git/git-upload-pack", "").unwrap(),
            ("web".into(), Service::Upload, true)
        );
        for (p, q) in [
            ("/web/info/refs", ""),
            ("/web/HEAD", ""),
            ("/../x/info/refs", "service=git-receive-pack"),
            ("/web/info/refs", "service=git-evil"),
        ] {
            assert!(parse_request(p, q).is_err(), "{p}?{q}");
        }
    }
}
