//! Build and run on the real Docker engine: a Dockerfile app deploys, answers on its published
//! loopback port and redeploys; scaling changes the containers; a failing health check or
//! predeploy keeps the old release serving; the restart policy, ps:restore, ps:stop/start and
//! config restarts work. Apps are `FROM` the local static-busybox image.

use dokku_tests::{git_ok, http_body, Sandbox};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A sandbox with Docker, quick checks (1 s uptime) and quick retirement (1 s).
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb
}

fn deploy(sb: &Sandbox, app: &str, files: &[(&str, &str)]) -> dokku_tests::Out {
    sb.deploy_source(app, files)
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

fn containers(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "--format", "{{.Names}}", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|n| !n.contains(".retiring-"))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_dockerfile_app_deploys_answers_and_redeploys() {
    let sb = sandbox();
    let app = sb.unique_app("web");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["config:set", "--no-restart", &app, "GREETING=hi there"])
        .ok();
    let out = deploy(&sb, &app, &[("Dockerfile", &dockerfile("v1"))]).ok();
    assert!(out.stdout.contains("Building"), "{out:#?}");
    assert_eq!(http_body(sb.web_port(&app, "web.1")).as_deref(), Some("v1"));
    assert_eq!(containers(&app), [format!("{app}.web.1")]);
    // The container has the app's config, PORT and the deployed revision.
    let env = docker_out(&[
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &format!("{app}.web.1"),
    ]);
    assert!(
        env.contains("GREETING=hi there") && env.contains("PORT=5000"),
        "{env}"
    );
    let rev = git_ok(
        &sb.dir.path().join(format!("src-{app}")),
        &["rev-parse", "HEAD"],
    );
    assert!(env.contains(&format!("GIT_REV={rev}")), "{env}");
    let labels = docker_out(&[
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &format!("{app}.web.1"),
    ]);
    assert!(
        labels.contains("\"com.dokku.process-type\":\"web\""),
        "{labels}"
    );
    assert_eq!(
        docker_out(&[
            "inspect",
            "--format",
            "{{.HostConfig.RestartPolicy.Name}}",
            &format!("{app}.web.1")
        ]),
        "on-failure"
    );
    // Redeploy: the new release answers on the recorded port.
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("v2"))]).ok();
    assert_eq!(http_body(sb.web_port(&app, "web.1")).as_deref(), Some("v2"));
    sb.dokku(&["ps:report", &app, "--format", "json"])
        .ok()
        .out_has("\"running\":\"true\"");
}

#[test]
fn scaling_changes_the_containers() {
    let sb = sandbox();
    let app = sb.unique_app("scale");
    sb.dokku(&["apps:create", &app]).ok();
    let procfile = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    deploy(
        &sb,
        &app,
        &[("Dockerfile", &dockerfile("s")), ("Procfile", procfile)],
    )
    .ok();
    assert_eq!(containers(&app), [format!("{app}.web.1")]);
    sb.dokku(&["ps:scale", &app, "web=2", "worker=1"]).ok();
    assert_eq!(
        containers(&app),
        [
            format!("{app}.web.1"),
            format!("{app}.web.2"),
            format!("{app}.worker.1")
        ]
    );
    assert_eq!(http_body(sb.web_port(&app, "web.2")).as_deref(), Some("s"));
    sb.dokku(&["ps:scale", &app, "web=1", "worker=0"]).ok();
    assert_eq!(containers(&app), [format!("{app}.web.1")]);
    assert!(!sb.dokku_root().join(&app).join("PORT.web.2").exists());
    sb.dokku(&["ps:scale", &app, "nope=1"])
        .fails()
        .err_has("no process type nope");
    sb.dokku(&["ps:scale", &app, "web=x"])
        .fails()
        .one_error_line();
    sb.dokku(&["ps:scale", &app])
        .ok()
        .out_has("web: 1")
        .out_has("worker: 0");
}

