//! textDocument/hover.

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::rc_model::RcModel;
use crate::analysis::rc::hover::hover as rc_hover;
use crate::text::PositionEncoding;

pub fn hover(
    model: &RcModel,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::Hover> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    let found = rc_hover(&ctx, offset)?;
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: found.markdown,
        }),
        range: Some(convert::range(&rope, found.range, encoding)),
    })
}
