//! `ps:restore [--all|APP]`: the apps that should run start again (after a reboot, their
//! containers are there but stopped). An app is restored when it is deployed, not stopped by
//! `ps:stop`, and not opted out with `ps:set APP restore false`. `pre-restore SCHEDULER` is
//! fired once (the app's scheduler, or the default one for all apps), then
//! `scheduler-pre-restore SCHEDULER APP` for each app, in name order, before it is considered.
//! For all apps, the apps are started by a bounded pool of workers (`max(4, 2 × CPUs)` at a
//! time; each app's containers are started by its scheduler) and the proxy is rebuilt once at
//! the end (`proxy-build-config --all`) rather than once per app; every app is tried, and the
//! command fails naming those that did not start.

use anyhow::{bail, Context, Result};
use dokku_core::{appname, args, log, property, trigger};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many apps are started at a time by `ps:restore --all`: twice the CPUs, at least 4
/// (starting containers mostly waits on the docker engine).
pub fn workers() -> usize {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    (2 * cpus).max(4)
}

/// Whether the app should run again: deployed, not stopped, `restore` not `false`.
fn wanted(app: &str) -> Result<bool> {
    Ok(crate::is_deployed(app)?
        && !crate::is_stopped(app)?
        && property::get(crate::PROPS, app, "restore")?.as_deref() != Some("false"))
}

/// `ps:restore [--all|APP]` (no argument: all apps, as Dokku).
pub fn restore(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--all"], &[])?;
    if a.pos(0).is_some() {
        let apps = crate::target_apps(argv, "dokku ps:restore [--all|<app>]")?;
        let app = &apps[0];
        let sched = dokku_core::scheduler(app)?;
        trigger("pre-restore", &[&sched])?;
        trigger("scheduler-pre-restore", &[&sched, app])?;
        if wanted(app)? {
            log::info1(&format!("Restoring {app}"));
            crate::start_app(app)?;
        }
        return Ok(());
    }
    restore_all()
}

/// Every app: `scheduler-pre-restore` for each in order, then the wanted ones started by the
/// worker pool, then one proxy rebuild.
fn restore_all() -> Result<()> {
    let apps = appname::all()?;
    trigger("pre-restore", &[&dokku_core::scheduler("--global")?])?;
    for app in &apps {
        let sched = dokku_core::scheduler(app)?;
        trigger("scheduler-pre-restore", &[&sched, app])?;
    }
    let workers = workers();
    let next = AtomicUsize::new(0);
    let restored = AtomicUsize::new(0);
    let failed: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.min(apps.len()) {
            s.spawn(|| {
                while let Some(app) = apps.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let done = wanted(app).and_then(|w| {
                        if w {
                            log::info1(&format!("Restoring {app}"));
                            crate::start_app(app)?;
                        }
                        Ok(w)
                    });
                    match done {
                        Ok(true) => {
                            restored.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(false) => {}
                        Err(e) => failed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(format!("{app} ({e:#})")),
                    }
                }
            });
        }
    });
    if restored.load(Ordering::SeqCst) > 0 {
        trigger("proxy-build-config", &["--all", &workers.to_string()])
            .context("the apps were started but the proxy rebuild failed")?;
    }
    let mut failed = failed.into_inner().unwrap_or_else(|e| e.into_inner());
    if !failed.is_empty() {
        failed.sort();
        bail!(
            "{} of {} apps could not be restored: {}",
            failed.len(),
            apps.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_least_four_workers() {
        assert!(super::workers() >= 4);
    }
}
