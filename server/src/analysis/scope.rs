//! Name binding in one Starlark file: which occurrences of a name are the
//! same variable, by Starlark's scoping rules.
//!
//! - A name is local to a function (or lambda) when it is a parameter or is
//!   assigned anywhere in its body (`=`, `+=`, `for`), outside nested
//!   functions; else it is the enclosing scope's, up to the module.
//! - Comprehension variables are local to the comprehension.
//! - A function's name binds in the scope around the function, and so do
//!   the names its parameters' default values use.
//! - At module level, `load()` binds its symbols: `"sym"` binds `sym`, and
//!   `alias = "sym"` binds `alias`.
//!
//! Keyword names in calls (`f(name = x)`: `name`) and attribute names
//! (`a.b`: `b`) are not variables.

use tree_sitter::{Node, Tree};

use crate::syntax::node_range;
use crate::text::TextRange;

/// How an occurrence uses its variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read.
    Read,
    /// Bound: assigned, a parameter, a `def`, a loop variable, a load.
    Write,
}

/// One occurrence of a variable. For a `load("m", "sym")` binding, the
/// range is the text between the quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub range: TextRange,
    pub access: Access,
}

/// A variable and every occurrence of it in the file, in text order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    /// The scope's node: the module, a function, a lambda or a
    /// comprehension.
    pub scope: TextRange,
    /// Bound at module level (visible to other files when loaded).
    pub global: bool,
    /// Bound by a `load()` of this file.
    pub loaded: bool,
    pub occurrences: Vec<Occurrence>,
}

/// The variable at `offset` (on a name, or on a load's symbol string) and
/// its occurrences. `None` elsewhere, and on keyword and attribute names.
pub fn binding_at(tree: &Tree, text: &str, offset: usize) -> Option<Binding> {
    let root = tree.root_node();
    let node = [offset, offset.saturating_sub(1)]
        .into_iter()
        .find_map(|at| {
            let node = root.descendant_for_byte_range(at, at)?;
            std::iter::successors(Some(node), |n| n.parent())
                .take(3)
                .find(|n| matches!(n.kind(), "identifier" | "string"))
        })?;
    let (name, scope) = match node.kind() {
        "identifier" => {
            if !is_variable(node) && load_alias(node, text).is_none() {
                return None;
            }
            let name = text.get(node.byte_range())?.to_string();
            let scope = resolving_scope(node, &name, text);
            (name, scope)
        }
        _ => {
            let name = load_symbol_string(node, text)?;
            (name, root)
        }
    };
    let mut occurrences = Vec::new();
    let mut loaded = false;
    collect(root, scope, &name, text, &mut occurrences, &mut loaded);
    occurrences.sort_by_key(|o| o.range.start);
    Some(Binding {
        name,
        scope: node_range(scope),
        global: scope.kind() == "module",
        loaded,
        occurrences,
    })
}

/// Whether `name` can replace a module-level variable whose occurrences
/// start at `at` without changing what any name means: the file does not
/// use `name` at module level (as a global, a load, a builtin or a rule it
/// calls), and no function, lambda or comprehension around an occurrence
/// binds it.
pub fn name_is_free(tree: &Tree, text: &str, name: &str, at: &[usize]) -> bool {
    let root = tree.root_node();
    let mut used = Vec::new();
    let mut loaded = false;
    collect(root, root, name, text, &mut used, &mut loaded);
    if !used.is_empty() {
        return false;
    }
    at.iter().all(|&offset| {
        root.descendant_for_byte_range(offset, offset)
            .is_none_or(|node| resolving_scope(node, name, text).kind() == "module")
    })
}

/// How a name local to a function, lambda or comprehension is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    /// A parameter of a function or lambda.
    Parameter,
    /// Assigned or a loop variable (also a comprehension's variable).
    Variable,
    /// A nested `def`.
    Function,
}

