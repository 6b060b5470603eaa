//! Build records and build logs, asked of whichever plugin answers Dokku's `builds-*`
//! triggers. The first deploy lock a process tree takes starts a record
//! (`builds-generate-id`, `builds-record-start APP ID PID SOURCE`), and, when a plugin names a
//! log file (`builds-log-path APP ID`, ours), tees this process's stdout and stderr (which the
//! deploy's child processes inherit) into it while still streaming them to the user. The
//! plugin runtime ends the record when the command ends (`builds-record-finalize APP ID CODE`).
//! The core never reads the records: a replaced builds plugin keeps working.

use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;
use std::time::Duration;

/// The variable naming the build a process runs under (Dokku's `DOKKU_BUILD_ID`); children
/// inherit it, so that nested deploy locks do not start another record.
pub const ID_ENV: &str = "DOKKU_BUILD_ID";

/// The variable carrying the command that started the deploy (`ps:rebuild`, `git-hook`, …):
/// set by the outermost plugin command and kept by the processes it starts.
pub const SOURCE_ENV: &str = "DOKKU_BUILD_SOURCE";

/// The record this process started and its tee.
struct Active {
    app: String,
    id: String,
    tee: Option<Tee>,
}

static ACTIVE: Mutex<Option<Active>> = Mutex::new(None);

/// Notes `name` (a command or trigger this process was started as) as the deploy's source,
/// unless an outer process already named one.
pub fn set_source(name: &str) {
    if std::env::var_os(SOURCE_ENV).is_none() && !name.is_empty() {
        std::env::set_var(SOURCE_ENV, name);
    }
}

/// Forgets the source, so that the process doing the build names itself (the git protocol
/// side holds the lock of a push, the `git-hook` it starts builds).
pub fn clear_source() {
    std::env::remove_var(SOURCE_ENV);
}

fn first_line(v: Option<String>) -> Option<String> {
    v.and_then(|v| {
        v.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(String::from)
    })
}

/// Starts the record of a deploy of `app` by this process, unless one is running in this
/// process tree or no plugin records builds. Never fails the deploy: a record that cannot be
/// made is said in a warning.
pub fn start(app: &str) {
    let same = ACTIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|a| a.app == app);
    match same {
        Some(true) => return,
        // A process that deploys several apps one after another (`--all`) reaches the next
        // app's lock only when the previous deploy succeeded.
        Some(false) => finish(0),
        None => {}
    }
    if std::env::var_os(ID_ENV).is_some() {
        return;
    }
    let paths = crate::paths();
    match plugn::discovery::implementers(paths, "builds-record-start") {
        Ok(list) if !list.is_empty() => {}
        _ => return,
    }
    let id = match crate::trigger_value("builds-generate-id", &[]) {
        Ok(v) => match first_line(v) {
            Some(id) if id.bytes().all(|b| b.is_ascii_alphanumeric()) => id,
            _ => return,
        },
        Err(_) => return,
    };
    let pid = std::process::id().to_string();
    let source = std::env::var(SOURCE_ENV).unwrap_or_else(|_| "unknown".into());
    if let Err(e) = crate::trigger("builds-record-start", &[app, &id, &pid, &source]) {
        crate::log::warn(&format!("cannot record the build of {app}: {e:#}"));
        return;
    }
    std::env::set_var(ID_ENV, &id);
    let tee = first_line(
        crate::trigger_value("builds-log-path", &[app, &id])
            .ok()
            .flatten(),
    )
    .and_then(|path| match open_log(&path) {
        Ok(f) => Some(f),
        Err(e) => {
            crate::log::warn(&format!("cannot keep the build log {path}: {e:#}"));
            None
        }
    })
    .and_then(|log| {
        let secrets = secrets_of(app);
        match Tee::start(log, secrets) {
            Ok(t) => Some(t),
            Err(e) => {
                crate::log::warn(&format!("cannot keep the build log: {e:#}"));
                None
            }
        }
    });
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Active {
        app: app.to_string(),
        id,
        tee,
    });
}

/// Ends the record this process started, if any: the tee is drained and undone, then
/// `builds-record-finalize APP ID CODE` is fired.
pub fn finish(code: i32) {
    let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(active) = active else {
        return;
    };
    if let Some(tee) = active.tee {
        tee.stop();
    }
    std::env::remove_var(ID_ENV);
    let _ = crate::trigger(
        "builds-record-finalize",
        &[&active.app, &active.id, &code.to_string()],
    );
}

fn open_log(path: &str) -> anyhow::Result<File> {
    use anyhow::Context;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .with_context(|| format!("cannot open {path}"))
}

