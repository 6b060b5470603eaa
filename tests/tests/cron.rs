//! The cron plugin on the real engine and the real cron daemon: app.json `cron` tasks listed
//! with Dokku's IDs (lowercase base36 of `APP===COMMAND===SCHEDULE`, stable across deploys),
//! reported, run on the fly in one-off containers (output, exit code, `--detach`), their
//! `concurrency_policy` honoured, suspended, resumed and put in maintenance (the crontab
//! follows), bad input refused with one line, and a `* * * * *` task run by Debian's cron
//! daemon within its minute. A `--root` installation's crontab is
//! `/etc/cron.d/dokku-<hash of DOKKU_ROOT>`; each test removes its own (also when it panics).

use dokku_tests::{refused, Sandbox};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A sandbox with Docker and quick deploys, whose cron.d file is removed when it goes.
struct Cron {
    sb: Sandbox,
}

impl Drop for Cron {
    fn drop(&mut self) {
        if let Some(f) = cron_file(&self.sb) {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn sandbox() -> Cron {
    let sb = Sandbox::new();
    sb.quick_deploys();
    Cron { sb }
}

/// This root's file under /etc/cron.d (the one that sets its DOKKU_ROOT), if any.
fn cron_file(sb: &Sandbox) -> Option<PathBuf> {
    let marker = format!("DOKKU_ROOT=\"{}\"", sb.dokku_root().display());
    std::fs::read_dir("/etc/cron.d")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.lines().any(|l| l == marker))
                .unwrap_or(false)
        })
}

fn cron_text(sb: &Sandbox) -> String {
    cron_file(sb)
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap_or_default()
}

/// Dokku's task ID, computed independently: base36 (lowercase) of the bytes, big-endian.
fn dokku_id(app: &str, command: &str, schedule: &str) -> String {
    let bytes = format!("{app}==={command}==={schedule}").into_bytes();
    let mut n = bytes.clone();
    let mut out = Vec::new();
    while n.iter().any(|b| *b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 36) as u8;
            rem = cur % 36;
        }
        out.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[rem as usize] as char);
    }
    out.iter().rev().collect()
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

fn list_json(sb: &Sandbox, app: &str) -> Vec<serde_json::Value> {
    let out = sb.dokku(&["cron:list", app, "--format", "json"]).ok();
    serde_json::from_str::<serde_json::Value>(out.stdout.trim())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The containers (running or not) of a task.
fn task_containers(id: &str, all: bool) -> Vec<String> {
    let mut c = Command::new("docker");
    c.args(["ps", "-q", "--filter"])
        .arg(format!("label=com.dokku.cron-id={id}"));
    if all {
        c.arg("-a");
    }
    let out = c.output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

const TWO_TASKS: &str = r#"{"cron": [
  {"command": "echo hello-cron; exit 3", "schedule": "@daily"},
  {"command": "true", "schedule": "*/5 * * * *", "concurrency_policy": "forbid"}
]}"#;

