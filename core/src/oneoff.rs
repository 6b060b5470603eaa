//! The contract between the `run` command and the scheduler that starts its one-off
//! containers: the checks of `--env` pairs and `--ttl-seconds`, which both sides make, and the
//! environment variable that carries the time to live to the `scheduler-run` trigger.

use anyhow::{bail, Result};

/// The environment variable that hands `--ttl-seconds` to the `scheduler-run` trigger.
pub const TTL_ENV: &str = "DOKKU_RUN_TTL_SECONDS";

/// The longest `--ttl-seconds` accepted (a year).
pub const MAX_TTL: u64 = 31_536_000;

/// Checks a `--ttl-seconds` value: a whole number of seconds, 1 to [`MAX_TTL`].
pub fn parse_ttl(v: &str) -> Result<u64> {
    match v.parse::<u64>() {
        Ok(n) if (1..=MAX_TTL).contains(&n) && !v.starts_with('+') => Ok(n),
        _ => bail!("Invalid --ttl-seconds {v:?}: expected a number of seconds from 1 to {MAX_TTL}"),
    }
}

/// Checks a `KEY=VALUE` pair of `--env`.
pub fn validate_env(pair: &str) -> Result<()> {
    let Some((key, _)) = pair.split_once('=') else {
        bail!("Invalid --env {pair:?}: expected KEY=VALUE");
    };
    crate::envfile::validate_key(key)?;
    if pair.contains('\0') {
        bail!("Invalid --env {key}: the value holds a NUL byte");
    }
    Ok(())
}
