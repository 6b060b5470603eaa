//! The apps plugin: create, destroy (with confirmation), list, exists, rename, clone, report,
//! lock/unlock/locked, the triggers it fires and answers, and refusal of bad names.

use dokku_tests::Sandbox;
use std::fs;

#[test]
fn create_list_exists_destroy() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["apps:create", "web"])
        .ok()
        .out_has("-----> Creating web...");
    assert!(sb.dokku_root().join("web").is_dir());
    assert!(sb.events_log().contains("INVOKED: post-create( web )"));
    sb.dokku(&["apps:create", "web"])
        .fails()
        .err_has("Name is already taken");
    sb.dokku(&["apps:create", "api"]).ok();
    assert_eq!(
        sb.dokku(&["apps:list"]).ok().stdout,
        "=====> My Apps\napi\nweb\n"
    );
    assert_eq!(
        sb.dokku(&["apps"]).ok().stdout,
        "=====> My Apps\napi\nweb\n"
    );
    assert_eq!(
        sb.dokku(&["--quiet", "apps:list"]).ok().stdout,
        "api\nweb\n"
    );
    assert_eq!(
        sb.dokku(&["apps:list", "--quiet"]).ok().stdout,
        "api\nweb\n"
    );
    assert_eq!(
        sb.dokku(&["apps:list", "--format", "json"]).ok().stdout,
        "[\"api\",\"web\"]\n"
    );
    sb.dokku(&["apps:list", "--format", "yaml"])
        .fails()
        .err_has("invalid --format");
    sb.dokku(&["apps:exists", "web"]).ok();
    sb.dokku(&["apps:exists", "nope"])
        .fails()
        .err_has("App nope does not exist");
    // Wrong confirmation: nothing removed.
    sb.dokku_in(&["apps:destroy", "web"], b"wrong\n")
        .fails()
        .err_has("To proceed, type \"web\"")
        .err_has("Confirmation did not match web. Aborted.");
    assert!(sb.dokku_root().join("web").is_dir());
    sb.dokku_in(&["apps:destroy", "web"], b"web\n")
        .ok()
        .out_has("Destroying web");
    assert!(!sb.dokku_root().join("web").exists());
    let log = sb.events_log();
    assert!(
        log.contains("INVOKED: pre-delete( web latest )")
            && log.contains("INVOKED: post-delete( web latest )")
    );
    sb.dokku(&["apps:destroy", "--force", "api"]).ok();
    assert_eq!(sb.dokku(&["--quiet", "apps:list"]).ok().stdout, "");
    sb.dokku(&["apps:create", "third"]).ok();
    sb.dokku(&["--force", "apps:destroy", "third"]).ok();
    sb.dokku(&["apps:destroy", "--force", "third"])
        .fails()
        .err_has("App third does not exist");
}

#[test]
fn destroy_removes_config_and_properties() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["config:set", "--no-restart", "web", "A=1"]).ok();
    assert!(sb.lib_root().join("config/apps/web/created-at").exists());
    sb.dokku(&["apps:destroy", "--force", "web"]).ok();
    assert!(!sb.lib_root().join("config/apps/web").exists());
    sb.dokku(&["apps:create", "web"]).ok();
    assert_eq!(sb.dokku(&["config:keys", "web"]).ok().stdout, "");
}

