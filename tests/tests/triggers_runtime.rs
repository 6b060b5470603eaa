//! Dokku's plugin triggers fired and answered by the core plugins at the moment and with the
//! arguments Dokku uses, checked on the real Docker engine through the events log
//! (`INVOKED: NAME( ARGS )` lines, in firing order) and small recorder plugins: the deploy's
//! `deployed-app-*`, `post-container-create` (between create and start), `network-write-*`,
//! `core-post-deploy` and `post-deploy`; ps's `pre-start`, `post-stop`, `pre-restore`,
//! `scheduler-pre-restore`; apps:destroy's `pre-delete`, `scheduler-stop`,
//! `scheduler-post-delete`, `post-delete`; `retire-container-failed`; and the answers of ps,
//! network, logs and the scheduler.

use dokku_tests::docker::{busybox_image, web_dockerfile};
use dokku_tests::{refused, Out, Sandbox};
use std::process::Command;
use std::time::{Duration, Instant};

/// A sandbox with Docker, events on, quick checks (1 s uptime) and quick retirement (1 s).
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.use_docker();
    busybox_image();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["checks:set", "--global", "default-wait", "1"])
        .ok();
    sb.dokku(&["checks:set", "--global", "wait-to-retire", "1"])
        .ok();
    sb
}

/// The position of the first event equal to `wanted` at or after `from`; panics with the log.
#[track_caller]
fn at(ev: &[String], from: usize, wanted: &str) -> usize {
    ev.iter()
        .skip(from)
        .position(|e| e == wanted)
        .map(|i| i + from)
        .unwrap_or_else(|| panic!("no {wanted:?} after event {from} in:\n{}", ev.join("\n")))
}

/// Checks that `wanted` were fired in this order (others may come between).
#[track_caller]
fn in_order(sb: &Sandbox, wanted: &[&str]) {
    let ev = sb.events();
    let mut from = 0;
    for w in wanted {
        from = at(&ev, from, w) + 1;
    }
}

