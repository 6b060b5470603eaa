//! The `plugin` core plugin: install from a folder, a git repository (path and file:// URL,
//! pinned and updated) and a tarball; the install, dependencies and uninstall triggers;
//! enable, disable, uninstall, list, installed, trigger; and refusal of bad sources with one
//! clear error line and nothing left behind.

use dokku_tests::{fixture, Out, Sandbox};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Asserts that stderr is exactly one ` !     ` error line, and returns it.
#[track_caller]
fn one_error_line(out: &Out) -> String {
    out.one_error_line()
}

/// Copies the `hello` fixture plugin to `SANDBOX/src/DEST` and returns that folder.
fn hello_copy(sb: &Sandbox, dest: &str) -> PathBuf {
    let to = sb.dir.path().join("src").join(dest);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    let st = Command::new("cp")
        .arg("-a")
        .arg(fixture("install/hello"))
        .arg(&to)
        .status()
        .unwrap();
    assert!(st.success());
    to
}

/// Runs git in `dir` with a throwaway identity; returns its trimmed stdout.
#[track_caller]
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Plugin Test",
            "-c",
            "user.email=plugin-test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Turns the hello copy in `dir` into version 2 (new greeting line and version) and commits.
fn commit_v2(dir: &Path) -> String {
    let sub = dir.join("subcommands/default");
    let text = fs::read_to_string(&sub)
        .unwrap()
        .replace("hello v1", "hello v2");
    fs::write(&sub, text).unwrap();
    let toml = dir.join("plugin.toml");
    let text = fs::read_to_string(&toml).unwrap().replace("0.1.0", "0.2.0");
    fs::write(&toml, text).unwrap();
    git(dir, &["commit", "-qam", "v2"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A git repository `dokku-hello` holding the hello plugin at one commit; returns its folder
/// and that commit.
fn hello_repo(sb: &Sandbox) -> (PathBuf, String) {
    let repo = hello_copy(sb, "dokku-hello");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v1"]);
    let sha = git(&repo, &["rev-parse", "HEAD"]);
    (repo, sha)
}

/// The lines of a marker file a trigger appends to (empty when absent).
fn marker_lines(sb: &Sandbox, rel: &str) -> usize {
    fs::read_to_string(sb.lib_root().join("data").join(rel))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// The `plugin:list` line of plugin `name`, if listed.
fn list_line(sb: &Sandbox, name: &str) -> Option<String> {
    sb.dokku(&["plugin:list"])
        .ok()
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .map(str::to_string)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn folder_install_enable_disable_uninstall() {
    let sb = Sandbox::new();
    let src = hello_copy(&sb, "hello");
    let out = sb.dokku(&["plugin:install", s(&src)]).ok();
    assert!(
        out.stdout.contains(&format!(
            "-----> Copying plugin folder {} to {}",
            src.display(),
            sb.plugin_path().join("available/hello").display()
        )),
        "{out:#?}"
    );
    let out = out
        .out_has("-----> Plugin hello enabled")
        .out_has("hello: installed");
    assert!(out.stderr.trim().is_empty(), "{out:#?}");
    assert_eq!(marker_lines(&sb, "hello/install-ran"), 1);
    assert_eq!(marker_lines(&sb, "hello/dependencies-ran"), 1);
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
    sb.dokku(&["help"]).ok().out_has("Says hello");
    let line = list_line(&sb, "hello").expect("hello listed");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[..3], &["hello", "0.1.0", "enabled"], "{line}");
    assert!(line.contains("says hello (a test plugin"), "{line}");
    sb.dokku(&["plugin:installed", "hello"]).ok();
    let out = sb.dokku(&["plugin:installed", "nope"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.is_empty() && out.stdout.is_empty(), "{out:#?}");

    let out = sb.dokku(&["plugin:install", s(&src)]).fails();
    assert!(one_error_line(&out).contains("already installed"));

    sb.dokku(&["plugin:disable", "hello"])
        .ok()
        .out_has("-----> Disabling hello");
    sb.dokku(&["hello"])
        .fails()
        .err_has("is not a dokku command");
    assert!(list_line(&sb, "hello").unwrap().contains(" disabled "));
    sb.dokku(&["plugin:installed", "hello"]).ok();
    sb.dokku(&["plugin:enable", "hello"])
        .ok()
        .out_has("-----> Enabling hello");
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");

    sb.dokku(&["plugin:uninstall", "hello"])
        .ok()
        .out_has("Plugin hello uninstalled");
    assert_eq!(
        fs::read_to_string(sb.lib_root().join("data/hello-uninstalled"))
            .unwrap()
            .trim(),
        "hello",
        "the uninstall trigger gets the plugin name"
    );
    assert!(!sb.lib_root().join("data/hello").exists());
    assert!(sb
        .plugin_path()
        .join("available/hello")
        .symlink_metadata()
        .is_err());
    assert!(sb
        .plugin_path()
        .join("enabled/hello")
        .symlink_metadata()
        .is_err());
    assert_eq!(sb.dokku(&["plugin:installed", "hello"]).code, 1);
    sb.dokku(&["hello"]).fails();
    let out = sb.dokku(&["plugin:uninstall", "hello"]).fails();
    assert!(one_error_line(&out).contains("not installed"));
    for cmd in ["plugin:enable", "plugin:disable"] {
        let out = sb.dokku(&[cmd, "hello"]).fails();
        assert!(one_error_line(&out).contains("not installed"), "{out:#?}");
    }
}

#[test]
fn git_path_install_pinned_then_updated() {
    let sb = Sandbox::new();
    let (repo, first) = hello_repo(&sb);
    let second = commit_v2(&repo);
    let out = sb
        .dokku(&["plugin:install", s(&repo), "--committish", &first])
        .ok();
    assert!(
        out.stdout.contains(&format!(
            "-----> Cloning plugin repo {} to {}",
            repo.display(),
            sb.plugin_path().join("available/hello").display()
        )),
        "the name drops the dokku- prefix: {out:#?}"
    );
    let installed = sb.plugin_path().join("available/hello");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), first);
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
    assert!(list_line(&sb, "hello").unwrap().contains(" 0.1.0 "));

    sb.dokku(&["plugin:update", "hello"])
        .ok()
        .out_has("-----> Updating plugin hello")
        .out_has("-----> Plugin hello updated");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), second);
    sb.dokku(&["hello"]).ok().out_has("hello from hello v2");
    assert!(list_line(&sb, "hello").unwrap().contains(" 0.2.0 "));
    assert_eq!(
        marker_lines(&sb, "hello/install-ran"),
        2,
        "update reruns install"
    );
    assert_eq!(marker_lines(&sb, "hello/dependencies-ran"), 2);

    // A new commit with a broken manifest: refused, and the plugin stays where it was.
    fs::write(
        repo.join("plugin.toml"),
        "[plugin]\ndescription = \"x\"\nversion = 3\n[oops\n",
    )
    .unwrap();
    git(&repo, &["commit", "-qam", "broken"]);
    let out = sb.dokku(&["plugin:update", "hello"]).fails();
    let line = one_error_line(&out);
    assert!(line.contains("plugin.toml: line 4"), "{line}");
    assert!(line.contains("left at its previous version"), "{line}");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), second);
    assert_eq!(git(&installed, &["status", "--porcelain"]), "");
    sb.dokku(&["hello"]).ok().out_has("hello from hello v2");

    // Pinned back to the first commit by name.
    sb.dokku(&["plugin:update", "hello", &first]).ok();
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), first);

    let out = sb
        .dokku(&["plugin:update", "hello", "--upload-pack=touch"])
        .fails();
    one_error_line(&out);
    let out = sb.dokku(&["plugin:update", "config"]).fails();
    assert!(one_error_line(&out).contains("core plugin"), "{out:#?}");
}

