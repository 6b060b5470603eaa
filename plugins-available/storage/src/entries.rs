//! The entry commands: `storage:create|destroy|info|list-entries|set|exec|wait`,
//! `storage:labels:set|report`, `storage:annotations:set|report` and `storage:report --global`.

use crate::attach;
use crate::ensure;
use crate::entry::{self, Entry, DOCKER_LOCAL, SCHEMA_VERSION};
use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::{args, log};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The flags only Dokku's k3s scheduler takes; refused for docker-local entries.
const K3S_ONLY: &[&str] = &[
    "--size",
    "--access-mode",
    "--storage-class-name",
    "--namespace",
    "--reclaim-policy",
];

/// The values of repeatable flags, by flag.
pub type Repeated = BTreeMap<String, Vec<String>>;

/// Pulls every `--NAME VALUE` / `--NAME=VALUE` of the repeatable flags `names` out of `argv`
/// (up to `--`); returns their values by flag and the other arguments.
pub fn take_repeated(argv: &[String], names: &[&str]) -> Result<(Repeated, Vec<String>)> {
    let mut found = Repeated::new();
    let mut rest = Vec::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.by_ref().cloned());
            break;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        if names.contains(&name) {
            let v = match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) => v.clone(),
                    None => bail!("flag {name} needs a value"),
                },
            };
            found.entry(name.to_string()).or_default().push(v);
        } else {
            rest.push(a.clone());
        }
    }
    Ok((found, rest))
}

/// `key=value` pairs of `--label`/`--annotation`, checked.
fn pairs(what: &str, list: Option<&Vec<String>>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for p in list.into_iter().flatten() {
        let Some((k, v)) = p.split_once('=') else {
            bail!("expected {what} key=value, got {p:?}");
        };
        entry::validate_meta_key(what, k)?;
        entry::validate_meta_value(what, v)?;
        if v.is_empty() {
            bail!("{what} {k} needs a value (key=value)");
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// The output format of `--format text|json` (`stdout` is taken as `text`).
fn json_format(v: Option<&str>) -> Result<bool> {
    match v {
        None | Some("text") | Some("stdout") => Ok(false),
        Some("json") => Ok(true),
        Some(other) => bail!("Invalid --format value specified: {other:?} (use text or json)"),
    }
}

/// Refuses `--scheduler` values other than docker-local.
fn check_scheduler(s: &str) -> Result<()> {
    match s {
        DOCKER_LOCAL => Ok(()),
        "k3s" => bail!("the k3s scheduler is not available on this installation; storage entries use docker-local"),
        other => bail!("unsupported scheduler {other:?} (supported: docker-local)"),
    }
}

/// Makes the entry's folder or volume exist, with its owner when `chown` asks for one.
fn provision(e: &Entry) -> Result<()> {
    if e.is_volume() {
        if !dokku_core::docker::engine_answers() {
            bail!(
                "the Docker engine does not answer: cannot create volume {}",
                e.host_path
            );
        }
        dokku_core::docker::output([
            "volume",
            "create",
            "--label",
            &format!("com.dokku.storage-entry={}", e.name),
            &e.host_path,
        ])
        .with_context(|| format!("cannot create docker volume {}", e.host_path))?;
        return Ok(());
    }
    let dir = Path::new(&e.host_path);
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!(
            "storage entry path {} exists but is not a directory",
            e.host_path
        ),
        Err(_) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("Unable to create directory {}", e.host_path))?;
            log::verbose(&format!("Created {}", e.host_path));
        }
    }
    if e.chown.is_empty() {
        return Ok(());
    }
    if let Some(owner) = ensure::owner_of(&e.chown)? {
        let (uid, gid) = ensure::engine_owner(owner);
        log::verbose(&format!("Setting directory ownership to {uid}:{gid}"));
        ensure::set_owner(dir, uid, gid)?;
    }
    Ok(())
}

