//! The release step between a build and the scheduler: the source's Procfile (at the app's
//! `procfile-path`) is kept at `post-extract` (a bad Procfile fails the push before the build),
//! and `release-and-deploy APP TAG` makes it the app's, applies app.json's `formation` (asked
//! through `app-json-get-content`, answered by the app-json plugin), runs
//! `scripts.dokku.predeploy` in a one-off container of the new image (a failure stops the
//! deploy), asks the scheduler to deploy, runs `postdeploy`, and fires `core-post-deploy` and
//! `post-deploy`. With `skip-deploy` the release stops after the build: nothing is started.

use crate::store::{self, data_dir};
use anyhow::{bail, Context, Result};
use dokku_core::procfile;
use dokku_core::{appname, deploylock, docker, log, property, trigger};
use std::path::Path;

/// Tells the deploy's triggers whether a new build is being released (`release`) or the
/// current one redeployed (unset).
pub const DEPLOY_KIND_ENV: &str = "DOKKU_DEPLOY_KIND";

/// The files a build hands to the release, in the order they are kept.
const RELEASE_FILES: &[&str] = &["Procfile"];

/// Trigger `post-extract APP DIR REV`: keeps the source's Procfile (at `procfile-path`) as
/// pending.
pub fn trigger_post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        bail!("post-extract needs APP DIR");
    };
    appname::validate(app)?;
    let pending = data_dir(app).join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    std::fs::create_dir_all(&pending)
        .with_context(|| format!("cannot create {}", pending.display()))?;
    let rel = crate::props::computed(app, "procfile-path")?;
    crate::props::relative_path("procfile-path", &rel)?;
    if let Some(text) = dokku_core::source::read_inside(Path::new(dir), &rel)? {
        procfile::parse(&text).with_context(|| format!("{rel} is not a valid Procfile"))?;
        plugn::atomic::write(&pending.join("Procfile"), text.as_bytes(), 0o644)?;
    }
    Ok(())
}

/// Makes the pending files current (keeping the current ones as `.previous`); returns whether
/// there were pending files.
fn promote(app: &str) -> Result<bool> {
    let dir = data_dir(app);
    let pending = dir.join("pending");
    if !pending.is_dir() {
        return Ok(false);
    }
    for f in RELEASE_FILES {
        let cur = dir.join(f);
        let prev = dir.join(format!("{f}.previous"));
        let _ = std::fs::remove_file(&prev);
        if cur.exists() {
            std::fs::rename(&cur, &prev)
                .with_context(|| format!("cannot keep {}", cur.display()))?;
        }
        let new = pending.join(f);
        if new.exists() {
            std::fs::rename(&new, &cur)
                .with_context(|| format!("cannot install {}", cur.display()))?;
        }
    }
    std::fs::remove_dir_all(&pending)
        .with_context(|| format!("cannot clear {}", pending.display()))?;
    Ok(true)
}

/// Puts the previous files back after a failed deploy.
fn restore_previous(app: &str) {
    let dir = data_dir(app);
    for f in RELEASE_FILES {
        let cur = dir.join(f);
        let prev = dir.join(format!("{f}.previous"));
        let _ = std::fs::remove_file(&cur);
        if prev.exists() {
            let _ = std::fs::rename(&prev, &cur);
        }
    }
}

/// `formation` of app.json: the initial scale of process types not scaled yet.
fn apply_formation(app: &str, appjson: &serde_json::Value) -> Result<()> {
    let Some(f) = appjson.get("formation").and_then(|f| f.as_object()) else {
        return Ok(());
    };
    let mut wanted = Vec::new();
    for (kind, v) in f {
        procfile::validate_type(kind).context("app.json formation")?;
        let Some(n) = v.get("quantity").and_then(|q| q.as_u64()) else {
            continue;
        };
        let n = u32::try_from(n).context("app.json formation quantity is too large")?;
        wanted.push((kind.clone(), n));
    }
    store::update_scale(app, |scale| {
        for (k, n) in wanted {
            if !scale.iter().any(|(s, _)| *s == k) {
                scale.push((k, n));
            }
        }
    })
}

