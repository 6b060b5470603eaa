//! Resource names, their values and how the docker-local scheduler passes them to Docker.

use anyhow::{bail, Result};

/// The resources a limit or reservation may name, in report order.
pub const RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "memory-swap",
    "network",
    "network-ingress",
    "network-egress",
    "nvidia-gpu",
];

/// The process type of values that apply to every process type.
pub const DEFAULT_PROCESS: &str = "_default_";

/// A request type: a limit or a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `resource:limit`: the most a process may use.
    Limit,
    /// `resource:reserve`: what a process is guaranteed.
    Reserve,
}

impl Kind {
    /// The word in property keys (`web.limit.memory`, `web.reserve.memory`).
    pub fn key(self) -> &'static str {
        match self {
            Kind::Limit => "limit",
            Kind::Reserve => "reserve",
        }
    }

    /// The noun in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Limit => "limits",
            Kind::Reserve => "reservation",
        }
    }
}

/// The property key of one value: `PROC.KIND.RESOURCE`.
pub fn property_key(process: &str, kind: Kind, resource: &str) -> String {
    format!("{process}.{}.{resource}", kind.key())
}

/// Checks a process type (the one rule of `dokku_core::procfile`).
pub use dokku_core::procfile::validate_type as validate_process_type;

/// Splits `12.5m` into its number and its unit.
fn number_and_unit(v: &str) -> Option<(&str, &str)> {
    let end = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(end);
    let mut parts = num.split('.');
    let int = parts.next()?;
    let frac = parts.next();
    let ok = !int.is_empty()
        && int.len() <= 15
        && parts.next().is_none()
        && frac.is_none_or(|f| !f.is_empty() && f.len() <= 9);
    ok.then_some((num, unit))
}

fn is_memory(v: &str) -> bool {
    match number_and_unit(v) {
        Some((_, unit)) => matches!(
            unit.to_ascii_lowercase().as_str(),
            "" | "b" | "k" | "m" | "g" | "kb" | "mb" | "gb"
        ),
        None => false,
    }
}

fn is_positive_number(v: &str) -> bool {
    matches!(number_and_unit(v), Some((n, "")) if n.parse::<f64>().is_ok_and(|x| x > 0.0))
}

/// Checks the value of one resource (`clear` removes a value and is always accepted).
pub fn validate(resource: &str, value: &str) -> Result<()> {
    if value == "clear" {
        return Ok(());
    }
    let ok = match resource {
        "cpu" => is_positive_number(value),
        "memory" => {
            is_memory(value) && number_and_unit(value).is_some_and(|(n, _)| is_positive_number(n))
        }
        "memory-swap" => value == "-1" || is_memory(value),
        "nvidia-gpu" => {
            value == "all"
                || (value.bytes().all(|b| b.is_ascii_digit()) && is_positive_number(value))
        }
        _ => {
            matches!(number_and_unit(value), Some((_, u)) if u.len() <= 8 && u.bytes().all(|b| b.is_ascii_alphabetic()))
        }
    };
    if !ok {
        let hint = match resource {
            "cpu" => "a positive number of CPUs, e.g. 0.5 or 2",
            "memory" => "a size such as 512m, 1g or 1024 (megabytes)",
            "memory-swap" => "a size such as 1g, or -1 for unlimited swap",
            "nvidia-gpu" => "a number of GPUs, or all",
            _ => "a number with an optional unit",
        };
        bail!("Invalid {resource} value {value:?}: expected {hint}");
    }
    Ok(())
}

/// A size for Docker: a bare number is in megabytes (Dokku's rule), units lowercased.
fn docker_size(v: &str) -> String {
    if v == "-1" {
        return v.to_string();
    }
    match number_and_unit(v) {
        Some((n, "")) => format!("{n}m"),
        _ => v.to_ascii_lowercase(),
    }
}

/// The `docker run` argument for one value, when the docker-local scheduler supports it (the
/// network resources are not).
pub fn docker_arg(kind: Kind, resource: &str, value: &str) -> Option<String> {
    match (kind, resource) {
        (Kind::Limit, "cpu") => Some(format!("--cpus={value}")),
        (Kind::Limit, "memory") => Some(format!("--memory={}", docker_size(value))),
        (Kind::Limit, "memory-swap") => Some(format!("--memory-swap={}", docker_size(value))),
        (Kind::Limit, "nvidia-gpu") => Some(format!("--gpus={value}")),
        (Kind::Reserve, "memory") => Some(format!("--memory-reservation={}", docker_size(value))),
        (Kind::Reserve, "cpu") => {
            // Docker has no CPU reservation for a lone container: its relative weight
            // (1024 for one CPU) is the closest.
            let cpus: f64 = value.parse().ok()?;
            Some(format!(
                "--cpu-shares={}",
                ((cpus * 1024.0).round() as u64).max(2)
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for ok in ["512m", "1g", "1024", "1.5G", "512mb", "100000000b"] {
            assert!(validate("memory", ok).is_ok(), "{ok}");
        }
        for bad in ["", "0", "-1", "1x", "1.2.3", "m", "1 g", "1;rm"] {
            assert!(validate("memory", bad).is_err(), "{bad}");
        }
        assert!(validate("memory-swap", "-1").is_ok());
        for ok in ["0.5", "2", "clear"] {
            assert!(validate("cpu", ok).is_ok(), "{ok}");
        }
        for bad in ["0", "-1", "abc", "1m", ".5", "1."] {
            assert!(validate("cpu", bad).is_err(), "{bad}");
        }
        assert!(validate("nvidia-gpu", "all").is_ok());
        assert!(validate("nvidia-gpu", "1.5").is_err());
        assert!(validate("network", "10mbps").is_ok());
        assert!(validate_process_type("web").is_ok());
        assert!(validate_process_type("_default_").is_err());
        assert!(validate_process_type("a.b").is_err());
    }

    #[test]
    fn docker_args() {
        assert_eq!(
            docker_arg(Kind::Limit, "memory", "100").as_deref(),
            Some("--memory=100m")
        );
        assert_eq!(
            docker_arg(Kind::Limit, "memory", "1G").as_deref(),
            Some("--memory=1g")
        );
        assert_eq!(
            docker_arg(Kind::Reserve, "cpu", "0.5").as_deref(),
            Some("--cpu-shares=512")
        );
        assert_eq!(docker_arg(Kind::Limit, "network", "10"), None);
    }
}
