//! Syntax diagnostics: tree-sitter errors, Bazel dialect rules, and
//! Starlark's own parser.

pub mod ast_rules;
mod dialect;
mod syntax_errors;

pub use dialect::callee_name;

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::{Diagnostic, DiagnosticCode, Document};
use crate::syntax::starlark_ast::{self, parse_starlark, StarlarkError, StarlarkParse};
use crate::syntax::{FileKind, Nesting};
use crate::text::TextRange;

/// Every diagnostic that depends only on one top-level statement: syntax
/// errors inside it and the dialect rules it breaks.
///
/// Invariant: the result is a function of the statement's text alone (plus
/// the file kind), with ranges inside the statement. That is what lets
/// [`Document`] reuse it after edits elsewhere.
///
/// Also returns the statement's [`StatementFacts`], gathered on the same
/// walk.
pub fn statement_diagnostics(
    kind: FileKind,
    stmt: Node<'_>,
    rope: &Rope,
) -> (Vec<Diagnostic>, StatementFacts) {
    let mut out = Vec::new();
    if stmt.is_error() || stmt.is_missing() || stmt.has_error() {
        syntax_errors::syntax_errors(stmt, rope, &mut out);
    }
    let facts = if !stmt.is_error() && !stmt.is_missing() {
        dialect::statement_rules(kind, stmt, rope, &mut out)
    } else {
        StatementFacts {
            nesting: Nesting::of(stmt),
            directive: None,
        }
    };
    (out, facts)
}

/// What file-level rules need to know about one top-level statement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatementFacts {
    /// The statement's [`Nesting`] estimate.
    pub nesting: usize,
    /// In MODULE.bazel: the first MODULE.bazel directive the statement calls.
    pub directive: Option<Directive>,
}

/// A call of a MODULE.bazel directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `module(...)`, with the range of its name.
    Module(TextRange),
    /// Any other directive (`bazel_dep`, `use_extension`, ...).
    Other,
}

impl StatementFacts {
    pub(crate) fn shift(&mut self, delta: isize) {
        if let Some(Directive::Module(range)) = &mut self.directive {
            *range = range.shifted(delta);
        }
    }
}

/// MODULE.bazel's directives, which `module()` must precede.
pub const MODULE_DIRECTIVES: &[&str] = &[
    "archive_override",
    "bazel_dep",
    "flag_alias",
    "git_override",
    "include",
    "inject_repo",
    "local_path_override",
    "multiple_version_override",
    "override_repo",
    "register_execution_platforms",
    "register_toolchains",
    "single_version_override",
    "use_extension",
    "use_repo",
    "use_repo_rule",
];

/// The file-level rule of MODULE.bazel files: `module()` is called at most
/// once and, if called, before any other directive. `directives` are the
/// top-level statements' directives, in order.
pub fn module_order(
    kind: FileKind,
    directives: impl Iterator<Item = Option<Directive>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if kind != FileKind::Module {
        return out;
    }
    let (mut other_seen, mut module_seen) = (false, false);
    for directive in directives.flatten() {
        match directive {
            Directive::Other => other_seen = true,
            Directive::Module(range) => {
                if module_seen {
                    out.push(Diagnostic::error(
                        DiagnosticCode::ModuleFileOrder,
                        range,
                        "the module() directive can only be called once",
                    ));
                } else if other_seen {
                    out.push(Diagnostic::error(
                        DiagnosticCode::ModuleFileOrder,
                        range,
                        "if module() is called, it must be called before any other functions",
                    ));
                }
                module_seen = true;
            }
        }
    }
    out
}

/// The diagnostic for Starlark's own first error, unless it is
/// [`superseded`] by the tree-sitter diagnostics.
pub fn starlark_diagnostic(
    error: &StarlarkError,
    rope: &Rope,
    fast: &[Diagnostic],
) -> Option<Diagnostic> {
    let len = rope.len_bytes();
    let range = error.range.unwrap_or(TextRange::empty(0));
    let range = TextRange::new(range.start.min(len), range.end.min(len));
    // Snap to character boundaries; starlark_syntax offsets are byte offsets
    // into the same text, but be defensive.
    let start = rope.char_to_byte(rope.byte_to_char(range.start));
    let end = rope.char_to_byte(rope.byte_to_char(range.end)).max(start);
    let diagnostic = Diagnostic::error(
        DiagnosticCode::Syntax,
        TextRange::new(start, end),
        error.message.clone(),
    );
    (!superseded(&diagnostic, fast, rope)).then_some(diagnostic)
}

/// Whether tree-sitter's diagnostics `fast` already report a syntax error on
/// the line of Starlark's diagnostic `d`, or before it: Starlark stops at its
/// first error, so a later one is a consequence of the earlier.
pub fn superseded(d: &Diagnostic, fast: &[Diagnostic], rope: &Rope) -> bool {
    let len = rope.len_bytes();
    let line = rope.byte_to_line(d.range.start.min(len));
    fast.iter().any(|f| {
        matches!(
            f.code,
            DiagnosticCode::Syntax | DiagnosticCode::UnsupportedSyntax
        ) && rope.byte_to_line(f.range.start.min(len)) <= line
    })
}

/// All syntax diagnostics for a whole text, as the server would publish them
/// once its background pass is done. Runs starlark_syntax on this thread,
/// which needs [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`] of stack.
///
/// A text that starlark_syntax parses is checked on its AST alone (see
/// [`ast_rules`]); any other goes through a [`Document`] as in the server.
pub fn check_text(kind: FileKind, file_name: &str, text: &str) -> Vec<Diagnostic> {
    if kind.is_starlark() && starlark_ast::shallow_enough(text) {
        if let StarlarkParse::Parsed(ast) = parse_starlark(file_name, text, 0) {
            return ast_rules::ast_rules(kind, &ast);
        }
    }
    check_text_with_tree(kind, file_name, text)
}

/// The syntax diagnostics of a text being opened, from starlark_syntax
/// alone, with its parse (to install in the [`Document`], see
/// [`Document::accept_open_parse`]): `None` unless the text parses. They
/// are then the document's settled syntax diagnostics (the AST path agrees
/// with the tree path, as for [`check_text`]), and come several times
/// sooner than a tree-sitter parse of a large file. Needs
/// [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`] of stack.
pub fn open_check(
    kind: FileKind,
    file_name: &str,
    text: &str,
) -> Option<(Vec<Diagnostic>, StarlarkParse)> {
    if !kind.is_starlark() || !starlark_ast::shallow_enough(text) {
        return None;
    }
    match parse_starlark(file_name, text, 0) {
        StarlarkParse::Parsed(ast) => {
            let diagnostics = ast_rules::ast_rules(kind, &ast);
            Some((diagnostics, StarlarkParse::Parsed(ast)))
        }
        _ => None,
    }
}

/// [`check_text`] through a [`Document`], exactly as the server computes
/// diagnostics.
pub fn check_text_with_tree(kind: FileKind, file_name: &str, text: &str) -> Vec<Diagnostic> {
    let mut doc = Document::new(kind, 0, text);
    doc.settle(file_name);
    doc.diagnostics()
}

#[cfg(test)]
mod tests;
