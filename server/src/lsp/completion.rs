//! textDocument/completion.

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::rc_model::RcModel;
use crate::analysis::rc::completion::{complete, CompletionKind};
use crate::text::PositionEncoding;

pub fn completion(
    model: &RcModel,
    pos: lsp::Position,
    encoding: PositionEncoding,
) -> Option<lsp::CompletionResponse> {
    let ctx = model.ctx();
    let rope = Rope::from_str(ctx.text());
    let offset = convert::offset(&rope, pos, encoding);
    let items = complete(&ctx, offset)
        .into_iter()
        .map(|item| {
            let range = convert::range(&rope, item.replace, encoding);
            lsp::CompletionItem {
                label: item.label,
                kind: Some(match item.kind {
                    CompletionKind::Command => lsp::CompletionItemKind::KEYWORD,
                    CompletionKind::Config => lsp::CompletionItemKind::MODULE,
                    CompletionKind::Flag => lsp::CompletionItemKind::PROPERTY,
                    CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
                }),
                detail: item.detail,
                documentation: item.documentation.map(|d| {
                    lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value: d,
                    })
                }),
                tags: item
                    .deprecated
                    .then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
                sort_text: Some(item.sort),
                filter_text: None,
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    range,
                    item.insert,
                ))),
                ..lsp::CompletionItem::default()
            }
        })
        .collect::<Vec<_>>();
    Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: false,
        items,
    }))
}
