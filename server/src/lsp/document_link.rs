//! textDocument/documentLink and documentLink/resolve.
//!
//! A `load()` path's link carries its target. A label's link carries
//! `data` (`{"uri": <document>, "label": <absolute label>}`) and gets its
//! target on resolve: a file URI whose fragment is the line and column of
//! the target's `name` (`#L12,5`, 1-based), as VS Code opens it.

use serde_json::{json, Value};
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::workspace::StarlarkRequest;
use crate::analysis::workspace::links::{document_links, link_target, LinkTarget};
use crate::text::PositionEncoding;

pub fn document_link(
    req: &StarlarkRequest,
    uri: &lsp::Url,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::DocumentLink>> {
    let rope = &req.snapshot.rope;
    let links = req.with_context(|ctx| document_links(ctx, &*req.index))?;
    Some(
        links
            .into_iter()
            .map(|link| {
                let range = convert::range(rope, link.range, encoding);
                match link.target {
                    LinkTarget::File(path) => lsp::DocumentLink {
                        range,
                        tooltip: None,
                        target: lsp::Url::from_file_path(&path).ok(),
                        data: None,
                    },
                    LinkTarget::Label(label) => lsp::DocumentLink {
                        range,
                        tooltip: None,
                        target: None,
                        data: Some(json!({ "uri": uri.as_str(), "label": label })),
                    },
                }
            })
            .collect(),
    )
}

/// The document and label a label link's `data` names.
pub fn link_data(link: &lsp::DocumentLink) -> Option<(lsp::Url, String)> {
    let data = link.data.as_ref()?;
    let uri = lsp::Url::parse(data.get("uri").and_then(Value::as_str)?).ok()?;
    let label = data.get("label").and_then(Value::as_str)?.to_string();
    Some((uri, label))
}

/// The target of a label link, as a file URI with the position in its
/// fragment; `None` when the label goes nowhere.
pub fn resolve_target(
    req: &StarlarkRequest,
    state: &super::state::SharedState,
    label: &str,
    encoding: PositionEncoding,
) -> Option<lsp::Url> {
    let found = req.with_context(|ctx| link_target(ctx, &*req.index, label))??;
    let location = convert::workspace_locations(state, &[found], encoding)
        .pop()
        .flatten()?;
    let mut target = location.uri;
    let start = location.range.start;
    if start != lsp::Position::default() {
        target.set_fragment(Some(&format!(
            "L{},{}",
            start.line + 1,
            start.character + 1
        )));
    }
    Some(target)
}
