//! Publishing diagnostics, and Starlark's background pass.

use std::collections::HashMap;
use std::time::Duration;

use super::transport::DirectSender;
use tokio::sync::mpsc;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::convert;
use super::rc_model;
use super::state::{lock, SharedState};
use super::workspace::StarlarkRequest;
use crate::syntax::FileKind;

/// How long to wait after the last change before the background pass.
pub const BACKGROUND_PASS_DELAY: Duration = Duration::from_millis(150);

/// What the publishing task is asked to do for one document.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Refresh {
    /// Compute and send all of its diagnostics.
    All(Url),
    /// Only the active configuration changed: recompute its select
    /// diagnostics and send them with the rest as last computed for the
    /// same text (a full refresh when there is no such rest).
    Selects(Url),
}

impl Refresh {
    fn uri(&self) -> &Url {
        match self {
            Refresh::All(uri) | Refresh::Selects(uri) => uri,
        }
    }
}

/// Asks the publishing task to send a document's current diagnostics.
///
/// Invariant: one task publishes, in request order, and reads the state at
/// publishing time, so the client never sees an older set after a newer one.
#[derive(Clone)]
pub struct Publisher {
    tx: mpsc::UnboundedSender<Message>,
    direct: super::transport::DirectSender,
}

/// What the publishing task receives.
enum Message {
    Refresh(Refresh),
    /// The second layer of a document's diagnostics was computed.
    Computed(Computed),
}

/// A document's workspace diagnostics, computed off the publishing task.
struct Computed {
    uri: Url,
    generation: u64,
    outcome: Option<WorkspaceOutcome>,
}

impl Publisher {
    /// Starts the publishing task, which writes through `direct` (see
    /// [`DirectSender`]).
    pub fn spawn(state: SharedState, direct: DirectSender) -> Publisher {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(direct.clone(), state, rx, tx.clone()));
        Publisher { tx, direct }
    }

    /// Republishes all of `uri`'s diagnostics.
    pub fn refresh(&self, uri: Url) {
        // The receiver lives as long as the runtime; a send can only fail
        // during shutdown, when nothing needs publishing.
        let _ = self.tx.send(Message::Refresh(Refresh::All(uri)));
    }

    /// Publishes the syntax diagnostics of a document being opened, found
    /// before its tree (see `text_sync::open`), straight to stdout: the
    /// opening blocks tower-lsp's output meanwhile, and every refresh of
    /// the document follows its installation, so comes after these.
    pub fn publish_early(&self, uri: Url, version: i32, diagnostics: Vec<lsp::Diagnostic>) {
        publish(&self.direct, uri, diagnostics, Some(version));
    }

    /// Shows `message` to the user (`window/showMessage`), from any thread.
    pub fn show_message(&self, typ: lsp::MessageType, message: String) {
        // Sent when the writer gets to it; nobody waits for that.
        self.direct.notify(
            "window/showMessage",
            lsp::ShowMessageParams { typ, message },
        );
    }

    /// Republishes `uri`'s diagnostics after a change of the active
    /// configuration, which only select diagnostics depend on.
    pub fn refresh_selects(&self, uri: Url) {
        let _ = self.tx.send(Message::Refresh(Refresh::Selects(uri)));
    }
}

/// Writes a `publishDiagnostics` notification straight to stdout. Every
/// publication goes this way, in the publishing task's order, so they keep
/// it; and none waits behind tower-lsp's output loop, which answers
/// requests. The receiver completes once it is written.
fn publish(
    direct: &DirectSender,
    uri: Url,
    diagnostics: Vec<lsp::Diagnostic>,
    version: Option<i32>,
) -> tokio::sync::oneshot::Receiver<()> {
    direct.notify(
        "textDocument/publishDiagnostics",
        lsp::PublishDiagnosticsParams::new(uri, diagnostics, version),
    )
}

