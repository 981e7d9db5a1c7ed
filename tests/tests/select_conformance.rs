//! `bzls select` against real Bazel 2.1.0: seeded workspaces
//! ([`bzls_e2e::select_gen`]) whose `//pkg:t` is a filegroup of selects;
//! `bazel cquery ARGS 'labels(srcs, //pkg:t)'` and `bzls select --format
//! json //pkg:t -- ARGS` must agree on every case:
//!
//! - when Bazel lists labels, bzls's status is `ok` (exit 0), its `srcs`
//!   value is the same set of labels, and every select's `chosen` branch
//!   is the one whose leaves Bazel lists (each branch has its own leaves);
//! - when Bazel fails, bzls's status is `error` (exit 1) of the same
//!   class: `ambiguous`, `no-match` (both with Bazel's message, location
//!   left out) or `rc-error`;
//! - `unknown` is always a disagreement: the generator only writes what
//!   bzls must decide.
//!
//! One workspace and one Bazel server serve every case; the server is shut
//! down at the end.
//!
//! Environment:
//! - `BZLS_SELECT_SEED=N` (decimal or 0x-hex; `random` for a fresh one);
//!   default: a fixed seed, so CI is reproducible.
//! - `BZLS_SELECT_CASES=N` how many (default 300); `BZLS_SELECT_ONLY=I`
//!   runs case I alone.
//! - `BZLS_SELECT_SHOW=1` prints every case with both answers.
//! - `BZLS_TEST_CACHE` where Bazel is installed (default
//!   `target/test-cache`); without npm or network the test is skipped,
//!   unless `$CI` is set: then it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use bzls_e2e::bazel::{bazel_2_1_0, env_number, env_seed, shell_words, BazelServer};
use bzls_e2e::select_gen::{generate, read_cquery, CqueryAnswer, SelectCase, QUERY, TARGET};
use bzls_e2e::{bzls_bin, say};
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x5e1e_c7ed_2010;
const DEFAULT_CASES: usize = 300;
/// Stop after this many mismatches: the report stays readable.
const MAX_REPORTED: usize = 5;

fn write_case(server: &BazelServer, case: &SelectCase) {
    server.reset();
    for (path, text) in &case.files {
        let path = server.workspace().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create case dir");
        }
        std::fs::write(&path, text).expect("write case file");
    }
}

