//! A BUILD file reduced to what the index reads of it: its `load()`s and
//! its statement-level calls, with the shape of their arguments.
//!
//! An outline is read from either syntax tree:
//! - [`Outline::from_tree`]: tree-sitter's tree, which tolerates errors
//!   (open documents, half-typed files);
//! - [`Outline::from_ast`]: the `starlark` parser's AST, about six times
//!   faster to get, used to read the workspace's BUILD files from disk
//!   (a file it rejects is read through tree-sitter instead).
//!
//! Invariants:
//! - For a file both parsers accept, both give the same outline (a
//!   differential test checks this): strings are decoded by
//!   [`crate::syntax::string_literal`] from their source text, ranges are
//!   byte ranges of the source (string ranges include the quotes), callees
//!   and keywords are their source text.
//! - Comments and parentheses around one expression are not part of it.
//! - A call's arguments are kept only at statement level and inside
//!   `select()`: calls nested elsewhere compute values, they make no target
//!   and mention nothing.

use ropey::Rope;
use starlark::syntax::ast::{ArgumentP, AstExpr, AstLiteral, AstStmt, BinOp, ExprP, StmtP};
use starlark::syntax::AstModule;
use tree_sitter::{Node, Tree};

use super::package::{load_decl, LoadDecl};
use crate::syntax::{node_range, string_literal};
use crate::text::TextRange;

