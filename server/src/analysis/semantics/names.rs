//! Name resolution of one Starlark file, as Bazel's resolver does it when
//! it loads the file: which names each top-level statement binds at module
//! level, and which names it reads that no enclosing function, lambda or
//! comprehension binds (those are globals of the file, or builtins).
//!
//! Scoping follows Starlark: a name is local to a function (or lambda) when
//! it is a parameter or is assigned anywhere in the function's body,
//! outside nested functions; comprehension variables are local to the
//! comprehension; a parameter's default value is read in the scope around
//! the function. Keyword names of calls (`f(name = x)`: `name`) and
//! attribute names (`a.b`: `b`) are not variables.
//!
//! Invariant: a statement with a syntax error reads nothing (what it means
//! is unknown while it is being typed) and every identifier in it counts as
//! a possible binding, so that neither it nor the statements that use what
//! it is about to define get an undefined-name error.

use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Node;

use crate::hash::FastSet;
use crate::syntax::node_range;
use crate::text::TextRange;

/// Deeper than this, a walk stops (the file is reported as too complex by
/// the syntax layer long before).
const MAX_DEPTH: usize = 400;

/// How a module-level binding binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindKind {
    /// `x = ...` (or a name in a destructuring target).
    Assign,
    /// `x += ...`: reads and binds.
    Augmented,
    /// `def x(...)`.
    Def,
    /// A top-level `for` loop variable.
    For,
    /// A `load()` symbol: `range` is the bound name (the string's
    /// content, or the alias); `entry` is the whole argument (string or
    /// `alias = "sym"`) and `statement` the load call's statement.
    Load {
        entry: TextRange,
        statement: TextRange,
        /// The number of symbols the load binds.
        symbols: usize,
    },
    /// An identifier of a statement with a syntax error: perhaps a
    /// binding.
    Maybe,
}

/// A name bound at module level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalBinding {
    pub name: Arc<str>,
    pub range: TextRange,
    pub kind: BindKind,
    /// The index of its top-level statement.
    pub statement: usize,
}

/// A read of a name that no function, lambda or comprehension around it
/// binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeRead {
    pub name: Arc<str>,
    pub range: TextRange,
    /// Inside a `def` or `lambda` body: runs when called, not when the
    /// module is loaded.
    pub deferred: bool,
    /// The index of its top-level statement.
    pub statement: usize,
}

/// What the top-level statements of a file bind and read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileNames {
    /// Module-level bindings, in text order.
    pub globals: Vec<GlobalBinding>,
    /// Free reads, in text order.
    pub free: Vec<FreeRead>,
    /// The top-level statements: their range, whether each is a `load()`
    /// and whether it is a string standing alone (a docstring).
    pub statements: Vec<TopStatement>,
}

/// One top-level statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopStatement {
    pub range: TextRange,
    pub is_load: bool,
    pub is_string: bool,
}

/// What one top-level statement binds and reads, with ranges relative to
/// its start and statement index 0: a function of its text alone, so that
/// a later version of the file reuses it (see [`NamesMemo`]).
#[derive(Debug, Default)]
pub struct StatementNames {
    globals: Vec<GlobalBinding>,
    free: Vec<FreeRead>,
    top: Option<TopStatement>,
}

/// The names of statements by their text, shared by the versions of one
/// document. Holds exactly the error-free statements of the last version
/// read: each version keeps the entries it used and drops the rest (the
/// old texts of edited statements), so the memo is never larger than the
/// file. Statements with a syntax error are never kept (their names depend
/// on the tree's error recovery, not on their text alone), nor are
/// statements that do not start their line.
pub type NamesMemo = std::sync::Mutex<StatementMemo>;

/// Statements' names by a hash of their text (colliding texts share a
/// bucket).
pub type StatementMemo = crate::hash::FastMap<u64, Vec<(String, Arc<StatementNames>)>>;

