//! A community plugin written the way Dokku's plugin-creation docs describe (bash, sourcing
//! `common/functions` and the config plugin's `functions`, `commands` for help, `subcommands/`,
//! the install / dependencies / update / uninstall triggers and app triggers), taken through one
//! story: installed from a local git URL, run, reported on, updated, uninstalled.

use dokku_tests::{fixture, git_ok, Sandbox};
use std::fs;
use std::path::Path;

/// The lines the plugin's triggers appended to `data/hello-log`.
fn hello_log(sb: &Sandbox) -> Vec<String> {
    fs::read_to_string(sb.lib_root().join("data/hello-log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A git repository `dokku-hello` holding the fixture plugin, committed once.
fn plugin_repo(sb: &Sandbox) -> std::path::PathBuf {
    let repo = sb.work_tree("dokku-hello");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixture("community/hello").display()))
        .arg(&repo)
        .status()
        .unwrap();
    assert!(st.success());
    git_ok(&repo, &["add", "-A"]);
    git_ok(&repo, &["commit", "-qm", "hello 1.0.0"]);
    repo
}

/// Version 1.1.0: `hello:world` says which version it is.
fn commit_v2(repo: &Path) -> String {
    let world = repo.join("subcommands/world");
    let text = fs::read_to_string(&world)
        .unwrap()
        .replace("echo \"Hello world\"", "echo \"Hello world, from 1.1.0\"");
    fs::write(&world, text).unwrap();
    let toml = repo.join("plugin.toml");
    let text = fs::read_to_string(&toml).unwrap().replace("1.0.0", "1.1.0");
    fs::write(&toml, text).unwrap();
    git_ok(repo, &["commit", "-qam", "hello 1.1.0"]);
    git_ok(repo, &["rev-parse", "HEAD"])
}

#[test]
fn a_community_plugin_installs_from_git_runs_updates_and_uninstalls() {
    let sb = Sandbox::new();
    let repo = plugin_repo(&sb);
    let url = format!("file://{}", repo.display());

    // Install: cloned under its name without the dokku- prefix, install then dependencies run.
    sb.dokku(&["plugin:install", &url])
        .ok()
        .out_has("Plugin hello enabled");
    assert_eq!(hello_log(&sb), ["install", "dependencies"]);
    assert!(sb.lib_root().join("data/hello").is_dir());
    let listed = sb.dokku(&["plugin:list"]).ok().stdout;
    assert!(
        listed
            .lines()
            .any(|l| l.split_whitespace().next() == Some("hello") && l.contains(" 1.0.0 ")),
        "{listed}"
    );

    // Help: one summary line in `dokku help`, every command with --all, usage from hello:help.
    let help = sb.dokku(&["help"]).ok().stdout;
    assert!(
        help.lines()
            .any(|l| l.trim_start().starts_with("hello ") && l.ends_with(" Says hello to apps")),
        "{help}"
    );
    sb.dokku(&["help", "--all"])
        .ok()
        .out_has("hello:world")
        .out_has("Says hello to the world");
    sb.dokku(&["hello:help"])
        .ok()
        .out_has("Usage: dokku hello[:COMMAND]")
        .out_has("hello:greeting <app>");

    // App triggers: post-create keeps a greeting in its data and in the app's config.
    let app = sb.unique_app("hello");
    sb.dokku(&["apps:create", &app]).ok();
    let g = sb.dokku(&["hello:greeting", &app]).ok().stdout;
    assert!(g.contains("kept: hello"), "{g}");
    assert!(g.contains("config: hello"), "{g}");
    sb.dokku(&["config:get", &app, "HELLO_GREETING"])
        .ok()
        .out_has("hello");

    // Commands: the default subcommand with an app (positional or --app), and one without.
    sb.dokku(&["hello", &app])
        .ok()
        .out_has(&format!("-----> hello, {app}"));
    sb.dokku(&["--app", &app, "hello"])
        .ok()
        .out_has(&format!("hello, {app}"));
    sb.dokku(&["hello:world"]).ok().out_has("Hello world");
    let out = sb.dokku(&["hello"]).fails();
    assert!(
        out.one_error_line()
            .contains("Please specify an app to run the command on"),
        "{out:#?}"
    );
    let out = sb.dokku(&["hello", "no-such-app"]).fails();
    assert!(out.one_error_line().contains("no-such-app"), "{out:#?}");

    // `dokku report APP`: the plugin's report trigger beside the core plugins' reports.
    sb.dokku(&["report", &app])
        .ok()
        .out_has("dokku version")
        .out_has(&format!("=====> {app} hello information"))
        .out_has("Hello greeting:")
        .out_has(&format!("=====> {app} app information"));

    // Update to a new commit: the update trigger, then install and dependencies again.
    let second = commit_v2(&repo);
    sb.dokku(&["plugin:update", "hello"])
        .ok()
        .out_has("Plugin hello updated");
    assert_eq!(
        git_ok(
            &sb.plugin_path().join("available/hello"),
            &["rev-parse", "HEAD"]
        ),
        second
    );
    sb.dokku(&["hello:world"])
        .ok()
        .out_has("Hello world, from 1.1.0");
    let log = hello_log(&sb);
    assert_eq!(&log[..2], ["install", "dependencies"]);
    for t in ["update", "install", "dependencies"] {
        assert!(log[2..].iter().any(|l| l == t), "{t} after update: {log:?}");
    }
    // The app's data survived the update.
    let g = sb.dokku(&["hello:greeting", &app]).ok().stdout;
    assert!(g.contains("kept: hello"), "{g}");

    // post-delete forgets the app.
    sb.dokku(&["--force", "apps:destroy", &app]).ok();
    assert!(!sb.lib_root().join("data/hello").join(&app).exists());

    // Uninstall: the uninstall trigger cleans up, the commands are gone.
    sb.dokku(&["plugin:uninstall", "hello"]).ok();
    assert_eq!(hello_log(&sb).last().map(String::as_str), Some("uninstall"));
    assert!(!sb.lib_root().join("data/hello").exists());
    assert!(!sb.plugin_path().join("available/hello").exists());
    let out = sb.dokku(&["hello:world"]).fails();
    assert!(out.stderr.contains("is not a dokku command"), "{out:#?}");
    let listed = sb.dokku(&["plugin:list"]).ok().stdout;
    assert!(
        !listed
            .lines()
            .any(|l| l.split_whitespace().next() == Some("hello")),
        "{listed}"
    );
}

#[test]
fn report_validates_its_app_and_covers_every_app_without_one() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["report", "Bad_Name"]).fails();
    out.one_error_line();
    let out = sb.dokku(&["report", "no-such-app"]).fails();
    assert!(out.one_error_line().contains("no-such-app"), "{out:#?}");
    let out = sb.dokku(&["report", "a", "b"]).fails();
    out.one_error_line();
    let a = sb.unique_app("rep-a");
    let b = sb.unique_app("rep-b");
    sb.dokku(&["apps:create", &a]).ok();
    sb.dokku(&["apps:create", &b]).ok();
    sb.dokku(&["report"])
        .ok()
        .out_has(&format!("=====> {a} app information"))
        .out_has(&format!("=====> {b} app information"));
}

