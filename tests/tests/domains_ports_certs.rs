//! The domains, ports and certs plugins without Docker: every command and report (text and
//! JSON), the validation of domains, port maps and certificates (refused with one error line and
//! nothing written), default domains on apps:create / rename / clone, `EXPOSE` detection at
//! `post-extract`, the triggers the proxy reads (`domains-list`, `ports-get`,
//! `ports-get-container-port`, `certs-exists`) and the ones fired (seen in the events log).

use dokku_tests::{refused, Sandbox};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `dokku plugin:trigger NAME ARGS…`; its stdout.
fn trigger(sb: &Sandbox, name: &str, args: &[&str]) -> String {
    let mut argv = vec!["plugin:trigger", name];
    argv.extend_from_slice(args);
    sb.dokku(&argv).ok().stdout
}

/// The lines of a trigger's answer.
fn trigger_lines(sb: &Sandbox, name: &str, app: &str) -> Vec<String> {
    trigger(sb, name, &[app])
        .lines()
        .map(str::to_string)
        .collect()
}

/// A sandbox without global domains (the installer sets one), so that apps start with none.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.dokku(&["domains:clear-global"]).ok();
    sb
}

/// A sandbox without global domains, with one app.
fn sandbox_with_app(app: &str) -> Sandbox {
    let sb = sandbox();
    sb.dokku(&["apps:create", app]).ok();
    sb
}

/// The app's VHOST file, `None` when it has none.
fn vhost(sb: &Sandbox, app: &str) -> Option<String> {
    fs::read_to_string(sb.dokku_root().join(app).join("VHOST")).ok()
}

/// One value of a report (`PLUGIN:report APP --FLAG`), trimmed.
fn report_value(sb: &Sandbox, cmd: &str, app: &str, flag: &str) -> String {
    sb.dokku(&[cmd, app, flag]).ok().stdout.trim().to_string()
}

/// A report as JSON.
fn report_json(sb: &Sandbox, cmd: &str, app: &str) -> serde_json::Value {
    let out = sb.dokku(&[cmd, app, "--format", "json"]).ok().stdout;
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{out}: {e}"))
}

