//! The scheduler triggers besides deploy: one-off `run` (a replicated job), `logs`
//! (`docker service logs`), `enter` (`docker exec` on the node running the task, through its
//! recorded endpoint), `processes` (tasks per node) and removal of the app's services.

use crate::engine::{self, Endpoint};
use crate::tasks;
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker, log, Exit};
use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Removes every service (and secret) of the app; returns how many services went.
pub fn remove_all(m: &Endpoint, app: &str) -> Result<usize> {
    let names = m.output([
        "service",
        "ls",
        "-q",
        "--filter",
        &format!("label={}={app}", docker::APP_LABEL),
    ])?;
    let ids: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    if !ids.is_empty() {
        let mut args = vec!["service", "rm"];
        args.extend(ids.iter().copied());
        m.output(&args)?;
    }
    let secrets = m.output([
        "secret",
        "ls",
        "-q",
        "--filter",
        &format!("label={}={app}", docker::APP_LABEL),
    ])?;
    let sids: Vec<&str> = secrets.lines().filter(|l| !l.is_empty()).collect();
    if !sids.is_empty() {
        let mut args = vec!["secret", "rm"];
        args.extend(sids.iter().copied());
        let _ = m.output(&args);
    }
    Ok(ids.len())
}

/// Scales every service of the app to 0 (`ps:stop`).
pub fn stop(m: &Endpoint, app: &str) -> Result<()> {
    let svcs = tasks::services(m, app)?;
    if svcs.is_empty() {
        return Ok(());
    }
    log::info1(&format!("Stopping {app} ({} service(s))", svcs.len()));
    let mut args = vec!["service".to_string(), "scale".into(), "--detach".into()];
    args.extend(svcs.iter().map(|s| format!("{}=0", s.name)));
    m.output(&args).map(|_| ())
}

/// `scheduler-processes swarm APP`: `TYPE<TAB>INDEX<TAB>STATE<TAB>ID<TAB>NODE` per task.
pub fn processes(app: &str) -> Result<()> {
    let m = engine::require_manager()?;
    let nodes = tasks::nodes(&m)?;
    for t in tasks::app_tasks(&m, app)? {
        let node = nodes
            .iter()
            .find(|n| n.id == t.node_id)
            .map(|n| n.hostname.clone())
            .unwrap_or_else(|| "-".into());
        let id = if t.container.is_empty() {
            &t.id
        } else {
            &t.container
        };
        println!(
            "{}\t{}\t{}\t{}\t{node}",
            t.kind,
            t.slot,
            t.state,
            id.get(..12).unwrap_or(id)
        );
    }
    Ok(())
}

/// `scheduler-app-status swarm APP`: `TASKS RUNNING` (`true`, `false`, `mixed`).
pub fn app_status(app: &str) -> Result<()> {
    let m = engine::require_manager()?;
    let all = tasks::app_tasks(&m, app)?;
    let running = all.iter().filter(|t| t.state == "running").count();
    println!("{}", dokku_core::contract::app_status(all.len(), running));
    Ok(())
}

/// `scheduler-logs swarm APP PROCESS_TYPE TAIL PRETTY_PRINT NUM`.
#[allow(unsafe_code)]
pub fn logs(app: &str, rest: &[String]) -> Result<()> {
    let [process, tail, raw, num, ..] = rest else {
        bail!("scheduler-logs needs SCHEDULER APP PROCESS_TYPE TAIL PRETTY_PRINT NUM");
    };
    let m = engine::require_manager()?;
    let kind = process.split('.').next().unwrap_or_default();
    let svcs: Vec<tasks::Service> = tasks::services(&m, app)?
        .into_iter()
        .filter(|s| kind.is_empty() || s.kind == kind)
        .collect();
    if svcs.is_empty() {
        bail!(
            "App {app} has no services on the swarm{}",
            if kind.is_empty() {
                String::new()
            } else {
                format!(" for process type {kind:?}")
            }
        );
    }
    let num = match num.as_str() {
        "all" | "" => "all".to_string(),
        n if n.parse::<u64>().is_ok() => n.to_string(),
        n => bail!("Invalid number of lines {n:?}: expected a number or all"),
    };
    let mut children = Vec::new();
    for s in &svcs {
        let mut args = vec![
            "service".to_string(),
            "logs".into(),
            "--tail".into(),
            num.clone(),
        ];
        if tail == "true" {
            args.push("--follow".into());
        }
        if raw == "true" {
            args.push("--raw".into());
        } else {
            args.push("--timestamps".into());
        }
        args.push(s.name.clone());
        let mut c = m.command(&args);
        c.stdin(Stdio::null());
        // SAFETY: prctl has no preconditions; the follower ends with this process.
        unsafe {
            c.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        children.push(
            c.spawn()
                .with_context(|| format!("cannot run {}", docker::bin()))?,
        );
    }
    let mut code = 0;
    for mut c in children {
        let st = c.wait()?;
        if !st.success() {
            code = st.code().unwrap_or(1);
        }
    }
    if code != 0 {
        return Err(Exit(code).into());
    }
    Ok(())
}

/// `scheduler-run swarm APP ENV_COUNT ENV… [--] COMMAND…`: the command as a Swarm
/// replicated job (restart none) of the app's image, its output followed, its exit code
/// returned; the job's service is removed afterwards.
pub fn run(app: &str, rest: &[String]) -> Result<()> {
    let (run_env, command) = dokku_core::contract::run_args(rest)?;
    let m = engine::require_manager()?;
    let mut config = dokku_core::app_config(app)?;
    for pair in run_env {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("invalid --env {pair:?}: KEY=VALUE");
        };
        config.insert(k.to_string(), v.to_string());
    }
    let env = docker::Env::new(&config)?;
    let image = docker::deploying_image(app, "latest")?;
    let builder = docker::image_label(&image, "com.dokku.builder-type").unwrap_or_default();
    let name = format!("{app}_run_{}", std::process::id());
    let mut args: Vec<String> = vec![
        "service".into(),
        "create".into(),
        "--detach".into(),
        "--quiet".into(),
        "--with-registry-auth".into(),
        "--mode".into(),
        "replicated-job".into(),
        "--restart-condition".into(),
        "none".into(),
        "--init".into(),
        "--name".into(),
        name.clone(),
        "--label".into(),
        format!("{}={app}", docker::APP_LABEL),
        "--container-label".into(),
        format!("{}={app}", docker::APP_LABEL),
        "--container-label".into(),
        format!("{}=run", docker::CONTAINER_TYPE_LABEL),
    ];
    args.extend(env.args());
    args.push(image.clone());
    if builder == "herokuish" {
        args.push("/exec".into());
    }
    args.extend(command.iter().cloned());
    let mut c = env.command(&args);
    m.apply(&mut c);
    if let Some(cfg) = crate::deploy::docker_config(app)? {
        c.env("DOCKER_CONFIG", cfg);
    }
    c.stdin(Stdio::null());
    let os: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    engine::captured(c, &os).with_context(|| format!("cannot start a one-off task of {app}"))?;
    drop(env);
    let result = follow_job(&m, &name);
    let _ = m.output(["service", "rm", &name]);
    let code = result?;
    if code != 0 {
        return Err(Exit(code).into());
    }
    Ok(())
}

