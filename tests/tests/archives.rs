//! Archives and plugin sources: the one archive check shared by `git:from-archive` and
//! `plugin:install` (files, folders and in-tree symlinks only; devices, FIFOs, hard links and
//! out-of-tree symlinks refused with one line naming the member; setuid, setgid and
//! world-writable bits dropped), the caps on expansion (`archive-max-size`,
//! `archive-max-files`), a plugin folder checked before it is copied, git transports that run
//! commands refused, clear errors for garbage archives and failed clones, and a failed
//! `git:from-archive` deploy leaving the deploy branch where it was. Every archive is crafted
//! here.

use dokku_tests::{fixture, git_ok, Out, Sandbox};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tar::EntryType;

/// One crafted member.
struct M<'a> {
    name: &'a str,
    kind: EntryType,
    mode: u32,
    data: &'a [u8],
    link: Option<&'a str>,
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> M<'a> {
    M {
        name,
        kind: EntryType::Regular,
        mode: 0o644,
        data,
        link: None,
    }
}

fn special<'a>(name: &'a str, kind: EntryType, mode: u32, link: Option<&'a str>) -> M<'a> {
    M {
        name,
        kind,
        mode,
        data: b"",
        link,
    }
}

/// A tar holding `members`, owned by root, written with the tar crate's header API.
fn tar_of(members: &[M]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(m.kind);
        h.set_mode(m.mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_size(m.data.len() as u64);
        if let Some(l) = m.link {
            h.set_link_name(l).unwrap();
        }
        if matches!(m.kind, EntryType::Char | EntryType::Block) {
            h.set_device_major(1).unwrap();
            h.set_device_minor(1).unwrap();
        }
        b.append_data(&mut h, m.name, m.data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The hello plugin's files under `hello/`, then `extra`.
fn hello_tarball(extra: &[M]) -> Vec<u8> {
    let dir = fixture("install/hello");
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    for e in fs::read_dir(&dir).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            files.push((
                format!("hello/{}", e.file_name().to_string_lossy()),
                fs::read(e.path()).unwrap(),
                mode,
            ));
        }
    }
    for e in fs::read_dir(dir.join("subcommands")).unwrap().flatten() {
        files.push((
            format!("hello/subcommands/{}", e.file_name().to_string_lossy()),
            fs::read(e.path()).unwrap(),
            0o755,
        ));
    }
    let mut members: Vec<M> = files
        .iter()
        .map(|(n, d, mode)| M {
            name: n,
            kind: EntryType::Regular,
            mode: *mode,
            data: d,
            link: None,
        })
        .collect();
    for m in extra {
        members.push(M {
            name: m.name,
            kind: m.kind,
            mode: m.mode,
            data: m.data,
            link: m.link,
        });
    }
    gz(&tar_of(&members))
}

fn write(sb: &Sandbox, name: &str, data: &[u8]) -> PathBuf {
    let p = sb.dir.path().join("work").join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts one error line holding every needle, printable (no raw bytes, no control
/// characters); returns it.
#[track_caller]
fn refused_with(out: Out, needles: &[&str]) -> String {
    let out = out.fails();
    let line = out.one_error_line();
    for n in needles {
        assert!(line.contains(n), "{n:?} not in {line:?}");
    }
    assert!(
        !line.chars().any(|c| c.is_control() || c == '\u{fffd}'),
        "raw bytes in {line:?}"
    );
    line
}

#[test]
fn plugin_tarballs_with_devices_fifos_links_or_escaping_symlinks_are_refused() {
    let sb = Sandbox::new();
    let before = sb.plugin_entries();
    let cases = [
        (
            special("hello/null", EntryType::Char, 0o666, None),
            "is a character device",
        ),
        (
            special("hello/disk", EntryType::Block, 0o660, None),
            "is a block device",
        ),
        (
            special("hello/pipe", EntryType::Fifo, 0o644, None),
            "is a FIFO",
        ),
        (
            special("hello/hard", EntryType::Link, 0o644, Some("hello/install")),
            "is a hard link",
        ),
        (
            special(
                "hello/shadow",
                EntryType::Symlink,
                0o777,
                Some("/etc/shadow"),
            ),
            "outside the plugin folder",
        ),
        (
            special("hello/up", EntryType::Symlink, 0o777, Some("../../../x")),
            "outside the plugin folder",
        ),
    ];
    for (m, why) in cases {
        let name = m.name.to_string();
        let tarball = write(&sb, "hello.tar.gz", &hello_tarball(&[m]));
        let line = refused_with(
            sb.dokku(&["plugin:install", s(&tarball)]),
            &[&format!("{name:?}"), why, "refusing it"],
        );
        assert!(!line.contains("tar: "), "{line}");
        assert_eq!(sb.plugin_entries(), before, "{name}: something was left");
    }
}

#[test]
fn plugin_tarball_modes_are_made_safe_and_in_tree_symlinks_kept() {
    let sb = Sandbox::new();
    let tarball = write(
        &sb,
        "hello.tar.gz",
        &hello_tarball(&[
            M {
                name: "hello/bin/suid",
                kind: EntryType::Regular,
                mode: 0o6777,
                data: b"#!/bin/sh\n",
                link: None,
            },
            M {
                name: "hello/open",
                kind: EntryType::Directory,
                mode: 0o1777,
                data: b"",
                link: None,
            },
            special("hello/bin/run", EntryType::Symlink, 0o777, Some("suid")),
        ]),
    );
    sb.dokku(&["plugin:install", s(&tarball)])
        .ok()
        .out_has("Plugin hello enabled");
    let dir = sb.plugin_path().join("available/hello");
    let suid = fs::metadata(dir.join("bin/suid")).unwrap().mode() & 0o7777;
    assert_eq!(suid, 0o775, "{suid:o}");
    let open = fs::metadata(dir.join("open")).unwrap().mode() & 0o7777;
    assert_eq!(open, 0o775, "{open:o}");
    let link = fs::read_link(dir.join("bin/run")).unwrap();
    assert_eq!(link, Path::new("suid"));
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
}

#[test]
fn plugin_tarballs_compressed_with_bzip2_or_xz_install() {
    let sb = Sandbox::new();
    for (flag, ext, name) in [
        ("-cjf", "tar.bz2", "hellobz"),
        ("-cJf", "tar.xz", "helloxz"),
    ] {
        let tarball = sb.dir.path().join(format!("{name}.{ext}"));
        let st = Command::new("tar")
            .arg(flag)
            .arg(&tarball)
            .arg("-C")
            .arg(fixture("install"))
            .arg("hello")
            .status()
            .unwrap();
        assert!(st.success());
        sb.dokku(&["plugin:install", s(&tarball)])
            .ok()
            .out_has(&format!("Plugin {name} enabled"));
    }
}

/// A sandbox whose builds are recorded by the `fx-builder` fixture.
fn build_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.use_fx_builder();
    sb
}

fn branch_rev(sb: &Sandbox, app: &str) -> String {
    let dir = sb.dokku_root().join(app);
    if !dir.join("HEAD").exists() {
        return String::new();
    }
    let out = dokku_tests::git(&dir)
        .args(["rev-parse", "--verify", "--quiet", "refs/heads/master"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn git_from_archive_keeps_in_tree_symlinks_and_refuses_the_rest() {
    let sb = build_sandbox();
    let good = tar_of(&[
        file("proj/id.txt", b"links"),
        special("proj/alias.txt", EntryType::Symlink, 0o777, Some("id.txt")),
        special(
            "proj/sub/up.txt",
            EntryType::Symlink,
            0o777,
            Some("../id.txt"),
        ),
    ]);
    sb.dokku_in(&["git:from-archive", "web", "-"], &good).ok();
    assert_eq!(sb.built_ids("web"), ["links"]);
    let rev = branch_rev(&sb, "web");
    let tree = git_ok(
        &sb.dokku_root().join("web"),
        &["ls-tree", "-r", "--format=%(objectmode) %(path)", &rev],
    );
    assert!(tree.contains("120000 alias.txt"), "{tree}");
    assert!(tree.contains("120000 sub/up.txt"), "{tree}");
    let cases: Vec<(Vec<M>, &str, &str)> = vec![
        (
            vec![special(
                "p/passwd",
                EntryType::Symlink,
                0o777,
                Some("/etc/passwd"),
            )],
            "p/passwd",
            "outside the app folder",
        ),
        (
            vec![special("p/up", EntryType::Symlink, 0o777, Some("../.."))],
            "p/up",
            "outside the app folder",
        ),
        (
            // In the tree by its spelling, outside once `a/b/top` is followed.
            vec![
                special("a/b/top", EntryType::Symlink, 0o777, Some("../..")),
                special("x", EntryType::Symlink, 0o777, Some("a/b/top/..")),
            ],
            "\"x\"",
            "outside the app folder",
        ),
        (
            vec![
                special("d", EntryType::Symlink, 0o777, Some(".")),
                file("d/f", b"through"),
            ],
            "d/f",
            "goes through the symlink",
        ),
        (
            vec![
                file("id.txt", b"x"),
                special("h", EntryType::Link, 0o644, Some("id.txt")),
            ],
            "\"h\"",
            "is a hard link",
        ),
        (
            vec![special("zero", EntryType::Char, 0o666, None)],
            "zero",
            "is a character device",
        ),
        (
            vec![special("sda", EntryType::Block, 0o660, None)],
            "sda",
            "is a block device",
        ),
        (
            vec![special("fifo", EntryType::Fifo, 0o644, None)],
            "fifo",
            "is a FIFO",
        ),
    ];
    for (members, member, why) in cases {
        let line = refused_with(
            sb.dokku_in(&["git:from-archive", "web", "-"], &tar_of(&members)),
            &[member, why, "refusing it"],
        );
        assert_eq!(branch_rev(&sb, "web"), rev, "{line}");
    }
    assert_eq!(sb.built_ids("web"), ["links"]);
}

/// A tar.gz of one file of `size` zero bytes (about 1 MB per GiB), plus a few small files.
fn zeros_tar_gz(size: u64) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    {
        let mut b = tar::Builder::new(&mut e);
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(5);
        b.append_data(&mut h, "bomb/a.txt", &b"small"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(size);
        b.append_data(&mut h, "bomb/zeros.bin", std::io::repeat(0).take(size))
            .unwrap();
        b.finish().unwrap();
    }
    e.finish().unwrap()
}

/// Entries of `dir` (empty when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_archive_bomb_is_refused_quickly_and_leaves_nothing() {
    let sb = build_sandbox();
    let bomb = zeros_tar_gz(1 << 30);
    eprintln!("bomb: {} bytes compressed, 1 GiB expanded", bomb.len());
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let tmp = sb.dir.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.env("TMPDIR", &tmp).args(["git:from-archive", "web", "-"]);
    let t = Instant::now();
    let out = sb.run(c, &bomb);
    let took = t.elapsed();
    eprintln!("git:from-archive of the bomb refused in {took:?}");
    refused_with(out, &["\"bomb/zeros.bin\"", "archive-max-size", "512m"]);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(entries(&tmp).is_empty(), "{:?}", entries(&tmp));
    assert_eq!(branch_rev(&sb, "web"), "");
    assert!(sb.built_ids("web").is_empty());

    let before = sb.plugin_entries();
    let tarball = write(&sb, "bomb.tar.gz", &bomb);
    let t = Instant::now();
    let out = sb.dokku(&["plugin:install", s(&tarball)]);
    let took = t.elapsed();
    eprintln!("plugin:install of the bomb refused in {took:?}");
    refused_with(out, &["\"bomb/zeros.bin\"", "archive-max-size"]);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(sb.plugin_entries(), before);
}

#[test]
fn archive_caps_are_settable_reported_and_enforced() {
    let sb = build_sandbox();
    sb.dokku(&["apps:create", "web"]).ok();
    let report = sb.dokku(&["git:report", "web"]).ok().stdout;
    assert!(report.contains("Git archive max size:"), "{report}");
    sb.dokku(&["git:report", "web", "--git-computed-archive-max-size"])
        .ok()
        .out_has("512m");
    sb.dokku(&["git:report", "web", "--git-computed-archive-max-files"])
        .ok()
        .out_has("100000");
    let three = tar_of(&[
        file("id.txt", b"three"),
        file("b", b"b"),
        file("c", &[b'c'; 2048]),
    ]);
    sb.dokku(&["git:set", "web", "archive-max-files", "2"]).ok();
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &three),
        &["more than 2 members", "archive-max-files", "\"c\""],
    );
    sb.dokku(&["git:set", "web", "archive-max-files"]).ok();
    sb.dokku(&["git:set", "--global", "archive-max-size", "1k"])
        .ok();
    sb.dokku(&["git:report", "web", "--git-computed-archive-max-size"])
        .ok()
        .out_has("1k");
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &three),
        &["more than 1k", "archive-max-size", "\"c\""],
    );
    assert!(sb.built_ids("web").is_empty());
    // What is read at all is bounded too: the size, plus 4 KiB a member, plus 1 MiB.
    sb.dokku(&["git:set", "web", "archive-max-files", "10"])
        .ok();
    let big = vec![0u8; 3 << 20];
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &big),
        &["the archive is larger than", "archive-max-size 1k"],
    );
    sb.dokku(&["git:set", "web", "archive-max-files"]).ok();
    sb.dokku(&["git:set", "web", "archive-max-size", "3K"]).ok();
    sb.dokku_in(&["git:from-archive", "web", "-"], &three).ok();
    assert_eq!(sb.built_ids("web"), ["three"]);
    for bad in ["0", "-1", "1x", "lots", "99999999999999999g"] {
        refused_with(
            sb.dokku(&["git:set", "web", "archive-max-size", bad]),
            &["invalid size"],
        );
        refused_with(
            sb.dokku(&["git:set", "web", "archive-max-files", bad]),
            &["invalid count"],
        );
    }
}

