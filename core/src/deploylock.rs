//! An app's deploy locks. `apps:lock` sets the manual one, the file `APP/.deploy.lock`, which
//! refuses every deploy until `apps:unlock`. A running deploy holds an flock on
//! `APP/.deploying.lock`, so a second deploy of the same app waits for the first to finish and
//! two deploys never interleave; deploys of different apps run side by side.

use crate::appname::app_dir;
use anyhow::{bail, Result};
use std::path::PathBuf;

/// The file whose presence is the manual lock of `apps:lock`.
pub fn manual_lock_file(app: &str) -> PathBuf {
    app_dir(app).join(".deploy.lock")
}

/// Whether `apps:lock` is in force for `app`.
pub fn is_locked(app: &str) -> bool {
    manual_lock_file(app).exists()
}

fn running_lock_target(app: &str) -> PathBuf {
    // plugn::atomic locks `.NAME.lock` beside the path it guards: `APP/.deploying.lock`.
    app_dir(app).join("deploying")
}

fn refuse_if_locked(app: &str) -> Result<()> {
    if is_locked(app) {
        bail!("{app} is locked for deploys; `dokku apps:unlock {app}` lifts the lock");
    }
    Ok(())
}

/// The environment variable through which a deploy-lock holder tells its children (the
/// repository's hook, triggers) that they run under its lock.
pub const HELD_ENV: &str = "DOKKU_DEPLOY_LOCK_HELD";

/// A held running-deploy lock (or, in a child of its holder, a stand-in that holds nothing).
/// The first lock a process tree takes for a deploy also starts its build record and build
/// log ([`crate::buildrec`]); the plugin runtime ends the record when the command ends.
pub struct DeployLock {
    _lock: Option<plugn::atomic::Lock>,
}

/// Takes the running-deploy lock of `app`, waiting (with a message on stderr) while another
/// deploy of it runs; refuses when `apps:lock` is in force. Held until the value is dropped;
/// processes started meanwhile inherit it. Starts the build record of the deploy (see
/// [`crate::buildrec`]) unless one runs already in this process tree.
pub fn acquire(app: &str) -> Result<DeployLock> {
    let lock = take(app)?;
    crate::buildrec::start(app);
    Ok(lock)
}

/// Takes the lock as [`acquire`] does, without a build record: for the git protocol side of a
/// push, whose stdout is the protocol and whose hook (started with the lock) records the build.
pub fn acquire_untracked(app: &str) -> Result<DeployLock> {
    crate::buildrec::clear_source();
    take(app)
}

fn take(app: &str) -> Result<DeployLock> {
    refuse_if_locked(app)?;
    if std::env::var(HELD_ENV).is_ok_and(|held| held == app) {
        return Ok(DeployLock { _lock: None });
    }
    let target = running_lock_target(app);
    let lock = match plugn::atomic::try_lock(&target)? {
        Some(l) => l,
        None => {
            if !crate::log::quiet() {
                eprintln!("-----> Waiting for the deploy running on {app} to finish");
            }
            plugn::atomic::lock(&target)?
        }
    };
    refuse_if_locked(app)?;
    std::env::set_var(HELD_ENV, app);
    Ok(DeployLock { _lock: Some(lock) })
}

/// Whether a deploy of `app` is running now (someone holds its running-deploy lock).
pub fn is_deploying(app: &str) -> Result<bool> {
    Ok(plugn::atomic::try_lock(&running_lock_target(app))?.is_none())
}
