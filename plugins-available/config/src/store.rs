//! Where config lives and how it changes: where Dokku 0.38 keeps it, an app's
//! `$DOKKU_LIB_ROOT/config/APP/ENV`, the global `$DOKKU_LIB_ROOT/config/--global/ENV`. Reads of
//! a missing file are empty; every change is a read-modify-write under the file's flock,
//! written atomically, so that concurrent writers lose nothing. The ENV files of older
//! releases (`$DOKKU_ROOT/APP/ENV`, `$DOKKU_ROOT/ENV`) are drained into these on first use
//! and by `config-migrate-env` (see [`migrate`]).

use anyhow::{Context, Result};
use dokku_core::{appname, envfile, paths};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Config vars, sorted by key.
pub type Vars = BTreeMap<String, String>;

/// Whose config a command works on: `<app>` or `--global`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An existing app's config.
    App(String),
    /// The global config, under every app's.
    Global,
}

impl Scope {
    /// The scope of an app argument, checked with Dokku's messages (valid name, existing app).
    pub fn app(name: &str) -> Result<Scope> {
        appname::verify(name)?;
        Ok(Scope::App(name.to_string()))
    }

    /// The name triggers get: the app, or `--global`.
    pub fn trigger_name(&self) -> &str {
        match self {
            Scope::App(a) => a,
            Scope::Global => "--global",
        }
    }

    /// The name headings show: the app, or `global`.
    pub fn label(&self) -> &str {
        match self {
            Scope::App(a) => a,
            Scope::Global => "global",
        }
    }

    /// The ENV file of this scope (Dokku 0.38's place).
    pub fn env_path(&self) -> PathBuf {
        paths()
            .lib_root
            .join("config")
            .join(self.trigger_name())
            .join("ENV")
    }

    /// The ENV file of this scope as releases before Dokku 0.38 kept it.
    pub fn legacy_env_path(&self) -> PathBuf {
        match self {
            Scope::App(a) => appname::app_dir(a).join("ENV"),
            Scope::Global => paths().dokku_root.join("ENV"),
        }
    }
}

/// The config property recording that a scope's legacy ENV file was drained (Dokku's).
const MIGRATED: &str = "env-migrated";

/// Drains the legacy ENV file of `scope` into its current one, once, as Dokku 0.38 does: its
/// vars are merged over the current ones (written atomically, mode 0600), the `env-migrated`
/// config property is set, then the legacy file is removed. A legacy file found after the
/// migration is on record is never imported again: removed when every value matches, else
/// moved aside to `ENV.migrated` with a warning naming the keys that differ. Cheap when there
/// is nothing to do (a stat). Reads never write when there is no legacy file; `config-migrate-env`
/// and `install` record the migration then too (see [`record_migrated`]).
pub fn migrate(scope: &Scope) -> Result<()> {
    use dokku_core::property;
    let legacy = scope.legacy_env_path();
    let name = scope.trigger_name();
    let migrated = || -> Result<bool> {
        Ok(property::get("config", name, MIGRATED)?.as_deref() == Some("true"))
    };
    if !legacy.exists() {
        return Ok(());
    }
    let path = scope.env_path();
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let _lock = plugn::atomic::lock(&path)?;
    if !legacy.exists() {
        return Ok(());
    }
    let old = read(&legacy)?;
    let mut vars = read(&path)?;
    if migrated()? {
        let diverged: Vec<&str> = old
            .iter()
            .filter(|(k, v)| vars.get(*k) != Some(*v))
            .map(|(k, _)| k.as_str())
            .collect();
        if diverged.is_empty() {
            std::fs::remove_file(&legacy)
                .with_context(|| format!("cannot remove {}", legacy.display()))?;
            return Ok(());
        }
        let kept = legacy.with_file_name("ENV.migrated");
        dokku_core::log::warn(&format!(
            "Not importing already-migrated ENV file {}: the current config takes precedence for {}",
            legacy.display(),
            diverged.join(" ")
        ));
        dokku_core::log::warn(&format!(
            "Preserved at {}; apply any values still needed with dokku config:set",
            kept.display()
        ));
        return std::fs::rename(&legacy, &kept)
            .with_context(|| format!("cannot move {}", legacy.display()));
    }
    vars.extend(old);
    let text = envfile::serialize(&vars);
    plugn::atomic::write(&path, text.as_bytes(), 0o600)
        .with_context(|| format!("cannot save {}", path.display()))?;
    property::write("config", name, MIGRATED, "true")?;
    std::fs::remove_file(&legacy).with_context(|| format!("cannot remove {}", legacy.display()))
}

/// Records that `scope` has no legacy ENV file left to drain (`env-migrated`), as Dokku's
/// install does; after [`migrate`].
pub fn record_migrated(scope: &Scope) -> Result<()> {
    use dokku_core::property;
    let name = scope.trigger_name();
    if !scope.legacy_env_path().exists()
        && property::get("config", name, MIGRATED)?.as_deref() != Some("true")
    {
        property::write("config", name, MIGRATED, "true")?;
    }
    Ok(())
}

/// Reads an ENV file; a missing file is an empty config.
pub fn read(path: &Path) -> Result<Vars> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .with_context(|| format!("{} is not valid UTF-8", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vars::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    envfile::parse(&text).with_context(|| format!("cannot parse {}", path.display()))
}

/// The config of `scope`; with `merged`, an app's config laid over the global one.
pub fn load(scope: &Scope, merged: bool) -> Result<Vars> {
    migrate(scope)?;
    if merged && *scope != Scope::Global {
        migrate(&Scope::Global)?;
    }
    let own = read(&scope.env_path())?;
    if !merged || *scope == Scope::Global {
        return Ok(own);
    }
    let mut vars = read(&Scope::Global.env_path())?;
    vars.extend(own);
    Ok(vars)
}

/// Changes the config of `scope` under its lock: `change` edits the vars and says whether
/// anything changed; only then is the file rewritten (atomically, mode 0600). Returns the
/// vars as they now are and whether they changed. The lock is released on return, so that
/// triggers fired afterwards may change config themselves.
pub fn update<F>(scope: &Scope, change: F) -> Result<(Vars, bool)>
where
    F: FnOnce(&mut Vars) -> bool,
{
    migrate(scope)?;
    let path = scope.env_path();
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let _lock = plugn::atomic::lock(&path)?;
    let mut vars = read(&path)?;
    let changed = change(&mut vars);
    if changed {
        let text = envfile::serialize(&vars);
        plugn::atomic::write(&path, text.as_bytes(), 0o600)
            .with_context(|| format!("cannot save {}", path.display()))?;
    }
    Ok((vars, changed))
}

/// Rewrites the ENV file of `scope` in the current format (mode 0600) when it is not already
/// exactly that; a missing file is left missing.
pub fn normalize(scope: &Scope) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    migrate(scope)?;
    let path = scope.env_path();
    if !path.exists() {
        return Ok(());
    }
    let _lock = plugn::atomic::lock(&path)?;
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let vars = read(&path)?;
    let want = envfile::serialize(&vars);
    let mode = std::fs::metadata(&path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    if text != want.as_bytes() || mode != 0o600 {
        plugn::atomic::write(&path, want.as_bytes(), 0o600)
            .with_context(|| format!("cannot save {}", path.display()))?;
    }
    Ok(())
}
