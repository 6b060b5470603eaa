//! One-off containers, the docker-local scheduler's side of `run`: triggers `scheduler-run`, `scheduler-run-list`
//! and `scheduler-run-stop`, answered when the app's scheduler is `docker-local` (any other
//! scheduler's plugin answers them for its own apps).

use anyhow::{anyhow, bail, Context, Result};
use dokku_core::docker::{self, APP_LABEL, CONTAINER_TYPE_LABEL, LABEL};
use dokku_core::report::Format;
use dokku_core::{appname, log, trigger};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::os::unix::process::CommandExt;

/// The scheduler these triggers answer for.
pub const SCHEDULER: &str = crate::NAME;

/// The image label naming the builder that made an app's image.
pub const BUILDER_LABEL: &str = "com.dokku.builder-type";

/// The labels of an image; `None` when the image does not exist.
fn image_labels(image: &str) -> Result<Option<BTreeMap<String, String>>> {
    match docker::output([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        image,
    ]) {
        Ok(json) => {
            let labels: Option<BTreeMap<String, String>> = serde_json::from_str(&json)
                .with_context(|| format!("cannot read the labels of {image}"))?;
            Ok(Some(labels.unwrap_or_default()))
        }
        Err(_) if !docker::image_exists(image) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The app's config (its own over the global), as the config plugin exports it.
fn app_config(app: &str) -> Result<BTreeMap<String, String>> {
    dokku_core::app_config(app)
}

/// A random number in 1000..=32767 (from /dev/urandom).
fn random_number() -> u32 {
    let mut b = [0u8; 2];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut b);
    }
    let n = u32::from(u16::from_ne_bytes(b)) % 32768;
    if n < 1000 {
        n + 1000 + std::process::id() % 1000
    } else {
        n
    }
}

/// A free container name `APP.run.N` and its dyno `run.N`.
fn container_name(app: &str) -> Result<(String, String)> {
    for _ in 0..20 {
        let dyno = format!("run.{}", random_number());
        let name = format!("{app}.{dyno}");
        if docker::output(["container", "inspect", "--format", "{{.Id}}", &name]).is_err() {
            return Ok((name, dyno));
        }
    }
    bail!("cannot find a free container name for {app}.run.N")
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Whether stdin is a terminal.
fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

/// Trigger `scheduler-run SCHEDULER APP ENV_COUNT ENV… [--] COMMAND…`: runs the command in a
/// one-off container of the app's image (`dokku/APP:latest` unless the `deployed-app-*`
/// triggers name another) and exits with its exit code: `docker container create`,
/// `post-container-create app ID APP run`, then `docker container start --attach` (detached:
/// started, its id printed). Reads `DOKKU_RM_CONTAINER`, `DOKKU_DETACH_CONTAINER`,
/// `DOKKU_DISABLE_TTY`, `DOKKU_FORCE_TTY` and `DOKKU_RUN_TTL_SECONDS` (the container is
/// labelled with its deadline and a reaper removes it then).
pub fn trigger_run(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = dokku_core::contract::for_scheduler(argv, SCHEDULER) else {
        return Ok(());
    };
    appname::verify(app)?;
    let (run_env, command) = dokku_core::contract::run_args(rest)?;
    for pair in run_env {
        dokku_core::oneoff::validate_env(pair)?;
    }

    let image = docker::deploying_image(app, "latest")?;
    let labels = image_labels(&image)?.ok_or_else(|| anyhow!("App {app} has not been deployed"))?;
    let source_type = labels.get(BUILDER_LABEL).map(String::as_str).unwrap_or("");
    let herokuish = source_type == "herokuish";
    let config = app_config(app)?;

    let detach = env_flag("DOKKU_DETACH_CONTAINER");
    let rm = env_flag("DOKKU_RM_CONTAINER")
        || config
            .get("DOKKU_RM_CONTAINER")
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let tty = !detach
        && (env_flag("DOKKU_FORCE_TTY") || (!env_flag("DOKKU_DISABLE_TTY") && stdin_is_tty()));
    let ttl = crate::oneoff_ttl::requested()?;
    // Expired one-offs of the app go first (a reaper that did not run, say after a reboot).
    let _ = crate::oneoff_ttl::retire_expired(app);
    let (name, dyno) = container_name(app)?;

    let mut args: Vec<String> = vec!["container".into(), "create".into()];
    if !detach {
        args.push("--interactive".into());
    }
    if tty {
        args.push("--tty".into());
    }
    if rm {
        args.push("--rm".into());
    }
    args.extend(docker::args_trigger(
        "docker-args-run",
        &[app, "latest"],
        "",
    )?);
    args.extend(docker::args_trigger(
        "docker-args-process-run",
        &[app, source_type, "latest"],
        "",
    )?);
    // The config, DYNO, TRACE and the `--env` pairs (in that order of precedence) reach the
    // container through an env file, never on docker's command line.
    let mut vars = config.clone();
    vars.insert("DYNO".into(), dyno);
    if env_flag("DOKKU_TRACE") {
        vars.insert("TRACE".into(), "true".into());
    }
    for pair in run_env {
        if let Some((k, v)) = pair.split_once('=') {
            vars.insert(k.to_string(), v.to_string());
        }
    }
    let env = docker::Env::new(&vars)?;
    args.extend(env.args());
    args.extend([
        "--name".to_string(),
        name,
        "--label".into(),
        LABEL.into(),
        "--label".into(),
        format!("{APP_LABEL}={app}"),
        "--label".into(),
        format!("{CONTAINER_TYPE_LABEL}=run"),
    ]);
    if let Some(ttl) = ttl {
        args.extend(crate::oneoff_ttl::label_args(ttl));
    }
    args.push(image);
    if herokuish {
        args.push("/exec".into());
    }
    if command.is_empty() {
        let shell = config
            .get("DOKKU_APP_SHELL")
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| if herokuish { "/bin/bash" } else { "/bin/sh" }.to_string());
        args.push(shell);
    } else {
        args.extend(command.iter().cloned());
    }

    if plugn::trigger::tracing() {
        eprintln!(
            "+ {} {}",
            docker::bin(),
            plugn::events::redacted(&args).join(" ")
        );
    }
    // Created, handed to `post-container-create` (plugins such as network attach it before it
    // starts), then started: the env file stays open until docker has read it.
    let id = env
        .output(&args)
        .with_context(|| format!("cannot create a run container of {app}"))?;
    drop(env);
    if let Err(e) = trigger("post-container-create", &["app", &id, app, "run"]) {
        let _ = docker::output(["container", "rm", "--force", &id]);
        return Err(match dokku_core::exit_code(&e) {
            Some(c) => anyhow!("post-container-create exited {c}"),
            None => e,
        });
    }
    if let Some(ttl) = ttl {
        if let Err(e) = crate::oneoff_ttl::spawn_reaper(ttl, &id) {
            let _ = docker::output(["container", "rm", "--force", &id]);
            return Err(e);
        }
    }
    if detach {
        if let Err(e) = docker::output(["container", "start", &id]) {
            let _ = docker::output(["container", "rm", "--force", &id]);
            return Err(e);
        }
        println!("{id}");
        return Ok(());
    }
    let mut start: Vec<String> = vec!["container".into(), "start".into(), "--attach".into()];
    start.push("--interactive".into());
    start.push(id);
    // The signals the `run` command ignores while it waits.
    dokku_core::signals::default_interrupts();
    // Replaced by docker: its exit code (the command's) becomes the trigger's.
    let err = docker::command(&start).exec();
    Err(anyhow::Error::new(err).context(format!("cannot run {}", docker::bin())))
}

