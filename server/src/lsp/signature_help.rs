//! textDocument/signatureHelp: the callable of the call around the
//! cursor, with the parameter its argument binds.

use tower_lsp::lsp_types as lsp;

use super::convert;
use super::workspace::StarlarkRequest;
use crate::analysis::workspace::calls::{param_markdown, signature_help as help};
use crate::analysis::workspace::{FileContext, WorkspaceView};
use crate::text::PositionEncoding;

pub fn signature_help(
    req: &StarlarkRequest,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::SignatureHelp> {
    req.with_context(|ctx| context_signature_help(ctx, &*req.index, pos, encoding))?
}

/// Signature help from a file's context (also for MODULE.bazel and
/// WORKSPACE files, which have no analysis of their own).
pub fn context_signature_help(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::SignatureHelp> {
    let offset = convert::offset(ctx.rope, pos, encoding);
    let found = help(ctx, view, offset)?;
    let callable = &found.callable;
    let markdown = |value: String| {
        lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        })
    };
    let mut doc = callable.doc.clone().unwrap_or_default();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!("*{}*", callable.origin_note()));
    let (label, ranges) = callable.signature_with_ranges();
    // Offsets into the label count UTF-16 code units, as LSP strings do.
    let utf16 = |byte: usize| label[..byte].encode_utf16().count() as u32;
    let parameters = ranges
        .iter()
        .enumerate()
        .map(|(i, range)| lsp::ParameterInformation {
            label: lsp::ParameterLabel::LabelOffsets([utf16(range.start), utf16(range.end)]),
            documentation: param_markdown(callable, i).map(markdown),
        })
        .collect();
    Some(lsp::SignatureHelp {
        signatures: vec![lsp::SignatureInformation {
            label: label.clone(),
            documentation: Some(markdown(doc)),
            parameters: Some(parameters),
            active_parameter: found.active_param.map(|i| i as u32),
        }],
        active_signature: Some(0),
        active_parameter: found.active_param.map(|i| i as u32),
    })
}
