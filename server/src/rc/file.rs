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
    Import { optional: bool, path: Option<Word> },
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

impl RcFile {
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
            LineKind::Import { optional: false, path: Some(p) } if &*p.text == "%workspace%/a.rc"
        ));
        assert!(matches!(
            &file.lines[1].kind,
            LineKind::Import {
                optional: true,
                path: None
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
}
