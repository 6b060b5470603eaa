//! ps properties, app-json and checks:run on the real Docker engine: `appjson-path` and
//! `procfile-path` move the release files (formation and the Procfile read from there),
//! `app-json-get-content` answers, `skip-deploy` builds without starting, `start-cmd` changes
//! what runs, `stop-timeout-seconds` reaches the stop, `ps:restart APP TYPE` replaces only that
//! type, `--parallel` restarts all apps, `ps:scale --format json`, and `checks:run` passes and
//! fails per container. Bad input is refused with one line.

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

/// `NAME ID` of the app's running containers (not retiring), sorted by name.
fn containers(app: &str) -> Vec<(String, String)> {
    let out = Command::new("docker")
        .args(["ps", "--format", "{{.Names}} {{.ID}}", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    let mut v: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|n| !n.contains(".retiring-"))
        .filter_map(|l| l.split_once(' '))
        .map(|(n, i)| (n.to_string(), i.to_string()))
        .collect();
    v.sort();
    v
}

fn names(app: &str) -> Vec<String> {
    containers(app).into_iter().map(|(n, _)| n).collect()
}

fn id_of(app: &str, dyno: &str) -> String {
    let name = format!("{app}.{dyno}");
    containers(app)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, i)| i)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn fire(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["trigger"];
    all.extend_from_slice(args);
    sb.plugn(&all).ok().stdout
}

const PROCFILE: &str = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";

#[test]
fn appjson_path_and_procfile_path_move_the_release_files() {
    let sb = sandbox();
    let app = sb.unique_app("paths");
    sb.dokku(&["apps:create", &app]).ok();
    refused(
        sb.dokku(&["app-json:set", &app, "appjson-path", "../app.json"]),
        "appjson-path",
    );
    refused(
        sb.dokku(&["app-json:set", &app, "appjson-path", "/etc/app.json"]),
        "appjson-path",
    );
    refused(sb.dokku(&["app-json:set", &app, "nope", "x"]), "nope");
    refused(
        sb.dokku(&["ps:set", &app, "procfile-path", "a/../Procfile"]),
        "procfile-path",
    );
    sb.dokku(&["app-json:set", &app, "appjson-path", "deploy/app.json"])
        .ok();
    sb.dokku(&["ps:set", &app, "procfile-path", "ops/Procfile"])
        .ok();
    sb.dokku(&["app-json:report", &app, "--app-json-computed-appjson-path"])
        .ok()
        .out_has("deploy/app.json");
    sb.dokku(&["ps:report", &app, "--ps-computed-procfile-path"])
        .ok()
        .out_has("ops/Procfile");
    let moved = r#"{"formation":{"worker":{"quantity":1}}}"#;
    // A root app.json and Procfile are ignored: only the configured paths count.
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &dockerfile("paths")),
            ("deploy/app.json", moved),
            ("ops/Procfile", PROCFILE),
            ("app.json", r#"{"formation":{"worker":{"quantity":3}}}"#),
            ("Procfile", "web: exec sleep 1000\n"),
        ],
    )
    .ok();
    assert_eq!(
        names(&app),
        [format!("{app}.web.1"), format!("{app}.worker.1")]
    );
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("paths")
    );
    assert_eq!(fire(&sb, &["app-json-get-content", &app]), moved);
    sb.plugn(&["trigger", "app-json-is-valid", &app]).ok();
    // An invalid app.json at the path fails the push before the build; the old one stays.
    sb.deploy_source(
        &app,
        &[(
            "deploy/app.json",
            r#"{"formation":{"web":{"quantity":-1}}}"#,
        )],
    )
    .fails()
    .err_has("deploy/app.json");
    assert_eq!(fire(&sb, &["app-json-get-content", &app]), moved);
}

