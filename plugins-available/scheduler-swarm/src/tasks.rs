//! What Swarm runs for an app, read from the manager: the app's services (found by the label
//! `com.dokku.app-name`), their tasks (`docker inspect` of each task: node, state, slot,
//! published host port, container) and the nodes (`docker node inspect`: name, address,
//! status).

use crate::engine::Endpoint;
use anyhow::{Context, Result};
use dokku_core::docker;
use serde_json::Value;

/// One service of an app.
#[derive(Debug, Clone)]
pub struct Service {
    /// Its name (`APP_TYPE`).
    pub name: String,
    /// The process type (label `com.dokku.process-type`).
    pub kind: String,
}

/// One task of a service.
#[derive(Debug, Clone)]
pub struct Task {
    /// The task id.
    pub id: String,
    /// The process type of its service.
    pub kind: String,
    /// Its slot (the instance index, 1-based).
    pub slot: u64,
    /// Its state (`running`, `starting`, `failed`, `complete`, …).
    pub state: String,
    /// The state Swarm wants it in (`running`, `shutdown`, …).
    pub desired: String,
    /// The node it is on.
    pub node_id: String,
    /// Its container's id (empty until it has one).
    pub container: String,
    /// The host port its container port is published on (host mode).
    pub port: Option<u16>,
    /// The exit code of its container, once it ended.
    pub exit_code: Option<i64>,
}

/// One node of the swarm.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its id.
    pub id: String,
    /// Its host name.
    pub hostname: String,
    /// The address other nodes (and nginx) reach it at.
    pub addr: String,
    /// `ready`, `down`, …
    pub status: String,
    /// `active`, `pause`, `drain`.
    pub availability: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `Leader`, `Reachable`, … for managers, else empty.
    pub manager_status: String,
}

/// The app's services, by label.
pub fn services(m: &Endpoint, app: &str) -> Result<Vec<Service>> {
    let out = m.output([
        "service",
        "ls",
        "--filter",
        &format!("label={}={app}", docker::APP_LABEL),
        "--format",
        "{{.Name}}",
    ])?;
    let names: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec!["service", "inspect"];
    args.extend(names.iter().copied());
    let v: Value = serde_json::from_str(&m.output(&args)?).context("docker service inspect")?;
    let mut out = Vec::new();
    for s in v.as_array().into_iter().flatten() {
        let name = s
            .pointer("/Spec/Name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = s
            .pointer("/Spec/Labels")
            .and_then(|l| l.get(docker::PROCESS_LABEL))
            .and_then(Value::as_str)
            .unwrap_or_default();
        // One-off `run` services carry no process type and are not the app's processes.
        if !name.is_empty() && !kind.is_empty() {
            out.push(Service {
                name: name.to_string(),
                kind: kind.to_string(),
            });
        }
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    Ok(out)
}

/// The tasks of a service (all states Swarm still lists). Swarm may drop a task between the
/// listing and its inspection (a scale-down, its history trimmed): then the service is listed
/// again, a few times.
pub fn tasks(m: &Endpoint, service: &str, kind: &str) -> Result<Vec<Task>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let ids = m.output(["service", "ps", "-q", "--no-trunc", service])?;
        let ids: Vec<&str> = ids.lines().filter(|l| !l.is_empty()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["inspect", "--type", "task"];
        args.extend(ids.iter().copied());
        let text = match m.output(&args) {
            Ok(text) => text,
            Err(e) if attempt < 5 && format!("{e:#}").contains("not found") => {
                std::thread::sleep(std::time::Duration::from_millis(200));
                continue;
            }
            Err(e) => return Err(e),
        };
        let v: Value = serde_json::from_str(&text).context("docker inspect of tasks")?;
        return Ok(v
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| parse_task(t, kind))
            .collect());
    }
}

/// A task from its `docker inspect` JSON.
pub fn parse_task(t: &Value, kind: &str) -> Task {
    let s = |p: &str| {
        t.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let port = t
        .pointer("/Status/PortStatus/Ports")
        .and_then(Value::as_array)
        .and_then(|ps| ps.first())
        .and_then(|p| p.get("PublishedPort"))
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0);
    Task {
        id: s("/ID"),
        kind: kind.to_string(),
        slot: t.pointer("/Slot").and_then(Value::as_u64).unwrap_or(0),
        state: s("/Status/State"),
        desired: s("/DesiredState"),
        node_id: s("/NodeID"),
        container: s("/Status/ContainerStatus/ContainerID"),
        port,
        exit_code: t
            .pointer("/Status/ContainerStatus/ExitCode")
            .and_then(Value::as_i64),
    }
}

/// Every node of the swarm.
pub fn nodes(m: &Endpoint) -> Result<Vec<Node>> {
    let ids = m.output(["node", "ls", "-q"])?;
    let ids: Vec<&str> = ids.lines().filter(|l| !l.is_empty()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec!["node", "inspect"];
    args.extend(ids.iter().copied());
    let v: Value = serde_json::from_str(&m.output(&args)?).context("docker node inspect")?;
    Ok(v.as_array().into_iter().flatten().map(parse_node).collect())
}

/// A node from its `docker node inspect` JSON. A manager's `Status.Addr` may read `0.0.0.0`;
/// its manager address (`IP:2377`) says where it is then.
pub fn parse_node(n: &Value) -> Node {
    let s = |p: &str| {
        n.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut addr = s("/Status/Addr");
    if addr.is_empty() || addr == "0.0.0.0" {
        let m = s("/ManagerStatus/Addr");
        if let Some((ip, _)) = m.rsplit_once(':') {
            addr = ip.to_string();
        }
    }
    Node {
        id: s("/ID"),
        hostname: s("/Description/Hostname"),
        addr,
        status: s("/Status/State"),
        availability: s("/Spec/Availability"),
        role: s("/Spec/Role"),
        manager_status: s("/ManagerStatus/Reachability"),
    }
}

/// Every current task of the app (desired running), with its process type, sorted by type and
/// slot.
pub fn app_tasks(m: &Endpoint, app: &str) -> Result<Vec<Task>> {
    let mut all = Vec::new();
    for s in services(m, app)? {
        all.extend(
            tasks(m, &s.name, &s.kind)?
                .into_iter()
                .filter(|t| t.desired == "running"),
        );
    }
    all.sort_by(|a, b| (a.kind.as_str(), a.slot).cmp(&(b.kind.as_str(), b.slot)));
    Ok(all)
}

/// Where the app's web tasks answer: `NODE_ADDR:PORT` of each running web task with a
/// published port on a node that is not down, in slot order.
pub fn web_listeners(m: &Endpoint, app: &str) -> Result<Vec<String>> {
    let svc = format!("{}_web", app);
    let tasks = match tasks(m, &svc, "web") {
        Ok(t) => t,
        Err(e) if format!("{e:#}").contains("no such service") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let nodes = nodes(m)?;
    let mut up: Vec<(u64, String)> = tasks
        .iter()
        .filter(|t| t.state == "running" && t.desired == "running")
        .filter_map(|t| {
            let n = nodes
                .iter()
                .find(|n| n.id == t.node_id && n.status != "down" && !n.addr.is_empty())?;
            Some((t.slot, format!("{}:{}", n.addr, t.port?)))
        })
        .collect();
    up.sort();
    Ok(up.into_iter().map(|(_, l)| l).collect())
}
