//! The app's config as a build sees it: merged over the global config, read through the
//! `config-export` trigger (so that a replacement config plugin is honoured), and laid out as
//! Heroku's ENV_DIR (one file per var, the value as is).

use anyhow::{bail, Context, Result};
use dokku_core::envfile;
use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The app's config merged over the global one.
pub fn merged(app: &str) -> Result<BTreeMap<String, String>> {
    let args: Vec<String> = [app, "false", "true", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let o = plugn::fire(
        dokku_core::paths(),
        "config-export",
        &args,
        plugn::Input::Null,
        plugn::Output::Capture,
    )?;
    if o.code != 0 {
        bail!(
            "cannot read the config of {app} (config-export exited {})",
            o.code
        );
    }
    let text = String::from_utf8_lossy(&o.stdout);
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text.trim())
        .context("config-export answered something other than a JSON object of strings")
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
