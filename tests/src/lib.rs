//! The test harness: every test gets its own installation (`scripts/install --root`) in a temp
//! folder, and runs the real `dokku` and `plugn` binaries against it.

pub mod acme;
pub mod cluster;
pub mod docker;
pub mod fuzz;
pub mod rng;
pub mod swarm;
pub mod triggers;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository's top folder.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The folder of the release binaries the installer lays out.
pub fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
        .join("release")
}

/// A test fixture folder: `tests/fixtures/REL`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests").join("fixtures").join(rel)
}

/// The result of a command.
#[derive(Debug)]
pub struct Out {
    /// Exit code (128+signal when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Out {
    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        self
    }

    /// Asserts failure (non-zero) and returns self.
    #[track_caller]
    pub fn fails(self) -> Out {
        assert_ne!(self.code, 0, "expected failure, got {self:#?}");
        self
    }

    /// Asserts that stderr is exactly one ` !     ` error line (blank lines aside) and returns it.
    #[track_caller]
    pub fn one_error_line(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line: {self:#?}");
        assert!(
            lines[0].starts_with(" !     "),
            "not an error line: {self:#?}"
        );
        lines[0].to_string()
    }

    /// Asserts that stderr holds `needle`.
    #[track_caller]
    pub fn err_has(self, needle: &str) -> Out {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
        self
    }

    /// Asserts that stdout holds `needle`.
    #[track_caller]
    pub fn out_has(self, needle: &str) -> Out {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}: {self:#?}"
        );
        self
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // A caddy the caddy-vhosts plugin started for this root.
        if self.lib_root().join("data/caddy-vhosts/caddy.pid").exists() {
            let _ = self.dokku(&["caddy:stop"]);
        }
        if self.uses_docker.load(std::sync::atomic::Ordering::Relaxed) {
            // Every app's containers and images go with the sandbox.
            if let Ok(rd) = std::fs::read_dir(self.dokku_root()) {
                for e in rd.filter_map(|e| e.ok()) {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        if let Some(app) = e.file_name().to_str() {
                            if !app.starts_with('.') {
                                docker::remove_app(app);
                            }
                        }
                    }
                }
            }
        }
        if self.root.join("ssh/sshd.pid").exists() || self.root.join("nginx/nginx.pid").exists() {
            let _ = Command::new(repo().join("scripts/install"))
                .arg("--root")
                .arg(&self.root)
                .arg("--stop")
                .status();
        }
    }
}

/// One throwaway installation.
pub struct Sandbox {
    /// The temp folder (removed on drop).
    pub dir: tempfile::TempDir,
    /// `--root` of the installation.
    pub root: PathBuf,
    /// Whether the sandbox's apps may have containers and images to remove on drop.
    pub uses_docker: std::sync::atomic::AtomicBool,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// Installs a fresh root without services (binaries must have been built with
    /// `cargo build --release`).
    pub fn new() -> Sandbox {
        Self::install(&["--no-sshd", "--no-nginx"])
    }

