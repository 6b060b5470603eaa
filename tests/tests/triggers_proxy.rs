//! The triggers of the proxy side, fired and answered as Dokku's plugin-triggers documentation
//! says, at the same moment and with the same arguments: certs (`post-certs-update`,
//! `post-certs-remove`), proxy (`proxy-enable`, `proxy-disable`, answered by nginx-vhosts and
//! caddy-vhosts for the apps of their type), domains (`pre-enable-vhost`, `pre-disable-vhost`,
//! `domains-enable`, `domains-disable`, `domains-setup`, `domains-urls`, `app-urls`,
//! `nginx-hostname`, and `dokku url|urls`), nginx-vhosts (`nginx-pre-reload`,
//! `nginx-app-template-source`), ports (`ports-clear`, `ports-configure`) and the actions of
//! `post-domains-update` and `post-proxy-ports-update`. A recorder plugin logs every call it
//! receives (`NAME ARGS…`, one line each, in order).

use dokku_tests::{refused, Recorded, Sandbox};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

const MANIFEST: &str = "[plugin]\ndescription = \"test fixture\"\nversion = \"0.1.0\"\n";

fn app_file(sb: &Sandbox, app: &str, name: &str) -> PathBuf {
    sb.dokku_root().join(app).join(name)
}

fn read(p: &PathBuf) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

/// GET / from 127.0.0.1:port with `Host: host`: the status (0 when nothing answers).
fn status(port: u16, host: &str) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!("GET / HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf)
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn certs_fire_post_certs_update_and_remove_after_the_files_change() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "tls"]).ok();
    let log = Recorded(sb.dir.path().join("fired"));
    // Each call records whether the certificate was in place when it ran.
    let script = format!(
        "#!/bin/sh\nif [ -f \"$DOKKU_ROOT/$1/tls/server.crt\" ]; then s=present; else s=absent; fi\necho \"$(basename \"$0\") $* $s\" >> '{}'\n",
        log.path().display()
    );
    sb.write_plugin(
        "zz-recorder",
        &[
            ("plugin.toml", MANIFEST),
            ("post-certs-update", &script),
            ("post-certs-remove", &script),
            ("proxy-build-config", &script),
        ],
    );

    sb.dokku(&["certs:generate", "tls"]).ok();
    assert_eq!(
        log.take(),
        "post-certs-update tls present\nproxy-build-config tls present\n"
    );

    // certs:add and certs:update, from files.
    let dir = sb.dir.path().join("pair");
    std::fs::create_dir_all(&dir).unwrap();
    let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&crt, sb.dokku(&["certs:show", "tls", "crt"]).ok().stdout).unwrap();
    std::fs::write(&key, sb.dokku(&["certs:show", "tls", "key"]).ok().stdout).unwrap();
    let (crt, key) = (crt.to_str().unwrap(), key.to_str().unwrap());
    for cmd in ["certs:add", "certs:update"] {
        sb.dokku(&[cmd, "tls", crt, key]).ok();
        assert_eq!(
            log.take(),
            "post-certs-update tls present\nproxy-build-config tls present\n",
            "{cmd}"
        );
    }

    sb.dokku(&["certs:remove", "tls"]).ok();
    assert_eq!(
        log.take(),
        "post-certs-remove tls absent\nproxy-build-config tls absent\n"
    );

    // A refused certificate changes nothing and fires nothing.
    std::fs::write(dir.join("bad.crt"), "not a certificate").unwrap();
    sb.dokku(&[
        "certs:add",
        "tls",
        dir.join("bad.crt").to_str().unwrap(),
        key,
    ])
    .fails();
    sb.dokku(&["certs:remove", "tls"]).fails();
    assert_eq!(log.take(), "");
}

