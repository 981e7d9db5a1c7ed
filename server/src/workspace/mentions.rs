//! The label strings a BUILD file mentions, with where they are.
//!
//! Which strings are labels:
//! - in a call to a native rule (one Bazel 2.1.0 has, not loaded from a
//!   .bzl file, or a rule set's version of it loaded from its repository,
//!   see `KNOWN_RULES` in [`super::package`]), every string of an
//!   attribute whose type in Bazel's schema
//!   ([`super::schema`]) is a label type: `label`, `label_list`, a nodep
//!   `string(_list)` like `visibility`; the keys of a
//!   `label_keyed_string_dict` (`config_setting.flag_values`), the values of a
//!   `label_dict_unary` or `label_list_dict`. These are *strict*: a
//!   label-shaped string there that is not a valid label is an error.
//!   Output attributes (`genrule.outs`) declare files, they mention none;
//! - in an attribute the schema does not know (a loaded rule or macro, or
//!   an attribute newer than Bazel 2.1.0 such as
//!   `cc_library.implementation_deps`), every string of an attribute that
//!   holds labels by Bazel's conventions ([`LABEL_ATTRIBUTES`]; on loaded
//!   rules and macros only the strongest, [`MACRO_LABEL_ATTRIBUTES`]),
//!   strictly too;
//! - in any other attribute of any call (rules, macros, in loops and
//!   comprehensions too), a string that is a valid label starting with `//`
//!   or `@…//`: not strict, since such attributes also hold file names,
//!   flags and free text.
//!
//! Strings in lists, `+` sums, `select()` values and dictionaries are
//! followed; `select()` keys are always strict labels. `name`, and
//! attributes that hold commands, flags or free text ([`TEXT_ATTRIBUTES`]),
//! are never read. `load()` is not a mention, and neither are the arguments
//! of calls nested in another call's arguments (helper functions computing
//! a value: only `select()` is followed).

use ropey::Rope;
use tree_sitter::Tree;

use super::label::parse_label;
use super::outline::{Arg, Call, Expr, Outline, Statement};
use super::package::is_known_rule;
use super::schema::{self, AttrSchema, LabelPlaces};
use crate::hash::FastMap;
use crate::text::TextRange;

/// Attributes whose strings are labels, by Bazel's conventions: used where
/// the native rule schemas do not tell.
pub const LABEL_ATTRIBUTES: &[&str] = &[
    "srcs",
    "hdrs",
    "textual_hdrs",
    "deps",
    "implementation_deps",
    "interface_deps",
    "runtime_deps",
    "exports",
    "data",
    "tools",
    "exec_tools",
    "toolchains",
    "actual",
    "src",
    "plugins",
    "exported_plugins",
    "resources",
    "tests",
    "additional_linker_inputs",
    "target_compatible_with",
    "exec_compatible_with",
    "compatible_with",
    "restricted_to",
    "constraint_values",
    "constraint_setting",
    "parents",
    "visibility",
    "default_visibility",
    "licenses_files",
    "win_def_file",
    "linker_script",
    "main_class_file",
];

/// The attributes taken as labels on calls to loaded rules and macros.
pub const MACRO_LABEL_ATTRIBUTES: &[&str] = &[
    "srcs",
    "hdrs",
    "textual_hdrs",
    "deps",
    "implementation_deps",
    "runtime_deps",
    "exports",
    "data",
    "visibility",
];

/// Attributes of free text, commands or flags, whose strings are not
/// labels even when they look like one.
pub const TEXT_ATTRIBUTES: &[&str] = &[
    "name",
    "cmd",
    "cmd_bash",
    "cmd_bat",
    "cmd_ps",
    "copts",
    "cxxopts",
    "conlyopts",
    "linkopts",
    "defines",
    "local_defines",
    "args",
    "env",
    "tags",
    "includes",
    "javacopts",
    "jvm_flags",
    "message",
    "doc",
    "out",
    "outs",
    "strip_include_prefix",
    "include_prefix",
    "import_prefix",
    "strip_import_prefix",
    "package_name",
    "values",
    "define_values",
    // `package_group`: package specifications (`//a/b`, `//a/...`), not
    // labels.
    "packages",
    // `expand_template` and `write_file` (bazel_skylib): text in, text out.
    "substitutions",
    "content",
];

/// Attributes where Bazel expands make variables, so that
/// `$(location :x)` (and `locations`, `execpath(s)`, `rootpath(s)`,
/// `rlocationpath(s)`) mentions `:x`: commands, arguments, environments and
/// compiler and linker flags.
pub const MAKE_VARIABLE_ATTRIBUTES: &[&str] = &[
    "cmd",
    "cmd_bash",
    "cmd_bat",
    "cmd_ps",
    "args",
    "env",
    "copts",
    "cxxopts",
    "conlyopts",
    "linkopts",
    "defines",
    "local_defines",
    "javacopts",
    "jvm_flags",
];

