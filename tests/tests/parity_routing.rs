//! Dokku 0.38 parity of the routing plugins (issue 15): `certs:add` puts `https:443:PORT` in the
//! port map and `certs:remove` takes it away; a cert tar with macOS `._*` members is accepted;
//! the `certs-set` / `certs-remove` triggers set and remove a certificate; duplicate host ports
//! refused by `ports:set|add`; `ports:report --ports-map-json`; `proxy:set` unsetting with no
//! value and naming a port map given as a type; `domains:add APP _` and `.example.com` reaching a
//! real nginx's server_name (`nginx -t` passes and the request is answered).

use dokku_tests::{refused, Sandbox};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A self-signed pair for `cn` made with openssl in `dir`: (crt, key).
fn make_pair(dir: &Path, cn: &str) -> (PathBuf, PathBuf) {
    fs::create_dir_all(dir).unwrap();
    let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
    let st = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .arg("-subj")
        .arg(format!("/CN={cn}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    (crt, key)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// One value of a report, trimmed.
fn value(sb: &Sandbox, args: &[&str]) -> String {
    sb.dokku(args).ok().stdout.trim().to_string()
}

fn ports_map(sb: &Sandbox, app: &str) -> String {
    value(sb, &["ports:report", app, "--ports-map"])
}

#[test]
fn certs_add_and_remove_change_the_port_map_and_the_triggers_do_what_certs_does() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "tls"]).ok();
    let dir = sb.dir.path().join("pair");
    let (crt, key) = make_pair(&dir, "tls.example.com");
    sb.dokku(&["ports:set", "tls", "http:80:3000"]).ok();
    sb.dokku(&["certs:add", "tls", p(&crt), p(&key)]).ok();
    assert_eq!(ports_map(&sb, "tls"), "http:80:3000 https:443:3000");
    // An update replaces the https map from the http one.
    sb.dokku(&["ports:set", "tls", "http:80:4000"]).ok();
    sb.dokku(&["certs:update", "tls", p(&crt), p(&key)]).ok();
    assert_eq!(ports_map(&sb, "tls"), "http:80:4000 https:443:4000");
    sb.dokku(&["certs:remove", "tls"]).ok();
    assert_eq!(ports_map(&sb, "tls"), "http:80:4000");
    // Dokku's words for a bad certs:show.
    refused(
        sb.dokku(&["certs:show", "tls", "pem"]),
        "specify either 'key' or 'crt'",
    );

    // A tar made on macOS: AppleDouble `._*` members (and __MACOSX/) are ignored.
    let stage = sb.dir.path().join("mac");
    fs::create_dir_all(stage.join("__MACOSX")).unwrap();
    fs::copy(&crt, stage.join("server.crt")).unwrap();
    fs::copy(&key, stage.join("server.key")).unwrap();
    fs::write(stage.join("._server.crt"), b"\x00\x05\x16\x07AppleDouble").unwrap();
    fs::write(stage.join("__MACOSX/._server.key"), b"\x00\x05\x16\x07").unwrap();
    let tar = Command::new("tar")
        .arg("-C")
        .arg(&stage)
        .args([
            "-cf",
            "-",
            "._server.crt",
            "server.crt",
            "__MACOSX",
            "server.key",
        ])
        .output()
        .unwrap();
    assert!(tar.status.success());
    sb.dokku_in(&["certs:add", "tls"], &tar.stdout).ok();
    assert_eq!(
        value(&sb, &["certs:report", "tls", "--ssl-enabled"]),
        "true"
    );
    assert_eq!(ports_map(&sb, "tls"), "http:80:4000 https:443:4000");

    // The triggers: certs-remove removes, certs-set installs the files it is given.
    sb.dokku(&["plugin:trigger", "certs-remove", "tls"]).ok();
    assert_eq!(
        value(&sb, &["certs:report", "tls", "--ssl-enabled"]),
        "false"
    );
    assert_eq!(ports_map(&sb, "tls"), "http:80:4000");
    sb.dokku(&["plugin:trigger", "certs-set", "tls", p(&crt), p(&key)])
        .ok();
    assert_eq!(
        value(&sb, &["certs:report", "tls", "--ssl-enabled"]),
        "true"
    );
    assert_eq!(
        fs::read(sb.dokku_root().join("tls/tls/server.crt")).unwrap(),
        fs::read(&crt).unwrap()
    );
    assert_eq!(ports_map(&sb, "tls"), "http:80:4000 https:443:4000");
    // A bad pair through the trigger is refused and changes nothing.
    refused(
        sb.dokku(&["plugin:trigger", "certs-set", "tls", p(&key), p(&key)]),
        "",
    );
    assert_eq!(
        fs::read(sb.dokku_root().join("tls/tls/server.crt")).unwrap(),
        fs::read(&crt).unwrap()
    );
}

