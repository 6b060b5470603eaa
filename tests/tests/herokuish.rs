//! The herokuish builder and the buildpacks plugin, against the real Docker engine and the
//! local stack image (`scripts/build-stack`, built here once when missing): buildpacks:*
//! commands; builder-detect; a build through `builder-build` that streams, serves HTTP with
//! `/start web`, runs commands with `/exec`, keeps its cache, hands config to ENV_DIR and the
//! docker-args-build options to the build; failures (compile, detect, none configured, no
//! stack, bad .buildpacks); and a git push whose `.buildpacks` names a local and a git
//! buildpack. No test depends on a deploy.

use dokku_tests::{fixture, git_ok, Out, Sandbox};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The stack image the builder uses by default.
const STACK: &str = dokku_tests::docker::STACK_IMAGE;

fn docker(args: &[&str]) -> Out {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run docker");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The stack image (built once when missing).
fn stack() -> &'static str {
    dokku_tests::docker::stack_image()
}

/// Removes an app's build cache volume when dropped (the sandbox removes containers and
/// images, not volumes).
struct CacheVolume(String);

impl Drop for CacheVolume {
    fn drop(&mut self) {
        let _ = docker(&["volume", "rm", "--force", &format!("cache-{}", self.0)]);
    }
}

/// A sandbox with Docker and the stack; an app created with `buildpacks`; its cache guard.
fn docker_app(sb: &Sandbox, prefix: &str, buildpacks: &[&str]) -> (String, CacheVolume) {
    sb.use_docker();
    stack();
    let app = sb.unique_app(prefix);
    let guard = CacheVolume(app.clone());
    sb.dokku(&["apps:create", &app]).ok();
    for bp in buildpacks {
        let path = fixture(&format!("buildpacks/{bp}"));
        sb.dokku(&["buildpacks:add", &app, path.to_str().unwrap()])
            .ok();
    }
    (app, guard)
}

/// A source folder `NAME` in the sandbox with `files`.
fn source(sb: &Sandbox, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = sb.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, content) in files {
        std::fs::write(dir.join(rel), content).unwrap();
    }
    dir
}

/// `dokku plugin:trigger builder-build herokuish APP DIR`.
fn build(sb: &Sandbox, app: &str, dir: &Path) -> Out {
    sb.dokku(&[
        "plugin:trigger",
        "builder-build",
        "herokuish",
        app,
        dir.to_str().unwrap(),
    ])
}

fn image(app: &str) -> String {
    format!("dokku/{app}:latest")
}

/// `docker run --rm IMAGE ARGS…` (labelled as the app's, so that cleanup finds it).
fn run_in(app: &str, args: &[&str]) -> Out {
    let label = format!("com.dokku.app-name={app}");
    let img = image(app);
    let mut full = vec!["run", "--rm", "--label", "dokku", "--label", &label, &img];
    full.extend_from_slice(args);
    docker(&full)
}

/// Containers of the app that are left over.
fn containers_of(app: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
    ])
    .stdout
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

/// `GET PATH` from 127.0.0.1:PORT, retried until it answers (10 s at most); the body.
fn http_get(port: u16, path: &str) -> String {
    let start = Instant::now();
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut resp = String::new();
            s.read_to_string(&mut resp)?;
            Ok(resp)
        })();
        match attempt {
            Ok(resp) if resp.starts_with("HTTP/1.") => {
                assert!(resp.contains(" 200 "), "GET {path}: {resp}");
                return resp
                    .split_once("\r\n\r\n")
                    .map(|(_, b)| b.to_string())
                    .unwrap_or_default();
            }
            _ if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            other => panic!("GET {path} on 127.0.0.1:{port}: {other:?}"),
        }
    }
}

