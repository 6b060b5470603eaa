//! The build pipeline's triggers, fired and answered at Dokku's moments with Dokku's arguments:
//! `core-post-extract` before `post-extract`; `builder-release BUILDER APP latest` after a
//! successful `builder-build` and before `release-and-deploy`, answered by each builder with
//! `pre-release-builder` / `post-release-builder BUILDER APP IMAGE` (a failed release puts the
//! previous image back); the dockerfile and herokuish builders' `pre-build-*`, `pre-build`,
//! `docker-args-build`, `docker-args-process-build` (stdin/stdout as docker-args-build),
//! `post-build-*`, `post-build`; `builder-get-property`, `builder-image-is-herokuish`; the git
//! plugin's `git-revision`, `git-deploy-branch`, `git-get-property`, `git-has-code`, and the
//! `git-from-archive` / `git-from-image` / `git-from-directory` chain. A recording plugin
//! (`aa-record`, sorted before the core plugins) logs every call it answers, in order.

use dokku_tests::{http_body, Out, Sandbox};
use std::process::Command;

/// The recording plugin's executable: appends `NAME|ARG|ARG…` to `data/aa-record.log`;
/// `*-extract` triggers add the folder's files, `docker-args-*` echo their stdin (recorded) and
/// `docker-args-process-build` appends a label; `pre-release-builder` adds the image's id and
/// fails while `data/aa-record.fail-release` exists, `post-build` while
/// `data/aa-record.fail-post-build` does, `builder-release` while
/// `data/aa-record.fail-builder-release` does.
const RECORDER: &str = r#"#!/usr/bin/env bash
name=$(basename "$0")
data=$DOKKU_LIB_ROOT/data
mkdir -p "$data"
line=$name
for a in "$@"; do line+="|$a"; done
case "$name" in
  core-post-extract|post-extract)
    line+="|files=$(ls -A "$2" | tr '\n' ,)" ;;
  git-from-directory)
    line+="|files=$(ls -A "$2" | tr '\n' ,)" ;;
  docker-args-*)
    in=$(cat)
    line+="|stdin=$in"
    printf '%s' "$in"
    if [[ $name == docker-args-process-build ]]; then printf ' --label com.example.recorded=%s' "$2"; fi ;;
  pre-release-builder)
    line+="|image=$(docker image inspect --format '{{.Id}}' "$3" 2>/dev/null)"
    if [[ -f $data/aa-record.fail-release ]]; then
      echo "$line" >> "$data/aa-record.log"; echo "aa-record: release refused" >&2; exit 7
    fi ;;
  post-build)
    if [[ -f $data/aa-record.fail-post-build ]]; then
      echo "$line" >> "$data/aa-record.log"; echo "aa-record: post-build refused" >&2; exit 6
    fi ;;
  builder-release)
    if [[ -f $data/aa-record.fail-builder-release ]]; then
      echo "$line" >> "$data/aa-record.log"; echo "aa-record: builder-release refused" >&2; exit 5
    fi ;;
esac
echo "$line" >> "$data/aa-record.log"
"#;

/// The recorded calls, one `NAME|ARGS…` line each.
fn recorded(sb: &Sandbox) -> Vec<String> {
    std::fs::read_to_string(sb.lib_root().join("data/aa-record.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn clear_recorded(sb: &Sandbox) {
    let _ = std::fs::remove_file(sb.lib_root().join("data/aa-record.log"));
}

/// The recorded lines of trigger `name`.
fn calls(log: &[String], name: &str) -> Vec<Vec<String>> {
    log.iter()
        .map(|l| l.split('|').map(str::to_string).collect::<Vec<_>>())
        .filter(|f| f[0] == name)
        .collect()
}

/// The trigger names of the log, in order.
fn names(log: &[String]) -> Vec<String> {
    log.iter()
        .map(|l| l.split('|').next().unwrap_or("").to_string())
        .collect()
}

/// `plugn trigger NAME ARGS…` in the sandbox.
fn fire(sb: &Sandbox, name: &str, args: &[&str]) -> Out {
    let mut a = vec!["trigger", name];
    a.extend_from_slice(args);
    sb.plugn(&a)
}

fn touch(sb: &Sandbox, rel: &str) {
    let p = sb.lib_root().join("data").join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, "").unwrap();
}

fn remove(sb: &Sandbox, rel: &str) {
    let _ = std::fs::remove_file(sb.lib_root().join("data").join(rel));
}

fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn image_id(image: &str) -> String {
    docker_out(&["image", "inspect", "--format", "{{.Id}}", image])
}

/// A sandbox with Docker, quick checks and quick retirement.
fn docker_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.quick_deploys();
    sb
}

