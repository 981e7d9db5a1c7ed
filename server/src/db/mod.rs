//! The analysis host: what is derived from one version of an open
//! Starlark document, computed once and shared by every request and by the
//! diagnostics publisher.
//!
//! A [`FileAnalysis`] is keyed by the document's generation and by the
//! revision of its workspace index ([`WorkspaceIndex::revision`]): it stays
//! valid while both are unchanged, and is computed again, once, when either
//! moves. Computing it also records the document in the index (its overlay),
//! so what other files see of it does not depend on who asked first.
//!
//! Invariants:
//! - At most one analysis of a file runs at a time: a request for a version
//!   whose analysis is running waits for it and shares the result; it never
//!   starts another.
//! - The index's overlay of a document is only ever written from that
//!   document's newest analysed generation: a late analysis of an older
//!   version does not undo a newer one.
//! - No I/O of its own: files are read through the index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::analysis::workspace::file_summary_of_outline;
use crate::analysis::{Diagnostic, DocumentSnapshot};
use crate::host::index::WorkspaceIndex;
use crate::workspace::bzl::BzlGlobals;
use crate::workspace::outline::{Outline, OutlinePieces};
use crate::workspace::summary::PackageSummary;

/// Where a Starlark file sits in its workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileKey {
    /// Its absolute path.
    pub path: PathBuf,
    /// Its package (for a BUILD file, its directory).
    pub package: String,
    /// A package's own BUILD file (else a `.bzl` file).
    pub is_build: bool,
}

/// What one version of a Starlark file amounts to in its workspace.
pub struct FileAnalysis {
    /// The document generation it was computed from.
    pub generation: u64,
    /// The index revision it is valid for.
    revision: u64,
    /// The file's own summary (BUILD files; empty for `.bzl` files): read
    /// from this very text, evaluated when a static reading leaves it open.
    pub summary: Arc<PackageSummary>,
    /// The file's own top-level bindings.
    pub globals: Arc<BzlGlobals>,
    /// The file's outline (what the index reads of a BUILD file; empty
    /// for a `.bzl` file).
    pub outline: Arc<Outline>,
    /// The outline's pieces, for the next version to reuse.
    pieces: Arc<OutlinePieces>,
    /// Recording this version changed what the index says of the file
    /// (declared targets, or a `.bzl` text): the documents that point into
    /// it need checking again.
    pub changed_index: bool,
    /// Label and load diagnostics, computed when first asked for; `None`
    /// while the workspace's packages are not known yet.
    labels: OnceLock<Option<Arc<Vec<Diagnostic>>>>,
}

impl FileAnalysis {
    /// The label and load diagnostics of this version (computed on first
    /// use). `snapshot` must be the version the analysis was made from.
    pub fn label_diagnostics(
        &self,
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
    ) -> Option<Arc<Vec<Diagnostic>>> {
        debug_assert_eq!(snapshot.generation, self.generation);
        self.labels
            .get_or_init(|| {
                if !index.packages_ready() {
                    return None;
                }
                let tree = snapshot.tree.as_ref()?;
                let lookup = crate::analysis::workspace::CurrentFirst::new(
                    index,
                    &key.package,
                    key.is_build.then(|| self.summary.decls.clone()),
                );
                let list = if key.is_build {
                    crate::workspace::check::label_diagnostics_of_outline(
                        &self.outline,
                        tree,
                        &snapshot.rope,
                        &key.package,
                        &lookup,
                    )
                } else {
                    crate::workspace::check::load_diagnostics(
                        tree,
                        &snapshot.rope,
                        &key.package,
                        &lookup,
                    )
                };
                Some(Arc::new(list))
            })
            .clone()
    }
}

/// The analyses of one file: the latest, and a lock that makes concurrent
/// askers share one computation.
#[derive(Default)]
struct FileSlot {
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    latest: Option<Arc<FileAnalysis>>,
    /// The newest generation whose summary was written to the index.
    recorded: Option<u64>,
}

/// The per-version analyses of the open documents of every workspace.
#[derive(Default)]
pub struct AnalysisHost {
    files: Mutex<HashMap<PathBuf, Arc<FileSlot>>>,
}

impl AnalysisHost {
    pub fn new() -> AnalysisHost {
        AnalysisHost::default()
    }

