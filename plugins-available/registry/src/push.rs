//! Pushing releases: at `post-release-builder BUILDER APP IMAGE` the built image gets the name
//! the deploy will run (`deployed-app-repository` + `deployed-app-image-repo` +
//! `deployed-app-image-tag`); when pushing is on (`push-on-release`, or a scheduler other than
//! `docker-local`), it is tagged `SERVER/REPO:N` with N one more than the last release pushed
//! (the `tag-version` property, bumped only once the push succeeded, under a lock) and pushed
//! with the app's docker config, plus the `push-extra-tags`; the engine keeps the names of the
//! last two releases. Every name made is listed in
//! `$DOKKU_LIB_ROOT/data/registry/APP/tags` (`pushed REF` or `local REF`), which `post-delete`
//! reads to delete them from the registry and from the engine.

use crate::login;
use crate::props::{self, PROPS};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker, log, property};
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The list of the image names the plugin made for an app.
pub fn tags_file(app: &str) -> PathBuf {
    login::data_dir(app).join("tags")
}

/// One name in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// Whether it was pushed to a registry (else only tagged in the engine).
    pub pushed: bool,
    /// The image reference, `[SERVER/]REPO:TAG`.
    pub reference: String,
}

/// The names listed for an app (oldest first).
pub fn made(app: &str) -> Result<Vec<Made>> {
    let file = tags_file(app);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    Ok(text
        .lines()
        .filter_map(|l| {
            let (kind, reference) = l.split_once(' ')?;
            Some(Made {
                pushed: kind == "pushed",
                reference: reference.to_string(),
            })
        })
        .collect())
}

/// Adds names to the list (atomically; the caller holds the app's lock).
fn record(app: &str, new: &[Made]) -> Result<()> {
    let mut all = made(app)?;
    for m in new {
        if !all.contains(m) {
            all.push(m.clone());
        }
    }
    let text: String = all
        .iter()
        .map(|m| {
            format!(
                "{} {}\n",
                if m.pushed { "pushed" } else { "local" },
                m.reference
            )
        })
        .collect();
    let file = tags_file(app);
    std::fs::create_dir_all(file.parent().expect("has a folder"))
        .with_context(|| format!("cannot create the folder of {}", file.display()))?;
    plugn::atomic::write(&file, text.as_bytes(), 0o600)
}

