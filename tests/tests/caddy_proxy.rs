//! The replaceable proxy, proved: `caddy-vhosts`, a community-style plugin in bash that ships
//! disabled, serves apps whose `proxy-type` is `caddy` through its own caddy process on a
//! loopback port. A deployed app answers at its domain through caddy and a redeploy switches
//! it; clearing the config takes the app off; bad settings are refused with one line; a config
//! caddy refuses is not installed; an app of another proxy type loses its site, a renamed or
//! deleted app's site follows it; `caddy:stop` leaves no process behind. The proxy type and the domains come from tiny fixture plugins
//! (the proxy and domains plugins are not needed).

use dokku_tests::{refused, Sandbox};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// Stops the sandbox's caddy when dropped, even when the test panics (declare it after the
/// sandbox, so that it drops first).
struct CaddyGuard<'a>(&'a Sandbox);

impl Drop for CaddyGuard<'_> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        let pid = caddy_pid(self.0);
        let _ = self.0.dokku(&["caddy:stop"]);
        // Should `caddy:stop` itself fail, the process still goes.
        if let Some(pid) = pid.filter(|p| alive(*p)) {
            // SAFETY: kill(2) on the pid of the sandbox's own caddy.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

fn data_dir(sb: &Sandbox) -> PathBuf {
    sb.lib_root().join("data/caddy-vhosts")
}

/// The pid in caddy's pid file.
fn caddy_pid(sb: &Sandbox) -> Option<i32> {
    std::fs::read_to_string(data_dir(sb).join("caddy.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether process `pid` runs (a zombie does not).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// A port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Enables caddy-vhosts (caddy must be installed: Debian's `caddy` package).
fn enable(sb: &Sandbox) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("caddy").is_file()))
        .unwrap_or(false);
    assert!(found, "caddy is missing: apt-get install caddy");
    sb.dokku(&["plugin:enable", "caddy-vhosts"]).ok();
}

/// Enables caddy-vhosts with the fixtures: `proxy-type APP` answers the content of
/// `APP/fx-proxy-type` or `caddy`; `domains-list APP` the content of `APP/fx-domains` or
/// `APP.example.test`. Sets caddy's http-port to a free port, which it returns.
fn setup(sb: &Sandbox) -> u16 {
    enable(sb);
    let manifest = "[plugin]\ndescription = \"x\"\nversion = \"0.1.0\"\n";
    sb.write_plugin(
        "fx-proxy-type",
        &[
            ("plugin.toml", manifest),
            (
                "proxy-type",
                "#!/bin/sh\nf=\"$DOKKU_ROOT/$1/fx-proxy-type\"\nif [ -f \"$f\" ]; then cat \"$f\"; else echo caddy; fi\n",
            ),
        ],
    );
    sb.write_plugin(
        "fx-domains",
        &[
            ("plugin.toml", manifest),
            (
                "domains-list",
                "#!/bin/sh\nf=\"$DOKKU_ROOT/$1/fx-domains\"\nif [ -f \"$f\" ]; then cat \"$f\"; else echo \"$1.example.test\"; fi\n",
            ),
        ],
    );
    let port = free_port();
    sb.dokku(&["caddy:set", "--global", "http-port", &port.to_string()])
        .ok();
    port
}

/// GET / from 127.0.0.1:port with `Host: host`: (status, body); status 0 when nothing answers.
fn get(port: u16, host: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!("GET / HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim().to_string())
        .unwrap_or_default();
    (status, body)
}

fn write_app_file(sb: &Sandbox, app: &str, name: &str, content: &str) {
    std::fs::write(sb.dokku_root().join(app).join(name), content).unwrap();
}

fn build(sb: &Sandbox, app: &str) -> dokku_tests::Out {
    sb.plugn(&["trigger", "proxy-build-config", app])
}

fn site(sb: &Sandbox, app: &str) -> Option<String> {
    std::fs::read_to_string(data_dir(sb).join(format!("sites/{app}.caddy"))).ok()
}

fn deploy(sb: &Sandbox, app: &str, files: &[(&str, &str)]) -> dokku_tests::Out {
    sb.deploy_source(app, files)
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

#[test]
fn a_deployed_app_is_served_through_caddy_and_redeploys() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    // It ships disabled: nothing of it runs until it is enabled.
    assert!(sb
        .plugin_path()
        .join("available/caddy-vhosts/plugin.toml")
        .exists());
    assert!(sb
        .plugin_path()
        .join("enabled/caddy-vhosts")
        .symlink_metadata()
        .is_err());
    let _guard = CaddyGuard(&sb);
    let port = setup(&sb);
    let app = sb.unique_app("cdy");
    let host = format!("{app}.example.test");
    sb.dokku(&["apps:create", &app]).ok();

    // The deploy's post-deploy builds the site and starts caddy.
    let out = deploy(&sb, &app, &[("Dockerfile", &dockerfile("one"))]).ok();
    assert!(
        out.stdout.contains(&format!("caddy serves {app}")),
        "{out:#?}"
    );
    assert_eq!(get(port, &host), (200, "one".to_string()));
    assert_eq!(get(port, "nobody.example.test").0, 404);
    let pid = caddy_pid(&sb).expect("caddy runs");
    assert!(alive(pid));
    sb.dokku(&["caddy:report", &app, "--format", "json"])
        .ok()
        .out_has("\"caddy-running\":\"true\"")
        .out_has("\"running\":\"true\"")
        .out_has("\"caddy-domains\":")
        .out_has(&host);
    sb.dokku(&["caddy:show-config", &app])
        .ok()
        .out_has(&format!("http://{host}"))
        .out_has("reverse_proxy 127.0.0.1:");

    // A redeploy switches caddy to the new containers (same caddy process, reloaded).
    deploy(&sb, &app, &[("Dockerfile", &dockerfile("two"))]).ok();
    assert_eq!(get(port, &host), (200, "two".to_string()));
    assert_eq!(caddy_pid(&sb), Some(pid));

    // Cleared: caddy no longer serves the app; rebuilt: it does again.
    sb.plugn(&["trigger", "proxy-clear-config", &app]).ok();
    assert!(site(&sb, &app).is_none());
    assert_eq!(get(port, &host).0, 404);
    build(&sb, &app).ok();
    assert_eq!(get(port, &host), (200, "two".to_string()));

    // Stopped: nothing listens and no process is left.
    sb.dokku(&["caddy:stop"]).ok().out_has("Stopped caddy");
    assert!(!alive(pid), "caddy {pid} still runs");
    assert_eq!(get(port, &host).0, 0);
    sb.dokku(&["caddy:report", "--caddy-running"])
        .ok()
        .out_has("false");
}

#[test]
fn bad_settings_are_refused_and_a_refused_config_is_not_installed() {
    let sb = Sandbox::new();
    let _guard = CaddyGuard(&sb);
    enable(&sb);
    sb.fake_app("alpha", "from-alpha");
    sb.fake_app("beta", "from-beta");

    // No http-port yet: the build says what to do, in one line.
    sb.write_plugin(
        "fx-proxy-type",
        &[
            ("plugin.toml", "[plugin]\nversion = \"0.1.0\"\n"),
            ("proxy-type", "#!/bin/sh\necho caddy\n"),
        ],
    );
    refused(build(&sb, "alpha"), "dokku caddy:set --global http-port");
    assert!(site(&sb, "alpha").is_none());

    // Bad settings are refused with one line and change nothing.
    for bad in ["abc", "0", "70000", "-1", "80x"] {
        refused(
            sb.dokku(&["caddy:set", "--global", "http-port", bad]),
            "Invalid http-port",
        );
    }
    refused(
        sb.dokku(&["caddy:set", "alpha", "http-port", "8080"]),
        "--global",
    );
    refused(
        sb.dokku(&["caddy:set", "--global", "nope", "1"]),
        "valid properties include: http-port",
    );
    assert_eq!(
        sb.dokku(&["caddy:report", "--caddy-http-port"])
            .ok()
            .stdout
            .trim(),
        ""
    );
    refused(sb.dokku(&["caddy:start"]), "http-port is not set");

    let port = setup(&sb);
    build(&sb, "alpha").ok();
    build(&sb, "beta").ok();
    assert_eq!(get(port, "alpha.example.test"), (200, "from-alpha".into()));
    assert_eq!(get(port, "beta.example.test"), (200, "from-beta".into()));

    // beta claims alpha's domain: caddy refuses the whole config, so beta's new site is not
    // installed; its previous one keeps serving, and so does alpha.
    write_app_file(&sb, "beta", "fx-domains", "alpha.example.test\n");
    let before = site(&sb, "beta").unwrap();
    refused(build(&sb, "beta"), "the previous one is kept");
    assert_eq!(site(&sb, "beta").unwrap(), before);
    assert_eq!(get(port, "alpha.example.test"), (200, "from-alpha".into()));
    assert_eq!(get(port, "beta.example.test"), (200, "from-beta".into()));

    // Invalid domains never reach the Caddyfile.
    write_app_file(
        &sb,
        "beta",
        "fx-domains",
        "beta.example.test\nbad}{host\n*.wild.test\n",
    );
    build(&sb, "beta").ok().err_has("skipping invalid domain");
    let text = site(&sb, "beta").unwrap();
    assert!(!text.contains("bad"), "{text}");
    assert_eq!(get(port, "x.wild.test"), (200, "from-beta".into()));

    // The port moves with caddy:set while caddy runs.
    let moved = free_port();
    sb.dokku(&["caddy:set", "--global", "http-port", &moved.to_string()])
        .ok();
    assert_eq!(get(moved, "alpha.example.test"), (200, "from-alpha".into()));
    assert_eq!(get(port, "alpha.example.test").0, 0);
    refused(
        sb.dokku(&["caddy:set", "--global", "http-port"]),
        "stop it first",
    );

    // An app of another proxy type is not caddy's: its site goes at the next build.
    write_app_file(&sb, "alpha", "fx-proxy-type", "nginx\n");
    build(&sb, "alpha").ok();
    assert!(site(&sb, "alpha").is_none());
    assert_eq!(get(moved, "alpha.example.test").0, 404);

    // A renamed app's site follows its name (its domains came along with its folder).
    sb.dokku(&["apps:rename", "--skip-deploy", "beta", "gamma"])
        .ok();
    assert!(site(&sb, "beta").is_none());
    assert!(site(&sb, "gamma").is_some());
    assert_eq!(get(moved, "beta.example.test"), (200, "from-beta".into()));

    // A deleted app's site goes with it.
    sb.dokku(&["--force", "apps:destroy", "gamma"]).ok();
    assert!(site(&sb, "gamma").is_none());
    assert_eq!(get(moved, "beta.example.test").0, 404);

    let pid = caddy_pid(&sb).expect("caddy runs");
    sb.dokku(&["caddy:stop"]).ok();
    assert!(!alive(pid), "caddy {pid} still runs");
    sb.dokku(&["caddy:stop"]).ok().out_has("not running");
}
