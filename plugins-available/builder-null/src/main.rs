//! The null builder: builds nothing. Selected with `builder:set APP selected null` for apps
//! whose image is made elsewhere (`git:from-image`, an image tagged `dokku/APP:latest` by
//! hand); the deploy then runs the image that is there. Its `builder-release null APP TAG`
//! fires `pre-release-builder` / `post-release-builder` around that image, as the other
//! builders do.

use anyhow::{bail, Result};
use dokku_core::plugin::{Plugin, Trigger};
use dokku_core::{appname, docker, log, trigger};

static PLUGIN: Plugin = Plugin {
    prefix: "builder-null",
    summary: "A builder that builds nothing",
    commands: &[],
    bare_commands: &[],
    triggers: &[
        Trigger {
            name: "builder-build",
            run: trigger_build,
        },
        Trigger {
            name: "builder-release",
            run: trigger_release,
        },
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
const BUILDER: &str = "null";

/// Trigger `builder-build BUILDER APP DIR`.
fn trigger_build(argv: &[String]) -> Result<()> {
    let (Some(builder), Some(app)) = (argv.first(), argv.get(1)) else {
        bail!("builder-build needs BUILDER APP DIR");
    };
    if builder != BUILDER {
        return Ok(());
    }
    let image = docker::app_image(app, "latest");
    if !docker::image_exists(&image) {
        bail!("{app}: the null builder builds nothing, and there is no {image} to deploy");
    }
    log::info1(&format!(
        "Skipping the build of {app} (null builder); deploying {image}"
    ));
    Ok(())
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `null`, releases
/// `dokku/APP:IMAGE_TAG` between `pre-release-builder` and `post-release-builder` (both
/// `BUILDER APP IMAGE`, IMAGE the full image name): the image is deployed as it is.
fn trigger_release(argv: &[String]) -> Result<()> {
    let [builder, app, tag] = argv else {
        bail!("builder-release needs BUILDER APP IMAGE_TAG");
    };
    if builder != BUILDER {
        return Ok(());
    }
    appname::validate(app)?;
    if tag.is_empty()
        || tag.len() > 128
        || tag.starts_with(['.', '-'])
        || !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        bail!("invalid image tag {tag:?}");
    }
    let image = docker::app_image(app, tag);
    trigger("pre-release-builder", &[BUILDER, app, &image])?;
    trigger("post-release-builder", &[BUILDER, app, &image])
}
