//! Code health habits that show at the command line: a reader that goes away (`| head -1`)
//! ends a command quietly, in every Rust plugin alike (the plugin runtime handles it once).

use dokku_tests::Sandbox;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

/// `dokku apps:list | head -1` with 5,000 apps: the list is far larger than a pipe holds, so
/// the command writes into a closed pipe; it exits 0 and prints nothing on stderr.
#[test]
fn apps_list_into_a_closed_pipe_exits_quietly() {
    let sb = Sandbox::new();
    // An app is its folder: made directly, as `apps:create` 5,000 times would take minutes.
    // Long names, so that the list (about 200 KB) cannot fit in the pipe's 64 KB.
    let root = sb.dokku_root();
    for i in 0..5000 {
        std::fs::create_dir(root.join(format!("a-rather-long-app-name-for-the-list-{i:05}")))
            .unwrap();
    }
    let (first, err, code) = first_line(&sb, &["apps:list"]);
    assert_eq!(first, "=====> My Apps\n");
    assert_eq!(err, "", "nothing on stderr");
    assert_eq!(code, Some(0));
}

/// The same for `config:export` (config used to handle the broken pipe on its own): 200 KB of
/// values into `head -1`.
#[test]
fn config_export_into_a_closed_pipe_exits_quietly() {
    let sb = Sandbox::new();
    sb.dokku(&["apps:create", "piped"]).ok();
    let value = "v".repeat(10_000);
    let pairs: Vec<String> = (0..20).map(|i| format!("KEY_{i}={value}")).collect();
    let mut args = vec!["config:set", "--no-restart", "piped"];
    args.extend(pairs.iter().map(String::as_str));
    sb.dokku(&args).ok();
    let (first, err, code) = first_line(&sb, &["config:export", "piped"]);
    assert!(first.starts_with("export KEY_"), "{first:?}");
    assert_eq!(err, "", "nothing on stderr");
    assert_eq!(code, Some(0));
}

/// `dokku ARGS… | head -1`: the first line, stderr and the exit code.
fn first_line(sb: &Sandbox, args: &[&str]) -> (String, String, Option<i32>) {
    let mut child = sb
        .command(sb.dokku_root().parent().unwrap().join("bin/dokku"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        // `head -1`: one line read, then the reading end is closed.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (first, err, status.code())
}
