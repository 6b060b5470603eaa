//! Push over http: a real nginx (private, on loopback) checks basic auth and runs
//! `dokku git-http-backend` through fcgiwrap and `git http-backend`; the push reaches the same
//! pipeline and its output streams back; a wrong password gets 401 and nothing deploys.

use dokku_tests::{git_ok, Sandbox};
use std::process::Command;

fn sandbox() -> Sandbox {
    let sb = Sandbox::with_git_http();
    sb.use_fx_builder();
    sb.dokku_in(&["git:http-user-add", "alice"], b"correct horse\n")
        .ok();
    sb
}

fn url(sb: &Sandbox, userinfo: &str, app: &str) -> String {
    format!("http://{userinfo}@127.0.0.1:{}/{app}", sb.git_http_port())
}

fn http_status(sb: &Sandbox, userinfo: &str, path_and_query: &str) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-u",
            userinfo,
        ])
        .arg(format!(
            "http://127.0.0.1:{}{path_and_query}",
            sb.git_http_port()
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn push_over_http_deploys_and_streams() {
    let sb = sandbox();
    sb.dokku(&["events:on"]).ok();
    let w = sb.work_tree("w");
    let rev = sb.commit(&w, &[("id.txt", "h1"), ("SLEEP", "2")], "h1");
    let mut c = dokku_tests::git(&w);
    c.args(["push", &url(&sb, "alice:correct%20horse", "web"), "main"]);
    let run = dokku_tests::timed_stderr(c);
    let err = run.text();
    assert!(run.success, "{err}");
    let step1 = run
        .first_at("fx-builder: step 1")
        .unwrap_or_else(|| panic!("no step 1 line: {err}"));
    assert!(
        run.total.as_secs_f64() - step1.as_secs_f64() >= 1.5,
        "step 1 at {step1:?}, end at {:?}: output did not stream",
        run.total
    );
    assert!(
        err.contains("remote: -----> Building web from herokuish"),
        "{err}"
    );
    assert_eq!(sb.config_get("web", "GIT_REV"), rev);
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    assert!(
        events.contains(&format!("INVOKED: receive-app( web {rev} ) NAME=alice")),
        "{events}"
    );
    // A clone over http gets what was pushed.
    let clone = sb.dir.path().join("clone");
    let mut c = dokku_tests::git(sb.dir.path());
    c.args([
        "clone",
        "--quiet",
        &url(&sb, "alice:correct%20horse", "web"),
    ])
    .arg(&clone);
    sb.run(c, b"").ok();
    assert_eq!(git_ok(&clone, &["rev-parse", "HEAD"]), rev);
}

#[test]
fn wrong_passwords_and_removed_users_get_401_and_deploy_nothing() {
    let sb = sandbox();
    let w = sb.work_tree("w");
    sb.commit(&w, &[("id.txt", "h1")], "h1");
    let mut c = dokku_tests::git(&w);
    c.env("GIT_TERMINAL_PROMPT", "0").args([
        "push",
        &url(&sb, "alice:wrong-password", "web"),
        "main",
    ]);
    let out = sb.run(c, b"").fails();
    assert!(out.stderr.contains("Authentication failed"), "{out:#?}");
    assert!(!sb.dokku_root().join("web").exists());
    assert!(sb.builds("web").is_empty());
    assert_eq!(
        http_status(
            &sb,
            "alice:wrong-password",
            "/web/info/refs?service=git-receive-pack"
        ),
        "401"
    );
    assert_eq!(
        http_status(
            &sb,
            "alice:correct horse",
            "/web/info/refs?service=git-receive-pack"
        ),
        "200"
    );
    // Not a git path: nginx answers 404 before any program runs.
    assert_eq!(
        http_status(&sb, "alice:correct horse", "/../etc/passwd"),
        "404"
    );
    assert_eq!(
        http_status(
            &sb,
            "alice:correct horse",
            "/Web/info/refs?service=git-receive-pack"
        ),
        "404"
    );
    assert_eq!(
        http_status(&sb, "alice:correct horse", "/web/info/refs"),
        "400"
    );
    sb.dokku(&["git:http-user-remove", "alice"]).ok();
    assert_eq!(
        http_status(
            &sb,
            "alice:correct horse",
            "/web/info/refs?service=git-receive-pack"
        ),
        "401"
    );
    sb.dokku(&["git:http-user-remove", "alice"])
        .fails()
        .one_error_line();
}

#[test]
fn http_users_are_validated() {
    let sb = sandbox();
    sb.dokku_in(&["git:http-user-add", "bob"], b"short\n")
        .fails()
        .err_has("at least 8 characters");
    for bad in ["a:b", "", "x y", "-"] {
        sb.dokku_in(&["git:http-user-add", bad], b"long enough\n")
            .fails()
            .one_error_line();
    }
    sb.dokku_in(&["git:http-user-add", "bob"], b"long enough\n")
        .ok();
    sb.dokku_in(&["git:http-user-add", "bob"], b"changed password\n")
        .ok();
    assert_eq!(
        sb.dokku(&["git:http-user-list"]).ok().stdout,
        "alice\nbob\n"
    );
    let htpasswd = sb.dokku_root().join(".git-http/htpasswd");
    let text = std::fs::read_to_string(&htpasswd).unwrap();
    assert!(!text.contains("long enough") && !text.contains("changed password"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&htpasswd).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        http_status(
            &sb,
            "bob:changed password",
            "/x/info/refs?service=git-receive-pack"
        ),
        "200"
    );
}
