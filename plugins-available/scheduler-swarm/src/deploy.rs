//! `scheduler-deploy swarm APP TAG`: the app as one Swarm stack named after it, one service
//! per process type (`APP_TYPE`), deployed with `docker stack deploy --with-registry-auth`
//! from a compose document built here and handed on stdin (the app's config goes in as an
//! `env_file` on an in-memory file, never on a command line). Rolling updates start the new
//! task first, health-checked (app.json `healthchecks`, else an uptime wait), and roll back by
//! themselves when the new tasks fail; the deploy waits for Swarm to converge, rewriting the
//! web listeners as tasks come and go, and fails with one line when Swarm rolled back.

use crate::engine::{self, Endpoint};
use crate::{routing, tasks};
use anyhow::{bail, Context, Result};
use dokku_core::{contract, docker, log};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The name of an app's service of one process type (stack `APP`, service `TYPE`).
pub fn service_name(app: &str, kind: &str) -> String {
    format!("{app}_{kind}")
}

/// Swarm's restart condition (and max attempts) for a Docker restart policy
/// (`ps:set APP restart-policy`).
pub fn restart_policy(policy: &str) -> Result<Value> {
    let (cond, attempts) = match policy.split_once(':') {
        Some(("on-failure", n)) => (
            "on-failure",
            Some(
                n.parse::<u64>()
                    .with_context(|| format!("restart-policy {policy:?}: bad retry count"))?,
            ),
        ),
        _ => match policy {
            "" | "on-failure" => ("on-failure", None),
            "no" => ("none", None),
            "always" | "unless-stopped" => ("any", None),
            other => bail!("restart-policy {other:?} has no Swarm equivalent"),
        },
    };
    let mut v = json!({"condition": cond, "delay": "1s"});
    if let Some(n) = attempts {
        v["max_attempts"] = json!(n);
    }
    Ok(v)
}

/// A URL path from app.json that may go into the health command (a shell line in the
/// container): only URL characters, never quotes, spaces or shell operators.
fn safe_path(p: &str) -> Result<&str> {
    let ok = p.starts_with('/')
        && p.len() < 1024
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~%=+,:@".contains(&b));
    if !ok {
        bail!("app.json healthcheck path {p:?} holds characters the swarm health check cannot pass (use letters, digits and / - . _ ~ % = + , : @)");
    }
    Ok(p)
}

/// The compose `healthcheck` of a process type: the first app.json healthcheck with a `path`
/// (web only: `wget` or `curl` inside the container against 127.0.0.1:PORT/PATH, its
/// attempts/timeout/wait/initialDelay as retries/timeout/interval/start_period), else an
/// uptime check (healthy once it has run `default-wait` seconds, as Dokku's default check).
pub fn healthcheck(appjson: Option<&Value>, kind: &str, port: u16, wait: u64) -> Result<Value> {
    let checks = appjson
        .and_then(|j| j.pointer(&format!("/healthchecks/{kind}")))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let num = |c: &Value, k: &str, d: u64| c.get(k).and_then(Value::as_u64).unwrap_or(d);
    if let Some(c) = checks.iter().find(|c| c.get("path").is_some()) {
        let path = safe_path(c.get("path").and_then(Value::as_str).unwrap_or("/"))?;
        let timeout = num(c, "timeout", 5).max(1);
        let url = format!("http://127.0.0.1:{port}{path}");
        // wget, else curl, else a bare HTTP/1.0 request through nc (busybox's static wget
        // crashes in some images): healthy on a 2xx or 3xx answer.
        let cmd = format!(
            "wget -q -O /dev/null -T {timeout} {url} 2>/dev/null || curl -fsS -o /dev/null --max-time {timeout} {url} 2>/dev/null || printf '%s\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' 'GET {path} HTTP/1.0' | nc -w {timeout} 127.0.0.1 {port} | head -n 1 | grep -q ' [23][0-9][0-9] '"
        );
        return Ok(json!({
            "test": ["CMD-SHELL", cmd],
            "interval": format!("{}s", num(c, "wait", 5).max(1)),
            "timeout": format!("{timeout}s"),
            "retries": num(c, "attempts", 5).max(1),
            "start_period": format!("{}s", num(c, "initialDelay", 0)),
        }));
    }
    let up = checks
        .iter()
        .find_map(|c| c.get("uptime").and_then(Value::as_u64))
        .unwrap_or(wait)
        .max(1);
    Ok(json!({
        "test": ["CMD-SHELL", "exit 0"],
        "interval": format!("{up}s"),
        "timeout": "5s",
        "retries": 1,
    }))
}

