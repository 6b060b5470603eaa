//! Disk hygiene: `dokku cleanup` removes what dokku left behind (exited containers and
//! dangling images of its apps, build caches of destroyed apps, build records and logs past the
//! builds retention) and never another tool's containers or images; `dokku report` prints the
//! disk dokku uses; the installer's daily cron entry runs `dokku cleanup`.

use dokku_tests::docker::{
    build_salted_image as build, busybox_image, docker_stdout, object_exists as exists,
};
use dokku_tests::Sandbox;
use std::process::Command;

/// An exited container named `name` with `labels`.
fn exited(name: &str, labels: &[String]) -> String {
    let mut args = vec!["run".to_string(), "--name".into(), name.to_string()];
    for l in labels {
        args.extend(["--label".to_string(), l.clone()]);
    }
    args.extend([busybox_image().to_string(), "true".into()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    docker_stdout(&a);
    name.to_string()
}

/// A build-cache-shaped volume of `app`, made by the installation whose `DOKKU_ROOT` is `root`.
fn volume(name: &str, app: &str, root: &std::path::Path) {
    docker_stdout(&[
        "volume",
        "create",
        "--label",
        "dokku",
        "--label",
        &format!("com.dokku.app-name={app}"),
        "--label",
        &format!("com.dokku.root={}", root.display()),
        name,
    ]);
}

/// A finished build record (and its log) of `app`, as the builds plugin keeps them.
fn record(sb: &Sandbox, app: &str, n: u32) -> std::path::PathBuf {
    let dir = sb.lib_root().join("data/builds").join(app);
    std::fs::create_dir_all(&dir).unwrap();
    let id = format!("0000000000{n:04}");
    let body = serde_json::json!({
        "id": id, "app": app, "kind": "build", "pid": 0, "pid_start": 0,
        "started_at": format!("2026-01-01T00:00:{n:02}Z"),
        "finished_at": format!("2026-01-01T00:01:{n:02}Z"),
        "status": "succeeded", "source": "git-hook", "exit_code": 0
    });
    std::fs::write(dir.join(format!("{id}.json")), body.to_string()).unwrap();
    let log = dir.join(format!("{id}.log"));
    std::fs::write(&log, "build output\n").unwrap();
    log
}

#[test]
fn cleanup_removes_dokku_leftovers_and_never_another_tools() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("hyg");
    sb.dokku(&["apps:create", &app]).ok();
    let app_label = format!("com.dokku.app-name={app}");
    let labels = ["dokku".to_string(), app_label.clone()];

    let mine = exited(&format!("{app}.run.1"), &labels);
    let foreign = exited(&format!("foreign-{app}"), &[]);
    let tag = format!("dokku/{app}:hyg");
    let dangling = build(&tag, &["dokku", &app_label], &format!("{app}-a"));
    let tagged = build(&tag, &["dokku", &app_label], &format!("{app}-b"));
    let foreign_tag = format!("foreign-{app}:x");
    let foreign_dangling = build(&foreign_tag, &[], &format!("{app}-f"));
    let foreign_tagged = build(&foreign_tag, &[], &format!("{app}-g"));

    let gone = format!("{app}-gone");
    let orphan = format!("cache-{gone}");
    volume(&orphan, &gone, &sb.dokku_root());
    // Another installation's cache on the same engine (its app is not ours): never taken.
    let elsewhere = format!("cache-{app}-elsewhere");
    volume(
        &elsewhere,
        &format!("{app}-elsewhere"),
        std::path::Path::new("/elsewhere"),
    );
    let live = format!("cache-{app}");
    volume(&live, &app, &sb.dokku_root());
    let unlabelled = format!("cache-{app}-other");
    docker_stdout(&["volume", "create", &unlabelled]);

    let logs: Vec<_> = (1..=5).map(|n| record(&sb, &app, n)).collect();
    sb.dokku(&["builds:set", &app, "retention", "2"]).ok();

    sb.dokku(&["cleanup"]).ok();

    assert!(
        !exists("container", &mine),
        "the app's exited container stays"
    );
    assert!(
        !exists("image", &dangling),
        "the app's dangling image stays"
    );
    assert!(
        exists("image", &tagged),
        "a tagged image went (nobody named releases)"
    );
    assert!(exists("container", &foreign), "a foreign container went");
    assert!(
        exists("image", &foreign_dangling),
        "a foreign dangling image went"
    );
    assert!(exists("image", &foreign_tagged), "a foreign image went");
    assert!(
        !exists("volume", &orphan),
        "a destroyed app's build cache stays"
    );
    assert!(exists("volume", &live), "a live app's build cache went");
    assert!(
        exists("volume", &unlabelled),
        "a volume dokku did not make went"
    );
    let kept: Vec<bool> = logs.iter().map(|l| l.exists()).collect();
    assert_eq!(
        kept,
        [false, false, false, true, true],
        "the newest 2 build logs stay, the older go"
    );

    let _ = Command::new("docker").args(["rm", "-f", &foreign]).output();
    let _ = Command::new("docker")
        .args(["rmi", "-f", &foreign_tag, &foreign_dangling, &tag])
        .output();
    let _ = Command::new("docker")
        .args([
            "volume",
            "rm",
            "-f",
            &orphan,
            &live,
            &unlabelled,
            &elsewhere,
        ])
        .output();
}

#[test]
fn report_prints_the_disk_dokku_uses() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("rep");
    sb.dokku(&["apps:create", &app]).ok();
    let app_label = format!("com.dokku.app-name={app}");
    let tag = format!("dokku/{app}:rep");
    build(&tag, &["dokku", &app_label], &app);
    let cache = format!("cache-{app}");
    volume(&cache, &app, &sb.dokku_root());
    record(&sb, &app, 1);

    let out = sb.dokku(&["report", &app]).ok();
    let line = |prefix: &str| -> String {
        out.stdout
            .lines()
            .find(|l| l.contains(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in {}", out.stdout))
            .to_string()
    };
    assert!(
        line("dokku images: 1 (").contains("MB"),
        "{}",
        line("dokku images")
    );
    assert!(line("dokku volumes: 0 (").contains("0 B"));
    assert!(line("dokku build caches: 1 (").contains(')'));
    let logs: u64 = std::fs::read_dir(sb.lib_root().join("data/builds").join(&app))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(
        line("dokku logs: ").ends_with(&format!("dokku logs: {logs} B")),
        "{}",
        line("dokku logs")
    );

    let all = sb.dokku(&["report"]).ok();
    for l in [
        "dokku images: ",
        "dokku volumes: ",
        "dokku build caches: ",
        "dokku logs: ",
    ] {
        assert!(all.stdout.contains(l), "{l} missing: {}", all.stdout);
    }
    let _ = Command::new("docker").args(["rmi", "-f", &tag]).output();
    let _ = Command::new("docker")
        .args(["volume", "rm", "-f", &cache])
        .output();
}

#[test]
fn the_installer_writes_a_daily_cleanup_cron_entry() {
    let dest = tempfile::tempdir().unwrap();
    let out = Command::new(dokku_tests::repo().join("scripts/install"))
        .arg("--system-files")
        .arg(dest.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let path = dest.path().join("etc/cron.d/dokku-cleanup");
    let body = std::fs::read_to_string(&path).expect("scripts/install writes the cron entry");
    let entries: Vec<&str> = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains('=') && !l.trim().is_empty())
        .collect();
    assert_eq!(entries.len(), 1, "{body}");
    let fields: Vec<&str> = entries[0].split_whitespace().collect();
    // minute hour day month weekday user command: once a day, as the dokku user.
    assert!(
        fields[0].parse::<u8>().is_ok() && fields[1].parse::<u8>().is_ok(),
        "{body}"
    );
    assert_eq!(fields[2..5], ["*", "*", "*"], "{body}");
    assert_eq!(fields[5], "dokku");
    assert_eq!(fields[6..8], ["/usr/local/bin/dokku", "cleanup"], "{body}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "cron ignores group/other-writable files");
}

#[test]
fn cleanup_removes_the_images_releases_do_not_keep() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("rel");
    sb.dokku(&["apps:create", &app]).ok();
    let app_label = format!("com.dokku.app-name={app}");
    let tags: Vec<String> = (1..=3).map(|n| format!("dokku/{app}:v{n}")).collect();
    let ids: Vec<String> = tags
        .iter()
        .map(|t| build(t, &["dokku", &app_label], t))
        .collect();
    let foreign_tag = format!("foreign-{app}:x");
    build(&foreign_tag, &[], &format!("{app}-f"));

    // Without an answer to releases-images-in-use every tagged image stays.
    sb.dokku(&["cleanup", &app]).ok();
    assert!(
        tags.iter().all(|t| exists("image", t)),
        "a tagged image went"
    );

    // A plugin keeping v2 (by its full id) and v3 (by its short id).
    let short = ids[2].trim_start_matches("sha256:")[..12].to_string();
    sb.write_plugin(
        "keeper",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"k\"\nversion = \"1\"\n",
            ),
            (
                "releases-images-in-use",
                &format!(
                    "#!/bin/sh\n[ \"$1\" = {app} ] || exit 0\necho {}\necho {short}\n",
                    ids[1]
                ),
            ),
        ],
    );
    sb.dokku(&["cleanup", &app]).ok();
    assert!(!exists("image", &tags[0]), "v1, which nobody keeps, stays");
    assert!(
        exists("image", &tags[1]) && exists("image", &tags[2]),
        "a kept release image went"
    );
    assert!(exists("image", &foreign_tag), "a foreign image went");

    let _ = Command::new("docker")
        .args(["rmi", "-f", &foreign_tag, &tags[1], &tags[2]])
        .output();
}