/// A name visible at a position that is not bound at module level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Local {
    pub name: String,
    pub kind: LocalKind,
}

/// The names bound by the functions, lambdas and comprehensions around
/// `offset`, innermost scope first, each name once (an inner binding
/// hides an outer one). Module-level names are not included: they are the
/// file's globals. Names bound after `offset` count too, as Starlark binds
/// a function's locals for its whole body.
pub fn visible_locals(tree: &Tree, rope: &ropey::Rope, offset: usize) -> Vec<Local> {
    let text = |n: Node<'_>| {
        rope.get_byte_slice(n.byte_range())
            .map(String::from)
            .unwrap_or_default()
    };
    let root = tree.root_node();
    let Some(node) = root.descendant_for_byte_range(offset.saturating_sub(1), offset) else {
        return Vec::new();
    };
    let mut out: Vec<Local> = Vec::new();
    let push = |name: String, kind: LocalKind, out: &mut Vec<Local>| {
        if !name.is_empty() && !out.iter().any(|l| l.name == name) {
            out.push(Local { name, kind });
        }
    };
    let mut names = Vec::new();
    for scope in std::iter::successors(Some(node), |n| n.parent()) {
        match scope.kind() {
            "function_definition" => {
                // Only inside the body: the parameters' defaults see the
                // scope around the function.
                let in_body = scope
                    .child_by_field_name("body")
                    .is_some_and(|b| b.start_byte() <= offset)
                    || scope
                        .child_by_field_name("parameters")
                        .is_some_and(|p| p.end_byte() <= offset);
                if !in_body {
                    continue;
                }
                if let Some(params) = scope.child_by_field_name("parameters") {
                    names.clear();
                    pattern_names(params, &mut names);
                    for n in &names {
                        push(text(*n), LocalKind::Parameter, &mut out);
                    }
                }
                if let Some(body) = scope.child_by_field_name("body") {
                    let mut bound = Vec::new();
                    body_names(body, &mut bound);
                    for (n, kind) in bound {
                        push(text(n), kind, &mut out);
                    }
                }
            }
            "lambda" => {
                if let Some(params) = scope
                    .child_by_field_name("parameters")
                    .filter(|p| p.end_byte() <= offset)
                {
                    names.clear();
                    pattern_names(params, &mut names);
                    for n in &names {
                        push(text(*n), LocalKind::Parameter, &mut out);
                    }
                }
            }
            "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "generator_expression" => {
                let mut cursor = scope.walk();
                let lefts: Vec<Node<'_>> = scope
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "for_in_clause")
                    .filter_map(|c| c.child_by_field_name("left"))
                    .collect();
                for left in lefts {
                    names.clear();
                    pattern_names(left, &mut names);
                    for n in &names {
                        push(text(*n), LocalKind::Variable, &mut out);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The identifiers a parameter list or assignment target binds (an
/// explicit stack: deep nesting cannot overflow).
fn pattern_names<'t>(pattern: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut stack = vec![pattern];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" => out.push(node),
            "default_parameter" | "typed_default_parameter" => {
                stack.extend(node.child_by_field_name("name"));
            }
            "attribute" | "subscript" | "type" => {}
            _ => {
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                stack.extend(children.into_iter().rev());
            }
        }
    }
}

/// The names a function body binds outside nested scopes, with how (an
/// explicit stack: deep nesting cannot overflow).
fn body_names<'t>(body: Node<'t>, out: &mut Vec<(Node<'t>, LocalKind)>) {
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "function_definition" => {
                out.extend(
                    node.child_by_field_name("name")
                        .map(|n| (n, LocalKind::Function)),
                );
                continue;
            }
            "lambda"
            | "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "generator_expression" => continue,
            "assignment" | "augmented_assignment" | "for_statement" => {
                if let Some(left) = node.child_by_field_name("left") {
                    let mut names = Vec::new();
                    pattern_names(left, &mut names);
                    out.extend(names.into_iter().map(|n| (n, LocalKind::Variable)));
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
}

/// Every occurrence of `name` in `scope` that resolves to it. The text is
/// searched for the name first (fast on large files), then each match is
/// checked in the tree.
fn collect(
    root: Node<'_>,
    scope: Node<'_>,
    name: &str,
    text: &str,
    out: &mut Vec<Occurrence>,
    loaded: &mut bool,
) {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let within = scope.byte_range();
    for (at, _) in text[within.clone()].match_indices(name) {
        let at = within.start + at;
        let end = at + name.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            continue;
        }
        let Some(node) = root.descendant_for_byte_range(at, end) else {
            continue;
        };
        if node.kind() == "identifier" && node.byte_range() == (at..end) {
            let alias = load_alias(node, text);
            if alias.is_some() {
                *loaded = true;
            }
            if (alias.is_some() || is_variable(node))
                && resolving_scope(node, name, text).id() == scope.id()
            {
                out.push(Occurrence {
                    range: node_range(node),
                    access: access_of(node),
                });
            }
            continue;
        }
        if scope.kind() != "module" {
            continue;
        }
        let string = std::iter::successors(Some(node), |n| n.parent())
            .take(2)
            .find(|n| n.kind() == "string");
        if let Some(string) = string {
            if load_symbol_string(string, text).as_deref() == Some(name) {
                if let Some(range) = string_content(string, text).filter(|r| r.start == at) {
                    *loaded = true;
                    out.push(Occurrence {
                        range,
                        access: Access::Write,
                    });
                }
            }
        }
    }
}

/// A name that is a variable: not a keyword argument's name, an attribute
/// name, or part of a type annotation's syntax.
fn is_variable(node: Node<'_>) -> bool {
    let Some(parent) = node.parent() else {
        return true;
    };
    match parent.kind() {
        "keyword_argument" => parent
            .child_by_field_name("name")
            .is_none_or(|n| n.id() != node.id()),
        "attribute" => parent
            .child_by_field_name("attribute")
            .is_none_or(|n| n.id() != node.id()),
        _ => true,
    }
}

/// The alias of `load(..., alias = "sym")` when `node` is one.
fn load_alias<'t>(node: Node<'t>, text: &str) -> Option<Node<'t>> {
    let keyword = node.parent().filter(|p| p.kind() == "keyword_argument")?;
    if keyword.child_by_field_name("name")?.id() != node.id() {
        return None;
    }
    load_call(keyword.parent()?, text).map(|_| keyword)
}

