//! The `docker-args-*` trigger contract: each implementer reads all of stdin (the arguments so
//! far), prints it unchanged, then appends its own arguments, each a word quoted so that the
//! caller's splitter ([`super::args_trigger`], no shell) gives it back as is.

use anyhow::{Context, Result};
use std::io::{IsTerminal, Read, Write};

/// Characters that never need quoting.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c)
}

/// Quotes one word: as is when it is made only of safe characters, otherwise single-quoted
/// (`'` written as `'\''`).
pub fn quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(is_safe) {
        word.to_string()
    } else {
        crate::envfile::shell_quote(word)
    }
}

/// Joins words into one line, each quoted with [`quote`].
pub fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// Reads all of stdin; nothing when stdin is a terminal (a trigger fired by hand).
pub fn read_stdin() -> Result<Vec<u8>> {
    if std::io::stdin().is_terminal() {
        return Ok(Vec::new());
    }
    let mut buf = Vec::new();
    match std::io::stdin().lock().read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        // A closed stdin reads as nothing.
        Err(e) if e.raw_os_error() == Some(libc::EBADF) => Ok(Vec::new()),
        Err(e) => Err(e).context("cannot read the docker args on stdin"),
    }
}

/// Prints `stdin` unchanged, then each word quoted, a space before each (no newline, as
/// Dokku's `echo -n "$STDIN$output"`).
pub fn emit(stdin: &[u8], words: &[String]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(stdin)?;
    for w in words {
        write!(out, " {}", quote(w))?;
    }
    out.flush().context("cannot write the docker args")
}

/// The whole trigger: read stdin, print it, append `words`.
pub fn echo_and_append(words: &[String]) -> Result<()> {
    let stdin = read_stdin()?;
    emit(&stdin, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips_through_the_splitter() {
        let words: Vec<String> = [
            "-v",
            "/a:/b:ro",
            "--label",
            "a b",
            "it's",
            "",
            "$(x);|&<>`",
            "--memory=512m",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let line = join(&words);
        assert_eq!(crate::sshcommand::parse(&line).unwrap(), words);
        assert_eq!(quote("--cpus=0.5"), "--cpus=0.5");
        assert_eq!(quote("a b"), "'a b'");
    }
}
