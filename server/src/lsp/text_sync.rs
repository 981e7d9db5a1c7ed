//! didOpen / didChange / didClose.
//!
//! Invariants:
//! - Each function here runs to completion without awaiting, so changes
//!   apply in the order the client sent them.
//! - A document being opened (its text parsed off the LSP loop, between
//!   [`begin_opening`] and [`finish_opening`]) has an [`OpeningSlot`] and
//!   no entry in `State::documents`; the `didChange`s and the `didClose`
//!   that arrive meanwhile are kept in the slot and applied, in order, when
//!   the document is installed.

use std::panic::AssertUnwindSafe;

use tower_lsp::lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, Url,
};

use ropey::Rope;

use super::convert;
use super::state::{OpenDocument, State};
use crate::analysis::diagnostics::open_check;
use crate::analysis::{Diagnostic, Document, MAX_ANALYSED_SIZE};
use crate::db::selects::SelectInput;
use crate::syntax::FileKind;

/// What a text-sync notification asks of the caller afterwards.
pub struct Followup {
    pub uri: Url,
    /// Generation to run the background pass for, if the document is Starlark.
    pub background_pass: Option<u64>,
    /// The document is an rc file.
    pub rc: bool,
}

fn file_name(uri: &Url) -> String {
    uri.to_file_path()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| uri.as_str().rsplit('/').next().unwrap_or("").to_owned())
}

/// A document read from `didOpen`, not yet in the state.
pub struct Opening {
    uri: Url,
    doc: Document,
    file_name: String,
}

/// Reads a `didOpen` into a document; run without the state lock (parsing
/// a large file takes milliseconds). For a Starlark text that
/// starlark_syntax parses, its syntax diagnostics are known several times
/// sooner than the tree: they are handed to `early` (with the text's URI,
/// version and rope) as soon as they are, while the tree is parsed on this
/// thread, and the parse is installed in the document (no background pass
/// is needed for it). `None` for files that are not Bazel's.
pub fn open(
    params: DidOpenTextDocumentParams,
    early: impl FnOnce(&Url, i32, &Rope, Vec<Diagnostic>) + Send,
) -> Option<Opening> {
    let item = params.text_document;
    let path = item.uri.to_file_path().ok();
    let Some(kind) = FileKind::for_document(path.as_deref(), &item.language_id) else {
        tracing::info!(uri = %item.uri, language_id = item.language_id, "not a Bazel file; ignored");
        return None;
    };
    let file_name = file_name(&item.uri);
    let checked_early = kind.is_starlark() && item.text.len() <= MAX_ANALYSED_SIZE;
    let doc = if checked_early {
        std::thread::scope(|scope| {
            let (uri, text, name) = (&item.uri, item.text.as_str(), file_name.as_str());
            let version = item.version;
            let checking = std::thread::Builder::new()
                .name("bzls-open-check".to_owned())
                .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
                .spawn_scoped(scope, move || {
                    let (diagnostics, parse) = open_check(kind, name, text)?;
                    early(uri, version, &Rope::from_str(text), diagnostics.clone());
                    Some((parse, diagnostics))
                });
            let mut doc = Document::new(kind, item.version, &item.text);
            let parsed = checking.ok().and_then(|h| h.join().ok()).flatten();
            if let Some((parse, diagnostics)) = parsed {
                doc.accept_open_parse(parse, diagnostics);
            }
            doc
        })
    } else {
        Document::new(kind, item.version, &item.text)
    };
    Some(Opening {
        uri: item.uri,
        doc,
        file_name,
    })
}

/// Puts an opened document in the state.
pub fn install(state: &mut State, opening: Opening) -> Followup {
    state
        .analysis
        .selects()
        .input_changed(SelectInput::Documents);
    let Opening {
        uri,
        doc,
        file_name,
    } = opening;
    let kind = doc.kind();
    let generation = doc.generation();
    let background_pass = (kind.is_starlark() && doc.needs_background_pass()).then_some(generation);
    state
        .documents
        .insert(uri.clone(), OpenDocument::new(doc, file_name));
    Followup {
        uri,
        background_pass,
        rc: kind == FileKind::Bazelrc,
    }
}

/// A document whose `didOpen` is being read off the LSP loop.
pub struct OpeningSlot {
    /// Tells this opening from a later `didOpen` of the same URI.
    id: u64,
    /// `didChange`s that arrived meanwhile, in order.
    changes: Vec<DidChangeTextDocumentParams>,
    /// A `didClose` arrived meanwhile.
    closed: bool,
    /// The document is an rc file: every select preview and rc request
    /// reads it, so they wait for it too.
    pub rc: bool,
    /// Changes (to closed) when the opening ends: requests about the
    /// document wait for it.
    pub done: tokio::sync::watch::Receiver<()>,
}

/// Records that `uri` is being opened; returns the opening's id for
/// [`finish_opening`]. `done` is closed by the caller when it finished.
pub fn begin_opening(
    state: &mut State,
    uri: Url,
    rc: bool,
    done: tokio::sync::watch::Receiver<()>,
) -> u64 {
    state.openings_started += 1;
    let id = state.openings_started;
    state.opening.insert(
        uri,
        OpeningSlot {
            id,
            changes: Vec::new(),
            closed: false,
            rc,
            done,
        },
    );
    id
}