/// What `bazel cquery` printed.
struct BazelRun {
    exit_code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_bazel(server: &BazelServer, case: &SelectCase) -> BazelRun {
    let mut args: Vec<&str> = vec!["cquery", "--noshow_progress"];
    args.extend(case.args.iter().map(String::as_str));
    args.push(QUERY);
    let out = server.run(&args);
    BazelRun {
        exit_code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What `bzls select --format json` said.
struct BzlsRun {
    exit_code: Option<i32>,
    json: Option<Value>,
    raw: String,
    stderr: String,
}

fn run_bzls(server: &BazelServer, case: &SelectCase) -> BzlsRun {
    let out = Command::new(bzls_bin())
        .args(["select", "--format", "json", "--workspace"])
        .arg(server.workspace())
        .arg(TARGET)
        .arg("--")
        .args(&case.args)
        .current_dir(server.workspace())
        .env("HOME", server.home())
        .env("XDG_CACHE_HOME", server.home().join(".cache"))
        .env_remove("USE_BAZEL_VERSION")
        .output()
        .expect("run bzls");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    BzlsRun {
        exit_code: out.status.code(),
        json: serde_json::from_str(&raw).ok(),
        raw,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The labels of `srcs` bzls configured, sorted and deduplicated.
fn bzls_labels(json: &Value) -> Option<BTreeSet<String>> {
    let attr = json["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == "srcs")?;
    attr["value"]
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Compares; `Err` explains the first difference.
fn verdict(case: &SelectCase, bazel: &CqueryAnswer, bzls: &BzlsRun) -> Result<(), String> {
    let Some(json) = &bzls.json else {
        return Err(format!("bzls printed no JSON (exit {:?})", bzls.exit_code));
    };
    let status = json["status"].as_str().unwrap_or("?");
    match bazel {
        CqueryAnswer::Labels(labels) => {
            if status != "ok" || bzls.exit_code != Some(0) {
                return Err(format!(
                    "Bazel resolves the target; bzls says {status} (exit {:?})",
                    bzls.exit_code
                ));
            }
            let mine = bzls_labels(json).ok_or("bzls gives no list value for srcs")?;
            if &mine != labels {
                return Err(format!(
                    "labels differ: only Bazel {:?}, only bzls {:?}",
                    labels.difference(&mine).collect::<Vec<_>>(),
                    mine.difference(labels).collect::<Vec<_>>()
                ));
            }
            let selects = json["attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|a| a["name"] == "srcs"))
                .and_then(|a| a["selects"].as_array())
                .cloned()
                .unwrap_or_default();
            if selects.len() != case.selects.len() {
                return Err(format!(
                    "bzls reports {} selects, the case has {}",
                    selects.len(),
                    case.selects.len()
                ));
            }
            for (i, (gen, mine)) in case.selects.iter().zip(&selects).enumerate() {
                let chosen = mine["chosen"].as_str().unwrap_or("(null)");
                let Some((_, leaves)) = gen.branches.iter().find(|(k, _)| k == chosen) else {
                    return Err(format!("select #{i}: bzls chose {chosen}, not a key"));
                };
                if let Some(missing) = leaves.iter().find(|l| !labels.contains(*l)) {
                    return Err(format!(
                        "select #{i}: bzls chose {chosen}, but Bazel does not list its leaf {missing}"
                    ));
                }
                for (key, others) in &gen.branches {
                    if key == chosen {
                        continue;
                    }
                    if let Some(hit) = others.iter().find(|l| labels.contains(*l)) {
                        return Err(format!(
                            "select #{i}: bzls chose {chosen}, but Bazel lists {hit} of branch {key}"
                        ));
                    }
                }
            }
            Ok(())
        }
        CqueryAnswer::Error { class, message } => {
            if status != "error" || bzls.exit_code != Some(1) {
                return Err(format!(
                    "Bazel fails ({class}); bzls says {status} (exit {:?})",
                    bzls.exit_code
                ));
            }
            let mine = json["error"]["class"].as_str().unwrap_or("?");
            if mine != *class {
                return Err(format!("Bazel's error is {class}, bzls's {mine}"));
            }
            let text = json["error"]["message"].as_str().unwrap_or("");
            if *class != "rc-error" && text != message {
                return Err(format!(
                    "the {class} messages differ:\nBazel: {message}\nbzls:  {text}"
                ));
            }
            Ok(())
        }
    }
}

fn report(
    seed: u64,
    case: &SelectCase,
    bazel: &BazelRun,
    bzls: Option<&BzlsRun>,
    problem: &str,
) -> String {
    let mut r = String::new();
    let _ = writeln!(
        r,
        "=== select conformance: case {} of seed {seed:#x} ===",
        case.index
    );
    let _ = writeln!(
        r,
        "reproduce: BZLS_SELECT_SEED={seed:#x} BZLS_SELECT_ONLY={} cargo test -p bzls-e2e --test select_conformance",
        case.index
    );
    if !case.intent.is_empty() {
        let _ = writeln!(r, "generated as: {}", case.intent);
    }
    for (path, text) in &case.files {
        if path.ends_with(".txt") || text.is_empty() {
            continue;
        }
        let _ = writeln!(r, "--- {path}");
        for (n, line) in text.lines().enumerate() {
            let _ = writeln!(r, "{:>4} | {line}", n + 1);
        }
    }
    let _ = writeln!(r, "bazel cquery {} '{QUERY}'", shell_words(&case.args));
    let _ = writeln!(r, "PROBLEM: {problem}");
    let _ = writeln!(r, "Bazel 2.1.0 (exit {:?}):", bazel.exit_code);
    for line in bazel.stdout.lines() {
        let _ = writeln!(r, "  {line}");
    }
    for line in bazel.stderr.lines().filter(|l| {
        !(l.starts_with("INFO: ") || l.starts_with("[INFO ") || l.starts_with("Loading"))
    }) {
        let _ = writeln!(r, "  {line}");
    }
    if let Some(bzls) = bzls {
        let _ = writeln!(
            r,
            "bzls select --format json {TARGET} -- {} (exit {:?}):",
            shell_words(&case.args),
            bzls.exit_code
        );
        for line in bzls.raw.lines() {
            let _ = writeln!(r, "  {line}");
        }
        for line in bzls.stderr.lines() {
            let _ = writeln!(r, "  stderr: {line}");
        }
    }
    r
}

/// A label of the outcome, for the summary.
fn outcome_kind(answer: &CqueryAnswer) -> String {
    match answer {
        CqueryAnswer::Labels(_) => "ok".to_string(),
        CqueryAnswer::Error { class, .. } => class.to_string(),
    }
}

/// Counts how the selects of one case went, by bzls's account.
fn tally(json: &Value, counts: &mut BTreeMap<&'static str, usize>) {
    let selects = json["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["selects"].as_array().into_iter().flatten());
    for s in selects {
        let matching = s["matching"].as_array().map_or(0, Vec::len);
        let kind = match s["chosen"].as_str() {
            None => "failed",
            Some("//conditions:default") => "default",
            Some(_) if matching > 1 => "most specialised of several",
            Some(_) => "single match",
        };
        *counts.entry(kind).or_default() += 1;
    }
}

#[test]
fn select_matches_bazel_2_1_0() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let seed = env_seed("BZLS_SELECT_SEED", DEFAULT_SEED);
    let cases: Vec<usize> = match env_number("BZLS_SELECT_ONLY") {
        Some(only) => vec![only as usize],
        None => {
            (0..env_number("BZLS_SELECT_CASES").map_or(DEFAULT_CASES, |n| n as usize)).collect()
        }
    };
    let show = std::env::var_os("BZLS_SELECT_SHOW").is_some_and(|v| v == "1");
    // Build bzls before timing anything.
    let _ = bzls_bin();
    say!("select conformance: seed {seed:#x}, {} cases", cases.len());
    let started = Instant::now();
    let server = BazelServer::start(&bazel);
    let mut bazel_time = Duration::ZERO;
    let mut bzls_time = Duration::ZERO;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut agreed = 0usize;
    let mut selects: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut oracle_problems = Vec::new();
    for &index in &cases {
        let case = generate(seed, index);
        write_case(&server, &case);
        let t = Instant::now();
        let run = run_bazel(&server, &case);
        bazel_time += t.elapsed();
        let answer = match read_cquery(run.exit_code, &run.stdout, &run.stderr) {
            Ok(answer) => answer,
            Err(e) => {
                let problem = format!("the oracle's output is not understood: {e}");
                oracle_problems.push(report(seed, &case, &run, None, &problem));
                if oracle_problems.len() >= MAX_REPORTED {
                    break;
                }
                continue;
            }
        };
        *kinds.entry(outcome_kind(&answer)).or_default() += 1;
        let t = Instant::now();
        let bzls = run_bzls(&server, &case);
        bzls_time += t.elapsed();
        let outcome = verdict(&case, &answer, &bzls);
        if show {
            say!(
                "{}",
                report(
                    seed,
                    &case,
                    &run,
                    Some(&bzls),
                    outcome.as_ref().err().map_or("(shown)", String::as_str)
                )
            );
        }
        if let Some(json) = &bzls.json {
            tally(json, &mut selects);
        }
        match outcome {
            Ok(()) => agreed += 1,
            Err(problem) => {
                failures.push(report(seed, &case, &run, Some(&bzls), &problem));
                if failures.len() >= MAX_REPORTED {
                    break;
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let n = cases.len().max(1) as u32;
    say!(
        "select conformance: seed {seed:#x}, {agreed}/{} cases agree, in {elapsed:.1?} (Bazel cold start {:.1?}, Bazel {:.0?}/case, bzls {:.0?}/case); Bazel's outcomes: {kinds:?}; selects: {selects:?}",
        cases.len(),
        server.cold_start,
        bazel_time / n,
        bzls_time / n,
    );
    drop(server);
    if !oracle_problems.is_empty() {
        panic!(
            "the Bazel oracle could not be read (a harness problem):\n{}",
            oracle_problems.join("\n")
        );
    }
    if !failures.is_empty() {
        panic!(
            "bzls select disagrees with Bazel 2.1.0 ({} shown, stopped at {MAX_REPORTED}):\n\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The generator produces every feature now and then (no Bazel needed).
#[test]
fn generated_cases_cover_the_features() {
    let mut text = String::new();
    let mut intents: BTreeMap<&str, usize> = BTreeMap::new();
    for index in 0..DEFAULT_CASES {
        let case = generate(DEFAULT_SEED, index);
        *intents.entry(case.intent).or_default() += 1;
        for (path, body) in &case.files {
            let _ = writeln!(text, "--- {path}\n{body}");
        }
        text.push_str(&case.args.join(" "));
        text.push('\n');
        // Every branch's leaves are its own.
        let mut seen = BTreeSet::new();
        for leaf in case.static_leaves.iter().chain(
            case.selects
                .iter()
                .flat_map(|s| s.branches.iter().flat_map(|b| &b.1)),
        ) {
            assert!(seen.insert(leaf.clone()), "case {index}: leaf {leaf} twice");
        }
    }
    for needle in [
        "\"compilation_mode\": ",
        "\"cpu\": ",
        "\"define\": ",
        "define_values = ",
        "alias(",
        "actual = \":",
        "actual = \"//conds:",
        "\"//conditions:default\"",
        "no_match_error = ",
        ") + select(",
        "] + select(",
        "\"//other:leaf_",
        "src_",
        "build:",
        "common:",
        "\ncommon ",
        "\nbuild ",
        "import %workspace%/tools/extra.rc",
        "try-import ",
        "--config=",
        "-c ",
        "--compilation_mode ",
        "--define ",
        "--cpu=",
        "\"stamp\": \"true\"",
        "--nostamp",
    ] {
        assert!(
            text.contains(needle),
            "no generated case contains {needle:?}"
        );
    }
    assert!(intents.len() == 5, "{intents:?}");
}

/// The oracle reader on Bazel 2.1.0's own words (no Bazel needed).
#[test]
fn cquery_output_is_read() {
    let ok = read_cquery(
        Some(0),
        "//pkg:l1 (aa65f203efeb)\n//pkg:f.txt (null)\n//pkg:l1 (aa65f203efeb)\n",
        "INFO: Found 1 target...\n",
    );
    assert_eq!(
        ok,
        Ok(CqueryAnswer::Labels(
            ["//pkg:f.txt", "//pkg:l1"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        ))
    );
    let ambiguous = "INFO: Build option --cpu has changed, discarding analysis cache.\n\
ERROR: /tmp/ws/pkg/BUILD:14:1: Illegal ambiguous match on configurable attribute \"srcs\" in //pkg:t:\n\
//pkg:a\n\
//pkg:al_a\n\
Multiple matches are not allowed unless one is unambiguously more specialized.\n\
ERROR: Analysis of target '//pkg:t' failed; build aborted: \n\
\n\
/tmp/ws/pkg/BUILD:14:1: Illegal ambiguous match on configurable attribute \"srcs\" in //pkg:t:\n";
    assert_eq!(
        read_cquery(Some(1), "", ambiguous),
        Ok(CqueryAnswer::Error {
            class: "ambiguous",
            message: "Illegal ambiguous match on configurable attribute \"srcs\" in //pkg:t:\n//pkg:a\n//pkg:al_a\nMultiple matches are not allowed unless one is unambiguously more specialized.".into()
        })
    );
    let no_match = "ERROR: /tmp/ws/pkg/BUILD:17:1: Configurable attribute \"srcs\" doesn't match this configuration (would a default condition help?).\n\
Conditions checked:\n\
\x20//pkg:al_al_a\n\
\x20//pkg:b\n\
ERROR: Analysis of target '//pkg:t' failed; build aborted: \n";
    assert_eq!(
        read_cquery(Some(1), "", no_match),
        Ok(CqueryAnswer::Error {
            class: "no-match",
            message: "Configurable attribute \"srcs\" doesn't match this configuration (would a default condition help?).\nConditions checked:\n //pkg:al_al_a\n //pkg:b".into()
        })
    );
    for (stderr, exit) in [
        ("ERROR: Config value nope is not defined in any .rc file\n", 2),
        ("ERROR: Config expansion has a cycle: config value x expands to itself, see inheritance chain [x, y]\n", 2),
        ("ERROR: In file /ws/.bazelrc, the definition of config ci expands to another config that either has no value or is not in the form --config=value. For recursive config definitions, please do not provide the value in a separate token, such as in the form '--config value'.\n", 2),
        ("[FATAL 11:16:03.657 src/main/cpp/blaze.cc:1313] Unexpected error reading .blazerc file '/ws/missing.rc'\n", 37),
    ] {
        let answer = read_cquery(Some(exit), "", stderr);
        assert!(
            matches!(answer, Ok(CqueryAnswer::Error { class: "rc-error", .. })),
            "{stderr}: {answer:?}"
        );
    }
    assert!(read_cquery(Some(1), "", "ERROR: something else\n").is_err());
}

/// Starlark build settings (`flag_values`) and platforms
/// (`constraint_values`, `--platforms`, `parents`, a constraint's default)
/// under a set of command lines: the generator does not produce these yet,
/// so one hand-written workspace covers them, checked the same way.
/// Bazel 2.1.0 predates `--no//pkg:flag` and setting a flag through an
/// `alias`; bzls accepts both, as later Bazel versions do, so they are
/// not among the command lines.
/// Writes `files` as the workspace, then asks Bazel and bzls for
/// `//pkg:t`'s `srcs` under each command line; returns the disagreements.
fn compare_command_lines(
    server: &BazelServer,
    files: &[(String, String)],
    command_lines: &[&[&str]],
) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, args) in command_lines.iter().enumerate() {
        let case = SelectCase {
            index: i,
            files: files.to_vec(),
            args: args.iter().map(|a| a.to_string()).collect(),
            selects: Vec::new(),
            static_leaves: Vec::new(),
            intent: "",
        };
        if i == 0 {
            write_case(server, &case);
        }
        let run = run_bazel(server, &case);
        let answer = read_cquery(run.exit_code, &run.stdout, &run.stderr).unwrap_or_else(|e| {
            panic!("the oracle's output is not understood: {e}\n{}", run.stderr)
        });
        let bzls = run_bzls(server, &case);
        let agree = match (&answer, bzls.json.as_ref()) {
            (CqueryAnswer::Labels(labels), Some(json)) => {
                json["status"] == "ok" && bzls_labels(json).as_ref() == Some(labels)
            }
            (CqueryAnswer::Error { class, .. }, Some(json)) => {
                json["status"] == "error" && json["error"]["class"] == *class
            }
            (_, None) => false,
        };
        if !agree {
            failures.push(format!(
                "{}: Bazel {answer:?}; bzls {}{}",
                shell_words(&case.args),
                bzls.raw,
                bzls.stderr
            ));
        }
    }
    failures
}

#[test]
fn flag_values_and_platforms_match_bazel_2_1_0() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let mut files: Vec<(String, String)> = vec![
        ("WORKSPACE".into(), String::new()),
        (
            "flags/defs.bzl".into(),
            "def _impl(ctx):\n    return []\n\n\
             string_setting = rule(implementation = _impl, build_setting = config.string(flag = True))\n\
             bool_setting = rule(implementation = _impl, build_setting = config.bool(flag = True))\n"
                .into(),
        ),
        (
            "flags/BUILD".into(),
            "load(\":defs.bzl\", \"bool_setting\", \"string_setting\")\n\
             string_setting(name = \"color\", build_setting_default = \"red\", visibility = [\"//visibility:public\"])\n\
             bool_setting(name = \"fast\", build_setting_default = False, visibility = [\"//visibility:public\"])\n\
"
                .into(),
        ),
        (
            "plat/BUILD".into(),
            "package(default_visibility = [\"//visibility:public\"])\n\
             constraint_setting(name = \"gpu\")\n\
             constraint_value(name = \"cuda\", constraint_setting = \":gpu\")\n\
             constraint_value(name = \"rocm\", constraint_setting = \":gpu\")\n\
             constraint_setting(name = \"tier\", default_constraint_value = \":low\")\n\
             constraint_value(name = \"low\", constraint_setting = \":tier\")\n\
             constraint_value(name = \"high\", constraint_setting = \":tier\")\n\
             platform(name = \"base\", constraint_values = [\":cuda\", \"@platforms//os:linux\"])\n\
             platform(name = \"child\", parents = [\":base\"], constraint_values = [\":high\"])\n\
             platform(name = \"plain\", constraint_values = [\"@platforms//os:linux\"])\n"
                .into(),
        ),
        (
            "pkg/BUILD".into(),
            "config_setting(name = \"green\", flag_values = {\"//flags:color\": \"green\"})\n\
             config_setting(name = \"green_fast\", flag_values = {\"//flags:color\": \"green\", \"//flags:fast\": \"true\"})\n\
             config_setting(name = \"fast\", flag_values = {\"//flags:fast\": \"1\"})\n\
             config_setting(name = \"cuda\", constraint_values = [\"//plat:cuda\"])\n\
             config_setting(name = \"high\", constraint_values = [\"//plat:high\"])\n\
             config_setting(name = \"low\", constraint_values = [\"//plat:low\"])\n\
             config_setting(name = \"linux\", constraint_values = [\"@platforms//os:linux\"])\n\
             config_setting(name = \"opt_cuda\", values = {\"compilation_mode\": \"opt\"}, constraint_values = [\"//plat:cuda\"])\n\
             filegroup(\n    name = \"t\",\n    srcs = select({\":green\": [\"green.txt\"], \":green_fast\": [\"green_fast.txt\"], \"//conditions:default\": [\"red.txt\"]})\n\
             \x20       + select({\":fast\": [\"fast.txt\"], \"//conditions:default\": []})\n\
             \x20       + select({\":cuda\": [\"cuda.txt\"], \":opt_cuda\": [\"opt_cuda.txt\"], \"//conditions:default\": [\"nocuda.txt\"]})\n\
             \x20       + select({\":high\": [\"high.txt\"], \":low\": [\"low.txt\"]})\n\
             \x20       + select({\":linux\": [\"linux.txt\"], \"//conditions:default\": [\"other.txt\"]}),\n)\n"
                .into(),
        ),
    ];
    for leaf in [
        "green",
        "green_fast",
        "red",
        "fast",
        "cuda",
        "opt_cuda",
        "nocuda",
        "high",
        "low",
        "linux",
        "other",
    ] {
        files.push((format!("pkg/{leaf}.txt"), String::new()));
    }
    let command_lines: &[&[&str]] = &[
        &[],
        &["--//flags:color=green"],
        &["--//flags:color=green", "--//flags:fast"],
        &["--//flags:fast=true", "--//flags:color=blue"],
        &["--//flags:fast=0"],
        &["--//flags:fast=yes"],
        &["--platforms=//plat:base"],
        &["--platforms=//plat:child"],
        &["--platforms=//plat:plain"],
        &["--platforms=//plat:base", "-c", "opt"],
        &[
            "--platforms=//plat:child",
            "--//flags:color=green",
            "--//flags:fast=True",
        ],
    ];
    let server = BazelServer::start(&bazel);
    let failures = compare_command_lines(&server, &files, command_lines);
    say!(
        "flag_values and platforms: {}/{} command lines agree with Bazel 2.1.0",
        command_lines.len() - failures.len(),
        command_lines.len()
    );
    drop(server);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our own `selects` module, shaped as bazel_skylib's documents it (and as
/// Bazel then sees it): a group is a chain of aliases whose `actual` is a
/// `select()`. `match_any`: link i points at setting i when it matches,
/// else at the next link (the last link is the last setting). `match_all`:
/// link i points at the next link when setting i matches, else at setting
/// i (which does not match). `with_or` expands tuple keys. Bazel 2.1.0
/// has no `native.package_relative_label`, so members are written in the
/// form the BUILD file uses.
const OUR_SELECTS_BZL: &str = r#"
def _with_or(input_dict, no_match_error = ""):
    output = {}
    for key, value in input_dict.items():
        keys = key if type(key) == type(()) else (key,)
        for k in keys:
            if k in output:
                fail(k + " appears more than once")
            output[k] = value
    return select(output, no_match_error = no_match_error)

def _with_or_dict(input_dict):
    output = {}
    for key, value in input_dict.items():
        for k in (key if type(key) == type(()) else (key,)):
            output[k] = value
    return output

def _chain(name, settings, any):
    if len(settings) == 1:
        native.alias(name = name, actual = settings[0])
        return
    links = [name] + [name + "_" + str(i) for i in range(2, len(settings))]
    for i in range(len(settings) - 1):
        following = links[i + 1] if i + 1 < len(links) else settings[-1]
        if any:
            branches = {settings[i]: settings[i], "//conditions:default": following}
        else:
            branches = {settings[i]: following, "//conditions:default": settings[i]}
        native.alias(name = links[i], actual = select(branches))

def _config_setting_group(name, match_any = [], match_all = []):
    if bool(match_any) == bool(match_all):
        fail("set one of match_any and match_all")
    _chain(name, match_any or match_all, bool(match_any))

selects = struct(
    with_or = _with_or,
    with_or_dict = _with_or_dict,
    config_setting_group = _config_setting_group,
)
"#;

#[test]
fn config_setting_groups_and_with_or_match_bazel_2_1_0() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let settings = "load(\"@bazel_skylib//lib:selects.bzl\", \"selects\")\n\
        config_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\n\
        config_setting(name = \"dbg\", values = {\"compilation_mode\": \"dbg\"})\n\
        config_setting(name = \"x\", define_values = {\"x\": \"1\"})\n\
        config_setting(name = \"y\", define_values = {\"y\": \"1\"})\n\
        config_setting(name = \"z\", values = {\"define\": \"z=1\"})\n\
        config_setting(name = \"opt_x\", values = {\"compilation_mode\": \"opt\", \"define\": \"x=1\"})\n\
        config_setting(name = \"x_y_z\", define_values = {\"x\": \"1\", \"y\": \"1\", \"z\": \"1\"})\n\
        selects.config_setting_group(name = \"opt_or_dbg\", match_any = [\":opt\", \":dbg\"])\n\
        selects.config_setting_group(name = \"x_or_y_or_z\", match_any = [\":x\", \":y\", \":z\"])\n\
        selects.config_setting_group(name = \"x_and_y\", match_all = [\":x\", \":y\"])\n\
        selects.config_setting_group(name = \"x_and_y_and_z\", match_all = [\":x\", \":y\", \":z\"])\n\
        selects.config_setting_group(name = \"opt_and_x\", match_all = [\":opt\", \":x\"])\n\
        selects.config_setting_group(name = \"only_y\", match_all = [\":y\"])\n";
    // One target per question: a select that is ambiguous makes the whole
    // target an error, which would hide the others.
    let targets: &[(&str, &str)] = &[
        (
            "plain groups and with_or",
            "select({\":opt_or_dbg\": [\"a1\"], \"//conditions:default\": [\"a0\"]})\n\
             + select({\":x_or_y_or_z\": [\"b1\"], \"//conditions:default\": [\"b0\"]})\n\
             + select({\":x_and_y\": [\"c1\"], \"//conditions:default\": [\"c0\"]})\n\
             + select({\":x_and_y_and_z\": [\"d1\"], \"//conditions:default\": [\"d0\"]})\n\
             + select({\":only_y\": [\"e1\"], \"//conditions:default\": [\"e0\"]})\n\
             + selects.with_or({(\":x\", \":dbg\"): [\"f1\"], \"//conditions:default\": [\"f0\"]})",
        ),
        (
            "a group beside one of its members",
            "select({\":x_and_y\": [\"g1\"], \":x\": [\"g2\"], \"//conditions:default\": [\"g0\"]})",
        ),
        (
            "a group beside a setting that specialises its members",
            "select({\":opt_and_x\": [\"h1\"], \":opt_x\": [\"h2\"], \"//conditions:default\": [\"h0\"]})",
        ),
        (
            "an any-group beside a member",
            "select({\":x_or_y_or_z\": [\"i1\"], \":y\": [\"i2\"], \"//conditions:default\": [\"i0\"]})",
        ),
        (
            "an all-group beside a setting of all its flags",
            "select({\":x_and_y_and_z\": [\"j1\"], \":x_y_z\": [\"j2\"]})",
        ),
        (
            "with_or keys beside a plain key",
            "selects.with_or({(\":y\", \":z\"): [\"k1\"], \":opt\": [\"k2\"], \"//conditions:default\": [\"k0\"]})",
        ),
    ];
    let command_lines: &[&[&str]] = &[
        &[],
        &["-c", "opt"],
        &["-c", "dbg"],
        &["--define=x=1"],
        &["--define=y=1"],
        &["--define=x=1", "--define=y=1"],
        &["--define=x=1", "--define=y=1", "--define=z=1"],
        &["-c", "opt", "--define=x=1"],
        &["-c", "opt", "--define=x=1", "--define=y=1", "--define=z=1"],
        &["--define=z=1", "-c", "dbg"],
    ];
    let server = BazelServer::start(&bazel);
    let mut failures = Vec::new();
    let mut compared = 0;
    for (what, srcs) in targets {
        let mut files: Vec<(String, String)> = vec![
            (
                "WORKSPACE".into(),
                "local_repository(name = \"bazel_skylib\", path = \"third_party/skylib\")\n".into(),
            ),
            ("third_party/skylib/WORKSPACE".into(), String::new()),
            ("third_party/skylib/BUILD".into(), String::new()),
            ("third_party/skylib/lib/BUILD".into(), String::new()),
            (
                "third_party/skylib/lib/selects.bzl".into(),
                OUR_SELECTS_BZL.into(),
            ),
            (
                "pkg/BUILD".into(),
                format!("{settings}filegroup(\n    name = \"t\",\n    srcs = {srcs},\n)\n"),
            ),
        ];
        for leaf in "abcdefghijk".chars() {
            for n in 0..3 {
                files.push((format!("pkg/{leaf}{n}"), String::new()));
            }
        }
        compared += command_lines.len();
        failures.extend(
            compare_command_lines(&server, &files, command_lines)
                .into_iter()
                .map(|f| format!("{what}: {f}")),
        );
    }
    say!(
        "config_setting_group and with_or: {}/{compared} cases agree with Bazel 2.1.0",
        compared - failures.len(),
    );
    drop(server);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
