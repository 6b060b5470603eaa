//! Managing plugins: install (local path, git URL, tarball URL), uninstall, enable, disable,
//! update, list. Every step that can fail happens before the plugin appears under `available/`.

use crate::archive;
use crate::discovery;
use crate::manifest::{self, validate_plugin_name};
use crate::paths::Paths;
use anyhow::{anyhow, bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a plugin source is.
#[derive(Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A git repository (URL or local folder with `.git`).
    Git,
    /// A tar archive (optionally compressed), by URL or local path.
    Tarball,
    /// A plain local folder, copied.
    Folder,
}

fn is_tarball_name(s: &str) -> bool {
    let s = s.split(['?', '#']).next().unwrap_or(s);
    [
        ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
    ]
    .iter()
    .any(|ext| s.ends_with(ext))
}

/// Classifies a source given to `install`.
pub fn classify(source: &str) -> Result<SourceKind> {
    if source.is_empty() || source.starts_with('-') {
        bail!("invalid plugin source {:?}", source);
    }
    if source.chars().any(|c| c.is_control()) {
        bail!("invalid plugin source {:?}: control characters", source);
    }
    check_git_transport(source)?;
    if is_tarball_name(source) {
        return Ok(SourceKind::Tarball);
    }
    if let Some(path) = source.strip_prefix("file://") {
        return Ok(
            if Path::new(path).join(".git").exists() || path.ends_with(".git") {
                SourceKind::Git
            } else {
                SourceKind::Folder
            },
        );
    }
    let remote = ["http://", "https://", "git://", "ssh://", "git+ssh://"]
        .iter()
        .any(|p| source.starts_with(p))
        || (source.contains('@') && source.contains(':') && !source.starts_with('/'));
    if remote {
        return Ok(SourceKind::Git);
    }
    let p = Path::new(source);
    if p.join(".git").exists() || (source.ends_with(".git") && p.is_dir()) {
        return Ok(SourceKind::Git);
    }
    if p.is_dir() {
        return Ok(SourceKind::Folder);
    }
    bail!("plugin source {source:?} is neither a git URL, a tarball nor a folder")
}

/// The plugin name a source implies: its last path part without `.git`/archive extensions and
/// without a `dokku-` prefix (so `dokku-redis.git` installs as `redis`).
pub fn name_from_source(source: &str) -> String {
    let s = source.trim_end_matches('/');
    let s = s.split(['?', '#']).next().unwrap_or(s);
    let mut base = s.rsplit(['/', ':']).next().unwrap_or(s).to_string();
    for ext in [
        ".git", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar",
    ] {
        if let Some(b) = base.strip_suffix(ext) {
            base = b.to_string();
            break;
        }
    }
    base.strip_prefix("dokku-")
        .map(str::to_string)
        .unwrap_or(base)
}

/// The URL schemes a git source may use: transports that only fetch.
const GIT_SCHEMES: &[&str] = &["https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"];

/// Refuses git sources whose transport runs commands: `ext::…`, `fd::…` and every other
/// `helper::address` form, a `scheme://` git does not simply fetch from, and an scp-like
/// `user@-host:path` whose host would be read by ssh as an option. Shared by `plugin:install`
/// and `git:sync`.
pub fn check_git_transport(url: &str) -> Result<()> {
    let refuse = |why: &str| {
        anyhow!(
            "invalid source {url:?}: {why}; use an https://, ssh://, git:// or file:// URL, user@host:path or a path"
        )
    };
    if url.starts_with('-') {
        return Err(refuse("it starts with -"));
    }
    if url.contains("::") {
        return Err(refuse(
            "git transports that run commands (ext::, fd::, remote helpers) are refused",
        ));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        if !GIT_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(refuse(&format!("the {scheme}:// transport is refused")));
        }
        let rest = &url[scheme.len() + 3..];
        let authority = rest.split('/').next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or(authority);
        if host.starts_with('-') {
            return Err(refuse("its host starts with -"));
        }
    } else if let Some((head, _)) = url.split_once(':') {
        if !head.contains('/') {
            let host = head.rsplit('@').next().unwrap_or(head);
            if host.starts_with('-') || head.starts_with('-') {
                return Err(refuse("its host starts with -"));
            }
        }
    }
    Ok(())
}