#[test]
fn ports_refuse_duplicate_host_ports_and_report_the_map_as_json() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    refused(
        sb.dokku(&["ports:set", "web", "http:80:5000", "http:80:3000"]),
        "http:80 is mapped more than once",
    );
    assert_eq!(ports_map(&sb, "web"), "");
    sb.dokku(&["ports:set", "web", "http:80:5000", "https:8443:5000"])
        .ok();
    refused(
        sb.dokku(&["ports:add", "web", "http:80:3000"]),
        "http:80 is mapped more than once",
    );
    assert_eq!(ports_map(&sb, "web"), "http:80:5000 https:8443:5000");
    // The same map again is no duplicate.
    sb.dokku(&["ports:add", "web", "http:80:5000", "http:8080:5000"])
        .ok();
    let json: serde_json::Value =
        serde_json::from_str(&value(&sb, &["ports:report", "web", "--ports-map-json"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"container_port": 5000, "host_port": 80, "scheme": "http"},
            {"container_port": 5000, "host_port": 8443, "scheme": "https"},
            {"container_port": 5000, "host_port": 8080, "scheme": "http"},
        ])
    );
    sb.dokku(&["ports:clear", "web"]).ok();
    assert_eq!(
        value(&sb, &["ports:report", "web", "--ports-map-json"]),
        "[]"
    );
}

#[test]
fn proxy_set_without_a_value_unsets_and_a_port_map_is_named() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["proxy:set", "--global", "type", "caddy"])
        .ok()
        .out_has("=====> Setting type to caddy");
    sb.dokku(&["proxy:set", "web", "proxy-port", "8080"]).ok();
    sb.dokku(&["proxy:set", "--global", "type"])
        .ok()
        .out_has("=====> Unsetting type");
    sb.dokku(&["proxy:set", "web", "proxy-port"]).ok();
    assert_eq!(
        value(&sb, &["proxy:report", "web", "--proxy-global-type"]),
        ""
    );
    assert_eq!(
        value(&sb, &["proxy:report", "web", "--proxy-computed-type"]),
        "nginx"
    );
    assert_eq!(
        value(&sb, &["proxy:report", "web", "--proxy-proxy-port"]),
        ""
    );
    refused(
        sb.dokku(&["proxy:set", "web", "http:80:5000"]),
        "Detected potential port mapping instead of proxy type",
    );
    refused(
        sb.dokku(&["proxy:set", "web", "colour", "red"]),
        "Invalid property specified, valid properties include: type, proxy-port, proxy-ssl-port",
    );
    assert_eq!(value(&sb, &["proxy:report", "web", "--proxy-type"]), "");
}

#[test]
fn catch_all_and_suffix_domains_reach_nginx_server_name() {
    let sb = Sandbox::with_nginx();
    sb.fake_app("web", "caught");
    sb.dokku(&["domains:set", "web", "_", ".suffix.example"])
        .ok();
    assert_eq!(
        value(&sb, &["domains:report", "web", "--domains-app-vhosts"]),
        "_ .suffix.example"
    );
    sb.dokku(&["proxy:build-config", "web"]).ok();
    let conf = sb.dokku(&["nginx:show-config", "web"]).ok().stdout;
    assert!(conf.contains("server_name _ .suffix.example;"), "{conf}");
    let ngx = sb.root.join("nginx");
    let st = Command::new("/usr/sbin/nginx")
        .args(["-t", "-q", "-c"])
        .arg(ngx.join("nginx.conf"))
        .arg("-p")
        .arg(&ngx)
        .arg("-e")
        .arg(ngx.join("error.log"))
        .status()
        .unwrap();
    assert!(st.success(), "nginx -t failed");
    let url = format!("http://127.0.0.1:{}/", sb.http_port());
    // `_` matches no real name: it passes nginx -t; nginx's default server answers others.
    for host in ["deep.sub.suffix.example", "suffix.example"] {
        let (status, body) = dokku_tests::curl_host(&url, host, &[]);
        assert_eq!(status, "200", "{host}: {body}");
        assert!(body.contains("caught"), "{host}: {body}");
    }
    // Still refused: what nginx could not take.
    for bad in ["._", "..suffix.example", ".*.example"] {
        refused(sb.dokku(&["domains:add", "web", bad]), "Invalid domain");
    }
    // The global report's heading, as Dokku's.
    sb.dokku(&["domains:report", "--global"])
        .ok()
        .out_has("=====> Global domains information");
}
