//! `run:logs`: the output of an app's one-off containers, through Dokku's `scheduler-run-logs
//! SCHEDULER APP CONTAINER TAIL PRETTY NUM` trigger (the scheduler-docker-local plugin answers
//! it for docker-local).

use anyhow::{bail, Result};
use dokku_core::appname;
use dokku_core::plugin::usage;

/// `run:logs APP [CONTAINER] [-t] [-n N] [-q]`, `run:logs --container APP.run.N …`.
pub fn command(argv: &[String]) -> Result<()> {
    let mut pos = Vec::new();
    let mut container = String::new();
    let (mut tail, mut quiet) = (false, false);
    let mut num = "100".to_string();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| it.next().cloned()) {
                Some(v) => Ok(v),
                None => bail!("flag {name} needs a value; usage: {}", usage()),
            }
        };
        match flag {
            "-h" | "--help" => return Err(dokku_core::args::HelpRequested.into()),
            "-t" | "--tail" => tail = true,
            "-q" | "--quiet" => quiet = true,
            "-n" | "--num" => num = value(flag)?,
            "--container" => container = value(flag)?,
            f if f.starts_with('-') && f.len() > 1 => bail!("unknown flag {f}; usage: {}", usage()),
            _ => pos.push(a.clone()),
        }
    }
    if pos.len() > 2 || (pos.len() == 2 && !container.is_empty()) {
        bail!(
            "unexpected argument {:?}; usage: {}",
            pos.last().unwrap_or(&String::new()),
            usage()
        );
    }
    if let Some(c) = pos.get(1) {
        container = c.clone();
    }
    let app = match pos.first() {
        Some(app) => app.clone(),
        None if !container.is_empty() => container.split('.').next().unwrap_or("").to_string(),
        None => bail!("Please specify an app or --container; usage: {}", usage()),
    };
    appname::verify(&app)?;
    if !container.is_empty() {
        crate::check_run_container(&app, &container)?;
    }
    if num != "all" && (num.starts_with('+') || num.parse::<u32>().is_err()) {
        bail!("Invalid number of lines {num:?}: expected a number or all");
    }
    dokku_core::trigger_through(
        "scheduler-run-logs",
        &[
            &dokku_core::scheduler(&app)?,
            &app,
            &container,
            &tail.to_string(),
            &(!quiet).to_string(),
            &num,
        ],
    )
}
