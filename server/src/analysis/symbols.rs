//! Document symbols: targets in BUILD-like files, functions and globals in
//! .bzl files.

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::diagnostics::callee_name;
use crate::analysis::DocumentSnapshot;
use crate::syntax::{node_range, walk_preorder, FileKind};
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A rule or macro call with `name = "..."`.
    Target,
    Function,
    /// A global assigned at the top level.
    Variable,
}

/// A symbol in one document.
///
/// Invariant: `selection` lies within `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    /// The rule kind for targets (`cc_library`), the signature for functions.
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection: TextRange,
}

/// The symbols of a Starlark document, in document order.
pub fn document_symbols(snapshot: &DocumentSnapshot) -> Vec<Symbol> {
    let Some(tree) = &snapshot.tree else {
        return Vec::new();
    };
    let rope = &snapshot.rope;
    let root = tree.root_node();
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        match stmt.kind() {
            "function_definition" => out.extend(function_symbol(stmt, rope)),
            "decorated_definition" => {
                if let Some(def) = stmt.child_by_field_name("definition") {
                    out.extend(function_symbol(def, rope));
                }
            }
            "expression_statement" => {
                let expr = stmt.named_child(0);
                match expr.map(|e| e.kind()) {
                    Some("assignment") => {
                        if let Some(assign) = expr {
                            if snapshot.kind != FileKind::Build || !is_target_assignment(assign) {
                                global_symbols(assign, stmt, rope, &mut out);
                            }
                        }
                    }
                    _ => target_symbols(stmt, rope, &mut out),
                }
            }
            _ => target_symbols(stmt, rope, &mut out),
        }
    }
    out
}

fn is_target_assignment(_assign: Node<'_>) -> bool {
    false
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

fn function_symbol(def: Node<'_>, rope: &Rope) -> Option<Symbol> {
    let name = def.child_by_field_name("name")?;
    let params = def
        .child_by_field_name("parameters")
        .map(|p| collapse_whitespace(&text(rope, p)))
        .unwrap_or_else(|| "()".to_owned());
    Some(Symbol {
        name: text(rope, name),
        detail: Some(format!("def {}{params}", text(rope, name))),
        kind: SymbolKind::Function,
        range: node_range(def),
        selection: node_range(name),
    })
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(ch);
            last_space = false;
        }
    }
    out.replace("( ", "(")
        .replace(" )", ")")
        .replace(", )", ")")
}

/// Globals bound by a top-level assignment (`X = ...`, `A, B = ...`).
fn global_symbols(assign: Node<'_>, stmt: Node<'_>, rope: &Rope, out: &mut Vec<Symbol>) {
    let Some(left) = assign.child_by_field_name("left") else {
        return;
    };
    walk_preorder(left, |node| {
        if node.kind() == "identifier" {
            out.push(Symbol {
                name: text(rope, node),
                detail: None,
                kind: SymbolKind::Variable,
                range: node_range(stmt),
                selection: node_range(node),
            });
            return false;
        }
        crate::syntax::is_destructuring(node.kind())
    });
}

/// Calls with a string `name = "..."` anywhere in a statement: targets,
/// repository rules, `bazel_dep`s.
fn target_symbols(stmt: Node<'_>, rope: &Rope, out: &mut Vec<Symbol>) {
    walk_preorder(stmt, |node| {
        if node.kind() == "function_definition" || node.kind() == "lambda" {
            return false;
        }
        if node.kind() == "call" {
            if let Some(symbol) = target_symbol(node, rope) {
                out.push(symbol);
                return false;
            }
        }
        if node.is_error() {
            broken_call_symbols(node, rope, out);
        }
        true
    });
}

/// Targets in a call that is still being typed: tree-sitter leaves
/// `rule(` `name = "x"` ... as loose children of an ERROR node.
fn broken_call_symbols(error: Node<'_>, rope: &Rope, out: &mut Vec<Symbol>) {
    let mut cursor = error.walk();
    let children: Vec<Node<'_>> = error.children(&mut cursor).collect();
    let mut callee: Option<Node<'_>> = None;
    for (i, child) in children.iter().enumerate() {
        let opens_call = children.get(i + 1).is_some_and(|next| next.kind() == "(");
        if matches!(child.kind(), "identifier" | "attribute") && opens_call {
            callee = Some(*child);
            continue;
        }
        if child.kind() != "keyword_argument" {
            continue;
        }
        let Some(function) = callee else { continue };
        let is_name = child
            .child_by_field_name("name")
            .is_some_and(|k| text(rope, k) == "name");
        let value = child.child_by_field_name("value");
        if let (true, Some(value)) = (is_name, value) {
            if let Some(name) = string_literal_value(value, rope) {
                out.push(Symbol {
                    name,
                    detail: Some(text(rope, function)),
                    kind: SymbolKind::Target,
                    range: TextRange::new(function.start_byte(), error.end_byte()),
                    selection: node_range(value),
                });
                callee = None;
            }
        }
    }
}

fn target_symbol(call: Node<'_>, rope: &Rope) -> Option<Symbol> {
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        if arg.kind() != "keyword_argument" {
            continue;
        }
        let key = arg.child_by_field_name("name")?;
        if text(rope, key) != "name" {
            continue;
        }
        let value = arg.child_by_field_name("value")?;
        let name = string_literal_value(value, rope)?;
        let function = call.child_by_field_name("function")?;
        let detail = callee_name(call, rope).unwrap_or_else(|| text(rope, function));
        return Some(Symbol {
            name,
            detail: Some(detail),
            kind: SymbolKind::Target,
            range: node_range(call),
            selection: node_range(value),
        });
    }
    None
}

pub use crate::syntax::string_literal_value;
