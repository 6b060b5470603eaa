//! The host crontab: every scheduled task of every app whose scheduler uses the host's cron
//! (`scheduler-uses-host-cron SCHEDULER` answers `true`), plus the tasks plugins add through
//! `cron-entries SCHEDULER`, regenerated whole (never edited) under a lock.
//!
//! Where it goes (one rule): an installation whose `DOKKU_ROOT` is the system one
//! (`/home/dokku`) owns the crontab of its system user (`DOKKU_SYSTEM_USER`, `dokku`), written
//! with `crontab -u USER -`, as Dokku does. Any other root (a `--root` install, as the tests
//! use) owns `/etc/cron.d/dokku-<hash of DOKKU_ROOT>` (user field: the user running dokku),
//! written atomically and removed when its last task goes, so that installations side by side
//! never touch each other's tasks. The file also sets that root's `DOKKU_*` paths.

use crate::tasks;
use anyhow::{bail, Context, Result};
use dokku_core::{appname, log, property};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The system installation's `DOKKU_ROOT`.
pub const SYSTEM_ROOT: &str = "/home/dokku";

/// Where the crontab of a non-system root goes.
pub const CRON_D: &str = "/etc/cron.d";

/// The PATH cron runs the tasks with (Dokku's).
const CRON_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Where the tasks are written.
#[derive(Debug, PartialEq)]
pub enum Target {
    /// The crontab of this user, through the `crontab` command.
    UserCrontab(String),
    /// A file under /etc/cron.d, its lines run as this user.
    CronD(PathBuf, String),
}

/// FNV-1a, 64 bits: a stable short name for a root.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The user this process runs as.
fn current_user() -> Result<String> {
    let uid = nix::unistd::geteuid();
    Ok(nix::unistd::User::from_uid(uid)
        .context("cannot look up the current user")?
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string()))
}

/// The cron.d file of a non-system root.
pub fn cron_d_file(root: &Path) -> PathBuf {
    Path::new(CRON_D).join(format!(
        "dokku-{:016x}",
        fnv1a(root.as_os_str().as_encoded_bytes())
    ))
}

/// Where this installation's tasks are written (see the module doc).
pub fn target() -> Result<Target> {
    let root = &dokku_core::paths().dokku_root;
    if root == Path::new(SYSTEM_ROOT) {
        let user = std::env::var("DOKKU_SYSTEM_USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "dokku".to_string());
        return Ok(Target::UserCrontab(user));
    }
    Ok(Target::CronD(cron_d_file(root), current_user()?))
}

/// One line of the crontab: the schedule and the shell command cron runs.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The schedule.
    pub schedule: String,
    /// The command line (through `SHELL`).
    pub command: String,
}

/// The `dokku` executable to put in the crontab: the first on PATH, else `dokku`.
fn dokku_bin() -> String {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("dokku");
            if p.is_file() && p.is_absolute() {
                return p.to_string_lossy().into_owned();
            }
        }
    }
    "dokku".to_string()
}

/// A word for the crontab's shell: single-quoted; refused when cron or the shell would read it
/// otherwise (a quote, `%`, a line break).
fn shell_word(word: &str) -> Result<String> {
    if word.contains(['\'', '%', '\n', '\r', '\0']) {
        bail!("{word:?} cannot be written to a crontab (quote, % or line break)");
    }
    Ok(format!("'{word}'"))
}

/// An environment line's value: one line.
fn env_value(name: &str, value: &str) -> Result<String> {
    if value.contains(['\n', '\r', '\0']) {
        bail!("{name} cannot be written to a crontab (line break)");
    }
    Ok(format!("{name}=\"{value}\""))
}

/// The command cron runs for an app.json task: `dokku cron:run APP ID` (the command itself is
/// read from the deployed app.json when the task runs, so it never reaches the crontab).
pub fn task_command(app: &str, id: &str) -> Result<String> {
    appname::validate(app)?;
    if !crate::id::is_valid(id) {
        bail!("invalid task id {id:?}");
    }
    Ok(format!("{} cron:run {app} {id}", shell_word(&dokku_bin())?))
}