#[test]
fn buildpacks_commands_keep_an_ordered_checked_list() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "app"]).ok();
    let list = |sb: &Sandbox| -> Vec<String> {
        sb.dokku(&["--quiet", "buildpacks:list", "app"])
            .ok()
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    };
    sb.dokku(&["buildpacks:list", "app"])
        .ok()
        .out_has("=====> app buildpack urls");
    assert!(list(&sb).is_empty());
    sb.dokku(&["buildpacks:add", "app", "https://x.test/one.git"])
        .ok();
    sb.dokku(&["buildpacks:add", "app", "heroku/nodejs"]).ok();
    sb.dokku(&["buildpacks:add", "--index", "1", "app", "/srv/bp#v2"])
        .ok();
    assert_eq!(
        list(&sb),
        [
            "/srv/bp#v2",
            "https://x.test/one.git",
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        ]
    );
    // The same property file the shell helpers read, one location per line.
    let prop = sb.lib_root().join("config/buildpacks/app/buildpacks");
    assert_eq!(std::fs::read_to_string(&prop).unwrap().lines().count(), 3);
    let e = sb
        .dokku(&["buildpacks:add", "app", "https://x.test/one.git"])
        .fails();
    assert!(e.one_error_line().contains("already set"), "{e:#?}");
    for bad in [
        "-x",
        "ext::sh -c touch${IFS}/tmp/pwned",
        "https://x.test/a b",
        "https://x.test/a\nb",
        "ftp://x.test/bp",
        "relative/dir/bp",
        "https://x.test/bp#-x",
    ] {
        let e = sb.dokku(&["buildpacks:add", "app", bad]).fails();
        assert!(
            e.one_error_line().contains("Invalid buildpack specified"),
            "{bad:?}: {e:#?}"
        );
    }
    let e = sb
        .dokku(&["buildpacks:add", "app", "--upload-pack=x"])
        .fails();
    e.one_error_line();
    let e = sb
        .dokku(&["buildpacks:add", "--index", "0", "app", "https://x.test/z"])
        .fails();
    assert!(e.one_error_line().contains("--index"), "{e:#?}");
    sb.dokku(&["buildpacks:set", "--index", "2", "app", "git://x.test/two"])
        .ok();
    sb.dokku(&["buildpacks:remove", "app", "/srv/bp#v2"]).ok();
    assert_eq!(
        list(&sb),
        [
            "git://x.test/two",
            "https://github.com/heroku/heroku-buildpack-nodejs.git"
        ]
    );
    sb.dokku(&["buildpacks:remove", "app", "--index", "2"]).ok();
    assert_eq!(list(&sb), ["git://x.test/two"]);
    let e = sb
        .dokku(&["buildpacks:remove", "app", "https://x.test/nope"])
        .fails();
    assert!(e.one_error_line().contains("not set"), "{e:#?}");
    sb.dokku(&["buildpacks:remove", "app", "--index", "5"])
        .fails()
        .one_error_line();
    sb.dokku(&["buildpacks:set", "app", "https://x.test/first.git"])
        .ok();
    assert_eq!(list(&sb), ["https://x.test/first.git"]);
    sb.dokku(&["buildpacks:add", "app", "nope/../x"]).fails();
    sb.dokku(&["buildpacks:list", "missing-app"])
        .fails()
        .err_has("App missing-app does not exist");

    // Report and stack properties.
    sb.dokku(&["buildpacks:report", "app"])
        .ok()
        .out_has("=====> app buildpacks information")
        .out_has("Buildpacks list:")
        .out_has("https://x.test/first.git");
    let json = sb
        .dokku(&["buildpacks:report", "app", "--format", "json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["buildpacks-list"], "https://x.test/first.git");
    assert_eq!(v["buildpacks-computed-stack"], STACK);
    assert_eq!(v["buildpacks-stack"], "");
    sb.dokku(&[
        "buildpacks:set-property",
        "--global",
        "stack",
        "my/global:1",
    ])
    .ok();
    sb.dokku(&["buildpacks:set-property", "app", "stack", "my/stack:2"])
        .ok();
    let computed = |sb: &Sandbox| {
        sb.dokku(&["buildpacks:report", "app", "--buildpacks-computed-stack"])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(computed(&sb), "my/stack:2");
    sb.dokku(&["plugin:trigger", "buildpack-stack-name", "app"])
        .ok()
        .out_has("my/stack:2");
    sb.dokku(&["buildpacks:set-property", "app", "stack"]).ok();
    assert_eq!(computed(&sb), "my/global:1");
    sb.dokku(&["buildpacks:set-property", "--global", "stack", ""])
        .ok();
    assert_eq!(computed(&sb), STACK);
    let e = sb
        .dokku(&["buildpacks:set-property", "app", "colour", "x"])
        .fails();
    assert!(e.one_error_line().contains("invalid property"), "{e:#?}");
    sb.dokku(&["buildpacks:set-property", "app", "stack", "-x"])
        .fails()
        .one_error_line();
    sb.dokku(&["buildpacks:clear", "app"]).ok();
    assert!(list(&sb).is_empty());
    assert!(!prop.exists());
}

#[test]
fn builder_detect_names_herokuish_when_buildpacks_are_configured() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "app"]).ok();
    let detect = |dir: &Path| -> Vec<String> {
        sb.dokku(&[
            "plugin:trigger",
            "builder-detect",
            "app",
            dir.to_str().unwrap(),
        ])
        .ok()
        .stdout
        .lines()
        .map(str::to_string)
        .collect()
    };
    let plain = source(&sb, "plain", &[("index.html", "x")]);
    let listed = source(&sb, "listed", &[(".buildpacks", "https://x.test/bp.git\n")]);
    let docker_src = source(
        &sb,
        "dockerfile",
        &[
            (".buildpacks", "https://x.test/bp.git\n"),
            ("Dockerfile", "FROM scratch\n"),
        ],
    );
    assert!(!detect(&plain).contains(&"herokuish".to_string()));
    assert!(detect(&listed).contains(&"herokuish".to_string()));
    // Beside a Dockerfile, buildpacks still mean herokuish (Dokku's order); dockerfile yields.
    assert_eq!(detect(&docker_src), ["herokuish"]);
    sb.dokku(&["buildpacks:add", "app", "https://x.test/bp.git"])
        .ok();
    assert!(detect(&plain).contains(&"herokuish".to_string()));
    sb.dokku(&["buildpacks:clear", "app"]).ok();
    sb.dokku(&[
        "config:set",
        "--no-restart",
        "app",
        "BUILDPACK_URL=https://x.test/bp.git",
    ])
    .ok();
    assert!(detect(&plain).contains(&"herokuish".to_string()));
}