#[test]
fn list_report_ids_run_and_schedule() {
    let c = sandbox();
    let sb = &c.sb;
    let app = sb.unique_app("cron");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("one")), ("app.json", TWO_TASKS)],
    )
    .ok();

    let tasks = list_json(sb, &app);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let daily = dokku_id(&app, "echo hello-cron; exit 3", "@daily");
    let five = dokku_id(&app, "true", "*/5 * * * *");
    assert_eq!(tasks[0]["id"], daily.as_str());
    assert_eq!(tasks[0]["app"], app.as_str());
    assert_eq!(tasks[0]["schedule"], "@daily");
    assert_eq!(tasks[0]["concurrency_policy"], "allow");
    assert_eq!(tasks[1]["id"], five.as_str());
    assert_eq!(tasks[1]["concurrency_policy"], "forbid");
    let table = sb.dokku(&["cron:list", &app]).ok().stdout;
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&daily) && table.contains("*/5 * * * *"),
        "{table}"
    );

    let report = sb
        .dokku(&["cron:report", &app, "--format", "json"])
        .ok()
        .stdout;
    let r: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(r["cron-task-count"], "2", "{r}");
    assert_eq!(r["cron-computed-maintenance"], "false", "{r}");
    let one = sb.dokku(&["cron:report", &app, "--cron-task-count"]).ok();
    assert_eq!(one.stdout.trim(), "2");

    // The host crontab: one line per task, run as this user, through `dokku cron:run`.
    let text = cron_text(sb);
    let user = sb.ssh_user();
    assert!(text.contains("SHELL=/bin/bash"), "{text}");
    for (sched, id) in [("@daily", &daily), ("*/5 * * * *", &five)] {
        let line = format!(
            "{sched} {user} '{}' cron:run {app} {id}",
            sb.root.join("bin/dokku").display()
        );
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }

    // The same tasks in a new release keep their IDs.
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("two")), ("app.json", TWO_TASKS)],
    )
    .ok();
    let again: Vec<_> = list_json(sb, &app)
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(again, vec![daily.as_str(), five.as_str()]);

    // cron:run: the command's output and exit code, in a one-off container removed after.
    let out = sb.dokku(&["cron:run", &app, &daily]);
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stdout.contains("hello-cron"), "{out:#?}");
    assert!(task_containers(&daily, true).is_empty());
    // --detach: the container's id, and it goes once the command ends.
    let out = sb.dokku(&["cron:run", "--detach", &app, &five]).ok();
    assert!(out.stdout.trim().len() >= 12, "{out:#?}");
    wait_until("the detached task's container to go", 30, || {
        task_containers(&five, true).is_empty()
    });

    // suspend / resume / maintenance change the crontab.
    sb.dokku(&["cron:suspend", &app, &five]).ok();
    assert!(!cron_text(sb).contains(&five));
    assert!(cron_text(sb).contains(&daily));
    assert_eq!(list_json(sb, &app)[1]["suspended"], true);
    sb.dokku(&["cron:resume", &app, &five]).ok();
    assert!(cron_text(sb).contains(&five));
    sb.dokku(&["cron:set", &app, "maintenance", "true"]).ok();
    assert!(cron_file(sb).is_none(), "no task left: the file goes");
    let r = sb
        .dokku(&["cron:report", &app, "--cron-computed-maintenance"])
        .ok();
    assert_eq!(r.stdout.trim(), "true");
    sb.dokku(&["cron:set", &app, "maintenance", "false"]).ok();
    assert!(cron_text(sb).contains(&five));
    sb.dokku(&["cron:set", "--global", "mailto", "ops@example.com"])
        .ok();
    assert!(cron_text(sb).contains("MAILTO=\"ops@example.com\""));
    sb.dokku(&["cron:set", "--global", "mailto"]).ok();
    assert!(!cron_text(sb).contains("MAILTO"));

    // Bad input: one line, nothing changed.
    let before = cron_text(sb);
    refused(sb.dokku(&["cron:run", &app, "nosuchtask"]), "No cron task");
    refused(sb.dokku(&["cron:run", &app, "Bad-Id!"]), "Invalid cron id");
    refused(sb.dokku(&["cron:run", &app]), "cron id");
    refused(
        sb.dokku(&["cron:suspend", &app, "nosuchtask"]),
        "No cron task",
    );
    refused(sb.dokku(&["cron:set", &app, "mailto", "a@b.c"]), "per-app");
    refused(
        sb.dokku(&["cron:set", &app, "color", "red"]),
        "invalid property",
    );
    refused(
        sb.dokku(&["cron:set", &app, "maintenance", "maybe"]),
        "maintenance",
    );
    refused(
        sb.dokku(&["cron:set", "--global", "mailto", "a b\nMAILTO=x"]),
        "mailto",
    );
    refused(sb.dokku(&["cron:list", "nosuchapp"]), "nosuchapp");
    refused(sb.dokku(&["cron:list", &app, "--format", "yaml"]), "yaml");
    assert_eq!(cron_text(sb), before);

    // The app's tasks leave the crontab with it.
    sb.dokku(&["apps:destroy", &app, "--force"]).ok();
    assert!(cron_file(sb).is_none());
}