/// Follows the job's output until its task ended; its exit code.
fn follow_job(m: &Endpoint, name: &str) -> Result<i32> {
    let mut follower = m
        .command(["service", "logs", "--follow", "--raw", name])
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    let end = Instant::now() + Duration::from_secs(24 * 3600);
    let code = loop {
        let ts = tasks::tasks(m, name, "run")?;
        if let Some(t) = ts.iter().find(|t| {
            matches!(
                t.state.as_str(),
                "complete" | "failed" | "rejected" | "shutdown"
            )
        }) {
            if t.state == "rejected" {
                let _ = follower.kill();
                let err = m
                    .output([
                        "inspect",
                        "--type",
                        "task",
                        "--format",
                        "{{.Status.Err}}",
                        &t.id,
                    ])
                    .unwrap_or_default();
                bail!("the one-off task was rejected by Swarm: {err}");
            }
            break t
                .exit_code
                .unwrap_or(if t.state == "complete" { 0 } else { 1 }) as i32;
        }
        if Instant::now() > end {
            bail!("the one-off task did not end");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let the log stream deliver the last lines.
    let stop = Instant::now() + Duration::from_secs(2);
    while Instant::now() < stop {
        if follower.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = follower.kill();
    let _ = follower.wait();
    Ok(code)
}

/// `scheduler-enter swarm APP [PROCESS_TYPE[.N]] [CMD…]`: `docker exec` in a running task's
/// container, on its node (through the endpoint recorded for it).
pub fn enter(app: &str, rest: &[String]) -> Result<()> {
    appname::verify(app)?;
    let m = engine::require_manager()?;
    let mut rest = rest.to_vec();
    if rest.first().is_some_and(|a| a == "--container-id") {
        bail!("--container-id is not supported by the swarm scheduler: name a process type");
    }
    let spec = if rest.first().is_some_and(|a| a != "--") {
        Some(rest.remove(0))
    } else {
        None
    };
    if rest.first().is_some_and(|a| a == "--") {
        rest.remove(0);
    }
    let (kind, index) = match spec.as_deref().map(|s| s.split_once('.')) {
        Some(Some((k, i))) => (
            k.to_string(),
            Some(
                i.parse::<u64>()
                    .with_context(|| format!("invalid process index {i:?}"))?,
            ),
        ),
        Some(None) => (spec.clone().unwrap_or_default(), None),
        None => ("web".to_string(), None),
    };
    let t = tasks::app_tasks(&m, app)?
        .into_iter()
        .find(|t| {
            t.kind == kind
                && t.state == "running"
                && !t.container.is_empty()
                && index.is_none_or(|i| t.slot == i)
        })
        .with_context(|| format!("No running task found for {app} {kind}"))?;
    let ep = engine::node_endpoint(&t.node_id)?.with_context(|| {
        format!("no endpoint is recorded for the node running {kind}.{} (add it with scheduler-swarm:cluster-add)", t.slot)
    })?;
    let mut args = vec!["exec".to_string(), "--interactive".into()];
    if std::io::stdin().is_terminal() {
        args.push("--tty".into());
    }
    args.push(t.container.clone());
    if rest.is_empty() {
        args.push("/bin/sh".into());
    } else {
        args.extend(rest);
    }
    let err = ep.command(&args).exec();
    Err(anyhow::Error::new(err).context(format!("cannot run {}", docker::bin())))
}
