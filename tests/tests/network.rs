//! The network plugin on the real Docker engine: `network:create|exists|list|info|destroy`
//! (with JSON and refusals), `network:set` / `network:report`, two apps reaching each other at
//! `APP.web:5000` once attached (`attach-post-deploy` on deploy and on `network:rebuild`), and
//! `initial-network` for deploy and `run` containers.
//!
//! The busybox image's `wget` crashes (static glibc), so requests go through `nc`.

use dokku_tests::{refused, Sandbox};
use std::process::Command;

/// A sandbox with Docker, quick checks (1 s uptime) and quick retirement (1 s).
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb
}

/// Removes a Docker network on drop (after disconnecting whatever is still on it).
struct NetworkGuard(String);

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        let names = docker_out(&[
            "network",
            "inspect",
            "--format",
            "{{range .Containers}}{{.Name}} {{end}}",
            &self.0,
        ]);
        for c in names.split_whitespace() {
            let _ = Command::new("docker")
                .args(["network", "disconnect", "-f", &self.0, c])
                .output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn docker_network_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["network", "inspect", name])
        .output()
        .unwrap()
        .status
        .success()
}

/// GET http://HOST:5000/ from inside container `from`; the body, or None.
fn get_from(from: &str, host: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["exec", from, "sh", "-c"])
        .arg(format!(
            "printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' | nc -w 3 {host} 5000"
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || !text.starts_with("HTTP/1.") || !text.contains(" 200 ") {
        return None;
    }
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.trim().to_string())
}

fn networks_of(container: &str) -> String {
    docker_out(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        container,
    ])
}

#[test]
fn networks_are_created_listed_inspected_and_destroyed() {
    let sb = sandbox();
    let net = sb.unique_app("net");
    let _guard = NetworkGuard(net.clone());

    // Bad names are refused and nothing is created.
    for bad in ["-bad", "bad!name", "bridge", "none", &"n".repeat(65)] {
        refused(sb.dokku(&["network:create", bad]), "network");
    }
    assert!(!docker_network_exists("bad!name"));
    refused(
        sb.dokku(&["network:destroy", "--force", &net]),
        "does not exist",
    );
    refused(
        sb.dokku(&["network:exists", &net]),
        "Network does not exist",
    );

    let out = sb.dokku(&["network:create", &net]).ok();
    assert!(
        out.stdout.contains(&format!("Creating network {net}")),
        "{out:#?}"
    );
    assert_eq!(
        docker_out(&[
            "network",
            "inspect",
            "--format",
            "{{index .Labels \"com.dokku.network-name\"}}",
            &net
        ]),
        net
    );
    refused(sb.dokku(&["network:create", &net]), "already exists");
    sb.dokku(&["network:exists", &net]).ok();
    sb.dokku(&["network:exists", "bridge"]).ok();

    let list = sb.dokku(&["network:list"]).ok().stdout;
    assert!(list.starts_with("=====> Networks"), "{list}");
    assert!(list.lines().any(|l| l == net), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&sb.dokku(&["network:list", "--format", "json"]).ok().stdout).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == net.as_str() && n["driver"] == "bridge"),
        "{json}"
    );

    let info = sb.dokku(&["network:info", &net]).ok().stdout;
    assert!(
        info.contains(&format!("{net} network information")),
        "{info}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["network:info", &net, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["network-name"], net.as_str());
    assert_eq!(json["network-driver"], "bridge");
    assert_eq!(json["network-attachable"], "true");
    refused(
        sb.dokku(&["network:info", "nope-missing-net"]),
        "does not exist",
    );

    // Destroy asks for the name unless forced.
    sb.dokku_in(&["network:destroy", &net], b"wrong\n")
        .fails()
        .err_has("Confirmation did not match");
    assert!(docker_network_exists(&net));
    sb.dokku_in(&["network:destroy", &net], format!("{net}\n").as_bytes())
        .ok();
    assert!(!docker_network_exists(&net));
    sb.dokku(&["network:create", &net]).ok();
    sb.dokku(&["network:destroy", "--force", &net]).ok();
    assert!(!docker_network_exists(&net));
    refused(
        sb.dokku(&["network:exists", &net]),
        "Network does not exist",
    );
}

