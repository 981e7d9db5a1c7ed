//! Semantic tokens in LSP's relative encoding, and their reuse across
//! versions of a document, statement by statement.
//!
//! A top-level statement's tokens depend only on its own text, its syntax
//! tree and the label strings inside it. So each version keeps, per
//! statement, its tokens placed relative to the statement's start
//! ([`StatementTokens`]); the next version walks only the statements an
//! edit changed and copies the others, wherever they moved. On a
//! 5,000-line BUILD file a keystroke then costs a walk of one statement
//! instead of every node of the tree.
//!
//! Invariants:
//! - [`encode_starlark`] returns exactly what [`encode`] of
//!   [`super::starlark_tokens`] returns for the same tree, text and
//!   mentions, whatever the previous version was (tested on random texts
//!   and edits).
//! - A statement is reused only when its kind, its text and the ranges of
//!   the label strings in it are equal, compared in full (the key only
//!   picks candidates). A statement with a syntax error is never reused:
//!   error recovery may depend on what surrounds it.

use std::sync::Arc;

use tree_sitter::{Tree, TreeCursor};

use super::{label_in, label_tokens, settle, walk, Token};
use crate::hash::FastMap;
use crate::text::{PositionEncoding, TextRange};

/// One token in LSP's encoding: its line and start relative to the token
/// before (the start only when on the same line), its length, its kind's
/// index in the legend and its modifier bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedToken {
    pub delta_line: u32,
    pub delta_start: u32,
    pub length: u32,
    pub kind: u32,
    pub modifiers: u32,
}

/// LSP's relative encoding of `tokens` (sorted, not overlapping), lengths
/// in the position encoding's units. One pass over the text. A token that
/// would span a line or be empty is left out.
pub fn encode(tokens: &[Token], text: &str, encoding: PositionEncoding) -> Vec<EncodedToken> {
    let mut scan = Scan::new(text, encoding);
    let mut out = Vec::with_capacity(tokens.len());
    let mut last = (0u32, 0u32);
    for token in tokens {
        let from = scan.advance(token.range.start);
        let to = scan.advance(token.range.end);
        if to.0 != from.0 || to.1 <= from.1 {
            continue;
        }
        push_relative(
            &mut out,
            &mut last,
            from,
            to.1 - from.1,
            token.kind.index(),
            token.modifiers,
        );
    }
    out
}

fn push_relative(
    out: &mut Vec<EncodedToken>,
    last: &mut (u32, u32),
    at: (u32, u32),
    length: u32,
    kind: u32,
    modifiers: u32,
) {
    let delta_line = at.0 - last.0;
    let delta_start = if delta_line == 0 { at.1 - last.1 } else { at.1 };
    out.push(EncodedToken {
        delta_line,
        delta_start,
        length,
        kind,
        modifiers,
    });
    *last = at;
}

/// A token placed relative to its statement's start: `line` lines below
/// it; `col` counted from the statement's start on its first line, from
/// the line's start below.
#[derive(Clone, Copy, Debug)]
struct Placed {
    line: u32,
    col: u32,
    length: u32,
    kind: u32,
    modifiers: u32,
}

/// One statement of a version, as the next version may reuse it.
struct Statement {
    /// Its range in [`StatementTokens::text`].
    range: TextRange,
    kind: u16,
    /// The label strings inside it, relative to its start.
    mentions: Box<[(u32, u32)]>,
    tokens: Arc<[Placed]>,
    /// Where it ends relative to its start: line breaks in it, and the
    /// column of its end (from its start when it has no line break).
    extent: (u32, u32),
}

/// The tokens of each top-level statement of one version of a document,
/// for the next version to reuse (see the module doc).
pub struct StatementTokens {
    encoding: PositionEncoding,
    /// Whether absolute labels were read from strings (files other than
    /// BUILD files) rather than from mentions.
    split_strings: bool,
    text: Arc<str>,
    statements: Vec<Statement>,
    /// [`candidate_key`] → indices into `statements`.
    by_key: FastMap<u64, Vec<u32>>,
    /// Tokens in all, to size the next version's output.
    count: usize,
}

/// At most this many statements are compared in full for one lookup (a
/// file of many statements alike in length and ends stays linear).
const MAX_CANDIDATES: usize = 4;