/// Parses the output of `cron-entries`: `SCHEDULE;COMMAND[;LOGFILE]` lines, or JSON objects
/// `{"schedule", "command", "log-file"}` one a line.
pub fn parse_injected(output: &str) -> Result<Vec<(String, Entry)>> {
    let mut out = Vec::new();
    for line in output.lines().filter(|l| !l.trim().is_empty()) {
        let bad = || anyhow::anyhow!("Invalid injected cron task: {line}");
        let (fields, schedule, command, logfile): (Vec<String>, String, String, String) =
            if line.trim_start().starts_with('{') {
                let v: serde_json::Value = serde_json::from_str(line).map_err(|_| bad())?;
                let get = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                let (s, c, l) = (get("schedule"), get("command"), get("log-file"));
                let mut f = vec![s.clone(), c.clone()];
                if !l.is_empty() {
                    f.push(l.clone());
                }
                (f, s, c, l)
            } else {
                let parts: Vec<&str> = line.split(';').collect();
                if parts.len() != 2 && parts.len() != 3 {
                    return Err(bad());
                }
                let l = parts.get(2).map(|s| s.to_string()).unwrap_or_default();
                (
                    parts.iter().map(|s| s.to_string()).collect(),
                    parts[0].to_string(),
                    parts[1].to_string(),
                    l,
                )
            };
        if command.trim().is_empty() || crate::schedule::validate(&schedule).is_err() {
            return Err(bad());
        }
        if [&command, &logfile]
            .iter()
            .any(|f| f.contains(['\r', '\0']))
        {
            return Err(bad());
        }
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let id = crate::id::injected_id(&refs);
        let command = if logfile.is_empty() {
            command
        } else {
            format!("{command} &>> {logfile}")
        };
        out.push((id, Entry { schedule, command }));
    }
    Ok(out)
}

/// Whether a scheduler's tasks go to the host's cron (`scheduler-uses-host-cron`).
fn uses_host_cron(scheduler: &str) -> Result<bool> {
    Ok(
        dokku_core::trigger_value("scheduler-uses-host-cron", &[scheduler])?
            .is_some_and(|v| v.trim() == "true"),
    )
}

/// Every entry the crontab should hold now. An app whose tasks cannot be read is skipped with
/// a warning (its deploy refused them already).
pub fn entries() -> Result<Vec<Entry>> {
    let mut host: BTreeMap<String, bool> = BTreeMap::new();
    let mut out = Vec::new();
    for app in appname::all()? {
        let sched = dokku_core::scheduler(&app)?;
        if !host.contains_key(&sched) {
            host.insert(sched.clone(), uses_host_cron(&sched)?);
        }
        if !host[&sched] {
            continue;
        }
        let maintenance = tasks::app_maintenance(&app)?;
        match tasks::of_app(&app) {
            Ok(ts) => {
                for t in ts.into_iter().filter(|t| t.scheduled(maintenance)) {
                    out.push(Entry {
                        command: task_command(&app, &t.id)?,
                        schedule: t.schedule,
                    });
                }
            }
            Err(e) => log::warn(&format!("cron tasks of {app} skipped: {e:#}")),
        }
    }
    for (sched, uses) in host {
        if !uses {
            continue;
        }
        let text = dokku_core::trigger_output("cron-entries", &[&sched], "")?;
        out.extend(parse_injected(&text)?.into_iter().map(|(_, e)| e));
    }
    Ok(out)
}

