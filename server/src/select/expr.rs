//! A static reading of a BUILD file's rule calls: their attributes as plain
//! values, with `select()` kept as a value of its own so that it can be
//! configured later. Anything that is not a literal (a variable, a function
//! call other than `select()`) is [`Value::Unknown`]: the reading never
//! guesses.

use ropey::Rope;
use tree_sitter::{Node, Tree};

use crate::analysis::symbols::string_literal_value;
use crate::syntax::node_range;
use crate::text::TextRange;

/// A statically known attribute value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String, TextRange),
    Int(i64),
    Bool(bool),
    None,
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Select(Select),
    /// `a + b + ...`, left to right, flattened.
    Concat(Vec<Value>),
    /// Not a literal: a variable, a call, a comprehension, an error.
    Unknown(TextRange),
}

/// One `select({...})` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    /// The whole call.
    pub range: TextRange,
    /// The `select` callee (for hover on `select(`).
    pub callee_range: TextRange,
    pub branches: Vec<Branch>,
    /// `no_match_error = "..."`, when given as a literal.
    pub no_match_error: Option<String>,
    /// The dict is not a literal with string keys (`select(CONDITIONS)`),
    /// so the branches are not all known.
    pub opaque: bool,
}

/// One key of a select and its value. Keys of `selects.with_or` tuples are
/// spread into one branch each, sharing the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The key as written (`:opt`, `//conditions:default`).
    pub key: String,
    pub key_range: TextRange,
    pub value: Value,
}

/// One top-level rule or macro call of a BUILD file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCall {
    /// The callee as written: `config_setting`, `selects.config_setting_group`.
    pub kind: String,
    /// The string `name`, when it is a literal.
    pub name: Option<String>,
    pub name_range: Option<TextRange>,
    pub range: TextRange,
    pub attrs: Vec<Attr>,
}

/// One keyword argument of a [`RuleCall`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub name_range: TextRange,
    pub value: Value,
}

impl RuleCall {
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|a| a.name == name).map(|a| &a.value)
    }
}

impl Value {
    /// The string, when the value is a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether a `select()` appears anywhere inside.
    pub fn has_select(&self) -> bool {
        match self {
            Value::Select(_) => true,
            Value::List(items) | Value::Tuple(items) | Value::Concat(items) => {
                items.iter().any(Value::has_select)
            }
            Value::Dict(entries) => entries
                .iter()
                .any(|(k, v)| k.has_select() || v.has_select()),
            _ => false,
        }
    }

    /// Every `select()` inside, in text order.
    pub fn selects(&self) -> Vec<&Select> {
        let mut out = Vec::new();
        self.collect_selects(&mut out);
        out
    }

    fn collect_selects<'a>(&'a self, out: &mut Vec<&'a Select>) {
        match self {
            Value::Select(select) => {
                out.push(select);
                for branch in &select.branches {
                    branch.value.collect_selects(out);
                }
            }
            Value::List(items) | Value::Tuple(items) | Value::Concat(items) => {
                items.iter().for_each(|i| i.collect_selects(out))
            }
            Value::Dict(entries) => entries.iter().for_each(|(k, v)| {
                k.collect_selects(out);
                v.collect_selects(out);
            }),
            _ => {}
        }
    }
}

/// The top-level calls of a BUILD file (expression statements), in order.
/// Calls in loops, conditionals and functions are not read.
pub fn rule_calls(tree: &Tree, rope: &Rope) -> Vec<RuleCall> {
    let root = tree.root_node();
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        if stmt.kind() != "expression_statement" {
            continue;
        }
        let Some(call) = stmt.named_child(0).filter(|e| e.kind() == "call") else {
            continue;
        };
        if let Some(rule) = rule_call(call, rope) {
            out.push(rule);
        }
    }
    out
}

/// Reads one call's keyword arguments; `None` for `load()` and calls
/// without arguments.
pub fn rule_call(call: Node<'_>, rope: &Rope) -> Option<RuleCall> {
    let function = call.child_by_field_name("function")?;
    let kind = text(rope, function);
    if kind == "load" {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let mut attrs = Vec::new();
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        if arg.kind() != "keyword_argument" {
            continue;
        }
        let (Some(name), Some(value)) = (
            arg.child_by_field_name("name"),
            arg.child_by_field_name("value"),
        ) else {
            continue;
        };
        attrs.push(Attr {
            name: text(rope, name),
            name_range: node_range(name),
            value: read_value(value, rope),
        });
    }
    let name_attr = attrs.iter().find(|a| a.name == "name");
    let (name, name_range) = match name_attr.map(|a| &a.value) {
        Some(Value::Str(s, range)) => (Some(s.clone()), Some(*range)),
        _ => (None, None),
    };
    Some(RuleCall {
        kind,
        name,
        name_range,
        range: node_range(call),
        attrs,
    })
}

