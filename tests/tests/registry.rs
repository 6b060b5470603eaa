//! The registry plugin against a real registry: Debian's `docker-registry` (distribution 2.x)
//! started by the test on 127.0.0.1 with TLS (a CA of the test's, trusted by the engine through
//! `/etc/docker/certs.d/127.0.0.1:PORT/ca.crt`) and htpasswd auth. `registry:login
//! --password-stdin`, a deploy with `push-on-release` pushes tag 1, the next one tag 2 (plus the
//! extra tags), the password shows neither in the events log nor in any argv seen meanwhile, a
//! wrong password fails with one line, `apps:destroy` deletes the pushed tags from the registry.
//! Also `registry:set`/`report` round trips and input checks.

use dokku_tests::{refused, Out, Sandbox};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fire(sb: &Sandbox, name: &str, args: &[&str]) -> Out {
    let mut a = vec!["trigger", name];
    a.extend_from_slice(args);
    sb.plugn(&a)
}

fn answer(sb: &Sandbox, name: &str, app: &str) -> String {
    fire(sb, name, &[app]).ok().stdout.trim().to_string()
}

/// `registry:report APP --format json`'s prefixed keys, after checking that each comes with
/// its unprefixed twin of the same value (Dokku 0.38's shape) and nothing else.
fn report_json(sb: &Sandbox, app: &str) -> serde_json::Value {
    let out = sb.dokku(&["registry:report", app, "--format", "json"]).ok();
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {out:#?}"));
    let mut prefixed = serde_json::Map::new();
    for (k, v) in &all {
        match k.strip_prefix("registry-") {
            Some(short) => {
                assert_eq!(all.get(short), Some(v), "{k} without its twin: {out:#?}");
                prefixed.insert(k.clone(), v.clone());
            }
            None => assert!(all.contains_key(&format!("registry-{k}")), "{k}: {out:#?}"),
        }
    }
    serde_json::Value::Object(prefixed)
}

/// A registry of the test's own on 127.0.0.1: TLS with a fresh CA, htpasswd, deletes enabled.
struct Registry {
    _dir: tempfile::TempDir,
    child: Child,
    certs_d: PathBuf,
    ca: PathBuf,
    hostport: String,
    user: String,
    password: String,
}

impl Registry {
    /// Starts one; `None` (with a note) when docker-registry is not installed, a failure under
    /// `CI=true`.
    fn start() -> Option<Registry> {
        if !Path::new("/usr/bin/docker-registry").exists()
            || !Path::new("/usr/bin/htpasswd").exists()
        {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "docker-registry or htpasswd is missing (scripts/test installs docker-registry and apache2-utils)"
            );
            eprintln!("skipped: docker-registry or htpasswd is missing");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("registry-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hostport = format!("127.0.0.1:{port}");
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=dokku registry test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        let user = "pusher".to_string();
        let password = format!("pw-{}-{port}-secret", std::process::id());
        let mut h = Command::new("htpasswd")
            .args(["-niB", &user])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            h.stdin
                .take()
                .unwrap()
                .write_all(format!("{password}\n").as_bytes())
                .unwrap();
        }
        let out = h.wait_with_output().unwrap();
        assert!(out.status.success());
        std::fs::write(d.join("htpasswd"), &out.stdout).unwrap();
        std::fs::write(
            d.join("config.yml"),
            format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n  delete:\n    enabled: true\nhttp:\n  addr: {hostport}\n  tls:\n    certificate: {root}/server.crt\n    key: {root}/server.key\nauth:\n  htpasswd:\n    realm: dokku-registry-test\n    path: {root}/htpasswd\n",
                root = d.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(d.join("registry.log")).unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(d.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        // The engine trusts the registry through the CA in certs.d (removed on drop).
        let certs_d = Path::new("/etc/docker/certs.d").join(&hostport);
        std::fs::create_dir_all(&certs_d).unwrap();
        std::fs::copy(d.join("ca.crt"), certs_d.join("ca.crt")).unwrap();
        let r = Registry {
            ca: d.join("ca.crt"),
            _dir: dir,
            child,
            certs_d,
            hostport,
            user,
            password,
        };
        for _ in 0..100 {
            if r.status("/v2/", false) == 401 {
                return Some(r);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the registry did not answer: {}",
            std::fs::read_to_string(r._dir.path().join("registry.log")).unwrap_or_default()
        );
    }

    /// GET `path` (with the credentials when `auth`), returning (status, body).
    fn get(&self, path: &str, auth: bool) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "-K", "-", "-w", "\n%{http_code}", "--cacert"])
            .arg(&self.ca)
            .arg(format!("https://{}{path}", self.hostport))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = c.spawn().unwrap();
        {
            use std::io::Write;
            let mut sin = child.stdin.take().unwrap();
            if auth {
                writeln!(sin, "user = \"{}:{}\"", self.user, self.password).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    fn status(&self, path: &str, auth: bool) -> u16 {
        self.get(path, auth).0
    }

    /// The tags of `repo` (empty when the repository has none or is unknown).
    fn tags(&self, repo: &str) -> Vec<String> {
        let (code, body) = self.get(&format!("/v2/{repo}/tags/list"), true);
        if code == 404 {
            return Vec::new();
        }
        assert_eq!(code, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.certs_d);
    }
}

/// Watches every process's argv (`/proc/*/cmdline`) for `needle` until stopped; returns the
/// command lines it was seen in.
struct ArgvWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<String>>>,
    scans: Arc<Mutex<u64>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ArgvWatch {
    fn start(needle: &str) -> ArgvWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let scans = Arc::new(Mutex::new(0));
        let (s, v, n, needle) = (
            stop.clone(),
            seen.clone(),
            scans.clone(),
            needle.to_string(),
        );
        let me = std::process::id().to_string();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    if name == me || !name.bytes().all(|b| b.is_ascii_digit()) {
                        continue;
                    }
                    if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
                        let c = String::from_utf8_lossy(&c).replace('\0', " ");
                        if c.contains(&needle) {
                            v.lock().unwrap().push(c);
                        }
                    }
                }
                *n.lock().unwrap() += 1;
            }
        });
        ArgvWatch {
            stop,
            seen,
            scans,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> (Vec<String>, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        let seen = self.seen.lock().unwrap().clone();
        let scans = *self.scans.lock().unwrap();
        (seen, scans)
    }
}

