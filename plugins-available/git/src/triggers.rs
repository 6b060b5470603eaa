//! The git plugin's return-value triggers, which other plugins ask about an app's source:
//! `git-revision`, `git-deploy-branch`, `git-get-property` and `git-has-code`.

use crate::{repo, settings};
use anyhow::{bail, Result};
use dokku_core::{appname, property, trigger_value, Exit};

/// The app argument of a trigger (`--global` where `allow_global`), checked.
fn app_arg<'a>(argv: &'a [String], trigger: &str, allow_global: bool) -> Result<&'a str> {
    let Some(app) = argv.first() else {
        bail!("{trigger} needs APP");
    };
    if !(allow_global && app == property::GLOBAL) {
        appname::validate(app)?;
    }
    Ok(app)
}

/// Trigger `git-revision APP`: the revision last deployed, as the app's config holds it (the
/// `rev-env-var` var, `GIT_REV` by default); nothing when that var is turned off or unset.
pub fn trigger_git_revision(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "git-revision", false)?;
    let Some(var) = settings::rev_env_var(app)? else {
        return Ok(());
    };
    if let Some(rev) = trigger_value("config-get", &[app, &var])?.filter(|r| !r.is_empty()) {
        println!("{rev}");
    }
    Ok(())
}

/// Trigger `git-deploy-branch APP`: the branch that deploys the app: its own, else the global
/// one, else `master`.
pub fn trigger_git_deploy_branch(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "git-deploy-branch", true)?;
    println!("{}", settings::computed_deploy_branch(app)?);
    Ok(())
}

/// Trigger `git-get-property APP KEY`: a git property as the deploy uses it (APP may be
/// `--global`): `deploy-branch` (the app's, else the global one, else `master`),
/// `keep-git-dir` (`true`/`false`), `rev-env-var` (`GIT_REV` unless set; empty when turned
/// off), `source-image` (of `git:from-image`), `last-updated-at`.
pub fn trigger_git_get_property(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "git-get-property", true)?;
    let Some(key) = argv.get(1) else {
        bail!("git-get-property needs APP KEY");
    };
    let value = match key.as_str() {
        "deploy-branch" => settings::computed_deploy_branch(app)?,
        "keep-git-dir" => settings::keep_git_dir(app)?.to_string(),
        "rev-env-var" => settings::rev_env_var(app)?.unwrap_or_default(),
        "source-image" | "last-updated-at" => property::get_or(settings::PROPS, app, key, "")?,
        other => bail!(
            "invalid git property {other:?}; valid: deploy-branch, keep-git-dir, rev-env-var, source-image, last-updated-at"
        ),
    };
    println!("{value}");
    Ok(())
}

/// Trigger `git-has-code APP [BRANCH]`: exits 0 when the app's repository has a commit on
/// BRANCH (without BRANCH: on any branch), 1 otherwise; prints nothing.
pub fn trigger_git_has_code(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "git-has-code", false)?;
    let has = match argv.get(1).filter(|b| !b.is_empty()) {
        Some(branch) => {
            repo::is_valid_branch(branch)
                && repo::rev_of(app, &format!("refs/heads/{branch}"))?.is_some()
        }
        None => repo::has_any_branch(app)?,
    };
    if !has {
        return Err(Exit(1).into());
    }
    Ok(())
}
