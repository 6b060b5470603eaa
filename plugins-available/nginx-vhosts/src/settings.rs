//! The nginx settings (`nginx:set`): Dokku's per-app keys (each also settable with `--global`,
//! the app's value winning over the global one, which wins over the default), and the global
//! ones that say where this installation's nginx is and which ports stand for 80 and 443.

use anyhow::{bail, Result};
use dokku_core::{paths, property};

/// The property plugin name of nginx settings.
pub const PROPS: &str = "nginx";

/// Per-app settings (also settable globally) and their defaults, as Dokku has them (an empty
/// default: not set; the log paths default to `$DOKKU_LOGS_DIR/nginx/APP-access.log` and
/// `…-error.log`). Deliberate difference: `proxy-connect-timeout` is 1s (Dokku: 60s), so that
/// an instance that went away is given up quickly for the next one.
pub const APP_KEYS: &[(&str, &str)] = &[
    ("access-log-format", ""),
    ("access-log-path", ""),
    ("bind-address-ipv4", "0.0.0.0"),
    ("bind-address-ipv6", "::"),
    ("client-body-timeout", "60s"),
    ("client-header-timeout", "60s"),
    ("client-max-body-size", "1m"),
    ("disable-custom-config", "false"),
    ("error-log-path", ""),
    ("hsts", "true"),
    ("hsts-include-subdomains", "true"),
    ("hsts-max-age", "15724800"),
    ("hsts-preload", "false"),
    ("keepalive-timeout", "75s"),
    ("lingering-timeout", "5s"),
    ("nginx-conf-sigil-path", "nginx.conf.sigil"),
    ("nginx-service-command", ""),
    ("proxy-buffer-size", "4k"),
    ("proxy-buffering", "on"),
    ("proxy-buffers", "8 4k"),
    ("proxy-busy-buffers-size", "8k"),
    ("proxy-connect-timeout", "1s"),
    ("proxy-keepalive", ""),
    ("proxy-read-timeout", "60s"),
    ("proxy-send-timeout", "60s"),
    ("send-timeout", "60s"),
    ("underscore-in-headers", "off"),
    ("x-forwarded-for-value", "$remote_addr"),
    ("x-forwarded-port-value", "$server_port"),
    ("x-forwarded-proto-value", "$scheme"),
    ("x-forwarded-ssl", ""),
];

/// Global-only settings: the ports standing for 80 and 443, the nginx config and prefix to
/// test and reload (empty: the system nginx).
pub const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("http-port", "80"),
    ("https-port", "443"),
    ("nginx-conf", ""),
    ("nginx-prefix", ""),
];

/// The default of a key (empty for an unknown one).
pub fn default_of(key: &str) -> &'static str {
    APP_KEYS
        .iter()
        .chain(GLOBAL_KEYS)
        .find(|(k, _)| *k == key)
        .map(|(_, d)| *d)
        .unwrap_or_default()
}

/// The value set for `key` in `scope` (an app or [`property::GLOBAL`]), if any.
pub fn own(scope: &str, key: &str) -> Result<Option<String>> {
    Ok(property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()))
}

/// A setting in effect: the app's, else the global one, else its default (for the log paths
/// of an app: its file under `$DOKKU_LOGS_DIR/nginx`).
pub fn get(app: &str, key: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = own(scope, key)? {
            return Ok(v);
        }
    }
    if app != property::GLOBAL {
        let log = match key {
            "access-log-path" => "access",
            "error-log-path" => "error",
            _ => return Ok(default_of(key).to_string()),
        };
        let file = paths().logs_dir.join(format!("nginx/{app}-{log}.log"));
        return Ok(file.display().to_string());
    }
    Ok(default_of(key).to_string())
}

/// A global setting.
pub fn global(key: &str) -> Result<String> {
    get(property::GLOBAL, key)
}

/// The longest timeout accepted: 7 days.
const MAX_TIME_MS: u128 = 7 * 24 * 3600 * 1000;

/// The longest `proxy-connect-timeout` accepted: 75 s (nginx's own ceiling for it).
const MAX_CONNECT_MS: u128 = 75_000;

/// The largest `client-max-body-size` accepted: 1 TiB.
const MAX_SIZE: u128 = 1 << 40;

/// The largest proxy buffer size accepted: 1 GiB.
const MAX_BUFFER: u128 = 1 << 30;

