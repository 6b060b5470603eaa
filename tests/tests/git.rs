//! git push deploys over a real sshd with a real git client: the app is created, the right
//! revision reaches the builder (the `fx-builder` fixture), output streams, failures reject the
//! push, only the deploy branch deploys, pushes to one app are serialised and pushes to two apps
//! run side by side; plus git:set/report, git:sync, git:from-archive, git:from-image, git:unlock.

use dokku_tests::{git_ok, Out, Sandbox};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// A sandbox whose builds are recorded by the `fx-builder` fixture (the only builder; no
/// release step, so a push ends at the builder).
fn sandbox() -> Sandbox {
    let sb = Sandbox::with_ssh();
    sb.use_fx_builder();
    sb
}

fn repo_rev(sb: &Sandbox, app: &str, refname: &str) -> String {
    git_ok(
        &sb.dokku_root().join(app),
        &["rev-parse", "--verify", "--quiet", refname],
    )
}

#[test]
fn push_creates_the_app_and_hands_off_the_revision() {
    let sb = sandbox();
    sb.dokku(&["events:on"]).ok();
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "one")], "one");
    let out = sb.git_push(&w, "web", &["main"]).ok();
    assert!(out.stderr.contains("Creating web"), "{out:#?}");
    assert!(
        out.stderr
            .contains("remote: -----> Building web from herokuish"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("fx-builder: step 2 of web (one)"),
        "{out:#?}"
    );
    assert!(sb.dokku_root().join("web").is_dir());
    assert_eq!(sb.built_ids("web"), ["one"]);
    assert_eq!(sb.config_get("web", "GIT_REV"), rev);
    assert_eq!(repo_rev(&sb, "web", "refs/heads/main"), rev);
    sb.dokku(&["git:report", "web", "--git-deploy-branch"])
        .ok()
        .out_has("main");
    sb.dokku(&["git:report", "web", "--git-sha"])
        .ok()
        .out_has(&rev);
    sb.dokku(&["apps:report", "web", "--app-deploy-source"])
        .ok()
        .out_has("git-push");
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    assert!(
        events.contains(&format!("INVOKED: receive-app( web {rev} ) NAME=admin")),
        "{events}"
    );
    // The scp-like form, through GIT_SSH_COMMAND with the port.
    let rev2 = sb.commit(&w, &[("id.txt", "two")], "two");
    let ssh = format!(
        "{} -p {}",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
        sb.ssh_port()
    );
    let mut c = dokku_tests::git(&w);
    c.env("GIT_SSH_COMMAND", ssh).args([
        "push",
        &format!("{}@127.0.0.1:web", sb.ssh_user()),
        "main",
    ]);
    sb.run(c, b"").ok();
    assert_eq!(sb.built_ids("web"), ["one", "two"]);
    assert_eq!(sb.config_get("web", "GIT_REV"), rev2);
    // A clone over ssh gets the deploy branch.
    let clone = sb.dir.path().join("clone");
    let mut c = dokku_tests::git(sb.dir.path());
    c.env(
        "GIT_SSH_COMMAND",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
    )
    .args(["clone", "--quiet", &sb.push_url("web")])
    .arg(&clone);
    sb.run(c, b"").ok();
    assert_eq!(git_ok(&clone, &["rev-parse", "HEAD"]), rev2);
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    assert!(events.contains("INVOKED: git-pre-pull( web )"), "{events}");
    assert!(events.contains("INVOKED: git-post-pull( web )"), "{events}");
}

#[test]
fn output_arrives_while_the_build_runs() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "slow"), ("SLEEP", "2")], "slow");
    let mut c = dokku_tests::git(&w);
    c.env(
        "GIT_SSH_COMMAND",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
    )
    .args(["push", &sb.push_url("web"), "main"]);
    let run = dokku_tests::timed_stderr(c);
    assert!(run.success, "{}", run.text());
    let step1 = run
        .first_at("fx-builder: step 1")
        .expect("step 1 line arrived");
    // The builder sleeps 2 s between its steps: step 1 must be seen well before the end.
    assert!(
        run.total - step1 >= Duration::from_millis(1500),
        "step 1 arrived at {step1:?}, the push ended at {:?}",
        run.total
    );
}

