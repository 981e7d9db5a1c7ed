//! textDocument/codeLens: the `select()` lenses (see [`super::selects`])
//! and, above each target, lenses that build, test or run it.
//!
//! A target lens runs the client command [`RUN_TARGET_COMMAND`] with one
//! argument: `{"command": "test", "label": "//pkg:t", "argv": ["bazel",
//! "test", "--config=ci", "//pkg:t"], "cwd": "<workspace root>"}`. `argv`
//! is the Bazel binary (`bzls.bazel.path`, else `bazel`), the command, the
//! active configuration (`--config=` for each of `bzls.configs`, then
//! `bzls.flags`) and the label. The editor runs it in a terminal.

use serde_json::json;
use tower_lsp::lsp_types as lsp;

use super::convert;
use super::state::{lock, SharedState};
use super::workspace::StarlarkRequest;
use crate::analysis::workspace::target_lens::{target_lenses, TargetAction};
use crate::text::{PositionEncoding, TextRange};

/// The client-side command a target lens runs (VS Code and the Neovim
/// module register it).
pub const RUN_TARGET_COMMAND: &str = "bzls.runTarget";

pub fn code_lens(
    req: &StarlarkRequest,
    state: &SharedState,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::CodeLens>> {
    let mut lenses = super::selects::code_lens_request(req, state, encoding).unwrap_or_default();
    lenses.extend(target_code_lenses(req, state, encoding));
    Some(lenses)
}

fn target_code_lenses(
    req: &StarlarkRequest,
    state: &SharedState,
    encoding: PositionEncoding,
) -> Vec<lsp::CodeLens> {
    let (enabled, bazel, mut options) = {
        let state = lock(state);
        let settings = &state.settings;
        let options: Vec<String> = settings
            .configs
            .iter()
            .map(|c| format!("--config={c}"))
            .chain(settings.flags.iter().cloned())
            .collect();
        let bazel = settings
            .bazel_path
            .as_ref()
            .map_or_else(|| "bazel".to_string(), |p| p.display().to_string());
        (settings.target_lenses, bazel, options)
    };
    if !enabled || !req.is_build {
        return Vec::new();
    }
    let cwd = req.index.root().display().to_string();
    let found = req.with_context(target_lenses).unwrap_or_default();
    let rope = &req.snapshot.rope;
    let mut out = Vec::new();
    options.retain(|o| !o.trim().is_empty());
    for lens in found {
        let range = convert::range(rope, TextRange::empty(lens.at), encoding);
        for action in lens.actions {
            let mut argv = vec![bazel.clone(), action.command().to_string()];
            argv.extend(options.iter().cloned());
            argv.push(lens.label.clone());
            out.push(lsp::CodeLens {
                range,
                command: Some(lsp::Command {
                    title: title(action).to_string(),
                    command: RUN_TARGET_COMMAND.to_string(),
                    arguments: Some(vec![json!({
                        "command": action.command(),
                        "label": lens.label,
                        "argv": argv,
                        "cwd": cwd,
                    })]),
                }),
                data: None,
            });
        }
    }
    out
}

fn title(action: TargetAction) -> &'static str {
    match action {
        TargetAction::Build => "Build",
        TargetAction::Test => "Test",
        TargetAction::Run => "Run",
    }
}
