//! The bad-input fuzzer (`scripts/fuzz`, and a bounded sample in `tests/tests/fuzz.rs`): every
//! command `dokku help --all` lists in a throwaway installation, with bad inputs in each argument
//! position (alone, after an existing app, as a property value, as a flag's value), run locally
//! and over the installation's sshd (the forced-command path). Each run is checked for:
//! no panic, one ` !     ` error line when refused, no file written outside the root, no state
//! file changed by a refused command, `CMD --help` printing usage, and an end within the timeout.
//! The list of commands is read at run time, so a new command is fuzzed without a change here.

use crate::rng::Rng;
use crate::Sandbox;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seed of the deterministic shuffle that picks the sample.
    pub seed: u64,
    /// How many runs (`None`: every case).
    pub sample: Option<usize>,
    /// Run commands locally (`dokku ARGS…`).
    pub local: bool,
    /// Run commands over ssh (the forced-command path).
    pub ssh: bool,
    /// A run taking longer is killed, and that is a finding.
    pub timeout: Duration,
    /// Parallel workers, each with its own installation.
    pub jobs: usize,
    /// Only commands whose name contains this.
    pub only: Option<String>,
    /// Print every run as it ends.
    pub verbose: bool,
    /// Print a progress line to stderr every 250 runs of each worker.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 11,
            sample: None,
            local: true,
            ssh: true,
            timeout: Duration::from_secs(20),
            jobs: 1,
            only: None,
            verbose: false,
            progress: false,
        }
    }
}

/// The kinds of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Exit 101, a signal, or a panic message / backtrace hint on stderr.
    Panic,
    /// Killed after the timeout.
    Timeout,
    /// A refused command that does not say exactly one ` !     ` line on stderr.
    ErrorLines,
    /// A file written outside the root (canary folder, cwd, HOME) or an injection marker.
    Outside,
    /// A state file under the root added, removed or changed by a refused command.
    StateChanged,
    /// `CMD --help` not exiting 0 with the command's usage.
    Help,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 6] = [
        Class::Panic,
        Class::Timeout,
        Class::ErrorLines,
        Class::Outside,
        Class::StateChanged,
        Class::Help,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Panic => "panic",
            Class::Timeout => "timeout",
            Class::ErrorLines => "error-lines",
            Class::Outside => "outside-root",
            Class::StateChanged => "state-changed",
            Class::Help => "help",
        }
    }
}

/// One failed check of one run.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Which check.
    pub class: Class,
    /// `local` or `ssh`.
    pub mode: &'static str,
    /// The command.
    pub command: String,
    /// The input's name.
    pub input: &'static str,
    /// The arguments after the command, printable.
    pub args: String,
    /// Exit code and what was wrong.
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} dokku {} {} ({}): {}",
            self.class.name(),
            self.mode,
            self.command,
            self.args,
            self.input,
            self.detail
        )
    }
}

/// What a fuzz run did and found.
#[derive(Debug, Default)]
pub struct Report {
    /// Runs done.
    pub runs: usize,
    /// Runs done locally.
    pub local_runs: usize,
    /// Runs done over ssh.
    pub ssh_runs: usize,
    /// Commands `dokku help --all` listed (after `--only`).
    pub commands: usize,
    /// Commands at least one run covered.
    pub commands_run: usize,
    /// Bad inputs in the set.
    pub inputs: usize,
    /// Cases in the full set (before sampling).
    pub cases: usize,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

impl Report {
    /// Findings of one class.
    pub fn count(&self, class: Class) -> usize {
        self.findings.iter().filter(|f| f.class == class).count()
    }

    /// The closing summary: counts, findings by class and by command.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "fuzz: {} runs ({} local, {} over ssh) of {} cases; {} of {} commands, {} inputs; {:.0} s\n",
            self.runs,
            self.local_runs,
            self.ssh_runs,
            self.cases,
            self.commands_run,
            self.commands,
            self.inputs,
            self.elapsed.as_secs_f64()
        );
        s.push_str(&format!("findings: {}", self.findings.len()));
        for c in Class::ALL {
            s.push_str(&format!("  {} {}", c.name(), self.count(c)));
        }
        s.push('\n');
        let mut by: BTreeMap<(Class, String), usize> = BTreeMap::new();
        for f in &self.findings {
            *by.entry((f.class, f.command.clone())).or_default() += 1;
        }
        for ((c, cmd), n) in by {
            s.push_str(&format!("  {:<14} {cmd} x{n}\n", c.name()));
        }
        s
    }
}

