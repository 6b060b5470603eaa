//! Where ps keeps an app's processes: the Procfile of the last build in
//! `$DOKKU_LIB_ROOT/data/ps/APP/Procfile` and the scale (`TYPE=COUNT` lines in the ps
//! property list `$DOKKU_LIB_ROOT/config/ps/APP/scale`, where Dokku 0.38 keeps it; the
//! `$DOKKU_ROOT/APP/DOKKU_SCALE` of older releases is drained into it on first use). Other
//! plugins ask through `ps-current-scale`, `procfile-get-command` and `ps-procfile`; the
//! parsing is core's (`dokku_core::procfile`).

use anyhow::{Context, Result};
use dokku_core::procfile::{parse, parse_scale, Process};
use std::path::{Path, PathBuf};

/// The folder where ps keeps an app's Procfile from its last deploy.
pub fn data_dir(app: &str) -> PathBuf {
    dokku_core::paths().lib_root.join("data/ps").join(app)
}

/// The text of the app's deployed Procfile (empty when it has none).
pub fn deployed_text(app: &str) -> Result<String> {
    let p = data_dir(app).join("Procfile");
    match std::fs::read_to_string(&p) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// The deployed Procfile of an app (empty when it has none).
pub fn deployed(app: &str) -> Result<Vec<Process>> {
    parse(&deployed_text(app)?)
}

/// The file of the app's scale (the ps property `scale`).
pub fn scale_file(app: &str) -> PathBuf {
    dokku_core::paths()
        .lib_root
        .join("config/ps")
        .join(app)
        .join("scale")
}

/// Drains the app's legacy `$DOKKU_ROOT/APP/DOKKU_SCALE` into its scale file, under that
/// file's lock (a scale already recorded there wins), then removes it. Returns whether a
/// legacy file was drained.
pub fn migrate_scale(app: &str) -> Result<bool> {
    let legacy = dokku_core::appname::app_dir(app).join("DOKKU_SCALE");
    if !legacy.exists() {
        return Ok(false);
    }
    let p = scale_file(app);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let _lock = plugn::atomic::lock(&p)?;
    let text = match std::fs::read_to_string(&legacy) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", legacy.display())),
    };
    let old = parse_scale(&text).with_context(|| format!("cannot parse {}", legacy.display()))?;
    let mut s = read_scale(&p)?;
    for (k, n) in old {
        if !s.iter().any(|(x, _)| *x == k) {
            s.push((k, n));
        }
    }
    write_scale(&p, &s)?;
    std::fs::remove_file(&legacy).with_context(|| format!("cannot remove {}", legacy.display()))?;
    Ok(true)
}

fn read_scale(p: &Path) -> Result<Vec<(String, u32)>> {
    match std::fs::read_to_string(p) {
        Ok(t) => parse_scale(&t).with_context(|| format!("cannot parse {}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn write_scale(p: &Path, s: &[(String, u32)]) -> Result<()> {
    let text: String = s.iter().map(|(k, n)| format!("{k}={n}\n")).collect();
    plugn::atomic::write(p, text.as_bytes(), 0o644)
}

/// The app's scale, in file order (empty when never scaled).
pub fn scale(app: &str) -> Result<Vec<(String, u32)>> {
    migrate_scale(app)?;
    read_scale(&scale_file(app))
}

/// Changes the app's scale under the file's lock: `change` edits the (type, count) list.
pub fn update_scale(app: &str, change: impl FnOnce(&mut Vec<(String, u32)>)) -> Result<()> {
    migrate_scale(app)?;
    let p = scale_file(app);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let _lock = plugn::atomic::lock(&p)?;
    let mut s = read_scale(&p)?;
    change(&mut s);
    write_scale(&p, &s)
}

/// How many instances of each process type run: the scale where set, else 1 for `web` and 0
/// for the others (as Dokku), for every type of `processes`.
pub fn effective_scale(app: &str, processes: &[Process]) -> Result<Vec<(String, u32)>> {
    let set = scale(app)?;
    Ok(processes
        .iter()
        .map(|p| {
            let n = set
                .iter()
                .find(|(k, _)| *k == p.kind)
                .map(|(_, n)| *n)
                .unwrap_or(u32::from(p.kind == "web"));
            (p.kind.clone(), n)
        })
        .collect())
}
