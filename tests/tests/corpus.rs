//! A corpus of real-shaped repositories, generated here (deterministic pseudo-random content, no
//! downloads) and deployed again and again through a real `git push` over ssh and `ps:rebuild`
//! while every core is kept busy: 50 MB of binary assets; 20,000 small files with paths 200
//! bytes deep, names with spaces, unicode, leading dashes and quotes, empty folders kept with
//! `.gitkeep`, executable bits, symlinks inside and outside the tree, a submodule entry,
//! `export-ignore` paths and Git LFS pointer files. After each deploy the running container's
//! `/app` (the Dockerfile `COPY . /app`s the build folder onto the busybox image) must hold
//! exactly the pushed revision's `git ls-tree -r -l`: paths, sizes, exec bits, symlink targets;
//! and nothing may have been written outside the build folder on the host.

use dokku_tests::{git, git_ok, Sandbox};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How each shape is deployed, in a row: a push of a new commit or a `ps:rebuild`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum How {
    Push,
    Rebuild,
}
use How::{Push, Rebuild};

// ---------------------------------------------------------------------------------------------
// Load: four busy-loop threads per core, shared by the tests of this file, stopped with the last.

struct Hog {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

static HOG: Mutex<(usize, Option<Hog>)> = Mutex::new((0, None));

/// Keeps every core busy (four busy-loop threads per core) while it lives.
struct Load;

impl Load {
    fn start() -> Load {
        let mut h = HOG.lock().unwrap_or_else(|e| e.into_inner());
        if h.0 == 0 {
            let stop = Arc::new(AtomicBool::new(false));
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            // Four per core: a woken git waits for the CPU behind them, as on a busy host.
            // `DOKKU_TEST_HOG_PER_CORE` sets another count: scripts/test runs this file beside
            // the other lanes of the suite, which load the machine already, and asks for one.
            let per_core = std::env::var("DOKKU_TEST_HOG_PER_CORE")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(4);
            let threads = (0..per_core * cores)
                .map(|_| {
                    let stop = stop.clone();
                    std::thread::spawn(move || {
                        let mut x = 1u64;
                        while !stop.load(Ordering::Relaxed) {
                            for _ in 0..100_000 {
                                x = std::hint::black_box(x.wrapping_mul(6364136223846793005) + 1);
                            }
                        }
                    })
                })
                .collect();
            h.1 = Some(Hog { stop, threads });
        }
        h.0 += 1;
        Load
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let mut h = HOG.lock().unwrap_or_else(|e| e.into_inner());
        h.0 -= 1;
        if h.0 == 0 {
            if let Some(hog) = h.1.take() {
                hog.stop.store(true, Ordering::Relaxed);
                for t in hog.threads {
                    let _ = t.join();
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Content.

fn write(work: &Path, rel: &str, data: &[u8], exec: bool) {
    let p = work.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn symlink(work: &Path, rel: &str, target: &str) {
    let p = work.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&p);
    std::os::unix::fs::symlink(target, p).unwrap();
}

/// The app: busybox with the build folder copied to `/app`, served on `$PORT` (a web process
/// must listen on its port to pass the default check).
const DOCKERFILE: &str = "COPY . /app\nCMD [\"sh\", \"-c\", \"exec httpd -f -p $PORT -h /app\"]\n";

fn dockerfile() -> String {
    format!(
        "FROM {}\n{DOCKERFILE}",
        dokku_tests::docker::busybox_image()
    )
}

/// Commits everything in the work tree (system and global git config left out); returns the
/// commit.
fn commit_all(work: &Path, message: &str) -> String {
    let run = |args: &[&str]| {
        let out = git(work)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["add", "--all"]);
    run(&["commit", "--quiet", "--allow-empty", "-m", message]);
    // Every revision ends where git writes its end of archive in two writes: the padding
    // comes after the end-of-archive block a tar reader may stop at.
    let off = archive_end(work) % RECORD;
    if off <= RECORD - 1024 {
        let pad = work.join("pad.bin");
        let had = std::fs::metadata(&pad).expect("pad.bin").len() as usize;
        let want = had + (RECORD + RECORD - 512 - off) % RECORD;
        std::fs::write(&pad, vec![b'p'; want]).unwrap();
        run(&["add", "--all"]);
        run(&["commit", "--quiet", "--amend", "--no-edit"]);
        let off = archive_end(work) % RECORD;
        assert!(off > RECORD - 1024, "the archive still ends at {off}");
    }
    git_ok(work, &["rev-parse", "HEAD"])
}

/// git archive's record: it pads its tar to a multiple of this.
const RECORD: usize = 10240;

/// Where the last member of `git archive HEAD` ends (before the end-of-archive blocks).
fn archive_end(work: &Path) -> usize {
    let out = git(work)
        .args(["archive", "--format=tar", "HEAD"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let last = out.stdout.iter().rposition(|b| *b != 0).unwrap();
    (last + 1).div_ceil(512) * 512
}

// ---------------------------------------------------------------------------------------------
// Shapes.

/// 50 MiB of incompressible binary assets (sizes on and off tar's 512-byte blocks, 256 small
/// icons), an executable script; each new revision replaces one asset with one of another size.
fn assets_repo(work: &Path) {
    let mut rng = Rng(50);
    write(work, "pad.bin", &[b'p'; 512], false);
    write(work, "Dockerfile", dockerfile().as_bytes(), false);
    write(work, "bin/start", b"#!/bin/sh\nexec sleep 1\n", true);
    write(work, "assets/empty.bin", b"", false);
    write(work, "assets/one.bin", b"\x00", false);
    write(work, "assets/block.bin", &rng.bytes(512 * 7), false);
    write(work, "assets/two-mib.bin", &rng.bytes(2 << 20), false);
    for i in 0..256 {
        let n = 100 + rng.below(900) as usize;
        write(
            work,
            &format!("assets/icons/{i:03}.png"),
            &rng.bytes(n),
            false,
        );
    }
    let total: usize = 50 << 20;
    let mut left = total - (2 << 20) - 512 * 7 - 1;
    let mut i = 0;
    while left > 0 {
        let n = (1usize << 20) + rng.below(3 << 20) as usize;
        let n = n.min(left);
        write(
            work,
            &format!("assets/blob-{i:02}.bin"),
            &rng.bytes(n),
            false,
        );
        left -= n;
        i += 1;
    }
}

/// A new revision of the assets repository: one asset of a new size, one new file.
fn assets_change(work: &Path, n: usize) {
    let mut rng = Rng(500 + n as u64);
    let size = (1 << 20) + rng.below(1 << 20) as usize;
    write(work, "assets/changing.bin", &rng.bytes(size), false);
    write(
        work,
        &format!("assets/rev-{n}.bin"),
        &rng.bytes(n * 1000 + 1),
        false,
    );
}

/// What the odd-shaped repository must prove on the host after its deploys.
struct Canaries {
    /// Where the `../..` symlink points (must never come to exist).
    escape: PathBuf,
    /// An existing folder an absolute symlink points at (must stay empty).
    outside: PathBuf,
    /// /etc/passwd as it was.
    passwd: Vec<u8>,
}

impl Canaries {
    #[track_caller]
    fn check(&self) {
        assert!(
            self.escape.symlink_metadata().is_err(),
            "{} was written through a symlink",
            self.escape.display()
        );
        assert_eq!(
            std::fs::read_dir(&self.outside).unwrap().count(),
            0,
            "{} was written through a symlink",
            self.outside.display()
        );
        assert_eq!(std::fs::read("/etc/passwd").unwrap(), self.passwd);
    }
}

/// 20,000 small files; a path over 200 bytes; odd names; empty folders kept with `.gitkeep`;
/// exec bits; symlinks in and out of the tree; a submodule; `export-ignore`; LFS pointers.
fn tree_repo(sb: &Sandbox, work: &Path) -> Canaries {
    let mut rng = Rng(20_000);
    write(work, "pad.bin", &[b'p'; 512], false);
    write(work, "Dockerfile", dockerfile().as_bytes(), false);
    // A file naming this run: Docker's legacy builder keys its COPY cache on file contents but
    // not on symlink targets, so two runs whose trees differ only in where their links point
    // (this sandbox's folders) would share a cached layer and one would get the other's links.
    write(
        work,
        "run.txt",
        sb.dir.path().display().to_string().as_bytes(),
        false,
    );
    for i in 0..20_000 {
        let n = 1 + rng.below(200) as usize;
        let exec = i % 97 == 0;
        write(
            work,
            &format!("many/d{:03}/f{i:05}.txt", i / 200),
            &rng.text(n),
            exec,
        );
    }
    // A path of more than 200 bytes (tar needs its long-name records for it).
    let mut deep = String::from("deep");
    while deep.len() < 190 {
        deep.push_str(&format!("/level-{:02}-abcdefghij", deep.len() / 20));
    }
    deep.push_str("/leaf with space ✓ and more.txt");
    assert!(deep.len() > 200, "{}", deep.len());
    write(work, &deep, b"deep\n", false);
    write(work, &format!("{deep}.sh"), b"#!/bin/sh\n", true);
    // Odd names.
    for name in [
        "names/with space.txt",
        "names/ünïcødé-日本語-✓.txt",
        "names/-leading-dash",
        "names/--help",
        "names/it's \"quoted\".txt",
        "names/`backtick` $(not run) ; & |.txt",
        "names/back\\slash",
        "names/ leading space",
        "names/trailing space ",
        "names/dir with space/-x",
        "names/.hidden",
        "names/-dir/--/file",
    ] {
        write(work, name, name.as_bytes(), false);
    }
    // Empty folders, kept.
    for d in ["empty/a", "empty/b c", "empty/-d/ü"] {
        write(work, &format!("{d}/.gitkeep"), b"", false);
    }
    // Exec bits.
    write(work, "bin/tool", b"#!/bin/sh\necho tool\n", true);
    write(work, "bin/script.sh", b"#!/bin/sh\n", true);
    write(work, "bin/not-exec.sh", b"#!/bin/sh\n", false);
    // Symlinks: inside the tree, dangling, and out of it (relative and absolute).
    let escape_name = format!("dokku-corpus-escape-{}", sb.unique_app("x"));
    let escape = Path::new("/tmp").join(&escape_name);
    let outside = sb.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    symlink(work, "links/to-file", "../bin/tool");
    symlink(work, "links/to-dir", "../names");
    symlink(work, "links/to-self-dir", ".");
    symlink(work, "links/dangling", "../no/such/file");
    symlink(work, "links/passwd", "/etc/passwd");
    symlink(
        work,
        "links/up",
        &format!("{}tmp/{escape_name}", "../".repeat(40)),
    );
    symlink(work, "links/abs-dir", &outside.display().to_string());
    // Paths left out of the archive.
    write(
        work,
        ".gitattributes",
        b"private/ export-ignore\n*.secret export-ignore\n*.psd filter=lfs diff=lfs merge=lfs -text\n",
        false,
    );
    write(work, "private/key.pem", b"not for the image\n", false);
    write(work, "private/more/x", b"x\n", false);
    write(work, "config/db.secret", b"password\n", false);
    write(work, "config/db.public", b"public\n", false);
    // Git LFS pointers (no git-lfs anywhere: they are deployed as they are).
    for (i, name) in ["design/logo.psd", "design/hero image.psd"]
        .iter()
        .enumerate()
    {
        let oid: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
        let pointer = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {}\n",
            1_000_000 + i
        );
        write(work, name, pointer.as_bytes(), false);
    }
    // A submodule: .gitmodules and a gitlink (no checkout; the archive holds an empty folder).
    write(
        work,
        ".gitmodules",
        b"[submodule \"vendor/lib\"]\n\tpath = vendor/lib\n\turl = ./vendor-lib.git\n",
        false,
    );
    // An empty folder stands where the submodule is not checked out, as after a plain clone.
    std::fs::create_dir_all(work.join("vendor/lib")).unwrap();
    git_ok(work, &["add", "--all"]);
    git_ok(
        work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,5d3f2c3a0b6e8f7a9c1d2e3f405162738495a6b7,vendor/lib",
        ],
    );
    Canaries {
        escape,
        outside,
        passwd: std::fs::read("/etc/passwd").unwrap(),
    }
}

/// A new revision of the odd-shaped repository: files changed, added, removed, a mode flipped.
fn tree_change(work: &Path, n: usize) {
    let mut rng = Rng(900 + n as u64);
    for _ in 0..50 {
        let i = rng.below(20_000);
        let p = format!("many/d{:03}/f{i:05}.txt", i / 200);
        if work.join(&p).exists() {
            let len = 1 + rng.below(300) as usize;
            write(work, &p, &rng.text(len), rng.below(2) == 0);
        }
    }
    write(
        work,
        &format!("added/rev {n}/ünï-{n}.txt"),
        &rng.text(n * 10),
        false,
    );
    let gone = format!("many/d000/f{:05}.txt", n);
    let _ = std::fs::remove_file(work.join(gone));
}

// ---------------------------------------------------------------------------------------------
// Checking a deploy.

/// What a path should be in the container.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Entry {
    File { size: u64, exec: bool },
    Link(String),
    Dir,
}

/// The tree of `rev` as the container must hold it: `git ls-tree -r -l`, minus the paths
/// `export-ignore` leaves out (`ignored` says which), plus the folders they sit in; a gitlink
/// is an empty folder.
fn expected(work: &Path, rev: &str, ignored: &dyn Fn(&str) -> bool) -> BTreeMap<String, Entry> {
    let out = git(work)
        .args(["ls-tree", "-r", "-l", "-z", rev])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut want = BTreeMap::new();
    let mut ignored_seen = 0;
    for rec in out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8(rec.to_vec()).unwrap();
        let (meta, path) = rec.split_once('\t').unwrap();
        let f: Vec<&str> = meta.split_whitespace().collect();
        let (mode, sha, size) = (f[0], f[2], f[3]);
        assert!(!path.contains('\n'), "{path:?}");
        if ignored(path) {
            ignored_seen += 1;
            continue;
        }
        let entry = match mode {
            "100644" => Entry::File {
                size: size.parse().unwrap(),
                exec: false,
            },
            "100755" => Entry::File {
                size: size.parse().unwrap(),
                exec: true,
            },
            "120000" => Entry::Link(git_ok(work, &["cat-file", "blob", sha])),
            "160000" => Entry::Dir,
            other => panic!("unexpected mode {other} for {path}"),
        };
        let mut parent = Path::new(path).parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            want.insert(p.to_str().unwrap().to_string(), Entry::Dir);
            parent = p.parent();
        }
        want.insert(path.to_string(), entry);
    }
    if ignored("private/key.pem") {
        assert!(
            ignored_seen >= 3,
            "the export-ignore paths are not in {rev}"
        );
    }
    want
}

use dokku_tests::docker::docker_stdout as docker;
use dokku_tests::rng::Rng;

/// What `/app` holds in the running `web.1` container of `app`.
fn deployed(app: &str) -> BTreeMap<String, Entry> {
    let c = format!("{app}.web.1");
    let listing = docker(&[
        "exec",
        &c,
        "sh",
        "-c",
        "cd /app && find . -mindepth 1 -exec stat -c '%f %s %n' {} +",
    ]);
    let links = docker(&[
        "exec",
        &c,
        "sh",
        "-c",
        "cd /app && find . -mindepth 1 -type l -exec sh -c 'for f; do printf \"%s\\n%s\\n\" \"$f\" \"$(readlink \"$f\")\"; done' sh {} +",
    ]);
    let links: Vec<&str> = links.lines().collect();
    let targets: BTreeMap<&str, &str> = links.chunks(2).map(|p| (p[0], p[1])).collect();
    let mut got = BTreeMap::new();
    for line in listing.lines() {
        let mut f = line.splitn(3, ' ');
        let (mode, size, name) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let mode = u32::from_str_radix(mode, 16).unwrap();
        let path = name.strip_prefix("./").unwrap().to_string();
        let entry = match mode & 0o170000 {
            0o100000 => Entry::File {
                size: size.parse().unwrap(),
                exec: mode & 0o100 != 0,
            },
            0o120000 => Entry::Link(targets.get(name).expect(name).to_string()),
            0o040000 => Entry::Dir,
            other => panic!("{path}: unexpected file type {other:o}"),
        };
        got.insert(path, entry);
    }
    got
}

/// Asserts that the running container of `app` holds exactly `want` and runs `rev`.
#[track_caller]
fn check(app: &str, rev: &str, want: &BTreeMap<String, Entry>) {
    let env = docker(&[
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &format!("{app}.web.1"),
    ]);
    assert!(env.contains(&format!("GIT_REV={rev}")), "{env}");
    let got = deployed(app);
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let wrong: Vec<_> = want
        .iter()
        .filter_map(|(k, w)| got.get(k).filter(|g| *g != w).map(|g| (k, w, g)))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && wrong.is_empty(),
        "{app} at {rev}: missing {:?}, extra {:?}, wrong (path, want, got) {:?}",
        &missing[..missing.len().min(20)],
        &extra[..extra.len().min(20)],
        &wrong[..wrong.len().min(20)]
    );
}

// ---------------------------------------------------------------------------------------------
// Deploying.

/// Deploys `app` as `series` says, in a row, under load (each push after the first a new
/// commit made by `change`), checking the container and then `after` each time.
fn deploy_series(
    sb: &Sandbox,
    app: &str,
    work: &Path,
    series: &[How],
    change: &dyn Fn(usize),
    ignored: &dyn Fn(&str) -> bool,
    after: &dyn Fn(),
) {
    assert!(series.len() >= 5 && series[0] == Push);
    let mut rev = git_ok(work, &["rev-parse", "HEAD"]);
    for (n, how) in series.iter().enumerate() {
        if *how == Push && n > 0 {
            change(n);
            rev = commit_all(work, &format!("revision {n}"));
        }
        let start = Instant::now();
        let out = match how {
            Push => sb.git_push(work, app, &["main"]),
            Rebuild => sb.dokku(&["ps:rebuild", app]),
        };
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(
            out.code,
            0,
            "{app}: deploy {} of {} ({how:?}) failed after {secs:.1}s: {out:#?}",
            n + 1,
            series.len()
        );
        check(app, &rev, &expected(work, &rev, ignored));
        after();
        eprintln!("corpus {app}: deploy {} ({how:?}) {secs:.1}s", n + 1);
    }
}

#[test]
fn fifty_megabytes_of_binary_assets_deploy_every_time_under_load() {
    let sb = Sandbox::with_ssh();
    sb.quick_deploys();
    let app = sb.unique_app("corpus-assets");
    sb.dokku(&["apps:create", &app]).ok();
    let work = sb.work_tree("assets");
    assets_repo(&work);
    commit_all(&work, "assets");
    let _load = Load::start();
    deploy_series(
        &sb,
        &app,
        &work,
        &[Push, Rebuild, Push, Rebuild, Push, Rebuild, Push, Rebuild],
        &|n| assets_change(&work, n),
        &|_| false,
        &|| {},
    );
}

#[test]
fn a_tree_of_odd_shapes_deploys_every_time_under_load() {
    let sb = Sandbox::with_ssh();
    sb.quick_deploys();
    let app = sb.unique_app("corpus-tree");
    sb.dokku(&["apps:create", &app]).ok();
    let work = sb.work_tree("tree");
    let canaries = tree_repo(&sb, &work);
    commit_all(&work, "tree");
    let ignored = |p: &str| p.starts_with("private/") || p.ends_with(".secret");
    let _load = Load::start();
    // Two pushes: each new commit makes Docker copy the 20,000 files into a new layer.
    deploy_series(
        &sb,
        &app,
        &work,
        &[Push, Rebuild, Rebuild, Push, Rebuild],
        &|n| tree_change(&work, n),
        &ignored,
        &|| canaries.check(),
    );
    // The shapes are really there (a check of the generator, not of the deploy).
    let rev = git_ok(&work, &["rev-parse", "HEAD"]);
    let want = expected(&work, &rev, &ignored);
    let files = want.values().filter(|e| matches!(e, Entry::File { .. }));
    assert!(files.count() > 20_000);
    assert!(want.keys().any(|k| k.len() > 200));
    assert_eq!(want["vendor/lib"], Entry::Dir);
    assert_eq!(want["links/passwd"], Entry::Link("/etc/passwd".into()));
    assert!(!want.contains_key("config/db.secret") && want.contains_key("config/db.public"));
    // The LFS pointers are deployed as the pointer files they are.
    for name in ["design/logo.psd", "design/hero image.psd"] {
        let pointer = git_ok(&work, &["cat-file", "-p", &format!("{rev}:{name}")]);
        assert!(pointer.starts_with("version https://git-lfs.github.com/spec/v1"));
        let inside = docker(&[
            "exec",
            &format!("{app}.web.1"),
            "cat",
            &format!("/app/{name}"),
        ]);
        assert_eq!(inside.trim_end(), pointer);
    }
}
