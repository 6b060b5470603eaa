//! The `config` core plugin: set/get/unset/clear/keys/show/export/bundle for an app and
//! `--global`, `--merged`, `--encoded`; byte-exact round trips of awkward values (through
//! config:get and through sourcing the ENV file); the post-config-update and app-restart
//! triggers it fires and the config-get/config-get-global/config-export triggers it answers;
//! 50 concurrent writers; and bad input refused with one error line and nothing written.

use dokku_tests::{Out, Sandbox};
use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

/// Values that break naive quoting: quotes, `$`, backslashes, newlines, `=`, spaces, UTF-8.
const AWKWARD: &[(&str, &str)] = &[
    ("SINGLE", "it's a 'quoted' value"),
    ("DOUBLE", "say \"hi\""),
    ("DOLLAR", "$HOME ${PATH} `id` $(id) $$"),
    ("BACKSLASH", "back\\slash\\ and \\n and \\'\\"),
    ("NEWLINES", "multi\nline\n\nvalue\n"),
    ("EQUALS", "a=b==c="),
    ("SPACES", "  leading and trailing  "),
    ("UNICODE", "ünïcödé ✓ 日本語 🚀"),
    ("EMPTY", ""),
    ("QUOTE_ONLY", "'"),
    ("FLAGLIKE", "--not-a-flag"),
    ("CRLF", "tab\there\r\nthere"),
    (
        "SHELLY",
        "!bang #hash ;semi &amp |pipe *glob ?x [a] {b,c} ~ <in >out",
    ),
];

/// Makes an app the way `apps:create` leaves it: its folder under DOKKU_ROOT.
fn app(sb: &Sandbox, name: &str) {
    fs::create_dir_all(sb.dokku_root().join(name)).unwrap();
}

fn env_file(sb: &Sandbox, app: &str) -> PathBuf {
    sb.lib_root().join("config").join(app).join("ENV")
}

fn read_or_empty(p: &PathBuf) -> Vec<u8> {
    fs::read(p).unwrap_or_default()
}

/// Asserts that stderr is exactly one ` !     ` error line and stdout is empty; returns it.
#[track_caller]
fn one_error_line(out: &Out) -> String {
    assert_eq!(out.stdout, "", "expected no stdout: {out:#?}");
    out.one_error_line()
}

/// Standard padded base64, for `--encoded`.
fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn set_get_show_keys() {
    let sb = Sandbox::new();
    app(&sb, "web");
    let o = sb
        .dokku(&[
            "config:set",
            "--no-restart",
            "web",
            "A=1",
            "LONGER_KEY=two words",
        ])
        .ok();
    assert_eq!(
        o.stdout,
        "-----> Setting config vars\n       A:           1\n       LONGER_KEY:  two words\n"
    );
    assert_eq!(sb.dokku(&["config:get", "web", "A"]).ok().stdout, "1\n");
    assert_eq!(
        sb.dokku(&["config:get", "web", "LONGER_KEY"]).ok().stdout,
        "two words\n"
    );
    assert_eq!(
        sb.dokku(&["config:get", "--quoted", "web", "LONGER_KEY"])
            .ok()
            .stdout,
        "'two words'\n"
    );
    let show = "=====> web env vars\nA:           1\nLONGER_KEY:  two words\n";
    assert_eq!(sb.dokku(&["config", "web"]).ok().stdout, show);
    assert_eq!(sb.dokku(&["config:show", "web"]).ok().stdout, show);
    assert_eq!(
        sb.dokku(&["--quiet", "config:show", "web"]).ok().stdout,
        "A:           1\nLONGER_KEY:  two words\n"
    );
    assert_eq!(
        sb.dokku(&["config:show", "web", "--quiet"]).ok().stdout,
        "A:           1\nLONGER_KEY:  two words\n"
    );
    assert_eq!(
        sb.dokku(&["config:keys", "web"]).ok().stdout,
        "A\nLONGER_KEY\n"
    );
    // The --app global flag names the app too.
    assert_eq!(
        sb.dokku(&["--app", "web", "config:get", "A"]).ok().stdout,
        "1\n"
    );
    // Overwrite keeps the other keys; the file is Dokku's format, mode 0600.
    sb.dokku(&["config:set", "--no-restart", "web", "A=3"]).ok();
    assert_eq!(
        fs::read_to_string(env_file(&sb, "web")).unwrap(),
        "export A='3'\nexport LONGER_KEY='two words'\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(env_file(&sb, "web"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // An unset key: exit 1, no output at all.
    let o = sb.dokku(&["config:get", "web", "MISSING"]);
    assert_eq!(o.code, 1, "{o:#?}");
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ""));
    // An app without an ENV file reads as empty.
    app(&sb, "fresh");
    assert_eq!(
        sb.dokku(&["config:show", "fresh"]).ok().stdout,
        "=====> fresh env vars\n"
    );
    assert_eq!(sb.dokku(&["config:keys", "fresh"]).ok().stdout, "");
    // Only the ENV file and its lock are left in the app's config folder: no temp files.
    let mut names: Vec<String> = fs::read_dir(sb.lib_root().join("config/web"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".ENV.lock", "ENV"]);
}