#[test]
fn git_file_url_install_then_update_all() {
    let sb = Sandbox::new();
    let (repo, first) = hello_repo(&sb);
    let url = format!("file://{}", repo.display());
    sb.dokku(&["plugin:install", &url, "--name", "greeter"])
        .ok()
        .out_has(&format!("Cloning plugin repo {url}"))
        .out_has("Plugin greeter enabled");
    let installed = sb.plugin_path().join("available/greeter");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), first);
    sb.dokku(&["greeter"]).ok().out_has("hello from hello v1");

    let second = commit_v2(&repo);
    // No name: every git-installed community plugin is updated.
    sb.dokku(&["plugin:update"])
        .ok()
        .out_has("Plugin greeter updated");
    assert_eq!(git(&installed, &["rev-parse", "HEAD"]), second);
    sb.dokku(&["greeter"]).ok().out_has("hello from hello v2");
    let out = sb.dokku(&["plugin:list", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let g = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "greeter")
        .expect("greeter in json");
    assert_eq!(g["version"], "0.2.0");
    assert_eq!(g["enabled"], true);
    assert_eq!(g["core"], false);
    assert_eq!(g["committish"], second.as_str());
    assert_eq!(g["branch"], "main");
    assert_eq!(g["source_url"], url.as_str());
    let config = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "config")
        .expect("config in json");
    assert_eq!(config["core"], true);
}

