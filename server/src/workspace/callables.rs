//! What can be called, and with what: one model for the parameters of
//! Bazel's native rules, of the builtin functions of BUILD files, and of
//! the functions `.bzl` files define.
//!
//! Where each fact comes from:
//! - native rules: their attributes, types, whether they are mandatory and
//!   the defaults Bazel reports (few), from Bazel 2.1.0's own `bazel info
//!   build-language` ([`super::schema`]); that dump has no documentation,
//!   so none is shown;
//! - builtins of BUILD and `.bzl` files (`glob`, `select`, `package`,
//!   `rule`, `attr.string`, `ctx.actions.run`, the fields of `ctx`, ...):
//!   their parameters as Bazel documents them, and a one-line summary
//!   written for bzls (this file; same license as bzls);
//! - functions of `.bzl` files: their `def` line and docstring, read from
//!   the file.
//!
//! Invariants: parameters keep their declared order (native rules: `name`,
//! then the mandatory attributes, then the rest, each group by name); a
//! fact not known is `None`, never guessed.

use super::schema::{rule_schema, AttrSchema, AttrType, RuleSchema};

/// How a parameter takes its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// By position or by keyword.
    Positional,
    /// By keyword only (every attribute of a rule).
    Keyword,
    /// `*args`: the remaining positional arguments.
    Args,
    /// `**kwargs`: the remaining keyword arguments.
    Kwargs,
}

/// One parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    /// Its type, as its source names it.
    pub ty: Option<String>,
    /// Its default, as written.
    pub default: Option<String>,
    /// A call must give it.
    pub mandatory: bool,
}

/// Where a callable is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A native rule of Bazel (the schema's Bazel version).
    NativeRule,
    /// A builtin function of BUILD files.
    Builtin,
    /// A function or method of the Starlark language (documented by the
    /// `starlark` crate).
    Starlark,
    /// A `def` in a `.bzl` file (or the current file), by path.
    Function { path: Option<String> },
    /// A Starlark rule or symbolic macro (`rule(attrs = {...})`), by path.
    StarlarkRule { path: Option<String> },
    /// A provider (`provider(fields = [...])`), by path.
    Provider { path: Option<String> },
    /// A module extension (`module_extension(tag_classes = {...})`), by path.
    ModuleExtension { path: Option<String> },
    /// A tag class of a module extension (`tag_class(attrs = {...})`), by
    /// the path of the extension's file.
    ExtensionTag { path: Option<String> },
    /// A struct bound at the top level of a `.bzl` file (`paths =
    /// struct(join = _join)`): its fields are the callable's parameters,
    /// and those bound to functions of the file also its members. Not
    /// callable itself.
    Struct { path: Option<String> },
}

/// A function or rule, with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callable {
    pub name: String,
    pub params: Vec<Param>,
    pub doc: Option<String>,
    pub origin: Origin,
    /// `params` are every keyword a call may give, besides the attributes
    /// Bazel adds to some rules (test and executable ones): a native rule,
    /// a function without `**kwargs`, a Starlark rule whose `attrs` is a
    /// dict literal of string keys.
    pub attrs_known: bool,
    /// A module extension's tag classes (`ext.tag(...)` in MODULE.bazel),
    /// each named by its tag.
    pub members: Vec<Callable>,
    /// A legacy macro whose `**kwargs` reach a rule: that rule, and where
    /// its attributes start in `params` (they follow the macro's own).
    pub kwargs_to: Option<KwargsTarget>,
}

/// The rule a legacy macro passes its `**kwargs` to (through other
/// macros, maybe).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KwargsTarget {
    /// The rule's name (`cc_library`), or the last function reached.
    pub rule: String,
    /// Where that rule comes from ([`Origin::NativeRule`],
    /// [`Origin::StarlarkRule`], or a function's).
    pub origin: Origin,
    /// The index in the macro's `params` of the rule's first attribute.
    pub first: usize,
    /// The attributes the macro sets itself (left out of `params`).
    pub given: Vec<String>,
}

/// The Bazel version whose native rules [`super::schema`] describes.
pub const SCHEMA_BAZEL: &str = "2.1.0";

/// Attributes Bazel sets itself when a macro makes a target; a BUILD file
/// never writes them, so they are not offered.
pub const GENERATED_ATTRIBUTES: [&str; 3] =
    ["generator_function", "generator_location", "generator_name"];

impl Callable {
    /// The native rule `name` (`cc_library`), if Bazel 2.1.0 has it.
    pub fn native_rule(name: &str) -> Option<Callable> {
        rule_schema(name).map(Callable::of_schema)
    }

    /// The attributes a BUILD file writes: those Bazel sets itself when a
    /// macro makes a target ([`GENERATED_ATTRIBUTES`]) are left out.
    fn of_schema(schema: &RuleSchema) -> Callable {
        let mut attrs: Vec<&AttrSchema> = schema
            .attributes()
            .iter()
            .filter(|a| !GENERATED_ATTRIBUTES.contains(&a.name))
            .collect();
        // Every rule needs a name, whether or not the dump says so.
        let mandatory = |a: &AttrSchema| a.mandatory || a.name == "name";
        attrs.sort_by_key(|a| (a.name != "name", !mandatory(a), a.name));
        Callable {
            name: schema.name.to_owned(),
            params: attrs
                .into_iter()
                .map(|a| Param {
                    name: a.name.to_owned(),
                    kind: ParamKind::Keyword,
                    ty: Some(attribute_type(a).to_owned()),
                    default: a.default.map(str::to_owned),
                    mandatory: mandatory(a),
                })
                .collect(),
            doc: None,
            origin: Origin::NativeRule,
            attrs_known: true,
            members: Vec::new(),
            kwargs_to: None,
        }
    }

    /// A function from its `def` signature (`name(a, b = 1, *args,
    /// **kwargs)`, as [`super::bzl::GlobalKind::Function`] keeps it).
    pub fn from_signature(
        signature: &str,
        doc: Option<String>,
        origin: Origin,
    ) -> Option<Callable> {
        let open = signature.find('(')?;
        let name = signature[..open].trim();
        let inner = signature[open + 1..].strip_suffix(')')?;
        let mut params = Vec::new();
        let mut keyword_only = false;
        for part in split_top_level(inner) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if part == "*" {
                keyword_only = true;
                continue;
            }
            let (head, default) = match split_top_level_once(part, '=') {
                Some((head, default)) => (head.trim(), Some(default.trim().to_owned())),
                None => (part, None),
            };
            let (head, ty) = match head.split_once(':') {
                Some((head, ty)) => (head.trim(), Some(ty.trim().to_owned())),
                None => (head, None),
            };
            let (kind, name) = if let Some(name) = head.strip_prefix("**") {
                (ParamKind::Kwargs, name)
            } else if let Some(name) = head.strip_prefix('*') {
                keyword_only = true;
                (ParamKind::Args, name)
            } else if keyword_only {
                (ParamKind::Keyword, head)
            } else {
                (ParamKind::Positional, head)
            };
            let mandatory =
                default.is_none() && matches!(kind, ParamKind::Positional | ParamKind::Keyword);
            params.push(Param {
                name: name.to_owned(),
                kind,
                ty,
                default,
                mandatory,
            });
        }
        let attrs_known = !params.iter().any(|p| p.kind == ParamKind::Kwargs);
        Some(Callable {
            name: name.to_owned(),
            params,
            doc,
            origin,
            attrs_known,
            members: Vec::new(),
            kwargs_to: None,
        })
    }

    /// The parameter a keyword argument `name` binds: that parameter, else
    /// `**kwargs`.
    pub fn keyword_param(&self, name: &str) -> Option<usize> {
        self.params
            .iter()
            .position(|p| {
                p.name == name && matches!(p.kind, ParamKind::Positional | ParamKind::Keyword)
            })
            .or_else(|| self.params.iter().position(|p| p.kind == ParamKind::Kwargs))
    }

    /// The parameter the `index`th positional argument binds.
    pub fn positional_param(&self, index: usize) -> Option<usize> {
        let positional: Vec<usize> = self
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == ParamKind::Positional)
            .map(|(i, _)| i)
            .collect();
        positional
            .get(index)
            .copied()
            .or_else(|| self.params.iter().position(|p| p.kind == ParamKind::Args))
    }

    /// How a parameter is written in the signature (`name`, `srcs = []`,
    /// `*args`).
    pub fn param_text(param: &Param) -> String {
        let mut out = match param.kind {
            ParamKind::Args => format!("*{}", param.name),
            ParamKind::Kwargs => format!("**{}", param.name),
            _ => param.name.clone(),
        };
        if let Some(default) = &param.default {
            out.push_str(" = ");
            out.push_str(default);
        }
        out
    }

    /// The signature as Python writes it: `name(a, *, b = 1)`.
    pub fn signature(&self) -> String {
        self.signature_with_ranges().0
    }

    /// [`Callable::signature`], and the byte range of each parameter in
    /// it (in the order of [`Callable::params`]).
    pub fn signature_with_ranges(&self) -> (String, Vec<std::ops::Range<usize>>) {
        let mut out = format!("{}(", self.name);
        let mut ranges = Vec::with_capacity(self.params.len());
        let has_args = self.params.iter().any(|p| p.kind == ParamKind::Args);
        let mut bare_star = false;
        for (i, param) in self.params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if param.kind == ParamKind::Keyword && !bare_star && !has_args {
                out.push_str("*, ");
                bare_star = true;
            }
            let start = out.len();
            out.push_str(&Callable::param_text(param));
            ranges.push(start..out.len());
        }
        out.push(')');
        (out, ranges)
    }

    /// A line on where it comes from.
    pub fn origin_note(&self) -> String {
        match &self.origin {
            Origin::NativeRule => format!(
                "Native rule (attributes as Bazel {SCHEMA_BAZEL} reports them; \
                 newer Bazel versions may have more)"
            ),
            Origin::Builtin => "Builtin function of BUILD files".to_owned(),
            Origin::Starlark => {
                "Starlark builtin (documentation: the `starlark` crate, Apache-2.0)".to_owned()
            }
            Origin::Function { path } => defined_in("Defined", path, ""),
            Origin::StarlarkRule { path } => defined_in(
                "Starlark rule defined",
                path,
                " (attributes from its `attrs`)",
            ),
            Origin::Provider { path } => {
                defined_in("Provider defined", path, " (fields from its `fields`)")
            }
            Origin::ModuleExtension { path } => defined_in("Module extension defined", path, ""),
            Origin::ExtensionTag { path } => defined_in(
                "Tag class of a module extension defined",
                path,
                " (attributes from its `attrs`)",
            ),
            Origin::Struct { path } => defined_in("Struct defined", path, ""),
        }
    }
}

