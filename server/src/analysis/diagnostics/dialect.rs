//! The Bazel dialect rules for each file kind, and Python syntax that
//! Starlark does not have.
//!
//! Sources: Bazel's "BUILD files" and "Starlark language" docs. BUILD and
//! WORKSPACE files allow no `def`, no `for`/`if` statements and no
//! `*args`/`**kwargs`; MODULE.bazel and REPO.bazel additionally allow no
//! `load`; .bzl files allow `for`/`if` statements only inside functions.

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::diagnostics::{Directive, StatementFacts, MODULE_DIRECTIVES};
use crate::analysis::{Diagnostic, DiagnosticCode};
use std::sync::OnceLock;

use crate::syntax::{node_range, starlark_language, walk_preorder_depth, FileKind, Nesting};
use crate::text::TextRange;

/// Which rule family applies to a file kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// BUILD and WORKSPACE.
    BuildLike,
    /// MODULE.bazel and REPO.bazel.
    ModuleLike,
    /// .bzl.
    Bzl,
    /// .star and anything else: plain Starlark.
    Plain,
}

fn family(kind: FileKind) -> Family {
    match kind {
        FileKind::Build | FileKind::Workspace => Family::BuildLike,
        FileKind::Module | FileKind::Repo => Family::ModuleLike,
        FileKind::Bzl => Family::Bzl,
        FileKind::Star | FileKind::Bazelrc => Family::Plain,
    }
}

/// A construct that a dialect rule restricts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Construct {
    /// A top-level `def`.
    Def,
    /// A top-level `for` statement.
    For,
    /// A top-level `if` statement.
    If,
    /// A top-level `load`.
    Load,
    /// `*args` in a call, anywhere.
    StarArgs,
    /// `**kwargs` in a call, anywhere.
    StarStarKwargs,
    /// A `lambda`, anywhere.
    Lambda,
}

/// The rule `kind`'s files apply to `construct`: its code and message, or
/// `None` when the construct is allowed. The one table of the dialect rules,
/// shared by the tree-sitter walk here and the AST walk in `ast_rules`.
pub fn rule(kind: FileKind, construct: Construct) -> Option<(DiagnosticCode, String)> {
    let fam = family(kind);
    let files = kind.display_name();
    let rule = match (construct, fam) {
        (Construct::Def, Family::BuildLike | Family::ModuleLike) => (
            if fam == Family::BuildLike { DiagnosticCode::BuildFileDef } else { DiagnosticCode::ModuleFileDef },
            format!("function definitions are not allowed in {files}. You may move the function to a .bzl file and load it."),
        ),
        (Construct::For, Family::BuildLike) => (
            DiagnosticCode::BuildFileFor,
            format!("for statements are not allowed in {files}. You may inline the loop, move it to a function definition (in a .bzl file), or as a last resort use a list comprehension."),
        ),
        (Construct::For, Family::ModuleLike) => (
            DiagnosticCode::ModuleFileFor,
            format!("for statements are not allowed in {files}. You may inline the loop or use a list comprehension."),
        ),
        (Construct::For, Family::Bzl) => (
            DiagnosticCode::ToplevelFor,
            "for loops are not allowed at the top level. You may move it inside a function or use a comprehension, [f(x) for x in sequence].".to_owned(),
        ),
        (Construct::If, Family::BuildLike | Family::ModuleLike) => (
            if fam == Family::BuildLike { DiagnosticCode::BuildFileIf } else { DiagnosticCode::ModuleFileIf },
            format!("if statements are not allowed in {files}. You may use an if expression for simple cases (x if condition else y)."),
        ),
        (Construct::If, Family::Bzl) => (
            DiagnosticCode::ToplevelIf,
            "if statements are not allowed at the top level. You may move it inside a function or use an if expression (x if condition else y).".to_owned(),
        ),
        (Construct::Load, Family::ModuleLike) => (
            DiagnosticCode::ModuleFileLoad,
            format!("load statements are not allowed in {files}. Use use_extension() and use_repo() to bring in repositories."),
        ),
        (Construct::Lambda, Family::BuildLike) => (
            DiagnosticCode::BuildFileDef,
            format!("functions may not be defined in {files}. You may move the function to a .bzl file and load it."),
        ),
        (Construct::Lambda, Family::ModuleLike) => (
            DiagnosticCode::ModuleFileDef,
            format!("functions may not be defined in {files}."),
        ),
        (Construct::StarArgs | Construct::StarStarKwargs, Family::BuildLike | Family::ModuleLike) => {
            let what = if construct == Construct::StarArgs { "*args" } else { "**kwargs" };
            (
                if fam == Family::BuildLike { DiagnosticCode::BuildFileArgs } else { DiagnosticCode::ModuleFileArgs },
                format!("{what} arguments are not allowed in {files}. Pass the arguments in explicitly."),
            )
        }
        _ => return None,
    };
    Some(rule)
}

