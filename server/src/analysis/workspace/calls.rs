//! Calls in Starlark files: which callable a call names (a function loaded
//! or defined in `.bzl` files, a native rule, a builtin), and what that
//! gives the editor: signature help with the active parameter, completion
//! of attribute and parameter names inside the call and of names in scope,
//! and hovers on callees and keyword names.
//!
//! Works on half-typed calls: while a call is unclosed tree-sitter has no
//! `call` node, only an `ERROR` holding the callee, `(` and the arguments;
//! [`call_at`] reads both shapes.

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::completion::{push_item as push, Completions, Item, ItemKind};
use super::definition::{symbol_global, symbol_global_in};
use super::{FileContext, WorkspaceView};
use crate::syntax::node_range;
use crate::text::TextRange;
use crate::workspace::bzl::{BzlGlobals, GlobalKind};
use crate::workspace::callables::{
    build_builtin, bzl_builtin, bzl_field, bzl_members, dialect_builtin, dialect_builtin_names,
    Callable, Dialect, KwargsTarget, Origin, Param, ParamKind, GENERATED_ATTRIBUTES,
};
use crate::workspace::schema::rules;
use crate::workspace::starlark_builtins::{value_method, value_methods, ValueType};

/// The argument the cursor is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActiveArgument {
    /// The `index`th positional argument (no keyword argument before it).
    Positional(usize),
    /// The value of keyword argument `name`.
    Keyword(String),
    /// After a keyword argument, not in one.
    Unknown,
}

/// A call around the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallAt {
    /// The callee as written (`cc_library`, `native.cc_library`).
    pub callee: String,
    /// The keyword arguments given, by name.
    pub given: Vec<String>,
    pub active: ActiveArgument,
    /// The cursor is where an argument's name could be typed (not in a
    /// keyword argument's value); the identifier typed so far, if any.
    pub name_position: Option<TextRange>,
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

/// How far back [`call_at`] skips blank text before the cursor.
const MAX_BLANK_BEFORE: usize = 4096;

/// The innermost call whose argument list holds `offset`.
pub fn call_at(tree: &Tree, rope: &Rope, offset: usize) -> Option<CallAt> {
    let root = tree.root_node();
    // The node just before the cursor, whitespace skipped: at the end of a
    // half-typed call the cursor is past every node but the module.
    let offset = offset.min(rope.len_bytes());
    let mut last = offset;
    let mut chars = rope.chars_at(rope.byte_to_char(offset));
    // A bounded look back: a run of blank text longer than this is no
    // argument list being typed.
    for _ in 0..MAX_BLANK_BEFORE {
        match chars.prev() {
            Some(c) if c.is_whitespace() => last -= c.len_utf8(),
            _ => break,
        }
    }
    let mut node = root.descendant_for_byte_range(last.saturating_sub(1), last.max(1))?;
    loop {
        if node.kind() == "argument_list" {
            let closed = node
                .child(node.child_count().checked_sub(1)?)
                .is_some_and(|last| last.kind() == ")");
            let inside = node.start_byte() < offset && (offset < node.end_byte() || !closed);
            if let Some(call) = node.parent().filter(|p| p.kind() == "call" && inside) {
                let callee = call.child_by_field_name("function")?;
                let args: Vec<Node<'_>> = children(node).into_iter().skip(1).collect();
                return Some(read_call(rope, callee, &args, offset));
            }
        }
        if node.kind() == "ERROR" {
            if let Some(found) = open_call_in_error(rope, node, offset) {
                return Some(found);
            }
        }
        // A string or comment holds no call of its own.
        node = node.parent()?;
    }
}

fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// An unclosed call among the children of an `ERROR`: the last `(` before
/// `offset` that follows a callee and is not closed before it.
fn open_call_in_error(rope: &Rope, error: Node<'_>, offset: usize) -> Option<CallAt> {
    let kids = children(error);
    let mut open: Option<usize> = None;
    for (i, kid) in kids.iter().enumerate() {
        if kid.start_byte() >= offset {
            break;
        }
        match kid.kind() {
            "(" if i > 0 && matches!(kids[i - 1].kind(), "identifier" | "attribute") => {
                open = Some(i);
            }
            ")" => open = None,
            _ => {}
        }
    }
    let open = open?;
    let callee = kids[open - 1];
    Some(read_call(rope, callee, &kids[open + 1..], offset))
}

