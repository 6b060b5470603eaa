//! The app at its domain through a real nginx on loopback: served after a deploy, a zero-downtime
//! redeploy without a failed request, a broken custom template refused with the previous config
//! still serving, proxy:disable/enable, nginx settings, domains, https with a self-signed
//! certificate and the http→https redirect.

use dokku_tests::{docker::busybox_image, Sandbox};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn sandbox() -> Sandbox {
    let sb = Sandbox::with_nginx();
    sb.use_docker();
    busybox_image();
    sb.dokku(&["checks:set", "--global", "default-wait", "1"])
        .ok();
    sb.dokku(&["checks:set", "--global", "wait-to-retire", "2"])
        .ok();
    sb
}

fn deploy(sb: &Sandbox, app: &str, files: &[(&str, &str)]) -> dokku_tests::Out {
    sb.deploy_source(app, files)
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

use dokku_tests::curl_host as curl;

/// The default vhost of an app under the install's global domain.
fn vhost(app: &str) -> String {
    format!("{app}.dokku.localhost")
}

fn get(sb: &Sandbox, host: &str) -> (String, String) {
    curl(&format!("http://127.0.0.1:{}/", sb.http_port()), host, &[])
}

#[test]
fn an_app_is_served_through_nginx_and_redeploys_without_a_failed_request() {
    let sb = sandbox();
    let app = sb.unique_app("px");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("one"))])
        .ok()
        .out_has("nginx serves");
    let (status, body) = get(&sb, &vhost(&app));
    assert_eq!(status, "200", "{body}");
    assert!(body.ends_with("one\n"), "{body}");
    sb.dokku(&["nginx:show-config", &app])
        .ok()
        .out_has(&format!("listen 127.0.0.1:{};", sb.http_port()));
    // A client polling through nginx during a redeploy sees no error.
    let stop = Arc::new(AtomicBool::new(false));
    let port = sb.http_port();
    let host = vhost(&app);
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut ok, mut bad) = (0, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let (s, b) = curl(&format!("http://127.0.0.1:{port}/"), &host, &[]);
                if s == "200" && (b.ends_with("one\n") || b.ends_with("two\n")) {
                    ok += 1;
                } else {
                    bad.push(s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (ok, bad)
        })
    };
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("two"))]).ok();
    // Past the old containers' retirement, too.
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    let (ok, bad) = poller.join().unwrap();
    assert!(ok > 30, "only {ok} requests");
    assert!(bad.is_empty(), "{} failed requests: {bad:?}", bad.len());
    assert!(get(&sb, &vhost(&app)).1.ends_with("two\n"));
}

#[test]
fn a_broken_custom_template_is_refused_and_the_previous_config_keeps_serving() {
    let sb = sandbox();
    let app = sb.unique_app("tpl");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("good"))]).ok();
    let before = sb.dokku(&["nginx:show-config", &app]).ok().stdout;
    let broken = "server {\n  listen {{ $.NGINX_BIND_ADDRESS_IP4 }}:{{ $.NGINX_PORT }};\n  no_such_directive on;\n}\n";
    let out = deploy(
        &sb,
        &app,
        &[
            ("Dockerfile", &dockerfile("bad")),
            ("nginx.conf.sigil", broken),
        ],
    )
    .fails();
    assert!(out.stderr.contains("fails `nginx -t`"), "{out:#?}");
    assert!(out.stderr.contains("no_such_directive"), "{out:#?}");
    assert_eq!(sb.dokku(&["nginx:show-config", &app]).ok().stdout, before);
    assert!(get(&sb, &vhost(&app)).1.ends_with("good\n"));
    // An expression outside the supported subset is refused by name.
    let out = deploy(&sb, &app, &[("nginx.conf.sigil", "{{ sh \"id\" }}\n")]).fails();
    assert!(out.stderr.contains("unsupported expression"), "{out:#?}");
    assert!(get(&sb, &vhost(&app)).1.ends_with("good\n"));
    // A template of a build that failed is not taken over by a later restart.
    let pending = "server {\n  listen {{ $.NGINX_BIND_ADDRESS_IP4 }}:{{ $.NGINX_PORT }};\n  server_name {{ $.NOSSL_SERVER_NAME }};\n  location / { add_header X-Pending yes; return 200 pending; }\n}\n";
    let failing = format!("{}RUN false\n", dockerfile("never"));
    deploy(
        &sb,
        &app,
        &[("Dockerfile", &failing), ("nginx.conf.sigil", pending)],
    )
    .fails();
    sb.dokku(&["ps:restart", &app]).ok();
    let (_, text) = get(&sb, &vhost(&app));
    assert!(
        !text.contains("X-Pending") && text.ends_with("good\n"),
        "{text}"
    );
    // A valid custom template is honoured.
    let custom = "upstream custom-{{ $.APP }} { {{ $.UPSTREAM_SERVERS }} }\nserver {\n  listen {{ $.NGINX_BIND_ADDRESS_IP4 }}:{{ $.NGINX_PORT }};\n  server_name {{ $.NOSSL_SERVER_NAME }};\n  location / {\n    add_header X-Custom-Template yes;\n    proxy_pass http://custom-{{ $.APP }};\n  }\n}\n";
    deploy(
        &sb,
        &app,
        &[
            ("Dockerfile", &dockerfile("custom")),
            ("nginx.conf.sigil", custom),
        ],
    )
    .ok();
    let (status, text) = get(&sb, &vhost(&app));
    assert_eq!(status, "200", "{text}");
    assert!(text.contains("X-Custom-Template: yes"), "{text}");
    assert!(text.ends_with("custom\n"), "{text}");
}

