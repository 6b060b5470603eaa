//! Dokku parity of the help entry points (`dokku PLUGIN`, `dokku PLUGIN --help|-h`,
//! `dokku PLUGIN:help` for every plugin, Dokku's plugin descriptions in `dokku help`) and of
//! the system install as Dokku's package lays it out (logrotate, rsyslog, log folder modes,
//! plugin ownership restored by `plugin:install`).

use dokku_tests::Sandbox;

/// Every plugin's command prefix and its description as Dokku's `dokku help` words it
/// (caddy and redis are bash plugins: their own wording).
const PLUGINS: &[(&str, &str)] = &[
    ("app-json", "Manage app-json settings for an app"),
    ("apps", "Manage apps"),
    ("builder", "Manage builder settings for an app"),
    (
        "builder-dockerfile",
        "Manage the dockerfile builder integration for an app",
    ),
    (
        "builder-herokuish",
        "Manage the herokuish builder integration for an app",
    ),
    ("builder-null", "No-op builder plugin"),
    ("buildpacks", "Manage buildpack settings for an app"),
    ("builds", "Manage running and historical builds"),
    ("certs", "Manage SSL (TLS) certs"),
    ("checks", "Manage zero-downtime settings"),
    ("config", "Manage global and app-specific config vars"),
    ("cron", "Manage scheduled cron tasks"),
    ("docker-options", "Manage docker options for an app"),
    ("domains", "Manage domains used by the proxy"),
    ("enter", "Enter running app containers"),
    ("events", "Manage event logging"),
    ("git", "Manage app deploys via git"),
    ("logs", "Manage log integration for an app"),
    ("network", "Manage network settings for an app"),
    ("nginx", "Manage the nginx proxy"),
    ("plugin", "Manage installed plugins"),
    ("ports", "Manage ports for an app"),
    ("proxy", "Manage the proxy integration for an app"),
    ("ps", "Manage app processes"),
    ("registry", "Manage registry settings for an app"),
    ("repo", "Manage the app's repo"),
    ("resource", "Manage resource settings for an app"),
    ("run", "Run a one-off process inside a container"),
    ("scheduler", "Manage scheduler settings for an app"),
    (
        "scheduler-docker-local",
        "Manage the docker-local scheduler integration for an app",
    ),
    (
        "scheduler-swarm",
        "Manage the swarm scheduler integration for an app",
    ),
    ("ssh-keys", "Manage public ssh keys used for deployment"),
    ("storage", "Manage mounted volumes"),
    ("caddy", ""),
    ("redis", ""),
];

/// Bare commands that are real commands in Dokku 0.38 (not the plugin's help).
const REAL_BARE: &[&str] = &["apps", "config", "enter", "events", "logs", "run"];

/// A sandbox with the plugins that ship disabled (nginx-vhosts, caddy-vhosts, redis) enabled.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    for p in ["nginx-vhosts", "caddy-vhosts", "redis"] {
        sb.dokku(&["plugin:enable", p]).ok();
    }
    sb
}

#[test]
fn every_plugin_answers_help_at_each_entry_point() {
    let sb = sandbox();
    std::thread::scope(|s| {
        for (prefix, desc) in PLUGINS {
            let sb = &sb;
            s.spawn(move || {
                let head = format!("Usage: dokku {prefix}[:COMMAND]\n\n");
                let mut forms: Vec<Vec<String>> = vec![
                    vec![format!("{prefix}:help")],
                    vec![prefix.to_string(), "--help".into()],
                    vec![prefix.to_string(), "-h".into()],
                ];
                if !REAL_BARE.contains(prefix) {
                    forms.push(vec![prefix.to_string()]);
                    forms.push(vec![prefix.to_string(), "some-app".into()]);
                }
                for form in forms {
                    let args: Vec<&str> = form.iter().map(String::as_str).collect();
                    let out = sb.dokku(&args).ok();
                    assert!(
                        out.stdout.starts_with(&head),
                        "dokku {}: {out:#?}",
                        form.join(" ")
                    );
                    assert!(
                        out.stdout.contains("\nAdditional commands:\n"),
                        "dokku {}: {out:#?}",
                        form.join(" ")
                    );
                    if !desc.is_empty() {
                        assert!(
                            out.stdout[head.len()..].starts_with(&format!("{desc}\n")),
                            "dokku {}: {out:#?}",
                            form.join(" ")
                        );
                    }
                    assert_eq!(out.stderr, "", "dokku {}", form.join(" "));
                }
            });
        }
    });
    // The real bare commands stay commands.
    sb.dokku(&["apps"]).ok().out_has("=====> My Apps");
    sb.dokku(&["config"])
        .fails()
        .err_has("Please specify an app or --global");
    sb.dokku(&["config", "--global"]).ok();
    sb.dokku(&["logs"]).fails().err_has("Please specify an app");
    // A command's own --help is still its usage.
    sb.dokku(&["ps:scale", "--help"])
        .ok()
        .out_has("Usage: dokku ps:scale");
    // Not a plugin: still not a command.
    sb.dokku(&["nosuchplugin", "--help"])
        .fails()
        .err_has("is not a dokku command");
}

#[test]
fn dokku_help_words_each_plugin_as_dokku_does() {
    let sb = sandbox();
    let out = sb.dokku(&["help"]).ok();
    for (prefix, desc) in PLUGINS.iter().filter(|(_, d)| !d.is_empty()) {
        let found = out.stdout.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with("  ") && rest.trim() == *desc)
        });
        assert!(found, "{prefix}: {desc:?} not in\n{}", out.stdout);
    }
}
