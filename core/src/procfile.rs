//! Parsing an app's processes: a `Procfile` (`TYPE: COMMAND` lines), a scale (`TYPE=COUNT`
//! lines) and process type names. Where they are kept is the ps plugin's business (its
//! `store` module); other plugins ask ps through `ps-current-scale`, `procfile-get-command`
//! and `ps-procfile`.

use anyhow::{bail, Context, Result};

/// One process type of a Procfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// The process type (`web`, `worker`, …).
    pub kind: String,
    /// Its command.
    pub command: String,
}

/// Checks a process type name (`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`, at most 63 bytes).
pub fn validate_type(kind: &str) -> Result<()> {
    let ok = kind.len() <= 63
        && kind
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        bail!("invalid process type {kind:?}: use letters, digits, '-' and '_'");
    }
    Ok(())
}

/// Parses a Procfile; a bad line is named by its number.
pub fn parse(text: &str) -> Result<Vec<Process>> {
    let mut out: Vec<Process> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((kind, command)) = t.split_once(':') else {
            bail!(
                "Procfile line {}: expected `TYPE: COMMAND`, got {t:?}",
                i + 1
            );
        };
        let (kind, command) = (kind.trim(), command.trim());
        validate_type(kind).with_context(|| format!("Procfile line {}", i + 1))?;
        if command.is_empty() {
            bail!(
                "Procfile line {}: process type {kind} has no command",
                i + 1
            );
        }
        if out.iter().any(|p| p.kind == kind) {
            bail!("Procfile line {}: process type {kind} appears twice", i + 1);
        }
        out.push(Process {
            kind: kind.to_string(),
            command: command.to_string(),
        });
    }
    Ok(out)
}

/// Parses `TYPE=COUNT` lines.
pub fn parse_scale(text: &str) -> Result<Vec<(String, u32)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((k, n)) = t.split_once('=') else {
            bail!("scale line {}: expected TYPE=COUNT, got {t:?}", i + 1);
        };
        validate_type(k.trim())?;
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("scale line {}: {n:?} is not a count", i + 1))?;
        out.push((k.trim().to_string(), n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfiles() {
        let p = parse("# comment\nweb: ./server --port $PORT\n\nworker:  run-jobs  \n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].command, "./server --port $PORT");
        assert_eq!(p[1].kind, "worker");
        for bad in ["web ./x", "we b: x", "web:", "web: a\nweb: b", ": x"] {
            let e = parse(bad).unwrap_err();
            assert!(format!("{e:#}").contains("line"), "{bad}: {e:#}");
        }
        assert_eq!(
            parse_scale("web=2\nworker=0\n").unwrap()[0],
            ("web".into(), 2)
        );
        assert!(parse_scale("web=x").is_err());
    }
}
