//! Named storage entries (Dokku 0.38's model) on the real engine: an entry created, mounted
//! into an app, seen by every deploy's containers and by `dokku run`; subpath and owner of a
//! mount; destroy refused while mounted; info/list-entries/report JSON; labels and annotations;
//! `storage:exec`; `storage:migrate` of legacy mounts; bad input refused with one line and
//! nothing written; the sudoers rule and the chown helper of a system install.

use dokku_tests::docker::busybox_image;
use dokku_tests::{refused, Sandbox};
use std::fs;
use std::process::Command;

/// A Dockerfile whose web process appends a line to `/data/log` when it starts, then serves.
fn writer_dockerfile(tag: &str) -> String {
    format!(
        "FROM {}\nRUN mkdir -p /www && echo {tag} > /www/index.html\nCMD [\"sh\", \"-c\", \"echo started-{tag} >> /data/log; exec httpd -f -p $PORT -h /www\"]\n",
        busybox_image()
    )
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The entries' files and the apps' attachments: what bad input must leave unchanged.
fn state(sb: &Sandbox) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for d in [
        sb.lib_root().join("data/storage-registry/entries"),
        sb.lib_root().join("config/storage"),
    ] {
        for e in walk(&d) {
            v.push((e.display().to_string(), fs::read_to_string(&e).unwrap()));
        }
    }
    v.sort();
    v
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push(p);
            }
        }
    }
    out
}

