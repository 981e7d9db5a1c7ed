//! One rc file, lexed and classified line by line. No I/O.

use std::sync::Arc;

use super::lexer::{lex, LexedComment, Word};
use crate::text::TextRange;

/// The pseudo-command whose options apply to every command, unrecognised
/// options being an error.
pub const ALWAYS: &str = "always";
/// The pseudo-command whose options apply to every command that knows them.
pub const COMMON: &str = "common";
/// Startup options, read by the client before the server starts.
pub const STARTUP: &str = "startup";
pub const IMPORT: &str = "import";
pub const TRY_IMPORT: &str = "try-import";
/// `try-import-if-bazel-version <op><version> PATH` (Bazel 8.7 and 9.0+).
pub const TRY_IMPORT_IF_VERSION: &str = "try-import-if-bazel-version";
/// The placeholder an import path may start with.
pub const WORKSPACE_PREFIX: &str = "%workspace%";

/// A parsed rc file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcFile {
    pub lines: Vec<RcLine>,
    pub comments: Vec<LexedComment>,
}

/// One logical line of an rc file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcLine {
    /// The first word: `build`, `build:cuda`, `import`, ...
    pub head: Word,
    /// The words after the head.
    pub args: Vec<Word>,
    pub range: TextRange,
    pub comment: Option<TextRange>,
    pub kind: LineKind,
}

/// What a line does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// `import PATH` or `try-import PATH`. `path` is `None` when the line
    /// does not have exactly one argument (Bazel rejects the file).
    /// `try-import-if-bazel-version COND PATH` is a try-import with a
    /// `condition` (`>=8.0.0`, `~7.1`, ...).
    Import {
        optional: bool,
        path: Option<Word>,
        condition: Option<Word>,
    },
    /// `COMMAND[:CONFIG] ARGS...`.
    Options {
        /// The command part of the head (before the first `:`).
        command: String,
        /// The config name after the first `:`, possibly empty.
        config: Option<String>,
    },
}

impl RcLine {
    /// The range of the command name inside the head.
    pub fn command_range(&self, source: &str) -> TextRange {
        self.head_part(source, false)
    }

    /// The range of the config name inside the head (after the `:`), when
    /// the line has one.
    pub fn config_range(&self, source: &str) -> Option<TextRange> {
        match &self.kind {
            LineKind::Options {
                config: Some(_), ..
            } => Some(self.head_part(source, true)),
            _ => None,
        }
    }

    /// The key Bazel files the line's options under: `build` or `build:x`.
    pub fn key(&self) -> Option<&str> {
        match self.kind {
            LineKind::Options { .. } => Some(&self.head.text),
            LineKind::Import { .. } => None,
        }
    }

    fn head_part(&self, source: &str, config: bool) -> TextRange {
        let range = self.head.range;
        let raw = source.get(range.start..range.end).unwrap_or("");
        if self.head.is_plain(source) {
            if let Some(colon) = raw.find(':') {
                return if config {
                    TextRange::new(range.start + colon + 1, range.end)
                } else {
                    TextRange::new(range.start, range.start + colon)
                };
            }
        }
        range
    }
}

/// Lexes and classifies `source`.
pub fn parse(source: &str) -> RcFile {
    let lexed = lex(source);
    let lines = lexed
        .lines
        .into_iter()
        .map(|line| {
            let mut words = line.words.into_iter();
            // `lex` never yields a line without words.
            let head = words.next().unwrap_or(Word {
                text: Arc::from(""),
                range: line.range,
            });
            let args: Vec<Word> = words.collect();
            let kind = if &*head.text == IMPORT || &*head.text == TRY_IMPORT {
                LineKind::Import {
                    optional: &*head.text == TRY_IMPORT,
                    path: (args.len() == 1).then(|| args[0].clone()),
                    condition: None,
                }
            } else if &*head.text == TRY_IMPORT_IF_VERSION {
                LineKind::Import {
                    optional: true,
                    path: (args.len() == 2).then(|| args[1].clone()),
                    condition: (args.len() == 2).then(|| args[0].clone()),
                }
            } else {
                // Bazel splits at the first colon, and only when it is not
                // the first character.
                match head.text.find(':') {
                    Some(colon) if colon > 0 => LineKind::Options {
                        command: head.text[..colon].to_string(),
                        config: Some(head.text[colon + 1..].to_string()),
                    },
                    _ => LineKind::Options {
                        command: head.text.to_string(),
                        config: None,
                    },
                }
            };
            RcLine {
                head,
                args,
                range: line.range,
                comment: line.comment,
                kind,
            }
        })
        .collect();
    RcFile {
        lines,
        comments: lexed.comments,
    }
}

impl RcLine {
    fn shift(&mut self, delta: isize) {
        self.head.range = self.head.range.shifted(delta);
        for arg in &mut self.args {
            arg.range = arg.range.shifted(delta);
        }
        self.range = self.range.shifted(delta);
        self.comment = self.comment.map(|c| c.shifted(delta));
        if let LineKind::Import {
            path, condition, ..
        } = &mut self.kind
        {
            for word in [path, condition].into_iter().flatten() {
                word.range = word.range.shifted(delta);
            }
        }
    }
}

