//! Retiring old containers after a deploy: a detached process of this binary
//! (`dokku-scheduler-docker-local --retire SECONDS ID…`) waits out the grace period, then stops
//! (SIGTERM, 10 s) and removes them, so the deploy returns at once.

use anyhow::{Context, Result};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Starts the detached retirement of `ids` in `seconds`.
pub fn later(seconds: u32, ids: &[String]) -> Result<()> {
    let me = std::env::current_exe().context("cannot find the scheduler binary")?;
    let mut c = Command::new(me);
    c.arg("--retire")
        .arg(seconds.to_string())
        .args(ids)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it detaches the child from the push's session so it
    // outlives the deploy.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    c.spawn()
        .context("cannot start the retirement of the old containers")?;
    Ok(())
}

/// `--retire SECONDS ID…`: waits, then stops and removes the containers.
pub fn run(args: &[String]) -> Result<()> {
    let (secs, ids) = args.split_first().context("--retire needs SECONDS ID…")?;
    let secs: u64 = secs.parse().context("--retire needs a number of seconds")?;
    std::thread::sleep(std::time::Duration::from_secs(secs));
    let ids: Vec<String> = ids.to_vec();
    let _ = crate::containers::stop(&ids, 10);
    crate::containers::remove(&ids)
}