#[test]
fn proxy_disable_enable_settings_and_reports() {
    let sb = sandbox();
    let app = sb.unique_app("set");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("set"))]).ok();
    sb.dokku(&["proxy:disable", &app]).ok();
    assert_ne!(get(&sb, &vhost(&app)).0, "200");
    assert!(!sb.dokku_root().join(&app).join("nginx.conf").exists());
    sb.dokku(&["proxy:enable", &app]).ok();
    assert_eq!(get(&sb, &vhost(&app)).0, "200");
    sb.dokku(&["proxy:report", &app, "--format", "json"])
        .ok()
        .out_has("\"proxy-computed-type\":\"nginx\"");
    // client-max-body-size: a bigger body gets 413 from nginx.
    sb.dokku(&["nginx:set", &app, "client-max-body-size", "1k"])
        .ok();
    let big = "x".repeat(4096);
    let (status, _) = curl(
        &format!("http://127.0.0.1:{}/", sb.http_port()),
        &vhost(&app),
        &["-X", "POST", "--data", &big],
    );
    assert_eq!(status, "413");
    sb.dokku(&["nginx:report", &app, "--nginx-client-max-body-size"])
        .ok()
        .out_has("1k");
    for (k, v) in [
        ("client-max-body-size", "1m;evil"),
        ("bind-address-ipv4", "not-an-ip"),
        ("hsts", "maybe"),
    ] {
        dokku_tests::refused(sb.dokku(&["nginx:set", &app, k, v]), "invalid value");
    }
    dokku_tests::refused(
        sb.dokku(&["nginx:set", &app, "http-port", "81"]),
        "global setting",
    );
    sb.dokku(&["nginx:validate-config"]).ok().out_has("valid");
    // Destroying the app removes its config; nginx still validates.
    sb.dokku(&["apps:destroy", "--force", &app]).ok();
    sb.dokku(&["nginx:validate-config"]).ok();
}

/// `curl` over https with SNI for `host` (resolved to 127.0.0.1 only).
fn https_get(port: u16, host: &str) -> (String, String) {
    curl(
        &format!("https://{host}:{port}/"),
        host,
        &["--resolve", &format!("{host}:{port}:127.0.0.1")],
    )
}

