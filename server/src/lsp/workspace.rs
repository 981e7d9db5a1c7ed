//! The workspace indexes the server keeps, one per workspace root: built in
//! the background with `window/workDoneProgress`, kept current with open
//! documents (overlays) and watched-file events; and the context of a
//! request on a Starlark document.
//!
//! Invariant: an index is created at most once per root (under the state
//! lock), and its build runs on a thread of its own, never on the async
//! workers; requests are answered meanwhile with what it knows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp::lsp_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress,
    WorkDoneProgressBegin, WorkDoneProgressCreateParams, WorkDoneProgressEnd,
    WorkDoneProgressReport,
};
use tower_lsp::Client;

use super::state::{lock, SharedState};
use crate::analysis::workspace::FileContext;
use crate::analysis::DocumentSnapshot;
use crate::db::{AnalysisHost, FileAnalysis, FileKey};
use crate::host::index::{Phase, WorkspaceIndex};
use crate::syntax::FileKind;

/// The root of the workspace `path` belongs to: the nearest root marker,
/// else the client's root when `path` is inside it.
fn root_of(path: &Path, client_root: Option<&Path>) -> Option<PathBuf> {
    crate::host::workspace::find_workspace_root(path).or_else(|| {
        client_root
            .filter(|r| path.starts_with(r))
            .map(Path::to_path_buf)
    })
}

/// The index of `root`, created (and its build started) on first use.
pub fn index_of_root(state: &SharedState, client: &Client, root: &Path) -> Arc<WorkspaceIndex> {
    let (index, created) = {
        let mut state = lock(state);
        match state.indexes.get(root) {
            Some(index) => (index.clone(), false),
            None => {
                let index = Arc::new(WorkspaceIndex::new(root));
                state.indexes.insert(root.to_path_buf(), index.clone());
                (index, true)
            }
        }
    };
    if created {
        start_build(state.clone(), client.clone(), index.clone());
    }
    index
}

/// The workspace root of the file at `path` (see [`root_of`]), found once
/// per directory (outside the state lock) and remembered in
/// `State::roots` while the directory exists.
pub fn cached_root(state: &SharedState, path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    let client_root = {
        let state = lock(state);
        if let Some(root) = state.roots.get(dir) {
            return root.clone();
        }
        state.root.clone()
    };
    let root = root_of(path, client_root.as_deref());
    // A directory that is gone (the file event of a deleted package) is not
    // remembered.
    if dir.is_dir() {
        lock(state).roots.insert(dir.to_path_buf(), root.clone());
    }
    root
}

/// The index `path` belongs to, if one exists already.
pub fn existing_index(state: &SharedState, path: &Path) -> Option<Arc<WorkspaceIndex>> {
    let root = cached_root(state, path)?;
    lock(state).indexes.get(&root).cloned()
}

