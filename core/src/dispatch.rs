//! Resolving `dokku COMMAND args` to a plugin executable: `PLUGIN:SUB` to
//! `subcommands/SUB`, `PLUGIN` to `subcommands/default`, otherwise each enabled plugin's
//! `commands` file in turn (exit 10 means "not mine"). Knows nothing about apps or docker.

use crate::plugin::NOT_IMPLEMENTED_EXIT;
use anyhow::{Context, Result};
use plugn::discovery::{self, Executable};
use plugn::Paths;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a command was resolved.
pub enum Target {
    /// An executable of the plugin in the folder, to replace this process with, and its
    /// arguments.
    Exec {
        /// The plugin's folder.
        plugin_dir: PathBuf,
        /// The executable.
        exe: PathBuf,
        /// Its arguments (the command first, as Dokku passes it).
        argv: Vec<String>,
    },
    /// Ask every plugin's `commands` file in turn.
    AskCommands,
}

fn runnable(p: &Path) -> bool {
    matches!(discovery::executable(p), Executable::Runnable)
}

/// The enabled folder of plugin `name`: `enabled/NAME`, or one whose name is NAME behind a
/// numeric order prefix (`20_events` for `events`).
pub fn plugin_dir(paths: &Paths, name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    let direct = paths.enabled().join(name);
    if direct.is_dir() {
        return Some(direct);
    }
    discovery::enabled(paths)
        .ok()?
        .into_iter()
        .find(|p| strip_order_prefix(&p.name) == name)
        .map(|p| p.dir)
}

/// `20_events` → `events`; other names unchanged.
pub fn strip_order_prefix(name: &str) -> &str {
    match name.split_once('_') {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => name,
    }
}

/// Resolves `cmd` (with its arguments `rest`) to a target.
pub fn resolve(paths: &Paths, cmd: &str, rest: &[String]) -> Target {
    let mut argv = vec![cmd.to_string()];
    argv.extend_from_slice(rest);
    let (plugin, sub) = match cmd.split_once(':') {
        Some((p, s)) => (p, s),
        None => (cmd, "default"),
    };
    if sub.is_empty() || sub.contains('/') || sub.starts_with('.') {
        return Target::AskCommands;
    }
    if let Some(dir) = plugin_dir(paths, plugin) {
        if sub == "help" {
            let c = dir.join("commands");
            if runnable(&c) {
                return Target::Exec {
                    plugin_dir: dir,
                    exe: c,
                    argv,
                };
            }
        }
        let exe = dir.join("subcommands").join(sub);
        if runnable(&exe) {
            return Target::Exec {
                plugin_dir: dir,
                exe,
                argv,
            };
        }
    }
    Target::AskCommands
}

/// Replaces this process with `exe args` (stdin, terminal, signals and exit code pass through),
/// with the plugin's `[plugin.config]` exported as `CONFIG_*` as for its triggers.
pub fn exec(plugin_dir: &Path, exe: &Path, args: &[String]) -> anyhow::Error {
    if plugn::trigger::tracing() {
        eprintln!(
            "+ {} {}",
            exe.display(),
            plugn::events::redacted(args).join(" ")
        );
    }
    let name = plugin_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let loaded = plugn::manifest::load(plugin_dir).and_then(|m| {
        let config = plugn::plugin_config::env(&crate::paths().plugin_path, &name, &m)?;
        Ok((config, m.plugin.private_args))
    });
    let (config, private) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            crate::log::warn(&format!("{e:#}"));
            (Vec::new(), false)
        }
    };
    let mut c = Command::new(exe);
    c.envs(config);
    match args.split_first() {
        Some((cmd, rest)) if private && !rest.is_empty() => {
            let fd = match crate::privargs::hand_over(rest) {
                Ok(fd) => fd,
                Err(e) => return e,
            };
            c.arg(cmd).env(crate::privargs::ENV_VAR, fd.to_string());
        }
        _ => {
            c.args(args);
        }
    }
    let err = c.exec();
    anyhow::Error::new(err).context(format!("cannot run {}", exe.display()))
}

