//! textDocument/documentSymbol.

use tower_lsp::lsp_types::{self as lsp, DocumentSymbolResponse};

use super::convert;
use super::state::RequestSnapshot;
use crate::analysis::symbols::{document_symbols, SymbolKind};

pub fn document_symbol(req: &RequestSnapshot) -> DocumentSymbolResponse {
    let snapshot = &req.snapshot;
    let symbols = document_symbols(snapshot)
        .into_iter()
        .map(|s| {
            #[allow(deprecated)]
            lsp::DocumentSymbol {
                name: s.name,
                detail: s.detail,
                kind: match s.kind {
                    SymbolKind::Target => lsp::SymbolKind::OBJECT,
                    SymbolKind::Function => lsp::SymbolKind::FUNCTION,
                    SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
                },
                tags: None,
                deprecated: None,
                range: convert::range(&snapshot.rope, s.range, req.encoding),
                selection_range: convert::range(&snapshot.rope, s.selection, req.encoding),
                children: None,
            }
        })
        .collect();
    DocumentSymbolResponse::Nested(symbols)
}
