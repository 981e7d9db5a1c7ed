//! Selection ranges ("expand selection"): from the cursor outwards.
//!
//! Invariants: every chain starts with the smallest range at the offset and
//! ends with the whole text; each range strictly contains the one before it
//! (equal ranges are dropped), so an editor's "expand" always grows.

use tree_sitter::Node;

use super::DocumentSnapshot;
use crate::rc::file::RcFile;
use crate::syntax::{node_range, FileKind};
use crate::text::TextRange;

/// The selection chain at each offset, innermost first. Offsets past the
/// end are taken as the end of the text.
pub fn selection_ranges(snapshot: &DocumentSnapshot, offsets: &[usize]) -> Vec<Vec<TextRange>> {
    let text = snapshot.rope.to_string();
    let rc = (snapshot.kind == FileKind::Bazelrc).then(|| crate::rc::file::parse(&text));
    offsets
        .iter()
        .map(|&offset| {
            let offset = floor_char_boundary(&text, offset.min(text.len()));
            let mut chain = Chain::default();
            match (&rc, &snapshot.tree) {
                (Some(rc), _) => rc_chain(rc, &text, offset, &mut chain),
                (None, Some(tree)) => starlark_chain(tree.root_node(), &text, offset, &mut chain),
                (None, None) => {}
            }
            chain.push(TextRange::new(0, text.len()));
            chain.0
        })
        .collect()
}

/// Ranges, each strictly containing the one before.
#[derive(Default)]
struct Chain(Vec<TextRange>);

