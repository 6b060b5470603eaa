//! The certs plugin: an app's TLS certificate, as Dokku's. `certs:add|update APP CRT KEY` (or a
//! tar of `server.crt` and `server.key` on stdin), `certs:generate APP [DOMAIN]` (self-signed),
//! `certs:remove`, `certs:show`, `certs:report`. The pair lives in `$DOKKU_ROOT/APP/tls`
//! (checked with openssl before it is installed); the proxy reads it there and asks
//! `certs-exists APP`. Changes fire `post-certs-update APP` / `post-certs-remove APP` (which
//! the ports plugin answers by adding `https:443:PORT` to the port map, or taking it away) and
//! `proxy-build-config APP`. Triggers `certs-set APP [CRT KEY]` and `certs-remove APP` let
//! other plugins set or remove an app's certificate, as Dokku's do.

mod openssl;
mod store;
mod tarball;

use anyhow::{bail, Context, Result};
use dokku_core::domainname::{self as validate, Scope};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, trigger, trigger_value};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

static PLUGIN: Plugin = Plugin {
    prefix: "certs",
    summary: "Manage SSL (TLS) certs",
    commands: &[
        Command {
            name: "add",
            usage: "<app> <crt-file> <key-file>",
            help: "Add an ssl endpoint to an app. Can also import from a tarball on stdin",
            run: add,
        },
        Command {
            name: "generate",
            usage: "<app> [<domain>]",
            help: "Generate a key and a self-signed certificate for the app's domains",
            run: generate,
        },
        Command {
            name: "remove",
            usage: "<app>",
            help: "Remove an SSL Endpoint from an app",
            run: remove,
        },
        Command {
            name: "report",
            usage: "[<app>] [--format stdout|json] [<flag>]",
            help: "Displays an ssl report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "show",
            usage: "<app> <crt|key>",
            help: "Show the server.crt or server.key on stdout",
            run: show,
        },
        Command {
            name: "update",
            usage: "<app> <crt-file> <key-file>",
            help: "Update an SSL Endpoint on an app. Can also import from a tarball on stdin",
            run: add,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("certs-exists", trigger_exists),
        Trigger::new("certs-remove", trigger_remove),
        Trigger::new("certs-set", trigger_set),
        Trigger::new("post-app-clone-setup", trigger_post_app_clone_setup),
    ],
};

fn main() {
    PLUGIN.main()
}

/// After the certificate files changed, as Dokku: Trigger `post-certs-update APP` (after
/// `certs:add`, `certs:update`, `certs:generate`) or Trigger `post-certs-remove APP` (after
/// `certs:remove`), then `proxy-build-config APP`.
fn changed(app: &str, removed: bool) -> Result<()> {
    if removed {
        trigger("post-certs-remove", &[app])?;
    } else {
        trigger("post-certs-update", &[app])?;
    }
    trigger("proxy-build-config", &[app])
}

/// Reads a certificate or key file named on the command line (at most 1 MiB).
fn read_file(path: &str, what: &str) -> Result<Vec<u8>> {
    let p = Path::new(path);
    if !p.is_file() {
        bail!("{what} file {path:?} not found, please check file paths");
    }
    let mut data = Vec::new();
    std::fs::File::open(p)
        .with_context(|| format!("cannot open {path}"))?
        .take(tarball::MAX_FILE + 1)
        .read_to_end(&mut data)
        .with_context(|| format!("cannot read {path}"))?;
    if data.len() as u64 > tarball::MAX_FILE {
        bail!(
            "{what} file {path:?} is larger than {} bytes",
            tarball::MAX_FILE
        );
    }
    Ok(data)
}

/// The pair named by CRT and KEY, or (neither given) the tar archive on stdin.
fn pair_of(crt: Option<&String>, key: Option<&String>, usage: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    Ok(match (crt, key) {
        (Some(c), Some(k)) => (read_file(c, "CRT")?, read_file(k, "KEY")?),
        (Some(_), None) => bail!("Please give both the certificate and the key; usage: {usage}"),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!("Tar archive containing server.crt and server.key expected on stdin");
            }
            tarball::read_pair(stdin.lock())?
        }
    })
}

/// Installs a checked pair as the app's certificate, then fires what a change fires.
fn install_pair(app: &str, crt: &[u8], key: &[u8]) -> Result<()> {
    store::install(app, crt, key)?;
    log::info1(&format!("Installed the certificate and key of {app}"));
    changed(app, false)
}

