//! The letsencrypt plugin, with the commands of Dokku's community `dokku-letsencrypt`: an
//! app's certificate from an ACME server (Let's Encrypt, or any directory URL) through Debian's
//! `lego`, for all the app's domains at once. http-01 is answered by the app's own nginx server
//! (Trigger `acme-challenge-dir APP` names the challenge folder; nginx-vhosts answers it on the
//! http port even when the app maps only https); with `dns-provider` set, dns-01 through lego's
//! providers (wildcards). The certificate is installed through the certs plugin (Trigger
//! `certs-set`, which fires `post-certs-update` and `proxy-build-config`). `auto-renew` renews
//! inside the grace period; a failure is logged to the events log, kept for `letsencrypt:list`
//! and the report, and makes the command fail.

mod lego;
mod settings;
mod state;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, property, trigger, trigger_value};
use state::State;

static PLUGIN: Plugin = Plugin {
    prefix: "letsencrypt",
    summary: "Automated TLS certificates from Let's Encrypt (or any ACME server)",
    commands: &[
        Command {
            name: "active",
            usage: "<app>",
            help: "Whether letsencrypt is active for an app (true or false)",
            run: active,
        },
        Command {
            name: "auto-renew",
            usage: "[<app>]",
            help: "Renew the certificates (of one app or of all) that expire within their grace period",
            run: auto_renew,
        },
        Command {
            name: "cleanup",
            usage: "<app>",
            help: "Remove the certificate files of an app that are no longer in use",
            run: cleanup,
        },
        Command {
            name: "cron-job",
            usage: "--add|--remove",
            help: "Add or remove the daily cron entry that runs letsencrypt:auto-renew",
            run: cron_job,
        },
        Command {
            name: "disable",
            usage: "<app>",
            help: "Remove the letsencrypt certificate of an app",
            run: disable,
        },
        Command {
            name: "enable",
            usage: "<app>",
            help: "Obtain a certificate for all of an app's domains and install it",
            run: enable,
        },
        Command {
            name: "list",
            usage: "[--format stdout|json]",
            help: "List the apps with letsencrypt certificates: domains, expiry, time left, last error",
            run: list,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays a letsencrypt report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "revoke",
            usage: "<app>",
            help: "Revoke the letsencrypt certificate of an app",
            run: revoke,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a letsencrypt property (email, server, graceperiod, dns-provider, lego-docker-args, dns-provider-VARIABLE)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("acme-challenge-dir", trigger_challenge_dir),
        Trigger::new("cron-entries", trigger_cron_entries),
        Trigger::new("post-delete", trigger_post_delete),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The app named by the one positional argument, which must exist.
fn one_app(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `letsencrypt:set [--global|APP] KEY [VALUE]`.
fn set(argv: &[String]) -> Result<()> {
    // `dns-provider-VARIABLE` keys are open-ended: the one given is taken when well-formed.
    let mut keys: Vec<&str> = settings::KEYS.to_vec();
    if let Some(k) = argv.iter().find(|a| settings::is_provider_var(a)) {
        keys.push(k);
    }
    let c = property::SetCommand::parse(argv, usage(), &keys)?;
    if let Some(v) = c.new_value() {
        settings::validate(&c.key, v)?;
    }
    if settings::is_provider_var(&c.key) {
        // A secret: stored (0600) but never echoed.
        match c.new_value() {
            Some(v) => {
                property::write(settings::PROPS, &c.scope, &c.key, v)?;
                log::info1(&format!("Setting {} (value hidden)", c.key));
            }
            None => {
                property::delete(settings::PROPS, &c.scope, &c.key)?;
                log::info1(&format!("Unsetting {}", c.key));
            }
        }
        return Ok(());
    }
    c.apply(settings::PROPS)
}

/// The names of the app's certificate: its domains that a certificate can name (a wildcard only
/// with a DNS provider).
fn domains_of(app: &str) -> Result<Vec<String>> {
    let listed = trigger_value("domains-list", &[app])?.unwrap_or_default();
    let names: Vec<String> = listed
        .lines()
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "_" && !d.starts_with('.'))
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        bail!("{app} has no domains: add one with dokku domains:add {app} <domain>");
    }
    if names.len() > 100 {
        bail!(
            "{app} has {} domains; a certificate names at most 100",
            names.len()
        );
    }
    if let Some(w) = names.iter().find(|d| d.starts_with("*.")) {
        if settings::computed(app, "dns-provider")?.is_empty() {
            bail!("{w} is a wildcard, which needs dns-01: set a DNS provider with dokku letsencrypt:set {app} dns-provider <name>");
        }
    }
    Ok(names)
}

/// The email in effect, refused when none is set.
fn email_of(app: &str) -> Result<String> {
    let e = settings::computed(app, "email")?;
    if e.is_empty() {
        bail!("no email set for letsencrypt: dokku letsencrypt:set --global email you@example.com (or for {app} alone)");
    }
    Ok(e)
}

/// `letsencrypt:enable APP`: a certificate for all the app's domains, installed.
fn enable(argv: &[String]) -> Result<()> {
    let app = one_app(argv, usage())?;
    let email = email_of(&app)?;
    let domains = domains_of(&app)?;
    let _lock = state::lock(&app)?;
    let before = state::load(&app)?;
    log::info1(&format!(
        "Retrieving a certificate for {} from {}",
        domains.join(", "),
        settings::server_url(&app)?
    ));
    match obtain(&app, &email, &domains, before.clone()) {
        Ok(()) => Ok(()),
        Err(e) => {
            if before.is_none() {
                // A first enable that failed leaves nothing behind: the challenge location goes.
                state::remove(&app)?;
                trigger("proxy-build-config", &[&app])?;
            }
            Err(e)
        }
    }
}

/// Obtains a certificate for DOMAINS and installs it through the certs plugin; the state
/// records the result (a failure too, when the app was enabled before).
fn obtain(app: &str, email: &str, domains: &[String], before: Option<State>) -> Result<()> {
    let webroot = state::webroot(app);
    if !webroot.is_dir() {
        std::fs::create_dir_all(webroot.join(".well-known/acme-challenge"))?;
        // nginx answers the challenges from now on.
        trigger("proxy-build-config", &[app])?;
    }
    let started = std::time::Instant::now();
    if let Err(e) = lego::run(app, email, domains, "run") {
        if let Some(mut s) = before {
            s.last_error = format!("{e:#}");
            s.last_error_at = state::now();
            state::save(app, &s)?;
        }
        return Err(e);
    }
    let (crt, key) = lego::cert_files(app, domains);
    let expires_at = lego::expiry(&crt)?;
    trigger(
        "certs-set",
        &[app, &crt.display().to_string(), &key.display().to_string()],
    )?;
    state::save(
        app,
        &State {
            domains: domains.to_vec(),
            expires_at,
            renewed_at: state::now(),
            ..State::default()
        },
    )?;
    log::info1(&format!(
        "Certificate of {app} installed in {:.1} s, valid until {}",
        started.elapsed().as_secs_f64(),
        when(expires_at)
    ));
    Ok(())
}

/// `letsencrypt:disable APP`: its certificate removed, its challenge folder and lego files gone.
fn disable(argv: &[String]) -> Result<()> {
    let app = one_app(argv, usage())?;
    let _lock = state::lock(&app)?;
    if state::load(&app)?.is_none() {
        bail!("letsencrypt is not active for {app}");
    }
    let has_cert = trigger_value("certs-exists", &[&app])?.is_some_and(|v| v.trim() == "true");
    state::remove(&app)?;
    if has_cert {
        trigger("certs-remove", &[&app])?;
    } else {
        trigger("proxy-build-config", &[&app])?;
    }
    log::info1(&format!("letsencrypt disabled for {app}"));
    Ok(())
}

/// `letsencrypt:active APP`: `true` or `false`.
fn active(argv: &[String]) -> Result<()> {
    let app = one_app(argv, usage())?;
    println!("{}", state::load(&app)?.is_some());
    Ok(())
}

/// Whether the app's certificate is due: it expires within the grace period.
fn due(app: &str, s: &State) -> Result<bool> {
    Ok(s.expires_at <= state::now().saturating_add(settings::grace(app)?))
}

/// `letsencrypt:auto-renew [APP]`: renews every due certificate; a failure is logged (events
/// log, state) and the command fails after trying the others.
fn auto_renew(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let apps = match a.pos(0) {
        Some(app) => {
            appname::verify(app)?;
            if state::load(app)?.is_none() {
                bail!("letsencrypt is not active for {app}");
            }
            vec![app.clone()]
        }
        None => appname::all()?,
    };
    let mut failed = Vec::new();
    for app in apps {
        let _lock = state::lock(&app)?;
        let Some(s) = state::load(&app)? else {
            continue;
        };
        if s.revoked || !due(&app, &s)? {
            log::info2(&format!(
                "{app}: certificate valid until {}, not due",
                when(s.expires_at)
            ));
            continue;
        }
        log::info1(&format!("Renewing the certificate of {app}"));
        let result = email_of(&app)
            .and_then(|e| Ok((e, domains_of(&app)?)))
            .and_then(|(e, d)| obtain(&app, &e, &d, Some(s.clone())));
        if let Err(e) = result {
            let msg = format!("{e:#}");
            let mut s2 = state::load(&app)?.unwrap_or(s);
            s2.last_error = msg.clone();
            s2.last_error_at = state::now();
            state::save(&app, &s2)?;
            let line =
                plugn::events::format_line("letsencrypt-renew-failed", &[app.clone(), msg.clone()]);
            if let Err(le) = plugn::events::append(dokku_core::paths(), &line) {
                log::warn(&format!("events log: {le:#}"));
            }
            log::warn(&format!("renewal of {app} failed: {msg}"));
            failed.push(app);
        }
    }
    if !failed.is_empty() {
        bail!(
            "renewal failed for {} (see dokku letsencrypt:list)",
            failed.join(", ")
        );
    }
    Ok(())
}

/// `letsencrypt:revoke APP`.
fn revoke(argv: &[String]) -> Result<()> {
    let app = one_app(argv, usage())?;
    let _lock = state::lock(&app)?;
    let Some(mut s) = state::load(&app)? else {
        bail!("letsencrypt is not active for {app}");
    };
    if s.revoked {
        bail!("the certificate of {app} is revoked already");
    }
    // lego revokes the certificate it keeps under the first name.
    lego::run(
        &app,
        &email_of(&app)?,
        &s.domains[..1.min(s.domains.len())],
        "revoke",
    )?;
    s.revoked = true;
    state::save(&app, &s)?;
    log::info1(&format!(
        "Certificate of {app} revoked: get a new one with dokku letsencrypt:enable {app}"
    ));
    Ok(())
}

/// `letsencrypt:cleanup APP`: lego's files of certificates the app no longer uses.
fn cleanup(argv: &[String]) -> Result<()> {
    let app = one_app(argv, usage())?;
    let _lock = state::lock(&app)?;
    let keep: Vec<String> = state::load(&app)?
        .map(|s| s.domains.first().map(|d| d.replace('*', "_")))
        .unwrap_or_default()
        .into_iter()
        .collect();
    let dir = state::lego_path(&app).join("certificates");
    let mut removed = 0;
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .trim_end_matches(".issuer.crt")
                .trim_end_matches(".crt")
                .trim_end_matches(".key")
                .trim_end_matches(".json")
                .trim_end_matches(".pem")
                .to_string();
            if !keep.contains(&stem) {
                std::fs::remove_file(e.path())?;
                removed += 1;
            }
        }
    }
    log::info1(&format!(
        "Removed {removed} unused certificate files of {app}"
    ));
    Ok(())
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
fn when(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Time left until `t`, as `12d 3h` (`expired` when past).
fn time_left(t: u64) -> String {
    let now = state::now();
    if t <= now {
        return "expired".to_string();
    }
    let left = t - now;
    format!("{}d {}h", left / 86_400, left % 86_400 / 3600)
}

/// `letsencrypt:list [--format stdout|json]`.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(0, usage())?;
    let json = match a.value("--format") {
        None | Some("stdout") => false,
        Some("json") => true,
        Some(f) => bail!("invalid --format {f:?}: give stdout or json"),
    };
    let mut rows = Vec::new();
    for app in appname::all()? {
        if let Some(s) = state::load(&app)? {
            rows.push((app, s));
        }
    }
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(app, s)| {
                serde_json::json!({
                    "app": app,
                    "domains": s.domains,
                    "expires_at": when(s.expires_at),
                    "expires_at_unix": s.expires_at,
                    "time_left": time_left(s.expires_at),
                    "renewed_at": when(s.renewed_at),
                    "revoked": s.revoked,
                    "last_error": s.last_error,
                })
            })
            .collect();
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    println!(
        "-----> App name           Certificate Expiry        Time before expiry        Last error"
    );
    for (app, s) in rows {
        let left = if s.revoked {
            "revoked".to_string()
        } else {
            time_left(s.expires_at)
        };
        println!(
            "{app:<24} {:<25} {left:<25} {}",
            when(s.expires_at),
            s.last_error
        );
    }
    Ok(())
}