/// How many times `wanted` was fired.
fn count(sb: &Sandbox, wanted: &str) -> usize {
    sb.events().iter().filter(|e| *e == wanted).count()
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn container_id(name: &str) -> String {
    docker_out(&["inspect", "--format", "{{.Id}}", name])
}

/// `plugn trigger NAME ARGS…`.
fn fire(sb: &Sandbox, args: &[&str]) -> Out {
    let mut all = vec!["trigger"];
    all.extend_from_slice(args);
    sb.plugn(&all)
}

/// A plugin `NAME` answering `triggers` with shell `bodies`.
fn plugin(sb: &Sandbox, name: &str, triggers: &[(&str, &str)]) {
    let mut files: Vec<(&str, String)> = vec![(
        "plugin.toml",
        "[plugin]\ndescription = \"test\"\nversion = \"1\"\n".to_string(),
    )];
    for (t, body) in triggers {
        files.push((t, format!("#!/bin/sh\n{body}\n")));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    sb.write_plugin(name, &refs);
}

#[test]
fn a_deploy_fires_its_triggers_in_dokkus_order() {
    let sb = sandbox();
    let app = sb.unique_app("trd");
    let rec = sb.dir.path().join("created.log");
    // Sorted after network: sees each new container as network left it, before it starts.
    plugin(
        &sb,
        "zz-recorder",
        &[(
            "post-container-create",
            &format!(
                "docker inspect --format '{{{{.State.Status}}}}' \"$2\" >> {}",
                rec.display()
            ),
        )],
    );
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("hi"))])
        .ok();
    let p = sb.web_port(&app, "web.1").to_string();
    let id = container_id(&format!("{app}.web.1"));
    let post = format!("{app} {p} 127.0.0.1 latest");
    in_order(
        &sb,
        &[
            &format!("scheduler-deploy( docker-local {app} latest )"),
            &format!("deployed-app-repository( {app} )"),
            &format!("deployed-app-image-tag( {app} )"),
            &format!("deployed-app-image-repo( {app} )"),
            &format!("post-container-create( app {id} {app} deploy web )"),
            &format!("check-deploy( {app} {id} web {p} 127.0.0.1 )"),
            &format!("network-write-ipaddr( {app} web 1 127.0.0.1 )"),
            &format!("network-write-port( {app} web 1 {p} )"),
            &format!("core-post-deploy( {post} )"),
            &format!("post-deploy( {post} )"),
        ],
    );
    // post-container-create came between `docker container create` and the start.
    assert_eq!(
        std::fs::read_to_string(&rec).unwrap().trim(),
        "created",
        "post-container-create saw the container after it started"
    );
    assert_eq!(
        docker_out(&["inspect", "--format", "{{.State.Running}}", &id]),
        "true"
    );

    // The network plugin answers for the files the scheduler had it write.
    let listener = format!("127.0.0.1:{p}");
    assert_eq!(
        fire(&sb, &["network-get-listeners", &app]).ok().stdout,
        format!("{listener}\n")
    );
    assert_eq!(
        fire(&sb, &["network-get-listeners", &app, "web"])
            .ok()
            .stdout,
        format!("{listener}\n")
    );
    assert_eq!(
        fire(&sb, &["network-get-listeners", &app, "worker"])
            .ok()
            .stdout,
        ""
    );
    assert_eq!(
        fire(&sb, &["network-get-ipaddr", &app, "web", &id])
            .ok()
            .stdout,
        "127.0.0.1\n"
    );
    assert_eq!(
        fire(&sb, &["network-get-port", &app, "web", &id, "false"])
            .ok()
            .stdout,
        format!("{p}\n")
    );
    fire(&sb, &["network-config-exists", &app]).ok();

    // scheduler-app-status (`PROCS RUNNING`), and ps:report built on it.
    assert_eq!(
        fire(&sb, &["scheduler-app-status", "docker-local", &app])
            .ok()
            .stdout,
        "1 true\n"
    );
    let report = sb.dokku(&["ps:report", &app, "--format", "json"]).ok();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["processes"], "1");
    assert_eq!(json["running"], "true");
    in_order(
        &sb,
        &[&format!("scheduler-app-status( docker-local {app} )")],
    );

    // ps:stop: scheduler-stop (containers kept), then post-stop.
    sb.clear_events();
    sb.dokku(&["ps:stop", &app]).ok();
    in_order(
        &sb,
        &[
            &format!("scheduler-stop( docker-local {app} false )"),
            &format!("post-stop( {app} )"),
        ],
    );
    assert_eq!(
        fire(&sb, &["scheduler-app-status", "docker-local", &app])
            .ok()
            .stdout,
        "1 false\n"
    );
    // ps:start and ps:restart: pre-start before the scheduler.
    sb.clear_events();
    sb.dokku(&["ps:start", &app]).ok();
    in_order(
        &sb,
        &[
            &format!("pre-start( {app} )"),
            &format!("scheduler-start( docker-local {app} )"),
        ],
    );
    sb.clear_events();
    sb.dokku(&["ps:restart", &app]).ok();
    in_order(
        &sb,
        &[
            &format!("pre-start( {app} )"),
            &format!("scheduler-deploy( docker-local {app} latest )"),
        ],
    );
    // ps:restore APP: pre-restore with the app's scheduler, scheduler-pre-restore, pre-start.
    sb.clear_events();
    sb.dokku(&["ps:restore", &app]).ok();
    in_order(
        &sb,
        &[
            "pre-restore( docker-local )",
            &format!("scheduler-pre-restore( docker-local {app} )"),
            &format!("pre-start( {app} )"),
        ],
    );
    // For every app: pre-restore once, with the default scheduler.
    sb.dokku(&["apps:create", &format!("{app}-2")]).ok();
    sb.clear_events();
    sb.dokku(&["ps:restore", "--all"]).ok();
    assert_eq!(count(&sb, "pre-restore( docker-local )"), 1);
    in_order(
        &sb,
        &[
            "pre-restore( docker-local )",
            &format!("scheduler-pre-restore( docker-local {app} )"),
            &format!("scheduler-pre-restore( docker-local {app}-2 )"),
        ],
    );

    // network-clear-config forgets the addresses.
    fire(&sb, &["network-clear-config", &app]).ok();
    assert!(!sb.dokku_root().join(&app).join("PORT.web.1").exists());
    assert_eq!(fire(&sb, &["network-config-exists", &app]).code, 1);

    // apps:destroy: pre-delete, scheduler-stop (removing), scheduler-post-delete, post-delete.
    sb.clear_events();
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    in_order(
        &sb,
        &[
            &format!("pre-delete( {app} latest )"),
            &format!("scheduler-stop( docker-local {app} true )"),
            &format!("scheduler-post-delete( docker-local {app} latest )"),
            &format!("post-delete( {app} latest )"),
        ],
    );
    assert_eq!(
        docker_out(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.dokku.app-name={app}")
        ]),
        ""
    );
    assert_eq!(docker_out(&["images", "-q", &format!("dokku/{app}")]), "");
}

