//! Whether a container's web process listens on its port, read from the kernel's socket table
//! of the container's network namespace (`/proc/PID/net/tcp` and `tcp6` of the container's
//! first process): no connection is made, so nothing reaches the app, and docker's userland
//! proxy (which accepts on the host port whether the app listens or not) cannot mislead it.

use anyhow::{Context, Result};
use dokku_core::docker;

/// A running container's first process and the port its web process should listen on.
pub struct Target {
    /// The container's instance name (`web.1`, from its `com.dokku.dyno` label; else the type).
    pub dyno: String,
    /// The port inside the container (`PORT`) that the host port is published from.
    pub port: u16,
    pid: u32,
}

/// The target of container `id` whose host port `host_port` is published from its web port;
/// `None` when the container publishes no such port (host networking, another scheduler's
/// layout) or has no process.
pub fn target(id: &str, kind: &str, host_port: u16) -> Result<Option<Target>> {
    let text = docker::output([
        "inspect",
        "--format",
        "{{.State.Pid}}|{{index .Config.Labels \"com.dokku.dyno\"}}|{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{$p}}={{.HostPort}} {{end}}{{end}}",
        id,
    ])
    .with_context(|| format!("cannot inspect container {id}"))?;
    let mut f = text.trim().splitn(3, '|');
    let pid: u32 = f.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let dyno = f
        .next()
        .filter(|d| !d.is_empty() && *d != "<no value>")
        .unwrap_or(kind)
        .to_string();
    let port = f.next().unwrap_or("").split_whitespace().find_map(|b| {
        let (inner, host) = b.split_once('=')?;
        let inner = inner.strip_suffix("/tcp")?;
        (host.parse::<u16>().ok()? == host_port)
            .then(|| inner.parse::<u16>().ok())
            .flatten()
    });
    Ok(match port {
        Some(port) if pid > 0 => Some(Target { dyno, port, pid }),
        _ => None,
    })
}

impl Target {
    /// Whether a socket listens on the port (any address) in the container's namespace;
    /// `None` when the socket table cannot be read (then nobody can tell).
    pub fn listening(&self) -> Option<bool> {
        let mut readable = false;
        for table in ["tcp", "tcp6"] {
            let Ok(text) = std::fs::read_to_string(format!("/proc/{}/net/{table}", self.pid))
            else {
                continue;
            };
            readable = true;
            if listens(&text, self.port) {
                return Some(true);
            }
        }
        readable.then_some(false)
    }
}

/// Whether a `/proc/net/tcp`-style table has a socket in state LISTEN (`0A`) on `port`.
fn listens(table: &str, port: u16) -> bool {
    table.lines().skip(1).any(|l| {
        let mut f = l.split_whitespace();
        let local = f.nth(1).unwrap_or("");
        let state = f.nth(1).unwrap_or("");
        state == "0A"
            && local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                == Some(port)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_table() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n";
        assert!(super::listens(t, 5000));
        assert!(!super::listens(t, 8080)); // established, not listening
        assert!(!super::listens(t, 80));
    }
}
