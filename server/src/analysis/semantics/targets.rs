//! The checks Bazel applies to the rule calls of a BUILD file when it
//! creates their targets, in Bazel's own words:
//!
//! - `duplicate-target`: `cc_library rule 'a' in package 'p' conflicts
//!   with existing cc_library rule`, and the same for generated files
//!   (outputs of rules, `generated file 'x' in rule 'h' conflicts with
//!   existing generated file from rule 'g'`), outputs that are directory
//!   prefixes of each other and `exports_files` names;
//! - `invalid-target-name`: `invalid target name 'a:b': target names may
//!   not contain ':'`;
//! - `unknown-attribute`: `no such attribute 'srcz' in 'cc_library' rule`,
//!   with a fix to the near attribute;
//! - `missing-attribute`: `missing value for mandatory attribute 'actual'
//!   in 'alias' rule` (`cc_library rule has no 'name' attribute`);
//! - `attribute-type`: `expected value of type 'list(label)' for
//!   attribute 'srcs' in 'cc_library' rule, but got "a.cc" (string)`, for
//!   literal values only;
//! - `duplicate-label`: `Label '//p:b' is duplicated in the 'deps'
//!   attribute of rule 'a'`.
//!
//! Only top-level calls of a rule whose attributes bzls knows: a native
//! rule (Bazel 2.1.0's schema) the file does not rebind, or a Starlark
//! rule it loads from a file on disk whose `attrs` is a dict literal.
//! Calls of macros, calls with `*args`/`**kwargs`, and values that are not
//! literals are not judged. An unknown attribute of a native rule that is
//! no near miss of a known one may exist in a newer Bazel: a hint.

use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Node;

use super::names::FileNames;
use super::RuleLookup;
use crate::analysis::{Diagnostic, DiagnosticCode, Fix, Severity};
use crate::hash::{FastMap, FastSet};
use crate::syntax::node_range;
use crate::text::TextRange;
use crate::workspace::callables::{
    Callable, Origin, COMMON_ATTRIBUTES, GENERATED_ATTRIBUTES, SCHEMA_BAZEL,
};

/// Attributes Bazel gives some Starlark rules beyond their `attrs` and the
/// common ones bzls lists (test and executable rules, licensing, hints):
/// never reported unknown.
const IMPLICIT_ATTRIBUTES: &[&str] = &[
    "applicable_licenses",
    "args",
    "aspect_hints",
    "distribs",
    "env",
    "env_inherit",
    "exec_group_compatible_with",
    "flaky",
    "licenses",
    "local",
    "output_licenses",
    "package_metadata",
    "shard_count",
    "size",
    "timeout",
    "transitive_configs",
];

/// Attributes Bazel versions after 2.1.0 give every rule (besides
/// [`COMMON_ATTRIBUTES`]).
const NEWER_COMMON_ATTRIBUTES: &[&str] = &[
    "applicable_licenses",
    "aspect_hints",
    "exec_group_compatible_with",
    "package_metadata",
    "transitive_configs",
];

/// The coarse shape of a value or of what an attribute takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Str,
    List,
    Dict,
    Int,
    Bool,
}

impl Shape {
    fn of_value(node: Node<'_>) -> Option<Shape> {
        Some(match node.kind() {
            "string" | "concatenated_string" => Shape::Str,
            "list" | "list_comprehension" => Shape::List,
            "dictionary" | "dictionary_comprehension" => Shape::Dict,
            "integer" => Shape::Int,
            "true" | "false" => Shape::Bool,
            _ => return None,
        })
    }

    fn value_type(self) -> &'static str {
        match self {
            Shape::Str => "string",
            Shape::List => "list",
            Shape::Dict => "dict",
            Shape::Int => "int",
            Shape::Bool => "bool",
        }
    }

    /// Whether an attribute taking `self` certainly rejects a `value`.
    fn rejects(self, value: Shape) -> bool {
        match self {
            Shape::Int => matches!(value, Shape::Str | Shape::List | Shape::Dict),
            Shape::Bool => matches!(value, Shape::Str | Shape::List | Shape::Dict),
            // A list attribute takes any iterable: a dict gives its keys.
            Shape::List => matches!(value, Shape::Str | Shape::Int | Shape::Bool),
            Shape::Dict => matches!(value, Shape::Str | Shape::Int | Shape::Bool),
            Shape::Str => value != Shape::Str,
        }
    }
}

