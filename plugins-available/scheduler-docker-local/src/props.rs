//! The scheduler's own properties, as Dokku's `scheduler-docker-local:set|report`:
//! `init-process` (`true`|`false`: whether deployed containers get docker's `--init`; default
//! true) and `parallel-schedule-count` (how many containers of a deploy are started and checked
//! at a time; default 1), each per app or `--global`.

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::property;
use dokku_core::report::{self, Report};

/// The property store name of these settings.
pub const PROPS: &str = "scheduler-docker-local";

/// The properties `:set` accepts.
pub const KEYS: &[&str] = &["init-process", "parallel-schedule-count"];

/// The highest `parallel-schedule-count` accepted.
pub const MAX_PARALLEL: usize = 64;

/// Checks a value for `key` (an empty value unsets and is always fine).
pub fn validate(key: &str, value: &str) -> Result<()> {
    match key {
        "init-process" if value != "true" && value != "false" => {
            bail!("Invalid init-process {value:?}: expected true or false")
        }
        "parallel-schedule-count" => match value.parse::<usize>() {
            Ok(n) if (1..=MAX_PARALLEL).contains(&n) && !value.starts_with('+') => Ok(()),
            _ => bail!(
                "Invalid parallel-schedule-count {value:?}: expected a number from 1 to {MAX_PARALLEL}"
            ),
        },
        _ => Ok(()),
    }
}

/// `scheduler-docker-local:set [--global|APP] init-process|parallel-schedule-count [VALUE]`.
pub fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), KEYS)?;
    if let Some(v) = c.new_value() {
        validate(&c.key, v)?;
    }
    c.apply(PROPS)
}

/// The value of `key` for `app`: its own, else the global one, else `default`.
fn computed(app: &str, key: &str, default: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(default.to_string())
}

/// Whether the app's deployed containers get `--init` (`init-process`, default true).
pub fn init_process(app: &str) -> Result<bool> {
    Ok(computed(app, "init-process", "true")? != "false")
}

/// How many containers of a deploy start and are checked at a time (`parallel-schedule-count`,
/// default 1); a value written by hand that does not check out counts as 1.
pub fn parallel_schedule_count(app: &str) -> Result<usize> {
    let v = computed(app, "parallel-schedule-count", "1")?;
    Ok(v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_PARALLEL).contains(n))
        .unwrap_or(1))
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "scheduler-docker-local-computed-init-process",
        "Scheduler docker local computed init process",
    ),
    (
        "scheduler-docker-local-global-init-process",
        "Scheduler docker local global init process",
    ),
    (
        "scheduler-docker-local-init-process",
        "Scheduler docker local init process",
    ),
    (
        "scheduler-docker-local-computed-parallel-schedule-count",
        "Scheduler docker local computed parallel schedule count",
    ),
    (
        "scheduler-docker-local-global-parallel-schedule-count",
        "Scheduler docker local global parallel schedule count",
    ),
    (
        "scheduler-docker-local-parallel-schedule-count",
        "Scheduler docker local parallel schedule count",
    ),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (flag, label) in REPORT_FIELDS {
        let key = if flag.ends_with("init-process") {
            "init-process"
        } else {
            "parallel-schedule-count"
        };
        let value = report::layered(PROPS, app, flag, key, || {
            Ok(match key {
                "init-process" => init_process(app)?.to_string(),
                _ => parallel_schedule_count(app)?.to_string(),
            })
        })?;
        rows.push((flag.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} scheduler-docker-local information"),
        rows,
    })
}

/// `scheduler-docker-local:report [APP] [--format stdout|json] [--FLAG]`.
pub fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

#[cfg(test)]
mod tests {
    #[test]
    fn values() {
        assert!(super::validate("init-process", "true").is_ok());
        assert!(super::validate("init-process", "yes").is_err());
        assert!(super::validate("parallel-schedule-count", "4").is_ok());
        for bad in ["0", "-1", "x", "+2", "65"] {
            assert!(super::validate("parallel-schedule-count", bad).is_err());
        }
    }
}
