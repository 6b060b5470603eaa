//! The domains plugin: the names the proxy serves an app under, as Dokku's. An app's domains
//! are in `$DOKKU_ROOT/APP/VHOST`, the global ones in `$DOKKU_ROOT/VHOST` (a new app gets
//! `APP.GLOBAL` for each); `domains:disable` keeps them but stops serving them. Commands
//! `domains:add|remove|set|clear|reset|enable|disable|add-global|remove-global|set-global|
//! clear-global|report`, and Dokku's `dokku url|urls APP`; triggers `domains-list APP` and
//! `domains-vhost-enabled APP` (read by the proxy), `domains-add`, `domains-enable`,
//! `domains-disable`, `domains-setup`, `domains-urls`, `post-create`, `post-app-rename`,
//! `post-app-clone-setup`. Changes fire `post-domains-update APP ACTION DOMAIN…` and
//! `proxy-build-config`; enabling and disabling fire `pre-enable-vhost` / `pre-disable-vhost`
//! first; a default domain asks `nginx-hostname APP SUBDOMAIN GLOBAL`.

mod app;
mod global;
mod report;
mod store;
mod triggers;
mod urls;

use dokku_core::plugin::{Command, Plugin, Trigger};

static PLUGIN: Plugin = Plugin {
    prefix: "domains",
    summary: "Manage domains used by the proxy",
    commands: &[
        Command {
            name: "add",
            usage: "<app> <domain> [<domain> ...]",
            help: "Add domains to app",
            run: app::add,
        },
        Command {
            name: "add-global",
            usage: "<domain> [<domain> ...]",
            help: "Add global domain names",
            run: global::add,
        },
        Command {
            name: "clear",
            usage: "<app>",
            help: "Clear all domains for app (back to the default ones)",
            run: app::clear,
        },
        Command {
            name: "clear-global",
            usage: "",
            help: "Clear global domain names",
            run: global::clear,
        },
        Command {
            name: "disable",
            usage: "<app>",
            help: "Disable VHOST support",
            run: app::disable,
        },
        Command {
            name: "enable",
            usage: "<app>",
            help: "Enable VHOST support",
            run: app::enable,
        },
        Command {
            name: "remove",
            usage: "<app> <domain> [<domain> ...]",
            help: "Remove domains from app",
            run: app::remove,
        },
        Command {
            name: "remove-global",
            usage: "<domain> [<domain> ...]",
            help: "Remove global domain names",
            run: global::remove,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a domains report for one or more apps",
            run: report::command,
        },
        Command {
            name: "reset",
            usage: "<app>",
            help: "Reset app domains to global-configured domains",
            run: app::reset,
        },
        Command {
            name: "set",
            usage: "<app> <domain> [<domain> ...]",
            help: "Set domains for app",
            run: app::set,
        },
        Command {
            name: "set-global",
            usage: "<domain> [<domain> ...]",
            help: "Set global domain names",
            run: global::set,
        },
    ],
    bare_commands: &[
        Command {
            name: "url",
            usage: "<app>",
            help: "Show the first URL for an application",
            run: urls::url_command,
        },
        Command {
            name: "urls",
            usage: "<app>",
            help: "Show all URLs for an application",
            run: urls::urls_command,
        },
    ],
    triggers: &[
        Trigger {
            name: "domains-list",
            run: triggers::list,
        },
        Trigger {
            name: "domains-vhost-enabled",
            run: triggers::vhost_enabled,
        },
        Trigger {
            name: "domains-add",
            run: app::trigger_add,
        },
        Trigger {
            name: "domains-enable",
            run: triggers::domains_enable,
        },
        Trigger {
            name: "domains-disable",
            run: triggers::domains_disable,
        },
        Trigger {
            name: "domains-setup",
            run: triggers::domains_setup,
        },
        Trigger {
            name: "domains-urls",
            run: urls::trigger_domains_urls,
        },
        Trigger {
            name: "post-create",
            run: triggers::post_create,
        },
        Trigger {
            name: "post-app-rename",
            run: triggers::post_app_rename,
        },
        Trigger {
            name: "post-app-clone-setup",
            run: triggers::post_app_clone_setup,
        },
    ],
};

fn main() {
    PLUGIN.main()
}
