//! Validation of a task's `schedule`: five fields (minute, hour, day of month, month, day of
//! week) of `*`, numbers, names (`jan`…`dec`, `sun`…`sat`), ranges `a-b`, lists `a,b` and steps
//! `/n`, or one of the descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//! `@midnight`, `@hourly`: what Dokku accepts and Debian's cron daemon runs. (`@every`,
//! `@reboot`, `?` and time zones are refused: the host's cron cannot run them.)

use anyhow::{bail, Result};

/// The descriptors accepted in place of the five fields.
pub const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: DAYS,
    },
];

/// Checks a schedule; the error says what is wrong with it.
pub fn validate(schedule: &str) -> Result<()> {
    let s = schedule.trim();
    if s != schedule || s.is_empty() {
        bail!("invalid schedule {schedule:?}: empty or padded with spaces");
    }
    if s.starts_with('@') {
        if DESCRIPTORS.contains(&s.to_ascii_lowercase().as_str()) {
            return Ok(());
        }
        bail!(
            "invalid schedule {schedule:?}: unknown descriptor; valid: {}",
            DESCRIPTORS.join(", ")
        );
    }
    let parts: Vec<&str> = s.split(' ').collect();
    if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
        bail!(
            "invalid schedule {schedule:?}: expected 5 fields separated by single spaces \
             (minute hour day-of-month month day-of-week)"
        );
    }
    for (part, f) in parts.iter().zip(FIELDS.iter()) {
        field(part, f).map_err(|e| anyhow::anyhow!("invalid schedule {schedule:?}: {e}"))?;
    }
    Ok(())
}

fn value(text: &str, f: &Field) -> Result<u32> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = f.names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + f.min);
    }
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{} value {text:?} is not a number", f.name);
    }
    let n: u32 = text.parse()?;
    if n < f.min || n > f.max {
        bail!("{} value {n} is out of range {}-{}", f.name, f.min, f.max);
    }
    Ok(n)
}

fn field(text: &str, f: &Field) -> Result<()> {
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            if step.is_empty() || step.len() > 2 || !step.bytes().all(|b| b.is_ascii_digit()) {
                bail!("{} step {step:?} is not a number", f.name);
            }
            let n: u32 = step.parse()?;
            if n == 0 || n > f.max {
                bail!("{} step {n} is out of range 1-{}", f.name, f.max);
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a, f)?, value(b, f)?);
                if a > b {
                    bail!("{} range {range:?} ends before it starts", f.name);
                }
            }
            None => {
                value(range, f)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts() {
        for s in [
            "* * * * *",
            "@daily",
            "@HOURLY",
            "*/5 0-6,12 1 jan-mar MON-fri",
            "0 0 * * 7",
            "5,10,15 * * * *",
        ] {
            assert!(validate(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn refuses() {
        for s in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "? * * * *",
            "@every 5m",
            "@reboot",
            "* * * * * ; rm -rf /",
            "*  * * * *",
            "x * * * *",
        ] {
            assert!(validate(s).is_err(), "{s}");
        }
    }
}
