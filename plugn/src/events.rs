//! The events log: one syslog-style line per fired trigger, appended straight to
//! `$DOKKU_LOGS_DIR/events.log` (mode 0640), and the reader side (`dokku events [-t]`).
//! Arguments are logged (and traced) through [`redacted`]: no config value, no URL password.

use crate::paths::Paths;
use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The marker whose presence means "events are on" (`events:on` writes it, `events:off` removes it).
pub fn marker(paths: &Paths) -> PathBuf {
    paths.properties("events").join("--global").join("enabled")
}

/// Whether triggers must be logged: `DOKKU_EVENTS` decides when set (`1`/`true` on,
/// anything else off), otherwise the marker written by `events:on`.
pub fn enabled(paths: &Paths) -> bool {
    match std::env::var("DOKKU_EVENTS") {
        Ok(v) if !v.is_empty() => v == "1" || v.eq_ignore_ascii_case("true"),
        _ => marker(paths).exists(),
    }
}

/// Turns events on or off (the marker file).
pub fn set_enabled(paths: &Paths, on: bool) -> Result<()> {
    let m = marker(paths);
    if on {
        let dir = m.parent().expect("marker has a parent");
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        crate::atomic::write(&m, b"true\n", 0o644)?;
        fs::create_dir_all(&paths.logs_dir)
            .with_context(|| format!("cannot create {}", paths.logs_dir.display()))?;
    } else {
        match fs::remove_file(&m) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", m.display())),
        }
    }
    Ok(())
}

/// Local time as syslog writes it: `Mon DD HH:MM:SS` (day padded with a space).
#[allow(unsafe_code)]
pub fn syslog_time() -> String {
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r fills `tm` from a valid time_t; strftime writes at most buf.len()
    // bytes into buf and returns how many it wrote.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%b %e %H:%M:%S".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// Makes `s` safe for one log line: control characters are written as escapes.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The mode of the events log: the dokku user writes, its group (`adm` on a system install)
/// reads, nobody else.
pub const LOG_MODE: u32 = 0o640;

/// What a logged secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Whether `s` is an env-var name (`[A-Za-z_][A-Za-z0-9_]*`).
fn is_env_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Where a config value starts in `word` (a word of an argument): after the `=` of
/// `KEY=`, `--env=KEY=` or `-e=KEY=` with KEY an env-var name.
fn value_start(word: &str) -> Option<usize> {
    let (prefix, rest) = ["--env=", "-e="]
        .iter()
        .find_map(|p| word.strip_prefix(p).map(|r| (p.len(), r)))
        .unwrap_or((0, word));
    let (key, _) = rest.split_once('=')?;
    is_env_name(key).then_some(prefix + key.len() + 1)
}

/// `arg` with the `user:password@` (or `token@`) of every `scheme://` URL in it replaced by
/// `<redacted>@`.
pub fn strip_url_credentials(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// An argument as it may be logged or traced: URL credentials stripped, and when a word of it
/// (the argument itself, or a word after whitespace) has the shape of a config value,
/// `KEY=VALUE`, `--env=KEY=VALUE` or `-e=KEY=VALUE` with KEY an env-var name, everything after
/// that `=` to the end of the argument (a value may hold spaces) is `<redacted>`.
pub fn redact(arg: &str) -> String {
    let mut prev_space = true;
    for (i, c) in arg.char_indices() {
        if prev_space && !c.is_whitespace() {
            if let Some(v) = value_start(&arg[i..]) {
                let head = strip_url_credentials(&arg[..i + v]);
                return format!("{head}{REDACTED}");
            }
        }
        prev_space = c.is_whitespace();
    }
    strip_url_credentials(arg)
}

/// The arguments as they may be logged or traced: each through [`redact`].
pub fn redacted(args: &[String]) -> Vec<String> {
    args.iter().map(|a| redact(a)).collect()
}

/// The event line for a trigger, in Dokku's syslog format, newline included.
pub fn format_line(trigger: &str, args: &[String]) -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into());
    let name = std::env::var("NAME")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "default".into());
    let fingerprint = std::env::var("FINGERPRINT").unwrap_or_default();
    let dokku_pid = std::env::var("DOKKU_PID")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| std::process::id().to_string());
    format!(
        "{} {} dokku-event[{}]: INVOKED: {}( {} ) NAME={} FINGERPRINT={} DOKKU_PID={}\n",
        syslog_time(),
        host,
        std::process::id(),
        one_line(trigger),
        one_line(&redacted(args).join(" ")),
        one_line(&name),
        one_line(&fingerprint),
        dokku_pid
    )
}

