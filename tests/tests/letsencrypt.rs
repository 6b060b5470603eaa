//! The letsencrypt plugin against a real ACME server: pebble (Let's Encrypt's test server) on
//! loopback with its own CA, pebble-challtestsrv as its DNS (every name is 127.0.0.1), http-01
//! validated through the sandbox's own nginx on its apps http port; lego trusts pebble through
//! `LEGO_CA_CERTIFICATES` passed from the dokku command's environment.

use dokku_tests::acme::Pebble;
use dokku_tests::{refused, Out, Sandbox};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// `dokku ARGS…` with lego trusting pebble's listener.
fn le(sb: &Sandbox, p: &Pebble, args: &[&str]) -> Out {
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(args).env("LEGO_CA_CERTIFICATES", p.listener_ca());
    sb.run(c, b"")
}

/// A sandbox with nginx, pebble validating on its http port, the global email and server set.
fn setup() -> (Sandbox, Pebble) {
    let sb = Sandbox::with_nginx();
    let p = Pebble::start(sb.http_port());
    sb.dokku(&["letsencrypt:set", "--global", "email", "ops@le.test"])
        .ok();
    sb.dokku(&["letsencrypt:set", "--global", "server", &p.directory()])
        .ok();
    (sb, p)
}

/// An app answering `body` through nginx for `domains`.
fn app(sb: &Sandbox, name: &str, body: &'static str, domains: &[&str]) {
    sb.fake_app(name, body);
    let mut a = vec!["domains:set", name];
    a.extend_from_slice(domains);
    sb.dokku(&a).ok();
}

