//! Dokku 0.38's apps properties (`apps:set`, the retired `DOKKU_DISABLE_APP_AUTOCREATION`
//! moved into `disable-autocreation`), `config:import` (envfile, shell and json; file or stdin;
//! `--replace`), `domains:reset`, `buildpacks:set --replace` and `buildpacks:detect`.

use dokku_tests::Sandbox;
use std::fs;

fn events_log(sb: &Sandbox) -> String {
    fs::read_to_string(sb.logs_dir().join("events.log")).unwrap_or_default()
}

#[test]
fn apps_set_validates_scopes_and_reports() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["apps:set", "--global", "disable-autocreation", "true"])
        .ok()
        .out_has("Setting disable-autocreation to true");
    assert_eq!(
        sb.dokku(&["apps:report", "web", "--app-global-disable-autocreation"])
            .ok()
            .stdout,
        "true\n"
    );
    // Each refusal is one line and changes nothing.
    for bad in [
        &["apps:set", "web", "disable-autocreation", "true"][..],
        &["apps:set", "--global", "disable-autocreation", "maybe"],
        &["apps:set", "--global", "deploy-source", "git"],
        &["apps:set", "web", "nope", "x"],
        &["apps:set", "missing", "deploy-source", "git"],
    ] {
        sb.dokku(bad).fails().one_error_line();
    }
    assert_eq!(
        sb.dokku(&["apps:report", "web", "--app-global-disable-autocreation"])
            .ok()
            .stdout,
        "true\n"
    );
    sb.dokku(&["apps:set", "web", "deploy-source", "git"]).ok();
    sb.dokku(&[
        "apps:set",
        "web",
        "deploy-source-metadata",
        "https://example.test/r",
    ])
    .ok();
    let json = sb
        .dokku(&["apps:report", "web", "--format", "json"])
        .ok()
        .stdout;
    assert!(json.contains("\"app-deploy-source\":\"git\""), "{json}");
    assert!(
        json.contains("\"app-deploy-source-metadata\":\"https://example.test/r\""),
        "{json}"
    );
    // The trigger a push fires refuses a missing app while the property says so.
    let out = sb
        .plugn(&["trigger", "app-maybe-create", "fresh"])
        .fails()
        .err_has("creating apps on push is turned off");
    out.one_error_line();
    assert!(!sb.dokku_root().join("fresh").exists());
    sb.dokku(&["apps:set", "--global", "disable-autocreation"])
        .ok()
        .out_has("Unsetting disable-autocreation");
    sb.plugn(&["trigger", "app-maybe-create", "fresh"]).ok();
    assert!(sb.dokku_root().join("fresh").is_dir());
}

#[test]
fn the_retired_config_var_is_migrated_once_and_a_push_is_refused() {
    let sb = Sandbox::with_ssh();
    sb.use_fx_builder();
    sb.dokku(&[
        "config:set",
        "--global",
        "--no-restart",
        "DOKKU_DISABLE_APP_AUTOCREATION=true",
    ])
    .ok();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "one")], "one");
    sb.git_push(&w, "new-app", &["main"])
        .fails()
        .err_has("creating apps on push is turned off");
    assert!(!sb.dokku_root().join("new-app").exists());
    // Moved into the property, and gone from the global config.
    assert_eq!(
        sb.dokku(&["config:get", "--global", "DOKKU_DISABLE_APP_AUTOCREATION"])
            .code,
        1
    );
    assert_eq!(
        sb.plugn(&[
            "trigger",
            "config-get-global",
            "DOKKU_DISABLE_APP_AUTOCREATION"
        ])
        .ok()
        .stdout,
        ""
    );
    sb.dokku(&["apps:create", "web"]).ok();
    assert_eq!(
        sb.dokku(&["apps:report", "web", "--app-global-disable-autocreation"])
            .ok()
            .stdout,
        "true\n"
    );
    // Still refused through the property alone; allowed once it is turned off.
    sb.git_push(&w, "new-app", &["main"])
        .fails()
        .err_has("creating apps on push is turned off");
    sb.dokku(&["apps:set", "--global", "disable-autocreation", "false"])
        .ok();
    sb.git_push(&w, "new-app", &["main"]).ok();
    assert_eq!(sb.built_ids("new-app"), ["one"]);
}

