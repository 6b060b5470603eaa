//! The image and container helpers of `plugins-available/common/functions` against a real
//! deploy on the Docker engine: `is_deployed` before and after, `get_app_container_ids`,
//! `get_app_running_container_ids`, `get_running_image_tag`, `verify_image`,
//! `get_app_image_name` with a tag, `is_image_herokuish_based`, `copy_from_image`,
//! `dokku_container_log_verbose_quiet`.

use dokku_tests::{docker::web_dockerfile, Out, Sandbox};
use std::process::Command;

const PRELUDE: &str = "set -euo pipefail\n. \"$PLUGIN_CORE_AVAILABLE_PATH/common/functions\"\n";

fn sh(sb: &Sandbox, script: &str, args: &[&str]) -> Out {
    let mut c = sb.command("bash");
    c.arg("-c")
        .arg(format!("{PRELUDE}{script}"))
        .arg("helpers-test")
        .args(args);
    sb.run(c, b"")
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn image_and_container_helpers_after_a_deploy() {
    let sb = Sandbox::new();
    sb.use_docker();
    sb.dokku(&["checks:set", "--global", "default-wait", "1"])
        .ok();
    sb.dokku(&["checks:set", "--global", "wait-to-retire", "1"])
        .ok();
    let app = sb.unique_app("helpers");
    sb.dokku(&["apps:create", &app]).ok();

    // Before the deploy: not deployed, no containers, no image.
    let out = sh(
        &sb,
        "is_deployed \"$1\" || echo not-deployed\n\
         get_app_container_ids \"$1\"\n\
         verify_image \"$(get_app_image_name \"$1\")\" || echo no-image\n\
         get_app_running_container_ids \"$1\"",
        &[&app],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "not-deployed\nno-image\n");
    assert_eq!(
        out.stderr,
        format!(" !     App {app} has not been deployed\n")
    );

    let dockerfile = format!(
        "{}RUN echo hello-from-image > /greeting\nWORKDIR /www\n",
        web_dockerfile("x")
    );
    sb.deploy_source(&app, &[("Dockerfile", &dockerfile)]).ok();

    // After: deployed, one web container, the one docker knows by label.
    let out = sh(
        &sb,
        "is_deployed \"$1\" && echo deployed\n\
         get_app_image_name \"$1\"\n\
         get_app_image_name \"$1\" latest\n\
         verify_image \"$(get_app_image_name \"$1\")\" && echo image\n\
         get_running_image_tag \"$1\"\n\
         get_app_running_container_types \"$1\"",
        &[&app],
    )
    .ok();
    assert_eq!(
        out.stdout,
        format!("deployed\ndokku/{app}:latest\ndokku/{app}:latest\nimage\nlatest\nweb\n")
    );
    let ids = sh(&sb, "get_app_container_ids \"$1\"", &[&app]).ok().stdout;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let labelled = docker(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
        "--filter",
        "label=com.dokku.process-type=web",
    ]);
    assert!(
        labelled.starts_with(ids[0]) || ids[0].starts_with(&labelled),
        "{labelled} vs {ids:?}"
    );
    let out = sh(
        &sb,
        "get_app_container_ids \"$1\" web\n\
         get_app_container_ids \"$1\" web.1\n\
         get_app_container_ids \"$1\" worker; echo end\n\
         get_app_running_container_ids \"$1\"\n\
         is_app_running \"$1\" && echo running\n\
         is_container_running \"$2\" && echo cid-running\n\
         is_container_status \"$2\" Paused || echo not-paused",
        &[&app, ids[0]],
    )
    .ok();
    assert_eq!(
        out.stdout,
        format!(
            "{id}\n{id}\nend\n{id}\nrunning\ncid-running\nnot-paused\n",
            id = ids[0]
        )
    );

    // A tag that does not exist fails with the image named.
    let out = sh(&sb, "get_app_image_name \"$1\" nosuch", &[&app]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!(" !     App image (dokku/{app}:nosuch) not found\n")
    );

    // A Dockerfile image is not herokuish-based; a herokuish-labelled one is.
    let image = format!("dokku/{app}:latest");
    let out = sh(
        &sb,
        "is_image_herokuish_based \"$1\" || echo \"not-herokuish rc=$?\"\n\
         is_image_herokuish_based nosuch/image:x || echo missing",
        &[&image],
    )
    .ok();
    assert_eq!(out.stdout, "not-herokuish rc=1\nmissing\n");
    let herokuish_tag = format!("dokku/{app}:herokuish-label");
    let ctx = sb.dir.path().join("hk");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {image}\nLABEL com.dokku.builder-type=herokuish\n"),
    )
    .unwrap();
    docker(&[
        "build",
        "-q",
        "--label",
        &format!("com.dokku.app-name={app}"),
        "-t",
        &herokuish_tag,
        ctx.to_str().unwrap(),
    ]);
    let out = sh(
        &sb,
        "is_image_herokuish_based \"$1\" && echo herokuish",
        &[&herokuish_tag],
    )
    .ok();
    assert_eq!(out.stdout, "herokuish\n");

    // copy_from_image: an absolute path, a path relative to WORKDIR, a missing file, a
    // missing image; no container is left behind.
    let dest = sb.dir.path().join("copied");
    std::fs::create_dir_all(&dest).unwrap();
    let d = dest.to_str().unwrap();
    let out = sh(
        &sb,
        "copy_from_image \"$1\" /greeting \"$2/abs\" && echo abs\n\
         copy_from_image \"$1\" index.html \"$2\" && echo rel\n\
         copy_from_image \"$1\" /nope \"$2/nope\" || echo \"missing-file rc=$?\"\n\
         copy_from_image nosuch/image:x /greeting \"$2/x\" || echo \"missing-image rc=$?\"",
        &[&image, d],
    )
    .ok();
    assert_eq!(
        out.stdout,
        "abs\nrel\nmissing-file rc=1\nmissing-image rc=1\n"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("abs")).unwrap(),
        "hello-from-image\n"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("index.html")).unwrap(),
        "x\n"
    );
    assert!(!dest.join("nope").exists());
    let all = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.dokku.app-name={app}"),
    ]);
    assert_eq!(all.split_whitespace().count(), 1, "left behind: {all}");

    // The container's log as verbose lines (silent under quiet).
    let out = sh(
        &sb,
        "dokku_container_log_verbose_quiet \"$1\"; echo end",
        &[ids[0]],
    )
    .ok();
    assert!(out.stdout.ends_with("end\n"), "{}", out.stdout);
    for line in out.stdout.lines().filter(|l| *l != "end") {
        assert!(line.starts_with("       "), "{line:?}");
    }
    let out = sh(
        &sb,
        "DOKKU_QUIET_OUTPUT=1 dokku_container_log_verbose_quiet \"$1\"; echo end",
        &[ids[0]],
    )
    .ok();
    assert_eq!(out.stdout, "end\n");

    // After ps:stop the records stay (Dokku's is_deployed is about the release) but nothing runs.
    sb.dokku(&["ps:stop", &app]).ok();
    let out = sh(
        &sb,
        "is_deployed \"$1\" && echo deployed\n\
         get_app_running_container_ids \"$1\"; echo end\n\
         is_app_running \"$1\" || echo stopped",
        &[&app],
    )
    .ok();
    assert_eq!(out.stdout, "deployed\nend\nstopped\n");
}
