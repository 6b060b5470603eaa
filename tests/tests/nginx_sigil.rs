//! Custom `nginx.conf.sigil` templates written as Dokku's docs show them (the structure of
//! Dokku's default template: `range` over the port maps, `split`/`index`, `if`/`else if`/`else`,
//! `and`/`eq`/`ne`, comments, trimming, `var`, `default`, `upper`), rendered for a real nginx:
//! the config `nginx:show-config` shows, `nginx -t`, the app answering through nginx; a broken
//! template refused with one line naming its line, the previous config still serving.

use dokku_tests::Sandbox;

/// A trimmed copy of the structure of Dokku's default template, with a header showing which
/// template answered, an app config value (`var`) and `nginx:set` values. The upstream is
/// written as Dokku's default writes it, the listener's address with the container port
/// (`server {{ $listener_ip }}:{{ $upstream_port }};`), and must reach the published port.
const TEMPLATE: &str = r#"{{ range $port_map := .PROXY_PORT_MAP | split " " }}
{{ $port_map_list := $port_map | split ":" }}
{{ $scheme := index $port_map_list 0 }}
{{ $listen_port := index $port_map_list 1 }}
{{ $upstream_port := index $port_map_list 2 }}

{{ if eq $scheme "http" }}
server {
  listen      [{{ $.NGINX_BIND_ADDRESS_IP6 }}]:{{ $listen_port }};
  listen      {{ if $.NGINX_BIND_ADDRESS_IP4 }}{{ $.NGINX_BIND_ADDRESS_IP4 }}:{{end}}{{ $listen_port }};
  {{ if $.NOSSL_SERVER_NAME }}server_name {{ $.NOSSL_SERVER_NAME }}; {{ end }}
  access_log  {{ $.NGINX_ACCESS_LOG_PATH }}{{ if and ($.NGINX_ACCESS_LOG_FORMAT) (ne $.NGINX_ACCESS_LOG_PATH "off") }} {{ $.NGINX_ACCESS_LOG_FORMAT }}{{ end }};
  error_log   {{ $.NGINX_ERROR_LOG_PATH }};
{{ if (and (eq $listen_port "80") ($.SSL_INUSE)) }}
  location / {
    return 301 https://$host:{{ $.PROXY_SSL_PORT }}$request_uri;
  }
{{ else }}
  location    / {
    {{/* which template answered, and an app config value */}}
    add_header X-Sigil "{{ $.APP | upper }} {{ var "GREETING" | default "none" }}";
    proxy_pass  http://{{ $.APP }}-{{ $upstream_port }};
    proxy_http_version 1.1;
    proxy_read_timeout {{ $.PROXY_READ_TIMEOUT }};
    proxy_buffer_size {{ $.PROXY_BUFFER_SIZE }};
    proxy_buffering {{ $.PROXY_BUFFERING }};
    proxy_buffers {{ $.PROXY_BUFFERS }};
    proxy_busy_buffers_size {{ $.PROXY_BUSY_BUFFERS_SIZE }};
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $http_connection;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For {{ $.PROXY_X_FORWARDED_FOR }};
    proxy_set_header X-Forwarded-Port {{ $.PROXY_X_FORWARDED_PORT }};
    proxy_set_header X-Forwarded-Proto {{ $.PROXY_X_FORWARDED_PROTO }};
    proxy_set_header X-Request-Start $msec;
    {{ if $.PROXY_X_FORWARDED_SSL }}proxy_set_header X-Forwarded-Ssl {{ $.PROXY_X_FORWARDED_SSL }};{{ end }}
  }

  {{ if $.CLIENT_MAX_BODY_SIZE }}client_max_body_size {{ $.CLIENT_MAX_BODY_SIZE }};{{ end }}
{{ end }}
  include {{ $.DOKKU_ROOT }}/{{ $.APP }}/nginx.conf.d/*.conf;
}
{{ else if eq $scheme "https"}}
server {
  listen      {{ if $.NGINX_BIND_ADDRESS_IP4 }}{{ $.NGINX_BIND_ADDRESS_IP4 }}:{{end}}{{ $listen_port }} ssl;
  ssl_certificate     {{ $.APP_SSL_PATH }}/server.crt;
  ssl_certificate_key {{ $.APP_SSL_PATH }}/server.key;
  location / { proxy_pass http://{{ $.APP }}-{{ $upstream_port }}; }
}
{{ end }}{{ end }}

{{ if $.DOKKU_APP_WEB_LISTENERS }}
{{ range $upstream_port := $.PROXY_UPSTREAM_PORTS | split " " }}
upstream {{ $.APP }}-{{ $upstream_port }} {
{{ range $listeners := $.DOKKU_APP_WEB_LISTENERS | split " " }}
{{- $listener_list := $listeners | split ":" }}
{{- $listener_ip := index $listener_list 0 }}
  server {{ $listener_ip }}:{{ $upstream_port }};{{ end }}
  {{ if $.PROXY_KEEPALIVE }}keepalive {{ $.PROXY_KEEPALIVE }};{{ end }}
}
{{ end }}{{ end }}
"#;

/// `curl` to 127.0.0.1 only: the status and the answer with its headers.
fn get(sb: &Sandbox, host: &str) -> (String, String) {
    let url = format!("http://127.0.0.1:{}/", sb.http_port());
    dokku_tests::curl_host(&url, host, &[])
}

#[test]
fn a_template_written_as_dokkus_renders_passes_nginx_and_serves_and_a_broken_one_is_refused() {
    let sb = Sandbox::with_nginx();
    sb.quick_deploys();
    let app = sb.unique_app("sg");
    let host = format!("{app}.dokku.localhost");
    let dockerfile = dokku_tests::docker::web_dockerfile("sigil");
    sb.dokku(&["apps:create", &app]).ok();
    sb.dokku(&["config:set", "--no-restart", &app, "GREETING=hello"])
        .ok();
    sb.dokku(&["nginx:set", &app, "proxy-buffer-size", "8k"])
        .ok();
    sb.deploy_source(
        &app,
        &[("Dockerfile", &dockerfile), ("nginx.conf.sigil", TEMPLATE)],
    )
    .ok();
    let config = sb.dokku(&["nginx:show-config", &app]).ok().stdout;
    let upper = app.to_uppercase();
    for needle in [
        format!("listen      127.0.0.1:{};", sb.http_port()),
        format!("listen      [::1]:{};", sb.http_port()),
        format!("server_name {host};"),
        format!("add_header X-Sigil \"{upper} hello\";"),
        format!("proxy_pass  http://{app}-5000;"),
        format!("upstream {app}-5000 {{\n\n  server 127.0.0.1:"),
        "proxy_buffer_size 8k;".to_string(),
        "proxy_buffers 8 4k;".to_string(),
        "proxy_set_header X-Forwarded-For $remote_addr;".to_string(),
        "client_max_body_size 1m;".to_string(),
    ] {
        assert!(config.contains(&needle), "{needle:?} not in:\n{config}");
    }
    // Dokku's `$listener_ip:$upstream_port` reaches the published port, not 127.0.0.1:5000.
    let published = format!("server 127.0.0.1:{};", sb.web_port(&app, "web.1"));
    assert!(
        config.contains(&published),
        "{published:?} not in:\n{config}"
    );
    assert!(!config.contains("server 127.0.0.1:5000;"), "{config}");
    for absent in [
        "{{",
        "}}",
        "X-Forwarded-Ssl",
        "keepalive ",
        "return 301",
        "\n\n\n",
    ] {
        assert!(!config.contains(absent), "{absent:?} in:\n{config}");
    }
    sb.dokku(&["nginx:validate-config", &app]).ok();
    let (status, text) = get(&sb, &host);
    assert_eq!(status, "200", "{text}");
    assert!(text.contains(&format!("X-Sigil: {upper} hello")), "{text}");
    assert!(text.ends_with("sigil\n"), "{text}");

    // Broken templates: refused with one line naming the template's line; the previous
    // config keeps serving.
    for (broken, needle) in [
        (
            "server {\n  listen {{ $.PROXY_PORT }};\n  {{ sh \"id\" }}\n}\n".to_string(),
            "nginx.conf.sigil line 3: unsupported expression: function \"sh\" is not defined",
        ),
        (
            TEMPLATE.replacen("{{ end }}{{ end }}\n", "{{ end }}\n", 1),
            "nginx.conf.sigil line 1: {{ range }} without {{ end }}",
        ),
    ] {
        let out = sb
            .deploy_source(
                &app,
                &[
                    ("Dockerfile", &dokku_tests::docker::web_dockerfile("broken")),
                    ("nginx.conf.sigil", &broken),
                ],
            )
            .fails();
        let lines: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("nginx.conf.sigil"))
            .collect();
        assert_eq!(lines.len(), 1, "{out:#?}");
        assert!(
            lines[0].contains(needle),
            "{needle:?} not in {:?}",
            lines[0]
        );
        assert_eq!(sb.dokku(&["nginx:show-config", &app]).ok().stdout, config);
        let (status, text) = get(&sb, &host);
        assert_eq!(status, "200", "{text}");
        assert!(
            text.contains("X-Sigil") && text.ends_with("sigil\n"),
            "{text}"
        );
    }
}
