//! Dokku parity of the help entry points (`dokku PLUGIN`, `dokku PLUGIN --help|-h`,
//! `dokku PLUGIN:help` for every plugin, Dokku's plugin descriptions in `dokku help`) and of
//! the system install as Dokku's package lays it out (logrotate, rsyslog, log folder modes,
//! plugin ownership restored by `plugin:install`).

use dokku_tests::{fixture, repo, Sandbox};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// Every plugin's command prefix and its description as Dokku's `dokku help` words it
/// (caddy and redis are bash plugins: their own wording).
const PLUGINS: &[(&str, &str)] = &[
    ("app-json", "Manage app-json settings for an app"),
    ("apps", "Manage apps"),
    ("builder", "Manage builder settings for an app"),
    (
        "builder-dockerfile",
        "Manage the dockerfile builder integration for an app",
    ),
    (
        "builder-herokuish",
        "Manage the herokuish builder integration for an app",
    ),
    ("builder-null", "No-op builder plugin"),
    ("buildpacks", "Manage buildpack settings for an app"),
    ("builds", "Manage running and historical builds"),
    ("certs", "Manage SSL (TLS) certs"),
    ("checks", "Manage zero-downtime settings"),
    ("config", "Manage global and app-specific config vars"),
    ("cron", "Manage scheduled cron tasks"),
    ("docker-options", "Manage docker options for an app"),
    ("domains", "Manage domains used by the proxy"),
    ("enter", "Enter running app containers"),
    ("events", "Manage event logging"),
    ("git", "Manage app deploys via git"),
    ("logs", "Manage log integration for an app"),
    ("network", "Manage network settings for an app"),
    ("nginx", "Manage the nginx proxy"),
    ("plugin", "Manage installed plugins"),
    ("ports", "Manage ports for an app"),
    ("proxy", "Manage the proxy integration for an app"),
    ("ps", "Manage app processes"),
    ("registry", "Manage registry settings for an app"),
    ("repo", "Manage the app's repo"),
    ("resource", "Manage resource settings for an app"),
    ("run", "Run a one-off process inside a container"),
    ("scheduler", "Manage scheduler settings for an app"),
    (
        "scheduler-docker-local",
        "Manage the docker-local scheduler integration for an app",
    ),
    (
        "scheduler-swarm",
        "Manage the swarm scheduler integration for an app",
    ),
    ("ssh-keys", "Manage public ssh keys used for deployment"),
    ("storage", "Manage mounted volumes"),
    ("caddy", ""),
    ("redis", ""),
];

/// Bare commands that are real commands in Dokku 0.38 (not the plugin's help).
const REAL_BARE: &[&str] = &["apps", "config", "enter", "events", "logs", "run"];

/// A sandbox with the plugins that ship disabled (nginx-vhosts, caddy-vhosts, redis) enabled.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    for p in ["nginx-vhosts", "caddy-vhosts", "redis"] {
        sb.dokku(&["plugin:enable", p]).ok();
    }
    sb
}

#[test]
fn every_plugin_answers_help_at_each_entry_point() {
    let sb = sandbox();
    std::thread::scope(|s| {
        for (prefix, desc) in PLUGINS {
            let sb = &sb;
            s.spawn(move || {
                let head = format!("Usage: dokku {prefix}[:COMMAND]\n\n");
                let mut forms: Vec<Vec<String>> = vec![
                    vec![format!("{prefix}:help")],
                    vec![prefix.to_string(), "--help".into()],
                    vec![prefix.to_string(), "-h".into()],
                ];
                if !REAL_BARE.contains(prefix) {
                    forms.push(vec![prefix.to_string()]);
                    forms.push(vec![prefix.to_string(), "some-app".into()]);
                }
                for form in forms {
                    let args: Vec<&str> = form.iter().map(String::as_str).collect();
                    let out = sb.dokku(&args).ok();
                    assert!(
                        out.stdout.starts_with(&head),
                        "dokku {}: {out:#?}",
                        form.join(" ")
                    );
                    assert!(
                        out.stdout.contains("\nAdditional commands:\n"),
                        "dokku {}: {out:#?}",
                        form.join(" ")
                    );
                    if !desc.is_empty() {
                        assert!(
                            out.stdout[head.len()..].starts_with(&format!("{desc}\n")),
                            "dokku {}: {out:#?}",
                            form.join(" ")
                        );
                    }
                    assert_eq!(out.stderr, "", "dokku {}", form.join(" "));
                }
            });
        }
    });
    // The real bare commands stay commands.
    sb.dokku(&["apps"]).ok().out_has("=====> My Apps");
    sb.dokku(&["config"])
        .fails()
        .err_has("Please specify an app or --global");
    sb.dokku(&["config", "--global"]).ok();
    sb.dokku(&["logs"]).fails().err_has("Please specify an app");
    // A command's own --help is still its usage.
    sb.dokku(&["ps:scale", "--help"])
        .ok()
        .out_has("Usage: dokku ps:scale");
    // Not a plugin: still not a command.
    sb.dokku(&["nosuchplugin", "--help"])
        .fails()
        .err_has("is not a dokku command");
}