/// A git repository `dokku-keyguard` holding the plugin written on the skeleton of Dokku's
/// official datastore plugins and dokku-acl (`config` choosing `PLUGIN_BASE_PATH` by
/// `DOKKU_API_VERSION`, `common-functions`, `subcommands/*` sourcing through them, a
/// `user-auth` trigger refusing keys by name), committed once.
fn keyguard_repo(sb: &Sandbox) -> std::path::PathBuf {
    let repo = sb.work_tree("dokku-keyguard");
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixture("community/keyguard").display()))
        .arg(&repo)
        .status()
        .unwrap();
    assert!(st.success());
    git_ok(&repo, &["add", "-A"]);
    git_ok(&repo, &["commit", "-qm", "keyguard 0.1.0"]);
    repo
}

/// Adds `name`'s public key through the admin's local dokku.
fn add_key(sb: &Sandbox, name: &str) -> std::path::PathBuf {
    let key = sb.new_key(name);
    sb.dokku(&["ssh-keys:add", name, &format!("{}.pub", key.display())])
        .ok();
    key
}

#[test]
fn a_plugin_on_the_datastore_skeleton_runs_unmodified_and_refuses_keys_by_name() {
    let sb = Sandbox::with_ssh();
    let repo = keyguard_repo(&sb);
    sb.dokku(&["plugin:install", &format!("file://{}", repo.display())])
        .ok()
        .out_has("Plugin keyguard enabled");

    // Its subcommands source `config`, which finds common/functions through
    // $PLUGIN_ENABLED_PATH because DOKKU_API_VERSION is exported.
    sb.dokku(&["keyguard:allow", "carol"]).ok();
    sb.dokku(&["keyguard:list"])
        .ok()
        .out_has("carol")
        .out_has("admin");
    sb.dokku(&["keyguard:help"])
        .ok()
        .out_has("keyguard:allow <name>");

    let bob = add_key(&sb, "bob");
    let carol = add_key(&sb, "carol");
    // Over ssh, by the key's name: bob is refused with one line, carol and admin get in.
    let out = sb.ssh_with(&bob, "apps:list").fails();
    let line = out.one_error_line();
    assert!(
        line.contains("keyguard: key bob may not run apps:list"),
        "{out:#?}"
    );
    sb.ssh_with(&carol, "apps:list").ok();
    sb.ssh("keyguard:list").ok().out_has("carol");

    // A push by bob is refused by the same trigger, before anything is created.
    let w = sb.work_tree("w");
    sb.commit(&w, &[("a.txt", "a")], "one");
    let out = sb
        .git_push_with(&bob, &w, &sb.push_url("guarded"), &["main"])
        .fails();
    assert!(
        out.stderr
            .contains("keyguard: key bob may not run git-receive-pack"),
        "{out:#?}"
    );
    assert!(!sb.dokku_root().join("guarded").exists());
}

