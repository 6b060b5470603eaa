//! The git plugin: `git push` deploys. The ssh forced command runs `git-receive-pack 'APP'`,
//! which creates the app when needed, keeps its bare repository at `$DOKKU_ROOT/APP`, and whose
//! `pre-receive` hook (`git-hook APP`) hands the deploy branch's revision to `receive-app`.
//! Over http, nginx runs `git-http-backend` for users of `git:http-user-add`. Commands
//! `git:set|report|sync|from-archive|from-image|load-image|initialize|status|unlock`,
//! `git:http-user-add|remove|list`, `git:auth|auth-status` (netrc, auth.rs) and
//! `git:allow-host|generate-deploy-key|public-key` (ssh, keys.rs).
//! `git:from-archive` and `git:from-image` fire `git-from-archive` / `git-from-image`, whose
//! answers (here, replaceable by a plugin) fire `git-from-directory`, which commits and deploys.
//! Answers `git-revision`, `git-deploy-branch`, `git-get-property` and `git-has-code`;
//! `post-create` makes a new app's bare repository.

mod archive;
mod auth;
mod fastcgi;
mod http;
mod keys;
mod load;
mod pipeline;
mod push;
mod repo;
mod settings;
mod sources;
mod status;
mod triggers;

use anyhow::{bail, Context, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::{appname, args, deploylock, log};

static PLUGIN: Plugin = Plugin {
    prefix: "git",
    summary: "Manage app deploys via git",
    commands: &[
        Command {
            name: "allow-host",
            usage: "<host>[:<port>]",
            help: "Adds a host's ssh keys to the dokku user's known_hosts",
            run: keys::allow_host,
        },
        Command {
            name: "auth",
            usage: "<host> [<username> [<password>]]",
            help: "Configures netrc authentication for a given git server (password on stdin when left out; no user: removes it)",
            run: auth::auth,
        },
        Command {
            name: "auth-status",
            usage: "<host> [<username> [<password>]]",
            help: "Exits 0 when the netrc entry of a host matches the one given (none without a user), 1 otherwise",
            run: auth::auth_status,
        },
        Command {
            name: "from-archive",
            usage: "[--archive-type tar|tar.gz|zip] <app> <archive-url>|- [<user-name> [<user-email>]]",
            help: "Updates an app's git repository with an archive (from a URL, or - for stdin) and deploys it",
            run: sources::from_archive,
        },
        Command {
            name: "from-image",
            usage: "[--build-dir DIRECTORY] [--force] <app> <docker-image> [<user-name> [<user-email>]]",
            help: "Updates an app's git repository with a Dockerfile FROM the image and deploys it",
            run: sources::from_image,
        },
        Command {
            name: "generate-deploy-key",
            usage: "",
            help: "Generates an ed25519 deploy ssh key for the dokku user when there is none",
            run: keys::generate_deploy_key,
        },
        Command {
            name: "http-user-add",
            usage: "<user>",
            help: "Adds (or replaces) a user allowed to push over http; the password is read from stdin",
            run: http::user_add,
        },
        Command {
            name: "http-user-list",
            usage: "",
            help: "Lists the users allowed to push over http",
            run: http::user_list,
        },
        Command {
            name: "http-user-remove",
            usage: "<user>",
            help: "Removes a user allowed to push over http",
            run: http::user_remove,
        },
        Command {
            name: "initialize",
            usage: "<app>",
            help: "Initialize a git repository for an app",
            run: initialize,
        },
        Command {
            name: "load-image",
            usage: "[--build-dir DIRECTORY] <app> [<docker-image>] [<user-name> [<user-email>]]",
            help: "Loads an image tarball (docker save) from stdin and deploys it as git:from-image does",
            run: load::load_image,
        },
        Command {
            name: "public-key",
            usage: "",
            help: "Outputs the dokku public deploy key",
            run: keys::public_key,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a git report for one or more apps",
            run: settings::report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a git property (deploy-branch, keep-git-dir, rev-env-var, source-image, archive-max-size, archive-max-files)",
            run: settings::set,
        },
        Command {
            name: "sync",
            usage: "[--build|--build-if-changes] [--skip-deploy-branch] <app> <repository> [<git-ref>]",
            help: "Clone or fetch an app from a remote git repository, and optionally deploy it",
            run: sources::sync,
        },
        Command {
            name: "status",
            usage: "<app>",
            help: "Show the status of an app's repository (deploy branch and its commit)",
            run: status::status,
        },
        Command {
            name: "unlock",
            usage: "<app> [--force]",
            help: "Removes stale git lock files left by an interrupted push",
            run: unlock,
        },
    ],
    bare_commands: &[
        Command {
            name: "git-receive-pack",
            usage: "'<app>'",
            help: "A push (run by the ssh forced command)",
            run: push::receive_pack,
        },
        Command {
            name: "git-upload-pack",
            usage: "'<app>'",
            help: "A fetch (run by the ssh forced command)",
            run: push::upload_pack,
        },
        Command {
            name: "git-http-backend",
            usage: "",
            help: "A push or fetch over http (a CGI program run for nginx)",
            run: http::backend,
        },
        Command {
            name: "git-hook",
            usage: "<app>",
            help: "The pre-receive hook of an app's repository",
            run: push::git_hook,
        },
    ],
    triggers: &[
        Trigger::new("receive-app", pipeline::trigger_receive_app),
        Trigger::new("git-revision", triggers::trigger_git_revision),
        Trigger::new("git-deploy-branch", triggers::trigger_git_deploy_branch),
        Trigger::new("git-get-property", triggers::trigger_git_get_property),
        Trigger::new("git-has-code", triggers::trigger_git_has_code),
        Trigger::new("git-from-archive", sources::trigger_git_from_archive),
        Trigger::new("git-from-image", sources::trigger_git_from_image),
        Trigger::new("git-from-directory", sources::trigger_git_from_directory),
        Trigger::new("post-create", trigger_post_create),
        Trigger::new("post-app-rename-setup", trigger_rewrite_hook),
        Trigger::new("post-app-clone-setup", trigger_rewrite_hook),
    ],
};

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--fastcgi-serve") {
        // The long-running server nginx hands http pushes to (see fastcgi.rs).
        if let Err(e) = fastcgi::run(&argv[1..]) {
            log::error(&format!("{e:#}"));
            std::process::exit(1);
        }
        return;
    }
    PLUGIN.main()
}

