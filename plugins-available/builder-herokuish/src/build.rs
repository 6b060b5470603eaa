//! `builder-build herokuish APP DIR`: one container of the stack image gets the source at
//! `/app`, the buildpacks at `/tmp/buildpacks/NN-NAME`, the config as ENV_DIR (`/tmp/env`)
//! and the app's cache volume at `/cache`; it runs the lifecycle script (`scripts/build.sh`),
//! whose output streams to the caller, and is committed as `dokku/APP:latest` with Dokku's
//! labels and `/start` and `/exec` (`scripts/runner.sh`). The container always goes, whatever
//! happens. As Dokku's: `pre-build-buildpack APP DIR` then `pre-build herokuish APP DIR` before
//! the container is made, `docker-args-build` and `docker-args-process-build APP herokuish` for
//! its options, `post-build-buildpack APP DIR` then `post-build herokuish APP DIR` after the
//! commit.

use crate::{cache, config, sources, BUILDER};
use anyhow::{bail, Context, Result};
use dokku_core::{docker, log, trigger, trigger_value, Exit};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

/// The lifecycle script run in the build container.
const BUILD_SCRIPT: &str = include_str!("scripts/build.sh");
/// The script installed in the image as `/start` and `/exec`.
const RUNNER_SCRIPT: &str = include_str!("scripts/runner.sh");

/// The label naming the builder of an image.
pub const BUILDER_LABEL: &str = "com.dokku.builder-type";
/// The label naming the stage of an image or container (`build`, as Dokku's).
const STAGE_LABEL: &str = "com.dokku.image-stage";

