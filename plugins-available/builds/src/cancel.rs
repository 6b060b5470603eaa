//! `builds:cancel APP`: the running build's process tree is stopped. The leaves (the `docker
//! build`, `sleep`, check or container command at work) get SIGTERM first, so that the deploy's
//! own failure path runs (the previous image re-tagged, new containers removed, the old
//! release serving); what is still alive after the grace period gets SIGKILL. The record is
//! marked `canceled` before any signal, and the command returns once the app's deploy lock is
//! free again.

use crate::store;
use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, deploylock, log};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the build has to wind down after SIGTERM before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

/// How long to wait for the deploy lock once the build's processes are gone.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// Every process's parent, from /proc.
fn parents() -> HashMap<i32, i32> {
    let mut m = HashMap::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return m;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        if let Some(ppid) = after.split(' ').nth(1).and_then(|p| p.parse().ok()) {
            m.insert(pid, ppid);
        }
    }
    m
}

/// The processes below `root` (not `root` itself), and which of them have no children.
fn tree(root: i32) -> (Vec<i32>, Vec<i32>) {
    let parents = parents();
    let mut below = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (c, pp) in &parents {
            if *pp == p {
                below.push(*c);
                frontier.push(*c);
            }
        }
    }
    let leaves = below
        .iter()
        .copied()
        .filter(|p| !parents.values().any(|pp| pp == p))
        .collect();
    (below, leaves)
}

#[allow(unsafe_code)]
fn signal(pid: i32, sig: libc::c_int) {
    // SAFETY: kill(2) on a pid of the build's tree.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// `builds:cancel APP`.
pub fn command(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let Some(app) = a.pos(0).cloned() else {
        bail!("no app given; usage: {usage}");
    };
    appname::verify(&app)?;
    let build = {
        let _l = store::lock(&app)?;
        let Some(mut b) = store::all(&app)?
            .into_iter()
            .rev()
            .find(|b| b.status == "running" && b.alive())
        else {
            bail!("no build is running for {app}");
        };
        b.status = "canceled".into();
        b.finished_at = Some(store::now());
        store::write(&b)?;
        b
    };
    log::info1(&format!("Canceling build {} of {app}", build.id));
    let (_, leaves) = tree(build.pid);
    if leaves.is_empty() {
        signal(build.pid, libc::SIGTERM);
    }
    for p in &leaves {
        signal(*p, libc::SIGTERM);
    }
    let start = Instant::now();
    while build.alive() && start.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(100));
    }
    if build.alive() {
        log::verbose("The build did not stop within 10 seconds: killing it");
        let (below, _) = tree(build.pid);
        signal(build.pid, libc::SIGKILL);
        for p in below {
            signal(p, libc::SIGKILL);
        }
    }
    let start = Instant::now();
    while deploylock::is_deploying(&app)? {
        if start.elapsed() > LOCK_WAIT {
            bail!(
                "build {} of {app} was stopped, but the deploy lock is still held",
                build.id
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    log::info1(&format!("Build {} of {app} canceled", build.id));
    Ok(())
}
