//! The docker-options plugin: container options per app for the build, deploy and run phases,
//! kept where Dokku 0.38 keeps them (`$DOKKU_LIB_ROOT/config/docker-options/APP/_default_.PHASE`),
//! and deploy options per process type (`--process PROC`, in `PROC.deploy`). Commands
//! `docker-options:add|remove|clear|list|report`; triggers `docker-args-build`,
//! `docker-args-deploy` and `docker-args-run`, which echo the arguments on stdin and append
//! the app's options for the phase (at deploy, the process type's own after every process's);
//! `install` drains the `$DOKKU_ROOT/APP/DOCKER_OPTIONS_*` files of older releases.

use anyhow::{bail, Result};
use dokku_core::docker::dockerargs;
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, log};
use dokku_docker_options::store::{self, Phase};

static PLUGIN: Plugin = Plugin {
    prefix: "docker-options",
    summary: "Manage docker options for an app",
    commands: &[
        Command {
            name: "add",
            usage: "[--process PROC...] <app> <phase(s)> OPTION",
            help: "Add Docker option to app for phase (comma-separated phase list)",
            run: add,
        },
        Command {
            name: "clear",
            usage: "[--process PROC...] <app> [<phase(s)>]",
            help: "Clear the docker options of an app (all phases, or a comma-separated list)",
            run: clear,
        },
        Command {
            name: "list",
            usage: "<app> [--process PROC] --phase PHASE",
            help: "List docker options for one process+phase pair",
            run: list,
        },
        Command {
            name: "remove",
            usage: "[--process PROC...] <app> <phase(s)> OPTION",
            help: "Remove Docker option from app for phase (comma-separated phase list)",
            run: remove,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a docker options report for one or more apps",
            run: report_cmd,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("docker-args-build", trigger_build),
        Trigger::new("docker-args-deploy", trigger_deploy),
        Trigger::new("docker-args-run", trigger_run),
        Trigger::new("install", trigger_install),
    ],
};

fn main() {
    PLUGIN.main()
}

/// Trigger `install`: drains every app's legacy `DOCKER_OPTIONS_*` files into Dokku 0.38's
/// places, naming each file moved, and records it globally (`migrated-from-files`) as Dokku.
fn trigger_install(_argv: &[String]) -> Result<()> {
    for app in appname::all()? {
        dokku_docker_options::store::migrate(&app, true)?;
    }
    dokku_core::property::write(
        "docker-options",
        dokku_core::property::GLOBAL,
        "migrated-from-files",
        "true",
    )
}

/// Takes the `--process PROC` (or `--process=PROC`) flags out of `argv`, wherever they are
/// (Dokku honours one given after the app too), and a leading `--quiet`; returns the process
/// types, checked, in order without repeats, and the other arguments.
fn take_processes(argv: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let mut procs: Vec<String> = Vec::new();
    let mut rest = Vec::new();
    let mut it = argv.iter();
    let mut leading = true;
    while let Some(a) = it.next() {
        let value = if a == "--process" {
            let Some(v) = it.next() else {
                bail!("--process needs a process type");
            };
            Some(v.clone())
        } else {
            a.strip_prefix("--process=").map(str::to_string)
        };
        match value {
            Some(v) => {
                store::validate_process(&v)?;
                if !procs.contains(&v) {
                    procs.push(v);
                }
            }
            None if leading && a == "--quiet" => {
                std::env::set_var("DOKKU_QUIET_OUTPUT", "1");
            }
            None => {
                leading = false;
                rest.push(a.clone());
            }
        }
    }
    Ok((procs, rest))
}

/// The `(phase, process)` pairs a command acts on: each phase for every process (no
/// `--process`), or the deploy phase of each process named (other phases refuse `--process`).
fn targets(phases: &[Phase], procs: &[String]) -> Result<Vec<store::Target>> {
    if procs.is_empty() {
        return Ok(phases.iter().map(|p| (*p, None)).collect());
    }
    if let Some(p) = phases.iter().find(|p| **p != Phase::Deploy) {
        bail!(
            "--process is only supported for the deploy phase, not {}",
            p.name()
        );
    }
    Ok(procs
        .iter()
        .map(|p| (Phase::Deploy, Some(p.clone())))
        .collect())
}

/// Warns about each process type the app's current processes do not include (options may be
/// set ahead of the deploy that adds it).
fn warn_unknown(app: &str, procs: &[String]) {
    let known: Vec<String> = dokku_core::contract::current_scale(app)
        .map(|s| s.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    for p in procs.iter().filter(|p| !known.contains(p)) {
        log::warn(&format!(
            "Process type {p} is not declared in the Procfile of {app}; its options apply once it is"
        ));
    }
}

/// `[--process PROC…] APP PHASES OPTION…` of add and remove: the app (which must exist), the
/// `(phase, process)` pairs and the option lines ([`store::option_lines`]: one per flag).
fn app_targets_option(
    argv: &[String],
    verb: &str,
) -> Result<(String, Vec<store::Target>, Vec<String>)> {
    let usage = format!("dokku docker-options:{verb} [--process PROC...] <app> <phase(s)> OPTION");
    let (procs, rest) = take_processes(argv)?;
    let app = appname::required(rest.first())?;
    appname::verify(&app)?;
    let Some(phases) = rest.get(1) else {
        bail!("Please specify a phase (build, deploy or run); usage: {usage}");
    };
    let phases = store::parse_phases(phases)?;
    let targets = targets(&phases, &procs)?;
    let words = &rest[2..];
    if words.is_empty() {
        bail!(
            "Please specify docker options to {} the phase; usage: {usage}",
            if verb == "add" {
                "add to"
            } else {
                "remove from"
            }
        );
    }
    let options = store::option_lines(words)?;
    if verb == "add" {
        warn_unknown(&app, &procs);
    }
    Ok((app, targets, options))
}

/// `docker-options:add [--process PROC…] APP PHASES OPTION…`.
fn add(argv: &[String]) -> Result<()> {
    let (app, targets, options) = app_targets_option(argv, "add")?;
    store::update_scoped(&app, &targets, |all| {
        for p in all.iter_mut() {
            for o in &options {
                if !p.options.contains(o) {
                    p.options.push(o.clone());
                }
            }
        }
        Ok(())
    })
}

/// `docker-options:remove [--process PROC…] APP PHASES OPTION…`: without `--process`, from
/// every process's options only (a process's own are left).
fn remove(argv: &[String]) -> Result<()> {
    let whole = argv.last().map(|a| a.trim().to_string());
    let (app, targets, options) = app_targets_option(argv, "remove")?;
    store::update_scoped(&app, &targets, |all| {
        for p in all.iter_mut() {
            // Each option, and a line stored whole before options were split per flag.
            p.options
                .retain(|o| !options.contains(o) && Some(o) != whole.as_ref());
        }
        Ok(())
    })
}

/// `docker-options:clear [--process PROC…] APP [PHASES]`: without `--process`, every process's
/// options only (a process's own are left).
fn clear(argv: &[String]) -> Result<()> {
    let usage = usage();
    let (procs, rest) = take_processes(argv)?;
    let a = dokku_core::args::parse(&rest, &[], &[])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let phases = match a.pos(1) {
        Some(list) => Some(store::parse_phases(list)?),
        None if !procs.is_empty() => Some(vec![Phase::Deploy]),
        None => None,
    };
    let targets = targets(phases.as_deref().unwrap_or(&Phase::ALL), &procs)?;
    match (&phases, procs.is_empty()) {
        (None, _) => log::info1(&format!("Clearing docker-options for {app} on all phases")),
        (Some(list), true) => {
            for p in list {
                log::info1(&format!(
                    "Clearing docker-options for {app} on phase {}",
                    p.name()
                ));
            }
        }
        (Some(_), false) => {
            for p in &procs {
                log::info1(&format!(
                    "Clearing docker-options for {app} on phase deploy for process {p}"
                ));
            }
        }
    }
    store::update_scoped(&app, &targets, |all| {
        for p in all.iter_mut() {
            p.options.clear();
        }
        Ok(())
    })
}

/// `docker-options:list APP [--process PROC] --phase PHASE`: the options of one
/// process+phase pair (every process's without `--process`), one per line.
fn list(argv: &[String]) -> Result<()> {
    let usage = usage();
    let (procs, rest) = take_processes(argv)?;
    let a = dokku_core::args::parse(&rest, &[], &["--phase"])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    if procs.len() > 1 {
        bail!("Only one --process may be listed at a time; usage: {usage}");
    }
    let Some(phase) = a.value("--phase") else {
        bail!("Please specify a phase with --phase (build, deploy or run); usage: {usage}");
    };
    let Some(phase) = Phase::parse(phase) else {
        bail!("Phase must be one of [build deploy run], got {phase:?}");
    };
    let (_, process) = targets(&[phase], &procs)?.remove(0);
    for line in store::read_for(&app, phase, process.as_deref())? {
        println!("{line}");
    }
    Ok(())
}

/// The flags `docker-options:report` answers, with their labels.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("docker-options-build", "Docker options build"),
    ("docker-options-deploy", "Docker options deploy"),
    ("docker-options-run", "Docker options run"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for ((key, label), phase) in REPORT_FIELDS.iter().zip(Phase::ALL) {
        let value = store::read(app, phase)?.join(" ");
        rows.push((key.to_string(), label.to_string(), value));
    }
    for p in store::processes(app, Phase::Deploy)? {
        let value = store::read_for(app, Phase::Deploy, Some(&p))?.join(" ");
        rows.push((
            format!("docker-options-deploy.{p}"),
            format!("Docker options deploy.{p}"),
            value,
        ));
    }
    Ok(Report {
        heading: format!("{app} docker options information"),
        rows,
    })
}

/// `docker-options:report [APP] [--format stdout|json] [--docker-options-…]`; a process's
/// deploy options answer `--docker-options-deploy.PROC`.
fn report_cmd(argv: &[String]) -> Result<()> {
    let usage = usage();
    if let Some(flag) = argv
        .iter()
        .find(|a| a.starts_with("--docker-options-deploy."))
    {
        let p = &flag["--docker-options-deploy.".len()..];
        store::validate_process(p)?;
        let rest: Vec<&String> = argv.iter().filter(|a| *a != flag).collect();
        let [app] = rest.as_slice() else {
            bail!("Please specify one app with {flag}; usage: {usage}");
        };
        appname::verify(app)?;
        println!(
            "{}",
            store::read_for(app, Phase::Deploy, Some(p))?.join(" ")
        );
        return Ok(());
    }
    report::command(argv, REPORT_FIELDS, usage, report_of)
}

/// Whether an option line (its words) is one `flag`: `flag`, or `flag=…`.
fn is_flag(words: &[String], flags: &[&str]) -> bool {
    let first = words.first().map(String::as_str).unwrap_or("");
    flags
        .iter()
        .any(|f| first == *f || first.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
}

/// Whether a line is left out of `phase`'s arguments for `builder` (Dokku's filter): the
/// dockerfile builder cannot mount volumes or link, herokuish takes no Dockerfile options, and
/// `--restart` only makes sense for deployed processes.
fn filtered(phase: Phase, builder: &str, words: &[String]) -> bool {
    if is_flag(words, &["--restart"]) {
        return phase != Phase::Deploy;
    }
    if phase != Phase::Build {
        return false;
    }
    match builder {
        "dockerfile" => is_flag(words, &["--link", "-v", "--volume"]),
        "herokuish" => is_flag(words, &["--file", "--build-arg", "--build-args"]),
        _ => false,
    }
}

/// The shared body of the three triggers: echo stdin, then the app's options for `phase`
/// (every process's, then, at deploy with a PROC_TYPE, that process type's own).
fn docker_args(phase: Phase, argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::validate(app)?;
    let mut words = Vec::new();
    if appname::exists(app) {
        let builder = if phase == Phase::Build {
            argv.get(1).map(String::as_str).unwrap_or("")
        } else {
            ""
        };
        let process = argv
            .get(2)
            .filter(|p| phase == Phase::Deploy && store::validate_process(p).is_ok());
        let mut lines = store::words(app, phase)?;
        if let Some(p) = process {
            lines.extend(store::words_for(app, phase, Some(p))?);
        }
        for line in lines {
            if !filtered(phase, builder, &line) {
                words.extend(line);
            }
        }
    }
    dockerargs::emit(&stdin, &words)
}

/// Trigger `docker-args-build APP BUILDER`.
fn trigger_build(argv: &[String]) -> Result<()> {
    docker_args(Phase::Build, argv)
}

/// Trigger `docker-args-deploy APP IMAGE_TAG [PROC_TYPE [INDEX]]`.
fn trigger_deploy(argv: &[String]) -> Result<()> {
    docker_args(Phase::Deploy, argv)
}

/// Trigger `docker-args-run APP IMAGE_TAG`.
fn trigger_run(argv: &[String]) -> Result<()> {
    docker_args(Phase::Run, argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn process_flags_anywhere() {
        let (p, rest) =
            take_processes(&w("--process web app deploy -v /a:/b --process=worker")).unwrap();
        assert_eq!(p, ["web", "worker"]);
        assert_eq!(rest, w("app deploy -v /a:/b"));
        assert!(take_processes(&w("app deploy --process")).is_err());
        assert!(take_processes(&w("--process _default_ app")).is_err());
        assert!(targets(&[Phase::Deploy, Phase::Run], &w("web")).is_err());
        assert_eq!(
            targets(&[Phase::Deploy], &w("web")).unwrap(),
            [(Phase::Deploy, Some("web".to_string()))]
        );
    }

    #[test]
    fn filters() {
        assert!(filtered(Phase::Build, "dockerfile", &w("-v /a:/b")));
        assert!(!filtered(Phase::Build, "herokuish", &w("-v /a:/b")));
        assert!(!filtered(Phase::Deploy, "", &w("-v /a:/b")));
        assert!(filtered(Phase::Run, "", &w("--restart=always")));
        assert!(!filtered(Phase::Deploy, "", &w("--restart=always")));
        assert!(!filtered(Phase::Build, "dockerfile", &w("--linkx")));
    }
}
