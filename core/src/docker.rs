//! The Docker engine as plugins reach it: the `docker` CLI (`$DOCKER_BIN`, default `docker`),
//! run with argument vectors; the image and labels of an app, as Dokku names them; and the
//! `docker-args-*` triggers, whose output (one argument string that each plugin extends) is
//! split into arguments without a shell.

pub mod dockerargs;

use anyhow::{bail, Context, Result};
use std::process::{Command, Stdio};

/// The label every container and image dokku makes carries (Dokku's `--label=dokku`).
pub const LABEL: &str = "dokku";
/// The label naming the app of a container or image.
pub const APP_LABEL: &str = "com.dokku.app-name";
/// The label naming the installation (its `DOKKU_ROOT`) that made a volume, so that one
/// installation's cleanup never takes another's on a shared engine.
pub const ROOT_LABEL: &str = "com.dokku.root";

/// `--label com.dokku.root=DOKKU_ROOT` for what this installation creates.
pub fn root_labels() -> Vec<String> {
    vec![
        "--label".into(),
        format!("{ROOT_LABEL}={}", crate::paths().dokku_root.display()),
    ]
}
/// The label naming the process type of a container.
pub const PROCESS_LABEL: &str = "com.dokku.process-type";
/// The label naming a container's kind: `deploy` (scheduled) or `run` (one-off).
pub const CONTAINER_TYPE_LABEL: &str = "com.dokku.container-type";

/// The docker CLI program (`$DOCKER_BIN`, default `docker`).
pub fn bin() -> String {
    std::env::var("DOCKER_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "docker".to_string())
}

/// A `docker ARGS…` command.
pub fn command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut c = Command::new(bin());
    c.args(args);
    c
}

/// Runs `docker ARGS…` and returns its trimmed stdout; fails with docker's first error line.
pub fn output<I, S>(args: I) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args = os_args(args);
    run_captured(command(&args), &args)
}

/// The arguments as owned `OsString`s, so that they can be both run and named in an error.
fn os_args<I, S>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    args.into_iter()
        .map(|a| a.as_ref().to_os_string())
        .collect()
}

/// Runs `cmd` (the docker CLI with `args`) with nothing on stdin, returning its trimmed stdout
/// or docker's first error line.
fn run_captured(mut cmd: Command, args: &[std::ffi::OsString]) -> Result<String> {
    cmd.stdin(Stdio::null());
    captured(cmd, args)
}

/// Runs `cmd` (the docker CLI with `args`, any endpoint or environment the caller set),
/// returning its trimmed stdout; fails with docker's first error line, naming the docker
/// subcommand (`args`' first two words).
pub fn captured(mut cmd: Command, args: &[std::ffi::OsString]) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {} (is the Docker engine installed?)", bin()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed")
            .trim_start_matches("Error response from daemon: ")
            .to_string();
        let what = args
            .iter()
            .take(2)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        bail!("docker {what}: {line}");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `docker ARGS…` with output passed through (streamed); fails with its exit code.
pub fn stream<I, S>(args: I) -> Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let st = command(args)
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", bin()))?;
    if !st.success() {
        return Err(crate::Exit(plugn::trigger::exit_code(st)).into());
    }
    Ok(())
}