/// What an attribute of the documented type `ty` takes: its shape and
/// Bazel's name for the type.
fn attribute_shape(ty: &str) -> Option<(Shape, &'static str)> {
    Some(match ty {
        "List of labels" | "List of labels (not dependencies)" => (Shape::List, "list(label)"),
        "List of strings" | "List of strings (distributions)" | "List of strings (licenses)" => {
            (Shape::List, "list(string)")
        }
        "List of output files" => (Shape::List, "list(output)"),
        "List of integers" => (Shape::List, "list(int)"),
        "Label" | "Label (not a dependency)" => (Shape::Str, "label"),
        "Output file" => (Shape::Str, "output"),
        "String" | "Name" => (Shape::Str, "string"),
        "Integer" => (Shape::Int, "int"),
        "Integer (-1, 0 or 1)" => (Shape::Int, "int"),
        "Boolean" => (Shape::Bool, "boolean"),
        "Dictionary: String -> String" => (Shape::Dict, "dict(string, string)"),
        "Dictionary: Label -> String" => (Shape::Dict, "dict(label, string)"),
        "Dictionary: String -> Label" => (Shape::Dict, "dict(string, label)"),
        "Dictionary: String -> List of strings" => (Shape::Dict, "dict(string, list(string))"),
        "Dictionary: String -> List of labels" => (Shape::Dict, "dict(string, list(label))"),
        _ => return None,
    })
}

/// One top-level rule call, read.
struct RuleCall<'t> {
    callee: Node<'t>,
    rule: Arc<Callable>,
    keywords: Vec<(Node<'t>, Node<'t>)>,
    /// `*args`/`**kwargs` or positional arguments: what it sets is unknown.
    opaque: bool,
    /// A legacy macro whose `**kwargs` reach a rule: only its keywords
    /// are checked (the rule's other checks need evaluation).
    via_macro: bool,
}

/// The target diagnostics of a BUILD file (see the module doc).
pub fn target_diagnostics(
    root: Node<'_>,
    rope: &Rope,
    package: &str,
    names: &FileNames,
    rules: &dyn RuleLookup,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut declared = Declared::default();
    let globals: FastSet<&str> = names.globals.iter().map(|g| g.name.as_ref()).collect();
    // Each rule's attributes, read once per file.
    let mut callables: FastMap<String, Option<Arc<Callable>>> = FastMap::default();
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        if !globals.contains("exports_files") {
            if let Some(files) = exported_files(stmt, rope) {
                declared.export(files, package, &mut out);
                continue;
            }
        }
        let Some(call) = rule_call(stmt, rope, &globals, rules, &mut callables) else {
            continue;
        };
        check_call(&call, rope, package, &mut declared, &mut out);
    }
    out
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.get_byte_slice(node.byte_range())
        .map(String::from)
        .unwrap_or_default()
}

fn rule_call<'t>(
    stmt: Node<'t>,
    rope: &Rope,
    globals: &FastSet<&str>,
    rules: &dyn RuleLookup,
    callables: &mut FastMap<String, Option<Arc<Callable>>>,
) -> Option<RuleCall<'t>> {
    if stmt.kind() != "expression_statement" || stmt.has_error() {
        return None;
    }
    let call = stmt.named_child(0).filter(|c| c.kind() == "call")?;
    let callee = call.child_by_field_name("function")?;
    if callee.kind() != "identifier" {
        return None;
    }
    let name = text(rope, callee);
    let rule = callables
        .entry(name)
        .or_insert_with_key(|name| {
            if globals.contains(name.as_str()) {
                rules
                    .loaded_rule(name)
                    .filter(|r| r.attrs_known && (is_starlark_rule(r) || forwards_to_rule(r)))
                    .map(Arc::new)
            } else {
                Callable::native_rule(name).map(Arc::new)
            }
        })
        .clone()?;
    let args = call.child_by_field_name("arguments")?;
    let mut keywords = Vec::new();
    let mut opaque = false;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind() {
            "keyword_argument" => {
                if let (Some(key), Some(value)) = (
                    arg.child_by_field_name("name"),
                    arg.child_by_field_name("value"),
                ) {
                    keywords.push((key, value));
                }
            }
            "comment" => {}
            _ => opaque = true,
        }
    }
    let via_macro = forwards_to_rule(&rule);
    Some(RuleCall {
        callee,
        rule,
        keywords,
        opaque,
        via_macro,
    })
}

