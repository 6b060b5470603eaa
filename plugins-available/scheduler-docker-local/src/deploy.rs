//! `scheduler-deploy docker-local APP TAG`: one container per process instance, created
//! (`docker container create`, then `post-container-create`, then `docker container start`)
//! beside the running ones, checked (`check-deploy`), and only then named `APP.TYPE.N` and
//! recorded for the proxy (`network-write-ipaddr`, `network-write-port`); the old containers
//! retire after the `wait-to-retire` grace period. A failed start or check removes the new
//! containers and leaves the old ones serving; what the failed containers printed is kept for
//! `logs:failed`. Containers start and are checked `parallel-schedule-count` at a time (every
//! one must pass before any is switched in), with `--init` unless `init-process` is false.
//!
//! Everything it learns about the app it asks through triggers (`dokku_core::contract`), never
//! by reading another plugin's files: the scale (`ps-current-scale`), each type's command
//! (`procfile-get-command`), the restart policy (`ps-get-property`), `wait-to-retire` and the
//! types with zero-downtime off (`checks-get-property`), the web port
//! (`ports-get-container-port`). Each is asked once per deploy.

use crate::containers::{self, Container};
use anyhow::{bail, Context, Result};
use dokku_core::{contract, docker, log, trigger};

/// One process type to run: its name and its command (empty: the image's own CMD).
struct Process {
    kind: String,
    command: String,
}

/// What a deploy asks ps and checks once, before any container starts.
struct Settings {
    /// `ps-get-property APP restart-policy` (`on-failure:10` when nothing answers).
    restart_policy: String,
    /// `checks-get-property APP disabled`: the types whose old containers stop first.
    disabled: Vec<String>,
    /// `init-process`: whether the containers get docker's `--init`.
    init: bool,
    /// `parallel-schedule-count`: how many containers start and are checked at a time.
    parallel: usize,
}

impl Settings {
    fn ask(app: &str) -> Result<Settings> {
        let restart_policy = match contract::ps_property(app, "restart-policy")? {
            p if p.is_empty() => "on-failure:10".to_string(),
            p => p,
        };
        let disabled = contract::checks_property(app, "disabled")?
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Settings {
            restart_policy,
            disabled,
            init: crate::props::init_process(app)?,
            parallel: crate::props::parallel_schedule_count(app)?,
        })
    }

    /// Whether zero-downtime is turned off for a process type (`checks:disable APP [TYPES]`):
    /// its old containers stop before the new ones start.
    fn zero_downtime_disabled(&self, kind: &str) -> bool {
        self.disabled.iter().any(|t| t == "_all_" || t == kind)
    }
}

/// Seconds old containers keep serving after a deploy (`checks-get-property APP
/// wait-to-retire`; 60 when nothing answers).
fn wait_to_retire(app: &str) -> Result<u32> {
    match contract::checks_property(app, "wait-to-retire")? {
        v if v.is_empty() => Ok(60),
        v => v
            .parse()
            .with_context(|| format!("wait-to-retire {v:?} is not a number of seconds")),
    }
}

/// What runs in a container of one process type.
fn container_command(builder: &str, process: &Process) -> Vec<String> {
    match builder {
        "herokuish" => vec!["/start".into(), process.kind.clone()],
        _ if process.command.is_empty() => Vec::new(), // the image's own CMD
        _ => vec!["/bin/sh".into(), "-c".into(), process.command.clone()],
    }
}

/// The processes to run and how many of each: `ps-current-scale` (every type of the deployed
/// Procfile, `web` alone without one), and `procfile-get-command` for each type that runs
/// (empty for `web` without a Procfile: the image's own command).
fn processes(app: &str, web_port: u16) -> Result<Vec<(Process, u32)>> {
    let mut out = Vec::new();
    for (kind, count) in contract::current_scale(app)? {
        let command = if count > 0 {
            contract::process_command(app, &kind, web_port)?
        } else {
            String::new()
        };
        out.push((Process { kind, command }, count));
    }
    Ok(out)
}

/// A free port on 127.0.0.1 (the kernel's choice, released at once for docker to bind).
fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).context("cannot find a free port")?;
    Ok(l.local_addr()?.port())
}

/// The host address a web container's port is published on: all interfaces (`0.0.0.0`) when
/// the app's `bind-all-interfaces` network property is `true` (Trigger `network-get-property
/// APP bind-all-interfaces`), else loopback only. The proxy reaches it on loopback either way.
fn publish_ip(app: &str) -> Result<&'static str> {
    let v = dokku_core::trigger_value("network-get-property", &[app, "bind-all-interfaces"])?;
    Ok(match v.as_deref().map(str::trim) {
        Some("true") => "0.0.0.0",
        _ => containers::LISTEN_IP,
    })
}

