//! Benchmarks of the analysis host (`bzls::db`) on a BUILD file shaped like
//! real large ones: `load()`s of the workspace's own macros (which call
//! native rules and `select()`), about 5,000 lines of macro calls with
//! `glob`, `select` and labels into other packages.
//!
//! The workspace is generated into a temporary directory (the index reads
//! it from disk as the server does). Run with
//! `cargo bench -p bzls --bench analysis`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use bzls::analysis::semantics::{semantic_diagnostics, NamesMemo, NoRules};
use bzls::analysis::workspace::completion::completion;
use bzls::analysis::workspace::definition::definition;
use bzls::analysis::workspace::hover::hover;
use bzls::analysis::workspace::references::references;
use bzls::analysis::workspace::FileContext;
use bzls::analysis::{Document, DocumentSnapshot};
use bzls::db::{AnalysisHost, FileKey};
use bzls::host::index::WorkspaceIndex;
use bzls::syntax::FileKind;
use bzls::text::{LineCol, PositionEncoding, TextChange};
use criterion::{criterion_group, criterion_main, Criterion};

const DEFS: &str = r#"
def xl_library(name, srcs = [], hdrs = [], deps = [], test_deps = [], **kwargs):
    """A library, its test and a header check."""
    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        deps = deps,
        copts = select({
            "//tools:opt": ["-O3"],
            "//conditions:default": [],
        }),
        **kwargs
    )
    native.cc_test(name = name + "_test", srcs = [name + "_test.cc"], deps = [":" + name] + test_deps)
    native.filegroup(name = name + "_hdrs", srcs = hdrs)

def xl_pass(name, pass_class, srcs = [], hdrs = [], deps = []):
    """A pass: a library registered under its class name."""
    xl_library(name = name, srcs = srcs, hdrs = hdrs, deps = deps + ["//dep/p0:lib"])
    native.genrule(
        name = name + "_registration",
        outs = [name + "_registration.cc"],
        cmd = "echo '// %s' > $@" % pass_class,
    )
"#;

/// A workspace: `tools/defs.bzl`, 60 small packages under `dep/`, and
/// `big/BUILD` of about `lines` lines. Returns the root and the BUILD text.
fn generate(root: &Path, lines: usize) -> String {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("MODULE.bazel", "module(name = \"bench\")\n");
    write(
        "tools/BUILD",
        "config_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\n",
    );
    write("tools/defs.bzl", DEFS);
    for p in 0..60 {
        write(
            &format!("dep/p{p}/BUILD"),
            &format!("cc_library(name = \"lib\", srcs = [\"lib.cc\"])\ncc_library(name = \"util\")\ncc_library(name = \"p{p}\")\n"),
        );
        write(&format!("dep/p{p}/lib.cc"), "");
    }
    let mut text = String::from(
        "load(\"//tools:defs.bzl\", \"xl_library\", \"xl_pass\")\n\npackage(default_visibility = [\"//visibility:public\"])\n\n",
    );
    let mut i: usize = 0;
    while text.lines().count() < lines || i % 2 == 1 {
        let files = format!("f{i}");
        write(&format!("big/{files}.cc"), "");
        write(&format!("big/{files}.h"), "");
        if i % 2 == 0 {
            text.push_str(&format!(
                "xl_pass(\n    name = \"pass{i}\",\n    srcs = [\"{files}.cc\"],\n    hdrs = [\"{files}.h\"],\n    pass_class = \"Pass{i}\",\n    deps = [\n        \":lib{prev}\",\n        \"//dep/p{a}:lib\",\n        \"//dep/p{b}:util\",\n        \"//dep/p{c}\",\n    ],\n)\n\n",
                prev = i + 1,
                a = i % 60,
                b = (i * 7) % 60,
                c = (i * 13) % 60,
            ));
        } else {
            text.push_str(&format!(
                "xl_library(\n    name = \"lib{i}\",\n    srcs = glob([\"{files}.cc\"]),\n    hdrs = [\"{files}.h\"],\n    deps = [\n        \"//dep/p{a}:lib\",\n    ] + select({{\n        \"//tools:opt\": [\"//dep/p{b}:util\"],\n        \"//conditions:default\": [],\n    }}),\n    test_deps = [\":pass{prev}\"],\n)\n\n",
                prev = i - 1,
                a = (i * 3) % 60,
                b = (i * 11) % 60,
            ));
        }
        i += 1;
    }
    write("big/BUILD", &text);
    text
}

/// The 0-based line and column just before the closing quote of the first
/// string equal to `needle`.
fn position_in(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).expect("needle") + needle.len() - 1;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, col as u32)
}

fn edit(doc: &mut Document, line: u32, col: u32, remove: u32, insert: &str) {
    let version = doc.version() + 1;
    doc.apply_changes(
        version,
        &[TextChange {
            range: Some((LineCol::new(line, col), LineCol::new(line, col + remove))),
            text: insert.to_string(),
        }],
        PositionEncoding::Utf16,
    );
}

struct Setup {
    _dir: TempRoot,
    index: WorkspaceIndex,
    key: FileKey,
    text: String,
}

