//! Where an app's containers answer, as Dokku keeps it: `$DOKKU_ROOT/APP/IP.TYPE.N` and
//! `PORT.TYPE.N`, written when the scheduler asks (`network-write-ipaddr`,
//! `network-write-port`, cleared per process type by `network-clear-listeners`) and read by
//! the proxy and the schedulers (`network-get-listeners`), never by reading these files.

use anyhow::{bail, Context, Result};
use dokku_core::appname::{self, app_dir};
use dokku_core::{docker, procfile, property, Exit};

/// The two kinds of record, by file prefix.
const PREFIXES: [&str; 2] = ["IP", "PORT"];

/// `(APP, PROC_TYPE, INDEX, VALUE)` of a write trigger, checked.
fn write_args<'a>(name: &str, argv: &'a [String]) -> Result<(&'a str, &'a str, u32, &'a str)> {
    let [app, kind, index, value] = argv else {
        bail!("{name} needs APP PROC_TYPE CONTAINER_INDEX VALUE, got {argv:?}");
    };
    appname::verify(app)?;
    procfile::validate_type(kind)?;
    let index: u32 = index
        .parse()
        .ok()
        .filter(|i| *i > 0)
        .with_context(|| format!("{name}: CONTAINER_INDEX {index:?} is not a number from 1"))?;
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '/') {
        bail!("{name}: invalid value {value:?} for {app} {kind}.{index}");
    }
    Ok((app, kind, index, value))
}

/// Writes `PREFIX.TYPE.N` of the app.
fn write(prefix: &str, name: &str, argv: &[String]) -> Result<()> {
    let (app, kind, index, value) = write_args(name, argv)?;
    let path = app_dir(app).join(format!("{prefix}.{kind}.{index}"));
    plugn::atomic::write(&path, format!("{value}\n").as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Trigger `network-write-ipaddr APP PROC_TYPE CONTAINER_INDEX IP`: records the address
/// instance N of PROC_TYPE answers on (`IP.PROC_TYPE.N`).
pub fn trigger_write_ipaddr(argv: &[String]) -> Result<()> {
    write("IP", "network-write-ipaddr", argv)
}

/// Trigger `network-write-port APP PROC_TYPE CONTAINER_INDEX PORT`: records the port instance N
/// of PROC_TYPE answers on (`PORT.PROC_TYPE.N`).
pub fn trigger_write_port(argv: &[String]) -> Result<()> {
    let (_, _, _, port) = write_args("network-write-port", argv)?;
    if port.parse::<u16>().map_or(true, |p| p == 0) {
        bail!("network-write-port: PORT {port:?} is not a port number");
    }
    write("PORT", "network-write-port", argv)
}

/// One recorded instance: its index and `IP:PORT`.
fn listeners_of(app: &str, kind: &str) -> Vec<(u32, String)> {
    let dir = app_dir(app);
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let prefix = format!("PORT.{kind}.");
    let mut v: Vec<(u32, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(index) = name.strip_prefix(&prefix).and_then(|n| n.parse().ok()) else {
                continue;
            };
            let port = read(&name);
            let ip = read(&format!("IP.{kind}.{index}"));
            if !port.is_empty() && !ip.is_empty() {
                v.push((index, format!("{ip}:{port}")));
            }
        }
    }
    v.sort();
    v
}

/// The property naming the one `ADDR:PORT` an app's web traffic goes to instead of its
/// containers (a listener outside Docker).
pub const STATIC_WEB_LISTENER: &str = "static-web-listener";

/// The app's `static-web-listener` (empty when unset).
pub fn static_web_listener(app: &str) -> Result<String> {
    Ok(property::get("network", app, STATIC_WEB_LISTENER)?.unwrap_or_default())
}

/// Checks a `static-web-listener` value, `ADDR:PORT`: ADDR an IPv4 address, a host name or a
/// bracketed IPv6 address, PORT from 1 to 65535; returns it as stored.
pub fn validate_listener(v: &str) -> Result<String> {
    let bad = || {
        anyhow::anyhow!(
            "invalid static-web-listener {v:?}: use ADDR:PORT (an IPv4 address, a host name or \
             [IPv6], and a port from 1 to 65535)"
        )
    };
    let (addr, port) = v.rsplit_once(':').ok_or_else(bad)?;
    if port.is_empty()
        || !port.chars().all(|c| c.is_ascii_digit())
        || port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(bad());
    }
    let ok = if let Some(inner) = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().is_ok()
    } else if addr.chars().all(|c| c.is_ascii_digit() || c == '.') {
        addr.parse::<std::net::Ipv4Addr>().is_ok()
    } else {
        dokku_core::hostname::is_dns_name(addr)
    };
    if !ok {
        return Err(bad());
    }
    Ok(v.to_string())
}

