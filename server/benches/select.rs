//! Benchmarks for `select()` previews (`select`, `analysis::workspace::selects`).
//!
//! Corpus: a generated BUILD file of about 3,500 lines shaped like a
//! TensorFlow platform package (see [`generate_build`]): 100 `config_setting`s
//! over `values` (compilation_mode, cpu), `define_values`, `values` defines
//! and `flag_values` of two `string_flag`s, 10 aliases, and 100 targets with
//! 500 selects between them (`[...] + select() + select()`, defaults on
//! most). The rc file defines 20 configs, nested. Run with
//! `cargo bench -p bzls --bench select`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::analysis::workspace::selects::{preview, select_diagnostics, select_hints};
use bzls::flags::{embedded, FlagDb};
use bzls::rc::chain::{Origin, RcRoot, ReadError};
use bzls::rc::expand::expand;
use bzls::rc::RcChain;
use bzls::select::expr::{rule_calls, RuleCall};
use bzls::select::{ConfigValues, Env, Packages};
use bzls::syntax::{parse_str_with, Grammar};
use bzls::text::TextRange;
use criterion::{criterion_group, criterion_main, Criterion};
use ropey::Rope;

/// 100 config settings, 10 aliases, 2 flags, 100 targets × 5 selects.
fn generate_build() -> String {
    let mut out = String::new();
    out.push_str("load(\"@bazel_skylib//rules:common_settings.bzl\", \"string_flag\")\n\n");
    out.push_str("string_flag(name = \"backend\", build_setting_default = \"cpu\")\n");
    out.push_str("string_flag(name = \"level\", build_setting_default = \"1\")\n\n");
    for i in 0..100 {
        let body = match i % 5 {
            0 => format!("    values = {{\"compilation_mode\": \"{}\"}},\n", ["opt", "dbg", "fastbuild"][i % 3]),
            1 => format!("    define_values = {{\"feature_{}\": \"true\"}},\n", i % 17),
            2 => format!(
                "    values = {{\n        \"compilation_mode\": \"opt\",\n        \"define\": \"feature_{}=true\",\n    }},\n",
                i % 17
            ),
            3 => format!("    values = {{\"cpu\": \"{}\"}},\n", ["k8", "arm", "ppc", "darwin"][i % 4]),
            _ => format!(
                "    flag_values = {{\n        \":backend\": \"{}\",\n        \":level\": \"{}\",\n    }},\n",
                ["cpu", "gpu", "tpu"][i % 3],
                i % 4
            ),
        };
        out.push_str(&format!(
            "config_setting(\n    name = \"cond_{i}\",\n{body})\n\n"
        ));
    }
    for i in 0..10 {
        out.push_str(&format!(
            "alias(name = \"alias_{i}\", actual = \":cond_{}\")\n",
            i * 7
        ));
    }
    out.push('\n');
    for t in 0..100 {
        out.push_str(&format!(
            "cc_library(\n    name = \"lib_{t}\",\n    srcs = [\"lib_{t}.cc\"]"
        ));
        for s in 0..5 {
            let a = (t * 5 + s) % 100;
            let b = (t * 3 + s * 11) % 100;
            let key_a = if s == 4 {
                format!(":alias_{}", a % 10)
            } else {
                format!(":cond_{a}")
            };
            out.push_str(&format!(
                " + select({{\n        \"{key_a}\": [\"a_{t}_{s}.cc\"],\n        \":cond_{b}\": [\"b_{t}_{s}.cc\"],\n"
            ));
            if (t + s) % 7 != 0 {
                out.push_str("        \"//conditions:default\": [],\n");
            }
            out.push_str("    })");
        }
        out.push_str(",\n    deps = [\":base\"],\n)\n\n");
    }
    out
}

fn generate_rc() -> String {
    let mut out = String::new();
    for i in 0..20 {
        out.push_str(&format!("# Config {i}.\n"));
        out.push_str(&format!("build:c{i} --define=feature_{}=true\n", i % 17));
        if i % 3 == 0 {
            out.push_str(&format!("build:c{i} -c opt --config=c{}\n", (i + 1) % 20));
        }
        if i % 4 == 0 {
            out.push_str(&format!("build:c{i} --//pkg:backend=gpu\n"));
        }
    }
    out
}

struct OnePackage(Arc<Vec<RuleCall>>);

impl Packages for OnePackage {
    fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>> {
        (package == "pkg").then(|| self.0.clone())
    }
}

fn db() -> &'static FlagDb {
    embedded("7.1.0").expect("embedded 7.1.0")
}

fn chain(rc: &str) -> RcChain {
    let text: Arc<str> = Arc::from(rc);
    let reader = move |p: &Path| {
        (p == Path::new("/ws/.bazelrc"))
            .then(|| text.clone())
            .ok_or(ReadError::NotFound)
    };
    RcChain::load(
        Some(Path::new("/ws")),
        &[RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: Origin::Workspace,
        }],
        &reader,
    )
}

fn bench_select(c: &mut Criterion) {
    let build = generate_build();
    let lines = build.lines().count();
    let tree = parse_str_with(Grammar::Starlark, &build);
    let rope = Rope::from_str(&build);
    let packages = OnePackage(Arc::new(rule_calls(&tree, &rope)));
    let chain = chain(&generate_rc());
    let db = db();
    let args: Vec<String> = vec!["--config=c0".into(), "--config=c5".into()];
    let ex = expand(&chain, db, "build", &args, "linux");
    let values = ConfigValues::from_expansion(&ex, db);
    let env = Env::new(&packages, &values, db);
    let selects: usize = preview(&tree, &rope, "pkg", &env)
        .iter()
        .flat_map(|t| &t.attributes)
        .map(|a| a.selects.len())
        .sum();
    assert_eq!(selects, 500, "the corpus has 500 selects");
    c.bench_function(
        &format!("evaluate every select: {lines} lines, 500 selects, 100 config_settings"),
        |b| {
            b.iter(|| {
                // A fresh environment: nothing evaluated yet.
                let env = Env::new(&packages, &values, db);
                preview(black_box(&tree), &rope, "pkg", &env)
            })
        },
    );
    c.bench_function(
        &format!("read the calls of {lines} lines (part of the above)"),
        |b| b.iter(|| rule_calls(black_box(&tree), &rope)),
    );
    // What switching the configuration costs one open file: expand the new
    // command line, then the previews, diagnostics and hints.
    let mut which = 0usize;
    c.bench_function(
        "switch config: expand + previews + diagnostics + hints",
        |b| {
            b.iter(|| {
                which += 1;
                let args = vec![
                    format!("--config=c{}", which % 20),
                    "-c".into(),
                    "dbg".into(),
                ];
                let ex = expand(&chain, db, "build", &args, "linux");
                let values = ConfigValues::from_expansion(&ex, db);
                let env = Env::new(&packages, &values, db);
                let previews = preview(&tree, &rope, "pkg", &env);
                let diagnostics = select_diagnostics(&previews, &rope, "bazel build");
                let hints = select_hints(&previews, TextRange::new(0, build.len()));
                (diagnostics.len(), hints.len())
            })
        },
    );
}

criterion_group!(benches, bench_select);
criterion_main!(benches);
