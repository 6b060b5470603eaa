//! Dokku 0.38's report and settings model for git, network, logs, scheduler,
//! scheduler-docker-local, registry, builds, cron and buildpacks: `PLUGIN:set --global KEY VALUE`
//! round trips through `PLUGIN:report --global` (heading `=====> Global PLUGIN information`,
//! its info flag, and `--format json` with and without the prefix); an app's report shows the
//! property raw (empty when unset), global and computed; an unknown report flag (or `--global`
//! on a report without global rows) says ` !     Invalid flag passed, valid flags: …`, and an
//! info flag beside `--format json` is refused. No containers: each test is a fresh root.

use dokku_tests::Sandbox;

/// (plugin, its set command, a global property, a valid value, the computed value when unset).
const GLOBALS: &[(&str, &str, &str, &str, &str)] = &[
    ("git", "git:set", "deploy-branch", "trunk", "master"),
    (
        "network",
        "network:set",
        "bind-all-interfaces",
        "true",
        "false",
    ),
    ("logs", "logs:set", "max-size", "20m", "10m"),
    (
        "scheduler",
        "scheduler:set",
        "selected",
        "null",
        "docker-local",
    ),
    (
        "scheduler-docker-local",
        "scheduler-docker-local:set",
        "parallel-schedule-count",
        "3",
        "1",
    ),
    (
        "registry",
        "registry:set",
        "push-on-release",
        "true",
        "false",
    ),
    ("builds", "builds:set", "retention", "7", "20"),
    ("cron", "cron:set", "maintenance", "true", "false"),
    (
        "buildpacks",
        "buildpacks:set-property",
        "stack",
        "example/stack:1",
        "dokku/stack:bookworm",
    ),
];

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn set_global_round_trips_through_the_global_and_app_reports() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    for (plugin, set, key, value, default) in GLOBALS {
        let report = format!("{plugin}:report");
        let global_flag = format!("--{plugin}-global-{key}");
        let computed_flag = format!("--{plugin}-computed-{key}");
        let raw_flag = format!("--{plugin}-{key}");
        let one = |args: &[&str]| sb.dokku(args).ok().stdout.trim_end().to_string();

        // Unset: raw and global empty, computed the default.
        assert_eq!(one(&[&report, "web", &raw_flag]), "", "{plugin}");
        assert_eq!(one(&[&report, "web", &global_flag]), "", "{plugin}");
        assert_eq!(one(&[&report, "web", &computed_flag]), *default, "{plugin}");
        assert_eq!(one(&[&report, "--global", &computed_flag]), *default);

        sb.dokku(&[set, "--global", key, value])
            .ok()
            .out_has(&format!("Setting {key}"));
        let text = sb.dokku(&[&report, "--global"]).ok().stdout;
        assert!(
            text.starts_with(&format!("=====> Global {plugin} information\n")),
            "{text}"
        );
        let label = format!("global {}:", key.replace('-', " "));
        let line = text
            .lines()
            .find(|l| l.to_lowercase().contains(&label))
            .unwrap_or_else(|| panic!("{plugin}: no {label:?} row in {text}"));
        assert!(line.ends_with(&format!(" {value}")), "{line}");
        assert_eq!(one(&[&report, "--global", &global_flag]), *value);
        assert_eq!(one(&[&report, "--global", &computed_flag]), *value);
        let v = json(
            &sb.dokku(&[&report, "--global", "--format", "json"])
                .ok()
                .stdout,
        );
        assert_eq!(v[format!("global-{key}")], *value, "{plugin}: {v}");
        assert_eq!(v[format!("{plugin}-global-{key}")], *value, "{plugin}: {v}");
        assert_eq!(v[format!("computed-{key}")], *value, "{plugin}: {v}");
        assert!(
            v.as_object()
                .unwrap()
                .keys()
                .all(|k| k.contains("global-") || k.contains("computed-")),
            "{plugin}: the global report has app rows: {v}"
        );

        // The app's own value stays empty; the global one is what it runs with.
        assert_eq!(one(&[&report, "web", &raw_flag]), "", "{plugin}");
        assert_eq!(one(&[&report, "web", &global_flag]), *value, "{plugin}");
        assert_eq!(one(&[&report, "web", &computed_flag]), *value, "{plugin}");
        let v = json(&sb.dokku(&[&report, "web", "--format", "json"]).ok().stdout);
        assert_eq!(v[key.to_string()], "", "{plugin}: {v}");
        assert_eq!(v[format!("{plugin}-{key}")], "", "{plugin}: {v}");

        sb.dokku(&[set, "--global", key])
            .ok()
            .out_has(&format!("Unsetting {key}"));
        assert_eq!(one(&[&report, "--global", &global_flag]), "", "{plugin}");
        assert_eq!(one(&[&report, "web", &computed_flag]), *default, "{plugin}");
    }
}

