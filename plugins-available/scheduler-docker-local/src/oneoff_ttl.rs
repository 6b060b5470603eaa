//! Time limits of one-off containers (`--ttl-seconds N` on `run` and `run:detached`): the
//! container is labelled with its deadline (`com.dokku.run-deadline`, Unix seconds), and a
//! detached reaper (`dokku-scheduler-docker-local --reap SECONDS CONTAINER`, its own session, so it outlives the
//! command) removes it once the deadline passed. `run:retire`, the `scheduler-retire` trigger
//! and the next `run`, `run:detached` or `run:list` of the app remove any expired one the
//! reaper missed (a reboot, a killed reaper).

use anyhow::{bail, Context, Result};
use dokku_core::docker;
use dokku_core::log;

/// The label holding a run container's deadline (Unix seconds).
pub const DEADLINE_LABEL: &str = "com.dokku.run-deadline";

/// Seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `--ttl-seconds` the `run` command passed on, if any.
pub fn requested() -> Result<Option<u64>> {
    match std::env::var(dokku_core::oneoff::TTL_ENV) {
        Ok(v) if !v.is_empty() => Ok(Some(dokku_core::oneoff::parse_ttl(&v)?)),
        _ => Ok(None),
    }
}

/// The `docker container create` arguments for a container that may live `ttl` seconds.
pub fn label_args(ttl: u64) -> Vec<String> {
    vec![
        "--label".into(),
        format!("{DEADLINE_LABEL}={}", now() + ttl),
    ]
}

/// Starts the detached reaper of container `id`, `ttl` seconds from now.
pub fn spawn_reaper(ttl: u64, id: &str) -> Result<()> {
    dokku_core::spawn_detached(["--reap", &ttl.to_string(), id])
        .context("cannot start the reaper of the run container")
}

/// `--reap SECONDS CONTAINER`: waits, then removes the container if its deadline passed.
pub fn reap(args: &[String]) -> Result<()> {
    let [secs, id] = args else {
        bail!("--reap needs SECONDS CONTAINER");
    };
    let secs: u64 = secs.parse().context("--reap needs a number of seconds")?;
    std::thread::sleep(std::time::Duration::from_secs(secs));
    // The deadline is whole seconds: wait for it to have passed.
    for _ in 0..3 {
        match deadline_of(id)? {
            None => return Ok(()),
            Some(d) if d <= now() => break,
            Some(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    }
    let _ = docker::output(["container", "rm", "--force", id]);
    Ok(())
}

/// The deadline of a container; `None` when it is gone or has none.
fn deadline_of(id: &str) -> Result<Option<u64>> {
    let format = format!("{{{{index .Config.Labels \"{DEADLINE_LABEL}\"}}}}");
    match docker::output(["container", "inspect", "--format", &format, id]) {
        Ok(v) => Ok(v.trim().parse().ok()),
        Err(_) => Ok(None),
    }
}

/// Removes the app's run containers whose deadline passed; returns their names.
pub fn retire_expired(app: &str) -> Result<Vec<String>> {
    let format = format!("{{{{.Names}}}}\t{{{{.Label \"{DEADLINE_LABEL}\"}}}}");
    let mut ls: Vec<String> = vec!["container".into(), "ls".into(), "--all".into()];
    ls.extend(crate::oneoff::run_filters(app));
    ls.extend(["--filter".into(), format!("label={DEADLINE_LABEL}")]);
    ls.extend(["--format".into(), format]);
    let out = docker::output(&ls)?;
    let now = now();
    let expired: Vec<String> = out
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, d)| d.trim().parse::<u64>().is_ok_and(|d| d <= now))
        .map(|(n, _)| n.to_string())
        .collect();
    if !expired.is_empty() {
        let mut args = vec!["container".to_string(), "rm".into(), "--force".into()];
        args.extend(expired.iter().cloned());
        docker::output(&args)
            .with_context(|| format!("cannot remove the expired run containers of {app}"))?;
    }
    Ok(expired)
}

/// Trigger `scheduler-retire SCHEDULER APP`: for the docker-local scheduler, removes the app's
/// run containers whose `--ttl-seconds` ran out.
pub fn trigger_retire(argv: &[String]) -> Result<()> {
    let Some((app, _)) = dokku_core::contract::for_scheduler(argv, crate::NAME) else {
        return Ok(());
    };
    dokku_core::appname::verify(app)?;
    for name in retire_expired(app)? {
        log::info1(&format!("Removed {name}: its time to live ran out"));
    }
    Ok(())
}
