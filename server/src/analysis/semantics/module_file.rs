//! The rules of MODULE.bazel's `include()` (Bazel 7.2 and later), in
//! Bazel's words (code `module-file-include`):
//!
//! - a top-level `include(...)` statement takes exactly one positional
//!   argument, a string literal;
//! - `include` appears nowhere else (not assigned, not an argument, not in
//!   an expression), unless the file binds `include` itself; `x.include`
//!   is another name;
//! - the label starts with `//` and names a file ending in `.MODULE.bazel`.

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::{Diagnostic, DiagnosticCode};
use crate::syntax::node_range;

const MAX_DEPTH: usize = 400;

/// The `include()` diagnostics of a MODULE.bazel file's tree.
pub fn include_diagnostics(root: Node<'_>, rope: &Rope) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = |n: Node<'_>| {
        rope.get_byte_slice(n.byte_range())
            .map(String::from)
            .unwrap_or_default()
    };
    let mut cursor = root.walk();
    let statements: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
    let rebound = statements.iter().any(|s| binds_include(*s, &text));
    if rebound {
        return out;
    }
    for stmt in statements {
        if stmt.has_error() {
            continue;
        }
        let call = (stmt.kind() == "expression_statement")
            .then(|| stmt.named_child(0))
            .flatten()
            .filter(|c| c.kind() == "call")
            .filter(|c| {
                c.child_by_field_name("function")
                    .is_some_and(|f| f.kind() == "identifier" && text(f) == "include")
            });
        match call {
            Some(call) => {
                check_include_call(call, rope, &text, &mut out);
                // Its arguments may not use `include` either.
                if let Some(args) = call.child_by_field_name("arguments") {
                    misplaced(args, &text, &mut out, 0);
                }
            }
            None => misplaced(stmt, &text, &mut out, 0),
        }
    }
    out
}

fn check_include_call(
    call: Node<'_>,
    _rope: &Rope,
    text: &dyn Fn(Node<'_>) -> String,
    out: &mut Vec<Diagnostic>,
) {
    let Some(args) = call.child_by_field_name("arguments") else {
        return;
    };
    let mut cursor = args.walk();
    let list: Vec<Node<'_>> = args
        .named_children(&mut cursor)
        .filter(|a| a.kind() != "comment")
        .collect();
    let literal = match list.as_slice() {
        [only] if only.kind() == "string" => {
            crate::syntax::string_literal(&text(*only)).map(|v| (v, *only))
        }
        _ => None,
    };
    let Some((label, node)) = literal else {
        out.push(Diagnostic::error(
            DiagnosticCode::ModuleFileInclude,
            node_range(call),
            "the `include` directive MUST be called with exactly one positional argument that is a string literal",
        ));
        return;
    };
    let problem = if !label.starts_with("//") {
        Some("include() must be called with main repo labels (starting with double slashes)")
    } else if !label.ends_with(".MODULE.bazel") {
        Some("the file to be included must have a name ending in '.MODULE.bazel'")
    } else {
        None
    };
    if let Some(problem) = problem {
        out.push(Diagnostic::error(
            DiagnosticCode::ModuleFileInclude,
            node_range(node),
            format!("bad include label '{label}': {problem}"),
        ));
    }
}

/// Reports every `include` identifier under `node` that is not an
/// attribute name (`x.include`) or a keyword argument's name.
fn misplaced(
    node: Node<'_>,
    text: &dyn Fn(Node<'_>) -> String,
    out: &mut Vec<Diagnostic>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match node.kind() {
        "identifier" => {
            if text(node) == "include" {
                out.push(Diagnostic::error(
                    DiagnosticCode::ModuleFileInclude,
                    node_range(node),
                    "the `include` directive MUST be called directly at the top-level",
                ));
            }
        }
        "attribute" => {
            if let Some(object) = node.child_by_field_name("object") {
                misplaced(object, text, out, depth + 1);
            }
        }
        "keyword_argument" => {
            if let Some(value) = node.child_by_field_name("value") {
                misplaced(value, text, out, depth + 1);
            }
        }
        "string" | "comment" => {}
        _ => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                misplaced(child, text, out, depth + 1);
            }
        }
    }
}

/// Whether a top-level statement assigns `include`.
fn binds_include(stmt: Node<'_>, text: &dyn Fn(Node<'_>) -> String) -> bool {
    let assignment = if stmt.kind() == "expression_statement" {
        stmt.named_child(0)
    } else {
        Some(stmt)
    };
    let Some(assignment) = assignment.filter(|a| a.kind() == "assignment") else {
        return false;
    };
    let Some(left) = assignment.child_by_field_name("left") else {
        return false;
    };
    let mut stack = vec![left];
    while let Some(node) = stack.pop() {
        if node.kind() == "identifier" && text(node) == "include" {
            return true;
        }
        if node.kind() != "attribute" && node.kind() != "subscript" {
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
    }
    false
}