#[test]
fn tarball_install_with_a_top_level_folder() {
    let sb = Sandbox::new();
    hello_copy(&sb, "hello-1.0");
    let tarball = sb.dir.path().join("hello.tar.gz");
    let st = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(sb.dir.path().join("src"))
        .arg("hello-1.0")
        .status()
        .unwrap();
    assert!(st.success());
    sb.dokku(&["plugin:install", s(&tarball)])
        .ok()
        .out_has("Extracting plugin archive")
        .out_has("Plugin hello enabled");
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
    assert_eq!(marker_lines(&sb, "hello/install-ran"), 1);
    let out = sb.dokku(&["plugin:update", "hello"]).fails();
    assert!(one_error_line(&out).contains("not installed from git"));
}

#[test]
fn a_failing_install_trigger_leaves_the_plugin_disabled() {
    let sb = Sandbox::new();
    let src = hello_copy(&sb, "hello");
    fs::write(
        src.join("install"),
        "#!/bin/sh\necho 'hello: no compiler found' >&2\nexit 3\n",
    )
    .unwrap();
    sb.dokku(&["plugin:install", s(&src)])
        .fails()
        .err_has("hello: no compiler found")
        .err_has(" !     the install trigger of plugin hello failed (exit 3)")
        .err_has("left disabled");
    assert!(sb.plugin_path().join("available/hello").is_dir());
    assert!(sb
        .plugin_path()
        .join("enabled/hello")
        .symlink_metadata()
        .is_err());
    assert_eq!(
        marker_lines(&sb, "hello/dependencies-ran"),
        0,
        "dependencies does not run after a failed install"
    );
    assert!(list_line(&sb, "hello").unwrap().contains(" disabled "));
    sb.dokku(&["hello"]).fails();

    // A failing dependencies trigger does the same.
    let src = hello_copy(&sb, "deps");
    fs::write(src.join("dependencies"), "#!/bin/sh\nexit 1\n").unwrap();
    sb.dokku(&["plugin:install", s(&src)])
        .fails()
        .err_has("the dependencies trigger of plugin deps failed (exit 1)");
    assert!(!sb.plugin_path().join("enabled/deps").exists());

    // A failing uninstall trigger keeps the plugin unless forced.
    fs::write(
        sb.plugin_path().join("available/hello/uninstall"),
        "#!/bin/sh\nexit 2\n",
    )
    .unwrap();
    let out = sb.dokku(&["plugin:uninstall", "hello"]).fails();
    assert!(one_error_line(&out).contains("uninstall trigger of plugin hello failed"));
    assert!(sb.plugin_path().join("available/hello").is_dir());
    sb.dokku(&["--force", "plugin:uninstall", "hello"]).ok();
    assert!(!sb.plugin_path().join("available/hello").exists());
}

