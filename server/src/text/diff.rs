//! The edits that turn one text into another, for formatters: their output
//! differs from the input in a few places, and an editor that gets only
//! those keeps its cursor, selections and undo history elsewhere.

use std::ops::Range;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, DiffTag};

use super::TextRange;

/// How long the line diff may search for the smallest set of changes
/// before it settles for a larger one (still correct).
const DIFF_DEADLINE: Duration = Duration::from_millis(200);

/// `range` of the old text (byte offsets) becomes `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub range: TextRange,
    pub new_text: String,
}

/// The replacements that turn `old` into `new`.
///
/// Invariants: the ranges are in text order, do not overlap, never touch
/// (two replacements have unchanged text between them), lie on character
/// boundaries of `old`, and none is a no-op. Applied at once (as LSP
/// applies a list of `TextEdit`s, see [`apply_replacements`]) they give
/// exactly `new`. Each is as small as a line diff, then trimming the
/// characters the old and new lines share at both ends, makes it.
pub fn replacements<'a>(old: &'a str, new: &'a str) -> Vec<Replacement> {
    if old == new {
        return Vec::new();
    }
    let old_split: Vec<&str> = old.split_inclusive('\n').collect();
    let new_split: Vec<&str> = new.split_inclusive('\n').collect();
    // Lines as numbers, so the diff compares numbers.
    let mut ids: std::collections::HashMap<&'a str, u32> = std::collections::HashMap::new();
    let mut id = |line: &'a str| -> u32 {
        let next = ids.len() as u32;
        *ids.entry(line).or_insert(next)
    };
    let old_ids: Vec<u32> = old_split.iter().map(|l| id(l)).collect();
    let new_ids: Vec<u32> = new_split.iter().map(|l| id(l)).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_ids,
        &new_ids,
        Some(Instant::now() + DIFF_DEADLINE),
    );
    let old_lines = line_starts(&old_split);
    let new_lines = line_starts(&new_split);
    // Runs of changed lines, as (old lines, new lines) index ranges. The
    // positions come from the ops' lengths: an insertion's `old_index`
    // (and a deletion's `new_index`) is not always where it applies.
    let mut runs: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut pending: Option<(Range<usize>, Range<usize>)> = None;
    let (mut at_old, mut at_new) = (0, 0);
    for op in &ops {
        let (old_len, new_len) = op_lengths(op);
        let (o, n) = (at_old..at_old + old_len, at_new..at_new + new_len);
        (at_old, at_new) = (o.end, n.end);
        if op.tag() == DiffTag::Equal {
            runs.extend(pending.take());
            continue;
        }
        pending = Some(match pending.take() {
            Some((po, pn)) => (po.start..o.end, pn.start..n.end),
            None => (o, n),
        });
    }
    runs.extend(pending);
    runs.into_iter()
        .filter_map(|(o, n)| {
            let old_range = old_lines[o.start]..old_lines[o.end];
            let new_range = new_lines[n.start]..new_lines[n.end];
            trimmed(old, old_range, &new[new_range])
        })
        .collect()
}

/// Applies `replacements` (as [`replacements`] makes them: in order, not
/// overlapping) to `old`.
pub fn apply_replacements(old: &str, replacements: &[Replacement]) -> String {
    let mut out = String::with_capacity(old.len());
    let mut at = 0;
    for r in replacements {
        out.push_str(&old[at..r.range.start]);
        out.push_str(&r.new_text);
        at = r.range.end;
    }
    out.push_str(&old[at..]);
    out
}

/// The byte offset of the start of every line, as the line diff split
/// the text, and the end of the text: `lines + 1` offsets.
fn line_starts(lines: &[&str]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len() + 1);
    let mut at = 0;
    starts.push(at);
    for line in lines {
        at += line.len();
        starts.push(at);
    }
    starts
}

/// How many old and new lines `op` spans.
fn op_lengths(op: &DiffOp) -> (usize, usize) {
    match *op {
        DiffOp::Equal { len, .. } => (len, len),
        DiffOp::Delete { old_len, .. } => (old_len, 0),
        DiffOp::Insert { new_len, .. } => (0, new_len),
        DiffOp::Replace {
            old_len, new_len, ..
        } => (old_len, new_len),
    }
}

