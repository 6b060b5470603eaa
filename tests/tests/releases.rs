//! Releases and rollback on the real engine: three deploys make v1..v3 (`releases` lists them
//! newest first, the current marked); `releases:rollback APP v1 --with-config` answers v1's body
//! through nginx with no failed request polled during it and restores v1's env; the rollback is
//! v4. With `keep 1`, the image of a release past keep is removed (never the running one or the
//! rollback target) and a rollback to it is refused with one line.

use dokku_tests::docker::{docker_stdout, web_dockerfile};
use dokku_tests::{curl_host, refused, Sandbox};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn releases_json(sb: &Sandbox, app: &str) -> Vec<serde_json::Value> {
    let out = sb.dokku(&["releases", app, "--format", "json"]).ok();
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {out:#?}"))
}

fn versions(list: &[serde_json::Value]) -> Vec<String> {
    list.iter()
        .map(|r| r["version"].as_str().unwrap().to_string())
        .collect()
}

fn current(list: &[serde_json::Value]) -> String {
    let cur: Vec<_> = list.iter().filter(|r| r["current"] == true).collect();
    assert_eq!(cur.len(), 1, "{list:#?}");
    cur[0]["version"].as_str().unwrap().to_string()
}

fn image_exists(image: &str) -> bool {
    std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn rollback_through_nginx_without_a_failed_request_and_with_config() {
    let sb = Sandbox::with_nginx();
    sb.quick_deploys();
    let app = sb.unique_app("rel");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["config:set", "--no-restart", &app, "SECRET=first-s3cr3t"])
        .ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("one"))])
        .ok();
    sb.dokku(&["config:set", "--no-restart", &app, "SECRET=second-s3cr3t"])
        .ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("two"))])
        .ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("three"))])
        .ok();
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list), ["v3", "v2", "v1"], "{list:#?}");
    assert_eq!(current(&list), "v3");
    assert!(list.iter().all(|r| r["status"] == "deployed"), "{list:#?}");
    let text = sb.dokku(&["releases", &app]).ok().stdout;
    assert!(text.contains("* v3"), "{text}");
    // The ENV snapshot is the owner's only, and info shows its keys, never its values.
    let snap = sb
        .lib_root()
        .join(format!("data/releases/{app}/env/v1.json"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&snap).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let info = sb.dokku(&["releases:info", &app, "v1"]).ok().stdout;
    assert!(
        info.contains("SECRET") && !info.contains("s3cr3t"),
        "{info}"
    );

    let port = sb.http_port();
    let host = format!("{app}.dokku.localhost");
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let (stop, host) = (stop.clone(), host.clone());
        std::thread::spawn(move || {
            let (mut ok, mut bad) = (0, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let (s, b) = curl_host(&format!("http://127.0.0.1:{port}/"), &host, &[]);
                if s == "200" && (b.ends_with("one\n") || b.ends_with("three\n")) {
                    ok += 1;
                } else {
                    bad.push(format!("{s} {b}"));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (ok, bad)
        })
    };
    sb.dokku(&["releases:rollback", &app, "v1", "--with-config"])
        .ok();
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let (ok, bad) = poller.join().unwrap();
    assert!(ok > 20, "only {ok} requests");
    assert!(bad.is_empty(), "{} failed requests: {bad:?}", bad.len());
    let (s, body) = curl_host(&format!("http://127.0.0.1:{port}/"), &host, &[]);
    assert!(s == "200" && body.ends_with("one\n"), "{s} {body}");
    assert_eq!(sb.config_get(&app, "SECRET"), "first-s3cr3t");
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list), ["v4", "v3", "v2", "v1"], "{list:#?}");
    assert_eq!(current(&list), "v4");
    assert_eq!(list[0]["rollback_of"], "v1");
    assert_eq!(list[0]["image_id"], list[3]["image_id"]);
    assert_eq!(list[1]["status"], "rolled back");
    // A restart runs the rolled-back image, not the newest build.
    sb.dokku(&["ps:restart", &app]).ok();
    let (_, body) = curl_host(&format!("http://127.0.0.1:{port}/"), &host, &[]);
    assert!(body.ends_with("one\n"), "{body}");
    assert_eq!(
        releases_json(&sb, &app).len(),
        4,
        "a plain restart is no release"
    );
}

