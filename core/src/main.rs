//! `dokku`: the thin core. Parses global flags, sets up the environment of DESIGN.md and hands
//! `dokku PLUGIN:SUBCOMMAND args` to the plugin that implements it.

use dokku_core::dispatch::{self, Target};
use dokku_core::{help, log, paths};
use std::process::exit;

const USAGE: &str = "Usage: dokku [--quiet|--trace|--force|--rm] [--app APP] [--global] COMMAND <app> [command-specific-options]";

/// Global flags given before the command.
#[derive(Default)]
struct Globals {
    app: Option<String>,
    global: bool,
    given: Vec<String>,
}

fn fail(msg: &str) -> ! {
    log::error(msg);
    exit(1)
}

fn parse_globals(args: &mut Vec<String>) -> Globals {
    let mut g = Globals::default();
    while let Some(a) = args.first().cloned() {
        if !a.starts_with('-') {
            break;
        }
        args.remove(0);
        match a.as_str() {
            "--app" => {
                if args.is_empty() {
                    fail("--app needs an app name");
                }
                g.app = Some(args.remove(0));
            }
            s if s.starts_with("--app=") => g.app = Some(s["--app=".len()..].to_string()),
            "--quiet" => std::env::set_var("DOKKU_QUIET_OUTPUT", "1"),
            "--trace" => std::env::set_var("DOKKU_TRACE", "1"),
            "--force" => std::env::set_var("DOKKU_APPS_FORCE_DELETE", "1"),
            "--rm" => std::env::set_var("DOKKU_RM_CONTAINER", "1"),
            "--global" => g.global = true,
            "--version" | "-v" => {
                println!("dokku version {}", plugn::VERSION);
                exit(0)
            }
            "--help" | "-h" => {
                args.clear();
                args.push("help".into());
                break;
            }
            other => fail(&format!("unknown global flag {other}; see `dokku help`")),
        }
        if a != "--help" && a != "-h" {
            g.given.push(a);
        }
    }
    if let Some(app) = &g.app {
        g.given.push(format!("--app={app}"));
    }
    g
}

fn export_environment() {
    for (k, v) in paths().exports() {
        std::env::set_var(k, v);
    }
    if std::env::var_os("DOKKU_PID").is_none_or(|v| v.is_empty()) {
        std::env::set_var("DOKKU_PID", std::process::id().to_string());
    }
    std::env::set_var("DOKKU_NOT_IMPLEMENTED_EXIT", "10");
    std::env::set_var("DOKKU_VALID_EXIT", "0");
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    export_environment();
    let g = parse_globals(&mut args);
    std::env::set_var("DOKKU_GLOBAL_FLAGS", g.given.join(" "));
    if args.is_empty() {
        args.push("help".into());
    }
    let cmd = args.remove(0);
    match cmd.as_str() {
        "help" => {
            let all = args.iter().any(|a| a == "--all");
            print!("{}", help::dokku_help(paths(), USAGE, all));
            exit(0)
        }
        "version" => {
            println!("dokku version {}", plugn::VERSION);
            exit(0)
        }
        _ => {}
    }
    let mut rest = Vec::new();
    if let Some(app) = &g.app {
        std::env::set_var("DOKKU_APP_NAME", app);
        rest.push(app.clone());
    }
    if g.global {
        rest.push("--global".into());
    }
    rest.extend(args);
    match dispatch::resolve(paths(), &cmd, &rest) {
        Target::Exec {
            plugin_dir,
            exe,
            argv,
        } => {
            let e = dispatch::exec(&plugin_dir, &exe, &argv);
            fail(&format!("{e:#}"))
        }
        Target::AskCommands => {
            let mut argv = vec![cmd.clone()];
            argv.extend(rest);
            match dispatch::ask_commands(paths(), &argv) {
                Ok(Some(code)) => exit(code),
                Ok(None) => {}
                Err(e) => fail(&format!("{e:#}")),
            }
        }
    }
    log::error(&format!("`{cmd}` is not a dokku command."));
    let s = dispatch::suggestions(&cmd, &dispatch::known_commands(paths()));
    if !s.is_empty() {
        log::error(&format!("Did you mean: {}?", s.join(", ")));
    }
    log::error("See `dokku help` for a list of available commands.");
    exit(1)
}
