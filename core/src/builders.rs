//! What the builder plugins share: the opening of `builder-build BUILDER APP DIR` (is this
//! build ours, for which app, from which folder) and Dokku's detection order, so that a
//! builder's `builder-detect` can ask the others whether one of them claims the app first
//! without naming them.

use anyhow::{bail, Result};

/// The builders in Dokku's detection order (after an app's selected builder, which the
/// builder plugin answers first): buildpacks configured win over a `project.toml`, which wins
/// over a Dockerfile. A name not listed here (a selected builder, a third-party one) ranks
/// after them all.
pub const DETECT_ORDER: &[&str] = &["herokuish", "pack", "dockerfile"];

/// Set in the environment of a `builder-detect` fired by [`claimed_before`]: each plugin then
/// answers its own detection only, without asking the others (no mutual recursion).
pub const DETECT_OWN_ENV: &str = "DOKKU_BUILDER_DETECT_OWN";

/// The opening of trigger `builder-build BUILDER APP DIR` for the builder named `own`:
/// `None` when BUILDER is another builder (nothing to do), else the app (which must exist)
/// and the source folder.
pub fn build_opening<'a>(own: &str, argv: &'a [String]) -> Result<Option<(&'a str, &'a str)>> {
    let [builder, app, dir] = argv else {
        bail!("builder-build needs BUILDER APP DIR");
    };
    if builder != own {
        return Ok(None);
    }
    crate::appname::verify(app)?;
    Ok(Some((app.as_str(), dir.as_str())))
}

fn rank(builder: &str) -> usize {
    DETECT_ORDER
        .iter()
        .position(|b| *b == builder)
        .unwrap_or(DETECT_ORDER.len())
}

/// Whether another enabled plugin's `builder-detect APP DIR` names a builder that comes
/// before `own` in [`DETECT_ORDER`] (`plugin` is the asking plugin, which is not asked).
/// Inside such a question (see [`DETECT_OWN_ENV`]) it is always false.
pub fn claimed_before(plugin: &str, own: &str, app: &str, dir: &str) -> Result<bool> {
    let mine = rank(own);
    if mine == 0 || std::env::var_os(DETECT_OWN_ENV).is_some() {
        return Ok(false);
    }
    std::env::set_var(DETECT_OWN_ENV, "1");
    let o = plugn::trigger::fire_where(
        crate::paths(),
        "builder-detect",
        &[app.to_string(), dir.to_string()],
        plugn::trigger::Input::Null,
        plugn::trigger::Output::Capture,
        &|p| p.name != plugin,
    );
    std::env::remove_var(DETECT_OWN_ENV);
    let o = o?;
    Ok(o.success()
        && o.text()
            .lines()
            .map(str::trim)
            .any(|b| !b.is_empty() && rank(b) < mine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_and_ranks() {
        let argv: Vec<String> = ["dockerfile", "app", "/tmp/x"].map(String::from).to_vec();
        assert!(build_opening("herokuish", &argv).unwrap().is_none());
        assert!(build_opening("null", &argv[..2]).is_err());
        assert!(rank("herokuish") < rank("pack") && rank("pack") < rank("dockerfile"));
        assert_eq!(rank("null"), DETECT_ORDER.len());
    }
}
