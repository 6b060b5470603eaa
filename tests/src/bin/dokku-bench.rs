//! `scripts/bench`: latency figures for the core paths, each a median over repeated runs, in a
//! throwaway installation. Targets are printed beside the figures; timed tests never assert them.
//! `--only deploy` times a push of a 4-container app with an app.json healthcheck until all four
//! serve, against the same build, 4 starts and one check each by hand.
//! `--only swarm` times a 6-replica app on a 3-host test cluster (scripts/test-cluster)
//! against docker-local, and the cut of a host until all replicas run and answer again.

#[path = "dokku-bench/rollback.rs"]
mod rollback;

#[path = "../bench/scale.rs"]
mod scale;

use dokku_tests::swarm::{join_unix, listeners, mgr, registry_login, tasks};
use dokku_tests::{git, Sandbox};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Median and 90th percentile, in milliseconds, of `runs` timed runs after 3 warm-ups.
fn measure(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..3 {
        f();
    }
    measure_n(runs, f)
}

fn run_quiet(c: &mut Command) {
    let st = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    assert!(st.success(), "{c:?} failed");
}

fn row(name: &str, (med, p90): (f64, f64), target: &str, met: bool) {
    println!(
        "{name:<52} median {med:>8.2} ms   p90 {p90:>8.2} ms   target {target:<12} {}",
        if met { "met" } else { "MISSED" }
    );
}

