//! The scheduler plugin: `scheduler:set [--global|APP] selected [NAME]`, `scheduler:report`
//! (Dokku's keys, `--format json`) and the `scheduler-detect APP` answer (the app's choice, else
//! the global one, else `docker-local`).

use dokku_tests::{refused, Out, Sandbox};

fn fire(sb: &Sandbox, name: &str, args: &[&str]) -> Out {
    let mut a = vec!["trigger", name];
    a.extend_from_slice(args);
    sb.plugn(&a)
}

/// The first line `scheduler-detect APP` answers.
fn detect(sb: &Sandbox, app: &str) -> String {
    fire(sb, "scheduler-detect", &[app])
        .ok()
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn report_json(sb: &Sandbox, app: &str) -> serde_json::Value {
    let out = sb
        .dokku(&["scheduler:report", app, "--format", "json"])
        .ok();
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {out:#?}"))
}

#[test]
fn set_report_and_detect_round_trip() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["apps:create", "other"]).ok();
    assert_eq!(detect(&sb, "web"), "docker-local");
    assert_eq!(
        report_json(&sb, "web"),
        serde_json::json!({
            "scheduler-computed-selected": "docker-local",
            "scheduler-global-selected": "",
            "scheduler-selected": "",
            "computed-selected": "docker-local",
            "global-selected": "",
            "selected": "",
        })
    );

    sb.dokku(&["scheduler:set", "--global", "selected", "swarm"])
        .ok()
        .out_has("Setting selected to swarm");
    assert_eq!(detect(&sb, "web"), "swarm");
    assert_eq!(detect(&sb, "--global"), "swarm");
    sb.dokku(&["scheduler:set", "web", "selected", "docker-local"])
        .ok();
    assert_eq!(detect(&sb, "web"), "docker-local");
    assert_eq!(detect(&sb, "other"), "swarm");
    assert_eq!(
        report_json(&sb, "web"),
        serde_json::json!({
            "scheduler-computed-selected": "docker-local",
            "scheduler-global-selected": "swarm",
            "scheduler-selected": "docker-local",
            "computed-selected": "docker-local",
            "global-selected": "swarm",
            "selected": "docker-local",
        })
    );
    let one = sb
        .dokku(&["scheduler:report", "other", "--scheduler-computed-selected"])
        .ok();
    assert_eq!(one.stdout.trim(), "swarm");
    sb.dokku(&["scheduler:report", "web"])
        .ok()
        .out_has("=====> web scheduler information")
        .out_has("Scheduler computed selected:");
    assert_eq!(
        fire(&sb, "scheduler-get-property", &["web", "selected"])
            .ok()
            .stdout
            .trim(),
        "docker-local"
    );

    // An empty value (or none) unsets.
    sb.dokku(&["scheduler:set", "web", "selected", ""])
        .ok()
        .out_has("Unsetting selected");
    assert_eq!(detect(&sb, "web"), "swarm");
    sb.dokku(&["scheduler:set", "--global", "selected"]).ok();
    assert_eq!(detect(&sb, "web"), "docker-local");
    assert_eq!(report_json(&sb, "web")["scheduler-global-selected"], "");

    // Any scheduler plugin name may be chosen, installed or not (as Dokku allows).
    sb.dokku(&["scheduler:set", "other", "selected", "k3s"])
        .ok();
    assert_eq!(detect(&sb, "other"), "k3s");
}

#[test]
fn bad_input_is_refused_with_one_line_and_nothing_written() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let stored = |scope: &str| {
        sb.lib_root()
            .join("config/scheduler")
            .join(scope)
            .join("selected")
    };
    for bad in ["Swarm", "../x", "a b", "-x", "x;rm", "a/b", &"a".repeat(65)] {
        refused(
            sb.dokku(&["scheduler:set", "web", "selected", bad]),
            "invalid scheduler",
        );
        refused(
            sb.dokku(&["scheduler:set", "--global", "selected", bad]),
            "invalid scheduler",
        );
    }
    assert!(!stored("web").exists());
    assert!(!stored("--global").exists());
    refused(
        sb.dokku(&["scheduler:set", "web", "nope", "swarm"]),
        "invalid property",
    );
    refused(
        sb.dokku(&["scheduler:set", "missing", "selected", "swarm"]),
        "missing",
    );
    refused(sb.dokku(&["scheduler:set", "web"]), "no property");
    refused(
        sb.dokku(&["scheduler:set", "web", "selected", "swarm", "extra"]),
        "unexpected argument",
    );
    refused(
        sb.dokku(&["scheduler:report", "web", "--format", "yaml"]),
        "invalid --format",
    );
    refused(
        sb.dokku(&["scheduler:report", "web", "--scheduler-nope"]),
        "Invalid flag passed",
    );
    assert!(!stored("web").exists());
    fire(&sb, "scheduler-detect", &["Bad App"]).fails();
    fire(&sb, "scheduler-get-property", &["web", "nope"]).fails();
    // A value written by hand is still only an answer, never run: the core reads one line.
    assert_eq!(detect(&sb, "web"), "docker-local");
}

#[test]
fn setting_a_scheduler_stops_nothing() {
    let sb = Sandbox::new();
    sb.quick_deploys();
    let app = sb.unique_app("switch");
    sb.dokku(&["apps:create", &app]).ok();
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dokku_tests::docker::web_dockerfile("up"))],
    )
    .ok();
    let port = sb.web_port(&app, "web.1");
    assert_eq!(dokku_tests::http_body(port).as_deref(), Some("up"));
    sb.dokku(&["scheduler:set", &app, "selected", "swarm"]).ok();
    assert_eq!(detect(&sb, &app), "swarm");
    // The release keeps serving until the new scheduler deploys.
    assert_eq!(dokku_tests::http_body(port).as_deref(), Some("up"));
    sb.dokku(&["scheduler:set", &app, "selected"]).ok();
    assert_eq!(detect(&sb, &app), "docker-local");
    assert_eq!(dokku_tests::http_body(port).as_deref(), Some("up"));
}