#[test]
fn a_failing_health_check_keeps_the_old_release_answering() {
    let sb = sandbox();
    let app = sb.unique_app("zdt");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("good"))]).ok();
    let old_port = sb.web_port(&app, "web.1");
    // Poll the serving release for the whole failed deploy: every request must answer.
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut ok, mut failed) = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                match http_body(old_port) {
                    Some(b) if b == "good" => ok += 1,
                    _ => failed += 1,
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (ok, failed)
        })
    };
    let appjson = r#"{"healthchecks":{"web":[{"type":"startup","name":"ready","path":"/ready","attempts":3,"wait":1,"timeout":2}]}}"#;
    let out = deploy(
        &sb,
        &app,
        &[("Dockerfile", &dockerfile("bad")), ("app.json", appjson)],
    )
    .fails();
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = poller.join().unwrap();
    assert!(
        out.stderr.contains("ready failed after 3 attempt(s)"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("the previous release keeps serving"),
        "{out:#?}"
    );
    assert!(ok > 20, "only {ok} requests made");
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed during the deploy",
        ok + failed
    );
    assert_eq!(sb.web_port(&app, "web.1"), old_port);
    assert_eq!(http_body(old_port).as_deref(), Some("good"));
    assert_eq!(containers(&app), [format!("{app}.web.1")]);
    // The app.json of the failed release is not kept: a restart uses the good one.
    sb.dokku(&["ps:restart", &app]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("good")
    );
    // A passing check deploys.
    let appjson = r#"{"healthchecks":{"web":[{"name":"root","path":"/","content":"fine"}]}}"#;
    deploy(
        &sb,
        &app,
        &[("Dockerfile", &dockerfile("fine")), ("app.json", appjson)],
    )
    .ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("fine")
    );
}

#[test]
fn predeploy_failure_stops_the_deploy_and_postdeploy_runs() {
    let sb = sandbox();
    let app = sb.unique_app("pre");
    sb.dokku(&["apps:create", &app]).ok();
    let ok_json = r#"{"scripts":{"dokku":{"predeploy":"echo predeploy-ran","postdeploy":"echo postdeploy-ran $GREETING"}},"formation":{"web":{"quantity":2}}}"#;
    sb.dokku(&["config:set", "--no-restart", &app, "GREETING=hello"])
        .ok();
    let out = deploy(
        &sb,
        &app,
        &[("Dockerfile", &dockerfile("one")), ("app.json", ok_json)],
    )
    .ok();
    assert!(out.stdout.contains("predeploy-ran"), "{out:#?}");
    assert!(out.stdout.contains("postdeploy-ran hello"), "{out:#?}");
    assert_eq!(containers(&app).len(), 2, "formation web=2");
    let bad = r#"{"scripts":{"dokku":{"predeploy":"echo migrating; exit 4"}}}"#;
    let out = deploy(
        &sb,
        &app,
        &[("Dockerfile", &dockerfile("two")), ("app.json", bad)],
    )
    .fails();
    assert!(out.stderr.contains("the predeploy script of"), "{out:#?}");
    assert!(out.stderr.contains("(exit 4)"), "{out:#?}");
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
}

