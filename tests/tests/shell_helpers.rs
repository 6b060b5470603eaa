//! `plugins-available/common/functions`, the helper library shell plugins source: log output
//! and streams, quiet variants, app-name checks with Dokku's messages, the events-log line, and
//! the property helpers (same files as the Rust property store: `config/PLUGIN/APP/KEY` holding
//! value + "\n", mode 0600, written atomically; path-escaping parts refused).
//!
//! Every script runs with `set -euo pipefail` before sourcing, as strict plugins do.

use dokku_tests::{Out, Sandbox};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

const PRELUDE: &str = "set -euo pipefail\n. \"$PLUGIN_CORE_AVAILABLE_PATH/common/functions\"\n";

/// Runs `script` after sourcing the helpers, with `args` as `$1…` (never through the script
/// text) and extra environment.
fn sh_with(sb: &Sandbox, script: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut c = sb.command("bash");
    c.arg("-c")
        .arg(format!("{PRELUDE}{script}"))
        .arg("helpers-test")
        .args(args)
        .envs(env.iter().copied());
    sb.run(c, b"")
}

fn sh(sb: &Sandbox, script: &str, args: &[&str]) -> Out {
    sh_with(sb, script, args, &[])
}

/// The file of one property.
fn prop_file(sb: &Sandbox, plugin: &str, app: &str, key: &str) -> PathBuf {
    sb.lib_root()
        .join("config")
        .join(plugin)
        .join(app)
        .join(key)
}

/// The names in a folder, sorted.
fn entries(dir: &PathBuf) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn log_helpers_print_dokku_style_on_the_right_stream() {
    let sb = Sandbox::new();
    let cases: &[(&str, &str, &str)] = &[
        ("dokku_log_info1 'a  b' c", "-----> a  b c\n", ""),
        ("dokku_log_info2 heading", "=====> heading\n", ""),
        ("dokku_log_verbose detail", "       detail\n", ""),
        ("dokku_log_exclaim careful", " !     careful\n", ""),
        ("dokku_log_quiet plain", "plain\n", ""),
        ("dokku_log_info1_quiet q1", "-----> q1\n", ""),
        ("dokku_log_info2_quiet q2", "=====> q2\n", ""),
        ("dokku_log_verbose_quiet qv", "       qv\n", ""),
        ("dokku_log_exclaim_quiet qe", " !     qe\n", ""),
        ("dokku_log_warn 'watch out'", "", " !     watch out\n"),
        ("dokku_log_warn_quiet qw", "", " !     qw\n"),
        ("dokku_log_stderr raw", "", "raw\n"),
        // Messages that look like options or format strings are printed as they are.
        ("dokku_log_info1 -n '%s' '\\n'", "-----> -n %s \\n\n", ""),
    ];
    for (script, stdout, stderr) in cases {
        let out = sh(&sb, script, &[]).ok();
        assert_eq!(&out.stdout, stdout, "{script}");
        assert_eq!(&out.stderr, stderr, "{script}");
    }
    // Columns, as Dokku's printf formats lay them out.
    let out = sh(&sb, "dokku_col_log_info1 a b; dokku_col_log_msg k v", &[]).ok();
    let expected = format!(
        "{:<6} {:<18} {:<25} {:<25} {:<25}\n{:<25} {:<25} {:<25} {:<25}\n",
        "----->", "a", "b", "", "", "k", "v", "", ""
    );
    assert_eq!(out.stdout, expected);
}

#[test]
fn quiet_variants_are_silent_under_dokku_quiet_output() {
    let sb = Sandbox::new();
    let quiet = [("DOKKU_QUIET_OUTPUT", "1")];
    let out = sh_with(
        &sb,
        "dokku_log_info1_quiet a; dokku_log_info2_quiet b; dokku_log_verbose_quiet c\n\
         dokku_log_exclaim_quiet d; dokku_log_warn_quiet e; dokku_log_quiet f\n\
         dokku_col_log_info1_quiet g; dokku_col_log_msg_quiet h\n\
         echo done",
        &[],
        &quiet,
    )
    .ok();
    assert_eq!(out.stdout, "done\n");
    assert_eq!(out.stderr, "");
    // The plain ones still print, and warnings always do.
    let out = sh_with(&sb, "dokku_log_info1 a; dokku_log_warn w", &[], &quiet).ok();
    assert_eq!(out.stdout, "-----> a\n");
    assert_eq!(out.stderr, " !     w\n");
}

