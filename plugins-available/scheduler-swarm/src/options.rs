//! `docker-options` (the `docker-args-deploy` and `docker-args-process-deploy` answers, options
//! of `docker run`) mapped onto a Swarm service (a compose service of `docker stack deploy`).
//! What Swarm has an equivalent for is kept; anything else is refused with one line naming
//! the option, since a silently dropped option would run the app differently than asked.

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

/// The `docker run` options a Swarm service takes (documented in the README).
pub const SUPPORTED: &str = "--env/-e, --label/-l, --volume/-v (bind mounts of absolute host paths), --user/-u, --workdir/-w, --hostname, --dns, --dns-search, --dns-option, --add-host, --cap-add, --cap-drop, --sysctl, --ulimit, --stop-signal, --tmpfs, --log-driver, --log-opt, --init, --cpus, --memory/-m, --memory-reservation";

/// Whether a `docker run` option takes a value as its next argument (when not given `=`).
fn takes_value(name: &str) -> bool {
    !matches!(
        name,
        "--init"
            | "--privileged"
            | "--read-only"
            | "--rm"
            | "-d"
            | "--detach"
            | "-i"
            | "-t"
            | "--interactive"
            | "--tty"
            | "--no-healthcheck"
            | "-P"
            | "--publish-all"
            | "--oom-kill-disable"
    )
}

fn push(svc: &mut Map<String, Value>, key: &str, v: Value) {
    let e = svc.entry(key.to_string()).or_insert_with(|| json!([]));
    if let Some(a) = e.as_array_mut() {
        a.push(v);
    }
}

fn set_nested(svc: &mut Map<String, Value>, path: &[&str], v: Value) {
    let mut cur = svc;
    for p in &path[..path.len() - 1] {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("an object");
    }
    cur.insert(path[path.len() - 1].to_string(), v);
}

/// Applies `args` (docker run options, already split) to the compose service `svc`.
pub fn apply(args: &[String], svc: &mut Map<String, Value>) -> Result<()> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !a.starts_with('-') {
            bail!("docker option {a:?} is not an option (it must start with -)");
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        // `-eKEY=V` style short options.
        let (name, inline) = if !name.starts_with("--") && name.len() > 2 && inline.is_none() {
            (name[..2].to_string(), Some(name[2..].to_string()))
        } else {
            (name, inline)
        };
        let value = if takes_value(&name) {
            match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) => v.clone(),
                    None => bail!("docker option {name} needs a value"),
                },
            }
        } else {
            if inline.is_some() && name != "--init" {
                bail!("docker option {name} takes no value");
            }
            String::new()
        };
        map_one(&name, &value, svc)?;
    }
    Ok(())
}

fn map_one(name: &str, v: &str, svc: &mut Map<String, Value>) -> Result<()> {
    match name {
        "-e" | "--env" => push(svc, "environment", json!(v)),
        "-l" | "--label" => push(svc, "labels", json!(v)),
        "-u" | "--user" => {
            svc.insert("user".into(), json!(v));
        }
        "-w" | "--workdir" => {
            svc.insert("working_dir".into(), json!(v));
        }
        "-h" | "--hostname" => {
            svc.insert("hostname".into(), json!(v));
        }
        "--dns" => push(svc, "dns", json!(v)),
        "--dns-search" => push(svc, "dns_search", json!(v)),
        "--dns-option" | "--dns-opt" => push(svc, "dns_opt", json!(v)),
        "--add-host" => push(svc, "extra_hosts", json!(v)),
        "--cap-add" => push(svc, "cap_add", json!(v)),
        "--cap-drop" => push(svc, "cap_drop", json!(v)),
        "--sysctl" => {
            let Some((k, val)) = v.split_once('=') else {
                bail!("docker option --sysctl {v:?} is not KEY=VALUE");
            };
            set_nested(svc, &["sysctls", k], json!(val));
        }
        "--ulimit" => {
            let Some((k, val)) = v.split_once('=') else {
                bail!("docker option --ulimit {v:?} is not NAME=SOFT[:HARD]");
            };
            let limit = match val.split_once(':') {
                Some((s, h)) => json!({"soft": num(s)?, "hard": num(h)?}),
                None => json!(num(val)?),
            };
            set_nested(svc, &["ulimits", k], limit);
        }
        "--stop-signal" => {
            svc.insert("stop_signal".into(), json!(v));
        }
        "--tmpfs" => push(svc, "tmpfs", json!(v)),
        "--log-driver" => set_nested(svc, &["logging", "driver"], json!(v)),
        "--log-opt" => {
            let Some((k, val)) = v.split_once('=') else {
                bail!("docker option --log-opt {v:?} is not KEY=VALUE");
            };
            set_nested(svc, &["logging", "options", k], json!(val));
        }
        "-v" | "--volume" => {
            let parts: Vec<&str> = v.split(':').collect();
            let ok = matches!(parts.len(), 2 | 3)
                && parts[0].starts_with('/')
                && parts[1].starts_with('/')
                && parts.get(2).is_none_or(|o| matches!(*o, "ro" | "rw"));
            if !ok {
                bail!("docker option --volume {v:?} is refused by the swarm scheduler: only bind mounts HOST_PATH:CONTAINER_PATH[:ro] (the host path must exist on every node)");
            }
            push(svc, "volumes", json!(v));
        }
        "--init" => {}
        "--cpus" => set_nested(svc, &["deploy", "resources", "limits", "cpus"], json!(v)),
        "-m" | "--memory" => set_nested(
            svc,
            &["deploy", "resources", "limits", "memory"],
            json!(memory(v)),
        ),
        "--memory-reservation" => set_nested(
            svc,
            &["deploy", "resources", "reservations", "memory"],
            json!(memory(v)),
        ),
        other => bail!(
            "docker option {other} has no Swarm equivalent and is refused by the swarm scheduler (supported: {SUPPORTED})"
        ),
    }
    Ok(())
}

fn num(s: &str) -> Result<i64> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("{s:?} is not a number"))
}

/// A memory size as compose takes it (a bare number is megabytes, as the resource plugin
/// means it).
pub fn memory(v: &str) -> String {
    if v.chars().all(|c| c.is_ascii_digit()) {
        format!("{v}M")
    } else {
        v.to_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mapping() {
        let mut svc = Map::new();
        apply(
            &s(&[
                "-e",
                "A=1",
                "--label=x=y",
                "-v",
                "/srv:/data:ro",
                "--cpus",
                "0.5",
                "--init",
                "--ulimit",
                "nofile=10:20",
            ]),
            &mut svc,
        )
        .unwrap();
        assert_eq!(svc["environment"], json!(["A=1"]));
        assert_eq!(svc["labels"], json!(["x=y"]));
        assert_eq!(svc["volumes"], json!(["/srv:/data:ro"]));
        assert_eq!(svc["deploy"]["resources"]["limits"]["cpus"], json!("0.5"));
        assert_eq!(svc["ulimits"]["nofile"], json!({"soft": 10, "hard": 20}));
        for bad in [
            &["--privileged"][..],
            &["-p", "80:80"],
            &["--restart", "always"],
            &["--device", "/dev/x"],
            &["-v", "named:/data"],
            &["--gpus", "all"],
        ] {
            let e = apply(&s(bad), &mut Map::new()).unwrap_err();
            assert!(format!("{e}").contains("refused"), "{bad:?}: {e}");
        }
    }
}