/// The arguments of a call (after its `(`), read up to the cursor.
fn read_call(rope: &Rope, callee: Node<'_>, args: &[Node<'_>], offset: usize) -> CallAt {
    let mut given = Vec::new();
    let mut positional = 0;
    let mut keyword_seen = false;
    let mut active = None;
    // Between arguments (after `(` or `,`) a name can be typed.
    let mut name_position = Some(TextRange::empty(offset));
    // A keyword argument whose value is not written yet (`srcs = `): the
    // parser sees an identifier and `=`, loose or in an `ERROR`.
    let mut unfinished: Option<String> = None;
    let mut previous: Option<Node<'_>> = None;
    for arg in args {
        if arg.start_byte() < offset {
            match arg.kind() {
                "=" => {
                    unfinished = previous
                        .filter(|p| p.kind() == "identifier")
                        .map(|p| text(rope, p));
                }
                "," => unfinished = None,
                "ERROR" => {
                    let kids = children(*arg);
                    match kids.as_slice() {
                        [name, equals, ..]
                            if name.kind() == "identifier" && equals.kind() == "=" =>
                        {
                            unfinished = Some(text(rope, *name));
                        }
                        [equals, ..] if equals.kind() == "=" => {
                            unfinished = previous
                                .filter(|p| p.kind() == "identifier")
                                .map(|p| text(rope, p));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        previous = Some(*arg);
        let name_node = (arg.kind() == "keyword_argument")
            .then(|| arg.child_by_field_name("name"))
            .flatten();
        if let Some(name_node) = name_node {
            given.push(text(rope, name_node));
        }
        let touches = arg.start_byte() < offset && offset <= arg.end_byte();
        if touches {
            match arg.kind() {
                "keyword_argument" => {
                    active = Some(match name_node {
                        Some(n) => ActiveArgument::Keyword(text(rope, n)),
                        None => ActiveArgument::Unknown,
                    });
                    name_position = name_node.filter(|n| offset <= n.end_byte()).map(node_range);
                }
                "identifier" => name_position = Some(node_range(*arg)),
                "," | "(" | ")" => {}
                _ => name_position = None,
            }
        }
        if arg.kind() == "keyword_argument" && arg.start_byte() < offset {
            keyword_seen = true;
        }
        if arg.kind() == "," && arg.end_byte() <= offset {
            positional += 1;
        }
    }
    if let (None, Some(name)) = (&active, unfinished) {
        active = Some(ActiveArgument::Keyword(name));
        name_position = None;
    }
    // Commas count positional arguments only before any keyword one.
    let active = active.unwrap_or(if keyword_seen {
        ActiveArgument::Unknown
    } else {
        ActiveArgument::Positional(positional)
    });
    CallAt {
        callee: text(rope, callee),
        given,
        active,
        name_position,
    }
}

/// The callable `callee` names in this file.
pub fn callable(ctx: &FileContext<'_>, view: &dyn WorkspaceView, callee: &str) -> Option<Callable> {
    if let Some(rule) = callee.strip_prefix("native.") {
        return Callable::native_rule(rule).or_else(|| build_builtin(rule));
    }
    if callee.contains('.') {
        // A method of a string, list or dict (`"{}".format`, `deps.append`).
        if let Some((object, method)) = callee.rsplit_once('.') {
            if let Some(ty) = written_type(ctx, object) {
                return value_method(ty, method);
            }
        }
        // A function a struct holds (`paths.join`, skylib's style).
        if let Some((object, member)) = callee.rsplit_once('.') {
            if let Some(found) = value_fields(ctx, view, object, ctx.rope.len_bytes())
                .and_then(|value| value.members.into_iter().find(|m| m.name == member))
            {
                return Some(found);
            }
        }
        // A tag of a module extension in MODULE.bazel (`pip.parse`).
        if dialect_of(ctx) == Dialect::Module {
            let (object, tag) = callee.split_once('.')?;
            let extension = extension_of(ctx, view, object)?;
            return extension.members.into_iter().find(|m| m.name == tag);
        }
        // A method of a value `.bzl` files work with (`attr.string`,
        // `ctx.actions.run`).
        return (!ctx.is_build).then(|| bzl_builtin(callee)).flatten();
    }
    if let Some((_, exported)) = ctx.globals.loaded(callee) {
        return match loaded_callable(&ctx.package, &ctx.globals, view, callee) {
            Some(found) => found,
            // Not on disk: a rule set's wrapper of a native rule
            // (`@rules_cc//cc:defs.bzl`'s `cc_library`) takes its attributes.
            None => Callable::native_rule(exported),
        };
    }
    if let Some(global) = ctx.globals.get(callee) {
        return match &global.kind {
            GlobalKind::Function { .. } => function_callable(
                &ctx.package,
                &ctx.globals,
                view,
                global,
                Origin::Function { path: None },
                0,
            ),
            GlobalKind::Variable { rule, .. } => rule.as_deref().cloned(),
        };
    }
    match dialect_of(ctx) {
        Dialect::Build => Callable::native_rule(callee).or_else(|| build_builtin(callee)),
        dialect => dialect_builtin(dialect, callee),
    }
}

/// What the name `callee`, loaded by a file of `package` with `globals`,
/// is in the file it is loaded from: `None` when that file is not on disk
/// or does not bind it, `Some(None)` when it binds it to neither a
/// function nor a rule bzls can read.
pub fn loaded_callable(
    package: &str,
    globals: &BzlGlobals,
    view: &dyn WorkspaceView,
    callee: &str,
) -> Option<Option<Callable>> {
    loaded_callable_at(package, globals, view, callee, 0)
}

/// Legacy macros followed through their `**kwargs` at most this deep.
const MAX_FORWARDS: usize = 4;

/// [`loaded_callable`], `depth` macros deep.
fn loaded_callable_at(
    package: &str,
    globals: &BzlGlobals,
    view: &dyn WorkspaceView,
    callee: &str,
    depth: usize,
) -> Option<Option<Callable>> {
    let (load, exported) = globals.loaded(callee)?;
    let found = symbol_global_in(package, &load.module, exported, view, 0)?;
    let shown = std::path::Path::new(&found.path)
        .strip_prefix(view.root())
        .map(|p| p.display().to_string())
        .unwrap_or(found.path.clone());
    Some(match &found.global.kind {
        GlobalKind::Function { .. } => {
            let defining = view.bzl_globals(&found.path)?;
            function_callable(
                &found.package,
                &defining,
                view,
                &found.global,
                Origin::Function { path: Some(shown) },
                depth,
            )
        }
        // `my_rule = rule(attrs = {...})` in the loaded file.
        GlobalKind::Variable {
            rule: Some(rule), ..
        } => {
            let mut rule = (**rule).clone();
            rule.name = callee.to_owned();
            rule.origin = match rule.origin {
                Origin::Provider { .. } => Origin::Provider { path: Some(shown) },
                Origin::Struct { .. } => Origin::Struct { path: Some(shown) },
                _ => Origin::StarlarkRule { path: Some(shown) },
            };
            Some(rule)
        }
        _ => None,
    })
}

/// The callable of a function `global` of a file of `package` with
/// `globals`: its parameters from its `def`, and when its `**kwargs` reach
/// a rule (or another macro that passes them on), that rule's attributes
/// after its own parameters (those the forwarding call sets itself left
/// out). Its attributes are all known only when the body passes `kwargs`
/// on untouched and the rule's are known.
fn function_callable(
    package: &str,
    globals: &BzlGlobals,
    view: &dyn WorkspaceView,
    global: &crate::workspace::bzl::Global,
    origin: Origin,
    depth: usize,
) -> Option<Callable> {
    let GlobalKind::Function {
        signature,
        doc,
        forwards,
    } = &global.kind
    else {
        return None;
    };
    let callable = Callable::from_signature(signature, doc.clone(), origin)?;
    let Some(forward) = forwards.as_deref().filter(|_| depth < MAX_FORWARDS) else {
        return Some(callable);
    };
    let target = match forward.callee.strip_prefix("native.") {
        Some(rule) => Callable::native_rule(rule),
        None => match globals.loaded(&forward.callee) {
            Some((_, exported)) => {
                match loaded_callable_at(package, globals, view, &forward.callee, depth + 1) {
                    Some(found) => found,
                    // Not on disk: a rule set's wrapper of the native rule
                    // of that name (`@rules_cc//cc:defs.bzl`'s
                    // `cc_library`), whose attributes are offered but not
                    // known to be all.
                    None => Callable::native_rule(exported).map(|mut rule| {
                        rule.attrs_known = false;
                        rule
                    }),
                }
            }
            None => local_callee(package, globals, view, &forward.callee, depth),
        },
    };
    Some(match target {
        Some(target) => with_forwarded(callable, forward, target),
        None => callable,
    })
}

/// What `callee` (not loaded) names in a `.bzl` file with `globals`: a
/// function or Starlark rule it defines.
fn local_callee(
    package: &str,
    globals: &BzlGlobals,
    view: &dyn WorkspaceView,
    callee: &str,
    depth: usize,
) -> Option<Callable> {
    globals.get(callee).and_then(|g| match &g.kind {
        GlobalKind::Function { .. } => function_callable(
            package,
            globals,
            view,
            g,
            Origin::Function { path: None },
            depth + 1,
        ),
        GlobalKind::Variable { rule, .. } => rule
            .as_deref()
            .filter(|r| matches!(r.origin, Origin::StarlarkRule { .. }))
            .cloned(),
    })
}

/// `callable` (a macro) with the parameters of `target`, which its
/// `**kwargs` reach through `forward`.
fn with_forwarded(
    mut callable: Callable,
    forward: &crate::workspace::bzl::Forward,
    target: Callable,
) -> Callable {
    let kwargs = callable
        .params
        .iter()
        .position(|p| p.kind == ParamKind::Kwargs)
        .map(|at| callable.params.remove(at));
    let first = callable.params.len();
    let rule = match &target.kwargs_to {
        Some(inner) => inner.clone(),
        None => KwargsTarget {
            rule: target.name.clone(),
            origin: target.origin.clone(),
            first,
            given: Vec::new(),
        },
    };
    for param in target.params {
        let usable = matches!(param.kind, ParamKind::Positional | ParamKind::Keyword)
            && !forward.given.contains(&param.name)
            && !callable.params.iter().any(|p| p.name == param.name);
        if usable {
            callable.params.push(Param {
                kind: ParamKind::Keyword,
                ..param
            });
        }
    }
    callable.params.extend(kwargs);
    callable.attrs_known = forward.exact && target.attrs_known;
    let mut given = rule.given;
    given.extend(forward.given.iter().cloned());
    callable.kwargs_to = Some(KwargsTarget {
        first,
        given,
        ..rule
    });
    callable
}

/// After `ctx.attr.`, `ctx.files.`, `ctx.file.`, `ctx.executable.` or
/// `ctx.outputs.` inside a rule's implementation function: the attributes
/// of the rule (`rule(implementation = <that function>, attrs = {...})` in
/// the same file, private ones included) that the struct has, each with
/// its `attr.*` constructor. `None` for other objects, or when no rule of
/// the file names the function.
fn implementation_attributes(
    ctx: &FileContext<'_>,
    object: &str,
    at: usize,
) -> Option<Vec<(String, String)>> {
    let field = object.strip_prefix("ctx.")?;
    if !matches!(field, "attr" | "files" | "file" | "executable" | "outputs") {
        return None;
    }
    let root = ctx.tree.root_node();
    let node = root.descendant_for_byte_range(at.checked_sub(1)?, at)?;
    let function = std::iter::successors(Some(node), |n| n.parent())
        .find(|n| n.kind() == "function_definition")?;
    let function = text(ctx.rope, function.child_by_field_name("name")?);
    let keyword =
        |rope: &Rope, args, key: &str| crate::workspace::callables::keyword_value(args, rope, key);
    let rope = ctx.rope;
    let mut cursor = root.walk();
    let attrs = root.named_children(&mut cursor).find_map(|stmt| {
        let assignment = stmt.named_child(0).filter(|a| a.kind() == "assignment")?;
        let call = assignment
            .child_by_field_name("right")
            .filter(|r| r.kind() == "call")?;
        let callee = text(ctx.rope, call.child_by_field_name("function")?);
        if callee != "rule" {
            return None;
        }
        let args = call.child_by_field_name("arguments")?;
        let implementation = keyword(rope, args, "implementation")?;
        (text(rope, implementation) == function)
            .then(|| keyword(rope, args, "attrs"))
            .flatten()
    })?;
    let mut found = Vec::new();
    let mut pairs = Vec::new();
    crate::workspace::callables::dict_pairs(attrs, ctx.rope, 0, &mut pairs);
    {
        for pair in pairs {
            let key = pair
                .child_by_field_name("key")
                .and_then(|k| crate::syntax::string_literal(&text(ctx.rope, k)));
            let (Some(name), Some(value)) = (key, pair.child_by_field_name("value")) else {
                continue;
            };
            let constructor = value
                .child_by_field_name("function")
                .map(|f| text(ctx.rope, f))
                .unwrap_or_default();
            let kind = constructor.strip_prefix("attr.").unwrap_or("");
            let args = value.child_by_field_name("arguments");
            let flag = |key: &str| {
                args.and_then(|a| keyword(rope, a, key))
                    .is_some_and(|v| text(ctx.rope, v) != "False")
            };
            let has = match field {
                "attr" => true,
                "files" => matches!(kind, "label" | "label_list" | "label_keyed_string_dict"),
                "file" => kind == "label" && flag("allow_single_file"),
                "executable" => matches!(kind, "label" | "label_list") && flag("executable"),
                _ => matches!(kind, "output" | "output_list"),
            };
            if has {
                found.push((name, constructor));
            }
        }
    }
    Some(found)
}

/// The module extension a MODULE.bazel variable holds (`var =
/// use_extension("//:ext.bzl", "ext")`), read from its `.bzl` file when
/// that is on disk: its tag classes are its members.
fn extension_of(ctx: &FileContext<'_>, view: &dyn WorkspaceView, var: &str) -> Option<Callable> {
    let root = ctx.tree.root_node();
    let mut cursor = root.walk();
    let call = root.named_children(&mut cursor).find_map(|stmt| {
        let assignment = stmt.named_child(0).filter(|a| a.kind() == "assignment")?;
        let left = assignment.child_by_field_name("left")?;
        let right = assignment.child_by_field_name("right")?;
        let is_use = right.kind() == "call"
            && right
                .child_by_field_name("function")
                .is_some_and(|f| text(ctx.rope, f) == "use_extension");
        (text(ctx.rope, left) == var && is_use).then_some(right)
    })?;
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let strings: Vec<String> = args
        .named_children(&mut cursor)
        .filter(|a| a.kind() == "string")
        .take(2)
        .filter_map(|a| crate::syntax::string_literal(&text(ctx.rope, a)))
        .collect();
    let [label, name] = strings.as_slice() else {
        return None;
    };
    module_extension_named(&ctx.package, view, label, name)
}

/// The module extensions a MODULE.bazel file of the workspace of `view`
/// uses, for its semantic checks.
pub struct ModuleFileLookup<'a> {
    pub view: &'a dyn WorkspaceView,
}

impl crate::analysis::semantics::RuleLookup for ModuleFileLookup<'_> {
    fn loaded_rule(&self, _name: &str) -> Option<Callable> {
        None
    }

    fn module_extension(&self, label: &str, name: &str) -> Option<Callable> {
        module_extension_named("", self.view, label, name)
    }
}

/// The module extension `name` of the `.bzl` file `label` (loaded from a
/// file of `package`), read from that file when it is on disk: its tag
/// classes are its members.
pub fn module_extension_named(
    package: &str,
    view: &dyn WorkspaceView,
    label: &str,
    name: &str,
) -> Option<Callable> {
    let (path, global) = symbol_global(package, label, name, view, 0)?;
    let GlobalKind::Variable {
        rule: Some(extension),
        ..
    } = &global.kind
    else {
        return None;
    };
    if !matches!(extension.origin, Origin::ModuleExtension { .. }) {
        return None;
    }
    let shown = std::path::Path::new(&path)
        .strip_prefix(view.root())
        .map(|p| p.display().to_string())
        .unwrap_or(path.clone());
    let mut extension = (**extension).clone();
    extension.origin = Origin::ModuleExtension {
        path: Some(shown.clone()),
    };
    for tag in &mut extension.members {
        tag.origin = Origin::ExtensionTag {
            path: Some(shown.clone()),
        };
    }
    Some(extension)
}

/// Which functions the file of `ctx` sees.
fn dialect_of(ctx: &FileContext<'_>) -> Dialect {
    let name = ctx.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    Dialect::of_file(name, ctx.is_build)
}

/// Signature help: the callable of the call around the cursor, and the
/// index of the parameter the cursor's argument binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    pub callable: Callable,
    pub active_param: Option<usize>,
}

pub fn signature_help(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Option<SignatureHelp> {
    let call = call_at(ctx.tree, ctx.rope, offset)?;
    let callable = callable(ctx, view, &call.callee)?;
    let active_param = match &call.active {
        ActiveArgument::Positional(i) => callable.positional_param(*i),
        ActiveArgument::Keyword(name) => callable.keyword_param(name),
        ActiveArgument::Unknown => None,
    };
    Some(SignatureHelp {
        callable,
        active_param,
    })
}

/// Completion of names outside strings: inside a call, the parameters not
/// given yet (as `name = `), then the names in scope: the file's globals
/// and loaded symbols, and for BUILD files the native rules and builtins.
/// After `native.`, the native rules and builtins.
pub fn name_completion(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Option<Completions> {
    if in_string_or_comment(ctx.tree, offset) {
        return None;
    }
    let (typed, range) = identifier_before(ctx.rope, offset);
    let mut out = Completions::default();
    // After `"...".`, `[...].`, `{...}.` or a name last assigned one of
    // those: the methods of strings, lists or dicts.
    let dot = range.start.checked_sub(1).filter(|&at| {
        ctx.rope
            .get_byte_slice(at..range.start)
            .is_some_and(|s| s == ".")
    });
    if let Some(ty) = dot.and_then(|dot| receiver_type(ctx, dot)) {
        for method in value_methods(ty) {
            let name = method.name.rsplit('.').next().unwrap_or(&method.name);
            if name.starts_with(&typed) {
                push(
                    &mut out,
                    Item {
                        text: name.to_owned(),
                        kind: ItemKind::Function,
                        detail: Some(format!("{} method", ty.name())),
                        range,
                        documentation: Some(callable_markdown(method)),
                        native_rule: None,
                    },
                );
            }
        }
        return Some(out);
    }
    // After `dep[FooInfo].`: the provider's fields.
    let subscript = dot
        .and_then(|dot| receiver(ctx, dot))
        .filter(|node| node.kind() == "subscript");
    if let Some(fields) = subscript.and_then(|node| expression_fields(ctx, view, node)) {
        field_names(&fields, &typed, range, &mut out);
        return Some(out);
    }
    if let Some(object) = object_before(ctx.rope, range.start) {
        if let Some(fields) = value_fields(ctx, view, &object, range.start) {
            field_names(&fields, &typed, range, &mut out);
        } else if object == "native" {
            native_names(&typed, range, &mut out);
        } else if dialect_of(ctx) == Dialect::Bzl {
            if let Some(attrs) = implementation_attributes(ctx, &object, range.start) {
                for (name, constructor) in attrs {
                    if name.starts_with(&typed) {
                        push(
                            &mut out,
                            Item {
                                text: name,
                                kind: ItemKind::Field,
                                detail: Some(constructor),
                                range,
                                documentation: None,
                                native_rule: None,
                            },
                        );
                    }
                }
            } else {
                member_names(&object, &typed, range, &mut out);
            }
        } else if dialect_of(ctx) == Dialect::Module {
            // The tags of a module extension (`ext = use_extension(...)`).
            if let Some(extension) = extension_of(ctx, view, &object) {
                for tag in &extension.members {
                    if tag.name.starts_with(&typed) {
                        push(
                            &mut out,
                            Item {
                                text: tag.name.clone(),
                                kind: ItemKind::Function,
                                detail: Some(format!("tag of {}", extension.name)),
                                range,
                                documentation: Some(callable_markdown(tag)),
                                native_rule: None,
                            },
                        );
                    }
                }
            }
        }
        return Some(out);
    }
    // In a keyword argument's value, only names in scope.
    let call = call_at(ctx.tree, ctx.rope, offset).filter(|c| c.name_position.is_some());
    if let Some(call) = call {
        if let Some(callable) = callable(ctx, view, &call.callee) {
            for (index, param) in callable.params.iter().enumerate() {
                let usable = matches!(param.kind, ParamKind::Positional | ParamKind::Keyword)
                    && !call.given.contains(&param.name)
                    && !(param.kind == ParamKind::Keyword
                        && callable.origin == Origin::NativeRule
                        && GENERATED_ATTRIBUTES.contains(&param.name.as_str()))
                    && param.name.starts_with(&typed);
                if usable {
                    push(
                        &mut out,
                        Item {
                            text: format!("{} = ", param.name),
                            kind: ItemKind::Parameter,
                            detail: param.ty.clone(),
                            range,
                            documentation: param_markdown(&callable, index),
                            native_rule: None,
                        },
                    );
                }
            }
        }
    }
    scope_names(ctx, &typed, range, &mut out);
    Some(out)
}

/// The identifier ending at `offset` (what was typed of a name) and its
/// range.
fn identifier_before(rope: &Rope, offset: usize) -> (String, TextRange) {
    let offset = offset.min(rope.len_bytes());
    let line_start = rope.line_to_byte(rope.byte_to_line(offset));
    let line = rope.byte_slice(line_start..offset).to_string();
    let typed_len = line
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    let typed = line[line.len() - typed_len..].to_owned();
    (typed, TextRange::new(offset - typed_len, offset))
}

/// The dotted expression before the `.` that ends at `at` (`ctx.actions`
/// in `ctx.actions.ru`), if the text before `at` is one.
fn object_before(rope: &Rope, at: usize) -> Option<String> {
    let line_start = rope.line_to_byte(rope.byte_to_line(at));
    let line = rope.byte_slice(line_start..at).to_string();
    let before_dot = line.strip_suffix('.')?;
    let len = before_dot
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .count();
    let object = &before_dot[before_dot.len() - len..];
    let is_name = !object.is_empty()
        && !object.starts_with('.')
        && !object.starts_with(|c: char| c.is_ascii_digit());
    is_name.then(|| object.to_owned())
}

/// The type of the value of the expression that ends at `dot` (the offset
/// of a `.`), when bzls can tell: a string, list or dict literal, or a
/// name whose last assignment before it is one.
fn receiver_type(ctx: &FileContext<'_>, dot: usize) -> Option<ValueType> {
    let node = receiver(ctx, dot)?;
    literal_type(node).or_else(|| {
        (node.kind() == "identifier")
            .then(|| assigned_type(ctx, &text(ctx.rope, node), dot))
            .flatten()
    })
}

/// The expression that ends at `dot` (the offset of a `.`).
fn receiver<'t>(ctx: &FileContext<'t>, dot: usize) -> Option<Node<'t>> {
    let root = ctx.tree.root_node();
    let mut node = root.descendant_for_byte_range(dot.checked_sub(1)?, dot)?;
    while let Some(parent) = node.parent() {
        let expression = !matches!(
            parent.kind(),
            "ERROR" | "module" | "attribute" | "expression_statement" | "block"
        );
        if parent.end_byte() != dot || !expression {
            break;
        }
        node = parent;
    }
    (node.end_byte() == dot).then_some(node)
}

/// The type of a literal node.
fn literal_type(node: Node<'_>) -> Option<ValueType> {
    Some(match node.kind() {
        "string" | "concatenated_string" => ValueType::Str,
        "list" | "list_comprehension" => ValueType::List,
        "dictionary" | "dictionary_comprehension" => ValueType::Dict,
        _ => return None,
    })
}

/// The type of `object`, a callee's object as written: a literal, or a
/// name last assigned one in the file.
fn written_type(ctx: &FileContext<'_>, object: &str) -> Option<ValueType> {
    match object.chars().next()? {
        '"' | '\'' => Some(ValueType::Str),
        '[' => Some(ValueType::List),
        '{' => Some(ValueType::Dict),
        c if c.is_ascii_alphabetic() || c == '_' => {
            let is_name = object
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_name
                .then(|| assigned_type(ctx, object, ctx.rope.len_bytes()))
                .flatten()
        }
        _ => None,
    }
}

/// The literal type of the last assignment `name = <literal>` before
/// `before`.
fn assigned_type(ctx: &FileContext<'_>, name: &str, before: usize) -> Option<ValueType> {
    assigned_value(ctx, name, before).and_then(literal_type)
}

/// The value of the last assignment `name = <value>` before `before`. The
/// text is searched for the name first, then each match is checked in the
/// tree.
fn assigned_value<'t>(ctx: &FileContext<'t>, name: &str, before: usize) -> Option<Node<'t>> {
    let text = ctx
        .rope
        .byte_slice(..before.min(ctx.rope.len_bytes()))
        .to_string();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let root = ctx.tree.root_node();
    for (at, _) in text
        .match_indices(name)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let end = at + name.len();
        let boundary = !text[..at].chars().next_back().is_some_and(is_word)
            && !text[end..].chars().next().is_some_and(is_word);
        if !boundary || !text[end..].trim_start().starts_with('=') {
            continue;
        }
        let Some(node) = root.descendant_for_byte_range(at, end) else {
            continue;
        };
        let Some(assignment) = node.parent().filter(|p| p.kind() == "assignment") else {
            continue;
        };
        if assignment
            .child_by_field_name("left")
            .is_some_and(|l| l.id() == node.id())
        {
            return assignment.child_by_field_name("right");
        }
    }
    None
}

