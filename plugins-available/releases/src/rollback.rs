//! `releases:rollback APP [vN] [--with-config]`: redeploys a kept release's image through the
//! release step (`release-and-deploy APP latest` with `latest` pointed at it, after
//! `post-release-builder`, so that a scheduler pulling from a registry gets it pushed), so it is
//! health-checked and switched over like any deploy; the rollback is itself a new release.
//! The release's recorded Procfile and app.json are put in force first (`ps-procfile-restore
//! APP` and `app-json-restore APP`, the files on stdin, answered by ps and app-json), so its
//! process types, health checks and scripts are its own; a failed rollback puts the current
//! release's back.

use crate::record::{self, ROLLBACK_ENV};
use crate::store::{self, Release};
use anyhow::{anyhow, bail, Context, Result};
use dokku_core::{appname, args, docker, log};
use std::io::Write;

const USAGE: &str = "dokku releases:rollback <app> [<vN>] [--with-config]";

/// `dokku config:import APP --replace --no-restart --format json` fed `env` on stdin.
fn import_env(app: &str, env: &str) -> Result<()> {
    let dokku = std::env::var("DOKKU_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "dokku".into());
    let mut child = std::process::Command::new(&dokku)
        .args([
            "config:import",
            app,
            "--replace",
            "--no-restart",
            "--format",
            "json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {dokku} config:import"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(env.as_bytes())
            .context("cannot hand the config over")?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "cannot restore the config of {app}: {}",
            err.lines()
                .last()
                .unwrap_or("")
                .trim_start_matches(" !     ")
        );
    }
    Ok(())
}

/// Puts a release's recorded Procfile and app.json in force through their owners' triggers.
fn restore_files(app: &str, r: &Release) -> Result<()> {
    dokku_core::trigger_output("ps-procfile-restore", &[app], &r.procfile)?;
    dokku_core::trigger_output("app-json-restore", &[app], &r.app_json)?;
    Ok(())
}

fn target(releases: &[Release], wanted: Option<&String>, app: &str) -> Result<Release> {
    let r = match wanted {
        Some(v) => {
            let n = store::parse_version(v)?;
            releases
                .iter()
                .find(|r| r.version == n)
                .ok_or_else(|| anyhow!("{app} has no release v{n}; see dokku releases {app}"))?
        }
        None => store::rollback_target(releases)
            .ok_or_else(|| anyhow!("{app} has no previous release to roll back to"))?,
    };
    if r.status == store::FAILED {
        bail!(
            "v{} of {app} is a failed release: nothing to roll back to",
            r.version
        );
    }
    if store::current(releases).is_some_and(|c| c.version == r.version) {
        bail!(
            "v{} is the current release of {app}: nothing to roll back",
            r.version
        );
    }
    if r.pruned || !docker::image_exists(&r.image) {
        bail!(
            "cannot roll back {app} to v{}: its image was pruned (releases:set {app} keep N keeps more)",
            r.version
        );
    }
    Ok(r.clone())
}

/// `releases:rollback APP [vN] [--with-config]`.
pub fn command(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--with-config"], &[])?;
    a.at_most(2, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let releases = store::load(&app)?;
    let t = target(&releases, a.pos(1), &app)?;
    let serving = store::current(&releases).cloned();
    let v = format!("v{}", t.version);
    let with_config = a.has("--with-config");
    let snapshot = if with_config {
        Some(
            std::fs::read_to_string(store::env_file(&app, t.version))
                .with_context(|| format!("the config snapshot of {v} of {app} is missing"))?,
        )
    } else {
        None
    };
    dokku_core::trigger("pre-rollback", &[&app, &v])?;
    log::info1(&format!(
        "Rolling {app} back to {v} ({})",
        short(&t.image_id)
    ));
    let before = if snapshot.is_some() {
        Some(record::export_env(&app)?)
    } else {
        None
    };
    if let Some(env) = &snapshot {
        log::info1(&format!("Restoring the config of {v}"));
        import_env(&app, env)?;
    }
    let latest = docker::app_image(&app, "latest");
    let previous_latest = docker::output(["image", "inspect", "--format", "{{.Id}}", &latest]).ok();
    std::env::set_var(ROLLBACK_ENV, t.version.to_string());
    // `post-release-builder` hands the kept image to the registry plugin as a build's would
    // be: with a scheduler that pulls (swarm) or push-on-release, it is pushed as the next tag
    // and the deploy pulls that.
    let builder = if t.builder.is_empty() {
        "unknown"
    } else {
        t.builder.as_str()
    };
    log::info1(&format!("Using the Procfile and app.json of {v}"));
    let done = restore_files(&app, &t)
        .and_then(|_| docker::output(["tag", &t.image_id, &latest]).map(|_| ()))
        .and_then(|_| dokku_core::trigger("post-release-builder", &[builder, &app, &latest]))
        .and_then(|_| dokku_core::trigger("release-and-deploy", &[&app, "latest"]));
    std::env::remove_var(ROLLBACK_ENV);
    if let Err(e) = done {
        if let Some(id) = previous_latest {
            let _ = docker::output(["tag", id.trim(), &latest]);
        }
        if let Some(env) = &before {
            let _ = import_env(&app, env);
        }
        if let Some(cur) = &serving {
            if let Err(e) = restore_files(&app, cur) {
                log::warn(&format!(
                    "cannot put back the Procfile and app.json of v{}: {e:#}",
                    cur.version
                ));
            }
        }
        record_failure(&app, &t);
        return Err(e.context(format!(
            "the rollback of {app} to {v} failed; the current release keeps serving"
        )));
    }
    dokku_core::trigger("post-rollback", &[&app, &v])?;
    log::info1(&format!("{app} rolled back to {v}"));
    Ok(())
}

fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

/// Records a rollback that did not deploy as a failed release.
fn record_failure(app: &str, t: &Release) {
    let r = (|| -> Result<()> {
        let _lock = store::lock(app)?;
        let mut releases = store::load(app)?;
        let version = releases.iter().map(|r| r.version).max().unwrap_or(0) + 1;
        releases.push(Release {
            version,
            kind: "rollback".into(),
            rollback_of: Some(t.version),
            status: store::FAILED.into(),
            image: t.image.clone(),
            pruned: true,
            ssh_name: std::env::var("SSH_NAME").unwrap_or_else(|_| "default".into()),
            ssh_fingerprint: std::env::var("SSH_FINGERPRINT").unwrap_or_default(),
            created_at: dokku_core::unix_now().parse().unwrap_or(0),
            ..t.clone()
        });
        store::save(app, &releases)
    })();
    if let Err(e) = r {
        log::warn(&format!("cannot record the failed rollback: {e:#}"));
    }
}
