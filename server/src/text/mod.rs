//! Text and positions.
//!
//! Document text lives in a [`ropey::Rope`]. Everything inside bzls speaks in
//! **byte offsets** ([`TextRange`]); only the edges (the LSP layer and the CLI)
//! convert to line/column pairs, in the encoding the peer asked for.
//!
//! Invariants:
//! - Lines end at `\n`, `\r\n` or a lone `\r`, exactly as LSP defines them
//!   (ropey is built with `cr_lines` and without `unicode_lines`).
//! - A [`LineCol`] produced here always lies on a character boundary.
//! - Conversions never panic: out-of-range input is clamped the way VS Code
//!   clamps it, and the clamping is reported so callers can log it.

mod change;
mod diff;

pub use change::{apply_change, AppliedEdit, TextChange, TextPoint};
pub use diff::{apply_replacements, replacements, Replacement};

use ropey::Rope;

/// A half-open byte range `start..end` into a document's text.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end, "inverted range {start}..{end}");
        TextRange { start, end }
    }

    pub fn empty(at: usize) -> TextRange {
        TextRange { start: at, end: at }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// True when the two ranges share a byte, or when either is empty and
    /// touches the other.
    pub fn touches(self, other: TextRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// The range moved by `delta` bytes (saturating at 0).
    pub fn shifted(self, delta: isize) -> TextRange {
        TextRange::new(
            self.start.saturating_add_signed(delta),
            self.end.saturating_add_signed(delta),
        )
    }

    pub fn contains_offset(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }
}

/// How the column of a [`LineCol`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    /// Columns count UTF-8 bytes.
    Utf8,
    /// Columns count UTF-16 code units (the LSP default).
    #[default]
    Utf16,
}

/// A zero-based line and a zero-based column counted in some [`PositionEncoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl LineCol {
    pub fn new(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }
}

/// The result of resolving a position against a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedOffset {
    /// A byte offset on a character boundary, `<= rope.len_bytes()`.
    pub offset: usize,
    /// Why the position had to be moved, if it did.
    pub clamped: Option<Clamp>,
}

/// Why a client position did not name a valid place in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clamp {
    /// The line is past the last line: the end of the text is used.
    LinePastEnd,
    /// The column is past the end of the line: the end of the line is used.
    ColumnPastEnd,
    /// The column falls inside a character (a surrogate pair in UTF-16, a
    /// multi-byte sequence in UTF-8): the start of that character is used.
    InsideCharacter,
}

/// Number of bytes of the line terminator at the end of `line` (0, 1 or 2).
fn terminator_len(rope: &Rope, line: usize) -> usize {
    let start = rope.line_to_byte(line);
    let end = if line + 1 < rope.len_lines() {
        rope.line_to_byte(line + 1)
    } else {
        rope.len_bytes()
    };
    if end == start {
        return 0;
    }
    match rope.byte(end - 1) {
        b'\n' if end - start >= 2 && rope.byte(end - 2) == b'\r' => 2,
        b'\n' | b'\r' => 1,
        _ => 0,
    }
}

/// The byte range of `line`'s content, without its terminator.
pub fn line_content_range(rope: &Rope, line: usize) -> TextRange {
    let start = rope.line_to_byte(line);
    let next = if line + 1 < rope.len_lines() {
        rope.line_to_byte(line + 1)
    } else {
        rope.len_bytes()
    };
    TextRange::new(start, next - terminator_len(rope, line))
}

/// The rest of the line from byte `start` (clamped to the text), without
/// trailing whitespace: where a warning about a whole statement goes.
pub fn rest_of_line(rope: &Rope, start: usize) -> TextRange {
    let start = start.min(rope.len_bytes());
    let line = rope.byte_to_line(start);
    let line_end = rope
        .try_line_to_byte(line + 1)
        .unwrap_or(rope.len_bytes())
        .max(start);
    let end = start
        + rope
            .byte_slice(start..line_end)
            .to_string()
            .trim_end()
            .len();
    TextRange::new(start, end)
}

