//! What sshd's forced command runs for git: `git-receive-pack 'APP'` (a push) and
//! `git-upload-pack 'APP'` (a fetch or clone), and `git-hook APP`, which the repository's
//! `pre-receive` hook runs with the pushed refs on stdin.

use crate::{pipeline, repo, settings};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, deploylock, log, property, trigger, Exit};
use std::io::{BufRead, Write};
use std::process::Command;

/// Fires a trigger while git's protocol owns stdout: the plugins' output goes to stderr, which
/// the client shows as `remote:` lines.
pub fn trigger_beside_protocol(name: &str, args: &[&str]) -> Result<()> {
    let o = dokku_core::trigger_outcome(name, args, plugn::Input::Null, plugn::Output::Capture)?;
    std::io::stderr()
        .write_all(&o.stdout)
        .context("cannot write to stderr")?;
    if o.code != 0 {
        return Err(Exit(o.code).into());
    }
    Ok(())
}

/// Asks `user-auth-app SSH_USER SSH_NAME APP`, so that a plugin can refuse a user an app.
pub fn authorize(app: &str) -> Result<()> {
    let user = std::env::var("SSH_USER").unwrap_or_default();
    let name = std::env::var("SSH_NAME").unwrap_or_else(|_| "default".into());
    if let Err(e) = trigger_beside_protocol("user-auth-app", &[&user, &name, app]) {
        if dokku_core::exit_code(&e).is_some() {
            bail!("Access denied to {app} for {name}");
        }
        return Err(e);
    }
    Ok(())
}

fn one_path(argv: &[String], cmd: &str) -> Result<String> {
    match argv {
        [p] => repo::app_from_path(p),
        _ => bail!("{cmd} takes one repository path, e.g. {cmd} 'myapp'"),
    }
}

/// Runs git's own side of the protocol on the app's repository and returns its exit code.
fn serve(service: &str, app: &str) -> Result<i32> {
    let st = Command::new("git")
        .arg(service)
        .arg(dokku_core::appname::app_dir(app))
        .status()
        .with_context(|| format!("cannot run git {service}"))?;
    Ok(plugn::trigger::exit_code(st))
}

/// `git-receive-pack 'APP'`: a push. Creates the app (unless turned off) and its repository.
pub fn receive_pack(argv: &[String]) -> Result<()> {
    let app = one_path(argv, "git-receive-pack")?;
    authorize(&app)?;
    trigger_beside_protocol("app-maybe-create", &[&app])?;
    repo::ensure(&app)?;
    // The whole push runs under the deploy lock, so that a second push to the app waits and
    // then sees the refs the first one left.
    let _lock = deploylock::acquire_untracked(&app)?;
    match serve("receive-pack", &app)? {
        0 => Ok(()),
        code => Err(Exit(code).into()),
    }
}

/// `git-upload-pack 'APP'`: a fetch or clone, between `git-pre-pull` and `git-post-pull`.
pub fn upload_pack(argv: &[String]) -> Result<()> {
    let app = one_path(argv, "git-upload-pack")?;
    authorize(&app)?;
    appname::verify(&app)?;
    if !repo::exists(&app) {
        bail!("{app} has no repository yet: push to it first");
    }
    trigger_beside_protocol("git-pre-pull", &[&app])?;
    let code = serve("upload-pack", &app)?;
    trigger_beside_protocol("git-post-pull", &[&app])?;
    match code {
        0 => Ok(()),
        c => Err(Exit(c).into()),
    }
}

/// One line the `pre-receive` hook reads: `OLD NEW REF`.
struct RefUpdate {
    new: String,
    refname: String,
}

fn parse_update(line: &str) -> Result<Option<RefUpdate>> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [_old, new, refname] = parts[..] else {
        bail!("git-hook: unexpected input line {line:?}");
    };
    if new.bytes().all(|b| b == b'0') {
        return Ok(None); // a deletion: nothing to build
    }
    if !new.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("git-hook: invalid revision {new:?}");
    }
    Ok(Some(RefUpdate {
        new: new.to_string(),
        refname: refname.to_string(),
    }))
}

/// `git-hook APP`: reads the pushed refs; the deploy branch deploys, other branches are kept
/// and handed to `receive-branch`. A failed deploy makes the hook, and so the push, fail.
pub fn git_hook(argv: &[String]) -> Result<()> {
    let [app] = argv else {
        bail!("usage: dokku git-hook <app>");
    };
    appname::verify(app)?;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.context("git-hook: cannot read the pushed refs")?;
        if line.trim().is_empty() {
            continue;
        }
        let Some(u) = parse_update(&line)? else {
            continue;
        };
        let Some(branch) = u.refname.strip_prefix("refs/heads/") else {
            continue; // tags and other refs are stored, never built
        };
        let deploy = match settings::deploy_branch(app)? {
            Some(b) => b,
            None => {
                // The first branch pushed becomes the app's deploy branch.
                property::write(settings::PROPS, app, "deploy-branch", branch)?;
                repo::set_head(app, branch)?;
                branch.to_string()
            }
        };
        if branch == deploy {
            pipeline::run_receive_app(app, &u.new)?;
            trigger("deploy-source-set", &[app, "git-push", &u.new])?;
        } else {
            log::info1(&format!(
                "WARNING: {branch} is stored but not deployed: {app} deploys {deploy}"
            ));
            log::info1(&format!(
                "for example, try 'git push <dokku> {branch}:{deploy}', or `dokku git:set {app} deploy-branch {branch}`"
            ));
            trigger("receive-branch", &[app, &u.new, &u.refname])?;
        }
    }
    Ok(())
}