/// The make-variable functions whose argument is a label.
const LABEL_FUNCTIONS: &[&str] = &[
    "location",
    "locations",
    "execpath",
    "execpaths",
    "rootpath",
    "rootpaths",
    "rlocationpath",
    "rlocationpaths",
];

/// A label string in a BUILD file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// The label as written.
    pub text: String,
    /// The string literal, quotes included; for an embedded label, the
    /// label itself.
    pub range: TextRange,
    /// The label is inside a longer string (`$(location :x)`), not a
    /// string of its own.
    pub embedded: bool,
    /// The attribute it is a value of.
    pub attr: String,
    /// In a label attribute: a malformed label here is an error.
    pub strict: bool,
    /// In a call tagged `manual` (`tags = ["manual"]`), which
    /// `bazel build //...` never builds.
    pub manual: bool,
}

/// Every label string of a BUILD file, in text order.
pub fn label_mentions(tree: &Tree, rope: &Rope) -> Vec<Mention> {
    outline_mentions(&Outline::from_tree(tree, rope))
}

/// Every label string of a BUILD file's outline, in text order.
pub fn outline_mentions(outline: &Outline) -> Vec<Mention> {
    let mut out = Vec::new();
    // Local name → (module, exported name) of every loaded symbol.
    let loaded: FastMap<&str, (&str, &str)> = outline
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Load(load) => Some(load),
            _ => None,
        })
        .flat_map(|l| {
            l.symbols.iter().map(|(local, exported, _)| {
                (local.as_str(), (l.module.as_str(), exported.as_str()))
            })
        })
        .collect();
    for statement in &outline.statements {
        match statement {
            Statement::Load(_) => {}
            Statement::Call(call) => call_mentions(call, &loaded, &mut out),
            Statement::Compound { calls } | Statement::Broken { calls } => {
                for call in calls {
                    call_mentions(call, &loaded, &mut out);
                }
            }
        }
    }
    out
}

fn call_mentions(call: &Call, loaded: &FastMap<&str, (&str, &str)>, out: &mut Vec<Mention>) {
    if call.has_error {
        // A call with a syntax error in it (typing in progress) may not be
        // what it seems: its strings are not read.
        return;
    }
    let callee = call.callee.as_str();
    let manual = is_manual(call);
    // A native rule has Bazel's schema, and so has a rule set's own
    // version of it (`cc_library` from `@rules_cc//cc:defs.bzl`). Another
    // loaded rule or macro names its attributes as it likes: only the
    // strongest conventions are taken as labels there.
    let (is_loaded, native) = match loaded.get(callee) {
        Some((module, exported)) if is_known_rule(module, exported) => {
            (true, schema::rule_schema(exported))
        }
        Some(_) => (true, None),
        None => (false, schema::rule_schema(callee)),
    };
    for arg in &call.args {
        let Arg::Keyword { name: key, value } = arg else {
            continue;
        };
        if key == "name" {
            continue;
        }
        if MAKE_VARIABLE_ATTRIBUTES.contains(&key.as_str()) {
            let from = out.len();
            make_variable_mentions(value, key, out);
            for mention in &mut out[from..] {
                mention.manual = manual;
            }
        }
        let values = match native.and_then(|rule| rule.attribute(key)) {
            Some(attr) => schema_values(attr),
            None => convention_values(key, is_loaded),
        };
        label_strings(value, values, &mut |range, text, strict| {
            if strict || is_absolute_label(text) {
                out.push(Mention {
                    text: text.to_string(),
                    range,
                    embedded: false,
                    attr: key.clone(),
                    strict,
                    manual,
                });
            }
        });
    }
}

/// Whether the call has `tags = [..., "manual", ...]` (a list written out;
/// computed tags are not read).
fn is_manual(call: &Call) -> bool {
    call.args.iter().any(|arg| match arg {
        Arg::Keyword {
            name,
            value: Expr::List(items),
        } if name == "tags" => items
            .iter()
            .any(|item| matches!(item, Expr::Str { value: Some(v), .. } if v == "manual")),
        _ => false,
    })
}

