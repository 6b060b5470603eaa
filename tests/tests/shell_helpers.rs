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
    // Nothing was written anywhere: config/ holds no file, lib/ nothing new.
    let config = sb.lib_root().join("config");
    let mut stack = vec![config.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            assert!(p.is_dir(), "unexpected file {}", p.display());
            stack.push(p);
        }
    }
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
