//! Which buildpacks build an app, and fetching them. The first of these that names any wins:
//! the `BUILDPACK_URL` config var (one buildpack, as Dokku), `BUILDPACK_URL` in the source's
//! `.env`, the app's list
//! (`buildpacks:add`), the source's `.buildpacks` file. Each is fetched into the stage
//! folder as `NN-NAME`: git locations with `git clone --depth 1` (at `#REF` when given),
//! local folders copied.

use anyhow::{bail, Context, Result};
use dokku_core::buildpack::{self as url, Buildpack};
use dokku_core::{log, trigger_lines, trigger_value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// The config var that names one buildpack for the app, overriding every other source.
pub const BUILDPACK_URL: &str = "BUILDPACK_URL";

/// The buildpacks of a build and where they were named.
pub struct Selection {
    /// Where the list comes from, for messages.
    pub origin: &'static str,
    /// The buildpacks, in order.
    pub buildpacks: Vec<Buildpack>,
}

/// Whether the app has buildpacks configured (cheap enough for `builder-detect`): a
/// `.buildpacks` file, `buildpacks:add`, `BUILDPACK_URL` named in the source's `.env` (as
/// Dokku, any mention counts) or set in the app's config.
pub fn configured(app: &str, dir: &Path) -> Result<bool> {
    if dir.join(".buildpacks").is_file() || !listed(app)?.is_empty() {
        return Ok(true);
    }
    let dotenv = dir.join(".env");
    if dotenv.is_file()
        && std::fs::read(&dotenv)
            .with_context(|| format!("cannot read {}", dotenv.display()))?
            .windows(BUILDPACK_URL.len())
            .any(|w| w == BUILDPACK_URL.as_bytes())
    {
        return Ok(true);
    }
    Ok(trigger_value("config-get", &[app, BUILDPACK_URL])?.is_some_and(|v| !v.is_empty()))
}

/// The `BUILDPACK_URL` a source's `.env` sets, if it sets one (a file that does not parse as
/// an env file is refused, naming it).
fn dotenv_buildpack(dir: &Path) -> Result<Option<String>> {
    let file = dir.join(".env");
    if !file.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&file).context("cannot read .env")?;
    let vars = dokku_core::envfile::parse(&text).context("the .env of the source")?;
    Ok(vars.get(BUILDPACK_URL).filter(|v| !v.is_empty()).cloned())
}

/// The buildpacks that build `app` from `dir`; fails when none is configured.
pub fn resolve(app: &str, dir: &Path, config: &BTreeMap<String, String>) -> Result<Selection> {
    if let Some(u) = config.get(BUILDPACK_URL).filter(|u| !u.is_empty()) {
        let bp =
            url::parse(u).with_context(|| format!("the {BUILDPACK_URL} config var of {app}"))?;
        return Ok(Selection {
            origin: "the BUILDPACK_URL config var",
            buildpacks: vec![bp],
        });
    }
    if let Some(u) = dotenv_buildpack(dir)? {
        let bp = url::parse(&u).with_context(|| format!("the {BUILDPACK_URL} of the .env file"))?;
        return Ok(Selection {
            origin: "the BUILDPACK_URL of .env",
            buildpacks: vec![bp],
        });
    }
    let listed = listed(app)?;
    if !listed.is_empty() {
        let buildpacks = listed
            .iter()
            .map(|l| url::parse(l))
            .collect::<Result<Vec<_>>>()
            .with_context(|| format!("the buildpacks of {app} (buildpacks:list {app})"))?;
        return Ok(Selection {
            origin: "buildpacks:list",
            buildpacks,
        });
    }
    let file = dir.join(".buildpacks");
    if file.is_file() {
        let text = std::fs::read_to_string(&file).context("cannot read .buildpacks")?;
        let buildpacks = url::parse_list_file(&text)?;
        if !buildpacks.is_empty() {
            return Ok(Selection {
                origin: ".buildpacks",
                buildpacks,
            });
        }
    }
    bail!("No buildpacks configured for {app}: buildpacks:add {app} URL or a .buildpacks file")
}

/// Runs git with its output captured; fails with git's last error line.
fn git(args: &[&str], what: &str) -> Result<()> {
    let out = Command::new("git")
        .args(["-c", "advice.detachedHead=false"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim()
            .to_string();
        bail!("{what}: {line}");
    }
    Ok(())
}

/// Clones `bp` into `dest` (at its ref when given: a branch or tag shallowly, else a commit).
fn clone(bp: &Buildpack, dest: &Path) -> Result<()> {
    let what = format!("cannot fetch buildpack {bp}");
    let d = dest.to_str().context("non-UTF-8 stage folder")?;
    let mut args = vec!["clone", "--quiet", "--depth", "1"];
    if let Some(r) = &bp.git_ref {
        args.extend(["--branch", r]);
    }
    args.extend(["--", &bp.location, d]);
    match (git(&args, &what), &bp.git_ref) {
        (Ok(()), _) => {}
        // Not a branch or tag: a commit, which needs the history.
        (Err(_), Some(r)) => {
            let _ = std::fs::remove_dir_all(dest);
            git(&["clone", "--quiet", "--", &bp.location, d], &what)?;
            git(&["-C", d, "checkout", "--quiet", r, "--"], &what)?;
        }
        (Err(e), None) => return Err(e),
    }
    let dot_git = dest.join(".git");
    std::fs::remove_dir_all(&dot_git)
        .with_context(|| format!("cannot remove {}", dot_git.display()))
}

/// Copies the local folder of `bp` into `dest`.
fn copy(bp: &Buildpack, dest: &Path) -> Result<()> {
    let src = Path::new(&bp.location);
    if !src.is_dir() {
        bail!("Buildpack {bp} is not a folder on this host");
    }
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let st = Command::new("cp")
        .arg("-a")
        .arg("--")
        .arg(src.join("."))
        .arg(dest)
        .stdin(Stdio::null())
        .status()
        .context("cannot run cp")?;
    if !st.success() {
        bail!("cannot copy buildpack {bp}");
    }
    Ok(())
}

/// Fetches every buildpack into `dest/NN-NAME`; returns the `NN-NAME<TAB>LOCATION` lines
/// the lifecycle script reads, in order.
pub fn fetch(sel: &Selection, dest: &Path) -> Result<String> {
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    log::info1(&format!("Fetching buildpacks (from {})", sel.origin));
    let mut list = String::new();
    for (i, bp) in sel.buildpacks.iter().enumerate() {
        let dir = format!("{:02}-{}", i + 1, bp.name());
        log::verbose(&format!("{}. {bp}", i + 1));
        let target = dest.join(&dir);
        if bp.is_local() && bp.git_ref.is_none() {
            copy(bp, &target)?;
        } else {
            clone(bp, &target)?;
        }
        list.push_str(&format!("{dir}\t{bp}\n"));
    }
    Ok(list)
}

/// The app's buildpack list (`buildpacks:add`), asked of the buildpacks plugin through
/// `buildpacks-list APP` (empty when that plugin is not enabled).
fn listed(app: &str) -> Result<Vec<String>> {
    trigger_lines("buildpacks-list", &[app])
}
