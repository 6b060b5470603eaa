//! The core's own commands and the repo plugin: `dokku cleanup [APP]` (only what dokku made),
//! `dokku deploy APP [TAG]` (an existing image, through the release step, under the deploy
//! lock), `trace:on`/`trace:off` (persisted, the same output as `--trace`), `dokku shell` (run
//! under a real pseudo-terminal: a command's output, TAB completion, history, `exit`),
//! `repo:gc` and `repo:purge-cache`; help, `--help` and one-line refusals.

use dokku_tests::docker::{
    build_salted_image as build, busybox_image, docker_stdout, object_exists as exists,
};
use dokku_tests::{http_body, refused, Sandbox};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const NEW_COMMANDS: &[&str] = &[
    "cleanup",
    "deploy",
    "shell",
    "trace:on",
    "trace:off",
    "repo:gc",
    "repo:purge-cache",
];

#[test]
fn help_lists_the_commands_and_each_prints_its_usage() {
    let sb = Sandbox::new();
    let all = sb.dokku(&["help", "--all"]).ok().stdout;
    for cmd in NEW_COMMANDS {
        assert!(
            all.lines()
                .any(|l| l.split_whitespace().next() == Some(cmd)),
            "{cmd} not in help --all:\n{all}"
        );
        let out = sb.dokku(&[cmd, "--help"]).ok();
        assert!(
            out.stdout.starts_with(&format!("Usage: dokku {cmd}")),
            "{cmd} --help: {out:#?}"
        );
    }
    // --help runs nothing: trace mode stays off.
    assert!(!sb.dokku_root().join(".dokkurc/DOKKU_TRACE").exists());
}

#[test]
fn bad_input_is_refused_with_one_line_and_nothing_written() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "core-app"]).ok();
    refused(sb.dokku(&["deploy"]), "specify an app");
    refused(sb.dokku(&["deploy", "nope"]), "App nope does not exist");
    refused(sb.dokku(&["deploy", "Bad_Name"]), "");
    refused(
        sb.dokku(&["deploy", "core-app", "bad:tag"]),
        "invalid image tag",
    );
    refused(
        sb.dokku(&["deploy", "core-app", "a", "b"]),
        "unexpected argument",
    );
    refused(sb.dokku(&["cleanup", "nope"]), "App nope does not exist");
    refused(sb.dokku(&["cleanup", "a", "b"]), "unexpected argument");
    refused(sb.dokku(&["cleanup", "--bogus"]), "unknown flag");
    refused(sb.dokku(&["trace:on", "x"]), "unexpected argument");
    refused(sb.dokku(&["trace:off", "x"]), "unexpected argument");
    refused(sb.dokku(&["shell", "x"]), "unexpected argument");
    refused(sb.dokku(&["repo:gc"]), "specify an app");
    refused(sb.dokku(&["repo:gc", "nope"]), "App nope does not exist");
    refused(
        sb.dokku(&["repo:gc", "core-app", "x"]),
        "unexpected argument",
    );
    // apps:create makes the bare repository (as Dokku): gc of an empty one is fine; an app
    // folder without one (made by hand, as an old server may have it) is refused.
    sb.dokku(&["repo:gc", "core-app"]).ok();
    std::fs::create_dir(sb.dokku_root().join("repo-less")).unwrap();
    refused(sb.dokku(&["repo:gc", "repo-less"]), "no git repository");
    refused(sb.dokku(&["repo:purge-cache"]), "specify an app");
    refused(
        sb.dokku(&["repo:purge-cache", "nope"]),
        "App nope does not exist",
    );
    assert!(!sb.dokku_root().join(".dokkurc").exists());
}

/// The `+ …` lines of a traced command's stderr.
fn trace_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with("+ "))
        .map(str::to_string)
        .collect()
}

