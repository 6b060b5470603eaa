//! Finding plugins: the enabled set in byte-wise order, the available ones, and their executables.

use crate::paths::Paths;
use anyhow::{Context, Result};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One plugin folder.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// The folder name, which is the plugin's name.
    pub name: String,
    /// The folder (as found: an `enabled/` or `available/` entry, usually a symlink).
    pub dir: PathBuf,
}

/// The names of the entries of `dir`, sorted byte-wise; an absent folder is empty.
fn sorted_entries(dir: &Path) -> Result<Vec<String>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// The plugins in `dir` (an `enabled/` or `available/` folder), sorted byte-wise by name.
fn plugins_in(dir: PathBuf) -> Result<Vec<Plugin>> {
    Ok(sorted_entries(&dir)?
        .into_iter()
        .map(|name| Plugin {
            dir: dir.join(&name),
            name,
        })
        .collect())
}

/// The enabled plugins, sorted byte-wise by name (the trigger order).
pub fn enabled(paths: &Paths) -> Result<Vec<Plugin>> {
    plugins_in(paths.enabled())
}

/// The available plugins (enabled or not), sorted byte-wise by name.
pub fn available(paths: &Paths) -> Result<Vec<Plugin>> {
    plugins_in(paths.available())
}

/// Whether the plugin `name` is enabled.
pub fn is_enabled(paths: &Paths, name: &str) -> bool {
    paths.enabled().join(name).exists()
}

/// Whether the plugin `name` is a core plugin (shipped in `PLUGIN_CORE_AVAILABLE_PATH`).
pub fn is_core(paths: &Paths, name: &str) -> bool {
    paths.core_available.join(name).is_dir()
}

/// What is at a plugin's executable path.
pub enum Executable {
    /// Nothing there.
    Missing,
    /// A file without the run bit.
    NotExecutable,
    /// A file that can be run.
    Runnable,
}

/// Looks at `path` (following symlinks) and says whether it can be run.
pub fn executable(path: &Path) -> Executable {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => {
            if m.permissions().mode() & 0o111 != 0 {
                Executable::Runnable
            } else {
                Executable::NotExecutable
            }
        }
        Ok(_) => Executable::NotExecutable,
        Err(_) => Executable::Missing,
    }
}

/// The enabled plugins that implement trigger `name` (have a runnable executable of that name).
pub fn implementers(paths: &Paths, name: &str) -> Result<Vec<Plugin>> {
    Ok(enabled(paths)?
        .into_iter()
        .filter(|p| matches!(executable(&p.dir.join(name)), Executable::Runnable))
        .collect())
}

/// The names of a plugin's subcommands (`subcommands/*`), sorted.
pub fn subcommands(dir: &Path) -> Vec<String> {
    sorted_entries(&dir.join("subcommands")).unwrap_or_default()
}