#[test]
fn bad_names_are_refused_and_nothing_is_created() {
    let sb = Sandbox::new();
    let long = "a".repeat(70);
    for bad in [
        "../x",
        "A",
        "a_b",
        "-x",
        long.as_str(),
        "",
        "a:b",
        "a/b",
        ".x",
    ] {
        let out = sb.dokku(&["apps:create", bad]).fails();
        assert_eq!(out.stderr.lines().count(), 1, "{bad:?}: {out:?}");
        assert!(out.stderr.starts_with(" !     "), "{out:?}");
    }
    sb.dokku(&["apps:create", "A"])
        .fails()
        .err_has("App name must begin with lowercase alphanumeric character");
    sb.dokku(&["apps:create", &long])
        .fails()
        .err_has("at most 63");
    sb.dokku(&["apps:create"])
        .fails()
        .err_has("Please specify an app to run the command on");
    sb.dokku(&["apps:create", "a", "b"])
        .fails()
        .err_has("unexpected argument");
    sb.dokku(&["apps:create", "--bogus", "a"])
        .fails()
        .err_has("unknown flag --bogus");
    // Only the installation's own files (.sshcommand, .ssh, the global domain's VHOST) may be
    // there.
    let made: Vec<String> = fs::read_dir(sb.dokku_root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "VHOST")
        .collect();
    assert!(made.is_empty(), "something was created: {made:?}");
    sb.dokku(&["apps:create", &"a".repeat(63)]).ok();
}

#[test]
fn concurrent_creates_of_one_name_have_one_winner() {
    let sb = Sandbox::new();
    let children: Vec<_> = (0..10)
        .map(|_| {
            let mut c = sb.command(sb.root.join("bin/dokku"));
            c.args(["apps:create", "race"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    let wins = children
        .into_iter()
        .map(|mut c| c.wait().unwrap().success())
        .filter(|ok| *ok)
        .count();
    assert_eq!(wins, 1);
}

#[test]
fn rename_moves_folder_properties_and_fires_triggers() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["apps:create", "old"]).ok();
    sb.dokku(&["config:set", "--no-restart", "old", "K=v"]).ok();
    sb.dokku(&["apps:rename", "old", "new"])
        .ok()
        .out_has("Renaming old to new");
    assert!(!sb.dokku_root().join("old").exists());
    assert_eq!(sb.dokku(&["config:get", "new", "K"]).ok().stdout, "v\n");
    assert!(sb.lib_root().join("config/apps/new/created-at").exists());
    assert!(!sb.lib_root().join("config/apps/old").exists());
    let log = sb.events_log();
    assert!(
        log.contains("INVOKED: post-app-rename-setup( old new )"),
        "{log}"
    );
    assert!(log.contains("INVOKED: post-app-rename( old new )"), "{log}");
    sb.dokku(&["apps:create", "other"]).ok();
    sb.dokku(&["apps:rename", "new", "other"])
        .fails()
        .err_has("Name is already taken");
    assert!(sb.dokku_root().join("new").is_dir());
    sb.dokku(&["apps:rename", "missing", "x"])
        .fails()
        .err_has("App missing does not exist");
    sb.dokku(&["apps:rename", "new", "Bad_Name"])
        .fails()
        .err_has("App name must begin");
    sb.dokku(&["apps:rename", "new"])
        .fails()
        .err_has("new app name");
    sb.dokku(&["apps:lock", "new"]).ok();
    sb.dokku(&["apps:rename", "new", "newer"])
        .fails()
        .err_has("locked");
}

#[test]
fn clone_copies_env_and_properties() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["apps:create", "src"]).ok();
    sb.dokku(&["config:set", "--no-restart", "src", "K=it's v"])
        .ok();
    sb.dokku(&["apps:lock", "src"]).ok();
    sb.dokku(&["apps:clone", "src", "dst"])
        .ok()
        .out_has("Cloning src to dst");
    assert_eq!(
        sb.dokku(&["config:get", "dst", "K"]).ok().stdout,
        "it's v\n"
    );
    assert_eq!(
        sb.dokku(&["config:get", "src", "K"]).ok().stdout,
        "it's v\n"
    );
    assert_eq!(
        sb.dokku(&["apps:locked", "dst"]).code,
        1,
        "the clone must not inherit the lock"
    );
    let log = sb.events_log();
    assert!(log.contains("INVOKED: post-app-clone-setup( src dst )"));
    assert!(log.contains("INVOKED: post-app-clone( src dst )"));
    sb.dokku(&["apps:clone", "src", "dst"])
        .fails()
        .err_has("Name is already taken");
    sb.dokku(&["apps:clone", "--ignore-existing", "src", "dst"])
        .ok()
        .err_has("already taken");
    sb.dokku(&["apps:clone", "nope", "x"])
        .fails()
        .err_has("App nope does not exist");
}

