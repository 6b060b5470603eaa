//! The ssh-keys plugin: add (from a file, `-` or stdin), list (text, json, by name), remove (by
//! name, by fingerprint), refusal of bad names and bad keys with one error line and the file
//! untouched, duplicates, lines it did not write kept as they are, file modes, concurrent adds,
//! and the `user-auth` rule for adding keys over ssh.

use dokku_tests::fingerprint;
use dokku_tests::{Out, Sandbox};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const OPTIONS: &str = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";

fn keys_file(sb: &Sandbox) -> PathBuf {
    sb.dokku_root().join(".ssh/authorized_keys")
}

fn keys_text(sb: &Sandbox) -> String {
    fs::read_to_string(keys_file(sb)).unwrap_or_default()
}

/// A fresh key pair; returns the public key's path.
fn new_pub(sb: &Sandbox, name: &str) -> PathBuf {
    let key = sb.new_key(name);
    PathBuf::from(format!("{}.pub", key.display()))
}

/// `TYPE BASE64` of a public key file (its comment dropped).
fn type_and_blob(pub_key: &Path) -> String {
    let text = fs::read_to_string(pub_key).unwrap();
    let w: Vec<&str> = text.split_whitespace().collect();
    format!("{} {}", w[0], w[1])
}

fn add_file(sb: &Sandbox, name: &str, pub_key: &Path) -> Out {
    sb.dokku(&["ssh-keys:add", name, pub_key.to_str().unwrap()])
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn add_from_file_and_stdin_then_list() {
    let sb = Sandbox::new();
    let alice = new_pub(&sb, "alice");
    let bob = new_pub(&sb, "bob");
    let carol = new_pub(&sb, "carol");
    let (fa, fb, fc) = (fingerprint(&alice), fingerprint(&bob), fingerprint(&carol));

    // From a file: prints the fingerprint, as Dokku does.
    assert_eq!(
        add_file(&sb, "alice", &alice).ok().stdout,
        format!("{fa}\n")
    );
    // From stdin, without a file argument and with `-`.
    let bob_text = fs::read(&bob).unwrap();
    sb.dokku_in(&["ssh-keys:add", "bob"], &bob_text)
        .ok()
        .out_has(&fb);
    // A hostile comment is dropped, never written.
    let mut carol_text = type_and_blob(&carol);
    carol_text.push_str(" evil\"comment\\ here\n");
    sb.dokku_in(
        &["ssh-keys:add", "carol@laptop.1", "-"],
        carol_text.as_bytes(),
    )
    .ok();

    let program = fs::read_to_string(sb.dokku_root().join(".sshcommand")).unwrap();
    let program = program.trim();
    let expected: String = [
        ("alice", &fa, &alice),
        ("bob", &fb, &bob),
        ("carol@laptop.1", &fc, &carol),
    ]
    .iter()
    .map(|(n, fp, p)| {
        format!(
            "command=\"NAME=\\\"{n}\\\" FINGERPRINT=\\\"{fp}\\\" exec '{program}'\",{OPTIONS} {}\n",
            type_and_blob(p)
        )
    })
    .collect();
    assert_eq!(keys_text(&sb), expected);

    let text = sb.dokku(&["ssh-keys:list"]).ok().stdout;
    assert_eq!(
        text,
        format!(
            "{fa} NAME=\"alice\" SSHCOMMAND_ALLOWED_KEYS=\"{OPTIONS}\"\n\
             {fb} NAME=\"bob\" SSHCOMMAND_ALLOWED_KEYS=\"{OPTIONS}\"\n\
             {fc} NAME=\"carol@laptop.1\" SSHCOMMAND_ALLOWED_KEYS=\"{OPTIONS}\"\n"
        )
    );
    // The bare command is the plugin's help, as in Dokku; --format text is the same list.
    sb.dokku(&["ssh-keys"])
        .ok()
        .out_has("Usage: dokku ssh-keys[:COMMAND]");
    assert_eq!(
        sb.dokku(&["ssh-keys:list", "--format", "text"]).ok().stdout,
        text
    );
    assert_eq!(
        sb.dokku(&["ssh-keys:list", "bob"]).ok().stdout,
        format!("{fb} NAME=\"bob\" SSHCOMMAND_ALLOWED_KEYS=\"{OPTIONS}\"\n")
    );

    let json: serde_json::Value =
        serde_json::from_str(&sb.dokku(&["ssh-keys:list", "--format", "json"]).ok().stdout)
            .unwrap();
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    assert_eq!(
        arr[0],
        serde_json::json!({"fingerprint": fa, "name": "alice", "SSHCOMMAND_ALLOWED_KEYS": OPTIONS})
    );
    let json: serde_json::Value = serde_json::from_str(
        &sb.dokku(&["ssh-keys:list", "--format=json", "carol@laptop.1"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(json[0]["fingerprint"], fc.as_str());
    assert_eq!(json.as_array().unwrap().len(), 1);

    let bad = sb.dokku(&["ssh-keys:list", "--format", "yaml"]).fails();
    assert!(bad.one_error_line().contains("invalid --format"));
    let out = sb.dokku(&["ssh-keys:list", "nobody"]).fails();
    assert!(out.one_error_line().contains("No public keys found"));
    assert_eq!(
        sb.dokku(&["ssh-keys:list", "--format", "json", "nobody"])
            .ok()
            .stdout,
        "[]\n"
    );
}

#[test]
fn no_keys_at_all() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["ssh-keys:list"]).fails();
    assert_eq!(out.one_error_line(), " !     No public keys found.");
    assert_eq!(out.stdout, "");
    assert_eq!(
        sb.dokku(&["ssh-keys:list", "--format", "json"]).ok().stdout,
        "[]\n"
    );
    let out = sb.dokku(&["ssh-keys:remove", "admin"]).fails();
    assert!(out.one_error_line().contains("No matching ssh key found"));
}

#[test]
fn bad_input_is_refused_and_the_file_is_untouched() {
    let sb = Sandbox::new();
    let alice = new_pub(&sb, "alice");
    add_file(&sb, "alice", &alice).ok();
    let before = keys_text(&sb);
    let other = new_pub(&sb, "other");
    let other_text = fs::read_to_string(&other).unwrap();
    let private = fs::read(other.with_extension("")).unwrap();
    let two = format!(
        "{other_text}{}",
        fs::read_to_string(new_pub(&sb, "x")).unwrap()
    );
    let options = format!("command=\"touch /tmp/pwned\" {other_text}");
    let long = "n".repeat(65);
    let cases: Vec<(Vec<&str>, Vec<u8>, &str)> = vec![
        (
            vec!["ssh-keys:add", "ok"],
            vec![],
            "ssh-keys:add: the key is empty",
        ),
        (
            vec!["ssh-keys:add", "ok"],
            b" \n\t\n".to_vec(),
            "ssh-keys:add: the key is empty",
        ),
        (vec!["ssh-keys:add", "ok"], private, "private key"),
        (
            vec!["ssh-keys:add", "ok"],
            b"garbage\n".to_vec(),
            "not a valid public ssh key",
        ),
        (
            vec!["ssh-keys:add", "ok"],
            b"ssh-ed25519 AAAAnotreallyakey\n".to_vec(),
            "not a valid public ssh key",
        ),
        (
            vec!["ssh-keys:add", "ok"],
            two.into_bytes(),
            "add one key per ssh-keys:add",
        ),
        (
            vec!["ssh-keys:add", "ok"],
            options.into_bytes(),
            "key options are not accepted",
        ),
        (
            vec!["ssh-keys:add", "ok", "/nonexistent/key.pub"],
            vec![],
            "cannot read /nonexistent/key.pub",
        ),
        (
            vec!["ssh-keys:add"],
            other_text.clone().into_bytes(),
            "a key name is required",
        ),
        (
            vec!["ssh-keys:add", "bad name"],
            other_text.clone().into_bytes(),
            "invalid ssh key name",
        ),
        (
            vec!["ssh-keys:add", "-x"],
            other_text.clone().into_bytes(),
            "invalid ssh key name",
        ),
        (
            vec!["ssh-keys:add", "a\"b"],
            other_text.clone().into_bytes(),
            "invalid ssh key name",
        ),
        (
            vec!["ssh-keys:add", "a'b"],
            other_text.clone().into_bytes(),
            "invalid ssh key name",
        ),
        (
            vec!["ssh-keys:add", &long],
            other_text.clone().into_bytes(),
            "invalid ssh key name",
        ),
        (
            vec!["ssh-keys:add", "alice"],
            other_text.clone().into_bytes(),
            "Duplicate ssh key name",
        ),
        (
            vec!["ssh-keys:add", "alice2"],
            fs::read(&alice).unwrap(),
            "Duplicate ssh public key specified",
        ),
    ];
    for (args, input, needle) in cases {
        let out = sb.dokku_in(&args, &input).fails();
        let line = out.one_error_line();
        assert!(line.contains(needle), "{args:?}: {line:?} lacks {needle:?}");
        assert_eq!(keys_text(&sb), before, "{args:?} changed the file");
    }
    // A name of 64 characters is fine.
    sb.dokku_in(&["ssh-keys:add", &"n".repeat(64)], other_text.as_bytes())
        .ok();
}

#[test]
fn remove_by_name_and_by_fingerprint() {
    let sb = Sandbox::new();
    let (a, b, c) = (new_pub(&sb, "a"), new_pub(&sb, "b"), new_pub(&sb, "c"));
    add_file(&sb, "a", &a).ok();
    add_file(&sb, "b", &b).ok();
    add_file(&sb, "c", &c).ok();
    sb.dokku(&["ssh-keys:remove", "b"])
        .ok()
        .out_has("Removed ssh key b");
    let list = sb.dokku(&["ssh-keys:list"]).ok().stdout;
    assert!(
        list.contains("NAME=\"a\"") && list.contains("NAME=\"c\""),
        "{list}"
    );
    assert!(!list.contains("NAME=\"b\""), "{list}");
    let fc = fingerprint(&c);
    sb.dokku(&["ssh-keys:remove", "--fingerprint", &fc]).ok();
    assert!(!keys_text(&sb).contains(&fc));
    assert_eq!(
        sb.dokku(&["ssh-keys:list", "--format", "json"])
            .ok()
            .stdout
            .matches("\"name\"")
            .count(),
        1
    );

    let before = keys_text(&sb);
    for args in [
        vec!["ssh-keys:remove", "b"],
        vec!["ssh-keys:remove", "--fingerprint", "SHA256:nope"],
    ] {
        let out = sb.dokku(&args).fails();
        assert_eq!(out.code, 1);
        assert!(out.one_error_line().contains("No matching ssh key found"));
    }
    let out = sb.dokku(&["ssh-keys:remove"]).fails();
    assert!(out.one_error_line().contains("A name is required"));
    let out = sb
        .dokku(&["ssh-keys:remove", "a", "--fingerprint", &fingerprint(&a)])
        .fails();
    assert!(out.one_error_line().contains("not both"));
    assert_eq!(keys_text(&sb), before);
    // Removed keys can be added again.
    add_file(&sb, "b", &b).ok();
}

#[test]
fn lines_it_did_not_write_are_kept() {
    let sb = Sandbox::new();
    let foreign = new_pub(&sb, "foreign");
    let foreign_text = fs::read_to_string(&foreign).unwrap();
    let old_dokku = new_pub(&sb, "old");
    let fold = fingerprint(&old_dokku);
    // A comment, a plain key, a blank line, and a key in Dokku's own sshcommand format.
    let original = format!(
        "# managed by hand\n{}\n\ncommand=\"FINGERPRINT={fold} NAME=\\\"old\\\" `cat /home/dokku/.sshcommand` $SSH_ORIGINAL_COMMAND\",{OPTIONS} {}\n",
        foreign_text.trim(),
        type_and_blob(&old_dokku)
    );
    let dir = sb.dokku_root().join(".ssh");
    fs::create_dir_all(&dir).unwrap();
    fs::write(keys_file(&sb), &original).unwrap();

    // Dokku's format is understood.
    assert_eq!(
        sb.dokku(&["ssh-keys:list"]).ok().stdout,
        format!("{fold} NAME=\"old\" SSHCOMMAND_ALLOWED_KEYS=\"{OPTIONS}\"\n")
    );
    // The hand-added key counts as a duplicate.
    let out = add_file(&sb, "foreign", &foreign).fails();
    assert!(out
        .one_error_line()
        .contains("Duplicate ssh public key specified"));

    let new = new_pub(&sb, "new");
    add_file(&sb, "new", &new).ok();
    let text = keys_text(&sb);
    assert!(text.starts_with(&original), "{text}");
    assert_eq!(text.lines().count(), 5);
    sb.dokku(&["ssh-keys:remove", "new"]).ok();
    assert_eq!(keys_text(&sb), original);
    sb.dokku(&["ssh-keys:remove", "old"]).ok();
    assert_eq!(
        keys_text(&sb),
        format!("# managed by hand\n{}\n\n", foreign_text.trim())
    );
}

#[test]
fn folder_and_file_modes() {
    let sb = Sandbox::new();
    let dir = sb.dokku_root().join(".ssh");
    assert!(!dir.exists());
    add_file(&sb, "alice", &new_pub(&sb, "alice")).ok();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&keys_file(&sb)), 0o600);
    sb.dokku(&["ssh-keys:remove", "alice"]).ok();
    assert_eq!(mode(&keys_file(&sb)), 0o600);
}

