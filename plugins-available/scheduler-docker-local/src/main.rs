//! The docker-local scheduler: runs an app's processes as containers on this host's Docker
//! engine. Triggers `scheduler-deploy`, `scheduler-stop`, `scheduler-start`,
//! `scheduler-inspect`, `scheduler-is-deployed`, `scheduler-status`, `scheduler-app-status`,
//! `scheduler-post-delete` (the app's image goes;
//! `scheduler-stop … true` removed its containers before), `scheduler-logs` (the containers'
//! output, for `dokku logs`), `scheduler-logs-failed` (what the containers of the last failed
//! deploy printed, for `logs:failed`), `scheduler-enter` (`docker exec`, for `dokku enter`) and
//! `scheduler-processes` (one line per container, for `ps:report`), and the one-off containers
//! of `dokku run` (`scheduler-run`, `-run-list`, `-run-stop`, `-run-logs`, `scheduler-retire`:
//! see `oneoff`). When the app's scheduler is
//! another one, `post-deploy` and `post-delete` remove the containers it still has here (a
//! switch of scheduler takes effect at the new scheduler's first deploy, without downtime).
//! Commands `scheduler-docker-local:set|report` (`init-process`, `parallel-schedule-count`).

mod containers;
mod deploy;
mod dynos;
mod enter;
mod logs;
mod oneoff;
mod oneoff_logs;
mod oneoff_ttl;
mod props;
mod retire;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{docker, log, Exit};

static PLUGIN: Plugin = Plugin {
    prefix: "scheduler-docker-local",
    summary: "Manage the docker-local scheduler integration for an app",
    commands: &[
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a scheduler-docker-local report for one or more apps",
            run: props::report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a scheduler-docker-local property (init-process, parallel-schedule-count)",
            run: props::set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("scheduler-deploy", trigger_deploy),
        Trigger::new("scheduler-docker-cleanup", dokku_core::cleanup::trigger_docker_local),
        Trigger::new("scheduler-stop", trigger_stop),
        Trigger::new("scheduler-start", trigger_start),
        Trigger::new("scheduler-inspect", trigger_inspect),
        Trigger::new("scheduler-is-deployed", trigger_is_deployed),
        Trigger::new("scheduler-status", trigger_status),
        Trigger::new("scheduler-app-status", trigger_app_status),
        Trigger::new("scheduler-post-delete", trigger_post_delete),
        Trigger::new("scheduler-logs", logs::trigger_logs),
        Trigger::new("scheduler-logs-failed", logs::trigger_logs_failed),
        Trigger::new("scheduler-enter", enter::trigger_enter),
        Trigger::new("scheduler-processes", trigger_processes),
        Trigger::new("scheduler-run", oneoff::trigger_run),
        Trigger::new("scheduler-run-list", oneoff::trigger_run_list),
        Trigger::new("scheduler-run-stop", oneoff::trigger_run_stop),
        Trigger::new("scheduler-run-logs", oneoff_logs::trigger_run_logs),
        Trigger::new("scheduler-retire", oneoff_ttl::trigger_retire),
        Trigger::new("post-deploy", trigger_post_deploy),
        Trigger::new("post-delete", trigger_app_post_delete),
    ],
};

/// The scheduler name this plugin answers to.
pub const NAME: &str = "docker-local";

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--retire") {
        if let Err(e) = retire::run(&argv[1..]) {
            log::error(&format!("{e:#}"));
            std::process::exit(1);
        }
        return;
    }
    if argv.first().map(String::as_str) == Some("--reap") {
        if let Err(e) = oneoff_ttl::reap(&argv[1..]) {
            log::error(&format!("{e:#}"));
            std::process::exit(1);
        }
        return;
    }
    PLUGIN.main()
}

/// `(APP, rest…)` when the first argument names this scheduler.
fn for_me(argv: &[String]) -> Option<(&str, &[String])> {
    dokku_core::contract::for_scheduler(argv, NAME)
}

