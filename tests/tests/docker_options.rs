//! The docker-options, resource and storage plugins: their commands, their files and
//! properties, refusal of bad input (one error line, nothing written), the `docker-args-*`
//! triggers they answer (stdin echoed, words appended), and containers started with exactly
//! those arguments: a mount and resource limits that Docker applies.

use dokku_tests::docker::busybox_image;
use dokku_tests::refused;
use dokku_tests::Sandbox;
use std::fs;
use std::process::Command;

/// Splits trigger output into words as `dokku_core::docker::args_trigger` does for what these
/// plugins print (blanks, single quotes, double quotes with backslash escapes, backslashes).
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for ch in chars.by_ref() {
                    if ch == '\'' {
                        break;
                    }
                    cur.push(ch);
                }
            }
            '"' => {
                in_word = true;
                while let Some(ch) = chars.next() {
                    match ch {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                if !matches!(e, '"' | '\\' | '$' | '`') {
                                    cur.push('\\');
                                }
                                cur.push(e);
                            }
                        }
                        ch => cur.push(ch),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    cur.push(e);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `dokku plugin:trigger NAME ARGS…` with `input` on stdin; its stdout.
fn trigger(sb: &Sandbox, name: &str, args: &[&str], input: &str) -> String {
    let mut argv = vec!["plugin:trigger", name];
    argv.extend_from_slice(args);
    sb.dokku_in(&argv, input.as_bytes()).ok().stdout
}

/// A sandbox with one app.
fn sandbox_with_app(prefix: &str) -> (Sandbox, String) {
    let sb = Sandbox::new();
    let app = sb.unique_app(prefix);
    sb.dokku(&["apps:create", &app]).ok();
    (sb, app)
}

fn read(path: std::path::PathBuf) -> String {
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn docker_options_add_remove_clear_report() {
    let (sb, app) = sandbox_with_app("opts");
    let dir = sb.lib_root().join("config/docker-options").join(&app);
    sb.dokku(&["docker-options:add", &app, "deploy,run", "-v /a:/b"])
        .ok();
    // Several arguments are one option, quoted where needed so that it splits back the same.
    sb.dokku(&["docker-options:add", &app, "deploy", "--label", "a b"])
        .ok();
    sb.dokku(&[
        "docker-options:add",
        &app,
        "build,deploy",
        "--restart=always",
    ])
    .ok();
    // Adding it again changes nothing.
    sb.dokku(&["docker-options:add", &app, "deploy", "-v /a:/b"])
        .ok();
    assert_eq!(
        read(dir.join("_default_.deploy")),
        "-v /a:/b\n--label 'a b'\n--restart=always\n"
    );
    assert_eq!(read(dir.join("_default_.run")), "-v /a:/b\n");
    assert_eq!(read(dir.join("_default_.build")), "--restart=always\n");

    let report = sb.dokku(&["docker-options:report", &app]).ok().stdout;
    assert!(report.starts_with(&format!("=====> {app} docker options information\n")));
    assert!(
        report.contains("Docker options deploy:         -v /a:/b --label 'a b' --restart=always\n")
    );
    assert_eq!(
        sb.dokku(&["docker-options:report", &app, "--docker-options-run"])
            .ok()
            .stdout,
        "-v /a:/b\n"
    );
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["docker-options:report", &app, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["docker-options-build"], "--restart=always");
    assert!(sb
        .dokku(&["docker-options:report"])
        .ok()
        .stdout
        .contains(&format!("{app} docker options information")));

    sb.dokku(&["docker-options:remove", &app, "deploy", "--label", "a b"])
        .ok();
    assert_eq!(
        read(dir.join("_default_.deploy")),
        "-v /a:/b\n--restart=always\n"
    );
    sb.dokku(&["docker-options:clear", &app, "run"])
        .ok()
        .out_has(&format!("Clearing docker-options for {app} on phase run"));
    assert!(!dir.join("_default_.run").exists());
    assert_eq!(
        sb.dokku(&["--quiet", "docker-options:clear", &app])
            .ok()
            .stdout,
        ""
    );
    for p in ["BUILD", "DEPLOY", "RUN"] {
        assert!(!dir.join(format!("_default_.{}", p.to_lowercase())).exists());
    }
}

#[test]
fn docker_options_bad_input_is_one_error_line_and_writes_nothing() {
    let (sb, app) = sandbox_with_app("badopts");
    let a = app.as_str();
    let cases: &[(&[&str], &str)] = &[
        (&["docker-options:add", a, "deploy", "x;y"], "not allowed"),
        (
            &["docker-options:add", a, "deploy", "--x $(id)"],
            "not allowed",
        ),
        (&["docker-options:add", a, "deploy", "--x 'open"], "quotes"),
        (
            &["docker-options:add", a, "deploy", "novalue"],
            "starts with -",
        ),
        (
            &["docker-options:add", a, "deploy", "-v /a\n-v /b"],
            "control",
        ),
        (
            &["docker-options:add", a, "deploy"],
            "Please specify docker options",
        ),
        (
            &["docker-options:add", a, "deploy,bogus", "-x"],
            "Phase(s) must be one of",
        ),
        (
            &["docker-options:add", a, "", "-x"],
            "Please specify a phase",
        ),
        (&["docker-options:add", a], "Please specify a phase"),
        (
            &["docker-options:add", "nope", "deploy", "-x"],
            "App nope does not exist",
        ),
        (
            &["docker-options:add", "../x", "deploy", "-x"],
            "App name must",
        ),
        (&["docker-options:add"], "Please specify an app"),
        (
            &["docker-options:remove", a, "run"],
            "Please specify docker options",
        ),
        (
            &["docker-options:clear", a, "later"],
            "Phase(s) must be one of",
        ),
        (
            &["docker-options:clear", a, "run", "x"],
            "unexpected argument",
        ),
        (
            &["docker-options:report", a, "--bogus"],
            "Invalid flag passed",
        ),
        (
            &["docker-options:report", a, "--format", "yaml"],
            "invalid --format",
        ),
    ];
    for (args, needle) in cases {
        refused(sb.dokku(args), needle);
    }
    for p in ["BUILD", "DEPLOY", "RUN"] {
        assert!(!sb
            .lib_root()
            .join("config/docker-options")
            .join(&app)
            .join(format!("_default_.{}", p.to_lowercase()))
            .exists());
    }
}

#[test]
fn docker_args_triggers_echo_stdin_then_append_the_phase_options() {
    let (sb, app) = sandbox_with_app("args");
    let a = app.as_str();
    sb.dokku(&["docker-options:add", a, "deploy,run", "-v /a:/b"])
        .ok();
    sb.dokku(&["docker-options:add", a, "deploy", "--label", "a b"])
        .ok();
    sb.dokku(&["docker-options:add", a, "build,deploy", "--restart=always"])
        .ok();
    sb.dokku(&["docker-options:add", a, "build", "-v /x:/y"])
        .ok();
    sb.dokku(&["docker-options:add", a, "build", "--build-arg X=1"])
        .ok();
    // A hand-edited line that no longer splits is skipped, not passed on.
    let deploy = sb
        .lib_root()
        .join("config/docker-options")
        .join(a)
        .join("_default_.deploy");
    let mut text = read(deploy.clone());
    text.push_str("# a comment\n--bad 'quote\n");
    fs::write(&deploy, text).unwrap();

    let out = trigger(
        &sb,
        "docker-args-deploy",
        &[a, "latest", "web", "1"],
        "--init",
    );
    assert_eq!(out, "--init -v /a:/b --label 'a b' --restart=always");
    assert_eq!(
        split_words(&out),
        s(&[
            "--init",
            "-v",
            "/a:/b",
            "--label",
            "a b",
            "--restart=always"
        ])
    );
    assert_eq!(
        trigger(&sb, "docker-args-run", &[a, "latest"], ""),
        " -v /a:/b"
    );
    // Build: --restart is for deployed processes only; the dockerfile builder takes no volume,
    // herokuish no build args.
    assert_eq!(
        trigger(&sb, "docker-args-build", &[a, "dockerfile"], ""),
        " --build-arg X=1"
    );
    assert_eq!(
        trigger(&sb, "docker-args-build", &[a, "herokuish"], ""),
        " -v /x:/y"
    );
    // An app without options, or that does not exist: stdin only.
    sb.dokku(&["apps:create", "other"]).ok();
    assert_eq!(
        trigger(&sb, "docker-args-deploy", &["other", "latest"], "--x 'y z'"),
        "--x 'y z'"
    );
    assert_eq!(
        trigger(&sb, "docker-args-run", &["nope", "latest"], "-a"),
        "-a"
    );
    refused(
        sb.dokku(&["plugin:trigger", "docker-args-run", "../x", "latest"]),
        "App name must",
    );
}

#[test]
fn resource_limits_reservations_reports_and_docker_args() {
    let (sb, app) = sandbox_with_app("res");
    let a = app.as_str();
    // The logs plugin adds its own `--log-opt max-size=10m` to the same triggers (tested in
    // logs_run.rs); without it the words below are resource's alone.
    sb.dokku(&["logs:set", "--global", "max-size", "unlimited"])
        .ok();
    let out = sb
        .dokku(&["resource:limit", "--memory", "512m", "--cpu", "0.5", a])
        .ok();
    assert_eq!(
        out.stdout,
        format!("=====> Setting resource limits for {a}\n       cpu: 0.5\n       memory: 512m\n")
    );
    let props = sb.lib_root().join("config/resource").join(a);
    assert_eq!(read(props.join("_default_.limit.memory")), "512m\n");
    sb.dokku(&[
        "resource:limit",
        "--memory=1g",
        "--process-type",
        "worker",
        a,
    ])
    .ok()
    .out_has(&format!("Setting resource limits for {a} (worker)"));
    sb.dokku(&["resource:reserve", "--memory", "256", a])
        .ok()
        .out_has(&format!("Setting resource reservation for {a}"));
    sb.dokku(&["resource:limit", "--global", "--cpu", "2", "--memory", "2g"])
        .ok()
        .out_has("Setting default resource limits");
    assert_eq!(
        read(
            sb.lib_root()
                .join("config/resource/--global/_default_.limit.cpu")
        ),
        "2\n"
    );

    // Without values: the current ones, unmerged.
    let shown = sb.dokku(&["resource:limit", a]).ok().stdout;
    assert!(shown.starts_with(&format!(
        "=====> resource limits {a} information [defaults]\n"
    )));
    assert!(shown.contains("       cpu: 0.5\n") && shown.contains("       memory-swap:\n"));
    sb.dokku(&["resource:limit", "--global"])
        .ok()
        .out_has("resource limits default information");

    // The app's value for the process type, else its default, else the global one.
    assert_eq!(
        trigger(
            &sb,
            "docker-args-process-deploy",
            &[a, "dockerfile", "latest", "web", "1"],
            "--init"
        ),
        "--init --cpus=0.5 --memory=512m --memory-reservation=256m"
    );
    assert_eq!(
        trigger(
            &sb,
            "docker-args-process-deploy",
            &[a, "dockerfile", "latest", "worker", "1"],
            ""
        ),
        " --cpus=0.5 --memory=1g --memory-reservation=256m"
    );
    assert_eq!(
        trigger(
            &sb,
            "docker-args-process-run",
            &[a, "dockerfile", "latest"],
            ""
        ),
        " --cpus=0.5 --memory=512m --memory-reservation=256m"
    );
    sb.dokku(&["apps:create", "plain"]).ok();
    assert_eq!(
        trigger(
            &sb,
            "docker-args-process-deploy",
            &["plain", "dockerfile", "latest", "web"],
            ""
        ),
        " --cpus=2 --memory=2g"
    );
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args([
        "plugin:trigger",
        "docker-args-process-deploy",
        a,
        "dockerfile",
        "latest",
        "web",
    ])
    .env("DOKKU_OMIT_RESOURCE_ARGS", "1");
    assert_eq!(sb.run(c, b"-x").ok().stdout, "-x");
    sb.dokku(&["resource:reserve", "--cpu", "0.5", a]).ok();
    assert!(trigger(
        &sb,
        "docker-args-process-run",
        &[a, "dockerfile", "latest"],
        ""
    )
    .contains(" --cpu-shares=512 "));
    assert_eq!(
        sb.dokku(&[
            "plugin:trigger",
            "resource-get-property",
            a,
            "worker",
            "limit",
            "memory"
        ])
        .ok()
        .stdout,
        "1g\n"
    );

    // Reports: one row per value set (as Dokku: an unset or cleared value has none).
    let report = sb.dokku(&["resource:report", a]).ok().stdout;
    assert!(report.starts_with(&format!("=====> {a} resource information\n")));
    assert!(report.contains("       _default_ limit memory:"));
    assert!(report.contains("       worker limit memory:"));
    assert!(!report.contains("       worker limit memory swap:"));
    assert_eq!(
        sb.dokku(&["resource:report", a, "--resource-worker.limit.memory"])
            .ok()
            .stdout,
        "1g\n"
    );
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["resource:report", a, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["resource-_default_.reserve.memory"], "256");
    assert!(json.get("resource-_default_.limit.nvidia-gpu").is_none());

    // Clearing: one value, one process type, all limits, the defaults.
    sb.dokku(&["resource:limit", "--cpu", "clear", a])
        .ok()
        .out_has("cpu: cleared");
    assert!(!props.join("_default_.limit.cpu").exists());
    sb.dokku(&["resource:limit-clear", "--process-type", "worker", a])
        .ok()
        .out_has(&format!("Clearing resource limits for {a} (worker)"));
    assert!(!props.join("worker.limit.memory").exists());
    sb.dokku(&["resource:limit-clear", a]).ok();
    assert!(!props.join("_default_.limit.memory").exists());
    assert!(props.join("_default_.reserve.memory").exists());
    sb.dokku(&["resource:reserve-clear", a]).ok();
    assert!(!props.join("_default_.reserve.memory").exists());
    sb.dokku(&["resource:limit-clear"])
        .ok()
        .out_has("Clearing default resource limits");
    assert_eq!(
        trigger(
            &sb,
            "docker-args-process-deploy",
            &[a, "dockerfile", "latest", "web"],
            "-x"
        ),
        "-x"
    );
}

#[test]
fn resource_bad_input_is_one_error_line_and_writes_nothing() {
    let (sb, app) = sandbox_with_app("badres");
    let a = app.as_str();
    let cases: &[(&[&str], &str)] = &[
        (
            &["resource:limit", "--memory", "lots", a],
            "Invalid memory value",
        ),
        (
            &["resource:limit", "--memory", "0", a],
            "Invalid memory value",
        ),
        (&["resource:limit", "--cpu", "0", a], "Invalid cpu value"),
        (&["resource:limit", "--cpu", "-1", a], "Invalid cpu value"),
        (&["resource:limit", "--cpu", "1;2", a], "Invalid cpu value"),
        (
            &["resource:reserve", "--memory", "1x", a],
            "Invalid memory value",
        ),
        (
            &["resource:limit", "--nvidia-gpu", "1.5", a],
            "Invalid nvidia-gpu value",
        ),
        (
            &["resource:limit", "--process-type", "a;b", "--cpu", "1", a],
            "invalid process type",
        ),
        (
            &["resource:limit", "--process-type", "../x", "--cpu", "1", a],
            "invalid process type",
        ),
        (
            &["resource:limit", "--cpu", "1", "nope"],
            "App nope does not exist",
        ),
        (&["resource:limit", "--cpu", "1"], "Please specify an app"),
        (
            &["resource:limit", "--cpu", "1", "--global", a],
            "unexpected argument",
        ),
        (
            &["resource:limit", "--bogus", "1", a],
            "unknown flag --bogus",
        ),
        (&["resource:limit", a, "--memory"], "needs a value"),
        (
            &["resource:limit-clear", "--process-type", "a b", a],
            "invalid process type",
        ),
        (
            &["resource:report", a, "--resource-nope"],
            "Invalid flag passed",
        ),
        (
            &["resource:report", a, "--format", "yaml"],
            "invalid --format",
        ),
    ];
    for (args, needle) in cases {
        refused(sb.dokku(args), needle);
    }
    assert!(!sb.lib_root().join("config/resource").join(a).exists());
}

#[test]
fn storage_mount_list_unmount_report() {
    let (sb, app) = sandbox_with_app("stor");
    let a = app.as_str();
    let dir = sb.lib_root().join("config/docker-options").join(a);
    sb.dokku(&["storage:mount", a, "/var//lib/x/:/app/data"])
        .ok()
        .out_has(&format!("Mounted /var/lib/x:/app/data into {a}"));
    sb.dokku(&["storage:mount", a, "cache-vol:/cache:ro"]).ok();
    // Kept as Dokku keeps them: -v lines of the deploy and run docker options.
    let lines = "-v /var/lib/x:/app/data\n-v cache-vol:/cache:ro\n";
    assert_eq!(read(dir.join("_default_.deploy")), lines);
    assert_eq!(read(dir.join("_default_.run")), lines);
    assert!(!dir.join("_default_.build").exists());
    // ... which docker-options passes on.
    assert_eq!(
        split_words(&trigger(&sb, "docker-args-run", &[a, "latest"], "")),
        s(&["-v", "/var/lib/x:/app/data", "-v", "cache-vol:/cache:ro"])
    );

    assert_eq!(
        sb.dokku(&["storage:list", a]).ok().stdout,
        format!("-----> {a} volume bind-mounts:\n       /var/lib/x:/app/data\n       cache-vol:/cache:ro\n")
    );
    assert_eq!(
        sb.dokku(&["--quiet", "storage:list", a]).ok().stdout,
        "/var/lib/x:/app/data\ncache-vol:/cache:ro\n"
    );
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["storage:list", a, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"host_path": "/var/lib/x", "container_path": "/app/data", "volume_options": ""},
            {"host_path": "cache-vol", "container_path": "/cache", "volume_options": "ro"},
        ])
    );
    assert_eq!(
        sb.dokku(&["plugin:trigger", "storage-list", a, "run"])
            .ok()
            .stdout,
        "/var/lib/x:/app/data\ncache-vol:/cache:ro\n"
    );
    assert_eq!(
        sb.dokku(&["storage:report", a, "--storage-deploy-mounts"])
            .ok()
            .stdout,
        "-v /var/lib/x:/app/data -v cache-vol:/cache:ro\n"
    );
    sb.dokku(&["storage:report", a])
        .ok()
        .out_has(&format!("=====> {a} storage information"))
        .out_has("Storage run mounts:");

    // Without options, unmount takes the mount whatever its options.
    sb.dokku(&["storage:unmount", a, "cache-vol:/cache"])
        .ok()
        .out_has("Unmounted cache-vol:/cache");
    assert_eq!(read(dir.join("_default_.run")), "-v /var/lib/x:/app/data\n");
    sb.dokku(&["storage:unmount", a, "/var/lib/x:/app/data"])
        .ok();
    assert!(!dir.join("_default_.deploy").exists());
    assert_eq!(sb.dokku(&["--quiet", "storage:list", a]).ok().stdout, "");
}