/// Whether docker refused to start a container because its host port was taken meanwhile.
fn port_taken(e: &anyhow::Error) -> bool {
    let m = format!("{e:#}");
    m.contains("already allocated") || m.contains("already in use")
}

/// `docker container create` with `args`, `post-container-create app ID APP deploy PROC_TYPE`
/// (plugins such as network attach the container before it starts), then
/// `docker container start`. When another process took the chosen host port meanwhile, the
/// container is removed and made again on another free port; any other failure removes it.
/// Returns the container and the host port it got.
fn create_and_start(
    app: &str,
    env: &docker::Env,
    kind: &str,
    args: &mut [String],
    host_port: Option<u16>,
    web_port: u16,
) -> Result<(String, Option<u16>)> {
    let mut hp = host_port;
    for attempt in 1..=5 {
        let id = env.output(&*args)?;
        let started = trigger("post-container-create", &["app", &id, app, "deploy", kind])
            .map_err(|e| match dokku_core::exit_code(&e) {
                Some(c) => anyhow::anyhow!("post-container-create exited {c}"),
                None => e,
            })
            .and_then(|_| docker::output(["container", "start", &id]));
        match started {
            Ok(_) => return Ok((id, hp)),
            Err(e) => {
                let _ = containers::remove(std::slice::from_ref(&id));
                match hp {
                    Some(old_hp) if attempt < 5 && port_taken(&e) => {
                        let old = format!(":{old_hp}:{web_port}");
                        let new_hp = free_port()?;
                        // The first such argument is ours (the docker-args follow it).
                        if let Some(a) = args.iter_mut().find(|a| a.ends_with(&old)) {
                            let ip = a.strip_suffix(&old).unwrap_or_default().to_string();
                            *a = format!("{ip}:{new_hp}:{web_port}");
                        }
                        hp = Some(new_hp);
                    }
                    _ => return Err(e),
                }
            }
        }
    }
    unreachable!("the last attempt returns")
}

/// A container started by this deploy, not yet switched in.
struct Started {
    id: String,
    temp_name: String,
    final_name: String,
    kind: String,
    index: u32,
    dyno: String,
    port: Option<u16>,
}

/// What every container of one deploy shares.
struct Release<'a> {
    app: &'a str,
    tag: &'a str,
    image: &'a str,
    builder: &'a str,
    env: &'a docker::Env,
    /// The port the web process listens on in its container (`PORT`).
    web_port: u16,
    /// What ps and checks answered.
    settings: &'a Settings,
}

fn start_one(r: &Release, process: &Process, index: u32) -> Result<Started> {
    let Release {
        app,
        tag,
        image,
        builder,
        env,
        web_port,
        settings,
    } = *r;
    let dyno = format!("{}.{index}", process.kind);
    let final_name = format!("{app}.{dyno}");
    let temp_name = format!("{final_name}.upcoming-{}", std::process::id());
    let mut args: Vec<String> = vec!["container".into(), "create".into()];
    // `--init` (unless `init-process` is false): a small init as PID 1 forwards SIGTERM, so
    // retiring takes a moment, not the 10 s grace a process that is PID 1 itself (and ignores
    // SIGTERM) would cost.
    if settings.init {
        args.push("--init".into());
    }
    args.extend([
        "--name".into(),
        temp_name.clone(),
        format!("--restart={}", settings.restart_policy),
    ]);
    args.extend(docker::labels(app));
    for l in [
        format!("{}={}", docker::PROCESS_LABEL, process.kind),
        format!("{}=deploy", docker::CONTAINER_TYPE_LABEL),
        format!("com.dokku.dyno={dyno}"),
    ] {
        args.push("--label".into());
        args.push(l);
    }
    args.extend(env.args());
    let web = process.kind == "web";
    // A host port of our choosing (not one the engine picks), so that it stays the same when
    // the container restarts under its restart policy or after ps:stop / ps:start.
    let host_port = if web { Some(free_port()?) } else { None };
    if let Some(hp) = host_port {
        let ip = publish_ip(app)?;
        args.extend([
            "-e".into(),
            format!("PORT={web_port}"),
            "-p".into(),
            format!("{ip}:{hp}:{web_port}"),
        ]);
    }
    let idx = index.to_string();
    let targs = [app, tag, process.kind.as_str(), idx.as_str()];
    args.extend(docker::args_trigger("docker-args-deploy", &targs, "")?);
    args.extend(docker::args_trigger(
        "docker-args-process-deploy",
        &[app, builder, tag, process.kind.as_str(), idx.as_str()],
        "",
    )?);
    args.push(image.to_string());
    args.extend(container_command(builder, process));
    let (id, port) = create_and_start(app, env, &process.kind, &mut args, host_port, web_port)
        .with_context(|| format!("cannot start {final_name}"))?;
    Ok(Started {
        id,
        temp_name,
        final_name,
        kind: process.kind.clone(),
        index,
        dyno,
        port,
    })
}

