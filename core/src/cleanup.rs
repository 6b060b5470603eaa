//! `dokku cleanup [APP]`: removes exited and dead containers and dangling images of dokku apps
//! (those labelled `dokku`, or `com.dokku.app-name=APP` for one app), never anything else on
//! the engine. As in Dokku, the command fires `scheduler-docker-cleanup SCHEDULER APP true` and
//! the app's scheduler does the work; [`docker_cleanup`] is what `docker-local` runs.

use crate::docker::{self, APP_LABEL, LABEL};
use anyhow::{Context, Result};

/// `dokku cleanup [APP]`.
pub fn command(args: &[String]) -> Result<i32> {
    crate::builtin::check_args("cleanup", args, 1)?;
    let app = args.first().cloned().unwrap_or_default();
    let scope = if app.is_empty() {
        crate::property::GLOBAL.to_string()
    } else {
        crate::appname::verify(&app)?;
        app.clone()
    };
    let scheduler = crate::scheduler(&scope)?;
    crate::trigger("scheduler-docker-cleanup", &[&scheduler, &app, "true"])?;
    Ok(0)
}

/// The label filters selecting what belongs to `app` (every dokku app when empty).
fn filters(app: &str) -> Vec<String> {
    let label = if app.is_empty() {
        LABEL.to_string()
    } else {
        format!("{APP_LABEL}={app}")
    };
    vec!["--filter".into(), format!("label={label}")]
}

/// Removes the exited and dead containers, then the dangling images, labelled for `app` (for
/// every dokku app when `app` is empty). Running and paused containers, tagged images and
/// anything without dokku's labels are left alone.
pub fn docker_cleanup(app: &str) -> Result<()> {
    let mut ls: Vec<String> = ["container", "ls", "--all", "--quiet", "--no-trunc"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    ls.extend(["--filter".into(), "status=exited".into()]);
    ls.extend(["--filter".into(), "status=dead".into()]);
    ls.extend(filters(app));
    let ids = docker::output(&ls).context("cannot list the exited containers")?;
    let ids: Vec<&str> = ids
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if !ids.is_empty() {
        let mut rm = vec!["container", "rm"];
        rm.extend(ids.iter().copied());
        let out = docker::command(&rm)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", docker::bin()))?;
        // A container another process removes meanwhile is not an error worth failing on.
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            if !line.trim().is_empty() && !line.contains("No such container") {
                crate::log::warn(line.trim_start_matches("Error response from daemon: "));
            }
        }
    }
    let mut prune: Vec<String> = vec!["image".into(), "prune".into(), "--force".into()];
    prune.extend(filters(app));
    docker::output(&prune).context("cannot remove the dangling images")?;
    Ok(())
}

/// The `scheduler-docker-cleanup SCHEDULER APP FORCE_CLEANUP` answer of the `docker-local`
/// scheduler (other schedulers' calls are not its own): [`docker_cleanup`] of APP (of every
/// dokku app when APP is empty). Unless FORCE_CLEANUP is `true`, `DOKKU_SKIP_CLEANUP=true`
/// skips it, as in Dokku.
pub fn trigger_docker_local(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = crate::contract::for_scheduler(argv, "docker-local") else {
        return Ok(());
    };
    if !app.is_empty() {
        crate::appname::validate(app)?;
    }
    let forced = rest.first().is_some_and(|f| f == "true");
    if !forced && std::env::var("DOKKU_SKIP_CLEANUP").is_ok_and(|v| v == "true") {
        crate::log::info1("DOKKU_SKIP_CLEANUP set. Skipping dokku cleanup");
        return Ok(());
    }
    crate::log::info1(&if app.is_empty() {
        "Cleaning up exited containers and dangling images of every app".to_string()
    } else {
        format!("Cleaning up exited containers and dangling images of {app}")
    });
    docker_cleanup(app)
}