/// The statements of a BUILD file the index reads, in text order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outline {
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// A top-level `load()`.
    Load(LoadDecl),
    /// A call that is a whole top-level statement.
    Call(Call),
    /// A top-level `for` or `if`, or a comprehension standing as a
    /// statement: it may make targets no static reading sees. `calls` are
    /// the statement-level calls inside it (bodies, conditions, iterables,
    /// comprehension bodies), in text order.
    Compound { calls: Vec<Call> },
    /// The statement-level calls found inside a stretch of text that does
    /// not parse (tree-sitter only): they may mention labels, they declare
    /// nothing.
    Broken { calls: Vec<Call> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The source text of the called expression (`cc_library`,
    /// `native.genrule`).
    pub callee: String,
    pub range: TextRange,
    pub args: Vec<Arg>,
    /// The call holds a syntax error (typing in progress).
    pub has_error: bool,
}

impl Call {
    /// The value of keyword argument `key`.
    pub fn keyword(&self, key: &str) -> Option<&Expr> {
        self.args.iter().find_map(|arg| match arg {
            Arg::Keyword { name, value } if name == key => Some(value),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Positional(Expr),
    Keyword {
        name: String,
        value: Expr,
    },
    /// `*args`, `**kwargs`.
    Splat,
}

/// The shape of an argument value, as far as labels and names go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A string literal (`value` is `None` when it does not decode, e.g.
    /// implicit concatenation or a bad escape).
    Str {
        value: Option<String>,
        range: TextRange,
        /// Where the value starts in the literal, when the literal holds
        /// it as is (no escapes): `value` is then the text at
        /// `range.start + raw_offset`.
        raw_offset: Option<usize>,
    },
    /// `[...]`.
    List(Vec<Expr>),
    /// A tuple.
    Tuple(Vec<Expr>),
    /// `{k: v}`.
    Dict(Vec<(Expr, Expr)>),
    /// The operands of an arithmetic or bitwise operator (`+`, `%`, `|`).
    Binary(Box<(Expr, Expr)>),
    /// `select({...})`: its branches.
    Select(Vec<(Expr, Expr)>),
    /// Anything else: names, other calls, comprehensions, comparisons.
    Other,
}

impl Outline {
    /// Reads the outline of a tree-sitter tree of `rope`.
    pub fn from_tree(tree: &Tree, rope: &Rope) -> Outline {
        let mut statements = Vec::new();
        let root = tree.root_node();
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            ts_statement(stmt, rope, &mut statements);
        }
        Outline { statements }
    }

    /// Reads the outline of a tree-sitter tree of `rope`, taking the
    /// outline of every top-level statement whose text is unchanged from
    /// `previous` (the pieces of an earlier version of the same file)
    /// instead of walking it again. Returns the pieces of this version.
    ///
    /// The result equals [`Outline::from_tree`]'s: a top-level statement
    /// without errors has an outline that depends only on its own node
    /// (kind, text), and a reused one is moved to where the statement now
    /// starts. Statements with errors are never reused: tree-sitter's error
    /// recovery may read the same text differently in another context.
    pub fn from_tree_reusing(
        tree: &Tree,
        rope: &Rope,
        previous: Option<(&Outline, &OutlinePieces)>,
    ) -> (Outline, OutlinePieces) {
        let mut statements: Vec<Statement> = Vec::new();
        let mut by_key = crate::hash::FastMap::default();
        let root = tree.root_node();
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            let start = stmt.start_byte();
            // Error recovery may read the same text another way in
            // another context: a statement with an error is read afresh.
            if stmt.has_error() {
                ts_statement(stmt, rope, &mut statements);
                continue;
            }
            let key = piece_key(stmt, rope);
            let first = statements.len();
            let old = previous.and_then(|(outline, pieces)| {
                let piece: &Piece = pieces.by_key.get(&key)?;
                Some((outline.statements.get(piece.range.clone())?, piece.start))
            });
            match old {
                Some((old, old_start)) => {
                    let delta = start as isize - old_start as isize;
                    statements.extend(old.iter().cloned().map(|mut s| {
                        s.shift(delta);
                        s
                    }));
                }
                None => ts_statement(stmt, rope, &mut statements),
            }
            by_key.insert(
                key,
                Piece {
                    start,
                    range: first..statements.len(),
                },
            );
        }
        (Outline { statements }, OutlinePieces { by_key })
    }

    /// Reads the outline of a parsed module whose source is `text`.
    pub fn from_ast(ast: &AstModule, text: &str) -> Outline {
        let reader = AstReader { text };
        let mut statements = Vec::new();
        reader.top_level(ast.statement(), &mut statements);
        Outline { statements }
    }
}

/// Attributes whose values only point at other targets and files: no rule
/// or macro bzls knows of makes a target's *name* out of them. An edit
/// confined to the strings of these attributes cannot change what a BUILD
/// file declares (see [`Outline::declaration_fingerprint`]).
const REFERENCE_ONLY_ATTRIBUTES: &[&str] = &[
    "deps",
    "runtime_deps",
    "implementation_deps",
    "exports",
    "data",
    "visibility",
    "tools",
    "toolchains",
    "plugins",
    "target_compatible_with",
    "exec_compatible_with",
    "compatible_with",
];

impl Outline {
    /// A hash of what can change the targets the file declares: everything
    /// in the outline except ranges, and except the values of
    /// [`REFERENCE_ONLY_ATTRIBUTES`] made only of strings, lists, `+` and
    /// `select()` (so typing inside a `deps` string or adding one to its
    /// list keeps the fingerprint; a name or a call in such a value does
    /// not).
    ///
    /// Two versions with equal fingerprints declare the same targets as far
    /// as any macro that does not derive target names from those
    /// attributes goes; the analysis host still confirms it by evaluating
    /// once typing pauses.
    pub fn declaration_fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        fn call(c: &Call, h: &mut impl Hasher) {
            c.callee.hash(h);
            c.has_error.hash(h);
            c.args.len().hash(h);
            for arg in &c.args {
                match arg {
                    Arg::Positional(value) => {
                        0u8.hash(h);
                        expr(value, h);
                    }
                    Arg::Keyword { name, value } => {
                        1u8.hash(h);
                        name.hash(h);
                        if REFERENCE_ONLY_ATTRIBUTES.contains(&name.as_str()) && plain(value) {
                            continue;
                        }
                        expr(value, h);
                    }
                    Arg::Splat => 2u8.hash(h),
                }
            }
        }
        /// Only strings, lists, sums and selects of them.
        fn plain(e: &Expr) -> bool {
            match e {
                Expr::Str { .. } => true,
                Expr::List(items) | Expr::Tuple(items) => items.iter().all(plain),
                Expr::Binary(pair) => plain(&pair.0) && plain(&pair.1),
                Expr::Select(pairs) | Expr::Dict(pairs) => {
                    pairs.iter().all(|(k, v)| plain(k) && plain(v))
                }
                Expr::Other => false,
            }
        }
        fn expr(e: &Expr, h: &mut impl Hasher) {
            match e {
                Expr::Str { value, .. } => {
                    3u8.hash(h);
                    value.hash(h);
                }
                Expr::List(items) => {
                    4u8.hash(h);
                    items.len().hash(h);
                    items.iter().for_each(|i| expr(i, h));
                }
                Expr::Tuple(items) => {
                    5u8.hash(h);
                    items.len().hash(h);
                    items.iter().for_each(|i| expr(i, h));
                }
                Expr::Dict(pairs) | Expr::Select(pairs) => {
                    6u8.hash(h);
                    matches!(e, Expr::Select(_)).hash(h);
                    pairs.len().hash(h);
                    for (k, v) in pairs {
                        expr(k, h);
                        expr(v, h);
                    }
                }
                Expr::Binary(pair) => {
                    7u8.hash(h);
                    expr(&pair.0, h);
                    expr(&pair.1, h);
                }
                Expr::Other => 8u8.hash(h),
            }
        }
        self.statements.len().hash(&mut h);
        for statement in &self.statements {
            match statement {
                Statement::Load(load) => {
                    9u8.hash(&mut h);
                    load.module.hash(&mut h);
                    for (local, exported, _) in &load.symbols {
                        local.hash(&mut h);
                        exported.hash(&mut h);
                    }
                }
                Statement::Call(c) => {
                    10u8.hash(&mut h);
                    call(c, &mut h);
                }
                Statement::Compound { calls } | Statement::Broken { calls } => {
                    11u8.hash(&mut h);
                    matches!(statement, Statement::Broken { .. }).hash(&mut h);
                    calls.len().hash(&mut h);
                    calls.iter().for_each(|c| call(c, &mut h));
                }
            }
        }
        h.finish()
    }

    /// Where the offsets of this outline's text are in `newer`'s, for two
    /// versions with equal [`Outline::declaration_fingerprint`]s: pairs of
    /// `(old, new)` anchors (every call's and string's start and end), in
    /// text order. `None` when the outlines do not line up.
    pub fn offset_map(&self, newer: &Outline) -> Option<OffsetMap> {
        fn ranges_of_expr(e: &Expr, out: &mut Vec<TextRange>) {
            match e {
                Expr::Str { range, .. } => out.push(*range),
                Expr::List(items) | Expr::Tuple(items) => {
                    items.iter().for_each(|i| ranges_of_expr(i, out));
                }
                Expr::Dict(pairs) | Expr::Select(pairs) => {
                    for (k, v) in pairs {
                        ranges_of_expr(k, out);
                        ranges_of_expr(v, out);
                    }
                }
                Expr::Binary(pair) => {
                    ranges_of_expr(&pair.0, out);
                    ranges_of_expr(&pair.1, out);
                }
                Expr::Other => {}
            }
        }
        fn ranges_of_call(c: &Call, out: &mut Vec<TextRange>) {
            out.push(c.range);
            for arg in &c.args {
                if let Arg::Positional(v) | Arg::Keyword { value: v, .. } = arg {
                    ranges_of_expr(v, out);
                }
            }
        }
        fn ranges(o: &Outline) -> Vec<TextRange> {
            let mut out = Vec::new();
            for s in &o.statements {
                match s {
                    Statement::Load(load) => {
                        out.push(load.module_range);
                        out.extend(load.symbols.iter().map(|(_, _, r)| *r));
                    }
                    Statement::Call(c) => ranges_of_call(c, &mut out),
                    Statement::Compound { calls } | Statement::Broken { calls } => {
                        calls.iter().for_each(|c| ranges_of_call(c, &mut out));
                    }
                }
            }
            out
        }
        let (old, new) = (ranges(self), ranges(newer));
        if old.len() != new.len() {
            return None;
        }
        let mut anchors: Vec<(usize, usize)> = old
            .iter()
            .zip(&new)
            .flat_map(|(o, n)| [(o.start, n.start), (o.end, n.end)])
            .collect();
        anchors.sort_unstable();
        anchors.dedup_by_key(|a| a.0);
        Some(OffsetMap { anchors })
    }
}

