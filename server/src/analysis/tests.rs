//! Fixture tests for symbols and folding.

use expect_test::{expect, Expect};

use crate::analysis::folding::folding_ranges;
use crate::analysis::symbols::document_symbols;
use crate::analysis::Document;
use crate::syntax::FileKind;

fn check_symbols(kind: FileKind, text: &str, expect: Expect) {
    let snapshot = Document::new(kind, 0, text).snapshot();
    let rendered: Vec<String> = document_symbols(&snapshot)
        .into_iter()
        .map(|s| {
            format!(
                "{:?} {} ({}) selection={:?}",
                s.kind,
                s.name,
                s.detail.unwrap_or_default(),
                &text[s.selection.start..s.selection.end]
            )
        })
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

fn check_folds(text: &str, expect: Expect) {
    let snapshot = Document::new(FileKind::Bzl, 0, text).snapshot();
    let rope = &snapshot.rope;
    let rendered: Vec<String> = folding_ranges(&snapshot)
        .into_iter()
        .map(|f| {
            format!(
                "{:?} lines {}..{}",
                f.kind,
                rope.byte_to_line(f.range.start),
                rope.byte_to_line(f.range.end)
            )
        })
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

#[test]
fn build_file_symbols_are_targets() {
    check_symbols(
        FileKind::Build,
        r#"load("//:defs.bzl", "my_test")

COPTS = ["-O2"]

cc_library(
    name = "lib",
    srcs = ["lib.cc"],
)

my_test(name = "lib_test", deps = [":lib"])

native.genrule(name = "gen", outs = ["x"], cmd = "")

[sh_test(name = n) for n in ["a", "b"]]

unnamed_call(srcs = [])
"#,
        expect![[r#"
            Variable COPTS () selection="COPTS"
            Target lib (cc_library) selection="\"lib\""
            Target lib_test (my_test) selection="\"lib_test\""
            Target gen (native.genrule) selection="\"gen\"""#]],
    );
}

#[test]
fn bzl_symbols_are_functions_and_globals() {
    check_symbols(
        FileKind::Bzl,
        r#"_PRIVATE = 1
A, B = 1, 2

def my_macro(name, srcs = [], **kwargs):
    native.cc_library(name = name, srcs = srcs, **kwargs)

my_rule = rule(implementation = _impl)
"#,
        expect![[r#"
            Variable _PRIVATE () selection="_PRIVATE"
            Variable A () selection="A"
            Variable B () selection="B"
            Function my_macro (def my_macro(name, srcs = [], **kwargs)) selection="my_macro"
            Variable my_rule () selection="my_rule""#]],
    );
}

#[test]
fn module_file_symbols_name_dependencies() {
    check_symbols(
        FileKind::Module,
        "module(name = \"m\", version = \"1\")\nbazel_dep(name = \"rules_cc\", version = \"0.1\")\n",
        expect![[r#"
            Target m (module) selection="\"m\""
            Target rules_cc (bazel_dep) selection="\"rules_cc\"""#]],
    );
}

#[test]
fn symbols_survive_broken_text() {
    check_symbols(
        FileKind::Build,
        "cc_library(\n    name = \"a\",\n    srcs = [\n\ncc_binary(name = \"b\")\n",
        expect![[r#"
            Target a (cc_library) selection="\"a\""
            Target b (cc_binary) selection="\"b\"""#]],
    );
}

#[test]
fn folds_for_calls_lists_dicts_functions_and_comments() {
    check_folds(
        r#"# Copyright
# header
load("//a:a.bzl", "a")
load("//b:b.bzl", "b")

def f(
        x):
    return {
        "k": [
            1,
        ],
    }

one_line = [1, 2]
"#,
        expect![[r#"
            Comment lines 0..1
            Imports lines 2..3
            Region lines 5..11
            Region lines 5..6
            Region lines 7..11
            Region lines 8..10"#]],
    );
}

/// Types `typed` at the `$0` of `fixture`, as one incremental change, and
/// renders the diagnostics; also says whether the statement-level fast path
/// took it, and checks the result against a fresh document.
fn check_edit(kind: FileKind, fixture: &str, typed: &str, expect: Expect) {
    use crate::fixture::{cursor, render_diagnostics};
    use crate::text::{line_col_of, PositionEncoding, TextChange};
    let (text, offset) = cursor(fixture);
    let mut doc = Document::new(kind, 0, &text);
    let at = line_col_of(doc.rope(), offset, PositionEncoding::Utf16);
    doc.apply_changes(
        1,
        &[TextChange {
            range: Some((at, at)),
            text: typed.to_owned(),
        }],
        PositionEncoding::Utf16,
    );
    let fast = doc.reparse_pending();
    let diagnostics = doc.diagnostics();
    let new_text = doc.rope().to_string();
    assert_eq!(
        diagnostics,
        Document::new(kind, 0, &new_text).diagnostics(),
        "differs from a fresh document"
    );
    let path = if fast {
        "fast path"
    } else {
        "whole-tree reparse"
    };
    expect.assert_eq(&format!(
        "{path}\n{}",
        render_diagnostics(&new_text, &diagnostics)
    ));
}

#[test]
fn typing_inside_a_target_takes_the_fast_path() {
    check_edit(
        FileKind::Build,
        "cc_library(\n    name = \"li$0\",\n)\n\ncc_binary(name = \"b\", **kw)\n",
        "b",
        expect![[r#"
            fast path
            cc_library(
                name = "lib",
            )

            cc_binary(name = "b", **kw)
            #                     ^^^^ error[build-file-args]: **kwargs arguments are not allowed in BUILD files. Pass the arguments in explicitly.
        "#]],
    );
}

#[test]
fn typing_a_dialect_violation_inside_a_statement() {
    check_edit(
        FileKind::Build,
        "cc_library(\n    name = \"lib\",\n    $0\n)\n",
        "*args,",
        expect![[r#"
            fast path
            cc_library(
                name = "lib",
                *args,
            #   ^^^^^ error[build-file-args]: *args arguments are not allowed in BUILD files. Pass the arguments in explicitly.
            )
        "#]],
    );
}

#[test]
fn breaking_a_statement_reparses_the_tree() {
    check_edit(
        FileKind::Build,
        "cc_library(\n    name = \"lib\",\n    srcs = [$0],\n)\n\ncc_test(name = \"t\")\n",
        "\"a.cc\" \"b.cc\"",
        expect![[r#"
            whole-tree reparse
            cc_library(
                name = "lib",
                srcs = ["a.cc" "b.cc"],
            #           ^^^^^^ error[syntax]: expected `,` between items in a list
            )

            cc_test(name = "t")
        "#]],
    );
}

#[test]
fn typing_at_a_statement_boundary_reparses_the_tree() {
    check_edit(
        FileKind::Bzl,
        "x = 1$0\ny = 2\n",
        " +",
        expect![[r#"
            whole-tree reparse
            x = 1 +
            #     ^ error[syntax]: expected an expression after `+`
            y = 2
        "#]],
    );
}

/// A lone `\r` ends a line as `\n` does: the folds are the same lines.
#[test]
fn folds_follow_every_line_ending() {
    let text = "cc_library(\n    name = \"a\",\n    srcs = [\n        \"a.cc\",\n    ],\n)\nx = {\n    1: 2,\n}\n";
    let lines = |text: &str| {
        let snapshot = Document::new(FileKind::Build, 0, text).snapshot();
        folding_ranges(&snapshot)
            .into_iter()
            .map(|f| {
                (
                    snapshot.rope.byte_to_line(f.range.start),
                    snapshot.rope.byte_to_line(f.range.end),
                )
            })
            .collect::<Vec<_>>()
    };
    let unix = lines(text);
    assert_eq!(unix.len(), 3, "{unix:?}");
    assert_eq!(lines(&text.replace('\n', "\r")), unix);
    assert_eq!(lines(&text.replace('\n', "\r\n")), unix);
}
