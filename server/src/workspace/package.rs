//! What one BUILD file declares, read statically from its tree-sitter tree
//! (so a half-typed file still yields what it can): targets made by calls
//! with a string `name`, output files (the output attributes of native
//! rules by Bazel's schema, `out`/`outs` by convention elsewhere),
//! `exports_files`, and the `load()`s. Macro evaluation comes later; until then a call to a
//! loaded symbol marks the package *open*: it may create targets this
//! reading cannot see, so a missing name there is never an error.

use ropey::Rope;
use tree_sitter::{Node, Tree};

use super::outline::{Arg, Call, Expr, Outline, Statement};
use super::schema::{self, RuleSchema};
use crate::syntax::node_range;
use crate::text::TextRange;

/// Rules (and macros that act like them) that create exactly one target
/// named `name`, plus implicit outputs whose names start with `name` or
/// `lib<name>` (see [`PackageDecls::may_be_implicit_output`]), by the
/// repositories (under their usual apparent names) that export them. A call
/// to one of these, loaded from any file of its repository, does not make a
/// package open, even when the repository is not on disk.
pub(crate) const KNOWN_RULES: &[(&[&str], &[&str])] = &[
    (
        // `cc_compatibility_proxy` is the repository through which rules_cc
        // re-exports its rules.
        &["rules_cc", "cc_compatibility_proxy"],
        &[
            "cc_library",
            "cc_binary",
            "cc_test",
            "cc_import",
            "cc_shared_library",
            "cc_proto_library",
            "objc_library",
            "objc_import",
        ],
    ),
    (
        &["rules_java"],
        &[
            "java_library",
            "java_binary",
            "java_test",
            "java_import",
            "java_plugin",
            "java_proto_library",
            "java_lite_proto_library",
        ],
    ),
    (
        &["rules_python"],
        &[
            "py_library",
            "py_binary",
            "py_test",
            "py_runtime",
            "py_runtime_pair",
        ],
    ),
    (
        &["rules_proto", "protobuf", "com_google_protobuf"],
        &[
            "proto_library",
            "proto_lang_toolchain",
            "cc_proto_library",
            "java_proto_library",
            "java_lite_proto_library",
            "py_proto_library",
        ],
    ),
    (&["rules_shell"], &["sh_binary", "sh_test", "sh_library"]),
    (
        &["bazel_skylib"],
        &[
            "bzl_library",
            "bool_flag",
            "bool_setting",
            "int_flag",
            "int_setting",
            "string_flag",
            "string_setting",
            "string_list_flag",
            "string_list_setting",
            "copy_file",
            "copy_directory",
            "write_file",
            "expand_template",
            "run_binary",
            "native_binary",
            "native_test",
            "diff_test",
            "build_test",
        ],
    ),
    (
        &["rules_license"],
        &["license", "license_kind", "package_info"],
    ),
    (
        &["rules_pkg"],
        &[
            "pkg_tar",
            "pkg_zip",
            "pkg_deb",
            "pkg_files",
            "pkg_filegroup",
            "pkg_mklink",
            "pkg_mkdirs",
        ],
    ),
    (
        &["io_bazel_rules_go", "rules_go"],
        &[
            "go_library",
            "go_binary",
            "go_test",
            "go_source",
            "go_proto_library",
        ],
    ),
    (
        &["bazel_gazelle", "gazelle"],
        &["gazelle", "gazelle_binary"],
    ),
    (
        &["rules_rust"],
        &[
            "rust_library",
            "rust_binary",
            "rust_test",
            "rust_proc_macro",
            "rust_shared_library",
            "rust_static_library",
            "rust_doc",
            "rust_doc_test",
        ],
    ),
];

/// True when `exported`, loaded from `module`, is one of [`KNOWN_RULES`].
pub(crate) fn is_known_rule(module: &str, exported: &str) -> bool {
    let Some(repo) = module
        .strip_prefix('@')
        .map(|m| m.trim_start_matches('@'))
        .and_then(|m| m.split("//").next())
    else {
        return false;
    };
    KNOWN_RULES
        .iter()
        .any(|(repos, rules)| repos.contains(&repo) && rules.contains(&exported))
}

