//! The registry plugin: logins to image registries (`registry:login`, `registry:logout`), the
//! names of an app's images (`registry:set APP server|image-repo|…`, answered through
//! `deployed-app-repository`, `deployed-app-image-repo` and `deployed-app-image-tag`), and the
//! push of each release at `post-release-builder` when `push-on-release` is true or the app's
//! scheduler runs elsewhere; `registry-docker-config APP` tells a scheduler which docker config
//! to pull with; `post-delete` deletes what was pushed. `registry:report`.

mod cleanup;
mod login;
mod props;
mod push;

use anyhow::{bail, Result};
use dokku_core::plugin::usage;
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::property;
use dokku_core::report::{self, Report};
use props::PROPS;

static PLUGIN: Plugin = Plugin {
    prefix: "registry",
    summary: "Manage registry settings for an app",
    commands: &[
        Command {
            name: "login",
            usage: "[--global|<app>] [--password-stdin] <server> <username> [<password>]",
            help: "Login to a docker registry",
            run: login::login,
        },
        Command {
            name: "logout",
            usage: "[--global|<app>] <server>",
            help: "Logout from a docker registry",
            run: login::logout,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a registry report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a registry property for an app (server, image-repo, image-repo-template, push-on-release, push-extra-tags)",
            run: set,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("deployed-app-image-repo", push::trigger_image_repo),
        Trigger::new("deployed-app-image-tag", push::trigger_image_tag),
        Trigger::new("deployed-app-repository", push::trigger_repository),
        Trigger::new("post-app-clone-setup", trigger_clone),
        Trigger::new("post-app-rename-setup", cleanup::trigger_rename),
        Trigger::new("post-delete", cleanup::trigger_post_delete),
        Trigger::new("post-release-builder", push::trigger_post_release_builder),
        Trigger::new("registry-docker-config", push::trigger_docker_config),
    ],
};

fn main() {
    PLUGIN.main()
}

/// `registry:set [--global|APP] KEY [VALUE]`.
fn set(argv: &[String]) -> Result<()> {
    let c = property::SetCommand::parse(argv, usage(), props::KEYS)?;
    if c.is_global() && props::APP_ONLY.contains(&c.key.as_str()) {
        bail!(
            "{} is set per app (globally, set image-repo-template)",
            c.key
        );
    }
    if !c.is_global() && props::GLOBAL_ONLY.contains(&c.key.as_str()) {
        bail!("{} is a global property: use registry:set --global", c.key);
    }
    if let Some(v) = c.new_value() {
        props::validate(&c.key, v)?;
    }
    c.apply(PROPS)
}

const REPORT_FIELDS: &[(&str, &str)] = &[
    (
        "registry-computed-image-repo",
        "Registry computed image repo",
    ),
    ("registry-image-repo", "Registry image repo"),
    (
        "registry-computed-image-repo-template",
        "Registry computed image repo template",
    ),
    (
        "registry-global-image-repo-template",
        "Registry global image repo template",
    ),
    (
        "registry-computed-push-on-release",
        "Registry computed push on release",
    ),
    (
        "registry-global-push-on-release",
        "Registry global push on release",
    ),
    ("registry-push-on-release", "Registry push on release"),
    (
        "registry-computed-push-extra-tags",
        "Registry computed push extra tags",
    ),
    (
        "registry-global-push-extra-tags",
        "Registry global push extra tags",
    ),
    ("registry-push-extra-tags", "Registry push extra tags"),
    ("registry-computed-server", "Registry computed server"),
    ("registry-global-server", "Registry global server"),
    ("registry-server", "Registry server"),
    ("registry-tag-version", "Registry tag version"),
];

fn report_of(app: &str) -> Result<Report> {
    let g = property::GLOBAL;
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        // The image repo is an app's; the global report has the rest.
        if app == g && *key == "registry-computed-image-repo" {
            continue;
        }
        let value = match *key {
            "registry-computed-image-repo" => props::computed_repo(app)?,
            "registry-image-repo" => props::own(app, "image-repo")?,
            "registry-computed-image-repo-template" | "registry-global-image-repo-template" => {
                props::own(g, "image-repo-template")?
            }
            "registry-computed-push-on-release" => props::computed_push_on_release(app)?,
            "registry-global-push-on-release" => props::own(g, "push-on-release")?,
            "registry-push-on-release" => props::own(app, "push-on-release")?,
            "registry-computed-push-extra-tags" => props::app_or_global(app, "push-extra-tags")?,
            "registry-global-push-extra-tags" => props::own(g, "push-extra-tags")?,
            "registry-push-extra-tags" => props::own(app, "push-extra-tags")?,
            "registry-computed-server" => props::server_prefix(app)?,
            "registry-global-server" => props::own(g, "server")?,
            "registry-server" => props::own(app, "server")?,
            _ => props::own(app, "tag-version")?,
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} registry information"),
        rows,
    })
}

fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(argv, REPORT_FIELDS, usage(), report_of)
}

/// Trigger `post-app-clone-setup OLD NEW`: the clone copied the properties, but it has pushed
/// nothing yet, so its release counter starts again.
fn trigger_clone(argv: &[String]) -> Result<()> {
    let Some(new) = argv.get(1) else {
        bail!("post-app-clone-setup needs OLD NEW");
    };
    dokku_core::appname::validate(new)?;
    property::delete(PROPS, new, "tag-version")
}
