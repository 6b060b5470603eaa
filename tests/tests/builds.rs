//! The builds plugin on the real engine: every deploy path (push, ps:rebuild, git:sync --build,
//! git:from-archive, git:from-image) records a build with its status and its full output
//! (current/previous), a failed build records `failed` with its output, retention prunes,
//! builds:cancel stops a slow build promptly with the lock released and the old release
//! serving, bad input is refused with one line.

use dokku_tests::{http_body, refused, Sandbox};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

fn sandbox() -> Sandbox {
    let sb = Sandbox::with_ssh();
    sb.quick_deploys();
    sb
}

fn dockerfile(body: &str, extra: &str) -> String {
    let base = dokku_tests::docker::web_dockerfile(body);
    let (from, rest) = base.split_once('\n').unwrap();
    format!("{from}\n{extra}{rest}")
}

fn list(sb: &Sandbox, app: &str) -> Vec<Value> {
    let out = sb.dokku(&["builds:list", app, "--format", "json"]).ok();
    serde_json::from_str::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn field(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn every_deploy_path_records_a_build_with_its_output() {
    let sb = sandbox();
    let app = sb.unique_app("bld");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&[
        "config:set",
        "--no-restart",
        &app,
        "SECRET_TOKEN=s3cr3t-value-42",
    ])
    .ok();
    // git:sync --build
    // The predeploy prints the secret: the user sees it, the log has `<redacted>` instead.
    let appjson = r#"{"scripts":{"dokku":{"predeploy":"echo predeploy-says $SECRET_TOKEN"}}}"#;
    sb.deploy_source(
        &app,
        &[
            (
                "Dockerfile",
                &dockerfile("one", "RUN echo only-the-build-says-sync\n"),
            ),
            ("app.json", appjson),
        ],
    )
    .ok()
    .out_has("predeploy-says s3cr3t-value-42");
    let b = list(&sb, &app);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(field(&b[0], "status"), "succeeded");
    assert_eq!(field(&b[0], "source"), "git:sync");
    assert_eq!(field(&b[0], "kind"), "build");
    let id = field(&b[0], "id");
    let out = sb.dokku(&["builds:output", &app, &id]).ok();
    assert!(out.stdout.contains("only-the-build-says-sync"), "{out:#?}");
    assert!(out.stdout.contains("Building"), "{out:#?}");
    // The app's config value never reaches the log.
    assert!(!out.stdout.contains("s3cr3t-value-42"), "{out:#?}");
    let log =
        std::fs::read_to_string(sb.lib_root().join(format!("data/builds/{app}/{id}.log"))).unwrap();
    assert!(!log.contains("s3cr3t-value-42") && log.contains("<redacted>"));

    // git push over ssh
    let work = sb.work_tree("w");
    sb.commit(
        &work,
        &[(
            "Dockerfile",
            &dockerfile("two", "RUN echo only-the-build-says-push\n"),
        )],
        "p",
    );
    // git:sync made `main` the deploy branch; the push replaces it.
    sb.git_push(&work, &app, &["+main:main"]).ok();
    let b = list(&sb, &app);
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(field(&b[0], "source"), "git-hook");
    assert_eq!(field(&b[0], "status"), "succeeded");
    let out = sb.dokku(&["builds:output", &app, "previous"]).ok();
    assert!(out.stdout.contains("only-the-build-says-push"), "{out:#?}");
    assert!(!out.stdout.contains("only-the-build-says-sync"), "{out:#?}");

    // ps:rebuild
    sb.dokku(&["ps:rebuild", &app]).ok();
    let b = list(&sb, &app);
    assert_eq!(field(&b[0], "source"), "ps:rebuild");
    assert_eq!(field(&b[0], "status"), "succeeded");

    // git:from-archive
    let src = sb.work_tree("arch");
    sb.commit(
        &src,
        &[(
            "Dockerfile",
            &dockerfile("three", "RUN echo only-the-build-says-archive\n"),
        )],
        "a",
    );
    let archive = dokku_tests::git(&src)
        .args(["archive", "--format", "tar", "HEAD"])
        .output()
        .unwrap()
        .stdout;
    sb.dokku_in(&["git:from-archive", &app, "-"], &archive).ok();
    let b = list(&sb, &app);
    assert_eq!(field(&b[0], "source"), "git:from-archive");
    assert_eq!(field(&b[0], "status"), "succeeded");
    sb.dokku(&["builds:output", &app, &field(&b[0], "id")])
        .ok()
        .out_has("only-the-build-says-archive");

    // git:from-image
    let image = format!("{app}-src:1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile("four", "")).unwrap();
    let st = Command::new("docker")
        .args(["build", "-q", "-t", &image])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(st.status.success());
    sb.dokku(&["git:from-image", &app, &image]).ok();
    let b = list(&sb, &app);
    assert_eq!(field(&b[0], "source"), "git:from-image");
    assert_eq!(field(&b[0], "status"), "succeeded");
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("four")
    );
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();

    // info and report agree with the list.
    let info = sb
        .dokku(&["builds:info", &app, &field(&b[0], "id"), "--format", "json"])
        .ok();
    let info: Value = serde_json::from_str(&info.stdout).unwrap();
    assert_eq!(field(&info, "exit_code"), "0");
    sb.dokku(&["builds:report", &app, "--build-status"])
        .ok()
        .out_has("succeeded");
    sb.dokku(&["builds:info", &app, &field(&b[0], "id")])
        .ok()
        .out_has("Exit Code:");
    // Nothing running: the list without an app is empty, `current` refused.
    refused(
        sb.dokku(&["builds:output", &app, "current"]),
        "no build is running",
    );
}

#[test]
fn a_failed_build_records_failed_with_its_output_and_retention_prunes() {
    let sb = sandbox();
    let app = sb.unique_app("bfail");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("ok", ""))])
        .ok();
    let exited_before = exited_containers();
    sb.deploy_source(
        &app,
        &[(
            "Dockerfile",
            &dockerfile("bad", "RUN echo about-to-fail-here && false\n"),
        )],
    )
    .fails();
    let b = list(&sb, &app);
    assert_eq!(field(&b[0], "status"), "failed", "{b:?}");
    assert_ne!(field(&b[0], "exit_code"), "0");
    let out = sb.dokku(&["builds:output", &app, &field(&b[0], "id")]).ok();
    assert!(out.stdout.contains("about-to-fail-here"), "{out:#?}");
    // The error line the deploy ended with is in the log too.
    assert!(out.stdout.contains(" !     "), "{out:#?}");
    assert_eq!(http_body(sb.web_port(&app, "web.1")).as_deref(), Some("ok"));
    // The failed step's container did not stay behind (Docker's builder keeps it without
    // `--force-rm`).
    for id in exited_containers() {
        if exited_before.contains(&id) {
            continue;
        }
        let cmd = Command::new("docker")
            .args(["inspect", "--format", "{{json .Config.Cmd}}", &id])
            .output()
            .unwrap();
        let cmd = String::from_utf8_lossy(&cmd.stdout);
        assert!(
            !cmd.contains("about-to-fail-here"),
            "the failed build left its step's container {id}: {cmd}"
        );
    }

    // Retention: lowering it prunes at once; further deploys keep that many.
    sb.dokku(&["builds:set", &app, "retention", "1"]).ok();
    assert_eq!(list(&sb, &app).len(), 1);
    sb.dokku(&["ps:restart", &app]).ok();
    let b = list(&sb, &app);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(field(&b[0], "kind"), "deploy");
    let files = std::fs::read_dir(sb.lib_root().join(format!("data/builds/{app}")))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".log")
        })
        .count();
    assert_eq!(files, 1);
    sb.dokku(&["builds:report", &app, "--builds-computed-retention"])
        .ok()
        .out_has("1");
    sb.dokku(&["builds:set", "--global", "retention", "5"]).ok();
    sb.dokku(&["builds:report", &app, "--builds-global-retention"])
        .ok()
        .out_has("5");
    sb.dokku(&["builds:prune", &app]).ok();

    // Bad input: one line, nothing written.
    refused(
        sb.dokku(&["builds:set", &app, "retention", "zero"]),
        "invalid retention",
    );
    refused(
        sb.dokku(&["builds:set", &app, "retention", "0"]),
        "invalid retention",
    );
    refused(
        sb.dokku(&["builds:set", &app, "color", "1"]),
        "invalid property",
    );
    sb.dokku(&["builds:report", &app, "--builds-retention"])
        .ok()
        .out_has("1");
    refused(
        sb.dokku(&["builds:info", &app, "../../etc"]),
        "invalid build id",
    );
    refused(sb.dokku(&["builds:info", &app, "zzzz"]), "has no build");
    refused(sb.dokku(&["builds:info", &app]), "no build id");
    refused(sb.dokku(&["builds:output", "no-such-app", "current"]), "");
    refused(
        sb.dokku(&["builds:list", &app, "--status", "weird"]),
        "invalid --status",
    );
    refused(
        sb.dokku(&["builds:list", &app, "--format", "xml"]),
        "invalid --format",
    );
    refused(sb.dokku(&["builds:cancel", &app]), "no build is running");
    refused(sb.dokku(&["builds:cancel"]), "no app given");
    refused(sb.dokku(&["builds:prune"]), "no app given");
    sb.dokku(&["builds:cancel", "--help"])
        .ok()
        .out_has("Usage: dokku builds:cancel");
}