#[test]
fn trace_on_persists_and_traces_as_the_flag_does() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "traced"]).ok();
    let plain = sb.dokku(&["apps:list"]).ok();
    assert!(trace_lines(&plain.stderr).is_empty(), "{plain:#?}");
    sb.dokku(&["trace:on"])
        .ok()
        .out_has("-----> Enabling trace mode");
    let file = sb.dokku_root().join(".dokkurc/DOKKU_TRACE");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "export DOKKU_TRACE=1\n"
    );
    let on = sb.dokku(&["apps:list"]).ok();
    assert!(!trace_lines(&on.stderr).is_empty(), "{on:#?}");
    sb.dokku(&["trace:off"])
        .ok()
        .out_has("-----> Disabling trace mode");
    assert!(!file.exists());
    let flag = sb.dokku(&["--trace", "apps:list"]).ok();
    assert_eq!(on.stdout, flag.stdout);
    assert_eq!(trace_lines(&on.stderr), trace_lines(&flag.stderr));
    let off = sb.dokku(&["apps:list"]).ok();
    assert!(trace_lines(&off.stderr).is_empty(), "{off:#?}");
    // Turning it off twice is fine.
    sb.dokku(&["trace:off"]).ok();
}

#[test]
fn repo_gc_packs_the_repository() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "gc-app"]).ok();
    sb.dokku(&["git:initialize", "gc-app"]).ok();
    let dir = sb.dokku_root().join("gc-app");
    let git = |args: &[&str], input: &str| {
        let mut c = Command::new("git");
        c.arg("--git-dir").arg(&dir).args(args);
        let out = sb.run(c, input.as_bytes());
        assert_eq!(out.code, 0, "{out:#?}");
        out.stdout.trim().to_string()
    };
    // A commit of 20 files, every object loose, reachable from a branch.
    let mut tree = String::new();
    for i in 0..20 {
        let blob = git(&["hash-object", "-w", "--stdin"], &format!("file {i}\n"));
        tree.push_str(&format!("100644 blob {blob}\tf{i}\n"));
    }
    let tree = git(&["mktree"], &tree);
    let commit = git(
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit-tree",
            &tree,
            "-m",
            "x",
        ],
        "",
    );
    git(&["update-ref", "refs/heads/gc-test", &commit], "");
    let count = |key: &str| -> u32 {
        git(&["count-objects", "-v"], "")
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}: ")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(count("count"), 22);
    assert_eq!(count("in-pack"), 0);
    sb.dokku(&["repo:gc", "gc-app"])
        .ok()
        .out_has("git gc --aggressive");
    assert_eq!(count("count"), 0);
    assert_eq!(count("in-pack"), 22);
}

