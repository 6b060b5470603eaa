//! An app's processes: its `Procfile` (`TYPE: COMMAND` lines, kept from the last build in
//! `$DOKKU_LIB_ROOT/data/ps/APP/Procfile`) and its scale (`TYPE=COUNT` lines in the ps
//! property list `$DOKKU_LIB_ROOT/config/ps/APP/scale`, where Dokku 0.38 keeps it; the
//! `$DOKKU_ROOT/APP/DOKKU_SCALE` of older releases is drained into it on first use).

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// One process type of a Procfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// The process type (`web`, `worker`, …).
    pub kind: String,
    /// Its command.
    pub command: String,
}

/// Checks a process type name (`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`, at most 63 bytes).
pub fn validate_type(kind: &str) -> Result<()> {
    let ok = kind.len() <= 63
        && kind
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        bail!("invalid process type {kind:?}: use letters, digits, '-' and '_'");
    }
    Ok(())
}

/// Parses a Procfile; a bad line is named by its number.
pub fn parse(text: &str) -> Result<Vec<Process>> {
    let mut out: Vec<Process> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((kind, command)) = t.split_once(':') else {
            bail!(
                "Procfile line {}: expected `TYPE: COMMAND`, got {t:?}",
                i + 1
            );
        };
        let (kind, command) = (kind.trim(), command.trim());
        validate_type(kind).with_context(|| format!("Procfile line {}", i + 1))?;
        if command.is_empty() {
            bail!(
                "Procfile line {}: process type {kind} has no command",
                i + 1
            );
        }
        if out.iter().any(|p| p.kind == kind) {
            bail!("Procfile line {}: process type {kind} appears twice", i + 1);
        }
        out.push(Process {
            kind: kind.to_string(),
            command: command.to_string(),
        });
    }
    Ok(out)
}

/// The folder where ps keeps an app's Procfile and app.json from its last deploy.
pub fn data_dir(app: &str) -> PathBuf {
    crate::paths().lib_root.join("data/ps").join(app)
}

/// The deployed Procfile of an app (empty when it has none).
pub fn deployed(app: &str) -> Result<Vec<Process>> {
    let p = data_dir(app).join("Procfile");
    match std::fs::read_to_string(&p) {
        Ok(t) => parse(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// The file of the app's scale (the ps property `scale`).
pub fn scale_file(app: &str) -> PathBuf {
    crate::paths()
        .lib_root
        .join("config/ps")
        .join(app)
        .join("scale")
}

/// Drains the app's legacy `$DOKKU_ROOT/APP/DOKKU_SCALE` into its scale file, under that
/// file's lock (a scale already recorded there wins), then removes it. Returns whether a
/// legacy file was drained.
pub fn migrate_scale(app: &str) -> Result<bool> {
    let legacy = crate::appname::app_dir(app).join("DOKKU_SCALE");
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

fn read_scale(p: &std::path::Path) -> Result<Vec<(String, u32)>> {
    match std::fs::read_to_string(p) {
        Ok(t) => parse_scale(&t).with_context(|| format!("cannot parse {}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn write_scale(p: &std::path::Path, s: &[(String, u32)]) -> Result<()> {
    let text: String = s.iter().map(|(k, n)| format!("{k}={n}\n")).collect();
    plugn::atomic::write(p, text.as_bytes(), 0o644)
}

/// Parses `TYPE=COUNT` lines.
pub fn parse_scale(text: &str) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((k, n)) = t.split_once('=') else {
            bail!("scale line {}: expected TYPE=COUNT, got {t:?}", i + 1);
        };
        validate_type(k.trim())?;
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("scale line {}: {n:?} is not a count", i + 1))?;
        out.push((k.trim().to_string(), n));
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfiles() {
        let p = parse("# comment\nweb: ./server --port $PORT\n\nworker:  run-jobs  \n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].command, "./server --port $PORT");
        assert_eq!(p[1].kind, "worker");
        for bad in ["web ./x", "we b: x", "web:", "web: a\nweb: b", ": x"] {
            let e = parse(bad).unwrap_err();
            assert!(format!("{e:#}").contains("line"), "{bad}: {e:#}");
        }
        assert_eq!(
            parse_scale("web=2\nworker=0\n").unwrap()[0],
            ("web".into(), 2)
        );
        assert!(parse_scale("web=x").is_err());
    }
}
