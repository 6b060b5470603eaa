//! Output in Dokku's style: `-----> ` steps, `=====> ` headings, `       ` detail, ` !     `
//! warnings and errors. `--quiet` (`DOKKU_QUIET_OUTPUT`) silences everything but errors.

use std::io::Write;

/// Whether `--quiet` is in force.
pub fn quiet() -> bool {
    std::env::var_os("DOKKU_QUIET_OUTPUT").is_some_and(|v| !v.is_empty())
}

fn out(prefix: &str, msg: &str) {
    if quiet() {
        return;
    }
    let mut o = std::io::stdout().lock();
    for line in msg.split('\n') {
        let _ = writeln!(o, "{prefix}{line}");
    }
}

/// A step: `-----> msg`.
pub fn info1(msg: &str) {
    out("-----> ", msg)
}

/// A heading: `=====> msg`.
pub fn info2(msg: &str) {
    out("=====> ", msg)
}

/// Detail under a step: `       msg`.
pub fn verbose(msg: &str) {
    out("       ", msg)
}

/// A warning on stderr: ` !     msg` (shown even with `--quiet`).
pub fn warn(msg: &str) {
    let mut e = std::io::stderr().lock();
    for line in msg.split('\n') {
        let _ = writeln!(e, " !     {line}");
    }
}

/// An error line on stderr, in the same form as a warning.
pub fn error(msg: &str) {
    warn(msg)
}

/// Dokku's confirmation of a destructive command: warns, asks the operator to type `name`, and
/// says whether the line read from stdin matches it.
pub fn confirm_destroy(what: &str, name: &str) -> anyhow::Result<bool> {
    use anyhow::Context;
    use std::io::BufRead;
    warn("WARNING: Potentially Destructive Action");
    warn(&format!("This command will destroy {what} {name}."));
    warn(&format!("To proceed, type \"{name}\""));
    eprintln!();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the confirmation")?;
    Ok(line.trim_end_matches(['\n', '\r']) == name)
}
