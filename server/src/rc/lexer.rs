//! Splits an rc file into lines and words exactly as Bazel's client does.
//!
//! Bazel's client (`rc_file.cc` and `blaze_util::Tokenize`) reads an rc file
//! in this order, and so does [`lex`]:
//! 1. every backslash directly followed by `\n` or `\r\n` is deleted from the
//!    whole file (a continuation works anywhere: in a comment, in quotes, in
//!    the middle of a word);
//! 2. the result is split on `\n` and each line is stripped of surrounding
//!    whitespace; empty lines are skipped;
//! 3. each line is split into words at space, tab, `\r` and `\n`. Inside a
//!    word a backslash takes the next character literally (in quotes too),
//!    `'` and `"` quote up to the same quote character (an unterminated quote
//!    runs to the end of the line), and an unquoted `#` ends the line (the
//!    word it cuts keeps what came before it). A word that is empty after
//!    unquoting (`""`) is dropped.
//!
//! Invariant: every range refers to the original text, so a word's range
//! covers its quotes, escapes and any continuation inside it, and always
//! starts and ends on character boundaries.

use std::sync::Arc;

use crate::text::TextRange;

/// One word of a line, unquoted and unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word as Bazel sees it (shared: the chain files every option under
    /// its key without copying).
    pub text: Arc<str>,
    /// Where the raw word is in the original text.
    pub range: TextRange,
}

impl Word {
    /// True when the raw text is the word itself: no quotes, escapes or
    /// continuations, so offsets inside the range map one to one onto `text`.
    pub fn is_plain(&self, source: &str) -> bool {
        source.get(self.range.start..self.range.end) == Some(&*self.text)
    }
}

/// One logical line: what remains of a physical line (or of several joined
/// by continuations) after stripping, with at least one word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexedLine {
    /// The words, in order; never empty.
    pub words: Vec<Word>,
    /// From the first character of the first word to the end of the logical
    /// line (including a trailing comment, excluding the newline).
    pub range: TextRange,
    /// A comment ending the line, if any (from its `#`).
    pub comment: Option<TextRange>,
}

/// A comment on a line of its own (the line has no word).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexedComment {
    pub range: TextRange,
}

/// The result of [`lex`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lexed {
    pub lines: Vec<LexedLine>,
    /// Comments on lines without words, in order.
    pub comments: Vec<LexedComment>,
}

/// Lexes `source` the way Bazel's client does (see the module docs).
///
/// One pass over the bytes: continuations are skipped where they occur
/// instead of being removed first, so offsets stay those of `source`.
pub fn lex(source: &str) -> Lexed {
    let mut cursor = Cursor {
        bytes: source.as_bytes(),
        at: 0,
    };
    let mut out = Lexed::default();
    let mut text: Vec<u8> = Vec::new();
    loop {
        // Fast path: a physical line without backslashes is a logical line
        // on its own and needs no continuation handling.
        let rest = source.as_bytes().get(cursor.at..).unwrap_or_default();
        let line_len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        if cursor.at < source.len() && !rest[..line_len].contains(&b'\\') {
            let start = cursor.at;
            cursor.at = (cursor.at + line_len + 1).min(source.len());
            match lex_simple_line(source, start, start + line_len, &mut text) {
                Line::Words(line) => out.lines.push(line),
                Line::Comment(comment) => out.comments.push(comment),
                Line::Empty => {}
            }
            continue;
        }
        let Some(line) = lex_line(source, &mut cursor, &mut text) else {
            break;
        };
        match line {
            Line::Words(line) => out.lines.push(line),
            Line::Comment(comment) => out.comments.push(comment),
            Line::Empty => {}
        }
    }
    out
}

/// Reads bytes with continuations (`\\\n`, `\\\r\n`) skipped.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// The next logical byte and its offset, without consuming it.
    fn peek(&mut self) -> Option<(u8, usize)> {
        loop {
            let b = *self.bytes.get(self.at)?;
            if b == b'\\' {
                match self.bytes.get(self.at + 1) {
                    Some(b'\n') => {
                        self.at += 2;
                        continue;
                    }
                    Some(b'\r') if self.bytes.get(self.at + 2) == Some(&b'\n') => {
                        self.at += 3;
                        continue;
                    }
                    _ => {}
                }
            }
            return Some((b, self.at));
        }
    }

    fn bump(&mut self) {
        self.at += 1;
    }
}

