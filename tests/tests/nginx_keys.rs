//! Dokku's `nginx:set` keys reaching the generated config of a real (private) nginx, checked by
//! `nginx -t` and a request through it; bad values refused with one line; `nginx:report`'s
//! app/computed/global fields; `nginx:access-logs` / `nginx:error-logs`; `nginx:start`, `stop`
//! and `reload` of the sandbox's own nginx, and through `nginx-service-command`.

use dokku_tests::{refused, Sandbox};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// GET / through the sandbox's nginx for `host`: (status, headers and body).
fn get(sb: &Sandbox, host: &str) -> (String, String) {
    let url = format!("http://127.0.0.1:{}/keys-probe", sb.http_port());
    dokku_tests::curl_host(&url, host, &[])
}

fn vhost(app: &str) -> String {
    format!("{app}.dokku.localhost")
}

fn show(sb: &Sandbox, app: &str) -> String {
    sb.dokku(&["nginx:show-config", app]).ok().stdout
}

#[test]
fn many_keys_reach_the_config_pass_nginx_t_and_the_app_answers() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "hello");
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    // Dokku's defaults reach the config.
    let conf = show(&sb, "web");
    for line in [
        "client_body_timeout 60s;",
        "client_header_timeout 60s;",
        "keepalive_timeout 75s;",
        "lingering_timeout 5s;",
        "send_timeout 60s;",
        "underscores_in_headers off;",
        "proxy_buffering on;",
        "proxy_buffers 8 4k;",
        "proxy_send_timeout 60s;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header Connection $http_connection;",
    ] {
        assert!(conf.contains(line), "{line} missing:\n{conf}");
    }
    assert!(!conf.contains("keepalive 8"), "{conf}");
    // A named log format, defined where Dokku's docs put it (an http-level conf.d file).
    std::fs::write(
        sb.root.join("nginx/conf.d/00-log-formats.conf"),
        "log_format keystest '$request_method $uri KEYSTEST';\n",
    )
    .unwrap();
    sb.dokku(&["nginx:reload"]).ok();
    let error_log = sb.dir.path().join("web-errors.log");
    let error_log = error_log.to_str().unwrap();
    let mut keys = vec![
        ("access-log-format", "keystest"),
        ("client-body-timeout", "30s"),
        ("client-header-timeout", "20s"),
        ("client-max-body-size", "2m"),
        ("error-log-path", error_log),
        ("keepalive-timeout", "10s"),
        ("lingering-timeout", "2s"),
        ("send-timeout", "15s"),
        ("proxy-buffer-size", "8k"),
        ("proxy-buffering", "off"),
        ("proxy-buffers", "16 8k"),
        ("proxy-busy-buffers-size", "16k"),
        ("proxy-keepalive", "8"),
        ("proxy-send-timeout", "45s"),
        ("proxy-read-timeout", "90s"),
        ("underscore-in-headers", "on"),
        ("x-forwarded-for-value", "$http_x_forwarded_for"),
        ("x-forwarded-port-value", "$http_x_forwarded_port"),
        ("x-forwarded-proto-value", "$http_x_forwarded_proto"),
        ("x-forwarded-ssl", "on"),
        ("hsts-max-age", "600"),
        ("hsts-preload", "true"),
    ];
    let has_ipv6_loopback = std::fs::read_to_string("/proc/net/if_inet6")
        .is_ok_and(|t| t.contains("00000000000000000000000000000001"));
    if has_ipv6_loopback {
        keys.push(("bind-address-ipv6", "::1"));
    }
    for (k, v) in &keys {
        sb.dokku(&["nginx:set", "web", k, v]).ok();
    }
    let conf = show(&sb, "web");
    let mut want = vec![
        "access_log ".to_string(),
        format!("error_log {error_log};"),
        "client_body_timeout 30s;".into(),
        "client_header_timeout 20s;".into(),
        "client_max_body_size 2m;".into(),
        "keepalive_timeout 10s;".into(),
        "lingering_timeout 2s;".into(),
        "send_timeout 15s;".into(),
        "underscores_in_headers on;".into(),
        "proxy_buffer_size 8k;".into(),
        "proxy_buffering off;".into(),
        "proxy_buffers 16 8k;".into(),
        "proxy_busy_buffers_size 16k;".into(),
        "proxy_send_timeout 45s;".into(),
        "proxy_read_timeout 90s;".into(),
        "  keepalive 8;\n}".into(),
        "proxy_set_header Connection \"\";".into(),
        "proxy_set_header X-Forwarded-For $http_x_forwarded_for;".into(),
        "proxy_set_header X-Forwarded-Port $http_x_forwarded_port;".into(),
        "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;".into(),
        "proxy_set_header X-Forwarded-Ssl on;".into(),
    ];
    if has_ipv6_loopback {
        want.push(format!("listen [::1]:{};", sb.http_port()));
    }
    for line in &want {
        assert!(conf.contains(line.as_str()), "{line} missing:\n{conf}");
    }
    assert!(
        conf.lines()
            .any(|l| l.trim().starts_with("access_log ") && l.trim().ends_with(" keystest;")),
        "{conf}"
    );
    sb.dokku(&["nginx:validate-config"]).ok();
    let (status, text) = get(&sb, &vhost("web"));
    assert_eq!(status, "200", "{text}");
    assert!(text.ends_with("hello"), "{text}");
    // The access log is written in the named format, and access-logs shows it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = sb.dokku(&["nginx:access-logs", "web"]).ok();
        if out.stdout.contains("GET /keys-probe KEYSTEST") {
            break;
        }
        assert!(Instant::now() < deadline, "{out:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(std::path::Path::new(error_log).exists());
    sb.dokku(&["nginx:error-logs", "web"]).ok();
    // The report: Dokku's labels, the app's own value, the one in effect, the global one.
    let report = sb.dokku(&["nginx:report", "web"]).ok().stdout;
    for label in [
        "Nginx access log format:",
        "Nginx computed access log format:",
        "Nginx global access log format:",
        "Nginx computed proxy keepalive:",
        "Nginx global x forwarded ssl:",
        "Nginx last visited at:",
    ] {
        assert!(report.contains(label), "{label} missing:\n{report}");
    }
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["nginx:report", "web", "--format", "json"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["nginx-proxy-keepalive"], "8", "{json}");
    assert_eq!(json["nginx-computed-hsts-max-age"], "600", "{json}");
    assert_eq!(json["nginx-send-timeout"], "15s", "{json}");
    assert_eq!(json["nginx-computed-lingering-timeout"], "2s", "{json}");
    assert_eq!(json["nginx-global-lingering-timeout"], "", "{json}");
    assert_eq!(json["nginx-proxy-connect-timeout"], "", "{json}");
    assert_eq!(json["nginx-computed-proxy-connect-timeout"], "1s", "{json}");
    assert_eq!(
        json["nginx-computed-nginx-conf-sigil-path"], "nginx.conf.sigil",
        "{json}"
    );
    // A global value applies to every app without its own, and shows in --global.
    sb.dokku(&["nginx:set", "--global", "lingering-timeout", "3s"])
        .ok();
    sb.dokku(&["nginx:set", "web", "lingering-timeout"]).ok();
    assert!(show(&sb, "web").contains("lingering_timeout 3s;"));
    let global = sb
        .dokku(&["nginx:report", "--global", "--format", "json"])
        .ok()
        .stdout;
    let global: serde_json::Value = serde_json::from_str(&global).unwrap();
    assert_eq!(global["nginx-global-lingering-timeout"], "3s", "{global}");
    assert!(global.get("nginx-lingering-timeout").is_none(), "{global}");
    // access-log-path off turns the log off; access-logs says so in one line.
    sb.dokku(&["nginx:set", "web", "access-log-path", "off"])
        .ok();
    assert!(show(&sb, "web").contains("access_log off;"));
    refused(sb.dokku(&["nginx:access-logs", "web"]), "is off");
}

