//! The ssh-keys plugin: the public keys allowed to connect over ssh, kept in
//! `$DOKKU_ROOT/.ssh/authorized_keys` with a forced command that names each key. Commands
//! `ssh-keys:add|remove|list`; trigger `user-auth` (only root or an `admin` key may add or
//! remove keys over ssh, as in Dokku).

mod keyfile;
mod program;
mod validate;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{args, log, Exit};
use serde::Serialize;
use std::io::{IsTerminal, Read};

static PLUGIN: Plugin = Plugin {
    prefix: "ssh-keys",
    summary: "Manage public ssh keys used for deployment",
    commands: &[
        Command {
            name: "add",
            usage: "<name> [/path/to/key]",
            help: "Add a new public key by pipe or path",
            run: add,
        },
        Command {
            name: "list",
            usage: "[--format text|json] [<name>]",
            help: "List of all authorized dokku public ssh keys",
            run: list,
        },
        Command {
            name: "remove",
            usage: "[--fingerprint fingerprint|<name>]",
            help: "Remove SSH public key by name",
            run: remove,
        },
    ],
    bare_commands: &[],
    triggers: &[Trigger::new("user-auth", trigger_user_auth)],
};

fn main() {
    PLUGIN.main()
}

/// The most bytes of key text `ssh-keys:add` reads (a 16384-bit RSA public key is ~2.8 KB).
const MAX_KEY_BYTES: u64 = 16 * 1024;

/// A path as an error line shows it: as given, or quoted with escapes when it holds a control
/// character (a newline would split the one error line).
fn shown(path: &str) -> String {
    if path.chars().any(char::is_control) {
        format!("{path:?}")
    } else {
        path.to_string()
    }
}

/// Reads the key text from `file`, or from stdin when `file` is absent or `-`.
fn read_key_text(file: Option<&str>) -> Result<String> {
    let mut bytes = Vec::new();
    let what = match file {
        Some(f) if f != "-" => {
            let fh = std::fs::File::open(f)
                .with_context(|| format!("ssh-keys:add: cannot read {}", shown(f)))?;
            fh.take(MAX_KEY_BYTES + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("ssh-keys:add: cannot read {}", shown(f)))?;
            f.to_string()
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!("ssh-keys:add: no key given: pass a key file or pipe the key on stdin");
            }
            stdin
                .lock()
                .take(MAX_KEY_BYTES + 1)
                .read_to_end(&mut bytes)
                .context("ssh-keys:add: cannot read the key from stdin")?;
            "stdin".to_string()
        }
    };
    if bytes.len() as u64 > MAX_KEY_BYTES {
        bail!("ssh-keys:add: the key in {what} is too large for a public key");
    }
    String::from_utf8(bytes).or_else(|_| bail!("ssh-keys:add: not a valid public ssh key"))
}

/// `ssh-keys:add NAME [FILE|-]`: prints the new key's fingerprint.
fn add(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &[])?;
    a.at_most(2, usage)?;
    let Some(name) = a.pos(0) else {
        bail!("ssh-keys:add: a key name is required; usage: {usage}");
    };
    validate::check_name(name)?;
    let key = validate::parse_public_key(&read_key_text(a.pos(1).map(String::as_str))?)?;
    let fingerprint = validate::fingerprint(&key)?;
    let program = program::current()?;
    let line = keyfile::format_line(name, &fingerprint, &program, &key);
    keyfile::update(&keyfile::path(), |kf| {
        if kf.entries().any(|e| e.name == *name) {
            bail!("Duplicate ssh key name {name:?}; remove it first with ssh-keys:remove {name}");
        }
        if let Some(e) = kf.entries().find(|e| e.fingerprint == fingerprint) {
            bail!(
                "Duplicate ssh public key specified (already added as {:?})",
                e.name
            );
        }
        if kf
            .lines
            .iter()
            .any(|l| l.blob.as_deref() == Some(&key.blob))
        {
            bail!("Duplicate ssh public key specified (already in authorized_keys)");
        }
        kf.push(line);
        Ok(())
    })?;
    println!("{fingerprint}");
    Ok(())
}

/// `ssh-keys:remove NAME` or `ssh-keys:remove --fingerprint FP`.
fn remove(argv: &[String]) -> Result<()> {
    let usage = usage();
    let a = args::parse(argv, &[], &["--fingerprint"])?;
    a.at_most(1, usage)?;
    let by_fp = a.value("--fingerprint").map(str::to_string);
    let name = a.pos(0).cloned();
    let matches: Box<dyn Fn(&keyfile::Entry) -> bool> = match (&name, &by_fp) {
        (Some(_), Some(_)) => {
            bail!("ssh-keys:remove: give a name or --fingerprint, not both; usage: {usage}")
        }
        (None, None) => {
            bail!("A name is required to remove a key, ie: dokku ssh-keys:remove <name>")
        }
        (Some(n), None) => {
            validate::check_name(n)?;
            let n = n.clone();
            Box::new(move |e| e.name == n)
        }
        (None, Some(fp)) => {
            if fp.is_empty() {
                bail!("ssh-keys:remove: --fingerprint needs a fingerprint; usage: {usage}");
            }
            let fp = fp.clone();
            Box::new(move |e| e.fingerprint == fp)
        }
    };
    let path = keyfile::path();
    if !path.exists() {
        bail!("No matching ssh key found");
    }
    let removed = keyfile::update(&path, |kf| {
        let removed = kf.remove(&matches);
        if removed.is_empty() {
            bail!("No matching ssh key found");
        }
        Ok(removed)
    })?;
    for e in removed {
        log::info1(&format!("Removed ssh key {} ({})", e.name, e.fingerprint));
    }
    Ok(())
}

