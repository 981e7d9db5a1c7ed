//! Evaluating a BUILD file with the workspace's `.bzl` macros, as Bazel's
//! loading phase does.
//!
//! Input: text split at `//- NAME` lines. Text before the first marker is
//! the BUILD file of package `pkg`; up to 3 parts named like `//defs.bzl`
//! or `@repo//x/defs.bzl` are `.bzl` modules (loaded as `//:defs.bzl`,
//! `@repo//x:defs.bzl`); `@files` lists the package's files for `glob()`,
//! one a line; `@subpackages` its subpackages, one a line.
//!
//! Invariants (the evaluator's own, in `workspace/eval/mod.rs`):
//! - never panics (the evaluator's `catch_unwind` is a safety net; the
//!   fuzzer's panic hook still reports a panic caught there), never hangs
//!   (libFuzzer's `-timeout`), never blows memory (`-rss_limit_mb`);
//! - a target's `name_range` and `call_range`, and every load's ranges, lie
//!   within the BUILD text, on character boundaries;
//! - evaluating again with the same evaluator (frozen modules now cached)
//!   declares the same targets and loads.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use bzls::workspace::eval::{EvalSource, Evaluation, Evaluator, ModuleKey};
use bzls_fuzz::{check_range, on_big_stack, parts};
use libfuzzer_sys::fuzz_target;

const MAX_MODULES: usize = 3;

#[derive(Default)]
struct Memory {
    /// By `//path` (main repository) or `@repo//path`.
    modules: HashMap<String, Arc<str>>,
    files: Vec<String>,
    subpackages: Option<Vec<String>>,
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

    fn package_files(&self, _package: &str) -> Vec<String> {
        self.files.clone()
    }

    fn subpackages(&self, _package: &str) -> Option<Vec<String>> {
        self.subpackages.clone()
    }
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data).into_owned();
    on_big_stack(move || run(&input));
});

fn lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).take(256).map(str::to_owned).collect()
}

fn run(input: &str) {
    let mut build = String::new();
    let mut memory = Memory::default();
    for part in parts(input, 8) {
        match part.name.as_deref() {
            None => build = part.text,
            Some("@files") => memory.files = lines(&part.text),
            Some("@subpackages") => memory.subpackages = Some(lines(&part.text)),
            Some(name) => {
                if memory.modules.len() < MAX_MODULES {
                    memory.modules.insert(name.to_owned(), Arc::from(part.text.as_str()));
                }
            }
        }
    }
    let evaluator = Evaluator::new();
    let first = evaluator.evaluate("pkg", &build, &memory);
    check(&build, &first);
    let again = evaluator.evaluate("pkg", &build, &memory);
    assert_eq!(
        first.decls, again.decls,
        "a second evaluation with cached modules declares something else"
    );
}

fn check(build: &str, evaluation: &Evaluation) {
    for t in &evaluation.decls.targets {
        let what = format!("target {:?} ({})", t.name, t.kind);
        check_range(build, t.name_range, &what);
        check_range(build, t.call_range, &what);
    }
    for load in &evaluation.decls.loads {
        let what = format!("load {:?}", load.module);
        check_range(build, load.module_range, &what);
        for (local, _, range) in &load.symbols {
            check_range(build, *range, &format!("{what} symbol {local:?}"));
        }
    }
}
