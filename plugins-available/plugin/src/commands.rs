//! The plugin commands: list, install, enable, disable, update, uninstall, installed,
//! install-dependencies and trigger, with the helpers they share (the plugin answers no
//! trigger and has no report).

use super::*;

/// The installed plugin `name` is known by: `available/NAME`, or the one folder whose name is
/// NAME behind a numeric order prefix (`20_events` for `events`).
pub(crate) fn find_installed(name: &str) -> Option<String> {
    let available = paths().available();
    if available.join(name).is_dir() {
        return Some(name.to_string());
    }
    discovery::available(paths())
        .ok()?
        .into_iter()
        .find(|p| strip_order_prefix(&p.name) == name && p.dir.is_dir())
        .map(|p| p.name)
}

/// The one positional argument naming a plugin, checked; `missing` is the error without it.
pub(crate) fn name_arg(argv: &[String], usage: &str, missing: &str) -> Result<String> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, usage)?;
    let name = a
        .pos(0)
        .ok_or_else(|| anyhow!("{missing}; usage: {usage}"))?;
    validate_plugin_name(name)?;
    Ok(name.clone())
}

/// The installed name of plugin `name`, or an error saying it is not installed.
pub(crate) fn require_installed(name: &str) -> Result<String> {
    find_installed(name).ok_or_else(|| anyhow!("plugin {name} is not installed"))
}

/// Runs one plugin's own trigger `t` (stdout passed through); its exit code.
pub(crate) fn run_own_trigger(dir: &Path, t: &str, args: &[String]) -> Result<i32> {
    trigger::fire_one(paths(), dir, t, args)
}

/// Fires `t` across the enabled plugins (only the core ones with `core_only`); fails naming
/// the plugin that stopped the chain.
pub(crate) fn fire_across(t: &str, core_only: bool) -> Result<()> {
    let p = paths();
    let o = trigger::fire_where(p, t, &[], Input::Null, Output::Inherit, &|plugin| {
        !core_only || discovery::is_core(p, &plugin.name)
    })?;
    if o.code != 0 {
        match o.failed {
            Some(name) => bail!("the {t} trigger failed in plugin {name} (exit {})", o.code),
            None => bail!("the {t} trigger failed (exit {})", o.code),
        }
    }
    Ok(())
}

/// One listing cell: never empty and never more than one line, so the columns stay parseable.
pub(crate) fn cell(s: &str, empty: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        empty.to_string()
    } else {
        s
    }
}

