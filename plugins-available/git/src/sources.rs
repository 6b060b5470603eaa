//! Deploys from elsewhere than a push: `git:sync` (a remote repository), `git:from-archive` (a
//! tar, tar.gz or zip from a URL or stdin) and `git:from-image` (a Dockerfile `FROM IMAGE`).
//! Each puts a commit on the app's deploy branch and, when asked, runs the same pipeline as a
//! push.

use crate::archive::{self, Kind};
use crate::{pipeline, repo, settings};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, args, log, property, trigger};
use std::io::Write;

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

/// Records the source and runs the pipeline on `rev`.
fn deploy(app: &str, rev: &str, kind: &str, metadata: &str) -> Result<()> {
    trigger("deploy-source-set", &[app, kind, metadata])?;
    pipeline::run_receive_app(app, rev)
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

/// `git:sync [--build|--build-if-changes] APP REPO [REF]`.
pub fn sync(argv: &[String]) -> Result<()> {
    const USAGE: &str =
        "dokku git:sync [--build|--build-if-changes] <app> <repository> [<git-ref>]";
    let a = args::parse(argv, &["--build", "--build-if-changes"], &[])?;
    a.at_most(3, USAGE)?;
    let app = appname::required(a.pos(0))?;
    let Some(url) = a.pos(1) else {
        bail!("no repository given; usage: {USAGE}");
    };
    validate_repo(url)?;
    let git_ref = a.pos(2);
    if let Some(r) = git_ref {
        check_text("git ref", r)?;
        if !is_sha(r) && !repo::is_valid_branch(r) {
            bail!("invalid git ref {r:?}");
        }
    }
    prepare_app(&app)?;
    log::info1(&format!(
        "Syncing {app} from {}{}",
        without_credentials(url),
        git_ref.map(|r| format!(" at {r}")).unwrap_or_default()
    ));
    let mut fetch = repo::git_in(&app);
    fetch.args(["fetch", "--quiet", "--no-tags", "--", url]);
    if let Some(r) = git_ref {
        fetch.arg(r);
    }
    repo::run(
        fetch,
        &format!("git:sync: cannot fetch {}", without_credentials(url)),
    )?;
    let Some(rev) = repo::rev_of(&app, "FETCH_HEAD")? else {
        bail!(
            "git:sync: nothing was fetched from {}",
            without_credentials(url)
        );
    };
    let remote_head = match git_ref {
        Some(_) => None,
        None => remote_head_branch(url),
    };
    let branch = branch_for(&app, git_ref.or(remote_head.as_ref()).map(String::as_str))?;
    let refname = format!("refs/heads/{branch}");
    let old = repo::rev_of(&app, &refname)?;
    let mut up = repo::git_in(&app);
    up.args(["update-ref", &refname, &rev]);
    repo::run(up, "git:sync: cannot update the deploy branch")?;
    let changed = old.as_deref() != Some(rev.as_str());
    let metadata = format!(
        "{}#{}",
        without_credentials(url),
        git_ref.map(String::as_str).unwrap_or("HEAD")
    );
    if a.has("--build") || (a.has("--build-if-changes") && changed) {
        deploy(&app, &rev, "git-sync", &metadata)
    } else {
        if a.has("--build-if-changes") {
            log::info1("No changes detected, skipping build");
        }
        Ok(())
    }
}

/// The branch a remote repository's HEAD names, when it says (`git ls-remote --symref`).
fn remote_head_branch(url: &str) -> Option<String> {
    let mut c = repo::git();
    c.args(["ls-remote", "--symref", "--", url, "HEAD"]);
    let out = repo::run(c, "git:sync").ok()?;
    out.lines()
        .find_map(|l| l.strip_prefix("ref: refs/heads/"))
        .and_then(|l| l.split('\t').next())
        .map(str::to_string)
}

/// The optional `USER_NAME [USER_EMAIL]` of from-archive and from-image.
fn author(a: &args::Args, first: usize) -> Result<(String, String)> {
    let name = a.pos(first).map(String::as_str).unwrap_or(DEFAULT_AUTHOR.0);
    let email = a
        .pos(first + 1)
        .map(String::as_str)
        .unwrap_or(DEFAULT_AUTHOR.1);
    for (what, v) in [("user name", name), ("user email", email)] {
        if v.is_empty() || v.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            bail!("invalid {what} {v:?}");
        }
    }
    Ok((name.to_string(), email.to_string()))
}

