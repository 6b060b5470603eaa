//! The nginx proxy: a generated config per app (`$DOKKU_ROOT/APP/nginx.conf`: an upstream to
//! the web containers' loopback ports, one server per port map, answering the app's domains,
//! https with its certificate and http redirecting to it), included by one global file, checked
//! with `nginx -t` before every reload. A custom `nginx.conf.sigil` in the app's repository is
//! honoured, and a plugin may choose the template (`nginx-app-template-source APP app-config`).
//! Acts for apps whose `proxy-type` is `nginx` (`proxy-build-config`, `proxy-enable`,
//! `proxy-disable`, …); fires `nginx-pre-reload APP PORT IP` before each reload for an app.
//! Commands `nginx:show-config|validate-config|set|report|access-logs|error-logs|start|stop|
//! reload`.

mod acme;
mod apply;
mod facts;
mod generate;
mod service;
mod settings;
mod template;
mod vars;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, paths, property, trigger};
use facts::Facts;
use generate::{Inputs, PortMap};
use std::path::PathBuf;

static PLUGIN: Plugin = Plugin {
    prefix: "nginx",
    summary: "Manage the nginx proxy",
    commands: &[
        Command {
            name: "access-logs",
            usage: "<app> [-t]",
            help: "Show the nginx access logs for an application (-t follows)",
            run: service::access_logs,
        },
        Command {
            name: "error-logs",
            usage: "<app> [-t]",
            help: "Show the nginx error logs for an application (-t follows)",
            run: service::error_logs,
        },
        Command {
            name: "reload",
            usage: "",
            help: "Checks the nginx config (nginx -t), then reloads nginx",
            run: service::reload,
        },
        Command {
            name: "start",
            usage: "",
            help: "Starts the nginx server",
            run: service::start,
        },
        Command {
            name: "stop",
            usage: "",
            help: "Stops the nginx server",
            run: service::stop,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays an nginx report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <property> [<value>]",
            help: "Set or clear an nginx property for an app",
            run: set,
        },
        Command {
            name: "show-config",
            usage: "<app>",
            help: "Display the app's nginx config",
            run: show_config,
        },
        Command {
            name: "validate-config",
            usage: "[<app>]",
            help: "Checks the nginx config (nginx -t)",
            run: validate_config,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("proxy-build-config", trigger_build),
        Trigger::new("proxy-clear-config", trigger_clear),
        Trigger::new("proxy-enable", trigger_proxy_enable),
        Trigger::new("proxy-disable", trigger_proxy_disable),
        Trigger::new("post-create", trigger_post_create),
        Trigger::new("post-deploy", trigger_post_deploy),
        Trigger::new("post-delete", trigger_post_delete),
        Trigger::new("post-extract", trigger_post_extract),
        Trigger::new("pre-deploy", trigger_pre_deploy),
    ],
};

fn main() {
    PLUGIN.main()
}

/// The proxy type this plugin serves.
const TYPE: &str = "nginx";

fn data_dir(app: &str) -> PathBuf {
    paths().lib_root.join("data/nginx-vhosts").join(app)
}

/// The app's proxy type (`proxy-type APP`; nginx when nothing answers).
fn proxy_type(app: &str) -> Result<String> {
    Ok(dokku_core::trigger_lines("proxy-type", &[app])?
        .into_iter()
        .next()
        .unwrap_or_else(|| TYPE.to_string()))
}

/// Whether this plugin serves the app of `f`: its proxy type is nginx (or nothing answered)
/// and its proxy is enabled.
fn serves(f: &Facts) -> bool {
    (f.proxy_type.is_empty() || f.proxy_type == TYPE) && f.enabled
}

/// The web listeners of `f` that are `IP:PORT`; an answer that is not is left out, so it
/// never reaches the config.
fn valid_upstreams(f: &Facts) -> Vec<String> {
    f.listeners
        .iter()
        .filter(|l| {
            l.rsplit_once(':').is_some_and(|(ip, port)| {
                port.parse::<u16>().is_ok_and(|p| p > 0)
                    && !ip.is_empty()
                    && ip
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
            })
        })
        .cloned()
        .collect()
}

/// The web instances' `IP:PORT`s, in index order, as the scheduler recorded them (Trigger
/// `network-get-listeners APP web`, answered by the network plugin or its replacement); an
/// answer that is not `IP:PORT` is left out, so it never reaches the config.
fn upstreams(app: &str) -> Result<Vec<String>> {
    let f = Facts {
        listeners: dokku_core::contract::listeners(app, "web")?,
        ..Facts::default()
    };
    Ok(valid_upstreams(&f))
}

/// The first valid web listener of `f` (empty when none), as `nginx-pre-reload` is told it.
fn first_upstream(f: &Facts) -> String {
    valid_upstreams(f).into_iter().next().unwrap_or_default()
}

/// Trigger `nginx-pre-reload APP INTERNAL_PORT INTERNAL_IP_ADDRESS` (`first`: the first web
/// listener's `IP:PORT`), fired once the app's new config
/// is in place and has passed `nginx -t`, just before nginx reloads (by `apply`, under the
/// nginx lock); a failure puts the previous config back.
pub fn pre_reload(app: &str, first: &str) -> Result<()> {
    let (ip, port) = first.rsplit_once(':').unwrap_or(("", ""));
    trigger("nginx-pre-reload", &[app, port, ip])
}

/// The app's inputs from its facts and nginx's own settings.
fn inputs_from(app: &str, f: &Facts) -> Result<Inputs> {
    let mut maps: Vec<PortMap> = f.ports.iter().filter_map(|l| PortMap::parse(l)).collect();
    if maps.is_empty() {
        maps.push(PortMap::parse("http:80:5000").expect("a valid map"));
    }
    let tls_dir = appname::app_dir(app).join("tls");
    let (crt, key) = (tls_dir.join("server.crt"), tls_dir.join("server.key"));
    let tls = (crt.is_file() && key.is_file())
        .then(|| (crt.display().to_string(), key.display().to_string()));
    let logs = paths().logs_dir.join("nginx");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let mut values = std::collections::BTreeMap::new();
    for (key, _) in settings::APP_KEYS {
        values.insert(key.to_string(), settings::get(app, key)?);
    }
    let bind = values["bind-address-ipv4"].clone();
    Ok(Inputs {
        app: app.to_string(),
        domains: f.domains.clone(),
        maps,
        upstreams: valid_upstreams(f),
        tls,
        bind6: ipv6_listen(app, &bind)?,
        bind,
        http_port: listen_port(app, &f.proxy_port, "proxy-port", "http-port")?,
        https_port: listen_port(app, &f.proxy_ssl_port, "proxy-ssl-port", "https-port")?,
        client_max_body_size: values["client-max-body-size"].clone(),
        proxy_read_timeout: values["proxy-read-timeout"].clone(),
        proxy_connect_timeout: values["proxy-connect-timeout"].clone(),
        hsts: values["hsts"] == "true",
        access_log: values["access-log-path"].clone(),
        error_log: values["error-log-path"].clone(),
        settings: values,
        acme_dir: acme::dir_from(app, &f.acme.join("\n"))?,
    })
}

/// The IPv6 address nginx listens on for the app: `bind-address-ipv6` when set (for the app or
/// globally); unset, Dokku's `::` only when nginx listens on every IPv4 address too and the host
/// has IPv6 (binding to one IPv4 address, as a loopback-only install does, keeps IPv6 closed).
fn ipv6_listen(app: &str, bind4: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = settings::own(scope, "bind-address-ipv6")? {
            return Ok(v);
        }
    }
    let host_has_ipv6 =
        std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|t| !t.trim().is_empty());
    let all_ipv4 = bind4.is_empty() || bind4 == "0.0.0.0";
    if !(all_ipv4 && host_has_ipv6) {
        return Ok(String::new());
    }
    Ok(settings::default_of("bind-address-ipv6").to_string())
}

