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
//! Typing that cannot change what a BUILD file declares (inside a `deps`
//! string, see [`Outline::declaration_fingerprint`]) does not evaluate the
//! file again: the new version takes the previous evaluation's targets,
//! moved through the edit, and is marked *provisional*; once typing pauses,
//! [`AnalysisHost::settle`] evaluates it and says whether that changed
//! anything. Label verdicts are memoized across versions while the index
//! revision and the file's declarations stay the same.
//!
//! Invariants:
//! - At most one analysis of a file runs at a time: a request for a version
//!   whose analysis is running waits for it and shares the result; it never
//!   starts another.
//! - The index's overlay of a document is only ever written from that
//!   document's newest analysed generation: a late analysis of an older
//!   version does not undo a newer one.
//! - No I/O of its own: files are read through the index.

pub mod nested;
pub mod selects;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::analysis::folding::Fold;
use crate::analysis::semantic_tokens::{encode_starlark, EncodedToken, StatementTokens};
use crate::analysis::semantics::NamesMemo;
use crate::analysis::symbols::Symbol;
use crate::analysis::{Diagnostic, DocumentSnapshot};
use crate::host::index::WorkspaceIndex;
use crate::text::{PositionEncoding, TextRange};
use crate::workspace::bzl::BzlGlobals;
use crate::workspace::check::LabelMemo;
use crate::workspace::mentions::{outline_mentions, Mention};
use crate::workspace::outline::{Outline, OutlinePieces};
use crate::workspace::package::PackageDecls;
use crate::workspace::summary::PackageSummary;
use crate::workspace::summary::{summarize_with_mentions, AbsoluteMemo};

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
    /// The label strings of the outline (BUILD files).
    mentions: Arc<Vec<Mention>>,
    /// Recording this version changed what the index says of the file
    /// (declared targets, or a `.bzl` text): the documents that point into
    /// it need checking again.
    pub changed_index: bool,
    /// The outline's [`Outline::declaration_fingerprint`].
    fingerprint: u64,
    /// The declarations were taken from an earlier version's evaluation,
    /// not evaluated from this text (see [`AnalysisHost::settle`]).
    pub provisional: bool,
    /// Label and load diagnostics, computed when first asked for; `None`
    /// while the workspace's packages are not known yet.
    labels: OnceLock<Option<Arc<Vec<Diagnostic>>>>,
    /// Label verdicts, shared with later versions while they hold.
    memo: Arc<Memo>,
    /// The absolute labels of the file's label strings, shared with every
    /// later version.
    absolute: Arc<AbsoluteMemo>,
    /// The names of the file's statements, shared with every later version.
    names: Arc<NamesMemo>,
}

/// Label verdicts valid for one index revision and one package's
/// declarations.
struct Memo {
    revision: u64,
    decls: Arc<PackageDecls>,
    labels: LabelMemo,
}

impl Memo {
    fn new(revision: u64, decls: Arc<PackageDecls>) -> Memo {
        Memo {
            revision,
            decls,
            labels: LabelMemo::default(),
        }
    }
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
                    let mut list = crate::workspace::check::label_diagnostics_memoized(
                        &self.outline,
                        &self.mentions,
                        &key.package,
                        &lookup,
                        Some(&self.memo.labels),
                    );
                    if let Some(reason) = &self.summary.cut_short {
                        list.insert(0, evaluation_stopped(&self.outline, &snapshot.rope, reason));
                    }
                    list
                } else {
                    crate::workspace::check::load_diagnostics(
                        tree,
                        &snapshot.rope,
                        &key.package,
                        &lookup,
                    )
                };
                let mut list = list;
                let rules = LoadedRules {
                    index,
                    package: &key.package,
                    globals: &self.globals,
                };
                list.extend(crate::analysis::semantics::semantic_diagnostics(
                    snapshot.kind,
                    tree,
                    &snapshot.rope,
                    &key.package,
                    &rules,
                    Some(&self.names),
                ));
                Some(Arc::new(list))
            })
            .clone()
    }
}

