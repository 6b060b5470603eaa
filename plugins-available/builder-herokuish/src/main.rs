//! The herokuish builder: buildpacks (Heroku's v2a `bin/detect`, `bin/compile`, `bin/release`)
//! run in a container of a local stack image (`scripts/build-stack`), committed as
//! `dokku/APP:latest`, whose `/start TYPE` and `/exec CMD` run the app's processes.
//! Triggers `builder-detect APP DIR` (names `herokuish` when buildpacks are configured and the
//! source has no Dockerfile), `builder-build herokuish APP DIR`, `builder-release herokuish APP
//! TAG`, `builder-image-is-herokuish APP IMAGE`, `post-delete APP` and `post-app-rename OLD NEW`
//! (which drop the app's build cache).

mod build;
mod cache;
mod config;
mod sources;

use anyhow::{bail, Result};
use dokku_core::plugin::{Plugin, Trigger};
use dokku_core::{appname, docker, log};
use std::path::Path;

static PLUGIN: Plugin = Plugin {
    prefix: "builder-herokuish",
    summary: "Build apps with buildpacks",
    commands: &[],
    bare_commands: &[],
    triggers: &[
        Trigger {
            name: "builder-detect",
            run: trigger_detect,
        },
        Trigger {
            name: "builder-build",
            run: trigger_build,
        },
        Trigger {
            name: "builder-release",
            run: trigger_release,
        },
        Trigger {
            name: "builder-image-is-herokuish",
            run: trigger_image_is_herokuish,
        },
        Trigger {
            name: "post-delete",
            run: trigger_post_delete,
        },
        Trigger {
            name: "post-app-rename",
            run: trigger_post_app_rename,
        },
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
pub const BUILDER: &str = "herokuish";

/// Trigger `builder-detect APP DIR`: `herokuish` when DIR has no Dockerfile and buildpacks
/// are configured (`BUILDPACK_URL`, `buildpacks:add`, or a `.buildpacks` file); else nothing.
fn trigger_detect(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        bail!("builder-detect needs APP DIR");
    };
    let dir = Path::new(dir);
    if !appname::is_valid(app) || dir.join("Dockerfile").exists() {
        return Ok(());
    }
    if sources::configured(app, dir)? {
        println!("{BUILDER}");
    }
    Ok(())
}

/// Trigger `builder-build BUILDER APP DIR`: builds with buildpacks when BUILDER is
/// `herokuish`.
fn trigger_build(argv: &[String]) -> Result<()> {
    let [builder, app, dir] = argv else {
        bail!("builder-build needs BUILDER APP DIR");
    };
    if builder != BUILDER {
        return Ok(());
    }
    appname::verify(app)?;
    build::build(app, Path::new(dir))
}

/// Trigger `builder-image-is-herokuish APP IMAGE`: `true` when IMAGE was built by this builder
/// (its `com.dokku.builder-type` label says `herokuish`), else `false` (also for a missing
/// image).
fn trigger_image_is_herokuish(argv: &[String]) -> Result<()> {
    let (Some(app), Some(image)) = (argv.first(), argv.get(1)) else {
        bail!("builder-image-is-herokuish needs APP IMAGE");
    };
    appname::validate(app)?;
    if image.is_empty() || image.starts_with('-') {
        bail!("invalid image {image:?}");
    }
    let herokuish = docker::image_label(image, build::BUILDER_LABEL).is_ok_and(|b| b == BUILDER);
    println!("{herokuish}");
    Ok(())
}

/// Trigger `post-delete APP`: removes the app's build cache.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    cache::remove(app)
}

/// Trigger `post-app-rename OLD NEW`: the cache of the old name goes (the next build of the
/// new name starts a fresh one).
fn trigger_post_app_rename(argv: &[String]) -> Result<()> {
    let Some(old) = argv.first() else {
        bail!("post-app-rename needs OLD NEW");
    };
    appname::validate(old)?;
    if let Err(e) = cache::remove(old) {
        log::warn(&format!("{e:#}"));
    }
    Ok(())
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `herokuish`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (see
/// `docker::builder_release`).
fn trigger_release(argv: &[String]) -> Result<()> {
    docker::builder_release(BUILDER, argv)
}