/// `what` in `path` (or in this file), then `from`.
fn defined_in(what: &str, path: &Option<String>, from: &str) -> String {
    match path {
        Some(path) => format!("{what} in `{path}`{from}"),
        None => format!("{what} in this file{from}"),
    }
}

/// The attributes Bazel gives every rule besides `name` (settable in BUILD
/// files).
pub const COMMON_ATTRIBUTES: &[(&str, &str)] = &[
    ("compatible_with", "List of labels"),
    ("deprecation", "String"),
    ("exec_compatible_with", "List of labels"),
    ("exec_properties", "Dictionary: String -> String"),
    ("features", "List of strings"),
    ("restricted_to", "List of labels"),
    ("tags", "List of strings"),
    ("target_compatible_with", "List of labels"),
    ("testonly", "Boolean"),
    ("toolchains", "List of labels"),
    ("visibility", "List of labels (not dependencies)"),
];

/// The attributes Bazel adds to every executable Starlark rule
/// (`executable = True`).
pub const EXECUTABLE_ATTRIBUTES: &[(&str, &str)] = &[
    ("args", "List of strings"),
    ("env", "Dictionary: String -> String"),
    ("output_licenses", "List of strings"),
];

/// The attributes Bazel adds to every test rule (`test = True`).
pub const TEST_ATTRIBUTES: &[(&str, &str)] = &[
    ("args", "List of strings"),
    ("env", "Dictionary: String -> String"),
    ("env_inherit", "List of strings"),
    ("flaky", "Boolean"),
    ("local", "Boolean"),
    ("output_licenses", "List of strings"),
    ("shard_count", "Integer"),
    ("size", "String"),
    ("timeout", "String"),
];

/// The public attributes an `attrs` expression declares, as keyword
/// parameters (mandatory ones first, then in declared order), and whether
/// that is all of them: a dict literal, a global bound to one, and their
/// unions (`a | b`, `dicts.add(a, b)`, `dict(a, **b)`) as far as the file
/// tells ([`dict_pairs`]). Private attributes (`_x`) are left out: a call
/// cannot set them.
pub fn attrs_params(attrs: tree_sitter::Node<'_>, rope: &ropey::Rope) -> (Vec<Param>, bool) {
    let mut pairs = Vec::new();
    let mut complete = dict_pairs(attrs, rope, 0, &mut pairs);
    let mut params: Vec<Param> = Vec::new();
    for pair in pairs {
        let key = pair
            .child_by_field_name("key")
            .and_then(|k| crate::syntax::string_literal(&node_text(rope, k)));
        let (Some(attr), Some(value)) = (key, pair.child_by_field_name("value")) else {
            complete = false;
            continue;
        };
        if attr.starts_with('_') {
            continue;
        }
        let (ty, mandatory, default) = attr_constructor(value, rope);
        let param = Param {
            name: attr,
            kind: ParamKind::Keyword,
            ty,
            default,
            mandatory,
        };
        // A later entry of a union replaces an earlier one.
        match params.iter_mut().find(|p| p.name == param.name) {
            Some(earlier) => *earlier = param,
            None => params.push(param),
        }
    }
    params.sort_by_key(|p| !p.mandatory);
    (params, complete)
}

/// The entries (`pair` nodes) of a dict expression as far as its file
/// tells: a dict literal, a global bound to one (its last top-level
/// assignment), and their unions (`a | b`, `dicts.add(a, b)`, `dict(a,
/// **b)`), in order. Returns whether every part was read (a loaded name, a
/// call of anything else or a comprehension leaves entries unknown).
pub fn dict_pairs<'t>(
    node: tree_sitter::Node<'t>,
    rope: &ropey::Rope,
    depth: usize,
    out: &mut Vec<tree_sitter::Node<'t>>,
) -> bool {
    /// Names followed through at most this many assignments.
    const MAX_DEPTH: usize = 8;
    if depth > MAX_DEPTH {
        return false;
    }
    match node.kind() {
        "dictionary" => {
            let mut cursor = node.walk();
            let mut complete = !node.has_error();
            for entry in node.named_children(&mut cursor) {
                match entry.kind() {
                    "pair" => out.push(entry),
                    "comment" => {}
                    _ => complete = false,
                }
            }
            complete
        }
        "identifier" => {
            let name = node_text(rope, node);
            let mut root = node;
            while let Some(parent) = root.parent() {
                root = parent;
            }
            let mut cursor = root.walk();
            let value = root
                .named_children(&mut cursor)
                .filter_map(|stmt| {
                    let assignment = stmt.named_child(0).filter(|a| a.kind() == "assignment")?;
                    let left = assignment.child_by_field_name("left")?;
                    (node_text(rope, left) == name)
                        .then(|| assignment.child_by_field_name("right"))
                        .flatten()
                })
                .last();
            match value {
                Some(value) => dict_pairs(value, rope, depth + 1, out),
                None => false,
            }
        }
        "binary_operator" => {
            let operator = node
                .child_by_field_name("operator")
                .map(|o| node_text(rope, o));
            if operator.as_deref() != Some("|") {
                return false;
            }
            let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) else {
                return false;
            };
            let left = dict_pairs(left, rope, depth + 1, out);
            let right = dict_pairs(right, rope, depth + 1, out);
            left && right
        }
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => dict_pairs(inner, rope, depth + 1, out),
            None => false,
        },
        "call" => {
            let callee = node
                .child_by_field_name("function")
                .map(|f| node_text(rope, f))
                .unwrap_or_default();
            let Some(args) = node
                .child_by_field_name("arguments")
                .filter(|_| matches!(callee.as_str(), "dicts.add" | "dict"))
            else {
                return false;
            };
            let mut cursor = args.walk();
            let parts: Vec<tree_sitter::Node<'t>> = args.named_children(&mut cursor).collect();
            let mut complete = true;
            for part in parts {
                let part = match part.kind() {
                    "dictionary_splat" => match part.named_child(0) {
                        Some(inner) => inner,
                        None => {
                            complete = false;
                            continue;
                        }
                    },
                    "comment" => continue,
                    // `dict(a = attr.string())`: not a pair node.
                    "keyword_argument" => {
                        complete = false;
                        continue;
                    }
                    _ => part,
                };
                complete &= dict_pairs(part, rope, depth + 1, out);
            }
            complete
        }
        _ => false,
    }
}

