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
