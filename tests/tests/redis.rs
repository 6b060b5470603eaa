//! The community-style `redis` plugin (bash, shipped disabled) on the real Docker engine: a
//! service's whole life with a deployed app — create, info, list, link (REDIS_URL, the app's
//! containers on the service network, reaching `dokku-redis-NAME`), data written from the app
//! surviving `redis:restart` and a redeploy, export/import round trip, unlink, destroy refused
//! while linked, destroy removing container, network and data — and its refusals.
//!
//! The image (`dokku/redis:bookworm`) is built once with the plugin's `scripts/build-image`
//! (debootstrap, root) when missing; a test that cannot build it fails, it never skips.

use dokku_tests::{refused, Sandbox};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const REDIS_IMAGE: &str = "dokku/redis:bookworm";

/// Makes sure [`REDIS_IMAGE`] exists (the plugin's `scripts/build-image`, run once).
fn redis_image() -> &'static str {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let script = dokku_tests::repo().join("plugins-available/redis/scripts/build-image");
        dokku_tests::docker::ensure_built(REDIS_IMAGE, &script);
    });
    REDIS_IMAGE
}

/// A sandbox with Docker, the redis plugin enabled, quick checks and quick retirement.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.use_docker();
    redis_image();
    dokku_tests::docker::busybox_image();
    sb.dokku(&["plugin:enable", "redis"]).ok();
    sb.dokku(&["checks:set", "--global", "default-wait", "1"])
        .ok();
    sb.dokku(&["checks:set", "--global", "wait-to-retire", "1"])
        .ok();
    sb
}

/// Removes a service's container, network and data on drop (even when the test panics).
struct ServiceGuard {
    name: String,
    dir: PathBuf,
}

impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let c = format!("dokku.redis.{}", self.name);
        for extra in [c.clone(), format!("{c}.import")] {
            let _ = Command::new("docker").args(["rm", "-f", &extra]).output();
        }
        let members = docker_out(&[
            "network",
            "inspect",
            "--format",
            "{{range .Containers}}{{.Name}} {{end}}",
            &c,
        ]);
        for m in members.split_whitespace() {
            let _ = Command::new("docker")
                .args(["network", "disconnect", "-f", &c, m])
                .output();
        }
        let _ = Command::new("docker").args(["network", "rm", &c]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn docker_ok(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Sends redis commands (inline protocol) from inside container `from` with busybox `nc`;
/// the raw reply.
fn redis_from(from: &str, host: &str, commands: &[&str]) -> String {
    let script: String = commands.iter().map(|c| format!("{c}\\r\\n")).collect();
    let out = Command::new("docker")
        .args(["exec", from, "sh", "-c"])
        .arg(format!("printf '{script}' | nc -w 2 {host} 6379"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_service_lives_linked_to_a_deployed_app() {
    let sb = sandbox();
    let svc = sb.unique_app("cache");
    let dir = sb.lib_root().join(format!("services/redis/{svc}"));
    let _guard = ServiceGuard {
        name: svc.clone(),
        dir: dir.clone(),
    };
    let container = format!("dokku.redis.{svc}");
    let alias = format!("dokku-redis-{svc}");

    // create: container, labels, network, data folder, no host port.
    let out = sb.dokku(&["redis:create", &svc]).ok();
    assert!(out.stdout.contains("created"), "{out:#?}");
    refused(sb.dokku(&["redis:create", &svc]), "already exists");
    assert_eq!(
        docker_out(&["inspect", "--format", "{{.State.Running}}", &container]),
        "true"
    );
    assert_eq!(
        docker_out(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"com.dokku.service\"}} {{index .Config.Labels \"com.dokku.service-name\"}} {{index .Config.Labels \"dokku\"}}|{{.Config.Image}}",
            &container
        ]),
        format!("redis {svc} |{REDIS_IMAGE}")
    );
    let ports = docker_out(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Ports}}",
        &container,
    ]);
    assert!(!ports.contains("HostPort"), "no port is published: {ports}");
    // The password is in a 0600 file, never on a command line (redis-server's included).
    let password = std::fs::read_to_string(dir.join("PASSWORD")).unwrap();
    let password = password.trim();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c);
            assert!(
                !c.contains(password),
                "the password is on a command line: {c}"
            );
        }
    }
    assert_eq!(
        std::fs::metadata(dir.join("redis.conf"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        docker_out(&[
            "inspect",
            "--format",
            "{{json .HostConfig.PortBindings}}",
            &container
        ]),
        "{}"
    );
    assert!(docker_out(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        &container
    ])
    .contains(&container));
    let password = std::fs::read_to_string(dir.join("PASSWORD"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(password.len(), 32);
    let args = docker_out(&["inspect", "--format", "{{json .Args}}", &container]);
    assert_eq!(args, r#"["/etc/dokku-redis.conf"]"#);
    let conf = std::fs::read_to_string(dir.join("redis.conf")).unwrap();
    assert!(
        conf.contains("appendonly yes")
            && conf.contains(&format!("requirepass {password}"))
            && conf.contains("dir /data"),
        "{conf}"
    );
    // Docker lists mounts in no fixed order.
    let mut mounts: Vec<String> = docker_out(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
        &container,
    ])
    .split_whitespace()
    .map(str::to_string)
    .collect();
    mounts.sort();
    assert_eq!(
        mounts,
        [
            format!("{}:/data", dir.join("data").display()),
            format!("{}:/etc/dokku-redis.conf", dir.join("redis.conf").display()),
        ]
    );

    // info, list.
    let dsn = format!("redis://:{password}@{alias}:6379");
    let info = sb.dokku(&["redis:info", &svc]).ok();
    assert!(
        info.stdout.contains("Status:") && info.stdout.contains("running"),
        "{info:#?}"
    );
    assert!(info.stdout.contains(&dsn), "{info:#?}");
    assert!(info
        .stdout
        .contains(&dir.join("data").display().to_string()));
    assert_eq!(
        sb.dokku(&["redis:info", &svc, "--dsn"]).ok().stdout.trim(),
        dsn
    );
    assert_eq!(
        sb.dokku(&["redis:info", &svc, "--status"])
            .ok()
            .stdout
            .trim(),
        "running"
    );
    refused(sb.dokku(&["redis:info", &svc, "--nope"]), "Invalid flag");
    let list = sb.dokku(&["redis:list"]).ok();
    assert!(list.stdout.lines().any(|l| l == svc), "{list:#?}");

    // A deployed app, then the link: REDIS_URL set, the app restarted onto the network.
    let app = sb.unique_app("rapp");
    sb.dokku(&["apps:create", &app]).ok();
    let df = |body: &str| dokku_tests::docker::web_dockerfile(body);
    sb.deploy_source(&app, &[("Dockerfile", &df("v1"))]).ok();
    let web = format!("{app}.web.1");
    sb.dokku(&["redis:link", &svc, &app]).ok();
    refused(sb.dokku(&["redis:link", &svc, &app]), "Already linked");
    assert_eq!(sb.config_get(&app, "REDIS_URL"), dsn);
    assert!(
        docker_out(&[
            "inspect",
            "--format",
            "{{json .NetworkSettings.Networks}}",
            &web
        ])
        .contains(&container),
        "the app's container is on the service network"
    );
    assert_eq!(
        sb.dokku(&["redis:info", &svc, "--links"])
            .ok()
            .stdout
            .trim(),
        app
    );

    // The app's container writes and reads through the alias, with the password.
    let auth = format!("AUTH {password}");
    assert_eq!(
        redis_from(&web, &alias, &[&auth, "SET greeting hello", "GET greeting"]),
        "+OK\r\n+OK\r\n$5\r\nhello\r\n"
    );
    assert!(
        redis_from(&web, &alias, &["GET greeting"]).starts_with("-NOAUTH"),
        "a password is required"
    );

    // The data survives a restart of the service (append-only file in the host folder)...
    sb.dokku(&["redis:restart", &svc]).ok();
    assert!(dir.join("data/appendonlydir").exists());
    assert_eq!(
        redis_from(&web, &alias, &[&auth, "GET greeting"]),
        "+OK\r\n$5\r\nhello\r\n"
    );
    // ... and a redeploy of the app, whose new container joins the network again.
    sb.deploy_source(&app, &[("Dockerfile", &df("v2"))]).ok();
    assert_eq!(
        redis_from(&web, &alias, &[&auth, "GET greeting"]),
        "+OK\r\n$5\r\nhello\r\n"
    );

    // stop / start.
    sb.dokku(&["redis:stop", &svc]).ok();
    assert_eq!(
        sb.dokku(&["redis:info", &svc, "--status"])
            .ok()
            .stdout
            .trim(),
        "exited"
    );
    sb.dokku(&["redis:start", &svc]).ok();
    assert_eq!(
        sb.dokku(&["redis:info", &svc, "--status"])
            .ok()
            .stdout
            .trim(),
        "running"
    );

    // export, change the data, import the dump back: the old data returns and persists.
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["redis:export", &svc]);
    let dump = c.output().unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(dump.stdout.starts_with(b"REDIS"), "an RDB dump on stdout");
    assert_eq!(
        redis_from(
            &web,
            &alias,
            &[&auth, "SET greeting changed", "SET other 1"]
        ),
        "+OK\r\n+OK\r\n+OK\r\n"
    );
    refused(
        sb.dokku_in(&["redis:import", &svc], b"not a dump"),
        "not an RDB dump",
    );
    let out = sb.dokku_in(&["redis:import", &svc], &dump.stdout);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(
        redis_from(&web, &alias, &[&auth, "GET greeting", "EXISTS other"]),
        "+OK\r\n$5\r\nhello\r\n:0\r\n"
    );
    sb.dokku(&["redis:restart", &svc]).ok();
    assert_eq!(
        redis_from(&web, &alias, &[&auth, "GET greeting"]),
        "+OK\r\n$5\r\nhello\r\n",
        "the imported data is in the append-only file"
    );

    // destroy is refused while linked; unlink removes REDIS_URL and the network.
    refused(sb.dokku(&["redis:destroy", "--force", &svc]), "linked");
    assert!(docker_ok(&["container", "inspect", &container]));
    sb.dokku(&["redis:unlink", &svc, &app]).ok();
    refused(sb.dokku(&["redis:unlink", &svc, &app]), "Not linked");
    assert!(sb.dokku(&["config:get", &app, "REDIS_URL"]).code != 0);
    assert!(!docker_out(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        &web
    ])
    .contains(&container));
    assert_eq!(
        sb.dokku(&["network:report", &app, "--network-attach-post-deploy"])
            .ok()
            .stdout
            .trim(),
        ""
    );

    // destroy: a wrong confirmation aborts, --force removes container, network and data.
    sb.dokku_in(&["redis:destroy", &svc], b"other\n")
        .fails()
        .err_has("did not match");
    assert!(docker_ok(&["container", "inspect", &container]));
    sb.dokku(&["redis:destroy", "--force", &svc]).ok();
    assert!(!docker_ok(&["container", "inspect", &container]));
    assert!(!docker_ok(&["network", "inspect", &container]));
    assert!(!dir.exists());
    assert!(!sb
        .dokku(&["redis:list"])
        .ok()
        .stdout
        .lines()
        .any(|l| l == svc));
    refused(sb.dokku(&["redis:info", &svc]), "does not exist");
}

