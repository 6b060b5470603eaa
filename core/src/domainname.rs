//! The rule for a domain the proxy may serve: lowercased; at most 253 bytes; dot-separated
//! labels of 1 to 63 letters, digits and `-`, neither starting nor ending with `-`; a wildcard
//! only as the whole first label (`*.example.com`). Global domains may also be IP addresses
//! (and may not be wildcards, since apps get `APP.GLOBAL`). A single label (`localhost`) is a
//! valid name, as Dokku allows it. An app may also have nginx's catch-all `_` and a suffix
//! match with a leading dot (`.example.com`: the domain and all its subdomains), as Dokku
//! accepts them.

use anyhow::{bail, Result};

/// The longest domain name, in bytes (DNS).
pub const MAX_NAME: usize = 253;

/// The longest label of a domain name, in bytes (DNS).
pub const MAX_LABEL: usize = 63;

/// What a domain is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A domain of one app (`domains:add`, `domains:set`).
    App,
    /// A global domain (`domains:add-global`): IP addresses allowed, wildcards not.
    Global,
}

/// Whether `s` is an IPv4 or IPv6 address.
pub fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Lowercases and checks one domain; the error names the input and what is wrong with it.
pub fn normalize(input: &str, scope: Scope) -> Result<String> {
    let d = input.to_lowercase();
    if let Err(reason) = check(&d, scope) {
        bail!("Invalid domain {input:?}: {reason}");
    }
    Ok(d)
}

/// Whether `input` (as given) is a valid domain for `scope`.
pub fn is_valid(input: &str, scope: Scope) -> bool {
    normalize(input, scope).is_ok()
}

/// A readable name for a character a domain may not hold.
fn describe(c: char) -> String {
    match c {
        ' ' | '\t' => "a space".into(),
        '\n' | '\r' => "a line break".into(),
        '/' | '\\' => "a slash".into(),
        ':' => "a colon (give the name alone, without scheme or port)".into(),
        '_' => "an underscore".into(),
        other => format!("{other:?}"),
    }
}

fn check(d: &str, scope: Scope) -> std::result::Result<(), String> {
    if d.is_empty() {
        return Err("it is empty".into());
    }
    if scope == Scope::Global && is_ip(d) {
        return Ok(());
    }
    if scope == Scope::App && d == "_" {
        return Ok(());
    }
    let d = match d.strip_prefix('.') {
        Some(rest) if scope == Scope::App => {
            if rest.starts_with('*') {
                return Err("a leading dot and a wildcard cannot be combined".into());
            }
            rest
        }
        _ => d,
    };
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*".contains(c);
    if let Some(c) = d.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "it contains {}; only letters, digits, '-' and '.' are allowed",
            describe(c)
        ));
    }
    if d.len() > MAX_NAME {
        return Err(format!(
            "it is {} bytes long, more than {MAX_NAME}",
            d.len()
        ));
    }
    let labels: Vec<&str> = d.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err("it has an empty label (a leading, trailing or doubled dot)".into());
        }
        if label.contains('*') {
            if i != 0 || *label != "*" {
                return Err(
                    "a wildcard '*' may only be the whole first label, as in *.example.com".into(),
                );
            }
            if scope == Scope::Global {
                return Err("a global domain cannot be a wildcard".into());
            }
            if labels.len() < 2 {
                return Err("a wildcard needs a domain after it, as in *.example.com".into());
            }
            continue;
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "label {label:?} is {} bytes long, more than {MAX_LABEL}",
                label.len()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        for ok in [
            "example.com",
            "a.b.c.example.com",
            "*.example.com",
            "localhost",
            "x-1.example.org",
            "1.2.3.4",
            "_",
            ".example.com",
            &format!("{}.com", "a".repeat(63)),
        ] {
            assert!(is_valid(ok, Scope::App), "{ok}");
        }
        assert_eq!(
            normalize("WWW.Example.COM", Scope::App).unwrap(),
            "www.example.com"
        );
        assert!(is_valid("10.0.0.1", Scope::Global));
        assert!(is_valid("::1", Scope::Global));
        assert!(is_valid("localhost", Scope::Global));
    }

    #[test]
    fn refused() {
        let long = format!("{}.com", "a".repeat(64));
        let too_long = ["abcdefghi"; 26].join(".");
        for bad in [
            "",
            "a b.com",
            "a/b.com",
            "example.com:80",
            "http://example.com",
            "www.*.com",
            "w*.example.com",
            "*",
            "-a.com",
            "a-.com",
            "a..com",
            "..a.com",
            ".*.a.com",
            "._",
            "__",
            "a.com.",
            "a_b.com",
            "é.com",
            "::1",
            long.as_str(),
            too_long.as_str(),
        ] {
            assert!(!is_valid(bad, Scope::App), "{bad}");
        }
        assert!(!is_valid("*.example.com", Scope::Global));
        assert!(!is_valid("_", Scope::Global));
        assert!(!is_valid(".example.com", Scope::Global));
    }
}
