//! The nginx commands: `nginx:show-config`, `nginx:validate-config` and `nginx:set`.

use super::*;

pub(crate) fn app_arg(argv: &[String], usage: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `nginx:show-config APP`.
pub(crate) fn show_config(argv: &[String]) -> Result<()> {
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
pub(crate) fn validate_config(argv: &[String]) -> Result<()> {
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
pub(crate) fn set(argv: &[String]) -> Result<()> {
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
