//! Formatting of `.bazelrc` files (our own grammar, so our own formatter):
//! one space between the words of a line, no indentation, no trailing
//! whitespace, no blank lines at the end, one newline at the end.
//!
//! Every line keeps its number (blank lines inside the file stay), so what
//! `bzls rc` and Bazel's `--announce_rc` say about where an option comes
//! from (`file:line`) is the same before and after.
//!
//! Invariant: the formatted text means exactly what the original means.
//! Bazel reads an rc file as [`super::lexer::lex`] does; the formatted text
//! lexes to the same logical lines, with the same words in the same order
//! (and the same comments). What could change that is left alone:
//! - a physical line that ends with a backslash joins the next one
//!   (anywhere: in a comment, in quotes, in a word), so every group of
//!   physical lines joined that way is kept byte for byte;
//! - words are copied raw (quotes and escapes included); only the
//!   separators between them change;
//! - trailing whitespace is removed only where no backslash would end the
//!   line after it (that would join the next line), and a file whose last
//!   line ends with a backslash gets no newline added.

use super::lexer::lex;

/// `source`, formatted (see the module docs).
pub fn format_rc(source: &str) -> String {
    let newline = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::with_capacity(source.len());
    // Blank lines seen since the last line written: written once the next
    // line comes (none at the end).
    let mut blank_pending = 0;
    let mut lines = physical_lines(source).peekable();
    while let Some(first) = lines.next() {
        // A group: this line and every line that a backslash joins to it.
        let mut group_end = first.clone();
        while ends_with_continuation(&source[group_end.clone()]) {
            match lines.next() {
                Some(next) => group_end = next,
                None => break,
            }
        }
        let group = &source[first.start..group_end.end];
        if ends_with_continuation(group) {
            // The file ends inside a continuation: kept to its last byte.
            out.push_str(&newline.repeat(blank_pending));
            out.push_str(group);
            break;
        }
        let formatted = if group_end == first {
            format_line(group)
        } else {
            // Joined lines: kept as they are, line ends included but the
            // last one (written below).
            Some(trim_line_end(group).to_string())
        };
        let Some(formatted) = formatted else {
            blank_pending += 1;
            continue;
        };
        out.push_str(&newline.repeat(blank_pending));
        blank_pending = 0;
        out.push_str(&formatted);
        if !(ends_with_backslash(&formatted) && lines.peek().is_none()) {
            out.push_str(newline);
        }
    }
    out
}

/// The byte ranges of the physical lines of `source`, each with its line
/// end (`\n` or `\r\n`); the last one may lack it.
fn physical_lines(source: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= source.len() {
            return None;
        }
        let end = source[at..].find('\n').map_or(source.len(), |i| at + i + 1);
        let line = at..end;
        at = end;
        Some(line)
    })
}

/// `line` without its line end (`\n`, `\r\n`).
fn trim_line_end(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Whether a backslash directly before its line end joins the next line
/// (Bazel deletes every backslash followed by `\n` or `\r\n`).
fn ends_with_continuation(line: &str) -> bool {
    (line.ends_with("\\\n") || line.ends_with("\\\r\n")) && line.len() > 1
}

fn ends_with_backslash(text: &str) -> bool {
    text.ends_with('\\')
}

/// One physical line that no backslash joins to another, formatted;
/// `None` when it is blank.
fn format_line(line: &str) -> Option<String> {
    let content = trim_line_end(line);
    let lexed = lex(content);
    let mut out = String::new();
    if let Some(words) = lexed.lines.first() {
        for (i, word) in words.words.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&content[word.range.start..word.range.end]);
        }
        if let Some(comment) = words.comment {
            out.push(' ');
            out.push_str(comment_text(&content[comment.start..comment.end]));
        }
    } else if let Some(comment) = lexed.comments.first() {
        out.push_str(comment_text(
            &content[comment.range.start..comment.range.end],
        ));
    } else {
        return None;
    }
    // Escapes at the end of a line (a backslash before whitespace, or
    // before nothing) read differently once the line is re-spaced: such a
    // line is kept as it is.
    if ends_with_backslash(&out) || words_of(&out) != words_of(content) {
        return Some(content.to_string());
    }
    Some(out)
}