/// The `IP:PORT`s the app's web traffic goes to: its `static-web-listener` when set, else
/// where its web containers answer, in instance order.
pub fn web_listeners(app: &str) -> Vec<String> {
    match static_web_listener(app) {
        Ok(l) if !l.is_empty() => return vec![l],
        _ => {}
    }
    listeners_of(app, "web")
        .into_iter()
        .map(|(_, l)| l)
        .collect()
}

/// Trigger `network-get-listeners APP [PROC_TYPE]`: one `IP:PORT` line per recorded instance
/// of PROC_TYPE (default `web`), in instance order; for `web`, the app's
/// `static-web-listener` alone when it is set (the proxy then points there).
pub fn trigger_get_listeners(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("network-get-listeners needs APP [PROC_TYPE]");
    };
    if app != dokku_core::batch::ALL {
        appname::verify(app)?;
    }
    let kind = argv
        .get(1)
        .map(String::as_str)
        .filter(|k| !k.is_empty())
        .unwrap_or("web");
    procfile::validate_type(kind)?;
    if dokku_core::batch::answer(argv, |app, _| listener_lines(app, kind))? {
        return Ok(());
    }
    for l in listener_lines(app, kind)? {
        println!("{l}");
    }
    Ok(())
}

/// The lines of `network-get-listeners APP KIND`: the static web listener when set, else one
/// `IP:PORT` per instance.
fn listener_lines(app: &str, kind: &str) -> Result<Vec<String>> {
    if kind == "web" {
        let fixed = static_web_listener(app)?;
        if !fixed.is_empty() {
            return Ok(vec![fixed]);
        }
    }
    Ok(listeners_of(app, kind)
        .into_iter()
        .map(|(_, l)| l)
        .collect())
}

/// Trigger `network-clear-listeners APP PROC_TYPE`: forgets where the instances of PROC_TYPE
/// answer (`IP.PROC_TYPE.N`, `PORT.PROC_TYPE.N`), for a scheduler that moved them and writes
/// them again (`network-write-ipaddr`, `network-write-port`).
pub fn trigger_clear_listeners(argv: &[String]) -> Result<()> {
    let [app, kind] = argv else {
        bail!("network-clear-listeners needs APP PROC_TYPE");
    };
    appname::verify(app)?;
    procfile::validate_type(kind)?;
    let ours = |f: &std::path::Path| {
        let n = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        PREFIXES.iter().any(|p| {
            n.strip_prefix(&format!("{p}.{kind}."))
                .is_some_and(|i| i.parse::<u32>().is_ok())
        })
    };
    for f in record_files(app).into_iter().filter(|f| ours(f)) {
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", f.display())),
        }
    }
    Ok(())
}

/// The app's `IP.*` and `PORT.*` files.
fn record_files(app: &str) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(app_dir(app)) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            PREFIXES.iter().any(|p| n.starts_with(&format!("{p}.")))
        })
        .map(|e| e.path())
        .collect()
}

/// Trigger `network-config-exists APP`: exit 0 when the app has recorded addresses, else 1.
pub fn trigger_config_exists(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("network-config-exists needs APP");
    };
    appname::validate(app)?;
    if record_files(app).is_empty() {
        return Err(Exit(1).into());
    }
    Ok(())
}

