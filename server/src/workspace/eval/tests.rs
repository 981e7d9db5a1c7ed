//! Tests of BUILD evaluation: each case is a small workspace in memory (a
//! BUILD text, `.bzl` modules, package files) and the expected rendering of
//! what evaluation finds.

use std::fmt::Write;
use std::sync::Arc;

use expect_test::{expect, Expect};

use super::*;

/// An in-memory workspace: `.bzl` texts by `@repo//path` (`//path` for the
/// main repository) and package files by package.
#[derive(Default)]
struct Memory {
    modules: FastMap<String, Arc<str>>,
    files: FastMap<String, Vec<String>>,
}

impl Memory {
    fn new(modules: &[(&str, &str)], files: &[(&str, &[&str])]) -> Memory {
        Memory {
            modules: modules
                .iter()
                .map(|(k, v)| (k.to_string(), Arc::from(*v)))
                .collect(),
            files: files
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }
}

impl EvalSource for Memory {
    fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>> {
        let name = if key.repo.is_empty() {
            format!("//{}", key.path)
        } else {
            format!("@{}//{}", key.repo, key.path)
        };
        self.modules.get(&name).cloned()
    }

    fn package_files(&self, package: &str) -> Vec<String> {
        self.files.get(package).cloned().unwrap_or_default()
    }
}

/// One line per target: name, kind, generating rule, the text of its name
/// range and the start of its call range; then whether the package is
/// open, and why.
fn render(build: &str, evaluation: &Evaluation) -> String {
    let slice = |r: TextRange| {
        build
            .get(r.start..r.end)
            .unwrap_or("<bad range>")
            .to_string()
    };
    let mut out = String::new();
    for t in &evaluation.decls.targets {
        let call: String = slice(t.call_range)
            .chars()
            .take(16)
            .collect::<String>()
            .trim_end()
            .to_string();
        let _ = write!(out, "{} {}", t.name, t.kind);
        if let Some(by) = &t.generated_by {
            let _ = write!(out, " <- {by}");
        }
        let _ = writeln!(out, " at {} in {call}", slice(t.name_range));
    }
    let decls = &evaluation.decls;
    if decls.open {
        let _ = writeln!(out, "open: {}", evaluation.open_reasons.join(" | "));
    } else if !decls.unfollowed.is_empty() {
        let _ = writeln!(
            out,
            "unfollowed: {:?}, outputs {:?}: {}",
            decls.unfollowed,
            decls.unfollowed_outputs,
            evaluation.open_reasons.join(" | ")
        );
    } else if !evaluation.open_reasons.is_empty() {
        let _ = writeln!(
            out,
            "closed; noted: {}",
            evaluation.open_reasons.join(" | ")
        );
    } else {
        let _ = writeln!(out, "closed");
    }
    out
}

fn check_in(memory: &Memory, package: &str, build: &str, expected: Expect) {
    let evaluation = Evaluator::new().evaluate(package, build, memory);
    expected.assert_eq(&render(build, &evaluation));
}

fn check(modules: &[(&str, &str)], build: &str, expected: Expect) {
    check_in(&Memory::new(modules, &[]), "pkg", build, expected);
}

#[test]
fn evaluator_is_shared_by_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Evaluator>();
}