#[test]
fn config_import_reads_each_format_from_a_file_or_stdin() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["apps:create", "a"]).ok();
    sb.dokku(&["apps:create", "b"]).ok();
    // envfile from stdin: quotes, escapes, `export `, comments.
    let envfile = "# a comment\nexport PLAIN=one two\nQUOTED=\"x\\\"y\\nz\"\nSINGLE='it # is'\n\n";
    sb.dokku_in(
        &["config:import", "--no-restart", "a", "-"],
        envfile.as_bytes(),
    )
    .ok()
    .out_has("Setting config vars");
    assert_eq!(sb.config_get("a", "PLAIN"), "one two");
    assert_eq!(
        sb.dokku(&["config:get", "a", "QUOTED"]).ok().stdout,
        "x\"y\nz\n"
    );
    assert_eq!(sb.config_get("a", "SINGLE"), "it # is");
    // Keys only reach the events log, never values.
    let log = events_log(&sb);
    assert!(log.contains("post-config-update( a set"), "{log}");
    assert!(!log.contains("one two"), "{log}");
    // What config:export writes, config:import reads back, for each format.
    for format in ["shell", "exports", "json", "envfile"] {
        let text = sb
            .dokku(&["config:export", "a", "--format", format])
            .ok()
            .stdout;
        sb.dokku(&["config:clear", "--no-restart", "b"]).ok();
        sb.dokku_in(
            &["config:import", "--no-restart", "--format", format, "b"],
            text.as_bytes(),
        )
        .ok();
        assert_eq!(
            sb.dokku(&["config:export", "b", "--format", "json"])
                .ok()
                .stdout,
            sb.dokku(&["config:export", "a", "--format", "json"])
                .ok()
                .stdout,
            "{format}"
        );
    }
    // json from a file on the server, merged; then --replace drops what the input lacks.
    let file = sb.dokku_root().join("..").join("import.json");
    fs::write(&file, r#"{"NEW":"v","PLAIN":"changed"}"#).unwrap();
    let path = file.display().to_string();
    sb.dokku(&[
        "config:import",
        "--no-restart",
        "--format",
        "json",
        "a",
        &path,
    ])
    .ok();
    assert_eq!(sb.config_get("a", "PLAIN"), "changed");
    assert_eq!(sb.config_get("a", "SINGLE"), "it # is");
    sb.dokku(&[
        "config:import",
        "--no-restart",
        "--replace",
        "--format",
        "json",
        "a",
        &path,
    ])
    .ok()
    .out_has("Unsetting SINGLE");
    assert_eq!(sb.dokku(&["config:keys", "a"]).ok().stdout, "NEW\nPLAIN\n");
    // The global config too.
    sb.dokku_in(&["config:import", "--global"], b"G=1\n").ok();
    assert_eq!(sb.config_get("--global", "G"), "1");
}

#[test]
fn config_import_refuses_bad_input_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "a"]).ok();
    sb.dokku(&["config:set", "--no-restart", "a", "KEEP=1"])
        .ok();
    let env = sb.lib_root().join("config/a/ENV");
    let before = fs::read(&env).unwrap();
    for (args, input) in [
        (&["config:import", "a"][..], &b"GOOD=1\nBAD-KEY=2\n"[..]),
        (&["config:import", "a"], b"GOOD=1\nUNTERMINATED=\"x\n"),
        (&["config:import", "--replace", "a"], b""),
        (&["config:import", "--format", "json", "a"], b"[1]"),
        (&["config:import", "--format", "json", "a"], b"{\"A\":{}}"),
        (&["config:import", "--format", "yaml", "a"], b"A=1"),
        (&["config:import", "a", "/nonexistent/file"], b""),
        (&["config:import", "a", "/"], b""),
        (&["config:import", "missing"], b"A=1"),
        (&["config:import", "a", "-", "extra"], b"A=1"),
    ] {
        sb.dokku_in(args, input).fails().one_error_line();
        assert_eq!(fs::read(&env).unwrap(), before, "{args:?}");
    }
    assert_eq!(sb.dokku(&["config:keys", "a"]).ok().stdout, "KEEP\n");
}

