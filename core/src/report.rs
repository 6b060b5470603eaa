//! `PLUGIN:report` output: Dokku's aligned `=====> APP heading` blocks, a single value for
//! `--flag`, or JSON with `--format json`.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::sync::OnceLock;

/// The report type (the plugin's command prefix, e.g. `ps`) whose reports this process prints.
static REPORT_TYPE: OnceLock<String> = OnceLock::new();

/// Names the report type of this process: a Rust core plugin's runtime sets it to its prefix.
pub fn set_type(prefix: &str) {
    let _ = REPORT_TYPE.set(prefix.to_string());
}

/// The JSON object of a report, keyed as Dokku 0.38 keys it: a row named `TYPE-rest` appears as
/// `rest` and, for older scripts, as `TYPE-rest` too; other rows keep their name. The singular
/// of a plural type counts as the type when no row has the plural (`apps:report`'s rows are
/// `app-…`).
fn json_object(rows: &[(String, String, String)], report_type: Option<&str>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    let has = |p: &str| rows.iter().any(|(k, _, _)| k.starts_with(p));
    let prefix = report_type.map(|t| format!("{t}-")).map(|p| {
        match p.strip_suffix("s-").map(|t| format!("{t}-")) {
            Some(one) if !has(&p) && has(&one) => one,
            _ => p,
        }
    });
    for (k, _, v) in rows {
        map.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    for (k, _, v) in rows {
        let stripped = prefix.as_deref().and_then(|p| k.strip_prefix(p));
        if let Some(short) = stripped.filter(|s| !s.is_empty()) {
            map.entry(short.to_string())
                .or_insert_with(|| serde_json::Value::String(v.clone()));
        }
    }
    serde_json::Value::Object(map)
}

/// One report: a heading and its rows.
pub struct Report {
    /// Heading, e.g. `node-js-app app information`.
    pub heading: String,
    /// Rows: (flag name without `--`, e.g. `app-dir`; its label, e.g. `App dir`; the value).
    pub rows: Vec<(String, String, String)>,
}

/// The output format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Dokku's aligned text.
    Stdout,
    /// One JSON object per report.
    Json,
}

impl Format {
    /// Parses `--format`'s value (`stdout` or `json`; none is `stdout`).
    pub fn parse(v: Option<&str>) -> Result<Format> {
        match v {
            None | Some("stdout") => Ok(Format::Stdout),
            Some("json") => Ok(Format::Json),
            Some(other) => bail!("invalid --format {other:?}: use stdout or json"),
        }
    }
}

/// Prints one report. With `info_flag` (e.g. `--app-dir`) only that value is printed.
pub fn print(report: &Report, format: Format, info_flag: Option<&str>) -> Result<()> {
    write(&mut std::io::stdout().lock(), report, format, info_flag)
}

/// Writes one report to `o`, as [`print`] prints it.
fn write(
    o: &mut impl Write,
    report: &Report,
    format: Format,
    info_flag: Option<&str>,
) -> Result<()> {
    if let Some(flag) = info_flag {
        let key = flag.trim_start_matches("--");
        match report.rows.iter().find(|(k, _, _)| k == key) {
            Some((_, _, v)) => writeln!(o, "{v}")?,
            None => {
                let keys: Vec<&str> = report.rows.iter().map(|(k, _, _)| k.as_str()).collect();
                bail!("{}", invalid_flag(&keys));
            }
        }
        return Ok(());
    }
    match format {
        Format::Json => {
            let object = json_object(&report.rows, REPORT_TYPE.get().map(String::as_str));
            writeln!(o, "{object}")?;
        }
        Format::Stdout => {
            if !crate::log::quiet() {
                writeln!(o, "=====> {}", report.heading)?;
            }
            let width = report
                .rows
                .iter()
                .map(|(_, l, _)| l.len() + 1)
                .max()
                .unwrap_or(0)
                .max(30);
            for (_, label, value) in &report.rows {
                let l = format!("{label}:");
                writeln!(o, "       {l:<width$} {value}")?;
            }
        }
    }
    Ok(())
}