#[test]
fn the_deployed_image_is_the_one_the_deployed_app_triggers_name() {
    let sb = sandbox();
    let app = sb.unique_app("trimg");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("v1"))])
        .ok();
    let custom = format!("localhost/custom-{app}:v2");
    let st = Command::new("docker")
        .args(["tag", &format!("dokku/{app}:latest"), &custom])
        .status()
        .unwrap();
    assert!(st.success());
    plugin(
        &sb,
        "image-namer",
        &[
            ("deployed-app-repository", "echo localhost/"),
            ("deployed-app-image-repo", "echo \"custom-$1\""),
            ("deployed-app-image-tag", "echo v2"),
        ],
    );
    sb.clear_events();
    sb.dokku(&["ps:restart", &app]).ok();
    let name = format!("{app}.web.1");
    assert_eq!(
        docker_out(&["inspect", "--format", "{{.Config.Image}}", &name]),
        custom
    );
    // The release's tag is the one deployed-app-image-tag names (core-post-deploy, post-deploy).
    in_order(
        &sb,
        &[&format!(
            "core-post-deploy( {app} {} 127.0.0.1 latest )",
            sb.web_port(&app, "web.1")
        )],
    );
    // One-off containers run it too.
    sb.dokku(&["run", &app, "true"]).ok();
    // apps:destroy hands the tag on.
    sb.clear_events();
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    in_order(
        &sb,
        &[
            &format!("pre-delete( {app} v2 )"),
            &format!("scheduler-post-delete( docker-local {app} v2 )"),
            &format!("post-delete( {app} v2 )"),
        ],
    );
    let _ = Command::new("docker").args(["rmi", &custom]).output();
}

#[test]
fn attach_post_create_networks_are_joined_before_containers_start() {
    let sb = sandbox();
    let app = sb.unique_app("trnet");
    let net = format!("{app}-net");
    let rec = sb.dir.path().join("nets.log");
    plugin(
        &sb,
        "zz-recorder",
        &[(
            "post-container-create",
            &format!(
                "echo \"$4 $(docker inspect --format '{{{{.State.Status}}}} {{{{range $k, $v := .NetworkSettings.Networks}}}}{{{{$k}}}}={{{{join $v.Aliases \",\"}}}} {{{{end}}}}' \"$2\")\" >> {}",
                rec.display()
            ),
        )],
    );
    sb.dokku(&["network:create", &net]).ok();
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["network:set", &app, "attach-post-create", &net])
        .ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("net"))])
        .ok();
    let name = format!("{app}.web.1");
    let nets = docker_out(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        &name,
    ]);
    assert!(nets.contains(&format!("\"{net}\"")), "{nets}");
    // A one-off container joins too (without the app's aliases), detached or not.
    sb.dokku(&["run", &app, "true"]).ok();
    let id = sb
        .dokku(&["run:detached", &app, "sleep", "5"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    let seen = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines.len(), 3, "{seen}");
    // The deploy container was created, not started, and already on the network with its
    // aliases.
    assert!(lines[0].starts_with("deploy created "), "{seen}");
    assert!(
        lines[0].contains(&format!("{net}={app}.web,{app}.web.1"))
            || lines[0].contains(&format!("{net}={app}.web.1,{app}.web")),
        "{seen}"
    );
    for l in &lines[1..] {
        assert!(l.starts_with("run created "), "{seen}");
        assert!(l.contains(&format!("{net}=")), "{seen}");
        assert!(!l.contains(&format!("{app}.web")), "{seen}");
    }
    sb.dokku(&["run:stop", &app]).ok();
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    sb.dokku(&["network:destroy", "--force", &net]).ok();
}

