//! A custom `nginx.conf.sigil`, rendered as Dokku renders it with sigil: Go's `text/template`
//! language (text and `{{ … }}` actions, `{{-`/`-}}` trimming, `{{/* */}}` comments, `.VAR` and
//! `$.VAR`, `$x := …` and `$x = …`, pipes, parenthesised calls, `if`/`else if`/`else`, `range`
//! (one or two variables, `else`, `break`, `continue`), `with`), Go's functions and sigil's
//! string and list helpers (see `funcs`), then repeated blank lines squeezed (Dokku pipes
//! sigil's output through `cat -s`). An unknown function, a syntax error or a failing call is
//! one error naming its line; nothing is rendered then.

mod eval;
mod funcs;
mod lex;
mod parse;

use anyhow::{anyhow, bail, Result};
use parse::{Arg, Node, Pipe};
use std::collections::BTreeMap;

/// What a template sees: its variables (`.NAME`, `$.NAME`) and the environment `var "NAME"`
/// reads (the app's config).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The template variables.
    pub vars: BTreeMap<String, String>,
    /// The values `var` reads.
    pub env: BTreeMap<String, String>,
}

/// Renders `text` with `cx`.
pub fn render(text: &str, cx: &Context) -> Result<String> {
    let nodes = lex::segments(text)
        .and_then(parse::parse)
        .and_then(|nodes| check(&nodes, false).map(|_| nodes))
        .map_err(|e| anyhow!("nginx.conf.sigil {e:#}"))?;
    let out = eval::run(&nodes, cx).map_err(|e| anyhow!("nginx.conf.sigil {e:#}"))?;
    Ok(squeeze_blank_lines(&out))
}