/// A Starlark rule (not a provider, struct or function).
fn is_starlark_rule(callable: &Callable) -> bool {
    matches!(callable.origin, Origin::StarlarkRule { .. })
}

/// A legacy macro whose `**kwargs` reach a native or Starlark rule.
fn forwards_to_rule(callable: &Callable) -> bool {
    callable.kwargs_to.as_ref().is_some_and(|target| {
        matches!(
            target.origin,
            Origin::NativeRule | Origin::StarlarkRule { .. }
        )
    })
}

fn check_call(
    call: &RuleCall<'_>,
    rope: &Rope,
    package: &str,
    declared: &mut Declared,
    out: &mut Vec<Diagnostic>,
) {
    if call.via_macro {
        for (key, _) in &call.keywords {
            let attr = text(rope, *key);
            // An attribute the macro sets itself is given twice: Bazel
            // says so in its own words, not as an unknown attribute.
            let set_by_macro = call
                .rule
                .kwargs_to
                .as_ref()
                .is_some_and(|t| t.given.contains(&attr));
            if !set_by_macro && !call.rule.params.iter().any(|p| p.name == attr) {
                unknown_attribute(call, &attr, node_range(*key), out);
            }
        }
        return;
    }
    let rule_name = call.rule.name.as_str();
    let callee_range = node_range(call.callee);
    let value_of = |key: &str| {
        call.keywords
            .iter()
            .find(|(k, _)| text(rope, *k) == key)
            .map(|(_, v)| *v)
    };
    let name_node = value_of("name");
    let target = name_node
        .filter(|v| v.kind() == "string")
        .and_then(|v| crate::syntax::string_literal(&text(rope, v)));
    if name_node.is_none() && !call.opaque {
        out.push(Diagnostic::error(
            DiagnosticCode::MissingAttribute,
            callee_range,
            format!("{rule_name} rule has no 'name' attribute"),
        ));
    }
    if let (Some(target), Some(node)) = (&target, name_node) {
        if let Some(reason) = crate::workspace::label::validate_target_name(target) {
            out.push(Diagnostic::error(
                DiagnosticCode::InvalidTargetName,
                node_range(node),
                format!("invalid target name '{target}': {reason}"),
            ));
        } else if let Some((previous, at)) = declared.names.get(target) {
            out.push(
                Diagnostic::error(
                    DiagnosticCode::DuplicateTarget,
                    node_range(node),
                    format!(
                        "{rule_name} rule '{target}' in package '{package}' conflicts with existing {}",
                        previous.describe()
                    ),
                )
                .with_related(*at, format!("'{target}' is first declared here")),
            );
        } else {
            declared.names.insert(
                target.clone(),
                (Kind::Rule(rule_name.to_owned()), node_range(node)),
            );
        }
    }
    if let Some(target) = &target {
        declared.outputs(call, rope, target, out);
    }
    let shown = target.as_deref().unwrap_or(rule_name);
    let mut given = Vec::new();
    for (key, value) in &call.keywords {
        let attr = text(rope, *key);
        given.push(attr.clone());
        let Some(param) = call.rule.params.iter().find(|p| p.name == attr) else {
            unknown_attribute(call, &attr, node_range(*key), out);
            continue;
        };
        let Some((expected, type_name)) = param.ty.as_deref().and_then(attribute_shape) else {
            continue;
        };
        if let Some(found) = Shape::of_value(*value) {
            if expected.rejects(found) {
                out.push(Diagnostic::error(
                    DiagnosticCode::AttributeType,
                    node_range(*value),
                    format!(
                        "expected value of type '{type_name}' for attribute '{attr}' in '{rule_name}' rule, but got {} ({})",
                        shorten(&text(rope, *value)),
                        found.value_type()
                    ),
                ));
                continue;
            }
        }
        if type_name == "list(label)"
            && param.ty.as_deref() == Some("List of labels")
            && value.kind() == "list"
        {
            duplicate_labels(*value, rope, package, &attr, shown, out);
        }
    }
    if !call.opaque {
        for param in &call.rule.params {
            if param.mandatory && param.name != "name" && !given.contains(&param.name) {
                out.push(Diagnostic::error(
                    DiagnosticCode::MissingAttribute,
                    callee_range,
                    format!(
                        "missing value for mandatory attribute '{}' in '{rule_name}' rule",
                        param.name
                    ),
                ));
            }
        }
    }
}