fn main() {
    // `--floor-loop EXE…`: run each executable in turn (the floor, as a process of its own).
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--floor-loop") {
        for exe in &argv[2..] {
            run_quiet(&mut Command::new(exe));
        }
        return;
    }
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    // `--only push|redeploy|deploy|proxy|restore|swarm`: just that figure (swarm runs only when asked: ~3 min).
    match std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .as_deref()
    {
        Some("push") => return push_benchmark(runs.min(20)),
        Some("redeploy") => return redeploy_benchmark(runs.min(10)),
        Some("deploy") => return deploy_benchmark(runs.min(10)),
        Some("proxy" | "memory") => return scale::proxy_benchmark(),
        Some("restore") => return scale::restore_benchmark(),
        Some("swarm") => return swarm_benchmark(swarm_runs()),
        Some("rollback") => return rollback::benchmark(runs.min(10)),
        _ => {}
    }
    let sb = Sandbox::new();
    let dokku = sb.root.join("bin/dokku");
    let plugn = sb.root.join("bin/plugn");

    // 60 community-style plugins: each answers `commands help`; every sixth implements the trigger.
    let mut implementers: Vec<PathBuf> = Vec::new();
    for i in 0..60 {
        let name = format!("bench-{i:02}");
        let commands = format!(
            "#!/bin/sh\ncase \"$1\" in\n  help) echo \"    {name}, Benchmark plugin {i}\" ;;\n  *) exit 10 ;;\nesac\n"
        );
        let toml = format!("[plugin]\ndescription = \"bench {i}\"\nversion = \"1.0.0\"\n[plugin.config]\nindex = \"{i}\"\n");
        let mut files: Vec<(&str, &str)> = vec![("plugin.toml", &toml), ("commands", &commands)];
        let trig = "#!/bin/sh\n:\n";
        if i % 6 == 0 {
            files.push(("bench-trigger", trig));
        }
        sb.write_plugin(&name, &files);
        if i % 6 == 0 {
            implementers.push(
                sb.plugin_path()
                    .join("enabled")
                    .join(&name)
                    .join("bench-trigger"),
            );
        }
    }
    assert_eq!(implementers.len(), 10);

    println!("dokku benchmarks ({runs} runs each, median and p90; 2-core machine)\n");

    // (1) A trigger over 60 plugins of which 10 implement it, against the floor: the same 10
    // executables run directly in a loop. In-process (how dokku and Rust plugins fire
    // triggers, through the plugn library) and as the `plugn` command line, whose floor is the
    // same loop in a process of its own (`dokku-bench --floor-loop`).
    let floor = measure(runs, || {
        for exe in &implementers {
            run_quiet(sb.command(exe).env("CONFIG_INDEX", "0"));
        }
    });
    row("floor: the 10 executables run in a loop", floor, "-", true);
    for (k, v) in sb.env() {
        std::env::set_var(k, v);
    }
    let paths = plugn::Paths::from_env();
    let args = vec!["app".to_string()];
    let lib = measure(runs, || {
        let o = plugn::fire(
            &paths,
            "bench-trigger",
            &args,
            plugn::Input::Null,
            plugn::Output::Capture,
        )
        .expect("fire");
        assert!(o.success());
    });
    let ratio = lib.0 / floor.0;
    row(
        "plugn::fire in-process, 60 plugins, 10 implement",
        lib,
        "<=1.2x floor",
        ratio <= 1.2,
    );
    println!(
        "{:<52} ratio  {ratio:>8.2}x",
        "  in-process trigger / floor"
    );
    let me = std::env::current_exe().expect("current exe");
    let floor_proc = measure(runs, || {
        let mut c = sb.command(&me);
        c.arg("--floor-loop").args(&implementers);
        run_quiet(&mut c)
    });
    row(
        "floor as a process: the same loop in its own process",
        floor_proc,
        "-",
        true,
    );
    let cli = measure(runs, || {
        run_quiet(sb.command(&plugn).args(["trigger", "bench-trigger", "app"]))
    });
    let ratio = cli.0 / floor_proc.0;
    row(
        "plugn trigger command, 60 plugins, 10 implement",
        cli,
        "<=1.2x floor",
        ratio <= 1.2,
    );
    println!(
        "{:<52} ratio  {ratio:>8.2}x",
        "  plugn trigger / floor as a process"
    );
    println!(
        "{:<52} ratio  {:>8.2}x",
        "  plugn trigger / in-process floor (incl. start-up)",
        cli.0 / floor.0
    );

    // (2) dokku config:get latency.
    run_quiet(sb.command(&dokku).args(["apps:create", "bench"]));
    run_quiet(
        sb.command(&dokku)
            .args(["config:set", "--no-restart", "bench", "KEY=value"]),
    );
    let get = measure(runs, || {
        run_quiet(sb.command(&dokku).args(["config:get", "bench", "KEY"]))
    });
    row("dokku config:get", get, "<5 ms", get.0 < 5.0);

    // (3) dokku apps:list with 1,000 apps (created by apps:create).
    let mut script = String::from("for i in $(seq 1 999); do dokku --quiet apps:create \"app-$i\" >/dev/null || exit 1; done\n");
    script.push_str("dokku --quiet apps:list | wc -l\n");
    let out = sb.bash(&script);
    assert_eq!(out.code, 0, "creating 1,000 apps failed: {}", out.stderr);
    assert_eq!(out.stdout.trim(), "1000", "expected 1,000 apps");
    let list = measure(runs, || run_quiet(sb.command(&dokku).args(["apps:list"])));
    row("dokku apps:list, 1,000 apps", list, "<50 ms", list.0 < 50.0);

    // (4) dokku help with 60 plugins (plus the core ones).
    let help = measure(runs, || run_quiet(sb.command(&dokku).arg("help")));
    row(
        "dokku help, 60 plugins + core",
        help,
        "<100 ms",
        help.0 < 100.0,
    );

    push_benchmark(runs.min(20));
    redeploy_benchmark(runs.min(10));
    scale::proxy_benchmark();
}

/// Runs of the swarm figures: `--runs N` when given, else 3 (each run costs seconds).
fn swarm_runs() -> usize {
    std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1)
}

/// Median, min and max (ms) of timed runs.
fn mmm(v: &[f64]) -> (f64, f64, f64) {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn row_mmm(name: &str, v: &[f64], target: &str) {
    let (med, min, max) = mmm(v);
    println!(
        "{name:<52} median {med:>8.0} ms   min {min:>8.0} ms   max {max:>8.0} ms   target {target}"
    );
}

/// GET / straight at `addr` (`IP:PORT`): a 200 with `body`, within 1 s.
fn answers(addr: &str, body: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(sa) = addr.parse::<std::net::SocketAddr>() else {
        return false;
    };
    let t = std::time::Duration::from_secs(1);
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&sa, t) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(t));
    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.") && buf.contains(" 200 ") && buf.contains(body)
}