/// The labels of `$(location ...)` and its siblings in the strings of an
/// attribute value (lists, sums, dictionary values, `select()` values).
fn make_variable_mentions(expr: &Expr, attr: &str, out: &mut Vec<Mention>) {
    match expr {
        Expr::Str {
            value: Some(value),
            range,
            raw_offset: Some(offset),
        } => {
            for (label, at) in make_variable_labels(value) {
                let start = range.start + offset + at;
                out.push(Mention {
                    text: label.to_string(),
                    range: TextRange::new(start, start + label.len()),
                    embedded: true,
                    attr: attr.to_string(),
                    strict: true,
                    manual: false,
                });
            }
        }
        Expr::Str { .. } | Expr::Other => {}
        Expr::Binary(operands) => {
            make_variable_mentions(&operands.0, attr, out);
            make_variable_mentions(&operands.1, attr, out);
        }
        Expr::List(items) | Expr::Tuple(items) => {
            for item in items {
                make_variable_mentions(item, attr, out);
            }
        }
        Expr::Dict(pairs) => {
            for (_, value) in pairs {
                make_variable_mentions(value, attr, out);
            }
        }
        Expr::Select(branches) => {
            for (_, value) in branches {
                make_variable_mentions(value, attr, out);
            }
        }
    }
}

/// The labels of the make variables `$(location LABEL)` (and the other
/// [`LABEL_FUNCTIONS`]) in `text`, with their byte offsets; `$$(` is an
/// escaped `$(`, not a variable. Only arguments that parse as labels.
pub fn make_variable_labels(text: &str) -> Vec<(&str, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(found) = text[i..].find("$(") {
        let at = i + found;
        i = at + 2;
        // `$$` is a literal `$`: skip it and what follows.
        let dollars = bytes[..=at]
            .iter()
            .rev()
            .take_while(|b| **b == b'$')
            .count();
        if dollars % 2 == 0 {
            continue;
        }
        let Some(close) = text[at + 2..].find(')') else {
            break;
        };
        let inner = &text[at + 2..at + 2 + close];
        let Some((function, arg)) = inner.split_once(' ') else {
            continue;
        };
        if !LABEL_FUNCTIONS.contains(&function) {
            continue;
        }
        let label = arg.trim();
        // `%s` and `{}`: a template filled in by `%` or `.format()`.
        let template = label.contains(['%', '{', '}']);
        if label.is_empty()
            || template
            || label.contains(char::is_whitespace)
            || parse_label(label).is_err()
        {
            continue;
        }
        let offset = at + 2 + function.len() + 1 + (arg.len() - arg.trim_start().len());
        out.push((label, offset));
        i = at + 2 + close + 1;
    }
    out
}

/// Which strings of an attribute value are mentions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Values {
    /// All (a label attribute).
    Strict,
    /// Absolute labels only.
    Absolute,
    /// Only the keys of a dictionary (`flag_values`), strictly.
    Keys,
    /// Only the values of a dictionary (`cc_toolchain_suite.toolchains`),
    /// strictly.
    MapTargets,
    /// None but `select()` keys (text attributes).
    Skip,
}

/// The mentions of a native rule's attribute, by its type in Bazel's
/// schema.
fn schema_values(attr: &AttrSchema) -> Values {
    match attr.label_places() {
        Some(LabelPlaces::All) => Values::Strict,
        Some(LabelPlaces::DictKeys) => Values::Keys,
        Some(LabelPlaces::DictValues) => Values::MapTargets,
        // Output files are declarations (see `package_decls`).
        None if attr.is_output() => Values::Skip,
        None => text_or_absolute(attr.name),
    }
}

/// The mentions of an attribute the schemas do not know, by convention.
fn convention_values(key: &str, is_loaded: bool) -> Values {
    // A macro may use `flag_values` for its own purpose (a dictionary of
    // substitutions): its keys are labels only on a call bzls cannot tell
    // is a macro.
    if key == "flag_values" && !is_loaded {
        Values::Keys
    } else if LABEL_ATTRIBUTES.contains(&key)
        && (!is_loaded || MACRO_LABEL_ATTRIBUTES.contains(&key))
    {
        Values::Strict
    } else {
        text_or_absolute(key)
    }
}

/// An attribute of no label type: nothing if it holds text, else its
/// absolute labels.
fn text_or_absolute(key: &str) -> Values {
    if TEXT_ATTRIBUTES.contains(&key) {
        Values::Skip
    } else {
        Values::Absolute
    }
}

/// A valid label that names its package (`//p:x`, `@r//p:x`), and is not
/// a target pattern's wildcard (`//p:all`, `//p:*`, `//p:all-targets`, as
/// flags like `extra_toolchains` take them).
fn is_absolute_label(text: &str) -> bool {
    (text.starts_with("//") || (text.starts_with('@') && text.contains("//")))
        && parse_label(text)
            .is_ok_and(|label| !matches!(label.name.as_str(), "all" | "*" | "all-targets"))
}

