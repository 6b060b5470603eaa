//! The enter plugin: `dokku enter APP [PROCESS_TYPE[.N]] [--container-id ID] [CMD…]` runs a
//! command (the container's shell by default) in a running container of the app, stdin passed
//! (a terminal only when stdin is one), and exits with its code. The app's scheduler does it:
//! the command fires `scheduler-enter SCHEDULER APP ARGS…` with the arguments after the app,
//! as Dokku.

use anyhow::Result;
use dokku_core::appname;
use dokku_core::plugin::{Command, Plugin};

static PLUGIN: Plugin = Plugin {
    prefix: "enter",
    summary: "Enter running app containers",
    commands: &[Command {
        name: "default",
        usage: "<app> [<container-type>|--container-id <container-id>] [<command>...]",
        help: "Connect to a specific app container",
        run: enter,
    }],
    bare_commands: &[],
    triggers: &[],
};

fn main() {
    PLUGIN.main()
}

/// `--quiet` flags before the app, then the app; the rest is the scheduler's.
fn split(argv: &[String]) -> Result<(String, &[String])> {
    let mut rest = argv;
    while rest.first().is_some_and(|a| a == "--quiet") {
        std::env::set_var("DOKKU_QUIET_OUTPUT", "1");
        rest = &rest[1..];
    }
    let app = appname::required(rest.first())?;
    Ok((app, &rest[1..]))
}

/// `dokku enter APP [PROCESS_TYPE[.N]] [--container-id ID] [CMD…]`: `scheduler-enter SCHEDULER
/// APP ARGS…`.
fn enter(argv: &[String]) -> Result<()> {
    let (app, rest) = split(argv)?;
    appname::verify(&app)?;
    let mut targs = vec![dokku_core::scheduler(&app)?, app];
    targs.extend(rest.iter().cloned());
    dokku_core::signals::ignore_interrupts();
    let targs: Vec<&str> = targs.iter().map(String::as_str).collect();
    dokku_core::trigger_through("scheduler-enter", &targs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn app_then_the_schedulers_arguments() {
        let argv = s(&["--quiet", "app", "web", "--", "ls"]);
        let (app, rest) = split(&argv).unwrap();
        assert_eq!(app, "app");
        assert_eq!(rest, s(&["web", "--", "ls"]));
        assert!(split(&[]).is_err());
    }
}