/// Builds `index` on a thread of its own, reporting progress to the client
/// when it supports it, then asks for every open Starlark document to be
/// checked again.
fn start_build(state: SharedState, client: Client, index: Arc<WorkspaceIndex>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<Phase>>();
    let progress = lock(&state).work_done_progress;
    let root = index.root().display().to_string();
    let built = index.clone();
    tokio::spawn(async move {
        let token = NumberOrString::String(format!("bzls/index/{root}"));
        let mut reporting = false;
        if progress {
            reporting = client
                .send_request::<tower_lsp::lsp_types::request::WorkDoneProgressCreate>(
                    WorkDoneProgressCreateParams {
                        token: token.clone(),
                    },
                )
                .await
                .is_ok();
        }
        let notify = |value: WorkDoneProgress| {
            let client = client.clone();
            let token = token.clone();
            async move {
                client
                    .send_notification::<tower_lsp::lsp_types::notification::Progress>(
                        ProgressParams {
                            token,
                            value: ProgressParamsValue::WorkDone(value),
                        },
                    )
                    .await;
            }
        };
        if reporting {
            notify(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: "bzls: indexing".to_string(),
                cancellable: Some(false),
                message: Some(root.clone()),
                percentage: Some(0),
            }))
            .await;
        }
        let mut last = None;
        while let Some(Some(phase)) = rx.recv().await {
            if !reporting {
                continue;
            }
            let (message, percentage) = match phase {
                Phase::Walking { done } => (format!("{done} packages found"), 0),
                Phase::Reading { done, total } => (
                    format!("{done}/{total} BUILD files"),
                    (done * 100 / total.max(1)) as u32,
                ),
            };
            if last == Some(percentage) && percentage != 0 {
                continue;
            }
            last = Some(percentage);
            notify(WorkDoneProgress::Report(WorkDoneProgressReport {
                cancellable: Some(false),
                message: Some(message),
                percentage: Some(percentage),
            }))
            .await;
        }
        let unanalysed = built.unanalysed();
        if !unanalysed.is_empty() {
            client
                .log_message(
                    MessageType::WARNING,
                    unanalysed_report(built.root(), &unanalysed),
                )
                .await;
        }
        if reporting {
            let message = match unanalysed.len() {
                0 => "done".to_owned(),
                1 => "done; 1 file could not be analysed (see the log)".to_owned(),
                n => format!("done; {n} files could not be analysed (see the log)"),
            };
            notify(WorkDoneProgress::End(WorkDoneProgressEnd {
                message: Some(message),
            }))
            .await;
        }
    });
    let handle = std::thread::Builder::new()
        .name("bzls-index".to_string())
        .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
        .spawn(move || {
            // Opening files and typing come first.
            crate::host::priority::lower_current_thread();
            let started = std::time::Instant::now();
            let progress_tx = tx.clone();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                index.build(&|phase| {
                    let _ = progress_tx.send(Some(phase));
                })
            }));
            if result.is_err() {
                tracing::error!("the workspace index build panicked; answers stay partial");
            }
            tracing::info!(
                root = %index.root().display(),
                packages = index.package_names().len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "workspace indexed"
            );
            let _ = tx.send(None);
            let refresh = lock(&state).refresh_starlark.clone();
            if let Some(refresh) = refresh {
                refresh();
            }
        });
    if let Err(err) = handle {
        tracing::error!(%err, "cannot start the indexing thread");
    }
}

/// At most this many unanalysed files are listed in the log, one per line.
const MAX_UNANALYSED_LISTED: usize = 50;

/// The log message listing what the index of `root` could not analyse.
fn unanalysed_report(root: &Path, unanalysed: &[(PathBuf, String)]) -> String {
    let mut report = format!(
        "bzls: {} file(s) or directories under {} could not be fully analysed:",
        unanalysed.len(),
        root.display()
    );
    for (path, why) in unanalysed.iter().take(MAX_UNANALYSED_LISTED) {
        let shown = path.strip_prefix(root).unwrap_or(path);
        report.push_str(&format!("\n  {}: {why}", shown.display()));
    }
    if unanalysed.len() > MAX_UNANALYSED_LISTED {
        report.push_str(&format!(
            "\n  … and {} more",
            unanalysed.len() - MAX_UNANALYSED_LISTED
        ));
    }
    report
}