#[test]
fn a_build_serves_http_runs_commands_and_keeps_its_cache() {
    let sb = Sandbox::new();
    let (app, _cache) = docker_app(&sb, "hk", &["busybox-web"]);
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&[
        "config:set",
        "--no-restart",
        &app,
        "GREETING=hello from config",
    ])
    .ok();
    // A docker-args-build answer: echoes what it reads, adds an env var for the compile.
    sb.write_plugin(
        "fx-build-args",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"test: docker-args-build\"\nversion = \"0.1.0\"\n",
            ),
            (
                "docker-args-build",
                "#!/bin/sh\nin=$(cat)\nprintf '%s --env=BUILD_ARG_CHECK=%s' \"$in\" \"$2\"\n",
            ),
        ],
    );
    let src = source(
        &sb,
        "src",
        &[
            ("index.html", "<h1>served by busybox</h1>\n"),
            ("Procfile", "# types\nhello: echo from-procfile $PORT\n"),
        ],
    );
    let out = build(&sb, &app, &src).ok();
    for needle in [
        "-----> busybox-web app detected",
        "-----> busybox-web: step 1",
        "build number 1 (counted in the cache)",
        "env dir keys: GREETING",
        "docker-args-build: herokuish",
        "Procfile declares types -> hello",
        "Default types for buildpack -> web",
    ] {
        assert!(out.stdout.contains(needle), "{needle:?} missing: {out:#?}");
    }
    assert!(containers_of(&app).is_empty(), "build containers left");
    let labels = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &image(&app),
    ])
    .ok()
    .stdout;
    let labels: serde_json::Value = serde_json::from_str(labels.trim()).unwrap();
    assert_eq!(labels["dokku"], "", "{labels}");
    assert_eq!(labels["com.dokku.app-name"], app.as_str(), "{labels}");
    assert_eq!(labels["com.dokku.builder-type"], "herokuish", "{labels}");

    // /start web serves the app on PORT, published on loopback only.
    let label = format!("com.dokku.app-name={app}");
    let cid = docker(&[
        "run",
        "-d",
        "--rm",
        "--init",
        "--label",
        "dokku",
        "--label",
        &label,
        "-p",
        "127.0.0.1:0:5000",
        "-e",
        "PORT=5000",
        &image(&app),
        "/start",
        "web",
    ])
    .ok()
    .stdout
    .trim()
    .to_string();
    let published = docker(&["port", &cid, "5000/tcp"]).ok().stdout;
    let port: u16 = published
        .lines()
        .find_map(|l| l.strip_prefix("127.0.0.1:"))
        .expect("published on 127.0.0.1")
        .trim()
        .parse()
        .unwrap();
    assert!(http_get(port, "/").contains("served by busybox"));
    assert_eq!(http_get(port, "/greeting.txt"), "hello from config");
    docker(&["rm", "-f", &cid]).ok();

    // /start takes a Procfile type; /exec runs commands in the same environment.
    assert_eq!(
        run_in(&app, &["/start", "hello"]).ok().stdout.trim(),
        "from-procfile 5000"
    );
    run_in(&app, &["/start", "nope"])
        .fails()
        .err_has("No process type nope");
    assert_eq!(
        run_in(&app, &["/exec", "echo $FROM_PROFILE $PORT $HOME $(pwd)"])
            .ok()
            .stdout
            .trim(),
        "profile-ok 5000 /app /app"
    );
    assert_eq!(
        run_in(&app, &["/exec", "cat", "BUILD_COUNT"])
            .ok()
            .stdout
            .trim(),
        "1"
    );
    // Nothing of the build inputs (the config among them) is left in the image.
    assert_eq!(
        run_in(&app, &["/exec", "ls", "-A", "/tmp"])
            .ok()
            .stdout
            .trim(),
        ""
    );

    // The cache survives into the next build.
    let out = build(&sb, &app, &src).ok();
    assert!(out.stdout.contains("build number 2"), "{out:#?}");
    // The image it replaced, named by nothing any more, is gone.
    let images = docker(&[
        "images",
        "-q",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
    ])
    .ok()
    .stdout;
    assert_eq!(images.split_whitespace().count(), 1, "{images}");
    assert_eq!(
        run_in(&app, &["/exec", "cat", "BUILD_COUNT"])
            .ok()
            .stdout
            .trim(),
        "2"
    );
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    for needle in [
        format!("INVOKED: pre-build( herokuish {app} "),
        format!("INVOKED: pre-build-buildpack( {app} "),
        format!("INVOKED: docker-args-build( {app} herokuish )"),
        format!("INVOKED: post-build( herokuish {app} "),
        format!("INVOKED: post-build-buildpack( {app} "),
    ] {
        assert!(events.contains(&needle), "{needle:?} missing: {events}");
    }

    // The cache goes with the app.
    let volume = format!("cache-{app}");
    docker(&["volume", "inspect", &volume]).ok();
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    docker(&["volume", "inspect", &volume]).fails();
}