impl StatementNames {
    fn of(stmt: Node<'_>, rope: &Rope) -> StatementNames {
        let mut names = FileNames::default();
        read_statement(stmt, 0, rope, &mut names);
        let start = stmt.start_byte() as isize;
        let shift = |r: TextRange| r.shifted(-start);
        let globals = names
            .globals
            .into_iter()
            .map(|mut g| {
                g.range = shift(g.range);
                if let BindKind::Load {
                    entry, statement, ..
                } = &mut g.kind
                {
                    *entry = shift(*entry);
                    *statement = shift(*statement);
                }
                g
            })
            .collect();
        let free = names
            .free
            .into_iter()
            .map(|mut r| {
                r.range = shift(r.range);
                r
            })
            .collect();
        let top = names.statements.pop().map(|mut t| {
            t.range = shift(t.range);
            t
        });
        StatementNames { globals, free, top }
    }

    /// Appends this statement's names to `out`, placed at `start` as
    /// statement `index`.
    fn place(&self, start: usize, index: usize, out: &mut FileNames) {
        let delta = start as isize;
        out.globals.extend(self.globals.iter().map(|g| {
            let mut g = g.clone();
            g.range = g.range.shifted(delta);
            g.statement = index;
            if let BindKind::Load {
                entry, statement, ..
            } = &mut g.kind
            {
                *entry = entry.shifted(delta);
                *statement = statement.shifted(delta);
            }
            g
        }));
        out.free.extend(self.free.iter().map(|r| FreeRead {
            name: r.name.clone(),
            range: r.range.shifted(delta),
            deferred: r.deferred,
            statement: index,
        }));
        if let Some(top) = self.top {
            out.statements.push(TopStatement {
                range: top.range.shifted(delta),
                ..top
            });
        }
    }
}

impl FileNames {
    /// Reads the names of every top-level statement of `root` (a
    /// tree-sitter `module`), taking those of statements whose text `memo`
    /// has seen from it (and recording the others).
    pub fn of_module(root: Node<'_>, rope: &Rope, memo: Option<&NamesMemo>) -> FileNames {
        let mut names = FileNames::default();
        let mut memo = memo.map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
        let mut cursor = root.walk();
        let statements: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
        // The entries of the last version; those this one uses move to the
        // new memo, the rest are dropped at the end.
        let mut old = memo.as_mut().map(|m| std::mem::take(&mut **m));
        for (index, stmt) in statements.into_iter().enumerate() {
            // A statement with a syntax error is read afresh: error recovery
            // may shape the same text differently in another tree (an
            // incremental reparse against a fresh one), and what it binds
            // follows that shape. So is one that does not start a line
            // (after a NUL or other junk on it): its blocks are read by the
            // columns of its lines, which its text alone does not fix.
            let memoizable = !stmt.has_error() && stmt.start_position().column == 0;
            let (Some(memo), Some(old), true) = (memo.as_mut(), old.as_mut(), memoizable) else {
                read_statement(stmt, index, rope, &mut names);
                continue;
            };
            let Some(slice) = rope.get_byte_slice(stmt.byte_range()) else {
                continue;
            };
            let key = {
                use std::hash::{Hash, Hasher};
                let mut hasher = crate::hash::FnvHasher::default();
                for chunk in slice.chunks() {
                    chunk.hash(&mut hasher);
                }
                hasher.finish()
            };
            let bucket = memo.entry(key).or_default();
            let kept = bucket
                .iter()
                .find(|(text, _)| slice == text.as_str())
                .map(|(_, statement)| statement.clone());
            let statement = match kept {
                // The same text twice in this version.
                Some(statement) => statement,
                None => {
                    let previous = old.get_mut(&key).and_then(|bucket| {
                        let at = bucket.iter().position(|(text, _)| slice == text.as_str())?;
                        Some(bucket.swap_remove(at))
                    });
                    let entry = previous.unwrap_or_else(|| {
                        (slice.to_string(), Arc::new(StatementNames::of(stmt, rope)))
                    });
                    let statement = entry.1.clone();
                    bucket.push(entry);
                    statement
                }
            };
            statement.place(stmt.start_byte(), index, &mut names);
        }
        names
    }