/// The fields of the value `object` (a name) holds at `at`, as a callable
/// whose parameters are the fields and whose members are the functions
/// among them: a struct (`s = struct(a = 1)`, or one loaded from a `.bzl`
/// file, as skylib's `paths`), a provider's instance (`info =
/// FooInfo(...)`, `info = dep[FooInfo]`). `None` when bzls cannot tell.
fn value_fields(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    object: &str,
    at: usize,
) -> Option<Callable> {
    if !crate::analysis::semantics::names::is_identifier(object) {
        return None;
    }
    if let Some(value) = assigned_value(ctx, object, at) {
        return expression_fields(ctx, view, value);
    }
    callable(ctx, view, object).filter(|c| matches!(c.origin, Origin::Struct { .. }))
}

/// The fields of the value of expression `value`, as [`value_fields`].
fn expression_fields(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    value: Node<'_>,
) -> Option<Callable> {
    let provider = |node: Node<'_>| {
        (node.kind() == "identifier")
            .then(|| callable(ctx, view, &text(ctx.rope, node)))
            .flatten()
            .filter(|c| matches!(c.origin, Origin::Provider { .. }))
    };
    match value.kind() {
        "call" => {
            let function = value.child_by_field_name("function")?;
            if text(ctx.rope, function) == "struct" {
                let known = |name: &str| {
                    callable(ctx, view, name)
                        .filter(|c| matches!(c.origin, Origin::Function { .. }))
                };
                return crate::workspace::callables::struct_value(
                    "struct",
                    value,
                    ctx.rope,
                    Origin::Struct { path: None },
                    &known,
                );
            }
            provider(function)
        }
        // `dep[FooInfo]`: the provider's instance.
        "subscript" => provider(value.child_by_field_name("subscript")?),
        _ => None,
    }
}

