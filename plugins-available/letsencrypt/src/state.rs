//! Each app's letsencrypt data: `$DOKKU_LIB_ROOT/data/letsencrypt/APP/` holds `state.json`
//! (enabled, domains, expiry, last renewal, last error), `webroot/` (the http-01 challenge
//! folder nginx answers from while the app is enabled) and `lego/` (lego's account and
//! certificates). Changes happen under the app's lock; `state.json` is written atomically.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What the plugin knows of one app.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct State {
    /// The names of the certificate.
    pub domains: Vec<String>,
    /// When the certificate expires (Unix seconds).
    pub expires_at: u64,
    /// When it was last obtained (Unix seconds).
    pub renewed_at: u64,
    /// The last failure to obtain or renew it (empty after a success).
    #[serde(default)]
    pub last_error: String,
    /// When that failure happened (Unix seconds).
    #[serde(default)]
    pub last_error_at: u64,
    /// Whether the certificate was revoked.
    #[serde(default)]
    pub revoked: bool,
}

/// The app's folder.
pub fn dir(app: &str) -> PathBuf {
    dokku_core::paths()
        .lib_root
        .join("data/letsencrypt")
        .join(app)
}

/// The http-01 challenge folder.
pub fn webroot(app: &str) -> PathBuf {
    dir(app).join("webroot")
}

/// lego's `--path`.
pub fn lego_path(app: &str) -> PathBuf {
    dir(app).join("lego")
}

fn file(app: &str) -> PathBuf {
    dir(app).join("state.json")
}

/// Takes the app's lock (made with its folder).
pub fn lock(app: &str) -> Result<plugn::atomic::Lock> {
    let d = dir(app);
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    plugn::atomic::lock(&d.join("state"))
}

/// The app's state, `None` when letsencrypt is not enabled for it.
pub fn load(app: &str) -> Result<Option<State>> {
    dokku_core::appdata::read_json(&file(app))
}

/// Writes the app's state atomically.
pub fn save(app: &str, s: &State) -> Result<()> {
    let data = serde_json::to_vec_pretty(s)?;
    plugn::atomic::write(&file(app), &data, 0o600)
}

/// Forgets the app: its state, challenge folder and lego's files.
pub fn remove(app: &str) -> Result<()> {
    let d = dir(app);
    match std::fs::remove_dir_all(&d) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", d.display()))
        }
        _ => Ok(()),
    }
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
