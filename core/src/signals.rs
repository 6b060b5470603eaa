//! The dispositions of SIGINT and SIGQUIT around a container in the foreground: the command
//! that waits for it (`run`, `enter`, `cron:run`) ignores them, and the process that becomes
//! `docker` (exec) restores their default first.

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