/// The fields of a struct or provider instance that start with `typed`:
/// its functions with their signature, the other fields with their value
/// as written.
fn field_names(value: &Callable, typed: &str, range: TextRange, out: &mut Completions) {
    let of = match value.origin {
        Origin::Provider { .. } => format!("field of {}", value.name),
        _ => "field".to_owned(),
    };
    for field in &value.params {
        if !field.name.starts_with(typed) || field.kind == ParamKind::Kwargs {
            continue;
        }
        let function = value.members.iter().find(|m| m.name == field.name);
        push(
            out,
            Item {
                text: field.name.clone(),
                kind: if function.is_some() {
                    ItemKind::Function
                } else {
                    ItemKind::Field
                },
                detail: Some(match (function, &field.default) {
                    (Some(f), _) => f.signature(),
                    (None, Some(value)) => format!("{of} = {value}"),
                    (None, None) => of.clone(),
                }),
                range,
                documentation: function.map(callable_markdown),
                native_rule: None,
            },
        );
    }
}

/// The members bzls knows of `object` (`ctx`, `ctx.actions`, `attr`).
fn member_names(object: &str, typed: &str, range: TextRange, out: &mut Completions) {
    for member in bzl_members(object) {
        if member.name.starts_with(typed) {
            push(
                out,
                Item {
                    text: member.name.to_owned(),
                    kind: if member.method {
                        ItemKind::Function
                    } else {
                        ItemKind::Field
                    },
                    detail: Some(member.ty.unwrap_or("method").to_owned()),
                    range,
                    documentation: Some(match bzl_builtin(&format!("{object}.{}", member.name)) {
                        Some(method) => callable_markdown(&method),
                        None => member.doc.to_owned(),
                    }),
                    native_rule: None,
                },
            );
        }
    }
}

