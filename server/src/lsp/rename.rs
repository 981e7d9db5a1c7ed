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

/// prepareRename in a Starlark file: a target (from its `name` or a label)
/// or a variable; an error saying why when it cannot be renamed.
pub fn starlark_prepare_rename(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<jsonrpc::Result<lsp::PrepareRenameResponse>> {
    use crate::analysis::workspace::rename::{prepare_rename, Renamable};
    let rope = &req.snapshot.rope;
    let offset = convert::offset(rope, pos, encoding);
    let text_of = |path: &std::path::Path| editor_text(state, &*req.index, path);
    let found = req.with_context(|ctx| prepare_rename(ctx, &*req.index, offset, &text_of))?;
    Some(match found {
        Ok(Renamable::Target { range, name, .. } | Renamable::Variable { range, name }) => {
            Ok(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(rope, range, encoding),
                placeholder: name,
            })
        }
        Ok(Renamable::Symbol { range, symbol }) => {
            Ok(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(rope, range, encoding),
                placeholder: symbol.name,
            })
        }
        Err(why) => Err(refused(why)),
    })
}

/// rename in a Starlark file: every mention across the workspace.
pub fn starlark_rename(
    req: &super::workspace::StarlarkRequest,
    state: &super::state::SharedState,
    pos: lsp::Position,
    new_name: &str,
    encoding: PositionEncoding,
) -> Option<jsonrpc::Result<lsp::WorkspaceEdit>> {
    use crate::analysis::workspace::rename::rename as rename_at;
    let offset = convert::offset(&req.snapshot.rope, pos, encoding);
    let text_of = |path: &std::path::Path| editor_text(state, &*req.index, path);
    // The rc files Bazel reads for this workspace, open buffers first.
    let chain = super::rc_model::current_workspace_chain(state, req.index.root());
    let edits = match req
        .with_context(|ctx| rename_at(ctx, &*req.index, offset, new_name, &text_of, &chain.files))?
    {
        Ok(edits) => edits,
        Err(why) => return Some(Err(refused(why))),
    };
    let at: Vec<crate::analysis::workspace::FileRange> = edits
        .iter()
        .map(|e| crate::analysis::workspace::FileRange {
            path: e.path.clone(),
            range: e.range,
        })
        .collect();
    let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
    for (edit, location) in edits
        .iter()
        .zip(convert::workspace_locations(state, &at, encoding))
    {
        let Some(location) = location else {
            return Some(Err(refused(format!("cannot read {}", edit.path.display()))));
        };
        changes
            .entry(location.uri)
            .or_default()
            .push(lsp::TextEdit::new(location.range, edit.new_text.clone()));
    }
    Some(Ok(lsp::WorkspaceEdit::new(changes)))
}

/// The text of a file as the editor has it: the open document's, else the
/// file on disk.
fn editor_text(
    state: &super::state::SharedState,
    view: &dyn crate::analysis::workspace::WorkspaceView,
    path: &std::path::Path,
) -> Option<std::sync::Arc<str>> {
    let uri = lsp::Url::from_file_path(path).ok()?;
    let open = super::state::lock(state)
        .documents
        .get(&uri)
        .map(|open| open.doc.rope().clone());
    match open {
        Some(rope) => Some(std::sync::Arc::from(rope.to_string())),
        None => view.file_text(path),
    }
}

/// A rename the server will not do, with why (LSP's `RequestFailed`, whose
/// message editors show).
fn refused(why: String) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::ServerError(-32803),
        message: why.into(),
        data: None,
    }
}
