//! Protobuf wire-format decoding of `bazel help flags-as-proto` output.
//!
//! The output is a `bazel_flags.FlagCollection`: field 1 is a repeated
//! `FlagInfo` message. The `FlagInfo` fields below were checked against the
//! bytes of the embedded 2.1.0 and 7.1.0 dumps (every field of both dumps is
//! listed; neither has anything above 10):
//!
//! | no. | field                    | wire type | 2.1.0 | 7.1.0 |
//! |-----|--------------------------|-----------|-------|-------|
//! | 1   | `name`                   | len       | yes   | yes   |
//! | 2   | `has_negative_flag`      | varint    | yes   | yes   |
//! | 3   | `documentation`          | len       | yes   | yes   |
//! | 4   | `commands` (repeated)    | len       | yes   | yes   |
//! | 5   | `abbreviation`           | len       | yes   | yes   |
//! | 6   | `allows_multiple`        | varint    | yes   | yes   |
//! | 7   | `effect_tags` (repeated) | len       | no    | yes   |
//! | 8   | `metadata_tags` (rep.)   | len       | no    | yes   |
//! | 9   | `documentation_category` | len       | no    | yes   |
//! | 10  | `requires_value`         | varint    | no    | yes   |
//!
//! Newer Bazel (8.4, Bazel pull request 25169) appends `old_name` (11) and
//! `deprecation_warning` (12), which are decoded too, plus converter and enum
//! information whose field numbers are not verified against a real dump and
//! are therefore skipped like any other unknown field.
//!
//! Decoding is strict about structure (truncation, bad varints, bad wire types,
//! a known field with the wrong wire type, a `FlagInfo` without a name are
//! errors) and lenient about text: strings that are not UTF-8 are decoded
//! lossily. It never panics, whatever the input.

use std::fmt;

use super::info::FlagInfo;

/// Deepest nesting of (deprecated) groups that [`Reader::skip`] follows.
const MAX_GROUP_DEPTH: usize = 64;

/// Largest legal protobuf field number.
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

/// Why some bytes are not a valid `FlagCollection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

/// The kinds of [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ends inside a key, a varint, a fixed-size value or a
    /// length-delimited value.
    UnexpectedEof,
    /// A varint longer than 10 bytes, or one that overflows 64 bits.
    VarintTooLong,
    /// Wire types 6 and 7 do not exist.
    InvalidWireType(u8),
    /// Field number 0 or above 2^29 - 1.
    InvalidFieldNumber(u64),
    /// An end-group marker without a matching start-group marker.
    UnmatchedEndGroup(u32),
    /// Groups nested more than 64 deep.
    NestingTooDeep,
    /// A known field encoded with a wire type its type cannot have.
    WrongWireType {
        field: u32,
        expected: WireType,
        found: WireType,
    },
    /// A `FlagInfo` without its required `name` (or with an empty one).
    MissingName,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DecodeErrorKind::UnexpectedEof => write!(f, "unexpected end of input")?,
            DecodeErrorKind::VarintTooLong => write!(f, "malformed varint")?,
            DecodeErrorKind::InvalidWireType(t) => write!(f, "invalid wire type {t}")?,
            DecodeErrorKind::InvalidFieldNumber(n) => write!(f, "invalid field number {n}")?,
            DecodeErrorKind::UnmatchedEndGroup(n) => write!(f, "unmatched end of group {n}")?,
            DecodeErrorKind::NestingTooDeep => write!(f, "groups nested too deeply")?,
            DecodeErrorKind::WrongWireType {
                field,
                expected,
                found,
            } => write!(
                f,
                "field {field} has wire type {found:?}, expected {expected:?}"
            )?,
            DecodeErrorKind::MissingName => write!(f, "flag without a name")?,
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// The six protobuf wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

impl WireType {
    fn from_bits(bits: u8) -> Option<WireType> {
        Some(match bits {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            _ => return None,
        })
    }
}