/// Refuses, before anything runs, a function that does not exist and a `break`/`continue`
/// outside `range` (as Go does when parsing).
fn check(nodes: &[Node], in_range: bool) -> Result<()> {
    fn pipe(p: &Pipe) -> Result<()> {
        for cmd in &p.cmds {
            for a in cmd {
                match a {
                    Arg::Func(name) if !funcs::NAMES.contains(&name.as_str()) => bail!(
                        "line {}: unsupported expression: function {name:?} is not defined (nginx.conf.sigil supports {})",
                        p.line,
                        funcs::NAMES.join(" ")
                    ),
                    Arg::Sub(p) => pipe(p)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }
    for n in nodes {
        match n {
            Node::Text(_) => {}
            Node::Break(line) | Node::Continue(line) => {
                if !in_range {
                    bail!("line {line}: {{{{ break }}}} or {{{{ continue }}}} outside {{{{ range }}}}");
                }
            }
            Node::Action(p, _) => pipe(p)?,
            Node::If(branches, other, _) => {
                for (p, body) in branches {
                    pipe(p)?;
                    check(body, in_range)?;
                }
                check(other, in_range)?;
            }
            Node::Range(p, body, other, _) => {
                pipe(p)?;
                check(body, true)?;
                check(other, in_range)?;
            }
            Node::With(p, body, other, _) => {
                pipe(p)?;
                check(body, in_range)?;
                check(other, in_range)?;
            }
        }
    }
    Ok(())
}

/// `cat -s`: runs of empty lines become one.
fn squeeze_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.split_inclusive('\n') {
        let empty = line == "\n";
        if !(empty && blank) {
            out.push_str(line);
        }
        blank = empty;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context {
        let mut cx = Context::default();
        for (k, v) in [
            ("APP", "web"),
            ("NGINX_PORT", "8080"),
            ("PROXY_PORT_MAP", "http:80:5000 https:443:5000"),
            ("PROXY_UPSTREAM_PORTS", "5000"),
            ("DOKKU_APP_WEB_LISTENERS", "127.0.0.1:40001 127.0.0.1:40002"),
            ("SSL_INUSE", "true"),
            ("EMPTY", ""),
            ("NGINX_BIND_ADDRESS_IP4", ""),
        ] {
            cx.vars.insert(k.into(), v.into());
        }
        cx.env.insert("FOO".into(), "bar".into());
        cx
    }

    fn r(t: &str) -> String {
        render(t, &cx()).unwrap_or_else(|e| panic!("{t}: {e:#}"))
    }

    fn err(t: &str) -> String {
        format!("{:#}", render(t, &cx()).expect_err(t))
    }

    #[test]
    fn variables_and_fields() {
        assert_eq!(
            r("server { listen {{ $.NGINX_PORT }}; # {{.APP}}\n}"),
            "server { listen 8080; # web\n}"
        );
        assert_eq!(
            r("{{ $x := .APP }}{{ $x }}-{{ $x = \"b\" }}{{ $x }}"),
            "web-b"
        );
        assert!(err("{{ $.NOPE }}").contains("line 1: NOPE is not a variable"));
        assert!(err("{{ $y }}").contains("undefined variable: $y"));
        assert!(err("{{ .APP.X }}").contains("can't evaluate field X in type string"));
    }

    #[test]
    fn literals_and_printing() {
        assert_eq!(
            r(r#"{{ "a\tb" }}|{{ `raw\n` }}|{{ 42 }}|{{ -1.5 }}|{{ true }}|{{ 'a' }}|{{ 0x10 }}"#),
            "a\tb|raw\\n|42|-1.5|true|97|16"
        );
        assert_eq!(
            r(r#"{{ printf "%s:%d %5s|%-3d|%03d %q %v %%" .APP 80 "x" 7 5 "q" 1.5 }}"#),
            "web:80     x|7  |005 \"q\" 1.5 %"
        );
        assert_eq!(r(r#"{{ print 1 2 "a" "b" 3 }}"#), "1 2ab3");
        assert_eq!(r(r#"{{ println "a" 1 }}"#), "a 1\n");
        assert_eq!(r(r#"{{ .PROXY_UPSTREAM_PORTS | split " " }}"#), "[5000]");
    }

    #[test]
    fn if_else_if_else_and_comparisons() {
        let t = r#"{{ range $m := .PROXY_PORT_MAP | split " " }}{{ $l := $m | split ":" }}{{ $s := index $l 0 }}{{ if eq $s "http" }}H{{ index $l 1 }}{{ else if eq $s "https"}}S{{ else }}?{{ end }};{{ end }}"#;
        assert_eq!(r(t), "H80;S;");
        assert_eq!(r("{{ if .EMPTY }}y{{ else }}n{{ end }}"), "n");
        assert_eq!(r("{{ if .MISSING }}y{{ else }}n{{ end }}"), "n");
        assert_eq!(
            r("{{ if (and (eq .APP \"web\") ($.SSL_INUSE)) }}y{{ end }}"),
            "y"
        );
        assert_eq!(
            r("{{ if and .SSL_INUSE (ne .APP \"web\") }}y{{ else }}n{{ end }}"),
            "n"
        );
        assert_eq!(
            r("{{ or .EMPTY \"dflt\" }}|{{ and .APP .EMPTY }}|{{ not .EMPTY }}"),
            "dflt||true"
        );
        assert_eq!(r("{{ if eq .APP \"x\" \"web\" }}any{{ end }}"), "any");
        assert_eq!(r("{{ if lt 1 2 }}a{{ end }}{{ if ge \"b\" \"a\" }}b{{ end }}{{ if le 2.5 2.0 }}c{{ end }}{{ if gt 3 2 }}d{{ end }}"), "abd");
        assert_eq!(r("{{ if eq .MISSING \"true\" }}y{{ else }}n{{ end }}"), "n");
        assert!(err("{{ if eq .NGINX_PORT 8080 }}{{ end }}")
            .contains("incompatible types for comparison"));
    }

    #[test]
    fn range_forms() {
        let t = "{{ range $listeners := $.DOKKU_APP_WEB_LISTENERS | split \" \" }}{{ $listener_list := $listeners | split \":\" }}{{ $listener_ip := index $listener_list 0 }}{{ $listener_port := index $listener_list 1 }}server {{ $listener_ip }}:{{ $listener_port }};{{ end }}";
        assert_eq!(r(t), "server 127.0.0.1:40001;server 127.0.0.1:40002;");
        assert_eq!(
            r("{{ range $i, $p := split \" \" \"a b c\" }}{{ $i }}={{ $p }},{{ end }}"),
            "0=a,1=b,2=c,"
        );
        assert_eq!(
            r("{{ range split \",\" \"x,y\" }}<{{ . }}>{{ end }}"),
            "<x><y>"
        );
        assert_eq!(
            r("{{ range $x := .MISSING }}a{{ else }}none{{ end }}"),
            "none"
        );
        assert_eq!(r("{{ range $i := 5 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}"), "02");
        // Inside range, `.` is the element: `.APP` is an error, `$.APP` the variable.
        assert!(err("{{ range split \" \" \"a\" }}{{ .APP }}{{ end }}")
            .contains("can't evaluate field APP"));
        assert_eq!(
            r("{{ range split \" \" \"a\" }}{{ $.APP }}{{ end }}"),
            "web"
        );
        // Variables declared inside a range end with it.
        assert!(
            err("{{ range $x := split \" \" \"a\" }}{{ $y := 1 }}{{ end }}{{ $y }}")
                .contains("undefined variable: $y")
        );
        assert_eq!(
            r("{{ $n := 0 }}{{ range split \" \" \"a b\" }}{{ $n = . }}{{ end }}{{ $n }}"),
            "b"
        );
        assert_eq!(
            r("{{ with .APP }}<{{ . }}>{{ end }}{{ with .EMPTY }}x{{ else }}empty{{ end }}"),
            "<web>empty"
        );
    }

    #[test]
    fn trimming_and_comments() {
        assert_eq!(r("a  {{- .APP -}}  \n b"), "awebb");
        assert_eq!(r("a {{/* note */}}b"), "a b");
        assert_eq!(r("a \n{{- /* note */ -}}\n b"), "ab");
        assert_eq!(r("x {{-3}}"), "x -3");
        // Runs of blank lines are squeezed, as Dokku's `cat -s`.
        assert_eq!(r("a\n{{ if .EMPTY }}x{{ end }}\n\n\nb\n"), "a\n\nb\n");
    }

    #[test]
    fn sigil_functions() {
        assert_eq!(
            r(r#"{{ .EMPTY | default "x" }} {{ $.APP | default "x" }} {{ default "d" .MISSING }}"#),
            "x web d"
        );
        assert_eq!(r(r#"{{ var "FOO" }}|{{ var "NONE" }}"#), "bar|");
        assert_eq!(
            r(r#"{{ exists "/" }} {{ exists "/no/such/file" }}"#),
            "true false"
        );
        assert_eq!(r(r#"{{ split ":" "a:b" | join "-" }}"#), "a-b");
        assert_eq!(
            r(
                r#"{{ .APP | replace "w" "W" | upper }} {{ "ABC" | lower }} {{ "  x \n" | trim }} {{ "hello world" | capitalize }}"#
            ),
            "WEB abc x Hello World"
        );
        assert_eq!(
            r(r#"{{ "abcdef" | substr "1:3" }} {{ "a\nb" | indent "  " }}"#),
            "bc a\n  b"
        );
        assert_eq!(
            r(r#"{{ match "web*" .APP }} {{ match "x?" .APP }}"#),
            "true false"
        );
        assert_eq!(
            r(
                r#"{{ seq 3 | join "," }} {{ uniq (split " " "a b a") | join "," }} {{ split " " "a b c" | drop "b" | join "," }} {{ split " " "a" | append "z" | join "," }}"#
            ),
            "0,1,2 a,b a,c a,z"
        );
        assert_eq!(
            r(
                r#"{{ range $k, $v := splitkv "=" (split " " "a=1 b=2") }}{{ $k }}{{ $v }}{{ end }}"#
            ),
            "a1b2"
        );
        assert_eq!(
            r(
                r#"{{ len .APP }} {{ len (split " " .PROXY_PORT_MAP) }} {{ index .APP 0 }} {{ slice .APP 1 }} {{ index $ "APP" }}"#
            ),
            "3 2 119 eb web"
        );
    }

    #[test]
    fn errors_name_the_line() {
        for (t, needle) in [
            (
                "a\n{{ sh \"id\" }}",
                "line 2: unsupported expression: function \"sh\" is not defined",
            ),
            (
                "a\nb\n{{ if .APP }}x{{ if false }}{{ end }}{{ sh \"x\" }}{{ end }}",
                "line 3: unsupported expression: function \"sh\"",
            ),
            (
                "{{ range $x := .Y }}\n",
                "line 1: {{ range }} without {{ end }}",
            ),
            ("x\n{{ end }}", "line 2: unexpected {{ end }}"),
            (
                "{{ if .APP }}\n{{ else }}{{ else }}{{ end }}",
                "line 2: {{ else }} after the final {{ else }}",
            ),
            ("{{ .APP ", "line 1: unclosed action"),
            ("\n\n{{ \"abc }}", "line 3: unterminated quoted string"),
            ("{{ (index .APP }}", "line 1: unclosed left paren"),
            ("{{ .APP | }}", "line 1: missing command after `|`"),
            ("{{ }}", "line 1: missing value for command"),
            (
                "{{ break }}",
                "line 1: {{ break }} or {{ continue }} outside {{ range }}",
            ),
            (
                "{{ template \"x\" }}",
                "line 1: {{ template }} is not supported",
            ),
            (
                "a\n{{ index (split \":\" \"a:b\") 2 }}",
                "line 2: error calling index: index out of range: 2",
            ),
            (
                "{{ .APP 1 }}",
                "line 1: can't give an argument to a non-function",
            ),
            ("{{ split 1 .APP }}", "line 1: split must be given a string"),
            ("{{/* open", "line 1: unclosed comment"),
        ] {
            let e = err(t);
            assert!(e.starts_with("nginx.conf.sigil line "), "{t}: {e}");
            assert!(e.contains(needle), "{t}: {e}");
            assert!(!e.contains('\n'), "{t}: {e}");
        }
    }

    /// The structure of Dokku's default template, trimmed, renders as nginx needs it.
    #[test]
    fn dokku_default_template_structure() {
        let t = r#"{{ range $port_map := .PROXY_PORT_MAP | split " " }}
{{ $port_map_list := $port_map | split ":" }}
{{ $scheme := index $port_map_list 0 }}
{{ $listen_port := index $port_map_list 1 }}
{{ $upstream_port := index $port_map_list 2 }}

{{ if eq $scheme "http" }}
server {
  listen      {{ if $.NGINX_BIND_ADDRESS_IP4 }}{{ $.NGINX_BIND_ADDRESS_IP4 }}:{{end}}{{ $listen_port }};
{{ if (and (eq $listen_port "80") ($.SSL_INUSE)) }}
  return 301 https://$host$request_uri;
{{ else }}
  location / { proxy_pass http://{{ $.APP }}-{{ $upstream_port }}; }
{{ end }}
}
{{ else if eq $scheme "https"}}
server { listen {{ $listen_port }} ssl; }
{{ end }}{{ end }}

{{ if $.DOKKU_APP_WEB_LISTENERS }}
{{ range $upstream_port := $.PROXY_UPSTREAM_PORTS | split " " }}
upstream {{ $.APP }}-{{ $upstream_port }} {
{{ range $listeners := $.DOKKU_APP_WEB_LISTENERS | split " " }}
{{ $listener_list := $listeners | split ":" }}
{{ $listener_ip := index $listener_list 0 }}
  server {{ $listener_ip }}:{{ $upstream_port }};{{ end }}
}
{{ end }}{{ end }}
"#;
        let out = r(t);
        assert!(
            out.contains(
                "server {\n  listen      80;\n\n  return 301 https://$host$request_uri;\n\n}"
            ),
            "{out}"
        );
        assert!(out.contains("server { listen 443 ssl; }"), "{out}");
        assert!(
            out.contains(
                "upstream web-5000 {\n\n  server 127.0.0.1:5000;\n\n  server 127.0.0.1:5000;\n}"
            ),
            "{out}"
        );
        assert!(!out.contains("\n\n\n"), "{out}");
        // The inline forms of the default template, with no space before `}}`.
        let mut c = cx();
        for (k, v) in [
            ("HTTP2_SUPPORTED", "true"),
            ("SPDY_SUPPORTED", "false"),
            ("GRPC_SUPPORTED", "true"),
        ] {
            c.vars.insert(k.into(), v.into());
        }
        let t = r#"listen {{ if $.NGINX_BIND_ADDRESS_IP4 }}{{ $.NGINX_BIND_ADDRESS_IP4 }}:{{end}}443 ssl {{ if eq $.HTTP2_SUPPORTED "true" }}http2{{ else if eq $.SPDY_SUPPORTED "true" }}spdy{{ end }};{{ if and (eq $.SPDY_SUPPORTED "true") (ne $.HTTP2_SUPPORTED "true") }}spdy{{ end }}{{ if eq "grpc" "grpc"}}{{ if eq $.GRPC_SUPPORTED "true"}}{{ if eq $.HTTP2_SUPPORTED "true"}} grpc{{ end }}{{ end }}{{ end }}"#;
        assert_eq!(render(t, &c).unwrap(), "listen 443 ssl http2; grpc");
    }
}