/// Calls `visit(range, value, strict)` with every mention in an attribute
/// value: strings in lists, tuples, sums, dictionaries and `select()`
/// (whose keys are always strict labels). Other calls (`glob()`) and names
/// are not followed.
fn label_strings(expr: &Expr, values: Values, visit: &mut dyn FnMut(TextRange, &str, bool)) {
    match expr {
        Expr::Str { value, range, .. } => {
            if matches!(values, Values::Skip | Values::Keys | Values::MapTargets) {
                return;
            }
            if let Some(text) = value {
                visit(*range, text, values == Values::Strict);
            }
        }
        Expr::Binary(operands) => {
            // `"//x:" + name` builds a string: no part of it is a label.
            let (left, right) = &**operands;
            if matches!(left, Expr::Str { .. }) || matches!(right, Expr::Str { .. }) {
                return;
            }
            label_strings(left, values, visit);
            label_strings(right, values, visit);
        }
        Expr::List(items) | Expr::Tuple(items) => {
            for item in items {
                label_strings(item, values, visit);
            }
        }
        Expr::Dict(pairs) => {
            // A dictionary may map labels to strings or strings to labels:
            // only absolute labels are taken from it, unless the attribute
            // says which side holds labels.
            let (keys, dict_values) = match values {
                Values::Keys => (Values::Strict, Values::Skip),
                Values::MapTargets => (Values::Skip, Values::Strict),
                Values::Skip => (Values::Skip, Values::Skip),
                _ => (Values::Absolute, Values::Absolute),
            };
            for (key, value) in pairs {
                label_strings(key, keys, visit);
                label_strings(value, dict_values, visit);
            }
        }
        Expr::Select(branches) => {
            for (key, value) in branches {
                label_strings(key, Values::Strict, visit);
                label_strings(value, values, visit);
            }
        }
        Expr::Other => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_str;

    fn mentions(text: &str) -> Vec<(String, String, bool)> {
        let tree = parse_str(text);
        label_mentions(&tree, &Rope::from_str(text))
            .into_iter()
            .map(|m| (m.text, m.attr, m.strict))
            .collect()
    }

    #[test]
    fn label_attributes_and_absolute_labels_elsewhere() {
        let got = mentions(
            r#"
load("//tools:defs.bzl", "m")
cc_library(
    name = "//not/a/mention",
    srcs = ["a.cc"] + glob(["*.h"]),
    deps = [":b"] + select({"//c:linux": ["//d"], "//conditions:default": []}),
    copts = ["//flag"] + select({"//c:linux": ["-DX"]}),
    proto = "//p:proto",
    config = ":relative_in_other_attr",
)
[m(name = n, data = ["//x:" + n, "//y"], toolchains = ["not_a_label"], tools = {"KEY": "//t", "K": ":rel"}) for n in ["a"]]
write_file(name = "w", content = [json.encode(helper(path = "//not/a:label"))])
config_setting(name = "s", flag_values = {"//f:flag": "on"})
"#,
        );
        let expect: Vec<(String, String, bool)> = [
            ("a.cc", "srcs", true),
            (":b", "deps", true),
            ("//c:linux", "deps", true),
            ("//d", "deps", true),
            ("//conditions:default", "deps", true),
            ("//c:linux", "copts", true),
            ("//p:proto", "proto", false),
            ("//y", "data", true),
            ("//t", "tools", false),
            ("//f:flag", "flag_values", true),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
        .collect();
        assert_eq!(got, expect);
    }

    fn expect(list: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
        list.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect()
    }

    #[test]
    fn native_rules_follow_bazels_schema() {
        let got = mentions(
            r#"
cc_library(name = "a", linkstamp = "stamp.cc", implementation_deps = [":impl"], copts = ["//x"])
java_binary(name = "j", launcher = ":launcher", main_class = "//not/a:label", jvm_flags = ["//f"])
py_binary(name = "p", main = "p.py", python_version = "//x:y")
sh_test(name = "t", srcs = ["t.sh"], args = [":arg", "//arg"])
genquery(name = "q", scope = [":s"], expression = "deps(:s)")
genrule(name = "g", outs = [":o"], toolchains = [":tc"], cmd = "//c")
cc_toolchain_suite(name = "ts", toolchains = {"k8|gcc": ":k8", "//k": "//v"})
android_binary(name = "ab", feature_flags = {":flag": "on"})
toolchain(name = "tc", toolchain = ":impl", toolchain_type = "//tt", visibility = ["//visibility:public"])
"#,
        );
        assert_eq!(
            got,
            expect(&[
                // A label of Bazel 2.1.0's schema, not in the convention list.
                ("stamp.cc", "linkstamp", true),
                // Newer than Bazel 2.1.0: by convention.
                (":impl", "implementation_deps", true),
                (":launcher", "launcher", true),
                // A string attribute: only absolute labels, not strictly.
                ("//not/a:label", "main_class", false),
                ("p.py", "main", true),
                ("//x:y", "python_version", false),
                // `args` holds text: none of its strings (`sh_test.srcs` are labels).
                ("t.sh", "srcs", true),
                (":s", "scope", true),
                (":tc", "toolchains", true),
                // The values of a label_dict_unary, not its keys.
                (":k8", "toolchains", true),
                ("//v", "toolchains", true),
                // The keys of a label_keyed_string_dict.
                (":flag", "feature_flags", true),
                // Nodep labels.
                (":impl", "toolchain", true),
                ("//tt", "toolchain_type", true),
                ("//visibility:public", "visibility", true),
            ])
        );
    }

    #[test]
    fn loaded_rules_and_unknown_calls_keep_the_conventions() {
        let got = mentions(
            r#"
load("//r:defs.bzl", "cc_library", "my_rule")
cc_library(name = "a", linkstamp = "stamp.cc", deps = [":d"], tools = [":t"])
my_rule(name = "m", deps = [":d"], flag_values = {":f": "1"})
my_rule(name = "r", flag_values = {"ROCM_TARGET": "//build_tools:target"})
new_native_rule(name = "n", tools = [":t"], launcher = ":l", flag_values = {":g": "1"})
"#,
        );
        // A loaded macro's `flag_values` is its own: only absolute labels
        // in it, loosely.
        assert_eq!(
            got,
            expect(&[
                (":d", "deps", true),
                (":d", "deps", true),
                ("//build_tools:target", "flag_values", false),
                (":t", "tools", true),
                (":g", "flag_values", true),
            ])
        );
    }

    #[test]
    fn a_rule_sets_version_of_a_native_rule_has_its_schema() {
        let got = mentions(
            r#"
load("@rules_cc//cc:defs.bzl", "cc_library")
load("@rules_java//java:defs.bzl", my_binary = "java_binary")
cc_library(name = "a", linkstamp = ":stamp", implementation_deps = [":i"], copts = ["//not:a_label"])
my_binary(name = "b", launcher = ":l", main_class = "Main")
"#,
        );
        assert_eq!(
            got,
            expect(&[
                (":stamp", "linkstamp", true),
                (":i", "implementation_deps", true),
                (":l", "launcher", true),
            ])
        );
    }

    #[test]
    fn broken_text_yields_what_it_can() {
        let got =
            mentions("cc_library(deps = [\":a\",\ncc_library(name = \"x\", deps = [\"//b\"])\n");
        assert!(got.iter().any(|(t, _, _)| t == "//b"), "{got:?}");
        let _ = mentions("\u{0}((((\"//x\"");
    }

    #[test]
    fn package_specifications_and_template_text_are_not_labels() {
        let got = mentions(
            r#"
package_group(name = "friends", packages = ["//rust/test", "//a/..."], includes = [":others"])
expand_template(name = "t", substitutions = {"//cc": "@rules_cc//cc"}, template = ":in")
filegroup(name = "f", srcs = [":x"])
"#,
        );
        let texts: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(texts, vec![":x"], "{got:?}");
    }

    #[test]
    fn skylib_with_or_keys_are_labels() {
        let got = mentions(
            r#"
filegroup(name = "f", srcs = selects.with_or({(":a", "//b"): [":c"], "//conditions:default": []}))
filegroup(name = "g", srcs = select(selects.with_or_dict({(":d",): [":e"]})))
filegroup(name = "h", srcs = other.with_or_nothing({":x": [":y"]}))
"#,
        );
        let texts: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec![":a", "//b", ":c", "//conditions:default", ":d", ":e"],
            "{got:?}"
        );
    }

    #[test]
    fn target_pattern_wildcards_are_not_labels_outside_label_attributes() {
        let got = mentions(
            r#"
my_test(name = "t", extra_toolchains = ["//tc:all", "//tc:*", "//tc:all-targets", "//tc:real"])
filegroup(name = "f", srcs = ["//x:all"])
"#,
        );
        let texts: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
        // `srcs` takes labels: a wildcard there is checked (Bazel rejects
        // it unless a target is named so).
        assert_eq!(texts, vec!["//tc:real", "//x:all"], "{got:?}");
    }
}