/// A target declared in a BUILD file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TargetDecl {
    pub name: String,
    /// The rule or macro called (`cc_library`), or `exports_files`.
    pub kind: String,
    /// The `name = "..."` string (or the exported file's string).
    pub name_range: TextRange,
    /// The whole call.
    pub call_range: TextRange,
    /// For output files: the target of the rule that generates them.
    pub generated_by: Option<String>,
}

/// A `load("module", "sym", alias = "sym")`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadDecl {
    pub module: String,
    pub module_range: TextRange,
    /// `(local name, exported name, range of the string or keyword)`.
    pub symbols: Vec<(String, String, TextRange)>,
}

/// Whether a call given `name = call` whose definition cannot be followed
/// may make a target named `target`.
///
/// Rules and macros name what they make after the `name` they are given:
/// the name itself, the name with suffixes (`x_test`, `x.update`,
/// `x/pkg`), prefixes (`_x_codegen`, `libx.so`), or with its last part
/// replaced (`x_cc_proto` for `name = "x_proto"`). So `target` may be made
/// when it contains the call's *stem* (the name without its last
/// `_`/`-`/`.`-separated part, or the whole name when it has one part)
/// between separators. A name that changes the stem itself (a misspelt
/// `y_proto` for a call `x_proto`) is taken not to be made.
pub fn may_be_made_by(call: &str, target: &str) -> bool {
    if call.is_empty() {
        return true;
    }
    let separator = |c: char| !c.is_ascii_alphanumeric();
    let stem = match call.rfind(separator) {
        Some(at) if at > 0 => &call[..at],
        _ => call,
    };
    target.match_indices(stem).any(|(at, _)| {
        let before = &target[..at];
        let after = &target[at + stem.len()..];
        (before.is_empty() || before.ends_with(separator) || before.ends_with("lib"))
            && (after.is_empty() || after.starts_with(separator))
    })
}

/// The implicit outputs of a rule kind, as `(prefix, suffix)` around the
/// target's name: `("lib", ".a")` is `lib<name>.a`. `Some(&[])` for a rule
/// known to have none; `None` for a kind whose outputs are not known (a
/// rule defined in Starlark elsewhere), which any suffix may then be.
///
/// From Bazel's Build Encyclopedia ("Implicit output targets"), with the
/// variants Bazel creates alongside (PIC and always-link archives, the
/// deploy jar's sources, the hidden rule java_binary's deploy jar uses).
/// A rule is known when Bazel's own schema has it or a well-known rule set
/// exports it ([`KNOWN_RULES`]).
pub fn implicit_outputs(kind: &str) -> Option<&'static [(&'static str, &'static str)]> {
    const CC_LIBRARY: &[(&str, &str)] = &[
        ("lib", ".a"),
        ("lib", ".so"),
        ("lib", ".lo"),
        ("lib", ".pic.a"),
        ("lib", ".pic.lo"),
        ("lib", ".ifso"),
        ("lib", ".dylib"),
        ("lib", ".dll"),
        ("lib", ".if.lib"),
    ];
    const CC_BINARY: &[(&str, &str)] = &[("", ".stripped"), ("", ".dwp")];
    const JAVA_LIBRARY: &[(&str, &str)] = &[("lib", ".jar"), ("lib", "-src.jar")];
    const JAVA_BINARY: &[(&str, &str)] = &[
        ("", ".jar"),
        ("", "-src.jar"),
        ("", "_deploy.jar"),
        ("", "_deploy-src.jar"),
        ("", "_deployjars_internal_rule"),
    ];
    const ANDROID_LIBRARY: &[(&str, &str)] = &[("lib", ".jar"), ("lib", "-src.jar"), ("", ".aar")];
    const ANDROID_BINARY: &[(&str, &str)] = &[
        ("", ".apk"),
        ("", "_unsigned.apk"),
        ("", "_deploy.jar"),
        ("", "_proguard.jar"),
        ("", "_proguard.map"),
        ("", ".jar"),
        ("", "-src.jar"),
    ];
    const PY_BINARY: &[(&str, &str)] = &[("", ".zip")];
    const PROTO_LIBRARY: &[(&str, &str)] = &[("", "-descriptor-set.proto.bin")];
    let outputs: &'static [(&'static str, &'static str)] = match kind {
        "cc_library" => CC_LIBRARY,
        "cc_binary" | "cc_test" => CC_BINARY,
        "java_library" => JAVA_LIBRARY,
        "java_binary" | "java_test" => JAVA_BINARY,
        "android_library" => ANDROID_LIBRARY,
        "android_binary" => ANDROID_BINARY,
        "py_binary" | "py_test" => PY_BINARY,
        "proto_library" => PROTO_LIBRARY,
        _ if schema::rule_schema(kind).is_some()
            || KNOWN_RULES.iter().any(|(_, rules)| rules.contains(&kind)) =>
        {
            &[]
        }
        _ => return None,
    };
    Some(outputs)
}

