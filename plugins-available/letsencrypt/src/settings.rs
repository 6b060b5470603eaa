//! The plugin's properties (`letsencrypt:set [--global|APP] KEY VALUE`), each app's value
//! falling back to the global one, then to the default, and their validation.

use anyhow::{bail, Result};
use dokku_core::property;

/// The plugin's name for its properties.
pub const PROPS: &str = "letsencrypt";

/// The keys `letsencrypt:set` takes (besides `dns-provider-VARIABLE`).
pub const KEYS: &[&str] = &[
    "email",
    "server",
    "graceperiod",
    "dns-provider",
    "lego-docker-args",
];

/// Let's Encrypt's production directory.
pub const PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory.
pub const STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
/// Renew this many seconds before expiry when `graceperiod` is not set (30 days).
pub const DEFAULT_GRACE: u64 = 2_592_000;
/// The longest grace period taken (100 years).
const MAX_GRACE: u64 = 3_153_600_000;

/// Whether KEY is a `dns-provider-VARIABLE` key: an environment variable of lego's DNS
/// provider (a token, a secret), passed to lego in its environment, never on its command line.
pub fn is_provider_var(key: &str) -> bool {
    key.strip_prefix("dns-provider-").is_some_and(|v| {
        !v.is_empty()
            && v.len() <= 64
            && v.starts_with(|c: char| c.is_ascii_uppercase())
            && v.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// Refuses an invalid VALUE for KEY with one line.
pub fn validate(key: &str, value: &str) -> Result<()> {
    let plain = !value.chars().any(|c| c.is_control() || c.is_whitespace());
    match key {
        "email" => {
            let ok = plain
                && value.len() <= 254
                && value
                    .split_once('@')
                    .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.contains('@'));
            if !ok {
                bail!("invalid email {value:?}: give an address as you@example.com");
            }
        }
        "server" => {
            if value != "default" && value != "staging" && !valid_url(value) {
                bail!("invalid server {value:?}: give default, staging or an https:// URL of an ACME directory");
            }
        }
        "graceperiod" => match value.parse::<u64>() {
            Ok(n) if (1..=MAX_GRACE).contains(&n) && !value.starts_with('+') => {}
            _ => bail!("invalid graceperiod {value:?}: give a whole number of seconds from 1 to {MAX_GRACE}"),
        },
        "dns-provider" => {
            let ok = !value.is_empty()
                && value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
                && value.starts_with(|c: char| c.is_ascii_lowercase());
            if !ok {
                bail!("invalid dns-provider {value:?}: give the name of one of lego's DNS providers, as cloudflare");
            }
        }
        "lego-docker-args" => {
            if value.chars().any(|c| c.is_control()) || value.len() > 1024 {
                bail!("invalid lego-docker-args: control characters or longer than 1024 bytes");
            }
        }
        k if is_provider_var(k) => {
            if value.contains(['\0', '\n', '\r']) || value.len() > 4096 {
                bail!("invalid {k}: no newlines or NUL, at most 4096 bytes");
            }
        }
        _ => bail!(
            "invalid property {key:?}; valid: {}, dns-provider-VARIABLE",
            KEYS.join(", ")
        ),
    }
    Ok(())
}

/// Whether `s` is an https URL with a host (and no credentials).
fn valid_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://") else {
        return false;
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    let host =
        host_port.rsplit_once(':').map_or(
            host_port,
            |(h, p)| if p.parse::<u16>().is_ok() { h } else { "" },
        );
    s.len() <= 1024
        && !host.is_empty()
        && !host_port.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The app's own value of KEY (`--global` for the global one).
pub fn own(scope: &str, key: &str) -> Result<String> {
    Ok(property::get(PROPS, scope, key)?.unwrap_or_default())
}

/// The value in effect: the app's, else the global one, else empty.
pub fn computed(app: &str, key: &str) -> Result<String> {
    let v = own(app, key)?;
    if !v.is_empty() || app == property::GLOBAL {
        return Ok(v);
    }
    own(property::GLOBAL, key)
}

/// The ACME directory URL in effect.
pub fn server_url(app: &str) -> Result<String> {
    Ok(match computed(app, "server")?.as_str() {
        "" | "default" => PRODUCTION.to_string(),
        "staging" => STAGING.to_string(),
        url => url.to_string(),
    })
}

/// The grace period in effect, in seconds.
pub fn grace(app: &str) -> Result<u64> {
    Ok(computed(app, "graceperiod")?
        .parse()
        .unwrap_or(DEFAULT_GRACE))
}

/// The `dns-provider-VARIABLE` values in effect: global ones, overridden by the app's.
pub fn provider_env(app: &str) -> Result<Vec<(String, String)>> {
    let mut out = std::collections::BTreeMap::new();
    for scope in [property::GLOBAL, app] {
        for (k, v) in property::list(PROPS, scope)? {
            if let Some(var) = k
                .strip_prefix("dns-provider-")
                .filter(|_| is_provider_var(&k))
            {
                out.insert(var.to_string(), v);
            }
        }
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert!(validate("email", "a@b.example").is_ok());
        assert!(validate("email", "ab").is_err());
        assert!(validate("server", "staging").is_ok());
        assert!(validate("server", "https://127.0.0.1:14000/dir").is_ok());
        assert!(validate("server", "http://x/dir").is_err());
        assert!(validate("server", "https://u@x/dir").is_err());
        assert!(validate("graceperiod", "0").is_err());
        assert!(is_provider_var("dns-provider-CLOUDFLARE_DNS_API_TOKEN"));
        assert!(!is_provider_var("dns-provider-lower"));
    }
}
