//! A small base64 decoder for `bazel help flags-as-proto` output.

use std::fmt;

/// Why a text is not base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// A byte outside the alphabet, at this byte offset of the input.
    InvalidByte(usize),
    /// `=` padding somewhere other than the end, or too much of it.
    BadPadding,
    /// A final group of a single character, which encodes no whole byte.
    BadLength,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base64Error::InvalidByte(at) => write!(f, "invalid base64 byte at offset {at}"),
            Base64Error::BadPadding => write!(f, "misplaced base64 padding"),
            Base64Error::BadLength => write!(f, "truncated base64 input"),
        }
    }
}

impl std::error::Error for Base64Error {}

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes standard or URL-safe base64. ASCII whitespace (line breaks) is
/// ignored anywhere; `=` padding is optional but allowed only at the end.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut count = 0usize;
    let mut padding = 0usize;
    for (at, b) in text.bytes().enumerate() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if b == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return Err(Base64Error::BadPadding);
        }
        let value = sextet(b).ok_or(Base64Error::InvalidByte(at))?;
        acc = (acc << 6) | u32::from(value);
        count += 1;
        if count % 4 == 0 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
        }
    }
    match count % 4 {
        0 if padding == 0 => {}
        1 => return Err(Base64Error::BadLength),
        2 if padding == 0 || padding == 2 => out.push((acc >> 4) as u8),
        3 if padding <= 1 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err(Base64Error::BadPadding),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::test_util::base64_encode;

    #[test]
    fn known_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(
                decode(encoded).as_deref(),
                Ok(plain.as_bytes()),
                "{encoded}"
            );
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            // Unpadded and line-wrapped forms decode too.
            assert_eq!(
                decode(encoded.trim_end_matches('=')).as_deref(),
                Ok(plain.as_bytes())
            );
        }
        assert_eq!(decode("Zm9v\nYmFy\r\n").as_deref(), Ok(&b"foobar"[..]));
        assert_eq!(decode("-_-_").as_deref(), decode("+/+/").as_deref());
    }

    #[test]
    fn round_trips_all_bytes() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for end in 0..bytes.len() {
            let encoded = base64_encode(&bytes[..end]);
            assert_eq!(decode(&encoded).as_deref(), Ok(&bytes[..end]));
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode("Zm9v!"), Err(Base64Error::InvalidByte(4)));
        assert_eq!(decode("Zg==Zg=="), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zm9=v"), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zm9vY"), Err(Base64Error::BadLength));
        assert_eq!(decode("Zm9v="), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zg==="), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zm8=="), Err(Base64Error::BadPadding));
        assert_eq!(decode("héllo"), Err(Base64Error::InvalidByte(1)));
    }
}