/// Reads an expression as a [`Value`].
pub fn read_value(node: Node<'_>, rope: &Rope) -> Value {
    let unknown = || Value::Unknown(node_range(node));
    match node.kind() {
        "string" | "concatenated_string" => match string_literal_value(node, rope) {
            Some(s) => Value::Str(s, node_range(node)),
            None => unknown(),
        },
        "integer" => text(rope, node)
            .parse()
            .map_or_else(|_| unknown(), Value::Int),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "none" => Value::None,
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) if node.named_child_count() == 1 => read_value(inner, rope),
            _ => unknown(),
        },
        "list" | "tuple" => {
            let mut cursor = node.walk();
            let items: Vec<Value> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .map(|n| read_value(n, rope))
                .collect();
            if node.kind() == "list" {
                Value::List(items)
            } else {
                Value::Tuple(items)
            }
        }
        "dictionary" => {
            let mut cursor = node.walk();
            let mut entries = Vec::new();
            for pair in node.named_children(&mut cursor) {
                match pair.kind() {
                    "pair" => {
                        let (Some(k), Some(v)) = (
                            pair.child_by_field_name("key"),
                            pair.child_by_field_name("value"),
                        ) else {
                            return unknown();
                        };
                        entries.push((read_value(k, rope), read_value(v, rope)));
                    }
                    "comment" => {}
                    _ => return unknown(),
                }
            }
            Value::Dict(entries)
        }
        "binary_operator" => {
            let op = node.child_by_field_name("operator").map(|o| text(rope, o));
            let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) else {
                return unknown();
            };
            if op.as_deref() != Some("+") {
                return unknown();
            }
            let mut parts = Vec::new();
            for side in [left, right] {
                match read_value(side, rope) {
                    Value::Concat(inner) => parts.extend(inner),
                    other => parts.push(other),
                }
            }
            Value::Concat(parts)
        }
        "call" => read_select(node, rope).map_or_else(unknown, Value::Select),
        _ => unknown(),
    }
}

/// `select({...}, no_match_error = "...")`, with `selects.with_or({...})`
/// as its dict.
fn read_select(call: Node<'_>, rope: &Rope) -> Option<Select> {
    let function = call.child_by_field_name("function")?;
    if text(rope, function) != "select" {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let mut dict = None;
    let mut no_match_error = None;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind() {
            "keyword_argument" => {
                let name = arg.child_by_field_name("name").map(|n| text(rope, n));
                let value = arg.child_by_field_name("value");
                match name.as_deref() {
                    Some("no_match_error") => {
                        no_match_error = value.and_then(|v| string_literal_value(v, rope))
                    }
                    Some("x") => dict = value,
                    _ => {}
                }
            }
            "comment" => {}
            _ if dict.is_none() => dict = Some(arg),
            _ => {}
        }
    }
    let mut select = Select {
        range: node_range(call),
        callee_range: node_range(function),
        branches: Vec::new(),
        no_match_error,
        opaque: false,
    };
    let mut dict = dict?;
    // `selects.with_or({("a", "b"): v})`: tuple keys stand for one key each.
    if dict.kind() == "call" {
        let callee = dict.child_by_field_name("function").map(|f| text(rope, f));
        let inner = dict
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0));
        match (callee.as_deref(), inner) {
            (Some(c), Some(inner)) if c.ends_with("with_or") => dict = inner,
            _ => {
                select.opaque = true;
                return Some(select);
            }
        }
    }
    match read_value(dict, rope) {
        Value::Dict(entries) => {
            for (key, value) in entries {
                match key {
                    Value::Str(key, key_range) => select.branches.push(Branch {
                        key,
                        key_range,
                        value,
                    }),
                    Value::Tuple(keys) => {
                        for key in keys {
                            match key {
                                Value::Str(key, key_range) => select.branches.push(Branch {
                                    key,
                                    key_range,
                                    value: value.clone(),
                                }),
                                _ => select.opaque = true,
                            }
                        }
                    }
                    _ => select.opaque = true,
                }
            }
        }
        _ => select.opaque = true,
    }
    Some(select)
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}