/// Appends one line to the events log with a single `write` on an `O_APPEND` descriptor,
/// so lines from many processes never interleave. The log is made (or put back to) mode 0640.
pub fn append(paths: &Paths, line: &str) -> Result<()> {
    let path = paths.events_log();
    let open = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(LOG_MODE)
            .open(&path)
    };
    let mut f = match open() {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(&paths.logs_dir)
                .with_context(|| format!("cannot create {}", paths.logs_dir.display()))?;
            open().with_context(|| format!("cannot open {}", path.display()))?
        }
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    // A log made before (0644) or by another umask: readable by others no more. Only its owner
    // may change the mode; anyone else leaves it as it is.
    if let Ok(m) = f.metadata() {
        use std::os::unix::fs::PermissionsExt;
        if m.mode() & 0o7777 != LOG_MODE && m.uid() == nix::unistd::geteuid().as_raw() {
            let _ = f.set_permissions(fs::Permissions::from_mode(LOG_MODE));
        }
    }
    f.write_all(line.as_bytes())
        .with_context(|| format!("cannot append to {}", path.display()))
}

/// Logs a fired trigger when events are on; a failure to log warns and never fails the trigger.
pub fn record(paths: &Paths, trigger: &str, args: &[String]) {
    if !enabled(paths) {
        return;
    }
    if let Err(e) = append(paths, &format_line(trigger, args)) {
        eprintln!(" !     events: {e:#}");
    }
}

/// The last `n` lines of the file at `path` (all of it when shorter); empty when absent.
pub fn last_lines(path: &Path, n: usize) -> Result<Vec<u8>> {
    match File::open(path) {
        Ok(mut f) => {
            let len = f.metadata()?.len();
            tail_of(&mut f, len, n)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
    }
}

/// The last `n` lines of the first `len` bytes of `f`.
fn tail_of(f: &mut File, len: u64, n: usize) -> Result<Vec<u8>> {
    let mut pos = len;
    let mut tail: Vec<u8> = Vec::new();
    let chunk = 64 * 1024u64;
    // Read backwards until n+1 newlines (a trailing newline ends the last line) or the start.
    while pos > 0 && tail.iter().filter(|&&b| b == b'\n').count() <= n {
        let start = pos.saturating_sub(chunk);
        let mut buf = vec![0u8; (pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf)?;
        buf.extend_from_slice(&tail);
        tail = buf;
        pos = start;
    }
    let body_end = if tail.last() == Some(&b'\n') {
        tail.len() - 1
    } else {
        tail.len()
    };
    let cut = tail[..body_end]
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, &b)| b == b'\n')
        .nth(n.saturating_sub(1))
        .map(|(i, _)| i + 1)
        .unwrap_or(0);
    Ok(tail[cut..].to_vec())
}

/// Writes the last `n` lines of the log at `path` to `out`, then follows it as
/// [`follow`] does from exactly where that tail ended, so a line appended in between is never
/// missed.
pub fn tail_and_follow(
    path: &Path,
    n: usize,
    out: &mut dyn Write,
    stop: &dyn Fn() -> bool,
) -> Result<()> {
    let mut file = File::open(path).ok();
    if let Some(f) = file.as_mut() {
        let len = f.metadata()?.len();
        out.write_all(&tail_of(f, len, n)?)?;
        out.flush()?;
        f.seek(SeekFrom::Start(len))?;
    }
    follow_file(path, file, out, stop)
}

