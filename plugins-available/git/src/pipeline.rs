//! The build pipeline's entry: `receive-app APP REV` extracts the revision into a fresh folder,
//! fires `core-post-extract` then `post-extract` (both `APP DIR REV`), asks `builder-detect` for
//! the builder (default `herokuish`), fires `pre-receive-app` and hands the folder to
//! `builder-build BUILDER APP DIR`, whose output streams through to the pushing client; a
//! successful build is released by its builder (`builder-release BUILDER APP latest`) and
//! deployed (`release-and-deploy APP latest`) with the revision in the app's config (`GIT_REV`).
//! A failed build or builder release puts the previous `dokku/APP:latest` back. The whole run
//! holds the app's deploy lock.

use crate::{repo, settings};
use anyhow::{bail, Context, Result};
use dokku_core::appname::{self, app_dir};
use dokku_core::{deploylock, docker, log, property, trigger, trigger_value};
use std::path::Path;
use std::process::{Command, Stdio};

/// The builder used when no plugin's `builder-detect` names one, as Dokku's.
pub const DEFAULT_BUILDER: &str = "herokuish";

/// Fires `receive-app APP REV` (the git plugin's own answer builds; other plugins may add to
/// it), turning a bare failure into a message.
pub fn run_receive_app(app: &str, rev: &str) -> Result<()> {
    match trigger("receive-app", &[app, rev]) {
        Err(e) if dokku_core::exit_code(&e).is_some() => {
            // The failing step has already said why in its one error line; the outcome
            // follows as a detail line on stdout, so the error stays one line.
            log::verbose(&format!(
                "{app}: deploy of {} failed; the running release is unchanged",
                short(rev)
            ));
            Err(e)
        }
        other => other,
    }
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(12)]
}

/// Writes the tree of `rev` into `dest` (`git archive`, read in-process: no shell, no tar).
fn extract(app: &str, rev: &str, dest: &Path) -> Result<()> {
    // Inside a pre-receive hook the pushed objects are only in the quarantine that git's
    // environment points at, so this one git command keeps the hook's environment.
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(app_dir(app))
        .args(["archive", "--format=tar", rev])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git archive")?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let unpacked = tar::Archive::new(&mut stdout).unpack(dest);
    // The reader stops at the end-of-archive block while git still writes the zero blocks that
    // pad the archive to its record size (and after an unpack error, the rest): read it all, so
    // git is never cut off by a closed pipe (SIGPIPE) and its exit status is its own.
    let drained = std::io::copy(&mut stdout, &mut std::io::sink());
    drop(stdout);
    let st = child.wait().context("cannot wait for git archive")?;
    if !st.success() {
        bail!("cannot extract {} of {app}: git archive failed", short(rev));
    }
    let what = || format!("cannot extract {} of {app}", short(rev));
    unpacked.with_context(what)?;
    drained.map(drop).with_context(what)
}

/// Gives the build folder a `.git` holding `rev` (`keep-git-dir`), self-contained.
fn add_git_dir(app: &str, rev: &str, dest: &Path) -> Result<()> {
    let what = format!("cannot keep the .git folder for {app}");
    let mut init = repo::git();
    init.args(["init", "--quiet"]).arg(dest);
    repo::run(init, &what)?;
    // Borrow the app's objects (and a push's quarantine) until the repack copies them.
    let mut stores = vec![app_dir(app).join("objects").display().to_string()];
    if let Ok(q) = std::env::var("GIT_QUARANTINE_PATH") {
        stores.push(q);
    }
    let alternates = dest.join(".git/objects/info/alternates");
    std::fs::write(&alternates, stores.join("\n") + "\n")
        .with_context(|| format!("{what}: cannot write {}", alternates.display()))?;
    for args in [
        vec!["update-ref", "HEAD", rev],
        vec!["reset", "--quiet"],
        vec!["repack", "-a", "-d", "-q"],
    ] {
        let mut c = repo::git();
        c.arg("-C").arg(dest).args(&args);
        repo::run(c, &what)?;
    }
    std::fs::remove_file(&alternates)
        .with_context(|| format!("{what}: cannot remove {}", alternates.display()))
}

