//! The properties Dokku moved out of env vars for the proxy and the builders, and the flags of
//! issue 13 on the proxy: `proxy:set [--global|APP] type|proxy-port|proxy-ssl-port` beside the
//! legacy `proxy:set APP TYPE`, proxy-port changing the port nginx listens on for the app,
//! `--parallel COUNT` on `proxy:build-config|enable|disable --all`, `builder:set skip-cleanup`
//! (a herokuish build keeps its build container), `builder-dockerfile:set dockerfile-path` (a
//! build from another Dockerfile), `builder-herokuish:set allowed false` (a buildpack build
//! refused with one line), each in its report with Dokku's keys and bad input refused with one
//! line; and `--help` on every command `dokku help --all` lists. Real Docker, nginx and builds.

use dokku_tests::{fixture, refused, Out, Sandbox};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// The app's `proxy:report` (or another report command) value of one flag.
fn report(sb: &Sandbox, cmd: &str, app: &str, flag: &str) -> String {
    sb.dokku(&[cmd, app, flag]).ok().stdout.trim().to_string()
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET /` with `Host: HOST` from 127.0.0.1:PORT through curl: (status, body).
fn get(port: u16, host: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Host: {host}"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "000"));
    (status.to_string(), body.to_string())
}

#[test]
fn every_command_of_help_all_prints_its_usage_on_help_and_exits_0() {
    let sb = Sandbox::new();
    let listing = sb.dokku(&["help", "--all"]).ok().stdout;
    let commands: Vec<String> = listing
        .split_once("Commands:")
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(commands.len() > 150, "{listing}");
    let mut wrong = Vec::new();
    for cmd in &commands {
        let out = sb.dokku(&[cmd, "--help"]);
        if out.code != 0 || !out.stdout.contains(&format!("Usage: dokku {cmd}")) {
            wrong.push(format!(
                "{cmd}: exit {} stdout {:?} stderr {:?}",
                out.code,
                out.stdout.lines().next(),
                out.stderr.lines().next()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(!sb.dokku_root().join("--help").exists());
}

#[test]
fn proxy_set_takes_dokku_properties_and_the_legacy_form_with_dokkus_report_keys() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    // Nothing set: the type in effect is nginx, the raw values empty.
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-type"),
        "nginx"
    );
    assert_eq!(report(&sb, "proxy:report", "web", "--proxy-type"), "");
    // The legacy form sets the type.
    sb.dokku(&["proxy:set", "web", "caddy"]).ok();
    assert_eq!(report(&sb, "proxy:report", "web", "--proxy-type"), "caddy");
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-type"),
        "caddy"
    );
    // The property form, per app and global; an empty value unsets.
    sb.dokku(&["proxy:set", "web", "type", "nginx"])
        .ok()
        .out_has("Setting type to nginx");
    sb.dokku(&["proxy:set", "--global", "type", "caddy"]).ok();
    sb.dokku(&["proxy:set", "web", "type"]).ok();
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-global-type"),
        "caddy"
    );
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-type"),
        "caddy"
    );
    sb.dokku(&["proxy:set", "--global", "caddy2"]).ok();
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-global-type"),
        "caddy2"
    );
    sb.dokku(&["proxy:set", "--global", "type"]).ok();
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-type"),
        "nginx"
    );
    // proxy-port / proxy-ssl-port: app over global, the computed value and the trigger.
    sb.dokku(&["proxy:set", "--global", "proxy-port", "5000"])
        .ok();
    sb.dokku(&["proxy:set", "web", "proxy-ssl-port", "5443"])
        .ok();
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-proxy-port"),
        "5000"
    );
    assert_eq!(report(&sb, "proxy:report", "web", "--proxy-proxy-port"), "");
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-global-proxy-port"),
        "5000"
    );
    sb.dokku(&["proxy:set", "web", "proxy-port", "8080"]).ok();
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-computed-proxy-port"),
        "8080"
    );
    assert_eq!(
        report(
            &sb,
            "proxy:report",
            "web",
            "--proxy-computed-proxy-ssl-port"
        ),
        "5443"
    );
    let json = sb
        .dokku(&["proxy:report", "web", "--format", "json"])
        .ok()
        .stdout;
    for key in [
        "\"proxy-computed-type\":\"nginx\"",
        "\"proxy-proxy-port\":\"8080\"",
        "\"proxy-global-proxy-port\":\"5000\"",
        "\"proxy-proxy-ssl-port\":\"5443\"",
        "\"proxy-enabled\":\"true\"",
        "\"proxy-computed-disabled\":\"false\"",
    ] {
        assert!(json.contains(key), "{key} not in {json}");
    }
    sb.dokku(&["plugin:trigger", "proxy-get-property", "web", "proxy-port"])
        .ok()
        .out_has("8080");
    // Bad input: one line, nothing written.
    for (args, needle) in [
        (
            vec!["proxy:set", "web", "proxy-port", "0"],
            "invalid proxy-port",
        ),
        (
            vec!["proxy:set", "web", "proxy-port", "70000"],
            "invalid proxy-port",
        ),
        (
            vec!["proxy:set", "web", "proxy-ssl-port", "abc"],
            "invalid proxy-ssl-port",
        ),
        (
            vec!["proxy:set", "web", "type", "Ca;ddy"],
            "invalid proxy type",
        ),
        (vec!["proxy:set", "web", "Bad;Type"], "invalid proxy type"),
        (
            vec!["proxy:set", "web", "colour", "red"],
            "Invalid property specified",
        ),
        (
            vec!["proxy:set", "web", "proxy-port", "1", "2"],
            "unexpected argument",
        ),
        (vec!["proxy:set", "nosuch", "type", "nginx"], "nosuch"),
        (
            vec!["proxy:enable", "--all", "--parallel", "0"],
            "invalid --parallel",
        ),
        (
            vec!["proxy:build-config", "--all", "--parallel", "x"],
            "invalid --parallel",
        ),
    ] {
        refused(sb.dokku(&args), needle);
    }
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-proxy-port"),
        "8080"
    );
    assert_eq!(
        report(&sb, "proxy:report", "web", "--proxy-proxy-ssl-port"),
        "5443"
    );
    assert_eq!(report(&sb, "proxy:report", "web", "--proxy-type"), "");
}

#[test]
fn proxy_port_changes_the_port_nginx_listens_on_for_the_app() {
    let sb = Sandbox::with_nginx();
    sb.quick_deploys();
    let app = sb.unique_app("pport");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dokku_tests::docker::web_dockerfile("moved"))],
    )
    .ok();
    let host = format!("{app}.dokku.localhost");
    assert_eq!(get(sb.http_port(), &host).0, "200");
    let port = free_port();
    sb.dokku(&["proxy:set", &app, "proxy-port", &port.to_string()])
        .ok();
    sb.dokku(&["proxy:build-config", &app]).ok();
    sb.dokku(&["nginx:show-config", &app])
        .ok()
        .out_has(&format!("listen 127.0.0.1:{port};"));
    let (status, body) = get(port, &host);
    assert_eq!(status, "200", "{body}");
    assert!(body.contains("moved"), "{body}");
    // Unset: back on nginx's own http port.
    sb.dokku(&["proxy:set", &app, "proxy-port"]).ok();
    sb.dokku(&["proxy:build-config", "--all", "--parallel", "2"])
        .ok();
    sb.dokku(&["nginx:show-config", &app])
        .ok()
        .out_has(&format!("listen 127.0.0.1:{};", sb.http_port()));
    assert_eq!(get(sb.http_port(), &host).0, "200");
}

/// A plugin answering `proxy-disable` / `proxy-enable` by logging its start and end (in ms)
/// around a 1 s sleep.
fn slow_proxy_plugin(sb: &Sandbox) -> PathBuf {
    let log = sb.dir.path().join("proxy-calls.log");
    let body = format!(
        "#!/bin/sh\ns=$(date +%s%3N)\nsleep 1\necho \"$0 $1 $s $(date +%s%3N)\" >> {}\n",
        log.display()
    );
    sb.write_plugin(
        "fx-slow-proxy",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"test: slow proxy\"\nversion = \"0.1.0\"\n",
            ),
            ("proxy-disable", &body),
            ("proxy-enable", &body),
        ],
    );
    log
}

/// The (start, end) ms of the calls of `trigger` in the log.
fn calls(log: &Path, trigger: &str) -> Vec<(u64, u64)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|p| p.ends_with(trigger))
        })
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2].parse().unwrap(), f[3].parse().unwrap())
        })
        .collect()
}

/// How many of the calls ran at the same time at most.
fn most_at_once(calls: &[(u64, u64)]) -> usize {
    calls
        .iter()
        .map(|(s, _)| calls.iter().filter(|(a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn parallel_does_the_apps_of_all_that_many_at_a_time() {
    let sb = Sandbox::new();
    for app in ["one", "two", "three"] {
        sb.dokku(&["apps:create", app]).ok();
    }
    let log = slow_proxy_plugin(&sb);
    let t = Instant::now();
    sb.dokku(&["proxy:disable", "--all", "--parallel", "2"])
        .ok();
    let took = t.elapsed();
    let disabled = calls(&log, "proxy-disable");
    assert_eq!(disabled.len(), 3, "{disabled:?}");
    assert_eq!(most_at_once(&disabled), 2, "{disabled:?}");
    assert!(took < Duration::from_millis(2900), "{took:?}");
    for app in ["one", "two", "three"] {
        assert_eq!(report(&sb, "proxy:report", app, "--proxy-enabled"), "false");
    }
    // Without --parallel: one at a time.
    let t = Instant::now();
    sb.dokku(&["proxy:enable", "--all"]).ok();
    eprintln!(
        "3 apps, a 1 s proxy answer each: --parallel 2 {took:?}, serial {:?}",
        t.elapsed()
    );
    let enabled = calls(&log, "proxy-enable");
    assert_eq!(enabled.len(), 3, "{enabled:?}");
    assert_eq!(most_at_once(&enabled), 1, "{enabled:?}");
    // -1: one per CPU; build-config --all takes it too.
    sb.dokku(&["proxy:disable", "--parallel", "-1", "--all"])
        .ok();
    assert_eq!(calls(&log, "proxy-disable").len(), 6);
    sb.dokku(&["proxy:build-config", "--all", "--parallel", "2"])
        .ok();
    sb.dokku(&["proxy:build-config", "--parallel", "2", "one"])
        .ok();
}

#[test]
fn dockerfile_path_builds_from_another_dockerfile() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("dfpath");
    sb.dokku(&["apps:create", &app]).ok();
    assert_eq!(
        report(
            &sb,
            "builder-dockerfile:report",
            &app,
            "--builder-dockerfile-computed-dockerfile-path"
        ),
        "Dockerfile"
    );
    let a = app.as_str();
    for (args, needle) in [
        (
            vec![
                "builder-dockerfile:set",
                a,
                "dockerfile-path",
                "../Dockerfile",
            ],
            "invalid dockerfile-path",
        ),
        (
            vec![
                "builder-dockerfile:set",
                a,
                "dockerfile-path",
                "/etc/passwd",
            ],
            "invalid dockerfile-path",
        ),
        (
            vec!["builder-dockerfile:set", a, "path", "x"],
            "invalid property",
        ),
    ] {
        refused(sb.dokku(&args), needle);
    }
    assert_eq!(
        report(
            &sb,
            "builder-dockerfile:report",
            &app,
            "--builder-dockerfile-dockerfile-path"
        ),
        ""
    );
    sb.dokku(&[
        "builder-dockerfile:set",
        &app,
        "dockerfile-path",
        "docker/web.Dockerfile",
    ])
    .ok();
    let json = sb
        .dokku(&["builder-dockerfile:report", &app, "--format", "json"])
        .ok()
        .stdout;
    assert!(
        json.contains("\"builder-dockerfile-dockerfile-path\":\"docker/web.Dockerfile\"")
            && json.contains(
                "\"builder-dockerfile-computed-dockerfile-path\":\"docker/web.Dockerfile\""
            )
            && json.contains("\"builder-dockerfile-global-dockerfile-path\":\"\""),
        "{json}"
    );
    // The root Dockerfile would fail the build: the other one is used.
    sb.deploy_source(
        &app,
        &[
            ("Dockerfile", "FROM scratch-does-not-exist\n"),
            (
                "docker/web.Dockerfile",
                &dokku_tests::docker::web_dockerfile("from-the-other"),
            ),
        ],
    )
    .ok();
    let img = format!("dokku/{app}:latest");
    docker(&[
        "run",
        "--rm",
        "--label",
        &format!("com.dokku.app-name={app}"),
        &img,
        "cat",
        "/www/index.html",
    ])
    .ok()
    .out_has("from-the-other");
    // A path the repository lacks fails the build, saying which file.
    sb.dokku(&[
        "builder-dockerfile:set",
        &app,
        "dockerfile-path",
        "docker/none.Dockerfile",
    ])
    .ok();
    sb.dokku(&["ps:rebuild", &app])
        .fails()
        .err_has("docker/none.Dockerfile");
}

/// A herokuish app with the busybox-web fixture buildpack, its source, and its cache volume
/// removed at the end.
fn herokuish_app(sb: &Sandbox, prefix: &str) -> (String, PathBuf, CacheVolume) {
    sb.use_docker();
    dokku_tests::docker::stack_image();
    let app = sb.unique_app(prefix);
    let guard = CacheVolume(app.clone());
    sb.dokku(&["apps:create", &app]).ok();
    let bp = fixture("buildpacks/busybox-web");
    sb.dokku(&["buildpacks:add", &app, bp.to_str().unwrap()])
        .ok();
    let src = sb.dir.path().join(format!("src-{app}"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("index.html"), "hello\n").unwrap();
    (app, src, guard)
}

/// Removes an app's build cache volume when dropped.
struct CacheVolume(String);

impl Drop for CacheVolume {
    fn drop(&mut self) {
        let _ = docker(&["volume", "rm", "--force", &format!("cache-{}", self.0)]);
    }
}

fn build(sb: &Sandbox, app: &str, dir: &Path) -> Out {
    sb.dokku(&[
        "plugin:trigger",
        "builder-build",
        "herokuish",
        app,
        dir.to_str().unwrap(),
    ])
}

/// The app's herokuish build containers left in the engine.
fn build_containers(app: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
        "--filter",
        "label=com.dokku.image-stage=build",
    ])
    .stdout
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

#[test]
fn skip_cleanup_keeps_the_build_container_of_a_herokuish_build() {
    let sb = Sandbox::new();
    let (app, src, _cache) = herokuish_app(&sb, "skipcl");
    assert_eq!(
        report(
            &sb,
            "builder:report",
            &app,
            "--builder-computed-skip-cleanup"
        ),
        "false"
    );
    build(&sb, &app, &src).ok();
    assert!(build_containers(&app).is_empty());
    refused(
        sb.dokku(&["builder:set", &app, "skip-cleanup", "yes"]),
        "invalid skip-cleanup",
    );
    assert_eq!(
        report(&sb, "builder:report", &app, "--builder-skip-cleanup"),
        ""
    );
    sb.dokku(&["builder:set", "--global", "skip-cleanup", "true"])
        .ok();
    assert_eq!(
        report(
            &sb,
            "builder:report",
            &app,
            "--builder-computed-skip-cleanup"
        ),
        "true"
    );
    assert_eq!(
        report(&sb, "builder:report", &app, "--builder-global-skip-cleanup"),
        "true"
    );
    let first = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        &format!("dokku/{app}:latest"),
    ])
    .ok()
    .stdout;
    std::fs::write(src.join("index.html"), "changed\n").unwrap();
    build(&sb, &app, &src).ok().out_has("skip-cleanup");
    assert_eq!(build_containers(&app).len(), 1);
    // The image the build replaced stays too.
    docker(&["image", "inspect", first.trim()]).ok();
    // The app's own false wins over the global true.
    sb.dokku(&["builder:set", &app, "skip-cleanup", "false"])
        .ok();
    assert_eq!(
        report(
            &sb,
            "builder:report",
            &app,
            "--builder-computed-skip-cleanup"
        ),
        "false"
    );
    build(&sb, &app, &src).ok();
    assert_eq!(build_containers(&app).len(), 1);
    sb.dokku(&["builder:set", "--global", "skip-cleanup"]).ok();
}

#[test]
fn herokuish_allowed_false_refuses_a_buildpack_build_with_one_line() {
    let sb = Sandbox::new();
    let (app, src, _cache) = herokuish_app(&sb, "hkallow");
    assert_eq!(
        report(
            &sb,
            "builder-herokuish:report",
            &app,
            "--builder-herokuish-computed-allowed"
        ),
        (std::env::consts::ARCH == "x86_64").to_string()
    );
    refused(
        sb.dokku(&["builder-herokuish:set", &app, "allowed", "maybe"]),
        "invalid allowed",
    );
    sb.dokku(&["builder-herokuish:set", &app, "allowed", "false"])
        .ok();
    assert_eq!(
        report(
            &sb,
            "builder-herokuish:report",
            &app,
            "--builder-herokuish-allowed"
        ),
        "false"
    );
    sb.dokku(&["plugin:trigger", "builder-herokuish-allowed", &app])
        .ok()
        .out_has("false");
    refused(build(&sb, &app, &src), "herokuish may not build");
    assert!(docker(&["image", "inspect", &format!("dokku/{app}:latest")]).code != 0);
    assert!(build_containers(&app).is_empty());
    // The global value applies when the app has none; the app's wins.
    sb.dokku(&["builder-herokuish:set", &app, "allowed"]).ok();
    sb.dokku(&["builder-herokuish:set", "--global", "allowed", "false"])
        .ok();
    refused(build(&sb, &app, &src), "herokuish may not build");
    sb.dokku(&["builder-herokuish:set", &app, "allowed", "true"])
        .ok();
    let json = sb
        .dokku(&["builder-herokuish:report", &app, "--format", "json"])
        .ok()
        .stdout;
    assert!(
        json.contains("\"builder-herokuish-computed-allowed\":\"true\"")
            && json.contains("\"builder-herokuish-global-allowed\":\"false\"")
            && json.contains("\"builder-herokuish-allowed\":\"true\""),
        "{json}"
    );
    build(&sb, &app, &src).ok();
}