#[test]
fn a_failed_deploy_leaves_the_deploy_branch_where_it_was() {
    let sb = build_sandbox();
    let ok = tar_of(&[file("id.txt", b"good")]);
    sb.dokku_in(&["git:from-archive", "web", "-"], &ok).ok();
    let good = branch_rev(&sb, "web");
    assert!(!good.is_empty());
    let broken = tar_of(&[file("id.txt", b"broken"), file("FAIL", b"")]);
    sb.dokku_in(&["git:from-archive", "web", "-"], &broken)
        .fails()
        .err_has("fx-builder: compile error in web");
    assert_eq!(sb.built_ids("web"), ["good", "broken"]);
    assert_eq!(
        branch_rev(&sb, "web"),
        good,
        "the branch moved to the broken commit"
    );
    sb.dokku(&["git:report", "web", "--git-sha"])
        .ok()
        .out_has(&good);
    // The next good archive builds on the good commit.
    sb.dokku_in(
        &["git:from-archive", "web", "-"],
        &tar_of(&[file("id.txt", b"fixed")]),
    )
    .ok();
    let fixed = branch_rev(&sb, "web");
    let parent = git_ok(
        &sb.dokku_root().join("web"),
        &["rev-parse", &format!("{fixed}^")],
    );
    assert_eq!(parent, good);

    // git:sync --build, the same.
    let src = sb.work_tree("src");
    sb.commit(&src, &[("id.txt", "synced")], "s1");
    sb.dokku(&["git:sync", "--build", "web", s(&src), "main"])
        .ok();
    let synced = branch_rev(&sb, "web");
    sb.commit(&src, &[("id.txt", "sync-broken"), ("FAIL", "")], "s2");
    sb.dokku(&["git:sync", "--build", "web", s(&src), "main"])
        .fails();
    assert_eq!(branch_rev(&sb, "web"), synced);
}