/// Dialect diagnostics for one top-level statement. Returns the statement's
/// [`StatementFacts`], gathered on the same walk.
pub fn statement_rules(
    kind: FileKind,
    stmt: Node<'_>,
    rope: &Rope,
    out: &mut Vec<Diagnostic>,
) -> StatementFacts {
    let top_level = match stmt.kind() {
        "function_definition" | "decorated_definition" => {
            Some((Construct::Def, head_range(definition_of(stmt), "name")))
        }
        "for_statement" => Some((Construct::For, keyword_range(stmt))),
        "if_statement" => Some((Construct::If, keyword_range(stmt))),
        "expression_statement" => stmt
            .named_child(0)
            .filter(|c| c.kind() == "call" && callee_name(*c, rope).as_deref() == Some("load"))
            .and_then(|call| call.child_by_field_name("function"))
            .map(|function| (Construct::Load, node_range(function))),
        _ => None,
    };
    if let Some((construct, range)) = top_level {
        if let Some((code, message)) = rule(kind, construct) {
            out.push(Diagnostic::error(code, range, message));
        }
    }
    let nesting = check_nested(kind, stmt, out);
    let directive = if kind == FileKind::Module {
        first_directive(stmt, rope)
    } else {
        None
    };
    StatementFacts { nesting, directive }
}

/// The first call of a MODULE.bazel directive in a statement.
fn first_directive(stmt: Node<'_>, rope: &Rope) -> Option<Directive> {
    let mut found = None;
    walk_preorder_depth(stmt, |node, _| {
        if found.is_some() {
            return false;
        }
        if node.kind() == "call" {
            if let Some(name) = callee_name(node, rope) {
                if name == "module" {
                    let function = node.child_by_field_name("function").unwrap_or(node);
                    found = Some(Directive::Module(node_range(function)));
                } else if MODULE_DIRECTIVES.contains(&name.as_str()) {
                    found = Some(Directive::Other);
                }
            }
        }
        found.is_none()
    });
    found
}

/// Rules that apply anywhere inside a statement; returns its nesting.
fn check_nested(kind: FileKind, stmt: Node<'_>, out: &mut Vec<Diagnostic>) -> usize {
    let mut nesting = Nesting::default();
    walk_preorder_depth(stmt, |node, depth| {
        nesting.visit(node, depth);
        // One kind-id lookup decides for most nodes; ERROR nodes are left to
        // the syntax diagnostics and MISSING nodes are leaves.
        if !checked_kind(node) {
            return !node.is_error();
        }
        if node.is_missing() {
            return false;
        }
        match node.kind() {
            "list_splat" | "dictionary_splat"
                if node.parent().is_some_and(|p| p.kind() == "argument_list") =>
            {
                let construct = if node.kind() == "list_splat" {
                    Construct::StarArgs
                } else {
                    Construct::StarStarKwargs
                };
                if let Some((code, message)) = rule(kind, construct) {
                    out.push(Diagnostic::error(code, node_range(node), message));
                }
            }
            // The expression, not its keyword token (of the same kind name).
            "lambda" if node.is_named() => {
                if let Some((code, message)) = rule(kind, Construct::Lambda) {
                    let start = node.start_byte();
                    let range = TextRange::new(start, start + "lambda".len());
                    out.push(Diagnostic::error(code, range, message));
                }
            }
            _ => {
                if let Some(message) = unsupported(node) {
                    out.push(Diagnostic::error(
                        DiagnosticCode::UnsupportedSyntax,
                        unsupported_range(node),
                        message,
                    ));
                }
            }
        }
        true
    });
    nesting.value()
}

/// Node kinds that [`check_nested`] has a rule for.
const CHECKED_KINDS: &[&str] = &[
    "lambda",
    "list_splat",
    "dictionary_splat",
    "while_statement",
    "with_statement",
    "match_statement",
    "delete_statement",
    "print_statement",
    "exec_statement",
    "assert_statement",
    "decorator",
    "set",
    "set_comprehension",
    "named_expression",
    "ellipsis",
    "concatenated_string",
    "typed_parameter",
    "typed_default_parameter",
    "interpolation",
    "comparison_operator",
    "binary_operator",
    "augmented_assignment",
];

/// Whether `node`'s kind is in [`CHECKED_KINDS`], by a table indexed by
/// kind id (most nodes are not, and string matching on each is slow).
fn checked_kind(node: Node<'_>) -> bool {
    static TABLE: OnceLock<Vec<bool>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let language = starlark_language();
        (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .is_some_and(|kind| CHECKED_KINDS.contains(&kind))
            })
            .collect()
    });
    table
        .get(usize::from(node.kind_id()))
        .copied()
        .unwrap_or(false)
}

