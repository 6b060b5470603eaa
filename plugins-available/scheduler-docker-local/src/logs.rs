//! `scheduler-logs docker-local APP PROCESS_TYPE TAIL PRETTY_PRINT NUM`: the output of the app's
//! deployed containers from `docker logs --timestamps`, each line `TIMESTAMP app[PROCESS.N]:
//! text` as Dokku prints it (the text alone when quiet): merged by time, or followed. And
//! `scheduler-logs-failed docker-local APP`: what the containers of the last failed deploy
//! printed, kept by the deploy in `$DOKKU_ROOT/APP/FAILED_DEPLOY_LOG`.

use crate::dynos::{self, Dyno};
use anyhow::{bail, Context, Result};
use dokku_core::docker;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::mpsc;

/// Dokku's colors for the `app[…]:` prefixes, one per container in turn.
const COLORS: [u8; 5] = [36, 33, 32, 35, 31];

/// How lines are printed.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// `-q`: the text alone.
    raw: bool,
    /// Colored prefixes (stdout is a terminal).
    color: bool,
}

impl Style {
    /// The style for `-q` (`raw`), colored when stdout is a terminal.
    fn new(raw: bool) -> Style {
        let color = std::io::stdout().is_terminal();
        Style { raw, color }
    }

    fn line(&self, n: usize, dyno: &str, l: &Line) -> String {
        if self.raw {
            return format!("{}\n", l.text);
        }
        if self.color {
            let c = COLORS[n % COLORS.len()];
            format!("\x1b[{c}m{} app[{dyno}]:\x1b[0m {}\n", l.time, l.text)
        } else {
            format!("{} app[{dyno}]: {}\n", l.time, l.text)
        }
    }
}

/// One line of `docker logs --timestamps`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// The timestamp as docker printed it.
    time: String,
    /// A key that sorts by time (fraction padded to nanoseconds).
    key: String,
    /// The text.
    text: String,
}

fn parse_line(raw: &[u8]) -> Line {
    let mut s = String::from_utf8_lossy(raw).into_owned();
    while s.ends_with('\n') || s.ends_with('\r') {
        s.pop();
    }
    let (time, text) = match s.split_once(' ') {
        Some((t, rest)) if t.len() >= 20 && t.as_bytes()[4] == b'-' => {
            (t.to_string(), rest.to_string())
        }
        _ => (String::new(), s),
    };
    Line {
        key: sort_key(&time),
        time,
        text,
    }
}

