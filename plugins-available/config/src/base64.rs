//! Standard base64 (RFC 4648, `+/`, `=` padding) decoding for `config:set --encoded`.
//! Line breaks are ignored, as Go's decoder (which Dokku uses) ignores them.

use anyhow::{bail, Result};

/// The 6-bit value of a base64 character.
fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes padded standard base64; any other character, a bad length or misplaced padding is
/// an error naming the position.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let data: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if !data.len().is_multiple_of(4) {
        bail!(
            "length {} is not a multiple of 4 (is the padding missing?)",
            data.len()
        );
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let chunks = data.len() / 4;
    for (n, chunk) in data.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != chunks) {
            bail!("misplaced '=' padding at byte {}", n * 4 + 4 - pad);
        }
        let mut acc = 0u32;
        for (i, &c) in chunk[..4 - pad].iter().enumerate() {
            match sextet(c) {
                Some(v) => acc |= v << (18 - 6 * i),
                None => bail!("illegal character {:?} at byte {}", c as char, n * 4 + i),
            }
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes() {
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(decode("Zg==").unwrap(), b"f");
        assert_eq!(decode("Zm8=").unwrap(), b"fo");
        assert_eq!(decode("Zm9v").unwrap(), b"foo");
        assert_eq!(decode("Zm9v\nYmFy").unwrap(), b"foobar");
        assert_eq!(decode("4pyTIMOg").unwrap(), "✓ à".as_bytes());
        assert_eq!(decode("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        for bad in [
            "Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9*", "Zm 9v", "====", "!!!!",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
