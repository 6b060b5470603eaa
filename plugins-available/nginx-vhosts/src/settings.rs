//! The nginx settings (`nginx:set`): per app with a global fallback, and the global ones that
//! say where this installation's nginx is and which ports stand for 80 and 443.

use anyhow::Result;
use dokku_core::property;

/// The property plugin name of nginx settings.
pub const PROPS: &str = "nginx";

/// Per-app settings (also settable globally) and their defaults.
pub const APP_KEYS: &[(&str, &str)] = &[
    ("access-log-path", ""),
    ("bind-address-ipv4", ""),
    ("client-max-body-size", "1m"),
    ("hsts", "true"),
    ("proxy-connect-timeout", "1s"),
    ("proxy-read-timeout", "60s"),
];

/// Global-only settings: the ports standing for 80 and 443, the nginx config and prefix to
/// test and reload (empty: the system nginx).
pub const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("http-port", "80"),
    ("https-port", "443"),
    ("nginx-conf", ""),
    ("nginx-prefix", ""),
];

/// A setting: the app's, else the global one, else its default.
pub fn get(app: &str, key: &str) -> Result<String> {
    for scope in [app, property::GLOBAL] {
        if let Some(v) = property::get(PROPS, scope, key)?.filter(|v| !v.is_empty()) {
            return Ok(v);
        }
    }
    Ok(APP_KEYS
        .iter()
        .chain(GLOBAL_KEYS)
        .find(|(k, _)| *k == key)
        .map(|(_, d)| d.to_string())
        .unwrap_or_default())
}

/// A global setting.
pub fn global(key: &str) -> Result<String> {
    get(property::GLOBAL, key)
}
