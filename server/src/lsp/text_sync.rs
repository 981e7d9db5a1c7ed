//! didOpen / didChange / didClose.
//!
//! Invariant: each function here runs to completion without awaiting, so
//! changes apply in the order the client sent them.

use std::panic::AssertUnwindSafe;

use tower_lsp::lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, Url,
};

use super::convert;
use super::state::{OpenDocument, State};
use crate::analysis::Document;
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

pub fn did_open(state: &mut State, params: DidOpenTextDocumentParams) -> Option<Followup> {
    state.select_epoch += 1;
    let item = params.text_document;
    let path = item.uri.to_file_path().ok();
    let Some(kind) = FileKind::for_document(path.as_deref(), &item.language_id) else {
        tracing::info!(uri = %item.uri, language_id = item.language_id, "not a Bazel file; ignored");
        return None;
    };
    let doc = Document::new(kind, item.version, &item.text);
    let generation = doc.generation();
    let file_name = file_name(&item.uri);
    state
        .documents
        .insert(item.uri.clone(), OpenDocument::new(doc, file_name));
    Some(Followup {
        uri: item.uri,
        background_pass: kind.is_starlark().then_some(generation),
        rc: kind == FileKind::Bazelrc,
    })
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
        state.select_epoch += 1;
    }
    Some(Followup {
        uri,
        background_pass: open.doc.kind().is_starlark().then_some(generation),
        rc: open.doc.kind() == FileKind::Bazelrc,
    })
}

pub fn did_close(state: &mut State, params: DidCloseTextDocumentParams) -> Url {
    state.select_epoch += 1;
    state.select_cache.remove(&params.text_document.uri);
    let uri = params.text_document.uri;
    if state.documents.remove(&uri).is_none() {
        tracing::warn!(%uri, "didClose for a document that is not open");
    }
    uri
}
