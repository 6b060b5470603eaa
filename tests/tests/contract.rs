//! The contract between plugins goes through triggers only: nginx routes to whatever
//! `network-get-listeners` answers (a community plugin's listeners too), with short connect
//! timeouts and retries so an instance that hangs costs no failed request; docker-local asks ps
//! and checks (`ps-current-scale`, `procfile-get-command`, `ps-get-property`,
//! `checks-get-property`), as the events log shows, and those answer what `ps:scale`, the
//! Procfile and `checks:*` set; `ps:report` shows the processes `scheduler-processes` lists;
//! once another scheduler runs the app, docker-local's `post-deploy` removes its containers.

use dokku_tests::{upstream, Sandbox};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

/// `(status, body)` of a GET through nginx on 127.0.0.1 with `Host: host`, given `max` seconds.
fn get(sb: &Sandbox, host: &str, max: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", max, "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Host: {host}"))
        .arg(format!("http://127.0.0.1:{}/", sb.http_port()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "000"));
    (status.to_string(), body.to_string())
}

/// A loopback port that accepts no more connections: a listener whose accept queue is full,
/// so the kernel drops further SYNs and a connect hangs, as to a host that went away. The
/// listener and the connections filling it are returned, to be kept alive.
fn black_hole() -> (u16, TcpListener, Vec<TcpStream>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let mut filling = Vec::new();
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => filling.push(s),
            Err(_) => break,
        }
        assert!(filling.len() < 5000, "the accept queue never filled");
    }
    (addr.port(), l, filling)
}

fn events(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap_or_default()
}

#[test]
fn nginx_routes_to_the_listeners_a_community_plugin_answers_and_skips_one_that_hangs() {
    let sb = Sandbox::with_nginx();
    sb.dokku(&["events:on"]).ok();
    let app = "elsewhere";
    sb.dokku(&["apps:create", app]).ok();
    let live = upstream("served elsewhere");
    let (dead, _listener, _filling) = black_hole();
    // No PORT.web.N / IP.web.N files: the listeners come from a community plugin alone.
    sb.write_plugin(
        "listeners-elsewhere",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"test\"\nversion = \"1\"\n",
            ),
            (
                "network-get-listeners",
                &format!(
                    "#!/bin/sh\n[ \"$1\" = {app} ] && [ \"$2\" = web ] || exit 0\necho 127.0.0.1:{dead}\necho 127.0.0.1:{live}\n"
                ),
            ),
        ],
    );
    sb.dokku(&["proxy:build-config", app]).ok();
    let conf = sb
        .dokku(&["nginx:show-config", app])
        .ok()
        .out_has(&format!(
            "server 127.0.0.1:{dead} max_fails=1 fail_timeout=5s;"
        ))
        .out_has(&format!(
            "server 127.0.0.1:{live} max_fails=1 fail_timeout=5s;"
        ))
        .out_has("proxy_connect_timeout 1s;")
        .out_has("proxy_next_upstream error timeout http_502 http_503 http_504;")
        .out_has("proxy_next_upstream_tries 3;")
        .stdout;
    assert!(!conf.contains("PORT."), "{conf}");
    assert!(
        events(&sb).contains(&format!("INVOKED: network-get-listeners( {app} web )")),
        "{}",
        events(&sb)
    );
    // Every request answers, though half would go to the instance that hangs: the first one
    // that does costs a 1 s connect timeout and a retry, then nginx leaves it out.
    let host = format!("{app}.dokku.localhost");
    let t = Instant::now();
    for i in 0..20 {
        let (status, body) = get(&sb, &host, "10");
        assert_eq!(status, "200", "request {i}: {body}");
        assert_eq!(body, "served elsewhere");
    }
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "20 requests took {:?}",
        t.elapsed()
    );
    // The connect timeout is a setting.
    sb.dokku(&["nginx:set", app, "proxy-connect-timeout", "2s"])
        .ok();
    sb.dokku(&["nginx:show-config", app])
        .ok()
        .out_has("proxy_connect_timeout 2s;");
    assert_eq!(
        sb.dokku(&["nginx:report", app, "--nginx-proxy-connect-timeout"])
            .ok()
            .stdout
            .trim(),
        "2s"
    );
    let out = sb
        .dokku(&["nginx:set", app, "proxy-connect-timeout", "2m"])
        .fails();
    assert!(out.one_error_line().contains("at most 75s"), "{out:?}");
    // network-clear-listeners forgets one process type's records, and only those.
    let dir = sb.dokku_root().join(app);
    for (t, n) in [("web", "1"), ("web", "2"), ("worker", "1")] {
        sb.plugn(&["trigger", "network-write-ipaddr", app, t, n, "127.0.0.1"])
            .ok();
        sb.plugn(&["trigger", "network-write-port", app, t, n, "4000"])
            .ok();
    }
    sb.plugn(&["trigger", "network-clear-listeners", app, "web"])
        .ok();
    assert!(!dir.join("PORT.web.1").exists() && !dir.join("IP.web.2").exists());
    assert!(dir.join("PORT.worker.1").exists() && dir.join("IP.worker.1").exists());
    sb.plugn(&["trigger", "network-clear-listeners", app, "bad/type"])
        .fails();
}

fn fire(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["trigger"];
    all.extend_from_slice(args);
    sb.plugn(&all).ok().stdout
}

