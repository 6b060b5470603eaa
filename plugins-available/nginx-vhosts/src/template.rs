//! A custom `nginx.conf.sigil` from the app's repository, rendered with the subset of sigil this
//! project supports: `{{ $.NAME }}` / `{{ .NAME }}` replaced by a variable. Any other template
//! expression is refused by name, so a template never renders to something unintended.

use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// Renders `text` with `vars`.
pub fn render(text: &str, vars: &BTreeMap<&str, String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("nginx.conf.sigil: `{{{{` without `}}}}`");
        };
        let expr = after[..end].trim();
        let name = expr
            .strip_prefix("$.")
            .or_else(|| expr.strip_prefix('.'))
            .filter(|n| {
                n.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            });
        match name.and_then(|n| vars.get(n)) {
            Some(v) => out.push_str(v),
            None => bail!(
                "nginx.conf.sigil: unsupported expression {{{{ {expr} }}}}; supported: {{{{ $.NAME }}}} with NAME one of {}",
                vars.keys().copied().collect::<Vec<_>>().join(", ")
            ),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_only() {
        let mut v = BTreeMap::new();
        v.insert("APP", "web".to_string());
        v.insert("NGINX_PORT", "8080".to_string());
        assert_eq!(
            render("server { listen {{ $.NGINX_PORT }}; # {{.APP}}\n}", &v).unwrap(),
            "server { listen 8080; # web\n}"
        );
        for bad in [
            "{{ range .X }}",
            "{{ $.NOPE }}",
            "{{ .APP | upper }}",
            "{{ $.APP",
        ] {
            assert!(render(bad, &v).is_err(), "{bad}");
        }
    }
}
