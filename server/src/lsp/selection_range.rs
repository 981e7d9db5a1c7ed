//! textDocument/selectionRange.

use tower_lsp::lsp_types as lsp;

use super::convert;
use super::state::RequestSnapshot;
use crate::analysis::selection::selection_ranges;

/// One chain a position, each range with the next one out as its parent.
pub fn selection_range(
    req: &RequestSnapshot,
    positions: &[lsp::Position],
) -> Vec<lsp::SelectionRange> {
    let rope = &req.snapshot.rope;
    let offsets: Vec<usize> = positions
        .iter()
        .map(|p| convert::offset(rope, *p, req.encoding))
        .collect();
    selection_ranges(&req.snapshot, &offsets)
        .into_iter()
        .map(|chain| {
            let mut nested: Option<lsp::SelectionRange> = None;
            for range in chain.into_iter().rev() {
                nested = Some(lsp::SelectionRange {
                    range: convert::range(rope, range, req.encoding),
                    parent: nested.map(Box::new),
                });
            }
            nested.unwrap_or(lsp::SelectionRange {
                range: lsp::Range::default(),
                parent: None,
            })
        })
        .collect()
}
