//! Attachments: how an app mounts a named entry (container folder, phases, process type,
//! subpath, options, owner). Kept as Dokku keeps them, one JSON object a line in the app's
//! `storage` property `mounts`; written atomically under the registry lock.

use crate::entry::{self, Entry};
use crate::mounts;
use anyhow::{bail, Context, Result};
use dokku_core::property;
use serde::{Deserialize, Serialize};

/// The property that holds an app's attachments.
const PROPERTY: &str = "mounts";
/// The process type of an attachment that applies to every process.
pub const DEFAULT_PROCESS: &str = "_default_";

/// One entry mounted into one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The entry mounted.
    pub entry_name: String,
    /// Where it appears in the container (absolute).
    pub container_path: String,
    /// `deploy`, `run` or both.
    pub phases: Vec<String>,
    /// A process type, or [`DEFAULT_PROCESS`].
    #[serde(default = "default_process")]
    pub process_type: String,
    /// A folder inside the entry mounted instead of the whole entry.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    /// Mounted read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
    /// Further `-v` options (comma separated).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub volume_options: String,
    /// The owner the mounted folder was given (`UID[:GID]` or a chown option).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub volume_chown: String,
}

fn default_process() -> String {
    DEFAULT_PROCESS.to_string()
}

impl Attachment {
    /// Whether this attachment applies to containers of `process` (`None`: one-off/default).
    pub fn applies_to(&self, phase: &str, process: Option<&str>) -> bool {
        self.phases.iter().any(|p| p == phase)
            && (self.process_type == DEFAULT_PROCESS || Some(self.process_type.as_str()) == process)
    }

    /// Whether two attachments could land in the same container.
    pub fn overlaps(&self, other: &Attachment) -> bool {
        (self.process_type == other.process_type
            || self.process_type == DEFAULT_PROCESS
            || other.process_type == DEFAULT_PROCESS)
            && self.phases.iter().any(|p| other.phases.contains(p))
    }

    /// The mount's source: the entry's folder (with the subpath) or its volume.
    pub fn source(&self, e: &Entry) -> String {
        if self.subpath.is_empty() {
            e.host_path.clone()
        } else {
            format!("{}/{}", e.host_path, self.subpath)
        }
    }

    /// The `-v` options: `ro` first when read-only, then the others.
    pub fn options(&self) -> String {
        let mut o: Vec<&str> = Vec::new();
        if self.readonly {
            o.push("ro");
        }
        o.extend(self.volume_options.split(',').filter(|s| !s.is_empty()));
        o.join(",")
    }

    /// `SOURCE:CONTAINER[:OPTIONS]`, as `-v` takes it.
    pub fn spec(&self, e: &Entry) -> String {
        let opts = self.options();
        if opts.is_empty() {
            format!("{}:{}", self.source(e), self.container_path)
        } else {
            format!("{}:{}:{opts}", self.source(e), self.container_path)
        }
    }
}

/// An app's attachments, in the order they were made.
pub fn load(app: &str) -> Result<Vec<Attachment>> {
    let text = property::get("storage", app, PROPERTY)?.unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .with_context(|| format!("cannot parse a storage attachment of {app}"))
        })
        .collect()
}

/// Replaces an app's attachments (the caller holds the registry lock).
pub fn save(app: &str, list: &[Attachment]) -> Result<()> {
    if list.is_empty() {
        return property::delete("storage", app, PROPERTY);
    }
    let lines: Vec<String> = list
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    property::write("storage", app, PROPERTY, &lines.join("\n"))
}

/// The apps that mount `name`, sorted.
pub fn apps_using(name: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for app in dokku_core::appname::all()? {
        if load(&app)?.iter().any(|a| a.entry_name == name) {
            out.push(app);
        }
    }
    Ok(out)
}

/// The `-v SPEC` words of the app's attachments for `phase` and `process`.
pub fn docker_words(app: &str, phase: &str, process: Option<&str>) -> Result<Vec<String>> {
    let mut words = Vec::new();
    for a in load(app)? {
        if !a.applies_to(phase, process) {
            continue;
        }
        let e = entry::load(&a.entry_name)
            .with_context(|| format!("a storage mount of {app} names a missing entry"))?;
        words.push("-v".to_string());
        words.push(a.spec(&e));
    }
    Ok(words)
}

/// Checks and normalizes a subpath: relative, no `..`, no `.`, safe characters.
pub fn normalize_subpath(sub: &str) -> Result<String> {
    if sub.starts_with('/') {
        bail!("--volume-subpath {sub:?} must be relative to the entry");
    }
    mounts::check_chars("Subpath", sub)?;
    let n = mounts::normalize_path("Subpath", sub)?;
    let n = n.trim_start_matches('/').to_string();
    if n.is_empty() {
        bail!("--volume-subpath must name a folder inside the entry");
    }
    if n.split('/').any(|c| c.starts_with('.')) {
        bail!("--volume-subpath {sub:?} must not have components starting with a dot");
    }
    Ok(n)
}

/// Checks `--volume-options`: a comma list of Docker's `-v` options, `ro` and `rw` not both.
pub fn check_volume_options(opts: &str) -> Result<(bool, String)> {
    let list: Vec<&str> = opts.split(',').filter(|s| !s.is_empty()).collect();
    for o in &list {
        if !mounts::OPTIONS.contains(o) {
            bail!(
                "Unsupported mount option {o:?}; use {}",
                mounts::OPTIONS.join(", ")
            );
        }
    }
    if list.contains(&"ro") && list.contains(&"rw") {
        bail!("Mount options ro and rw exclude each other");
    }
    let readonly = list.contains(&"ro");
    let rest: Vec<&str> = list.into_iter().filter(|o| *o != "ro").collect();
    Ok((readonly, rest.join(",")))
}

/// Checks a process type: `_default_` or a Procfile name.
pub fn check_process_type(p: &str) -> Result<()> {
    if p == DEFAULT_PROCESS {
        return Ok(());
    }
    if p.is_empty()
        || p.len() > 63
        || !p
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        bail!("Invalid --process-type {p:?}: use letters, digits, '-' and '_'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_checks() {
        let e = entry::legacy_entry("/srv/x");
        let a = Attachment {
            entry_name: e.name.clone(),
            container_path: "/data".into(),
            phases: vec!["deploy".into()],
            process_type: "web".into(),
            subpath: "sub".into(),
            readonly: true,
            volume_options: "z".into(),
            volume_chown: String::new(),
        };
        assert_eq!(a.spec(&e), "/srv/x/sub:/data:ro,z");
        assert!(a.applies_to("deploy", Some("web")));
        assert!(!a.applies_to("deploy", Some("worker")));
        assert!(!a.applies_to("run", None));
        assert_eq!(normalize_subpath("a//b/").unwrap(), "a/b");
        for bad in ["/a", "..", "a/../b", ".hidden", "", "a b"] {
            assert!(normalize_subpath(bad).is_err(), "{bad}");
        }
        assert_eq!(check_volume_options("ro,z").unwrap(), (true, "z".into()));
        assert!(check_volume_options("ro,rw").is_err());
        assert!(check_volume_options("bogus").is_err());
        assert!(check_process_type("web").is_ok());
        assert!(check_process_type("a;b").is_err());
    }
}