#[test]
fn the_pipeline_fires_core_post_extract_and_builder_release_at_dokkus_moments() {
    let sb = Sandbox::new();
    sb.use_fx_builder();
    sb.record_triggers_with(
        "aa-record",
        &[
            "receive-app",
            "core-post-extract",
            "post-extract",
            "builder-detect",
            "pre-receive-app",
            "builder-build",
            "builder-release",
            "release-and-deploy",
        ],
        RECORDER,
    );
    sb.dokku(&["apps:create", "web"]).ok();
    // build-dir is applied at core-post-extract: a post-extract sorted before every core
    // plugin already sees the subfolder's files at the top.
    sb.dokku(&["builder:set", "web", "build-dir", "sub"]).ok();
    sb.deploy_source(
        "web",
        &[("sub/FX", ""), ("sub/id.txt", "one"), ("README", "top")],
    )
    .ok();
    let rev = sb.config_get("web", "GIT_REV");
    let log = recorded(&sb);
    assert_eq!(
        names(&log),
        [
            "receive-app",
            "core-post-extract",
            "post-extract",
            "builder-detect",
            "pre-receive-app",
            "builder-build",
            "builder-release",
            "release-and-deploy"
        ],
        "{log:#?}"
    );
    let core = &calls(&log, "core-post-extract")[0];
    let post = &calls(&log, "post-extract")[0];
    let dir = core[2].clone();
    assert_eq!(core[1..4], ["web", dir.as_str(), rev.as_str()], "{log:#?}");
    assert_eq!(post[1..4], ["web", dir.as_str(), rev.as_str()], "{log:#?}");
    assert_eq!(post[4], "files=FX,id.txt,", "{log:#?}");
    assert_eq!(
        calls(&log, "pre-receive-app")[0][1..],
        ["web", "fx", dir.as_str(), rev.as_str()]
    );
    assert_eq!(calls(&log, "builder-build")[0][1..], ["fx", "web", &dir]);
    assert_eq!(
        calls(&log, "builder-release")[0][1..],
        ["fx", "web", "latest"]
    );
    assert_eq!(calls(&log, "release-and-deploy")[0][1..], ["web", "latest"]);
    assert_eq!(sb.builds("web").len(), 2, "{:?}", sb.builds("web"));

    // ps:rebuild's path (receive-app APP, without a revision) goes through the same steps.
    clear_recorded(&sb);
    fire(&sb, "receive-app", &["web"]).ok();
    let log = recorded(&sb);
    let n = names(&log);
    for t in [
        "core-post-extract",
        "post-extract",
        "builder-build",
        "builder-release",
        "release-and-deploy",
    ] {
        assert!(n.contains(&t.to_string()), "{t}: {log:#?}");
    }
    assert_eq!(calls(&log, "core-post-extract")[0][3], rev);

    // A failed builder-release stops the deploy: no release-and-deploy, GIT_REV unchanged.
    touch(&sb, "aa-record.fail-builder-release");
    clear_recorded(&sb);
    let out = sb.deploy_source("web", &[("sub/id.txt", "two")]).fails();
    assert!(out.stderr.contains("builder-release refused"), "{out:#?}");
    assert!(out.stderr.contains("the fx release of"), "{out:#?}");
    let log = recorded(&sb);
    assert!(!names(&log).contains(&"release-and-deploy".to_string()));
    assert_eq!(sb.config_get("web", "GIT_REV"), rev);
    remove(&sb, "aa-record.fail-builder-release");
}

