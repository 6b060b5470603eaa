//! The logs, run and scheduler-docker-local properties against the real Docker engine:
//! `logs:failed` shows what a failed deploy's containers printed; `logs:set max-size` and
//! `app-label-alias` reach the containers; `logs:report` / `scheduler-docker-local:report`
//! round-trip as JSON; `run:logs` shows a detached run's output; `--ttl-seconds` removes a
//! detached one-off after its time, `run:retire` the expired ones; `parallel-schedule-count`
//! starts and checks a deploy's containers together, and a failure among them leaves the old
//! release serving; bad input is refused with one line.

use dokku_tests::{http_body, refused, Sandbox};
use std::process::Command;
use std::time::{Duration, Instant};

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The names of the app's containers (not retiring ones), sorted.
fn containers(app: &str) -> Vec<String> {
    let label = format!("label=com.dokku.app-name={app}");
    let mut v: Vec<String> =
        docker_out(&["ps", "-a", "--format", "{{.Names}}", "--filter", &label])
            .lines()
            .filter(|n| !n.contains(".retiring-") && !n.is_empty())
            .map(str::to_string)
            .collect();
    v.sort();
    v
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}

#[test]
fn logs_failed_shows_what_the_failed_deploy_printed() {
    let sb = sandbox();
    let app = sb.unique_app("lfail");
    sb.dokku(&["apps:create", &app]).ok();
    let procfile = "web: echo early-exit-marker-$PORT; exit 3\n";
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("x")), ("Procfile", procfile)],
    )
    .fails();
    sb.dokku(&["logs:failed", &app])
        .ok()
        .out_has(&format!("{app}[web.1]: early-exit-marker-5000"));
    sb.dokku(&["logs:failed", "--all"])
        .ok()
        .out_has("early-exit-marker");
    // A deploy that succeeds forgets it.
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("ok")), ("Procfile", "")])
        .ok();
    let out = sb.dokku(&["logs:failed", &app]).ok();
    assert!(!out.stdout.contains("early-exit-marker"), "{out:#?}");
    refused(sb.dokku(&["logs:failed"]), "--all");
    refused(sb.dokku(&["logs:failed", "--all", &app]), "not both");
    refused(sb.dokku(&["logs:failed", "no-such-app"]), "no-such-app");
}

