//! Docker options, one per line, where Dokku 0.38 keeps them: the property lists
//! `$DOKKU_LIB_ROOT/config/docker-options/APP/_default_.PHASE` (every process's; PHASE is
//! `build`, `deploy` or `run`) and `PROC.deploy` (one process type's), which move with the app
//! on rename and clone as every property does. The files of older releases
//! (`$DOKKU_ROOT/APP/DOCKER_OPTIONS_{BUILD,DEPLOY,RUN}`, `DOCKER_OPTIONS_DEPLOY.PROC`) are
//! drained into them on first use and by the `install` trigger (see [`migrate`]). An option
//! line may hold several words (`-v /a:/b`); it must split without a shell. Every change is a
//! read-modify-write under the files' locks, written atomically.

use anyhow::{bail, Context, Result};
use dokku_core::appname;
use std::path::PathBuf;

/// A phase whose containers get the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Build containers (`docker-args-build`).
    Build,
    /// Deployed process containers (`docker-args-deploy`).
    Deploy,
    /// One-off containers of `dokku run` (`docker-args-run`).
    Run,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 3] = [Phase::Build, Phase::Deploy, Phase::Run];

    /// The phase's name (`build`, `deploy`, `run`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Build => "build",
            Phase::Deploy => "deploy",
            Phase::Run => "run",
        }
    }

    /// The phase of a name.
    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Parses a comma-separated phase list (`deploy,run`), without duplicates, in the given order.
pub fn parse_phases(list: &str) -> Result<Vec<Phase>> {
    if list.is_empty() {
        bail!("Please specify a phase (build, deploy or run; comma-separated for several)");
    }
    let mut out = Vec::new();
    for name in list.split(',') {
        let Some(p) = Phase::parse(name) else {
            bail!("Phase(s) must be one of [build deploy run], got {name:?}");
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// The process type Dokku reserves for the options of every process (`_default_`).
pub const DEFAULT_PROCESS: &str = "_default_";

/// The folder of an app's docker options (its docker-options properties).
pub fn dir(app: &str) -> PathBuf {
    dokku_core::paths()
        .lib_root
        .join("config/docker-options")
        .join(app)
}

/// The file of one phase's options (every process's: `_default_.PHASE`).
pub fn file(app: &str, phase: Phase) -> PathBuf {
    file_for(app, phase, None)
}

/// The file of one phase's options for `process` alone (`web.deploy`), or of every process's
/// (`_default_.deploy`) when `None`.
pub fn file_for(app: &str, phase: Phase, process: Option<&str>) -> PathBuf {
    dir(app).join(format!(
        "{}.{}",
        process.unwrap_or(DEFAULT_PROCESS),
        phase.name()
    ))
}

/// The legacy file of `(phase, process)` an older release kept (`DOCKER_OPTIONS_DEPLOY`,
/// `DOCKER_OPTIONS_DEPLOY.web`), parsed from its name.
fn legacy_target(name: &str) -> Option<(Phase, Option<String>)> {
    let rest = name.strip_prefix("DOCKER_OPTIONS_")?;
    let (phase, process) = match rest.split_once('.') {
        Some((ph, p)) => (ph, Some(p.to_string())),
        None => (rest, None),
    };
    let phase = Phase::parse(&phase.to_ascii_lowercase())?;
    if let Some(p) = &process {
        if validate_process(p).is_err() {
            return None;
        }
    }
    Some((phase, process))
}

/// Drains an app's legacy `$DOKKU_ROOT/APP/DOCKER_OPTIONS_*` files into Dokku 0.38's places,
/// as Dokku's install does: each file's non-blank lines are added (under the new file's lock,
/// atomically) to the options already there, `migrated-PHASE` is recorded for every process's
/// options, and the legacy file is removed. With `announce`, each file drained is named on
/// stdout (`Migrated … to docker-options properties`). Cheap when there is nothing to do (one
/// listing of the app's folder, once per process).
pub fn migrate(app: &str, announce: bool) -> Result<()> {
    use std::sync::Mutex;
    static DONE: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if !announce
        && DONE
            .lock()
            .map(|d| d.iter().any(|a| a == app))
            .unwrap_or(false)
    {
        return Ok(());
    }
    let adir = appname::app_dir(app);
    let rd = match std::fs::read_dir(&adir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", adir.display())),
    };
    let mut found: Vec<(PathBuf, Phase, Option<String>)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            legacy_target(&n).map(|(ph, p)| (e.path(), ph, p))
        })
        .collect();
    found.sort();
    for (legacy, phase, process) in found {
        let path = file_for(app, phase, process.as_deref());
        std::fs::create_dir_all(dir(app))
            .with_context(|| format!("cannot create {}", dir(app).display()))?;
        let _lock = plugn::atomic::lock(&path)?;
        let text = match std::fs::read_to_string(&legacy) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", legacy.display())),
        };
        let mut lines = read_file(&path)?;
        let before = lines.len();
        for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !lines.iter().any(|x| x == l) {
                lines.push(l.to_string());
            }
        }
        if lines.len() != before {
            write_file(&path, &lines)?;
        }
        if process.is_none() && !lines.is_empty() {
            dokku_core::property::write(
                "docker-options",
                app,
                &format!("migrated-{}", phase.name()),
                "true",
            )?;
        }
        std::fs::remove_file(&legacy)
            .with_context(|| format!("cannot remove {}", legacy.display()))?;
        if announce {
            dokku_core::log::info1(&format!(
                "Migrated {} to docker-options properties",
                legacy.display()
            ));
        }
    }
    if let Ok(mut d) = DONE.lock() {
        d.push(app.to_string());
    }
    Ok(())
}