/// Maps offsets of one version of a text to the next (see
/// [`Outline::offset_map`]).
#[derive(Clone, Debug)]
pub struct OffsetMap {
    anchors: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// The new offset of old offset `at`: moved as the nearest anchor at or
    /// before it moved.
    pub fn map(&self, at: usize) -> usize {
        let i = self.anchors.partition_point(|(old, _)| *old <= at);
        match i.checked_sub(1).and_then(|i| self.anchors.get(i)) {
            Some((old, new)) => new + (at - old),
            None => at,
        }
    }

    pub fn map_range(&self, range: TextRange) -> TextRange {
        let start = self.map(range.start);
        TextRange::new(start, self.map(range.end).max(start))
    }
}

/// Where each top-level statement of one version of a file is in that
/// version's outline, by the statement's kind, error state and text: with
/// that outline, what [`Outline::from_tree_reusing`] can take over for the
/// next version.
#[derive(Clone, Debug, Default)]
pub struct OutlinePieces {
    by_key: crate::hash::FastMap<u64, Piece>,
}

#[derive(Clone, Debug)]
struct Piece {
    /// Where the statement started (the outline's ranges are absolute).
    start: usize,
    /// Its statements in the outline the pieces were read with.
    range: std::ops::Range<usize>,
}

/// A key for a top-level statement: equal keys mean an equal outline, up
/// to the statement's position.
fn piece_key(stmt: Node<'_>, rope: &Rope) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    stmt.kind_id().hash(&mut hasher);
    stmt.has_error().hash(&mut hasher);
    let (start, end) = (stmt.start_byte(), stmt.end_byte().min(rope.len_bytes()));
    (end.saturating_sub(start)).hash(&mut hasher);
    if start < end {
        for chunk in rope.byte_slice(start..end).chunks() {
            hasher.write(chunk.as_bytes());
        }
    }
    hasher.finish()
}

