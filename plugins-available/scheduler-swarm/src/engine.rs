//! The swarm's manager engine as this plugin reaches it: the docker CLI with `DOCKER_HOST` set
//! to the endpoint `scheduler-swarm:initialize` recorded (arguments as a vector, never a
//! shell), and the endpoints of the nodes (for `enter`, `cluster-remove`).

use anyhow::{bail, Context, Result};
use dokku_core::{docker, property};
use std::process::{Command, Stdio};

/// The property namespace of this plugin.
pub const PROPS: &str = "scheduler-swarm";

/// A docker endpoint: a `DOCKER_HOST` value (`unix:///…`, `ssh://user@host[:port]`,
/// `tcp://host:port`), or empty for the CLI's default (this host's engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint(pub String);

impl Endpoint {
    /// Checks a `DOCKER_HOST` given by a user: a scheme the docker CLI takes, and nothing that
    /// could be read as a flag or hold a control character.
    pub fn parse(v: &str) -> Result<Endpoint> {
        let bad = v.is_empty()
            || v.len() > 512
            || v.starts_with('-')
            || v.chars().any(|c| c.is_control() || c.is_whitespace());
        if bad {
            bail!("invalid DOCKER_HOST {v:?}: use unix:///PATH, ssh://USER@HOST[:PORT] or tcp://HOST:PORT");
        }
        if let Some(path) = v.strip_prefix("unix://") {
            if !path.starts_with('/') {
                bail!("invalid DOCKER_HOST {v:?}: a unix:// endpoint needs an absolute path (unix:///run/docker.sock)");
            }
        } else if let Some(rest) = v.strip_prefix("ssh://") {
            let host = rest.rsplit('@').next().unwrap_or("");
            let ok = !host.is_empty()
                && !rest.contains('/')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !ok {
                bail!("invalid DOCKER_HOST {v:?}: use ssh://USER@HOST[:PORT]");
            }
        } else if let Some(rest) = v.strip_prefix("tcp://") {
            if !rest.contains(':') || rest.contains('/') {
                bail!("invalid DOCKER_HOST {v:?}: use tcp://HOST:PORT");
            }
        } else {
            bail!("invalid DOCKER_HOST {v:?}: use unix:///PATH, ssh://USER@HOST[:PORT] or tcp://HOST:PORT");
        }
        Ok(Endpoint(v.to_string()))
    }

    /// The endpoint of this host's own engine (the CLI's default).
    pub fn local() -> Endpoint {
        Endpoint(String::new())
    }

    /// How reports name it.
    pub fn display(&self) -> &str {
        if self.0.is_empty() {
            "local"
        } else {
            &self.0
        }
    }

    /// A `docker ARGS…` command against this endpoint.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut c = docker::command(args);
        self.apply(&mut c);
        c
    }

    /// Points `c` (a docker CLI command) at this endpoint.
    pub fn apply(&self, c: &mut Command) {
        if self.0.is_empty() {
            c.env_remove("DOCKER_HOST");
        } else {
            c.env("DOCKER_HOST", &self.0);
        }
        c.env_remove("DOCKER_CONTEXT");
    }

    /// Runs `docker ARGS…` against this endpoint; its trimmed stdout, or docker's first
    /// error line.
    pub fn output<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<std::ffi::OsString> = args
            .into_iter()
            .map(|a| a.as_ref().to_os_string())
            .collect();
        let mut c = self.command(&args);
        c.stdin(Stdio::null());
        captured(c, &args).map_err(|e| self.explain(e))
    }

    /// For an `ssh://` endpoint the docker CLI could not reach, what ssh said (instead of the
    /// CLI's "error during connect: … make sure the URL is valid …") and what the dokku user's
    /// ssh setup lacks; other errors unchanged.
    fn explain(&self, e: anyhow::Error) -> anyhow::Error {
        if !self.0.starts_with("ssh://") {
            return e;
        }
        let text = format!("{e:#}");
        let Some((_, said)) = text.split_once("stderr=") else {
            return e;
        };
        let said = said.trim();
        let hint = ssh_hint(said);
        if hint.is_empty() {
            anyhow::anyhow!("ssh to {} failed: {said}", self.0)
        } else {
            anyhow::anyhow!("ssh to {} failed: {said} ({hint})", self.0)
        }
    }
}

/// What to fix, from what ssh (or the remote shell) said when the docker CLI's ssh connection
/// failed; empty when nothing specific.
fn ssh_hint(said: &str) -> &'static str {
    if said.contains("host key is known")
        || said.contains("Host key verification failed")
        || said.contains("HOST IDENTIFICATION HAS CHANGED")
    {
        "the dokku user's ~/.ssh/known_hosts must hold this server's host key: check it, then add it (ssh-keyscan HOST >> ~/.ssh/known_hosts)"
    } else if said.contains("permission denied while trying to connect") {
        "that ssh user may not use the server's Docker engine: add it to the docker group there"
    } else if said.contains("Permission denied") {
        "the server does not accept the dokku user's key: add ~dokku/.ssh/id_ed25519.pub to that user's ~/.ssh/authorized_keys there"
    } else if said.contains("docker") && said.contains("not found") {
        "the server has no docker CLI in the PATH of a non-interactive ssh session: install docker.io there"
    } else {
        ""
    }
}