/// The run containers of an app, as `docker container ls` filters them.
pub(crate) fn run_filters(app: &str) -> Vec<String> {
    vec![
        "--filter".into(),
        format!("label={APP_LABEL}={app}"),
        "--filter".into(),
        format!("label={CONTAINER_TYPE_LABEL}=run"),
    ]
}

/// Trigger `scheduler-run-list SCHEDULER APP FORMAT`: the app's run containers, as a table
/// (`stdout`) or a JSON list of `{name, state, command, created_at}`.
pub fn trigger_run_list(argv: &[String]) -> Result<()> {
    let [scheduler, app, rest @ ..] = argv else {
        bail!("scheduler-run-list: expected SCHEDULER APP FORMAT");
    };
    if scheduler != SCHEDULER {
        return Ok(());
    }
    appname::verify(app)?;
    let format = Format::parse(rest.first().map(String::as_str))?;
    let _ = crate::oneoff_ttl::retire_expired(app);
    let mut args: Vec<String> = vec![
        "container".into(),
        "ls".into(),
        "--all".into(),
        "--no-trunc".into(),
    ];
    args.extend(run_filters(app));
    if format == Format::Stdout {
        log::info2(&format!("{app} run containers"));
        args.extend([
            "--format".to_string(),
            "table {{.Names}}\t{{.Command}}\t{{.RunningFor}}".to_string(),
        ]);
        return docker::stream(&args);
    }
    args.extend(["--format".to_string(), "{{json .}}".to_string()]);
    let out = docker::output(&args)?;
    let mut list = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).context("docker answered something else than JSON")?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        list.push(serde_json::json!({
            "name": field("Names"),
            "state": field("State"),
            "command": field("Command"),
            "created_at": field("CreatedAt"),
        }));
    }
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::Value::Array(list)
    )?;
    Ok(())
}

/// Trigger `scheduler-run-stop SCHEDULER APP [CONTAINER]`: stops one run container of the app,
/// or all of them.
pub fn trigger_run_stop(argv: &[String]) -> Result<()> {
    let [scheduler, app, rest @ ..] = argv else {
        bail!("scheduler-run-stop: expected SCHEDULER APP [CONTAINER]");
    };
    if scheduler != SCHEDULER {
        return Ok(());
    }
    appname::verify(app)?;
    let mut args: Vec<String> = vec![
        "container".into(),
        "ls".into(),
        "--format".into(),
        "{{.Names}}".into(),
    ];
    args.extend(run_filters(app));
    let running: Vec<String> = docker::output(&args)?
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    let targets = match rest.first().filter(|c| !c.is_empty()) {
        Some(c) => {
            if !running.contains(c) {
                bail!("No running run container {c} for app {app}");
            }
            vec![c.clone()]
        }
        None => running,
    };
    if targets.is_empty() {
        log::info1(&format!("No run containers of {app} are running"));
    }
    for c in targets {
        log::info1(&format!("Stopping {c}"));
        docker::output(["container", "stop", &c])?;
    }
    Ok(())
}
