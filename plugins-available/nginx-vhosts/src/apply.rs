//! Installing an app's config safely: under one lock for every change to this nginx, the new
//! file replaces the old, `nginx -t` checks the whole config, and only then does nginx reload; a
//! config that fails the check is taken out again (the previous one back in place), so the
//! running nginx keeps serving what it served, and nginx's message is shown.

use crate::settings;
use anyhow::{bail, Context, Result};
use dokku_core::paths;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The file nginx includes for an app (`$DOKKU_ROOT/*/nginx.conf`, as Dokku's).
pub fn conf_path(app: &str) -> PathBuf {
    dokku_core::appname::app_dir(app).join("nginx.conf")
}

/// An `nginx` command for this installation's nginx (its config and prefix when set; through
/// `sudo -n` for the system nginx when not root).
pub fn nginx(args: &[&str]) -> Result<Command> {
    let conf = settings::global("nginx-conf")?;
    let prefix = settings::global("nginx-prefix")?;
    let bin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("nginx");
    let mut c = if conf.is_empty() && !nix::unistd::geteuid().is_root() {
        let mut c = Command::new("sudo");
        c.args(["-n", bin]);
        c
    } else {
        Command::new(bin)
    };
    if !conf.is_empty() {
        c.args(["-c", &conf]);
    }
    if !prefix.is_empty() {
        c.args(["-p", &prefix]);
    }
    c.args(args).stdin(Stdio::null());
    Ok(c)
}

/// `nginx -t`; the error lines nginx printed when it fails.
pub fn test() -> Result<std::result::Result<(), String>> {
    let out = nginx(&["-t", "-q"])?
        .output()
        .context("cannot run nginx -t (is nginx installed?)")?;
    if out.status.success() {
        return Ok(Ok(()));
    }
    let msg: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("[emerg]") || l.contains("[error]") || l.contains("failed"))
        .map(|l| l.trim().to_string())
        .collect();
    Ok(Err(if msg.is_empty() {
        "nginx -t failed".to_string()
    } else {
        msg.join("; ")
    }))
}

/// The pid of this installation's nginx master, from its pid file.
pub fn master_pid() -> Option<u32> {
    let prefix = settings::global("nginx-prefix")
        .ok()
        .filter(|p| !p.is_empty());
    let file = match prefix {
        Some(p) => Path::new(&p).join("nginx.pid"),
        None => PathBuf::from("/run/nginx.pid"),
    };
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// The nginx workers (children of the master).
fn workers(master: u32) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|st| {
                    // The parent pid is the second field after the `(comm)`.
                    let after = &st[st.rfind(')')? + 2..];
                    after.split(' ').nth(1)?.parse::<u32>().ok()
                })
                == Some(master)
        })
        .collect()
}

