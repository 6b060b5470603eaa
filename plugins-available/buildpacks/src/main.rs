//! The buildpacks plugin: an app's buildpack list and stack image, which the herokuish builder
//! uses. Commands `buildpacks:add|set|remove|clear|list|report|set-property|detect`, as Dokku's
//! (indexes are 1-based; `buildpacks:set --replace` sets the whole list); trigger `buildpack-stack-name APP` (the app's stack, else the global
//! one, else nothing).

use anyhow::{bail, Context, Result};
use dokku_core::plugin::{Command, Plugin, Trigger};
use dokku_core::report::{self, Report};
use dokku_core::{appname, args, log, property};
use dokku_plugin_buildpacks::{store, url};

mod detect;

static PLUGIN: Plugin = Plugin {
    prefix: "buildpacks",
    summary: "Manage buildpack settings for an app",
    commands: &[
        Command {
            name: "add",
            usage: "[--index 1] <app> <buildpack>",
            help: "Add new app buildpack while inserting into list of buildpacks if necessary",
            run: add,
        },
        Command {
            name: "clear",
            usage: "<app>",
            help: "Clear all buildpacks set on the app",
            run: clear,
        },
        Command {
            name: "detect",
            usage: "<app> [<branch>]",
            help: "Detect the buildpacks a build of the app would use",
            run: detect::command,
        },
        Command {
            name: "list",
            usage: "<app>",
            help: "List all buildpacks for an app",
            run: list,
        },
        Command {
            name: "remove",
            usage: "<app> (<buildpack>|--index 1)",
            help: "Remove a buildpack set on the app",
            run: remove,
        },
        Command {
            name: "report",
            usage: "[<app>|--global] [--format stdout|json] [<flag>]",
            help: "Displays a buildpack report for one or more apps",
            run: report_cmd,
        },
        Command {
            name: "set",
            usage: "[--index 1] <app> <buildpack> | --replace <app> <buildpack> [<buildpack> ...]",
            help: "Set new app buildpack at a given position defaulting to the first buildpack if no index is specified (--replace: the whole ordered list)",
            run: set,
        },
        Command {
            name: "set-property",
            usage: "[--global|<app>] <key> [<value>]",
            help: "Set or clear a buildpacks property for an app (stack)",
            run: set_property,
        },
    ],
    bare_commands: &[],
    triggers: &[
        Trigger::new("buildpack-stack-name", trigger_stack_name),
        Trigger::new("buildpacks-list", trigger_list),
    ],
};

fn main() {
    PLUGIN.main()
}

/// Parses `--index N` (1-based) into a 0-based position.
fn index_of(a: &args::Args) -> Result<Option<usize>> {
    let Some(v) = a.value("--index") else {
        return Ok(None);
    };
    match v.parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(Some(n - 1)),
        _ => bail!("Invalid --index {v:?}: use a whole number from 1"),
    }
}

/// The APP and BUILDPACK positionals of add/set, the buildpack validated and normalized.
fn app_and_url(a: &args::Args, usage: &str) -> Result<(String, String)> {
    a.at_most(2, usage)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let Some(raw) = a.pos(1) else {
        bail!("Must specify a buildpack; usage: {usage}");
    };
    Ok((app, url::normalize(raw)?))
}

/// `buildpacks:add [--index N] APP BUILDPACK`.
fn add(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku buildpacks:add [--index 1] <app> <buildpack>";
    let a = args::parse(argv, &[], &["--index"])?;
    let index = index_of(&a)?;
    let (app, bp) = app_and_url(&a, USAGE)?;
    store::update(&app, |items| {
        if let Some(i) = items.iter().position(|x| *x == bp) {
            bail!(
                "The buildpack {bp} is already set on {app} (at index {})",
                i + 1
            );
        }
        match index {
            Some(i) if i < items.len() => items.insert(i, bp.clone()),
            _ => items.push(bp.clone()),
        }
        Ok(())
    })?;
    log::info1(&format!("Added {bp} to the buildpacks of {app}"));
    Ok(())
}

/// `buildpacks:set [--index N] APP BUILDPACK`: replaces the buildpack at N (default 1);
/// `buildpacks:set --replace APP BUILDPACK…`: the list becomes exactly these, in order.
fn set(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku buildpacks:set [--index 1] <app> <buildpack>";
    const REPLACE_USAGE: &str =
        "dokku buildpacks:set --replace <app> <buildpack> [<buildpack> ...]";
    let a = args::parse(argv, &["--replace"], &["--index"])?;
    if a.has("--replace") {
        if a.value("--index").is_some() {
            bail!("--replace sets the whole list and takes no --index; usage: {REPLACE_USAGE}");
        }
        return set_replace(&a, REPLACE_USAGE);
    }
    let index = index_of(&a)?.unwrap_or(0);
    let (app, bp) = app_and_url(&a, USAGE)?;
    store::update(&app, |items| {
        if let Some(i) = items.iter().position(|x| *x == bp) {
            if i != index {
                bail!(
                    "The buildpack {bp} is already set on {app} (at index {})",
                    i + 1
                );
            }
        }
        if index < items.len() {
            items[index] = bp.clone();
        } else {
            items.push(bp.clone());
        }
        Ok(())
    })?;
    log::info1(&format!("Set {bp} as a buildpack of {app}"));
    Ok(())
}

