//! Fixture tests of the semantic diagnostics: each renders a file with its
//! diagnostics under the lines they start on.

use expect_test::{expect, Expect};

use super::{semantic_diagnostics, NoRules, RuleLookup};
use crate::fixture::render_diagnostics;
use crate::syntax::{parse_str, FileKind};
use crate::workspace::callables::{starlark_rule, Callable, Origin};

fn check_with(kind: FileKind, text: &str, rules: &dyn RuleLookup, expect: Expect) {
    let tree = parse_str(text);
    let rope = ropey::Rope::from_str(text);
    let diagnostics = semantic_diagnostics(kind, &tree, &rope, "pkg", rules, None);
    expect.assert_eq(&render_diagnostics(text, &diagnostics));
}

fn check(kind: FileKind, text: &str, expect: Expect) {
    check_with(kind, text, &NoRules, expect);
}

/// Rules read from a `.bzl` text, as if loaded from it.
struct Rules(Vec<Callable>);

impl Rules {
    fn from_bzl(text: &str) -> Rules {
        let tree = parse_str(text);
        let rope = ropey::Rope::from_str(text);
        let mut rules = Vec::new();
        let root = tree.root_node();
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            let Some(assignment) = stmt.named_child(0).filter(|a| a.kind() == "assignment") else {
                continue;
            };
            let (Some(left), Some(right)) = (
                assignment.child_by_field_name("left"),
                assignment.child_by_field_name("right"),
            ) else {
                continue;
            };
            let name = &text[left.byte_range()];
            let origin = Origin::StarlarkRule { path: None };
            rules.extend(starlark_rule(name, right, &rope, origin));
        }
        Rules(rules)
    }
}

impl RuleLookup for Rules {
    fn loaded_rule(&self, name: &str) -> Option<Callable> {
        self.0.iter().find(|r| r.name == name).cloned()
    }
}