/// The crontab's text for `entries` (`user`: the user field of a cron.d file).
pub fn render(entries: &[Entry], user: Option<&str>) -> Result<String> {
    let mut s = String::from("# Written by dokku's cron plugin: changes are overwritten.\n");
    for key in ["mailfrom", "mailto"] {
        let v = property::get_or(crate::PROPS, property::GLOBAL, key, "")?;
        if !v.is_empty() {
            s.push_str(&env_value(&key.to_ascii_uppercase(), &v)?);
            s.push('\n');
        }
    }
    s.push_str(&format!("PATH={CRON_PATH}\nSHELL=/bin/bash\n"));
    if user.is_some() {
        let p = dokku_core::paths();
        for (name, value) in [
            ("DOKKU_ROOT", &p.dokku_root),
            ("DOKKU_LIB_ROOT", &p.lib_root),
            ("PLUGIN_PATH", &p.plugin_path),
            ("PLUGIN_CORE_AVAILABLE_PATH", &p.core_available),
            ("DOKKU_LOGS_DIR", &p.logs_dir),
        ] {
            s.push_str(&env_value(name, &value.to_string_lossy())?);
            s.push('\n');
        }
    }
    s.push('\n');
    for e in entries {
        if e.command.contains(['\n', '\r']) || e.schedule.contains(['\n', '\r']) {
            bail!("a cron task spans more than one line");
        }
        match user {
            Some(u) => s.push_str(&format!("{} {u} {}\n", e.schedule, e.command)),
            None => s.push_str(&format!("{} {}\n", e.schedule, e.command)),
        }
    }
    Ok(s)
}

/// Holds the crontab lock of this installation while alive.
pub struct Lock(#[allow(dead_code)] std::fs::File);

/// Takes the crontab lock (`DOKKU_LIB_ROOT/data/cron/crontab.lock`), waiting for it.
#[allow(unsafe_code)]
pub fn lock() -> Result<Lock> {
    let dir = dokku_core::paths().lib_root.join("data/cron");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("crontab.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    // SAFETY: flock on a descriptor this process owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("cannot lock {}", path.display()));
    }
    Ok(Lock(f))
}

/// `crontab ARGS` (stdin: `input`), failing with what crontab said.
fn crontab(args: &[&str], input: Option<&str>) -> Result<bool> {
    let mut c = Command::new("crontab");
    c.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .context("cannot run crontab (Debian's cron package)")?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() && input.is_some() {
        bail!(
            "Unable to update schedule file: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.status.success())
}

/// `-u USER` unless USER is the one running (crontab lets only root name a user).
fn user_args(user: &str) -> Result<Vec<&str>> {
    Ok(if current_user()? == user {
        vec![]
    } else {
        vec!["-u", user]
    })
}

/// Regenerates the crontab from the current tasks; prints Dokku's `Updated schedule file`.
pub fn write() -> Result<()> {
    let _lock = lock()?;
    let entries = entries()?;
    match target()? {
        Target::UserCrontab(user) => {
            let u = user_args(&user)?;
            if entries.is_empty() {
                let mut list = u.clone();
                list.push("-l");
                if crontab(&list, None)? {
                    let mut rm = u.clone();
                    rm.push("-r");
                    crontab(&rm, None)?;
                    log::info1("Removed");
                }
                return Ok(());
            }
            let text = render(&entries, None)?;
            let mut set = u.clone();
            set.push("-");
            crontab(&set, Some(&text))?;
        }
        Target::CronD(path, user) => {
            if entries.is_empty() {
                match std::fs::remove_file(&path) {
                    Ok(()) => log::info1("Removed"),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot remove {}", path.display()))
                    }
                }
                return Ok(());
            }
            let text = render(&entries, Some(&user))?;
            if !Path::new(CRON_D).is_dir() {
                bail!("{CRON_D} is missing: install Debian's cron package");
            }
            plugn::atomic::write(&path, text.as_bytes(), 0o644)
                .with_context(|| format!("Unable to update schedule file {}", path.display()))?;
        }
    }
    log::info1("Updated schedule file");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_lines() {
        let e = parse_injected("@daily;/usr/bin/true\n\n*/5 * * * *;echo hi;/tmp/log\n").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].1.command, "echo hi &>> /tmp/log");
        let j = parse_injected(r#"{"schedule":"@hourly","command":"x"}"#).unwrap();
        assert_eq!(j[0].1.schedule, "@hourly");
        assert!(parse_injected("nonsense").is_err());
        assert!(parse_injected("@every 1m;x").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(shell_word("/usr/bin/dokku").unwrap(), "'/usr/bin/dokku'");
        assert!(shell_word("/a'b").is_err());
        assert!(shell_word("/a%b").is_err());
    }
}
