//! Dokku 0.38 parity of builds: app.json is HuJSON (comments, trailing commas) and is read
//! exactly; the builder is detected in Dokku's order (herokuish for `.buildpacks`, a `.env`
//! or config `BUILDPACK_URL` even beside a Dockerfile; `pack` for a `project.toml`, refused
//! here with one line unless a builder is selected; else the Dockerfile); the `build` process
//! type's resource limits reach the build container (`docker-args-process-build`), with
//! `--memory-swap` and `--gpus` where Dokku emits them; the builder and resource reports.

use dokku_tests::{refused, Out, Sandbox};

/// `dokku plugin:trigger NAME ARGS…`, which must succeed: its stdout.
fn trigger(sb: &Sandbox, args: &[&str]) -> String {
    let mut a = vec!["plugin:trigger"];
    a.extend_from_slice(args);
    sb.dokku(&a).ok().stdout
}

/// The app's source files for a deploy: the busybox web Dockerfile plus `extra`.
fn with_dockerfile<'a>(
    dockerfile: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut files = vec![("Dockerfile", dockerfile)];
    files.extend_from_slice(extra);
    files
}

/// A push whose app.json has `//` and `/* */` comments and trailing commas deploys, and the
/// app's readers (app-json-get-content, cron) see its values exactly, `//` inside strings
/// included; a broken app.json is refused before the build with one line, the deployed one
/// kept.
#[test]
fn hujson_app_json_is_accepted_and_read_exactly() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("hj");
    sb.dokku(&["apps:create", &app]).ok();
    let dockerfile = dokku_tests::docker::web_dockerfile("hujson");
    let app_json = r#"{
  // Dokku reads app.json as HuJSON
  "cron": [
    {
      "command": "echo http://example.test//path /* kept */", // a trailing comment
      "schedule": "@daily",
    },
  ],
  /* a block
     comment */
  "formation": {"web": {"quantity": 1,},},
}
"#;
    sb.deploy_source(
        &app,
        &with_dockerfile(&dockerfile, &[("app.json", app_json)]),
    )
    .ok();
    let content = trigger(&sb, &["app-json-get-content", &app]);
    let v: serde_json::Value = serde_json::from_str(&content)
        .unwrap_or_else(|e| panic!("app-json-get-content is not JSON ({e}): {content}"));
    assert_eq!(
        v["cron"][0]["command"],
        "echo http://example.test//path /* kept */"
    );
    assert_eq!(v["formation"]["web"]["quantity"], 1);
    let list = sb.dokku(&["cron:list", &app, "--format", "json"]).ok();
    assert!(
        list.stdout
            .contains("echo http://example.test//path /* kept */"),
        "{list:#?}"
    );
    // A broken one: refused with one line naming the file, nothing changed.
    let out = sb.deploy_source(
        &app,
        &with_dockerfile(
            &dockerfile,
            &[("app.json", "{\n  \"formation\": { /* open\n}\n")],
        ),
    );
    refused(out, "app.json");
    assert_eq!(trigger(&sb, &["app-json-get-content", &app]), content);
}

/// The builder a deploy of `files` picks, with herokuish not allowed to build (so a herokuish
/// pick fails at once, saying so, and nothing runs): the failed deploy's one error line.
fn pick(sb: &Sandbox, app: &str, files: &[(&str, &str)]) -> Out {
    sb.deploy_source(app, files).fails()
}

