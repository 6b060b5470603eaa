//! The swarm scheduler with real `ssh://` hosts, as a user sets it up: a 3-host test cluster
//! whose hosts each run an OpenSSH sshd (root by key only, each session's DOCKER_HOST that host's
//! engine); the dokku side holds the key, the hosts' known_hosts and an `~/.ssh/config` in the
//! dokku user's home and names every engine only as `ssh://root@ADDRESS`. It initializes the
//! swarm, adds a worker and a manager, deploys by git push, answers through nginx, shows and
//! follows `logs`, runs `enter` in a task's container on its node, drains a worker away with
//! `cluster-remove` while polled through nginx, and destroys the app; malformed endpoints are
//! refused with one line and nothing recorded.

use dokku_tests::cluster::Cluster;
use dokku_tests::docker::busybox_image;
use dokku_tests::swarm::{get, listeners, registry_login, wait_running, KillOnDrop, Poller};
use dokku_tests::Sandbox;
use std::io::BufRead;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `scheduler-swarm:cluster-list --format json` as `(name, role, docker_host)`, sorted.
fn cluster_list(sb: &Sandbox) -> Vec<(String, String, String)> {
    let out = sb
        .dokku(&["scheduler-swarm:cluster-list", "--format", "json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = |n: &serde_json::Value, k: &str| n[k].as_str().unwrap_or_default().to_string();
    let mut l: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (s(n, "name"), s(n, "role"), s(n, "docker_host")))
        .collect();
    l.sort();
    l
}

/// Every file under the swarm plugin's global properties, with its content.
fn recorded(sb: &Sandbox) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![sb.lib_root().join("config").join("scheduler-swarm")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.push((p.display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

/// The dokku user's ssh setup, as a user makes it in the dokku user's home (`DOKKU_ROOT`): the
/// key the hosts accept, their host keys, and a config using both, strictly, with one shared
/// connection per host (each docker call is an ssh session; multiplexed, the scenario takes 35 s
/// instead of 55). The shared connections end when the hosts' sshd stop (the cluster's drop).
fn ssh_setup(sb: &Sandbox, c: &Cluster, known_hosts: &str) {
    let ssh = sb.dokku_root().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    let key = ssh.join("id_ed25519");
    std::fs::copy(c.ssh_key(), &key).unwrap();
    let known = ssh.join("known_hosts");
    std::fs::write(&known, known_hosts).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = ssh.join("config");
    std::fs::write(
        &config,
        format!(
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ControlMaster auto\n  ControlPath {}/cm-%C\n  ControlPersist 60\n",
            key.display(),
            known.display(),
            ssh.display()
        ),
    )
    .unwrap();
    // On a real system dokku's commands run as the dokku user, whose passwd home is
    // DOKKU_ROOT, and ssh reads ~/.ssh/config from that passwd entry (not from $HOME). Here
    // they run as root with a sandbox DOKKU_ROOT, so this installation's bin (first in its PATH)
    // gets an `ssh` that reads the dokku user's config: the real ssh, the real sshd.
    let shim = sb.root.join("bin").join("ssh");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
            config.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn dockerfile() -> String {
    // -vv: busybox httpd prints each request's url (the app's output `logs` shows).
    format!(
        "FROM {}\nRUN mkdir -p /www && echo 'over ssh' > /www/index.html\nCMD [\"sh\", \"-c\", \"echo app-started-on-$PORT; exec httpd -f -vv -p $PORT -h /www\"]\n",
        busybox_image()
    )
}

#[test]
fn an_app_on_three_ssh_hosts() {
    let started = Instant::now();
    let Some(c) = Cluster::up_with_ssh(3) else {
        return;
    };
    let sb = Sandbox::with_git_http();
    sb.quick_deploys();
    // First without node2's host key: ssh refuses it, and so does cluster-add (one line).
    let known_hosts = std::fs::read_to_string(c.known_hosts()).unwrap();
    let node2 = &c.node("node2").address;
    let without: String = known_hosts
        .lines()
        .filter(|l| !l.starts_with(&format!("{node2} ")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, known_hosts, "no line for {node2} in {known_hosts}");
    ssh_setup(&sb, &c, &without);
    let addr: Vec<String> = c.nodes().iter().map(|n| n.address.clone()).collect();
    let ssh: Vec<String> = c
        .nodes()
        .iter()
        .map(|n| c.ssh_host(&n.name).to_string())
        .collect();
    assert!(ssh.iter().all(|h| h.starts_with("ssh://root@")), "{ssh:?}");

    // The swarm, from ssh endpoints only.
    let t0 = Instant::now();
    sb.dokku(&[
        "scheduler-swarm:initialize",
        "--docker-host",
        &ssh[0],
        "--advertise-addr",
        &addr[0],
    ])
    .ok();
    let before = recorded(&sb);
    let line = sb
        .dokku(&["scheduler-swarm:cluster-add", &ssh[1]])
        .fails()
        .one_error_line();
    assert!(
        line.contains("host key") && line.contains("known_hosts"),
        "{line}"
    );
    assert_eq!(
        recorded(&sb),
        before,
        "a refused host changed what is recorded"
    );
    ssh_setup(&sb, &c, &known_hosts);
    sb.dokku(&["scheduler-swarm:cluster-add", &ssh[1]]).ok();
    sb.dokku(&["scheduler-swarm:cluster-add", "--role", "manager", &ssh[2]])
        .ok();
    eprintln!("initialize + 2 cluster-add over ssh: {:?}", t0.elapsed());
    let list = cluster_list(&sb);
    let want: Vec<(String, String, String)> = (0..3)
        .map(|i| {
            let role = if i == 1 { "worker" } else { "manager" };
            (format!("node{}", i + 1), role.to_string(), ssh[i].clone())
        })
        .collect();
    assert_eq!(list, want);

    // Malformed endpoints: one line each, nothing recorded.
    let before = recorded(&sb);
    for bad in [
        vec!["ssh://"],
        vec!["ssh://root@"],
        vec!["http://x"],
        vec!["ssh://root@node 2"],
        vec!["--", "-oProxyCommand=touch /tmp/pwned"],
        vec!["-H"],
    ] {
        let mut args = vec!["scheduler-swarm:cluster-add"];
        args.extend(bad.iter().copied());
        let out = sb.dokku(&args).fails();
        out.one_error_line();
        assert_eq!(recorded(&sb), before, "{bad:?} changed what is recorded");
    }
    assert_eq!(cluster_list(&sb), want);

    registry_login(&sb, &c);

    // Deploy by git push; the app answers through nginx.
    let app = sb.unique_app("ssh");
    let svc = format!("{app}_web");
    let host = format!("{app}.dokku.localhost");
    let port = sb.http_port();
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["scheduler:set", &app, "selected", "swarm"]).ok();
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=3"]).ok();
    let work = sb.work_tree("src");
    sb.commit(&work, &[("Dockerfile", &dockerfile())], "one");
    let t0 = Instant::now();
    sb.git_push(&work, &app, &["main"]).ok();
    eprintln!("deploy over ssh (3 replicas): {:?}", t0.elapsed());
    let on = wait_running(&c, &svc, 3, "", 30);
    assert!(
        on.iter().any(|n| n == "node2"),
        "no web task on node2: {on:?}"
    );
    assert_eq!(get(port, &host, "/").as_deref(), Some("over ssh"));
    assert_eq!(listeners(&sb, &app).len(), 3);

    // logs shows the app's output; logs -t follows it.
    let out = sb.dokku(&["logs", &app]).ok();
    assert!(out.stdout.contains("app-started-on-"), "{}", out.stdout);
    let mut cmd = sb.command(sb.root.join("bin/dokku"));
    cmd.args(["logs", &app, "-t"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut follower = KillOnDrop(cmd.spawn().unwrap());
    let (tx, rx) = mpsc::channel::<String>();
    // The app's stdout and stderr arrive on dokku's stdout and stderr (httpd logs on stderr).
    let streams: [Box<dyn std::io::Read + Send>; 2] = [
        Box::new(follower.0.stdout.take().unwrap()),
        Box::new(follower.0.stderr.take().unwrap()),
    ];
    for stream in streams {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let marker = format!("/followed-{}", std::process::id());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut asked = Instant::now() - Duration::from_secs(10);
    loop {
        // Ask again now and then: the follower may still be attaching to the streams.
        if asked.elapsed() > Duration::from_secs(2) {
            let _ = get(port, &host, &marker);
            asked = Instant::now();
        }
        if seen.iter().any(|l: &String| l.contains(&marker)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "logs -t never showed {marker}: {seen:?}"
        );
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    assert!(
        follower.0.try_wait().unwrap().is_none(),
        "logs -t stopped following"
    );
    drop(follower);

    // enter runs the command in that task's container, on its node, with its exit code.
    let out = sb
        .dokku(&["enter", &app, "web.1", "cat", "/www/index.html"])
        .ok();
    assert_eq!(out.stdout.trim(), "over ssh");
    for i in 1..=3 {
        let spec = format!("web.{i}");
        let o = sb.dokku(&["enter", &app, &spec, "sh", "-c", "exit 7"]);
        assert_eq!(o.code, 7, "enter {spec}: {}", o.stderr);
    }

    // cluster-remove of the worker drains it: its tasks move, nginx keeps answering.
    let p = Poller::start(port, host.clone());
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    sb.dokku(&["scheduler-swarm:cluster-remove", "node2"]).ok();
    let removed = t0.elapsed();
    let on = wait_running(&c, &svc, 3, "node2", 30);
    let moved = t0.elapsed();
    let end = Instant::now() + Duration::from_secs(20);
    while listeners(&sb, &app)
        .iter()
        .any(|l| l.starts_with(&format!("{}:", addr[1])))
        || listeners(&sb, &app).len() != 3
    {
        assert!(
            Instant::now() < end,
            "listeners not moved off node2: {:?}",
            listeners(&sb, &app)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let (ok, failed) = p.stop();
    eprintln!(
        "cluster-remove node2: {removed:?}, tasks on {on:?} after {moved:?}; {ok} requests, {} failed",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failed during cluster-remove: {failed:?}"
    );
    let list = cluster_list(&sb);
    assert!(!list.iter().any(|(n, ..)| n == "node2"), "{list:?}");
    assert_eq!(list.len(), 2, "{list:?}");
    let state = c.docker("node2", ["info", "--format", "{{.Swarm.LocalNodeState}}"]);
    assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "inactive");
    assert_eq!(get(port, &host, "/").as_deref(), Some("over ssh"));

    // apps:destroy removes the services.
    sb.dokku(&["--force", "apps:destroy", &app]).ok();
    let left = c.docker(
        "node1",
        [
            "service",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.dokku.app-name={app}"),
        ],
    );
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "services left after apps:destroy"
    );
    eprintln!("whole test: {:?}", started.elapsed());
}
