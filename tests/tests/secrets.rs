//! Secrets and private files: an app's config values never appear on any process's command
//! line during a deploy (with app.json predeploy/postdeploy), a `run` and a `run:detached`,
//! yet reach the containers intact (multi-line values too); the events log and `--trace`
//! record `KEY=<redacted>` and URLs without their password, and the log is 0640; build
//! folders are 0700; temp files and folders left by a killed process are swept.

use dokku_tests::Sandbox;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A random hex string (from /dev/urandom), unique to one test run.
fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").unwrap(), &mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What a [`CmdlineWatch`] saw.
struct Watched {
    /// Full passes over /proc.
    passes: usize,
    /// Command lines read.
    cmdlines: usize,
    /// Command lines holding a needle.
    hits: Vec<String>,
}

/// A thread reading every process's `/proc/PID/cmdline` every 2 ms, looking for needles.
struct CmdlineWatch {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Watched>,
}

impl CmdlineWatch {
    fn start(needles: Vec<String>) -> CmdlineWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut w = Watched {
                passes: 0,
                cmdlines: 0,
                hits: Vec::new(),
            };
            while !s.load(Ordering::Relaxed) {
                for e in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
                    let name = e.file_name();
                    if !name
                        .to_str()
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                    {
                        continue;
                    }
                    let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
                        continue;
                    };
                    w.cmdlines += 1;
                    let text = String::from_utf8_lossy(&cmd);
                    if needles.iter().any(|n| text.contains(n.as_str())) {
                        w.hits.push(text.replace('\0', " "));
                    }
                }
                w.passes += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            w
        });
        CmdlineWatch { stop, handle }
    }

    fn finish(self) -> Watched {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

#[test]
fn config_values_never_reach_a_command_line_yet_reach_the_containers() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("sec");
    let secret = format!("sv{}", random_hex(12));
    let (l1, l2) = (
        format!("ml{}", random_hex(8)),
        format!("ml{}", random_hex(8)),
    );
    let multi = format!("{l1}\n{l2}");
    sb.dokku(&["apps:create", &app]).ok();
    // Set before the watch starts: the operator's own command line is theirs.
    sb.dokku(&[
        "config:set",
        "--no-restart",
        &app,
        &format!("SECRET={secret}"),
        &format!("MULTI={multi}"),
    ])
    .ok();

    let watch = CmdlineWatch::start(vec![secret.clone(), l1.clone(), l2.clone()]);
    let json = r#"{"scripts":{"dokku":{"predeploy":"echo \"pre:$SECRET\"","postdeploy":"echo \"post:$SECRET\""}}}"#;
    let deploy = sb.deploy_source(
        &app,
        &[
            ("Dockerfile", &dokku_tests::docker::web_dockerfile("ok")),
            ("app.json", json),
        ],
    );
    let run = sb.dokku(&[
        "run",
        &app,
        "sh",
        "-c",
        "printf '%s|%s' \"$SECRET\" \"$MULTI\"",
    ]);
    let detached = sb.dokku(&["run:detached", &app, "sh", "-c", "echo \"$SECRET\""]);
    let seen = watch.finish();
    eprintln!(
        "watched {} passes over /proc, {} command lines",
        seen.passes, seen.cmdlines
    );
    let deploy = deploy.ok();
    assert!(
        seen.hits.is_empty(),
        "a config value on a command line: {:#?}",
        seen.hits
    );
    assert!(seen.passes > 20, "the watch ran {} passes", seen.passes);

    // The containers have the values, the multi-line one intact.
    assert!(
        deploy.stdout.contains(&format!("pre:{secret}")),
        "{deploy:#?}"
    );
    assert!(
        deploy.stdout.contains(&format!("post:{secret}")),
        "{deploy:#?}"
    );
    let run = run.ok();
    assert_eq!(run.stdout, format!("{secret}|{multi}"), "{run:#?}");
    detached.ok();
    let env = std::process::Command::new("docker")
        .args(["inspect", "--format", "{{json .Config.Env}}"])
        .arg(format!("{app}.web.1"))
        .output()
        .unwrap();
    let env = String::from_utf8_lossy(&env.stdout);
    assert!(env.contains(&format!("\"SECRET={secret}\"")), "{env}");
    assert!(env.contains(&format!("\"MULTI={l1}\\n{l2}\"")), "{env}");
}