/// `storage:create NAME [PATH] [--scheduler S] [--chown OPT] [--label K=V]… [--annotation K=V]…`.
pub fn create(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku storage:create <name> [<path>] [--scheduler docker-local] [--chown option] [--label key=value]... [--annotation key=value]...";
    let (rep, rest) = take_repeated(argv, &["--label", "--annotation"])?;
    let mut value_flags = vec!["--scheduler", "--chown"];
    value_flags.extend_from_slice(K3S_ONLY);
    let a = args::parse(&rest, &[], &value_flags)?;
    a.at_most(2, USAGE)?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, false)?;
    check_scheduler(a.value("--scheduler").unwrap_or(DOCKER_LOCAL))?;
    for f in K3S_ONLY {
        if a.has(f) {
            bail!("storage entry {name:?} (docker-local) does not accept {f}");
        }
    }
    let chown = a.value("--chown").unwrap_or("").to_string();
    if !chown.is_empty() {
        ensure::owner_of(&chown)?;
    }
    let host_path = match a.pos(1) {
        Some(p) => entry::normalize_host_path(p)?,
        None => ensure::storage_root().join(name).display().to_string(),
    };
    let e = Entry {
        name: name.to_string(),
        scheduler: DOCKER_LOCAL.to_string(),
        host_path,
        chown,
        labels: pairs("label", rep.get("--label"))?,
        annotations: pairs("annotation", rep.get("--annotation"))?,
        schema_version: SCHEMA_VERSION,
    };
    if e.is_volume() && !e.chown.is_empty() && e.chown != "false" {
        bail!(
            "--chown applies to host-path entries, not to docker volume {}",
            e.host_path
        );
    }
    let _lock = entry::lock()?;
    if entry::exists(name) {
        let old = entry::load(name)?;
        if old.host_path != e.host_path {
            bail!(
                "storage entry {name:?} already exists with host path {}; refusing to redefine",
                old.host_path
            );
        }
        log::info1(&format!(
            "Storage entry {name} already exists, leaving in place"
        ));
        return Ok(());
    }
    provision(&e)?;
    entry::save(&e)?;
    log::info1(&format!("Storage entry {name} created"));
    Ok(())
}

/// `storage:destroy NAME [--force] [--destroy-host-dir]`: refused while an app mounts it.
pub fn destroy(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--force", "--destroy-host-dir"], &[])?;
    a.at_most(1, usage())?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, true)?;
    let check = |name: &str| -> Result<Entry> {
        let e = entry::load(name)?;
        let using = attach::apps_using(name)?;
        if !using.is_empty() {
            bail!(
                "storage entry {name:?} is still mounted by app(s): {}",
                using.join(", ")
            );
        }
        Ok(e)
    };
    check(name)?;
    let forced =
        a.has("--force") || std::env::var("DOKKU_APPS_FORCE_DELETE").is_ok_and(|v| v == "1");
    if !forced && !log::confirm_destroy("storage entry", name)? {
        bail!("Confirmation did not match {name}. Aborted.");
    }
    let _lock = entry::lock()?;
    let e = check(name)?;
    if a.has("--destroy-host-dir") {
        if e.is_volume() {
            dokku_core::docker::output(["volume", "rm", &e.host_path])
                .with_context(|| format!("cannot remove docker volume {}", e.host_path))?;
        } else {
            let dir = Path::new(&e.host_path);
            if !dir.starts_with(ensure::storage_root()) || dir == ensure::storage_root() {
                bail!(
                    "refusing to remove {}: only folders under {} are removed with --destroy-host-dir",
                    e.host_path,
                    ensure::storage_root().display()
                );
            }
            match std::fs::remove_dir_all(dir) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(err).with_context(|| format!("cannot remove {}", e.host_path))
                }
            }
        }
    }
    entry::delete(name)?;
    log::info1(&format!("Storage entry {name} destroyed"));
    Ok(())
}

