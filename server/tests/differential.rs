//! Randomized differential test of incremental parsing.
//!
//! Thousands of random edit sequences (inserts, deletes and replacements
//! anywhere, with multi-byte text, CRLF and out-of-range positions) are
//! applied to a [`Document`] through the same code path as `didChange`. After
//! each sequence:
//! - the text equals a naive reference implementation of LSP positions;
//! - if the final text parses without errors, the incremental tree's
//!   S-expression equals a fresh parse's, immediately;
//! - once the background pass has run (`settle`), the S-expression and the
//!   diagnostics equal a fresh parse's in every case. (tree-sitter's error
//!   recovery can differ when it reuses old subtrees; the count of such
//!   sequences is printed.)
//!
//! Reproduce a failure with `BZLS_DIFF_SEED=<seed> cargo test -p bzls --test differential`.
//! `BZLS_DIFF_CASES=<n>` changes the number of sequences (default 3000).

use bzls::analysis::diagnostics::check_text;
use bzls::analysis::Document;
use bzls::syntax::{parse_str, parse_str_with, sexp, FileKind, Grammar};
use bzls::text::{LineCol, PositionEncoding, TextChange};

/// xorshift64*: small, deterministic, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const BASES: &[&str] = &[
    "",
    "cc_library(\n    name = \"lib\",\n    srcs = [\"a.cc\", \"b.cc\"],\n    deps = [\":x\"],\n)\n",
    "load(\"//:defs.bzl\", \"m\")\n\n# 构建 🎉\nm(name = \"x\", tags = [\"é\"])\n\ndef f(a, *args, **kw):\n    for x in a:\n        if x:\n            return [y for y in x]\n    return None\n",
    "x = {\n  \"k\": (1, 2),\n}\r\ny = 'single'\r\nz = \"\"\"multi\nline\"\"\"\n",
    "py_test(name = \"t\", srcs = glob([\"**/*.py\"]), data = select({\"//c:x\": [\"a\"], \"//conditions:default\": []}))\n",
];

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "\"\"\"",
    ",",
    ":",
    "=",
    "\n",
    "\r\n",
    "\r",
    "    ",
    "\t",
    "#",
    "# comment 🎉\n",
    "name = \"x\",",
    "def g():\n    pass\n",
    "if x:\n",
    "for i in y:\n",
    "cc_library(name = \"n\")\n",
    "🎉",
    "构建",
    "e\u{301}",
    "\u{feff}",
    "\\",
    "\\\n",
    "x",
    "1.5",
    "not ",
    " and ",
    "lambda: 1",
    "**kw",
    "*a",
    "select({})",
    "\0",
    "module(name = \"m\")\n",
    "bazel_dep(name = \"d\")\n",
];

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Naive LSP position resolution over a String: lines end at \n, \r\n or a
/// lone \r; columns clamp to the line's end; a column inside a character
/// moves to its start.
fn reference_offset(text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
    let bytes = text.as_bytes();
    let mut line_starts = vec![0usize];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                line_starts.push(i + 2);
                i += 2;
            }
            b'\n' | b'\r' => {
                line_starts.push(i + 1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let line = pos.line as usize;
    if line >= line_starts.len() {
        return text.len();
    }
    let start = line_starts[line];
    let mut end = line_starts.get(line + 1).copied().unwrap_or(text.len());
    if end > start && line + 1 < line_starts.len() {
        end -= if text[..end].ends_with("\r\n") { 2 } else { 1 };
    }
    let mut units = 0usize;
    for (idx, ch) in text[start..end].char_indices() {
        let width = match encoding {
            PositionEncoding::Utf8 => ch.len_utf8(),
            PositionEncoding::Utf16 => ch.len_utf16(),
        };
        if units + width > pos.col as usize {
            return start + idx;
        }
        units += width;
    }
    end
}

fn random_position(rng: &mut Rng, text: &str, encoding: PositionEncoding) -> LineCol {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = rng.below(lines.len() + 2);
    let width = lines.get(line).map_or(0, |l| match encoding {
        PositionEncoding::Utf8 => l.len(),
        PositionEncoding::Utf16 => utf16_len(l),
    });
    LineCol::new(line as u32, rng.below(width + 3) as u32)
}

fn random_change(rng: &mut Rng, text: &str, encoding: PositionEncoding) -> TextChange {
    let a = random_position(rng, text, encoding);
    let b = match rng.below(3) {
        0 => a,
        1 => random_position(rng, text, encoding),
        _ => LineCol::new(a.line, a.col + rng.below(4) as u32),
    };
    let insert: String = match rng.below(4) {
        0 => String::new(),
        1 | 2 => (*rng.pick(FRAGMENTS)).to_owned(),
        _ => (0..rng.below(4) + 1)
            .map(|_| *rng.pick(FRAGMENTS))
            .collect(),
    };
    if rng.below(200) == 0 {
        return TextChange {
            range: None,
            text: format!("{insert}{}", rng.pick(BASES)),
        };
    }
    TextChange {
        range: Some((a, b)),
        text: insert,
    }
}

/// A change that typing usually makes: a letter inserted between two
/// alphanumeric characters (inside a name, a string or a number), or such a
/// letter deleted. These mostly keep the text valid, which exercises the
/// statement-level fast path of `apply_changes`.
fn typing_change(rng: &mut Rng, text: &str, encoding: PositionEncoding) -> Option<TextChange> {
    let bytes = text.as_bytes();
    let candidates: Vec<usize> = (1..bytes.len())
        .filter(|&i| bytes[i - 1].is_ascii_alphanumeric() && bytes[i].is_ascii_alphanumeric())
        .collect();
    let &offset = candidates.get(rng.below(candidates.len()))?;
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count() + text[..line_start].matches('\r').count()
        - text[..line_start].matches("\r\n").count();
    let col = match encoding {
        PositionEncoding::Utf8 => offset - line_start,
        PositionEncoding::Utf16 => utf16_len(&text[line_start..offset]),
    };
    let at = LineCol::new(line as u32, col as u32);
    Some(if rng.below(3) == 0 {
        TextChange {
            range: Some((at, LineCol::new(at.line, at.col + 1))),
            text: String::new(),
        }
    } else {
        let letter = (b'a' + rng.below(26) as u8) as char;
        TextChange {
            range: Some((at, at)),
            text: letter.to_string(),
        }
    })
}

fn apply_reference(text: &mut String, change: &TextChange, encoding: PositionEncoding) {
    match change.range {
        None => *text = change.text.clone(),
        Some((a, b)) => {
            let a = reference_offset(text, a, encoding);
            let b = reference_offset(text, b, encoding);
            let (s, e) = if a <= b { (a, b) } else { (b, a) };
            text.replace_range(s..e, &change.text);
        }
    }
}

/// What one sequence showed besides success.
#[derive(Default)]
struct CaseStats {
    /// The immediate incremental tree of broken text differed from a fresh
    /// parse (until the background pass).
    diverged: bool,
    /// Batches that took the statement-level fast path.
    fast_batches: usize,
    /// starlark_syntax parsed the final text (so `bzls check` took its AST
    /// path).
    starlark_parsed: bool,
}

/// Runs one sequence. Odd seeds type like a person (mostly valid edits);
/// even seeds edit at random.
fn run_case(seed: u64) -> Result<CaseStats, String> {
    let mut stats = CaseStats::default();
    let typing = seed % 2 == 1;
    let mut rng = Rng::new(seed);
    let kind = *rng.pick(&[
        FileKind::Build,
        FileKind::Bzl,
        FileKind::Module,
        FileKind::Star,
    ]);
    let encoding = *rng.pick(&[PositionEncoding::Utf8, PositionEncoding::Utf16]);
    let base = *rng.pick(BASES);
    let mut doc = Document::new(kind, 0, base);
    let mut reference = base.to_owned();
    let mut log = Vec::new();
    for version in 1..=(rng.below(25) as i32 + 1) {
        let batch: Vec<TextChange> = (0..rng.below(3) + 1)
            .map(|_| {
                let change = if typing && rng.below(8) != 0 {
                    typing_change(&mut rng, &reference, encoding)
                        .unwrap_or_else(|| random_change(&mut rng, &reference, encoding))
                } else {
                    random_change(&mut rng, &reference, encoding)
                };
                apply_reference(&mut reference, &change, encoding);
                change
            })
            .collect();
        log.push(batch.clone());
        doc.apply_changes(version, &batch, encoding);
        if doc.reparse_pending() {
            stats.fast_batches += 1;
        }
    }
    let text = doc.rope().to_string();
    let fail = |what: &str| {
        Err(format!(
            "seed {seed}: {what}\nkind {kind:?}, encoding {encoding:?}\nbase {base:?}\nchanges {log:#?}\nfinal text {text:?}"
        ))
    };
    if text != reference {
        return fail(&format!("text differs from the reference {reference:?}"));
    }
    let fresh = parse_str(&text);
    // The fast path's diagnostics, before any deferred reparse, are exact
    // for valid text.
    let mut fresh_doc = Document::new(kind, 0, &text);
    if !fresh.root_node().has_error() && doc.diagnostics() != fresh_doc.diagnostics() {
        return fail(&format!(
            "diagnostics before the deferred reparse differ:\nincremental {:#?}\nfresh {:#?}",
            doc.diagnostics(),
            fresh_doc.diagnostics()
        ));
    }
    let incremental = doc.tree().map(sexp).unwrap_or_default();
    let diverged = incremental != sexp(&fresh);
    // On valid text the incremental tree is the fresh tree, immediately.
    if diverged && !fresh.root_node().has_error() {
        return fail(&format!(
            "trees differ:\nincremental {incremental}\nfresh       {}",
            sexp(&fresh)
        ));
    }
    // On broken text it is once the background pass has run.
    doc.settle("t");
    let settled = doc.tree().map(sexp).unwrap_or_default();
    if settled != sexp(&fresh) {
        return fail(&format!(
            "settled trees differ:\nsettled {settled}\nfresh   {}",
            sexp(&fresh)
        ));
    }
    fresh_doc.settle("t");
    // `bzls check` takes the AST path for texts Starlark parses: it must
    // agree with the server's settled diagnostics.
    let checked = check_text(kind, "t", &text);
    if checked != fresh_doc.diagnostics() {
        return fail(&format!(
            "bzls check differs from the server:\ncheck {checked:#?}\nserver {:#?}",
            fresh_doc.diagnostics()
        ));
    }
    stats.starlark_parsed = fresh_doc.last_good_ast().is_some();
    if doc.diagnostics() != fresh_doc.diagnostics() {
        return fail(&format!(
            "diagnostics differ:\nincremental {:#?}\nfresh {:#?}",
            doc.diagnostics(),
            fresh_doc.diagnostics()
        ));
    }
    stats.diverged = diverged;
    Ok(stats)
}

#[test]
fn incremental_equals_fresh_parse() {
    if let Some(seed) = std::env::var("BZLS_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        match run_case(seed) {
            Ok(stats) => eprintln!(
                "seed {seed}: ok (diverged before settling: {}, fast-path batches: {})",
                stats.diverged, stats.fast_batches
            ),
            Err(report) => panic!("{report}"),
        }
        return;
    }
    let cases: u64 = std::env::var("BZLS_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let mut failures = Vec::new();
    let mut diverged = 0;
    let mut fast_batches = 0;
    let mut parsed = 0;
    for seed in 1..=cases {
        match run_case(seed) {
            Ok(stats) => {
                diverged += usize::from(stats.diverged);
                fast_batches += stats.fast_batches;
                parsed += usize::from(stats.starlark_parsed);
            }
            Err(report) => failures.push(report),
        }
    }
    eprintln!(
        "{cases} sequences; {fast_batches} batches took the fast path; \
         {diverged} broken texts diverged from a fresh parse until settled; \
         {parsed} final texts parsed as Starlark (check's AST path)"
    );
    assert!(
        parsed > cases as usize / 10,
        "the AST path of bzls check is exercised"
    );
    if let Some(first) = failures.first() {
        panic!(
            "{} of {cases} sequences failed; first:\n{first}\n(rerun one with BZLS_DIFF_SEED)",
            failures.len()
        );
    }
    assert!(fast_batches > cases as usize, "the fast path is exercised");
}

const RC_BASES: &[&str] = &[
    "",
    "build --jobs=4 -c opt\ntest:ci --test_output=errors # trailing\n",
    "# Comment \\\nswallowed\nbuild:cuda --copt=\"-O2 -g\" \\\n    --define x=1\r\nimport %workspace%/a.rc\ntry-import 'b c.rc'\nbuild -- //foo/... -//bar\n",
];

/// rc documents: the tree-sitter tree, reparsed incrementally after every
/// change, is always the fresh parse of the text.
#[test]
fn rc_incremental_equals_fresh_parse() {
    let cases: u64 = std::env::var("BZLS_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    for seed in 0..cases {
        let mut rng = Rng::new(seed ^ 0x5EED_BA2E);
        let encoding = *rng.pick(&[PositionEncoding::Utf8, PositionEncoding::Utf16]);
        let base = *rng.pick(RC_BASES);
        let mut doc = Document::new(FileKind::Bazelrc, 0, base);
        let mut reference = base.to_owned();
        for version in 1..=(rng.below(20) as i32 + 1) {
            let change = if rng.below(2) == 0 {
                typing_change(&mut rng, &reference, encoding)
                    .unwrap_or_else(|| random_change(&mut rng, &reference, encoding))
            } else {
                random_change(&mut rng, &reference, encoding)
            };
            apply_reference(&mut reference, &change, encoding);
            doc.apply_changes(version, &[change], encoding);
        }
        let text = doc.rope().to_string();
        assert_eq!(text, reference, "seed {seed}");
        let source = doc.rc_source().expect("rc document keeps its parse");
        assert_eq!(&*source.text, text.as_str(), "seed {seed}");
        assert_eq!(
            *source.parsed,
            bzls::rc::file::parse(&text),
            "seed {seed}: text {text:?}"
        );
        let fresh = sexp(&parse_str_with(Grammar::Bazelrc, &text));
        let incremental = doc.tree().map(sexp).unwrap_or_default();
        assert_eq!(incremental, fresh, "seed {seed}: text {text:?}");
    }
}