/// The Starlark rules a file loads, read from the files they come from.
struct LoadedRules<'a> {
    index: &'a WorkspaceIndex,
    package: &'a str,
    globals: &'a BzlGlobals,
}

impl crate::analysis::semantics::RuleLookup for LoadedRules<'_> {
    fn loaded_rule(&self, name: &str) -> Option<crate::workspace::callables::Callable> {
        crate::analysis::workspace::calls::loaded_callable(
            self.package,
            self.globals,
            self.index,
            name,
        )
        .flatten()
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

impl SlotState {
    /// Makes an analysis of `snapshot` from `derived` (computed while the
    /// index was at revision `before`): records it in the index if no newer
    /// generation was recorded, and keeps it as the latest unless a newer
    /// generation's is there. It is valid for the revision it saw, unless
    /// something else moved the index meanwhile (then the next asker
    /// computes it again).
    fn install(
        &mut self,
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
        derived: Derived,
        before: u64,
        previous: Option<&FileAnalysis>,
    ) -> Arc<FileAnalysis> {
        let mut changed_index = false;
        if self.recorded.is_none_or(|g| g <= snapshot.generation) {
            changed_index = record(index, key, snapshot, &derived.summary, &derived.globals);
            self.recorded = Some(snapshot.generation);
        }
        let after = index.revision();
        let revision = if after == before + u64::from(changed_index) {
            after
        } else {
            before
        };
        let analysis =
            Arc::new(derived.into_analysis(snapshot.generation, revision, changed_index, previous));
        if self
            .latest
            .as_ref()
            .is_none_or(|l| l.generation <= snapshot.generation)
        {
            self.latest = Some(analysis.clone());
        }
        analysis
    }
}

/// The per-version analyses of the open documents of every workspace, and
/// their select previews.
#[derive(Default)]
pub struct AnalysisHost {
    files: Mutex<HashMap<PathBuf, Arc<FileSlot>>>,
    selects: selects::SelectCache,
    outlines: Mutex<HashMap<PathBuf, Arc<DocumentOutline>>>,
    /// Per open document, the generation whose semantic tokens were
    /// computed last and their statements, for the next version to reuse.
    tokens: Mutex<HashMap<PathBuf, (u64, Arc<StatementTokens>)>>,
}

/// Whole-document results of one version of an open document, computed on
/// the first request and shared by the next ones of that version (editors
/// ask for symbols several times per version: outline, breadcrumbs,
/// sticky scroll).
#[derive(Default)]
struct DocumentOutline {
    generation: u64,
    symbols: OnceLock<Arc<Vec<Symbol>>>,
    folds: OnceLock<Arc<Vec<Fold>>>,
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
        let previous = state.latest.clone();
        let derived = derive(index, key, tree, snapshot, previous.as_deref(), true, None);
        let analysis = state.install(index, key, snapshot, derived, before, previous.as_deref());
        drop(state);
        if let Some(previous) = previous {
            drop_later(previous);
        }
        Some(analysis)
    }

    /// The analysis of a file that is not open, read from disk (for one
    /// request, or by `bzls check`): computed, neither cached nor recorded
    /// in the index. What a BUILD file declares is the index's summary of
    /// it (the same text, evaluated once however many files ask).
    pub fn transient(
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
    ) -> Option<Arc<FileAnalysis>> {
        let tree = snapshot.tree.as_ref()?;
        let on_disk = key.is_build.then(|| index.summary(&key.package)).flatten();
        let derived = derive(index, key, tree, snapshot, None, false, on_disk);
        Some(Arc::new(derived.into_analysis(
            snapshot.generation,
            index.revision(),
            false,
            None,
        )))
    }

    /// Replaces a provisional analysis of `snapshot` (see the module doc)
    /// by an evaluation of its text, recording it in the index. Returns
    /// whether that changed how labels resolve (then the document's
    /// diagnostics need publishing again). Nothing happens when the latest
    /// analysis is not a provisional one of this generation.
    pub fn settle(
        &self,
        index: &WorkspaceIndex,
        key: &FileKey,
        snapshot: &DocumentSnapshot,
    ) -> bool {
        let Some(tree) = snapshot.tree.as_ref() else {
            return false;
        };
        let Some(slot) = self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key.path)
            .cloned()
        else {
            return false;
        };
        let latest = {
            let state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
            match &state.latest {
                Some(latest) if latest.generation == snapshot.generation && latest.provisional => {
                    latest.clone()
                }
                _ => return false,
            }
        };
        // The evaluation runs without the slot: requests meanwhile are
        // answered from the provisional analysis.
        let before = index.revision();
        let derived = derive(index, key, tree, snapshot, Some(&latest), false, None);
        let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        if !state
            .latest
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(l, &latest))
        {
            // A newer analysis replaced it meanwhile.
            return false;
        }
        let differs = !same_for_resolution(&latest.summary.decls, &derived.summary.decls);
        state.install(index, key, snapshot, derived, before, Some(&latest));
        differs
    }

    /// Forgets a closed document (its overlay is cleared by the caller).
    pub fn forget(&self, path: &Path) {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        self.selects.forget(path);
        self.outlines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }

    /// The select sessions and previews.
    pub fn selects(&self) -> &selects::SelectCache {
        &self.selects
    }

    /// The document symbols of `snapshot`, a version of the open document
    /// at `path` (kept for that version).
    pub fn document_symbols(&self, path: &Path, snapshot: &DocumentSnapshot) -> Arc<Vec<Symbol>> {
        let compute = || Arc::new(crate::analysis::symbols::document_symbols(snapshot));
        match self.outline_of(path, snapshot.generation) {
            Some(outline) => outline.symbols.get_or_init(compute).clone(),
            None => compute(),
        }
    }

    /// The folds of `snapshot`, a version of the open document at `path`
    /// (kept for that version).
    pub fn folds(&self, path: &Path, snapshot: &DocumentSnapshot) -> Arc<Vec<Fold>> {
        let compute = || Arc::new(crate::analysis::folding::folding_ranges(snapshot));
        match self.outline_of(path, snapshot.generation) {
            Some(outline) => outline.folds.get_or_init(compute).clone(),
            None => compute(),
        }
    }

    /// The semantic tokens of `snapshot`, a version of the open document at
    /// `path`, with the label strings `mentions` of a BUILD file (see
    /// [`encode_starlark`]). The statements an edit left alone are copied
    /// from the last version computed, so a keystroke costs a walk of the
    /// statements it changed.
    pub fn semantic_tokens(
        &self,
        path: &Path,
        snapshot: &DocumentSnapshot,
        mentions: Option<&[(String, TextRange)]>,
        encoding: PositionEncoding,
    ) -> Option<Vec<EncodedToken>> {
        let tree = snapshot.tree.as_ref()?;
        let previous = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .map(|(_, memo)| memo.clone());
        let text: Arc<str> = Arc::from(snapshot.rope.to_string());
        let (tokens, memo) = encode_starlark(tree, text, mentions, encoding, previous.as_deref());
        let replaced = {
            let mut kept = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            match kept.get(path) {
                Some((generation, _)) if *generation > snapshot.generation => None,
                _ => kept.insert(path.to_path_buf(), (snapshot.generation, Arc::new(memo))),
            }
        };
        drop(previous);
        if let Some(replaced) = replaced {
            drop_later(replaced);
        }
        Some(tokens)
    }

    /// The whole-document results of `generation` of the document at
    /// `path`: `None` for an older generation than the one kept (a stale
    /// request computes without keeping anything).
    fn outline_of(&self, path: &Path, generation: u64) -> Option<Arc<DocumentOutline>> {
        let mut outlines = self.outlines.lock().unwrap_or_else(|p| p.into_inner());
        match outlines.get(path) {
            Some(kept) if kept.generation == generation => Some(kept.clone()),
            Some(kept) if kept.generation > generation => None,
            _ => {
                let outline = Arc::new(DocumentOutline {
                    generation,
                    ..DocumentOutline::default()
                });
                outlines.insert(path.to_path_buf(), outline.clone());
                Some(outline)
            }
        }
    }
}

