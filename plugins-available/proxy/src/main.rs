//! The proxy plugin: which proxy serves an app, on which ports, and whether it does. Everything
//! else reaches the proxy only through triggers: `proxy-type APP` (the app's `type`, else the
//! global one, else `nginx`), `proxy-is-enabled APP`, `proxy-get-property APP KEY` (the computed
//! `type`, `proxy-port` or `proxy-ssl-port`), and `proxy-build-config` / `proxy-clear-config
//! APP`, which the proxy implementations (nginx-vhosts, a community caddy or haproxy) answer for
//! the apps of their type; `proxy:enable` / `proxy:disable` fire `proxy-enable APP` /
//! `proxy-disable APP`, which they answer by building or clearing the app's config. Commands
//! `proxy:enable|disable|build-config|clear-config|report|set`; the `--all` forms of
//! build-config, enable and disable take `--parallel COUNT`.

mod parallel;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, property, trigger};

static PLUGIN: Plugin = Plugin {
    prefix: "proxy",
    summary: "Manage the proxy integration for an app",
    commands: &[
        Command {
            name: "build-config",
            usage: "[--parallel <count>] [--all|<app>]",
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
            usage: "[--parallel <count>] [--all|<app>]",
            help: "Disable the proxy for an app",
            run: disable,
        },
        Command {
            name: "enable",
            usage: "[--parallel <count>] [--all|<app>]",
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
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a proxy property for an app (type, proxy-port, proxy-ssl-port; or the legacy <app> <proxy-type>)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("proxy-type", trigger_type),
        Trigger::new("proxy-is-enabled", trigger_is_enabled),
        Trigger::new("proxy-get-property", trigger_get_property),
    ],
};

fn main() {
    PLUGIN.main()
}

const PROPS: &str = "proxy";
const DEFAULT_TYPE: &str = "nginx";
/// The properties `proxy:set` takes.
const KEYS: &[&str] = &["type", "proxy-port", "proxy-ssl-port"];

/// The app's own value of `key`, else the global one; `None` when neither is set.
fn app_or_global(app: &str, key: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// The proxy type of an app: its own, else the global one, else `nginx`.
fn proxy_type(app: &str) -> Result<String> {
    Ok(app_or_global(app, "type")?.unwrap_or_else(|| DEFAULT_TYPE.to_string()))
}

fn is_enabled(app: &str) -> Result<bool> {
    Ok(property::get(PROPS, app, "disabled")?.as_deref() != Some("true"))
}

/// The apps of `--all` or the one app given, and how many to do at a time.
fn apps_of(argv: &[String], usage: &str, parallel: bool) -> Result<(Vec<String>, usize)> {
    let value_flags: &[&str] = if parallel { &["--parallel"] } else { &[] };
    let a = args::parse(argv, &["--all"], value_flags)?;
    let workers = parallel::count(a.value("--parallel"))?;
    if a.has("--all") {
        a.at_most(0, usage)?;
        return Ok((appname::all()?, workers));
    }
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok((vec![app], workers))
}

/// `proxy:build-config [--parallel COUNT] [--all|APP]`; with `--all`, one
/// `proxy-build-config --all COUNT` lets a proxy rebuild every app (COUNT at a time) and reload
/// once.
fn build_config(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--all"], &["--parallel"])?;
    let workers = parallel::count(a.value("--parallel"))?;
    if a.has("--all") {
        a.at_most(0, usage())?;
        return trigger("proxy-build-config", &["--all", &workers.to_string()]);
    }
    let (apps, _) = apps_of(argv, usage(), true)?;
    for app in apps {
        trigger("proxy-build-config", &[&app])?;
    }
    Ok(())
}

/// `proxy:clear-config [--all|APP]`.
fn clear_config(argv: &[String]) -> Result<()> {
    let (apps, _) = apps_of(argv, usage(), false)?;
    for app in apps {
        trigger("proxy-clear-config", &[&app])?;
    }
    Ok(())
}

/// `proxy:disable [--parallel COUNT] [--all|APP]`: the proxy stops serving the app. As Dokku:
/// an app already disabled is left alone; otherwise the flag is set, then `proxy-disable APP`
/// lets the proxy implementation of the app's type clear its config.
fn disable(argv: &[String]) -> Result<()> {
    let (apps, workers) = apps_of(argv, usage(), true)?;
    parallel::for_each(&apps, workers, |app| {
        if !is_enabled(app)? {
            log::info1(&format!("Proxy is already disabled for app ({app})"));
            return Ok(());
        }
        property::write(PROPS, app, "disabled", "true")?;
        log::info1(&format!("Disabling proxy for app ({app})"));
        trigger("proxy-disable", &[app])
    })
}

/// `proxy:enable [--parallel COUNT] [--all|APP]`: as Dokku, an app already enabled is left
/// alone; otherwise the flag is cleared, then `proxy-enable APP` lets the proxy implementation
/// of the app's type build its config.
fn enable(argv: &[String]) -> Result<()> {
    let (apps, workers) = apps_of(argv, usage(), true)?;
    parallel::for_each(&apps, workers, |app| {
        if is_enabled(app)? {
            log::info1(&format!("Proxy is already enabled for app ({app})"));
            return Ok(());
        }
        property::delete(PROPS, app, "disabled")?;
        log::info1(&format!("Enabling proxy for app ({app})"));
        trigger("proxy-enable", &[app])
    })
}

/// Refuses a value `key` cannot take.
fn check_value(key: &str, v: &str) -> Result<()> {
    match key {
        "type" => {
            let ok = v.len() <= 64
                && v.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                bail!("invalid proxy type {v:?}: use a name such as nginx or caddy");
            }
        }
        _ => {
            if !v.parse::<u16>().is_ok_and(|p| p > 0) {
                bail!("invalid {key} {v:?}: use a port number from 1 to 65535");
            }
        }
    }
    Ok(())
}

/// What `proxy:set` was asked: the property and its new value (`None`: unset).
fn set_request(rest: &[String]) -> Result<(&str, Option<&str>)> {
    let usage = usage();
    Ok(match rest {
        [] => ("type", None),
        [k] if KEYS.contains(&k.as_str()) => (k.as_str(), None),
        // The legacy `proxy:set APP TYPE`; a port map there is a mistake Dokku names.
        [t] if t.contains(':') => bail!(
            "Detected potential port mapping instead of proxy type: consider using ports:set command or specifying a valid proxy"
        ),
        [t] => ("type", Some(t.as_str())),
        [k, v] if KEYS.contains(&k.as_str()) => (k.as_str(), Some(v.as_str())),
        [_, _] => bail!(
            "Invalid property specified, valid properties include: {}",
            KEYS.join(", ")
        ),
        [_, _, extra, ..] => bail!("unexpected argument {extra:?}; usage: {usage}"),
    })
}

/// `proxy:set [--global|APP] KEY [VALUE]` (KEY `type`, `proxy-port` or `proxy-ssl-port`; no
/// VALUE unsets, so `proxy:set --global type` clears the global type), and Dokku's legacy
/// `proxy:set [--global|APP] [TYPE]`, which sets (or, with no TYPE, unsets) the type. Said as
/// Dokku says it: `=====> Setting KEY to VALUE` / `=====> Unsetting KEY`.
fn set(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--global"], &[])?;
    let (scope, rest) = if a.has("--global") {
        (property::GLOBAL.to_string(), &a.positional[..])
    } else {
        let app = appname::required(a.pos(0))?;
        appname::verify(&app)?;
        (app, a.positional.get(1..).unwrap_or(&[]))
    };
    let (key, value) = set_request(rest)?;
    match value.filter(|v| !v.is_empty()) {
        Some(v) => {
            check_value(key, v)?;
            property::write(PROPS, &scope, key, v)?;
            log::info2(&format!("Setting {key} to {v}"));
        }
        None => {
            property::delete(PROPS, &scope, key)?;
            log::info2(&format!("Unsetting {key}"));
        }
    }
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("proxy-computed-disabled", "Proxy computed disabled"),
    ("proxy-computed-proxy-port", "Proxy computed proxy port"),
    (
        "proxy-computed-proxy-ssl-port",
        "Proxy computed proxy ssl port",
    ),
    ("proxy-computed-type", "Proxy computed type"),
    ("proxy-disabled", "Proxy disabled"),
    ("proxy-enabled", "Proxy enabled"),
    ("proxy-global-proxy-port", "Proxy global proxy port"),
    ("proxy-global-proxy-ssl-port", "Proxy global proxy ssl port"),
    ("proxy-global-type", "Proxy global type"),
    ("proxy-proxy-port", "Proxy proxy port"),
    ("proxy-proxy-ssl-port", "Proxy proxy ssl port"),
    ("proxy-type", "Proxy type"),
];

/// A report row's value: `type`, `proxy-port`, `proxy-ssl-port` raw (the app's), `global-`
/// (the global one) and `computed-` (the one in effect), as Dokku's.
fn report_value(app: &str, key: &str) -> Result<String> {
    let field = key.strip_prefix("proxy-").unwrap_or(key);
    Ok(match field {
        "enabled" => is_enabled(app)?.to_string(),
        "disabled" => property::get_or(PROPS, app, "disabled", "")?,
        "computed-disabled" => (!is_enabled(app)?).to_string(),
        "computed-type" => proxy_type(app)?,
        f => match f.strip_prefix("computed-") {
            Some(k) => app_or_global(app, k)?.unwrap_or_default(),
            None => match f.strip_prefix("global-") {
                Some(k) => property::get_or(PROPS, property::GLOBAL, k, "")?,
                None => property::get_or(PROPS, app, f, "")?,
            },
        },
    })
}

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        rows.push((key.to_string(), label.to_string(), report_value(app, key)?));
    }
    Ok(Report {
        heading: format!("{app} proxy information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Trigger `proxy-type APP`.
fn trigger_type(argv: &[String]) -> Result<()> {
    if dokku_core::batch::answer(argv, |app, _| Ok(vec![proxy_type(app)?]))? {
        return Ok(());
    }
    let app = argv.first().map(String::as_str).unwrap_or(property::GLOBAL);
    println!("{}", proxy_type(app)?);
    Ok(())
}

/// Trigger `proxy-is-enabled APP`: `true` or `false`.
fn trigger_is_enabled(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-is-enabled needs APP");
    };
    if dokku_core::batch::answer(argv, |app, _| Ok(vec![is_enabled(app)?.to_string()]))? {
        return Ok(());
    }
    println!("{}", is_enabled(app)?);
    Ok(())
}

/// Trigger `proxy-get-property APP KEY`: the value in effect for the app of KEY (`type`,
/// `proxy-port` or `proxy-ssl-port`: its own, else the global one; the type defaults to
/// `nginx`, the ports to nothing, which leaves the proxy's own); with APP `--global`, the
/// global value.
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let (Some(app), Some(key)) = (argv.first(), argv.get(1)) else {
        bail!("proxy-get-property needs APP KEY");
    };
    if !KEYS.contains(&key.as_str()) {
        bail!("invalid proxy property {key:?}; valid: {}", KEYS.join(", "));
    }
    if app == property::GLOBAL {
        println!("{}", property::get_or(PROPS, app, key, "")?);
        return Ok(());
    }
    let value_of = |app: &str| -> Result<String> {
        Ok(match key.as_str() {
            "type" => proxy_type(app)?,
            k => app_or_global(app, k)?.unwrap_or_default(),
        })
    };
    if dokku_core::batch::answer(argv, |app, _| Ok(vec![value_of(app)?]))? {
        return Ok(());
    }
    appname::validate(app)?;
    println!("{}", value_of(app)?);
    Ok(())
}