/// Picks candidates for reuse: kind, length, the first and last bytes and
/// the number of label strings. Equality is checked in full afterwards.
fn candidate_key(kind: u16, text: &[u8], mentions: usize) -> u64 {
    use std::hash::Hasher;
    let mut hasher = crate::hash::FnvHasher::default();
    hasher.write_u16(kind);
    hasher.write_usize(text.len());
    hasher.write_usize(mentions);
    let edge = 24.min(text.len());
    hasher.write(&text[..edge]);
    hasher.write(&text[text.len() - edge..]);
    hasher.finish()
}

impl StatementTokens {
    /// The statement of this version equal to one of the new version.
    fn find(&self, kind: u16, text: &str, mentions: &[(u32, u32)], key: u64) -> Option<&Statement> {
        let candidates = self.by_key.get(&key)?;
        candidates
            .iter()
            .take(MAX_CANDIDATES)
            .map(|&i| &self.statements[i as usize])
            .find(|s| {
                s.kind == kind
                    && *s.mentions == *mentions
                    && self.text.get(s.range.start..s.range.end) == Some(text)
            })
    }
}

/// The tokens of a Starlark file in LSP's encoding (see
/// [`super::starlark_tokens`] for `mentions`), reusing from `previous`
/// (the last version's result, if any) every statement that did not
/// change; also what the next version can reuse.
pub fn encode_starlark(
    tree: &Tree,
    text: Arc<str>,
    mentions: Option<&[(String, TextRange)]>,
    encoding: PositionEncoding,
    previous: Option<&StatementTokens>,
) -> (Vec<EncodedToken>, StatementTokens) {
    let split_strings = mentions.is_none();
    let previous = previous.filter(|p| p.encoding == encoding && p.split_strings == split_strings);
    let mut ranges: Vec<TextRange> = mentions
        .unwrap_or_default()
        .iter()
        .map(|(_, r)| *r)
        .collect();
    if !ranges.is_sorted_by_key(|r| r.start) {
        ranges.sort_by_key(|r| r.start);
    }
    let comment = super::kinds().comment;
    let mut out = Vec::with_capacity(previous.map_or(0, |p| p.count));
    let mut statements = Vec::new();
    let mut by_key: FastMap<u64, Vec<u32>> = FastMap::default();
    let mut scan = Scan::new(&text, encoding);
    let mut last = (0u32, 0u32);
    let mut next_mention = 0;
    let mut walker: Option<TreeCursor<'_>> = None;
    let root = tree.root_node();
    let mut children = root.walk();
    let mut more = children.goto_first_child();
    while more {
        let node = children.node();
        more = children.goto_next_sibling();
        if node.kind_id() == comment {
            continue;
        }
        let range = TextRange::new(
            node.start_byte().min(text.len()),
            node.end_byte().min(text.len()),
        );
        // The label strings starting in it (those before it belong to no
        // statement and make no token).
        while ranges
            .get(next_mention)
            .is_some_and(|r| r.start < range.start)
        {
            next_mention += 1;
        }
        let first_mention = next_mention;
        while ranges
            .get(next_mention)
            .is_some_and(|r| r.start < range.end)
        {
            next_mention += 1;
        }
        let own = &ranges[first_mention..next_mention];
        let relative: Box<[(u32, u32)]> = own
            .iter()
            .map(|r| {
                (
                    offset_u32(r.start - range.start),
                    offset_u32(r.end.saturating_sub(range.start)),
                )
            })
            .collect();
        let start = scan.advance(range.start);
        let Some(source) = text.get(range.start..range.end) else {
            continue;
        };
        // A statement ending in `\r` ends where a following `\n` would
        // make one line break of the two: its extent depends on the next
        // byte.
        let reusable = !node.has_error() && !source.ends_with('\r');
        let key = candidate_key(node.kind_id(), source.as_bytes(), own.len());
        let reused = previous
            .filter(|_| reusable)
            .and_then(|p| p.find(node.kind_id(), source, &relative, key));
        let (tokens, extent) = match reused {
            Some(statement) => {
                let (lines, col) = statement.extent;
                let end = if lines == 0 {
                    (start.0, start.1 + col)
                } else {
                    (start.0 + lines, col)
                };
                scan.jump(range.end, end);
                (statement.tokens.clone(), statement.extent)
            }
            None => {
                let cursor = match &mut walker {
                    Some(cursor) => {
                        cursor.reset(node);
                        cursor
                    }
                    None => walker.insert(node.walk()),
                };
                let placed = place(cursor, &text, range, own, split_strings, encoding);
                let end = scan.advance(range.end);
                let extent = if end.0 == start.0 {
                    (0, end.1 - start.1)
                } else {
                    (end.0 - start.0, end.1)
                };
                (placed, extent)
            }
        };
        for t in tokens.iter() {
            let at = if t.line == 0 {
                (start.0, start.1 + t.col)
            } else {
                (start.0 + t.line, t.col)
            };
            push_relative(&mut out, &mut last, at, t.length, t.kind, t.modifiers);
        }
        if reusable {
            by_key.entry(key).or_default().push(statements.len() as u32);
            statements.push(Statement {
                range,
                kind: node.kind_id(),
                mentions: relative,
                tokens,
                extent,
            });
        }
    }
    let count = out.len();
    let memo = StatementTokens {
        encoding,
        split_strings,
        text,
        statements,
        by_key,
        count,
    };
    (out, memo)
}

