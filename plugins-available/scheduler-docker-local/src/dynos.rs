//! An app's scheduled containers as dynos (`web.1`): one per dyno, the running one else the
//! newest, for `scheduler-logs` and `scheduler-enter`.

use anyhow::{bail, Result};
use dokku_core::docker::{self, AppContainer};
use std::collections::BTreeMap;

/// One deployed container of an app, with its index among its process type's.
#[derive(Debug, Clone)]
pub struct Dyno {
    /// The container.
    pub c: AppContainer,
    /// Its process type (`web`).
    pub process: String,
    /// Its index (1 for `web.1`).
    pub index: u32,
}

impl Dyno {
    /// `PROCESS.N`.
    pub fn dyno(&self) -> String {
        format!("{}.{}", self.process, self.index)
    }
}

/// Splits `web` or `web.2` into the process type and the index, checked.
pub fn parse_process(spec: &str) -> Result<(String, Option<u32>)> {
    match spec.split_once('.') {
        Some((p, n)) => {
            dokku_core::procfile::validate_type(p)?;
            match n.parse::<u32>() {
                Ok(i) if i > 0 && !n.starts_with('+') => Ok((p.to_string(), Some(i))),
                _ => bail!("Invalid process {spec:?}: expected PROCESS_TYPE or PROCESS_TYPE.N"),
            }
        }
        None => {
            dokku_core::procfile::validate_type(spec)?;
            Ok((spec.to_string(), None))
        }
    }
}

/// The app's deployed containers (of one process type, when given), one per dyno (the running
/// one, else the newest), sorted by process type then index.
pub fn deployed(app: &str, process: Option<&str>) -> Result<Vec<Dyno>> {
    let mut by_dyno: BTreeMap<(String, u32), Dyno> = BTreeMap::new();
    for c in docker::app_containers(app, Some("deploy"), process, true)? {
        let Some((p, n)) = c.dyno.rsplit_once('.') else {
            continue;
        };
        let Ok(index) = n.parse::<u32>() else {
            continue;
        };
        let process = if c.process.is_empty() {
            p.to_string()
        } else {
            c.process.clone()
        };
        let key = (process.clone(), index);
        let better = match by_dyno.get(&key) {
            None => true,
            Some(old) => (c.running, &c.created) > (old.c.running, &old.c.created),
        };
        if better {
            by_dyno.insert(key, Dyno { c, process, index });
        }
    }
    Ok(by_dyno.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
