//! The run, logs and enter plugins against the real Docker engine: one-off containers of an
//! app's image (output, exit code, config and `--env`, stdin, `/exec` for herokuish images,
//! detached ones listed and stopped), the logs of scheduled containers (prefixes, `-n`, `-p`,
//! `-q`, `-t` following), and commands entered into running containers.

use dokku_tests::docker::busybox_image;
use dokku_tests::refused;
use dokku_tests::Sandbox;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn docker_ok(args: &[&str]) -> String {
    let o = Command::new("docker").args(args).output().unwrap();
    assert!(
        o.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A sandbox using Docker, with one app.
fn sandbox_with_app(prefix: &str) -> (Sandbox, String) {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app(prefix);
    sb.dokku(&["apps:create", &app]).ok();
    (sb, app)
}

/// Builds `dokku/APP:latest` from the busybox image, labelled as a `builder` build (so that the
/// sandbox removes it); `extra` is more Dockerfile.
fn app_image(sb: &Sandbox, app: &str, builder: &str, extra: &str) {
    let ctx = sb.dir.path().join(format!("image-{app}"));
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM {}\n{extra}LABEL com.dokku.app-name={app} com.dokku.builder-type={builder}\n",
            busybox_image()
        ),
    )
    .unwrap();
    docker_ok(&[
        "build",
        "-q",
        "-t",
        &format!("dokku/{app}:latest"),
        ctx.to_str().unwrap(),
    ]);
}

/// Starts a scheduled container `APP.PROCESS.N` by hand, as the docker-local scheduler labels
/// them, running `script`.
fn start_dyno(app: &str, dyno: &str, script: &str) -> String {
    let (process, _) = dyno.split_once('.').unwrap();
    let name = format!("{app}.{dyno}");
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "dokku",
        "--label",
        &format!("com.dokku.app-name={app}"),
        "--label",
        &format!("com.dokku.process-type={process}"),
        "--label",
        "com.dokku.container-type=deploy",
        "--label",
        &format!("com.dokku.dyno={dyno}"),
        &format!("dokku/{app}:latest"),
        "sh",
        "-c",
        script,
    ]);
    name
}

/// Waits until `docker logs NAME` holds `needle`.
fn wait_for_log(name: &str, needle: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let o = Command::new("docker")
            .args(["logs", name])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&o.stdout).contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{name} never logged {needle:?}");
}

#[test]
fn run_passes_output_exit_code_config_env_and_stdin() {
    let (sb, app) = sandbox_with_app("run");
    let a = app.as_str();
    app_image(&sb, a, "dockerfile", "");
    sb.dokku(&[
        "config:set",
        "--no-restart",
        a,
        "FOO=from config",
        "ML=line1\nline2",
    ])
    .ok();
    sb.dokku(&["config:set", "--no-restart", "--global", "GLOBAL_ONE=g"])
        .ok();
    let out = sb.dokku(&[
        "run",
        a,
        "sh",
        "-c",
        "echo \"$FOO|$GLOBAL_ONE|$DYNO\"; echo \"$ML\"; echo oops >&2; exit 7",
    ]);
    assert_eq!(out.code, 7, "{out:#?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (vars, dyno) = lines[0].rsplit_once('|').unwrap();
    assert_eq!(vars, "from config|g");
    let n = dyno.strip_prefix("run.").expect("DYNO=run.N");
    assert!(n.parse::<u32>().is_ok(), "{dyno}");
    assert_eq!(&lines[1..], ["line1", "line2"]);
    assert!(out.stderr.contains("oops"), "{out:#?}");

    // --env comes last, so it wins over the config; the command's own flags are its own.
    sb.dokku(&[
        "run",
        "--env",
        "FOO=over",
        "-e",
        "BAR=a b",
        a,
        "sh",
        "-c",
        "echo \"$FOO/$BAR\"",
    ])
    .ok()
    .out_has("over/a b\n");
    sb.dokku(&["run", a, "ls", "-d", "/bin"])
        .ok()
        .out_has("/bin\n");
    // stdin reaches the command (no terminal: -i without -t).
    let out = sb.dokku_in(
        &["run", a, "sh", "-c", "read x; echo got:$x; exit 3"],
        b"piped\n",
    );
    assert_eq!(out.code, 3, "{out:#?}");
    assert_eq!(out.stdout, "got:piped\n");
    // Without a command: the shell, reading stdin.
    sb.dokku_in(&["run", a], b"echo from-shell\n")
        .ok()
        .out_has("from-shell");
    // Run containers are removed when they exit.
    let left = docker_ok(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.dokku.app-name={a}"),
    ]);
    assert_eq!(left, "");
}