/// The app's config values long enough to be told apart from ordinary words: the log shows
/// `<redacted>` in their place.
fn secrets_of(app: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = crate::app_config(app)
        .map(|m| {
            m.into_values()
                .filter(|v| v.len() >= 6)
                .map(String::into_bytes)
                .collect()
        })
        .unwrap_or_default();
    // Longest first, so that a value containing another is replaced whole.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

fn redact_line(line: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = line.to_vec();
    if secrets.is_empty() {
        return out;
    }
    for s in secrets {
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        let mut changed = false;
        while i < out.len() {
            if out[i..].starts_with(s) {
                next.extend_from_slice(b"<redacted>");
                i += s.len();
                changed = true;
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        if changed {
            out = next;
        }
    }
    out
}

/// Fds 1 and 2 replaced by pipes; a thread copies each pipe to the original descriptor and,
/// line by line, to the log.
struct Tee {
    saved: [RawFd; 2],
    done: Receiver<()>,
}

fn cvt(r: libc::c_int, what: &str) -> anyhow::Result<libc::c_int> {
    if r < 0 {
        anyhow::bail!("{what}: {}", std::io::Error::last_os_error());
    }
    Ok(r)
}

impl Tee {
    #[allow(unsafe_code)]
    fn start(log: File, secrets: Vec<Vec<u8>>) -> anyhow::Result<Tee> {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        let mut saved = [-1; 2];
        let mut readers = [-1; 2];
        for fd in 1..=2 {
            let mut p = [0 as libc::c_int; 2];
            // SAFETY: plain descriptor calls on a local array and on fds 1 and 2.
            unsafe {
                cvt(libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC), "pipe")?;
                saved[fd - 1] = cvt(libc::fcntl(fd as i32, libc::F_DUPFD_CLOEXEC, 10), "dup")?;
                cvt(libc::dup2(p[1], fd as i32), "dup2")?;
                libc::close(p[1]);
            }
            readers[fd - 1] = p[0];
        }
        let (tx, rx) = channel();
        let outs = saved;
        std::thread::spawn(move || {
            copy_loop(readers, outs, log, &secrets);
            let _ = tx.send(());
        });
        Ok(Tee { saved, done: rx })
    }

    /// Puts the original fds back and waits (a bounded time: a process that kept the pipe
    /// open must not hold the deploy) for the thread to drain what was written.
    #[allow(unsafe_code)]
    fn stop(self) {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        for fd in 1..=2 {
            // SAFETY: restores fds 1 and 2 from descriptors this Tee owns.
            unsafe {
                libc::dup2(self.saved[fd - 1], fd as i32);
            }
        }
        let _ = self.done.recv_timeout(Duration::from_secs(3));
    }
}

#[allow(unsafe_code)]
fn copy_loop(readers: [RawFd; 2], outs: [RawFd; 2], mut log: File, secrets: &[Vec<u8>]) {
    let mut open = [true, true];
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: the saved descriptors stay open for the life of the process; ManuallyDrop
    // keeps these Files from closing them.
    let mut out_files =
        outs.map(|fd| std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }));
    while open[0] || open[1] {
        let mut fds: Vec<libc::pollfd> = (0..2)
            .filter(|i| open[*i])
            .map(|i| libc::pollfd {
                fd: readers[i],
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: fds is a valid array of pollfd for its length.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        for p in &fds {
            if p.revents == 0 {
                continue;
            }
            let i = if p.fd == readers[0] { 0 } else { 1 };
            // SAFETY: reading into a buffer of the given length.
            let n = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                open[i] = false;
                continue;
            }
            if n == 0 {
                open[i] = false;
                continue;
            }
            let chunk = &buf[..n as usize];
            // The user may have gone (a closed ssh session): the log is still kept.
            let _ = out_files[i].write_all(chunk);
            pending[i].extend_from_slice(chunk);
            let cut = pending[i]
                .iter()
                .rposition(|b| *b == b'\n')
                .map(|p| p + 1)
                .unwrap_or(if pending[i].len() > 64 * 1024 {
                    pending[i].len()
                } else {
                    0
                });
            if cut > 0 {
                let lines: Vec<u8> = pending[i].drain(..cut).collect();
                let _ = log.write_all(&redact_line(&lines, secrets));
            }
        }
    }
    for p in pending.iter().filter(|p| !p.is_empty()) {
        let _ = log.write_all(&redact_line(p, secrets));
    }
    let _ = log.flush();
    for r in readers {
        // SAFETY: closing the pipe ends this thread owns.
        unsafe {
            libc::close(r);
        }
    }
}

/// The arguments of Trigger `builds-record-finalize APP ID CODE`, checked: the app (a valid
/// name), the build id and the command's exit code.
pub fn finalize_args(argv: &[String]) -> anyhow::Result<(&str, &str, i32)> {
    let (Some(app), Some(id), Some(code)) = (argv.first(), argv.get(1), argv.get(2)) else {
        anyhow::bail!("builds-record-finalize needs APP ID CODE");
    };
    crate::appname::validate(app)?;
    let Ok(code) = code.parse::<i32>() else {
        anyhow::bail!("builds-record-finalize: invalid exit code {code:?}");
    };
    Ok((app, id, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_occurrence_longest_first() {
        let s = vec![b"hunter22-long".to_vec(), b"hunter22".to_vec()];
        assert_eq!(
            redact_line(b"a hunter22-long b hunter22 c\n", &s),
            b"a <redacted> b <redacted> c\n".to_vec()
        );
        assert_eq!(redact_line(b"plain\n", &s), b"plain\n".to_vec());
    }
}
