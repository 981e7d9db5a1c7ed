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
                data: item
                    .resolve_flag
                    .map(|flag| serde_json::json!({"flag": flag, "db": model.choice.db.version()})),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    range,
                    item.insert,
                ))),
                ..lsp::CompletionItem::default()
            }
        })
        .collect::<Vec<_>>();
    // Flag lists are filtered by what was typed: ask the client to come
    // back as typing goes on.
    let is_incomplete = items
        .iter()
        .any(|i| i.kind == Some(lsp::CompletionItemKind::PROPERTY));
    Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete,
        items,
    }))
}

fn markdown(value: String) -> lsp::Documentation {
    lsp::Documentation::MarkupContent(lsp::MarkupContent {
        kind: lsp::MarkupKind::Markdown,
        value,
    })
}

/// completionItem/resolve: the documentation of a flag item, from the
/// database named in its `data`, or of a native rule (its attributes);
/// other items are left unchanged.
pub fn resolve(mut item: lsp::CompletionItem) -> lsp::CompletionItem {
    let Some(data) = item.data.as_ref() else {
        return item;
    };
    if let Some(rule) = data.get("nativeRule").and_then(|v| v.as_str()) {
        if let Some(callable) = crate::workspace::callables::Callable::native_rule(rule) {
            item.documentation = Some(markdown(
                crate::analysis::workspace::calls::callable_markdown(&callable),
            ));
        }
        return item;
    }
    let (Some(flag), Some(db)) = (
        data.get("flag").and_then(|v| v.as_str()),
        data.get("db").and_then(|v| v.as_str()),
    ) else {
        return item;
    };
    let version = crate::flags::BazelVersion::parse(db);
    let choice =
        crate::host::flags::choose(version.as_ref(), crate::host::flags::cache_dir().as_deref());
    if let Some(info) = choice.db.get(flag) {
        let label = format!("Bazel {}", choice.db.version());
        item.documentation = Some(lsp::Documentation::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: crate::analysis::rc::hover::flag_markdown_from(&label, info),
        }));
    }
    item
}

/// Completion inside a string of a Starlark file.
/// Completion in a Starlark file: inside strings labels and files; outside
/// them (when `names`) parameters and names in scope.
pub fn starlark_completion(
    req: &super::workspace::StarlarkRequest,
    pos: lsp::Position,
    encoding: PositionEncoding,
    names: bool,
) -> Option<lsp::CompletionResponse> {
    req.with_context(|ctx| context_completion(ctx, &*req.index, pos, encoding, names))?
}

/// Completion from a file's context (also for MODULE.bazel and WORKSPACE
/// files, which have no analysis of their own).
pub fn context_completion(
    ctx: &crate::analysis::workspace::FileContext<'_>,
    view: &dyn crate::analysis::workspace::WorkspaceView,
    pos: lsp::Position,
    encoding: PositionEncoding,
    names: bool,
) -> Option<lsp::CompletionResponse> {
    use crate::analysis::workspace::completion::{completion, ItemKind};
    let rope = ctx.rope;
    let offset = convert::offset(rope, pos, encoding);
    let found = completion(ctx, view, offset).or_else(|| {
        names
            .then(|| crate::analysis::workspace::calls::name_completion(ctx, view, offset))
            .flatten()
    })?;
    // Items share their range: convert it once.
    let mut last: Option<(crate::text::TextRange, lsp::Range)> = None;
    let mut range_of = |range: crate::text::TextRange| match last {
        Some((at, converted)) if at == range => converted,
        _ => {
            let converted = convert::range(rope, range, encoding);
            last = Some((range, converted));
            converted
        }
    };
    let items = found
        .items
        .into_iter()
        .map(|item| lsp::CompletionItem {
            label: item.text.clone(),
            kind: Some(match item.kind {
                ItemKind::Package => lsp::CompletionItemKind::MODULE,
                ItemKind::Target => lsp::CompletionItemKind::VALUE,
                ItemKind::File => lsp::CompletionItemKind::FILE,
                ItemKind::Directory => lsp::CompletionItemKind::FOLDER,
                ItemKind::Symbol => lsp::CompletionItemKind::FUNCTION,
                ItemKind::Repository => lsp::CompletionItemKind::MODULE,
                ItemKind::Parameter => lsp::CompletionItemKind::PROPERTY,
                ItemKind::Rule => lsp::CompletionItemKind::CLASS,
                ItemKind::Function => lsp::CompletionItemKind::FUNCTION,
                ItemKind::Variable => lsp::CompletionItemKind::VARIABLE,
                ItemKind::Field => lsp::CompletionItemKind::FIELD,
                ItemKind::Keyword => lsp::CompletionItemKind::KEYWORD,
            }),
            detail: item.detail,
            documentation: item.documentation.map(markdown),
            data: item
                .native_rule
                .map(|rule| serde_json::json!({ "nativeRule": rule })),
            // The label is the filter text (LSP's default): not sent again.
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range: range_of(item.range),
                new_text: item.text,
            })),
            ..lsp::CompletionItem::default()
        })
        .collect();
    Some(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: found.incomplete,
        items,
    }))
}