/// The callable a `rule(...)`, `macro(...)` or `repository_rule(...)` call
/// (`call`, a tree-sitter `call` node of `text`) makes, bound to `name`:
/// `name`, then the attributes of its `attrs` dict literal, mandatory ones
/// first (private ones,
/// `_x`, left out: a BUILD file cannot set them) with their types from
/// the `attr.*` constructor and whether `mandatory = True`, then the
/// attributes Bazel gives every rule. Its `doc` string is its doc. A
/// `provider(...)` call makes a provider's callable (see [`provider`]).
/// `None` when `call` is none of those calls.
pub fn starlark_rule(
    name: &str,
    call: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
    origin: Origin,
) -> Option<Callable> {
    let src = |n: tree_sitter::Node<'_>| node_text(rope, n);
    let function = src(call.child_by_field_name("function")?);
    if function == "provider" {
        return provider(name, call, rope, origin);
    }
    if function == "module_extension" {
        return module_extension(name, call, rope, origin, &|_| None);
    }
    if function == "struct" {
        return struct_value(name, call, rope, origin, &|_| None);
    }
    if function == "tag_class" {
        return tag_class(name, call, rope, origin);
    }
    if !matches!(function.as_str(), "rule" | "macro" | "repository_rule") {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let keyword = |key: &str| {
        let mut cursor = args.walk();
        let found = args.named_children(&mut cursor).find(|a| {
            a.kind() == "keyword_argument"
                && a.child_by_field_name("name").is_some_and(|n| src(n) == key)
        });
        found.and_then(|a| a.child_by_field_name("value"))
    };
    let mut params = vec![Param {
        name: "name".to_owned(),
        kind: ParamKind::Keyword,
        ty: Some("Name".to_owned()),
        default: None,
        mandatory: true,
    }];
    // Only a `rule` whose `attrs` the file tells entirely tells every
    // attribute (a symbolic macro may inherit others).
    let (attrs, complete) = match keyword("attrs") {
        Some(attrs) => attrs_params(attrs, rope),
        None => (Vec::new(), true),
    };
    let attrs_known = function == "rule" && complete;
    params.extend(attrs.into_iter().filter(|p| p.name != "name"));
    // A build setting takes its value's default (mandatory).
    if function == "rule" && keyword("build_setting").is_some() {
        params.push(Param {
            name: "build_setting_default".to_owned(),
            kind: ParamKind::Keyword,
            ty: None,
            default: None,
            mandatory: true,
        });
    }
    // Test and executable rules get the attributes Bazel adds to them.
    let flag = |key: &str| keyword(key).is_some_and(|v| src(v) == "True");
    let test = flag("test");
    if function == "rule" && (test || flag("executable")) {
        let implicit = if test {
            TEST_ATTRIBUTES
        } else {
            EXECUTABLE_ATTRIBUTES
        };
        for (attr, ty) in implicit {
            if !params.iter().any(|p| p.name == *attr) {
                params.push(Param {
                    name: (*attr).to_owned(),
                    kind: ParamKind::Keyword,
                    ty: Some((*ty).to_owned()),
                    default: None,
                    mandatory: false,
                });
            }
        }
    }
    // Mandatory attributes first, as for native rules; else as declared.
    params[1..].sort_by_key(|p| !p.mandatory);
    if function != "repository_rule" {
        for (common, ty) in COMMON_ATTRIBUTES {
            if !params.iter().any(|p| p.name == *common) {
                params.push(Param {
                    name: (*common).to_owned(),
                    kind: ParamKind::Keyword,
                    ty: Some((*ty).to_owned()),
                    default: None,
                    mandatory: false,
                });
            }
        }
    }
    let doc = keyword("doc").and_then(|d| crate::syntax::string_literal(&src(d)));
    Some(Callable {
        name: name.to_owned(),
        params,
        doc,
        origin,
        attrs_known,
        members: Vec::new(),
        kwargs_to: None,
    })
}

/// The keyword argument `key` of a call's argument list.
pub(crate) fn keyword_value<'t>(
    args: tree_sitter::Node<'t>,
    rope: &ropey::Rope,
    key: &str,
) -> Option<tree_sitter::Node<'t>> {
    let mut cursor = args.walk();
    let found = args.named_children(&mut cursor).find(|a| {
        a.kind() == "keyword_argument"
            && a.child_by_field_name("name")
                .is_some_and(|n| node_text(rope, n) == key)
    });
    found.and_then(|a| a.child_by_field_name("value"))
}

/// The callable a `tag_class(attrs = {...}, doc = ...)` call makes: its
/// attributes (private ones left out), mandatory ones first.
fn tag_class(
    name: &str,
    call: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
    origin: Origin,
) -> Option<Callable> {
    let args = call.child_by_field_name("arguments")?;
    let (params, attrs_known) = match keyword_value(args, rope, "attrs") {
        Some(attrs) => attrs_params(attrs, rope),
        None => (Vec::new(), true),
    };
    let doc = keyword_value(args, rope, "doc")
        .and_then(|d| crate::syntax::string_literal(&node_text(rope, d)));
    Some(Callable {
        name: name.to_owned(),
        params,
        doc,
        origin: match origin {
            Origin::StarlarkRule { path } | Origin::ModuleExtension { path } => {
                Origin::ExtensionTag { path }
            }
            other => other,
        },
        attrs_known,
        members: Vec::new(),
        kwargs_to: None,
    })
}

/// The callable a `module_extension(tag_classes = {...})` call makes: its
/// tags as members, each a `tag_class(...)` written in place or a name
/// `known` tells (a tag class bound earlier in the file). `attrs_known`:
/// every tag class was read (no `tag_classes`, or a dict literal whose
/// every entry bzls read).
pub fn module_extension(
    name: &str,
    call: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
    origin: Origin,
    known: &dyn Fn(&str) -> Option<Callable>,
) -> Option<Callable> {
    let args = call.child_by_field_name("arguments")?;
    let mut members = Vec::new();
    let tag_classes = keyword_value(args, rope, "tag_classes");
    let mut attrs_known = tag_classes.is_none_or(|t| t.kind() == "dictionary" && !t.has_error());
    if let Some(tags) = tag_classes.filter(|t| t.kind() == "dictionary") {
        let mut cursor = tags.walk();
        for pair in tags.named_children(&mut cursor) {
            if pair.kind() == "comment" {
                continue;
            }
            let key = pair
                .child_by_field_name("key")
                .and_then(|k| crate::syntax::string_literal(&node_text(rope, k)));
            let (Some(tag), Some(value)) = (key, pair.child_by_field_name("value")) else {
                attrs_known = false;
                continue;
            };
            let found = match value.kind() {
                "call" => tag_class(&tag, value, rope, origin.clone()),
                "identifier" => known(&node_text(rope, value))
                    .filter(|c| matches!(c.origin, Origin::ExtensionTag { .. }))
                    .map(|mut c| {
                        c.name = tag.clone();
                        c
                    }),
                _ => None,
            };
            attrs_known &= found.is_some();
            members.extend(found);
        }
    }
    let doc = keyword_value(args, rope, "doc")
        .and_then(|d| crate::syntax::string_literal(&node_text(rope, d)));
    Some(Callable {
        name: name.to_owned(),
        params: Vec::new(),
        doc,
        origin: match origin {
            Origin::StarlarkRule { path } => Origin::ModuleExtension { path },
            other => other,
        },
        attrs_known,
        members,
        kwargs_to: None,
    })
}

/// What a `struct(...)` call bound to `name` holds: its keyword arguments
/// as fields (each with its value as written, when short), and the fields
/// whose value is a function `known` tells (a `def` bound earlier in the
/// file) as members, named by the field. A struct with `**` arguments may
/// hold more fields (`attrs_known` is false).
pub fn struct_value(
    name: &str,
    call: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
    origin: Origin,
    known: &dyn Fn(&str) -> Option<Callable>,
) -> Option<Callable> {
    /// Longer values are not shown.
    const MAX_SHOWN: usize = 60;
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let mut params = Vec::new();
    let mut members = Vec::new();
    let mut attrs_known = true;
    for arg in args.named_children(&mut cursor) {
        if arg.kind() == "comment" {
            continue;
        }
        let (Some(field), Some(value)) = (
            arg.child_by_field_name("name")
                .filter(|_| arg.kind() == "keyword_argument"),
            arg.child_by_field_name("value"),
        ) else {
            attrs_known = false;
            continue;
        };
        let field = node_text(rope, field);
        let written = node_text(rope, value);
        if value.kind() == "identifier" {
            if let Some(mut function) = known(&written)
                .filter(|c| matches!(c.origin, Origin::Function { .. }) || !c.members.is_empty())
            {
                function.name = field.clone();
                members.push(function);
            }
        }
        params.push(Param {
            name: field,
            kind: ParamKind::Keyword,
            ty: None,
            default: (written.len() <= MAX_SHOWN && !written.contains('\n')).then_some(written),
            mandatory: false,
        });
    }
    Some(Callable {
        name: name.to_owned(),
        params,
        doc: None,
        origin: match origin {
            Origin::StarlarkRule { path } => Origin::Struct { path },
            other => other,
        },
        attrs_known,
        members,
        kwargs_to: None,
    })
}

/// The callable a `provider(...)` call makes: its fields, as keyword
/// parameters (a list of names, or a dict of names to their docs), and its
/// `doc`. A provider without `fields` takes any keyword.
fn provider(
    name: &str,
    call: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
    origin: Origin,
) -> Option<Callable> {
    let src = |n: tree_sitter::Node<'_>| node_text(rope, n);
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let list: Vec<tree_sitter::Node<'_>> = args.named_children(&mut cursor).collect();
    let keyword = |key: &str| {
        list.iter()
            .find(|a| {
                a.kind() == "keyword_argument"
                    && a.child_by_field_name("name").is_some_and(|n| src(n) == key)
            })
            .and_then(|a| a.child_by_field_name("value"))
    };
    // `provider("doc", fields = ...)`: the doc may come first.
    let doc = keyword("doc")
        .or_else(|| list.first().copied().filter(|a| a.kind() == "string"))
        .and_then(|d| crate::syntax::string_literal(&src(d)));
    let fields = keyword("fields");
    let mut params = Vec::new();
    let mut attrs_known = fields.is_some();
    match fields {
        Some(f) if matches!(f.kind(), "list" | "tuple" | "dictionary") => {
            let mut cursor = f.walk();
            for item in f.named_children(&mut cursor) {
                let key = if item.kind() == "pair" {
                    item.child_by_field_name("key")
                } else {
                    Some(item)
                };
                match key.and_then(|k| crate::syntax::string_literal(&src(k))) {
                    Some(field) => params.push(Param {
                        name: field,
                        kind: ParamKind::Keyword,
                        ty: None,
                        default: None,
                        mandatory: false,
                    }),
                    None if item.kind() != "comment" => attrs_known = false,
                    None => {}
                }
            }
        }
        Some(_) => attrs_known = false,
        None => params.push(Param {
            name: "kwargs".to_owned(),
            kind: ParamKind::Kwargs,
            ty: None,
            default: None,
            mandatory: false,
        }),
    }
    Some(Callable {
        name: name.to_owned(),
        params,
        doc,
        origin: match origin {
            Origin::StarlarkRule { path } => Origin::Provider { path },
            other => other,
        },
        attrs_known,
        members: Vec::new(),
        kwargs_to: None,
    })
}

/// The text of `node` in `rope`.
fn node_text(rope: &ropey::Rope, node: tree_sitter::Node<'_>) -> String {
    rope.get_byte_slice(node.byte_range())
        .map(String::from)
        .unwrap_or_default()
}