#[test]
fn events_and_trace_record_keys_never_values_nor_url_passwords() {
    let sb = Sandbox::with_ssh();
    sb.dokku(&["events:on"]).ok();
    let log_path = sb.logs_dir().join("events.log");
    // A log left world-readable by an older version is made private again.
    std::fs::write(&log_path, "").unwrap();
    std::fs::set_permissions(&log_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let app = "secrets";
    sb.dokku(&["apps:create", app]).ok();
    let (local, over_ssh, traced, spaced, pw) = (
        format!("lv{}", random_hex(10)),
        format!("sv{}", random_hex(10)),
        format!("tv{}", random_hex(10)),
        format!("wv{}", random_hex(10)),
        format!("pw{}", random_hex(10)),
    );
    sb.dokku(&[
        "config:set",
        "--no-restart",
        app,
        &format!("LOCAL_SECRET={local}"),
    ])
    .ok();
    sb.ssh(&format!(
        "config:set --no-restart {app} SSH_SECRET={over_ssh} 'SPACED=a {spaced} b'"
    ))
    .ok();
    let url = format!("https://deployer:{pw}@127.0.0.1:9/app.tar");
    sb.ssh(&format!("git:from-archive {app} {url}")).fails();
    let trace = sb.dokku(&[
        "--trace",
        "config:set",
        "--no-restart",
        app,
        &format!("TRACE_SECRET={traced}"),
    ]);
    let trace = trace.ok();
    let trace_url = sb.dokku(&["--trace", "git:from-archive", app, &url]);

    let log = std::fs::read_to_string(&log_path).unwrap();
    for value in [&local, &over_ssh, &traced, &spaced, &pw] {
        assert!(
            !log.contains(value.as_str()),
            "{value} in the events log:\n{log}"
        );
    }
    assert!(log.contains("SSH_SECRET=<redacted>"), "{log}");
    assert!(log.contains("SPACED=<redacted>"), "{log}");
    assert!(log.contains("LOCAL_SECRET"), "{log}");
    assert!(
        log.contains("https://<redacted>@127.0.0.1:9/app.tar"),
        "{log}"
    );
    let mode = std::fs::metadata(&log_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "events.log mode {mode:o}");

    let traced_lines: Vec<&str> = trace
        .stderr
        .lines()
        .chain(trace_url.stderr.lines())
        .filter(|l| l.starts_with("+ "))
        .collect();
    assert!(!traced_lines.is_empty(), "{trace:#?}");
    for l in &traced_lines {
        assert!(
            !l.contains(traced.as_str()) && !l.contains(pw.as_str()),
            "{l}"
        );
    }
    assert!(
        traced_lines
            .iter()
            .any(|l| l.contains("TRACE_SECRET=<redacted>")),
        "{traced_lines:#?}"
    );
    assert!(
        traced_lines
            .iter()
            .any(|l| l.contains("https://<redacted>@127.0.0.1:9/app.tar")),
        "{traced_lines:#?}"
    );
}

/// Sets the modification time of `p` (a file or a folder) an hour back.
fn age(p: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::open(p).unwrap().set_modified(old).unwrap();
}

/// A PID that no process has: a child that has been waited for.
fn gone_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    c.wait().unwrap();
    c.id()
}

#[test]
fn build_folders_are_private_and_stale_temp_files_are_swept() {
    let sb = Sandbox::new();
    sb.use_fx_builder();
    let tmp = sb.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let record = sb.dir.path().join("build-dir-modes");
    sb.write_plugin(
        "fx-build-dir",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"records the build folder's mode\"\nversion = \"0.1.0\"\n",
            ),
            (
                "post-extract",
                &format!(
                    "#!/bin/sh\nstat -c '%a %n' \"$2\" >> {}\n",
                    record.display()
                ),
            ),
        ],
    );
    let app = "tmpmodes";
    sb.dokku(&["apps:create", app]).ok();

    // Left by killed processes (a gone PID, an hour old), and one of a live process.
    let dead = gone_pid();
    let me = std::process::id();
    let stale_build = tmp.join(format!("dokku-{app}-build-{dead}-aB3dEf"));
    let live_build = tmp.join(format!("dokku-{app}-build-{me}-aB3dEf"));
    for d in [&stale_build, &live_build] {
        std::fs::create_dir(d).unwrap();
        std::fs::write(d.join("source"), "x").unwrap();
        age(d);
    }
    // The folder config:set writes the app's ENV into (Dokku 0.38's place).
    let app_dir = sb.lib_root().join("config").join(app);
    std::fs::create_dir_all(&app_dir).unwrap();
    let stale_tmp = app_dir.join(format!(".tmp-{dead}-Zz9Yy8"));
    let live_tmp = app_dir.join(format!(".tmp-{me}-Zz9Yy8"));
    let fresh_tmp = app_dir.join(format!(".tmp-{dead}-Qq1Ww2"));
    for f in [&stale_tmp, &live_tmp, &fresh_tmp] {
        std::fs::write(f, "x").unwrap();
    }
    age(&stale_tmp);
    age(&live_tmp);

    let src = sb.work_tree("src");
    sb.commit(&src, &[("README", "hello")], "one");
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.env("TMPDIR", &tmp)
        .args(["git:sync", "--build", app])
        .arg(&src)
        .arg("main");
    sb.run(c, b"").ok();
    let modes = std::fs::read_to_string(&record).unwrap();
    let line = modes.lines().next().unwrap();
    assert!(line.starts_with("700 "), "build folder: {line}");
    assert!(
        line.contains(&format!("/dokku-{app}-build-")),
        "build folder: {line}"
    );
    assert!(!stale_build.exists(), "a stale build folder was kept");
    assert!(
        live_build.exists(),
        "a live process's build folder was swept"
    );

    sb.dokku(&["config:set", "--no-restart", app, "A=1"]).ok();
    assert!(!stale_tmp.exists(), "a stale temp file was kept");
    assert!(live_tmp.exists(), "a live process's temp file was swept");
    assert!(
        fresh_tmp.exists(),
        "a temp file younger than a minute was swept"
    );
}

