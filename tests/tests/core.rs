//! The dokku core: dispatch to subcommands, `commands` fallback, global flags, environment,
//! help, unknown commands, exit codes and stdin pass-through, installer idempotence.

use dokku_tests::Sandbox;

const TOML: &str = "[plugin]\ndescription = \"test plugin\"\nversion = \"1.0.0\"\n";

#[test]
fn subcommand_gets_command_name_and_args() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "echoer",
        &[
            ("plugin.toml", TOML),
            ("subcommands/say", "#!/bin/sh\nprintf '[%s]' \"$@\"; echo\n"),
            ("subcommands/default", "#!/bin/sh\necho default \"$@\"\n"),
        ],
    );
    sb.dokku(&["echoer:say", "a b", "--x", "c'd"])
        .ok()
        .out_has("[echoer:say][a b][--x][c'd]");
    sb.dokku(&["echoer", "z"]).ok().out_has("default echoer z");
}

#[test]
fn app_flag_is_inserted_after_the_command() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "echoer",
        &[
            ("plugin.toml", TOML),
            (
                "subcommands/say",
                "#!/bin/sh\nprintf '[%s]' \"$@\"; echo \"app=$DOKKU_APP_NAME\"\n",
            ),
        ],
    );
    sb.dokku(&["--app", "myapp", "echoer:say", "k"])
        .ok()
        .out_has("[echoer:say][myapp][k]app=myapp");
    sb.dokku(&["--global", "echoer:say"])
        .ok()
        .out_has("[echoer:say][--global]");
}

#[test]
fn exit_codes_and_stdin_pass_through() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "pass",
        &[
            ("plugin.toml", TOML),
            ("subcommands/exit", "#!/bin/sh\nexit 7\n"),
            ("subcommands/cat", "#!/bin/sh\ncat\n"),
        ],
    );
    assert_eq!(sb.dokku(&["pass:exit"]).code, 7);
    sb.dokku_in(&["pass:cat"], b"from stdin\n")
        .ok()
        .out_has("from stdin");
}

#[test]
fn environment_is_exported_to_plugins() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "envp",
        &[(
            "plugin.toml",
            TOML,
        ), (
            "subcommands/default",
            "#!/bin/sh\nfor v in DOKKU_ROOT DOKKU_LIB_ROOT PLUGIN_PATH PLUGIN_CORE_AVAILABLE_PATH DOKKU_LOGS_DIR DOKKU_PID DOKKU_QUIET_OUTPUT DOKKU_TRACE DOKKU_GLOBAL_FLAGS DOKKU_APPS_FORCE_DELETE; do eval \"echo $v=\\${$v}\"; done\n",
        )],
    );
    let out = sb.dokku(&["--quiet", "--force", "envp"]).ok();
    assert!(
        out.stdout
            .contains(&format!("DOKKU_ROOT={}", sb.dokku_root().display())),
        "{out:?}"
    );
    assert!(out
        .stdout
        .contains(&format!("DOKKU_LOGS_DIR={}", sb.logs_dir().display())));
    assert!(out.stdout.contains("DOKKU_QUIET_OUTPUT=1"));
    assert!(out.stdout.contains("DOKKU_APPS_FORCE_DELETE=1"));
    assert!(out.stdout.contains("DOKKU_GLOBAL_FLAGS=--quiet --force"));
    assert!(!out.stdout.contains("DOKKU_PID=\n"));
}

#[test]
fn commands_files_are_asked_in_turn_and_10_means_not_mine() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "aa-first",
        &[
            ("plugin.toml", TOML),
            ("commands", "#!/bin/sh\necho asked-first >&2\nexit 10\n"),
        ],
    );
    sb.write_plugin(
        "bb-second",
        &[(
            "plugin.toml",
            TOML,
        ), (
            "commands",
            "#!/bin/sh\ncase \"$1\" in\n  legacy) echo legacy handled \"$2\"; exit 0 ;;\n  help) echo '    legacy, A legacy command'; exit 0 ;;\n  *) exit 10 ;;\nesac\n",
        )],
    );
    let out = sb
        .dokku(&["legacy", "arg"])
        .ok()
        .out_has("legacy handled arg");
    assert!(out.stderr.contains("asked-first"));
    sb.dokku(&["help"]).ok().out_has("legacy");
}

#[test]
fn unknown_command_suggests_the_closest() {
    let sb = Sandbox::new();
    sb.dokku(&["evnts:on"])
        .fails()
        .err_has("`evnts:on` is not a dokku command")
        .err_has("events:on");
    sb.dokku(&["zzzzzzzzzzzz"])
        .fails()
        .err_has("is not a dokku command");
    sb.dokku(&["../../bin/sh"])
        .fails()
        .err_has("is not a dokku command");
    sb.dokku(&["events:../../x"])
        .fails()
        .err_has("is not a dokku command");
}