/// Dokku's answer to a report flag it does not know: the valid flags, sorted.
fn invalid_flag(keys: &[&str]) -> String {
    let mut valid: Vec<String> = keys.iter().map(|k| format!("--{k}")).collect();
    valid.sort();
    valid.dedup();
    format!("Invalid flag passed, valid flags: {}", valid.join(", "))
}

/// Whether a report row belongs to the host-wide (`--global`) report: its flag names the
/// global value (`PLUGIN-global-KEY`, or `PLUGIN-GROUP-global-KEY`) or the value in effect
/// (`PLUGIN-computed-KEY`, which for `--global` is the global value or the default).
pub fn is_global_row(key: &str) -> bool {
    key.contains("-global-") || key.contains("-computed-")
}

/// The arguments of a report command split as Dokku splits them: every `--flag` other than
/// `--format`, `--global`, `--quiet` and `--help` is the one info flag asked for (an unknown
/// one is answered with the valid flags, not refused by the parser).
fn split_report_args(argv: &[String]) -> (Vec<String>, Vec<String>) {
    let mut rest = Vec::new();
    let mut info = Vec::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            rest.push(a.clone());
            rest.extend(it.by_ref().cloned());
            break;
        }
        if a == "--format" {
            rest.push(a.clone());
            rest.extend(it.next().cloned());
        } else if a.starts_with("--format=")
            || ["--global", "--quiet", "--help"].contains(&a.as_str())
            || !a.starts_with("--")
            || a.len() < 3
        {
            rest.push(a.clone());
        } else {
            info.push(a.clone());
        }
    }
    (rest, info)
}

/// The batch form of the `report` trigger (`report --all`, see [`crate::batch`]): every app's
/// report made by `build`, line by line; `false` (nothing printed) for any other `argv`.
pub fn answer_all(argv: &[String], build: impl Fn(&str) -> Result<Report>) -> Result<bool> {
    if !(argv.len() == 1 && argv[0] == crate::batch::ALL) {
        return Ok(false);
    }
    crate::batch::answer(argv, |app, _| {
        let mut text = Vec::new();
        write(&mut text, &build(app)?, Format::Stdout, None)?;
        Ok(String::from_utf8_lossy(&text)
            .lines()
            .map(str::to_string)
            .collect())
    })
}

/// A whole `PLUGIN:report [APP|--global] [--format stdout|json] [--FLAG]` command: `fields`
/// are the (flag, label) pairs the report has, `build` makes one app's report; without an
/// app, every app's report is printed (with Dokku's warning when there is none). With
/// `--global` (when the report has global rows) the host-wide report is printed under
/// `=====> Global PLUGIN information`: the global and computed rows of `build` called for
/// the global scope ([`crate::property::GLOBAL`]), so a computed row is the global value or
/// the default. An unknown flag is answered ` !     Invalid flag passed, valid flags: …`.
pub fn command(
    argv: &[String],
    fields: &[(&str, &str)],
    usage: &str,
    build: impl Fn(&str) -> Result<Report>,
) -> Result<()> {
    if answer_all(argv, &build)? {
        return Ok(());
    }
    let (mut rest, mut info) = split_report_args(argv);
    let has_global = fields.iter().any(|(k, _)| is_global_row(k));
    if !has_global {
        // A report without global rows answers `--global` as the flag it does not know.
        if let Some(i) = rest.iter().position(|a| a == "--global") {
            info.push(rest.remove(i));
        }
    }
    let a = crate::args::parse(&rest, &["--global"], &["--format"])?;
    a.at_most(1, usage)?;
    let format = Format::parse(a.value("--format"))?;
    if info.len() > 1 {
        bail!("only one report flag may be given at a time");
    }
    let global = a.has("--global");
    let info = info.first().map(String::as_str);
    if let Some(flag) = info {
        let key = flag.trim_start_matches("--");
        let valid: Vec<&str> = fields
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !global || is_global_row(k))
            .collect();
        if !valid.contains(&key) {
            bail!("{}", invalid_flag(&valid));
        }
        if a.value("--format").is_some_and(|f| f != "stdout") {
            bail!("--format flag cannot be specified when specifying an info flag");
        }
    }
    if global {
        if let Some(app) = a.pos(0) {
            bail!("unexpected argument {app:?} with --global; usage: {usage}");
        }
        let mut report = build(crate::property::GLOBAL)?;
        report.rows.retain(|(k, _, _)| is_global_row(k));
        let prefix = REPORT_TYPE
            .get()
            .cloned()
            .or_else(|| {
                usage
                    .split_whitespace()
                    .nth(1)?
                    .split(':')
                    .next()
                    .map(String::from)
            })
            .unwrap_or_default();
        report.heading = format!("Global {prefix} information");
        return print(&report, format, info);
    }
    let apps = match a.pos(0) {
        Some(app) => {
            crate::appname::verify(app)?;
            vec![app.clone()]
        }
        None => {
            let all = crate::appname::all()?;
            if all.is_empty() {
                crate::log::warn("You haven't deployed any applications yet");
            }
            all
        }
    };
    for app in apps {
        print(&build(&app)?, format, info)?;
    }
    Ok(())
}