#[test]
fn restart_policy_restore_stop_start_and_config_restarts() {
    let sb = sandbox();
    let app = sb.unique_app("life");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("alive"))]).ok();
    let name = format!("{app}.web.1");
    // Killed by hand (its process, not `docker stop`): the restart policy brings it back.
    let pid = docker_out(&["inspect", "--format", "{{.State.Pid}}", &name]);
    Command::new("kill").args(["-9", &pid]).status().unwrap();
    let mut back = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        let st = docker_out(&[
            "inspect",
            "--format",
            "{{.State.Running}} {{.RestartCount}}",
            &name,
        ]);
        if st == "true 1" {
            back = true;
            break;
        }
    }
    assert!(back, "the killed container did not come back");
    // Every container removed (a reboot without them): ps:restore brings the app back.
    let ids = docker_out(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
    ]);
    let mut rm = Command::new("docker");
    rm.args(["rm", "-f"]).args(ids.split_whitespace());
    assert!(rm.output().unwrap().status.success());
    sb.dokku(&["ps:restore"]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("alive")
    );
    // ps:stop stops it and ps:restore leaves it stopped; ps:start brings it back.
    sb.dokku(&["ps:stop", &app]).ok();
    assert!(containers(&app).is_empty());
    sb.dokku(&["ps:restore"]).ok();
    assert!(containers(&app).is_empty());
    sb.dokku(&["ps:start", &app]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("alive")
    );
    // A config change restarts the app with the new env; --no-restart does not.
    sb.dokku(&["config:set", "--no-restart", &app, "A=1"]).ok();
    let env = |sb: &Sandbox| {
        let _ = sb;
        docker_out(&["inspect", "--format", "{{json .Config.Env}}", &name])
    };
    assert!(!env(&sb).contains("A=1"));
    sb.dokku(&["config:set", &app, "B=2"])
        .ok()
        .out_has("Restarting");
    let e = env(&sb);
    assert!(e.contains("A=1") && e.contains("B=2"), "{e}");
    sb.dokku(&["ps:set", &app, "restart-policy", "sometimes"])
        .fails()
        .one_error_line();
    sb.dokku(&["ps:set", &app, "restart-policy", "always"]).ok();
    sb.dokku(&["ps:restart", &app]).ok();
    assert_eq!(
        docker_out(&[
            "inspect",
            "--format",
            "{{.HostConfig.RestartPolicy.Name}}",
            &name
        ]),
        "always"
    );
    // Destroying the app removes its containers and image.
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    assert!(containers(&app).is_empty());
    assert_eq!(docker_out(&["images", "-q", &format!("dokku/{app}")]), "");
}

#[test]
fn builders_are_detected_selected_and_checked() {
    let sb = sandbox();
    let app = sb.unique_app("bld");
    sb.dokku(&["apps:create", &app]).ok();
    // build-dir: only a subfolder of the repository is built.
    sb.dokku(&["builder:set", &app, "build-dir", "site"]).ok();
    sb.dokku(&["builder:set", &app, "build-dir", "../x"])
        .fails()
        .one_error_line();
    deploy(&sb, &app, &[("site/Dockerfile", &dockerfile("sub"))]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("sub")
    );
    // A bad Procfile line fails before the build, named by its line.
    let out = deploy(&sb, &app, &[("site/Procfile", "web httpd\n")]).fails();
    assert!(out.stderr.contains("Procfile line 1"), "{out:#?}");
    // The null builder deploys the image that is there.
    sb.dokku(&["builder:set", &app, "selected", "null"]).ok();
    sb.dokku(&["builder:report", &app, "--builder-computed-selected"])
        .ok()
        .out_has("null");
    let out = deploy(
        &sb,
        &app,
        &[("site/Procfile", "web: exec httpd -f -p $PORT -h /www\n")],
    )
    .ok();
    assert!(out.stdout.contains("null builder"), "{out:#?}");
    sb.dokku(&["builder:set", &app, "selected", "Bad Name"])
        .fails()
        .one_error_line();
    // No Dockerfile, no buildpack: the build fails clearly and nothing changes.
    sb.dokku(&["builder:set", &app, "selected"]).ok();
    sb.dokku(&["builder:set", &app, "build-dir"]).ok();
    let out = deploy(&sb, &app, &[("README", "no build here")]);
    out.fails();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("sub")
    );
}

