//! Recording releases: `post-deploy APP PORT IP TAG` makes a release of what now serves (a
//! new image, or a config change that restarted the app; a plain restart of the same image
//! with the same config makes none), tags its image `dokku/APP:release-vN`, snapshots its ENV,
//! fires `post-release APP vN`, then removes the images of releases past `keep`.

use crate::store::{self, Release};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker, log};

/// Set by `releases:rollback` for the deploy it starts: the release rolled back to.
pub const ROLLBACK_ENV: &str = "DOKKU_RELEASES_ROLLBACK_OF";

/// The app's own config as `config-export APP false false json` gives it (the config plugin's
/// answer; its files are never read here).
pub fn export_env(app: &str) -> Result<String> {
    let o = dokku_core::trigger_outcome(
        "config-export",
        &[app, "false", "false", "json"],
        plugn::Input::Null,
        plugn::Output::Capture,
    )?;
    if o.code != 0 {
        bail!(
            "cannot read the config of {app} (config-export exited {})",
            o.code
        );
    }
    let text = String::from_utf8_lossy(&o.stdout).trim().to_string();
    Ok(if text.is_empty() { "{}".into() } else { text })
}

/// The keys of a config as `config-export` gives it in JSON.
pub fn keys_of(env: &str) -> Result<Vec<String>> {
    let v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(env).context("config-export answered something other than JSON")?;
    Ok(v.keys().cloned().collect())
}

/// Whether `env` is the config snapshot of release `version`.
pub fn same_env(app: &str, version: u64, env: &str) -> bool {
    let old = std::fs::read_to_string(store::env_file(app, version)).unwrap_or_default();
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    parse(&old).is_some() && parse(&old) == parse(env)
}

/// The first answer of trigger `name APP`, empty when none.
pub fn value(name: &str, app: &str) -> String {
    dokku_core::trigger_value(name, &[app])
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The release tag of `version`.
pub fn release_image(app: &str, version: u64) -> String {
    docker::app_image(app, &format!("release-v{version}"))
}

/// Trigger `post-deploy APP PORT IP TAG`.
pub fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let (Some(app), Some(tag)) = (argv.first(), argv.get(3)) else {
        bail!("post-deploy needs APP PORT IP TAG");
    };
    appname::validate(app)?;
    let image = docker::app_image(app, if tag.is_empty() { "latest" } else { tag });
    let id = docker::output(["image", "inspect", "--format", "{{.Id}}", &image])
        .with_context(|| format!("cannot inspect {image}"))?;
    let id = id.trim().to_string();
    let env = export_env(app)?;
    let rollback_of = std::env::var(ROLLBACK_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let _lock = store::lock(app)?;
    let mut releases = store::load(app)?;
    if rollback_of.is_none() {
        if let Some(cur) = store::current(&releases) {
            if cur.image_id == id && same_env(app, cur.version, &env) {
                return Ok(());
            }
        }
    }
    let kind = match (rollback_of, store::current(&releases)) {
        (Some(_), _) => "rollback",
        (None, Some(cur)) if cur.image_id == id => "config",
        _ => "deploy",
    };
    let version = releases.iter().map(|r| r.version).max().unwrap_or(0) + 1;
    let tagged = release_image(app, version);
    docker::output(["tag", &id, &tagged]).with_context(|| format!("cannot tag {tagged}"))?;
    store::save_env(app, version, &env)?;
    if rollback_of.is_some() {
        if let Some(cur) = releases
            .iter_mut()
            .rev()
            .find(|r| r.status == store::DEPLOYED)
        {
            cur.status = store::ROLLED_BACK.into();
        }
    }
    let builder = docker::image_label(&id, "com.dokku.builder-type").unwrap_or_default();
    let procfile = deployed_procfile(app);
    releases.push(Release {
        version,
        kind: kind.into(),
        rollback_of,
        status: store::DEPLOYED.into(),
        image_id: id,
        image: tagged,
        pruned: false,
        git_rev: value("git-revision", app),
        builder: builder.trim().to_string(),
        procfile,
        app_json: value("app-json-get-content", app),
        config_keys: keys_of(&env)?,
        ssh_name: std::env::var("SSH_NAME").unwrap_or_else(|_| "default".into()),
        ssh_fingerprint: std::env::var("SSH_FINGERPRINT").unwrap_or_default(),
        created_at: dokku_core::unix_now().parse().unwrap_or(0),
    });
    prune(app, &mut releases)?;
    store::save(app, &releases)?;
    drop(_lock);
    if let Err(e) = dokku_core::trigger("post-release", &[app, &format!("v{version}")]) {
        log::warn(&format!("post-release of {app} v{version} failed: {e:#}"));
    }
    Ok(())
}

/// The releases whose images are kept: the newest `keep`, the current and the rollback target.
pub fn kept(app: &str, releases: &[Release]) -> Result<Vec<u64>> {
    let keep = store::keep(app)?;
    let mut v: Vec<u64> = releases
        .iter()
        .rev()
        .filter(|r| !r.pruned && r.status != store::FAILED)
        .take(keep)
        .map(|r| r.version)
        .collect();
    v.extend(store::current(releases).map(|r| r.version));
    v.extend(store::rollback_target(releases).map(|r| r.version));
    Ok(v)
}

/// Removes the release tags (and so the images no other tag holds) of releases past `keep`.
pub fn prune(app: &str, releases: &mut [Release]) -> Result<()> {
    let kept = kept(app, releases)?;
    for r in releases.iter_mut() {
        if r.pruned || kept.contains(&r.version) {
            continue;
        }
        if docker::image_exists(&r.image) {
            if let Err(e) = docker::output(["image", "rm", &r.image]) {
                log::warn(&format!("cannot remove {}: {e:#}", r.image));
                continue;
            }
        }
        r.pruned = true;
    }
    Ok(())
}

/// Trigger `releases-images-in-use APP`: the image ids cleanup must keep, one a line.
pub fn trigger_images_in_use(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("releases-images-in-use needs APP");
    };
    appname::validate(app)?;
    let releases = store::load(app)?;
    let kept = kept(app, &releases)?;
    let mut seen = Vec::new();
    for r in releases.iter().filter(|r| kept.contains(&r.version)) {
        if !seen.contains(&r.image_id) {
            println!("{}", r.image_id);
            seen.push(r.image_id.clone());
        }
    }
    Ok(())
}