#[test]
fn a_failed_build_rejects_the_push_and_keeps_the_old_revision() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    let good = sb.commit(&w, &[("id.txt", "good")], "good");
    sb.git_push(&w, "web", &["main"]).ok();
    sb.commit(&w, &[("id.txt", "bad"), ("FAIL", "")], "bad");
    let out = sb.git_push(&w, "web", &["main"]).fails();
    assert!(
        out.stderr.contains("fx-builder: compile error in web"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("the herokuish build of") && out.stderr.contains("failed (exit 3)"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("pre-receive hook declined"), "{out:#?}");
    assert_eq!(repo_rev(&sb, "web", "refs/heads/main"), good);
    assert_eq!(sb.built_ids("web"), ["good", "bad"]);
}

#[test]
fn only_the_deploy_branch_deploys() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "main-1")], "m1");
    sb.git_push(&w, "web", &["main"]).ok();
    git_ok(&w, &["checkout", "--quiet", "-b", "feature"]);
    let feature = sb.commit(&w, &[("id.txt", "feature-1")], "f1");
    let out = sb.git_push(&w, "web", &["feature"]).ok();
    assert!(
        out.stderr
            .contains("feature is stored but not deployed: web deploys main"),
        "{out:#?}"
    );
    assert_eq!(sb.built_ids("web"), ["main-1"]);
    assert_eq!(repo_rev(&sb, "web", "refs/heads/feature"), feature);
    // Switching the deploy branch: the next push of it deploys.
    sb.dokku(&["git:set", "web", "deploy-branch", "feature"])
        .ok();
    sb.commit(&w, &[("id.txt", "feature-2")], "f2");
    sb.git_push(&w, "web", &["feature"]).ok();
    assert_eq!(sb.built_ids("web"), ["main-1", "feature-2"]);
    // A global deploy branch applies to apps without their own.
    sb.dokku(&["git:set", "--global", "deploy-branch", "release"])
        .ok();
    let out = sb.git_push(&w, "api", &["feature:main"]).ok();
    assert!(out.stderr.contains("api deploys release"), "{out:#?}");
    assert!(sb.built_ids("api").is_empty());
    sb.git_push(&w, "api", &["feature:release"]).ok();
    assert_eq!(sb.built_ids("api"), ["feature-2"]);
    sb.dokku(&["git:set", "web", "deploy-branch", "bad..name"])
        .fails()
        .err_has("invalid branch name");
}

/// `start`/`end` lines of one app's log never interleave.
fn assert_serial(lines: &[String]) {
    let mut open = false;
    for l in lines {
        if l.starts_with("start ") {
            assert!(!open, "builds overlap: {lines:#?}");
            open = true;
        } else if l.starts_with("end ") {
            assert!(open, "end without start: {lines:#?}");
            open = false;
        }
    }
}

fn spawn_push(sb: &Sandbox, work: &Path, app: &str, refspec: &str) -> std::process::Child {
    let mut c = dokku_tests::git(work);
    c.env(
        "GIT_SSH_COMMAND",
        sb.ssh_command_with(&sb.root.join("id_ed25519")),
    )
    .args(["push", &sb.push_url(app), refspec])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    c.spawn().unwrap()
}

fn finish(child: std::process::Child) -> Out {
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn concurrent_pushes_to_one_app_are_serialised() {
    let sb = sandbox();
    let a = sb.work_tree("a");
    let x = sb.commit(&a, &[("id.txt", "x"), ("SLEEP", "1")], "x");
    // b holds x and a child of it, y.
    let b = sb.dir.path().join("b");
    git_ok(
        sb.dir.path(),
        &["clone", "--quiet", a.to_str().unwrap(), "b"],
    );
    let y = sb.commit(&b, &[("id.txt", "y")], "y");
    sb.dokku(&["apps:create", "web"]).ok();
    let pa = spawn_push(&sb, &a, "web", "main");
    std::thread::sleep(Duration::from_millis(300));
    let pb = spawn_push(&sb, &b, "web", "main");
    let (oa, ob) = (finish(pa), finish(pb));
    assert_eq!(oa.code, 0, "{oa:#?}");
    assert_eq!(ob.code, 0, "{ob:#?}");
    assert!(
        ob.stderr
            .contains("Waiting for the deploy running on web to finish"),
        "{ob:#?}"
    );
    assert_serial(&sb.builds("web"));
    assert_eq!(sb.built_ids("web"), ["x", "y"]);
    assert_eq!(repo_rev(&sb, "web", "refs/heads/main"), y);
    assert_ne!(x, y);
}

#[test]
fn pushes_to_two_apps_run_side_by_side() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "same"), ("SLEEP", "2")], "slow");
    let p1 = spawn_push(&sb, &w, "one", "main");
    let p2 = spawn_push(&sb, &w, "two", "main");
    finish(p1).ok();
    finish(p2).ok();
    let time = |app: &str, what: &str| -> f64 {
        sb.builds(app)
            .iter()
            .find(|l| l.starts_with(what))
            .and_then(|l| l.split(' ').nth(2))
            .unwrap()
            .parse()
            .unwrap()
    };
    // Each build sleeps 2 s: side by side, each starts before the other ends.
    assert!(time("one", "start") < time("two", "end"));
    assert!(time("two", "start") < time("one", "end"));
}