fn dockerfile(body: &str) -> String {
    dokku_tests::docker::web_dockerfile(body)
}

#[test]
fn push_on_release_pushes_each_release_and_destroy_deletes_the_tags() {
    let Some(reg) = Registry::start() else { return };
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("pushed");
    let server = reg.hostport.as_str();
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["events:on"]).ok();

    // A wrong password: one clear line, no login kept.
    let out = sb
        .dokku_in(
            &[
                "registry:login",
                &app,
                "--password-stdin",
                server,
                &reg.user,
            ],
            b"not-the-password\n",
        )
        .fails();
    let line = out.one_error_line();
    assert!(
        line.contains(&format!("Failed to log into {server} as {}", reg.user)),
        "{line}"
    );
    assert_eq!(answer(&sb, "registry-docker-config", &app), "");

    let watch = ArgvWatch::start(&reg.password);
    sb.dokku_in(
        &[
            "registry:login",
            &app,
            "--password-stdin",
            server,
            &reg.user,
        ],
        format!("{}\n", reg.password).as_bytes(),
    )
    .ok()
    .out_has(&format!("Logged into {server} as {} for {app}", reg.user));
    let config = sb
        .lib_root()
        .join("data/registry")
        .join(&app)
        .join("docker");
    assert_eq!(
        answer(&sb, "registry-docker-config", &app),
        config.display().to_string()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let mode = std::fs::metadata(config.join("config.json"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    sb.dokku(&["registry:set", &app, "server", server]).ok();
    sb.dokku(&["registry:set", &app, "push-on-release", "true"])
        .ok();
    sb.dokku(&["registry:set", &app, "push-extra-tags", "stable"])
        .ok();
    let repo = format!("dokku/{app}");
    assert!(reg.tags(&repo).is_empty());

    let started = std::time::Instant::now();
    let out = sb
        .deploy_source(&app, &[("Dockerfile", &dockerfile("one"))])
        .ok();
    eprintln!("first deploy with its push: {:?}", started.elapsed());
    assert!(
        out.stdout.contains("-----> Pushing image to registry"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(&format!("Pushing {server}/{repo}:1")),
        "{out:#?}"
    );
    assert_eq!(reg.tags(&repo), ["1", "stable"]);
    assert_eq!(answer(&sb, "deployed-app-image-tag", &app), "1");
    assert_eq!(
        answer(&sb, "deployed-app-repository", &app),
        format!("{server}/")
    );
    // The app runs the pushed name.
    let image = Command::new("docker")
        .args(["ps", "--format", "{{.Image}}", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&image.stdout).trim(),
        format!("{server}/{repo}:1")
    );

    let started = std::time::Instant::now();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("two"))])
        .ok();
    eprintln!("second deploy with its push: {:?}", started.elapsed());
    assert_eq!(reg.tags(&repo), ["1", "2", "stable"]);
    assert_eq!(report_json(&sb, &app)["registry-tag-version"], "2");
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("three"))])
        .ok();
    assert_eq!(reg.tags(&repo), ["1", "2", "3", "stable"]);
    // The engine keeps the last two release names.
    let local = Command::new("docker")
        .args([
            "images",
            "--format",
            "{{.Tag}}",
            &format!("{server}/{repo}"),
        ])
        .output()
        .unwrap();
    let mut local: Vec<String> = String::from_utf8_lossy(&local.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    local.sort();
    assert_eq!(local, ["2", "3"]);
    let (seen, scans) = watch.finish();
    assert!(scans > 10, "the argv watch hardly ran ({scans} scans)");
    assert!(seen.is_empty(), "the password was in an argv: {seen:?}");
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    assert!(
        events.contains("post-release-builder"),
        "events were not logged"
    );
    assert!(
        !events.contains(&reg.password),
        "the password is in the events log"
    );

    // The password as an argument (accepted as Dokku does; the plugin gets it through
    // DOKKU_ARGS_FD), a global login: another app pushes and pulls with it.
    sb.dokku(&[
        "registry:login",
        "--global",
        server,
        &reg.user,
        &reg.password,
    ])
    .ok()
    .out_has("globally");
    sb.dokku(&["apps:create", "other"]).ok();
    sb.dokku(&["registry:set", "other", "server", server]).ok();
    assert_eq!(
        answer(&sb, "registry-docker-config", "other"),
        sb.dokku_root().join(".docker").display().to_string()
    );
    assert_eq!(
        answer(&sb, "registry-docker-config", &app),
        config.display().to_string()
    );
    let events = std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    assert!(
        !events.contains(&reg.password),
        "the password is in the events log"
    );
    sb.dokku(&["registry:logout", "--global", server])
        .ok()
        .out_has(&format!("Logged out of {server}"));
    assert_eq!(answer(&sb, "registry-docker-config", "other"), "");

    sb.dokku(&["apps:destroy", "--force", &app])
        .ok()
        .out_has("from the registry");
    assert!(reg.tags(&repo).is_empty(), "{:?}", reg.tags(&repo));
    assert!(!sb.lib_root().join("data/registry").join(&app).exists());
    let left = Command::new("docker")
        .args(["images", "-q", &format!("{server}/{repo}")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "");
}

#[test]
fn a_failed_push_fails_the_deploy_and_the_previous_release_keeps_serving() {
    let Some(reg) = Registry::start() else { return };
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("refused");
    let server = reg.hostport.as_str();
    sb.dokku(&["apps:create", &app]).ok();
    let started = std::time::Instant::now();
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile("one"))])
        .ok();
    eprintln!("deploy without a push: {:?}", started.elapsed());
    let port = sb.web_port(&app, "web.1");
    // Pushing on, but no login: the registry refuses the push.
    sb.dokku(&["registry:set", &app, "server", server]).ok();
    sb.dokku(&["registry:set", &app, "push-on-release", "true"])
        .ok();
    let out = sb
        .deploy_source(&app, &[("Dockerfile", &dockerfile("two"))])
        .fails();
    // One line says why (the pipeline's own summary line follows it).
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with(" !     "))
        .collect();
    assert!(
        errors[0].contains(&format!(
            "Unable to push {server}/dokku/{app}:1: no basic auth credentials"
        )),
        "{out:#?}"
    );
    assert_eq!(
        errors
            .iter()
            .filter(|l| l.contains("Unable to push"))
            .count(),
        1,
        "{out:#?}"
    );
    assert_eq!(dokku_tests::http_body(port).as_deref(), Some("one"));
    assert_eq!(answer(&sb, "deployed-app-image-tag", &app), "");
    assert_eq!(report_json(&sb, &app)["registry-tag-version"], "");
    assert!(reg.tags(&format!("dokku/{app}")).is_empty());
}

