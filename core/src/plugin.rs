//! The multi-call runtime of a Rust core plugin. One binary per plugin; the installer links
//! `commands`, `subcommands/NAME` and every trigger name to it, and the binary looks at the
//! name it was started by. Started as itself with `--layout`, it prints those names.

use anyhow::Result;
use std::path::Path;
use std::sync::OnceLock;

/// The exit code by which a `commands` file says "not mine, ask the next plugin".
pub const NOT_IMPLEMENTED_EXIT: i32 = 10;

/// A subcommand: `dokku PREFIX:NAME` (or `dokku PREFIX` for `default`).
pub struct Command {
    /// The subcommand name (`default` for the bare plugin command).
    pub name: &'static str,
    /// Its arguments, as help shows them.
    pub usage: &'static str,
    /// What it does, one line.
    pub help: &'static str,
    /// The code; receives the arguments after the command name.
    pub run: fn(&[String]) -> Result<()>,
}

/// A trigger this plugin answers.
pub struct Trigger {
    /// The trigger name.
    pub name: &'static str,
    /// The code; receives the trigger's arguments.
    pub run: fn(&[String]) -> Result<()>,
}

impl Trigger {
    /// The table entry of trigger `name`, answered by `run`.
    pub const fn new(name: &'static str, run: fn(&[String]) -> Result<()>) -> Trigger {
        Trigger { name, run }
    }
}

/// The usage line of the command this process runs, set from the command table.
static USAGE: OnceLock<String> = OnceLock::new();

/// The usage line of the running command, `dokku PREFIX:NAME USAGE`, as the command table
/// gives it (so an error's "usage: …" and the help say the same thing); empty outside a
/// command.
pub fn usage() -> &'static str {
    USAGE.get().map(String::as_str).unwrap_or("")
}

/// A Rust core plugin.
pub struct Plugin {
    /// The command prefix (`config` for `config:set`).
    pub prefix: &'static str,
    /// One line for `dokku help`.
    pub summary: &'static str,
    /// Its subcommands.
    pub commands: &'static [Command],
    /// Commands answered by their bare name through `commands` (e.g. `git-receive-pack`, which
    /// the ssh forced command runs); not listed in help.
    pub bare_commands: &'static [Command],
    /// Its triggers.
    pub triggers: &'static [Trigger],
}

impl Plugin {
    fn command_name(&self, c: &Command) -> String {
        if c.name == "default" {
            self.prefix.to_string()
        } else {
            format!("{}:{}", self.prefix, c.name)
        }
    }

    /// The help lines (`    NAME USAGE, HELP`) of every subcommand.
    fn help_lines(&self) -> String {
        let mut s = String::new();
        for c in self.commands {
            let head = if c.usage.is_empty() {
                self.command_name(c)
            } else {
                format!("{} {}", self.command_name(c), c.usage)
            };
            s.push_str(&format!("    {head}, {}\n", c.help));
        }
        s
    }

    fn full_help(&self) -> String {
        format!(
            "Usage: dokku {}[:COMMAND]\n\n{}\n\nAdditional commands:{}",
            self.prefix,
            self.summary,
            crate::help::align(&format!("\n{}", self.help_lines()))
        )
    }

    /// What the installer links to the binary: `commands`, `subcommands/NAME`, trigger names.
    fn layout(&self) -> String {
        let mut s = String::from("commands\n");
        for c in self.commands {
            s.push_str(&format!("subcommands/{}\n", c.name));
        }
        for t in self.triggers {
            s.push_str(&format!("{}\n", t.name));
        }
        if self.answers_report() {
            s.push_str("report\n");
        }
        // What `commands` answers, so that dokku asks it only for these (dispatch::may_answer).
        s.push_str(&format!("answers/help\nanswers/{}\n", self.prefix));
        for c in self.bare_commands {
            s.push_str(&format!("answers/{}\n", c.name));
        }
        s
    }

    /// A plugin with a `PLUGIN:report` command answers Dokku's `report APP` trigger (fired by
    /// `dokku report`) with it, unless it answers `report` itself.
    fn answers_report(&self) -> bool {
        self.commands.iter().any(|c| c.name == "report")
            && !self.triggers.iter().any(|t| t.name == "report")
    }

    fn run_command(&self, c: &Command, args: &[String]) -> Result<()> {
        let _ = USAGE.set(self.usage_line(c));
        // Dokku passes the command itself as the first argument.
        let full = self.command_name(c);
        let rest = match args.first() {
            Some(a) if *a == full || (c.name == "default" && *a == self.prefix) => &args[1..],
            _ => args,
        };
        if rest.first().is_some_and(|a| a == "--help" || a == "-h") {
            // `dokku PLUGIN --help` is the plugin's help, as in Dokku; `PLUGIN:CMD --help` the
            // command's usage.
            if c.name == "default" {
                print!("{}", self.full_help());
            } else {
                print!("{}", self.usage(c));
            }
            return Ok(());
        }
        match (c.run)(rest) {
            Err(e) if e.downcast_ref::<crate::args::HelpRequested>().is_some() => {
                print!("{}", self.usage(c));
                Ok(())
            }
            other => other,
        }
    }

