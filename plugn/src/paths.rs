//! The relocatable paths of DESIGN.md, read from the environment with Dokku's defaults.

use std::env;
use std::path::PathBuf;

/// Every path a Dokku installation uses, resolved once from the environment.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `DOKKU_ROOT`: one folder per app.
    pub dokku_root: PathBuf,
    /// `DOKKU_LIB_ROOT`: plugins, properties, data.
    pub lib_root: PathBuf,
    /// `PLUGIN_PATH`: holds `available/` and `enabled/`.
    pub plugin_path: PathBuf,
    /// `PLUGIN_CORE_AVAILABLE_PATH`: the core plugins.
    pub core_available: PathBuf,
    /// `DOKKU_LOGS_DIR`: `events.log` and deploy logs.
    pub logs_dir: PathBuf,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

impl Paths {
    /// Resolves the paths from the environment, falling back to Dokku's defaults.
    pub fn from_env() -> Paths {
        let dokku_root = var("DOKKU_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/home/dokku"));
        let lib_root = var("DOKKU_LIB_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/lib/dokku"));
        let plugin_path = var("PLUGIN_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| lib_root.join("plugins"));
        let core_available = var("PLUGIN_CORE_AVAILABLE_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| lib_root.join("core-plugins").join("available"));
        let logs_dir = var("DOKKU_LOGS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/log/dokku"));
        Paths {
            dokku_root,
            lib_root,
            plugin_path,
            core_available,
            logs_dir,
        }
    }

    /// `$PLUGIN_PATH/available`.
    pub fn available(&self) -> PathBuf {
        self.plugin_path.join("available")
    }

    /// `$PLUGIN_PATH/enabled`.
    pub fn enabled(&self) -> PathBuf {
        self.plugin_path.join("enabled")
    }

    /// `$DOKKU_LOGS_DIR/events.log`.
    pub fn events_log(&self) -> PathBuf {
        self.logs_dir.join("events.log")
    }

    /// The property folder of one plugin: `$DOKKU_LIB_ROOT/config/PLUGIN`.
    pub fn properties(&self, plugin: &str) -> PathBuf {
        self.lib_root.join("config").join(plugin)
    }

    /// The environment variables of DESIGN.md's table, as they are resolved here.
    pub fn exports(&self) -> Vec<(&'static str, String)> {
        let s = |p: &PathBuf| p.to_string_lossy().into_owned();
        vec![
            ("DOKKU_ROOT", s(&self.dokku_root)),
            ("DOKKU_LIB_ROOT", s(&self.lib_root)),
            ("PLUGIN_PATH", s(&self.plugin_path)),
            ("PLUGIN_AVAILABLE_PATH", s(&self.available())),
            ("PLUGIN_ENABLED_PATH", s(&self.enabled())),
            ("PLUGIN_CORE_PATH", s(&self.lib_root.join("core-plugins"))),
            ("PLUGIN_CORE_AVAILABLE_PATH", s(&self.core_available)),
            ("DOKKU_LOGS_DIR", s(&self.logs_dir)),
        ]
    }
}
