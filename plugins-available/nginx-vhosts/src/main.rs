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
mod commands;
mod facts;
mod generate;
mod report;
mod service;
mod settings;
mod template;
mod triggers;
mod vars;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::Report;
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
            run: report::report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <property> [<value>]",
            help: "Set or clear an nginx property for an app",
            run: commands::set,
        },
        Command {
            name: "show-config",
            usage: "<app>",
            help: "Display the app's nginx config",
            run: commands::show_config,
        },
        Command {
            name: "validate-config",
            usage: "[<app>]",
            help: "Checks the nginx config (nginx -t)",
            run: commands::validate_config,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("proxy-build-config", triggers::trigger_build),
        Trigger::new("proxy-clear-config", triggers::trigger_clear),
        Trigger::new("proxy-enable", triggers::trigger_proxy_enable),
        Trigger::new("proxy-disable", triggers::trigger_proxy_disable),
        Trigger::new("post-create", triggers::trigger_post_create),
        Trigger::new("post-deploy", triggers::trigger_post_deploy),
        Trigger::new("post-delete", triggers::trigger_post_delete),
        Trigger::new("post-extract", triggers::trigger_post_extract),
        Trigger::new("pre-deploy", triggers::trigger_pre_deploy),
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
