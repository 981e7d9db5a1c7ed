//! A document edited change by change, as `textDocument/didChange` does,
//! against a plain `String` model of its text.
//!
//! Input layout: byte 0 picks the kind (low bits) and the position encoding
//! (bit 7); bytes 1-2 are the length of the opening text (little endian),
//! which follows; the rest is decoded with `arbitrary` into the steps.
//!
//! Invariants:
//! - after every step the rope equals the model (positions resolved and
//!   clamped, inverted ranges swapped, as `text::apply_change` documents);
//! - carried workspace diagnostics and the current diagnostics stay inside
//!   the text, on character boundaries;
//! - the tree handed out (`snapshot`) prints like a fresh parse of the text
//!   whenever that fresh parse has no error (what `bzls/debug/document`'s
//!   `treeMatchesFreshParse` compares), and again after `settle`;
//! - rc documents: the incrementally maintained rc parse equals a fresh
//!   `rc::file::parse` of the text;
//! - once settled, the diagnostics equal those of a document opened with
//!   the final text and settled (the server's differential property);
//! - the semantic checks' statement memo, fed every version's tree, changes
//!   nothing: on the settled tree it gives what a fresh check gives.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use bzls::analysis::semantics::{semantic_diagnostics, NamesMemo, NoRules};
use bzls::analysis::{Diagnostic, DiagnosticCode, Document};
use bzls::syntax::{parse_str_with, sexp, FileKind, Grammar};
use bzls::text::{LineCol, PositionEncoding, TextChange, TextRange};
use bzls_fuzz::{check_diagnostics, floor_boundary, on_big_stack, DOCUMENT_KINDS};
use libfuzzer_sys::fuzz_target;

/// Pieces of text worth typing: Starlark and rc tokens, line ends of every
/// kind, multi-byte characters, whole statements.
const PIECES: &[&str] = &[
    "(", ")", "[", "]", "{", "}", ",", ":", "=", " = ", ".", "\n", "\r\n", "\r", " ", "    ",
    "\t", "\"", "'", "\"\"\"", "'''", "#", "# comment\n", "\\", "\\\n", "x", "name", "1", "é",
    "😀", "\u{0}", "def f(a, *args, **kwargs):\n    return a\n", "pass", "if x:\n    pass\n",
    "for x in []:\n    pass\n", "cc_library(\n    name = \"a\",\n    srcs = [\"a.cc\"],\n)\n",
    "load(\"//:defs.bzl\", \"m\")\n", "select({\":a\": [\"b\"], \"//conditions:default\": []})",
    "module(name = \"m\")\n", "bazel_dep(name = \"d\", version = \"1\")\n", "lambda x: x",
    "not ", "-", "+", "*", "**", "[x for x in y]", "match", "while", "f\"", "b\"", "r\"",
    "build --jobs=4\n", "build:cfg -c opt\n", "import %workspace%/a.rc\n", "try-import x\n",
    "--config=cfg", "common", " # c\n",
];

#[derive(Arbitrary, Debug)]
enum Insert {
    Text(String),
    Piece(u8),
    Repeat(u8, u8),
}

impl Insert {
    fn text(&self) -> String {
        match self {
            Insert::Text(s) => s.clone(),
            Insert::Piece(i) => PIECES[usize::from(*i) % PIECES.len()].to_owned(),
            Insert::Repeat(i, n) => PIECES[usize::from(*i) % PIECES.len()].repeat(usize::from(*n % 64)),
        }
    }
}

/// A line and column; 255 stands for `u32::MAX` (far past the end).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Pos {
    line: u8,
    col: u8,
}

impl Pos {
    fn line_col(self) -> LineCol {
        let wide = |v: u8| if v == u8::MAX { u32::MAX } else { u32::from(v) };
        LineCol::new(wide(self.line), wide(self.col))
    }
}

#[derive(Arbitrary, Debug)]
struct Change {
    /// `None` replaces the whole text.
    range: Option<(Pos, Pos)>,
    insert: Insert,
}

#[derive(Arbitrary, Debug)]
enum After {
    Nothing,
    Flush,
    Snapshot,
    Settle,
    /// The reparse taken out of the document, run, and installed.
    PendingRun,
    /// A reparse taken out, then another edit, then installed (stale).
    StaleRun(Change),
    /// Fresh workspace diagnostics for the current generation, at these
    /// byte offsets (mod the text's length).
    Workspace(Vec<(u16, u16)>),
}

