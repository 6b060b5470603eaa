//! `dokku`: the thin core. Parses global flags, sets up the environment of DESIGN.md and hands
//! `dokku PLUGIN:SUBCOMMAND args` to the plugin that implements it.

use dokku_core::dispatch::{self, Target};
use dokku_core::{builtin, help, log, paths, signals, trace};
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
    let name = env_text("NAME").unwrap_or_else(|| "default".into());
    std::env::set_var("SSH_NAME", name);
    if std::env::var_os("DOKKU_PID").is_none_or(|v| v.is_empty()) {
        std::env::set_var("DOKKU_PID", std::process::id().to_string());
    }
}

/// A variable of the environment as text: `None` when unset or empty; one error line and exit
/// 1 when it is not valid UTF-8 (never silently ignored).
fn env_text(name: &str) -> Option<String> {
    match plugn::paths::var(name) {
        Ok(v) => v,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// `SSH_USER`, the unix user as Dokku names it. Over ssh the key's NAME decides what may be
/// done, never the account sshd runs the forced command as: a `--root` install started by
/// root logs every key in as root, so over ssh `root` is handed to plugins as the install's
/// system user (`DOKKU_SYSTEM_USER`), or `dokku` when that is root too.
fn export_ssh_user(over_ssh: bool) {
    let user = env_text("USER")
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "dokku".into());
    let user = if over_ssh && user == "root" {
        env_text("DOKKU_SYSTEM_USER")
            .filter(|u| u != "root")
            .unwrap_or_else(|| "dokku".into())
    } else {
        user
    };
    std::env::set_var("SSH_USER", user);
}

/// The arguments of this process; one error line and exit 1 when one is not valid UTF-8.
fn utf8_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .enumerate()
        .map(|(i, a)| {
            a.into_string().unwrap_or_else(|a| {
                fail(&format!(
                    "argument {} ({}) is not valid UTF-8",
                    i + 1,
                    a.to_string_lossy()
                ))
            })
        })
        .collect()
}

