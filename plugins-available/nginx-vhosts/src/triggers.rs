//! The triggers the nginx plugin answers: `proxy-build-config` and the deploy, create, delete
//! and proxy enable/disable hooks that write, promote or clear an app's nginx config.

use super::*;

/// Trigger `proxy-build-config APP` (or `--all [COUNT]`: every app, rendered COUNT at a time,
/// then one check and one reload).
pub(crate) fn trigger_build(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("needs APP");
    };
    if app == "--all" {
        let workers: usize = match argv.get(1) {
            Some(n) => n
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| format!("proxy-build-config --all: invalid count {n:?}"))?,
            None => 1,
        };
        let apps = appname::all()?;
        let facts = Facts::all(&apps)?;
        let configs = render_all(&apps, &facts, workers)?;
        apply::install_many(&configs, |app| {
            Ok(facts.get(app).map(first_upstream).unwrap_or_default())
        })?;
        log::info1(&format!(
            "nginx config rebuilt for {} app(s)",
            configs.len()
        ));
        return Ok(());
    }
    appname::verify(app)?;
    build(app)
}

/// Every app's config (empty for those nginx does not serve), `workers` apps rendered at a
/// time; fails with the first app's error (in the apps' order) once all are done.
pub(crate) fn render_all(
    apps: &[String],
    facts: &std::collections::BTreeMap<String, Facts>,
    workers: usize,
) -> Result<Vec<(String, String)>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, apps.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(app) = apps.get(i) else {
                    break;
                };
                let text = match facts.get(app) {
                    Some(f) if serves(f) => {
                        inputs_from(app, f).and_then(|i| render_with(i, false, f.template.clone()))
                    }
                    _ => Ok(String::new()),
                };
                done.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, text));
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter()
        .map(|(i, text)| Ok((apps[i].clone(), text?)))
        .collect()
}

/// Trigger `pre-deploy APP TAG`: the config the new release will get must pass `nginx -t`
/// before any container changes (checked with the current upstreams, or a placeholder before
/// the first deploy), so a broken custom template stops the deploy with the old release still
/// serving.
pub(crate) fn trigger_pre_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("pre-deploy needs APP");
    };
    appname::verify(app)?;
    let f = Facts::of(app)?;
    if !serves(&f) {
        return Ok(());
    }
    let mut i = inputs_from(app, &f)?;
    if i.upstreams.is_empty() {
        i.upstreams.push("127.0.0.1:9".into());
    }
    let checked =
        render_with(i, is_release(), f.template.clone()).and_then(|text| apply::check(app, &text));
    if checked.is_err() && is_release() {
        // The release will not happen: its template goes.
        let _ = std::fs::remove_dir_all(data_dir(app).join("pending"));
    }
    checked
}

/// Trigger `post-create APP`: a new app gets its 502 placeholder config at once (as Dokku
/// 0.38), so its domains answer before the first deploy.
pub(crate) fn trigger_post_create(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-create needs APP");
    };
    appname::verify(app)?;
    build(app)
}

/// Trigger `post-deploy APP PORT IP TAG`: the release's template becomes the app's, and the
/// config is rebuilt for the new containers.
pub(crate) fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-deploy needs APP");
    };
    appname::verify(app)?;
    if is_release() {
        promote_template(app)?;
    }
    build(app)
}

/// Trigger `proxy-enable APP` (fired by `proxy:enable`): builds the app's config when its proxy
/// type is nginx.
pub(crate) fn trigger_proxy_enable(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-enable needs APP");
    };
    appname::verify(app)?;
    if proxy_type(app)? != TYPE {
        return Ok(());
    }
    build(app)
}

/// Trigger `proxy-disable APP` (fired by `proxy:disable`): removes the app's config when its
/// proxy type is nginx.
pub(crate) fn trigger_proxy_disable(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-disable needs APP");
    };
    appname::verify(app)?;
    if proxy_type(app)? != TYPE {
        return Ok(());
    }
    apply::install(app, "")
}

/// Trigger `proxy-clear-config APP`.
pub(crate) fn trigger_clear(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("proxy-clear-config needs APP");
    };
    appname::validate(app)?;
    apply::install(app, "")
}

/// Trigger `post-delete APP`: the app's config is gone with its folder; nginx reloads.
pub(crate) fn trigger_post_delete(argv: &[String]) -> Result<()> {
    if let Some(app) = argv.first() {
        appname::validate(app)?;
        let d = data_dir(app);
        if d.exists() {
            std::fs::remove_dir_all(&d)
                .with_context(|| format!("cannot remove {}", d.display()))?;
        }
        if apply::test()?.is_ok() {
            let _ = apply::install(app, "");
        }
    }
    Ok(())
}

/// Trigger `post-extract APP DIR REV`: keeps the repository's `nginx.conf.sigil` (at the
/// `nginx-conf-sigil-path` setting; a link out of the tree is refused), or its absence, as
/// pending: the release takes it over at `post-deploy`.
pub(crate) fn trigger_post_extract(argv: &[String]) -> Result<()> {
    let (Some(app), Some(dir)) = (argv.first(), argv.get(1)) else {
        return Ok(());
    };
    appname::validate(app)?;
    let pending = data_dir(app).join("pending");
    if pending.exists() {
        std::fs::remove_dir_all(&pending).context("cannot clear the pending nginx template")?;
    }
    std::fs::create_dir_all(&pending).context("cannot create the nginx data folder")?;
    let rel = settings::get(app, "nginx-conf-sigil-path")?;
    let text = dokku_core::source::read_inside(std::path::Path::new(dir), &rel)
        .with_context(|| format!("cannot read {rel} (nginx-conf-sigil-path of {app})"))?;
    if let Some(text) = text {
        plugn::atomic::write(&pending.join("nginx.conf.sigil"), text.as_bytes(), 0o644)?;
    }
    Ok(())
}

/// Whether this deploy releases a new build (ps says so in `DOKKU_DEPLOY_KIND`); a restart
/// keeps the app's template even when a failed build left a pending one.
pub(crate) fn is_release() -> bool {
    std::env::var("DOKKU_DEPLOY_KIND").is_ok_and(|k| k == "release")
}

/// Makes the pending template (or its absence) the app's.
pub(crate) fn promote_template(app: &str) -> Result<()> {
    let pending = data_dir(app).join("pending");
    if !pending.is_dir() {
        return Ok(());
    }
    let cur = data_dir(app).join("nginx.conf.sigil");
    let new = pending.join("nginx.conf.sigil");
    if new.exists() {
        std::fs::rename(&new, &cur).context("cannot install the nginx template")?;
    } else if cur.exists() {
        std::fs::remove_file(&cur).context("cannot remove the nginx template")?;
    }
    std::fs::remove_dir_all(&pending).context("cannot clear the pending nginx template")
}
