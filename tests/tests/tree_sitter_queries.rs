//! The bazelrc queries in `grammar/queries/` as editors load them, checked
//! with the tree-sitter CLI (`tree-sitter query`, `tree-sitter highlight`,
//! and `tree-sitter test` for the assertions in `grammar/test/highlight/`),
//! and the highlight capture names against what Neovim and Helix know.
//!
//! Without the CLI (or `$BZLS_TREE_SITTER`) the CLI test prints `SKIPPED`
//! and passes, except when `CI` is set. `tools/install-test-deps` installs
//! it with `cargo install tree-sitter-cli`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bzls_e2e::bazel::{oracle_required, test_cache_dir};
use bzls_e2e::{say, TempDir};

fn grammar_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../grammar")
}

/// The sample the CLI runs over; its comments are `tree-sitter test`'s
/// highlight assertions.
const SAMPLE: &str = "test/highlight/configs.bazelrc";

/// `$BZLS_TREE_SITTER`, else `tree-sitter` on `PATH`, else in
/// `$CARGO_HOME/bin` (where `cargo install` puts it).
fn tree_sitter() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(bin) = std::env::var_os("BZLS_TREE_SITTER") {
        candidates.push(PathBuf::from(bin));
    } else {
        candidates.push(PathBuf::from("tree-sitter"));
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        if let Some(home) = cargo_home {
            candidates.push(home.join("bin/tree-sitter"));
        }
    }
    for bin in &candidates {
        let ran = Command::new(bin)
            .arg("--version")
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = ran {
            if out.status.success() {
                say!("{}", String::from_utf8_lossy(&out.stdout).trim());
                return Some(bin.clone());
            }
        }
    }
    let reason = format!("none of {candidates:?} runs");
    if oracle_required() {
        panic!("$CI is set but the tree-sitter CLI is unavailable ({reason}); run tools/install-test-deps");
    }
    say!("SKIPPED: the tree-sitter CLI is unavailable ({reason}); run tools/install-test-deps");
    None
}

/// Runs the CLI in `grammar/` (where it finds the grammar), with its own
/// config directory and the compiled parser cached in the test cache.
fn run(cli: &Path, config: &TempDir, args: &[&str]) -> String {
    let output: Output = Command::new(cli)
        .args(args)
        .current_dir(grammar_dir())
        .env("TREE_SITTER_DIR", config.path())
        .env(
            "TREE_SITTER_LIBDIR",
            test_cache_dir().join("tree-sitter-lib"),
        )
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run tree-sitter");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "tree-sitter {args:?} failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// One capture `tree-sitter query` printed.
#[derive(Debug)]
struct Capture {
    name: String,
    /// 0-based start and end rows.
    rows: (usize, usize),
    /// The text; the CLI prints it for single-line captures only.
    text: Option<String>,
}

/// The captures `tree-sitter query` prints, in order: lines like
/// `capture: N - NAME, start: (r, c), end: (r, c), text: `TEXT`` or, for
/// a capture over several lines, `capture: NAME, start: (r, c), end: (r, c)`.
fn captures(query_output: &str) -> Vec<Capture> {
    let row = |point: &str| -> usize {
        point
            .trim_start_matches('(')
            .split(',')
            .next()
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or_else(|| panic!("bad point {point:?}"))
    };
    query_output
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("capture: "))
        .map(|rest| {
            let (head, rest) = rest.split_once(", start: ").expect("start");
            let name = head.split_once(" - ").map_or(head, |(_, name)| name);
            let (start, rest) = rest.split_once(", end: ").expect("end");
            let (end, text) = match rest.split_once(", text: `") {
                Some((end, text)) => (end, text.strip_suffix('`').map(str::to_owned)),
                None => (rest, None),
            };
            Capture {
                name: name.to_owned(),
                rows: (row(start), row(end)),
                text,
            }
        })
        .collect()
}

fn assert_captured(all: &[Capture], name: &str, text: &str) {
    assert!(
        all.iter()
            .any(|c| c.name == name && c.text.as_deref() == Some(text)),
        "no @{name} on {text:?}; captures: {all:#?}"
    );
}