impl Chain {
    fn push(&mut self, range: TextRange) {
        match self.0.last() {
            Some(last) if range == *last => {}
            Some(last) if range.start > last.start || range.end < last.end => {}
            _ => self.0.push(range),
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn starlark_chain(root: Node<'_>, text: &str, offset: usize, chain: &mut Chain) {
    let Some(mut node) = root.descendant_for_byte_range(offset, offset) else {
        return;
    };
    // Just after a word (`foo|`), the word is meant rather than what follows.
    if offset > 0 && !is_word_node(node) {
        if let Some(before) = root.descendant_for_byte_range(offset - 1, offset - 1) {
            if is_word_node(before) {
                node = before;
            }
        }
    }
    // Inside a string: the label part, then the text between the quotes.
    let string = std::iter::successors(Some(node), |n| n.parent()).find(|n| n.kind() == "string");
    if let Some(string) = string {
        if let Some(content) = string_content(string, text) {
            if content.start <= offset && offset <= content.end {
                for part in label_parts(&text[content.start..content.end], offset - content.start) {
                    chain.push(part.shifted(content.start as isize));
                }
                chain.push(content);
            }
        }
        node = string;
    }
    let mut at = Some(node);
    while let Some(n) = at {
        chain.push(node_range(n));
        at = n.parent();
    }
}

fn is_word_node(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "identifier" | "integer" | "float" | "string_content" | "string_end" | "true" | "false"
    )
}

/// The text between a string literal's quotes (after a prefix like `r`).
fn string_content(string: Node<'_>, text: &str) -> Option<TextRange> {
    let raw = text.get(string.byte_range())?;
    let prefix = raw.find(['"', '\''])?;
    let quote = if raw[prefix..].starts_with("\"\"\"") || raw[prefix..].starts_with("'''") {
        3
    } else {
        1
    };
    let start = string.start_byte() + prefix + quote;
    let end = string.end_byte().checked_sub(quote)?;
    (start <= end && raw.len() >= prefix + 2 * quote).then(|| TextRange::new(start, end))
}

/// The parts of a label-shaped string around `offset` (relative to the
/// string), innermost first: the repository, the package or the target
/// name, then the package with its repository. Nothing for other text.
fn label_parts(value: &str, offset: usize) -> Vec<TextRange> {
    let looks_like_label = value.starts_with("//")
        || value.starts_with('@')
        || value.starts_with(':')
        || value.contains(':');
    if !looks_like_label || value.contains(char::is_whitespace) {
        return Vec::new();
    }
    let colon = value.rfind(':');
    let package_start = value.find("//").map_or(0, |s| s + 2);
    let mut out = Vec::new();
    match colon {
        Some(c) if offset > c => out.push(TextRange::new(c + 1, value.len())),
        _ => {
            let package_end = colon.unwrap_or(value.len());
            if value.starts_with('@') && offset < package_start.saturating_sub(2).max(1) {
                out.push(TextRange::new(1, package_start.saturating_sub(2).max(1)));
            } else if package_start <= offset && package_start < package_end {
                out.push(TextRange::new(package_start, package_end));
            }
            if colon.is_some() {
                out.push(TextRange::new(0, package_end));
            }
        }
    }
    out.retain(|r| r.start < r.end && r.start <= offset && offset <= r.end);
    out
}

fn rc_chain(rc: &RcFile, text: &str, offset: usize, chain: &mut Chain) {
    let Some(line) = rc
        .lines
        .iter()
        .find(|l| l.range.start <= offset && offset <= l.range.end)
    else {
        return;
    };
    let head = &line.head;
    if head.range.start <= offset && offset <= head.range.end {
        let command = line.command_range(text);
        let config = line.config_range(text);
        match config {
            Some(config) if config.start <= offset => chain.push(config),
            _ => chain.push(command),
        }
        chain.push(head.range);
    } else if let Some(word) = line
        .args
        .iter()
        .find(|w| w.range.start <= offset && offset <= w.range.end)
    {
        if word.is_plain(text) {
            let raw = &text[word.range.start..word.range.end];
            if let (true, Some(eq)) = (raw.starts_with('-'), raw.find('=')) {
                let at = offset - word.range.start;
                let part = if at > eq {
                    TextRange::new(eq + 1, raw.len())
                } else {
                    TextRange::new(raw.len() - raw.trim_start_matches('-').len(), eq)
                };
                if part.start < part.end {
                    chain.push(part.shifted(word.range.start as isize));
                }
            }
        }
        chain.push(word.range);
        let first = line
            .args
            .first()
            .map_or(word.range.start, |w| w.range.start);
        let last = line.args.last().map_or(word.range.end, |w| w.range.end);
        chain.push(TextRange::new(first, last));
    }
    chain.push(line.range);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Document;
    use crate::fixture::cursor;

    /// Each range of the chain at `$0`, as the text it selects.
    fn check(kind: FileKind, fixture: &str, expected: &[&str]) {
        let (text, offset) = cursor(fixture);
        let snapshot = Document::new(kind, 0, &text).snapshot();
        let chains = selection_ranges(&snapshot, &[offset]);
        let shown: Vec<&str> = chains[0].iter().map(|r| &text[r.start..r.end]).collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn a_label_grows_from_its_name_to_the_call() {
        check(
            FileKind::Build,
            "cc_library(\n    name = \"a\",\n    deps = [\"//pkg/sub:li$0b\", \":c\"],\n)\n",
            &[
                "lib",
                "//pkg/sub:lib",
                "\"//pkg/sub:lib\"",
                "[\"//pkg/sub:lib\", \":c\"]",
                "deps = [\"//pkg/sub:lib\", \":c\"]",
                "(\n    name = \"a\",\n    deps = [\"//pkg/sub:lib\", \":c\"],\n)",
                "cc_library(\n    name = \"a\",\n    deps = [\"//pkg/sub:lib\", \":c\"],\n)",
                "cc_library(\n    name = \"a\",\n    deps = [\"//pkg/sub:lib\", \":c\"],\n)\n",
            ],
        );
    }

    #[test]
    fn a_label_package_and_repository_are_parts() {
        check(
            FileKind::Build,
            "x = \"@repo//pk$0g/sub:lib\"\n",
            &[
                "pkg/sub",
                "@repo//pkg/sub",
                "@repo//pkg/sub:lib",
                "\"@repo//pkg/sub:lib\"",
                "x = \"@repo//pkg/sub:lib\"",
                "x = \"@repo//pkg/sub:lib\"\n",
            ],
        );
        check(
            FileKind::Build,
            "x = \"@re$0po//pkg\"\n",
            &[
                "repo",
                "@repo//pkg",
                "\"@repo//pkg\"",
                "x = \"@repo//pkg\"",
                "x = \"@repo//pkg\"\n",
            ],
        );
    }

    #[test]
    fn plain_strings_and_names_grow_by_syntax() {
        check(
            FileKind::Bzl,
            "def f(x):\n    return len(x$0) + 1\n",
            &[
                "x",
                "(x)",
                "len(x)",
                "len(x) + 1",
                "return len(x) + 1",
                "def f(x):\n    return len(x) + 1",
                "def f(x):\n    return len(x) + 1\n",
            ],
        );
        check(
            FileKind::Bzl,
            "X = \"hello wo$0rld\"\n",
            &[
                "hello world",
                "\"hello world\"",
                "X = \"hello world\"",
                "X = \"hello world\"\n",
            ],
        );
    }

    #[test]
    fn rc_flags_grow_from_value_to_line() {
        check(
            FileKind::Bazelrc,
            "build:cuda --copt=-O$02 --config=x\n",
            &[
                "-O2",
                "--copt=-O2",
                "--copt=-O2 --config=x",
                "build:cuda --copt=-O2 --config=x",
                "build:cuda --copt=-O2 --config=x\n",
            ],
        );
        check(
            FileKind::Bazelrc,
            "build:cu$0da --copt=-O2\n",
            &[
                "cuda",
                "build:cuda",
                "build:cuda --copt=-O2",
                "build:cuda --copt=-O2\n",
            ],
        );
    }

    #[test]
    fn offsets_anywhere_give_a_chain() {
        for kind in [FileKind::Build, FileKind::Bazelrc] {
            let text = "cc_library(name = \"é\")\n# ü\nbuild --x\n";
            let snapshot = Document::new(kind, 0, text).snapshot();
            let offsets: Vec<usize> = (0..text.len() + 5).collect();
            for chain in selection_ranges(&snapshot, &offsets) {
                assert_eq!(chain.last(), Some(&TextRange::new(0, text.len())));
                for pair in chain.windows(2) {
                    assert!(pair[1].start <= pair[0].start && pair[0].end <= pair[1].end);
                    assert_ne!(pair[0], pair[1]);
                }
            }
        }
    }
}
