//! Buildifier's lint warnings as diagnostics of open Starlark documents
//! (source `buildifier`, code = the warning's category, a link to its
//! documentation), and its automatic fixes as quick fixes.
//!
//! Linting runs off the keystroke path, on one thread (`bzls-lint`), once
//! typing pauses ([`LINT_DELAY`]); the warnings are stored in the document
//! for the version they were computed for and moved through later edits
//! until the next lint, as the workspace diagnostics are (see
//! [`crate::analysis::Document::set_lint`]). With `bzls.buildifier.lint`
//! `"off"`, or no buildifier found, there are none.

use std::collections::HashMap;
use std::time::Duration;

use tower_lsp::lsp_types::{self as lsp, Url};

use super::convert;
use super::diagnostics::Publisher;
use super::formatting::{self, FormatInput};
use super::state::{lock, SharedState};
use crate::host::buildifier::{Buildifier, FormatError};

/// How long typing must pause before a document is linted again.
pub const LINT_DELAY: Duration = Duration::from_millis(400);

/// Lints `uri` after `delay`, unless its text changes meanwhile (the
/// change schedules another).
pub fn schedule(state: SharedState, publisher: Publisher, uri: Url, delay: Duration) {
    let generation = {
        let state = lock(&state);
        match state.documents.get(&uri) {
            Some(open) if open.doc.kind().is_starlark() => open.doc.generation(),
            _ => return,
        }
    };
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if !super::state::is_current(&state, &uri, generation) {
            return;
        }
        super::blocking::run_lint(move || lint_now(&state, &publisher, &uri, generation));
    });
}

/// Lints every open Starlark document (the settings changed).
pub fn schedule_all(state: &SharedState, publisher: &Publisher) {
    let open: Vec<Url> = lock(state)
        .documents
        .iter()
        .filter(|(_, open)| open.doc.kind().is_starlark())
        .map(|(uri, _)| uri.clone())
        .collect();
    for uri in open {
        schedule(state.clone(), publisher.clone(), uri, Duration::ZERO);
    }
}

/// Lints `uri` if it is still at `generation`, stores the warnings and
/// republishes its diagnostics when they changed.
fn lint_now(state: &SharedState, publisher: &Publisher, uri: &Url, generation: u64) {
    if !super::state::is_current(state, uri, generation) {
        return;
    }
    let (enabled, warnings) = {
        let state = lock(state);
        let settings = &state.settings;
        (
            settings.buildifier_lint,
            settings.buildifier_warnings.clone(),
        )
    };
    let found = if enabled {
        match lint_document(state, uri, warnings.as_deref()) {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(why) => {
                tracing::warn!(%uri, %why, "not linted");
                show_once(state, publisher, why);
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let changed = {
        let mut state = lock(state);
        let Some(open) = state.documents.get_mut(uri) else {
            return;
        };
        let (old, current) = open.doc.lint();
        let same = current && old == found.as_slice() || old.is_empty() && found.is_empty();
        open.doc.set_lint(generation, found) && !same
    };
    if changed {
        publisher.refresh(uri.clone());
    }
}

/// Buildifier's warnings for `uri` at its current text: `Ok(None)` when
/// the text changed meanwhile or no buildifier is configured or on
/// `PATH` (lint is then silently off: buildifier is optional); `Err` when
/// the configured one is missing or buildifier failed.
fn lint_document(
    state: &SharedState,
    uri: &Url,
    warnings: Option<&str>,
) -> Result<Option<Vec<crate::diagnostic::LintWarning>>, String> {
    let Ok(input) = formatting::input(state, uri) else {
        return Ok(None);
    };
    let buildifier = match Buildifier::locate(input.configured()) {
        Ok(buildifier) => buildifier,
        Err(_) if input.configured().is_none() => return Ok(None),
        Err(why) => return Err(why),
    };
    let text = input.snapshot().rope.to_string();
    match buildifier.lint(&text, &input.file(), warnings) {
        Ok(found) => Ok(Some(found)),
        Err(FormatError::Syntax(_)) => Ok(Some(Vec::new())),
        Err(FormatError::Failed(why)) => Err(why),
    }
}

/// Shows `message` once a session (see `State::buildifier_messages`).
fn show_once(state: &SharedState, publisher: &Publisher, message: String) {
    if lock(state).buildifier_messages.insert(message.clone()) {
        publisher.show_message(lsp::MessageType::ERROR, format!("bzls: {message}"));
    }
}

/// The quick fixes for the buildifier warnings among `diagnostics` that
/// buildifier can fix itself: one per category, whose edit is what
/// `buildifier -lint=fix -warnings=<category>` changes. When the file is
/// not formatted, that also formats it, and the title says so.
pub fn fixes(
    input: &FormatInput,
    uri: &Url,
    diagnostics: &[lsp::Diagnostic],
) -> Vec<lsp::CodeActionOrCommand> {
    let mut categories: Vec<(&str, &lsp::Diagnostic)> = Vec::new();
    for d in diagnostics.iter().filter(|d| is_fixable(d)) {
        if let Some(lsp::NumberOrString::String(category)) = &d.code {
            if !categories.iter().any(|(c, _)| c == category) {
                categories.push((category.as_str(), d));
            }
        }
    }
    if categories.is_empty() {
        return Vec::new();
    }
    let Ok(buildifier) = Buildifier::locate(input.configured()) else {
        return Vec::new();
    };
    let text = input.snapshot().rope.to_string();
    let file = input.file();
    let formatted = buildifier.format(&text, &file).ok();
    let formats_too = formatted.as_deref() != Some(text.as_str());
    categories
        .into_iter()
        .filter_map(|(category, diagnostic)| {
            let fixed = buildifier.fix(&text, &file, category).ok()?;
            let edits = formatting::edits(input, &text, &fixed);
            if edits.is_empty() {
                return None;
            }
            let title = if formats_too {
                format!("Fix '{category}' with buildifier (also formats the file)")
            } else {
                format!("Fix '{category}' with buildifier")
            };
            Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..lsp::WorkspaceEdit::default()
                }),
                ..lsp::CodeAction::default()
            }))
        })
        .collect()
}

/// Whether `diagnostics` hold a buildifier warning it can fix itself.
pub fn any_fixable(diagnostics: &[lsp::Diagnostic]) -> bool {
    diagnostics.iter().any(is_fixable)
}

/// Whether `d` is a buildifier warning it can fix itself (see
/// [`convert::lint_diagnostics`]).
fn is_fixable(d: &lsp::Diagnostic) -> bool {
    d.source.as_deref() == Some(convert::LINT_SOURCE)
        && d.data.as_ref().and_then(|data| data.get("autoFixable"))
            == Some(&serde_json::Value::Bool(true))
}
