//! The trigger table of `docs/triggers.md`, generated from the sources: which plugin fires each
//! trigger (Rust calls such as `trigger("NAME", …)`, `plugn trigger NAME` in shell plugins), which
//! answers it (a Rust plugin's `Trigger::new("NAME", …)`, a shell plugin's executable of that
//! name), and its arguments (from the `Trigger \`NAME ARGS\`` doc comments of the answers).

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What the sources say of one trigger.
#[derive(Default)]
pub struct Row {
    /// The plugins (or `core`) that fire it.
    pub fired_by: BTreeSet<String>,
    /// The plugins that answer it.
    pub answered_by: BTreeSet<String>,
    /// Its arguments, from the answers' doc comments.
    pub args: String,
}

/// One trigger of Dokku's plugin-triggers documentation (`docs/dokku-triggers.txt`).
pub struct Documented {
    /// The trigger's name.
    pub name: String,
    /// The arguments Dokku documents.
    pub args: String,
    /// `fired`, `answered`, `both`, `other` or `none`.
    pub role: String,
    /// Why it is `other` or `none`.
    pub note: String,
}

/// The triggers of Dokku's documentation, as `docs/dokku-triggers.txt` lists them.
pub fn documented(repo: &Path) -> Vec<Documented> {
    let text = std::fs::read_to_string(repo.join("docs/dokku-triggers.txt")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, " | ").map(str::trim).collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").trim_end_matches('|').trim();
            Documented {
                name: get(0).to_string(),
                args: get(1).to_string(),
                role: get(2).to_string(),
                note: get(3).to_string(),
            }
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Names that are executables of a shell plugin but not triggers.
const NOT_TRIGGERS: &[&str] = &["commands", "functions", "plugin.toml", "README.md"];

/// Every trigger our sources fire or answer.
pub fn scan(repo: &Path) -> BTreeMap<String, Row> {
    // Any helper named after triggers or firing, called with the trigger's name first.
    let fire =
        Regex::new(r#"\b(?:[a-z_]*trigger[a-z_]*|fire[a-z_]*|lines_of)\(\s*"([a-z][a-z0-9-]*)""#)
            .unwrap();
    let fire_plugn = Regex::new(r#"fire\(\s*[^,()]+(?:\(\))?,\s*"([a-z][a-z0-9-]*)""#).unwrap();
    // A plugin's own trigger run by plugin:uninstall and friends: `run_own_trigger(&dir, "NAME"`.
    let fire_own = Regex::new(r#"run_own_trigger\(\s*[^,()]+,\s*"([a-z][a-z0-9-]*)""#).unwrap();
    let answer = Regex::new(r#"name:\s*"([a-z][a-z0-9-]*)",\s*run:\s*trigger"#).unwrap();
    let answer_any = Regex::new(r#"Trigger(?: \{\s*name:|::new\()\s*"([a-z][a-z0-9-]*)""#).unwrap();
    // A `PLUGIN:report` command answers `report` (core/src/plugin.rs).
    let report_command = Regex::new(r#"Command \{\s*name:\s*"report""#).unwrap();
    let doc =
        Regex::new(r"(?:Triggers?|[Ff]ires|[Ff]ire|[Aa]sks) `([a-z][a-z0-9-]*)((?: [^`]*)?)`")
            .unwrap();
    // Any other mention of a trigger with its arguments (`NAME APP …`), for the triggers no doc
    // comment gives arguments to (those only fired, mostly).
    let mention = Regex::new(r"`([a-z][a-z0-9-]*) ([A-Z][A-Z_]*(?: [^`]*)?)`").unwrap();
    let mut loose: BTreeMap<String, String> = BTreeMap::new();
    let shell_fire = Regex::new(r"plugn trigger ([a-z][a-z0-9-]*)").unwrap();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut sources: Vec<(String, PathBuf)> = vec![("core".into(), repo.join("core/src"))];
    let mut shell_plugins = Vec::new();
    let plugins = repo.join("plugins-available");
    let mut names: Vec<String> = std::fs::read_dir(&plugins)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let dir = plugins.join(&name);
        if dir.join("Cargo.toml").exists() {
            sources.push((name, dir.join("src")));
        } else {
            shell_plugins.push((name, dir));
        }
    }
    for (plugin, dir) in &sources {
        for f in rust_files(dir) {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for c in fire
                .captures_iter(&text)
                .chain(fire_plugn.captures_iter(&text))
                .chain(fire_own.captures_iter(&text))
            {
                rows.entry(c[1].to_string())
                    .or_default()
                    .fired_by
                    .insert(plugin.clone());
            }
            let mut answered: Vec<String> = answer
                .captures_iter(&text)
                .chain(answer_any.captures_iter(&text))
                .map(|c| c[1].to_string())
                .collect();
            if report_command.is_match(&text) {
                answered.push("report".to_string());
            }
            for t in &answered {
                rows.entry(t.clone())
                    .or_default()
                    .answered_by
                    .insert(plugin.clone());
            }
            for c in doc.captures_iter(&text) {
                let r = rows.entry(c[1].to_string()).or_default();
                let args = c[2].trim();
                if r.args.is_empty() && !args.is_empty() {
                    r.args = args.to_string();
                }
            }
            for c in mention.captures_iter(&text) {
                loose
                    .entry(c[1].to_string())
                    .or_insert_with(|| c[2].trim().to_string());
            }
        }
    }
    for (plugin, dir) in &shell_plugins {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_file() {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for c in shell_fire.captures_iter(&text) {
                    rows.entry(c[1].to_string())
                        .or_default()
                        .fired_by
                        .insert(plugin.clone());
                }
                use std::os::unix::fs::PermissionsExt;
                let exec = p
                    .metadata()
                    .is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
                if exec && !NOT_TRIGGERS.contains(&name.as_str()) && name != "subcommands" {
                    rows.entry(name)
                        .or_default()
                        .answered_by
                        .insert(plugin.clone());
                }
            }
        }
    }
    // Names that only appear as doc comments are not triggers of ours.
    rows.retain(|_, r| !r.fired_by.is_empty() || !r.answered_by.is_empty());
    for (name, r) in rows.iter_mut() {
        if r.args.is_empty() {
            if let Some(a) = loose.get(name) {
                r.args = a.clone();
            }
        }
    }
    rows
}

/// `a, b` or `—`.
fn join(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "—".to_string()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `` `ARGS` `` with pipes escaped for a markdown cell, or `—`.
fn cell(args: &str) -> String {
    if args.is_empty() || args == "—" {
        "—".to_string()
    } else {
        format!("`{}`", args.replace('|', "\\|"))
    }
}

/// The table, as markdown: Dokku's documented triggers first (what we do with each), then the
/// triggers of ours that Dokku does not document.
pub fn table(repo: &Path) -> String {
    let rows = scan(repo);
    let docs = documented(repo);
    let mut out = String::from(
        "# Triggers\n\nGenerated from the sources by `scripts/trigger-table` (a test checks it is \
         current). `core` is the `dokku` binary and its library; every other name is a plugin in \
         `plugins-available/`.\n\n## Dokku's documented triggers\n\nEvery trigger of Dokku's \
         plugin-triggers documentation, as listed in `docs/dokku-triggers.txt`: the arguments \
         Dokku documents, ours (from the answering code's doc comments), who fires and who \
         answers it here. `none` says why a trigger is not ours; tests/tests/trigger_table.rs \
         checks every trigger marked fired or answered there has a call site or an answer.\n\n\
         | trigger | Dokku's arguments | our arguments | fired by | answered by | note |\n\
         |---|---|---|---|---|---|\n",
    );
    let empty = Row::default();
    for d in &docs {
        let r = rows.get(&d.name).unwrap_or(&empty);
        let note = match d.role.as_str() {
            "none" => format!("not ours: {}", d.note),
            _ => d.note.clone(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            d.name,
            cell(&d.args),
            cell(&r.args),
            join(&r.fired_by),
            join(&r.answered_by),
            if note.is_empty() {
                "—".to_string()
            } else {
                note.replace('|', "\\|")
            }
        ));
    }
    out.push_str(
        "\n## Our own triggers\n\nTriggers our plugins fire or answer that Dokku's documentation \
         does not list.\n\n| trigger | arguments | fired by | answered by |\n|---|---|---|---|\n",
    );
    for (name, r) in &rows {
        if docs.iter().any(|d| &d.name == name) {
            continue;
        }
        out.push_str(&format!(
            "| `{name}` | {} | {} | {} |\n",
            cell(&r.args),
            join(&r.fired_by),
            join(&r.answered_by)
        ));
    }
    out
}
