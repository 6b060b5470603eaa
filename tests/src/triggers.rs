//! The trigger table of `docs/triggers.md`, generated from the sources: which plugin fires each
//! trigger (Rust calls such as `trigger("NAME", …)`, `plugn trigger NAME` in shell plugins), which
//! answers it (a Rust plugin's `Trigger { name: "NAME" … }`, a shell plugin's executable of that
//! name), and its arguments (from the `Trigger \`NAME ARGS\`` doc comments of the answers).

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Default)]
struct Row {
    fired_by: BTreeSet<String>,
    answered_by: BTreeSet<String>,
    args: String,
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

/// The table, as markdown.
pub fn table(repo: &Path) -> String {
    // Any helper named after triggers or firing, called with the trigger's name first.
    let fire =
        Regex::new(r#"\b(?:[a-z_]*trigger[a-z_]*|fire[a-z_]*|lines_of)\(\s*"([a-z][a-z0-9-]*)""#)
            .unwrap();
    let fire_plugn = Regex::new(r#"fire\(\s*[^,()]+(?:\(\))?,\s*"([a-z][a-z0-9-]*)""#).unwrap();
    let answer = Regex::new(r#"name:\s*"([a-z][a-z0-9-]*)",\s*run:\s*trigger"#).unwrap();
    let answer_any = Regex::new(r#"Trigger \{\s*name:\s*"([a-z][a-z0-9-]*)""#).unwrap();
    let doc = Regex::new(r"Triggers? `([a-z][a-z0-9-]*)((?: [^`]*)?)`").unwrap();
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
            {
                rows.entry(c[1].to_string())
                    .or_default()
                    .fired_by
                    .insert(plugin.clone());
            }
            let answered: Vec<String> = answer
                .captures_iter(&text)
                .chain(answer_any.captures_iter(&text))
                .map(|c| c[1].to_string())
                .collect();
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
    let mut out = String::from(
        "# Triggers\n\nGenerated from the sources by `scripts/trigger-table` (a test checks it is \
         current): who fires each trigger, its arguments, and who answers it. `core` is the \
         `dokku` binary and its library; every other name is a plugin in `plugins-available/`.\n\n\
         | trigger | arguments | fired by | answered by |\n|---|---|---|---|\n",
    );
    let join = |s: &BTreeSet<String>| {
        if s.is_empty() {
            "—".to_string()
        } else {
            s.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    for (name, r) in &rows {
        let args = if r.args.is_empty() {
            "—".to_string()
        } else {
            format!("`{}`", r.args.replace('|', "\\|"))
        };
        out.push_str(&format!(
            "| `{name}` | {args} | {} | {} |\n",
            join(&r.fired_by),
            join(&r.answered_by)
        ));
    }
    out
}