#[test]
fn log_fail_prints_and_exits() {
    let sb = Sandbox::new();
    let out = sh(&sb, "dokku_log_fail 'it broke'; echo not reached", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, " !     it broke\n");
    // Without set -e too: exit means exit.
    let out = sh(&sb, "set +e; dokku_log_fail x; echo not reached", &[]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""));
    // Dokku's DOKKU_FAIL_EXIT_CODE is honoured; nonsense falls back to 1.
    let out = sh_with(
        &sb,
        "dokku_log_fail gone",
        &[],
        &[("DOKKU_FAIL_EXIT_CODE", "20")],
    );
    assert_eq!(out.code, 20);
    let out = sh_with(
        &sb,
        "dokku_log_fail x",
        &[],
        &[("DOKKU_FAIL_EXIT_CODE", "abc")],
    );
    assert_eq!(out.code, 1);
}

#[test]
fn sourcing_changes_no_shell_option() {
    let sb = Sandbox::new();
    let mut c = sb.command("bash");
    c.arg("-c").arg(
        "before=\"$-|$(set +o)|$(shopt -p)\"\n\
         . \"$PLUGIN_CORE_AVAILABLE_PATH/common/functions\"\n\
         dokku_log_info1 x >/dev/null; fn-plugin-property-get p a k >/dev/null\n\
         after=\"$-|$(set +o)|$(shopt -p)\"\n\
         [[ \"$before\" == \"$after\" ]] && echo same",
    );
    let out = sb.run(c, b"").ok();
    assert_eq!(out.stdout, "same\n");
    assert_eq!(out.stderr, "");
}

const LONG63: &str = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc";

#[test]
fn is_valid_app_name_follows_the_core_rule() {
    let sb = Sandbox::new();
    let seventy = "a".repeat(70);
    let sixty_four = "a".repeat(64);
    let script =
        "for n in \"$@\"; do if is_valid_app_name \"$n\"; then echo 0; else echo 1; fi; done";
    let good = ["a", "app", "my-app.v2", "0x", "9", LONG63];
    let out = sh(&sb, script, &good).ok();
    assert_eq!(out.stdout, "0\n".repeat(good.len()), "{good:?}");
    assert_eq!(out.stderr, "");
    let bad = [
        "",
        "../x",
        "A",
        "a_b",
        "-x",
        ".x",
        "a:b",
        "a b",
        "a/b",
        "aB",
        "é",
        "a\nb",
        sixty_four.as_str(),
        seventy.as_str(),
    ];
    let out = sh(&sb, script, &bad).ok();
    assert_eq!(out.stdout, "1\n".repeat(bad.len()), "{bad:?}");
    assert_eq!(out.stderr, "");
}

