//! `config:bundle`: a tar archive on stdout with one file per key (name = key, content =
//! value), made by the system `tar` from files in a private temp folder.

use crate::store::Vars;
use anyhow::{bail, Context, Result};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A private (0700) temp folder, removed with its contents when dropped.
struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh folder under the system temp folder; never reuses an existing one.
    fn new() -> Result<TempDir> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let dir = base.join(format!(
                "dokku-config-bundle.{}.{nanos}.{attempt}",
                std::process::id()
            ));
            match DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", dir.display()))
                }
            }
        }
        bail!("cannot create a temp folder in {}", base.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes one key's file (mode 0600, as Dokku's archive entries).
fn write_entry(dir: &Path, key: &str, value: &str) -> Result<()> {
    let path = dir.join(key);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(value.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the archive of `vars` to stdout. Keys are valid names (`[A-Za-z_][A-Za-z0-9_]*`),
/// so they are safe as `tar` arguments.
pub fn write(vars: &Vars) -> Result<()> {
    let dir = TempDir::new()?;
    for (k, v) in vars {
        write_entry(&dir.0, k, v)?;
    }
    std::io::stdout().flush().context("cannot flush stdout")?;
    let mut cmd = Command::new("tar");
    cmd.arg("-C").arg(&dir.0).arg("-cf").arg("-");
    if vars.is_empty() {
        cmd.arg("-T").arg("/dev/null");
    } else {
        cmd.arg("--").args(vars.keys());
    }
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .status()
        .context("cannot run tar")?;
    if !status.success() {
        bail!("tar failed ({status}) while bundling the config");
    }
    Ok(())
}
