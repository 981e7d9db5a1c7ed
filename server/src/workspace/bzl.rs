//! What a .bzl file binds at its top level, read statically: functions
//! (with signature and docstring), variables, and the `load()`s.
//!
//! Starlark's top-level bindings are static, so this is exact for a file
//! that parses: a name is exported when it is bound at the top level by an
//! assignment (also tuple targets and augmented assignments), a `def`, or a
//! top-level `for`, and does not start with `_`. Loaded names are *not*
//! exported (Bazel's loads are not transitive); a file re-exports a loaded
//! symbol by assigning it (`x = _x`).

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::package::{load_decls, LoadDecl};
use crate::syntax::node_range;
use crate::text::TextRange;

/// How a global is bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GlobalKind {
    /// `def name(params):`; `signature` is `name(params)`; `forwards`
    /// the call its `**kwargs` go to, when one call takes them.
    Function {
        signature: String,
        doc: Option<String>,
        forwards: Option<Box<Forward>>,
    },
    /// `name = value`; `alias_of` is the right-hand side when it is a
    /// plain name (`x = _x`: a re-export to follow), else `None`; `rule`
    /// what `name = rule(attrs = {...})` (or `macro`, `repository_rule`)
    /// makes, read once with the file (its origin's path left out).
    Variable {
        alias_of: Option<String>,
        rule: Option<std::sync::Arc<crate::workspace::callables::Callable>>,
    },
}

/// The call a function passes its `**kwargs` to (`native.cc_library(name
/// = name, **kwargs)`), read from its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    /// The callee as written (`native.cc_library`, `_my_rule`).
    pub callee: String,
    /// The keyword arguments the call gives itself.
    pub given: Vec<String>,
    /// The body uses `kwargs` only there: every keyword a caller gives
    /// reaches the callee (no `kwargs.pop(...)`, no second call).
    pub exact: bool,
}

/// A name bound at the top level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub name: String,
    /// The name's identifier at its first binding.
    pub range: TextRange,
    /// The whole statement.
    pub statement: TextRange,
    pub kind: GlobalKind,
}

/// The top-level bindings of a .bzl file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BzlGlobals {
    /// First binding of each name, in text order.
    pub globals: Vec<Global>,
    pub loads: Vec<LoadDecl>,
    /// The file parsed without errors: a missing name is really missing.
    pub complete: bool,
}

impl BzlGlobals {
    pub fn get(&self, name: &str) -> Option<&Global> {
        self.globals.iter().find(|g| g.name == name)
    }

    /// Whether `load()` may import `name` from this file.
    pub fn exports(&self, name: &str) -> bool {
        !name.starts_with('_') && self.get(name).is_some()
    }

    /// The names another file may load, sorted.
    pub fn exported_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .globals
            .iter()
            .map(|g| g.name.as_str())
            .filter(|n| !n.starts_with('_'))
            .collect();
        names.sort_unstable();
        names
    }

    /// The load that binds local name `name`, with the exported name.
    pub fn loaded(&self, name: &str) -> Option<(&LoadDecl, &str)> {
        self.loads.iter().find_map(|load| {
            load.symbols
                .iter()
                .find(|(local, _, _)| local == name)
                .map(|(_, exported, _)| (load, exported.as_str()))
        })
    }
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

/// Reads the top-level bindings of a .bzl (or BUILD) file.
pub fn bzl_globals(tree: &Tree, rope: &Rope) -> BzlGlobals {
    let root = tree.root_node();
    let mut out = BzlGlobals {
        globals: Vec::new(),
        loads: load_decls(tree, rope),
        complete: !root.has_error(),
    };
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        statement_globals(stmt, stmt, rope, &mut out.globals);
    }
    out
}

fn push(out: &mut Vec<Global>, global: Global) {
    if !out.iter().any(|g| g.name == global.name) {
        out.push(global);
    }
}

