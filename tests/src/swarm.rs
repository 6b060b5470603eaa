//! What the swarm tests and the swarm benchmark share: requests through the sandbox's nginx
//! (one, or a poller counting failures), the manager's view of a service's tasks, the app's
//! listeners, the registry's tags, and the cluster joined and logged in the way a user does it.

use crate::cluster::Cluster;
use crate::Sandbox;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// GET `path` through the sandbox's nginx (`port`) with `Host: host`: the body on a 200, else
/// `None`.
pub fn get(port: u16, host: &str, path: &str) -> Option<String> {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Host: {host}"))
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n')?;
    (code == "200").then(|| body.trim().to_string())
}

/// A client polling `/` through nginx every 50 ms; `stop` returns how many answered 200 and
/// when (since the start) each failure happened.
pub struct Poller {
    stop: Arc<AtomicBool>,
    failures: Arc<Mutex<Vec<Duration>>>,
    handle: std::thread::JoinHandle<u32>,
}

impl Poller {
    /// Starts polling `Host: host` on `port`.
    pub fn start(port: u16, host: String) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let (s, f) = (stop.clone(), failures.clone());
        let handle = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut ok = 0;
            while !s.load(Ordering::Relaxed) {
                match get(port, &host, "/") {
                    Some(_) => ok += 1,
                    None => f.lock().unwrap().push(t0.elapsed()),
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            ok
        });
        Poller {
            stop,
            failures,
            handle,
        }
    }

    /// Stops polling: `(answered, failure times)`.
    pub fn stop(self) -> (u32, Vec<Duration>) {
        self.stop.store(true, Ordering::Relaxed);
        let ok = self.handle.join().unwrap();
        let f = self.failures.lock().unwrap().clone();
        (ok, f)
    }
}

/// A child killed and reaped when dropped, a failing assertion included, so that no watcher
/// outlives its test.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `docker ARGS…` against the cluster's manager (node1): stdout, trimmed.
pub fn mgr(c: &Cluster, args: &[&str]) -> String {
    let o = c.docker(&c.nodes()[0].name, args);
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// `(node, state)` of each task of `service` that Swarm wants running.
pub fn tasks(c: &Cluster, service: &str) -> Vec<(String, String)> {
    mgr(
        c,
        &[
            "service",
            "ps",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}} {{.CurrentState}}",
            service,
        ],
    )
    .lines()
    .filter_map(|l| {
        let mut w = l.split_whitespace();
        Some((w.next()?.to_string(), w.next()?.to_lowercase()))
    })
    .collect()
}

/// Waits until `service` runs `n` tasks, all running, none on node `not_on` (`""`: any node);
/// the nodes they run on.
#[track_caller]
pub fn wait_running(c: &Cluster, service: &str, n: usize, not_on: &str, secs: u64) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let t = tasks(c, service);
        if t.len() == n && t.iter().all(|(node, s)| s == "running" && node != not_on) {
            return t.into_iter().map(|(n, _)| n).collect();
        }
        assert!(
            Instant::now() < end,
            "{service}: wanted {n} running tasks off {not_on:?}, have {t:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The web listeners the network plugin holds for `app` (`network-get-listeners APP web`).
pub fn listeners(sb: &Sandbox, app: &str) -> Vec<String> {
    sb.plugn(&["trigger", "network-get-listeners", app, "web"])
        .ok()
        .stdout
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The cluster registry's tags of `repo` (empty when the repository is unknown to it).
pub fn registry_tags(c: &Cluster, repo: &str) -> Vec<String> {
    let (host, user, pass) = c.registry();
    // The credentials on curl's stdin (`-K -`), not on its command line.
    let mut child = Command::new("curl")
        .args(["-s", "-m", "5", "-K", "-", "--cacert"])
        .arg(c.ca_path())
        .arg(format!("https://{host}/v2/{repo}/tags/list"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut sin = child.stdin.take().unwrap();
        let _ = writeln!(sin, "user = \"{user}:{pass}\"");
    }
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v.get("tags")
        .and_then(|t| t.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `registry:login --global --password-stdin` to the cluster's registry and `registry:set
/// --global server`, as a user sets it up once.
pub fn registry_login(sb: &Sandbox, c: &Cluster) {
    let (reg, user, pass) = c.registry();
    sb.dokku_in(
        &["registry:login", "--global", "--password-stdin", reg, user],
        pass.as_bytes(),
    )
    .ok();
    sb.dokku(&["registry:set", "--global", "server", reg]).ok();
}

/// `scheduler-swarm:initialize` on node1 (its unix endpoint) and `cluster-add` of the others.
pub fn join_unix(sb: &Sandbox, c: &Cluster) {
    let nodes = c.nodes();
    sb.dokku(&[
        "scheduler-swarm:initialize",
        "--docker-host",
        &nodes[0].docker_host,
        "--advertise-addr",
        &nodes[0].address,
    ])
    .ok();
    for n in &nodes[1..] {
        sb.dokku(&["scheduler-swarm:cluster-add", &n.docker_host])
            .ok();
    }
}