/// The load call whose argument list is `args`.
fn load_call<'t>(args: Node<'t>, text: &str) -> Option<Node<'t>> {
    let call = args.parent().filter(|_| args.kind() == "argument_list")?;
    let function = call.child_by_field_name("function")?;
    (call.kind() == "call" && text.get(function.byte_range()) == Some("load")).then_some(call)
}

/// The name a `load()` symbol string binds (`"sym"`, not the module and not
/// an aliased one).
fn load_symbol_string(string: Node<'_>, text: &str) -> Option<String> {
    let args = string.parent()?;
    load_call(args, text)?;
    if args.named_child(0)?.id() == string.id() {
        return None;
    }
    literal(string, text)
}

/// The value of a string literal node.
fn literal(node: Node<'_>, text: &str) -> Option<String> {
    if node.kind() != "string" || node.has_error() {
        return None;
    }
    crate::syntax::string_literal(text.get(node.byte_range())?)
}

/// The text between a string literal's quotes, when it is the value
/// itself (no escapes).
fn string_content(string: Node<'_>, text: &str) -> Option<TextRange> {
    let raw = text.get(string.byte_range())?;
    let value = literal(string, text)?;
    let start = raw.find(value.as_str())?;
    Some(TextRange::new(
        string.start_byte() + start,
        string.start_byte() + start + value.len(),
    ))
}

