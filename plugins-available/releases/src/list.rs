//! `releases APP [--format json]` (newest first, the current one marked) and `releases:info APP
//! vN [--format json]` (config keys only: the values stay in the 0600 snapshot).

use crate::store::{self, Release};
use anyhow::{anyhow, bail, Result};
use dokku_core::{appname, args};
use serde_json::json;

fn format_of(a: &args::Args) -> Result<bool> {
    match a.value("--format") {
        None | Some("stdout") => Ok(false),
        Some("json") => Ok(true),
        Some(f) => bail!("invalid --format {f:?}: use stdout or json"),
    }
}

fn short(id: &str) -> String {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id[..id.len().min(12)].to_string()
}

fn to_json(r: &Release, current: bool) -> serde_json::Value {
    json!({
        "version": format!("v{}", r.version),
        "current": current,
        "kind": r.kind,
        "rollback_of": r.rollback_of.map(|v| format!("v{v}")),
        "status": r.status,
        "image_id": r.image_id,
        "image": r.image,
        "image_kept": !r.pruned,
        "git_rev": r.git_rev,
        "builder": r.builder,
        "ssh_name": r.ssh_name,
        "ssh_fingerprint": r.ssh_fingerprint,
        "created_at": r.created_at,
    })
}

/// `releases APP [--format stdout|json]`.
pub fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, "dokku releases <app> [--format stdout|json]")?;
    let json = format_of(&a)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let releases = store::load(&app)?;
    let cur = store::current(&releases).map(|r| r.version);
    if json {
        let v: Vec<_> = releases
            .iter()
            .rev()
            .map(|r| to_json(r, Some(r.version) == cur))
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(());
    }
    println!("=====> {app} releases");
    for r in releases.iter().rev() {
        let mark = if Some(r.version) == cur { "*" } else { " " };
        let what = match r.rollback_of {
            Some(v) => format!("rollback to v{v}"),
            None => r.kind.clone(),
        };
        let rev = &r.git_rev[..r.git_rev.len().min(12)];
        println!(
            "{mark} v{:<5} {:<12} {:<16} {:<12} {:<12} {:<18} {} {}{}",
            r.version,
            r.status,
            what,
            short(&r.image_id),
            if rev.is_empty() { "-" } else { rev },
            if r.builder.is_empty() {
                "-"
            } else {
                &r.builder
            },
            r.ssh_name,
            r.created_at,
            if r.pruned && r.status != store::FAILED {
                " (image pruned)"
            } else {
                ""
            },
        );
    }
    Ok(())
}

/// `releases:info APP vN [--format stdout|json]`.
pub fn info(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(2, "dokku releases:info <app> <vN> [--format stdout|json]")?;
    let json = format_of(&a)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(v) = a.pos(1) else {
        bail!("no release given; usage: dokku releases:info <app> <vN>");
    };
    let n = store::parse_version(v)?;
    let releases = store::load(&app)?;
    let cur = store::current(&releases).map(|r| r.version);
    let r = releases
        .iter()
        .find(|r| r.version == n)
        .ok_or_else(|| anyhow!("{app} has no release v{n}; see dokku releases {app}"))?;
    let mut j = to_json(r, cur == Some(n));
    j["config_keys"] = json!(r.config_keys);
    j["procfile"] = json!(r.procfile);
    j["app_json"] = json!(r.app_json);
    if json {
        println!("{j}");
        return Ok(());
    }
    println!("=====> {app} release v{n}");
    for key in [
        "current",
        "kind",
        "rollback_of",
        "status",
        "image_id",
        "image",
        "image_kept",
        "git_rev",
        "builder",
        "ssh_name",
        "ssh_fingerprint",
        "created_at",
    ] {
        let val = match &j[key] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        println!("       {:<18}{val}", format!("{key}:"));
    }
    println!("       {:<18}{}", "config keys:", r.config_keys.join(" "));
    for (name, text) in [("Procfile", &r.procfile), ("app.json", &r.app_json)] {
        if !text.trim().is_empty() {
            println!("-----> {name}");
            for l in text.lines() {
                println!("       {l}");
            }
        }
    }
    Ok(())
}
