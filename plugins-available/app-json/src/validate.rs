//! What app-json accepts: a relative path inside the repository for `appjson-path`, and an
//! app.json whose parts Dokku reads have the right shape.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Checks an `appjson-path`: relative, inside the repository (no `..`, no leading `/`), no
/// control characters, at most 255 bytes.
pub fn relative_path(p: &str) -> Result<()> {
    if p.is_empty() || p.len() > 255 {
        bail!("invalid appjson-path {p:?}: give a relative path of 1 to 255 bytes");
    }
    if p.starts_with('/') {
        bail!("invalid appjson-path {p:?}: must be relative to the repository root");
    }
    if p.chars().any(|c| c.is_control() || c == '\\') {
        bail!("invalid appjson-path {p:?}: control characters and backslashes are not allowed");
    }
    if p.ends_with('/') || p.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        bail!("invalid appjson-path {p:?}: use a file path without '.', '..' or empty parts");
    }
    Ok(())
}

/// Checks an app.json (HuJSON: comments and trailing commas allowed, as Dokku reads it) and
/// gives its standard JSON: a JSON object; `formation` an object of objects whose `quantity`
/// is a non-negative integer; `healthchecks` an object of lists of objects; `scripts.dokku.*`
/// strings; `cron` a list of objects.
pub fn content(text: &str) -> Result<String> {
    let plain = dokku_core::hujson::standardize(text)?;
    let v: Value = serde_json::from_str(&plain).context("not JSON")?;
    let Some(obj) = v.as_object() else {
        bail!("the top level must be an object");
    };
    if let Some(f) = obj.get("formation") {
        let f = f.as_object().context("formation must be an object")?;
        for (kind, spec) in f {
            dokku_core::procfile::validate_type(kind).context("formation")?;
            let spec = spec
                .as_object()
                .with_context(|| format!("formation.{kind} must be an object"))?;
            if let Some(q) = spec.get("quantity") {
                if !q.is_u64() {
                    bail!("formation.{kind}.quantity must be a non-negative integer");
                }
            }
        }
    }
    if let Some(h) = obj.get("healthchecks") {
        let h = h.as_object().context("healthchecks must be an object")?;
        for (kind, list) in h {
            let list = list
                .as_array()
                .with_context(|| format!("healthchecks.{kind} must be a list"))?;
            if list.iter().any(|c| !c.is_object()) {
                bail!("healthchecks.{kind} must be a list of objects");
            }
        }
    }
    if let Some(s) = v.pointer("/scripts/dokku") {
        let s = s.as_object().context("scripts.dokku must be an object")?;
        for (name, cmd) in s {
            if !cmd.is_string() {
                bail!("scripts.dokku.{name} must be a string");
            }
        }
    }
    if let Some(c) = obj.get("cron") {
        let c = c.as_array().context("cron must be a list")?;
        if c.iter().any(|e| !e.is_object()) {
            bail!("cron must be a list of objects");
        }
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for ok in ["app.json", "deploy/app.json", "a-b/c_d.json"] {
            relative_path(ok).unwrap();
        }
        for bad in [
            "",
            "/etc/app.json",
            "../app.json",
            "a/../b",
            "a//b",
            "a/",
            "./a",
            "a\nb",
        ] {
            assert!(relative_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn contents() {
        content(r#"{"formation":{"web":{"quantity":2}},"healthchecks":{"web":[{"path":"/"}]}}"#)
            .unwrap();
        content("{}").unwrap();
        let hu = "{\n  // scale\n  \"formation\": {\"web\": {\"quantity\": 2,},}, /* x */\n  \"u\": \"http://a//b\",\n}";
        let plain = content(hu).unwrap();
        let v: Value = serde_json::from_str(&plain).unwrap();
        assert_eq!(v["u"], "http://a//b");
        for bad in [
            "[]",
            "{",
            r#"{"formation":{"web":{"quantity":-1}}}"#,
            r#"{"healthchecks":{"web":{}}}"#,
            r#"{"scripts":{"dokku":{"predeploy":1}}}"#,
        ] {
            assert!(content(bad).is_err(), "{bad}");
        }
    }
}
