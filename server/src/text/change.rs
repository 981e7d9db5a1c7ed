//! Applying a client's text change to a rope.

use ropey::Rope;

use super::{offset_of, Clamp, LineCol, PositionEncoding};

/// One change as a client sends it: a range to replace, or the whole text
/// when `range` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextChange {
    pub range: Option<(LineCol, LineCol)>,
    pub text: String,
}

/// A row and a byte column, where rows are the rope's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TextPoint {
    pub row: usize,
    pub byte_col: usize,
}

/// What [`apply_change`] did, in byte offsets, so that a syntax tree can be
/// edited to match.
///
/// Invariant: `start <= old_end` (in the old text) and `start <= new_end`
/// (in the new text); the bytes before `start` did not change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedEdit {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
    pub start_point: TextPoint,
    pub old_end_point: TextPoint,
    pub new_end_point: TextPoint,
    /// Positions in the change that had to be clamped.
    pub clamped: Vec<Clamp>,
    /// The client sent a range whose end came before its start; it was swapped.
    pub inverted: bool,
}

fn point_of(rope: &Rope, offset: usize) -> TextPoint {
    let row = rope.byte_to_line(offset);
    TextPoint {
        row,
        byte_col: offset - rope.line_to_byte(row),
    }
}

/// Applies `change` to `rope` and reports the byte-level edit.
///
/// Positions are resolved with [`offset_of`]'s clamping, and an inverted
/// range is swapped, as VS Code does. This never panics.
pub fn apply_change(
    rope: &mut Rope,
    change: &TextChange,
    encoding: PositionEncoding,
) -> AppliedEdit {
    let mut clamped = Vec::new();
    let mut inverted = false;
    let (start, old_end) = match change.range {
        None => (0, rope.len_bytes()),
        Some((a, b)) => {
            let a = offset_of(rope, a, encoding);
            let b = offset_of(rope, b, encoding);
            clamped.extend(a.clamped);
            clamped.extend(b.clamped);
            if a.offset <= b.offset {
                (a.offset, b.offset)
            } else {
                inverted = true;
                (b.offset, a.offset)
            }
        }
    };
    let start_point = point_of(rope, start);
    let old_end_point = point_of(rope, old_end);
    let start_char = rope.byte_to_char(start);
    let old_end_char = rope.byte_to_char(old_end);
    if old_end_char > start_char {
        rope.remove(start_char..old_end_char);
    }
    if !change.text.is_empty() {
        rope.insert(start_char, &change.text);
    }
    let new_end = start + change.text.len();
    AppliedEdit {
        start,
        old_end,
        new_end,
        start_point,
        old_end_point,
        new_end_point: point_of(rope, new_end),
        clamped,
        inverted,
    }
}
