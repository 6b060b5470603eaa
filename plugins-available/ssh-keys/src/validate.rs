//! Checks of what `ssh-keys:add` is given: the key name, and the public key itself (one plain
//! `TYPE BASE64 [COMMENT]` line, which `ssh-keygen -l` must accept), and its fingerprint.

use anyhow::{bail, Context, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};

/// The longest key name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// Whether `name` is a valid key name: `^[A-Za-z0-9][A-Za-z0-9._@-]*$`, at most 64 characters.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

/// Fails with one line when `name` is not a valid key name.
pub fn check_name(name: &str) -> Result<()> {
    if !is_valid_name(name) {
        bail!(
            "invalid ssh key name {name:?}: use at most {MAX_NAME_LEN} letters, digits, '.', '_', \
             '@' or '-', starting with a letter or digit"
        );
    }
    Ok(())
}

/// Whether `s` is a key type as it starts a public key line (`ssh-ed25519`, `ecdsa-sha2-…`,
/// `sk-ssh-ed25519@openssh.com`, …): `^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+$`.
pub fn is_key_type(s: &str) -> bool {
    let rest = ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .find_map(|p| s.strip_prefix(p));
    match rest {
        Some(r) => {
            !r.is_empty()
                && r.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'@' | b'.' | b'-')
                })
        }
        None => false,
    }
}

/// Whether `s` is non-empty base64 text (`[A-Za-z0-9+/=]+`).
pub fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Whether `s` looks like a fingerprint `ssh-keygen -E sha256 -l` prints (`SHA256:base64`).
pub fn is_fingerprint(s: &str) -> bool {
    s.strip_prefix("SHA256:").is_some_and(is_base64)
}

/// A public key reduced to what is written to `authorized_keys`: its type and its base64 blob
/// (the comment is dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The key type, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// The base64 key material.
    pub blob: String,
}

impl PublicKey {
    /// The key as one `TYPE BASE64` line (no newline).
    pub fn line(&self) -> String {
        format!("{} {}", self.key_type, self.blob)
    }
}

/// Parses the text given to `ssh-keys:add`: exactly one non-empty `TYPE BASE64 [COMMENT]` line
/// once surrounding whitespace is trimmed; refuses empty text, private keys, several keys, key
/// options and anything else, each with one line.
pub fn parse_public_key(text: &str) -> Result<PublicKey> {
    let text = text.trim();
    if text.is_empty() {
        bail!("ssh-keys:add: the key is empty");
    }
    if text.contains("PRIVATE KEY") {
        bail!("ssh-keys:add: that is a private key; give the public key (the .pub file)");
    }
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    if lines > 1 {
        bail!(
            "ssh-keys:add: {lines} lines given; add one key per ssh-keys:add (a public key is one line)"
        );
    }
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if words.len() >= 2 && is_key_type(words[0]) && is_base64(words[1]) {
        return Ok(PublicKey {
            key_type: words[0].to_string(),
            blob: words[1].to_string(),
        });
    }
    let has_key_later = words
        .windows(2)
        .skip(1)
        .any(|w| is_key_type(w[0]) && is_base64(w[1]));
    if has_key_later {
        bail!("ssh-keys:add: key options are not accepted; give a plain `TYPE KEY [COMMENT]` line");
    }
    bail!("ssh-keys:add: not a valid public ssh key")
}

/// A private (0700) temp folder, removed with its contents when dropped.
fn private_temp_dir() -> Result<tempfile::TempDir> {
    plugn::atomic::private_dir("dokku-ssh-keys-")
}

/// The SHA256 fingerprint of `key`, from `ssh-keygen -E sha256 -l -f FILE` run on a temp file
/// holding the key line; a key ssh-keygen refuses is "not a valid public ssh key".
pub fn fingerprint(key: &PublicKey) -> Result<String> {
    let dir = private_temp_dir()?;
    let file = dir.path().join("key.pub");
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .with_context(|| format!("cannot create {}", file.display()))?;
    writeln!(f, "{}", key.line()).with_context(|| format!("cannot write {}", file.display()))?;
    drop(f);
    let out = Command::new("ssh-keygen")
        .args(["-E", "sha256", "-l", "-f"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .context("ssh-keys:add: cannot run ssh-keygen (is openssh-client installed?)")?;
    if !out.status.success() {
        bail!("ssh-keys:add: not a valid public ssh key");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
    let fp = match (lines.next(), lines.next()) {
        (Some(l), None) => l.split_ascii_whitespace().nth(1).unwrap_or(""),
        _ => "",
    };
    if !is_fingerprint(fp) {
        bail!(
            "ssh-keys:add: unexpected output from ssh-keygen: {:?}",
            stdout.trim()
        );
    }
    Ok(fp.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["admin", "a", "Alice.B_c@host-1", &"x".repeat(64)] {
            assert!(is_valid_name(ok), "{ok:?} refused");
        }
        for bad in [
            "",
            "-x",
            ".x",
            "a b",
            "a\"b",
            "a'b",
            "a\\b",
            "a\nb",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn key_types() {
        assert!(is_key_type("ssh-ed25519"));
        assert!(is_key_type("ecdsa-sha2-nistp256"));
        assert!(is_key_type("sk-ssh-ed25519@openssh.com"));
        assert!(!is_key_type("ssh-"));
        assert!(!is_key_type("command=\"x\""));
        assert!(!is_key_type("SSH-RSA"));
    }

    #[test]
    fn parse() {
        let k = parse_public_key("  ssh-ed25519 AAAAC3Nz+/= a \"comment\\\n").unwrap();
        assert_eq!(k.line(), "ssh-ed25519 AAAAC3Nz+/=");
        assert!(parse_public_key(" \n ")
            .unwrap_err()
            .to_string()
            .contains("the key is empty"));
        assert!(parse_public_key(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----"
        )
        .unwrap_err()
        .to_string()
        .contains("private key"));
        assert!(parse_public_key("ssh-ed25519 AAAA a\nssh-ed25519 BBBB b")
            .unwrap_err()
            .to_string()
            .contains("2 lines"));
        assert!(
            parse_public_key("command=\"touch /tmp/x\" ssh-ed25519 AAAA a")
                .unwrap_err()
                .to_string()
                .contains("options")
        );
        assert!(parse_public_key("no-pty ssh-ed25519 AAAA")
            .unwrap_err()
            .to_string()
            .contains("options"));
        for bad in [
            "garbage",
            "ssh-ed25519",
            "ssh-ed25519 AA\"AA",
            "ssh-ed25519 AAAA;x",
        ] {
            assert!(
                parse_public_key(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("not a valid public ssh key"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fingerprints() {
        assert!(is_fingerprint(
            "SHA256:1MP65cxgkhoMvBDTg0bYLqI6tmXBNsIo1qXCyioYfLI"
        ));
        assert!(!is_fingerprint("SHA256:"));
        assert!(!is_fingerprint("MD5:aa:bb"));
        assert!(!is_fingerprint("SHA256:a\"b"));
    }
}
