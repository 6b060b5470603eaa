//! `git:status APP`: the state of the app's repository in `git status`'s words. The repository
//! is bare (pushes and `git:sync` change it, nothing is checked out), so the answer is the
//! deploy branch and the commit it holds, or that it holds none yet.

use crate::{repo, settings};
use anyhow::Result;
use dokku_core::plugin::usage;
use dokku_core::{appname, args};

/// `git:status APP`.
pub fn status(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let branch = settings::computed_deploy_branch(&app)?;
    println!("On branch {branch}");
    let rev = if repo::exists(&app) {
        repo::rev_of(&app, &format!("refs/heads/{branch}"))?
    } else {
        None
    };
    match rev {
        None => {
            println!();
            println!("No commits yet");
        }
        Some(rev) => {
            let mut c = repo::git_in(&app);
            c.args(["log", "-1", "--format=%h %s (%an, %cI)", &rev, "--"]);
            let line = repo::run(c, "cannot read the repository")?;
            println!("Last commit {line}");
            println!("nothing to commit, working tree clean (the repository of {app} is bare)");
        }
    }
    Ok(())
}