/// The line of a failed git command's stderr that says why: ssh's own reason, else the first
/// `fatal:` or `error:` line, else the last line.
fn git_reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Cloning into"))
        .collect();
    let line = lines
        .iter()
        .find(|l| l.starts_with("ssh:"))
        .or_else(|| lines.iter().find(|l| l.starts_with("fatal:")))
        .or_else(|| lines.iter().find(|l| l.starts_with("error:")))
        .or(lines.last())
        .copied()
        .unwrap_or("no reason given");
    let line = line
        .strip_prefix("fatal: ")
        .or_else(|| line.strip_prefix("error: "))
        .unwrap_or(line);
    line.chars().filter(|c| !c.is_control()).take(300).collect()
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    if crate::trigger::tracing() {
        eprintln!("+ {}", crate::events::redact(&format!("{cmd:?}")));
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{what}: cannot start {:?}", cmd.get_program()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("{what} failed: {}", git_reason(&err));
    }
    Ok(())
}

/// A `git` command that never prompts and never uses a transport that runs commands. A plugin
/// folder belongs to the dokku user on a system install while root updates it
/// ([`restore_ownership`]): git is told that plugin folders are safe to work in.
fn git() -> Command {
    let mut c = Command::new("git");
    c.env("GIT_TERMINAL_PROMPT", "0").args([
        "-c",
        "protocol.ext.allow=never",
        "-c",
        "protocol.fd.allow=never",
        "-c",
        "safe.directory=*",
    ]);
    c
}

/// On a system install the plugin files belong to the dokku user, as Dokku's package leaves
/// them: run as root where the plugins folder (`PLUGIN_PATH/available`) belongs to another
/// user, every file of plugin `name` is given to that user and group (links themselves, never
/// followed). Elsewhere (a private `--root` install, a non-root caller) nothing changes.
pub fn restore_ownership(paths: &Paths, name: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    validate_plugin_name(name)?;
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let available = paths.available();
    let meta =
        fs::metadata(&available).with_context(|| format!("cannot read {}", available.display()))?;
    if meta.uid() == 0 {
        return Ok(());
    }
    chown_tree(&available.join(name), meta.uid(), meta.gid())
}

