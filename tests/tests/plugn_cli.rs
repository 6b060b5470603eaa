//! The `plugn` command line: version, list, install/uninstall from a folder, enable/disable,
//! config get/set/export, and refusal of bad names and sources.

use dokku_tests::Sandbox;

fn make_plugin(sb: &Sandbox, name: &str, toml: &str) -> std::path::PathBuf {
    let src = sb.dir.path().join("src").join(name);
    std::fs::create_dir_all(src.join("subcommands")).unwrap();
    std::fs::write(src.join("plugin.toml"), toml).unwrap();
    let sub = src.join("subcommands/default");
    std::fs::write(
        &sub,
        "#!/bin/sh\necho \"greeting=$CONFIG_GREETING\"\nplugn trigger noop\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&sub)
        .status()
        .unwrap();
    src
}

#[test]
fn version_and_list() {
    let sb = Sandbox::new();
    let v = sb.plugn(&["version"]).ok();
    assert!(v.stdout.trim().split('.').count() == 3, "{v:?}");
    let l = sb.plugn(&["list"]).ok();
    for p in ["apps", "config", "events", "plugin", "common"] {
        assert!(
            l.stdout
                .lines()
                .any(|x| x.trim_start().starts_with(p) && x.contains("enabled")),
            "{}",
            l.stdout
        );
    }
}

#[test]
fn install_enable_config_disable_uninstall() {
    let sb = Sandbox::new();
    let src = make_plugin(
        &sb,
        "greeter",
        "[plugin]\ndescription = \"greets\"\nversion = \"0.2.0\"\n[plugin.config]\ngreeting = \"hi\"\n",
    );
    sb.plugn(&["install", src.to_str().unwrap()])
        .ok()
        .out_has("greeter");
    assert!(sb
        .plugn(&["list"])
        .ok()
        .stdout
        .lines()
        .any(|l| l.contains("greeter") && l.contains("disabled")));
    sb.plugn(&["enable", "greeter"]).ok();
    sb.dokku(&["greeter"]).ok().out_has("greeting=hi");
    sb.plugn(&["config", "get", "greeter", "greeting"])
        .ok()
        .out_has("hi");
    sb.plugn(&["config", "set", "greeter", "greeting", "it's me"])
        .ok();
    sb.dokku(&["greeter"]).ok().out_has("greeting=it's me");
    sb.plugn(&["config", "export", "greeter"])
        .ok()
        .out_has("export CONFIG_GREETING='it'\\''s me'");
    // As plugn keeps them: the value in $PLUGIN_PATH/config.toml under the plugin's table, the
    // manifest untouched; an environment variable GREETER_GREETING overrides it.
    let config_toml = std::fs::read_to_string(sb.plugin_path().join("config.toml")).unwrap();
    assert!(config_toml.contains("[greeter]"), "{config_toml}");
    assert!(config_toml.contains("it's me"), "{config_toml}");
    let manifest =
        std::fs::read_to_string(sb.plugin_path().join("available/greeter/plugin.toml")).unwrap();
    assert!(manifest.contains("greeting = \"hi\""), "{manifest}");
    sb.bash("GREETER_GREETING=from-env dokku greeter")
        .ok()
        .out_has("greeting=from-env");
    sb.bash("GREETER_GREETING= dokku greeter")
        .ok()
        .out_has("greeting=it's me");
    std::fs::write(
        sb.plugin_path().join("config.toml"),
        "[greeter]\ngreeting = \"from the file\"\n",
    )
    .unwrap();
    sb.dokku(&["greeter"])
        .ok()
        .out_has("greeting=from the file");
    assert_eq!(sb.plugn(&["config", "get", "greeter", "missing"]).code, 1);
    sb.plugn(&["config", "set", "greeter", "bad key", "x"])
        .fails()
        .err_has("invalid config key");
    sb.plugn(&["install", src.to_str().unwrap()])
        .fails()
        .err_has("already installed");
    sb.plugn(&["disable", "greeter"]).ok();
    sb.dokku(&["greeter"])
        .fails()
        .err_has("is not a dokku command");
    sb.plugn(&["uninstall", "greeter"]).ok();
    assert!(!sb.plugin_path().join("available/greeter").exists());
    sb.plugn(&["uninstall", "greeter"])
        .fails()
        .err_has("not installed");
}

#[test]
fn bad_names_sources_and_core_plugins_are_refused() {
    let sb = Sandbox::new();
    sb.plugn(&["enable", "../x"])
        .fails()
        .err_has("invalid plugin name");
    sb.plugn(&["enable", "nope"])
        .fails()
        .err_has("not installed");
    sb.plugn(&["uninstall", "config"])
        .fails()
        .err_has("core plugin");
    sb.plugn(&["install", "--", "-oops"]).fails();
    sb.plugn(&["install", "/nonexistent/folder"])
        .fails()
        .err_has("neither a git URL");
    let src = make_plugin(
        &sb,
        "broken",
        "[plugin]\ndescription = \"x\"\nversion = 1.2.3\n",
    );
    sb.plugn(&["install", src.to_str().unwrap()])
        .fails()
        .err_has("plugin.toml: line 3");
    let bare = sb.dir.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    sb.plugn(&["install", bare.to_str().unwrap()])
        .fails()
        .err_has("no plugin.toml");
    let left: Vec<_> = std::fs::read_dir(sb.plugin_path().join("available"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n == "broken" || n == "bare")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_terminal_passes_through_dokku_to_the_plugin() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "tty",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"t\"\nversion = \"1\"\n",
            ),
            (
                "subcommands/default",
                "#!/bin/sh\nif [ -t 0 ] && [ -t 1 ]; then echo on-a-tty; else echo no-tty; fi\n",
            ),
        ],
    );
    sb.dokku(&["tty"]).ok().out_has("no-tty");
    // util-linux `script` runs the command on a fresh pseudo-terminal.
    let mut c = sb.command("script");
    c.args(["-qec"])
        .arg(format!("{} tty", sb.root.join("bin/dokku").display()))
        .arg("/dev/null");
    sb.run(c, b"").ok().out_has("on-a-tty");
}