/// Trigger `network-clear-config APP`: forgets the app's recorded addresses (`IP.*`, `PORT.*`).
pub fn trigger_clear_config(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("network-clear-config needs APP");
    };
    appname::validate(app)?;
    for f in record_files(app) {
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", f.display())),
        }
    }
    Ok(())
}

/// What the engine says of a container's addresses: its published ports, its networks' IPs and
/// its `PORT` variable.
struct Addresses {
    /// `(host ip, host port)` of each published port.
    published: Vec<(String, String)>,
    /// The container's IP on each of its networks.
    ips: Vec<String>,
    /// The `PORT` of its environment.
    env_port: Option<String>,
}

fn inspect(app: &str, id: &str) -> Result<Addresses> {
    if id.is_empty() || id.starts_with('-') {
        bail!("invalid container id {id:?}");
    }
    let out = docker::output([
        "container",
        "inspect",
        "--format",
        "{{json .HostConfig.PortBindings}}\t{{json .NetworkSettings.Networks}}\t{{json .Config.Env}}\t{{index .Config.Labels \"com.dokku.app-name\"}}",
        id,
    ])
    .with_context(|| format!("cannot inspect container {id} of {app}"))?;
    let f: Vec<&str> = out.splitn(4, '\t').collect();
    let [bindings, networks, env, owner] = f.as_slice() else {
        bail!("docker inspect printed {out:?}");
    };
    if *owner != app {
        bail!("container {id} is not one of {app}'s");
    }
    let json = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap_or_default();
    let mut published = Vec::new();
    if let Some(m) = json(bindings).as_object() {
        for list in m.values().filter_map(|v| v.as_array()) {
            for b in list {
                let s = |k: &str| b.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                published.push((s("HostIp"), s("HostPort")));
            }
        }
    }
    let ips = json(networks)
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(|n| n.get("IPAddress").and_then(|x| x.as_str()))
                .filter(|ip| !ip.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let env_port = json(env).as_array().and_then(|a| {
        a.iter()
            .filter_map(|v| v.as_str())
            .find_map(|v| v.strip_prefix("PORT=").map(str::to_string))
    });
    Ok(Addresses {
        published,
        ips,
        env_port,
    })
}

/// `(APP, CONTAINER_ID)` of a get trigger.
fn get_args<'a>(name: &str, argv: &'a [String]) -> Result<(&'a str, &'a str)> {
    let [app, _kind, id, ..] = argv else {
        bail!("{name} needs APP PROC_TYPE CONTAINER_ID");
    };
    appname::validate(app)?;
    Ok((app, id))
}

/// Trigger `network-get-ipaddr APP PROC_TYPE CONTAINER_ID`: the address a container answers on
/// from this host: the loopback address its port is published on, else its IP on its first
/// network (empty when it has none).
pub fn trigger_get_ipaddr(argv: &[String]) -> Result<()> {
    let (app, id) = get_args("network-get-ipaddr", argv)?;
    let a = inspect(app, id)?;
    let ip = match a.published.first() {
        Some((host, _)) if host.is_empty() || host == "0.0.0.0" => "127.0.0.1".to_string(),
        Some((host, _)) => host.clone(),
        None => a.ips.first().cloned().unwrap_or_default(),
    };
    println!("{ip}");
    Ok(())
}

/// Trigger `network-get-port APP PROC_TYPE CONTAINER_ID [IS_HEROKUISH]`: the port a container
/// answers on: its published host port, else the `PORT` it was given, else 5000.
pub fn trigger_get_port(argv: &[String]) -> Result<()> {
    let (app, id) = get_args("network-get-port", argv)?;
    let a = inspect(app, id)?;
    let port = a
        .published
        .first()
        .map(|(_, p)| p.clone())
        .filter(|p| !p.is_empty())
        .or(a.env_port)
        .unwrap_or_else(|| "5000".to_string());
    println!("{port}");
    Ok(())
}