/// The tokens of one statement (the node under `cursor`, at `range`),
/// placed relative to its start.
fn place(
    cursor: &mut TreeCursor<'_>,
    text: &str,
    range: TextRange,
    mentions: &[TextRange],
    split_strings: bool,
    encoding: PositionEncoding,
) -> Arc<[Placed]> {
    let mut tokens = Vec::new();
    walk(cursor, text, split_strings, &mut tokens);
    for mention in mentions {
        if let Some(inner) = label_in(text, *mention) {
            label_tokens(&text[inner.start..inner.end], inner.start, &mut tokens);
        }
    }
    let tokens = settle(tokens, text);
    let mut scan = Scan::new(text, encoding);
    scan.jump(range.start, (0, 0));
    let mut placed = Vec::with_capacity(tokens.len());
    for token in &tokens {
        let from = scan.advance(token.range.start);
        let to = scan.advance(token.range.end);
        if to.0 != from.0 || to.1 <= from.1 {
            continue;
        }
        placed.push(Placed {
            line: from.0,
            col: from.1,
            length: to.1 - from.1,
            kind: token.kind.index(),
            modifiers: token.modifiers,
        });
    }
    placed.into()
}

fn offset_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A forward-only position in a text: line and column (in the encoding's
/// units), with the line breaks ropey counts (`\n`, `\r\n`, `\r`).
pub(super) struct Scan<'t> {
    text: &'t str,
    encoding: PositionEncoding,
    byte: usize,
    line: u32,
    col: u32,
}

