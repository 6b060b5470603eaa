//! The variables a custom `nginx.conf.sigil` sees, named as Dokku names them.

use crate::generate::{self, Inputs};
use dokku_core::paths;
use std::collections::BTreeMap;

/// The variables a custom `nginx.conf.sigil` may use.
pub fn template_vars(i: &Inputs) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    v.insert("APP", i.app.clone());
    v.insert("DOKKU_ROOT", paths().dokku_root.display().to_string());
    v.insert("NGINX_PORT", i.http_port.to_string());
    v.insert("NGINX_SSL_PORT", i.https_port.to_string());
    v.insert("NGINX_BIND_ADDRESS_IP4", i.bind.clone());
    v.insert("NOSSL_SERVER_NAME", i.domains.join(" "));
    v.insert("SSL_SERVER_NAME", i.domains.join(" "));
    v.insert("DOKKU_APP_WEB_LISTENERS", i.upstreams.join(" "));
    v.insert(
        "UPSTREAM_SERVERS",
        i.upstreams
            .iter()
            .map(|u| format!("server {u} {};", generate::UPSTREAM_SERVER_PARAMS))
            .collect::<Vec<_>>()
            .join(" "),
    );
    v.insert("NGINX_ACCESS_LOG_PATH", i.access_log.clone());
    v.insert("NGINX_ERROR_LOG_PATH", i.error_log.clone());
    v.insert("CLIENT_MAX_BODY_SIZE", i.client_max_body_size.clone());
    v.insert("PROXY_READ_TIMEOUT", i.proxy_read_timeout.clone());
    v.insert("PROXY_CONNECT_TIMEOUT", i.proxy_connect_timeout.clone());
    v
}