/// `buildpacks:set --replace APP BUILDPACK…`: every buildpack is checked (valid, not given
/// twice) before the list is written, in one change under its lock.
fn set_replace(a: &args::Args, usage: &str) -> Result<()> {
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let raw = a.positional.get(1..).unwrap_or(&[]);
    if raw.is_empty() {
        bail!("Must specify at least one buildpack; usage: {usage}");
    }
    let mut list: Vec<String> = Vec::new();
    for r in raw {
        let bp = url::normalize(r)?;
        if list.contains(&bp) {
            bail!("The buildpack {bp} is given more than once");
        }
        list.push(bp);
    }
    store::update(&app, |items| {
        *items = list.clone();
        Ok(())
    })?;
    log::info1(&format!("Replaced the buildpacks of {app}"));
    for bp in &list {
        log::verbose(bp);
    }
    Ok(())
}

/// `buildpacks:remove APP (BUILDPACK|--index N)`.
fn remove(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku buildpacks:remove <app> (<buildpack>|--index 1)";
    let a = args::parse(argv, &[], &["--index"])?;
    a.at_most(2, USAGE)?;
    let index = index_of(&a)?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    let target = match (a.pos(1), index) {
        (Some(_), Some(_)) => bail!("Give either a buildpack or --index, not both; usage: {USAGE}"),
        (None, None) => bail!("Must specify a buildpack or --index; usage: {USAGE}"),
        (Some(raw), None) => Some(url::normalize(raw)?),
        (None, Some(_)) => None,
    };
    let mut removed = String::new();
    store::update(&app, |items| {
        let i = match (&target, index) {
            (Some(bp), _) => items
                .iter()
                .position(|x| x == bp)
                .with_context(|| format!("The buildpack {bp} is not set on {app}"))?,
            (None, Some(i)) if i < items.len() => i,
            (None, Some(i)) => bail!(
                "There is no buildpack at index {} of {app} ({} set)",
                i + 1,
                items.len()
            ),
            (None, None) => unreachable!("checked above"),
        };
        removed = items.remove(i);
        Ok(())
    })?;
    log::info1(&format!("Removed {removed} from the buildpacks of {app}"));
    Ok(())
}

/// `buildpacks:clear APP`.
fn clear(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, "dokku buildpacks:clear <app>")?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    store::update(&app, |items| {
        items.clear();
        Ok(())
    })?;
    log::info1(&format!("Cleared the buildpacks of {app}"));
    Ok(())
}

/// `buildpacks:list APP`: a heading, then one buildpack per line.
fn list(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &[])?;
    a.at_most(1, "dokku buildpacks:list <app>")?;
    let app = appname::required(a.pos(0))?;
    appname::verify(&app)?;
    log::info2(&format!("{app} buildpack urls"));
    for bp in store::list(&app)? {
        println!("{bp}");
    }
    Ok(())
}

/// The flags `buildpacks:report` answers, with their labels.
const REPORT_FIELDS: &[(&str, &str)] = &[
    ("buildpacks-computed-stack", "Buildpacks computed stack"),
    ("buildpacks-global-stack", "Buildpacks global stack"),
    ("buildpacks-list", "Buildpacks list"),
    ("buildpacks-stack", "Buildpacks stack"),
];

fn report_of(app: &str) -> Result<Report> {
    let mut rows = Vec::new();
    for (key, label) in REPORT_FIELDS {
        let value = match *key {
            "buildpacks-computed-stack" => store::computed_stack(app)?,
            "buildpacks-global-stack" => store::stack(property::GLOBAL)?.unwrap_or_default(),
            "buildpacks-list" => store::list(app)?.join(","),
            _ => store::stack(app)?.unwrap_or_default(),
        };
        rows.push((key.to_string(), label.to_string(), value));
    }
    Ok(Report {
        heading: format!("{app} buildpacks information"),
        rows,
    })
}

/// `buildpacks:report [APP] [--format stdout|json] [--buildpacks-…]`.
fn report_cmd(argv: &[String]) -> Result<()> {
    report::command(
        argv,
        REPORT_FIELDS,
        "dokku buildpacks:report [<app>|--global] [--format stdout|json] [<flag>]",
        report_of,
    )
}

/// `buildpacks:set-property [--global|APP] stack [IMAGE]`: sets, or without a value unsets.
fn set_property(argv: &[String]) -> Result<()> {
    const USAGE: &str = "dokku buildpacks:set-property [--global|<app>] <key> [<value>]";
    let c = property::SetCommand::parse(argv, USAGE, &[store::STACK_KEY])?;
    if let Some(image) = c.new_value() {
        store::validate_image(image)?;
    }
    c.apply(store::PROPS)
}

/// Trigger `buildpacks-list APP`: the app's buildpack list (`buildpacks:add`), one location
/// per line in order; nothing when none is set.
fn trigger_list(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::validate(app)?;
    for bp in store::list(app)? {
        println!("{bp}");
    }
    Ok(())
}

/// Trigger `buildpack-stack-name APP`: the app's stack image, else the global one, else
/// nothing.
fn trigger_stack_name(argv: &[String]) -> Result<()> {
    let app = argv.first().map(String::as_str).unwrap_or("");
    appname::validate(app)?;
    for scope in [app, property::GLOBAL] {
        if let Some(s) = store::stack(scope)? {
            println!("{s}");
            break;
        }
    }
    Ok(())
}
