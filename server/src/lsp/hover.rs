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

/// Hover in a Starlark file: labels and loaded or local symbols.
pub fn starlark_hover(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::Hover> {
    let rope = &req.snapshot.rope;
    let offset = convert::offset(rope, pos, encoding);
    if let Some(hover) = super::selects::hover_request(req, state, offset, encoding) {
        return Some(hover);
    }
    req.with_context(|ctx| context_hover(ctx, &*req.index, pos, encoding))?
}

/// Hover in a Starlark file, from its context (also for MODULE.bazel and
/// WORKSPACE files, which have no analysis of their own).
pub fn context_hover(
    ctx: &crate::analysis::workspace::FileContext<'_>,
    view: &dyn crate::analysis::workspace::WorkspaceView,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::Hover> {
    let offset = convert::offset(ctx.rope, pos, encoding);
    let found = crate::analysis::workspace::hover::hover(ctx, view, offset)?;
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: found.markdown,
        }),
        range: Some(convert::range(ctx.rope, found.range, encoding)),
    })
}