#[test]
fn names_images_and_missing_services_are_refused() {
    let sb = sandbox();
    for bad in ["-bad", "Bad", "bad_name", "bad.name", &"n".repeat(49)] {
        refused(sb.dokku(&["redis:create", bad]), "Invalid service name");
    }
    refused(sb.dokku(&["redis:create"]), "specify a valid name");
    refused(sb.dokku(&["redis:link", "nope", "app"]), "does not exist");
    refused(
        sb.dokku(&["redis:destroy", "--force", "nope"]),
        "does not exist",
    );

    // The image is a global setting; a missing image is refused before anything is created.
    let svc = sb.unique_app("noimg");
    let _guard = ServiceGuard {
        name: svc.clone(),
        dir: sb.lib_root().join(format!("services/redis/{svc}")),
    };
    sb.dokku(&[
        "redis:set",
        "--global",
        "image",
        "dokku-test/no-such-redis:1",
    ])
    .ok();
    refused(sb.dokku(&["redis:create", &svc]), "is missing");
    assert!(!docker_ok(&[
        "network",
        "inspect",
        &format!("dokku.redis.{svc}")
    ]));
    assert!(!sb.lib_root().join(format!("services/redis/{svc}")).exists());
    refused(
        sb.dokku(&["redis:set", "--global", "image", "Bad Image"]),
        "Invalid image",
    );
    sb.dokku(&["redis:set", "--global", "image"]).ok();
    let help = sb.dokku(&["redis:help"]).ok();
    assert!(help.stdout.contains("redis:link"), "{help:#?}");
}
