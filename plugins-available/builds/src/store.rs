//! Build records on disk, as Dokku keeps them: `$DOKKU_LIB_ROOT/data/builds/APP/ID.json` (the
//! record) and `ID.log` (the deploy's output). Every change to an app's records is made under
//! the app's builds lock and written atomically.

use anyhow::{bail, Context, Result};
use dokku_core::property;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The property plugin name of the builds settings.
pub const PROPS: &str = "builds";

/// How many finished records an app keeps when nothing is set (Dokku's default).
pub const DEFAULT_RETENTION: usize = 20;

/// One build (or deploy) of an app.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Build {
    /// Sortable base36 id.
    pub id: String,
    /// The app.
    pub app: String,
    /// `build` (a new image) or `deploy` (an existing image redeployed).
    pub kind: String,
    /// The process that holds the deploy (its tree is what a cancel stops).
    pub pid: i32,
    /// The process's start time (clock ticks since boot), so that a reused pid is not taken
    /// for the build.
    #[serde(default)]
    pub pid_start: u64,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC, once finished.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// `running`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// The command that started it (`git-hook`, `ps:rebuild`, `git:sync`, …).
    pub source: String,
    /// The exit code, once finished.
    #[serde(default)]
    pub exit_code: Option<i32>,
}

impl Build {
    /// The status shown: `abandoned` for a running record whose process is gone.
    pub fn display_status(&self) -> String {
        if self.status == "running" && !self.alive() {
            "abandoned".into()
        } else {
            self.status.clone()
        }
    }

    /// Whether the build's process still runs.
    pub fn alive(&self) -> bool {
        self.pid > 0
            && proc_start(self.pid).is_some_and(|s| self.pid_start == 0 || s == self.pid_start)
    }

    /// Duration in whole seconds, when finished.
    pub fn duration(&self) -> String {
        match (
            parse_time(&self.started_at),
            self.finished_at.as_deref().and_then(parse_time),
        ) {
            (Some(a), Some(b)) if b >= a => {
                let d = b - a;
                if d >= 60 {
                    format!("{}m{}s", d / 60, d % 60)
                } else {
                    format!("{d}s")
                }
            }
            _ => String::new(),
        }
    }
}

/// The app's records folder.
pub fn app_dir(app: &str) -> PathBuf {
    dokku_core::paths().lib_root.join("data/builds").join(app)
}

/// The record file of a build.
pub fn record_path(app: &str, id: &str) -> PathBuf {
    app_dir(app).join(format!("{id}.json"))
}

/// The log file of a build.
pub fn log_path(app: &str, id: &str) -> PathBuf {
    app_dir(app).join(format!("{id}.log"))
}

/// Checks that `id` has the shape of a build id (so it names no other file).
pub fn valid_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        bail!("invalid build id {id:?}: ids are lowercase letters and digits");
    }
    Ok(())
}

/// Takes the app's builds lock (for a read-modify-write of its records).
pub fn lock(app: &str) -> Result<plugn::atomic::Lock> {
    let dir = app_dir(app);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    plugn::atomic::lock(&dir.join("records"))
}

/// Reads one record.
pub fn read(app: &str, id: &str) -> Result<Option<Build>> {
    dokku_core::appdata::read_json(&record_path(app, id))
}

/// Writes one record atomically.
pub fn write(b: &Build) -> Result<()> {
    let data = serde_json::to_vec_pretty(b)?;
    plugn::atomic::write(&record_path(&b.app, &b.id), &data, 0o640)
}

/// Every record of an app, oldest first (ids sort by time).
pub fn all(app: &str) -> Result<Vec<Build>> {
    let dir = app_dir(app);
    let mut ids: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(String::from)
            })
            .filter(|id| valid_id(id).is_ok())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        if let Some(b) = read(app, &id)? {
            out.push(b);
        }
    }
    Ok(out)
}

/// A fresh id: milliseconds since the epoch in base36 (9 digits, so ids sort by time), then
/// 5 random base36 digits.
pub fn new_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut rnd = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut rnd);
    }
    let r = u64::from_le_bytes(rnd) % 36u64.pow(5);
    format!("{}{}", base36(ms, 9), base36(r, 5))
}

fn base36(mut n: u64, width: usize) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = vec![b'0'; width];
    for i in (0..width).rev() {
        s[i] = digits[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(s).unwrap_or_default()
}

/// The start time of a process (field 22 of `/proc/PID/stat`), when it runs.
pub fn proc_start(pid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    let state = after.split(' ').next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    after.split(' ').nth(19)?.parse().ok()
}

/// Now, RFC 3339 UTC.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Seconds since the epoch of an RFC 3339 UTC time written by [`now`].
pub fn parse_time(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, se) = (t.next()??, t.next()??, t.next()??);
    Some(days_from_civil(y, mo as u32, da as u32) * 86400 + h * 3600 + mi * 60 + se)
}

/// The retention set for an app (`--global` for the global one), if any.
pub fn retention_setting(scope: &str) -> Result<Option<String>> {
    property::get(PROPS, scope, "retention")
}

/// The retention applied to an app: its own, else the global one, else 20.
pub fn computed_retention(app: &str) -> Result<usize> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = retention_setting(scope)? {
            if let Ok(n) = v.trim().parse::<usize>() {
                return Ok(n);
            }
        }
    }
    Ok(DEFAULT_RETENTION)
}

/// Reaps abandoned records (running, process gone: finalized as `failed`) and removes the
/// oldest finished records (and their logs) beyond the app's retention; running builds are
/// never removed. Returns how many records were removed. Takes the app's lock.
pub fn prune(app: &str) -> Result<usize> {
    let _l = lock(app)?;
    let keep = computed_retention(app)?;
    let mut finished = Vec::new();
    for mut b in all(app)? {
        if b.status == "running" {
            if b.alive() {
                continue;
            }
            b.status = "failed".into();
            b.finished_at = Some(now());
            write(&b)?;
        }
        finished.push(b);
    }
    let excess = finished.len().saturating_sub(keep);
    for b in &finished[..excess] {
        for p in [record_path(app, &b.id), log_path(app, &b.id)] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove {}", p.display())),
            }
        }
    }
    Ok(excess)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_ids_sort() {
        let t = rfc3339(1_777_557_000);
        assert_eq!(parse_time(&t), Some(1_777_557_000));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let b = new_id();
        assert!(a < b && a.len() == 14);
        assert!(valid_id(&a).is_ok() && valid_id("../x").is_err());
    }
}
