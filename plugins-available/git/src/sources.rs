//! Deploys from elsewhere than a push: `git:sync` (a remote repository), `git:from-archive` (a
//! tar, tar.gz or zip from a URL or stdin) and `git:from-image` (a Dockerfile `FROM IMAGE`).
//! Each puts a commit on the app's deploy branch and, when asked, runs the same pipeline as a
//! push. The archive and image paths go through Dokku's triggers (`git-from-archive`,
//! `git-from-image`, then `git-from-directory`), so that a plugin can replace a step. As with a
//! push, a deploy that fails leaves the deploy branch where it was.

use crate::archive::{self, Kind};
use crate::{pipeline, repo, settings};
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, log, property, trigger};
use std::io::Write;
use std::path::Path;

const DEFAULT_AUTHOR: (&str, &str) = ("Dokku", "automated@dokku.sh");

/// Creates the app when needed (as a push does) and its repository.
fn prepare_app(app: &str) -> Result<()> {
    appname::validate(app)?;
    trigger("app-maybe-create", &[app])?;
    repo::ensure(app)
}

/// The app's deploy branch; when none is set yet, `preferred` (or `master`) becomes it.
fn branch_for(app: &str, preferred: Option<&str>) -> Result<String> {
    if let Some(b) = settings::deploy_branch(app)? {
        return Ok(b);
    }
    let b = preferred
        .filter(|p| repo::is_valid_branch(p) && !is_sha(p))
        .unwrap_or("master")
        .to_string();
    property::write(settings::PROPS, app, "deploy-branch", &b)?;
    repo::set_head(app, &b)?;
    Ok(b)
}

fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Runs the pipeline on `rev`, then records the source (a failed deploy changes neither the
/// branch nor the recorded source: both keep naming what serves).
fn deploy(app: &str, rev: &str, kind: &str, metadata: &str) -> Result<()> {
    pipeline::run_receive_app(app, rev)?;
    trigger("deploy-source-set", &[app, kind, metadata])
}

fn check_text(what: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.starts_with('-') || s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        bail!("invalid {what} {s:?}");
    }
    Ok(())
}

/// Checks a remote repository address: a URL git speaks (https, http, ssh, git, file), an
/// scp-like `user@host:path`, or an absolute path; never an option or an `ext::` command.
pub fn validate_repo(url: &str) -> Result<()> {
    check_text("repository", url)?;
    plugn::manage::check_git_transport(url)?;
    let scheme_ok = ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|s| url.starts_with(s));
    let scp_ok = !url.contains("://")
        && url
            .split_once(':')
            .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/'));
    if !(scheme_ok || scp_ok || url.starts_with('/')) || url.contains("::") {
        bail!("invalid repository {url:?}: use an https://, ssh://, git:// or file:// URL, user@host:path or an absolute path");
    }
    Ok(())
}

/// The repository address without credentials, for reports.
fn without_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some((_, host)) = authority.rsplit_once('@') {
            return format!("{scheme}://{host}{path}");
        }
    }
    url.to_string()
}

/// Sets up a git command that reaches a remote as the dokku user does: its netrc
/// (`$DOKKU_ROOT/.netrc`, see `git:auth`) for http(s), its deploy key and known_hosts for ssh.
fn as_dokku_user(c: &mut std::process::Command) {
    c.env("HOME", &dokku_core::paths().dokku_root)
        .env("GIT_SSH_COMMAND", crate::keys::ssh_command())
        .env_remove("GIT_SSH")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS");
}