/// An `attr.*(...)` call's type, whether it says `mandatory = True`, and
/// its `default` as written.
fn attr_constructor(
    value: tree_sitter::Node<'_>,
    rope: &ropey::Rope,
) -> (Option<String>, bool, Option<String>) {
    let src = |n: tree_sitter::Node<'_>| node_text(rope, n);
    if value.kind() != "call" {
        return (None, false, None);
    }
    let ty = value
        .child_by_field_name("function")
        .map(src)
        .and_then(|f| {
            Some(match f.strip_prefix("attr.")? {
                "bool" => "Boolean",
                "int" => "Integer",
                "int_list" => "List of integers",
                "label" => "Label",
                "label_keyed_string_dict" => "Dictionary: Label -> String",
                "label_list" => "List of labels",
                "output" => "Output file",
                "output_list" => "List of output files",
                "string" => "String",
                "string_dict" => "Dictionary: String -> String",
                "string_list" => "List of strings",
                "string_list_dict" => "Dictionary: String -> List of strings",
                _ => return None,
            })
        })
        .map(str::to_owned);
    let (mut mandatory, mut default) = (false, None);
    if let Some(args) = value.child_by_field_name("arguments") {
        let mut cursor = args.walk();
        for arg in args.named_children(&mut cursor) {
            let key = arg.child_by_field_name("name").map(src);
            let val = arg.child_by_field_name("value").map(src);
            match (key.as_deref(), val) {
                (Some("mandatory"), Some(v)) if v == "True" => mandatory = true,
                (Some("default"), Some(v)) => default = Some(v),
                _ => {}
            }
        }
    }
    (ty, mandatory, default)
}

/// An attribute's type in the words of Bazel's documentation.
pub fn attribute_type(attr: &AttrSchema) -> &'static str {
    match attr.ty {
        AttrType::Integer => "Integer",
        AttrType::String if attr.nodep => "Label (not a dependency)",
        AttrType::String => "String",
        AttrType::Label => "Label",
        AttrType::Output => "Output file",
        AttrType::StringList if attr.nodep => "List of labels (not dependencies)",
        AttrType::StringList => "List of strings",
        AttrType::LabelList => "List of labels",
        AttrType::OutputList => "List of output files",
        AttrType::DistributionSet => "List of strings (distributions)",
        AttrType::License => "List of strings (licenses)",
        AttrType::StringDict => "Dictionary: String -> String",
        AttrType::FilesetEntryList => "List of Fileset entries",
        AttrType::LabelListDict => "Dictionary: String -> List of labels",
        AttrType::StringListDict => "Dictionary: String -> List of strings",
        AttrType::Boolean => "Boolean",
        AttrType::Tristate => "Integer (-1, 0 or 1)",
        AttrType::IntegerList => "List of integers",
        AttrType::DeprecatedStringDictUnary => "Dictionary: String -> String",
        AttrType::Unknown => "unknown",
        AttrType::LabelDictUnary => "Dictionary: String -> Label",
        AttrType::SelectorList => "select()",
        AttrType::LabelKeyedStringDict => "Dictionary: Label -> String",
    }
}

/// A builtin function of BUILD files: name, parameters (`name`,
/// `name=default`, `*name`, `**name`; a `*` alone starts keyword-only
/// ones) and a summary written for bzls.
const BUILD_BUILTINS: &[(&str, &str, &str)] = &[
    (
        "glob",
        "include=[], exclude=[], exclude_directories=1, allow_empty=unbound",
        "The source files of the package whose paths match the `include` patterns and none of the `exclude` patterns (`*` within a directory, `**` across directories).",
    ),
    (
        "select",
        "x, no_match_error=''",
        "A configurable value: the value of the first key of dict `x` whose condition (a `config_setting` or constraint value) holds in the build's configuration, or of `//conditions:default`.",
    ),
    (
        "package",
        "*, default_applicable_licenses=None, default_visibility=None, default_testonly=False, default_deprecation=None, features=[], default_package_metadata=None, **kwargs",
        "Declares defaults for every rule of this package; called at most once, before any rule.",
    ),
    (
        "exports_files",
        "srcs, visibility=None, licenses=None",
        "Makes source files of this package visible to other packages.",
    ),
    (
        "licenses",
        "license_strings",
        "Declares the license of the package's rules.",
    ),
    (
        "package_name",
        "",
        "The name of the package being evaluated (`foo/bar` in `//foo/bar`).",
    ),
    (
        "repository_name",
        "",
        "The name of the repository the package is in (`@` for the main repository).",
    ),
    (
        "package_relative_label",
        "input",
        "The `Label` a string denotes relative to the package being evaluated.",
    ),
    (
        "existing_rule",
        "name",
        "The attributes of the rule `name` already declared in this package, or `None`.",
    ),
    (
        "existing_rules",
        "",
        "The rules declared so far in this package, by name.",
    ),
    (
        "subpackages",
        "*, include, exclude=[], allow_empty=False",
        "The direct subpackages of this package whose paths match `include` and not `exclude`.",
    ),
    (
        "module_name",
        "",
        "The name of the Bazel module the package is in.",
    ),
    (
        "module_version",
        "",
        "The version of the Bazel module the package is in.",
    ),
    (
        "depset",
        "direct=None, order='default', *, transitive=None",
        "An immutable set for accumulating data across dependencies.",
    ),
    (
        "struct",
        "**kwargs",
        "An immutable value whose fields are the keyword arguments.",
    ),
    ("Label", "input", "The label a string denotes."),
    (
        "fail",
        "*args, msg=None, attr=None, sep=' '",
        "Stops the evaluation with an error.",
    ),
    (
        "print",
        "*args, sep=' '",
        "Prints a debug message.",
    ),
    ("len", "x", "The length of a string, list, tuple, dict or other iterable."),
    ("str", "x", "The string form of a value."),
    ("int", "x, base=unbound", "The integer value of a string, bool or number."),
    ("bool", "x=False", "The truth value of `x`."),
    ("list", "x=[]", "A new list with the elements of an iterable."),
    ("dict", "pairs=[], **kwargs", "A new dictionary."),
    ("tuple", "x=()", "A tuple with the elements of an iterable."),
    (
        "range",
        "start_or_stop, stop_or_none=None, step=1",
        "The integers from start to stop (exclusive) by step.",
    ),
    (
        "enumerate",
        "list, start=0",
        "The (index, element) pairs of a sequence.",
    ),
    ("zip", "*args", "Tuples of the elements at the same index of each argument."),
    (
        "sorted",
        "iterable, *, key=None, reverse=False",
        "A new sorted list of the elements of an iterable.",
    ),
    ("reversed", "sequence", "A new list of the elements in reverse order."),
    ("any", "elements", "Whether any element is true."),
    ("all", "elements", "Whether every element is true."),
    ("min", "*args, key=None", "The smallest argument, or element of one iterable."),
    ("max", "*args, key=None", "The largest argument, or element of one iterable."),
    ("hasattr", "x, name", "Whether `x` has a field or method `name`."),
    (
        "getattr",
        "x, name, default=unbound",
        "The field or method `name` of `x`, or `default`.",
    ),
    ("type", "x", "The name of the type of `x`."),
    ("repr", "x", "The string that denotes `x` as Starlark code."),
];