    /// Whether `name` is bound at module level.
    pub fn is_global(&self, name: &str) -> bool {
        self.globals.iter().any(|g| &*g.name == name)
    }
}

/// Reads one top-level statement into `names`, as statement `index`.
fn read_statement(stmt: Node<'_>, index: usize, rope: &Rope, names: &mut FileNames) {
    if stmt.kind() == "comment" {
        names.statements.push(TopStatement {
            range: node_range(stmt),
            is_load: false,
            // Not code: ordering ignores it, as a docstring.
            is_string: true,
        });
        return;
    }
    let is_load = load_call(stmt, rope).is_some();
    let is_string = stmt.kind() == "expression_statement"
        && stmt.named_child_count() == 1
        && stmt
            .named_child(0)
            .is_some_and(|c| matches!(c.kind(), "string" | "concatenated_string"));
    let mut walker = Walker {
        rope,
        statement: index,
        scopes: Vec::new(),
        deferred: false,
        out: names,
    };
    if stmt.has_error() || stmt.is_error() || stmt.is_missing() {
        walker.maybe_bindings(stmt, 0);
    } else {
        walker.statement(stmt, 0);
    }
    names.statements.push(TopStatement {
        range: node_range(stmt),
        is_load,
        is_string,
    });
}

/// The `load(...)` call a top-level statement is, if it is one.
pub fn load_call<'t>(stmt: Node<'t>, rope: &Rope) -> Option<Node<'t>> {
    let call = if stmt.kind() == "expression_statement" {
        stmt.named_child(0)?
    } else {
        stmt
    };
    let function = call.child_by_field_name("function")?;
    (call.kind() == "call" && text(rope, function) == "load").then_some(call)
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.get_byte_slice(node.byte_range())
        .map(String::from)
        .unwrap_or_default()
}

struct Walker<'a> {
    rope: &'a Rope,
    statement: usize,
    /// The names local to each enclosing function, lambda or
    /// comprehension, innermost last.
    scopes: Vec<FastSet<String>>,
    deferred: bool,
    out: &'a mut FileNames,
}

