//! Failed deploys as failed releases. `pre-deploy APP TAG` notes the image a deploy is about to
//! start, under the build record it runs in (`DOKKU_BUILD_ID`); the record's end,
//! `builds-record-finalize APP ID CODE` (fired by the plugin runtime when the deploying command
//! ends), with a non-zero CODE makes a release with status `failed`: the image noted for that
//! build (none when the build itself failed). A failed release is never current, never a
//! rollback target and keeps no image. A failed plain restart (the current image and config) is
//! no release; a failed `releases:rollback` is recorded by the rollback itself.

use crate::record::{self, ROLLBACK_ENV};
use crate::store::{self, Release};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker};

/// The variable naming the build record a deploy runs under (set by the core).
const BUILD_ID_ENV: &str = "DOKKU_BUILD_ID";

/// Trigger `pre-deploy APP TAG`: notes `BUILD_ID IMAGE_ID` of the deploy starting, when it runs
/// under a build record (else no end of it will be reported).
pub fn trigger_pre_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("pre-deploy needs APP [TAG]");
    };
    appname::validate(app)?;
    let Some(build) = std::env::var(BUILD_ID_ENV).ok().filter(|b| valid_id(b)) else {
        return Ok(());
    };
    if std::env::var_os(ROLLBACK_ENV).is_some() {
        return Ok(());
    }
    let tag = argv.get(1).map(String::as_str).filter(|t| !t.is_empty());
    let image = docker::app_image(app, tag.unwrap_or("latest"));
    let id = docker::output(["image", "inspect", "--format", "{{.Id}}", &image])
        .map(|id| id.trim().to_string())
        .unwrap_or_default();
    let _lock = store::lock(app)?;
    plugn::atomic::write(
        &store::pending_file(app),
        format!("{build} {id}\n").as_bytes(),
        0o644,
    )
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The image id noted for `build`, if the deploy reached `pre-deploy`.
fn take_pending(app: &str, build: &str) -> Option<String> {
    let f = store::pending_file(app);
    let text = std::fs::read_to_string(&f).ok()?;
    let _ = std::fs::remove_file(&f);
    let (b, id) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    (b == build).then(|| id.to_string())
}

/// Trigger `builds-record-finalize APP ID CODE`: a deploy that ended with a non-zero code is
/// recorded as a failed release.
pub fn trigger_finalize(argv: &[String]) -> Result<()> {
    let (app, build, code) = dokku_core::buildrec::finalize_args(argv)?;
    if !valid_id(build) {
        bail!("builds-record-finalize: invalid build id {build:?}");
    }
    if !store::dir(app).exists() && code == 0 {
        return Ok(());
    }
    let _lock = store::lock(app)?;
    let pending = take_pending(app, build);
    if code == 0 || std::env::var_os(ROLLBACK_ENV).is_some() {
        return Ok(());
    }
    let env = record::export_env(app).unwrap_or_else(|_| "{}".into());
    let mut releases = store::load(app)?;
    let cur = store::current(&releases);
    let image_id = pending.clone().unwrap_or_default();
    let kind = match cur {
        Some(c) if pending.is_some() && c.image_id == image_id => {
            if record::same_env(app, c.version, &env) {
                // A restart of what serves that did not come up: no release was attempted.
                return Ok(());
            }
            "config"
        }
        _ => "deploy",
    };
    let builder = if image_id.is_empty() {
        String::new()
    } else {
        docker::image_label(&image_id, "com.dokku.builder-type").unwrap_or_default()
    };
    let version = releases.iter().map(|r| r.version).max().unwrap_or(0) + 1;
    let procfile = record::deployed_procfile(app);
    releases.push(Release {
        version,
        kind: kind.into(),
        rollback_of: None,
        status: store::FAILED.into(),
        image_id,
        image: String::new(),
        pruned: true,
        git_rev: record::value("git-revision", app),
        builder: builder.trim().to_string(),
        procfile,
        app_json: record::value("app-json-get-content", app),
        config_keys: record::keys_of(&env).unwrap_or_default(),
        ssh_name: std::env::var("SSH_NAME").unwrap_or_else(|_| "default".into()),
        ssh_fingerprint: std::env::var("SSH_FINGERPRINT").unwrap_or_default(),
        created_at: dokku_core::unix_now().parse().unwrap_or(0),
    });
    // Silent: the failed command has said its one error line already.
    store::save(app, &releases).with_context(|| format!("cannot record the failed deploy of {app}"))
}