#[derive(Arbitrary, Debug)]
struct Step {
    changes: Vec<Change>,
    after: After,
}

const MAX_STEPS: usize = 40;
const MAX_CHANGES: usize = 4;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (kind, name) = DOCUMENT_KINDS[usize::from(data[0] & 0x7f) % DOCUMENT_KINDS.len()];
    let encoding = if data[0] & 0x80 != 0 {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    };
    let len = usize::from(u16::from_le_bytes([data[1], data[2]])).min(data.len() - 3);
    let seed = String::from_utf8_lossy(&data[3..3 + len]).into_owned();
    let mut u = Unstructured::new(&data[3 + len..]);
    let mut steps = Vec::new();
    while !u.is_empty() && steps.len() < MAX_STEPS {
        match Step::arbitrary(&mut u) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    on_big_stack(move || run(kind, name, encoding, seed, steps));
});

/// The lines of `text` as LSP counts them (`\n`, `\r\n`, lone `\r`): the
/// byte range of each line's content, without its terminator.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\n' => {
                out.push((start, i));
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push((start, i));
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push((start, b.len()));
    out
}

/// The model's `offset_of`: a line past the end is the end of the text, a
/// column past the end of its line the end of the line, a column inside a
/// character the start of that character.
fn model_offset(text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
    let lines = lines(text);
    let Some(&(start, end)) = lines.get(pos.line as usize) else {
        return text.len();
    };
    let col = pos.col as usize;
    match encoding {
        PositionEncoding::Utf8 => {
            if col > end - start {
                end
            } else {
                floor_boundary(text, start + col)
            }
        }
        PositionEncoding::Utf16 => {
            let mut units = 0;
            for (i, c) in text[start..end].char_indices() {
                if units == col || units + c.len_utf16() > col {
                    return start + i;
                }
                units += c.len_utf16();
            }
            end
        }
    }
}

fn model_apply(text: &mut String, change: &TextChange, encoding: PositionEncoding) {
    let (start, end) = match change.range {
        None => (0, text.len()),
        Some((a, b)) => {
            let a = model_offset(text, a, encoding);
            let b = model_offset(text, b, encoding);
            (a.min(b), a.max(b))
        }
    };
    text.replace_range(start..end, &change.text);
}

fn to_change(change: &Change) -> TextChange {
    TextChange {
        range: change.range.map(|(a, b)| (a.line_col(), b.line_col())),
        text: change.insert.text(),
    }
}

fn workspace_diagnostics(text: &str, offsets: &[(u16, u16)]) -> Vec<Diagnostic> {
    let len = text.len() + 1;
    offsets
        .iter()
        .take(8)
        .map(|&(a, b)| {
            let a = floor_boundary(text, usize::from(a) % len);
            let b = floor_boundary(text, usize::from(b) % len);
            Diagnostic::error(
                DiagnosticCode::UnresolvedTarget,
                TextRange::new(a.min(b), a.max(b)),
                "no such target",
            )
        })
        .collect()
}

fn grammar(kind: FileKind) -> Grammar {
    if kind == FileKind::Bazelrc {
        Grammar::Bazelrc
    } else {
        Grammar::Starlark
    }
}

/// The snapshot's tree against a fresh parse, compared as the server's
/// `bzls/debug/document` does, when the fresh parse has no error (or
/// `always`). Returns whether the snapshot's tree has an error.
fn compare_trees(doc: &mut Document, text: &str, always: bool, when: &str) -> bool {
    let snapshot = doc.snapshot();
    let Some(tree) = &snapshot.tree else {
        return false;
    };
    let fresh = parse_str_with(grammar(doc.kind()), text);
    if always || !fresh.root_node().has_error() {
        assert_eq!(
            sexp(tree),
            sexp(&fresh),
            "{when}: the document's tree differs from a fresh parse of {text:?}"
        );
    }
    tree.root_node().has_error()
}