fn in_string_or_comment(tree: &Tree, offset: usize) -> bool {
    let root = tree.root_node();
    let Some(mut node) = root.descendant_for_byte_range(offset.saturating_sub(1), offset) else {
        return false;
    };
    loop {
        if matches!(node.kind(), "string" | "comment") && node.start_byte() < offset {
            return offset < node.end_byte() || node.kind() == "comment";
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => return false,
        }
    }
}

fn native_names(typed: &str, range: TextRange, out: &mut Completions) {
    let mut seen = std::collections::HashSet::new();
    let names = dialect_builtin_names(Dialect::Build);
    rules_and_builtins(typed, range, true, &names, &mut seen, out);
}

/// The native rules (when `with_rules`) and the builtins `names` that
/// start with `typed`, except those in `seen`.
fn rules_and_builtins(
    typed: &str,
    range: TextRange,
    with_rules: bool,
    names: &[(&'static str, &'static str)],
    seen: &mut std::collections::HashSet<String>,
    out: &mut Completions,
) {
    let rule_names = rules()
        .iter()
        .filter(|_| with_rules)
        .map(|r| (r.name, ItemKind::Rule, "native rule", None));
    let builtins = names
        .iter()
        .map(|(name, doc)| (*name, ItemKind::Function, "builtin", Some(*doc)));
    for (name, kind, detail, doc) in rule_names.chain(builtins) {
        if name.starts_with(typed) && !name.starts_with('$') && seen.insert(name.to_owned()) {
            push(
                out,
                Item {
                    text: name.to_owned(),
                    kind,
                    detail: Some(detail.to_owned()),
                    range,
                    documentation: doc.map(str::to_owned),
                    native_rule: (kind == ItemKind::Rule).then_some(name),
                },
            );
        }
    }
}