/// Dokku's order: herokuish when `.buildpacks`, a `.env` `BUILDPACK_URL` or an app
/// `BUILDPACK_URL` is there, even beside a Dockerfile; `pack` for a `project.toml` (refused
/// here, one line), unless a builder is selected; else the Dockerfile.
#[test]
fn builder_detection_follows_dokkus_order() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("bd");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["builder-herokuish:set", &app, "allowed", "false"])
        .ok();
    let dockerfile = dokku_tests::docker::web_dockerfile("detected");
    let herokuish = "herokuish may not build";

    // A Dockerfile and a .buildpacks file: herokuish.
    let out = pick(
        &sb,
        &app,
        &with_dockerfile(
            &dockerfile,
            &[(".buildpacks", "https://example.test/bp.git\n")],
        ),
    );
    assert!(out.stderr.contains(herokuish), "{out:#?}");
    assert_eq!(
        sb.dokku(&["builder:report", &app, "--builder-detected"])
            .ok()
            .stdout
            .trim(),
        "herokuish"
    );
    sb.bash(&format!(
        "cd {}/src-{app} && git rm -q .buildpacks && git commit -qm rm",
        sb.dir.path().display()
    ))
    .ok();

    // A Dockerfile and BUILDPACK_URL in the repository's .env: herokuish.
    let out = pick(
        &sb,
        &app,
        &with_dockerfile(
            &dockerfile,
            &[(".env", "export BUILDPACK_URL=https://example.test/bp.git\n")],
        ),
    );
    assert!(out.stderr.contains(herokuish), "{out:#?}");
    sb.bash(&format!(
        "cd {}/src-{app} && git rm -q .env && git commit -qm rm",
        sb.dir.path().display()
    ))
    .ok();

    // A Dockerfile and the app's BUILDPACK_URL: herokuish.
    sb.dokku(&[
        "config:set",
        "--no-restart",
        &app,
        "BUILDPACK_URL=https://example.test/bp.git",
    ])
    .ok();
    let out = pick(&sb, &app, &with_dockerfile(&dockerfile, &[]));
    assert!(out.stderr.contains(herokuish), "{out:#?}");
    sb.dokku(&["config:unset", "--no-restart", &app, "BUILDPACK_URL"])
        .ok();

    // A project.toml beside the Dockerfile: Dokku's pick is pack, which is not here.
    let out = pick(
        &sb,
        &app,
        &with_dockerfile(
            &dockerfile,
            &[("project.toml", "[_]\nschema-version = \"0.2\"\n")],
        ),
    );
    let line = out.one_error_line();
    assert!(
        line.contains("pack builder") && line.contains("not available"),
        "{out:#?}"
    );
    assert_eq!(
        sb.dokku(&["builder:report", &app, "--builder-detected"])
            .ok()
            .stdout
            .trim(),
        "herokuish",
        "a refused builder is not recorded"
    );
}

