//! Trigger `ps-procfile-restore APP`: the Procfile on stdin becomes the app's deployed one (an
//! empty stdin: the app has none), and a pending Procfile of a build that never deployed is
//! dropped, so the next release runs with exactly this one. `releases:rollback` fires it with
//! the recorded Procfile of the release it redeploys, and with the current release's when the
//! rollback fails. A stdin that is not a valid Procfile changes nothing.

use anyhow::{bail, Context, Result};
use dokku_core::{appname, procfile};
use std::io::Read;

/// Trigger `ps-procfile-restore APP` (the Procfile on stdin).
pub fn trigger_restore(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("ps-procfile-restore needs APP (the Procfile on stdin)");
    };
    appname::verify(app)?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the Procfile on stdin")?;
    if !text.trim().is_empty() {
        procfile::parse(&text).context("the Procfile to restore is not valid")?;
    }
    let dir = crate::store::data_dir(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cur = dir.join("Procfile");
    if text.trim().is_empty() {
        if cur.exists() {
            std::fs::remove_file(&cur)
                .with_context(|| format!("cannot remove {}", cur.display()))?;
        }
    } else {
        plugn::atomic::write(&cur, text.as_bytes(), 0o644)?;
    }
    let pending = dir.join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    Ok(())
}