/// The outline of one top-level statement.
fn ts_statement(stmt: Node<'_>, rope: &Rope, statements: &mut Vec<Statement>) {
    match stmt.kind() {
        "expression_statement" => {
            let mut inner = stmt.walk();
            for expr in stmt.named_children(&mut inner) {
                let expr = unparenthesize(expr);
                match expr.kind() {
                    "call" if ts_callee(expr, rope).as_deref() == Some("load") => {
                        if let Some(load) = expr
                            .child_by_field_name("arguments")
                            .and_then(|args| load_decl(args, rope))
                        {
                            statements.push(Statement::Load(load));
                        }
                    }
                    "call" => statements.extend(ts_call(expr, rope).map(Statement::Call)),
                    "list_comprehension" => {
                        let mut calls = Vec::new();
                        ts_statement_calls(expr, rope, &mut calls);
                        statements.push(Statement::Compound { calls });
                    }
                    _ => {}
                }
            }
        }
        "for_statement" | "if_statement" => {
            let mut calls = Vec::new();
            ts_statement_calls(stmt, rope, &mut calls);
            statements.push(Statement::Compound { calls });
        }
        "ERROR" => {
            // What parsed around the error still counts for mentions,
            // never for declarations.
            let mut calls = Vec::new();
            ts_statement_calls(stmt, rope, &mut calls);
            statements.push(Statement::Broken { calls });
        }
        _ => {}
    }
}

fn shift_range(range: &mut TextRange, delta: isize) {
    range.start = range.start.saturating_add_signed(delta);
    range.end = range.end.saturating_add_signed(delta);
}

impl Statement {
    /// Moves every range by `delta` bytes.
    fn shift(&mut self, delta: isize) {
        if delta == 0 {
            return;
        }
        match self {
            Statement::Load(load) => {
                shift_range(&mut load.module_range, delta);
                for (_, _, range) in &mut load.symbols {
                    shift_range(range, delta);
                }
            }
            Statement::Call(call) => call.shift(delta),
            Statement::Compound { calls } | Statement::Broken { calls } => {
                calls.iter_mut().for_each(|c| c.shift(delta));
            }
        }
    }
}

impl Call {
    fn shift(&mut self, delta: isize) {
        shift_range(&mut self.range, delta);
        for arg in &mut self.args {
            match arg {
                Arg::Positional(value) | Arg::Keyword { value, .. } => value.shift(delta),
                Arg::Splat => {}
            }
        }
    }
}

impl Expr {
    fn shift(&mut self, delta: isize) {
        match self {
            Expr::Str { range, .. } => shift_range(range, delta),
            Expr::List(items) | Expr::Tuple(items) => {
                items.iter_mut().for_each(|e| e.shift(delta));
            }
            Expr::Dict(pairs) | Expr::Select(pairs) => {
                for (k, v) in pairs {
                    k.shift(delta);
                    v.shift(delta);
                }
            }
            Expr::Binary(pair) => {
                pair.0.shift(delta);
                pair.1.shift(delta);
            }
            Expr::Other => {}
        }
    }
}

fn unparenthesize(mut node: Node<'_>) -> Node<'_> {
    while node.kind() == "parenthesized_expression" {
        let mut cursor = node.walk();
        let mut inner = node
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment");
        match (inner.next(), inner.next()) {
            (Some(only), None) => node = only,
            _ => break,
        }
    }
    node
}

fn ts_text(node: Node<'_>, rope: &Rope) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

fn ts_callee(call: Node<'_>, rope: &Rope) -> Option<String> {
    call.child_by_field_name("function")
        .map(|f| ts_text(f, rope))
}

/// The statement-level calls under `node` (also in loops, conditionals and
/// comprehensions), without entering any call's arguments; `load()` is
/// left out.
fn ts_statement_calls(node: Node<'_>, rope: &Rope, out: &mut Vec<Call>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "call" if ts_callee(child, rope).as_deref() != Some("load") => {
                out.extend(ts_call(child, rope));
            }
            "call" => {}
            "expression_statement"
            | "for_statement"
            | "if_statement"
            | "block"
            | "else_clause"
            | "elif_clause"
            | "list_comprehension"
            | "parenthesized_expression"
            | "ERROR" => ts_statement_calls(child, rope, out),
            _ => {}
        }
    }
}

