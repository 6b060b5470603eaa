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

/// One Docker network, as `network:list` and `network:info` show it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The network's name.
    pub name: String,
    /// Its full id.
    pub id: String,
    /// Its driver (`bridge`, `host`, `null`).
    pub driver: String,
    /// Its scope (`local`).
    pub scope: String,
    /// When it was created.
    pub created: String,
    /// Whether it is internal (no outside access).
    pub internal: bool,
    /// Whether IPv6 is enabled.
    pub ipv6: bool,
    /// Whether containers may be attached by hand.
    pub attachable: bool,
    /// Its labels.
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// `docker network inspect`'s whole object, for `network:info`.
    pub raw: serde_json::Value,
}

impl Listed {
    /// Whether dokku made this network (labelled `dokku`, or named by Dokku's
    /// `com.dokku.network-name` label).
    pub fn managed(&self) -> bool {
        self.labels.contains_key(docker::LABEL) || self.labels.contains_key(NAME_LABEL)
    }

    /// Dokku's JSON object of a network (`CreatedAt`, `Driver`, `ID` (12 characters),
    /// `Internal`, `IPv6`, `Labels`, `Name`, `Scope`), with the lower-case `name`, `id`,
    /// `driver`, `scope`, `created_at` of earlier releases beside them.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "CreatedAt": self.created,
            "Driver": self.driver,
            "ID": self.id.chars().take(12).collect::<String>(),
            "Internal": self.internal,
            "IPv6": self.ipv6,
            "Labels": self.labels,
            "Name": self.name,
            "Scope": self.scope,
            "name": self.name,
            "id": self.id,
            "driver": self.driver,
            "scope": self.scope,
            "created_at": self.created,
        })
    }

    fn of(n: &serde_json::Value) -> Listed {
        let s = |k: &str| n.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let b = |k: &str| n.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
        Listed {
            name: s("Name"),
            id: s("Id"),
            driver: s("Driver"),
            scope: s("Scope"),
            created: s("Created"),
            internal: b("Internal"),
            ipv6: b("EnableIPv6"),
            attachable: b("Attachable"),
            labels: n
                .get("Labels")
                .and_then(|l| l.as_object())
                .cloned()
                .unwrap_or_default(),
            raw: n.clone(),
        }
    }
}

/// Every network of the engine (`docker network inspect` of each), sorted by name.
pub fn all() -> Result<Vec<Listed>> {
    let ids = docker::output(["network", "ls", "--quiet", "--no-trunc"])
        .context("cannot list docker networks")?;
    let mut args: Vec<String> = vec!["network".into(), "inspect".into()];
    args.extend(
        ids.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string),
    );
    if args.len() == 2 {
        return Ok(Vec::new());
    }
    let out = docker::output(&args).context("cannot inspect docker networks")?;
    let j: serde_json::Value = serde_json::from_str(&out)
        .with_context(|| format!("docker network inspect printed {out:?}"))?;
    let mut v: Vec<Listed> = j
        .as_array()
        .map(|a| a.iter().map(Listed::of).collect())
        .unwrap_or_default();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// One network by name (`None` when the engine has none of that name).
pub fn get(name: &str) -> Result<Option<Listed>> {
    Ok(all()?.into_iter().find(|n| n.name == name))
}

/// The networks dokku made, sorted by name.
pub fn list() -> Result<Vec<Listed>> {
    Ok(all()?.into_iter().filter(Listed::managed).collect())
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