/// Drops `value` on a background thread: freeing the analysis of a large
/// file (its outline and summary) takes about half a millisecond, which
/// the next version's diagnostics need not wait for. Drops it here if that
/// thread cannot be started.
fn drop_later<T: Send + 'static>(value: T) {
    type Garbage = Box<dyn Send>;
    static DROPPER: OnceLock<Option<std::sync::mpsc::Sender<Garbage>>> = OnceLock::new();
    let dropper = DROPPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Garbage>();
        std::thread::Builder::new()
            .name("bzls-drop".to_owned())
            // What it drops may hold a `starlark` AST, whose drop recurses.
            .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
            .spawn(move || {
                crate::host::priority::lower_current_thread();
                for garbage in rx {
                    drop(garbage);
                }
            })
            .ok()
            .map(|_| tx)
    });
    let garbage: Garbage = Box::new(value);
    if let Some(tx) = dropper {
        // On failure the value comes back in the error and drops here.
        let _ = tx.send(garbage);
    }
}

/// What an analysis derives from one version's text.
struct Derived {
    outline: Outline,
    pieces: OutlinePieces,
    mentions: Vec<Mention>,
    fingerprint: u64,
    provisional: bool,
    summary: Arc<PackageSummary>,
    globals: Arc<BzlGlobals>,
    absolute: Arc<AbsoluteMemo>,
    names: Arc<NamesMemo>,
}