/// A call with its arguments; `None` without a callee or an argument list.
fn ts_call(call: Node<'_>, rope: &Rope) -> Option<Call> {
    let callee = ts_callee(call, rope)?;
    let arguments = call.child_by_field_name("arguments")?;
    let mut args = Vec::new();
    let mut cursor = arguments.walk();
    for arg in arguments.named_children(&mut cursor) {
        match arg.kind() {
            "comment" => {}
            "keyword_argument" => {
                let (Some(name), Some(value)) = (
                    arg.child_by_field_name("name"),
                    arg.child_by_field_name("value"),
                ) else {
                    continue;
                };
                args.push(Arg::Keyword {
                    name: ts_text(name, rope),
                    value: ts_expr(value, rope),
                });
            }
            "list_splat" | "dictionary_splat" => args.push(Arg::Splat),
            _ => args.push(Arg::Positional(ts_expr(arg, rope))),
        }
    }
    Some(Call {
        callee,
        range: node_range(call),
        args,
        has_error: call.has_error(),
    })
}

fn ts_items(node: Node<'_>, rope: &Rope) -> Vec<Expr> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .map(|c| ts_expr(c, rope))
        .collect()
}

fn ts_pairs(dict: Node<'_>, rope: &Rope) -> Vec<(Expr, Expr)> {
    let mut cursor = dict.walk();
    dict.named_children(&mut cursor)
        .filter(|c| c.kind() == "pair")
        .filter_map(|pair| {
            let key = pair.child_by_field_name("key")?;
            let value = pair.child_by_field_name("value")?;
            Some((ts_expr(key, rope), ts_expr(value, rope)))
        })
        .collect()
}

fn ts_expr(node: Node<'_>, rope: &Rope) -> Expr {
    let node = unparenthesize(node);
    match node.kind() {
        "string" => {
            let raw = rope.byte_slice(node.byte_range()).to_string();
            let value = crate::syntax::string_literal_value(node, rope);
            let raw_offset = value
                .as_deref()
                .and_then(|v| crate::syntax::value_offset(&raw, v));
            Expr::Str {
                value,
                range: node_range(node),
                raw_offset,
            }
        }
        "concatenated_string" => Expr::Str {
            value: None,
            range: node_range(node),
            raw_offset: None,
        },
        "list" => Expr::List(ts_items(node, rope)),
        "tuple" | "parenthesized_expression" => Expr::Tuple(ts_items(node, rope)),
        "dictionary" => Expr::Dict(ts_pairs(node, rope)),
        "binary_operator" => {
            match (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                (Some(left), Some(right)) => {
                    Expr::Binary(Box::new((ts_expr(left, rope), ts_expr(right, rope))))
                }
                _ => Expr::Other,
            }
        }
        "call" => match ts_select_dict(node, rope) {
            Some(dict) => Expr::Select(ts_pairs(dict, rope)),
            None => Expr::Other,
        },
        _ => Expr::Other,
    }
}

/// The branches' dictionary of a select (see [`SelectForm`]).
fn ts_select_dict<'t>(call: Node<'t>, rope: &Rope) -> Option<Node<'t>> {
    let form = SelectForm::of(&ts_callee(call, rope)?)?;
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let first = args
        .named_children(&mut cursor)
        .find(|c| c.kind() != "comment")
        .map(unparenthesize)?;
    match (form, first.kind()) {
        (_, "dictionary") => Some(first),
        (SelectForm::Select, "call")
            if ts_callee(first, rope).and_then(|c| SelectForm::of(&c))
                == Some(SelectForm::WithOrDict) =>
        {
            ts_select_dict(first, rope)
        }
        _ => None,
    }
}

/// The calls whose first argument is a select's branches: `select()`,
/// bazel_skylib's `selects.with_or()` (a select whose tuple keys stand for
/// one key each) and `selects.with_or_dict()` (such a dictionary, given
/// to `select()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SelectForm {
    Select,
    WithOr,
    WithOrDict,
}

impl SelectForm {
    fn of(callee: &str) -> Option<SelectForm> {
        let last = callee.rsplit('.').next().unwrap_or(callee);
        match last {
            "select" if callee == "select" => Some(SelectForm::Select),
            "with_or" => Some(SelectForm::WithOr),
            "with_or_dict" => Some(SelectForm::WithOrDict),
            _ => None,
        }
    }
}