/// A directory removed on drop.
struct TempRoot(PathBuf);

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn setup() -> Setup {
    let dir = std::env::temp_dir().join(format!("bzls-bench-analysis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let text = generate(&dir, 5_000);
    let index = WorkspaceIndex::scan(&dir);
    let key = FileKey {
        path: dir.join("big/BUILD"),
        package: "big".to_string(),
        is_build: true,
    };
    Setup {
        _dir: TempRoot(dir),
        index,
        key,
        text,
    }
}

/// Analysis and label diagnostics of one snapshot.
fn analyse(host: &AnalysisHost, s: &Setup, snapshot: &DocumentSnapshot) -> usize {
    let analysis = host.analysis(&s.index, &s.key, snapshot).expect("analysis");
    analysis
        .label_diagnostics(&s.index, &s.key, snapshot)
        .map_or(0, |d| d.len())
}

/// Types up to 8 characters at `(line, col)`, then deletes them, one
/// keystroke per iteration, each followed by analysis and labels.
fn typing(b: &mut criterion::Bencher<'_>, s: &Setup, line: u32, col: u32) {
    let host = AnalysisHost::new();
    let mut doc = Document::new(FileKind::Build, 1, &s.text);
    analyse(&host, s, &doc.snapshot());
    let mut typed = 0u32;
    b.iter(|| {
        if typed == 8 {
            edit(&mut doc, line, col, typed, "");
            typed = 0;
        } else {
            edit(&mut doc, line, col + typed, 0, "x");
            typed += 1;
        }
        black_box(analyse(&host, s, &doc.snapshot()))
    })
}

fn bench_analysis(c: &mut Criterion) {
    let s = setup();
    let lines = s.text.lines().count();
    let snapshot = Document::new(FileKind::Build, 1, &s.text).snapshot();
    // Warm the index: every package the labels point into is read once.
    let host = AnalysisHost::new();
    analyse(&host, &s, &snapshot);
    let analysis = host
        .analysis(&s.index, &s.key, &snapshot)
        .expect("analysis");
    let diagnostics = analysis.label_diagnostics(&s.index, &s.key, &snapshot);
    assert_eq!(
        diagnostics.as_deref().map(|d| d.first().cloned()),
        Some(None),
        "the generated workspace is clean"
    );
    assert!(analysis.summary.evaluated && !analysis.summary.decls.open);

    c.bench_function(
        &format!("open: analysis + labels of a {lines}-line macro BUILD"),
        |b| b.iter(|| black_box(analyse(&AnalysisHost::new(), &s, &snapshot))),
    );

    // Requests on the analysed version: they read the analysis, never
    // compute it again.
    let tree = snapshot.tree.as_ref().expect("tree");
    let ctx = FileContext::with_parts(
        tree,
        &snapshot.rope,
        s.key.path.clone(),
        s.key.package.clone(),
        true,
        analysis.summary.clone(),
        analysis.globals.clone(),
    );
    let offset_of = |needle: &str, within: usize| s.text.find(needle).expect("needle") + within;
    let after_colon = offset_of("\":lib1\"", 2);
    c.bench_function("request: completion after \":\" (200 targets)", |b| {
        b.iter(|| {
            let found = completion(&ctx, &s.index, after_colon).expect("completion");
            black_box(found.items.len())
        })
    });
    let in_label = offset_of("\"//dep/p7:util\"", 5);
    c.bench_function("request: definition of a label in another package", |b| {
        b.iter(|| black_box(definition(&ctx, &s.index, in_label).len()))
    });
    let on_macro = offset_of("xl_pass(", 2);
    c.bench_function("request: hover on a loaded macro", |b| {
        b.iter(|| black_box(hover(&ctx, &s.index, on_macro).is_some()))
    });
    c.bench_function("request: references of a label", |b| {
        b.iter(|| black_box(references(&ctx, &s.index, in_label, true, &[]).len()))
    });

    // The checks Bazel makes when it loads the file (names, targets), on
    // this file and, with `BZLS_BENCH_BUILD=path`, on a real one.
    let semantic = |c: &mut Criterion, name: &str, snapshot: &DocumentSnapshot, memo| {
        let tree = snapshot.tree.as_ref().expect("tree");
        c.bench_function(&format!("semantic diagnostics of {name}"), |b| {
            b.iter(|| {
                black_box(semantic_diagnostics(
                    FileKind::Build,
                    tree,
                    &snapshot.rope,
                    "pkg",
                    &NoRules,
                    memo,
                ))
            })
        });
    };
    semantic(c, &format!("a {lines}-line macro BUILD"), &snapshot, None);
    if let Some(path) = std::env::var_os("BZLS_BENCH_BUILD") {
        let text = std::fs::read_to_string(&path).expect("read BZLS_BENCH_BUILD");
        let real = Document::new(FileKind::Build, 1, &text).snapshot();
        let name = format!(
            "{} ({} lines)",
            Path::new(&path).display(),
            text.lines().count()
        );
        semantic(c, &format!("{name}, fresh"), &real, None);
        // A later version: every statement's names come from the memo.
        let memo = NamesMemo::default();
        semantic(c, &format!("{name}, memo"), &real, Some(&memo));
    }

    // Typing inside a `deps` string: the evaluation is reused, labels are
    // checked again (a new unresolved one each time).
    let (line, col) = position_in(&s.text, "\"//dep/p7:util\"");
    c.bench_function("keystroke inside a deps label -> analysis + labels", |b| {
        typing(b, &s, line, col)
    });

    // Typing inside a target's name: the file is evaluated again.
    let (line, col) = position_in(&s.text, "\"pass10\"");
    c.bench_function(
        "keystroke inside a target name -> evaluation + labels",
        |b| typing(b, &s, line, col),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_analysis
}
criterion_main!(benches);