/// Python syntax that tree-sitter accepts but Starlark rejects.
fn unsupported(node: Node<'_>) -> Option<String> {
    let message = match node.kind() {
        "while_statement" => "Starlark has no `while` loops; use `for` over a range, inside a function".to_owned(),
        "with_statement" => "Starlark has no `with` statement".to_owned(),
        "match_statement" => "Starlark has no `match` statement".to_owned(),
        "delete_statement" => "Starlark has no `del` statement".to_owned(),
        "print_statement" => "`print` is a function in Starlark: write print(...)".to_owned(),
        "exec_statement" => "Starlark has no `exec` statement".to_owned(),
        "assert_statement" => "Starlark has no `assert` statement; use fail() in an if".to_owned(),
        "decorator" => "Starlark has no decorators".to_owned(),
        "set" | "set_comprehension" => "Starlark has no set literals; use a dict or set() where available".to_owned(),
        "named_expression" => "Starlark has no `:=` assignment expressions".to_owned(),
        "ellipsis" => "Starlark has no `...` (Ellipsis)".to_owned(),
        "concatenated_string" => "implicit string concatenation is not allowed in Starlark; use the `+` operator (or is a `,` missing?)".to_owned(),
        "typed_parameter" | "typed_default_parameter" => "Bazel's Starlark does not accept type annotations".to_owned(),
        "interpolation" => "Bazel's Starlark has no f-strings; use \"...\".format(...) or %".to_owned(),
        "comparison_operator" => {
            let ops = operators(node);
            if ops.iter().any(|op| *op == "is" || *op == "is not") {
                "Starlark has no `is` operator; use `==`".to_owned()
            } else if ops.len() > 1 {
                "Starlark does not chain comparisons; write `a < b and b < c`".to_owned()
            } else if ops.contains(&"<>") {
                "`<>` is not an operator; use `!=`".to_owned()
            } else {
                return None;
            }
        }
        "binary_operator" => match node.child_by_field_name("operator").map(|o| o.kind()) {
            Some("**") => "Starlark has no `**` operator".to_owned(),
            Some("@") => "Starlark has no `@` operator".to_owned(),
            _ => return None,
        },
        "augmented_assignment" => match node.child_by_field_name("operator").map(|o| o.kind()) {
            Some("**=") => "Starlark has no `**=` operator".to_owned(),
            Some("@=") => "Starlark has no `@=` operator".to_owned(),
            _ => return None,
        },
        _ => return None,
    };
    Some(message)
}

/// The comparison operators of a `comparison_operator` node, with the
/// two-token operators `not in` and `is not` joined.
fn operators(node: Node<'_>) -> Vec<&'static str> {
    let mut tokens = Vec::new();
    let mut cursor = node.walk();
    for (i, child) in node.children(&mut cursor).enumerate() {
        let is_operator = u32::try_from(i)
            .ok()
            .and_then(|i| node.field_name_for_child(i))
            == Some("operators");
        if is_operator {
            tokens.push(child.kind());
        }
    }
    let mut ops = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match (tokens[i], tokens.get(i + 1).copied()) {
            // tree-sitter gives each of the two tokens the aliased kind.
            ("not in", Some("not in")) | ("not", Some("in")) => {
                ops.push("not in");
                i += 2;
            }
            ("is not", Some("is not")) | ("is", Some("not")) => {
                ops.push("is not");
                i += 2;
            }
            (op, _) => {
                ops.push(match op {
                    "<" => "<",
                    ">" => ">",
                    "<=" => "<=",
                    ">=" => ">=",
                    "==" => "==",
                    "!=" => "!=",
                    "in" => "in",
                    "is" => "is",
                    "<>" => "<>",
                    // Aliased two-token operators.
                    "not in" => "not in",
                    "is not" => "is not",
                    _ => "?",
                });
                i += 1;
            }
        }
    }
    ops
}

/// Where to put an unsupported-syntax squiggle: the keyword of a statement,
/// or the whole node for expressions.
fn unsupported_range(node: Node<'_>) -> TextRange {
    if node.kind().ends_with("_statement") {
        keyword_range(node)
    } else {
        node_range(node)
    }
}

/// The range of a statement's leading keyword.
fn keyword_range(stmt: Node<'_>) -> TextRange {
    stmt.child(0).map_or(node_range(stmt), node_range)
}

/// `def name` for a definition: from its start through its name field.
fn head_range(def: Node<'_>, field: &str) -> TextRange {
    match def.child_by_field_name(field) {
        Some(name) => TextRange::new(def.start_byte(), name.end_byte()),
        None => keyword_range(def),
    }
}

fn definition_of(stmt: Node<'_>) -> Node<'_> {
    if stmt.kind() == "decorated_definition" {
        stmt.child_by_field_name("definition").unwrap_or(stmt)
    } else {
        stmt
    }
}

/// The name of a call's function when it is a plain identifier.
pub fn callee_name(call: Node<'_>, rope: &Rope) -> Option<String> {
    let function = call.child_by_field_name("function")?;
    (function.kind() == "identifier").then(|| rope.byte_slice(function.byte_range()).to_string())
}
