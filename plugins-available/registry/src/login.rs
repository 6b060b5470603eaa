//! Registry logins: `registry:login` and `registry:logout` run `docker login`/`docker logout`
//! with `DOCKER_CONFIG` set to the global folder (`$DOKKU_ROOT/.docker`) or to the app's own
//! (`$DOKKU_LIB_ROOT/data/registry/APP/docker`), both 0700; the password reaches docker only on
//! its standard input. Also which folder a push or pull of an app uses, and the credentials a
//! folder holds for a server (for the registry's HTTP API).

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, docker, log, paths, property};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The global docker config folder.
pub fn global_dir() -> PathBuf {
    paths().dokku_root.join(".docker")
}

/// The registry plugin's data folder of an app (its login, the tags it pushed).
pub fn data_dir(app: &str) -> PathBuf {
    paths().lib_root.join("data/registry").join(app)
}

/// The docker config folder of an app's own login.
pub fn app_dir(app: &str) -> PathBuf {
    data_dir(app).join("docker")
}

/// Creates `dir` (and its parents) and makes it 0700.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))
}

fn auths(dir: &Path) -> Result<serde_json::Map<String, serde_json::Value>> {
    let file = dir.join("config.json");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", file.display()))?;
    Ok(v.get("auths")
        .and_then(|a| a.as_object())
        .cloned()
        .unwrap_or_default())
}

/// The name docker files a server's login under (Docker Hub's is its v1 address).
fn auth_key(server: &str) -> String {
    if server.is_empty() || server == "docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        server.to_string()
    }
}

/// The docker config folder to push to or pull from `server` for `app`: the app's own when it
/// logged in to that server, else the global one when it did; `None` without a login.
/// With an empty `server`, any login of the app's, else any global one.
pub fn config_for(app: &str, server: &str) -> Result<Option<PathBuf>> {
    let key = auth_key(server);
    let mut dirs = Vec::new();
    if app != property::GLOBAL {
        dirs.push(app_dir(app));
    }
    dirs.push(global_dir());
    for dir in dirs {
        let a = auths(&dir)?;
        if (server.is_empty() && !a.is_empty()) || a.contains_key(&key) {
            return Ok(Some(dir));
        }
    }
    Ok(None)
}

/// The user and password a docker config folder holds for `server` (its `auth` entry).
pub fn credentials(dir: &Path, server: &str) -> Result<Option<(String, String)>> {
    let a = auths(dir)?;
    let Some(auth) = a
        .get(&auth_key(server))
        .and_then(|e| e.get("auth"))
        .and_then(|v| v.as_str())
    else {
        return Ok(None);
    };
    let bytes = base64_decode(auth).context("a login's auth entry is not base64")?;
    let text = String::from_utf8(bytes).context("a login's auth entry is not UTF-8")?;
    let Some((user, pass)) = text.split_once(':') else {
        bail!("a login's auth entry is not USER:PASSWORD");
    };
    Ok(Some((user.to_string(), pass.to_string())))
}

/// Standard base64 (padding optional).
fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("invalid base64 character"),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Whose login a command changes: `--global` (also the default without an app) or an app.
fn scope(a: &args::Args, wanted: usize, usage: &str) -> Result<(String, Vec<String>)> {
    let p = &a.positional;
    if a.has("--global") || p.len() < wanted + 1 {
        if !a.has("--global") && p.len() < wanted {
            bail!("missing arguments; usage: {usage}");
        }
        a.at_most(wanted, usage)?;
        return Ok((property::GLOBAL.to_string(), p.clone()));
    }
    a.at_most(wanted + 1, usage)?;
    let app = p[0].clone();
    appname::verify(&app)?;
    Ok((app, p[1..].to_vec()))
}

fn dir_of(scope: &str) -> PathBuf {
    if scope == property::GLOBAL {
        global_dir()
    } else {
        app_dir(scope)
    }
}

/// Docker Hub's other names become `docker.io`, as Dokku does.
fn normalize_server(server: &str) -> String {
    let s = server.trim_end_matches('/');
    if s == "hub.docker.com" || s == "docker.com" {
        "docker.io".to_string()
    } else {
        s.to_string()
    }
}

