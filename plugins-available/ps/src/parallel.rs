//! The apps a `ps:*` command works on (`--all` or one app) and `--parallel COUNT`: with
//! `--all`, COUNT apps are processed at a time (`-1`: as many as the machine has CPUs), as
//! Dokku does; one app, or COUNT 1, goes one after another and stops at the first failure.

use anyhow::{bail, Context, Result};
use dokku_core::{appname, args, log};
use std::sync::Mutex;

/// What a command was asked to work on.
pub struct Targets {
    /// The apps, in name order for `--all`.
    pub apps: Vec<String>,
    /// How many apps run at a time.
    pub parallel: usize,
    /// The positional after the app (`ps:restart APP PROC_TYPE`), when the command takes one.
    pub extra: Option<String>,
}

/// Parses `--parallel`'s value: a count of 1 or more, or -1 for the number of CPUs.
pub fn parse_count(v: &str) -> Result<usize> {
    match v.parse::<i64>() {
        Ok(-1) => Ok(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)),
        Ok(n) if (1..=1024).contains(&n) => Ok(n as usize),
        _ => bail!(
            "invalid --parallel {v:?}: use a count from 1 to 1024, or -1 for the number of CPUs"
        ),
    }
}

impl Targets {
    /// Parses `[--parallel COUNT] [--all|APP] [EXTRA]` (`max_pos` 2 allows EXTRA with an app).
    pub fn parse(argv: &[String], usage: &str, max_pos: usize) -> Result<Targets> {
        let a = args::parse(argv, &["--all"], &["--parallel"])?;
        a.at_most(max_pos, usage)?;
        let parallel = match a.value("--parallel") {
            Some(v) => parse_count(v)?,
            None => 1,
        };
        if a.has("--all") {
            if let Some(p) = a.pos(0) {
                bail!("--all takes no app or process type (got {p:?}); usage: {usage}");
            }
            return Ok(Targets {
                apps: appname::all()?,
                parallel,
                extra: None,
            });
        }
        let app = appname::required(a.pos(0)).with_context(|| format!("usage: {usage}"))?;
        appname::verify(&app)?;
        Ok(Targets {
            apps: vec![app],
            parallel,
            extra: a.pos(1).cloned(),
        })
    }

    /// Runs `f` for each app, `parallel` at a time. Run one after another, the first failure
    /// stops; in parallel every app is tried, each failure is named, and the command fails
    /// saying how many did.
    pub fn run(&self, f: impl Fn(&str) -> Result<()> + Sync) -> Result<()> {
        if self.parallel <= 1 || self.apps.len() <= 1 {
            for app in &self.apps {
                f(app)?;
            }
            return Ok(());
        }
        let next = Mutex::new(0usize);
        let failed: Mutex<Vec<String>> = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..self.parallel.min(self.apps.len()) {
                s.spawn(|| loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(app) = self.apps.get(i) else {
                        break;
                    };
                    if let Err(e) = f(app) {
                        log::warn(&format!("{app}: {e:#}"));
                        failed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(app.clone());
                    }
                });
            }
        });
        let mut failed = failed.into_inner().unwrap_or_else(|e| e.into_inner());
        if !failed.is_empty() {
            failed.sort();
            bail!(
                "{} of {} apps failed: {}",
                failed.len(),
                self.apps.len(),
                failed.join(", ")
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("2").unwrap(), 2);
        assert!(parse_count("-1").unwrap() >= 1);
        for bad in ["0", "-2", "x", "", "1.5", "99999"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }
}
