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
        Trigger::new("domains-list", triggers::list),
        Trigger::new("domains-vhost-enabled", triggers::vhost_enabled),
        Trigger::new("domains-add", app::trigger_add),
        Trigger::new("domains-enable", triggers::domains_enable),
        Trigger::new("domains-disable", triggers::domains_disable),
        Trigger::new("domains-setup", triggers::domains_setup),
        Trigger::new("domains-urls", urls::trigger_domains_urls),
        Trigger::new("post-create", triggers::post_create),
        Trigger::new("post-app-rename", triggers::post_app_rename),
        Trigger::new("post-app-clone-setup", triggers::post_app_clone_setup),
    ],
};

fn main() {
    PLUGIN.main()
}
