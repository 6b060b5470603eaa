//! The config plugin: an app's (or the global) environment variables, kept in Dokku's `ENV`
//! files. Commands `config`, `config:show|get|set|unset|keys|clear|export|bundle|import`;
//! triggers `config-get`, `config-get-global` and `config-export`, which other plugins ask, and
//! `config-migrate-env`, which plugins fire before reading retired config vars.

mod base64;
mod bundle;
mod commands;
mod format;
mod import;
mod store;
mod triggers;

use anyhow::{bail, Context, Result};
use dokku_core::args::{self, Args};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{envfile, log, Exit};
use format::Format;
use std::io::Write;
use store::{Scope, Vars};

static PLUGIN: Plugin = Plugin {
    prefix: "config",
    summary: "Manage global and app-specific config vars",
    commands: &[
        Command {
            name: "default",
            usage: "(<app>|--global) [--merged]",
            help: "Pretty-print an app or global environment",
            run: commands::show,
        },
        Command {
            name: "bundle",
            usage: "(<app>|--global) [--merged]",
            help: "Bundle environment into tarfile",
            run: commands::bundle_cmd,
        },
        Command {
            name: "clear",
            usage: "[--no-restart] (<app>|--global)",
            help: "Clears environment variables",
            run: commands::clear,
        },
        Command {
            name: "export",
            usage: "(<app>|--global) [--merged] [--format FORMAT]",
            help: "Export a global or app environment",
            run: commands::export,
        },
        Command {
            name: "get",
            usage: "(<app>|--global) [--merged] [--quoted] KEY",
            help: "Display a global or app-specific config value",
            run: commands::get,
        },
        Command {
            name: "import",
            usage: "[--no-restart] [--replace] [--format envfile|shell|json] (<app>|--global) [<file>|-]",
            help: "Import config vars from a file or stdin",
            run: commands::import_cmd,
        },
        Command {
            name: "keys",
            usage: "(<app>|--global) [--merged]",
            help: "Show keys set in environment",
            run: commands::keys,
        },
        Command {
            name: "set",
            usage: "[--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
            help: "Set one or more config vars",
            run: commands::set,
        },
        Command {
            name: "show",
            usage: "(<app>|--global) [--merged]",
            help: "Pretty-print an app or global environment",
            run: commands::show,
        },
        Command {
            name: "unset",
            usage: "[--no-restart] (<app>|--global) KEY1 [KEY2 ...]",
            help: "Unset one or more config vars",
            run: commands::unset,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("config-export", triggers::trigger_export),
        Trigger::new("config-get", triggers::trigger_get),
        Trigger::new("config-get-global", triggers::trigger_get_global),
        Trigger::new("config-migrate-env", triggers::trigger_migrate_env),
        Trigger::new("install", triggers::trigger_migrate_env),
        Trigger::new("post-app-clone-setup", triggers::trigger_clone),
        Trigger::new("post-app-rename-setup", triggers::trigger_rename),
        Trigger::new("post-delete", triggers::trigger_delete),
    ],
};

fn main() {
    PLUGIN.main()
}