/// The functions of `.bzl` files beyond those of BUILD files, and the
/// methods of the values they work with, by dotted name (`attr.string`,
/// `ctx.actions.run`): parameters as Bazel documents them, a summary
/// written for bzls.
const BZL_BUILTINS: &[(&str, &str, &str)] = &[
    (
        "rule",
        "implementation, *, test=unbound, attrs={}, outputs=None, executable=unbound, output_to_genfiles=False, fragments=[], host_fragments=[], _skylark_testable=False, toolchains=[], doc=None, provides=[], dependency_resolution_rule=False, exec_compatible_with=[], analysis_test=False, build_setting=None, cfg=None, exec_groups=None, initializer=None, parent=None, extendable=None, subrules=[]",
        "Creates a rule: a kind of target whose `implementation` function runs at analysis time with a `ctx`.",
    ),
    (
        "macro",
        "*, implementation, attrs={}, inherit_attrs=None, finalizer=False, doc=None",
        "Creates a symbolic macro, called in BUILD files like a rule.",
    ),
    (
        "aspect",
        "implementation, attr_aspects=[], toolchains_aspects=[], attrs={}, required_providers=[], required_aspect_providers=[], provides=[], requires=[], propagation_predicate=None, fragments=[], host_fragments=[], toolchains=[], doc=None, *, apply_to_generating_rules=False, exec_compatible_with=[], exec_groups=None, subrules=[]",
        "Creates an aspect: an implementation applied along the dependency graph.",
    ),
    (
        "provider",
        "doc=None, *, fields=None, init=None",
        "Creates a provider: a struct type rules return to pass information to their dependents.",
    ),
    (
        "repository_rule",
        "implementation, *, attrs=None, local=False, environ=[], configure=False, remotable=False, doc=None",
        "Creates a repository rule, run with a `repository_ctx` to fetch or make an external repository.",
    ),
    (
        "module_extension",
        "implementation, *, tag_classes={}, doc=None, environ=[], os_dependent=False, arch_dependent=False",
        "Creates a module extension, run with a `module_ctx` to make repositories from the tags of MODULE.bazel files.",
    ),
    (
        "tag_class",
        "attrs={}, *, doc=None",
        "Creates a tag class: the attributes of a tag a module extension accepts.",
    ),
    (
        "configuration_field",
        "fragment, name",
        "A late-bound default for a label attribute, read from the configuration.",
    ),
    (
        "visibility",
        "value",
        "Sets who may load this `.bzl` file.",
    ),
    (
        "DefaultInfo",
        "*, files=None, runfiles=None, data_runfiles=None, default_runfiles=None, executable=None",
        "The default outputs and runfiles of a target.",
    ),
    (
        "OutputGroupInfo",
        "**kwargs",
        "Named groups of output files of a target (`--output_groups`).",
    ),
    (
        "RunEnvironmentInfo",
        "environment={}, inherited_environment=[]",
        "The environment of a target run by `bazel run` or `bazel test`.",
    ),
    (
        "attr.bool",
        "default=False, doc=None, mandatory=False",
        "A boolean attribute.",
    ),
    (
        "attr.int",
        "default=0, doc=None, mandatory=False, values=[]",
        "An integer attribute.",
    ),
    (
        "attr.int_list",
        "mandatory=False, allow_empty=True, *, default=[], doc=None",
        "A list-of-integers attribute.",
    ),
    (
        "attr.label",
        "default=None, *, materializer=None, doc=None, executable=False, allow_files=None, allow_single_file=None, mandatory=False, skip_validations=False, providers=[], for_dependency_resolution=unbound, allow_rules=None, cfg=None, aspects=[], flags=[]",
        "A label attribute: a dependency on one target.",
    ),
    (
        "attr.label_keyed_string_dict",
        "allow_empty=True, *, default={}, doc=None, allow_files=None, allow_rules=None, providers=[], for_dependency_resolution=unbound, flags=[], mandatory=False, cfg=None, aspects=[]",
        "A dictionary attribute whose keys are labels and values strings.",
    ),
    (
        "attr.label_list",
        "allow_empty=True, *, default=[], materializer=None, doc=None, allow_files=None, allow_rules=None, providers=[], for_dependency_resolution=unbound, flags=[], mandatory=False, skip_validations=False, cfg=None, aspects=[]",
        "A list-of-labels attribute: dependencies on targets.",
    ),
    (
        "attr.output",
        "doc=None, mandatory=False",
        "An output attribute: a file the rule declares by name.",
    ),
    (
        "attr.output_list",
        "allow_empty=True, *, doc=None, mandatory=False",
        "A list-of-outputs attribute.",
    ),
    (
        "attr.string",
        "configurable=unbound, default='', doc=None, mandatory=False, values=[]",
        "A string attribute.",
    ),
    (
        "attr.string_dict",
        "configurable=unbound, allow_empty=True, *, default={}, doc=None, mandatory=False",
        "A dictionary attribute of strings to strings.",
    ),
    (
        "attr.string_list",
        "mandatory=False, allow_empty=True, *, configurable=unbound, default=[], doc=None",
        "A list-of-strings attribute.",
    ),
    (
        "attr.string_list_dict",
        "allow_empty=True, *, configurable=unbound, default={}, doc=None, mandatory=False",
        "A dictionary attribute of strings to lists of strings.",
    ),
    (
        "ctx.actions.args",
        "",
        "A new `Args` object: a command line built lazily from depsets.",
    ),
    (
        "ctx.actions.declare_directory",
        "filename, *, sibling=None",
        "Declares an output directory of the rule.",
    ),
    (
        "ctx.actions.declare_file",
        "filename, *, sibling=None",
        "Declares an output file of the rule.",
    ),
    (
        "ctx.actions.declare_symlink",
        "filename, *, sibling=None",
        "Declares an output symlink of the rule.",
    ),
    (
        "ctx.actions.do_nothing",
        "mnemonic, inputs=[]",
        "An action that only makes its inputs a dependency.",
    ),
    (
        "ctx.actions.expand_template",
        "template, output, substitutions={}, is_executable=False, computed_substitutions=unbound",
        "An action that writes `output` from `template` with its substitutions made.",
    ),
    (
        "ctx.actions.run",
        "*, outputs, inputs=[], unused_inputs_list=None, executable, tools=unbound, arguments=[], mnemonic=None, progress_message=None, use_default_shell_env=False, env=None, execution_requirements=None, input_manifests=None, exec_group=None, shadowed_action=None, resource_set=None, toolchain=unbound",
        "An action that runs an executable.",
    ),
    (
        "ctx.actions.run_shell",
        "*, outputs, inputs=[], tools=unbound, arguments=[], mnemonic=None, command, progress_message=None, use_default_shell_env=False, env=None, execution_requirements=None, input_manifests=None, exec_group=None, shadowed_action=None, resource_set=None, toolchain=unbound",
        "An action that runs a shell command.",
    ),
    (
        "ctx.actions.symlink",
        "*, output, target_file=None, target_path=None, is_executable=False, progress_message=None",
        "An action that makes `output` a symlink.",
    ),
    (
        "ctx.actions.template_dict",
        "",
        "A new `TemplateDict`, for `expand_template`'s computed substitutions.",
    ),
    (
        "ctx.actions.write",
        "output, content, is_executable=False, *, mnemonic=None",
        "An action that writes `content` to `output`.",
    ),
    (
        "ctx.expand_location",
        "input, targets=[]",
        "`input` with `$(location ...)` and its siblings expanded.",
    ),
    (
        "ctx.expand_make_variables",
        "attribute_name, command, additional_substitutions",
        "`command` with make variables expanded (deprecated: use `ctx.var`).",
    ),
    (
        "ctx.runfiles",
        "files=[], transitive_files=None, collect_data=False, collect_default=False, symlinks={}, root_symlinks={}",
        "A new runfiles object.",
    ),
    (
        "ctx.resolve_command",
        "*, command='', attribute=None, expand_locations=False, make_variables=None, tools=[], label_dict={}, execution_requirements={}",
        "The inputs and argv of a command (for `run_shell`); prefer `ctx.resolve_tools`.",
    ),
    (
        "ctx.resolve_tools",
        "*, tools=[]",
        "The inputs and manifests of tools for an action.",
    ),
    (
        "ctx.target_platform_has_constraint",
        "constraintValue",
        "Whether the target platform has a constraint value.",
    ),
    // repository_ctx and module_ctx (Bazel 7 and 8; summaries written for bzls).
    (
        "repository_ctx.delete",
        "path",
        "Removes a file or directory tree and returns True if something was actually removed.",
    ),
    (
        "repository_ctx.download",
        "url, output='', sha256='', executable=False, allow_fail=False, canonical_id='', auth={}, headers={}, *, integrity='', block=True",
        "Fetches a file from one of the given mirror URLs into the repository and returns a struct with success plus sha256/integrity, or a waitable token when block is False.",
    ),
    (
        "repository_ctx.download_and_extract",
        "url, output='', sha256='', type='', strip_prefix='', allow_fail=False, canonical_id='', auth={}, headers={}, *, integrity='', rename_files={}",
        "Fetches an archive from the given mirror URLs, unpacks it into the output directory and returns a struct with success plus sha256/integrity.",
    ),
    (
        "repository_ctx.execute",
        "arguments, timeout=600, environment={}, quiet=True, working_directory=''",
        "Runs a command (first argument is the program) with an optional timeout, environment overrides and working directory, returning an exec_result.",
    ),
    (
        "repository_ctx.extract",
        "archive, output='', strip_prefix='', *, rename_files={}, watch_archive='auto'",
        "Unpacks an archive file that already exists into a directory of the repository, optionally stripping a leading prefix and renaming entries.",
    ),
    (
        "repository_ctx.file",
        "path, content='', executable=True, legacy_utf8=False",
        "Writes a file with the given text into the repository directory, executable by default.",
    ),
    (
        "repository_ctx.getenv",
        "name, default=None",
        "Looks up an environment variable (or returns the default) and records it so a change re-fetches the repository.",
    ),
    (
        "repository_ctx.patch",
        "patch_file, strip=0, *, watch_patch='auto'",
        "Applies a unified-diff patch file to the repository root using Bazel's built-in patcher, stripping leading path components.",
    ),
    (
        "repository_ctx.path",
        "path",
        "Turns a string, Label or path into a path object, resolving relative strings against the repository directory.",
    ),
    (
        "repository_ctx.read",
        "path, *, watch='auto'",
        "Returns the contents of a file as a string, optionally watching it for changes.",
    ),
    (
        "repository_ctx.rename",
        "src, dst",
        "Moves a file or directory to a new path inside the repository, creating parent directories and failing if the destination exists.",
    ),
    (
        "repository_ctx.repo_metadata",
        "*, reproducible=False, attrs_for_reproducibility={}",
        "Builds an opaque value that the implementation function can return to tell Bazel whether the fetched repo is reproducible (or which attrs would make it so).",
    ),
    (
        "repository_ctx.report_progress",
        "status=''",
        "Sets the progress message shown while this repository is being fetched.",
    ),
    (
        "repository_ctx.symlink",
        "target, link_name",
        "Creates a symbolic link at link_name pointing to target.",
    ),
    (
        "repository_ctx.template",
        "path, template, substitutions={}, executable=True, *, watch_template='auto'",
        "Writes a new file by copying a template file and replacing every occurrence of each substitution key with its value.",
    ),
    (
        "repository_ctx.watch",
        "path",
        "Registers a path so that creating, deleting, changing its type or (for files) changing its contents causes a re-fetch.",
    ),
    (
        "repository_ctx.watch_tree",
        "path",
        "Registers a directory so that any change to files or directories anywhere beneath it causes a re-fetch.",
    ),
    (
        "repository_ctx.which",
        "program",
        "Searches PATH for an executable with the given name and returns its path, or None if not found.",
    ),
    (
        "module_ctx.download",
        "url, output='', sha256='', executable=False, allow_fail=False, canonical_id='', auth={}, headers={}, *, integrity='', block=True",
        "Fetches a file from one of the given mirror URLs into the extension's working directory and returns a struct with success plus sha256/integrity, or a waitable token when block is False.",
    ),
    (
        "module_ctx.download_and_extract",
        "url, output='', sha256='', type='', strip_prefix='', allow_fail=False, canonical_id='', auth={}, headers={}, *, integrity='', rename_files={}",
        "Fetches an archive from the given mirror URLs, unpacks it into the working directory and returns a struct with success plus sha256/integrity.",
    ),
    (
        "module_ctx.execute",
        "arguments, timeout=600, environment={}, quiet=True, working_directory=''",
        "Runs a command (first argument is the program) with an optional timeout, environment overrides and working directory, returning an exec_result.",
    ),
    (
        "module_ctx.extension_metadata",
        "*, root_module_direct_deps=None, root_module_direct_dev_deps=None, reproducible=False, facts={}",
        "Builds an opaque value the extension can return to declare the root module's direct (dev) repo deps, reproducibility, and facts to persist.",
    ),
    (
        "module_ctx.extract",
        "archive, output='', strip_prefix='', *, rename_files={}, watch_archive='auto'",
        "Unpacks an archive file that already exists into a directory under the extension's working directory.",
    ),
    (
        "module_ctx.file",
        "path, content='', executable=True, legacy_utf8=False",
        "Writes a file with the given text into the extension's working directory, executable by default.",
    ),
    (
        "module_ctx.getenv",
        "name, default=None",
        "Looks up an environment variable (or returns the default) and records it so a change re-evaluates the extension.",
    ),
    (
        "module_ctx.is_dev_dependency",
        "tag",
        "Tells whether a tag came from a use_extension proxy created with dev_dependency = True.",
    ),
    (
        "module_ctx.path",
        "path",
        "Turns a string, Label or path into a path object, resolving relative strings against the working directory.",
    ),
    (
        "module_ctx.read",
        "path, *, watch='auto'",
        "Returns the contents of a file as a string, optionally watching it for changes.",
    ),
    (
        "module_ctx.report_progress",
        "status=''",
        "Sets the progress message shown while this module extension is being evaluated.",
    ),
    (
        "module_ctx.watch",
        "path",
        "Registers a path inside the workspace so that changes to it cause the extension to be re-evaluated.",
    ),
    (
        "module_ctx.which",
        "program",
        "Searches PATH for an executable with the given name and returns its path, or None if not found.",
    ),
];

