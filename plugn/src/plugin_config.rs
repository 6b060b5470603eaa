//! A plugin's `CONFIG_*` variables, read as plugn reads them: the key names come from its
//! `plugin.toml` (`[plugin.config]`), the values from `$PLUGIN_PATH/config.toml` (a table per
//! plugin, `[NAME] KEY = "VALUE"`), and an environment variable `NAME_KEY` (upper case, `-` as
//! `_`) that is set and not empty overrides both. A key `config.toml` does not set takes the
//! value `plugin.toml` gives it (plugn would export it empty).

use crate::manifest::Manifest;
use anyhow::{anyhow, bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// `$PLUGIN_PATH/config.toml`.
pub fn file(plugin_path: &Path) -> PathBuf {
    plugin_path.join("config.toml")
}

/// `WORD` upper-cased with every character but letters, digits and `_` turned into `_`.
fn env_word(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The name a `[plugin.config]` key is exported under: `CONFIG_` + the key upper-cased.
pub fn var_name(key: &str) -> String {
    format!("CONFIG_{}", env_word(key))
}

/// The environment variable that overrides plugin `name`'s `key`: `NAME_KEY`.
pub fn override_name(name: &str, key: &str) -> String {
    format!("{}_{}", env_word(name), env_word(key))
}

/// A TOML value as the text an environment variable carries.
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The whole `config.toml` (empty when there is none).
fn read_file(plugin_path: &Path) -> Result<toml::Table> {
    let path = file(plugin_path);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    text.parse::<toml::Table>().map_err(|e| {
        anyhow!(
            "{}: {}",
            path.display(),
            e.message().lines().next().unwrap_or("not valid TOML")
        )
    })
}

/// The value of plugin `name`'s `key` in `table` (`config.toml`), if it sets one.
fn file_value(table: &toml::Table, name: &str, key: &str) -> Option<String> {
    table
        .get(name)
        .and_then(|t| t.as_table())
        .and_then(|t| t.get(key))
        .map(value_text)
}

/// The `CONFIG_*` variables of plugin `name` (whose manifest is `m`); `config.toml` is read only
/// when the manifest declares keys.
pub fn env(plugin_path: &Path, name: &str, m: &Manifest) -> Result<Vec<(String, String)>> {
    if m.plugin.config.is_empty() {
        return Ok(Vec::new());
    }
    let table = read_file(plugin_path)?;
    Ok(m.plugin
        .config
        .iter()
        .map(|(key, default)| {
            let value = std::env::var(override_name(name, key))
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| file_value(&table, name, key))
                .unwrap_or_else(|| value_text(default));
            (var_name(key), value)
        })
        .collect())
}

/// The value `key` of plugin `name` has (as its executables see it), if the manifest declares
/// it or `config.toml` sets it.
pub fn get(plugin_path: &Path, name: &str, m: &Manifest, key: &str) -> Result<Option<String>> {
    let table = read_file(plugin_path)?;
    if let Some(v) = std::env::var(override_name(name, key))
        .ok()
        .filter(|v| !v.is_empty())
    {
        if m.plugin.config.contains_key(key) {
            return Ok(Some(v));
        }
    }
    Ok(file_value(&table, name, key).or_else(|| m.plugin.config.get(key).map(value_text)))
}

/// Sets plugin `name`'s `key` in `config.toml` (as `plugn config set` does), keeping the rest of
/// the file, under its lock, atomically.
pub fn set(plugin_path: &Path, name: &str, key: &str, value: &str) -> Result<()> {
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        bail!("invalid config key {key:?}: use letters, digits, '_' and '-'");
    }
    let path = file(plugin_path);
    let _lock = crate::atomic::lock(&path)?;
    let mut doc = read_file(plugin_path)?;
    let table = doc
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .ok_or_else(|| anyhow!("{}: [{name}] is not a table", path.display()))?;
    table.insert(key.to_string(), toml::Value::String(value.to_string()));
    let out = toml::to_string(&doc).context("cannot serialise config.toml")?;
    crate::atomic::write(&path, out.as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(var_name("image-tag"), "CONFIG_IMAGE_TAG");
        assert_eq!(
            override_name("my-plugin", "image-tag"),
            "MY_PLUGIN_IMAGE_TAG"
        );
    }

    #[test]
    fn values_come_from_the_file_then_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let m = crate::manifest::parse(
            "[plugin]\n[plugin.config]\ngreeting = \"hi\"\ncount = 3\n",
            Path::new("plugin.toml"),
        )
        .unwrap();
        let e = env(dir.path(), "zz-test-plugin", &m).unwrap();
        assert!(
            e.contains(&("CONFIG_GREETING".into(), "hi".into())),
            "{e:?}"
        );
        assert!(e.contains(&("CONFIG_COUNT".into(), "3".into())), "{e:?}");
        set(dir.path(), "zz-test-plugin", "greeting", "hello").unwrap();
        set(dir.path(), "other", "greeting", "no").unwrap();
        let e = env(dir.path(), "zz-test-plugin", &m).unwrap();
        assert!(
            e.contains(&("CONFIG_GREETING".into(), "hello".into())),
            "{e:?}"
        );
        assert_eq!(
            get(dir.path(), "zz-test-plugin", &m, "greeting")
                .unwrap()
                .as_deref(),
            Some("hello")
        );
        assert!(set(dir.path(), "zz-test-plugin", "bad key", "x").is_err());
    }
}