/// The stack image of an app: `buildpack-stack-name` (the buildpacks plugin: the app's, else
/// the global `stack` property), else `$DOKKU_IMAGE`, else `dokku/stack:bookworm`.
pub fn stack_image(app: &str) -> Result<String> {
    if let Some(s) = trigger_value("buildpack-stack-name", &[app])?
        .and_then(|v| v.lines().next().map(|l| l.trim().to_string()))
        .filter(|s| !s.is_empty())
    {
        return Ok(s);
    }
    Ok(std::env::var("DOKKU_IMAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| dokku_core::buildpack::DEFAULT_STACK.to_string()))
}

/// A build container, removed (with its anonymous volumes) when dropped, unless kept.
struct Container(String, bool);

impl Drop for Container {
    fn drop(&mut self) {
        if self.1 {
            return;
        }
        let _ = docker::command(["rm", "--force", "--volumes", &self.0])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Writes the stage folder copied to the container's `/tmp`: `buildpacks/`, `env/` and
/// `dokku/` (the scripts and the buildpack list).
fn stage(
    app: &str,
    dir: &Path,
    config: &std::collections::BTreeMap<String, String>,
    stage: &Path,
) -> Result<()> {
    let selection = sources::resolve(app, dir, config)?;
    let list = sources::fetch(&selection, &stage.join("buildpacks"))?;
    config::write_env_dir(config, &stage.join("env"))?;
    let work = stage.join("dokku");
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    for (name, text, mode) in [
        ("build", BUILD_SCRIPT, 0o755),
        ("runner", RUNNER_SCRIPT, 0o755),
        ("buildpacks", list.as_str(), 0o644),
    ] {
        let p = work.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", p.display()))?;
    }
    Ok(())
}

/// `docker cp SRC/. CONTAINER:DEST`.
fn copy_in(src: &Path, cid: &str, dest: &str) -> Result<()> {
    docker::output([
        "cp".to_string(),
        format!("{}/.", src.display()),
        format!("{cid}:{dest}"),
    ])
    .map(|_| ())
}

/// The id of an image, when it exists.
fn image_id(image: &str) -> Option<String> {
    docker::output(["image", "inspect", "--format", "{{.Id}}", image]).ok()
}

/// Creates the build container of `app` from `stack`, with the cache volume and the build's
/// docker options; the lifecycle script is its command.
fn create_container(app: &str, stack: &str, volume: &str) -> Result<Container> {
    let mut args: Vec<String> = vec!["create".into()];
    args.extend(docker::labels(app));
    for l in [
        format!("{BUILDER_LABEL}={BUILDER}"),
        format!("{STAGE_LABEL}=build"),
    ] {
        args.extend(["--label".into(), l]);
    }
    // The stack's own entrypoint, if it has one, must not wrap the lifecycle (nor /start).
    args.extend([
        "--entrypoint=".into(),
        "--volume".into(),
        format!("{volume}:/cache"),
    ]);
    args.extend(docker::build_args(app, BUILDER)?);
    args.push(stack.to_string());
    args.extend(["/bin/bash".into(), "/tmp/dokku/build".into(), app.into()]);
    if log::quiet() {
        args.push("quiet".into());
    }
    let id = docker::output(&args)
        .with_context(|| format!("cannot create the build container of {app}"))?;
    Ok(Container(id, false))
}

/// Runs the container attached, so that the lifecycle's output reaches the caller line by
/// line as it comes; fails with its exit code (the lifecycle has said why).
fn run_attached(cid: &str) -> Result<()> {
    docker::command(["start", "--attach", cid])
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    let code: i32 = docker::output(["wait", cid])?
        .trim()
        .parse()
        .context("docker wait gave no exit code")?;
    if code != 0 {
        return Err(Exit(code).into());
    }
    Ok(())
}

/// Commits the built container as `image`, with Dokku's labels and `/start web` as command.
fn commit(cid: &str, app: &str, image: &str) -> Result<()> {
    let mut args: Vec<String> = vec!["commit".into()];
    for change in [
        "LABEL dokku=".to_string(),
        format!("LABEL {}={app}", docker::APP_LABEL),
        format!("LABEL {BUILDER_LABEL}={BUILDER}"),
        format!("LABEL {STAGE_LABEL}=build"),
        "WORKDIR /app".to_string(),
        r#"CMD ["/start", "web"]"#.to_string(),
    ] {
        args.extend(["--change".into(), change]);
    }
    args.extend([cid.to_string(), image.to_string()]);
    docker::output(&args).with_context(|| format!("cannot commit {image}"))?;
    Ok(())
}

/// Removes the image a build replaced when nothing names it any more: a tag another plugin
/// keeps (e.g. for a rollback) keeps it, and a container using it makes the removal fail.
fn remove_replaced(previous: Option<String>, image: &str) {
    let Some(old) = previous else {
        return;
    };
    let untagged = docker::output(["image", "inspect", "--format", "{{len .RepoTags}}", &old])
        .is_ok_and(|n| n == "0");
    if untagged && image_id(image).as_ref() != Some(&old) {
        let _ = docker::command(["image", "rm", &old])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Whether the build keeps what it leaves behind: its build container and the image it
/// replaced (`builder:set APP skip-cleanup`, through Trigger `builder-get-property APP
/// computed-skip-cleanup`).
fn skip_cleanup(app: &str) -> Result<bool> {
    Ok(
        trigger_value("builder-get-property", &[app, "computed-skip-cleanup"])?.as_deref()
            == Some("true"),
    )
}

/// Builds `app` from `dir` with buildpacks into `dokku/APP:latest`.
pub fn build(app: &str, dir: &Path) -> Result<()> {
    let dir_s = dir.to_str().context("the build folder is not UTF-8")?;
    if !dir.is_dir() {
        bail!("{app}: the build folder {dir_s} does not exist");
    }
    let stack = stack_image(app)?;
    if !docker::image_exists(&stack) {
        bail!("The stack image {stack} is missing: build it with scripts/build-stack (as root), or name another with buildpacks:set-property {app} stack IMAGE");
    }
    let vars = config::merged(app)?;
    let tmp = plugn::atomic::private_dir(&format!("dokku-{app}-herokuish-"))
        .context("cannot create a stage folder")?;
    stage(app, dir, &vars, tmp.path())?;
    // The type's own trigger first, then the generic one, as Dokku's builders fire them.
    trigger("pre-build-buildpack", &[app, dir_s])?;
    trigger("pre-build", &[BUILDER, app, dir_s])?;

    let keep = skip_cleanup(app)?;
    let volume = cache::ensure(app)?;
    let mut container = create_container(app, &stack, &volume)?;
    container.1 = keep;
    let cid_owned = container.0.clone();
    let cid = cid_owned.as_str();
    copy_in(dir, cid, "/app").context("cannot copy the source into the build container")?;
    copy_in(tmp.path(), cid, "/tmp")
        .context("cannot copy the buildpacks into the build container")?;
    drop(tmp);
    run_attached(cid)?;

    let image = docker::app_image(app, "latest");
    let previous = image_id(&image);
    commit(cid, app, &image)?;
    drop(container);
    if keep {
        log::info1(&format!(
            "Keeping the build container {cid_kept} and the image it replaced (skip-cleanup)",
            cid_kept = &cid_owned[..cid_owned.len().min(12)]
        ));
    } else {
        remove_replaced(previous, &image);
    }
    trigger("post-build-buildpack", &[app, dir_s])?;
    trigger("post-build", &[BUILDER, app, dir_s])?;
    log::info1(&format!("Built {image} (stack {stack})"));
    Ok(())
}
