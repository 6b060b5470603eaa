//! The app's config as a build sees it: merged over the global config, read through the
//! `config-export` trigger (so that a replacement config plugin is honoured), and laid out as
//! Heroku's ENV_DIR (one file per var, the value as is).

use anyhow::{Context, Result};
use dokku_core::envfile;
use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The app's config merged over the global one.
pub fn merged(app: &str) -> Result<BTreeMap<String, String>> {
    dokku_core::app_config(app)
}

/// Writes `vars` into `dir` as an ENV_DIR: a file per var (mode 0600), named by the key.
pub fn write_env_dir(vars: &BTreeMap<String, String>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (k, v) in vars {
        // Keys come from the config store, which checks them; a stray one is left out.
        if envfile::validate_key(k).is_err() {
            continue;
        }
        let path = dir.join(k);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        std::io::Write::write_all(&mut f, v.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
