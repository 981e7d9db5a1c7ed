use ropey::Rope;

use super::*;
use crate::fixture::cursor;

/// Resolves the `$0` of `fixture` both ways in `encoding`, expecting `col`.
fn check_roundtrip(fixture: &str, encoding: PositionEncoding, line: u32, col: u32) {
    let (text, offset) = cursor(fixture);
    let rope = Rope::from_str(&text);
    assert_eq!(
        line_col_of(&rope, offset, encoding),
        LineCol::new(line, col),
        "{fixture:?}"
    );
    let back = offset_of(&rope, LineCol::new(line, col), encoding);
    assert_eq!(
        back,
        ResolvedOffset {
            offset,
            clamped: None
        },
        "{fixture:?}"
    );
}

#[test]
fn ascii_positions_agree_in_both_encodings() {
    for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
        check_roundtrip("cc_library(\n    name = $0\"x\",\n)", enc, 1, 11);
        check_roundtrip("$0", enc, 0, 0);
        check_roundtrip("a\n$0", enc, 1, 0);
    }
}

#[test]
fn cjk_counts_one_utf16_unit_and_three_bytes() {
    let fixture = "# 构建目标\nname = \"库$0\"";
    check_roundtrip(fixture, PositionEncoding::Utf16, 1, 9);
    check_roundtrip(fixture, PositionEncoding::Utf8, 1, 11);
}

#[test]
fn emoji_counts_two_utf16_units_and_four_bytes() {
    let fixture = "x = \"🎉$0🎉\"";
    check_roundtrip(fixture, PositionEncoding::Utf16, 0, 7);
    check_roundtrip(fixture, PositionEncoding::Utf8, 0, 9);
}

#[test]
fn combining_marks_are_separate_code_points() {
    // "é" written as e + U+0301 COMBINING ACUTE ACCENT.
    let fixture = "# cafe\u{301}$0 ok";
    check_roundtrip(fixture, PositionEncoding::Utf16, 0, 7);
    check_roundtrip(fixture, PositionEncoding::Utf8, 0, 8);
}

#[test]
fn crlf_and_lone_cr_end_lines() {
    for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
        check_roundtrip("a\r\n$0b", enc, 1, 0);
        check_roundtrip("a\rb\r$0c", enc, 2, 0);
    }
    // A column past the end of a CRLF line stops before the CR.
    let rope = Rope::from_str("ab\r\ncd");
    let r = offset_of(&rope, LineCol::new(0, 10), PositionEncoding::Utf16);
    assert_eq!(
        r,
        ResolvedOffset {
            offset: 2,
            clamped: Some(Clamp::ColumnPastEnd)
        }
    );
}

#[test]
fn positions_are_clamped_like_vscode() {
    let rope = Rope::from_str("ab\n🎉c\n");
    let utf16 = PositionEncoding::Utf16;
    // Line past the end: the end of the text.
    assert_eq!(
        offset_of(&rope, LineCol::new(99, 0), utf16),
        ResolvedOffset {
            offset: rope.len_bytes(),
            clamped: Some(Clamp::LinePastEnd)
        }
    );
    // Column past the end of the line: the end of the line.
    assert_eq!(
        offset_of(&rope, LineCol::new(0, 99), utf16),
        ResolvedOffset {
            offset: 2,
            clamped: Some(Clamp::ColumnPastEnd)
        }
    );
    // Inside the surrogate pair: before it.
    assert_eq!(
        offset_of(&rope, LineCol::new(1, 1), utf16),
        ResolvedOffset {
            offset: 3,
            clamped: Some(Clamp::InsideCharacter)
        }
    );
    // Inside a UTF-8 sequence: before it.
    assert_eq!(
        offset_of(&rope, LineCol::new(1, 2), PositionEncoding::Utf8),
        ResolvedOffset {
            offset: 3,
            clamped: Some(Clamp::InsideCharacter)
        }
    );
    // Offsets past the end convert to the end.
    assert_eq!(line_col_of(&rope, 1000, utf16), LineCol::new(2, 0));
}

#[test]
fn changes_apply_with_clamping_and_swapping() {
    let mut rope = Rope::from_str("hello 🎉 world");
    let edit = apply_change(
        &mut rope,
        &TextChange {
            range: Some((LineCol::new(0, 8), LineCol::new(0, 6))),
            text: "big".to_owned(),
        },
        PositionEncoding::Utf16,
    );
    assert!(edit.inverted);
    assert_eq!(rope.to_string(), "hello big world");
    assert_eq!((edit.start, edit.old_end, edit.new_end), (6, 10, 9));

    // A range inside the surrogate pair is moved before the emoji.
    let mut rope = Rope::from_str("a🎉b");
    let edit = apply_change(
        &mut rope,
        &TextChange {
            range: Some((LineCol::new(0, 2), LineCol::new(0, 2))),
            text: "x".to_owned(),
        },
        PositionEncoding::Utf16,
    );
    assert_eq!(rope.to_string(), "ax🎉b");
    assert_eq!(
        edit.clamped,
        vec![Clamp::InsideCharacter, Clamp::InsideCharacter]
    );

    // A full-text change replaces everything.
    let edit = apply_change(
        &mut rope,
        &TextChange {
            range: None,
            text: "new".to_owned(),
        },
        PositionEncoding::Utf8,
    );
    assert_eq!(rope.to_string(), "new");
    assert_eq!((edit.start, edit.new_end), (0, 3));
}

#[test]
fn human_columns_count_characters() {
    let (text, offset) = cursor("x = \"🎉\"\ny = \"库\" + $0z");
    let rope = Rope::from_str(&text);
    assert_eq!(human_line_col(&rope, offset), (2, 11));
}

#[test]
fn line_index_agrees_with_line_col_of_everywhere() {
    let text = "ascii line\r\nµ wide 漢字 and 😀\rlone cr\n\nlast, no newline é";
    let rope = Rope::from_str(text);
    let index = LineIndex::new(&rope);
    for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
        for offset in 0..text.len() + 5 {
            assert_eq!(
                index.line_col(offset, encoding),
                line_col_of(&rope, offset, encoding),
                "offset {offset}, {encoding:?}"
            );
        }
    }
    let empty = Rope::from_str("");
    assert_eq!(
        LineIndex::new(&empty).line_col(3, PositionEncoding::Utf16),
        line_col_of(&empty, 3, PositionEncoding::Utf16)
    );
}
