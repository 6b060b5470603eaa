//! The one archive check of dokku: unpacking a tar (plain, gzip, bzip2 or xz) or a zip, and
//! copying a plugin folder, so that nothing lands outside the target folder and nothing
//! dangerous lands inside it.
//!
//! What may be unpacked: regular files, folders and symlinks whose target stays inside the
//! archive. Hard links, devices, FIFOs, sockets, sparse files, absolute paths, `..` components,
//! a member inside a symlink or a file, and a member given twice are refused. Setuid, setgid,
//! sticky and world-writable bits are dropped. Every member is checked before anything is
//! written; the whole archive is refused with one line naming the member and why. The caps
//! ([`Limits`]) on the total size and the number of members are enforced while reading (the
//! check stops as soon as a cap is crossed) and again while writing; on any failure the target
//! folder is emptied again.

use anyhow::{anyhow, bail, Context, Result};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

/// The default cap on what an archive expands to: 512 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 512 * 1024 * 1024;

/// The default cap on the number of members (files, folders, symlinks) of an archive.
pub const DEFAULT_MAX_FILES: u64 = 100_000;

/// The longest GNU long name, long link or pax header accepted (they are read into memory).
const MAX_EXTENSION: u64 = 64 * 1024;

/// The longest symlink target accepted.
const MAX_LINK: usize = 4096;

/// The caps on one archive's expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes all files together may hold.
    pub max_size: u64,
    /// The most members (files, folders, symlinks) the archive may hold.
    pub max_files: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_size: DEFAULT_MAX_SIZE,
            max_files: DEFAULT_MAX_FILES,
        }
    }
}

impl Limits {
    /// The most bytes of archive (compressed, or the tar stream itself) read for these caps:
    /// the files' bytes plus 4 KiB of headers and padding per member, plus 1 MiB.
    pub fn stream_budget(&self) -> u64 {
        self.max_size
            .saturating_add(self.max_files.saturating_mul(4096))
            .saturating_add(1024 * 1024)
    }
}

/// Parses a size: bytes, or a number with a `k`, `m` or `g` suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64> {
    let lower = s.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.strip_suffix(['k', 'm', 'g']) {
        Some(d) => (d, lower.chars().last().unwrap_or('b')),
        None => (lower.strip_suffix('b').unwrap_or(&lower), 'b'),
    };
    let digits = digits.strip_suffix(['i']).unwrap_or(digits);
    let n: u64 = match digits.parse() {
        Ok(n) if !digits.starts_with('+') => n,
        _ => bail!("invalid size {s:?}: use bytes, or a number with a k, m or g suffix"),
    };
    let mult: u64 = match unit {
        'k' => 1 << 10,
        'm' => 1 << 20,
        'g' => 1 << 30,
        _ => 1,
    };
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        _ => bail!("invalid size {s:?}: use a size above 0 and below 16 EiB"),
    }
}

/// Parses a member count (a whole number above 0).
pub fn parse_count(s: &str) -> Result<u64> {
    match s.trim().parse::<u64>() {
        Ok(n) if n > 0 && !s.trim().starts_with('+') => Ok(n),
        _ => bail!("invalid count {s:?}: use a whole number above 0"),
    }
}

/// A size for people: `512m`, `1g`, `1500` (exact, in the form `parse_size` reads).
pub fn format_size(n: u64) -> String {
    for (unit, mult) in [('g', 1u64 << 30), ('m', 1 << 20), ('k', 1 << 10)] {
        if n >= mult && n.is_multiple_of(mult) {
            return format!("{}{unit}", n / mult);
        }
    }
    n.to_string()
}

/// The kinds of archive read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A plain tar.
    Tar,
    /// A gzip-compressed tar.
    TarGz,
    /// A bzip2-compressed tar (decompressed by `bzip2 -dc`).
    TarBz2,
    /// An xz-compressed tar (decompressed by `xz -dc`).
    TarXz,
    /// A zip file.
    Zip,
}

impl Kind {
    /// Parses Dokku's `--archive-type` (tar, tar.gz or zip).
    pub fn parse(s: &str) -> Result<Kind> {
        match s {
            "tar" => Ok(Kind::Tar),
            "tar.gz" | "tgz" => Ok(Kind::TarGz),
            "zip" => Ok(Kind::Zip),
            other => bail!("invalid --archive-type {other:?}: use tar, tar.gz or zip"),
        }
    }

