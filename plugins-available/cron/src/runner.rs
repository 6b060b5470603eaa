//! `cron:run [--detach] APP ID`: one run of a task in a one-off container of the app, through
//! the app's scheduler (`scheduler-run`, as `dokku run` does), removed when it ends. The
//! container carries the label `com.dokku.cron-id=ID` (answered in `docker-args-run`), by
//! which `concurrency_policy` finds the task's running containers: `forbid` skips the run
//! while one runs, `replace` stops them first, `allow` starts regardless.

use anyhow::{bail, Result};
use dokku_core::docker::dockerargs;
use dokku_core::docker::{self, APP_LABEL};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, log};

/// The container label naming the task a container runs.
pub const CRON_ID_LABEL: &str = "com.dokku.cron-id";

/// The environment variable by which `cron:run` tells `docker-args-run` the task's ID.
const CRON_ID_ENV: &str = "DOKKU_CRON_ID";

/// The running containers of a task.
fn running(app: &str, id: &str) -> Result<Vec<String>> {
    Ok(docker::output([
        "container",
        "ls",
        "--quiet",
        "--filter",
        &format!("label={APP_LABEL}={app}"),
        "--filter",
        &format!("label={CRON_ID_LABEL}={id}"),
    ])?
    .lines()
    .map(str::trim)
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect())
}

/// `cron:run [--detach] APP ID`.
pub fn command(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--detach"], &[])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(want) = a.pos(1) else {
        bail!("Please specify a cron id; usage: {usage}");
    };
    let (_, task) = crate::find(&app, want)?;
    let detach = a.has("--detach");

    let current = running(&app, &task.id)?;
    if !current.is_empty() {
        match task.concurrency_policy.as_str() {
            "forbid" => {
                log::info1(&format!(
                    "Cron task {} is already running; skipping (concurrency_policy forbid)",
                    task.id
                ));
                return Ok(());
            }
            "replace" => {
                log::info1(&format!(
                    "Stopping the running cron task {} (concurrency_policy replace)",
                    task.id
                ));
                let mut rm = vec!["container".to_string(), "rm".into(), "--force".into()];
                rm.extend(current);
                docker::output(&rm)?;
            }
            _ => {}
        }
    }

    // A Procfile entry named as the command's first word runs that entry's command.
    let mut cmd = task.command.clone();
    let first = cmd.split_whitespace().next().unwrap_or("").to_string();
    if dokku_core::procfile::validate_type(&first).is_ok() {
        let entry = dokku_core::contract::process_command(&app, &first, 5000).unwrap_or_default();
        if !entry.trim().is_empty() {
            let rest = cmd.trim_start()[first.len()..].to_string();
            cmd = format!("{entry}{rest}");
        }
    }

    std::env::set_var("DOKKU_RM_CONTAINER", "1");
    std::env::set_var(CRON_ID_ENV, &task.id);
    if detach {
        std::env::set_var("DOKKU_DETACH_CONTAINER", "1");
        std::env::set_var("DOKKU_DISABLE_TTY", "true");
    }
    let mut targs = vec![
        dokku_core::scheduler(&app)?,
        app.clone(),
        "0".to_string(),
        "--".to_string(),
    ];
    // The run plugin adds herokuish's `/exec` itself.
    targs.extend(docker::shell_command("", &cmd));
    // The container gets the interrupt and this process waits for its exit code.
    dokku_core::signals::ignore_interrupts();
    let targs: Vec<&str> = targs.iter().map(String::as_str).collect();
    dokku_core::trigger_through("scheduler-run", &targs)
}

/// Trigger `docker-args-run APP TAG`: echoes stdin, and when `cron:run` started the run, adds
/// the task's label.
pub fn trigger_docker_args_run(_argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let mut words = Vec::new();
    if let Ok(id) = std::env::var(CRON_ID_ENV) {
        if crate::id::is_valid(&id) {
            words.push(format!("--label={CRON_ID_LABEL}={id}"));
        }
    }
    dockerargs::emit(&stdin, &words)
}
