//! The registry properties (`server`, `image-repo`, `image-repo-template`, `push-on-release`,
//! `push-extra-tags`, and the `tag-version` the plugin keeps), their checks and the values
//! computed from them as Dokku computes them.

use anyhow::{bail, Result};
use dokku_core::{docker, property};

/// The property plugin name.
pub const PROPS: &str = "registry";

/// The properties `registry:set` takes.
pub const KEYS: &[&str] = &[
    "image-repo",
    "image-repo-template",
    "push-extra-tags",
    "push-on-release",
    "server",
];

/// Properties that only exist globally.
pub const GLOBAL_ONLY: &[&str] = &["image-repo-template"];
/// Properties that only exist per app.
pub const APP_ONLY: &[&str] = &["image-repo"];

/// A property's own value at `scope` (an app or `--global`); empty when unset.
pub fn own(scope: &str, key: &str) -> Result<String> {
    Ok(property::get(PROPS, scope, key)?
        .map(|v| v.trim().to_string())
        .unwrap_or_default())
}

/// The app's value, else the global one; empty when neither is set.
pub fn app_or_global(app: &str, key: &str) -> Result<String> {
    let v = own(app, key)?;
    if !v.is_empty() {
        return Ok(v);
    }
    own(property::GLOBAL, key)
}

/// Checks a value for `key` before it is written.
pub fn validate(key: &str, value: &str) -> Result<()> {
    match key {
        "server" => validate_server(value),
        "image-repo" => validate_repo(value),
        "image-repo-template" => {
            let rendered = render_template(value, "app")?;
            validate_repo(&rendered).map_err(|_| {
                anyhow::anyhow!(
                    "invalid image-repo-template {value:?}: it must give an image repository such as my-company/{{{{ .AppName }}}}"
                )
            })
        }
        "push-on-release" => match value {
            "true" | "false" => Ok(()),
            _ => bail!("invalid push-on-release {value:?}: use true or false"),
        },
        "push-extra-tags" => {
            for t in value.split(',') {
                validate_tag(t).map_err(|_| {
                    anyhow::anyhow!(
                        "invalid push-extra-tags {value:?}: use image tags separated by commas, e.g. latest,stable"
                    )
                })?;
            }
            Ok(())
        }
        _ => bail!("invalid property {key:?}; valid: {}", KEYS.join(", ")),
    }
}

/// A registry server: `host[:port]`, host a DNS name or an IPv4 address.
pub fn validate_server(v: &str) -> Result<()> {
    let bad = || {
        anyhow::anyhow!(
            "invalid registry server {v:?}: use HOST or HOST:PORT, e.g. registry.example.com:5000"
        )
    };
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (v, None),
    };
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return Err(bad());
        }
    }
    if !dokku_core::hostname::is_dns_name(host) {
        return Err(bad());
    }
    Ok(())
}

/// An image repository path as docker names them: lowercase components of letters and digits
/// joined by `.`, `_`, `__` or dashes, separated by `/`.
pub fn validate_repo(v: &str) -> Result<()> {
    let component_ok = |c: &str| {
        let b = c.as_bytes();
        if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric()
        {
            return false;
        }
        let mut i = 0;
        while i < b.len() {
            let ch = b[i];
            if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
                i += 1;
                continue;
            }
            // A separator run: `.`, `_`, `__` or any number of `-`.
            let start = i;
            while i < b.len() && !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit()) {
                i += 1;
            }
            let sep = &c[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
            if !ok {
                return false;
            }
        }
        true
    };
    if v.is_empty() || v.len() > 255 || !v.split('/').all(component_ok) {
        bail!("invalid image-repo {v:?}: use an image repository such as my-company/node-js-app");
    }
    Ok(())
}

/// An image tag: letters, digits, `_`, `.`, `-`, not starting with `.` or `-`, at most 128.
pub fn validate_tag(v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && !v.starts_with(['.', '-'])
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        bail!("invalid image tag {v:?}");
    }
    Ok(())
}

