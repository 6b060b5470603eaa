//! Private arguments: a plugin whose `plugin.toml` says `private-args = true` in `[plugin]`
//! gets its subcommands' arguments (past the command name) through an inherited in-memory
//! file named by `DOKKU_ARGS_FD`, not on its command line, where `ps` would show a
//! `config:set APP SECRET=value` sent over ssh to every local user. The Rust plugin runtime
//! reads them back ([`take`]); a plugin without the flag gets its arguments as Dokku passes
//! them, so community replacements keep working.

use anyhow::{bail, Context, Result};
use std::io::{Read, Seek, Write};
use std::os::unix::io::{FromRawFd, IntoRawFd};

/// The variable naming the descriptor that holds the arguments.
pub const ENV_VAR: &str = "DOKKU_ARGS_FD";

/// Writes `args` (each ended by a NUL byte) into a new in-memory file that a later `exec`
/// keeps open, and returns its descriptor number for [`ENV_VAR`].
#[allow(unsafe_code)]
pub fn hand_over(args: &[String]) -> Result<i32> {
    if args.iter().any(|a| a.contains('\0')) {
        bail!("an argument holds a NUL byte");
    }
    // No close-on-exec: the descriptor must survive the exec into the plugin.
    // SAFETY: memfd_create with a valid NUL-terminated name and no flags.
    let fd = unsafe { libc::memfd_create(c"dokku-args".as_ptr(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()).context("cannot hand the arguments over");
    }
    // SAFETY: fd is a new descriptor that nothing else owns.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut bytes = Vec::new();
    for a in args {
        bytes.extend_from_slice(a.as_bytes());
        bytes.push(0);
    }
    file.write_all(&bytes)
        .and_then(|_| file.rewind())
        .context("cannot hand the arguments over")?;
    Ok(file.into_raw_fd())
}

/// The arguments handed over through [`ENV_VAR`], if any; the variable is removed and the
/// descriptor closed, so that nothing this process starts inherits them.
#[allow(unsafe_code)]
pub fn take() -> Result<Option<Vec<String>>> {
    let Some(raw) = std::env::var_os(ENV_VAR) else {
        return Ok(None);
    };
    std::env::remove_var(ENV_VAR);
    let fd: i32 = match raw.to_str().and_then(|s| s.parse().ok()) {
        Some(n) if n > 2 => n,
        _ => bail!("{ENV_VAR} is not a descriptor number"),
    };
    // SAFETY: fcntl(F_GETFD) only asks whether the descriptor is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        bail!("{ENV_VAR} names descriptor {fd}, which is not open");
    }
    // SAFETY: the descriptor was handed to this process to own (see `hand_over`).
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .context("cannot read the arguments handed over")?;
    let mut args = Vec::new();
    for part in bytes.split(|b| *b == 0) {
        args.push(
            String::from_utf8(part.to_vec())
                .context("an argument handed over is not valid UTF-8")?,
        );
    }
    // Each argument ends with a NUL, so the split leaves one empty piece at the end.
    if args.pop().is_some_and(|last| !last.is_empty()) {
        bail!("the arguments handed over are cut short");
    }
    Ok(Some(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let args: Vec<String> = ["app", "K=v a l", "", "multi\nline", "é"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let fd = hand_over(&args).unwrap();
        std::env::set_var(ENV_VAR, fd.to_string());
        assert_eq!(take().unwrap(), Some(args));
        assert!(std::env::var_os(ENV_VAR).is_none());
        assert_eq!(take().unwrap(), None);
        assert!(hand_over(&["a\0b".to_string()]).is_err());
    }
}
