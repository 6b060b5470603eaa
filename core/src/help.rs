//! Help text layout: `    NAME ARGS, DESCRIPTION` lines aligned into two columns, as
//! Dokku's `column -t -s,` does.

/// Aligns every `    left, right` line of `text` into two columns; other lines stay as they are.
pub fn align(text: &str) -> String {
    let rows: Vec<Option<(&str, &str)>> = text
        .lines()
        .map(|l| {
            l.strip_prefix("    ")
                .and_then(|r| r.split_once(", "))
                .map(|(a, b)| (a.trim(), b.trim()))
        })
        .collect();
    let width = rows
        .iter()
        .flatten()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (line, row) in text.lines().zip(rows) {
        match row {
            Some((a, b)) => {
                let pad = width - a.chars().count();
                out.push_str(&format!("    {a}{}  {b}\n", " ".repeat(pad)));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Every enabled plugin's `commands help [--all]` output (asked in parallel), line by line.
fn plugins_help_lines(paths: &plugn::Paths, all: bool) -> Vec<String> {
    use plugn::discovery::{self, Executable};
    use std::process::{Command, Stdio};
    let mut children = Vec::new();
    for p in discovery::enabled(paths).unwrap_or_default() {
        let c = p.dir.join("commands");
        if !matches!(discovery::executable(&c), Executable::Runnable) {
            continue;
        }
        let mut cmd = Command::new(&c);
        cmd.arg("help");
        if all {
            cmd.arg("--all");
        }
        if let Ok(child) = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            children.push(child);
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for child in children {
        if let Ok(out) = child.wait_with_output() {
            lines.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| format!("    {}", l.trim_start())),
            );
        }
    }
    lines
}

/// The text of `dokku help`: each enabled plugin's `commands help` (asked in parallel),
/// sorted and aligned. With `all`, every plugin's full list of commands.
pub fn dokku_help(paths: &plugn::Paths, usage: &str, all: bool) -> String {
    let mut lines = plugins_help_lines(paths, all);
    lines.extend(crate::builtin::help_lines());
    lines.sort();
    lines.dedup();
    let mut body = lines.join("\n");
    body.push('\n');
    format!(
        "{usage}\n\nPrimary help options, type \"dokku COMMAND:help\" for more details, or dokku help --all to see all commands.\n\nCommands:\n\n{}",
        align(&body)
    )
}

/// What `dokku CMD --help` prints: the `CMD ARGS, WHAT IT DOES` line of the plugins' help
/// (`commands help --all`, as `dokku help --all` lists it) as `Usage: dokku CMD ARGS` and the
/// description; else the plugin's own `PLUGIN:help`; `None` when no plugin knows `cmd`.
pub fn command_usage(paths: &plugn::Paths, cmd: &str) -> Option<String> {
    for line in plugins_help_lines(paths, true) {
        let line = line.trim();
        let (head, desc) = line.split_once(", ").unwrap_or((line, ""));
        if head.split_whitespace().next() == Some(cmd) {
            let mut s = format!("Usage: dokku {}\n", head.trim());
            if !desc.trim().is_empty() {
                s.push_str(&format!("\n{}\n", desc.trim()));
            }
            return Some(s);
        }
    }
    let prefix = cmd.split(':').next().unwrap_or(cmd);
    let dir = crate::dispatch::plugin_dir(paths, prefix)?;
    let out = std::process::Command::new(dir.join("commands"))
        .arg(format!("{prefix}:help"))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !text.trim().is_empty()).then(|| align(&text))
}
