//! A static reading of a BUILD file's rule calls: their attributes as plain
//! values, with `select()` kept as a value of its own so that it can be
//! configured later. Anything that is not a literal (a variable, a function
//! call other than `select()`) is [`Value::Unknown`]: the reading never
//! guesses.
//!
//! The reading walks the tree once with one cursor: each node's children
//! are gathered in a single pass (kind, field and namedness read off the
//! cursor), because tree-sitter's per-node child and field lookups each walk
//! the children again and dominated the cost.

use std::num::NonZeroU16;
use std::ops::Range;

use ropey::Rope;
use tree_sitter::{Node, Tree, TreeCursor};

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

/// Tree-sitter field ids of the Starlark grammar, looked up once (a lookup
/// by name searches the grammar's field names every time).
struct Fields {
    function: NonZeroU16,
    arguments: NonZeroU16,
    name: NonZeroU16,
    value: NonZeroU16,
    key: NonZeroU16,
    left: NonZeroU16,
    right: NonZeroU16,
    operator: NonZeroU16,
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

/// The node kinds the reading tells apart. Everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    ExpressionStatement,
    Call,
    KeywordArgument,
    String,
    Integer,
    True,
    False,
    None,
    Parenthesized,
    List,
    Tuple,
    Dictionary,
    Pair,
    Comment,
    BinaryOperator,
    Other,
}

/// [`Kind`] by tree-sitter symbol id, for every symbol of the grammar
/// (aliases included, so a node's `kind_id` always has an entry). Comparing
/// ids avoids `Node::kind`, which measures and validates a C string.
fn kinds() -> &'static [Kind] {
    static KINDS: std::sync::OnceLock<Vec<Kind>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language = crate::syntax::starlark_language();
        (0..language.node_kind_count())
            .map(|id| {
                let id = u16::try_from(id).unwrap_or(u16::MAX);
                match language.node_kind_for_id(id).unwrap_or_default() {
                    "expression_statement" => Kind::ExpressionStatement,
                    "call" => Kind::Call,
                    "keyword_argument" => Kind::KeywordArgument,
                    "string" => Kind::String,
                    "integer" => Kind::Integer,
                    "true" => Kind::True,
                    "false" => Kind::False,
                    "none" => Kind::None,
                    "parenthesized_expression" => Kind::Parenthesized,
                    "list" => Kind::List,
                    "tuple" => Kind::Tuple,
                    "dictionary" => Kind::Dictionary,
                    "pair" => Kind::Pair,
                    "comment" => Kind::Comment,
                    "binary_operator" => Kind::BinaryOperator,
                    _ => Kind::Other,
                }
            })
            .collect()
    })
}

/// One child of a node, as read off the cursor.
#[derive(Clone, Copy)]
struct Child<'t> {
    node: Node<'t>,
    kind: Kind,
    field: Option<NonZeroU16>,
    named: bool,
}

/// The reading state: the source text, one cursor, and a stack of gathered
/// children.
///
/// Invariant: [`Reader::children`] pushes a node's children on `stack` and
/// returns their index range; the caller reads only that range and
/// truncates the stack back to its start when done. Nested calls push above
/// it and truncate back to their own start, so a caller's range stays valid
/// while it recurses.
struct Reader<'s, 't> {
    text: &'s str,
    cursor: TreeCursor<'t>,
    stack: Vec<Child<'t>>,
    kinds: &'static [Kind],
    f: &'static Fields,
}

impl<'s, 't> Reader<'s, 't> {
    fn new(text: &'s str, root: Node<'t>) -> Self {
        Reader {
            text,
            cursor: root.walk(),
            stack: Vec::new(),
            kinds: kinds(),
            f: fields(),
        }
    }

    fn kind(&self, node: Node<'_>) -> Kind {
        self.kinds
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(Kind::Other)
    }