#[test]
fn bad_values_are_refused_with_one_line_and_nginx_t_failures_are_not_kept() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "hello");
    sb.dokku(&["proxy:build-config", "web"]).ok();
    let before = show(&sb, "web");
    for (k, v) in [
        ("access-log-format", "bad format"),
        ("bind-address-ipv6", "10.0.0.1"),
        ("client-body-timeout", "soon"),
        ("client-header-timeout", "0s"),
        ("disable-custom-config", "yes"),
        ("error-log-path", "relative.log"),
        ("hsts-include-subdomains", "1"),
        ("hsts-max-age", "1y"),
        ("hsts-preload", "on"),
        ("keepalive-timeout", "-5s"),
        ("lingering-timeout", "5 s;"),
        ("nginx-conf-sigil-path", "/etc/nginx.conf.sigil"),
        ("nginx-conf-sigil-path", "../outside.sigil"),
        ("nginx-service-command", "/nonexistent/nginx-ctl"),
        ("nginx-service-command", "systemctl reload nginx"),
        ("proxy-buffer-size", "0"),
        ("proxy-buffering", "true"),
        ("proxy-buffers", "8"),
        ("proxy-busy-buffers-size", "huge"),
        ("proxy-keepalive", "0"),
        ("proxy-send-timeout", "30q"),
        ("send-timeout", "8d"),
        ("underscore-in-headers", "yes"),
        ("x-forwarded-for-value", "$remote_addr; return 200"),
        ("x-forwarded-port-value", "\"80\""),
        ("x-forwarded-proto-value", ""),
        ("x-forwarded-ssl", "maybe"),
    ] {
        if v.is_empty() {
            continue;
        }
        refused(sb.dokku(&["nginx:set", "web", k, v]), "invalid value");
        refused(sb.dokku(&["nginx:set", "--global", k, v]), "invalid value");
        let kept = sb
            .dokku(&["nginx:report", "web", &format!("--nginx-{k}")])
            .ok()
            .stdout;
        assert_eq!(kept.trim(), "", "{k} {v} was kept");
    }
    assert_eq!(show(&sb, "web"), before);
    // Values that pass validation but fail `nginx -t`: an undefined log format, busy buffers
    // larger than the buffers allow; refused in one line, the previous value and config kept.
    for (k, v) in [
        ("access-log-format", "undefined_format"),
        ("proxy-busy-buffers-size", "1m"),
    ] {
        let out = sb.dokku(&["nginx:set", "web", k, v]).fails();
        let line = out.one_error_line();
        assert!(line.contains(&format!("{k} was not changed")), "{line}");
        let kept = sb
            .dokku(&["nginx:report", "web", &format!("--nginx-{k}")])
            .ok()
            .stdout;
        assert_eq!(kept.trim(), "", "{k} {v} was kept");
        assert_eq!(show(&sb, "web"), before);
    }
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    // Global-only keys stay global.
    refused(
        sb.dokku(&["nginx:set", "web", "https-port", "8443"]),
        "global setting",
    );
}