#[test]
fn plugins_get_the_environment_dokku_exports() {
    let sb = Sandbox::new();
    let vars = [
        "DOKKU_API_VERSION",
        "DOKKU_NOT_IMPLEMENTED_EXIT",
        "DOKKU_VALID_EXIT",
        "DOCKER_BIN",
        "DOKKU_ROOT",
        "DOKKU_HOST_ROOT",
        "DOKKU_LIB_ROOT",
        "DOKKU_DISTRO",
        "DOKKU_IMAGE",
        "DOKKU_CNB_BUILDER",
        "PLUGIN_PATH",
        "PLUGIN_AVAILABLE_PATH",
        "PLUGIN_ENABLED_PATH",
        "PLUGIN_CORE_PATH",
        "PLUGIN_CORE_AVAILABLE_PATH",
        "PLUGIN_CORE_ENABLED_PATH",
        "DOKKU_SYSTEM_USER",
        "DOKKU_SYSTEM_GROUP",
        "DOKKU_LOGS_DIR",
        "DOKKU_LOGS_HOST_DIR",
        "DOKKU_EVENTS_LOGFILE",
        "DOKKU_CONTAINER_LABEL",
        "DOKKU_GLOBAL_BUILD_ARGS",
        "DOKKU_GLOBAL_RUN_ARGS",
        "DOKKU_COMMAND",
        "DOKKU_APP_NAME",
        "DOKKU_PID",
        "SSH_USER",
        "SSH_NAME",
    ];
    let script = format!(
        "#!/usr/bin/env bash\nfor v in {}; do echo \"$v=${{!v-UNSET}}\"; done\n",
        vars.join(" ")
    );
    sb.write_plugin("envshow", &[("subcommands/default", &script)]);
    let app = sb.unique_app("env");
    sb.dokku(&["apps:create", &app]).ok();
    let text = sb.dokku(&["--app", &app, "envshow"]).ok().stdout;
    let got: std::collections::BTreeMap<&str, &str> =
        text.lines().filter_map(|l| l.split_once('=')).collect();
    for v in vars {
        let value = got.get(v).copied().unwrap_or("UNSET");
        assert!(
            value != "UNSET" && !value.is_empty(),
            "{v} not exported: {text}"
        );
    }
    let lib = sb.lib_root().display().to_string();
    let root = sb.dokku_root().display().to_string();
    let logs = sb.logs_dir().display().to_string();
    let plugins = sb.plugin_path().display().to_string();
    assert_eq!(got["DOKKU_API_VERSION"], "1");
    assert_eq!(got["DOCKER_BIN"], "docker");
    assert_eq!(got["DOKKU_HOST_ROOT"], root);
    assert_eq!(got["PLUGIN_ENABLED_PATH"], format!("{plugins}/enabled"));
    assert_eq!(got["PLUGIN_AVAILABLE_PATH"], format!("{plugins}/available"));
    assert_eq!(got["PLUGIN_CORE_PATH"], format!("{lib}/core-plugins"));
    assert_eq!(
        got["PLUGIN_CORE_ENABLED_PATH"],
        format!("{lib}/core-plugins/enabled")
    );
    assert_eq!(got["DOKKU_LOGS_HOST_DIR"], logs);
    assert_eq!(got["DOKKU_EVENTS_LOGFILE"], format!("{logs}/events.log"));
    assert_eq!(got["DOKKU_CONTAINER_LABEL"], "dokku");
    assert!(got["DOKKU_GLOBAL_RUN_ARGS"].contains("--label=dokku"));
    assert_eq!(got["DOKKU_COMMAND"], "envshow");
    assert_eq!(got["DOKKU_APP_NAME"], app);
    assert_eq!(got["DOKKU_IMAGE"], "dokku/stack:bookworm");

    // Each overridable by the environment, as in Dokku's script.
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.arg("envshow")
        .env("DOCKER_BIN", "/usr/bin/docker")
        .env("DOKKU_DISTRO", "testos")
        .env("DOKKU_HOST_ROOT", "/srv/host-home")
        .env("DOKKU_SYSTEM_USER", "ops");
    let text = sb.run(c, b"").ok().stdout;
    for want in [
        "DOCKER_BIN=/usr/bin/docker",
        "DOKKU_DISTRO=testos",
        "DOKKU_HOST_ROOT=/srv/host-home",
        "DOKKU_SYSTEM_USER=ops",
    ] {
        assert!(text.lines().any(|l| l == want), "{want}: {text}");
    }
}
