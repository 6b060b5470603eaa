//! `plugin.toml`: a plugin's description, version and `[plugin.config]`, parsed with serde.

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The whole `plugin.toml` file.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// The `[plugin]` table.
    pub plugin: PluginSection,
}

/// The `[plugin]` table of `plugin.toml`.
#[derive(Debug, Default, Deserialize)]
pub struct PluginSection {
    /// One line saying what the plugin does.
    #[serde(default)]
    pub description: String,
    /// The plugin's version.
    #[serde(default)]
    pub version: String,
    /// An optional commit sha the plugin was installed from.
    #[serde(default)]
    pub sha: Option<String>,
    /// `private-args = true`: `dokku` hands the plugin's subcommands their arguments through
    /// an inherited descriptor (`DOKKU_ARGS_FD`) rather than on the command line, as the Rust
    /// plugin runtime understands (config values, URLs with credentials).
    #[serde(default, rename = "private-args")]
    pub private_args: bool,
    /// `[plugin.config]`: exported to the plugin's executables as `CONFIG_*`.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
}

/// The 1-based line of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses a manifest's text; the error names `origin` and the line at fault.
pub fn parse(text: &str, origin: &Path) -> Result<Manifest> {
    match toml::from_str::<Manifest>(text) {
        Ok(m) => Ok(m),
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            // Some messages span lines ("invalid table header\nexpected ..."): keep one line.
            let message: Vec<&str> = e
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            Err(anyhow!(
                "{}: line {}: {}",
                origin.display(),
                line,
                message.join(": ")
            ))
        }
    }
}

/// Reads and parses `DIR/plugin.toml`; a plugin without one gets an empty manifest.
pub fn load(dir: &Path) -> Result<Manifest> {
    let path = dir.join("plugin.toml");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Manifest {
                plugin: PluginSection::default(),
            })
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    parse(&text, &path)
}

/// The name a `[plugin.config]` key is exported under: `CONFIG_` + upper case, other
/// characters than letters, digits and `_` turned into `_`.
pub fn config_var_name(key: &str) -> String {
    let mut s = String::from("CONFIG_");
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            s.push(c.to_ascii_uppercase());
        } else {
            s.push('_');
        }
    }
    s
}

/// A config value as the text an environment variable carries.
pub fn config_value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `CONFIG_*` variables of a manifest.
pub fn config_env(m: &Manifest) -> Vec<(String, String)> {
    m.plugin
        .config
        .iter()
        .map(|(k, v)| (config_var_name(k), config_value_text(v)))
        .collect()
}

/// Whether `name` is at most `max` bytes of letters, digits, `_`, `.`, `-`, starting with a
/// letter or digit: the rule for plugin and trigger names, which become path parts.
pub fn is_safe_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// Checks a plugin name: a letter or digit first, then letters, digits, `_`, `.`, `-`.
pub fn validate_plugin_name(name: &str) -> Result<()> {
    if !is_safe_name(name, 100) {
        bail!(
            "invalid plugin name {:?}: use letters, digits, '_', '.', '-', starting with a letter or digit",
            name
        );
    }
    Ok(())
}

/// Sets one `[plugin.config]` key in `DIR/plugin.toml`, keeping the rest of the file's values.
pub fn set_config(dir: &Path, key: &str, value: &str) -> Result<()> {
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        bail!(
            "invalid config key {:?}: use letters, digits, '_' and '-'",
            key
        );
    }
    let path = dir.join("plugin.toml");
    let _lock = crate::atomic::lock(&path)?;
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // Validate the current file first so a broken one is reported, not silently replaced.
    if !text.trim().is_empty() {
        parse(&text, &path)?;
    }
    let mut doc: toml::Table = if text.trim().is_empty() {
        toml::Table::new()
    } else {
        text.parse()
            .with_context(|| format!("cannot parse {}", path.display()))?
    };
    let plugin = doc
        .entry("plugin")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| anyhow!("{}: [plugin] is not a table", path.display()))?;
    let config = plugin
        .entry("config")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| anyhow!("{}: [plugin.config] is not a table", path.display()))?;
    config.insert(key.to_string(), toml::Value::String(value.to_string()));
    let out = toml::to_string(&doc).context("cannot serialise plugin.toml")?;
    crate::atomic::write(&path, out.as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_manifest_names_line() {
        let err = parse(
            "[plugin]\ndescription = \"x\"\nversion = 1.2.3\n",
            Path::new("p/plugin.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("p/plugin.toml: line 3"), "{err}");
        let err = parse("[plugin]\n[oops\n", Path::new("plugin.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("plugin.toml: line 2: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn config_names() {
        assert_eq!(config_var_name("image-tag"), "CONFIG_IMAGE_TAG");
    }
}
