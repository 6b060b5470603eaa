//! The config plugin: an app's (or the global) environment variables, kept in Dokku's `ENV`
//! files. Commands `config`, `config:show|get|set|unset|keys|clear|export|bundle|import`;
//! triggers `config-get`, `config-get-global` and `config-export`, which other plugins ask, and
//! `config-migrate-env`, which plugins fire before reading retired config vars.

mod base64;
mod bundle;
mod format;
mod import;
mod store;

use anyhow::{bail, Context, Result};
use dokku_core::args::{self, Args};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{envfile, log, Exit};
use format::Format;
use std::io::Write;
use store::{Scope, Vars};

static PLUGIN: Plugin = Plugin {
    prefix: "config",
    summary: "Manage global and app-specific config vars",
    commands: &[
        Command {
            name: "default",
            usage: "(<app>|--global) [--merged]",
            help: "Pretty-print an app or global environment",
            run: show,
        },
        Command {
            name: "bundle",
            usage: "(<app>|--global) [--merged]",
            help: "Bundle environment into tarfile",
            run: bundle_cmd,
        },
        Command {
            name: "clear",
            usage: "[--no-restart] (<app>|--global)",
            help: "Clears environment variables",
            run: clear,
        },
        Command {
            name: "export",
            usage: "(<app>|--global) [--merged] [--format FORMAT]",
            help: "Export a global or app environment",
            run: export,
        },
        Command {
            name: "get",
            usage: "(<app>|--global) [--merged] [--quoted] KEY",
            help: "Display a global or app-specific config value",
            run: get,
        },
        Command {
            name: "import",
            usage: "[--no-restart] [--replace] [--format envfile|shell|json] (<app>|--global) [<file>|-]",
            help: "Import config vars from a file or stdin",
            run: import_cmd,
        },
        Command {
            name: "keys",
            usage: "(<app>|--global) [--merged]",
            help: "Show keys set in environment",
            run: keys,
        },
        Command {
            name: "set",
            usage: "[--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
            help: "Set one or more config vars",
            run: set,
        },
        Command {
            name: "show",
            usage: "(<app>|--global) [--merged]",
            help: "Pretty-print an app or global environment",
            run: show,
        },
        Command {
            name: "unset",
            usage: "[--no-restart] (<app>|--global) KEY1 [KEY2 ...]",
            help: "Unset one or more config vars",
            run: unset,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("config-export", trigger_export),
        Trigger::new("config-get", trigger_get),
        Trigger::new("config-get-global", trigger_get_global),
        Trigger::new("config-migrate-env", trigger_migrate_env),
        Trigger::new("install", trigger_migrate_env),
        Trigger::new("post-app-clone-setup", trigger_clone),
        Trigger::new("post-app-rename-setup", trigger_rename),
        Trigger::new("post-delete", trigger_delete),
    ],
};

fn main() {
    PLUGIN.main()
}

/// `dokku config:NAME USAGE`, for error messages.
fn usage(name: &str) -> String {
    let c = PLUGIN.commands.iter().find(|c| c.name == name);
    let cmd = if name == "default" {
        "config".to_string()
    } else {
        format!("config:{name}")
    };
    match c {
        Some(c) => format!("dokku {cmd} {}", c.usage),
        None => format!("dokku {cmd}"),
    }
}

/// A parsed command line: whose config, the arguments after the app, and the flags.
struct Call {
    scope: Scope,
    rest: Vec<String>,
    args: Args,
}

/// Parses `(<app>|--global)` plus the command's own flags; the app must exist.
fn call(argv: &[String], name: &str, bools: &[&str], values: &[&str]) -> Result<Call> {
    let mut all = vec!["--global"];
    all.extend_from_slice(bools);
    let args = args::parse(argv, &all, values)?;
    let (scope, rest) = if args.has("--global") {
        (Scope::Global, args.positional.clone())
    } else {
        match args.positional.split_first() {
            Some((app, rest)) => (Scope::app(app)?, rest.to_vec()),
            None => bail!("Please specify an app or --global; usage: {}", usage(name)),
        }
    };
    Ok(Call { scope, rest, args })
}

/// Like [`call`], for a command that takes no argument after the app.
fn call_no_rest(argv: &[String], name: &str, bools: &[&str], values: &[&str]) -> Result<Call> {
    let c = call(argv, name, bools, values)?;
    if let Some(extra) = c.rest.first() {
        bail!("unexpected argument {extra:?}; usage: {}", usage(name));
    }
    Ok(c)
}

/// Writes to stdout (a reader that went away, `| head`, ends the command quietly: the plugin
/// runtime's rule).
fn out(bytes: &[u8]) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(bytes)
        .and_then(|_| o.flush())
        .context("cannot write to stdout")
}

