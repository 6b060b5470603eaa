//! The program the forced command of every key runs: the first line of
//! `$DOKKU_ROOT/.sshcommand` (the installer writes it), else `$DOKKU_BIN`, else `dokku` found
//! on `PATH`.

use anyhow::{bail, Context, Result};
use dokku_core::paths;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Whether `path` can sit inside the single quotes of the forced command (which itself sits
/// inside the double quotes of `command="…"`): absolute, no quote, backslash or control
/// character.
pub fn is_safe(path: &str) -> bool {
    path.starts_with('/')
        && !path
            .chars()
            .any(|c| matches!(c, '\'' | '"' | '\\') || c.is_control())
}

/// `dokku` on `PATH`, as `which` finds it.
fn which_dokku() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("dokku"))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The program named by the `.sshcommand` file at `file`, with the fallbacks above; refused
/// when it could break the `authorized_keys` line.
pub fn resolve(file: &Path) -> Result<String> {
    let from_file = match std::fs::read_to_string(file) {
        Ok(text) => text
            .lines()
            .next()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let program = from_file
        .or_else(|| std::env::var("DOKKU_BIN").ok().filter(|b| !b.is_empty()))
        .or_else(|| which_dokku().map(|p| p.display().to_string()));
    let Some(program) = program else {
        bail!(
            "cannot tell which program the ssh forced command runs: write its path to {}",
            file.display()
        );
    };
    if !is_safe(&program) {
        bail!(
            "refusing ssh command {program:?} (from {}): it must be an absolute path without quotes, backslashes or control characters",
            file.display()
        );
    }
    Ok(program)
}

/// The program for this installation (`$DOKKU_ROOT/.sshcommand`).
pub fn current() -> Result<String> {
    resolve(&paths().dokku_root.join(".sshcommand"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        assert!(is_safe("/usr/bin/dokku"));
        assert!(is_safe("/tmp/dokku-test-x/root/bin/dokku-ssh"));
        for bad in ["dokku", "/a'b", "/a\"b", "/a\\b", "/a\nb", ""] {
            assert!(!is_safe(bad), "{bad:?}");
        }
    }

    #[test]
    fn reads_first_line() {
        let dir = std::env::temp_dir().join(format!("ssh-keys-program-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(".sshcommand");
        std::fs::write(&f, "  /opt/bin/dokku-ssh  \nignored\n").unwrap();
        assert_eq!(resolve(&f).unwrap(), "/opt/bin/dokku-ssh");
        std::fs::write(&f, "/opt/it's\n").unwrap();
        assert!(resolve(&f).unwrap_err().to_string().contains("refusing"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