    /// The kind's name (`tar`, `tar.gz`, `tar.bz2`, `tar.xz`, `zip`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tar => "tar",
            Kind::TarGz => "tar.gz",
            Kind::TarBz2 => "tar.bz2",
            Kind::TarXz => "tar.xz",
            Kind::Zip => "zip",
        }
    }

    /// Tells the kind from the first bytes of `file`; `None` when it is none of them.
    pub fn sniff(file: &mut File) -> Result<Option<Kind>> {
        let mut head = [0u8; 512];
        file.seek(SeekFrom::Start(0))
            .context("cannot read the archive")?;
        let mut n = 0;
        while n < head.len() {
            match file
                .read(&mut head[n..])
                .context("cannot read the archive")?
            {
                0 => break,
                k => n += k,
            }
        }
        file.seek(SeekFrom::Start(0))
            .context("cannot read the archive")?;
        let head = &head[..n];
        Ok(if head.starts_with(&[0x1f, 0x8b]) {
            Some(Kind::TarGz)
        } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(Kind::Zip)
        } else if head.starts_with(b"BZh") {
            Some(Kind::TarBz2)
        } else if head.starts_with(b"\xfd7zXZ\0") {
            Some(Kind::TarXz)
        } else if n == 512 && tar_checksum_ok(head) {
            Some(Kind::Tar)
        } else {
            None
        })
    }
}

/// Whether a 512-byte block is a tar header (its checksum matches).
fn tar_checksum_ok(block: &[u8]) -> bool {
    let field = String::from_utf8_lossy(&block[148..156]);
    let Ok(want) = u32::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
    else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    sum == want
}

/// What a member is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum What {
    Dir,
    File(u64),
    Symlink(String),
}

/// One checked member: its path (normal components) and what it is, with its safe mode.
#[derive(Debug, Clone)]
struct Member {
    path: Vec<String>,
    what: What,
    mode: u32,
}

/// A member name as shown in messages: quoted, control characters escaped, never raw bytes.
fn shown(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    let s: String = s.chars().take(200).collect();
    format!("{s:?}")
}

/// Error text from a library, made printable (no control characters, at most 200 chars).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
}

/// The mode a member gets: permission bits only, never world-writable; the owner can always
/// read (and enter) it.
fn safe_mode(mode: u32, dir: bool) -> u32 {
    let m = mode & 0o777 & !0o002;
    if dir {
        m | 0o700
    } else {
        m | 0o600
    }
}

/// Collects and checks members as they are read, stopping at the first refusal.
struct Checker<'a> {
    limits: Limits,
    target: &'a str,
    members: Vec<Member>,
    total: u64,
}

