//! Running nginx itself: `nginx:start`, `nginx:stop` and `nginx:reload` (through the global
//! `nginx-service-command` when set, called with `start`, `stop` or `reload`; else this
//! installation's nginx directly, with its config and prefix), and the app's logs
//! (`nginx:access-logs` / `nginx:error-logs APP [-t]`).

use crate::{apply, settings};
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, log, paths};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `nginx-service-command ACTION` command, when the setting is there.
pub fn command(action: &str) -> Result<Option<Command>> {
    let cmd = settings::global("nginx-service-command")?;
    if cmd.is_empty() {
        return Ok(None);
    }
    let mut c = Command::new(&cmd);
    c.arg(action).stdin(Stdio::null());
    Ok(Some(c))
}

/// The last non-blank line of a command's stderr (`fallback` when there is none).
pub fn last_line(stderr: &[u8], fallback: &str) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(fallback)
        .to_string()
}

/// Runs `c`, its stderr kept in a file (a starting nginx daemon may hold on to its stderr, so
/// a pipe would never reach its end); nginx's last line when it fails.
fn run(mut c: Command, what: &str) -> Result<std::result::Result<(), String>> {
    let dir = paths().lib_root.join("data/nginx-vhosts");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let err_path = dir.join(format!(".{what}.stderr"));
    let err = std::fs::File::create(&err_path)
        .with_context(|| format!("cannot create {}", err_path.display()))?;
    let status = c
        .stdout(Stdio::null())
        .stderr(err)
        .status()
        .with_context(|| format!("cannot run the nginx {what}"))?;
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    if status.success() {
        Ok(Ok(()))
    } else {
        Ok(Err(last_line(&stderr, &format!("the nginx {what} failed"))))
    }
}

/// Waits up to `limit` for `done`.
fn wait_for(limit: Duration, done: impl Fn() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn no_args(argv: &[String], usage: &str) -> Result<()> {
    let a = dokku_core::args::parse(argv, &[], &[])?;
    a.at_most(0, usage)
}

/// `nginx:start`: starts nginx (its config checked first); already running is not an error.
pub fn start(argv: &[String]) -> Result<()> {
    no_args(argv, usage())?;
    let _lock = apply::lock()?;
    if let Some(c) = command("start")? {
        log::info1("Starting nginx");
        return run(c, "start")?.map_err(|m| anyhow::anyhow!("nginx did not start: {m}"));
    }
    if apply::running_master().is_some() {
        log::info1("nginx is already running");
        return Ok(());
    }
    if let Err(msg) = apply::test()? {
        bail!("nginx was not started: its config fails `nginx -t` ({msg})");
    }
    log::info1("Starting nginx");
    let prefix = settings::global("nginx-prefix")?;
    let mut args: Vec<String> = Vec::new();
    if !prefix.is_empty() {
        // Its own error log from the start (not the system's, which it may not write).
        args.extend([
            "-e".into(),
            Path::new(&prefix).join("error.log").display().to_string(),
        ]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Err(msg) = run(apply::nginx(&refs)?, "start")? {
        bail!("nginx did not start: {msg}");
    }
    if !wait_for(Duration::from_secs(5), || apply::running_master().is_some()) {
        bail!("nginx did not start: no master process 5 s after it was launched");
    }
    Ok(())
}

/// `nginx:stop`: stops nginx (gracefully: the requests in progress are finished, within
/// 10 s); not running is not an error.
pub fn stop(argv: &[String]) -> Result<()> {
    no_args(argv, usage())?;
    let _lock = apply::lock()?;
    if let Some(c) = command("stop")? {
        log::info1("Stopping nginx");
        return run(c, "stop")?.map_err(|m| anyhow::anyhow!("nginx did not stop: {m}"));
    }
    let Some(pid) = apply::running_master() else {
        log::info1("nginx is not running");
        return Ok(());
    };
    log::info1("Stopping nginx");
    let gone = || !Path::new(&format!("/proc/{pid}")).exists();
    if let Err(msg) = run(apply::nginx(&["-s", "quit"])?, "stop")? {
        bail!("nginx did not stop: {msg}");
    }
    if !wait_for(Duration::from_secs(10), gone) {
        let _ = run(apply::nginx(&["-s", "stop"])?, "stop");
        if !wait_for(Duration::from_secs(5), gone) {
            bail!("nginx did not stop: its master (pid {pid}) is still running");
        }
    }
    Ok(())
}

/// `nginx:reload`: checks the config with `nginx -t`, then reloads nginx.
pub fn reload(argv: &[String]) -> Result<()> {
    no_args(argv, usage())?;
    let _lock = apply::lock()?;
    if let Err(msg) = apply::test()? {
        bail!("nginx was not reloaded: its config fails `nginx -t` ({msg})");
    }
    if command("reload")?.is_none() && apply::running_master().is_none() {
        bail!("nginx is not running: start it with dokku nginx:start");
    }
    log::info1("Reloading nginx");
    if let Err(msg) = apply::reload_now()? {
        bail!("nginx did not reload: {msg}");
    }
    Ok(())
}

/// `nginx:access-logs APP [-t]`.
pub fn access_logs(argv: &[String]) -> Result<()> {
    logs(argv, "access")
}

/// `nginx:error-logs APP [-t]`.
pub fn error_logs(argv: &[String]) -> Result<()> {
    logs(argv, "error")
}

/// Prints the end of the app's access or error log (`tail`), or follows it with `-t`
/// (`tail -F`: it survives the log's rotation, and waits for a log not written yet).
fn logs(argv: &[String], which: &str) -> Result<()> {
    let usage = format!("dokku nginx:{which}-logs <app> [-t]");
    let follow = argv.iter().any(|a| a == "-t");
    let rest: Vec<String> = argv.iter().filter(|a| *a != "-t").cloned().collect();
    let a = dokku_core::args::parse(&rest, &[], &[])?;
    a.at_most(1, &usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let path = settings::get(&app, &format!("{which}-log-path"))?;
    if path == "off" {
        bail!("the nginx {which} log of {app} is off (nginx:set {app} {which}-log-path)");
    }
    if !follow && !Path::new(&path).is_file() {
        bail!("{app} has no nginx {which} log yet ({path})");
    }
    let mut c = Command::new("tail");
    if follow {
        c.arg("-F");
    }
    let status = c
        .arg("--")
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .context("cannot run tail")?;
    if !status.success() {
        bail!("cannot read {path}");
    }
    Ok(())
}