/// Whether Bazel `version` (major, minor, patch) satisfies a
/// `try-import-if-bazel-version` condition: `>`, `>=`, `<`, `<=`, `==`,
/// `!=` or npm's tilde `~` (same major, and same minor when given) followed
/// by a version. `None` when the condition does not parse.
pub fn version_condition_holds(condition: &str, version: [u32; 3]) -> Option<bool> {
    let (op, rest) = [">=", "<=", "==", "!=", ">", "<", "~"]
        .iter()
        .find_map(|op| condition.strip_prefix(op).map(|rest| (*op, rest)))?;
    let parts: Vec<u32> = rest
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut want = [0u32; 3];
    want[..parts.len()].copy_from_slice(&parts);
    Some(match op {
        ">=" => version >= want,
        "<=" => version <= want,
        "==" => version == want,
        "!=" => version != want,
        ">" => version > want,
        "<" => version < want,
        _ => {
            // ~1.2.3 := >=1.2.3 <1.3.0; ~1.2 := >=1.2.0 <1.3.0; ~1 := >=1.0.0 <2.0.0
            let upper = if parts.len() >= 2 {
                [want[0], want[1] + 1, 0]
            } else {
                [want[0] + 1, 0, 0]
            };
            version >= want && version < upper
        }
    })
}

/// The start of the logical line holding `offset`: the physical line's
/// start, moved back over lines that end in a continuation backslash.
pub fn logical_line_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let mut start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    while start > 0 && continued_before(bytes, start - 1) {
        start = bytes[..start - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
    }
    start
}

/// The end of the logical line holding `offset`: the offset of the newline
/// that ends it (or the text's end), past continued lines.
pub fn logical_line_end(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = offset.min(bytes.len());
    loop {
        match bytes[at..].iter().position(|&b| b == b'\n') {
            None => return bytes.len(),
            Some(i) => {
                let newline = at + i;
                if continued_before(bytes, newline) {
                    at = newline + 1;
                } else {
                    return newline;
                }
            }
        }
    }
}

/// Whether the newline at `newline` is a continuation (`\\\n`, `\\\r\n`).
fn continued_before(bytes: &[u8], newline: usize) -> bool {
    let before = match newline.checked_sub(1) {
        Some(i) if bytes[i] == b'\r' => i.checked_sub(1),
        other => other,
    };
    before.is_some_and(|i| bytes[i] == b'\\')
}

impl RcFile {
    /// The parse of `new_text`, which is `old_text` (this file's text) with
    /// `old_text[start..old_end]` replaced by `new_text[start..new_end]`.
    /// Only the logical lines the edit touches are lexed again; the others
    /// are kept (shifted). Invariant: the result equals `parse(new_text)`.
    pub fn edited(
        &self,
        old_text: &str,
        new_text: &str,
        start: usize,
        old_end: usize,
        new_end: usize,
    ) -> RcFile {
        let delta = new_end as isize - old_end as isize;
        let to_old = |new: usize| (new as isize - delta).max(0) as usize;
        let region_start = logical_line_start(new_text, start);
        let mut region_end = logical_line_end(new_text, new_end);
        // Old lines that straddle the region's end (a continuation the edit
        // removed) widen it until it ends where old and new lines both end.
        loop {
            let old_end_of_region = to_old(region_end);
            let widest = self
                .lines
                .iter()
                .map(|l| l.range)
                .chain(self.comments.iter().map(|c| c.range))
                .filter(|r| r.start <= old_end_of_region && r.end > old_end_of_region)
                .map(|r| r.end)
                .max();
            match widest {
                Some(end) if end > old_end_of_region && old_text.len() >= end => {
                    let next = logical_line_end(new_text, (end as isize + delta).max(0) as usize);
                    if next <= region_end {
                        break;
                    }
                    region_end = next;
                }
                _ => break,
            }
        }
        let old_region_end = to_old(region_end);
        let fresh = parse(new_text.get(region_start..region_end).unwrap_or(""));
        let mut out = RcFile::default();
        out.lines.extend(
            self.lines
                .iter()
                .filter(|l| l.range.end < region_start)
                .cloned(),
        );
        out.lines.extend(fresh.lines.into_iter().map(|mut l| {
            l.shift(region_start as isize);
            l
        }));
        out.lines.extend(
            self.lines
                .iter()
                .filter(|l| l.range.start > old_region_end)
                .map(|l| {
                    let mut l = l.clone();
                    l.shift(delta);
                    l
                }),
        );
        let shift_comment = |c: &LexedComment, by: isize| LexedComment {
            range: c.range.shifted(by),
        };
        out.comments.extend(
            self.comments
                .iter()
                .filter(|c| c.range.end < region_start)
                .cloned(),
        );
        out.comments.extend(
            fresh
                .comments
                .iter()
                .map(|c| shift_comment(c, region_start as isize)),
        );
        out.comments.extend(
            self.comments
                .iter()
                .filter(|c| c.range.start > old_region_end)
                .map(|c| shift_comment(c, delta)),
        );
        out
    }

