//! Batch forms of per-app triggers, for commands that act on every app (`proxy:build-config
//! --all`, `dokku report`): one trigger call for all apps instead of one per app. A trigger
//! that supports it is fired with `--all` in place of APP (the other arguments as usual) and
//! answers one line `APP<TAB>LINE` per line its single-app form would print for that app, for
//! every app, then a last line `--all` (so that an answer of no lines is told from a plugin
//! that does not know the batch form). The single-app forms stay; an answer not in that form
//! (a failure, a plain line, fewer `--all` lines than plugins implementing the trigger) makes
//! the caller ask app by app instead.

use anyhow::Result;
use std::collections::BTreeMap;
use std::io::Write;

/// The argument that stands for every app in a trigger's batch form.
pub const ALL: &str = "--all";

/// The answer lines of a per-app trigger for each app of `apps`, from one `name --all ARGS`
/// call when its answer is in the batch form (an app it names no line for has none), else from
/// `single(app)` for each app.
pub fn lines<F>(
    name: &str,
    args: &[&str],
    apps: &[String],
    single: F,
) -> Result<BTreeMap<String, Vec<String>>>
where
    F: Fn(&str) -> Result<Vec<String>>,
{
    if let Some(all) = ask(name, args, apps)? {
        return Ok(all);
    }
    apps.iter()
        .map(|app| Ok((app.clone(), single(app)?)))
        .collect()
}

/// `name --all ARGS` parsed into each app's lines (every app of `apps` present, maybe with
/// none); `None` when the trigger failed or its answer is not in the batch form (the caller
/// then asks app by app).
pub fn ask(
    name: &str,
    args: &[&str],
    apps: &[String],
) -> Result<Option<BTreeMap<String, Vec<String>>>> {
    let mut argv = vec![ALL];
    argv.extend(args);
    let o = crate::trigger_outcome(name, &argv, plugn::Input::Null, plugn::Output::Probe)?;
    if !o.success() {
        return Ok(None);
    }
    let implementers = plugn::discovery::implementers(crate::paths(), name)?.len();
    let text = String::from_utf8_lossy(&o.stdout);
    if text.lines().filter(|l| *l == ALL).count() != implementers {
        return Ok(None);
    }
    let mut out: BTreeMap<String, Vec<String>> =
        apps.iter().map(|a| (a.clone(), Vec::new())).collect();
    for line in text.lines() {
        if line.trim().is_empty() || line == ALL {
            continue;
        }
        let Some((app, value)) = line.split_once('\t') else {
            return Ok(None);
        };
        match out.get_mut(app) {
            Some(v) => v.push(value.to_string()),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Answers a trigger's batch form when `argv` starts with `--all`: `each(app, rest)` for every
/// app (the rest of the arguments after `--all`), each line it returns printed as
/// `APP<TAB>LINE`, then the closing `--all` line; returns `false` (nothing printed) when `argv` is a single-app call.
pub fn answer<F>(argv: &[String], each: F) -> Result<bool>
where
    F: Fn(&str, &[String]) -> Result<Vec<String>>,
{
    if argv.first().map(String::as_str) != Some(ALL) {
        return Ok(false);
    }
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    for app in crate::appname::all()? {
        for line in each(&app, &argv[1..])? {
            writeln!(o, "{app}\t{line}")?;
        }
    }
    writeln!(o, "{ALL}")?;
    o.flush()?;
    Ok(true)
}
