//! scripts/test-cluster: three hosts with their own engines and hostnames, a registry the main
//! engine pushes to and every host pulls from, a host cut off and healed, and nothing left after
//! `down`; with `--ssh`, each host's sshd lets root in by the cluster's key only and its
//! sessions reach that host's engine.

use dokku_tests::cluster::Cluster;
use std::process::Command;
use std::time::{Duration, Instant};

fn stdout(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Whether a TCP connection to ADDR opens within a second.
fn reachable(addr: &str) -> bool {
    use std::net::{SocketAddr, TcpStream};
    let addr: SocketAddr = addr.parse().unwrap();
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

fn cmd_stdout(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn three_hosts_a_registry_cut_heal_and_nothing_left() {
    let started = Instant::now();
    let Some(cluster) = Cluster::up(3) else {
        return;
    };
    eprintln!("up in {:.1} s", started.elapsed().as_secs_f64());
    let names: Vec<String> = cluster.nodes().iter().map(|n| n.name.clone()).collect();
    assert_eq!(names, ["node1", "node2", "node3"]);

    // Each engine is its own, with its own hostname.
    let mut ids = Vec::new();
    for node in cluster.nodes() {
        let out = cluster.docker(&node.name, ["info", "--format", "{{.Name}} {{.ID}}"]);
        let info = stdout(&out, "docker info");
        let (hostname, id) = info.split_once(' ').unwrap();
        assert_eq!(hostname, node.name, "{} answers as {hostname}", node.name);
        ids.push(id.to_string());
        assert!(
            node.docker_host
                .ends_with(&format!("/{}/docker.sock", node.name)),
            "{}",
            node.docker_host
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three engines, three IDs");

    // The main engine pushes a fresh image; each host pulls it.
    let (server, _user, _password) = cluster.registry();
    let image = format!("{server}/test-cluster/check:latest");
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("hello"), "hello from the main engine\n").unwrap();
    let tar = Command::new("tar")
        .args(["-C"])
        .arg(ctx.path())
        .args(["-cf", "image.tar", "hello"])
        .current_dir(ctx.path())
        .status()
        .unwrap();
    assert!(tar.success());
    let import = Command::new("docker")
        .args(["import"])
        .arg(ctx.path().join("image.tar"))
        .arg(&image)
        .output()
        .unwrap();
    stdout(&import, "docker import");
    let push = Command::new("docker")
        .args(["push", "-q", &image])
        .env("DOCKER_CONFIG", cluster.main_docker_config())
        .output()
        .unwrap();
    stdout(&push, "docker push from the main engine");
    let _ = Command::new("docker").args(["rmi", &image]).output();
    assert!(
        std::path::Path::new(&format!("/etc/docker/certs.d/{server}/ca.crt")).exists(),
        "the engines trust the registry's CA"
    );
    for node in cluster.nodes() {
        stdout(
            &cluster.docker(&node.name, ["pull", "-q", &image]),
            &format!("docker pull on {}", node.name),
        );
    }
    // Without the login the registry refuses.
    let anon = Command::new("docker")
        .args(["-H", &cluster.node("node1").docker_host, "pull", &image])
        .env("DOCKER_CONFIG", ctx.path())
        .output()
        .unwrap();
    assert!(!anon.status.success(), "the registry wants a login");

    // A cut host is unreachable from the root namespace, and back after heal (the engines do
    // not listen on TCP: a listener in node2's namespace answers).
    let node2 = cluster.node("node2").clone();
    let listener = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{}", cluster.netns("node2")))
        .args(["--", "/bin/busybox", "httpd", "-f", "-p", "7000", "-h"])
        .arg(ctx.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cannot start busybox httpd in node2's namespace");
    let target = format!("{}:7000", node2.address);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !reachable(&target) {
        assert!(Instant::now() < deadline, "{target} never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    cluster.cut("node2");
    assert!(!reachable(&target), "{target} answers after cut");
    cluster.heal("node2");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !reachable(&target) {
        assert!(
            Instant::now() < deadline,
            "{target} never answered after heal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let listener_pid = listener.id();

    // down: no namespace, bridge, veth, process, mount, cgroup, certs.d folder or rule left.
    let dir = cluster.dir().to_path_buf();
    let bridge = cluster.bridge().to_string();
    let certs = format!("/etc/docker/certs.d/{server}");
    let server = server.to_string();
    drop(cluster);
    // down kills it (it ran in node2's namespace); never wait for it forever.
    let mut listener = listener;
    let deadline = Instant::now() + Duration::from_secs(5);
    while listener.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = listener.kill();
            let _ = listener.wait();
            panic!("down left the process {listener_pid} of node2's namespace running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !cmd_stdout("ip", &["netns", "list"]).contains(&bridge),
        "a network namespace is left"
    );
    assert!(
        !cmd_stdout("ip", &["-o", "link", "show"]).contains(&bridge),
        "a bridge or veth is left"
    );
    assert!(
        !cmd_stdout("iptables", &["-w", "-S", "FORWARD"]).contains(&bridge),
        "an iptables rule is left"
    );
    assert!(!std::path::Path::new(&certs).exists(), "{certs} is left");
    let dir_s = dir.to_string_lossy().into_owned();
    assert!(
        !std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .contains(&dir_s),
        "a mount under {dir_s} is left"
    );
    assert!(
        !cmd_stdout("ps", &["-eo", "args"]).contains(&dir_s),
        "a process of the cluster is left"
    );
    assert!(
        !std::path::Path::new(&format!("/sys/fs/cgroup/pids/{bridge}")).exists(),
        "the cgroup is left"
    );
    assert!(!dir.exists(), "{dir_s} is left");
    assert!(
        !cmd_stdout("ss", &["-ltn"]).contains(&server),
        "the registry still listens"
    );
    eprintln!("whole test in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn ssh_hosts_let_root_in_by_key_only_and_reach_their_engine() {
    let Some(cluster) = Cluster::up_with_ssh(1) else {
        return;
    };
    let dir = cluster.dir().to_path_buf();
    let host = cluster.ssh_host("node1").to_string();
    let address = &cluster.node("node1").address;
    assert_eq!(host, format!("ssh://root@{address}"));
    let ssh = |key: &std::path::Path, extra: &[&str], remote: &[&str]| {
        Command::new("ssh")
            .args([
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                cluster.known_hosts().display()
            ))
            .args(["-o", "StrictHostKeyChecking=yes", "-i"])
            .arg(key)
            .args(extra)
            .arg(format!("root@{address}"))
            .args(remote)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    // The session's DOCKER_HOST is node1's engine (what `docker system dial-stdio` uses).
    let out = ssh(
        &cluster.ssh_key(),
        &[],
        &["docker", "info", "--format", "{{.Name}}"],
    );
    assert_eq!(stdout(&out, "docker info over ssh"), "node1");
    // Another key, or a password, gets nowhere.
    let other = tempfile::tempdir().unwrap();
    let key = other.path().join("id");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let out = ssh(&key, &[], &["true"]);
    assert!(!out.status.success(), "another key got in");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied (publickey)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ssh(
        &key,
        &[
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ],
        &["true"],
    );
    assert!(!out.status.success(), "a password prompt was offered");
    drop(cluster);
    let dir_s = dir.to_string_lossy().into_owned();
    assert!(
        !cmd_stdout("ps", &["-eo", "args"]).contains(&dir_s),
        "an sshd of the cluster is left"
    );
    assert!(!dir.exists(), "{dir_s} is left");
}
