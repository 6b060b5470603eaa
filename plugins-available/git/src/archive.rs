//! Unpacking an uploaded archive (tar, tar.gz, zip) so that nothing lands outside the target
//! folder: every entry is checked before anything is written, and an archive with an absolute
//! path, a `..` component, a link or a device is refused whole.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path};

/// The kinds of archive accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A plain tar.
    Tar,
    /// A gzip-compressed tar.
    TarGz,
    /// A zip file.
    Zip,
}

impl Kind {
    /// Parses `--archive-type`.
    pub fn parse(s: &str) -> Result<Kind> {
        match s {
            "tar" => Ok(Kind::Tar),
            "tar.gz" | "tgz" => Ok(Kind::TarGz),
            "zip" => Ok(Kind::Zip),
            other => bail!("invalid --archive-type {other:?}: use tar, tar.gz or zip"),
        }
    }

    /// The name Dokku's `--archive-type` uses for the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tar => "tar",
            Kind::TarGz => "tar.gz",
            Kind::Zip => "zip",
        }
    }

    /// Guesses the kind from the first bytes of the file.
    pub fn sniff(file: &mut File) -> Result<Kind> {
        let mut head = [0u8; 4];
        file.seek(SeekFrom::Start(0))
            .context("cannot read the archive")?;
        let n = file.read(&mut head).context("cannot read the archive")?;
        file.seek(SeekFrom::Start(0))
            .context("cannot read the archive")?;
        Ok(match &head[..n] {
            [0x1f, 0x8b, ..] => Kind::TarGz,
            [b'P', b'K', 3, 4] => Kind::Zip,
            _ => Kind::Tar,
        })
    }
}

/// Checks one entry's path: relative, no `..`, no root, not empty.
fn check_path(p: &Path) -> Result<()> {
    let s = p.display().to_string();
    if s.starts_with('/') {
        bail!("the archive holds an absolute path {s:?}; refusing it");
    }
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                bail!("the archive holds a path with `..` ({s:?}); refusing it")
            }
            Component::RootDir | Component::Prefix(_) => {
                bail!("the archive holds an absolute path {s:?}; refusing it")
            }
        }
    }
    Ok(())
}

fn tar_entries_ok<R: Read>(mut archive: tar::Archive<R>) -> Result<()> {
    for entry in archive.entries().context("cannot read the tar archive")? {
        let entry = entry.context("cannot read the tar archive")?;
        let path = entry.path().context("the tar archive holds a bad path")?;
        check_path(&path)?;
        use tar::EntryType::*;
        match entry.header().entry_type() {
            Regular | Directory | Continuous | GNUSparse | XGlobalHeader | XHeader
            | GNULongName | GNULongLink => {}
            Symlink | Link => bail!("the archive holds a link ({}); refusing it", path.display()),
            other => bail!(
                "the archive holds a special file {:?} ({}); refusing it",
                other,
                path.display()
            ),
        }
    }
    Ok(())
}

fn open_tar(file: &File, gz: bool) -> Result<tar::Archive<Box<dyn Read>>> {
    let f = file.try_clone().context("cannot read the archive")?;
    let mut f2 = f;
    f2.seek(SeekFrom::Start(0))
        .context("cannot read the archive")?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(f2))
    } else {
        Box::new(f2)
    };
    Ok(tar::Archive::new(reader))
}

/// Checks every entry of `file`, then unpacks it into `dest`.
pub fn unpack(file: &mut File, kind: Kind, dest: &Path) -> Result<()> {
    match kind {
        Kind::Tar | Kind::TarGz => {
            let gz = kind == Kind::TarGz;
            tar_entries_ok(open_tar(file, gz)?)?;
            let mut a = open_tar(file, gz)?;
            a.set_preserve_permissions(false);
            a.set_overwrite(true);
            a.unpack(dest).context("cannot unpack the tar archive")?;
        }
        Kind::Zip => {
            file.seek(SeekFrom::Start(0))
                .context("cannot read the archive")?;
            let mut z = zip::ZipArchive::new(file.try_clone().context("cannot read the archive")?)
                .context("cannot read the zip archive")?;
            for i in 0..z.len() {
                let e = z.by_index(i).context("cannot read the zip archive")?;
                let name = e
                    .name()
                    .context("the zip archive holds a bad path")?
                    .into_owned();
                check_path(Path::new(&name))?;
                if e.is_symlink() {
                    bail!("the archive holds a link ({name}); refusing it");
                }
                if e.enclosed_name().is_none() {
                    bail!("the archive holds an unsafe path {name:?}; refusing it");
                }
            }
            z.extract(dest).context("cannot unpack the zip archive")?;
        }
    }
    Ok(())
}

/// When `dir` holds nothing but one folder (as most archives of a project do), that folder's
/// contents are the app; returns the folder to build.
pub fn app_root(dir: &Path) -> Result<std::path::PathBuf> {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .collect();
    if let [only] = &entries[..] {
        if only.file_type().is_ok_and(|t| t.is_dir()) {
            return Ok(only.path());
        }
    }
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(name: &str, link: bool) -> File {
        let mut f = tempfile::tempfile().unwrap();
        {
            let mut b = tar::Builder::new(&mut f);
            let mut h = tar::Header::new_gnu();
            let data = b"x";
            // Write the raw name, bypassing the builder's own path checks.
            h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            if link {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_link_name("/etc/passwd").unwrap();
                h.set_size(0);
                h.set_cksum();
                b.append(&h, &[][..]).unwrap();
            } else {
                h.set_size(1);
                h.set_mode(0o644);
                h.set_cksum();
                b.append(&h, &data[..]).unwrap();
            }
            b.finish().unwrap();
        }
        f.seek(SeekFrom::Start(0)).unwrap();
        f
    }

    #[test]
    fn traversal_and_links_refused_nothing_written() {
        for (name, link) in [
            ("../evil", false),
            ("/abs", false),
            ("a/../../evil", false),
            ("ok-link", true),
        ] {
            let mut f = tar_with(name, link);
            let dest = tempfile::tempdir().unwrap();
            let e = unpack(&mut f, Kind::Tar, dest.path()).unwrap_err();
            assert!(format!("{e:#}").contains("refusing"), "{name}: {e:#}");
            assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
        }
        let mut f = tar_with("app/ok.txt", false);
        let dest = tempfile::tempdir().unwrap();
        unpack(&mut f, Kind::Tar, dest.path()).unwrap();
        assert_eq!(app_root(dest.path()).unwrap(), dest.path().join("app"));
    }
}
