//! The Docker engine for tests: found through `DOCKER_HOST` or the default socket, started
//! (`dockerd`) when none answers and we are root; a missing engine fails the test, it never
//! skips. Test apps run a local `FROM scratch` image with a static busybox.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The image small test apps build `FROM`: `/bin/busybox` (static) and its applets.
pub const BUSYBOX_IMAGE: &str = "dokku-test/busybox:latest";

fn answers() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure a Docker engine answers, starting `dockerd` when we may; panics otherwise (with
/// `CI=true` or not: a test that needs Docker never passes without it).
#[allow(unsafe_code)]
pub fn ensure_engine() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        if answers() {
            return;
        }
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root && Path::new("/usr/sbin/dockerd").exists() {
            let _guard = lock("dockerd");
            if !answers() {
                let log = std::fs::File::create("/tmp/dokku-test-dockerd.log").unwrap();
                let _ = Command::new("setsid")
                    .arg("/usr/sbin/dockerd")
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn();
                let start = Instant::now();
                while !answers() && start.elapsed() < Duration::from_secs(30) {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        assert!(
            answers(),
            "no Docker engine answers (CI={}): scripts/test installs docker.io and starts dockerd when run as root",
            std::env::var("CI").unwrap_or_default()
        );
    });
}

/// An exclusive lock shared by every test process (one file per `name` under /tmp).
#[allow(unsafe_code)]
fn lock(name: &str) -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(format!("/tmp/dokku-test-{name}.lock"))
        .unwrap();
    // SAFETY: flock on an open descriptor we own.
    unsafe { libc::flock(std::os::unix::io::AsRawFd::as_raw_fd(&f), libc::LOCK_EX) };
    f
}

/// The stack image the herokuish builder uses by default (`scripts/build-stack`).
pub const STACK_IMAGE: &str = "dokku/stack:bookworm";

fn image_exists(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure `image` exists, running `script` (root, debootstrap) once under a lock shared by
/// test processes when it is missing; panics when it cannot be built (never skips).
#[allow(unsafe_code)]
pub fn ensure_built(image: &str, script: &Path) {
    ensure_engine();
    if image_exists(image) {
        return;
    }
    let _guard = lock(&format!("image-{}", image.replace(['/', ':'], "-")));
    if image_exists(image) {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "{image} is missing and {} needs root (debootstrap): run it once as root",
        script.display()
    );
    let out = Command::new(script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success() && image_exists(image),
        "{} could not build {image}: {}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes sure [`STACK_IMAGE`] exists (`scripts/build-stack`, run once when missing).
pub fn stack_image() -> &'static str {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| ensure_built(STACK_IMAGE, &crate::repo().join("scripts/build-stack")));
    STACK_IMAGE
}

/// Builds [`BUSYBOX_IMAGE`] once (from Debian's static busybox) and returns its name.
pub fn busybox_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        ensure_engine();
        let _guard = lock("busybox-image");
        if image_exists(BUSYBOX_IMAGE) {
            return;
        }
        let busybox = Path::new("/bin/busybox");
        assert!(
            busybox.exists(),
            "/bin/busybox is missing: scripts/test installs busybox-static"
        );
        let ctx = tempfile::tempdir().unwrap();
        std::fs::copy(busybox, ctx.path().join("busybox")).unwrap();
        std::fs::write(
            ctx.path().join("Dockerfile"),
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"/bin/sh\"]\n",
        )
        .unwrap();
        let out = Command::new("docker")
            .args(["build", "-q", "-t", BUSYBOX_IMAGE])
            .arg(ctx.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cannot build {BUSYBOX_IMAGE}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    BUSYBOX_IMAGE
}

/// Runs `docker ARGS…` and returns its stdout; panics with docker's stderr when it fails.
pub fn docker_stdout(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether the engine has the `kind` (`container`, `image`, `volume`) named `id`.
pub fn object_exists(kind: &str, id: &str) -> bool {
    Command::new("docker")
        .args([kind, "inspect", id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Builds `tag` from [`BUSYBOX_IMAGE`] with a RUN step that differs by `salt`, with `labels`;
/// returns the image id. Building one tag twice leaves the first image dangling.
pub fn build_salted_image(tag: &str, labels: &[&str], salt: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nRUN echo {salt} > /salt\n", busybox_image()),
    )
    .unwrap();
    let mut c = Command::new("docker");
    c.args(["build", "--quiet", "--tag", tag]);
    for l in labels {
        c.args(["--label", l]);
    }
    let out = c.arg(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A Dockerfile `FROM` [`BUSYBOX_IMAGE`] that serves `body` at `/` with busybox httpd on `$PORT`.
pub fn web_dockerfile(body: &str) -> String {
    format!(
        "FROM {}\nRUN mkdir -p /www && echo '{body}' > /www/index.html\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /www\"]\n",
        busybox_image()
    )
}

/// Removes every container, image and build-cache volume of `app` (labelled `com.dokku.app-name=APP`, or named
/// `dokku/APP`).
pub fn remove_app(app: &str) {
    let ids = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v"])
            .args(&ids)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let images = Command::new("docker")
        .args(["images", "-q", "--filter"])
        .arg(format!("label=com.dokku.app-name={app}"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut refs: Vec<String> = images.split_whitespace().map(str::to_string).collect();
    refs.push(format!("dokku/{app}"));
    // `--no-prune`: untagged parent layers stay. Tests build Dockerfiles with identical steps
    // in parallel, so a parent this app's image leaves unused may be the cache hit of a build
    // still running in another test; pruning it there fails that build ("unable to find
    // image sha256:…").
    let _ = Command::new("docker")
        .args(["rmi", "-f", "--no-prune"])
        .args(&refs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    // The herokuish build cache of the app.
    let _ = Command::new("docker")
        .args(["volume", "rm", "-f"])
        .arg(format!("cache-{app}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