#[test]
fn verify_app_name_fails_with_dokkus_messages() {
    let sb = Sandbox::new();
    const INVALID: &str = " !     App name must begin with lowercase alphanumeric character, and cannot include uppercase characters, colons, or underscores\n";
    for bad in ["../x", "A", "a_b", "-x", "a:b", "é"] {
        let out = sh(&sb, "verify_app_name \"$1\"; echo not reached", &[bad]);
        assert_eq!(out.code, 1, "{bad}: {out:#?}");
        assert_eq!(out.stdout, "", "{bad}");
        assert_eq!(out.stderr, INVALID, "{bad}");
    }
    let out = sh(&sb, "verify_app_name \"$1\"", &[""]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, " !     APP must not be empty\n")
    );
    let out = sh(&sb, "verify_app_name", &[]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, " !     APP must not be empty\n")
    );
    let seventy = "a".repeat(70);
    let out = sh(&sb, "verify_app_name \"$1\"", &[&seventy]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        " !     App name must be at most 63 characters long (got 70) so that it stays a valid host name\n"
    );
    let out = sh(&sb, "verify_app_name \"$1\"", &["nope"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, " !     App nope does not exist\n")
    );
    // A legacy name (an old Dokku's `my_app`) is accepted for an app on disk, never for a new
    // one: is_valid_app_name keeps the rule for new names.
    std::fs::create_dir(sb.dokku_root().join("my_app")).unwrap();
    let out = sh(&sb, "verify_app_name \"$1\" && echo ok", &["my_app"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "ok\n"), "{out:#?}");
    let out = sh(
        &sb,
        "is_valid_app_name \"$1\" || echo new-name-refused",
        &["my_app"],
    );
    assert_eq!(out.stdout, "new-name-refused\n", "{out:#?}");
    for bad in ["my_app/../x", "my..app"] {
        sh(&sb, "verify_app_name \"$1\"", &[bad]).fails();
    }
    // An existing app passes silently.
    for app in ["myapp", LONG63] {
        std::fs::create_dir_all(sb.dokku_root().join(app)).unwrap();
        let out = sh(&sb, "verify_app_name \"$1\"; echo fine", &[app]).ok();
        assert_eq!(out.stdout, "fine\n");
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn log_event_appends_one_syslog_line() {
    let sb = Sandbox::new();
    sh(
        &sb,
        "dokku_log_event 'hello world'; dokku_log_event \"$1\"; dokku_log_plugn_trigger post-deploy app 5000",
        &["two\nlines"],
    )
    .ok();
    let log = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(log.ends_with('\n'));
    for l in &lines {
        // "Mon DD HH:MM:SS HOST dokku-event[PID]: …"
        let month = &l[..3];
        assert!(
            month.chars().all(|c| c.is_ascii_alphabetic())
                && month.starts_with(|c: char| c.is_ascii_uppercase()),
            "{l}"
        );
        assert_eq!(&l[3..4], " ", "{l}");
        assert_eq!(&l[9..10], ":", "{l}");
        assert!(l.contains(" dokku-event["), "{l}");
    }
    assert!(lines[0].ends_with("]: hello world"), "{}", lines[0]);
    assert!(lines[1].ends_with("]: two\\nlines"), "{}", lines[1]);
    assert!(
        lines[2]
            .contains("]: INVOKED: post-deploy( app 5000 ) NAME=default FINGERPRINT= DOKKU_PID="),
        "{}",
        lines[2]
    );
}

#[test]
fn property_write_get_default_exists_delete() {
    let sb = Sandbox::new();
    let out = sh(
        &sb,
        "fn-plugin-property-setup myplug\n\
         fn-plugin-property-write myplug app key 'some value'\n\
         fn-plugin-property-get myplug app key\n\
         fn-plugin-property-get myplug app missing\n\
         fn-plugin-property-get myplug app missing fallback\n\
         fn-plugin-property-get-default myplug app missing other\n\
         fn-plugin-property-write myplug app empty ''\n\
         fn-plugin-property-get myplug app empty 'default for empty'\n\
         fn-plugin-property-exists myplug app key && echo key-exists\n\
         fn-plugin-property-exists myplug app missing || echo missing-absent\n\
         fn-plugin-property-write myplug --global key global-value\n\
         fn-plugin-property-get myplug --global key\n\
         fn-plugin-property-delete myplug app key\n\
         fn-plugin-property-delete myplug app key\n\
         fn-plugin-property-exists myplug app key || echo key-deleted\n\
         fn-plugin-property-get myplug app key after-delete",
        &[],
    )
    .ok();
    assert_eq!(
        out.stdout,
        "some value\n\nfallback\nother\ndefault for empty\nkey-exists\nmissing-absent\n\
         global-value\nkey-deleted\nafter-delete\n"
    );
    assert_eq!(out.stderr, "");
    assert_eq!(
        std::fs::read_to_string(prop_file(&sb, "myplug", "--global", "key")).unwrap(),
        "global-value\n"
    );
    // Writing twice replaces; no temp file is left behind.
    sh(
        &sb,
        "fn-plugin-property-write p a k one; fn-plugin-property-write p a k two",
        &[],
    )
    .ok();
    assert_eq!(
        std::fs::read_to_string(prop_file(&sb, "p", "a", "k")).unwrap(),
        "two\n"
    );
    assert_eq!(entries(&sb.lib_root().join("config/p/a")), ["k"]);
}

#[test]
fn awkward_values_round_trip_and_match_the_rust_layout() {
    let sb = Sandbox::new();
    let values = [
        "plain",
        "with  spaces ",
        "it's \"quoted\"",
        "line1\nline2",
        "trailing newline\n",
        "\n\nleading newlines",
        "-n",
        "-e \\n \\t %s %d",
        "$(touch escaped) `touch escaped` $HOME *",
        "tab\there",
        "ünïcödé",
        "",
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{i}");
        let out = sh(
            &sb,
            "fn-plugin-property-write rt app \"$1\" \"$2\"\nfn-plugin-property-get rt app \"$1\"",
            &[&key, v],
        )
        .ok();
        assert_eq!(out.stdout, format!("{v}\n"), "{v:?}");
        // The layout the Rust property store reads: value + "\n", mode 0600.
        let f = prop_file(&sb, "rt", "app", &key);
        assert_eq!(
            std::fs::read(&f).unwrap(),
            format!("{v}\n").into_bytes(),
            "{v:?}"
        );
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{v:?}");
        // Captured as shell plugins do, the value comes back whole when it has no trailing
        // newline (command substitution strips those).
        let out = sh(
            &sb,
            "v=\"$(fn-plugin-property-get rt app \"$1\")\"; [[ \"$v\" == \"${2%%$'\\n'}\" ]] && echo same",
            &[&key, v],
        )
        .ok();
        assert_eq!(out.stdout, "same\n", "{v:?}");
    }
    assert!(!sb.dir.path().join("escaped").exists());
    // A file written the way the Rust side writes it reads back through the shell helper.
    let f = prop_file(&sb, "rust", "--global", "written-by-rust");
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, "multi\nline value\n").unwrap();
    let out = sh(
        &sb,
        "fn-plugin-property-get rust --global written-by-rust",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, "multi\nline value\n");
}