#[test]
fn bad_sources_are_refused_leaving_nothing_behind() {
    let sb = Sandbox::new();
    let before = sb.plugin_entries();
    let work = sb.dir.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let tar = |name: &str, args: &[&str]| {
        let path = work.join(name);
        let st = Command::new("tar")
            .arg("-czf")
            .arg(&path)
            .args(args)
            .current_dir(&work)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        path
    };
    hello_copy(&sb, "evil");
    let src = sb.dir.path().join("src");
    let dotdot = tar(
        "dotdot.tar.gz",
        &[
            "-C",
            s(&src),
            "--transform",
            "s,^evil/install$,evil/../../escape,",
            "evil",
        ],
    );
    let out = sb.dokku(&["plugin:install", s(&dotdot)]).fails();
    assert!(one_error_line(&out).contains("escapes the plugin folder"));
    let absolute = tar("absolute.tar.gz", &["-P", s(&src.join("evil/plugin.toml"))]);
    let out = sb.dokku(&["plugin:install", s(&absolute)]).fails();
    assert!(one_error_line(&out).contains("escapes the plugin folder"));
    assert!(!sb.dir.path().join("escape").exists());

    let broken = hello_copy(&sb, "broken");
    fs::write(
        broken.join("plugin.toml"),
        "[plugin]\ndescription = \"broken\"\nversion = 0.1.0\n",
    )
    .unwrap();
    let out = sb.dokku(&["plugin:install", s(&broken)]).fails();
    let line = one_error_line(&out);
    assert!(line.contains("plugin.toml: line 3"), "{line}");

    let bare = sb.dir.path().join("src/bare");
    fs::create_dir_all(&bare).unwrap();
    fs::write(bare.join("README"), "not a plugin").unwrap();
    let out = sb.dokku(&["plugin:install", s(&bare)]).fails();
    assert!(one_error_line(&out).contains("no plugin.toml"));

    let good = hello_copy(&sb, "good");
    let out = sb
        .dokku(&["plugin:install", s(&good), "--name", "../x"])
        .fails();
    assert!(one_error_line(&out).contains("invalid plugin name"));
    let out = sb
        .dokku(&["plugin:install", s(&good), "--name", "-x"])
        .fails();
    assert!(one_error_line(&out).contains("invalid plugin name"));
    let out = sb.dokku(&["plugin:install", "--", "-oops"]).fails();
    assert!(one_error_line(&out).contains("invalid plugin source"));
    let out = sb.dokku(&["plugin:install", "--upload-pack=touch"]).fails();
    assert!(one_error_line(&out).contains("unknown flag"));
    let out = sb.dokku(&["plugin:install", "/nonexistent/plugin"]).fails();
    one_error_line(&out);
    let out = sb
        .dokku(&[
            "plugin:install",
            s(&good),
            "--committish",
            "--upload-pack=x",
        ])
        .fails();
    assert!(one_error_line(&out).contains("invalid committish"));
    let out = sb.dokku(&["plugin:install", s(&good), "--core"]).fails();
    one_error_line(&out);
    let out = sb.dokku(&["plugin:install", "--name", "x"]).fails();
    one_error_line(&out);

    assert_eq!(sb.plugin_entries(), before, "something was left behind");
}

#[test]
fn core_plugins_cannot_be_uninstalled_but_can_be_disabled() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["plugin:uninstall", "config"]).fails();
    assert!(one_error_line(&out).contains("core plugin"));
    assert!(sb.plugin_path().join("enabled/config").exists());
    sb.dokku(&["plugin:disable", "events"])
        .ok()
        .out_has("-----> Disabling events");
    assert!(!sb.plugin_path().join("enabled/events").exists());
    assert!(list_line(&sb, "events").unwrap().contains(" disabled "));
    sb.dokku(&["events:list"]).fails();
    sb.dokku(&["plugin:enable", "events"])
        .ok()
        .out_has("-----> Enabling events");
    sb.dokku(&["events:list"]).ok();
    let out = sb.dokku(&["plugin:disable", "plugin"]).fails();
    one_error_line(&out);
    let out = sb.dokku(&["plugin:uninstall"]).fails();
    assert!(one_error_line(&out).contains("Please specify a plugin"));
    let out = sb.dokku(&["plugin:enable", "../etc"]).fails();
    assert!(one_error_line(&out).contains("invalid plugin name"));
}

#[test]
fn list_survives_a_broken_manifest() {
    let sb = Sandbox::new();
    sb.write_plugin("broken", &[("plugin.toml", "[plugin]\nversion = 1.2.3\n")]);
    let out = sb.dokku(&["plugin:list"]).ok();
    assert!(out.stdout.starts_with("plugn: "), "{out:#?}");
    let broken = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("broken "))
        .expect("broken listed");
    assert!(broken.contains("line 2"), "{broken}");
    for p in ["apps", "config", "events", "plugin"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(p))
            .unwrap_or_else(|| panic!("{p} missing: {}", out.stdout));
        assert_eq!(line.split_whitespace().nth(2), Some("enabled"), "{line}");
    }
    // Columns are aligned: every state starts at the same column.
    let cols: Vec<usize> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.find(" enabled").or_else(|| l.find(" disabled")).unwrap())
        .collect();
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{}", out.stdout);
    // The bare command is the plugin's help, as in Dokku.
    sb.dokku(&["plugin"])
        .ok()
        .out_has("Usage: dokku plugin[:COMMAND]");
    let out = sb.dokku(&["plugin:list", "--format", "yaml"]).fails();
    one_error_line(&out);
}