fn unknown_attribute(call: &RuleCall<'_>, attr: &str, range: TextRange, out: &mut Vec<Diagnostic>) {
    // Through a macro, the rule its `**kwargs` reach is what rejects it.
    let (rule_name, origin) = match &call.rule.kwargs_to {
        Some(target) => (&target.rule, &target.origin),
        None => (&call.rule.name, &call.rule.origin),
    };
    let native = *origin == Origin::NativeRule;
    if (!native && IMPLICIT_ATTRIBUTES.contains(&attr)) || GENERATED_ATTRIBUTES.contains(&attr) {
        return;
    }
    // Attributes later Bazel versions gave every rule.
    if COMMON_ATTRIBUTES.iter().any(|(name, _)| *name == attr)
        || NEWER_COMMON_ATTRIBUTES.contains(&attr)
    {
        return;
    }
    let near = crate::suggest::did_you_mean(
        attr,
        call.rule
            .params
            .iter()
            .map(|p| p.name.as_str())
            .filter(|p| !GENERATED_ATTRIBUTES.contains(p)),
        3,
    );
    let mut message = format!("no such attribute '{attr}' in '{rule_name}' rule");
    if let Some(best) = near.first() {
        message.push_str(&format!(" (did you mean '{best}'?)"));
    }
    let severity = if native && near.is_empty() {
        message.push_str(&format!(
            "; Bazel {SCHEMA_BAZEL}'s {rule_name} has no such attribute, a newer Bazel may"
        ));
        Severity::Hint
    } else {
        Severity::Error
    };
    let mut diagnostic =
        Diagnostic::new(severity, DiagnosticCode::UnknownAttribute, range, message);
    diagnostic.fixes = near
        .iter()
        .map(|n| Fix {
            range,
            new_text: (*n).to_owned(),
        })
        .collect();
    out.push(diagnostic);
}

/// What a name of the package is, as far as the calls read so far tell.
#[derive(Clone, Debug)]
enum Kind {
    /// A rule of this kind.
    Rule(String),
    /// A file the named rule generates.
    Output(String),
    /// A source file `exports_files` declares.
    Source,
}

impl Kind {
    /// As Bazel's conflict messages name it.
    fn describe(&self) -> String {
        match self {
            Kind::Rule(kind) => format!("{kind} rule"),
            Kind::Output(rule) => format!("generated file from rule '{rule}'"),
            Kind::Source => "source file".to_owned(),
        }
    }
}

/// The names the package declares so far (targets, generated files,
/// exported source files), and the generated files in order.
#[derive(Default)]
struct Declared {
    names: FastMap<String, (Kind, TextRange)>,
    /// (file, its rule, where it is written).
    outputs: Vec<(String, String, TextRange)>,
}