/// `curl https://HOST/` on the https port, trusting pebble's root only: (exit code, body).
fn https_get(sb: &Sandbox, p: &Pebble, host: &str) -> (i32, String) {
    let port = sb.https_port();
    let out = Command::new("curl")
        .args(["-sS", "-m", "5", "--cacert"])
        .arg(p.root_path())
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg(format!("https://{host}:{port}/"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn list_json(sb: &Sandbox) -> serde_json::Value {
    let out = sb.dokku(&["letsencrypt:list", "--format", "json"]).ok();
    serde_json::from_str(out.stdout.trim()).unwrap()
}

#[test]
fn enable_two_domains_then_renew_without_a_failed_request_then_revoke() {
    let (sb, p) = setup();
    app(&sb, "web", "hello-le", &["a.le.test", "b.le.test"]);
    let t = Instant::now();
    le(&sb, &p, &["letsencrypt:enable", "web"]).ok();
    eprintln!("enable took {:?}", t.elapsed());
    for host in ["a.le.test", "b.le.test"] {
        let (code, body) = https_get(&sb, &p, host);
        assert_eq!((code, body.trim()), (0, "hello-le"), "{host}");
    }
    sb.dokku(&["letsencrypt:active", "web"])
        .ok()
        .out_has("true");
    let l = list_json(&sb);
    assert_eq!(l[0]["app"], "web");
    assert_eq!(
        l[0]["domains"],
        serde_json::json!(["a.le.test", "b.le.test"])
    );
    assert_eq!(l[0]["last_error"], "");

    // Not due: nothing happens.
    let crt = sb.dokku(&["certs:show", "web", "crt"]).ok().stdout;
    le(&sb, &p, &["letsencrypt:auto-renew"]).ok();
    assert_eq!(sb.dokku(&["certs:show", "web", "crt"]).ok().stdout, crt);

    // A grace period longer than the certificate's life: renewed, with requests polled all along.
    sb.dokku(&["letsencrypt:set", "web", "graceperiod", "3153600000"])
        .ok();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, bad) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let poller = {
        let (stop, ok, bad) = (stop.clone(), ok.clone(), bad.clone());
        let (root, port) = (p.root_path(), sb.https_port());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let out = Command::new("curl")
                    .args(["-s", "-m", "5", "--cacert"])
                    .arg(&root)
                    .arg("--resolve")
                    .arg(format!("a.le.test:{port}:127.0.0.1"))
                    .arg(format!("https://a.le.test:{port}/"))
                    .output()
                    .unwrap();
                if out.status.success() && out.stdout == b"hello-le" {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let t = Instant::now();
    le(&sb, &p, &["letsencrypt:auto-renew", "web"]).ok();
    eprintln!("renew took {:?}", t.elapsed());
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    let (ok, bad) = (ok.load(Ordering::Relaxed), bad.load(Ordering::Relaxed));
    eprintln!("during renewal: {ok} requests answered, {bad} failed");
    assert!(ok > 0 && bad == 0, "{ok} answered, {bad} failed");
    assert_ne!(sb.dokku(&["certs:show", "web", "crt"]).ok().stdout, crt);

    le(&sb, &p, &["letsencrypt:revoke", "web"]).ok();
    assert_eq!(list_json(&sb)[0]["revoked"], true);
    refused(
        le(&sb, &p, &["letsencrypt:revoke", "web"]),
        "revoked already",
    );
    le(&sb, &p, &["letsencrypt:disable", "web"]).ok();
    sb.dokku(&["letsencrypt:active", "web"])
        .ok()
        .out_has("false");
    sb.dokku(&["certs:report", "web", "--ssl-enabled"])
        .ok()
        .out_has("false");
}

#[test]
fn an_app_mapping_only_https_still_validates() {
    let (sb, p) = setup();
    app(&sb, "sec", "hello-sec", &["s.le.test"]);
    sb.dokku(&["ports:set", "sec", "https:443:5000"]).ok();
    le(&sb, &p, &["letsencrypt:enable", "sec"]).ok();
    let (code, body) = https_get(&sb, &p, "s.le.test");
    assert_eq!((code, body.trim()), (0, "hello-sec"));
    // Port 80 only answers the challenge and redirects the rest.
    let (status, _) = dokku_tests::curl_host(
        &format!("http://127.0.0.1:{}/x", sb.http_port()),
        "s.le.test",
        &[],
    );
    assert_eq!(status, "301");
}

#[test]
fn bad_input_gives_one_line() {
    let (sb, p) = setup();
    app(&sb, "bad", "x", &["far.le.test"]);
    refused(
        sb.dokku(&["letsencrypt:set", "--global", "server", "http://x/dir"]),
        "invalid server",
    );
    refused(
        sb.dokku(&["letsencrypt:set", "bad", "email", "nope"]),
        "invalid email",
    );
    refused(sb.dokku(&["letsencrypt:enable", "nosuch"]), "nosuch");
    sb.dokku(&["letsencrypt:set", "--global", "email"]).ok();
    refused(le(&sb, &p, &["letsencrypt:enable", "bad"]), "no email set");
    sb.dokku(&["letsencrypt:set", "--global", "email", "ops@le.test"])
        .ok();
    // The name resolves elsewhere (127.0.0.2, where nothing listens): one line, nothing left.
    p.add_a("far.le.test", "127.0.0.2");
    refused(le(&sb, &p, &["letsencrypt:enable", "bad"]), "far.le.test");
    sb.dokku(&["letsencrypt:active", "bad"])
        .ok()
        .out_has("false");
    let conf = sb.dokku(&["nginx:show-config", "bad"]).ok().stdout;
    assert!(!conf.contains("acme-challenge"), "{conf}");
    refused(sb.dokku(&["letsencrypt:cron-job"]), "--add");
}

#[test]
fn a_wildcard_through_dns_01_with_lego_exec_provider() {
    let (sb, p) = setup();
    app(&sb, "wild", "hello-wild", &["*.w.le.test"]);
    refused(le(&sb, &p, &["letsencrypt:enable", "wild"]), "needs dns-01");
    sb.dokku(&["letsencrypt:set", "wild", "dns-provider", "exec"])
        .ok();
    let script = p.exec_provider_script();
    let out = sb
        .dokku(&[
            "letsencrypt:set",
            "wild",
            "dns-provider-EXEC_PATH",
            script.to_str().unwrap(),
        ])
        .ok();
    assert!(!out.stdout.contains(script.to_str().unwrap()), "{out:?}");
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["letsencrypt:enable", "wild"])
        .env("LEGO_CA_CERTIFICATES", p.listener_ca())
        .env(
            "DOKKU_LETSENCRYPT_DNS_RESOLVERS",
            format!("127.0.0.1:{}", p.dns_port),
        )
        .env("DOKKU_LETSENCRYPT_DNS_DISABLE_CP", "1");
    sb.run(c, b"").ok();
    let (code, body) = https_get(&sb, &p, "x.w.le.test");
    assert_eq!((code, body.trim()), (0, "hello-wild"));
}