/// Sets (or, with `None`, unsets) one config var of the app without a restart.
fn set_config_var(app: &str, var: &str, value: Option<&str>) -> Result<()> {
    let dokku = std::env::var("DOKKU_BIN").unwrap_or_else(|_| "dokku".into());
    let mut c = Command::new(dokku);
    match value {
        Some(v) => c
            .args(["--quiet", "config:set", "--no-restart", app])
            .arg(format!("{var}={v}")),
        None => c.args(["--quiet", "config:unset", "--no-restart", app, var]),
    };
    let out = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .context("cannot run dokku config:set")?;
    if !out.status.success() {
        bail!(
            "cannot set {var} for {app}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Releases and deploys the built image with the revision in the app's config (`GIT_REV`
/// unless `rev-env-var` says otherwise); a failed deploy puts the previous value back.
fn release(app: &str, rev: &str) -> Result<()> {
    let var = settings::rev_env_var(app)?;
    let mut previous = None;
    if let Some(v) = &var {
        previous = trigger_value("config-get", &[app, v])?.filter(|p| !p.is_empty());
        if previous.as_deref() != Some(rev) {
            set_config_var(app, v, Some(rev))?;
        }
    }
    if let Err(e) = trigger("release-and-deploy", &[app, IMAGE_TAG]) {
        if let Some(v) = &var {
            let _ = set_config_var(app, v, previous.as_deref());
        }
        if let Some(code) = dokku_core::exit_code(&e) {
            bail!("{app}: the deploy of {} failed (exit {code})", short(rev));
        }
        return Err(e);
    }
    property::write(
        settings::PROPS,
        app,
        "last-updated-at",
        &dokku_core::unix_now(),
    )
}

/// Removes git's hook variables from this process, so that triggers and builders see a plain
/// environment.
fn leave_hook_environment() {
    for v in repo::GIT_HOOK_ENV {
        std::env::remove_var(v);
    }
}

/// Builds `rev` of `app` under its deploy lock.
pub fn build(app: &str, rev: &str) -> Result<()> {
    appname::verify(app)?;
    if rev.len() < 4 || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("invalid revision {rev:?}");
    }
    let _lock = deploylock::acquire(app)?;
    // What `latest` names before the build, put back if the build or the builder's release
    // fails after tagging (a failed release-and-deploy puts back the serving release itself).
    // Asked now, beside the extraction, and read before the build starts: off the push's path.
    let image = docker::app_image(app, IMAGE_TAG);
    let previous = PreviousImage::ask(&image);
    let work = plugn::atomic::private_dir(&format!("dokku-{app}-build-"))
        .context("cannot create a build folder")?;
    let dir = work.path();
    let dir_s = dir.display().to_string();
    extract(app, rev, dir)?;
    if settings::keep_git_dir(app)? {
        add_git_dir(app, rev, dir)?;
    }
    leave_hook_environment();
    trigger("core-post-extract", &[app, &dir_s, rev])?;
    trigger("post-extract", &[app, &dir_s, rev])?;
    let builder = trigger_value("builder-detect", &[app, &dir_s])?
        .and_then(|v| v.lines().find(|l| !l.trim().is_empty()).map(str::to_string))
        .unwrap_or_else(|| DEFAULT_BUILDER.to_string());
    trigger("pre-receive-app", &[app, &builder, &dir_s, rev])?;
    log::info1(&format!("Building {app} from {builder}"));
    if plugn::discovery::implementers(dokku_core::paths(), "builder-build")?.is_empty() {
        // Like a push to another branch: kept, said plainly, nothing recorded as deployed.
        log::warn(&format!(
            "No enabled plugin builds apps (none answers builder-build): {} of {app} is stored, not built",
            short(rev)
        ));
        return Ok(());
    }
    let previous = previous.id();
    if let Err(e) = trigger("builder-build", &[&builder, app, &dir_s]) {
        restore_image(previous.as_deref(), &image);
        if let Some(code) = dokku_core::exit_code(&e) {
            bail!(
                "{app}: the {builder} build of {} failed (exit {code})",
                short(rev)
            );
        }
        return Err(e);
    }
    if let Err(e) = trigger("builder-release", &[&builder, app, IMAGE_TAG]) {
        restore_image(previous.as_deref(), &image);
        if let Some(code) = dokku_core::exit_code(&e) {
            bail!(
                "{app}: the {builder} release of {} failed (exit {code})",
                short(rev)
            );
        }
        return Err(e);
    }
    release(app, rev)
}

/// The tag a build produces and a deploy runs, as Dokku's builders tag it.
const IMAGE_TAG: &str = "latest";

/// `docker image inspect` of the image a build will replace, running while the source is
/// extracted.
struct PreviousImage(Option<std::process::Child>);

impl PreviousImage {
    /// Starts asking for `image`'s id.
    fn ask(image: &str) -> PreviousImage {
        PreviousImage(
            Command::new(docker::bin())
                .args(["image", "inspect", "--format", "{{.Id}}", image])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok(),
        )
    }

    /// The id, when the image exists (and Docker answered).
    fn id(mut self) -> Option<String> {
        let out = self.0.take()?.wait_with_output().ok()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !id.is_empty()).then_some(id)
    }
}

impl Drop for PreviousImage {
    fn drop(&mut self) {
        // Read to the end before waiting: a child is never left blocked on a full pipe.
        if let Some(c) = self.0.take() {
            let _ = c.wait_with_output();
        }
    }
}

/// The id of an image, when it exists (and Docker answers).
fn image_id(image: &str) -> Option<String> {
    docker::output(["image", "inspect", "--format", "{{.Id}}", image])
        .ok()
        .filter(|id| !id.is_empty())
}

/// Tags `previous` (the image `latest` named before the build) as `image` again, when there was
/// one and it still exists.
fn restore_image(previous: Option<&str>, image: &str) {
    let Some(id) = previous else {
        return;
    };
    if image_id(image).as_deref() != Some(id) && docker::image_exists(id) {
        if let Err(e) = docker::output(["tag", id, image]) {
            log::warn(&format!("cannot put the previous {image} back: {e:#}"));
        }
    }
}

/// Trigger `receive-app APP [REV]`: the git plugin's build of a received revision (without
/// REV, the head of the deploy branch: `ps:rebuild`).
pub fn trigger_receive_app(argv: &[String]) -> Result<()> {
    match argv {
        [app, rev] => build(app, rev),
        [app] => {
            appname::verify(app)?;
            let branch = settings::computed_deploy_branch(app)?;
            let Some(rev) = repo::rev_of(app, &format!("refs/heads/{branch}"))? else {
                bail!("{app} has no source to rebuild: nothing was pushed to {branch}");
            };
            build(app, &rev)
        }
        _ => bail!("receive-app needs APP [REV]"),
    }
}
