//! Dokku 0.38's on-disk layout, and taking over a Dokku 0.3x server's state: a tree laid out
//! as such a server has it (written here from Dokku's documented formats: `export KEY='value'`
//! ENV files in `$DOKKU_ROOT/APP/ENV` and `$DOKKU_ROOT/ENV`, `DOCKER_OPTIONS_*` files one
//! option per line, `DOKKU_SCALE` `TYPE=COUNT` lines, the retired `DOKKU_CHECKS_*` config vars)
//! is read by our commands, drained into Dokku 0.38's places with its markers, and deploys.

use dokku_tests::Sandbox;
use std::fs;
use std::path::Path;
use std::process::Command;

fn read(p: impl AsRef<Path>) -> String {
    let p = p.as_ref();
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Lays out the state of a Dokku 0.3x server for `app` (which exists): no trace of the new
/// places, the legacy files in the app's folder and the global ENV.
fn write_legacy_state(sb: &Sandbox, app: &str) {
    let lib = sb.lib_root();
    let _ = fs::remove_dir_all(lib.join("config").join(app));
    let _ = fs::remove_dir_all(lib.join("config/config").join(app));
    let _ = fs::remove_file(lib.join("config/config/--global/env-migrated"));
    let _ = fs::remove_file(lib.join("config/--global/ENV"));
    let dir = sb.dokku_root().join(app);
    let files = [
        (
            "ENV",
            "export GREETING='hello world'\nexport QUOTED='it'\\''s'\n\
             export DOKKU_CHECKS_SKIPPED='worker'\nexport DOKKU_CHECKS_WAIT='7'\n",
        ),
        ("DOCKER_OPTIONS_BUILD", "--label legacy-build=1\n"),
        ("DOCKER_OPTIONS_DEPLOY", "--label legacy=yes\n\n"),
        ("DOCKER_OPTIONS_RUN", "--label legacy-run=1\n"),
        ("DOCKER_OPTIONS_DEPLOY.web", "--label per-web=1\n"),
        ("DOKKU_SCALE", "web=2\n"),
    ];
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    fs::write(
        sb.dokku_root().join("ENV"),
        "export GLOBAL_X='from-global'\n",
    )
    .unwrap();
}

fn inspect(id: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args(["inspect", "--format", format, id])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn web_containers(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .args(["--filter", "label=com.dokku.process-type=web"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_dokku_0_3x_state_is_read_migrated_and_deploys() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("legacy");
    sb.dokku(&["apps:create", &app]).ok();
    write_legacy_state(&sb, &app);
    let lib = sb.lib_root();
    let old = sb.dokku_root().join(&app);

    // Read as they are, through the owning plugins, before any install.
    let v = sb.dokku(&["config:get", &app, "GREETING"]).ok();
    assert_eq!(v.stdout, "hello world\n");
    let v = sb.dokku(&["config:get", &app, "QUOTED"]).ok();
    assert_eq!(v.stdout, "it's\n");
    let v = sb.dokku(&["config:get", "--global", "GLOBAL_X"]).ok();
    assert_eq!(v.stdout, "from-global\n");
    let r = sb
        .dokku(&["docker-options:report", &app, "--docker-options-deploy"])
        .ok();
    assert_eq!(r.stdout.trim(), "--label legacy=yes");
    let r = sb
        .dokku(&["docker-options:report", &app, "--docker-options-run"])
        .ok();
    assert_eq!(r.stdout.trim(), "--label legacy-run=1");
    let r = sb
        .dokku(&[
            "docker-options:list",
            &app,
            "--phase",
            "deploy",
            "--process",
            "web",
        ])
        .ok();
    assert!(r.stdout.contains("--label per-web=1"), "{}", r.stdout);
    let s = sb.dokku(&["ps:scale", &app]).ok();
    assert!(
        s.stdout.contains("web") && s.stdout.contains('2'),
        "{}",
        s.stdout
    );

    // Now in Dokku 0.38's places, with its markers; the legacy files are gone.
    let env = read(lib.join("config").join(&app).join("ENV"));
    assert!(env.contains("export GREETING='hello world'\n"), "{env}");
    assert!(!old.join("ENV").exists());
    assert_eq!(
        read(lib.join("config/config").join(&app).join("env-migrated")),
        "true\n"
    );
    assert!(read(lib.join("config/--global/ENV")).contains("export GLOBAL_X='from-global'"));
    assert!(!sb.dokku_root().join("ENV").exists());
    assert_eq!(
        read(lib.join("config/config/--global/env-migrated")),
        "true\n"
    );
    let dop = lib.join("config/docker-options").join(&app);
    assert_eq!(read(dop.join("_default_.deploy")), "--label legacy=yes\n");
    assert_eq!(
        read(dop.join("_default_.build")),
        "--label legacy-build=1\n"
    );
    assert_eq!(read(dop.join("_default_.run")), "--label legacy-run=1\n");
    assert_eq!(read(dop.join("web.deploy")), "--label per-web=1\n");
    assert_eq!(read(dop.join("migrated-deploy")), "true\n");
    for f in [
        "DOCKER_OPTIONS_BUILD",
        "DOCKER_OPTIONS_DEPLOY",
        "DOCKER_OPTIONS_RUN",
        "DOCKER_OPTIONS_DEPLOY.web",
        "DOKKU_SCALE",
    ] {
        assert!(!old.join(f).exists(), "{f} left behind");
    }
    assert_eq!(
        read(lib.join("config/ps").join(&app).join("scale")),
        "web=2\n"
    );

    // The retired checks vars become checks properties at install, and are unset.
    let i = sb.plugn(&["trigger", "install"]).ok();
    assert!(i.stdout.contains("DOKKU_CHECKS_SKIPPED"), "{}", i.stdout);
    let c = sb
        .dokku(&["checks:report", &app, "--checks-skipped-list"])
        .ok();
    assert_eq!(c.stdout.trim(), "worker");
    assert_eq!(
        read(lib.join("config/checks").join(&app).join("wait")),
        "7\n"
    );
    sb.dokku(&["config:get", &app, "DOKKU_CHECKS_SKIPPED"])
        .fails();
    // install again: nothing left to do, nothing changes.
    sb.plugn(&["trigger", "install"]).ok();
    assert_eq!(
        sb.dokku(&["config:get", &app, "GREETING"]).ok().stdout,
        "hello world\n"
    );

    // A deploy runs with them: the env, every process's and web's own options, the scale.
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &dokku_tests::docker::web_dockerfile("legacy")),
            ("Procfile", "web: exec httpd -f -p $PORT -h /www\n"),
        ],
    )
    .ok();
    let web = web_containers(&app);
    assert_eq!(web.len(), 2, "{web:?}");
    let labels = inspect(&web[0], "{{json .Config.Labels}}");
    assert!(labels.contains("\"legacy\":\"yes\""), "{labels}");
    assert!(labels.contains("\"per-web\":\"1\""), "{labels}");
    let env = inspect(&web[0], "{{json .Config.Env}}");
    assert!(env.contains("GREETING=hello world"), "{env}");
    assert!(env.contains("GLOBAL_X=from-global"), "{env}");
}

#[test]
fn a_stale_legacy_env_is_never_replayed_and_the_new_places_follow_the_app() {
    let sb = Sandbox::new();
    let app = "stale";
    sb.dokku(&["apps:create", app]).ok();
    sb.dokku(&["config:set", "--no-restart", app, "A=new", "B=same"])
        .ok();
    sb.dokku(&["docker-options:add", app, "deploy", "--label x=1"])
        .ok();
    sb.dokku(&["ps:scale", "--skip-deploy", app, "web=3"]).ok();
    let lib = sb.lib_root();
    assert!(lib.join("config").join(app).join("ENV").exists());
    assert!(!sb.dokku_root().join(app).join("ENV").exists());

    // The migration on record (as install does), then a legacy ENV file that outlived it (as
    // Dokku 0.38.0–0.38.25 left them).
    sb.plugn(&["trigger", "config-migrate-env"]).ok();
    assert_eq!(
        read(lib.join("config/config").join(app).join("env-migrated")),
        "true\n"
    );
    let legacy = sb.dokku_root().join(app).join("ENV");
    fs::write(&legacy, "export A='old'\nexport B='same'\n").unwrap();
    let out = sb.dokku(&["config:get", app, "A"]).ok();
    assert_eq!(out.stdout, "new\n");
    assert!(
        out.stderr
            .contains("Not importing already-migrated ENV file")
            && out.stderr.contains(" A"),
        "{}",
        out.stderr
    );
    assert!(!legacy.exists());
    assert_eq!(
        read(sb.dokku_root().join(app).join("ENV.migrated")),
        "export A='old'\nexport B='same'\n"
    );
    // One whose values all match is simply removed.
    fs::write(&legacy, "export B='same'\n").unwrap();
    let out = sb.dokku(&["config:get", app, "B"]).ok();
    assert!(!out.stderr.contains("Not importing"), "{}", out.stderr);
    assert!(!legacy.exists());

    // rename, clone and destroy move, copy and remove the new places.
    sb.dokku(&["apps:rename", "--skip-deploy", app, "renamed"])
        .ok();
    assert!(!lib.join("config").join(app).join("ENV").exists());
    assert!(read(lib.join("config/renamed/ENV")).contains("export A='new'"));
    assert_eq!(
        read(lib.join("config/docker-options/renamed/_default_.deploy")),
        "--label x=1\n"
    );
    assert_eq!(read(lib.join("config/ps/renamed/scale")), "web=3\n");
    sb.dokku(&["apps:clone", "--skip-deploy", "renamed", "cloned"])
        .ok();
    assert_eq!(
        sb.dokku(&["config:get", "cloned", "A"]).ok().stdout,
        "new\n"
    );
    assert_eq!(
        read(lib.join("config/docker-options/cloned/_default_.deploy")),
        "--label x=1\n"
    );
    sb.dokku(&["apps:destroy", "--force", "cloned"]).ok();
    assert!(!lib.join("config/cloned").exists());
    assert!(!lib.join("config/docker-options/cloned").exists());
    assert!(!lib.join("config/ps/cloned").exists());
    assert!(lib.join("config/renamed/ENV").exists());
}
