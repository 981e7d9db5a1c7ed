//! Parsing with tree-sitter, from scratch or incrementally: Starlark, and
//! rc files with our own grammar (`grammar/`, crate `tree-sitter-bazelrc`).

use std::cell::RefCell;

use ropey::Rope;
use tree_sitter::{InputEdit, Language, Parser, Point, Tree};

use crate::text::AppliedEdit;

/// The tree-sitter language for Starlark.
pub fn starlark_language() -> Language {
    tree_sitter_starlark::LANGUAGE.into()
}

/// The tree-sitter language for rc files.
pub fn bazelrc_language() -> Language {
    tree_sitter_bazelrc::LANGUAGE.into()
}

/// The grammars bzls parses with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grammar {
    Starlark,
    Bazelrc,
}

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; 2]> = const { RefCell::new([None, None]) };
}

fn with_parser<R>(grammar: Grammar, f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSERS.with(|cell| {
        let mut slots = cell.borrow_mut();
        let slot = &mut slots[grammar as usize];
        let parser = slot.get_or_insert_with(|| {
            let mut parser = Parser::new();
            let language = match grammar {
                Grammar::Starlark => starlark_language(),
                Grammar::Bazelrc => bazelrc_language(),
            };
            // The grammars are compiled into this binary with a matching
            // ABI; failure here is a build defect, not an input problem.
            #[allow(clippy::expect_used)]
            parser
                .set_language(&language)
                .expect("the grammar has an ABI this tree-sitter supports");
            parser
        });
        f(parser)
    })
}

/// Parses `rope` as Starlark. With `old`, the parse is incremental: `old`
/// must already have been edited (`Tree::edit`) to match `rope`.
pub fn parse_rope(rope: &Rope, old: Option<&Tree>) -> Tree {
    parse_rope_with(Grammar::Starlark, rope, old)
}

/// Parses `rope` with `grammar`; incremental with an edited `old` tree.
pub fn parse_rope_with(grammar: Grammar, rope: &Rope, old: Option<&Tree>) -> Tree {
    let len = rope.len_bytes();
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= len {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    };
    with_parser(grammar, |parser| {
        parser.reset();
        // Without a timeout or cancellation flag, tree-sitter always returns
        // a tree.
        #[allow(clippy::expect_used)]
        parser
            .parse_with_options(&mut read, old, None)
            .expect("a parser with a language and no cancellation returns a tree")
    })
}

/// Parses a string as Starlark from scratch.
pub fn parse_str(text: &str) -> Tree {
    parse_str_with(Grammar::Starlark, text)
}

/// Parses a string with `grammar` from scratch.
pub fn parse_str_with(grammar: Grammar, text: &str) -> Tree {
    with_parser(grammar, |parser| {
        parser.reset();
        #[allow(clippy::expect_used)]
        parser
            .parse(text, None)
            .expect("a parser with a language and no cancellation returns a tree")
    })
}

/// The tree-sitter edit that corresponds to an applied text edit.
pub fn input_edit(edit: &AppliedEdit) -> InputEdit {
    let point = |p: crate::text::TextPoint| Point::new(p.row, p.byte_col);
    InputEdit {
        start_byte: edit.start,
        old_end_byte: edit.old_end,
        new_end_byte: edit.new_end,
        start_position: point(edit.start_point),
        old_end_position: point(edit.old_end_point),
        new_end_position: point(edit.new_end_point),
    }
}

/// The S-expression of a tree, for tests and debugging.
pub fn sexp(tree: &Tree) -> String {
    tree.root_node().to_sexp()
}
