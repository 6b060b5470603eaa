//! The property store that Rust and shell plugins share:
//! `$DOKKU_LIB_ROOT/config/PLUGIN/APP/KEY`, one file per value (`APP` is `--global` for
//! global properties). Writes are atomic; the shell helpers in `common/functions` use the
//! same files.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::PathBuf;

/// The app name under which global properties live.
pub const GLOBAL: &str = "--global";

fn check_part(what: &str, s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s != "."
        && s != ".."
        && !s.contains('/')
        && !s.contains('\0')
        && s.len() <= 255;
    if !ok {
        bail!("invalid property {what} {:?}", s);
    }
    Ok(())
}

/// The folder of one plugin's properties for one app.
pub fn dir(plugin: &str, app: &str) -> Result<PathBuf> {
    check_part("plugin", plugin)?;
    check_part("app", app)?;
    Ok(crate::paths().properties(plugin).join(app))
}

fn file(plugin: &str, app: &str, key: &str) -> Result<PathBuf> {
    check_part("key", key)?;
    Ok(dir(plugin, app)?.join(key))
}

/// Writes one property atomically.
pub fn write(plugin: &str, app: &str, key: &str, value: &str) -> Result<()> {
    let path = file(plugin, app, key)?;
    let d = path.parent().expect("property has a folder");
    fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    let mut data = value.as_bytes().to_vec();
    data.push(b'\n');
    plugn::atomic::write(&path, &data, 0o600)
}

/// Reads one property; `None` when it is not set.
pub fn get(plugin: &str, app: &str, key: &str) -> Result<Option<String>> {
    let path = file(plugin, app, key)?;
    match fs::read_to_string(&path) {
        Ok(mut s) => {
            if s.ends_with('\n') {
                s.pop();
            }
            Ok(Some(s))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Reads one property, or `default` when it is not set or empty.
pub fn get_or(plugin: &str, app: &str, key: &str, default: &str) -> Result<String> {
    Ok(get(plugin, app, key)?
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string()))
}

/// Deletes one property (nothing happens when it is not set).
pub fn delete(plugin: &str, app: &str, key: &str) -> Result<()> {
    let path = file(plugin, app, key)?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Removes every property of one plugin for one app.
pub fn destroy(plugin: &str, app: &str) -> Result<()> {
    let d = dir(plugin, app)?;
    match fs::remove_dir_all(&d) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", d.display())),
    }
}

/// Every property of one plugin for one app, sorted by key.
pub fn list(plugin: &str, app: &str) -> Result<Vec<(String, String)>> {
    let d = dir(plugin, app)?;
    let rd = match fs::read_dir(&d) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", d.display())),
    };
    let mut keys: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|k| !k.starts_with('.'))
        .collect();
    keys.sort();
    let mut out = Vec::new();
    for k in keys {
        if let Some(v) = get(plugin, app, &k)? {
            out.push((k, v));
        }
    }
    Ok(out)
}

/// The plugins that keep properties (folders under `$DOKKU_LIB_ROOT/config`).
fn plugins_with_properties() -> Result<Vec<String>> {
    let root = crate::paths().lib_root.join("config");
    let rd = match fs::read_dir(&root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", root.display())),
    };
    Ok(rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect())
}

/// Moves every plugin's properties of app `old` to app `new`.
pub fn rename_app(old: &str, new: &str) -> Result<()> {
    for plugin in plugins_with_properties()? {
        let from = dir(&plugin, old)?;
        if from.is_dir() {
            let to = dir(&plugin, new)?;
            fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// Copies every plugin's properties of app `old` to app `new`.
pub fn clone_app(old: &str, new: &str) -> Result<()> {
    for plugin in plugins_with_properties()? {
        for (k, v) in list(&plugin, old)? {
            write(&plugin, new, &k, &v)?;
        }
    }
    Ok(())
}

/// Removes every plugin's properties of an app.
pub fn destroy_app(app: &str) -> Result<()> {
    for plugin in plugins_with_properties()? {
        destroy(&plugin, app)?;
    }
    Ok(())
}

/// A parsed `PLUGIN:set [--global|APP] KEY [VALUE]` (or `:set-property`).
#[derive(Debug)]
pub struct SetCommand {
    /// `--global` or an existing app.
    pub scope: String,
    /// The property.
    pub key: String,
    /// The value as given; `None` (or empty) unsets.
    pub value: Option<String>,
}

impl SetCommand {
    /// Parses the arguments; the app must exist; `keys` are the properties that may be set.
    pub fn parse(argv: &[String], usage: &str, keys: &[&str]) -> Result<SetCommand> {
        let a = crate::args::parse(argv, &["--global"], &[])?;
        let (scope, rest) = if a.has("--global") {
            (GLOBAL.to_string(), &a.positional[..])
        } else {
            let app = crate::appname::required(a.pos(0))?;
            crate::appname::verify(&app)?;
            (app, a.positional.get(1..).unwrap_or(&[]))
        };
        let Some(key) = rest.first() else {
            bail!("no property given; usage: {usage}");
        };
        if rest.len() > 2 {
            bail!("unexpected argument {:?}; usage: {usage}", rest[2]);
        }
        if !keys.contains(&key.as_str()) {
            bail!("invalid property {key:?}; valid: {}", keys.join(", "));
        }
        Ok(SetCommand {
            scope,
            key: key.clone(),
            value: rest.get(1).cloned(),
        })
    }

    /// Whether the command is for the global properties.
    pub fn is_global(&self) -> bool {
        self.scope == GLOBAL
    }

    /// The value to set, `None` when the property is to be unset.
    pub fn new_value(&self) -> Option<&str> {
        self.value.as_deref().filter(|v| !v.is_empty())
    }

    /// Writes (or deletes) the property under `plugin`, saying so as Dokku does.
    pub fn apply(&self, plugin: &str) -> Result<()> {
        match self.new_value() {
            Some(v) => {
                write(plugin, &self.scope, &self.key, v)?;
                crate::log::info1(&format!("Setting {} to {v}", self.key));
            }
            None => {
                delete(plugin, &self.scope, &self.key)?;
                crate::log::info1(&format!("Unsetting {}", self.key));
            }
        }
        Ok(())
    }
}