#[test]
fn dokku_help_words_each_plugin_as_dokku_does() {
    let sb = sandbox();
    let out = sb.dokku(&["help"]).ok();
    for (prefix, desc) in PLUGINS.iter().filter(|(_, d)| !d.is_empty()) {
        let found = out.stdout.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with("  ") && rest.trim() == *desc)
        });
        assert!(found, "{prefix}: {desc:?} not in\n{}", out.stdout);
    }
}

/// `ls -ld`-style facts of a path: (mode & 0o7777, uid, gid).
fn owner_mode(p: &Path) -> (u32, u32, u32) {
    let m = fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.mode() & 0o7777, m.uid(), m.gid())
}

#[allow(unsafe_code)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The gid of group `name` (from `getent group`), if there is one.
fn gid_of(name: &str) -> Option<u32> {
    let out = Command::new("getent").args(["group", name]).output().ok()?;
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.trim().split(':').nth(2)?.parse().ok()
}

/// The uid of user `name` (from `id -u`), if there is one.
fn uid_of(name: &str) -> Option<u32> {
    let out = Command::new("id").args(["-u", name]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// `scripts/install --system-files DIR`.
fn system_files(dir: &Path) {
    let out = Command::new(repo().join("scripts/install"))
        .arg("--system-files")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn system_files_are_laid_out_as_dokkus_package_does_and_rewritten_idempotently() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    system_files(&dest);
    let etc = dest.join("etc");
    let group = if gid_of("adm").is_some() {
        "adm"
    } else {
        "dokku"
    };
    let rotate = fs::read_to_string(etc.join("logrotate.d/dokku")).unwrap();
    for needle in [
        "/var/log/dokku/*.log {",
        "daily",
        "rotate 7",
        "missingok",
        "notifempty",
        "compress",
        "delaycompress",
        &format!("su dokku {group}"),
        &format!("create 0640 dokku {group}"),
        "/var/log/dokku/nginx/*.log {",
    ] {
        assert!(rotate.contains(needle), "{needle:?} not in\n{rotate}");
    }
    assert_eq!(
        fs::read_to_string(etc.join("rsyslog.d/99-dokku.conf"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        [":syslogtag, contains, \"dokku-event\" /var/log/dokku/events.log"]
    );
    assert_eq!(owner_mode(&etc.join("logrotate.d/dokku")).0, 0o644);
    assert_eq!(owner_mode(&etc.join("rsyslog.d/99-dokku.conf")).0, 0o644);
    for rule in ["dokku-nginx", "dokku-storage"] {
        let f = etc.join("sudoers.d").join(rule);
        assert_eq!(owner_mode(&f).0, 0o440, "{rule}");
        if Path::new("/usr/sbin/visudo").exists() {
            let out = Command::new("/usr/sbin/visudo")
                .arg("-c")
                .arg("-f")
                .arg(&f)
                .output()
                .unwrap();
            assert!(out.status.success(), "{rule}: {out:?}");
        }
    }
    assert!(fs::read_to_string(etc.join("nginx/conf.d/dokku.conf"))
        .unwrap()
        .contains("include /home/dokku/*/nginx.conf;"));

    // Again, on a tree already set up: nothing rewritten, nothing left over.
    let inodes = |d: &Path| -> Vec<(String, u64)> {
        let mut v = Vec::new();
        for sub in ["logrotate.d", "rsyslog.d", "sudoers.d", "nginx/conf.d"] {
            for e in fs::read_dir(d.join(sub)).unwrap() {
                let e = e.unwrap();
                v.push((e.path().display().to_string(), e.metadata().unwrap().ino()));
            }
        }
        v.sort();
        v
    };
    let before = inodes(&etc);
    system_files(&dest);
    assert_eq!(inodes(&etc), before);

    // logrotate parses it, and rotating dokku's logs keeps events.log 0640 dokku:GROUP.
    let logrotate = Path::new("/usr/sbin/logrotate");
    let (true, true, Some(uid), Some(gid)) = (
        logrotate.exists(),
        is_root(),
        uid_of("dokku"),
        gid_of(group),
    ) else {
        eprintln!("logrotate, root and a dokku user are needed for the rotation check: skipped");
        return;
    };
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let logs = tmp.path().join("logs");
    fs::create_dir(&logs).unwrap();
    fs::write(logs.join("events.log"), "a line\n").unwrap();
    for p in [&logs, &logs.join("events.log")] {
        std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    }
    fs::set_permissions(&logs, fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(logs.join("events.log"), fs::Permissions::from_mode(0o640)).unwrap();
    let conf = tmp.path().join("rotate.conf");
    fs::write(
        &conf,
        rotate.replace("/var/log/dokku", &logs.display().to_string()),
    )
    .unwrap();
    let out = Command::new(logrotate)
        .arg("-f")
        .arg("-s")
        .arg(tmp.path().join("state"))
        .arg(&conf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        fs::read_to_string(logs.join("events.log.1")).unwrap(),
        "a line\n"
    );
    assert_eq!(owner_mode(&logs.join("events.log")), (0o640, uid, gid));
}

/// Every file under `dir` (links included) with an owner other than `uid:gid`.
fn not_owned_by(dir: &Path, uid: u32, gid: u32) -> Vec<String> {
    let mut bad = Vec::new();
    let (_, u, g) = owner_mode(dir);
    if (u, g) != (uid, gid) {
        bad.push(format!("{} {u}:{g}", dir.display()));
    }
    if fs::symlink_metadata(dir).unwrap().is_dir() {
        for e in fs::read_dir(dir).unwrap() {
            bad.extend(not_owned_by(&e.unwrap().path(), uid, gid));
        }
    }
    bad
}

/// git in `dir` with a throwaway identity (any owner); its trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "safe.directory=*",
            "-c",
            "commit.gpgsign=false",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn plugin_install_and_update_give_the_plugin_to_the_plugins_folders_owner() {
    if !is_root() {
        eprintln!("plugin ownership is restored by root only: skipped");
        return;
    }
    let sb = Sandbox::new();
    // A system install's plugins folder belongs to the dokku user: here `nobody`.
    let (uid, gid) = (65534, 65534);
    let available = sb.plugin_path().join("available");
    std::os::unix::fs::chown(&available, Some(uid), Some(gid)).unwrap();

    let src = sb.dir.path().join("src/dokku-hello");
    fs::create_dir_all(src.parent().unwrap()).unwrap();
    let st = Command::new("cp")
        .arg("-a")
        .arg(fixture("install/hello"))
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    git(&src, &["init", "-q", "-b", "main"]);
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-qm", "v1"]);

    sb.dokku(&["plugin:install", src.to_str().unwrap()]).ok();
    let installed = available.join("hello");
    assert_eq!(not_owned_by(&installed, uid, gid), Vec::<String>::new());
    sb.dokku(&["hello"]).ok().out_has("from hello v1");

    // An update (git run by root in the dokku user's clone) works and leaves it so.
    let sub = src.join("subcommands/default");
    let text = fs::read_to_string(&sub).unwrap().replace("v1", "v2");
    fs::write(&sub, text).unwrap();
    git(&src, &["commit", "-qam", "v2"]);
    sb.dokku(&["plugin:update", "hello"]).ok();
    sb.dokku(&["hello"]).ok().out_has("from hello v2");
    assert_eq!(not_owned_by(&installed, uid, gid), Vec::<String>::new());

    // A plugins folder root owns (a private install): nothing is given away.
    let sb2 = Sandbox::new();
    sb2.dokku(&["plugin:install", src.to_str().unwrap()]).ok();
    assert_eq!(
        not_owned_by(&sb2.plugin_path().join("available/hello"), 0, 0),
        Vec::<String>::new()
    );
}
