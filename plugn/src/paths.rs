//! The relocatable paths of DESIGN.md and the rest of the environment Dokku's `dokku` script
//! exports to plugins, read from the environment with Dokku's defaults. A value that is not
//! valid UTF-8 is refused rather than ignored (ignoring it would act on the system install).

use anyhow::{bail, Result};
use std::env;
use std::path::PathBuf;

/// Every path a Dokku installation uses, resolved once from the environment.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `DOKKU_ROOT`: one folder per app.
    pub dokku_root: PathBuf,
    /// `DOKKU_LIB_ROOT` (Dokku reads `DOKKU_LIB_PATH` too): plugins, properties, data.
    pub lib_root: PathBuf,
    /// `PLUGIN_PATH`: holds `available/` and `enabled/`.
    pub plugin_path: PathBuf,
    /// `PLUGIN_CORE_AVAILABLE_PATH`: the core plugins.
    pub core_available: PathBuf,
    /// `DOKKU_LOGS_DIR`: `events.log` and deploy logs.
    pub logs_dir: PathBuf,
    /// `PLUGIN_AVAILABLE_PATH` (default `$PLUGIN_PATH/available`).
    available: PathBuf,
    /// `PLUGIN_ENABLED_PATH` (default `$PLUGIN_PATH/enabled`).
    enabled: PathBuf,
    /// `PLUGIN_CORE_PATH` (default `$DOKKU_LIB_ROOT/core-plugins`).
    core_path: PathBuf,
    /// `PLUGIN_CORE_ENABLED_PATH` (default `$PLUGIN_CORE_PATH/enabled`).
    core_enabled: PathBuf,
    /// `DOKKU_EVENTS_LOGFILE` (default `$DOKKU_LOGS_DIR/events.log`).
    events_log: PathBuf,
    /// The other variables handed to plugins (`DOKKU_API_VERSION`, `DOCKER_BIN`, …).
    others: Vec<(&'static str, String)>,
}

/// The labels Dokku puts on every image it builds and container it runs.
const GLOBAL_LABEL_ARGS: &str =
    "--label=org.label-schema.schema-version=1.0 --label=org.label-schema.vendor=dokku --label=dokku";

/// The stack image herokuish builds use when nothing else is set (`DOKKU_IMAGE`).
pub const DEFAULT_IMAGE: &str = "dokku/stack:bookworm";

/// The Cloud Native Buildpacks builder image (`DOKKU_CNB_BUILDER`), as in Dokku.
pub const DEFAULT_CNB_BUILDER: &str = "heroku/builder:24";

/// A variable of the environment: `None` when unset or empty; an error naming it when it is not
/// valid UTF-8.
pub fn var(name: &str) -> Result<Option<String>> {
    match env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(env::VarError::NotPresent) => Ok(None),
        Err(env::VarError::NotUnicode(v)) => bail!(
            "{name} is not valid UTF-8 ({}); set it to a UTF-8 path",
            v.to_string_lossy()
        ),
    }
}

fn path_var(name: &str, default: impl FnOnce() -> PathBuf) -> Result<PathBuf> {
    Ok(var(name)?.map(PathBuf::from).unwrap_or_else(default))
}

/// The `ID` of `/etc/os-release` (`debian`, `ubuntu`, …), as Dokku's `DOKKU_DISTRO`.
fn distro() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("ID=")
                    .map(|v| v.trim().trim_matches('"').trim_matches('\'').to_string())
            })
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "debian".into())
}

/// The user and group owning `dir` (the `dokku` user on a system install, the installing user
/// under `--root`); `dokku` when they cannot be named.
fn owner_of(dir: &std::path::Path) -> (String, String) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return ("dokku".into(), "dokku".into());
    };
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(meta.uid()))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "dokku".into());
    let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(meta.gid()))
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_else(|| "dokku".into());
    (user, group)
}

impl Paths {
    /// Resolves the paths from the environment, falling back to Dokku's defaults. A variable
    /// that is not valid UTF-8 ends the process with one ` !     ` line and exit code 1 (every
    /// binary reads its paths through here before it acts); see [`Paths::try_from_env`].
    pub fn from_env() -> Paths {
        match Paths::try_from_env() {
            Ok(p) => p,
            Err(e) => {
                eprintln!(" !     {e:#}");
                std::process::exit(1)
            }
        }
    }