impl<'a> Checker<'a> {
    fn new(limits: Limits, target: &'a str) -> Checker<'a> {
        Checker {
            limits,
            target,
            members: Vec::new(),
            total: 0,
        }
    }

    fn refuse(&self, name: &[u8], why: &str) -> anyhow::Error {
        anyhow!("archive member {} {why}; refusing it", shown(name))
    }

    /// Checks one member's name and kind and adds it (a name of only `.` is skipped).
    fn push(&mut self, name: &[u8], what: What, mode: u32) -> Result<()> {
        let Some(path) = self.normal_path(name)? else {
            return match what {
                What::Dir => Ok(()),
                _ => Err(self.refuse(name, "has an empty name")),
            };
        };
        if self.members.len() as u64 >= self.limits.max_files {
            bail!(
                "the archive holds more than {} members (archive-max-files) at member {}; refusing it",
                self.limits.max_files,
                shown(name)
            );
        }
        if let What::File(size) = what {
            self.total = self.total.saturating_add(size);
            if self.total > self.limits.max_size {
                bail!(
                    "the archive expands to more than {} (archive-max-size) at member {}; refusing it",
                    format_size(self.limits.max_size),
                    shown(name)
                );
            }
        }
        if let What::Symlink(t) = &what {
            if t.is_empty() || t.len() > MAX_LINK {
                return Err(self.refuse(name, "is a symlink with an empty or overlong target"));
            }
            if t.starts_with('/') {
                return Err(self.refuse(
                    name,
                    &format!(
                        "is a symlink to an absolute path {} outside {}",
                        shown(t.as_bytes()),
                        self.target
                    ),
                ));
            }
        }
        let mode = safe_mode(mode, what == What::Dir);
        self.members.push(Member { path, what, mode });
        Ok(())
    }

    /// The normal components of a member name; refuses absolute paths, `..` and non-UTF-8.
    fn normal_path(&self, name: &[u8]) -> Result<Option<Vec<String>>> {
        let Ok(s) = std::str::from_utf8(name) else {
            return Err(self.refuse(name, "has a name that is not UTF-8"));
        };
        if s.starts_with('/') {
            return Err(self.refuse(name, &format!("escapes {} (an absolute path)", self.target)));
        }
        let mut parts = Vec::new();
        for c in s.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    return Err(
                        self.refuse(name, &format!("escapes {} (a .. component)", self.target))
                    )
                }
                c => parts.push(c.to_string()),
            }
        }
        Ok((!parts.is_empty()).then_some(parts))
    }

    /// The checks over the whole archive: no member given twice, none inside a file or a
    /// symlink, every symlink resolving inside the archive.
    fn finish(self) -> Result<Vec<Member>> {
        let name = |p: &[String]| p.join("/");
        let mut seen: HashMap<&[String], &What> = HashMap::new();
        for m in &self.members {
            if let Some(prev) = seen.insert(&m.path, &m.what) {
                if !(*prev == What::Dir && m.what == What::Dir) {
                    return Err(self.refuse(name(&m.path).as_bytes(), "appears twice"));
                }
            }
        }
        let links: HashMap<&[String], &str> = self
            .members
            .iter()
            .filter_map(|m| match &m.what {
                What::Symlink(t) => Some((m.path.as_slice(), t.as_str())),
                _ => None,
            })
            .collect();
        let files: HashSet<&[String]> = self
            .members
            .iter()
            .filter(|m| matches!(m.what, What::File(_)))
            .map(|m| m.path.as_slice())
            .collect();
        for m in &self.members {
            for i in 1..m.path.len() {
                let prefix = &m.path[..i];
                if links.contains_key(prefix) {
                    return Err(self.refuse(
                        name(&m.path).as_bytes(),
                        &format!(
                            "goes through the symlink {}",
                            shown(name(prefix).as_bytes())
                        ),
                    ));
                }
                if files.contains(prefix) {
                    return Err(self.refuse(
                        name(&m.path).as_bytes(),
                        &format!("is inside the file {}", shown(name(prefix).as_bytes())),
                    ));
                }
            }
        }
        for (path, target) in &links {
            let parent = path[..path.len() - 1].to_vec();
            let mut hops = 0;
            if resolve(parent, target, &links, &mut hops).is_none() {
                return Err(self.refuse(
                    name(path).as_bytes(),
                    &format!(
                        "is a symlink to {} outside {}",
                        shown(target.as_bytes()),
                        self.target
                    ),
                ));
            }
        }
        Ok(self.members)
    }
}

/// Resolves `target` from folder `dir` (components, free of symlinks) through the archive's
/// own symlinks; `None` when it leaves the tree, is absolute or loops.
fn resolve(
    mut dir: Vec<String>,
    target: &str,
    links: &HashMap<&[String], &str>,
    hops: &mut u32,
) -> Option<Vec<String>> {
    if target.starts_with('/') {
        return None;
    }
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                dir.pop()?;
            }
            c => {
                dir.push(c.to_string());
                if let Some(t) = links.get(dir.as_slice()) {
                    *hops += 1;
                    if *hops > 40 {
                        return None;
                    }
                    let parent = dir[..dir.len() - 1].to_vec();
                    dir = resolve(parent, t, links, hops)?;
                }
            }
        }
    }
    Some(dir)
}

/// A reader that fails once more than `left` bytes were read from it.
struct Budget<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::other(format!(
                "the archive expands to more than its caps allow ({} bytes of tar stream)",
                self.limit
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Opens the tar stream of `file` (decompressing a `.tar.gz`), limited to the caps' budget.
fn tar_stream(file: &File, gz: bool, limits: Limits) -> Result<Box<dyn Read>> {
    let mut f = file.try_clone().context("cannot read the archive")?;
    f.seek(SeekFrom::Start(0))
        .context("cannot read the archive")?;
    let inner: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(f)))
    } else {
        Box::new(io::BufReader::new(f))
    };
    let limit = limits.stream_budget();
    Ok(Box::new(Budget {
        inner,
        left: limit,
        limit,
    }))
}