#[test]
fn domains_enable_and_disable_fire_pre_vhost_triggers_and_answer_the_domains_triggers() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let log = sb.record_triggers(
        "zz-recorder",
        &[
            "pre-enable-vhost",
            "pre-disable-vhost",
            "proxy-build-config",
            "post-domains-update",
        ],
    );
    let enabled = |sb: &Sandbox| {
        sb.plugn(&["trigger", "domains-vhost-enabled", "web"])
            .ok()
            .stdout
            .trim()
            .to_string()
    };

    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["domains:disable", "web"]).ok();
    assert_eq!(
        log.take(),
        "pre-disable-vhost web\nproxy-build-config web\n"
    );
    assert_eq!(enabled(&sb), "false");
    let events = sb.events_log();
    let pos = |needle: &str| {
        events
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in {events}"))
    };
    assert!(pos("INVOKED: pre-disable-vhost( web )") < pos("INVOKED: proxy-build-config( web )"));
    sb.dokku(&["events:off"]).ok();

    // Already disabled: nothing fired.
    sb.dokku(&["domains:disable", "web"])
        .ok()
        .out_has("already disabled");
    assert_eq!(log.take(), "");

    sb.dokku(&["domains:enable", "web"]).ok();
    assert_eq!(log.take(), "pre-enable-vhost web\nproxy-build-config web\n");
    assert_eq!(enabled(&sb), "true");

    // A failing pre-disable-vhost stops the change.
    sb.write_plugin(
        "zz-veto",
        &[
            ("plugin.toml", MANIFEST),
            ("pre-disable-vhost", "#!/bin/sh\nexit 4\n"),
        ],
    );
    sb.dokku(&["domains:disable", "web"]).fails();
    assert_eq!(enabled(&sb), "true");
    sb.dokku(&["plugin:disable", "zz-veto"]).ok();
    log.take();

    // The triggers: RESTART_APP `--no-restart` (or `false`) leaves the proxy config alone.
    sb.plugn(&["trigger", "domains-disable", "web", "--no-restart"])
        .ok();
    assert_eq!(log.take(), "pre-disable-vhost web\n");
    assert_eq!(enabled(&sb), "false");
    sb.plugn(&["trigger", "domains-enable", "web", "false"])
        .ok();
    assert_eq!(log.take(), "pre-enable-vhost web\n");
    assert_eq!(enabled(&sb), "true");
    sb.plugn(&["trigger", "domains-disable", "web"]).ok();
    assert_eq!(
        log.take(),
        "pre-disable-vhost web\nproxy-build-config web\n"
    );
    sb.plugn(&["trigger", "domains-enable", "web", "true"]).ok();
    assert_eq!(log.take(), "pre-enable-vhost web\nproxy-build-config web\n");
    refused(
        sb.plugn(&["trigger", "domains-enable", "nosuch"]),
        "nosuch does not exist",
    );

    // Adding a domain to an app whose domains are disabled enables them: pre-enable-vhost first.
    sb.dokku(&["domains:disable", "web"]).ok();
    log.take();
    sb.dokku(&["domains:add", "web", "a.example.com"]).ok();
    assert_eq!(
        log.take(),
        "pre-enable-vhost web\npost-domains-update web add a.example.com\nproxy-build-config web\n"
    );

    // The actions of post-domains-update, as Dokku names them.
    sb.dokku(&["domains:remove", "web", "a.example.com"]).ok();
    sb.dokku(&["domains:set", "web", "b.example.com", "c.example.com"])
        .ok();
    sb.dokku(&["domains:clear", "web"]).ok();
    assert_eq!(
        log.take(),
        "post-domains-update web remove a.example.com\nproxy-build-config web\n\
         post-domains-update web set b.example.com c.example.com\nproxy-build-config web\n\
         post-domains-update web clear\nproxy-build-config web\n"
    );

    // domains-setup: the default domain when the app has no domain file, else nothing.
    let vhost = app_file(&sb, "web", "VHOST");
    std::fs::remove_file(&vhost).unwrap();
    sb.plugn(&["trigger", "domains-setup", "web"])
        .ok()
        .out_has("Creating new app virtual host file");
    assert_eq!(read(&vhost).as_deref(), Some("web.dokku.localhost\n"));
    std::fs::write(&vhost, "mine.example.com\n").unwrap();
    sb.plugn(&["trigger", "domains-setup", "web"]).ok();
    assert_eq!(read(&vhost).as_deref(), Some("mine.example.com\n"));
    sb.dokku(&["domains:clear-global"]).ok();
    std::fs::remove_file(&vhost).unwrap();
    sb.plugn(&["trigger", "domains-setup", "web"]).ok();
    assert_eq!(read(&vhost), None);
}

