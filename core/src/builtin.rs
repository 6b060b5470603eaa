//! The commands the core answers itself, as Dokku's `00_dokku-standard`, `trace` and `shell`
//! plugins do: `cleanup`, `deploy`, `trace:on`, `trace:off` and `shell`. Each is listed in
//! `dokku help` and answers `CMD --help` with its usage.

use anyhow::Result;

/// A command of the core.
pub struct Builtin {
    /// The command name (`trace:on`).
    pub name: &'static str,
    /// Its arguments, as help shows them.
    pub usage: &'static str,
    /// What it does, one line.
    pub help: &'static str,
    /// The code; receives the arguments after the command name and answers the exit code.
    pub run: fn(&[String]) -> Result<i32>,
}

/// Every command of the core.
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "cleanup",
        usage: "[<app>]",
        help: "Cleans up exited/dead Docker containers and removes dangling images of dokku apps",
        run: crate::cleanup::command,
    },
    Builtin {
        name: "deploy",
        usage: "<app> [<tag>]",
        help: "Deploys the app's existing image (dokku/<app>:<tag>, default latest)",
        run: crate::deploy::command,
    },
    Builtin {
        name: "shell",
        usage: "",
        help: "Spawns a dokku shell: each line runs as a dokku command",
        run: crate::shell::command,
    },
    Builtin {
        name: "trace:off",
        usage: "",
        help: "Disables trace mode",
        run: crate::trace::off,
    },
    Builtin {
        name: "trace:on",
        usage: "",
        help: "Enables trace mode",
        run: crate::trace::on,
    },
];

/// The core's command named `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

impl Builtin {
    fn head(&self) -> String {
        if self.usage.is_empty() {
            self.name.to_string()
        } else {
            format!("{} {}", self.name, self.usage)
        }
    }

    /// What `CMD --help` prints.
    pub fn usage_text(&self) -> String {
        format!("Usage: dokku {}\n\n{}\n", self.head(), self.help)
    }
}

/// The help lines (`    NAME ARGS, WHAT IT DOES`) of the core's commands.
pub fn help_lines() -> Vec<String> {
    BUILTINS
        .iter()
        .map(|b| format!("    {}, {}", b.head(), b.help))
        .collect()
}

/// Whether `args` (those after the command) ask for the command's usage.
pub fn wants_help(args: &[String]) -> bool {
    matches!(args.first().map(String::as_str), Some("--help" | "-h"))
}

/// Refuses arguments past `max` positionals, and any flag, with the command's usage.
pub fn check_args(b: &str, args: &[String], max: usize) -> Result<()> {
    let usage = find(b).map(|b| b.head()).unwrap_or_default();
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        anyhow::bail!("unknown flag {flag}; usage: dokku {usage}");
    }
    if args.len() > max {
        anyhow::bail!("unexpected argument {:?}; usage: dokku {usage}", args[max]);
    }
    Ok(())
}