/// Fires a trigger whose failure is worth a warning, not a failed command (the change is
/// already saved), as Dokku does.
fn fire_or_warn(name: &str, args: &[&str]) {
    if let Err(e) = dokku_core::trigger(name, args) {
        let why = dokku_core::failure_message(&e);
        log::warn(&format!("Failure while triggering {name}: {why}"));
    }
}

/// After a change: Trigger `post-config-update APP set|unset|clear KEY…` (APP is `--global` for
/// the global config; the keys only, as Dokku's own config plugin passes them: values stay out
/// of the events log), then (an app, unless `--no-restart` or `DOKKU_APP_RESTORE=0`)
/// `app-restart APP`.
fn after_change(scope: &Scope, op: &str, keys: &[String], vars: &Vars, restart: bool) {
    let mut args = vec![scope.trigger_name(), op];
    args.extend(keys.iter().map(String::as_str));
    fire_or_warn("post-config-update", &args);
    if let Scope::App(app) = scope {
        let restore = vars.get("DOKKU_APP_RESTORE").is_none_or(|v| v != "0");
        if restart && restore {
            // The scheduler answering `app-restart` restarts a deployed app and says so; an app
            // that was never deployed has nothing to restart and prints nothing.
            fire_or_warn("app-restart", &[app]);
        }
    }
}

/// `config` / `config:show (<app>|--global) [--merged]`: a heading and aligned lines.
fn show(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "show", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    log::info2(&format!("{} env vars", c.scope.label()));
    out(format::render(&vars, Format::Pretty).as_bytes())
}

/// `config:get (<app>|--global) [--merged] [--quoted] KEY`: the raw value and a newline;
/// exit 1 without output when the key is not set.
fn get(argv: &[String]) -> Result<()> {
    let c = call(argv, "get", &["--merged", "--quoted"], &[])?;
    let key = match c.rest.as_slice() {
        [k] => k,
        [] => bail!("Expected a KEY; usage: {}", usage("get")),
        [_, extra, ..] => bail!("unexpected argument {extra:?}; usage: {}", usage("get")),
    };
    envfile::validate_key(key)?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    let Some(value) = vars.get(key) else {
        return Err(Exit(1).into());
    };
    let text = if c.args.has("--quoted") {
        envfile::shell_quote(value)
    } else {
        value.clone()
    };
    out(format!("{text}\n").as_bytes())
}

/// Parses `KEY=VALUE` (the value base64 when `encoded`) into a checked pair.
fn parse_pair(arg: &str, encoded: bool) -> Result<(String, String)> {
    let Some((key, value)) = arg.split_once('=') else {
        bail!("Invalid env pair {arg:?}: expected KEY=VALUE");
    };
    envfile::validate_key(key)?;
    if !encoded {
        return Ok((key.to_string(), value.to_string()));
    }
    let bytes =
        base64::decode(value).with_context(|| format!("Invalid base64 value for key {key}"))?;
    let value = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("The decoded value for key {key} is not valid UTF-8"))?;
    if value.contains('\0') {
        bail!("The decoded value for key {key} contains a NUL byte, which no environment can hold");
    }
    Ok((key.to_string(), value))
}

/// `config:set [--encoded] [--no-restart] (<app>|--global) KEY=VALUE…`.
fn set(argv: &[String]) -> Result<()> {
    let c = call(argv, "set", &["--encoded", "--no-restart"], &[])?;
    if c.rest.is_empty() {
        // Dokku's words, which scripts match.
        bail!("At least one env pair must be given");
    }
    let encoded = c.args.has("--encoded");
    let mut entries = Vars::new();
    let mut order: Vec<String> = Vec::new();
    for arg in &c.rest {
        let (k, v) = parse_pair(arg, encoded)?;
        if !entries.contains_key(&k) {
            order.push(k.clone());
        }
        entries.insert(k, v);
    }
    let (vars, _) = store::update(&c.scope, |vars| {
        vars.extend(entries.clone());
        true
    })?;
    log::info1("Setting config vars");
    for line in format::pretty_lines(&entries) {
        log::verbose(&line);
    }
    after_change(&c.scope, "set", &order, &vars, !c.args.has("--no-restart"));
    Ok(())
}

