//! The network commands: `network:create|destroy|exists|info|list|rebuild|rebuildall|set`.

use super::*;
use dokku_core::report;

/// The one network name a command takes.
pub(crate) fn one_network(
    argv: &[String],
    bool_flags: &[&str],
    usage: &str,
) -> Result<(args::Args, String)> {
    let a = args::parse(argv, bool_flags, &[])?;
    a.at_most(1, usage)?;
    let Some(name) = a.pos(0).cloned() else {
        bail!("Please specify a network name; usage: {usage}");
    };
    Ok((a, name))
}

/// `network:create NAME`: an attachable bridge network labelled `dokku`.
pub(crate) fn create(argv: &[String]) -> Result<()> {
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
pub(crate) fn destroy(argv: &[String]) -> Result<()> {
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
pub(crate) fn exists(argv: &[String]) -> Result<()> {
    let (_, name) = one_network(argv, &[], usage())?;
    net::validate(&name)?;
    if !net::exists(&name)? {
        bail!("Network does not exist");
    }
    println!("Network exists");
    Ok(())
}

/// The `network:info` report of one network.
pub(crate) fn info_report(n: &net::Listed) -> Report {
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
pub(crate) fn json_format(v: Option<&str>) -> Result<bool> {
    match v {
        None | Some("text") | Some("stdout") => Ok(false),
        Some("json") => Ok(true),
        Some(other) => bail!("Invalid format {other:?} specified, use either text or json"),
    }
}

/// `network:info NAME [--format text|json]`: any network of the engine. The json object has
/// Dokku's keys (`Name`, `ID`, `Driver`, …) and the report's (`network-name`, …).
pub(crate) fn info(argv: &[String]) -> Result<()> {
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
pub(crate) fn list(argv: &[String]) -> Result<()> {
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
pub(crate) fn attach(app: &str, nets: &[String]) -> Result<usize> {
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
pub(crate) fn rebuild_app(app: &str) -> Result<()> {
    attach_all(app, &attach_networks(app)?)
}

/// Attaches the app's running containers to `nets`, failing with the number of attachments
/// that failed.
pub(crate) fn attach_all(app: &str, nets: &[String]) -> Result<()> {
    let failed = attach(app, nets)?;
    if failed > 0 {
        bail!("{failed} network attachment(s) of {app} failed");
    }
    Ok(())
}

/// `network:rebuild APP`.
pub(crate) fn rebuild(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    log::info1(&format!("Rebuilding network settings for {app}"));
    rebuild_app(&app)
}

/// `network:rebuildall`.
pub(crate) fn rebuildall(argv: &[String]) -> Result<()> {
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
pub(crate) fn set(argv: &[String]) -> Result<()> {
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
