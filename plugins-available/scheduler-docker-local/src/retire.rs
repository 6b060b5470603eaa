//! Retiring old containers after a deploy: a detached process of this binary
//! (`dokku-scheduler-docker-local --retire SECONDS APP ID…`) waits out the grace period, then
//! stops (SIGTERM, then `stop-timeout-seconds`, 10 s by default) and removes them, so the deploy returns at once. When they cannot be
//! removed it fires `retire-container-failed APP`.

use anyhow::{Context, Result};

/// Starts the detached retirement of `app`'s containers `ids` in `seconds`.
pub fn later(seconds: u32, app: &str, ids: &[String]) -> Result<()> {
    let mut args = vec!["--retire".to_string(), seconds.to_string(), app.to_string()];
    args.extend(ids.iter().cloned());
    dokku_core::spawn_detached(&args).context("cannot start the retirement of the old containers")
}

/// `--retire SECONDS APP ID…`: waits, then stops and removes the containers; fires
/// `retire-container-failed APP` when they cannot be removed.
pub fn run(args: &[String]) -> Result<()> {
    let [secs, app, ids @ ..] = args else {
        anyhow::bail!("--retire needs SECONDS APP ID…");
    };
    let secs: u64 = secs.parse().context("--retire needs a number of seconds")?;
    std::thread::sleep(std::time::Duration::from_secs(secs));
    let ids: Vec<String> = ids.to_vec();
    let grace = crate::containers::stop_timeout(app).unwrap_or(10);
    let _ = crate::containers::stop(&ids, grace);
    if let Err(e) = crate::containers::remove(&ids) {
        let _ = dokku_core::trigger("retire-container-failed", &[app]);
        return Err(e.context(format!("cannot retire the old containers of {app}")));
    }
    Ok(())
}