#[test]
fn keep_prunes_old_images_and_a_rollback_to_a_pruned_release_is_refused() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("keep");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["releases:set", &app, "keep", "1"]).ok();
    for body in ["k-one", "k-two", "k-three"] {
        sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile(body))])
            .ok();
    }
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list), ["v3", "v2", "v1"], "{list:#?}");
    // v3 runs, v2 is the rollback target: both kept; v1 is past keep.
    assert!(image_exists(&format!("dokku/{app}:release-v3")));
    assert!(image_exists(&format!("dokku/{app}:release-v2")));
    assert!(!image_exists(&format!("dokku/{app}:release-v1")));
    let in_use = sb
        .plugn(&["trigger", "releases-images-in-use", &app])
        .ok()
        .stdout;
    let ids: Vec<&str> = in_use.lines().collect();
    assert_eq!(ids.len(), 2, "{in_use}");
    assert!(ids.contains(&list[0]["image_id"].as_str().unwrap()));
    assert!(ids.contains(&list[1]["image_id"].as_str().unwrap()));
    refused(sb.dokku(&["releases:rollback", &app, "v1"]), "pruned");
    refused(
        sb.dokku(&["releases:rollback", &app, "v9"]),
        "no release v9",
    );
    refused(
        sb.dokku(&["releases:rollback", &app, "x1"]),
        "invalid release",
    );
    refused(
        sb.dokku(&["releases:set", &app, "keep", "0"]),
        "invalid keep",
    );
    sb.dokku(&["releases:report", &app])
        .ok()
        .out_has("Releases computed keep:")
        .out_has("v3");
    // The default target is the previous good release.
    let t = std::time::Instant::now();
    sb.dokku(&["releases:rollback", &app]).ok();
    let rollback = t.elapsed();
    let list = releases_json(&sb, &app);
    assert_eq!(list[0]["rollback_of"], "v2", "{list:#?}");
    // The benchmark's figure: a rollback against a deploy of the same (current) image.
    let t = std::time::Instant::now();
    sb.dokku(&["deploy", &app]).ok();
    eprintln!(
        "rollback to serving {:?}, deploy of the same image {:?}",
        rollback,
        t.elapsed()
    );
    assert_eq!(
        releases_json(&sb, &app).len(),
        4,
        "a redeploy is no release"
    );
    // A config change that restarts the app is a release too, as on Heroku.
    sb.dokku(&["config:set", &app, "COLOUR=blue"]).ok();
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list)[0], "v5", "{list:#?}");
    assert_eq!(list[0]["kind"], "config");
    assert_eq!(list[0]["image_id"], list[1]["image_id"]);
    assert_eq!(current(&list), "v5");
}

/// An image whose web process refuses to start while `BROKEN=1` is in its env.
fn breakable_dockerfile(body: &str) -> String {
    format!(
        "FROM {}\nRUN mkdir -p /www && echo '{body}' > /www/index.html\nCMD [\"sh\", \"-c\", \"test \\\"$BROKEN\\\" != 1 && exec httpd -f -p $PORT -h /www\"]\n",
        dokku_tests::docker::busybox_image()
    )
}

#[test]
fn a_failed_rollback_keeps_the_current_release_serving() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("rbf");
    sb.dokku(&["apps:create", &app]).ok();
    for body in ["f-one", "f-two"] {
        sb.deploy_source(&app, &[("Dockerfile", &breakable_dockerfile(body))])
            .ok();
    }
    sb.dokku(&["config:set", "--no-restart", &app, "BROKEN=1"])
        .ok();
    // v1's containers exit at once under BROKEN=1: its health check fails.
    let out = sb.dokku(&["releases:rollback", &app, "v1"]).fails();
    assert!(out.stderr.contains("keeps serving"), "{out:#?}");
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("f-two"));
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list), ["v3", "v2", "v1"], "{list:#?}");
    assert_eq!(list[0]["status"], "failed");
    assert_eq!(current(&list), "v2");
    // `latest` is v2's image again: a later restart runs what serves.
    let latest = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}"])
        .arg(format!("dokku/{app}:latest"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&latest.stdout).trim(),
        list[1]["image_id"].as_str().unwrap()
    );
}

