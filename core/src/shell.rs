//! `dokku shell`: an interactive dokku prompt, as Dokku's shell plugin offers. Each line is
//! split into words without a shell (as an ssh command is) and run as `dokku WORDS…` (a
//! leading `dokku` is dropped); `exit`, `quit` or end of input leave. On a terminal the line
//! editor gives history (kept in `~/.dokku_history`) and TAB completion of command and app
//! names. The words reach the command through an inherited in-memory file, never a command
//! line; in a shell opened over ssh each line goes through `user-auth` as an ssh command does.

use crate::lineedit::{self, Completer};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

/// Set for the commands a shell opened over ssh runs: they are authorized as ssh commands.
pub const OVER_SSH_ENV: &str = "DOKKU_SHELL_OVER_SSH";

/// The most lines the history file keeps.
const HISTORY_MAX: usize = 1000;

/// The history file: `~/.dokku_history`, or `$DOKKU_ROOT/.dokku_history` without a home.
pub fn history_file() -> PathBuf {
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".dokku_history"),
        None => crate::paths().dokku_root.join(".dokku_history"),
    }
}

fn load_history() -> Vec<String> {
    std::fs::read_to_string(history_file())
        .map(|t| {
            t.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn save_history(history: &[String]) {
    let start = history.len().saturating_sub(HISTORY_MAX);
    let mut text = history[start..].join("\n");
    text.push('\n');
    if let Err(e) = plugn::atomic::write(&history_file(), text.as_bytes(), 0o600) {
        crate::log::warn(&format!("cannot keep the shell history: {e:#}"));
    }
}

/// Candidates for TAB: command names for the first word, app names after it.
struct Names {
    commands: Option<Vec<String>>,
}

impl Completer for Names {
    fn candidates(&mut self, _word: &str, first: bool) -> Vec<String> {
        if !first {
            return crate::appname::all().unwrap_or_default();
        }
        self.commands
            .get_or_insert_with(|| {
                let mut v = crate::dispatch::known_commands(crate::paths());
                v.extend(crate::builtin::BUILTINS.iter().map(|b| b.name.to_string()));
                v.extend(
                    ["help", "version", "report", "exit", "quit"]
                        .iter()
                        .map(|s| s.to_string()),
                );
                v.sort();
                v.dedup();
                v
            })
            .clone()
    }
}

/// Does nothing: SIGINT interrupts the command running in the foreground, not the shell (a
/// handler, unlike an ignored signal, is reset in the commands it starts).
extern "C" fn on_interrupt(_: libc::c_int) {}

#[allow(unsafe_code)]
fn keep_running_on_interrupt() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let act = SigAction::new(
        SigHandler::Handler(on_interrupt),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler does nothing, which is async-signal-safe.
    let _ = unsafe { sigaction(Signal::SIGINT, &act) };
}

/// Runs `dokku WORDS…` as a child, its words handed over privately; its exit code.
fn run_line(words: &[String], over_ssh: bool) -> Result<i32> {
    let exe = std::env::current_exe().context("cannot find the dokku binary")?;
    let fd = crate::privargs::hand_over(words)?;
    let mut c = std::process::Command::new(exe);
    c.env(crate::privargs::ENV_VAR, fd.to_string());
    for v in [
        "DOKKU_PID",
        "DOKKU_COMMAND",
        "DOKKU_APP_NAME",
        "DOKKU_GLOBAL_FLAGS",
    ] {
        c.env_remove(v);
    }
    if over_ssh {
        c.env(OVER_SSH_ENV, "1");
    }
    let status = c.status();
    let _ = nix::unistd::close(fd);
    let status = status.context("cannot run dokku")?;
    Ok(plugn::trigger::exit_code(status))
}

/// `dokku shell`.
pub fn command(args: &[String]) -> Result<i32> {
    crate::builtin::check_args("shell", args, 0)?;
    if std::env::var_os(OVER_SSH_ENV).is_some() || std::env::var_os("DOKKU_IN_SHELL").is_some() {
        anyhow::bail!("already in a dokku shell");
    }
    std::env::set_var("DOKKU_IN_SHELL", "1");
    let over_ssh = std::env::var_os("SSH_ORIGINAL_COMMAND").is_some();
    let interactive = lineedit::is_terminal();
    keep_running_on_interrupt();
    let mut history = if interactive {
        load_history()
    } else {
        Vec::new()
    };
    let mut names = Names { commands: None };
    loop {
        let line = if interactive {
            match lineedit::read_line("dokku> ", &history, &mut names)? {
                Some(l) => l,
                None => break,
            }
        } else {
            match lineedit::read_plain_line() {
                Some(l) => l,
                None => break,
            }
        };
        let line = line.trim();
        let line = line.strip_prefix("dokku ").map(str::trim).unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if interactive && history.last().map(String::as_str) != Some(line) {
            history.push(line.to_string());
            save_history(&history);
        }
        if line == "exit" || line == "quit" {
            break;
        }
        let words = match crate::sshcommand::parse(line) {
            Ok(w) if !w.is_empty() => w,
            Ok(_) => continue,
            Err(e) => {
                crate::log::error(&format!("{e:#}"));
                continue;
            }
        };
        if words[0] == "shell" {
            crate::log::error("already in a dokku shell");
            continue;
        }
        run_line(&words, over_ssh)?;
        let _ = std::io::stdout().flush();
    }
    Ok(0)
}