impl Walker<'_> {
    fn bind(&mut self, node: Node<'_>, kind: BindKind) {
        if self.scopes.is_empty() {
            self.out.globals.push(GlobalBinding {
                name: text(self.rope, node).into(),
                range: node_range(node),
                kind,
                statement: self.statement,
            });
        }
    }

    fn read(&mut self, node: Node<'_>) {
        let name = text(self.rope, node);
        if self.scopes.iter().any(|scope| scope.contains(&name)) {
            return;
        }
        self.out.free.push(FreeRead {
            name: name.into(),
            range: node_range(node),
            deferred: self.deferred,
            statement: self.statement,
        });
    }

    /// Every identifier of a broken statement, as a possible binding.
    fn maybe_bindings(&mut self, node: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if node.kind() == "identifier" {
            self.bind(node, BindKind::Maybe);
            return;
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.maybe_bindings(child, depth + 1);
        }
        if node.kind() == "string" {
            // `load(":x.bzl", "sym")` half typed: its symbols.
            if let Some(value) = crate::syntax::string_literal(&text(self.rope, node)) {
                if is_identifier(&value) && self.scopes.is_empty() {
                    self.out.globals.push(GlobalBinding {
                        name: value.into(),
                        range: node_range(node),
                        kind: BindKind::Maybe,
                        statement: self.statement,
                    });
                }
            }
        }
    }

    fn statement(&mut self, stmt: Node<'_>, depth: usize) {
        if let Some(call) = load_call(stmt, self.rope).filter(|_| self.scopes.is_empty()) {
            self.load(stmt, call);
            return;
        }
        self.node(stmt, depth);
    }

    fn load(&mut self, stmt: Node<'_>, call: Node<'_>) {
        let Some(args) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        let entries: Vec<Node<'_>> = args.named_children(&mut cursor).skip(1).collect();
        let symbols = entries.len();
        for entry in entries {
            let bound = match entry.kind() {
                "string" => {
                    let raw = text(self.rope, entry);
                    let Some(value) = crate::syntax::string_literal(&raw) else {
                        continue;
                    };
                    let Some(at) = raw.find(value.as_str()).filter(|_| !value.is_empty()) else {
                        continue;
                    };
                    let start = entry.start_byte() + at;
                    let range = TextRange::new(start, start + value.len());
                    Some((value, range))
                }
                "keyword_argument" => entry
                    .child_by_field_name("name")
                    .map(|n| (text(self.rope, n), node_range(n))),
                _ => None,
            };
            if let Some((name, range)) = bound {
                self.out.globals.push(GlobalBinding {
                    name: name.into(),
                    range,
                    kind: BindKind::Load {
                        entry: node_range(entry),
                        statement: node_range(stmt),
                        symbols,
                    },
                    statement: self.statement,
                });
            }
        }
    }

    fn children(&mut self, node: Node<'_>, depth: usize) {
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for child in children {
            self.node(child, depth + 1);
        }
    }

    fn node(&mut self, node: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match node.kind() {
            "identifier" => self.read(node),
            "comment"
            | "string"
            | "concatenated_string"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "type" => {}
            "keyword_argument" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.node(value, depth + 1);
                }
            }
            "attribute" => {
                if let Some(object) = node.child_by_field_name("object") {
                    self.node(object, depth + 1);
                }
            }
            "function_definition" => self.function(node, depth),
            "lambda" => self.lambda(node, depth),
            "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension"
            | "generator_expression" => self.comprehension(node, depth),
            "assignment" => {
                if let Some(right) = node.child_by_field_name("right") {
                    self.node(right, depth + 1);
                }
                if let Some(left) = node.child_by_field_name("left") {
                    self.target(left, BindKind::Assign, depth + 1);
                }
            }
            "augmented_assignment" => {
                if let Some(right) = node.child_by_field_name("right") {
                    self.node(right, depth + 1);
                }
                if let Some(left) = node.child_by_field_name("left") {
                    if left.kind() == "identifier" {
                        self.read(left);
                    }
                    self.target(left, BindKind::Augmented, depth + 1);
                }
            }
            "for_statement" => {
                if let Some(right) = node.child_by_field_name("right") {
                    self.node(right, depth + 1);
                }
                if let Some(left) = node.child_by_field_name("left") {
                    self.target(left, BindKind::For, depth + 1);
                }
                for field in ["body", "alternative"] {
                    if let Some(body) = node.child_by_field_name(field) {
                        self.node(body, depth + 1);
                    }
                }
            }
            _ => self.children(node, depth),
        }
    }

    /// An assignment target: names bind, the rest (`a.b`, `a[i]`) reads.
    fn target(&mut self, node: Node<'_>, kind: BindKind, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match node.kind() {
            "identifier" => self.bind(node, kind),
            "attribute" | "subscript" => self.node(node, depth),
            k if crate::syntax::is_destructuring(k) || k == "list_splat_pattern" => {
                let mut cursor = node.walk();
                let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                for child in children {
                    self.target(child, kind.clone(), depth + 1);
                }
            }
            _ => self.node(node, depth),
        }
    }

    fn function(&mut self, def: Node<'_>, depth: usize) {
        if let Some(name) = def.child_by_field_name("name") {
            self.bind(name, BindKind::Def);
        }
        let mut locals = FastSet::default();
        if let Some(params) = def.child_by_field_name("parameters") {
            self.parameters(params, &mut locals, depth);
        }
        let Some(body) = def.child_by_field_name("body") else {
            return;
        };
        assigned(body, self.rope, &mut locals, depth);
        self.scopes.push(locals);
        let deferred = std::mem::replace(&mut self.deferred, true);
        self.node(body, depth + 1);
        self.deferred = deferred;
        self.scopes.pop();
    }

    fn lambda(&mut self, lambda: Node<'_>, depth: usize) {
        let mut locals = FastSet::default();
        if let Some(params) = lambda.child_by_field_name("parameters") {
            self.parameters(params, &mut locals, depth);
        }
        self.scopes.push(locals);
        let deferred = std::mem::replace(&mut self.deferred, true);
        if let Some(body) = lambda.child_by_field_name("body") {
            self.node(body, depth + 1);
        }
        self.deferred = deferred;
        self.scopes.pop();
    }

    /// Reads the default values (in the scope around) and collects the
    /// parameter names.
    fn parameters(&mut self, params: Node<'_>, locals: &mut FastSet<String>, depth: usize) {
        let mut cursor = params.walk();
        let list: Vec<Node<'_>> = params.named_children(&mut cursor).collect();
        for param in list {
            if let Some(value) = param.child_by_field_name("value") {
                self.node(value, depth + 1);
            }
            param_names(param, self.rope, locals, depth + 1);
        }
    }

    fn comprehension(&mut self, node: Node<'_>, depth: usize) {
        let mut locals = FastSet::default();
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        for clause in children.iter().filter(|c| c.kind() == "for_in_clause") {
            if let Some(left) = clause.child_by_field_name("left") {
                pattern_names(left, self.rope, &mut locals, depth + 1);
            }
        }
        self.scopes.push(locals);
        for child in children {
            if child.kind() == "for_in_clause" {
                let mut cursor = child.walk();
                let left = child.child_by_field_name("left").map(|l| l.id());
                let parts: Vec<Node<'_>> = child.named_children(&mut cursor).collect();
                for part in parts.into_iter().filter(|p| Some(p.id()) != left) {
                    self.node(part, depth + 1);
                }
            } else {
                self.node(child, depth + 1);
            }
        }
        self.scopes.pop();
    }
}