#[test]
fn set_report_and_image_names() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    assert_eq!(answer(&sb, "deployed-app-repository", "web"), "");
    assert_eq!(answer(&sb, "deployed-app-image-repo", "web"), "dokku/web");
    assert_eq!(answer(&sb, "deployed-app-image-tag", "web"), "");
    let r = report_json(&sb, "web");
    assert_eq!(r["registry-computed-image-repo"], "dokku/web");
    assert_eq!(r["registry-computed-push-on-release"], "false");
    assert_eq!(r["registry-computed-server"], "");

    sb.dokku(&[
        "registry:set",
        "--global",
        "server",
        "registry.example.com:5000",
    ])
    .ok();
    sb.dokku(&[
        "registry:set",
        "--global",
        "image-repo-template",
        "co/{{ .AppName }}-img",
    ])
    .ok();
    assert_eq!(
        answer(&sb, "deployed-app-repository", "web"),
        "registry.example.com:5000/"
    );
    assert_eq!(answer(&sb, "deployed-app-image-repo", "web"), "co/web-img");
    sb.dokku(&["registry:set", "web", "image-repo", "team/web"])
        .ok();
    sb.dokku(&["registry:set", "web", "server", "ghcr.io"]).ok();
    sb.dokku(&["registry:set", "--global", "push-on-release", "true"])
        .ok();
    sb.dokku(&[
        "registry:set",
        "--global",
        "push-extra-tags",
        "latest,stable",
    ])
    .ok();
    assert_eq!(answer(&sb, "deployed-app-image-repo", "web"), "team/web");
    assert_eq!(answer(&sb, "deployed-app-repository", "web"), "ghcr.io/");
    // Nothing pushed yet: no release tag to name.
    assert_eq!(answer(&sb, "deployed-app-image-tag", "web"), "");
    assert_eq!(
        report_json(&sb, "web"),
        serde_json::json!({
            "registry-computed-image-repo": "team/web",
            "registry-image-repo": "team/web",
            "registry-computed-image-repo-template": "co/{{ .AppName }}-img",
            "registry-global-image-repo-template": "co/{{ .AppName }}-img",
            "registry-computed-push-on-release": "true",
            "registry-global-push-on-release": "true",
            "registry-push-on-release": "",
            "registry-computed-push-extra-tags": "latest,stable",
            "registry-global-push-extra-tags": "latest,stable",
            "registry-push-extra-tags": "",
            "registry-computed-server": "ghcr.io/",
            "registry-global-server": "registry.example.com:5000",
            "registry-server": "ghcr.io",
            "registry-tag-version": "",
        })
    );
    let one = sb
        .dokku(&["registry:report", "web", "--registry-computed-server"])
        .ok();
    assert_eq!(one.stdout.trim(), "ghcr.io/");
    sb.dokku(&["registry:report", "web"])
        .ok()
        .out_has("=====> web registry information")
        .out_has("Registry computed image repo:");
    // Docker Hub is no prefix; an empty value unsets.
    sb.dokku(&["registry:set", "web", "server", "docker.io"])
        .ok();
    assert_eq!(answer(&sb, "deployed-app-repository", "web"), "");
    sb.dokku(&["registry:set", "web", "server"])
        .ok()
        .out_has("Unsetting server");
    sb.dokku(&["registry:set", "web", "image-repo", ""]).ok();
    assert_eq!(
        answer(&sb, "deployed-app-repository", "web"),
        "registry.example.com:5000/"
    );
    assert_eq!(answer(&sb, "deployed-app-image-repo", "web"), "co/web-img");
}