#[test]
fn logs_properties_reach_the_containers_and_report_round_trips() {
    let sb = sandbox();
    let app = sb.unique_app("lprop");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["logs:set", &app, "max-size", "1m"]).ok();
    sb.dokku(&["logs:set", &app, "app-label-alias", "org.example.app"])
        .ok();
    sb.dokku(&["logs:set", "--global", "max-size", "5m"]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("p"))])
        .ok();
    let web = format!("{app}.web.1");
    let log_config = json(&docker_out(&[
        "inspect",
        "--format",
        "{{json .HostConfig.LogConfig}}",
        &web,
    ]));
    assert_eq!(log_config["Config"]["max-size"], "1m", "{log_config}");
    let labels = json(&docker_out(&[
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &web,
    ]));
    assert_eq!(labels["org.example.app"], app.as_str(), "{labels}");
    // A one-off gets them too.
    let id = sb.dokku(&["run:detached", &app, "sleep", "20"]).ok().stdout;
    let run_log = docker_out(&[
        "inspect",
        "--format",
        "{{index .HostConfig.LogConfig.Config \"max-size\"}}",
        id.trim(),
    ]);
    assert_eq!(run_log, "1m");
    docker_out(&["rm", "-f", id.trim()]);

    let report = json(
        &sb.dokku(&["logs:report", &app, "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(report["logs-max-size"], "1m");
    assert_eq!(report["logs-computed-max-size"], "1m");
    assert_eq!(report["logs-global-max-size"], "5m");
    assert_eq!(report["logs-app-label-alias"], "org.example.app");
    assert_eq!(report["logs-computed-app-label-alias"], "org.example.app");
    sb.dokku(&["logs:report", &app, "--logs-computed-max-size"])
        .ok()
        .out_has("1m");
    sb.dokku(&["logs:set", &app, "max-size"]).ok();
    let report = json(
        &sb.dokku(&["logs:report", &app, "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(report["logs-max-size"], "");
    assert_eq!(report["logs-computed-max-size"], "5m");
    sb.dokku(&["logs:set", "--global", "max-size"]).ok();
    sb.dokku(&["logs:report", &app, "--logs-computed-max-size"])
        .ok()
        .out_has("10m");

    for (key, bad) in [
        ("max-size", "10x"),
        ("max-size", "0m"),
        ("max-size", "-1"),
        ("app-label-alias", "a b"),
        ("app-label-alias", "x;y"),
    ] {
        refused(sb.dokku(&["logs:set", &app, key, bad]), key);
    }
    refused(sb.dokku(&["logs:set", &app, "nope", "1"]), "nope");
    refused(sb.dokku(&["logs:report", &app, "--format", "xml"]), "xml");
    let report = json(
        &sb.dokku(&["logs:report", &app, "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(report["logs-max-size"], "", "a refused set wrote nothing");
}

#[test]
fn scheduler_docker_local_properties_round_trip_and_init_process_applies() {
    let sb = sandbox();
    let app = sb.unique_app("sdlp");
    sb.dokku(&["apps:create", &app]).ok();
    let report = |sb: &Sandbox| {
        json(
            &sb.dokku(&["scheduler-docker-local:report", &app, "--format", "json"])
                .ok()
                .stdout,
        )
    };
    let r = report(&sb);
    assert_eq!(r["scheduler-docker-local-computed-init-process"], "true");
    assert_eq!(
        r["scheduler-docker-local-computed-parallel-schedule-count"],
        "1"
    );
    sb.dokku(&["scheduler-docker-local:set", &app, "init-process", "false"])
        .ok();
    sb.dokku(&[
        "scheduler-docker-local:set",
        "--global",
        "parallel-schedule-count",
        "3",
    ])
    .ok();
    let r = report(&sb);
    assert_eq!(r["scheduler-docker-local-init-process"], "false");
    assert_eq!(r["scheduler-docker-local-computed-init-process"], "false");
    assert_eq!(
        r["scheduler-docker-local-global-parallel-schedule-count"],
        "3"
    );
    assert_eq!(
        r["scheduler-docker-local-computed-parallel-schedule-count"],
        "3"
    );
    for (key, bad) in [
        ("init-process", "yes"),
        ("parallel-schedule-count", "0"),
        ("parallel-schedule-count", "x"),
        ("parallel-schedule-count", "1000"),
    ] {
        refused(
            sb.dokku(&["scheduler-docker-local:set", &app, key, bad]),
            key,
        );
    }
    refused(
        sb.dokku(&["scheduler-docker-local:set", &app, "nope", "1"]),
        "nope",
    );
    assert_eq!(report(&sb)["scheduler-docker-local-init-process"], "false");

    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("i"))])
        .ok();
    let init = docker_out(&[
        "inspect",
        "--format",
        "{{json .HostConfig.Init}}",
        &format!("{app}.web.1"),
    ]);
    assert_ne!(init, "true", "init-process false: no --init");
    sb.dokku(&["scheduler-docker-local:set", &app, "init-process"])
        .ok();
    sb.dokku(&["ps:rebuild", &app]).ok();
    let init = docker_out(&[
        "inspect",
        "--format",
        "{{json .HostConfig.Init}}",
        &format!("{app}.web.1"),
    ]);
    assert_eq!(init, "true");
}

#[test]
fn run_logs_ttl_seconds_and_run_retire() {
    let sb = sandbox();
    let app = sb.unique_app("rttl");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("r"))])
        .ok();

    // run:logs shows a detached run's output.
    let id = sb
        .dokku(&[
            "run:detached",
            &app,
            "sh",
            "-c",
            "echo run-logs-marker; sleep 30",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let name = docker_out(&["inspect", "--format", "{{.Name}}", &id])
        .trim_start_matches('/')
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = sb.dokku(&["run:logs", &app]).ok();
        if out.stdout.contains("run-logs-marker") {
            let dyno = name.strip_prefix(&format!("{app}.")).unwrap();
            assert!(
                out.stdout
                    .contains(&format!("{app}[{dyno}]: run-logs-marker")),
                "{out:#?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{out:#?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    sb.dokku(&["run:logs", &app, &name, "-q"])
        .ok()
        .out_has("run-logs-marker");
    sb.dokku(&["run:logs", "--container", &name, "-n", "1"])
        .ok()
        .out_has("run-logs-marker");
    refused(sb.dokku(&["run:logs", &app, "other.run.1"]), "other.run.1");
    refused(sb.dokku(&["run:logs", &app, "-n", "x"]), "x");
    refused(sb.dokku(&["run:logs"]), "--container");
    docker_out(&["rm", "-f", &id]);

    // --ttl-seconds 2: gone after its time, not before.
    let started = Instant::now();
    let id = sb
        .dokku(&["run:detached", "--ttl-seconds", "2", &app, "sleep", "60"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let gone = loop {
        let exists = Command::new("docker")
            .args(["inspect", &id])
            .output()
            .unwrap()
            .status
            .success();
        if !exists {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the run container outlived its ttl"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        gone >= Duration::from_millis(1500),
        "removed after {gone:?}"
    );

    // run:retire removes an expired one-off whose reaper never ran, and leaves the others.
    let expired = format!("{app}.run.91");
    let kept = format!("{app}.run.92");
    for (name, deadline) in [(&expired, "1"), (&kept, "")] {
        let mut args = vec![
            "run".to_string(),
            "-d".into(),
            "--name".into(),
            name.clone(),
            "--label".into(),
            "dokku".into(),
            "--label".into(),
            format!("com.dokku.app-name={app}"),
            "--label".into(),
            "com.dokku.container-type=run".into(),
        ];
        if !deadline.is_empty() {
            args.extend([
                "--label".into(),
                format!("com.dokku.run-deadline={deadline}"),
            ]);
        }
        args.extend([format!("dokku/{app}:latest"), "sleep".into(), "60".into()]);
        let o = Command::new("docker").args(&args).output().unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    sb.dokku(&["run:retire"]).ok();
    let names = containers(&app);
    assert!(!names.contains(&expired), "{names:?}");
    assert!(names.contains(&kept), "{names:?}");
    docker_out(&["rm", "-f", &kept]);

    for bad in ["0", "x", "-1"] {
        refused(
            sb.dokku(&["run:detached", "--ttl-seconds", bad, &app, "true"]),
            "ttl-seconds",
        );
    }
    refused(sb.dokku(&["run:retire", "no-such-app"]), "no-such-app");
}

/// The start times of the app's containers (`docker inspect .State.StartedAt`).
fn start_times(names: &[String]) -> Vec<chrono_like::Instant> {
    names
        .iter()
        .map(|n| {
            chrono_like::parse(&docker_out(&[
                "inspect",
                "--format",
                "{{.State.StartedAt}}",
                n,
            ]))
        })
        .collect()
}

/// Enough of RFC 3339 for docker's `StartedAt` (UTC, nanoseconds): seconds of the day.
mod chrono_like {
    /// Seconds since midnight (with the fraction), and the date.
    pub type Instant = (String, f64);

    /// Parses `2026-01-01T12:34:56.123456789Z`.
    pub fn parse(s: &str) -> Instant {
        let (date, time) = s.split_once('T').unwrap_or_else(|| panic!("{s:?}"));
        let time = time.trim_end_matches('Z');
        let mut it = time.split(':');
        let h: f64 = it.next().unwrap().parse().unwrap();
        let m: f64 = it.next().unwrap().parse().unwrap();
        let sec: f64 = it.next().unwrap().parse().unwrap();
        (date.to_string(), h * 3600.0 + m * 60.0 + sec)
    }
}

#[test]
fn parallel_schedule_count_checks_the_containers_together() {
    let sb = sandbox();
    let app = sb.unique_app("par");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["checks:set", &app, "default-wait", "3"]).ok();
    sb.dokku(&[
        "scheduler-docker-local:set",
        &app,
        "parallel-schedule-count",
        "4",
    ])
    .ok();
    let procfile = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("v1")), ("Procfile", procfile)],
    )
    .ok();
    sb.dokku(&["ps:scale", &app, "web=4", "worker=1"]).ok();
    let names: Vec<String> = (1..=4).map(|i| format!("{app}.web.{i}")).collect();
    let mut all = names.clone();
    all.push(format!("{app}.worker.1"));
    assert_eq!(containers(&app), all);
    let times = start_times(&names);
    let first = times.iter().map(|t| t.1).fold(f64::MAX, f64::min);
    let last = times.iter().map(|t| t.1).fold(f64::MIN, f64::max);
    assert!(
        times.iter().all(|t| t.0 == times[0].0) && last - first < 3.0,
        "the 4 containers did not start within one default-wait: {times:?}"
    );
    let port = sb.web_port(&app, "web.1");
    assert_eq!(http_body(port).as_deref(), Some("v1"));

    // A failure among them: every new container goes, the old release keeps serving.
    let failing =
        "web: exec httpd -f -p $PORT -h /www\nworker: echo worker-failed-marker; exit 4\n";
    let out = sb
        .deploy_source(
            &app,
            &[("Dockerfile", &dockerfile("v2")), ("Procfile", failing)],
        )
        .fails();
    assert!(out.stderr.contains("keeps serving"), "{out:#?}");
    assert_eq!(containers(&app), all);
    assert_eq!(sb.web_port(&app, "web.1"), port);
    assert_eq!(http_body(port).as_deref(), Some("v1"));
    sb.dokku(&["logs:failed", &app])
        .ok()
        .out_has("worker-failed-marker");
}