/// One member read from a tar: its raw name, what it is and its mode.
struct TarMember {
    name: Vec<u8>,
    what: What,
    mode: u32,
}

/// The value of `key` in pax extension records (`LEN key=value\n`).
fn pax_value<'b>(data: &'b [u8], key: &str) -> Option<&'b [u8]> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return None;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            if &record[..eq] == key.as_bytes() {
                return Some(&record[eq + 1..]);
            }
        }
        rest = &rest[len..];
    }
    None
}

/// Reads a small extension entry's data (at most [`MAX_EXTENSION`] bytes).
fn read_extension<R: Read>(e: &mut tar::Entry<R>, after: &[u8]) -> Result<Vec<u8>> {
    if e.size() > MAX_EXTENSION {
        bail!(
            "the archive holds an oversized extension header after member {}; refusing it",
            shown(after)
        );
    }
    let mut v = Vec::new();
    e.read_to_end(&mut v)
        .map_err(|err| damaged(after, &err.to_string()))?;
    while v.last() == Some(&0) {
        v.pop();
    }
    Ok(v)
}

fn damaged(after: &[u8], why: &str) -> anyhow::Error {
    if after.is_empty() {
        anyhow!("the tar archive is damaged or truncated: {}", clean(why))
    } else {
        anyhow!(
            "the tar archive is damaged or truncated after member {}: {}",
            shown(after),
            clean(why)
        )
    }
}

/// Walks a tar stream, handing each real member (long names and pax headers applied) and its
/// data to `each`.
fn walk_tar(
    stream: Box<dyn Read>,
    each: &mut dyn FnMut(TarMember, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| damaged(b"", &e.to_string()))?
        .raw(true);
    let mut last: Vec<u8> = Vec::new();
    let (mut long_name, mut long_link, mut pax) = (None, None, None::<Vec<u8>>);
    for e in entries {
        let mut e = e.map_err(|err| damaged(&last, &err.to_string()))?;
        let t = e.header().entry_type();
        use tar::EntryType as T;
        match t {
            T::GNULongName => {
                long_name = Some(read_extension(&mut e, &last)?);
                continue;
            }
            T::GNULongLink => {
                long_link = Some(read_extension(&mut e, &last)?);
                continue;
            }
            T::XHeader => {
                pax = Some(read_extension(&mut e, &last)?);
                continue;
            }
            T::XGlobalHeader => {
                read_extension(&mut e, &last)?;
                continue;
            }
            _ => {}
        }
        let h = e.header();
        let name = pax
            .as_deref()
            .and_then(|p| pax_value(p, "path"))
            .map(<[u8]>::to_vec)
            .or(long_name.take())
            .unwrap_or_else(|| h.path_bytes().into_owned());
        let link = pax
            .as_deref()
            .and_then(|p| pax_value(p, "linkpath"))
            .map(<[u8]>::to_vec)
            .or(long_link.take())
            .or_else(|| h.link_name_bytes().map(|b| b.into_owned()));
        let size = h
            .entry_size()
            .map_err(|err| damaged(&name, &err.to_string()))?;
        if let Some(ps) = pax.as_deref().and_then(|p| pax_value(p, "size")) {
            if std::str::from_utf8(ps)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                != Some(size)
            {
                bail!(
                    "archive member {} has a pax size that differs from its header; refusing it",
                    shown(&name)
                );
            }
        }
        pax = None;
        let mode = h.mode().unwrap_or(0o644);
        let refuse = |why: &str| anyhow!("archive member {} {why}; refusing it", shown(&name));
        let what = match t {
            T::Regular | T::Continuous => What::File(size),
            T::Directory => What::Dir,
            T::Symlink => {
                let link = link.unwrap_or_default();
                match String::from_utf8(link) {
                    Ok(l) => What::Symlink(l),
                    Err(_) => return Err(refuse("is a symlink whose target is not UTF-8")),
                }
            }
            T::Link => return Err(refuse("is a hard link (only files, folders and symlinks inside the archive are allowed)")),
            T::Char => return Err(refuse("is a character device (only files, folders and symlinks inside the archive are allowed)")),
            T::Block => return Err(refuse("is a block device (only files, folders and symlinks inside the archive are allowed)")),
            T::Fifo => return Err(refuse("is a FIFO (only files, folders and symlinks inside the archive are allowed)")),
            T::GNUSparse => return Err(refuse("is a sparse file, which is not supported")),
            _ => return Err(refuse(&format!(
                "has an unknown type {:?} (only files, folders and symlinks inside the archive are allowed)",
                t.as_byte() as char
            ))),
        };
        last = name.clone();
        each(TarMember { name, what, mode }, &mut e)?;
    }
    Ok(())
}