/// The names in scope at `range` (what was typed of a name): the locals
/// of the functions, lambdas and comprehensions around it, the file's
/// loaded symbols and globals, the keywords that may come there, then the
/// builtins of the file's kind (in BUILD files also the native rules).
fn scope_names(ctx: &FileContext<'_>, typed: &str, range: TextRange, out: &mut Completions) {
    let mut seen = std::collections::HashSet::new();
    for local in crate::analysis::scope::visible_locals(ctx.tree, ctx.rope, range.start) {
        if local.name.starts_with(typed) && local.name != typed && seen.insert(local.name.clone()) {
            use crate::analysis::scope::LocalKind;
            let (kind, detail) = match local.kind {
                LocalKind::Parameter => (ItemKind::Variable, "parameter"),
                LocalKind::Variable => (ItemKind::Variable, "local"),
                LocalKind::Function => (ItemKind::Function, "local function"),
            };
            push(
                out,
                Item {
                    text: local.name,
                    kind,
                    detail: Some(detail.to_owned()),
                    range,
                    documentation: None,
                    native_rule: None,
                },
            );
        }
    }
    for load in &ctx.globals.loads {
        for (local, _, _) in &load.symbols {
            if local.starts_with(typed) && seen.insert(local.clone()) {
                push(
                    out,
                    Item {
                        text: local.clone(),
                        kind: ItemKind::Symbol,
                        detail: Some(format!("from {}", load.module)),
                        range,
                        documentation: None,
                        native_rule: None,
                    },
                );
            }
        }
    }
    for global in &ctx.globals.globals {
        // The name being typed binds itself (`x = `): not a suggestion.
        let typing_it = global.name == typed && global.range == range;
        if global.name.starts_with(typed) && !typing_it && seen.insert(global.name.clone()) {
            let kind = match global.kind {
                GlobalKind::Function { .. } => ItemKind::Function,
                GlobalKind::Variable { .. } => ItemKind::Variable,
            };
            push(
                out,
                Item {
                    text: global.name.clone(),
                    kind,
                    detail: None,
                    range,
                    documentation: None,
                    native_rule: None,
                },
            );
        }
    }
    let dialect = dialect_of(ctx);
    for keyword in keywords(ctx, dialect, range.start) {
        if keyword.starts_with(typed) && seen.insert((*keyword).to_owned()) {
            push(
                out,
                Item {
                    text: (*keyword).to_owned(),
                    kind: ItemKind::Keyword,
                    detail: Some("keyword".to_owned()),
                    range,
                    documentation: None,
                    native_rule: None,
                },
            );
        }
    }
    // Only the globals the file's kind has (`glob` is `native.glob` in a
    // `.bzl` file).
    let kind = match dialect {
        Dialect::Build => crate::syntax::FileKind::Build,
        Dialect::Bzl => crate::syntax::FileKind::Bzl,
        Dialect::Module => crate::syntax::FileKind::Module,
        Dialect::Workspace => crate::syntax::FileKind::Workspace,
    };
    let names: Vec<(&'static str, &'static str)> = dialect_builtin_names(dialect)
        .into_iter()
        .filter(|(name, _)| {
            crate::analysis::semantics::builtins::builtin(kind, name)
                == crate::analysis::semantics::builtins::Builtin::Known
        })
        .collect();
    rules_and_builtins(
        typed,
        range,
        dialect == Dialect::Build,
        &names,
        &mut seen,
        out,
    );
}

