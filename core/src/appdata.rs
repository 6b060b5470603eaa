//! A plugin's per-app data folder through an app's life: removed at `post-delete APP`, moved
//! at `post-app-rename OLD NEW`. Each plugin names its own folder (`dir(app)`); these answer
//! the two triggers for it.

use crate::appname;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Trigger `post-delete APP`: removes `dir(APP)` when it exists (later arguments unused).
pub fn forget(argv: &[String], dir: impl Fn(&str) -> PathBuf) -> Result<()> {
    if let Some(app) = argv.first() {
        appname::validate(app)?;
        let d = dir(app);
        if d.exists() {
            std::fs::remove_dir_all(&d)
                .with_context(|| format!("cannot remove {}", d.display()))?;
        }
    }
    Ok(())
}

/// Trigger `post-app-rename OLD NEW`: moves `dir(OLD)` to `dir(NEW)` when it exists.
pub fn follow_rename(argv: &[String], dir: impl Fn(&str) -> PathBuf) -> Result<()> {
    let (Some(old), Some(new)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    appname::validate(old)?;
    appname::validate(new)?;
    let (from, to) = (dir(old), dir(new));
    if from.exists() {
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p).with_context(|| format!("cannot create {}", p.display()))?;
        }
        std::fs::rename(&from, &to).with_context(|| format!("cannot move {}", from.display()))?;
    }
    Ok(())
}

/// A JSON state file of a plugin read into `T`; `None` when the file does not exist. A file
/// that does not parse is an error naming it.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("cannot parse {}", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