#[test]
fn the_shell_events_helper_redacts_and_keeps_the_log_private() {
    let sb = Sandbox::new();
    let (value, pw) = (
        format!("bv{}", random_hex(10)),
        format!("pw{}", random_hex(10)),
    );
    sb.bash(&format!(
        "set -euo pipefail\n. \"$PLUGIN_CORE_AVAILABLE_PATH/common/functions\"\n\
         dokku_log_plugn_trigger user-auth admin config:set app 'SHELL_SECRET={value} x' \
         'https://u:{pw}@127.0.0.1/x.tar' plain"
    ))
    .ok();
    let path = sb.logs_dir().join("events.log");
    let log = std::fs::read_to_string(&path).unwrap();
    assert!(!log.contains(&value) && !log.contains(&pw), "{log}");
    assert!(
        log.contains(
            "user-auth( admin config:set app SHELL_SECRET=<redacted> https://<redacted>@127.0.0.1/x.tar plain )"
        ),
        "{log}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "events.log mode {mode:o}");
}

/// Every process's command line, joined with spaces.
fn all_cmdlines() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .collect()
}

#[test]
fn config_set_over_ssh_keeps_the_value_off_every_command_line() {
    let sb = Sandbox::with_ssh();
    let app = "private-args";
    sb.dokku(&["apps:create", app]).ok();
    let value = format!("pa{}", random_hex(10));
    let marker = format!("PRIVATE_{}", random_hex(4).to_uppercase());
    // Hold the app's config lock, so the command waits, in plain view of `ps`, until released.
    // A user-auth plugin sees the command's words, the value redacted.
    let seen = sb.dokku_root().join("user-auth-args");
    sb.write_plugin(
        "auth-recorder",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"records user-auth\"\n",
            ),
            (
                "user-auth",
                &format!("#!/bin/sh\necho \"$*\" >> '{}'\n", seen.display()),
            ),
        ],
    );
    let env = sb.lib_root().join("config").join(app).join("ENV");
    // The app's config folder exists once it has config; the lock file sits in it.
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    let lock = plugn::atomic::lock(&env).unwrap();
    // This sandbox's config:set subcommand (other tests may run their own meanwhile).
    let subcommand = format!("{}/", sb.lib_root().display());
    std::thread::scope(|s| {
        let pushed = s.spawn(|| sb.ssh(&format!("config:set --no-restart {app} {marker}={value}")));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        // The subcommand is running (and waiting on the lock) once its process shows.
        let waiting = loop {
            let lines = all_cmdlines();
            if lines
                .iter()
                .any(|l| l.starts_with(&subcommand) && l.contains("/config/subcommands/set "))
            {
                break lines;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "config:set never started"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        std::thread::sleep(Duration::from_millis(200));
        let later = all_cmdlines();
        // The ssh client's own command line is the operator's, on the operator's machine.
        let server_side = |l: &&String| !l.starts_with("ssh ");
        for line in waiting.iter().chain(later.iter()).filter(server_side) {
            assert!(
                !line.contains(&value),
                "the value is on a command line: {line}"
            );
            assert!(
                !line.contains(&marker),
                "the pair is on a command line: {line}"
            );
        }
        drop(lock);
        pushed.join().unwrap().ok();
    });
    assert_eq!(sb.config_get(app, &marker), value);
    let seen = std::fs::read_to_string(seen).unwrap();
    assert!(
        seen.contains(&format!(
            "config:set --no-restart {app} {marker}=<redacted>"
        )),
        "{seen}"
    );
    assert!(!seen.contains(&value), "{seen}");
}