/// One command of `dokku help --all`.
#[derive(Clone, Debug)]
pub struct HelpCommand {
    /// `apps:create`.
    pub name: String,
    /// What follows the name in the help line (`<app>`), without the description.
    pub usage: String,
}

/// The commands of `dokku help --all` output (lines `    NAME USAGE  DESCRIPTION`).
pub fn parse_help(text: &str) -> Vec<HelpCommand> {
    let mut out: Vec<HelpCommand> = Vec::new();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("    ") else {
            continue;
        };
        let left = rest.split("  ").next().unwrap_or("").trim();
        let mut words = left.splitn(2, ' ');
        let name = words.next().unwrap_or("");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
        {
            continue;
        }
        if seen.insert(name.to_string()) {
            out.push(HelpCommand {
                name: name.to_string(),
                usage: words.next().unwrap_or("").to_string(),
            });
        }
    }
    out
}

/// Flags of a usage text that take a value (`--format stdout|json`, `-p|--ps process`).
pub fn value_flags(usage: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r"(-{1,2}[a-z][a-z-]*)(?:\|-{1,2}[a-z][a-z-]*)* [A-Za-z0-9<][^\s\]\)]*")
            .unwrap();
    let mut v: Vec<String> = Vec::new();
    for c in re.captures_iter(usage) {
        let f = c[1].to_string();
        if !v.contains(&f) {
            v.push(f);
        }
    }
    v
}

/// One bad input.
#[derive(Clone, Debug)]
pub struct Input {
    /// Its name in reports.
    pub name: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether it tries to run a command (also sent unquoted over ssh).
    pub injection: bool,
}

/// The bad inputs; injections touch `/tmp/pwned-TAG` and `CANARY/pwned-TAG`.
pub fn inputs(tag: &str, canary: &Path) -> Vec<Input> {
    let c = canary.display();
    let i = |name, s: String, injection| Input {
        name,
        bytes: s.into_bytes(),
        injection,
    };
    vec![
        i("empty", String::new(), false),
        i("10kB", "a".repeat(10 * 1024), false),
        Input {
            name: "non-utf8",
            bytes: b"fz\xff\xfe".to_vec(),
            injection: false,
        },
        i("dotdot", "../x".into(), false),
        i("dash", "-x".into(), false),
        i("help", "--help".into(), false),
        i("quotes-newline", "it's \"q\"\nline2".into(), false),
        i(
            "semicolon",
            format!(";touch /tmp/pwned-{tag};touch {c}/pwned-{tag}"),
            true,
        ),
        i(
            "dollar",
            format!("$(touch /tmp/pwned-{tag} {c}/pwned-{tag})"),
            true,
        ),
        i(
            "backtick",
            format!("`touch /tmp/pwned-{tag} {c}/pwned-{tag}`"),
            true,
        ),
        i("huge", "99999999999999999999".into(), false),
        i("negative", "-1".into(), false),
        i(
            "traversal",
            format!("../../../../../../../../../tmp/pwned-{tag}"),
            false,
        ),
    ]
}

/// A piece of a case's argument list.
#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// The existing app.
    App,
    /// A fixed word.
    Lit(String),
    /// The bad input, with a fixed text before and after it.
    Bad(String, String),
}

fn bad() -> Part {
    Part::Bad(String::new(), String::new())
}

fn lit(s: &str) -> Part {
    Part::Lit(s.to_string())
}

/// A property each `…:set` command knows, so that the value position is reached.
fn property_keys(cmd: &str) -> &'static [&'static str] {
    match cmd {
        "builder:set" => &["build-dir", "selected"],
        "buildpacks:set-property" => &["stack"],
        "checks:set" => &["wait-to-retire", "attempts"],
        "git:set" => &["deploy-branch", "keep-git-dir"],
        "network:set" => &["attach-post-create", "bind-all-interfaces"],
        "nginx:set" => &["proxy-read-timeout", "client-max-body-size", "nginx-conf"],
        "ps:set" => &["restart-policy", "procfile-path"],
        "caddy:set" => &["label-key"],
        "scheduler-docker-local:set" => &["init-process"],
        "logs:set" => &["max-size"],
        _ => &["fz-key"],
    }
}

