//! Benchmarks for the keystroke path and for `bzls check`.
//!
//! Corpus: a generated 5,000-line BUILD file (see [`generate_build_file`]),
//! the shape of a large real package: rules with lists, selects, globs and
//! comments. Run with `cargo bench -p bzls --bench syntax`.

use std::hint::black_box;
use std::path::PathBuf;

use bzls::analysis::diagnostics::check_text;
use bzls::analysis::semantic_tokens::encode_starlark;
use bzls::analysis::Document;
use bzls::cli::check_paths;
use bzls::syntax::{parse_str, FileKind};
use bzls::text::{LineCol, PositionEncoding, TextChange};
use criterion::{criterion_group, criterion_main, Criterion};

/// A BUILD file of at least `lines` lines.
fn generate_build_file(lines: usize) -> String {
    let mut out = String::from(
        "load(\"@rules_cc//cc:defs.bzl\", \"cc_library\", \"cc_test\")\nload(\"//tools:macros.bzl\", \"my_macro\")\n\npackage(default_visibility = [\"//visibility:public\"])\n\n",
    );
    let mut i: usize = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "# Target {i}: a library with platform-specific sources.\n\
cc_library(\n    name = \"lib{i}\",\n    srcs = [\n        \"lib{i}.cc\",\n        \"lib{i}_impl.cc\",\n    ] + select({{\n        \"//conditions:linux\": [\"lib{i}_linux.cc\"],\n        \"//conditions:default\": [],\n    }}),\n    hdrs = glob([\"include/lib{i}/**/*.h\"]),\n    copts = [\"-Wall\", \"-DLIB={i}\"],\n    deps = [\n        \":lib{}\",\n        \"//base:core\",\n        \"@com_google_absl//absl/strings\",\n    ],\n)\n\n\
cc_test(\n    name = \"lib{i}_test\",\n    size = \"small\",\n    srcs = [\"lib{i}_test.cc\"],\n    deps = [\":lib{i}\", \"@googletest//:gtest_main\"],\n)\n\n",
            i.saturating_sub(1)
        ));
        i += 1;
    }
    out
}

fn bench_parse(c: &mut Criterion) {
    let text = generate_build_file(5_000);
    c.bench_function("full parse, 5,000-line BUILD (tree-sitter)", |b| {
        b.iter(|| parse_str(black_box(&text)))
    });
    c.bench_function(
        "open: full parse + syntax diagnostics, 5,000-line BUILD",
        |b| b.iter(|| Document::new(FileKind::Build, 0, black_box(&text)).diagnostics()),
    );
}

fn bench_keystroke(c: &mut Criterion) {
    let text = generate_build_file(5_000);
    let mut doc = Document::new(FileKind::Build, 0, &text);
    // Type and delete one character inside a target's name in the middle of
    // the file, alternately, so the text does not grow.
    let line = text
        .lines()
        .enumerate()
        .skip(2_500)
        .find(|(_, l)| l.starts_with("    name = \""))
        .map(|(i, _)| i as u32)
        .expect("a name line");
    let insert = [TextChange {
        range: Some((LineCol::new(line, 14), LineCol::new(line, 14))),
        text: "x".to_owned(),
    }];
    let delete = [TextChange {
        range: Some((LineCol::new(line, 14), LineCol::new(line, 15))),
        text: String::new(),
    }];
    let mut version = 0;
    // What a keystroke costs before its diagnostics can be published: the
    // statement-level fast path (the whole-tree reparse is deferred).
    c.bench_function(
        "keystroke: 1-char edit -> diagnostics, 5,000-line BUILD",
        |b| {
            b.iter(|| {
                version += 1;
                let change = if version % 2 == 0 { &delete } else { &insert };
                doc.apply_changes(version, change, PositionEncoding::Utf16);
                assert!(doc.reparse_pending(), "the fast path was taken");
                black_box(doc.diagnostics())
            })
        },
    );
    // The same, plus the whole-tree incremental reparse that the fast path
    // defers until the tree is needed or typing pauses.
    c.bench_function(
        "keystroke + whole-tree incremental reparse + diagnostics, 5,000-line BUILD",
        |b| {
            b.iter(|| {
                version += 1;
                let change = if version % 2 == 0 { &delete } else { &insert };
                doc.apply_changes(version, change, PositionEncoding::Utf16);
                doc.flush_reparse();
                black_box(doc.diagnostics())
            })
        },
    );
    // An edit the fast path cannot take: an unbalanced `(` typed and
    // deleted again (the text is broken in between).
    let boundary = [TextChange {
        range: Some((LineCol::new(line + 1, 0), LineCol::new(line + 1, 0))),
        text: "(".to_owned(),
    }];
    let unboundary = [TextChange {
        range: Some((LineCol::new(line + 1, 0), LineCol::new(line + 1, 1))),
        text: String::new(),
    }];
    c.bench_function(
        "syntax-breaking edit -> incremental reparse + diagnostics, 5,000-line BUILD",
        |b| {
            b.iter(|| {
                version += 1;
                let change = if version % 2 == 0 {
                    &unboundary
                } else {
                    &boundary
                };
                doc.apply_changes(version, change, PositionEncoding::Utf16);
                black_box(doc.diagnostics())
            })
        },
    );
}

