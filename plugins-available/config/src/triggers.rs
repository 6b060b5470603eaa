//! The triggers the config plugin answers: migration of ENV files, clone/rename/delete of an
//! app's config, and `config-get`, `config-get-global`, `config-export`.

use super::*;
use crate::commands::out;

/// Triggers `config-migrate-env` and `install`: brings every ENV file (the global one and each
/// app's) to Dokku 0.38's place and the current format, so that a plugin reading retired config
/// vars next finds them where and as the config plugin keeps them. Legacy files
/// (`$DOKKU_ROOT/APP/ENV`, `$DOKKU_ROOT/ENV`) are drained once (see [`store::migrate`]); files
/// written by older releases (double-quoted or bare values, loose modes) are rewritten
/// atomically under their lock; current ones are left untouched, so firing it again costs a
/// read per file.
pub(crate) fn trigger_migrate_env(_argv: &[String]) -> Result<()> {
    let mut scopes = vec![Scope::Global];
    for app in dokku_core::appname::all()? {
        scopes.push(Scope::App(app));
    }
    for scope in scopes {
        store::normalize(&scope)?;
        store::record_migrated(&scope)?;
    }
    Ok(())
}

/// The two app names of `post-app-rename-setup OLD NEW` / `post-app-clone-setup OLD NEW`.
pub(crate) fn old_new(argv: &[String], what: &str) -> Result<(Scope, Scope)> {
    let [old, new] = argv else {
        bail!("{what}: expected OLD NEW, got {} arguments", argv.len());
    };
    dokku_core::appname::validate(old)?;
    dokku_core::appname::validate(new)?;
    Ok((Scope::App(old.clone()), Scope::App(new.clone())))
}

/// Removes an app's ENV file, its lock, and its folder when nothing else is left in it.
pub(crate) fn remove_env(scope: &Scope) -> Result<()> {
    let path = scope.env_path();
    for p in [path.clone(), plugn::atomic::lock_path(&path)] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", p.display())),
        }
    }
    if let Some(d) = path.parent() {
        let _ = std::fs::remove_dir(d);
    }
    Ok(())
}

/// Lays `vars` over the config of `to` (nothing happens when there are none).
pub(crate) fn copy_into(to: &Scope, vars: Vars) -> Result<()> {
    if !vars.is_empty() {
        store::update(to, |v| {
            v.extend(vars);
            true
        })?;
    }
    Ok(())
}

/// Trigger `post-app-clone-setup OLD NEW`: the new app starts with the old one's config.
pub(crate) fn trigger_clone(argv: &[String]) -> Result<()> {
    let (old, new) = old_new(argv, "post-app-clone-setup")?;
    copy_into(&new, store::load(&old, false)?)
}

/// Trigger `post-app-rename-setup OLD NEW`: the config follows the app to its new name (the
/// old name is gone by now: its file is read as it is, never migrated).
pub(crate) fn trigger_rename(argv: &[String]) -> Result<()> {
    let (old, new) = old_new(argv, "post-app-rename-setup")?;
    copy_into(&new, store::read(&old.env_path())?)?;
    remove_env(&old)
}

/// Trigger `post-delete APP`: the app's config goes with it.
pub(crate) fn trigger_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    dokku_core::appname::validate(app)?;
    remove_env(&Scope::App(app.clone()))
}

/// The value of `key` in `scope`, printed as is (no newline); nothing when unset, when the
/// key is not a valid name, or when the app does not exist.
pub(crate) fn print_value(scope: Option<Scope>, key: &str) -> Result<()> {
    let Some(scope) = scope else { return Ok(()) };
    if envfile::validate_key(key).is_err() {
        return Ok(());
    }
    match store::load(&scope, false)?.get(key) {
        Some(v) => out(v.as_bytes()),
        None => Ok(()),
    }
}

/// Trigger `config-get APP KEY` (or `config-get --global KEY`): the app's value of KEY.
pub(crate) fn trigger_get(argv: &[String]) -> Result<()> {
    let [app, key] = argv else {
        bail!("config-get: expected APP KEY, got {} arguments", argv.len());
    };
    let scope = if app == "--global" {
        Some(Scope::Global)
    } else {
        Scope::app(app).ok()
    };
    print_value(scope, key)
}

/// Trigger `config-get-global KEY`: the global value of KEY.
pub(crate) fn trigger_get_global(argv: &[String]) -> Result<()> {
    let [key] = argv else {
        bail!(
            "config-get-global: expected KEY, got {} arguments",
            argv.len()
        );
    };
    print_value(Some(Scope::Global), key)
}

/// A boolean trigger argument, as Go's `strconv.ParseBool` reads it.
pub(crate) fn parse_bool(what: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => bail!("config-export: {what} must be true or false, got {v:?}"),
    }
}

/// Trigger `config-export APP GLOBAL MERGED FORMAT`: the export of the app's (or, with
/// GLOBAL true, the global) config in FORMAT.
pub(crate) fn trigger_export(argv: &[String]) -> Result<()> {
    let [app, global, merged, format] = argv else {
        bail!(
            "config-export: expected APP GLOBAL MERGED FORMAT, got {} arguments",
            argv.len()
        );
    };
    let scope = if parse_bool("GLOBAL", global)? {
        Scope::Global
    } else {
        Scope::app(app)?
    };
    let format = Format::parse(format)?;
    let vars = store::load(&scope, parse_bool("MERGED", merged)?)?;
    out(format::render(&vars, format).as_bytes())
}
