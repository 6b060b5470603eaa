//! Hostile input gets one clear error line and a non-zero exit, never a crash, and nothing of it
//! is kept: non-UTF-8 arguments and paths (locally, to plugn, to a plugin binary, over ssh),
//! `--help` on any command, who may manage keys over ssh (the key's name, never the unix user),
//! `logs -p` naming its bad value, and `nginx:set` values that fail validation or `nginx -t`.

use dokku_tests::{refused, Out, Sandbox};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// `\xff`: a byte that is never valid UTF-8.
fn bad() -> &'static OsStr {
    OsStr::from_bytes(b"x\xffy")
}

/// Asserts one ` !     ` line, exit 1, and no panic backtrace.
#[track_caller]
fn one_line_exit_1(out: &Out) -> String {
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(!out.stderr.contains("panicked"), "{out:#?}");
    out.one_error_line()
}

#[test]
fn non_utf8_arguments_get_one_line_not_a_panic() {
    let sb = Sandbox::new();
    for args in [
        vec![OsStr::new("apps:create"), bad()],
        vec![bad()],
        vec![OsStr::new("--app"), bad(), OsStr::new("config")],
        vec![OsStr::new("config:set"), OsStr::new("--global"), bad()],
    ] {
        let mut c = sb.command(sb.root.join("bin/dokku"));
        c.args(&args);
        let line = one_line_exit_1(&sb.run(c, b""));
        assert!(line.contains("not valid UTF-8"), "{args:?}: {line}");
    }
    for args in [
        vec![OsStr::new("trigger"), OsStr::new("post-create"), bad()],
        vec![bad()],
        vec![OsStr::new("install"), bad()],
    ] {
        let mut c = sb.command(sb.root.join("bin/plugn"));
        c.args(&args);
        let line = one_line_exit_1(&sb.run(c, b""));
        assert!(line.contains("not valid UTF-8"), "{args:?}: {line}");
    }
    // A Rust plugin's binary started directly (as plugn starts triggers).
    let exe = sb.plugin_path().join("enabled/config/subcommands/get");
    let mut c = sb.command(&exe);
    c.arg("config:get").arg(bad());
    let line = one_line_exit_1(&sb.run(c, b""));
    assert!(line.contains("not valid UTF-8"), "{line}");
    assert_eq!(sb.dokku(&["--quiet", "apps:list"]).ok().stdout, "");
}

#[test]
fn a_non_utf8_path_variable_is_refused_not_ignored() {
    let sb = Sandbox::new();
    for var in [
        "DOKKU_ROOT",
        "DOKKU_LIB_ROOT",
        "PLUGIN_PATH",
        "DOKKU_LOGS_DIR",
        "PLUGIN_CORE_AVAILABLE_PATH",
    ] {
        let value = OsStr::from_bytes(b"/tmp/dokku-\xff-root");
        for bin in ["dokku", "plugn"] {
            let mut c = sb.command(sb.root.join("bin").join(bin));
            c.env(var, value);
            if bin == "dokku" {
                c.args(["apps:create", "strayapp"]);
            } else {
                c.arg("list");
            }
            let line = one_line_exit_1(&sb.run(c, b""));
            assert!(
                line.contains(var) && line.contains("not valid UTF-8"),
                "{bin} {var}: {line}"
            );
        }
    }
    assert!(!sb.dokku_root().join("strayapp").exists());
    assert!(!std::path::Path::new("/home/dokku/strayapp").exists());
}

#[test]
fn over_ssh_a_non_utf8_command_is_one_error_line() {
    let sb = Sandbox::with_ssh();
    sb.dokku(&["apps:create", "keep"]).ok();
    let mut c = sb.command("sh");
    c.arg("-c").arg(format!(
        "exec {} -p {} {}@127.0.0.1 -- \"$(printf 'apps:destroy keep \\377')\"",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
        sb.ssh_port(),
        sb.ssh_user()
    ));
    let out = sb.run(c, b"");
    assert_ne!(out.code, 0, "{out:#?}");
    let line = out.one_error_line();
    assert!(line.contains("not valid UTF-8"), "{out:#?}");
    assert!(!out.stdout.contains("Usage"), "{out:#?}");
    assert!(sb.dokku_root().join("keep").exists());
}

#[test]
fn over_ssh_the_key_name_decides_who_manages_keys() {
    // The tests run as root: every key logs in to a root account here.
    let sb = Sandbox::with_ssh();
    let bob = sb.new_key("bob");
    let bob_pub = format!("{}.pub", bob.display());
    sb.dokku(&["ssh-keys:add", "bob", &bob_pub]).ok();
    let keys = || std::fs::read_to_string(sb.dokku_root().join(".ssh/authorized_keys")).unwrap();
    let before = keys();
    let eve = sb.new_key("eve");
    let eve_pub = std::fs::read_to_string(format!("{}.pub", eve.display())).unwrap();
    for remote in [
        format!("ssh-keys:add eve '{}'", eve_pub.trim()),
        "ssh-keys:remove admin".to_string(),
        "ssh-keys:remove bob".to_string(),
        "--quiet ssh-keys:remove admin".to_string(),
    ] {
        let out = sb.ssh_with(&bob, &remote).fails();
        let line = out.one_error_line();
        assert!(line.contains("admin"), "{remote}: {out:#?}");
        assert_eq!(keys(), before, "{remote} changed the keys");
    }
    // bob may still run other commands; admin may manage keys.
    sb.ssh_with(&bob, "apps:list").ok();
    sb.ssh("ssh-keys:remove bob").ok();
    assert!(!keys().contains("NAME=\\\"bob\\\""), "{}", keys());
    // Locally, root still may.
    sb.dokku(&["ssh-keys:add", "bob", &bob_pub]).ok();
}