#[test]
fn builder_get_property_answers_the_app_and_global_values() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let value = |app: &str, key: &str| {
        fire(&sb, "builder-get-property", &[app, key])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(value("web", "selected"), "");
    sb.dokku(&["builder:set", "web", "selected", "dockerfile"])
        .ok();
    sb.dokku(&["builder:set", "web", "build-dir", "apps/web"])
        .ok();
    sb.dokku(&["builder:set", "--global", "selected", "herokuish"])
        .ok();
    assert_eq!(value("web", "selected"), "dockerfile");
    assert_eq!(value("web", "build-dir"), "apps/web");
    assert_eq!(value("--global", "selected"), "herokuish");
    assert_eq!(value("--global", "build-dir"), "");
    fire(&sb, "builder-get-property", &["web", "nope"]).fails();
    fire(&sb, "builder-get-property", &["Bad App", "selected"]).fails();
}

#[test]
fn git_answers_revision_deploy_branch_properties_and_has_code() {
    let sb = Sandbox::new();
    sb.use_fx_builder();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["apps:create", "empty"]).ok();
    let answer = |name: &str, args: &[&str]| fire(&sb, name, args).ok().stdout.trim().to_string();
    // Before any code: master, no revision, no code.
    assert_eq!(answer("git-deploy-branch", &["web"]), "master");
    assert_eq!(answer("git-revision", &["web"]), "");
    fire(&sb, "git-has-code", &["web"]).fails();
    sb.deploy_source("web", &[("id.txt", "one")]).ok();
    let rev = sb.config_get("web", "GIT_REV");
    assert_eq!(answer("git-revision", &["web"]), rev);
    // git:sync of `main` made it the app's deploy branch.
    assert_eq!(answer("git-deploy-branch", &["web"]), "main");
    assert_eq!(
        answer("git-get-property", &["web", "deploy-branch"]),
        "main"
    );
    fire(&sb, "git-has-code", &["web"]).ok();
    fire(&sb, "git-has-code", &["web", "main"]).ok();
    fire(&sb, "git-has-code", &["web", "other"]).fails();
    fire(&sb, "git-has-code", &["empty"]).fails();
    // The global deploy branch, then master.
    sb.dokku(&["git:set", "--global", "deploy-branch", "prod"])
        .ok();
    assert_eq!(answer("git-deploy-branch", &["empty"]), "prod");
    assert_eq!(
        answer("git-get-property", &["--global", "deploy-branch"]),
        "prod"
    );
    assert_eq!(answer("git-deploy-branch", &["web"]), "main");
    // The other properties.
    assert_eq!(
        answer("git-get-property", &["web", "keep-git-dir"]),
        "false"
    );
    sb.dokku(&["git:set", "web", "keep-git-dir", "true"]).ok();
    assert_eq!(answer("git-get-property", &["web", "keep-git-dir"]), "true");
    assert_eq!(
        answer("git-get-property", &["web", "rev-env-var"]),
        "GIT_REV"
    );
    assert_eq!(answer("git-get-property", &["web", "source-image"]), "");
    assert!(!answer("git-get-property", &["web", "last-updated-at"]).is_empty());
    fire(&sb, "git-get-property", &["web", "nope"]).fails();
    // git-revision follows rev-env-var: another var (unset yet), then none at all.
    sb.dokku(&["git:set", "web", "rev-env-var", "MY_REV"]).ok();
    assert_eq!(
        answer("git-get-property", &["web", "rev-env-var"]),
        "MY_REV"
    );
    assert_eq!(answer("git-revision", &["web"]), "");
    sb.deploy_source("web", &[("id.txt", "two")]).ok();
    assert_eq!(
        answer("git-revision", &["web"]),
        sb.config_get("web", "MY_REV")
    );
    sb.dokku(&["git:set", "web", "rev-env-var", ""]).ok();
    assert_eq!(answer("git-revision", &["web"]), "");
    assert_eq!(answer("git-get-property", &["web", "rev-env-var"]), "");
}

