use expect_test::{expect, Expect};

use crate::analysis::diagnostics::check_text;
use crate::fixture::render_diagnostics;
use crate::syntax::FileKind;
use crate::text::TextRange;

fn check(kind: FileKind, text: &str, expect: Expect) {
    let diagnostics = check_text(kind, "test", text);
    expect.assert_eq(&render_diagnostics(text, &diagnostics));
}

#[test]
fn clean_build_file_has_no_diagnostics() {
    check(
        FileKind::Build,
        r#"load("//tools:defs.bzl", "my_macro")

COPTS = ["-O2"]

cc_library(
    name = "lib",
    srcs = glob(["*.cc"]) + select({
        "//conditions:default": [],
    }),
    copts = COPTS + [c for c in ["-Wall"] if c],
    visibility = ["//visibility:public"],
)

my_macro(name = "x", tags = ["a"] if True else [])
"#,
        expect![[r#"
            load("//tools:defs.bzl", "my_macro")

            COPTS = ["-O2"]

            cc_library(
                name = "lib",
                srcs = glob(["*.cc"]) + select({
                    "//conditions:default": [],
                }),
                copts = COPTS + [c for c in ["-Wall"] if c],
                visibility = ["//visibility:public"],
            )

            my_macro(name = "x", tags = ["a"] if True else [])
        "#]],
    );
}

#[test]
fn build_file_dialect_rules() {
    check(
        FileKind::Build,
        r#"def helper():
    pass

for x in ["a"]:
    pass

if True:
    y = 1

cc_library(name = "a", *args, **kwargs)
"#,
        expect![[r#"
            def helper():
            ^^^^^^^^^^ error[build-file-def]: function definitions are not allowed in BUILD files. You may move the function to a .bzl file and load it.
                pass

            for x in ["a"]:
            ^^^ error[build-file-for]: for statements are not allowed in BUILD files. You may inline the loop, move it to a function definition (in a .bzl file), or as a last resort use a list comprehension.
                pass

            if True:
            ^^ error[build-file-if]: if statements are not allowed in BUILD files. You may use an if expression for simple cases (x if condition else y).
                y = 1

            cc_library(name = "a", *args, **kwargs)
            #                      ^^^^^ error[build-file-args]: *args arguments are not allowed in BUILD files. Pass the arguments in explicitly.
            #                             ^^^^^^^^ error[build-file-args]: **kwargs arguments are not allowed in BUILD files. Pass the arguments in explicitly.
        "#]],
    );
}

#[test]
fn workspace_files_follow_build_rules() {
    check(
        FileKind::Workspace,
        "def f():\n    pass\n",
        expect![[r#"
            def f():
            ^^^^^ error[build-file-def]: function definitions are not allowed in WORKSPACE files. You may move the function to a .bzl file and load it.
                pass
        "#]],
    );
}

#[test]
fn module_file_rules() {
    check(
        FileKind::Module,
        r#"load("@x//:y.bzl", "z")
module(name = "m", version = "1.0")
bazel_dep(name = "rules_cc", version = "0.1", **extra)
if True:
    pass
"#,
        expect![[r#"
            load("@x//:y.bzl", "z")
            ^^^^ error[module-file-load]: load statements are not allowed in MODULE.bazel files. Use use_extension() and use_repo() to bring in repositories.
            module(name = "m", version = "1.0")
            bazel_dep(name = "rules_cc", version = "0.1", **extra)
            #                                             ^^^^^^^ error[module-file-args]: **kwargs arguments are not allowed in MODULE.bazel files. Pass the arguments in explicitly.
            if True:
            ^^ error[module-file-if]: if statements are not allowed in MODULE.bazel files. You may use an if expression for simple cases (x if condition else y).
                pass
        "#]],
    );
}

#[test]
fn bzl_files_allow_loops_only_in_functions() {
    check(
        FileKind::Bzl,
        r#"def f(xs, *args, **kwargs):
    for x in xs:
        if x:
            return x
    return f(*args, **kwargs)

for y in []:
    pass
if True:
    pass
"#,
        expect![[r#"
            def f(xs, *args, **kwargs):
                for x in xs:
                    if x:
                        return x
                return f(*args, **kwargs)

            for y in []:
            ^^^ error[toplevel-for]: for loops are not allowed at the top level. You may move it inside a function or use a comprehension, [f(x) for x in sequence].
                pass
            if True:
            ^^ error[toplevel-if]: if statements are not allowed at the top level. You may move it inside a function or use an if expression (x if condition else y).
                pass
        "#]],
    );
}

#[test]
fn star_files_are_plain_starlark() {
    check(
        FileKind::Star,
        "for x in []:\n    pass\n",
        expect![[r#"
        for x in []:
            pass
    "#]],
    );
}

#[test]
fn readable_syntax_errors() {
    check(
        FileKind::Build,
        r#"cc_library(
    name = "a",
    srcs = ["a.cc" "b.cc"],
    deps = [":x" ":y"],
)
foo(a b)
x = "unterminated
y = [1, 2
"#,
        expect![[r#"
            cc_library(
                name = "a",
                srcs = ["a.cc" "b.cc"],
            #           ^^^^^^ error[syntax]: expected `,` between items in a list
                deps = [":x" ":y"],
            #           ^^^^ error[syntax]: expected `,` between items in a list
            )
            foo(a b)
            #     ^ error[syntax]: expected `,` between items in the arguments of `foo`
            x = "unterminated
            #   ^^^^^^^^^^^^^ error[syntax]: unterminated string literal
            y = [1, 2
            #   ^ error[syntax]: `[` is never closed; expected `]`
        "#]],
    );
}

#[test]
fn unclosed_call_points_at_its_opener() {
    let text = "cc_binary(\n    name = \"bin\",\n    deps = [\":lib\"\n)\n";
    let diagnostics = check_text(FileKind::Build, "BUILD", text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert!(
        d.message.starts_with("expected `]` to close this `[`"),
        "{}",
        d.message
    );
    assert_eq!(d.related.len(), 1);
    assert_eq!(&text[d.related[0].range.start..d.related[0].range.end], "[");
}

#[test]
fn python_only_syntax() {
    check(
        FileKind::Bzl,
        r#"def f(x):
    while x:
        pass
    if x is None:
        pass
    y = 2 ** 3
    return 1 < x < 3
"#,
        expect![[r#"
            def f(x):
                while x:
            #   ^^^^^ error[unsupported-syntax]: Starlark has no `while` loops; use `for` over a range, inside a function
                    pass
                if x is None:
            #        ^^ error[unsupported-syntax]: Starlark has no `is` operator; use `==`
                    pass
                y = 2 ** 3
            #       ^^^^^^ error[unsupported-syntax]: Starlark has no `**` operator
                return 1 < x < 3
            #          ^^^^^^^^^ error[unsupported-syntax]: Starlark does not chain comparisons; write `a < b and b < c`
        "#]],
    );
}

#[test]
fn starlark_reports_what_tree_sitter_accepts() {
    // tree-sitter's grammar accepts a `return` at the top level; Starlark's
    // parser does not.
    let diagnostics = check_text(FileKind::Bzl, "x.bzl", "return 1\n");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].code.as_str(), "syntax");
    assert!(
        diagnostics[0].message.to_lowercase().contains("return"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn garbage_and_binary_text_never_panic() {
    for text in [
        "\0\0\0\u{1}\u{2}",
        "((((((((",
        ")))]]]}}}",
        "def def def",
        "\"\"\"",
        "x = '''\n\n",
        "\u{feff}cc_library(name = 'a')",
        "🎉🎉🎉 = 构建",
        "\r\r\r\n\n\r",
        "\\\n\\\n",
    ] {
        for kind in [
            FileKind::Build,
            FileKind::Bzl,
            FileKind::Module,
            FileKind::Star,
        ] {
            let _ = check_text(kind, "t", text);
        }
    }
}

#[test]
fn deep_nesting_is_handled() {
    let depth = 10_000;
    let text = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    let worker = std::thread::Builder::new()
        .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
        .spawn(move || check_text(FileKind::Bzl, "deep.bzl", &text))
        .expect("spawn");
    let diagnostics = worker.join().expect("no overflow or panic");
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["file-too-complex"], "{diagnostics:#?}");
    assert_eq!(diagnostics[0].severity, crate::analysis::Severity::Warning);
    // On the first line of the deepest statement.
    assert_eq!(diagnostics[0].range, TextRange::new(0, text_len(depth)));
    // Unbalanced, and deep prefix operators, are refused before
    // starlark_syntax recurses; tree-sitter still reports what it sees.
    for (text, expected) in [
        (
            format!("x = {}\n", "[".repeat(depth)),
            &["file-too-complex", "syntax"][..],
        ),
        (
            format!("x = {}1\n", "not ".repeat(depth)),
            &["file-too-complex"][..],
        ),
    ] {
        let worker = std::thread::Builder::new()
            .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
            .spawn(move || check_text(FileKind::Build, "BUILD", &text))
            .expect("spawn");
        let diagnostics = worker.join().expect("no overflow or panic");
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, expected, "{diagnostics:#?}");
    }
}

/// The length of `x = ((…1…))` nested `depth` deep, without its newline.
fn text_len(depth: usize) -> usize {
    "x = 1".len() + 2 * depth
}

#[test]
fn valid_starlark_that_python_grammar_misreads() {
    // `not in` is one operator, not a chain; `match` is a plain name in
    // Starlark (tree-sitter's grammar reads `match(` as a match statement).
    check(
        FileKind::Bzl,
        r#"def f(env, kinds, expectations):
    if kinds not in expectations:
        fail("no")
    for kind in kinds:
        if kind in expectations:
            match(
                env,
                kind = kind,
            )
    type = "x"
    print(type)
"#,
        expect![[r#"
            def f(env, kinds, expectations):
                if kinds not in expectations:
                    fail("no")
                for kind in kinds:
                    if kind in expectations:
                        match(
                            env,
                            kind = kind,
                        )
                type = "x"
                print(type)
        "#]],
    );
}

#[test]
fn check_ast_path_agrees_with_the_tree_path() {
    use crate::analysis::diagnostics::check_text_with_tree;
    let texts = [
        "def f():\n    pass\n",
        "def f(a, *args, **kwargs):\n    return g(*args, **kwargs)\n",
        "for x in []:\n    pass\n",
        "if True:\n    pass\nelif False:\n    pass\nelse:\n    pass\n",
        "load(\"//:a.bzl\", \"b\")\nb(name = \"x\", *a, **k)\nc(d(e(**f)))\n",
        "x = [f(*a) for a in b if g(**a)]\n",
        "x = lambda *a, **k: f(*a, **k)\n",
        "cc_library(\n    name = \"a\",  # comment\n    srcs = glob([\"*.cc\"]) + select({\"//c:x\": [\"x.cc\"]}),\n)\n",
        "\n\n  \n# only comments\n",
        "",
        "bazel_dep(name = \"a\")\nmodule(name = \"m\")\nmodule(name = \"n\")\n",
        "X = str(1)\nmodule(name = X)\nx = use_extension(\"//:e.bzl\", \"e\")\n",
        "x = use_extension(\"//:e.bzl\", \"e\")\nmodule(name = \"m\", version = str(2))\n",
    ];
    for text in texts {
        for kind in [
            FileKind::Build,
            FileKind::Workspace,
            FileKind::Bzl,
            FileKind::Module,
            FileKind::Repo,
            FileKind::Star,
        ] {
            assert_eq!(
                check_text(kind, "t", text),
                check_text_with_tree(kind, "t", text),
                "{kind:?}: {text:?}"
            );
        }
    }
}

#[test]
fn module_must_come_first_and_once() {
    check(
        FileKind::Module,
        r#"# Calls of Starlark builtins do not count.
VERSION = str(1)
module(name = "m", version = VERSION)
bazel_dep(name = "rules_cc", version = "0.1")
module(name = "again")
"#,
        expect![[r#"
            # Calls of Starlark builtins do not count.
            VERSION = str(1)
            module(name = "m", version = VERSION)
            bazel_dep(name = "rules_cc", version = "0.1")
            module(name = "again")
            ^^^^^^ error[module-file-order]: the module() directive can only be called once
        "#]],
    );
    check(
        FileKind::Module,
        "ext = use_extension(\"//:ext.bzl\", \"ext\")\nmodule(name = \"m\")\n",
        expect![[r#"
            ext = use_extension("//:ext.bzl", "ext")
            module(name = "m")
            ^^^^^^ error[module-file-order]: if module() is called, it must be called before any other functions
        "#]],
    );
}

/// Found by fuzzing (`fuzz/`, target `starlark_document`): a NUL byte in a
/// string ends tree-sitter's string but not Starlark's, so the tree's rules
/// lost the `def` after it while `check_text` (from the AST) reported it.
/// The settled document and the early diagnostics of an opened one now
/// agree with `check_text`, whatever the file kind.
#[test]
fn a_nul_in_a_string_hides_nothing_after_it() {
    use crate::analysis::Document;
    let text = "x = \"a\0b\"\ndef f():\n    pass\n";
    for kind in [
        FileKind::Build,
        FileKind::Bzl,
        FileKind::Workspace,
        FileKind::Module,
        FileKind::Star,
    ] {
        let checked = check_text(kind, "BUILD", text);
        let mut settled = Document::new(kind, 1, text);
        settled.settle("BUILD");
        assert_eq!(settled.diagnostics(), checked, "{kind:?}");
        let (early, parse) =
            crate::analysis::diagnostics::open_check(kind, "BUILD", text).expect("parses");
        assert_eq!(early, checked, "{kind:?}");
        let mut opened = Document::new(kind, 1, text);
        opened.accept_open_parse(parse, early);
        assert_eq!(opened.diagnostics(), checked, "{kind:?}");
    }
    let codes: Vec<&str> = check_text(FileKind::Build, "BUILD", text)
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(codes.contains(&"build-file-def"), "{codes:?}");
}

#[test]
fn lambdas_are_functions_build_and_module_files_may_not_define() {
    check(
        FileKind::Build,
        "x = lambda: 1\ncc_library(name = \"a\", tags = [f() for f in [lambda: \"t\"]])\n",
        expect![[r#"
            x = lambda: 1
            #   ^^^^^^ error[build-file-def]: functions may not be defined in BUILD files. You may move the function to a .bzl file and load it.
            cc_library(name = "a", tags = [f() for f in [lambda: "t"]])
            #                                            ^^^^^^ error[build-file-def]: functions may not be defined in BUILD files. You may move the function to a .bzl file and load it.
        "#]],
    );
    check(
        FileKind::Module,
        "x = lambda: 1\n",
        expect![[r#"
            x = lambda: 1
            #   ^^^^^^ error[module-file-def]: functions may not be defined in MODULE.bazel files.
        "#]],
    );
    check(
        FileKind::Bzl,
        "x = lambda: 1\n",
        expect![[r#"
        x = lambda: 1
    "#]],
    );
}

/// Many errors deep in the tree (found by fuzzing): the messages' context
/// was found by walking up from each error with tree-sitter's `parent()`,
/// itself a search down from the root, so a 40 KB BUILD file holding one
/// broken expression of 3,000 terms took over three minutes, on every
/// keystroke. Every error still gets its own message, with its context.
#[test]
fn many_errors_deep_in_one_expression_get_every_message() {
    let terms: Vec<String> = (0..1_000).map(|i| format!("a{i} {i}")).collect();
    let text = format!("x = {}\nf(a b, [c d])\n", terms.join(" + "));
    let diagnostics = check_text(FileKind::Build, "BUILD", &text);
    let syntax: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.code == crate::analysis::DiagnosticCode::Syntax)
        .collect();
    assert_eq!(syntax.len(), 1_002, "{diagnostics:?}");
    // The last line, as a reader sees it.
    let last = "f(a b, [c d])\n";
    let offset = text.len() - last.len();
    let on_last: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.range.start >= offset)
        .map(|d| {
            let mut d = (*d).clone();
            d.range = TextRange::new(d.range.start - offset, d.range.end - offset);
            d
        })
        .collect();
    expect![[r#"
        f(a b, [c d])
        #   ^ error[syntax]: expected `,` between items in the arguments of `f`
        #         ^ error[syntax]: expected `,` between items in a list
    "#]]
    .assert_eq(&render_diagnostics(last, &on_last));
}
