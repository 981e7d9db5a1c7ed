//! textDocument/documentSymbol.

use tower_lsp::lsp_types::{self as lsp, DocumentSymbolResponse};

use super::convert;
use super::state::RequestSnapshot;
use crate::analysis::rc::symbols::{rc_symbols, RcSymbol, RcSymbolKind};
use crate::analysis::symbols::{document_symbols, SymbolKind};
use crate::syntax::FileKind;

pub fn document_symbol(req: &RequestSnapshot) -> DocumentSymbolResponse {
    let snapshot = &req.snapshot;
    if snapshot.kind == FileKind::Bazelrc {
        let text = snapshot.rope.to_string();
        let file = crate::rc::file::parse(&text);
        let symbols = rc_symbols(&file, &text)
            .into_iter()
            .map(|s| rc_symbol(req, s))
            .collect();
        return DocumentSymbolResponse::Nested(symbols);
    }
    let symbols = match &req.kept {
        Some((host, path)) => host.document_symbols(path, snapshot),
        None => std::sync::Arc::new(document_symbols(snapshot)),
    };
    let symbols = symbols
        .iter()
        .cloned()
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

fn rc_symbol(req: &RequestSnapshot, s: RcSymbol) -> lsp::DocumentSymbol {
    let rope = &req.snapshot.rope;
    let children: Vec<lsp::DocumentSymbol> =
        s.children.into_iter().map(|c| rc_symbol(req, c)).collect();
    #[allow(deprecated)]
    lsp::DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind: match s.kind {
            RcSymbolKind::Config => lsp::SymbolKind::NAMESPACE,
            RcSymbolKind::Command => lsp::SymbolKind::MODULE,
            RcSymbolKind::Section => lsp::SymbolKind::KEY,
            RcSymbolKind::Import => lsp::SymbolKind::FILE,
        },
        tags: None,
        deprecated: None,
        range: convert::range(rope, s.range, req.encoding),
        selection_range: convert::range(rope, s.selection, req.encoding),
        children: (!children.is_empty()).then_some(children),
    }
}
