//! The config commands: show, get, set, unset, clear, import, keys, export and bundle, with
//! the parsing and after-change helpers they share (config has no report).

use super::*;

/// `dokku config:NAME USAGE`, for error messages.
pub(crate) fn usage(name: &str) -> String {
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
pub(crate) struct Call {
    scope: Scope,
    rest: Vec<String>,
    args: Args,
}

/// Parses `(<app>|--global)` plus the command's own flags; the app must exist.
pub(crate) fn call(argv: &[String], name: &str, bools: &[&str], values: &[&str]) -> Result<Call> {
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
pub(crate) fn call_no_rest(
    argv: &[String],
    name: &str,
    bools: &[&str],
    values: &[&str],
) -> Result<Call> {
    let c = call(argv, name, bools, values)?;
    if let Some(extra) = c.rest.first() {
        bail!("unexpected argument {extra:?}; usage: {}", usage(name));
    }
    Ok(c)
}

/// Writes to stdout (a reader that went away, `| head`, ends the command quietly: the plugin
/// runtime's rule).
pub(crate) fn out(bytes: &[u8]) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(bytes)
        .and_then(|_| o.flush())
        .context("cannot write to stdout")
}

/// Fires a trigger whose failure is worth a warning, not a failed command (the change is
/// already saved), as Dokku does.
pub(crate) fn fire_or_warn(name: &str, args: &[&str]) {
    if let Err(e) = dokku_core::trigger(name, args) {
        let why = dokku_core::failure_message(&e);
        log::warn(&format!("Failure while triggering {name}: {why}"));
    }
}

/// After a change: Trigger `post-config-update APP set|unset|clear KEY…` (APP is `--global` for
/// the global config; the keys only, as Dokku's own config plugin passes them: values stay out
/// of the events log), then (an app, unless `--no-restart` or `DOKKU_APP_RESTORE=0`)
/// `app-restart APP`.
pub(crate) fn after_change(scope: &Scope, op: &str, keys: &[String], vars: &Vars, restart: bool) {
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
pub(crate) fn show(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "show", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    log::info2(&format!("{} env vars", c.scope.label()));
    out(format::render(&vars, Format::Pretty).as_bytes())
}

/// `config:get (<app>|--global) [--merged] [--quoted] KEY`: the raw value and a newline;
/// exit 1 without output when the key is not set.
pub(crate) fn get(argv: &[String]) -> Result<()> {
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
pub(crate) fn parse_pair(arg: &str, encoded: bool) -> Result<(String, String)> {
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
pub(crate) fn set(argv: &[String]) -> Result<()> {
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
pub(crate) fn unset(argv: &[String]) -> Result<()> {
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
pub(crate) fn clear(argv: &[String]) -> Result<()> {
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
pub(crate) fn import_cmd(argv: &[String]) -> Result<()> {
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

/// `config:keys (<app>|--global) [--merged]`: one key per line.
pub(crate) fn keys(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "keys", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    let text: String = vars.keys().map(|k| format!("{k}\n")).collect();
    out(text.as_bytes())
}

/// `config:export (<app>|--global) [--merged] [--format FORMAT]` (`--envfile` is the legacy
/// spelling of `--format envfile`).
pub(crate) fn export(argv: &[String]) -> Result<()> {
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
pub(crate) fn bundle_cmd(argv: &[String]) -> Result<()> {
    let c = call_no_rest(argv, "bundle", &["--merged"], &[])?;
    let vars = store::load(&c.scope, c.args.has("--merged"))?;
    bundle::write(&vars)
}