/// Resolves a client position to a byte offset, clamping like VS Code does:
/// a line past the end means the end of the text, a column past the end of
/// its line means the end of that line, and a column inside a character
/// means the start of that character.
pub fn offset_of(rope: &Rope, pos: LineCol, encoding: PositionEncoding) -> ResolvedOffset {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return ResolvedOffset {
            offset: rope.len_bytes(),
            clamped: Some(Clamp::LinePastEnd),
        };
    }
    let content = line_content_range(rope, line);
    let col = pos.col as usize;
    match encoding {
        PositionEncoding::Utf8 => {
            if col > content.len() {
                return ResolvedOffset {
                    offset: content.end,
                    clamped: Some(Clamp::ColumnPastEnd),
                };
            }
            let wanted = content.start + col;
            let char_idx = rope.byte_to_char(wanted);
            let offset = rope.char_to_byte(char_idx);
            ResolvedOffset {
                offset,
                clamped: (offset != wanted).then_some(Clamp::InsideCharacter),
            }
        }
        PositionEncoding::Utf16 => {
            let line_start_cu = rope.char_to_utf16_cu(rope.byte_to_char(content.start));
            let line_end_cu = rope.char_to_utf16_cu(rope.byte_to_char(content.end));
            if line_start_cu + col > line_end_cu {
                return ResolvedOffset {
                    offset: content.end,
                    clamped: Some(Clamp::ColumnPastEnd),
                };
            }
            let wanted_cu = line_start_cu + col;
            let char_idx = rope.utf16_cu_to_char(wanted_cu);
            let offset = rope.char_to_byte(char_idx);
            let landed_cu = rope.char_to_utf16_cu(char_idx);
            ResolvedOffset {
                offset,
                clamped: (landed_cu != wanted_cu).then_some(Clamp::InsideCharacter),
            }
        }
    }
}

/// Converts a byte offset to a line/column in `encoding`. An offset past the
/// end is treated as the end; an offset inside a character as that
/// character's start.
pub fn line_col_of(rope: &Rope, offset: usize, encoding: PositionEncoding) -> LineCol {
    let offset = offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(offset);
    let line = rope.char_to_line(char_idx);
    let line_start_char = rope.line_to_char(line);
    let col = match encoding {
        PositionEncoding::Utf8 => rope.char_to_byte(char_idx) - rope.line_to_byte(line),
        PositionEncoding::Utf16 => {
            rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(line_start_char)
        }
    };
    LineCol::new(saturating_u32(line), saturating_u32(col))
}

/// Line starts of one text, for converting many offsets at once: a lookup
/// is a binary search, plus a character count only on lines that are not
/// ASCII. Agrees with [`line_col_of`] everywhere (same clamping, same line
/// ends).
///
/// Invariant: built from `rope` and used only with that same text.
pub struct LineIndex<'r> {
    rope: &'r Rope,
    /// The byte offset where each line starts, ascending; the first is 0.
    starts: Vec<usize>,
    /// Whether each line is ASCII (bytes and UTF-16 units are columns).
    ascii: Vec<bool>,
}

impl<'r> LineIndex<'r> {
    pub fn new(rope: &'r Rope) -> LineIndex<'r> {
        let mut starts = Vec::with_capacity(rope.len_lines());
        let mut ascii = Vec::with_capacity(rope.len_lines());
        let mut at = 0;
        for line in rope.lines() {
            starts.push(at);
            ascii.push(line.len_bytes() == line.len_chars());
            at += line.len_bytes();
        }
        if starts.is_empty() {
            starts.push(0);
            ascii.push(true);
        }
        LineIndex {
            rope,
            starts,
            ascii,
        }
    }

    /// [`line_col_of`] for this index's text.
    pub fn line_col(&self, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.rope.len_bytes());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        if !self.ascii.get(line).copied().unwrap_or(false) {
            return line_col_of(self.rope, offset, encoding);
        }
        let start = self.starts.get(line).copied().unwrap_or(0);
        LineCol::new(saturating_u32(line), saturating_u32(offset - start))
    }
}

/// Converts a byte offset to a 1-based line and a 1-based column counted in
/// Unicode scalar values, the way compilers print locations.
pub fn human_line_col(rope: &Rope, offset: usize) -> (usize, usize) {
    let offset = offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(offset);
    let line = rope.char_to_line(char_idx);
    (line + 1, char_idx - rope.line_to_char(line) + 1)
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
