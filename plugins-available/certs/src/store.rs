//! Where an app's certificate lives, as in Dokku: `$DOKKU_ROOT/APP/tls/server.crt` (0644) and
//! `server.key` (0600) in a folder only its owner may enter (0700). A pair is checked with
//! openssl in a private temp folder before it is installed; both files are then written
//! atomically under the app's certs lock (`APP/.tls.lock`).

use crate::openssl;
use anyhow::{Context, Result};
use dokku_core::appname;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The app's tls folder.
pub fn tls_dir(app: &str) -> PathBuf {
    appname::app_dir(app).join("tls")
}

/// The app's certificate file.
pub fn crt_path(app: &str) -> PathBuf {
    tls_dir(app).join("server.crt")
}

/// The app's key file.
pub fn key_path(app: &str) -> PathBuf {
    tls_dir(app).join("server.key")
}

/// Whether the app has a certificate and its key.
pub fn exists(app: &str) -> bool {
    crt_path(app).is_file() && key_path(app).is_file()
}

fn lock(app: &str) -> Result<plugn::atomic::Lock> {
    plugn::atomic::lock(&tls_dir(app))
}

/// A private temp folder in the app's folder (same file system, mode 0700).
pub fn work_dir(app: &str) -> Result<tempfile::TempDir> {
    plugn::atomic::private_dir_in(&appname::app_dir(app), ".certs-")
        .context("cannot create a temp folder for the certificate")
}

/// Checks a certificate and key held in memory, then installs them as the app's.
pub fn install(app: &str, crt: &[u8], key: &[u8]) -> Result<()> {
    let work = work_dir(app)?;
    let (c, k) = (
        work.path().join("server.crt"),
        work.path().join("server.key"),
    );
    plugn::atomic::write(&c, crt, 0o600)?;
    plugn::atomic::write(&k, key, 0o600)?;
    install_checked(app, &c, &k)
}

/// Checks the pair at `crt`/`key` (files the caller controls), then installs it as the app's.
pub fn install_checked(app: &str, crt: &Path, key: &Path) -> Result<()> {
    openssl::check_pair(crt, key)?;
    let crt_data = std::fs::read(crt).with_context(|| format!("cannot read {}", crt.display()))?;
    let key_data = std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?;
    let _lock = lock(app)?;
    let dir = tls_dir(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
    plugn::atomic::write(&key_path(app), &key_data, 0o600)?;
    plugn::atomic::write(&crt_path(app), &crt_data, 0o644)
}

/// Removes the app's tls folder; whether there was a certificate.
pub fn remove(app: &str) -> Result<bool> {
    let _lock = lock(app)?;
    let had = exists(app);
    let dir = tls_dir(app);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(had),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(had),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", dir.display())),
    }
}
