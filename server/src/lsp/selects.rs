//! `select()` previews in the editor: the inputs of a workspace's
//! [`SelectSession`] captured from the server's state (open rc buffers
//! first, then the disk; the settings' active configuration; open BUILD
//! documents), and the inlay hints, code lenses, hover and diagnostics of
//! an open BUILD file from the previews the analysis host keeps per version
//! (`crate::db::selects`). Sessions are built outside the state lock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp::lsp_types as lsp;
use tree_sitter::Tree;

use super::convert;
use super::rc_model::{self, RcInputs};
use super::state::{lock, SharedState};
use crate::analysis::workspace::selects::{self, TargetPreview};
use crate::db::selects::{CachedPreviews, SelectSession, SessionKey};
use crate::host::flags::workspace_version;
use crate::syntax::FileKind;
use crate::text::{LineIndex, PositionEncoding, TextRange};

/// What building a session needs, captured under the state lock.
pub struct SessionInputs {
    rc: RcInputs,
    root: PathBuf,
    /// Open BUILD documents of the workspace: package → text.
    overlays: Vec<(String, Arc<str>)>,
}

/// Captures the inputs for the workspace `root`.
pub fn session_inputs(state: &SharedState, root: &Path) -> SessionInputs {
    let state = lock(state);
    let overlays = state
        .documents
        .iter()
        .filter(|(_, open)| open.doc.kind() == FileKind::Build)
        .filter_map(|(uri, open)| {
            let path = uri.to_file_path().ok()?;
            let name = path.file_name()?.to_str()?;
            if !crate::workspace::is_build_file_name(name) {
                return None;
            }
            let package = path.parent()?.strip_prefix(root).ok()?;
            Some((
                package.to_string_lossy().into_owned(),
                Arc::from(open.doc.rope().to_string().as_str()),
            ))
        })
        .collect();
    SessionInputs {
        rc: rc_model::inputs(&state),
        root: root.to_path_buf(),
        overlays,
    }
}

/// Reads the rc files and expands the active configuration.
pub fn build_session(inputs: SessionInputs) -> SelectSession {
    let settings = &inputs.rc.settings;
    let chain = rc_model::workspace_chain(&inputs.rc, &inputs.root);
    let version = workspace_version(Some(&inputs.root)).or_else(|| inputs.rc.bazel_version.clone());
    let mut args: Vec<String> = settings
        .configs
        .iter()
        .map(|c| format!("--config={c}"))
        .collect();
    args.extend(settings.flags.iter().cloned());
    SelectSession::new(
        chain,
        version.as_ref(),
        &settings.command,
        &args,
        &inputs.root,
        inputs.overlays,
    )
}

