//! The 1,000-app, memory and throughput figures of `scripts/bench` (`--only proxy`, `--only
//! memory`): `proxy:build-config --all` against writing the same files and one `nginx -t`,
//! `dokku report` for every app, the resident memory of dokku's processes and of nginx with
//! 1,000 configs, and requests per second through nginx (with `proxy-keepalive`) against the
//! container's own port at 8 and 64 connections; and `ps:restore` of a few deployed apps
//! after a reboot against a plain loop of `docker start`.

use super::{measure_n, row, run_quiet, wait_for_body, web_port};
use dokku_tests::Sandbox;
use std::process::Command;

/// Apps of the 1,000-app figures.
const APPS: usize = 1000;

/// `wrk` with `conns` connections for `secs` seconds against 127.0.0.1:port; requests/s.
fn wrk(port: u16, host: &str, conns: u32, secs: u32) -> f64 {
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{conns}"), &format!("-d{secs}s"), "-H"])
        .arg(format!("Host: {host}"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wrk figure: {text}"))
}

/// Resident memory (kB) of a process, 0 when it is gone.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The processes whose command line names `needle`, as (pid, first word).
fn processes_naming(needle: &str) -> Vec<(u32, String)> {
    let me = std::process::id();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(needle)
                .then(|| (pid, cmd.split(' ').next().unwrap_or("").to_string()))
        })
        .collect()
}