/// `plugin:list [--format stdout|json]` (and `dokku plugin`): every installed plugin with its
/// version, state and description, as `plugn list` prints them for Dokku.
pub(crate) fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(0, usage())?;
    let format = Format::parse(a.value("--format"))?;
    let rows = manage::list(paths())?;
    if format == Format::Json {
        let infos: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let (source_url, committish, branch) =
                    git_source(&paths().available().join(&r.name));
                serde_json::json!({
                    "name": r.name,
                    "version": r.version,
                    "enabled": r.enabled,
                    "core": r.core,
                    "description": cell(&r.description, ""),
                    "source_url": source_url,
                    "committish": committish,
                    "branch": branch,
                })
            })
            .collect();
        println!("{}", serde_json::to_string(&infos)?);
        return Ok(());
    }
    let rows: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                cell(&r.name, "-"),
                cell(&r.version, "-"),
                (if r.enabled { "enabled" } else { "disabled" }).to_string(),
                cell(&r.description, ""),
            ]
        })
        .collect();
    let width = |i: usize, min: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let (w0, w1) = (width(0, 20), width(1, 0));
    let mut out = format!("plugn: {}\n", plugn::VERSION);
    for [name, version, state, description] in &rows {
        let line = format!("  {name:<w0$} {version:<w1$} {state:<8}   {description}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

/// Where a git-installed plugin came from: origin URL, commit, branch (empty when unknown).
pub(crate) fn git_source(dir: &Path) -> (String, String, String) {
    if !dir.join(".git").exists() {
        return Default::default();
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-c")
            .arg(format!("safe.directory={}", dir.display()))
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let branch = git(&["rev-parse", "--abbrev-ref", "HEAD"]);
    (
        git(&["remote", "get-url", "origin"]),
        git(&["rev-parse", "HEAD"]),
        if branch == "HEAD" {
            String::new()
        } else {
            branch
        },
    )
}

/// `plugin:installed NAME`: exit 0 when installed, 1 when not (silently).
pub(crate) fn installed(argv: &[String]) -> Result<()> {
    let name = name_arg(argv, usage(), "Please specify a plugin to check")?;
    match find_installed(&name) {
        Some(_) => Ok(()),
        None => Err(Exit(1).into()),
    }
}

/// `plugin:enable NAME`.
pub(crate) fn enable(argv: &[String]) -> Result<()> {
    let name = name_arg(argv, usage(), "Please specify a plugin to enable")?;
    let name = require_installed(&name)?;
    if discovery::is_enabled(paths(), &name) {
        log::info1(&format!("Plugin {name} is already enabled"));
        return Ok(());
    }
    log::info1(&format!("Enabling {name}"));
    manage::enable(paths(), &name)
}

/// `plugin:disable NAME`: core plugins too (that is how a community plugin replaces one), but
/// not this plugin itself, which would take `plugin:enable` away with it.
pub(crate) fn disable(argv: &[String]) -> Result<()> {
    let name = name_arg(argv, usage(), "Please specify a plugin to disable")?;
    let name = require_installed(&name)?;
    if strip_order_prefix(&name) == PLUGIN.prefix {
        bail!("the plugin plugin cannot disable itself: plugin:enable would go with it (`plugn disable {name}` does it anyway)");
    }
    if !discovery::is_enabled(paths(), &name) {
        log::info1(&format!("Plugin {name} is already disabled"));
        return Ok(());
    }
    log::info1(&format!("Disabling {name}"));
    manage::disable(paths(), &name)
}

/// The step line shown before a plugin is fetched from `source` into `dest`.
pub(crate) fn fetch_step(kind: &SourceKind, source: &str, dest: &Path) -> String {
    let remote = source.starts_with("http://") || source.starts_with("https://");
    match kind {
        SourceKind::Git => format!("Cloning plugin repo {source} to {}", dest.display()),
        SourceKind::Tarball if remote => {
            format!("Downloading plugin archive {source} to {}", dest.display())
        }
        SourceKind::Tarball => format!("Extracting plugin archive {source} to {}", dest.display()),
        SourceKind::Folder => format!("Copying plugin folder {source} to {}", dest.display()),
    }
}

/// Runs the new or updated plugin's own `install` then `dependencies` triggers; the error says
/// which failed.
pub(crate) fn run_install_triggers(name: &str) -> Result<()> {
    let dir = paths().available().join(name);
    for t in ["install", "dependencies"] {
        let code = run_own_trigger(&dir, t, &[])?;
        if code != 0 {
            bail!("the {t} trigger of plugin {name} failed (exit {code})");
        }
    }
    Ok(())
}

/// `plugin:install [SOURCE [NAME]] [--committish C] [--name N] [--core] [--skip-install-trigger]`.
pub(crate) fn install(argv: &[String]) -> Result<()> {
    let a = args::parse(
        argv,
        &["--core", "--skip-install-trigger"],
        &["--committish", "--name"],
    )?;
    a.at_most(2, INSTALL_USAGE)?;
    let core_only = a.has("--core");
    let Some(source) = a.pos(0) else {
        if a.value("--committish").is_some() || a.value("--name").is_some() {
            bail!("--committish and --name need a plugin source; usage: {INSTALL_USAGE}");
        }
        if a.has("--skip-install-trigger") {
            return Ok(());
        }
        fire_across("install", core_only)?;
        return fire_across("dependencies", core_only);
    };
    if core_only {
        bail!("--core installs no plugin, it runs the core plugins' install trigger: drop the plugin source or --core");
    }
    let kind = manage::classify(source)?;
    let (name, derived) = match (a.value("--name"), a.pos(1)) {
        (Some(_), Some(_)) => {
            bail!("give the plugin name once, with --name; usage: {INSTALL_USAGE}")
        }
        (Some(n), None) => (n.to_string(), false),
        (None, Some(n)) => (n.clone(), false),
        (None, None) => (manage::name_from_source(source), true),
    };
    if let Err(e) = validate_plugin_name(&name) {
        if derived {
            bail!("{e:#} (taken from {source:?}; choose one with --name)");
        }
        return Err(e);
    }
    let dest = paths().available().join(&name);
    if dest.symlink_metadata().is_ok() {
        bail!("plugin {name} is already installed; update it with `dokku plugin:update {name}`");
    }
    log::info1(&fetch_step(&kind, source, &dest));
    let name = manage::install(paths(), source, Some(&name), a.value("--committish"))?;
    manage::enable(paths(), &name)?;
    log::info1(&format!("Plugin {name} enabled"));
    if a.has("--skip-install-trigger") {
        return Ok(());
    }
    if let Err(e) = run_install_triggers(&name) {
        // As Dokku leaves it: installed, but disabled until it can be fixed.
        let _ = manage::disable(paths(), &name);
        let _ = manage::restore_ownership(paths(), &name);
        bail!("{e:#}; plugin {name} is installed but left disabled");
    }
    // What its triggers wrote into its folder as root goes to the dokku user too.
    manage::restore_ownership(paths(), &name)
}

/// `plugin:install-dependencies [--core]`: fires `dependencies`.
pub(crate) fn install_dependencies(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--core"], &[])?;
    a.at_most(0, usage())?;
    fire_across("dependencies", a.has("--core"))
}

/// `plugin:uninstall NAME [--force]`: the plugin's own `uninstall` trigger (with its name as
/// argument, as Dokku passes it), then its removal. Core plugins are refused.
pub(crate) fn uninstall(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &["--force"], &[])?;
    a.at_most(1, usage)?;
    let name = a
        .pos(0)
        .ok_or_else(|| anyhow!("Please specify a plugin to uninstall; usage: {usage}"))?;
    validate_plugin_name(name)?;
    let force = a.has("--force")
        || std::env::var_os("DOKKU_APPS_FORCE_DELETE").is_some_and(|v| !v.is_empty());
    let name = find_installed(name).unwrap_or_else(|| name.clone());
    if discovery::is_core(paths(), &name) {
        bail!("plugin {name} is a core plugin and cannot be uninstalled; `dokku plugin:disable {name}` turns it off");
    }
    let name = require_installed(&name)?;
    log::info1(&format!("Uninstalling plugin {name}"));
    let dir = paths().available().join(&name);
    let code = run_own_trigger(&dir, "uninstall", std::slice::from_ref(&name))?;
    if code != 0 {
        if !force {
            bail!("the uninstall trigger of plugin {name} failed (exit {code}); the plugin is left installed (`dokku --force plugin:uninstall {name}` removes it anyway)");
        }
        log::warn(&format!(
            "the uninstall trigger of plugin {name} failed (exit {code}); removing it anyway (--force)"
        ));
    }
    manage::uninstall(paths(), &name)?;
    log::info1(&format!("Plugin {name} uninstalled"));
    Ok(())
}

/// Updates one git-installed plugin, then runs its `install` and `dependencies` triggers when
/// it is enabled.
pub(crate) fn update_one(name: &str, committish: Option<&str>) -> Result<()> {
    match committish {
        Some(c) => log::info1(&format!("Updating plugin {name} to {c}")),
        None => log::info1(&format!("Updating plugin {name}")),
    }
    manage::update(paths(), name, committish)?;
    if discovery::is_enabled(paths(), name) {
        run_install_triggers(name)?;
        manage::restore_ownership(paths(), name)?;
    }
    log::info1(&format!("Plugin {name} updated"));
    Ok(())
}

/// `plugin:update [NAME [COMMITTISH]]`: one plugin, or every git-installed community plugin;
/// then the `update` trigger across the enabled plugins.
pub(crate) fn update(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage())?;
    match a.pos(0) {
        Some(name) => {
            validate_plugin_name(name)?;
            let name = require_installed(name)?;
            update_one(&name, a.pos(1).map(String::as_str))?;
        }
        None => {
            let mut failed = false;
            for p in discovery::available(paths())? {
                if discovery::is_core(paths(), &p.name) || !p.dir.join(".git").exists() {
                    continue;
                }
                if let Err(e) = update_one(&p.name, None) {
                    log::error(&format!("{e:#}"));
                    failed = true;
                }
            }
            if failed {
                return Err(Exit(1).into());
            }
        }
    }
    fire_across("update", false)
}

/// `plugin:trigger TRIGGER [ARGS…]`: fires it with stdin and stdout passed through and exits
/// with its code. The arguments are passed exactly as given, flags included.
pub(crate) fn fire_trigger(argv: &[String]) -> Result<()> {
    let Some((name, rest)) = argv.split_first() else {
        bail!(
            "Please specify a trigger to fire; usage: dokku plugin:trigger <trigger> [<args...>]"
        );
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let o = dokku_core::trigger_outcome(name, &rest, Input::Inherit, Output::Inherit)?;
    if o.code != 0 {
        return Err(Exit(o.code).into());
    }
    Ok(())
}
