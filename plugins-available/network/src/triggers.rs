//! The triggers the network plugin answers: the `docker-args-*` initial network, attaching
//! containers on `post-container-create`/`post-deploy`, and where containers answer.

use super::*;
use crate::commands::{attach_all, rebuild_app};

/// The initial network's `docker run` arguments; aliases only on user-defined networks, where
/// Docker allows them.
pub(crate) fn initial_network_args(
    app: &str,
    kind: Option<&str>,
    index: Option<&str>,
) -> Result<Vec<String>> {
    let network = computed(app, "initial-network")?;
    if network.is_empty() {
        return Ok(Vec::new());
    }
    let mut words = vec!["--network".to_string(), network.clone()];
    if let Some(kind) = kind.filter(|_| !net::BUILTIN.contains(&network.as_str())) {
        let tld = computed(app, "tld")?;
        let dyno = format!("{kind}.{}", index.unwrap_or("1"));
        let mut aliases = net::aliases(app, kind, &dyno, &tld);
        if index.is_none() {
            aliases.truncate(1);
        }
        for a in aliases {
            words.push("--network-alias".into());
            words.push(a);
        }
    }
    Ok(words)
}

/// Trigger `docker-args-deploy APP TAG [PROC INDEX]`: echoes stdin, appends the initial
/// network and the container's aliases on it.
pub(crate) fn trigger_docker_args_deploy(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let words = match argv.first() {
        Some(app) if appname::is_valid(app) => initial_network_args(
            app,
            argv.get(2).map(String::as_str),
            argv.get(3).map(String::as_str),
        )?,
        _ => Vec::new(),
    };
    dockerargs::emit(&stdin, &words)
}

/// Trigger `docker-args-run APP TAG`: echoes stdin, appends the initial network.
pub(crate) fn trigger_docker_args_run(argv: &[String]) -> Result<()> {
    let stdin = dockerargs::read_stdin()?;
    let words = match argv.first() {
        Some(app) if appname::is_valid(app) => initial_network_args(app, None, None)?,
        _ => Vec::new(),
    };
    dockerargs::emit(&stdin, &words)
}

/// Trigger `network-build-config APP`: re-attaches the app's running containers.
pub(crate) fn trigger_network_build_config(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("network-build-config needs APP");
    };
    rebuild_app(app)
}

/// Trigger `network-get-property APP PROPERTY`: prints the computed value.
pub(crate) fn trigger_network_get_property(argv: &[String]) -> Result<()> {
    let [app, key] = argv else {
        bail!("network-get-property needs APP PROPERTY");
    };
    if !KEYS.contains(&key.as_str()) {
        bail!(
            "invalid network property {key:?}; valid: {}",
            KEYS.join(", ")
        );
    }
    println!("{}", computed(app, key)?);
    Ok(())
}

/// Trigger `post-deploy APP INTERNAL_PORT INTERNAL_IP_ADDRESS IMAGE_TAG`: attaches the new
/// containers to the `attach-post-deploy` networks (before the proxy switches, as the
/// `nginx-vhosts` plugin sorts after this one).
pub(crate) fn trigger_post_deploy(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-deploy needs APP");
    };
    let nets = split_list(&computed(app, "attach-post-deploy")?);
    if nets.is_empty() {
        return Ok(());
    }
    log::info1(&format!(
        "Attaching {app} to network(s) {}",
        nets.join(", ")
    ));
    attach_all(app, &nets)
}

/// Trigger `post-container-create TYPE CONTAINER_ID APP PHASE [PROC_TYPE]`: connects a new app
/// container (TYPE `app`), before it starts, to the app's `attach-post-create` networks; deploy
/// containers answer there at `APP.PROC_TYPE` and `APP.PROC_TYPE.N` (with `.TLD` when set), run
/// containers get no alias, as Dokku.
pub(crate) fn trigger_post_container_create(argv: &[String]) -> Result<()> {
    let [kind, id, app, phase, rest @ ..] = argv else {
        bail!("post-container-create needs TYPE CONTAINER_ID APP PHASE [PROC_TYPE], got {argv:?}");
    };
    if kind != "app" {
        return Ok(());
    }
    appname::validate(app)?;
    let nets = split_list(&computed(app, "attach-post-create")?);
    if nets.is_empty() {
        return Ok(());
    }
    let (on, dyno) = net::new_container(id)
        .with_context(|| format!("cannot inspect the new container {id} of {app}"))?;
    let aliases = match rest.first().filter(|_| phase == "deploy") {
        Some(proc_type) => {
            let tld = computed(app, "tld")?;
            let mut a = net::aliases(app, proc_type, &dyno, &tld);
            if dyno.is_empty() {
                a.truncate(1);
            }
            a
        }
        None => Vec::new(),
    };
    let what = format!("the {phase} container {} of {app}", &id[..id.len().min(12)]);
    for n in nets.iter().filter(|n| !on.contains(n)) {
        net::connect_id(id, &what, n, &aliases)?;
        // A run container's output is the command's own: nothing said there.
        if phase == "deploy" {
            log::verbose(&format!("Attached {what} to network {n}"));
        }
    }
    Ok(())
}