/// One key as `ssh-keys:list --format json` prints it (Dokku's field names).
#[derive(Serialize)]
struct Listed<'a> {
    fingerprint: &'a str,
    name: &'a str,
    #[serde(rename = "SSHCOMMAND_ALLOWED_KEYS")]
    allowed: &'a str,
}

/// `ssh-keys:list [--format text|json] [NAME]` (and bare `ssh-keys`).
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--format"])?;
    a.at_most(1, usage())?;
    let json = match a.value("--format") {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("ssh-keys:list: invalid --format {other:?}: use text or json"),
    };
    let name = a.pos(0);
    if let Some(n) = name {
        validate::check_name(n)?;
    }
    let kf = keyfile::load(&keyfile::path())?;
    let keys: Vec<Listed> = kf
        .entries()
        .filter(|e| name.is_none_or(|n| e.name == *n))
        .map(|e| Listed {
            fingerprint: &e.fingerprint,
            name: &e.name,
            allowed: &e.options,
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string(&keys)?);
        return Ok(());
    }
    if keys.is_empty() {
        match name {
            Some(n) => log::warn(&format!("No public keys found for name {n}.")),
            None => log::warn("No public keys found."),
        }
        return Err(Exit(1).into());
    }
    for k in keys {
        println!(
            "{} NAME=\"{}\" SSHCOMMAND_ALLOWED_KEYS=\"{}\"",
            k.fingerprint, k.name, k.allowed
        );
    }
    Ok(())
}

/// The dokku command among the arguments of an ssh command: the first word that is not a
/// global flag (nor the value of `--app`).
fn command_of(words: &[String]) -> Option<&str> {
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "--app" {
            it.next();
        } else if !w.starts_with('-') {
            return Some(w);
        }
    }
    None
}

/// Trigger `user-auth SSH_USER SSH_NAME COMMAND ARGS…`: adding and removing keys is for root
/// or a key whose name contains `admin`, as in Dokku. Over ssh (`SSH_ORIGINAL_COMMAND` set)
/// only the key's name counts, never the unix user sshd runs the command as.
fn trigger_user_auth(argv: &[String]) -> Result<()> {
    let over_ssh = std::env::var_os("SSH_ORIGINAL_COMMAND").is_some();
    may_manage_keys(argv, over_ssh)
}

fn may_manage_keys(argv: &[String], over_ssh: bool) -> Result<()> {
    let user = argv.first().map(String::as_str).unwrap_or("");
    let name = argv.get(1).map(String::as_str).unwrap_or("");
    let cmd = command_of(argv.get(2..).unwrap_or(&[]));
    let root = user == "root" && !over_ssh;
    if matches!(cmd, Some("ssh-keys:add" | "ssh-keys:remove")) && !root && !name.contains("admin") {
        bail!("You must be root, or a dokku admin, to execute this command");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn user_auth_by_name_over_ssh() {
        assert!(may_manage_keys(&s(&["root", "bob", "ssh-keys:add", "x"]), true).is_err());
        assert!(may_manage_keys(&s(&["root", "admin", "ssh-keys:add", "x"]), true).is_ok());
        assert!(may_manage_keys(&s(&["root", "bob", "ssh-keys:add", "x"]), false).is_ok());
    }

    #[test]
    fn user_auth() {
        assert!(trigger_user_auth(&s(&["dokku", "admin", "ssh-keys:add", "x"])).is_ok());
        assert!(trigger_user_auth(&s(&["dokku", "ops-admin", "ssh-keys:remove", "x"])).is_ok());
        assert!(trigger_user_auth(&s(&["root", "bob", "ssh-keys:add", "x"])).is_ok());
        assert!(trigger_user_auth(&s(&["dokku", "bob", "apps:list"])).is_ok());
        assert!(trigger_user_auth(&s(&["dokku", "bob", "ssh-keys:list"])).is_ok());
        assert!(trigger_user_auth(&s(&["dokku", "bob", "ssh-keys:add", "x"])).is_err());
        assert!(trigger_user_auth(&s(&["dokku", "bob", "--quiet", "ssh-keys:remove"])).is_err());
        assert!(trigger_user_auth(&s(&["dokku", "bob", "--app", "web", "ssh-keys:add"])).is_err());
    }
}
