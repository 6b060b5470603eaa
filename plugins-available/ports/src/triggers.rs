//! The triggers of the ports plugin: `ports-get APP`, `ports-get-container-port APP`,
//! `ports-configure APP`, `ports-set-detected APP [MAP…]` and `post-extract APP DIR [REV]` (the
//! Dockerfile's `EXPOSE`), `post-certs-update APP` and `post-certs-remove APP`.

use crate::map::{self, PortMap};
use crate::store;
use anyhow::{bail, Context, Result};
use dokku_core::{appname, trigger_value};
use std::io::Write;
use std::path::Path;

/// The app argument of a trigger, as a valid app name.
fn app_arg<'a>(argv: &'a [String], name: &str) -> Result<&'a str> {
    let Some(app) = argv.first() else {
        bail!("{name} needs APP");
    };
    appname::validate(app)?;
    Ok(app)
}

/// The maps in force, plus `https:443:PORT` (PORT: the first http map's container port) when
/// the app has a certificate (`certs-exists APP` says `true`) and no https map.
pub fn maps_with_tls(app: &str) -> Result<Vec<PortMap>> {
    maps_with(app, || {
        Ok(trigger_value("certs-exists", &[app])?
            .is_some_and(|v| v.lines().any(|l| l.trim() == "true")))
    })
}

/// The maps in force, plus the https map when `has_cert()` says the app has a certificate.
fn maps_with(app: &str, has_cert: impl FnOnce() -> Result<bool>) -> Result<Vec<PortMap>> {
    let mut maps = store::effective(app)?;
    if maps.iter().any(|m| m.scheme == "https") {
        return Ok(maps);
    }
    let Some(port) = maps
        .iter()
        .find(|m| m.scheme == "http")
        .map(|m| m.container)
    else {
        return Ok(maps);
    };
    if has_cert()? {
        maps.push(PortMap {
            scheme: "https".into(),
            host: 443,
            container: port,
        });
    }
    Ok(maps)
}

/// Trigger `ports-get APP`: the maps in force, one per line (batch form `ports-get --all`,
/// asking `certs-exists --all` once).
pub fn ports_get(argv: &[String]) -> Result<()> {
    if argv.first().map(String::as_str) == Some(dokku_core::batch::ALL) {
        let apps = appname::all()?;
        let certs = dokku_core::batch::lines("certs-exists", &[], &apps, |app| {
            Ok(trigger_value("certs-exists", &[app])?
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect())
        })?;
        dokku_core::batch::answer(argv, |app, _| {
            let has = certs
                .get(app)
                .is_some_and(|v| v.iter().any(|l| l.trim() == "true"));
            Ok(maps_with(app, || Ok(has))?
                .iter()
                .map(|m| m.to_string())
                .collect())
        })?;
        return Ok(());
    }
    let app = app_arg(argv, "ports-get")?;
    let mut o = std::io::stdout().lock();
    for m in maps_with_tls(app)? {
        writeln!(o, "{m}")?;
    }
    Ok(())
}

/// Trigger `ports-get-container-port APP`: the container port of the first http map (else of
/// the first map); the scheduler publishes it and sets `PORT` to it.
pub fn container_port(argv: &[String]) -> Result<()> {
    if dokku_core::batch::answer(argv, |app, _| {
        Ok(map::container_port(&store::effective(app)?)
            .map(|p| p.to_string())
            .into_iter()
            .collect())
    })? {
        return Ok(());
    }
    let app = app_arg(argv, "ports-get-container-port")?;
    if let Some(p) = map::container_port(&store::effective(app)?) {
        println!("{p}");
    }
    Ok(())
}

/// Trigger `ports-configure APP`: makes sure the app has a port map, as Dokku: when it has
/// neither a configured nor a detected one, the default `http:80:5000` is recorded as its
/// detected map (a later build's `EXPOSE` replaces it); otherwise nothing changes.
pub fn configure(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "ports-configure")?;
    appname::verify(app)?;
    if !store::configured(app)?.is_empty() || !store::detected(app)?.is_empty() {
        return Ok(());
    }
    store::write(app, "map-detected", &[PortMap::parse(store::DEFAULT_MAP)?])
}

/// Trigger `ports-set-detected APP [MAP…]` (as Dokku's, for builders): the detected maps
/// become these (none: cleared).
pub fn set_detected(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "ports-set-detected")?;
    let mut maps = Vec::new();
    for raw in argv[1..].iter().flat_map(|a| a.split_whitespace()) {
        store::merge(&mut maps, &[PortMap::parse(raw)?]);
    }
    store::write(app, "map-detected", &maps)
}

/// Trigger `post-extract APP DIR [REV]`: a Dockerfile in DIR that `EXPOSE`s a tcp port sets the
/// detected map to `http:80:PORT` (the first such port); otherwise the detected map is cleared.
pub fn post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        bail!("post-extract needs APP DIR");
    };
    appname::validate(app)?;
    let dockerfile = Path::new(dir).join("Dockerfile");
    let port = if dockerfile.is_file() {
        let text = std::fs::read_to_string(&dockerfile)
            .with_context(|| format!("cannot read {}", dockerfile.display()))?;
        map::first_exposed_port(&text)
    } else {
        None
    };
    let maps: Vec<PortMap> = port
        .map(|p| PortMap {
            scheme: "http".into(),
            host: 80,
            container: p,
        })
        .into_iter()
        .collect();
    store::write(app, "map-detected", &maps)
}

/// Trigger `post-certs-update APP`, as Dokku's ports plugin answers it: when the maps in force
/// hold `http:80:PORT` maps, the configured maps become them with every `https:443` map
/// replaced by `https:443:PORT` for each such PORT; otherwise nothing changes.
pub fn post_certs_update(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "post-certs-update")?;
    appname::verify(app)?;
    store::edit(app, |cur| {
        let base = if cur.is_empty() {
            store::effective(app)?
        } else {
            cur.clone()
        };
        let http80: Vec<u16> = base
            .iter()
            .filter(|m| m.scheme == "http" && m.host == 80)
            .map(|m| m.container)
            .collect();
        if http80.is_empty() {
            return Ok(cur);
        }
        let mut next: Vec<PortMap> = base
            .into_iter()
            .filter(|m| !(m.scheme == "https" && m.host == 443))
            .collect();
        let https: Vec<PortMap> = http80
            .into_iter()
            .map(|container| PortMap {
                scheme: "https".into(),
                host: 443,
                container,
            })
            .collect();
        store::merge(&mut next, &https);
        Ok(next)
    })
}

/// Trigger `post-certs-remove APP`, as Dokku's ports plugin answers it: the configured
/// `https:443` maps are taken away.
pub fn post_certs_remove(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "post-certs-remove")?;
    appname::verify(app)?;
    store::edit(app, |cur| {
        Ok(cur
            .into_iter()
            .filter(|m| !(m.scheme == "https" && m.host == 443))
            .collect())
    })
}
