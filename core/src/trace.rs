//! Trace mode kept on disk, where Dokku keeps it: `$DOKKU_ROOT/.dokkurc/DOKKU_TRACE` holding
//! `export DOKKU_TRACE=1`. While the file is there every command runs as with `--trace`.

use anyhow::{Context, Result};
use std::path::PathBuf;

/// The file whose presence turns trace mode on.
pub fn file() -> PathBuf {
    crate::paths()
        .dokku_root
        .join(".dokkurc")
        .join("DOKKU_TRACE")
}

/// Whether trace mode was turned on by `trace:on` (one `stat`).
pub fn persisted() -> bool {
    file().is_file()
}

/// `dokku trace:on`: turns trace mode on for every later command.
pub fn on(args: &[String]) -> Result<i32> {
    crate::builtin::check_args("trace:on", args, 0)?;
    crate::log::info1("Enabling trace mode");
    let f = file();
    if let Some(dir) = f.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    plugn::atomic::write(&f, b"export DOKKU_TRACE=1\n", 0o644)
        .with_context(|| format!("cannot write {}", f.display()))?;
    Ok(0)
}

/// `dokku trace:off`: turns trace mode off (`--trace` keeps working per command).
pub fn off(args: &[String]) -> Result<i32> {
    crate::builtin::check_args("trace:off", args, 0)?;
    crate::log::info1("Disabling trace mode");
    let f = file();
    match std::fs::remove_file(&f) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", f.display())),
    }
}
