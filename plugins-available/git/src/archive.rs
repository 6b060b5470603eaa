//! Unpacking an uploaded archive for `git:from-archive`: the one archive check of dokku
//! (`plugn::archive`: files, folders and in-tree symlinks only, every member checked before
//! anything is written, within the app's `archive-max-size` and `archive-max-files`), then the
//! folder that holds the app.

use anyhow::{Context, Result};
use std::fs::File;
use std::path::Path;

pub use plugn::archive::Kind;

/// Checks every member of `file`, then unpacks it into `dest` (an empty folder) within the
/// caps of `app`; `kind`, when given, must be what the file is.
pub fn unpack(app: &str, file: &mut File, kind: Option<Kind>, dest: &Path) -> Result<()> {
    let limits = crate::settings::archive_limits(app)?;
    plugn::archive::unpack(file, kind, dest, limits, "the app folder")
}

/// When `dir` holds nothing but one folder (as most archives of a project do), that folder's
/// contents are the app; returns the folder to build.
pub fn app_root(dir: &Path) -> Result<std::path::PathBuf> {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .collect();
    if let [only] = &entries[..] {
        if only.file_type().is_ok_and(|t| t.is_dir()) {
            return Ok(only.path());
        }
    }
    Ok(dir.to_path_buf())
}