/// `git:sync [--build|--build-if-changes] [--skip-deploy-branch] APP REPO [REF]`: with
/// `--skip-deploy-branch`, a branch given as REF (or the remote's default branch) does not
/// become the app's deploy branch; the fetched revision goes onto the deploy branch as it is.
pub fn sync(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(
        argv,
        &["--build", "--build-if-changes", "--skip-deploy-branch"],
        &[],
    )?;
    a.at_most(3, usage)?;
    let app = appname::required(a.pos(0))?;
    let Some(url) = a.pos(1) else {
        bail!("no repository given; usage: {usage}");
    };
    validate_repo(url)?;
    let git_ref = a.pos(2);
    if let Some(r) = git_ref {
        check_text("git ref", r)?;
        if !is_sha(r) && !repo::is_valid_branch(r) {
            bail!("invalid git ref {r:?}");
        }
    }
    // Ask the remote first, so that a repository or ref that is not there changes nothing.
    let mut probe = repo::git();
    as_dokku_user(&mut probe);
    probe.args(["ls-remote", "--quiet", "--", url]);
    let listed = repo::run(
        probe,
        &format!("git:sync: cannot read {}", without_credentials(url)),
    )?;
    if let Some(r) = git_ref.filter(|r| !is_sha(r)) {
        let found = listed.lines().any(|l| {
            l.split_once('\t').is_some_and(|(_, name)| {
                name == r || name == format!("refs/heads/{r}") || name == format!("refs/tags/{r}")
            })
        });
        if !found {
            bail!(
                "git:sync: {} has no branch or tag {r:?}",
                without_credentials(url)
            );
        }
    }
    prepare_app(&app)?;
    log::info1(&format!(
        "Syncing {app} from {}{}",
        without_credentials(url),
        git_ref.map(|r| format!(" at {r}")).unwrap_or_default()
    ));
    // Fetched into a ref of this run alone (no FETCH_HEAD left behind), removed afterwards.
    let scratch = format!("refs/dokku-sync/{}", std::process::id());
    let mut fetch = repo::git_in(&app);
    as_dokku_user(&mut fetch);
    fetch.args([
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--",
        url,
    ]);
    fetch.arg(format!(
        "+{}:{scratch}",
        git_ref.map(String::as_str).unwrap_or("HEAD")
    ));
    let fetched = repo::run(
        fetch,
        &format!("git:sync: cannot fetch {}", without_credentials(url)),
    )
    .and_then(|_| repo::rev_of(&app, &scratch));
    let mut drop_ref = repo::git_in(&app);
    drop_ref.args(["update-ref", "-d", &scratch]);
    let _ = repo::run(drop_ref, "cannot remove the fetched ref");
    let Some(rev) = fetched? else {
        bail!(
            "git:sync: nothing was fetched from {}",
            without_credentials(url)
        );
    };
    let branch = if a.has("--skip-deploy-branch") {
        settings::computed_deploy_branch(&app)?
    } else {
        let remote_head = match git_ref {
            Some(_) => None,
            None => remote_head_branch(url),
        };
        branch_for(&app, git_ref.or(remote_head.as_ref()).map(String::as_str))?
    };
    let refname = format!("refs/heads/{branch}");
    let old = repo::rev_of(&app, &refname)?;
    let changed = old.as_deref() != Some(rev.as_str());
    let metadata = format!(
        "{}#{}",
        without_credentials(url),
        git_ref.map(String::as_str).unwrap_or("HEAD")
    );
    if a.has("--build") || (a.has("--build-if-changes") && changed) {
        // As a push: the branch moves only once the revision deployed.
        deploy(&app, &rev, "git-sync", &metadata)?;
        move_branch(&app, &branch, &rev)
    } else {
        move_branch(&app, &branch, &rev)?;
        if a.has("--build-if-changes") {
            log::info1("No changes detected, skipping build");
        }
        Ok(())
    }
}

/// Points the app's deploy branch at `rev` (after a deploy of it succeeded, or without one).
fn move_branch(app: &str, branch: &str, rev: &str) -> Result<()> {
    let mut up = repo::git_in(app);
    up.args(["update-ref", &format!("refs/heads/{branch}"), rev]);
    repo::run(up, "cannot update the deploy branch").map(|_| ())
}

/// The branch a remote repository's HEAD names, when it says (`git ls-remote --symref`).
fn remote_head_branch(url: &str) -> Option<String> {
    let mut c = repo::git();
    as_dokku_user(&mut c);
    c.args(["ls-remote", "--symref", "--", url, "HEAD"]);
    let out = repo::run(c, "git:sync").ok()?;
    out.lines()
        .find_map(|l| l.strip_prefix("ref: refs/heads/"))
        .and_then(|l| l.split('\t').next())
        .map(str::to_string)
}

/// A user name and email for a commit: `Dokku <automated@dokku.sh>` where not given (or
/// empty, as Dokku's triggers treat them).
pub fn author(name: Option<&String>, email: Option<&String>) -> Result<(String, String)> {
    let pick = |v: Option<&String>, default: &str| {
        v.filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let (name, email) = (pick(name, DEFAULT_AUTHOR.0), pick(email, DEFAULT_AUTHOR.1));
    for (what, v) in [("user name", &name), ("user email", &email)] {
        if v.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            bail!("invalid {what} {v:?}");
        }
    }
    Ok((name, email))
}

/// Fires a trigger with output passed through and, when `stdin`, this process's stdin handed
/// on (an archive read from `-`); fails with the trigger's exit code.
fn fire_trigger(name: &str, args: &[&str], stdin: bool) -> Result<()> {
    if stdin {
        dokku_core::trigger_through(name, args)
    } else {
        trigger(name, args)
    }
}