#[test]
fn custom_template_path_and_disable_custom_config() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "hello");
    // The repository's template is taken from nginx-conf-sigil-path at post-extract.
    let src = sb.dir.path().join("src");
    std::fs::create_dir_all(src.join(".dokku")).unwrap();
    let template = "# CUSTOM {{ .APP }}\nupstream {{ .APP }}-custom { server 127.0.0.1:9; }\n";
    std::fs::write(src.join(".dokku/nginx.conf.sigil"), template).unwrap();
    std::fs::write(src.join("nginx.conf.sigil"), "# ROOT TEMPLATE\n").unwrap();
    sb.dokku(&[
        "nginx:set",
        "web",
        "nginx-conf-sigil-path",
        ".dokku/nginx.conf.sigil",
    ])
    .ok();
    sb.plugn(&[
        "trigger",
        "post-extract",
        "web",
        src.to_str().unwrap(),
        "rev",
    ])
    .ok();
    let pending = sb
        .lib_root()
        .join("data/nginx-vhosts/web/pending/nginx.conf.sigil");
    assert_eq!(std::fs::read_to_string(&pending).unwrap(), template);
    // A path to nothing: the repository has no template.
    sb.dokku(&[
        "nginx:set",
        "web",
        "nginx-conf-sigil-path",
        "none/here.sigil",
    ])
    .ok();
    sb.plugn(&[
        "trigger",
        "post-extract",
        "web",
        src.to_str().unwrap(),
        "rev",
    ])
    .ok();
    assert!(!pending.exists());
    // The app's template in place: used, unless disable-custom-config says not to.
    std::fs::write(
        sb.lib_root().join("data/nginx-vhosts/web/nginx.conf.sigil"),
        template,
    )
    .unwrap();
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert!(show(&sb, "web").contains("# CUSTOM web"));
    sb.dokku(&["nginx:set", "web", "disable-custom-config", "true"])
        .ok();
    let conf = show(&sb, "web");
    assert!(!conf.contains("CUSTOM"), "{conf}");
    assert!(conf.contains("proxy_pass http://web-web;"), "{conf}");
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    sb.dokku(&["nginx:set", "web", "disable-custom-config"])
        .ok();
    assert!(show(&sb, "web").contains("# CUSTOM web"));
}

