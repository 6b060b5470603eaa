//! The cluster commands: `scheduler-swarm:initialize`, `cluster-add`, `cluster-list`,
//! `cluster-remove`. Swarm itself keeps the cluster; this plugin records only the manager's
//! endpoint and each node's endpoint (for `enter` and `cluster-remove`).

use crate::engine::{self, Endpoint};
use crate::{routing, tasks};
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{args, log};
use std::time::{Duration, Instant};

/// A plain IP address or host name (an `--advertise-addr`).
fn valid_addr(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 253
        && !a.starts_with('-')
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `(LocalNodeState, ControlAvailable, NodeID)` of an engine.
fn swarm_state(e: &Endpoint) -> Result<(String, bool, String)> {
    let s = e
        .output([
            "info",
            "--format",
            "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}",
        ])
        .with_context(|| format!("the Docker engine at {} does not answer", e.display()))?;
    let mut w = s.split_whitespace();
    Ok((
        w.next().unwrap_or_default().to_string(),
        w.next() == Some("true"),
        w.next().unwrap_or_default().to_string(),
    ))
}

/// `scheduler-swarm:initialize [--docker-host DOCKER_HOST] [--advertise-addr ADDR]`.
pub fn initialize(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--docker-host", "--advertise-addr"])?;
    a.at_most(0, usage())?;
    let e = match a.value("--docker-host") {
        Some(h) => Endpoint::parse(h)?,
        None => Endpoint::local(),
    };
    if let Some(addr) = a.value("--advertise-addr") {
        if !valid_addr(addr) {
            bail!("invalid --advertise-addr {addr:?}: an IP address or host name");
        }
    }
    let (state, manager, _) = swarm_state(&e)?;
    match (state.as_str(), manager) {
        ("active", true) => log::info1(&format!(
            "The engine at {} already manages a swarm: adopting it",
            e.display()
        )),
        ("active", false) => bail!(
            "the engine at {} is a worker of another swarm: initialize on one of its managers",
            e.display()
        ),
        ("inactive", _) => {
            log::info1(&format!("Initializing a swarm on {}", e.display()));
            let mut init = vec!["swarm", "init"];
            if let Some(addr) = a.value("--advertise-addr") {
                init.extend(["--advertise-addr", addr]);
            }
            e.output(&init)?;
        }
        (other, _) => bail!(
            "the engine at {} is in swarm state {other:?}; wait for it to settle or leave that swarm",
            e.display()
        ),
    }
    // Fast failure detection: a lost node is down (and its tasks rescheduled) within seconds.
    let hb = engine::setting(None, "dispatcher-heartbeat", "1s")?;
    e.output(["swarm", "update", "--dispatcher-heartbeat", &hb])?;
    let (_, _, id) = swarm_state(&e)?;
    engine::set_manager(&e)?;
    if !id.is_empty() {
        engine::set_node_endpoint(&id, Some(&e))?;
    }
    log::info1(&format!("Swarm manager: {} (node {id})", e.display()));
    Ok(())
}

/// `scheduler-swarm:cluster-add [--role worker|manager] DOCKER_HOST`: joins that engine to
/// the swarm with the manager's join token, then rotates the token (it was on a command line).
pub fn add(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--role"])?;
    a.at_most(1, usage)?;
    let role = a.value("--role").unwrap_or("worker");
    if !matches!(role, "worker" | "manager") {
        bail!("invalid --role {role:?}: worker or manager");
    }
    let Some(host) = a.pos(0) else {
        bail!("no DOCKER_HOST given; usage: {usage}");
    };
    let node = Endpoint::parse(host)?;
    let m = engine::require_manager()?;
    let (state, _, id) = swarm_state(&node)?;
    let (_, _, manager_id) = swarm_state(&m)?;
    if state == "active" {
        if tasks::nodes(&m)?.iter().any(|n| n.id == id) {
            engine::set_node_endpoint(&id, Some(&node))?;
            log::info1(&format!("{host} is already in the swarm (node {id})"));
            return Ok(());
        }
        bail!("the engine at {host} is already in another swarm: run `docker swarm leave` there first");
    }
    let addr = m.output(["info", "--format", "{{.Swarm.NodeAddr}}"])?;
    if addr.is_empty() {
        bail!("the manager at {} does not say its address", m.display());
    }
    let token = m.output(["swarm", "join-token", "-q", role])?;
    log::info1(&format!("Joining {host} to the swarm as a {role}"));
    let joined = node.output(["swarm", "join", "--token", &token, &format!("{addr}:2377")]);
    let _ = m.output(["swarm", "join-token", "--rotate", "-q", role]);
    joined.with_context(|| format!("{host} could not join the swarm at {addr}:2377"))?;
    let (_, _, id) = swarm_state(&node)?;
    engine::set_node_endpoint(&id, Some(&node))?;
    let _ = manager_id;
    log::info1(&format!("{host} joined as node {id}"));
    Ok(())
}

/// `scheduler-swarm:cluster-list [--format json]`.
pub fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(0, usage())?;
    let json = match a.value("--format") {
        None | Some("stdout") => false,
        Some("json") => true,
        Some(o) => bail!("invalid --format {o:?}: use stdout or json"),
    };
    let m = engine::require_manager()?;
    let eps = engine::node_endpoints()?;
    let mut nodes = tasks::nodes(&m)?;
    nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    let ep = |id: &str| {
        eps.iter()
            .find(|(i, _)| i == id)
            .map(|(_, e)| e.display().to_string())
            .unwrap_or_default()
    };
    if json {
        let v: Vec<serde_json::Value> = nodes
            .iter()
            .map(|n| {
                serde_json::json!({
                    "id": n.id, "name": n.hostname, "address": n.addr, "role": n.role,
                    "status": n.status, "availability": n.availability,
                    "manager_status": n.manager_status, "docker_host": ep(&n.id),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(());
    }
    println!(
        "{:<26} {:<16} {:<16} {:<8} {:<8} {:<12} DOCKER_HOST",
        "ID", "NAME", "ADDRESS", "ROLE", "STATUS", "AVAILABILITY"
    );
    for n in &nodes {
        println!(
            "{:<26} {:<16} {:<16} {:<8} {:<8} {:<12} {}",
            n.id,
            n.hostname,
            n.addr,
            n.role,
            n.status,
            n.availability,
            ep(&n.id)
        );
    }
    Ok(())
}

/// Once every swarm app's web tasks that Swarm wants running run, none on `node_id` (or at
/// `until`), points each app's proxy at where they answer now, so no request is routed to a
/// node that is leaving even when no `scheduler-swarm:watch` runs.
fn reroute(m: &Endpoint, node_id: &str, until: Instant) -> Result<()> {
    for app in routing::swarm_apps()? {
        let svc = format!("{app}_web");
        loop {
            // Replicas as the service wants them (empty when the app has no web service).
            let want = m
                .output([
                    "service",
                    "inspect",
                    "--format",
                    "{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{end}}",
                    &svc,
                ])
                .ok()
                .and_then(|r| r.trim().parse::<usize>().ok());
            let Some(want) = want else {
                break;
            };
            let t = tasks::tasks(m, &svc, "web").unwrap_or_default();
            let running: Vec<_> = t.iter().filter(|t| t.desired == "running").collect();
            let settled = running.len() == want
                && running
                    .iter()
                    .all(|t| t.state == "running" && t.node_id != node_id);
            if settled || Instant::now() > until {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        match routing::sync(m, &app, true) {
            Ok(true) => log::info1(&format!("{app}: web listeners moved, proxy rebuilt")),
            Ok(false) => {}
            Err(e) => log::warn(&format!("{app}: {e:#}")),
        }
    }
    Ok(())
}

/// `scheduler-swarm:cluster-remove NODE`: drains the node (Swarm moves its tasks), points the
/// proxy of each swarm app at the moved web tasks, makes the node leave (through its recorded
/// endpoint), and removes it from the node list.
pub fn remove(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let Some(name) = a.pos(0) else {
        bail!("no node given; usage: dokku scheduler-swarm:cluster-remove NODE");
    };
    let m = engine::require_manager()?;
    let nodes = tasks::nodes(&m)?;
    let Some(n) = nodes
        .iter()
        .find(|n| n.id == *name || n.hostname == *name)
        .cloned()
    else {
        bail!("no node {name:?} in the swarm (see scheduler-swarm:cluster-list)");
    };
    let (_, _, manager_id) = swarm_state(&m)?;
    if n.id == manager_id {
        bail!("{name} is the manager dokku talks to; it cannot be removed");
    }
    log::info1(&format!("Draining {}", n.hostname));
    m.output(["node", "update", "--availability", "drain", &n.id])?;
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        let left = m.output([
            "node",
            "ps",
            "-q",
            "--filter",
            "desired-state=running",
            &n.id,
        ])?;
        if left.trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    reroute(&m, &n.id, end + Duration::from_secs(30))?;
    if n.role == "manager" {
        m.output(["node", "demote", &n.id])?;
    }
    match engine::node_endpoint(&n.id)? {
        Some(ep) => {
            if let Err(e) = ep.output(["swarm", "leave", "--force"]) {
                log::warn(&format!("{}: {e:#}", n.hostname));
            }
        }
        None => log::warn(&format!(
            "no endpoint recorded for {}: run `docker swarm leave` on it yourself",
            n.hostname
        )),
    }
    m.output(["node", "rm", "--force", &n.id])?;
    engine::set_node_endpoint(&n.id, None)?;
    log::info1(&format!("{} removed from the swarm", n.hostname));
    Ok(())
}
