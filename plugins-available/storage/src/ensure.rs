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

/// Whether the Docker engine remaps users (`userns`), so that ids inside containers are offset.
fn userns_remapped() -> bool {
    dokku_core::docker::output([
        "info",
        "--format",
        "{{range .SecurityOptions}}{{if eq . \"name=userns\"}}true{{end}}{{end}}",
    ])
    .is_ok_and(|o| o == "true")
}

/// `chown -R ID:ID PATH`, symlinks changed themselves and never followed.
fn chown_tree(path: &Path, id: u32) -> Result<()> {
    let uid = Some(nix::unistd::Uid::from_raw(id));
    let gid = Some(nix::unistd::Gid::from_raw(id));
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?;
    nix::unistd::fchownat(
        None,
        path,
        uid,
        gid,
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .with_context(|| {
        format!(
            "Unable to set the ownership of {} to {id}:{id}",
            path.display()
        )
    })?;
    if meta.is_dir() {
        for e in
            std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
        {
            chown_tree(&e?.path(), id)?;
        }
    }
    Ok(())
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
    if let Some(mut id) = id {
        if userns_remapped() {
            id += 165536;
        }
        log::verbose(&format!("Setting directory ownership to {id}:{id}"));
        chown_tree(&dir, id)?;
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
    }
}
