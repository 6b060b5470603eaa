//! The ports plugin: which host ports the proxy listens on for an app and which container port
//! it forwards to, as Dokku's. Maps (`http:80:5000`) are set with `ports:add|set|remove|clear`
//! (property `ports`/APP/`map`) or detected from a Dockerfile's first `EXPOSE`d tcp port
//! (`map-detected`, at `post-extract`); without either, `http:80:5000`. Answers `ports-get APP`
//! (the maps in force, plus `https:443:PORT` when the app has a certificate) and
//! `ports-get-container-port APP` (the port the scheduler publishes), `ports-clear APP` (as
//! `ports:clear`) and `ports-configure APP` (records the default map as detected when the app has
//! none). A certificate added (`post-certs-update APP`) puts `https:443:PORT` beside each
//! `http:80:PORT` map, its removal (`post-certs-remove APP`) takes the `https:443` maps away,
//! as Dokku does. Two maps of one scheme and host port are refused. Changes fire `post-proxy-ports-update APP ACTION` (ACTION `add`, `clear`, `remove`,
//! `set`, as Dokku) and `proxy-build-config APP`.

mod map;
mod store;
mod triggers;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, trigger};
use map::{PortMap, Removal};

static PLUGIN: Plugin = Plugin {
    prefix: "ports",
    summary: "Manage ports for an app",
    commands: &[
        Command {
            name: "add",
            usage: "<app> <scheme>:<host-port>:<container-port> [...]",
            help: "Add port mappings to an app",
            run: add,
        },
        Command {
            name: "clear",
            usage: "<app>",
            help: "Clear all port mappings for an app",
            run: clear,
        },
        Command {
            name: "list",
            usage: "<app>",
            help: "List port mappings for an app",
            run: list,
        },
        Command {
            name: "remove",
            usage: "<app> <host-port>|<scheme>:<host-port>[:<container-port>] [...]",
            help: "Remove specific port mappings from an app",
            run: remove,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a ports report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "<app> <scheme>:<host-port>:<container-port> [...]",
            help: "Set port mappings for an app",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("ports-get", triggers::ports_get),
        Trigger::new("ports-get-container-port", triggers::container_port),
        Trigger::new("ports-clear", trigger_ports_clear),
        Trigger::new("ports-configure", triggers::configure),
        Trigger::new("ports-set-detected", triggers::set_detected),
        Trigger::new("post-extract", triggers::post_extract),
        Trigger::new("post-certs-update", triggers::post_certs_update),
        Trigger::new("post-certs-remove", triggers::post_certs_remove),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The app (which must exist) and the arguments after it (at least one when `need_more`).
fn app_and_rest(argv: &[String], usage: &str, need_more: bool) -> Result<(String, Vec<String>)> {
    let a = args::parse(argv, &[], &[])?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let rest = a.positional.get(1..).unwrap_or(&[]).to_vec();
    if need_more && rest.is_empty() {
        bail!("Please specify at least one port mapping; usage: {usage}");
    }
    if !need_more && !rest.is_empty() {
        bail!("unexpected argument {:?}; usage: {usage}", rest[0]);
    }
    Ok((app, rest))
}

/// Every map given, checked before anything is written; repeats dropped.
fn maps_arg(raw: &[String]) -> Result<Vec<PortMap>> {
    let mut out = Vec::new();
    for r in raw {
        let m = PortMap::parse(r)?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// After a change: Trigger `post-proxy-ports-update APP ACTION` (ACTION `add`, `clear`,
/// `remove` or `set`, as Dokku), then `proxy-build-config APP`.
fn changed(app: &str, action: &str) -> Result<()> {
    trigger("post-proxy-ports-update", &[app, action])?;
    trigger("proxy-build-config", &[app])
}

fn show(app: &str) -> Result<()> {
    log::verbose(&format!(
        "Port map: {}",
        PortMap::join(&store::effective(app)?)
    ));
    Ok(())
}

/// `ports:add APP MAP…`: added to the configured maps (to the detected or default ones when
/// none is configured yet, so that adding a port keeps the one in force).
fn add(argv: &[String]) -> Result<()> {
    let (app, raw) = app_and_rest(argv, usage(), true)?;
    let maps = maps_arg(&raw)?;
    store::edit(&app, |mut cur| {
        if cur.is_empty() {
            cur = store::effective(&app)?;
        }
        store::merge(&mut cur, &maps);
        map::check_unique(&cur)?;
        Ok(cur)
    })?;
    log::info1(&format!("Adding port mappings to {app}"));
    show(&app)?;
    changed(&app, "add")
}

/// `ports:set APP MAP…`: the configured maps become exactly these.
fn set(argv: &[String]) -> Result<()> {
    let (app, raw) = app_and_rest(argv, usage(), true)?;
    let maps = maps_arg(&raw)?;
    map::check_unique(&maps)?;
    store::edit(&app, |_| Ok(maps))?;
    log::info1(&format!("Setting port mappings for {app}"));
    show(&app)?;
    changed(&app, "set")
}

/// `ports:remove APP MAP|HOST_PORT|SCHEME:HOST_PORT…`.
fn remove(argv: &[String]) -> Result<()> {
    let (app, raw) = app_and_rest(argv, usage(), true)?;
    let removals = raw
        .iter()
        .map(|r| Removal::parse(r))
        .collect::<Result<Vec<_>>>()?;
    let mut removed = 0;
    store::edit(&app, |cur| {
        let before = cur.len();
        let kept: Vec<PortMap> = cur
            .into_iter()
            .filter(|m| !removals.iter().any(|r| r.matches(m)))
            .collect();
        removed = before - kept.len();
        Ok(kept)
    })?;
    if removed == 0 {
        log::warn(&format!(
            "No configured port mapping of {app} matched; nothing removed"
        ));
        return Ok(());
    }
    log::info1(&format!("Removing port mappings from {app}"));
    show(&app)?;
    changed(&app, "remove")
}

/// `ports:clear APP`: no configured maps (the detected or default ones are in force).
fn clear(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, usage(), false)?;
    clear_app(&app)
}

/// Clears the configured maps of an app, then `post-proxy-ports-update APP clear` and
/// `proxy-build-config APP`.
fn clear_app(app: &str) -> Result<()> {
    store::edit(app, |_| Ok(Vec::new()))?;
    log::info1(&format!("Clearing port mappings for {app}"));
    show(app)?;
    changed(app, "clear")
}

/// Trigger `ports-clear APP`: what `ports:clear` does (the configured maps go, then
/// `post-proxy-ports-update APP clear` and `proxy-build-config APP`).
fn trigger_ports_clear(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, "ports-clear APP", false)?;
    clear_app(&app)
}

/// `ports:list APP`: the maps in force, one per line in columns.
fn list(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, usage(), false)?;
    let maps = triggers::maps_with_tls(&app)?;
    log::info1(&format!("Port mappings for {app}"));
    // The `-----> ` prefix takes 7 of the first column's 25 characters.
    log::info1(&format!(
        "{:<18} {:<25} {}",
        "scheme", "host port", "container port"
    ));
    for m in maps {
        println!("{:<25} {:<25} {}", m.scheme, m.host, m.container);
    }
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("ports-map", "Ports map"),
    ("ports-map-detected", "Ports map detected"),
    ("ports-map-json", "Ports map json"),
];

/// An app's ports report: its configured maps (`--ports-map`, and as JSON `--ports-map-json`,
/// as Dokku 0.38 gives them to tools) and the detected ones (`--ports-map-detected`).
fn report_of(app: &str) -> Result<Report> {
    let configured = store::configured(app)?;
    Ok(Report {
        heading: format!("{app} ports information"),
        rows: vec![
            (
                "ports-map".into(),
                "Ports map".into(),
                PortMap::join(&configured),
            ),
            (
                "ports-map-detected".into(),
                "Ports map detected".into(),
                PortMap::join(&store::detected(app)?),
            ),
            (
                "ports-map-json".into(),
                "Ports map json".into(),
                map::to_json(&configured),
            ),
        ],
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}