#[test]
fn get_all_destroy_and_clone() {
    let sb = Sandbox::new();
    let out = sh(
        &sb,
        "fn-plugin-property-write pl app1 b 'two words'\n\
         fn-plugin-property-write pl app1 a one\n\
         fn-plugin-property-write other app1 x kept\n\
         fn-plugin-property-get-all pl app1\n\
         fn-plugin-property-clone pl app1 app2\n\
         echo ---\n\
         fn-plugin-property-get-all pl app2\n\
         fn-plugin-property-destroy pl app1\n\
         echo ---\n\
         fn-plugin-property-get-all pl app1\n\
         fn-plugin-property-get other app1 x\n\
         fn-plugin-property-destroy pl never-had-any\n\
         fn-plugin-property-clone pl never-had-any app3\n\
         echo end",
        &[],
    )
    .ok();
    assert_eq!(
        out.stdout,
        "a one\nb two words\n---\na one\nb two words\n---\nkept\nend\n"
    );
    assert_eq!(out.stderr, "");
    assert!(!sb.lib_root().join("config/pl/app1").exists());
    assert_eq!(
        std::fs::read_to_string(prop_file(&sb, "pl", "app2", "b")).unwrap(),
        "two words\n"
    );
    let mode = std::fs::metadata(prop_file(&sb, "pl", "app2", "a"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn list_properties_hold_one_item_per_line() {
    let sb = Sandbox::new();
    let out = sh(
        &sb,
        "fn-plugin-property-list-add lp app domains b.example.com\n\
         fn-plugin-property-list-add lp app domains 'c with space'\n\
         fn-plugin-property-list-add lp app domains a.example.com 0\n\
         fn-plugin-property-list-add lp app domains b.example.com\n\
         fn-plugin-property-list-get lp app domains\n\
         echo ---\n\
         fn-plugin-property-list-remove lp app domains b.example.com\n\
         fn-plugin-property-list-get lp app domains\n\
         echo ---\n\
         fn-plugin-property-list-get lp app none\n\
         fn-plugin-property-list-remove lp app none x\n\
         echo end",
        &[],
    )
    .ok();
    assert_eq!(
        out.stdout,
        "a.example.com\nb.example.com\nc with space\nb.example.com\n---\n\
         a.example.com\nc with space\n---\nend\n"
    );
    assert_eq!(
        std::fs::read_to_string(prop_file(&sb, "lp", "app", "domains")).unwrap(),
        "a.example.com\nc with space\n"
    );
    // Removing the last items removes the property.
    sh(
        &sb,
        "fn-plugin-property-list-remove lp app domains a.example.com\n\
         fn-plugin-property-list-remove lp app domains 'c with space'\n\
         fn-plugin-property-exists lp app domains && exit 1 || true",
        &[],
    )
    .ok();
    // An item cannot hold a newline; a bad index is refused.
    let out = sh(
        &sb,
        "fn-plugin-property-list-add lp app l \"$1\"",
        &["a\nb"],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("newline"), "{out:#?}");
    let out = sh(&sb, "fn-plugin-property-list-add lp app l x -1", &[]);
    assert_eq!(out.code, 1);
    assert!(!prop_file(&sb, "lp", "app", "l").exists());
}

#[test]
fn concurrent_list_adds_lose_nothing() {
    let sb = Sandbox::new();
    let out = sh(
        &sb,
        "for i in $(seq 1 30); do fn-plugin-property-list-add cl app items \"item $i\" & done; wait\n\
         fn-plugin-property-list-get cl app items | sort -V",
        &[],
    )
    .ok();
    let expected: String = (1..=30).map(|i| format!("item {i}\n")).collect();
    assert_eq!(out.stdout, expected);
}

#[test]
fn path_escaping_property_parts_are_refused() {
    let sb = Sandbox::new();
    let long = "k".repeat(256);
    let bad = ["", ".", "..", "a/b", "../..", "/abs", long.as_str()];
    // The files under config/ before (the install records its migrations there).
    let files_under = |root: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    };
    let config = sb.lib_root().join("config");
    let before = files_under(&config);
    for part in bad {
        for (script, what) in [
            ("fn-plugin-property-write \"$1\" app key v", "plugin"),
            ("fn-plugin-property-write p \"$1\" key v", "app"),
            ("fn-plugin-property-write p app \"$1\" v", "key"),
            ("fn-plugin-property-get p app \"$1\" default", "key"),
            ("fn-plugin-property-exists p app \"$1\"", "key"),
            ("fn-plugin-property-delete p app \"$1\"", "key"),
            ("fn-plugin-property-destroy p \"$1\"", "app"),
            ("fn-plugin-property-destroy \"$1\" app", "plugin"),
            ("fn-plugin-property-clone p app \"$1\"", "app"),
            ("fn-plugin-property-list-add p app \"$1\" v", "key"),
            ("fn-plugin-property-list-get p app \"$1\"", "key"),
            ("fn-plugin-property-setup \"$1\"", "plugin"),
        ] {
            let out = sh(&sb, &format!("{script}; echo not reached"), &[part]);
            assert_eq!(out.code, 1, "{script} {part:?}: {out:#?}");
            assert_eq!(out.stdout, "", "{script} {part:?}");
            assert!(
                out.stderr
                    .starts_with(&format!(" !     invalid property {what} ")),
                "{script} {part:?}: {out:#?}"
            );
            assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        }
    }
    // Nothing was written anywhere: config/ holds the files it held, lib/ nothing new.
    assert_eq!(files_under(&config), before);
    for name in ["key", "v", "app"] {
        assert!(!sb.lib_root().join(name).exists(), "{name}");
        assert!(!config.join(name).exists(), "{name}");
    }
    // Without set -e the helpers report failure by status, so callers can test it.
    let out = sh(
        &sb,
        "set +e; fn-plugin-property-write p .. k v; echo \"status $?\"",
        &[],
    );
    assert_eq!(out.stdout, "status 1\n");
}

// ---------------------------------------------------------------------------------------------
// The helpers community plugins source beyond logging and properties (issue 6). Those that need
// Docker are in shell_helpers_docker.rs.

/// Sources the named core plugins' `functions` files (after common) before `script`.
fn sh_plugins(sb: &Sandbox, plugins: &[&str], script: &str, args: &[&str]) -> Out {
    let mut s = String::new();
    for p in plugins {
        s.push_str(&format!(
            ". \"$PLUGIN_CORE_AVAILABLE_PATH/{p}/functions\"\n"
        ));
    }
    s.push_str(script);
    sh(sb, &s, args)
}

#[test]
fn every_functions_file_sources_cleanly_under_strict_mode() {
    let sb = Sandbox::new();
    for p in [
        "config",
        "apps",
        "proxy",
        "domains",
        "docker-options",
        "checks",
        "ps",
    ] {
        let out = sh_plugins(&sb, &[p], "echo sourced \"$DOCKER_BIN\"", &[]).ok();
        assert_eq!(out.stdout, "sourced docker\n", "{p}");
        assert_eq!(out.stderr, "", "{p}");
    }
    // DOCKER_BIN set by the caller is kept.
    let out = sh_with(
        &sb,
        "echo \"$DOCKER_BIN\"",
        &[],
        &[("DOCKER_BIN", "podman")],
    )
    .ok();
    assert_eq!(out.stdout, "podman\n");
}

#[test]
fn config_set_get_unset_export_round_trip() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "cfg"]).ok();
    let value = "it's  \"quoted\" $HOME \\n `x` = y";
    let out = sh_plugins(
        &sb,
        &["config"],
        "config_set --no-restart cfg \"Q=$1\" B=2 >/dev/null\nconfig_get cfg Q\nconfig_get cfg B",
        &[value],
    )
    .ok();
    assert_eq!(out.stdout, format!("{value}\n2\n"));
    // The value is the one the config plugin stored.
    assert_eq!(sb.config_get("cfg", "Q"), value);
    // An unset key: nothing, status 1.
    let out = sh_plugins(&sb, &["config"], "config_get cfg NOPE", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    // config_export app: eval-able export lines giving the value back.
    let out = sh_plugins(
        &sb,
        &["config"],
        "eval \"$(config_export app cfg)\"; printf '%s|%s' \"$Q\" \"$B\"",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, format!("{value}|2"));
    // Global config.
    let out = sh_plugins(
        &sb,
        &["config"],
        "config_set --global G='a b' >/dev/null; config_get --global G; config_export global",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, "a b\nexport G='a b'\n");
    // Merged: the app's and the global keys.
    let out = sh_plugins(&sb, &["config"], "config_export app cfg true", &[]).ok();
    assert!(out.stdout.contains("export G='a b'\n"), "{}", out.stdout);
    assert!(out.stdout.contains("export B='2'\n"), "{}", out.stdout);
    // Unset.
    let out = sh_plugins(
        &sb,
        &["config"],
        "config_unset --no-restart cfg Q >/dev/null; config_get cfg Q || echo \"rc=$?\"",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, "rc=1\n");
    // A missing app fails with the config plugin's error.
    let out = sh_plugins(&sb, &["config"], "config_set --no-restart nosuch A=1", &[]);
    assert_ne!(out.code, 0);
    // A bad export type fails.
    let out = sh_plugins(&sb, &["config"], "config_export both cfg", &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("type must be app or global"),
        "{}",
        out.stderr
    );
}

