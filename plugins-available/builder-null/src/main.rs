//! The null builder: builds nothing. Selected with `builder:set APP selected null` for apps
//! whose image is made elsewhere (`git:from-image`, an image tagged `dokku/APP:latest` by
//! hand); the deploy then runs the image that is there. Its `builder-release null APP TAG`
//! fires `pre-release-builder` / `post-release-builder` around that image, as the other
//! builders do.

use anyhow::{bail, Result};
use dokku_core::plugin::{Plugin, Trigger};
use dokku_core::{builders, docker, log};

static PLUGIN: Plugin = Plugin {
    prefix: "builder-null",
    summary: "No-op builder plugin",
    commands: &[],
    bare_commands: &[],
    triggers: &[
        Trigger::new("builder-build", trigger_build),
        Trigger::new("builder-release", trigger_release),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
const BUILDER: &str = "null";

/// Trigger `builder-build BUILDER APP DIR`: when BUILDER is `null`, checks that the image to
/// deploy is there.
fn trigger_build(argv: &[String]) -> Result<()> {
    let Some((app, _dir)) = builders::build_opening(BUILDER, argv)? else {
        return Ok(());
    };
    let image = docker::app_image(app, "latest");
    if !docker::image_exists(&image) {
        bail!("{app}: the null builder builds nothing, and there is no {image} to deploy");
    }
    log::info1(&format!(
        "Skipping the build of {app} (null builder); deploying {image}"
    ));
    Ok(())
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `null`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (see
/// `docker::builder_release`).
fn trigger_release(argv: &[String]) -> Result<()> {
    docker::builder_release(BUILDER, argv)
}