/// Fetches the archive at `url` (http or https) or reads it from stdin (`-`) into a temp file.
fn fetch_archive(url: &str) -> Result<std::fs::File> {
    let mut file = tempfile::tempfile().context("cannot create a temp file")?;
    if url == "-" {
        std::io::copy(&mut std::io::stdin().lock(), &mut file)
            .context("cannot read the archive from stdin")?;
    } else {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("invalid archive URL {url:?}: use an http:// or https:// URL, or - for stdin");
        }
        check_text("archive URL", url)?;
        let out = std::process::Command::new("curl")
            .args(["--fail", "--silent", "--show-error", "--location"])
            .args([
                "--proto",
                "=http,https",
                "--max-time",
                "600",
                "--output",
                "-",
                "--",
            ])
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().context("cannot write the temp file")?)
            .output()
            .context("cannot run curl")?;
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

/// `git:from-archive [--archive-type tar|tar.gz|zip] APP URL|- [USER_NAME [USER_EMAIL]]`.
pub fn from_archive(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku git:from-archive [--archive-type tar|tar.gz|zip] <app> <url>|- [<user-name> [<user-email>]]";
    let a = args::parse(argv, &[], &["--archive-type"])?;
    a.at_most(4, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::validate(&app)?;
    let Some(url) = a.pos(1) else {
        bail!("no archive given; usage: {USAGE}");
    };
    let kind = a.value("--archive-type").map(Kind::parse).transpose()?;
    let who = author(&a, 2)?;
    let mut file = fetch_archive(url)?;
    let kind = match kind {
        Some(k) => k,
        None => Kind::sniff(&mut file)?,
    };
    let dest = tempfile::Builder::new()
        .prefix("dokku-archive-")
        .tempdir()
        .context("cannot create a temp folder")?;
    archive::unpack(&mut file, kind, dest.path())?;
    let root = archive::app_root(dest.path())?;
    prepare_app(&app)?;
    let branch = branch_for(&app, None)?;
    log::info1(&format!("Committing the archive to {app}"));
    let rev = repo::commit_dir(
        &app,
        &root,
        &branch,
        "Automated commit from an archive",
        (&who.0, &who.1),
    )?;
    let source = if url == "-" { "stdin" } else { url.as_str() };
    deploy(&app, &rev, "archive", source)
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

/// `git:from-image APP IMAGE [USER_NAME [USER_EMAIL]]`: commits a Dockerfile `FROM IMAGE` and
/// deploys it.
pub fn from_image(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku git:from-image <app> <docker-image> [<user-name> [<user-email>]]";
    let a = args::parse(argv, &[], &[])?;
    a.at_most(4, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::validate(&app)?;
    let Some(image) = a.pos(1) else {
        bail!("no image given; usage: {USAGE}");
    };
    validate_image(image)?;
    let who = author(&a, 2)?;
    prepare_app(&app)?;
    let dir = tempfile::Builder::new()
        .prefix("dokku-image-")
        .tempdir()
        .context("cannot create a temp folder")?;
    std::fs::write(dir.path().join("Dockerfile"), format!("FROM {image}\n"))
        .context("cannot write the Dockerfile")?;
    let branch = branch_for(&app, None)?;
    property::write(settings::PROPS, &app, "source-image", image)?;
    let rev = repo::commit_dir(
        &app,
        dir.path(),
        &branch,
        &format!("Automated commit from image {image}"),
        (&who.0, &who.1),
    )?;
    deploy(&app, &rev, "docker-image", image)
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
