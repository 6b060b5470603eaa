//! Network and docker-options items on the real engine: an app routed through a real nginx to a
//! listener outside Docker (`static-web-listener`), `bind-all-interfaces` publishing web ports
//! on every interface (checked with `docker inspect`, requested through 127.0.0.1 only),
//! `network:info|list` in Dokku's formats with `--dokku-managed`, and docker options per
//! process type (`--process`), applied only to that process type's containers at deploy.

use dokku_tests::docker::{docker_stdout, web_dockerfile};
use dokku_tests::{http_body, refused, upstream, Sandbox};
use std::process::Command;

/// GET / through the sandbox's nginx (on 127.0.0.1) with `Host: host`: (status, body).
fn through_nginx(sb: &Sandbox, host: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", "-H"])
        .arg(format!("Host: {host}"))
        .arg(format!("http://127.0.0.1:{}/", sb.http_port()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "000"));
    (status.to_string(), body.trim().to_string())
}

/// The host addresses a container's ports are published on (`HostIp` of each binding).
fn host_ips(container: &str) -> Vec<String> {
    let out = docker_stdout(&[
        "container",
        "inspect",
        "--format",
        "{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}} {{end}}{{end}}",
        container,
    ]);
    out.split_whitespace().map(str::to_string).collect()
}

/// A container's label `key` (empty when it has none).
fn label(container: &str, key: &str) -> String {
    docker_stdout(&[
        "container",
        "inspect",
        "--format",
        &format!("{{{{index .Config.Labels \"{key}\"}}}}"),
        container,
    ])
    .trim()
    .replace("<no value>", "")
}

#[test]
fn a_static_web_listener_is_served_through_nginx_and_unset_restores_the_app() {
    let sb = Sandbox::with_nginx();
    let app = sb.unique_app("static");
    let port = upstream("from-outside-docker");
    sb.dokku(&["apps:create", &app]).ok();
    let listener = format!("127.0.0.1:{port}");

    // Bad values and --global: one line, nothing stored.
    for bad in [
        "127.0.0.1",
        "127.0.0.1:0",
        "127.0.0.1:70000",
        "127.0.0.1:80x",
        "a b:80",
        "999.1.1.1:80",
        ":80",
        "-x:80",
    ] {
        refused(
            sb.dokku(&["network:set", &app, "static-web-listener", bad]),
            "static-web-listener",
        );
    }
    refused(
        sb.dokku(&["network:set", "--global", "static-web-listener", &listener]),
        "per app",
    );
    let v = sb
        .dokku(&["network:report", &app, "--network-static-web-listener"])
        .ok();
    assert_eq!(v.stdout.trim(), "");

    // Dokku's recipe: the listener, the port map to its port, then the proxy config.
    sb.dokku(&["network:set", &app, "static-web-listener", &listener])
        .ok();
    sb.dokku(&["ports:set", &app, &format!("http:80:{port}")])
        .ok();
    sb.dokku(&["proxy:build-config", &app]).ok();
    let host = format!("{app}.dokku.localhost");
    assert_eq!(
        through_nginx(&sb, &host),
        ("200".to_string(), "from-outside-docker".to_string())
    );
    sb.dokku(&["nginx:show-config", &app])
        .ok()
        .out_has(&listener);
    let got = sb
        .plugn(&["trigger", "network-get-listeners", &app, "web"])
        .ok();
    assert_eq!(got.stdout.trim(), listener);
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["network:report", &app, "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["network-static-web-listener"], listener.as_str());
    assert_eq!(json["network-web-listeners"], listener.as_str());

    // Unset: the app's own (here: none, it was never deployed) again; nginx no longer routes.
    sb.dokku(&["network:set", &app, "static-web-listener"]).ok();
    let got = sb
        .plugn(&["trigger", "network-get-listeners", &app, "web"])
        .ok();
    assert_eq!(got.stdout.trim(), "");
    sb.dokku(&["proxy:build-config", &app]).ok();
    let (status, body) = through_nginx(&sb, &host);
    assert_ne!(body, "from-outside-docker", "{status}");
}

#[test]
fn bind_all_interfaces_publishes_web_ports_on_every_interface() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("bindall");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("bound"))])
        .ok();
    let web = format!("{app}.web.1");
    assert_eq!(host_ips(&web), ["127.0.0.1"]);

    sb.dokku(&["network:set", &app, "bind-all-interfaces", "true"])
        .ok();
    sb.dokku(&["ps:rebuild", &app]).ok();
    assert_eq!(host_ips(&web), ["0.0.0.0"]);
    // Requested through loopback only.
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("bound")
    );

    sb.dokku(&["network:set", &app, "bind-all-interfaces"]).ok();
    sb.dokku(&["ps:rebuild", &app]).ok();
    assert_eq!(host_ips(&web), ["127.0.0.1"]);
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("bound")
    );
}