fn statement_globals(stmt: Node<'_>, top: Node<'_>, rope: &Rope, out: &mut Vec<Global>) {
    match stmt.kind() {
        "function_definition" => {
            let Some(name) = stmt.child_by_field_name("name") else {
                return;
            };
            let params = stmt
                .child_by_field_name("parameters")
                .map(|p| text(rope, p))
                .unwrap_or_else(|| "()".to_string());
            let params = params.split_whitespace().collect::<Vec<_>>().join(" ");
            let params = params.replace("( ", "(").replace(", )", ")");
            push(
                out,
                Global {
                    name: text(rope, name),
                    range: node_range(name),
                    statement: node_range(top),
                    kind: GlobalKind::Function {
                        signature: format!("{}{params}", text(rope, name)),
                        doc: docstring(stmt, rope),
                        forwards: kwargs_forward(stmt, rope).map(Box::new),
                    },
                },
            );
        }
        "decorated_definition" => {
            if let Some(def) = stmt.child_by_field_name("definition") {
                statement_globals(def, top, rope, out);
            }
        }
        "expression_statement" => {
            let mut cursor = stmt.walk();
            for expr in stmt.named_children(&mut cursor) {
                if matches!(expr.kind(), "assignment" | "augmented_assignment") {
                    let right = expr.child_by_field_name("right");
                    let alias_of = right
                        .filter(|r| r.kind() == "identifier")
                        .map(|r| text(rope, r));
                    let rule = right
                        .filter(|r| {
                            r.kind() == "call"
                                && r.child_by_field_name("function").is_some_and(|f| {
                                    matches!(
                                        text(rope, f).as_str(),
                                        "rule"
                                            | "macro"
                                            | "repository_rule"
                                            | "provider"
                                            | "tag_class"
                                            | "module_extension"
                                            | "struct"
                                    )
                                })
                        })
                        .zip(expr.child_by_field_name("left"))
                        .filter(|(_, l)| l.kind() == "identifier")
                        .and_then(|(call, left)| {
                            use crate::workspace::callables::{
                                module_extension, starlark_rule, struct_value, Callable, Origin,
                            };
                            let name = text(rope, left);
                            let origin = Origin::StarlarkRule { path: None };
                            let function =
                                call.child_by_field_name("function").map(|f| text(rope, f));
                            // A module extension's tag classes, a struct's
                            // functions: globals bound before it.
                            let known = |global: &str| match out.iter().find(|g| g.name == global) {
                                Some(Global {
                                    kind:
                                        GlobalKind::Variable {
                                            rule: Some(rule), ..
                                        },
                                    ..
                                }) => Some((**rule).clone()),
                                Some(Global {
                                    kind: GlobalKind::Function { signature, doc, .. },
                                    ..
                                }) => Callable::from_signature(
                                    signature,
                                    doc.clone(),
                                    Origin::Function { path: None },
                                ),
                                _ => None,
                            };
                            match function.as_deref() {
                                Some("module_extension") => {
                                    module_extension(&name, call, rope, origin, &known)
                                }
                                Some("struct") => struct_value(&name, call, rope, origin, &known),
                                _ => starlark_rule(&name, call, rope, origin),
                            }
                        })
                        .map(std::sync::Arc::new);
                    if let Some(left) = expr.child_by_field_name("left") {
                        bind_targets(left, top, rope, alias_of, rule, out);
                    }
                }
            }
        }
        "for_statement" => {
            if let Some(left) = stmt.child_by_field_name("left") {
                bind_targets(left, top, rope, None, None, out);
            }
        }
        "if_statement" => {
            // Top-level `if` bodies bind globals too.
            let mut cursor = stmt.walk();
            for child in stmt.named_children(&mut cursor) {
                if matches!(child.kind(), "block" | "else_clause" | "elif_clause") {
                    let mut inner = child.walk();
                    for part in child.named_children(&mut inner) {
                        if part.kind() == "block" {
                            let mut blk = part.walk();
                            for s in part.named_children(&mut blk) {
                                statement_globals(s, s, rope, out);
                            }
                        } else {
                            statement_globals(part, part, rope, out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn bind_targets(
    target: Node<'_>,
    top: Node<'_>,
    rope: &Rope,
    alias_of: Option<String>,
    rule: Option<std::sync::Arc<crate::workspace::callables::Callable>>,
    out: &mut Vec<Global>,
) {
    match target.kind() {
        "identifier" => push(
            out,
            Global {
                name: text(rope, target),
                range: node_range(target),
                statement: node_range(top),
                kind: GlobalKind::Variable { alias_of, rule },
            },
        ),
        "pattern_list"
        | "tuple_pattern"
        | "list_pattern"
        | "tuple"
        | "list"
        | "parenthesized_expression" => {
            let mut cursor = target.walk();
            for child in target.named_children(&mut cursor) {
                bind_targets(child, top, rope, None, None, out);
            }
        }
        _ => {}
    }
}

/// The call a `def` passes its `**kwargs` parameter to: the first call
/// of its body (outside nested functions) with `**<kwargs>` among its
/// arguments. Exact when that is the only mention of the parameter.
fn kwargs_forward(def: Node<'_>, rope: &Rope) -> Option<Forward> {
    let params = def.child_by_field_name("parameters")?;
    let mut cursor = params.walk();
    let kwargs = params
        .named_children(&mut cursor)
        .find(|p| p.kind() == "dictionary_splat_pattern")
        .and_then(|p| p.named_child(0))
        .map(|n| text(rope, n))?;
    let body = def.child_by_field_name("body")?;
    let mut found: Option<Forward> = None;
    let mut mentions = 0usize;
    let mut splats = 0usize;
    // An explicit stack: deep nesting cannot overflow.
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "function_definition" | "lambda" => continue,
            "identifier" if text(rope, node) == kwargs => mentions += 1,
            "dictionary_splat" => {
                let splatted = node
                    .named_child(0)
                    .filter(|n| n.kind() == "identifier" && text(rope, *n) == kwargs);
                let call = node
                    .parent()
                    .filter(|a| a.kind() == "argument_list")
                    .and_then(|a| a.parent())
                    .filter(|c| c.kind() == "call");
                if let (Some(_), Some(call)) = (splatted, call) {
                    splats += 1;
                    if found.is_none() {
                        let callee = call.child_by_field_name("function").map(|f| text(rope, f));
                        let args = call.child_by_field_name("arguments");
                        let mut given = Vec::new();
                        if let Some(args) = args {
                            let mut cursor = args.walk();
                            for arg in args.named_children(&mut cursor) {
                                if let Some(name) = arg
                                    .child_by_field_name("name")
                                    .filter(|_| arg.kind() == "keyword_argument")
                                {
                                    given.push(text(rope, name));
                                }
                            }
                        }
                        found = callee.map(|callee| Forward {
                            callee,
                            given,
                            exact: false,
                        });
                    }
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    found.map(|mut forward| {
        forward.exact = splats == 1 && mentions == 1 && !body.has_error();
        forward
    })
}

/// The docstring of a `def`: its body's first statement when a string.
fn docstring(def: Node<'_>, rope: &Rope) -> Option<String> {
    let body = def.child_by_field_name("body")?;
    let first = body.named_child(0)?;
    let string = (first.kind() == "expression_statement")
        .then(|| first.named_child(0))
        .flatten()
        .filter(|s| s.kind() == "string")?;
    let raw = text(rope, string);
    let trimmed = raw
        .trim_start_matches(['r', 'R'])
        .trim_start_matches("\"\"\"")
        .trim_start_matches("'''")
        .trim_end_matches("\"\"\"")
        .trim_end_matches("'''")
        .trim_matches(['"', '\'']);
    Some(dedent(trimmed))
}

/// Removes the common indentation of a docstring's lines after the first.
fn dedent(doc: &str) -> String {
    let mut lines = doc.lines();
    let first = lines.next().unwrap_or("").trim().to_string();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = first;
    for line in rest {
        out.push('\n');
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_str;

    fn globals(text: &str) -> BzlGlobals {
        bzl_globals(&parse_str(text), &Rope::from_str(text))
    }

    #[test]
    fn top_level_bindings_are_exports() {
        let g = globals(
            r#"
load(":impl.bzl", _impl = "impl", "other")
def my_test(name, srcs = [], **kwargs):
    """Makes a test.

    Args:
      name: the name.
    """
    native.cc_test(name = name)

def _private():
    pass

impl = _impl
A, (B, C) = 1, (2, 3)
X = 1
X += 1
for LOOPED in []:
    pass
"#,
        );
        let names: Vec<&str> = g.globals.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["my_test", "_private", "impl", "A", "B", "C", "X", "LOOPED"]
        );
        assert!(g.exports("my_test") && g.exports("impl") && !g.exports("_private"));
        assert!(!g.exports("other"), "loaded names are not exported");
        assert_eq!(
            g.exported_names(),
            vec!["A", "B", "C", "LOOPED", "X", "impl", "my_test"]
        );
        let GlobalKind::Function {
            signature,
            doc,
            forwards,
        } = &g.get("my_test").expect("def").kind
        else {
            panic!("a function");
        };
        assert_eq!(signature, "my_test(name, srcs = [], **kwargs)");
        assert_eq!(forwards, &None, "kwargs go nowhere");
        assert_eq!(
            doc.as_deref(),
            Some("Makes a test.\n\nArgs:\n  name: the name.")
        );
        assert_eq!(
            g.get("impl").map(|g| &g.kind),
            Some(&GlobalKind::Variable {
                alias_of: Some("_impl".to_string()),
                rule: None,
            })
        );
        assert_eq!(
            g.loaded("_impl").map(|(l, e)| (l.module.as_str(), e)),
            Some((":impl.bzl", "impl"))
        );
        assert!(g.complete);
        assert!(!globals("def f(:\n").complete);
    }
}