/// Runs an app.json script (`predeploy`, `postdeploy`) in a one-off container of `image`.
fn run_script(app: &str, image: &str, appjson: &serde_json::Value, name: &str) -> Result<()> {
    let Some(cmd) = appjson
        .pointer(&format!("/scripts/dokku/{name}"))
        .and_then(|c| c.as_str())
        .filter(|c| !c.trim().is_empty())
    else {
        return Ok(());
    };
    log::info1(&format!("Running {name} for {app}: {cmd}"));
    let builder = docker::image_label(image, "com.dokku.builder-type")?;
    if let Err(e) = docker::run_oneoff(app, image, &docker::shell_command(&builder, cmd), name) {
        let code = match dokku_core::exit_code(&e) {
            Some(c) => c.to_string(),
            None => format!("{e:#}"),
        };
        bail!("the {name} script of {app} failed (exit {code})");
    }
    Ok(())
}

/// Deploys `dokku/APP:TAG` with the app's current release files: scheduler, then `post-deploy`.
pub fn deploy(app: &str, tag: &str) -> Result<()> {
    let sched = dokku_core::scheduler(app)?;
    trigger("pre-deploy", &[app, tag])?;
    trigger("scheduler-deploy", &[&sched, app, tag])?;
    property::write(crate::PROPS, app, "deployed", "true")?;
    property::delete(crate::PROPS, app, "stopped")?;
    Ok(())
}

/// Fires `core-post-deploy APP PORT IP TAG`, then `post-deploy APP PORT IP TAG` (the proxy
/// switches on it), as Dokku does once the new containers serve; PORT and IP are the first web
/// listener (`network-get-listeners APP web`), empty when there is none.
fn post_deploy(app: &str, tag: &str) -> Result<()> {
    let first = dokku_core::contract::listeners(app, "web")?
        .into_iter()
        .next()
        .unwrap_or_default();
    let (ip, port) = first.rsplit_once(':').unwrap_or(("", ""));
    let args = [app, port, ip, tag];
    trigger("core-post-deploy", &args)?;
    trigger("post-deploy", &args)
}

/// Trigger `release-and-deploy APP [TAG]`.
pub fn trigger_release_and_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("release-and-deploy needs APP [TAG]");
    };
    let tag = argv.get(1).map(String::as_str).unwrap_or("latest");
    appname::verify(app)?;
    let _lock = deploylock::acquire(app)?;
    release_and_deploy(app, tag)
}

/// The release and the deploy of a freshly built image.
pub fn release_and_deploy(app: &str, tag: &str) -> Result<()> {
    // Plugins that keep files of the new build as pending (nginx's template) take them over
    // only in a release, never in a restart.
    std::env::set_var(DEPLOY_KIND_ENV, "release");
    let image = docker::app_image(app, tag);
    let id = docker::output(["image", "inspect", "--format", "{{.Id}}", &image])
        .map_err(|_| anyhow::anyhow!("{app}: the build made no image {image}"))?;
    let promoted = promote(app)?;
    let previous_image = property::get(crate::PROPS, app, "image-id")?;
    let skip = crate::props::skip_deploy(app)?;
    let done = (|| -> Result<()> {
        let appjson = dokku_core::contract::app_json(app)?.unwrap_or_default();
        apply_formation(app, &appjson)?;
        if skip {
            return Ok(());
        }
        run_script(app, &image, &appjson, "predeploy")?;
        deploy(app, tag)?;
        run_script(app, &image, &appjson, "postdeploy")?;
        Ok(())
    })();
    if let Err(e) = done {
        if promoted {
            restore_previous(app);
        }
        // `latest` names the release that serves, so that a restart never runs a failed build.
        if let Some(id) = previous_image.filter(|id| docker::image_exists(id)) {
            let _ = docker::output(["tag", &id, &image]);
        }
        return Err(e);
    }
    if skip {
        log::info1(&format!(
            "skip-deploy is set for {app}: built {image}, nothing started"
        ));
        return Ok(());
    }
    property::write(crate::PROPS, app, "image-id", &id)?;
    post_deploy(app, tag)
}

/// Redeploys the current image (restart, scale, config change): scheduler and `post-deploy`.
pub fn redeploy(app: &str) -> Result<()> {
    redeploy_only(app, None)
}

/// Redeploys the current image; with `only`, just that process type's containers
/// (`scheduler-deploy SCHEDULER APP TAG PROC_TYPE`).
pub fn redeploy_only(app: &str, only: Option<&str>) -> Result<()> {
    std::env::remove_var(DEPLOY_KIND_ENV);
    let _lock = deploylock::acquire(app)?;
    match only {
        None => deploy(app, "latest")?,
        Some(kind) => {
            let sched = dokku_core::scheduler(app)?;
            trigger("pre-deploy", &[app, "latest"])?;
            trigger("scheduler-deploy", &[&sched, app, "latest", kind])?;
        }
    }
    post_deploy(app, "latest")
}
