//! The git plugin's access to private remotes and its image paths, with real components:
//! `git:auth` writes the dokku user's netrc (0600) and `git:sync` then fetches from a real
//! basic-auth http git server (the sandbox's nginx) that refused it before; `git:auth-status`
//! answers by exit code. `git:generate-deploy-key`, `git:public-key` and `git:allow-host`
//! against the sandbox's real sshd on loopback, then `git:sync` over ssh:// with that key.
//! `git:load-image` takes a `docker save` tarball on stdin and deploys it; `git:from-image`
//! skips an unchanged image unless `--force`; `git:sync --skip-deploy-branch`; `git:set
//! --global keep-git-dir|source-image`; `git:status`. Bad input: one line, nothing written.

use dokku_tests::{git_ok, http_body, refused, Sandbox};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// Syncs a local work tree into `app` (no build): a repository for remotes to serve.
fn source_app(sb: &Sandbox, app: &str, content: &str) -> String {
    let w = sb.work_tree(&format!("w-{app}"));
    let rev = sb.commit(&w, &[("id.txt", content)], content);
    sb.dokku(&["git:sync", app, &w.display().to_string(), "main"])
        .ok();
    rev
}

fn app_rev(sb: &Sandbox, app: &str, branch: &str) -> String {
    git_ok(
        &sb.dokku_root().join(app),
        &["rev-parse", &format!("refs/heads/{branch}")],
    )
}

#[test]
fn git_auth_netrc_lets_git_sync_fetch_a_private_http_remote() {
    let sb = Sandbox::with_git_http();
    sb.dokku_in(&["git:http-user-add", "alice"], b"s3cret-pass\n")
        .ok();
    let rev = source_app(&sb, "private", "p1");
    let url = format!("http://127.0.0.1:{}/private", sb.git_http_port());
    let netrc = sb.dokku_root().join(".netrc");

    // No credentials: the server refuses, one line, no app made.
    refused(sb.dokku(&["git:sync", "copy", &url, "main"]), "git:sync");
    assert!(!sb.dokku_root().join("copy").exists());
    sb.dokku(&["git:auth-status", "127.0.0.1"]).ok();

    // Bad input: one line, no netrc written.
    refused(
        sb.dokku(&["git:auth", "bad host", "alice", "x"]),
        "invalid host",
    );
    refused(
        sb.dokku(&["git:auth", "127.0.0.1", "alice", "two words"]),
        "whitespace",
    );
    refused(sb.dokku(&["git:auth", "127.0.0.1", "alice"]), "no password");
    assert!(!netrc.exists());

    // The password on stdin (never on a command line of ours).
    sb.dokku_in(&["git:auth", "127.0.0.1", "alice"], b"s3cret-pass\n")
        .ok()
        .out_has("Setting netrc auth entry for host 127.0.0.1");
    let mode = std::fs::metadata(&netrc).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&netrc)
        .unwrap()
        .contains("machine 127.0.0.1 login alice password s3cret-pass"));
    let st = sb.dokku(&["git:auth-status", "127.0.0.1", "alice", "s3cret-pass"]);
    assert_eq!((st.code, st.stdout.as_str()), (0, ""), "{}", st.stderr);
    let st = sb.dokku(&["git:auth-status", "127.0.0.1", "alice", "wrong"]);
    assert_eq!((st.code, st.stdout.as_str()), (1, ""), "{}", st.stderr);
    assert_eq!(sb.dokku(&["git:auth-status", "127.0.0.1"]).code, 1);

    sb.dokku(&["git:sync", "copy", &url, "main"]).ok();
    assert_eq!(app_rev(&sb, "copy", "main"), rev);

    // A second host's entry stays when the first is removed.
    sb.dokku(&["git:auth", "--global", "git.example.com", "bob", "tok"])
        .ok();
    sb.dokku(&["git:auth", "127.0.0.1"])
        .ok()
        .out_has("Removing netrc auth entry for host 127.0.0.1");
    sb.dokku(&["git:auth-status", "127.0.0.1"]).ok();
    sb.dokku(&["git:auth-status", "git.example.com", "bob", "tok"])
        .ok();
    refused(sb.dokku(&["git:sync", "copy", &url, "main"]), "git:sync");
}

