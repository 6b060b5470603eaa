//! The docker-options plugin: container options per app for the build, deploy and run phases,
//! kept in Dokku's `DOCKER_OPTIONS_*` files. Commands `docker-options:add|remove|clear|report`;
//! triggers `docker-args-build`, `docker-args-deploy` and `docker-args-run`, which echo the
//! arguments on stdin and append the app's options for the phase.

use anyhow::{bail, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, log};
use dokku_docker_options::dockerargs;
use dokku_docker_options::store::{self, Phase};

static PLUGIN: Plugin = Plugin {
    prefix: "docker-options",
    summary: "Pass options to Docker during the build, deploy and run phases",
    commands: &[
        Command {
            name: "add",
            usage: "<app> <phase(s)> OPTION",
            help: "Add Docker option to app for phase (comma-separated phase list)",
            run: add,
        },
        Command {
            name: "clear",
            usage: "<app> [<phase(s)>]",
            help: "Clear the docker options of an app (all phases, or a comma-separated list)",
            run: clear,
        },
        Command {
            name: "remove",
            usage: "<app> <phase(s)> OPTION",
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
        Trigger {
            name: "docker-args-build",
            run: trigger_build,
        },
        Trigger {
            name: "docker-args-deploy",
            run: trigger_deploy,
        },
        Trigger {
            name: "docker-args-run",
            run: trigger_run,
        },
    ],
};

fn main() {
    PLUGIN.main()
}

/// `APP PHASES OPTION…` of add and remove: the app (which must exist), its phases and the
/// option line (one argument as given, or several joined with quoting where needed).
fn app_phases_option(argv: &[String], verb: &str) -> Result<(String, Vec<Phase>, String)> {
    let usage = format!("dokku docker-options:{verb} <app> <phase(s)> OPTION");
    let mut rest = argv;
    while rest.first().is_some_and(|a| a == "--quiet") {
        std::env::set_var("DOKKU_QUIET_OUTPUT", "1");
        rest = &rest[1..];
    }
    let app = appname::required(rest.first())?;
    appname::verify(&app)?;
    let Some(phases) = rest.get(1) else {
        bail!("Please specify a phase (build, deploy or run); usage: {usage}");
    };
    let phases = store::parse_phases(phases)?;
    let words = &rest[2..];
    let option = match words {
        [] => bail!(
            "Please specify docker options to {} the phase; usage: {usage}",
            if verb == "add" {
                "add to"
            } else {
                "remove from"
            }
        ),
        [one] => one.trim().to_string(),
        many => dockerargs::join(many),
    };
    store::validate_option(&option)?;
    Ok((app, phases, option))
}

/// `docker-options:add APP PHASES OPTION…`.
fn add(argv: &[String]) -> Result<()> {
    let (app, phases, option) = app_phases_option(argv, "add")?;
    store::update(&app, &phases, |all| {
        for p in all.iter_mut() {
            if !p.options.contains(&option) {
                p.options.push(option.clone());
            }
        }
        Ok(())
    })
}

/// `docker-options:remove APP PHASES OPTION…`.
fn remove(argv: &[String]) -> Result<()> {
    let (app, phases, option) = app_phases_option(argv, "remove")?;
    store::update(&app, &phases, |all| {
        for p in all.iter_mut() {
            p.options.retain(|o| *o != option);
        }
        Ok(())
    })
}

/// `docker-options:clear APP [PHASES]`.
fn clear(argv: &[String]) -> Result<()> {
    let a = dokku_core::args::parse(argv, &[], &[])?;
    a.at_most(2, "dokku docker-options:clear <app> [<phase(s)>]")?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let phases = match a.pos(1) {
        Some(list) => {
            let phases = store::parse_phases(list)?;
            for p in &phases {
                log::info1(&format!(
                    "Clearing docker-options for {app} on phase {}",
                    p.name()
                ));
            }
            phases
        }
        None => {
            log::info1(&format!("Clearing docker-options for {app} on all phases"));
            Phase::ALL.to_vec()
        }
    };
    store::update(&app, &phases, |all| {
        for p in all.iter_mut() {
            p.options.clear();
        }
        Ok(())
    })
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
    Ok(Report {
        heading: format!("{app} docker options information"),
        rows,
    })
}

/// `docker-options:report [APP] [--format stdout|json] [--docker-options-…]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku docker-options:report [<app>] [--format stdout|json] [<flag>]",
        report_of,
    )
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

/// The shared body of the three triggers: echo stdin, then the app's options for `phase`.
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
        for line in store::words(app, phase)? {
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
    fn filters() {
        assert!(filtered(Phase::Build, "dockerfile", &w("-v /a:/b")));
        assert!(!filtered(Phase::Build, "herokuish", &w("-v /a:/b")));
        assert!(!filtered(Phase::Deploy, "", &w("-v /a:/b")));
        assert!(filtered(Phase::Run, "", &w("--restart=always")));
        assert!(!filtered(Phase::Deploy, "", &w("--restart=always")));
        assert!(!filtered(Phase::Build, "dockerfile", &w("--linkx")));
    }
}
