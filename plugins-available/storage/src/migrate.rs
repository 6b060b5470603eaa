//! `storage:migrate [APP|--all]`: turns an app's legacy `-v HOST:CONTAINER[:OPTIONS]` lines of
//! its deploy and run docker options into entries (`legacy-<hash>`, shared by every app that
//! mounts the same host path or volume) and attachments, as Dokku 0.38 does. The entries and
//! attachments are written first and the `-v` lines removed last, all under the registry lock
//! and the docker options lock: a failure leaves the legacy mounts working.

use crate::attach::{self, Attachment, DEFAULT_PROCESS};
use crate::entry;
use crate::mounts::{self, Mount};
use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::{appname, args, log};
use dokku_docker_options::store::{self, Phase};

/// Migrates one app; returns how many mounts moved.
fn migrate_app(app: &str) -> Result<usize> {
    store::update(app, &[Phase::Deploy, Phase::Run], |all| {
        // Each distinct spec, with the phases that have it, in first-seen order.
        let mut specs: Vec<(String, Vec<String>)> = Vec::new();
        for p in all.iter() {
            for line in &p.options {
                let Some(spec) = mounts::spec_of_line(line) else {
                    continue;
                };
                match specs.iter_mut().find(|(s, _)| *s == spec) {
                    Some((_, phases)) => phases.push(p.phase.name().to_string()),
                    None => specs.push((spec, vec![p.phase.name().to_string()])),
                }
            }
        }
        if specs.is_empty() {
            return Ok(0);
        }
        let mut list = attach::load(app)?;
        for (spec, phases) in &specs {
            let m = Mount::lenient(spec);
            if m.host.is_empty() || !m.container.starts_with('/') {
                bail!("cannot migrate the mount {spec:?} of {app}: not HOST:CONTAINER");
            }
            let e = entry::legacy_entry(&m.host);
            if entry::exists(&e.name) {
                let old = entry::load(&e.name)?;
                if old.host_path != e.host_path {
                    bail!(
                        "legacy entry {} already exists with host path {}",
                        e.name,
                        old.host_path
                    );
                }
            } else {
                entry::save(&e)?;
            }
            let (readonly, volume_options) =
                attach::check_volume_options(&m.options).unwrap_or((false, m.options.clone()));
            let a = Attachment {
                entry_name: e.name.clone(),
                container_path: m.container.clone(),
                phases: phases.clone(),
                process_type: DEFAULT_PROCESS.to_string(),
                subpath: String::new(),
                readonly,
                volume_options,
                volume_chown: String::new(),
            };
            if !list.iter().any(|x| {
                x.entry_name == a.entry_name
                    && x.container_path == a.container_path
                    && x.process_type == a.process_type
            }) {
                list.push(a);
            }
            log::verbose(&format!("{spec} -> storage entry {}", e.name));
        }
        attach::save(app, &list)?;
        for p in all.iter_mut() {
            p.options.retain(|l| mounts::spec_of_line(l).is_none());
        }
        Ok(specs.len())
    })
}

/// `storage:migrate [APP|--all]`.
pub fn command(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--all"], &[])?;
    a.at_most(1, usage())?;
    let apps = match (a.pos(0), a.has("--all")) {
        (Some(_), true) => bail!("storage:migrate accepts either an app name or --all, not both"),
        (None, false) => bail!("storage:migrate requires an app name (or --all)"),
        (Some(app), false) => {
            appname::verify(app)?;
            vec![app.clone()]
        }
        (None, true) => appname::all()?,
    };
    let _lock = entry::lock()?;
    for app in &apps {
        let n = migrate_app(app)?;
        log::info1(&format!("Migrated {n} legacy mount(s) of {app}"));
    }
    Ok(())
}