/// Whether `node` binds its name rather than reads it.
fn access_of(node: Node<'_>) -> Access {
    if load_alias_parent(node) {
        return Access::Write;
    }
    let mut child = node;
    while let Some(parent) = child.parent() {
        match parent.kind() {
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                let left = parent.child_by_field_name("left");
                return if left.is_some_and(|l| l.id() == child.id()) {
                    Access::Write
                } else {
                    Access::Read
                };
            }
            "function_definition" => {
                let own_name = parent.child_by_field_name("name");
                return if own_name.is_some_and(|n| n.id() == child.id()) {
                    Access::Write
                } else {
                    Access::Read
                };
            }
            "parameters" | "lambda_parameters" => return Access::Write,
            "default_parameter" | "typed_default_parameter" => {
                let value = parent.child_by_field_name("value");
                if value.is_some_and(|v| v.id() == child.id()) {
                    return Access::Read;
                }
            }
            kind if crate::syntax::is_destructuring(kind) => {}
            "list_splat_pattern" | "dictionary_splat_pattern" | "typed_parameter" => {}
            _ => return Access::Read,
        }
        child = parent;
    }
    Access::Read
}

fn load_alias_parent(node: Node<'_>) -> bool {
    node.parent().is_some_and(|p| {
        p.kind() == "keyword_argument"
            && p.child_by_field_name("name")
                .is_some_and(|n| n.id() == node.id())
    })
}

/// The scope `name` at `node` resolves to: the innermost enclosing
/// function, lambda or comprehension that binds it, else the module.
fn resolving_scope<'t>(node: Node<'t>, name: &str, text: &str) -> Node<'t> {
    let mut child = node;
    let mut at = node.parent();
    // The name is in a parameter's default value, which the nearest
    // function or lambda evaluates in the scope around it.
    let mut in_default = false;
    while let Some(scope) = at {
        match scope.kind() {
            "module" => return scope,
            "default_parameter" | "typed_default_parameter"
                if scope
                    .child_by_field_name("value")
                    .is_some_and(|v| v.id() == child.id()) =>
            {
                in_default = true;
            }
            "function_definition" => {
                let is_own_name = scope
                    .child_by_field_name("name")
                    .is_some_and(|n| n.id() == child.id());
                if !is_own_name && !in_default && function_binds(scope, name, text) {
                    return scope;
                }
                in_default = false;
            }
            "lambda" => {
                let binds = scope
                    .child_by_field_name("parameters")
                    .is_some_and(|p| pattern_binds(p, name, text));
                if binds && !in_default {
                    return scope;
                }
                in_default = false;
            }
            "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "generator_expression" => {
                let mut cursor = scope.walk();
                let binds = scope
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "for_in_clause")
                    .filter_map(|c| c.child_by_field_name("left"))
                    .any(|left| pattern_binds(left, name, text));
                if binds {
                    return scope;
                }
            }
            _ => {}
        }
        child = scope;
        at = scope.parent();
    }
    child
}

/// Whether function `def` binds `name`: a parameter, or assigned in its
/// body outside nested functions and comprehensions.
fn function_binds(def: Node<'_>, name: &str, text: &str) -> bool {
    def.child_by_field_name("parameters")
        .is_some_and(|p| pattern_binds(p, name, text))
        || def
            .child_by_field_name("body")
            .is_some_and(|b| body_binds(b, name, text))
}

/// Whether a parameter list or assignment target binds `name`.
fn pattern_binds(pattern: Node<'_>, name: &str, text: &str) -> bool {
    match pattern.kind() {
        "identifier" => text.get(pattern.byte_range()) == Some(name),
        "default_parameter" | "typed_default_parameter" => pattern
            .child_by_field_name("name")
            .is_some_and(|n| pattern_binds(n, name, text)),
        "attribute" | "subscript" => false,
        _ => {
            let mut cursor = pattern.walk();
            let binds = pattern
                .named_children(&mut cursor)
                .any(|c| pattern_binds(c, name, text));
            binds
        }
    }
}