#[test]
fn awkward_values_round_trip_byte_for_byte() {
    let sb = Sandbox::new();
    app(&sb, "web");
    let pairs: Vec<String> = AWKWARD.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["config:set", "--no-restart", "web"];
    args.extend(pairs.iter().map(String::as_str));
    sb.dokku(&args).ok();
    for (k, v) in AWKWARD {
        let got = sb.dokku(&["config:get", "web", k]).ok().stdout;
        assert_eq!(got, format!("{v}\n"), "config:get {k}");
        // The ENV file is sourceable by a shell and gives back the same bytes.
        let script = format!(". \"$DOKKU_LIB_ROOT/config/web/ENV\"; printf %s \"${k}\"");
        assert_eq!(sb.bash(&script).ok().stdout, *v, "sourced {k}");
    }
    // JSON export carries them exactly too.
    let json = sb
        .dokku(&["config:export", "web", "--format", "json"])
        .ok()
        .stdout;
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    for (k, v) in AWKWARD {
        assert_eq!(parsed[k], *v, "json {k}");
    }
    // The exports format is the file itself; evaluating the shell format gives them back.
    let exports = sb.dokku(&["config:export", "web"]).ok().stdout;
    assert_eq!(exports, fs::read_to_string(env_file(&sb, "web")).unwrap());
    let script = "eval \"$(dokku config:export web --format shell)\"; printf %s \"$BACKSLASH|$NEWLINES|$SINGLE\"";
    let want = format!("{}|{}|{}", AWKWARD[3].1, AWKWARD[4].1, AWKWARD[0].1);
    assert_eq!(sb.bash(script).ok().stdout, want);
}

#[test]
fn encoded_values_round_trip() {
    let sb = Sandbox::new();
    app(&sb, "web");
    for (k, v) in AWKWARD {
        let pair = format!("{k}={}", b64(v.as_bytes()));
        sb.dokku(&["config:set", "--encoded", "--no-restart", "web", &pair])
            .ok()
            .out_has("Setting config vars");
        assert_eq!(
            sb.dokku(&["config:get", "web", k]).ok().stdout,
            format!("{v}\n"),
            "{k}"
        );
        let script = format!(". \"$DOKKU_LIB_ROOT/config/web/ENV\"; printf %s \"${k}\"");
        assert_eq!(sb.bash(&script).ok().stdout, *v, "sourced {k}");
    }
    // Several at once, flag after the app.
    sb.dokku(&[
        "config:set",
        "web",
        &format!("X={}", b64(b"x=1")),
        &format!("Y={}", b64(b"why")),
        "--encoded",
        "--no-restart",
    ])
    .ok();
    assert_eq!(sb.dokku(&["config:get", "web", "X"]).ok().stdout, "x=1\n");
    assert_eq!(sb.dokku(&["config:get", "web", "Y"]).ok().stdout, "why\n");
}