/// What runs in a task of one process type: herokuish images `/start TYPE`, others the
/// Procfile command through `/bin/sh -c`, or the image's CMD when there is none.
fn command(builder: &str, kind: &str, procfile_cmd: &str) -> Option<Value> {
    if builder == "herokuish" {
        Some(json!(["/start", kind]))
    } else if procfile_cmd.is_empty() {
        None
    } else {
        Some(json!(["/bin/sh", "-c", procfile_cmd]))
    }
}

/// Resource limits and reservations, asked from the resource plugin
/// (`resource-get-property APP TYPE limit|reserve RESOURCE`); Swarm has CPU and memory, the
/// others are refused.
fn resources(app: &str, kind: &str, svc: &mut Map<String, Value>) -> Result<()> {
    for (req, key) in [("limit", "limits"), ("reserve", "reservations")] {
        for r in [
            "cpu",
            "memory",
            "memory-swap",
            "network",
            "network-ingress",
            "network-egress",
            "nvidia-gpu",
        ] {
            let v = dokku_core::trigger_value("resource-get-property", &[app, kind, req, r])?
                .unwrap_or_default();
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let field = match r {
                "cpu" => ("cpus", json!(v)),
                "memory" => ("memory", json!(crate::options::memory(v))),
                _ => bail!("resource {req} {r}={v} of {app} ({kind}) has no Swarm equivalent: clear it with resource:{req}-clear, or use cpu and memory"),
            };
            let res = svc
                .entry("deploy")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object")
                .entry("resources")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object")
                .entry(key)
                .or_insert_with(|| json!({}));
            res[field.0] = field.1;
        }
    }
    Ok(())
}

/// Escapes `$` in every string (compose interpolates `$VAR` in its file).
fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) => *s = s.replace('$', "$$"),
        Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        Value::Object(o) => o.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// Everything one deploy needs.
pub struct Plan {
    /// The image (with its registry).
    pub image: String,
    /// The compose document.
    pub compose: Value,
    /// The services and their replica counts.
    pub scale: Vec<(String, u32)>,
}

