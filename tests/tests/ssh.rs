//! dokku over a real (private) sshd: commands run through the forced command that ssh-keys
//! writes, shell operators are refused rather than run, only added keys get in, `user-auth`
//! can refuse a command, the key's NAME and FINGERPRINT reach the events log, and
//! `scripts/install --stop` stops the sshd.

use dokku_tests::fingerprint;
use dokku_tests::{repo, Out, Sandbox};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pub_of(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", key.display()))
}

/// `ssh … REMOTE` with `key` and `input` on stdin.
fn ssh_in(sb: &Sandbox, key: &Path, remote: &str, input: &[u8]) -> Out {
    let mut c = sb.command("sh");
    c.arg("-c")
        .arg(format!(
            "exec {} -p {} {}@127.0.0.1 \"$1\"",
            sb.ssh_command_with(key),
            sb.ssh_port(),
            sb.ssh_user()
        ))
        .arg("sh")
        .arg(remote);
    sb.run(c, input)
}

#[test]
fn commands_run_over_ssh_as_the_named_key() {
    let sb = Sandbox::with_ssh();
    sb.dokku(&["events:on"]).ok();
    sb.ssh("apps:create web").ok().out_has("Creating web");
    assert!(sb.dokku_root().join("web").is_dir());
    // The key's NAME and FINGERPRINT reach the triggers (and so the events log).
    let log = fs::read_to_string(sb.logs_dir().join("events.log")).unwrap();
    let fp = fingerprint(&sb.root.join("id_ed25519.pub"));
    let line = log
        .lines()
        .find(|l| l.contains("INVOKED: post-create( web )"))
        .unwrap_or_else(|| panic!("no post-create in {log}"));
    assert!(line.contains("FINGERPRINT=SHA256:"), "{line}");
    assert!(
        line.contains(&format!("NAME=admin FINGERPRINT={fp} ")),
        "{line}"
    );
    sb.ssh("apps:list --quiet").ok().out_has("web");
    sb.ssh("apps:exists 'web'").ok();
}

#[test]
fn shell_operators_are_refused() {
    let sb = Sandbox::with_ssh();
    let marker = sb.dir.path().join("MARKER");
    let m = marker.display();
    let remotes = [
        format!("apps:list; touch {m}"),
        format!("apps:list && touch {m}"),
        format!("apps:list | touch {m}"),
        format!("apps:list `touch {m}`"),
        format!("apps:list $(touch {m})"),
        format!("apps:list > {m}"),
        format!("apps:list\ntouch {m}"),
    ];
    // One connection each, run side by side to keep the test short.
    let outs: Vec<(String, Out)> = std::thread::scope(|s| {
        let handles: Vec<_> = remotes
            .iter()
            .map(|r| {
                let sb = &sb;
                s.spawn(move || (r.clone(), sb.ssh(r)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (remote, out) in outs {
        let out = out.fails();
        // Refused by dokku (exit 1), not lost as a connection failure (255).
        assert_eq!(out.code, 1, "{remote:?}: {out:#?}");
        assert!(out.stderr.contains("refusing"), "{remote:?}: {out:#?}");
    }
    assert!(!marker.exists(), "a shell ran one of the commands");
}

#[test]
fn only_added_keys_get_in() {
    let sb = Sandbox::with_ssh();
    let key = sb.new_key("carol");
    assert_eq!(sb.ssh_with(&key, "apps:list").code, 255);
    // The admin key may add keys remotely, the key piped on stdin.
    let text = fs::read(pub_of(&key)).unwrap();
    ssh_in(
        &sb,
        &sb.root.join("id_ed25519"),
        "ssh-keys:add carol",
        &text,
    )
    .ok()
    .out_has(&fingerprint(&pub_of(&key)));
    sb.ssh_with(&key, "ssh-keys:list carol")
        .ok()
        .out_has("NAME=\"carol\"");
    sb.dokku(&["ssh-keys:remove", "carol"]).ok();
    assert_eq!(sb.ssh_with(&key, "apps:list").code, 255);
}

#[test]
fn user_auth_can_refuse_a_command() {
    let sb = Sandbox::with_ssh();
    sb.dokku(&["apps:create", "web"]).ok();
    sb.write_plugin(
        "gate",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"gate\"\nversion = \"0.1.0\"\n",
            ),
            (
                "user-auth",
                "#!/usr/bin/env bash\n[[ \"$3\" == apps:destroy ]] && exit 1\nexit 0\n",
            ),
        ],
    );
    sb.ssh("apps:destroy --force web")
        .fails()
        .err_has("Access denied");
    // Global flags in front do not hide the command from user-auth.
    sb.ssh("--quiet --force apps:destroy web")
        .fails()
        .err_has("Access denied");
    assert!(sb.dokku_root().join("web").is_dir());
    sb.ssh("apps:list").ok().out_has("web");
}

#[test]
#[allow(unsafe_code)]
fn install_writes_ssh_env_and_stop_stops_sshd() {
    let sb = Sandbox::with_ssh();
    let env = fs::read_to_string(sb.root.join("env")).unwrap();
    assert!(
        env.contains(&format!("export DOKKU_SSH_PORT='{}'", sb.ssh_port())),
        "{env}"
    );
    assert!(
        env.contains(&format!("export DOKKU_SSH_USER='{}'", sb.ssh_user())),
        "{env}"
    );
    let pid: libc::pid_t = fs::read_to_string(sb.root.join("ssh/sshd.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill with signal 0 only checks that the process exists.
    assert_eq!(unsafe { libc::kill(pid, 0) }, 0, "sshd {pid} not running");
    let st = Command::new(repo().join("scripts/install"))
        .arg("--root")
        .arg(&sb.root)
        .arg("--stop")
        .status()
        .unwrap();
    assert!(st.success());
    // Gone, or a zombie waiting for its parent (this container's init reaps it late).
    let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = state.split(' ').nth(2) == Some("Z");
    assert!(
        state.is_empty() || zombie,
        "sshd {pid} still running: {state}"
    );
    assert!(!sb.root.join("ssh/sshd.pid").exists());
    assert_eq!(sb.ssh("apps:list").code, 255);
}