    /// What `CMD --help` prints: `Usage: dokku CMD ARGS` and what the command does.
    fn usage(&self, c: &Command) -> String {
        format!("Usage: {}\n\n{}\n", self.usage_line(c), c.help)
    }

    /// `dokku NAME USAGE` of a command.
    fn usage_line(&self, c: &Command) -> String {
        let name = self.command_name(c);
        if c.usage.is_empty() {
            format!("dokku {name}")
        } else {
            format!("dokku {name} {}", c.usage)
        }
    }

    /// Dispatches on the name the binary was started by; returns the exit code.
    pub fn dispatch(&self, argv0: &str, args: &[String]) -> Result<i32> {
        crate::report::set_type(self.prefix);
        let path = Path::new(argv0);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if parent == "subcommands" {
            if let Some(c) = self.commands.iter().find(|c| c.name == name) {
                self.run_command(c, args)?;
                return Ok(0);
            }
            // A `subcommands/default` left by an older install of a plugin whose bare command
            // is now its help.
            if name == "default" {
                print!("{}", self.full_help());
                return Ok(0);
            }
        } else if name == "commands" {
            let first = args.first().map(String::as_str).unwrap_or("");
            if first == "help" {
                if args.iter().any(|a| a == "--all") {
                    print!("{}", self.help_lines());
                } else {
                    println!("    {}, {}", self.prefix, self.summary);
                }
                return Ok(0);
            }
            // `PLUGIN:help`, `PLUGIN --help|-h`, and the bare `PLUGIN` of a plugin without a
            // bare command of its own: the plugin's help, as Dokku prints it.
            let bare_help = first == self.prefix
                && (args.get(1).is_some_and(|a| a == "--help" || a == "-h")
                    || !self.commands.iter().any(|c| c.name == "default"));
            if first == format!("{}:help", self.prefix) || bare_help {
                print!("{}", self.full_help());
                return Ok(0);
            }
            if let Some(c) = self.commands.iter().find(|c| self.command_name(c) == first) {
                self.run_command(c, args)?;
                return Ok(0);
            }
            if let Some(c) = self.bare_commands.iter().find(|c| c.name == first) {
                (c.run)(&args[1..])?;
                return Ok(0);
            }
            return Ok(NOT_IMPLEMENTED_EXIT);
        } else if let Some(t) = self.triggers.iter().find(|t| t.name == name) {
            (t.run)(args)?;
            return Ok(0);
        } else if name == "report" && self.answers_report() {
            if let Some(c) = self.commands.iter().find(|c| c.name == "report") {
                let _ = USAGE.set(self.usage_line(c));
                (c.run)(args)?;
                return Ok(0);
            }
        } else if args.first().map(String::as_str) == Some("--layout") {
            print!("{}", self.layout());
            return Ok(0);
        }
        crate::log::error(&format!(
            "{}: started as {argv0:?}, which is neither a subcommand, a trigger nor `commands`",
            self.prefix
        ));
        Ok(1)
    }

    /// The `main` of a plugin binary: dispatch, print errors in Dokku's style, exit.
    pub fn main(&self) -> ! {
        crate::signals::quiet_broken_pipe();
        let mut argv = Vec::new();
        for (i, a) in std::env::args_os().enumerate() {
            match a.into_string() {
                Ok(a) => argv.push(a),
                Err(a) => {
                    crate::log::error(&format!(
                        "argument {i} ({}) is not valid UTF-8",
                        a.to_string_lossy()
                    ));
                    std::process::exit(1)
                }
            }
        }
        match crate::privargs::take() {
            Ok(Some(private)) => argv.extend(private),
            Ok(None) => {}
            Err(e) => {
                crate::log::error(&format!("{e:#}"));
                std::process::exit(1)
            }
        }
        let mut argv = argv.into_iter();
        let argv0 = argv.next().unwrap_or_default();
        let args: Vec<String> = argv.collect();
        crate::buildrec::set_source(&self.source_name(&argv0, &args));
        let code = match self.dispatch(&argv0, &args) {
            Ok(c) => c,
            Err(e) => match crate::exit_code(&e) {
                Some(c) => c,
                // The reader went away (`| head`): not the command's failure.
                None if crate::signals::is_broken_pipe(&e) => 0,
                None => {
                    crate::log::error(&format!("{e:#}"));
                    1
                }
            },
        };
        let _ = std::io::Write::flush(&mut std::io::stdout());
        crate::buildrec::finish(code);
        std::process::exit(code)
    }
}

impl Plugin {
    /// The name a deploy started by this process is recorded under: the command
    /// (`ps:rebuild`, `git-hook`) for `commands` and subcommands, else the trigger name.
    fn source_name(&self, argv0: &str, args: &[String]) -> String {
        let path = Path::new(argv0);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        match (parent, name) {
            (_, "commands") => args.first().cloned().unwrap_or_default(),
            ("subcommands", "default") => self.prefix.to_string(),
            ("subcommands", n) => format!("{}:{n}", self.prefix),
            (_, n) => n.to_string(),
        }
    }
}
