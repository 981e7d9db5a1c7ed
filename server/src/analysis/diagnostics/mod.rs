//! Syntax diagnostics: tree-sitter errors, Bazel dialect rules, and
//! Starlark's own parser.

mod dialect;
mod syntax_errors;

pub use dialect::callee_name;

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::{Diagnostic, DiagnosticCode, Document};
use crate::syntax::starlark_ast::StarlarkError;
use crate::syntax::{FileKind, Nesting};
use crate::text::TextRange;

/// Every diagnostic that depends only on one top-level statement: syntax
/// errors inside it and the dialect rules it breaks.
///
/// Invariant: the result is a function of the statement's text alone (plus
/// the file kind), with ranges inside the statement. That is what lets
/// [`Document`] reuse it after edits elsewhere.
///
/// Also returns the statement's [`Nesting`] estimate, gathered on the same
/// walk.
pub fn statement_diagnostics(
    kind: FileKind,
    stmt: Node<'_>,
    rope: &Rope,
) -> (Vec<Diagnostic>, usize) {
    let mut out = Vec::new();
    if stmt.is_error() || stmt.is_missing() || stmt.has_error() {
        syntax_errors::syntax_errors(stmt, rope, &mut out);
    }
    let nesting = if !stmt.is_error() && !stmt.is_missing() {
        dialect::statement_rules(kind, stmt, rope, &mut out)
    } else {
        Nesting::of(stmt)
    };
    (out, nesting)
}

/// The diagnostic for Starlark's own first error, unless the tree-sitter
/// diagnostics already report a syntax error on that line or before it
/// (Starlark stops at its first error, so a later one is a consequence).
pub fn starlark_diagnostic(
    error: &StarlarkError,
    rope: &Rope,
    fast: &[Diagnostic],
) -> Option<Diagnostic> {
    let len = rope.len_bytes();
    let range = error.range.unwrap_or(TextRange::empty(0));
    let range = TextRange::new(range.start.min(len), range.end.min(len));
    let line = rope.byte_to_line(range.start);
    let duplicate = fast.iter().any(|d| {
        matches!(
            d.code,
            DiagnosticCode::Syntax | DiagnosticCode::UnsupportedSyntax
        ) && rope.byte_to_line(d.range.start.min(len)) <= line
    });
    if duplicate {
        return None;
    }
    // Snap to character boundaries; starlark_syntax offsets are byte offsets
    // into the same text, but be defensive.
    let start = rope.char_to_byte(rope.byte_to_char(range.start));
    let end = rope.char_to_byte(rope.byte_to_char(range.end)).max(start);
    Some(Diagnostic::error(
        DiagnosticCode::Syntax,
        TextRange::new(start, end),
        error.message.clone(),
    ))
}

/// All syntax diagnostics for a whole text, as the server would publish them
/// once its background pass is done. Runs starlark_syntax on this thread,
/// which needs [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`] of stack.
pub fn check_text(kind: FileKind, file_name: &str, text: &str) -> Vec<Diagnostic> {
    let mut doc = Document::new(kind, 0, text);
    doc.settle(file_name);
    doc.diagnostics()
}

#[cfg(test)]
mod tests;