/// The folder in which a plugin names what its `commands` file answers (core Rust plugins
/// lay it out from their command table: `answers/help`, `answers/PREFIX` for `PREFIX` and
/// `PREFIX:…`, `answers/NAME` for a bare command such as `git-receive-pack`).
pub const ANSWERS_DIR: &str = "answers";

/// Whether plugin folder `dir` may answer `cmd` through its `commands` file: always, unless
/// it has an `answers/` folder that names neither `cmd` nor its `PREFIX:`. A push asks one
/// plugin, not every core plugin in turn (~12 ms each).
fn may_answer(dir: &Path, cmd: &str) -> bool {
    let answers = dir.join(ANSWERS_DIR);
    if !answers.is_dir() {
        return true;
    }
    let named = |n: &str| {
        !n.is_empty() && !n.contains('/') && !n.starts_with('.') && answers.join(n).exists()
    };
    named(cmd) || cmd.split_once(':').is_some_and(|(prefix, _)| named(prefix))
}

/// Asks each enabled plugin's `commands` file that may answer (`may_answer`), in order;
/// `None` when none took the command.
pub fn ask_commands(paths: &Paths, argv: &[String]) -> Result<Option<i32>> {
    let cmd = argv.first().map(String::as_str).unwrap_or("");
    for p in discovery::enabled(paths)? {
        let c = p.dir.join("commands");
        if !runnable(&c) || !may_answer(&p.dir, cmd) {
            continue;
        }
        if plugn::trigger::tracing() {
            eprintln!(
                "+ {} {}",
                c.display(),
                plugn::events::redacted(argv).join(" ")
            );
        }
        let status = Command::new(&c)
            .args(argv)
            .status()
            .with_context(|| format!("cannot run {}", c.display()))?;
        let code = plugn::trigger::exit_code(status);
        if code != NOT_IMPLEMENTED_EXIT {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

/// Every command the enabled plugins offer as subcommands (`apps:create`, `config`, …).
pub fn known_commands(paths: &Paths) -> Vec<String> {
    let mut out = Vec::new();
    for p in discovery::enabled(paths).unwrap_or_default() {
        let prefix = strip_order_prefix(&p.name).to_string();
        for s in discovery::subcommands(&p.dir) {
            if s == "default" {
                out.push(prefix.clone());
            } else {
                out.push(format!("{prefix}:{s}"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Levenshtein distance between two strings (by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known commands closest to `cmd`, best first (at most five).
pub fn suggestions(cmd: &str, known: &[String]) -> Vec<String> {
    let limit = (cmd.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &String)> = known
        .iter()
        .map(|k| (distance(cmd, k), k))
        .filter(|(d, k)| *d <= limit || (cmd.len() >= 3 && k.starts_with(cmd)))
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, k)| k.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggest() {
        let known: Vec<String> = ["apps:create", "apps:destroy", "config:set", "config"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(suggestions("apps:craete", &known)[0], "apps:create");
        assert_eq!(suggestions("config:st", &known)[0], "config:set");
        assert!(suggestions("zzzzzzzzzz", &known).is_empty());
        assert_eq!(strip_order_prefix("20_events"), "events");
        assert_eq!(strip_order_prefix("my_plugin"), "my_plugin");
    }

    #[test]
    fn answers() {
        let d = tempfile::tempdir().unwrap();
        assert!(may_answer(d.path(), "anything"));
        std::fs::create_dir(d.path().join(ANSWERS_DIR)).unwrap();
        for n in ["help", "git", "git-hook"] {
            std::fs::write(d.path().join(ANSWERS_DIR).join(n), "").unwrap();
        }
        for yes in ["help", "git", "git:nope", "git-hook"] {
            assert!(may_answer(d.path(), yes), "{yes}");
        }
        for no in ["apps", "apps:list", "git-receive-pack", "", ":x", "../git"] {
            assert!(!may_answer(d.path(), no), "{no}");
        }
    }
}
