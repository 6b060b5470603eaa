//! `ps:restore` after a reboot (the apps' containers there but stopped): every app that should
//! run is started (a pool of workers, every app tried even when one fails), an app with
//! `restore` off stays down, and the proxy is rebuilt once for all apps (`proxy-build-config
//! --all`), not once per app.

use dokku_tests::{curl_host, docker::web_dockerfile, Sandbox};
use std::process::Command;

/// The ids of the app's containers (running or not).
fn container_ids(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The status code nginx answers for the app.
fn through_nginx(sb: &Sandbox, app: &str) -> String {
    let url = format!("http://127.0.0.1:{}/", sb.http_port());
    curl_host(&url, &format!("{app}.dokku.localhost"), &[]).0
}

#[test]
fn restore_starts_every_app_in_parallel_and_rebuilds_the_proxy_once() {
    let sb = Sandbox::with_nginx();
    sb.quick_deploys();
    // "a-…" sorts first: its pre-start fails, and the others must still be restored.
    let failing = sb.unique_app("a0");
    let off = sb.unique_app("off");
    let mut apps: Vec<String> = (1..=4).map(|i| sb.unique_app(&format!("r{i}"))).collect();
    apps.push(off.clone());
    apps.push(failing.clone());
    std::thread::scope(|s| {
        for chunk in apps.chunks(3) {
            let sb = &sb;
            s.spawn(move || {
                for app in chunk {
                    sb.dokku(&["--quiet", "apps:create", app]).ok();
                    sb.deploy_source(app, &[("Dockerfile", &web_dockerfile(app))])
                        .ok();
                }
            });
        }
    });
    for app in &apps {
        assert_eq!(through_nginx(&sb, app), "200", "{app} before the reboot");
    }
    sb.dokku(&["ps:set", &off, "restore", "false"]).ok();
    sb.record_triggers_with(
        "zz-restore-rec",
        &["proxy-build-config", "pre-start"],
        &format!(
            "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> '{log}'\n[ \"$(basename \"$0\")\" = pre-start ] && [ \"$1\" = '{failing}' ] && exit 1\nexit 0\n",
            log = sb.dir.path().join("restore-rec").display()
        ),
    );
    let log = sb.dir.path().join("restore-rec");

    // The reboot: every container stopped.
    let mut stop = Command::new("docker");
    stop.args(["stop", "-t", "1"]);
    for app in &apps {
        stop.args(container_ids(app));
    }
    assert!(stop.output().unwrap().status.success());
    for app in &apps {
        assert_eq!(through_nginx(&sb, app), "502", "{app} after the reboot");
    }

    let out = sb.dokku(&["ps:restore"]).fails();
    assert_eq!(
        out.one_error_line(),
        format!(" !     1 of 6 apps could not be restored: {failing} (Failure in pre-start hook of {failing} (exit 1))")
    );
    for app in apps.iter().filter(|a| **a != off && **a != failing) {
        assert_eq!(through_nginx(&sb, app), "200", "{app} restored");
    }
    assert_eq!(through_nginx(&sb, &off), "502", "restore off: left down");
    assert_eq!(through_nginx(&sb, &failing), "502", "pre-start failed");
    // One proxy rebuild for all apps, none per app; pre-start for each restored app.
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let builds: Vec<&str> = calls
        .lines()
        .filter(|l| l.starts_with("proxy-build-config"))
        .collect();
    assert_eq!(builds.len(), 1, "{calls}");
    assert!(
        builds[0].starts_with("proxy-build-config --all "),
        "{calls}"
    );
    assert_eq!(
        calls.lines().filter(|l| l.starts_with("pre-start")).count(),
        5,
        "{calls}"
    );

    // ps:restore APP keeps its behaviour: that app only, no proxy rebuild.
    std::fs::remove_file(&log).unwrap();
    sb.dokku(&["ps:set", &off, "restore", "true"]).ok();
    sb.dokku(&["ps:restore", &off]).ok();
    assert_eq!(through_nginx(&sb, &off), "200", "ps:restore APP");
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(calls.trim(), format!("pre-start {off}"), "{calls}");
}
