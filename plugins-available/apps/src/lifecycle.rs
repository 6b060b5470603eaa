//! Creating, destroying, renaming and cloning apps. A name is claimed with one `mkdir`, so two
//! creators of the same name can never both win; what a failed step made is removed again.

use crate::{lock, PROPS};
use anyhow::{bail, Context, Result};
use dokku_core::appname::{self, app_dir};
use dokku_core::plugin::usage;
use dokku_core::{args, docker, log, paths, property, trigger};
use std::fs;
use std::path::Path;

/// Claims `app`'s folder; fails with Dokku's message when the name is taken.
fn claim(app: &str) -> Result<()> {
    let root = &paths().dokku_root;
    fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let dir = app_dir(app);
    match fs::create_dir(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!("Name is already taken"),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
}

/// Removes an app's folder and properties (best effort, used to undo a failed step).
fn remove_quietly(app: &str) {
    let _ = fs::remove_dir_all(app_dir(app));
    let _ = property::destroy_app(app);
}

/// Creates `app` (already validated) and fires `post-create`; undone when that fails.
pub fn create_app(app: &str) -> Result<()> {
    claim(app)?;
    log::info1(&format!("Creating {app}..."));
    let made = property::write(PROPS, app, "created-at", &dokku_core::unix_now())
        .and_then(|_| trigger("post-create", &[app]));
    if let Err(e) = made {
        remove_quietly(app);
        return Err(e);
    }
    Ok(())
}

/// `apps:create APP`.
pub fn create(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::validate_new(&app)?;
    create_app(&app)
}

/// `apps:destroy [--force] APP`: `pre-delete APP TAG`, `scheduler-stop SCHEDULER APP true`,
/// `scheduler-post-delete SCHEDULER APP TAG`, the app's folder and properties go, then
/// `post-delete APP TAG`.
pub fn destroy(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--force"], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let forced =
        a.has("--force") || std::env::var("DOKKU_APPS_FORCE_DELETE").is_ok_and(|v| v == "1");
    if !forced && !log::confirm_destroy("app", &app)? {
        bail!("Confirmation did not match {app}. Aborted.");
    }
    log::info1(&format!("Destroying {app} (including all add-ons)"));
    // Dokku's order: pre-delete, the scheduler removes the containers and the image, then
    // post-delete, all with the tag of the image the app runs.
    let tag = docker::running_image_tag(&app)?;
    trigger("pre-delete", &[&app, &tag])?;
    let sched = dokku_core::scheduler(&app)?;
    trigger("scheduler-stop", &[&sched, &app, "true"])?;
    trigger("scheduler-post-delete", &[&sched, &app, &tag])?;
    // Move the folder aside first: the app disappears at once, never half-removed.
    let dir = app_dir(&app);
    let trash = paths()
        .dokku_root
        .join(format!(".destroy-{app}-{}", std::process::id()));
    fs::rename(&dir, &trash).with_context(|| format!("cannot remove {}", dir.display()))?;
    property::destroy_app(&app)?;
    fs::remove_dir_all(&trash).with_context(|| format!("cannot remove {}", trash.display()))?;
    trigger("post-delete", &[&app, &tag])
}

/// The two app names of rename and clone, checked: OLD exists (a legacy name included), NEW
/// follows today's rule.
fn old_and_new(a: &args::Args, usage: &str) -> Result<(String, String)> {
    a.at_most(2, usage)?;
    let old = appname::required(a.pos(0))?;
    let Some(new) = a.pos(1).cloned() else {
        bail!("Please specify a new app name; usage: {usage}");
    };
    appname::verify(&old)?;
    appname::validate_new(&new)?;
    if old == new {
        bail!("The new name must differ from the old one");
    }
    Ok((old, new))
}

/// `apps:rename [--skip-deploy] OLD NEW`.
pub fn rename(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--skip-deploy"], &[])?;
    let (old, new) = old_and_new(&a, usage())?;
    if lock::is_locked(&old) {
        bail!("App {old} is locked for deployment; run apps:unlock {old} first");
    }
    claim(&new)?;
    log::info1(&format!("Renaming {old} to {new}"));
    // Renaming onto the empty folder just claimed replaces it in one step.
    if let Err(e) = fs::rename(app_dir(&old), app_dir(&new)) {
        let _ = fs::remove_dir(app_dir(&new));
        return Err(e).with_context(|| {
            format!(
                "cannot rename {} to {}",
                app_dir(&old).display(),
                app_dir(&new).display()
            )
        });
    }
    property::rename_app(&old, &new)?;
    trigger("post-app-rename-setup", &[&old, &new])?;
    trigger("post-app-rename", &[&old, &new])
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg("--")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .context("cannot run cp")?;
    if !st.success() {
        bail!("cannot copy {} to {}", from.display(), to.display());
    }
    Ok(())
}

/// `apps:clone [--skip-deploy] [--ignore-existing] OLD NEW`.
pub fn clone(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--skip-deploy", "--ignore-existing"], &[])?;
    let (old, new) = old_and_new(&a, usage())?;
    if a.has("--ignore-existing") && appname::exists(&new) {
        log::warn(&format!("Name {new} is already taken; skipping"));
        return Ok(());
    }
    claim(&new)?;
    log::info1(&format!("Cloning {old} to {new}"));
    let done = (|| -> Result<()> {
        copy_tree(&app_dir(&old), &app_dir(&new))?;
        let stale_lock = app_dir(&new).join(".deploy.lock");
        if stale_lock.exists() {
            fs::remove_file(&stale_lock)?;
        }
        property::clone_app(&old, &new)?;
        property::write(PROPS, &new, "created-at", &dokku_core::unix_now())?;
        trigger("post-app-clone-setup", &[&old, &new])
    })();
    if let Err(e) = done {
        remove_quietly(&new);
        return Err(e);
    }
    trigger("post-app-clone", &[&old, &new])
}