#[test]
fn global_and_merged() {
    let sb = Sandbox::new();
    app(&sb, "web");
    let o = sb
        .dokku(&["config:set", "--global", "SHARED=global", "ONLY_GLOBAL=g"])
        .ok();
    assert!(!o.stdout.contains("Restarting"), "{o:#?}");
    assert_eq!(
        fs::read_to_string(sb.lib_root().join("config/--global/ENV")).unwrap(),
        "export ONLY_GLOBAL='g'\nexport SHARED='global'\n"
    );
    sb.dokku(&[
        "config:set",
        "--no-restart",
        "web",
        "SHARED=app",
        "ONLY_APP=a",
    ])
    .ok();
    assert_eq!(
        sb.dokku(&["config:show", "--global"]).ok().stdout,
        "=====> global env vars\nONLY_GLOBAL:  g\nSHARED:       global\n"
    );
    assert_eq!(
        sb.dokku(&["config:get", "--global", "SHARED"]).ok().stdout,
        "global\n"
    );
    // The core's --global flag before the command works as well.
    assert_eq!(
        sb.dokku(&["--global", "config:get", "SHARED"]).ok().stdout,
        "global\n"
    );
    assert_eq!(
        sb.dokku(&["config:get", "web", "SHARED"]).ok().stdout,
        "app\n"
    );
    assert_eq!(sb.dokku(&["config:get", "web", "ONLY_GLOBAL"]).code, 1);
    assert_eq!(
        sb.dokku(&["config:get", "web", "ONLY_GLOBAL", "--merged"])
            .ok()
            .stdout,
        "g\n"
    );
    assert_eq!(
        sb.dokku(&["config:get", "--merged", "web", "SHARED"])
            .ok()
            .stdout,
        "app\n"
    );
    assert_eq!(
        sb.dokku(&["config:keys", "web"]).ok().stdout,
        "ONLY_APP\nSHARED\n"
    );
    assert_eq!(
        sb.dokku(&["config:keys", "web", "--merged"]).ok().stdout,
        "ONLY_APP\nONLY_GLOBAL\nSHARED\n"
    );
    assert_eq!(
        sb.dokku(&["config", "web", "--merged"]).ok().stdout,
        "=====> web env vars\nONLY_APP:     a\nONLY_GLOBAL:  g\nSHARED:       app\n"
    );
    assert_eq!(
        sb.dokku(&["config:export", "web", "--merged", "--format", "json"])
            .ok()
            .stdout,
        "{\"ONLY_APP\":\"a\",\"ONLY_GLOBAL\":\"g\",\"SHARED\":\"app\"}\n"
    );
    sb.dokku(&["config:unset", "--global", "SHARED"])
        .ok()
        .out_has("-----> Unsetting SHARED");
    assert_eq!(
        sb.dokku(&["config:keys", "--global"]).ok().stdout,
        "ONLY_GLOBAL\n"
    );
    sb.dokku(&["config:clear", "--global"]).ok();
    assert_eq!(sb.dokku(&["config:keys", "--global"]).ok().stdout, "");
    assert_eq!(
        sb.dokku(&["config:keys", "web"]).ok().stdout,
        "ONLY_APP\nSHARED\n"
    );
}

#[test]
fn unset_and_clear() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&["config:set", "--no-restart", "web", "A=1", "B=2", "C=3"])
        .ok();
    let o = sb
        .dokku(&["config:unset", "--no-restart", "web", "A", "NOPE", "C"])
        .ok();
    assert_eq!(
        o.stdout,
        "-----> Unsetting A\n-----> Skipping NOPE, it is not set in the environment\n-----> Unsetting C\n"
    );
    assert_eq!(sb.dokku(&["config:keys", "web"]).ok().stdout, "B\n");
    assert_eq!(sb.dokku(&["config:get", "web", "A"]).code, 1);
    sb.dokku(&["config:set", "--no-restart", "web", "D=4"]).ok();
    let o = sb.dokku(&["config:clear", "--no-restart", "web"]).ok();
    assert_eq!(o.stdout, "-----> Unsetting B\n-----> Unsetting D\n");
    assert_eq!(sb.dokku(&["config:keys", "web"]).ok().stdout, "");
    assert_eq!(fs::read_to_string(env_file(&sb, "web")).unwrap(), "");
    sb.dokku(&["config:clear", "web"])
        .ok()
        .out_has("No config vars to clear for web");
}