#[test]
fn plain_rules_outputs_and_exports() {
    check(
        &[],
        r#"
cc_library(name = "lib", srcs = ["a.cc"], deps = [":other"])
genrule(name = "gen", outs = ["a.h", "sub/b.h"], cmd = "x")
genrule(name = "one", srcs = [], out = "one.txt", cmd = "x")
exports_files(["LICENSE", "data/x.json"])
package_group(name = "friends", packages = ["//foo/..."])
alias(name = "short", actual = ":lib")
java_plugin(name = "plugin")
package(default_visibility = ["//visibility:public"])
licenses(["notice"])
"#,
        expect![[r#"
            lib cc_library at "lib" in cc_library(name
            gen genrule at "gen" in genrule(name = "
            a.h genrule <- gen at "a.h" in genrule(name = "
            sub/b.h genrule <- gen at "sub/b.h" in genrule(name = "
            one genrule at "one" in genrule(name = "
            LICENSE exports_files at "LICENSE" in exports_files(["
            data/x.json exports_files at "data/x.json" in exports_files(["
            friends package_group at "friends" in package_group(na
            short alias at "short" in alias(name = "sh
            plugin java_plugin at "plugin" in java_plugin(name
            closed
        "#]],
    );
}

#[test]
fn comprehensions_and_loops() {
    let memory = Memory::new(
        &[],
        &[(
            "pkg",
            &["a_test.cc", "b_test.cc", "util.cc", "sub/c_test.cc"],
        )],
    );
    check_in(
        &memory,
        "pkg",
        r#"
[cc_test(name = f[:-3]) for f in glob(["*_test.cc"])]
for n in ["x", "y"]:
    sh_test(name = n + "_sh", srcs = [n + ".sh"])
if len(glob(["**/*.cc"])) == 4:
    filegroup(name = "all")
"#,
        expect![[r#"
            a_test cc_test at cc_test(name = f[:-3]) in cc_test(name = f
            b_test cc_test at cc_test(name = f[:-3]) in cc_test(name = f
            x_sh sh_test at sh_test(name = n + "_sh", srcs = [n + ".sh"]) in sh_test(name = n
            y_sh sh_test at sh_test(name = n + "_sh", srcs = [n + ".sh"]) in sh_test(name = n
            all filegroup at "all" in filegroup(name =
            closed
        "#]],
    );
}

const DEFS: &str = r#"
def my_test(name, srcs = [], **kwargs):
    native.cc_library(name = name + "_lib", srcs = srcs)
    native.cc_test(name = name, deps = [":" + name + "_lib"], **kwargs)
"#;

#[test]
fn macros_record_targets_at_the_build_call() {
    check(
        &[("//tools/defs.bzl", DEFS)],
        r#"
load("//tools:defs.bzl", "my_test")
my_test(name = "x", srcs = ["x.cc"])
my_test(name = "y")
"#,
        expect![[r#"
            x_lib cc_library at "x" in my_test(name = "
            x cc_test at "x" in my_test(name = "
            y_lib cc_library at "y" in my_test(name = "
            y cc_test at "y" in my_test(name = "
            closed
        "#]],
    );
}

#[test]
fn re_exported_macros_and_relative_loads() {
    check(
        &[
            ("//tools/impl.bzl", DEFS),
            (
                "//tools/defs.bzl",
                "load(\":impl.bzl\", _my_test = \"my_test\")\nmy_test = _my_test\n",
            ),
        ],
        r#"
load("@//tools:defs.bzl", "my_test")
my_test(name = "x")
"#,
        expect![[r#"
            x_lib cc_library at "x" in my_test(name = "
            x cc_test at "x" in my_test(name = "
            closed
        "#]],
    );
}

#[test]
fn starlark_rules_with_predeclared_outputs() {
    check(
        &[(
            "//tools/rules.bzl",
            r#"
def _impl(ctx):
    return [CcInfo()]

my_rule = rule(
    implementation = _impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "out": attr.output(),
        "ir_file": attr.output(),
        "logs": attr.output_list(),
    },
    outputs = {"archive": "%{name}.tar", "lib": "lib%{name}.a"},
)
MyInfo = provider(fields = ["x"])
"#,
        )],
        r#"
load("//tools:rules.bzl", "my_rule")
my_rule(name = "pkg", out = "extra.txt", ir_file = "pkg.opt.ir", logs = ["a.log", "b.log"])
"#,
        expect![[r#"
            pkg my_rule at "pkg" in my_rule(name = "
            extra.txt my_rule <- pkg at "extra.txt" in my_rule(name = "
            pkg.tar my_rule <- pkg at "pkg" in my_rule(name = "
            libpkg.a my_rule <- pkg at "pkg" in my_rule(name = "
            pkg.opt.ir my_rule <- pkg at "pkg" in my_rule(name = "
            a.log my_rule <- pkg at "pkg" in my_rule(name = "
            b.log my_rule <- pkg at "pkg" in my_rule(name = "
            closed
        "#]],
    );
}

#[test]
fn symbolic_macros() {
    check(
        &[(
            "//tools/m.bzl",
            r#"
def _impl(name, visibility, srcs, flavor):
    native.filegroup(name = name + "_files", srcs = srcs, visibility = visibility)
    if flavor == "broken":
        fail("no")

my_macro = macro(implementation = _impl, attrs = {"srcs": attr.label_list(), "flavor": attr.string()})
"#,
        )],
        r#"
load("//tools:m.bzl", "my_macro")
my_macro(name = "a", srcs = ["x"])
my_macro(name = "b", flavor = "broken")
"#,
        expect![[r#"
            a_files filegroup at "a" in my_macro(name =
            b_files filegroup at "b" in my_macro(name =
            b my_macro at "b" in my_macro(name =
            open: macro `my_macro` failed: fail: no
        "#]],
    );
}

#[test]
fn unfetched_modules_are_opaque() {
    // Only a constant loaded and not used: nothing unknown happens.
    check(
        &[],
        r#"
load("@unfetched//:x.bzl", "CONSTANT", "unknown_macro")
cc_library(name = "a")
"#,
        expect![[r#"
            a cc_library at "a" in cc_library(name
            closed
        "#]],
    );
    check(
        &[],
        r#"
load("@unfetched//:x.bzl", "unknown_macro", "NAME")
cc_library(name = "a")
unknown_macro(name = "b")
cc_library(name = NAME)
"#,
        expect![[r#"
            a cc_library at "a" in cc_library(name
            open: called `unknown_macro (from @unfetched//:x.bzl)` (name "b"), whose effect is unknown | a `cc_library` call has no string name
        "#]],
    );
}

#[test]
fn known_rules_do_not_open() {
    check(
        &[],
        r#"
load("@rules_cc//cc:defs.bzl", "cc_library", my_binary = "cc_binary")
load("@rules_python//python:defs.bzl", "py_test")
cc_library(name = "a")
my_binary(name = "b")
py_test(name = "c")
"#,
        expect![[r#"
            a cc_library at "a" in cc_library(name
            b cc_binary at "b" in my_binary(name =
            c py_test at "c" in py_test(name = "
            closed
        "#]],
    );
    // Even when the rule set is fetched and its own code does not evaluate.
    check(
        &[(
            "@rules_cc//cc/defs.bzl",
            "load(\"//cc/private:missing.bzl\", \"x\")\ncc_library = x\n",
        )],
        "load(\"@rules_cc//cc:defs.bzl\", \"cc_library\")\ncc_library(name = \"a\")\n",
        expect![[r#"
            a cc_library at "a" in cc_library(name
            closed
        "#]],
    );
}

#[test]
fn failures_keep_what_came_before() {
    check(
        &[(
            "//tools/defs.bzl",
            r#"
def checked(name):
    native.cc_library(name = name)
    fail("checked: bad " + name)
"#,
        )],
        r#"
load("//tools:defs.bzl", "checked")
cc_library(name = "before")
checked(name = "x")
cc_library(name = "after")
"#,
        expect![[r#"
            before cc_library at "before" in cc_library(name
            x cc_library at "x" in checked(name = "
            after cc_library at "after" in cc_library(name
            open: evaluation failed: fail: checked: bad x
        "#]],
    );
}

#[test]
fn unknown_globals_in_modules() {
    check(
        &[(
            "//tools/defs.bzl",
            r#"
def _impl(ctx):
    return [CcInfo(compilation_context = cc_common.create_compilation_context())]

wrapped = rule(implementation = _impl, attrs = {"dep": attr.label(providers = [CcInfo])})
TOOLCHAIN = apple_common.platform_type.ios

def wrap(name):
    wrapped(name = name)
"#,
        )],
        "load(\"//tools:defs.bzl\", \"wrap\")\nwrap(name = \"w\")\nobjc_library(name = \"o\")\n",
        expect![[r#"
            w wrapped at "w" in wrap(name = "w")
            o objc_library at "o" in objc_library(nam
            closed
        "#]],
    );
}

#[test]
fn half_typed_build_falls_back() {
    check(
        &[],
        "cc_library(name = \"ok\")\ncc_library(name = \"half\", srcs = [\n",
        expect![[r#"
            ok cc_library at "ok" in cc_library(name
            open: syntax error: Parse error: unexpected new line, expected expression
        "#]],
    );
}

#[test]
fn binary_garbage() {
    let evaluation = Evaluator::new().evaluate("pkg", "\0\u{1}((((( \u{fffd}", &Memory::default());
    assert!(evaluation.decls.open);
    let evaluation = Evaluator::new().evaluate("pkg", "", &Memory::default());
    assert!(!evaluation.decls.open);
    assert!(evaluation.decls.targets.is_empty());
}

#[test]
fn load_cycles_are_errors() {
    check(
        &[
            ("//a/a.bzl", "load(\"//b:b.bzl\", \"b\")\na = b\n"),
            ("//b/b.bzl", "load(\"//a:a.bzl\", \"a\")\nb = a\n"),
        ],
        "load(\"//a:a.bzl\", \"a\")\ncc_library(name = \"x\")\n",
        expect![[r#"
            x cc_library at "x" in cc_library(name
            closed; noted: load("//a:a.bzl") failed: @//a/a.bzl: @//b/b.bzl: cycle in the load graph: a/a.bzl -> b/b.bzl -> a/a.bzl
        "#]],
    );
}

#[test]
fn runaway_loops_are_stopped() {
    check(
        &[],
        "cc_library(name = \"a\")\nfor i in range(1000000000):\n    pass\n",
        expect![[r#"
            a cc_library at "a" in cc_library(name
            open: evaluation failed: Execution duration limit of 1000000 ticks has been exceeded
        "#]],
    );
    // In a comprehension, and in a macro's module.
    check(
        &[(
            "//tools/defs.bzl",
            "def spin(name):\n    native.filegroup(name = name)\n    return [i for i in range(1000000000)]\n",
        )],
        "load(\"//tools:defs.bzl\", \"spin\")\nspin(name = \"s\")\n",
        expect![[r#"
            s filegroup at "s" in spin(name = "s")
            open: evaluation failed: Execution duration limit of 1000000 ticks has been exceeded
        "#]],
    );
}

/// What a user sees of a bound: the reason in words, not only the
/// interpreter's message.
#[test]
fn a_bound_hit_says_which() {
    let evaluation = Evaluator::new().evaluate(
        "pkg",
        "cc_library(name = \"a\")\nfor i in range(1000000000):\n    pass\n",
        &Memory::default(),
    );
    assert_eq!(
        evaluation.cut_short.as_deref(),
        Some("it took more than 1000000 steps (function calls and loop iterations)")
    );
    let fine = Evaluator::new().evaluate("pkg", "cc_library(name = \"a\")\n", &Memory::default());
    assert_eq!(fine.cut_short, None);
}

/// A package keeps at most `MAX_TARGETS` targets; past it, it is open.
#[test]
fn targets_past_the_limit_open_the_package() {
    let build = format!(
        "cc_library(name = \"first\")\n[filegroup(name = \"t%d\" % i) for i in range({})]\n",
        MAX_TARGETS + 10
    );
    let evaluation = Evaluator::new().evaluate("pkg", &build, &Memory::default());
    assert_eq!(evaluation.decls.targets.len(), MAX_TARGETS);
    assert_eq!(evaluation.decls.targets[0].name, "first");
    assert!(evaluation.decls.open);
    assert!(
        evaluation
            .open_reasons
            .iter()
            .any(|r| r.contains("more than 100000 targets")),
        "{:?}",
        evaluation.open_reasons
    );
}

#[test]
fn existing_rules_and_selects() {
    check(
        &[(
            "//tools/defs.bzl",
            r#"
def all_tests(name):
    tests = [r["name"] for r in native.existing_rules().values() if r["kind"].endswith("_test")]
    native.test_suite(name = name, tests = tests)
    if native.existing_rule("a")["kind"] != "cc_test":
        fail("bad kind")
    if native.existing_rule("nope") != None:
        fail("bad lookup")
"#,
        )],
        r#"
load("//tools:defs.bzl", "all_tests")
cc_test(name = "a", deps = [":x"] + select({"//conditions:default": []}))
cc_library(name = "x", deps = select({":c": [":y"]}) + [":z"], copts = ["-O2"] + select({}))
py_test(name = "b")
all_tests(name = "tests")
"#,
        expect![[r#"
            a cc_test at "a" in cc_test(name = "
            x cc_library at "x" in cc_library(name
            b py_test at "b" in py_test(name = "
            tests test_suite at "tests" in all_tests(name =
            closed
        "#]],
    );
}

#[test]
fn loads_match_the_static_reader() {
    let text =
        "load(\"//tools:defs.bzl\", \"my_test\", lib = \"my_library\")\nload(\":x.bzl\", \"y\")\n";
    let evaluation = Evaluator::new().evaluate("pkg", text, &Memory::default());
    let tree = crate::syntax::parse_str(text);
    let decls = package_decls(&tree, &Rope::from_str(text));
    assert_eq!(evaluation.decls.loads, decls.loads);
}

#[test]
fn modules_are_cached_and_invalidated() {
    struct Counting(Memory, std::sync::atomic::AtomicUsize);
    impl EvalSource for Counting {
        fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.module_text(key)
        }
        fn package_files(&self, package: &str) -> Vec<String> {
            self.0.package_files(package)
        }
    }
    let source = Counting(
        Memory::new(
            &[
                ("//tools/impl.bzl", DEFS),
                ("//tools/defs.bzl", "load(\":impl.bzl\", \"my_test\")\n"),
            ],
            &[],
        ),
        Default::default(),
    );
    let reads = || source.1.load(std::sync::atomic::Ordering::SeqCst);
    let evaluator = Evaluator::new();
    let build = "load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"x\")\n";
    let first = evaluator.evaluate("a", build, &source);
    assert_eq!(first.decls.targets.len(), 2);
    assert_eq!(reads(), 2);
    let second = evaluator.evaluate("b", build, &source);
    assert_eq!(second.decls.targets.len(), 2);
    assert_eq!(reads(), 2, "a cached module is not read again");
    // Changing impl.bzl forgets defs.bzl too.
    evaluator.invalidate(Some(&ModuleKey {
        repo: String::new(),
        path: "tools/impl.bzl".to_string(),
    }));
    evaluator.evaluate("b", build, &source);
    assert_eq!(reads(), 4);
    evaluator.invalidate(None);
    evaluator.evaluate("b", build, &source);
    assert_eq!(reads(), 6);
}

#[test]
fn labels_and_package_functions() {
    check(
        &[(
            "//tools/defs.bzl",
            r#"
def named(name):
    l = Label("//foo:bar")
    native.filegroup(name = name + "_" + l.name + "_" + native.package_name() + "_" + package_name())
"#,
        )],
        "load(\"//tools:defs.bzl\", \"named\")\nnamed(name = \"n\")\nprint(\"x\")\n",
        expect![[r#"
            n_bar_pkg_pkg filegroup at "n" in named(name = "n"
            closed
        "#]],
    );
}

#[test]
fn rules_at_module_top_level_fail_the_load() {
    check(
        &[("//tools/defs.bzl", "native.cc_library(name = \"x\")\n")],
        "load(\"//tools:defs.bzl\", \"x\")\n",
        expect![[r#"
            closed; noted: load("//tools:defs.bzl") failed: @//tools/defs.bzl: cc_library can only be called while evaluating a BUILD file
        "#]],
    );
}

#[test]
fn broken_loads_leave_opaque_symbols() {
    check(
        &[("//tools/broken.bzl", "def f(:\n")],
        r#"
load("//tools:broken.bzl", "f")
load("//tools:missing.bzl", "g")
cc_library(name = "after")
f(name = "x")
"#,
        expect![[r#"
            after cc_library at "after" in cc_library(name
            unfollowed: ["x"], outputs []: load("//tools:broken.bzl") failed: @//tools/broken.bzl: Parse error: unexpected symbol ':', expected identifier | called `f (from //tools:broken.bzl)` (name "x"), whose effect is unknown
        "#]],
    );
}

#[test]
fn labels_at_module_top_level() {
    check(
        &[(
            "//tools/defs.bzl",
            "_DEP = Label(\"//base:lib\")\ndef lib(name):\n    native.cc_library(name = name, deps = [str(_DEP)], tags = [_DEP.package])\n",
        )],
        "load(\"//tools:defs.bzl\", \"lib\")\nlib(name = \"l\")\n",
        expect![[r#"
            l cc_library at "l" in lib(name = "l")
            closed
        "#]],
    );
}

#[test]
fn panics_in_the_host_are_contained() {
    struct Panicking;
    impl EvalSource for Panicking {
        fn module_text(&self, _key: &ModuleKey) -> Option<Arc<str>> {
            panic!("host bug");
        }
        fn package_files(&self, _package: &str) -> Vec<String> {
            Vec::new()
        }
    }
    let build = "load(\"//x:y.bzl\", \"m\")\ncc_library(name = \"a\")\n";
    let evaluation = Evaluator::new().evaluate("pkg", build, &Panicking);
    assert!(evaluation.decls.open);
    assert_eq!(evaluation.open_reasons, vec!["evaluation panicked"]);
    assert!(evaluation.decls.target("a").is_some(), "the static reading");
    // The thread's state was restored: the next evaluation is clean.
    let evaluation = Evaluator::new().evaluate("pkg", "cc_library(name = \"b\")\n", &Panicking);
    assert!(!evaluation.decls.open);
    assert!(super::state::with_state(|_| ()).is_none());
}

#[test]
fn opaque_values_open_the_package_only_when_their_value_matters() {
    // A call given a string name is recorded as unfollowed instead (see
    // `unfollowed_calls_make_targets_named_after_them`).
    let load = "load(\"@unfetched//:x.bzl\", \"X\")\n";
    for (snippet, open) in [
        ("y = X + 1\nz = X.attr.other\nw = [X, \"a\" + X]\n", false),
        (
            "cc_library(name = \"a\", deps = X + [\":b\"], tags = X.tags)\n",
            false,
        ),
        // A truth test is evaluated both ways: it matters only when the
        // targets differ.
        ("if X:\n    pass\n", false),
        (
            "T = [\"x\"] if not X else []\ncc_library(name = \"a\", tags = T)\n",
            false,
        ),
        (
            "if X:\n    cc_library(name = \"a\")\nelse:\n    cc_library(name = \"a\")\n",
            false,
        ),
        ("if X:\n    cc_library(name = \"a\")\n", true),
        ("if not X:\n    cc_library(name = \"a\")\n", true),
        (
            "if X:\n    cc_library(name = \"a\")\nelse:\n    cc_library(name = \"b\")\n",
            true,
        ),
        ("if X.a or X.b or X.c or X.d or X.e:\n    pass\n", true),
        ("for a in X:\n    pass\n", true),
        ("y = X[0]\n", true),
        ("y = len(X)\n", true),
        ("y = \"a\" in X\n", true),
        ("X(name = \"a\")\n", false),
        ("X()\n", true),
        // Called for an attribute's value: a helper, not a target maker.
        (
            "cc_library(name = \"a\", deps = X.from_root(\"\"))\n",
            false,
        ),
        ("X.from_root(\"\")\n", true),
        ("X(name = \"a\" + X)\n", true),
        ("cc_library(name = X)\n", true),
        ("cc_library(name = X.name)\n", true),
    ] {
        let build = format!("{load}{snippet}");
        let evaluation = Evaluator::new().evaluate("pkg", &build, &Memory::default());
        assert_eq!(
            evaluation.decls.open, open,
            "{snippet}: {:?}",
            evaluation.open_reasons
        );
    }
}

#[test]
fn globs_in_build_files() {
    let memory = Memory::new(
        &[],
        &[(
            "pkg",
            &[
                "a.txt",
                "b.txt",
                "skip.txt",
                "data/",
                "data/x.json",
                "data/deep/y.json",
            ],
        )],
    );
    check_in(
        &memory,
        "pkg",
        r#"
[filegroup(name = "f_" + f) for f in glob(["*.txt", "data/**/*.json"], exclude = ["skip.*"])]
[filegroup(name = "d_" + d) for d in glob(["data"], exclude_directories = 0)]
[filegroup(name = "k_" + f) for f in glob(include = ["a.*"])]
exports_files(srcs = ["b.txt"])
exports_files(glob(["nothing/*"]))
glob(["nothing/*"], allow_empty = False)
filegroup(name = "after_failure")
"#,
        expect![[r#"
            f_a.txt filegroup at filegroup(name = "f_" + f) in filegroup(name =
            f_b.txt filegroup at filegroup(name = "f_" + f) in filegroup(name =
            f_data/deep/y.json filegroup at filegroup(name = "f_" + f) in filegroup(name =
            f_data/x.json filegroup at filegroup(name = "f_" + f) in filegroup(name =
            d_data filegroup at filegroup(name = "d_" + d) in filegroup(name =
            k_a.txt filegroup at filegroup(name = "k_" + f) in filegroup(name =
            b.txt exports_files at "b.txt" in exports_files(sr
            after_failure filegroup at "after_failure" in filegroup(name =
            open: evaluation failed: glob pattern ["nothing/*"] didn't match anything, but allow_empty is set to False
        "#]],
    );
}

#[test]
fn fetched_rule_sets_keep_their_other_symbols() {
    check(
        &[(
            "@rules_cc//cc/defs.bzl",
            "def cc_library(**kwargs):\n    fail(\"not used\")\n\ndef cc_pair(name):\n    native.cc_library(name = name + \"_a\")\n",
        )],
        "load(\"@rules_cc//cc:defs.bzl\", \"cc_library\", \"cc_pair\")\ncc_library(name = \"a\")\ncc_pair(name = \"p\")\n",
        expect![[r#"
            a cc_library at "a" in cc_library(name
            p_a cc_library at "p" in cc_pair(name = "
            closed
        "#]],
    );
}

#[test]
fn one_evaluator_on_many_threads() {
    let memory = Memory::new(&[("//tools/defs.bzl", DEFS)], &[]);
    let evaluator = Evaluator::new();
    std::thread::scope(|scope| {
        for i in 0..4 {
            let (evaluator, memory) = (&evaluator, &memory);
            scope.spawn(move || {
                let build =
                    format!("load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"t{i}\")\n");
                for _ in 0..5 {
                    let evaluation = evaluator.evaluate(&format!("p{i}"), &build, memory);
                    assert!(!evaluation.decls.open, "{:?}", evaluation.open_reasons);
                    assert_eq!(evaluation.decls.targets.len(), 2);
                }
            });
        }
    });
}

#[test]
fn unfollowed_calls_make_targets_named_after_them() {
    check(
        &[(
            "//tools/defs.bzl",
            "load(\"@unfetched//:rules.bzl\", \"gen\")\n\
             def my_proto(name, srcs):\n\
             \x20   native.filegroup(name = name, srcs = srcs)\n\
             \x20   gen(name = name + \"_gen\", out = name + \".inc\", tbl = [(\"-x\", \"a/b.inc\")], deps = [\":dep\"], data = [\"bin\", \"x.py\"])\n",
        )],
        r#"
load("//tools:defs.bzl", "my_proto")
load("@unfetched//:other.bzl", "other")
my_proto(name = "x_proto", srcs = ["x.proto"])
other(name = "y")
"#,
        expect![[r#"
            x_proto filegroup at "x_proto" in my_proto(name =
            unfollowed: ["x_proto_gen", "y"], outputs ["-x", "a/b.inc", "bin", "x_proto.inc"]: called `gen (from @unfetched//:rules.bzl)` (name "x_proto_gen"), whose effect is unknown | called `other (from @unfetched//:other.bzl)` (name "y"), whose effect is unknown
        "#]],
    );
}

#[test]
fn bazel_skylib_lib_modules_have_stand_ins() {
    check(
        &[(
            "//tools/defs.bzl",
            "load(\"@bazel_skylib//lib:dicts.bzl\", \"dicts\")\n\
             load(\"@bazel_skylib//lib:paths.bzl\", \"paths\")\n\
             load(\"@bazel_skylib//lib:types.bzl\", \"types\")\n\
             load(\"@bazel_skylib//lib:collections.bzl\", \"collections\")\n\
             def gen(name, src):\n\
             \x20   attrs = dicts.add({\"srcs\": [src]}, tags = [\"x\"])\n\
             \x20   if types.is_list(attrs[\"srcs\"]):\n\
             \x20       native.filegroup(name = name + \"_\" + paths.split_extension(paths.basename(src))[0], **attrs)\n\
             \x20   for n in collections.uniq([\"a\", \"a\", paths.join(\"b\", \"c\")]):\n\
             \x20       native.filegroup(name = name + \"_\" + n.replace(\"/\", \"_\"))\n",
        )],
        "load(\"//tools:defs.bzl\", \"gen\")\ngen(name = \"g\", src = \"dir/file.txt\")\n",
        expect![[r#"
            g_file filegroup at "g" in gen(name = "g",
            g_a filegroup at "g" in gen(name = "g",
            g_b_c filegroup at "g" in gen(name = "g",
            closed
        "#]],
    );
}

#[test]
fn native_outputs_come_from_the_schema_when_evaluated() {
    let build = "genrule(name = \"g\", outs = [\"g.h\"], cmd = \"\")\n\
                 filegroup(name = \"f\", srcs = [], out = \"not_an_output\")\n\
                 cc_library(name = \"c\", outs = [\"not_an_output_either\"])\n";
    let evaluation = Evaluator::new().evaluate("pkg", build, &Memory::default());
    let names: Vec<(&str, Option<&str>)> = evaluation
        .decls
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.generated_by.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![("g", None), ("g.h", Some("g")), ("f", None), ("c", None)]
    );
}

#[test]
fn bad_subpackages_arguments_open_the_package() {
    for snippet in [
        "x = subpackages(include = 3)\n",
        "x = subpackages()\n",
        "x = subpackages(include = [\"**\"], allow_empty = \"no\")\n",
    ] {
        let build = format!("{snippet}cc_library(name = \"a\")\n");
        let evaluation = Evaluator::new().evaluate("pkg", &build, &Memory::default());
        // Unknown subpackages (no index here) or a bad call: never a panic,
        // the static reading kept.
        assert!(evaluation.decls.target("a").is_some(), "{snippet}");
    }
}

/// Runs `f` on a thread with the stack evaluation is promised.
fn on_large_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no overflow or panic")
}

#[test]
fn deep_nesting_is_refused_before_the_parser_recurses() {
    let deep = 10_000;
    let texts = [
        format!("x = {}1{}\n", "(".repeat(deep), ")".repeat(deep)),
        format!("x = 1{}\n", " + 1".repeat(deep * 10)),
        format!("x = a{}\n", ".b".repeat(deep * 10)),
        format!("x = f{}\n", "()".repeat(deep * 10)),
    ];
    for text in texts {
        let build = format!("{text}cc_library(name = \"t\")\n");
        let evaluation =
            on_large_stack(move || Evaluator::new().evaluate("pkg", &build, &Memory::default()));
        assert!(evaluation.decls.open);
        assert!(
            evaluation.open_reasons[0].contains("levels deep"),
            "{:?}",
            evaluation.open_reasons
        );
        assert_eq!(evaluation.decls.targets.len(), 1);
    }
    // A loaded module nested too deeply is an error of the load.
    let module = format!(
        "def m(name):\n    native.cc_library(name = name)\nX = {}1{}\n",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let evaluation = on_large_stack(move || {
        let memory = Memory::new(&[("//deep.bzl", &module)], &[]);
        Evaluator::new().evaluate(
            "pkg",
            "load(\"//:deep.bzl\", \"m\")\nm(name = \"t\")\n",
            &memory,
        )
    });
    assert!(evaluation.decls.open || !evaluation.decls.unfollowed.is_empty());
    assert!(
        evaluation
            .open_reasons
            .iter()
            .any(|r| r.contains("levels deep")),
        "{:?}",
        evaluation.open_reasons
    );
}

#[test]
fn nesting_up_to_the_limit_is_evaluated() {
    let depth = crate::syntax::starlark_ast::MAX_STARLARK_DEPTH - 10;
    let module = format!(
        "def m(name):\n    native.cc_library(name = name, tags = {}[]{})\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let build = format!(
        "load(\"//:deep.bzl\", \"m\")\nm(name = \"t\")\nx = {}1{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let evaluation = on_large_stack(move || {
        let memory = Memory::new(&[("//deep.bzl", &module)], &[]);
        Evaluator::new().evaluate("pkg", &build, &memory)
    });
    assert!(!evaluation.decls.open, "{:?}", evaluation.open_reasons);
    assert_eq!(evaluation.decls.targets.len(), 1);
}