#[test]
fn failed_builds_say_why() {
    let sb = Sandbox::new();
    let (app, _cache) = docker_app(&sb, "hkfail", &[]);
    let src = source(&sb, "src", &[("index.html", "x")]);
    let e = build(&sb, &app, &src).fails();
    assert!(
        e.one_error_line()
            .contains(&format!("No buildpacks configured for {app}")),
        "{e:#?}"
    );
    let bp = fixture("buildpacks/busybox-web");
    sb.dokku(&["buildpacks:add", &app, bp.to_str().unwrap()])
        .ok();

    // No buildpack applies (no index.html).
    let other = source(&sb, "other", &[("app.txt", "x")]);
    build(&sb, &app, &other).fails().err_has(&format!(
        "No buildpack applies to {app}: bin/detect of {}",
        bp.display()
    ));

    // A failing compile: its own output, then why.
    sb.dokku(&["config:set", "--no-restart", &app, "BUILD_FAIL=1"])
        .ok();
    let e = build(&sb, &app, &src).fails();
    assert!(e.stdout.contains("busybox-web: step 1"), "{e:#?}");
    assert!(e.stderr.contains("busybox-web: compile error"), "{e:#?}");
    assert!(
        e.stderr
            .contains(&format!("Failed to compile {app} with buildpack")),
        "{e:#?}"
    );
    assert!(docker(&["image", "inspect", &image(&app)]).code != 0);
    assert!(containers_of(&app).is_empty(), "build containers left");
    sb.dokku(&["config:unset", "--no-restart", &app, "BUILD_FAIL"])
        .ok();

    // A missing stack image names the script that builds it.
    sb.dokku(&[
        "buildpacks:set-property",
        &app,
        "stack",
        "dokku-test/no-such-stack:none",
    ])
    .ok();
    let e = build(&sb, &app, &src).fails();
    assert!(e.one_error_line().contains("scripts/build-stack"), "{e:#?}");
    sb.dokku(&["buildpacks:set-property", &app, "stack"]).ok();

    // A bad .buildpacks line (the app's own list is empty).
    sb.dokku(&["buildpacks:clear", &app]).ok();
    let bad = source(
        &sb,
        "bad",
        &[("index.html", "x"), (".buildpacks", "# x\nnot a url\n")],
    );
    let e = build(&sb, &app, &bad).fails();
    assert!(e.one_error_line().contains(".buildpacks line 2"), "{e:#?}");
}

