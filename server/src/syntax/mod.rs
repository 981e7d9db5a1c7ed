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

/// Whether a node of this kind holds assignment targets in brackets or
/// commas (`a, b = ...`, `[a, b] = ...`, `(a) = ...`).
pub fn is_destructuring(kind: &str) -> bool {
    matches!(
        kind,
        "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression"
    )
}

/// The value of a string literal node, escapes decoded (see
/// [`string_literal`]); `None` for other nodes and broken literals.
pub fn string_literal_value(node: tree_sitter::Node<'_>, rope: &ropey::Rope) -> Option<String> {
    if node.kind() != "string" || node.has_error() {
        return None;
    }
    string_literal(&rope.byte_slice(node.byte_range()).to_string())
}

/// The value of a Starlark string literal written as `text` (quotes and an
/// optional `r` prefix included), escapes decoded; `None` for a bytes
/// literal, an unclosed one, or an escape Starlark rejects.
pub fn string_literal(text: &str) -> Option<String> {
    let (raw, quoted) = match text.as_bytes().first()? {
        b'r' | b'R' => (true, &text[1..]),
        b'"' | b'\'' => (false, text),
        _ => return None,
    };
    let quote = ["\"\"\"", "\'\'\'", "\"", "\'"]
        .into_iter()
        .find(|q| quoted.starts_with(q))?;
    let body = quoted
        .get(quote.len()..quoted.len().checked_sub(quote.len())?)
        .filter(|_| quoted.len() >= 2 * quote.len() && quoted.ends_with(quote))?;
    if raw || !body.contains('\\') {
        return Some(body.to_string());
    }
    unescape(body)
}

/// Where `value` starts in the string literal `raw` (quotes and prefix
/// included) when the literal holds it as is, with no escapes.
pub fn value_offset(raw: &str, value: &str) -> Option<usize> {
    let prefix = usize::from(raw.starts_with(['r', 'R']));
    let quoted = raw.get(prefix..)?;
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| quoted.starts_with(q))?
        .len();
    let inner = quoted.get(quote..quoted.len().checked_sub(quote)?)?;
    (inner == value).then_some(prefix + quote)
}

/// Decodes Starlark's escape sequences in a non-raw string body; `None` for
/// an escape Starlark rejects.
fn unescape(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = chars.next()?;
        let decoded = match escaped {
            '\n' => continue, // a line continuation
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '\\' | '\'' | '"' => escaped,
            '0'..='7' => {
                let mut value = escaped.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(value)?
            }
            'x' | 'u' | 'U' => {
                let digits = match escaped {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut value = 0u32;
                for _ in 0..digits {
                    value = value * 16 + chars.next()?.to_digit(16)?;
                }
                char::from_u32(value)?
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}
