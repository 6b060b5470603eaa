//! Listing an app's deployed containers with `docker container ls`.

use anyhow::{bail, Context, Result};
use dokku_core::docker::{self, APP_LABEL, CONTAINER_TYPE_LABEL, PROCESS_LABEL};
use std::collections::BTreeMap;

/// The label naming a container's dyno (`web.1`).
pub const DYNO_LABEL: &str = "com.dokku.dyno";

/// One deployed container of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppContainer {
    /// The full container id.
    pub id: String,
    /// The container name (`APP.web.1`).
    pub name: String,
    /// Its process type (`web`).
    pub process: String,
    /// Its index among the process type's containers (1 for `web.1`).
    pub index: u32,
    /// Whether it is running.
    pub running: bool,
    /// When it was created, as docker prints it (sortable within one engine).
    pub created: String,
    /// Its labels (the image's included).
    pub labels: BTreeMap<String, String>,
}

impl AppContainer {
    /// Its dyno: `PROCESS.N`.
    pub fn dyno(&self) -> String {
        format!("{}.{}", self.process, self.index)
    }
}

/// Checks a process type (the one rule of `dokku_core::procfile`).
pub use dokku_core::procfile::validate_type as validate_process_type;

/// Splits `web` or `web.2` into the process type and the index, checked.
pub fn parse_process(spec: &str) -> Result<(String, Option<u32>)> {
    match spec.split_once('.') {
        Some((p, n)) => {
            validate_process_type(p)?;
            match n.parse::<u32>() {
                Ok(i) if i > 0 && !n.starts_with('+') => Ok((p.to_string(), Some(i))),
                _ => bail!("Invalid process {spec:?}: expected PROCESS_TYPE or PROCESS_TYPE.N"),
            }
        }
        None => {
            validate_process_type(spec)?;
            Ok((spec.to_string(), None))
        }
    }
}

/// docker's `{{.Labels}}`: `k=v,k=v`.
fn parse_labels(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Reads one line of `docker container ls --format '{{json .}}'`; `None` when it is not one
/// of `app`'s dynos.
fn from_json(app: &str, line: &str) -> Result<Option<AppContainer>> {
    let v: serde_json::Value =
        serde_json::from_str(line).context("docker answered something else than JSON")?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let labels = parse_labels(&field("Labels"));
    let name = field("Names");
    let dyno = labels
        .get(DYNO_LABEL)
        .cloned()
        .or_else(|| name.strip_prefix(&format!("{app}.")).map(str::to_string))
        .unwrap_or_default();
    let Some((process, index)) = dyno.rsplit_once('.') else {
        return Ok(None);
    };
    let Ok(index) = index.parse::<u32>() else {
        return Ok(None);
    };
    let process = labels
        .get(PROCESS_LABEL)
        .cloned()
        .unwrap_or_else(|| process.to_string());
    Ok(Some(AppContainer {
        id: field("ID"),
        name,
        process,
        index,
        running: field("State") == "running",
        created: field("CreatedAt"),
        labels,
    }))
}

/// The app's deployed containers (of one process type, when given), one per dyno (the running
/// one, else the newest), sorted by process type then index.
pub fn deployed(app: &str, process: Option<&str>) -> Result<Vec<AppContainer>> {
    let mut args = vec![
        "container".to_string(),
        "ls".into(),
        "--all".into(),
        "--no-trunc".into(),
        "--filter".into(),
        format!("label={APP_LABEL}={app}"),
        "--filter".into(),
        format!("label={CONTAINER_TYPE_LABEL}=deploy"),
    ];
    if let Some(p) = process {
        args.extend(["--filter".to_string(), format!("label={PROCESS_LABEL}={p}")]);
    }
    args.extend(["--format".to_string(), "{{json .}}".to_string()]);
    let out = docker::output(&args)?;
    let mut by_dyno: BTreeMap<(String, u32), AppContainer> = BTreeMap::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let Some(c) = from_json(app, line)? else {
            continue;
        };
        let key = (c.process.clone(), c.index);
        let better = match by_dyno.get(&key) {
            None => true,
            Some(old) => (c.running, &c.created) > (old.running, &old.created),
        };
        if better {
            by_dyno.insert(key, c);
        }
    }
    Ok(by_dyno.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines() {
        let line = r#"{"ID":"abc","Names":"app.web.2","Labels":"com.dokku.app-name=app,com.dokku.process-type=web,dokku=","State":"running","CreatedAt":"2024"}"#;
        let c = from_json("app", line).unwrap().unwrap();
        assert_eq!(c.dyno(), "web.2");
        assert!(c.running);
        let odd = r#"{"ID":"x","Names":"other","Labels":"","State":"exited"}"#;
        assert!(from_json("app", odd).unwrap().is_none());
    }

    #[test]
    fn processes() {
        assert_eq!(parse_process("web").unwrap(), ("web".to_string(), None));
        assert_eq!(
            parse_process("web.2").unwrap(),
            ("web".to_string(), Some(2))
        );
        for bad in ["", "web.", "web.0", "web.x", "-x", "a b", "web.+1"] {
            assert!(parse_process(bad).is_err(), "{bad}");
        }
    }
}