#[test]
fn concurrent_adds_are_all_kept() {
    let sb = Sandbox::new();
    let keys: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| {
            let name = format!("user{i}");
            let text = fs::read(new_pub(&sb, &name)).unwrap();
            (name, text)
        })
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = keys
            .iter()
            .map(|(name, text)| {
                let sb = &sb;
                s.spawn(move || sb.dokku_in(&["ssh-keys:add", name], text))
            })
            .collect();
        for h in handles {
            h.join().unwrap().ok();
        }
    });
    let json: serde_json::Value =
        serde_json::from_str(&sb.dokku(&["ssh-keys:list", "--format", "json"]).ok().stdout)
            .unwrap();
    let mut names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let expected: Vec<String> = (0..8).map(|i| format!("user{i}")).collect();
    assert_eq!(names, expected);
    assert_eq!(keys_text(&sb).lines().count(), 8);
}

#[test]
fn user_auth_limits_key_changes_to_admins() {
    let sb = Sandbox::new();
    let out = sb
        .plugn(&["trigger", "user-auth", "dokku", "bob", "ssh-keys:add", "x"])
        .fails();
    assert!(
        out.stderr.contains("You must be root, or a dokku admin"),
        "{out:#?}"
    );
    sb.plugn(&[
        "trigger",
        "user-auth",
        "dokku",
        "bob",
        "--quiet",
        "ssh-keys:remove",
        "x",
    ])
    .fails();
    sb.plugn(&[
        "trigger",
        "user-auth",
        "dokku",
        "ops-admin",
        "ssh-keys:add",
        "x",
    ])
    .ok();
    sb.plugn(&["trigger", "user-auth", "root", "bob", "ssh-keys:add", "x"])
        .ok();
    sb.plugn(&["trigger", "user-auth", "dokku", "bob", "ssh-keys:list"])
        .ok();
    sb.plugn(&["trigger", "user-auth", "dokku", "bob", "apps:list"])
        .ok();
}

#[test]
fn help() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["ssh-keys:help"]).ok();
    for needle in [
        "Manage public ssh keys used for deployment",
        "ssh-keys:add <name> [/path/to/key]",
        "ssh-keys:list [--format text|json] [<name>]",
        "ssh-keys:remove [--fingerprint fingerprint|<name>]",
    ] {
        assert!(out.stdout.contains(needle), "{needle:?}: {out:#?}");
    }
    sb.dokku(&["help"])
        .ok()
        .out_has("Manage public ssh keys used for deployment");
}