    /// The analysis of `snapshot`, an open document's version: the cached
    /// one when it is for this generation and the index has not moved,
    /// else computed now (while other askers wait).
    pub fn analysis(
        &self,
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
    ) -> Option<Arc<FileAnalysis>> {
        let tree = snapshot.tree.as_ref()?;
        let slot = self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.path.clone())
            .or_default()
            .clone();
        let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(latest) = &state.latest {
            if latest.generation == snapshot.generation && latest.revision == index.revision() {
                return Some(latest.clone());
            }
        }
        let before = index.revision();
        let previous = state.latest.as_ref().map(|l| l.pieces.clone());
        let derived = derive(index, key, tree, snapshot, previous.as_deref());
        let (summary, globals) = (derived.summary.clone(), derived.globals.clone());
        let newest = state.recorded.is_none_or(|g| g <= snapshot.generation);
        let mut changed_index = false;
        if newest {
            changed_index = record(index, key, snapshot, &summary, &globals);
            state.recorded = Some(snapshot.generation);
        }
        // Valid for the revision it saw, unless something else moved the
        // index meanwhile (then the next asker computes it again).
        let after = index.revision();
        let revision = if after == before + u64::from(changed_index) {
            after
        } else {
            before
        };
        let analysis =
            Arc::new(derived.into_analysis(snapshot.generation, revision, changed_index));
        if state
            .latest
            .as_ref()
            .is_none_or(|l| l.generation <= snapshot.generation)
        {
            state.latest = Some(analysis.clone());
        }
        Some(analysis)
    }

    /// The analysis of a file that is not open (read from disk for one
    /// request): computed, neither cached nor recorded in the index.
    pub fn transient(
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
    ) -> Option<Arc<FileAnalysis>> {
        let tree = snapshot.tree.as_ref()?;
        let derived = derive(index, key, tree, snapshot, None);
        Some(Arc::new(derived.into_analysis(
            snapshot.generation,
            index.revision(),
            false,
        )))
    }

    /// Forgets a closed document (its overlay is cleared by the caller).
    pub fn forget(&self, path: &Path) {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }
}

/// What an analysis derives from one version's text.
struct Derived {
    outline: Outline,
    pieces: OutlinePieces,
    summary: Arc<PackageSummary>,
    globals: Arc<BzlGlobals>,
}

impl Derived {
    fn into_analysis(self, generation: u64, revision: u64, changed_index: bool) -> FileAnalysis {
        FileAnalysis {
            generation,
            revision,
            summary: self.summary,
            globals: self.globals,
            outline: Arc::new(self.outline),
            pieces: Arc::new(self.pieces),
            changed_index,
            labels: OnceLock::new(),
        }
    }
}

/// Reads a version's outline (reusing `previous` pieces), summary and
/// bindings.
fn derive(
    index: &WorkspaceIndex,
    key: &FileKey,
    tree: &tree_sitter::Tree,
    snapshot: &DocumentSnapshot,
    previous: Option<&OutlinePieces>,
) -> Derived {
    let (outline, pieces) = if key.is_build {
        Outline::from_tree_reusing(tree, &snapshot.rope, previous)
    } else {
        Default::default()
    };
    let summary = if key.is_build {
        Arc::new(file_summary_of_outline(
            index,
            &outline,
            tree,
            &snapshot.rope,
            &key.package,
        ))
    } else {
        Arc::new(PackageSummary::default())
    };
    let globals = Arc::new(crate::workspace::bzl::bzl_globals(tree, &snapshot.rope));
    Derived {
        outline,
        pieces,
        summary,
        globals,
    }
}

/// Writes one version of a document into the index (a BUILD file's
/// summary, a `.bzl` file's bindings and text). Returns whether that
/// changed what the index resolves.
fn record(
    index: &WorkspaceIndex,
    key: &FileKey,
    snapshot: &DocumentSnapshot,
    summary: &Arc<PackageSummary>,
    globals: &Arc<BzlGlobals>,
) -> bool {
    if key.is_build {
        return index.set_overlay(&key.package, Some(summary.clone()));
    }
    let Ok(rel) = key.path.strip_prefix(index.root()) else {
        return false;
    };
    let text: Arc<str> = Arc::from(snapshot.rope.to_string().as_str());
    // An unsaved edit of a macro changes what open BUILD files evaluate to.
    index.set_bzl_overlay(&rel.to_string_lossy(), Some((globals.clone(), text)))
}