#[test]
fn options_mounts_and_limits_reach_the_containers_and_run_uses_the_release() {
    let sb = sandbox();
    let app = sb.unique_app("opts");
    sb.dokku(&["apps:create", &app]).ok();
    let data = sb.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("note"), "from the host").unwrap();
    sb.dokku(&["storage:mount", &app, &format!("{}:/data", data.display())])
        .ok();
    sb.dokku(&["docker-options:add", &app, "deploy", "--label custom=yes"])
        .ok();
    sb.dokku(&["resource:limit", "--memory", "64m", &app]).ok();
    sb.dokku(&["config:set", "--no-restart", &app, "WHO=config"])
        .ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("opts"))]).ok();
    let name = format!("{app}.web.1");
    let inspect = docker_out(&[
        "inspect",
        "--format",
        "{{json .Mounts}} {{json .Config.Labels}} {{.HostConfig.Memory}}",
        &name,
    ]);
    assert!(inspect.contains("\"Destination\":\"/data\""), "{inspect}");
    assert!(inspect.contains("\"custom\":\"yes\""), "{inspect}");
    assert!(inspect.ends_with(" 67108864"), "{inspect}");
    // dokku run: a one-off container of the release, its config, the run-phase mount, the
    // command's exit code.
    let out = sb.dokku(&[
        "run",
        &app,
        "sh",
        "-c",
        "cat /data/note; echo \" $WHO\"; exit 7",
    ]);
    assert_eq!(out.code, 7, "{out:#?}");
    assert!(out.stdout.contains("from the host config"), "{out:#?}");
}

#[test]
fn a_buildpack_app_deploys_answers_and_redeploys() {
    let sb = sandbox();
    dokku_tests::docker::stack_image();
    let app = sb.unique_app("bp");
    sb.dokku(&["apps:create", &app]).ok();
    let buildpack = dokku_tests::fixture("buildpacks/busybox-web");
    sb.dokku(&["buildpacks:add", &app, &buildpack.display().to_string()])
        .ok();
    let out = deploy(&sb, &app, &[("index.html", "buildpack v1")]).ok();
    assert!(out.stdout.contains("busybox-web: step 2"), "{out:#?}");
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("buildpack v1")
    );
    let cmd = docker_out(&[
        "inspect",
        "--format",
        "{{json .Config.Cmd}}",
        &format!("{app}.web.1"),
    ]);
    assert_eq!(cmd, r#"["/start","web"]"#);
    deploy(&sb, &app, &[("index.html", "buildpack v2")]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("buildpack v2")
    );
    // A one-off command runs in the app's environment (/exec, .profile.d sourced).
    let out = sb
        .dokku(&["run", &app, "sh", "-c", "echo $FROM_PROFILE"])
        .ok();
    assert!(out.stdout.contains("profile-ok"), "{out:#?}");
}

#[test]
fn checks_commands_and_ps_inspect() {
    let sb = sandbox();
    let app = sb.unique_app("chk");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["checks:skip", &app, "web"]).ok();
    sb.dokku(&["checks:report", &app, "--checks-skipped-list"])
        .ok()
        .out_has("web");
    sb.dokku(&["checks:disable", &app]).ok();
    sb.dokku(&["checks:report", &app, "--format", "json"])
        .ok()
        .out_has("\"checks-disabled-list\":\"_all_\"")
        .out_has("\"checks-skipped-list\":\"none\"");
    sb.dokku(&["checks:enable", &app]).ok();
    sb.dokku(&["checks:report", &app, "--checks-disabled-list"])
        .ok()
        .out_has("none");
    dokku_tests::refused(
        sb.dokku(&["checks:skip", &app, "a;b"]),
        "invalid process type",
    );
    dokku_tests::refused(sb.dokku(&["checks:skip", "nope-app"]), "does not exist");
    dokku_tests::refused(
        sb.dokku(&["checks:set", &app, "wait-to-retire", "soon"]),
        "number of seconds",
    );
    dokku_tests::refused(sb.dokku(&["ps:inspect", &app]), "has no containers");
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("inspect"))]).ok();
    let out = sb.dokku(&["ps:inspect", &app]).ok();
    assert!(
        out.stdout.contains(&format!("\"/{app}.web.1\"")),
        "{out:#?}"
    );
    dokku_tests::refused(sb.dokku(&["ps:inspect", "nope-app"]), "does not exist");
}