#[test]
fn fires_post_config_update_and_app_restart() {
    let sb = Sandbox::new();
    app(&sb, "web");
    let log = sb.record_triggers("recorder", &["post-config-update", "app-restart"]);
    let o = sb.dokku(&["config:set", "web", "B=2", "A=1"]).ok();
    // The restart is the scheduler's to do and announce (through `app-restart`); config
    // itself prints nothing about it, so an app never deployed shows no restart.
    assert!(!o.stdout.contains("Restarting"), "{o:#?}");
    assert_eq!(
        log.take(),
        "post-config-update web set B A\napp-restart web\n"
    );
    sb.dokku(&["config:set", "--no-restart", "web", "C=3"]).ok();
    assert_eq!(log.take(), "post-config-update web set C\n");
    sb.dokku(&["config:unset", "web", "A", "ZZZ"]).ok();
    assert_eq!(
        log.take(),
        "post-config-update web unset A\napp-restart web\n"
    );
    // Nothing to unset: nothing changed, nothing fired.
    sb.dokku(&["config:unset", "web", "ZZZ"]).ok();
    assert_eq!(log.take(), "");
    sb.dokku(&["config:clear", "--no-restart", "web"]).ok();
    assert_eq!(log.take(), "post-config-update web clear\n");
    // Global: post-config-update with --global, never a restart.
    sb.dokku(&["config:set", "--global", "G=1"]).ok();
    assert_eq!(log.take(), "post-config-update --global set G\n");
    // DOKKU_APP_RESTORE=0 turns the restart off.
    sb.dokku(&["config:set", "web", "DOKKU_APP_RESTORE=0"]).ok();
    assert_eq!(log.take(), "post-config-update web set DOKKU_APP_RESTORE\n");
    // A failing listener is a warning: the change is kept.
    sb.write_plugin("recorder", &[("post-config-update", "#!/bin/sh\nexit 3\n")]);
    let o = sb
        .dokku(&["config:set", "--no-restart", "web", "K=v"])
        .ok()
        .err_has("Failure while triggering post-config-update");
    assert!(o.stdout.contains("Setting config vars"));
    assert_eq!(sb.dokku(&["config:get", "web", "K"]).ok().stdout, "v\n");
}

#[test]
fn export_formats() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&[
        "config:set",
        "--no-restart",
        "web",
        "A=it's",
        "LONG_B=x \"y\" \\z\nw",
    ])
    .ok();
    let cases: &[(&str, &str)] = &[
        ("exports", "export A='it'\\''s'\nexport LONG_B='x \"y\" \\z\nw'\n"),
        ("envfile", "A=\"it's\"\nLONG_B=\"x \\\"y\\\" \\\\z\\nw\"\n"),
        (
            "docker-args",
            "--env=A='it'\\''s' --env=LONG_B='x \"y\" \\z\nw'\n",
        ),
        ("docker-args-keys", "--env=A --env=LONG_B\n"),
        ("shell", "A='it'\\''s' LONG_B='x \"y\" \\z\nw'\n"),
        ("json", "{\"A\":\"it's\",\"LONG_B\":\"x \\\"y\\\" \\\\z\\nw\"}\n"),
        (
            "json-list",
            "[{\"name\":\"A\",\"value\":\"it's\"},{\"name\":\"LONG_B\",\"value\":\"x \\\"y\\\" \\\\z\\nw\"}]\n",
        ),
        ("pretty", "A:       it's\nLONG_B:  x \"y\" \\z\nw\n"),
    ];
    for (format, want) in cases {
        let o = sb.dokku(&["config:export", "web", "--format", format]).ok();
        assert_eq!(o.stdout, *want, "format {format}");
        let o = sb
            .dokku(&["config:export", &format!("--format={format}"), "web"])
            .ok();
        assert_eq!(o.stdout, *want, "format= {format}");
    }
    assert_eq!(
        sb.dokku(&["config:export", "web"]).ok().stdout,
        cases[0].1,
        "exports is the default"
    );
    assert_eq!(
        sb.dokku(&["config:export", "web", "--envfile"]).ok().stdout,
        cases[1].1,
        "--envfile is the legacy spelling"
    );
    // The docker-args output is a valid shell word list giving back each --env=KEY=VALUE.
    let o = sb
        .bash(
            "eval \"set -- $(dokku config:export web --format docker-args)\"; printf '[%s]' \"$@\"",
        )
        .ok();
    assert_eq!(o.stdout, "[--env=A=it's][--env=LONG_B=x \"y\" \\z\nw]");
    // Empty config.
    app(&sb, "empty");
    assert_eq!(sb.dokku(&["config:export", "empty"]).ok().stdout, "");
    assert_eq!(
        sb.dokku(&["config:export", "empty", "--format", "json-list"])
            .ok()
            .stdout,
        "[]\n"
    );
}