#[test]
fn help_flag_prints_usage_for_every_kind_of_command() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    // A community (bash) plugin beside the Rust core plugins.
    let dest = sb.plugin_path().join("available/hello");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(dokku_tests::fixture("community/hello"))
        .arg(&dest)
        .status()
        .unwrap();
    assert!(st.success());
    std::os::unix::fs::symlink("../available/hello", sb.plugin_path().join("enabled/hello"))
        .unwrap();
    for (args, usage) in [
        (vec!["apps:create", "--help"], "Usage: dokku apps:create"),
        (vec!["apps:create", "-h"], "Usage: dokku apps:create"),
        (vec!["config:set", "--help"], "Usage: dokku config:set"),
        (
            vec!["config:set", "web", "--help"],
            "Usage: dokku config:set",
        ),
        (vec!["proxy:set", "--help"], "Usage: dokku proxy:set"),
        (vec!["ps:scale", "--help"], "Usage: dokku ps:scale"),
        (vec!["logs", "--help"], "Usage: dokku logs"),
        (vec!["logs", "web", "--help"], "Usage: dokku logs"),
        (
            vec!["domains:add", "web", "--help"],
            "Usage: dokku domains:add",
        ),
        (
            vec!["--app", "web", "config", "--help"],
            "Usage: dokku config",
        ),
        (vec!["hello:world", "--help"], "Usage: dokku hello:world"),
        (vec!["hello", "--help"], "Usage: dokku hello"),
        (vec!["apps", "--help"], "Usage: dokku apps"),
    ] {
        let out = sb.dokku(&args);
        assert_eq!(out.code, 0, "{args:?}: {out:#?}");
        assert!(out.stdout.contains(usage), "{args:?}: {out:#?}");
        assert!(!out.stderr.contains("unknown flag"), "{args:?}: {out:#?}");
    }
    // Nothing was done by asking.
    assert!(!sb.dokku_root().join("--help").exists());
    assert!(!sb.dokku_root().join("-h").exists());
    assert_eq!(sb.dokku(&["--quiet", "apps:list"]).ok().stdout, "web\n");
    // An unknown command stays unknown.
    sb.dokku(&["nosuch:thing", "--help"])
        .fails()
        .err_has("is not a dokku command");
}

#[test]
fn logs_names_a_bad_process_value() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    for bad in ["../x", ".", "web.", "web.0", "a/b", "-x"] {
        let out = sb.dokku(&["logs", "web", "-p", bad]).fails();
        let line = out.one_error_line();
        assert!(line.contains(&format!("{bad:?}")), "{bad}: {line}");
    }
}

#[test]
fn nginx_set_keeps_no_value_that_fails_validation_or_nginx_t() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "hello");
    sb.dokku(&["proxy:build-config", "web"]).ok();
    let conf = sb.dokku_root().join("web/nginx.conf");
    let before = std::fs::read_to_string(&conf).unwrap();
    let report = |key: &str| {
        sb.dokku(&["nginx:report", "web", &format!("--nginx-{key}")])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    for (key, value) in [
        ("proxy-read-timeout", "99999999999999999999s"),
        ("proxy-read-timeout", "0s"),
        ("proxy-read-timeout", "30q"),
        ("proxy-read-timeout", "8d"),
        ("client-max-body-size", "99999999999999999999m"),
        ("client-max-body-size", "2048g"),
        ("client-max-body-size", "1x"),
        ("hsts", "yes"),
        ("access-log-path", "relative.log"),
        ("access-log-path", "/var/log/../x.log"),
    ] {
        refused(sb.dokku(&["nginx:set", "web", key, value]), "invalid value");
        assert_ne!(report(key), value, "{key} {value} was kept");
    }
    assert_eq!(report("computed-proxy-read-timeout"), "60s");
    // Values within range are taken.
    sb.dokku(&["nginx:set", "web", "proxy-read-timeout", "1h30m"])
        .ok();
    assert_eq!(report("proxy-read-timeout"), "1h30m");
    sb.dokku(&["nginx:set", "web", "proxy-read-timeout", "500ms"])
        .ok();
    // A value that passes validation but fails `nginx -t`: refused, the previous value and the
    // previous config kept, later builds unaffected.
    let config_before = std::fs::read_to_string(&conf).unwrap();
    let out = sb
        .dokku(&[
            "nginx:set",
            "web",
            "access-log-path",
            "/nonexistent-dir/a.log",
        ])
        .fails();
    let line = out.one_error_line();
    assert!(line.contains("access-log-path was not changed"), "{line}");
    assert_eq!(report("access-log-path"), "");
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), config_before);
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert_ne!(before, "");
    // The global nginx config must be an existing readable file.
    for bad in ["/nonexistent/x.conf", "/etc", "relative.conf"] {
        refused(
            sb.dokku(&["nginx:set", "--global", "nginx-conf", bad]),
            "invalid value",
        );
    }
    let global = sb.lib_root().join("config/nginx/--global/nginx-conf");
    let kept = std::fs::read_to_string(&global).unwrap_or_default();
    assert!(!kept.contains("nonexistent"), "{kept}");
    refused(
        sb.dokku(&[
            "nginx:set",
            "--global",
            "nginx-prefix",
            "/nonexistent/prefix",
        ]),
        "invalid value",
    );
}