#[test]
fn a_failed_retirement_fires_retire_container_failed() {
    let sb = sandbox();
    let app = sb.unique_app("trret");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile("r1"))])
        .ok();
    // A docker that refuses to remove containers.
    let bin = sb.dir.path().join("docker-no-rm");
    std::fs::write(
        &bin,
        "#!/bin/sh\nif [ \"$1\" = rm ]; then echo 'refused by the test' >&2; exit 1; fi\nexec docker \"$@\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("755").arg(&bin).status().unwrap();
    let old = container_id(&format!("{app}.web.1"));
    sb.clear_events();
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["ps:restart", &app]).env("DOCKER_BIN", &bin);
    sb.run(c, b"").ok();
    let wanted = format!("retire-container-failed( {app} )");
    let start = Instant::now();
    while count(&sb, &wanted) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no {wanted}:\n{}",
            sb.events().join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = Command::new("docker").args(["rm", "-f", &old]).output();
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
}

#[test]
fn ps_answers_scale_properties_and_procfile_commands() {
    let sb = Sandbox::new();
    let app = "pq";
    sb.dokku(&["apps:create", app]).ok();
    // Before a deploy: the scale as set.
    sb.dokku(&["ps:scale", "--skip-deploy", app, "web=2"]).ok();
    assert_eq!(fire(&sb, &["ps-current-scale", app]).ok().stdout, "web=2\n");
    // A deployed Procfile (as ps keeps it): every type with its count.
    let dir = sb.lib_root().join("data/ps").join(app);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Procfile"),
        "web: ./server --port $PORT --x ${PORT}\nworker: ./jobs $PORTS\n",
    )
    .unwrap();
    assert_eq!(
        fire(&sb, &["ps-current-scale", app]).ok().stdout,
        "web=2\nworker=0\n"
    );
    fire(&sb, &["ps-set-scale", app, "true", "false", "worker=3"]).ok();
    assert_eq!(
        fire(&sb, &["ps-current-scale", app]).ok().stdout,
        "web=2\nworker=3\n"
    );
    // CLEAR_EXISTING forgets the types not given (web back to its default of 1).
    fire(&sb, &["ps-set-scale", app, "true", "true", "worker=1"]).ok();
    assert_eq!(
        fire(&sb, &["ps-current-scale", app]).ok().stdout,
        "web=1\nworker=1\n"
    );
    refused(
        fire(&sb, &["ps-set-scale", app, "maybe", "false", "web=1"]),
        "SKIP_DEPLOY must be true or false",
    );
    refused(
        fire(&sb, &["ps-set-scale", app, "true", "false", "nope=1"]),
        "no process type nope",
    );
    // Properties, with Dokku's defaults.
    assert_eq!(
        fire(&sb, &["ps-get-property", app, "restart-policy"])
            .ok()
            .stdout,
        "on-failure:10\n"
    );
    assert_eq!(
        fire(&sb, &["ps-get-property", app, "restore"]).ok().stdout,
        "true\n"
    );
    sb.dokku(&["ps:set", app, "restart-policy", "always"]).ok();
    sb.dokku(&["ps:set", app, "restore", "false"]).ok();
    assert_eq!(
        fire(&sb, &["ps-get-property", app, "restart-policy"])
            .ok()
            .stdout,
        "always\n"
    );
    assert_eq!(
        fire(&sb, &["ps-get-property", app, "restore"]).ok().stdout,
        "false\n"
    );
    refused(
        fire(&sb, &["ps-get-property", app, "bogus"]),
        "invalid ps property",
    );
    // The Procfile command with $PORT given.
    assert_eq!(
        fire(&sb, &["procfile-get-command", app, "web", "5000"])
            .ok()
            .stdout,
        "./server --port 5000 --x 5000\n"
    );
    assert_eq!(
        fire(&sb, &["procfile-get-command", app, "worker", "5000"])
            .ok()
            .stdout,
        "./jobs $PORTS\n"
    );
    assert_eq!(
        fire(&sb, &["procfile-get-command", app, "release", "5000"])
            .ok()
            .stdout,
        ""
    );
    refused(
        fire(&sb, &["ps-current-scale", "nope"]),
        "App nope does not exist",
    );
}

