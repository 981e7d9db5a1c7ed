//! Parsing Starlark with tree-sitter, from scratch or incrementally.

use std::cell::RefCell;

use ropey::Rope;
use tree_sitter::{InputEdit, Language, Parser, Point, Tree};

use crate::text::AppliedEdit;

/// The tree-sitter language for Starlark.
pub fn starlark_language() -> Language {
    tree_sitter_starlark::LANGUAGE.into()
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn with_parser<R>(f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut parser = Parser::new();
            // The grammar is compiled into this binary with a matching ABI;
            // failure here is a build defect, not an input problem.
            #[allow(clippy::expect_used)]
            parser
                .set_language(&starlark_language())
                .expect("tree-sitter-starlark has an ABI this tree-sitter supports");
            parser
        });
        f(parser)
    })
}

/// Parses `rope` as Starlark. With `old`, the parse is incremental: `old`
/// must already have been edited (`Tree::edit`) to match `rope`.
pub fn parse_rope(rope: &Rope, old: Option<&Tree>) -> Tree {
    let len = rope.len_bytes();
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= len {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - chunk_start..]
    };
    with_parser(|parser| {
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
    with_parser(|parser| {
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