/// Installs the document `opening` read for the opening `id` of `uri`,
/// then applies the changes that arrived meanwhile. Returns the follow-ups
/// (the install's with a zero delay first, then the changes'), or nothing
/// when the document was closed or opened again meanwhile, or is not
/// Bazel's.
pub fn finish_opening(
    state: &mut State,
    uri: &Url,
    id: u64,
    opening: Option<Opening>,
) -> Vec<Followup> {
    if state.opening.get(uri).is_none_or(|slot| slot.id != id) {
        return Vec::new();
    }
    let Some(slot) = state.opening.remove(uri) else {
        return Vec::new();
    };
    let Some(opening) = opening.filter(|_| !slot.closed) else {
        return Vec::new();
    };
    let mut followups = vec![install(state, opening)];
    for change in slot.changes {
        followups.extend(did_change(state, change));
    }
    followups
}

pub fn did_change(state: &mut State, params: DidChangeTextDocumentParams) -> Option<Followup> {
    if let Some(slot) = state.opening.get_mut(&params.text_document.uri) {
        slot.changes.push(params);
        return None;
    }
    let uri = params.text_document.uri;
    let encoding = state.encoding;
    let Some(open) = state.documents.get_mut(&uri) else {
        tracing::warn!(%uri, "didChange for a document that is not open; ignored");
        return None;
    };
    let changes: Vec<_> = params
        .content_changes
        .into_iter()
        .map(convert::text_change)
        .collect();
    let version = params.text_document.version;
    let doc = &mut open.doc;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        doc.apply_changes(version, &changes, encoding)
    }));
    match result {
        Ok(anomalies) => {
            for anomaly in anomalies {
                tracing::warn!(%uri, version, ?anomaly, "repaired a bad position in didChange");
            }
        }
        Err(_) => {
            // Keep whatever text the rope holds and rebuild everything else
            // from it, so the rope and the tree agree again.
            tracing::error!(%uri, version, "panic while applying a change; reparsing from scratch");
            let text = doc.rope().to_string();
            *doc = Document::new(doc.kind(), version, &text);
        }
    }
    let generation = open.doc.generation();
    if open.doc.kind() == FileKind::Bazelrc {
        // The configuration may have changed. (A BUILD document's own
        // edits are seen through its generation: see `selects::previews_for`.)
        state
            .analysis
            .selects()
            .input_changed(SelectInput::RcDocument);
    }
    Some(Followup {
        uri,
        background_pass: open.doc.kind().is_starlark().then_some(generation),
        rc: open.doc.kind() == FileKind::Bazelrc,
    })
}

pub fn did_close(state: &mut State, params: DidCloseTextDocumentParams) -> Url {
    // Its analysis and select previews are forgotten with its overlay
    // (`workspace::clear_overlay`).
    state
        .analysis
        .selects()
        .input_changed(SelectInput::Documents);
    let uri = params.text_document.uri;
    if let Some(slot) = state.opening.get_mut(&uri) {
        slot.closed = true;
    }
    if let Ok(path) = uri.to_file_path() {
        state.analysis.forget(&path);
    }
    if state.documents.remove(&uri).is_none() && !state.opening.contains_key(&uri) {
        tracing::warn!(%uri, "didClose for a document that is not open");
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp::lsp_types::TextDocumentItem;

    fn params(uri: &str, text: &str) -> DidOpenTextDocumentParams {
        DidOpenTextDocumentParams {
            text_document: TextDocumentItem {
                uri: Url::parse(uri).expect("uri"),
                language_id: "starlark".to_owned(),
                version: 3,
                text: text.to_owned(),
            },
        }
    }

    #[test]
    fn a_parsable_text_is_checked_before_its_tree_and_settled() {
        let text = "bazel_dep(name = \"a\")\nmodule(name = \"m\")\n";
        let mut early = None;
        let opening = open(
            params("file:///ws/MODULE.bazel", text),
            |uri, version, rope, list| {
                early = Some((uri.clone(), version, rope.to_string(), list));
            },
        )
        .expect("a Bazel file");
        let (uri, version, seen, list) = early.expect("early diagnostics");
        assert_eq!(
            (uri.as_str(), version, seen.as_str()),
            ("file:///ws/MODULE.bazel", 3, text)
        );
        assert_eq!(
            list,
            opening.doc.diagnostics(),
            "the same as the document's"
        );
        assert!(!list.is_empty());
        assert!(
            !opening.doc.needs_background_pass(),
            "the parse is installed"
        );
    }

    #[test]
    fn a_broken_text_waits_for_its_tree() {
        let mut called = false;
        let opening = open(
            params("file:///ws/BUILD", "cc_library(name = \n"),
            |_, _, _, _| {
                called = true;
            },
        )
        .expect("a Bazel file");
        assert!(!called);
        assert!(opening.doc.needs_background_pass());
        assert!(!opening.doc.diagnostics().is_empty());
    }
}