/// Reads an outline from the `starlark` AST.
struct AstReader<'t> {
    text: &'t str,
}

impl AstReader<'_> {
    fn range(&self, span: starlark::codemap::Span) -> TextRange {
        TextRange::new(span.begin().get() as usize, span.end().get() as usize)
    }

    fn source(&self, span: starlark::codemap::Span) -> &str {
        let range = self.range(span);
        self.text.get(range.start..range.end).unwrap_or("")
    }

    fn top_level(&self, stmt: &AstStmt, out: &mut Vec<Statement>) {
        match &stmt.node {
            StmtP::Statements(stmts) => {
                for stmt in stmts {
                    self.top_level(stmt, out);
                }
            }
            StmtP::Load(load) => {
                let symbols = load
                    .args
                    .iter()
                    .map(|arg| {
                        let their = self.range(arg.their.span);
                        let local = self.range(arg.local.span);
                        // `"sym"` alone: the local name is the string's.
                        let range = if local.start >= their.start {
                            their
                        } else {
                            self.range(arg.span())
                        };
                        (arg.local.node.ident.clone(), arg.their.node.clone(), range)
                    })
                    .collect();
                let module = self.range(load.module.span);
                if let Some(name) = string_literal(self.source(load.module.span)) {
                    out.push(Statement::Load(LoadDecl {
                        module: name,
                        module_range: module,
                        symbols,
                    }));
                }
            }
            StmtP::Expression(expr) => self.top_level_expr(expr, out),
            StmtP::For(..) | StmtP::If(..) | StmtP::IfElse(..) => {
                let mut calls = Vec::new();
                self.statement_calls(stmt, &mut calls);
                out.push(Statement::Compound { calls });
            }
            _ => {}
        }
    }

    fn top_level_expr(&self, expr: &AstExpr, out: &mut Vec<Statement>) {
        match &expr.node {
            ExprP::Call(..) => out.extend(self.call(expr).map(Statement::Call)),
            ExprP::ListComprehension(..) => {
                let mut calls = Vec::new();
                self.expr_calls(expr, &mut calls);
                out.push(Statement::Compound { calls });
            }
            _ => {}
        }
    }

    /// The statement-level calls of a nested statement.
    fn statement_calls(&self, stmt: &AstStmt, out: &mut Vec<Call>) {
        match &stmt.node {
            StmtP::Statements(stmts) => {
                for stmt in stmts {
                    self.statement_calls(stmt, out);
                }
            }
            StmtP::Expression(expr) => self.expr_calls(expr, out),
            StmtP::For(f) => {
                self.expr_calls(&f.over, out);
                self.statement_calls(&f.body, out);
            }
            StmtP::If(cond, body) => {
                self.expr_calls(cond, out);
                self.statement_calls(body, out);
            }
            StmtP::IfElse(cond, branches) => {
                self.expr_calls(cond, out);
                self.statement_calls(&branches.0, out);
                self.statement_calls(&branches.1, out);
            }
            _ => {}
        }
    }

    /// A call standing in a statement position (the expression itself, or
    /// a comprehension's body), `load` aside.
    fn expr_calls(&self, expr: &AstExpr, out: &mut Vec<Call>) {
        match &expr.node {
            ExprP::Call(..) => out.extend(self.call(expr)),
            ExprP::ListComprehension(body, ..) => self.expr_calls(body, out),
            _ => {}
        }
    }

    fn call(&self, expr: &AstExpr) -> Option<Call> {
        let ExprP::Call(callee, args) = &expr.node else {
            return None;
        };
        let callee = self.source(callee.span).to_string();
        if callee == "load" {
            return None;
        }
        let args = args
            .args
            .iter()
            .map(|arg| match &arg.node {
                ArgumentP::Positional(value) => Arg::Positional(self.expr(value)),
                ArgumentP::Named(name, value) => Arg::Keyword {
                    name: name.node.clone(),
                    value: self.expr(value),
                },
                ArgumentP::Args(_) | ArgumentP::KwArgs(_) => Arg::Splat,
            })
            .collect();
        Some(Call {
            callee,
            range: self.range(expr.span),
            args,
            has_error: false,
        })
    }

    fn pairs(&self, pairs: &[(AstExpr, AstExpr)]) -> Vec<(Expr, Expr)> {
        pairs
            .iter()
            .map(|(k, v)| (self.expr(k), self.expr(v)))
            .collect()
    }

    fn expr(&self, expr: &AstExpr) -> Expr {
        match &expr.node {
            ExprP::Literal(AstLiteral::String(_)) => {
                let raw = self.source(expr.span);
                let value = string_literal(raw);
                let raw_offset = value
                    .as_deref()
                    .and_then(|v| crate::syntax::value_offset(raw, v));
                Expr::Str {
                    value,
                    range: self.range(expr.span),
                    raw_offset,
                }
            }
            ExprP::Literal(AstLiteral::Bytes(_)) | ExprP::FString(_) => Expr::Str {
                value: None,
                range: self.range(expr.span),
                raw_offset: None,
            },
            ExprP::List(items) => Expr::List(items.iter().map(|i| self.expr(i)).collect()),
            ExprP::Tuple(items) => Expr::Tuple(items.iter().map(|i| self.expr(i)).collect()),
            ExprP::Dict(pairs) => Expr::Dict(self.pairs(pairs)),
            ExprP::Op(left, op, right) if is_arithmetic(*op) => {
                Expr::Binary(Box::new((self.expr(left), self.expr(right))))
            }
            ExprP::Call(..) => match self.select_dict(expr) {
                Some(pairs) => Expr::Select(self.pairs(pairs)),
                None => Expr::Other,
            },
            _ => Expr::Other,
        }
    }

    /// The branches of a select (see [`SelectForm`]).
    fn select_dict<'a>(&self, call: &'a AstExpr) -> Option<&'a [(AstExpr, AstExpr)]> {
        let ExprP::Call(callee, args) = &call.node else {
            return None;
        };
        let form = SelectForm::of(self.source(callee.span))?;
        let Some(ArgumentP::Positional(first)) = args.args.first().map(|a| &a.node) else {
            return None;
        };
        match (&first.node, form) {
            (ExprP::Dict(pairs), _) => Some(pairs),
            (ExprP::Call(inner, _), SelectForm::Select)
                if SelectForm::of(self.source(inner.span)) == Some(SelectForm::WithOrDict) =>
            {
                self.select_dict(first)
            }
            _ => None,
        }
    }
}