/// `storage:info NAME [--format text|json]`.
pub fn info(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage())?;
    let json = json_format(a.value("--format"))?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, true)?;
    let e = entry::load(name)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&e)?)?;
        return Ok(());
    }
    drop(out);
    log::info1(&format!("Storage entry {}", e.name));
    log::verbose(&format!("{:<18}{}", "Scheduler:", e.scheduler));
    log::verbose(&format!(
        "{:<18}{}",
        if e.is_volume() {
            "Volume:"
        } else {
            "Host path:"
        },
        e.host_path
    ));
    if !e.chown.is_empty() {
        log::verbose(&format!("{:<18}{}", "Chown:", e.chown));
    }
    let using = attach::apps_using(name)?;
    log::verbose(&format!("{:<18}{}", "Mounted by:", using.join(" ")));
    Ok(())
}

/// `storage:list-entries [--scheduler S] [--format text|json]`.
pub fn list_entries(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format", "--scheduler"])?;
    a.at_most(0, usage())?;
    let json = json_format(a.value("--format"))?;
    let list: Vec<Entry> = entry::list()?
        .into_iter()
        .filter(|e| a.value("--scheduler").is_none_or(|s| s == e.scheduler))
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        log::info1("No storage entries registered");
        return Ok(());
    }
    log::info1("Storage entries:");
    for e in list {
        if log::quiet() {
            println!("{}", e.name);
        } else {
            log::verbose(&format!("{}\t{}\t{}", e.name, e.scheduler, e.host_path));
        }
    }
    Ok(())
}

/// `storage:set NAME PROPERTY [VALUE]`: `chown` (applied to the folder at once); the k3s
/// properties are refused for docker-local entries.
pub fn set(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &[])?;
    a.at_most(3, usage)?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, true)?;
    let Some(key) = a.pos(1) else {
        bail!("No property specified; usage: {usage}");
    };
    let value = a.pos(2).map(String::as_str).unwrap_or("");
    let _lock = entry::lock()?;
    let mut e = entry::load(name)?;
    match key.as_str() {
        "chown" => {
            if !value.is_empty() {
                ensure::owner_of(value)?;
                if e.is_volume() && value != "false" {
                    bail!(
                        "chown applies to host-path entries, not to docker volume {}",
                        e.host_path
                    );
                }
            }
            e.chown = value.to_string();
            if !e.is_volume() {
                provision(&e)?;
            }
        }
        k if K3S_ONLY.contains(&format!("--{k}").as_str()) => {
            bail!("storage entry {name:?} (docker-local) does not accept {k}")
        }
        other => bail!("Invalid property {other:?}; valid properties: chown"),
    }
    entry::save(&e)?;
    log::info1(&format!("Storage entry {name} updated"));
    Ok(())
}

/// `storage:wait NAME`: succeeds once the entry's folder or volume is there (a docker-local
/// entry is ready as soon as it exists).
pub fn wait(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, true)?;
    let e = entry::load(name)?;
    let present = if e.is_volume() {
        dokku_core::docker::output(["volume", "inspect", "--format", "{{.Name}}", &e.host_path])
            .is_ok()
    } else {
        Path::new(&e.host_path).is_dir()
    };
    if !present {
        bail!(
            "storage entry {name:?} {} {} is not present",
            if e.is_volume() { "volume" } else { "host path" },
            e.host_path
        );
    }
    log::info1(&format!("Storage entry {name} is ready"));
    Ok(())
}

