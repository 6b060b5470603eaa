//! The events log: on/off, Dokku's syslog line, `dokku events [-t]` (following across a
//! rotation), and whole lines with many writers at once.

use dokku_tests::Sandbox;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn log(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.logs_dir().join("events.log")).unwrap_or_default()
}

#[test]
fn off_by_default_then_every_trigger_is_logged() {
    let sb = Sandbox::new();
    sb.plugn(&["trigger", "my-trigger", "a"]).ok();
    assert_eq!(log(&sb), "");
    sb.dokku(&["events:on"])
        .ok()
        .out_has("Enabling dokku events logger");
    sb.plugn(&["trigger", "my-trigger", "a b", "c"]).ok();
    let text = log(&sb);
    let line = text.lines().last().unwrap();
    let re = regex_lite(line);
    assert!(re, "bad line: {line}");
    assert!(
        line.contains("INVOKED: my-trigger( a b c ) NAME=default FINGERPRINT= DOKKU_PID="),
        "{line}"
    );
    sb.dokku(&["events:off"]).ok();
    sb.plugn(&["trigger", "after-off"]).ok();
    assert!(!log(&sb).contains("after-off"));
}

/// `Mon DD HH:MM:SS HOST dokku-event[PID]: INVOKED: …` without a regex crate.
fn regex_lite(line: &str) -> bool {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = line.as_bytes();
    months.iter().any(|m| line.starts_with(m))
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && &line[6..7] == " "
        && line[7..15].chars().filter(|c| *c == ':').count() == 2
        && line.contains(" dokku-event[")
        && line.contains("]: INVOKED: ")
}

#[test]
fn user_name_and_fingerprint_reach_the_log() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    let mut c = sb.command(sb.root.join("bin/plugn"));
    c.args(["trigger", "t1"])
        .env("NAME", "alice")
        .env("FINGERPRINT", "SHA256:abc")
        .env("DOKKU_PID", "4242");
    sb.run(c, b"").ok();
    assert!(
        log(&sb).contains("INVOKED: t1(  ) NAME=alice FINGERPRINT=SHA256:abc DOKKU_PID=4242"),
        "{}",
        log(&sb)
    );
}

#[test]
fn triggers_fired_by_plugins_are_logged_too() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "nested",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"n\"\nversion = \"1\"\n",
            ),
            (
                "subcommands/default",
                "#!/bin/sh\nplugn trigger inner-trigger x\n",
            ),
            ("inner-trigger", "#!/bin/sh\necho inner \"$@\"\n"),
        ],
    );
    sb.dokku(&["events:on"]).ok();
    sb.dokku(&["nested"]).ok().out_has("inner x");
    assert!(log(&sb).contains("INVOKED: inner-trigger( x )"));
    sb.dokku(&["events:list"]).ok().out_has("inner-trigger");
}

#[test]
fn events_prints_the_last_100_lines() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.logs_dir()).unwrap();
    let text: String = (0..150).map(|i| format!("line {i}\n")).collect();
    std::fs::write(sb.logs_dir().join("events.log"), text).unwrap();
    let out = sb.dokku(&["events"]).ok();
    assert_eq!(out.stdout.lines().count(), 100);
    assert!(out.stdout.starts_with("line 50\n"));
    sb.dokku(&["events", "--bogus"])
        .fails()
        .err_has("unknown argument");
}

#[test]
fn many_writers_never_interleave_or_lose_lines() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    let writers = 20;
    let per = 25;
    let mut children = Vec::new();
    for w in 0..writers {
        let script = format!(
            "for i in $(seq 1 {per}); do plugn trigger load-{w} \"arg-$i-{}\"; done",
            "x".repeat(300)
        );
        let mut c = sb.command("bash");
        c.arg("-c").arg(script).stdout(Stdio::null());
        children.push(c.spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let text = log(&sb);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), writers * per);
    for l in &lines {
        assert!(
            regex_lite(l) && l.matches("INVOKED").count() == 1,
            "torn line: {l}"
        );
        assert!(l.contains(&"x".repeat(300)), "torn line: {l}");
    }
}

/// Lines of a child's stdout, read on a thread so that waiting for one is bounded in time.
fn line_channel(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to 20 s for a line holding `needle`.
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn follow_sees_new_lines_across_a_rotation() {
    let sb = Sandbox::new();
    sb.dokku(&["events:on"]).ok();
    sb.plugn(&["trigger", "before-follow"]).ok();
    let mut c = sb.command(sb.root.join("bin/dokku"));
    c.args(["events", "-t"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null());
    let mut child = c.spawn().unwrap();
    let rx = line_channel(child.stdout.take().unwrap());
    // Written right away, possibly before the follower has printed the tail: never lost.
    sb.plugn(&["trigger", "while-starting"]).ok();
    let mut seen = vec![];
    for needle in ["before-follow", "while-starting"] {
        seen.push((needle, wait_for(&rx, needle)));
    }
    sb.plugn(&["trigger", "while-following"]).ok();
    seen.push(("while-following", wait_for(&rx, "while-following")));
    // Rotate as logrotate does: rename away, then new writes create a new file.
    let log_path = sb.logs_dir().join("events.log");
    std::fs::rename(&log_path, sb.logs_dir().join("events.log.1")).unwrap();
    sb.plugn(&["trigger", "after-rotation"]).ok();
    seen.push(("after-rotation", wait_for(&rx, "after-rotation")));
    sb.plugn(&["trigger", "after-rotation-2"]).ok();
    seen.push(("after-rotation-2", wait_for(&rx, "after-rotation-2")));
    child.kill().unwrap();
    let _ = child.wait();
    assert!(seen.iter().all(|(_, ok)| *ok), "missed lines: {seen:?}");
}

#[test]
fn events_list_says_when_off() {
    let sb = Sandbox::new();
    sb.dokku(&["events:list"])
        .ok()
        .err_has("Events logger disabled");
    sb.dokku(&["events:on", "extra"]).fails();
}
