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

/// The text of `dokku help`: each enabled plugin's `commands help` (asked in parallel),
/// sorted and aligned. With `all`, every plugin's full list of commands.
pub fn dokku_help(paths: &plugn::Paths, usage: &str, all: bool) -> String {
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
    lines.sort();
    lines.dedup();
    let mut body = lines.join("\n");
    body.push('\n');
    format!(
        "{usage}\n\nPrimary help options, type \"dokku COMMAND:help\" for more details, or dokku help --all to see all commands.\n\nCommands:\n\n{}",
        align(&body)
    )
}
