//! workspace/symbol: targets by name, across every indexed workspace.

use tower_lsp::lsp_types as lsp;

use super::convert;
use super::state::{lock, SharedState};
use crate::analysis::workspace::symbols::{workspace_symbols, MAX_SYMBOLS};

#[allow(deprecated)] // `SymbolInformation::deprecated` must be spelt out.
pub fn workspace_symbol(state: &SharedState, query: &str) -> Vec<lsp::SymbolInformation> {
    let (indexes, encoding) = {
        let state = lock(state);
        (
            state.indexes.values().cloned().collect::<Vec<_>>(),
            state.encoding,
        )
    };
    let mut out = Vec::new();
    for index in indexes {
        let symbols = workspace_symbols(&*index, query);
        let ranges: Vec<_> = symbols.iter().map(|s| s.location.clone()).collect();
        let locations = convert::workspace_locations(state, &ranges, encoding);
        for (symbol, location) in symbols.into_iter().zip(locations) {
            let Some(location) = location else {
                continue;
            };
            out.push(lsp::SymbolInformation {
                name: symbol.label,
                kind: lsp::SymbolKind::CONSTANT,
                tags: None,
                deprecated: None,
                location,
                container_name: Some(symbol.kind),
            });
        }
    }
    out.truncate(MAX_SYMBOLS);
    out
}