#[test]
fn domains_reset_goes_back_to_the_global_domains() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["domains:set-global", "example.test"]).ok();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["domains:set", "web", "a.other.test", "b.other.test"])
        .ok();
    sb.dokku(&["domains:reset", "web"])
        .ok()
        .out_has("Reset domains for web");
    assert_eq!(
        sb.dokku(&["domains:report", "web", "--domains-app-vhosts"])
            .ok()
            .stdout
            .trim(),
        "web.example.test"
    );
    assert!(events_log(&sb).contains("INVOKED: post-domains-update( web reset )"));
    sb.dokku(&["domains:reset", "missing"])
        .fails()
        .one_error_line();
    sb.dokku(&["domains:reset", "--global"])
        .fails()
        .one_error_line();
    sb.dokku(&["domains:reset", "web", "extra"])
        .fails()
        .one_error_line();
}

#[test]
fn buildpacks_set_replace_and_detect() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["buildpacks:add", "web", "https://example.test/one.git"])
        .ok();
    sb.dokku(&[
        "buildpacks:set",
        "--replace",
        "web",
        "https://example.test/two.git",
        "/srv/local-pack",
    ])
    .ok();
    let list = || sb.dokku(&["--quiet", "buildpacks:list", "web"]).ok().stdout;
    assert_eq!(list(), "https://example.test/two.git\n/srv/local-pack\n");
    for bad in [
        &["buildpacks:set", "--replace", "web"][..],
        &[
            "buildpacks:set",
            "--replace",
            "web",
            "https://example.test/a.git",
            "https://example.test/a.git",
        ],
        &[
            "buildpacks:set",
            "--replace",
            "--index",
            "2",
            "web",
            "https://example.test/a.git",
        ],
        &[
            "buildpacks:set",
            "--replace",
            "web",
            "https://example.test/a.git",
            "-rf",
        ],
    ] {
        sb.dokku(bad).fails().one_error_line();
        assert_eq!(list(), "https://example.test/two.git\n/srv/local-pack\n");
    }
    // detect: the app's list first.
    sb.dokku(&["buildpacks:detect", "web"])
        .ok()
        .out_has("from buildpacks:list web")
        .out_has("       /srv/local-pack");
    // Then, with none set, the .buildpacks file of the pushed code (the deploy branch).
    sb.dokku(&["buildpacks:clear", "web"]).ok();
    sb.dokku(&["buildpacks:detect", "web"])
        .fails()
        .one_error_line();
    let src = sb.work_tree("src");
    sb.commit(
        &src,
        &[(".buildpacks", "https://example.test/from-file.git\n")],
        "code",
    );
    let path = src.display().to_string();
    sb.dokku(&["git:sync", "web", &path, "main"]).ok();
    sb.dokku(&["buildpacks:detect", "web"])
        .ok()
        .out_has("from the .buildpacks file of main")
        .out_has("https://example.test/from-file.git");
    sb.dokku(&["buildpacks:detect", "web", "other"])
        .fails()
        .one_error_line();
    // BUILDPACK_URL wins over everything.
    sb.dokku(&[
        "config:set",
        "--no-restart",
        "web",
        "BUILDPACK_URL=https://example.test/env.git",
    ])
    .ok();
    sb.dokku(&["buildpacks:detect", "web"])
        .ok()
        .out_has("from the BUILDPACK_URL config var")
        .out_has("https://example.test/env.git");
    sb.dokku(&["buildpacks:detect", "web", "--bad"])
        .fails()
        .one_error_line();
    sb.dokku(&["buildpacks:detect", "web", "-x"])
        .fails()
        .one_error_line();
}