/// `config:unset [--no-restart] (<app>|--global) KEY…`.
fn unset(argv: &[String]) -> Result<()> {
    let c = call(argv, "unset", &["--no-restart"], &[])?;
    if c.rest.is_empty() {
        bail!("At least one key must be given");
    }
    for k in &c.rest {
        envfile::validate_key(k)?;
    }
    let mut removed: Vec<String> = Vec::new();
    let (vars, changed) = store::update(&c.scope, |vars| {
        for k in &c.rest {
            if vars.remove(k).is_some() {
                removed.push(k.clone());
            }
        }
        !removed.is_empty()
    })?;
    let mut seen: Vec<&String> = Vec::new();
    for k in &c.rest {
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        if removed.contains(k) {
            log::info1(&format!("Unsetting {k}"));
        } else {
            log::info1(&format!("Skipping {k}, it is not set in the environment"));
        }
    }
    if changed {
        after_change(
            &c.scope,
            "unset",
            &removed,
            &vars,
            !c.args.has("--no-restart"),
        );
    }
    Ok(())
}

/// `config:clear [--no-restart] (<app>|--global)`: removes every var.
fn clear(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "clear", &["--no-restart"], &[])?;
    let mut removed: Vec<String> = Vec::new();
    let (vars, changed) = store::update(&c.scope, |vars| {
        removed = std::mem::take(vars).into_keys().collect();
        !removed.is_empty()
    })?;
    if !changed {
        log::info1(&format!("No config vars to clear for {}", c.scope.label()));
        return Ok(());
    }
    for k in &removed {
        log::info1(&format!("Unsetting {k}"));
    }
    after_change(&c.scope, "clear", &[], &vars, !c.args.has("--no-restart"));
    Ok(())
}

/// `config:import [--no-restart] [--replace] [--format F] (<app>|--global) [FILE|-]`: the vars
/// of FILE (on the server) or stdin set in one change under the config lock; with `--replace`,
/// the vars not in the input are removed. Nothing is written when any line is invalid.
fn import_cmd(argv: &[String]) -> Result<()> {
    let c = call(
        argv,
        "import",
        &["--no-restart", "--replace"],
        &["--format"],
    )?;
    if c.rest.len() > 1 {
        bail!(
            "unexpected argument {:?}; usage: {}",
            c.rest[1],
            usage("import")
        );
    }
    let format = import::InputFormat::parse(c.args.value("--format").unwrap_or("envfile"))?;
    let text = import::read_input(c.rest.first().map(String::as_str))?;
    let entries = import::parse(&text, format)?;
    let replace = c.args.has("--replace");
    let mut set_keys: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let (vars, changed) = store::update(&c.scope, |vars| {
        if replace {
            removed = vars
                .keys()
                .filter(|k| !entries.contains_key(*k))
                .cloned()
                .collect();
            for k in &removed {
                vars.remove(k);
            }
        }
        for (k, v) in &entries {
            if vars.get(k) != Some(v) {
                set_keys.push(k.clone());
                vars.insert(k.clone(), v.clone());
            }
        }
        !set_keys.is_empty() || !removed.is_empty()
    })?;
    if !changed {
        log::info1(&format!(
            "No config vars changed for {} ({} imported)",
            c.scope.label(),
            entries.len()
        ));
        return Ok(());
    }
    let restart = !c.args.has("--no-restart");
    for k in &removed {
        log::info1(&format!("Unsetting {k}"));
    }
    if set_keys.is_empty() {
        after_change(&c.scope, "unset", &removed, &vars, restart);
        return Ok(());
    }
    log::info1("Setting config vars");
    for k in &set_keys {
        log::verbose(k);
    }
    if !removed.is_empty() {
        let mut args = vec![c.scope.trigger_name(), "unset"];
        args.extend(removed.iter().map(String::as_str));
        fire_or_warn("post-config-update", &args);
    }
    after_change(&c.scope, "set", &set_keys, &vars, restart);
    Ok(())
}