/// A cursor over one protobuf message.
///
/// Invariant: `pos <= buf.len()`; `base` is the offset of `buf[0]` in the
/// outermost input, so errors report absolute offsets.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    pub(crate) fn is_at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            offset: self.offset(),
            kind,
        }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.error(DecodeErrorKind::UnexpectedEof))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn read_varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            // The tenth byte may only contribute the 64th bit.
            if i == 9 && b > 1 {
                self.pos = start;
                return Err(self.error(DecodeErrorKind::VarintTooLong));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        self.pos = start;
        Err(self.error(DecodeErrorKind::VarintTooLong))
    }

    /// Reads a field key: its field number and wire type.
    pub(crate) fn read_key(&mut self) -> Result<(u32, WireType), DecodeError> {
        let start = self.pos;
        let key = self.read_varint()?;
        let number = key >> 3;
        let bits = (key & 7) as u8;
        let Some(wire_type) = WireType::from_bits(bits) else {
            self.pos = start;
            return Err(self.error(DecodeErrorKind::InvalidWireType(bits)));
        };
        if number == 0 || number > MAX_FIELD_NUMBER {
            self.pos = start;
            return Err(self.error(DecodeErrorKind::InvalidFieldNumber(number)));
        }
        // Checked against MAX_FIELD_NUMBER above, so this never truncates.
        Ok((number as u32, wire_type))
    }

    fn take(&mut self, len: usize) -> Result<Reader<'a>, DecodeError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| self.error(DecodeErrorKind::UnexpectedEof))?;
        let sub = Reader {
            buf: &self.buf[self.pos..end],
            pos: 0,
            base: self.base + self.pos,
        };
        self.pos = end;
        Ok(sub)
    }

    /// Reads the payload of a length-delimited field.
    pub(crate) fn read_len(&mut self) -> Result<Reader<'a>, DecodeError> {
        let len = self.read_varint()?;
        let len = usize::try_from(len).map_err(|_| self.error(DecodeErrorKind::UnexpectedEof))?;
        self.take(len)
    }

    /// The unread bytes.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Skips the value of a field whose key was just read.
    pub(crate) fn skip(&mut self, field: u32, wire_type: WireType) -> Result<(), DecodeError> {
        match wire_type {
            WireType::Varint => self.read_varint().map(drop),
            WireType::Fixed64 => self.take(8).map(drop),
            WireType::Fixed32 => self.take(4).map(drop),
            WireType::Len => self.read_len().map(drop),
            WireType::EndGroup => Err(self.error(DecodeErrorKind::UnmatchedEndGroup(field))),
            WireType::StartGroup => {
                // Iterative, so hostile nesting cannot overflow the stack.
                let mut open = vec![field];
                while let Some(&innermost) = open.last() {
                    let (number, wire_type) = self.read_key()?;
                    match wire_type {
                        WireType::StartGroup => {
                            if open.len() >= MAX_GROUP_DEPTH {
                                return Err(self.error(DecodeErrorKind::NestingTooDeep));
                            }
                            open.push(number);
                        }
                        WireType::EndGroup if number == innermost => {
                            open.pop();
                        }
                        WireType::EndGroup => {
                            return Err(self.error(DecodeErrorKind::UnmatchedEndGroup(number)));
                        }
                        other => self.skip(number, other)?,
                    }
                }
                Ok(())
            }
        }
    }
}

fn expect(
    reader: &Reader<'_>,
    field: u32,
    found: WireType,
    expected: WireType,
) -> Result<(), DecodeError> {
    if found == expected {
        Ok(())
    } else {
        Err(reader.error(DecodeErrorKind::WrongWireType {
            field,
            expected,
            found,
        }))
    }
}

fn read_string(reader: &mut Reader<'_>) -> Result<String, DecodeError> {
    let payload = reader.read_len()?;
    Ok(String::from_utf8_lossy(payload.rest()).into_owned())
}

fn read_bool(reader: &mut Reader<'_>) -> Result<bool, DecodeError> {
    Ok(reader.read_varint()? != 0)
}

/// Decodes a whole `FlagCollection`, in input order. Unknown fields, at either
/// level, are skipped.
pub fn decode_flag_collection(bytes: &[u8]) -> Result<Vec<FlagInfo>, DecodeError> {
    let mut reader = Reader::new(bytes);
    let mut flags = Vec::new();
    while !reader.is_at_end() {
        let (field, wire_type) = reader.read_key()?;
        if field == 1 {
            expect(&reader, field, wire_type, WireType::Len)?;
            let mut message = reader.read_len()?;
            flags.push(decode_flag_info(&mut message)?);
        } else {
            reader.skip(field, wire_type)?;
        }
    }
    Ok(flags)
}

