//! A static reading of a BUILD file's rule calls: their attributes as plain
//! values, with `select()` kept as a value of its own so that it can be
//! configured later. Anything that is not a literal (a variable, a function
//! call other than `select()`) is [`Value::Unknown`]: the reading never
//! guesses.

use ropey::Rope;
use tree_sitter::{Node, Tree};

use crate::syntax::node_range;
use crate::text::TextRange;

/// Tree-sitter field ids of the Starlark grammar, looked up once (a lookup
/// by name searches the grammar's field names every time).
struct Fields {
    function: std::num::NonZeroU16,
    arguments: std::num::NonZeroU16,
    name: std::num::NonZeroU16,
    value: std::num::NonZeroU16,
    key: std::num::NonZeroU16,
    left: std::num::NonZeroU16,
    right: std::num::NonZeroU16,
    operator: std::num::NonZeroU16,
}

fn fields() -> &'static Fields {
    static FIELDS: std::sync::OnceLock<Fields> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        let language = crate::syntax::starlark_language();
        #[allow(clippy::expect_used)]
        let id = |name: &str| {
            language
                .field_id_for_name(name)
                .expect("the Starlark grammar has this field")
        };
        Fields {
            function: id("function"),
            arguments: id("arguments"),
            name: id("name"),
            value: id("value"),
            key: id("key"),
            left: id("left"),
            right: id("right"),
            operator: id("operator"),
        }
    })
}

/// The children of `node` in the fields `ids`, in one pass over its
/// children (a lookup per field walks them each time).
fn field_children<'t, const N: usize>(
    node: Node<'t>,
    ids: [std::num::NonZeroU16; N],
) -> [Option<Node<'t>>; N] {
    let mut out = [None; N];
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return out;
    }
    loop {
        if let Some(id) = cursor.field_id() {
            if let Some(slot) = ids.iter().position(|&want| want == id) {
                if out[slot].is_none() {
                    out[slot] = Some(cursor.node());
                }
            }
        }
        if !cursor.goto_next_sibling() {
            return out;
        }
    }
}

/// The source text, for slicing node text without copying the rope.
struct Src<'a> {
    text: &'a str,
}

impl Src<'_> {
    fn of(&self, node: Node<'_>) -> &str {
        self.text.get(node.byte_range()).unwrap_or_default()
    }

    /// The value of a plain string literal (no escapes, no interpolation).
    fn string(&self, node: Node<'_>) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut value = String::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "string_start" | "string_end" => {}
                "string_content" => value.push_str(self.of(child)),
                _ => return None,
            }
        }
        Some(value)
    }
}

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
    let text = rope.to_string();
    let src = Src { text: &text };
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
        if let Some(rule) = read_call(call, &src) {
            out.push(rule);
        }
    }
    out
}

/// Reads one call's keyword arguments; `None` for `load()` and calls
/// without arguments.
pub fn rule_call(call: Node<'_>, rope: &Rope) -> Option<RuleCall> {
    let text = rope.to_string();
    read_call(call, &Src { text: &text })
}

fn read_call(call: Node<'_>, src: &Src<'_>) -> Option<RuleCall> {
    let f = fields();
    let [function, args] = field_children(call, [f.function, f.arguments]);
    let function = function?;
    let kind = src.of(function).to_string();
    if kind == "load" {
        return None;
    }
    let args = args?;
    let mut attrs = Vec::new();
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        if arg.kind() != "keyword_argument" {
            continue;
        }
        let [Some(name), Some(value)] = field_children(arg, [f.name, f.value]) else {
            continue;
        };
        attrs.push(Attr {
            name: src.of(name).to_string(),
            name_range: node_range(name),
            value: value_of(value, src),
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
    let text = rope.to_string();
    value_of(node, &Src { text: &text })
}

fn value_of(node: Node<'_>, src: &Src<'_>) -> Value {
    let f = fields();
    let unknown = || Value::Unknown(node_range(node));
    match node.kind() {
        "string" => match src.string(node) {
            Some(s) => Value::Str(s, node_range(node)),
            None => unknown(),
        },
        "integer" => src.of(node).parse().map_or_else(|_| unknown(), Value::Int),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "none" => Value::None,
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) if node.named_child_count() == 1 => value_of(inner, src),
            _ => unknown(),
        },
        "list" | "tuple" => {
            let mut cursor = node.walk();
            let items: Vec<Value> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .map(|n| value_of(n, src))
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
                        let [Some(k), Some(v)] = field_children(pair, [f.key, f.value]) else {
                            return unknown();
                        };
                        entries.push((value_of(k, src), value_of(v, src)));
                    }
                    "comment" => {}
                    _ => return unknown(),
                }
            }
            Value::Dict(entries)
        }
        "binary_operator" => {
            let [op, left, right] = field_children(node, [f.operator, f.left, f.right]);
            let op = op.map(|o| src.of(o));
            let (Some(left), Some(right)) = (left, right) else {
                return unknown();
            };
            if op != Some("+") {
                return unknown();
            }
            let mut parts = Vec::new();
            for side in [left, right] {
                match value_of(side, src) {
                    Value::Concat(inner) => parts.extend(inner),
                    other => parts.push(other),
                }
            }
            Value::Concat(parts)
        }
        "call" => read_select(node, src).map_or_else(unknown, Value::Select),
        _ => unknown(),
    }
}

/// `select({...}, no_match_error = "...")`, with `selects.with_or({...})`
/// as its dict.
fn read_select(call: Node<'_>, src: &Src<'_>) -> Option<Select> {
    let f = fields();
    let [function, args] = field_children(call, [f.function, f.arguments]);
    let function = function?;
    if src.of(function) != "select" {
        return None;
    }
    let args = args?;
    let mut dict = None;
    let mut no_match_error = None;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind() {
            "keyword_argument" => {
                let [name, value] = field_children(arg, [f.name, f.value]);
                let name = name.map(|n| src.of(n));
                match name {
                    Some("no_match_error") => no_match_error = value.and_then(|v| src.string(v)),
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
        let [callee, inner] = field_children(dict, [f.function, f.arguments]);
        let callee = callee.map(|c| src.of(c));
        let inner = inner.and_then(|a| a.named_child(0));
        match (callee, inner) {
            (Some(c), Some(inner)) if c.ends_with("with_or") => dict = inner,
            _ => {
                select.opaque = true;
                return Some(select);
            }
        }
    }
    match value_of(dict, src) {
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
