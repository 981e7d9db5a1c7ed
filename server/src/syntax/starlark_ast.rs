//! starlark_syntax, for Starlark's own parser and its messages.
//!
//! starlark_syntax stops at the first error and returns no tree at all for a
//! broken file, so keystroke features use the tree-sitter tree; this parse
//! runs in the background and its last good AST is kept.
//!
//! Invariant: its parser and AST are recursive, so [`parse_starlark`] must be
//! called on a thread with a large stack ([`STARLARK_STACK_SIZE`]), and it
//! refuses trees nested deeper than [`MAX_STARLARK_DEPTH`].

use std::sync::Arc;

use starlark_syntax::syntax::{AstModule, Dialect};
use tree_sitter::Tree;

use crate::text::TextRange;

/// Stack size for threads that run [`parse_starlark`].
pub const STARLARK_STACK_SIZE: usize = 64 * 1024 * 1024;

/// Deepest tree-sitter nesting handed to starlark_syntax.
pub const MAX_STARLARK_DEPTH: usize = 1_000;

/// Bazel's Starlark: `def` with keyword-only parameters, `lambda`, `load`; no
/// type annotations and no f-strings. Top-level `if`/`for` are left to bzls's
/// own dialect rules, which know the file kind.
fn bazel_dialect() -> Dialect {
    Dialect {
        enable_keyword_only_arguments: true,
        enable_top_level_stmt: true,
        ..Dialect::Standard
    }
}

/// The outcome of running starlark_syntax over a text.
#[derive(Clone, Debug)]
pub enum StarlarkParse {
    /// The text parsed; the AST is shared so it can outlive later broken edits.
    Parsed(Arc<AstModule>),
    /// Starlark's first error.
    Error(StarlarkError),
    /// The text nests deeper than [`MAX_STARLARK_DEPTH`]; not parsed.
    TooDeep { depth: usize },
}

/// Starlark's own message for the first error in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarlarkError {
    pub range: Option<TextRange>,
    pub message: String,
}

/// An upper estimate of how deeply a recursive-descent parser would nest on
/// this text: the tree's depth, the deepest bracket nesting among its tokens
/// (an unclosed `[[[[` is flat in an ERROR node but deep to a parser), and the
/// longest run of prefix operators. Computed without recursion.
pub fn nesting_estimate(tree: &Tree) -> usize {
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut brackets = 0usize;
    let mut prefix_run = 0usize;
    loop {
        let node = cursor.node();
        if node.child_count() == 0 {
            match node.kind() {
                "(" | "[" | "{" => brackets += 1,
                ")" | "]" | "}" => brackets = brackets.saturating_sub(1),
                _ => {}
            }
            prefix_run = match node.kind() {
                "not" | "-" | "+" | "~" | "lambda" => prefix_run + 1,
                _ => 0,
            };
            max = max.max(brackets).max(prefix_run);
        }
        if cursor.goto_first_child() {
            depth += 1;
            max = max.max(depth);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return max;
            }
            depth -= 1;
        }
    }
}

/// Parses `text` with starlark_syntax. `tree` is the tree-sitter tree of the
/// same text, used to refuse pathological nesting before recursing.
pub fn parse_starlark(file_name: &str, text: &str, tree: &Tree) -> StarlarkParse {
    let depth = nesting_estimate(tree);
    if depth > MAX_STARLARK_DEPTH {
        return StarlarkParse::TooDeep { depth };
    }
    match AstModule::parse(file_name, text.to_owned(), &bazel_dialect()) {
        Ok(ast) => StarlarkParse::Parsed(Arc::new(ast)),
        Err(err) => {
            let range = err.span().map(|span| {
                let start = span.span.begin().get() as usize;
                let end = span.span.end().get() as usize;
                TextRange::new(start.min(text.len()), end.clamp(start, text.len()))
            });
            let message = first_line(&err.without_diagnostic().to_string());
            StarlarkParse::Error(StarlarkError { range, message })
        }
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}