/// Builds the compose document of `app` at `image`; `env_file` is the path the CLI reads the
/// config from.
pub fn plan(app: &str, tag: &str, env_file: Option<&str>) -> Result<Plan> {
    let image = docker::deploying_image(app, tag)?;
    let scale = contract::current_scale(app)?;
    let port = contract::web_port(app)?;
    let appjson = contract::app_json(app)?;
    let policy = restart_policy(&contract::ps_property(app, "restart-policy")?)?;
    let wait: u64 = contract::checks_property(app, "default-wait")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(10);
    let builder = docker::image_label(&image, "com.dokku.builder-type").unwrap_or_default();
    let parallelism: u64 = engine::setting(Some(app), "update-parallelism", "1")?
        .parse()
        .context("update-parallelism")?;
    let delay = engine::setting(Some(app), "update-delay", "0s")?;
    let grace = engine::setting(Some(app), "stop-grace-period", "10s")?;
    let mut services = Map::new();
    for (kind, count) in &scale {
        let mut svc = Map::new();
        svc.insert("image".into(), json!(image));
        svc.insert("init".into(), json!(true));
        let cmd = contract::process_command(app, kind, port)?;
        if let Some(c) = command(&builder, kind, &cmd) {
            svc.insert("command".into(), c);
        }
        if let Some(f) = env_file {
            svc.insert("env_file".into(), json!([f]));
        }
        let idx = "1".to_string();
        let mut opts = docker::args_trigger("docker-args-deploy", &[app, tag, kind, &idx], "")?;
        opts.extend(docker::args_trigger(
            "docker-args-process-deploy",
            &[app, &builder, tag, kind, &idx],
            "",
        )?);
        crate::options::apply(&opts, &mut svc)
            .with_context(|| format!("docker-options of {app} ({kind})"))?;
        let mut labels = vec![
            json!(docker::LABEL),
            json!(format!("{}={app}", docker::APP_LABEL)),
            json!(format!("{}={kind}", docker::PROCESS_LABEL)),
            json!(format!("{}=deploy", docker::CONTAINER_TYPE_LABEL)),
        ];
        if let Some(Value::Array(more)) = svc.remove("labels") {
            labels.extend(more);
        }
        svc.insert("labels".into(), json!(labels));
        if kind == "web" {
            let mut env = vec![json!(format!("PORT={port}"))];
            if let Some(Value::Array(more)) = svc.remove("environment") {
                env.extend(more);
            }
            svc.insert("environment".into(), json!(env));
            svc.insert(
                "ports".into(),
                json!([{"target": port, "protocol": "tcp", "mode": "host"}]),
            );
        }
        svc.insert(
            "healthcheck".into(),
            healthcheck(appjson.as_ref(), kind, port, wait)?,
        );
        svc.insert("stop_grace_period".into(), json!(grace));
        resources(app, kind, &mut svc)?;
        let d = svc
            .entry("deploy")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object");
        d.insert("mode".into(), json!("replicated"));
        d.insert("replicas".into(), json!(count));
        d.insert("restart_policy".into(), policy.clone());
        d.insert(
            "labels".into(),
            json!([
                format!("{}={app}", docker::APP_LABEL),
                format!("{}={kind}", docker::PROCESS_LABEL),
            ]),
        );
        let update = json!({
            "parallelism": parallelism,
            "delay": delay,
            "order": "start-first",
            "failure_action": "rollback",
            "monitor": "5s",
            "max_failure_ratio": 0,
        });
        d.insert("update_config".into(), update);
        d.insert(
            "rollback_config".into(),
            json!({"parallelism": 0, "order": "start-first", "failure_action": "pause"}),
        );
        services.insert(kind.clone(), Value::Object(svc));
    }
    let mut compose = json!({"version": "3.8", "services": services});
    escape_dollars(&mut compose);
    Ok(Plan {
        image,
        compose,
        scale,
    })
}

/// The folder to use as `DOCKER_CONFIG` for the app's registry (`registry-docker-config APP`).
pub fn docker_config(app: &str) -> Result<Option<String>> {
    Ok(dokku_core::trigger_value("registry-docker-config", &[app])?
        .and_then(|v| v.lines().next().map(|l| l.trim().to_string()))
        .filter(|v| !v.is_empty()))
}

/// Deploys `app` at `tag` and waits for Swarm to converge.
pub fn deploy(app: &str, tag: &str) -> Result<()> {
    let m = engine::require_manager()?;
    let env = docker::Env::of_app(app)?;
    let env_args = env.args();
    let env_file = env_args.get(1).cloned();
    let plan = plan(app, tag, env_file.as_deref())?;
    log::info1(&format!(
        "Deploying {app} ({}) to the swarm at {}",
        plan.image,
        m.display()
    ));
    let before: Vec<(String, String)> = crate::tasks::services(&m, app)?
        .into_iter()
        .map(|s| {
            (
                s.name.clone(),
                update_state(&m, &s.name).unwrap_or_default(),
            )
        })
        .collect();
    let mut c = env.command([
        "stack",
        "deploy",
        "--with-registry-auth",
        "--resolve-image",
        "always",
        "--compose-file",
        "-",
        app,
    ]);
    m.apply(&mut c);
    if let Some(cfg) = docker_config(app)? {
        c.env("DOCKER_CONFIG", cfg);
    }
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    let doc = serde_json::to_vec(&plan.compose)?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&doc)
        .context("cannot hand the stack to docker")?;
    let out = child.wait_with_output()?;
    drop(env);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed");
        bail!("docker stack deploy of {app}: {line}");
    }
    // Process types no longer in the Procfile.
    for s in crate::tasks::services(&m, app)? {
        if !plan.scale.iter().any(|(k, _)| *k == s.kind) {
            m.output(["service", "rm", &s.name])?;
        }
    }
    wait_converged(&m, app, &plan.scale, &before)?;
    let n: u32 = plan.scale.iter().map(|(_, c)| c).sum();
    log::info1(&format!("{app} deployed: {n} task(s) running on the swarm"));
    Ok(())
}

/// A service's `UpdateStatus.State` (empty when it never updated).
fn update_state(m: &Endpoint, service: &str) -> Result<String> {
    let s = m.output([
        "service",
        "inspect",
        "--format",
        "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
        service,
    ])?;
    Ok(s.trim().to_string())
}

