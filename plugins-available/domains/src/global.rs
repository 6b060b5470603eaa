//! The global domains: `domains:add-global|remove-global|set-global|clear-global`. New apps
//! get `APP.GLOBAL`; after a change every app's proxy config is rebuilt.

use crate::app::normalize_all;
use crate::store;
use anyhow::{bail, Result};
use dokku_core::domainname::Scope;
use dokku_core::plugin::usage;
use dokku_core::{appname, args, log, trigger};

/// The domains given (at least one unless `none_ok`), as they were typed.
fn domains_arg(argv: &[String], usage: &str, none_ok: bool) -> Result<Vec<String>> {
    let a = args::parse(argv, &[], &[])?;
    if !none_ok && a.positional.is_empty() {
        bail!("Please specify at least one domain; usage: {usage}");
    }
    if none_ok && !a.positional.is_empty() {
        bail!("unexpected argument {:?}; usage: {usage}", a.positional[0]);
    }
    Ok(a.positional)
}

/// Fires `proxy-build-config APP` for every app; all are tried, and the failures reported.
fn rebuild_all() -> Result<()> {
    let mut failed = Vec::new();
    for app in appname::all()? {
        if trigger("proxy-build-config", &[&app]).is_err() {
            failed.push(app);
        }
    }
    if !failed.is_empty() {
        bail!(
            "the proxy config could not be rebuilt for {}",
            failed.join(", ")
        );
    }
    Ok(())
}

/// `domains:add-global DOMAIN…`.
pub fn add(argv: &[String]) -> Result<()> {
    let raw = domains_arg(argv, usage(), false)?;
    let domains = normalize_all(&raw, Scope::Global)?;
    let added = store::edit(&store::global_file(), |cur| {
        let mut v = cur.unwrap_or_default();
        let mut n = 0;
        for d in &domains {
            if v.contains(d) {
                log::warn(&format!("Skipping {d}: already added"));
            } else {
                v.push(d.clone());
                n += 1;
                log::info1(&format!("Added {d}"));
            }
        }
        Ok(((n > 0).then_some(v), n))
    })?;
    if added > 0 {
        rebuild_all()?;
    }
    Ok(())
}

/// `domains:remove-global DOMAIN…`.
pub fn remove(argv: &[String]) -> Result<()> {
    let raw = domains_arg(argv, usage(), false)?;
    let wanted: Vec<String> = raw.iter().map(|d| d.to_lowercase()).collect();
    let removed = store::edit(&store::global_file(), |cur| {
        let mut v = cur.unwrap_or_default();
        let mut n = 0;
        for d in &wanted {
            if let Some(i) = v.iter().position(|x| x == d) {
                v.remove(i);
                n += 1;
                log::info1(&format!("Removed {d}"));
            } else {
                log::warn(&format!("Skipping {d}: not a global domain"));
            }
        }
        Ok(((n > 0).then_some(v), n))
    })?;
    if removed > 0 {
        rebuild_all()?;
    }
    Ok(())
}

/// `domains:set-global DOMAIN…`.
pub fn set(argv: &[String]) -> Result<()> {
    let raw = domains_arg(argv, usage(), false)?;
    let domains = normalize_all(&raw, Scope::Global)?;
    store::edit(&store::global_file(), |_| Ok((Some(domains.clone()), ())))?;
    log::info1(&format!("Set {}", domains.join(" ")));
    rebuild_all()
}

/// `domains:clear-global`.
pub fn clear(argv: &[String]) -> Result<()> {
    domains_arg(argv, usage(), true)?;
    store::edit(&store::global_file(), |_| Ok((Some(Vec::new()), ())))?;
    log::info1("Cleared global domains");
    rebuild_all()
}