#[test]
fn git_from_archive_and_image_go_through_the_git_from_triggers() {
    let sb = Sandbox::new();
    sb.use_fx_builder();
    sb.record_triggers_with(
        "aa-record",
        &["git-from-archive", "git-from-image", "git-from-directory"],
        RECORDER,
    );
    let src = sb.work_tree("src");
    sb.commit(&src, &[("id.txt", "arch")], "a");
    let archive = dokku_tests::git(&src)
        .args(["archive", "--format", "tar.gz", "--prefix", "proj/", "HEAD"])
        .output()
        .unwrap()
        .stdout;
    // From stdin: ARCHIVE_URL is `--`, the type empty (told from the bytes), the default author.
    sb.dokku_in(&["git:from-archive", "web", "-"], &archive)
        .ok();
    let log = recorded(&sb);
    assert_eq!(
        calls(&log, "git-from-archive")[0][1..],
        ["web", "--", "", "Dokku", "automated@dokku.sh"],
        "{log:#?}"
    );
    let dir = &calls(&log, "git-from-directory")[0];
    assert_eq!(dir[1], "web");
    assert_eq!(dir[3..], ["Dokku", "automated@dokku.sh", "files=id.txt,"]);
    assert_eq!(sb.builds("web").len(), 2, "{:?}", sb.builds("web"));
    sb.dokku(&["apps:report", "web", "--app-deploy-source"])
        .ok()
        .out_has("archive");
    // A type and an author are handed on as given; the commit has that author.
    let zip = dokku_tests::git(&src)
        .args(["archive", "--format", "zip", "HEAD"])
        .output()
        .unwrap()
        .stdout;
    clear_recorded(&sb);
    sb.dokku_in(
        &[
            "git:from-archive",
            "--archive-type",
            "zip",
            "web",
            "-",
            "Jane Doe",
            "jane@example.com",
        ],
        &zip,
    )
    .ok();
    let log = recorded(&sb);
    assert_eq!(
        calls(&log, "git-from-archive")[0][1..],
        ["web", "--", "zip", "Jane Doe", "jane@example.com"]
    );
    assert_eq!(
        calls(&log, "git-from-directory")[0][3..5],
        ["Jane Doe", "jane@example.com"]
    );

    // From an image, with and without a build dir.
    clear_recorded(&sb);
    sb.dokku(&["git:from-image", "img", "example/app:1.2"]).ok();
    let log = recorded(&sb);
    assert_eq!(
        calls(&log, "git-from-image")[0][1..],
        ["img", "example/app:1.2", "", "Dokku", "automated@dokku.sh"]
    );
    assert_eq!(
        calls(&log, "git-from-directory")[0].last().unwrap(),
        "files=Dockerfile,"
    );
    assert!(sb
        .builds("img")
        .contains(&"dockerfile FROM example/app:1.2".to_string()));
    sb.dokku(&["git:report", "img", "--git-source-image"])
        .ok()
        .out_has("example/app:1.2");
    sb.dokku(&["apps:report", "img", "--app-deploy-source"])
        .ok()
        .out_has("docker-image");
    let ctx = sb.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("extra.txt"), "x").unwrap();
    let ctx_s = ctx.display().to_string();
    clear_recorded(&sb);
    sb.dokku(&[
        "git:from-image",
        "--build-dir",
        &ctx_s,
        "img",
        "example/app:1.3",
    ])
    .ok();
    let log = recorded(&sb);
    assert_eq!(calls(&log, "git-from-image")[0][3], ctx_s);
    assert_eq!(
        calls(&log, "git-from-directory")[0].last().unwrap(),
        "files=Dockerfile,extra.txt,"
    );
    sb.dokku(&["git:from-image", "--build-dir", "relative", "img", "x:1"])
        .fails()
        .one_error_line();

    // git-from-directory, fired by any plugin, commits the folder and deploys it.
    let d = sb.dir.path().join("plain");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("id.txt"), "from-dir").unwrap();
    let before = sb.builds("web").len();
    fire(
        &sb,
        "git-from-directory",
        &["web", &d.display().to_string()],
    )
    .ok();
    let builds = sb.builds("web");
    assert_eq!(builds.len(), before + 2, "{builds:?}");
    assert!(builds[before].starts_with("start from-dir"), "{builds:?}");
}