/// `resource:limit --process-type build` reaches the build: `docker-args-process-build` prints
/// the limits each builder takes (herokuish: memory, swap, cpus, gpus; dockerfile: memory and
/// swap), never the `_default_` ones; deploys get `--memory-swap` and `--gpus`; a cleared key
/// leaves the report; and a Dockerfile build (picked by `builder:set selected` over a
/// `project.toml`) runs with the memory limit, as its own cgroup says.
#[test]
fn build_limits_reach_the_build_container() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("bl");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&[
        "resource:limit",
        "--process-type",
        "build",
        "--memory",
        "256m",
        "--memory-swap",
        "512m",
        "--cpu",
        "1",
        "--nvidia-gpu",
        "1",
        &app,
    ])
    .ok();
    sb.dokku(&["resource:limit", "--memory", "100m", "--cpu", "2", &app])
        .ok();
    assert_eq!(
        trigger(&sb, &["docker-args-process-build", &app, "herokuish"]).trim(),
        "--memory=256m --memory-swap=512m --cpus=1 --gpus=1"
    );
    assert_eq!(
        trigger(&sb, &["docker-args-process-build", &app, "dockerfile"]).trim(),
        "--memory=256m --memory-swap=512m"
    );
    assert_eq!(
        trigger(&sb, &["docker-args-process-build", &app, "null"]).trim(),
        ""
    );
    // Deploys: the process type's limits over the defaults, swap and gpus included.
    sb.dokku(&[
        "resource:limit",
        "--process-type",
        "web",
        "--memory-swap",
        "1g",
        "--nvidia-gpu",
        "all",
        &app,
    ])
    .ok();
    let deploy = trigger(
        &sb,
        &[
            "docker-args-process-deploy",
            &app,
            "dockerfile",
            "latest",
            "web",
        ],
    );
    for want in [
        "--cpus=2",
        "--memory=100m",
        "--memory-swap=1g",
        "--gpus=all",
    ] {
        assert!(deploy.contains(want), "{want} missing: {deploy}");
    }
    // Cleared keys no longer report nor apply (no GPU here for the deploy below either).
    sb.dokku(&[
        "resource:limit",
        "--process-type",
        "web",
        "--nvidia-gpu",
        "clear",
        &app,
    ])
    .ok();
    sb.dokku(&[
        "resource:limit",
        "--process-type",
        "build",
        "--cpu",
        "clear",
        "--nvidia-gpu",
        "clear",
        "--memory-swap",
        "clear",
        &app,
    ])
    .ok();
    let report = sb.dokku(&["resource:report", &app]).ok().stdout;
    assert!(report.contains("build limit memory:"), "{report}");
    assert!(report.contains("web limit memory swap:"), "{report}");
    assert!(!report.contains("web limit nvidia gpu:"), "{report}");
    for gone in [
        "build limit cpu:",
        "build limit nvidia gpu:",
        "build limit memory swap:",
    ] {
        assert!(!report.contains(gone), "{gone} still reported: {report}");
    }
    assert_eq!(
        trigger(&sb, &["docker-args-process-build", &app, "herokuish"]).trim(),
        "--memory=256m"
    );

    // A real build: project.toml would mean pack, the selected dockerfile builder wins, and
    // the build's RUN step sees the 256 MiB limit.
    sb.dokku(&["builder:set", &app, "selected", "dockerfile"])
        .ok();
    let dockerfile = format!(
        "FROM {}\nRUN echo {app}-limit; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max\nCMD [\"sh\", \"-c\", \"mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p $PORT -h /www\"]\n",
        dokku_tests::docker::busybox_image()
    );
    let out = sb
        .deploy_source(
            &app,
            &[
                ("Dockerfile", &dockerfile),
                ("project.toml", "[_]\nschema-version = \"0.2\"\n"),
            ],
        )
        .ok();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("268435456"),
        "no 256 MiB limit in the build: {all}"
    );
    assert_eq!(
        sb.dokku(&["builder:report", &app, "--builder-detected"])
            .ok()
            .stdout
            .trim(),
        "dockerfile"
    );
}

/// The builders' and app-json's reports as Dokku's: raw (empty when unset), computed and
/// global rows; `builder:report --global` has the global rows alone.
#[test]
fn build_reports_have_raw_computed_and_global_rows() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "rep"]).ok();
    sb.dokku(&["builder:set", "--global", "selected", "dockerfile"])
        .ok();
    sb.dokku(&[
        "app-json:set",
        "--global",
        "appjson-path",
        "deploy/app.json",
    ])
    .ok();
    sb.dokku(&["builder-herokuish:set", "--global", "allowed", "false"])
        .ok();
    let value = |cmd: &str, flag: &str| -> String {
        sb.dokku(&[cmd, "rep", flag]).ok().stdout.trim().to_string()
    };
    assert_eq!(value("builder:report", "--builder-selected"), "");
    assert_eq!(
        value("builder:report", "--builder-computed-selected"),
        "dockerfile"
    );
    assert_eq!(
        value("builder:report", "--builder-global-selected"),
        "dockerfile"
    );
    assert_eq!(value("builder:report", "--builder-detected"), "");
    assert_eq!(value("app-json:report", "--app-json-appjson-path"), "");
    assert_eq!(
        value("app-json:report", "--app-json-computed-appjson-path"),
        "deploy/app.json"
    );
    assert_eq!(
        value(
            "builder-herokuish:report",
            "--builder-herokuish-computed-allowed"
        ),
        "false"
    );
    assert_eq!(
        value(
            "builder-dockerfile:report",
            "--builder-dockerfile-computed-dockerfile-path"
        ),
        "Dockerfile"
    );
    let global = sb.dokku(&["builder:report", "--global"]).ok().stdout;
    assert!(global.contains("Builder global selected:"), "{global}");
    assert!(
        global.contains("Builder computed skip cleanup:"),
        "{global}"
    );
    for app_row in [
        "Builder selected:",
        "Builder detected:",
        "Builder build dir:",
    ] {
        assert!(!global.contains(app_row), "{app_row} in {global}");
    }
}
