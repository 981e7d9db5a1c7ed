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
    let mut found = req.with_context(|ctx| {
        crate::analysis::workspace::definition::definition(ctx, &*req.index, offset)
    })?;
    if found.is_empty() {
        found = from_enclosing(req, state, offset);
    }
    let locations: Vec<lsp::Location> = convert::workspace_locations(state, &found, encoding)
        .into_iter()
        .flatten()
        .collect();
    (!locations.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(locations))
}

/// Definition in a nested workspace's file from the workspaces around it
/// that the server indexes and whose packages include the file (see
/// [`crate::db::nested`]), when its own workspace finds nothing.
fn from_enclosing(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    offset: usize,
) -> Vec<crate::analysis::workspace::FileRange> {
    use crate::analysis::workspace::FileContext;
    let Some(tree) = req.snapshot.tree.as_ref() else {
        return Vec::new();
    };
    let nested_root = req.index.root();
    let roots = crate::db::nested::enclosing_roots(nested_root);
    let indexes: Vec<_> = {
        let state = super::state::lock(state);
        roots
            .iter()
            .filter_map(|root| state.indexes.get(root).cloned())
            .collect()
    };
    for outer in indexes {
        let Some(package) =
            crate::db::nested::package_in(&outer, &req.path, nested_root, req.is_build)
        else {
            continue;
        };
        let ctx = FileContext::new(
            &*outer,
            tree,
            &req.snapshot.rope,
            req.path.clone(),
            package,
            req.is_build,
        );
        let found = crate::analysis::workspace::definition::definition(&ctx, &*outer, offset);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}