/// Shows the last lines a failed container printed (`text`: its output as kept).
fn show_logs(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return;
    }
    log::warn("the container's last output:");
    for l in &lines[lines.len().saturating_sub(20)..] {
        log::warn(&format!("  {l}"));
    }
}

/// A container of the deploy that failed to start or failed its checks.
struct Failure {
    error: anyhow::Error,
    /// What it printed, as kept for `logs:failed` (`APP[DYNO]: text` lines).
    output: String,
}

/// Starts `process` instance `index` and checks it; on failure removes it and says why.
fn start_checked(r: &Release, process: &Process, index: u32) -> Result<Started, Failure> {
    let app = r.app;
    let dyno = format!("{}.{index}", process.kind);
    log::info1(&format!("Starting {dyno}"));
    let s = start_one(r, process, index).map_err(|e| Failure {
        output: format!("{app}[{dyno}]: {e:#}\n"),
        error: e,
    })?;
    let port = s.port.map(|p| p.to_string()).unwrap_or_default();
    if let Err(e) = trigger(
        "check-deploy",
        &[app, &s.id, &process.kind, &port, "127.0.0.1"],
    ) {
        let output = crate::logs::failed_output(app, &dyno, &s.id);
        show_logs(&output);
        let _ = containers::remove(std::slice::from_ref(&s.id));
        let why = match dokku_core::exit_code(&e) {
            Some(c) => format!("check-deploy exited {c}"),
            None => format!("{e:#}"),
        };
        return Err(Failure {
            error: anyhow::anyhow!("{dyno} of {app} failed its checks ({why})"),
            output,
        });
    }
    Ok(s)
}