/// Whether a statement block assigns `name` (not in nested scopes).
fn body_binds(node: Node<'_>, name: &str, text: &str) -> bool {
    match node.kind() {
        "function_definition" => {
            // A nested function binds its own name here.
            return node
                .child_by_field_name("name")
                .is_some_and(|n| text.get(n.byte_range()) == Some(name));
        }
        "lambda"
        | "list_comprehension"
        | "dictionary_comprehension"
        | "set_comprehension"
        | "generator_expression" => return false,
        "assignment" | "augmented_assignment" | "for_statement"
            if node
                .child_by_field_name("left")
                .is_some_and(|l| pattern_binds(l, name, text)) =>
        {
            return true;
        }
        _ => {}
    }
    let mut cursor = node.walk();
    let binds = node
        .named_children(&mut cursor)
        .any(|c| body_binds(c, name, text));
    binds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::cursor;
    use crate::syntax::parse_str;

    /// The occurrences of the variable at `$0`, each as `text@line:col`
    /// with `W` for a binding.
    fn check(fixture: &str, expected: &[&str]) {
        let (text, offset) = cursor(fixture);
        let tree = parse_str(&text);
        let shown: Vec<String> = binding_at(&tree, &text, offset)
            .map(|b| b.occurrences)
            .unwrap_or_default()
            .iter()
            .map(|o| {
                let before = &text[..o.range.start];
                let line = before.matches('\n').count() + 1;
                let col = o.range.start - before.rfind('\n').map_or(0, |n| n + 1) + 1;
                let w = if o.access == Access::Write { "W " } else { "" };
                format!("{w}{}@{line}:{col}", &text[o.range.start..o.range.end])
            })
            .collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn locals_stay_in_their_function() {
        let fixture =
            "x = 1\n\ndef f(a):\n    x = a\n    return x$0 + a\n\ndef g():\n    return x\n";
        check(fixture, &["W x@4:5", "x@5:12"]);
        let fixture =
            "x$0 = 1\n\ndef f(a):\n    x = a\n    return x + a\n\ndef g():\n    return x\n";
        check(fixture, &["W x@1:1", "x@8:12"]);
    }

    #[test]
    fn parameters_and_loop_variables_are_bindings() {
        check(
            "def f(a$0, b = 1):\n    for i in a:\n        b += i\n    return [a for a in b]\n",
            &["W a@1:7", "a@2:14"],
        );
        check(
            "def f(a, b = 1):\n    for i in a:\n        b += i$0\n    return b\n",
            &["W i@2:9", "i@3:14"],
        );
        check(
            "def f(a, b = 1):\n    return [a$0 for a in b if a]\n",
            &["a@2:13", "W a@2:19", "a@2:29"],
        );
    }

    #[test]
    fn functions_and_loads_bind_at_module_level() {
        check(
            "load(\":defs.bzl\", \"m\", n = \"other\")\n\ndef helper():\n    m()\n    n()\n\nm$0(name = \"a\")\n",
            &["W m@1:20", "m@4:5", "m@7:1"],
        );
        check(
            "load(\":defs.bzl\", \"m\", n$0 = \"other\")\n\nn()\n",
            &["W n@1:24", "n@3:1"],
        );
        check(
            "def helper$0():\n    pass\n\ndef main(helper = helper):\n    return helper\n",
            &["W helper@1:5", "helper@4:19"],
        );
    }

    #[test]
    fn keywords_and_attributes_are_not_variables() {
        check("name = 1\nf(na$0me = name)\n", &[]);
        check("name = 1\nx.na$0me\nf(name = name)\n", &[]);
        check(
            "name = 1\nf(name = na$0me, x = a.name)\n",
            &["W name@1:1", "name@2:10"],
        );
    }
}