/// The publishing task.
///
/// A refresh publishes the first layer at once (syntax, and the
/// workspace's last diagnostics moved through the edits), then starts the
/// second (labels, loads, selects) on the blocking pool, at most one per
/// document: a refresh that comes while one runs is remembered, and the
/// computation starts again for the newest text when the running one ends.
/// A result is published only while the document is still at the version
/// it was computed for, so typing never waits for it and a stale one never
/// shows.
async fn run(
    direct: DirectSender,
    state: SharedState,
    mut rx: mpsc::UnboundedReceiver<Message>,
    self_tx: mpsc::UnboundedSender<Message>,
) {
    // Documents whose second layer is being computed → whether another
    // refresh came meanwhile.
    let mut in_flight: HashMap<Url, bool> = HashMap::new();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut refreshes: Vec<Url> = Vec::new();
        for message in batch {
            match message {
                Message::Refresh(refresh) => {
                    let uri = refresh.uri().clone();
                    if !refreshes.contains(&uri) {
                        refreshes.push(uri);
                    }
                }
                Message::Computed(computed) => {
                    let again = in_flight.remove(&computed.uri).unwrap_or(false);
                    let uri = computed.uri.clone();
                    let moved = publish_computed(&direct, &state, &self_tx, computed);
                    if (again || moved) && !refreshes.contains(&uri) {
                        start_second_layer(&state, &self_tx, &mut in_flight, uri);
                    }
                }
            }
        }
        for uri in refreshes {
            if let Some((diagnostics, version)) = rc_diagnostics(&state, &uri) {
                publish(&direct, uri, diagnostics, version);
                continue;
            }
            match syntax_layer(&state, &uri) {
                None => {
                    // Closed (or not ours): clear what was published.
                    publish(&direct, uri, Vec::new(), None);
                }
                Some(Layer::NotStarlark(list, version)) => {
                    publish(&direct, uri, list, Some(version));
                }
                Some(Layer::Starlark {
                    mut syntax,
                    carried,
                    version,
                }) => {
                    syntax.extend(carried);
                    // The second layer starts once the first is out: its
                    // threads would otherwise compete with the writer for
                    // the CPU.
                    let _ = publish(&direct, uri.clone(), syntax, Some(version)).await;
                    match in_flight.get_mut(&uri) {
                        Some(again) => *again = true,
                        None => start_second_layer(&state, &self_tx, &mut in_flight, uri),
                    }
                }
            }
        }
    }
}

/// Computes the second layer of `uri`'s diagnostics for its current text
/// on the blocking pool, and hands it back to the publishing task.
fn start_second_layer(
    state: &SharedState,
    self_tx: &mpsc::UnboundedSender<Message>,
    in_flight: &mut HashMap<Url, bool>,
    uri: Url,
) {
    in_flight.insert(uri.clone(), false);
    let state = state.clone();
    let tx = self_tx.clone();
    super::blocking::run_in_background(move || {
        let started = std::time::Instant::now();
        let starlark = lock(&state)
            .documents
            .get(&uri)
            .is_some_and(|open| open.doc.kind().is_starlark());
        let snapshot = starlark
            .then(|| super::state::open_snapshot(&state, &uri))
            .flatten();
        let computed = match snapshot {
            Some(snapshot) => {
                let generation = snapshot.generation;
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    workspace_diagnostics(&state, &uri, snapshot)
                }));
                if outcome.is_err() {
                    tracing::error!(%uri, "computing workspace diagnostics panicked");
                }
                Computed {
                    uri,
                    generation,
                    outcome: outcome.ok(),
                }
            }
            None => Computed {
                uri,
                generation: 0,
                outcome: None,
            },
        };
        tracing::debug!(
            %computed.uri,
            generation = computed.generation,
            elapsed_us = started.elapsed().as_micros() as u64,
            "workspace diagnostics computed"
        );
        let _ = tx.send(Message::Computed(computed));
    });
}

