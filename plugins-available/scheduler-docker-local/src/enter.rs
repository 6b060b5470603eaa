//! `scheduler-enter docker-local APP [PROCESS_TYPE[.N]|--container-id ID] [CMD…]`: runs a
//! command in a running container of the app with `docker exec`.

use crate::dynos::{self, Dyno};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, docker};
use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

const USAGE: &str =
    "dokku enter <app> [<process-type>[.N]|--container-id <container-id>] [<command>...]";

/// The image label naming the builder that made an app's image.
const BUILDER_LABEL: &str = "com.dokku.builder-type";

/// A parsed `enter` command line.
#[derive(Debug, Default, PartialEq, Eq)]
struct EnterArgs {
    app: String,
    process: Option<String>,
    container_id: Option<String>,
    command: Vec<String>,
}

/// Parses the arguments after the app.
fn parse(app: &str, rest: &[String]) -> Result<EnterArgs> {
    let mut e = EnterArgs {
        app: app.to_string(),
        ..EnterArgs::default()
    };
    let mut positional = Vec::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        if let Some(id) = a.strip_prefix("--container-id=") {
            e.container_id = Some(id.to_string());
        } else if a == "--container-id" {
            match it.next() {
                Some(id) => e.container_id = Some(id.clone()),
                None => bail!("flag --container-id needs a value; usage: {USAGE}"),
            }
        } else if a == "--" {
            positional.push(a.clone());
            positional.extend(it.by_ref().cloned());
        } else if positional.is_empty() && a.starts_with("--") {
            bail!("unknown flag {a}; usage: {USAGE}");
        } else {
            // The process type, then the command with its own flags.
            positional.push(a.clone());
            positional.extend(it.by_ref().cloned());
        }
    }
    let mut positional = positional.into_iter().peekable();
    if e.container_id.is_none() && positional.peek().is_some_and(|p| p != "--") {
        e.process = positional.next();
    }
    if positional.peek().is_some_and(|p| p == "--") {
        positional.next();
    }
    e.command = positional.collect();
    if let Some(id) = &e.container_id {
        let ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            bail!("Invalid container id {id:?}");
        }
    }
    Ok(e)
}

/// The distinct process types of running containers.
fn types(all: &[Dyno]) -> String {
    let mut t: Vec<&str> = all.iter().map(|c| c.process.as_str()).collect();
    t.dedup();
    t.join(" ")
}

/// The container to enter.
fn pick(app: &str, e: &EnterArgs) -> Result<Dyno> {
    let all = dynos::deployed(app, None)?;
    if let Some(id) = &e.container_id {
        let hits: Vec<&Dyno> = all
            .iter()
            .filter(|c| c.c.id.starts_with(id.as_str()) || c.c.name == *id)
            .collect();
        let c = match hits.as_slice() {
            [one] => (*one).clone(),
            [] => bail!(
                "Invalid container id for app {app}: {id}; available ids: {}",
                all.iter()
                    .map(|c| c.c.id.get(..12).unwrap_or(&c.c.id).to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            _ => bail!("Container id {id} is ambiguous for app {app}; give more of it"),
        };
        if !c.c.running {
            bail!("Container {} is not running", c.c.name);
        }
        return Ok(c);
    }
    let running: Vec<Dyno> = all.into_iter().filter(|c| c.c.running).collect();
    if running.is_empty() {
        bail!("No containers found for app {app}");
    }
    let (process, index) = match &e.process {
        Some(spec) => dynos::parse_process(spec)?,
        None => {
            let t = types(&running);
            if t.contains(' ') {
                bail!("No container type specified; available types for app {app}: {t}");
            }
            (running[0].process.clone(), None)
        }
    };
    running
        .iter()
        .find(|c| c.process == process && index.is_none_or(|i| c.index == i))
        .cloned()
        .with_context(|| {
            format!(
                "No containers found for type '{}'; available types for app {app}: {}",
                e.process.as_deref().unwrap_or(&process),
                types(&running)
            )
        })
}

/// Whether the container has `/bin/bash`.
fn has_bash(id: &str) -> bool {
    docker::command(["container", "exec", id, "/bin/bash", "-c", "exit 0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Trigger `scheduler-enter SCHEDULER APP [PROCESS_TYPE[.N]|--container-id ID] [CMD…]`: runs
/// CMD (the container's shell by default) in a running container of the app with
/// `docker exec`, stdin passed (a terminal only when stdin is one); exits with its code.
pub fn trigger_enter(argv: &[String]) -> Result<()> {
    let [scheduler, app, rest @ ..] = argv else {
        bail!("scheduler-enter needs SCHEDULER APP [ARGS…]");
    };
    if scheduler != crate::NAME {
        return Ok(());
    }
    appname::verify(app)?;
    let e = parse(app, rest)?;
    let c = pick(app, &e)?;
    let herokuish =
        c.c.labels
            .get(BUILDER_LABEL)
            .is_some_and(|b| b == "herokuish");
    let mut args = vec![
        "container".to_string(),
        "exec".into(),
        "--interactive".into(),
    ];
    if std::io::stdin().is_terminal() {
        args.push("--tty".into());
    }
    args.push(c.c.id.clone());
    if herokuish {
        args.push("/exec".into());
    }
    if e.command.is_empty() {
        let shell = if herokuish || has_bash(&c.c.id) {
            "/bin/bash"
        } else {
            "/bin/sh"
        };
        args.push(shell.into());
    } else {
        args.extend(e.command.iter().cloned());
    }
    dokku_core::signals::default_interrupts();
    let err = docker::command(&args).exec();
    Err(anyhow::Error::new(err).context(format!("cannot run {}", docker::bin())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        let e = parse("app", &s(&["web", "ls", "-la"])).unwrap();
        assert_eq!(e.process.as_deref(), Some("web"));
        assert_eq!(e.command, s(&["ls", "-la"]));
        let e = parse("app", &s(&["--container-id", "abc", "ls"])).unwrap();
        assert_eq!(e.container_id.as_deref(), Some("abc"));
        assert_eq!(e.process, None);
        assert_eq!(e.command, s(&["ls"]));
        let e = parse("app", &s(&["--", "ls", "-l"])).unwrap();
        assert_eq!(e.process, None);
        assert_eq!(e.command, s(&["ls", "-l"]));
        let e = parse("app", &s(&["web.2", "--", "env"])).unwrap();
        assert_eq!(e.process.as_deref(), Some("web.2"));
        assert_eq!(e.command, s(&["env"]));
        assert!(parse("app", &s(&["--bogus"])).is_err());
        assert!(parse("app", &s(&["--container-id", "a;b"])).is_err());
    }
}
