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
    /// `[plugin.config]`: its keys are exported to the plugin's executables as `CONFIG_*`
    /// (values: see `plugin_config`).
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
}