fn app_containers(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-a", "--format", "{{.Names}}", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn docker_local_asks_ps_and_checks_and_leaves_when_another_scheduler_runs_the_app() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("asks");
    let a = app.as_str();
    sb.dokku(&["apps:create", a]).ok();
    // Before any deploy: no Procfile, so web alone, once.
    assert_eq!(fire(&sb, &["ps-current-scale", a]), "web=1\n");
    assert_eq!(fire(&sb, &["app-json-get-content", a]), "");
    sb.dokku(&["checks:set", a, "wait-to-retire", "1"]).ok();
    sb.dokku(&["checks:disable", a, "worker"]).ok();
    sb.dokku(&["ps:set", a, "restart-policy", "unless-stopped"])
        .ok();
    sb.dokku(&["events:on"]).ok();
    let procfile = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    let appjson = "{\"formation\": {\"worker\": {\"quantity\": 1}}}";
    sb.deploy_source(
        a,
        &[
            ("Dockerfile", &dokku_tests::docker::web_dockerfile("asked")),
            ("Procfile", procfile),
            ("app.json", appjson),
        ],
    )
    .ok();
    // The deploy asked, once each (wait-to-retire only once there are old containers).
    let log = events(&sb);
    for asked in [
        format!("ps-current-scale( {a} )"),
        format!("procfile-get-command( {a} web 5000 )"),
        format!("procfile-get-command( {a} worker 5000 )"),
        format!("ps-get-property( {a} restart-policy )"),
        format!("checks-get-property( {a} disabled )"),
        format!("ports-get-container-port( {a} )"),
        format!("network-clear-listeners( {a} web )"),
    ] {
        let n = log.matches(&format!("INVOKED: {asked}")).count();
        assert_eq!(n, 1, "{asked} fired {n} times:\n{log}");
    }
    // And what it was told is what runs.
    let mut names = app_containers(a);
    names.sort();
    assert_eq!(names, [format!("{a}.web.1"), format!("{a}.worker.1")]);
    let policy = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{.HostConfig.RestartPolicy.Name}}",
            &format!("{a}.web.1"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&policy.stdout).trim(),
        "unless-stopped"
    );
    // The answers follow ps:scale, the Procfile, app.json and checks:*.
    assert_eq!(fire(&sb, &["ps-current-scale", a]), "web=1\nworker=1\n");
    assert_eq!(
        fire(&sb, &["procfile-get-command", a, "web", "5000"]),
        "exec httpd -f -p 5000 -h /www\n"
    );
    assert_eq!(
        fire(&sb, &["procfile-get-command", a, "release", "5000"]),
        ""
    );
    assert_eq!(fire(&sb, &["app-json-get-content", a]), appjson);
    assert_eq!(
        fire(&sb, &["ps-get-property", a, "restart-policy"]),
        "unless-stopped\n"
    );
    assert_eq!(
        fire(&sb, &["checks-get-property", a, "disabled"]),
        "worker\n"
    );
    assert_eq!(fire(&sb, &["checks-get-property", a, "skipped"]), "\n");
    assert_eq!(
        fire(&sb, &["checks-get-property", a, "wait-to-retire"]),
        "1\n"
    );
    sb.dokku(&["checks:set", "--global", "default-wait", "3"])
        .ok();
    assert_eq!(
        fire(&sb, &["checks-get-property", a, "default-wait"]),
        "3\n"
    );
    sb.plugn(&["trigger", "checks-get-property", a, "nope"])
        .fails();
    sb.dokku(&["ps:scale", "--skip-deploy", a, "worker=0"]).ok();
    assert_eq!(fire(&sb, &["ps-current-scale", a]), "web=1\nworker=0\n");
    sb.dokku(&["ps:scale", "--skip-deploy", a, "worker=1"]).ok();
    // ps:report: one row per process, from scheduler-processes.
    let processes = fire(&sb, &["scheduler-processes", "docker-local", a]);
    let lines: Vec<&str> = processes.lines().collect();
    assert_eq!(lines.len(), 2, "{processes}");
    assert!(lines[0].starts_with("web\t1\trunning\t"), "{processes}");
    assert!(lines[1].starts_with("worker\t1\trunning\t"), "{processes}");
    assert!(lines.iter().all(|l| l.ends_with("\tlocal")), "{processes}");
    assert_eq!(fire(&sb, &["scheduler-processes", "elsewhere", a]), "");
    sb.dokku(&["ps:report", a])
        .ok()
        .out_has("Status web 1:")
        .out_has("running (CID: ")
        .out_has("Status worker 1:");
    // Another scheduler runs the app now: docker-local's post-deploy removes its containers.
    sb.write_plugin(
        "aaa-elsewhere",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"test\"\nversion = \"1\"\n",
            ),
            (
                "scheduler-detect",
                &format!("#!/bin/sh\n[ \"$1\" = {a} ] && echo elsewhere\nexit 0\n"),
            ),
        ],
    );
    // ps:restart deploys through it (nothing answers scheduler-deploy elsewhere here), then
    // fires post-deploy.
    let out = sb.dokku(&["ps:restart", a]).ok();
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("its scheduler is now elsewhere"),
        "{out:#?}"
    );
    assert_eq!(app_containers(a), Vec::<String>::new());
    assert!(!sb.dokku_root().join(a).join("CONTAINER.web.1").exists());
    sb.dokku(&["apps:destroy", "--force", a]).ok();
}
