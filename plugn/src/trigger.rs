//! Firing a trigger: every enabled plugin that has an executable of that name runs, in byte-wise
//! order of plugin names, with the same arguments, one shared stdin stream, its own `CONFIG_*`,
//! stdout concatenated as the result and the first non-zero exit stopping the chain.

use crate::discovery::{self, Executable};
use crate::manifest;
use crate::paths::Paths;
use anyhow::{bail, Context, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// Where the plugins' standard input comes from.
pub enum Input {
    /// The caller's own stdin, shared in order by the plugins.
    Inherit,
    /// Nothing: plugins read end-of-file.
    Null,
    /// These bytes, as one stream the plugins share in order (the first reader consumes it).
    Bytes(Vec<u8>),
}

/// What happens to the plugins' standard output.
pub enum Output {
    /// It goes straight to the caller's stdout, as it is produced.
    Inherit,
    /// It is collected and returned (a return-value trigger).
    Capture,
    /// It is collected and returned, and the plugins' stderr is discarded: a probe whose
    /// failure the caller handles itself (a batch form a plugin may not know).
    Probe,
}

/// The result of a trigger.
#[derive(Debug, Default)]
pub struct Outcome {
    /// 0, or the exit code of the first plugin that failed (128+signal when killed).
    pub code: i32,
    /// The concatenated stdout of the plugins, when captured.
    pub stdout: Vec<u8>,
    /// The plugin whose failure stopped the chain, when one did.
    pub failed: Option<String>,
}

impl Outcome {
    /// Whether every plugin succeeded.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// The captured stdout as text, trimmed of surrounding whitespace.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim().to_string()
    }
}

/// Whether `DOKKU_TRACE` asks for every trigger and command to be printed.
pub fn tracing() -> bool {
    std::env::var_os("DOKKU_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Checks a trigger name, so that it can never name a path outside a plugin folder.
pub fn validate_trigger_name(name: &str) -> Result<()> {
    if !manifest::is_safe_name(name, 200) {
        bail!("invalid trigger name {:?}", name);
    }
    Ok(())
}

/// The exit code a shell would report for a status.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(1))
}

/// A prepared stdin source that can be handed to each plugin in turn.
enum StdinSource {
    Inherit,
    Null,
    File(std::fs::File),
}

impl StdinSource {
    fn new(input: Input) -> Result<StdinSource> {
        Ok(match input {
            Input::Inherit => StdinSource::Inherit,
            Input::Null => StdinSource::Null,
            Input::Bytes(bytes) => {
                let mut f = tempfile::tempfile().context("cannot create a temp file for stdin")?;
                f.write_all(&bytes)?;
                f.seek(SeekFrom::Start(0))?;
                StdinSource::File(f)
            }
        })
    }

    /// A handle on the same stream: duplicated descriptors share one offset, so what one plugin
    /// reads the next does not see again.
    fn stdio(&self) -> Result<Stdio> {
        Ok(match self {
            StdinSource::Inherit => Stdio::inherit(),
            StdinSource::Null => Stdio::null(),
            StdinSource::File(f) => Stdio::from(f.try_clone()?),
        })
    }
}

/// Runs one executable of a plugin with the trigger's arguments and the plugin's `CONFIG_*`.
/// Returns `None` when the plugin was skipped (broken manifest, cannot start).
fn run_one(
    paths: &Paths,
    plugin: &str,
    plugin_dir: &Path,
    exe: &Path,
    args: &[String],
    stdin: &StdinSource,
    output: &Output,
) -> Result<Option<(ExitStatus, Vec<u8>)>> {
    let capture = !matches!(output, Output::Inherit);
    let config = match manifest::load(plugin_dir)
        .and_then(|m| crate::plugin_config::env(&paths.plugin_path, plugin, &m))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!(" !     plugin {plugin} skipped: {e:#}");
            return Ok(None);
        }
    };
    if tracing() {
        eprintln!(
            "+ {} {}",
            exe.display(),
            crate::events::redacted(args).join(" ")
        );
    }
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .envs(paths.exports())
        .envs(config)
        .stdin(stdin.stdio()?)
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .stderr(if matches!(output, Output::Probe) {
            Stdio::null()
        } else {
            Stdio::inherit()
        });
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(" !     plugin {plugin}: cannot run {}: {e}", exe.display());
            return Ok(None);
        }
    };
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        if let Err(e) = so.read_to_end(&mut out) {
            // Not left running (or unreaped) behind a reader that gave up.
            let _ = child.kill();
            let _ = child.wait();
            return Err(e).with_context(|| format!("cannot read the output of {}", exe.display()));
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for {}", exe.display()))?;
    Ok(Some((status, out)))
}