impl Derived {
    fn into_analysis(
        self,
        generation: u64,
        revision: u64,
        changed_index: bool,
        previous: Option<&FileAnalysis>,
    ) -> FileAnalysis {
        let memo = match previous {
            Some(p)
                if p.memo.revision == revision
                    && same_for_resolution(&p.memo.decls, &self.summary.decls) =>
            {
                p.memo.clone()
            }
            _ => Arc::new(Memo::new(revision, self.summary.decls.clone())),
        };
        FileAnalysis {
            generation,
            revision,
            summary: self.summary,
            globals: self.globals,
            outline: Arc::new(self.outline),
            pieces: Arc::new(self.pieces),
            mentions: Arc::new(self.mentions),
            fingerprint: self.fingerprint,
            provisional: self.provisional,
            changed_index,
            labels: OnceLock::new(),
            memo,
            absolute: self.absolute,
            names: self.names,
        }
    }
}

/// Whether two readings of a package resolve labels the same way: the same
/// targets (names, kinds, generating rules), equally open, with the same
/// unfollowed calls and outputs. Ranges do not matter.
fn same_for_resolution(a: &PackageDecls, b: &PackageDecls) -> bool {
    a.open == b.open
        && a.unfollowed == b.unfollowed
        && a.unfollowed_outputs == b.unfollowed_outputs
        && a.targets.len() == b.targets.len()
        && a.targets
            .iter()
            .zip(&b.targets)
            .all(|(x, y)| x.name == y.name && x.kind == y.kind && x.generated_by == y.generated_by)
}