fn events_log(sb: &Sandbox) -> String {
    fs::read_to_string(sb.logs_dir().join("events.log")).unwrap_or_default()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A self-signed pair for `cn` made with openssl in `dir`: (crt, key).
fn make_pair(dir: &Path, name: &str, cn: &str) -> (PathBuf, PathBuf) {
    fs::create_dir_all(dir).unwrap();
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let st = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .arg("-subj")
        .arg(format!("/CN={cn}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{cn},DNS:www.{cn}"))
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

/// A tar archive (made by `tar`) of `files` in `dir` under the given member names.
fn tar_of(dir: &Path, members: &[(&str, &Path)]) -> Vec<u8> {
    let stage = dir.join(format!("stage-{}", members.len()));
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(&stage).unwrap();
    for (name, src) in members {
        fs::copy(src, stage.join(name)).unwrap();
    }
    let out = Command::new("tar")
        .arg("-C")
        .arg(&stage)
        .arg("-cf")
        .arg("-")
        .args(members.iter().map(|(n, _)| *n))
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn domains_app_commands_and_reports() {
    let sb = sandbox_with_app("web");
    // No global domain: a new app has none.
    assert_eq!(vhost(&sb, "web"), None);
    assert!(trigger(&sb, "domains-list", &["web"]).is_empty());
    sb.dokku(&["domains:add", "web", "WWW.Example.COM", "api.example.com"])
        .ok()
        .out_has("Added www.example.com to web")
        .out_has("Added api.example.com to web");
    assert_eq!(
        vhost(&sb, "web").unwrap(),
        "www.example.com\napi.example.com\n"
    );
    // Repeats are skipped with a warning.
    sb.dokku(&["domains:add", "web", "api.example.com", "*.example.com"])
        .ok()
        .err_has("Skipping: api.example.com already added to web");
    assert_eq!(
        trigger_lines(&sb, "domains-list", "web"),
        ["www.example.com", "api.example.com", "*.example.com"]
    );
    sb.dokku(&["domains:report", "web"])
        .ok()
        .out_has("=====> web domains information")
        .out_has("Domains app enabled:")
        .out_has("www.example.com api.example.com *.example.com");
    assert_eq!(
        report_value(&sb, "domains:report", "web", "--domains-app-vhosts"),
        "www.example.com api.example.com *.example.com"
    );
    let j = report_json(&sb, "domains:report", "web");
    assert_eq!(j["domains-app-enabled"], "true");
    assert_eq!(j["domains-global-enabled"], "false");
    assert_eq!(j["domains-global-vhosts"], "");
    // The bare command is the plugin's help, as in Dokku.
    sb.dokku(&["domains", "web"])
        .ok()
        .out_has("Usage: dokku domains[:COMMAND]");

    sb.dokku(&[
        "domains:remove",
        "web",
        "API.example.com",
        "gone.example.com",
    ])
    .ok()
    .out_has("Removed api.example.com from web")
    .err_has("gone.example.com is not a domain of web");
    assert_eq!(
        vhost(&sb, "web").unwrap(),
        "www.example.com\n*.example.com\n"
    );
    sb.dokku(&["domains:set", "web", "a.example.org", "b.example.org"])
        .ok()
        .out_has("Set a.example.org b.example.org for web");
    assert_eq!(vhost(&sb, "web").unwrap(), "a.example.org\nb.example.org\n");

    // Disabled: kept, but not served.
    sb.dokku(&["domains:disable", "web"]).ok();
    assert!(trigger(&sb, "domains-list", &["web"]).is_empty());
    assert_eq!(trigger(&sb, "domains-vhost-enabled", &["web"]), "false\n");
    assert_eq!(
        report_value(&sb, "domains:report", "web", "--domains-app-enabled"),
        "false"
    );
    assert_eq!(vhost(&sb, "web").unwrap(), "a.example.org\nb.example.org\n");
    sb.dokku(&["domains:disable", "web"])
        .ok()
        .out_has("already disabled");
    sb.dokku(&["domains:enable", "web"]).ok();
    assert_eq!(trigger(&sb, "domains-vhost-enabled", &["web"]), "true\n");
    assert_eq!(
        trigger_lines(&sb, "domains-list", "web"),
        ["a.example.org", "b.example.org"]
    );
    // Adding to a disabled app enables it, as Dokku.
    sb.dokku(&["domains:disable", "web"]).ok();
    sb.dokku(&["domains:add", "web", "c.example.org"]).ok();
    assert_eq!(trigger(&sb, "domains-vhost-enabled", &["web"]), "true\n");

    sb.dokku(&["domains:clear", "web"])
        .ok()
        .out_has("Cleared domains in web");
    assert_eq!(vhost(&sb, "web").unwrap(), "");
    assert!(trigger(&sb, "domains-list", &["web"]).is_empty());

    // Usage errors: one line each.
    refused(sb.dokku(&["domains:add", "web"]), "at least one domain");
    refused(
        sb.dokku(&["domains:add", "nope", "x.com"]),
        "App nope does not exist",
    );
    refused(
        sb.dokku(&["domains:clear", "web", "x"]),
        "unexpected argument",
    );
    // --quiet silences the steps.
    let out = sb
        .dokku(&["--quiet", "domains:add", "web", "q.example.org"])
        .ok();
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn domains_validation_refuses_bad_names_and_writes_nothing() {
    let sb = sandbox_with_app("val");
    sb.dokku(&["domains:set", "val", "keep.example.com"]).ok();
    let cases: &[(&str, &str)] = &[
        ("a b.example.com", "contains a space"),
        ("a/b.example.com", "contains a slash"),
        ("example.com:8080", "colon"),
        ("www.*.example.com", "wildcard"),
        ("w*.example.com", "wildcard"),
        ("*", "wildcard"),
        ("foo-.example.com", "starts or ends with '-'"),
        ("-foo.example.com", "starts or ends with '-'"),
        ("a..example.com", "empty label"),
        ("example.com.", "empty label"),
        ("under_score.com", "underscore"),
        ("::1", "colon"),
        ("", "empty"),
    ];
    let long_label = format!("{}.example.com", "a".repeat(64));
    let long_name = ["abcdefghi"; 26].join(".");
    let mut all: Vec<(String, &str)> = cases.iter().map(|(d, n)| (d.to_string(), *n)).collect();
    all.push((long_label, "more than 63"));
    all.push((long_name, "more than 253"));
    for (domain, needle) in &all {
        for cmd in ["domains:add", "domains:set"] {
            // A good name beside the bad one is not written either.
            refused(sb.dokku(&[cmd, "val", "good.example.com", domain]), needle);
            assert_eq!(
                vhost(&sb, "val").unwrap(),
                "keep.example.com\n",
                "{cmd} {domain:?}"
            );
        }
    }
    // Valid edge cases: a 63-byte label, a wildcard first label, uppercase lowercased.
    let label63 = format!("{}.example.com", "b".repeat(63));
    sb.dokku(&["domains:add", "val", &label63, "*.Wild.Example.com"])
        .ok();
    assert!(vhost(&sb, "val").unwrap().contains("*.wild.example.com\n"));

    // Global domains: IP addresses and single labels are fine, wildcards are not.
    sb.dokku(&["domains:set-global", "10.0.0.1", "localhost", "::1"])
        .ok();
    assert_eq!(
        fs::read_to_string(sb.dokku_root().join("VHOST")).unwrap(),
        "10.0.0.1\nlocalhost\n::1\n"
    );
    refused(
        sb.dokku(&["domains:add-global", "*.example.com"]),
        "cannot be a wildcard",
    );
    refused(
        sb.dokku(&["domains:set-global", "ok.com", "bad name.com"]),
        "contains a space",
    );
    refused(sb.dokku(&["domains:add-global", "a/b"]), "contains a slash");
    assert_eq!(
        fs::read_to_string(sb.dokku_root().join("VHOST")).unwrap(),
        "10.0.0.1\nlocalhost\n::1\n"
    );
}

#[test]
fn global_domains_give_default_vhosts_through_create_rename_and_clone() {
    let sb = sandbox();
    sb.dokku(&["domains:set-global", "Example.com", "10.0.0.1"])
        .ok()
        .out_has("Set example.com 10.0.0.1");
    sb.dokku(&["domains:add-global", "example.com", "dokku.test"])
        .ok()
        .err_has("Skipping example.com: already added")
        .out_has("Added dokku.test");
    assert_eq!(
        fs::read_to_string(sb.dokku_root().join("VHOST")).unwrap(),
        "example.com\n10.0.0.1\ndokku.test\n"
    );
    sb.dokku(&["domains:remove-global", "dokku.test"])
        .ok()
        .out_has("Removed dokku.test");
    let j = report_json(&sb, "domains:report", "--global");
    assert_eq!(j["domains-global-vhosts"], "example.com 10.0.0.1");
    assert_eq!(j["domains-global-enabled"], "true");
    assert!(j.get("domains-app-vhosts").is_none());
    sb.dokku(&["domains:report", "--global"])
        .ok()
        .out_has("Global domains information");
    assert_eq!(
        sb.dokku(&["domains:report", "--global", "--domains-global-vhosts"])
            .ok()
            .stdout,
        "example.com 10.0.0.1\n"
    );

    // A new app gets APP.GLOBAL for each global domain but the IP address.
    sb.dokku(&["apps:create", "shop"]).ok();
    assert_eq!(vhost(&sb, "shop").unwrap(), "shop.example.com\n");
    // An app name with a dot is its own domain, as Dokku.
    sb.dokku(&["apps:create", "my.site"]).ok();
    assert_eq!(vhost(&sb, "my.site").unwrap(), "my.site\n");

    // Rename: the default domain follows, custom ones stay.
    sb.dokku(&["domains:add", "shop", "shop.custom.org"]).ok();
    sb.dokku(&["apps:rename", "shop", "store"]).ok();
    assert_eq!(
        vhost(&sb, "store").unwrap(),
        "store.example.com\nshop.custom.org\n"
    );
    assert_eq!(
        trigger_lines(&sb, "domains-list", "store"),
        ["store.example.com", "shop.custom.org"]
    );

    // Clone: the clone gets its own default domain, not the original's.
    sb.dokku(&["apps:clone", "store", "store2"]).ok();
    assert_eq!(vhost(&sb, "store2").unwrap(), "store2.example.com\n");
    assert_eq!(
        vhost(&sb, "store").unwrap(),
        "store.example.com\nshop.custom.org\n"
    );

    // clear goes back to the defaults; enable of an empty app writes them.
    sb.dokku(&["domains:clear", "store"]).ok();
    assert_eq!(vhost(&sb, "store").unwrap(), "store.example.com\n");

    sb.dokku(&["domains:clear-global"])
        .ok()
        .out_has("Cleared global domains");
    assert_eq!(
        fs::read_to_string(sb.dokku_root().join("VHOST")).unwrap(),
        ""
    );
    assert_eq!(
        report_value(&sb, "domains:report", "store", "--domains-global-enabled"),
        "false"
    );
    sb.dokku(&["apps:create", "bare"]).ok();
    assert_eq!(vhost(&sb, "bare"), None);

    // Only IP addresses as global domains: no default vhost.
    sb.dokku(&["domains:set-global", "10.0.0.2"]).ok();
    sb.dokku(&["apps:create", "ip-only"]).ok();
    assert_eq!(vhost(&sb, "ip-only"), None);
}

#[test]
fn ports_commands_reports_and_detection() {
    let sb = sandbox_with_app("api");
    // Defaults.
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:5000"]);
    assert_eq!(trigger(&sb, "ports-get-container-port", &["api"]), "5000\n");
    sb.dokku(&["ports:list", "api"])
        .ok()
        .out_has("Port mappings for api")
        .out_has("http                      80                        5000");
    let j = report_json(&sb, "ports:report", "api");
    assert_eq!(j["ports-map"], "");
    assert_eq!(j["ports-map-detected"], "");

    // set / add / remove / clear.
    sb.dokku(&["ports:set", "api", "http:80:3000", "http:80:3000"])
        .ok();
    assert_eq!(
        report_value(&sb, "ports:report", "api", "--ports-map"),
        "http:80:3000"
    );
    sb.dokku(&["ports:add", "api", "http:8080:3000", "tcp:9000:9000"])
        .ok();
    assert_eq!(
        trigger_lines(&sb, "ports-get", "api"),
        ["http:80:3000", "http:8080:3000", "tcp:9000:9000"]
    );
    assert_eq!(trigger(&sb, "ports-get-container-port", &["api"]), "3000\n");
    sb.dokku(&["ports:remove", "api", "8080"]).ok();
    sb.dokku(&["ports:remove", "api", "tcp:9000:9000"]).ok();
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:3000"]);
    sb.dokku(&["ports:remove", "api", "http:1234"])
        .ok()
        .err_has("nothing removed");
    sb.dokku(&["ports:clear", "api"]).ok();
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:5000"]);
    assert_eq!(report_value(&sb, "ports:report", "api", "--ports-map"), "");
    // Adding to an app with no configured map keeps the map in force.
    sb.dokku(&["ports:add", "api", "http:8080:5000"]).ok();
    assert_eq!(
        trigger_lines(&sb, "ports-get", "api"),
        ["http:80:5000", "http:8080:5000"]
    );
    sb.dokku(&["ports:clear", "api"]).ok();

    // Bad maps: one error line, nothing written.
    sb.dokku(&["ports:set", "api", "http:80:4000"]).ok();
    for (bad, needle) in [
        ("udp:53:53", "scheme"),
        ("http:0:5000", "host port"),
        ("http:80:65536", "container port"),
        ("http:80", "expected scheme:host-port:container-port"),
        ("http:80:x", "container port"),
        ("http:80:5000:1", "expected scheme"),
    ] {
        for cmd in ["ports:set", "ports:add"] {
            refused(sb.dokku(&[cmd, "api", "http:81:4000", bad]), needle);
            assert_eq!(
                report_value(&sb, "ports:report", "api", "--ports-map"),
                "http:80:4000"
            );
        }
    }
    refused(sb.dokku(&["ports:remove", "api", "99999"]), "host port");
    refused(sb.dokku(&["ports:set", "api"]), "at least one port mapping");
    refused(
        sb.dokku(&["ports:list", "ghost"]),
        "App ghost does not exist",
    );
    sb.dokku(&["ports:clear", "api"]).ok();

    // Detection from the Dockerfile's EXPOSE at post-extract.
    let src = sb.dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        src.join("Dockerfile"),
        "FROM scratch\nEXPOSE 53/udp\nexpose 8080/tcp 9090\n",
    )
    .unwrap();
    let dir = src.display().to_string();
    trigger(&sb, "post-extract", &["api", &dir, "abc123"]);
    assert_eq!(
        report_value(&sb, "ports:report", "api", "--ports-map-detected"),
        "http:80:8080"
    );
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:8080"]);
    assert_eq!(trigger(&sb, "ports-get-container-port", &["api"]), "8080\n");
    // A configured map wins over the detected one.
    sb.dokku(&["ports:set", "api", "http:80:7000"]).ok();
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:7000"]);
    sb.dokku(&["ports:clear", "api"]).ok();
    // No EXPOSE (or no Dockerfile): the detected map goes.
    fs::write(src.join("Dockerfile"), "FROM scratch\n").unwrap();
    trigger(&sb, "post-extract", &["api", &dir, "def456"]);
    assert_eq!(
        report_value(&sb, "ports:report", "api", "--ports-map-detected"),
        ""
    );
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:5000"]);
    fs::write(src.join("Dockerfile"), "FROM scratch\nEXPOSE 3000\n").unwrap();
    trigger(&sb, "post-extract", &["api", &dir, "ghi789"]);
    assert_eq!(trigger(&sb, "ports-get-container-port", &["api"]), "3000\n");
    fs::remove_file(src.join("Dockerfile")).unwrap();
    trigger(&sb, "post-extract", &["api", &dir, "jkl012"]);
    assert_eq!(trigger_lines(&sb, "ports-get", "api"), ["http:80:5000"]);

    // ports:report of every app; --quiet ports:list prints the maps alone.
    sb.dokku(&["apps:create", "two"]).ok();
    sb.dokku(&["ports:report"])
        .ok()
        .out_has("api ports information")
        .out_has("two ports information");
    assert_eq!(
        sb.dokku(&["--quiet", "ports:list", "api"]).ok().stdout,
        format!("{:<25} {:<25} {}\n", "http", "80", "5000")
    );
}

#[test]
fn ports_get_adds_https_when_the_app_has_a_certificate() {
    let sb = sandbox_with_app("secure");
    sb.dokku(&["domains:add", "secure", "secure.example.com"])
        .ok();
    assert_eq!(trigger(&sb, "certs-exists", &["secure"]), "false\n");
    sb.dokku(&["certs:generate", "secure"]).ok();
    assert_eq!(trigger(&sb, "certs-exists", &["secure"]), "true\n");
    assert_eq!(
        trigger_lines(&sb, "ports-get", "secure"),
        ["http:80:5000", "https:443:5000"]
    );
    sb.dokku(&["ports:set", "secure", "tcp:9000:9000", "http:80:3000"])
        .ok();
    assert_eq!(
        trigger_lines(&sb, "ports-get", "secure"),
        ["tcp:9000:9000", "http:80:3000", "https:443:3000"]
    );
    assert_eq!(
        trigger(&sb, "ports-get-container-port", &["secure"]),
        "3000\n"
    );
    // An https map of its own: nothing added.
    sb.dokku(&["ports:set", "secure", "http:80:3000", "https:8443:3000"])
        .ok();
    assert_eq!(
        trigger_lines(&sb, "ports-get", "secure"),
        ["http:80:3000", "https:8443:3000"]
    );
    sb.dokku(&["certs:remove", "secure"]).ok();
    sb.dokku(&["ports:clear", "secure"]).ok();
    assert_eq!(trigger_lines(&sb, "ports-get", "secure"), ["http:80:5000"]);
}

#[test]
fn certs_generate_add_update_validate_and_remove() {
    let sb = sandbox_with_app("tls");
    let tls = sb.dokku_root().join("tls/tls");
    let (crt, key) = (tls.join("server.crt"), tls.join("server.key"));

    // Nothing to make a certificate for yet.
    refused(sb.dokku(&["certs:generate", "tls"]), "has no domains");
    refused(
        sb.dokku(&["certs:generate", "tls", "bad name.com"]),
        "contains a space",
    );
    assert!(!tls.exists());
    let j = report_json(&sb, "certs:report", "tls");
    assert_eq!(j["ssl-enabled"], "false");
    assert_eq!(j["ssl-hostnames"], "");

    // generate DOMAIN: the pair is installed, private, and the domain added to the app.
    sb.dokku(&["certs:generate", "tls", "Secure.Example.com"])
        .ok()
        .out_has("Generating a self-signed certificate for secure.example.com");
    assert_eq!(mode(&tls), 0o700);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&crt), 0o644);
    assert_eq!(
        trigger_lines(&sb, "domains-list", "tls"),
        ["secure.example.com"]
    );
    let j = report_json(&sb, "certs:report", "tls");
    assert_eq!(j["ssl-enabled"], "true");
    assert_eq!(j["ssl-hostnames"], "secure.example.com");
    assert_eq!(j["ssl-subject"], "CN=secure.example.com");
    assert_eq!(j["ssl-issuer"], "CN=secure.example.com");
    assert_eq!(j["ssl-verified"], "self signed");
    assert_eq!(j["ssl-dir"], tls.display().to_string());
    assert!(
        j["ssl-expires-at"].as_str().unwrap().ends_with("GMT"),
        "{j}"
    );
    assert!(j["ssl-starts-at"].as_str().unwrap().ends_with("GMT"), "{j}");
    sb.dokku(&["certs:report", "tls"])
        .ok()
        .out_has("=====> tls ssl information")
        .out_has("Ssl enabled:")
        .out_has("self signed");
    assert_eq!(
        report_value(&sb, "certs:report", "tls", "--ssl-enabled"),
        "true"
    );

    // generate for all of the app's domains.
    sb.dokku(&["domains:add", "tls", "www.example.com"]).ok();
    sb.dokku(&["certs:generate", "tls"]).ok();
    assert_eq!(
        report_value(&sb, "certs:report", "tls", "--ssl-hostnames"),
        "secure.example.com www.example.com"
    );

    // add from files.
    let work = sb.dir.path().join("pairs");
    let (c1, k1) = make_pair(&work, "one", "one.example.org");
    let (c2, k2) = make_pair(&work, "two", "two.example.org");
    sb.dokku(&[
        "certs:add",
        "tls",
        &c1.display().to_string(),
        &k1.display().to_string(),
    ])
    .ok();
    assert_eq!(fs::read(&crt).unwrap(), fs::read(&c1).unwrap());
    assert_eq!(fs::read(&key).unwrap(), fs::read(&k1).unwrap());
    assert_eq!(mode(&key), 0o600);
    assert_eq!(
        report_value(&sb, "certs:report", "tls", "--ssl-hostnames"),
        "one.example.org www.one.example.org"
    );
    sb.dokku(&["certs:show", "tls", "crt"])
        .ok()
        .out_has("BEGIN CERTIFICATE");

    // update from a tar on stdin.
    let tar = tar_of(&work, &[("server.crt", &c2), ("server.key", &k2)]);
    sb.dokku_in(&["certs:update", "tls"], &tar).ok();
    assert_eq!(fs::read(&crt).unwrap(), fs::read(&c2).unwrap());
    assert_eq!(fs::read(&key).unwrap(), fs::read(&k2).unwrap());

    // Refused, with the installed pair untouched.
    let garbage = work.join("garbage.pem");
    fs::write(&garbage, "not a certificate\n").unwrap();
    let p = |x: &Path| x.display().to_string();
    let refusals: Vec<(dokku_tests::Out, &str)> = vec![
        (
            sb.dokku(&["certs:add", "tls", &p(&c1), &p(&k2)]),
            "do not match",
        ),
        (
            sb.dokku(&["certs:add", "tls", &p(&garbage), &p(&k1)]),
            "not a valid PEM certificate",
        ),
        (
            sb.dokku(&["certs:add", "tls", &p(&c1), &p(&garbage)]),
            "not a valid unencrypted PEM private key",
        ),
        (
            sb.dokku(&["certs:add", "tls", &p(&c1), "/nonexistent/key"]),
            "not found",
        ),
        (
            sb.dokku_in(
                &["certs:add", "tls"],
                &tar_of(&work, &[("server.crt", &c1), ("server.key", &k2)]),
            ),
            "do not match",
        ),
        (
            sb.dokku_in(
                &["certs:add", "tls"],
                &tar_of(
                    &work,
                    &[("server.crt", &c1), ("server.key", &k1), ("extra.txt", &k1)],
                ),
            ),
            "only server.crt and server.key",
        ),
        (
            sb.dokku_in(
                &["certs:add", "tls"],
                &tar_of(&work, &[("server.crt", &c1)]),
            ),
            "lacks server.key",
        ),
        (
            sb.dokku_in(&["certs:add", "tls"], &[0x5a; 4096]),
            "not hold a valid tar archive",
        ),
        (sb.dokku_in(&["certs:add", "tls"], b""), "lacks server.crt"),
        (
            sb.dokku(&["certs:add", "ghost", &p(&c1), &p(&k1)]),
            "App ghost does not exist",
        ),
    ];
    for (out, needle) in refusals {
        refused(out, needle);
        assert_eq!(fs::read(&crt).unwrap(), fs::read(&c2).unwrap(), "{needle}");
        assert_eq!(fs::read(&key).unwrap(), fs::read(&k2).unwrap(), "{needle}");
    }
    // A member with an absolute path (GNU tar -P keeps it).
    let abs = Command::new("tar")
        .arg("-P")
        .arg("-cf")
        .arg("-")
        .arg(&c1)
        .arg(&k1)
        .output()
        .unwrap();
    refused(
        sb.dokku_in(&["certs:add", "tls"], &abs.stdout),
        "absolute path",
    );
    assert_eq!(fs::read(&crt).unwrap(), fs::read(&c2).unwrap());
    // No temp folder is left behind.
    let leftovers: Vec<_> = fs::read_dir(sb.dokku_root().join("tls"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".certs-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // remove.
    sb.dokku(&["certs:remove", "tls"])
        .ok()
        .out_has("Removed the certificate and key of tls");
    assert!(!tls.exists());
    assert_eq!(trigger(&sb, "certs-exists", &["tls"]), "false\n");
    refused(sb.dokku(&["certs:remove", "tls"]), "not defined");
    assert_eq!(
        report_value(&sb, "certs:report", "tls", "--ssl-enabled"),
        "false"
    );
}

#[test]
fn changes_fire_the_triggers_the_proxy_listens_to() {
    let sb = sandbox();
    sb.dokku(&["apps:create", "ev"]).ok();
    sb.dokku(&["apps:create", "ev2"]).ok();
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["domains:add", "ev", "a.example.com", "b.example.com"])
        .ok();
    let log = events_log(&sb);
    assert!(
        log.contains("INVOKED: post-domains-update( ev add a.example.com b.example.com )"),
        "{log}"
    );
    assert!(log.contains("INVOKED: proxy-build-config( ev )"), "{log}");
    sb.dokku(&["domains:remove", "ev", "b.example.com"]).ok();
    sb.dokku(&["domains:set", "ev", "c.example.com"]).ok();
    sb.dokku(&["domains:clear", "ev"]).ok();
    let log = events_log(&sb);
    for line in [
        "post-domains-update( ev remove b.example.com )",
        "post-domains-update( ev set c.example.com )",
        "post-domains-update( ev clear )",
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }

    // A global change rebuilds every app.
    fs::write(sb.logs_dir().join("events.log"), "").unwrap();
    sb.dokku(&["domains:add-global", "example.org"]).ok();
    let log = events_log(&sb);
    assert!(log.contains("INVOKED: proxy-build-config( ev )"), "{log}");
    assert!(log.contains("INVOKED: proxy-build-config( ev2 )"), "{log}");

    fs::write(sb.logs_dir().join("events.log"), "").unwrap();
    sb.dokku(&["ports:set", "ev", "http:80:3000"]).ok();
    sb.dokku(&["ports:add", "ev", "http:8080:3000"]).ok();
    sb.dokku(&["ports:remove", "ev", "8080"]).ok();
    sb.dokku(&["ports:clear", "ev"]).ok();
    let log = events_log(&sb);
    for action in ["set", "add", "remove", "clear"] {
        let line = format!("INVOKED: post-proxy-ports-update( ev {action} )");
        assert!(log.contains(&line), "{line}: {log}");
    }
    assert!(log.contains("INVOKED: proxy-build-config( ev )"), "{log}");

    fs::write(sb.logs_dir().join("events.log"), "").unwrap();
    sb.dokku(&["certs:generate", "ev", "ev.example.org"]).ok();
    sb.dokku(&["certs:remove", "ev"]).ok();
    let log = events_log(&sb);
    assert!(log.contains("INVOKED: post-certs-update( ev )"), "{log}");
    assert!(log.contains("INVOKED: post-certs-remove( ev )"), "{log}");
    assert!(log.contains("INVOKED: proxy-build-config( ev )"), "{log}");
    assert!(log.contains("INVOKED: domains-list( ev )"), "{log}");
}
