//! The release records of an app: `$DOKKU_LIB_ROOT/data/releases/APP/releases.json` (every
//! release, oldest first) and `env/vN.json` (the ENV snapshot of each, mode 0600), written
//! atomically under the app's releases lock.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The plugin's name for its properties (`keep`).
pub const PROPS: &str = "releases";

/// How many releases keep their image when `keep` is not set.
pub const DEFAULT_KEEP: usize = 5;

/// A release went out and served (or serves).
pub const DEPLOYED: &str = "deployed";
/// A release a rollback replaced.
pub const ROLLED_BACK: &str = "rolled back";
/// A deploy or rollback that did not come up: the release before it kept serving.
pub const FAILED: &str = "failed";

/// One release of an app.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Release {
    /// Its number: `vN`.
    pub version: u64,
    /// What made it: `deploy`, `config` (a config change that restarted the app) or `rollback`.
    pub kind: String,
    /// The release it rolled back to, for a rollback.
    #[serde(default)]
    pub rollback_of: Option<u64>,
    /// How it ended: deployed, rolled back, failed.
    pub status: String,
    /// The image id it ran.
    pub image_id: String,
    /// Its own tag of that image (`dokku/APP:release-vN`), kept until pruned.
    pub image: String,
    /// Whether its tag was removed (past `keep`).
    #[serde(default)]
    pub pruned: bool,
    /// The git revision deployed (`git-revision APP`), empty when unknown.
    pub git_rev: String,
    /// The builder that made the image (its `com.dokku.builder-type` label).
    pub builder: String,
    /// The Procfile in force, empty when none.
    pub procfile: String,
    /// app.json as `app-json-get-content` gave it, empty when none.
    pub app_json: String,
    /// The config keys the release ran with (values are in the 0600 snapshot only).
    pub config_keys: Vec<String>,
    /// The SSH key name of whoever deployed (`SSH_NAME`), `default` when run locally.
    pub ssh_name: String,
    /// The SSH key fingerprint (`SSH_FINGERPRINT`), empty when run locally.
    pub ssh_fingerprint: String,
    /// When, in seconds since the epoch.
    pub created_at: u64,
}

/// The app's releases folder.
pub fn dir(app: &str) -> PathBuf {
    dokku_core::paths().lib_root.join("data/releases").join(app)
}

fn file(app: &str) -> PathBuf {
    dir(app).join("releases.json")
}

/// The deploy running now: `BUILD_ID IMAGE_ID`, written at `pre-deploy`.
pub fn pending_file(app: &str) -> PathBuf {
    dir(app).join("pending")
}

/// The ENV snapshot file of release `version`.
pub fn env_file(app: &str, version: u64) -> PathBuf {
    dir(app).join("env").join(format!("v{version}.json"))
}

/// Holds the app's releases lock until dropped.
pub fn lock(app: &str) -> Result<plugn::atomic::Lock> {
    let d = dir(app);
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    plugn::atomic::lock(&file(app))
}

/// The app's releases, oldest first (none when it has no record yet).
pub fn load(app: &str) -> Result<Vec<Release>> {
    let f = file(app);
    match std::fs::read_to_string(&f) {
        Ok(text) => {
            serde_json::from_str(&text).with_context(|| format!("{} is corrupt", f.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", f.display())),
    }
}

/// Writes the app's releases atomically (call with the lock held).
pub fn save(app: &str, releases: &[Release]) -> Result<()> {
    let text = serde_json::to_string_pretty(releases)?;
    plugn::atomic::write(&file(app), text.as_bytes(), 0o644)
}

/// Writes the ENV snapshot of a release, readable by its owner only.
pub fn save_env(app: &str, version: u64, env: &str) -> Result<()> {
    let d = dir(app).join("env");
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    plugn::atomic::write(&env_file(app, version), env.as_bytes(), 0o600)
}

/// The current release: the newest one that deployed.
pub fn current(releases: &[Release]) -> Option<&Release> {
    releases.iter().rev().find(|r| r.status == DEPLOYED)
}

/// The release a rollback goes to by default: the newest deployed release before the current
/// one whose image is still kept.
pub fn rollback_target(releases: &[Release]) -> Option<&Release> {
    let cur = current(releases)?;
    releases
        .iter()
        .rev()
        .find(|r| r.version < cur.version && r.status == DEPLOYED && !r.pruned)
}

/// `keep` of the app, else the global one, else 5.
pub fn keep(app: &str) -> Result<usize> {
    let own = dokku_core::property::get(PROPS, app, "keep")?;
    let v = match own {
        Some(v) => Some(v),
        None => dokku_core::property::get(PROPS, dokku_core::property::GLOBAL, "keep")?,
    };
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_KEEP))
}

/// Parses `vN` (or `N`) into N.
pub fn parse_version(s: &str) -> Result<u64> {
    let n = s.strip_prefix('v').unwrap_or(s);
    match n.parse::<u64>() {
        Ok(v) if v > 0 && !n.starts_with('+') => Ok(v),
        _ => anyhow::bail!("invalid release {s:?}: give vN (e.g. v3)"),
    }
}
