//! Any text, opened as each Starlark kind of document: diagnostics (before
//! and after the background pass), document symbols, folding ranges, and
//! `bzls check`'s path.
//!
//! Invariants:
//! - every diagnostic (with its related and fix ranges), symbol and fold
//!   range lies within the text, on character boundaries;
//! - a symbol's selection lies within its range; a fold spans two lines or
//!   more (`folding.rs`: "a fold that does not span two lines is never
//!   produced");
//! - `check_text` (the AST path when starlark_syntax parses the text) gives
//!   the settled document's diagnostics ("the AST path agrees with the tree
//!   path"), and so does `open_check` with its parse installed through
//!   `accept_open_parse`.
#![no_main]

use bzls::analysis::diagnostics::{check_text, open_check};
use bzls::analysis::{folding, symbols, Document};
use bzls::syntax::FileKind;
use bzls_fuzz::{check_diagnostics, check_range, on_big_stack, starlark_kinds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    on_big_stack(move || {
        for (kind, name) in starlark_kinds() {
            check_kind(kind, name, &text);
        }
    });
});

fn check_kind(kind: FileKind, name: &str, text: &str) {
    assert!(kind.is_starlark());
    let mut doc = Document::new(kind, 1, text);
    check_diagnostics(text, &doc.diagnostics(), &format!("{kind:?} before settle"));
    doc.settle(name);
    let settled = doc.diagnostics();
    check_diagnostics(text, &settled, &format!("{kind:?} settled"));

    let snapshot = doc.snapshot();
    assert_eq!(snapshot.text(), text, "{kind:?}: the snapshot's text");
    for s in symbols::document_symbols(&snapshot) {
        let what = format!("{kind:?} symbol {:?}", s.name);
        check_range(text, s.range, &what);
        check_range(text, s.selection, &what);
        assert!(
            s.range.start <= s.selection.start && s.selection.end <= s.range.end,
            "{what}: selection {:?} outside range {:?}",
            s.selection,
            s.range
        );
    }
    for f in folding::folding_ranges(&snapshot) {
        let what = format!("{kind:?} fold {f:?}");
        check_range(text, f.range, &what);
        let rope = &snapshot.rope;
        assert!(
            rope.byte_to_line(f.range.start) < rope.byte_to_line(f.range.end),
            "{what}: does not span two lines"
        );
    }

    let checked = check_text(kind, name, text);
    check_diagnostics(text, &checked, &format!("{kind:?} check_text"));
    assert_eq!(
        checked, settled,
        "{kind:?}: check_text differs from the settled document's diagnostics"
    );

    if let Some((early, parse)) = open_check(kind, name, text) {
        assert_eq!(
            early, settled,
            "{kind:?}: open_check differs from the settled document's diagnostics"
        );
        let mut opened = Document::new(kind, 1, text);
        opened.accept_open_parse(parse, early);
        assert_eq!(
            opened.diagnostics(),
            settled,
            "{kind:?}: a document given open_check's parse differs from a settled one"
        );
    }
}