/// Everything a BUILD file declares, in text order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageDecls {
    pub targets: Vec<TargetDecl>,
    pub loads: Vec<LoadDecl>,
    /// Some call (a loaded macro, a comprehension or a loop) may create
    /// targets not listed here.
    pub open: bool,
    /// The `name`s of calls whose definition cannot be followed (a rule or
    /// macro of a repository that is not on disk), found by evaluation.
    /// Such a call is taken to make targets named after its `name` only
    /// (see [`may_be_made_by`]); a call without a string `name` sets
    /// [`PackageDecls::open`] instead.
    pub unfollowed: Vec<String>,
    /// The strings given to those calls outside their input attributes
    /// (`out = "x.go"`, `tbl_outs = [("-gen", "x.inc")]`): any may name a
    /// file the call writes.
    pub unfollowed_outputs: Vec<String>,
}

impl PackageDecls {
    /// The declaration of `name`, if the file makes it.
    pub fn target(&self, name: &str) -> Option<&TargetDecl> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// Whether a target `name` missing from [`PackageDecls::targets`] may
    /// exist all the same: the package is open, or `name` may be an
    /// implicit output.
    pub fn may_declare(&self, name: &str) -> bool {
        self.open
            || self.may_be_implicit_output(name)
            || self.unfollowed_outputs.iter().any(|output| output == name)
            || self.unfollowed.iter().any(|call| call == name)
            || (self
                .unfollowed
                .iter()
                .any(|call| may_be_made_by(call, name))
                && !self.misspells_a_target(name))
    }

