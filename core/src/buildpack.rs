//! Buildpack locations as `buildpacks:add`, a `.buildpacks` file and `BUILDPACK_URL` give
//! them: a git URL (`https://`, `http://`, `git://`, `ssh://`, `file://`, or scp-like
//! `user@host:path`), an absolute local folder, or Dokku's `OWNER/NAME` shorthand for
//! `https://github.com/OWNER/heroku-buildpack-NAME.git`; each optionally with `#REF` (a branch,
//! tag or commit). Nothing that starts with `-` or holds white space or control characters gets
//! through, so a location is always safe as one argument after `--`. Shared by the buildpacks
//! plugin (which keeps an app's list, answering `buildpacks-list`) and the herokuish builder.

use anyhow::{bail, Result};

/// The stack image when nothing else names one (`scripts/build-stack` builds it).
pub const DEFAULT_STACK: &str = "dokku/stack:bookworm";

/// The URL schemes fetched with `git clone`.
pub const SCHEMES: &[&str] = &["https://", "http://", "git://", "ssh://", "file://"];

/// The longest location accepted, in bytes.
const MAX_LEN: usize = 2048;

/// One buildpack: where it comes from and, optionally, which git ref of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buildpack {
    /// The URL or absolute folder, without `#REF`.
    pub location: String,
    /// The branch, tag or commit after `#`.
    pub git_ref: Option<String>,
}

impl Buildpack {
    /// Whether the location is a folder of this host (copied rather than cloned).
    pub fn is_local(&self) -> bool {
        self.location.starts_with('/')
    }

    /// A short name for the buildpack's folder and messages: the last path segment without
    /// `.git`, reduced to `[A-Za-z0-9._-]`.
    pub fn name(&self) -> String {
        let last = self
            .location
            .trim_end_matches('/')
            .rsplit(['/', ':'])
            .next()
            .unwrap_or("");
        let last = last.strip_suffix(".git").unwrap_or(last);
        let name: String = last
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = name.trim_start_matches('.').to_string();
        if name.is_empty() {
            "buildpack".to_string()
        } else {
            name
        }
    }
}

impl std::fmt::Display for Buildpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.git_ref {
            Some(r) => write!(f, "{}#{r}", self.location),
            None => f.write_str(&self.location),
        }
    }
}

fn invalid(input: &str, why: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "Invalid buildpack specified: {input:?} ({why}; use an https://, http://, git://, ssh:// or file:// URL, user@host:path, an absolute path or OWNER/NAME, with an optional #ref)"
    )
}

/// Whether `s` is Dokku's `OWNER/NAME` shorthand (`[A-Za-z0-9_]+/[A-Za-z0-9_]+`).
fn is_shorthand(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    matches!(s.split_once('/'), Some((o, n)) if word(o) && word(n))
}

/// Whether `s` is a scp-like git location: `user@host:path`.
fn is_scp_like(s: &str) -> bool {
    let Some((user, rest)) = s.split_once('@') else {
        return false;
    };
    let Some((host, path)) = rest.split_once(':') else {
        return false;
    };
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['-', '.'])
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    };
    part(user) && part(host) && !path.is_empty() && !path.starts_with('-')
}

fn check_ref(input: &str, r: &str) -> Result<()> {
    let ok = !r.is_empty()
        && r.len() <= 255
        && !r.starts_with(['-', '/', '.'])
        && !r.contains("..")
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-' || b == b'/');
    if !ok {
        return Err(invalid(input, "bad #ref"));
    }
    Ok(())
}

/// Checks a buildpack location and returns it in its stored form (the `OWNER/NAME` shorthand
/// expanded).
pub fn normalize(input: &str) -> Result<String> {
    Ok(parse(input)?.to_string())
}

/// Parses a buildpack location (see the module doc); the error is one line naming the input.
pub fn parse(input: &str) -> Result<Buildpack> {
    if input.is_empty() {
        bail!("Must specify a buildpack");
    }
    if input.len() > MAX_LEN {
        return Err(invalid(
            &input[..40.min(input.len())],
            "longer than 2048 bytes",
        ));
    }
    if input.starts_with('-') {
        return Err(invalid(input, "it starts with -"));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(input, "it holds white space or control characters"));
    }
    let (location, git_ref) = match input.split_once('#') {
        Some((l, r)) => {
            check_ref(input, r)?;
            (l, Some(r.to_string()))
        }
        None => (input, None),
    };
    let location = if is_shorthand(location) {
        let (owner, name) = location.split_once('/').expect("shorthand has a slash");
        format!("https://github.com/{owner}/heroku-buildpack-{name}.git")
    } else if let Some(scheme) = SCHEMES.iter().find(|s| location.starts_with(**s)) {
        let rest = &location[scheme.len()..];
        if rest.is_empty() || rest.starts_with('-') {
            return Err(invalid(input, "nothing usable after the scheme"));
        }
        location.to_string()
    } else if location.starts_with('/') {
        if location.split('/').any(|c| c == "..") {
            return Err(invalid(input, "a local path may not hold .."));
        }
        location.to_string()
    } else if is_scp_like(location) {
        location.to_string()
    } else {
        return Err(invalid(input, "unknown form"));
    };
    Ok(Buildpack { location, git_ref })
}

/// Parses a `.buildpacks` file: one location per line; blank lines and lines starting with `#`
/// are skipped. A bad line is named by its number.
pub fn parse_list_file(text: &str) -> Result<Vec<Buildpack>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match parse(t) {
            Ok(b) => out.push(b),
            Err(e) => bail!(".buildpacks line {}: {e}", i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for ok in [
            "https://github.com/heroku/heroku-buildpack-nodejs.git",
            "http://example.com/bp.git#v1.2",
            "git://example.com/bp",
            "ssh://git@example.com/bp.git#main",
            "file:///srv/bp.git",
            "/srv/buildpacks/static",
            "git@github.com:org/bp.git",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
            assert_eq!(normalize(ok).unwrap(), ok);
        }
        assert_eq!(
            normalize("heroku/nodejs").unwrap(),
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        );
        let b = parse("https://x.test/a/static-bp.git#feature/x").unwrap();
        assert_eq!(b.git_ref.as_deref(), Some("feature/x"));
        assert_eq!(b.name(), "static-bp");
        assert!(!b.is_local());
        assert!(parse("/srv/bp").unwrap().is_local());
    }

    #[test]
    fn refused_forms() {
        for bad in [
            "",
            "-u",
            "--upload-pack=x",
            "https://x.test/a b",
            "https://x.test/a\nb",
            "ext::sh -c x",
            "ext::sh",
            "relative/path/x",
            "ftp://x.test/bp",
            "https://",
            "https://-x",
            "https://x.test/bp#",
            "https://x.test/bp#-x",
            "https://x.test/bp#a..b",
            "/srv/../etc",
            "git@-oProxyCommand=x:y",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn list_file() {
        let l = parse_list_file("# comment\n\nhttps://x.test/a.git\n  /srv/b#main  \n").unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].location, "/srv/b");
        let e = parse_list_file("https://x.test/a\nnot a url\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