#[test]
fn a_default_domain_asks_nginx_hostname() {
    let sb = Sandbox::new();
    let log = Recorded(sb.dir.path().join("fired"));
    // Answers for app `h` only; records every call.
    let script = format!(
        "#!/bin/sh\necho \"nginx-hostname $*\" >> '{}'\nif [ \"$1\" = h ]; then echo \"custom-$2.$3\"; fi\n",
        log.path().display()
    );
    sb.write_plugin(
        "zz-hostname",
        &[("plugin.toml", MANIFEST), ("nginx-hostname", &script)],
    );
    sb.dokku(&["apps:create", "h"]).ok();
    assert_eq!(log.take(), "nginx-hostname h h dokku.localhost\n");
    assert_eq!(
        read(&app_file(&sb, "h", "VHOST")).as_deref(),
        Some("custom-h.dokku.localhost\n")
    );
    // No answer: APP.GLOBAL, or the app's name when it holds a dot (SUBDOMAIN is the name
    // without a trailing .GLOBAL).
    sb.dokku(&["apps:create", "plain"]).ok();
    sb.dokku(&["apps:create", "sub.dokku.localhost"]).ok();
    assert_eq!(
        log.take(),
        "nginx-hostname plain plain dokku.localhost\n\
         nginx-hostname sub.dokku.localhost sub dokku.localhost\n"
    );
    assert_eq!(
        read(&app_file(&sb, "plain", "VHOST")).as_deref(),
        Some("plain.dokku.localhost\n")
    );
    assert_eq!(
        read(&app_file(&sb, "sub.dokku.localhost", "VHOST")).as_deref(),
        Some("sub.dokku.localhost\n")
    );
    // One call per global domain that is not an IP address; domains:clear asks again.
    sb.dokku(&["domains:set-global", "one.test", "127.0.0.1", "two.test"])
        .ok();
    log.take();
    sb.dokku(&["domains:clear", "h"]).ok();
    assert_eq!(
        log.take(),
        "nginx-hostname h h one.test\nnginx-hostname h h two.test\n"
    );
    assert_eq!(
        read(&app_file(&sb, "h", "VHOST")).as_deref(),
        Some("custom-h.one.test\ncustom-h.two.test\n")
    );
}