    /// The name `name` (declared nowhere, but which an open package or a
    /// call bzls cannot follow may hold) misspells:
    /// a target the package declares, an unfollowed call's name, or one of
    /// `files` (the entries of the directory the name is in). A call bzls
    /// cannot follow may add targets, but it adds names of its own (from
    /// its arguments, its stem, its suffixes), not one letter away from a
    /// name the package has; so such a name is a typo. Not for names of
    /// fewer than [`TYPO_MIN_CHARS`] characters, implicit outputs, the
    /// strings unfollowed calls are given, or a name differing from the
    /// other in one digit (`test1` next to `test2`: loops number targets)
    /// or one separator (`x_cjs` next to `x.cjs`: macros name a target
    /// after the file it writes).
    pub fn near_miss<'f>(
        &self,
        name: &str,
        files: impl IntoIterator<Item = &'f str>,
    ) -> Option<String> {
        if name.chars().count() < TYPO_MIN_CHARS
            || self.may_be_implicit_output(name)
            || self.unfollowed_outputs.iter().any(|o| o == name)
            || self.unfollowed.iter().any(|c| c == name)
        {
            return None;
        }
        let near = |known: &str| {
            crate::suggest::one_edit_apart(known, name) && !differ_in_one_place(known, name)
        };
        self.targets
            .iter()
            .filter(|t| t.kind != "exports_files" || !t.name.contains('/'))
            .map(|t| t.name.as_str())
            .chain(self.unfollowed.iter().map(String::as_str))
            .find(|known| near(known))
            .map(str::to_string)
            .or_else(|| files.into_iter().find(|f| near(f)).map(str::to_string))
            .or_else(|| self.misspelt_made_name(name))
    }

    /// A name an unfollowed call makes from its own (`x_cc_proto` from
    /// `name = "x"`) with the call's part misspelt (`xx_cc_proto`): the
    /// name it misspells.
    fn misspelt_made_name(&self, name: &str) -> Option<String> {
        self.unfollowed.iter().find_map(|call| {
            // One edit turns a short name into many others.
            if call.chars().count() < TYPO_MIN_CHARS {
                return None;
            }
            let len = call.len();
            (len.saturating_sub(1)..=len + 1)
                .filter(|&at| at < name.len() && name.is_char_boundary(at))
                .find_map(|at| {
                    let (head, tail) = name.split_at(at);
                    (tail.starts_with(['_', '-', '.'])
                        && crate::suggest::one_edit_apart(call, head)
                        && !differ_in_one_place(call, head))
                    .then(|| format!("{call}{tail}"))
                })
        })
    }

    /// Whether `name` is one edit away from a target the package declares
    /// or the name of an unfollowed call: a misspelling of it rather than
    /// a name such a call makes (calls add whole parts to names, they do
    /// not change one letter).
    fn misspells_a_target(&self, name: &str) -> bool {
        // One edit turns any short name into another (`a`, `b`).
        if name.chars().count() < 5 {
            return false;
        }
        self.targets
            .iter()
            .map(|t| t.name.as_str())
            .chain(self.unfollowed.iter().map(String::as_str))
            .any(|known| crate::suggest::one_edit_apart(known, name))
    }

    /// Whether `name` may be an implicit output of a declared rule
    /// (`foo_deploy.jar`, `foo.stripped`, `libfoo.a`): rules make files
    /// named after their target that no BUILD file lists. For the rules
    /// whose implicit outputs Bazel documents (see [`implicit_outputs`]),
    /// exactly those; for other rules, any name made of the target's name
    /// (or `lib` and it) and a suffix starting with a separator.
    pub fn may_be_implicit_output(&self, name: &str) -> bool {
        self.targets.iter().any(|t| {
            if t.generated_by.is_some() || t.kind == "exports_files" {
                return false;
            }
            match implicit_outputs(&t.kind) {
                Some(patterns) => patterns.iter().any(|(prefix, suffix)| {
                    name.strip_prefix(prefix)
                        .and_then(|rest| rest.strip_prefix(t.name.as_str()))
                        == Some(suffix)
                }),
                None => {
                    name.len() > t.name.len()
                        && (name.starts_with(&t.name)
                            || name
                                .strip_prefix("lib")
                                .is_some_and(|n| n.starts_with(&t.name)))
                        && !name[t.name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                }
            }
        })
    }
}

/// The fewest characters a name needs for a near miss of it to be reported
/// where a package may hold undeclared names (see [`PackageDecls::near_miss`]).
pub const TYPO_MIN_CHARS: usize = 2;