#[test]
fn a_push_streams_the_build_of_its_dot_buildpacks() {
    let sb = Sandbox::with_ssh();
    let (app, _cache) = docker_app(&sb, "hkpush", &[]);
    // A git buildpack, fetched over file:// at a branch.
    let marker = sb.work_tree("marker-bp");
    for f in ["bin/detect", "bin/compile", "bin/release"] {
        let dest = marker.join(f);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(fixture("buildpacks/marker").join(f), &dest).unwrap();
    }
    git_ok(&marker, &["add", "--all"]);
    git_ok(&marker, &["commit", "--quiet", "-m", "marker"]);
    let list = format!(
        "# the app's buildpacks\n{}\nfile://{}#main\n",
        fixture("buildpacks/busybox-web").display(),
        marker.display()
    );
    let w = sb.work_tree("w");
    sb.commit(
        &w,
        &[
            ("index.html", "pushed"),
            ("SLEEP", "2"),
            (".buildpacks", &list),
        ],
        "app",
    );
    let mut c = dokku_tests::git(&w);
    c.env(
        "GIT_SSH_COMMAND",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
    )
    .args(["push", &sb.push_url(&app), "main"]);
    let run = dokku_tests::timed_stderr(c);
    let text = run.text();
    assert!(
        text.contains("Fetching buildpacks (from .buildpacks)"),
        "{text}"
    );
    assert!(text.contains("marker app detected"), "{text}");
    let step1 = run.first_at("busybox-web: step 1").expect("step 1 arrived");
    let step2 = run.first_at("busybox-web: step 2").expect("step 2 arrived");
    // The compile sleeps 2 s between its steps: step 1 must reach the client before step 2.
    assert!(
        step2 - step1 >= Duration::from_millis(1500),
        "step 1 at {step1:?}, step 2 at {step2:?}: not streamed\n{text}"
    );
    assert_eq!(
        run_in(&app, &["/exec", "cat", "MARKERS"])
            .ok()
            .stdout
            .trim(),
        "marker"
    );
    assert_eq!(
        run_in(&app, &["/exec", "cat", "public/index.html"])
            .ok()
            .stdout,
        "pushed"
    );
}