/// `dokku report [APP]`: the host's versions, the disk dokku uses (see `disk_usage`), then the
/// `report APP` trigger for the app (every
/// app without one), which each plugin with a `PLUGIN:report` answers with that report.
pub fn dokku_report(args: &[String]) -> Result<()> {
    let a = crate::args::parse(args, &[], &[])?;
    a.at_most(1, "dokku report [<app>]")?;
    let apps = match a.pos(0) {
        Some(app) => {
            crate::appname::verify(app)?;
            vec![app.clone()]
        }
        None => crate::appname::all()?,
    };
    let kernel = |f: &str| -> Result<String> {
        let p = format!("/proc/sys/kernel/{f}");
        Ok(std::fs::read_to_string(&p)
            .with_context(|| format!("report: cannot read {p}"))?
            .trim()
            .to_string())
    };
    let docker = std::process::Command::new(crate::docker::bin())
        .args(["version", "--format", "{{.Server.Version}}"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "not answering".into());
    crate::log::info1(&format!(
        "uname: {} {} {} {}",
        kernel("ostype")?,
        kernel("hostname")?,
        kernel("osrelease")?,
        std::env::consts::ARCH
    ));
    crate::log::info1(&format!("docker version: {docker}"));
    crate::log::info1(&format!("dokku version: {}", plugn::VERSION));
    if docker != "not answering" {
        for line in disk_usage(a.pos(0).map(String::as_str))? {
            crate::log::info1(&line);
        }
    }
    if apps.is_empty() {
        crate::log::warn("You haven't deployed any applications yet");
    }
    if apps.len() > 1 {
        // One `report --all` for every app (each plugin asked once), printed app by app.
        if let Some(all) = crate::batch::ask("report", &[], &apps)? {
            let mut o = std::io::stdout().lock();
            for app in &apps {
                for line in all.get(app).into_iter().flatten() {
                    writeln!(o, "{line}")?;
                }
            }
            return Ok(());
        }
    }
    for app in &apps {
        crate::trigger("report", &[app])?;
    }
    Ok(())
}

/// `1234567` → `1.2 MB` (decimal units, as docker prints sizes).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `1.99MB` (docker's human size) → bytes; 0 for what does not parse.
fn parse_size(s: &str) -> u64 {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().unwrap_or(0.0);
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        _ => 1.0,
    };
    (n * mult) as u64
}

/// The bytes under `path` (files only, symlinks not followed; 0 when missing).
fn tree_size(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.len() } else { 0 };
    }
    std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| tree_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// The disk usage lines of `dokku report`: the images, volumes and build caches (volumes named