/// Publishes a computed second layer if the document is still at its
/// version (and it differs from what the first layer showed). Returns
/// whether the document moved on meanwhile (then it needs computing
/// again).
fn publish_computed(
    direct: &DirectSender,
    state: &SharedState,
    self_tx: &mpsc::UnboundedSender<Message>,
    computed: Computed,
) -> bool {
    let Computed {
        uri,
        generation,
        outcome,
    } = computed;
    let Some(outcome) = outcome else {
        return false;
    };
    let mut list = outcome.labels;
    list.extend(outcome.selects);
    let to_publish = {
        let mut state = lock(state);
        let encoding = state.encoding;
        let Some(open) = state.documents.get_mut(&uri) else {
            return false;
        };
        if open.doc.generation() != generation {
            return true;
        }
        let (old, current) = open.doc.workspace_diagnostics();
        let unchanged = current && old == list.as_slice();
        let syntax = (!unchanged).then(|| open.doc.diagnostics());
        let version = open.doc.version();
        open.doc.set_workspace_diagnostics(generation, list.clone());
        syntax.map(|syntax| {
            let mut all = convert::diagnostics(&uri, &outcome.rope, &syntax, encoding);
            all.extend(convert::diagnostics(&uri, &outcome.rope, &list, encoding));
            all.extend(convert::lint_diagnostics(
                &outcome.rope,
                open.doc.lint().0,
                encoding,
            ));
            (all, version)
        })
    };
    if outcome.changed {
        // Other open documents may point into this package.
        let others: Vec<Url> = lock(state)
            .documents
            .iter()
            .filter(|(u, o)| **u != uri && o.doc.kind().is_starlark())
            .map(|(u, _)| u.clone())
            .collect();
        for other in others {
            let _ = self_tx.send(Message::Refresh(Refresh::All(other)));
        }
    }
    if let Some((all, version)) = to_publish {
        publish(direct, uri, all, Some(version));
    }
    false
}

/// The first layer of a document's diagnostics.
enum Layer {
    /// A Starlark document: its syntax diagnostics and the workspace's last
    /// ones (`current`: computed for this very text), converted.
    Starlark {
        syntax: Vec<tower_lsp::lsp_types::Diagnostic>,
        carried: Vec<tower_lsp::lsp_types::Diagnostic>,
        version: i32,
    },
    /// Any other open document: all of its diagnostics.
    NotStarlark(Vec<tower_lsp::lsp_types::Diagnostic>, i32),
}

/// Reads the first layer of an open document's diagnostics (under the
/// state lock, without reparsing); `None` when it is not open.
fn syntax_layer(state: &SharedState, uri: &Url) -> Option<Layer> {
    let state = lock(state);
    let encoding = state.encoding;
    let open = state.documents.get(uri)?;
    let doc = &open.doc;
    let syntax = doc.diagnostics();
    if !doc.kind().is_starlark() {
        return Some(Layer::NotStarlark(
            convert::diagnostics(uri, doc.rope(), &syntax, encoding),
            doc.version(),
        ));
    }
    let (carried, _) = doc.workspace_diagnostics();
    let mut both = syntax.clone();
    both.extend(carried.iter().cloned());
    let mut syntax_lsp = convert::diagnostics(uri, doc.rope(), &both, encoding);
    let mut carried = syntax_lsp.split_off(syntax.len());
    carried.extend(convert::lint_diagnostics(
        doc.rope(),
        doc.lint().0,
        encoding,
    ));
    Some(Layer::Starlark {
        syntax: syntax_lsp,
        carried,
        version: doc.version(),
    })
}

/// What [`workspace_diagnostics`] found for one document.
struct WorkspaceOutcome {
    /// The text they are for.
    rope: ropey::Rope,
    /// Label and load diagnostics.
    labels: Vec<crate::analysis::Diagnostic>,
    /// Select diagnostics under the active configuration.
    selects: Vec<crate::analysis::Diagnostic>,
    /// Whether the targets the document declares changed.
    changed: bool,
}

/// The select diagnostics of an open BUILD document under the active
/// configuration (`None` outside an indexed workspace).
fn select_diagnostics(
    state: &SharedState,
    uri: &Url,
    path: &std::path::Path,
    snapshot: &crate::analysis::DocumentSnapshot,
) -> Option<Vec<crate::analysis::Diagnostic>> {
    let started = std::time::Instant::now();
    let root = super::workspace::existing_index(state, path)?
        .root()
        .to_path_buf();
    let package = path
        .parent()?
        .strip_prefix(&root)
        .ok()?
        .to_string_lossy()
        .into_owned();
    let found = super::selects::previews_for(state, uri, &root, &package, snapshot)
        .map(|cached| cached.session.diagnostics(&cached.previews, &snapshot.rope));
    tracing::trace!(
        elapsed_us = started.elapsed().as_micros() as u64,
        "select previews"
    );
    found
}