/// The port nginx listens on for the app where its maps say 80 (`proxy-port`) or 443
/// (`proxy-ssl-port`): the app's `proxy:set` value `asked` (Trigger
/// `proxy-get-property APP KEY`), else nginx's own `http-port` / `https-port`.
fn listen_port(app: &str, asked: &str, proxy_key: &str, nginx_key: &str) -> Result<u16> {
    let (value, what) = match asked.trim() {
        "" => (settings::global(nginx_key)?, format!("nginx {nginx_key}")),
        v => (v.to_string(), format!("proxy {proxy_key} of {app}")),
    };
    value
        .trim()
        .parse()
        .with_context(|| format!("{what} {value:?} is not a port"))
}

/// The config from `i`, with the `template` `nginx-app-template-source` chose, else the app's
/// own (the pending one, when asked and present), else the generated config; for an app with
/// no web listener (not deployed, no web process, stopped), the 502 placeholder.
fn render_with(i: Inputs, pending: bool, template: Option<PathBuf>) -> Result<String> {
    let app = i.app.clone();
    if i.upstreams.is_empty() {
        return Ok(generate::placeholder(&i));
    }
    if let Some(src) = template {
        let t = std::fs::read_to_string(&src).with_context(|| {
            format!(
                "nginx-app-template-source chose {} for {app}, which cannot be read",
                src.display()
            )
        })?;
        return vars::render(&t, &i);
    }
    if settings::get(&app, "disable-custom-config")? == "true" {
        return Ok(generate::config(&i));
    }
    let pending_dir = data_dir(&app).join("pending");
    let custom = if pending && pending_dir.is_dir() {
        pending_dir.join("nginx.conf.sigil")
    } else {
        data_dir(&app).join("nginx.conf.sigil")
    };
    match std::fs::read_to_string(&custom) {
        Ok(t) => vars::render(&t, &i),
        Err(_) => Ok(generate::config(&i)),
    }
}