#[test]
fn urls_and_url_print_domains_urls_and_app_urls_overrides() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let urls = |sb: &Sandbox| sb.dokku(&["urls", "web"]).ok().stdout;
    let url = |sb: &Sandbox| sb.dokku(&["url", "web"]).ok().stdout;
    assert_eq!(urls(&sb), "http://web.dokku.localhost\n");
    assert_eq!(url(&sb), "http://web.dokku.localhost\n");

    sb.dokku(&["domains:add", "web", "www.example.com"]).ok();
    assert_eq!(
        urls(&sb),
        "http://web.dokku.localhost\nhttp://www.example.com\n"
    );
    assert_eq!(url(&sb), "http://web.dokku.localhost\n");

    // A proxy port other than 80/443 shows.
    sb.dokku(&["ports:set", "web", "http:8080:5000"]).ok();
    assert_eq!(
        urls(&sb),
        "http://web.dokku.localhost:8080\nhttp://www.example.com:8080\n"
    );

    // With a certificate: https (ports-get adds https:443), and `url` is the first https one.
    sb.dokku(&["certs:generate", "web"]).ok();
    assert_eq!(
        urls(&sb),
        "http://web.dokku.localhost:8080\nhttp://www.example.com:8080\n\
         https://web.dokku.localhost\nhttps://www.example.com\n"
    );
    assert_eq!(url(&sb), "https://web.dokku.localhost\n");
    assert_eq!(
        sb.plugn(&["trigger", "domains-urls", "web", "url"])
            .ok()
            .stdout,
        "https://web.dokku.localhost\n"
    );

    // Domains disabled: the global domain names the app.
    sb.dokku(&["certs:remove", "web"]).ok();
    sb.dokku(&["ports:clear", "web"]).ok();
    sb.dokku(&["domains:disable", "web"]).ok();
    assert_eq!(urls(&sb), "http://dokku.localhost\n");
    sb.dokku(&["domains:enable", "web"]).ok();

    // app-urls is asked first (APP URL_TYPE); a non-empty answer overrides.
    let log = Recorded(sb.dir.path().join("fired"));
    let flag = sb.dir.path().join("custom-urls");
    let script = format!(
        "#!/bin/sh\necho \"app-urls $*\" >> '{}'\nif [ -f '{}' ]; then echo 'https://z.example.com http://a.example.com'; fi\n",
        log.path().display(),
        flag.display()
    );
    sb.write_plugin(
        "zz-urls",
        &[("plugin.toml", MANIFEST), ("app-urls", &script)],
    );
    urls(&sb);
    url(&sb);
    assert_eq!(log.take(), "app-urls web urls\napp-urls web url\n");
    std::fs::write(&flag, "").unwrap();
    assert_eq!(urls(&sb), "http://a.example.com\nhttps://z.example.com\n");
    // No certificate: `url` is the first http one.
    assert_eq!(url(&sb), "http://a.example.com\n");

    // Bad input: one clear line.
    refused(sb.dokku(&["urls", "nosuch"]), "nosuch does not exist");
    sb.dokku(&["urls"]).fails().err_has("Please specify an app");
    refused(
        sb.plugn(&["trigger", "domains-urls", "web", "bogus"]),
        "unknown URL_TYPE",
    );
}

#[test]
fn ports_answer_ports_clear_and_ports_configure_and_name_their_actions() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let log = sb.record_triggers(
        "zz-recorder",
        &["post-proxy-ports-update", "proxy-build-config"],
    );
    let report = |sb: &Sandbox, flag: &str| {
        sb.dokku(&["ports:report", "web", flag])
            .ok()
            .stdout
            .trim()
            .to_string()
    };

    sb.dokku(&["ports:add", "web", "http:8080:5000"]).ok();
    sb.dokku(&["ports:set", "web", "http:8081:5000", "http:8082:5000"])
        .ok();
    sb.dokku(&["ports:remove", "web", "8081"]).ok();
    sb.dokku(&["ports:clear", "web"]).ok();
    assert_eq!(
        log.take(),
        "post-proxy-ports-update web add\nproxy-build-config web\n\
         post-proxy-ports-update web set\nproxy-build-config web\n\
         post-proxy-ports-update web remove\nproxy-build-config web\n\
         post-proxy-ports-update web clear\nproxy-build-config web\n"
    );

    // ports-clear APP: as ports:clear.
    sb.dokku(&["ports:set", "web", "http:8081:5000"]).ok();
    log.take();
    sb.plugn(&["trigger", "ports-clear", "web"]).ok();
    assert_eq!(report(&sb, "--ports-map"), "");
    assert_eq!(
        log.take(),
        "post-proxy-ports-update web clear\nproxy-build-config web\n"
    );

    // ports-configure APP: the default map, recorded as detected, when the app has none.
    sb.plugn(&["trigger", "ports-configure", "web"]).ok();
    assert_eq!(report(&sb, "--ports-map-detected"), "http:80:5000");
    assert_eq!(log.take(), "");
    sb.dokku(&["apps:create", "api"]).ok();
    sb.dokku(&["ports:set", "api", "http:9000:9000"]).ok();
    sb.plugn(&["trigger", "ports-configure", "api"]).ok();
    assert_eq!(
        sb.dokku(&["ports:report", "api", "--ports-map-detected"])
            .ok()
            .stdout
            .trim(),
        ""
    );
    refused(
        sb.plugn(&["trigger", "ports-configure", "nosuch"]),
        "nosuch does not exist",
    );
}