#[test]
fn locked_apps_and_turned_off_autocreation_refuse_pushes() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "one")], "one");
    sb.git_push(&w, "web", &["main"]).ok();
    sb.dokku(&["apps:lock", "web"]).ok();
    sb.commit(&w, &[("id.txt", "two")], "two");
    sb.git_push(&w, "web", &["main"])
        .fails()
        .err_has("web is locked for deploys");
    sb.dokku(&["apps:unlock", "web"]).ok();
    sb.git_push(&w, "web", &["main"]).ok();
    assert_eq!(sb.built_ids("web"), ["one", "two"]);
    sb.dokku(&[
        "config:set",
        "--global",
        "--no-restart",
        "DOKKU_DISABLE_APP_AUTOCREATION=true",
    ])
    .ok();
    sb.git_push(&w, "new-app", &["main"])
        .fails()
        .err_has("creating apps on push is turned off");
    assert!(!sb.dokku_root().join("new-app").exists());
}

#[test]
fn bad_paths_unknown_keys_and_refused_users() {
    let sb = sandbox();
    for bad in [
        "git-receive-pack '../etc'",
        "git-receive-pack 'Upper'",
        "git-receive-pack 'a/b'",
        "git-upload-pack 'nope'",
    ] {
        let out = sb.ssh(bad).fails();
        assert!(out.stderr.contains(" !     "), "{bad}: {out:#?}");
    }
    assert_eq!(sb.dokku(&["--quiet", "apps:list"]).ok().stdout, "");
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "one")], "one");
    // A key sshd does not know.
    let stranger = sb.new_key("stranger");
    let out = sb
        .git_push_with(&stranger, &w, &sb.push_url("web"), &["main"])
        .fails();
    assert!(out.stderr.contains("Permission denied"), "{out:#?}");
    assert!(!sb.dokku_root().join("web").exists());
    // A plugin refusing a user an app through user-auth-app.
    sb.write_plugin(
        "gate",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"gate\"\nversion = \"0.1.0\"\n",
            ),
            (
                "user-auth-app",
                "#!/usr/bin/env bash\n[[ \"$2\" == admin && \"$3\" == secret ]] && exit 1\nexit 0\n",
            ),
        ],
    );
    sb.git_push(&w, "secret", &["main"])
        .fails()
        .err_has("Access denied to secret for admin");
    assert!(!sb.dokku_root().join("secret").exists());
    sb.git_push(&w, "web", &["main"]).ok();
}

#[test]
fn renamed_and_cloned_apps_keep_deploying() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "one")], "one");
    sb.git_push(&w, "web", &["main"]).ok();
    sb.dokku(&["apps:rename", "--skip-deploy", "web", "site"])
        .ok();
    sb.dokku(&["apps:clone", "--skip-deploy", "site", "copy"])
        .ok();
    sb.commit(&w, &[("id.txt", "two")], "two");
    sb.git_push(&w, "site", &["main"]).ok();
    sb.git_push(&w, "copy", &["main"]).ok();
    assert_eq!(sb.built_ids("site"), ["two"]);
    assert_eq!(sb.built_ids("copy"), ["two"]);
}