/// The LSP inlay hints of the previews within `range`.
pub fn inlay_hints(
    previews: &[TargetPreview],
    rope: &Rope,
    range: TextRange,
    encoding: PositionEncoding,
) -> Vec<lsp::InlayHint> {
    let index = LineIndex::new(rope);
    selects::select_hints(previews, range)
        .into_iter()
        .map(|hint| lsp::InlayHint {
            position: {
                let lc = index.line_col(hint.offset, encoding);
                lsp::Position::new(lc.line, lc.col)
            },
            label: lsp::InlayHintLabel::String(hint.label),
            kind: None,
            text_edits: None,
            tooltip: Some(lsp::InlayHintTooltip::String(hint.tooltip)),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}

/// The code lenses of the previews: clicking one runs the editor's
/// `bzls.pickConfig` command (the client's own config picker).
pub fn code_lenses(
    session: &SelectSession,
    previews: &[TargetPreview],
    rope: &Rope,
    encoding: PositionEncoding,
) -> Vec<lsp::CodeLens> {
    let lenses: Vec<selects::SelectLens> = match &session.rc_error {
        Some(err) => previews
            .iter()
            .map(|t| selects::SelectLens {
                range: TextRange::new(t.call_range.start, t.call_range.start),
                title: format!("⚙ {} · rc error: {err}", session.description),
            })
            .collect(),
        None => selects::select_lenses(previews, &session.description),
    };
    lenses
        .into_iter()
        .map(|lens| lsp::CodeLens {
            range: convert::range(rope, lens.range, encoding),
            command: Some(lsp::Command {
                title: lens.title,
                command: PICK_CONFIG_COMMAND.to_string(),
                arguments: None,
            }),
            data: None,
        })
        .collect()
}

/// The client-side command a code lens runs to let the user switch
/// configs (VS Code and the Neovim module register it).
pub const PICK_CONFIG_COMMAND: &str = "bzls.pickConfig";

/// The session key for a request on the document at `uri` of workspace
/// `root`; read under the state lock.
fn session_key(state: &super::state::State, uri: &lsp::Url, root: &Path) -> SessionKey {
    let others = state
        .documents
        .iter()
        .filter(|(u, open)| *u != uri && open.doc.kind() == FileKind::Build)
        .filter_map(|(u, open)| Some((u.to_file_path().ok()?, open.doc.generation())))
        .filter(|(path, _)| path.starts_with(root))
        .collect();
    state.analysis.selects().key(others)
}

/// The session and previews of the BUILD file of `package` at `uri`, for
/// `snapshot`, from the analysis host's select cache (diagnostics, inlay
/// hints, code lenses and hover of one text share one evaluation; the
/// session itself is reused across the document's own edits).
pub fn previews_for(
    state: &SharedState,
    uri: &lsp::Url,
    root: &Path,
    package: &str,
    snapshot: &crate::analysis::DocumentSnapshot,
) -> Option<CachedPreviews> {
    let path = uri.to_file_path().ok()?;
    // The key is read before the inputs (see `crate::db::selects`).
    let (key, host) = {
        let state = lock(state);
        (session_key(&state, uri, root), state.analysis.clone())
    };
    host.selects()
        .previews(&path, root, package, snapshot, key, || {
            build_session(session_inputs(state, root))
        })
}

/// The session and previews for a request on a package's BUILD file.
fn request_previews(
    req: &super::workspace::StarlarkRequest,
    state: &SharedState,
) -> Option<(Arc<SelectSession>, Arc<Vec<TargetPreview>>)> {
    if !req.is_build {
        return None;
    }
    let uri = lsp::Url::from_file_path(&req.path).ok()?;
    let cached = previews_for(state, &uri, req.index.root(), &req.package, &req.snapshot)?;
    Some((cached.session, cached.previews))
}

/// `textDocument/inlayHint` on a BUILD file.
pub fn inlay_hint_request(
    req: &super::workspace::StarlarkRequest,
    state: &SharedState,
    range: lsp::Range,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::InlayHint>> {
    let (_, previews) = request_previews(req, state)?;
    let rope = &req.snapshot.rope;
    let (a, b) = (
        convert::offset(rope, range.start, encoding),
        convert::offset(rope, range.end, encoding),
    );
    // A client may send an inverted range; read it as the span it covers.
    let range = TextRange::new(a.min(b), a.max(b));
    Some(inlay_hints(&previews, rope, range, encoding))
}

/// `textDocument/codeLens` on a BUILD file.
pub fn code_lens_request(
    req: &super::workspace::StarlarkRequest,
    state: &SharedState,
    encoding: PositionEncoding,
) -> Option<Vec<lsp::CodeLens>> {
    let (session, previews) = request_previews(req, state)?;
    Some(code_lenses(
        &session,
        &previews,
        &req.snapshot.rope,
        encoding,
    ))
}

/// Hover on `select` or a select key of a BUILD file; `None` elsewhere
/// (cheaply: the previews are only computed inside a select).
pub fn hover_request(
    req: &super::workspace::StarlarkRequest,
    state: &SharedState,
    offset: usize,
    encoding: PositionEncoding,
) -> Option<lsp::Hover> {
    let tree = req.snapshot.tree.as_ref()?;
    if !req.is_build || !inside_select(tree, &req.snapshot.rope, offset) {
        return None;
    }
    let (session, previews) = request_previews(req, state)?;
    if let Some(err) = &session.rc_error {
        return Some(markdown_hover(
            format!(
                "**`select()`** under `{}`: rc error: {err}",
                session.description
            ),
            None,
            &req.snapshot.rope,
            encoding,
        ));
    }
    let (markdown, range) =
        selects::select_hover(&previews, offset, &session.chain, &session.description)?;
    Some(markdown_hover(
        markdown,
        Some(range),
        &req.snapshot.rope,
        encoding,
    ))
}

fn markdown_hover(
    markdown: String,
    range: Option<TextRange>,
    rope: &Rope,
    encoding: PositionEncoding,
) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: markdown,
        }),
        range: range.map(|r| convert::range(rope, r, encoding)),
    }
}

/// Whether `offset` is on a `select` callee or in a key of a select's dict.
fn inside_select(tree: &Tree, rope: &Rope, offset: usize) -> bool {
    let Some(mut node) = tree.root_node().descendant_for_byte_range(offset, offset) else {
        return false;
    };
    for _ in 0..8 {
        if node.kind() == "call" {
            return node
                .child_by_field_name("function")
                .is_some_and(|f| rope.byte_slice(f.byte_range()) == "select");
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => return false,
        }
    }
    false
}