/// Whether the sandbox's nginx master runs.
fn nginx_running(sb: &Sandbox) -> bool {
    std::fs::read_to_string(sb.root.join("nginx/nginx.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

#[test]
#[allow(unsafe_code)]
fn start_stop_reload_the_private_nginx_and_follow_its_logs() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "hello");
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    sb.dokku(&["nginx:stop"]).ok();
    assert!(!nginx_running(&sb));
    assert_eq!(get(&sb, &vhost("web")).0, "000");
    sb.dokku(&["nginx:stop"]).ok().out_has("not running");
    refused(sb.dokku(&["nginx:reload"]), "not running");
    sb.dokku(&["nginx:start"]).ok();
    assert!(nginx_running(&sb));
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    sb.dokku(&["nginx:start"]).ok().out_has("already running");
    refused(sb.dokku(&["nginx:start", "extra"]), "usage");
    // reload: a config change outside dokku is picked up, after `nginx -t`.
    let extra = sb.root.join("nginx/conf.d/probe.conf");
    let probe = format!(
        "server {{ listen 127.0.0.1:{}; server_name probe.test; return 204; }}\n",
        sb.http_port()
    );
    std::fs::write(&extra, &probe).unwrap();
    assert_ne!(get(&sb, "probe.test").0, "204");
    sb.dokku(&["nginx:reload"]).ok();
    assert_eq!(get(&sb, "probe.test").0, "204");
    std::fs::write(&extra, "server { nonsense }\n").unwrap();
    refused(sb.dokku(&["nginx:reload"]), "nginx -t");
    assert_eq!(get(&sb, "probe.test").0, "204");
    std::fs::write(&extra, &probe).unwrap();
    // nginx-service-command: start/stop/reload go through it.
    let calls = sb.dir.path().join("service-calls");
    let script = sb.dir.path().join("nginx-ctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1\" >> {calls}\nexec /usr/sbin/nginx -c {conf} -p {prefix} -s \"$1\"\n",
            calls = calls.display(),
            conf = sb.root.join("nginx/nginx.conf").display(),
            prefix = sb.root.join("nginx").display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.dokku(&[
        "nginx:set",
        "--global",
        "nginx-service-command",
        script.to_str().unwrap(),
    ])
    .ok();
    sb.dokku(&["nginx:reload"]).ok();
    sb.dokku(&["nginx:set", "web", "client-max-body-size", "3m"])
        .ok();
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "reload\nreload\n");
    assert_eq!(get(&sb, &vhost("web")).0, "200");
    // -t follows the access log: a request made after it started shows up.
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["nginx:access-logs", "web", "-t"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().unwrap();
    let pgid = child.id() as i32;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    while Instant::now() < deadline && !seen {
        get(&sb, &vhost("web"));
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if line.contains("/keys-probe") {
                seen = true;
                break;
            }
        }
    }
    // SAFETY: signals the process group this test started (its leader is the child above).
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
    }
    let _ = child.wait();
    assert!(seen, "the followed access log never showed the request");
    sb.dokku(&["nginx:stop"]).ok();
    assert!(
        std::fs::read_to_string(&calls).unwrap().ends_with("stop\n"),
        "{:?}",
        std::fs::read_to_string(&calls)
    );
}