/// `letsencrypt:cron-job --add|--remove`: the daily `letsencrypt:auto-renew` entry, which this
/// plugin hands the cron plugin through Trigger `cron-entries`; the crontab is rewritten now.
fn cron_job(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--add", "--remove"], &[])?;
    a.at_most(0, usage)?;
    let on = match (a.has("--add"), a.has("--remove")) {
        (true, false) => true,
        (false, true) => false,
        _ => bail!("give one of --add and --remove; usage: {usage}"),
    };
    if on {
        property::write(settings::PROPS, property::GLOBAL, "cron-job", "true")?;
    } else {
        property::delete(settings::PROPS, property::GLOBAL, "cron-job")?;
    }
    trigger("cron-entries-changed", &[])?;
    log::info1(if on {
        "Added the daily letsencrypt:auto-renew cron entry"
    } else {
        "Removed the letsencrypt:auto-renew cron entry"
    });
    Ok(())
}

/// Trigger `cron-entries SCHEDULER`: the daily renewal, when `cron-job --add` asked for it.
fn trigger_cron_entries(_argv: &[String]) -> Result<()> {
    if settings::own(property::GLOBAL, "cron-job")? == "true" {
        let bin = "dokku";
        let logs = dokku_core::paths().logs_dir.join("letsencrypt.log");
        println!(
            "{{\"schedule\":\"43 2 * * *\",\"command\":{},\"log-file\":{}}}",
            serde_json::to_string(&format!("{bin} letsencrypt:auto-renew"))?,
            serde_json::to_string(&logs.display().to_string())?
        );
    }
    Ok(())
}

