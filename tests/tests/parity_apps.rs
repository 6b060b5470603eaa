//! Dokku 0.38 parity of apps, names and the nginx config of an undeployed app: `apps:create`
//! makes the app's bare repository (through the git plugin's `post-create`), a push to it
//! deploys; an undeployed app's domains answer 502 through a real nginx until the app has a web
//! listener (`nginx:show-config` shows the config, `proxy:disable` removes it); legacy app names
//! on disk (`my_app`) work in commands and triggers while new names keep today's rule; and
//! `apps:list` with no app says so as Dokku does.

use dokku_tests::{curl_host, refused, Sandbox};

/// `apps:create` leaves a bare repository with the deploy hook, as Dokku's git plugin does at
/// `post-create`; a push to it then deploys (to the `fx-builder` fixture).
#[test]
fn apps_create_makes_the_bare_repository_and_a_push_deploys_into_it() {
    let sb = Sandbox::with_ssh();
    sb.use_fx_builder();
    sb.dokku(&["apps:create", "made"]).ok();
    let dir = sb.dokku_root().join("made");
    assert!(dir.join("refs").is_dir(), "no refs in {}", dir.display());
    assert!(dir.join("HEAD").is_file());
    assert!(dir.join("objects").is_dir());
    let hook = std::fs::read_to_string(dir.join("hooks/pre-receive")).unwrap();
    assert!(hook.contains("git-hook made"), "{hook}");
    // An empty repository has no code yet, and a push fills it.
    sb.dokku(&["git:status", "made"])
        .ok()
        .out_has("No commits yet");
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "one")], "one");
    let out = sb.git_push(&w, "made", &["main"]).ok();
    assert!(!out.stderr.contains("Creating made"), "{out:#?}");
    assert_eq!(sb.built_ids("made"), ["one"]);
    assert_eq!(sb.config_get("made", "GIT_REV"), rev);
    // Renamed and cloned apps keep a repository whose hook names them.
    sb.dokku(&["apps:clone", "--skip-deploy", "made", "copy"])
        .ok();
    let hook = std::fs::read_to_string(sb.dokku_root().join("copy/hooks/pre-receive")).unwrap();
    assert!(hook.contains("git-hook copy"), "{hook}");
    sb.dokku(&["apps:destroy", "--force", "copy"]).ok();
    assert!(!sb.dokku_root().join("copy").exists());
}

/// An undeployed app answers 502 through nginx on its domain (Dokku 0.38's minimal config);
/// `nginx:show-config` shows it, a domain change rewrites it, `proxy:disable` removes it and a
/// web listener replaces it with the proxying config.
#[test]
fn an_undeployed_app_answers_502_until_it_has_a_web_listener() {
    let sb = Sandbox::with_nginx();
    let app = sb.unique_app("np");
    sb.dokku(&["apps:create", &app]).ok();
    let url = format!("http://127.0.0.1:{}/", sb.http_port());
    let host = format!("{app}.dokku.localhost");
    let (status, body) = curl_host(&url, &host, &[]);
    assert_eq!(status, "502", "{body}");
    let conf = sb.dokku(&["nginx:show-config", &app]).ok().stdout;
    assert!(conf.contains("return 502;"), "{conf}");
    assert!(conf.contains(&format!("server_name {host};")), "{conf}");
    // A domain added is answered too.
    sb.dokku(&["domains:add", &app, "extra.example.test"]).ok();
    let (status, _) = curl_host(&url, "extra.example.test", &[]);
    assert_eq!(status, "502");
    // proxy:disable removes it; proxy:enable brings it back.
    sb.dokku(&["proxy:disable", &app]).ok();
    assert!(!sb.dokku_root().join(&app).join("nginx.conf").exists());
    sb.dokku(&["nginx:show-config", &app]).fails();
    sb.dokku(&["proxy:enable", &app]).ok();
    let (status, _) = curl_host(&url, &host, &[]);
    assert_eq!(status, "502");
    // A web listener (as a deploy records it) replaces the placeholder.
    let port = dokku_tests::upstream("served\n");
    let dir = sb.dokku_root().join(&app);
    std::fs::write(dir.join("PORT.web.1"), format!("{port}\n")).unwrap();
    std::fs::write(dir.join("IP.web.1"), "127.0.0.1\n").unwrap();
    sb.dokku(&["proxy:build-config", &app]).ok();
    let (status, body) = curl_host(&url, &host, &[]);
    assert_eq!(status, "200", "{body}");
    assert!(body.contains("served"), "{body}");
    let conf = sb.dokku(&["nginx:show-config", &app]).ok().stdout;
    assert!(!conf.contains("return 502;"), "{conf}");
}