#[test]
fn network_info_and_list_in_dokkus_formats_with_dokku_managed() {
    let sb = Sandbox::new();
    sb.use_docker();
    let net = sb.unique_app("nlist");
    sb.dokku(&["network:create", &net]).ok();
    let cleanup = || {
        let _ = Command::new("docker")
            .args(["network", "rm", &net])
            .output();
    };

    let result = std::panic::catch_unwind(|| {
        let all = sb.dokku(&["--quiet", "network:list"]).ok().stdout;
        let managed = sb
            .dokku(&["--quiet", "network:list", "--dokku-managed"])
            .ok()
            .stdout;
        assert!(all.lines().any(|l| l == "bridge"), "{all}");
        assert!(all.lines().any(|l| l == net), "{all}");
        assert!(managed.lines().any(|l| l == net), "{managed}");
        assert!(!managed.lines().any(|l| l == "bridge"), "{managed}");

        let json: serde_json::Value = serde_json::from_str(
            &sb.dokku(&["network:list", "--format", "json", "--dokku-managed"])
                .ok()
                .stdout,
        )
        .unwrap();
        let mine = json
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["Name"] == net.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{json}"));
        assert_eq!(mine["Driver"], "bridge");
        assert_eq!(mine["Scope"], "local");
        assert_eq!(mine["Internal"], false);
        assert_eq!(mine["ID"].as_str().unwrap().len(), 12);
        assert!(mine["Labels"].is_object(), "{mine}");
        assert!(json
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["Name"] != "bridge"));

        let info = sb
            .dokku(&["network:info", &net, "--format", "text"])
            .ok()
            .stdout;
        assert!(
            info.contains(&format!("{net} network information")),
            "{info}"
        );
        assert!(
            info.lines().any(|l| l.trim_start().starts_with("ID:")),
            "{info}"
        );
        let j: serde_json::Value = serde_json::from_str(
            &sb.dokku(&["network:info", &net, "--format", "json"])
                .ok()
                .stdout,
        )
        .unwrap();
        assert_eq!(j["Name"], net.as_str());
        assert_eq!(j["Driver"], "bridge");
        assert_eq!(j["ID"], mine["ID"]);
        // Any network of the engine, not only dokku's.
        let b: serde_json::Value = serde_json::from_str(
            &sb.dokku(&["network:info", "bridge", "--format", "json"])
                .ok()
                .stdout,
        )
        .unwrap();
        assert_eq!(b["Name"], "bridge");

        refused(
            sb.dokku(&["network:info", &net, "--format", "yaml"]),
            "text or json",
        );
        refused(
            sb.dokku(&["network:list", "--format", "yaml"]),
            "text or json",
        );
    });
    cleanup();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn docker_options_per_process_apply_only_to_that_process_type() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("perproc");
    let a = app.as_str();
    sb.dokku(&["apps:create", a]).ok();

    // Refused: --process outside the deploy phase, the reserved name, a bad name, list without
    // a phase; nothing written.
    refused(
        sb.dokku(&[
            "docker-options:add",
            "--process",
            "web",
            a,
            "build",
            "--label",
            "x=1",
        ]),
        "deploy phase",
    );
    refused(
        sb.dokku(&[
            "docker-options:add",
            "--process",
            "web",
            a,
            "deploy,run",
            "--label",
            "x=1",
        ]),
        "deploy phase",
    );
    refused(
        sb.dokku(&[
            "docker-options:add",
            "--process",
            "_default_",
            a,
            "deploy",
            "--label",
            "x=1",
        ]),
        "reserved",
    );
    refused(
        sb.dokku(&[
            "docker-options:add",
            "--process",
            "a b",
            a,
            "deploy",
            "--label",
            "x=1",
        ]),
        "process type",
    );
    refused(sb.dokku(&["docker-options:list", a]), "--phase");
    refused(
        sb.dokku(&[
            "docker-options:list",
            a,
            "--process",
            "web",
            "--phase",
            "run",
        ]),
        "deploy phase",
    );
    let files: Vec<String> = std::fs::read_dir(sb.lib_root().join("config/docker-options").join(a))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".deploy") || n.ends_with(".build") || n.ends_with(".run"))
                .collect()
        })
        .unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");

    // Every process's, the worker's own (before and, misplaced, after the app), the web's own.
    sb.dokku(&[
        "docker-options:add",
        a,
        "deploy",
        "--label",
        "com.example.all=yes",
    ])
    .ok();
    sb.dokku(&[
        "docker-options:add",
        "--process",
        "worker",
        a,
        "deploy",
        "--label com.example.only=worker",
    ])
    .ok()
    .err_has("worker");
    sb.dokku(&[
        "docker-options:add",
        a,
        "deploy",
        "--label com.example.second=worker",
        "--process",
        "worker",
    ])
    .ok();
    sb.dokku(&[
        "docker-options:add",
        "--process",
        "web",
        a,
        "deploy",
        "--label com.example.only=web",
    ])
    .ok();

    let list = |extra: &[&str]| {
        let mut args = vec!["docker-options:list", a];
        args.extend_from_slice(extra);
        sb.dokku(&args).ok().stdout
    };
    assert_eq!(
        list(&["--process", "worker", "--phase", "deploy"]),
        "--label com.example.only=worker\n--label com.example.second=worker\n"
    );
    assert_eq!(
        list(&["--phase", "deploy"]),
        "--label com.example.all=yes\n"
    );
    assert_eq!(list(&["--phase", "run"]), "");
    // Several flag groups in one call: one entry each, removed the same way.
    sb.dokku(&[
        "docker-options:add",
        a,
        "run",
        "--ulimit nofile=12",
        "--shm-size 256m",
    ])
    .ok();
    assert_eq!(
        list(&["--phase", "run"]),
        "--ulimit nofile=12\n--shm-size 256m\n"
    );
    sb.dokku(&[
        "docker-options:remove",
        a,
        "run",
        "--ulimit nofile=12",
        "--shm-size 256m",
    ])
    .ok();
    assert_eq!(list(&["--phase", "run"]), "");
    let one = sb
        .dokku(&["docker-options:report", a, "--docker-options-deploy.web"])
        .ok();
    assert_eq!(one.stdout.trim(), "--label com.example.only=web");
    sb.dokku(&["docker-options:report", a])
        .ok()
        .out_has("Docker options deploy.worker");

    let procfile = "web: exec httpd -f -p $PORT -h /www\nworker: exec sleep 1000\n";
    sb.deploy_source(
        a,
        &[
            ("Dockerfile", &web_dockerfile("pp")),
            ("Procfile", procfile),
        ],
    )
    .ok();
    sb.dokku(&["ps:scale", a, "web=1", "worker=1"]).ok();
    let (web, worker) = (format!("{a}.web.1"), format!("{a}.worker.1"));
    assert_eq!(label(&web, "com.example.all"), "yes");
    assert_eq!(label(&worker, "com.example.all"), "yes");
    assert_eq!(label(&web, "com.example.only"), "web");
    assert_eq!(label(&worker, "com.example.only"), "worker");
    assert_eq!(label(&worker, "com.example.second"), "worker");
    assert_eq!(label(&web, "com.example.second"), "");

    // Without --process, remove and clear leave a process's own options.
    sb.dokku(&[
        "docker-options:remove",
        a,
        "deploy",
        "--label com.example.only=worker",
    ])
    .ok();
    sb.dokku(&["docker-options:clear", a]).ok();
    assert_eq!(
        list(&["--process", "worker", "--phase", "deploy"]),
        "--label com.example.only=worker\n--label com.example.second=worker\n"
    );
    sb.dokku(&[
        "docker-options:remove",
        "--process",
        "worker",
        a,
        "deploy",
        "--label com.example.only=worker",
    ])
    .ok();
    assert_eq!(
        list(&["--process", "worker", "--phase", "deploy"]),
        "--label com.example.second=worker\n"
    );
    sb.dokku(&["docker-options:clear", "--process", "worker", a])
        .ok()
        .out_has("process worker");
    assert_eq!(list(&["--process", "worker", "--phase", "deploy"]), "");
    assert_eq!(
        list(&["--process", "web", "--phase", "deploy"]),
        "--label com.example.only=web\n"
    );
}