pub use dokku_core::docker::captured;

/// The manager's endpoint, `None` until `scheduler-swarm:initialize` ran.
pub fn manager() -> Result<Option<Endpoint>> {
    Ok(property::get(PROPS, property::GLOBAL, "manager")?.map(|v| {
        if v == "local" {
            Endpoint::local()
        } else {
            Endpoint(v)
        }
    }))
}

/// The manager's endpoint, or a clear error telling how to set one up.
pub fn require_manager() -> Result<Endpoint> {
    manager()?.context(
        "no swarm is set up: run `dokku scheduler-swarm:initialize [--docker-host DOCKER_HOST]` first",
    )
}

/// Records the manager's endpoint.
pub fn set_manager(e: &Endpoint) -> Result<()> {
    let v = if e.0.is_empty() { "local" } else { &e.0 };
    property::write(PROPS, property::GLOBAL, "manager", v)
}

/// The recorded node endpoints: `(NODE_ID, ENDPOINT)`.
pub fn node_endpoints() -> Result<Vec<(String, Endpoint)>> {
    let text = property::get(PROPS, property::GLOBAL, "nodes")?.unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, ep)| {
            let ep = if ep == "local" {
                Endpoint::local()
            } else {
                Endpoint(ep.to_string())
            };
            (id.to_string(), ep)
        })
        .collect())
}

/// Records (or, with `None`, forgets) the endpoint of a node.
pub fn set_node_endpoint(node_id: &str, ep: Option<&Endpoint>) -> Result<()> {
    let _lock = lock()?;
    let mut all: Vec<(String, Endpoint)> = node_endpoints()?
        .into_iter()
        .filter(|(id, _)| id != node_id)
        .collect();
    if let Some(ep) = ep {
        all.push((node_id.to_string(), ep.clone()));
    }
    let text: Vec<String> = all
        .iter()
        .map(|(id, ep)| format!("{id} {}", if ep.0.is_empty() { "local" } else { &ep.0 }))
        .collect();
    if text.is_empty() {
        property::delete(PROPS, property::GLOBAL, "nodes")
    } else {
        property::write(PROPS, property::GLOBAL, "nodes", &text.join("\n"))
    }
}

/// The endpoint recorded for a node.
pub fn node_endpoint(node_id: &str) -> Result<Option<Endpoint>> {
    Ok(node_endpoints()?
        .into_iter()
        .find(|(id, _)| id == node_id)
        .map(|(_, e)| e))
}

/// An exclusive lock on this plugin's global properties (read-modify-write of `nodes`).
#[allow(unsafe_code)]
fn lock() -> Result<std::fs::File> {
    use std::os::unix::io::AsRawFd;
    let d = property::dir(PROPS, property::GLOBAL)?;
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    let p = d.join(".lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("cannot open {}", p.display()))?;
    // SAFETY: flock on a descriptor this process owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot lock the node list");
    }
    Ok(f)
}

/// A global setting of this plugin, else an app's, else `default` (app first).
pub fn setting(app: Option<&str>, key: &str, default: &str) -> Result<String> {
    if let Some(app) = app {
        if let Some(v) = property::get(PROPS, app, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(property::get(PROPS, property::GLOBAL, key)?
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_failures_are_explained() {
        let ep = Endpoint("ssh://root@10.0.0.2".into());
        let e = anyhow::anyhow!("docker info: error during connect: Get \"http://docker.example.com/v1.50/info\": command [ssh -o ConnectTimeout=30 -T -l root -- 10.0.0.2 docker system dial-stdio] has exited with exit status 255, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=No ED25519 host key is known for 10.0.0.2 and you have requested strict checking.");
        let m = format!("{:#}", ep.explain(e));
        assert!(
            m.starts_with("ssh to ssh://root@10.0.0.2 failed: No ED25519 host key"),
            "{m}"
        );
        assert!(m.contains("known_hosts"), "{m}");
        assert!(!m.contains("18.09"), "{m}");
        let plain = Endpoint("unix:///x".into());
        let m = format!(
            "{:#}",
            plain.explain(anyhow::anyhow!("docker info: x stderr=y"))
        );
        assert_eq!(m, "docker info: x stderr=y");
        assert!(ssh_hint("bash: line 1: docker: command not found").contains("docker.io"));
        assert!(ssh_hint("root@h: Permission denied (publickey).").contains("authorized_keys"));
    }

    #[test]
    fn endpoints() {
        for ok in [
            "unix:///tmp/x/docker.sock",
            "ssh://deploy@node2.example.com",
            "ssh://root@10.0.0.2:2222",
            "tcp://10.0.0.2:2376",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-H",
            "unix://relative",
            "ssh://",
            "ssh://a@b/c",
            "http://x",
            "ssh://a@b c",
            "tcp://host",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