/// `cache-APP`) labelled for dokku (for `app` when given), and the logs (dokku's logs folder and
/// the build logs; an app's build logs when given). Docker's figures come from
/// `docker image inspect` (bytes) and `docker system df -v` (volumes).
fn disk_usage(app: Option<&str>) -> Result<Vec<String>> {
    let filter = match app {
        Some(app) => format!("label={}={app}", crate::docker::APP_LABEL),
        None => format!("label={}", crate::docker::LABEL),
    };
    let ids = crate::docker::output(["image", "ls", "--quiet", "--no-trunc", "--filter", &filter])
        .context("report: cannot list dokku's images")?;
    let mut ids: Vec<&str> = ids
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut image_bytes = 0;
    if !ids.is_empty() {
        let mut args = vec!["image", "inspect", "--format", "{{.Size}}"];
        args.extend(ids.iter().copied());
        let sizes =
            crate::docker::output(&args).context("report: cannot inspect dokku's images")?;
        image_bytes = sizes.lines().map(parse_size).sum();
    }
    let names = crate::docker::output(["volume", "ls", "--quiet", "--filter", &filter])
        .context("report: cannot list dokku's volumes")?;
    let names: Vec<&str> = names
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (mut volumes, mut volume_bytes, mut caches, mut cache_bytes) = (0, 0, 0, 0);
    if !names.is_empty() {
        let df = crate::docker::output(["system", "df", "-v", "--format", "{{json .Volumes}}"])
            .context("report: cannot ask docker system df")?;
        let df: Vec<serde_json::Value> = serde_json::from_str(df.trim()).unwrap_or_default();
        let size_of = |name: &str| {
            df.iter()
                .find(|v| v["Name"] == name)
                .and_then(|v| v["Size"].as_str())
                .map(parse_size)
                .unwrap_or(0)
        };
        for name in &names {
            if name.starts_with("cache-") {
                caches += 1;
                cache_bytes += size_of(name);
            } else {
                volumes += 1;
                volume_bytes += size_of(name);
            }
        }
    }
    let builds = crate::paths().lib_root.join("data/builds");
    let logs = match app {
        Some(app) => tree_size(&builds.join(app)),
        None => tree_size(&crate::paths().logs_dir) + tree_size(&builds),
    };
    Ok(vec![
        format!("dokku images: {} ({})", ids.len(), human_size(image_bytes)),
        format!("dokku volumes: {volumes} ({})", human_size(volume_bytes)),
        format!("dokku build caches: {caches} ({})", human_size(cache_bytes)),
        format!("dokku logs: {}", human_size(logs)),
    ])
}

/// One row of a layered property's report: for a `…-computed-…` flag the value in effect
/// (`computed`), for a `…-global-…` flag the global value, else the app's own (empty when unset).
pub fn layered(
    plugin: &str,
    app: &str,
    flag: &str,
    key: &str,
    computed: impl FnOnce() -> Result<String>,
) -> Result<String> {
    if flag.contains("-computed-") {
        computed()
    } else if flag.contains("-global-") {
        crate::property::get_or(plugin, crate::property::GLOBAL, key, "")
    } else {
        crate::property::get_or(plugin, app, key, "")
    }
}

#[cfg(test)]
mod tests {
    use super::json_object;

    fn rows(keys: &[(&str, &str)]) -> Vec<(String, String, String)> {
        keys.iter()
            .map(|(k, v)| (k.to_string(), String::new(), v.to_string()))
            .collect()
    }

    #[test]
    fn json_keys_come_unprefixed_and_prefixed() {
        let r = rows(&[
            ("ps-restart-policy", "always"),
            ("deployed", "true"),
            ("ps-", "x"),
        ]);
        let v = json_object(&r, Some("ps"));
        assert_eq!(v["restart-policy"], "always");
        assert_eq!(v["ps-restart-policy"], "always");
        assert_eq!(v["deployed"], "true");
        assert_eq!(v.as_object().map(|m| m.len()), Some(4));
    }

    #[test]
    fn a_short_key_never_hides_a_real_row() {
        let r = rows(&[("builds-id", "short"), ("id", "real")]);
        let v = json_object(&r, Some("builds"));
        assert_eq!(v["id"], "real");
        assert_eq!(v["builds-id"], "short");
        let apps = json_object(&rows(&[("app-dir", "/d")]), Some("apps"));
        assert_eq!(apps["dir"], "/d");
        let builds = json_object(
            &rows(&[("build-id", "b"), ("builds-keep", "5")]),
            Some("builds"),
        );
        assert_eq!(builds["keep"], "5");
        assert_eq!(builds.get("id"), None);
        let plain = json_object(&r, None);
        assert_eq!(plain.as_object().map(|m| m.len()), Some(2));
    }
}