/// Whether `n` listeners are recorded, none on `avoid` (an address prefix `IP:`), and each
/// answers 200 with `body` directly.
fn all_serving(sb: &Sandbox, app: &str, n: usize, body: &str, avoid: Option<&str>) -> bool {
    let l = listeners(sb, app);
    l.len() == n
        && !l.iter().any(|a| avoid.is_some_and(|p| a.starts_with(p)))
        && l.iter().all(|a| answers(a, body))
}

/// Polls `all_serving` until true (at most `secs`); panics with the listeners otherwise.
fn wait_serving(sb: &Sandbox, app: &str, n: usize, body: &str, avoid: Option<&str>, secs: u64) {
    let end = Instant::now() + std::time::Duration::from_secs(secs);
    while !all_serving(sb, app, n, body, avoid) {
        assert!(
            Instant::now() < end,
            "{app}: {n} replicas never all answered {body:?}: {:?}",
            listeners(sb, app)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// (8) Six web replicas: `git push` until all six answer at their own `NODE:PORT`, on a 3-host
/// swarm (scripts/test-cluster) against docker-local on this host; then the cut of a host
/// running web tasks (`scheduler-swarm:watch` running) until six replicas run again off it
/// and answer, healed before the next run.
fn swarm_benchmark(runs: usize) {
    use dokku_tests::cluster::Cluster;
    use dokku_tests::docker::web_dockerfile;
    let Some(c) = Cluster::up(3) else {
        println!("swarm: skipped (no test cluster here)");
        return;
    };
    let sb = Sandbox::with_git_http();
    sb.quick_deploys();
    join_unix(&sb, &c);
    registry_login(&sb, &c);
    let swarm_app = sb.unique_app("bsw");
    let local_app = sb.unique_app("blo");
    for (app, scheduler) in [(&swarm_app, "swarm"), (&local_app, "docker-local")] {
        sb.dokku(&["apps:create", app]).ok();
        sb.dokku(&["scheduler:set", app, "selected", scheduler])
            .ok();
        sb.dokku(&["ps:scale", "--skip-deploy", app, "web=6"]).ok();
    }
    let work = sb.work_tree("bench-swarm");
    // A first deploy of each (creates the services, puts the image on the nodes): not timed.
    let (mut swarm_push, mut local_push) = (Vec::new(), Vec::new());
    for i in 0..=runs {
        let body = format!("release-{i}");
        sb.commit(&work, &[("Dockerfile", &web_dockerfile(&body))], &body);
        for (app, times) in [(&swarm_app, &mut swarm_push), (&local_app, &mut local_push)] {
            let t = Instant::now();
            sb.git_push(&work, app, &["main"]).ok();
            wait_serving(&sb, app, 6, &body, None, 120);
            if i > 0 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let body = format!("release-{runs}");
    println!(
        "swarm benchmarks ({runs} runs each, median, min and max; 3 test hosts, 2-core machine)\n"
    );
    row_mmm(
        "docker-local, 6 replicas: push to all serving",
        &local_push,
        "-",
    );
    row_mmm(
        "swarm, 3 hosts, 6 replicas: push to all serving",
        &swarm_push,
        "-",
    );
    println!(
        "{:<52} ratio  {:>8.2}x",
        "  swarm / docker-local",
        mmm(&swarm_push).0 / mmm(&local_push).0
    );

    // The cut of a worker running web tasks, with the watcher rewriting the listeners.
    let mut watch = sb
        .command(sb.root.join("bin/dokku"))
        .args(["scheduler-swarm:watch", "--interval", "250"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("scheduler-swarm:watch");
    let (mut down, mut running, mut serving) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (d, r, s) = cut_once(&c, &sb, &swarm_app, &body);
        down.push(d);
        running.push(r);
        serving.push(s);
    }
    // Once more with Dokku's default uptime check (a task counts as healthy after
    // `default-wait`, 10 s): what an app without app.json healthchecks gets.
    sb.dokku(&["checks:set", &swarm_app, "default-wait", "10"])
        .ok();
    sb.dokku(&["ps:rebuild", &swarm_app]).ok();
    wait_serving(&sb, &swarm_app, 6, &body, None, 120);
    let (d10, r10, s10) = cut_once(&c, &sb, &swarm_app, &body);
    let _ = watch.kill();
    let _ = watch.wait();
    row_mmm(
        "swarm, cut of a host: 6 replicas running and serving",
        &serving,
        "-",
    );
    row_mmm("  of which: until Swarm marks the host down", &down, "-");
    row_mmm(
        "  of which: until Swarm runs 6 tasks (healthy)",
        &running,
        "-",
    );
    row_mmm(
        "swarm, the same with checks default-wait 10 s (1 run)",
        &[s10],
        "-",
    );
    row_mmm("  of which: until Swarm marks the host down", &[d10], "-");
    row_mmm(
        "  of which: until Swarm runs 6 tasks (healthy)",
        &[r10],
        "-",
    );
    for app in [&swarm_app, &local_app] {
        let _ = sb.dokku(&["--force", "apps:destroy", app]);
    }
}

/// (5) `git push` of a one-commit change until the builder is handed the revision, against a
/// plain `git push` of the same commit to a bare repository over the same sshd (the floor).
fn push_benchmark(runs: usize) {
    let sb = Sandbox::with_ssh();
    if !sb.plugin_path().join("enabled/git").exists() {
        println!("git push to builder hand-off: skipped (no git plugin)");
        return;
    }
    // A builder that returns at once: the figure is the push and the hand-off, not a build.
    sb.write_plugin(
        "bench-builder",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"b\"\nversion = \"1\"\n",
            ),
            ("builder-build", "#!/bin/sh\nexit 0\n"),
        ],
    );
    // The figure stops at the hand-off: no other builder, no release step after it.
    for p in [
        "ps",
        "builder-dockerfile",
        "builder-herokuish",
        "builder-null",
    ] {
        run_quiet(
            sb.command(sb.root.join("bin/dokku"))
                .args(["plugin:disable", p]),
        );
    }
    let (floor_ssh, floor_url) = plain_push_floor(&sb);
    let work = sb.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    run_quiet(git(&work).args(["init", "--quiet", "-b", "main"]));
    let admin_ssh = sb.ssh_command_with(&sb.root.join("id_ed25519"));
    let host = format!("ssh://{}@127.0.0.1:{}", sb.ssh_user(), sb.ssh_port());
    let app_url = format!("{host}/bench-app");
    let push = |ssh: &str, url: &str| {
        run_quiet(
            git(&work)
                .env("GIT_SSH_COMMAND", ssh)
                .args(["push", "--quiet", url, "main"]),
        )
    };
    let (mut app_times, mut floor_times) = (Vec::new(), Vec::new());
    for i in 0..runs + 2 {
        std::fs::write(work.join("file.txt"), format!("change {i}\n")).unwrap();
        run_quiet(git(&work).args(["add", "file.txt"]));
        run_quiet(git(&work).args(["commit", "--quiet", "-m", &format!("change {i}")]));
        let order: [bool; 2] = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for to_app in order {
            let t = Instant::now();
            if to_app {
                push(&admin_ssh, &app_url);
            } else {
                push(&floor_ssh, &floor_url);
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            // The first two rounds warm up (the first push also creates the app).
            if i >= 2 {
                if to_app {
                    app_times.push(ms)
                } else {
                    floor_times.push(ms)
                }
            }
        }
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
    };
    let floor = stats(&mut floor_times);
    let app = stats(&mut app_times);
    row(
        "floor: git push to a bare repo over the same sshd",
        floor,
        "-",
        true,
    );
    let ratio = app.0 / floor.0;
    row(
        "git push to dokku until builder hand-off",
        app,
        "<=1.3x floor",
        ratio <= 1.3,
    );
    println!("{:<52} ratio  {ratio:>8.2}x", "  push to hand-off / floor");
}

/// GET / from 127.0.0.1:port until it answers 200 with `body` (at most 10 s).
fn wait_for_body(port: u16, body: &str) {
    use std::io::{Read, Write};
    let start = Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(10) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.") && buf.contains(" 200 ") && buf.contains(body) {
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let ps = Command::new("docker")
        .args(["ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Ports}}"])
        .output()
        .unwrap();
    panic!(
        "127.0.0.1:{port} never answered {body:?}: {}",
        String::from_utf8_lossy(&ps.stdout)
    );
}

/// The recorded port of an app's web.1.
fn web_port(sb: &Sandbox, app: &str) -> u16 {
    std::fs::read_to_string(sb.dokku_root().join(app).join("PORT.web.1"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// (6) A redeploy of an unchanged Dockerfile app (cached layers), `git push` of an empty commit
/// until the new release answers, against the same `docker build`, `docker run` and one HTTP
/// check run by hand (the floor).
fn redeploy_benchmark(runs: usize) {
    let sb = Sandbox::with_ssh();
    sb.use_docker();
    let base = dokku_tests::docker::busybox_image();
    let app = sb.unique_app("bench");
    run_quiet(sb.command(sb.root.join("bin/dokku")).args([
        "checks:set",
        "--global",
        "default-wait",
        "0",
    ]));
    run_quiet(sb.command(sb.root.join("bin/dokku")).args([
        "checks:set",
        "--global",
        "wait-to-retire",
        "0",
    ]));
    let work = sb.work_tree("redeploy");
    let dockerfile = format!(
        "FROM {base}\nRUN mkdir -p /www && echo ready > /www/index.html\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n"
    );
    sb.commit(&work, &[("Dockerfile", &dockerfile)], "app");
    let admin_ssh = sb.ssh_command_with(&sb.root.join("id_ed25519"));
    let url = sb.push_url(&app);
    let push = || {
        run_quiet(git(&work).args(["commit", "--quiet", "--allow-empty", "-m", "again"]));
        run_quiet(
            git(&work)
                .env("GIT_SSH_COMMAND", &admin_ssh)
                .args(["push", "--quiet", &url, "main"]),
        );
        wait_for_body(web_port(&sb, &app), "ready");
    };
    // The transfer's floor (the issue's floor is this plus by-hand).
    let (floor_ssh, floor_url) = plain_push_floor(&sb);
    let git_floor = || {
        run_quiet(
            git(&work)
                .env("GIT_SSH_COMMAND", &floor_ssh)
                .args(["push", "--quiet", "--force", &floor_url, "main"]),
        )
    };
    let floor_tag = format!("{app}-floor:latest");
    let floor = || {
        run_quiet(
            Command::new("docker")
                .args(["build", "-q", "-t", &floor_tag])
                .arg(&work),
        );
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let out = Command::new("docker")
            .args([
                "run",
                "-d",
                "--label",
                &format!("com.dokku.app-name={app}"),
                "-e",
                "PORT=5000",
                "-p",
            ])
            .arg(format!("127.0.0.1:{port}:5000"))
            .arg(&floor_tag)
            .output()
            .unwrap();
        assert!(out.status.success());
        wait_for_body(port, "ready");
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // Removing the floor's container is not part of its figure.
        std::thread::spawn(move || {
            let _ = Command::new("docker").args(["rm", "-f", &id]).output();
        });
    };
    // The same pipeline started on the server (no ssh, no git transfer).
    let rebuild = || {
        run_quiet(
            sb.command(sb.root.join("bin/dokku"))
                .args(["ps:rebuild", &app]),
        );
        wait_for_body(web_port(&sb, &app), "ready");
    };
    let (mut app_times, mut rebuild_times, mut floor_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut push_floor_times = Vec::new();
    for i in 0..runs + 2 {
        let a = time_ms(push);
        let g = time_ms(git_floor);
        let r = time_ms(rebuild);
        let f = time_ms(floor);
        if i >= 2 {
            app_times.push(a);
            rebuild_times.push(r);
            floor_times.push(f);
            push_floor_times.push(g + f);
        }
    }
    let _ = Command::new("docker")
        .args(["rmi", "-f", &floor_tag])
        .output();
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
    };
    let floor = stats(&mut floor_times);
    let app_t = stats(&mut app_times);
    let rebuild_t = stats(&mut rebuild_times);
    row(
        "floor: docker build (cached) + run + one HTTP check",
        floor,
        "-",
        true,
    );
    let push_floor = stats(&mut push_floor_times);
    row(
        "floor: plain git push (same sshd) + the above",
        push_floor,
        "-",
        true,
    );
    let ratio = app_t.0 / push_floor.0;
    row(
        "redeploy: git push until the new release answers",
        app_t,
        "<=1.3x floor",
        ratio <= 1.3,
    );
    println!(
        "{:<52} ratio  {ratio:>8.2}x",
        "  by push / (plain push + by hand)"
    );
    let ratio = rebuild_t.0 / floor.0;
    row(
        "redeploy: ps:rebuild until the new release answers",
        rebuild_t,
        "<=1.3x floor",
        ratio <= 1.3,
    );
    println!("{:<52} ratio  {ratio:>8.2}x", "  on the server / floor");
}

/// (6b) A push of a 4-container app (`ps:scale web=4`, `parallel-schedule-count 4`) with an
/// app.json healthcheck on `/`, until all four answer, against the floor: the same `docker
/// build` (cached), 4 `docker run` and one HTTP check each, by hand.
fn deploy_benchmark(runs: usize) {
    let sb = Sandbox::with_ssh();
    sb.use_docker();
    let base = dokku_tests::docker::busybox_image();
    let app = sb.unique_app("bench4");
    let dokku = |args: &[&str]| run_quiet(sb.command(sb.root.join("bin/dokku")).args(args));
    dokku(&["apps:create", &app]);
    dokku(&["checks:set", &app, "wait-to-retire", "0"]);
    dokku(&["ps:scale", "--skip-deploy", &app, "web=4"]);
    dokku(&[
        "scheduler-docker-local:set",
        &app,
        "parallel-schedule-count",
        "4",
    ]);
    let work = sb.work_tree("deploy4");
    let dockerfile = format!(
        "FROM {base}\nRUN mkdir -p /www && echo ready > /www/index.html\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n"
    );
    let app_json =
        r#"{"healthchecks":{"web":[{"type":"startup","name":"root","path":"/","attempts":5}]}}"#;
    sb.commit(
        &work,
        &[("Dockerfile", &dockerfile), ("app.json", app_json)],
        "app",
    );
    let admin_ssh = sb.ssh_command_with(&sb.root.join("id_ed25519"));
    let url = sb.push_url(&app);
    let push = || {
        run_quiet(git(&work).args(["commit", "--quiet", "--allow-empty", "-m", "again"]));
        run_quiet(
            git(&work)
                .env("GIT_SSH_COMMAND", &admin_ssh)
                .args(["push", "--quiet", &url, "main"]),
        );
        for i in 1..=4 {
            wait_for_body(web_port_of(&sb, &app, i), "ready");
        }
    };
    let floor_tag = format!("{app}-floor:latest");
    let floor = || {
        run_quiet(
            Command::new("docker")
                .args(["build", "-q", "-t", &floor_tag])
                .arg(&work),
        );
        let mut started = Vec::new();
        for _ in 0..4 {
            let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
            let port = l.local_addr().unwrap().port();
            drop(l);
            let out = Command::new("docker")
                .args(["run", "-d", "--label"])
                .arg(format!("com.dokku.app-name={app}"))
                .args(["-e", "PORT=5000", "-p"])
                .arg(format!("127.0.0.1:{port}:5000"))
                .arg(&floor_tag)
                .output()
                .unwrap();
            assert!(out.status.success());
            started.push((
                port,
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            ));
        }
        for (port, _) in &started {
            wait_for_body(*port, "ready");
        }
        // Removing the floor's containers is not part of its figure.
        let ids: Vec<String> = started.into_iter().map(|(_, id)| id).collect();
        std::thread::spawn(move || {
            let _ = Command::new("docker")
                .args(["rm", "-f"])
                .args(&ids)
                .output();
        });
    };
    let (mut app_times, mut floor_times) = (Vec::new(), Vec::new());
    for i in 0..runs + 2 {
        let a = time_ms(push);
        let f = time_ms(floor);
        if i >= 2 {
            app_times.push(a);
            floor_times.push(f);
        }
    }
    let _ = Command::new("docker")
        .args(["rmi", "-f", &floor_tag])
        .output();
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
    };
    let floor = stats(&mut floor_times);
    let app_t = stats(&mut app_times);
    row(
        "floor: build (cached) + start 4 + one check each",
        floor,
        "-",
        true,
    );
    let ratio = app_t.0 / floor.0;
    row(
        "deploy: push of 4 web (healthcheck) until all serve",
        app_t,
        "<=1.3x floor",
        ratio <= 1.3,
    );
    println!(
        "{:<52} ratio  {ratio:>8.2}x",
        "  push to all serving / floor"
    );
}

/// The recorded port of an app's `web.N`.
fn web_port_of(sb: &Sandbox, app: &str, n: u32) -> u16 {
    std::fs::read_to_string(sb.dokku_root().join(app).join(format!("PORT.web.{n}")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Median and p90 (ms) of `runs` timed runs, without warm-ups.
fn measure_n(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut v: Vec<f64> = (0..runs).map(|_| time_ms(&mut f)).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
}

/// Cuts the worker running the most of `app`'s web tasks, waits until Swarm runs 6 off it and
/// all 6 answer `body` at their listeners, then heals it and waits for 3 ready nodes. The
/// times (ms) from the cut until: Swarm marks the host down, 6 tasks run, all 6 answer.
fn cut_once(
    c: &dokku_tests::cluster::Cluster,
    sb: &Sandbox,
    app: &str,
    body: &str,
) -> (f64, f64, f64) {
    let svc = format!("{app}_web");
    let nodes = c.nodes().to_vec();
    let on: Vec<String> = tasks(c, &svc).into_iter().map(|(n, _)| n).collect();
    let victim = nodes[1..]
        .iter()
        .filter(|n| on.contains(&n.name))
        .max_by_key(|n| on.iter().filter(|o| **o == n.name).count())
        .expect("a web task off the manager")
        .clone();
    let avoid = format!("{}:", victim.address);
    let t = Instant::now();
    c.cut(&victim.name);
    let (mut t_down, mut t_running) = (None, None);
    let end = Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if t_down.is_none()
            && mgr(
                c,
                &[
                    "node",
                    "inspect",
                    "--format",
                    "{{.Status.State}}",
                    &victim.name,
                ],
            ) == "down"
        {
            t_down = Some(t.elapsed());
        }
        if t_running.is_none() {
            let ts = tasks(c, &svc);
            let good = ts
                .iter()
                .filter(|(n, s)| *n != victim.name && s == "running")
                .count();
            if good >= 6 {
                t_running = Some(t.elapsed());
            }
        }
        if t_running.is_some() && all_serving(sb, app, 6, body, Some(&avoid)) {
            break;
        }
        assert!(
            Instant::now() < end,
            "not all 6 replicas back after the cut of {}: {:?}",
            victim.name,
            tasks(c, &svc)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let serving = t.elapsed().as_secs_f64() * 1000.0;
    let ms = |d: Option<std::time::Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    c.heal(&victim.name);
    let end = Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let ready = mgr(c, &["node", "ls", "--format", "{{.Status}}"]);
        if ready.lines().filter(|l| *l == "Ready").count() == 3 {
            break;
        }
        assert!(Instant::now() < end, "the cluster is not whole: {ready}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    (ms(t_down), ms(t_running), serving)
}

/// The floor of a push: a key without the forced command, allowed on the install's sshd, and a
/// plain bare repository to push the same commits to; returns its `GIT_SSH_COMMAND` and URL.
fn plain_push_floor(sb: &Sandbox) -> (String, String) {
    let floor_key = sb.new_key("floor");
    let pubkey = std::fs::read_to_string(format!("{}.pub", floor_key.display())).unwrap();
    let ak = sb.dokku_root().join(".ssh/authorized_keys");
    let mut text = std::fs::read_to_string(&ak).unwrap();
    text.push_str(&pubkey);
    std::fs::write(&ak, text).unwrap();
    let floor_repo = sb.dir.path().join("floor.git");
    run_quiet(
        Command::new("git")
            .args(["init", "--bare", "--quiet"])
            .arg(&floor_repo),
    );
    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        sb.ssh_user(),
        sb.ssh_port(),
        floor_repo.display()
    );
    (sb.ssh_command_with(&floor_key), url)
}

/// How long `f` takes, in milliseconds.
fn time_ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1000.0
}