/// The workspace diagnostics of an open Starlark document (labels and
/// loads, computed once its workspace's packages are known, and selects),
/// from the analysis host (which records the document in the index), and
/// whether the targets the document declares changed (so the documents
/// pointing at them need checking again).
fn workspace_diagnostics(
    state: &SharedState,
    uri: &Url,
    snapshot: crate::analysis::DocumentSnapshot,
) -> WorkspaceOutcome {
    let nothing = |rope| WorkspaceOutcome {
        rope,
        labels: Vec::new(),
        selects: Vec::new(),
        changed: false,
    };
    let Ok(path) = uri.to_file_path() else {
        return nothing(snapshot.rope);
    };
    let rope = snapshot.rope.clone();
    let is_build = snapshot.kind == FileKind::Build;
    // The select previews and the analysis are independent: on a second
    // thread, they overlap. (Both read the same snapshot; neither waits on
    // the other.)
    let previews = is_build.then(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let (state, uri, path, snapshot) =
            (state.clone(), uri.clone(), path.clone(), snapshot.clone());
        super::blocking::run_previews(move || {
            let _ = tx.send(select_diagnostics(&state, &uri, &path, &snapshot));
        });
        rx
    });
    let started = std::time::Instant::now();
    let (snapshot_kind, tree) = (snapshot.kind, snapshot.tree.clone());
    // MODULE.bazel and WORKSPACE files have no request of their own.
    let dialect =
        matches!(snapshot.kind, FileKind::Module | FileKind::Workspace).then(|| snapshot.clone());
    let request = StarlarkRequest::new(state, snapshot, path.clone(), true);
    let labels = request.as_ref().and_then(|request| {
        request
            .analysis
            .label_diagnostics(&request.index, &request.key(), &request.snapshot)
    });
    tracing::trace!(
        elapsed_us = started.elapsed().as_micros() as u64,
        "analysis and labels"
    );
    let selects = previews
        .and_then(|rx| rx.recv().ok())
        .flatten()
        .unwrap_or_default();
    let request = request.map(|r| (r, labels));
    let Some((request, labels)) = request else {
        // MODULE.bazel and WORKSPACE files: their own semantic checks.
        let mut outcome = nothing(rope);
        let with_extensions = dialect.and_then(|snapshot| {
            super::workspace::with_dialect_context(state, &snapshot, &path, |_, view| {
                let lookup = crate::analysis::workspace::calls::ModuleFileLookup { view };
                standalone_semantics(&snapshot_kind, tree.as_ref(), &outcome.rope, &lookup)
            })
        });
        outcome.labels = with_extensions.unwrap_or_else(|| {
            standalone_semantics(
                &snapshot_kind,
                tree.as_ref(),
                &outcome.rope,
                &crate::analysis::semantics::NoRules,
            )
        });
        return outcome;
    };
    // Previews are only for a package's own BUILD file.
    let selects = if request.is_build {
        selects
    } else {
        Vec::new()
    };
    let labels = labels.map(|list| list.to_vec()).unwrap_or_default();
    // A nested workspace's file is judged from the enclosing workspaces the
    // server indexes too.
    let enclosing = || {
        let roots = crate::db::nested::enclosing_roots(request.index.root());
        let state = lock(state);
        roots
            .iter()
            .filter_map(|root| state.indexes.get(root).cloned())
            .collect()
    };
    let labels = crate::db::nested::agreed_by_enclosing(
        labels,
        &path,
        request.index.root(),
        &request.snapshot,
        &enclosing,
    );
    WorkspaceOutcome {
        rope,
        labels,
        selects,
        changed: request.analysis.changed_index,
    }
}

