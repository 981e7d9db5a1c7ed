//! bzls's semantic diagnostics against real Bazel 2.1.0's loading phase.
//!
//! Each case is a package `cN` whose BUILD file (and `defs.bzl`, which the
//! BUILD file loads) is put together from snippets, each either clean or
//! holding one error Bazel rejects when it loads the package: the first
//! cases hold one snippet each, the rest a seeded mix. For every case,
//! `bazel query //cN:all` fails exactly when `bzls check` reports an error
//! in the package's files, and then bzls marks a line Bazel reports an
//! error on (Bazel stops at its first failing phase, so it may report
//! fewer; the snippets keep each call on one line, where Bazel places rule
//! errors).
//!
//! Not compared, because Bazel 2.1.0 is older than what bzls checks for:
//! `lambda` and nested `def` in `.bzl` files (rejected by 2.1.0, allowed
//! since; a `lambda` in a BUILD file is rejected by both), globals
//! added later (`json`), MODULE.bazel (none in 2.1.0).
//!
//! Environment: `BZLS_STARLARK_SEED=N` (default fixed),
//! `BZLS_STARLARK_CASES=N` (default 90), `BZLS_STARLARK_SHOW=1` prints
//! every case. Bazel comes from the test cache, as for the other oracle
//! tests (skipped without npm, unless `$CI` is set).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Instant;

use bzls_e2e::bazel::{bazel_2_1_0, env_number, env_seed, BazelServer};
use bzls_e2e::rng::Rng;
use bzls_e2e::{bzls_bin, say};
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x5ea_2010;
const DEFAULT_CASES: usize = 90;

/// Where a snippet goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Build,
    Bzl,
}

/// A snippet: where it goes, its text (`{n}` is replaced by a number
/// unique in the case), and whether Bazel rejects it (for the report
/// only: Bazel decides).
const SNIPPETS: &[(Place, &str, bool)] = &[
    // Clean BUILD snippets.
    (Place::Build, "cc_library(name = \"lib{n}\", srcs = [], deps = [], copts = {\"-O2\": 1})", false),
    (Place::Build, "genrule(name = \"gen{n}\", outs = [\"out{n}.txt\"], cmd = \"touch $@\")", false),
    (Place::Build, "config_setting(name = \"cs{n}\", values = {\"compilation_mode\": \"opt\"})", false),
    (Place::Build, "X{n} = [\"manual\"]\ntest_suite(name = \"ts{n}\", tags = X{n})", false),
    (Place::Build, "Y{n} = 1\nY{n} = 2\nfilegroup(name = \"fg{n}\", srcs = [], tags = [str(Y{n})])", false),
    (Place::Build, "filegroup(name = \"fl{n}\", srcs = [x for x in []], tags = [\"a\", \"a\"])", false),
    (Place::Build, "cc_library(name = \"bo{n}\", linkstatic = True, alwayslink = 1, deps = [])", false),
    (Place::Build, "load(\":defs.bzl\", \"ok\")\nload(\":defs.bzl\", ok2 = \"ok\")", false),
    // Faulty BUILD snippets.
    (Place::Build, "undefined_fn{n}(name = \"u{n}\")", true),
    (Place::Build, "cc_libary(name = \"t{n}\")", true),
    (Place::Build, "cc_library(name = \"d{n}\")\ncc_library(name = \"d{n}\")", true),
    (Place::Build, "cc_library(name = \"ua{n}\", srcz = [])", true),
    (Place::Build, "cc_library(name = \"lt{n}\", linkstatic = [])", true),
    (Place::Build, "cc_library(name = \"ls{n}\", linkopts = \"-lm\")", true),
    (Place::Build, "alias(name = \"ma{n}\")", true),
    (Place::Build, "cc_library(srcs = [])", true),
    (Place::Build, "cc_library(name = \"in:{n}\")", true),
    (Place::Build, "genrule(name = \"g2{n}\", outs = [\"o{n}\"], cmd = \"\")\nfilegroup(name = \"dl{n}\", srcs = [\":g2{n}\", \"//c{case}:g2{n}\"])", true),
    (Place::Build, "y{n} = z_later{n}\nz_later{n} = 1", true),
    (Place::Build, "x{n} = [undefined_y{n} for _ in []]", true),
    (Place::Build, "load(\":defs.bzl\", \"ok\", \"ok\")", true),
    (Place::Build, "f{n} = lambda: 1", true),
    (Place::Build, "genrule(name = \"ga{n}\", outs = [\"o{n}.x\"], cmd = \"\")\ngenrule(name = \"gb{n}\", outs = [\"o{n}.x\"], cmd = \"\")", true),
    (Place::Build, "genrule(name = \"gp{n}\", outs = [\"p{n}\", \"p{n}/q\"], cmd = \"\")", true),
    (Place::Build, "exports_files([\"e{n}.txt\"])\ncc_library(name = \"e{n}.txt\")", true),
    (Place::Build, "genrule(name = \"gs{n}\", outs = [\"gs{n}\"], cmd = \"\")", false),
    // Clean .bzl snippets.
    (Place::Bzl, "def h{n}(x, y = OK_LIST):\n    return [z for z in x] + y", false),
    (Place::Bzl, "P{n} = provider(fields = [\"a\"])", false),
    (Place::Bzl, "def _impl{n}(ctx):\n    return [DefaultInfo(files = depset(ctx.files.srcs))]\n\nr{n} = rule(implementation = _impl{n}, attrs = {\"srcs\": attr.label_list()})", false),
    // Faulty .bzl snippets.
    (Place::Bzl, "g{n} = 1\ng{n} = 2", true),
    (Place::Bzl, "load(\"//:root.bzl\", \"root{n}\")", true),
    (Place::Bzl, "def f{n}():\n    return undefined_q{n}", true),
    (Place::Bzl, "b{n} = later{n}\nlater{n} = 1", true),
    (Place::Bzl, "v{n} = [1]\nv{n} += [2]", true),
];