/// Trigger `scheduler-deploy SCHEDULER APP [TAG [PROC_TYPE]]` (with PROC_TYPE, only that
/// process type's containers are replaced: `ps:restart APP PROC_TYPE`).
fn trigger_deploy(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    let tag = rest.first().map(String::as_str).unwrap_or("latest");
    let only = rest.get(1).map(String::as_str).filter(|t| !t.is_empty());
    deploy::deploy(app, tag, only)
}

/// Trigger `scheduler-stop SCHEDULER APP [REMOVE_CONTAINERS]`: stops every container of the
/// app; with REMOVE_CONTAINERS `true` (apps:destroy) removes them all at once instead (nothing
/// to do when no Docker engine answers).
fn trigger_stop(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = for_me(argv) else {
        return Ok(());
    };
    if rest.first().is_some_and(|r| r == "true") {
        let all = match containers::list(app) {
            Ok(all) => all,
            Err(_) if !docker::engine_answers() => return Ok(()),
            Err(e) => return Err(e),
        };
        let ids: Vec<String> = all.into_iter().map(|c| c.id).collect();
        return containers::remove(&ids);
    }
    let ids: Vec<String> = containers::list(app)?
        .into_iter()
        .filter(|c| c.running)
        .map(|c| c.id)
        .collect();
    if !ids.is_empty() {
        log::info1(&format!("Stopping {app} ({} container(s))", ids.len()));
    }
    containers::stop(&ids, containers::stop_timeout(app)?)
}

/// Trigger `scheduler-start SCHEDULER APP`: starts the app's stopped containers; exits 1 when
/// it has none (the caller then deploys).
fn trigger_start(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let all = containers::list(app)?;
    let mut ids: Vec<String> = all
        .iter()
        .filter(|c| !c.running && !c.name.contains(".retiring-"))
        .map(|c| c.id.clone())
        .collect();
    if all.iter().all(|c| c.name.contains(".retiring-")) {
        return Err(Exit(1).into());
    }
    if ids.is_empty() {
        return Ok(());
    }
    log::info1(&format!("Starting {app} ({} container(s))", ids.len()));
    ids.insert(0, "start".into());
    docker::output(&ids).map(|_| ())
}

/// Trigger `scheduler-inspect SCHEDULER APP`: `docker inspect` of its containers.
fn trigger_inspect(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let mut ids: Vec<String> = containers::list(app)?.into_iter().map(|c| c.id).collect();
    if ids.is_empty() {
        bail!("{app} has no containers");
    }
    ids.insert(0, "inspect".into());
    println!("{}", docker::output(&ids)?);
    Ok(())
}

/// Trigger `scheduler-is-deployed SCHEDULER APP`: exit 0 when the app has containers.
fn trigger_is_deployed(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    if containers::list(app)?.is_empty() {
        return Err(Exit(1).into());
    }
    Ok(())
}

/// Trigger `scheduler-status SCHEDULER APP`: `DYNO STATE` lines (`web.1 running`).
fn trigger_status(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let mut lines: Vec<String> = current(app)?
        .into_iter()
        .map(|c| {
            let dyno = c
                .name
                .strip_prefix(&format!("{app}."))
                .unwrap_or(&c.name)
                .to_string();
            format!("{dyno} {}", if c.running { "running" } else { "stopped" })
        })
        .collect();
    lines.sort();
    for l in lines {
        println!("{l}");
    }
    Ok(())
}

/// The app's containers that serve or are stopped (not those retiring or not yet switched in).
fn current(app: &str) -> Result<Vec<containers::Container>> {
    Ok(containers::list(app)?
        .into_iter()
        .filter(|c| !c.in_transition())
        .collect())
}

/// Trigger `scheduler-app-status SCHEDULER APP`: `PROCS RUNNING`, as Dokku: how many containers
/// the app has, and whether they run (`true`), none does (`false`) or some do (`mixed`).
fn trigger_app_status(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let all = current(app)?;
    let running = all.iter().filter(|c| c.running).count();
    println!("{}", dokku_core::contract::app_status(all.len(), running));
    Ok(())
}

