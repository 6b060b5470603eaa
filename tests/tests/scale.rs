//! Commands over every app ask each plugin once (the batch `--all` forms of the per-app
//! triggers) and produce exactly what asking app by app produces: the triggers' batch answers,
//! `proxy:build-config --all` against per-app builds (byte for byte), `dokku report` against
//! the per-app reports. No timings here: `scripts/bench --only proxy` measures them.

use dokku_tests::Sandbox;
use std::collections::BTreeMap;

/// 12 apps with different domains, port maps, listeners, proxy and nginx settings.
fn varied_apps(sb: &Sandbox) -> Vec<String> {
    let mut apps = Vec::new();
    for i in 0..12 {
        let app = format!("s{i:02}");
        sb.dokku(&["--quiet", "apps:create", &app]).ok();
        if i % 4 != 3 {
            let dir = sb.dokku_root().join(&app);
            std::fs::write(dir.join("PORT.web.1"), format!("{}\n", 40000 + i)).unwrap();
            std::fs::write(dir.join("IP.web.1"), "127.0.0.1\n").unwrap();
            if i % 5 == 1 {
                std::fs::write(dir.join("PORT.web.2"), format!("{}\n", 41000 + i)).unwrap();
                std::fs::write(dir.join("IP.web.2"), "127.0.0.1\n").unwrap();
            }
        }
        match i % 6 {
            0 => {
                sb.dokku(&["domains:add", &app, &format!("www{i}.example.com")])
                    .ok();
            }
            1 => {
                sb.dokku(&["ports:set", &app, "http:80:3000", "http:8080:4000"])
                    .ok();
            }
            2 => {
                sb.dokku(&["proxy:set", &app, "proxy-port", &format!("{}", 18000 + i)])
                    .ok();
            }
            3 => {
                sb.dokku(&["nginx:set", &app, "client-max-body-size", "20m"])
                    .ok();
            }
            4 => {
                sb.dokku(&["domains:disable", &app]).ok();
            }
            _ => {}
        }
        if i % 7 == 2 {
            sb.dokku(&["proxy:disable", &app]).ok();
        }
        if i == 5 || i == 6 {
            sb.dokku(&["certs:generate", &app]).ok();
        }
        apps.push(app);
    }
    apps
}

/// Each app's nginx.conf (`None`: none).
fn configs(sb: &Sandbox, apps: &[String]) -> BTreeMap<String, Option<String>> {
    apps.iter()
        .map(|a| {
            let conf = std::fs::read_to_string(sb.dokku_root().join(a).join("nginx.conf")).ok();
            (a.clone(), conf)
        })
        .collect()
}

fn clear(sb: &Sandbox, apps: &[String]) {
    for a in apps {
        let _ = std::fs::remove_file(sb.dokku_root().join(a).join("nginx.conf"));
    }
}

#[test]
fn batch_forms_answer_what_the_single_app_forms_answer() {
    let sb = Sandbox::with_nginx();
    let apps = varied_apps(&sb);

    // Each batch form: lines APP<TAB>LINE, which taken app by app (in the order given, each
    // implementing plugin's in turn) are the app's own answer, then an `--all` line.
    for (trigger, args) in [
        ("proxy-type", &[][..]),
        ("proxy-is-enabled", &[][..]),
        ("proxy-get-property", &["proxy-port"][..]),
        ("ports-get", &[][..]),
        ("ports-get-container-port", &[][..]),
        ("certs-exists", &[][..]),
        ("domains-list", &[][..]),
        ("network-get-listeners", &["web"][..]),
        ("report", &[][..]),
    ] {
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for app in &apps {
            let mut argv = vec!["trigger", trigger, app.as_str()];
            argv.extend_from_slice(args);
            let one = sb.plugn(&argv).ok().stdout;
            expected.insert(app.clone(), one.lines().map(str::to_string).collect());
        }
        let mut argv = vec!["trigger", trigger, "--all"];
        argv.extend_from_slice(args);
        let all = sb.plugn(&argv).ok().stdout;
        assert_eq!(all.lines().last(), Some("--all"), "{trigger} --all");
        let mut got: BTreeMap<String, Vec<String>> =
            apps.iter().map(|a| (a.clone(), Vec::new())).collect();
        for line in all.lines().filter(|l| *l != "--all") {
            let (app, value) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{trigger} --all answered {line:?}"));
            got.get_mut(app)
                .unwrap_or_else(|| panic!("{trigger} --all named {app:?}"))
                .push(value.to_string());
        }
        assert_eq!(got, expected, "{trigger} --all");
    }

    // proxy:build-config --all writes, byte for byte, what building each app writes.
    clear(&sb, &apps);
    for app in &apps {
        sb.dokku(&["proxy:build-config", app]).ok();
    }
    let one_by_one = configs(&sb, &apps);
    assert!(one_by_one.values().filter(|c| c.is_some()).count() > 8);
    clear(&sb, &apps);
    sb.dokku(&["proxy:build-config", "--all"]).ok();
    assert_eq!(configs(&sb, &apps), one_by_one);

    // `dokku report`: after the host's lines, every app's report as `dokku report APP` has it.
    let reports = |out: String| -> String {
        out.lines()
            .filter(|l| !l.starts_with("-----> "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let all = reports(sb.dokku(&["report"]).ok().stdout);
    let each: String = apps
        .iter()
        .map(|a| reports(sb.dokku(&["report", a]).ok().stdout))
        .collect();
    assert!(all.contains("=====> s11 app information"), "{all}");
    assert_eq!(all, each);
}