/// Fields of the values `.bzl` files work with, by dotted name, with their
/// types: written for bzls from Bazel's documentation.
const BZL_FIELDS: &[(&str, &str, &str)] = &[
    (
        "ctx.actions",
        "actions",
        "Functions that declare files and create actions.",
    ),
    (
        "ctx.attr",
        "struct",
        "The rule's attributes, by name (dependencies as `Target`s).",
    ),
    ("ctx.bin_dir", "root", "The root of the bin directory."),
    (
        "ctx.build_file_path",
        "string",
        "The path of the BUILD file of the rule (deprecated: use `ctx.label.package`).",
    ),
    (
        "ctx.configuration",
        "configuration",
        "The build configuration.",
    ),
    (
        "ctx.coverage_instrumented",
        "function",
        "Whether code coverage instrumentation applies to a target.",
    ),
    (
        "ctx.disabled_features",
        "list",
        "The features disabled for this rule.",
    ),
    (
        "ctx.exec_groups",
        "ExecGroupCollection",
        "The execution groups of the rule.",
    ),
    (
        "ctx.executable",
        "struct",
        "The executable files of the rule's `executable = True` attributes, by name.",
    ),
    (
        "ctx.features",
        "list",
        "The features enabled for this rule.",
    ),
    (
        "ctx.file",
        "struct",
        "The single files of the rule's `allow_single_file` attributes, by name.",
    ),
    (
        "ctx.files",
        "struct",
        "The files of the rule's label attributes, by name.",
    ),
    (
        "ctx.fragments",
        "fragments",
        "The configuration fragments the rule declared.",
    ),
    (
        "ctx.genfiles_dir",
        "root",
        "The root of the genfiles directory.",
    ),
    (
        "ctx.info_file",
        "File",
        "The file of stable status keys (`--stamp`).",
    ),
    (
        "ctx.label",
        "Label",
        "The label of the target being analyzed.",
    ),
    (
        "ctx.outputs",
        "structure",
        "The predeclared outputs of the rule.",
    ),
    (
        "ctx.split_attr",
        "struct",
        "The values of attributes with split configurations.",
    ),
    (
        "ctx.toolchains",
        "ToolchainContext",
        "The toolchains the rule requested, by type.",
    ),
    ("ctx.var", "dict", "The make variables, by name."),
    (
        "ctx.version_file",
        "File",
        "The file of volatile status keys (`--stamp`).",
    ),
    (
        "ctx.workspace_name",
        "string",
        "The name of the main repository.",
    ),
    // repository_ctx, module_ctx and repository_os (Bazel 7 and 8).
    (
        "repository_ctx.attr",
        "struct",
        "Struct holding the attribute values of the repository rule instance, with defaults filled in.",
    ),
    (
        "repository_ctx.name",
        "string",
        "Canonical (unique, format-unspecified) name of the repository being created.",
    ),
    (
        "repository_ctx.original_name",
        "string",
        "The name attribute exactly as written where the rule was instantiated, which need not be unique.",
    ),
    (
        "repository_ctx.os",
        "repository_os",
        "Information about the host operating system, architecture and environment.",
    ),
    (
        "repository_ctx.workspace_root",
        "path",
        "Path of the main workspace root for the current Bazel invocation.",
    ),
    (
        "module_ctx.facts",
        "dict",
        "JSON-like dict of facts returned by a previous run of this extension via extension_metadata, or {} if none.",
    ),
    (
        "module_ctx.modules",
        "list",
        "All bazel_module objects in the dependency graph that use this extension, in breadth-first order from the root module.",
    ),
    (
        "module_ctx.os",
        "repository_os",
        "Information about the host operating system, architecture and environment.",
    ),
    (
        "module_ctx.root_module_has_non_dev_dependency",
        "bool",
        "True when the root module uses this extension through at least one non-dev use_extension.",
    ),
    (
        "module_ctx.is_isolated",
        "bool",
        "Whether this usage of the extension was declared with isolate = True.",
    ),
    (
        "repository_os.arch",
        "string",
        "Lower-cased CPU architecture name of the machine running Bazel (Java os.arch).",
    ),
    (
        "repository_os.environ",
        "dict",
        "Environment variables visible to Bazel; reading them here does not create a re-fetch dependency (use getenv for that).",
    ),
    (
        "repository_os.name",
        "string",
        "Lower-cased operating system name of the machine running Bazel (Java os.name).",
    ),
];

/// The functions of MODULE.bazel files: parameters as Bazel documents
/// them (the attributes `archive_override` and `git_override` pass to
/// their repository rules written out), a summary written for bzls.
const MODULE_BUILTINS: &[(&str, &str, &str)] = &[
    (
        "module",
        "*, name='', version='', compatibility_level=0, repo_name='', bazel_compatibility=[]",
        "Declares this Bazel module: its name and version.",
    ),
    (
        "bazel_dep",
        "*, name, version='', max_compatibility_level=-1, repo_name='', dev_dependency=False",
        "Declares a dependency on another Bazel module.",
    ),
    (
        "use_extension",
        "extension_bzl_file, extension_name, *, dev_dependency=False, isolate=False",
        "A proxy of a module extension, whose tags this module can call and whose repositories it can use.",
    ),
    (
        "use_repo",
        "extension_proxy, *args, **kwargs",
        "Brings repositories an extension makes into this module's scope (`**kwargs` renames them).",
    ),
    (
        "use_repo_rule",
        "repo_rule_bzl_file, repo_rule_name",
        "A proxy of a repository rule, called in MODULE.bazel to make a repository.",
    ),
    (
        "register_toolchains",
        "*toolchain_labels, dev_dependency=False",
        "Registers toolchains (labels, patterns allowed) for toolchain resolution.",
    ),
    (
        "register_execution_platforms",
        "*platform_labels, dev_dependency=False",
        "Registers platforms actions may run on.",
    ),
    (
        "single_version_override",
        "module_name, version='', registry='', patches=[], patch_cmds=[], patch_strip=0",
        "Pins a dependency to one version, registry or set of patches (root module only).",
    ),
    (
        "multiple_version_override",
        "module_name, versions, registry=''",
        "Lets several versions of a module coexist (root module only).",
    ),
    (
        "archive_override",
        "module_name, urls=[], integrity='', strip_prefix='', patches=[], patch_cmds=[], patch_strip=0",
        "Takes a dependency from an archive instead of a registry (root module only).",
    ),
    (
        "git_override",
        "module_name, remote, commit='', tag='', branch='', patches=[], patch_cmds=[], patch_strip=0, init_submodules=False, strip_prefix=''",
        "Takes a dependency from a Git repository instead of a registry (root module only).",
    ),
    (
        "local_path_override",
        "module_name, path",
        "Takes a dependency from a directory on disk instead of a registry (root module only).",
    ),
    (
        "include",
        "label",
        "Reads another `.MODULE.bazel` segment of this module's file.",
    ),
    (
        "inject_repo",
        "extension_proxy, *args, **kwargs",
        "Makes repositories of this module visible to a module extension.",
    ),
    (
        "override_repo",
        "extension_proxy, *args, **kwargs",
        "Replaces repositories a module extension makes by repositories of this module.",
    ),
];

