//! Deploy time (issue 19): the containers of one deploy start and are checked
//! `parallel-schedule-count` at a time (a failing one still fails the whole deploy and the old
//! release keeps serving); the default check watches the web port during `default-wait`, so a
//! web process that never listens fails the deploy with one clear line; an app.json healthcheck
//! passes as soon as the app answers, not one `wait` later. Timings are asserted loosely: the
//! targets are in scripts/bench.

use dokku_tests::{http_body, Sandbox};
use std::process::Command;
use std::time::Instant;

/// A sandbox with Docker, quick checks (1 s uptime) and quick retirement (1 s).
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

/// Seconds since midnight (UTC) of a docker `StartedAt` time (`2026-12-01T06:10:11.123Z`).
fn started_at(container: &str) -> f64 {
    let out = Command::new("docker")
        .args(["inspect", "--format", "{{.State.StartedAt}}", container])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let time = text
        .split_once('T')
        .map(|(_, t)| t.trim_end_matches('Z'))
        .unwrap_or_else(|| panic!("no StartedAt for {container}: {text:?}"));
    let f: Vec<f64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    f[0] * 3600.0 + f[1] * 60.0 + f[2]
}

/// The spread (latest minus earliest) of the start times of `app`'s `web.1..=web.N`.
fn start_spread(app: &str, n: u32) -> f64 {
    let t: Vec<f64> = (1..=n)
        .map(|i| started_at(&format!("{app}.web.{i}")))
        .collect();
    let (lo, hi) = t
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    let d = hi - lo;
    if d < 0.0 {
        d + 86_400.0
    } else {
        d
    }
}

#[test]
fn containers_start_together_up_to_parallel_schedule_count() {
    let sb = sandbox();
    let app = sb.unique_app("par");
    sb.dokku(&["apps:create", &app]).ok();
    // Each container's check takes 2 s: one at a time, 3 of them start 2 s apart.
    sb.dokku(&["checks:set", &app, "default-wait", "2"]).ok();
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=3"]).ok();
    sb.dokku(&[
        "scheduler-docker-local:set",
        &app,
        "parallel-schedule-count",
        "3",
    ])
    .ok();
    sb.dokku(&[
        "scheduler-docker-local:report",
        &app,
        "--scheduler-docker-local-computed-parallel-schedule-count",
    ])
    .ok()
    .out_has("3");
    let procfile = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("par1")), ("Procfile", procfile)],
    )
    .ok();
    let together = start_spread(&app, 3);
    assert!(
        together < 1.5,
        "parallel starts spread over {together:.2} s"
    );
    for i in 1..=3 {
        let port = sb.web_port(&app, &format!("web.{i}"));
        assert_eq!(http_body(port).as_deref(), Some("par1"));
    }
    // One at a time (Dokku's default, 1): each starts after the one before passed its check.
    sb.dokku(&[
        "scheduler-docker-local:set",
        &app,
        "parallel-schedule-count",
    ])
    .ok();
    sb.dokku(&["ps:restart", &app]).ok();
    let apart = start_spread(&app, 3);
    assert!(
        apart >= 3.5,
        "sequential starts spread over only {apart:.2} s"
    );
    // In parallel, one failing container fails the whole deploy: the old release serves.
    sb.dokku(&[
        "scheduler-docker-local:set",
        &app,
        "parallel-schedule-count",
        "4",
    ])
    .ok();
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=3", "worker=1"])
        .ok();
    let broken = "web: exec httpd -f -p $PORT -h /www\nworker: echo worker-gave-up; exit 4\n";
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("par2")), ("Procfile", broken)],
    )
    .fails()
    .err_has("previous release keeps serving");
    for i in 1..=3 {
        let port = sb.web_port(&app, &format!("web.{i}"));
        assert_eq!(http_body(port).as_deref(), Some("par1"), "web.{i}");
    }
    let names = Command::new("docker")
        .args(["ps", "-a", "--format", "{{.Names}}", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&names.stdout);
    assert!(!names.contains("upcoming"), "new containers left: {names}");
}

#[test]
fn a_web_process_that_never_listens_fails_the_deploy() {
    let sb = sandbox();
    let app = sb.unique_app("deaf");
    sb.dokku(&["apps:create", &app]).ok();
    let ok = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("heard")), ("Procfile", ok)],
    )
    .ok();
    let port = sb.web_port(&app, "web.1");
    let deaf = "web: exec sleep 1000\nworker: exec sleep 1000\n";
    let out = sb
        .deploy_source(&app, &[("Procfile", deaf)])
        .fails()
        .err_has("web.1 is not listening on port 5000 after 1 s");
    assert!(
        out.stderr.matches("is not listening").count() == 1,
        "{out:#?}"
    );
    // The old release keeps serving.
    assert_eq!(sb.web_port(&app, "web.1"), port);
    assert_eq!(http_body(port).as_deref(), Some("heard"));
    // A worker needs no port: it is only expected to stay up.
    sb.dokku(&["ps:scale", &app, "worker=1"]).ok();
}

#[test]
fn an_app_json_healthcheck_passes_as_soon_as_the_app_answers() {
    let sb = sandbox();
    let app = sb.unique_app("soon");
    sb.dokku(&["apps:create", &app]).ok();
    // The app listens 1 s after it starts; the check's first attempt finds nothing, and the
    // next one (Dokku's `wait`: 5 s) would come long after it listens.
    let procfile = "web: sleep 1; exec httpd -f -p $PORT -h /www\n";
    let app_json = r#"{"healthchecks":{"web":[{"type":"startup","name":"root","path":"/","attempts":3,"wait":5}]}}"#;
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &dockerfile("soon")),
            ("Procfile", procfile),
            ("app.json", app_json),
        ],
    )
    .ok();
    let t = Instant::now();
    sb.dokku(&["ps:restart", &app]).ok();
    let took = t.elapsed().as_secs_f64();
    assert!(took < 4.5, "ps:restart took {took:.1} s");
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("soon")
    );
}
