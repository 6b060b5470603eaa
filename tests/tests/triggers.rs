//! The trigger contract, through the real `plugn` binary and the fixture plugins of
//! `tests/fixtures/plugins` (bash and python): byte-wise order, the same arguments to each,
//! one shared stdin stream, `CONFIG_*`, concatenated stdout, stderr passed through, the first
//! failure stopping the chain, non-executable files and broken manifests skipped, enable and
//! disable, subcommands and `commands` through `dokku`, and a community plugin replacing a
//! core plugin's trigger.

use dokku_tests::{fixture, Out, Sandbox};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A sandbox with these fixture plugins added and enabled.
fn sandbox(fixtures: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    for f in fixtures {
        sb.add_fixture_plugin(f);
    }
    sb
}

/// `plugn trigger NAME ARGS…` with `input` on stdin and extra environment.
fn trigger(sb: &Sandbox, name: &str, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Out {
    let mut c = sb.command(sb.root.join("bin/plugn"));
    c.arg("trigger")
        .arg(name)
        .args(args)
        .envs(env.iter().copied());
    sb.run(c, input)
}

/// `plugn trigger NAME ARGS…` with empty stdin.
fn fire(sb: &Sandbox, name: &str, args: &[&str]) -> Out {
    trigger(sb, name, args, b"", &[])
}

/// The file the `fx-record` triggers append to.
fn record_log(sb: &Sandbox) -> PathBuf {
    sb.lib_root().join("data/fx-record.log")
}

/// What the `fx-record` triggers recorded (empty when nothing ran).
fn recorded(sb: &Sandbox) -> String {
    std::fs::read_to_string(record_log(sb)).unwrap_or_default()
}

/// The `plugn list` line of plugin `name`.
fn list_line(sb: &Sandbox, name: &str) -> String {
    let out = sb.plugn(&["list"]).ok();
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("{name} not listed: {}", out.stdout))
        .to_string()
}

#[test]
fn plugins_run_in_byte_order_with_the_same_arguments() {
    // Added in reverse order: the order comes from the names, not from when they were enabled.
    let sb = sandbox(&["fx-python", "fx-bash"]);
    fire(&sb, "fx-record", &["a", "b c"]).ok();
    assert_eq!(recorded(&sb), "fx-bash a b c\nfx-python a b c\n");
    fire(&sb, "fx-record", &["second"]).ok();
    assert_eq!(
        recorded(&sb),
        "fx-bash a b c\nfx-python a b c\nfx-bash second\nfx-python second\n"
    );
}

#[test]
fn arguments_reach_every_plugin_verbatim() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    let args = [
        "plain",
        "with  two spaces",
        "it's \"quoted\"",
        "line1\nline2",
        "",
        "--flag",
        "$HOME `id` $(id) *",
        "tab\there",
        "ünïcödé",
    ];
    let out = fire(&sb, "fx-args", &args).ok();
    let listed: String = args.iter().map(|a| format!(" [{a}]")).collect();
    let expected = format!(
        "fx-bash {n}{listed}\nfx-python {n}{listed}\n",
        n = args.len()
    );
    assert_eq!(out.stdout, expected);
    // No arguments at all is also passed as such.
    let out = fire(&sb, "fx-args", &[]).ok();
    assert_eq!(out.stdout, "fx-bash 0\nfx-python 0\n");
}

#[test]
fn stdin_is_one_stream_that_the_first_reader_consumes() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    let out = trigger(&sb, "fx-stdin", &[], b"data", &[]).ok();
    assert_eq!(out.stdout, "bash read: data\npython read: \n");
    // With the bash plugin disabled, the python one is the first reader and gets it all.
    sb.plugn(&["disable", "fx-bash"]).ok();
    let out = trigger(&sb, "fx-stdin", &[], b"line one\nline two\n", &[]).ok();
    assert_eq!(out.stdout, "python read: line one\nline two\n\n");
}

#[test]
fn plugin_config_is_exported_and_can_be_changed() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    assert_eq!(fire(&sb, "fx-config", &[]).ok().stdout, "hi\n");
    assert_eq!(
        sb.plugn(&["config", "get", "fx-bash", "greeting"])
            .ok()
            .stdout,
        "hi\n"
    );
    sb.plugn(&["config", "set", "fx-bash", "greeting", "yo there"])
        .ok();
    assert_eq!(
        sb.plugn(&["config", "get", "fx-bash", "greeting"])
            .ok()
            .stdout,
        "yo there\n"
    );
    assert_eq!(fire(&sb, "fx-config", &[]).ok().stdout, "yo there\n");
    sb.plugn(&["config", "export", "fx-bash"])
        .ok()
        .out_has("export CONFIG_GREETING='yo there'");
    // A key that is not set: exit 1, nothing printed.
    let out = sb.plugn(&["config", "get", "fx-bash", "nope"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stdout, "");
    // The python plugin has no [plugin.config]: nothing to export.
    assert_eq!(sb.plugn(&["config", "export", "fx-python"]).ok().stdout, "");
    // The manifest is still valid and the rest of it kept.
    let l = list_line(&sb, "fx-bash");
    assert!(l.contains("0.1.0") && l.contains("enabled"), "{l}");
}