#[test]
fn apps_helpers_create_check_and_destroy() {
    let sb = Sandbox::new();
    let script = "apps_exists h1 || echo absent\n\
                  apps_create h1 >/dev/null\n\
                  apps_exists h1 && echo present\n\
                  apps_maybe_create h1 && echo kept\n\
                  apps_maybe_create h2 >/dev/null && apps_exists h2 && echo made\n\
                  apps_destroy h2 >/dev/null\n\
                  apps_exists h2 || echo gone\n\
                  DOKKU_QUIET_OUTPUT=1 dokku_apps";
    let out = sh_plugins(&sb, &["apps"], script, &[]).ok();
    assert_eq!(out.stdout, "absent\npresent\nkept\nmade\ngone\nh1\n");
    // apps_create of an existing app fails.
    let out = sh_plugins(&sb, &["apps"], "apps_create h1", &[]);
    assert_ne!(out.code, 0);
    // dokku_apps with no app fails with Dokku's message.
    sb.dokku(&["--force", "apps:destroy", "h1"]).ok();
    let out = sh(&sb, "dokku_apps", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        " !     You haven't deployed any applications yet\n"
    );
}

#[test]
fn proxy_and_domains_helpers_follow_the_plugins() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "px"]).ok();
    let both = &["proxy", "domains"];
    let script = "is_app_proxy_enabled px && echo enabled\n\
                  get_app_proxy_type px\n\
                  get_app_domains px\n\
                  get_global_vhosts\n\
                  is_app_vhost_enabled px && echo vhost\n\
                  is_global_vhost_enabled && echo global";
    let out = sh_plugins(&sb, both, script, &[]).ok();
    assert_eq!(
        out.stdout,
        "enabled\nnginx\npx.dokku.localhost\ndokku.localhost\nvhost\nglobal\n"
    );
    sb.dokku(&["proxy:disable", "px"]).ok();
    sb.dokku(&["proxy:set", "px", "caddy"]).ok();
    sb.dokku(&["domains:add", "px", "www.example.com"]).ok();
    sb.dokku(&["domains:set-global", "a.test", "b.test"]).ok();
    let out = sh_plugins(
        &sb,
        both,
        "is_app_proxy_enabled px || echo \"disabled rc=$?\"\nget_app_proxy_type px\nget_app_domains px\nget_global_vhosts",
        &[],
    )
    .ok();
    assert_eq!(
        out.stdout,
        "disabled rc=1\ncaddy\npx.dokku.localhost\nwww.example.com\na.test\nb.test\n"
    );
    // Disabled domains: none listed.
    sb.dokku(&["domains:disable", "px"]).ok();
    let out = sh_plugins(
        &sb,
        both,
        "is_app_vhost_enabled px || echo off\nget_app_domains px",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, "off\n");
    // A missing app fails as verify_app_name does.
    let out = sh_plugins(&sb, both, "is_app_proxy_enabled nosuch", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, " !     App nosuch does not exist\n");
}