/// `storage:exec NAME [--image IMAGE] [--user UID[:GID]] [--] [COMMAND…]`: runs the command
/// (a shell without one) in a throwaway container with the entry mounted at `/data`; exits
/// with the command's code.
pub fn exec(argv: &[String]) -> Result<()> {
    let mut image = "alpine:3".to_string();
    let mut user: Option<String> = None;
    let mut name: Option<String> = None;
    let mut command: Vec<String> = Vec::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            command.extend(it.by_ref().cloned());
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        if matches!(flag, "--image" | "--user" | "--as-user") {
            let v = match inline.or_else(|| it.next().cloned()) {
                Some(v) => v,
                None => bail!("flag {flag} needs a value"),
            };
            if flag == "--image" {
                image = v;
            } else {
                user = Some(v);
            }
        } else if name.is_none() {
            if a.starts_with("--") {
                bail!("unknown flag {a}");
            }
            name = Some(a.clone());
        } else {
            command.push(a.clone());
            command.extend(it.by_ref().cloned());
            break;
        }
    }
    let name = name.unwrap_or_default();
    entry::validate_name(&name, true)?;
    if image.is_empty()
        || image.starts_with('-')
        || !image
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._/:@-".contains(&c))
    {
        bail!("Invalid --image {image:?}");
    }
    if let Some(u) = &user {
        let ok_part = |s: &str| {
            !s.is_empty()
                && s.len() <= 32
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                && !s.starts_with('-')
        };
        let ok = match u.split_once(':') {
            Some((a, b)) => ok_part(a) && ok_part(b),
            None => ok_part(u),
        };
        if !ok {
            bail!("Invalid --user {u:?}: use UID[:GID] or a user name");
        }
    }
    let e = entry::load(&name)?;
    let mut args: Vec<String> = vec!["run".into(), "--rm".into(), "-i".into()];
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        args.push("-t".into());
    }
    args.extend([
        "--label".into(),
        format!("com.dokku.storage-exec={name}"),
        "-v".into(),
        format!("{}:/data", e.host_path),
        "-w".into(),
        "/data".into(),
    ]);
    if let Some(u) = user {
        args.extend(["--user".into(), u]);
    }
    args.push(image);
    if command.is_empty() {
        command.push("sh".into());
    }
    args.extend(command);
    let status = dokku_core::docker::command(&args)
        .status()
        .context("cannot run docker")?;
    std::io::stdout().flush().ok();
    std::process::exit(status.code().unwrap_or(1));
}

/// Which metadata map a labels/annotations command works on.
#[derive(Clone, Copy)]
pub enum Meta {
    /// `storage:labels:*`.
    Labels,
    /// `storage:annotations:*`.
    Annotations,
}

impl Meta {
    fn singular(self) -> &'static str {
        match self {
            Meta::Labels => "label",
            Meta::Annotations => "annotation",
        }
    }
    fn plural(self) -> &'static str {
        match self {
            Meta::Labels => "labels",
            Meta::Annotations => "annotations",
        }
    }
    fn map(self, e: &mut Entry) -> &mut BTreeMap<String, String> {
        match self {
            Meta::Labels => &mut e.labels,
            Meta::Annotations => &mut e.annotations,
        }
    }
}

/// `storage:labels:set|annotations:set NAME KEY [VALUE]`: sets one key; no value clears it.
pub fn meta_set(meta: Meta, argv: &[String]) -> Result<()> {
    let usage = format!("dokku storage:{}:set <name> <key> [<value>]", meta.plural());
    let a = args::parse(argv, &[], &[])?;
    a.at_most(3, &usage)?;
    let name = a.pos(0).map(String::as_str).unwrap_or("");
    entry::validate_name(name, true)?;
    let key = a.pos(1).map(String::as_str).unwrap_or("");
    entry::validate_meta_key(meta.singular(), key)?;
    let value = a.pos(2).map(String::as_str).unwrap_or("");
    entry::validate_meta_value(meta.singular(), value)?;
    let _lock = entry::lock()?;
    let mut e = entry::load(name)?;
    let map = meta.map(&mut e);
    if value.is_empty() {
        map.remove(key);
        log::info2(&format!("Unsetting {} {key}", meta.singular()));
    } else {
        map.insert(key.to_string(), value.to_string());
        log::info2(&format!("Setting {} {key} to {value}", meta.singular()));
    }
    entry::save(&e)
}