#[test]
fn stdout_is_concatenated_in_order() {
    let sb = sandbox(&["fx-python", "fx-bash"]);
    let out = fire(&sb, "fx-value", &[]).ok();
    assert_eq!(out.stdout, "bash-value\npython-value\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn stderr_passes_through() {
    let sb = sandbox(&["fx-bash"]);
    let out = fire(&sb, "fx-stderr", &[]).ok();
    assert_eq!(out.stdout, "bash to stdout\n");
    assert_eq!(out.stderr, " !     bash to stderr\n");
}

#[test]
fn the_first_failure_stops_the_chain_and_is_the_exit_code() {
    let sb = sandbox(&["fx-bash", "fx-fail", "fx-python"]);
    let out = fire(&sb, "fx-record", &["x"]);
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stderr.contains("fx-fail refuses"), "{out:#?}");
    assert_eq!(recorded(&sb), "fx-bash x\n");
    // Without the failing plugin the chain runs to its end.
    sb.plugn(&["disable", "fx-fail"]).ok();
    fire(&sb, "fx-record", &["y"]).ok();
    assert_eq!(recorded(&sb), "fx-bash x\nfx-bash y\nfx-python y\n");
}

#[test]
fn a_file_without_the_run_bit_is_skipped_and_noted_under_trace() {
    // The fixture itself must have kept its mode (git stores it).
    let mode = std::fs::metadata(fixture("plugins/fx-noexec/fx-record"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0,
        "fx-noexec/fx-record must not be executable"
    );
    let sb = sandbox(&["fx-bash", "fx-noexec", "fx-python"]);
    let out = fire(&sb, "fx-record", &["q"]).ok();
    assert_eq!(recorded(&sb), "fx-bash q\nfx-python q\n");
    assert!(!out.stderr.contains("fx-noexec"), "{out:#?}");
    let out = trigger(&sb, "fx-record", &["t"], b"", &[("DOKKU_TRACE", "1")]).ok();
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains("fx-noexec/fx-record") && l.contains("not executable")),
        "{out:#?}"
    );
    assert_eq!(
        recorded(&sb),
        "fx-bash q\nfx-python q\nfx-bash t\nfx-python t\n"
    );
}