/// `certs:add|update APP [CRT KEY]`: from the two files, or from a tar on stdin.
fn add(argv: &[String]) -> Result<()> {
    let usage = "dokku certs:add <app> <crt-file> <key-file> (or a tar archive on stdin)";
    let a = args::parse(argv, &[], &[])?;
    a.at_most(3, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let (crt, key) = pair_of(a.pos(1), a.pos(2), usage)?;
    install_pair(&app, &crt, &key)
}

/// Trigger `certs-set APP [CRT_FILE KEY_FILE]`, as Dokku's: installs the pair in the two files
/// (or, without them, the tar archive on its stdin) as the app's certificate, checked as
/// `certs:add` checks it, then fires `post-certs-update APP` and `proxy-build-config APP`.
fn trigger_set(argv: &[String]) -> Result<()> {
    let usage = "certs-set APP [CRT_FILE KEY_FILE]";
    if argv.len() > 3 {
        bail!("unexpected argument {:?}; usage: {usage}", argv[3]);
    }
    let app = appname::required(argv.first())?;
    appname::verify(&app)?;
    let (crt, key) = pair_of(argv.get(1), argv.get(2), usage)?;
    install_pair(&app, &crt, &key)
}

/// Trigger `certs-remove APP`, as Dokku's: what `certs:remove APP` does.
fn trigger_remove(argv: &[String]) -> Result<()> {
    if argv.len() > 1 {
        bail!("unexpected argument {:?}; usage: certs-remove APP", argv[1]);
    }
    let app = appname::required(argv.first())?;
    appname::verify(&app)?;
    remove_app(&app)
}

/// Whether a valid app domain can be a certificate's name: not nginx's catch-all `_` nor a
/// suffix match (`.example.com`), which only nginx's server_name understands.
fn certifiable(d: &str) -> bool {
    d != "_" && !d.starts_with('.')
}

/// The names to make a certificate for: DOMAIN when given, else the app's domains.
fn names_for(app: &str, domain: Option<&String>) -> Result<Vec<String>> {
    if let Some(d) = domain {
        let d = validate::normalize(d, Scope::App)?;
        if !certifiable(&d) {
            bail!("Invalid domain {d:?}: a certificate cannot be made for it; name a host, as example.com or *.example.com");
        }
        return Ok(vec![d]);
    }
    let listed = trigger_value("domains-list", &[app])?.unwrap_or_default();
    let names: Vec<String> = listed
        .lines()
        .map(str::trim)
        .filter(|d| validate::is_valid(d, Scope::App) && certifiable(d))
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        bail!("{app} has no domains; add one with domains:add or name it: dokku certs:generate {app} <domain>");
    }
    Ok(names)
}

/// `certs:generate APP [DOMAIN]`: a self-signed certificate for DOMAIN (which is added to the
/// app's domains, as Dokku) or for all of the app's domains.
fn generate(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let names = names_for(&app, a.pos(1))?;
    log::info1(&format!(
        "Generating a self-signed certificate for {}",
        names.join(", ")
    ));
    let work = store::work_dir(&app)?;
    openssl::generate(work.path(), &names, &app)?;
    store::install_checked(
        &app,
        &work.path().join("server.crt"),
        &work.path().join("server.key"),
    )?;
    drop(work);
    if a.pos(1).is_some() {
        let current = trigger_value("domains-list", &[&app])?.unwrap_or_default();
        if !current.lines().any(|l| l.trim() == names[0]) {
            trigger("domains-add", &[&app, &names[0]])?;
        }
    }
    log::info1(&format!("Installed the certificate and key of {app}"));
    changed(&app, false)
}

/// `certs:remove APP`.
fn remove(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage())?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    remove_app(&app)
}

/// Removes the app's certificate (refused when it has none), then fires what a removal fires.
fn remove_app(app: &str) -> Result<()> {
    if !store::remove(app)? {
        bail!("An app-specific SSL endpoint is not defined for {app}");
    }
    log::info1(&format!("Removed the certificate and key of {app}"));
    changed(app, true)
}

/// `certs:show APP crt|key`.
fn show(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let path = match a.pos(1).map(String::as_str) {
        Some("crt") => store::crt_path(&app),
        Some("key") => store::key_path(&app),
        // Dokku's words.
        _ => bail!("specify either 'key' or 'crt'; usage: {usage}"),
    };
    if !store::exists(&app) {
        bail!("An app-specific SSL endpoint is not defined for {app}");
    }
    let data = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    std::io::stdout().write_all(&data)?;
    Ok(())
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    ("ssl-dir", "Ssl dir"),
    ("ssl-enabled", "Ssl enabled"),
    ("ssl-hostnames", "Ssl hostnames"),
    ("ssl-expires-at", "Ssl expires at"),
    ("ssl-issuer", "Ssl issuer"),
    ("ssl-starts-at", "Ssl starts at"),
    ("ssl-subject", "Ssl subject"),
    ("ssl-verified", "Ssl verified"),
];

fn report_of(app: &str) -> Result<Report> {
    let enabled = store::exists(app);
    let (info, verified) = if enabled {
        let crt = store::crt_path(app);
        let v = if openssl::verified(&crt)? {
            "verified by a certificate authority"
        } else {
            "self signed"
        };
        (openssl::info(&crt)?, v.to_string())
    } else {
        (openssl::Info::default(), String::new())
    };
    let value = |key: &str| -> String {
        match key {
            "ssl-dir" => store::tls_dir(app).display().to_string(),
            "ssl-enabled" => enabled.to_string(),
            "ssl-hostnames" => info.hostnames.join(" "),
            "ssl-expires-at" => info.expires_at.clone(),
            "ssl-issuer" => info.issuer.clone(),
            "ssl-starts-at" => info.starts_at.clone(),
            "ssl-subject" => info.subject.clone(),
            _ => verified.clone(),
        }
    };
    Ok(Report {
        heading: format!("{app} ssl information"),
        rows: REPORT_FIELDS
            .iter()
            .map(|(k, l)| (k.to_string(), l.to_string(), value(k)))
            .collect(),
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Trigger `certs-exists APP`: `true` when the app has a certificate and key, else `false`.
fn trigger_exists(argv: &[String]) -> Result<()> {
    if dokku_core::batch::answer(argv, |app, _| Ok(vec![store::exists(app).to_string()]))? {
        return Ok(());
    }
    let Some(app) = argv.first() else {
        bail!("certs-exists needs APP");
    };
    appname::validate(app)?;
    println!("{}", store::exists(app));
    Ok(())
}

/// Trigger `post-app-clone-setup OLD NEW`: a clone does not take over the certificate.
fn trigger_post_app_clone_setup(argv: &[String]) -> Result<()> {
    let [_, new, ..] = argv else {
        bail!("post-app-clone-setup needs OLD NEW");
    };
    appname::validate(new)?;
    store::remove(new)?;
    Ok(())
}