/// Whether `a` and `b` are the same but for one digit, or one of the
/// separators `.`, `_`, `-`, in the same place.
fn differ_in_one_place(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len() == b.len()
        && {
            let diffs: Vec<(char, char)> = a
                .iter()
                .zip(&b)
                .filter(|(x, y)| x != y)
                .map(|(x, y)| (*x, *y))
                .collect();
            let separator = |c: char| matches!(c, '.' | '_' | '-');
            matches!(diffs[..], [(x, y)] if (x.is_ascii_digit() && y.is_ascii_digit()) || (separator(x) && separator(y)))
        }
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

/// The value of a plain string literal (no prefix, no escapes that matter
/// for names), or `None`.
fn string_value(node: Node<'_>, rope: &Rope) -> Option<String> {
    crate::syntax::string_literal_value(node, rope)
}

/// Reads the declarations of a BUILD file from its tree-sitter tree.
pub fn package_decls(tree: &Tree, rope: &Rope) -> PackageDecls {
    outline_decls(&Outline::from_tree(tree, rope))
}

/// Reads the declarations of a BUILD file from its outline.
pub fn outline_decls(outline: &Outline) -> PackageDecls {
    let mut out = PackageDecls::default();
    // Loaded symbols that may be macros: (local name). Known rules loaded
    // from their rule sets (`cc_library` from `@rules_cc//cc:...`) are not.
    let mut loaded: Vec<&str> = Vec::new();
    for statement in &outline.statements {
        let call = match statement {
            // Loops, conditionals and comprehensions can create targets;
            // evaluation follows them.
            Statement::Compound { .. } => {
                out.open = true;
                continue;
            }
            Statement::Broken { .. } => continue,
            Statement::Load(load) => {
                loaded.extend(
                    load.symbols
                        .iter()
                        .filter(|(_, exported, _)| !is_known_rule(&load.module, exported))
                        .map(|(local, _, _)| local.as_str()),
                );
                out.loads.push(load.clone());
                continue;
            }
            Statement::Call(call) => call,
        };
        let callee = call.callee.as_str();
        if loaded.contains(&callee) || callee.contains('.') {
            // A loaded rule or macro (or `native.x`-style call): macros may
            // make more targets.
            out.open = true;
        }
        if callee == "exports_files" {
            if let Some(Arg::Positional(Expr::List(items))) = call.args.first() {
                for item in items {
                    if let Expr::Str {
                        value: Some(name),
                        range,
                        ..
                    } = item
                    {
                        out.targets.push(TargetDecl {
                            name: name.clone(),
                            kind: "exports_files".to_string(),
                            name_range: *range,
                            call_range: call.range,
                            generated_by: None,
                        });
                    }
                }
            }
            continue;
        }
        // A native rule (not loaded, known to Bazel's schema), or a rule
        // set's version of one, has Bazel's schema.
        let loaded_as = out.loads.iter().find_map(|l| {
            l.symbols
                .iter()
                .find(|(local, _, _)| local == callee)
                .map(|(_, exported, _)| (l.module.as_str(), exported.as_str()))
        });
        let native = match loaded_as {
            Some((module, exported)) if is_known_rule(module, exported) => {
                schema::rule_schema(exported)
            }
            Some(_) => None,
            None => schema::rule_schema(callee),
        };
        rule_decls(call, native, &mut out);
    }
    out
}

/// Whether the argument `key` of a call names output files: for a native
/// rule, exactly its output attributes in Bazel's schema (`genrule.outs`;
/// Bazel rejects attributes a rule does not have); for any other call,
/// `out` or `outs` (genrule and the rules shaped like it).
pub(crate) fn is_output_attribute(native: Option<&RuleSchema>, key: &str) -> bool {
    match native {
        Some(rule) => rule.attribute(key).is_some_and(|a| a.is_output()),
        None => key == "out" || key == "outs",
    }
}

fn rule_decls(call: &Call, native: Option<&RuleSchema>, out: &mut PackageDecls) {
    let Some(name_value) = call.keyword("name") else {
        return;
    };
    let Expr::Str {
        value: Some(name),
        range: name_range,
        ..
    } = name_value
    else {
        // `name = NAME + "_lib"`: not static.
        out.open = true;
        return;
    };
    out.targets.push(TargetDecl {
        name: name.clone(),
        kind: call.callee.clone(),
        name_range: *name_range,
        call_range: call.range,
        generated_by: None,
    });
    for arg in &call.args {
        let Arg::Keyword { name: key, value } = arg else {
            continue;
        };
        if !is_output_attribute(native, key) {
            continue;
        }
        let strings = match value {
            Expr::List(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in strings {
            if let Expr::Str {
                value: Some(file),
                range,
                ..
            } = item
            {
                out.targets.push(TargetDecl {
                    name: file.clone(),
                    kind: call.callee.clone(),
                    name_range: *range,
                    call_range: call.range,
                    generated_by: Some(name.clone()),
                });
            }
        }
    }
}

/// The top-level `load()` statements of a Starlark file, in text order.
pub fn load_decls(tree: &Tree, rope: &Rope) -> Vec<LoadDecl> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.children(&mut cursor)
        .filter(|stmt| stmt.kind() == "expression_statement")
        .filter_map(|stmt| stmt.named_child(0))
        .filter(|call| {
            call.kind() == "call"
                && call
                    .child_by_field_name("function")
                    .is_some_and(|f| text(rope, f) == "load")
        })
        .filter_map(|call| load_decl(call.child_by_field_name("arguments")?, rope))
        .collect()
}

pub(crate) fn load_decl(args: Node<'_>, rope: &Rope) -> Option<LoadDecl> {
    let mut cursor = args.walk();
    let mut children = args.named_children(&mut cursor);
    let module_node = children.next()?;
    let module = string_value(module_node, rope)?;
    let mut symbols = Vec::new();
    for arg in children {
        match arg.kind() {
            "string" => {
                if let Some(sym) = string_value(arg, rope) {
                    symbols.push((sym.clone(), sym, node_range(arg)));
                }
            }
            "keyword_argument" => {
                let local = arg.child_by_field_name("name").map(|n| text(rope, n));
                let exported = arg
                    .child_by_field_name("value")
                    .and_then(|v| string_value(v, rope));
                if let (Some(local), Some(exported)) = (local, exported) {
                    symbols.push((local, exported, node_range(arg)));
                }
            }
            _ => {}
        }
    }
    Some(LoadDecl {
        module,
        module_range: node_range(module_node),
        symbols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_str;

    fn decls(text: &str) -> PackageDecls {
        let tree = parse_str(text);
        package_decls(&tree, &Rope::from_str(text))
    }

    fn names(d: &PackageDecls) -> Vec<(&str, &str, Option<&str>)> {
        d.targets
            .iter()
            .map(|t| (t.name.as_str(), t.kind.as_str(), t.generated_by.as_deref()))
            .collect()
    }

    #[test]
    fn rules_outputs_and_exports() {
        let d = decls(
            r#"
cc_library(name = "lib", srcs = ["a.cc"])
genrule(name = "gen", outs = ["a.h", "sub/b.h"], cmd = "x")
my_rule(name = "single", out = "one.txt")
exports_files(["LICENSE", "data/x.json"])
package_group(name = "friends", packages = ["//foo/..."])
alias(name = "short", actual = ":lib")
"#,
        );
        assert_eq!(
            names(&d),
            vec![
                ("lib", "cc_library", None),
                ("gen", "genrule", None),
                ("a.h", "genrule", Some("gen")),
                ("sub/b.h", "genrule", Some("gen")),
                ("single", "my_rule", None),
                ("one.txt", "my_rule", Some("single")),
                ("LICENSE", "exports_files", None),
                ("data/x.json", "exports_files", None),
                ("friends", "package_group", None),
                ("short", "alias", None),
            ]
        );
        assert!(!d.open);
        let text = "cc_library(name = \"lib\")\n";
        let d = decls(text);
        let r = d.targets[0].name_range;
        assert_eq!(&text[r.start..r.end], "\"lib\"");
    }

    #[test]
    fn native_outputs_come_from_the_schema() {
        let d = decls(
            r#"
load("//r:defs.bzl", "my_genrule")
genrule(name = "g", outs = ["g.h"], srcs = ["in.txt"], cmd = "x")
filegroup(name = "f", srcs = ["a"], out = "not_an_output")
cc_library(name = "c", outs = ["not_an_output"])
my_genrule(name = "m", out = "m.txt")
"#,
        );
        assert_eq!(
            names(&d),
            vec![
                ("g", "genrule", None),
                ("g.h", "genrule", Some("g")),
                ("f", "filegroup", None),
                ("c", "cc_library", None),
                ("m", "my_genrule", None),
                ("m.txt", "my_genrule", Some("m")),
            ]
        );
    }

    #[test]
    fn loads_and_open_packages() {
        let d = decls(
            r#"
load("//tools:defs.bzl", "my_test", lib = "my_library")
load("@rules_cc//cc:defs.bzl", "cc_library")
my_test(name = "x")
"#,
        );
        assert_eq!(d.loads.len(), 2);
        assert_eq!(d.loads[0].module, "//tools:defs.bzl");
        assert_eq!(
            d.loads[0]
                .symbols
                .iter()
                .map(|(l, e, _)| (l.as_str(), e.as_str()))
                .collect::<Vec<_>>(),
            vec![("my_test", "my_test"), ("lib", "my_library")]
        );
        assert!(d.open, "a loaded macro may make more targets");
        assert!(d.target("x").is_some());

        assert!(decls("[cc_library(name = n) for n in [\"a\"]]\n").open);
        // Known rules from their own rule sets do not open a package.
        let d =
            decls("load(\"@rules_cc//cc:defs.bzl\", \"cc_library\")\ncc_library(name = \"a\")\n");
        assert!(!d.open);
        assert!(d.may_be_implicit_output("a.stripped") || d.may_be_implicit_output("liba.a"));
        assert!(!d.may_be_implicit_output("ab"));
        let d = decls("load(\"@rules_cc//cc:defs.bzl\", my = \"cc_library\")\nload(\"@rules_cc//cc:defs.bzl\", \"cc_toolchain_config\")\ncc_toolchain_config(name = \"t\")\n");
        assert!(d.open, "not a known rule");
        assert!(decls("cc_library(name = PREFIX + \"lib\")\n").open);
        assert!(!decls("cc_library(name = \"a\")\n").open);
    }

    #[test]
    fn broken_files_yield_what_they_can() {
        let d = decls("cc_library(name = \"ok\")\ncc_library(name = \"half\", srcs = [\n");
        assert!(d.target("ok").is_some());
        let _ = decls("\0\u{1}(((((");
    }

    #[test]
    fn unfollowed_calls_make_names_that_keep_their_stem() {
        for (call, target, made) in [
            ("x_proto", "x_proto", true),
            ("x_proto", "x_cc_proto", true),
            ("x_proto", "x_proto_py_pb2", true),
            ("x_proto", "_x_proto_codegen", true),
            ("requirements", "requirements.update", true),
            ("node_modules", "node_modules/left-pad", true),
            ("foo", "libfoo.so", true),
            ("x_proto", "y_proto", false),
            ("calculator_proto", "cdlculator_proto", false),
            ("matrix", "matrixx", false),
            ("a-b-c", "a-b-d", true),
            ("a-b-c", "a-x-c", false),
        ] {
            assert_eq!(may_be_made_by(call, target), made, "{call} -> {target}");
        }
    }

    #[test]
    fn implicit_outputs_are_exact_for_documented_rules() {
        let d = decls("cc_library(name = \"a\")\ncc_binary(name = \"b\")\nmy_rule(name = \"c\")\n");
        for (name, implicit) in [
            ("liba.a", true),
            ("liba.so", true),
            ("a.cc", false),
            ("b.stripped", true),
            ("b.dwp", true),
            ("b_main.cc", false),
            ("c.whatever", true),
        ] {
            assert_eq!(d.may_be_implicit_output(name), implicit, "{name}");
        }
    }

    #[test]
    fn unfollowed_calls_do_not_excuse_misspellings() {
        let d = PackageDecls {
            targets: decls("cc_library(name = \"calculator\")\n").targets,
            unfollowed: vec!["compute_py_gapic".into(), "s_1".into(), "s_2".into()],
            ..PackageDecls::default()
        };
        // Names the calls may make.
        assert!(d.may_declare("compute_py_gapic_test"));
        assert!(d.may_declare("compute_py_pb2"));
        assert!(d.may_declare("s_2"), "another call's own name");
        // One edit from a declared target or a call's name: a typo.
        assert!(!d.may_declare("compute_py_gapik"));
        assert!(!d.may_declare("calculatro"));
        // Too short to tell.
        assert!(d.may_declare("s_3"));
    }
}
