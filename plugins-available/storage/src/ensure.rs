//! `storage:ensure-directory`: a folder under `$DOKKU_LIB_ROOT/data/storage`, owned by the user
//! the app's processes run as.

use anyhow::{bail, Context, Result};
use dokku_core::{args, log, paths};
use std::path::{Path, PathBuf};

const USAGE: &str =
    "dokku storage:ensure-directory [--chown herokuish|heroku|paketo|root|false] <directory>";

/// The folder that holds the storage directories.
pub fn storage_root() -> PathBuf {
    paths().lib_root.join("data").join("storage")
}

/// Checks a directory name: `^[A-Za-z0-9_-]+$`.
fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("Please specify a directory to create; usage: {USAGE}");
    }
    if name.len() > 255
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        bail!("Directory can only contain the following set of characters: [A-Za-z0-9_-]");
    }
    Ok(())
}

/// The uid a `--chown` value stands for; `None` for `false`.
fn chown_id(flag: &str) -> Result<Option<u32>> {
    Ok(Some(match flag {
        "herokuish" => 32767,
        "heroku" => 1000,
        "paketo" => 2000,
        "packeto" => {
            log::verbose("Detected deprecated chown flag 'packeto'. Using 'paketo' instead.");
            2000
        }
        "root" => 0,
        "false" => return Ok(None),
        other => bail!(
            "Unsupported chown permissions {other:?}: use herokuish, heroku, paketo, root or false"
        ),
    }))
}

/// The owner (`uid`, `gid`) an owner option stands for: a `--chown` name (herokuish, heroku,
/// paketo, root), a numeric `UID` or `UID:GID` (0 to 65535); `None` for `false`. The
/// Docker engine's user-namespace offset is not added here (see [`engine_owner`]).
pub fn owner_of(flag: &str) -> Result<Option<(u32, u32)>> {
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|n| *n <= 65535)
    };
    if let Some((u, g)) = flag.split_once(':') {
        return match (num(u), num(g)) {
            (Some(u), Some(g)) => Ok(Some((u, g))),
            _ => bail!(
                "Unsupported chown permissions {flag:?}: use UID:GID with ids from 0 to 65535"
            ),
        };
    }
    if let Some(n) = num(flag) {
        return Ok(Some((n, n)));
    }
    Ok(chown_id(flag)
        .map_err(|_| {
            anyhow::anyhow!("Unsupported chown permissions {flag:?}: use herokuish, heroku, paketo, root, false, UID or UID:GID")
        })?
        .map(|id| (id, id)))
}

/// Whether the Docker engine remaps users (`userns`), so that ids inside containers are offset.
fn userns_remapped() -> bool {
    dokku_core::docker::output([
        "info",
        "--format",
        "{{range .SecurityOptions}}{{if eq . \"name=userns\"}}true{{end}}{{end}}",
    ])
    .is_ok_and(|o| o == "true")
}

/// The host owner for ids seen inside containers: offset by 165536 when the engine remaps
/// users, as Dokku does.
pub fn engine_owner((uid, gid): (u32, u32)) -> (u32, u32) {
    if userns_remapped() {
        (uid + 165536, gid + 165536)
    } else {
        (uid, gid)
    }
}

