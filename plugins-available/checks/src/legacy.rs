//! The retired checks config vars of older Dokku releases (`DOKKU_CHECKS_DISABLED`,
//! `DOKKU_CHECKS_SKIPPED`, `DOKKU_CHECKS_ENABLED`, `DOKKU_SKIP_ALL_CHECKS`,
//! `DOKKU_SKIP_DEFAULT_CHECKS`, `DOKKU_CHECKS_WAIT|TIMEOUT|ATTEMPTS`, global
//! `DOKKU_DEFAULT_CHECKS_WAIT`), moved into the checks properties at `install` as Dokku 0.38
//! does, then unset. The config is read through the config plugin's triggers (after
//! `config-migrate-env`), and changed through `dokku config:unset`.

use anyhow::{bail, Context, Result};
use dokku_core::{appname, log, property, trigger, trigger_value};

const PROPS: &str = "checks";

/// The config value of `key` in `scope` (an app or `--global`); `None` when unset or empty.
fn get(scope: &str, key: &str) -> Result<Option<String>> {
    Ok(trigger_value("config-get", &[scope, key])?
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty()))
}

/// `dokku config:unset --no-restart SCOPE KEYS…`, its output kept back.
fn unset(scope: &str, keys: &[&str]) -> Result<()> {
    let dokku = std::env::var("DOKKU_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "dokku".into());
    let mut cmd = std::process::Command::new(&dokku);
    cmd.args(["config:unset", "--no-restart", scope]).args(keys);
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {dokku} config:unset"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "cannot unset the retired checks config vars of {scope}: {}",
            err.lines().last().unwrap_or("").trim()
        );
    }
    Ok(())
}

/// Moves one scope's retired vars into properties; returns the keys it found.
fn migrate_scope(scope: &str) -> Result<Vec<&'static str>> {
    let mut found = Vec::new();
    if scope == property::GLOBAL {
        if let Some(v) = get(scope, "DOKKU_DEFAULT_CHECKS_WAIT")? {
            property::write(PROPS, scope, "default-wait", &v)?;
            found.push("DOKKU_DEFAULT_CHECKS_WAIT");
        }
        for k in ["DOKKU_SKIP_ALL_CHECKS", "DOKKU_SKIP_DEFAULT_CHECKS"] {
            if get(scope, k)?.is_some() {
                found.push(k);
            }
        }
        return Ok(found);
    }
    let mut disabled = get(scope, "DOKKU_CHECKS_DISABLED")?;
    let mut skipped = get(scope, "DOKKU_CHECKS_SKIPPED")?;
    for (k, key) in [
        ("DOKKU_CHECKS_DISABLED", "disabled"),
        ("DOKKU_CHECKS_SKIPPED", "skipped"),
    ] {
        let v = if key == "disabled" {
            &disabled
        } else {
            &skipped
        };
        if v.is_some() {
            found.push(k);
        }
    }
    if get(scope, "DOKKU_SKIP_ALL_CHECKS")?.as_deref() == Some("true") {
        disabled = Some("_all_".into());
    }
    if get(scope, "DOKKU_SKIP_DEFAULT_CHECKS")?.as_deref() == Some("true")
        || get(scope, "DOKKU_CHECKS_ENABLED")?.as_deref() == Some("0")
    {
        skipped.get_or_insert_with(|| "_all_".into());
    }
    for k in [
        "DOKKU_SKIP_ALL_CHECKS",
        "DOKKU_SKIP_DEFAULT_CHECKS",
        "DOKKU_CHECKS_ENABLED",
    ] {
        if get(scope, k)?.is_some() {
            found.push(k);
        }
    }
    if let Some(v) = disabled {
        property::write(PROPS, scope, "disabled", &v)?;
    }
    if let Some(v) = skipped {
        if property::get(PROPS, scope, "disabled")?.as_deref() != Some("_all_") {
            property::write(PROPS, scope, "skipped", &v)?;
        }
    }
    for (k, key) in [
        ("DOKKU_CHECKS_WAIT", "wait"),
        ("DOKKU_CHECKS_TIMEOUT", "timeout"),
        ("DOKKU_CHECKS_ATTEMPTS", "attempts"),
    ] {
        if let Some(v) = get(scope, k)? {
            property::write(PROPS, scope, key, &v)?;
            found.push(k);
        }
    }
    Ok(found)
}

/// Trigger `install`: every app's (and the global) retired checks vars become properties and
/// are unset; each scope migrated is named on stdout.
pub fn trigger_install(_argv: &[String]) -> Result<()> {
    trigger("config-migrate-env", &[])?;
    let mut scopes = vec![property::GLOBAL.to_string()];
    scopes.extend(appname::all()?);
    for scope in scopes {
        let found = migrate_scope(&scope)?;
        if found.is_empty() {
            continue;
        }
        unset(&scope, &found)?;
        log::info1(&format!(
            "Migrated the retired checks config vars of {scope} to checks properties: {}",
            found.join(" ")
        ));
    }
    Ok(())
}
