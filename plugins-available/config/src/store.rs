//! Where config lives and how it changes: an app's `$DOKKU_ROOT/APP/ENV`, the global
//! `$DOKKU_ROOT/ENV`. Reads of a missing file are empty; every change is a read-modify-write
//! under the file's flock, written atomically, so that concurrent writers lose nothing.

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

    /// The ENV file of this scope.
    pub fn env_path(&self) -> PathBuf {
        match self {
            Scope::App(a) => appname::app_dir(a).join("ENV"),
            Scope::Global => paths().dokku_root.join("ENV"),
        }
    }
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
    let path = scope.env_path();
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