/// Starts and checks every `(process, index)` of `jobs`, `parallel` at a time, in order; after
/// the first failure no further one starts (those under way finish). Returns the containers
/// started and checked (in the order of `jobs`) and the failures.
fn start_all(
    r: &Release,
    jobs: &[(&Process, u32)],
    parallel: usize,
) -> (Vec<Started>, Vec<Failure>) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done: Mutex<Vec<(usize, Started)>> = Mutex::new(Vec::new());
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let worker = || loop {
        if failed.load(Ordering::SeqCst) {
            break;
        }
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some((process, index)) = jobs.get(i) else {
            break;
        };
        match start_checked(r, process, *index) {
            Ok(s) => done.lock().unwrap_or_else(|e| e.into_inner()).push((i, s)),
            Err(f) => {
                failed.store(true, Ordering::SeqCst);
                failures.lock().unwrap_or_else(|e| e.into_inner()).push(f);
            }
        }
    };
    let workers = parallel.clamp(1, jobs.len().max(1));
    if workers == 1 {
        worker();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(worker);
            }
        });
    }
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    (
        done.into_iter().map(|(_, s)| s).collect(),
        failures.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

/// Deploys the app's image at `tag` (`dokku/APP:TAG`, unless `deployed-app-repository`,
/// `deployed-app-image-repo` or `deployed-app-image-tag` name another). With `only`, just
/// that process type's containers are replaced; the others keep running untouched.
pub fn deploy(app: &str, tag: &str, only: Option<&str>) -> Result<()> {
    let image = docker::deploying_image(app, tag)?;
    // One inspect: the image is there, and which builder made it.
    let builder = docker::image_label(&image, "com.dokku.builder-type").map_err(|_| {
        anyhow::anyhow!(
            "{app} has no image {image} to deploy: build it first (git push, ps:rebuild)"
        )
    })?;
    let web_port = contract::web_port(app)?;
    let mut procs = processes(app, web_port)?;
    let settings = Settings::ask(app)?;
    let env = docker::Env::of_app(app)?;
    let mut old = containers::list(app)?;
    let mut kept = Vec::new();
    if let Some(only) = only {
        if !procs.iter().any(|(p, _)| p.kind == only) {
            bail!("{app} has no process type {only}");
        }
        procs.retain(|(p, _)| p.kind == only);
        kept = old
            .iter()
            .filter(|c| c.process != only && !c.name.contains(".retiring-"))
            .filter_map(|c| c.name.strip_prefix(&format!("{app}.")).map(str::to_string))
            .collect();
        old.retain(|c| c.process == only);
    }
    log::info1(&format!("Deploying {app} ({image})"));
    // Zero-downtime off for a type (`checks:disable`): its old containers stop before any new
    // one starts.
    let mut stopped_early: Vec<String> = Vec::new();
    for (process, _) in &procs {
        if settings.zero_downtime_disabled(&process.kind) {
            let ids: Vec<String> = old
                .iter()
                .filter(|c| c.process == process.kind)
                .map(|c| c.id.clone())
                .collect();
            containers::stop(&ids, containers::stop_timeout(app)?)?;
            stopped_early.extend(ids);
        }
    }
    let jobs: Vec<(&Process, u32)> = procs
        .iter()
        .flat_map(|(p, count)| (1..=*count).map(move |i| (p, i)))
        .collect();
    let release = Release {
        app,
        tag,
        image: &image,
        builder: &builder,
        env: &env,
        web_port,
        settings: &settings,
    };
    let (started, failures) = start_all(&release, &jobs, settings.parallel);
    if !failures.is_empty() {
        let ids: Vec<String> = started.iter().map(|s| s.id.clone()).collect();
        let _ = containers::remove(&ids);
        if !stopped_early.is_empty() {
            // Zero-downtime was off for these: bring the old ones back.
            let mut args = vec!["start".to_string()];
            args.extend(stopped_early.iter().cloned());
            let _ = docker::output(&args);
        }
        let output: String = failures.iter().map(|f| f.output.as_str()).collect();
        if let Err(e) = crate::logs::keep_failed(app, &output) {
            log::warn(&format!("{e:#}"));
        }
        let mut failures = failures.into_iter();
        let first = failures.next().map(|f| f.error);
        for f in failures {
            log::warn(&format!("{:#}", f.error));
        }
        let e = first.unwrap_or_else(|| anyhow::anyhow!("a container failed"));
        return Err(e.context(format!(
            "deploy of {app} failed; the previous release keeps serving"
        )));
    }
    switch(app, &old, &started, kept)?;
    crate::logs::forget_failed(app)
}

/// Makes the new containers the app's: names, records, and the old ones retiring; the records
/// of the instances in `keep` (dynos of types not redeployed) stay.
fn switch(app: &str, old: &[Container], started: &[Started], mut keep: Vec<String>) -> Result<()> {
    // Unique among deploys, even two in the same second.
    let suffix = format!("{}-{}", dokku_core::unix_now(), std::process::id());
    for c in old {
        if !c.name.contains(".retiring-") {
            docker::output(["rename", &c.id, &format!("{}.retiring-{suffix}", c.name)])?;
        }
    }
    // The network plugin keeps where each instance answers: forget what the old containers
    // answered on (`network-clear-listeners`, once per type), then record the new ones.
    let mut kinds: Vec<&str> = old
        .iter()
        .map(|c| c.process.as_str())
        .chain(started.iter().map(|s| s.kind.as_str()))
        .filter(|k| dokku_core::procfile::validate_type(k).is_ok())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        trigger("network-clear-listeners", &[app, kind])?;
    }
    for s in started {
        docker::output(["rename", &s.temp_name, &s.final_name])?;
        containers::record(app, &s.dyno, &s.id)?;
        if let Some(port) = s.port {
            let index = s.index.to_string();
            trigger(
                "network-write-ipaddr",
                &[app, &s.kind, &index, containers::LISTEN_IP],
            )?;
            trigger(
                "network-write-port",
                &[app, &s.kind, &index, &port.to_string()],
            )?;
        }
        keep.push(s.dyno.clone());
    }
    containers::forget_except(app, &keep)?;
    let ids: Vec<String> = old.iter().map(|c| c.id.clone()).collect();
    if !ids.is_empty() {
        let wait = wait_to_retire(app)?;
        log::info1(&format!(
            "Retiring {} old container(s) of {app} in {wait} s",
            ids.len()
        ));
        crate::retire::later(wait, app, &ids)?;
    }
    log::info1(&format!(
        "{app} deployed: {} container(s) running",
        started.len()
    ));
    Ok(())
}