    /// Resolves the paths and the other plugin variables from the environment, each overridable
    /// as in Dokku's `dokku` script; fails on a value that is not valid UTF-8.
    pub fn try_from_env() -> Result<Paths> {
        let dokku_root = path_var("DOKKU_ROOT", || PathBuf::from("/home/dokku"))?;
        let lib_root = match var("DOKKU_LIB_ROOT")? {
            Some(v) => PathBuf::from(v),
            None => path_var("DOKKU_LIB_PATH", || PathBuf::from("/var/lib/dokku"))?,
        };
        let plugin_path = path_var("PLUGIN_PATH", || lib_root.join("plugins"))?;
        let available = path_var("PLUGIN_AVAILABLE_PATH", || plugin_path.join("available"))?;
        let enabled = path_var("PLUGIN_ENABLED_PATH", || plugin_path.join("enabled"))?;
        let core_path = path_var("PLUGIN_CORE_PATH", || lib_root.join("core-plugins"))?;
        let core_available =
            path_var("PLUGIN_CORE_AVAILABLE_PATH", || core_path.join("available"))?;
        let core_enabled = path_var("PLUGIN_CORE_ENABLED_PATH", || core_path.join("enabled"))?;
        let logs_dir = path_var("DOKKU_LOGS_DIR", || PathBuf::from("/var/log/dokku"))?;
        let events_log = path_var("DOKKU_EVENTS_LOGFILE", || logs_dir.join("events.log"))?;
        let s = |p: &PathBuf| p.to_string_lossy().into_owned();
        let host_root = var("DOKKU_HOST_ROOT")?.unwrap_or_else(|| s(&dokku_root));
        let logs_host_dir = var("DOKKU_LOGS_HOST_DIR")?.unwrap_or_else(|| s(&logs_dir));
        let (user, group) = owner_of(&dokku_root);
        let or =
            |name: &str, default: String| -> Result<String> { Ok(var(name)?.unwrap_or(default)) };
        let others = vec![
            ("DOKKU_HOST_ROOT", host_root),
            ("DOKKU_LOGS_HOST_DIR", logs_host_dir),
            ("DOKKU_API_VERSION", "1".to_string()),
            ("DOKKU_NOT_IMPLEMENTED_EXIT", "10".to_string()),
            ("DOKKU_VALID_EXIT", "0".to_string()),
            ("DOCKER_BIN", or("DOCKER_BIN", "docker".into())?),
            ("DOKKU_DISTRO", or("DOKKU_DISTRO", distro())?),
            ("DOKKU_IMAGE", or("DOKKU_IMAGE", DEFAULT_IMAGE.into())?),
            (
                "DOKKU_CNB_BUILDER",
                or("DOKKU_CNB_BUILDER", DEFAULT_CNB_BUILDER.into())?,
            ),
            ("DOKKU_SYSTEM_USER", or("DOKKU_SYSTEM_USER", user)?),
            ("DOKKU_SYSTEM_GROUP", or("DOKKU_SYSTEM_GROUP", group)?),
            ("DOKKU_CONTAINER_LABEL", "dokku".to_string()),
            ("DOKKU_GLOBAL_BUILD_ARGS", GLOBAL_LABEL_ARGS.to_string()),
            ("DOKKU_GLOBAL_RUN_ARGS", GLOBAL_LABEL_ARGS.to_string()),
        ];
        Ok(Paths {
            dokku_root,
            lib_root,
            plugin_path,
            core_available,
            logs_dir,
            available,
            enabled,
            core_path,
            core_enabled,
            events_log,
            others,
        })
    }

    /// `PLUGIN_AVAILABLE_PATH` (default `$PLUGIN_PATH/available`).
    pub fn available(&self) -> PathBuf {
        self.available.clone()
    }

    /// `PLUGIN_ENABLED_PATH` (default `$PLUGIN_PATH/enabled`).
    pub fn enabled(&self) -> PathBuf {
        self.enabled.clone()
    }

    /// `DOKKU_EVENTS_LOGFILE` (default `$DOKKU_LOGS_DIR/events.log`).
    pub fn events_log(&self) -> PathBuf {
        self.events_log.clone()
    }

    /// The property folder of one plugin: `$DOKKU_LIB_ROOT/config/PLUGIN`.
    pub fn properties(&self, plugin: &str) -> PathBuf {
        self.lib_root.join("config").join(plugin)
    }

    /// Every variable Dokku's `dokku` script exports to plugins that does not depend on the
    /// command (paths, `DOKKU_API_VERSION`, `DOCKER_BIN`, `DOKKU_DISTRO`, labels, …), as
    /// resolved here; the ones that do (`DOKKU_COMMAND`, `DOKKU_APP_NAME`, `SSH_USER`, …) are
    /// set by `dokku` itself.
    pub fn exports(&self) -> Vec<(&'static str, String)> {
        let s = |p: &PathBuf| p.to_string_lossy().into_owned();
        let mut v = vec![
            ("DOKKU_ROOT", s(&self.dokku_root)),
            ("DOKKU_LIB_ROOT", s(&self.lib_root)),
            ("PLUGIN_PATH", s(&self.plugin_path)),
            ("PLUGIN_AVAILABLE_PATH", s(&self.available)),
            ("PLUGIN_ENABLED_PATH", s(&self.enabled)),
            ("PLUGIN_CORE_PATH", s(&self.core_path)),
            ("PLUGIN_CORE_AVAILABLE_PATH", s(&self.core_available)),
            ("PLUGIN_CORE_ENABLED_PATH", s(&self.core_enabled)),
            ("DOKKU_LOGS_DIR", s(&self.logs_dir)),
            ("DOKKU_EVENTS_LOGFILE", s(&self.events_log)),
        ];
        v.extend(self.others.iter().cloned());
        v
    }
}