#[test]
fn report_text_json_and_single_flag() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:report"])
        .ok()
        .err_has("You haven't deployed any applications yet");
    sb.dokku(&["apps:create", "web"]).ok();
    let text = sb.dokku(&["apps:report", "web"]).ok();
    assert!(
        text.stdout.starts_with("=====> web app information\n"),
        "{text:?}"
    );
    let dir = sb.dokku_root().join("web").display().to_string();
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("       App dir:") && l.ends_with(&dir)),
        "{text:?}"
    );
    assert!(text.stdout.contains("App locked:"));
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["apps:report", "web", "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["app-dir"], dir.as_str());
    assert_eq!(json["app-locked"], "false");
    // Dokku 0.38's unprefixed keys beside the prefixed ones.
    assert_eq!(json["dir"], dir.as_str());
    assert_eq!(json["locked"], "false");
    assert!(
        json["app-created-at"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_600_000_000
    );
    assert_eq!(
        sb.dokku(&["apps:report", "web", "--app-dir"]).ok().stdout,
        format!("{dir}\n")
    );
    sb.dokku(&["apps:report", "web", "--app-nope"])
        .fails()
        .err_has("Invalid flag passed, valid flags: --app-");
    sb.dokku(&["apps:report", "nope"])
        .fails()
        .err_has("App nope does not exist");
    sb.dokku(&["apps:create", "api"]).ok();
    let all = sb.dokku(&["apps:report"]).ok();
    assert!(
        all.stdout.contains("api app information") && all.stdout.contains("web app information")
    );
}

#[test]
fn lock_unlock_locked() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["apps:locked", "web"])
        .fails()
        .out_has("Deploy lock does not exist");
    sb.dokku(&["apps:lock", "web"])
        .ok()
        .out_has("Deploy lock created");
    sb.dokku(&["apps:locked", "web"])
        .ok()
        .out_has("Deploy lock exists");
    assert_eq!(
        sb.dokku(&["apps:report", "web", "--app-locked"])
            .ok()
            .stdout,
        "true\n"
    );
    sb.dokku(&["apps:unlock", "web"])
        .ok()
        .out_has("Deploy lock removed");
    sb.dokku(&["apps:unlock", "web"])
        .ok()
        .err_has("App not locked");
    sb.dokku(&["apps:lock", "nope"])
        .fails()
        .err_has("App nope does not exist");
}

#[test]
fn answers_app_exists_and_app_maybe_create() {
    let sb = Sandbox::new();
    assert_eq!(sb.plugn(&["trigger", "app-exists", "web"]).code, 1);
    sb.plugn(&["trigger", "app-maybe-create", "web"]).ok();
    sb.plugn(&["trigger", "app-exists", "web"]).ok();
    sb.plugn(&["trigger", "app-maybe-create", "web"]).ok();
    sb.plugn(&["trigger", "app-maybe-create", "Bad"]).fails();
    assert!(!sb.dokku_root().join("Bad").exists());
}

#[test]
fn a_failing_post_create_undoes_the_create() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "refuser",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"r\"\nversion = \"1\"\n",
            ),
            (
                "post-create",
                "#!/bin/sh\necho 'refuser: no new apps' >&2\nexit 4\n",
            ),
        ],
    );
    let out = sb.dokku(&["apps:create", "web"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("refuser: no new apps"));
    assert!(!sb.dokku_root().join("web").exists());
    assert!(!sb.lib_root().join("config/apps/web").exists());
}

#[test]
fn help_lists_the_commands() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["apps:help"]).ok();
    for c in [
        "apps:create",
        "apps:destroy",
        "apps:list",
        "apps:rename",
        "apps:clone",
        "apps:report",
        "apps:lock",
        "apps:unlock",
        "apps:locked",
        "apps:exists",
    ] {
        assert!(out.stdout.contains(c), "{c} missing: {}", out.stdout);
    }
}
