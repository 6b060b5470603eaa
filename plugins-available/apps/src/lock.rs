//! The deploy lock an operator sets by hand: the file `$DOKKU_ROOT/APP/.deploy.lock`.

use anyhow::{Context, Result};
use dokku_core::appname;
pub use dokku_core::deploylock::is_locked;
use dokku_core::deploylock::manual_lock_file as lock_file;
use dokku_core::plugin::usage;
use dokku_core::{args, log, Exit};

fn app_arg(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `apps:lock APP`.
pub fn lock(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, usage())?;
    let f = lock_file(&app);
    plugn::atomic::write(&f, b"", 0o644)
        .with_context(|| format!("apps:lock: cannot create {}", f.display()))?;
    log::info1("Deploy lock created");
    Ok(())
}

/// `apps:unlock APP`.
pub fn unlock(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, usage())?;
    let f = lock_file(&app);
    match std::fs::remove_file(&f) {
        Ok(()) => log::info1("Deploy lock removed"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => log::warn("App not locked"),
        Err(e) => {
            return Err(e).with_context(|| format!("apps:unlock: cannot remove {}", f.display()))
        }
    }
    Ok(())
}

/// `apps:locked APP`: exit 0 when locked, 1 when not.
pub fn locked(argv: &[String]) -> Result<()> {
    let app = app_arg(argv, usage())?;
    if is_locked(&app) {
        println!("Deploy lock exists");
        Ok(())
    } else {
        println!("Deploy lock does not exist");
        Err(Exit(1).into())
    }
}
