//! Publishing diagnostics, and Starlark's background pass.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tower_lsp::lsp_types::Url;
use tower_lsp::Client;

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
    tx: mpsc::UnboundedSender<Refresh>,
}

impl Publisher {
    pub fn spawn(client: Client, state: SharedState) -> Publisher {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(client, state, rx, tx.clone()));
        Publisher { tx }
    }

    /// Republishes all of `uri`'s diagnostics.
    pub fn refresh(&self, uri: Url) {
        // The receiver lives as long as the runtime; a send can only fail
        // during shutdown, when nothing needs publishing.
        let _ = self.tx.send(Refresh::All(uri));
    }

    /// Republishes `uri`'s diagnostics after a change of the active
    /// configuration, which only select diagnostics depend on.
    pub fn refresh_selects(&self, uri: Url) {
        let _ = self.tx.send(Refresh::Selects(uri));
    }
}

/// The diagnostics of one generation of a Starlark document that do not
/// depend on the active configuration (syntax, dialect, labels, loads), as
/// last published.
struct ConfigFree {
    generation: u64,
    diagnostics: Vec<tower_lsp::lsp_types::Diagnostic>,
}

async fn run(
    client: Client,
    state: SharedState,
    mut rx: mpsc::UnboundedReceiver<Refresh>,
    self_tx: mpsc::UnboundedSender<Refresh>,
) {
    let mut config_free: HashMap<Url, ConfigFree> = HashMap::new();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            // A full refresh of a document covers a select one.
            if let Refresh::All(uri) = &more {
                batch.retain(|r| r != &Refresh::Selects(uri.clone()));
            }
            let covered =
                batch.contains(&more) || batch.contains(&Refresh::All(more.uri().clone()));
            if !covered {
                batch.push(more);
            }
        }
        for refresh in batch {
            let uri = refresh.uri().clone();
            if let Some((diagnostics, version)) = rc_diagnostics(&state, &uri) {
                client.publish_diagnostics(uri, diagnostics, version).await;
                continue;
            }
            let (mut diagnostics, version, starlark) = {
                let mut state = lock(&state);
                let encoding = state.encoding;
                match state.documents.get_mut(&uri) {
                    Some(open) => {
                        let snapshot = open.doc.kind().is_starlark().then(|| open.doc.snapshot());
                        let reuse = match (&refresh, &snapshot, config_free.get(&uri)) {
                            (Refresh::Selects(_), Some(snapshot), Some(free))
                                if free.generation == snapshot.generation =>
                            {
                                Some(free.diagnostics.clone())
                            }
                            _ => None,
                        };
                        let (list, reused) = match reuse {
                            Some(list) => (list, true),
                            None => {
                                let list = convert::diagnostics(
                                    &uri,
                                    open.doc.rope(),
                                    &open.doc.diagnostics(),
                                    encoding,
                                );
                                (list, false)
                            }
                        };
                        (
                            list,
                            Some(open.doc.version()),
                            snapshot.map(|s| (s, reused)),
                        )
                    }
                    None => {
                        config_free.remove(&uri);
                        (Vec::new(), None, None)
                    }
                }
            };
            if let Some((snapshot, reused)) = starlark {
                if reused {
                    let selects =
                        tokio::task::block_in_place(|| select_diagnostics(&state, &uri, snapshot));
                    diagnostics.extend(selects);
                } else {
                    let generation = snapshot.generation;
                    let outcome = tokio::task::block_in_place(|| {
                        workspace_diagnostics(&state, &uri, snapshot)
                    });
                    diagnostics.extend(outcome.labels);
                    config_free.insert(
                        uri.clone(),
                        ConfigFree {
                            generation,
                            diagnostics: diagnostics.clone(),
                        },
                    );
                    diagnostics.extend(outcome.selects);
                    if outcome.changed {
                        // Other open documents may point into this package.
                        let others: Vec<Url> = lock(&state)
                            .documents
                            .iter()
                            .filter(|(u, o)| **u != uri && o.doc.kind().is_starlark())
                            .map(|(u, _)| u.clone())
                            .collect();
                        for other in others {
                            let _ = self_tx.send(Refresh::All(other));
                        }
                    }
                }
            }
            client.publish_diagnostics(uri, diagnostics, version).await;
        }
    }
}

