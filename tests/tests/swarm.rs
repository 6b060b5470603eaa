//! The swarm scheduler on a real 3-host test cluster (scripts/test-cluster: 3 dockerd in
//! network namespaces, a TLS + htpasswd registry on their bridge): an app pushed with
//! `scheduler:set APP selected swarm` is in the registry, runs web tasks on several hosts and
//! answers at its domain through nginx; it scales, rolls its env, redeploys and rolls back
//! without a failed request, `releases:rollback` redeploys a kept release from the registry
//! (no failed request either), it survives the cut of a host (counted), runs one-off tasks with
//! their exit code, moves to docker-local and back, and `apps:destroy` removes its services
//! and registry tags. One long scenario: a cluster costs a few seconds to make.

use dokku_tests::cluster::Cluster;
use dokku_tests::swarm::{
    get, join_unix, listeners, mgr, registry_login, registry_tags, tasks, wait_running, KillOnDrop,
    Poller,
};
use dokku_tests::{docker::web_dockerfile, Sandbox};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn app_json(path: &str) -> String {
    format!(
        r#"{{"healthchecks": {{"web": [{{"type": "startup", "name": "web", "path": "{path}", "attempts": 2, "timeout": 2, "wait": 1}}]}}}}"#
    )
}

#[test]
fn an_app_on_a_three_host_swarm() {
    let Some(c) = Cluster::up(3) else {
        return;
    };
    let sb = Sandbox::with_git_http();
    sb.quick_deploys();
    let nodes = c.nodes().to_vec();
    let reg = c.registry().0.to_string();

    // The cluster: node1 manages, node2 and node3 join.
    refused(
        sb.dokku(&["scheduler-swarm:cluster-add", "unix://relative"]),
        "invalid DOCKER_HOST",
    );
    join_unix(&sb, &c);
    let list = sb
        .dokku(&["scheduler-swarm:cluster-list", "--format", "json"])
        .ok()
        .stdout;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    registry_login(&sb, &c);

    // Deploy by git push.
    let app = sb.unique_app("sw");
    let svc = format!("{app}_web");
    let host = format!("{app}.dokku.localhost");
    let port = sb.http_port();
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["scheduler:set", &app, "selected", "swarm"]).ok();
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=2"]).ok();
    let work = sb.work_tree("src");
    sb.commit(
        &work,
        &[
            ("Dockerfile", &web_dockerfile("one")),
            ("app.json", &app_json("/")),
        ],
        "one",
    );
    let t0 = Instant::now();
    sb.git_push(&work, &app, &["main"]).ok();
    eprintln!("first swarm deploy (2 replicas): {:?}", t0.elapsed());
    let on = wait_running(&c, &svc, 2, "", 30);
    let mut distinct = on.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 2, "web tasks on one host only: {on:?}");
    let image = mgr(
        &c,
        &[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            &svc,
        ],
    );
    let repo_tag = image.split('@').next().unwrap();
    let without_host = repo_tag
        .strip_prefix(&format!("{reg}/"))
        .unwrap_or_else(|| panic!("{image} is not in {reg}"));
    let (repo, tag) = without_host.rsplit_once(':').unwrap();
    assert!(
        registry_tags(&c, repo).contains(&tag.to_string()),
        "{repo}:{tag} missing from the registry"
    );
    assert_eq!(get(port, &host, "/").as_deref(), Some("one"));
    assert_eq!(listeners(&sb, &app).len(), 2);
    let report = sb.dokku(&["ps:report", &app]).ok().stdout;
    assert!(report.contains("node node"), "{report}");

    // Scale up and down.
    sb.dokku(&["ps:scale", &app, "web=5"]).ok();
    wait_running(&c, &svc, 5, "", 30);
    assert_eq!(listeners(&sb, &app).len(), 5);
    sb.dokku(&["ps:scale", &app, "web=2"]).ok();
    wait_running(&c, &svc, 2, "", 30);
    assert_eq!(listeners(&sb, &app).len(), 2);

    // config:set rolls the service with the new env (never on a command line).
    sb.dokku(&["config:set", &app, "SWARM_FLAVOUR=mint"]).ok();
    let env = mgr(
        &c,
        &[
            "service",
            "inspect",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
            &svc,
        ],
    );
    assert!(env.contains("SWARM_FLAVOUR=mint"), "{env}");
    wait_running(&c, &svc, 2, "", 30);

    // A redeploy polled through nginx: no failed request.
    let p = Poller::start(port, host.clone());
    sb.commit(&work, &[("Dockerfile", &web_dockerfile("two"))], "two");
    let t0 = Instant::now();
    sb.git_push(&work, &app, &["main"]).ok();
    let redeploy = t0.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let (ok, failed) = p.stop();
    eprintln!(
        "redeploy: {redeploy:?}, {ok} requests, {} failed",
        failed.len()
    );
    assert!(failed.is_empty(), "failed during the redeploy: {failed:?}");
    assert_eq!(get(port, &host, "/").as_deref(), Some("two"));

    // A release whose health check fails rolls back by itself; the old keeps answering.
    let p = Poller::start(port, host.clone());
    sb.commit(
        &work,
        &[
            ("Dockerfile", &web_dockerfile("three")),
            ("app.json", &app_json("/missing")),
        ],
        "broken",
    );
    let out = sb.git_push(&work, &app, &["main"]);
    assert_ne!(out.code, 0, "a failing release deployed");
    assert!(out.stderr.contains("rolled"), "{}", out.stderr);
    std::thread::sleep(Duration::from_millis(500));
    let (ok, failed) = p.stop();
    eprintln!("rollback: {ok} requests, {} failed", failed.len());
    assert!(failed.is_empty(), "failed during the rollback: {failed:?}");
    assert_eq!(get(port, &host, "/").as_deref(), Some("two"));
    sb.commit(&work, &[("app.json", &app_json("/"))], "fixed check");

    // The failed push is a failed release, never the current one.
    let rel = sb
        .dokku(&["releases", &app, "--format", "json"])
        .ok()
        .stdout;
    let rel: Vec<serde_json::Value> = serde_json::from_str(rel.trim()).unwrap();
    assert_eq!(rel[0]["status"], "failed", "{rel:#?}");
    assert_eq!(rel[0]["current"], false, "{rel:#?}");
    let v1 = rel.last().unwrap().clone();
    assert_eq!(v1["version"], "v1");

    // One-off tasks return their exit code.
    let o = sb.dokku(&["run", &app, "sh", "-c", "echo from-the-swarm; exit 3"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stdout.contains("from-the-swarm"), "{}", o.stdout);
    sb.dokku(&["run", &app, "true"]).ok();

    // The cut of a host running web tasks: Swarm reschedules, nginx stops routing there.
    let watch = KillOnDrop(
        sb.command(sb.root.join("bin/dokku"))
            .args(["scheduler-swarm:watch", "--interval", "250"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let on = wait_running(&c, &svc, 2, "", 30);
    let victim = nodes[1..]
        .iter()
        .find(|n| on.contains(&n.name))
        .expect("a web task off the manager")
        .clone();
    let p = Poller::start(port, host.clone());
    std::thread::sleep(Duration::from_millis(500));
    let t_cut = Instant::now();
    c.cut(&victim.name);
    let end = Instant::now() + Duration::from_secs(60);
    let mut node_down = None;
    let rescheduled = loop {
        if node_down.is_none()
            && mgr(
                &c,
                &[
                    "node",
                    "inspect",
                    "--format",
                    "{{.Status.State}}",
                    &victim.name,
                ],
            ) == "down"
        {
            node_down = Some(t_cut.elapsed());
        }
        let t = tasks(&c, &svc);
        let good = t
            .iter()
            .filter(|(n, s)| *n != victim.name && s == "running")
            .count();
        if good >= 2 {
            break t_cut.elapsed();
        }
        assert!(Instant::now() < end, "not rescheduled: {t:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let end = Instant::now() + Duration::from_secs(20);
    while listeners(&sb, &app)
        .iter()
        .any(|l| l.starts_with(&format!("{}:", victim.address)))
    {
        assert!(
            Instant::now() < end,
            "nginx still routes to {}",
            victim.name
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let rerouted = t_cut.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    let (ok, failed) = p.stop();
    let late: Vec<_> = failed
        .iter()
        .filter(|t| **t > Duration::from_millis(1500))
        .collect();
    eprintln!(
        "cut of {}: node down after {node_down:?}, replicas running again after {rescheduled:?}, listeners moved after {rerouted:?}; {ok} requests, {} failed ({} after the first second)",
        victim.name,
        failed.len(),
        late.len()
    );
    assert!(
        late.is_empty(),
        "failed requests after the first second: {failed:?}"
    );
    c.heal(&victim.name);
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = mgr(&c, &["node", "ls", "--format", "{{.Status}}"]);
        if ready.lines().filter(|l| *l == "Ready").count() == 3 {
            break;
        }
        assert!(Instant::now() < end, "the cluster is not whole: {ready}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(watch);

    // Six replicas across three hosts, timed from push to all serving; then the same on
    // docker-local (the switch removes the swarm services), then back to swarm.
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=6"]).ok();
    sb.commit(&work, &[("Dockerfile", &web_dockerfile("six"))], "six");
    let t0 = Instant::now();
    sb.git_push(&work, &app, &["main"]).ok();
    let swarm6 = t0.elapsed();
    wait_running(&c, &svc, 6, "", 30);
    assert_eq!(get(port, &host, "/").as_deref(), Some("six"));

    // releases:rollback to v1 (same app.json as now: a rollback runs the app's current
    // app.json) pushes v1's kept image to the registry as the next tag and rolls the service to
    // it: v1's body, no failed request.
    let p = Poller::start(port, host.clone());
    let t0 = Instant::now();
    sb.dokku(&["releases:rollback", &app, "v1"]).ok();
    let rolled = t0.elapsed();
    wait_running(&c, &svc, 6, "", 30);
    std::thread::sleep(Duration::from_millis(500));
    let (ok, failed) = p.stop();
    eprintln!(
        "releases:rollback to v1 on swarm: {rolled:?}, {ok} requests, {} failed",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failed during releases:rollback: {failed:?}"
    );
    assert_eq!(get(port, &host, "/").as_deref(), Some("one"));
    let image = mgr(
        &c,
        &[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            &svc,
        ],
    );
    let rolled_tag = image
        .split('@')
        .next()
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .1
        .to_string();
    assert!(
        image.starts_with(&format!("{reg}/{repo}:"))
            && registry_tags(&c, repo).contains(&rolled_tag),
        "{image} is not v1's image in the registry"
    );
    let rel = sb
        .dokku(&["releases", &app, "--format", "json"])
        .ok()
        .stdout;
    let rel: Vec<serde_json::Value> = serde_json::from_str(rel.trim()).unwrap();
    assert_eq!(rel[0]["rollback_of"], "v1", "{rel:#?}");
    assert_eq!(rel[0]["current"], true, "{rel:#?}");
    assert_eq!(rel[0]["image_id"], v1["image_id"]);
    sb.dokku(&["scheduler:set", &app, "selected", "docker-local"])
        .ok();
    sb.commit(&work, &[("Dockerfile", &web_dockerfile("local"))], "local");
    let t0 = Instant::now();
    sb.git_push(&work, &app, &["main"]).ok();
    let local6 = t0.elapsed();
    eprintln!(
        "6 replicas, push to all serving: swarm on 3 hosts {swarm6:?}, docker-local {local6:?}"
    );
    assert_eq!(get(port, &host, "/").as_deref(), Some("local"));
    assert!(
        tasks(&c, &svc).is_empty(),
        "swarm services left after the switch"
    );
    sb.dokku(&["ps:scale", "--skip-deploy", &app, "web=2"]).ok();
    sb.dokku(&["scheduler:set", &app, "selected", "swarm"]).ok();
    sb.dokku(&["ps:rebuild", &app]).ok();
    wait_running(&c, &svc, 2, "", 30);
    assert_eq!(get(port, &host, "/").as_deref(), Some("local"));

    // apps:destroy removes the services and the tags pushed.
    sb.dokku(&["--force", "apps:destroy", &app]).ok();
    assert!(
        mgr(
            &c,
            &[
                "service",
                "ls",
                "-q",
                "--filter",
                &format!("label=com.dokku.app-name={app}")
            ]
        )
        .is_empty(),
        "services left after apps:destroy"
    );
    assert!(
        registry_tags(&c, repo).is_empty(),
        "registry tags left after apps:destroy: {:?}",
        registry_tags(&c, repo)
    );
}

fn refused(out: dokku_tests::Out, needle: &str) {
    dokku_tests::refused(out, needle)
}
