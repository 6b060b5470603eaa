//! An app's domains: `domains:add|remove|set|clear|enable|disable`. Every change is checked in
//! full before anything is written, then announced with `post-domains-update APP ACTION
//! DOMAIN…` and applied with `proxy-build-config APP`.

use crate::store;
use anyhow::{bail, Result};
use dokku_core::domainname::{self as validate, Scope};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, log, trigger};

/// Checks and lowercases every domain given, dropping repeats with a warning; fails on the
/// first invalid one, before anything is written.
pub fn normalize_all(raw: &[String], scope: Scope) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let d = validate::normalize(r, scope)?;
        if out.contains(&d) {
            log::warn(&format!("Skipping: {d} was given more than once"));
        } else {
            out.push(d);
        }
    }
    Ok(out)
}

/// The app (which must exist) and the domains after it.
fn app_and_rest(argv: &[String], usage: &str, need_domains: bool) -> Result<(String, Vec<String>)> {
    let a = args::parse(argv, &[], &[])?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let rest = a.positional.get(1..).unwrap_or(&[]).to_vec();
    if need_domains && rest.is_empty() {
        bail!("Please specify at least one domain; usage: {usage}");
    }
    if !need_domains && !rest.is_empty() {
        bail!("unexpected argument {:?}; usage: {usage}", rest[0]);
    }
    Ok((app, rest))
}

/// After a change: Trigger `post-domains-update APP ACTION DOMAIN…` (ACTION `add`, `remove`,
/// `set` or `clear`, as Dokku; the domains added, removed or set), then `proxy-build-config APP`.
fn changed(app: &str, action: &str, domains: &[String]) -> Result<()> {
    let mut a: Vec<&str> = vec![app, action];
    a.extend(domains.iter().map(String::as_str));
    trigger("post-domains-update", &a)?;
    trigger("proxy-build-config", &[app])
}

/// Re-enables an app's domains that were disabled (adding or setting domains does, as Dokku):
/// `pre-enable-vhost APP` first.
fn enable_quietly(app: &str) -> Result<()> {
    if !store::is_enabled(app)? {
        trigger("pre-enable-vhost", &[app])?;
        store::set_enabled(app, true)?;
        log::info1(&format!("Enabling domains (VHOST) support for {app}"));
    }
    Ok(())
}

/// Adds `domains` (already checked) to an app; returns the ones that were new.
pub fn add_domains(app: &str, domains: &[String]) -> Result<Vec<String>> {
    let added = store::edit(&store::app_file(app), |cur| {
        let mut v = cur.unwrap_or_default();
        let mut added = Vec::new();
        for d in domains {
            if v.contains(d) {
                log::warn(&format!("Skipping: {d} already added to {app}"));
            } else {
                v.push(d.clone());
                added.push(d.clone());
                log::info1(&format!("Added {d} to {app}"));
            }
        }
        Ok(((!added.is_empty()).then_some(v), added))
    })?;
    enable_quietly(app)?;
    if !added.is_empty() {
        changed(app, "add", &added)?;
    }
    Ok(added)
}

/// `domains:add APP DOMAIN…` (also the `domains-add` trigger, hence its own usage line).
pub fn add(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku domains:add <app> <domain> [<domain> ...]";
    let (app, raw) = app_and_rest(argv, USAGE, true)?;
    let domains = normalize_all(&raw, Scope::App)?;
    add_domains(&app, &domains)?;
    Ok(())
}

/// Trigger `domains-add APP DOMAIN…` (as Dokku's): what `domains:add` does.
pub fn trigger_add(argv: &[String]) -> Result<()> {
    add(argv)
}

/// `domains:remove APP DOMAIN…`: names are matched lowercased; one the app lacks is skipped
/// with a warning.
pub fn remove(argv: &[String]) -> Result<()> {
    let (app, raw) = app_and_rest(argv, usage(), true)?;
    let wanted: Vec<String> = raw.iter().map(|d| d.to_lowercase()).collect();
    let removed = store::edit(&store::app_file(&app), |cur| {
        let mut v = cur.unwrap_or_default();
        let mut removed = Vec::new();
        for d in &wanted {
            if let Some(i) = v.iter().position(|x| x == d) {
                v.remove(i);
                removed.push(d.clone());
                log::info1(&format!("Removed {d} from {app}"));
            } else if !removed.contains(d) {
                log::warn(&format!("Skipping: {d} is not a domain of {app}"));
            }
        }
        Ok(((!removed.is_empty()).then_some(v), removed))
    })?;
    if !removed.is_empty() {
        changed(&app, "remove", &removed)?;
    }
    Ok(())
}

