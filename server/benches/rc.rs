//! Benchmarks for the .bazelrc model and features.
//!
//! Corpus: a generated rc file of about 50 KB shaped like TensorFlow's
//! (see [`generate_rc`]): 120 configs over `build:`, `test:`, `common:`
//! sections, nested `--config`s, quoting, continuations, comments and a
//! `try-import`. Run with `cargo bench -p bzls --bench rc`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::analysis::rc::completion::complete;
use bzls::analysis::rc::diagnostics::rc_diagnostics;
use bzls::analysis::rc::hover::hover;
use bzls::analysis::rc::RcContext;
use bzls::flags::{embedded, FlagDb};
use bzls::rc::chain::{Origin, RcRoot, RcSource, ReadError};
use bzls::rc::expand::expand;
use bzls::rc::{RcChain, RcReader};
use criterion::{criterion_group, criterion_main, Criterion};

const CONFIGS: usize = 120;

/// An rc file of at least `bytes` bytes.
fn generate_rc(bytes: usize) -> String {
    let mut out = String::from(
        "# Generated for benchmarks: the shape of a large monorepo's .bazelrc.\n\
common --announce_rc\n\
build --enable_platform_specific_config\n\
build --define=framework_shared_object=true --define=open_source_build=true\n\
build --copt=-Wno-sign-compare --host_copt=-Wno-sign-compare\n\
build:linux --copt=-w --host_copt=-w\n\
test --test_output=errors --test_summary=short\n\
try-import %workspace%/.user.bazelrc\n\n",
    );
    let mut i = 0;
    while out.len() < bytes {
        let c = i % CONFIGS;
        let base = (c + 1) % CONFIGS;
        out.push_str(&format!(
            "# Config cfg{c}: options for variant {i}.\n\
build:cfg{c} --define=variant_{i}=true --copt=\"-DVARIANT={i} -O2\" \\\n    --action_env=VAR_{i}=value_{i}\n\
build:cfg{c} --config=base{base} --compilation_mode=opt --jobs=8\n\
common:cfg{c} --experimental_repo_remote_exec\n\
test:cfg{c} --test_env=CFG={c} --test_timeout=60,300,900,3600\n\
build:base{c} --copt=-DBASE={c} --linkopt=-lm\n\n"
        ));
        i += 1;
    }
    out
}

struct MemReader(Arc<str>);

impl RcReader for MemReader {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError> {
        if path == Path::new("/ws/.bazelrc") {
            Ok(RcSource::new(self.0.clone()))
        } else {
            Err(ReadError::NotFound)
        }
    }
}

fn roots() -> Vec<RcRoot> {
    vec![RcRoot {
        path: PathBuf::from("/ws/.bazelrc"),
        origin: Origin::Workspace,
    }]
}

fn db() -> &'static FlagDb {
    embedded("7.1.0").expect("embedded 7.1.0")
}

fn bench_model(c: &mut Criterion) {
    let text: Arc<str> = Arc::from(generate_rc(50_000));
    let reader = MemReader(text.clone());
    let db = db();
    eprintln!(
        "corpus: {} bytes, {} lines",
        text.len(),
        text.lines().count()
    );

    c.bench_function("rc lex + parse, 50 KB", |b| {
        b.iter(|| RcSource::new(black_box(text.clone())))
    });
    c.bench_function("rc model (chain load + parse), 50 KB", |b| {
        b.iter(|| RcChain::load(Some(Path::new("/ws")), &roots(), black_box(&reader)))
    });
    let chain = RcChain::load(Some(Path::new("/ws")), &roots(), &reader);
    assert!(chain.config_names().count() >= 100);
    let ctx = RcContext {
        chain: &chain,
        db,
        exact: true,
        version: Some("7.1.0"),
        file: 0,
    };
    c.bench_function("rc diagnostics, 50 KB", |b| {
        b.iter(|| rc_diagnostics(black_box(&ctx)))
    });
    let args: Vec<String> = (0..5).map(|i| format!("--config=cfg{i}")).collect();
    c.bench_function("rc expansion, build with 5 configs", |b| {
        b.iter(|| expand(&chain, db, "test", black_box(&args), "linux"))
    });
}

fn bench_document(c: &mut Criterion) {
    use bzls::analysis::Document;
    use bzls::syntax::FileKind;
    use bzls::text::{LineCol, PositionEncoding, TextChange};
    let text = generate_rc(50_000);
    c.bench_function("rc document open (tree-sitter parse), 50 KB", |b| {
        b.iter(|| Document::new(FileKind::Bazelrc, 0, black_box(&text)))
    });
    let mut doc = Document::new(FileKind::Bazelrc, 0, &text);
    let line = (text.lines().count() / 2) as u32;
    let mut version = 0;
    let mut type_one = |doc: &mut Document| {
        version += 1;
        let at = LineCol::new(line, 0);
        doc.apply_changes(
            version,
            &[TextChange {
                range: Some((at, at)),
                text: " ".to_string(),
            }],
            PositionEncoding::Utf16,
        );
    };
    // What the server does for a keystroke in an rc file: apply the change
    // (the rc parse is updated line by line; the tree-sitter reparse waits),
    // then the diagnostics pass on the chain.
    let db = db();
    c.bench_function("rc keystroke: change + chain + diagnostics, 50 KB", |b| {
        b.iter(|| {
            type_one(&mut doc);
            let source = doc.rc_source().cloned().expect("rc source");
            let reader = move |_: &Path| -> Result<RcSource, ReadError> { Ok(source.clone()) };
            let chain = RcChain::load(Some(Path::new("/ws")), &roots(), &SourceReader(reader));
            let ctx = RcContext {
                chain: &chain,
                db,
                exact: true,
                version: Some("7.1.0"),
                file: 0,
            };
            rc_diagnostics(&ctx)
        })
    });
    c.bench_function(
        "rc deferred tree-sitter reparse after a keystroke, 50 KB",
        |b| {
            b.iter(|| {
                type_one(&mut doc);
                doc.tree().is_some()
            })
        },
    );
}

/// Hands out one already parsed file.
struct SourceReader<F>(F);

impl<F: Fn(&Path) -> Result<RcSource, ReadError>> RcReader for SourceReader<F> {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError> {
        (self.0)(path)
    }
}

fn bench_features(c: &mut Criterion) {
    let mut text = generate_rc(50_000);
    let config_at = text.len() + "build --config=".len();
    text.push_str("build --config=cf\n");
    let flag_at = text.len() + "test --test_o".len();
    text.push_str("test --test_o\n");
    let hover_at = text.len() + "build --config=cf".len();
    text.push_str("build --config=cfg7\n");
    let reader = MemReader(Arc::from(text));
    let chain = RcChain::load(Some(Path::new("/ws")), &roots(), &reader);
    let ctx = RcContext {
        chain: &chain,
        db: db(),
        exact: true,
        version: Some("7.1.0"),
        file: 0,
    };
    c.bench_function("rc completion after --config=", |b| {
        b.iter(|| complete(&ctx, black_box(config_at)))
    });
    c.bench_function("rc completion of test flags", |b| {
        b.iter(|| complete(&ctx, black_box(flag_at)))
    });
    c.bench_function("rc hover on --config=cfg7 (expansion)", |b| {
        b.iter(|| hover(&ctx, black_box(hover_at)))
    });
}

criterion_group!(benches, bench_model, bench_document, bench_features);
criterion_main!(benches);
