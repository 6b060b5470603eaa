//! Files read from an app's pushed source tree: only regular files that stay inside it.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// The text of `rel` under the source folder `dir`, `None` when it is not a file there; fails
/// when it resolves (through a symlink) outside `dir`.
pub fn read_inside(dir: &Path, rel: &str) -> Result<Option<String>> {
    let src = dir.join(rel);
    if !src.is_file() {
        return Ok(None);
    }
    let root =
        std::fs::canonicalize(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let real = std::fs::canonicalize(&src).with_context(|| format!("cannot resolve {rel}"))?;
    if !real.starts_with(&root) {
        bail!("{rel} points outside the app's source");
    }
    let text = std::fs::read_to_string(&real).with_context(|| format!("cannot read {rel}"))?;
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_inside_only() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(src.join("app.json"), "{}").unwrap();
        std::fs::write(d.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink("../secret", src.join("out")).unwrap();
        std::os::unix::fs::symlink("app.json", src.join("in")).unwrap();
        assert_eq!(
            read_inside(&src, "app.json").unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(read_inside(&src, "in").unwrap().as_deref(), Some("{}"));
        assert!(read_inside(&src, "missing").unwrap().is_none());
        assert!(read_inside(&src, "out").is_err());
    }
}