/// Reads a version's outline (reusing the previous version's pieces),
/// summary and bindings. With `reuse_evaluation`, a BUILD file whose
/// declaration fingerprint equals the previous version's, which was
/// evaluated, takes that evaluation's targets (moved through the edit)
/// instead of being evaluated again; the result is then provisional. With
/// `on_disk` (the index's summary of this very text), a BUILD file that
/// needs evaluating takes its declarations from there instead.
fn derive(
    index: &WorkspaceIndex,
    key: &FileKey,
    tree: &tree_sitter::Tree,
    snapshot: &DocumentSnapshot,
    previous: Option<&FileAnalysis>,
    reuse_evaluation: bool,
    on_disk: Option<Arc<PackageSummary>>,
) -> Derived {
    let globals = Arc::new(crate::workspace::bzl::bzl_globals(tree, &snapshot.rope));
    let names: Arc<NamesMemo> = previous.map_or_else(Default::default, |p| p.names.clone());
    if !key.is_build {
        return Derived {
            outline: Outline::default(),
            pieces: OutlinePieces::default(),
            mentions: Vec::new(),
            fingerprint: 0,
            provisional: false,
            summary: Arc::new(PackageSummary::default()),
            globals,
            absolute: Arc::default(),
            names,
        };
    }
    let (outline, pieces) = Outline::from_tree_reusing(
        tree,
        &snapshot.rope,
        previous.map(|p| (&*p.outline, &*p.pieces)),
    );
    let fingerprint = outline.declaration_fingerprint();
    let mentions = outline_mentions(&outline);
    let absolute: Arc<AbsoluteMemo> =
        previous.map_or_else(Default::default, |p| p.absolute.clone());
    let mut summary = summarize_with_mentions(&key.package, &outline, &mentions, Some(&absolute));
    let mut provisional = false;
    if let Some(disk) = on_disk.filter(|_| summary.decls.open) {
        summary.decls = disk.decls.clone();
        summary.evaluated = disk.evaluated;
        summary.cut_short = disk.cut_short.clone();
    } else if summary.decls.open && !tree.root_node().has_error() {
        let reusable = previous
            .filter(|p| reuse_evaluation && p.summary.evaluated && p.fingerprint == fingerprint)
            .and_then(|p| Some((p, p.outline.offset_map(&outline)?)));
        match reusable {
            Some((previous, map)) => {
                let mut decls = (*previous.summary.decls).clone();
                for target in &mut decls.targets {
                    target.name_range = map.map_range(target.name_range);
                    target.call_range = map.map_range(target.call_range);
                }
                decls.loads = summary.decls.loads.clone();
                summary.decls = Arc::new(decls);
                summary.evaluated = true;
                summary.cut_short = previous.summary.cut_short.clone();
                provisional = true;
            }
            None => {
                use crate::analysis::workspace::WorkspaceView;
                index.evaluate(&key.package, &snapshot.rope.to_string(), &mut summary);
            }
        }
    }
    crate::workspace::summary::open_when_broken(&mut summary, tree);
    Derived {
        outline,
        pieces,
        mentions,
        fingerprint,
        provisional,
        summary: Arc::new(summary),
        globals,
        absolute,
        names,
    }
}

