//! An app's build cache: the Docker volume `cache-APP` (labelled `dokku`,
//! `com.dokku.app-name=APP` and `com.dokku.root=DOKKU_ROOT`), mounted at `/cache` for `bin/compile`, kept between builds and
//! removed with the app.

use anyhow::{Context, Result};
use dokku_core::docker;
use std::process::Stdio;

/// The volume holding an app's build cache.
pub fn volume(app: &str) -> String {
    format!("cache-{app}")
}

/// Creates the app's cache volume when it does not exist yet; returns its name.
pub fn ensure(app: &str) -> Result<String> {
    let name = volume(app);
    let mut args = vec!["volume".to_string(), "create".to_string()];
    args.extend(docker::labels(app));
    args.extend(docker::root_labels());
    args.push(name.clone());
    docker::output(&args).with_context(|| format!("cannot create the build cache of {app}"))?;
    Ok(name)
}

/// Removes the app's cache volume (nothing happens when there is none).
pub fn remove(app: &str) -> Result<()> {
    let name = volume(app);
    let out = docker::command(["volume", "rm", "--force", &name])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.contains("No such volume") && !err.contains("no such volume") {
            anyhow::bail!(
                "cannot remove the build cache {name} of {app}: {}",
                err.lines().next().unwrap_or("failed").trim()
            );
        }
    }
    Ok(())
}
