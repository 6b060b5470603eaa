//! `$DOKKU_ROOT/.ssh/authorized_keys`: reading its lines, recognising the ones ssh-keys wrote
//! (and the ones Dokku's sshcommand wrote), and changing it under a lock with an atomic write.
//! Lines it does not recognise are kept byte for byte.

use crate::validate::{is_base64, is_key_type, PublicKey};
use anyhow::{anyhow, Context, Result};
use dokku_core::paths;
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The ssh options every key gets besides its forced command (Dokku's
/// `SSHCOMMAND_ALLOWED_KEYS` default).
pub const OPTIONS: &str = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";

/// `$DOKKU_ROOT/.ssh/authorized_keys`.
pub fn path() -> PathBuf {
    paths().dokku_root.join(".ssh").join("authorized_keys")
}

/// A key line carrying a dokku forced command: who it is and how it is restricted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key name (`NAME=` of the forced command).
    pub name: String,
    /// Its fingerprint (`FINGERPRINT=` of the forced command).
    pub fingerprint: String,
    /// The line's other options, comma separated (`SSHCOMMAND_ALLOWED_KEYS`).
    pub options: String,
}

/// One line of the file, as read.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line exactly as it was (without its newline).
    pub raw: String,
    /// The dokku key it holds, when it is one.
    pub entry: Option<Entry>,
    /// The base64 key material found on it, if any (for duplicate checks).
    pub blob: Option<String>,
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub struct KeyFile {
    /// Its lines, in order.
    pub lines: Vec<Line>,
}

/// The byte offsets in `s` of the characters `is_sep` accepts outside double quotes, as sshd
/// reads an options field (`\"` inside quotes is an escaped quote).
fn separators_outside_quotes(s: &str, is_sep: impl Fn(char) -> bool) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == '"' {
            in_quotes = true;
        } else if is_sep(c) {
            out.push(i);
        }
    }
    out
}

/// The end (exclusive) of the options field at the start of `line`: its first blank outside
/// double quotes.
fn options_end(line: &str) -> usize {
    separators_outside_quotes(line, |c| c == ' ' || c == '\t')
        .first()
        .copied()
        .unwrap_or(line.len())
}

/// Splits an options field on the commas outside double quotes.
fn split_options(opts: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in separators_outside_quotes(opts, |c| c == ',') {
        out.push(&opts[start..i]);
        start = i + 1;
    }
    out.push(&opts[start..]);
    out
}

/// The value of `KEY=` among the words of a forced command, quotes removed.
fn command_var(command: &str, key: &str) -> Option<String> {
    command.split_ascii_whitespace().find_map(|w| {
        w.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The first `TYPE BASE64` pair among `words`.
fn find_blob<'a>(mut words: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut prev = words.next()?;
    for w in words {
        if is_key_type(prev) && is_base64(w) {
            return Some(w.to_string());
        }
        prev = w;
    }
    None
}

/// Reads one line: a dokku key when it has a `command="…"` option naming `NAME=` and
/// `FINGERPRINT=` (this plugin's form and Dokku's sshcommand form alike).
pub fn parse_line(raw: &str) -> Line {
    let text = raw.trim();
    let mut line = Line {
        raw: raw.to_string(),
        entry: None,
        blob: None,
    };
    if text.is_empty() || text.starts_with('#') {
        return line;
    }
    let first = text.split_ascii_whitespace().next().unwrap_or("");
    if is_key_type(first) {
        line.blob = find_blob(text.split_ascii_whitespace());
        return line;
    }
    let end = options_end(text);
    let (opts, key) = text.split_at(end);
    line.blob = find_blob(key.split_ascii_whitespace());
    let mut command = None;
    let mut others = Vec::new();
    for o in split_options(opts) {
        match o
            .strip_prefix("command=\"")
            .and_then(|c| c.strip_suffix('"'))
        {
            Some(c) if command.is_none() => command = Some(c.replace("\\\"", "\"")),
            _ => others.push(o),
        }
    }
    if let Some(c) = command {
        if let (Some(name), Some(fingerprint)) =
            (command_var(&c, "NAME"), command_var(&c, "FINGERPRINT"))
        {
            line.entry = Some(Entry {
                name,
                fingerprint,
                options: others.join(","),
            });
        }
    }
    line
}

/// The line ssh-keys writes for a key: a forced command that sets `NAME` and `FINGERPRINT`
/// and execs the dokku program named by `.sshcommand`, then the restrictions and the key.
/// The name, fingerprint and program must have been checked (no quotes, no backslashes).
pub fn format_line(name: &str, fingerprint: &str, program: &str, key: &PublicKey) -> String {
    format!(
        "command=\"NAME=\\\"{name}\\\" FINGERPRINT=\\\"{fingerprint}\\\" exec '{program}'\",{OPTIONS} {}",
        key.line()
    )
}

impl KeyFile {
    /// Parses the file's text.
    pub fn parse(text: &str) -> KeyFile {
        if text.is_empty() {
            return KeyFile::default();
        }
        let body = text.strip_suffix('\n').unwrap_or(text);
        KeyFile {
            lines: body.split('\n').map(parse_line).collect(),
        }
    }

    /// The file's text: every line followed by a newline.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.raw);
            s.push('\n');
        }
        s
    }

    /// The dokku keys, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.lines.iter().filter_map(|l| l.entry.as_ref())
    }

    /// Appends a line.
    pub fn push(&mut self, raw: String) {
        self.lines.push(parse_line(&raw));
    }

    /// Removes the dokku keys `matches` selects; returns them.
    pub fn remove(&mut self, matches: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        let mut removed = Vec::new();
        self.lines.retain(|l| match &l.entry {
            Some(e) if matches(e) => {
                removed.push(e.clone());
                false
            }
            _ => true,
        });
        removed
    }
}