/// The functions of WORKSPACE files beyond the native repository rules.
const WORKSPACE_BUILTINS: &[(&str, &str, &str)] = &[
    ("workspace", "name", "Names the main repository."),
    (
        "register_toolchains",
        "*toolchain_labels",
        "Registers toolchains (labels, patterns allowed) for toolchain resolution.",
    ),
    (
        "register_execution_platforms",
        "*platform_labels",
        "Registers platforms actions may run on.",
    ),
];

/// The native repository rules of WORKSPACE files (in [`super::schema`]).
pub const WORKSPACE_RULES: [&str; 3] = ["bind", "local_repository", "new_local_repository"];

/// Which functions a file sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Build,
    Bzl,
    Module,
    Workspace,
}

impl Dialect {
    /// The dialect of the file named `name` (a BUILD file is told by the
    /// caller).
    pub fn of_file(name: &str, is_build: bool) -> Dialect {
        if is_build {
            Dialect::Build
        } else if name == "MODULE.bazel" || name.ends_with(".MODULE.bazel") {
            Dialect::Module
        } else if matches!(name, "WORKSPACE" | "WORKSPACE.bazel" | "WORKSPACE.bzlmod") {
            Dialect::Workspace
        } else {
            Dialect::Bzl
        }
    }
}

/// The builtin `name` a file of `dialect` can call (for BUILD files the
/// native rules come first: see [`Callable::native_rule`]).
pub fn dialect_builtin(dialect: Dialect, name: &str) -> Option<Callable> {
    match dialect {
        Dialect::Build => build_builtin(name),
        Dialect::Bzl => bzl_builtin(name),
        Dialect::Module => builtin_in(MODULE_BUILTINS, name),
        Dialect::Workspace => builtin_in(WORKSPACE_BUILTINS, name)
            .or_else(|| {
                WORKSPACE_RULES
                    .contains(&name)
                    .then(|| Callable::native_rule(name))
                    .flatten()
            })
            .or_else(|| build_builtin(name)),
    }
}

/// The names (and summaries) a file of `dialect` sees beyond its own and
/// those it loads, native rules aside.
pub fn dialect_builtin_names(dialect: Dialect) -> Vec<(&'static str, &'static str)> {
    let table = |t: &'static [(&'static str, &'static str, &'static str)]| {
        t.iter()
            .map(|(name, _, doc)| (*name, *doc))
            .collect::<Vec<_>>()
    };
    match dialect {
        Dialect::Build => build_builtin_names().collect(),
        Dialect::Bzl => build_builtin_names().chain(bzl_builtin_names()).collect(),
        Dialect::Module => table(MODULE_BUILTINS),
        Dialect::Workspace => {
            let mut names = table(WORKSPACE_BUILTINS);
            names.extend(
                WORKSPACE_RULES
                    .iter()
                    .map(|r| (*r, "native repository rule")),
            );
            names.extend(build_builtin_names());
            names
        }
    }
}

/// The builtin function `name` of BUILD files.
pub fn build_builtin(name: &str) -> Option<Callable> {
    // Starlark's own functions as the `starlark` crate documents them;
    // Bazel's `fail` and `print` take other parameters.
    if !matches!(name, "fail" | "print") {
        if let Some(function) = super::starlark_builtins::universe_function(name) {
            return Some(function);
        }
    }
    builtin_in(BUILD_BUILTINS, name)
}

/// The builtin `name` of `.bzl` files: those of BUILD files, and the
/// functions and methods of [`BZL_BUILTINS`] (`rule`, `attr.string`,
/// `ctx.actions.run`).
pub fn bzl_builtin(name: &str) -> Option<Callable> {
    builtin_in(BZL_BUILTINS, &canonical_path(name)).or_else(|| build_builtin(name))
}

/// The object a dotted name starts with, under the name bzls's tables use:
/// the conventional short names of a repository rule's and a module
/// extension's context (`rctx`, `mctx`) are `repository_ctx` and
/// `module_ctx`, and their `os` is a `repository_os`.
fn canonical_object(object: &str) -> String {
    let (head, rest) = object.split_once('.').unwrap_or((object, ""));
    let head = match head {
        "rctx" => "repository_ctx",
        "mctx" => "module_ctx",
        other => other,
    };
    let full = if rest.is_empty() {
        head.to_owned()
    } else {
        format!("{head}.{rest}")
    };
    match full.as_str() {
        "repository_ctx.os" | "module_ctx.os" => "repository_os".to_owned(),
        _ => full,
    }
}

/// A dotted member path (`rctx.os.name`) under the names of bzls's tables
/// (`repository_os.name`).
fn canonical_path(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((object, member)) => format!("{}.{member}", canonical_object(object)),
        None => path.to_owned(),
    }
}

fn builtin_in(table: &[(&str, &str, &str)], name: &str) -> Option<Callable> {
    let (name, params, doc) = table.iter().find(|(n, _, _)| *n == name)?;
    let spaced = params.replace('=', " = ");
    Callable::from_signature(
        &format!("{name}({spaced})"),
        Some((*doc).to_owned()),
        Origin::Builtin,
    )
}

/// A member of a value `.bzl` files work with (see [`bzl_members`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: &'static str,
    /// A method (else a field).
    pub method: bool,
    /// A field's type.
    pub ty: Option<&'static str>,
    pub doc: &'static str,
}

/// The members of `object` (a dotted name: `ctx`, `ctx.actions`, `attr`)
/// that bzls knows, in name order.
pub fn bzl_members(object: &str) -> Vec<Member> {
    let object = canonical_object(object);
    let prefix = format!("{object}.");
    let methods = BZL_BUILTINS.iter().filter_map(|(name, _, doc)| {
        let member = name.strip_prefix(prefix.as_str())?;
        (!member.contains('.')).then_some(Member {
            name: member,
            method: true,
            ty: None,
            doc,
        })
    });
    let fields = BZL_FIELDS.iter().filter_map(|(name, ty, doc)| {
        let member = name.strip_prefix(prefix.as_str())?;
        (!member.contains('.')).then_some(Member {
            name: member,
            method: false,
            ty: Some(ty),
            doc,
        })
    });
    let mut members: Vec<Member> = methods.chain(fields).collect();
    members.sort_by_key(|m| m.name);
    members
}

/// The field `path` (`ctx.label`) of a value `.bzl` files work with: its
/// type and summary.
pub fn bzl_field(path: &str) -> Option<(&'static str, &'static str)> {
    let path = canonical_path(path);
    BZL_FIELDS
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|(_, ty, doc)| (*ty, *doc))
}

/// The top-level names of `.bzl` files beyond those of BUILD files, with
/// their summaries (`attr` and `native` are modules).
pub fn bzl_builtin_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    BZL_BUILTINS
        .iter()
        .filter(|(name, _, _)| !name.contains('.'))
        .map(|(name, _, doc)| (*name, *doc))
        .chain([
            (
                "attr",
                "The attribute constructors of rules, aspects and tags.",
            ),
            (
                "native",
                "The native rules and functions of BUILD files, for macros.",
            ),
        ])
}

/// The names of the builtins of BUILD files, with their summaries.
pub fn build_builtin_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUILD_BUILTINS.iter().map(|(name, _, doc)| (*name, *doc))
}

/// The byte offsets of `sep` outside brackets and quotes.
fn top_level(text: &str, sep: char) -> Vec<usize> {
    let mut found = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, c) if c == sep && depth == 0 => found.push(i),
            _ => {}
        }
    }
    found
}

/// Splits at commas outside brackets and quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for at in top_level(text, ',') {
        parts.push(&text[start..at]);
        start = at + 1;
    }
    parts.push(&text[start..]);
    parts
}