#[test]
fn docker_options_checks_and_ps_helpers_read_the_plugins_state() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "dop"]).ok();
    sb.dokku(&["docker-options:add", "dop", "deploy,run", "-v /a:/b"])
        .ok();
    sb.dokku(&["ps:scale", "--skip-deploy", "dop", "web=2", "worker=1"])
        .ok();
    let script = "get_docker_options dop deploy\n\
                  get_docker_options dop build\n\
                  get_phase_file_path dop run\n\
                  get_app_scale dop\n\
                  is_app_checks_disabled dop || echo checks-on\n\
                  checks_disable dop >/dev/null\n\
                  is_app_checks_disabled dop && echo checks-off\n\
                  is_app_checks_skipped dop || echo not-skipped";
    let out = sh_plugins(&sb, &["docker-options", "ps", "checks"], script, &[]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "-v /a:/b\n{}/config/docker-options/dop/_default_.run\nweb=2\nworker=1\nchecks-on\nchecks-off\nnot-skipped\n",
            sb.lib_root().display()
        )
    );
    let out = sh_plugins(&sb, &["docker-options"], "get_docker_options dop nope", &[]);
    assert_eq!(out.code, 1);
}

#[test]
fn small_utilities_match_dokkus_contracts() {
    let sb = Sandbox::new();
    let cases: &[(&str, &str)] = &[
        ("fn-in-array b a b c && echo yes", "yes\n"),
        ("fn-in-array 'a b' a b || echo no", "no\n"),
        ("fn-in-array x || echo empty", "empty\n"),
        ("is_number 42 && ! is_number 4a && ! is_number '' && echo ok", "ok\n"),
        ("is_abs_path /x && ! is_abs_path x && echo ok", "ok\n"),
        ("suppress_output echo hidden; echo after", "after\n"),
        (
            "suppress_output sh -c 'echo out; echo err >&2; exit 3' || echo \"rc=$?\"",
            "out\nerr\nrc=3\n",
        ),
        (
            "parse_args --quiet --app foo cmd --force --trace x; \
             echo \"$DOKKU_APP_NAME $DOKKU_QUIET_OUTPUT $DOKKU_APPS_FORCE_DELETE $DOKKU_TRACE [$DOKKU_GLOBAL_FLAGS]\"",
            "foo 1 1 1 [--quiet --app foo --force --trace]\n",
        ),
        (
            "parse_args plain args; echo \"${DOKKU_APP_NAME:-none} ${DOKKU_QUIET_OUTPUT:-none}\"",
            "none none\n",
        ),
        ("get_app_image_repo app1", "dokku/app1\n"),
        ("get_app_image_name app1", "dokku/app1:latest\n"),
        ("has_tty </dev/null || echo no-tty", "no-tty\n"),
    ];
    for (script, stdout) in cases {
        let out = sh(&sb, script, &[]).ok();
        assert_eq!(&out.stdout, stdout, "{script}");
    }
    let out = sh(&sb, "get_app_image_repo ''", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        " !     (get_app_image_repo) APP must not be null\n"
    );

    // EXPOSE lines, any case, comments dropped; nothing for a missing file or no EXPOSE.
    let df = sb.dir.path().join("Dockerfile");
    std::fs::write(
        &df,
        "FROM x\nEXPOSE 80 443/tcp\r\nexpose 8080 # web\nRUN echo EXPOSE 9\n",
    )
    .unwrap();
    let out = sh(
        &sb,
        "get_dockerfile_exposed_ports \"$1\"",
        &[df.to_str().unwrap()],
    )
    .ok();
    assert_eq!(out.stdout, "80 443/tcp 8080\n");
    let out = sh(&sb, "get_dockerfile_exposed_ports /nonexistent", &[]).ok();
    assert_eq!(out.stdout, "");

    // A free port: a number in range that can be bound now.
    let out = sh(&sb, "get_available_port", &[]).ok();
    let port: u16 = out.stdout.trim().parse().unwrap();
    assert!(port > 1024, "{port}");
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
}

