//! The git plugin's properties (`git:set`, `git:report`): the deploy branch (per app and
//! global), whether the build folder keeps `.git`, the config var that carries the deployed
//! revision, the image of `git:from-image`, and the caps on what a `git:from-archive` archive
//! may expand to (`archive-max-size`, `archive-max-files`; per app, else global, else 512m and
//! 100000).

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::property;
use dokku_core::report::{self, Report};

/// The property plugin name under which git keeps its values.
pub const PROPS: &str = "git";

/// The config var that carries the deployed revision unless `rev-env-var` says otherwise.
pub const DEFAULT_REV_ENV_VAR: &str = "GIT_REV";

/// The deploy branch of `app`: its own, else the global one; `None` when neither is set (the
/// first branch pushed then becomes the app's).
pub fn deploy_branch(app: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        if let Some(b) = property::get(PROPS, scope, "deploy-branch")?.filter(|b| !b.is_empty()) {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// The branch that deploys `app`: its own, else the global one, else `master` (Dokku's
/// default).
pub fn computed_deploy_branch(app: &str) -> Result<String> {
    Ok(deploy_branch(app)?.unwrap_or_else(|| DEFAULT_DEPLOY_BRANCH.to_string()))
}

/// The deploy branch when none is set, as Dokku's.
pub const DEFAULT_DEPLOY_BRANCH: &str = "master";

/// The config var that gets the deployed revision; `None` when set to empty (turned off).
pub fn rev_env_var(app: &str) -> Result<Option<String>> {
    match property::get(PROPS, app, "rev-env-var")? {
        None => Ok(Some(DEFAULT_REV_ENV_VAR.to_string())),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => Ok(Some(v)),
    }
}

/// Whether the build folder keeps the repository's `.git`: the app's `keep-git-dir`, else the
/// global one, else false.
pub fn keep_git_dir(app: &str) -> Result<bool> {
    Ok(scoped(app, "keep-git-dir")?.as_deref() == Some("true"))
}

/// The caps on what an archive of `app` may expand to: its own, else the global ones, else
/// the defaults (`plugn::archive::DEFAULT_MAX_SIZE` and `DEFAULT_MAX_FILES`).
pub fn archive_limits(app: &str) -> Result<plugn::archive::Limits> {
    let mut limits = plugn::archive::Limits::default();
    if let Some(v) = scoped(app, "archive-max-size")? {
        limits.max_size = plugn::archive::parse_size(&v)?;
    }
    if let Some(v) = scoped(app, "archive-max-files")? {
        limits.max_files = plugn::archive::parse_count(&v)?;
    }
    Ok(limits)
}

/// A property of `app`, else the global one (unset or empty: `None`).
fn scoped(app: &str, key: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn check_value(key: &str, value: &str) -> Result<()> {
    match key {
        "deploy-branch" => crate::repo::validate_branch(value),
        "keep-git-dir" if value != "true" && value != "false" => {
            bail!("keep-git-dir must be true or false, not {value:?}")
        }
        "rev-env-var" => dokku_core::envfile::validate_key(value),
        "source-image" => crate::sources::validate_image(value),
        "archive-max-size" => plugn::archive::parse_size(value).map(|_| ()),
        "archive-max-files" => plugn::archive::parse_count(value).map(|_| ()),
        _ => Ok(()),
    }
}

/// `git:set [--global|APP] KEY [VALUE]`: sets a property, or unsets it without a value
/// (`rev-env-var` set to an empty value turns the revision variable off).
pub fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(
        argv,
        usage(),
        &[
            "deploy-branch",
            "keep-git-dir",
            "rev-env-var",
            "source-image",
            "archive-max-size",
            "archive-max-files",
        ],
    )?;
    const GLOBAL_KEYS: &[&str] = &[
        "deploy-branch",
        "keep-git-dir",
        "rev-env-var",
        "source-image",
        "archive-max-size",
        "archive-max-files",
    ];
    if c.is_global() && !GLOBAL_KEYS.contains(&c.key.as_str()) {
        bail!(
            "invalid property {:?} for --global; valid: {}",
            c.key,
            GLOBAL_KEYS.join(", ")
        );
    }
    if c.key == "rev-env-var" && c.value.as_deref() == Some("") {
        property::write(PROPS, &c.scope, &c.key, "")?;
        dokku_core::log::info1("Setting rev-env-var to nothing: no revision config var");
        return Ok(());
    }
    if let Some(v) = c.new_value() {
        check_value(&c.key, v)?;
    }
    c.apply(PROPS)?;
    if let (Some(branch), false) = (c.new_value(), c.is_global()) {
        if c.key == "deploy-branch" && crate::repo::exists(&c.scope) {
            crate::repo::set_head(&c.scope, branch)?;
        }
    }
    Ok(())
}

/// The flags `git:report` answers, with their labels: each property raw (the app's own,
/// empty when unset), computed (the value in effect) and global, as Dokku reports them.
const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "git-computed-archive-max-files",
        "Git computed archive max files",
    ),
    (
        "git-computed-archive-max-size",
        "Git computed archive max size",
    ),
    ("git-computed-deploy-branch", "Git computed deploy branch"),
    ("git-computed-keep-git-dir", "Git computed keep git dir"),
    ("git-deploy-branch", "Git deploy branch"),
    ("git-global-deploy-branch", "Git global deploy branch"),
    ("git-keep-git-dir", "Git keep git dir"),
    ("git-global-keep-git-dir", "Git global keep git dir"),
    ("git-rev-env-var", "Git rev env var"),
    ("git-sha", "Git sha"),
    ("git-source-image", "Git source image"),
    ("git-global-source-image", "Git global source image"),
    ("git-last-updated-at", "Git last updated at"),
    ("git-archive-max-size", "Git archive max size"),
    ("git-archive-max-files", "Git archive max files"),
    ("git-global-archive-max-size", "Git global archive max size"),
    (
        "git-global-archive-max-files",
        "Git global archive max files",
    ),
];