/// Trigger `post-delete APP`: the records and release tags go with the app.
pub fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    for r in store::load(app).unwrap_or_default() {
        if !r.pruned && docker::image_exists(&r.image) {
            let _ = docker::output(["image", "rm", &r.image]);
        }
    }
    let d = store::dir(app);
    if d.exists() {
        std::fs::remove_dir_all(&d).with_context(|| format!("cannot remove {}", d.display()))?;
    }
    Ok(())
}

/// Trigger `post-app-rename-setup OLD NEW`: the records move to the new name and each kept
/// release tag becomes `dokku/NEW:release-vN`.
pub fn trigger_rename_setup(argv: &[String]) -> Result<()> {
    let (Some(old), Some(new)) = (argv.first(), argv.get(1)) else {
        bail!("post-app-rename-setup needs OLD NEW");
    };
    appname::validate(old)?;
    appname::validate(new)?;
    let from = store::dir(old);
    if !from.exists() {
        return Ok(());
    }
    let to = store::dir(new);
    std::fs::rename(&from, &to)
        .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))?;
    let _lock = store::lock(new)?;
    let mut releases = store::load(new)?;
    for r in releases.iter_mut().filter(|r| !r.pruned) {
        let tagged = release_image(new, r.version);
        if docker::image_exists(&r.image) {
            docker::output(["tag", &r.image_id, &tagged])
                .with_context(|| format!("cannot tag {tagged}"))?;
            let _ = docker::output(["image", "rm", &r.image]);
        }
        r.image = tagged;
    }
    store::save(new, &releases)
}

/// The app's deployed Procfile as ps keeps it (`ps-procfile APP`, untrimmed), empty when it
/// has none or ps does not answer.
pub fn deployed_procfile(app: &str) -> String {
    dokku_core::trigger_outcome(
        "ps-procfile",
        &[app],
        plugn::Input::Null,
        plugn::Output::Capture,
    )
    .ok()
    .filter(|o| o.success())
    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    .unwrap_or_default()
}