#[test]
fn global_flags() {
    let sb = Sandbox::new();
    sb.dokku(&["--version"]).ok().out_has("dokku version ");
    sb.dokku(&["version"]).ok().out_has("dokku version ");
    sb.dokku(&["--bogus", "apps:list"])
        .fails()
        .err_has("unknown global flag --bogus");
    sb.dokku(&["--app"])
        .fails()
        .err_has("--app needs an app name");
    let out = sb.dokku(&["--trace", "events:list"]);
    assert!(out.stderr.contains("+ "), "{out:?}");
}

#[test]
fn help_lists_plugins_and_plugin_help_lists_commands() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["help"]).ok();
    assert!(out.stdout.starts_with("Usage: dokku"));
    for p in ["events", "config", "apps", "plugin"] {
        assert!(
            out.stdout.contains(&format!("    {p} ")),
            "help lacks {p}: {}",
            out.stdout
        );
    }
    sb.dokku(&[]).ok().out_has("Commands:");
    sb.dokku(&["--help"]).ok().out_has("Commands:");
    sb.dokku(&["help", "--all"]).ok().out_has("events:on");
    sb.dokku(&["events:help"])
        .ok()
        .out_has("events:list")
        .out_has("Usage: dokku events");
}

#[test]
fn a_broken_commands_file_does_not_break_help() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "zz-broken",
        &[
            ("plugin.toml", TOML),
            ("commands", "#!/nonexistent/interpreter\n"),
        ],
    );
    sb.dokku(&["help"]).ok().out_has("events");
}

#[test]
fn install_twice_is_harmless_and_keeps_disabled_core_plugins_disabled() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    std::fs::remove_file(sb.plugin_path().join("enabled/events")).unwrap();
    let out = std::process::Command::new(dokku_tests::repo().join("scripts/install"))
        .args(["--root"])
        .arg(&sb.root)
        .arg("--no-build")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !sb.plugin_path().join("enabled/events").exists(),
        "disabled plugin re-enabled"
    );
    assert!(sb.plugin_path().join("enabled/config").exists());
    assert!(
        sb.lib_root()
            .join("config/events/--global/enabled")
            .exists(),
        "state lost"
    );
    let env = std::fs::read_to_string(sb.root.join("env")).unwrap();
    for v in [
        "PATH",
        "DOKKU_ROOT",
        "DOKKU_LIB_ROOT",
        "PLUGIN_PATH",
        "PLUGIN_CORE_AVAILABLE_PATH",
        "DOKKU_LOGS_DIR",
        "DOKKU_EVENTS",
        "DOKKU_TRACE",
    ] {
        assert!(env.contains(v), "env lacks {v}");
    }
}

#[test]
fn env_file_makes_dokku_work() {
    let sb = Sandbox::new();
    let script = format!(
        ". '{}/env' && cd / && dokku version && command -v plugn",
        sb.root.display()
    );
    let mut c = std::process::Command::new("bash");
    c.arg("-c")
        .arg(script)
        .env_remove("DOKKU_ROOT")
        .env_remove("DOKKU_LIB_ROOT");
    let out = sb.run(c, b"").ok();
    assert!(out
        .stdout
        .contains(&sb.root.join("bin/plugn").display().to_string()));
}

#[test]
#[allow(unsafe_code)]
fn root_runs_commands_as_the_owner_of_dokku_root() {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the switch to the dokku user cannot be shown");
        return;
    }
    let sb = Sandbox::new();
    // A system install: the state belongs to an unprivileged user (here `nobody`).
    let st = std::process::Command::new("chown")
        .args(["-R", "nobody"])
        .arg(sb.dokku_root())
        .arg(sb.lib_root())
        .arg(sb.logs_dir())
        .status()
        .unwrap();
    assert!(st.success());
    for d in [sb.dir.path(), sb.root.as_path()] {
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    sb.dokku(&["apps:create", "web"]).ok();
    let nobody = std::fs::metadata(sb.dokku_root()).unwrap().uid();
    assert_eq!(
        std::fs::metadata(sb.dokku_root().join("web"))
            .unwrap()
            .uid(),
        nobody
    );
    sb.dokku(&["config:set", "--no-restart", "web", "A=1"]).ok();
    assert_eq!(
        std::fs::metadata(sb.lib_root().join("config/web/ENV"))
            .unwrap()
            .uid(),
        nobody
    );
    // plugin:* keeps root.
    sb.dokku(&["plugin:list"]).ok();
    // ssh-keys:* keeps root to read the operator's key, and hands .ssh to the dokku user.
    let key = sb.new_key("operator");
    sb.dokku(&[
        "ssh-keys:add",
        "operator",
        &format!("{}.pub", key.display()),
    ])
    .ok();
    for p in [".ssh", ".ssh/authorized_keys"] {
        assert_eq!(
            std::fs::metadata(sb.dokku_root().join(p)).unwrap().uid(),
            nobody,
            "{p}"
        );
    }
}