/// Builds and installs the app's config (or removes it when nginx does not serve the app); an
/// app without web listeners gets the 502 placeholder.
fn build(app: &str) -> Result<()> {
    let f = Facts::of(app)?;
    if !serves(&f) {
        return apply::install(app, "");
    }
    let i = inputs_from(app, &f)?;
    let undeployed = i.upstreams.is_empty();
    let domains = i.domains.clone();
    let text = render_with(i, false, f.template.clone())?;
    if undeployed {
        return apply::install(app, &text);
    }
    if !domains.is_empty() {
        log::info1(&format!("Configuring {}...", domains.join(", ")));
    }
    apply::install(app, &text)?;
    log::info1(&format!("nginx serves {app}"));
    Ok(())
}

/// Trigger `proxy-build-config APP` (or `--all [COUNT]`: every app, rendered COUNT at a time,
/// then one check and one reload).
fn trigger_build(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("needs APP");
    };
    if app == "--all" {
        let workers: usize = match argv.get(1) {
            Some(n) => n
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| format!("proxy-build-config --all: invalid count {n:?}"))?,
            None => 1,
        };
        let apps = appname::all()?;
        let facts = Facts::all(&apps)?;
        let configs = render_all(&apps, &facts, workers)?;
        apply::install_many(&configs, |app| {
            Ok(facts.get(app).map(first_upstream).unwrap_or_default())
        })?;
        log::info1(&format!(
            "nginx config rebuilt for {} app(s)",
            configs.len()
        ));
        return Ok(());
    }
    appname::verify(app)?;
    build(app)
}

/// Every app's config (empty for those nginx does not serve), `workers` apps rendered at a
/// time; fails with the first app's error (in the apps' order) once all are done.
fn render_all(
    apps: &[String],
    facts: &std::collections::BTreeMap<String, Facts>,
    workers: usize,
) -> Result<Vec<(String, String)>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, apps.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(app) = apps.get(i) else {
                    break;
                };
                let text = match facts.get(app) {
                    Some(f) if serves(f) => {
                        inputs_from(app, f).and_then(|i| render_with(i, false, f.template.clone()))
                    }
                    _ => Ok(String::new()),
                };
                done.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, text));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter()
        .map(|(i, text)| Ok((apps[i].clone(), text?)))
        .collect()
}

/// Trigger `pre-deploy APP TAG`: the config the new release will get must pass `nginx -t`
/// before any container changes (checked with the current upstreams, or a placeholder before
/// the first deploy), so a broken custom template stops the deploy with the old release still
/// serving.
fn trigger_pre_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("pre-deploy needs APP");
    };
    appname::verify(app)?;
    let f = Facts::of(app)?;
    if !serves(&f) {
        return Ok(());
    }
    let mut i = inputs_from(app, &f)?;
    if i.upstreams.is_empty() {
        i.upstreams.push("127.0.0.1:9".into());
    }
    let checked =
        render_with(i, is_release(), f.template.clone()).and_then(|text| apply::check(app, &text));
    if checked.is_err() && is_release() {
        // The release will not happen: its template goes.
        let _ = std::fs::remove_dir_all(data_dir(app).join("pending"));
    }
    checked
}

/// Trigger `post-create APP`: a new app gets its 502 placeholder config at once (as Dokku
/// 0.38), so its domains answer before the first deploy.
fn trigger_post_create(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-create needs APP");
    };
    appname::verify(app)?;
    build(app)
}

/// Trigger `post-deploy APP PORT IP TAG`: the release's template becomes the app's, and the
/// config is rebuilt for the new containers.
fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-deploy needs APP");
    };
    appname::verify(app)?;
    if is_release() {
        promote_template(app)?;
    }
    build(app)
}