/// `chown -R UID:GID PATH`, symlinks changed themselves and never followed.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    let u = Some(nix::unistd::Uid::from_raw(uid));
    let g = Some(nix::unistd::Gid::from_raw(gid));
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?;
    nix::unistd::fchownat(None, path, u, g, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
        .with_context(|| {
            format!(
                "Unable to set the ownership of {} to {uid}:{gid}",
                path.display()
            )
        })?;
    if meta.is_dir() {
        for e in
            std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
        {
            chown_tree(&e?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// The root-owned helper that the sudoers rule of a system install lets the dokku user run
/// (`scripts/install` puts it there): `chown-storage-dir RELPATH UID:GID` sets the owner of
/// `/var/lib/dokku/data/storage/RELPATH`, and nothing else.
pub const CHOWN_HELPER: &str = "/usr/local/lib/dokku/chown-storage-dir";
/// The storage root of a system install, the only one the helper serves.
const SYSTEM_STORAGE_ROOT: &str = "/var/lib/dokku/data/storage";

/// How [`set_owner`] changes an owner: directly as root; through `sudo -n` and the helper for
/// a folder of the system storage root otherwise.
#[derive(Debug, PartialEq, Eq)]
pub enum ChownVia {
    /// `chown` ourselves.
    Direct,
    /// `sudo -n CHOWN_HELPER RELPATH UID:GID`.
    Sudo(Vec<String>),
}

/// Decides how the owner of `path` is changed by a process of effective uid `euid`.
pub fn chown_via(path: &Path, uid: u32, gid: u32, euid: u32) -> ChownVia {
    if euid == 0 {
        return ChownVia::Direct;
    }
    match path.strip_prefix(storage_root()) {
        Ok(rel)
            if storage_root() == Path::new(SYSTEM_STORAGE_ROOT) && !rel.as_os_str().is_empty() =>
        {
            ChownVia::Sudo(vec![
                "-n".into(),
                CHOWN_HELPER.into(),
                rel.to_string_lossy().into_owned(),
                format!("{uid}:{gid}"),
            ])
        }
        _ => ChownVia::Direct,
    }
}

/// Sets the owner of the folder `path` (recursively) to `uid:gid`, as [`chown_via`] decides.
pub fn set_owner(path: &Path, uid: u32, gid: u32) -> Result<()> {
    match chown_via(path, uid, gid, nix::unistd::geteuid().as_raw()) {
        ChownVia::Direct => chown_tree(path, uid, gid),
        ChownVia::Sudo(args) => {
            let out = std::process::Command::new("sudo")
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .context("cannot run sudo (is it installed?)")?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                let err = err
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .trim_start_matches('!')
                    .trim();
                bail!(
                    "Unable to set the ownership of {} to {uid}:{gid} through sudo {CHOWN_HELPER}: {err}",
                    path.display()
                );
            }
            Ok(())
        }
    }
}

/// `storage:ensure-directory [--chown OPTION] NAME`.
pub fn command(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--chown"])?;
    a.at_most(1, USAGE)?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    validate_name(name)?;
    let id = chown_id(a.value("--chown").unwrap_or("herokuish"))?;
    let dir = storage_root().join(name);
    log::info1(&format!("Ensuring {} exists", dir.display()));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("Unable to create directory {}", dir.display()))?;
    if let Some(id) = id {
        let (uid, gid) = engine_owner((id, id));
        log::verbose(&format!("Setting directory ownership to {uid}:{gid}"));
        set_owner(&dir, uid, gid)?;
    }
    log::verbose("Directory ready for mounting");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        assert!(validate_name("my-app_data").is_ok());
        for bad in ["", "a/b", "..", "a b", "a.b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(chown_id("herokuish").unwrap(), Some(32767));
        assert_eq!(chown_id("false").unwrap(), None);
        assert!(chown_id("nobody").is_err());
        assert_eq!(owner_of("heroku").unwrap(), Some((1000, 1000)));
        assert_eq!(owner_of("1234:99").unwrap(), Some((1234, 99)));
        assert_eq!(owner_of("7").unwrap(), Some((7, 7)));
        assert_eq!(owner_of("false").unwrap(), None);
        for bad in ["70000", "1:", ":1", "-1", "a:b", "nobody", "1:2:3"] {
            assert!(owner_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chown_goes_through_sudo_only_for_the_system_root_when_not_root() {
        let p = Path::new("/var/lib/dokku/data/storage/x");
        assert_eq!(chown_via(p, 1, 2, 0), ChownVia::Direct);
        // (`storage_root()` follows DOKKU_LIB_ROOT, unset here: the system one.)
        if std::env::var_os("DOKKU_LIB_ROOT").is_none() {
            assert_eq!(
                chown_via(p, 1, 2, 1000),
                ChownVia::Sudo(vec![
                    "-n".into(),
                    CHOWN_HELPER.into(),
                    "x".into(),
                    "1:2".into()
                ])
            );
        }
        assert_eq!(chown_via(Path::new("/srv/x"), 1, 2, 1000), ChownVia::Direct);
    }
}