/// Fires trigger `name` across the enabled plugins. See the module documentation.
pub fn fire(
    paths: &Paths,
    name: &str,
    args: &[String],
    input: Input,
    output: Output,
) -> Result<Outcome> {
    fire_where(paths, name, args, input, output, &|_| true)
}

/// Fires trigger `name` as [`fire`] does, but only across the enabled plugins that `only`
/// accepts (as `plugin:install --core` does for the core plugins).
pub fn fire_where(
    paths: &Paths,
    name: &str,
    args: &[String],
    input: Input,
    output: Output,
    only: &dyn Fn(&discovery::Plugin) -> bool,
) -> Result<Outcome> {
    validate_trigger_name(name)?;
    crate::events::record(paths, name, args);
    if tracing() {
        eprintln!(
            "+ plugn trigger {} {}",
            name,
            crate::events::redacted(args).join(" ")
        );
    }
    let stdin = StdinSource::new(input)?;
    let mut outcome = Outcome::default();
    for plugin in discovery::enabled(paths)? {
        if !only(&plugin) {
            continue;
        }
        let exe = plugin.dir.join(name);
        match discovery::executable(&exe) {
            Executable::Missing => continue,
            Executable::NotExecutable => {
                if tracing() {
                    eprintln!("+ plugn: skipping {}/{}: not executable", plugin.name, name);
                }
                continue;
            }
            Executable::Runnable => {}
        }
        let Some((status, out)) = run_one(
            paths,
            &plugin.name,
            &plugin.dir,
            &exe,
            args,
            &stdin,
            &output,
        )?
        else {
            continue;
        };
        outcome.stdout.extend_from_slice(&out);
        let code = exit_code(status);
        if code != 0 {
            outcome.code = code;
            outcome.failed = Some(plugin.name);
            break;
        }
    }
    Ok(outcome)
}

/// Runs one plugin's executable for trigger `name` (as `plugin:install` does for a new plugin's
/// `install`), with output passed through. A plugin without it succeeds.
pub fn fire_one(paths: &Paths, plugin_dir: &Path, name: &str, args: &[String]) -> Result<i32> {
    validate_trigger_name(name)?;
    let exe = plugin_dir.join(name);
    if !matches!(discovery::executable(&exe), Executable::Runnable) {
        return Ok(0);
    }
    crate::events::record(paths, name, args);
    let name_of_plugin = plugin_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config = crate::plugin_config::env(
        &paths.plugin_path,
        &name_of_plugin,
        &manifest::load(plugin_dir)?,
    )?;
    let status = Command::new(&exe)
        .args(args)
        .envs(paths.exports())
        .envs(config)
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    Ok(exit_code(status))
}

/// Fires `name` with captured output and no stdin, and returns its trimmed result when it
/// succeeded (the usual way to ask a return-value trigger such as `config-get`).
pub fn value(paths: &Paths, name: &str, args: &[String]) -> Result<Option<String>> {
    let o = fire(paths, name, args, Input::Null, Output::Capture)?;
    Ok(if o.success() { Some(o.text()) } else { None })
}
