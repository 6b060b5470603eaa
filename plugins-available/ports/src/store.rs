//! Where an app's port maps live: property `ports`/APP/`map` (set by `ports:*`) and
//! `map-detected` (from the Dockerfile's `EXPOSE`), space-separated; read-modify-write under a
//! lock so that concurrent changes are never lost.

use crate::map::PortMap;
use anyhow::{Context, Result};
use dokku_core::property;

/// The property plugin name of the ports plugin.
pub const PROPS: &str = "ports";

/// The map used when neither a configured nor a detected one exists.
pub const DEFAULT_MAP: &str = "http:80:5000";

/// The configured maps of an app.
pub fn configured(app: &str) -> Result<Vec<PortMap>> {
    Ok(PortMap::parse_list(&property::get_or(
        PROPS, app, "map", "",
    )?))
}

/// The detected maps of an app.
pub fn detected(app: &str) -> Result<Vec<PortMap>> {
    Ok(PortMap::parse_list(&property::get_or(
        PROPS,
        app,
        "map-detected",
        "",
    )?))
}

/// The maps in force: the configured ones, else the detected ones, else `http:80:5000`.
pub fn effective(app: &str) -> Result<Vec<PortMap>> {
    let c = configured(app)?;
    if !c.is_empty() {
        return Ok(c);
    }
    let d = detected(app)?;
    if !d.is_empty() {
        return Ok(d);
    }
    Ok(vec![PortMap::parse(DEFAULT_MAP)?])
}

/// Writes (or, when empty, deletes) a map property.
pub fn write(app: &str, key: &str, maps: &[PortMap]) -> Result<()> {
    if maps.is_empty() {
        property::delete(PROPS, app, key)
    } else {
        property::write(PROPS, app, key, &PortMap::join(maps))
    }
}

/// Runs `f` on the configured maps under the app's ports lock and stores what it returns.
pub fn edit(app: &str, f: impl FnOnce(Vec<PortMap>) -> Result<Vec<PortMap>>) -> Result<()> {
    let dir = property::dir(PROPS, app)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = plugn::atomic::lock(&dir.join("map"))?;
    let new = f(configured(app)?)?;
    write(app, "map", &new)
}

/// Appends the maps not already in `v`.
pub fn merge(v: &mut Vec<PortMap>, add: &[PortMap]) {
    for m in add {
        if !v.contains(m) {
            v.push(m.clone());
        }
    }
}
