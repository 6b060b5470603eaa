//! Trigger `builds-record-finalize APP ID CODE`: when a deploy ends with a non-zero code, the
//! pending app.json of its build (kept at `post-extract`, never deployed) is dropped, so a
//! later release of another image (`dokku deploy APP TAG`, a rollback) never runs with it.

use crate::data_dir;
use anyhow::{bail, Context, Result};
use dokku_core::appname;

/// Trigger `builds-record-finalize APP ID CODE`.
pub fn trigger_finalize(argv: &[String]) -> Result<()> {
    let (Some(app), Some(code)) = (argv.first(), argv.get(2)) else {
        bail!("builds-record-finalize needs APP ID CODE");
    };
    appname::validate(app)?;
    let Ok(code) = code.parse::<i32>() else {
        bail!("builds-record-finalize: invalid exit code {code:?}");
    };
    let pending = data_dir(app).join("pending");
    if code != 0 && pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    Ok(())
}
