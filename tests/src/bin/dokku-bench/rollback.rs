//! `--only rollback`: `releases:rollback APP v1` until v1's body answers through nginx, against
//! a fresh deploy of the same kind of kept image (`dokku deploy APP release-v2`) until v2's
//! body answers; each run does one of each, so both move between the same two images.

use super::{row, run_quiet};
use dokku_tests::docker::web_dockerfile;
use dokku_tests::Sandbox;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Polls `/` through nginx (Host `host`) until a 200 whose body ends with `body`.
fn wait_through_nginx(port: u16, host: &str, body: &str) {
    let start = Instant::now();
    let want = format!("{body}\n");
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let req = format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n");
            let _ = s.write_all(req.as_bytes());
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.") && buf.contains(" 200 ") && buf.ends_with(&want) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("{host} never answered {body:?} through nginx on 127.0.0.1:{port}");
}

fn median_p90(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[(v.len() * 9 / 10).min(v.len() - 1)])
}

/// Prints the rollback and deploy medians and their ratio.
pub fn benchmark(runs: usize) {
    let sb = Sandbox::with_nginx();
    sb.use_docker();
    let dokku = sb.root.join("bin/dokku");
    let quiet = |args: &[&str]| run_quiet(sb.command(&dokku).args(args));
    quiet(&["checks:set", "--global", "default-wait", "0"]);
    quiet(&["checks:set", "--global", "wait-to-retire", "0"]);
    let app = sb.unique_app("rbbench");
    quiet(&["apps:create", &app]);
    // Every run adds two releases: keep them all, so that v1 and v2 keep their tags.
    quiet(&["releases:set", &app, "keep", "1000"]);
    for body in ["rb-one", "rb-two"] {
        sb.deploy_source(&app, &[("Dockerfile", &web_dockerfile(body))])
            .ok();
    }
    let (port, host) = (sb.http_port(), format!("{app}.dokku.localhost"));
    wait_through_nginx(port, &host, "rb-two");
    let (mut rollback, mut deploy) = (Vec::new(), Vec::new());
    for i in 0..runs + 1 {
        let t = Instant::now();
        quiet(&["releases:rollback", &app, "v1"]);
        wait_through_nginx(port, &host, "rb-one");
        let r = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        quiet(&["deploy", &app, "release-v2"]);
        wait_through_nginx(port, &host, "rb-two");
        let d = t.elapsed().as_secs_f64() * 1000.0;
        // The first run warms up.
        if i > 0 {
            rollback.push(r);
            deploy.push(d);
        }
    }
    let (r, d) = (median_p90(&mut rollback), median_p90(&mut deploy));
    row(
        "deploy: dokku deploy APP release-v2 until it answers",
        d,
        "-",
        true,
    );
    let ratio = r.0 / d.0;
    row(
        "rollback: releases:rollback APP v1 until it answers",
        r,
        "<=1.0x deploy",
        ratio <= 1.0,
    );
    println!(
        "{:<52} ratio  {ratio:>8.2}x",
        "  rollback / deploy (through nginx)"
    );
}
