//! App names and where an app lives. One rule, in two parts:
//! - a NEW app's name (`apps:create`, the target of `apps:rename`/`apps:clone`, a push that
//!   creates the app) follows Dokku's rule `^[a-z0-9][a-z0-9.-]*$` and is at most 63 bytes, so
//!   that `APP.domain` stays a valid host name ([`validate_new`]);
//! - a name that REFERS to an app (every other command and trigger) may also be a legacy name,
//!   as an old Dokku created them: underscores allowed, up to 255 bytes
//!   (`^[a-z0-9][a-z0-9._-]*$`, no `..`) ([`validate`]); commands then check that its folder
//!   exists ([`verify`]).
//!
//! Neither part lets a name hold `/`, `..` (legacy), a leading `-` or `.`, a space, a quote or a
//! control character, so a name is always one safe path component and one shell word.

use crate::Exit;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// The longest app name accepted, in bytes (one DNS label).
pub const MAX_APP_NAME: usize = 63;

/// The longest legacy app name accepted (a file name), in bytes.
pub const MAX_LEGACY_APP_NAME: usize = 255;

/// Whether `name` follows the legacy rule of names an old Dokku created and that may exist on
/// disk: `^[a-z0-9][a-z0-9._-]*$`, no `..`, at most [`MAX_LEGACY_APP_NAME`] bytes.
pub fn is_legacy(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LEGACY_APP_NAME
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'_'
        })
        && !name.contains("..")
}

/// Checks a name that refers to an app: today's rule ([`validate_new`]) or the legacy rule
/// ([`is_legacy`]); Dokku's message for a name that follows neither.
pub fn validate(name: &str) -> Result<()> {
    match validate_new(name) {
        Err(_) if is_legacy(name) => Ok(()),
        r => r,
    }
}

/// Checks the name of a NEW app (today's rule), with Dokku's message for a bad one.
pub fn validate_new(name: &str) -> Result<()> {
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

/// Whether `name` may name an app (today's rule or the legacy one, see [`validate`]).
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

/// The names of every app, sorted: folders of `$DOKKU_ROOT` whose names may name an app
/// (legacy names included).
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

/// Checks that `app` names an existing app (a legacy name included), as Dokku's
/// `verify_app_name`.
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
            assert!(validate_new(ok).is_ok(), "{ok}");
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for legacy in ["my_app", "a_", "0_x.y-z", &"a".repeat(64), &"b".repeat(255)] {
            assert!(validate_new(legacy).is_err(), "{legacy}");
            assert!(validate(legacy).is_ok(), "{legacy}");
        }
        for never in [
            "_a",
            "a/b",
            "a_..b",
            "-a",
            ".a",
            "A_b",
            "a b",
            "a\nb",
            "a\u{7f}",
            "a'b",
            "a:b",
            &"c".repeat(256),
        ] {
            assert!(validate(never).is_err(), "{never:?}");
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
            assert!(validate_new(bad).is_err(), "{bad}");
        }
    }
}