/// One generated package.
struct Case {
    index: usize,
    build: String,
    bzl: String,
    snippets: Vec<usize>,
}

fn generate(seed: u64, index: usize) -> Case {
    let picks: Vec<usize> = if index < SNIPPETS.len() {
        vec![index]
    } else {
        let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let count = 1 + rng.below(4);
        (0..count).map(|_| rng.below(SNIPPETS.len())).collect()
    };
    let mut build = String::from("load(\":defs.bzl\", \"ok\")\n");
    let mut bzl = String::from("\"\"\"Generated.\"\"\"\n\nok = 1\nOK_LIST = []\n");
    // Late loads go last in the .bzl file: after every other statement.
    let mut late = String::new();
    for (n, &pick) in picks.iter().enumerate() {
        let (place, text, _) = SNIPPETS[pick];
        let text = text
            .replace("{n}", &n.to_string())
            .replace("{case}", &index.to_string());
        match place {
            Place::Build => {
                build.push_str(&text);
                build.push('\n');
            }
            Place::Bzl if text.starts_with("load(") => {
                late.push_str(&text);
                late.push('\n');
            }
            Place::Bzl => {
                bzl.push_str(&text);
                bzl.push('\n');
            }
        }
    }
    bzl.push_str(&late);
    // Every name the BUILD file reads from `ok` is used: no warning is at
    // stake here, and `ok` makes the .bzl file load.
    build.push_str("OK_USED = ok\n");
    Case {
        index,
        build,
        bzl,
        snippets: picks,
    }
}

/// The error lines Bazel reported for a file of the case (1-based).
fn bazel_error_lines(stderr: &str, file: &str) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("ERROR: ") else {
            continue;
        };
        let Some(at) = rest.find(file) else {
            continue;
        };
        let after = &rest[at + file.len()..];
        let Some(number) = after.strip_prefix(':') else {
            continue;
        };
        let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse() {
            lines.insert(n);
        }
    }
    lines
}