    /// Installs a fresh root with its private sshd on a free 127.0.0.1 port and the user key
    /// `ROOT/id_ed25519` added as `admin`; the sshd is stopped when the sandbox is dropped.
    pub fn with_ssh() -> Sandbox {
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "sshd is missing: scripts/test installs openssh-server when run as root"
        );
        let sb = Self::install(&["--no-nginx"]);
        assert!(sb.root.join("ssh/port").exists(), "sshd did not start");
        sb
    }

    /// Installs a fresh root with its private sshd and its private nginx serving git over http
    /// (through the git plugin's FastCGI responder) on a free 127.0.0.1 port; both are stopped
    /// when the sandbox is dropped.
    pub fn with_git_http() -> Sandbox {
        assert!(
            Path::new("/usr/sbin/nginx").exists(),
            "nginx is missing: scripts/test installs it when run as root"
        );
        let sb = Self::install(&[]);
        assert!(sb.root.join("nginx/port").exists(), "nginx did not start");
        sb
    }

    /// Installs a fresh root with its private nginx (serving apps on `DOKKU_HTTP_PORT` and
    /// `DOKKU_HTTPS_PORT`) and no sshd; nginx is stopped when the sandbox is dropped.
    pub fn with_nginx() -> Sandbox {
        assert!(
            Path::new("/usr/sbin/nginx").exists(),
            "nginx is missing: scripts/test installs it when run as root"
        );
        let sb = Self::install(&["--no-sshd"]);
        assert!(sb.root.join("nginx/port").exists(), "nginx did not start");
        sb
    }

    /// The port this installation's nginx serves apps' http on (what host port 80 stands for).
    pub fn http_port(&self) -> u16 {
        self.read_port("nginx/apps-http-port")
    }

    /// The port this installation's nginx serves apps' https on (what 443 stands for).
    pub fn https_port(&self) -> u16 {
        self.read_port("nginx/apps-https-port")
    }

    fn read_port(&self, rel: &str) -> u16 {
        std::fs::read_to_string(self.root.join(rel))
            .unwrap_or_else(|_| panic!("{rel} missing (use Sandbox::with_nginx)"))
            .trim()
            .parse()
            .unwrap()
    }

    /// The port of this installation's nginx serving git over http.
    pub fn git_http_port(&self) -> u16 {
        std::fs::read_to_string(self.root.join("nginx/port"))
            .expect("nginx port (use Sandbox::with_git_http)")
            .trim()
            .parse()
            .unwrap()
    }

    fn install(extra: &[&str]) -> Sandbox {
        for b in ["dokku", "plugn"] {
            assert!(
                release_dir().join(b).exists(),
                "{} missing: run `cargo build --release --workspace` first (scripts/test does)",
                release_dir().join(b).display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("dokku-test-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let out = Command::new(repo().join("scripts/install"))
            .arg("--root")
            .arg(&root)
            .arg("--no-build")
            .args(extra)
            .env("DOKKU_QUIET_OUTPUT", "1")
            .output()
            .expect("run scripts/install");
        assert!(
            out.status.success(),
            "install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Sandbox {
            dir,
            root,
            uses_docker: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Makes sure the Docker engine answers and marks the sandbox's apps for removal (their
    /// containers and images) when it is dropped.
    pub fn use_docker(&self) -> &Self {
        docker::ensure_engine();
        self.uses_docker
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// The Docker engine, the busybox image built, quick health checks (1 s uptime) and quick
    /// retirement (1 s): what the deploy tests share.
    pub fn quick_deploys(&self) -> &Self {
        self.use_docker();
        docker::busybox_image();
        self.dokku(&["checks:set", "--global", "default-wait", "1"])
            .ok();
        self.dokku(&["checks:set", "--global", "wait-to-retire", "1"])
            .ok();
        self
    }

    /// An app name unique to this sandbox (`PREFIX-xxxxxxxx`): apps of parallel tests share
    /// one Docker engine, where container and image names are global.
    pub fn unique_app(&self, prefix: &str) -> String {
        let tag: String = self
            .dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("x")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .rev()
            .take(6)
            .collect();
        format!("{prefix}-{tag}")
    }

    /// The port of this installation's sshd.
    pub fn ssh_port(&self) -> u16 {
        std::fs::read_to_string(self.root.join("ssh/port"))
            .expect("sshd port (use Sandbox::with_ssh)")
            .trim()
            .parse()
            .unwrap()
    }

    /// The user sshd lets in (the one running the tests).
    pub fn ssh_user(&self) -> String {
        let out = Command::new("id").arg("-un").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A `GIT_SSH_COMMAND` / ssh prefix that logs in with `key` (default: the admin key).
    pub fn ssh_command_with(&self, key: &Path) -> String {
        format!(
            "ssh -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
            key.display(),
            self.root.join("ssh/known_hosts").display()
        )
    }

    /// `ssh -p PORT USER@127.0.0.1 REMOTE` with `key`; `remote` is sent as one string, as a
    /// user's ssh client sends it.
    pub fn ssh_with(&self, key: &Path, remote: &str) -> Out {
        let mut c = self.command("sh");
        c.arg("-c")
            .arg(format!(
                "exec {} -p {} {}@127.0.0.1 -- \"$1\"",
                self.ssh_command_with(key),
                self.ssh_port(),
                self.ssh_user()
            ))
            .arg("sh")
            .arg(remote);
        self.run(c, b"")
    }

    /// `ssh` to this installation as `admin`.
    pub fn ssh(&self, remote: &str) -> Out {
        self.ssh_with(&self.root.join("id_ed25519"), remote)
    }

    /// A fresh ed25519 key pair in the sandbox; returns the private key's path.
    pub fn new_key(&self, name: &str) -> PathBuf {
        let key = self.dir.path().join(format!("key-{name}"));
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(st.success());
        key
    }

    /// `DOKKU_ROOT` of this installation.
    pub fn dokku_root(&self) -> PathBuf {
        self.root.join("home")
    }

    /// `DOKKU_LIB_ROOT` of this installation.
    pub fn lib_root(&self) -> PathBuf {
        self.root.join("lib")
    }

    /// `PLUGIN_PATH` of this installation.
    pub fn plugin_path(&self) -> PathBuf {
        self.lib_root().join("plugins")
    }

    /// `DOKKU_LOGS_DIR` of this installation.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// The environment `DIR/env` sets, as pairs.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.root.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            ("PATH".into(), path),
            ("DOKKU_ROOT".into(), self.dokku_root().display().to_string()),
            (
                "DOKKU_LIB_ROOT".into(),
                self.lib_root().display().to_string(),
            ),
            (
                "PLUGIN_PATH".into(),
                self.plugin_path().display().to_string(),
            ),
            (
                "PLUGIN_CORE_AVAILABLE_PATH".into(),
                self.lib_root()
                    .join("core-plugins/available")
                    .display()
                    .to_string(),
            ),
            (
                "DOKKU_LOGS_DIR".into(),
                self.logs_dir().display().to_string(),
            ),
        ]
    }

    /// A command with this installation's environment (and no stray DOKKU_* from outside).
    pub fn command<S: AsRef<OsStr>>(&self, program: S) -> Command {
        let mut c = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("DOKKU_")
                || k.starts_with("PLUGIN_")
                || k == "NAME"
                || k == "FINGERPRINT"
                || k == "SSH_ORIGINAL_COMMAND"
            {
                c.env_remove(k);
            }
        }
        c.envs(self.env()).current_dir(self.dir.path());
        c
    }

    /// Runs a prepared command with `input` on stdin.
    pub fn run(&self, mut cmd: Command, input: &[u8]) -> Out {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().unwrap();
        let data = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        let _ = writer.join();
        Out {
            code: out.status.code().unwrap_or_else(|| {
                use std::os::unix::process::ExitStatusExt;
                128 + out.status.signal().unwrap_or(0)
            }),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `dokku ARGS…` with empty stdin.
    pub fn dokku(&self, args: &[&str]) -> Out {
        self.dokku_in(args, b"")
    }

    /// `dokku ARGS…` with `input` on stdin.
    pub fn dokku_in(&self, args: &[&str], input: &[u8]) -> Out {
        let mut c = self.command(self.root.join("bin/dokku"));
        c.args(args);
        self.run(c, input)
    }

    /// `plugn ARGS…` with empty stdin.
    pub fn plugn(&self, args: &[&str]) -> Out {
        let mut c = self.command(self.root.join("bin/plugn"));
        c.args(args);
        self.run(c, b"")
    }

    /// `bash -c SCRIPT` in this installation's environment (for shell-helper tests).
    pub fn bash(&self, script: &str) -> Out {
        let mut c = self.command("bash");
        c.arg("-c").arg(script);
        self.run(c, b"")
    }

    /// Copies fixture plugin `tests/fixtures/plugins/NAME` into `available/` and enables it.
    pub fn add_fixture_plugin(&self, name: &str) {
        let src = fixture(&format!("plugins/{name}"));
        let dest = self.plugin_path().join("available").join(name);
        let st = Command::new("cp")
            .arg("-a")
            .arg(&src)
            .arg(&dest)
            .status()
            .unwrap();
        assert!(st.success());
        std::os::unix::fs::symlink(
            Path::new("../available").join(name),
            self.plugin_path().join("enabled").join(name),
        )
        .unwrap();
    }
}

impl Sandbox {
    /// Writes a plugin into `available/NAME` from `(relative path, content)` pairs (every file
    /// made executable unless its path ends in `.toml`) and enables it.
    pub fn write_plugin(&self, name: &str, files: &[(&str, &str)]) {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.plugin_path().join("available").join(name);
        for (rel, content) in files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
            let mode = if rel.ends_with(".toml") { 0o644 } else { 0o755 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let link = self.plugin_path().join("enabled").join(name);
        if link.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(Path::new("../available").join(name), link).unwrap();
        }
    }

    /// Installs the recorder plugin `plugin` (its name sets its place in the firing order:
    /// `aa-` before the core plugins, `zz-` after them): each of `triggers` appends one line
    /// `NAME ARGS…` to the log returned.
    pub fn record_triggers(&self, plugin: &str, triggers: &[&str]) -> Recorded {
        let log = Recorded(self.dir.path().join(format!("fired-{plugin}")));
        self.record_triggers_with(plugin, triggers, &log.script());
        log
    }

    /// Installs plugin `plugin` answering each of `triggers` with `script` (a recorder of its
    /// own, e.g. one that also records stdin or fails on demand).
    pub fn record_triggers_with(&self, plugin: &str, triggers: &[&str], script: &str) {
        let mut files = vec![("plugin.toml", RECORDER_MANIFEST)];
        files.extend(triggers.iter().map(|t| (*t, script)));
        self.write_plugin(plugin, &files);
    }

    /// The events log (`events:on`) as written: `INVOKED: NAME( ARGS )` lines among others.
    pub fn events_log(&self) -> String {
        std::fs::read_to_string(self.logs_dir().join("events.log")).unwrap_or_default()
    }

    /// The `NAME( ARGS )` of every trigger the events log recorded, in firing order.
    pub fn events(&self) -> Vec<String> {
        self.events_log()
            .lines()
            .filter_map(|l| l.split_once("INVOKED: "))
            .filter_map(|(_, rest)| rest.split_once(" ) ").map(|(e, _)| format!("{e} )")))
            .collect()
    }

    /// Empties the events log.
    pub fn clear_events(&self) {
        std::fs::write(self.logs_dir().join("events.log"), "").unwrap();
    }
}

const RECORDER_MANIFEST: &str =
    "[plugin]\ndescription = \"test: records the triggers it answers\"\nversion = \"0.1.0\"\n";

/// The log of a recorder plugin ([`Sandbox::record_triggers`]): one `NAME ARGS…` line a call.
pub struct Recorded(pub PathBuf);

impl Recorded {
    /// The log file.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The recorder's script: appends `NAME ARGS…` to the log.
    pub fn script(&self) -> String {
        format!(
            "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> '{}'\n",
            self.0.display()
        )
    }

    /// The recorded calls since the last take (empty when none), then a fresh log.
    pub fn take(&self) -> String {
        let s = std::fs::read_to_string(&self.0).unwrap_or_default();
        let _ = std::fs::remove_file(&self.0);
        s
    }
}

/// A static file server for `dir` on 127.0.0.1 (a port the kernel picks), killed on drop.
pub struct FileServer {
    child: std::process::Child,
    /// Its port.
    pub port: u16,
}

impl FileServer {
    /// Starts serving `dir` (python3's http.server).
    pub fn start(dir: &Path) -> FileServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-c",
                "import http.server,functools,sys\n\
                 h=functools.partial(http.server.SimpleHTTPRequestHandler,directory=sys.argv[1])\n\
                 s=http.server.HTTPServer(('127.0.0.1',0),h)\n\
                 print(s.server_address[1],flush=True)\n\
                 s.serve_forever()",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        FileServer {
            child,
            port: line.trim().parse().expect("the server's port"),
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts a failure with exactly one ` !     ` line holding `needle`.
#[track_caller]
pub fn refused(out: Out, needle: &str) {
    let out = out.fails();
    let line = out.one_error_line();
    assert!(line.contains(needle), "{needle:?} not in {line:?}");
}

/// `git` in `dir` with a fixed identity, no hook variables and no global config from outside.
pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .args([
            "-c",
            "user.name=dokku-test",
            "-c",
            "user.email=test@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "advice.detachedHead=false",
        ])
        .env_remove("GIT_DIR")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    c
}

/// Runs a git command that must succeed; returns its trimmed stdout.
#[track_caller]
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Sandbox {
    /// A fresh git work tree `NAME` (branch `main`) in the sandbox's folder.
    pub fn work_tree(&self, name: &str) -> PathBuf {
        let w = self.dir.path().join(name);
        std::fs::create_dir_all(&w).unwrap();
        git_ok(&w, &["init", "--quiet", "-b", "main"]);
        w
    }

    /// Writes `files` into the work tree and commits them; returns the new commit.
    #[track_caller]
    pub fn commit(&self, work: &Path, files: &[(&str, &str)], message: &str) -> String {
        for (rel, content) in files {
            let p = work.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        git_ok(work, &["add", "--all"]);
        git_ok(work, &["commit", "--quiet", "--allow-empty", "-m", message]);
        git_ok(work, &["rev-parse", "HEAD"])
    }

    /// The ssh URL of an app on this installation's sshd.
    pub fn push_url(&self, app: &str) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}/{app}",
            self.ssh_user(),
            self.ssh_port()
        )
    }

    /// `git push URL REFSPECS…` from `work` over this installation's sshd, logged in with `key`.
    pub fn git_push_with(&self, key: &Path, work: &Path, url: &str, refspecs: &[&str]) -> Out {
        let mut c = git(work);
        for (k, _) in std::env::vars() {
            if k.starts_with("DOKKU_") || k.starts_with("PLUGIN_") {
                c.env_remove(k);
            }
        }
        c.env("GIT_SSH_COMMAND", self.ssh_command_with(key))
            .args(["push", url])
            .args(refspecs);
        self.run(c, b"")
    }

    /// `git push` of `refspecs` to `app` as `admin`.
    pub fn git_push(&self, work: &Path, app: &str, refspecs: &[&str]) -> Out {
        self.git_push_with(
            &self.root.join("id_ed25519"),
            work,
            &self.push_url(app),
            refspecs,
        )
    }

    /// `dokku config:get APP KEY`, which must succeed, trimmed.
    #[track_caller]
    pub fn config_get(&self, app: &str, key: &str) -> String {
        self.dokku(&["config:get", app, key])
            .ok()
            .stdout
            .trim()
            .to_string()
    }

    /// Adds the `fx-builder` fixture as the only builder and disables the release step: a push
    /// then ends at the builder, which records what it was handed (for tests of the git side).
    pub fn use_fx_builder(&self) {
        self.add_fixture_plugin("fx-builder");
        for p in [
            "ps",
            "builder-dockerfile",
            "builder-herokuish",
            "builder-null",
        ] {
            self.dokku(&["plugin:disable", p]).ok();
        }
    }

    /// Commits `files` to the app's own source tree (`src-APP` in the sandbox) and deploys it
    /// with `dokku git:sync --build`, the same pipeline as a push.
    pub fn deploy_source(&self, app: &str, files: &[(&str, &str)]) -> Out {
        let name = format!("src-{app}");
        let src = self.dir.path().join(&name);
        if !src.exists() {
            self.work_tree(&name);
        }
        self.commit(&src, files, "deploy");
        let path = src.display().to_string();
        self.dokku(&["git:sync", "--build", app, &path, "main"])
    }

    /// The lines the `fx-builder` fixture logged for `app`.
    pub fn builds(&self, app: &str) -> Vec<String> {
        std::fs::read_to_string(self.lib_root().join(format!("data/fx-builder/{app}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The entries of `available/` and `enabled/` of the plugin path (dot-folders included),
    /// sorted: to see what an install or uninstall left behind.
    pub fn plugin_entries(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in ["available", "enabled"] {
            for e in std::fs::read_dir(self.plugin_path().join(d))
                .unwrap()
                .flatten()
            {
                v.push(format!("{d}/{}", e.file_name().to_string_lossy()));
            }
        }
        v.sort();
        v
    }

    /// The revision ids the `fx-builder` fixture was handed for `app`, in order (its `start ID
    /// …` lines).
    pub fn built_ids(&self, app: &str) -> Vec<String> {
        self.builds(app)
            .iter()
            .filter_map(|l| l.strip_prefix("start "))
            .map(|l| l.split(' ').next().unwrap_or_default().to_string())
            .collect()
    }
}

/// `curl URL` (to 127.0.0.1 only) with `Host: HOST` and `extra` arguments: the status code
/// (`000` when nothing answered) and the answer with its headers.
pub fn curl_host(url: &str, host: &str, extra: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-k", "-m", "5", "-D", "-", "-H"])
        .arg(format!("Host: {host}"))
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("000")
        .to_string();
    (status, text)
}

/// GET / from 127.0.0.1:`port`: the body, or None when it does not answer 200.
pub fn http_body(port: u16) -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    if !buf.starts_with("HTTP/1.0 200") && !buf.starts_with("HTTP/1.1 200") {
        return None;
    }
    buf.split_once("\r\n\r\n")
        .map(|(_, b)| b.trim().to_string())
}

/// A loopback HTTP server answering every request with `body` (a stand-in web container);
/// returns its port.
pub fn upstream(body: &'static str) -> u16 {
    use std::io::Read;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut chunk = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(n) if n > 0 => req.extend_from_slice(&chunk[..n]),
                    _ => break,
                }
            }
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
    port
}

impl Sandbox {
    /// The host port a deployed app's `dyno` (`web.1`) is published on (its `PORT.DYNO`).
    pub fn web_port(&self, app: &str, dyno: &str) -> u16 {
        std::fs::read_to_string(self.dokku_root().join(app).join(format!("PORT.{dyno}")))
            .unwrap_or_else(|_| panic!("{app} has no PORT.{dyno}"))
            .trim()
            .parse()
            .unwrap()
    }

    /// An app whose web container is a stand-in answering `body` (its `PORT.web.1` and
    /// `IP.web.1` point at an `upstream`); returns the stand-in's port.
    pub fn fake_app(&self, app: &str, body: &'static str) -> u16 {
        self.dokku(&["apps:create", app]).ok();
        let port = upstream(body);
        let dir = self.dokku_root().join(app);
        std::fs::write(dir.join("PORT.web.1"), format!("{port}\n")).unwrap();
        std::fs::write(dir.join("IP.web.1"), "127.0.0.1\n").unwrap();
        port
    }
}

/// The SHA256 fingerprint of a public key file (`ssh-keygen -E sha256 -l`).
pub fn fingerprint(pub_key: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-E", "sha256", "-l", "-f"])
        .arg(pub_key)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

/// A command's stderr lines with the time each arrived, for checking that output streams.
pub struct TimedRun {
    /// (time since start, line), in order.
    pub lines: Vec<(std::time::Duration, String)>,
    /// Time from start until the command ended.
    pub total: std::time::Duration,
    /// Whether it exited 0.
    pub success: bool,
}

impl TimedRun {
    /// When the first line holding `needle` arrived.
    pub fn first_at(&self, needle: &str) -> Option<std::time::Duration> {
        self.lines
            .iter()
            .find(|(_, l)| l.contains(needle))
            .map(|(t, _)| *t)
    }

    /// All of stderr.
    pub fn text(&self) -> String {
        self.lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }
}

/// Runs `cmd` (stdout discarded) and times each line of its stderr as it arrives.
pub fn timed_stderr(mut cmd: Command) -> TimedRun {
    use std::io::BufRead;
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        lines.push((start.elapsed(), line.unwrap()));
    }
    let success = child.wait().unwrap().success();
    TimedRun {
        lines,
        total: start.elapsed(),
        success,
    }
}