#[test]
fn skip_deploy_start_cmd_and_stop_timeout() {
    let sb = sandbox();
    let app = sb.unique_app("props");
    sb.dokku(&["apps:create", &app]).ok();
    refused(
        sb.dokku(&["ps:set", &app, "skip-deploy", "yes"]),
        "skip-deploy",
    );
    refused(
        sb.dokku(&["ps:set", &app, "stop-timeout-seconds", "-3"]),
        "stop-timeout-seconds",
    );
    refused(sb.dokku(&["ps:set", &app, "nope", "1"]), "nope");
    sb.dokku(&["ps:set", &app, "skip-deploy", "true"]).ok();
    let out = sb
        .deploy_source(&app, &[("Dockerfile", &dockerfile("skipped"))])
        .ok();
    assert!(out.stdout.contains("skip-deploy"), "{out:#?}");
    let image = Command::new("docker")
        .args(["image", "inspect", &format!("dokku/{app}:latest")])
        .output()
        .unwrap();
    assert!(image.status.success(), "the image was not built");
    assert!(names(&app).is_empty(), "{:?}", names(&app));
    sb.dokku(&["ps:set", &app, "skip-deploy"]).ok();
    // start-cmd replaces the web command; its process ignores SIGTERM, so a stop takes the
    // stop timeout.
    let cmd =
        "trap '' TERM; mkdir -p /alt; echo started > /alt/index.html; httpd -f -p $PORT -h /alt";
    sb.dokku(&["ps:set", &app, "start-cmd", cmd]).ok();
    sb.dokku(&["ps:set", &app, "stop-timeout-seconds", "2"])
        .ok();
    sb.dokku(&["ps:report", &app, "--ps-computed-stop-timeout-seconds"])
        .ok()
        .out_has("2");
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("image-cmd"))])
        .ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("started")
    );
    let t = Instant::now();
    sb.dokku(&["ps:stop", &app]).ok();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(8),
        "ps:stop took {took:?} with stop-timeout-seconds 2 (Docker's default is 10)"
    );
    sb.dokku(&["ps:start", &app]).ok();
}

#[test]
fn restart_one_process_type_and_scale_json() {
    let sb = sandbox();
    let app = sb.unique_app("restart");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("r")), ("Procfile", PROCFILE)],
    )
    .ok();
    sb.dokku(&["ps:scale", &app, "worker=1"]).ok();
    let out = sb.dokku(&["ps:scale", &app, "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"process_type": "web", "quantity": 1},
            {"process_type": "worker", "quantity": 1}
        ])
    );
    refused(sb.dokku(&["ps:scale", &app, "--format", "xml"]), "format");
    let (web, worker) = (id_of(&app, "web.1"), id_of(&app, "worker.1"));
    sb.dokku(&["ps:restart", &app, "web"]).ok();
    assert_ne!(id_of(&app, "web.1"), web, "web was not restarted");
    assert_eq!(id_of(&app, "worker.1"), worker, "worker was restarted");
    assert_eq!(http_body(sb.web_port(&app, "web.1")).as_deref(), Some("r"));
    refused(sb.dokku(&["ps:restart", &app, "nope"]), "nope");
    refused(sb.dokku(&["ps:restart", "--all", "web"]), "--all");
}

#[test]
fn parallel_restart_of_all_apps() {
    let sb = sandbox();
    let apps: Vec<String> = (1..=3).map(|i| sb.unique_app(&format!("par{i}"))).collect();
    for app in &apps {
        sb.dokku(&["apps:create", app]).ok();
        sb.deploy_source(app, &[("Dockerfile", &dockerfile("p"))])
            .ok();
    }
    let before: Vec<String> = apps.iter().map(|a| id_of(a, "web.1")).collect();
    for bad in ["0", "-2", "x"] {
        refused(
            sb.dokku(&["ps:restart", "--parallel", bad, "--all"]),
            "--parallel",
        );
    }
    sb.dokku(&["ps:restart", "--parallel", "2", "--all"]).ok();
    for (app, old) in apps.iter().zip(&before) {
        assert_ne!(&id_of(app, "web.1"), old, "{app} was not restarted");
        assert_eq!(http_body(sb.web_port(app, "web.1")).as_deref(), Some("p"));
    }
}

#[test]
fn checks_run_passes_and_fails_per_container() {
    let sb = sandbox();
    let app = sb.unique_app("chk");
    sb.dokku(&["apps:create", &app]).ok();
    let good = r#"{"healthchecks":{"web":[{"name":"root","path":"/","attempts":1}]}}"#;
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile("ok")), ("app.json", good)],
    )
    .ok();
    sb.dokku(&["ps:scale", &app, "web=2"]).ok();
    sb.dokku(&["checks:run", &app])
        .ok()
        .out_has("web.1")
        .out_has("web.2");
    sb.dokku(&["checks:run", &app, "web.2"])
        .ok()
        .out_has("web.2");
    refused(sb.dokku(&["checks:run", &app, "web.9"]), "web.9");
    refused(sb.dokku(&["checks:run", &app, "web.x"]), "web.x");
    // A check on a path that 404s: deployed with checks skipped, then run by hand.
    sb.dokku(&["checks:skip", &app]).ok();
    let bad = r#"{"healthchecks":{"web":[{"name":"ready","path":"/missing","attempts":1}]}}"#;
    sb.deploy_source(&app, &[("app.json", bad)]).ok();
    let out = sb.dokku(&["checks:run", &app]).fails();
    let lines: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with(" !")).collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert!(lines.iter().all(|l| l.contains("404")), "{out:#?}");
}