/// Whether a Docker engine answers.
pub fn engine_answers() -> bool {
    command(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The image repository of an app (`dokku/APP`), as Dokku names it.
pub fn app_repo(app: &str) -> String {
    format!("dokku/{app}")
}

/// The image an app runs: `dokku/APP:TAG` (`latest` unless a release tag is given).
pub fn app_image(app: &str, tag: &str) -> String {
    format!("{}:{tag}", app_repo(app))
}

/// The build-phase options of `app`'s build by `builder`: what Dokku's two build triggers,
/// `docker-args-build APP BUILDER` and `docker-args-process-build APP BUILDER`, answer (each fed
/// an empty stdin), split into words without a shell.
pub fn build_args(app: &str, builder: &str) -> Result<Vec<String>> {
    let mut args = args_trigger("docker-args-build", &[app, builder], "")?;
    args.extend(args_trigger(
        "docker-args-process-build",
        &[app, builder],
        "",
    )?);
    Ok(args)
}

/// A builder's answer to `builder-release BUILDER APP IMAGE_TAG`: when BUILDER is `own`, fires
/// `pre-release-builder` and `post-release-builder BUILDER APP IMAGE` (IMAGE the full name,
/// `dokku/APP:TAG`). Our builders' images are the release as built (the config reaches the
/// containers at run time), so nothing happens between the two.
pub fn builder_release(own: &str, argv: &[String]) -> Result<()> {
    let [builder, app, tag] = argv else {
        bail!("builder-release needs BUILDER APP IMAGE_TAG");
    };
    if builder != own {
        return Ok(());
    }
    crate::appname::validate(app)?;
    if tag.is_empty()
        || tag.len() > 128
        || tag.starts_with(['.', '-'])
        || !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        bail!("invalid image tag {tag:?}");
    }
    let image = app_image(app, tag);
    crate::trigger("pre-release-builder", &[own, app, &image])?;
    crate::trigger("post-release-builder", &[own, app, &image])
}

/// `--label` arguments every container and image of `app` gets.
pub fn labels(app: &str) -> Vec<String> {
    vec![
        "--label".into(),
        LABEL.into(),
        "--label".into(),
        format!("{APP_LABEL}={app}"),
    ]
}

/// Whether `image` exists in the engine.
pub fn image_exists(image: &str) -> bool {
    command(["image", "inspect", "--format", "{{.Id}}", image])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Fires a `docker-args-*` trigger: `initial` goes in on stdin, each plugin echoes what it read
/// and appends its own; the result is split into arguments as a shell would, without one
/// (operators and substitutions are refused).
pub fn args_trigger(name: &str, args: &[&str], initial: &str) -> Result<Vec<String>> {
    let text = crate::trigger_output(name, args, initial)?.replace('\n', " ");
    crate::sshcommand::parse(&text).with_context(|| format!("{name} answered {text:?}"))
}

/// The longest `KEY=VALUE` line put in an env file (docker's reader stops at 64 KiB).
const MAX_ENV_LINE: usize = 60_000;

/// Variables the docker CLI itself reads: a value for one of them cannot reach a container
/// through the CLI's own environment (see [`Env`]).
fn read_by_docker_cli(key: &str) -> bool {
    ["DOCKER_", "LD_", "GO", "BUILDKIT_", "SSL_CERT_"]
        .iter()
        .any(|p| key.starts_with(p))
        || [
            "PATH",
            "HOME",
            "TMPDIR",
            "USER",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "all_proxy",
        ]
        .contains(&key)
}

/// An app's config on its way into a container, never on a command line (where `ps` would
/// show it to every local user). As Dokku does, it goes through an env file that the docker CLI
/// reads: here an anonymous in-memory file (`memfd`, nothing on disk, gone with the last
/// descriptor), handed only to the docker CLI as `--env-file /dev/fd/N`. A value a docker env
/// file cannot hold (a newline, a trailing carriage return, a line over 60 kB) is written as a
/// bare `KEY` line, which makes the CLI take it from its own environment, set for that one
/// process (`/proc/PID/environ` is readable by its user and root only, like a 0600 file).
pub struct Env {
    file: Option<std::fs::File>,
    inherited: Vec<(String, String)>,
}

impl Env {
    /// The env of `vars` (keys must be env-var names; values hold no NUL byte).
    #[allow(unsafe_code)]
    pub fn new(vars: &std::collections::BTreeMap<String, String>) -> Result<Env> {
        use std::io::{Seek, Write};
        use std::os::unix::io::FromRawFd;
        let mut text = String::new();
        let mut inherited = Vec::new();
        for (k, v) in vars {
            crate::envfile::validate_key(k).context("cannot pass the app's config")?;
            if v.contains('\0') {
                bail!("the config value of {k} holds a NUL byte, which no process environment can");
            }
            if v.contains('\n') || v.ends_with('\r') || k.len() + v.len() + 2 > MAX_ENV_LINE {
                if read_by_docker_cli(k) {
                    bail!("the config value of {k} is multi-line or over 60 kB, which docker takes only from its own environment, and {k} is a variable the docker CLI reads itself");
                }
                text.push_str(k);
                inherited.push((k.clone(), v.clone()));
            } else {
                text.push_str(k);
                text.push('=');
                text.push_str(v);
            }
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(Env {
                file: None,
                inherited,
            });
        }
        // Close-on-exec: only the docker CLI gets it (see `command`), not every child.
        // SAFETY: memfd_create with a valid NUL-terminated name and a valid flag.
        let fd = unsafe { libc::memfd_create(c"dokku-env".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error()).context("cannot create the env file");
        }
        // SAFETY: fd is a new descriptor that nothing else owns.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(text.as_bytes())
            .context("cannot write the env file")?;
        file.rewind().context("cannot rewind the env file")?;
        Ok(Env {
            file: Some(file),
            inherited,
        })
    }

    /// The env of `app`'s config (merged over the global one).
    pub fn of_app(app: &str) -> Result<Env> {
        Env::new(&crate::app_config(app)?)
    }

    /// The arguments that hand it to `docker container create` (none when the config is empty).
    pub fn args(&self) -> Vec<String> {
        use std::os::unix::io::AsRawFd;
        match &self.file {
            Some(f) => vec!["--env-file".into(), format!("/dev/fd/{}", f.as_raw_fd())],
            None => Vec::new(),
        }
    }

    /// A `docker ARGS…` command that can read it: the env file's descriptor inherited (by this
    /// command alone) and the values it names set in the command's environment.
    #[allow(unsafe_code)]
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::os::unix::io::AsRawFd;
        use std::os::unix::process::CommandExt;
        let mut c = command(args);
        c.envs(self.inherited.iter().map(|(k, v)| (k, v)));
        if let Some(f) = &self.file {
            let fd = f.as_raw_fd();
            // SAFETY: between fork and exec, fcntl (async-signal-safe) clears close-on-exec
            // on a descriptor this process owns.
            unsafe {
                c.pre_exec(move || {
                    if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        c
    }

    /// Runs `docker ARGS…` (a `container create` that names [`Env::args`]) as [`output`] does.
    pub fn output<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args = os_args(args);
        run_captured(self.command(&args), &args)
    }
}

/// A label of an image (empty when unset).
pub fn image_label(image: &str, label: &str) -> Result<String> {
    output([
        "image",
        "inspect",
        "--format",
        &format!("{{{{index .Config.Labels {label:?}}}}}"),
        image,
    ])
    .map(|s| if s == "<no value>" { String::new() } else { s })
}

/// The command that runs `command` (a shell command line) in an image made by `builder`:
/// herokuish images run it through `/exec` in the app's environment, others through `/bin/sh`.
pub fn shell_command(builder: &str, command: &str) -> Vec<String> {
    if builder == "herokuish" {
        vec![
            "/exec".into(),
            "/bin/sh".into(),
            "-c".into(),
            command.into(),
        ]
    } else {
        vec!["/bin/sh".into(), "-c".into(), command.into()]
    }
}

/// Runs `command` in a one-off container of `image` for `app` (its config as env, the
/// `docker-args-run` options, Dokku's labels), as app.json's `predeploy`/`postdeploy` scripts
/// run: created, handed to `post-container-create app ID APP PHASE`, then started with its
/// output streaming; fails with its exit code. The container is removed when it ends.
pub fn run_oneoff(app: &str, image: &str, command: &[String], phase: &str) -> Result<()> {
    let mut args: Vec<String> = vec!["container".into(), "create".into(), "--rm".into()];
    args.extend(labels(app));
    args.extend(["--label".into(), format!("{CONTAINER_TYPE_LABEL}=run")]);
    args.extend(args_trigger("docker-args-run", &[app, "latest"], "")?);
    let env = Env::of_app(app)?;
    args.extend(env.args());
    args.push(image.to_string());
    args.extend(command.iter().cloned());
    let id = env.output(&args)?;
    drop(env);
    if let Err(e) = crate::trigger("post-container-create", &["app", &id, app, phase]) {
        let _ = output(["container", "rm", "--force", &id]);
        return Err(e);
    }
    stream(["container", "start", "--attach", &id])
}

/// The first non-empty line of a return-value trigger's answer.
fn first_line(answer: Option<String>) -> Option<String> {
    answer.and_then(|v| {
        v.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    })
}

/// The tag of the image an app runs, as Dokku's `GetRunningImageTag`: what
/// `deployed-app-image-tag APP` answers, else `latest`.
pub fn running_image_tag(app: &str) -> Result<String> {
    Ok(
        first_line(crate::trigger_value("deployed-app-image-tag", &[app])?)
            .unwrap_or_else(|| "latest".to_string()),
    )
}

/// The image a deploy (or a one-off container) of `app` at `tag` runs, as Dokku's
/// `GetDeployingAppImageName`: `deployed-app-repository APP` (a registry prefix such as
/// `registry.example.com/`, default none), `deployed-app-image-tag APP` (default `tag`, else
/// `latest`) and `deployed-app-image-repo APP` (default `dokku/APP`) give
/// `PREFIXREPO:TAG`.
pub fn deploying_image(app: &str, tag: &str) -> Result<String> {
    let registry = first_line(crate::trigger_value("deployed-app-repository", &[app])?);
    let new_tag = first_line(crate::trigger_value("deployed-app-image-tag", &[app])?);
    let repo = first_line(crate::trigger_value("deployed-app-image-repo", &[app])?);
    let tag = new_tag.unwrap_or_else(|| {
        if tag.is_empty() {
            "latest".to_string()
        } else {
            tag.to_string()
        }
    });
    Ok(format!(
        "{}{}:{tag}",
        registry.unwrap_or_default(),
        repo.unwrap_or_else(|| app_repo(app))
    ))
}

/// The label naming a scheduled container's dyno (`web.1`).
pub const DYNO_LABEL: &str = "com.dokku.dyno";

/// One container of an app, as `docker container ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppContainer {
    /// The full container id.
    pub id: String,
    /// Its name (`APP.web.1`, or a temporary name during a deploy).
    pub name: String,
    /// Its process type (the `com.dokku.process-type` label; empty when unset).
    pub process: String,
    /// Its dyno (the `com.dokku.dyno` label, else the `PROC.N` tail of its name; empty when
    /// neither says).
    pub dyno: String,
    /// Whether it is running.
    pub running: bool,
    /// When it was created, as docker prints it (sortable within one engine).
    pub created: String,
    /// Its labels (the image's included).
    pub labels: std::collections::BTreeMap<String, String>,
}

impl AppContainer {
    /// Whether it is an old container retiring, or a new one not switched in yet.
    pub fn in_transition(&self) -> bool {
        self.name.contains(".retiring-") || self.name.contains(".upcoming-")
    }
}

/// Reads one line of [`app_containers`]' listing.
fn parse_listed(app: &str, line: &str) -> Option<AppContainer> {
    let f: Vec<&str> = line.splitn(7, '\t').collect();
    let [id, name, state, created, process, dyno, labels] = f.as_slice() else {
        return None;
    };
    let dyno = if dyno.is_empty() {
        name.strip_prefix(&format!("{app}."))
            .filter(|d| {
                d.rsplit_once('.')
                    .is_some_and(|(_, n)| n.parse::<u32>().is_ok())
            })
            .unwrap_or("")
            .to_string()
    } else {
        dyno.to_string()
    };
    Some(AppContainer {
        id: id.to_string(),
        name: name.to_string(),
        process: process.to_string(),
        dyno,
        running: *state == "running",
        created: created.to_string(),
        labels: labels
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

/// The containers of `app` by label, in one `docker container ls`: of one kind
/// (`container_type` `deploy` or `run`, any when `None`), of one process type when `process`
/// is given, stopped ones too when `all`.
pub fn app_containers(
    app: &str,
    container_type: Option<&str>,
    process: Option<&str>,
    all: bool,
) -> Result<Vec<AppContainer>> {
    let mut args: Vec<String> = vec!["container".into(), "ls".into(), "--no-trunc".into()];
    if all {
        args.push("--all".into());
    }
    args.extend(["--filter".into(), format!("label={APP_LABEL}={app}")]);
    if let Some(t) = container_type {
        args.extend([
            "--filter".into(),
            format!("label={CONTAINER_TYPE_LABEL}={t}"),
        ]);
    }
    if let Some(p) = process {
        args.extend(["--filter".into(), format!("label={PROCESS_LABEL}={p}")]);
    }
    args.extend([
        "--format".into(),
        format!(
            "{{{{.ID}}}}\t{{{{.Names}}}}\t{{{{.State}}}}\t{{{{.CreatedAt}}}}\t{{{{.Label \"{PROCESS_LABEL}\"}}}}\t{{{{.Label \"{DYNO_LABEL}\"}}}}\t{{{{.Labels}}}}"
        ),
    ]);
    let out = output(&args).with_context(|| format!("cannot list the containers of {app}"))?;
    Ok(out.lines().filter_map(|l| parse_listed(app, l)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_lines() {
        let c = parse_listed(
            "app",
            "abc\tapp.web.2\trunning\t2024\tweb\t\tcom.dokku.app-name=app,dokku=",
        )
        .unwrap();
        assert_eq!(c.dyno, "web.2");
        assert!(c.running && !c.in_transition());
        assert_eq!(c.labels["com.dokku.app-name"], "app");
        let t = parse_listed("app", "x\tapp.web.1.upcoming-9\texited\t\tweb\tweb.1\t").unwrap();
        assert_eq!(t.dyno, "web.1");
        assert!(t.in_transition() && !t.running);
        let odd = parse_listed("app", "x\tother\texited\t\t\t\t").unwrap();
        assert_eq!(odd.dyno, "");
        assert!(parse_listed("app", "short\tline").is_none());
    }

    #[test]
    fn env_file_and_inherited_values() {
        let vars = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let long = "y".repeat(70_000);
        let env = Env::new(&vars(&[
            ("A", "1 2"),
            ("B", "x\ny"),
            ("C", ""),
            ("D", "z\r"),
            ("L", &long),
        ]))
        .unwrap();
        let args = env.args();
        assert_eq!(args[0], "--env-file");
        let text = std::fs::read_to_string(&args[1]).unwrap();
        assert_eq!(text, "A=1 2\nB\nC=\nD\nL\n");
        let names: Vec<&str> = env.inherited.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["B", "D", "L"]);
        let cmd = env.command(["x"]);
        assert!(cmd
            .get_envs()
            .any(|(k, v)| k == "B" && v == Some(std::ffi::OsStr::new("x\ny"))));
        assert!(Env::new(&vars(&[])).unwrap().args().is_empty());
        assert!(Env::new(&vars(&[("A-B", "1")])).is_err());
        assert!(Env::new(&vars(&[("A", "a\0b")])).is_err());
        assert!(Env::new(&vars(&[("PATH", "a\nb")])).is_err());
        assert!(Env::new(&vars(&[("PATH", "/x")])).is_ok());
    }
}
