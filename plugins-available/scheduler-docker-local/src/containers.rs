//! The containers of an app as the engine has them: listing by label, the files that record
//! them (`$DOKKU_ROOT/APP/CONTAINER.TYPE.N`; the network plugin writes `PORT.TYPE.N` and
//! `IP.TYPE.N` when asked, as Dokku keeps them), stopping and removing.

use anyhow::Result;
use dokku_core::appname::app_dir;
use dokku_core::docker;

/// One scheduled container.
pub type Container = docker::AppContainer;

/// Every scheduled (`container-type=deploy`) container of `app`, running or not.
pub fn list(app: &str) -> Result<Vec<Container>> {
    docker::app_containers(app, Some("deploy"), None, true)
}

/// Removes containers (forcefully, with their anonymous volumes); missing ones are fine.
pub fn remove(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut args = vec!["rm".to_string(), "-f".into(), "-v".into()];
    args.extend(ids.iter().cloned());
    docker::output(&args).map(|_| ())
}

/// Stops containers, giving each `grace` seconds after SIGTERM.
pub fn stop(ids: &[String], grace: u32) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut args = vec!["stop".to_string(), "-t".into(), grace.to_string()];
    args.extend(ids.iter().cloned());
    docker::output(&args).map(|_| ())
}

/// Seconds a container of `app` gets between SIGTERM and SIGKILL when stopped or retired:
/// `ps-get-property APP stop-timeout-seconds` (10, Docker's default, when nothing answers).
pub fn stop_timeout(app: &str) -> Result<u32> {
    match dokku_core::contract::ps_property(app, "stop-timeout-seconds")? {
        v if v.is_empty() => Ok(10),
        v => v
            .parse()
            .map_err(|_| anyhow::anyhow!("stop-timeout-seconds {v:?} is not a number of seconds")),
    }
}

/// The host address web containers publish their port on.
pub const LISTEN_IP: &str = "127.0.0.1";

/// Records which container is instance `dyno` (`web.1`) of `app` (`CONTAINER.TYPE.N`).
pub fn record(app: &str, dyno: &str, id: &str) -> Result<()> {
    plugn::atomic::write(
        &app_dir(app).join(format!("CONTAINER.{dyno}")),
        format!("{id}\n").as_bytes(),
        0o644,
    )
}

/// Removes the records of every instance not in `keep` (dynos such as `web.1`); the network
/// plugin's records are its own (`network-clear-listeners`).
pub fn forget_except(app: &str, keep: &[String]) -> Result<()> {
    let dir = app_dir(app);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(d) = name.strip_prefix("CONTAINER.") {
            if !keep.iter().any(|k| k == d) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}
