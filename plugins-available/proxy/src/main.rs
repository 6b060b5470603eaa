//! The proxy plugin: which proxy serves an app and whether it does. Everything else reaches the
//! proxy only through triggers: `proxy-type APP` (the app's `proxy:set`, else the global one,
//! else `nginx`), `proxy-is-enabled APP`, and `proxy-build-config` / `proxy-clear-config APP`,
//! which the proxy implementations (nginx-vhosts, a community caddy or haproxy) answer for the
//! apps of their type; `proxy:enable` / `proxy:disable` fire `proxy-enable APP` /
//! `proxy-disable APP`, which they answer by building or clearing the app's config. Commands
//! `proxy:enable|disable|build-config|clear-config|report|set`.

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, property, trigger};

static PLUGIN: Plugin = Plugin {
    prefix: "proxy",
    summary: "Manage the proxy integration for an app",
    commands: &[
        Command {
            name: "build-config",
            usage: "[--all|<app>]",
            help: "(Re)builds the proxy config for an app",
            run: build_config,
        },
        Command {
            name: "clear-config",
            usage: "[--all|<app>]",
            help: "Clears the proxy config for an app",
            run: clear_config,
        },
        Command {
            name: "disable",
            usage: "[--all|<app>]",
            help: "Disable the proxy for an app",
            run: disable,
        },
        Command {
            name: "enable",
            usage: "[--all|<app>]",
            help: "Enable the proxy for an app",
            run: enable,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a proxy report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <proxy-type>",
            help: "Set the proxy type for an app (nginx, caddy, …)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger {
            name: "proxy-type",
            run: trigger_type,
        },
        Trigger {
            name: "proxy-is-enabled",
            run: trigger_is_enabled,
        },
    ],
};

fn main() {
    PLUGIN.main()
}

const PROPS: &str = "proxy";
const DEFAULT_TYPE: &str = "nginx";

/// The proxy type of an app: its own, else the global one, else `nginx`.
fn proxy_type(app: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(t) = property::get(PROPS, scope, "type")?.filter(|t| !t.is_empty()) {
            return Ok(t);
        }
    }
    Ok(DEFAULT_TYPE.to_string())
}

fn is_enabled(app: &str) -> Result<bool> {
    Ok(property::get(PROPS, app, "disabled")?.as_deref() != Some("true"))
}

/// The apps of `--all` or the one app given.
fn apps_of(argv: &[String], usage: &str) -> Result<Vec<String>> {
    let a = args::parse(argv, &["--all", "--parallel"], &[])?;
    a.at_most(1, usage)?;
    if a.has("--all") {
        return appname::all();
    }
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(vec![app])
}

/// `proxy:build-config [--all|APP]`; with `--all`, one `proxy-build-config --all` lets a proxy
/// rebuild every app and reload once.
fn build_config(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--all", "--parallel"], &[])?;
    if a.has("--all") {
        a.at_most(0, "dokku proxy:build-config [--all|<app>]")?;
        return trigger("proxy-build-config", &["--all"]);
    }
    for app in apps_of(argv, "dokku proxy:build-config [--all|<app>]")? {
        trigger("proxy-build-config", &[&app])?;
    }
    Ok(())
}

/// `proxy:clear-config [--all|APP]`.
fn clear_config(argv: &[String]) -> Result<()> {
    for app in apps_of(argv, "dokku proxy:clear-config [--all|<app>]")? {
        trigger("proxy-clear-config", &[&app])?;
    }
    Ok(())
}

/// `proxy:disable [--all|APP]`: the proxy stops serving the app. As Dokku: an app already
/// disabled is left alone; otherwise the flag is set, then `proxy-disable APP` lets the proxy
/// implementation of the app's type clear its config.
fn disable(argv: &[String]) -> Result<()> {
    for app in apps_of(argv, "dokku proxy:disable [--all|<app>]")? {
        if !is_enabled(&app)? {
            log::info1(&format!("Proxy is already disabled for app ({app})"));
            continue;
        }
        property::write(PROPS, &app, "disabled", "true")?;
        log::info1(&format!("Disabling proxy for app ({app})"));
        trigger("proxy-disable", &[&app])?;
    }
    Ok(())
}

/// `proxy:enable [--all|APP]`: as Dokku, an app already enabled is left alone; otherwise the
/// flag is cleared, then `proxy-enable APP` lets the proxy implementation of the app's type
/// build its config.
fn enable(argv: &[String]) -> Result<()> {
    for app in apps_of(argv, "dokku proxy:enable [--all|<app>]")? {
        if is_enabled(&app)? {
            log::info1(&format!("Proxy is already enabled for app ({app})"));
            continue;
        }
        property::delete(PROPS, &app, "disabled")?;
        log::info1(&format!("Enabling proxy for app ({app})"));
        trigger("proxy-enable", &[&app])?;
    }
    Ok(())
}

/// `proxy:set [--global|APP] TYPE`.
fn set(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--global"], &[])?;
    let (scope, value) = if a.has("--global") {
        a.at_most(1, "dokku proxy:set --global <proxy-type>")?;
        (property::GLOBAL.to_string(), a.pos(0).cloned())
    } else {
        a.at_most(2, "dokku proxy:set <app> <proxy-type>")?;
        let app = appname::required(a.pos(0))?;
        appname::verify(&app)?;
        (app, a.pos(1).cloned())
    };
    match value.filter(|v| !v.is_empty()) {
        Some(t) => {
            let ok = t.len() <= 64
                && t.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                bail!("invalid proxy type {t:?}: use a name such as nginx or caddy");
            }
            property::write(PROPS, &scope, "type", &t)?;
            log::info1(&format!("Setting proxy type to {t}"));
        }
        None => {
            property::delete(PROPS, &scope, "type")?;
            log::info1("Unsetting proxy type");
        }
    }
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("proxy-enabled", "Proxy enabled"),
    ("proxy-type", "Proxy type"),
    ("proxy-global-type", "Proxy global type"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "proxy-enabled" => is_enabled(app)?.to_string(),
            "proxy-type" => proxy_type(app)?,
            _ => property::get_or(PROPS, property::GLOBAL, "type", "")?,
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} proxy information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku proxy:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// Trigger `proxy-type APP`.
fn trigger_type(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or(property::GLOBAL);
    println!("{}", proxy_type(app)?);
    Ok(())
}

/// Trigger `proxy-is-enabled APP`: `true` or `false`.
fn trigger_is_enabled(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-is-enabled needs APP");
    };
    println!("{}", is_enabled(app)?);
    Ok(())
}