#[test]
fn cancel_stops_a_slow_build_releases_the_lock_and_the_old_release_serves() {
    let sb = sandbox();
    let app = sb.unique_app("bcan");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("old", ""))])
        .ok();
    let port = sb.web_port(&app, "web.1");
    assert_eq!(http_body(port).as_deref(), Some("old"));

    // A push whose build sleeps a minute, in the background.
    let work = sb.work_tree("slow");
    sb.commit(
        &work,
        &[(
            "Dockerfile",
            &dockerfile("new", "RUN echo slow-build-started && sleep 60\n"),
        )],
        "s",
    );
    let started = Instant::now();
    let push = std::thread::scope(|s| {
        let h = s.spawn(|| sb.git_push(&work, &app, &["+main:main"]));
        // Wait until the build runs its sleep (its output says so).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "the slow build never started");
            let running = sb.dokku(&["builds:list", "--format", "json"]).ok();
            let v: Value = serde_json::from_str(&running.stdout).unwrap();
            if let Some(b) = v
                .as_array()
                .unwrap()
                .iter()
                .find(|b| field(b, "app") == app)
            {
                let log = std::fs::read_to_string(field(b, "log_path")).unwrap_or_default();
                if log.contains("slow-build-started") {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let t = Instant::now();
        sb.dokku(&["builds:cancel", &app]).ok().out_has("canceled");
        let took = t.elapsed();
        assert!(took < Duration::from_secs(15), "cancel took {took:?}");
        h.join().unwrap()
    });
    assert_ne!(push.code, 0, "{push:#?}");
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "the build was not stopped"
    );
    let b = list(&sb, &app);
    assert_eq!(field(&b[0], "status"), "canceled", "{b:?}");
    // The old release still answers, and a new deploy starts at once (the lock is free).
    assert_eq!(http_body(port).as_deref(), Some("old"));
    let t = Instant::now();
    let out = sb.dokku(&["ps:restart", &app]).ok();
    assert!(!out.stderr.contains("Waiting for the deploy"), "{out:#?}");
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("old")
    );
    assert_eq!(field(&list(&sb, &app)[1], "status"), "canceled");
}

/// The ids of the engine's exited containers.
fn exited_containers() -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--no-trunc", "--filter", "status=exited"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}