impl Declared {
    /// The files a rule call generates, from its output attributes' string
    /// literals: each must be a new name of the package, and no output may
    /// be a directory prefix of another.
    fn outputs(
        &mut self,
        call: &RuleCall<'_>,
        rope: &Rope,
        target: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        for (key, value) in &call.keywords {
            let attr = text(rope, *key);
            let is_output = call.rule.params.iter().any(|p| {
                p.name == attr
                    && matches!(
                        p.ty.as_deref(),
                        Some("Output file" | "List of output files")
                    )
            });
            if !is_output {
                continue;
            }
            let items: Vec<Node<'_>> = if value.kind() == "list" {
                let mut cursor = value.walk();
                value.named_children(&mut cursor).collect()
            } else {
                vec![*value]
            };
            for item in items.into_iter().filter(|i| i.kind() == "string") {
                let Some(file) = crate::syntax::string_literal(&text(rope, item)) else {
                    continue;
                };
                if file.is_empty() || file.starts_with(':') || file.starts_with("//") {
                    continue;
                }
                self.output(file, target, node_range(item), out);
            }
        }
    }

    fn output(&mut self, file: String, rule: &str, range: TextRange, out: &mut Vec<Diagnostic>) {
        match self.names.get(&file) {
            // A rule's output named like the rule: Bazel warns only.
            Some((Kind::Rule(_), _)) if file == rule => {}
            Some((previous, at)) => {
                out.push(
                    Diagnostic::error(
                        DiagnosticCode::DuplicateTarget,
                        range,
                        format!(
                            "generated file '{file}' in rule '{rule}' conflicts with existing {}",
                            previous.describe()
                        ),
                    )
                    .with_related(*at, format!("'{file}' is first declared here")),
                );
                return;
            }
            None => {}
        }
        let clash = self.outputs.iter().find(|(other, _, _)| {
            file.strip_prefix(other.as_str())
                .is_some_and(|r| r.starts_with('/'))
                || other
                    .strip_prefix(file.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        });
        if let Some((other, other_rule, at)) = clash {
            let message = if other_rule == rule {
                format!("rule '{rule}' has conflicting output files '{file}' and '{other}'")
            } else {
                format!(
                    "output file '{file}' of rule '{rule}' conflicts with output file '{other}' of rule '{other_rule}'"
                )
            };
            out.push(
                Diagnostic::error(DiagnosticCode::DuplicateTarget, range, message)
                    .with_related(*at, format!("'{other}' is generated here")),
            );
            return;
        }
        self.names
            .insert(file.clone(), (Kind::Output(rule.to_owned()), range));
        self.outputs.push((file, rule.to_owned(), range));
    }

    /// The files of an `exports_files([...])` call: a name a rule or
    /// generated file already has is a conflict.
    fn export(
        &mut self,
        files: Vec<(String, TextRange)>,
        package: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        for (file, range) in files {
            match self.names.get(&file) {
                Some((Kind::Source, _)) => {}
                Some((previous, at)) => {
                    let existing = match previous {
                        Kind::Output(_) => "generated file".to_owned(),
                        other => other.describe(),
                    };
                    out.push(
                        Diagnostic::error(
                            DiagnosticCode::DuplicateTarget,
                            range,
                            format!(
                                "generated label '//{package}:{file}' conflicts with existing {existing}"
                            ),
                        )
                        .with_related(*at, format!("'{file}' is first declared here")),
                    );
                }
                None => {
                    self.names.insert(file, (Kind::Source, range));
                }
            }
        }
    }
}

/// The file names of an `exports_files([...])` statement (string literals
/// of its first argument), if the statement is one.
fn exported_files(stmt: Node<'_>, rope: &Rope) -> Option<Vec<(String, TextRange)>> {
    if stmt.kind() != "expression_statement" || stmt.has_error() {
        return None;
    }
    let call = stmt.named_child(0).filter(|c| c.kind() == "call")?;
    let function = call.child_by_field_name("function")?;
    if text(rope, function) != "exports_files" {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    let first = args.named_child(0).filter(|a| a.kind() == "list")?;
    let mut cursor = first.walk();
    let files = first
        .named_children(&mut cursor)
        .filter(|i| i.kind() == "string")
        .filter_map(|i| crate::syntax::string_literal(&text(rope, i)).map(|v| (v, node_range(i))))
        .collect();
    Some(files)
}

/// Labels a list literal gives twice (each compared as the absolute label
/// it means in `package`).
fn duplicate_labels(
    list: Node<'_>,
    rope: &Rope,
    package: &str,
    attr: &str,
    target: &str,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: FastMap<String, TextRange> = FastMap::default();
    let mut cursor = list.walk();
    for item in list.named_children(&mut cursor) {
        if item.kind() != "string" {
            continue;
        }
        let Some(value) = crate::syntax::string_literal(&text(rope, item)) else {
            continue;
        };
        let Some(label) = absolute(&value, package) else {
            continue;
        };
        match seen.get(&label) {
            Some(first) => out.push(
                Diagnostic::error(
                    DiagnosticCode::DuplicateLabel,
                    node_range(item),
                    format!(
                        "Label '{label}' is duplicated in the '{attr}' attribute of rule '{target}'"
                    ),
                )
                .with_related(*first, "first listed here"),
            ),
            None => {
                seen.insert(label, node_range(item));
            }
        }
    }
}

/// The absolute form of a label string of the main repository's
/// `package`, when it is a valid label (others are not compared).
fn absolute(value: &str, package: &str) -> Option<String> {
    use crate::workspace::label::{parse_label, Repo};
    let label = parse_label(value).ok()?;
    let repo = match &label.repo {
        Repo::Main | Repo::Current => String::new(),
        Repo::Apparent(name) => format!("@{name}"),
        Repo::Canonical(name) => format!("@@{name}"),
    };
    let pkg = label.package.as_deref().unwrap_or(package);
    Some(format!("{repo}//{pkg}:{}", label.name))
}

/// A value's source text as a message shows it.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX).collect();
    format!("{cut}...")
}