#[test]
fn trigger_passes_args_stdin_and_exit_codes() {
    let sb = Sandbox::new();
    sb.write_plugin(
        "echoer",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"e\"\nversion = \"1\"\n",
            ),
            (
                "echo-args",
                "#!/bin/sh\nprintf '[%s]' \"$@\"; echo\nprintf 'stdin=%s\\n' \"$(cat)\"\n",
            ),
            ("exit-with", "#!/bin/sh\necho before\nexit \"$1\"\n"),
        ],
    );
    sb.dokku_in(
        &["plugin:trigger", "echo-args", "a b", "--flag", "c'd"],
        b"piped in",
    )
    .ok()
    .out_has("[a b][--flag][c'd]")
    .out_has("stdin=piped in");
    let out = sb.dokku(&["plugin:trigger", "exit-with", "7"]);
    assert_eq!(out.code, 7, "{out:#?}");
    assert!(out.stdout.contains("before"));
    sb.dokku(&["plugin:trigger", "exit-with", "0"]).ok();
    sb.dokku(&["plugin:trigger", "no-such-trigger"]).ok();
    let out = sb.dokku(&["plugin:trigger"]).fails();
    assert!(one_error_line(&out).contains("Please specify a trigger"));
    let out = sb.dokku(&["plugin:trigger", "../x"]).fails();
    assert!(one_error_line(&out).contains("invalid trigger name"));
}

#[test]
fn install_without_source_fires_install_and_dependencies() {
    let sb = Sandbox::new();
    let script = |what: &str| {
        format!("#!/bin/sh\nmkdir -p \"$DOKKU_LIB_ROOT/data/marker\"\necho x >>\"$DOKKU_LIB_ROOT/data/marker/{what}\"\n")
    };
    let (install, deps) = (script("install"), script("dependencies"));
    sb.write_plugin(
        "marker",
        &[
            (
                "plugin.toml",
                "[plugin]\ndescription = \"m\"\nversion = \"1\"\n",
            ),
            ("install", &install),
            ("dependencies", &deps),
        ],
    );
    sb.dokku(&["plugin:install"]).ok();
    assert_eq!(marker_lines(&sb, "marker/install"), 1);
    assert_eq!(marker_lines(&sb, "marker/dependencies"), 1);
    sb.dokku(&["plugin:install-dependencies"]).ok();
    assert_eq!(marker_lines(&sb, "marker/install"), 1);
    assert_eq!(marker_lines(&sb, "marker/dependencies"), 2);
    // --core: only the core plugins' triggers run.
    sb.dokku(&["plugin:install", "--core"]).ok();
    sb.dokku(&["plugin:install-dependencies", "--core"]).ok();
    assert_eq!(marker_lines(&sb, "marker/install"), 1);
    assert_eq!(marker_lines(&sb, "marker/dependencies"), 2);

    sb.write_plugin("marker", &[("dependencies", "#!/bin/sh\nexit 4\n")]);
    let out = sb.dokku(&["plugin:install-dependencies"]).fails();
    assert!(
        one_error_line(&out).contains("dependencies trigger failed in plugin marker (exit 4)"),
        "{out:#?}"
    );
}

#[test]
fn help_lists_the_commands() {
    let sb = Sandbox::new();
    let out = sb.dokku(&["plugin:help"]).ok();
    for c in [
        "plugin:disable <name>",
        "plugin:enable <name>",
        "plugin:install ",
        "plugin:install-dependencies [--core]",
        "plugin:installed <name>",
        "plugin:list",
        "plugin:trigger <trigger>",
        "plugin:uninstall <name>",
        "plugin:update [name",
    ] {
        assert!(out.stdout.contains(c), "{c} missing: {}", out.stdout);
    }
    sb.dokku(&["help"])
        .ok()
        .out_has("plugin")
        .out_has("Manage installed plugins");
}

#[test]
fn tarball_url_install_over_http() {
    let sb = Sandbox::new();
    hello_copy(&sb, "hello-1.0");
    let served = sb.dir.path().join("served");
    fs::create_dir_all(&served).unwrap();
    let st = Command::new("tar")
        .arg("-czf")
        .arg(served.join("hello.tar.gz"))
        .arg("-C")
        .arg(sb.dir.path().join("src"))
        .arg("hello-1.0")
        .status()
        .unwrap();
    assert!(st.success());
    let server = dokku_tests::FileServer::start(&served);
    let url = format!("http://127.0.0.1:{}/hello.tar.gz", server.port);
    let installed = sb.dokku(&["plugin:install", &url]);
    let missing = sb.dokku(&["plugin:install", &format!("{url}.nope"), "--name", "nope"]);
    drop(server);
    installed.ok().out_has("Plugin hello enabled");
    sb.dokku(&["hello"]).ok().out_has("hello from hello v1");
    assert_eq!(marker_lines(&sb, "hello/install-ran"), 1);
    let out = missing.fails();
    one_error_line(&out);
    assert!(!sb.plugin_path().join("available/nope").exists());
}