/// Docker's last meaningful error line (its reason), without its boilerplate prefix.
pub fn docker_reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("WARNING"))
        .unwrap_or("failed")
        .trim_start_matches("Error response from daemon: ")
        .trim_start_matches("Error: ")
        .to_string()
}

/// `registry:login [--global|APP] [--password-stdin] SERVER USER [PASSWORD]`.
pub fn login(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--global", "--password-stdin"], &[])?;
    let stdin = a.has("--password-stdin");
    // SERVER USER, plus PASSWORD unless it comes on stdin, plus APP unless --global.
    let wanted = if stdin { 2 } else { 3 };
    let p = &a.positional;
    let (scope, rest) = if a.has("--global") {
        a.at_most(wanted, usage)?;
        (property::GLOBAL.to_string(), p.clone())
    } else if p.len() > wanted || (!stdin && p.len() == wanted && appname::exists(&p[0])) {
        // An app first: `registry:login APP SERVER USER [PASSWORD]`.
        if p.len() > wanted + 1 {
            bail!("unexpected argument {:?}; usage: {usage}", p[wanted + 1]);
        }
        appname::verify(&p[0])?;
        (p[0].clone(), p[1..].to_vec())
    } else {
        (property::GLOBAL.to_string(), p.clone())
    };
    let Some(server) = rest.first() else {
        bail!("Missing server argument; usage: {usage}");
    };
    let server = normalize_server(server);
    crate::props::validate_server(&server)?;
    let Some(user) = rest.get(1).filter(|u| !u.is_empty()) else {
        bail!("Missing username argument; usage: {usage}");
    };
    if user.chars().any(|c| c.is_control()) || user.contains(':') {
        bail!("invalid username {user:?}");
    }
    let password = if stdin {
        if rest.len() > 2 {
            bail!("a password argument cannot go with --password-stdin");
        }
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the password from stdin")?;
        s.trim_end_matches(['\n', '\r']).to_string()
    } else {
        rest.get(2).cloned().unwrap_or_default()
    };
    if password.is_empty() {
        bail!("Missing password argument (give --password-stdin and the password on stdin)");
    }
    if password.contains(['\n', '\r', '\0']) {
        bail!("the password holds a line break or a NUL byte");
    }
    let dir = dir_of(&scope);
    private_dir(&dir)?;
    let mut child = docker::command(["login", "--username", user, "--password-stdin", &server])
        .env("DOCKER_CONFIG", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    {
        let mut sin = child.stdin.take().expect("piped stdin");
        // docker may exit before reading it all; its own error says why.
        let _ = sin.write_all(format!("{password}\n").as_bytes());
    }
    let out = child.wait_with_output().context("docker login")?;
    if !out.status.success() {
        bail!(
            "Failed to log into {server} as {user}: {}",
            docker_reason(&out.stderr)
        );
    }
    let file = dir.join("config.json");
    if file.exists() {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set the mode of {}", file.display()))?;
    }
    let whose = if scope == property::GLOBAL {
        "globally".to_string()
    } else {
        format!("for {scope}")
    };
    log::info1(&format!("Logged into {server} as {user} {whose}"));
    dokku_core::trigger("post-registry-login", &[&server, user])
}

/// `registry:logout [--global|APP] SERVER`.
pub fn logout(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--global"], &[])?;
    let (scope, rest) = scope(&a, 1, usage)?;
    let Some(server) = rest.first() else {
        bail!("Missing server argument; usage: {usage}");
    };
    let server = normalize_server(server);
    crate::props::validate_server(&server)?;
    let dir = dir_of(&scope);
    if !auths(&dir)?.contains_key(&auth_key(&server)) {
        bail!("Not logged into {server}");
    }
    let out = docker::command(["logout", &server])
        .env("DOCKER_CONFIG", &dir)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    if !out.status.success() {
        bail!(
            "Failed to log out of {server}: {}",
            docker_reason(&out.stderr)
        );
    }
    log::info1(&format!("Logged out of {server}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(super::base64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(super::base64_decode("YQ==").unwrap(), b"a");
        assert!(super::base64_decode("a*b").is_err());
    }
}
