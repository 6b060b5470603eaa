//! `config:bundle`: a tar archive on stdout with one file per key (name = key, content =
//! value), made by the system `tar` from files in a private temp folder.

use crate::store::Vars;
use anyhow::{bail, Context, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// A private (0700) temp folder, removed with its contents when dropped.
fn private_temp_dir() -> Result<tempfile::TempDir> {
    plugn::atomic::private_dir("dokku-config-bundle-")
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
    let dir = private_temp_dir()?;
    for (k, v) in vars {
        write_entry(dir.path(), k, v)?;
    }
    std::io::stdout().flush().context("cannot flush stdout")?;
    let mut cmd = Command::new("tar");
    cmd.arg("-C").arg(dir.path()).arg("-cf").arg("-");
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
