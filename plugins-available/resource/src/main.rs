//! The resource plugin: resource limits and reservations per app (or `--global`) and process
//! type, kept as properties `PROC.limit.RESOURCE` / `PROC.reserve.RESOURCE` (process type
//! `_default_` when none is given), as Dokku keeps them. Commands
//! `resource:limit|limit-clear|reserve|reserve-clear|report`; triggers
//! `docker-args-process-build` (the limits of the `build` process type, as Dokku applies them
//! to build containers), `docker-args-process-deploy`, `docker-args-process-run` and
//! `resource-get-property`.

mod report;
mod values;

use anyhow::{bail, Result};
use dokku_core::docker::dockerargs;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{appname, args, log, property};
use values::{Kind, DEFAULT_PROCESS, RESOURCES};

static PLUGIN: Plugin = Plugin {
    prefix: "resource",
    summary: "Manage resource settings for an app",
    commands: &[
        Command {
            name: "limit",
            usage: "[--process-type <process-type>] [RESOURCE_OPTS...] [--global|<app>]",
            help: "Limit resources for a given app/process-type combination",
            run: limit,
        },
        Command {
            name: "limit-clear",
            usage: "[--process-type <process-type>] [--global|<app>]",
            help: "Clear the resource limits of a given app/process-type combination",
            run: limit_clear,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a resource report for one or more apps",
            run: report::command,
        },
        Command {
            name: "reserve",
            usage: "[--process-type <process-type>] [RESOURCE_OPTS...] [--global|<app>]",
            help: "Reserve resources for a given app/process-type combination",
            run: reserve,
        },
        Command {
            name: "reserve-clear",
            usage: "[--process-type <process-type>] [--global|<app>]",
            help: "Clear the resource reservations of a given app/process-type combination",
            run: reserve_clear,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("docker-args-process-build", trigger_process_build),
        Trigger::new("docker-args-process-deploy", trigger_process_deploy),
        Trigger::new("docker-args-process-run", trigger_process_run),
        Trigger::new("resource-get-property", trigger_get_property),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The property plugin name under which resource keeps its values.
pub const PROPS: &str = "resource";

/// Whose values a command changes, and for which process type.
struct Target {
    /// The app, or [`property::GLOBAL`].
    scope: String,
    /// The process type (`_default_` when none was given).
    process: String,
}

impl Target {
    fn global(&self) -> bool {
        self.scope == property::GLOBAL
    }

    /// `for APP (web)` / `default … (web)` in messages.
    fn suffix(&self) -> String {
        if self.process == DEFAULT_PROCESS {
            String::new()
        } else {
            format!(" ({})", self.process)
        }
    }
}

/// Parses `[--process-type T] [--global|APP]` plus `values` flags; `app_optional` lets a
/// missing app mean the global defaults (as `limit-clear` does in Dokku).
fn target(
    argv: &[String],
    values: &[&str],
    usage: &str,
    app_optional: bool,
) -> Result<(Target, args::Args)> {
    let mut value_flags = vec!["--process-type"];
    value_flags.extend_from_slice(values);
    let a = args::parse(argv, &["--global"], &value_flags)?;
    let scope = if a.has("--global") {
        a.at_most(0, usage)?;
        property::GLOBAL.to_string()
    } else if a.positional.is_empty() && app_optional {
        property::GLOBAL.to_string()
    } else {
        a.at_most(1, usage)?;
        let app = appname::required(a.pos(0))?;
        appname::verify(&app)?;
        app
    };
    let process = match a.value("--process-type") {
        Some(p) => {
            values::validate_process_type(p)?;
            p.to_string()
        }
        None => DEFAULT_PROCESS.to_string(),
    };
    Ok((Target { scope, process }, a))
}

const SET_USAGE: &str =
    "dokku resource:{limit|reserve} [--process-type <process-type>] [RESOURCE_OPTS...] [--global|<app>]";

/// `resource:limit` and `resource:reserve`: set the given values (`clear` removes one), or
/// show the current ones when none is given.
fn set(argv: &[String], kind: Kind) -> Result<()> {
    let flags: Vec<String> = RESOURCES.iter().map(|r| format!("--{r}")).collect();
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (t, a) = target(argv, &flag_refs, SET_USAGE, false)?;
    let mut given = Vec::new();
    for r in RESOURCES {
        if let Some(v) = a.value(&format!("--{r}")) {
            values::validate(r, v)?;
            given.push((*r, v.to_string()));
        }
    }
    if given.is_empty() {
        return show(&t, kind);
    }
    let heading = if t.global() {
        format!("Setting default resource {}{}", kind.noun(), t.suffix())
    } else {
        format!(
            "Setting resource {} for {}{}",
            kind.noun(),
            t.scope,
            t.suffix()
        )
    };
    log::info2(&heading);
    for (r, v) in given {
        let key = values::property_key(&t.process, kind, r);
        if v == "clear" {
            property::delete(PROPS, &t.scope, &key)?;
            log::verbose(&format!("{r}: cleared"));
        } else {
            property::write(PROPS, &t.scope, &key, &v)?;
            log::verbose(&format!("{r}: {v}"));
        }
    }
    Ok(())
}

/// The values of one target, unmerged: `=====> resource limits APP information [defaults]`.
fn show(t: &Target, kind: Kind) -> Result<()> {
    let who = if t.global() { "default" } else { &t.scope };
    let which = if t.process == DEFAULT_PROCESS {
        " [defaults]".to_string()
    } else {
        t.suffix()
    };
    log::info2(&format!(
        "resource {} {who} information{which}",
        kind.noun()
    ));
    for r in RESOURCES {
        let v = property::get_or(
            PROPS,
            &t.scope,
            &values::property_key(&t.process, kind, r),
            "",
        )?;
        let line = format!("{r}: {v}");
        log::verbose(line.trim_end());
    }
    Ok(())
}

/// `resource:limit-clear` and `resource:reserve-clear`: the values of one process type, or of
/// every process type when none is given.
fn clear(argv: &[String], kind: Kind) -> Result<()> {
    let usage = format!(
        "dokku resource:{}-clear [--process-type <process-type>] [--global|<app>]",
        kind.key()
    );
    let (t, a) = target(argv, &[], &usage, true)?;
    let message = if t.global() {
        format!("Clearing default resource {}{}", kind.noun(), t.suffix())
    } else {
        format!(
            "Clearing resource {} for {}{}",
            kind.noun(),
            t.scope,
            t.suffix()
        )
    };
    log::info1(&message);
    let only = a.value("--process-type");
    for (key, _) in property::list(PROPS, &t.scope)? {
        let mut parts = key.splitn(3, '.');
        let (Some(p), Some(k)) = (parts.next(), parts.next()) else {
            continue;
        };
        if k == kind.key() && only.is_none_or(|o| o == p) {
            property::delete(PROPS, &t.scope, &key)?;
        }
    }
    Ok(())
}

fn limit(argv: &[String]) -> Result<()> {
    set(argv, Kind::Limit)
}

fn reserve(argv: &[String]) -> Result<()> {
    set(argv, Kind::Reserve)
}

fn limit_clear(argv: &[String]) -> Result<()> {
    clear(argv, Kind::Limit)
}

fn reserve_clear(argv: &[String]) -> Result<()> {
    clear(argv, Kind::Reserve)
}

/// The value that applies to `process` of `app`: the app's own for the process type, else the
/// app's default, else the global one for the process type, else the global default.
pub fn effective(app: &str, process: &str, kind: Kind, resource: &str) -> Result<Option<String>> {
    for scope in [app, property::GLOBAL] {
        for p in [process, DEFAULT_PROCESS] {
            let key = values::property_key(p, kind, resource);
            if let Some(v) = property::get(PROPS, scope, &key)?.filter(|v| !v.is_empty()) {
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// The process type whose limits apply to build containers.
const BUILD_PROCESS: &str = "build";

/// The limits each builder passes to its build container, in the order they are printed:
/// `docker run` (herokuish) takes all four, `docker build` (dockerfile) only the memory ones,
/// the other builders none (as Dokku filters them).
fn build_resources(builder: &str) -> &'static [&'static str] {
    match builder {
        "herokuish" => &["memory", "memory-swap", "cpu", "nvidia-gpu"],
        "dockerfile" => &["memory", "memory-swap"],
        _ => &[],
    }
}

/// Trigger `docker-args-process-build APP BUILDER`: echoes stdin, then the `build` process
/// type's limits the builder takes (`--memory=256m --cpus=1 …`): the app's `build` limits, else
/// the global `build` ones. Neither the `_default_` limits nor reservations apply to builds
/// (as Dokku: a build often needs more than the app at run time).
fn trigger_process_build(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let (Some(app), Some(builder)) = (argv.first(), argv.get(1)) else {
        bail!("docker-args-process-build needs APP BUILDER");
    };
    appname::validate(app)?;
    let mut words = Vec::new();
    if std::env::var("DOKKU_OMIT_RESOURCE_ARGS").as_deref() != Ok("1") && appname::exists(app) {
        for r in build_resources(builder) {
            let key = values::property_key(BUILD_PROCESS, Kind::Limit, r);
            let mut value = None;
            for scope in [app.as_str(), property::GLOBAL] {
                if let Some(v) = property::get(PROPS, scope, &key)?.filter(|v| !v.is_empty()) {
                    value = Some(v);
                    break;
                }
            }
            let Some(v) = value else { continue };
            if let Err(e) = values::validate(r, &v) {
                log::warn(&format!("skipping the build limits of {app}: {e:#}"));
                continue;
            }
            words.extend(values::docker_arg(Kind::Limit, r, &v));
        }
    }
    dockerargs::emit(&stdin, &words)
}

/// Trigger `docker-args-process-deploy APP IMAGE_SOURCE_TYPE IMAGE_TAG [PROC_TYPE [INDEX]]`:
/// the resource options of the process type (see `docker_args`).
fn trigger_process_deploy(argv: &[String]) -> Result<()> {
    docker_args(
        argv,
        argv.get(3).map(String::as_str).unwrap_or(DEFAULT_PROCESS),
    )
}

/// Trigger `docker-args-process-run APP IMAGE_SOURCE_TYPE IMAGE_TAG`: the resource options of
/// the `run` process type (see `docker_args`).
fn trigger_process_run(argv: &[String]) -> Result<()> {
    docker_args(argv, "run")
}

/// Echoes stdin, then `--cpus=…`, `--memory=…`, `--memory-swap=…`, `--gpus=…`,
/// `--memory-reservation=…`, `--cpu-shares=…` for the process type (or the defaults).
/// `DOKKU_OMIT_RESOURCE_ARGS=1` leaves them out.
fn docker_args(argv: &[String], process: &str) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::validate(app)?;
    if process != DEFAULT_PROCESS {
        values::validate_process_type(process)?;
    }
    let mut words = Vec::new();
    if std::env::var("DOKKU_OMIT_RESOURCE_ARGS").as_deref() != Ok("1") && appname::exists(app) {
        for kind in [Kind::Limit, Kind::Reserve] {
            for r in RESOURCES {
                let Some(v) = effective(app, process, kind, r)? else {
                    continue;
                };
                // A value written by hand that no longer checks out is skipped, not passed on.
                if let Err(e) = values::validate(r, &v) {
                    log::warn(&format!("skipping the {} of {app}: {e:#}", kind.noun()));
                    continue;
                }
                words.extend(values::docker_arg(kind, r, &v));
            }
        }
    }
    dockerargs::emit(&stdin, &words)
}

/// Trigger `resource-get-property APP PROC_TYPE limit|reserve RESOURCE`: the value that applies.
fn trigger_get_property(argv: &[String]) -> Result<()> {
    let [app, process, kind, resource] = argv else {
        bail!("resource-get-property: expected APP PROC_TYPE limit|reserve RESOURCE");
    };
    appname::verify(app)?;
    let kind = match kind.as_str() {
        "limit" => Kind::Limit,
        "reserve" => Kind::Reserve,
        other => bail!("resource-get-property: unknown request type {other:?}"),
    };
    if !RESOURCES.contains(&resource.as_str()) {
        bail!("resource-get-property: unknown resource {resource:?}");
    }
    println!(
        "{}",
        effective(app, process, kind, resource)?.unwrap_or_default()
    );
    Ok(())
}