#[test]
fn garbage_archives_get_one_clear_line_without_raw_bytes() {
    let sb = build_sandbox();
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 0xf0) as u8).collect();
    garbage[..4].copy_from_slice(b"\xff\x1b[2");
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &garbage),
        &["not a tar, tar.gz", "zip archive"],
    );
    refused_with(
        sb.dokku_in(
            &["git:from-archive", "--archive-type", "tar", "web", "-"],
            &garbage,
        ),
        &["not a tar, tar.gz"],
    );
    // A tar block whose fields are raw bytes but whose checksum is right.
    let mut block = [0xffu8; 512];
    block[..6].copy_from_slice(b"x\xff\x1bx\0\0");
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|&b| b as u32).sum();
    block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut damaged = block.to_vec();
    damaged.extend_from_slice(&[0u8; 1024]);
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &damaged),
        &["archive"],
    );
    let tgz = gz(&tar_of(&[file("id.txt", b"x")]));
    refused_with(
        sb.dokku_in(
            &["git:from-archive", "--archive-type", "zip", "web", "-"],
            &tgz,
        ),
        &["is a tar.gz archive, not a zip one"],
    );
    let mut cut = tgz.clone();
    cut.truncate(cut.len() / 2);
    refused_with(
        sb.dokku_in(&["git:from-archive", "web", "-"], &cut),
        &["archive"],
    );
    let before = sb.plugin_entries();
    let p = write(&sb, "garbage.tar.gz", &garbage);
    refused_with(sb.dokku(&["plugin:install", s(&p)]), &["not a tar, tar.gz"]);
    assert_eq!(sb.plugin_entries(), before);
    assert_eq!(branch_rev(&sb, "web"), "");
}

