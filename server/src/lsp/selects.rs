//! `select()` previews in the editor: the active configuration of a
//! workspace ([`SelectSession`]), and the inlay hints, code lenses, hover
//! and diagnostics computed from it for an open BUILD file.
//!
//! A session is built per request or diagnostics pass, outside the state
//! lock: the rc chain (open rc buffers first), the effective options of
//! `bazel COMMAND --config=... FLAGS`, and the BUILD files conditions live
//! in (open documents first, the disk otherwise, each parsed once).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp::lsp_types as lsp;
use tree_sitter::Tree;

use super::convert;
use super::rc_model::{self, RcInputs};
use super::state::{lock, SharedState};
use crate::analysis::workspace::selects::{self, TargetPreview};
use crate::analysis::Diagnostic;
use crate::flags::FlagDb;
use crate::host::build_files::DiskPackages;
use crate::host::flags::{workspace_version, ActiveConfig};
use crate::rc::RcChain;
use crate::select::{ConfigValues, Env, RuleCall};
use crate::syntax::FileKind;
use crate::text::{LineIndex, PositionEncoding, TextRange};

/// The active configuration of one workspace, ready to evaluate selects.
pub struct SelectSession {
    pub chain: RcChain,
    db: &'static FlagDb,
    values: ConfigValues,
    packages: DiskPackages,
    /// `bazel build --config=cuda --define=x=1`.
    pub description: String,
    /// The first rc error of the active configuration (an undefined config,
    /// a cycle...): selects are not evaluated then.
    pub rc_error: Option<String>,
}

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

impl SelectSession {
    /// Reads the rc files and expands the active configuration.
    pub fn build(inputs: SessionInputs) -> SelectSession {
        let settings = &inputs.rc.settings;
        let chain = rc_model::workspace_chain(&inputs.rc, &inputs.root);
        let version =
            workspace_version(Some(&inputs.root)).or_else(|| inputs.rc.bazel_version.clone());
        let mut args: Vec<String> = settings
            .configs
            .iter()
            .map(|c| format!("--config={c}"))
            .collect();
        args.extend(settings.flags.iter().cloned());
        let description = std::iter::once(format!("bazel {}", settings.command))
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let config = ActiveConfig::new(&chain, version.as_ref(), &settings.command, &args);
        let (db, values, rc_error) = (config.choice.db, config.values, config.error);
        let mut packages = DiskPackages::new(&inputs.root);
        for (package, text) in inputs.overlays {
            packages = packages.with_overlay(&package, text);
        }
        SelectSession {
            chain,
            db,
            values,
            packages,
            description,
            rc_error,
        }
    }

    /// The previews of a BUILD file of `package`, given the calls read from
    /// the request's snapshot. Empty when the configuration has an rc error.
    pub fn preview(&self, calls: Arc<Vec<RuleCall>>, package: &str) -> Vec<TargetPreview> {
        let env = Env::new(&self.packages, &self.values, self.db);
        // The document's own calls are used for the conditions it declares
        // too, rather than its text on disk.
        self.packages.set_calls(package, calls.clone());
        let mut previews = selects::preview_calls(&calls, package, &env);
        if self.rc_error.is_some() {
            // Nothing is judged under a broken configuration; the targets
            // still get a lens that says why.
            previews.iter_mut().for_each(|p| p.attributes.clear());
        }
        previews
    }

    /// The select diagnostics of one BUILD file.
    pub fn diagnostics(&self, previews: &[TargetPreview], rope: &Rope) -> Vec<Diagnostic> {
        selects::select_diagnostics(previews, rope, &self.description)
    }
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

/// What a select session depends on beyond the document it previews: the
/// epoch (configuration, rc files, disk) and the generation of every other
/// open BUILD document of the workspace (their `config_setting`s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKey {
    epoch: u64,
    others: Vec<(lsp::Url, u64)>,
}

/// A session and the key it was built for.
#[derive(Clone)]
pub struct CachedSession {
    key: SessionKey,
    session: Arc<SelectSession>,
}

/// Previews computed for one generation of a document under one session.
#[derive(Clone)]
pub struct CachedPreviews {
    generation: u64,
    key: SessionKey,
    /// The document's calls, read from that generation's tree. They depend
    /// on the text only, so a configuration switch reuses them.
    calls: Arc<Vec<RuleCall>>,
    /// The calls by statement, for the next version to reuse.
    pieces: Arc<crate::select::expr::CallPieces>,
    pub session: Arc<SelectSession>,
    pub previews: Arc<Vec<TargetPreview>>,
}

/// The session key for a request on the document at `uri` of workspace
/// `root`; read under the state lock.
fn session_key(state: &super::state::State, uri: &lsp::Url, root: &Path) -> SessionKey {
    let mut others: Vec<(lsp::Url, u64)> = state
        .documents
        .iter()
        .filter(|(u, open)| *u != uri && open.doc.kind() == FileKind::Build)
        .filter(|(u, _)| u.to_file_path().is_ok_and(|p| p.starts_with(root)))
        .map(|(u, open)| (u.clone(), open.doc.generation()))
        .collect();
    others.sort();
    SessionKey {
        epoch: state.select_epoch,
        others,
    }
}

/// The session and previews of the BUILD file of `package` at `uri`, for
/// the snapshot `(tree, rope, generation)`: from the cache when nothing
/// changed since (diagnostics, inlay hints, code lenses and hover of one
/// text share one evaluation). The session itself (rc chain, expansion,
/// other BUILD files) is reused across the document's own edits.
pub fn previews_for(
    state: &SharedState,
    uri: &lsp::Url,
    root: &Path,
    package: &str,
    snapshot: &crate::analysis::DocumentSnapshot,
) -> Option<CachedPreviews> {
    let tree = snapshot.tree.as_ref()?;
    let compute = lock(state).select_compute.clone();
    let _computing = compute
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The key is read before the inputs: a change after this point changes
    // it, so an entry is never reused for a newer state.
    let (key, same_text, older, session) = {
        let state = lock(state);
        let key = session_key(&state, uri, root);
        let cached = state.select_cache.get(uri).cloned();
        let (same_text, older) = match cached {
            Some(c) if c.generation == snapshot.generation => (Some(c), None),
            other => (None, other),
        };
        let session = state
            .select_sessions
            .get(root)
            .filter(|c| c.key == key)
            .map(|c| c.session.clone());
        (key, same_text, older, session)
    };
    if let Some(hit) = same_text.as_ref().filter(|c| c.key == key) {
        return Some(hit.clone());
    }
    let (calls, pieces) = match same_text {
        Some(cached) => (cached.calls, cached.pieces),
        None => {
            let (calls, pieces) = crate::select::expr::rule_calls_reusing(
                tree,
                &snapshot.rope,
                older.as_ref().map(|o| &*o.pieces),
            );
            (Arc::new(calls), Arc::new(pieces))
        }
    };
    let session = match session {
        Some(session) => session,
        None => {
            let session = Arc::new(SelectSession::build(session_inputs(state, root)));
            lock(state).select_sessions.insert(
                root.to_path_buf(),
                CachedSession {
                    key: key.clone(),
                    session: session.clone(),
                },
            );
            session
        }
    };
    let previews = session.preview(calls.clone(), package);
    let entry = CachedPreviews {
        generation: snapshot.generation,
        key,
        calls,
        pieces,
        session,
        previews: Arc::new(previews),
    };
    let mut state = lock(state);
    if state.documents.contains_key(uri) {
        state.select_cache.insert(uri.clone(), entry.clone());
    }
    Some(entry)
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