/// Trigger `proxy-enable APP` (fired by `proxy:enable`): builds the app's config when its proxy
/// type is nginx.
fn trigger_proxy_enable(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-enable needs APP");
    };
    appname::verify(app)?;
    if proxy_type(app)? != TYPE {
        return Ok(());
    }
    build(app)
}

/// Trigger `proxy-disable APP` (fired by `proxy:disable`): removes the app's config when its
/// proxy type is nginx.
fn trigger_proxy_disable(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-disable needs APP");
    };
    appname::verify(app)?;
    if proxy_type(app)? != TYPE {
        return Ok(());
    }
    apply::install(app, "")
}

/// Trigger `proxy-clear-config APP`.
fn trigger_clear(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-clear-config needs APP");
    };
    appname::validate(app)?;
    apply::install(app, "")
}

/// Trigger `post-delete APP`: the app's config is gone with its folder; nginx reloads.
fn trigger_post_delete(argv: &[String]) -> Result<()> {
    if let Some(app) = argv.first() {
        appname::validate(app)?;
        let d = data_dir(app);
        if d.exists() {
            std::fs::remove_dir_all(&d)
                .with_context(|| format!("cannot remove {}", d.display()))?;
        }
        if apply::test()?.is_ok() {
            let _ = apply::install(app, "");
        }
    }
    Ok(())
}

/// Trigger `post-extract APP DIR REV`: keeps the repository's `nginx.conf.sigil` (at the
/// `nginx-conf-sigil-path` setting; a link out of the tree is refused), or its absence, as
/// pending: the release takes it over at `post-deploy`.
fn trigger_post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    appname::validate(app)?;
    let pending = data_dir(app).join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending).context("cannot clear the pending nginx template")?;
    }
    std::fs::create_dir_all(&pending).context("cannot create the nginx data folder")?;
    let rel = settings::get(app, "nginx-conf-sigil-path")?;
    let text = dokku_core::source::read_inside(std::path::Path::new(dir), &rel)
        .with_context(|| format!("cannot read {rel} (nginx-conf-sigil-path of {app})"))?;
    if let Some(text) = text {
        plugn::atomic::write(&pending.join("nginx.conf.sigil"), text.as_bytes(), 0o644)?;
    }
    Ok(())
}

/// Whether this deploy releases a new build (ps says so in `DOKKU_DEPLOY_KIND`); a restart
/// keeps the app's template even when a failed build left a pending one.
fn is_release() -> bool {
    std::env::var("DOKKU_DEPLOY_KIND").is_ok_and(|k| k == "release")
}

/// Makes the pending template (or its absence) the app's.
fn promote_template(app: &str) -> Result<()> {
    let pending = data_dir(app).join("pending");
    if !pending.is_dir() {
        return Ok(());
    }
    let cur = data_dir(app).join("nginx.conf.sigil");
    let new = pending.join("nginx.conf.sigil");
    if new.exists() {
        std::fs::rename(&new, &cur).context("cannot install the nginx template")?;
    } else if cur.exists() {
        std::fs::remove_file(&cur).context("cannot remove the nginx template")?;
    }
    std::fs::remove_dir_all(&pending).context("cannot clear the pending nginx template")
}

fn app_arg(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `nginx:show-config APP`.
fn show_config(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, usage())?;
    match std::fs::read_to_string(apply::conf_path(&app)) {
        Ok(t) => {
            print!("{t}");
            Ok(())
        }
        Err(_) => bail!("{app} has no nginx config (not deployed, or not served by nginx)"),
    }
}

/// `nginx:validate-config [APP]`.
fn validate_config(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--clean"], &[])?;
    a.at_most(1, usage())?;
    if let Some(app) = a.pos(0) {
        appname::verify(app)?;
    }
    match apply::test()? {
        Ok(()) => {
            log::info1("nginx config is valid");
            Ok(())
        }
        Err(msg) => bail!("nginx config is invalid: {msg}"),
    }
}

