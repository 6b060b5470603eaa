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

mod config;
mod net;

use anyhow::{bail, Context, Result};
use dokku_core::docker::dockerargs;
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Format, Report};
use dokku_core::{appname, args, docker, log, property};

static PLUGIN: Plugin = Plugin {
    prefix: "network",
    summary: "Manage network settings for an app",
    commands: &[
        Command {
            name: "create",
            usage: "<network>",
            help: "Creates an attachable docker network",
            run: create,
        },
        Command {
            name: "destroy",
            usage: "[--force] <network>",
            help: "Destroys a docker network",
            run: destroy,
        },
        Command {
            name: "exists",
            usage: "<network>",
            help: "Checks if a docker network exists",
            run: exists,
        },
        Command {
            name: "info",
            usage: "<network> [--format text|json]",
            help: "Outputs information about a docker network",
            run: info,
        },
        Command {
            name: "list",
            usage: "[--format text|json] [--dokku-managed]",
            help: "Lists all docker networks",
            run: list,
        },
        Command {
            name: "rebuild",
            usage: "<app>",
            help: "Rebuilds network settings for an app",
            run: rebuild,
        },
        Command {
            name: "rebuildall",
            usage: "",
            help: "Rebuild network settings for all apps",
            run: rebuildall,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a network report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a network property for an app",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("docker-args-deploy", trigger_docker_args_deploy),
        Trigger::new("docker-args-run", trigger_docker_args_run),
        Trigger::new("network-build-config", trigger_network_build_config),
        Trigger::new("network-get-property", trigger_network_get_property),
        Trigger::new("post-deploy", trigger_post_deploy),
        Trigger::new("post-container-create", trigger_post_container_create),
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

/// The one network name a command takes.
fn one_network(argv: &[String], bool_flags: &[&str], usage: &str) -> Result<(args::Args, String)> {
    let a = args::parse(argv, bool_flags, &[])?;
    a.at_most(1, usage)?;
    let Some(name) = a.pos(0).cloned() else {
        bail!("Please specify a network name; usage: {usage}");
    };
    Ok((a, name))
}

/// `network:create NAME`: an attachable bridge network labelled `dokku`.
fn create(argv: &[String]) -> Result<()> {
    let (_, name) = one_network(argv, &[], usage())?;
    net::validate_managed(&name)?;
    if net::managed_exists(&name)? {
        bail!("Network {name} already exists");
    }
    log::info1(&format!("Creating network {name}"));
    docker::output([
        "network",
        "create",
        "--attachable",
        "--label",
        docker::LABEL,
        "--label",
        &format!("{}={name}", net::NAME_LABEL),
        &name,
    ])
    .with_context(|| format!("cannot create network {name}"))?;
    Ok(())
}

/// `network:destroy [--force] NAME`: only networks dokku made; Docker refuses while containers
/// are attached.
fn destroy(argv: &[String]) -> Result<()> {
    let (a, name) = one_network(argv, &["--force"], usage())?;
    net::validate_managed(&name)?;
    if !net::managed_exists(&name)? {
        bail!("Network {name} does not exist");
    }
    let forced =
        a.has("--force") || std::env::var("DOKKU_APPS_FORCE_DELETE").is_ok_and(|v| v == "1");
    if !forced && !log::confirm_destroy("network", &name)? {
        bail!("Confirmation did not match {name}. Aborted.");
    }
    log::info1(&format!("Destroying network {name}"));
    docker::output(["network", "rm", &name])
        .with_context(|| format!("cannot destroy network {name}"))?;
    Ok(())
}

/// `network:exists NAME`: exit 0 when it exists (a network dokku made, or a builtin).
fn exists(argv: &[String]) -> Result<()> {
    let (_, name) = one_network(argv, &[], usage())?;
    net::validate(&name)?;
    if !net::exists(&name)? {
        bail!("Network does not exist");
    }
    println!("Network exists");
    Ok(())
}

/// The `network:info` report of one network.
fn info_report(n: &net::Listed) -> Report {
    let j = &n.raw;
    let configs: Vec<&serde_json::Value> = j
        .pointer("/IPAM/Config")
        .and_then(|c| c.as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let ipam = |k: &str| {
        configs
            .iter()
            .filter_map(|c| c.get(k).and_then(|x| x.as_str()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut containers: Vec<String> = j
        .get("Containers")
        .and_then(|c| c.as_object())
        .map(|m| {
            m.values()
                .filter_map(|c| c.get("Name").and_then(|x| x.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    containers.sort();
    let rows = [
        ("network-id", "ID", n.id.clone()),
        ("network-name", "Name", n.name.clone()),
        ("network-driver", "Driver", n.driver.clone()),
        ("network-scope", "Scope", n.scope.clone()),
        ("network-internal", "Internal", n.internal.to_string()),
        ("network-attachable", "Attachable", n.attachable.to_string()),
        ("network-ipv6", "IPv6", n.ipv6.to_string()),
        ("network-subnet", "Subnet", ipam("Subnet")),
        ("network-gateway", "Gateway", ipam("Gateway")),
        ("network-containers", "Containers", containers.join(" ")),
        ("network-created-at", "Created at", n.created.clone()),
        (
            "network-dokku-managed",
            "Dokku managed",
            n.managed().to_string(),
        ),
    ];
    Report {
        heading: format!("{} network information", n.name),
        rows: rows
            .into_iter()
            .map(|(k, l, v)| (k.to_string(), l.to_string(), v))
            .collect(),
    }
}

/// `--format` of `network:info` and `network:list`: `text` (or `stdout`, the other reports'
/// word) or `json`; whether it is json.
fn json_format(v: Option<&str>) -> Result<bool> {
    match v {
        None | Some("text") | Some("stdout") => Ok(false),
        Some("json") => Ok(true),
        Some(other) => bail!("Invalid format {other:?} specified, use either text or json"),
    }
}

/// `network:info NAME [--format text|json]`: any network of the engine. The json object has
/// Dokku's keys (`Name`, `ID`, `Driver`, …) and the report's (`network-name`, …).
fn info(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage)?;
    let json = json_format(a.value("--format"))?;
    let Some(name) = a.pos(0) else {
        bail!("Please specify a network name; usage: {usage}");
    };
    net::validate(name)?;
    let Some(n) = net::get(name)? else {
        bail!("Network {name} does not exist");
    };
    let r = info_report(&n);
    if !json {
        return report::print(&r, Format::Stdout, None);
    }
    let mut obj = n.json();
    if let Some(m) = obj.as_object_mut() {
        for (k, _, v) in r.rows {
            m.insert(k, serde_json::Value::String(v));
        }
    }
    println!("{}", serde_json::to_string(&obj)?);
    Ok(())
}

/// `network:list [--format text|json] [--dokku-managed]`: every network of the engine, or
/// only those dokku made.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--dokku-managed"], &["--format"])?;
    a.at_most(0, usage())?;
    let json = json_format(a.value("--format"))?;
    let nets = if a.has("--dokku-managed") {
        net::list()?
    } else {
        net::all()?
    };
    if json {
        let v: Vec<serde_json::Value> = nets.iter().map(net::Listed::json).collect();
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    if !log::quiet() {
        println!("=====> Networks");
    }
    for n in &nets {
        println!("{}", n.name);
    }
    Ok(())
}

/// Attaches the app's running deploy containers to `nets`; returns how many attachments
/// failed (each said on stderr).
fn attach(app: &str, nets: &[String]) -> Result<usize> {
    if nets.is_empty() {
        return Ok(0);
    }
    let tld = computed(app, "tld")?;
    let containers = net::app_containers(app)?;
    let mut failed = 0;
    for n in nets {
        for c in &containers {
            match net::connect(app, c, n, &tld) {
                Ok(true) => log::verbose(&format!("Attached {} to network {n}", c.name)),
                Ok(false) => {}
                Err(e) => {
                    log::warn(&format!("{e:#}"));
                    failed += 1;
                }
            }
        }
    }
    Ok(failed)
}

/// Re-attaches one app's running containers to all its attach networks, failing with the
/// number of attachments that failed.
fn rebuild_app(app: &str) -> Result<()> {
    attach_all(app, &attach_networks(app)?)
}

/// Attaches the app's running containers to `nets`, failing with the number of attachments
/// that failed.
fn attach_all(app: &str, nets: &[String]) -> Result<()> {
    let failed = attach(app, nets)?;
    if failed > 0 {
        bail!("{failed} network attachment(s) of {app} failed");
    }
    Ok(())
}

/// `network:rebuild APP`.
fn rebuild(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    log::info1(&format!("Rebuilding network settings for {app}"));
    rebuild_app(&app)
}

/// `network:rebuildall`.
fn rebuildall(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(0, usage())?;
    let mut failed = 0;
    for app in appname::all()? {
        log::info1(&format!("Rebuilding network settings for {app}"));
        if let Err(e) = rebuild_app(&app) {
            log::warn(&format!("{e:#}"));
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("the network settings of {failed} app(s) could not be rebuilt");
    }
    Ok(())
}

/// `network:set [--global|APP] KEY [VALUE]`; attach lists are stored comma separated.
fn set(argv: &[String]) -> Result<()> {
    let mut c = property::SetCommand::parse(argv, usage(), KEYS)?;
    if c.key == config::STATIC_WEB_LISTENER && c.is_global() {
        bail!("static-web-listener is set per app, not with --global");
    }
    if let Some(v) = c.new_value().map(str::to_string) {
        match c.key.as_str() {
            "attach-post-create" | "attach-post-deploy" => {
                let nets = split_list(&v);
                for n in &nets {
                    net::validate(n)?;
                    if n == "host" || n == "none" {
                        bail!("containers cannot be attached to network {n:?}");
                    }
                }
                c.value = Some(nets.join(","));
            }
            "initial-network" => net::validate(&v)?,
            "static-web-listener" => c.value = Some(config::validate_listener(&v)?),
            "bind-all-interfaces" => {
                if v != "true" && v != "false" {
                    bail!("bind-all-interfaces must be true or false, not {v:?}");
                }
            }
            _ => {
                // tld: a dns suffix.
                let ok = v.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
                if !ok || v.len() > 253 {
                    bail!("invalid tld {v:?}: use dns labels (letters, digits, '-') joined by '.'");
                }
            }
        }
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("network-attach-post-create", "Network attach post create"),
    ("network-attach-post-deploy", "Network attach post deploy"),
    ("network-bind-all-interfaces", "Network bind all interfaces"),
    (
        "network-computed-attach-post-create",
        "Network computed attach post create",
    ),
    (
        "network-computed-attach-post-deploy",
        "Network computed attach post deploy",
    ),
    (
        "network-computed-bind-all-interfaces",
        "Network computed bind all interfaces",
    ),
    (
        "network-computed-initial-network",
        "Network computed initial network",
    ),
    ("network-computed-tld", "Network computed tld"),
    (
        "network-global-attach-post-create",
        "Network global attach post create",
    ),
    (
        "network-global-attach-post-deploy",
        "Network global attach post deploy",
    ),
    (
        "network-global-bind-all-interfaces",
        "Network global bind all interfaces",
    ),
    (
        "network-global-initial-network",
        "Network global initial network",
    ),
    ("network-global-tld", "Network global tld"),
    ("network-initial-network", "Network initial network"),
    ("network-static-web-listener", "Network static web listener"),
    ("network-tld", "Network tld"),
    ("network-web-listeners", "Network web listeners"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (flag, label) in REPORT_FIELDS {
        if app == property::GLOBAL && !report::is_global_row(flag) {
            continue;
        }
        let field = flag.trim_start_matches("network-");
        let value = if field == "web-listeners" {
            config::web_listeners(app).join(" ")
        } else if let Some(key) = field.strip_prefix("computed-") {
            computed(app, key)?
        } else if let Some(key) = field.strip_prefix("global-") {
            // Raw, as Dokku: empty when unset (the computed row has the default).
            property::get_or(PROPS, property::GLOBAL, key, "")?
        } else {
            property::get_or(PROPS, app, field, "")?
        };
        rows.push((flag.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} network information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// The initial network's `docker run` arguments; aliases only on user-defined networks, where
/// Docker allows them.
fn initial_network_args(app: &str, kind: Option<&str>, index: Option<&str>) -> Result<Vec<String>> {
    let network = computed(app, "initial-network")?;
    if network.is_empty() {
        return Ok(Vec::new());
    }
    let mut words = vec!["--network".to_string(), network.clone()];
    if let Some(kind) = kind.filter(|_| !net::BUILTIN.contains(&network.as_str())) {
        let tld = computed(app, "tld")?;
        let dyno = format!("{kind}.{}", index.unwrap_or("1"));
        let mut aliases = net::aliases(app, kind, &dyno, &tld);
        if index.is_none() {
            aliases.truncate(1);
        }
        for a in aliases {
            words.push("--network-alias".into());
            words.push(a);
        }
    }
    Ok(words)
}

/// Trigger `docker-args-deploy APP TAG [PROC INDEX]`: echoes stdin, appends the initial
/// network and the container's aliases on it.
fn trigger_docker_args_deploy(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let words = match argv.first() {
        Some(app) if appname::is_valid(app) => initial_network_args(
            app,
            argv.get(2).map(String::as_str),
            argv.get(3).map(String::as_str),
        )?,
        _ => Vec::new(),
    };
    dockerargs::emit(&stdin, &words)
}

/// Trigger `docker-args-run APP TAG`: echoes stdin, appends the initial network.
fn trigger_docker_args_run(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let words = match argv.first() {
        Some(app) if appname::is_valid(app) => initial_network_args(app, None, None)?,
        _ => Vec::new(),
    };
    dockerargs::emit(&stdin, &words)
}

/// Trigger `network-build-config APP`: re-attaches the app's running containers.
fn trigger_network_build_config(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("network-build-config needs APP");
    };
    rebuild_app(app)
}

/// Trigger `network-get-property APP PROPERTY`: prints the computed value.
fn trigger_network_get_property(argv: &[String]) -> Result<()> {
    let [app, key] = argv else {
        bail!("network-get-property needs APP PROPERTY");
    };
    if !KEYS.contains(&key.as_str()) {
        bail!(
            "invalid network property {key:?}; valid: {}",
            KEYS.join(", ")
        );
    }
    println!("{}", computed(app, key)?);
    Ok(())
}

/// Trigger `post-deploy APP INTERNAL_PORT INTERNAL_IP_ADDRESS IMAGE_TAG`: attaches the new
/// containers to the `attach-post-deploy` networks (before the proxy switches, as the
/// `nginx-vhosts` plugin sorts after this one).
fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-deploy needs APP");
    };
    let nets = split_list(&computed(app, "attach-post-deploy")?);
    if nets.is_empty() {
        return Ok(());
    }
    log::info1(&format!(
        "Attaching {app} to network(s) {}",
        nets.join(", ")
    ));
    attach_all(app, &nets)
}

/// Trigger `post-container-create TYPE CONTAINER_ID APP PHASE [PROC_TYPE]`: connects a new app
/// container (TYPE `app`), before it starts, to the app's `attach-post-create` networks; deploy
/// containers answer there at `APP.PROC_TYPE` and `APP.PROC_TYPE.N` (with `.TLD` when set), run
/// containers get no alias, as Dokku.
fn trigger_post_container_create(argv: &[String]) -> Result<()> {
    let [kind, id, app, phase, rest @ ..] = argv else {
        bail!("post-container-create needs TYPE CONTAINER_ID APP PHASE [PROC_TYPE], got {argv:?}");
    };
    if kind != "app" {
        return Ok(());
    }
    appname::validate(app)?;
    let nets = split_list(&computed(app, "attach-post-create")?);
    if nets.is_empty() {
        return Ok(());
    }
    let (on, dyno) = net::new_container(id)
        .with_context(|| format!("cannot inspect the new container {id} of {app}"))?;
    let aliases = match rest.first().filter(|_| phase == "deploy") {
        Some(proc_type) => {
            let tld = computed(app, "tld")?;
            let mut a = net::aliases(app, proc_type, &dyno, &tld);
            if dyno.is_empty() {
                a.truncate(1);
            }
            a
        }
        None => Vec::new(),
    };
    let what = format!("the {phase} container {} of {app}", &id[..id.len().min(12)]);
    for n in nets.iter().filter(|n| !on.contains(n)) {
        net::connect_id(id, &what, n, &aliases)?;
        // A run container's output is the command's own: nothing said there.
        if phase == "deploy" {
            log::verbose(&format!("Attached {what} to network {n}"));
        }
    }
    Ok(())
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
