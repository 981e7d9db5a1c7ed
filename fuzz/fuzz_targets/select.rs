//! `select()` under a configuration, as the select module's fixture tests
//! drive it: BUILD files read statically (`rule_calls`), an rc chain
//! expanded for `bazel build ARGS` with the embedded Bazel 2.1.0 flags,
//! `ConfigValues` from the expansion, then every attribute holding a select
//! configured (`evaluate_call`).
//!
//! Input: text split at `//- NAME` lines. Text before the first marker is
//! the BUILD file of package `pkg`; `NAME` ending in `BUILD` is the BUILD
//! file of that directory's package (`//- /plat/BUILD`); `@args` holds the
//! command-line arguments, one a line; any other `NAME` is an rc file under `/ws`
//! (`//- /.bazelrc`).
//!
//! Invariants:
//! - an outcome is consistent with its conditions: `Chosen(i)` is a
//!   matching condition or the default (and the default only when nothing
//!   matches), `Ambiguous` lists two or more matches, `NoMatch` means no
//!   match and no default; one condition per branch;
//! - the outcome does not depend on the order of the keys ("what is left
//!   is the set of most specialised matches, whatever the key order"):
//!   the select with its branches reversed resolves to the same label(s);
//! - `rule_calls_reusing` over successive texts equals `rule_calls` ("a
//!   statement's calls depend on its own text only").
#![no_main]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::flags::embedded;
use bzls::rc::chain::{Origin, RcRoot, ReadError};
use bzls::rc::expand::expand;
use bzls::rc::RcChain;
use bzls::select::conditions::{Env, Packages, Verdict, DEFAULT_CONDITION};
use bzls::select::expr::{rule_calls, rule_calls_reusing, CallPieces, RuleCall, Select};
use bzls::select::resolve::{evaluate_call, evaluate_select, Outcome, SelectEval};
use bzls::select::values::ConfigValues;
use bzls::select::flat_strings;
use bzls::syntax::parse_str;
use bzls_fuzz::{check_range, on_big_stack, parts};
use libfuzzer_sys::fuzz_target;
use ropey::Rope;

const MAX_PARTS: usize = 8;
const MAX_CALLS: usize = 200;

struct Memory(HashMap<String, Arc<Vec<RuleCall>>>);

impl Packages for Memory {
    fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>> {
        self.0.get(package).cloned()
    }
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data).into_owned();
    on_big_stack(move || run(&input));
});

fn run(input: &str) {
    let mut builds: Vec<(String, String)> = Vec::new();
    let mut rc: HashMap<PathBuf, Arc<str>> = HashMap::new();
    let mut args: Vec<String> = Vec::new();
    for part in parts(input, MAX_PARTS) {
        match part.name.as_deref() {
            None => builds.push(("pkg".to_owned(), part.text)),
            Some("@args") => args = part.text.lines().take(64).map(str::to_owned).collect(),
            Some(name) if name.ends_with("BUILD") => {
                let dir = name.strip_suffix("BUILD").unwrap_or("");
                let package = dir.trim_start_matches('/').trim_end_matches('/');
                builds.push((package.to_owned(), part.text));
            }
            Some(name) => {
                rc.insert(Path::new("/ws").join(name.trim_start_matches('/')), Arc::from(part.text.as_str()));
            }
        }
    }

    // The static reading, and its reusing variant over the texts in turn.
    let mut packages = HashMap::new();
    let mut pieces: Option<CallPieces> = None;
    for (package, text) in &builds {
        let tree = parse_str(text);
        let rope = Rope::from_str(text);
        let calls = rule_calls(&tree, &rope);
        let (reused, next) = rule_calls_reusing(&tree, &rope, pieces.as_ref());
        assert_eq!(reused, calls, "rule_calls_reusing differs from rule_calls on {text:?}");
        pieces = Some(next);
        for call in &calls {
            check_range(text, call.range, "call");
        }
        packages.insert(package.clone(), (Arc::new(calls), text.clone()));
    }
    let memory = Memory(packages.iter().map(|(k, (c, _))| (k.clone(), c.clone())).collect());

    let reader = move |p: &Path| rc.get(p).cloned().ok_or(ReadError::NotFound);
    let chain = RcChain::load_for(
        Some(Path::new("/ws")),
        &[RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: Origin::Workspace,
        }],
        &reader,
        Some([2, 1, 0]),
    );
    let db = embedded("2.1.0").expect("the embedded 2.1.0 database");
    let ex = expand(&chain, db, "build", &args, "linux");
    let values = ConfigValues::from_expansion(&ex, db);
    let env = Env::new(&memory, &values, db);

    let mut evaluated = 0;
    for (package, (calls, text)) in &packages {
        for call in calls.iter() {
            if evaluated >= MAX_CALLS {
                return;
            }
            evaluated += 1;
            for attr in evaluate_call(&env, call, package) {
                let _ = attr.value.as_ref().and_then(flat_strings);
                for eval in &attr.selects {
                    check_outcome(eval, text);
                    let _ = eval.error_message(&attr.name, "//pkg:t");
                }
                for select in call.attr(&attr.name).map(|v| v.selects()).unwrap_or_default() {
                    check_order_independence(&env, select, package);
                }
            }
        }
    }
}