/// Triggers `config-migrate-env` and `install`: brings every ENV file (the global one and each
/// app's) to Dokku 0.38's place and the current format, so that a plugin reading retired config
/// vars next finds them where and as the config plugin keeps them. Legacy files
/// (`$DOKKU_ROOT/APP/ENV`, `$DOKKU_ROOT/ENV`) are drained once (see [`store::migrate`]); files
/// written by older releases (double-quoted or bare values, loose modes) are rewritten
/// atomically under their lock; current ones are left untouched, so firing it again costs a
/// read per file.
fn trigger_migrate_env(_argv: &[String]) -> Result<()> {
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
fn old_new(argv: &[String], what: &str) -> Result<(Scope, Scope)> {
    let [old, new] = argv else {
        bail!("{what}: expected OLD NEW, got {} arguments", argv.len());
    };
    dokku_core::appname::validate(old)?;
    dokku_core::appname::validate(new)?;
    Ok((Scope::App(old.clone()), Scope::App(new.clone())))
}

/// Removes an app's ENV file, its lock, and its folder when nothing else is left in it.
fn remove_env(scope: &Scope) -> Result<()> {
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
fn copy_into(to: &Scope, vars: Vars) -> Result<()> {
    if !vars.is_empty() {
        store::update(to, |v| {
            v.extend(vars);
            true
        })?;
    }
    Ok(())
}

/// Trigger `post-app-clone-setup OLD NEW`: the new app starts with the old one's config.
fn trigger_clone(argv: &[String]) -> Result<()> {
    let (old, new) = old_new(argv, "post-app-clone-setup")?;
    copy_into(&new, store::load(&old, false)?)
}

/// Trigger `post-app-rename-setup OLD NEW`: the config follows the app to its new name (the
/// old name is gone by now: its file is read as it is, never migrated).
fn trigger_rename(argv: &[String]) -> Result<()> {
    let (old, new) = old_new(argv, "post-app-rename-setup")?;
    copy_into(&new, store::read(&old.env_path())?)?;
    remove_env(&old)
}

/// Trigger `post-delete APP`: the app's config goes with it.
fn trigger_delete(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        return Ok(());
    };
    dokku_core::appname::validate(app)?;
    remove_env(&Scope::App(app.clone()))
}

/// `config:keys (<app>|--global) [--merged]`: one key per line.
fn keys(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "keys", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    let text: String = vars.keys().map(|k| format!("{k}\n")).collect();
    out(text.as_bytes())
}

/// `config:export (<app>|--global) [--merged] [--format FORMAT]` (`--envfile` is the legacy
/// spelling of `--format envfile`).
fn export(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "export", &["--merged", "--envfile"], &["--format"])?;
    let name = match (c.args.value("--format"), c.args.has("--envfile")) {
        (Some(_), true) => bail!("Only one of --format and --envfile can be given"),
        (Some(f), false) => f,
        (None, true) => "envfile",
        (None, false) => "exports",
    };
    let format = Format::parse(name)?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    out(format::render(&vars, format).as_bytes())
}

/// `config:bundle (<app>|--global) [--merged]`: a tar archive of the vars on stdout.
fn bundle_cmd(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "bundle", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    bundle::write(&vars)
}

/// The value of `key` in `scope`, printed as is (no newline); nothing when unset, when the
/// key is not a valid name, or when the app does not exist.
fn print_value(scope: Option<Scope>, key: &str) -> Result<()> {
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
fn trigger_get(argv: &[String]) -> Result<()> {
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
fn trigger_get_global(argv: &[String]) -> Result<()> {
    let [key] = argv else {
        bail!(
            "config-get-global: expected KEY, got {} arguments",
            argv.len()
        );
    };
    print_value(Some(Scope::Global), key)
}

/// A boolean trigger argument, as Go's `strconv.ParseBool` reads it.
fn parse_bool(what: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => bail!("config-export: {what} must be true or false, got {v:?}"),
    }
}

/// Trigger `config-export APP GLOBAL MERGED FORMAT`: the export of the app's (or, with
/// GLOBAL true, the global) config in FORMAT.
fn trigger_export(argv: &[String]) -> Result<()> {
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