/// The semantic diagnostics of a MODULE.bazel or WORKSPACE file, which
/// need nothing of the workspace (none for other files without an
/// analysis).
fn standalone_semantics(
    kind: &FileKind,
    tree: Option<&tree_sitter::Tree>,
    rope: &ropey::Rope,
    rules: &dyn crate::analysis::semantics::RuleLookup,
) -> Vec<crate::analysis::Diagnostic> {
    match (kind, tree) {
        (FileKind::Module | FileKind::Workspace, Some(tree)) => {
            crate::analysis::semantics::semantic_diagnostics(*kind, tree, rope, "", rules, None)
        }
        _ => Vec::new(),
    }
}

/// The diagnostics of an open rc document, computed on the rc chain around
/// it; `None` for other documents. The chain is read outside the lock.
fn rc_diagnostics(
    state: &SharedState,
    uri: &Url,
) -> Option<(Vec<tower_lsp::lsp_types::Diagnostic>, Option<i32>)> {
    let (inputs, rope, version, encoding) = {
        let state = lock(state);
        let encoding = state.encoding;
        let open = state.documents.get(uri)?;
        if open.doc.kind() != FileKind::Bazelrc {
            return None;
        }
        let rope = open.doc.rope().clone();
        let version = open.doc.version();
        (rc_model::inputs(&state), rope, version, encoding)
    };
    let diagnostics = tokio::task::block_in_place(|| {
        let model = rc_model::build(&inputs, uri)?;
        let list = crate::analysis::rc::diagnostics::rc_diagnostics(&model.ctx());
        Some(
            list.iter()
                .map(|d| convert::diagnostic(uri, &rope, d, encoding))
                .collect(),
        )
    })
    .unwrap_or_default();
    Some((diagnostics, Some(version)))
}

/// After `delay`, if the document is still at `generation`, runs its
/// background pass (starlark_syntax, and a fresh parse of broken text) on
/// the blocking pool and publishes the result.
pub fn schedule_background_pass(
    state: SharedState,
    publisher: Publisher,
    uri: Url,
    generation: u64,
    delay: Duration,
) {
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // A provisional analysis (typing inside `deps` reused the last
        // evaluation) is evaluated now that typing paused.
        {
            let (state, publisher, uri) = (state.clone(), publisher.clone(), uri.clone());
            super::blocking::run_in_background(move || {
                if super::workspace::settle_analysis(&state, &uri, generation) {
                    publisher.refresh(uri);
                }
            });
        }
        // The deferred whole-tree reparse can take milliseconds on a large
        // file: keep it off the async worker's hot loop.
        let prepared = tokio::task::block_in_place(|| {
            let mut state = lock(&state);
            let open = state.documents.get_mut(&uri)?;
            if open.doc.generation() != generation {
                return None;
            }
            // Catch up on a reparse the keystroke path deferred; its
            // diagnostics may differ from the fast path's.
            if open.doc.flush_reparse() {
                publisher.refresh(uri.clone());
            }
            if !open.doc.needs_background_pass() {
                return None;
            }
            Some((open.doc.snapshot(), open.file_name.clone()))
        });
        let Some((snapshot, file_name)) = prepared else {
            return;
        };
        let outcome =
            match tokio::task::spawn_blocking(move || snapshot.background_pass(&file_name)).await {
                Ok(outcome) => outcome,
                Err(err) => {
                    tracing::error!(%uri, %err, "background pass failed");
                    return;
                }
            };
        let accepted = {
            let mut state = lock(&state);
            state.documents.get_mut(&uri).and_then(|open| {
                open.doc
                    .accept_background_pass(outcome)
                    .then(|| open.doc.generation())
            })
        };
        if let Some(now) = accepted {
            publisher.refresh(uri.clone());
            if now != generation {
                // A fresh tree replaced the incremental one (a new
                // generation of the same text): settle its analysis too.
                super::blocking::run_in_background(move || {
                    if super::workspace::settle_analysis(&state, &uri, now) {
                        publisher.refresh(uri);
                    }
                });
            }
        }
    });
}