    /// Every config name defined in this file (`cmd:NAME` heads), with the
    /// line index, in order.
    pub fn config_definitions(&self) -> impl Iterator<Item = (&str, usize)> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, line)| match &line.kind {
                LineKind::Options {
                    config: Some(config),
                    ..
                } => Some((config.as_str(), i)),
                _ => None,
            })
    }

    /// The index of the line containing `offset`, if any.
    pub fn line_at(&self, offset: usize) -> Option<usize> {
        let idx = self.lines.partition_point(|l| l.range.end < offset);
        let line = self.lines.get(idx)?;
        line.range.contains_offset(offset).then_some(idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_lines() {
        let src = "import %workspace%/a.rc\ntry-import b c\nbuild:cuda --x\n:odd --y\ntest --z\n";
        let file = parse(src);
        assert_eq!(file.lines.len(), 5);
        assert!(matches!(
            &file.lines[0].kind,
            LineKind::Import { optional: false, path: Some(p), .. } if &*p.text == "%workspace%/a.rc"
        ));
        assert!(matches!(
            &file.lines[1].kind,
            LineKind::Import {
                optional: true,
                path: None,
                condition: None,
            }
        ));
        assert_eq!(
            file.lines[2].kind,
            LineKind::Options {
                command: "build".into(),
                config: Some("cuda".into())
            }
        );
        assert_eq!(
            &src[file.lines[2].command_range(src).start..file.lines[2].command_range(src).end],
            "build"
        );
        let config = file.lines[2].config_range(src).expect("config range");
        assert_eq!(&src[config.start..config.end], "cuda");
        assert_eq!(
            file.lines[3].kind,
            LineKind::Options {
                command: ":odd".into(),
                config: None
            }
        );
        assert_eq!(
            file.config_definitions().collect::<Vec<_>>(),
            vec![("cuda", 2)]
        );
        assert_eq!(file.line_at(src.find("--x").expect("x")), Some(2));
        assert_eq!(file.line_at(src.len()), None);
    }

    #[test]
    fn incremental_edits_equal_a_fresh_parse() {
        const PIECES: &[&str] = &[
            "build",
            " ",
            "\t",
            "\n",
            "\r\n",
            "\\",
            "\\\n",
            "\\\r\n",
            "#",
            "'",
            "\"",
            ":",
            "=",
            "--jobs=4",
            "test:ci",
            "import",
            "%workspace%/a.rc",
            "x",
            "é",
            "\r",
        ];
        let mut rng = crate::rc::TestRng::new(0x1234_5678_9ABC_DEF1);
        let mut next = |n: usize| rng.below(n);
        for case in 0..20_000 {
            let mut old = String::new();
            for _ in 0..next(30) {
                old.push_str(PIECES[next(PIECES.len())]);
            }
            let boundaries: Vec<usize> = (0..=old.len())
                .filter(|&i| old.is_char_boundary(i))
                .collect();
            let a = boundaries[next(boundaries.len())];
            let b = boundaries[next(boundaries.len())];
            let (start, old_end) = (a.min(b), a.max(b));
            let mut insert = String::new();
            for _ in 0..next(4) {
                insert.push_str(PIECES[next(PIECES.len())]);
            }
            let new = format!("{}{insert}{}", &old[..start], &old[old_end..]);
            let edited = parse(&old).edited(&old, &new, start, old_end, start + insert.len());
            assert_eq!(
                edited,
                parse(&new),
                "case {case}: {old:?} with {start}..{old_end} replaced by {insert:?}"
            );
        }
    }

    #[test]
    fn version_conditions() {
        let v = [8, 7, 1];
        assert_eq!(version_condition_holds(">=8.7.0", v), Some(true));
        assert_eq!(version_condition_holds("<8.7.0", v), Some(false));
        assert_eq!(version_condition_holds("==8.7.1", v), Some(true));
        assert_eq!(version_condition_holds("!=8.7.1", v), Some(false));
        assert_eq!(version_condition_holds("~8.7", v), Some(true));
        assert_eq!(version_condition_holds("~8.6", v), Some(false));
        assert_eq!(version_condition_holds("~8", v), Some(true));
        assert_eq!(version_condition_holds(">9", v), Some(false));
        assert_eq!(version_condition_holds("8.7", v), None);
        assert_eq!(version_condition_holds(">=x", v), None);
        let file = parse("try-import-if-bazel-version >=9.0.0 %workspace%/b9.rc\n");
        assert!(matches!(
            &file.lines[0].kind,
            LineKind::Import { optional: true, path: Some(p), condition: Some(c) }
                if &*p.text == "%workspace%/b9.rc" && &*c.text == ">=9.0.0"
        ));
    }
}
