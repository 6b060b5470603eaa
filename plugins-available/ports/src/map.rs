//! Port maps, as Dokku writes them: `SCHEME:HOST_PORT:CONTAINER_PORT` (`http:80:5000`).

use anyhow::{bail, Result};
use std::fmt;

/// The schemes a map may name.
pub const SCHEMES: &[&str] = &["http", "https", "tcp"];

/// One port map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMap {
    /// `http`, `https` or `tcp`.
    pub scheme: String,
    /// The port the proxy listens on.
    pub host: u16,
    /// The port inside the container.
    pub container: u16,
}

impl fmt::Display for PortMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.scheme, self.host, self.container)
    }
}

/// Parses a port number (1 to 65535) named `what` in map `map`.
fn port(map: &str, what: &str, s: &str) -> Result<u16> {
    match s.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => bail!(
            "Invalid port map {map:?}: the {what} must be a number from 1 to 65535, not {s:?}"
        ),
    }
}

/// Checks a scheme of map `map`.
fn scheme(map: &str, s: &str) -> Result<String> {
    if !SCHEMES.contains(&s) {
        bail!(
            "Invalid port map {map:?}: the scheme must be one of {}, not {s:?}",
            SCHEMES.join(", ")
        );
    }
    Ok(s.to_string())
}

impl PortMap {
    /// Parses and checks `scheme:host-port:container-port`.
    pub fn parse(s: &str) -> Result<PortMap> {
        let parts: Vec<&str> = s.split(':').collect();
        let [sch, host, container] = parts[..] else {
            bail!(
                "Invalid port map {s:?}: expected scheme:host-port:container-port, as http:80:5000"
            );
        };
        Ok(PortMap {
            scheme: scheme(s, sch)?,
            host: port(s, "host port", host)?,
            container: port(s, "container port", container)?,
        })
    }

    /// Parses a stored list (space-separated); entries that do not parse are left out.
    pub fn parse_list(s: &str) -> Vec<PortMap> {
        s.split_whitespace()
            .filter_map(|m| PortMap::parse(m).ok())
            .collect()
    }

    /// Writes a list as stored (space-separated).
    pub fn join(maps: &[PortMap]) -> String {
        maps.iter()
            .map(PortMap::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Refuses maps that give one scheme and host port two container ports (`http:80:5000` and
/// `http:80:3000`), as Dokku does: a proxy can listen on a port for one upstream only.
pub fn check_unique(maps: &[PortMap]) -> Result<()> {
    for (i, m) in maps.iter().enumerate() {
        if let Some(other) = maps[..i]
            .iter()
            .find(|o| o.scheme == m.scheme && o.host == m.host && o.container != m.container)
        {
            bail!(
                "Invalid port mappings: {}:{} is mapped more than once ({other} and {m}); a scheme and host port may be mapped to one container port only",
                m.scheme,
                m.host
            );
        }
    }
    Ok(())
}

/// The maps as Dokku's `--ports-map-json` gives them: a JSON array of
/// `{"container_port":5000,"host_port":80,"scheme":"http"}`.
pub fn to_json(maps: &[PortMap]) -> String {
    let v: Vec<serde_json::Value> = maps
        .iter()
        .map(|m| {
            serde_json::json!({
                "container_port": m.container,
                "host_port": m.host,
                "scheme": m.scheme,
            })
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

/// What `ports:remove` takes away: a whole map, every map of a host port, or every map of a
/// scheme and host port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// `http:80:5000`.
    Map(PortMap),
    /// `80`.
    HostPort(u16),
    /// `http:80`.
    SchemeHostPort(String, u16),
}

impl Removal {
    /// Parses `MAP`, `HOST_PORT` or `SCHEME:HOST_PORT`.
    pub fn parse(s: &str) -> Result<Removal> {
        let parts: Vec<&str> = s.split(':').collect();
        match parts[..] {
            [host] => Ok(Removal::HostPort(port(s, "host port", host)?)),
            [sch, host] => Ok(Removal::SchemeHostPort(
                scheme(s, sch)?,
                port(s, "host port", host)?,
            )),
            _ => Ok(Removal::Map(PortMap::parse(s)?)),
        }
    }

    /// Whether `m` is taken away by this removal.
    pub fn matches(&self, m: &PortMap) -> bool {
        match self {
            Removal::Map(x) => x == m,
            Removal::HostPort(h) => m.host == *h,
            Removal::SchemeHostPort(s, h) => m.scheme == *s && m.host == *h,
        }
    }
}

/// The container port the scheduler publishes: that of the first http map, else the first map.
pub fn container_port(maps: &[PortMap]) -> Option<u16> {
    maps.iter()
        .find(|m| m.scheme == "http")
        .or_else(|| maps.first())
        .map(|m| m.container)
}

/// The first tcp port a Dockerfile `EXPOSE`s (`EXPOSE 8080`, `EXPOSE 8080/tcp`; udp ports and
/// variables are skipped).
pub fn first_exposed_port(dockerfile: &str) -> Option<u16> {
    for line in dockerfile.lines() {
        let mut words = line.split_whitespace();
        if !words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("expose"))
        {
            continue;
        }
        for w in words {
            let (num, proto) = w.split_once('/').unwrap_or((w, "tcp"));
            if !proto.eq_ignore_ascii_case("tcp") {
                continue;
            }
            if let Ok(p) = num.parse::<u16>() {
                if p > 0 {
                    return Some(p);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let m = PortMap::parse("http:80:5000").unwrap();
        assert_eq!(m.to_string(), "http:80:5000");
        for bad in [
            "http:80",
            "udp:80:5000",
            "http:0:5000",
            "http:80:65536",
            "http:x:1",
            "http:80:5000:1",
            "",
        ] {
            assert!(PortMap::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PortMap::parse_list("http:80:5000 junk https:443:5000").len(),
            2
        );
        assert!(Removal::parse("80").unwrap().matches(&m));
        assert!(Removal::parse("http:80").unwrap().matches(&m));
        assert!(!Removal::parse("https:80").unwrap().matches(&m));
        assert!(Removal::parse("http:80:5000").unwrap().matches(&m));
        assert!(Removal::parse("0").is_err());
    }

    #[test]
    fn unique_and_json() {
        let p = |s: &str| PortMap::parse(s).unwrap();
        assert!(
            check_unique(&[p("http:80:5000"), p("https:80:5000"), p("http:8080:5000")]).is_ok()
        );
        assert!(check_unique(&[p("http:80:5000"), p("http:80:3000")]).is_err());
        assert_eq!(
            to_json(&[p("http:80:5000")]),
            r#"[{"container_port":5000,"host_port":80,"scheme":"http"}]"#
        );
        assert_eq!(to_json(&[]), "[]");
    }

    #[test]
    fn expose() {
        assert_eq!(first_exposed_port("FROM x\nEXPOSE 8080\n"), Some(8080));
        assert_eq!(
            first_exposed_port("FROM x\nexpose 53/udp 3000/tcp\n"),
            Some(3000)
        );
        assert_eq!(first_exposed_port("FROM x\nEXPOSE $PORT\n"), None);
        assert_eq!(first_exposed_port("FROM x\n"), None);
        let maps = vec![
            PortMap::parse("tcp:9000:9000").unwrap(),
            PortMap::parse("http:80:3000").unwrap(),
        ];
        assert_eq!(container_port(&maps), Some(3000));
    }
}