/// Checks a `--process` value: a process type name (not the reserved `_default_`); options
/// per process exist for the deploy phase only.
pub fn validate_process(process: &str) -> Result<()> {
    if process == DEFAULT_PROCESS {
        bail!("the process type {DEFAULT_PROCESS} is reserved");
    }
    dokku_core::procfile::validate_type(process)
}

/// The process types with options of their own for `phase`, sorted.
pub fn processes(app: &str, phase: Phase) -> Result<Vec<String>> {
    migrate(app, false)?;
    let suffix = format!(".{}", phase.name());
    let dir = dir(app);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut v: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(&suffix)
                .filter(|p| *p != DEFAULT_PROCESS)
                .filter(|p| dokku_core::procfile::validate_type(p).is_ok())
                .map(str::to_string)
        })
        .collect();
    v.sort();
    Ok(v)
}

/// The option lines of one phase (blank lines left out); none when the file is missing.
pub fn read(app: &str, phase: Phase) -> Result<Vec<String>> {
    read_for(app, phase, None)
}

/// The option lines of one phase for `process` alone (every process's when `None`).
pub fn read_for(app: &str, phase: Phase, process: Option<&str>) -> Result<Vec<String>> {
    migrate(app, false)?;
    read_file(&file_for(app, phase, process))
}

/// The non-blank lines of an options file; none when it is missing.
fn read_file(path: &std::path::Path) -> Result<Vec<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The options of one phase as the `docker-args-*` triggers give them: the words of each line,
/// comment lines (`#…`) left out. A line that no longer splits (edited by hand) is skipped with
/// a warning, so that it cannot break every deploy.
pub fn words(app: &str, phase: Phase) -> Result<Vec<Vec<String>>> {
    words_for(app, phase, None)
}

/// [`words`] of the options for `process` alone (every process's when `None`).
pub fn words_for(app: &str, phase: Phase, process: Option<&str>) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for line in read_for(app, phase, process)? {
        if line.starts_with('#') {
            continue;
        }
        match split(&line) {
            Ok(w) => out.push(w),
            Err(e) => dokku_core::log::warn(&format!(
                "skipping {} option {line:?} of {app}: {e:#}",
                phase.name()
            )),
        }
    }
    Ok(out)
}

/// The longest option line accepted.
pub const MAX_OPTION: usize = 4096;

fn split(option: &str) -> Result<Vec<String>> {
    dokku_core::sshcommand::parse(option).map_err(|_| {
        anyhow::anyhow!(
            "invalid docker option {option:?}: quotes must be closed, and shell operators (; & | < > ` $( ) are not allowed"
        )
    })
}

/// Checks an option line and returns its words: no control characters or newlines, splits
/// without a shell, and its first word starts with `-`.
pub fn validate_option(option: &str) -> Result<Vec<String>> {
    if option.trim().is_empty() {
        bail!("Please specify a docker option");
    }
    if option.chars().any(|c| c.is_control()) {
        bail!("invalid docker option {option:?}: control characters and newlines are not allowed");
    }
    if option.len() > MAX_OPTION {
        bail!("invalid docker option: longer than {MAX_OPTION} bytes");
    }
    let words = split(option)?;
    match words.first() {
        Some(w) if w.starts_with('-') && w.len() > 1 => Ok(words),
        _ => bail!("invalid docker option {option:?}: an option starts with -"),
    }
}