/// When sshd started dokku as the forced command: the command the client asked for, parsed
/// without a shell. `None` when not run over ssh.
fn ssh_command() -> Option<Vec<String>> {
    let line = match std::env::var_os("SSH_ORIGINAL_COMMAND")?.into_string() {
        Ok(l) => l,
        Err(l) => fail(&format!(
            "the ssh command ({}) is not valid UTF-8",
            l.to_string_lossy()
        )),
    };
    match dokku_core::sshcommand::parse(&line) {
        Ok(a) => Some(a),
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Asks `user-auth SSH_USER SSH_NAME COMMAND ARGS…` (global flags already taken off, so that
/// `--quiet apps:destroy` is seen as `apps:destroy`). A refusal is one error line: the
/// refusing plugin's own message when it printed one, else "Access denied".
fn authorize_ssh_command(argv: &[String]) {
    let user = std::env::var("SSH_USER").unwrap_or_default();
    let name = std::env::var("SSH_NAME").unwrap_or_default();
    let mut auth = vec![user, name];
    // Deciding who may run a command needs its words, never the config values it carries:
    // they would be on every user-auth plugin's command line.
    auth.extend(plugn::events::redacted(argv));
    let (fired, said) = with_stderr_captured(|| {
        let auth: Vec<&str> = auth.iter().map(String::as_str).collect();
        dokku_core::trigger_outcome(
            "user-auth",
            &auth,
            plugn::Input::Null,
            plugn::Output::Inherit,
        )
    });
    match fired {
        Ok(o) if o.success() => eprint!("{said}"),
        Ok(o) => {
            let lines: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
            match lines.iter().rev().find(|l| l.starts_with(" !     ")) {
                Some(line) => eprintln!("{line}"),
                None => log::error("Access denied"),
            }
            exit(if o.code == 0 { 1 } else { o.code })
        }
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Runs `f` with this process's stderr (inherited by the children it starts) going to an
/// unnamed temp file; returns `f`'s result and what was written there.
fn with_stderr_captured<T>(f: impl FnOnce() -> T) -> (T, String) {
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;
    let Ok(mut file) = tempfile::tempfile() else {
        return (f(), String::new());
    };
    let Ok(saved) = nix::unistd::dup(2) else {
        return (f(), String::new());
    };
    if nix::unistd::dup2(file.as_raw_fd(), 2).is_err() {
        let _ = nix::unistd::close(saved);
        return (f(), String::new());
    }
    let r = f();
    let _ = nix::unistd::dup2(saved, 2);
    let _ = nix::unistd::close(saved);
    let mut bytes = Vec::new();
    let _ = file.seek(std::io::SeekFrom::Start(0));
    let _ = file.read_to_end(&mut bytes);
    (r, String::from_utf8_lossy(&bytes).into_owned())
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

/// `dokku PLUGIN --help`: the plugin's own help (`PLUGIN:help`, as Dokku prints it for every
/// plugin, its bare command included), from whichever plugin answers it; exits with its code.
/// Returns when no plugin answers `PLUGIN:help`.
fn plugin_help(plugin: &str) {
    let help = format!("{plugin}:help");
    match dispatch::resolve(paths(), &help, &[]) {
        Target::Exec {
            plugin_dir,
            exe,
            argv,
        } => {
            let e = dispatch::exec(&plugin_dir, &exe, &argv);
            fail(&format!("{e:#}"))
        }
        Target::AskCommands => match dispatch::ask_commands(paths(), &[help]) {
            Ok(Some(code)) => exit(code),
            Ok(None) => {}
            Err(e) => fail(&format!("{e:#}")),
        },
    }
}

/// Runs a command of the core (`cleanup`, `deploy`, `trace:on|off`, `shell`) and exits.
fn run_builtin(b: &builtin::Builtin, g: &Globals, args: Vec<String>) -> ! {
    if builtin::wants_help(&args) {
        print!("{}", b.usage_text());
        exit(0)
    }
    let mut rest: Vec<String> = g.app.iter().cloned().collect();
    rest.extend(args);
    match (b.run)(&rest) {
        Ok(code) => exit(code),
        Err(e) => match dokku_core::exit_code(&e) {
            Some(c) => exit(c),
            None if signals::is_broken_pipe(&e) => exit(0),
            None => fail(&format!("{e:#}")),
        },
    }
}

fn main() {
    // A reader that went away (`dokku help | head -1`) ends the command quietly.
    signals::quiet_broken_pipe();
    let mut args = utf8_args();
    // Arguments a caller kept off the command line (see dokku_core::privargs).
    match dokku_core::privargs::take() {
        Ok(Some(private)) => args.extend(private),
        Ok(None) => {}
        Err(e) => fail(&format!("{e:#}")),
    }
    export_environment();
    if std::env::var_os("DOKKU_TRACE").is_none_or(|v| v.is_empty()) && trace::persisted() {
        std::env::set_var("DOKKU_TRACE", "1");
    }
    // A line of a `dokku shell` opened over ssh is authorized as an ssh command.
    let mut over_ssh = std::env::var_os(dokku_core::shell::OVER_SSH_ENV).is_some();
    if args.is_empty() {
        if let Some(argv) = ssh_command() {
            args = argv;
            over_ssh = true;
        }
    }
    export_ssh_user(over_ssh);
    let g = parse_globals(&mut args);
    if let Some(cmd) = args.first() {
        std::env::set_var("DOKKU_COMMAND", cmd);
    }
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
            Err(e) => match dokku_core::exit_code(&e) {
                Some(c) => exit(c),
                None if signals::is_broken_pipe(&e) => exit(0),
                None => fail(&format!("{e:#}")),
            },
        },
        _ => {}
    }
    if let Some(b) = builtin::find(&cmd) {
        run_builtin(b, &g, args)
    }
    if matches!(args.first().map(String::as_str), Some("--help" | "-h")) {
        if !cmd.contains(':') {
            plugin_help(&cmd);
        }
        if let Some(usage) = help::command_usage(paths(), &cmd) {
            print!("{usage}");
            exit(0)
        }
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