#[test]
fn bad_input_is_refused_with_one_line_and_nothing_written() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let cases: &[(&[&str], &str)] = &[
        (
            &["registry:set", "web", "server", "a b"],
            "invalid registry server",
        ),
        (
            &["registry:set", "web", "server", "host:99999"],
            "invalid registry server",
        ),
        (
            &["registry:set", "web", "server", "host/path"],
            "invalid registry server",
        ),
        (
            &["registry:set", "--global", "server", "-x.io"],
            "invalid registry server",
        ),
        (
            &["registry:set", "web", "image-repo", "Team/Web"],
            "invalid image-repo",
        ),
        (
            &["registry:set", "web", "image-repo", "a//b"],
            "invalid image-repo",
        ),
        (
            &["registry:set", "web", "image-repo", "../x"],
            "invalid image-repo",
        ),
        (
            &["registry:set", "--global", "image-repo", "a/b"],
            "is set per app",
        ),
        (
            &[
                "registry:set",
                "web",
                "image-repo-template",
                "a/{{ .AppName }}",
            ],
            "global property",
        ),
        (
            &[
                "registry:set",
                "--global",
                "image-repo-template",
                "a/{{ .Other }}",
            ],
            "invalid image-repo-template",
        ),
        (
            &[
                "registry:set",
                "--global",
                "image-repo-template",
                "A/{{ .AppName }}",
            ],
            "invalid image-repo-template",
        ),
        (
            &["registry:set", "web", "push-on-release", "yes"],
            "invalid push-on-release",
        ),
        (
            &["registry:set", "web", "push-extra-tags", "ok,bad tag"],
            "invalid push-extra-tags",
        ),
        (
            &["registry:set", "web", "push-extra-tags", "-x"],
            "invalid push-extra-tags",
        ),
        (
            &["registry:set", "web", "tag-version", "7"],
            "invalid property",
        ),
        (&["registry:set", "missing", "server", "ghcr.io"], "missing"),
        (
            &["registry:report", "web", "--format", "yaml"],
            "invalid --format",
        ),
        (
            &["registry:login", "--global", "bad host", "u", "p"],
            "invalid registry server",
        ),
        (
            &["registry:login", "--global", "ghcr.io"],
            "Missing username",
        ),
        (
            &["registry:login", "--global", "ghcr.io", "u"],
            "Missing password",
        ),
        (
            &["registry:login", "--global", "ghcr.io", "u", "p", "extra"],
            "unexpected argument",
        ),
        (
            &["registry:logout", "--global", "ghcr.io"],
            "Not logged into ghcr.io",
        ),
        (
            &["registry:logout", "web", "ghcr.io"],
            "Not logged into ghcr.io",
        ),
        (&["registry:logout"], "missing arguments"),
    ];
    for (args, needle) in cases {
        refused(sb.dokku(args), needle);
    }
    refused(
        sb.dokku_in(
            &[
                "registry:login",
                "--global",
                "--password-stdin",
                "ghcr.io",
                "u",
            ],
            b"",
        ),
        "Missing password",
    );
    assert!(
        !sb.lib_root().join("config/registry").exists(),
        "a property was written"
    );
    assert!(
        !sb.dokku_root().join(".docker").exists(),
        "a login folder was made"
    );
    fire(&sb, "deployed-app-image-repo", &["Bad App"]).fails();
    fire(&sb, "registry-docker-config", &["../x"]).fails();
}
