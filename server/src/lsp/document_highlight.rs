//! textDocument/documentHighlight.

use tower_lsp::lsp_types as lsp;

use super::convert;
use super::workspace::StarlarkRequest;
use crate::analysis::scope::Access;
use crate::analysis::workspace::highlight::highlights;
use crate::text::PositionEncoding;

pub fn document_highlight(
    req: &StarlarkRequest,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::DocumentHighlight>> {
    let rope = &req.snapshot.rope;
    let offset = convert::offset(rope, pos, encoding);
    let found = req.with_context(|ctx| highlights(ctx, &*req.index, offset))?;
    (!found.is_empty()).then(|| {
        found
            .into_iter()
            .map(|h| lsp::DocumentHighlight {
                range: convert::range(rope, h.range, encoding),
                kind: Some(match h.access {
                    Access::Read => lsp::DocumentHighlightKind::READ,
                    Access::Write => lsp::DocumentHighlightKind::WRITE,
                }),
            })
            .collect()
    })
}