#[test]
fn tree_sitter_cli_runs_the_queries_over_samples() {
    let Some(cli) = tree_sitter() else { return };
    let config = TempDir::new("tree-sitter-config");
    config.write("config.json", r#"{"parser-directories": []}"#);

    // Highlights: every kind of word gets its capture.
    let highlights = captures(&run(
        &cli,
        &config,
        &["query", "queries/highlights.scm", SAMPLE],
    ));
    for (name, text) in [
        (
            "comment",
            "# Remote cache settings. TODO: move to ci.bazelrc",
        ),
        ("keyword", "build"),
        ("punctuation.delimiter", ":"),
        ("label", "remote"),
        ("variable.parameter", "--remote_cache"),
        ("operator", "="),
        ("string", "grpcs://cache.example.com"),
        ("variable.parameter", "--jobs"),
        ("string", "50"),
        ("keyword.import", "import"),
        ("constant", "%workspace%"),
        ("string.special.path", "%workspace%/tools/ci.bazelrc"),
        ("keyword", "query"),
        ("punctuation.delimiter", "--"),
        ("string.special", "//..."),
    ] {
        assert_captured(&highlights, name, text);
    }

    // Injections: comments go to the `comment` language.
    let injections = captures(&run(
        &cli,
        &config,
        &["query", "queries/injections.scm", SAMPLE],
    ));
    assert_captured(
        &injections,
        "injection.content",
        "# Remote cache settings. TODO: move to ci.bazelrc",
    );
    assert!(
        injections.iter().all(|c| c.name == "injection.content"
            && c.text.as_ref().is_some_and(|t| t.starts_with('#'))),
        "{injections:#?}"
    );

    // Folds: the line continued over two physical lines is one fold.
    let sample = std::fs::read_to_string(grammar_dir().join(SAMPLE)).expect("sample");
    let continued = sample
        .lines()
        .position(|l| l.ends_with('\\'))
        .expect("a continued line in the sample");
    let folds = captures(&run(&cli, &config, &["query", "queries/folds.scm", SAMPLE]));
    assert!(
        folds
            .iter()
            .any(|c| c.name == "fold" && c.rows == (continued, continued + 1)),
        "no fold over rows {continued}..={}: {folds:#?}",
        continued + 1
    );

    // The highlighter itself (nested captures resolved), as HTML classes.
    let html = run(
        &cli,
        &config,
        &["highlight", "--html", "--style", "minimal", SAMPLE],
    );
    for span in [
        "<span class='keyword'>build</span>",
        "<span class='variable parameter'>--remote_cache</span>",
        "<span class='string'>grpcs://cache.example.com</span>",
        "<span class='constant'>%workspace%</span>",
        "<span class='comment'># Remote cache settings. TODO: move to ci.bazelrc</span>",
    ] {
        assert!(html.contains(span), "no {span} in:\n{html}");
    }

    // The assertions in grammar/test/highlight/*.bazelrc (and the corpus).
    let tested = run(&cli, &config, &["test"]);
    for sample in ["basic.bazelrc", "configs.bazelrc"] {
        assert!(tested.contains(sample), "{sample} not tested:\n{tested}");
    }
}

/// Neovim's standard captures (`:help treesitter-highlight-groups`, 0.10+),
/// the ones a bazelrc query could use.
const NEOVIM_CAPTURES: &[&str] = &[
    "comment",
    "constant",
    "keyword",
    "keyword.directive",
    "keyword.import",
    "keyword.operator",
    "label",
    "module",
    "number",
    "operator",
    "property",
    "punctuation.delimiter",
    "punctuation.special",
    "string",
    "string.escape",
    "string.special",
    "string.special.path",
    "string.special.symbol",
    "string.special.url",
    "type",
    "variable",
    "variable.parameter",
];

/// Helix's theme scopes (book: themes, "Syntax highlighting"), the same
/// part of the list. Helix styles a capture with the longest scope that is
/// a prefix of it.
const HELIX_SCOPES: &[&str] = &[
    "comment",
    "constant",
    "keyword",
    "keyword.control.import",
    "keyword.directive",
    "keyword.operator",
    "label",
    "namespace",
    "operator",
    "punctuation.delimiter",
    "punctuation.special",
    "string",
    "string.special",
    "string.special.path",
    "string.special.symbol",
    "string.special.url",
    "type",
    "variable",
    "variable.parameter",
];

/// The `@name` captures of a query, without those starting with `_`.
fn capture_names(query: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in query.lines() {
        let code = line.split(';').next().unwrap_or("");
        for (i, _) in code.match_indices('@') {
            let name: String = code[i + 1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            if !name.is_empty() && !name.starts_with('_') {
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn capture_names_are_ones_neovim_and_helix_know() {
    let read = |name: &str| {
        std::fs::read_to_string(grammar_dir().join("queries").join(name)).expect("query file")
    };
    let highlights = capture_names(&read("highlights.scm"));
    assert!(highlights.len() >= 10, "{highlights:?}");
    for name in &highlights {
        assert!(
            NEOVIM_CAPTURES.contains(&name.as_str()),
            "@{name} is not a standard Neovim capture"
        );
        let helix = HELIX_SCOPES
            .iter()
            .filter(|scope| name == *scope || name.starts_with(&format!("{scope}.")))
            .max_by_key(|scope| scope.len());
        assert!(helix.is_some(), "@{name} has no Helix scope");
    }
    // Both editors' injection and fold captures.
    assert_eq!(
        capture_names(&read("injections.scm")),
        BTreeSet::from(["injection.content".to_owned()])
    );
    assert_eq!(
        capture_names(&read("folds.scm")),
        BTreeSet::from(["fold".to_owned()])
    );
}
