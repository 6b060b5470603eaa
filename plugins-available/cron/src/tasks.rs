//! An app's cron tasks: the `cron` entries of its deployed app.json (asked through
//! `app-json-get-content`), validated, with their IDs and their state (suspended, maintenance).

use crate::{id, schedule, PROPS};
use anyhow::{bail, Context, Result};
use dokku_core::property;

/// The concurrency policies a task may have (`allow` when none is given).
pub const POLICIES: &[&str] = &["allow", "forbid", "replace"];

/// The longest command accepted, in bytes.
const MAX_COMMAND: usize = 4096;

/// One app.json cron task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Its ID (see `id::task_id`).
    pub id: String,
    /// The app.
    pub app: String,
    /// The command, run by `/bin/sh -c` in a one-off container.
    pub command: String,
    /// The schedule.
    pub schedule: String,
    /// `allow`, `forbid` or `replace`.
    pub concurrency_policy: String,
    /// The task's own `maintenance` in app.json.
    pub maintenance: bool,
    /// Whether `cron:suspend` suspended it.
    pub suspended: bool,
}

impl Task {
    /// Whether the host's cron should run it: not suspended, not in maintenance (its own or the
    /// app's).
    pub fn scheduled(&self, app_maintenance: bool) -> bool {
        !self.suspended && !self.maintenance && !app_maintenance
    }

    /// The task as `cron:list --format json` shows it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "app": self.app,
            "command": self.command,
            "schedule": self.schedule,
            "concurrency_policy": self.concurrency_policy,
            "maintenance": self.maintenance,
            "suspended": self.suspended,
        })
    }
}

/// Parses and validates the `cron` entries of an app.json (none when it has no `cron` key).
pub fn parse(app: &str, appjson: Option<&serde_json::Value>) -> Result<Vec<Task>> {
    let Some(cron) = appjson.and_then(|v| v.get("cron")) else {
        return Ok(Vec::new());
    };
    if cron.is_null() {
        return Ok(Vec::new());
    }
    let Some(entries) = cron.as_array() else {
        bail!("app.json: cron must be a list of tasks");
    };
    let mut tasks: Vec<Task> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        let Some(obj) = e.as_object() else {
            bail!("app.json: cron task {n} is not an object");
        };
        let command = match obj.get("command").and_then(|c| c.as_str()) {
            Some(c) if !c.trim().is_empty() => c.to_string(),
            _ => bail!("app.json: cron task {n} has no command"),
        };
        if command.len() > MAX_COMMAND || command.contains(['\n', '\r', '\0']) {
            bail!("app.json: cron task {n}: the command must be one line of at most {MAX_COMMAND} bytes");
        }
        let Some(sched) = obj.get("schedule").and_then(|c| c.as_str()) else {
            bail!("app.json: cron task {n} has no schedule");
        };
        schedule::validate(sched).with_context(|| format!("app.json: cron task {n}"))?;
        let policy = match obj.get("concurrency_policy") {
            None | Some(serde_json::Value::Null) => "allow".to_string(),
            Some(v) => match v.as_str() {
                Some(p) if POLICIES.contains(&p) => p.to_string(),
                _ => bail!(
                    "app.json: cron task {n}: invalid concurrency_policy {v}; valid: {}",
                    POLICIES.join(", ")
                ),
            },
        };
        let maintenance = match obj.get("maintenance") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(v) => bail!("app.json: cron task {n}: maintenance must be true or false, not {v}"),
        };
        let id = id::task_id(app, &command, sched);
        if tasks.iter().any(|t| t.id == id) {
            bail!("app.json: cron task {n} repeats the command and schedule of another task");
        }
        tasks.push(Task {
            id,
            app: app.to_string(),
            command,
            schedule: sched.to_string(),
            concurrency_policy: policy,
            maintenance,
            suspended: false,
        });
    }
    Ok(tasks)
}

/// The tasks of a deployed app, with their suspended state.
pub fn of_app(app: &str) -> Result<Vec<Task>> {
    let appjson = dokku_core::contract::app_json(app)?;
    let mut tasks = parse(app, appjson.as_ref())?;
    let suspended = suspended_ids(app)?;
    for t in &mut tasks {
        t.suspended = suspended.contains(&t.id);
    }
    Ok(tasks)
}

/// The property holding the IDs `cron:suspend` suspended, one per line.
pub const SUSPENDED_KEY: &str = "suspended-tasks";

/// The suspended task IDs of an app.
pub fn suspended_ids(app: &str) -> Result<Vec<String>> {
    Ok(property::get_or(PROPS, app, SUSPENDED_KEY, "")?
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// Records the suspended task IDs of an app (deleted when none is left).
pub fn set_suspended_ids(app: &str, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        property::delete(PROPS, app, SUSPENDED_KEY)
    } else {
        property::write(PROPS, app, SUSPENDED_KEY, &ids.join(","))
    }
}

/// The app's `maintenance`, else the global one, else `false`.
pub fn app_maintenance(app: &str) -> Result<bool> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, "maintenance")?.filter(|v| !v.is_empty()) {
            return Ok(v == "true");
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn parses_and_validates() {
        let v = json!({"cron": [
            {"command": "echo hi", "schedule": "@daily"},
            {"command": "true", "schedule": "*/5 * * * *", "concurrency_policy": "forbid", "maintenance": true}
        ]});
        let t = parse("app", Some(&v)).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].concurrency_policy, "allow");
        assert!(t[1].maintenance);
        for bad in [
            json!({"cron": {"command": "x"}}),
            json!({"cron": [{"command": "x"}]}),
            json!({"cron": [{"schedule": "@daily"}]}),
            json!({"cron": [{"command": "x", "schedule": "@daily", "concurrency_policy": "sometimes"}]}),
            json!({"cron": [{"command": "x\ny", "schedule": "@daily"}]}),
            json!({"cron": [{"command": "x", "schedule": "61 * * * *"}]}),
            json!({"cron": [{"command": "x", "schedule": "@daily", "maintenance": "yes"}]}),
        ] {
            assert!(parse("app", Some(&bad)).is_err(), "{bad}");
        }
        assert!(parse("app", None).unwrap().is_empty());
    }
}