#[test]
fn run_refuses_bad_input_and_an_app_without_image() {
    let (sb, app) = sandbox_with_app("norun");
    let a = app.as_str();
    refused(
        sb.dokku(&["run", a, "echo", "hi"]),
        &format!("App {a} has not been deployed"),
    );
    refused(
        sb.dokku(&["run", "nope", "echo"]),
        "App nope does not exist",
    );
    refused(sb.dokku(&["run"]), "Please specify an app");
    refused(
        sb.dokku(&["run", "--env", "1X=2", a, "true"]),
        "Invalid key name",
    );
    refused(
        sb.dokku(&["run", "--env", "NOVALUE", a, "true"]),
        "expected KEY=VALUE",
    );
    refused(
        sb.dokku(&["run", "--bogus", a, "true"]),
        "unknown flag --bogus",
    );
    refused(
        sb.dokku(&["run", "--no-tty", "--force-tty", a, "true"]),
        "Cannot specify both",
    );
    refused(
        sb.dokku(&["run:list", a, "--format", "yaml"]),
        "invalid --format",
    );
    refused(
        sb.dokku(&["run:stop", "--container", "other.run.1"]),
        "App other does not exist",
    );
    refused(
        sb.dokku(&["run:stop", a, "--container", &format!("{a}.web.1")]),
        "Invalid run container name",
    );
}

#[test]
fn run_on_a_herokuish_image_goes_through_exec() {
    let (sb, app) = sandbox_with_app("hk");
    let a = app.as_str();
    app_image(
        &sb,
        a,
        "herokuish",
        "RUN printf '#!/bin/sh\\necho via-exec\\nexec \"$@\"\\n' > /exec && chmod +x /exec\n",
    );
    let out = sb.dokku(&["run", a, "echo", "hello"]).ok();
    assert_eq!(out.stdout, "via-exec\nhello\n");
}

