//! The repo plugin: `repo:gc APP` runs `git gc --aggressive` on the app's bare repository
//! (`$DOKKU_ROOT/APP`, where the git plugin keeps it) and `repo:purge-cache APP` removes the
//! app's build cache, the Docker volume `cache-APP` that the herokuish builder keeps labelled
//! `com.dokku.app-name=APP` (only a volume carrying that label is removed).

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin};
use dokku_core::{appname, args, docker, log};
use std::process::Stdio;

static PLUGIN: Plugin = Plugin {
    prefix: "repo",
    summary: "Manage the app's repo",
    commands: &[
        Command {
            name: "gc",
            usage: "<app>",
            help: "Runs 'git gc --aggressive' against the application's repo",
            run: gc,
        },
        Command {
            name: "purge-cache",
            usage: "<app>",
            help: "Deletes the contents of the build cache stored in the repository",
            run: purge_cache,
        },
    ],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}

/// The one app argument of a repo command, which must exist.
fn the_app(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `repo:gc APP`.
fn gc(argv: &[String]) -> Result<()> {
    let app = the_app(argv, usage())?;
    let dir = appname::app_dir(&app);
    if !dir.join("HEAD").is_file() || !dir.join("objects").is_dir() {
        bail!("{app} has no git repository yet (push to it, or run git:initialize)");
    }
    log::info1(&format!("Running git gc --aggressive on {app}"));
    let out = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(&dir)
        .args(["gc", "--aggressive", "--quiet"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "git gc failed on {app}: {}",
            err.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("failed")
                .trim()
        );
    }
    Ok(())
}

/// `repo:purge-cache APP`.
fn purge_cache(argv: &[String]) -> Result<()> {
    let app = the_app(argv, usage())?;
    let name = format!("cache-{app}");
    let found = docker::output([
        "volume",
        "ls",
        "--quiet",
        "--filter",
        &format!("label={}={app}", docker::APP_LABEL),
        "--filter",
        &format!("name={name}"),
    ])
    .with_context(|| format!("cannot list the build cache of {app}"))?;
    if !found.lines().any(|l| l.trim() == name) {
        log::info1(&format!("No build cache to purge for {app}"));
        return Ok(());
    }
    log::info1(&format!("Purging the build cache of {app}"));
    docker::output(["volume", "rm", &name])
        .with_context(|| format!("cannot remove the build cache {name} of {app}"))?;
    Ok(())
}