#[test]
fn a_broken_manifest_skips_that_plugin_only() {
    let sb = sandbox(&["fx-bash", "fx-broken", "fx-python"]);
    let out = fire(&sb, "fx-record", &["z"]);
    assert_eq!(out.code, 0, "{out:#?}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("fx-broken"))
        .unwrap_or_else(|| panic!("no error about fx-broken: {out:#?}"));
    assert!(
        line.contains("plugin.toml") && line.contains("line 3"),
        "{line}"
    );
    assert_eq!(recorded(&sb), "fx-bash z\nfx-python z\n");
    // Return values of the others are unaffected.
    assert_eq!(
        fire(&sb, "fx-value", &[]).ok().stdout,
        "bash-value\npython-value\n"
    );
}

#[test]
fn a_trigger_nobody_implements_succeeds_silently() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    let out = fire(&sb, "fx-nobody-implements-this", &["a"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
}

#[test]
fn invalid_trigger_names_are_refused() {
    let sb = sandbox(&["fx-bash"]);
    // Were `../x` accepted, `enabled/fx-bash/../x` would run `available/x`.
    let trap = sb.plugin_path().join("available/x");
    let marker = sb.dir.path().join("escaped");
    std::fs::write(&trap, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    std::fs::set_permissions(&trap, std::fs::Permissions::from_mode(0o755)).unwrap();
    for bad in ["../x", "a/b", "/bin/true", "", ".hidden", "-x", "x y"] {
        let out = fire(&sb, bad, &[]);
        assert_ne!(out.code, 0, "{bad:?} accepted: {out:#?}");
        assert!(
            out.stderr.contains("invalid trigger name"),
            "{bad:?}: {out:#?}"
        );
        assert_eq!(out.stdout, "", "{bad:?}");
    }
    assert!(!marker.exists(), "a plugin outside the enabled set ran");
}

#[test]
fn list_shows_versions_states_and_broken_manifests() {
    let sb = sandbox(&["fx-bash", "fx-python", "fx-broken", "fx-noexec"]);
    let out = sb.plugn(&["list"]).ok();
    let bash = list_line(&sb, "fx-bash");
    assert!(
        bash.contains("0.1.0") && bash.contains(" enabled"),
        "{bash}"
    );
    let python = list_line(&sb, "fx-python");
    assert!(
        python.contains("0.2.0") && python.contains(" enabled"),
        "{python}"
    );
    let broken = list_line(&sb, "fx-broken");
    assert!(
        broken.contains("plugin.toml") && broken.contains("line 3"),
        "{broken}"
    );
    // The core plugins are still listed around the fixtures.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some("config")),
        "{}",
        out.stdout
    );
    sb.plugn(&["disable", "fx-python"]).ok();
    assert!(list_line(&sb, "fx-python").contains(" disabled"));
    sb.plugn(&["enable", "fx-python"]).ok();
    assert!(list_line(&sb, "fx-python").contains(" enabled"));
}

#[test]
fn disabled_plugins_do_not_run_their_triggers() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    sb.plugn(&["disable", "fx-python"]).ok();
    assert_eq!(fire(&sb, "fx-value", &[]).ok().stdout, "bash-value\n");
    sb.plugn(&["disable", "fx-bash"]).ok();
    assert_eq!(fire(&sb, "fx-value", &[]).ok().stdout, "");
    sb.plugn(&["enable", "fx-python"]).ok();
    assert_eq!(fire(&sb, "fx-value", &[]).ok().stdout, "python-value\n");
    sb.plugn(&["enable", "fx-bash"]).ok();
    // Enabling twice is harmless.
    sb.plugn(&["enable", "fx-bash"]).ok();
    assert_eq!(
        fire(&sb, "fx-value", &[]).ok().stdout,
        "bash-value\npython-value\n"
    );
    // Only installed plugins can be enabled.
    sb.plugn(&["enable", "fx-not-installed"])
        .fails()
        .err_has("not installed");
}

#[test]
fn subcommands_run_through_dokku() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    let out = sb.dokku(&["fx-bash:hello", "world"]).ok();
    assert_eq!(out.stdout, "-----> hello world\n");
    let out = sb.dokku(&["fx-bash:hello"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stderr, " !     Please specify a name\n");
    sb.dokku(&["fx-bash"])
        .ok()
        .out_has("=====> Usage: dokku fx-bash[:COMMAND]");
    let out = sb.dokku(&["fx-python", "a b", "c"]).ok();
    assert_eq!(out.stdout, "-----> hello from python: fx-python a b c\n");
}

#[test]
fn the_commands_file_answers_help_and_declines_the_rest() {
    let sb = sandbox(&["fx-bash", "fx-python"]);
    sb.dokku(&["fx-bash:help"])
        .ok()
        .out_has("Usage: dokku fx-bash[:COMMAND]")
        .out_has("fx-bash:hello NAME");
    sb.dokku(&["help"])
        .ok()
        .out_has("fx-bash")
        .out_has("Test fixture written in bash");
    // Asked directly, it declines anything else with DOKKU_NOT_IMPLEMENTED_EXIT.
    let commands = sb.plugin_path().join("available/fx-bash/commands");
    let mut c = sb.command(&commands);
    c.arg("something-else")
        .env("DOKKU_NOT_IMPLEMENTED_EXIT", "10");
    let out = sb.run(c, b"");
    assert_eq!(out.code, 10, "{out:#?}");
    assert_eq!(out.stdout, "");
    // Through dokku: no plugin takes it, so it is not a command.
    sb.dokku(&["fx-bash:nothing-here"])
        .fails()
        .err_has("is not a dokku command");
}

#[test]
fn exit_codes_and_stdin_pass_through_dokku() {
    let sb = sandbox(&["fx-bash"]);
    let out = sb.dokku(&["fx-bash:exit", "7"]);
    assert_eq!(out.code, 7, "{out:#?}");
    assert_eq!(out.stdout, "exiting with 7\n");
    assert_eq!(
        sb.dokku(&["fx-bash:exit", "0"]).ok().stdout,
        "exiting with 0\n"
    );
    let out = sb
        .dokku_in(&["fx-bash:cat"], b"piped\nthrough dokku\n")
        .ok();
    assert_eq!(out.stdout, "cat got: piped\nthrough dokku\n");
}

#[test]
fn a_community_plugin_replaces_the_core_config_get() {
    let sb = sandbox(&["fx-replace-config"]);
    std::fs::create_dir_all(sb.dokku_root().join("app")).unwrap();
    sb.dokku(&["config:set", "--no-restart", "app", "KEY=core-value"])
        .ok();
    // While the core config plugin is enabled, both answer, the core one first
    // ("config" < "fx-replace-config").
    let out = fire(&sb, "config-get", &["app", "KEY"]).ok();
    assert!(out.stdout.starts_with("core-value"), "{out:#?}");
    assert!(out.stdout.ends_with("replaced:app:KEY\n"), "{out:#?}");
    sb.plugn(&["disable", "config"]).ok();
    assert!(list_line(&sb, "config").contains(" disabled"));
    let out = fire(&sb, "config-get", &["app", "KEY"]).ok();
    assert_eq!(out.stdout, "replaced:app:KEY\n");
    let out = fire(&sb, "config-get", &["other-app", "A_B"]).ok();
    assert_eq!(out.stdout, "replaced:other-app:A_B\n");
    // Back to the core plugin alone.
    sb.plugn(&["enable", "config"]).ok();
    sb.plugn(&["disable", "fx-replace-config"]).ok();
    let out = fire(&sb, "config-get", &["app", "KEY"]).ok();
    assert_eq!(out.stdout.trim(), "core-value");
}
