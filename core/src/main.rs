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
    if let Ok(me) = std::env::current_exe() {
        std::env::set_var("DOKKU_BIN", me);
    }
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "dokku".into());
    std::env::set_var("SSH_USER", user);
    let name = std::env::var("NAME")
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into());
    std::env::set_var("SSH_NAME", name);
    if std::env::var_os("DOKKU_PID").is_none_or(|v| v.is_empty()) {
        std::env::set_var("DOKKU_PID", std::process::id().to_string());
    }
    std::env::set_var("DOKKU_NOT_IMPLEMENTED_EXIT", "10");
    std::env::set_var("DOKKU_VALID_EXIT", "0");
}

/// When sshd started dokku as the forced command: the command the client asked for, parsed
/// without a shell. `None` when not run over ssh.
fn ssh_command() -> Option<Vec<String>> {
    let line = std::env::var("SSH_ORIGINAL_COMMAND").ok()?;
    match dokku_core::sshcommand::parse(&line) {
        Ok(a) => Some(a),
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Asks `user-auth SSH_USER SSH_NAME COMMAND ARGS…` (global flags already taken off, so that
/// `--quiet apps:destroy` is seen as `apps:destroy`); exits with "Access denied" on a refusal.
fn authorize_ssh_command(argv: &[String]) {
    let user = std::env::var("SSH_USER").unwrap_or_default();
    let name = std::env::var("SSH_NAME").unwrap_or_default();
    let mut auth = vec![user, name];
    auth.extend(argv.iter().cloned());
    match plugn::fire(
        paths(),
        "user-auth",
        &auth,
        plugn::Input::Null,
        plugn::Output::Inherit,
    ) {
        Ok(o) if o.success() => {}
        Ok(o) => {
            log::error("Access denied");
            exit(o.code)
        }
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// As root on a system install, where `DOKKU_ROOT` belongs to the `dokku` user, commands run as
/// that user (as Dokku's do), so that what they write stays readable to sshd's forced command
/// and to later commands. As in Dokku, `plugin:*` keeps root (it installs software) and so does
/// `ssh-keys:*` (it reads the operator's key files and hands `.ssh` to the dokku user).
fn become_dokku_user(cmd: &str) {
    use std::os::unix::fs::MetadataExt;
    if !nix::unistd::geteuid().is_root()
        || cmd.starts_with("plugin:")
        || cmd.starts_with("ssh-keys:")
    {
        return;
    }
    let Ok(meta) = std::fs::metadata(&paths().dokku_root) else {
        return;
    };
    if meta.uid() == 0 {
        return;
    }
    let uid = nix::unistd::Uid::from_raw(meta.uid());
    let user = match nix::unistd::User::from_uid(uid) {
        Ok(Some(u)) => u,
        _ => fail(&format!(
            "{} belongs to uid {}, which is no user; chown it to the dokku user",
            paths().dokku_root.display(),
            meta.uid()
        )),
    };
    let name = std::ffi::CString::new(user.name.clone()).unwrap_or_default();
    let switched = nix::unistd::initgroups(&name, user.gid)
        .and_then(|_| nix::unistd::setgid(user.gid))
        .and_then(|_| nix::unistd::setuid(user.uid));
    if let Err(e) = switched {
        fail(&format!("cannot switch to the {} user: {e}", user.name));
    }
    std::env::set_var("HOME", &user.dir);
    std::env::set_var("USER", &user.name);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    export_environment();
    let mut over_ssh = false;
    if args.is_empty() {
        if let Some(argv) = ssh_command() {
            args = argv;
            over_ssh = true;
        }
    }
    let g = parse_globals(&mut args);
    if over_ssh {
        authorize_ssh_command(&args);
    }
    std::env::set_var("DOKKU_GLOBAL_FLAGS", g.given.join(" "));
    if args.is_empty() {
        args.push("help".into());
    }
    let cmd = args.remove(0);
    become_dokku_user(&cmd);
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
        "report" => match dokku_core::report::dokku_report(
            &g.app
                .iter()
                .cloned()
                .chain(args.iter().cloned())
                .collect::<Vec<_>>(),
        ) {
            Ok(()) => exit(0),
            Err(e) => match e.downcast_ref::<dokku_core::Exit>() {
                Some(dokku_core::Exit(c)) => exit(*c),
                None => fail(&format!("{e:#}")),
            },
        },
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
