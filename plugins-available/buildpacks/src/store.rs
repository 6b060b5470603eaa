//! Where the buildpacks plugin keeps its settings, in the shared property store:
//! `buildpacks/APP/buildpacks` (the app's buildpack list, one location per line, as the shell
//! helpers `fn-plugin-property-list-*` read and write it, under the same `.buildpacks.lock`)
//! and `buildpacks/APP/stack` (the stack image; `--global` for all apps).

use anyhow::{Context, Result};
use dokku_core::property;

/// The property plugin name.
pub const PROPS: &str = "buildpacks";
/// The key of an app's buildpack list.
pub const LIST_KEY: &str = "buildpacks";
/// The key of the stack image.
pub const STACK_KEY: &str = "stack";
pub use dokku_core::buildpack::DEFAULT_STACK;

/// The buildpack list of `app`, in order (empty when none is set).
pub fn list(app: &str) -> Result<Vec<String>> {
    Ok(property::get(PROPS, app, LIST_KEY)?
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Changes the buildpack list of `app` under its lock: `f` edits the list, which is then
/// written atomically (or removed when empty). Returns the new list.
pub fn update(app: &str, f: impl FnOnce(&mut Vec<String>) -> Result<()>) -> Result<Vec<String>> {
    let dir = property::dir(PROPS, app)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = plugn::atomic::lock(&dir.join(LIST_KEY))?;
    let mut items = list(app)?;
    f(&mut items)?;
    if items.is_empty() {
        property::delete(PROPS, app, LIST_KEY)?;
    } else {
        property::write(PROPS, app, LIST_KEY, &items.join("\n"))?;
    }
    Ok(items)
}

/// The stack image set for `scope` (an app, or [`property::GLOBAL`]); `None` when unset.
pub fn stack(scope: &str) -> Result<Option<String>> {
    Ok(property::get(PROPS, scope, STACK_KEY)?.filter(|s| !s.is_empty()))
}

/// The stack image an app builds with: its own, else the global one, else `$DOKKU_IMAGE`, else
/// [`DEFAULT_STACK`].
pub fn computed_stack(app: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(s) = stack(scope)? {
            return Ok(s);
        }
    }
    Ok(std::env::var("DOKKU_IMAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_STACK.to_string()))
}

/// Checks an image name for `stack`: a docker reference (`[A-Za-z0-9._/:@-]`, not starting
/// with `-`).
pub fn validate_image(image: &str) -> Result<()> {
    let ok = !image.is_empty()
        && image.len() <= 255
        && !image.starts_with(['-', '.', '/', ':'])
        && image.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b':' | b'@' | b'-')
        });
    if !ok {
        anyhow::bail!(
            "invalid stack image {image:?}: use a docker image name such as {DEFAULT_STACK}"
        );
    }
    Ok(())
}