/// The keywords that may start at `at` in a file of `dialect`: at the
/// start of a statement, the statements the file kind allows there (in a
/// `.bzl` file `def`, `if`, `for`, `return` inside a function, `break` and
/// `continue` inside a loop, ...; `load` at the top level); inside an
/// expression, after an operand the operators (`and`, `in`, `if`, ...),
/// else the constants, `not` and (where allowed) `lambda`.
fn keywords(ctx: &FileContext<'_>, dialect: Dialect, at: usize) -> Vec<&'static str> {
    let line_start = ctx.rope.line_to_byte(ctx.rope.byte_to_line(at));
    let before = ctx.rope.byte_slice(line_start..at).to_string();
    let bzl = dialect == Dialect::Bzl;
    let node = ctx
        .tree
        .root_node()
        .descendant_for_byte_range(at.saturating_sub(1), at);
    let ancestors = || std::iter::successors(node, |n| n.parent());
    let in_brackets = ancestors().any(|n| {
        matches!(
            n.kind(),
            "argument_list"
                | "list"
                | "dictionary"
                | "tuple"
                | "parenthesized_expression"
                | "set"
                | "subscript"
                | "list_comprehension"
                | "dictionary_comprehension"
                | "generator_expression"
        )
    }) || open_brackets_before(ctx, at);
    let mut out = Vec::new();
    if before.trim().is_empty() && !in_brackets {
        let top = before.is_empty();
        let in_def = ancestors().any(|n| n.kind() == "function_definition") || !top && bzl;
        let in_loop = ancestors().any(|n| n.kind() == "for_statement");
        if dialect != Dialect::Module && top {
            out.push("load");
        }
        if bzl {
            out.extend(["def", "if", "for", "pass"]);
            if in_def {
                out.push("return");
            }
            if in_loop || !top {
                out.extend(["break", "continue"]);
            }
            if !top || in_def {
                out.extend(["elif", "else"]);
            }
        }
        return out;
    }
    let after_operand =
        before.trim_end().chars().next_back().is_some_and(|c| {
            c.is_alphanumeric() || matches!(c, '_' | ')' | ']' | '}' | '"' | '\'')
        }) && !before.trim_end().ends_with(" not")
            && before.ends_with(char::is_whitespace);
    if after_operand {
        out.extend(["and", "or", "in", "not", "if", "else", "for"]);
    } else {
        out.extend(["True", "False", "None", "not"]);
        if bzl {
            out.push("lambda");
        }
    }
    out
}

/// Whether the statement around `at` has an unclosed bracket before it
/// (a half-typed call or list, which tree-sitter leaves as an error).
fn open_brackets_before(ctx: &FileContext<'_>, at: usize) -> bool {
    let Some(error) = ctx
        .tree
        .root_node()
        .descendant_for_byte_range(at.saturating_sub(1), at)
        .and_then(|n| std::iter::successors(Some(n), |n| n.parent()).find(|n| n.is_error()))
    else {
        return false;
    };
    let start = error.start_byte();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in ctx.rope.byte_slice(start..at.max(start)).chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            },
        }
    }
    depth > 0
}

