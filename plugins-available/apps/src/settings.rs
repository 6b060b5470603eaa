//! The apps plugin's properties, as Dokku 0.38 has them: `disable-autocreation` (global only:
//! whether a push to an app that does not exist is refused), `deploy-source` and
//! `deploy-source-metadata` (per app: where its code came from). `apps:set` writes them; the
//! retired config var `DOKKU_DISABLE_APP_AUTOCREATION` is read once and moved into the property
//! (Trigger `install`, and at first use in `app-maybe-create`).

use crate::PROPS;
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{log, property, trigger, trigger_value};

/// The properties `apps:set` takes.
pub const KEYS: &[&str] = &[
    "deploy-source",
    "deploy-source-metadata",
    "disable-autocreation",
];

/// The property that refuses pushes to missing apps.
pub const DISABLE_AUTOCREATION: &str = "disable-autocreation";

/// The global config var Dokku retired for [`DISABLE_AUTOCREATION`].
pub const RETIRED_AUTOCREATION_VAR: &str = "DOKKU_DISABLE_APP_AUTOCREATION";

/// `apps:set [--global|APP] KEY [VALUE]`: sets, or without a value unsets, a property.
/// `disable-autocreation` is global only and takes `true` or `false`; the deploy source keys
/// are per app only.
pub fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), KEYS)?;
    if c.key == DISABLE_AUTOCREATION {
        if !c.is_global() {
            bail!("{DISABLE_AUTOCREATION} can only be set globally: dokku apps:set --global {DISABLE_AUTOCREATION} true|false");
        }
        if let Some(v) = c.new_value() {
            if v != "true" && v != "false" {
                bail!("Invalid value for {DISABLE_AUTOCREATION}: {v:?}; use true or false");
            }
        }
    } else if c.is_global() {
        bail!(
            "{} can only be set for an app: dokku apps:set <app> {} <value>",
            c.key,
            c.key
        );
    } else if let Some(v) = c.new_value() {
        if v.contains(['\n', '\r', '\0']) {
            bail!("Invalid value for {}: it holds a line break", c.key);
        }
    }
    c.apply(PROPS)
}

/// Whether pushes to apps that do not exist are refused (`apps:set --global
/// disable-autocreation true`), after moving a retired config var into the property.
pub fn autocreation_disabled() -> Result<bool> {
    migrate_env(false)?;
    Ok(property::get_or(PROPS, property::GLOBAL, DISABLE_AUTOCREATION, "")? == "true")
}

/// Moves the retired global config var `DOKKU_DISABLE_APP_AUTOCREATION` into the global
/// `disable-autocreation` property (`true` when it was `true`, else `false`) and unsets it, so
/// that it takes effect once and is then gone, as Dokku's upgrade does. Trigger
/// `config-migrate-env` first, so the config plugin has its ENV files in place, then Trigger
/// `config-get-global KEY` to read it; the unset goes through `config:unset --global`. With `announce`, says so.
pub fn migrate_env(announce: bool) -> Result<()> {
    trigger("config-migrate-env", &[])?;
    let value = trigger_value("config-get-global", &[RETIRED_AUTOCREATION_VAR])?;
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let value = if value.trim() == "true" {
        "true"
    } else {
        "false"
    };
    property::write(PROPS, property::GLOBAL, DISABLE_AUTOCREATION, value)?;
    unset_global(RETIRED_AUTOCREATION_VAR)?;
    if announce {
        log::info1(&format!(
            "Migrated the retired config var {RETIRED_AUTOCREATION_VAR} to: \
             dokku apps:set --global {DISABLE_AUTOCREATION} {value}"
        ));
    }
    Ok(())
}

/// `dokku config:unset --global --no-restart KEY`, its output kept back (an error names it).
fn unset_global(key: &str) -> Result<()> {
    let dokku = std::env::var("DOKKU_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "dokku".into());
    let out = std::process::Command::new(&dokku)
        .args(["config:unset", "--global", "--no-restart", key])
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {dokku} config:unset"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().last().unwrap_or("").trim();
        bail!("cannot unset the global config var {key}: {line}");
    }
    Ok(())
}

/// Trigger `install`: moves the retired config var into its property (see [`migrate_env`]).
pub fn trigger_install(_argv: &[String]) -> Result<()> {
    migrate_env(true)
}
