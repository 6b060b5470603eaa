//! Atomic file writes (temp file beside, fsync, rename) and advisory locks (flock).

use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Writes `data` to `path` atomically: a temp file beside it, fsync, rename, fsync of the folder.
/// Readers see either the old or the new content, never a part.
pub fn write(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
    tmp.write_all(data)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot sync {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// flock(2) on an open file, retried when interrupted by a signal.
fn flock(file: &File, op: libc::c_int) -> std::io::Result<()> {
    loop {
        // SAFETY: flock on a valid, open descriptor owned by `file`.
        let r = unsafe { libc::flock(file.as_raw_fd(), op) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// An exclusive advisory lock, held until dropped.
pub struct Lock {
    _file: File,
}

/// The lock file that guards `path`: a hidden sibling `.NAME.lock`, so renames of `path`
/// never move the lock out from under a waiter.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

/// Opens (creating) the lock file guarding `path`.
fn open_lock_file(path: &Path) -> Result<(PathBuf, File)> {
    let lp = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lp)
        .with_context(|| format!("cannot open lock {}", lp.display()))?;
    Ok((lp, file))
}

/// Takes the exclusive lock guarding `path`, waiting for other holders.
pub fn lock(path: &Path) -> Result<Lock> {
    let (lp, file) = open_lock_file(path)?;
    flock(&file, libc::LOCK_EX).with_context(|| format!("cannot lock {}", lp.display()))?;
    Ok(Lock { _file: file })
}

/// Takes the exclusive lock guarding `path` without waiting; `Ok(None)` when another holds it.
pub fn try_lock(path: &Path) -> Result<Option<Lock>> {
    let (lp, file) = open_lock_file(path)?;
    match flock(&file, libc::LOCK_EX | libc::LOCK_NB) {
        Ok(()) => Ok(Some(Lock { _file: file })),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot lock {}", lp.display())),
    }
}