/// Writes checked members into `dest`, counting what is written against the caps again.
struct Writer<'a> {
    dest: &'a Path,
    limits: Limits,
    written: u64,
}

impl Writer<'_> {
    fn write(&mut self, m: &Member, data: &mut dyn Read) -> Result<()> {
        let mut p = self.dest.to_path_buf();
        p.extend(&m.path);
        let shown_name = shown(m.path.join("/").as_bytes());
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder of {shown_name}"))?;
        }
        match &m.what {
            What::Dir => {
                match fs::create_dir(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
                    Err(e) => return Err(e).with_context(|| format!("cannot create {shown_name}")),
                }
                fs::set_permissions(&p, fs::Permissions::from_mode(m.mode))
                    .with_context(|| format!("cannot set the mode of {shown_name}"))?;
            }
            What::File(size) => {
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(m.mode)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&p)
                    .with_context(|| format!("cannot create {shown_name}"))?;
                f.set_permissions(fs::Permissions::from_mode(m.mode))
                    .with_context(|| format!("cannot set the mode of {shown_name}"))?;
                let n = io::copy(&mut data.take(size.saturating_add(1)), &mut f)
                    .with_context(|| format!("cannot unpack {shown_name}"))?;
                if n != *size {
                    bail!(
                        "archive member {shown_name} holds {n} bytes where it says {size}; refusing it"
                    );
                }
                self.written = self.written.saturating_add(n);
                if self.written > self.limits.max_size {
                    bail!(
                        "the archive expands to more than {} (archive-max-size) at member {shown_name}; refusing it",
                        format_size(self.limits.max_size)
                    );
                }
                f.flush()
                    .with_context(|| format!("cannot write {shown_name}"))?;
            }
            What::Symlink(t) => std::os::unix::fs::symlink(t, &p)
                .with_context(|| format!("cannot create the symlink {shown_name}"))?,
        }
        Ok(())
    }
}

/// Removes everything inside `dest` (after a refused or failed unpack).
fn empty_folder(dest: &Path) {
    if let Ok(rd) = fs::read_dir(dest) {
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => {
                    let _ = make_removable(&p);
                    let _ = fs::remove_dir_all(&p);
                }
                _ => {
                    let _ = fs::remove_file(&p);
                }
            }
        }
    }
}

/// Gives the owner write access to every folder under `dir`, so that it can be removed.
fn make_removable(dir: &Path) -> io::Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    for e in fs::read_dir(dir)?.flatten() {
        if e.file_type()?.is_dir() {
            make_removable(&e.path())?;
        }
    }
    Ok(())
}

/// Decompresses a `.tar.bz2` / `.tar.xz` with `bzip2 -dc` / `xz -dc` into a temp file (read to
/// the end, within the caps' budget), which is then read as a plain tar.
fn decompress_with(file: &File, program: &str, limits: Limits) -> Result<File> {
    let mut input = file.try_clone().context("cannot read the archive")?;
    input
        .seek(SeekFrom::Start(0))
        .context("cannot read the archive")?;
    let mut child = Command::new(program)
        .arg("-dc")
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program} to decompress the archive"))?;
    let mut out = tempfile::tempfile().context("cannot create a temp file")?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let budget = limits.stream_budget();
    let copied = io::copy(&mut (&mut stdout).take(budget.saturating_add(1)), &mut out);
    let over = matches!(copied, Ok(n) if n > budget);
    if over {
        let _ = child.kill();
    } else {
        // Read to the end, so that the child never dies of a closed pipe.
        let _ = io::copy(&mut stdout, &mut io::sink());
    }
    drop(stdout);
    let result = child
        .wait_with_output()
        .with_context(|| format!("cannot run {program}"))?;
    if over {
        bail!(
            "the archive expands to more than its caps allow (archive-max-size {}, archive-max-files {}); refusing it",
            format_size(limits.max_size),
            limits.max_files
        );
    }
    copied.with_context(|| format!("cannot read what {program} decompressed"))?;
    if !result.status.success() {
        let err = String::from_utf8_lossy(&result.stderr);
        let line = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!(
            "the archive is not a valid {program} stream: {}",
            clean(line)
        );
    }
    Ok(out)
}