#[test]
fn deploy_key_allow_host_and_git_sync_over_ssh() {
    let sb = Sandbox::with_ssh();
    let rev = source_app(&sb, "origin", "s1");
    let ssh_dir = sb.dokku_root().join(".ssh");

    refused(sb.dokku(&["git:public-key"]), "There is no deploy key");
    sb.dokku(&["git:generate-deploy-key"])
        .ok()
        .out_has("Generated a deploy key");
    let key = ssh_dir.join("id_ed25519");
    let public = std::fs::read_to_string(ssh_dir.join("id_ed25519.pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 "), "{public}");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o077,
        0
    );
    // Idempotent: the key stays.
    sb.dokku(&["git:generate-deploy-key"])
        .ok()
        .out_has("already exists");
    let shown = sb.dokku(&["git:public-key"]).ok().stdout;
    assert_eq!(shown.trim(), public.trim());

    // The remote (this sandbox's sshd) lets the deploy key in.
    let pub_path = ssh_dir.join("id_ed25519.pub").display().to_string();
    sb.dokku(&["ssh-keys:add", "deploy", &pub_path]).ok();
    let url = format!("ssh://{}@127.0.0.1:{}/origin", sb.ssh_user(), sb.ssh_port());
    // Unknown host: refused in batch mode, nothing made.
    refused(sb.dokku(&["git:sync", "copy", &url, "main"]), "git:sync");
    assert!(!sb.dokku_root().join("copy").exists());

    refused(
        sb.dokku(&["git:allow-host", "-oProxyCommand=touch"]),
        "invalid host",
    );
    refused(sb.dokku(&["git:allow-host", "127.0.0.1:0"]), "invalid port");
    let host = format!("127.0.0.1:{}", sb.ssh_port());
    sb.dokku(&["git:allow-host", &host])
        .ok()
        .out_has(&format!("{host} added to known hosts"));
    sb.dokku(&["git:allow-host", &host]).ok();
    let known = std::fs::read_to_string(ssh_dir.join("known_hosts")).unwrap();
    let marker = format!("[127.0.0.1]:{} ", sb.ssh_port());
    let lines: Vec<&str> = known.lines().filter(|l| l.starts_with(&marker)).collect();
    assert!(!lines.is_empty(), "{known}");
    let mut dedup = lines.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(lines.len(), dedup.len(), "duplicates: {known}");

    sb.dokku(&["git:sync", "copy", &url, "main"]).ok();
    assert_eq!(app_rev(&sb, "copy", "main"), rev);
}

#[test]
fn sync_skip_deploy_branch_global_settings_and_status() {
    let sb = Sandbox::new();
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "b1")], "b1");
    git_ok(&w, &["branch", "feature"]);
    let path = w.display().to_string();

    // Without the flag the ref's branch becomes the deploy branch; with it, it does not.
    sb.dokku(&["git:sync", "one", &path, "feature"]).ok();
    sb.dokku(&["git:report", "one", "--git-deploy-branch"])
        .ok()
        .out_has("feature");
    sb.dokku(&["git:sync", "--skip-deploy-branch", "two", &path, "feature"])
        .ok();
    let out = sb
        .dokku(&["git:report", "two", "--git-deploy-branch"])
        .stdout;
    assert!(!out.contains("feature"), "{out}");
    assert_eq!(app_rev(&sb, "two", "master"), rev);

    sb.dokku(&["git:status", "two"])
        .ok()
        .out_has("On branch master")
        .out_has(&rev[..7]);
    sb.dokku(&["apps:create", "empty"]).ok();
    sb.dokku(&["git:status", "empty"])
        .ok()
        .out_has("No commits yet");
    refused(sb.dokku(&["git:status", "missing"]), "missing");

    // Global keep-git-dir and source-image, shown by git:report.
    sb.dokku(&["git:set", "--global", "keep-git-dir", "true"])
        .ok();
    sb.dokku(&["git:report", "two", "--git-computed-keep-git-dir"])
        .ok()
        .out_has("true");
    sb.dokku(&["git:report", "two", "--git-global-keep-git-dir"])
        .ok()
        .out_has("true");
    sb.dokku(&["git:set", "two", "keep-git-dir", "false"]).ok();
    sb.dokku(&["git:report", "two", "--git-keep-git-dir"])
        .ok()
        .out_has("false");
    refused(
        sb.dokku(&["git:set", "--global", "keep-git-dir", "maybe"]),
        "keep-git-dir",
    );
    sb.dokku(&["git:set", "--global", "source-image", "example/app:2"])
        .ok();
    sb.dokku(&["git:report", "two", "--git-global-source-image"])
        .ok()
        .out_has("example/app:2");
    refused(
        sb.dokku(&["git:set", "--global", "source-image", "Bad Image"]),
        "invalid image",
    );
}

#[test]
fn load_image_deploys_a_tarball_and_from_image_force() {
    let sb = Sandbox::with_ssh();
    sb.quick_deploys();
    let app = sb.unique_app("load");
    let image = format!("{app}-src:1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        dokku_tests::docker::web_dockerfile("loaded"),
    )
    .unwrap();
    let st = Command::new("docker")
        .args(["build", "-q", "-t", &image])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(st.status.success());
    let tar = Command::new("docker")
        .args(["save", &image])
        .output()
        .unwrap()
        .stdout;
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();

    // Not a tarball, or not holding the image named: one line, nothing deployed.
    refused(
        sb.dokku_in(&["git:load-image", &app], b"not a tarball"),
        "docker load",
    );
    refused(
        sb.dokku_in(&["git:load-image", &app, "other/image:1"], &tar),
        "does not hold other/image:1",
    );
    assert!(!sb.dokku_root().join(&app).join("refs").exists());

    sb.dokku_in(&["git:load-image", &app, &image], &tar).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("loaded")
    );
    sb.dokku(&["git:report", &app, "--git-source-image"])
        .ok()
        .out_has(&image);

    // The same image again: nothing to build, unless --force.
    let before = sb.dokku_root().join(&app).join("PORT.web.1");
    sb.dokku(&["git:from-image", &app, &image])
        .ok()
        .out_has("skipping build");
    assert!(before.exists());
    let out = sb.dokku(&["git:from-image", "--force", &app, &image]).ok();
    assert!(
        out.stdout.contains("Building") || out.stderr.contains("Building"),
        "{out:?}"
    );
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("loaded")
    );

    // Without a name: the one image the tarball holds.
    sb.dokku_in(&["git:load-image", &app], &tar).ok();
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}
