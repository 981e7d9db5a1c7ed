//! textDocument/definition.

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::rc_model::RcModel;
use crate::analysis::rc::navigation::definition;
use crate::text::PositionEncoding;

pub fn goto_definition(
    model: &RcModel,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::GotoDefinitionResponse> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    let locations: Vec<lsp::Location> = definition(&ctx, offset)
        .iter()
        .filter_map(|at| convert::file_location(at, &model.chain, encoding))
        .collect();
    (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
}

/// Definition in a Starlark file: labels, loads, symbols, locals.
pub fn starlark_definition(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::GotoDefinitionResponse> {
    let offset = convert::offset(&req.snapshot.rope, pos, encoding);
    let found = req.with_context(|ctx| {
        crate::analysis::workspace::definition::definition(ctx, &*req.index, offset)
    })?;
    let locations: Vec<lsp::Location> = convert::workspace_locations(state, &found, encoding)
        .into_iter()
        .flatten()
        .collect();
    (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
}