fn check_current(doc: &Document, model: &str, when: &str) {
    let text = doc.rope().to_string();
    assert_eq!(text, model, "{when}: the rope differs from the model");
    check_diagnostics(model, &doc.diagnostics(), &format!("{when}: diagnostics"));
    check_diagnostics(
        model,
        doc.workspace_diagnostics().0,
        &format!("{when}: carried workspace diagnostics"),
    );
    if let Some(rc) = doc.rc_source() {
        assert_eq!(&*rc.text, model, "{when}: the rc source's text");
    }
}

fn run(
    kind: FileKind,
    name: &str,
    encoding: PositionEncoding,
    seed: String,
    steps: Vec<Step>,
) {
    let mut model = seed.clone();
    let mut doc = Document::new(kind, 1, &seed);
    let mut version = 1;
    // The semantic checks' memo, fed every version's (incremental) tree as
    // the analysis host feeds it.
    let memo = NamesMemo::default();
    for (n, step) in steps.iter().enumerate() {
        let when = format!("step {n}");
        let changes: Vec<TextChange> = step.changes.iter().take(MAX_CHANGES).map(to_change).collect();
        for change in &changes {
            model_apply(&mut model, change, encoding);
        }
        version += 1;
        doc.apply_changes(version, &changes, encoding);
        check_current(&doc, &model, &when);
        match &step.after {
            After::Nothing => {}
            After::Flush => {
                doc.flush_reparse();
            }
            After::Snapshot => {
                compare_trees(&mut doc, &model, false, &when);
            }
            After::Settle => doc.settle(name),
            After::PendingRun => {
                if let Some(pending) = doc.pending_reparse() {
                    doc.install_reparse(pending.run());
                }
            }
            After::StaleRun(change) => {
                let pending = doc.pending_reparse();
                let change = to_change(change);
                model_apply(&mut model, &change, encoding);
                version += 1;
                doc.apply_changes(version, &[change], encoding);
                if let Some(pending) = pending {
                    assert!(
                        !doc.install_reparse(pending.run()),
                        "{when}: a stale reparse was installed"
                    );
                }
            }
            After::Workspace(offsets) => {
                let generation = doc.generation();
                let list = workspace_diagnostics(&model, offsets);
                assert!(doc.set_workspace_diagnostics(generation, list));
            }
        }
        check_current(&doc, &model, &format!("{when} (after {:?})", step.after));
        if kind.is_starlark() {
            let list = semantics(&mut doc, Some(&memo));
            check_diagnostics(&model, &list, &format!("{when}: semantic diagnostics"));
        }
    }

    let text = model;
    compare_trees(&mut doc, &text, false, "after the edits");
    check_current(&doc, &text, "after the edits");
    if let Some(rc) = doc.rc_source() {
        assert_eq!(
            *rc.parsed,
            bzls::rc::file::parse(&text),
            "the incrementally edited rc parse differs from a fresh parse of {text:?}"
        );
    }
    if !kind.is_starlark() {
        return;
    }
    let incremental_error = compare_trees(&mut doc, &text, false, "before settling");
    let incremental = doc.snapshot().incremental;
    doc.settle(name);
    // A broken incremental tree is replaced by a fresh parse when settling.
    compare_trees(
        &mut doc,
        &text,
        incremental_error && incremental,
        "after settling",
    );
    check_current(&doc, &text, "after settling");
    let mut fresh = Document::new(kind, version, &text);
    fresh.settle(name);
    assert_eq!(
        doc.diagnostics(),
        fresh.diagnostics(),
        "settled diagnostics after edits differ from those of a fresh document with the final text {text:?}"
    );
    // The memo carried through the edits changes nothing: the settled
    // document's semantic diagnostics equal a fresh document's without it.
    assert_eq!(
        semantics(&mut doc, Some(&memo)),
        semantics(&mut fresh, None),
        "semantic diagnostics with the memo of the edits differ from a fresh check of {text:?}"
    );
}

/// The semantic diagnostics of the document's current tree.
fn semantics(doc: &mut Document, memo: Option<&NamesMemo>) -> Vec<Diagnostic> {
    let snapshot = doc.snapshot();
    let Some(tree) = &snapshot.tree else {
        return Vec::new();
    };
    semantic_diagnostics(doc.kind(), tree, &snapshot.rope, "pkg", &NoRules, memo)
}