#[test]
fn nginx_answers_proxy_enable_and_disable_and_fires_nginx_pre_reload() {
    let sb = Sandbox::with_nginx();
    let port = sb.fake_app("web", "hello");
    let host = "web.dokku.localhost";
    let log = Recorded(sb.dir.path().join("fired"));
    let conf = app_file(&sb, "web", "nginx.conf");
    let veto = sb.dir.path().join("veto");
    let reenter = sb.dir.path().join("reenter");
    // nginx-pre-reload records whether the new config was in place, and fails when told to.
    let pre_reload = format!(
        "#!/bin/sh\nif [ -f \"$DOKKU_ROOT/$1/nginx.conf\" ]; then s=present; else s=absent; fi\necho \"nginx-pre-reload $* $s\" >> '{log}'\nif [ -f '{veto}' ]; then exit 3; fi\nif [ -f '{reenter}' ]; then dokku proxy:build-config \"$1\" 2>> '{log}' || exit 4; fi\n",
        log = log.path().display(),
        veto = veto.display(),
        reenter = reenter.display()
    );
    let rec = log.script();
    sb.write_plugin(
        "zz-recorder",
        &[
            ("plugin.toml", MANIFEST),
            ("nginx-pre-reload", &pre_reload),
            ("proxy-enable", &rec),
            ("proxy-disable", &rec),
            ("proxy-build-config", &rec),
            ("proxy-clear-config", &rec),
        ],
    );

    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert_eq!(
        log.take(),
        format!("nginx-pre-reload web {port} 127.0.0.1 present\nproxy-build-config web\n")
    );
    assert_eq!(status(sb.http_port(), host), 200);
    // Nothing changed: no reload, no nginx-pre-reload.
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert_eq!(log.take(), "proxy-build-config web\n");

    // proxy:disable fires proxy-disable (not proxy-clear-config); nginx answers it.
    sb.dokku(&["proxy:disable", "web"]).ok();
    assert_eq!(log.take(), "proxy-disable web\n");
    assert!(!conf.exists());
    assert_ne!(status(sb.http_port(), host), 200);
    sb.dokku(&["proxy:disable", "web"])
        .ok()
        .out_has("already disabled");
    assert_eq!(log.take(), "");

    sb.dokku(&["proxy:enable", "web"]).ok();
    assert_eq!(
        log.take(),
        format!("nginx-pre-reload web {port} 127.0.0.1 present\nproxy-enable web\n")
    );
    assert!(conf.exists());
    assert_eq!(status(sb.http_port(), host), 200);
    sb.dokku(&["proxy:enable", "web"])
        .ok()
        .out_has("already enabled");
    assert_eq!(log.take(), "");

    // An app of another proxy type: nginx leaves it to its proxy.
    sb.dokku(&["proxy:set", "web", "other"]).ok();
    sb.dokku(&["proxy:disable", "web"]).ok();
    assert!(conf.exists(), "nginx cleared another proxy's app");
    sb.dokku(&["proxy:enable", "web"]).ok();
    sb.dokku(&["proxy:set", "web", "nginx"]).ok();
    log.take();

    // A failing nginx-pre-reload: the new config is not installed, nginx not reloaded.
    let before = read(&conf).unwrap();
    std::fs::write(&veto, "").unwrap();
    let out = sb
        .dokku(&["nginx:set", "web", "client-max-body-size", "7m"])
        .fails();
    assert!(
        out.one_error_line()
            .contains("nginx-pre-reload failed for web"),
        "{out:#?}"
    );
    assert_eq!(read(&conf).unwrap(), before);
    std::fs::remove_file(&veto).unwrap();
    log.take();

    // A hook asking for another config change while the reload lock is held is refused at
    // once (it would otherwise wait for itself); the change it ran before is not installed.
    std::fs::write(&reenter, "").unwrap();
    let out = sb
        .dokku(&["nginx:set", "web", "client-max-body-size", "8m"])
        .fails();
    assert!(
        out.one_error_line()
            .contains("nginx-pre-reload failed for web (exit code 4)"),
        "{out:#?}"
    );
    assert!(
        log.take()
            .contains("cannot change nginx configs from an nginx-pre-reload hook"),
        "the inner command's error"
    );
    assert_eq!(read(&conf).unwrap(), before);
    std::fs::remove_file(&reenter).unwrap();
    // The refused value was not kept: a later build does not bring it in; set again, it goes in.
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert!(!read(&conf).unwrap().contains("client_max_body_size 8m"));
    sb.dokku(&["nginx:set", "web", "client-max-body-size", "8m"])
        .ok();
    assert!(read(&conf).unwrap().contains("client_max_body_size 8m"));
    log.take();

    // nginx-app-template-source APP app-config: a path answered is the template used.
    let template = sb.dir.path().join("chosen.conf.sigil");
    std::fs::write(
        &template,
        "# chosen for {{ $.APP }}\nupstream chosen-{{ $.APP }} { {{ $.UPSTREAM_SERVERS }} }\nserver {\n  listen {{ $.NGINX_PORT }};\n  server_name {{ $.NOSSL_SERVER_NAME }};\n  location / { proxy_pass http://chosen-{{ $.APP }}; }\n}\n",
    )
    .unwrap();
    let chooser = sb.dir.path().join("choose");
    let source = format!(
        "#!/bin/sh\necho \"nginx-app-template-source $*\" >> '{}'\nif [ -f '{}' ]; then cat '{}'; fi\n",
        log.path().display(),
        chooser.display(),
        chooser.display()
    );
    sb.write_plugin(
        "zz-template",
        &[
            ("plugin.toml", MANIFEST),
            ("nginx-app-template-source", &source),
        ],
    );
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert!(log
        .take()
        .contains("nginx-app-template-source web app-config\n"));
    assert!(!read(&conf).unwrap().contains("# chosen"));
    std::fs::write(&chooser, format!("{}\n", template.display())).unwrap();
    sb.dokku(&["proxy:build-config", "web"]).ok();
    assert!(read(&conf).unwrap().starts_with("# chosen for web\n"));
    assert_eq!(status(sb.http_port(), host), 200);
    // A path that cannot be read: one clear line, the previous config stays.
    std::fs::write(&chooser, "/nonexistent/template.sigil\n").unwrap();
    let out = sb.dokku(&["proxy:build-config", "web"]).fails();
    assert!(
        out.one_error_line().contains("/nonexistent/template.sigil"),
        "{out:#?}"
    );
    assert!(read(&conf).unwrap().starts_with("# chosen for web\n"));
}