#[test]
fn a_dockerfile_build_and_release_fire_dokkus_triggers_and_a_refused_release_rolls_back() {
    let sb = docker_sandbox();
    let app = sb.unique_app("tbd");
    sb.dokku(&["apps:create", &app]).ok();
    sb.record_triggers_with(
        "aa-record",
        &[
            "pre-build-dockerfile",
            "pre-build",
            "docker-args-build",
            "docker-args-process-build",
            "post-build-dockerfile",
            "post-build",
            "builder-release",
            "pre-release-builder",
            "post-release-builder",
            "release-and-deploy",
        ],
        RECORDER,
    );
    let image = format!("dokku/{app}:latest");
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dokku_tests::docker::web_dockerfile("one"))],
    )
    .ok();
    let log = recorded(&sb);
    assert_eq!(
        names(&log),
        [
            "pre-build-dockerfile",
            "pre-build",
            "docker-args-build",
            "docker-args-process-build",
            "post-build-dockerfile",
            "post-build",
            "builder-release",
            "pre-release-builder",
            "post-release-builder",
            "release-and-deploy"
        ],
        "{log:#?}"
    );
    let dir = calls(&log, "pre-build")[0][3].clone();
    assert_eq!(calls(&log, "pre-build-dockerfile")[0][1..], [app.as_str()]);
    assert_eq!(
        calls(&log, "pre-build")[0][1..],
        ["dockerfile", app.as_str(), dir.as_str()]
    );
    assert_eq!(
        calls(&log, "docker-args-build")[0][1..3],
        [app.as_str(), "dockerfile"]
    );
    assert_eq!(
        calls(&log, "docker-args-process-build")[0][1..],
        [app.as_str(), "dockerfile", "stdin="]
    );
    assert_eq!(calls(&log, "post-build-dockerfile")[0][1..], [app.as_str()]);
    assert_eq!(
        calls(&log, "post-build")[0][1..],
        ["dockerfile", app.as_str(), dir.as_str()]
    );
    assert_eq!(
        calls(&log, "builder-release")[0][1..],
        ["dockerfile", app.as_str(), "latest"]
    );
    let good = image_id(&image);
    // The release triggers name the full image, which exists by then.
    assert_eq!(
        calls(&log, "pre-release-builder")[0][1..],
        [
            "dockerfile",
            app.as_str(),
            image.as_str(),
            &format!("image={good}")
        ]
    );
    assert_eq!(
        calls(&log, "post-release-builder")[0][1..],
        ["dockerfile", app.as_str(), image.as_str()]
    );
    assert_eq!(
        calls(&log, "release-and-deploy")[0][1..],
        [app.as_str(), "latest"]
    );
    // What docker-args-process-build printed reached `docker build`.
    assert_eq!(
        docker_out(&[
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"com.example.recorded\"}}",
            &image
        ]),
        "dockerfile"
    );
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
    // The image was not built by herokuish.
    assert_eq!(
        fire(&sb, "builder-image-is-herokuish", &[&app, &image])
            .ok()
            .stdout
            .trim(),
        "false"
    );

    // ps:rebuild builds and releases the same way.
    clear_recorded(&sb);
    sb.dokku(&["ps:rebuild", &app]).ok();
    let n = names(&recorded(&sb));
    for t in [
        "pre-build",
        "post-build",
        "builder-release",
        "pre-release-builder",
        "post-release-builder",
        "release-and-deploy",
    ] {
        assert!(n.contains(&t.to_string()), "{t}: {n:?}");
    }
    let good = image_id(&image);

    // A refused release: no deploy, `latest` is the serving image again, the old release
    // keeps answering.
    touch(&sb, "aa-record.fail-release");
    clear_recorded(&sb);
    let out = sb
        .deploy_source(
            &app,
            &[("Dockerfile", &dokku_tests::docker::web_dockerfile("two"))],
        )
        .fails();
    assert!(out.stderr.contains("release refused"), "{out:#?}");
    assert!(out.stderr.contains("the dockerfile release of"), "{out:#?}");
    let n = names(&recorded(&sb));
    assert!(n.contains(&"pre-release-builder".to_string()), "{n:?}");
    assert!(!n.contains(&"post-release-builder".to_string()), "{n:?}");
    assert!(!n.contains(&"release-and-deploy".to_string()), "{n:?}");
    assert_eq!(image_id(&image), good);
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
    sb.dokku(&["ps:restart", &app]).ok();
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
    remove(&sb, "aa-record.fail-release");

    // A build that fails after tagging (in post-build) leaves `latest` as it was, too.
    touch(&sb, "aa-record.fail-post-build");
    let out = sb
        .deploy_source(
            &app,
            &[("Dockerfile", &dokku_tests::docker::web_dockerfile("three"))],
        )
        .fails();
    assert!(out.stderr.contains("post-build refused"), "{out:#?}");
    assert_eq!(image_id(&image), good);
    remove(&sb, "aa-record.fail-post-build");

    // The null builder releases the image that is there, between the same two triggers.
    sb.dokku(&["builder:set", &app, "selected", "null"]).ok();
    clear_recorded(&sb);
    sb.deploy_source(&app, &[("README", "null")]).ok();
    let log = recorded(&sb);
    assert_eq!(
        calls(&log, "builder-release")[0][1..],
        ["null", app.as_str(), "latest"]
    );
    assert_eq!(
        calls(&log, "pre-release-builder")[0][1..4],
        ["null", app.as_str(), image.as_str()]
    );
    assert_eq!(
        calls(&log, "post-release-builder")[0][1..],
        ["null", app.as_str(), image.as_str()]
    );
    assert!(calls(&log, "pre-build").is_empty(), "{log:#?}");
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("one")
    );
}

