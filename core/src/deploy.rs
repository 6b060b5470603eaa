//! `dokku deploy APP [TAG]`: deploys the app's existing image `dokku/APP:TAG` (default
//! `latest`) through the release step, `release-and-deploy APP TAG`, as the deploy part of a
//! rebuild does, under the app's deploy lock.

use anyhow::{bail, Result};

/// Whether `tag` is a valid Docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// `dokku deploy APP [TAG]`.
pub fn command(args: &[String]) -> Result<i32> {
    crate::builtin::check_args("deploy", args, 2)?;
    let app = crate::appname::required(args.first())?;
    crate::appname::verify(&app)?;
    let tag = args.get(1).map(String::as_str).unwrap_or("latest");
    if !valid_tag(tag) {
        bail!("invalid image tag {tag:?}");
    }
    let image = crate::docker::app_image(&app, tag);
    if !crate::docker::image_exists(&image) {
        bail!("No image {image} to deploy; build {app} first (git push, ps:rebuild)");
    }
    let _lock = crate::deploylock::acquire(&app)?;
    crate::trigger("release-and-deploy", &[&app, tag])?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags() {
        assert!(super::valid_tag("latest"));
        assert!(super::valid_tag("v1.2_3-x"));
        assert!(!super::valid_tag(""));
        assert!(!super::valid_tag("-x"));
        assert!(!super::valid_tag("a:b"));
        assert!(!super::valid_tag(&"a".repeat(129)));
    }
}