#[test]
#[allow(unsafe_code)]
fn an_entry_persists_across_deploys_and_reaches_dokku_run_with_its_subpath_and_owner() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("stent");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["storage:create", "uploads"])
        .ok()
        .out_has("Storage entry uploads created");
    let root = sb.lib_root().join("data/storage/uploads");
    assert!(root.is_dir());
    sb.dokku(&[
        "storage:mount",
        &app,
        "uploads",
        "--container-dir",
        "/data",
        "--volume-subpath",
        "sub",
        "--volume-chown",
        "1234:2345",
    ])
    .ok()
    .out_has(&format!("Storage entry uploads mounted at /data on {app}"));
    // The subfolder is made and given the owner at once.
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(root.join("sub")).unwrap();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!((meta.uid(), meta.gid()), (1234, 2345));
    }

    sb.deploy_source(&app, &[("Dockerfile", &writer_dockerfile("one"))])
        .ok();
    sb.deploy_source(&app, &[("Dockerfile", &writer_dockerfile("two"))])
        .ok();
    // The second release's container appended to what the first one wrote.
    let log = fs::read_to_string(root.join("sub/log")).unwrap();
    assert_eq!(log, "started-one\nstarted-two\n");
    // A one-off container sees the same folder, with its owner.
    let out = sb
        .dokku(&[
            "run",
            &app,
            "sh",
            "-c",
            "cat /data/log; stat -c %u:%g /data",
        ])
        .ok();
    assert_eq!(
        out.stdout, "started-one\nstarted-two\n1234:2345\n",
        "{out:#?}"
    );

    // storage:list and the report show the mount beside legacy ones.
    sb.dokku(&["storage:list", &app]).ok().out_has(&format!(
        "{}:/data (storage entry uploads)",
        root.join("sub").display()
    ));
    let list = json(
        &sb.dokku(&["storage:list", &app, "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(list[0]["entry_name"], "uploads");
    assert_eq!(list[0]["container_path"], "/data");
    sb.dokku(&["storage:report", &app, "--storage-run-mounts"])
        .ok()
        .out_has(&format!("-v {}:/data", root.join("sub").display()));

    // Destroy is refused while mounted, and allowed once unmounted.
    refused(
        sb.dokku(&["storage:destroy", "uploads", "--force"]),
        &format!("still mounted by app(s): {app}"),
    );
    sb.dokku(&["storage:unmount", &app, "uploads"]).ok();
    sb.dokku(&["storage:destroy", "uploads", "--force"])
        .ok()
        .out_has("Storage entry uploads destroyed");
    assert!(root.is_dir(), "the data stays without --destroy-host-dir");
}

#[test]
fn entries_info_list_labels_annotations_set_wait_exec_and_global_report() {
    let sb = Sandbox::new();
    sb.use_docker();
    let app = sb.unique_app("stmeta");
    sb.dokku(&["apps:create", &app]).ok();
    let custom = sb.dir.path().join("custom-data");
    sb.dokku(&[
        "storage:create",
        "media",
        &custom.display().to_string(),
        "--label",
        "tier=data",
        "--annotation=team=billing",
    ])
    .ok();
    assert!(custom.is_dir());
    let vol = format!("{app}-vol");
    sb.dokku(&["storage:create", "cache", &vol]).ok();
    let e = json(
        &sb.dokku(&["storage:info", "media", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(
        e,
        serde_json::json!({
            "name": "media", "scheduler": "docker-local",
            "host_path": custom.display().to_string(),
            "labels": {"tier": "data"}, "annotations": {"team": "billing"},
            "schema_version": 1
        })
    );
    sb.dokku(&["storage:info", "cache"])
        .ok()
        .out_has("-----> Storage entry cache")
        .out_has(&format!("Volume:           {vol}"));
    let all = json(
        &sb.dokku(&["storage:list-entries", "--format", "json"])
            .ok()
            .stdout,
    );
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cache", "media"]);
    sb.dokku(&["storage:wait", "cache"]).ok();
    sb.dokku(&["storage:wait", "media"]).ok();

    // labels and annotations: one key at a time, kept apart; no value clears a key.
    sb.dokku(&[
        "storage:labels:set",
        "media",
        "app.kubernetes.io/part-of",
        "billing",
    ])
    .ok();
    sb.dokku(&["storage:labels:set", "media", "tier"]).ok();
    assert_eq!(
        json(
            &sb.dokku(&["storage:labels:report", "media", "--format", "json"])
                .ok()
                .stdout
        ),
        serde_json::json!({"app.kubernetes.io/part-of": "billing"})
    );
    assert_eq!(
        sb.dokku(&[
            "storage:annotations:report",
            "media",
            "--storage-annotations.team"
        ])
        .ok()
        .stdout,
        "billing\n"
    );
    refused(
        sb.dokku(&[
            "storage:annotations:report",
            "media",
            "--storage-annotations.absent",
        ]),
        "Invalid flag passed, valid flags: --storage-annotations.team",
    );
    sb.dokku(&["storage:set", "media", "chown", "false"]).ok();
    assert_eq!(
        json(
            &sb.dokku(&["storage:info", "media", "--format", "json"])
                .ok()
                .stdout
        )["chown"],
        "false"
    );

    // exec: a throwaway container with the entry at /data; the command's exit code comes back.
    fs::write(custom.join("hello"), "from the host").unwrap();
    let out = sb.dokku(&[
        "storage:exec",
        "media",
        "--image",
        busybox_image(),
        "--",
        "sh",
        "-c",
        "cat hello; echo made > made; exit 3",
    ]);
    assert_eq!(out.code, 3, "{out:#?}");
    assert_eq!(out.stdout, "from the host");
    assert_eq!(fs::read_to_string(custom.join("made")).unwrap(), "made\n");

    // A volume entry mounts as the volume.
    sb.dokku(&[
        "storage:mount",
        &app,
        "cache",
        "--container-dir",
        "/cache",
        "--volume-options",
        "ro",
    ])
    .ok();
    let report = json(
        &sb.dokku(&["storage:report", "--global", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(report[0]["entry"]["name"], "cache");
    assert_eq!(report[0]["mounted_by"], serde_json::json!([app]));
    assert_eq!(report[1]["mounted_by"], serde_json::json!([]));
    assert_eq!(
        sb.dokku(&["plugin:trigger", "storage-list", &app, "run"])
            .ok()
            .stdout,
        format!("{vol}:/cache:ro\n")
    );
    sb.dokku(&[
        "storage:unmount",
        &app,
        "cache",
        "--container-dir",
        "/cache",
    ])
    .ok();
    sb.dokku(&["storage:destroy", "cache", "--force", "--destroy-host-dir"])
        .ok();
    let gone = Command::new("docker")
        .args(["volume", "inspect", &vol])
        .output()
        .unwrap();
    assert!(!gone.status.success(), "the volume is removed");
}

#[test]
fn migrate_turns_legacy_mounts_into_entries_with_the_same_docker_args() {
    let sb = Sandbox::new();
    let app = sb.unique_app("stmig");
    sb.dokku(&["apps:create", &app]).ok();
    // The legacy form works as before: -v lines of the docker options.
    sb.dokku(&["storage:mount", &app, "/srv/legacy:/legacy:ro"])
        .ok();
    sb.dokku(&["storage:mount", &app, "some-vol:/vol"]).ok();
    let opts = sb
        .lib_root()
        .join("config/docker-options")
        .join(&app)
        .join("_default_.deploy");
    assert_eq!(
        fs::read_to_string(&opts).unwrap(),
        "-v /srv/legacy:/legacy:ro\n-v some-vol:/vol\n"
    );
    let args = |sb: &Sandbox| {
        sb.dokku_in(&["plugin:trigger", "docker-args-run", &app, "latest"], b"")
            .ok()
            .stdout
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let before = args(&sb);
    assert_eq!(
        before,
        ["-v", "/srv/legacy:/legacy:ro", "-v", "some-vol:/vol"]
    );

    sb.dokku(&["storage:migrate", &app])
        .ok()
        .out_has(&format!("Migrated 2 legacy mount(s) of {app}"));
    assert!(
        !opts.exists(),
        "the -v lines moved out of the docker options"
    );
    assert_eq!(args(&sb), before);
    let entries = json(
        &sb.dokku(&["storage:list-entries", "--format", "json"])
            .ok()
            .stdout,
    );
    let hosts: Vec<(&str, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["host_path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(hosts.len(), 2);
    for (name, host) in &hosts {
        assert!(name.starts_with("legacy-") && name.len() == 17, "{name}");
        assert!(["/srv/legacy", "some-vol"].contains(host));
    }
    // Run again: nothing left to move, nothing doubled.
    sb.dokku(&["storage:migrate", "--all"])
        .ok()
        .out_has(&format!("Migrated 0 legacy mount(s) of {app}"));
    assert_eq!(args(&sb), before);
    // Users cannot take the reserved prefix.
    refused(
        sb.dokku(&["storage:create", "legacy-mine"]),
        "reserved prefix",
    );
}

#[test]
fn bad_input_is_one_error_line_and_writes_nothing() {
    let sb = Sandbox::new();
    let app = sb.unique_app("stbad");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["storage:create", "data"]).ok();
    sb.dokku(&["storage:mount", &app, "data", "--container-dir", "/data"])
        .ok();
    sb.dokku(&["storage:mount", &app, "/srv/x:/legacy"]).ok();
    let before = state(&sb);
    let opts_before = fs::read_to_string(
        sb.lib_root()
            .join("config/docker-options")
            .join(&app)
            .join("_default_.deploy"),
    )
    .unwrap();
    let a = app.as_str();
    let cases: &[(&[&str], &str)] = &[
        (&["storage:create", "Bad_Name"], "DNS-1123"),
        (&["storage:create", "x", "/a/../b"], ".. components"),
        (
            &["storage:create", "x", "rel/path"],
            "absolute path or a docker volume",
        ),
        (
            &["storage:create", "x", "--size", "1Gi"],
            "does not accept --size",
        ),
        (
            &["storage:create", "x", "--scheduler", "k3s"],
            "k3s scheduler is not available",
        ),
        (&["storage:create", "x", "--label", "novalue"], "key=value"),
        (
            &["storage:create", "x", "--chown", "nobody"],
            "Unsupported chown",
        ),
        (
            &["storage:create", "data", "/elsewhere"],
            "refusing to redefine",
        ),
        (
            &["storage:mount", a, "data", "--container-dir", "rel"],
            "must be absolute",
        ),
        (
            &["storage:mount", a, "data", "--container-dir", "/d/../e"],
            ".. components",
        ),
        (
            &["storage:mount", a, "missing", "--container-dir", "/d"],
            "does not exist",
        ),
        (&["storage:mount", a, "data"], "--container-dir is required"),
        (
            &[
                "storage:mount",
                a,
                "data",
                "--container-dir",
                "/d",
                "--volume-subpath",
                "../e",
            ],
            ".. components",
        ),
        (
            &[
                "storage:mount",
                a,
                "data",
                "--container-dir",
                "/d",
                "--volume-options",
                "bogus",
            ],
            "Unsupported mount option",
        ),
        (
            &[
                "storage:mount",
                a,
                "data",
                "--container-dir",
                "/d",
                "--phase",
                "build",
            ],
            "not supported",
        ),
        (
            &[
                "storage:mount",
                a,
                "data",
                "--container-dir",
                "/d",
                "--volume-chown",
                "99999",
            ],
            "Unsupported chown",
        ),
        (
            &["storage:mount", a, "data", "--container-dir", "/legacy"],
            "already mounted (from /srv/x)",
        ),
        (
            &["storage:mount", a, "/srv/y:/data"],
            "already mounted (from storage entry data)",
        ),
        (
            &["storage:mount", a, "/a:/b", "--container-dir", "/c"],
            "applies to named storage entries",
        ),
        (
            &["storage:unmount", a, "data", "--container-dir", "/nope"],
            "is not mounted at",
        ),
        (&["storage:destroy", "data", "--force"], "still mounted"),
        (&["storage:info", "missing"], "does not exist"),
        (
            &["storage:info", "data", "--format", "yaml"],
            "Invalid --format",
        ),
        (
            &["storage:set", "data", "size", "1Gi"],
            "does not accept size",
        ),
        (&["storage:set", "data", "bogus", "v"], "Invalid property"),
        (
            &["storage:labels:set", "data", "bad key", "v"],
            "Invalid label key",
        ),
        (
            &["storage:annotations:set", "missing", "k", "v"],
            "does not exist",
        ),
        (
            &["storage:exec", "data", "--image", "-x"],
            "Invalid --image",
        ),
        (&["storage:exec", "data", "--user", "a;b"], "Invalid --user"),
        (&["storage:migrate"], "requires an app name"),
        (&["storage:migrate", a, "--all"], "not both"),
        (
            &["storage:report", "--global", "--format", "yaml"],
            "Invalid --format",
        ),
        (&["storage:wait", "missing"], "does not exist"),
    ];
    for (args, needle) in cases {
        refused(sb.dokku(args), needle);
    }
    assert_eq!(state(&sb), before);
    assert_eq!(
        fs::read_to_string(
            sb.lib_root()
                .join("config/docker-options")
                .join(&app)
                .join("_default_.deploy")
        )
        .unwrap(),
        opts_before
    );
    assert!(!sb.lib_root().join("data/storage/x").exists());
}

#[test]
fn the_system_install_sudoers_rule_and_chown_helper() {
    let repo = dokku_tests::repo();
    // The rule as the installer writes it (`--system-files` writes the system files under a
    // folder of ours instead of /etc).
    let dest = tempfile::tempdir().unwrap();
    let out = Command::new(repo.join("scripts/install"))
        .arg("--system-files")
        .arg(dest.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let body = fs::read_to_string(dest.path().join("etc/sudoers.d/dokku-storage"))
        .expect("scripts/install writes the storage sudoers rule");
    let body = body.as_str();
    assert_eq!(
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["dokku ALL=(root) NOPASSWD: /usr/local/lib/dokku/chown-storage-dir"]
    );
    if std::path::Path::new("/usr/sbin/visudo").exists() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dokku-storage");
        fs::write(&f, body).unwrap();
        let out = Command::new("/usr/sbin/visudo")
            .arg("-cf")
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    // The helper refuses, with one line, anything but RELPATH UID[:GID] under the storage root.
    let helper = repo.join("plugins-available/storage/bin/chown-storage-dir");
    for (args, needle) in [
        (&["../etc", "0"][..], "set of characters"),
        (&["x/../../etc", "0"][..], "set of characters"),
        (&[".hidden", "0"][..], "set of characters"),
        (&["x", "99999"][..], "Supported values"),
        (&["x", "1:a"][..], "UID or UID:GID"),
        (&["x"][..], "usage"),
    ] {
        let out = Command::new(&helper).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