/// The names a parameter binds (not its default value or type).
fn param_names(param: Node<'_>, rope: &Rope, out: &mut FastSet<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match param.kind() {
        "identifier" => {
            out.insert(text(rope, param));
        }
        "default_parameter" | "typed_default_parameter" => {
            if let Some(name) = param.child_by_field_name("name") {
                param_names(name, rope, out, depth + 1);
            }
        }
        "type" => {}
        _ => {
            let mut cursor = param.walk();
            for child in param.named_children(&mut cursor) {
                param_names(child, rope, out, depth + 1);
            }
        }
    }
}

/// The names an assignment target binds.
fn pattern_names(pattern: Node<'_>, rope: &Rope, out: &mut FastSet<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match pattern.kind() {
        "identifier" => {
            out.insert(text(rope, pattern));
        }
        "attribute" | "subscript" => {}
        _ => {
            let mut cursor = pattern.walk();
            for child in pattern.named_children(&mut cursor) {
                pattern_names(child, rope, out, depth + 1);
            }
        }
    }
}

/// The names a function body assigns, outside nested scopes (a nested
/// `def` binds its own name).
fn assigned(node: Node<'_>, rope: &Rope, out: &mut FastSet<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node.kind() {
        "function_definition" => {
            if let Some(name) = node.child_by_field_name("name") {
                out.insert(text(rope, name));
            }
            return;
        }
        "lambda"
        | "list_comprehension"
        | "dictionary_comprehension"
        | "set_comprehension"
        | "generator_expression" => return,
        "assignment" | "augmented_assignment" | "for_statement" => {
            if let Some(left) = node.child_by_field_name("left") {
                pattern_names(left, rope, out, depth + 1);
            }
        }
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        assigned(child, rope, out, depth + 1);
    }
}

/// Whether `s` is a Starlark identifier.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