fn check_outcome(eval: &SelectEval, text: &str) {
    let n = eval.conditions.len();
    assert_eq!(eval.key_ranges.len(), n, "one key range per condition");
    check_range(text, eval.range, "select range");
    for r in &eval.key_ranges {
        check_range(text, *r, "select key range");
    }
    let matches = |i: usize| {
        eval.conditions[i].label != DEFAULT_CONDITION && eval.conditions[i].verdict == Verdict::Yes
    };
    let any_match = (0..n).any(matches);
    let has_default = eval.conditions.iter().any(|c| c.label == DEFAULT_CONDITION);
    match &eval.outcome {
        Outcome::Chosen(i) => {
            assert!(*i < n, "chosen {i} of {n}");
            if eval.conditions[*i].label == DEFAULT_CONDITION {
                assert!(!any_match, "the default chosen although {:?} match", eval.matching());
            } else {
                assert!(matches(*i), "chose {:?}, which does not match", eval.conditions[*i]);
            }
        }
        Outcome::Ambiguous(list) => {
            assert!(list.len() >= 2, "ambiguous with {list:?}");
            for &i in list {
                assert!(i < n && matches(i), "ambiguous {i}, which does not match");
            }
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "ambiguous lists {list:?}");
        }
        Outcome::NoMatch => {
            assert!(!any_match && !has_default, "no match, yet {:?} / default {has_default}", eval.matching());
        }
        Outcome::Unknown(_) => {}
    }
}

/// The labels an outcome comes to, whatever the branches' order.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    Chosen(String),
    Ambiguous(Vec<String>),
    NoMatch,
    Unknown,
}

fn resolved(eval: &SelectEval) -> Resolved {
    match &eval.outcome {
        Outcome::Chosen(i) => Resolved::Chosen(eval.conditions[*i].label.clone()),
        Outcome::Ambiguous(list) => {
            let mut labels: Vec<String> = list.iter().map(|&i| eval.conditions[i].label.clone()).collect();
            labels.sort();
            Resolved::Ambiguous(labels)
        }
        Outcome::NoMatch => Resolved::NoMatch,
        Outcome::Unknown(_) => Resolved::Unknown,
    }
}

fn check_order_independence(env: &Env<'_>, select: &Select, package: &str) {
    let forward = evaluate_select(env, select, package);
    let mut reversed = select.clone();
    reversed.branches.reverse();
    let backward = evaluate_select(env, &reversed, package);
    assert_eq!(
        resolved(&forward),
        resolved(&backward),
        "the outcome depends on the key order: {:?} vs reversed {:?}",
        forward.outcome,
        backward.outcome
    );
}
