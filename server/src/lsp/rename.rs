//! textDocument/prepareRename and textDocument/rename.

use std::collections::HashMap;

use ropey::Rope;
use tower_lsp::jsonrpc;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::rc_model::RcModel;
use crate::analysis::rc::navigation::{prepare_rename as rc_prepare, rename as rc_rename};
use crate::text::PositionEncoding;

pub fn prepare_rename(
    model: &RcModel,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::PrepareRenameResponse> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    let (range, placeholder) = rc_prepare(&ctx, offset)?;
    Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
        range: convert::range(&rope, range, encoding),
        placeholder,
    })
}

pub fn rename(
    model: &RcModel,
    pos: lsp::Position,
    new_name: &str,
    encoding: PositionEncoding,
) -> jsonrpc::Result<Option<lsp::WorkspaceEdit>> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    let edits = rc_rename(&ctx, offset, new_name).map_err(jsonrpc::Error::invalid_params)?;
    let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
    for edit in edits {
        if let Some(location) = convert::file_location(&edit.at, &model.chain, encoding) {
            changes
                .entry(location.uri)
                .or_default()
                .push(lsp::TextEdit::new(location.range, edit.new_text));
        }
    }
    Ok(Some(lsp::WorkspaceEdit::new(changes)))
}
