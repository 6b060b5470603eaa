//! The logs properties, as Dokku's `logs:set|report`: `max-size` (the most a container's log
//! keeps: `unlimited`, or a number with an optional `k`, `m` or `g` unit; default `10m`) and
//! `app-label-alias` (the label that carries the app's name on its containers; default
//! `com.dokku.app-name`), each per app or `--global`; and their use in the containers'
//! docker arguments.

use anyhow::{bail, Context, Result};
use dokku_core::docker::dockerargs;
use dokku_core::plugin::usage;
use dokku_core::report::{self, Report};
use dokku_core::{appname, docker, log, property};

/// The property store name of the logs settings.
const PROPS: &str = "logs";

/// The properties `logs:set` accepts.
const KEYS: &[&str] = &["max-size", "app-label-alias"];

/// Dokku's default `max-size` of a container's log.
const DEFAULT_MAX_SIZE: &str = "10m";

/// Dokku's default `app-label-alias`: the label every Dokku container has.
const DEFAULT_ALIAS: &str = docker::APP_LABEL;

/// The default of a property.
fn default_of(key: &str) -> &'static str {
    if key == "max-size" {
        DEFAULT_MAX_SIZE
    } else {
        DEFAULT_ALIAS
    }
}

/// Checks a `max-size`: `unlimited`, or digits (not starting with 0) with an optional unit.
fn validate_max_size(v: &str) -> Result<()> {
    let digits = v.strip_suffix(['k', 'm', 'g']).unwrap_or(v);
    let ok = v == "unlimited"
        || (!digits.is_empty()
            && digits.len() <= 12
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        bail!("Invalid max-size {v:?}: expected unlimited or a number with an optional unit (k, m or g), such as 10m");
    }
    Ok(())
}

/// Checks an `app-label-alias`: a docker label key (a letter or digit first, then letters,
/// digits, `.`, `-` and `_`; at most 128 characters).
fn validate_alias(v: &str) -> Result<()> {
    let ok = v.len() <= 128
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if !ok {
        bail!("Invalid app-label-alias {v:?}: expected a label name (letters, digits, '.', '-' and '_')");
    }
    Ok(())
}

/// `logs:set [--global|APP] max-size|app-label-alias [VALUE]` (no value: unset).
pub fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), KEYS)?;
    if let Some(v) = c.new_value() {
        match c.key.as_str() {
            "max-size" => validate_max_size(v)?,
            _ => validate_alias(v)?,
        }
    }
    c.apply(PROPS)
}

/// The value of `key` for `app` (`--global`: the global one): its own, else the global one,
/// else the default.
fn computed(app: &str, key: &str) -> Result<String> {
    let mut scopes = vec![property::GLOBAL];
    if app != property::GLOBAL {
        appname::validate(app)?;
        scopes.insert(0, app);
    }
    for scope in scopes {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(default_of(key).to_string())
}

/// Trigger `logs-get-property APP|--global KEY`: the value of `max-size` or `app-label-alias`
/// that applies.
pub fn trigger_get_property(argv: &[String]) -> Result<()> {
    let [app, key, ..] = argv else {
        bail!("logs-get-property needs APP KEY");
    };
    if !KEYS.contains(&key.as_str()) {
        bail!(
            "Invalid logs property specified: {key:?} (valid: {})",
            KEYS.join(", ")
        );
    }
    println!("{}", computed(app, key)?);
    Ok(())
}

/// Whether docker's log driver for these arguments (a `--log-driver` among them, else the
/// engine's default) takes `max-size` (`json-file` and `local` do).
fn driver_takes_max_size(stdin: &str) -> bool {
    let words: Vec<&str> = stdin.split_whitespace().collect();
    let given = words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix("--log-driver=").or_else(|| {
            (*w == "--log-driver")
                .then(|| words.get(i + 1).copied())
                .flatten()
        })
    });
    let driver = match given {
        Some(d) => d.trim_matches(['\'', '"']).to_string(),
        None => docker::output(["info", "--format", "{{.LoggingDriver}}"]).unwrap_or_default(),
    };
    matches!(driver.trim(), "json-file" | "local")
}

/// Triggers `docker-args-process-deploy APP SOURCE_TYPE TAG [PROC_TYPE [INDEX]]` and
/// `docker-args-process-run APP SOURCE_TYPE TAG`: echoes stdin, then `--log-opt max-size=…`
/// (unless `unlimited`, or the log driver has no such option) and `--label ALIAS=APP` when the
/// app-label-alias is not `com.dokku.app-name`.
pub fn trigger_docker_args(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let app = argv.first().map(String::as_str).unwrap_or("");
    let mut words = Vec::new();
    if appname::validate(app).is_ok() && appname::exists(app) {
        let max_size = computed(app, "max-size")?;
        if max_size != "unlimited" {
            if validate_max_size(&max_size).is_err() {
                log::warn(&format!("skipping the log max-size of {app}: {max_size:?}"));
            } else if driver_takes_max_size(&String::from_utf8_lossy(&stdin)) {
                words.extend(["--log-opt".to_string(), format!("max-size={max_size}")]);
            }
        }
        let alias = computed(app, "app-label-alias")?;
        if alias != DEFAULT_ALIAS && validate_alias(&alias).is_ok() {
            words.extend(["--label".to_string(), format!("{alias}={app}")]);
        }
    }
    dockerargs::emit(&stdin, &words).context("cannot answer the logs docker args")
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "logs-computed-app-label-alias",
        "Logs computed app label alias",
    ),
    ("logs-computed-max-size", "Logs computed max size"),
    ("logs-global-app-label-alias", "Logs global app label alias"),
    ("logs-global-max-size", "Logs global max size"),
    ("logs-app-label-alias", "Logs app label alias"),
    ("logs-max-size", "Logs max size"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (flag, label) in REPORT_FIELDS {
        let key = if flag.ends_with("max-size") {
            "max-size"
        } else {
            "app-label-alias"
        };
        let value = report::layered(PROPS, app, flag, key, || computed(app, key))?;
        rows.push((flag.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} logs information"),
        rows,
    })
}

/// `logs:report [APP] [--format stdout|json] [--FLAG]`.
pub fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for ok in ["unlimited", "10m", "1g", "500k", "100"] {
            assert!(validate_max_size(ok).is_ok(), "{ok}");
        }
        for bad in ["", "0m", "m", "10M", "10mb", "-1", "1 m", "10t"] {
            assert!(validate_max_size(bad).is_err(), "{bad}");
        }
        assert!(validate_alias("app").is_ok());
        assert!(validate_alias("com.example.app_name").is_ok());
        for bad in ["", ".app", "a b", "a=b", "a;b"] {
            assert!(validate_alias(bad).is_err(), "{bad}");
        }
    }
}
