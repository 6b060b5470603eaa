//! The storage plugin: bind mounts and docker volumes for an app's deployed and one-off
//! containers, in two forms. Legacy `HOST:CONTAINER[:OPTIONS]` mounts are kept, as Dokku's,
//! as `-v` lines of the app's deploy and run docker options, which the docker-options plugin's
//! `docker-args-deploy|run` pass on. Named entries (Dokku 0.38: `storage:create`, then
//! `storage:mount APP NAME --container-dir DIR`) are kept in the storage registry and the
//! app's attachments, and this plugin's own `docker-args-deploy|run` triggers add their `-v`.
//! Triggers `storage-list`, `docker-args-deploy`, `docker-args-run`.

mod attach;
mod ensure;
mod entries;
mod entry;
mod migrate;
mod mounts;
mod sha1;

use anyhow::{bail, Context, Result};
use attach::{Attachment, DEFAULT_PROCESS};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log};
use dokku_docker_options::store::{self, Phase};
use entries::Meta;
use mounts::Mount;
use std::io::Write;

static PLUGIN: Plugin = Plugin {
    prefix: "storage",
    summary: "Manage mounted volumes",
    commands: &[
        Command {
            name: "annotations:report",
            usage: "[<name>] [--format stdout|json] [<flag>]",
            help: "Displays annotations for one or more storage entries",
            run: |a| entries::meta_report(Meta::Annotations, a),
        },
        Command {
            name: "annotations:set",
            usage: "<name> <key> [<value>]",
            help: "Set or clear a single annotation on a storage entry",
            run: |a| entries::meta_set(Meta::Annotations, a),
        },
        Command {
            name: "create",
            usage: "<name> [<path>] [--chown option] [--label k=v]... [--annotation k=v]...",
            help: "Register a named storage entry (a folder under the storage root by default, a host path, or a docker volume)",
            run: entries::create,
        },
        Command {
            name: "destroy",
            usage: "<name> [--force] [--destroy-host-dir]",
            help: "Remove a named storage entry (must be unmounted from every app first)",
            run: entries::destroy,
        },
        Command {
            name: "ensure-directory",
            usage: "[--chown option] <directory>",
            help: "[DEPRECATED] use storage:create instead",
            run: ensure::command,
        },
        Command {
            name: "exec",
            usage: "<name> [--image image] [--user uid[:gid]] [-- <cmd>...]",
            help: "Run a command (or shell) in a temporary container that mounts the entry at /data",
            run: entries::exec,
        },
        Command {
            name: "info",
            usage: "<name> [--format text|json]",
            help: "Show details for one storage entry",
            run: entries::info,
        },
        Command {
            name: "labels:report",
            usage: "[<name>] [--format stdout|json] [<flag>]",
            help: "Displays labels for one or more storage entries",
            run: |a| entries::meta_report(Meta::Labels, a),
        },
        Command {
            name: "labels:set",
            usage: "<name> <key> [<value>]",
            help: "Set or clear a single label on a storage entry",
            run: |a| entries::meta_set(Meta::Labels, a),
        },
        Command {
            name: "list",
            usage: "<app> [--format text|json]",
            help: "List bind mounts for an app's container(s) (host:container), entries included",
            run: list,
        },
        Command {
            name: "list-entries",
            usage: "[--scheduler s] [--format text|json]",
            help: "List registered storage entries",
            run: entries::list_entries,
        },
        Command {
            name: "migrate",
            usage: "[<app>|--all]",
            help: "Turn an app's legacy host:container mounts into storage entries",
            run: migrate::command,
        },
        Command {
            name: "mount",
            usage: "<app> (<host-dir:container-dir> | <name> --container-dir <path> [--phase p] [--process-type t] [--volume-subpath s] [--volume-readonly] [--volume-options o] [--volume-chown uid[:gid]])",
            help: "Create a new bind mount, or mount a named entry into an app",
            run: mount,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a storage report for one or more apps, or every entry with --global",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "<name> <property> [<value>]",
            help: "Update a storage entry in place",
            run: entries::set,
        },
        Command {
            name: "unmount",
            usage: "<app> (<host-dir:container-dir> | <name> [--container-dir <path>])",
            help: "Remove an existing bind mount or entry mount",
            run: unmount,
        },
        Command {
            name: "wait",
            usage: "<name>",
            help: "Wait for a storage entry to be ready (a docker-local entry is ready once its folder or volume exists)",
            run: entries::wait,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("docker-args-deploy", trigger_docker_args_deploy),
        Trigger::new("docker-args-run", trigger_docker_args_run),
        Trigger::new("storage-list", trigger_storage_list),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The phases whose containers get the mounts.
const MOUNT_PHASES: [Phase; 2] = [Phase::Deploy, Phase::Run];

/// The flags of the named-entry form of `storage:mount`.
const ENTRY_MOUNT_FLAGS: &[&str] = &[
    "--container-dir",
    "--process-type",
    "--volume-subpath",
    "--volume-options",
    "--volume-chown",
];

/// The mounts among option lines.
fn mounts_in(options: &[String]) -> Vec<Mount> {
    options
        .iter()
        .filter_map(|l| mounts::spec_of_line(l))
        .map(|s| Mount::lenient(&s))
        .collect()
}

/// Checks and normalizes a container folder (absolute, no `..`, not `/`).
fn container_dir(dir: &str) -> Result<String> {
    if !dir.starts_with('/') {
        bail!("Container path {dir:?} must be absolute");
    }
    mounts::check_chars("Container", dir)?;
    let d = mounts::normalize_path("Container", dir)?;
    if d == "/" {
        bail!("Container path must not be / itself");
    }
    Ok(d)
}

/// `storage:mount APP (HOST:CONTAINER[:OPTIONS] | NAME --container-dir DIR [flags])`.
fn mount(argv: &[String]) -> Result<()> {
    let usage = "dokku storage:mount <app> (<host-dir:container-dir> | <name> --container-dir <path> [flags])";
    let (rep, rest) = entries::take_repeated(argv, &["--phase"])?;
    let a = args::parse(&rest, &["--volume-readonly"], ENTRY_MOUNT_FLAGS)?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(target) = a.pos(1) else {
        bail!("Please specify a mount (host-dir:container-dir); usage: {usage}");
    };
    if target.contains(':') || target.contains('/') {
        if let Some(f) = ENTRY_MOUNT_FLAGS
            .iter()
            .chain(["--volume-readonly", "--phase"].iter())
            .find(|f| a.has(f) || rep.contains_key(**f))
        {
            bail!("{f} applies to named storage entries, not to host-dir:container-dir mounts");
        }
        return legacy_mount(&app, Mount::parse(target)?);
    }
    let name = target.as_str();
    entry::validate_name(name, true)?;
    if !entry::exists(name) {
        bail!("storage entry {name:?} does not exist; create it first with `dokku storage:create`");
    }
    let Some(dir) = a.value("--container-dir") else {
        bail!("--container-dir is required when mounting a named storage entry");
    };
    let dir = container_dir(dir)?;
    let mut phases: Vec<String> = Vec::new();
    for p in rep.get("--phase").into_iter().flatten() {
        for one in p.split(',') {
            if one != "deploy" && one != "run" {
                bail!("--phase {one:?} is not supported (use deploy or run)");
            }
            if !phases.iter().any(|x| x == one) {
                phases.push(one.to_string());
            }
        }
    }
    if phases.is_empty() {
        phases = vec!["deploy".into(), "run".into()];
    }
    let process = a.value("--process-type").unwrap_or(DEFAULT_PROCESS);
    attach::check_process_type(process)?;
    let subpath = match a.value("--volume-subpath") {
        Some(s) => attach::normalize_subpath(s)?,
        None => String::new(),
    };
    let (ro, volume_options) =
        attach::check_volume_options(a.value("--volume-options").unwrap_or(""))?;
    let chown = a.value("--volume-chown").unwrap_or("").to_string();
    let owner = if chown.is_empty() {
        None
    } else {
        ensure::owner_of(&chown)?
    };
    let new = Attachment {
        entry_name: name.to_string(),
        container_path: dir.clone(),
        phases,
        process_type: process.to_string(),
        subpath,
        readonly: ro || a.has("--volume-readonly"),
        volume_options,
        volume_chown: chown,
    };

    let _lock = entry::lock()?;
    let e = entry::load(name)?;
    if e.is_volume() && !new.subpath.is_empty() {
        bail!(
            "--volume-subpath needs a host-path entry: {} is a docker volume",
            e.host_path
        );
    }
    if e.is_volume() && owner.is_some() {
        bail!(
            "--volume-chown needs a host-path entry: {} is a docker volume",
            e.host_path
        );
    }
    // The container folder must be free: no legacy mount there, no other entry's mount that
    // can land in the same container.
    for p in MOUNT_PHASES {
        if let Some(old) = mounts_in(&store::read(&app, p)?)
            .into_iter()
            .find(|m| m.container == dir)
        {
            bail!(
                "Container path {dir} is already mounted (from {}); unmount it first",
                old.host
            );
        }
    }
    let mut list = attach::load(&app)?;
    let same = |x: &Attachment| {
        x.entry_name == new.entry_name
            && x.container_path == new.container_path
            && x.process_type == new.process_type
    };
    if let Some(other) = list
        .iter()
        .find(|x| !same(x) && x.container_path == dir && x.overlaps(&new))
    {
        bail!(
            "Container path {dir} is already mounted (from storage entry {}); unmount it first",
            other.entry_name
        );
    }
    if !e.is_volume() {
        let source = std::path::PathBuf::from(new.source(&e));
        if !source.is_dir() {
            std::fs::create_dir_all(&source)
                .with_context(|| format!("Unable to create directory {}", source.display()))?;
        }
        if let Some(owner) = owner {
            let (uid, gid) = ensure::engine_owner(owner);
            log::verbose(&format!(
                "Setting ownership of {} to {uid}:{gid}",
                source.display()
            ));
            ensure::set_owner(&source, uid, gid)?;
        }
    }
    let updated = match list.iter_mut().find(|x| same(x)) {
        Some(x) => {
            *x = new.clone();
            true
        }
        None => {
            list.push(new.clone());
            false
        }
    };
    attach::save(&app, &list)?;
    if updated {
        log::info1(&format!(
            "Storage entry {name} mount at {dir} on {app} updated"
        ));
    } else {
        log::info1(&format!("Storage entry {name} mounted at {dir} on {app}"));
    }
    Ok(())
}

/// The legacy form: `storage:mount APP HOST:CONTAINER[:OPTIONS]`, a `-v` line of the deploy
/// and run docker options.
fn legacy_mount(app: &str, m: Mount) -> Result<()> {
    let _lock = entry::lock()?;
    if let Some(other) = attach::load(app)?
        .iter()
        .find(|x| x.container_path == m.container)
    {
        bail!(
            "Container path {} is already mounted (from storage entry {}); unmount it first",
            m.container,
            other.entry_name
        );
    }
    store::update(app, &MOUNT_PHASES, |all| {
        for p in all.iter() {
            for old in mounts_in(&p.options) {
                if old.same_paths(&m) {
                    bail!("Mount path already exists.");
                }
                if old.container == m.container {
                    bail!(
                        "Container path {} is already mounted (from {}); unmount it first",
                        m.container,
                        old.host
                    );
                }
            }
        }
        for p in all.iter_mut() {
            p.options.push(m.option_line());
        }
        Ok(())
    })?;
    log::info1(&format!("Mounted {} into {app}", m.spec()));
    Ok(())
}

/// `storage:unmount APP (HOST:CONTAINER[:OPTIONS] | NAME [--container-dir DIR] | NAME:DIR)`.
fn unmount(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--container-dir"])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(target) = a.pos(1) else {
        bail!("Please specify a mount (host-dir:container-dir); usage: {usage}");
    };
    let named = match target.split_once(':') {
        None if target.contains('/') => None,
        None => Some((
            target.as_str(),
            a.value("--container-dir").map(str::to_string),
        )),
        Some((first, dir)) if !first.starts_with('/') && entry::exists(first) => {
            if a.has("--container-dir") {
                bail!("--container-dir cannot be given with name:container-dir");
            }
            Some((first, Some(dir.to_string())))
        }
        Some(_) => None,
    };
    let Some((name, dir)) = named else {
        if a.has("--container-dir") {
            bail!("--container-dir applies to named storage entries, not to host-dir:container-dir mounts");
        }
        return legacy_unmount(&app, Mount::parse(target)?);
    };
    entry::validate_name(name, true)?;
    let dir = dir.map(|d| container_dir(&d)).transpose()?;
    // Refused without taking the registry lock (which makes the registry's folder) when the app
    // mounts no such entry; the lock then guards the change, read again under it.
    if !attach::load(&app)?.iter().any(|x| x.entry_name == name) {
        bail!("storage entry {name:?} is not mounted on app {app:?}");
    }
    let _lock = entry::lock()?;
    let mut list = attach::load(&app)?;
    let hits: Vec<String> = list
        .iter()
        .filter(|x| x.entry_name == name && dir.as_ref().is_none_or(|d| *d == x.container_path))
        .map(|x| x.container_path.clone())
        .collect();
    match (hits.len(), &dir) {
        (0, None) => bail!("storage entry {name:?} is not mounted on app {app:?}"),
        (0, Some(d)) => bail!("storage entry {name:?} is not mounted at {d:?} on app {app:?}"),
        (1, _) => {}
        (_, None) => {
            let mut paths = hits.clone();
            paths.sort();
            paths.dedup();
            if paths.len() > 1 {
                bail!(
                    "storage entry {name:?} is mounted at multiple paths on app {app:?} ({}); pass --container-dir to disambiguate",
                    paths.join(", ")
                );
            }
        }
        _ => {}
    }
    list.retain(|x| !(x.entry_name == name && hits.contains(&x.container_path)));
    attach::save(&app, &list)?;
    log::info1(&format!(
        "Storage entry {name} unmounted from {app} ({})",
        hits[0]
    ));
    Ok(())
}

/// The legacy form: `storage:unmount APP HOST:CONTAINER[:OPTIONS]` (without options, a mount of
/// the same paths goes whatever its options).
fn legacy_unmount(app: &str, m: Mount) -> Result<()> {
    let given_options = !m.options.is_empty();
    store::update(app, &MOUNT_PHASES, |all| {
        let mut found = false;
        for p in all.iter_mut() {
            p.options.retain(|line| {
                let hit = mounts::spec_of_line(line)
                    .map(|s| Mount::lenient(&s))
                    .is_some_and(|old| {
                        old.same_paths(&m) && (!given_options || old.options == m.options)
                    });
                found |= hit;
                !hit
            });
        }
        if !found {
            bail!("Mount path does not exist.");
        }
        Ok(())
    })?;
    log::info1(&format!("Unmounted {} from {app}", m.spec()));
    Ok(())
}

/// One row of `storage:list`: a legacy mount, or an entry's mount (with its entry's name).
struct Row {
    host: String,
    container: String,
    options: String,
    entry: Option<String>,
}

/// The mounts of `app` for `phase`: the legacy ones, then the entries' (default process).
fn rows_of(app: &str, phase: Phase) -> Result<Vec<Row>> {
    let mut rows: Vec<Row> = mounts_in(&store::read(app, phase)?)
        .into_iter()
        .map(|m| Row {
            host: m.host,
            container: m.container,
            options: m.options,
            entry: None,
        })
        .collect();
    for x in attach::load(app)? {
        if !x.phases.iter().any(|p| p == phase.name()) {
            continue;
        }
        let e = entry::load(&x.entry_name)?;
        rows.push(Row {
            host: x.source(&e),
            container: x.container_path.clone(),
            options: x.options(),
            entry: Some(x.entry_name.clone()),
        });
    }
    Ok(rows)
}

impl Row {
    fn spec(&self) -> String {
        let m = Mount {
            host: self.host.clone(),
            container: self.container.clone(),
            options: self.options.clone(),
        };
        m.spec()
    }
}

/// The rows as JSON: `[{"host_path", "container_path", "volume_options"[, "entry_name"]}]`.
fn json_list(rows: &[Row]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({
                "host_path": r.host,
                "container_path": r.container,
                "volume_options": r.options,
            });
            if let Some(e) = &r.entry {
                v["entry_name"] = serde_json::Value::String(e.clone());
            }
            v
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// `storage:list APP [--format text|json]`: the deploy phase's mounts, legacy and entries.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let json = match a.value("--format") {
        None | Some("text") | Some("stdout") => false,
        Some("json") => true,
        Some(other) => bail!("Invalid --format value specified: {other:?} (use text or json)"),
    };
    let rows = rows_of(&app, Phase::Deploy)?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", json_list(&rows))?;
        return Ok(());
    }
    log::info1(&format!("{app} volume bind-mounts:"));
    for r in rows {
        let line = match &r.entry {
            Some(e) if r.entry.is_some() => format!("{} (storage entry {e})", r.spec()),
            _ => r.spec(),
        };
        if log::quiet() {
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "       {line}")?;
        }
    }
    Ok(())
}

