//! Trigger `builds-record-finalize APP ID CODE`: when a deploy ends with a non-zero code, the
//! pending app.json of its build (kept at `post-extract`, never deployed) is dropped, so a
//! later release of another image (`dokku deploy APP TAG`, a rollback) never runs with it.

use crate::data_dir;
use anyhow::{Context, Result};

/// Trigger `builds-record-finalize APP ID CODE`.
pub fn trigger_finalize(argv: &[String]) -> Result<()> {
    let (app, _, code) = dokku_core::buildrec::finalize_args(argv)?;
    let pending = data_dir(app).join("pending");
    if code != 0 && pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    Ok(())
}
