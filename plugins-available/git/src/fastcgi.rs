//! A small FastCGI responder for nginx that runs one CGI program per request and streams its
//! output back as it is produced (fcgiwrap holds a CGI's output until it ends, which would
//! hold back a build's lines until the push is over). One request per connection, a thread per
//! connection, the request body piped to the program while its output is relayed.
//!
//! Started as `dokku-git --fastcgi-serve SOCKET PROGRAM`; `scripts/install` runs it for the
//! private nginx of a `--root` install.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BEGIN_REQUEST: u8 = 1;
const ABORT_REQUEST: u8 = 2;
const END_REQUEST: u8 = 3;
const PARAMS: u8 = 4;
const STDIN: u8 = 5;
const STDOUT: u8 = 6;

/// One FastCGI record.
struct Record {
    kind: u8,
    id: u16,
    content: Vec<u8>,
}

fn read_record(r: &mut impl Read) -> Result<Option<Record>> {
    let mut h = [0u8; 8];
    match r.read_exact(&mut h) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e).context("cannot read a FastCGI record"),
    }
    if h[0] != 1 {
        bail!("unsupported FastCGI version {}", h[0]);
    }
    let len = u16::from_be_bytes([h[4], h[5]]) as usize;
    let pad = h[6] as usize;
    let mut content = vec![0u8; len + pad];
    r.read_exact(&mut content)
        .context("cannot read a FastCGI record")?;
    content.truncate(len);
    Ok(Some(Record {
        kind: h[1],
        id: u16::from_be_bytes([h[2], h[3]]),
        content,
    }))
}

fn write_record(w: &mut impl Write, kind: u8, id: u16, content: &[u8]) -> std::io::Result<()> {
    let len = content.len() as u16;
    let pad = (8 - (content.len() % 8)) % 8;
    let mut h = [1u8, kind, 0, 0, 0, 0, pad as u8, 0];
    h[2..4].copy_from_slice(&id.to_be_bytes());
    h[4..6].copy_from_slice(&len.to_be_bytes());
    w.write_all(&h)?;
    w.write_all(content)?;
    w.write_all(&[0u8; 8][..pad])
}

/// Writes `data` as STDOUT records (at most 65535 bytes each).
fn write_stdout(w: &mut impl Write, id: u16, data: &[u8]) -> std::io::Result<()> {
    for chunk in data.chunks(65535) {
        write_record(w, STDOUT, id, chunk)?;
    }
    w.flush()
}

fn read_len(b: &[u8], i: &mut usize) -> Result<usize> {
    let first = *b.get(*i).context("truncated FastCGI params")?;
    if first & 0x80 == 0 {
        *i += 1;
        return Ok(first as usize);
    }
    let bytes = b.get(*i..*i + 4).context("truncated FastCGI params")?;
    *i += 4;
    Ok((u32::from_be_bytes([bytes[0] & 0x7f, bytes[1], bytes[2], bytes[3]])) as usize)
}

/// Decodes FastCGI name-value pairs.
fn decode_params(b: &[u8]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < b.len() {
        let nl = read_len(b, &mut i)?;
        let vl = read_len(b, &mut i)?;
        let name = b.get(i..i + nl).context("truncated FastCGI params")?;
        let value = b
            .get(i + nl..i + nl + vl)
            .context("truncated FastCGI params")?;
        i += nl + vl;
        out.insert(
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        );
    }
    Ok(out)
}

/// The CGI variables passed on to the program; everything else nginx sends is dropped.
fn is_cgi_variable(name: &str) -> bool {
    name.starts_with("HTTP_")
        || matches!(
            name,
            "PATH_INFO"
                | "QUERY_STRING"
                | "REQUEST_METHOD"
                | "CONTENT_TYPE"
                | "CONTENT_LENGTH"
                | "REMOTE_USER"
                | "REMOTE_ADDR"
                | "SERVER_PROTOCOL"
                | "GATEWAY_INTERFACE"
        )
}