/// An nginx time (`30s`, `1m30s`, `1h 30m`, `500ms`; a bare number is seconds) in milliseconds.
pub fn nginx_time_ms(v: &str) -> Option<u128> {
    let mut total: u128 = 0;
    let mut rest = v.trim();
    if rest.is_empty() || rest.len() != v.len() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return None;
        }
        let n: u128 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start_matches(' ');
        let ms: u128 = match unit {
            "ms" => 1,
            "" | "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "M" => 30 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        if unit.is_empty() && !rest.is_empty() {
            return None;
        }
        total = total.checked_add(n.checked_mul(ms)?)?;
    }
    Some(total)
}

/// An nginx size (`512`, `10k`, `1m`, `2g`) in bytes.
pub fn nginx_size(v: &str) -> Option<u128> {
    let (num, mult) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 1 << 10),
        b'm' | b'M' => (&v[..v.len() - 1], 1 << 20),
        b'g' | b'G' => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    if num.is_empty() || num.len() > 15 || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<u128>().ok()?.checked_mul(mult)
}

/// Whether `v` is an absolute path of letters, digits, `/`, `.`, `_` and `-` with no `..`.
fn plain_path(v: &str) -> bool {
    v.starts_with('/')
        && !v.split('/').any(|c| c == "..")
        && v.len() <= 1024
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
}

/// Whether `v` is a path relative to the repository: letters, digits, `/`, `.`, `_` and `-`,
/// no empty, `.` or `..` component.
fn relative_path(v: &str) -> bool {
    !v.starts_with('/')
        && v.len() <= 255
        && v.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
}

/// Whether `v` is an nginx header value of variables and plain characters (`$remote_addr`,
/// `$http_x_forwarded_for`, `https`): nothing that could end the directive.
fn header_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 200
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "$_.:,-".contains(c))
}

fn time_within(v: &str, zero_ok: bool, max: u128) -> bool {
    nginx_time_ms(v).is_some_and(|t| (zero_ok || t > 0) && t <= max)
}

