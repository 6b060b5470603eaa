//! An app's repository: `$DOKKU_ROOT/APP` is a bare git repository whose `pre-receive` hook
//! hands each push to `dokku git-hook APP`. Also the `git` commands the plugin runs, always with
//! argument vectors, never through a shell.

use anyhow::{bail, Context, Result};
use dokku_core::appname::{self, app_dir};
use std::path::Path;
use std::process::{Command, Stdio};

/// The environment variables git sets for hooks; removed before running git elsewhere.
pub const GIT_HOOK_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
    "GIT_PUSH_OPTION_COUNT",
];

/// A `git` command with a clean environment: no hook variables, no user or system config
/// beyond the defaults, no `ext::` transport.
pub fn git() -> Command {
    let mut c = Command::new("git");
    for v in GIT_HOOK_ENV {
        c.env_remove(v);
    }
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .args(["-c", "protocol.ext.allow=never"]);
    c
}

/// `git --git-dir APP_DIR …`.
pub fn git_in(app: &str) -> Command {
    let mut c = git();
    c.arg("--git-dir").arg(app_dir(app));
    c
}

/// Runs a git command quietly; fails with `what` and git's own message.
pub fn run(mut c: Command, what: &str) -> Result<String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{what}: cannot run git"))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        let first = msg
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed");
        bail!("{what}: {}", first.trim_start_matches("fatal: "));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The app name in a git path as a client sends it (`'app'`, `/app.git`, `~/app/`), checked
/// with Dokku's app-name rule.
pub fn app_from_path(path: &str) -> Result<String> {
    let mut p = path.trim();
    p = p.trim_matches(|c| c == '\'' || c == '"');
    p = p.strip_prefix("~/").unwrap_or(p);
    p = p.trim_start_matches('/').trim_end_matches('/');
    p = p.strip_suffix(".git").unwrap_or(p);
    if p.contains('/') {
        bail!("invalid repository path {path:?}: push to an app name, e.g. dokku@host:myapp");
    }
    appname::validate(p)?;
    Ok(p.to_string())
}

/// Whether the app's folder holds a git repository yet.
pub fn exists(app: &str) -> bool {
    app_dir(app).join("HEAD").is_file() && app_dir(app).join("objects").is_dir()
}

fn hook_text(app: &str) -> String {
    // `app` passed the app-name rule (legacy names included: [a-z0-9._-]), so it needs no
    // quoting.
    format!(
        "#!/bin/sh\n# Written by dokku: hands every push of {app} to the deploy pipeline.\nexec \"${{DOKKU_BIN:-dokku}}\" git-hook {app}\n"
    )
}

/// Writes the app's `pre-receive` hook when it is missing or names another app (after a
/// rename or a clone).
pub fn write_hook(app: &str) -> Result<()> {
    let hooks = app_dir(app).join("hooks");
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create {}", hooks.display()))?;
    let path = hooks.join("pre-receive");
    let text = hook_text(app);
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    plugn::atomic::write(&path, text.as_bytes(), 0o755)
}

/// Makes `$DOKKU_ROOT/APP` a bare repository with the deploy hook (harmless when it is one).
pub fn ensure(app: &str) -> Result<()> {
    let dir = app_dir(app);
    if !exists(app) {
        let mut c = git();
        c.args(["init", "--bare", "--quiet"]).arg(&dir);
        run(c, &format!("cannot create the repository of {app}"))?;
        // The default branch of a fresh repository is the deploy branch, once known.
        if let Some(b) = crate::settings::deploy_branch(app)? {
            set_head(app, &b)?;
        }
    }
    write_hook(app)
}

/// Points the repository's HEAD at `branch`, so that clones check out the deploy branch.
pub fn set_head(app: &str, branch: &str) -> Result<()> {
    let mut c = git_in(app);
    c.args(["symbolic-ref", "HEAD"])
        .arg(format!("refs/heads/{branch}"));
    run(c, &format!("cannot set the default branch of {app}")).map(|_| ())
}

/// The commit a ref points at in the app's repository, if any.
pub fn rev_of(app: &str, refname: &str) -> Result<Option<String>> {
    if !exists(app) {
        return Ok(None);
    }
    let out = git_in(app)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{refname}^{{commit}}"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .context("cannot run git rev-parse")?;
    let rev = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok((out.status.success() && !rev.is_empty()).then_some(rev))
}

/// Whether the app's repository has any branch (any code pushed or committed).
pub fn has_any_branch(app: &str) -> Result<bool> {
    if !exists(app) {
        return Ok(false);
    }
    let mut c = git_in(app);
    c.args([
        "for-each-ref",
        "--count=1",
        "--format=%(refname)",
        "refs/heads/",
    ]);
    Ok(!run(c, &format!("cannot list the branches of {app}"))?.is_empty())
}

/// Whether `name` is a valid branch name (`git check-ref-format --branch`).
pub fn is_valid_branch(name: &str) -> bool {
    if name.is_empty() || name.starts_with('-') || name.len() > 255 {
        return false;
    }
    git()
        .args(["check-ref-format", "--branch", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Checks a branch name, with a clear message.
pub fn validate_branch(name: &str) -> Result<()> {
    if !is_valid_branch(name) {
        bail!("invalid branch name {name:?}");
    }
    Ok(())
}

/// Makes a commit of the files of `dir` (all of them) on top of `refs/heads/BRANCH` of the
/// app's repository with `message` and `author` (name, email); returns the new commit, or the
/// branch's own when the tree did not change. The branch is not moved: the caller moves it once
/// the commit deployed.
pub fn commit_dir(
    app: &str,
    dir: &Path,
    branch: &str,
    message: &str,
    author: (&str, &str),
) -> Result<String> {
    let what = format!("cannot commit to the repository of {app}");
    let index = plugn::atomic::private_dir("dokku-index-")?;
    let index_file = index.path().join("index");
    let with_tree = |c: &mut Command| {
        c.env("GIT_INDEX_FILE", &index_file)
            .arg("--work-tree")
            .arg(dir);
    };
    let mut add = git_in(app);
    with_tree(&mut add);
    add.args(["add", "--all", "--force", "."]).current_dir(dir);
    run(add, &what)?;
    let mut wt = git_in(app);
    with_tree(&mut wt);
    wt.arg("write-tree");
    let tree = run(wt, &what)?;
    let refname = format!("refs/heads/{branch}");
    let parent = rev_of(app, &refname)?;
    if let Some(p) = &parent {
        let mut t = git_in(app);
        t.args(["rev-parse"]).arg(format!("{p}^{{tree}}"));
        if run(t, &what)? == tree {
            return Ok(p.clone());
        }
    }
    let mut ct = git_in(app);
    ct.args(["commit-tree", &tree, "-m", message]);
    if let Some(p) = &parent {
        ct.args(["-p", p]);
    }
    for who in ["AUTHOR", "COMMITTER"] {
        ct.env(format!("GIT_{who}_NAME"), author.0)
            .env(format!("GIT_{who}_EMAIL"), author.1);
    }
    run(ct, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clients_send() {
        for (p, want) in [
            ("'myapp'", "myapp"),
            ("/myapp", "myapp"),
            ("'/myapp.git'", "myapp"),
            ("~/my-app.io/", "my-app.io"),
            ("\"web\"", "web"),
        ] {
            assert_eq!(app_from_path(p).unwrap(), want, "{p}");
        }
        for bad in ["'../etc'", "a/b", "'Upper'", "''", "/", "x;y"] {
            assert!(app_from_path(bad).is_err(), "{bad} accepted");
        }
    }
}