#[test]
fn bundle_is_a_tar_of_one_file_per_key() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&["config:set", "--global", "G=global"]).ok();
    let mut args = vec!["config:set", "--no-restart", "web"];
    let pairs: Vec<String> = AWKWARD.iter().map(|(k, v)| format!("{k}={v}")).collect();
    args.extend(pairs.iter().map(String::as_str));
    sb.dokku(&args).ok();
    let out = sb.dir.path().join("bundle");
    fs::create_dir_all(&out).unwrap();
    sb.bash(&format!(
        "set -o pipefail; dokku config:bundle web | tar -xf - -C '{}'",
        out.display()
    ))
    .ok();
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = AWKWARD.iter().map(|(k, _)| k.to_string()).collect();
    want.sort();
    assert_eq!(names, want);
    for (k, v) in AWKWARD {
        assert_eq!(fs::read(out.join(k)).unwrap(), v.as_bytes(), "{k}");
    }
    // --merged brings the global ones in; --global alone only those.
    let o = sb
        .bash("dokku config:bundle web --merged | tar -tf - | sort")
        .ok();
    assert!(o.stdout.lines().any(|l| l == "G"), "{o:#?}");
    let o = sb.bash("dokku config:bundle --global | tar -tf -").ok();
    assert_eq!(o.stdout, "G\n");
    // An empty config is an empty (but valid) archive.
    app(&sb, "empty");
    let o = sb
        .bash("set -o pipefail; dokku config:bundle empty | tar -tf -")
        .ok();
    assert_eq!(o.stdout, "");
}

#[test]
fn answers_config_triggers() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&["config:set", "--no-restart", "web", "KEY=a b\nc", "OTHER=o"])
        .ok();
    sb.dokku(&["config:set", "--global", "GKEY=global value", "KEY=g"])
        .ok();
    let o = sb.plugn(&["trigger", "config-get", "web", "KEY"]).ok();
    assert_eq!(o.stdout, "a b\nc");
    let o = sb.plugn(&["trigger", "config-get", "web", "MISSING"]).ok();
    assert_eq!(o.stdout, "");
    let o = sb
        .plugn(&["trigger", "config-get", "no-such-app", "KEY"])
        .ok();
    assert_eq!(o.stdout, "");
    let o = sb
        .plugn(&["trigger", "config-get", "--global", "GKEY"])
        .ok();
    assert_eq!(o.stdout, "global value");
    let o = sb.plugn(&["trigger", "config-get-global", "GKEY"]).ok();
    assert_eq!(o.stdout, "global value");
    let o = sb.plugn(&["trigger", "config-get-global", "NOPE"]).ok();
    assert_eq!(o.stdout, "");
    let o = sb
        .plugn(&["trigger", "config-export", "web", "false", "false", "json"])
        .ok();
    assert_eq!(o.stdout, "{\"KEY\":\"a b\\nc\",\"OTHER\":\"o\"}\n");
    let o = sb
        .plugn(&[
            "trigger",
            "config-export",
            "web",
            "false",
            "true",
            "docker-args-keys",
        ])
        .ok();
    assert_eq!(o.stdout, "--env=GKEY --env=KEY --env=OTHER\n");
    let o = sb
        .plugn(&["trigger", "config-export", "", "true", "false", "shell"])
        .ok();
    assert_eq!(o.stdout, "GKEY='global value' KEY='g'\n");
    sb.plugn(&["trigger", "config-export", "web", "false", "false", "yaml"])
        .fails()
        .err_has("Unknown export format");
    sb.plugn(&["trigger", "config-export", "web", "maybe", "false", "json"])
        .fails()
        .err_has("GLOBAL must be true or false");
    sb.plugn(&[
        "trigger",
        "config-export",
        "ghost",
        "false",
        "false",
        "json",
    ])
    .fails()
    .err_has("App ghost does not exist");
    sb.plugn(&["trigger", "config-get", "web"])
        .fails()
        .err_has("expected APP KEY");
}