/// The parent pid of a process.
fn ppid(pid: u32) -> Option<u32> {
    let st = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    st[st.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// The nginx of the sandbox: its master (whose command line names the sandbox) and the
/// master's workers; how many and their resident memory (kB) in total.
fn nginx_rss(sb: &Sandbox) -> (usize, u64) {
    let masters: Vec<u32> = processes_naming(&sb.root.display().to_string())
        .into_iter()
        .filter(|(_, c)| c.contains("nginx"))
        .map(|(p, _)| p)
        .collect();
    let mut all = masters.clone();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        all.extend(
            rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter(|p| ppid(*p).is_some_and(|pp| masters.contains(&pp))),
        );
    }
    (all.len(), all.iter().map(|p| rss_kb(*p)).sum())
}

/// The pid of the sandbox's git http responder (the git plugin's FastCGI service beside
/// nginx: a server meant to stay resident, like nginx).
fn git_http_responder(sb: &Sandbox) -> Option<u32> {
    std::fs::read_to_string(sb.root.join("nginx/git-http.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The dokku processes of the sandbox (anything started from its root but nginx and the git
/// http responder, which are services).
fn dokku_processes(sb: &Sandbox) -> Vec<(u32, String)> {
    let responder = git_http_responder(sb);
    processes_naming(&sb.root.display().to_string())
        .into_iter()
        .filter(|(p, c)| !c.contains("nginx") && Some(*p) != responder)
        .collect()
}

/// The 1,000 apps, each with a recorded web listener (a closed port: only the config matters).
fn thousand_apps(sb: &Sandbox) -> Vec<String> {
    let dokku = |args: &[&str]| run_quiet(sb.command(sb.root.join("bin/dokku")).args(args));
    let apps: Vec<String> = (0..APPS).map(|i| format!("app{i:04}")).collect();
    for app in &apps {
        dokku(&["--quiet", "apps:create", app]);
        std::fs::write(sb.dokku_root().join(app).join("PORT.web.1"), "9\n").unwrap();
        std::fs::write(sb.dokku_root().join(app).join("IP.web.1"), "127.0.0.1\n").unwrap();
    }
    apps
}

/// (7) `proxy:build-config --all` for 1,000 apps against its floor, `dokku report` for every
/// app, nginx's memory with 1,000 configs, and the throughput through nginx.
pub fn proxy_benchmark() {
    let sb = Sandbox::with_nginx();
    sb.use_docker();
    let dokku = |args: &[&str]| run_quiet(sb.command(sb.root.join("bin/dokku")).args(args));
    let apps = thousand_apps(&sb);
    let confs: Vec<std::path::PathBuf> = apps
        .iter()
        .map(|a| sb.dokku_root().join(a).join("nginx.conf"))
        .collect();
    let clear = || {
        for c in &confs {
            let _ = std::fs::remove_file(c);
        }
    };
    // Each run generates all 1,000 configs (the previous run's are removed first).
    let build = measure_n(5, || {
        clear();
        dokku(&["--quiet", "proxy:build-config", "--all"])
    });
    // The floor: the same 1,000 files written and one `nginx -t`.
    let texts: Vec<Vec<u8>> = confs.iter().map(|c| std::fs::read(c).unwrap()).collect();
    // Where the sandbox's nginx is (its global nginx-conf and nginx-prefix settings).
    let global = |key: &str| {
        let f = sb.lib_root().join("config/nginx/--global").join(key);
        std::fs::read_to_string(f).unwrap().trim().to_string()
    };
    let (conf, prefix) = (global("nginx-conf"), global("nginx-prefix"));
    let floor = measure_n(5, || {
        clear();
        for (c, t) in confs.iter().zip(&texts) {
            std::fs::write(c, t).unwrap();
        }
        run_quiet(Command::new("/usr/sbin/nginx").args(["-t", "-q", "-c", &conf, "-p", &prefix]));
    });
    row(
        "floor: 1,000 config files written + one nginx -t",
        floor,
        "-",
        true,
    );
    row(
        "proxy:build-config --all, 1,000 apps (+1 reload)",
        build,
        "<1000 ms",
        build.0 < 1000.0,
    );
    println!(
        "{:<52} ratio  {:>8.2}x",
        "  build-config --all / floor",
        build.0 / floor.0
    );
    let report = measure_n(3, || dokku(&["report"]));
    row(
        "dokku report, 1,000 apps",
        report,
        "<2000 ms",
        report.0 < 2000.0,
    );
    // nginx's memory with 1,000 app configs (master and workers).
    let (n, kb) = nginx_rss(&sb);
    println!(
        "{:<52} {:>8.1} MB   ({n} processes)",
        "memory: nginx with 1,000 app configs (RSS)",
        kb as f64 / 1024.0
    );
    clear();
    throughput(&sb);
    restore_benchmark();
}

/// Requests per second through nginx (`proxy-keepalive` on) against straight to the
/// container's port, at 8 and 64 connections; the resident memory of dokku's processes during
/// the deploy and once it is over.
fn throughput(sb: &Sandbox) {
    let dokku = |args: &[&str]| run_quiet(sb.command(sb.root.join("bin/dokku")).args(args));
    let base = dokku_tests::docker::busybox_image();
    let app = sb.unique_app("rps");
    dokku(&["checks:set", "--global", "default-wait", "0"]);

    let work = sb.work_tree("rps");
    let dockerfile = format!(
        "FROM {base}\nRUN mkdir -p /www && echo ready > /www/index.html\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n"
    );
    sb.commit(&work, &[("Dockerfile", &dockerfile)], "app");
    dokku(&["apps:create", &app]);
    dokku(&["nginx:set", &app, "proxy-keepalive", "32"]);
    // The deploy, with the dokku processes' resident memory sampled every 10 ms.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (peak_kb, peak_n) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let (mut peak, mut most) = (0u64, 0usize);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let procs = dokku_processes(sb);
                peak = peak.max(procs.iter().map(|(p, _)| rss_kb(*p)).sum());
                most = most.max(procs.len());
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            (peak, most)
        });
        dokku(&[
            "git:sync",
            "--build",
            &app,
            &work.display().to_string(),
            "main",
        ]);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        sampler.join().unwrap()
    });
    println!(
        "{:<52} {:>8.1} MB   (at most {peak_n} processes at once)",
        "memory: dokku processes during a deploy (peak RSS)",
        peak_kb as f64 / 1024.0
    );
    let idle = dokku_processes(sb);
    println!(
        "{:<52} {:>8} processes {:>6.1} MB   target 0  {}",
        "memory: dokku processes left once idle",
        idle.len(),
        idle.iter().map(|(p, _)| rss_kb(*p)).sum::<u64>() as f64 / 1024.0,
        if idle.is_empty() { "met" } else { "MISSED" }
    );
    if let Some(pid) = git_http_responder(sb) {
        println!(
            "{:<52} {:>8.1} MB   (a service, resident like nginx)",
            "memory: git http responder (RSS)",
            rss_kb(pid) as f64 / 1024.0
        );
    }
    let direct_port = web_port(sb, &app);
    wait_for_body(direct_port, "ready");
    let host = format!("{app}.dokku.localhost");
    for conns in [8, 64] {
        let direct = wrk(direct_port, "x", conns, 5);
        let proxied = wrk(sb.http_port(), &host, conns, 5);
        println!(
            "{:<52} {direct:>10.0} req/s",
            format!("floor: straight to the container's port ({conns} conns)")
        );
        let cost = 1.0 - proxied / direct;
        println!(
            "{:<52} {proxied:>10.0} req/s   proxy cost {:>5.1}%   target <20%  {}",
            format!("through nginx, proxy-keepalive 32 ({conns} conns)"),
            cost * 100.0,
            if cost < 0.2 { "met" } else { "MISSED" }
        );
    }
}