/// The select diagnostics of an open BUILD document under the active
/// configuration (none for other documents).
fn select_diagnostics(
    state: &SharedState,
    uri: &Url,
    snapshot: crate::analysis::DocumentSnapshot,
) -> Vec<tower_lsp::lsp_types::Diagnostic> {
    let Ok(path) = uri.to_file_path() else {
        return Vec::new();
    };
    let encoding = lock(state).encoding;
    let Some(request) = StarlarkRequest::new(state, snapshot, path) else {
        return Vec::new();
    };
    if !request.is_build {
        return Vec::new();
    }
    let root = request.index.root().to_path_buf();
    let rope = &request.snapshot.rope;
    let Some(cached) =
        super::selects::previews_for(state, uri, &root, &request.package, &request.snapshot)
    else {
        return Vec::new();
    };
    let list = cached.session.diagnostics(&cached.previews, rope);
    convert::diagnostics(uri, rope, &list, encoding)
}

/// What [`workspace_diagnostics`] found for one document.
struct WorkspaceOutcome {
    /// Label and load diagnostics.
    labels: Vec<tower_lsp::lsp_types::Diagnostic>,
    /// Select diagnostics under the active configuration.
    selects: Vec<tower_lsp::lsp_types::Diagnostic>,
    /// Whether the targets the document declares changed.
    changed: bool,
}

/// The workspace diagnostics of an open Starlark document (labels and
/// loads, computed once its workspace's packages are known, and selects);
/// also records the document in the index (its overlay), and says whether
/// the targets the document declares changed (so the documents pointing at
/// them need checking again).
fn workspace_diagnostics(
    state: &SharedState,
    uri: &Url,
    snapshot: crate::analysis::DocumentSnapshot,
) -> WorkspaceOutcome {
    let nothing = || WorkspaceOutcome {
        labels: Vec::new(),
        selects: Vec::new(),
        changed: false,
    };
    let Ok(path) = uri.to_file_path() else {
        return nothing();
    };
    let encoding = lock(state).encoding;
    let rope = snapshot.rope.clone();
    let Some(request) = StarlarkRequest::new(state, snapshot, path) else {
        return nothing();
    };
    let index = request.index.clone();
    let previews = if request.is_build {
        super::selects::previews_for(
            state,
            uri,
            index.root(),
            &request.package,
            &request.snapshot,
        )
    } else {
        None
    };
    let outcome = request.with_context(|ctx| {
        let select_diagnostics = match &previews {
            Some(cached) => cached.session.diagnostics(&cached.previews, ctx.rope),
            None => Vec::new(),
        };
        let mut changed = false;
        if ctx.is_build {
            let old = index.summary(&ctx.package);
            let names = |d: &crate::workspace::package::PackageDecls| {
                d.targets
                    .iter()
                    .map(|t| (t.name.clone(), t.kind.clone()))
                    .collect::<Vec<_>>()
            };
            changed = old.is_none_or(|old| {
                names(&old.decls) != names(&ctx.summary.decls)
                    || old.decls.open != ctx.summary.decls.open
                    || old.decls.unfollowed != ctx.summary.decls.unfollowed
            });
            index.set_overlay(&ctx.package, Some(ctx.summary.clone()));
        } else if let Ok(rel) = ctx.path.strip_prefix(index.root()) {
            use crate::workspace::resolve::PackageLookup;
            let rel = rel.to_string_lossy();
            let old = index.bzl_globals(&rel);
            changed = old.is_none_or(|old| {
                old.exported_names() != ctx.globals.exported_names()
                    || old.complete != ctx.globals.complete
            });
            let text: Arc<str> = Arc::from(ctx.rope.to_string().as_str());
            // An unsaved edit of a macro changes what open BUILD files
            // evaluate to.
            changed |= index.set_bzl_overlay(&rel, Some((ctx.globals.clone(), text)));
        }
        if !index.packages_ready() {
            return (Vec::new(), select_diagnostics, changed);
        }
        let lookup = ctx.lookup(&*index);
        let list = if ctx.is_build {
            crate::workspace::check::label_diagnostics(ctx.tree, ctx.rope, &ctx.package, &lookup)
        } else {
            crate::workspace::check::load_diagnostics(ctx.tree, ctx.rope, &ctx.package, &lookup)
        };
        (list, select_diagnostics, changed)
    });
    let Some((labels, selects, changed)) = outcome else {
        return nothing();
    };
    WorkspaceOutcome {
        labels: convert::diagnostics(uri, &rope, &labels, encoding),
        selects: convert::diagnostics(uri, &rope, &selects, encoding),
        changed,
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
            state
                .documents
                .get_mut(&uri)
                .is_some_and(|open| open.doc.accept_background_pass(outcome))
        };
        if accepted {
            publisher.refresh(uri);
        }
    });
}