/// Stops the sandbox's caddy when dropped (declare it after the sandbox).
struct CaddyGuard<'a>(&'a Sandbox);

impl Drop for CaddyGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.dokku(&["caddy:stop"]);
    }
}

#[test]
fn caddy_answers_proxy_enable_and_disable_for_its_apps() {
    let sb = Sandbox::new();
    let _guard = CaddyGuard(&sb);
    sb.dokku(&["plugin:enable", "caddy-vhosts"]).ok();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    sb.dokku(&["caddy:set", "--global", "http-port", &port.to_string()])
        .ok();
    sb.fake_app("cdy", "caddy-served");
    sb.dokku(&["proxy:set", "cdy", "caddy"]).ok();
    let host = "cdy.dokku.localhost";
    let site = sb.lib_root().join("data/caddy-vhosts/sites/cdy.caddy");
    sb.dokku(&["proxy:build-config", "cdy"]).ok();
    assert!(site.exists());
    assert_eq!(status(port, host), 200);

    sb.dokku(&["proxy:disable", "cdy"]).ok();
    assert!(!site.exists());
    assert_eq!(status(port, host), 404);

    sb.dokku(&["proxy:enable", "cdy"]).ok();
    assert!(site.exists());
    assert_eq!(status(port, host), 200);

    // An nginx app: caddy leaves it alone.
    sb.dokku(&["apps:create", "ngx"]).ok();
    sb.dokku(&["proxy:disable", "ngx"]).ok();
    sb.dokku(&["proxy:enable", "ngx"]).ok();
    assert!(!sb
        .lib_root()
        .join("data/caddy-vhosts/sites/ngx.caddy")
        .exists());
}
