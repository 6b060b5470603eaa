//! What the builder plugins share: the opening of `builder-build BUILDER APP DIR` (is this
//! build ours, for which app, from which folder).

use anyhow::{bail, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings() {
        let argv: Vec<String> = ["dockerfile", "app", "/tmp/x"].map(String::from).to_vec();
        assert!(build_opening("herokuish", &argv).unwrap().is_none());
        assert!(build_opening("null", &argv[..2]).is_err());
    }
}
