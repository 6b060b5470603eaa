//! Signals and their kin: the dispositions of SIGINT and SIGQUIT around a container in the
//! foreground (the command that waits for it, `run`, `enter`, `cron:run`, ignores them; the
//! process that becomes `docker` by exec restores their default first), and a closed stdout
//! (SIGPIPE, which Rust ignores): a reader that went away ends a command quietly, exit code 0.

/// While a container runs in the foreground, an interrupt (Ctrl-C, Ctrl-\) is the container's
/// business (docker passes it on): this process waits for its exit code instead of dying first.
pub fn ignore_interrupts() {
    set(libc::SIG_IGN)
}

/// Restores the default action of SIGINT and SIGQUIT, which a program started by exec inherits.
pub fn default_interrupts() {
    set(libc::SIG_DFL)
}

#[allow(unsafe_code)]
fn set(action: libc::sighandler_t) {
    // SAFETY: setting a signal's disposition to SIG_IGN or SIG_DFL (no handler function runs)
    // is always sound.
    unsafe {
        libc::signal(libc::SIGINT, action);
        libc::signal(libc::SIGQUIT, action);
    }
}

/// Whether `e` comes from writing to a reader that went away (`dokku apps:list | head -1`):
/// Rust ignores SIGPIPE, so the write fails with `BrokenPipe` instead of killing the process.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Makes a `print!`/`println!` into a closed pipe end the process quietly with exit code 0,
/// as a failed write does in [`crate::plugin::Plugin::main`] (those macros panic instead of
/// returning the error). Every other panic is reported as before.
pub fn quiet_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info)
    }));
}