#[test]
fn a_buildpack_build_fires_the_buildpack_triggers_first_and_its_image_is_herokuish() {
    let sb = docker_sandbox();
    dokku_tests::docker::stack_image();
    let app = sb.unique_app("tbh");
    let _cache = CacheVolume(app.clone());
    sb.dokku(&["apps:create", &app]).ok();
    let buildpack = dokku_tests::fixture("buildpacks/busybox-web");
    sb.dokku(&["buildpacks:add", &app, &buildpack.display().to_string()])
        .ok();
    sb.record_triggers_with(
        "aa-record",
        &[
            "pre-build-buildpack",
            "pre-build",
            "docker-args-build",
            "docker-args-process-build",
            "post-build-buildpack",
            "post-build",
            "builder-release",
            "pre-release-builder",
            "post-release-builder",
            "release-and-deploy",
        ],
        RECORDER,
    );
    sb.deploy_source(&app, &[("index.html", "buildpack v1")])
        .ok();
    let log = recorded(&sb);
    assert_eq!(
        names(&log),
        [
            "pre-build-buildpack",
            "pre-build",
            "docker-args-build",
            "docker-args-process-build",
            "post-build-buildpack",
            "post-build",
            "builder-release",
            "pre-release-builder",
            "post-release-builder",
            "release-and-deploy"
        ],
        "{log:#?}"
    );
    let image = format!("dokku/{app}:latest");
    let dir = calls(&log, "pre-build")[0][3].clone();
    assert_eq!(
        calls(&log, "pre-build-buildpack")[0][1..],
        [app.as_str(), dir.as_str()]
    );
    assert_eq!(
        calls(&log, "post-build-buildpack")[0][1..],
        [app.as_str(), dir.as_str()]
    );
    assert_eq!(
        calls(&log, "docker-args-process-build")[0][1..],
        [app.as_str(), "herokuish", "stdin="]
    );
    assert_eq!(
        calls(&log, "pre-release-builder")[0][1..4],
        ["herokuish", app.as_str(), image.as_str()]
    );
    assert_eq!(
        calls(&log, "post-release-builder")[0][1..],
        ["herokuish", app.as_str(), image.as_str()]
    );
    assert_eq!(
        http_body(sb.web_port(&app, "web.1")).as_deref(),
        Some("buildpack v1")
    );
    assert_eq!(
        fire(&sb, "builder-image-is-herokuish", &[&app, &image])
            .ok()
            .stdout
            .trim(),
        "true"
    );
    assert_eq!(
        fire(
            &sb,
            "builder-image-is-herokuish",
            &[&app, dokku_tests::docker::BUSYBOX_IMAGE]
        )
        .ok()
        .stdout
        .trim(),
        "false"
    );
}

/// Removes an app's herokuish build cache volume when dropped.
struct CacheVolume(String);

impl Drop for CacheVolume {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["volume", "rm", "--force", &format!("cache-{}", self.0)])
            .output();
    }
}