#[test]
fn fifty_concurrent_sets_lose_nothing() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&["config:set", "--no-restart", "web", "BEFORE=kept"])
        .ok();
    let children: Vec<_> = (0..50)
        .map(|i| {
            let mut c = sb.command(sb.root.join("bin/dokku"));
            c.args([
                "config:set",
                "--no-restart",
                "web",
                &format!("KEY_{i}=value {i} 'q'"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            c.spawn().expect("spawn dokku")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let keys = sb.dokku(&["config:keys", "web"]).ok().stdout;
    assert_eq!(keys.lines().count(), 51, "{keys}");
    for i in 0..50 {
        assert_eq!(
            sb.dokku(&["config:get", "web", &format!("KEY_{i}")])
                .ok()
                .stdout,
            format!("value {i} 'q'\n")
        );
    }
    assert_eq!(
        sb.dokku(&["config:get", "web", "BEFORE"]).ok().stdout,
        "kept\n"
    );
}

#[test]
fn bad_input_is_refused_with_one_line_and_nothing_written() {
    let sb = Sandbox::new();
    app(&sb, "web");
    sb.dokku(&["config:set", "--no-restart", "web", "KEEP=1"])
        .ok();
    sb.dokku(&["config:set", "--global", "GKEEP=1"]).ok();
    let app_env = env_file(&sb, "web");
    let global_env = sb.lib_root().join("config/--global/ENV");
    let before = (read_or_empty(&app_env), read_or_empty(&global_env));
    let cases: &[(&[&str], &str)] = &[
        (&["config:set", "web", "1BAD=x"], "Invalid key name"),
        (
            &["config:set", "web", "OK=1", "BAD-KEY=x"],
            "Invalid key name",
        ),
        (&["config:set", "web", "=x"], "Invalid key name"),
        (
            &["config:set", "web", "OK=1", "NOEQUALS"],
            "Invalid env pair",
        ),
        (&["config:set", "--global", "NOEQUALS"], "Invalid env pair"),
        (
            &["config:set", "web"],
            "At least one env pair must be given",
        ),
        (
            &["config:set", "--encoded", "web", "A=Zm9v", "B=@@@@"],
            "Invalid base64 value for key B",
        ),
        (
            &["config:set", "--encoded", "web", "A=Zm9"],
            "Invalid base64 value for key A",
        ),
        (
            &["config:set", "--encoded", "web", "A=//79"],
            "not valid UTF-8",
        ),
        (&["config:set", "--encoded", "web", "A=AA=="], "NUL"),
        (&["config:set", "ghost", "A=1"], "App ghost does not exist"),
        (
            &["config:set", "Bad_App", "A=1"],
            "App name must begin with lowercase",
        ),
        (
            &["config:set", "../web", "A=1"],
            "App name must begin with lowercase",
        ),
        (
            &["config:set", "--bogus", "web", "A=1"],
            "unknown flag --bogus",
        ),
        (
            &["config:set", "--encoded=yes", "web", "A=1"],
            "takes no value",
        ),
        (&["config:set"], "Please specify an app or --global"),
        (&["config:unset", "web", "BAD-KEY"], "Invalid key name"),
        (
            &["config:unset", "web", "KEEP", "BAD KEY"],
            "Invalid key name",
        ),
        (&["config:unset", "web"], "At least one key must be given"),
        (
            &["config:unset", "ghost", "KEEP"],
            "App ghost does not exist",
        ),
        (&["config:clear", "ghost"], "App ghost does not exist"),
        (&["config:clear", "web", "extra"], "unexpected argument"),
        (&["config:clear", "--force-it", "web"], "unknown flag"),
        (&["config:get", "web"], "Expected a KEY"),
        (&["config:get", "web", "A", "B"], "unexpected argument"),
        (&["config:get", "web", "NOT-A-KEY"], "Invalid key name"),
        (&["config:get", "ghost", "A"], "App ghost does not exist"),
        (&["config:get"], "Please specify an app or --global"),
        (&["config:keys", "web", "extra"], "unexpected argument"),
        (&["config:show", "web", "--bad"], "unknown flag --bad"),
        (&["config", "ghost"], "App ghost does not exist"),
        (&["config"], "Please specify an app or --global"),
        (
            &["config:export", "web", "--format", "yaml"],
            "Unknown export format",
        ),
        (&["config:export", "web", "--format"], "needs a value"),
        (
            &["config:export", "web", "--format", "json", "--envfile"],
            "Only one of",
        ),
        (&["config:bundle", "ghost"], "App ghost does not exist"),
        (&["config:bundle", "web", "--nope"], "unknown flag"),
    ];
    for (args, needle) in cases {
        let o = sb.dokku(args).fails();
        let line = one_error_line(&o);
        assert!(line.contains(needle), "{args:?}: {line:?} lacks {needle:?}");
        assert_eq!(
            (read_or_empty(&app_env), read_or_empty(&global_env)),
            before,
            "{args:?} changed an ENV file"
        );
    }
    assert!(!sb.dokku_root().join("ghost").exists());
    assert_eq!(sb.dokku(&["config:get", "web", "OK"]).code, 1);
    assert_eq!(sb.dokku(&["config:get", "web", "A"]).code, 1);
}

#[test]
fn corrupt_env_file_is_named_and_left_alone() {
    let sb = Sandbox::new();
    app(&sb, "web");
    let bad = "export GOOD='1'\nexport BROKEN='unterminated\n";
    fs::create_dir_all(env_file(&sb, "web").parent().unwrap()).unwrap();
    fs::write(env_file(&sb, "web"), bad).unwrap();
    let o = sb
        .dokku(&["config:set", "--no-restart", "web", "A=1"])
        .fails();
    let line = one_error_line(&o);
    assert!(line.contains("/web/ENV"), "{line}");
    assert!(line.contains("unterminated"), "{line}");
    assert_eq!(fs::read_to_string(env_file(&sb, "web")).unwrap(), bad);
    let o = sb.dokku(&["config:get", "web", "GOOD"]).fails();
    assert!(one_error_line(&o).contains("/web/ENV"));
    // Older hand-written forms are read: double quotes, bare words, comments.
    fs::write(
        env_file(&sb, "web"),
        "# comment\nexport OLD=\"dq \\\"x\\\"\"\nBARE=word\n",
    )
    .unwrap();
    assert_eq!(
        sb.dokku(&["config:get", "web", "OLD"]).ok().stdout,
        "dq \"x\"\n"
    );
    sb.dokku(&["config:set", "--no-restart", "web", "NEW=n"])
        .ok();
    assert_eq!(
        fs::read_to_string(env_file(&sb, "web")).unwrap(),
        "export BARE='word'\nexport NEW='n'\nexport OLD='dq \"x\"'\n"
    );
}

#[test]
fn help_lists_the_commands() {
    let sb = Sandbox::new();
    let o = sb.dokku(&["config:help"]).ok();
    for cmd in [
        "config (<app>|--global)",
        "config:bundle",
        "config:clear",
        "config:export",
        "config:get",
        "config:keys",
        "config:set [--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
        "config:show",
        "config:unset",
    ] {
        assert!(o.stdout.contains(cmd), "help lacks {cmd}: {o:#?}");
    }
    sb.dokku(&["help"]).ok().out_has("config");
    sb.dokku(&["help", "--all"]).ok().out_has("config:unset");
}