/// Decodes one `FlagInfo` message. Repeated fields accumulate; for the others
/// the last occurrence wins, as protobuf specifies.
fn decode_flag_info(reader: &mut Reader<'_>) -> Result<FlagInfo, DecodeError> {
    use WireType::{Len, Varint};
    let start = reader.offset();
    let mut flag = FlagInfo::default();
    while !reader.is_at_end() {
        let (field, wire_type) = reader.read_key()?;
        let expected = match field {
            2 | 6 | 10 => Varint,
            1 | 3 | 4 | 5 | 7 | 8 | 9 | 11 | 12 => Len,
            _ => {
                reader.skip(field, wire_type)?;
                continue;
            }
        };
        expect(reader, field, wire_type, expected)?;
        match field {
            1 => flag.name = read_string(reader)?,
            2 => flag.has_negative_flag = read_bool(reader)?,
            3 => flag.documentation = read_string(reader)?,
            4 => flag.commands.push(read_string(reader)?),
            5 => {
                let abbreviation = read_string(reader)?;
                flag.abbreviation = (!abbreviation.is_empty()).then_some(abbreviation);
            }
            6 => flag.allows_multiple = read_bool(reader)?,
            7 => flag.effect_tags.push(read_string(reader)?),
            8 => flag.metadata_tags.push(read_string(reader)?),
            9 => flag.category = read_string(reader)?,
            10 => flag.requires_value = Some(read_bool(reader)?),
            11 => {
                let old_name = read_string(reader)?;
                if !old_name.is_empty() {
                    flag.old_names.push(old_name);
                }
            }
            12 => {
                let warning = read_string(reader)?;
                flag.deprecation_warning = (!warning.is_empty()).then_some(warning);
            }
            _ => reader.skip(field, wire_type)?,
        }
    }
    if flag.name.is_empty() {
        return Err(DecodeError {
            offset: start,
            kind: DecodeErrorKind::MissingName,
        });
    }
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::test_util::Writer;

    fn flag(name: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.string(1, name)
            .boolean(2, true)
            .string(3, "docs")
            .string(4, "build")
            .string(4, "test")
            .string(5, "k")
            .boolean(6, false)
            .string(7, "EAGERNESS_TO_EXIT")
            .string(8, "DEPRECATED")
            .string(9, "EXECUTION_STRATEGY")
            .boolean(10, false)
            .string(11, "old_keep_going")
            .string(12, "use --keep_going");
        w.0
    }

    #[test]
    fn varints() {
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut w = Writer::default();
            w.varint(v);
            let mut r = Reader::new(&w.0);
            assert_eq!(r.read_varint(), Ok(v));
            assert!(r.is_at_end());
        }
        // Eleven bytes, and ten bytes overflowing 64 bits.
        let mut r = Reader::new(&[0xff; 11]);
        assert_eq!(
            r.read_varint().map_err(|e| e.kind),
            Err(DecodeErrorKind::VarintTooLong)
        );
        let mut bytes = vec![0xff; 9];
        bytes.push(0x02);
        let mut r = Reader::new(&bytes);
        assert_eq!(
            r.read_varint().map_err(|e| e.kind),
            Err(DecodeErrorKind::VarintTooLong)
        );
        let mut r = Reader::new(&[0x80, 0x80]);
        assert_eq!(
            r.read_varint().map_err(|e| e.kind),
            Err(DecodeErrorKind::UnexpectedEof)
        );
    }

    #[test]
    fn decodes_every_known_field() {
        let mut w = Writer::default();
        w.bytes(1, &flag("keep_going"));
        let flags = decode_flag_collection(&w.0).expect("decodes");
        assert_eq!(flags.len(), 1);
        let f = &flags[0];
        assert_eq!(f.name, "keep_going");
        assert!(f.has_negative_flag);
        assert_eq!(f.documentation, "docs");
        assert_eq!(f.commands, ["build", "test"]);
        assert_eq!(f.abbreviation.as_deref(), Some("k"));
        assert!(!f.allows_multiple);
        assert_eq!(f.effect_tags, ["EAGERNESS_TO_EXIT"]);
        assert_eq!(f.metadata_tags, ["DEPRECATED"]);
        assert_eq!(f.category, "EXECUTION_STRATEGY");
        assert_eq!(f.requires_value, Some(false));
        assert_eq!(f.old_names, ["old_keep_going"]);
        assert_eq!(f.deprecation_warning.as_deref(), Some("use --keep_going"));
    }

    #[test]
    fn skips_unknown_fields_of_every_wire_type() {
        let mut inner = flag("jobs");
        // Unknown fields inside FlagInfo: varint, fixed64, len, group, fixed32.
        let mut w = Writer::default();
        w.key(50, 0).varint(12345);
        w.key(51, 1);
        w.0.extend_from_slice(&[1; 8]);
        w.string(52, "future");
        w.key(53, 3)
            .key(1, 0)
            .varint(7)
            .key(2, 3)
            .key(2, 4)
            .key(53, 4);
        w.key(54, 5);
        w.0.extend_from_slice(&[2; 4]);
        inner.extend_from_slice(&w.0);
        let mut outer = Writer::default();
        outer.key(7, 0).varint(1).bytes(1, &inner).string(9, "x");
        let flags = decode_flag_collection(&outer.0).expect("decodes");
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].name, "jobs");
    }

    #[test]
    fn last_scalar_wins_and_empty_optionals_are_none() {
        let mut inner = Writer::default();
        inner
            .string(1, "a")
            .string(1, "b")
            .boolean(2, true)
            .boolean(2, false)
            .string(5, "");
        let mut w = Writer::default();
        w.bytes(1, &inner.0);
        let flags = decode_flag_collection(&w.0).expect("decodes");
        assert_eq!(flags[0].name, "b");
        assert!(!flags[0].has_negative_flag);
        assert_eq!(flags[0].abbreviation, None);
        assert_eq!(flags[0].requires_value, None);
    }

    #[test]
    fn structural_errors() {
        let kind = |bytes: &[u8]| decode_flag_collection(bytes).map_err(|e| e.kind);
        assert_eq!(kind(&[]), Ok(vec![]));
        // Wire type 7.
        assert_eq!(kind(&[0x0f]), Err(DecodeErrorKind::InvalidWireType(7)));
        // Field 0.
        assert_eq!(
            kind(&[0x00, 0x00]),
            Err(DecodeErrorKind::InvalidFieldNumber(0))
        );
        // Length beyond the end.
        assert_eq!(
            kind(&[0x0a, 0x05, 0x0a]),
            Err(DecodeErrorKind::UnexpectedEof)
        );
        // Field 1 as a varint.
        assert!(matches!(
            kind(&[0x08, 0x01]),
            Err(DecodeErrorKind::WrongWireType { field: 1, .. })
        ));
        // A FlagInfo without a name.
        let mut inner = Writer::default();
        inner.string(3, "docs");
        let mut w = Writer::default();
        w.bytes(1, &inner.0);
        assert_eq!(kind(&w.0), Err(DecodeErrorKind::MissingName));
        // End group with no start.
        assert_eq!(kind(&[0x14]), Err(DecodeErrorKind::UnmatchedEndGroup(2)));
        // Start group never closed.
        assert_eq!(kind(&[0x13]), Err(DecodeErrorKind::UnexpectedEof));
        // Mismatched end group.
        assert_eq!(
            kind(&[0x13, 0x1c]),
            Err(DecodeErrorKind::UnmatchedEndGroup(3))
        );
        // Hostile nesting.
        let deep = vec![0x13; 10_000];
        assert_eq!(kind(&deep), Err(DecodeErrorKind::NestingTooDeep));
    }

    #[test]
    fn error_offsets_are_absolute() {
        let mut inner = Writer::default();
        inner.string(1, "x").key(3, 7);
        let mut w = Writer::default();
        w.bytes(1, &inner.0);
        let err = decode_flag_collection(&w.0).expect_err("bad wire type");
        // Outer key + length (2 bytes), then name field (3 bytes).
        assert_eq!(err.offset, 5);
        assert!(err.to_string().contains("at byte 5"));
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let mut inner = Writer::default();
        inner.bytes(1, b"bad\xffname");
        let mut w = Writer::default();
        w.bytes(1, &inner.0);
        let flags = decode_flag_collection(&w.0).expect("decodes");
        assert_eq!(flags[0].name, "bad\u{fffd}name");
    }

    /// Every prefix and many corruptions of a valid input either decode or
    /// fail cleanly; none panics.
    #[test]
    fn truncated_and_garbage_inputs_never_panic() {
        let mut w = Writer::default();
        for name in ["a", "keep_going", "compilation_mode"] {
            w.bytes(1, &flag(name));
        }
        let valid = w.0;
        for end in 0..valid.len() {
            let _ = decode_flag_collection(&valid[..end]);
        }
        // A small deterministic generator (xorshift) for corruptions.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5_000 {
            let mut bytes = valid.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() % bytes.len() as u64) as usize;
                bytes[i] = next() as u8;
            }
            let _ = decode_flag_collection(&bytes);
            let len = (next() % 64) as usize;
            let garbage: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = decode_flag_collection(&garbage);
        }
    }
}