/// The running nginx master's pid (none when its pid file is missing or its process gone).
pub fn running_master() -> Option<u32> {
    master_pid().filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

/// Reloads nginx and waits (up to 5 s) until the workers of the old config are gone, so that
/// what follows a change sees it (a warning, not a failure, when no nginx is running).
fn reload() -> Result<()> {
    if let Err(msg) = reload_now()? {
        dokku_core::log::warn(&format!("nginx did not reload: {msg}"));
    }
    Ok(())
}

/// Reloads nginx (through `nginx-service-command` when set, else `nginx -s reload`) and waits
/// (up to 5 s) until the workers of the old config are gone; nginx's message when it fails.
pub fn reload_now() -> Result<std::result::Result<(), String>> {
    let master = running_master();
    let before = master.map(workers).unwrap_or_default();
    let out = match crate::service::command("reload")? {
        Some(mut c) => c.output(),
        None => nginx(&["-s", "reload"])?.output(),
    }
    .context("cannot run the nginx reload")?;
    if !out.status.success() {
        return Ok(Err(crate::service::last_line(
            &out.stderr,
            "the reload failed",
        )));
    }
    if let Some(m) = master {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < end {
            let now = workers(m);
            if !now.is_empty() && !now.iter().any(|p| before.contains(p)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    Ok(Ok(()))
}

/// Set for the `nginx-pre-reload` hooks, which run while the reload lock is held: a hook that
/// asks for another config change gets an error instead of waiting for itself.
const LOCK_HELD: &str = "DOKKU_NGINX_RELOAD_LOCK_HELD";

/// The lock around every change to this nginx (its configs, a reload, a start or stop).
pub fn lock() -> Result<plugn::atomic::Lock> {
    if std::env::var_os(LOCK_HELD).is_some() {
        bail!("cannot change nginx configs from an nginx-pre-reload hook: the reload it runs before holds the lock");
    }
    let dir = paths().lib_root.join("data/nginx-vhosts");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    plugn::atomic::lock(&dir.join("reload"))
}

/// Installs `text` as the app's config (empty: removes it), checked and reloaded.
pub fn install(app: &str, text: &str) -> Result<()> {
    install_many(&[(app.to_string(), text.to_string())], |app| {
        Ok(crate::upstreams(app)?
            .into_iter()
            .next()
            .unwrap_or_default())
    })
}

/// Installs several apps' configs with one `nginx -t` and one reload; when the check fails,
/// every file is put back as it was. `first_upstream(APP)` is the app's first web listener
/// (`IP:PORT`, maybe empty) that `nginx-pre-reload` is told.
pub fn install_many(
    configs: &[(String, String)],
    first_upstream: impl Fn(&str) -> Result<String>,
) -> Result<()> {
    let _lock = lock()?;
    let mut changed: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (app, text) in configs {
        let path = conf_path(app);
        let previous = std::fs::read(&path).ok();
        if previous.as_deref() == Some(text.as_bytes()) || (text.is_empty() && previous.is_none()) {
            continue;
        }
        if text.is_empty() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        } else {
            plugn::atomic::write(&path, text.as_bytes(), 0o644)?;
        }
        changed.push((path, previous));
    }
    if changed.is_empty() {
        return Ok(());
    }
    if let Err(msg) = test()? {
        restore(&changed)?;
        let what = match configs {
            [(app, _)] => format!("of {app}"),
            _ => format!("of {} apps", changed.len()),
        };
        bail!("the new nginx config {what} failed `nginx -t` and was not installed ({msg}); the previous config keeps serving");
    }
    // `nginx-pre-reload` for each app given a config; a failure puts every file back.
    for (app, text) in configs {
        if text.is_empty() || !changed.iter().any(|(p, _)| *p == conf_path(app)) {
            continue;
        }
        std::env::set_var(LOCK_HELD, "1");
        let hooked = first_upstream(app).and_then(|first| crate::pre_reload(app, &first));
        std::env::remove_var(LOCK_HELD);
        if let Err(e) = hooked {
            restore(&changed)?;
            let why = dokku_core::failure_message(&e);
            bail!("nginx-pre-reload failed for {app} ({why}): the new nginx config was not installed, nginx was not reloaded");
        }
    }
    reload()
}

/// Puts the files of `changed` back as they were.
fn restore(changed: &[(PathBuf, Option<Vec<u8>>)]) -> Result<()> {
    for (path, previous) in changed {
        match previous {
            Some(p) => plugn::atomic::write(path, p, 0o644)?,
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    Ok(())
}

/// Checks `text` as the app's config without installing it: put in place, `nginx -t`, and the
/// previous file put back, all under the lock and with no reload, so the running nginx never
/// sees it.
pub fn check(app: &str, text: &str) -> Result<()> {
    let _lock = lock()?;
    let path = conf_path(app);
    let previous = std::fs::read(&path).ok();
    plugn::atomic::write(&path, text.as_bytes(), 0o644)?;
    let result = test();
    match &previous {
        Some(p) => plugn::atomic::write(&path, p, 0o644)?,
        None => {
            let _ = std::fs::remove_file(&path);
        }
    }
    if let Err(msg) = result? {
        bail!("the nginx config of the new release of {app} fails `nginx -t` ({msg}); nothing was deployed");
    }
    Ok(())
}
