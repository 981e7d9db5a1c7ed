//! textDocument/codeAction: the "did you mean" quick fixes the diagnostics
//! carry in their `data` (`{"fixes": [{"range", "newText"}]}`), so a fix
//! always matches the text its diagnostic was computed on.

use std::collections::HashMap;

use tower_lsp::lsp_types as lsp;

pub fn code_actions(params: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
    let mut out = Vec::new();
    for diagnostic in &params.context.diagnostics {
        let Some(fixes) = diagnostic
            .data
            .as_ref()
            .and_then(|d| d.get("fixes"))
            .and_then(|f| f.as_array())
        else {
            continue;
        };
        for (i, fix) in fixes.iter().enumerate() {
            let (Some(range), Some(new_text)) = (
                fix.get("range")
                    .and_then(|r| serde_json::from_value::<lsp::Range>(r.clone()).ok()),
                fix.get("newText").and_then(|t| t.as_str()),
            ) else {
                continue;
            };
            let edit = lsp::TextEdit {
                range,
                new_text: new_text.to_string(),
            };
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("Change to '{new_text}'"),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(
                        params.text_document.uri.clone(),
                        vec![edit],
                    )])),
                    ..lsp::WorkspaceEdit::default()
                }),
                is_preferred: Some(i == 0),
                ..lsp::CodeAction::default()
            }));
        }
    }
    out
}