/// `storage:labels:report|annotations:report [NAME] [--format stdout|json]
/// [--storage-labels.KEY]`.
pub fn meta_report(meta: Meta, argv: &[String]) -> Result<()> {
    let flag_prefix = format!("--storage-{}.", meta.plural());
    let mut info: Option<String> = None;
    let mut rest = Vec::new();
    for a in argv {
        if a.starts_with(&flag_prefix) {
            if info.is_some() {
                bail!("only one report flag may be given at a time");
            }
            info = Some(a.clone());
        } else {
            rest.push(a.clone());
        }
    }
    let a = args::parse(&rest, &[], &["--format"])?;
    a.at_most(
        1,
        &format!("dokku storage:{}:report [<name>] [<flag>]", meta.plural()),
    )?;
    let json = match a.value("--format") {
        None | Some("stdout") | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("Invalid format {other:?}: use text or json"),
    };
    if json && info.is_some() {
        bail!("--format flag cannot be specified when specifying an info flag");
    }
    let entries = match a.pos(0) {
        Some(name) => {
            entry::validate_name(name, true)?;
            vec![entry::load(name)?]
        }
        None => {
            if info.is_some() {
                bail!(
                    "storage:{}:report requires a storage entry name when an info flag is specified",
                    meta.plural()
                );
            }
            entry::list()?
        }
    };
    if entries.is_empty() {
        log::info1("No storage entries registered");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for mut e in entries {
        let name = e.name.clone();
        let map = meta.map(&mut e).clone();
        if let Some(flag) = &info {
            let key = &flag[flag_prefix.len()..];
            match map.get(key) {
                Some(v) => writeln!(out, "{v}")?,
                None => {
                    let valid: Vec<String> =
                        map.keys().map(|k| format!("{flag_prefix}{k}")).collect();
                    bail!("Invalid flag passed, valid flags: {}", valid.join(", "));
                }
            }
            continue;
        }
        if json {
            writeln!(out, "{}", serde_json::to_string(&map)?)?;
            continue;
        }
        if !log::quiet() {
            writeln!(out, "=====> {name} {} information", meta.plural())?;
        }
        let label = match meta {
            Meta::Labels => "Label",
            Meta::Annotations => "Annotation",
        };
        let width = map
            .keys()
            .map(|k| label.len() + k.len() + 2)
            .max()
            .unwrap_or(0)
            .max(31);
        for (k, v) in &map {
            let l = format!("{label} {k}:");
            writeln!(out, "       {l:<width$}{v}")?;
        }
    }
    Ok(())
}

/// `storage:report --global [--format stdout|json]`: every entry and the apps mounting it.
pub fn report_global(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--global"], &["--format"])?;
    a.at_most(0, "dokku storage:report --global [--format stdout|json]")?;
    let json = json_format(a.value("--format"))?;
    let mut rows = Vec::new();
    for e in entry::list()? {
        let using = attach::apps_using(&e.name)?;
        rows.push((e, using));
    }
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(e, using)| serde_json::json!({"entry": e, "mounted_by": using}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if rows.is_empty() {
        log::info1("No storage entries registered");
        return Ok(());
    }
    log::info2("Storage report (global)");
    for (e, using) in rows {
        let by = if using.is_empty() {
            "-".to_string()
        } else {
            using.join(", ")
        };
        log::verbose(&format!(
            "{}\t{}\t{}\tmounted by: {by}",
            e.name, e.scheduler, e.host_path
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn repeated_flags() {
        let (found, rest) = take_repeated(
            &s(&[
                "x",
                "--label",
                "a=1",
                "--label=b=2",
                "--chown",
                "heroku",
                "--",
                "--label",
            ]),
            &["--label"],
        )
        .unwrap();
        assert_eq!(found["--label"], s(&["a=1", "b=2"]));
        assert_eq!(rest, s(&["x", "--chown", "heroku", "--", "--label"]));
        assert!(pairs("label", Some(&s(&["novalue"]))).is_err());
        assert!(pairs("label", Some(&s(&["a b=1"]))).is_err());
    }
}