/// `old[range]` replaced by `new_text`, less the characters both share at
/// the start and at the end; `None` when nothing is left to change.
fn trimmed(old: &str, range: Range<usize>, new_text: &str) -> Option<Replacement> {
    let old_text = &old[range.clone()];
    let prefix = common_prefix(old_text, new_text);
    let (old_rest, new_rest) = (&old_text[prefix..], &new_text[prefix..]);
    let suffix = common_suffix(old_rest, new_rest);
    let start = range.start + prefix;
    let end = range.end - suffix;
    let new_text = &new_rest[..new_rest.len() - suffix];
    (start != end || !new_text.is_empty()).then(|| Replacement {
        range: TextRange::new(start, end),
        new_text: new_text.to_string(),
    })
}

/// The length in bytes of the longest common prefix, on a character
/// boundary of both.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
        .min(a.len())
        .min(b.len())
}

/// The length in bytes of the longest common suffix, on a character
/// boundary of both.
fn common_suffix(a: &str, b: &str) -> usize {
    let mut len = 0;
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y {
            break;
        }
        len += x.len_utf8();
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &str, new: &str) -> Vec<Replacement> {
        let found = replacements(old, new);
        assert_eq!(
            apply_replacements(old, &found),
            new,
            "{old:?} -> {new:?}: {found:?}"
        );
        for pair in found.windows(2) {
            assert!(pair[0].range.end < pair[1].range.start, "{found:?}");
        }
        for r in &found {
            assert!(old.is_char_boundary(r.range.start) && old.is_char_boundary(r.range.end));
            assert!(!(r.range.is_empty() && r.new_text.is_empty()), "{found:?}");
        }
        found
    }

    #[test]
    fn a_formatted_call_changes_only_what_moved() {
        let old = "load(\"//a:b.bzl\", \"x\")\n\ncc_library(name=\"a\",srcs=[\"b.cc\"])\n# kept\n";
        let new = "load(\"//a:b.bzl\", \"x\")\n\ncc_library(\n    name = \"a\",\n    srcs = [\"b.cc\"],\n)\n# kept\n";
        let found = check(old, new);
        assert_eq!(found.len(), 1, "{found:?}");
        // The load line and the comment are not touched.
        assert!(found[0].range.start > old.find("cc_library").unwrap_or(0));
        assert!(found[0].range.end <= old.find("# kept").unwrap_or(old.len()));
    }

    #[test]
    fn identical_texts_need_nothing() {
        assert!(check("a\nb\n", "a\nb\n").is_empty());
        assert!(check("", "").is_empty());
    }

    #[test]
    fn edges_line_ends_and_multibyte_characters() {
        for (old, new) in [
            ("", "x\n"),
            ("x\n", ""),
            ("a", "a\n"),
            ("a\n", "a"),
            ("a\r\nb\r\n", "a\nb\n"),
            ("é\nü\n", "é\nö\n"),
            ("x = \"日本\"\n", "x = \"日本語\"\n"),
            ("a\nb\nc\n", "c\nb\na\n"),
            ("\n\n\n", "\n"),
        ] {
            check(old, new);
        }
    }

    /// Random texts from a small alphabet (so lines repeat and the diff
    /// has choices), each with a random edit of itself.
    #[test]
    fn random_pairs_round_trip() {
        fn next(seed: &mut u64, n: usize) -> usize {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 33) % n as u64) as usize
        }
        fn text(seed: &mut u64, len: usize) -> String {
            const ALPHABET: [&str; 10] = ["a", "b", " ", "\n", "\r\n", "é", "(", ")", "\"", "\n\n"];
            (0..len)
                .map(|_| ALPHABET[next(seed, ALPHABET.len())])
                .collect()
        }
        let mut seed: u64 = 0x5eed_f0a7;
        for _ in 0..2000 {
            let old = text(&mut seed, 40);
            let new = if next(&mut seed, 2) == 0 {
                text(&mut seed, 40)
            } else {
                let cut = old
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(next(&mut seed, 30))
                    .unwrap_or(old.len());
                let insert = text(&mut seed, 3);
                format!("{}{insert}{}", &old[..cut], &old[cut..])
            };
            check(&old, &new);
        }
    }
}
