//! Syntax: file kinds, tree-sitter trees of Starlark, and starlark_syntax ASTs.
//!
//! Invariants:
//! - Parsing never fails: every text yields a tree, with ERROR and MISSING
//!   nodes where the text is broken.
//! - Nothing here knows about LSP or does I/O.
//! - Tree walks are iterative (tree cursors), so a deeply nested text cannot
//!   overflow the stack.

mod file_kind;
mod parse;
pub mod starlark_ast;

pub use file_kind::FileKind;
pub use parse::{
    bazelrc_language, input_edit, parse_rope, parse_rope_with, parse_str, parse_str_with, sexp,
    starlark_language, Grammar,
};
pub use starlark_ast::Nesting;

use tree_sitter::Node;

use crate::text::TextRange;

/// The byte range of a node.
pub fn node_range(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

/// Calls `visit` on `root` and its descendants in document order, without
/// recursion. `visit` returns whether to descend into the node's children.
pub fn walk_preorder<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    walk_preorder_depth(root, |node, _| visit(node));
}

/// Like [`walk_preorder`], also passing each node's depth below `root`.
pub fn walk_preorder_depth<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>, usize) -> bool) {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        let descend = visit(cursor.node(), depth);
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}