/// `nginx:set [--global|APP] KEY [VALUE]`; the config is rebuilt for the app(s) concerned.
fn set(argv: &[String]) -> Result<()> {
    let keys: Vec<&str> = settings::APP_KEYS
        .iter()
        .chain(settings::GLOBAL_KEYS)
        .map(|(k, _)| *k)
        .collect();
    let c = property::SetCommand::parse(argv, usage(), &keys)?;
    let global_only = settings::GLOBAL_KEYS.iter().any(|(k, _)| *k == c.key);
    if global_only && !c.is_global() {
        bail!(
            "{} is a global setting: dokku nginx:set --global {} VALUE",
            c.key,
            c.key
        );
    }
    if let Some(v) = c.new_value() {
        settings::validate(&c.key, v)?;
    }
    let previous = property::get(settings::PROPS, &c.scope, &c.key)?;
    c.apply(settings::PROPS)?;
    let apps = if c.is_global() {
        appname::all()?
    } else {
        vec![c.scope.clone()]
    };
    let built = apps.iter().try_for_each(|app| build(app));
    if let Err(e) = built {
        // A value nginx refuses is not kept: the previous one goes back, and so do the configs
        // built with the new one.
        match &previous {
            Some(v) => property::write(settings::PROPS, &c.scope, &c.key, v)?,
            None => property::delete(settings::PROPS, &c.scope, &c.key)?,
        }
        for app in &apps {
            let _ = build(app);
        }
        return Err(e.context(format!(
            "{} was not changed: the config built with it was refused",
            c.key
        )));
    }
    Ok(())
}

/// The report's fields: for each per-app key its app, computed and global values, then the
/// global-only ports, the config file and the last visit (Dokku's flag names and labels).
fn report_fields() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (key, _) in settings::APP_KEYS {
        let words = key.replace('-', " ");
        v.push((format!("nginx-{key}"), format!("Nginx {words}")));
        v.push((
            format!("nginx-computed-{key}"),
            format!("Nginx computed {words}"),
        ));
        v.push((
            format!("nginx-global-{key}"),
            format!("Nginx global {words}"),
        ));
    }
    for (flag, label) in [
        ("nginx-http-port", "Nginx http port"),
        ("nginx-https-port", "Nginx https port"),
        ("nginx-conf-path", "Nginx conf path"),
        ("nginx-last-visited-at", "Nginx last visited at"),
    ] {
        v.push((flag.to_string(), label.to_string()));
    }
    v
}

/// One report value; `app` is [`property::GLOBAL`] for the global report.
fn report_value(app: &str, flag: &str) -> Result<String> {
    let rest = flag.trim_start_matches("nginx-");
    match rest {
        "http-port" | "https-port" => return settings::global(rest),
        "conf-path" => return Ok(apply::conf_path(app).display().to_string()),
        "last-visited-at" => {
            // When the access log was last written (seconds since the epoch), as Dokku shows it.
            let log = settings::get(app, "access-log-path")?;
            let at = std::fs::metadata(&log)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs().to_string());
            return Ok(at.unwrap_or_default());
        }
        _ => {}
    }
    let key = rest
        .trim_start_matches("computed-")
        .trim_start_matches("global-");
    report::layered(settings::PROPS, app, flag, key, || settings::get(app, key))
}

fn report_of(app: &str) -> Result<Report> {
    let rows = report_fields()
        .into_iter()
        .map(|(flag, label)| Ok((flag.clone(), label, report_value(app, &flag)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        heading: format!("{app} nginx information"),
        rows,
    })
}

/// `nginx:report [APP|--global] [--format stdout|json] [FLAG]`; `--global` shows the global
/// values only.
fn report_cmd(argv: &[String]) -> Result<()> {
    let usage = usage();
    let fields = report_fields();
    if argv.iter().any(|a| a == property::GLOBAL) {
        let rest: Vec<String> = argv
            .iter()
            .filter(|a| *a != property::GLOBAL)
            .cloned()
            .collect();
        let global: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(f, _)| f.starts_with("nginx-global-"))
            .collect();
        let flags: Vec<String> = global.iter().map(|(f, _)| format!("--{f}")).collect();
        let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        let a = args::parse(&rest, &flag_refs, &["--format"])?;
        if let Some(extra) = a.pos(0) {
            bail!("unexpected argument {extra:?} with --global; usage: {usage}");
        }
        let format = report::Format::parse(a.value("--format"))?;
        let info: Vec<&String> = a.flags.keys().filter(|k| *k != "--format").collect();
        if info.len() > 1 {
            bail!("only one report flag may be given at a time");
        }
        let rows = global
            .into_iter()
            .map(|(flag, label)| Ok((flag.clone(), label, report_value(property::GLOBAL, &flag)?)))
            .collect::<Result<Vec<_>>>()?;
        let r = Report {
            heading: "Global nginx information".to_string(),
            rows,
        };
        return report::print(&r, format, info.first().map(|s| s.as_str()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(f, l)| (f.as_str(), l.as_str()))
        .collect();
    report::command(argv, &refs, usage, report_of)
}