/// Reads and parses the file at `path`; a missing file is an empty one.
pub fn load(path: &Path) -> Result<KeyFile> {
    Ok(KeyFile::parse(&read_text(path)?))
}

fn read_text(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            anyhow!(
                "{} is not valid UTF-8 (at byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Changes the file at `path` under its lock: creates its folder (mode 0700) when missing,
/// reads it, lets `change` edit it, and writes it back atomically (mode 0600) when `change`
/// succeeded and altered it. Concurrent callers are serialised, so no change is lost.
pub fn update<T>(path: &Path, change: impl FnOnce(&mut KeyFile) -> Result<T>) -> Result<T> {
    let dir = path
        .parent()
        .context("the authorized_keys path has no folder")?;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = plugn::atomic::lock(path)?;
    let before = read_text(path)?;
    let mut kf = KeyFile::parse(&before);
    let value = change(&mut kf)?;
    let after = kf.render();
    if after != before || !path.exists() {
        plugn::atomic::write(path, after.as_bytes(), 0o600)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    give_to_home_owner(dir, &[path, &plugn::atomic::lock_path(path)])?;
    Ok(value)
}

/// Run by root (as `ssh-keys:*` is on a system install), hands `.ssh` and its files to the
/// owner of the folder above it (`DOKKU_ROOT`, the dokku user's home): sshd reads them as
/// that user and refuses files it cannot read.
fn give_to_home_owner(ssh_dir: &Path, files: &[&Path]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let Some(home) = ssh_dir.parent() else {
        return Ok(());
    };
    let meta =
        std::fs::metadata(home).with_context(|| format!("cannot read {}", home.display()))?;
    if meta.uid() == 0 {
        return Ok(());
    }
    for p in std::iter::once(ssh_dir).chain(files.iter().copied()) {
        if p.exists() {
            std::os::unix::fs::chown(p, Some(meta.uid()), Some(meta.gid()))
                .with_context(|| format!("cannot hand {} to uid {}", p.display(), meta.uid()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PublicKey {
        PublicKey {
            key_type: "ssh-ed25519".into(),
            blob: "AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y=".into(),
        }
    }

    #[test]
    fn own_line_round_trip() {
        let raw = format_line("admin", "SHA256:ab+/c", "/usr/bin/dokku", &key());
        assert_eq!(
            raw,
            "command=\"NAME=\\\"admin\\\" FINGERPRINT=\\\"SHA256:ab+/c\\\" exec '/usr/bin/dokku'\",\
             no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding \
             ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y="
        );
        let l = parse_line(&raw);
        assert_eq!(
            l.entry,
            Some(Entry {
                name: "admin".into(),
                fingerprint: "SHA256:ab+/c".into(),
                options: OPTIONS.into(),
            })
        );
        assert_eq!(l.blob.as_deref(), Some("AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y="));
    }

    #[test]
    fn dokku_sshcommand_line() {
        let raw = "command=\"FINGERPRINT=SHA256:xyz NAME=\\\"bob\\\" `cat /home/dokku/.sshcommand` $SSH_ORIGINAL_COMMAND\",no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding ssh-rsa AAAAB3Nza bob@laptop";
        let l = parse_line(raw);
        let e = l.entry.unwrap();
        assert_eq!(e.name, "bob");
        assert_eq!(e.fingerprint, "SHA256:xyz");
        assert_eq!(e.options, OPTIONS);
        assert_eq!(l.blob.as_deref(), Some("AAAAB3Nza"));
    }

    #[test]
    fn unknown_lines_kept() {
        let text = "# a comment\n\nssh-ed25519 AAAAfoo other@host\nfrom=\"10.0.0.1\" ssh-rsa AAAAbar\r\nnot a key\n";
        let kf = KeyFile::parse(text);
        assert_eq!(kf.render(), text);
        assert_eq!(kf.entries().count(), 0);
        assert_eq!(kf.lines[2].blob.as_deref(), Some("AAAAfoo"));
        assert_eq!(kf.lines[3].blob.as_deref(), Some("AAAAbar"));
        assert_eq!(KeyFile::parse("").render(), "");
        assert_eq!(KeyFile::parse("x").render(), "x\n");
    }

    #[test]
    fn remove_selects_entries() {
        let mut kf = KeyFile::parse("# keep\n");
        kf.push(format_line("a", "SHA256:a", "/d", &key()));
        kf.push(format_line("b", "SHA256:b", "/d", &key()));
        let gone = kf.remove(|e| e.name == "a");
        assert_eq!(gone.len(), 1);
        assert_eq!(
            kf.entries().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        assert!(kf.render().starts_with("# keep\n"));
    }
}