#[test]
fn bad_tasks_fail_the_deploy_and_keep_the_old_ones() {
    let c = sandbox();
    let sb = &c.sb;
    let app = sb.unique_app("cronbad");
    sb.dokku(&["apps:create", &app]).ok();
    let good = r#"{"cron": [{"command": "true", "schedule": "@hourly"}]}"#;
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("one")), ("app.json", good)],
    )
    .ok();
    let id = dokku_id(&app, "true", "@hourly");
    for (bad, needle) in [
        (
            r#"{"cron": [{"command": "true", "schedule": "61 * * * *"}]}"#,
            "minute value 61",
        ),
        (
            r#"{"cron": [{"command": "true", "schedule": "* * * *"}]}"#,
            "5 fields",
        ),
        (
            r#"{"cron": [{"command": "true", "schedule": "@every 1m"}]}"#,
            "descriptor",
        ),
        (
            r#"{"cron": [{"command": "true", "schedule": "@daily", "concurrency_policy": "sometimes"}]}"#,
            "concurrency_policy",
        ),
        (r#"{"cron": [{"schedule": "@daily"}]}"#, "no command"),
    ] {
        sb.deploy_source(
            &app,
            &[("Dockerfile", &dockerfile("two")), ("app.json", bad)],
        )
        .fails()
        .err_has(needle);
        let tasks = list_json(sb, &app);
        assert_eq!(tasks.len(), 1, "{bad}: {tasks:?}");
        assert_eq!(tasks[0]["id"], id.as_str());
        assert!(cron_text(sb).contains(&id));
    }
}

#[test]
fn concurrency_policy_forbid_and_replace() {
    let c = sandbox();
    let sb = &c.sb;
    let app = sb.unique_app("cronpol");
    sb.dokku(&["apps:create", &app]).ok();
    let json = r#"{"cron": [
      {"command": "sleep 60", "schedule": "@daily", "concurrency_policy": "forbid"},
      {"command": "sleep 61", "schedule": "@daily", "concurrency_policy": "replace"},
      {"command": "sleep 62", "schedule": "@daily"}
    ]}"#;
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("one")), ("app.json", json)],
    )
    .ok();
    let forbid = dokku_id(&app, "sleep 60", "@daily");
    let replace = dokku_id(&app, "sleep 61", "@daily");
    let allow = dokku_id(&app, "sleep 62", "@daily");

    sb.dokku(&["cron:run", "--detach", &app, &forbid]).ok();
    let first = task_containers(&forbid, false);
    assert_eq!(first.len(), 1);
    sb.dokku(&["cron:run", "--detach", &app, &forbid])
        .ok()
        .out_has("already running");
    assert_eq!(task_containers(&forbid, false), first, "forbid starts none");

    sb.dokku(&["cron:run", "--detach", &app, &replace]).ok();
    let old = task_containers(&replace, false);
    assert_eq!(old.len(), 1);
    sb.dokku(&["cron:run", "--detach", &app, &replace]).ok();
    let new = task_containers(&replace, false);
    assert_eq!(new.len(), 1);
    assert_ne!(new, old, "replace swaps the running one");

    sb.dokku(&["cron:run", "--detach", &app, &allow]).ok();
    sb.dokku(&["cron:run", "--detach", &app, &allow]).ok();
    assert_eq!(task_containers(&allow, false).len(), 2, "allow runs both");
}

#[test]
fn the_cron_daemon_runs_an_every_minute_task() {
    let running = Command::new("pgrep")
        .args(["-x", "cron"])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        running,
        "no cron daemon runs: scripts/test installs Debian's cron and starts /usr/sbin/cron"
    );
    let c = sandbox();
    let sb = &c.sb;
    let app = sb.unique_app("cronrun");
    sb.dokku(&["apps:create", &app]).ok();
    let data = sb.dir.path().join("cron-data");
    std::fs::create_dir_all(&data).unwrap();
    let mount = format!("{}:/data", data.display());
    sb.dokku(&["storage:mount", &app, &mount]).ok();
    let json =
        r#"{"cron": [{"command": "echo ran-by-cron >> /data/marker", "schedule": "* * * * *"}]}"#;
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("one")), ("app.json", json)],
    )
    .ok();
    assert!(cron_text(sb).contains("* * * * * "), "{}", cron_text(sb));
    let marker = data.join("marker");
    let start = Instant::now();
    wait_until("the cron daemon to run the task", 75, || {
        std::fs::read_to_string(&marker).is_ok_and(|t| t.contains("ran-by-cron"))
    });
    eprintln!("the cron daemon ran the task after {:?}", start.elapsed());
    assert!(Path::new(&marker).exists());
}