#[test]
fn storage_bad_input_is_one_error_line_and_writes_nothing() {
    let (sb, app) = sandbox_with_app("badstor");
    let a = app.as_str();
    sb.dokku(&["storage:mount", a, "/srv/data:/data"]).ok();
    let before = read(
        sb.lib_root()
            .join("config/docker-options")
            .join(a)
            .join("_default_.deploy"),
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["storage:mount", a, "/srv/data:/data"],
            "Mount path already exists.",
        ),
        (
            &["storage:mount", a, "/srv/other:/data/"],
            "already mounted",
        ),
        (
            &["storage:mount", a, "/srv"],
            "two valid paths divided by colon",
        ),
        (
            &["storage:mount", a, "relative/x:/y"],
            "must be absolute, or a docker volume name",
        ),
        (&["storage:mount", a, "/x:relative"], "must be absolute"),
        (&["storage:mount", a, "/x/../etc:/y"], ".. components"),
        (&["storage:mount", a, "/x:/y/../z"], ".. components"),
        (&["storage:mount", a, "/a b:/y"], "whitespace"),
        (&["storage:mount", a, "/a,b:/y"], "unsupported character"),
        (&["storage:mount", a, "/a'b:/y"], "unsupported character"),
        (
            &["storage:mount", a, "/a:/y:bogus"],
            "Unsupported mount option",
        ),
        (&["storage:mount", a, "/a:/"], "must not be /"),
        (&["storage:mount", a], "Please specify a mount"),
        (
            &["storage:mount", "nope", "/a:/b"],
            "App nope does not exist",
        ),
        (
            &["storage:unmount", a, "/srv/other:/data"],
            "Mount path does not exist.",
        ),
        (
            &["storage:list", a, "--format", "yaml"],
            "Invalid --format value",
        ),
        (&["storage:list"], "Please specify an app"),
        (&["storage:ensure-directory", "../x"], "[A-Za-z0-9_-]"),
        (&["storage:ensure-directory"], "Please specify a directory"),
        (
            &["storage:ensure-directory", "--chown", "nobody", "x"],
            "Unsupported chown",
        ),
    ];
    for (args, needle) in cases {
        refused(sb.dokku(args), needle);
    }
    assert_eq!(
        read(
            sb.lib_root()
                .join("config/docker-options")
                .join(a)
                .join("_default_.deploy")
        ),
        before
    );
    assert!(!sb.lib_root().join("data/storage/x").exists());
}

