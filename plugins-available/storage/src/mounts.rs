//! Mount specs (`HOST:CONTAINER[:OPTIONS]`) and the `-v` lines that hold them in the app's
//! deploy and run docker options (Dokku's storage keeps its mounts there too).

use anyhow::{bail, Result};

/// One mount: a host path or docker volume, where it appears in the container, its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// An absolute host path, or a docker volume name.
    pub host: String,
    /// An absolute path in the container.
    pub container: String,
    /// Comma-separated mount options (`ro`, `z`, …), or empty.
    pub options: String,
}

/// The mount options Docker's `-v` accepts.
pub const OPTIONS: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "private",
    "rprivate",
    "nocopy",
    "consistent",
    "cached",
    "delegated",
];

/// A path with `//` and `/.` folded and no trailing slash; `..` components are refused.
pub fn normalize_path(what: &str, p: &str) -> Result<String> {
    let mut parts = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => bail!("{what} path {p:?} must not contain .. components"),
            c => parts.push(c),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Refuses a path with a character outside `[A-Za-z0-9/._-@+=%~]` (no whitespace, commas,
/// quotes or colons, which would change the meaning of a `-v` spec).
pub fn check_chars(what: &str, p: &str) -> Result<()> {
    if let Some(c) = p
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/._-@+=%~".contains(*c)))
    {
        bail!("{what} path {p:?} has an unsupported character {c:?} (no whitespace, commas, quotes or colons)");
    }
    Ok(())
}

/// Whether `name` is a docker volume name: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn is_volume_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b.len() <= 255
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl Mount {
    /// Parses and checks a spec given by a user; paths come back normalized.
    pub fn parse(spec: &str) -> Result<Mount> {
        const SHAPE: &str = "Storage path must be two valid paths divided by colon (/host/path:/container/path[:ro]), or a volume name and a path";
        if spec.chars().any(|c| c.is_control() || c.is_whitespace()) {
            bail!("Storage path {spec:?} must not contain whitespace or control characters");
        }
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 || parts[0].is_empty() || parts[1].is_empty() {
            bail!("{SHAPE}");
        }
        let (host, container) = (parts[0], parts[1]);
        let host = if host.starts_with('/') {
            check_chars("Host", host)?;
            normalize_path("Host", host)?
        } else if is_volume_name(host) {
            host.to_string()
        } else {
            bail!("Host path {host:?} must be absolute, or a docker volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        };
        if !container.starts_with('/') {
            bail!("Container path {container:?} must be absolute");
        }
        check_chars("Container", container)?;
        let container = normalize_path("Container", container)?;
        if container == "/" {
            bail!("Container path must not be / itself");
        }
        let options = parts.get(2).copied().unwrap_or("");
        if parts.len() == 3 {
            let opts: Vec<&str> = options.split(',').collect();
            for o in &opts {
                if !OPTIONS.contains(o) {
                    bail!("Unsupported mount option {o:?}; use {}", OPTIONS.join(", "));
                }
            }
            if opts.contains(&"ro") && opts.contains(&"rw") {
                bail!("Mount options ro and rw exclude each other");
            }
        }
        Ok(Mount {
            host,
            container,
            options: options.to_string(),
        })
    }

    /// Reads a spec found in a docker options line, without the checks of [`Mount::parse`].
    pub fn lenient(spec: &str) -> Mount {
        let mut parts = spec.splitn(3, ':');
        Mount {
            host: parts.next().unwrap_or("").to_string(),
            container: parts.next().unwrap_or("").trim_end_matches('/').to_string(),
            options: parts.next().unwrap_or("").to_string(),
        }
    }

    /// `HOST:CONTAINER[:OPTIONS]`.
    pub fn spec(&self) -> String {
        if self.options.is_empty() {
            format!("{}:{}", self.host, self.container)
        } else {
            format!("{}:{}:{}", self.host, self.container, self.options)
        }
    }

    /// The docker options line: `-v SPEC`.
    pub fn option_line(&self) -> String {
        format!("-v {}", self.spec())
    }

    /// Whether both name the same host and container paths (options aside).
    pub fn same_paths(&self, other: &Mount) -> bool {
        self.host == other.host && self.container == other.container
    }
}

/// The spec of a docker options line that mounts something: `-v SPEC`, `--volume SPEC` or
/// `--volume=SPEC`.
pub fn spec_of_line(line: &str) -> Option<String> {
    let words = dokku_core::sshcommand::parse(line).ok()?;
    match words.as_slice() {
        [flag, spec] if flag == "-v" || flag == "--volume" => Some(spec.clone()),
        [one] => one.strip_prefix("--volume=").map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let m = Mount::parse("/var//lib/x/:/app/data/:ro").unwrap();
        assert_eq!(m.spec(), "/var/lib/x:/app/data:ro");
        assert_eq!(m.option_line(), "-v /var/lib/x:/app/data:ro");
        assert_eq!(Mount::parse("my-vol:/data").unwrap().host, "my-vol");
        for bad in [
            "/a",
            "a:/b",
            "/a:b",
            "/a:/b:xx",
            "/a/../etc:/b",
            "/a:/b/..",
            "/a b:/c",
            "/a,b:/c",
            "/a:/c:ro,rw",
            "/a:/",
            "/a:/b:ro:x",
            "/a';x:/b",
            ":/b",
            "-v:/b",
        ] {
            assert!(Mount::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Mount::parse("/a:/b:ro,z").is_ok());
        assert_eq!(spec_of_line("-v /a:/b").as_deref(), Some("/a:/b"));
        assert_eq!(spec_of_line("--volume=/a:/b").as_deref(), Some("/a:/b"));
        assert_eq!(spec_of_line("--memory 1g"), None);
    }
}
