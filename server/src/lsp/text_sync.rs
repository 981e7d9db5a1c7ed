//! didOpen / didChange / didClose.
//!
//! Invariant: each function here runs to completion without awaiting, so
//! changes apply in the order the client sent them.

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

pub fn did_change(state: &mut State, params: DidChangeTextDocumentParams) -> Option<Followup> {
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
    if let Ok(path) = uri.to_file_path() {
        state.analysis.forget(&path);
    }
    if state.documents.remove(&uri).is_none() {
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
