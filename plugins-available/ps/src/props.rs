//! ps's properties (`ps:set [--global|APP] KEY [VALUE]`): what each accepts, its computed value
//! (the app's, else the global one, else the default) and its `ps:report` rows.

use anyhow::{bail, Result};
use dokku_core::{docker, property};

/// The keys `ps:set` accepts.
pub const KEYS: &[&str] = &[
    "dockerfile-start-cmd",
    "procfile-path",
    "restart-policy",
    "restore",
    "skip-deploy",
    "start-cmd",
    "stop-timeout-seconds",
];

/// The default of a key ("" when Dokku has none: the scheduler's own default applies).
fn default_of(key: &str) -> &'static str {
    match key {
        "procfile-path" => "Procfile",
        "restart-policy" => "on-failure:10",
        "restore" => "true",
        "skip-deploy" => "false",
        _ => "",
    }
}

/// Checks a relative path inside the repository (no leading `/`, no `.` or `..` parts).
pub fn relative_path(key: &str, p: &str) -> Result<()> {
    let bad = p.is_empty()
        || p.len() > 255
        || p.starts_with('/')
        || p.ends_with('/')
        || p.chars().any(|c| c.is_control() || c == '\\')
        || p.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        bail!("invalid {key} {p:?}: give a file path relative to the repository root, without '.' or '..' parts");
    }
    Ok(())
}

/// Checks a value of `key` (not `restart-policy`, which main checks).
pub fn validate(key: &str, v: &str) -> Result<()> {
    match key {
        "restore" | "skip-deploy" if v != "true" && v != "false" => {
            bail!("{key} must be true or false, not {v:?}")
        }
        "procfile-path" => relative_path(key, v),
        "start-cmd" | "dockerfile-start-cmd" => {
            if v.len() > 4096 || v.chars().any(|c| c.is_control()) || v.trim().is_empty() {
                bail!(
                    "invalid {key}: give one line of at most 4096 bytes without control characters"
                );
            }
            Ok(())
        }
        "stop-timeout-seconds" => {
            if !v.parse::<u32>().is_ok_and(|n| n <= 86_400) {
                bail!("stop-timeout-seconds must be a number of seconds (0 to 86400), not {v:?}");
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The computed value of `key` for `app`.
pub fn computed(app: &str, key: &str) -> Result<String> {
    crate::computed(app, key, default_of(key))
}

/// The value of a `ps:report` row for one of the keys: `ps-computed-KEY`, `ps-global-KEY` or
/// `ps-KEY`.
pub fn report_value(app: &str, field: &str) -> Result<String> {
    let Some(rest) = field.strip_prefix("ps-") else {
        bail!("unknown ps report field {field}");
    };
    if let Some(key) = rest.strip_prefix("computed-") {
        computed(app, key)
    } else if let Some(key) = rest.strip_prefix("global-") {
        property::get_or(crate::PROPS, property::GLOBAL, key, "")
    } else {
        property::get_or(crate::PROPS, app, rest, "")
    }
}

/// Whether the app's builds are released without being deployed (`skip-deploy`).
pub fn skip_deploy(app: &str) -> Result<bool> {
    Ok(computed(app, "skip-deploy")? == "true")
}

/// The command that replaces the web process's: `dockerfile-start-cmd` for an image built
/// from a Dockerfile, else `start-cmd`; `None` when neither is set.
pub fn start_cmd_override(app: &str) -> Result<Option<String>> {
    let dockerfile = computed(app, "dockerfile-start-cmd")?;
    if !dockerfile.is_empty() {
        let image = docker::app_image(app, "latest");
        let builder = docker::image_label(&image, "com.dokku.builder-type").unwrap_or_default();
        if builder == "dockerfile" {
            return Ok(Some(dockerfile));
        }
    }
    let cmd = computed(app, "start-cmd")?;
    Ok((!cmd.is_empty()).then_some(cmd))
}
