//! A real ACME server for the tests, on loopback only: Debian's `pebble` (Let's Encrypt's
//! test server, with its own CA made at start) and `pebble-challtestsrv` as its DNS server,
//! which answers 127.0.0.1 for every name (a name can be pointed elsewhere with
//! [`Pebble::add_a`]) and serves dns-01 TXT records set through [`Pebble::set_txt`]. Pebble
//! validates http-01 on the sandbox nginx's apps http port, and reuses valid authorizations
//! (as Let's Encrypt does). Both are killed on drop.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running pebble and its challenge test server.
pub struct Pebble {
    /// Holds pebble's TLS certificate (`tls.pem`), its config and the fetched CA files.
    pub dir: tempfile::TempDir,
    /// Pebble's ACME port.
    pub port: u16,
    /// Pebble's management port (roots, intermediates).
    pub mgmt_port: u16,
    /// The challenge test server's management port.
    pub chall_mgmt_port: u16,
    /// The challenge test server's DNS port (UDP and TCP), pebble's resolver.
    pub dns_port: u16,
    children: Vec<Child>,
}

/// A free loopback TCP port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free loopback port for both TCP and UDP (the DNS server listens on both).
fn free_dns_port() -> u16 {
    loop {
        let t = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = t.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

fn wait_port(port: u16, what: &str, children: &mut [Child]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        for c in children.iter_mut() {
            if let Ok(Some(st)) = c.try_wait() {
                panic!("{what} exited early: {st}");
            }
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Pebble {
    /// Starts pebble (validating http-01 on `http_port`) and its DNS server.
    pub fn start(http_port: u16) -> Pebble {
        assert!(
            Path::new("/usr/bin/pebble").exists(),
            "pebble is missing: scripts/install installs the pebble package"
        );
        let dir = tempfile::Builder::new()
            .prefix("pebble-")
            .tempdir()
            .unwrap();
        let (crt, key) = (dir.path().join("tls.pem"), dir.path().join("tls.key"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=pebble test listener"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (port, mgmt_port, tls_port) = (free_port(), free_port(), free_port());
        let (dns_port, chall_mgmt_port) = (free_dns_port(), free_port());
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{mgmt_port}"),
            "certificate": crt,
            "privateKey": key,
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let cfg = dir.path().join("pebble.json");
        std::fs::write(&cfg, config.to_string()).unwrap();
        let mut children = Vec::new();
        let chall = Command::new("/usr/bin/pebble-challtestsrv")
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .arg("-dns01")
            .arg(format!("127.0.0.1:{dns_port}"))
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .arg("-management")
            .arg(format!("127.0.0.1:{chall_mgmt_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv starts");
        children.push(chall);
        wait_port(chall_mgmt_port, "pebble-challtestsrv", &mut children);
        let log = std::fs::File::create(dir.path().join("pebble.log")).unwrap();
        let pebble = Command::new("/usr/bin/pebble")
            .arg("-config")
            .arg(&cfg)
            .arg("-dnsserver")
            .arg(format!("127.0.0.1:{dns_port}"))
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            // Valid authorizations are reused, as Let's Encrypt reuses them for 30 days: a
            // renewal does not wait for lego's 5 s polls of each validation again.
            .env("PEBBLE_AUTHZREUSE", "100")
            .current_dir(dir.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("pebble starts");
        children.push(pebble);
        wait_port(port, "pebble", &mut children);
        wait_port(mgmt_port, "pebble management", &mut children);
        let p = Pebble {
            dir,
            port,
            mgmt_port,
            chall_mgmt_port,
            dns_port,
            children,
        };
        let root = p.mgmt_get("/roots/0");
        std::fs::write(p.root_path(), root).unwrap();
        p
    }

    /// The ACME directory URL.
    pub fn directory(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.port)
    }

    /// The certificate pebble's own listener presents: what `LEGO_CA_CERTIFICATES` names.
    pub fn listener_ca(&self) -> PathBuf {
        self.dir.path().join("tls.pem")
    }

    /// Pebble's root CA (made at its start): what the issued chains lead to.
    pub fn root_path(&self) -> PathBuf {
        self.dir.path().join("root.pem")
    }

    /// A GET on pebble's management interface (trusting its listener certificate).
    pub fn mgmt_get(&self, path: &str) -> String {
        let out = Command::new("curl")
            .args(["-sS", "-f", "-m", "10", "--cacert"])
            .arg(self.listener_ca())
            .arg(format!("https://127.0.0.1:{}{path}", self.mgmt_port))
            .output()
            .expect("curl runs");
        assert!(
            out.status.success(),
            "GET {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A POST of `body` to the challenge test server's management API.
    fn chall_post(&self, path: &str, body: &serde_json::Value) {
        let mut s =
            std::net::TcpStream::connect(("127.0.0.1", self.chall_mgmt_port)).expect("connect");
        let b = body.to_string();
        write!(
            s,
            "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )
        .unwrap();
        let mut answer = String::new();
        use std::io::Read;
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.contains(" 200"), "{path}: {answer}");
    }

    /// Makes `host` resolve to `ip` (an A record) for pebble.
    pub fn add_a(&self, host: &str, ip: &str) {
        self.chall_post(
            "/add-a",
            &serde_json::json!({"host": host, "addresses": [ip]}),
        );
    }

    /// Serves a TXT record `value` for `host` (`_acme-challenge.NAME.`).
    pub fn set_txt(&self, host: &str, value: &str) {
        self.chall_post(
            "/set-txt",
            &serde_json::json!({"host": host, "value": value}),
        );
    }

    /// A script for lego's `exec` DNS provider (`EXEC_PATH`): `present FQDN VALUE` sets the
    /// TXT record on the challenge test server, `cleanup` clears it.
    pub fn exec_provider_script(&self) -> PathBuf {
        let path = self.dir.path().join("dns-exec");
        let m = self.chall_mgmt_port;
        let script = format!(
            "#!/bin/sh\nset -e\ncase \"$1\" in\n  present) curl -sf -m 5 -d \"{{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}}\" http://127.0.0.1:{m}/set-txt ;;\n  cleanup) curl -sf -m 5 -d \"{{\\\"host\\\":\\\"$2\\\"}}\" http://127.0.0.1:{m}/clear-txt ;;\nesac\n"
        );
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// Pebble's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
