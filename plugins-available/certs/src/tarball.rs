//! A certificate and key sent as a tar archive on stdin (`certs:add APP < cert-key.tar`): it
//! may hold `server.crt` and `server.key` (optionally as `./server.crt`); hidden members (a name
//! or folder starting with `.`, such as the `._server.crt` AppleDouble files macOS tar adds, and
//! `__MACOSX/`) are skipped, as Dokku skips them; absolute paths, `..`, links and other members
//! are refused before anything is written.

use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::{Component, Path};

/// The largest certificate or key accepted, in bytes.
pub const MAX_FILE: u64 = 1 << 20;

/// A member's path parts; absolute paths and `..` are refused.
fn member_parts(path: &Path) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                bail!(
                    "the tar archive holds an absolute path ({})",
                    path.display()
                )
            }
            Component::ParentDir => {
                bail!(
                    "the tar archive holds a path with '..' ({})",
                    path.display()
                )
            }
        }
    }
    Ok(parts)
}

/// Whether a member is one Dokku ignores: a hidden file or folder (a part starting with `.`,
/// as macOS's AppleDouble `._server.crt`) or macOS's `__MACOSX` folder.
fn is_ignored(parts: &[String]) -> bool {
    parts.iter().any(|p| p.starts_with('.') || p == "__MACOSX")
}

/// A member's name, checked: `server.crt` or `server.key`; `None` for the archive's `./`.
fn member_name(path: &Path, parts: &[String]) -> Result<Option<String>> {
    match parts {
        [] => Ok(None),
        [n] if n == "server.crt" || n == "server.key" => Ok(Some(n.clone())),
        _ => bail!(
            "the tar archive may hold only server.crt and server.key, not {}",
            path.display()
        ),
    }
}

/// Reads `server.crt` and `server.key` from a tar stream.
pub fn read_pair(input: impl Read) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut archive = tar::Archive::new(input);
    let (mut crt, mut key) = (None, None);
    for entry in archive
        .entries()
        .context("the input is not a tar archive")?
    {
        // The reader's own message may quote the garbage it read: say it plainly.
        let mut e = entry.map_err(|_| anyhow!("stdin does not hold a valid tar archive"))?;
        let kind = e.header().entry_type();
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        let path = e
            .path()
            .context("the tar archive holds an unreadable path")?
            .into_owned();
        // Checked for `..` and absolute paths first, so that a hidden name never hides them.
        let parts = member_parts(&path)?;
        if is_ignored(&parts) {
            continue;
        }
        let Some(name) = member_name(&path, &parts)? else {
            if kind.is_dir() {
                continue;
            }
            bail!("the tar archive holds an unnamed member");
        };
        if !kind.is_file() {
            bail!("{name} in the tar archive is not a regular file");
        }
        if e.size() > MAX_FILE {
            bail!("{name} in the tar archive is larger than {MAX_FILE} bytes");
        }
        let mut data = Vec::new();
        e.by_ref()
            .take(MAX_FILE + 1)
            .read_to_end(&mut data)
            .with_context(|| format!("cannot read {name} from the tar archive"))?;
        let slot = if name == "server.crt" {
            &mut crt
        } else {
            &mut key
        };
        if slot.replace(data).is_some() {
            bail!("the tar archive holds {name} twice");
        }
    }
    match (crt, key) {
        (Some(c), Some(k)) => Ok((c, k)),
        (None, _) => bail!("the tar archive on stdin lacks server.crt"),
        (_, None) => bail!("the tar archive on stdin lacks server.key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name to test the reader's check.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn pairs() {
        let t = tar_of(&[("server.crt", b"C"), ("./server.key", b"K")]);
        let (c, k) = read_pair(&t[..]).unwrap();
        assert_eq!((c.as_slice(), k.as_slice()), (&b"C"[..], &b"K"[..]));
        for bad in [
            tar_of(&[("server.crt", b"C")]),
            tar_of(&[("server.crt", b"C"), ("server.key", b"K"), ("x", b"")]),
            tar_of(&[("../server.crt", b"C"), ("server.key", b"K")]),
            tar_of(&[("/server.crt", b"C"), ("server.key", b"K")]),
            tar_of(&[("d/server.crt", b"C"), ("server.key", b"K")]),
            tar_of(&[
                ("server.crt", b"C"),
                ("server.crt", b"C"),
                ("server.key", b"K"),
            ]),
        ] {
            assert!(read_pair(&bad[..]).is_err());
        }
        assert!(read_pair(&b"garbage that is not a tar archive at all"[..]).is_err());
        let mac = tar_of(&[
            ("._server.crt", b"AppleDouble"),
            ("server.crt", b"C"),
            ("__MACOSX/._server.key", b"AppleDouble"),
            ("server.key", b"K"),
            (".DS_Store", b""),
        ]);
        let (c, k) = read_pair(&mac[..]).unwrap();
        assert_eq!((c.as_slice(), k.as_slice()), (&b"C"[..], &b"K"[..]));
        assert!(read_pair(&tar_of(&[("../._x", b""), ("server.crt", b"C")])[..]).is_err());
        assert!(read_pair(&b""[..]).is_err());
    }
}