#[test]
fn domains_route_each_app_and_https_redirects() {
    let sb = sandbox();
    let (a, b) = (sb.unique_app("da"), sb.unique_app("db"));
    for (app, body) in [(&a, "alpha"), (&b, "beta")] {
        sb.dokku(&["apps:create", app]).ok();
        deploy(&sb, app, &[("Dockerfile", &dockerfile(body))]).ok();
    }
    assert!(get(&sb, &vhost(&a)).1.ends_with("alpha\n"));
    assert!(get(&sb, &vhost(&b)).1.ends_with("beta\n"));
    assert_eq!(get(&sb, "unknown.test").0, "404");
    // An added domain answers; a removed one stops answering.
    sb.dokku(&["domains:add", &a, "extra.test"]).ok();
    assert!(get(&sb, "extra.test").1.ends_with("alpha\n"));
    sb.dokku(&["domains:remove", &a, "extra.test"]).ok();
    assert_eq!(get(&sb, "extra.test").0, "404");
    // https with a self-signed certificate; http redirects to it.
    sb.dokku(&["certs:generate", &a]).ok();
    let (status, text) = get(&sb, &vhost(&a));
    assert_eq!(status, "301", "{text}");
    assert!(
        text.contains(&format!(
            "Location: https://{}:{}/",
            vhost(&a),
            sb.https_port()
        )),
        "{text}"
    );
    let (status, text) = https_get(sb.https_port(), &vhost(&a));
    assert_eq!(status, "200", "{text}");
    assert!(text.ends_with("alpha\n"), "{text}");
    assert!(text.contains("Strict-Transport-Security"), "{text}");
    // The other app is still plain http.
    assert!(get(&sb, &vhost(&b)).1.ends_with("beta\n"));
    sb.dokku(&["certs:remove", &a]).ok();
    assert!(get(&sb, &vhost(&a)).1.ends_with("alpha\n"));
}

#[test]
fn the_caddy_proxy_replaces_nginx_and_nginx_comes_back() {
    let sb = sandbox();
    let app = sb.unique_app("swap");
    sb.dokku(&["apps:create", &app]).ok();
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("swapped"))]).ok();
    assert!(get(&sb, &vhost(&app)).1.ends_with("swapped\n"));
    let caddy_port = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    sb.dokku(&[
        "caddy:set",
        "--global",
        "http-port",
        &caddy_port.to_string(),
    ])
    .fails(); // the plugin ships disabled
    sb.dokku(&["plugin:disable", "nginx-vhosts"]).ok();
    sb.dokku(&["plugin:enable", "caddy-vhosts"]).ok();
    sb.dokku(&[
        "caddy:set",
        "--global",
        "http-port",
        &caddy_port.to_string(),
    ])
    .ok();
    sb.dokku(&["proxy:set", &app, "caddy"]).ok();
    sb.dokku(&["proxy:build-config", &app]).ok();
    let through_caddy = curl(
        &format!("http://127.0.0.1:{caddy_port}/"),
        &vhost(&app),
        &[],
    );
    assert_eq!(through_caddy.0, "200", "{}", through_caddy.1);
    assert!(through_caddy.1.ends_with("swapped\n"));
    assert!(through_caddy.1.contains("Caddy"), "{}", through_caddy.1);
    // And back: nginx serves it again, caddy no longer does.
    sb.dokku(&["plugin:enable", "nginx-vhosts"]).ok();
    sb.dokku(&["proxy:set", &app, "nginx"]).ok();
    sb.dokku(&["proxy:build-config", &app]).ok();
    let (status, text) = get(&sb, &vhost(&app));
    assert_eq!(status, "200", "{text}");
    assert!(text.contains("Server: nginx"), "{text}");
    let gone = curl(
        &format!("http://127.0.0.1:{caddy_port}/"),
        &vhost(&app),
        &[],
    );
    assert_eq!(gone.0, "404", "{}", gone.1);
    sb.dokku(&["caddy:stop"]).ok();
}

#[test]
fn a_dockerfile_expose_sets_the_port_the_app_listens_on() {
    let sb = sandbox();
    let app = sb.unique_app("expose");
    sb.dokku(&["apps:create", &app]).ok();
    let dockerfile = format!(
        "FROM {}\nRUN mkdir -p /www && echo exposed > /www/index.html\nEXPOSE 8080\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n",
        busybox_image()
    );
    deploy(&sb, &app, &[("Dockerfile", &dockerfile)]).ok();
    sb.dokku(&["ports:report", &app, "--ports-map-detected"])
        .ok()
        .out_has("http:80:8080");
    let env = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            &format!("{app}.web.1"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&env.stdout).contains("PORT=8080"));
    assert!(get(&sb, &vhost(&app)).1.ends_with("exposed\n"));
}
