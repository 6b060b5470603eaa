//! The rule for a DNS host name given to a command (a registry server, a git host, a listener
//! address): dot-separated labels of letters, digits and `-`, none empty, none longer than 63
//! bytes, none starting or ending with `-`; 253 bytes at most in all.

/// Whether `l` is one DNS label.
pub fn is_dns_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `name` is a DNS name (one or more labels).
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "example.com", "x-1.b2.test", "localhost"] {
            assert!(is_dns_name(ok), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            ".",
            "a..b",
            "-a.b",
            "a-.b",
            "a_b",
            "a b",
            long.as_str(),
            "ä.b",
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
    }
}