/// The flags `storage:report` answers, with their labels.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("storage-build-mounts", "Storage build mounts"),
    ("storage-deploy-mounts", "Storage deploy mounts"),
    ("storage-run-mounts", "Storage run mounts"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for ((key, label), phase) in REPORT_FIELDS.iter().zip(Phase::ALL) {
        let mut specs: Vec<String> = store::read(app, phase)?
            .iter()
            .filter_map(|l| mounts::spec_of_line(l))
            .collect();
        if phase != Phase::Build {
            let words = attach::docker_words(app, phase.name(), None)?;
            specs.extend(words.into_iter().filter(|w| w != "-v"));
        }
        let value = specs
            .iter()
            .map(|s| format!("-v {s}"))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} storage information"),
        rows,
    })
}

/// `storage:report [APP|--global] [--format stdout|json] [--storage-…]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    if argv.iter().any(|a| a == "--global") {
        return entries::report_global(argv);
    }
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Trigger `storage-list APP PHASE [text|json]`: the phase's mounts, one spec a line (or JSON).
fn trigger_storage_list(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::verify(app)?;
    let phase = argv.get(1).map(String::as_str).unwrap_or("deploy");
    let Some(phase) = Phase::parse(phase) else {
        bail!("storage-list: unknown phase {phase:?}");
    };
    let rows = rows_of(app, phase)?;
    let mut out = std::io::stdout().lock();
    if argv.get(2).map(String::as_str) == Some("json") {
        writeln!(out, "{}", json_list(&rows))?;
    } else {
        for r in rows {
            writeln!(out, "{}", r.spec())?;
        }
    }
    Ok(())
}

/// The shared body of the `docker-args-*` triggers: echo stdin, then the `-v` of the app's
/// entry mounts for `phase` (and `process`, for deployed containers).
fn docker_args(phase: &str, app: &str, process: Option<&str>) -> Result<()> {
    let stdin = dokku_core::docker::dockerargs::read_stdin()?;
    let words = if appname::is_valid(app) && appname::exists(app) {
        attach::docker_words(app, phase, process)?
    } else {
        Vec::new()
    };
    dokku_core::docker::dockerargs::emit(&stdin, &words)
}

/// Trigger `docker-args-deploy APP IMAGE_TAG [PROC_TYPE [INDEX]]`.
fn trigger_docker_args_deploy(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    docker_args("deploy", app, argv.get(2).map(String::as_str))
}

/// Trigger `docker-args-run APP IMAGE_TAG`.
fn trigger_docker_args_run(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    docker_args("run", app, None)
}