/// The option lines of what `docker-options:add|remove` was given: one argument is a line as
/// typed (`"-v /a:/b"`), several are its words (`--label "a b"`), and an argument holding a
/// whole flag group (`"--ulimit nofile=12" "--shm-size 256m"`) is split as a line. The words
/// are cut into one option per flag (a word starting with `-` begins the next); a single
/// option typed as one argument is kept as typed. Each line is checked as
/// [`validate_option`] does.
pub fn option_lines(args: &[String]) -> Result<Vec<String>> {
    if let Some(a) = args.iter().find(|a| a.chars().any(|c| c.is_control())) {
        bail!("invalid docker option {a:?}: control characters and newlines are not allowed");
    }
    let words: Vec<String> = match args {
        [] => bail!("Please specify a docker option"),
        [one] => validate_option(one)?,
        many => {
            let mut w = Vec::new();
            for a in many {
                if a.starts_with('-') && a.contains(char::is_whitespace) {
                    w.extend(split(a)?);
                } else {
                    w.push(a.clone());
                }
            }
            w
        }
    };
    let mut groups: Vec<Vec<String>> = Vec::new();
    for w in words {
        match groups.last_mut() {
            Some(g) if !(w.starts_with('-') && w.len() > 1) => g.push(w),
            _ => groups.push(vec![w]),
        }
    }
    if let ([one], [_]) = (args, groups.as_slice()) {
        return Ok(vec![one.trim().to_string()]);
    }
    let mut lines = Vec::new();
    for g in groups {
        let line = dokku_core::docker::dockerargs::join(&g);
        validate_option(&line)?;
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// One phase's options (every process's, or one process type's) while they are being changed.
#[derive(Debug, Clone)]
pub struct PhaseOptions {
    /// The phase.
    pub phase: Phase,
    /// The process type whose own options these are; `None` for every process's.
    pub process: Option<String>,
    /// Its option lines, in order.
    pub options: Vec<String>,
}

fn write(app: &str, phase: Phase, process: Option<&str>, options: &[String]) -> Result<()> {
    write_file(&file_for(app, phase, process), options)
}

/// Writes an options file atomically (mode 0600); no options removes it.
fn write_file(path: &std::path::Path, options: &[String]) -> Result<()> {
    if options.is_empty() {
        return match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        };
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let mut text = options.join("\n");
    text.push('\n');
    plugn::atomic::write(path, text.as_bytes(), 0o600)
}

/// Changes the options of `phases` of an existing app together: their files are locked (in
/// phase order, so that concurrent changes never deadlock), read, handed to `change`, and the
/// ones that changed are written atomically. Nothing is written when `change` fails.
pub fn update<T>(
    app: &str,
    phases: &[Phase],
    change: impl FnOnce(&mut [PhaseOptions]) -> Result<T>,
) -> Result<T> {
    let targets: Vec<Target> = phases.iter().map(|p| (*p, None)).collect();
    update_scoped(app, &targets, change)
}

/// A phase and the process type whose own options are meant (`None`: every process's).
pub type Target = (Phase, Option<String>);

/// [`update`] of `(phase, process)` pairs: a process's own options, or every process's (`None`).
pub fn update_scoped<T>(
    app: &str,
    targets: &[Target],
    change: impl FnOnce(&mut [PhaseOptions]) -> Result<T>,
) -> Result<T> {
    appname::verify(app)?;
    migrate(app, false)?;
    std::fs::create_dir_all(dir(app))
        .with_context(|| format!("cannot create {}", dir(app).display()))?;
    let mut sorted = targets.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut locks = Vec::new();
    for (p, proc_) in &sorted {
        locks.push(plugn::atomic::lock(&file_for(app, *p, proc_.as_deref()))?);
    }
    let mut current = Vec::new();
    for (p, proc_) in targets {
        current.push(PhaseOptions {
            phase: *p,
            process: proc_.clone(),
            options: read_for(app, *p, proc_.as_deref())?,
        });
    }
    let before = current.clone();
    let result = change(&mut current)?;
    for (new, old) in current.iter().zip(&before) {
        if new.options != old.options {
            write(app, new.phase, new.process.as_deref(), &new.options)?;
        }
    }
    drop(locks);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases() {
        assert_eq!(
            parse_phases("deploy,run,deploy").unwrap(),
            [Phase::Deploy, Phase::Run]
        );
        assert!(parse_phases("").is_err());
        assert!(parse_phases("deploy,").is_err());
        assert!(parse_phases("Deploy").is_err());
    }

    #[test]
    fn option_groups() {
        let v = |a: &[&str]| option_lines(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["-v /a:/b"]).unwrap(), ["-v /a:/b"]);
        assert_eq!(v(&["--label \"a b\""]).unwrap(), ["--label \"a b\""]);
        assert_eq!(v(&["--label", "a b"]).unwrap(), ["--label 'a b'"]);
        assert_eq!(
            v(&["--ulimit nofile=12", "--shm-size 256m"]).unwrap(),
            ["--ulimit nofile=12", "--shm-size 256m"]
        );
        assert_eq!(v(&["-v /a:/b -v /c:/d"]).unwrap(), ["-v /a:/b", "-v /c:/d"]);
        assert_eq!(
            v(&["--restart=always", "-p", "1:2"]).unwrap(),
            ["--restart=always", "-p 1:2"]
        );
        for bad in [&["x;y"][..], &["novalue"], &["a", "-b"], &["-v /a\n-v /b"]] {
            assert!(v(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn options() {
        assert_eq!(validate_option("-v /a:/b").unwrap(), ["-v", "/a:/b"]);
        assert_eq!(
            validate_option("--label 'a b'").unwrap(),
            ["--label", "a b"]
        );
        for bad in [
            "",
            "  ",
            "v /a",
            "-",
            "-v /a\n-v /b",
            "--x;y",
            "--x $(y)",
            "--x 'y",
        ] {
            assert!(validate_option(bad).is_err(), "{bad:?}");
        }
    }
}
