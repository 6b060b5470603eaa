//! Named storage entries (Dokku 0.38's model): one JSON file per entry in
//! `$DOKKU_LIB_ROOT/data/storage-registry/entries/NAME.json`, a host folder or a docker volume
//! that apps mount by name. Every change to entries and attachments happens under one registry
//! lock ([`lock`]), and every file is written atomically.

use crate::mounts;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The on-disk schema version written into each entry.
pub const SCHEMA_VERSION: u32 = 1;
/// The only scheduler whose entries this installation serves.
pub const DOCKER_LOCAL: &str = "docker-local";
/// The prefix reserved for the entries `storage:migrate` makes of legacy mounts.
pub const LEGACY_PREFIX: &str = "legacy-";
/// The longest entry name (Dokku's limit).
pub const MAX_NAME: usize = 45;

/// One storage entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's name (a DNS-1123 label).
    pub name: String,
    /// Always `docker-local` here.
    pub scheduler: String,
    /// An absolute host folder, or a docker volume name.
    pub host_path: String,
    /// The `--chown` option the folder was created with (empty: none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chown: String,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
}

impl Entry {
    /// Whether the entry is a docker volume rather than a host folder.
    pub fn is_volume(&self) -> bool {
        !self.host_path.starts_with('/')
    }
}

/// `$DOKKU_LIB_ROOT/data/storage-registry`.
pub fn registry_dir() -> PathBuf {
    dokku_core::paths()
        .lib_root
        .join("data")
        .join("storage-registry")
}

fn entries_dir() -> PathBuf {
    registry_dir().join("entries")
}

fn entry_file(name: &str) -> PathBuf {
    entries_dir().join(format!("{name}.json"))
}

/// Takes the registry lock (entries and every app's attachments), held until dropped.
pub fn lock() -> Result<plugn::atomic::Lock> {
    let dir = registry_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    plugn::atomic::lock(&dir.join("registry"))
}

/// Checks an entry name: a DNS-1123 label of at most 45 characters, not starting with the
/// reserved `legacy-` unless `allow_legacy`.
pub fn validate_name(name: &str, allow_legacy: bool) -> Result<()> {
    if name.is_empty() {
        bail!("storage entry name is required");
    }
    if name.len() > MAX_NAME {
        bail!("storage entry name {name:?} is too long (max {MAX_NAME} characters)");
    }
    let b = name.as_bytes();
    let ok = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if !ok {
        bail!("storage entry name {name:?} must be a DNS-1123 label (lowercase letters, digits and dashes; not starting or ending with a dash)");
    }
    if !allow_legacy && name.starts_with(LEGACY_PREFIX) {
        bail!(
            "storage entry name {name:?} must not start with the reserved prefix {LEGACY_PREFIX:?}"
        );
    }
    Ok(())
}

/// Checks and normalizes a host path or docker volume name given for an entry.
pub fn normalize_host_path(path: &str) -> Result<String> {
    if path.starts_with('/') {
        mounts::check_chars("Host", path)?;
        let p = mounts::normalize_path("Host", path)?;
        if p == "/" {
            bail!("Host path must not be / itself");
        }
        Ok(p)
    } else if mounts::is_volume_name(path) {
        Ok(path.to_string())
    } else {
        bail!("storage entry path {path:?} must be an absolute path or a docker volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)")
    }
}

/// Whether an entry of that name is registered.
pub fn exists(name: &str) -> bool {
    validate_name(name, true).is_ok() && entry_file(name).is_file()
}

/// Reads a registered entry.
pub fn load(name: &str) -> Result<Entry> {
    validate_name(name, true)?;
    let path = entry_file(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("storage entry {name:?} does not exist")
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

/// Writes an entry atomically (the caller holds [`lock`]).
pub fn save(entry: &Entry) -> Result<()> {
    let dir = entries_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = serde_json::to_string_pretty(entry)?;
    text.push('\n');
    plugn::atomic::write(&entry_file(&entry.name), text.as_bytes(), 0o600)
}

/// Removes an entry's file (the caller holds [`lock`]).
pub fn delete(name: &str) -> Result<()> {
    let path = entry_file(name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// Every registered entry, sorted by name.
pub fn list() -> Result<Vec<Entry>> {
    let dir = entries_dir();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .filter(|n| validate_name(n, true).is_ok())
        .collect();
    names.sort();
    names.iter().map(|n| load(n)).collect()
}

/// The deterministic entry Dokku derives from a legacy `HOST:CONTAINER` mount:
/// `legacy-` + the first 10 hex digits of SHA-1 of the host path (`vol:NAME` for a volume).
pub fn legacy_entry(host: &str) -> Entry {
    let input = if host.starts_with('/') {
        host.to_string()
    } else {
        format!("vol:{host}")
    };
    let hash = crate::sha1::hex(input.as_bytes());
    Entry {
        name: format!("{LEGACY_PREFIX}{}", &hash[..10]),
        scheduler: DOCKER_LOCAL.to_string(),
        host_path: host.to_string(),
        chown: String::new(),
        annotations: BTreeMap::new(),
        labels: BTreeMap::new(),
        schema_version: SCHEMA_VERSION,
    }
}

/// Checks a label or annotation key: `[A-Za-z0-9._/-]`, 1 to 253 characters.
pub fn validate_meta_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        bail!("No {what} key specified");
    }
    if key.len() > 253
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
    {
        bail!(
            "Invalid {what} key {key:?}: use letters, digits, '.', '_', '/' and '-' (at most 253)"
        );
    }
    Ok(())
}

/// Checks a label or annotation value: no control characters, at most 4096 bytes.
pub fn validate_meta_value(what: &str, value: &str) -> Result<()> {
    if value.len() > 4096 || value.chars().any(char::is_control) {
        bail!("Invalid {what} value: no control characters, at most 4096 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "data", "my-data-1", "legacy-x"] {
            assert!(validate_name(good, true).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", "a/b", &"x".repeat(46)] {
            assert!(validate_name(bad, true).is_err(), "{bad}");
        }
        assert!(validate_name("legacy-x", false).is_err());
        assert_eq!(normalize_host_path("/srv//x/").unwrap(), "/srv/x");
        assert_eq!(normalize_host_path("vol-1").unwrap(), "vol-1");
        for bad in ["/a/../b", "rel/x", "/", "/a b", "-v"] {
            assert!(normalize_host_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_names_are_stable() {
        let e = legacy_entry("/var/lib/dokku/data/storage/x");
        assert!(e.name.starts_with("legacy-") && e.name.len() == 17);
        assert_eq!(e.name, legacy_entry("/var/lib/dokku/data/storage/x").name);
        assert_ne!(legacy_entry("x").name, legacy_entry("/x").name);
    }
}
