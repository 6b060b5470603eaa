//! `plugn`: the trigger runner and plugin manager command line.

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use plugn::{manage, manifest, plugin_config, trigger, Paths};
use std::process::exit;

#[derive(Parser)]
#[command(name = "plugn", version = plugn::VERSION, about = "Fire plugin triggers and manage plugins")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fire a trigger across the enabled plugins
    Trigger {
        /// Trigger name
        name: String,
        /// Arguments handed to every plugin
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// List installed plugins
    List,
    /// Install a plugin from a local folder, a git URL or a tarball URL
    Install {
        /// Where the plugin comes from
        source: String,
        /// Install under this name (default: from the source)
        name: Option<String>,
        /// Check out this commit, tag or branch (git sources)
        #[arg(long)]
        committish: Option<String>,
    },
    /// Remove an installed plugin
    Uninstall { name: String },
    /// Enable an installed plugin
    Enable { name: String },
    /// Disable a plugin
    Disable { name: String },
    /// Update a git-installed plugin
    Update {
        name: String,
        committish: Option<String>,
    },
    /// Print the version
    Version,
    /// Read or set a plugin's config ($PLUGIN_PATH/config.toml, keys from [plugin.config])
    Config {
        #[command(subcommand)]
        op: ConfigOp,
    },
}

#[derive(Subcommand)]
enum ConfigOp {
    /// Print one config value
    Get { plugin: String, key: String },
    /// Set one config value
    Set {
        plugin: String,
        key: String,
        value: String,
    },
    /// Print every config value as CONFIG_* exports
    Export { plugin: String },
}

fn plugin_dir(paths: &Paths, name: &str) -> Result<std::path::PathBuf> {
    manifest::validate_plugin_name(name)?;
    let dir = paths.available().join(name);
    if !dir.is_dir() {
        bail!("plugin {name} is not installed");
    }
    Ok(dir)
}

fn run(cli: Cli) -> Result<i32> {
    let paths = Paths::from_env();
    match cli.cmd {
        Cmd::Trigger { name, args } => {
            let o = trigger::fire(
                &paths,
                &name,
                &args,
                trigger::Input::Inherit,
                trigger::Output::Inherit,
            )?;
            return Ok(o.code);
        }
        Cmd::List => {
            for p in manage::list(&paths)? {
                println!(
                    "  {:<30} {:<10} {:<10} {}",
                    p.name,
                    p.version,
                    if p.enabled { "enabled" } else { "disabled" },
                    p.description
                );
            }
        }
        Cmd::Install {
            source,
            name,
            committish,
        } => {
            let name = manage::install(&paths, &source, name.as_deref(), committish.as_deref())?;
            println!("{name}");
        }
        Cmd::Uninstall { name } => manage::uninstall(&paths, &name)?,
        Cmd::Enable { name } => manage::enable(&paths, &name)?,
        Cmd::Disable { name } => manage::disable(&paths, &name)?,
        Cmd::Update { name, committish } => manage::update(&paths, &name, committish.as_deref())?,
        Cmd::Version => println!("{}", plugn::VERSION),
        Cmd::Config { op } => match op {
            ConfigOp::Get { plugin, key } => {
                let m = manifest::load(&plugin_dir(&paths, &plugin)?)?;
                match plugin_config::get(&paths.plugin_path, &plugin, &m, &key)? {
                    Some(v) => println!("{v}"),
                    None => return Ok(1),
                }
            }
            ConfigOp::Set { plugin, key, value } => {
                plugin_dir(&paths, &plugin)?;
                plugin_config::set(&paths.plugin_path, &plugin, &key, &value)?
            }
            ConfigOp::Export { plugin } => {
                let m = manifest::load(&plugin_dir(&paths, &plugin)?)?;
                for (k, v) in plugin_config::env(&paths.plugin_path, &plugin, &m)? {
                    println!("export {k}='{}'", v.replace('\'', "'\\''"));
                }
            }
        },
    }
    Ok(0)
}

fn main() {
    let mut argv: Vec<String> = Vec::new();
    for (i, a) in std::env::args_os().enumerate() {
        match a.into_string() {
            Ok(a) => argv.push(a),
            Err(a) => {
                eprintln!(
                    " !     argument {i} ({}) is not valid UTF-8",
                    a.to_string_lossy()
                );
                exit(1);
            }
        }
    }
    // The hot path skips the argument parser: `plugn trigger NAME ARGS…` is fired as given.
    let code = if argv.len() >= 3 && argv[1] == "trigger" {
        let paths = Paths::from_env();
        trigger::fire(
            &paths,
            &argv[2],
            &argv[3..],
            trigger::Input::Inherit,
            trigger::Output::Inherit,
        )
        .map(|o| o.code)
    } else {
        run(Cli::parse_from(&argv))
    };
    match code {
        Ok(c) => exit(c),
        Err(e) => {
            eprintln!(" !     {e:#}");
            exit(1);
        }
    }
}