/// The app's lock for the release counter and the list.
fn lock(app: &str) -> Result<plugn::atomic::Lock> {
    let dir = login::data_dir(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    plugn::atomic::lock(&dir.join("tags"))
}

/// The last release number pushed (0 when none).
fn tag_version(app: &str) -> Result<u64> {
    let v = props::own(app, "tag-version")?;
    if v.is_empty() {
        return Ok(0);
    }
    v.parse()
        .with_context(|| format!("the tag-version of {app} ({v:?}) is not a number"))
}

/// `docker image tag FROM TO`.
fn tag(from: &str, to: &str) -> Result<()> {
    docker::output(["image", "tag", from, to]).map(|_| ())
}

/// `docker image rm --force NAME`, quietly: the name goes (other names keep the image, and a
/// container still using it keeps it by id).
fn untag(name: &str) {
    let _ = docker::command(["image", "rm", "--force", "--no-prune", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `docker image push NAME` with `DOCKER_CONFIG` = `config`: progress streams to stdout;
/// fails with docker's reason in one line.
fn push(name: &str, config: Option<&Path>) -> Result<()> {
    let mut c = docker::command(["image", "push", name]);
    if let Some(dir) = config {
        c.env("DOCKER_CONFIG", dir);
    }
    let out = c
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {}", docker::bin()))?;
    if !out.status.success() {
        bail!(
            "Unable to push {name}: {}",
            login::docker_reason(&out.stderr)
        );
    }
    Ok(())
}

/// The registry server of an app without Dokku's trailing `/` (empty for Docker Hub).
pub fn server(app: &str) -> Result<String> {
    Ok(props::server_prefix(app)?.trim_end_matches('/').to_string())
}

/// Trigger `post-release-builder BUILDER APP IMAGE`.
pub fn trigger_post_release_builder(argv: &[String]) -> Result<()> {
    let (Some(app), Some(image)) = (argv.get(1), argv.get(2)) else {
        bail!("post-release-builder needs BUILDER APP IMAGE");
    };
    appname::verify(app)?;
    let Some((_, build_tag)) = image.rsplit_once(':') else {
        bail!("post-release-builder: image {image:?} has no tag");
    };
    props::validate_tag(build_tag)?;
    let id = docker::output(["image", "inspect", "--format", "{{.Id}}", image])
        .with_context(|| format!("cannot find the image {image} of {app}"))?;
    let prefix = props::server_prefix(app)?;
    let repo = props::computed_repo(app)?;
    if !props::push_enabled(app)? {
        // The deploy runs PREFIX+REPO:TAG: make sure the engine has that name.
        let name = format!("{prefix}{repo}:{build_tag}");
        if name != *image {
            tag(&id, &name)?;
            let _l = lock(app)?;
            record(
                app,
                &[Made {
                    pushed: false,
                    reference: name,
                }],
            )?;
        }
        return Ok(());
    }
    let server = server(app)?;
    let config = login::config_for(app, &server)?;
    let _l = lock(app)?;
    let n = tag_version(app)? + 1;
    let full = format!("{prefix}{repo}:{n}");
    log::info1("Pushing image to registry");
    log::verbose(&format!("Tagging {repo}:{n} in registry format"));
    tag(&id, &full)?;
    log::verbose(&format!("Pushing {full}"));
    if let Err(e) = push(&full, config.as_deref()) {
        // The deploy stops here: nothing names the image that was not pushed.
        untag(&full);
        return Err(e);
    }
    let mut pushed = vec![Made {
        pushed: true,
        reference: full.clone(),
    }];
    for extra in props::extra_tags(app)? {
        let name = format!("{prefix}{repo}:{extra}");
        log::verbose(&format!("Tagging {repo} as {extra} in registry format"));
        tag(&id, &name)?;
        log::verbose(&format!("Pushing {name}"));
        let r = push(&name, config.as_deref());
        // As Dokku does, the extra name is pushed, not kept in the engine.
        untag(&name);
        r?;
        pushed.push(Made {
            pushed: true,
            reference: name,
        });
    }
    record(app, &pushed)?;
    property::write(PROPS, app, "tag-version", &n.to_string())?;
    // The engine keeps the names of the last two releases (the running one and the one
    // before); older ones stay in the registry until the app is destroyed.
    if n > 2 {
        untag(&format!("{prefix}{repo}:{}", n - 2));
    }
    log::verbose(&format!("Image {full} pushed"));
    Ok(())
}

/// Trigger `deployed-app-image-tag APP`: the release number last pushed, when pushing is on.
pub fn trigger_image_tag(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "deployed-app-image-tag")?;
    if props::push_enabled(&app)? {
        let v = tag_version(&app)?;
        if v > 0 {
            println!("{v}");
        }
    }
    Ok(())
}

/// Trigger `deployed-app-image-repo APP`: `image-repo`, else the template's, else `dokku/APP`.
pub fn trigger_image_repo(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "deployed-app-image-repo")?;
    println!("{}", props::computed_repo(&app)?);
    Ok(())
}

/// Trigger `deployed-app-repository APP`: the registry server followed by `/` (empty for
/// Docker Hub or when none is set).
pub fn trigger_repository(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "deployed-app-repository")?;
    println!("{}", props::server_prefix(&app)?);
    Ok(())
}

/// Trigger `registry-docker-config APP`: the folder to use as `DOCKER_CONFIG` to push or pull
/// the app's images (the app's login to its server, else the global one); empty without one.
pub fn trigger_docker_config(argv: &[String]) -> Result<()> {
    let app = trigger_app(argv, "registry-docker-config")?;
    let server = if app == property::GLOBAL {
        String::new()
    } else {
        server(&app)?
    };
    if let Some(dir) = login::config_for(&app, &server)? {
        println!("{}", dir.display());
    }
    Ok(())
}

/// The app argument of a trigger: an app name's shape (or `--global` for the config one).
fn trigger_app(argv: &[String], name: &str) -> Result<String> {
    let Some(app) = argv.first() else {
        bail!("{name} needs APP");
    };
    if !(name == "registry-docker-config" && app == property::GLOBAL) {
        appname::validate(app)?;
    }
    Ok(app.clone())
}