#[test]
fn run_detached_list_and_stop() {
    let (sb, app) = sandbox_with_app("det");
    let a = app.as_str();
    app_image(&sb, a, "dockerfile", "");
    let id = sb
        .dokku(&[
            "run:detached",
            a,
            "sh",
            "-c",
            "trap 'exit 0' TERM; sleep 30 & wait",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    let labels = docker_ok(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"com.dokku.app-name\"}} {{index .Config.Labels \"com.dokku.container-type\"}} {{.HostConfig.AutoRemove}} {{.Name}}",
        &id,
    ]);
    let name = labels
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .to_string();
    assert_eq!(labels, format!("{a} run true /{name}"));
    assert!(name.starts_with(&format!("{a}.run.")), "{name}");

    let list = sb.dokku(&["run:list", a]).ok().stdout;
    assert!(
        list.starts_with(&format!("=====> {a} run containers\n")),
        "{list}"
    );
    assert!(list.contains(&name), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&sb.dokku(&["run:list", a, "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(json[0]["name"], name.as_str());
    assert_eq!(json[0]["state"], "running");

    refused(
        sb.dokku(&["run:stop", "--container", &format!("{a}.run.1")]),
        "No running run container",
    );
    sb.dokku(&["run:stop", "--container", &name])
        .ok()
        .out_has(&format!("Stopping {name}"));
    let start = Instant::now();
    while !docker_ok(&["ps", "-aq", "--filter", &format!("name=^{name}$")]).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(10), "{name} stayed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        sb.dokku(&["run:list", a, "--format", "json"]).ok().stdout,
        "[]\n"
    );
}

#[test]
fn logs_prefix_lines_and_honour_num_ps_and_quiet() {
    let (sb, app) = sandbox_with_app("logs");
    let a = app.as_str();
    app_image(&sb, a, "dockerfile", "");
    refused(
        sb.dokku(&["logs", a]),
        &format!("App {a} has not been deployed"),
    );
    let web1 = start_dyno(
        a,
        "web.1",
        "echo one-web1; echo two-web1; echo err-web1 >&2; sleep 60",
    );
    let web2 = start_dyno(a, "web.2", "sleep 0.3; echo one-web2; sleep 60");
    let worker = start_dyno(a, "worker.1", "sleep 0.6; echo one-worker; sleep 60");
    wait_for_log(&web1, "two-web1");
    wait_for_log(&web2, "one-web2");
    wait_for_log(&worker, "one-worker");

    let out = sb.dokku(&["logs", a]).ok().stdout;
    let texts: Vec<&str> = out
        .lines()
        .map(|l| l.split_once(' ').expect("timestamp first").1)
        .collect();
    // Every container's lines, stderr too, in time order.
    for want in [
        "app[web.1]: one-web1",
        "app[web.1]: two-web1",
        "app[web.1]: err-web1",
        "app[web.2]: one-web2",
        "app[worker.1]: one-worker",
    ] {
        assert!(texts.contains(&want), "{want:?} missing: {out}");
    }
    let pos = |t: &str| texts.iter().position(|x| *x == t).unwrap();
    assert!(pos("app[web.1]: two-web1") < pos("app[web.2]: one-web2"));
    assert!(pos("app[web.2]: one-web2") < pos("app[worker.1]: one-worker"));
    assert!(out.lines().all(|l| l.starts_with("20")), "{out}");

    // -n: the last lines of the app; -p: one process type (or dyno); -q: the text alone.
    let last = sb.dokku(&["logs", a, "-n", "1"]).ok().stdout;
    assert_eq!(last.lines().count(), 1, "{last}");
    assert!(last.ends_with(" app[worker.1]: one-worker\n"), "{last}");
    let web = sb.dokku(&["logs", a, "--ps", "web", "-q"]).ok().stdout;
    let mut lines: Vec<&str> = web.lines().collect();
    lines.sort();
    assert_eq!(lines, ["err-web1", "one-web1", "one-web2", "two-web1"]);
    assert_eq!(
        sb.dokku(&["logs", a, "-p", "web.2", "-q"]).ok().stdout,
        "one-web2\n"
    );
    assert_eq!(
        sb.dokku(&["logs", a, "-p", "worker", "--num=5", "--quiet"])
            .ok()
            .stdout,
        "one-worker\n"
    );
    refused(
        sb.dokku(&["logs", a, "-p", "db"]),
        "available types for app",
    );
    refused(sb.dokku(&["logs", a, "-p", "a;b"]), "invalid process type");
    refused(
        sb.dokku(&["logs", a, "-n", "ten"]),
        "Invalid number of lines",
    );
    refused(sb.dokku(&["logs", a, "--bogus"]), "unknown flag --bogus");
    refused(sb.dokku(&["logs", "nope"]), "App nope does not exist");
}

#[test]
fn logs_tail_follows_new_lines() {
    let (sb, app) = sandbox_with_app("tail");
    let a = app.as_str();
    app_image(&sb, a, "dockerfile", "");
    start_dyno(
        a,
        "web.1",
        "echo before; sleep 2; echo after-start; sleep 60",
    );
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["logs", a, "-t"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen
        .iter()
        .any(|l: &String| l.ends_with("app[web.1]: after-start"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no followed line; got {seen:?}"),
        }
    }
    assert!(seen[0].ends_with("app[web.1]: before"), "{seen:?}");
    // Still following: it has not exited.
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn enter_runs_commands_with_stdin_and_exit_code() {
    let (sb, app) = sandbox_with_app("enter");
    let a = app.as_str();
    app_image(&sb, a, "dockerfile", "");
    refused(
        sb.dokku(&["enter", a, "web"]),
        &format!("No containers found for app {a}"),
    );
    let web1 = start_dyno(a, "web.1", "sleep 60");
    let web2 = start_dyno(a, "web.2", "sleep 60");
    start_dyno(a, "worker.1", "sleep 60");

    // No terminal: the commands come on stdin, the exit code comes back.
    let out = sb.dokku_in(&["enter", a, "web"], b"echo hi; hostname; exit 3\n");
    assert_eq!(out.code, 3, "{out:#?}");
    let host1 = docker_ok(&["inspect", "--format", "{{.Config.Hostname}}", &web1]);
    assert_eq!(out.stdout, format!("hi\n{host1}\n"));
    let host2 = docker_ok(&["inspect", "--format", "{{.Config.Hostname}}", &web2]);
    sb.dokku(&["enter", a, "web.2", "hostname"])
        .ok()
        .out_has(&format!("{host2}\n"));
    sb.dokku(&["enter", a, "worker", "--", "sh", "-c", "echo $0-x", "arg"])
        .ok()
        .out_has("arg-x\n");
    let id = docker_ok(&["inspect", "--format", "{{.Id}}", &web2]);
    sb.dokku(&["enter", a, "--container-id", &id[..12], "hostname"])
        .ok()
        .out_has(&format!("{host2}\n"));
    let out = sb.dokku(&["enter", a, "web", "sh", "-c", "exit 5"]);
    assert_eq!(out.code, 5, "{out:#?}");

    refused(sb.dokku(&["enter", a]), "No container type specified");
    refused(
        sb.dokku(&["enter", a, "db"]),
        "No containers found for type 'db'",
    );
    refused(
        sb.dokku(&["enter", a, "web.9"]),
        "No containers found for type 'web.9'",
    );
    refused(sb.dokku(&["enter", a, "a;b"]), "invalid process type");
    refused(
        sb.dokku(&["enter", a, "--container-id", "0000000000", "true"]),
        "Invalid container id",
    );
    refused(
        sb.dokku(&["enter", "nope", "web"]),
        "App nope does not exist",
    );
}
