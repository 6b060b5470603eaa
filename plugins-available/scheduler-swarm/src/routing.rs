//! Routing data for the proxy: where an app's running web tasks answer (`NODE_ADDR:PORT`, the
//! node's address and the host-mode published port), written through the network plugin's
//! triggers (`network-clear-listeners`, `network-write-ipaddr`, `network-write-port`) whenever
//! the set changes, followed by `proxy-build-config APP`, so nginx follows tasks that Swarm
//! moved. `scheduler-swarm:watch` does it in a loop for every swarm app.

use crate::engine::{self, Endpoint};
use crate::tasks;
use anyhow::{Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, contract, log, trigger};
use std::time::Duration;

/// Rewrites the app's web listeners when they differ from where its web tasks run; with
/// `proxy` also rebuilds the proxy's config then. Returns whether they changed. An app whose
/// web tasks all vanished keeps its last listeners (the proxy then answers an error for it
/// rather than another app's).
pub fn sync(m: &Endpoint, app: &str, proxy: bool) -> Result<bool> {
    let now = tasks::web_listeners(m, app)?;
    if now.is_empty() {
        return Ok(false);
    }
    let old = contract::listeners(app, "web").unwrap_or_default();
    if old == now {
        return Ok(false);
    }
    write(app, &now)?;
    if proxy {
        trigger("proxy-build-config", &[app])
            .with_context(|| format!("proxy-build-config {app}"))?;
    }
    Ok(true)
}

/// Writes `listeners` (`IP:PORT`, index order) as the app's web listeners.
pub fn write(app: &str, listeners: &[String]) -> Result<()> {
    trigger("network-clear-listeners", &[app, "web"])?;
    for (i, l) in listeners.iter().enumerate() {
        let Some((ip, port)) = l.rsplit_once(':') else {
            continue;
        };
        let n = (i + 1).to_string();
        trigger("network-write-ipaddr", &[app, "web", &n, ip])?;
        trigger("network-write-port", &[app, "web", &n, port])?;
    }
    Ok(())
}

/// The apps whose scheduler is `swarm`.
pub fn swarm_apps() -> Result<Vec<String>> {
    let mut out = Vec::new();
    for app in appname::all()? {
        if dokku_core::scheduler(&app)? == crate::NAME {
            out.push(app);
        }
    }
    Ok(out)
}

/// `scheduler-swarm:watch [--interval MS] [--once]`.
pub fn watch(argv: &[String]) -> Result<()> {
    let a = dokku_core::args::parse(argv, &["--once"], &["--interval"])?;
    a.at_most(0, usage())?;
    let ms: u64 = match a.value("--interval") {
        None => 500,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (50..=60_000).contains(&n) => n,
            _ => {
                anyhow::bail!("invalid --interval {v:?}: a number of milliseconds from 50 to 60000")
            }
        },
    };
    let m = engine::require_manager()?;
    loop {
        let apps = swarm_apps()?;
        for app in &apps {
            match sync(&m, app, true) {
                Ok(true) => log::info1(&format!("{app}: web listeners moved, proxy rebuilt")),
                Ok(false) => {}
                Err(e) => log::warn(&format!("{app}: {e:#}")),
            }
        }
        if a.has("--once") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(ms));
    }
}