/// Apps of the `ps:restore` figure (each deployed once: small enough to fit the run).
const RESTORE_APPS: usize = 20;

/// The ids of an app's containers.
fn container_ids(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// (8) `ps:restore` of `RESTORE_APPS` deployed apps whose containers were stopped (a reboot:
/// containers there, not started) until every app answers, against its floor: a plain loop of
/// `docker start`, one container after another, until every app answers. Medians of 3.
pub fn restore_benchmark() {
    let sb = Sandbox::with_nginx();
    sb.use_docker();
    let dokku = |args: &[&str]| run_quiet(sb.command(sb.root.join("bin/dokku")).args(args));
    let base = dokku_tests::docker::busybox_image();
    dokku(&["checks:set", "--global", "default-wait", "0"]);
    dokku(&["checks:set", "--global", "wait-to-retire", "0"]);
    let work = sb.work_tree("restore");
    let dockerfile = format!(
        "FROM {base}\nRUN mkdir -p /www && echo up > /www/index.html\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n"
    );
    sb.commit(&work, &[("Dockerfile", &dockerfile)], "app");
    let apps: Vec<String> = (0..RESTORE_APPS)
        .map(|i| sb.unique_app(&format!("rs{i:02}")))
        .collect();
    for app in &apps {
        dokku(&["--quiet", "apps:create", app]);
        let src = work.display().to_string();
        dokku(&["--quiet", "git:sync", "--build", app, &src, "main"]);
    }
    let ports: Vec<u16> = apps.iter().map(|a| web_port(&sb, a)).collect();
    let ids: Vec<String> = apps.iter().flat_map(|a| container_ids(a)).collect();
    let all_answer = || {
        for p in &ports {
            wait_for_body(*p, "up");
        }
    };
    let reboot = || run_quiet(Command::new("docker").args(["stop", "-t", "1"]).args(&ids));
    let timed = |f: &dyn Fn()| -> f64 {
        let mut v: Vec<f64> = (0..3)
            .map(|_| {
                reboot();
                let t = std::time::Instant::now();
                f();
                all_answer();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[1]
    };
    let floor = timed(&|| {
        for id in &ids {
            run_quiet(Command::new("docker").args(["start", id]));
        }
    });
    let restore = timed(&|| dokku(&["--quiet", "ps:restore"]));
    println!(
        "{:<52} median {floor:>8.0} ms",
        format!("floor: docker start loop, {RESTORE_APPS} apps' containers")
    );
    let ratio = restore / floor;
    println!(
        "{:<52} median {restore:>8.0} ms   ratio {ratio:>5.2}x   target <=1.2x  {}",
        format!("ps:restore, {RESTORE_APPS} apps, until all answer"),
        if ratio <= 1.2 { "met" } else { "MISSED" }
    );
}