/// Renders Dokku's `image-repo-template` (a Go template whose one field is `.AppName`):
/// `{{ .AppName }}` (spaces inside the braces optional) is replaced by the app name; any other
/// action is refused.
pub fn render_template(template: &str, app: &str) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("invalid image-repo-template {template:?}: unclosed {{{{");
        };
        let action = after[..end].trim();
        if action != ".AppName" {
            bail!("invalid image-repo-template {template:?}: the only field is {{{{ .AppName }}}}");
        }
        out.push_str(app);
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        bail!("invalid image-repo-template {template:?}: unopened }}}}");
    }
    out.push_str(rest);
    Ok(out.trim().to_string())
}

/// The registry server of an app as Dokku gives it to `deployed-app-repository`: the app's,
/// else the global one, without a trailing `/`, empty for Docker Hub, else ending with `/`.
pub fn server_prefix(app: &str) -> Result<String> {
    let v = app_or_global(app, "server")?;
    let v = v.trim_end_matches('/');
    if v.is_empty() || v == "hub.docker.com" || v == "docker.io" {
        return Ok(String::new());
    }
    Ok(format!("{v}/"))
}

/// The image repository the app's images get: `image-repo`, else the global template, else
/// `dokku/APP`.
pub fn computed_repo(app: &str) -> Result<String> {
    let own = own(app, "image-repo")?;
    if !own.is_empty() {
        return Ok(own);
    }
    let template = own_global("image-repo-template")?;
    if !template.is_empty() {
        let rendered = render_template(&template, app)?;
        if !rendered.is_empty() {
            return Ok(rendered);
        }
    }
    Ok(docker::app_repo(app))
}

fn own_global(key: &str) -> Result<String> {
    own(property::GLOBAL, key)
}

/// `push-on-release` as it applies to the app (app, else global, else `false`).
pub fn computed_push_on_release(app: &str) -> Result<String> {
    let v = app_or_global(app, "push-on-release")?;
    Ok(if v.is_empty() { "false".into() } else { v })
}

/// Whether the app's release images are pushed: `push-on-release` is true, or the app's
/// scheduler is not `docker-local` (a scheduler on other hosts can only pull).
pub fn push_enabled(app: &str) -> Result<bool> {
    if computed_push_on_release(app)? == "true" {
        return Ok(true);
    }
    Ok(dokku_core::scheduler(app)? != "docker-local")
}

/// The extra tags pushed with each release (app's, else global), validated.
pub fn extra_tags(app: &str) -> Result<Vec<String>> {
    let v = app_or_global(app, "push-extra-tags")?;
    if v.is_empty() {
        return Ok(Vec::new());
    }
    validate("push-extra-tags", &v)?;
    Ok(v.split(',').map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        for ok in [
            "ghcr.io",
            "127.0.0.1:5000",
            "registry.example.com:443",
            "localhost",
        ] {
            assert!(validate_server(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a b", "x/y", "h:", "h:0", "h:70000", "-h", "h..i", "h:5000/", "a;b", "[::1]:5",
        ] {
            assert!(validate_server(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repos() {
        for ok in [
            "dokku/app",
            "my-company/node-js-app",
            "a",
            "a__b/c.d",
            "a--b",
        ] {
            assert!(validate_repo(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "A/b", "a//b", "/a", "a/", "a:b", "a b", "-a", "a-", "a..b", "a___b", "../x",
        ] {
            assert!(validate_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates() {
        assert_eq!(
            render_template("co/{{ .AppName }}", "web").unwrap(),
            "co/web"
        );
        assert_eq!(
            render_template("co/{{.AppName}}-img", "web").unwrap(),
            "co/web-img"
        );
        assert_eq!(render_template("plain", "web").unwrap(), "plain");
        for bad in ["{{ .Other }}", "{{ .AppName", "x}}", "{{ printf \"x\" }}"] {
            assert!(render_template(bad, "web").is_err(), "{bad}");
        }
        assert!(validate("image-repo-template", "co/{{ .AppName }}").is_ok());
        assert!(validate("image-repo-template", "Co/{{ .AppName }}").is_err());
    }

    #[test]
    fn tags_and_booleans() {
        assert!(validate("push-extra-tags", "latest,stable-1.2").is_ok());
        for bad in ["", "latest,", ",x", "a b", ".x", "a:b"] {
            assert!(validate("push-extra-tags", bad).is_err(), "{bad}");
        }
        assert!(validate("push-on-release", "true").is_ok());
        assert!(validate("push-on-release", "yes").is_err());
    }
}
