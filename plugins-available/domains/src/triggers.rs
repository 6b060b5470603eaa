//! The triggers the domains plugin answers: `domains-list APP` and `domains-vhost-enabled APP`
//! for the proxy; `post-create`, `post-app-rename` and `post-app-clone-setup` for the default
//! domains (`APP.GLOBAL`).

use crate::store;
use anyhow::{bail, Result};
use dokku_core::{appname, log, trigger};
use std::io::Write;

/// The one app argument of a trigger, as a valid app name.
fn app_arg<'a>(argv: &'a [String], name: &str) -> Result<&'a str> {
    let Some(app) = argv.first() else {
        bail!("{name} needs APP");
    };
    appname::validate(app)?;
    Ok(app)
}

/// Trigger `domains-list APP`: the app's domains, one per line; nothing when they are disabled
/// (or the app has none).
pub fn list(argv: &[String]) -> Result<()> {
    if dokku_core::batch::answer(argv, |app, _| {
        if !store::is_enabled(app)? {
            return Ok(Vec::new());
        }
        store::app_domains(app)
    })? {
        return Ok(());
    }
    let app = app_arg(argv, "domains-list")?;
    if !store::is_enabled(app)? {
        return Ok(());
    }
    let mut o = std::io::stdout().lock();
    for d in store::app_domains(app)? {
        writeln!(o, "{d}")?;
    }
    Ok(())
}

/// Trigger `domains-vhost-enabled APP`: `true` or `false`.
pub fn vhost_enabled(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "domains-vhost-enabled")?;
    println!("{}", store::is_enabled(app)?);
    Ok(())
}

/// Writes the default domains of an app that has no domain file yet; whether it wrote.
fn write_defaults(app: &str) -> Result<bool> {
    let defaults = store::default_vhosts(app)?;
    if defaults.is_empty() {
        return Ok(false);
    }
    store::edit(&store::app_file(app), |cur| {
        Ok(match cur {
            Some(_) => (None, false),
            None => (Some(defaults.clone()), true),
        })
    })
}

/// Trigger `post-create APP`: `APP.GLOBAL` for each global domain, when the app has no domains.
pub fn post_create(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, "post-create")?;
    if write_defaults(app)? {
        log::info1("Creating new app virtual host file...");
    }
    Ok(())
}

/// The existing app a trigger is about, and whether its optional RESTART_APP argument asks for
/// the proxy config to be rebuilt (anything but `--no-restart` or `false` does).
fn app_and_restart<'a>(argv: &'a [String], name: &str) -> Result<(&'a str, bool)> {
    let Some(app) = argv.first() else {
        bail!("{name} needs APP [RESTART_APP]");
    };
    appname::verify(app)?;
    let restart = !matches!(
        argv.get(1).map(String::as_str),
        Some("--no-restart") | Some("false")
    );
    Ok((app, restart))
}

/// Trigger `domains-enable APP [RESTART_APP]`: what `domains:enable` does (`pre-enable-vhost`,
/// the default domains when the app has none); the proxy config is rebuilt unless RESTART_APP
/// is `--no-restart` or `false`.
pub fn domains_enable(argv: &[String]) -> Result<()> {
    let (app, restart) = app_and_restart(argv, "domains-enable")?;
    crate::app::enable_app(app, restart)
}

/// Trigger `domains-disable APP [RESTART_APP]`: what `domains:disable` does
/// (`pre-disable-vhost`, domains kept but not served); the proxy config is rebuilt unless
/// RESTART_APP is `--no-restart` or `false`.
pub fn domains_disable(argv: &[String]) -> Result<()> {
    let (app, restart) = app_and_restart(argv, "domains-disable")?;
    crate::app::disable_app(app, restart)
}

/// Trigger `domains-setup APP`: the default domains (`APP.GLOBAL` for each global domain), when
/// the app has no domain file yet and a global domain exists; otherwise nothing.
pub fn domains_setup(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("domains-setup needs APP");
    };
    appname::verify(app)?;
    if write_defaults(app)? {
        log::info1("Creating new app virtual host file...");
    }
    Ok(())
}

/// The two app names of a rename or clone trigger.
fn old_new<'a>(argv: &'a [String], name: &str) -> Result<(&'a str, &'a str)> {
    let [old, new, ..] = argv else {
        bail!("{name} needs OLD NEW");
    };
    appname::validate(old)?;
    appname::validate(new)?;
    Ok((old, new))
}

/// Trigger `post-app-rename OLD NEW`: the default domains of OLD (`OLD.GLOBAL`, or OLD itself
/// when it holds a dot) become NEW's; other domains stay. The proxy config is then rebuilt
/// (a failure there is a warning: the rename itself is done).
pub fn post_app_rename(argv: &[String]) -> Result<()> {
    let (old, new) = old_new(argv, "post-app-rename")?;
    let globals = store::global_domains()?;
    let rename = |d: &str| -> Option<String> {
        if old.contains('.') && d == old {
            return Some(new.to_string());
        }
        globals
            .iter()
            .find(|g| d == format!("{old}.{g}"))
            .map(|g| format!("{new}.{g}"))
    };
    let changed = store::edit(&store::app_file(new), |cur| {
        let Some(cur) = cur else {
            return Ok((None, false));
        };
        let mut out: Vec<String> = Vec::new();
        let mut changed = false;
        for d in cur {
            let d = match rename(&d) {
                Some(n) => {
                    changed = true;
                    n
                }
                None => d,
            };
            if !out.contains(&d) {
                out.push(d);
            }
        }
        Ok((changed.then_some(out), changed))
    })?;
    if changed && trigger("proxy-build-config", &[new]).is_err() {
        log::warn(&format!("The proxy config of {new} could not be rebuilt"));
    }
    Ok(())
}

/// Trigger `post-app-clone-setup OLD NEW`: a clone does not take over OLD's domains (two apps
/// cannot serve one name); it gets its own default ones.
pub fn post_app_clone_setup(argv: &[String]) -> Result<()> {
    let (_, new) = old_new(argv, "post-app-clone-setup")?;
    let file = store::app_file(new);
    match std::fs::remove_file(&file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    write_defaults(new)?;
    Ok(())
}
