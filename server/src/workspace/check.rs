//! Diagnostics for the labels of a BUILD file: `label-syntax`,
//! `unresolved-package`, `unresolved-target`.
//!
//! Which strings are labels: the strings (also in lists, `+` sums and
//! `select()` values and keys) of the label attributes every rule shares by
//! convention (`deps`, `srcs`, `data`, ...), in calls at the top of the
//! file. Syntax is only checked for strings that start like a label (`//`,
//! `:`, `@`): a `srcs` entry may be any file name. Resolution never errs on
//! other repositories or open packages (see [`super::resolve`]).

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::label::parse_label;
use super::resolve::{resolve, PackageLookup, Resolution, Unresolved};
use crate::analysis::{Diagnostic, DiagnosticCode, Related};
use crate::syntax::node_range;

/// Attributes whose strings are labels, by Bazel's conventions.
pub const LABEL_ATTRIBUTES: &[&str] = &[
    "srcs",
    "hdrs",
    "textual_hdrs",
    "deps",
    "implementation_deps",
    "runtime_deps",
    "exports",
    "data",
    "tools",
    "actual",
    "src",
    "plugins",
    "resources",
    "tests",
    "additional_linker_inputs",
    "target_compatible_with",
    "exec_compatible_with",
    "compatible_with",
    "restricted_to",
    "visibility",
];

/// The label diagnostics of the BUILD file of `package`.
pub fn label_diagnostics(
    tree: &Tree,
    rope: &Rope,
    package: &str,
    lookup: &dyn PackageLookup,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let root = tree.root_node();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        let Some(call) = stmt
            .named_child(0)
            .filter(|n| stmt.kind() == "expression_statement" && n.kind() == "call")
        else {
            continue;
        };
        let Some(args) = call.child_by_field_name("arguments") else {
            continue;
        };
        let mut arg_cursor = args.walk();
        for arg in args.named_children(&mut arg_cursor) {
            if arg.kind() != "keyword_argument" {
                continue;
            }
            let (Some(key), Some(value)) = (
                arg.child_by_field_name("name"),
                arg.child_by_field_name("value"),
            ) else {
                continue;
            };
            let key = rope.byte_slice(key.byte_range()).to_string();
            if LABEL_ATTRIBUTES.contains(&key.as_str()) {
                label_strings(value, rope, &mut |node, text| {
                    check_label(node, text, package, lookup, &mut out);
                });
            }
        }
    }
    out
}

/// Calls `visit` with every string literal of a label-valued expression.
fn label_strings(node: Node<'_>, rope: &Rope, visit: &mut dyn FnMut(Node<'_>, String)) {
    match node.kind() {
        "string" => {
            if let Some(text) = crate::analysis::symbols::string_literal_value(node, rope) {
                visit(node, text);
            }
        }
        "list" | "parenthesized_expression" | "binary_operator" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                label_strings(child, rope, visit);
            }
        }
        "call" => {
            let is_select = node
                .child_by_field_name("function")
                .is_some_and(|f| rope.byte_slice(f.byte_range()) == "select");
            if !is_select {
                return;
            }
            let Some(dict) = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
                .filter(|d| d.kind() == "dictionary")
            else {
                return;
            };
            let mut cursor = dict.walk();
            for pair in dict.named_children(&mut cursor) {
                if pair.kind() != "pair" {
                    continue;
                }
                for field in ["key", "value"] {
                    if let Some(part) = pair.child_by_field_name(field) {
                        label_strings(part, rope, visit);
                    }
                }
            }
        }
        _ => {}
    }
}

fn check_label(
    node: Node<'_>,
    text: String,
    package: &str,
    lookup: &dyn PackageLookup,
    out: &mut Vec<Diagnostic>,
) {
    let looks_like_label = text.starts_with("//") || text.starts_with(':') || text.starts_with('@');
    let range = node_range(node);
    let label = match parse_label(&text) {
        Ok(label) => label,
        Err(err) => {
            if looks_like_label {
                out.push(Diagnostic::error(
                    DiagnosticCode::LabelSyntax,
                    range,
                    err.message,
                ));
            }
            return;
        }
    };
    match resolve(&label, package, lookup) {
        Resolution::Unresolved(Unresolved::Package { message }) => {
            out.push(Diagnostic::error(
                DiagnosticCode::UnresolvedPackage,
                range,
                message,
            ));
        }
        Resolution::Unresolved(Unresolved::Target {
            message,
            candidates,
        }) => {
            let mut d = Diagnostic::error(DiagnosticCode::UnresolvedTarget, range, message);
            if !candidates.is_empty() {
                d.related.push(Related {
                    range,
                    message: format!("did you mean {}?", candidates.join(", ")),
                });
            }
            out.push(d);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::render_diagnostics;
    use crate::syntax::parse_str;
    use crate::workspace::testing::Memory;

    fn check(build: &str) -> String {
        let lib = "cc_library(name = \"lib\")\nconfig_setting(name = \"linux\", values = {\"cpu\": \"k8\"})\n";
        let lookup = Memory::new(&[("lib", lib), ("app", build)], &["app/main.cc"]);
        let tree = parse_str(build);
        let diags = label_diagnostics(&tree, &Rope::from_str(build), "app", &lookup);
        render_diagnostics(build, &diags)
    }

    #[test]
    fn flags_what_bazel_would_reject() {
        expect_test::expect![[r#"

            cc_binary(
                name = "app",
                srcs = ["main.cc", "missing.cc"],
            #                      ^^^^^^^^^^^^ error[unresolved-target]: no such target '//app:missing.cc': target 'missing.cc' not declared in package 'app'
                deps = ["//lib", "//lib:libb", "//nope", "//lib//x", "@ext//a:b"] + select({
            #                    ^^^^^^^^^^^^ error[unresolved-target]: no such target '//lib:libb': target 'libb' not declared in package 'lib'
            #                                  ^^^^^^^^ error[unresolved-package]: no such package 'nope': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope
            #                                            ^^^^^^^^^^ error[label-syntax]: invalid package name 'lib//x': package names may not contain '//' path separators (perhaps you meant ":x"?)
                    "//lib:linux": [":app"],
                    "//lib:linuz": [],
            #       ^^^^^^^^^^^^^ error[unresolved-target]: no such target '//lib:linuz': target 'linuz' not declared in package 'lib'
                    "//conditions:default": [],
                }),
                visibility = ["//visibility:public"],
                copts = ["//not-a-label-attribute"],
            )
        "#]]
        .assert_eq(&check(
            r#"
cc_binary(
    name = "app",
    srcs = ["main.cc", "missing.cc"],
    deps = ["//lib", "//lib:libb", "//nope", "//lib//x", "@ext//a:b"] + select({
        "//lib:linux": [":app"],
        "//lib:linuz": [],
        "//conditions:default": [],
    }),
    visibility = ["//visibility:public"],
    copts = ["//not-a-label-attribute"],
)
"#,
        ));
    }
}
