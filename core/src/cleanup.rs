//! `dokku cleanup [APP]`: removes exited and dead containers and dangling images of dokku apps
//! (those labelled `dokku`, or `com.dokku.app-name=APP` for one app), never anything else on
//! the engine. As in Dokku, the command fires `scheduler-docker-cleanup SCHEDULER APP true` and
//! the app's scheduler does the work; [`docker_cleanup`] is what `docker-local` runs. Then the
//! command removes the tagged images of releases nobody keeps (asking
//! `releases-images-in-use APP`), the build caches of destroyed apps (without APP) and the
//! build records and logs past the builds plugin's retention. The installer's daily cron entry
//! (`/etc/cron.d/dokku-cleanup`) runs it.

use crate::docker::{self, APP_LABEL, LABEL, ROOT_LABEL};
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
    let apps = if app.is_empty() {
        crate::appname::all()?
    } else {
        vec![app.clone()]
    };
    for a in &apps {
        let n = release_images(a)?;
        if n > 0 {
            crate::log::info1(&format!("Removed {n} image(s) of old releases of {a}"));
        }
    }
    if app.is_empty() {
        for name in orphan_caches()? {
            crate::log::info1(&format!(
                "Removed the build cache {name} of a destroyed app"
            ));
        }
    }
    build_logs(&app)?;
    Ok(0)
}

/// Whether `a` and `b` name the same image (full or short ids, with or without `sha256:`).
fn same_image(a: &str, b: &str) -> bool {
    let a = a.trim().trim_start_matches("sha256:");
    let b = b.trim().trim_start_matches("sha256:");
    a.len() >= 12 && b.len() >= 12 && (a.starts_with(b) || b.starts_with(a))
}

/// The non-empty trimmed lines of `s`.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Removes `app`'s tagged images that `releases-images-in-use APP` does not name. When no
/// plugin answers (or the answer is empty) every tagged image is kept. Images a container
/// still uses are refused by the engine and kept; only images labelled for `app` are looked at.
pub fn release_images(app: &str) -> Result<usize> {
    let keep = match crate::trigger_value("releases-images-in-use", &[app])? {
        Some(v) => lines(&v),
        None => return Ok(0),
    };
    if keep.is_empty() {
        return Ok(0);
    }
    let listed = docker::output([
        "image",
        "ls",
        "--no-trunc",
        "--filter",
        &format!("label={APP_LABEL}={app}"),
        "--format",
        "{{.ID}} {{.Repository}}:{{.Tag}}",
    ])
    .with_context(|| format!("cannot list the images of {app}"))?;
    let mut removed = 0;
    for line in lines(&listed) {
        let Some((id, reference)) = line.split_once(' ') else {
            continue;
        };
        if reference.contains("<none>") || keep.iter().any(|k| same_image(k, id)) {
            continue;
        }
        let out = docker::command(["image", "rm", reference])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", docker::bin()))?;
        if out.status.success() {
            removed += 1;
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.contains("No such image") && !err.contains("conflict") {
                crate::log::warn(&format!(
                    "cannot remove {reference}: {}",
                    err.lines().next().unwrap_or("failed").trim()
                ));
            }
        }
    }
    Ok(removed)
}

/// Removes the build caches (volumes `cache-APP` labelled `dokku`, `com.dokku.app-name=APP` and
/// this installation's `com.dokku.root`) of apps that no longer exist; another installation's
/// on the same engine, and one without the root label, are kept. A volume still mounted by a
/// container is refused by the engine and kept. Returns the names removed.
pub fn orphan_caches() -> Result<Vec<String>> {
    let apps = crate::appname::all()?;
    let listed = docker::output([
        "volume",
        "ls",
        "--filter",
        &format!("label={LABEL}"),
        "--format",
        &format!("{{{{.Name}}}}\t{{{{.Label \"{APP_LABEL}\"}}}}\t{{{{.Label \"{ROOT_LABEL}\"}}}}"),
    ])
    .context("cannot list the build caches")?;
    let ours = crate::paths().dokku_root.display().to_string();
    let mut removed = Vec::new();
    for line in lines(&listed) {
        let mut fields = line.split('\t');
        let (Some(name), Some(app), Some(root)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if root != ours || name != format!("cache-{app}") || apps.iter().any(|a| a == app) {
            continue;
        }
        let out = docker::command(["volume", "rm", name])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", docker::bin()))?;
        if out.status.success() {
            removed.push(name.to_string());
        }
    }
    Ok(removed)
}

/// Applies the builds plugin's retention (`builds:prune APP|--all-apps`) when it is enabled.
fn build_logs(app: &str) -> Result<()> {
    if crate::dispatch::plugin_dir(crate::paths(), "builds").is_none() {
        return Ok(());
    }
    let target = if app.is_empty() { "--all-apps" } else { app };
    let exe = std::env::current_exe().context("cannot find the dokku binary")?;
    let status = std::process::Command::new(exe)
        .args(["builds:prune", target])
        .stdin(std::process::Stdio::null())
        .status()
        .context("cannot run builds:prune")?;
    if !status.success() {
        anyhow::bail!("builds:prune {target} failed");
    }
    Ok(())
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
    remove_listed(&ls, "container", "cannot list the exited containers")?;
    // Listing and removing the dangling images one by one rather than `docker image prune`:
    // the engine runs one prune at a time and refuses a second ("a prune operation is already
    // running"), which an operator's own `docker system prune` or a parallel cleanup would hit.
    let mut ls: Vec<String> = ["image", "ls", "--quiet", "--no-trunc"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    ls.extend(["--filter".into(), "dangling=true".into()]);
    ls.extend(filters(app));
    remove_listed(&ls, "image", "cannot list the dangling images")?;
    Ok(())
}

/// Runs the docker listing `ls`, then `docker KIND rm` on the ids it printed. An object another
/// process removed meanwhile, or an image a container still uses, is not worth failing on: the
/// engine's other complaints are printed as warnings.
fn remove_listed(ls: &[String], kind: &str, what: &'static str) -> Result<()> {
    let ids = docker::output(ls).context(what)?;
    let mut ids: Vec<&str> = ids
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let mut rm = vec![kind, "rm"];
    rm.extend(ids.iter().copied());
    let out = docker::command(&rm)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        let benign = [
            "No such container",
            "No such image",
            "conflict:",
            "is being used",
        ];
        if !line.trim().is_empty() && !benign.iter().any(|b| line.contains(b)) {
            crate::log::warn(line.trim_start_matches("Error response from daemon: "));
        }
    }
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
