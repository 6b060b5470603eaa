//! What a scheduler or proxy learns about an app, asked through Dokku's triggers and never
//! read from another plugin's files: the scale and Procfile commands (ps), the ps and checks
//! properties, the deployed app.json (ps), the listeners (network) and the web container port
//! (ports). Whoever answers the trigger (a core plugin or a community replacement) is honoured.

use anyhow::{bail, Context, Result};

/// The web process's container port when nothing says otherwise, as Dokku's default.
pub const DEFAULT_WEB_PORT: u16 = 5000;

/// Parses `TYPE=COUNT` lines (blank lines skipped); a bad line is an error naming it.
pub fn parse_scale_lines(text: &str) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((kind, n)) = line.split_once('=') else {
            bail!("ps-current-scale answered {line:?}, not TYPE=COUNT");
        };
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("ps-current-scale answered {line:?}: not a count"))?;
        crate::procfile::validate_type(kind.trim())
            .context("ps-current-scale answered a bad process type")?;
        out.push((kind.trim().to_string(), n));
    }
    Ok(out)
}

/// `ps-current-scale APP`: how many instances of each process type should run, one
/// `(TYPE, COUNT)` per type of the deployed Procfile (`web` 1 when there is none).
pub fn current_scale(app: &str) -> Result<Vec<(String, u32)>> {
    parse_scale_lines(&crate::trigger_output("ps-current-scale", &[app], "")?)
}

/// `procfile-get-command APP PROC_TYPE PORT`: the deployed Procfile's command for that type,
/// `$PORT` replaced by `port`; empty when the type is absent (for `web` without a Procfile: run
/// the image's own CMD).
pub fn process_command(app: &str, kind: &str, port: u16) -> Result<String> {
    crate::trigger_output("procfile-get-command", &[app, kind, &port.to_string()], "")
}

/// `ps-get-property APP KEY`: a ps property as computed by ps (app, else global, else the
/// default), e.g. `restart-policy`.
pub fn ps_property(app: &str, key: &str) -> Result<String> {
    crate::trigger_output("ps-get-property", &[app, key], "")
}

/// `checks-get-property APP KEY`: a checks property as computed by checks (`wait-to-retire`,
/// `disabled`, `skipped`, …; app, else global, else the default).
pub fn checks_property(app: &str, key: &str) -> Result<String> {
    crate::trigger_output("checks-get-property", &[app, key], "")
}

/// `network-get-listeners APP PROC_TYPE`: one `IP:PORT` per running instance of that type, in
/// index order, as the scheduler recorded them.
pub fn listeners(app: &str, kind: &str) -> Result<Vec<String>> {
    Ok(
        crate::trigger_output("network-get-listeners", &[app, kind], "")?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// `app-json-get-content APP`: the deployed app.json, `None` when the app has none. Read as
/// HuJSON (comments, trailing commas), as Dokku reads app.json.
pub fn app_json(app: &str) -> Result<Option<serde_json::Value>> {
    let text = crate::trigger_output("app-json-get-content", &[app], "")?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    crate::hujson::parse(&text)
        .map(Some)
        .context("app-json-get-content answered something other than JSON")
}

/// `ports-get-container-port APP`: the port the web process listens on inside its container
/// (the first http port map, a Dockerfile's `EXPOSE`), else 5000.
pub fn web_port(app: &str) -> Result<u16> {
    Ok(
        crate::trigger_output("ports-get-container-port", &[app], "")?
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .filter(|p: &u16| *p > 0)
            .unwrap_or(DEFAULT_WEB_PORT),
    )
}

/// A scheduler trigger's `(APP, rest…)` when its first argument (SCHEDULER) is `name`, `None`
/// otherwise: each scheduler answers only for itself.
pub fn for_scheduler<'a>(argv: &'a [String], name: &str) -> Option<(&'a str, &'a [String])> {
    match argv {
        [s, app, rest @ ..] if s == name => Some((app.as_str(), rest)),
        _ => None,
    }
}

/// The answer to `scheduler-app-status`: `COUNT STATE`, STATE `true` when every process runs,
/// `false` when none does, `mixed` otherwise.
pub fn app_status(total: usize, running: usize) -> String {
    let state = match (total, running) {
        (_, 0) => "false",
        (n, r) if n == r => "true",
        _ => "mixed",
    };
    format!("{total} {state}")
}

/// Splits what follows `scheduler-run SCHEDULER APP`: `ENV_COUNT ENV… [--] COMMAND…` into the
/// env pairs and the command.
pub fn run_args(rest: &[String]) -> Result<(&[String], &[String])> {
    let [count, rest @ ..] = rest else {
        bail!("scheduler-run: expected SCHEDULER APP ENV_COUNT ENV… [--] COMMAND…");
    };
    let count: usize = count
        .parse()
        .with_context(|| format!("scheduler-run: ENV_COUNT {count:?} is not a number"))?;
    if rest.len() < count {
        bail!(
            "scheduler-run: {count} env pairs announced, {} given",
            rest.len()
        );
    }
    let (env, mut command) = rest.split_at(count);
    if command.first().is_some_and(|c| c == "--") {
        command = &command[1..];
    }
    Ok((env, command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_lines() {
        assert_eq!(
            parse_scale_lines("web=2\n\nworker=0\n").unwrap(),
            vec![("web".into(), 2), ("worker".into(), 0)]
        );
        for bad in ["web", "web=x", "=1", "w b=1"] {
            assert!(parse_scale_lines(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scheduler_arguments_are_split_for_their_scheduler_only() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let argv = v(&["swarm", "app", "2", "A=1", "B=2", "--", "ls", "-l"]);
        assert!(for_scheduler(&argv, "docker-local").is_none());
        let (app, rest) = for_scheduler(&argv, "swarm").unwrap();
        assert_eq!(app, "app");
        let (env, cmd) = run_args(rest).unwrap();
        assert_eq!(env, &v(&["A=1", "B=2"])[..]);
        assert_eq!(cmd, &v(&["ls", "-l"])[..]);
        assert!(run_args(&v(&["3", "A=1"])).is_err());
        assert!(run_args(&v(&["x"])).is_err());
        assert_eq!(app_status(2, 2), "2 true");
        assert_eq!(app_status(2, 0), "2 false");
        assert_eq!(app_status(3, 1), "3 mixed");
    }
}