/// A deploy whose health check fails and one whose build fails are releases with status
/// `failed`: never current, never the default rollback target, never rolled back to.
#[test]
fn failed_deploys_are_failed_releases_and_never_the_rollback_target() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("fail");
    sb.dokku(&["apps:create", &app]).ok();
    for body in ["d-one", "d-two"] {
        sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile(body))])
            .ok();
    }
    // v3: the image builds, its web process exits at once: the health check fails.
    let exits = format!(
        "FROM {}\nCMD [\"sh\", \"-c\", \"exit 3\"]\n",
        dokku_tests::docker::busybox_image()
    );
    sb.deploy_source(&app, &[("Dockerfile", &exits)]).fails();
    // v4: the build itself fails.
    let broken = format!("FROM {}\nRUN false\n", dokku_tests::docker::busybox_image());
    sb.deploy_source(&app, &[("Dockerfile", &broken)]).fails();
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list), ["v4", "v3", "v2", "v1"], "{list:#?}");
    assert_eq!(list[0]["status"], "failed", "{list:#?}");
    assert_eq!(list[1]["status"], "failed", "{list:#?}");
    assert_eq!(list[0]["image_id"], "", "a failed build has no image");
    let failed_image = list[1]["image_id"].as_str().unwrap();
    assert!(
        failed_image.starts_with("sha256:") && failed_image != list[2]["image_id"],
        "{list:#?}"
    );
    assert_eq!(list[1]["image_kept"], false);
    assert_eq!(current(&list), "v2");
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("d-two"));
    refused(
        sb.dokku(&["releases:rollback", &app, "v3"]),
        "failed release",
    );
    // The default target is the previous good release, v1, not the failed v3.
    sb.dokku(&["releases:rollback", &app]).ok();
    let list = releases_json(&sb, &app);
    assert_eq!(versions(&list)[0], "v5", "{list:#?}");
    assert_eq!(list[0]["rollback_of"], "v1", "{list:#?}");
    assert_eq!(current(&list), "v5");
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("d-one"));
}

/// The issue's figure: 20 deploys with keep 3 leave exactly 3 images of the app, the running
/// one among them (v18, v19, v20: the running v20 and its rollback target v19 are within keep).
#[test]
fn twenty_deploys_with_keep_3_leave_3_images() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("twenty");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["releases:set", &app, "keep", "3"]).ok();
    sb.dokku(&["checks:skip", &app]).ok();
    // 20 distinct images, built cheaply: they differ by a label only (no RUN step).
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!(
            "FROM {}\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /\"]\n",
            dokku_tests::docker::busybox_image()
        ),
    )
    .unwrap();
    let dir = ctx.path().to_str().unwrap();
    let t = std::time::Instant::now();
    for n in 1..=20 {
        let salt = format!("com.dokku.test-salt={app}-{n}");
        let tag = format!("dokku/{app}:s{n}");
        docker_stdout(&["build", "--quiet", "--label", &salt, "--tag", &tag, dir]);
    }
    let built = t.elapsed();
    for n in 1..=20 {
        sb.dokku(&["deploy", &app, &format!("s{n}")]).ok();
        // Only the releases' own tags hold the images now.
        docker_stdout(&["image", "rm", &format!("dokku/{app}:s{n}")]);
    }
    eprintln!(
        "20 images built in {built:?}, deployed in {:?}",
        t.elapsed() - built
    );
    let list = releases_json(&sb, &app);
    assert_eq!(list.len(), 20, "{list:#?}");
    assert_eq!(current(&list), "v20");
    let kept: Vec<_> = list
        .iter()
        .filter(|r| r["image_kept"] == true)
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["v20", "v19", "v18"], "{list:#?}");
    let images = docker_stdout(&[
        "images",
        "--no-trunc",
        "--filter",
        &format!("reference=dokku/{app}"),
        "--format",
        "{{.ID}} {{.Tag}}",
    ]);
    let mut ids: Vec<&str> = images.lines().filter_map(|l| l.split(' ').next()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{images}");
    let running = docker_stdout(&["inspect", "--format", "{{.Image}}", &format!("{app}.web.1")]);
    assert_eq!(running.trim(), list[0]["image_id"].as_str().unwrap());
    assert!(ids.contains(&running.trim()), "{images}");
}