/// Cases a command gets beyond the generic ones: the shapes its arguments take.
fn extra_templates(cmd: &str) -> Vec<Vec<Part>> {
    let b = |pre: &str, post: &str| Part::Bad(pre.into(), post.into());
    match cmd {
        "config:set" => vec![
            vec![Part::App, b("FZ_KEY=", "")],
            vec![lit("--no-restart"), Part::App, b("", "=v")],
            vec![lit("--encoded"), Part::App, b("FZ_KEY=", "")],
        ],
        "ps:scale" => vec![vec![Part::App, b("web=", "")]],
        "ports:add" | "ports:set" | "ports:remove" => {
            vec![
                vec![Part::App, b("http:", ":5000")],
                vec![Part::App, b("http:80:", "")],
            ]
        }
        "resource:limit" | "resource:reserve" => vec![
            vec![lit("--memory"), bad(), Part::App],
            vec![lit("--cpu"), bad(), Part::App],
        ],
        "storage:mount" | "storage:unmount" => vec![
            vec![Part::App, b("", ":/data")],
            vec![Part::App, b("/var/lib/fz:", "")],
        ],
        "docker-options:add" | "docker-options:remove" => {
            vec![vec![Part::App, lit("deploy"), bad()]]
        }
        "ssh-keys:add" => vec![vec![lit("fz-key"), bad()]],
        "certs:add" | "certs:update" => vec![vec![Part::App, bad(), lit("/dev/null")]],
        "domains:add" | "domains:set" => vec![vec![Part::App, lit("ok.example"), bad()]],
        "git:sync" => vec![vec![Part::App, lit("/nonexistent-fz"), bad()]],
        "run" | "run:detached" => vec![vec![lit("-e"), b("K=", ""), Part::App, lit("true")]],
        _ => Vec::new(),
    }
}

/// Every argument shape a command is fuzzed with (the bad input is `Part::Bad`).
fn templates(cmd: &HelpCommand) -> Vec<Vec<Part>> {
    let u = &cmd.usage;
    let takes_app = u.contains("app>") || u.contains("<app");
    let mut t: Vec<Vec<Part>> = vec![vec![bad()]];
    if takes_app {
        t.push(vec![Part::App, bad()]);
        if u.contains("<key>") {
            for k in property_keys(&cmd.name) {
                t.push(vec![Part::App, lit(k), bad()]);
            }
            if u.contains("--global") {
                t.push(vec![
                    lit("--global"),
                    lit(property_keys(&cmd.name)[0]),
                    bad(),
                ]);
            }
        }
    }
    for f in value_flags(u) {
        if takes_app {
            t.push(vec![Part::App, Part::Lit(f), bad()]);
        } else {
            t.push(vec![Part::Lit(f), bad()]);
        }
    }
    t.extend(extra_templates(&cmd.name));
    // Commands that ask for confirmation (a destroy) get `--force`, so that the refusal, if
    // any, is the input's and not the unanswered prompt's.
    if u.contains("[--force]") && cmd.name.contains("destroy") {
        for p in t.iter_mut() {
            p.insert(0, lit("--force"));
        }
    }
    t.dedup();
    t
}

/// How a case is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `dokku ARGS…` with the arguments as given.
    Local,
    /// `ssh … -- 'ARG' 'ARG'…`: each argument quoted, as a careful user sends it.
    Ssh,
    /// `ssh … -- CMD INPUT`: the input unquoted, as typed (injections only).
    SshRaw,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Ssh => "ssh",
            Mode::SshRaw => "ssh-raw",
        }
    }
}

/// One run to do.
#[derive(Clone, Debug)]
struct Case {
    cmd: usize,
    template: Vec<Part>,
    input: usize,
    mode: Mode,
}

/// All cases, shuffled with `seed` and ordered so that any prefix covers every command before
/// any command twice.
fn cases(commands: &[HelpCommand], inj: &[bool], opts: &Options) -> Vec<Case> {
    let mut all = Vec::new();
    for (ci, c) in commands.iter().enumerate() {
        for t in templates(c) {
            for (input, &injection) in inj.iter().enumerate() {
                let mut modes = Vec::new();
                if opts.local {
                    modes.push(Mode::Local);
                }
                if opts.ssh {
                    modes.push(Mode::Ssh);
                    if injection && t == vec![bad()] {
                        modes.push(Mode::SshRaw);
                    }
                }
                for mode in modes {
                    all.push(Case {
                        cmd: ci,
                        template: t.clone(),
                        input,
                        mode,
                    });
                }
            }
        }
    }
    let mut rng = Rng(opts.seed);
    for i in (1..all.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        all.swap(i, j);
    }
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    let mut ranked: Vec<(usize, Case)> = all
        .into_iter()
        .map(|c| {
            let r = seen.entry(c.cmd).or_default();
            *r += 1;
            (*r, c)
        })
        .collect();
    ranked.sort_by_key(|(r, _)| *r);
    ranked.into_iter().map(|(_, c)| c).collect()
}