/// Runs `f` on the context of a MODULE.bazel or WORKSPACE file: these
/// have no analysis of their own (nothing in them is a package or a
/// module other files load); their bindings are read from the tree. For
/// the requests about calls (completion, signature help, hover). `None`
/// for other files, or outside an indexed workspace.
pub fn with_dialect_context<T>(
    state: &SharedState,
    snapshot: &DocumentSnapshot,
    path: &Path,
    f: impl FnOnce(&FileContext<'_>, &dyn crate::analysis::workspace::WorkspaceView) -> T,
) -> Option<T> {
    if !matches!(snapshot.kind, FileKind::Module | FileKind::Workspace) {
        return None;
    }
    let tree = snapshot.tree.as_ref()?;
    let index = existing_index(state, path)?;
    let globals = Arc::new(crate::workspace::bzl::bzl_globals(tree, &snapshot.rope));
    let ctx = FileContext::with_parts(
        tree,
        &snapshot.rope,
        path.to_path_buf(),
        String::new(),
        false,
        Arc::default(),
        globals,
    );
    Some(f(&ctx, &*index))
}

/// What a request on a Starlark document needs: its snapshot, where it is,
/// the index of its workspace, and the analysis of this version.
pub struct StarlarkRequest {
    pub snapshot: DocumentSnapshot,
    pub path: PathBuf,
    pub package: String,
    pub is_build: bool,
    /// An open document (else a file read from disk for this request).
    pub open: bool,
    pub index: Arc<WorkspaceIndex>,
    pub analysis: Arc<FileAnalysis>,
}

impl StarlarkRequest {
    /// Prepares a request on `snapshot` of the file at `path` (`open`: an
    /// open document, whose analysis the host keeps per version); `None`
    /// when the file is not in an indexed workspace or has no tree.
    pub fn new(
        state: &SharedState,
        snapshot: DocumentSnapshot,
        path: PathBuf,
        open: bool,
    ) -> Option<StarlarkRequest> {
        let key = file_key(state, &snapshot, &path)?;
        let index = existing_index(state, &path)?;
        let analysis = if open {
            let host = lock(state).analysis.clone();
            host.analysis(&index, &key, &snapshot)?
        } else {
            AnalysisHost::transient(&index, &key, &snapshot)?
        };
        Some(StarlarkRequest {
            snapshot,
            path,
            package: key.package,
            is_build: key.is_build,
            open,
            index,
            analysis,
        })
    }

    /// The key of the analysis.
    pub fn key(&self) -> FileKey {
        FileKey {
            path: self.path.clone(),
            package: self.package.clone(),
            is_build: self.is_build,
        }
    }

    /// Runs `f` on the file's context.
    pub fn with_context<T>(&self, f: impl FnOnce(&FileContext<'_>) -> T) -> Option<T> {
        let tree = self.snapshot.tree.as_ref()?;
        let ctx = FileContext::with_parts(
            tree,
            &self.snapshot.rope,
            self.path.clone(),
            self.package.clone(),
            self.is_build,
            self.analysis.summary.clone(),
            self.analysis.globals.clone(),
        );
        Some(f(&ctx))
    }
}

/// Settles the analysis of the open document at `uri` if it is a
/// provisional one of `generation` (see [`AnalysisHost::settle`]); returns
/// whether its diagnostics need publishing again.
pub fn settle_analysis(
    state: &SharedState,
    uri: &tower_lsp::lsp_types::Url,
    generation: u64,
) -> bool {
    let Ok(path) = uri.to_file_path() else {
        return false;
    };
    let snapshot = {
        let mut state = lock(state);
        match state.documents.get_mut(uri) {
            Some(open) if open.doc.generation() == generation && open.doc.kind().is_starlark() => {
                open.doc.snapshot()
            }
            _ => return false,
        }
    };
    let (Some(key), Some(index)) = (
        file_key(state, &snapshot, &path),
        existing_index(state, &path),
    ) else {
        return false;
    };
    let host = lock(state).analysis.clone();
    host.settle(&index, &key, &snapshot)
}

/// Where a Starlark file at `path` sits: a package's own BUILD file, or a
/// `.bzl` file. Build files for other repositories (`foo.BUILD`,
/// `BUILD.foo.bazel`) and WORKSPACE or MODULE.bazel files are not read as
/// packages of this one.
fn file_key(state: &SharedState, snapshot: &DocumentSnapshot, path: &Path) -> Option<FileKey> {
    snapshot.tree.as_ref()?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let is_build = snapshot.kind == FileKind::Build && crate::workspace::is_build_file_name(name);
    if !is_build && snapshot.kind != FileKind::Bzl {
        return None;
    }
    let index = existing_index(state, path)?;
    let rel = path.strip_prefix(index.root()).ok()?;
    let package = if is_build {
        rel.parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        index
            .package_of(&rel.to_string_lossy())
            .or_else(|| rel.parent().map(|p| p.to_string_lossy().into_owned()))
            .unwrap_or_default()
    };
    Some(FileKey {
        path: path.to_path_buf(),
        package,
        is_build,
    })
}

/// Forgets what the open document at `uri` told the index (it is closed:
/// the disk is the truth again).
pub fn clear_overlay(state: &SharedState, uri: &tower_lsp::lsp_types::Url) {
    let Ok(path) = uri.to_file_path() else {
        return;
    };
    let Some(index) = existing_index(state, &path) else {
        return;
    };
    let Ok(rel) = path.strip_prefix(index.root()) else {
        return;
    };
    lock(state).analysis.forget(&path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if crate::workspace::is_build_file_name(name) {
        let package = rel
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        index.set_overlay(&package, None);
    } else {
        index.set_bzl_overlay(&rel.to_string_lossy(), None);
    }
}
