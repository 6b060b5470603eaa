//! One app's life on the real Docker engine, read back from the events log: every trigger of
//! Dokku's documentation that the pipeline fires comes at Dokku's moment (in Dokku's order
//! relative to the others) with Dokku's arguments.

use dokku_tests::{git_ok, Sandbox};

/// `(trigger, arguments)` of every `INVOKED:` line of the events log, in order.
fn events(sb: &Sandbox) -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(sb.logs_dir().join("events.log"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("INVOKED: ")?.1;
            let (name, rest) = rest.split_once("( ")?;
            let args = rest.rsplit_once(" ) NAME=")?.0;
            Some((
                name.to_string(),
                args.split(' ')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
            ))
        })
        .collect()
}

/// Asserts `expected` occurs in `seen` in this order (other triggers may come between). Each
/// expected argument must equal the one fired, except `*`, which matches any one argument.
#[track_caller]
fn in_order(seen: &[(String, Vec<String>)], expected: &[(&str, &[&str])]) {
    let mut at = 0;
    for (name, args) in expected {
        let found = seen[at..].iter().position(|(n, a)| {
            n == name
                && a.len() == args.len()
                && a.iter().zip(args.iter()).all(|(x, y)| *y == "*" || x == y)
        });
        match found {
            Some(i) => at += i + 1,
            None => panic!(
                "{name} {args:?} not fired after position {at}; fired:\n{}",
                seen.iter()
                    .enumerate()
                    .map(|(i, (n, a))| format!("{i:4} {n} {}", a.join(" ")))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

#[test]
fn an_apps_life_fires_dokkus_triggers_in_dokkus_order() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb.dokku(&["events:on"]).ok();
    let app = sb.unique_app("seq");
    let a = app.as_str();

    sb.dokku(&["apps:create", a]).ok();
    sb.dokku(&["config:set", "--no-restart", a, "GREETING=hi"])
        .ok();
    let out = sb.deploy_source(
        a,
        &[
            (
                "Dockerfile",
                &dokku_tests::docker::web_dockerfile("echo hello"),
            ),
            (
                "app.json",
                r#"{"scripts": {"dokku": {"predeploy": "echo pre", "postdeploy": "echo post"}}}"#,
            ),
        ],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let rev = git_ok(
        &sb.dir.path().join(format!("src-{a}")),
        &["rev-parse", "HEAD"],
    );
    let r = rev.as_str();
    let image = format!("dokku/{a}:latest");
    sb.dokku(&["ps:stop", a]).ok();
    sb.dokku(&["ps:start", a]).ok();
    sb.dokku(&["--force", "apps:destroy", a]).ok();

    let seen = events(&sb);
    in_order(
        &seen,
        &[
            ("post-create", &[a]),
            ("post-config-update", &[a, "set", "GREETING"]),
            ("receive-app", &[a, r]),
            ("core-post-extract", &[a, "*", r]),
            ("post-extract", &[a, "*", r]),
            ("builder-detect", &[a, "*"]),
            ("pre-receive-app", &[a, "dockerfile", "*", r]),
            ("builder-build", &["dockerfile", a, "*"]),
            ("pre-build-dockerfile", &[a]),
            ("pre-build", &["dockerfile", a, "*"]),
            ("docker-args-process-build", &[a, "dockerfile"]),
            ("post-build-dockerfile", &[a]),
            ("post-build", &["dockerfile", a, "*"]),
            ("builder-release", &["dockerfile", a, "latest"]),
            ("pre-release-builder", &["dockerfile", a, &image]),
            ("post-release-builder", &["dockerfile", a, &image]),
            ("release-and-deploy", &[a, "latest"]),
            ("post-container-create", &["app", "*", a, "predeploy"]),
            ("pre-deploy", &[a, "latest"]),
            ("scheduler-deploy", &["docker-local", a, "latest"]),
            ("deployed-app-image-repo", &[a]),
            (
                "docker-args-process-deploy",
                &[a, "dockerfile", "latest", "web", "1"],
            ),
            ("post-container-create", &["app", "*", a, "deploy", "web"]),
            ("check-deploy", &[a, "*", "web", "*", "*"]),
            // The postdeploy script runs before the proxy is switched (Dokku runs it at
            // post-deploy): a failing one never leaves the proxy on the new release.
            ("post-container-create", &["app", "*", a, "postdeploy"]),
            ("core-post-deploy", &[a, "*", "*", "latest"]),
            ("post-deploy", &[a, "*", "*", "latest"]),
            ("scheduler-stop", &["docker-local", a, "false"]),
            ("post-stop", &[a]),
            ("pre-start", &[a]),
            ("pre-delete", &[a, "latest"]),
            ("scheduler-stop", &["docker-local", a, "true"]),
            ("scheduler-post-delete", &["docker-local", a, "latest"]),
            ("post-delete", &[a, "latest"]),
        ],
    );
    // post-deploy's port and address are the first web container's, as recorded at deploy.
    let (_, post) = seen.iter().rev().find(|(n, _)| n == "post-deploy").unwrap();
    assert!(post[1].parse::<u16>().is_ok(), "{post:?}");
    assert_eq!(post[2], "127.0.0.1", "{post:?}");
}
