//! The plugin plugin: `plugin:list`, `plugin:install` (from a git repository, a tarball or a
//! folder), `plugin:enable`, `plugin:disable`, `plugin:update`, `plugin:uninstall`,
//! `plugin:installed`, `plugin:install-dependencies` and `plugin:trigger`. The work itself is
//! plugn's (`plugn::manage`, `plugn::trigger`); this plugin adds Dokku's command line, its
//! output, and the plugins' own `install`, `dependencies`, `update` and `uninstall` triggers.

mod commands;

use anyhow::{anyhow, bail, Result};
use dokku_core::dispatch::strip_order_prefix;
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin};
use dokku_core::report::Format;
use dokku_core::{args, log, paths, Exit};
use plugn::discovery;
use plugn::manage::{self, SourceKind};
use plugn::manifest::validate_plugin_name;
use plugn::trigger::{self, Input, Output};
use std::path::Path;

const INSTALL_USAGE: &str = "dokku plugin:install [--core|<git-url|tarball|folder>] [--committish branch|commit|tag] [--name custom-plugin-name] [--skip-install-trigger]";

static PLUGIN: Plugin = Plugin {
    prefix: "plugin",
    summary: "Manage installed plugins",
    commands: &[
        Command {
            name: "disable",
            usage: "<name>",
            help: "Disable an installed plugin",
            run: commands::disable,
        },
        Command {
            name: "enable",
            usage: "<name>",
            help: "Enable a previously disabled plugin",
            run: commands::enable,
        },
        Command {
            name: "install",
            usage: "[--core|<git-url|tarball|folder>] [--committish <ref>] [--name <name>]",
            help: "Optionally install a plugin (pinned to a branch/commit/tag) & run its install triggers, or those of active plugins (or only core ones)",
            run: commands::install,
        },
        Command {
            name: "install-dependencies",
            usage: "[--core]",
            help: "Run dependencies trigger for active plugins (or only core ones)",
            run: commands::install_dependencies,
        },
        Command {
            name: "installed",
            usage: "<name>",
            help: "Checks if a plugin is installed",
            run: commands::installed,
        },
        Command {
            name: "list",
            usage: "[--format stdout|json]",
            help: "Print installed plugins",
            run: commands::list,
        },
        Command {
            name: "trigger",
            usage: "<trigger> [<args...>]",
            help: "Trigger an arbitrary plugin hook",
            run: commands::fire_trigger,
        },
        Command {
            name: "uninstall",
            usage: "<name>",
            help: "Uninstall a plugin (third-party only)",
            run: commands::uninstall,
        },
        Command {
            name: "update",
            usage: "[name [branch|commit|tag]]",
            help: "Optionally update named plugin from git (and pin to the specified branch/commit/tag) & run update trigger for active plugins",
            run: commands::update,
        },
    ],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}