/// Markdown for a callable: its signature, summary, origin and (for
/// rules) its attributes with their types.
pub fn callable_markdown(callable: &Callable) -> String {
    if matches!(callable.origin, Origin::Struct { .. }) {
        return struct_markdown(callable);
    }
    let mut out = format!("```python\n{}\n```", callable.signature());
    if let Some(doc) = &callable.doc {
        out.push_str("\n\n");
        out.push_str(doc);
    }
    out.push_str("\n\n*");
    out.push_str(&callable.origin_note());
    out.push('*');
    if let Some(target) = &callable.kwargs_to {
        out.push_str(&format!(
            "\n\n`**kwargs` reach `{}`: its attributes follow the macro's own parameters.",
            target.rule
        ));
    }
    if matches!(
        callable.origin,
        Origin::NativeRule | Origin::StarlarkRule { .. } | Origin::ExtensionTag { .. }
    ) {
        out.push_str("\n\n| attribute | type |\n|---|---|");
        for param in &callable.params {
            if GENERATED_ATTRIBUTES.contains(&param.name.as_str()) {
                continue;
            }
            let mandatory = if param.mandatory {
                " **(mandatory)**"
            } else {
                ""
            };
            out.push_str(&format!(
                "\n| `{}`{mandatory} | {} |",
                param.name,
                param.ty.as_deref().unwrap_or("")
            ));
        }
    }
    out
}

/// Markdown for a struct: its fields as written, then where it is
/// defined.
fn struct_markdown(value: &Callable) -> String {
    let mut out = format!("```python\n{} = struct(", value.name);
    for field in &value.params {
        out.push_str(&format!(
            "\n    {} = {},",
            field.name,
            field.default.as_deref().unwrap_or("...")
        ));
    }
    if !value.attrs_known {
        out.push_str("\n    ...");
    }
    out.push_str("\n)\n```\n\n*");
    out.push_str(&value.origin_note());
    out.push('*');
    out
}

/// Markdown for parameter `index` of a callable.
pub fn param_markdown(callable: &Callable, index: usize) -> Option<String> {
    let param = callable.params.get(index)?;
    let mut out = match &callable.kwargs_to {
        Some(target) if index >= target.first && param.kind != ParamKind::Kwargs => format!(
            "`{}` of `{}`, through `**kwargs` of `{}`",
            Callable::param_text(param),
            target.rule,
            callable.name
        ),
        _ => format!("`{}` of `{}`", Callable::param_text(param), callable.name),
    };
    if let Some(ty) = &param.ty {
        out.push_str(&format!("\n\nType: {ty}"));
    }
    out.push_str(if param.mandatory {
        "\n\nMandatory."
    } else {
        "\n\nOptional."
    });
    Some(out)
}

/// Hover on a callee that names a native rule or a builtin, or on the
/// name of a keyword argument of a known callable.
pub fn call_hover(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    name_range: TextRange,
) -> Option<String> {
    let name_node = ctx
        .tree
        .root_node()
        .descendant_for_byte_range(name_range.start, name_range.end)?;
    let parent = name_node.parent()?;
    if parent.kind() == "keyword_argument"
        && parent
            .child_by_field_name("name")
            .is_some_and(|n| n.id() == name_node.id())
    {
        let call = call_at(ctx.tree, ctx.rope, name_range.start)?;
        let callable = callable(ctx, view, &call.callee)?;
        let name = text(ctx.rope, name_node);
        let index = callable.keyword_param(&name)?;
        if callable.params[index].kind == ParamKind::Kwargs {
            return Some(format!(
                "`{name}` goes to `**{}` of `{}`, which does not name it",
                callable.params[index].name, callable.name
            ));
        }
        return param_markdown(&callable, index);
    }
    // `ctx.actions.run`: the callee is the whole attribute expression.
    let (callee_node, holder) = if parent.kind() == "attribute"
        && parent
            .child_by_field_name("attribute")
            .is_some_and(|a| a.id() == name_node.id())
    {
        (parent, parent.parent()?)
    } else {
        (name_node, parent)
    };
    let is_callee = (holder.kind() == "call"
        && holder
            .child_by_field_name("function")
            .is_some_and(|f| f.id() == callee_node.id()))
        || (holder.kind() == "ERROR"
            && callee_node.next_sibling().is_some_and(|n| n.kind() == "("));
    let callee = text(ctx.rope, callee_node);
    if !is_callee {
        // A field of a value `.bzl` files work with (`ctx.label`).
        let (ty, doc) = (!ctx.is_build).then(|| bzl_field(&callee)).flatten()?;
        return Some(format!("`{callee}`: {ty}\n\n{doc}"));
    }
    let callable = callable(ctx, view, &callee)?;
    matches!(
        callable.origin,
        Origin::NativeRule
            | Origin::Builtin
            | Origin::Starlark
            | Origin::StarlarkRule { .. }
            | Origin::Provider { .. }
            | Origin::ExtensionTag { .. }
    )
    .then(|| callable_markdown(&callable))
}
