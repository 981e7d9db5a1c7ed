//! The `.bazelrc` model: rc files lexed as Bazel lexes them, the chain of
//! files a workspace reads, and the effective options of a command with the
//! provenance of each.
//!
//! Everything here is plain data computed without I/O: callers hand file
//! contents in through [`chain::RcReader`].

pub mod chain;
pub mod expand;
pub mod file;
pub mod format;
pub mod lexer;
pub mod options;
pub mod schema;

pub use chain::{RcChain, RcReader, RcRoot, ReadError};
pub use expand::{expand, EffectiveOption, ExpandError, ExpandErrorKind, Expansion, OptionSource};
pub use schema::{FlagSchema, FlagShape, NoSchema};

/// A small deterministic random generator for the randomized tests.
#[cfg(test)]
pub(crate) struct TestRng(u64);

#[cfg(test)]
impl TestRng {
    pub(crate) fn new(seed: u64) -> TestRng {
        TestRng(seed.max(1))
    }

    /// A number below `n` (xorshift64).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tree_agreement {
    //! The rc grammar's word nodes and the lexer's words agree: the tree the
    //! editor features see covers the same words the model reads.

    use crate::syntax::{parse_str_with, walk_preorder, Grammar};
    use crate::text::TextRange;

    const WORD_NODES: &[&str] = &[
        "command",
        "flag",
        "value",
        "target_separator",
        "target_pattern",
        "import_path",
    ];

    fn tree_words(text: &str) -> Vec<TextRange> {
        let tree = parse_str_with(Grammar::Bazelrc, text);
        let mut out = Vec::new();
        walk_preorder(tree.root_node(), |node| {
            let kind = node.kind();
            if WORD_NODES.contains(&kind) || kind == "import" || kind == "try-import" {
                if kind == "import" && node.is_named() {
                    // The keyword child is the word; the path is visited.
                    return true;
                }
                out.push(TextRange::new(node.start_byte(), node.end_byte()));
                return false;
            }
            true
        });
        out.sort();
        out
    }

    fn lexer_words(text: &str) -> Vec<TextRange> {
        let mut out: Vec<TextRange> = super::lexer::lex(text)
            .lines
            .iter()
            .flat_map(|l| l.words.iter().map(|w| w.range))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn sample() {
        let text = "build:cuda --copt=\"-O2 -g\" -c opt # c\nimport %workspace%/a.rc\ntest -- //x/... -//y\n";
        let words = tree_words(text);
        assert_eq!(words.len(), 10, "{words:?}");
        assert_eq!(words, lexer_words(text));
    }

    #[test]
    fn agree_on_realistic_random_files() {
        const PIECES: &[&str] = &[
            "build",
            "test:ci",
            "common",
            "build:cuda",
            "startup",
            "try-import",
            "import",
            "%workspace%/x.rc",
            "--jobs=4",
            "-c",
            "opt",
            "--copt=\"-O2 -g\"",
            "'quoted word'",
            "a\\ b",
            "--define",
            "x=1",
            "--config=cuda",
            "--",
            "//foo/...",
            "-//bar:baz",
            "--nokeep_going",
            "--//my:flag=1",
            "--x=#y",
            "# a comment",
            "\\\n",
            "\\\r\n",
            "--fo\\\no",
        ];
        const GAPS: &[&str] = &[" ", "  ", "\t", "\n", "\n\n", " \n", "\r\n"];
        let mut rng = super::TestRng::new(0x2545_F491_4F6C_DD1D);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..3_000 {
            let mut text = String::new();
            for _ in 0..next(24) + 1 {
                text.push_str(PIECES[next(PIECES.len())]);
                text.push_str(GAPS[next(GAPS.len())]);
            }
            assert_eq!(tree_words(&text), lexer_words(&text), "input {text:?}");
        }
    }
}