/// One entry of a state snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File { size: u64, mtime: i128, hash: u64 },
    Link(PathBuf),
}

type Snapshot = BTreeMap<PathBuf, Entry>;

/// Paths under the root a refused command may still touch, each with its reason.
fn ignored(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // The events log records every command, refused or not (that is its purpose).
    s == "logs/events.log"
        // flock files: created empty to hold a lock, they carry no state (the deploy lock
        // of apps:lock, `.deploy.lock`, is state and is compared).
        || (name.ends_with(".lock") && name != ".deploy.lock")
        // The private sshd's and nginx's own logs and nginx's buffers: written by the
        // services on each connection, not by the command.
        || s == "ssh/sshd.log"
        || s == "nginx/access.log"
        || s == "nginx/error.log"
        || s == "nginx/git-http.log"
        || s.starts_with("nginx/tmp/")
}

fn hash_file(p: &Path, size: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    // Big files (plugin binaries) are compared by size and mtime only.
    if size > 256 * 1024 {
        return 0;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::read(p).unwrap_or_default().hash(&mut h);
    h.finish()
}

fn walk(base: &Path, dir: &Path, skip: &dyn Fn(&Path) -> bool, out: &mut Snapshot) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap_or(&p).to_path_buf();
        if skip(&rel) {
            continue;
        }
        let Ok(md) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let ft = md.file_type();
        if ft.is_symlink() {
            out.insert(rel, Entry::Link(std::fs::read_link(&p).unwrap_or_default()));
        } else if ft.is_dir() {
            out.insert(rel, Entry::Dir);
            walk(base, &p, skip, out);
        } else {
            use std::os::unix::fs::MetadataExt;
            let mtime = md.mtime() as i128 * 1_000_000_000 + md.mtime_nsec() as i128;
            out.insert(
                rel,
                Entry::File {
                    size: md.len(),
                    mtime,
                    hash: hash_file(&p, md.len()),
                },
            );
        }
    }
}

/// The state under the root: every path (but the ignored ones) with size, mtime and a hash.
fn snapshot(root: &Path) -> Snapshot {
    let mut s = Snapshot::new();
    walk(root, root, &ignored, &mut s);
    s
}

/// Paths added, removed or changed between two snapshots.
fn diff(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let mut v = Vec::new();
    for (p, e) in a {
        match b.get(p) {
            None => v.push(format!("-{}", p.display())),
            Some(f) if f != e && !(matches!(e, Entry::Dir) && matches!(f, Entry::Dir)) => {
                v.push(format!("~{}", p.display()))
            }
            _ => {}
        }
    }
    for p in b.keys() {
        if !a.contains_key(p) {
            v.push(format!("+{}", p.display()));
        }
    }
    v
}