#[test]
fn a_clean_build_file_has_none() {
    check(
        FileKind::Build,
        r#"load("//tools:defs.bzl", "my_macro", alias_name = "other")

COPTS = ["-O2"]

cc_library(
    name = "lib",
    srcs = glob(["*.cc"]) + select({"//conditions:default": []}),
    copts = COPTS + [c for c in ["-Wall"] if c],
    deps = [":a", "//pkg:b"],
    visibility = ["//visibility:public"],
    target_compatible_with = [],
)

my_macro(name = "x", tags = ["a"] if True else [])
alias_name(name = "y")
COPTS = COPTS + ["-g"]
"#,
        expect![[r#"
            load("//tools:defs.bzl", "my_macro", alias_name = "other")

            COPTS = ["-O2"]

            cc_library(
                name = "lib",
                srcs = glob(["*.cc"]) + select({"//conditions:default": []}),
                copts = COPTS + [c for c in ["-Wall"] if c],
                deps = [":a", "//pkg:b"],
                visibility = ["//visibility:public"],
                target_compatible_with = [],
            )

            my_macro(name = "x", tags = ["a"] if True else [])
            alias_name(name = "y")
            COPTS = COPTS + ["-g"]
        "#]],
    );
}

#[test]
fn undefined_names_with_near_names() {
    check(
        FileKind::Build,
        r#"foo_bar(name = "x")
cc_libary(name = "y")
genrule(name = "g", outs = ["o"], cmd = CMD)
x = [undefined_y for _ in []]
"#,
        expect![[r#"
            foo_bar(name = "x")
            ^^^^^^^ error[undefined-name]: name 'foo_bar' is not defined
            cc_libary(name = "y")
            ^^^^^^^^^ error[undefined-name]: name 'cc_libary' is not defined (did you mean 'cc_library'?)
            genrule(name = "g", outs = ["o"], cmd = CMD)
            #                                       ^^^ error[undefined-name]: name 'CMD' is not defined
            x = [undefined_y for _ in []]
            #    ^^^^^^^^^^^ error[undefined-name]: name 'undefined_y' is not defined
        "#]],
    );
}

#[test]
fn bzl_scopes_locals_parameters_and_comprehensions() {
    check(
        FileKind::Bzl,
        r#""""Docstring."""

load(":other.bzl", "helper")

def _impl(ctx, extra = DEFAULT):
    out = ctx.actions.declare_file(ctx.label.name)
    for f in ctx.files.srcs:
        helper(f, out)
    total = [x * 2 for x in range(3) if x]
    fn = lambda y: y + total[0] + missing_in_lambda
    return [DefaultInfo(files = depset([out])), CcInfo(), SomeNewInfo, nope]

DEFAULT = 1
my_rule = rule(implementation = _impl, attrs = {"srcs": attr.label_list()})
"#,
        expect![[r#"
            """Docstring."""

            load(":other.bzl", "helper")

            def _impl(ctx, extra = DEFAULT):
            #                      ^^^^^^^ error[referenced-before-assignment]: global variable 'DEFAULT' is referenced before assignment
                out = ctx.actions.declare_file(ctx.label.name)
                for f in ctx.files.srcs:
                    helper(f, out)
                total = [x * 2 for x in range(3) if x]
                fn = lambda y: y + total[0] + missing_in_lambda
            #                                 ^^^^^^^^^^^^^^^^^ error[undefined-name]: name 'missing_in_lambda' is not defined
                return [DefaultInfo(files = depset([out])), CcInfo(), SomeNewInfo, nope]
            #                                                         ^^^^^^^^^^^ hint[undefined-name]: name 'SomeNewInfo' is not defined; it may be a builtin of a newer Bazel than bzls's data (2.1.0)
            #                                                                      ^^^^ error[undefined-name]: name 'nope' is not defined

            DEFAULT = 1
            my_rule = rule(implementation = _impl, attrs = {"srcs": attr.label_list()})
        "#]],
    );
}

#[test]
fn bzl_globals_are_bound_once_and_loads_come_first() {
    check(
        FileKind::Bzl,
        r#"load(":a.bzl", "x", "y")
load(":b.bzl", "x")
# A comment is no statement.
load(":c.bzl", z = "y", w = "w")
y = 2
v = [1]
v += [2]
load(":d.bzl", "late")
print(x, z, w, late, v)
def f():
    return f
"#,
        expect![[r#"
            load(":a.bzl", "x", "y")
            load(":b.bzl", "x")
            #               ^ error[redeclared]: 'x' redeclared at top level
            # A comment is no statement.
            load(":c.bzl", z = "y", w = "w")
            y = 2
            ^ error[redeclared]: conflicting global declaration of 'y'
            v = [1]
            v += [2]
            ^ error[redeclared]: 'v' redeclared at top level
            load(":d.bzl", "late")
            ^^^^^^^^^^^^^^^^^^^^^^ error[load-after-statement]: load statements must appear before any other statement
            print(x, z, w, late, v)
            def f():
                return f
        "#]],
    );
}

#[test]
fn build_files_may_rebind_even_loaded_names() {
    check(
        FileKind::Build,
        r#"load(":a.bzl", "m", "m")
X = 1
X = 2
m = 3
print(X, m)
load(":late.bzl", "ok_here")
ok_here()
"#,
        expect![[r#"
            load(":a.bzl", "m", "m")
            #                    ^ error[redeclared]: load statement defines 'm' more than once
            X = 1
            X = 2
            m = 3
            print(X, m)
            load(":late.bzl", "ok_here")
            ok_here()
        "#]],
    );
}

#[test]
fn module_level_reads_before_assignment() {
    check(
        FileKind::Build,
        r#"cc_library(name = N)
N = "a"
M = M_LATER if True else 1
M_LATER = 2
def_later = [1 for _ in LATER_LIST]
LATER_LIST = []
"#,
        expect![[r#"
            cc_library(name = N)
            #                 ^ error[referenced-before-assignment]: global variable 'N' is referenced before assignment
            N = "a"
            M = M_LATER if True else 1
            #   ^^^^^^^ error[referenced-before-assignment]: global variable 'M_LATER' is referenced before assignment
            M_LATER = 2
            def_later = [1 for _ in LATER_LIST]
            #                       ^^^^^^^^^^ error[referenced-before-assignment]: global variable 'LATER_LIST' is referenced before assignment
            LATER_LIST = []
        "#]],
    );
}

#[test]
fn unused_loads_are_warnings_with_fixes() {
    let text = "load(\":a.bzl\", \"used\", \"unused\")\nload(\":b.bzl\", \"gone\")\nload(\":c.bzl\", \"kept\")  # @unused\nload(\":d.bzl\", \"kept2\")  # buildifier: disable=load\nused()\n";
    check(
        FileKind::Build,
        text,
        expect![[r#"
            load(":a.bzl", "used", "unused")
            #                       ^^^^^^ warning[unused-load]: 'unused' is loaded but never used
            load(":b.bzl", "gone")
            #               ^^^^ warning[unused-load]: 'gone' is loaded but never used
            load(":c.bzl", "kept")  # @unused
            load(":d.bzl", "kept2")  # buildifier: disable=load
            used()
        "#]],
    );
    let tree = parse_str(text);
    let rope = ropey::Rope::from_str(text);
    let diagnostics = semantic_diagnostics(FileKind::Build, &tree, &rope, "pkg", &NoRules, None);
    let fixed: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            let fix = &d.fixes[0];
            let mut t = text.to_owned();
            t.replace_range(fix.range.start..fix.range.end, &fix.new_text);
            t
        })
        .collect();
    assert_eq!(
        fixed,
        [
            "load(\":a.bzl\", \"used\")\nload(\":b.bzl\", \"gone\")\nload(\":c.bzl\", \"kept\")  # @unused\nload(\":d.bzl\", \"kept2\")  # buildifier: disable=load\nused()\n",
            "load(\":a.bzl\", \"used\", \"unused\")\nload(\":c.bzl\", \"kept\")  # @unused\nload(\":d.bzl\", \"kept2\")  # buildifier: disable=load\nused()\n",
        ]
    );
}

#[test]
fn broken_statements_bind_what_they_may() {
    // `x = foo(` is being typed: `x` may be bound, and nothing it reads is
    // judged.
    check(
        FileKind::Build,
        "x = undefined_call(\ncc_library(name = \"a\", srcs = x)\n",
        expect![[r#"
            x = undefined_call(
            cc_library(name = "a", srcs = x)
        "#]],
    );
}

#[test]
fn rule_calls_of_native_rules() {
    check(
        FileKind::Build,
        r#"cc_library(name = "a", srcz = ["a.cc"])
cc_library(name = "a")
cc_library(name = "b", srcs = "a.cc", linkstatic = "yes", deps = [":a", "//pkg:a"])
cc_library(srcs = ["a.cc"])
alias(name = "c")
cc_library(name = "d:e")
cc_library(name = "f", implementation_deps = [":a"], aspect_hints = [])
cc_library(**kwargs)
exports_files(["x"])
"#,
        expect![[r#"
            cc_library(name = "a", srcz = ["a.cc"])
            #                      ^^^^ error[unknown-attribute]: no such attribute 'srcz' in 'cc_library' rule (did you mean 'srcs'?)
            cc_library(name = "a")
            #                 ^^^ error[duplicate-target]: cc_library rule 'a' in package 'pkg' conflicts with existing cc_library rule
            cc_library(name = "b", srcs = "a.cc", linkstatic = "yes", deps = [":a", "//pkg:a"])
            #                             ^^^^^^ error[attribute-type]: expected value of type 'list(label)' for attribute 'srcs' in 'cc_library' rule, but got "a.cc" (string)
            #                                                  ^^^^^ error[attribute-type]: expected value of type 'boolean' for attribute 'linkstatic' in 'cc_library' rule, but got "yes" (string)
            #                                                                       ^^^^^^^^^ error[duplicate-label]: Label '//pkg:a' is duplicated in the 'deps' attribute of rule 'b'
            cc_library(srcs = ["a.cc"])
            ^^^^^^^^^^ error[missing-attribute]: cc_library rule has no 'name' attribute
            alias(name = "c")
            ^^^^^ error[missing-attribute]: missing value for mandatory attribute 'actual' in 'alias' rule
            cc_library(name = "d:e")
            #                 ^^^^^ error[invalid-target-name]: invalid target name 'd:e': target names may not contain ':'
            cc_library(name = "f", implementation_deps = [":a"], aspect_hints = [])
            #                      ^^^^^^^^^^^^^^^^^^^ hint[unknown-attribute]: no such attribute 'implementation_deps' in 'cc_library' rule; Bazel 2.1.0's cc_library has no such attribute, a newer Bazel may
            cc_library(**kwargs)
            #            ^^^^^^ error[undefined-name]: name 'kwargs' is not defined
            exports_files(["x"])
        "#]],
    );
}

#[test]
fn rule_calls_of_loaded_starlark_rules() {
    let rules = Rules::from_bzl(
        r#"my_rule = rule(implementation = _impl, attrs = {"color": attr.string(mandatory = True), "deps": attr.label_list(), "_private": attr.label()})
my_test = rule(implementation = _impl, test = True, attrs = {})
open_rule = rule(implementation = _impl, attrs = COMMON | {"x": attr.string()})
my_flag = rule(implementation = _impl, build_setting = config.string(flag = True))
"#,
    );
    check_with(
        FileKind::Build,
        r#"load(":defs.bzl", "my_rule", "my_test", "open_rule", "my_flag")
my_rule(name = "a", colour = "red", deps = "x")
my_rule(name = "b", color = "blue", _private = ":x", tags = ["t"], aspect_hints = [])
my_test(name = "t", size = "small", args = ["-v"], env = {})
open_rule(name = "o", anything = 1)
my_flag(name = "f", build_setting_default = "x")
my_flag(name = "g")
"#,
        &rules,
        expect![[r#"
            load(":defs.bzl", "my_rule", "my_test", "open_rule", "my_flag")
            my_rule(name = "a", colour = "red", deps = "x")
            ^^^^^^^ error[missing-attribute]: missing value for mandatory attribute 'color' in 'my_rule' rule
            #                   ^^^^^^ error[unknown-attribute]: no such attribute 'colour' in 'my_rule' rule (did you mean 'color'?)
            #                                          ^^^ error[attribute-type]: expected value of type 'list(label)' for attribute 'deps' in 'my_rule' rule, but got "x" (string)
            my_rule(name = "b", color = "blue", _private = ":x", tags = ["t"], aspect_hints = [])
            #                                   ^^^^^^^^ error[unknown-attribute]: no such attribute '_private' in 'my_rule' rule
            my_test(name = "t", size = "small", args = ["-v"], env = {})
            open_rule(name = "o", anything = 1)
            my_flag(name = "f", build_setting_default = "x")
            my_flag(name = "g")
            ^^^^^^^ error[missing-attribute]: missing value for mandatory attribute 'build_setting_default' in 'my_flag' rule
        "#]],
    );
}

#[test]
fn module_files() {
    check(
        FileKind::Module,
        r#"module(name = "m")
bazel_dep(name = "rules_cc", version = "0.1")
include("//:deps.MODULE.bazel")
include(":bad.MODULE.bazel")
include("//:x.bzl")
include(NAME)
x = include("//:y.MODULE.bazel")
ext = use_extension("//:ext.bzl", "ext")
ext.include(name = "ok")
use_repo(ext, "repo")
NAME = 1
NAME = 2
undefined_directive()
"#,
        expect![[r#"
            module(name = "m")
            bazel_dep(name = "rules_cc", version = "0.1")
            include("//:deps.MODULE.bazel")
            include(":bad.MODULE.bazel")
            #       ^^^^^^^^^^^^^^^^^^^ error[module-file-include]: bad include label ':bad.MODULE.bazel': include() must be called with main repo labels (starting with double slashes)
            include("//:x.bzl")
            #       ^^^^^^^^^^ error[module-file-include]: bad include label '//:x.bzl': the file to be included must have a name ending in '.MODULE.bazel'
            include(NAME)
            ^^^^^^^^^^^^^ error[module-file-include]: the `include` directive MUST be called with exactly one positional argument that is a string literal
            #       ^^^^ error[referenced-before-assignment]: global variable 'NAME' is referenced before assignment
            x = include("//:y.MODULE.bazel")
            #   ^^^^^^^ error[module-file-include]: the `include` directive MUST be called directly at the top-level
            ext = use_extension("//:ext.bzl", "ext")
            ext.include(name = "ok")
            use_repo(ext, "repo")
            NAME = 1
            NAME = 2
            ^^^^ error[redeclared]: 'NAME' redeclared at top level
            undefined_directive()
            ^^^^^^^^^^^^^^^^^^^ error[undefined-name]: name 'undefined_directive' is not defined
        "#]],
    );
}

/// A module extension read from a `.bzl` text, as if at `//:ext.bzl`.
struct Extensions(Vec<Callable>);

impl RuleLookup for Extensions {
    fn loaded_rule(&self, _name: &str) -> Option<Callable> {
        None
    }

    fn module_extension(&self, label: &str, name: &str) -> Option<Callable> {
        (label == "//:ext.bzl")
            .then(|| self.0.iter().find(|e| e.name == name).cloned())
            .flatten()
    }
}

#[test]
fn module_file_directives() {
    check(
        FileKind::Module,
        r#"bazel_dep(name = "rules_cc", version = "0.1")
module(name = "my_mod", repo_name = "own")
module(name = "again")
bazel_dep(name = "own", version = "1")
bazel_dep(name = "rules_go", version = "1", repo_name = "go")
bazel_dep(name = "io_go", version = "1", repo_name = "go", dev_dependency = True)
bazel_dep(name = "Bad_Name", version = "1")
bazel_dep(name = "nodep", version = "1", repo_name = None)
bazel_dep(name = "nodep2", version = "1", repo_name = None)
ext = use_extension("//:ext.bzl", "ext")
dev = use_extension("@//:ext.bzl", "ext", dev_dependency = True)
iso = use_extension("//:ext.bzl", "ext", isolate = True)
use_repo(ext, "a", "rules_cc", b = "a")
use_repo(dev, c = "a", d = "other")
use_repo(iso, e = "a")
use_repo(ext, "_hidden", "9lives")
single_version_override(module_name = "rules_go", version = "2")
git_override(module_name = "rules_go", remote = "x")
local_path_override(module_name = "x-", path = "..")
"#,
        expect![[r#"
            bazel_dep(name = "rules_cc", version = "0.1")
            module(name = "my_mod", repo_name = "own")
            module(name = "again")
            bazel_dep(name = "own", version = "1")
            #                ^^^^^ error[module-file-directive]: The repo name 'own' is already being used as the module's own repo name at line 2
            bazel_dep(name = "rules_go", version = "1", repo_name = "go")
            bazel_dep(name = "io_go", version = "1", repo_name = "go", dev_dependency = True)
            #                                                    ^^^^ error[module-file-directive]: The repo name 'go' is already being used by a bazel_dep at line 5
            bazel_dep(name = "Bad_Name", version = "1")
            #                ^^^^^^^^^^ error[module-file-directive]: invalid module name 'Bad_Name': valid names must 1) only contain lowercase letters (a-z), digits (0-9), dots (.), hyphens (-), and underscores (_); 2) begin with a lowercase letter; 3) end with a lowercase letter or digit.
            bazel_dep(name = "nodep", version = "1", repo_name = None)
            bazel_dep(name = "nodep2", version = "1", repo_name = None)
            ext = use_extension("//:ext.bzl", "ext")
            dev = use_extension("@//:ext.bzl", "ext", dev_dependency = True)
            iso = use_extension("//:ext.bzl", "ext", isolate = True)
            use_repo(ext, "a", "rules_cc", b = "a")
            #                  ^^^^^^^^^^ error[module-file-directive]: The repo name 'rules_cc' is already being used by a bazel_dep at line 1
            #                                  ^^^ error[module-file-directive]: The repo exported as 'a' by module extension 'ext' is already imported at line 13
            use_repo(dev, c = "a", d = "other")
            #                 ^^^ error[module-file-directive]: The repo exported as 'a' by module extension 'ext' is already imported at line 13
            use_repo(iso, e = "a")
            use_repo(ext, "_hidden", "9lives")
            #             ^^^^^^^^^ error[module-file-directive]: invalid user-provided repo name '_hidden': valid names may contain only A-Z, a-z, 0-9, '-', '_', '.', and must start with a letter or a number
            single_version_override(module_name = "rules_go", version = "2")
            git_override(module_name = "rules_go", remote = "x")
            #                          ^^^^^^^^^^ error[module-file-directive]: multiple overrides for dep rules_go found
            local_path_override(module_name = "x-", path = "..")
            #                                 ^^^^ error[module-file-directive]: invalid module name 'x-': valid names must 1) only contain lowercase letters (a-z), digits (0-9), dots (.), hyphens (-), and underscores (_); 2) begin with a lowercase letter; 3) end with a lowercase letter or digit.
        "#]],
    );
}

/// The module extensions a `.bzl` text defines, as if at `//:ext.bzl`.
fn extensions_of(bzl: &str) -> Extensions {
    let tree = parse_str(bzl);
    let rope = ropey::Rope::from_str(bzl);
    let globals = crate::workspace::bzl::bzl_globals(&tree, &rope);
    Extensions(
        globals
            .globals
            .iter()
            .filter_map(|g| match &g.kind {
                crate::workspace::bzl::GlobalKind::Variable {
                    rule: Some(rule), ..
                } => Some((**rule).clone()),
                _ => None,
            })
            .collect(),
    )
}

#[test]
fn module_extension_tags() {
    let bzl = r#"_parse = tag_class(attrs = {"hub_name": attr.string(), "requirements_lock": attr.label()})
ext = module_extension(implementation = _impl, tag_classes = {"parse": _parse, "override": tag_class()})
open_ext = module_extension(implementation = _impl, tag_classes = TAGS)
"#;
    let tree = parse_str(bzl);
    let rope = ropey::Rope::from_str(bzl);
    let globals = crate::workspace::bzl::bzl_globals(&tree, &rope);
    let extensions = ["ext", "open_ext"]
        .iter()
        .filter_map(|name| match &globals.get(name)?.kind {
            crate::workspace::bzl::GlobalKind::Variable {
                rule: Some(rule), ..
            } => Some((**rule).clone()),
            _ => None,
        })
        .collect();
    check_with(
        FileKind::Module,
        r#"ext = use_extension("//:ext.bzl", "ext")
ext.parse(hub_name = "pip", requirements_lok = "//:r.txt")
ext.parze(hub_name = "pip")
ext.override()
other = use_extension("//:ext.bzl", "open_ext")
other.anything(x = 1)
unknown = use_extension("//:elsewhere.bzl", "e")
unknown.anything(x = 1)
"#,
        &Extensions(extensions),
        expect![[r#"
            ext = use_extension("//:ext.bzl", "ext")
            ext.parse(hub_name = "pip", requirements_lok = "//:r.txt")
            #                           ^^^^^^^^^^^^^^^^ error[module-extension-tag]: in 'parse' tag, unknown attribute requirements_lok provided (did you mean 'requirements_lock'?)
            ext.parze(hub_name = "pip")
            #   ^^^^^ error[module-extension-tag]: The module extension 'ext' does not have a tag class named parze (did you mean 'parse'?)
            ext.override()
            other = use_extension("//:ext.bzl", "open_ext")
            other.anything(x = 1)
            unknown = use_extension("//:elsewhere.bzl", "e")
            unknown.anything(x = 1)
        "#]],
    );
}

#[test]
fn workspace_files() {
    check(
        FileKind::Workspace,
        r#"workspace(name = "w")
load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
http_archive(name = "a", urls = [URL])
local_repository(name = "b", path = "b")
URL = "x"
git_repository(name = "c")
"#,
        expect![[r#"
            workspace(name = "w")
            load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
            http_archive(name = "a", urls = [URL])
            #                                ^^^ error[referenced-before-assignment]: global variable 'URL' is referenced before assignment
            local_repository(name = "b", path = "b")
            URL = "x"
            git_repository(name = "c")
            ^^^^^^^^^^^^^^ error[undefined-name]: name 'git_repository' is not defined
        "#]],
    );
}

#[test]
fn generated_files_and_exported_files_are_names_too() {
    check(
        FileKind::Build,
        r#"genrule(name = "g", outs = ["x", "dir/y"], cmd = "")
genrule(name = "h", outs = ["x"], cmd = "")
cc_library(name = "dir")
genrule(name = "k", outs = ["dir/y/z", "k"], cmd = "")
genrule(name = "m", outs = ["a", "a/b"], cmd = "")
exports_files(["x", "src.txt"])
cc_library(name = "src.txt")
genrule(name = "n", outs = [":labelish"], cmd = "")
"#,
        expect![[r#"
            genrule(name = "g", outs = ["x", "dir/y"], cmd = "")
            genrule(name = "h", outs = ["x"], cmd = "")
            #                           ^^^ error[duplicate-target]: generated file 'x' in rule 'h' conflicts with existing generated file from rule 'g'
            cc_library(name = "dir")
            genrule(name = "k", outs = ["dir/y/z", "k"], cmd = "")
            #                           ^^^^^^^^^ error[duplicate-target]: output file 'dir/y/z' of rule 'k' conflicts with output file 'dir/y' of rule 'g'
            genrule(name = "m", outs = ["a", "a/b"], cmd = "")
            #                                ^^^^^ error[duplicate-target]: rule 'm' has conflicting output files 'a/b' and 'a'
            exports_files(["x", "src.txt"])
            #              ^^^ error[duplicate-target]: generated label '//pkg:x' conflicts with existing generated file
            cc_library(name = "src.txt")
            #                 ^^^^^^^^^ error[duplicate-target]: cc_library rule 'src.txt' in package 'pkg' conflicts with existing source file
            genrule(name = "n", outs = [":labelish"], cmd = "")
        "#]],
    );
}

/// Text being typed, garbage and deep nesting: every prefix of a file with
/// every construct the checks read, for every file kind, and pathological
/// texts, give diagnostics with ranges inside the text and no panic.
#[test]
fn half_typed_and_garbage_text_is_checked_without_panic() {
    let full = r#"load(":defs.bzl", "my_rule", x = "y")
"""Doc."""
A = [1, 2] + [i for i in range(3) if i]
def f(a, b = A, *args, **kwargs):
    c = lambda d: d + a
    return {k: v for k, v in kwargs.items()}
cc_library(name = "a", srcs = ["a.cc", ":a.cc"], deps = [":b", "//p:b"], linkstatic = "x")
genrule(name = "g", outs = ["o", "o/p"], cmd = "")
exports_files(["o"])
my_rule(name = "r", **{})
include("//:x.MODULE.bazel")
ext = use_extension("//:ext.bzl", "ext")
ext.parse(hub_name = "t", x = 1)
ext.parze()
bazel_dep(name = "d", repo_name = "r")
use_repo(ext, "r", s = "r")
git_override(module_name = "d")
"#;
    let extensions = extensions_of(
        "ext = module_extension(implementation = _i, tag_classes = {\"parse\": tag_class(attrs = {\"hub_name\": attr.string()})})\n",
    );
    let kinds = [
        FileKind::Build,
        FileKind::Bzl,
        FileKind::Module,
        FileKind::Workspace,
    ];
    let check_all = |text: &str| {
        let tree = parse_str(text);
        let rope = ropey::Rope::from_str(text);
        for kind in kinds {
            let with_extensions = (kind == FileKind::Module)
                .then(|| semantic_diagnostics(kind, &tree, &rope, "p", &extensions, None));
            let all = semantic_diagnostics(kind, &tree, &rope, "p", &NoRules, None)
                .into_iter()
                .chain(with_extensions.into_iter().flatten());
            for d in all {
                assert!(
                    d.range.start <= d.range.end && d.range.end <= text.len(),
                    "{d:?} in {text:?}"
                );
                assert!(text.is_char_boundary(d.range.start) && text.is_char_boundary(d.range.end));
                for fix in &d.fixes {
                    assert!(fix.range.end <= text.len(), "{fix:?} in {text:?}");
                }
            }
        }
    };
    for end in (0..=full.len()).filter(|&i| full.is_char_boundary(i)) {
        check_all(&full[..end]);
    }
    let deep = format!("x = {}1{}\n", "[".repeat(3_000), "]".repeat(3_000));
    let garbage = [
        "\u{0}\u{1}\u{fffd}(((\n",
        "def (:\n  return ]]]\n",
        "load(\n",
        "x = = =\ncc_library(name = name = )\n",
        "é = ë\nload(\"é\", \"ü\")\n",
        deep.as_str(),
    ];
    for text in garbage {
        check_all(text);
    }
}

#[test]
fn the_memo_holds_the_last_versions_clean_statements_only() {
    use super::NamesMemo;
    let memo = NamesMemo::default();
    let versions = [
        "load(\":a.bzl\", \"x\")\na = x\nb = [\nc = a\n",
        "load(\":a.bzl\", \"x\")\na = x\nb = 2\nc = a\n",
        "load(\":a.bzl\", \"x\")\na = x\nb = 2\nc = a\nc = b\n",
        "a = 1\n",
        "a = 1\na = 1\n",
    ];
    for text in versions {
        let tree = parse_str(text);
        let rope = ropey::Rope::from_str(text);
        let run = |memo| semantic_diagnostics(FileKind::Bzl, &tree, &rope, "pkg", &NoRules, memo);
        assert_eq!(
            render_diagnostics(text, &run(Some(&memo))),
            render_diagnostics(text, &run(None)),
            "{text}"
        );
        let root = tree.root_node();
        let mut cursor = root.walk();
        let clean: std::collections::HashSet<&str> = root
            .named_children(&mut cursor)
            .filter(|s| !s.has_error() && s.start_position().column == 0)
            .map(|s| &text[s.byte_range()])
            .collect();
        let kept: Vec<String> = memo
            .lock()
            .expect("memo")
            .values()
            .flatten()
            .map(|(text, _)| text.clone())
            .collect();
        assert_eq!(kept.len(), clean.len(), "{text}: {kept:?}");
        assert!(
            kept.iter().all(|k| clean.contains(k.as_str())),
            "{text}: {kept:?}"
        );
    }
}

/// Found by fuzzing (`incremental_edits`, fuzz/README.md finding 5): on a
/// text of junk where statements start after other characters on their
/// line (`401\0if True:`), the memo's reading of a statement differed from
/// reading it in place (`name 'pass' is not defined` was lost). Only
/// statements that start their line are memoized now.
#[test]
fn the_memo_reads_statements_after_junk_as_a_fresh_check_does() {
    use super::NamesMemo;
    let text = include_str!("testdata/memo-junk-statements.txt");
    let tree = parse_str(text);
    let rope = ropey::Rope::from_str(text);
    let memo = NamesMemo::default();
    let run = |memo| semantic_diagnostics(FileKind::Bzl, &tree, &rope, "pkg", &NoRules, memo);
    let fresh = run(None);
    assert!(fresh
        .iter()
        .any(|d| d.message == "name 'pass' is not defined"));
    for _ in 0..2 {
        assert_eq!(run(Some(&memo)), fresh);
    }
}