#[test]
fn semantic_errors_match_bazel_2_1_0() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let seed = env_seed("BZLS_STARLARK_SEED", DEFAULT_SEED);
    let count = env_number("BZLS_STARLARK_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let show = std::env::var_os("BZLS_STARLARK_SHOW").is_some_and(|v| v == "1");
    let _ = bzls_bin();
    let started = Instant::now();
    let server = BazelServer::start(&bazel);
    server.reset();
    let ws = server.workspace().to_path_buf();
    std::fs::write(
        ws.join("root.bzl"),
        "root0 = 1\nroot1 = 1\nroot2 = 1\nroot3 = 1\n",
    )
    .expect("write root.bzl");
    let cases: Vec<Case> = (0..count.max(SNIPPETS.len()))
        .map(|i| generate(seed, i))
        .collect();
    for case in &cases {
        let dir = ws.join(format!("c{}", case.index));
        std::fs::create_dir_all(&dir).expect("create case dir");
        std::fs::write(dir.join("BUILD"), &case.build).expect("write BUILD");
        std::fs::write(dir.join("defs.bzl"), &case.bzl).expect("write defs.bzl");
    }
    // bzls: one run over the whole workspace.
    let out = Command::new(bzls_bin())
        .args(["check", "--format", "json"])
        .arg(&ws)
        .current_dir(&ws)
        .env("HOME", server.home())
        .env("XDG_CACHE_HOME", server.home().join(".cache"))
        .output()
        .expect("run bzls check");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bzls check printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // file -> error lines (1-based), and every message, by file.
    let mut bzls_errors: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut messages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in json.as_array().expect("a JSON array") {
        let file = d["file"].as_str().unwrap_or_default().to_owned();
        let line = d["range"]["start"]["line"].as_u64().unwrap_or(0) as u32 + 1;
        messages.entry(file.clone()).or_default().push(format!(
            "{line}: {}[{}]: {}",
            d["severity"].as_str().unwrap_or(""),
            d["code"].as_str().unwrap_or(""),
            d["message"].as_str().unwrap_or("")
        ));
        if d["severity"] == "error" {
            bzls_errors.entry(file).or_default().insert(line);
        }
    }
    let mut failures = Vec::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        let pkg = format!("c{}", case.index);
        let run = server.run(&["query", "--noshow_progress", &format!("//{pkg}:all")]);
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        let bazel_failed = !run.status.success();
        let mut mismatch = Vec::new();
        let mut bzls_failed = false;
        // Bazel stops at its first failing phase (the .bzl file's, then the
        // BUILD file's resolver, then its evaluation): one of the places it
        // reports must be one bzls marks.
        let (mut theirs_all, mut met) = (Vec::new(), false);
        for file in ["BUILD", "defs.bzl"] {
            let key = format!("{pkg}/{file}");
            let ours = bzls_errors.get(&key).cloned().unwrap_or_default();
            bzls_failed |= !ours.is_empty();
            let theirs = bazel_error_lines(&stderr, &format!("/{key}"));
            met |= !ours.is_disjoint(&theirs);
            theirs_all.extend(theirs.iter().map(|l| format!("{file}:{l}")));
        }
        if bazel_failed && bzls_failed && !theirs_all.is_empty() && !met {
            mismatch.push(format!(
                "bzls marks none of the lines Bazel reports errors on ({theirs_all:?})"
            ));
        }
        if bazel_failed != bzls_failed {
            mismatch.push(format!(
                "Bazel {} but bzls reports {}",
                if bazel_failed {
                    "fails"
                } else {
                    "loads the package"
                },
                if bzls_failed { "errors" } else { "no error" }
            ));
        }
        *outcomes
            .entry(if bazel_failed { "rejected" } else { "loaded" })
            .or_default() += 1;
        let report = || {
            let ours: Vec<String> = ["BUILD", "defs.bzl"]
                .iter()
                .flat_map(|f| {
                    messages
                        .get(&format!("{pkg}/{f}"))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            format!(
                "case {} (snippets {:?}, seed {seed:#x}):\n--- BUILD\n{}--- defs.bzl\n{}--- Bazel (exit {:?}):\n{}--- bzls:\n{}\n",
                case.index,
                case.snippets,
                case.build,
                case.bzl,
                run.status.code(),
                stderr
                    .lines()
                    .filter(|l| l.starts_with("ERROR") || l.starts_with("WARNING"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                ours.join("\n")
            )
        };
        if show {
            say!("{}", report());
        }
        if !mismatch.is_empty() {
            failures.push(format!("{}\n{}", mismatch.join("\n"), report()));
        }
    }
    say!(
        "starlark conformance: seed {seed:#x}, {}/{} cases agree in {:.1?} (Bazel cold start {:.1?}); Bazel: {outcomes:?}",
        cases.len() - failures.len(),
        cases.len(),
        started.elapsed(),
        server.cold_start
    );
    drop(server);
    assert!(
        failures.is_empty(),
        "bzls disagrees with Bazel 2.1.0 on {} cases:\n\n{}",
        failures.len(),
        failures.into_iter().take(5).collect::<Vec<_>>().join("\n")
    );
}

/// Every snippet Bazel is said to reject is, alone, a case of its own (no
/// Bazel needed): the mix never hides one.
#[test]
fn each_snippet_is_a_case_alone() {
    for i in 0..SNIPPETS.len() {
        assert_eq!(generate(DEFAULT_SEED, i).snippets, vec![i]);
    }
    let faulty = SNIPPETS.iter().filter(|s| s.2).count();
    assert!(faulty >= 15, "{faulty} faulty snippets");
}