fn app_arg(a: &args::Args, usage: &str) -> Result<String> {
    a.at_most(1, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    Ok(app)
}

/// `git:initialize APP`.
fn initialize(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    let app = app_arg(&a, usage())?;
    log::info1(&format!("Initializing git repository for {app}"));
    repo::ensure(&app)
}

/// `git:unlock APP [--force]`: removes the lock files git leaves in a repository when a push
/// is killed; refuses while a deploy runs unless `--force`.
fn unlock(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &["--force"], &[])?;
    let app = app_arg(&a, usage())?;
    if deploylock::is_deploying(&app)? && !a.has("--force") {
        bail!("a deploy of {app} is running; wait for it, or use --force");
    }
    let dir = appname::app_dir(&app);
    let mut removed = 0;
    let mut stack = vec![dir.join("refs")];
    let mut files: Vec<std::path::PathBuf> = [
        "HEAD.lock",
        "config.lock",
        "packed-refs.lock",
        "index.lock",
        "shallow.lock",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                files.push(p);
            }
        }
    }
    for f in files {
        match std::fs::remove_file(&f) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", f.display())),
        }
    }
    if removed == 0 {
        log::info1(&format!("No git lock files found for {app}"));
    } else {
        log::info1(&format!("Removed {removed} git lock file(s) of {app}"));
    }
    Ok(())
}

/// Trigger `post-create APP`: a new app's folder becomes its bare repository with the deploy
/// hook at once, as Dokku's (`$DOKKU_ROOT/APP/refs` exists right after `apps:create`).
fn trigger_post_create(argv: &[String]) -> Result<()> {
    let Some(app) = argv.first() else {
        bail!("post-create needs APP");
    };
    appname::verify(app)?;
    repo::ensure(app)
}

/// Triggers `post-app-rename-setup OLD NEW` and `post-app-clone-setup OLD NEW`: the copied
/// repository's hook must name the new app.
fn trigger_rewrite_hook(argv: &[String]) -> Result<()> {
    let Some(new) = argv.get(1) else {
        bail!("needs OLD and NEW app names");
    };
    if repo::exists(new) {
        repo::write_hook(new)?;
    }
    Ok(())
}
