//! The containers of an app as the engine has them: listing by label, the files that record the
//! web ports (`$DOKKU_ROOT/APP/PORT.TYPE.N`, `IP.TYPE.N`, `CONTAINER.TYPE.N`, as Dokku keeps
//! them), stopping and removing.

use anyhow::Result;
use dokku_core::appname::app_dir;
use dokku_core::docker;

/// One scheduled container.
#[derive(Debug, Clone)]
pub struct Container {
    /// Its id.
    pub id: String,
    /// Its name (`APP.TYPE.N`, or a temporary name during a deploy).
    pub name: String,
    /// Its process type.
    pub kind: String,
    /// Whether it is running.
    pub running: bool,
}

/// Every scheduled (`container-type=deploy`) container of `app`, running or not.
pub fn list(app: &str) -> Result<Vec<Container>> {
    let out = docker::output([
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &format!("label={}={app}", docker::APP_LABEL),
        "--filter",
        &format!("label={}=deploy", docker::CONTAINER_TYPE_LABEL),
        "--format",
        &format!(
            "{{{{.ID}}}}\t{{{{.Names}}}}\t{{{{.Label \"{}\"}}}}\t{{{{.State}}}}",
            docker::PROCESS_LABEL
        ),
    ])?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 4).then(|| Container {
                id: f[0].to_string(),
                name: f[1].to_string(),
                kind: f[2].to_string(),
                running: f[3] == "running",
            })
        })
        .collect())
}

/// Removes containers (forcefully, with their anonymous volumes); missing ones are fine.
pub fn remove(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut args = vec!["rm".to_string(), "-f".into(), "-v".into()];
    args.extend(ids.iter().cloned());
    docker::output(&args).map(|_| ())
}

/// Stops containers, giving each `grace` seconds after SIGTERM.
pub fn stop(ids: &[String], grace: u32) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut args = vec!["stop".to_string(), "-t".into(), grace.to_string()];
    args.extend(ids.iter().cloned());
    docker::output(&args).map(|_| ())
}

/// Records where instance `dyno` (`web.1`) of `app` answers.
pub fn record(app: &str, dyno: &str, id: &str, port: Option<u16>) -> Result<()> {
    let dir = app_dir(app);
    plugn::atomic::write(
        &dir.join(format!("CONTAINER.{dyno}")),
        format!("{id}\n").as_bytes(),
        0o644,
    )?;
    if let Some(p) = port {
        plugn::atomic::write(
            &dir.join(format!("PORT.{dyno}")),
            format!("{p}\n").as_bytes(),
            0o644,
        )?;
        plugn::atomic::write(&dir.join(format!("IP.{dyno}")), b"127.0.0.1\n", 0o644)?;
    }
    Ok(())
}

/// Removes the records of every instance not in `keep` (dynos such as `web.1`).
pub fn forget_except(app: &str, keep: &[String]) -> Result<()> {
    let dir = app_dir(app);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let dyno = ["CONTAINER.", "PORT.", "IP."]
            .iter()
            .find_map(|p| name.strip_prefix(p));
        if let Some(d) = dyno {
            if !keep.iter().any(|k| k == d) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}