/// Trigger `scheduler-post-delete SCHEDULER APP IMAGE_TAG`: the app's images (`dokku/APP`, every
/// tag) go with it, and any container `scheduler-stop` left (nothing to do when no Docker
/// engine answers).
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    remove_images(app)
}

/// Removes the app's images (`dokku/APP`, every tag); nothing to do when no Docker engine
/// answers.
fn remove_images(app: &str) -> Result<()> {
    let repo = docker::app_repo(app);
    let listed =
        match docker::output(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", &repo]) {
            Ok(l) => l,
            Err(_) if !docker::engine_answers() => return Ok(()),
            Err(e) => return Err(e),
        };
    // By name, never by id: an image id may carry other names too (a Dockerfile of a bare
    // `FROM` has its base image's id).
    let mut refs: Vec<String> = listed
        .lines()
        .filter(|l| !l.ends_with(":<none>") && !l.is_empty())
        .map(str::to_string)
        .collect();
    if !refs.is_empty() {
        refs.splice(0..0, ["rmi".to_string(), "-f".to_string()]);
        docker::output(&refs).with_context(|| format!("cannot remove the images of {app}"))?;
    }
    Ok(())
}

/// Trigger `scheduler-processes SCHEDULER APP`: one `TYPE<TAB>INDEX<TAB>STATE<TAB>ID<TAB>NODE`
/// line per container of the app (not those retiring or not yet switched in), sorted by type
/// and index; STATE `running` or `exited`, NODE `local`.
fn trigger_processes(argv: &[String]) -> Result<()> {
    let Some((app, _)) = for_me(argv) else {
        return Ok(());
    };
    let mut rows: Vec<(String, u32, String)> = current(app)?
        .into_iter()
        .filter_map(|c| {
            let dyno = if c.dyno.is_empty() {
                c.name.strip_prefix(&format!("{app}."))?.to_string()
            } else {
                c.dyno.clone()
            };
            let (kind, index) = dyno.rsplit_once('.')?;
            let index: u32 = index.parse().ok()?;
            let state = if c.running { "running" } else { "exited" };
            Some((kind.to_string(), index, format!("{state}\t{}", c.id)))
        })
        .collect();
    rows.sort();
    let text: String = rows
        .iter()
        .map(|(kind, index, rest)| format!("{kind}\t{index}\t{rest}\tlocal\n"))
        .collect();
    print!("{text}");
    Ok(())
}

/// Removes every container this scheduler still has for `app` and forgets their records, when
/// the app's scheduler (`scheduler-detect APP`) is another one; returns how many went.
fn remove_when_not_mine(app: &str) -> Result<usize> {
    let sched = dokku_core::scheduler(app)?;
    if sched == NAME {
        return Ok(0);
    }
    let ids: Vec<String> = match containers::list(app) {
        Ok(all) => all.into_iter().map(|c| c.id).collect(),
        Err(_) if !docker::engine_answers() => return Ok(0),
        Err(e) => return Err(e),
    };
    if !ids.is_empty() {
        log::info1(&format!(
            "Removing {} docker-local container(s) of {app}: its scheduler is now {sched}",
            ids.len()
        ));
        containers::remove(&ids)?;
    }
    containers::forget_except(app, &[])?;
    Ok(ids.len())
}

/// Trigger `post-deploy APP PORT IP TAG`: once another scheduler deployed the app, the
/// containers it had here go.
fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    dokku_core::appname::verify(app)?;
    remove_when_not_mine(app).map(|_| ())
}

/// Trigger `post-delete APP IMAGE_TAG`: `apps:destroy` stopped the app through its current
/// scheduler only; whatever this one still has for it goes too (its containers, any
/// `dokku/APP` image left).
fn trigger_app_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    dokku_core::appname::validate(app)?;
    let ids: Vec<String> = match containers::list(app) {
        Ok(all) => all.into_iter().map(|c| c.id).collect(),
        Err(_) if !docker::engine_answers() => return Ok(()),
        Err(e) => return Err(e),
    };
    containers::remove(&ids)?;
    remove_images(app)
}