/// The result of one run.
struct RunOut {
    code: i32,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` in its own process group, killing the group after `timeout`.
#[allow(unsafe_code)]
fn run_bounded(mut cmd: Command, timeout: Duration) -> RunOut {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return RunOut {
                code: -1,
                timed_out: false,
                stdout: String::new(),
                stderr: format!("spawn failed: {e}"),
            }
        }
    };
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.by_ref().take(4 << 20).read_to_end(&mut buf);
            // Drain the rest so that the child never blocks on a full pipe.
            let _ = std::io::copy(&mut r, &mut std::io::sink());
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = reader(Box::new(child.stdout.take().unwrap()));
    let err_t = reader(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            // SAFETY: kill has no memory-safety preconditions; the group is the child's own.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    // A grandchild that kept the pipes open is in the group too: it is gone by now, or the
    // readers would block; kill the group in any case once the child has ended.
    // SAFETY: as above.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    use std::os::unix::process::ExitStatusExt;
    RunOut {
        code: status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        timed_out,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Quotes one argument for the ssh command line (single quotes; `'` as `'\''`).
fn ssh_quote(arg: &[u8]) -> Vec<u8> {
    let mut v = vec![b'\''];
    for &b in arg {
        if b == b'\'' {
            v.extend_from_slice(b"'\\''");
        } else {
            v.push(b);
        }
    }
    v.push(b'\'');
    v
}

/// A printable form of an argument list (non-UTF-8 and control bytes escaped, long ones cut).
fn printable(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| {
            let mut s = String::new();
            let lossy = a.len() > 80;
            for chunk in a.iter().take(80).copied() {
                if chunk.is_ascii_graphic() || chunk == b' ' {
                    s.push(chunk as char);
                } else {
                    s.push_str(&format!("\\x{chunk:02x}"));
                }
            }
            if lossy {
                s.push_str(&format!("…({} bytes)", a.len()));
            }
            if s.is_empty() || s.contains(' ') {
                format!("'{s}'")
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Commands whose non-zero exit answers a yes/no question, as Dokku's do: they may end 1 with
/// nothing on stderr (the answer on stdout, or none). Each with its reason.
const BOOLEAN_ANSWERS: &[(&str, &str)] = &[
    ("apps:exists", "exit 1 answers \"no such app\""),
    ("apps:locked", "exit 1 answers \"not locked\" (on stdout)"),
    ("network:exists", "exit 1 answers \"no such network\""),
    ("plugin:installed", "exit 1 answers \"not installed\""),
    (
        "git:auth-status",
        "exit 1 with no output answers \"the netrc entry does not match\", as Dokku's",
    ),
    (
        "config:get",
        "exit 1 with no output for an unset key, as Dokku's (scripts test it; tests/tests/config.rs)",
    ),
];

/// Lines on stderr a refused command may print beside its ` !     ` line, each with its reason:
/// `(command or "*", text the line holds, reason)`. Keep this list short and justified.
const ERROR_LINE_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "*",
        "pyenv: cannot rehash: ",
        "printed over ssh by this machine's login shell (root's ~/.bashrc runs `pyenv init`) \
         before sshd's forced command starts, when two shells rehash at once; not dokku's",
    ),
    (
        "*",
        "/.pyenv/shims/",
        "the same shell start-up's `rm: cannot remove '~/.pyenv/shims/tmp.*'`",
    ),
];

/// The stderr lines that break the one-error-line rule (empty when it holds).
fn error_line_problem(cmd: &str, stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| {
            !ERROR_LINE_EXCEPTIONS
                .iter()
                .any(|(c, needle, _)| (*c == "*" || *c == cmd) && l.contains(needle))
        })
        .collect();
    if lines.is_empty() && BOOLEAN_ANSWERS.iter().any(|(c, _)| *c == cmd) {
        return None;
    }
    if lines.len() == 1 && lines[0].starts_with(" !     ") {
        return None;
    }
    let shown: Vec<String> = lines
        .iter()
        .take(3)
        .map(|l| l.chars().take(160).collect())
        .collect();
    Some(format!(
        "{} stderr line(s): {}",
        lines.len(),
        shown.join(" | ")
    ))
}

/// One worker: its installation, its app, its markers.
struct Worker {
    sb: Sandbox,
    app: String,
    tag: String,
    canary: PathBuf,
    cwd: PathBuf,
    home: PathBuf,
    inputs: Vec<Input>,
    state: Snapshot,
    outside: Snapshot,
    opts: Options,
}

impl Worker {
    fn new(opts: &Options, index: usize) -> Worker {
        let sb = if opts.ssh {
            Sandbox::with_git_http()
        } else {
            Sandbox::with_nginx()
        };
        sb.use_docker();
        let app = sb.unique_app("fz");
        let canary = sb.dir.path().join("canary");
        let cwd = canary.join("cwd");
        let home = canary.join("home");
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let tag = format!("{}-{index}", std::process::id());
        let inputs = inputs(&tag, &canary);
        sb.dokku(&["apps:create", &app]).ok();
        let mut w = Worker {
            state: Snapshot::new(),
            outside: Snapshot::new(),
            sb,
            app,
            tag,
            canary,
            cwd,
            home,
            inputs,
            opts: opts.clone(),
        };
        if opts.ssh {
            w.start_master();
        }
        w.state = snapshot(&w.sb.root);
        w.outside = w.outside_snapshot();
        w
    }

    /// The ssh client options of every run: the admin key, this root's host key, and the
    /// connection of the worker's master (each run is a session of its own on it, so sshd runs
    /// the forced command for each, as for a new connection; only the handshake is shared).
    fn ssh_options(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec!["-i".into(), self.sb.root.join("id_ed25519").into()];
        for o in [
            "IdentitiesOnly=yes".to_string(),
            "BatchMode=yes".to_string(),
            format!(
                "UserKnownHostsFile={}",
                self.sb.root.join("ssh/known_hosts").display()
            ),
            "StrictHostKeyChecking=yes".to_string(),
            format!("ControlPath={}", self.sb.dir.path().join("mux").display()),
        ] {
            v.push("-o".into());
            v.push(o.into());
        }
        v.push("-p".into());
        v.push(self.sb.ssh_port().to_string().into());
        v.push(format!("{}@127.0.0.1", self.sb.ssh_user()).into());
        v
    }

    /// Starts the worker's ssh master connection (in the background, its own process group).
    fn start_master(&self) {
        let mut c = self.sb.command("ssh");
        c.args(["-M", "-N", "-f", "-o", "ControlPersist=yes"])
            .args(self.ssh_options())
            .stdin(Stdio::null())
            .process_group(0);
        let st = c.status().expect("ssh master");
        assert!(st.success(), "the ssh master connection did not start");
    }

    /// Everything in the sandbox's folder outside the root (the canary, cwd and HOME).
    fn outside_snapshot(&self) -> Snapshot {
        let base = self.sb.dir.path().to_path_buf();
        let mut s = Snapshot::new();
        walk(
            &base,
            &base,
            &|rel: &Path| rel == Path::new("root") || rel == Path::new("mux"),
            &mut s,
        );
        // Contents of what is outside are compared by presence only.
        s.into_iter()
            .map(|(p, e)| {
                let e = match e {
                    Entry::File { .. } => Entry::File {
                        size: 0,
                        mtime: 0,
                        hash: 0,
                    },
                    other => other,
                };
                (p, e)
            })
            .collect()
    }

    fn args_of(&self, case: &Case) -> Vec<Vec<u8>> {
        let input = &self.inputs[case.input].bytes;
        case.template
            .iter()
            .map(|p| match p {
                Part::App => self.app.as_bytes().to_vec(),
                Part::Lit(s) => s.as_bytes().to_vec(),
                Part::Bad(pre, post) => {
                    let mut v = pre.as_bytes().to_vec();
                    v.extend_from_slice(input);
                    v.extend_from_slice(post.as_bytes());
                    v
                }
            })
            .collect()
    }

    fn command(&self, name: &str, args: &[Vec<u8>], mode: Mode) -> Command {
        match mode {
            Mode::Local => {
                let mut c = self.sb.command(self.sb.root.join("bin/dokku"));
                c.arg(name)
                    .args(args.iter().map(|a| OsString::from_vec(a.clone())))
                    .current_dir(&self.cwd)
                    .env("HOME", &self.home);
                c
            }
            Mode::Ssh | Mode::SshRaw => {
                let mut remote = name.as_bytes().to_vec();
                for a in args {
                    remote.push(b' ');
                    if mode == Mode::Ssh {
                        remote.extend(ssh_quote(a));
                    } else {
                        remote.extend_from_slice(a);
                    }
                }
                let mut c = self.sb.command("ssh");
                c.args(self.ssh_options())
                    .args(["-o", "ControlMaster=no"])
                    .arg("--")
                    .arg(std::ffi::OsStr::from_bytes(&remote))
                    .current_dir(&self.cwd);
                c
            }
        }
    }

    /// Runs one case; returns its findings.
    fn run(&mut self, cmd: &str, case: &Case) -> Vec<Finding> {
        let args = self.args_of(case);
        let t0 = Instant::now();
        let out = run_bounded(self.command(cmd, &args, case.mode), self.opts.timeout);
        let input = &self.inputs[case.input];
        let mut found = Vec::new();
        let mut add = |class, detail: String| {
            found.push(Finding {
                class,
                mode: case.mode.name(),
                command: cmd.to_string(),
                input: input.name,
                args: printable(&args),
                detail: format!("exit {}; {detail}", out.code),
            })
        };
        let first_line = |s: &str| -> String {
            s.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .chars()
                .take(160)
                .collect()
        };
        if out.timed_out {
            add(
                Class::Timeout,
                format!("killed after {} s", self.opts.timeout.as_secs()),
            );
        } else if out.code == 101
            || out.code > 128 && out.code != 255
            || out.stderr.contains("panicked at")
            || out.stderr.contains("RUST_BACKTRACE")
        {
            let line = out
                .stderr
                .lines()
                .find(|l| l.contains("panicked at"))
                .map(str::to_string)
                .unwrap_or_else(|| first_line(&out.stderr));
            add(Class::Panic, line);
        } else if out.code != 0 {
            if let Some(p) = error_line_problem(cmd, &out.stderr) {
                add(Class::ErrorLines, p);
            }
        }
        let help_case = input.name == "help" && case.template == vec![bad()];
        if help_case && case.mode != Mode::SshRaw {
            let all = format!("{}{}", out.stdout, out.stderr).to_lowercase();
            if out.code != 0 || !(all.contains("usage") || all.contains(&cmd.to_lowercase())) {
                add(
                    Class::Help,
                    format!(
                        "no usage: {}",
                        first_line(&format!("{}{}", out.stderr, out.stdout))
                    ),
                );
            }
        }
        // Files outside the root: the markers in /tmp, and anything new in the canary folder,
        // the commands' cwd and HOME.
        let marker = PathBuf::from(format!("/tmp/pwned-{}", self.tag));
        if marker.symlink_metadata().is_ok() {
            add(Class::Outside, format!("{} was created", marker.display()));
            let _ = std::fs::remove_file(&marker);
            let _ = std::fs::remove_dir_all(&marker);
        }
        let outside = self.outside_snapshot();
        let changed = diff(&self.outside, &outside);
        if !changed.is_empty() {
            add(
                Class::Outside,
                format!("outside the root: {}", changed.join(" ")),
            );
            // Put the canary back as it was, so that the next run is judged alone.
            for c in &changed {
                if let Some(rel) = c.strip_prefix('+') {
                    let p = self.sb.dir.path().join(rel);
                    let _ = std::fs::remove_dir_all(&p);
                    let _ = std::fs::remove_file(&p);
                }
            }
            std::fs::create_dir_all(&self.cwd).ok();
            std::fs::create_dir_all(&self.home).ok();
            std::fs::create_dir_all(&self.canary).ok();
        }
        let after = snapshot(&self.sb.root);
        let pwned: Vec<String> = after
            .keys()
            .filter(|p| p.to_string_lossy().contains("pwned"))
            .filter(|p| !self.state.contains_key(*p))
            .map(|p| p.display().to_string())
            .collect();
        if !pwned.is_empty() {
            add(
                Class::Outside,
                format!("a marker file in the root: {}", pwned.join(" ")),
            );
        }
        if out.code != 0 && !out.timed_out {
            let changed = diff(&self.state, &after);
            if !changed.is_empty() {
                let n = changed.len();
                let shown: Vec<String> = changed.into_iter().take(4).collect();
                add(
                    Class::StateChanged,
                    format!("refused, but {n} path(s) changed: {}", shown.join(" ")),
                );
            }
        }
        self.state = after;
        self.repair();
        if self.opts.verbose {
            eprintln!(
                "{} dokku {cmd} {} -> {} in {} ms{}",
                case.mode.name(),
                printable(&args),
                out.code,
                t0.elapsed().as_millis(),
                if found.is_empty() { "" } else { "  FINDING" }
            );
        }
        found
    }

    /// Puts back what a successful run took away that later runs need (the app, the admin
    /// key), so that each run starts from the same ground. Destroying the app is not a finding.
    fn repair(&mut self) {
        let mut changed = false;
        if !self.sb.dokku_root().join(&self.app).is_dir() {
            self.sb.dokku(&["apps:create", &self.app]);
            changed = true;
        }
        let keys = self.sb.dokku_root().join(".ssh/authorized_keys");
        if self.opts.ssh
            && !std::fs::read_to_string(&keys)
                .unwrap_or_default()
                .contains("admin")
        {
            let key = self.sb.root.join("id_ed25519.pub").display().to_string();
            self.sb.dokku(&["ssh-keys:add", "admin", &key]);
            changed = true;
        }
        if changed {
            self.state = snapshot(&self.sb.root);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.opts.ssh {
            let mut c = self.sb.command("ssh");
            c.args(["-O", "exit"])
                .args(self.ssh_options())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = c.status();
        }
    }
}

/// Docker networks whose names come from our inputs (a `network:create` that succeeded),
/// removed so that nothing outlives the run on the shared engine.
fn remove_stray_networks(names: &[String]) {
    for n in names {
        let _ = Command::new("docker")
            .args(["network", "rm", n])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs the fuzzer: lists the commands in a throwaway installation, builds and samples the
/// cases, runs them on `opts.jobs` workers (each with its own installation) and reports.
pub fn run(opts: &Options) -> Report {
    let start = Instant::now();
    let jobs = opts.jobs.max(1);
    let workers: Vec<Worker> = (0..jobs).map(|i| Worker::new(opts, i)).collect();
    let help = workers[0].sb.dokku(&["help", "--all"]).ok().stdout;
    let mut commands = parse_help(&help);
    if let Some(o) = &opts.only {
        commands.retain(|c| c.name.contains(o.as_str()));
    }
    let proto = inputs("x", Path::new("/x"));
    let inj: Vec<bool> = proto.iter().map(|i| i.injection).collect();
    let mut all = cases(&commands, &inj, opts);
    let total = all.len();
    if let Some(n) = opts.sample {
        all.truncate(n);
    }
    let mut shares: Vec<Vec<Case>> = vec![Vec::new(); jobs];
    for (i, c) in all.into_iter().enumerate() {
        shares[i % jobs].push(c);
    }
    let commands_ref = &commands;
    let results: Vec<(Vec<Finding>, usize, usize, BTreeSet<usize>)> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .enumerate()
            .map(|(wi, share)| {
                s.spawn(move || {
                    let mut w = Worker::new(opts, wi);
                    let mut findings = Vec::new();
                    let (mut local, mut ssh) = (0, 0);
                    let mut covered = BTreeSet::new();
                    for (i, case) in share.iter().enumerate() {
                        let name = &commands_ref[case.cmd].name;
                        findings.extend(w.run(name, case));
                        if opts.progress && (i + 1) % 250 == 0 {
                            eprintln!(
                                "fuzz: worker {}: {}/{} runs, {} finding(s)",
                                w.tag,
                                i + 1,
                                share.len(),
                                findings.len()
                            );
                        }
                        covered.insert(case.cmd);
                        match case.mode {
                            Mode::Local => local += 1,
                            _ => ssh += 1,
                        }
                    }
                    let stray: Vec<String> = w
                        .inputs
                        .iter()
                        .map(|i| String::from_utf8_lossy(&i.bytes).into_owned())
                        .collect();
                    remove_stray_networks(&stray);
                    let _ = std::fs::remove_file(format!("/tmp/pwned-{}", w.tag));
                    (findings, local, ssh, covered)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("fuzz worker"))
            .collect()
    });
    let mut report = Report {
        commands: commands.len(),
        inputs: proto.len(),
        cases: total,
        ..Default::default()
    };
    let mut covered = BTreeSet::new();
    for (f, l, s, c) in results {
        report.findings.extend(f);
        report.local_runs += l;
        report.ssh_runs += s;
        covered.extend(c);
    }
    report.runs = report.local_runs + report.ssh_runs;
    report.commands_run = covered.len();
    report.elapsed = start.elapsed();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lines_parse() {
        let text = "Usage: dokku …\n\nCommands:\n\n    apps:create <app>    Create a new app\n    logs <app> [-t|--tail] [-n|--num num] [-p|--ps process]  Display logs\n";
        let c = parse_help(text);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "apps:create");
        assert_eq!(c[0].usage, "<app>");
        assert_eq!(value_flags(&c[1].usage), vec!["-n", "-p"]);
        assert_eq!(
            value_flags("[--global|<app>] <key> [--skip-deploy] <app> [--format stdout|json]"),
            vec!["--format"]
        );
    }

    #[test]
    fn one_error_line_rule() {
        assert_eq!(
            error_line_problem("apps:create", " !     bad name\n\n"),
            None
        );
        assert!(error_line_problem("apps:create", "").is_some());
        assert!(error_line_problem("apps:create", " !     a\n !     b\n").is_some());
        assert!(error_line_problem("apps:create", "Error: x\n").is_some());
        assert_eq!(error_line_problem("apps:locked", ""), None);
    }

    #[test]
    fn snapshots_see_changes_but_not_ignored_paths() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("logs")).unwrap();
        std::fs::write(r.join("state"), "a").unwrap();
        let a = snapshot(r);
        std::fs::write(r.join("logs/events.log"), "x").unwrap();
        std::fs::write(r.join(".VHOST.lock"), "").unwrap();
        assert!(diff(&a, &snapshot(r)).is_empty());
        std::fs::write(r.join("state"), "b").unwrap();
        std::fs::write(r.join(".deploy.lock"), "").unwrap();
        let d2 = diff(&a, &snapshot(r));
        assert_eq!(d2, vec!["~state".to_string(), "+.deploy.lock".to_string()]);
    }

    #[test]
    fn ssh_quoting() {
        assert_eq!(ssh_quote(b"it's"), b"'it'\\''s'".to_vec());
    }
}