    fn of(&self, node: Node<'_>) -> &'s str {
        self.text.get(node.byte_range()).unwrap_or_default()
    }

    /// Pushes `node`'s children (named and anonymous) on the stack; see the
    /// type's invariant.
    fn children(&mut self, node: Node<'t>) -> Range<usize> {
        let start = self.stack.len();
        self.cursor.reset(node);
        if self.cursor.goto_first_child() {
            loop {
                let child = self.cursor.node();
                self.stack.push(Child {
                    node: child,
                    kind: self.kind(child),
                    field: self.cursor.field_id(),
                    named: child.is_named(),
                });
                if !self.cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        start..self.stack.len()
    }

    /// The first child in each of the fields `ids`, within `range`.
    fn fields_in<const N: usize>(
        &self,
        range: Range<usize>,
        ids: [NonZeroU16; N],
    ) -> [Option<Child<'t>>; N] {
        let mut out = [None; N];
        for child in &self.stack[range] {
            let Some(field) = child.field else { continue };
            if let Some(slot) = ids.iter().position(|&want| want == field) {
                if out[slot].is_none() {
                    out[slot] = Some(*child);
                }
            }
        }
        out
    }

    /// The value of a string literal (see [`crate::syntax::string_literal`]).
    fn string(&self, child: Child<'_>) -> Option<String> {
        if child.kind != Kind::String || child.node.has_error() {
            return None;
        }
        crate::syntax::string_literal(self.of(child.node))
    }

    fn rule_calls(&mut self, root: Node<'t>) -> Vec<RuleCall> {
        self.rule_calls_reusing(root, None).0
    }

    /// The top-level calls, taking those of statements whose text is
    /// unchanged from `previous` (moved to where they now start).
    fn rule_calls_reusing(
        &mut self,
        root: Node<'t>,
        previous: Option<&CallPieces>,
    ) -> (Vec<RuleCall>, CallPieces) {
        let mut out = Vec::new();
        let mut pieces = CallPieces::default();
        let statements = self.children(root);
        for i in statements.clone() {
            let stmt = self.stack[i];
            if stmt.kind != Kind::ExpressionStatement {
                continue;
            }
            let start = stmt.node.start_byte();
            // Error recovery may read the same text another way in
            // another context: a statement with an error is read afresh.
            if stmt.node.has_error() {
                self.statement_call(stmt.node, &mut out);
                continue;
            }
            let key = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                stmt.node.has_error().hash(&mut h);
                self.of(stmt.node).hash(&mut h);
                h.finish()
            };
            if let Some((old_start, calls)) = previous.and_then(|p| p.by_key.get(&key)) {
                let delta = start as isize - *old_start as isize;
                let moved: Vec<RuleCall> = calls
                    .iter()
                    .cloned()
                    .map(|mut c| {
                        c.shift(delta);
                        c
                    })
                    .collect();
                out.extend(moved.iter().cloned());
                pieces.by_key.insert(key, (start, moved));
                continue;
            }
            let before = out.len();
            self.statement_call(stmt.node, &mut out);
            pieces.by_key.insert(key, (start, out[before..].to_vec()));
        }
        self.stack.truncate(statements.start);
        (out, pieces)
    }

    /// The call an expression statement is, if it is one.
    fn statement_call(&mut self, stmt: Node<'t>, out: &mut Vec<RuleCall>) {
        {
            {
                let inner = self.children(stmt);
                let first_named = self.stack[inner.clone()].iter().find(|c| c.named).copied();
                self.stack.truncate(inner.start);
                let Some(call) = first_named.filter(|c| c.kind == Kind::Call) else {
                    return;
                };
                if let Some(rule) = self.call(call.node) {
                    out.push(rule);
                }
            }
        }
    }

    fn call(&mut self, call: Node<'t>) -> Option<RuleCall> {
        let parts = self.children(call);
        let [function, args] = self.fields_in(parts.clone(), [self.f.function, self.f.arguments]);
        self.stack.truncate(parts.start);
        let kind = self.of(function?.node);
        if kind == "load" {
            return None;
        }
        let args = self.children(args?.node);
        let mut attrs = Vec::new();
        for i in args.clone() {
            let arg = self.stack[i];
            if arg.kind != Kind::KeywordArgument {
                continue;
            }
            let parts = self.children(arg.node);
            let [name, value] = self.fields_in(parts.clone(), [self.f.name, self.f.value]);
            self.stack.truncate(parts.start);
            let (Some(name), Some(value)) = (name, value) else {
                continue;
            };
            attrs.push(Attr {
                name: self.of(name.node).to_string(),
                name_range: node_range(name.node),
                value: self.value(value),
            });
        }
        self.stack.truncate(args.start);
        let name_attr = attrs.iter().find(|a| a.name == "name");
        let (name, name_range) = match name_attr.map(|a| &a.value) {
            Some(Value::Str(s, range)) => (Some(s.clone()), Some(*range)),
            _ => (None, None),
        };
        Some(RuleCall {
            kind: kind.to_string(),
            name,
            name_range,
            range: node_range(call),
            attrs,
        })
    }

    /// Reads an expression as a [`Value`].
    fn value(&mut self, expr: Child<'t>) -> Value {
        let node = expr.node;
        let unknown = || Value::Unknown(node_range(node));
        match expr.kind {
            Kind::String => match self.string(expr) {
                Some(s) => Value::Str(s, node_range(node)),
                None => unknown(),
            },
            Kind::Integer => self.of(node).parse().map_or_else(|_| unknown(), Value::Int),
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::None => Value::None,
            Kind::Parenthesized => {
                let parts = self.children(node);
                let mut named = self.stack[parts.clone()].iter().filter(|c| c.named);
                let only = match (named.next().copied(), named.next()) {
                    (Some(inner), None) => Some(inner),
                    _ => None,
                };
                self.stack.truncate(parts.start);
                only.map_or_else(unknown, |inner| self.value(inner))
            }
            Kind::List | Kind::Tuple => {
                let parts = self.children(node);
                let mut items = Vec::new();
                for i in parts.clone() {
                    let item = self.stack[i];
                    if item.named && item.kind != Kind::Comment {
                        items.push(self.value(item));
                    }
                }
                self.stack.truncate(parts.start);
                if expr.kind == Kind::List {
                    Value::List(items)
                } else {
                    Value::Tuple(items)
                }
            }
            Kind::Dictionary => {
                let parts = self.children(node);
                let entries = self.entries(parts.clone());
                self.stack.truncate(parts.start);
                entries.map_or_else(unknown, Value::Dict)
            }
            Kind::BinaryOperator => {
                let parts = self.children(node);
                let [op, left, right] =
                    self.fields_in(parts.clone(), [self.f.operator, self.f.left, self.f.right]);
                self.stack.truncate(parts.start);
                let (Some(op), Some(left), Some(right)) = (op, left, right) else {
                    return unknown();
                };
                if self.of(op.node) != "+" {
                    return unknown();
                }
                let mut parts = Vec::new();
                for side in [left, right] {
                    match self.value(side) {
                        Value::Concat(inner) => parts.extend(inner),
                        other => parts.push(other),
                    }
                }
                Value::Concat(parts)
            }
            Kind::Call => self.select(node).map_or_else(unknown, Value::Select),
            _ => unknown(),
        }
    }

    /// The entries of a dictionary whose children are `parts`; `None` when
    /// one of them is not a `key: value` pair (a comprehension, an error).
    fn entries(&mut self, parts: Range<usize>) -> Option<Vec<(Value, Value)>> {
        let mut entries = Vec::new();
        for i in parts {
            let pair = self.stack[i];
            if !pair.named {
                continue;
            }
            match pair.kind {
                Kind::Pair => {
                    let kv = self.children(pair.node);
                    let [k, v] = self.fields_in(kv.clone(), [self.f.key, self.f.value]);
                    self.stack.truncate(kv.start);
                    let (k, v) = (k?, v?);
                    entries.push((self.value(k), self.value(v)));
                }
                Kind::Comment => {}
                _ => return None,
            }
        }
        Some(entries)
    }

    /// `select({...}, no_match_error = "...")`, also with
    /// `selects.with_or_dict({...})` as its dict, and bazel_skylib's
    /// `selects.with_or({...}, no_match_error = "...")`, which is a select
    /// whose tuple keys stand for one key each.
    fn select(&mut self, call: Node<'t>) -> Option<Select> {
        let parts = self.children(call);
        let [function, args] = self.fields_in(parts.clone(), [self.f.function, self.f.arguments]);
        self.stack.truncate(parts.start);
        let function = function?.node;
        let callee = self.of(function);
        let dict_keyword = if callee == "select" {
            "x"
        } else if callee == "with_or" || callee.ends_with(".with_or") {
            "input_dict"
        } else {
            return None;
        };
        let args = self.children(args?.node);
        let mut dict = None;
        let mut no_match_error = None;
        for i in args.clone() {
            let arg = self.stack[i];
            if !arg.named {
                continue;
            }
            match arg.kind {
                Kind::KeywordArgument => {
                    let kv = self.children(arg.node);
                    let [name, value] = self.fields_in(kv.clone(), [self.f.name, self.f.value]);
                    self.stack.truncate(kv.start);
                    match name.map(|n| self.of(n.node)) {
                        Some("no_match_error") => {
                            no_match_error = value.and_then(|v| self.string(v));
                        }
                        Some(name) if name == dict_keyword => dict = value,
                        _ => {}
                    }
                }
                Kind::Comment => {}
                _ if dict.is_none() => dict = Some(arg),
                _ => {}
            }
        }
        self.stack.truncate(args.start);
        let mut select = Select {
            range: node_range(call),
            callee_range: node_range(function),
            branches: Vec::new(),
            no_match_error,
            opaque: false,
        };
        let mut dict = dict?;
        // `select(selects.with_or_dict({("a", "b"): v}))`.
        if dict.kind == Kind::Call {
            match self.with_or_dict(dict.node) {
                Some(inner) => dict = inner,
                None => {
                    select.opaque = true;
                    return Some(select);
                }
            }
        }
        let Value::Dict(entries) = self.value(dict) else {
            select.opaque = true;
            return Some(select);
        };
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
        Some(select)
    }

    /// The first argument of a `….with_or_dict(...)` call.
    fn with_or_dict(&mut self, call: Node<'t>) -> Option<Child<'t>> {
        let parts = self.children(call);
        let [callee, args] = self.fields_in(parts.clone(), [self.f.function, self.f.arguments]);
        self.stack.truncate(parts.start);
        if !self.of(callee?.node).ends_with("with_or_dict") {
            return None;
        }
        let args = self.children(args?.node);
        let first = self.stack[args.clone()].iter().find(|c| c.named).copied();
        self.stack.truncate(args.start);
        first
    }
}

/// The top-level calls of a BUILD file (expression statements), in order.
/// Calls in loops, conditionals and functions are not read.
pub fn rule_calls(tree: &Tree, rope: &Rope) -> Vec<RuleCall> {
    let text = rope.to_string();
    let root = tree.root_node();
    Reader::new(&text, root).rule_calls(root)
}

/// The calls of each top-level statement of one version of a BUILD file,
/// by the statement's text: what [`rule_calls_reusing`] can take over for
/// the next version.
#[derive(Clone, Debug, Default)]
pub struct CallPieces {
    /// Key → (where the statement started, its calls).
    by_key: crate::hash::FastMap<u64, (usize, Vec<RuleCall>)>,
}

/// [`rule_calls`], reading again only the statements whose text changed
/// since the version `previous` came from, and those with syntax errors.
/// Equal to [`rule_calls`]'s result (the calls of a statement without
/// errors depend on its own text only; error recovery may read the same
/// text differently in another context).
pub fn rule_calls_reusing(
    tree: &Tree,
    rope: &Rope,
    previous: Option<&CallPieces>,
) -> (Vec<RuleCall>, CallPieces) {
    let text = rope.to_string();
    let root = tree.root_node();
    Reader::new(&text, root).rule_calls_reusing(root, previous)
}

fn shift_range(range: &mut TextRange, delta: isize) {
    *range = range.shifted(delta);
}

impl RuleCall {
    /// Moves every range by `delta` bytes.
    fn shift(&mut self, delta: isize) {
        if delta == 0 {
            return;
        }
        shift_range(&mut self.range, delta);
        if let Some(r) = &mut self.name_range {
            shift_range(r, delta);
        }
        for attr in &mut self.attrs {
            shift_range(&mut attr.name_range, delta);
            attr.value.shift(delta);
        }
    }
}

impl Value {
    fn shift(&mut self, delta: isize) {
        match self {
            Value::Str(_, r) | Value::Unknown(r) => shift_range(r, delta),
            Value::Int(_) | Value::Bool(_) | Value::None => {}
            Value::List(items) | Value::Tuple(items) | Value::Concat(items) => {
                items.iter_mut().for_each(|v| v.shift(delta));
            }
            Value::Dict(pairs) => {
                for (k, v) in pairs {
                    k.shift(delta);
                    v.shift(delta);
                }
            }
            Value::Select(select) => {
                shift_range(&mut select.range, delta);
                shift_range(&mut select.callee_range, delta);
                for branch in &mut select.branches {
                    shift_range(&mut branch.key_range, delta);
                    branch.value.shift(delta);
                }
            }
        }
    }
}
