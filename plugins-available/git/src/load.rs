//! `git:load-image [--build-dir DIR] APP [IMAGE] [USER_NAME [USER_EMAIL]]`: `docker load`s the
//! image tarball (`docker save` output, plain or compressed) on stdin, then deploys IMAGE as
//! `git:from-image` does (always: the name may be the one deployed before, with new content).
//! IMAGE names which loaded image; it may be left out when the tarball holds one. A tarball
//! that loads no named image, or not IMAGE, is refused and nothing of the app changes.

use crate::sources::{author, fire_from_image, validate_image};
use anyhow::{bail, Context, Result};
use dokku_core::{appname, args, docker, log};
use std::process::Stdio;

const USAGE: &str = "dokku git:load-image [--build-dir DIRECTORY] <app> [<docker-image>] [<user-name> [<user-email>]] < image.tar";

/// The image names `docker load` reports (`Loaded image: NAME`); ids of untagged images are
/// left out (they cannot be named in a `FROM`).
fn loaded_names(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Loaded image: "))
        .map(|n| n.trim().to_string())
        .collect()
}

/// The image a reference names as `docker load` reports it (`busybox` is `busybox:latest`).
fn with_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || image.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// `git:load-image`.
pub fn load_image(argv: &[String]) -> Result<()> {
    let a = args::parse(argv, &[], &["--build-dir"])?;
    a.at_most(4, USAGE)?;
    let app = appname::required(a.pos(0))?;
    appname::validate(&app)?;
    let wanted = a.pos(1).filter(|s| !s.is_empty());
    if let Some(i) = wanted {
        validate_image(i)?;
    }
    let who = author(a.pos(2), a.pos(3))?;
    let build_dir = a.value("--build-dir").unwrap_or("");
    if !build_dir.is_empty() {
        crate::sources::check_build_dir(build_dir)?;
    }
    {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            bail!("no image tarball on stdin; usage: {USAGE}");
        }
    }
    log::info1("Loading the image tarball from stdin");
    let out = docker::command(["load"])
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .context("cannot run docker load")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("docker load failed");
        bail!(
            "docker load refused the tarball on stdin: {}",
            first
                .trim()
                .trim_start_matches("Error response from daemon: ")
        );
    }
    let names = loaded_names(&String::from_utf8_lossy(&out.stdout));
    let image = match wanted {
        Some(i) => {
            if !names.contains(&with_tag(i)) && !names.contains(i) {
                bail!(
                    "the tarball on stdin does not hold {i} (it loaded: {})",
                    if names.is_empty() {
                        "no named image".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            }
            i.clone()
        }
        None => match names.as_slice() {
            [] => bail!("the tarball on stdin loaded no named image; nothing to deploy"),
            [one] => one.clone(),
            many => bail!(
                "the tarball on stdin loaded several images ({}): name the one to deploy",
                many.join(", ")
            ),
        },
    };
    validate_image(&image)?;
    log::verbose(&format!("Loaded image {image}"));
    fire_from_image(&app, &image, build_dir, &who)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let out = "Loaded image: a/b:1\nLoaded image ID: sha256:00\nLoaded image: busybox:latest\n";
        assert_eq!(loaded_names(out), ["a/b:1", "busybox:latest"]);
        assert_eq!(with_tag("busybox"), "busybox:latest");
        assert_eq!(with_tag("reg:5000/x"), "reg:5000/x:latest");
        assert_eq!(with_tag("x:1"), "x:1");
    }
}