/// One row of `git:report` for `app` (the global scope: the global and computed rows only).
fn report_value(app: &str, key: &str) -> Result<String> {
    let own = |k: &str| property::get_or(PROPS, app, k, "");
    let global = |k: &str| property::get_or(PROPS, property::GLOBAL, k, "");
    Ok(match key {
        "git-computed-archive-max-files" => archive_limits(app)?.max_files.to_string(),
        "git-computed-archive-max-size" => {
            plugn::archive::format_size(archive_limits(app)?.max_size)
        }
        "git-computed-deploy-branch" => computed_deploy_branch(app)?,
        "git-computed-keep-git-dir" => keep_git_dir(app)?.to_string(),
        "git-deploy-branch" => own("deploy-branch")?,
        "git-global-deploy-branch" => global("deploy-branch")?,
        "git-keep-git-dir" => own("keep-git-dir")?,
        "git-global-keep-git-dir" => global("keep-git-dir")?,
        "git-rev-env-var" => rev_env_var(app)?.unwrap_or_default(),
        "git-sha" => match deploy_branch(app)? {
            Some(b) => crate::repo::rev_of(app, &format!("refs/heads/{b}"))?.unwrap_or_default(),
            None => String::new(),
        },
        "git-source-image" => own("source-image")?,
        "git-global-source-image" => global("source-image")?,
        "git-archive-max-size" => own("archive-max-size")?,
        "git-archive-max-files" => own("archive-max-files")?,
        "git-global-archive-max-size" => global("archive-max-size")?,
        "git-global-archive-max-files" => global("archive-max-files")?,
        _ => own("last-updated-at")?,
    })
}

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        if app == property::GLOBAL && !report::is_global_row(key) {
            continue;
        }
        rows.push((key.to_string(), label.to_string(), report_value(app, key)?));
    }
    Ok(Report {
        heading: format!("{app} git information"),
        rows,
    })
}

/// `git:report [APP|--global] [--format stdout|json] [--git-…]`.
pub fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}