/// The operators tree-sitter calls `binary_operator` (not comparisons,
/// not `and`/`or`).
fn is_arithmetic(op: BinOp) -> bool {
    !matches!(
        op,
        BinOp::Or
            | BinOp::And
            | BinOp::Equal
            | BinOp::NotEqual
            | BinOp::Less
            | BinOp::Greater
            | BinOp::LessOrEqual
            | BinOp::GreaterOrEqual
            | BinOp::In
            | BinOp::NotIn
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_str;

    /// The two readers of `text`, when both parsers accept it.
    fn both(text: &str) -> Option<(Outline, Outline)> {
        let ast = crate::workspace::eval::parse_build("p", text).ok()?;
        let tree = parse_str(text);
        if tree.root_node().has_error() {
            return None;
        }
        Some((
            Outline::from_tree(&tree, &Rope::from_str(text)),
            Outline::from_ast(&ast, text),
        ))
    }

    fn assert_same(text: &str) {
        let (tree, ast) = both(text).unwrap_or_else(|| panic!("a parser rejects {text:?}"));
        assert_eq!(tree, ast, "outlines differ for:\n{text}");
    }

    /// Reusing the pieces of an earlier version gives the outline a fresh
    /// reading gives, through edits that move, change, break, repair,
    /// duplicate and delete statements.
    #[test]
    fn reusing_pieces_equals_a_fresh_reading() {
        let versions = [
            "load(\"//m:defs.bzl\", \"mac\")\ncc_library(name = \"a\", deps = [\":b\"])\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\n",
            "# a comment that moves everything\nload(\"//m:defs.bzl\", \"mac\")\ncc_library(name = \"a\", deps = [\":b\"])\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\n",
            "# a comment that moves everything\nload(\"//m:defs.bzl\", \"mac\")\ncc_library(name = \"a\", deps = [\":b\", \"//x:y\"])\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\n",
            "# a comment that moves everything\nload(\"//m:defs.bzl\", \"mac\")\ncc_library(name = \"a\", deps = [\":b\", \"//x:y\"\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\n",
            "load(\"//m:defs.bzl\", \"mac\")\ncc_library(name = \"a\", deps = [\":b\", \"//x:y\"])\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\nmac(name = \"b\", srcs = glob([\"*.cc\"]))\nfor x in [1]:\n    cc_library(name = \"c%d\" % x, srcs = select({\":on\": [\"on.cc\"]}))\n",
            "mac(name = \"b\", srcs = glob([\"*.cc\"]))\n",
            "",
        ];
        let mut previous: Option<(Outline, OutlinePieces)> = None;
        for text in versions {
            let rope = Rope::from_str(text);
            let tree = parse_str(text);
            let (outline, pieces) =
                Outline::from_tree_reusing(&tree, &rope, previous.as_ref().map(|(o, p)| (o, p)));
            assert_eq!(outline, Outline::from_tree(&tree, &rope), "for:\n{text}");
            previous = Some((outline, pieces));
        }
    }

    /// Statements with syntax errors are read afresh: the same text may be
    /// recovered differently in another context.
    #[test]
    fn reusing_pieces_reads_broken_statements_afresh() {
        let mut previous: Option<(Outline, OutlinePieces)> = None;
        for text in crate::fixture::error_recovery_versions() {
            let rope = Rope::from_str(&text);
            let tree = parse_str(&text);
            let (outline, pieces) =
                Outline::from_tree_reusing(&tree, &rope, previous.as_ref().map(|(o, p)| (o, p)));
            assert_eq!(outline, Outline::from_tree(&tree, &rope), "for:\n{text}");
            previous = Some((outline, pieces));
        }
    }

    #[test]
    fn both_readers_agree_on_build_files() {
        for text in CORPUS {
            assert_same(text);
        }
    }

    /// Every BUILD file under the directory `BZLS_OUTLINE_CORPUS` (e.g. a
    /// fetched real tree), when set: the readers agree wherever both
    /// parsers accept the file.
    #[test]
    fn both_readers_agree_on_a_corpus_directory() {
        let Some(dir) = std::env::var_os("BZLS_OUTLINE_CORPUS") else {
            return;
        };
        let mut stack = vec![std::path::PathBuf::from(dir)];
        let (mut compared, mut rejected, mut differ) = (0, 0, Vec::new());
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = entry.file_name();
                if !name
                    .to_str()
                    .is_some_and(crate::workspace::is_build_file_name)
                {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                match both(&text) {
                    None => rejected += 1,
                    Some((tree, ast)) => {
                        compared += 1;
                        if tree != ast {
                            differ.push(path.display().to_string());
                        }
                    }
                }
            }
        }
        eprintln!(
            "{compared} BUILD files compared, {rejected} rejected by a parser, {} differ",
            differ.len()
        );
        assert!(differ.is_empty(), "outlines differ: {differ:#?}");
    }

    const CORPUS: &[&str] = &[
        "",
        "# just a comment\n",
        r#"load("//tools:defs.bzl", "my_macro", alias = "their_name")
load(":local.bzl", "x")

package(default_visibility = ["//visibility:public"])

cc_library(
    name = "a",  # the library
    srcs = ["a.cc"] + glob(["*.h"]),
    deps = [
        ":b",  # comment in a list
        "//q",
    ] + select({
        # comment in a select
        "//conditions:default": [":c"],
        ":opt": [r"raw", '''triple'''],
    }),
    copts = ["-DX=\"1\""],
)

my_macro(name = "m", data = {"k": "//v:w"}, **kwargs)
exports_files(["a.txt", "b.txt"], visibility = ["//visibility:public"])
genrule(name = "g", outs = ["x.h", "y.h"], cmd = "touch $@")
genrule(name = "g2", outs = ("t.h",), cmd = "")
native.genrule(name = "n", out = "n.txt")
x = cc_library(name = "assigned")
"//p:" + name
(cc_library(name = "paren"))
"#,
        r#"[cc_test(name = n, deps = [":" + n]) for n in ["a", "b"]]
for n in range(3):
    cc_library(name = "l%d" % n, deps = ["//x"])
    if n:
        sh_test(name = "s", data = ["//d"])
    elif n > 1:
        py_test(name = "p", srcs = [f"{n}.py"])
    else:
        genrule(name = "g", outs = ["o"])
if select_it(deps = ["//c:c"]):
    pass
filegroup(name = "f", srcs = ["a"] if x else ["b"], data = ("//t",) + DEPS)
alias(name = "al", actual = select({"//c:x": "//a", "//conditions:default": "//b"}) + [])
filegroup(name = "w", srcs = selects.with_or({("//c:a", ":b"): ["//v"]}) + select(selects.with_or_dict({"//c:d": [":e"]})))
config_setting(name = "cs", flag_values = {":flag": "v"}, values = {"define": "a=1"})
"#,
        "cc_library(name = \"esc\", srcs = [\"a\\tb\", \"\\u00e9\"], deps = [b\"x\"])\n",
    ];
}