impl<'t> Scan<'t> {
    pub(super) fn new(text: &'t str, encoding: PositionEncoding) -> Scan<'t> {
        Scan {
            text,
            encoding,
            byte: 0,
            line: 0,
            col: 0,
        }
    }

    /// Takes `at` as the line and column of byte `to`, without reading
    /// the text up to it (the caller knows them).
    fn jump(&mut self, to: usize, at: (u32, u32)) {
        self.byte = to.min(self.text.len());
        (self.line, self.col) = at;
    }

    /// Moves to byte `to` (not backwards; clamped to the text, and to a
    /// character boundary); the line and column there.
    pub(super) fn advance(&mut self, to: usize) -> (u32, u32) {
        let bytes = self.text.as_bytes();
        let to = to.min(bytes.len());
        while self.byte < to {
            let b = bytes[self.byte];
            match b {
                b'\n' => {
                    self.line += 1;
                    self.col = 0;
                    self.byte += 1;
                }
                b'\r' if bytes.get(self.byte + 1) == Some(&b'\n') => {
                    self.col += 1;
                    self.byte += 1;
                }
                b'\r' => {
                    self.line += 1;
                    self.col = 0;
                    self.byte += 1;
                }
                0..=0x7f => {
                    self.col += 1;
                    self.byte += 1;
                }
                _ => {
                    let c = self.text[self.byte..].chars().next().unwrap_or('\0');
                    self.col += match self.encoding {
                        PositionEncoding::Utf8 => c.len_utf8() as u32,
                        PositionEncoding::Utf16 => c.len_utf16() as u32,
                    };
                    self.byte += c.len_utf8().max(1);
                }
            }
        }
        (self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ropey::Rope;

    #[test]
    fn the_scan_agrees_with_the_line_index() {
        let text = "a\r\nbé🎉c\rd\n\n  x🎉y\r\n";
        let rope = Rope::from_str(text);
        let index = crate::text::LineIndex::new(&rope);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            let mut scan = Scan::new(text, encoding);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let at = index.line_col(offset, encoding);
                assert_eq!(
                    scan.advance(offset),
                    (at.line, at.col),
                    "{offset} {encoding:?}"
                );
            }
        }
    }

    /// A small deterministic generator (no dependency for tests).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % below.max(1)
        }
    }

    fn fresh(text: &str, build: bool, encoding: PositionEncoding) -> Vec<EncodedToken> {
        let tree = crate::syntax::parse_str(text);
        let summary = crate::workspace::summary::summarize("pkg", &tree, &Rope::from_str(text));
        let mentions = build.then_some(summary.mentions.as_slice());
        encode(
            &super::super::starlark_tokens(&tree, text, mentions),
            text,
            encoding,
        )
    }

    /// Every version of a random editing session, encoded with the last
    /// version's statements, equals a fresh encoding of the same text.
    #[test]
    fn reuse_gives_what_a_fresh_encoding_gives() {
        let seeds = [
            "load(\"@rules_cc//cc:defs.bzl\", \"cc_library\", my = \"x\")\n\ncc_library(\n    name = \"lib\",\n    deps = [\":a\", \"//pkg/sub:b\", \"@r//p\"],\n)\n# note\nmy(name = \"m\", cmd = \"$(location :lib)\")\n",
            "def f(x):\n    return native.glob([\"//a:b\"])\n\nX = \"@repo//p:t\"\nf(1)\n",
            "a(name = \"é🎉\", srcs = [\"é.c\"])\r\nb(name = \"x\",\r deps = [\":é🎉\"])\r\n",
            "x = [\n  \"//a\",\n  \"//b:c\",\n]\nx(name = \"n\")\nx(name = \"n\")\nx(name = \"n\")\n",
        ];
        let alphabet = [
            "\"",
            "(",
            ")",
            "\n",
            " ",
            "x",
            ":",
            "//",
            "name = \"",
            "é",
            "\r\n",
            "[",
            "]",
            ",",
            "#",
            "=",
        ];
        let mut rng = Lcg(7);
        for seed in seeds {
            for build in [true, false] {
                for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
                    let mut text = seed.to_owned();
                    let mut memo: Option<StatementTokens> = None;
                    for step in 0..60 {
                        let tree = crate::syntax::parse_str(&text);
                        let summary = crate::workspace::summary::summarize(
                            "pkg",
                            &tree,
                            &Rope::from_str(&text),
                        );
                        let mentions = build.then_some(summary.mentions.as_slice());
                        let (tokens, next) = encode_starlark(
                            &tree,
                            Arc::from(text.as_str()),
                            mentions,
                            encoding,
                            memo.as_ref(),
                        );
                        assert_eq!(
                            tokens,
                            fresh(&text, build, encoding),
                            "step {step}, {encoding:?}, build {build}: {text:?}"
                        );
                        memo = Some(next);
                        // An edit: a deletion or an insertion, at a
                        // character boundary.
                        let bounds: Vec<usize> = text
                            .char_indices()
                            .map(|(i, _)| i)
                            .chain([text.len()])
                            .collect();
                        let at = bounds[rng.next(bounds.len())];
                        if rng.next(3) == 0 && at < text.len() {
                            let end = bounds
                                .iter()
                                .copied()
                                .find(|&b| b > at)
                                .unwrap_or(text.len());
                            text.replace_range(at..end, "");
                        } else {
                            text.insert_str(at, alphabet[rng.next(alphabet.len())]);
                        }
                    }
                }
            }
        }
    }

    /// An edit in one statement leaves the others' tokens to be copied:
    /// the memo of the next version shares them.
    #[test]
    fn unchanged_statements_are_shared() {
        let text = "a(name = \"x\")\nb(name = \"y\", deps = [\"//p:q\"])\n";
        let tree = crate::syntax::parse_str(text);
        let (_, first) =
            encode_starlark(&tree, Arc::from(text), None, PositionEncoding::Utf16, None);
        let edited = format!("# c\n{}", text.replace("x", "xy"));
        let tree = crate::syntax::parse_str(&edited);
        let (_, second) = encode_starlark(
            &tree,
            Arc::from(edited.as_str()),
            None,
            PositionEncoding::Utf16,
            Some(&first),
        );
        assert_eq!(second.statements.len(), 2);
        assert!(!Arc::ptr_eq(
            &first.statements[0].tokens,
            &second.statements[0].tokens
        ));
        assert!(Arc::ptr_eq(
            &first.statements[1].tokens,
            &second.statements[1].tokens
        ));
    }
}
