//! The library Rust plugins share: paths, the property store, app-name checks, the ENV file
//! format, report output, log output in Dokku's style, argument parsing and the multi-call
//! plugin runtime. Triggers are fired in-process through `plugn`, always by the helpers of
//! [`triggers`].

pub mod appdata;
pub mod appname;
pub mod args;
pub mod batch;
pub mod builders;
pub mod buildpack;
pub mod buildrec;
pub mod builtin;
pub mod cleanup;
pub mod contract;
pub mod deploy;
pub mod deploylock;
pub mod dispatch;
pub mod docker;
pub mod domainname;
pub mod envfile;
pub mod help;
pub mod hostname;
pub mod hujson;
pub mod lineedit;
pub mod log;
pub mod oneoff;
pub mod plugin;
pub mod privargs;
pub mod procfile;
pub mod property;
pub mod report;
pub mod shell;
pub mod signals;
pub mod source;
pub mod sshcommand;
pub mod trace;
pub mod triggers;

pub use plugn::Paths;
pub use triggers::{
    exit_code, failure_message, trigger, trigger_lines, trigger_outcome, trigger_output,
    trigger_through, trigger_value,
};

use anyhow::Result;
use std::sync::OnceLock;

/// An error that only sets the exit code: the message, if any, was already printed.
#[derive(Debug)]
pub struct Exit(pub i32);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// The paths of this installation, read once from the environment.
pub fn paths() -> &'static Paths {
    static P: OnceLock<Paths> = OnceLock::new();
    P.get_or_init(Paths::from_env)
}

/// The app's scheduler: the first line `scheduler-detect APP` answers, `docker-local` when
/// nothing does.
pub fn scheduler(app: &str) -> Result<String> {
    Ok(trigger_value("scheduler-detect", &[app])?
        .and_then(|v| {
            v.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "docker-local".to_string()))
}

/// The current time in whole seconds since the Unix epoch, as Dokku stores timestamps.
pub fn unix_now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

/// The app's config merged over the global one, as the `config-export` trigger gives it (so a
/// replacement config plugin is honoured).
pub fn app_config(app: &str) -> Result<std::collections::BTreeMap<String, String>> {
    let o = trigger_outcome(
        "config-export",
        &[app, "false", "true", "json"],
        plugn::Input::Null,
        plugn::Output::Capture,
    )?;
    if o.code != 0 {
        anyhow::bail!(
            "cannot read the config of {app} (config-export exited {})",
            o.code
        );
    }
    let text = String::from_utf8_lossy(&o.stdout);
    if text.trim().is_empty() {
        return Ok(Default::default());
    }
    serde_json::from_str(text.trim()).map_err(|e| {
        anyhow::anyhow!("config-export answered something other than a JSON object: {e}")
    })
}

/// Starts this executable again with `args`, detached: its own session (so it outlives the
/// command and an interrupt of it), nothing on its standard streams. For work that must happen
/// later (retiring containers, a one-off's time to live).
#[allow(unsafe_code)]
pub fn spawn_detached<I, S>(args: I) -> Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use anyhow::Context;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let me = std::env::current_exe().context("cannot find this plugin's own binary")?;
    let mut c = Command::new(&me);
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    c.spawn()
        .with_context(|| format!("cannot start {} in the background", me.display()))?;
    Ok(())
}