#[test]
fn keep_git_dir_rev_env_var_and_builder_detect() {
    let sb = sandbox();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["git:set", "web", "keep-git-dir", "true"]).ok();
    sb.dokku(&["git:set", "web", "rev-env-var", "SOURCE_SHA"])
        .ok();
    sb.dokku(&["git:set", "web", "keep-git-dir", "maybe"])
        .fails()
        .err_has("keep-git-dir must be true or false");
    sb.dokku(&["git:set", "web", "nope", "x"])
        .fails()
        .err_has("invalid property");
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "one"), ("FX", "")], "one");
    let out = sb.git_push(&w, "web", &["main"]).ok();
    assert!(out.stderr.contains("Building web from fx"), "{out:#?}");
    assert!(sb.builds("web").contains(&format!("git-dir {rev}")));
    assert!(sb.builds("web")[0].ends_with(" fx"));
    assert_eq!(sb.config_get("web", "SOURCE_SHA"), rev);
    let json = sb
        .dokku(&["git:report", "web", "--format", "json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["git-keep-git-dir"], "true");
    assert_eq!(v["git-rev-env-var"], "SOURCE_SHA");
}

#[test]
fn git_sync_fetches_and_builds() {
    let sb = sandbox();
    let src = sb.work_tree("src");
    let r1 = sb.commit(&src, &[("id.txt", "s1")], "s1");
    sb.dokku(&["apps:create", "web"]).ok();
    let path = src.to_str().unwrap();
    sb.dokku(&["git:sync", "web", path]).ok();
    assert_eq!(repo_rev(&sb, "web", "refs/heads/main"), r1);
    assert!(sb.built_ids("web").is_empty());
    sb.dokku(&["git:sync", "--build", "web", path, "main"]).ok();
    assert_eq!(sb.built_ids("web"), ["s1"]);
    sb.dokku(&["git:sync", "--build-if-changes", "web", path, "main"])
        .ok()
        .out_has("No changes detected");
    let r2 = sb.commit(&src, &[("id.txt", "s2")], "s2");
    sb.dokku(&["git:sync", "--build-if-changes", "web", path, "main"])
        .ok();
    assert_eq!(sb.built_ids("web"), ["s1", "s2"]);
    assert_eq!(sb.config_get("web", "GIT_REV"), r2);
    for bad in [
        vec!["git:sync", "web", "--upload-pack=touch /tmp/x"],
        vec!["git:sync", "web", "ext::sh"],
        vec!["git:sync", "web", "relative/path"],
        vec!["git:sync", "web", path, "-bad"],
    ] {
        let out = sb.dokku(&bad).fails();
        out.one_error_line();
    }
}

/// Every file under `dir` (relative paths), for before/after comparisons.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_refused_git_sync_changes_nothing() {
    let sb = sandbox();
    let src = sb.work_tree("src");
    sb.commit(&src, &[("id.txt", "s1")], "s1");
    let path = src.to_str().unwrap();
    sb.dokku(&["apps:create", "fresh"]).ok();
    let app_dir = sb.dokku_root().join("fresh");
    let before = files_under(&app_dir);
    // A repository that is not there, then a ref the repository does not have.
    for bad in [
        vec!["git:sync", "fresh", "/nonexistent-repo"],
        vec!["git:sync", "--build", "fresh", path, "no-such-branch"],
    ] {
        let out = sb.dokku(&bad).fails();
        out.one_error_line();
        assert_eq!(
            files_under(&app_dir),
            before,
            "{bad:?} changed the app's folder"
        );
    }
    // A good sync leaves no FETCH_HEAD nor the ref it fetched into.
    sb.dokku(&["git:sync", "fresh", path]).ok();
    assert!(!app_dir.join("FETCH_HEAD").exists());
    let refs = files_under(&app_dir.join("refs"));
    assert!(refs.iter().all(|r| !r.contains("dokku-sync")), "{refs:?}");
}

/// A tar with one entry whose name is written raw (so `..` and absolute paths can be made).
fn raw_tar(name: &str) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..107].copy_from_slice(b"0000644");
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    header[124..135].copy_from_slice(b"00000000001");
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| b as u32).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut out = header.to_vec();
    let mut data = [0u8; 512];
    data[0] = b'x';
    out.extend_from_slice(&data);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn git_from_archive_builds_and_refuses_traversal() {
    let sb = sandbox();
    let src = sb.work_tree("src");
    sb.commit(&src, &[("id.txt", "arch")], "a");
    for (format, id) in [("tar.gz", "arch"), ("zip", "arch"), ("tar", "arch")] {
        let archive = dokku_tests::git(&src)
            .args(["archive", "--format", format, "--prefix", "proj/", "HEAD"])
            .output()
            .unwrap()
            .stdout;
        sb.dokku_in(&["git:from-archive", "web", "-"], &archive)
            .ok();
        assert_eq!(sb.built_ids("web").last().unwrap(), id, "{format}");
    }
    // Three identical archives: one commit (no change after the first), three builds.
    assert_eq!(sb.built_ids("web").len(), 3);
    sb.dokku(&["apps:report", "web", "--app-deploy-source"])
        .ok()
        .out_has("archive");
    let before = repo_rev(&sb, "web", "refs/heads/master");
    let escape = sb.dir.path().join("escaped");
    for name in [
        "../escaped".to_string(),
        escape.display().to_string(),
        "a/../../escaped".to_string(),
    ] {
        let out = sb
            .dokku_in(&["git:from-archive", "web", "-"], &raw_tar(&name))
            .fails();
        assert!(out.one_error_line().contains("refusing it"), "{out:#?}");
    }
    assert!(!escape.exists());
    assert_eq!(repo_rev(&sb, "web", "refs/heads/master"), before);
    assert_eq!(sb.built_ids("web").len(), 3);
    sb.dokku_in(&["git:from-archive", "web", "-"], b"")
        .fails()
        .err_has("the archive is empty");
    sb.dokku(&["git:from-archive", "web", "ftp://x/y.tar"])
        .fails()
        .err_has("invalid archive URL");
    sb.dokku_in(
        &["git:from-archive", "--archive-type", "rar", "web", "-"],
        b"x",
    )
    .fails()
    .err_has("invalid --archive-type");
}