/// `domains:set APP DOMAIN…`: the app's domains become exactly these.
pub fn set(argv: &[String]) -> Result<()> {
    let (app, raw) = app_and_rest(argv, usage(), true)?;
    let domains = normalize_all(&raw, Scope::App)?;
    store::edit(&store::app_file(&app), |_| Ok((Some(domains.clone()), ())))?;
    log::info1(&format!("Set {} for {app}", domains.join(" ")));
    enable_quietly(&app)?;
    changed(&app, "set", &domains)
}

/// `domains:clear APP`: the app is back to its default domains (`APP.GLOBAL`), as Dokku.
pub fn clear(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, usage(), false)?;
    let defaults = store::default_vhosts(&app)?;
    store::edit(&store::app_file(&app), |_| Ok((Some(defaults), ())))?;
    log::info1(&format!("Cleared domains in {app}"));
    changed(&app, "clear", &[])
}

/// `domains:reset APP`: the app's domains are reset to the ones the global domains give a new
/// app (`APP.GLOBAL` for each), as Dokku: then `post-domains-update APP reset` and
/// `proxy-build-config APP`.
pub fn reset(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--global"], &[])?;
    if a.has("--global") {
        bail!("domains:reset works on an app; the global domains are changed with domains:set-global or domains:clear-global");
    }
    let (app, _) = app_and_rest(&a.positional, usage(), false)?;
    let defaults = store::default_vhosts(&app)?;
    store::edit(&store::app_file(&app), |_| Ok((Some(defaults), ())))?;
    log::info1(&format!("Reset domains for {app}"));
    trigger("post-domains-update", &[&app, "reset"])?;
    trigger("proxy-build-config", &[&app])
}

/// Turns an app's domains on: Trigger `pre-enable-vhost APP` first (a failure stops it), then
/// the default domains when it has none, and (when `rebuild`) `proxy-build-config APP`.
pub fn enable_app(app: &str, rebuild: bool) -> Result<()> {
    if store::is_enabled(app)? {
        log::info1(&format!(
            "Domains (VHOST) support is already enabled for app ({app})"
        ));
        return Ok(());
    }
    trigger("pre-enable-vhost", &[app])?;
    let defaults = store::default_vhosts(app)?;
    store::edit(&store::app_file(app), |cur| {
        let empty = cur.as_ref().is_none_or(|v| v.is_empty());
        Ok(((empty && !defaults.is_empty()).then_some(defaults), ()))
    })?;
    store::set_enabled(app, true)?;
    log::info1(&format!("Enabling domains (VHOST) support for {app}"));
    if rebuild {
        trigger("proxy-build-config", &[app])?;
    }
    Ok(())
}

/// Turns an app's domains off (kept, not served): Trigger `pre-disable-vhost APP` first (a
/// failure stops it), then (when `rebuild`) `proxy-build-config APP`.
pub fn disable_app(app: &str, rebuild: bool) -> Result<()> {
    if !store::is_enabled(app)? {
        log::info1(&format!(
            "Domains (VHOST) support is already disabled for app ({app})"
        ));
        return Ok(());
    }
    trigger("pre-disable-vhost", &[app])?;
    store::set_enabled(app, false)?;
    log::info1(&format!("Disabling domains (VHOST) support for {app}"));
    if rebuild {
        trigger("proxy-build-config", &[app])?;
    }
    Ok(())
}

/// `domains:enable APP`: its domains are served again (the defaults when it has none).
pub fn enable(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, usage(), false)?;
    enable_app(&app, true)
}

/// `domains:disable APP`: its domains are kept but not served (`domains-list` is empty).
pub fn disable(argv: &[String]) -> Result<()> {
    let (app, _) = app_and_rest(argv, usage(), false)?;
    disable_app(&app, true)
}