/// The `file-too-complex` warning of a BUILD file whose evaluation a bound
/// stopped (`reason`), on the first line of its first `load()` (what
/// brought in the macros evaluation follows), or of the file.
fn evaluation_stopped(outline: &Outline, rope: &ropey::Rope, reason: &str) -> Diagnostic {
    let start = outline
        .statements
        .iter()
        .find_map(|s| match s {
            crate::workspace::outline::Statement::Load(load) => Some(load.module_range.start),
            _ => None,
        })
        .unwrap_or(0);
    Diagnostic::new(
        crate::diagnostic::Severity::Warning,
        crate::diagnostic::DiagnosticCode::FileTooComplex,
        crate::text::rest_of_line(rope, start),
        format!(
            "bzls stopped evaluating this BUILD file: {reason}; the targets its macros make \
             are not known, so labels into this package are not checked"
        ),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Document;
    use crate::fixture::{write_file as write, TempDir};
    use crate::syntax::FileKind;
    use crate::text::{LineCol, PositionEncoding, TextChange, TextRange};

    const MACROS: &str = "def mac(name, deps = []):\n    native.cc_library(name = name, deps = deps)\n    native.filegroup(name = name + \"_files\")\n";
    const BUILD: &str = "load(\"//m:defs.bzl\", \"mac\")\nmac(name = \"a\", deps = [\":b\"])\ncc_library(name = \"b\")\n";

    fn workspace() -> (TempDir, WorkspaceIndex, FileKey) {
        let dir = TempDir::new("db");
        let root = dir.0.clone();
        write(&root, "MODULE.bazel", "");
        write(&root, "m/BUILD", "");
        write(&root, "m/defs.bzl", MACROS);
        write(&root, "p/BUILD", BUILD);
        let index = WorkspaceIndex::scan(&root);
        let key = FileKey {
            path: root.join("p/BUILD"),
            package: "p".to_string(),
            is_build: true,
        };
        (dir, index, key)
    }

    /// Inserts `text` at 0-based `(line, col)`.
    fn insert(doc: &mut Document, line: u32, col: u32, text: &str) {
        let at = LineCol::new(line, col);
        let version = doc.version() + 1;
        doc.apply_changes(
            version,
            &[TextChange {
                range: Some((at, at)),
                text: text.to_string(),
            }],
            PositionEncoding::Utf16,
        );
    }

    fn names(a: &FileAnalysis) -> Vec<(String, TextRange)> {
        a.summary
            .decls
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.name_range))
            .collect()
    }

    /// Symbols and folds are computed once per version; a request for an
    /// older version than the one kept computes without replacing it.
    #[test]
    fn whole_document_results_are_kept_per_version() {
        let host = AnalysisHost::new();
        let path = PathBuf::from("/ws/p/BUILD");
        let mut doc = Document::new(FileKind::Build, 1, BUILD);
        let old = doc.snapshot();
        let first = host.document_symbols(&path, &old);
        assert!(Arc::ptr_eq(&first, &host.document_symbols(&path, &old)));
        let folds = host.folds(&path, &old);
        assert!(Arc::ptr_eq(&folds, &host.folds(&path, &old)));
        insert(&mut doc, 2, 0, "cc_library(name = \"c\")\n");
        let new = doc.snapshot();
        let second = host.document_symbols(&path, &new);
        assert_eq!(second.len(), first.len() + 1);
        let stale = host.document_symbols(&path, &old);
        assert_eq!(stale.len(), first.len());
        assert!(Arc::ptr_eq(&second, &host.document_symbols(&path, &new)));
        host.forget(&path);
        assert!(!Arc::ptr_eq(&second, &host.document_symbols(&path, &new)));
    }

    #[test]
    fn one_analysis_per_version_shared_by_every_asker() {
        let (_dir, index, key) = workspace();
        let host = AnalysisHost::new();
        let snapshot = Document::new(FileKind::Build, 1, BUILD).snapshot();
        let first = host.analysis(&index, &key, &snapshot).expect("analysis");
        let again = host.analysis(&index, &key, &snapshot).expect("analysis");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(first.summary.evaluated && !first.provisional);
        assert!(names(&first).iter().any(|(n, _)| n == "a_files"));
        // The index sees the document.
        assert!(index.summary("p").is_some_and(|s| s.evaluated));
        // A change elsewhere in the workspace makes it stale.
        index.file_changed(
            &key.path.with_file_name("new.cc"),
            crate::host::index::FileChange::Created,
        );
        let third = host.analysis(&index, &key, &snapshot).expect("analysis");
        assert!(!Arc::ptr_eq(&first, &third));
    }

    /// Typing inside a `deps` string reuses the last evaluation (moved
    /// through the edit) until typing pauses; settling evaluates it and
    /// agrees. Changing a name evaluates at once.
    #[test]
    fn edits_inside_deps_reuse_the_evaluation_until_settled() {
        let (_dir, index, key) = workspace();
        let host = AnalysisHost::new();
        let mut doc = Document::new(FileKind::Build, 1, BUILD);
        host.analysis(&index, &key, &doc.snapshot())
            .expect("analysis");

        // A line above moves everything; inside `":b"` adds a character.
        insert(&mut doc, 0, 0, "# top\n");
        insert(&mut doc, 2, 27, "x");
        let snapshot = doc.snapshot();
        let typed = host.analysis(&index, &key, &snapshot).expect("analysis");
        assert!(typed.provisional);
        let fresh = AnalysisHost::transient(&index, &key, &snapshot).expect("analysis");
        assert_eq!(names(&typed), names(&fresh));
        assert!(!host.settle(&index, &key, &snapshot));
        let settled = host.analysis(&index, &key, &snapshot).expect("analysis");
        assert!(!settled.provisional);
        assert_eq!(names(&settled), names(&fresh));
        // Settling twice does nothing.
        assert!(!host.settle(&index, &key, &snapshot));

        // A new name is evaluated at once.
        insert(&mut doc, 2, 12, "z");
        let renamed = host
            .analysis(&index, &key, &doc.snapshot())
            .expect("analysis");
        assert!(!renamed.provisional);
        assert!(names(&renamed).iter().any(|(n, _)| n == "za_files"));
    }
}