/// Waits until each service runs its replicas of the new spec (an update completed, or a new
/// service's tasks running) and rewrites the web listeners whenever they change; fails when
/// Swarm rolled back, or after `deploy-timeout` seconds.
fn wait_converged(
    m: &Endpoint,
    app: &str,
    scale: &[(String, u32)],
    before: &[(String, String)],
) -> Result<()> {
    let timeout: u64 = engine::setting(Some(app), "deploy-timeout", "600")?
        .parse()
        .context("deploy-timeout")?;
    let end = Instant::now() + Duration::from_secs(timeout);
    let mut pending: Vec<(String, u32)> = scale
        .iter()
        .map(|(k, c)| (service_name(app, k), *c))
        .collect();
    // Swarm needs a moment before an update shows in UpdateStatus.
    std::thread::sleep(Duration::from_millis(500));
    loop {
        let _ = routing::sync(m, app, true);
        let mut still = Vec::new();
        for (svc, want) in pending {
            let state = update_state(m, &svc)?;
            if state.starts_with("rollback") {
                let _ = wait_rollback(m, &svc, end);
                let _ = routing::sync(m, app, true);
                bail!("the new release of {app} failed its health checks on the swarm; Swarm rolled {svc} back and the previous release keeps serving");
            }
            if state == "paused" {
                bail!("the update of {svc} is paused by Swarm (see `docker service ps {svc}`)");
            }
            let was = before
                .iter()
                .find(|(n, _)| *n == svc)
                .map(|(_, s)| s.as_str());
            // `APP_TYPE`: app names have no `_`, process types may.
            let kind = svc
                .split_once('_')
                .map(|(_, k)| k)
                .unwrap_or_default()
                .to_string();
            let ts = tasks::tasks(m, &svc, &kind)?;
            let running = ts
                .iter()
                .filter(|t| t.desired == "running" && t.state == "running")
                .count() as u32;
            let stopping = ts
                .iter()
                .filter(|t| {
                    t.desired != "running" && matches!(t.state.as_str(), "running" | "starting")
                })
                .count();
            let updating = state == "updating";
            let failed = ts
                .iter()
                .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
                .count() as u32;
            if was.is_none() && failed >= want.max(1) * 3 {
                bail!("the tasks of {svc} keep failing on the swarm (see `dokku logs {app}`); nothing was serving before");
            }
            if updating || running != want || stopping > 0 {
                still.push((svc, want));
            }
        }
        pending = still;
        if pending.is_empty() {
            let _ = routing::sync(m, app, true);
            return Ok(());
        }
        if Instant::now() >= end {
            bail!(
                "{app} did not converge on the swarm within {timeout} s (waiting for {})",
                pending
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits for a rollback to finish (bounded).
fn wait_rollback(m: &Endpoint, svc: &str, end: Instant) -> Result<()> {
    while Instant::now() < end {
        if update_state(m, svc)? != "rollback_started" {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_and_checks() {
        assert_eq!(
            restart_policy("on-failure:10").unwrap()["max_attempts"],
            json!(10)
        );
        assert_eq!(restart_policy("no").unwrap()["condition"], json!("none"));
        assert_eq!(restart_policy("always").unwrap()["condition"], json!("any"));
        assert!(restart_policy("sometimes").is_err());
        let j = json!({"healthchecks": {"web": [{"path": "/health", "attempts": 3, "wait": 1, "timeout": 2}]}});
        let h = healthcheck(Some(&j), "web", 5000, 10).unwrap();
        assert_eq!(h["retries"], json!(3));
        assert_eq!(h["interval"], json!("1s"));
        assert!(h["test"][1]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:5000/health"));
        let bad = json!({"healthchecks": {"web": [{"path": "/x;rm -rf /"}]}});
        assert!(healthcheck(Some(&bad), "web", 5000, 10).is_err());
        let h = healthcheck(None, "worker", 5000, 3).unwrap();
        assert_eq!(h["interval"], json!("3s"));
        let mut v = json!({"command": ["sh", "-c", "echo $PORT"]});
        escape_dollars(&mut v);
        assert_eq!(v["command"][2], json!("echo $$PORT"));
    }
}