/// Sets `path`'s access time to 2001, so that a read of it shows (relatime updates it).
fn age_atime(path: &Path) {
    let st = Command::new("touch")
        .args(["-a", "-d", "2001-01-01 00:00:00"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

fn atime(path: &Path) -> i64 {
    fs::metadata(path).unwrap().atime()
}

#[test]
#[allow(unsafe_code)]
fn plugin_install_checks_a_folder_before_copying_anything() {
    let sb = Sandbox::new();
    let before = sb.plugin_entries();
    let t = Instant::now();
    refused_with(
        sb.dokku(&["plugin:install", "/etc"]),
        &["/etc is not a plugin folder", "no plugin.toml"],
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(sb.plugin_entries(), before);

    // Not a plugin folder: no file of it is read.
    let notplugin = sb.dir.path().join("src/notplugin");
    fs::create_dir_all(&notplugin).unwrap();
    let secret = notplugin.join("shadow");
    fs::write(&secret, "root:secret").unwrap();
    age_atime(&secret);
    let aged = atime(&secret);
    refused_with(
        sb.dokku(&["plugin:install", s(&notplugin)]),
        &["not a plugin folder"],
    );
    assert_eq!(
        atime(&secret),
        aged,
        "the folder was copied before it was refused"
    );

    // A plugin folder holding a FIFO: refused, naming it, before anything is copied.
    let withfifo = sb.dir.path().join("src/withfifo");
    let st = Command::new("cp")
        .arg("-a")
        .arg(fixture("install/hello"))
        .arg(&withfifo)
        .status()
        .unwrap();
    assert!(st.success());
    let fifo = withfifo.join("zz-pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let install = withfifo.join("install");
    age_atime(&install);
    let aged = atime(&install);
    refused_with(
        sb.dokku(&["plugin:install", s(&withfifo)]),
        &["\"zz-pipe\"", "is a FIFO"],
    );
    assert_eq!(
        atime(&install),
        aged,
        "the folder was copied before it was refused"
    );
    assert_eq!(sb.plugin_entries(), before);
}

#[test]
fn plugin_install_refuses_git_transports_that_run_commands() {
    let sb = Sandbox::new();
    let before = sb.plugin_entries();
    let marker = sb.dir.path().join("pwned");
    let m = s(&marker);
    for source in [
        format!("ext::sh -c touch% {m} #@x:y"),
        format!("ext::sh -c touch% {m}"),
        "fd::0@x:y".to_string(),
        "fd::0,1/x@x:y".to_string(),
        "foo::bar@x:y".to_string(),
    ] {
        refused_with(
            sb.dokku(&["plugin:install", &source, "--name", "x"]),
            &["run commands"],
        );
    }
    refused_with(
        sb.dokku(&["plugin:install", "gopher://127.0.0.1/x.git", "--name", "x"]),
        &["transport is refused"],
    );
    refused_with(
        sb.dokku(&[
            "plugin:install",
            "ssh://-oProxyCommand=touch/x.git",
            "--name",
            "x",
        ]),
        &["host starts with -"],
    );
    assert!(!marker.exists());
    assert_eq!(sb.plugin_entries(), before);
    // git:sync refuses the same, by the same check.
    sb.dokku(&["apps:create", "web"]).ok();
    refused_with(sb.dokku(&["git:sync", "web", "fd::0"]), &["run commands"]);
}

#[test]
fn a_failed_clone_says_why_in_one_line() {
    let sb = Sandbox::new();
    let before = sb.plugin_entries();
    let line = refused_with(
        sb.dokku(&["plugin:install", "x@127.0.0.1:z"]),
        &["git clone of x@127.0.0.1:z failed: "],
    );
    assert!(!line.contains("and the repository exists"), "{line}");
    let missing = sb.dir.path().join("nothing-here.git");
    let line = refused_with(
        sb.dokku(&[
            "plugin:install",
            &format!("file://{}", s(&missing)),
            "--name",
            "x",
        ]),
        &["git clone of file://"],
    );
    assert!(
        line.contains("does not appear to be a git repository") || line.contains("not"),
        "{line}"
    );
    assert_eq!(sb.plugin_entries(), before);
}