/// Checks every member of `file` (a tar, tar.gz, tar.bz2, tar.xz or zip; `kind` is checked
/// against the file's first bytes, `None` tells it from them), then unpacks it into `dest`, an
/// empty folder. `target` names the folder in messages (`the app folder`). On any failure
/// `dest` is emptied again.
pub fn unpack(
    file: &mut File,
    kind: Option<Kind>,
    dest: &Path,
    limits: Limits,
    target: &str,
) -> Result<()> {
    let r = unpack_inner(file, kind, dest, limits, target);
    if r.is_err() {
        empty_folder(dest);
    }
    r
}

fn unpack_inner(
    file: &mut File,
    kind: Option<Kind>,
    dest: &Path,
    limits: Limits,
    target: &str,
) -> Result<()> {
    let sniffed = Kind::sniff(file)?;
    let kind = match (kind, sniffed) {
        (_, None) => bail!("the file is not a tar, tar.gz, tar.bz2, tar.xz or zip archive"),
        (Some(k), Some(s)) if k != s => bail!(
            "the archive is a {} archive, not a {} one (--archive-type {})",
            s.name(),
            k.name(),
            k.name()
        ),
        (_, Some(s)) => s,
    };
    match kind {
        Kind::Zip => unpack_zip(file, dest, limits, target),
        Kind::Tar | Kind::TarGz => unpack_tar(file, kind == Kind::TarGz, dest, limits, target),
        Kind::TarBz2 | Kind::TarXz => {
            let program = if kind == Kind::TarBz2 { "bzip2" } else { "xz" };
            let plain = decompress_with(file, program, limits)?;
            unpack_tar(&plain, false, dest, limits, target)
        }
    }
}

fn unpack_tar(file: &File, gz: bool, dest: &Path, limits: Limits, target: &str) -> Result<()> {
    let mut checker = Checker::new(limits, target);
    walk_tar(tar_stream(file, gz, limits)?, &mut |m, _| {
        checker.push(&m.name, m.what, m.mode)
    })?;
    let members = checker.finish()?;
    let mut writer = Writer {
        dest,
        limits,
        written: 0,
    };
    let mut next = members.iter();
    let check = Checker::new(limits, target);
    walk_tar(tar_stream(file, gz, limits)?, &mut |m, data| {
        let Some(path) = check.normal_path(&m.name)? else {
            return Ok(());
        };
        match next.next() {
            Some(want) if want.path == path && want.what == m.what => writer.write(want, data),
            _ => bail!("the archive changed while it was read; refusing it"),
        }
    })
}

fn zip_error(e: zip::result::ZipError) -> anyhow::Error {
    anyhow!("the zip archive is damaged: {}", clean(&e.to_string()))
}

fn unpack_zip(file: &File, dest: &Path, limits: Limits, target: &str) -> Result<()> {
    let mut f = file.try_clone().context("cannot read the archive")?;
    f.seek(SeekFrom::Start(0))
        .context("cannot read the archive")?;
    let mut z = zip::ZipArchive::new(io::BufReader::new(f)).map_err(zip_error)?;
    let mut checker = Checker::new(limits, target);
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(zip_error)?;
        let name = e.name_raw().to_vec();
        let mode = e.unix_mode();
        let refuse = |why: &str| anyhow!("archive member {} {why}; refusing it", shown(&name));
        let what = match mode.map(|m| m & libc::S_IFMT) {
            _ if e.is_dir() => What::Dir,
            Some(libc::S_IFLNK) => {
                let mut t = Vec::new();
                (&mut e)
                    .take(MAX_LINK as u64 + 1)
                    .read_to_end(&mut t)
                    .map_err(|err| anyhow!("the zip archive is damaged: {}", clean(&err.to_string())))?;
                match String::from_utf8(t) {
                    Ok(t) => What::Symlink(t),
                    Err(_) => return Err(refuse("is a symlink whose target is not UTF-8")),
                }
            }
            Some(libc::S_IFDIR) => What::Dir,
            None | Some(0) | Some(libc::S_IFREG) => What::File(e.size()),
            Some(_) => return Err(refuse(
                "is a device, FIFO or socket (only files, folders and symlinks inside the archive are allowed)",
            )),
        };
        checker.push(&name, what, mode.unwrap_or(0o644))?;
    }
    let members = checker.finish()?;
    let mut writer = Writer {
        dest,
        limits,
        written: 0,
    };
    let check = Checker::new(limits, target);
    let mut next = members.iter();
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(zip_error)?;
        let Some(path) = check.normal_path(e.name_raw())? else {
            continue;
        };
        let Some(want) = next.next().filter(|w| w.path == path) else {
            bail!("the archive changed while it was read; refusing it");
        };
        if let What::Symlink(_) = want.what {
            writer.write(want, &mut io::empty())?;
        } else {
            writer.write(want, &mut e)?;
        }
    }
    Ok(())
}