fn bench_check(c: &mut Criterion) {
    let text = generate_build_file(5_000);
    // A valid file: starlark_syntax parses it, and the dialect rules run on
    // its AST.
    c.bench_function("check: one 5,000-line BUILD file (valid: AST path)", |b| {
        b.iter(|| check_text(FileKind::Build, "BUILD", black_box(&text)))
    });
    // A broken file: starlark_syntax fails, so the file goes through the
    // tree-sitter path as in the server.
    let broken = format!("{text}x = [\n");
    c.bench_function(
        "check: one 5,000-line BUILD file (syntax error: tree path)",
        |b| {
            b.iter(|| {
                let diagnostics = check_text(FileKind::Build, "BUILD", black_box(&broken));
                assert!(!diagnostics.is_empty());
                diagnostics
            })
        },
    );
    // A long expression broken all over (`x = a0 0 + a1 1 + ...`): 1,000
    // syntax errors, each deep in a chain of binary operators. Each message
    // names where the error is (" in a list", ...), which once walked up
    // from the error with tree-sitter's `parent()`, itself a search down
    // from the root: cubic, 7 s for this text, minutes for 3,000 terms.
    let chain = format!(
        "x = {}\n",
        (0..1_000)
            .map(|i| format!("a{i} {i}"))
            .collect::<Vec<_>>()
            .join(" + ")
    );
    c.bench_function(
        "check: 1,000 syntax errors in one expression (tree path)",
        |b| {
            b.iter(|| {
                let diagnostics = check_text(FileKind::Build, "BUILD", black_box(&chain));
                assert!(diagnostics.len() >= 1_000);
                diagnostics
            })
        },
    );

    let dir = std::env::temp_dir().join(format!("bzls-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("MODULE.bazel"), "module(name = \"bench\")\n").expect("write");
    for i in 0..20 {
        let pkg = dir.join(format!("pkg{i}"));
        std::fs::create_dir_all(&pkg).expect("mkdir");
        std::fs::write(pkg.join("BUILD.bazel"), &text).expect("write");
    }
    let paths: Vec<PathBuf> = vec![dir.clone()];
    c.bench_function(
        "bzls check: directory of 20 x 5,000-line BUILD files",
        |b| {
            b.iter(|| {
                let outcome = check_paths(&dir, &paths);
                assert_eq!(outcome.files_checked, 21);
                outcome
            })
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Real files named in `BZLS_BENCH_FILES` (paths separated by `:`), for
/// figures on the trees BENCHMARKS.md names: nothing runs without it.
fn bench_real_files(c: &mut Criterion) {
    let Some(files) = std::env::var_os("BZLS_BENCH_FILES") else {
        return;
    };
    for path in std::env::split_paths(&files) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {}", path.display());
            continue;
        };
        let name = path.display().to_string();
        c.bench_function(
            &format!("real file: full parse (tree-sitter), {name}"),
            |b| b.iter(|| parse_str(black_box(&text))),
        );
        c.bench_function(
            &format!("real file: open + syntax diagnostics, {name}"),
            |b| b.iter(|| Document::new(FileKind::Build, 0, black_box(&text)).diagnostics()),
        );
        c.bench_function(
            &format!("real file: check_text (starlark parser), {name}"),
            |b| b.iter(|| check_text(FileKind::Build, "BUILD", black_box(&text))),
        );
        // Semantic tokens of a BUILD file: the syntax tree's and the
        // label parts of its mentions (as the server computes them).
        let tree = parse_str(&text);
        let summary =
            bzls::workspace::summary::summarize("pkg", &tree, &ropey::Rope::from_str(&text));
        c.bench_function(&format!("real file: semantic tokens, {name}"), |b| {
            b.iter(|| {
                bzls::analysis::semantic_tokens::starlark_tokens(
                    black_box(&tree),
                    black_box(&text),
                    Some(&summary.mentions),
                )
            })
        });
        // The same, encoded for LSP, as the server answers a version after
        // another: from scratch, with nothing changed since the last
        // version, and after a one-character edit in one statement.
        let encoding = PositionEncoding::Utf16;
        let shared: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
        let (_, memo) = encode_starlark(
            &tree,
            shared.clone(),
            Some(&summary.mentions),
            encoding,
            None,
        );
        for (what, previous) in [("fresh", None), ("unchanged", Some(&memo))] {
            c.bench_function(
                &format!("real file: semantic tokens encoded, {what}, {name}"),
                |b| {
                    b.iter(|| {
                        encode_starlark(
                            &tree,
                            shared.clone(),
                            Some(&summary.mentions),
                            encoding,
                            previous,
                        )
                    })
                },
            );
        }
        // A character typed in the middle of the file (inside a string, so
        // the statement keeps its shape).
        let middle = text[text.len() / 2..]
            .find('"')
            .map(|i| text.len() / 2 + i + 1)
            .unwrap_or(0);
        let mut edited = text.clone();
        edited.insert(middle, 'z');
        let edited_tree = parse_str(&edited);
        let edited_summary = bzls::workspace::summary::summarize(
            "pkg",
            &edited_tree,
            &ropey::Rope::from_str(&edited),
        );
        let edited: std::sync::Arc<str> = std::sync::Arc::from(edited.as_str());
        c.bench_function(
            &format!("real file: semantic tokens encoded, after an edit, {name}"),
            |b| {
                b.iter(|| {
                    encode_starlark(
                        &edited_tree,
                        edited.clone(),
                        Some(&edited_summary.mentions),
                        encoding,
                        Some(&memo),
                    )
                })
            },
        );
    }
}

criterion_group!(
    benches,
    bench_parse,
    bench_keystroke,
    bench_check,
    bench_real_files
);
criterion_main!(benches);
