//! textDocument/references.

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::rc_model::RcModel;
use crate::analysis::rc::navigation::references as rc_references;
use crate::text::PositionEncoding;

pub fn references(
    model: &RcModel,
    pos: lsp::Position,
    include_declaration: bool,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::Location>> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    Some(
        rc_references(&ctx, offset, include_declaration)
            .iter()
            .filter_map(|at| convert::file_location(at, &model.chain, encoding))
            .collect(),
    )
}

/// References of a target, from a Starlark file.
pub fn starlark_references(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    pos: lsp::Position,
    include_declaration: bool,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::Location>> {
    let offset = convert::offset(&req.snapshot.rope, pos, encoding);
    let chain = super::rc_model::current_workspace_chain(state, req.index.root());
    let found = req.with_context(|ctx| {
        crate::analysis::workspace::references::references(
            ctx,
            &*req.index,
            offset,
            include_declaration,
            &chain.files,
        )
    })?;
    Some(
        convert::workspace_locations(state, &found, encoding)
            .into_iter()
            .flatten()
            .collect(),
    )
}