/// Trigger `acme-challenge-dir APP` (or its batch form `--all`, for every app): the app's
/// challenge folder while letsencrypt is active.
fn trigger_challenge_dir(argv: &[String]) -> Result<()> {
    let dir_of = |app: &str| {
        let w = state::webroot(app);
        w.is_dir().then(|| w.display().to_string())
    };
    if dokku_core::batch::answer(argv, |app, _| Ok(dir_of(app).into_iter().collect()))? {
        return Ok(());
    }
    let Some(app) = argv.first() else {
        bail!("acme-challenge-dir needs APP");
    };
    appname::validate(app)?;
    if let Some(dir) = dir_of(app) {
        println!("{dir}");
    }
    Ok(())
}

/// Trigger `post-delete APP`: the app's letsencrypt data goes with it.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-delete needs APP");
    };
    appname::validate(app)?;
    state::remove(app)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("letsencrypt-active", "Letsencrypt active"),
    ("letsencrypt-autorenew", "Letsencrypt autorenew"),
    ("letsencrypt-computed-email", "Letsencrypt computed email"),
    ("letsencrypt-global-email", "Letsencrypt global email"),
    ("letsencrypt-email", "Letsencrypt email"),
    ("letsencrypt-computed-server", "Letsencrypt computed server"),
    ("letsencrypt-global-server", "Letsencrypt global server"),
    ("letsencrypt-server", "Letsencrypt server"),
    (
        "letsencrypt-computed-graceperiod",
        "Letsencrypt computed graceperiod",
    ),
    (
        "letsencrypt-global-graceperiod",
        "Letsencrypt global graceperiod",
    ),
    ("letsencrypt-graceperiod", "Letsencrypt graceperiod"),
    (
        "letsencrypt-computed-dns-provider",
        "Letsencrypt computed dns provider",
    ),
    (
        "letsencrypt-global-dns-provider",
        "Letsencrypt global dns provider",
    ),
    ("letsencrypt-dns-provider", "Letsencrypt dns provider"),
    (
        "letsencrypt-computed-lego-docker-args",
        "Letsencrypt computed lego docker args",
    ),
    (
        "letsencrypt-global-lego-docker-args",
        "Letsencrypt global lego docker args",
    ),
    (
        "letsencrypt-lego-docker-args",
        "Letsencrypt lego docker args",
    ),
    ("letsencrypt-expires-at", "Letsencrypt expires at"),
    ("letsencrypt-last-error", "Letsencrypt last error"),
];

fn report_of(app: &str) -> Result<Report> {
    let g = property::GLOBAL;
    let st = if app == g { None } else { state::load(app)? };
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let k = key.trim_start_matches("letsencrypt-");
        let value = if let Some(p) = k.strip_prefix("computed-") {
            match p {
                "server" => settings::server_url(app)?,
                "graceperiod" => settings::grace(app)?.to_string(),
                _ => settings::computed(app, p)?,
            }
        } else if let Some(p) = k.strip_prefix("global-") {
            settings::own(g, p)?
        } else {
            match k {
                "active" => st.is_some().to_string(),
                "autorenew" => (settings::own(g, "cron-job")? == "true").to_string(),
                "expires-at" => st.as_ref().map(|s| when(s.expires_at)).unwrap_or_default(),
                "last-error" => st
                    .as_ref()
                    .map(|s| s.last_error.clone())
                    .unwrap_or_default(),
                p => {
                    if app == g {
                        continue;
                    }
                    settings::own(app, p)?
                }
            }
        };
        if app == g && !report::is_global_row(key) {
            continue;
        }
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} letsencrypt information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}