#[test]
fn network_properties_are_set_and_reported() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("nprops");
    sb.dokku(&["apps:create", &app]).ok();
    refused(
        sb.dokku(&["network:set", &app, "attach-post-deploy", "a,-b"]),
        "invalid network name",
    );
    refused(
        sb.dokku(&["network:set", &app, "bind-all-interfaces", "maybe"]),
        "true or false",
    );
    refused(
        sb.dokku(&["network:set", &app, "nope", "x"]),
        "invalid property",
    );
    sb.dokku(&["network:set", &app, "attach-post-deploy", "n1, n2 n3"])
        .ok();
    sb.dokku(&["network:set", "--global", "initial-network", "gnet"])
        .ok();
    sb.dokku(&["network:set", &app, "tld", "svc.local"]).ok();
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["network:report", &app, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["network-attach-post-deploy"], "n1,n2,n3");
    assert_eq!(json["network-computed-initial-network"], "gnet");
    assert_eq!(json["network-initial-network"], "");
    assert_eq!(json["network-global-initial-network"], "gnet");
    assert_eq!(json["network-computed-bind-all-interfaces"], "false");
    assert_eq!(json["network-tld"], "svc.local");
    let one = sb
        .dokku(&["network:report", &app, "--network-computed-tld"])
        .ok();
    assert_eq!(one.stdout.trim(), "svc.local");
    let got = sb
        .plugn(&["trigger", "network-get-property", &app, "initial-network"])
        .ok();
    assert_eq!(got.stdout.trim(), "gnet");
    // Unsetting.
    sb.dokku(&["network:set", &app, "attach-post-deploy"]).ok();
    let v = sb
        .dokku(&["network:report", &app, "--network-attach-post-deploy"])
        .ok();
    assert_eq!(v.stdout.trim(), "");
}

#[test]
fn attached_apps_reach_each_other_by_alias() {
    let sb = sandbox();
    let net = sb.unique_app("net2");
    let _guard = NetworkGuard(net.clone());
    let a = sb.unique_app("na");
    let b = sb.unique_app("nb");
    sb.dokku(&["network:create", &net]).ok();
    for app in [&a, &b] {
        sb.dokku(&["apps:create", app]).ok();
    }
    let df = |body: &str| dokku_tests::docker::web_dockerfile(body);
    sb.deploy_source(&b, &[("Dockerfile", &df("hello-from-b"))])
        .ok();
    sb.deploy_source(&a, &[("Dockerfile", &df("a-v1"))]).ok();
    let a_web = format!("{a}.web.1");
    let b_alias = format!("{b}.web");

    // Not on a shared network yet: B's alias does not answer from A.
    assert_eq!(get_from(&a_web, &b_alias), None);

    sb.dokku(&["network:set", &a, "attach-post-deploy", &net])
        .ok();
    sb.dokku(&["network:set", &b, "attach-post-deploy", &net])
        .ok();
    // B is re-attached in place, A on its next deploy (post-deploy).
    sb.dokku(&["network:rebuild", &b]).ok();
    let out = sb.deploy_source(&a, &[("Dockerfile", &df("a-v2"))]).ok();
    assert!(out.stdout.contains("Attaching"), "{out:#?}");
    assert!(
        networks_of(&a_web).contains(&net),
        "{}",
        networks_of(&a_web)
    );

    assert_eq!(get_from(&a_web, &b_alias).as_deref(), Some("hello-from-b"));
    assert_eq!(
        get_from(&a_web, &format!("{b}.web.1")).as_deref(),
        Some("hello-from-b")
    );
    // And back: B reaches A's new release.
    assert_eq!(
        get_from(&format!("{b}.web.1"), &format!("{a}.web")).as_deref(),
        Some("a-v2")
    );

    let info: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["network:info", &net, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    let members = info["network-containers"].as_str().unwrap();
    assert!(
        members.contains(&a_web) && members.contains(&format!("{b}.web.1")),
        "{members}"
    );
    // Docker refuses to remove a network with containers attached.
    sb.dokku(&["network:destroy", "--force", &net]).fails();
    assert!(docker_network_exists(&net));
    // Rebuilding again is a no-op.
    sb.dokku(&["network:rebuildall"]).ok();
}

#[test]
fn initial_network_applies_to_deploy_and_run_containers() {
    let sb = sandbox();
    let net = sb.unique_app("net3");
    let _guard = NetworkGuard(net.clone());
    let c = sb.unique_app("nc");
    sb.dokku(&["network:create", &net]).ok();
    sb.dokku(&["apps:create", &c]).ok();
    sb.dokku(&["network:set", &c, "initial-network", &net]).ok();
    sb.deploy_source(
        &c,
        &[(
            "Dockerfile",
            &dokku_tests::docker::web_dockerfile("hello-from-c"),
        )],
    )
    .ok();
    let web = format!("{c}.web.1");
    let nets = networks_of(&web);
    assert!(nets.contains(&net), "{nets}");
    assert!(!nets.contains("\"bridge\""), "{nets}");
    let aliases = docker_out(&[
        "inspect",
        "--format",
        &format!("{{{{json (index .NetworkSettings.Networks \"{net}\").Aliases}}}}"),
        &web,
    ]);
    assert!(aliases.contains(&format!("\"{c}.web\"")), "{aliases}");
    // A one-off container starts on the same network and reaches the web process.
    let out = sb
        .dokku(&[
            "run",
            &c,
            "sh",
            "-c",
            &format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {c}.web 5000"),
        ])
        .ok();
    assert!(out.stdout.contains("hello-from-c"), "{out:#?}");
}