#[test]
#[allow(unsafe_code)]
fn storage_ensure_directory() {
    let sb = Sandbox::new();
    let dir = sb.lib_root().join("data/storage/my-app_data");
    sb.dokku(&[
        "storage:ensure-directory",
        "--chown",
        "false",
        "my-app_data",
    ])
    .ok()
    .out_has(&format!("Ensuring {} exists", dir.display()))
    .out_has("Directory ready for mounting");
    assert!(dir.is_dir());
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::fs::MetadataExt;
        fs::write(dir.join("f"), "x").unwrap();
        sb.dokku(&[
            "storage:ensure-directory",
            "--chown",
            "heroku",
            "my-app_data",
        ])
        .ok()
        .out_has("Setting directory ownership to 1000:1000");
        assert_eq!(fs::metadata(&dir).unwrap().uid(), 1000);
        assert_eq!(fs::metadata(dir.join("f")).unwrap().gid(), 1000);
    }
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().unwrap()
}

fn docker_ok(args: &[&str]) -> String {
    let o = docker(args);
    assert!(
        o.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn a_container_started_with_the_deploy_args_gets_the_mount_and_limits() {
    let (sb, app) = sandbox_with_app("e2e");
    sb.use_docker();
    let a = app.as_str();
    // Only storage's and resource's words (the logs plugin's max-size is tested in logs_run.rs).
    sb.dokku(&["logs:set", "--global", "max-size", "unlimited"])
        .ok();
    let host = sb.dir.path().join("data");
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("f"), "from the host\n").unwrap();
    sb.dokku(&["storage:mount", a, &format!("{}:/data:ro", host.display())])
        .ok();
    sb.dokku(&[
        "docker-options:add",
        a,
        "deploy",
        "--label",
        "com.example.note=a b",
    ])
    .ok();
    sb.dokku(&[
        "resource:limit",
        "--memory",
        "64m",
        "--cpu",
        "0.5",
        "--process-type",
        "web",
        a,
    ])
    .ok();
    sb.dokku(&["resource:reserve", "--memory", "32m", a]).ok();

    // What a scheduler does: the deploy args, then the per-process ones, split without a shell.
    let deploy = trigger(&sb, "docker-args-deploy", &[a, "latest", "web", "1"], "");
    let all = trigger(
        &sb,
        "docker-args-process-deploy",
        &[a, "dockerfile", "latest", "web", "1"],
        &deploy,
    );
    let words = split_words(&all);
    assert_eq!(
        words,
        s(&[
            "-v",
            &format!("{}:/data:ro", host.display()),
            "--label",
            "com.example.note=a b",
            "--cpus=0.5",
            "--memory=64m",
            "--memory-reservation=32m",
        ])
    );
    let name = format!("{a}.web.1");
    let mut args: Vec<String> = s(&["run", "-d", "--name", &name, "--label"]);
    args.push(format!("com.dokku.app-name={a}"));
    args.extend(words);
    args.extend(s(&[busybox_image(), "sh", "-c", "cat /data/f; sleep 30"]));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    docker_ok(&refs);
    let inspect = docker_ok(&["container", "inspect", &name]);
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    let hc = &v[0]["HostConfig"];
    assert_eq!(hc["Memory"], 64 * 1024 * 1024);
    assert_eq!(hc["MemoryReservation"], 32 * 1024 * 1024);
    assert_eq!(hc["NanoCpus"], 500_000_000u64);
    assert_eq!(v[0]["Config"]["Labels"]["com.example.note"], "a b");
    let mount = &v[0]["Mounts"][0];
    assert_eq!(mount["Destination"], "/data");
    assert_eq!(mount["RW"], false);
    let mut logs = String::new();
    for _ in 0..50 {
        logs = docker_ok(&["logs", &name]);
        if !logs.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(logs, "from the host");
    docker_ok(&["rm", "-f", &name]);
}

#[test]
fn dokku_run_gets_the_run_phase_mount_and_limits() {
    let (sb, app) = sandbox_with_app("e2erun");
    sb.use_docker();
    let a = app.as_str();
    let ctx = sb.dir.path().join("image");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {}\nLABEL com.dokku.app-name={a} com.dokku.builder-type=dockerfile\n",
            busybox_image()
        ),
    )
    .unwrap();
    docker_ok(&[
        "build",
        "-q",
        "-t",
        &format!("dokku/{a}:latest"),
        ctx.to_str().unwrap(),
    ]);
    let host = sb.dir.path().join("data");
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("f"), "mounted\n").unwrap();
    sb.dokku(&["storage:mount", a, &format!("{}:/data", host.display())])
        .ok();
    sb.dokku(&[
        "resource:limit",
        "--memory",
        "48m",
        "--process-type",
        "run",
        a,
    ])
    .ok();
    sb.dokku(&["docker-options:add", a, "run", "--env", "FROM_OPTS=a b"])
        .ok();
    let out = sb
        .dokku(&[
            "run",
            a,
            "sh",
            "-c",
            "cat /data/f; echo \"$FROM_OPTS\"; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
        ])
        .ok();
    assert_eq!(out.stdout, format!("mounted\na b\n{}\n", 48 * 1024 * 1024));
}