/// Splits at the first `sep` outside brackets and quotes.
fn split_top_level_once(text: &str, sep: char) -> Option<(&str, &str)> {
    let at = *top_level(text, sep).first()?;
    Some((&text[..at], &text[at + sep.len_utf8()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_of_defs_are_read_into_parameters() {
        let f = Callable::from_signature(
            "my_test(name, srcs = [\"a,b\"], *args, size: str = \"small\", **kwargs)",
            Some("Doc.".to_owned()),
            Origin::Function { path: None },
        )
        .expect("callable");
        let shown: Vec<(String, ParamKind, bool, Option<String>)> = f
            .params
            .iter()
            .map(|p| (p.name.clone(), p.kind, p.mandatory, p.default.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("name".to_owned(), ParamKind::Positional, true, None),
                (
                    "srcs".to_owned(),
                    ParamKind::Positional,
                    false,
                    Some("[\"a,b\"]".to_owned())
                ),
                ("args".to_owned(), ParamKind::Args, false, None),
                (
                    "size".to_owned(),
                    ParamKind::Keyword,
                    false,
                    Some("\"small\"".to_owned())
                ),
                ("kwargs".to_owned(), ParamKind::Kwargs, false, None),
            ]
        );
        assert_eq!(f.params[3].ty.as_deref(), Some("str"));
        assert_eq!(f.keyword_param("size"), Some(3));
        assert_eq!(f.keyword_param("anything"), Some(4));
        assert_eq!(f.positional_param(1), Some(1));
        assert_eq!(f.positional_param(7), Some(2));
        assert_eq!(
            f.signature(),
            "my_test(name, srcs = [\"a,b\"], *args, size = \"small\", **kwargs)"
        );
    }

    #[test]
    fn native_rules_list_name_then_mandatory_attributes() {
        let rule = Callable::native_rule("genrule").expect("genrule");
        assert_eq!(rule.params[0].name, "name");
        let mandatory: Vec<&str> = rule
            .params
            .iter()
            .take_while(|p| p.mandatory)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(mandatory, ["name", "outs"]);
        assert!(rule.params.iter().all(|p| p.kind == ParamKind::Keyword));
        let srcs = &rule.params[rule.keyword_param("srcs").expect("srcs")];
        assert_eq!(srcs.ty.as_deref(), Some("List of labels"));
        assert!(rule.signature().starts_with("genrule(*, name, outs, "));
        let (label, ranges) = rule.signature_with_ranges();
        assert_eq!(ranges.len(), rule.params.len());
        for (range, param) in ranges.iter().zip(&rule.params) {
            assert_eq!(&label[range.clone()], param.name);
        }
        assert_eq!(rule.keyword_param("srcz"), None);
        assert!(Callable::native_rule("no_such_rule").is_none());
    }

    #[test]
    fn builtins_have_parameters_and_a_summary() {
        let glob = build_builtin("glob").expect("glob");
        assert_eq!(glob.params[0].name, "include");
        assert_eq!(glob.params[0].default.as_deref(), Some("[]"));
        assert_eq!(glob.positional_param(0), Some(0));
        let package = build_builtin("package").expect("package");
        assert!(package
            .params
            .iter()
            .take(6)
            .all(|p| p.kind == ParamKind::Keyword));
        assert_eq!(package.keyword_param("anything"), Some(6));
        for (name, doc) in build_builtin_names() {
            let f = build_builtin(name).expect(name);
            assert_eq!(f.name, name);
            assert!(!doc.is_empty());
        }
        assert!(build_builtin("cc_library").is_none());
    }

    #[test]
    fn bzl_files_have_rules_attributes_and_actions() {
        let rule = bzl_builtin("rule").expect("rule");
        assert_eq!(rule.params[0].name, "implementation");
        assert!(rule.params[0].mandatory);
        assert_eq!(rule.params[1].kind, ParamKind::Keyword);
        let run = bzl_builtin("ctx.actions.run").expect("run");
        assert!(run
            .params
            .iter()
            .any(|p| p.name == "executable" && p.mandatory));
        assert_eq!(bzl_builtin("len").map(|f| f.name), Some("len".to_owned()));
        assert!(build_builtin("rule").is_none());
        let attr: Vec<&str> = bzl_members("attr").iter().map(|m| m.name).collect();
        assert!(attr.contains(&"label_list") && attr.contains(&"string"));
        let ctx = bzl_members("ctx");
        assert!(ctx.iter().any(|m| m.name == "actions" && !m.method));
        assert!(ctx.iter().any(|m| m.name == "runfiles" && m.method));
        assert!(!ctx.iter().any(|m| m.name.contains('.')));
        assert_eq!(bzl_field("ctx.label").map(|f| f.0), Some("Label"));
        // Every entry reads as a signature.
        for (name, _, _) in BZL_BUILTINS {
            assert!(bzl_builtin(name).is_some(), "{name}");
        }
    }

    #[test]
    fn starlark_rules_take_their_attrs() {
        let text = "my_rule = rule(\n    implementation = _impl,\n    doc = \"Makes things.\",\n    attrs = {\n        \"srcs\": attr.label_list(allow_files = True),\n        \"out\": attr.output(mandatory = True),\n        \"level\": attr.int(default = 3),\n        \"_tool\": attr.label(default = \"//t\"),\n        \"tags\": attr.string_list(),\n    },\n)\n";
        let tree = crate::syntax::parse_str(text);
        let call = tree
            .root_node()
            .descendant_for_byte_range(10, 14)
            .and_then(|n| n.parent())
            .expect("call");
        let rope = ropey::Rope::from_str(text);
        let rule = starlark_rule("my_rule", call, &rope, Origin::StarlarkRule { path: None })
            .expect("a rule");
        let names: Vec<&str> = rule.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(&names[..5], ["name", "out", "srcs", "level", "tags"]);
        assert!(names.contains(&"visibility") && !names.contains(&"_tool"));
        assert_eq!(names.iter().filter(|n| **n == "tags").count(), 1);
        let out = &rule.params[1];
        assert!(out.mandatory && out.ty.as_deref() == Some("Output file"));
        assert_eq!(rule.params[3].default.as_deref(), Some("3"));
        assert_eq!(rule.doc.as_deref(), Some("Makes things."));
        let not_a_rule = crate::syntax::parse_str("x = struct(fields = [])\n");
        let call = not_a_rule
            .root_node()
            .descendant_for_byte_range(5, 6)
            .and_then(|n| n.parent())
            .expect("call");
        let rope = ropey::Rope::from_str("x = struct(fields = [])\n");
        // A struct is a value with fields, not a rule.
        let value =
            starlark_rule("x", call, &rope, Origin::StarlarkRule { path: None }).expect("a struct");
        assert_eq!(value.origin, Origin::Struct { path: None });
        assert_eq!(value.params[0].default.as_deref(), Some("[]"));
        let not_a_rule = crate::syntax::parse_str("x = other(fields = [])\n");
        let call = not_a_rule
            .root_node()
            .descendant_for_byte_range(5, 6)
            .and_then(|n| n.parent())
            .expect("call");
        let rope = ropey::Rope::from_str("x = other(fields = [])\n");
        assert!(starlark_rule("x", call, &rope, Origin::Builtin).is_none());
    }

    /// The rule bound to the last name of `text`.
    fn last_rule(text: &str) -> Callable {
        let tree = crate::syntax::parse_str(text);
        let rope = ropey::Rope::from_str(text);
        let root = tree.root_node();
        let last = u32::try_from(root.named_child_count() - 1).expect("few statements");
        let stmt = root.named_child(last).expect("stmt");
        let assignment = stmt.named_child(0).expect("assignment");
        let call = assignment.child_by_field_name("right").expect("call");
        let name = node_text(&rope, assignment.child_by_field_name("left").expect("name"));
        starlark_rule(&name, call, &rope, Origin::StarlarkRule { path: None }).expect("a rule")
    }

    #[test]
    fn attrs_of_unions_and_names_and_of_test_rules() {
        let rule = last_rule(
            "_COMMON = {\"deps\": attr.label_list(), \"_tool\": attr.label()}\nEXTRA = dict(_COMMON, **{\"out\": attr.output(mandatory = True)})\nmy_test = rule(\n    implementation = _impl,\n    test = True,\n    attrs = EXTRA | dicts.add({\"level\": attr.int()}, {\"deps\": attr.string_list()}),\n)\n",
        );
        let names: Vec<&str> = rule.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(&names[..4], ["name", "out", "deps", "level"]);
        assert!(rule.attrs_known);
        // The later entry of a union wins.
        assert_eq!(rule.params[2].ty.as_deref(), Some("List of strings"));
        // A test rule's own attributes.
        assert!(names.contains(&"size") && names.contains(&"flaky") && names.contains(&"args"));
        // A loaded dict or a comprehension: not every attribute is known.
        let rule = last_rule("load(\":a.bzl\", \"ATTRS\")\nr = rule(implementation = _i, attrs = ATTRS | {\"x\": attr.string()})\n");
        assert!(!rule.attrs_known);
        assert!(rule.params.iter().any(|p| p.name == "x"));
        let rule = last_rule(
            "r = rule(implementation = _i, attrs = {k: attr.string() for k in [\"a\"]})\n",
        );
        assert!(!rule.attrs_known);
        // An executable rule gets `args` and `env`, not `size`.
        let rule = last_rule("r = rule(implementation = _i, executable = True)\n");
        let names: Vec<&str> = rule.params.iter().map(|p| p.name.as_str()).collect();
        assert!(
            names.contains(&"args") && !names.contains(&"size"),
            "{names:?}"
        );
    }

    #[test]
    fn module_and_workspace_files_have_their_own_functions() {
        let dep = dialect_builtin(Dialect::Module, "bazel_dep").expect("bazel_dep");
        assert_eq!(dep.params[0].name, "name");
        assert!(dep.params[0].mandatory && dep.params[0].kind == ParamKind::Keyword);
        assert!(dialect_builtin(Dialect::Module, "glob").is_none());
        assert!(dialect_builtin(Dialect::Module, "cc_library").is_none());
        for (name, _) in dialect_builtin_names(Dialect::Module) {
            assert!(dialect_builtin(Dialect::Module, name).is_some(), "{name}");
        }
        for (name, _) in dialect_builtin_names(Dialect::Workspace) {
            assert!(
                dialect_builtin(Dialect::Workspace, name).is_some(),
                "{name}"
            );
        }
        let local = dialect_builtin(Dialect::Workspace, "local_repository").expect("rule");
        assert_eq!(local.origin, Origin::NativeRule);
        assert_eq!(Dialect::of_file("MODULE.bazel", false), Dialect::Module);
        assert_eq!(
            Dialect::of_file("deps.MODULE.bazel", false),
            Dialect::Module
        );
        assert_eq!(
            Dialect::of_file("WORKSPACE.bazel", false),
            Dialect::Workspace
        );
        assert_eq!(Dialect::of_file("defs.bzl", false), Dialect::Bzl);
        assert_eq!(Dialect::of_file("BUILD", true), Dialect::Build);
    }
}
