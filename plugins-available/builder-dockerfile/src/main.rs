//! The dockerfile builder: `builder-detect` names `dockerfile` when the source has a
//! `Dockerfile`; `builder-build dockerfile APP DIR` runs `docker build` with the app's build
//! options (`docker-args-build`), Dokku's labels, and the tag `dokku/APP:latest`, its output
//! streaming as it comes. Fires `pre-build-dockerfile APP` then `pre-build BUILDER APP DIR`
//! before the build, `docker-args-build` and `docker-args-process-build APP dockerfile` for its
//! options, `post-build-dockerfile APP` then `post-build BUILDER APP DIR` after it, as Dokku's.
//! `builder-release dockerfile APP TAG` fires `pre-release-builder` / `post-release-builder`.

use anyhow::{bail, Result};
use dokku_core::plugin::{Plugin, Trigger};
use dokku_core::{appname, docker, log, trigger};
use std::path::Path;

static PLUGIN: Plugin = Plugin {
    prefix: "builder-dockerfile",
    summary: "Build apps with their Dockerfile",
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
    ],
};

fn main() {
    PLUGIN.main()
}

/// The builder name this plugin answers to.
const BUILDER: &str = "dockerfile";

/// Trigger `builder-detect APP DIR`.
fn trigger_detect(argv: &[String]) -> Result<()> {
    if let Some(dir) = argv.get(1) {
        if Path::new(dir).join("Dockerfile").is_file() {
            println!("{BUILDER}");
        }
    }
    Ok(())
}

/// Trigger `builder-build BUILDER APP DIR`.
fn trigger_build(argv: &[String]) -> Result<()> {
    let [builder, app, dir] = argv else {
        bail!("builder-build needs BUILDER APP DIR");
    };
    if builder != BUILDER {
        return Ok(());
    }
    appname::verify(app)?;
    if !Path::new(dir).join("Dockerfile").is_file() {
        bail!("{app}: the dockerfile builder needs a Dockerfile at the top of the repository");
    }
    trigger("pre-build-dockerfile", &[app])?;
    trigger("pre-build", &[BUILDER, app, dir])?;
    let mut args: Vec<String> = vec!["build".into(), "--pull=false".into()];
    args.extend(docker::labels(app));
    args.extend([
        "--label".into(),
        format!("com.dokku.builder-type={BUILDER}"),
        "-t".into(),
        docker::app_image(app, "latest"),
    ]);
    args.extend(docker::build_args(app, BUILDER)?);
    args.push(dir.clone());
    log::info1(&format!("Building {app} with its Dockerfile"));
    docker::stream(&args)?;
    trigger("post-build-dockerfile", &[app])?;
    trigger("post-build", &[BUILDER, app, dir])
}

/// Trigger `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `dockerfile`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (see
/// `docker::builder_release`).
fn trigger_release(argv: &[String]) -> Result<()> {
    docker::builder_release(BUILDER, argv)
}
