//! App names: Dokku's rule (`^[a-z0-9][a-z0-9.-]*$`) and at most 63 bytes, so that
//! `APP.domain` stays a valid host name; and where an app lives.

use crate::Exit;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// The longest app name accepted, in bytes (one DNS label).
pub const MAX_APP_NAME: usize = 63;

/// Checks an app name, with Dokku's message for a bad one.
pub fn validate(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("APP must not be empty");
    }
    let b = name.as_bytes();
    let ok = (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
    if !ok {
        bail!("App name must begin with lowercase alphanumeric character, and cannot include uppercase characters, colons, or underscores");
    }
    if name.len() > MAX_APP_NAME {
        bail!(
            "App name must be at most {MAX_APP_NAME} characters long (got {}) so that it stays a valid host name",
            name.len()
        );
    }
    Ok(())
}

/// Whether `name` is a valid app name.
pub fn is_valid(name: &str) -> bool {
    validate(name).is_ok()
}

/// The folder of an app: `$DOKKU_ROOT/APP`.
pub fn app_dir(app: &str) -> PathBuf {
    crate::paths().dokku_root.join(app)
}

/// Whether the app exists (its folder does).
pub fn exists(app: &str) -> bool {
    is_valid(app) && app_dir(app).is_dir()
}

/// The names of every app, sorted: folders of `$DOKKU_ROOT` whose names are valid app names.
pub fn all() -> Result<Vec<String>> {
    let root = &crate::paths().dokku_root;
    let rd = match std::fs::read_dir(root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", root.display())),
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_valid(n))
        .collect();
    names.sort_unstable();
    Ok(names)
}

/// Checks that `app` is a valid name of an existing app, as Dokku's `verify_app_name`.
pub fn verify(app: &str) -> Result<()> {
    validate(app)?;
    if !app_dir(app).is_dir() {
        bail!("App {app} does not exist");
    }
    Ok(())
}

/// Takes the app argument from a command's positionals, or fails with Dokku's message.
pub fn required(app: Option<&String>) -> Result<String> {
    match app {
        Some(a) if !a.is_empty() => Ok(a.clone()),
        _ => {
            crate::log::error("Please specify an app to run the command on");
            Err(Exit(1).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "app", "my-app.v2", "0x", &"a".repeat(63)] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "A",
            "a_b",
            "-x",
            ".x",
            "a:b",
            "a b",
            "a/b",
            &"a".repeat(64),
            "é",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