#[test]
fn repo_purge_cache_removes_only_the_apps_labelled_cache_volume() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("cache");
    sb.dokku(&["apps:create", &app]).ok();
    let vol = format!("cache-{app}");
    let exists = |name: &str| {
        Command::new("docker")
            .args(["volume", "inspect", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    sb.dokku(&["repo:purge-cache", &app])
        .ok()
        .out_has("No build cache");
    // A volume of that name that dokku did not make for this app stays.
    docker_stdout(&["volume", "create", &vol]);
    sb.dokku(&["repo:purge-cache", &app])
        .ok()
        .out_has("No build cache");
    assert!(exists(&vol));
    docker_stdout(&["volume", "rm", &vol]);
    // The builder's cache volume: labelled as herokuish makes it.
    let label = format!("com.dokku.app-name={app}");
    docker_stdout(&[
        "volume", "create", "--label", "dokku", "--label", &label, &vol,
    ]);
    sb.dokku(&["repo:purge-cache", &app])
        .ok()
        .out_has("Purging the build cache");
    assert!(!exists(&vol));
}

#[test]
fn cleanup_removes_the_apps_exited_containers_and_dangling_images_only() {
    let sb = Sandbox::new();
    sb.use_docker();
    let image = busybox_image();
    let app = sb.unique_app("clean");
    let other = sb.unique_app("keep");
    for a in [&app, &other] {
        sb.dokku(&["apps:create", a]).ok();
    }
    let exited = |name: &str, labels: &[String]| {
        let mut args = vec!["run".to_string(), "--name".into(), name.to_string()];
        for l in labels {
            args.extend(["--label".to_string(), l.clone()]);
        }
        args.extend([image.to_string(), "true".into()]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        docker_stdout(&a);
        name.to_string()
    };
    let mine = exited(
        &format!("{app}.run.1"),
        &["dokku".into(), format!("com.dokku.app-name={app}")],
    );
    let theirs = exited(
        &format!("{other}.run.1"),
        &["dokku".into(), format!("com.dokku.app-name={other}")],
    );
    let foreign = exited(&format!("foreign-{app}"), &[]);
    let running = format!("{app}.web.1");
    docker_stdout(&[
        "run",
        "-d",
        "--name",
        &running,
        "--label",
        "dokku",
        "--label",
        &format!("com.dokku.app-name={app}"),
        image,
        "sleep",
        "300",
    ]);
    let app_label = format!("com.dokku.app-name={app}");
    let dangling = build(
        &format!("dokku/{app}:cleanup"),
        &["dokku", &app_label],
        &app,
    );
    let tagged = build(&format!("dokku/{app}:cleanup"), &["dokku", &app_label], "2");
    let foreign_tag = format!("foreign-{app}:x");
    let foreign_dangling = build(&foreign_tag, &[], &format!("{app}-f"));
    build(&foreign_tag, &[], &format!("{app}-g"));

    sb.dokku(&["cleanup", &app]).ok();
    assert!(
        !exists("container", &mine),
        "the app's exited container stays"
    );
    assert!(
        !exists("image", &dangling),
        "the app's dangling image stays"
    );
    assert!(exists("container", &running), "a running container went");
    assert!(exists("image", &tagged), "a tagged image went");
    assert!(exists("container", &theirs), "another app's container went");
    assert!(exists("container", &foreign), "a foreign container went");
    assert!(exists("image", &foreign_dangling), "a foreign image went");

    for c in [&foreign, &running] {
        let _ = Command::new("docker").args(["rm", "-f", c]).output();
    }
    let _ = Command::new("docker")
        .args(["rmi", "-f", &foreign_tag, &foreign_dangling])
        .output();
}

#[test]
fn deploy_runs_an_existing_image_by_tag_under_the_deploy_lock() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("dep");
    sb.dokku(&["apps:create", &app]).ok();
    refused(sb.dokku(&["deploy", &app]), "No image");
    let web = dokku_tests::docker::web_dockerfile;
    sb.deploy_source(&app, &[("Dockerfile", &web("one"))]).ok();
    let old = format!("dokku/{app}:one");
    docker_stdout(&["tag", &format!("dokku/{app}:latest"), &old]);
    sb.deploy_source(&app, &[("Dockerfile", &web("two"))]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("two")
    );

    sb.dokku(&["deploy", &app, "one"]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
    let running = docker_stdout(&[
        "inspect",
        "--format",
        "{{.Config.Image}}",
        &format!("{app}.web.1"),
    ]);
    assert_eq!(running.trim(), old);

    refused(sb.dokku(&["deploy", &app, "missing"]), "No image");
    sb.dokku(&["apps:lock", &app]).ok();
    refused(sb.dokku(&["deploy", &app]), "locked");
    sb.dokku(&["apps:unlock", &app]).ok();
    sb.dokku(&["--app", &app, "deploy"]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("two")
    );
    let _ = Command::new("docker").args(["rmi", "-f", &old]).output();
}

/// A `dokku shell` under a pseudo-terminal (util-linux `script`): each chunk is typed after
/// the previous one had time to be read; returns everything the terminal showed and the exit
/// code.
fn shell_session(sb: &Sandbox, chunks: &[&str]) -> (String, i32) {
    let mut c = sb.command("script");
    c.args(["--quiet", "--return", "--echo", "never", "--command"])
        .arg(format!("{} shell", sb.root.join("bin/dokku").display()))
        .arg("/dev/null")
        .env("HOME", sb.dir.path())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("script (util-linux) is installed");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    std::thread::sleep(Duration::from_millis(700));
    for chunk in chunks {
        stdin.write_all(chunk.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(700));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break -1;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let out = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    (out, code)
}

#[test]
fn shell_runs_commands_completes_names_recalls_history_and_exits() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "shellapp-one"]).ok();
    let (out, code) = shell_session(
        &sb,
        &[
            // A command and its output.
            "apps:list\r",
            // TAB completes a command name...
            "apps:li\t\r",
            // ...lists the candidates when several remain...
            "apps:l\t\x15",
            // ...and completes an app name.
            "apps:report shellapp-o\t\r",
            // Up-arrow recalls the last line.
            "\x1b[A\r",
            // Bad input is refused with one line; the shell goes on.
            "apps:exists nope\r",
            "exit\r",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("dokku> "), "{out}");
    assert_eq!(out.matches("=====> My Apps").count(), 2, "{out}");
    assert!(out.contains("apps:list  apps:lock"), "{out}");
    assert!(out.contains("apps:report shellapp-one "), "{out}");
    assert_eq!(
        out.matches("=====> shellapp-one app information").count(),
        2,
        "{out}"
    );
    assert!(out.contains("App nope does not exist"), "{out}");
    let history = std::fs::read_to_string(sb.dir.path().join(".dokku_history")).unwrap();
    assert_eq!(
        history.lines().collect::<Vec<_>>(),
        [
            "apps:list",
            "apps:report shellapp-one",
            "apps:exists nope",
            "exit"
        ]
    );
    // The history survives into the next session; end of input (Ctrl-D) leaves with 0.
    let (out, code) = shell_session(&sb, &["\x1b[A\x1b[A\r", "\x04"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("App nope does not exist"), "{out}");
}

#[test]
fn shell_reads_commands_from_a_pipe() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "piped"]).ok();
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.arg("shell").env("HOME", sb.dir.path());
    let out = sb.run(
        c,
        b"dokku apps:list\n\nconfig:set --no-restart piped 'A=x y'\n\"config:get\" piped A\nbogus:cmd\nquit\napps:list\n",
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.stdout.matches("=====> My Apps").count(), 1, "{out:#?}");
    assert!(out.stdout.lines().any(|l| l == "x y"), "{out:#?}");
    assert!(
        out.stderr.contains("`bogus:cmd` is not a dokku command"),
        "{out:#?}"
    );
}

#[test]
fn a_shell_over_ssh_asks_user_auth_for_every_line() {
    let sb = Sandbox::with_ssh();
    sb.write_plugin(
        "no-destroy",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"refuses apps:destroy\"\nversion = \"0.1.0\"\n",
            ),
            (
                "user-auth",
                "#!/bin/sh\n[ \"$3\" = apps:destroy ] || exit 0\necho ' !     no destroying here' >&2\nexit 1\n",
            ),
        ],
    );
    let mut c = sb.command("sh");
    c.arg("-c").arg(format!(
        "exec {} -p {} {}@127.0.0.1 -- shell",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
        sb.ssh_port(),
        sb.ssh_user()
    ));
    let out = sb.run(
        c,
        b"apps:create ssh-shell\napps:destroy ssh-shell --force\napps:list\nshell\nexit\n",
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stderr.contains("no destroying here"), "{out:#?}");
    assert!(out.stderr.contains("already in a dokku shell"), "{out:#?}");
    assert!(out.stdout.lines().any(|l| l == "ssh-shell"), "{out:#?}");
    assert!(sb.dokku_root().join("ssh-shell").is_dir());
}
