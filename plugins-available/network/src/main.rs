//! The network plugin: Docker networks for apps. Commands `network:create|destroy|exists|
//! info|list` manage the networks dokku made (labelled `dokku`); `network:set APP KEY [VALUE]`
//! chooses an app's networks: `initial-network` (the `--network` its deploy and run containers
//! start on, through `docker-args-deploy` / `docker-args-run`), `attach-post-create` (networks
//! its deploy and run containers are connected to when created, before they start, on
//! `post-container-create`), `attach-post-deploy` (networks its deploy containers are
//! connected to once the deploy succeeded, on `post-deploy`, before the proxy switches), `tld`,
//! `bind-all-interfaces`. Attached deploy containers answer at `APP.PROC` and `APP.PROC.N`
//! (with `.TLD` when set). `network:rebuild[all]` re-attaches running containers;
//! `network:report` shows the settings. It also keeps where each container answers
//! (`IP.TYPE.N`, `PORT.TYPE.N`: `network-write-*`, `network-get-*`, `network-config-exists`,
//! `network-clear-config`, `network-clear-listeners`).

mod commands;
mod config;
mod net;
mod report;
mod triggers;

use anyhow::{bail, Context, Result};
use dokku_core::docker::dockerargs;
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{Format, Report};
use dokku_core::{appname, args, docker, log, property};

static PLUGIN: Plugin = Plugin {
    prefix: "network",
    summary: "Manage network settings for an app",
    commands: &[
        Command {
            name: "create",
            usage: "<network>",
            help: "Creates an attachable docker network",
            run: commands::create,
        },
        Command {
            name: "destroy",
            usage: "[--force] <network>",
            help: "Destroys a docker network",
            run: commands::destroy,
        },
        Command {
            name: "exists",
            usage: "<network>",
            help: "Checks if a docker network exists",
            run: commands::exists,
        },
        Command {
            name: "info",
            usage: "<network> [--format text|json]",
            help: "Outputs information about a docker network",
            run: commands::info,
        },
        Command {
            name: "list",
            usage: "[--format text|json] [--dokku-managed]",
            help: "Lists all docker networks",
            run: commands::list,
        },
        Command {
            name: "rebuild",
            usage: "<app>",
            help: "Rebuilds network settings for an app",
            run: commands::rebuild,
        },
        Command {
            name: "rebuildall",
            usage: "",
            help: "Rebuild network settings for all apps",
            run: commands::rebuildall,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a network report for one or more apps",
            run: report::report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a network property for an app",
            run: commands::set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("docker-args-deploy", triggers::trigger_docker_args_deploy),
        Trigger::new("docker-args-run", triggers::trigger_docker_args_run),
        Trigger::new(
            "network-build-config",
            triggers::trigger_network_build_config,
        ),
        Trigger::new(
            "network-get-property",
            triggers::trigger_network_get_property,
        ),
        Trigger::new("post-deploy", triggers::trigger_post_deploy),
        Trigger::new(
            "post-container-create",
            triggers::trigger_post_container_create,
        ),
        Trigger::new("network-write-ipaddr", config::trigger_write_ipaddr),
        Trigger::new("network-write-port", config::trigger_write_port),
        Trigger::new("network-get-ipaddr", config::trigger_get_ipaddr),
        Trigger::new("network-get-port", config::trigger_get_port),
        Trigger::new("network-get-listeners", config::trigger_get_listeners),
        Trigger::new("network-clear-listeners", config::trigger_clear_listeners),
        Trigger::new("network-config-exists", config::trigger_config_exists),
        Trigger::new("network-clear-config", config::trigger_clear_config),
    ],
};

fn main() {
    PLUGIN.main()
}

const PROPS: &str = "network";

/// The properties `network:set` takes.
const KEYS: &[&str] = &[
    "attach-post-create",
    "attach-post-deploy",
    "bind-all-interfaces",
    "initial-network",
    "static-web-listener",
    "tld",
];

/// A property's default when neither the app nor the global scope sets it.
fn default_of(key: &str) -> &'static str {
    if key == "bind-all-interfaces" {
        "false"
    } else {
        ""
    }
}

/// A property of the app, else the global one, else its default (`static-web-listener` is
/// the app's only).
fn computed(app: &str, key: &str) -> Result<String> {
    if key == config::STATIC_WEB_LISTENER {
        return config::static_web_listener(app);
    }
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(default_of(key).to_string())
}

/// The network names of an attach list (commas and/or spaces between them).
fn split_list(v: &str) -> Vec<String> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The networks the app's deploy containers are attached to after a deploy, in order,
/// without repeats.
fn attach_networks(app: &str) -> Result<Vec<String>> {
    let mut v: Vec<String> = Vec::new();
    for key in ["attach-post-create", "attach-post-deploy"] {
        for n in split_list(&computed(app, key)?) {
            if !v.contains(&n) {
                v.push(n);
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lists() {
        assert!(net::validate("a-b_c.d9").is_ok());
        assert!(net::validate("-a").is_err());
        assert!(net::validate("a b").is_err());
        assert!(net::validate(&"a".repeat(65)).is_err());
        assert!(net::validate_managed("bridge").is_err());
        assert_eq!(split_list("a, b c,,d"), ["a", "b", "c", "d"]);
        for ok in ["127.0.0.1:8080", "db.internal:5000", "[::1]:80", "host-1:1"] {
            assert_eq!(config::validate_listener(ok).unwrap(), ok);
        }
        for bad in [
            "127.0.0.1",
            ":80",
            "a:0",
            "a:65536",
            "a:+1",
            "1.2.3:80",
            "-a:80",
            "[x]:80",
        ] {
            assert!(config::validate_listener(bad).is_err(), "{bad}");
        }
        assert_eq!(
            net::aliases("app", "web", "web.2", "svc.local"),
            ["app.web.svc.local", "app.web.2.svc.local"]
        );
    }
}