/// A rollback runs with the release's own app.json and Procfile, not the app's newest ones: v2
/// health-checks `/two.html` and runs `sh /start` (both only in v2's image), v3's push fails
/// its check on `/missing` (its app.json never deploys); the rollback to v1 serves v1's body,
/// and v1's app.json and Procfile are in force afterwards (a restart runs it too); a failed
/// rollback to v2 leaves them in force.
#[test]
fn a_rollback_runs_with_the_releases_own_app_json_and_procfile() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("rbj");
    sb.dokku(&["apps:create", &app]).ok();
    let check = |path: &str| {
        format!(
            r#"{{"healthchecks":{{"web":[{{"type":"startup","name":"p","path":"{path}","attempts":2,"wait":1,"timeout":2}}]}}}}"#
        )
    };
    let v1_json = check("/");
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &web_dockerfile("j-one")),
            ("app.json", &v1_json),
        ],
    )
    .ok();
    let two = format!(
        "FROM {}\nRUN mkdir -p /www && echo 'j-two' > /www/index.html && echo two > /www/two.html && echo 'test \"$BROKEN\" != 1 && exec httpd -f -p $PORT -h /www' > /start\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n",
        dokku_tests::docker::busybox_image()
    );
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &two),
            ("Procfile", "web: sh /start\n"),
            ("app.json", &check("/two.html")),
        ],
    )
    .ok();
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &web_dockerfile("j-three")),
            ("app.json", &check("/missing")),
        ],
    )
    .fails();
    sb.dokku(&["releases:rollback", &app, "v1"]).ok();
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("j-one"));
    let info = sb
        .dokku(&["releases:info", &app, "v4", "--format", "json"])
        .ok();
    let v4: serde_json::Value = serde_json::from_str(info.stdout.trim()).unwrap();
    assert_eq!(v4["rollback_of"], "v1", "{v4:#?}");
    assert_eq!(v4["procfile"], "", "{v4:#?}");
    let want: serde_json::Value = serde_json::from_str(&v1_json).unwrap();
    let got: serde_json::Value = serde_json::from_str(v4["app_json"].as_str().unwrap()).unwrap();
    assert_eq!(got, want, "{v4:#?}");
    let in_force = sb
        .plugn(&["trigger", "app-json-get-content", &app])
        .ok()
        .stdout;
    let in_force: serde_json::Value = serde_json::from_str(in_force.trim()).unwrap();
    assert_eq!(in_force, want);
    // A failed rollback (v2's start script refuses BROKEN=1) puts v1's files back.
    sb.dokku(&["config:set", "--no-restart", &app, "BROKEN=1"])
        .ok();
    sb.dokku(&["releases:rollback", &app, "v2"]).fails();
    let in_force = sb
        .plugn(&["trigger", "app-json-get-content", &app])
        .ok()
        .stdout;
    let in_force: serde_json::Value = serde_json::from_str(in_force.trim()).unwrap();
    assert_eq!(in_force, want);
    // v1's image has no /start: the restart runs v1's (absent) Procfile, not v2's.
    sb.dokku(&["ps:restart", &app]).ok();
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("j-one"));
}

/// A push that fails leaves nothing of its source in force: after a push whose build fails
/// (its app.json checks `/missing`, its Procfile runs a missing script), `dokku deploy APP
/// latest` redeploys the serving image with the serving app.json and Procfile.
#[test]
fn a_failed_push_leaves_no_pending_app_json_or_procfile() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("pend");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("p-one"))])
        .ok();
    let broken = format!("FROM {}\nRUN false\n", dokku_tests::docker::busybox_image());
    let missing = r#"{"healthchecks":{"web":[{"name":"p","path":"/missing","attempts":1}]}}"#;
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &broken),
            ("Procfile", "web: sh /nothing\n"),
            ("app.json", missing),
        ],
    )
    .fails();
    sb.dokku(&["deploy", &app, "latest"]).ok();
    let body = dokku_tests::http_body(sb.web_port(&app, "web.1"));
    assert_eq!(body.as_deref(), Some("p-one"));
}