/// Checks the folder `src` as an archive (files, folders and in-tree symlinks only, within
/// `limits`; nothing is read beyond the first refusal), then copies it into `dest`, an empty
/// folder, with the same safe modes. On any failure `dest` is emptied again.
pub fn copy_folder(src: &Path, dest: &Path, limits: Limits, target: &str) -> Result<()> {
    let r = copy_folder_inner(src, dest, limits, target);
    if r.is_err() {
        empty_folder(dest);
    }
    r
}

fn copy_folder_inner(src: &Path, dest: &Path, limits: Limits, target: &str) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::FileTypeExt;
    let mut checker = Checker::new(limits, target);
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = src.join(&rel);
        let mut names: Vec<_> = fs::read_dir(&dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok())
            .collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = if rel.is_empty() {
                e.file_name().as_bytes().to_vec()
            } else {
                [rel.as_bytes(), b"/", e.file_name().as_bytes()].concat()
            };
            let meta = fs::symlink_metadata(e.path())
                .with_context(|| format!("cannot read {}", e.path().display()))?;
            let t = meta.file_type();
            let refuse = |why: &str| anyhow!("{} {why}; refusing the folder", shown(&name));
            let what = if t.is_dir() {
                What::Dir
            } else if t.is_file() {
                What::File(meta.len())
            } else if t.is_symlink() {
                let target = fs::read_link(e.path())
                    .with_context(|| format!("cannot read {}", e.path().display()))?;
                match target.to_str() {
                    Some(t) => What::Symlink(t.to_string()),
                    None => return Err(refuse("is a symlink whose target is not UTF-8")),
                }
            } else {
                let kind = if t.is_char_device() {
                    "a character device"
                } else if t.is_block_device() {
                    "a block device"
                } else if t.is_fifo() {
                    "a FIFO"
                } else {
                    "a socket"
                };
                return Err(refuse(&format!(
                    "is {kind} (only files, folders and symlinks inside the folder are allowed)"
                )));
            };
            checker.push(&name, what.clone(), meta.permissions().mode())?;
            if what == What::Dir {
                stack.push(String::from_utf8_lossy(&name).into_owned());
            }
        }
    }
    let members = checker.finish()?;
    let mut writer = Writer {
        dest,
        limits,
        written: 0,
    };
    for m in &members {
        let mut p = src.to_path_buf();
        p.extend(&m.path);
        match m.what {
            What::File(_) => {
                let mut f = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                    .open(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                if !f.metadata().is_ok_and(|m| m.is_file()) {
                    bail!("{} changed while it was copied; refusing it", p.display());
                }
                writer.write(m, &mut f)?;
            }
            _ => writer.write(m, &mut io::empty())?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("10k").unwrap(), 10240);
        assert_eq!(parse_size("1500").unwrap(), 1500);
        for bad in ["", "0", "-1", "1x", "m", "+5", "99999999999999g"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(format_size(512 << 20), "512m");
        assert_eq!(format_size(1500), "1500");
    }

    /// A tar of one member whose name is written raw (so `..` and absolute paths can be made).
    fn raw_tar(name: &str, kind: tar::EntryType, link: Option<&str>) -> File {
        let mut f = tempfile::tempfile().unwrap();
        {
            let mut b = tar::Builder::new(&mut f);
            let mut h = tar::Header::new_gnu();
            h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_entry_type(kind);
            h.set_mode(0o644);
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            let data: &[u8] = if kind == tar::EntryType::Regular {
                b"x"
            } else {
                b""
            };
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append(&h, data).unwrap();
            b.finish().unwrap();
        }
        f
    }

    #[test]
    fn escapes_refused_nothing_written() {
        use tar::EntryType::*;
        for (name, kind, link, why) in [
            (
                "../evil",
                Regular,
                None,
                "escapes the app folder (a .. component)",
            ),
            (
                "/abs",
                Regular,
                None,
                "escapes the app folder (an absolute path)",
            ),
            ("a/../../evil", Regular, None, "(a .. component)"),
            ("l", Symlink, Some("/etc/passwd"), "outside the app folder"),
            ("l", Symlink, Some("a/../.."), "outside the app folder"),
            ("h", Link, Some("x"), "is a hard link"),
            ("c", Char, None, "is a character device"),
        ] {
            let mut f = raw_tar(name, kind, link);
            let dest = tempfile::tempdir().unwrap();
            let e = unpack(
                &mut f,
                None,
                dest.path(),
                Limits::default(),
                "the app folder",
            )
            .unwrap_err();
            let msg = format!("{e:#}");
            assert!(
                msg.contains(why) && msg.contains("refusing it"),
                "{name}: {msg}"
            );
            assert_eq!(fs::read_dir(dest.path()).unwrap().count(), 0);
        }
        let mut f = raw_tar("app/ok.txt", Regular, None);
        let dest = tempfile::tempdir().unwrap();
        unpack(&mut f, Some(Kind::Tar), dest.path(), Limits::default(), "x").unwrap();
        assert_eq!(fs::read(dest.path().join("app/ok.txt")).unwrap(), b"x");
    }

    #[test]
    fn zip_symlinks_and_caps() {
        let zip_of = |links: &[(&str, &str)], files: usize| {
            let mut f = tempfile::tempfile().unwrap();
            {
                let mut z = zip::ZipWriter::new(&mut f);
                let o = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                for i in 0..files {
                    z.start_file(format!("f{i}"), o).unwrap();
                    z.write_all(b"data").unwrap();
                }
                for (name, target) in links {
                    z.add_symlink(*name, *target, o).unwrap();
                }
                z.finish().unwrap();
            }
            f
        };
        let dest = tempfile::tempdir().unwrap();
        unpack(
            &mut zip_of(&[("in", "f0")], 1),
            None,
            dest.path(),
            Limits::default(),
            "x",
        )
        .unwrap();
        assert_eq!(
            fs::read_link(dest.path().join("in")).unwrap(),
            Path::new("f0")
        );
        let dest = tempfile::tempdir().unwrap();
        let e = unpack(
            &mut zip_of(&[("out", "../x")], 1),
            None,
            dest.path(),
            Limits::default(),
            "x",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("outside x"), "{e:#}");
        assert_eq!(fs::read_dir(dest.path()).unwrap().count(), 0);
        let few = Limits {
            max_size: 1 << 20,
            max_files: 3,
        };
        let e = unpack(&mut zip_of(&[], 5), None, dest.path(), few, "x").unwrap_err();
        assert!(format!("{e:#}").contains("more than 3 members"), "{e:#}");
        let small = Limits {
            max_size: 10,
            max_files: 100,
        };
        let e = unpack(&mut zip_of(&[], 5), None, dest.path(), small, "x").unwrap_err();
        assert!(
            format!("{e:#}").contains("more than 10 (archive-max-size)"),
            "{e:#}"
        );
        assert_eq!(fs::read_dir(dest.path()).unwrap().count(), 0);
    }

    #[test]
    fn symlinks_resolve_through_the_archive() {
        let mk = |path: &str, t: &str| {
            (
                path.split('/').map(String::from).collect::<Vec<_>>(),
                t.to_string(),
            )
        };
        let links = [mk("a/b/up", "../.."), mk("l1", "sub")];
        let map: HashMap<&[String], &str> = links
            .iter()
            .map(|(p, t)| (p.as_slice(), t.as_str()))
            .collect();
        let mut h = 0;
        assert!(resolve(vec![], "a/b/up/..", &map, &mut h).is_none());
        let mut h = 0;
        assert_eq!(resolve(vec![], "l1/x", &map, &mut h).unwrap(), ["sub", "x"]);
        let mut h = 0;
        assert!(resolve(vec!["a".into()], "../..", &map, &mut h).is_none());
    }
}