/// The words Bazel reads from one line.
fn words_of(line: &str) -> Vec<std::sync::Arc<str>> {
    lex(line)
        .lines
        .into_iter()
        .flat_map(|l| l.words)
        .map(|w| w.text)
        .collect()
}

/// A comment without trailing whitespace, unless that would leave a
/// backslash at the end of the line.
fn comment_text(comment: &str) -> &str {
    let trimmed = comment.trim_end();
    if trimmed.ends_with('\\') {
        comment
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::TestRng;

    /// What Bazel reads from `source`: each logical line's words, and the
    /// comments' texts.
    fn meaning(source: &str) -> (Vec<Vec<String>>, Vec<String>) {
        let lexed = lex(source);
        let lines = lexed
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.to_string()).collect())
            .collect();
        let comments = lexed
            .comments
            .iter()
            .map(|c| source[c.range.start..c.range.end].trim_end().to_string())
            .chain(
                lexed
                    .lines
                    .iter()
                    .filter_map(|l| l.comment)
                    .map(|c| source[c.start..c.end].trim_end().to_string()),
            )
            .collect();
        (lines, comments)
    }

    /// The line number of each logical line's first word.
    fn line_numbers(source: &str) -> Vec<usize> {
        lex(source)
            .lines
            .iter()
            .map(|l| source[..l.range.start].matches('\n').count())
            .collect()
    }

    fn check(source: &str) -> String {
        let formatted = format_rc(source);
        assert_eq!(
            line_numbers(&formatted),
            line_numbers(source),
            "lines moved: {source:?} -> {formatted:?}"
        );
        assert_eq!(
            meaning(&formatted).0,
            meaning(source).0,
            "words changed: {source:?} -> {formatted:?}"
        );
        assert_eq!(
            format_rc(&formatted),
            formatted,
            "not idempotent: {source:?} -> {formatted:?}"
        );
        formatted
    }

    #[test]
    fn spacing_blank_lines_and_comments() {
        let source = "\n\n  build   --jobs=4\t--keep_going   # why\n\n \n\n# Section.\t \nbuild:cuda  --config=x\ntest:cuda --test_tag_filters=gpu\n\n  \n";
        assert_eq!(
            check(source),
            "\n\nbuild --jobs=4 --keep_going # why\n\n\n\n# Section.\nbuild:cuda --config=x\ntest:cuda --test_tag_filters=gpu\n"
        );
    }

    #[test]
    fn continued_lines_quotes_and_escapes_are_kept() {
        let source = "build --copt=\"-DA=1   B\" \\\n    --linkopt='-x  y'\nbuild  --define=a\\ b=c  \ncommon   --x=\"unterminated   \n";
        assert_eq!(
            check(source),
            "build --copt=\"-DA=1   B\" \\\n    --linkopt='-x  y'\nbuild --define=a\\ b=c\ncommon --x=\"unterminated\n"
        );
    }

    #[test]
    fn backslashes_that_would_join_lines_are_not_made() {
        // A trailing escaped space, a comment ending in a backslash and
        // spaces, a last line ending in a backslash.
        for source in [
            "build --x \\ \nbuild --y\n",
            "build --x # c \\ \nbuild --y\n",
            "# c \\  \nbuild --y\n",
            "build --x \\",
            "build --x\r\n\r\nbuild  --y \\\r\n --z\r\n",
            "build \\\n\n--x\n",
        ] {
            check(source);
        }
    }

    /// Random rc texts from pieces that matter to the lexer: every result
    /// means what its source means, and formatting it again changes nothing.
    #[test]
    fn random_texts_keep_their_meaning() {
        const PIECES: [&str; 16] = [
            "build", "--x=1", " ", "  ", "\t", "\n", "\r\n", "\\", "\\\n", "#", "'", "\"", "a b",
            ":cuda", "\n\n", "é",
        ];
        let mut rng = TestRng::new(0xf0_7a77);
        for _ in 0..5000 {
            let len = rng.below(30);
            let source: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            check(&source);
        }
    }
}