/// Whether an archive URL means standard input (`-`, or Dokku's `--`).
fn is_stdin(url: &str) -> bool {
    url == "-" || url == "--"
}

/// Checks an archive URL: `-` (stdin) or an http(s) URL.
fn check_archive_url(url: &str) -> Result<()> {
    if is_stdin(url) {
        return Ok(());
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("invalid archive URL {url:?}: use an http:// or https:// URL, or - for stdin");
    }
    check_text("archive URL", url)
}

/// Fetches the archive at `url` (http or https) or reads it from stdin (`-`) into a temp file,
/// refusing one larger than the caps' budget.
fn fetch_archive(url: &str, limits: plugn::archive::Limits) -> Result<std::fs::File> {
    use std::io::Read;
    check_archive_url(url)?;
    let budget = limits.stream_budget();
    let too_big = || {
        anyhow::anyhow!(
            "the archive is larger than {} bytes, more than archive-max-size {} allows; refusing it",
            budget,
            plugn::archive::format_size(limits.max_size)
        )
    };
    let mut file = tempfile::tempfile().context("cannot create a temp file")?;
    if is_stdin(url) {
        let n = std::io::copy(
            &mut std::io::stdin().lock().take(budget.saturating_add(1)),
            &mut file,
        )
        .context("cannot read the archive from stdin")?;
        if n > budget {
            return Err(too_big());
        }
    } else {
        let out = std::process::Command::new("curl")
            .args(["--fail", "--silent", "--show-error", "--location"])
            .args([
                "--proto",
                "=http,https",
                "--max-time",
                "600",
                "--max-filesize",
                &budget.to_string(),
                "--output",
                "-",
                "--",
            ])
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().context("cannot write the temp file")?)
            .output()
            .context("cannot run curl")?;
        if out.status.code() == Some(63) {
            return Err(too_big());
        }
        if !out.status.success() {
            bail!(
                "cannot download {url}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    file.flush().context("cannot write the temp file")?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        bail!("the archive is empty");
    }
    Ok(file)
}

/// `git:from-archive [--archive-type tar|tar.gz|zip] APP URL|- [USER_NAME [USER_EMAIL]]`:
/// fires `git-from-archive APP URL TYPE USER_NAME USER_EMAIL` (URL `--` for stdin, as Dokku's;
/// TYPE empty when not given: the answer tells it from the archive's first bytes).
pub fn from_archive(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku git:from-archive [--archive-type tar|tar.gz|zip] <app> <url>|- [<user-name> [<user-email>]]";
    let a = args::parse(argv, &[], &["--archive-type"])?;
    a.at_most(4, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::validate(&app)?;
    let Some(url) = a.pos(1) else {
        bail!("no archive given; usage: {USAGE}");
    };
    let kind = match a.value("--archive-type") {
        Some(k) => Kind::parse(k)?.name(),
        None => "",
    };
    check_archive_url(url)?;
    let who = author(a.pos(2), a.pos(3))?;
    let stdin = is_stdin(url);
    let url = if stdin { "--" } else { url.as_str() };
    fire_trigger(
        "git-from-archive",
        &[&app, url, kind, &who.0, &who.1],
        stdin,
    )
}

/// Trigger `git-from-archive APP ARCHIVE_URL ARCHIVE_TYPE USER_NAME USER_EMAIL`: downloads the
/// archive (`--` or `-`: reads it from stdin), checks and unpacks it (tar, tar.gz or zip; an
/// empty type is told from its first bytes; a single top folder is stripped) and fires
/// `git-from-directory APP DIR USER_NAME USER_EMAIL` on the result.
pub fn trigger_git_from_archive(argv: &[String]) -> Result<()> {
    let [app, url, kind, rest @ ..] = argv else {
        bail!("git-from-archive needs APP ARCHIVE_URL ARCHIVE_TYPE [USER_NAME [USER_EMAIL]]");
    };
    appname::validate(app)?;
    let kind = (!kind.is_empty()).then(|| Kind::parse(kind)).transpose()?;
    let who = author(rest.first(), rest.get(1))?;
    let limits = settings::archive_limits(app)?;
    let mut file = fetch_archive(url, limits)?;
    let dest = plugn::atomic::private_dir("dokku-archive-")?;
    archive::unpack(app, &mut file, kind, dest.path())?;
    let root = archive::app_root(dest.path())?;
    let root = root.to_str().context("the archive folder is not UTF-8")?;
    let source = if is_stdin(url) { "stdin" } else { url.as_str() };
    set_source("archive", source);
    fire_trigger("git-from-directory", &[app, root, &who.0, &who.1], false)
}

/// The variables by which a `git-from-*` answer tells `git-from-directory` the deploy source
/// (`deploy-source-set APP TYPE METADATA`) and so the commit message.
const SOURCE_TYPE_ENV: &str = "DOKKU_GIT_SOURCE_TYPE";
const SOURCE_METADATA_ENV: &str = "DOKKU_GIT_SOURCE_METADATA";

fn set_source(kind: &str, metadata: &str) {
    std::env::set_var(SOURCE_TYPE_ENV, kind);
    std::env::set_var(SOURCE_METADATA_ENV, metadata);
}

/// Takes (and clears) the deploy source a `git-from-*` answer handed on.
fn take_source() -> Option<(String, String)> {
    let kind = std::env::var(SOURCE_TYPE_ENV)
        .ok()
        .filter(|k| !k.is_empty());
    let metadata = std::env::var(SOURCE_METADATA_ENV).unwrap_or_default();
    std::env::remove_var(SOURCE_TYPE_ENV);
    std::env::remove_var(SOURCE_METADATA_ENV);
    kind.map(|k| (k, metadata))
}

/// Trigger `git-from-directory APP SOURCECODE_WORK_DIR USER_NAME USER_EMAIL`: commits the
/// folder's files onto the app's deploy branch (creating the app and its repository when
/// needed) and deploys that commit through `receive-app`, as a push does: the branch moves to
/// the commit only once it deployed.
pub fn trigger_git_from_directory(argv: &[String]) -> Result<()> {
    let [app, dir, rest @ ..] = argv else {
        bail!("git-from-directory needs APP SOURCECODE_WORK_DIR [USER_NAME [USER_EMAIL]]");
    };
    appname::validate(app)?;
    let dir = Path::new(dir);
    if !dir.is_absolute() || !dir.is_dir() {
        bail!("git-from-directory: {} is not a folder", dir.display());
    }
    let who = author(rest.first(), rest.get(1))?;
    let source = take_source();
    prepare_app(app)?;
    let branch = branch_for(app, None)?;
    let (what, message) = match &source {
        Some((k, _)) if k == "archive" => (
            "the archive".to_string(),
            "Automated commit from an archive".to_string(),
        ),
        Some((k, image)) if k == "docker-image" => (
            format!("a Dockerfile FROM {image}"),
            format!("Automated commit from image {image}"),
        ),
        _ => (
            format!("{}", dir.display()),
            "Automated commit from a directory".to_string(),
        ),
    };
    log::info1(&format!("Committing {what} to {app}"));
    let rev = repo::commit_dir(app, dir, &branch, &message, (&who.0, &who.1))?;
    pipeline::run_receive_app(app, &rev)?;
    if let Some((kind, metadata)) = &source {
        trigger("deploy-source-set", &[app, kind, metadata])?;
    }
    move_branch(app, &branch, &rev)
}

/// Checks a Docker image reference (`[registry[:port]/]name[:tag][@digest]`).
pub fn validate_image(image: &str) -> Result<()> {
    let bad = || anyhow::anyhow!("invalid image {image:?}");
    if image.is_empty() || image.len() > 512 || image.starts_with('-') {
        return Err(bad());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty()
                && alg.bytes().all(|b| b.is_ascii_alphanumeric())
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(bad());
        }
    }
    // A tag follows the last ':' after the last '/'.
    let slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(bad());
        }
    }
    let comps: Vec<&str> = name.split('/').collect();
    for (i, c) in comps.iter().enumerate() {
        let registry =
            i == 0 && comps.len() > 1 && (c.contains('.') || c.contains(':') || *c == "localhost");
        let ok = if registry {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b))
        } else {
            !c.is_empty()
                && c.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        };
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// `git:from-image [--build-dir DIR] [--force] APP IMAGE [USER_NAME [USER_EMAIL]]`: fires
/// `git-from-image APP IMAGE BUILD_DIR USER_NAME USER_EMAIL` (BUILD_DIR empty without
/// `--build-dir`). The image the app was last deployed from (its `source-image`) is not
/// deployed again unless `--force` (or `--build-dir`) is given: there is nothing to build.
pub fn from_image(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--force"], &["--build-dir"])?;
    a.at_most(4, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::validate(&app)?;
    let Some(image) = a.pos(1) else {
        bail!("no image given; usage: {usage}");
    };
    validate_image(image)?;
    let build_dir = a.value("--build-dir").unwrap_or("");
    let who = author(a.pos(2), a.pos(3))?;
    if build_dir.is_empty()
        && !a.has("--force")
        && property::get(settings::PROPS, &app, "source-image")?.as_deref() == Some(image)
        && repo::exists(&app)
    {
        log::info1(&format!(
            "{app} is already deployed from {image}: no changes detected, skipping build (use --force to deploy again)"
        ));
        return Ok(());
    }
    fire_from_image(&app, image, build_dir, &who)
}

/// Fires `git-from-image APP IMAGE BUILD_DIR USER_NAME USER_EMAIL` for `git:from-image` and
/// `git:load-image` (BUILD_DIR checked first when given).
pub fn fire_from_image(
    app: &str,
    image: &str,
    build_dir: &str,
    who: &(String, String),
) -> Result<()> {
    if !build_dir.is_empty() {
        check_build_dir(build_dir)?;
    }
    fire_trigger(
        "git-from-image",
        &[app, image, build_dir, &who.0, &who.1],
        false,
    )
}

/// A `--build-dir` of `git:from-image`: an existing folder, named by an absolute path.
pub fn check_build_dir(dir: &str) -> Result<()> {
    let p = Path::new(dir);
    if !p.is_absolute() || !p.is_dir() || dir.chars().any(|c| c.is_control()) {
        bail!("invalid build dir {dir:?}: use the absolute path of an existing folder");
    }
    Ok(())
}

/// Trigger `git-from-image APP DOCKER_IMAGE BUILD_DIR USER_NAME USER_EMAIL`: a build context of
/// BUILD_DIR's files (when given) with a Dockerfile `FROM DOCKER_IMAGE`, recorded as the app's
/// `source-image` once `git-from-directory APP DIR USER_NAME USER_EMAIL` deployed it.
pub fn trigger_git_from_image(argv: &[String]) -> Result<()> {
    let [app, image, rest @ ..] = argv else {
        bail!("git-from-image needs APP DOCKER_IMAGE [BUILD_DIR [USER_NAME [USER_EMAIL]]]");
    };
    appname::validate(app)?;
    validate_image(image)?;
    let build_dir = rest.first().map(String::as_str).unwrap_or("");
    let who = author(rest.get(1), rest.get(2))?;
    let dir = plugn::atomic::private_dir("dokku-image-")?;
    if !build_dir.is_empty() {
        check_build_dir(build_dir)?;
        copy_tree(Path::new(build_dir), dir.path())?;
    }
    std::fs::write(dir.path().join("Dockerfile"), format!("FROM {image}\n"))
        .context("cannot write the Dockerfile")?;
    prepare_app(app)?;
    let dir_s = dir
        .path()
        .to_str()
        .context("the temp folder is not UTF-8")?;
    set_source("docker-image", image);
    fire_trigger("git-from-directory", &[app, dir_s, &who.0, &who.1], false)?;
    // Recorded once the image deployed: a failed deploy keeps the one that serves.
    property::write(settings::PROPS, app, "source-image", image)
}

/// Copies the contents of `src` into `dest` (`cp -a SRC/. DEST`), without a `.git` folder.
fn copy_tree(src: &Path, dest: &Path) -> Result<()> {
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(dest)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run cp")?;
    if !out.status.success() {
        bail!(
            "cannot copy {}: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let git = dest.join(".git");
    if git.exists() {
        std::fs::remove_dir_all(&git)
            .or_else(|_| std::fs::remove_file(&git))
            .with_context(|| format!("cannot remove {}", git.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for ok in [
            "nginx",
            "nginx:1.25-alpine",
            "library/nginx:latest",
            "registry.example.com:5000/team/app:v1.2",
            "localhost/app",
            "dokku/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            validate_image(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            "-x",
            "Nginx",
            "a b",
            "a:",
            "a:-x",
            "a;b",
            "a/../b",
            "a@sha256:zz",
        ] {
            assert!(validate_image(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn repos() {
        for ok in [
            "https://github.com/a/b.git",
            "git@github.com:a/b.git",
            "/srv/repo.git",
            "file:///srv/repo.git",
        ] {
            validate_repo(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "-u",
            "ext::sh -c x",
            "relative/path",
            "a b",
            "https://x/y\n",
        ] {
            assert!(validate_repo(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            without_credentials("https://me:tok@host/x.git"),
            "https://host/x.git"
        );
    }
}