/// Follows the file at `path` from its current end, writing new bytes to `out` as they come.
/// When the file is rotated (renamed away and recreated), the old one is drained first, then
/// the new one is read from its start, so no line is lost. Runs until `out` fails or `stop`
/// says so (checked between polls).
pub fn follow(path: &Path, out: &mut dyn Write, stop: &dyn Fn() -> bool) -> Result<()> {
    let mut file = File::open(path).ok();
    if let Some(f) = file.as_mut() {
        f.seek(SeekFrom::End(0))?;
    }
    follow_file(path, file, out, stop)
}

/// Copies what remains in `f` to `out`.
fn drain(f: &mut File, out: &mut dyn Write, buf: &mut [u8]) -> Result<()> {
    loop {
        let n = f.read(buf)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])?;
    }
}

fn follow_file(
    path: &Path,
    mut file: Option<File>,
    out: &mut dyn Write,
    stop: &dyn Fn() -> bool,
) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Some(f) = file.as_mut() {
            drain(f, out, &mut buf)?;
            out.flush()?;
        }
        if stop() {
            return Ok(());
        }
        match (file.as_mut(), fs::metadata(path).ok()) {
            (Some(f), Some(m)) => {
                let fm = f.metadata()?;
                if fm.ino() != m.ino() || fm.dev() != m.dev() {
                    // Rotated: drain the old file one last time, then read the new one whole.
                    drain(f, out, &mut buf)?;
                    file = File::open(path).ok();
                    continue;
                }
                if m.len() < f.stream_position()? {
                    // Truncated in place: start again from its beginning.
                    f.seek(SeekFrom::Start(0))?;
                    continue;
                }
            }
            (None, Some(_)) => {
                file = File::open(path).ok();
                continue;
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_counts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l");
        let text: String = (0..250).map(|i| format!("line {i}\n")).collect();
        fs::write(&p, &text).unwrap();
        let got = String::from_utf8(last_lines(&p, 100).unwrap()).unwrap();
        assert_eq!(got.lines().count(), 100);
        assert!(got.starts_with("line 150\n"));
        fs::write(&p, "a\nb\n").unwrap();
        assert_eq!(last_lines(&p, 100).unwrap(), b"a\nb\n");
    }

    #[test]
    fn line_format() {
        let l = format_line("post-create", &["my\napp".into()]);
        assert!(l.contains("dokku-event["));
        assert!(l.contains("INVOKED: post-create( my\\napp ) NAME="));
        assert!(l.ends_with('\n'));
        assert_eq!(l.matches('\n').count(), 1);
    }

    #[test]
    fn secrets_redacted() {
        let r = |a: &str| redact(a);
        assert_eq!(r("SECRET=hunter2"), "SECRET=<redacted>");
        assert_eq!(r("_K1=a b c"), "_K1=<redacted>");
        assert_eq!(r("--env=K=v"), "--env=K=<redacted>");
        assert_eq!(r("-e=K=v"), "-e=K=<redacted>");
        assert_eq!(r("-e FOO=bar --x"), "-e FOO=<redacted>");
        assert_eq!(r("K="), "K=<redacted>");
        assert_eq!(r("1K=v"), "1K=v");
        assert_eq!(r("com.dokku.app-name=x"), "com.dokku.app-name=x");
        assert_eq!(r("--label=x"), "--label=x");
        assert_eq!(r("config:set"), "config:set");
        assert_eq!(
            r("https://user:pw@host.example/x.tar?a=b"),
            "https://<redacted>@host.example/x.tar?a=b"
        );
        assert_eq!(r("https://host/x@y"), "https://host/x@y");
        assert_eq!(
            r("git clone ssh://tok@h/r"),
            "git clone ssh://<redacted>@h/r"
        );
        assert_eq!(r("U=https://u:p@h/"), "U=<redacted>");
        assert_eq!(
            r("x https://a:b@h K=v"),
            "x https://<redacted>@h K=<redacted>"
        );
        let l = format_line(
            "user-auth",
            &[
                "root".into(),
                "config:set".into(),
                "app".into(),
                "S=v a".into(),
            ],
        );
        assert!(l.contains("( root config:set app S=<redacted> )"), "{l}");
    }
}
