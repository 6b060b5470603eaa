//! `SSH_ORIGINAL_COMMAND`, parsed into arguments without a shell: words split on blanks,
//! single quotes literal, double quotes with `\"`, `\\`, `\$` and `` \` `` escapes, a backslash
//! outside quotes escaping the next character. Shell operators outside quotes (`;`, `&`, `|`,
//! `<`, `>`, `` ` ``, `$(`, a newline) are refused rather than run or passed on.

use anyhow::{bail, Result};

/// Splits an ssh command line into words; refuses anything a shell would treat as a second
/// command, a redirection or a substitution.
pub fn parse(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => bail!("unterminated single quote in the ssh command"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => cur.push(e),
                            Some(other) => {
                                cur.push('\\');
                                cur.push(other);
                            }
                            None => bail!("unterminated double quote in the ssh command"),
                        },
                        Some(ch @ ('`' | '$')) if ch == '`' || chars.peek() == Some(&'(') => {
                            bail!("refusing a substitution in the ssh command");
                        }
                        Some(ch) => cur.push(ch),
                        None => bail!("unterminated double quote in the ssh command"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => cur.push(e),
                    None => bail!("trailing backslash in the ssh command"),
                }
            }
            ';' | '&' | '|' | '<' | '>' | '`' | '\n' | '\r' => {
                bail!("refusing shell operator {c:?} in the ssh command; run one dokku command at a time")
            }
            '$' if chars.peek() == Some(&'(') => {
                bail!("refusing a substitution in the ssh command")
            }
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        parse(s).unwrap()
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(p("git-receive-pack 'myapp'"), ["git-receive-pack", "myapp"]);
        assert_eq!(
            p("git-upload-pack '/my app.git'"),
            ["git-upload-pack", "/my app.git"]
        );
        assert_eq!(p("  apps:list  "), ["apps:list"]);
        assert_eq!(
            p("config:set a 'K=a;b' \"Q=it's \\\"x\\\"\""),
            ["config:set", "a", "K=a;b", "Q=it's \"x\""]
        );
        assert_eq!(
            p("config:set a K=a\\ b ''"),
            ["config:set", "a", "K=a b", ""]
        );
        assert_eq!(p("run a 'echo $HOME'"), ["run", "a", "echo $HOME"]);
        assert!(p("").is_empty());
    }

    #[test]
    fn operators_refused() {
        for bad in [
            "apps:list; touch /tmp/x",
            "apps:list && x",
            "apps:list | x",
            "apps:list > /tmp/x",
            "apps:list `x`",
            "apps:list $(x)",
            "apps:list \"$(x)\"",
            "apps:list\ntouch /tmp/x",
            "apps:list 'unterminated",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
