//! Where domains live, as in Dokku: `$DOKKU_ROOT/APP/VHOST` (an app's) and `$DOKKU_ROOT/VHOST`
//! (the global ones), one domain per line, rewritten atomically under a lock; whether an app's
//! domains are in use: property `domains`/APP/`disabled`.

use anyhow::{Context, Result};
use dokku_core::domainname::{self as validate, Scope};
use dokku_core::{appname, log, paths, property, trigger_value};
use std::path::{Path, PathBuf};

/// The property plugin name of the domains plugin.
pub const PROPS: &str = "domains";

/// An app's domain file.
pub fn app_file(app: &str) -> PathBuf {
    appname::app_dir(app).join("VHOST")
}

/// The global domain file.
pub fn global_file() -> PathBuf {
    paths().dokku_root.join("VHOST")
}

/// The domains of a file; `None` when there is no file.
pub fn read(path: &Path) -> Result<Option<Vec<String>>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes the domains of a file atomically.
fn write(path: &Path, domains: &[String]) -> Result<()> {
    let mut data = domains.join("\n");
    if !data.is_empty() {
        data.push('\n');
    }
    plugn::atomic::write(path, data.as_bytes(), 0o644)
}

/// Reads a file under its lock and writes what `f` returns (`None`: leave it as it is); gives
/// back `f`'s other result.
pub fn edit<T>(
    path: &Path,
    f: impl FnOnce(Option<Vec<String>>) -> Result<(Option<Vec<String>>, T)>,
) -> Result<T> {
    let _lock = plugn::atomic::lock(path)?;
    let (new, out) = f(read(path)?)?;
    if let Some(domains) = new {
        write(path, &domains)?;
    }
    Ok(out)
}

/// An app's domains (none when it has no file).
pub fn app_domains(app: &str) -> Result<Vec<String>> {
    Ok(read(&app_file(app))?.unwrap_or_default())
}

/// The global domains.
pub fn global_domains() -> Result<Vec<String>> {
    Ok(read(&global_file())?.unwrap_or_default())
}

/// Whether an app's domains are in use (not `domains:disable`d).
pub fn is_enabled(app: &str) -> Result<bool> {
    Ok(property::get(PROPS, app, "disabled")?.as_deref() != Some("true"))
}

/// Turns an app's domains on or off.
pub fn set_enabled(app: &str, on: bool) -> Result<()> {
    if on {
        property::delete(PROPS, app, "disabled")
    } else {
        property::write(PROPS, app, "disabled", "true")
    }
}

/// Whether the global domains hold one a default vhost can be made of (not an IP address).
pub fn global_enabled() -> Result<bool> {
    Ok(global_domains()?.iter().any(|d| !validate::is_ip(d)))
}

/// The domains a new app gets: for each global domain that is not an IP address, the answer of
/// Trigger `nginx-hostname APP SUBDOMAIN VHOST` (VHOST: the global domain; SUBDOMAIN: the app
/// name without a trailing `.VHOST`) when a plugin gives one, else `APP.VHOST` (the app name
/// alone when it holds a dot, as Dokku); names that would be invalid (too long) are left out
/// with a warning.
pub fn default_vhosts(app: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for g in global_domains()? {
        if validate::is_ip(&g) {
            continue;
        }
        let sub = app.strip_suffix(&format!(".{g}")).unwrap_or(app);
        let answer = trigger_value("nginx-hostname", &[app, sub, &g])?.and_then(|v| {
            v.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        });
        let name = match answer {
            Some(h) => h,
            None if app.contains('.') => app.to_string(),
            None => format!("{app}.{g}"),
        };
        match validate::normalize(&name, Scope::App) {
            Ok(d) if !out.contains(&d) => out.push(d),
            Ok(_) => {}
            Err(e) => log::warn(&format!("Skipping default domain: {e:#}")),
        }
    }
    Ok(out)
}
