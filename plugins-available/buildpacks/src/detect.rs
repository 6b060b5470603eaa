//! `buildpacks:detect APP [BRANCH]`: which buildpacks a build of the app's pushed code would
//! run, found as the herokuish builder finds them: the `BUILDPACK_URL` config var, else the
//! app's list (`buildpacks:add`), else the `.buildpacks` file of the code at BRANCH (the deploy
//! branch by default), read straight from the app's repository.

use anyhow::{bail, Context, Result};
use dokku_core::{appname, args, log, trigger_value};
use dokku_plugin_buildpacks::{store, url};
use std::process::{Command, Stdio};

const USAGE: &str = "dokku buildpacks:detect <app> [<branch>]";

/// Checks a branch name given on the command line: a git ref name, never an option.
fn validate_branch(b: &str) -> Result<()> {
    let ok = !b.is_empty()
        && b.len() <= 255
        && !b.starts_with(['-', '/', '.'])
        && !b.contains("..")
        && !b.ends_with(['/', '.'])
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/'));
    if !ok {
        bail!("Invalid branch name {b:?}");
    }
    Ok(())
}

/// The `.buildpacks` file of the app's code at `branch`; `None` when the branch or the file is
/// not there.
fn buildpacks_file(app: &str, branch: &str) -> Result<Option<String>> {
    let repo = appname::app_dir(app);
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(&repo)
        .args([
            "cat-file",
            "blob",
            &format!("refs/heads/{branch}:.buildpacks"),
        ])
        .env_remove("GIT_DIR")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        return Ok(None);
    }
    Ok(Some(String::from_utf8(out.stdout).map_err(|_| {
        anyhow::anyhow!("the .buildpacks file of {app} ({branch}) is not valid UTF-8")
    })?))
}

/// `buildpacks:detect APP [BRANCH]`: a heading naming where the list comes from, then one
/// buildpack per line; fails when nothing names any.
pub fn command(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let branch = match a.pos(1) {
        Some(b) => b.clone(),
        None => trigger_value("git-deploy-branch", &[&app])?
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "master".to_string()),
    };
    validate_branch(&branch)?;
    let from_config =
        trigger_value("config-get", &[&app, "BUILDPACK_URL"])?.filter(|v| !v.is_empty());
    let (origin, list) = if let Some(u) = from_config {
        let bp =
            url::parse(&u).with_context(|| format!("the BUILDPACK_URL config var of {app}"))?;
        (
            "the BUILDPACK_URL config var".to_string(),
            vec![bp.to_string()],
        )
    } else {
        let listed = store::list(&app)?;
        if !listed.is_empty() {
            (format!("buildpacks:list {app}"), listed)
        } else {
            let text = buildpacks_file(&app, &branch)?.unwrap_or_default();
            let parsed = url::parse_list_file(&text)
                .with_context(|| format!("the .buildpacks file of {app} ({branch})"))?;
            (
                format!("the .buildpacks file of {branch}"),
                parsed.iter().map(|b| b.to_string()).collect(),
            )
        }
    };
    if list.is_empty() {
        bail!("No buildpacks detected for {app} ({branch}): none is set (buildpacks:add, BUILDPACK_URL) and its code has no .buildpacks file");
    }
    log::info1(&format!("{app} buildpacks, from {origin}"));
    for bp in list {
        log::verbose(&bp);
    }
    Ok(())
}
