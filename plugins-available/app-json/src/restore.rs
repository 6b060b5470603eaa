//! Trigger `app-json-restore APP`: the app.json on stdin becomes the app's deployed one (an
//! empty stdin: the app has none), and a pending app.json of a build that never deployed is
//! dropped, so the next release runs with exactly this one. `releases:rollback` fires it with
//! the recorded app.json of the release it redeploys, and with the current release's when the
//! rollback fails. A stdin that is not a valid app.json changes nothing.

use crate::{data_dir, validate, FILE};
use anyhow::{bail, Context, Result};
use dokku_core::appname;
use std::io::Read;

/// Trigger `app-json-restore APP` (the app.json on stdin).
pub fn trigger_restore(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("app-json-restore needs APP (the app.json on stdin)");
    };
    appname::verify(app)?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the app.json on stdin")?;
    let text = if text.trim().is_empty() {
        None
    } else {
        Some(validate::content(&text).context("the app.json to restore is not valid")?)
    };
    let dir = data_dir(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cur = dir.join(FILE);
    match text {
        Some(t) => plugn::atomic::write(&cur, t.as_bytes(), 0o644)?,
        None if cur.exists() => std::fs::remove_file(&cur)
            .with_context(|| format!("cannot remove {}", cur.display()))?,
        None => {}
    }
    let pending = dir.join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending)
            .with_context(|| format!("cannot clear {}", pending.display()))?;
    }
    Ok(())
}
