//! A small line editor for `dokku shell` on a terminal: the terminal in raw mode (restored on
//! every way out), left/right/home/end, backspace/delete, Ctrl-A/E/K/U/W, up/down through the
//! history, TAB completion (the longest common prefix, the candidates listed when several
//! remain), Ctrl-C to drop the line, Ctrl-D on an empty line for end of input.

use anyhow::{Context, Result};
use nix::sys::termios::{self, InputFlags, LocalFlags, SetArg, SpecialCharacterIndices, Termios};
use std::io::Write;
use std::os::fd::BorrowedFd;

/// Restores the terminal's settings when dropped.
struct RawMode {
    saved: Termios,
}

impl RawMode {
    fn enter() -> Result<RawMode> {
        let fd = stdin_fd();
        let saved = termios::tcgetattr(fd).context("cannot read the terminal's settings")?;
        let mut raw = saved.clone();
        raw.local_flags &=
            !(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN);
        raw.input_flags &= !(InputFlags::IXON | InputFlags::ICRNL | InputFlags::INLCR);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        // TCSANOW, not TCSAFLUSH: what was typed ahead stays to be read.
        termios::tcsetattr(fd, SetArg::TCSANOW, &raw)
            .context("cannot put the terminal in raw mode")?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &self.saved);
    }
}

#[allow(unsafe_code)]
fn stdin_fd() -> BorrowedFd<'static> {
    // SAFETY: descriptor 0 stays open for the life of the process.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// Whether standard input and output are both terminals.