#[test]
fn an_app_value_is_reported_raw_beside_the_global_and_computed_ones() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.dokku(&["git:set", "--global", "keep-git-dir", "true"])
        .ok();
    sb.dokku(&["git:set", "web", "deploy-branch", "main"]).ok();
    let v = json(
        &sb.dokku(&["git:report", "web", "--format", "json"])
            .ok()
            .stdout,
    );
    assert_eq!(v["git-deploy-branch"], "main", "{v}");
    assert_eq!(v["git-global-deploy-branch"], "", "{v}");
    assert_eq!(v["git-computed-deploy-branch"], "main", "{v}");
    assert_eq!(v["git-keep-git-dir"], "", "{v}");
    assert_eq!(v["git-global-keep-git-dir"], "true", "{v}");
    assert_eq!(v["git-computed-keep-git-dir"], "true", "{v}");
    assert_eq!(v["computed-keep-git-dir"], "true", "{v}");
    sb.dokku(&["logs:set", "web", "max-size", "5m"]).ok();
    sb.dokku(&["logs:set", "--global", "max-size", "50m"]).ok();
    for (flag, want) in [
        ("--logs-max-size", "5m"),
        ("--logs-global-max-size", "50m"),
        ("--logs-computed-max-size", "5m"),
    ] {
        sb.dokku(&["logs:report", "web", flag])
            .ok()
            .out_has(&format!("{want}\n"));
    }
}

#[test]
fn bad_report_flags_say_invalid_flag_passed_with_the_valid_ones() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let plugins = [
        "git",
        "network",
        "logs",
        "scheduler",
        "scheduler-docker-local",
        "registry",
        "builds",
        "cron",
        "buildpacks",
        "storage",
        "scheduler-swarm",
    ];
    for plugin in plugins {
        let report = format!("{plugin}:report");
        let bogus = format!("--{plugin}-bogus");
        let out = sb.dokku(&[&report, "web", &bogus]).fails();
        let line = out.one_error_line();
        assert!(
            line.starts_with(" !     Invalid flag passed, valid flags: --"),
            "{plugin}: {line}"
        );
        // Dokku lists the flags sorted.
        let list = line.split("valid flags: ").nth(1).unwrap();
        let flags: Vec<&str> = list.split(", ").collect();
        let mut sorted = flags.clone();
        sorted.sort();
        assert_eq!(flags, sorted, "{plugin}");
        assert!(!flags.contains(&bogus.as_str()), "{plugin}");
        // Without an app too (every app's report).
        sb.dokku(&[&report, &bogus])
            .fails()
            .err_has("Invalid flag passed");
    }
    // An app row asked of the global report, `--global` where a report has no global rows.
    let line = sb
        .dokku(&["git:report", "--global", "--git-sha"])
        .fails()
        .one_error_line();
    assert!(line.contains("Invalid flag passed"), "{line}");
    assert!(line.contains("--git-global-deploy-branch"), "{line}");
    assert!(!line.contains("--git-sha"), "{line}");
    sb.dokku(&["scheduler-swarm:report", "web", "--global"])
        .fails()
        .err_has("Invalid flag passed");
    // An info flag and `--format json` together, as Dokku.
    let line = sb
        .dokku(&["git:report", "web", "--git-sha", "--format", "json"])
        .fails()
        .one_error_line();
    assert!(line.contains("--format flag cannot be specified"), "{line}");
    // `--global` with an app.
    sb.dokku(&["logs:report", "web", "--global"])
        .fails()
        .one_error_line();
}

/// ps's restart policy as Dokku reports it: raw (empty when unset), global, computed; a bad
/// policy answered with Dokku's words.
#[test]
fn ps_restart_policy_is_reported_raw_global_and_computed() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "web"]).ok();
    let flag = |f: &str| sb.dokku(&["ps:report", "web", f]).ok().stdout;
    assert_eq!(flag("--ps-restart-policy"), "\n");
    assert_eq!(flag("--ps-global-restart-policy"), "\n");
    assert_eq!(flag("--ps-computed-restart-policy"), "on-failure:10\n");
    sb.dokku(&["ps:set", "--global", "restart-policy", "always"])
        .ok();
    assert_eq!(flag("--ps-global-restart-policy"), "always\n");
    assert_eq!(flag("--ps-computed-restart-policy"), "always\n");
    sb.dokku(&["ps:set", "web", "restart-policy", "no"]).ok();
    assert_eq!(flag("--ps-restart-policy"), "no\n");
    assert_eq!(flag("--ps-computed-restart-policy"), "no\n");
    sb.dokku(&["ps:set", "web", "restart-policy", "sometimes"])
        .fails()
        .err_has("Invalid restart-policy specified")
        .one_error_line();
    assert_eq!(flag("--ps-restart-policy"), "no\n");
}