/// Gives `path` and everything under it to `uid:gid` (symbolic links are not followed).
fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta =
        fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    // A file also linked from elsewhere is not the plugin's alone to give away.
    let shared = !meta.is_dir() && meta.nlink() > 1;
    if !shared && (meta.uid() != uid || meta.gid() != gid) {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .with_context(|| format!("cannot give {} to uid {uid}", path.display()))?;
    }
    if meta.is_dir() {
        for entry in
            fs::read_dir(path).with_context(|| format!("cannot read {}", path.display()))?
        {
            let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn validate_committish(c: &str) -> Result<()> {
    if c.is_empty()
        || c.starts_with('-')
        || c.contains("..")
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/+".contains(&b))
    {
        bail!("invalid committish {:?}", c);
    }
    Ok(())
}

/// What a plugin tarball or folder is called in messages.
const TARGET: &str = "the plugin folder";

fn extract_tarball(source: &str, into: &Path, scratch: &Path) -> Result<()> {
    let limits = archive::Limits::default();
    let path: PathBuf = if source.starts_with("http://") || source.starts_with("https://") {
        let dest = scratch.join("download");
        run(
            Command::new("curl")
                .args(["-fsSL", "--proto", "=http,https", "--max-time", "600"])
                .arg("--max-filesize")
                .arg(limits.stream_budget().to_string())
                .arg("-o")
                .arg(&dest)
                .arg("--")
                .arg(source),
            "download",
        )?;
        dest
    } else {
        PathBuf::from(source.strip_prefix("file://").unwrap_or(source))
    };
    let mut file =
        fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    archive::unpack(&mut file, None, into, limits, TARGET)
        .with_context(|| format!("cannot install {source}"))
}

/// The folder holding the plugin inside what was fetched: the folder itself, or its only
/// sub-folder when an archive wraps everything in one (as release tarballs do).
fn plugin_root(fetched: &Path) -> Result<PathBuf> {
    if fetched.join("plugin.toml").exists() {
        return Ok(fetched.to_path_buf());
    }
    let entries: Vec<_> = fs::read_dir(fetched)?.filter_map(|e| e.ok()).collect();
    if entries.len() == 1 && entries[0].path().is_dir() {
        return Ok(entries[0].path());
    }
    Ok(fetched.to_path_buf())
}

/// Checks that `from` is a plugin folder (a valid plugin.toml) before anything is copied,
/// then copies it through the archive check (files, folders and in-tree symlinks only, within
/// the default caps).
fn copy_plugin_folder(source: &str, from: &Path, to: &Path) -> Result<()> {
    if !from.join("plugin.toml").is_file() {
        bail!("{source} is not a plugin folder: it has no plugin.toml; nothing was copied");
    }
    manifest::load(from)?;
    archive::copy_folder(from, to, archive::Limits::default(), TARGET)
        .with_context(|| format!("cannot install {source}"))
}

/// Installs a plugin from `source` under `available/NAME` (not yet enabled) and returns NAME.
/// The manifest is checked first; nothing is left behind when any step fails.
pub fn install(
    paths: &Paths,
    source: &str,
    name: Option<&str>,
    committish: Option<&str>,
) -> Result<String> {
    let kind = classify(source)?;
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| name_from_source(source));
    validate_plugin_name(&name)?;
    if let Some(c) = committish {
        validate_committish(c)?;
    }
    let available = paths.available();
    fs::create_dir_all(&available)
        .with_context(|| format!("cannot create {}", available.display()))?;
    let dest = available.join(&name);
    if dest.symlink_metadata().is_ok() {
        bail!("plugin {name} is already installed");
    }
    let scratch = crate::atomic::private_dir_in(&available, ".install-")
        .context("cannot create a scratch folder")?;
    let fetched = scratch.path().join("plugin");
    match kind {
        SourceKind::Git => {
            let mut c = git();
            // Objects are copied, never hard-linked from a local source: the clone may be
            // given to the dokku user (restore_ownership), the source must stay as it is.
            c.arg("clone").arg("--quiet").arg("--no-hardlinks");
            if committish.is_none() {
                c.args(["--depth", "1"]);
            }
            c.arg("--").arg(source).arg(&fetched);
            run(&mut c, &format!("git clone of {source}"))?;
            if let Some(cm) = committish {
                run(
                    git()
                        .arg("-C")
                        .arg(&fetched)
                        .args(["checkout", "--quiet", cm]),
                    "git checkout",
                )?;
            }
        }
        SourceKind::Tarball => {
            fs::create_dir(&fetched)?;
            extract_tarball(source, &fetched, scratch.path())?;
        }
        SourceKind::Folder => {
            fs::create_dir(&fetched)?;
            copy_plugin_folder(
                source,
                Path::new(source.strip_prefix("file://").unwrap_or(source)),
                &fetched,
            )?;
        }
    }
    let root = plugin_root(&fetched)?;
    if !root.join("plugin.toml").exists() {
        bail!("{source} has no plugin.toml; not a dokku plugin");
    }
    manifest::load(&root)?;
    fs::rename(&root, &dest)
        .with_context(|| format!("cannot move the plugin into {}", dest.display()))?;
    restore_ownership(paths, &name)?;
    Ok(name)
}

/// Enables an installed plugin: `enabled/NAME -> ../available/NAME`.
pub fn enable(paths: &Paths, name: &str) -> Result<()> {
    validate_plugin_name(name)?;
    if !paths.available().join(name).is_dir() {
        bail!("plugin {name} is not installed");
    }
    let enabled = paths.enabled();
    fs::create_dir_all(&enabled).with_context(|| format!("cannot create {}", enabled.display()))?;
    let link = enabled.join(name);
    if link.symlink_metadata().is_ok() {
        return Ok(());
    }
    let tmp = enabled.join(format!(".{name}.{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(Path::new("../available").join(name), &tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    fs::rename(&tmp, &link).with_context(|| format!("cannot create {}", link.display()))
}

/// Disables a plugin (removes its `enabled/` link); the plugin stays installed.
pub fn disable(paths: &Paths, name: &str) -> Result<()> {
    validate_plugin_name(name)?;
    let link = paths.enabled().join(name);
    match fs::remove_file(&link) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if paths.available().join(name).is_dir() {
                Ok(())
            } else {
                bail!("plugin {name} is not installed")
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", link.display())),
    }
}

/// Removes a community plugin; core plugins are refused.
pub fn uninstall(paths: &Paths, name: &str) -> Result<()> {
    validate_plugin_name(name)?;
    if discovery::is_core(paths, name) {
        bail!("plugin {name} is a core plugin and cannot be uninstalled; disable it instead");
    }
    let dir = paths.available().join(name);
    if dir.symlink_metadata().is_err() {
        bail!("plugin {name} is not installed");
    }
    disable(paths, name)?;
    // Move aside first so a half-removed plugin never stays visible.
    let trash = paths
        .available()
        .join(format!(".uninstall-{name}-{}", std::process::id()));
    fs::rename(&dir, &trash).with_context(|| format!("cannot remove {}", dir.display()))?;
    fs::remove_dir_all(&trash).with_context(|| format!("cannot remove {}", trash.display()))
}

/// Updates a git-installed plugin to the latest commit of its branch, or to `committish`. A
/// plugin pinned to a commit (detached) is moved back to its remote's default branch.
pub fn update(paths: &Paths, name: &str, committish: Option<&str>) -> Result<()> {
    let updated = update_checkout(paths, name, committish);
    // What git wrote as root (objects, refs, the work tree), whether or not it got through.
    if updated.is_ok() || paths.available().join(name).is_dir() {
        let owned = restore_ownership(paths, name);
        updated?;
        return owned;
    }
    updated
}

/// The git side of [`update`].
fn update_checkout(paths: &Paths, name: &str, committish: Option<&str>) -> Result<()> {
    validate_plugin_name(name)?;
    if let Some(c) = committish {
        validate_committish(c)?;
    }
    let dir = paths.available().join(name);
    if !dir.is_dir() {
        bail!("plugin {name} is not installed");
    }
    if discovery::is_core(paths, name) {
        bail!("plugin {name} is a core plugin; it is updated with dokku itself");
    }
    if !dir.join(".git").exists() {
        bail!("plugin {name} was not installed from git; reinstall it to update");
    }
    // Unshallow when needed, and fetch every branch (a shallow clone tracks only one), so
    // any committish can be reached.
    let shallow = dir.join(".git").join("shallow").exists();
    if shallow {
        run(
            git().arg("-C").arg(&dir).args([
                "config",
                "remote.origin.fetch",
                "+refs/heads/*:refs/remotes/origin/*",
            ]),
            "git config",
        )?;
    }
    let mut fetch = git();
    fetch
        .arg("-C")
        .arg(&dir)
        .args(["fetch", "--quiet", "--tags"]);
    if shallow {
        fetch.arg("--unshallow");
    }
    fetch.arg("origin");
    run(&mut fetch, "git fetch")?;
    let git_text = |args: &[&str]| {
        git()
            .arg("-C")
            .arg(&dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let branch_of =
        |r: &str| git_text(&["symbolic-ref", "--quiet", "--short", r]).filter(|s| !s.is_empty());
    // Where the plugin is now, to go back to when the new version's manifest is broken.
    let before = (git_text(&["rev-parse", "HEAD"]), branch_of("HEAD"));
    match committish {
        Some(c) => run(
            git().arg("-C").arg(&dir).args(["checkout", "--quiet", c]),
            "git checkout",
        )?,
        None if branch_of("HEAD").is_none() => {
            // A plugin pinned to a commit (a detached checkout) goes back to the remote's
            // default branch, the one `git clone` checks out.
            let default = branch_of("refs/remotes/origin/HEAD")
                .and_then(|r| r.strip_prefix("origin/").map(str::to_string))
                .ok_or_else(|| {
                    anyhow!(
                        "plugin {name} is at a detached commit and its remote names no default branch; name a committish to update to"
                    )
                })?;
            validate_committish(&default)?;
            run(
                git()
                    .arg("-C")
                    .arg(&dir)
                    .args(["checkout", "--quiet", &default]),
                "git checkout",
            )?
        }
        None => {}
    }
    // On a branch the remote has too: move it to the remote's tip.
    if let Some(branch) = branch_of("HEAD") {
        let remote = format!("refs/remotes/origin/{branch}");
        if git_text(&["rev-parse", "--verify", "--quiet", &remote]).is_some() {
            run(
                git()
                    .arg("-C")
                    .arg(&dir)
                    .args(["merge", "--quiet", "--ff-only"])
                    .arg(&remote),
                "git merge",
            )?;
        }
    }
    if let Err(e) = manifest::load(&dir) {
        if let (Some(commit), branch) = before {
            let mut back = git();
            back.arg("-C").arg(&dir);
            match branch {
                Some(b) => {
                    run(
                        git().arg("-C").arg(&dir).args(["checkout", "--quiet", &b]),
                        "git checkout",
                    )?;
                    back.args(["reset", "--quiet", "--hard", &commit]);
                }
                None => {
                    back.args(["checkout", "--quiet", &commit]);
                }
            }
            run(&mut back, "git rollback")?;
        }
        bail!("{e:#}; plugin {name} was left at its previous version");
    }
    Ok(())
}

/// One row of `plugn list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listing {
    /// Plugin name.
    pub name: String,
    /// Version from plugin.toml.
    pub version: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Description from plugin.toml (or the manifest's error).
    pub description: String,
    /// Whether it is a core plugin.
    pub core: bool,
}

/// Every installed plugin with its manifest's version and description.
pub fn list(paths: &Paths) -> Result<Vec<Listing>> {
    Ok(discovery::available(paths)?
        .into_iter()
        .map(|p| {
            let (version, description) = match manifest::load(&p.dir) {
                Ok(m) => (m.plugin.version, m.plugin.description),
                Err(e) => ("?".into(), format!("broken manifest: {e:#}")),
            };
            Listing {
                enabled: discovery::is_enabled(paths, &p.name),
                core: discovery::is_core(paths, &p.name),
                name: p.name,
                version,
                description,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_sources() {
        assert_eq!(name_from_source("https://x/dokku/dokku-redis.git"), "redis");
        assert_eq!(name_from_source("git@github.com:me/hello.git"), "hello");
        assert_eq!(name_from_source("/tmp/p/foo/"), "foo");
        assert_eq!(name_from_source("https://x/foo-1.0.tar.gz"), "foo-1.0");
    }

    #[test]
    fn transports_that_run_commands_refused() {
        for ok in [
            "https://x/y.git",
            "git@github.com:me/x.git",
            "/srv/x",
            "file:///srv/x",
            "x.tar.gz",
        ] {
            check_git_transport(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "ext::sh -c touch% /tmp/x",
            "fd::17",
            "foo::bar",
            "gopher://x/y",
            "ssh://-oProxyCommand=x/y",
            "git@-oProxyCommand=x:y",
            "-u",
        ] {
            assert!(check_git_transport(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            git_reason("Cloning into 'x'...\nssh: connect to host 127.0.0.1 port 22: Connection refused\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n"),
            "ssh: connect to host 127.0.0.1 port 22: Connection refused"
        );
    }

    #[test]
    fn committish_checked() {
        assert!(validate_committish("v1.2.3").is_ok());
        assert!(validate_committish("--upload-pack=x").is_err());
    }
}
