//! Docker networks as the network plugin sees them: name checks, the networks dokku made
//! (labelled `dokku`), and attaching an app's deploy containers with their aliases.

use anyhow::{bail, Context, Result};
use dokku_core::docker;

/// The networks every Docker engine has, which dokku neither creates nor destroys.
pub const BUILTIN: &[&str] = &["bridge", "host", "none"];

/// The label naming a network dokku created.
pub const NAME_LABEL: &str = "com.dokku.network-name";

/// Checks a network name: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`, at most 64 characters.
pub fn validate(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !first_ok || !rest_ok || name.len() > 64 {
        bail!(
            "invalid network name {name:?}: use letters, digits, '_', '.' and '-' (not first), \
             at most 64 characters"
        );
    }
    Ok(())
}

/// Checks a name that `network:create` / `network:destroy` may act on: valid, not builtin.
pub fn validate_managed(name: &str) -> Result<()> {
    validate(name)?;
    if BUILTIN.contains(&name) {
        bail!("network {name:?} is built into Docker and cannot be created or destroyed");
    }
    Ok(())
}

/// One network dokku created, as `docker network ls` shows it.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    /// The network's name.
    pub name: String,
    /// Its id.
    pub id: String,
    /// Its driver (`bridge`).
    pub driver: String,
    /// Its scope (`local`).
    pub scope: String,
    /// When it was created.
    pub created_at: String,
}

/// The networks labelled `dokku`, sorted by name.
pub fn list() -> Result<Vec<Listed>> {
    let out = docker::output([
        "network",
        "ls",
        "--filter",
        &format!("label={}", docker::LABEL),
        "--format",
        "{{json .}}",
    ])?;
    let mut v = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let j: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("docker network ls printed {line:?}"))?;
        let s = |k: &str| j.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        v.push(Listed {
            name: s("Name"),
            id: s("ID"),
            driver: s("Driver"),
            scope: s("Scope"),
            created_at: s("CreatedAt"),
        });
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// Whether `name` is a network dokku created.
pub fn managed_exists(name: &str) -> Result<bool> {
    Ok(list()?.iter().any(|n| n.name == name))
}

/// Whether `name` is a network dokku created or one of Docker's builtins.
pub fn exists(name: &str) -> Result<bool> {
    Ok(BUILTIN.contains(&name) || managed_exists(name)?)
}

/// A running deploy container of an app.
pub type AppContainer = docker::AppContainer;

/// The app's running deploy containers, without those retiring or not yet switched in, each
/// with its dyno (`PROC.1` when neither its label nor its name says), sorted by name.
pub fn app_containers(app: &str) -> Result<Vec<AppContainer>> {
    let mut v: Vec<AppContainer> = docker::app_containers(app, Some("deploy"), None, false)?
        .into_iter()
        .filter(|c| !c.in_transition())
        .map(|mut c| {
            if c.dyno.is_empty() {
                c.dyno = format!("{}.1", c.process);
            }
            c
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// The networks a container is on.
pub fn container_networks(id: &str) -> Result<Vec<String>> {
    let out = docker::output([
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        id,
    ])?;
    let j: serde_json::Value =
        serde_json::from_str(&out).with_context(|| format!("docker inspect printed {out:?}"))?;
    Ok(j.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default())
}

/// The network aliases of one container: `APP.PROC` and `APP.PROC.N`, each with `.TLD` when
/// a tld is set.
pub fn aliases(app: &str, kind: &str, dyno: &str, tld: &str) -> Vec<String> {
    let suffix = if tld.is_empty() {
        String::new()
    } else {
        format!(".{}", tld.trim_start_matches('.'))
    };
    vec![
        format!("{app}.{kind}{suffix}"),
        format!("{app}.{dyno}{suffix}"),
    ]
}

/// Connects container `c` of `app` to `network` with its aliases, unless it is on it already.
/// Returns whether it was connected now.
pub fn connect(app: &str, c: &AppContainer, network: &str, tld: &str) -> Result<bool> {
    if container_networks(&c.id)?.iter().any(|n| n == network) {
        return Ok(false);
    }
    connect_id(
        &c.id,
        &c.name,
        network,
        &aliases(app, &c.process, &c.dyno, tld),
    )?;
    Ok(true)
}

/// `docker network connect [--alias A]… NETWORK ID` (`what` names the container in errors).
pub fn connect_id(id: &str, what: &str, network: &str, aliases: &[String]) -> Result<()> {
    let mut args: Vec<String> = vec!["network".into(), "connect".into()];
    for a in aliases {
        args.push("--alias".into());
        args.push(a.clone());
    }
    args.push(network.to_string());
    args.push(id.to_string());
    docker::output(&args).with_context(|| format!("cannot attach {what} to network {network}"))?;
    Ok(())
}

/// The networks a new container is on and its dyno label (`web.1`, empty when unset), in one
/// inspect.
pub fn new_container(id: &str) -> Result<(Vec<String>, String)> {
    let out = docker::output([
        "container",
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}\t{{index .Config.Labels \"com.dokku.dyno\"}}",
        id,
    ])?;
    let (nets, dyno) = out.split_once('\t').unwrap_or((&out, ""));
    let j: serde_json::Value =
        serde_json::from_str(nets).with_context(|| format!("docker inspect printed {out:?}"))?;
    let nets = j
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let dyno = if dyno == "<no value>" { "" } else { dyno };
    Ok((nets, dyno.to_string()))
}
