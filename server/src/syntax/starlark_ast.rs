//! starlark_syntax, for Starlark's own parser and its messages.
//!
//! starlark_syntax stops at the first error and returns no tree at all for a
//! broken file, so keystroke features use the tree-sitter tree; this parse
//! runs in the background and its last good AST is kept.
//!
//! Invariant: its parser and AST are recursive, so [`parse_starlark`] must be
//! called on a thread with a large stack ([`STARLARK_STACK_SIZE`]), and it
//! refuses trees nested deeper than [`MAX_STARLARK_DEPTH`].

use std::sync::{Arc, OnceLock};

use starlark_syntax::syntax::{AstModule, Dialect};
use tree_sitter::Node;

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
/// some text, accumulated over a walk of its tree: the tree's depth, the
/// deepest bracket nesting among its tokens (an unclosed `[[[[` is flat in an
/// ERROR node but deep to a parser), and the longest run of prefix
/// operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nesting {
    max: usize,
    brackets: usize,
    prefix_run: usize,
}

impl Nesting {
    /// Records one node of the walk, at `depth` below the walk's root.
    pub fn visit(&mut self, node: Node<'_>, depth: usize) {
        self.max = self.max.max(depth);
        match token_class(node.kind_id()) {
            TokenClass::Open => self.brackets += 1,
            TokenClass::Close => self.brackets = self.brackets.saturating_sub(1),
            TokenClass::Prefix => {
                self.prefix_run += 1;
                self.max = self.max.max(self.prefix_run);
                return;
            }
            TokenClass::Other => {
                // Any other node breaks a run: nested prefix operators in a
                // well-formed tree count through the tree's depth, and flat
                // runs in ERROR nodes through `prefix_run`.
                self.prefix_run = 0;
                return;
            }
        }
        self.prefix_run = 0;
        self.max = self.max.max(self.brackets);
    }

    /// The estimate for everything visited so far.
    pub fn value(self) -> usize {
        self.max
    }

    /// The estimate for a whole subtree.
    pub fn of(root: Node<'_>) -> usize {
        let mut nesting = Nesting::default();
        crate::syntax::walk_preorder_depth(root, |node, depth| {
            nesting.visit(node, depth);
            true
        });
        nesting.value()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenClass {
    Open,
    Close,
    Prefix,
    Other,
}

/// The class of a node kind, by a table indexed by kind id.
fn token_class(kind_id: u16) -> TokenClass {
    static TABLE: OnceLock<Vec<TokenClass>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let language = crate::syntax::starlark_language();
        (0..language.node_kind_count())
            .map(|id| {
                let kind = u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id));
                match kind {
                    Some("(" | "[" | "{") => TokenClass::Open,
                    Some(")" | "]" | "}") => TokenClass::Close,
                    Some("not" | "-" | "+" | "~" | "lambda") => TokenClass::Prefix,
                    _ => TokenClass::Other,
                }
            })
            .collect()
    });
    table
        .get(usize::from(kind_id))
        .copied()
        .unwrap_or(TokenClass::Other)
}

/// Parses `text` with starlark_syntax. `depth` is the text's [`Nesting`]
/// estimate (plus one for the module), used to refuse pathological nesting
/// before recursing.
pub fn parse_starlark(file_name: &str, text: &str, depth: usize) -> StarlarkParse {
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