enum Line {
    Words(LexedLine),
    Comment(LexedComment),
    Empty,
}

/// Bazel's `ascii_isspace`, used when stripping a line.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Bazel's word separators (`kSeparator`).
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Lexes `source[start..end]`, a line without backslashes (so without
/// escapes or continuations): the same algorithm as [`lex_line`] on a plain
/// slice.
fn lex_simple_line(source: &str, start: usize, end: usize, text: &mut Vec<u8>) -> Line {
    let bytes = source.as_bytes();
    let mut i = start;
    let mut end = end;
    while i < end && is_space(bytes[i]) {
        i += 1;
    }
    while end > i && is_space(bytes[end - 1]) {
        end -= 1;
    }
    if i == end {
        return Line::Empty;
    }
    let mut words = Vec::new();
    let mut comment = None;
    while i < end {
        while i < end && is_separator(bytes[i]) {
            i += 1;
        }
        if i == end {
            break;
        }
        if bytes[i] == b'#' {
            comment = Some(TextRange::new(i, end));
            break;
        }
        let word_start = i;
        let mut quote = 0u8;
        let mut quoted = false;
        text.clear();
        while i < end && (quote != 0 || !is_separator(bytes[i])) {
            let b = bytes[i];
            if quote != 0 {
                if b == quote {
                    quote = 0;
                } else {
                    text.push(b);
                }
            } else if b == b'#' {
                comment = Some(TextRange::new(i, end));
                break;
            } else if b == b'\'' || b == b'"' {
                quote = b;
                quoted = true;
            } else {
                text.push(b);
            }
            i += 1;
        }
        if !text.is_empty() {
            let word = if quoted {
                String::from_utf8_lossy(text).as_ref().into()
            } else {
                // Unquoted: the word is the source slice itself.
                source.get(word_start..i).unwrap_or_default().into()
            };
            words.push(Word {
                text: word,
                range: char_aligned(source, word_start, i),
            });
        }
        if comment.is_some() {
            break;
        }
    }
    if words.is_empty() {
        return match comment {
            Some(range) => Line::Comment(LexedComment { range }),
            None => Line::Empty,
        };
    }
    let range = TextRange::new(words[0].range.start, end);
    Line::Words(LexedLine {
        words,
        range,
        comment,
    })
}

/// Lexes one logical line and consumes its newline; `None` at the end of
/// the input.
fn lex_line(source: &str, cursor: &mut Cursor<'_>, text: &mut Vec<u8>) -> Option<Line> {
    cursor.peek()?;
    // Bazel strips the line first: find where its content starts and ends.
    while let Some((b, _)) = cursor.peek() {
        if b == b'\n' || !is_space(b) {
            break;
        }
        cursor.bump();
    }
    let mut end = None;
    let mut scan = Cursor {
        bytes: cursor.bytes,
        at: cursor.at,
    };
    while let Some((b, at)) = scan.peek() {
        if b == b'\n' {
            break;
        }
        if !is_space(b) {
            end = Some(at + 1);
        }
        scan.bump();
    }
    let Some(strip_end) = end else {
        // A blank line.
        *cursor = scan;
        if cursor.peek().is_some() {
            cursor.bump();
        }
        return Some(Line::Empty);
    };
    let in_line = |c: &mut Cursor<'_>| c.peek().filter(|&(b, at)| b != b'\n' && at < strip_end);

    let mut words = Vec::new();
    let mut comment_start = None;
    loop {
        while let Some((b, _)) = in_line(cursor) {
            if !is_separator(b) {
                break;
            }
            cursor.bump();
        }
        let Some((first, word_start)) = in_line(cursor) else {
            break;
        };
        if first == b'#' {
            comment_start = Some(word_start);
            break;
        }
        // GetNextToken.
        text.clear();
        let mut quote = 0u8;
        let mut last = word_start;
        let mut cut = false;
        while let Some((b, at)) = in_line(cursor) {
            if quote == 0 && is_separator(b) {
                break;
            }
            cursor.bump();
            let before = last;
            if b == b'\\' {
                last = at;
                if let Some((escaped, at)) = in_line(cursor) {
                    text.push(escaped);
                    last = at;
                    cursor.bump();
                }
                continue;
            }
            last = at;
            if quote != 0 {
                if b == quote {
                    quote = 0;
                } else {
                    text.push(b);
                }
            } else if b == b'#' {
                comment_start = Some(at);
                cut = true;
                last = before;
                break;
            } else if b == b'\'' || b == b'"' {
                quote = b;
            } else {
                text.push(b);
            }
        }
        if !text.is_empty() {
            words.push(Word {
                text: Arc::from(String::from_utf8_lossy(text).as_ref()),
                range: char_aligned(source, word_start, last + 1),
            });
        }
        if cut {
            break;
        }
    }
    // Skip to the end of the physical line and consume the newline.
    *cursor = scan;
    if cursor.peek().is_some() {
        cursor.bump();
    }
    let comment = comment_start.map(|start| char_aligned(source, start, strip_end));
    if words.is_empty() {
        return Some(match comment {
            Some(range) => Line::Comment(LexedComment { range }),
            None => Line::Empty,
        });
    }
    let range = char_aligned(source, words[0].range.start, strip_end);
    Some(Line::Words(LexedLine {
        words,
        range,
        comment,
    }))
}

/// Widens `start..end` to character boundaries of `source` (a word can end in
/// the middle of a multi-byte character only if the character was escaped
/// byte by byte, which cannot happen in UTF-8 text; this is a safety net).
fn char_aligned(source: &str, mut start: usize, mut end: usize) -> TextRange {
    while start > 0 && !source.is_char_boundary(start) {
        start -= 1;
    }
    end = end.min(source.len());
    while end < source.len() && !source.is_char_boundary(end) {
        end += 1;
    }
    TextRange::new(start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal port of Bazel's client: remove continuations, split on
    /// newlines, strip, tokenize. The reference [`lex`] must agree with.
    fn reference_words(source: &str) -> Vec<Vec<String>> {
        let mut contents = source.replace("\\\r\n", "");
        contents = contents.replace("\\\n", "");
        let mut out = Vec::new();
        for line in contents.split('\n') {
            let line = line.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
            if line.is_empty() {
                continue;
            }
            let bytes = line.as_bytes();
            let mut words = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                while i < bytes.len() && is_separator(bytes[i]) {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'#' {
                    break;
                }
                let mut word = Vec::new();
                let mut quote = 0u8;
                let mut stop = false;
                while i < bytes.len() && (quote != 0 || !is_separator(bytes[i])) {
                    if bytes[i] == b'\\' {
                        i += 1;
                        if i == bytes.len() {
                            break;
                        }
                        word.push(bytes[i]);
                        i += 1;
                        continue;
                    }
                    if quote != 0 {
                        if bytes[i] == quote {
                            quote = 0;
                        } else {
                            word.push(bytes[i]);
                        }
                    } else if bytes[i] == b'#' {
                        stop = true;
                        break;
                    } else if bytes[i] == b'\'' || bytes[i] == b'"' {
                        quote = bytes[i];
                    } else {
                        word.push(bytes[i]);
                    }
                    i += 1;
                }
                if !word.is_empty() {
                    words.push(String::from_utf8_lossy(&word).into_owned());
                }
                if stop {
                    break;
                }
            }
            if !words.is_empty() {
                out.push(words);
            }
        }
        out
    }

    #[test]
    fn agrees_with_bazels_algorithm_on_random_text() {
        const ALPHABET: &[u8] = b" \t\r\n\\'\"#ab:=-\x0b\x0c";
        let mut rng = crate::rc::TestRng::new(0x9E37_79B9_7F4A_7C15);
        for case in 0..20_000 {
            let len = (case % 40) + 1;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                bytes.push(ALPHABET[rng.below(ALPHABET.len())]);
            }
            let text = String::from_utf8(bytes).expect("ascii");
            assert_eq!(words(&text), reference_words(&text), "input {text:?}");
            for line in lex(&text).lines {
                for word in &line.words {
                    assert!(
                        word.range.start < word.range.end && word.range.end <= text.len(),
                        "{text:?}"
                    );
                }
                assert!(line.range.end <= text.len());
            }
        }
    }

    fn words(source: &str) -> Vec<Vec<String>> {
        lex(source)
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.to_string()).collect())
            .collect()
    }

    fn w(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn commands_and_flags() {
        assert_eq!(
            words("build --jobs=3 -c opt\n\ntest:ci --test_output=errors\n"),
            w(&[
                &["build", "--jobs=3", "-c", "opt"],
                &["test:ci", "--test_output=errors"]
            ])
        );
    }

    #[test]
    fn comments() {
        let lexed = lex("# whole line\nbuild --a # trailing\nbuild --b#cut\n  # indented\n");
        assert_eq!(
            lexed
                .lines
                .iter()
                .map(|l| l.words.iter().map(|w| &*w.text).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            vec![vec!["build", "--a"], vec!["build", "--b"]]
        );
        assert_eq!(lexed.comments.len(), 2);
        let src = "build --b#cut";
        let line = &lex(src).lines[0];
        assert_eq!(line.comment, Some(TextRange::new(9, 13)));
        assert_eq!(line.words[1].range, TextRange::new(6, 9));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            words(r#"build --copt="-DA=b c" '--x=#y' --z=\"q\" a\ b "" ''"#),
            w(&[&["build", "--copt=-DA=b c", "--x=#y", "--z=\"q\"", "a b"]])
        );
        // An escape inside quotes takes the next character literally.
        assert_eq!(words(r#"build "a\"b""#), w(&[&["build", "a\"b"]]));
        // An unterminated quote runs to the end of the line.
        assert_eq!(
            words("build \"--a b # c\nbuild --d"),
            w(&[&["build", "--a b # c"], &["build", "--d"]])
        );
        // A dangling backslash at the end is dropped.
        assert_eq!(words("build x\\"), w(&[&["build", "x"]]));
    }

    #[test]
    fn continuations_apply_everywhere() {
        assert_eq!(
            words("build --a \\\n  --b\ntest --fo\\\no\n"),
            w(&[&["build", "--a", "--b"], &["test", "--foo"]])
        );
        // A continuation inside a comment swallows the next line.
        assert_eq!(
            words("# comment \\\nbuild --hidden\nbuild --seen\n"),
            w(&[&["build", "--seen"]])
        );
        assert_eq!(
            words("build --a \\\r\n --b\r\n"),
            w(&[&["build", "--a", "--b"]])
        );
        let src = "build --fo\\\no";
        let line = &lex(src).lines[0];
        assert_eq!(line.words[1].range, TextRange::new(6, src.len()));
        assert!(!line.words[1].is_plain(src));
        assert!(line.words[0].is_plain(src));
    }

    #[test]
    fn whitespace_and_garbage() {
        assert_eq!(words("\t build\t--a \x0b\n"), w(&[&["build", "--a"]]));
        assert!(lex("").lines.is_empty());
        assert!(lex("\\").lines.is_empty());
        assert!(lex("\n\n \\\n").lines.is_empty());
        let garbage = "\u{0}\u{1}bü\u{FFFD} 'é\n\"";
        let lexed = lex(garbage);
        for line in &lexed.lines {
            for word in &line.words {
                assert!(garbage.is_char_boundary(word.range.start));
                assert!(garbage.is_char_boundary(word.range.end));
            }
        }
    }

    #[test]
    fn line_ranges() {
        let src = "  build --a  # c\n";
        let line = &lex(src).lines[0];
        assert_eq!(&src[line.range.start..line.range.end], "build --a  # c");
    }
}
