//! Benchmarks for `select()` previews (`select`, `analysis::workspace::selects`).
//!
//! Corpus: a generated BUILD file of about 3,500 lines shaped like a
//! TensorFlow platform package (see `bzls::select::corpus`): 100 `config_setting`s
//! over `values` (compilation_mode, cpu), `define_values`, `values` defines
//! and `flag_values` of two `string_flag`s, 10 aliases, and 100 targets with
//! 500 selects between them (`[...] + select() + select()`, defaults on
//! most). The rc file defines 20 configs, nested. Run with
//! `cargo bench -p bzls --bench select`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::analysis::workspace::selects::{
    preview, preview_calls, select_diagnostics, select_hints,
};
use bzls::flags::{embedded, FlagDb};
use bzls::rc::chain::{Origin, RcRoot, ReadError};
use bzls::rc::expand::expand;
use bzls::rc::RcChain;
use bzls::select::corpus::{build_file, rc_file};
use bzls::select::expr::{rule_calls, RuleCall};
use bzls::select::{ConfigValues, Env, Packages};
use bzls::syntax::{parse_str_with, Grammar};
use bzls::text::TextRange;
use criterion::{criterion_group, criterion_main, Criterion};
use ropey::Rope;

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
    let build = build_file();
    let lines = build.lines().count();
    let tree = parse_str_with(Grammar::Starlark, &build);
    let rope = Rope::from_str(&build);
    let packages = OnePackage(Arc::new(rule_calls(&tree, &rope)));
    let chain = chain(&rc_file());
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
    // command line, then the previews, diagnostics and hints. The file's
    // calls were read for its current text already (the server keeps them
    // per document generation), so they are reused, as in the server.
    let mut which = 0usize;
    c.bench_function(
        "switch config: expand + evaluate + diagnostics + hints (calls already read)",
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
                let previews = preview_calls(&packages.0, "pkg", &env);
                let diagnostics = select_diagnostics(&previews, &rope, "bazel build");
                let hints = select_hints(&previews, TextRange::new(0, build.len()));
                (diagnostics.len(), hints.len())
            })
        },
    );
}

criterion_group!(benches, bench_select);
criterion_main!(benches);
