//! The app's config for a one-off container, passed without putting values on the command line
//! (where `ps` would show them) and without a file left behind: an anonymous in-memory file
//! (`memfd`) that `docker run` reads as `--env-file /dev/fd/N`. Values a docker env file cannot
//! hold (newlines, a trailing carriage return, very long lines) go as `--env=KEY=VALUE`.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::io::{AsRawFd, FromRawFd};

/// The longest line a docker env file may hold (its reader's buffer is 64 KiB).
const MAX_LINE: usize = 60_000;

/// Whether `KEY=VALUE` can be a line of a docker env file.
fn fits_env_file(key: &str, value: &str) -> bool {
    !value.contains('\n') && !value.ends_with('\r') && key.len() + value.len() < MAX_LINE
}

/// Builds the env arguments of `vars`: the env file (to keep open, inherited by docker, until
/// docker has started) and the `docker run` arguments that name it, plus `--env=K=V` for the
/// values it cannot hold.
pub fn env_args(vars: &BTreeMap<String, String>) -> Result<(Option<File>, Vec<String>)> {
    let mut text = String::new();
    let mut args = Vec::new();
    for (k, v) in vars {
        if fits_env_file(k, v) {
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            text.push('\n');
        } else {
            args.push(format!("--env={k}={v}"));
        }
    }
    if text.is_empty() {
        return Ok((None, args));
    }
    // Without MFD_CLOEXEC: the descriptor is inherited by docker.
    // SAFETY: memfd_create with a valid NUL-terminated name and no flags.
    let fd = unsafe { libc::memfd_create(c"dokku-run-env".as_ptr(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()).context("cannot create the env file");
    }
    // SAFETY: fd is a new descriptor owned by nobody else.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(text.as_bytes())
        .context("cannot write the env file")?;
    file.seek(SeekFrom::Start(0))?;
    if !std::path::Path::new(&format!("/dev/fd/{fd}")).exists() {
        bail!("/dev/fd is not available to pass the app's config to docker");
    }
    let mut all = vec![
        "--env-file".to_string(),
        format!("/dev/fd/{}", file.as_raw_fd()),
    ];
    all.extend(args);
    Ok((Some(file), all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_between_file_and_arguments() {
        let vars: BTreeMap<String, String> = [("A", "1 2"), ("B", "x\ny"), ("C", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (_file, args) = env_args(&vars).unwrap();
        assert_eq!(args[0], "--env-file");
        assert_eq!(args[2], "--env=B=x\ny");
        let text = std::fs::read_to_string(&args[1]).unwrap();
        assert_eq!(text, "A=1 2\nC=\n");
    }
}
