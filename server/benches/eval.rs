//! Benchmarks for BUILD evaluation (`workspace::eval`).
//!
//! Corpus: a typical BUILD file of 10 rules (libraries, tests, a genrule, a
//! glob) with one macro `load()` from the workspace's own `tools/defs.bzl`,
//! whose macro makes two targets. Run with
//! `cargo bench -p bzls --bench eval`.

use std::hint::black_box;
use std::sync::Arc;

use bzls::workspace::eval::{EvalSource, Evaluator, ModuleKey};
use criterion::{criterion_group, criterion_main, Criterion};

const DEFS: &str = r#"
load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")

def my_test(name, srcs = [], deps = [], **kwargs):
    cc_library(name = name + "_lib", srcs = srcs, deps = deps, testonly = True)
    cc_test(name = name, deps = [":" + name + "_lib"], **kwargs)
"#;

const BUILD: &str = r#"
load("//tools:defs.bzl", "my_test")

package(default_visibility = ["//visibility:public"])

cc_library(
    name = "base",
    srcs = glob(["base/*.cc"], exclude = ["base/*_test.cc"]),
    hdrs = glob(["base/*.h"]),
    copts = ["-Wall"] + select({"//conditions:default": []}),
)
cc_library(name = "strings", srcs = ["strings.cc"], hdrs = ["strings.h"], deps = [":base"])
cc_library(name = "io", srcs = ["io.cc"], hdrs = ["io.h"], deps = [":base", ":strings"])
cc_binary(name = "tool", srcs = ["main.cc"], deps = [":io"])
genrule(name = "version", outs = ["version.h"], cmd = "echo '#define V 1' > $@")
cc_test(name = "strings_test", srcs = ["strings_test.cc"], deps = [":strings"])
cc_test(name = "io_test", srcs = ["io_test.cc"], deps = [":io"])
filegroup(name = "data", srcs = glob(["data/**"]))
exports_files(["LICENSE"])
my_test(name = "base_test", srcs = ["base/base_test.cc"], deps = [":base"])
"#;

struct Source;

impl EvalSource for Source {
    fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>> {
        (key.repo.is_empty() && key.path == "tools/defs.bzl").then(|| Arc::from(DEFS))
    }

    fn package_files(&self, _package: &str) -> Vec<String> {
        let mut files: Vec<String> = (0..40)
            .flat_map(|i| [format!("base/f{i}.cc"), format!("base/f{i}.h")])
            .collect();
        files.extend((0..20).map(|i| format!("data/d{}/x{i}.json", i % 4)));
        files.push("base/base_test.cc".to_string());
        files
    }
}

fn bench_evaluate(c: &mut Criterion) {
    let evaluator = Evaluator::new();
    let first = evaluator.evaluate("pkg", BUILD, &Source);
    assert!(!first.decls.open, "{:?}", first.open_reasons);
    assert_eq!(first.decls.targets.len(), 12);
    c.bench_function("evaluate a 10-rule BUILD, macro module cached", |b| {
        b.iter(|| black_box(evaluator.evaluate("pkg", black_box(BUILD), &Source)))
    });
    c.bench_function(
        "evaluate a 10-rule BUILD, macro module evaluated too",
        |b| b.iter(|| black_box(Evaluator::new().evaluate("pkg", black_box(BUILD), &Source))),
    );
}

criterion_group!(benches, bench_evaluate);
criterion_main!(benches);