/// Serves one connection: params, then the program with the body on its stdin and its stdout
/// relayed record by record.
fn serve(mut conn: UnixStream, program: &Path) -> Result<()> {
    let mut params = Vec::new();
    let mut id = 0;
    loop {
        let Some(r) = read_record(&mut conn)? else {
            return Ok(());
        };
        match r.kind {
            BEGIN_REQUEST => id = r.id,
            PARAMS if r.content.is_empty() => break,
            PARAMS => params.extend_from_slice(&r.content),
            ABORT_REQUEST => return Ok(()),
            _ => {}
        }
    }
    let vars = decode_params(&params)?;
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in vars.iter().filter(|(k, _)| is_cgi_variable(k)) {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let mut body_in = child.stdin.take().expect("piped stdin");
    let mut reader = conn.try_clone().context("cannot clone the connection")?;
    let feeder = std::thread::spawn(move || {
        // The request body: STDIN records until an empty one.
        while let Ok(Some(r)) = read_record(&mut reader) {
            if r.kind == ABORT_REQUEST || (r.kind == STDIN && r.content.is_empty()) {
                break;
            }
            if r.kind == STDIN && body_in.write_all(&r.content).is_err() {
                break;
            }
        }
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let mut buf = vec![0u8; 64 * 1024];
    let mut client_gone = false;
    loop {
        let n = match out.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                // Not left running (or unreaped) behind a reader that gave up.
                let _ = child.kill();
                let _ = child.wait();
                return Err(e).context("cannot read the program's output");
            }
        };
        if n == 0 {
            break;
        }
        if !client_gone && write_stdout(&mut conn, id, &buf[..n]).is_err() {
            client_gone = true; // keep draining so the program is not stopped half-way
        }
    }
    let status = child.wait().context("cannot wait for the program")?;
    let _ = feeder.join();
    if !client_gone {
        write_record(&mut conn, STDOUT, id, &[])?;
        let code = status.code().unwrap_or(1) as u32;
        let mut end = [0u8; 8];
        end[..4].copy_from_slice(&code.to_be_bytes());
        write_record(&mut conn, END_REQUEST, id, &end)?;
        conn.flush()?;
    }
    Ok(())
}

/// `--fastcgi-serve SOCKET PROGRAM`: listens on the unix socket (readable by this user only)
/// and serves requests until killed.
pub fn run(args: &[String]) -> Result<()> {
    let [socket, program] = args else {
        bail!("usage: dokku-git --fastcgi-serve <socket> <program>");
    };
    let socket = PathBuf::from(socket);
    let program = PathBuf::from(program);
    if socket.exists() {
        std::fs::remove_file(&socket)
            .with_context(|| format!("cannot remove the stale {}", socket.display()))?;
    }
    let listener = UnixListener::bind(&socket)
        .with_context(|| format!("cannot listen on {}", socket.display()))?;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot set the mode of {}", socket.display()))?;
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let program = program.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(conn, &program) {
                eprintln!("dokku-git fastcgi: {e:#}");
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(out: &mut Vec<u8>, n: &str, v: &str) {
        for len in [n.len(), v.len()] {
            if len < 128 {
                out.push(len as u8);
            } else {
                out.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes());
            }
        }
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(v.as_bytes());
    }

    #[test]
    fn params_and_records_round_trip() {
        let long = "x".repeat(300);
        let mut b = Vec::new();
        pair(&mut b, "PATH_INFO", "/web/info/refs");
        pair(&mut b, "HTTP_LONG", &long);
        let p = decode_params(&b).unwrap();
        assert_eq!(p["PATH_INFO"], "/web/info/refs");
        assert_eq!(p["HTTP_LONG"], long);
        assert!(decode_params(&b[..b.len() - 1]).is_err());
        let mut wire = Vec::new();
        write_record(&mut wire, STDOUT, 7, b"hello").unwrap();
        assert_eq!(wire.len() % 8, 0);
        let r = read_record(&mut &wire[..]).unwrap().unwrap();
        assert_eq!(
            (r.kind, r.id, r.content.as_slice()),
            (STDOUT, 7, &b"hello"[..])
        );
        assert!(is_cgi_variable("HTTP_CONTENT_ENCODING") && !is_cgi_variable("SCRIPT_FILENAME"));
    }
}
