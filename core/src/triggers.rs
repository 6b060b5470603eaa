//! The one way a Rust plugin fires a trigger: every helper takes the trigger's name and its
//! arguments as `&[&str]`, and goes through [`trigger_outcome`], the only call of
//! `plugn::fire` in the plugins. Pick by what the caller wants back:
//!
//! - nothing, the plugins' output going to the caller's stdout: [`trigger`] (stdin empty) or
//!   [`trigger_through`] (stdin passed through too, a terminal included);
//! - an answer that may be missing: [`trigger_value`] (the trimmed text) or [`trigger_lines`]
//!   (its non-empty lines);
//! - an answer that must be there: [`trigger_output`] (a failure is an error naming the trigger).
//!
//! A pass-through trigger that fails returns [`Exit`] (its plugin already said why);
//! [`exit_code`] and [`failure_message`] read such an error back.

use crate::Exit;
use anyhow::{bail, Context, Result};

/// Fires trigger `name` with `args`, stdin from `input`, stdout to `output`: the entry point all
/// the other helpers use. The outcome carries the exit code and any captured output.
pub fn trigger_outcome(
    name: &str,
    args: &[&str],
    input: plugn::Input,
    output: plugn::Output,
) -> Result<plugn::Outcome> {
    let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    plugn::fire(crate::paths(), name, &argv, input, output)
}

/// Fires a trigger with its output passed through and an empty stdin; fails with [`Exit`]
/// carrying the trigger's exit code.
pub fn trigger(name: &str, args: &[&str]) -> Result<()> {
    passing(name, args, plugn::Input::Null)
}

/// Fires a trigger with stdin, stdout and stderr passed through (a terminal too), as `run` and
/// `enter` hand a command to the scheduler; fails with [`Exit`] carrying the exit code.
pub fn trigger_through(name: &str, args: &[&str]) -> Result<()> {
    passing(name, args, plugn::Input::Inherit)
}

fn passing(name: &str, args: &[&str], input: plugn::Input) -> Result<()> {
    let o = trigger_outcome(name, args, input, plugn::Output::Inherit)?;
    if o.code != 0 {
        return Err(Exit(o.code).into());
    }
    Ok(())
}

/// Asks a return-value trigger; `None` when it failed, otherwise its trimmed output.
pub fn trigger_value(name: &str, args: &[&str]) -> Result<Option<String>> {
    let o = trigger_outcome(name, args, plugn::Input::Null, plugn::Output::Capture)?;
    Ok(if o.success() { Some(o.text()) } else { None })
}

/// The non-empty lines of a return-value trigger's answer, trimmed; none when it failed.
pub fn trigger_lines(name: &str, args: &[&str]) -> Result<Vec<String>> {
    Ok(trigger_value(name, args)?
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// The trimmed answer of a trigger that must answer, `stdin` handed to its plugins as one
/// stream (empty: none); a failure is an error naming the trigger, its arguments, the exit
/// code and the plugin, since a missing answer must not pass for "not set".
pub fn trigger_output(name: &str, args: &[&str], stdin: &str) -> Result<String> {
    let input = if stdin.is_empty() {
        plugn::Input::Null
    } else {
        plugn::Input::Bytes(stdin.as_bytes().to_vec())
    };
    let o = trigger_outcome(name, args, input, plugn::Output::Capture)
        .with_context(|| format!("cannot fire {name}"))?;
    if !o.success() {
        bail!(
            "{name} {} failed (exit {}{})",
            args.join(" "),
            o.code,
            o.failed
                .as_deref()
                .map(|p| format!(", plugin {p}"))
                .unwrap_or_default()
        );
    }
    Ok(o.text())
}

/// The exit code of a trigger that failed on its own terms ([`Exit`]: its plugin already
/// printed why); `None` for any other error.
pub fn exit_code(e: &anyhow::Error) -> Option<i32> {
    e.downcast_ref::<Exit>().map(|Exit(c)| *c)
}

/// What to say about a failed trigger: `exit code N` when its plugin already printed why,
/// otherwise the error's own message (with its context).
pub fn failure_message(e: &anyhow::Error) -> String {
    match exit_code(e) {
        Some(c) => format!("exit code {c}"),
        None => format!("{e:#}"),
    }
}