pub fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// One byte from descriptor 0 (unbuffered, so that commands started later read what follows);
/// `None` at end of input.
#[allow(unsafe_code)]
fn read_byte() -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        // SAFETY: reading one byte into a valid one-byte buffer.
        let n = unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) };
        if n == 1 {
            return Some(b[0]);
        }
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// One line from descriptor 0 read byte by byte (so that a command run after it reads what
/// follows), without its line end; `None` at end of input.
pub fn read_plain_line() -> Option<String> {
    let mut bytes = Vec::new();
    loop {
        match read_byte() {
            Some(b'\n') => break,
            Some(b) => bytes.push(b),
            None if bytes.is_empty() => return None,
            None => break,
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A character starting with byte `first` (its UTF-8 continuation bytes read too).
fn read_char(first: u8) -> Option<char> {
    let len = match first {
        0x00..=0x7f => return Some(first as char),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let mut bytes = vec![first];
    for _ in 1..len {
        bytes.push(read_byte()?);
    }
    std::str::from_utf8(&bytes).ok()?.chars().next()
}

/// What the editor needs from its caller: candidates for the word before the cursor.
pub trait Completer {
    /// The candidates for `word`, the word that ends at the cursor; `first` when it is the
    /// line's first word.
    fn candidates(&mut self, word: &str, first: bool) -> Vec<String>;
}

/// The longest prefix every string of `v` shares.
pub fn common_prefix(v: &[String]) -> String {
    let Some(first) = v.first() else {
        return String::new();
    };
    let mut len = first.len();
    for s in &v[1..] {
        len = first
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map(|((i, a), _)| i + a.len_utf8())
            .unwrap_or(0)
            .min(len);
    }
    first[..len].to_string()
}

struct Editor<'a> {
    prompt: &'a str,
    buf: Vec<char>,
    pos: usize,
    out: std::io::Stdout,
}

impl Editor<'_> {
    fn redraw(&mut self) {
        let line: String = self.buf.iter().collect();
        let back = self.buf.len() - self.pos;
        let mut s = format!("\r{}{line}\x1b[K", self.prompt);
        if back > 0 {
            s.push_str(&format!("\x1b[{back}D"));
        }
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    fn set(&mut self, text: &str) {
        self.buf = text.chars().collect();
        self.pos = self.buf.len();
    }

    fn complete(&mut self, completer: &mut dyn Completer) {
        let start = self.buf[..self.pos]
            .iter()
            .rposition(|c| c.is_whitespace())
            .map(|i| i + 1)
            .unwrap_or(0);
        let first = self.buf[..start].iter().all(|c| c.is_whitespace());
        let word: String = self.buf[start..self.pos].iter().collect();
        let mut found: Vec<String> = completer
            .candidates(&word, first)
            .into_iter()
            .filter(|c| c.starts_with(&word))
            .collect();
        found.sort();
        found.dedup();
        let insert = match found.len() {
            0 => {
                let _ = self.out.write_all(b"\x07");
                return;
            }
            1 => format!("{} ", found[0]),
            _ => common_prefix(&found),
        };
        if insert.len() > word.len() {
            let tail: Vec<char> = insert.chars().skip(word.chars().count()).collect();
            let n = tail.len();
            self.buf.splice(self.pos..self.pos, tail);
            self.pos += n;
        } else {
            // Nothing more to fill in: list what the word could become.
            let list = found.join("  ");
            let _ = self.out.write_all(format!("\r\n{list}\r\n").as_bytes());
        }
        self.redraw();
    }
}

/// Reads one line on the terminal with `prompt`, `history` (oldest first) under the arrows and
/// `completer` behind TAB. `None` at end of input (Ctrl-D on an empty line); an empty line
/// after Ctrl-C.
pub fn read_line(
    prompt: &str,
    history: &[String],
    completer: &mut dyn Completer,
) -> Result<Option<String>> {
    let _raw = RawMode::enter()?;
    let mut ed = Editor {
        prompt,
        buf: Vec::new(),
        pos: 0,
        out: std::io::stdout(),
    };
    // Index into history while browsing it; the line being typed is kept aside.
    let mut hist_at = history.len();
    let mut typed = String::new();
    ed.redraw();
    loop {
        let Some(b) = read_byte() else {
            let _ = ed.out.write_all(b"\r\n");
            return Ok(None);
        };
        match b {
            b'\r' | b'\n' => {
                let _ = ed.out.write_all(b"\r\n");
                let _ = ed.out.flush();
                return Ok(Some(ed.buf.iter().collect()));
            }
            0x03 => {
                let _ = ed.out.write_all(b"^C\r\n");
                let _ = ed.out.flush();
                return Ok(Some(String::new()));
            }
            0x04 => {
                if ed.buf.is_empty() {
                    let _ = ed.out.write_all(b"\r\n");
                    let _ = ed.out.flush();
                    return Ok(None);
                }
                if ed.pos < ed.buf.len() {
                    ed.buf.remove(ed.pos);
                }
            }
            0x7f | 0x08 => {
                if ed.pos > 0 {
                    ed.pos -= 1;
                    ed.buf.remove(ed.pos);
                }
            }
            b'\t' => {
                ed.complete(completer);
                continue;
            }
            0x01 => ed.pos = 0,
            0x05 => ed.pos = ed.buf.len(),
            0x0b => ed.buf.truncate(ed.pos),
            0x15 => {
                ed.buf.drain(..ed.pos);
                ed.pos = 0;
            }
            0x17 => {
                let mut i = ed.pos;
                while i > 0 && ed.buf[i - 1].is_whitespace() {
                    i -= 1;
                }
                while i > 0 && !ed.buf[i - 1].is_whitespace() {
                    i -= 1;
                }
                ed.buf.drain(i..ed.pos);
                ed.pos = i;
            }
            0x1b => {
                let Some(kind) = read_byte() else { continue };
                if kind != b'[' && kind != b'O' {
                    continue;
                }
                let mut code = Vec::new();
                let key = loop {
                    match read_byte() {
                        Some(c @ b'0'..=b'9') | Some(c @ b';') => code.push(c),
                        Some(c) => break c,
                        None => break 0,
                    }
                };
                match key {
                    b'A' if hist_at > 0 => {
                        if hist_at == history.len() {
                            typed = ed.buf.iter().collect();
                        }
                        hist_at -= 1;
                        ed.set(&history[hist_at]);
                    }
                    b'B' if hist_at < history.len() => {
                        hist_at += 1;
                        let text = history.get(hist_at).cloned().unwrap_or(typed.clone());
                        ed.set(&text);
                    }
                    b'C' if ed.pos < ed.buf.len() => ed.pos += 1,
                    b'D' if ed.pos > 0 => ed.pos -= 1,
                    b'H' => ed.pos = 0,
                    b'F' => ed.pos = ed.buf.len(),
                    b'~' if code == b"3" && ed.pos < ed.buf.len() => {
                        ed.buf.remove(ed.pos);
                    }
                    _ => {}
                }
            }
            c if c < 0x20 => {}
            c => {
                if let Some(ch) = read_char(c) {
                    ed.buf.insert(ed.pos, ch);
                    ed.pos += 1;
                }
            }
        }
        ed.redraw();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            super::common_prefix(&v(&["apps:list", "apps:lock"])),
            "apps:l"
        );
        assert_eq!(super::common_prefix(&v(&["abc"])), "abc");
        assert_eq!(super::common_prefix(&v(&["é1", "é2"])), "é");
        assert_eq!(super::common_prefix(&v(&["x", "y"])), "");
    }
}