/// `2024-01-02T03:04:05.5Z` → `2024-01-02T03:04:05.500000000Z`, so that keys compare as times.
fn sort_key(time: &str) -> String {
    let Some((secs, rest)) = time.split_once('.') else {
        return time.to_string();
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let zone = &rest[digits.len()..];
    format!("{secs}.{digits:0<9}{zone}")
}

/// `docker logs --timestamps [--follow] [--tail N] ID` with both outputs piped.
#[allow(unsafe_code)]
fn spawn_logs(c: &Dyno, num: Option<usize>, follow: bool) -> Result<Child> {
    let mut args = vec!["logs".to_string(), "--timestamps".into()];
    if follow {
        args.push("--follow".into());
    }
    args.extend([
        "--tail".to_string(),
        num.map(|n| n.to_string()).unwrap_or_else(|| "all".into()),
    ]);
    args.push(c.c.id.clone());
    let mut cmd = docker::command(&args);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to end the child with us.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {} logs", docker::bin()))
}

/// Lines as they arrive: (the number of the container in the list, the line).
type Lines = mpsc::Receiver<(usize, Line)>;

/// Sends each line read from `r` as (container number, line) until it ends.
fn pump(
    r: impl Read + Send + 'static,
    n: usize,
    tx: mpsc::Sender<(usize, Line)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send((n, parse_line(&buf))).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// Starts every container's `docker logs`; lines arrive on the receiver.
fn start_all(picked: &[Dyno], num: Option<usize>, follow: bool) -> Result<(Vec<Child>, Lines)> {
    let (tx, rx) = mpsc::channel();
    let mut children = Vec::new();
    for (n, c) in picked.iter().enumerate() {
        let mut child = spawn_logs(c, num, follow)?;
        if let Some(o) = child.stdout.take() {
            pump(o, n, tx.clone());
        }
        if let Some(e) = child.stderr.take() {
            pump(e, n, tx.clone());
        }
        children.push(child);
    }
    Ok((children, rx))
}

/// Writes to stdout; a reader that went away ends the command quietly.
fn write_out(text: &str) {
    let mut o = std::io::stdout().lock();
    if o.write_all(text.as_bytes())
        .and_then(|_| o.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// Prints the last `num` lines of all the containers together, in time order.
fn merged(picked: &[Dyno], num: Option<usize>, style: Style) -> Result<()> {
    let (mut children, rx) = start_all(picked, num, false)?;
    let mut lines: Vec<(usize, Line)> = rx.iter().collect();
    for c in &mut children {
        let _ = c.wait();
    }
    lines.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    let skip = num.map_or(0, |n| lines.len().saturating_sub(n));
    let mut text = String::new();
    for (n, l) in &lines[skip..] {
        text.push_str(&style.line(*n, &picked[*n].dyno(), l));
    }
    write_out(&text);
    Ok(())
}

/// Prints each container's last `num` lines, then new lines as they come, until every
/// container's log ends (or the command is interrupted).
fn follow(picked: &[Dyno], num: Option<usize>, style: Style) -> Result<()> {
    let (mut children, rx) = start_all(picked, num, true)?;
    for (n, l) in rx.iter() {
        write_out(&style.line(n, &picked[n].dyno(), &l));
    }
    for c in &mut children {
        let _ = c.wait();
    }
    Ok(())
}

/// The containers to read: every deployed one, or those of PROCESS[.N].
fn pick(app: &str, process: Option<&str>) -> Result<Vec<Dyno>> {
    let Some(spec) = process else {
        let all = dynos::deployed(app, None)?;
        if all.is_empty() {
            bail!("App {app} has not been deployed");
        }
        return Ok(all);
    };
    let (p, index) = dynos::parse_process(spec)?;
    let found: Vec<Dyno> = dynos::deployed(app, Some(&p))?
        .into_iter()
        .filter(|c| index.is_none_or(|i| c.index == i))
        .collect();
    if found.is_empty() {
        let mut types: Vec<String> = dynos::deployed(app, None)?
            .into_iter()
            .map(|c| c.process)
            .collect();
        types.dedup();
        if types.is_empty() {
            bail!("App {app} has not been deployed");
        }
        bail!(
            "No containers found for process {spec:?}; available types for app {app}: {}",
            types.join(" ")
        );
    }
    Ok(found)
}

/// `true` or `false` of a flag argument.
fn flag(name: &str, v: &str) -> Result<bool> {
    match v {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => bail!("scheduler-logs: {name} must be true or false, not {v:?}"),
    }
}

/// Trigger `scheduler-logs SCHEDULER APP PROCESS_TYPE TAIL PRETTY_PRINT NUM`: prints the last
/// NUM lines (`all`: every line) of the app's deployed containers (of PROCESS_TYPE[.N] when not
/// empty), prefixed with their time and dyno unless PRETTY_PRINT is `true` (Dokku passes the
/// `--quiet` flag there: the text alone); with TAIL `true` follows them.
#[allow(unsafe_code)]
pub fn trigger_logs(argv: &[String]) -> Result<()> {
    let [scheduler, app, process, tail, quiet, num, ..] = argv else {
        bail!("scheduler-logs needs SCHEDULER APP PROCESS_TYPE TAIL PRETTY_PRINT NUM");
    };
    if scheduler != crate::NAME {
        return Ok(());
    }
    dokku_core::appname::verify(app)?;
    let (tail, raw) = (flag("TAIL", tail)?, flag("PRETTY_PRINT", quiet)?);
    let num = match num.as_str() {
        "all" | "" => None,
        n => match n.parse::<usize>() {
            Ok(n) if !num.starts_with('+') => Some(n),
            _ => bail!("Invalid number of lines {num:?}: expected a number or all"),
        },
    };
    let picked = pick(app, Some(process.as_str()).filter(|p| !p.is_empty()))?;
    // Ends with the `logs` command that fired it (interrupted, or killed), so a follow never
    // outlives it; the `docker logs` children end with this process in turn.
    // SAFETY: prctl and getppid have no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        if libc::getppid() == 1 {
            return Ok(());
        }
    }
    let style = Style::new(raw);
    if tail {
        follow(&picked, num, style)
    } else {
        merged(&picked, num, style)
    }
}

/// The file keeping what the containers of the app's last failed deploy printed (written when a
/// deploy fails, removed by the next deploy that succeeds).
fn failed_log_path(app: &str) -> std::path::PathBuf {
    dokku_core::appname::app_dir(app).join("FAILED_DEPLOY_LOG")
}

/// The most lines of one failed container kept.
const FAILED_LINES: &str = "1000";

/// What a container printed (stdout and stderr, at most the last [`FAILED_LINES`] lines), each
/// line as `APP[DYNO]: text`; empty when docker has nothing.
pub fn failed_output(app: &str, dyno: &str, id: &str) -> String {
    let out = docker::command(["logs", "--tail", FAILED_LINES, id])
        .stdin(Stdio::null())
        .output();
    let Ok(o) = out else {
        return String::new();
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    text.lines()
        .map(|l| format!("{app}[{dyno}]: {l}\n"))
        .collect()
}

/// Keeps `text` as the output of the app's last failed deploy (atomically replaced).
pub fn keep_failed(app: &str, text: &str) -> Result<()> {
    plugn::atomic::write(&failed_log_path(app), text.as_bytes(), 0o600)
        .with_context(|| format!("cannot keep the failed deploy's output of {app}"))
}

/// Forgets the last failed deploy's output (after a deploy that succeeded).
pub fn forget_failed(app: &str) -> Result<()> {
    match std::fs::remove_file(failed_log_path(app)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove the failed deploy's output of {app}"))
        }
        _ => Ok(()),
    }
}

/// Trigger `scheduler-logs-failed SCHEDULER APP`: prints what the containers of the app's last
/// failed deploy printed (kept until the next deploy that succeeds); a warning when there is
/// nothing.
pub fn trigger_logs_failed(argv: &[String]) -> Result<()> {
    let Some((app, _)) = dokku_core::contract::for_scheduler(argv, crate::NAME) else {
        return Ok(());
    };
    dokku_core::appname::verify(app)?;
    match std::fs::read_to_string(failed_log_path(app)) {
        Ok(text) => {
            write_out(&text);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            dokku_core::log::warn(&format!("No failed deploy output found for {app}"));
            Ok(())
        }
        Err(e) => {
            Err(e).with_context(|| format!("cannot read the failed deploy's output of {app}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_keys() {
        let l = parse_line(b"2024-01-02T03:04:05.5Z hello world\r\n");
        assert_eq!(l.time, "2024-01-02T03:04:05.5Z");
        assert_eq!(l.text, "hello world");
        assert_eq!(l.key, "2024-01-02T03:04:05.500000000Z");
        assert!(sort_key("2024-01-02T03:04:05.12Z") > sort_key("2024-01-02T03:04:05.1Z"));
        let bare = parse_line(b"no time\n");
        assert_eq!(bare.text, "no time");
    }
}