#[test]
fn git_from_image_commits_a_dockerfile() {
    let sb = sandbox();
    sb.dokku(&["git:from-image", "web", "example/app:1.2"]).ok();
    assert!(sb
        .builds("web")
        .contains(&"dockerfile FROM example/app:1.2".to_string()));
    sb.dokku(&["git:report", "web", "--git-source-image"])
        .ok()
        .out_has("example/app:1.2");
    sb.dokku(&["apps:report", "web", "--app-deploy-source"])
        .ok()
        .out_has("docker-image");
    for bad in ["Bad/Image", "a b", "x;rm", "-x"] {
        sb.dokku(&["git:from-image", "web", bad])
            .fails()
            .one_error_line();
    }
}

#[test]
fn git_unlock_removes_stale_locks() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "one")], "one");
    sb.git_push(&w, "web", &["main"]).ok();
    let stale = sb.dokku_root().join("web/refs/heads/main.lock");
    std::fs::write(&stale, "").unwrap();
    sb.commit(&w, &[("id.txt", "two")], "two");
    sb.git_push(&w, "web", &["main"]).fails();
    sb.dokku(&["git:unlock", "web"])
        .ok()
        .out_has("Removed 1 git lock file(s) of web");
    assert!(!stale.exists());
    sb.git_push(&w, "web", &["main"]).ok();
}

#[test]
fn without_a_builder_the_push_is_stored_and_says_so() {
    let sb = Sandbox::with_ssh();
    for builder in ["builder-dockerfile", "builder-herokuish", "builder-null"] {
        sb.dokku(&["plugin:disable", builder]).ok();
    }
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "one")], "one");
    let out = sb.git_push(&w, "web", &["main"]).ok();
    assert!(
        out.stderr
            .contains("No enabled plugin builds apps (none answers builder-build)"),
        "{out:#?}"
    );
    assert_eq!(repo_rev(&sb, "web", "refs/heads/main"), rev);
    sb.dokku(&["config:get", "web", "GIT_REV"]).fails();
}

#[test]
fn git_from_archive_downloads_over_http() {
    let sb = sandbox();
    let src = sb.work_tree("src");
    sb.commit(&src, &[("id.txt", "web-archive")], "a");
    let served = sb.dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let archive = dokku_tests::git(&src)
        .args(["archive", "--format", "tar.gz", "HEAD"])
        .output()
        .unwrap()
        .stdout;
    std::fs::write(served.join("app.tar.gz"), archive).unwrap();
    let server = dokku_tests::FileServer::start(&served);
    let url = format!("http://127.0.0.1:{}/app.tar.gz", server.port);
    let out = sb.dokku(&["git:from-archive", "web", &url]);
    let missing = sb.dokku(&["git:from-archive", "web", &format!("{url}.nope")]);
    drop(server);
    out.ok();
    assert_eq!(sb.built_ids("web"), ["web-archive"]);
    sb.dokku(&["apps:report", "web", "--app-deploy-source-metadata"])
        .ok()
        .out_has(&url);
    missing.fails().err_has("404");
}

#[test]
fn git_initialize_makes_the_repository() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["git:initialize", "web"]).ok();
    assert!(sb.dokku_root().join("web/HEAD").is_file());
    assert!(sb.dokku_root().join("web/hooks/pre-receive").is_file());
    dokku_tests::refused(sb.dokku(&["git:initialize", "nope"]), "does not exist");
    dokku_tests::refused(sb.dokku(&["git:initialize", "Bad"]), "App name must begin");
}
