//! Atomic file writes (temp file beside, fsync, rename), advisory locks (flock), and private
//! temp folders. Every temp file and folder is named `BASE<pid>-RANDOM`, so that one left by a
//! killed process is known as stale (its process is gone) and swept by the next writer.

use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How old a temp file or folder of a gone process must be before it is swept: a margin
/// against a PID reused, or a writer in another PID namespace.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// The family of the work folders made in the system temp folder (`/tmp/dokku-*`).
pub const TEMP_FAMILY: &str = "dokku-";

/// The prefix of a temp file or folder this process owns: `BASE<pid>-`.
pub fn owned_prefix(base: &str) -> String {
    format!("{base}{}-", std::process::id())
}

/// The owner of a temp name `BASE…<pid>-RANDOM` (RANDOM alphanumeric), when it is one.
fn owner_pid(name: &str, base: &str) -> Option<i32> {
    if !name.starts_with(base) {
        return None;
    }
    let mut parts = name.rsplitn(3, '-');
    let random = parts.next()?;
    let pid = parts.next()?;
    let head = parts.next()?;
    let ok = !random.is_empty()
        && random.bytes().all(|b| b.is_ascii_alphanumeric())
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && format!("{head}-").len() >= base.len();
    ok.then(|| pid.parse::<i32>().ok().filter(|p| *p > 0))
        .flatten()
}

/// Whether process `pid` exists (kill(pid, 0); one of another user counts).
#[allow(unsafe_code)]
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes, in `dir`, the temp files and folders named `BASE…<pid>-RANDOM` that this user owns,
/// whose process is gone and that were not touched for [`STALE_AFTER`]. Never follows a
/// symlink; what cannot be removed (raced by another sweeper, another user's) is left.
#[allow(unsafe_code)]
pub fn sweep(dir: &Path, base: &str) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| owner_pid(n, base)) else {
            continue;
        };
        if pid as u32 == std::process::id() || alive(pid) {
            continue;
        }
        let path = e.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if !old || meta.uid() != me {
            continue;
        }
        let _ = if meta.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
    }
}

/// A private (0700) folder `DIR/BASE<pid>-RANDOM`, removed with its contents when dropped;
/// stale ones of the same `BASE` in `dir` are swept first.
pub fn private_dir_in(dir: &Path, base: &str) -> Result<tempfile::TempDir> {
    sweep(dir, base);
    tempfile::Builder::new()
        .prefix(&owned_prefix(base))
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(dir)
        .with_context(|| format!("cannot create a temp folder in {}", dir.display()))
}

/// A private (0700) work folder in the system temp folder, `/tmp/BASE<pid>-RANDOM` (`BASE`
/// starts with `dokku-`), removed when dropped; stale `/tmp/dokku-*` folders are swept first.
pub fn private_dir(base: &str) -> Result<tempfile::TempDir> {
    let tmp = std::env::temp_dir();
    sweep(&tmp, TEMP_FAMILY);
    tempfile::Builder::new()
        .prefix(&owned_prefix(base))
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(&tmp)
        .with_context(|| format!("cannot create a temp folder in {}", tmp.display()))
}

/// Writes `data` to `path` atomically: a temp file beside it (`.tmp-<pid>-RANDOM`, stale ones
/// swept first), fsync, rename, fsync of the folder. Readers see either the old or the new
/// content, never a part.
pub fn write(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    sweep(dir, ".tmp-");
    let mut tmp = tempfile::Builder::new()
        .prefix(&owned_prefix(".tmp-"))
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
#[allow(unsafe_code)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_of_temp_names() {
        assert_eq!(owner_pid(".tmp-123-aB9xYz", ".tmp-"), Some(123));
        assert_eq!(
            owner_pid("dokku-my-app-build-77-Q1w2e3", "dokku-"),
            Some(77)
        );
        assert_eq!(owner_pid(".tmp-aB9xYz", ".tmp-"), None);
        assert_eq!(owner_pid("dokku-ssh-keys-Q1w2e3", "dokku-"), None);
        assert_eq!(owner_pid("other-1-abc", "dokku-"), None);
        assert_eq!(owner_pid("dokku-1-a-b", "dokku-"), None);
        assert_eq!(owner_pid(".tmp-0-abc", ".tmp-"), None);
    }

    #[test]
    fn sweeps_only_stale_ones_of_gone_processes() {
        let d = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        let set_old = |p: &Path| {
            File::options()
                .write(true)
                .open(p)
                .or_else(|_| File::open(p))
                .unwrap()
                .set_modified(old)
                .unwrap();
        };
        // A PID that is gone: a child that has been reaped.
        let mut c = std::process::Command::new("true").spawn().unwrap();
        c.wait().unwrap();
        let gone = c.id();
        let stale = d.path().join(format!(".tmp-{gone}-abc123"));
        let fresh = d.path().join(format!(".tmp-{gone}-def456"));
        let live = d.path().join(format!(".tmp-{}-ghi789", std::process::id()));
        let stale_dir = d.path().join(format!("dokku-x-build-{gone}-jkl012"));
        for p in [&stale, &fresh, &live] {
            fs::write(p, b"x").unwrap();
        }
        fs::create_dir(&stale_dir).unwrap();
        fs::write(stale_dir.join("f"), b"x").unwrap();
        for p in [&stale, &live, &stale_dir] {
            set_old(p);
        }
        sweep(d.path(), ".tmp-");
        sweep(d.path(), "dokku-");
        assert!(!stale.exists() && !stale_dir.exists());
        assert!(fresh.exists() && live.exists());
        let p = private_dir_in(d.path(), "dokku-y-").unwrap();
        let mode = fs::metadata(p.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let name = p.path().file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(owner_pid(&name, "dokku-"), Some(std::process::id() as i32));
    }
}