/// Checks an `nginx:set` value before it is stored (one line naming the value, the key and what
/// is expected when it is refused): sizes and times in nginx's units within sane ranges,
/// booleans, `on`/`off`, addresses, paths, header values.
pub fn validate(key: &str, v: &str) -> Result<()> {
    const TIME: &str =
        "expected a time such as 60s, 5m or 1h30m (units ms s m h d w; more than 0, at most 7d)";
    const BOOL: &str = "expected true or false";
    const ON_OFF: &str = "expected on or off";
    const LOG: &str = "expected off or an absolute path of letters, digits, '/', '.', '_' and '-'";
    const ABS: &str = "expected an absolute path of letters, digits, '/', '.', '_' and '-'";
    let why = match key {
        "hsts" | "hsts-include-subdomains" | "hsts-preload" | "disable-custom-config" => {
            (v != "true" && v != "false").then_some(BOOL)
        }
        "proxy-buffering" | "underscore-in-headers" | "x-forwarded-ssl" => {
            (v != "on" && v != "off").then_some(ON_OFF)
        }
        "client-max-body-size" => nginx_size(v)
            .is_none_or(|n| n > MAX_SIZE)
            .then_some("expected a size such as 512, 10k, 50m or 1g (at most 1024g; 0 for no limit)"),
        "proxy-buffer-size" | "proxy-busy-buffers-size" => nginx_size(v)
            .is_none_or(|n| n == 0 || n > MAX_BUFFER)
            .then_some("expected a size such as 4k, 8k or 1m (more than 0, at most 1g)"),
        "proxy-buffers" => {
            let ok = v.split_once(' ').is_some_and(|(n, size)| {
                n.parse::<u32>().is_ok_and(|n| (1..=1024).contains(&n))
                    && !n.starts_with('+')
                    && nginx_size(size).is_some_and(|s| s > 0 && s <= MAX_BUFFER)
            });
            (!ok).then_some("expected a count and a size such as \"8 4k\" (1 to 1024 buffers of at most 1g)")
        }
        "proxy-keepalive" => (!v.bytes().all(|b| b.is_ascii_digit())
            || !v.parse::<u32>().is_ok_and(|n| (1..=10_000).contains(&n)))
        .then_some("expected a number of idle connections from 1 to 10000"),
        "hsts-max-age" => (v.is_empty()
            || v.len() > 10
            || !v.bytes().all(|b| b.is_ascii_digit()))
        .then_some("expected a number of seconds (digits only, at most 10 of them)"),
        "proxy-read-timeout" | "proxy-send-timeout" | "send-timeout" | "client-body-timeout"
        | "client-header-timeout" | "lingering-timeout" => {
            (!time_within(v, false, MAX_TIME_MS)).then_some(TIME)
        }
        "keepalive-timeout" => (!time_within(v, true, MAX_TIME_MS))
            .then_some("expected a time such as 75s or 2m (0 turns keep-alive off; at most 7d)"),
        "proxy-connect-timeout" => (!time_within(v, false, MAX_CONNECT_MS))
            .then_some("expected a time such as 1s, 500ms or 5s (more than 0, at most 75s)"),
        "http-port" | "https-port" => (!v.parse::<u16>().is_ok_and(|p| p > 0))
            .then_some("expected a port from 1 to 65535"),
        "bind-address-ipv4" => v
            .parse::<std::net::Ipv4Addr>()
            .is_err()
            .then_some("expected an IPv4 address"),
        "bind-address-ipv6" => ipv6_of(v)
            .is_none()
            .then_some("expected an IPv6 address such as :: or ::1 (brackets optional)"),
        "access-log-path" | "error-log-path" => (v != "off" && !plain_path(v)).then_some(LOG),
        "access-log-format" => (v.is_empty()
            || v.len() > 64
            || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some("expected the name of a log_format: letters, digits and '_'"),
        "nginx-conf-sigil-path" => (!relative_path(v)).then_some(
            "expected a path relative to the repository (letters, digits, '/', '.', '_' and '-'; no '..')",
        ),
        "x-forwarded-for-value" | "x-forwarded-port-value" | "x-forwarded-proto-value" => {
            (!header_value(v)).then_some(
                "expected an nginx variable or word such as $remote_addr or $http_x_forwarded_for (letters, digits, '$', '_', '.', ':', ',' and '-')",
            )
        }
        "nginx-service-command" => {
            use std::os::unix::fs::PermissionsExt;
            if !plain_path(v) {
                Some(ABS)
            } else {
                match std::fs::metadata(v) {
                    Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => None,
                    Ok(_) => Some("not an executable file"),
                    Err(_) => Some("no such file"),
                }
            }
        }
        "nginx-conf" => {
            if !plain_path(v) {
                Some(ABS)
            } else if !std::path::Path::new(v).is_file() {
                Some("no such file")
            } else if std::fs::File::open(v).is_err() {
                Some("the file cannot be read")
            } else {
                None
            }
        }
        "nginx-prefix" => {
            if !plain_path(v) {
                Some(ABS)
            } else if !std::path::Path::new(v).is_dir() {
                Some("no such folder")
            } else {
                None
            }
        }
        _ => Some("unknown property"),
    };
    if let Some(why) = why {
        bail!("invalid value {v:?} for nginx {key}: {why}");
    }
    Ok(())
}

/// The IPv6 address of a `bind-address-ipv6` value (brackets optional).
pub fn ipv6_of(v: &str) -> Option<std::net::Ipv6Addr> {
    let bare = v
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(v);
    bare.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for (k, v) in [
            ("proxy-buffers", "8 4k"),
            ("proxy-keepalive", "32"),
            ("bind-address-ipv6", "[::1]"),
            ("bind-address-ipv6", "::"),
            ("x-forwarded-for-value", "$http_x_forwarded_for"),
            ("nginx-conf-sigil-path", ".dokku/nginx.conf.sigil"),
            ("keepalive-timeout", "0"),
            ("access-log-format", "json_combined"),
            ("hsts-max-age", "31536000"),
        ] {
            assert!(validate(k, v).is_ok(), "{k} {v}");
        }
        for (k, v) in [
            ("proxy-buffers", "8"),
            ("proxy-buffers", "0 4k"),
            ("proxy-buffers", "8  4k"),
            ("proxy-keepalive", "0"),
            ("proxy-keepalive", "+3"),
            ("bind-address-ipv6", "1.2.3.4"),
            ("x-forwarded-for-value", "$remote_addr; evil"),
            ("x-forwarded-for-value", "\"x\""),
            ("nginx-conf-sigil-path", "/etc/passwd"),
            ("nginx-conf-sigil-path", "../x"),
            ("nginx-conf-sigil-path", "a//b"),
            ("send-timeout", "0s"),
            ("send-timeout", " 5s"),
            ("access-log-format", "a b"),
            ("hsts-preload", "yes"),
            ("x-forwarded-ssl", "true"),
            ("hsts-max-age", "-1"),
            ("error-log-path", "rel.log"),
        ] {
            assert!(validate(k, v).is_err(), "{k} {v}");
        }
    }
}
