//! The output of one-off containers: trigger `scheduler-run-logs`, answered when the app's
//! scheduler is `docker-local` (`dokku run:logs`).

use anyhow::{bail, Context, Result};
use dokku_core::appname;
use dokku_core::docker;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

/// Copies the lines of `r` to stdout, each after `prefix`.
fn pump(
    r: impl Read + Send + 'static,
    prefix: String,
    out: Arc<Mutex<()>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(r).split(b'\n').map_while(|l| l.ok()) {
            let _guard = out.lock().unwrap_or_else(|e| e.into_inner());
            let mut o = std::io::stdout().lock();
            let text = format!("{prefix}{}\n", String::from_utf8_lossy(&line));
            if o.write_all(text.as_bytes())
                .and_then(|_| o.flush())
                .is_err()
            {
                std::process::exit(0);
            }
        }
    })
}

/// Trigger `scheduler-run-logs SCHEDULER APP CONTAINER TAIL PRETTY NUM`: the output of the
/// app's run containers (CONTAINER empty) or of one, each line `APP[run.N]: text` (the text
/// alone when PRETTY is false); TAIL `true` follows them.
pub fn trigger_run_logs(argv: &[String]) -> Result<()> {
    let Some((app, rest)) = dokku_core::contract::for_scheduler(argv, crate::NAME) else {
        return Ok(());
    };
    appname::verify(app)?;
    let get = |i: usize| rest.get(i).map(String::as_str).unwrap_or("");
    let (container, tail, pretty, num) = (get(0), get(1) == "true", get(2) != "false", get(3));
    let mut ls: Vec<String> = vec!["container".into(), "ls".into(), "--all".into()];
    ls.extend(crate::oneoff::run_filters(app));
    ls.extend(["--format".into(), "{{.Names}}".into()]);
    let listed = docker::output(&ls)?;
    let mut names: Vec<String> = listed
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    names.sort();
    if !container.is_empty() {
        if !names.iter().any(|n| n == container) {
            bail!("No run container {container} for app {app}");
        }
        names = vec![container.to_string()];
    }
    if names.is_empty() {
        dokku_core::log::warn(&format!("No run containers of {app}"));
        return Ok(());
    }
    let out = Arc::new(Mutex::new(()));
    let mut waits = Vec::new();
    for name in &names {
        let mut args = vec!["logs".to_string()];
        if tail {
            args.push("--follow".into());
        }
        if num != "all" && !num.is_empty() {
            args.extend(["--tail".to_string(), num.to_string()]);
        }
        args.push(name.clone());
        let mut child = docker::command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", docker::bin()))?;
        let dyno = name.strip_prefix(&format!("{app}.")).unwrap_or(name);
        let prefix = if pretty {
            format!("{app}[{dyno}]: ")
        } else {
            String::new()
        };
        let pumps = [
            child
                .stdout
                .take()
                .map(|r| pump(r, prefix.clone(), out.clone())),
            child
                .stderr
                .take()
                .map(|r| pump(r, prefix.clone(), out.clone())),
        ];
        if tail {
            waits.push((child, pumps));
        } else {
            for p in pumps.into_iter().flatten() {
                let _ = p.join();
            }
            child.wait()?;
        }
    }
    for (mut child, pumps) in waits {
        for p in pumps.into_iter().flatten() {
            let _ = p.join();
        }
        child.wait()?;
    }
    Ok(())
}