/// A legacy app folder on disk (`my_app`, as an old Dokku created it) is listed and accepted
/// by commands and triggers; a new app (create, rename or clone target) keeps today's rule;
/// nothing path-unsafe is ever accepted.
#[test]
fn legacy_app_names_on_disk_are_tolerated_and_new_names_keep_the_rule() {
    let sb = Sandbox::new();
    std::fs::create_dir(sb.dokku_root().join("my_app")).unwrap();
    sb.dokku(&["--quiet", "apps:list"]).ok().out_has("my_app");
    sb.dokku(&["apps:exists", "my_app"]).ok();
    sb.dokku(&["config:set", "--no-restart", "my_app", "A=1"])
        .ok();
    assert_eq!(sb.config_get("my_app", "A"), "1");
    sb.dokku(&["apps:report", "my_app", "--app-dir"])
        .ok()
        .out_has("my_app");
    sb.dokku(&["git:initialize", "my_app"]).ok();
    assert!(sb.dokku_root().join("my_app/refs").is_dir());
    sb.plugn(&["trigger", "git-has-code", "my_app"]).fails();
    sb.plugn(&["trigger", "app-exists", "my_app"]).ok();
    sb.dokku(&["domains:report", "my_app"]).ok();
    // A legacy app may be renamed and cloned to a name of today's rule, not to another legacy one.
    refused(
        sb.dokku(&["apps:rename", "my_app", "your_app"]),
        "App name must begin with lowercase alphanumeric character",
    );
    assert!(!sb.dokku_root().join("your_app").exists());
    sb.dokku(&["apps:rename", "my_app", "my-app"]).ok();
    assert_eq!(sb.config_get("my-app", "A"), "1");
    // New names keep today's rule.
    for bad in ["new_app", "New"] {
        refused(
            sb.dokku(&["apps:create", bad]),
            "App name must begin with lowercase alphanumeric character",
        );
        assert!(!sb.dokku_root().join(bad).exists());
    }
    let long = "a".repeat(64);
    refused(sb.dokku(&["apps:create", &long]), "at most 63 characters");
    assert!(!sb.dokku_root().join(&long).exists());
    // A missing legacy-looking app is named as missing; unsafe names are refused as names.
    refused(
        sb.dokku(&["config:show", "gone_app"]),
        "App gone_app does not exist",
    );
    std::fs::create_dir(sb.dokku_root().join("_hidden")).unwrap();
    std::fs::create_dir(sb.dokku_root().join("a..b_c")).unwrap();
    for unsafe_name in ["_hidden", "a..b_c", "../x", "-x", ".ssh", "a b", "a\u{1}b"] {
        refused(
            sb.dokku(&["config:show", unsafe_name]),
            "App name must begin with lowercase alphanumeric character",
        );
    }
    let listed = sb.dokku(&["--quiet", "apps:list"]).ok().stdout;
    assert_eq!(listed, "my-app\n", "{listed}");
}

/// `apps:list` with no app: the heading on stdout, Dokku's line on stderr, exit 0.
#[test]
fn apps_list_without_apps_says_so_as_dokku() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["apps:list"]).ok();
    assert_eq!(out.stdout, "=====> My Apps\n");
    assert_eq!(
        out.stderr,
        " !     You haven't deployed any applications yet\n"
    );
    let out = sb.dokku(&["apps:list", "--format", "json"]).ok();
    assert_eq!(out.stdout.trim(), "[]");
    sb.dokku(&["apps:create", "one"]).ok();
    let out = sb.dokku(&["apps:list"]).ok();
    assert_eq!(out.stdout, "=====> My Apps\none\n");
    assert_eq!(out.stderr, "");
}