#[test]
fn network_writes_and_reads_container_addresses() {
    let sb = Sandbox::new();
    let app = "nw";
    sb.dokku(&["apps:create", app]).ok();
    assert_eq!(fire(&sb, &["network-config-exists", app]).code, 1);
    for i in ["2", "1", "10"] {
        fire(&sb, &["network-write-ipaddr", app, "web", i, "127.0.0.1"]).ok();
        fire(
            &sb,
            &["network-write-port", app, "web", i, &format!("400{i}")],
        )
        .ok();
    }
    fire(
        &sb,
        &["network-write-ipaddr", app, "worker", "1", "10.0.0.9"],
    )
    .ok();
    fire(&sb, &["network-write-port", app, "worker", "1", "5000"]).ok();
    assert_eq!(
        std::fs::read_to_string(sb.dokku_root().join(app).join("PORT.web.10")).unwrap(),
        "40010\n"
    );
    assert_eq!(
        fire(&sb, &["network-get-listeners", app]).ok().stdout,
        "127.0.0.1:4001\n127.0.0.1:4002\n127.0.0.1:40010\n"
    );
    assert_eq!(
        fire(&sb, &["network-get-listeners", app, "worker"])
            .ok()
            .stdout,
        "10.0.0.9:5000\n"
    );
    let report = sb
        .dokku(&["network:report", app, "--network-web-listeners"])
        .ok();
    assert_eq!(
        report.stdout.trim(),
        "127.0.0.1:4001 127.0.0.1:4002 127.0.0.1:40010"
    );
    fire(&sb, &["network-config-exists", app]).ok();
    for bad in [
        vec!["network-write-port", app, "web", "1", "99999"],
        vec!["network-write-port", app, "web", "0", "80"],
        vec!["network-write-ipaddr", app, "web", "1", "a/b"],
        vec!["network-write-ipaddr", app, "we b", "1", "127.0.0.1"],
        vec!["network-write-port", "nope", "web", "1", "80"],
        vec!["network-write-port", app, "web", "1"],
    ] {
        let out = fire(&sb, &bad);
        assert_ne!(out.code, 0, "{bad:?}: {out:#?}");
    }
    fire(&sb, &["network-clear-config", app]).ok();
    assert_eq!(fire(&sb, &["network-config-exists", app]).code, 1);
    assert_eq!(fire(&sb, &["network-get-listeners", app]).ok().stdout, "");
}