#[test]
fn is_deployed_and_container_records_without_docker() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "dep"]).ok();
    let out = sh(&sb, "is_deployed dep || echo \"no rc=$?\"; is_deployed nosuch || echo missing; get_app_container_ids dep; echo end", &[]).ok();
    assert_eq!(out.stdout, "no rc=1\nmissing\nend\n");
    // Container records, as the scheduler writes them, make the app deployed.
    let dir = sb.dokku_root().join("dep");
    std::fs::write(dir.join("CONTAINER.web.1"), "aaa111\n").unwrap();
    std::fs::write(dir.join("CONTAINER.web.2"), "bbb222\n").unwrap();
    std::fs::write(dir.join("CONTAINER.worker.1"), "ccc333\n").unwrap();
    let script = "is_deployed dep && echo yes\n\
                  get_app_container_ids dep\n\
                  get_app_container_ids dep web\n\
                  get_app_container_ids dep worker.1\n\
                  get_app_container_ids dep web.9; echo end";
    let out = sh(&sb, script, &[]).ok();
    assert_eq!(
        out.stdout,
        "yes\naaa111 bbb222 ccc333\naaa111 bbb222\nccc333\nend\n"
    );
    // The ps property `deployed` alone also counts.
    sb.dokku(&["apps:create", "dep2"]).ok();
    let out = sh(
        &sb,
        "fn-plugin-property-write ps dep2 deployed true; is_deployed dep2 && echo yes",
        &[],
    )
    .ok();
    assert_eq!(out.stdout, "yes\n");
    // get_app_container_ids of a missing app fails as verify_app_name does.
    let out = sh(&sb, "get_app_container_ids nosuch", &[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, " !     App nosuch does not exist\n");
}