#[test]
fn logs_and_enter_go_through_the_scheduler() {
    let sb = sandbox();
    let app = sb.unique_app("trlog");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(
        &app,
        &[(
            "Dockerfile",
            &format!(
                "FROM {}\nCMD [\"sh\", \"-c\", \"echo started-up; exec httpd -f -p $PORT -h /\"]\n",
                busybox_image()
            ),
        )],
    )
    .ok();
    sb.clear_events();
    let out = sb.dokku(&["logs", &app, "-n", "5", "-p", "web", "-q"]).ok();
    assert_eq!(out.stdout, "started-up\n");
    in_order(
        &sb,
        &[&format!(
            "scheduler-logs( docker-local {app} web false true 5 )"
        )],
    );
    let out = sb.dokku(&["logs", &app]).ok();
    assert!(
        out.stdout.ends_with(" app[web.1]: started-up\n"),
        "{out:#?}"
    );
    in_order(
        &sb,
        &[&format!(
            "scheduler-logs( docker-local {app}  false false 100 )"
        )],
    );
    sb.dokku(&["logs", &app, "--num", "all"]).ok();
    in_order(
        &sb,
        &[&format!(
            "scheduler-logs( docker-local {app}  false false all )"
        )],
    );
    refused(
        fire(
            &sb,
            &[
                "scheduler-logs",
                "docker-local",
                &app,
                "web",
                "maybe",
                "false",
                "1",
            ],
        ),
        "TAIL must be true or false",
    );
    // Another scheduler's logs are not docker-local's business.
    fire(
        &sb,
        &["scheduler-logs", "other", &app, "", "false", "false", "1"],
    )
    .ok();

    // enter hands everything after the app to the scheduler; stdin and the exit code pass.
    sb.clear_events();
    let out = sb.dokku_in(&["enter", &app, "web"], b"echo in-$0; exit 4\n");
    assert_eq!(out.code, 4, "{out:#?}");
    assert_eq!(out.stdout, "in-/bin/sh\n");
    sb.dokku(&["enter", &app, "web", "--", "echo", "a", "b"])
        .ok()
        .out_has("a b\n");
    in_order(
        &sb,
        &[
            &format!("scheduler-enter( docker-local {app} web )"),
            &format!("scheduler-enter( docker-local {app} web -- echo a b )"),
        ],
    );

    // logs-get-property: max-size, the app's, else the global one, else 10m.
    assert_eq!(
        fire(&sb, &["logs-get-property", &app, "max-size"])
            .ok()
            .stdout,
        "10m\n"
    );
    let config = sb.lib_root().join("config/logs");
    std::fs::create_dir_all(config.join("--global")).unwrap();
    std::fs::write(config.join("--global/max-size"), "20m\n").unwrap();
    assert_eq!(
        fire(&sb, &["logs-get-property", &app, "max-size"])
            .ok()
            .stdout,
        "20m\n"
    );
    std::fs::create_dir_all(config.join(&app)).unwrap();
    std::fs::write(config.join(&app).join("max-size"), "unlimited\n").unwrap();
    assert_eq!(
        fire(&sb, &["logs-get-property", &app, "max-size"])
            .ok()
            .stdout,
        "unlimited\n"
    );
    refused(
        fire(&sb, &["logs-get-property", &app, "vector-sink"]),
        "Invalid logs property",
    );
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
}

#[test]
fn ps_can_scale_turns_manual_scaling_off_and_on() {
    let sb = Sandbox::new();
    let app = "cs";
    sb.dokku(&["apps:create", app]).ok();
    fire(&sb, &["ps-can-scale", app, "false"]).ok();
    refused(
        sb.dokku(&["ps:scale", "--skip-deploy", app, "web=2"]),
        "cannot be scaled",
    );
    assert_eq!(
        fire(&sb, &["ps-get-property", app, "can-scale"])
            .ok()
            .stdout,
        "false\n"
    );
    assert_eq!(
        sb.dokku(&["ps:report", app, "--ps-can-scale"])
            .ok()
            .stdout
            .trim(),
        "false"
    );
    // The scale shown still works, and ps-set-scale (a builder's own) still sets it.
    sb.dokku(&["ps:scale", app]).ok();
    fire(&sb, &["ps-set-scale", app, "true", "false", "web=3"]).ok();
    assert_eq!(fire(&sb, &["ps-current-scale", app]).ok().stdout, "web=3\n");
    fire(&sb, &["ps-can-scale", app, "true"]).ok();
    sb.dokku(&["ps:scale", "--skip-deploy", app, "web=2"]).ok();
    refused(
        fire(&sb, &["ps-can-scale", app, "maybe"]),
        "CAN_SCALE must be true or false",
    );
}
