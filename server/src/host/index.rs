//! The packages of a workspace on disk, for label resolution
//! ([`crate::workspace::resolve::PackageLookup`]), navigation and
//! references.
//!
//! A package is a directory with `BUILD.bazel` or `BUILD` (`BUILD.bazel`
//! wins). The walk skips `.git`, the `bazel-*` output links and directories
//! listed in `.bazelignore`; it never enters a directory twice, so symlink
//! loops end. A nested workspace (a directory with its own `MODULE.bazel`,
//! `WORKSPACE`, ...) is a root of its own for the files in it, but its
//! packages are packages of this workspace too, as Bazel sees them (which is
//! why projects list such directories in `.bazelignore`).
//!
//! Building runs in two phases, each in parallel: the walk (after which
//! [`WorkspaceIndex::packages_ready`] holds and labels can be checked), then
//! a summary of every BUILD file (declarations and mentioned labels; after
//! it [`WorkspaceIndex::is_complete`] holds and references are complete).
//! Until then a package's summary is made when first asked for.
//!
//! Open documents override the disk ([`WorkspaceIndex::set_overlay`]);
//! watched-file events keep it current ([`WorkspaceIndex::file_changed`]).
//!
//! Invariant: `refs` holds, for every package, the mentions of its summary
//! on disk, and nothing else. The mentions of open documents (overlays)
//! are read from their summaries when references are asked for: an overlay
//! changes on every keystroke, and keeping `refs` in step with it cost a
//! pass over every list its labels are in.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use ropey::Rope;

use super::external::ExternalRepository;
use super::repos::{load_repositories, Repositories};
use super::workspace::read_bazelignore;
use crate::analysis::workspace::{LoadingFile, WorkspaceView};
use crate::hash::{FastMap, FastSet};
use crate::host::eval_process::ProcessEvaluator;
use crate::syntax::starlark_ast::STARLARK_STACK_SIZE;
use crate::text::TextRange;
use crate::workspace::bzl::{bzl_globals, BzlGlobals};
use crate::workspace::eval::{parse_build, Evaluation, Unparsed};
use crate::workspace::eval::{EvalSource, ModuleKey};
use crate::workspace::outline::Outline;
use crate::workspace::package::PackageDecls;
use crate::workspace::repos::RepoStatus;
use crate::workspace::resolve::{NameEvidence, PackageLookup, RepoVisibility};
use crate::workspace::summary::{summarize_outline, summarize_text, PackageSummary};
use starlark::syntax::AstModule;

/// BUILD and .bzl files larger than this are not parsed (the package then
/// counts as open: nothing in it is reported missing).
const MAX_BUILD_FILE: u64 = 10 * 1024 * 1024;

/// How a watched file changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileChange {
    Created,
    Changed,
    Deleted,
}

/// Where indexing is, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Walking directories; `done` packages found so far.
    Walking { done: usize },
    /// Reading BUILD files: `done` of `total`.
    Reading { done: usize, total: usize },
}

#[derive(Default)]
struct Inner {
    /// Package name (`""` for the root) → its BUILD file.
    packages: FastMap<String, PathBuf>,
    /// Summaries of BUILD files on disk.
    disk: FastMap<String, Arc<PackageSummary>>,
    /// Summaries of open documents, which override the disk.
    overlay: FastMap<String, Arc<PackageSummary>>,
    /// Absolute label → the packages mentioning it, with the ranges.
    refs: FastMap<Arc<str>, Vec<(Arc<str>, TextRange)>>,
    /// Package of the main repository → the target names that the labels
    /// of `refs` give it (exactly the `//package:name` keys of `refs`).
    referenced: FastMap<String, FastSet<String>>,
    /// Packages of `disk` whose summary is out of date because a module
    /// they were evaluated with changed: read again when next asked for,
    /// but their mentions (read from their unchanged BUILD text) stay in
    /// `refs` meanwhile.
    stale: FastSet<String>,
}

/// The package and name of a main-repository label of `refs`
/// (`//package:name`); `None` for other repositories' labels.
fn split_main_label(label: &str) -> Option<(&str, &str)> {
    label.strip_prefix("//")?.split_once(':')
}

impl Inner {
    fn effective(&self, package: &str) -> Option<&Arc<PackageSummary>> {
        self.overlay.get(package).or_else(|| {
            self.disk
                .get(package)
                .filter(|_| !self.stale.contains(package))
        })
    }

    /// Whether `disk` holds an up-to-date summary of `package` (whatever
    /// the overlay says: `refs` are read from the disk's).
    fn has_disk_summary(&self, package: &str) -> bool {
        self.disk.contains_key(package) && !self.stale.contains(package)
    }

    fn remove_refs(&mut self, package: &str) {
        let Some(old) = self.disk.get(package).cloned() else {
            return;
        };
        for (label, _) in &old.mentions {
            if let Some(list) = self.refs.get_mut(label.as_str()) {
                list.retain(|(p, _)| &**p != package);
                if list.is_empty() {
                    self.refs.remove(label.as_str());
                    if let Some((target_package, name)) = split_main_label(label) {
                        if let Some(names) = self.referenced.get_mut(target_package) {
                            names.remove(name);
                            if names.is_empty() {
                                self.referenced.remove(target_package);
                            }
                        }
                    }
                }
            }
        }
    }

    fn add_refs(&mut self, package: &str) {
        let Some(new) = self.disk.get(package).cloned() else {
            return;
        };
        let package: Arc<str> = Arc::from(package);
        for (label, range) in &new.mentions {
            match self.refs.get_mut(label.as_str()) {
                Some(list) => list.push((package.clone(), *range)),
                None => {
                    self.refs
                        .insert(Arc::from(label.as_str()), vec![(package.clone(), *range)]);
                    if let Some((target_package, name)) = split_main_label(label) {
                        self.referenced
                            .entry(target_package.to_string())
                            .or_default()
                            .insert(name.to_string());
                    }
                }
            }
        }
    }

    /// Replaces one of the two summary maps' entry for `package`, keeping
    /// `refs` in step with the disk's.
    fn replace(&mut self, package: &str, overlay: bool, summary: Option<Arc<PackageSummary>>) {
        if overlay {
            match summary {
                Some(summary) => self.overlay.insert(package.to_string(), summary),
                None => self.overlay.remove(package),
            };
            return;
        }
        self.remove_refs(package);
        self.stale.remove(package);
        match summary {
            Some(summary) => self.disk.insert(package.to_string(), summary),
            None => self.disk.remove(package),
        };
        self.add_refs(package);
    }
}

/// The packages of one workspace.
pub struct WorkspaceIndex {
    root: PathBuf,
    inner: RwLock<Inner>,
    packages_ready: AtomicBool,
    complete: AtomicBool,
    /// Made by [`WorkspaceIndex::scan`]: read every BUILD file when first
    /// needed (see `complete_on_demand`), one thread at a time.
    complete_on_demand: AtomicBool,
    completing: Mutex<()>,
    /// Top-level bindings of .bzl files, by workspace-relative path.
    bzl: Mutex<FastMap<String, Arc<BzlGlobals>>>,
    bzl_overlay: RwLock<FastMap<String, Arc<BzlGlobals>>>,
    /// The text of open .bzl documents, which evaluation reads instead of
    /// the disk (so open BUILD files see unsaved macro edits; closed
    /// packages are evaluated again when the file is saved).
    bzl_text_overlay: RwLock<FastMap<String, Arc<str>>>,
    /// The repositories MODULE.bazel and WORKSPACE declare, read when first
    /// asked for; `None` again after one of those files changes.
    repos: RwLock<Option<Arc<Repositories>>>,
    /// The repositories on disk that labels pointed into, by directory.
    externals: Mutex<FastMap<PathBuf, Arc<ExternalRepository>>>,
    /// Evaluates the BUILD files a static reading leaves open.
    evaluator: ProcessEvaluator,
    /// Every package name, sorted; `None` after the set changed.
    sorted: RwLock<Option<Arc<Vec<String>>>>,
    /// Whether repository names can be judged at all (see
    /// [`RootFacts`]); `None` after a root file changed.
    root_facts: RwLock<Option<RootFacts>>,
    /// Whether each directory asked about starts another repository (holds
    /// one of [`super::workspace::ROOT_MARKERS`]): references and label
    /// checks ask for every ancestor of every mention. Forgotten when a
    /// root marker file or anything else is created or deleted.
    nested_roots: RwLock<FastMap<String, bool>>,
    /// Directory listings for completion, with the directory's
    /// modification time when read (see `list_dir_at`).
    listings: Mutex<FastMap<PathBuf, Listing>>,
    /// Bumped by every change that can alter how a label resolves or what
    /// a BUILD file evaluates to (see [`WorkspaceIndex::revision`]).
    revision: std::sync::atomic::AtomicU64,
    /// Files and directories the index could not read or analyse, with
    /// why (see [`WorkspaceIndex::unanalysed`]).
    unanalysed: Mutex<FastMap<PathBuf, String>>,
}

/// A directory's entries `(name, is a directory)`, and its modification
/// time when they were read.
type Listing = (std::time::SystemTime, Arc<[(String, bool)]>);

/// What decides whether an `@name` nobody declares is worth a warning,
/// read from the disk once (not once per label) and again after a root
/// file changes.
#[derive(Clone, Copy, Debug)]
struct RootFacts {
    /// The root holds `MODULE.bazel` or a `WORKSPACE` file.
    declares_repositories: bool,
    /// The root is inside another workspace (often a test fixture the
    /// outer one uses as a repository, whose names it then sees).
    nested: bool,
}

/// At most this many directories are remembered in
/// `WorkspaceIndex::nested_roots` (then it starts again).
const MAX_NESTED_ROOTS_KNOWN: usize = 65_536;

impl WorkspaceIndex {
    /// An empty index of `root`; [`WorkspaceIndex::build`] fills it.
    pub fn new(root: &Path) -> WorkspaceIndex {
        WorkspaceIndex {
            root: root.to_path_buf(),
            inner: RwLock::new(Inner::default()),
            packages_ready: AtomicBool::new(false),
            complete: AtomicBool::new(false),
            complete_on_demand: AtomicBool::new(false),
            completing: Mutex::new(()),
            bzl: Mutex::new(FastMap::default()),
            bzl_overlay: RwLock::new(FastMap::default()),
            bzl_text_overlay: RwLock::new(FastMap::default()),
            repos: RwLock::new(None),
            externals: Mutex::new(FastMap::default()),
            evaluator: ProcessEvaluator::new(),
            sorted: RwLock::new(None),
            root_facts: RwLock::new(None),
            nested_roots: RwLock::new(FastMap::default()),
            listings: Mutex::new(FastMap::default()),
            revision: std::sync::atomic::AtomicU64::new(0),
            unanalysed: Mutex::new(FastMap::default()),
        }
    }

    /// The files and directories under the root that the index could not
    /// read or analyse, with why, sorted by path: BUILD files too large,
    /// not UTF-8, unreadable or nested too deeply to evaluate, and
    /// directories it could not list. A file read again (after a change)
    /// leaves the list when it can now be read.
    pub fn unanalysed(&self) -> Vec<(PathBuf, String)> {
        let mut list: Vec<(PathBuf, String)> = self
            .unanalysed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(path, why)| (path.clone(), why.clone()))
            .collect();
        list.sort();
        list
    }

    /// Records the directories a walk could not list.
    fn note_unlisted(&self, unlisted: Vec<(PathBuf, String)>) {
        for (dir, why) in unlisted {
            self.note_unanalysed(&dir, Some(why));
        }
    }

    /// Records (`Some`) or clears (`None`) why `path` was not analysed.
    fn note_unanalysed(&self, path: &Path, why: Option<String>) {
        let mut map = self.unanalysed.lock().unwrap_or_else(|p| p.into_inner());
        match why {
            Some(why) => {
                map.insert(path.to_path_buf(), why);
            }
            None => {
                map.remove(path);
            }
        }
    }

    /// The index's revision: it grows with every change that can alter a
    /// resolution, an evaluation or the set of packages (a package's
    /// declarations, an open `.bzl` text, a watched-file event, the end of
    /// a build phase). Results derived from the index at revision `r` are
    /// still right while it reads `r`. Mention ranges alone (typing inside
    /// an open BUILD file) do not bump it.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.revision.fetch_add(1, Ordering::AcqRel);
    }

    fn root_facts(&self) -> RootFacts {
        if let Some(facts) = *self.root_facts.read().unwrap_or_else(|p| p.into_inner()) {
            return facts;
        }
        let facts = RootFacts {
            declares_repositories: ["MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel"]
                .iter()
                .any(|f| self.root.join(f).is_file()),
            nested: self
                .root
                .parent()
                .and_then(super::workspace::find_workspace_root)
                .is_some(),
        };
        *self.root_facts.write().unwrap_or_else(|p| p.into_inner()) = Some(facts);
        facts
    }

    /// Walks `root` for packages (the first phase only: summaries are made
    /// when asked for).
    pub fn scan(root: &Path) -> WorkspaceIndex {
        let index = WorkspaceIndex::new(root);
        let (packages, unlisted) = walk(root, &|_| {});
        index.note_unlisted(unlisted);
        index.write().packages = packages;
        index.packages_ready.store(true, Ordering::Release);
        index.complete_on_demand.store(true, Ordering::Release);
        index
    }

    /// Both phases, in parallel, reporting progress.
    pub fn build(&self, progress: &(dyn Fn(Phase) + Sync)) {
        let started = std::time::Instant::now();
        let (packages, unlisted) = walk(&self.root, progress);
        self.note_unlisted(unlisted);
        tracing::info!(
            packages = packages.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "workspace walked"
        );
        let mut names: Vec<String> = packages.keys().cloned().collect();
        names.sort_unstable();
        {
            let mut inner = self.write();
            // Packages created while walking (through `file_changed`) stay.
            for (name, path) in packages {
                inner.packages.entry(name).or_insert(path);
            }
        }
        *self.sorted.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.packages_ready.store(true, Ordering::Release);
        self.bump();
        self.read_all(names, progress);
        self.complete.store(true, Ordering::Release);
        self.bump();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "BUILD files read and open packages evaluated"
        );
    }

    /// Reads the summaries of `names` (sorted) not read yet, on several
    /// threads, reporting progress.
    fn read_all(&self, names: Vec<String>, progress: &(dyn Fn(Phase) + Sync)) {
        let total = names.len();
        {
            let mut inner = self.write();
            inner.disk.reserve(total);
            // About a dozen distinct labels per BUILD file.
            inner.refs.reserve(total * 8);
        }
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let threads = worker_count();
        let read = || loop {
            let i = next.fetch_add(64, Ordering::Relaxed);
            if i >= total {
                break;
            }
            let chunk = &names[i..(i + 64).min(total)];
            self.read_packages(chunk);
            let finished = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
            progress(Phase::Reading {
                done: finished,
                total,
            });
        };
        std::thread::scope(|scope| {
            // Reading evaluates BUILD files: the `starlark` crate needs a
            // large stack.
            let started = (0..threads)
                .filter(|_| {
                    std::thread::Builder::new()
                        .name("bzls-read".to_owned())
                        .stack_size(STARLARK_STACK_SIZE)
                        .spawn_scoped(scope, read)
                        .is_ok()
                })
                .count();
            if started == 0 {
                tracing::warn!("cannot start reader threads; reading on this one");
                read();
            }
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The walk is done: a package missing now does not exist.
    pub fn packages_ready(&self) -> bool {
        self.packages_ready.load(Ordering::Acquire)
    }

    /// Reads every BUILD file not read yet, once, for an index made with
    /// [`WorkspaceIndex::scan`] (the CLI), when something needs what only
    /// the whole workspace says ([`PackageLookup::name_evidence`]). An index
    /// being built ([`WorkspaceIndex::build`]) completes on its own.
    fn complete_on_demand(&self) {
        if self.is_complete() || !self.complete_on_demand.load(Ordering::Acquire) {
            return;
        }
        let _once = self.completing.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_complete() {
            return;
        }
        let names = self.package_names();
        self.read_all(names, &|_| {});
        self.complete.store(true, Ordering::Release);
    }

    /// Every BUILD file was read: references are complete.
    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Every package name, sorted.
    pub fn package_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().packages.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// The BUILD file of `package`.
    pub fn build_file(&self, package: &str) -> Option<PathBuf> {
        self.read().packages.get(package).cloned()
    }

    /// The package of a workspace-relative path: the nearest directory at or
    /// above it that is a package.
    pub fn package_of(&self, path: &str) -> Option<String> {
        let inner = self.read();
        let mut dir = Path::new(path).parent();
        while let Some(d) = dir {
            let name = d.to_string_lossy();
            if inner.packages.contains_key(name.as_ref()) {
                return Some(name.into_owned());
            }
            dir = d.parent();
        }
        None
    }

    /// The package of the file at absolute `path` (a BUILD file's own
    /// package; for other files the nearest package above them).
    pub fn package_of_file(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?.to_str()?;
        self.package_of(rel)
    }

    /// The summary of `package` (the open document's if any), read from
    /// disk when first asked for.
    pub fn summary(&self, package: &str) -> Option<Arc<PackageSummary>> {
        let path = {
            let inner = self.read();
            if let Some(summary) = inner.effective(package) {
                return Some(summary.clone());
            }
            inner.packages.get(package)?.clone()
        };
        let summary = Arc::new(self.read_summary(package, &path));
        let mut inner = self.write();
        if let Some(existing) = inner.effective(package) {
            // Another thread (or the overlay) got there first.
            return Some(existing.clone());
        }
        if !inner.packages.contains_key(package) {
            return None;
        }
        inner.replace(package, false, Some(summary.clone()));
        Some(summary)
    }

    /// Reads the BUILD file of `package` on disk again and records its
    /// summary, even while the package is open (its overlay then still
    /// wins for lookups, but `refs` hold what the disk says).
    fn reread_disk(&self, package: &str) {
        let Some(path) = self.read().packages.get(package).cloned() else {
            return;
        };
        let summary = Arc::new(self.read_summary(package, &path));
        let mut inner = self.write();
        if inner.packages.contains_key(package) {
            inner.replace(package, false, Some(summary));
        }
    }

    /// Reads the summaries of `packages` not read yet, and records them
    /// under one lock.
    fn read_packages(&self, packages: &[String]) {
        let paths: Vec<(&str, PathBuf)> = {
            let inner = self.read();
            packages
                .iter()
                .filter(|p| !inner.has_disk_summary(p))
                .filter_map(|p| Some((p.as_str(), inner.packages.get(p)?.clone())))
                .collect()
        };
        let summaries: Vec<(&str, Arc<PackageSummary>)> = self
            .read_summaries(&paths)
            .into_iter()
            .zip(&paths)
            .map(|(summary, (package, _))| (*package, Arc::new(summary)))
            .collect();
        let mut inner = self.write();
        for (package, summary) in summaries {
            // Another thread (or the overlay) may have got there first, or
            // the package may be gone.
            if !inner.has_disk_summary(package) && inner.packages.contains_key(package) {
                inner.replace(package, false, Some(summary));
            }
        }
    }

    /// Sets (or with `None`, clears) the summary of an open BUILD document.
    /// Returns whether what the package declares changed (its targets, or
    /// whether it is open); then the revision is bumped, since labels
    /// elsewhere may resolve differently. New mention ranges alone (typing
    /// inside a string) change neither.
    pub fn set_overlay(&self, package: &str, summary: Option<Arc<PackageSummary>>) -> bool {
        let mut inner = self.write();
        let changed = match (inner.effective(package), &summary) {
            (Some(old), Some(new)) => !same_declarations(&old.decls, &new.decls),
            _ => true,
        };
        inner.replace(package, true, summary);
        if changed {
            self.bump();
        }
        changed
    }

    /// Sets (or clears) the bindings and text of an open .bzl document.
    /// Returns whether the text differs from what evaluation read before;
    /// then the module and its dependents are evaluated again.
    pub fn set_bzl_overlay(&self, path: &str, open: Option<(Arc<BzlGlobals>, Arc<str>)>) -> bool {
        let mut overlay = self.bzl_overlay.write().unwrap_or_else(|p| p.into_inner());
        let mut texts = self
            .bzl_text_overlay
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let changed = match open {
            Some((globals, text)) => {
                overlay.insert(path.to_string(), globals);
                let same = texts.get(path).is_some_and(|old| **old == *text);
                texts.insert(path.to_string(), text);
                !same
            }
            None => {
                overlay.remove(path);
                texts.remove(path).is_some()
            }
        };
        drop((overlay, texts));
        if changed {
            self.bump();
            self.evaluator.invalidate(Some(&ModuleKey {
                repo: String::new(),
                path: path.to_string(),
            }));
        }
        changed
    }

    /// Every mention of the absolute label `label` (`//pkg:name`):
    /// `(package, range in its BUILD file)`. Complete once
    /// [`WorkspaceIndex::is_complete`].
    pub fn references(&self, label: &str) -> Vec<(String, TextRange)> {
        let inner = self.read();
        let mut out: Vec<(String, TextRange)> = inner
            .refs
            .get(label)
            .into_iter()
            .flatten()
            .filter(|(package, _)| !inner.overlay.contains_key(&**package))
            .map(|(package, range)| (package.to_string(), *range))
            .collect();
        for (package, summary) in &inner.overlay {
            out.extend(
                summary
                    .mentions
                    .iter()
                    .filter(|(mentioned, _)| mentioned == label)
                    .map(|(_, range)| (package.clone(), *range)),
            );
        }
        out
    }

    /// Calls `visit(package, summary)` for every summarised package.
    pub fn for_each_summary(&self, visit: &mut dyn FnMut(&str, &PackageSummary)) {
        let inner = self.read();
        for name in inner.packages.keys() {
            if let Some(summary) = inner.effective(name) {
                visit(name, summary);
            }
        }
    }

    /// Applies a watched-file event at absolute `path`; returns the packages
    /// whose contents changed (so the documents mentioning them can be
    /// checked again).
    pub fn file_changed(&self, path: &Path, change: FileChange) -> Vec<String> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Vec::new();
        };
        // Any file can be a label's target or a glob's match.
        self.bump();
        let Some(rel) = rel.to_str() else {
            return Vec::new();
        };
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // A deleted directory may come as one event for the directory.
        if super::workspace::ROOT_MARKERS.contains(&file_name) || change != FileChange::Changed {
            self.nested_roots
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            // The listing of its directory is out of date, and a deleted
            // directory's own (and those below it) are of no more use.
            let parent = path.parent().unwrap_or(path);
            self.listings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|dir, _| dir != parent && !dir.starts_with(path));
        }
        if matches!(
            file_name,
            "MODULE.bazel" | "WORKSPACE" | "WORKSPACE.bazel" | "WORKSPACE.bzlmod"
        ) || file_name.ends_with(".MODULE.bazel")
        {
            *self.repos.write().unwrap_or_else(|p| p.into_inner()) = None;
            *self.root_facts.write().unwrap_or_else(|p| p.into_inner()) = None;
            self.externals
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
        let is_module = rel.ends_with(".bzl") || rel.ends_with(".scl");
        if is_module || file_name == PNPM_LOCK_FILE {
            if let Ok(mut cache) = self.bzl.lock() {
                cache.remove(rel);
            }
            // A `.bzl` file the WORKSPACE loads may hold binds and
            // `build_file`s (see `scan_workspace_files`): read them again.
            *self.repos.write().unwrap_or_else(|p| p.into_inner()) = None;
            // A lock file is the text of an npm repository's `defs.bzl`
            // (see `pnpm_defs`), whichever repository that is.
            self.evaluator.invalidate(
                is_module
                    .then(|| ModuleKey {
                        repo: String::new(),
                        path: rel.to_string(),
                    })
                    .as_ref(),
            );
            // Packages evaluated with the old module are read again (their
            // mentions, which evaluation does not change, stay known).
            let mut inner = self.write();
            let evaluated: Vec<String> = inner
                .disk
                .iter()
                .filter(|(_, s)| s.evaluated)
                .map(|(p, _)| p.clone())
                .collect();
            inner.stale.extend(evaluated.iter().cloned());
            return evaluated;
        }
        if crate::workspace::is_build_file_name(file_name) {
            let package = Path::new(rel)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let current =
                crate::workspace::build_file_in(&self.root.join(&package), |p| p.is_file());
            let mut inner = self.write();
            let created_or_removed = match current {
                Some(build) => inner.packages.insert(package.clone(), build).is_none(),
                None => inner.packages.remove(&package).is_some(),
            };
            inner.replace(&package, false, None);
            drop(inner);
            *self.sorted.write().unwrap_or_else(|p| p.into_inner()) = None;
            let mut changed = vec![package.clone()];
            // The package around it gains or loses the files below (its
            // globs) and a subpackage (its `subpackages()`).
            if created_or_removed {
                // `package_of` starts at the directory above.
                if let Some(enclosing) = (!package.is_empty())
                    .then(|| self.package_of(&package))
                    .flatten()
                {
                    self.write().replace(&enclosing, false, None);
                    changed.push(enclosing);
                }
            }
            if self.is_complete() {
                // Read them again now, so that `refs` stays complete (see
                // `name_evidence`), and let what was judged meanwhile be
                // judged again.
                for package in &changed {
                    self.reread_disk(package);
                }
                self.bump();
            }
            return changed;
        }
        // A source file: its package's file list changed.
        if change != FileChange::Changed {
            return self.package_of(rel).into_iter().collect();
        }
        Vec::new()
    }

    /// The repositories the workspace declares.
    pub fn repositories(&self) -> Arc<Repositories> {
        if let Some(repos) = self
            .repos
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return repos.clone();
        }
        let repos = Arc::new(load_repositories(&self.root));
        *self.repos.write().unwrap_or_else(|p| p.into_inner()) = Some(repos.clone());
        repos
    }
}

/// Whether two readings of a package declare the same: the same targets
/// (names and kinds), equally open, with the same unfollowed calls.
fn same_declarations(
    a: &crate::workspace::package::PackageDecls,
    b: &crate::workspace::package::PackageDecls,
) -> bool {
    a.open == b.open
        && a.unfollowed == b.unfollowed
        && a.targets.len() == b.targets.len()
        && a.targets
            .iter()
            .zip(&b.targets)
            .all(|(x, y)| x.name == y.name && x.kind == y.kind)
}

/// What a static reading of a BUILD file found.
enum StaticReading {
    /// The package as far as it is known without evaluation.
    Done(PackageSummary),
    /// A package the static reading leaves open: evaluate `text` (parsed
    /// as `ast`) for the rest.
    Open {
        summary: PackageSummary,
        text: String,
        ast: Box<AstModule>,
    },
}

fn read_text(path: &Path) -> Option<String> {
    read_text_or_why(path).ok()
}

/// The text of a BUILD or `.bzl` file, or why it cannot be had: unreadable,
/// over [`MAX_BUILD_FILE`], or not UTF-8.
fn read_text_or_why(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let too_large = || format!("larger than {} MB", MAX_BUILD_FILE / (1024 * 1024));
    let unreadable = |err: std::io::Error| format!("cannot be read: {err}");
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_BUILD_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).map_err(|_| too_large())? + 1);
    // A file that grew past the limit since is cut there, and rejected.
    file.take(MAX_BUILD_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BUILD_FILE {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|err| {
        format!(
            "not valid UTF-8 (byte offset {})",
            err.utf8_error().valid_up_to()
        )
    })
}

impl WorkspaceIndex {
    /// The summary of a BUILD file on disk: read statically, then evaluated
    /// when the static reading leaves the package open.
    fn read_summary(&self, package: &str, path: &Path) -> PackageSummary {
        let path = path.to_path_buf();
        self.read_summaries(&[(package, path)])
            .pop()
            .unwrap_or_else(unreadable_summary)
    }

    /// The summaries of BUILD files on disk, given as `(package, path)`, in
    /// order, as [`WorkspaceIndex::read_summary`] reads each: the packages
    /// left open by their static reading are evaluated together, in one
    /// batch (see [`ProcessEvaluator::evaluate_many`]).
    fn read_summaries(&self, builds: &[(&str, PathBuf)]) -> Vec<PackageSummary> {
        let mut summaries = Vec::with_capacity(builds.len());
        // (index in `summaries`, package, text, tree) of the open ones.
        let mut open = Vec::new();
        for (package, path) in builds {
            let summary = match self.read_statically(package, path) {
                StaticReading::Done(summary) => summary,
                StaticReading::Open { summary, text, ast } => {
                    open.push((summaries.len(), *package, text, ast));
                    summary
                }
            };
            summaries.push(summary);
        }
        if open.is_empty() {
            return summaries;
        }
        let mut places = Vec::with_capacity(open.len());
        let mut texts = Vec::with_capacity(open.len());
        let mut asts = Vec::with_capacity(open.len());
        for (i, package, text, ast) in open {
            places.push((i, package));
            texts.push(text);
            asts.push(*ast);
        }
        let parsed = places
            .iter()
            .zip(&texts)
            .zip(asts)
            .map(|(((_, package), text), ast)| (*package, text.as_str(), ast))
            .collect();
        let evaluations = self.evaluator.evaluate_parsed_many(parsed, self);
        for ((i, package), evaluation) in places.into_iter().zip(evaluations) {
            let summary = &mut summaries[i];
            self.take_evaluation(package, evaluation, summary);
            let why = summary
                .cut_short
                .as_ref()
                .map(|reason| format!("evaluation stopped: {reason}"));
            self.note_unanalysed(&builds[i].1, why);
        }
        summaries
    }

    /// The static reading of a BUILD file on disk; a package it leaves
    /// open comes with the text and tree to evaluate, and is noted as
    /// analysed or not only after evaluation.
    fn read_statically(&self, package: &str, path: &Path) -> StaticReading {
        match read_text_or_why(path) {
            // The `starlark` parser is several times faster than
            // tree-sitter, and evaluation reuses its tree; tree-sitter
            // reads what it can of a file it rejects.
            Ok(text) => match parse_build(package, &text) {
                Ok(ast) => {
                    let summary = summarize_outline(package, &Outline::from_ast(&ast, &text));
                    if summary.decls.open {
                        let ast = Box::new(ast);
                        return StaticReading::Open { summary, text, ast };
                    }
                    self.note_unanalysed(path, None);
                    StaticReading::Done(summary)
                }
                Err(unparsed) => {
                    let too_deep = matches!(unparsed, Unparsed::TooDeep(_));
                    self.note_unanalysed(path, too_deep.then(|| unparsed.to_string()));
                    let mut summary = summarize_text(package, &text);
                    self.close_by_evaluation(package, &text, &mut summary);
                    StaticReading::Done(summary)
                }
            },
            // Unreadable: claim nothing is missing.
            Err(why) => {
                self.note_unanalysed(path, Some(why));
                StaticReading::Done(unreadable_summary())
            }
        }
    }

    /// Replaces an open static reading by the evaluation of the BUILD file
    /// (which follows the workspace's macros).
    pub fn close_by_evaluation(&self, package: &str, text: &str, summary: &mut PackageSummary) {
        if !summary.decls.open {
            return;
        }
        let evaluation = self.evaluator.evaluate(package, text, self);
        self.take_evaluation(package, evaluation, summary);
    }

    /// Replaces a static reading by an evaluation of the BUILD file.
    fn take_evaluation(&self, package: &str, evaluation: Evaluation, summary: &mut PackageSummary) {
        if evaluation.decls.open || !evaluation.decls.unfollowed.is_empty() {
            tracing::debug!(
                package,
                open = evaluation.decls.open,
                unfollowed = ?evaluation.decls.unfollowed,
                reasons = ?evaluation.open_reasons,
                "package not fully known"
            );
        }
        summary.decls = Arc::new(evaluation.decls);
        summary.evaluated = true;
        summary.cut_short = evaluation.cut_short;
    }
}

/// The name of pnpm's lock file, which rules_js's `npm_translate_lock`
/// reads (see [`crate::workspace::pnpm`]).
const PNPM_LOCK_FILE: &str = "pnpm-lock.yaml";

/// The most of a lock file read: its importers come first, and a larger
/// file is cut there.
const MAX_PNPM_LOCK: u64 = 64 * 1024 * 1024;

impl WorkspaceIndex {
    /// bzls's `defs.bzl` of the npm repository `@repo` that is not on
    /// disk, made from the lock file of its `npm_translate_lock` (see
    /// [`crate::workspace::pnpm`]); `None` (the module is not followed) for
    /// any other module or repository, or a lock file that cannot be read
    /// or is not one.
    fn pnpm_defs(&self, repo: &str, path: &str) -> Option<Arc<str>> {
        use std::io::Read;
        if path != "defs.bzl" {
            return None;
        }
        let repositories = self.repositories();
        let lock = crate::workspace::parse_label(repositories.set.pnpm_lock_of(repo)?).ok()?;
        // A label of the main repository (`//:pnpm-lock.yaml`; a relative
        // one, `:pnpm-lock.yaml`, is in the root package).
        if !matches!(
            lock.repo,
            crate::workspace::Repo::Main | crate::workspace::Repo::Current
        ) {
            return None;
        }
        let package = lock.package.clone().unwrap_or_default();
        let file = std::fs::File::open(self.root.join(&package).join(&lock.name)).ok()?;
        let mut bytes = Vec::new();
        file.take(MAX_PNPM_LOCK).read_to_end(&mut bytes).ok()?;
        let parsed = crate::workspace::pnpm::parse(&String::from_utf8_lossy(&bytes))?;
        Some(Arc::from(crate::workspace::pnpm::defs_module(
            &parsed, &package,
        )))
    }
}

impl EvalSource for WorkspaceIndex {
    fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>> {
        if key.repo.is_empty() {
            let open = self
                .bzl_text_overlay
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key.path)
                .cloned();
            if open.is_some() {
                return open;
            }
        }
        let base = if key.repo.is_empty() {
            self.root.clone()
        } else {
            let name = key.repo.trim_start_matches('@');
            match self.repositories().path_of(name) {
                Some(path) => path.to_path_buf(),
                None => return self.pnpm_defs(name, &key.path),
            }
        };
        let path = base.join(&key.path);
        match read_text_or_why(&path) {
            Ok(text) => {
                self.note_unanalysed(&path, None);
                Some(Arc::from(text))
            }
            Err(why) => {
                // A module that is not there is no news (an unfetched
                // repository, a typo the load diagnostics report).
                if key.repo.is_empty() && path.is_file() {
                    self.note_unanalysed(&path, Some(why));
                }
                None
            }
        }
    }

    fn subpackages(&self, package: &str) -> Option<Vec<String>> {
        self.packages_ready()
            .then(|| self.direct_subpackages(package))
    }

    fn package_files(&self, package: &str) -> Vec<String> {
        let mut out = Vec::new();
        let dir = self.root.join(package);
        let mut stack = vec![(dir, String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let path = entry.path();
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir {
                    let sub_build =
                        crate::workspace::build_file_in(&path, |p| p.is_file()).is_some();
                    if sub_build || name.starts_with("bazel-") || name == ".git" {
                        continue;
                    }
                    out.push(format!("{child}/"));
                    if out.len() < MAX_GLOB_FILES {
                        stack.push((path, child));
                    }
                } else {
                    out.push(child);
                }
            }
        }
        out
    }
}

impl WorkspaceIndex {
    /// The direct subpackages of `package`, from the packages the walk
    /// found (so `.bazelignore` and nested workspaces count as for every
    /// other question).
    fn direct_subpackages(&self, package: &str) -> Vec<String> {
        let sorted = self.sorted_packages();
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!("{package}/")
        };
        let start = sorted.partition_point(|p| p.as_str() < prefix.as_str());
        let mut direct: FastSet<&str> = FastSet::default();
        let mut out = Vec::new();
        for candidate in sorted[start..]
            .iter()
            .take_while(|p| p.starts_with(&prefix))
        {
            let relative = &candidate[prefix.len()..];
            if relative.is_empty() {
                continue;
            }
            // Inside a subpackage already taken: not direct.
            let nested = relative
                .match_indices('/')
                .any(|(at, _)| direct.contains(&relative[..at]));
            if !nested {
                direct.insert(relative);
                out.push(relative.to_string());
            }
        }
        out
    }
}

/// `glob()` sees at most this many entries of one package.
const MAX_GLOB_FILES: usize = 500_000;

fn unreadable_summary() -> PackageSummary {
    PackageSummary {
        decls: Arc::new(PackageDecls {
            open: true,
            ..PackageDecls::default()
        }),
        mentions: Vec::new(),
        evaluated: false,
        cut_short: None,
    }
}

/// Threads for the walk and the read: twice the cores, since both wait on
/// the disk when the page cache is cold (on 2 cores, 4 threads read 20,000
/// packages in 2.1 s against 2.7 s, and as fast as 2 when it is warm).
fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(4)
        .clamp(2, 16)
}

/// The shared queue of the parallel walk.
struct WalkQueue {
    dirs: Vec<(PathBuf, String)>,
    /// Workers holding a directory they are reading.
    busy: usize,
}

/// Walks `root` in parallel for packages.
/// Walks `root` for packages: their BUILD files by package name, and the
/// directories that could not be listed, with why.
fn walk(
    root: &Path,
    progress: &(dyn Fn(Phase) + Sync),
) -> (FastMap<String, PathBuf>, Vec<(PathBuf, String)>) {
    let ignored: FastSet<PathBuf> = read_bazelignore(root).into_iter().collect();
    let queue = Mutex::new(WalkQueue {
        dirs: vec![(root.to_path_buf(), String::new())],
        busy: 0,
    });
    let wake = Condvar::new();
    let visited: Mutex<HashSet<(u64, u64)>> = Mutex::new(HashSet::new());
    let found: Mutex<FastMap<String, PathBuf>> = Mutex::new(FastMap::default());
    let unlisted: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..worker_count() {
            scope.spawn(|| loop {
                let (dir, package) = {
                    let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                    loop {
                        if let Some(item) = q.dirs.pop() {
                            q.busy += 1;
                            break item;
                        }
                        if q.busy == 0 {
                            wake.notify_all();
                            return;
                        }
                        q = wake.wait(q).unwrap_or_else(|p| p.into_inner());
                    }
                };
                let mut children = Vec::new();
                let build = match visit_dir(&dir, &package, &ignored, &visited, &mut children) {
                    Ok(build) => build,
                    Err(why) => {
                        unlisted
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((dir.clone(), why));
                        None
                    }
                };
                if let Some(build) = build {
                    found
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(package, build);
                    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % 512 == 0 {
                        progress(Phase::Walking { done: n });
                    }
                }
                let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                q.busy -= 1;
                q.dirs.extend(children);
                wake.notify_all();
            });
        }
    });
    (
        found.into_inner().unwrap_or_else(|p| p.into_inner()),
        unlisted.into_inner().unwrap_or_else(|p| p.into_inner()),
    )
}

/// Reads one directory: returns its BUILD file and pushes the directories
/// to walk next.
fn visit_dir(
    dir: &Path,
    package: &str,
    ignored: &FastSet<PathBuf>,
    visited: &Mutex<HashSet<(u64, u64)>>,
    children: &mut Vec<(PathBuf, String)>,
) -> Result<Option<PathBuf>, String> {
    // Gone since it was listed: nothing to report.
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(None);
    };
    if !visited
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((meta.dev(), meta.ino()))
    {
        return Ok(None);
    }
    let entries =
        std::fs::read_dir(dir).map_err(|err| format!("the directory cannot be listed: {err}"))?;
    let mut build = None;
    let mut build_rank: Option<usize> = None;
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if let Some(rank) = crate::workspace::build_file_rank(name) {
            if is_file(&entry.path(), kind) {
                // `BUILD.bazel` wins over `BUILD`, whichever comes first.
                if build_rank.is_none_or(|best| rank < best) {
                    build_rank = Some(rank);
                    build = Some(entry.path());
                }
                continue;
            }
        }
        if name == ".git" || (kind.is_symlink() && name.starts_with("bazel-")) {
            continue;
        }
        let is_dir = kind.is_dir() || (kind.is_symlink() && entry.path().is_dir());
        if !is_dir {
            continue;
        }
        let path = entry.path();
        if ignored.contains(&path) {
            continue;
        }
        let child = if package.is_empty() {
            name.to_string()
        } else {
            format!("{package}/{name}")
        };
        subdirs.push((path, child));
    }
    children.extend(subdirs);
    Ok(build)
}

fn is_file(path: &Path, kind: std::fs::FileType) -> bool {
    kind.is_file() || (kind.is_symlink() && path.is_file())
}

impl WorkspaceView for WorkspaceIndex {
    fn root(&self) -> &Path {
        &self.root
    }

    fn nested_repository_files(&self) -> Vec<PathBuf> {
        let repos = self.repositories();
        let mut dirs: Vec<&PathBuf> = repos
            .on_disk
            .values()
            .filter(|dir| dir.starts_with(&self.root) && **dir != self.root)
            .collect();
        dirs.sort();
        dirs.dedup();
        let mut walk = super::walk::Walk::default();
        for dir in dirs {
            super::walk::walk(dir, &[], &mut walk);
        }
        walk.files
            .into_iter()
            .filter(|(_, kind)| {
                matches!(
                    kind,
                    crate::syntax::FileKind::Build | crate::syntax::FileKind::Bzl
                )
            })
            .map(|(path, _)| path)
            .collect()
    }

    fn loading_files(&self) -> Vec<LoadingFile> {
        use crate::syntax::FileKind;
        let ignored = read_bazelignore(&self.root);
        let mut walk = super::walk::Walk::default();
        super::walk::walk(&self.root, &ignored, &mut walk);
        // Directories below the root that start another repository.
        let mut nested: FastMap<PathBuf, bool> = FastMap::default();
        let mut in_other_repository = |rel: &Path| {
            rel.ancestors()
                .skip(1)
                .filter(|d| !d.as_os_str().is_empty())
                .any(|dir| {
                    *nested
                        .entry(dir.to_path_buf())
                        .or_insert_with(|| dir.to_str().is_some_and(|d| self.is_nested_root(d)))
                })
        };
        walk.files
            .into_iter()
            .filter_map(|(path, kind)| {
                let rel = path.strip_prefix(&self.root).ok()?.to_str()?.to_string();
                if in_other_repository(Path::new(&rel)) {
                    return None;
                }
                let name = path.file_name()?.to_str()?;
                let package = match kind {
                    FileKind::Build if crate::workspace::is_build_file_name(name) => {
                        let package = Path::new(&rel).parent()?.to_str()?.to_string();
                        // Only the BUILD file the package uses.
                        let used = crate::workspace::build_file_in(path.parent()?, |p| p.is_file());
                        (used.as_deref() == Some(path.as_path())).then_some(package)?
                    }
                    // The nearest directory above with a BUILD file.
                    FileKind::Bzl => Path::new(&rel)
                        .ancestors()
                        .skip(1)
                        .find(|dir| {
                            crate::workspace::build_file_in(&self.root.join(dir), |p| p.is_file())
                                .is_some()
                        })?
                        .to_str()?
                        .to_string(),
                    FileKind::Workspace | FileKind::Module if !rel.contains('/') => String::new(),
                    _ => return None,
                };
                Some(LoadingFile {
                    path,
                    kind,
                    package,
                })
            })
            .collect()
    }

    fn build_file(&self, package: &str) -> Option<PathBuf> {
        WorkspaceIndex::build_file(self, package)
    }

    fn references(&self, label: &str) -> Vec<(String, TextRange)> {
        WorkspaceIndex::references(self, label)
    }

    fn sorted_packages(&self) -> Arc<Vec<String>> {
        if let Some(sorted) = self
            .sorted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return sorted.clone();
        }
        let sorted = Arc::new(self.package_names());
        *self.sorted.write().unwrap_or_else(|p| p.into_inner()) = Some(sorted.clone());
        sorted
    }

    fn main_repository_names(&self) -> Vec<String> {
        self.repositories().set.main_names.clone()
    }

    fn repository_names(&self) -> Vec<String> {
        let repos = self.repositories();
        let mut names: Vec<String> = repos
            .set
            .repos
            .iter()
            .map(|r| r.apparent.clone())
            .chain(
                crate::workspace::repos::BUILTIN_REPOS
                    .iter()
                    .map(|n| n.to_string()),
            )
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn list_dir_at(&self, dir: &Path) -> Arc<[(String, bool)]> {
        // A directory's modification time changes when an entry is added,
        // removed or renamed: a listing read at the same time still holds
        // (one `stat` instead of a `readdir` and a `stat` per entry).
        let modified = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
        let listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(modified), Some((at, entries))) = (modified, listings.get(dir)) {
            if *at == modified {
                return entries.clone();
            }
        }
        drop(listings);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Arc::from([]);
        };
        let mut entries: Vec<(String, bool)> = entries
            .flatten()
            .take(10_000)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let is_dir = match e.file_type() {
                    Ok(t) if t.is_symlink() => e.path().is_dir(),
                    Ok(t) => t.is_dir(),
                    Err(_) => false,
                };
                Some((name, is_dir))
            })
            .collect();
        entries.sort();
        let entries: Arc<[(String, bool)]> = Arc::from(entries);
        if let Some(modified) = modified {
            let mut listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
            if listings.len() > 4_096 {
                listings.clear();
            }
            listings.insert(dir.to_path_buf(), (modified, entries.clone()));
        }
        entries
    }

    fn file_text(&self, path: &Path) -> Option<Arc<str>> {
        read_text(path).map(Arc::from)
    }

    fn bind_location(&self, name: &str) -> Option<(PathBuf, TextRange)> {
        self.repositories().binds.get(name).cloned()
    }

    fn repository_path(&self, name: &str) -> Option<PathBuf> {
        self.repositories().path_of(name).map(Path::to_path_buf)
    }

    fn is_file_at(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn for_each_summary(&self, visit: &mut dyn FnMut(&str, &PackageSummary)) {
        WorkspaceIndex::for_each_summary(self, visit)
    }

    fn as_lookup(&self) -> &dyn PackageLookup {
        self
    }

    fn evaluate(&self, package: &str, text: &str, summary: &mut PackageSummary) {
        self.close_by_evaluation(package, text, summary)
    }
}

impl PackageLookup for WorkspaceIndex {
    /// From the labels of the BUILD files on disk (`refs`), so the same
    /// for the server and `bzls check` on the same files.
    fn name_evidence(&self, package: &str, name: &str, current: &str) -> NameEvidence {
        self.complete_on_demand();
        if !self.is_complete() {
            // Some BUILD files are not read yet: what they name is not
            // known, so nothing is concluded (the index is judged again
            // when it completes).
            return NameEvidence {
                named_elsewhere: true,
                near: Vec::new(),
            };
        }
        let inner = self.read();
        // How many packages name `//package:n`, and whether one of them is
        // not `current`.
        let naming = |n: &str| {
            let mut packages: Vec<&str> = inner
                .refs
                .get(format!("//{package}:{n}").as_str())
                .into_iter()
                .flatten()
                .map(|(p, _)| &**p)
                .collect();
            packages.sort_unstable();
            packages.dedup();
            (packages.len(), packages.iter().any(|p| *p != current))
        };
        let (named_by, named_elsewhere) = naming(name);
        let near = if named_elsewhere {
            Vec::new()
        } else {
            inner
                .referenced
                .get(package)
                .into_iter()
                .flatten()
                .filter(|other| {
                    other.as_str() != name && crate::suggest::one_edit_apart(other, name) && {
                        let (count, elsewhere) = naming(other);
                        elsewhere && count > named_by
                    }
                })
                .cloned()
                .collect()
        };
        NameEvidence {
            named_elsewhere,
            near,
        }
    }

    fn builds_another_repository(&self, package: &str) -> bool {
        let Some(build) = self.read().packages.get(package).cloned() else {
            return false;
        };
        let Some(rel) = build.strip_prefix(&self.root).ok().and_then(Path::to_str) else {
            return false;
        };
        self.repositories().foreign_build_files.contains(rel)
    }

    fn repository(&self, name: &str) -> Option<Arc<dyn PackageLookup + Send + Sync>> {
        let repositories = self.repositories();
        if !repositories.complete.contains(name) {
            return None;
        }
        let path = repositories.path_of(name)?.to_path_buf();
        // A directory that is no repository of its own (`new_local_repository`
        // of `/usr`, whose BUILD file the WORKSPACE supplies) is not read.
        if !super::workspace::ROOT_MARKERS
            .iter()
            .any(|marker| path.join(marker).is_file())
        {
            return None;
        }
        let mut externals = self.externals.lock().unwrap_or_else(|p| p.into_inner());
        let repository = externals
            .entry(path)
            .or_insert_with_key(|path| Arc::new(ExternalRepository::new(path)))
            .clone();
        Some(repository)
    }

    fn is_package(&self, package: &str) -> bool {
        let inner = self.read();
        inner.packages.contains_key(package) || inner.overlay.contains_key(package)
    }

    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>> {
        self.summary(package).map(|s| s.decls.clone())
    }

    fn dir_entries(&self, dir: &str) -> Arc<[(String, bool)]> {
        if dir.split('/').any(|s| s == ".." || s == ".") || dir.starts_with('/') {
            return Arc::from([]);
        }
        self.list_dir_at(&self.root.join(dir))
    }

    fn is_file(&self, path: &str) -> bool {
        // Directories count: Bazel accepts them as source labels (with a
        // warning), and a label naming a subpackage's directory is left to
        // Bazel to judge.
        self.root.join(path).exists()
    }

    fn repo_visibility(&self, name: &str) -> RepoVisibility {
        let facts = self.root_facts();
        if !facts.declares_repositories || facts.nested {
            return RepoVisibility::Undecidable;
        }
        match self.repositories().set.status(name) {
            RepoStatus::Main | RepoStatus::Declared(_) | RepoStatus::Builtin => {
                RepoVisibility::Visible
            }
            RepoStatus::Undecidable => RepoVisibility::Undecidable,
            RepoStatus::Unknown => RepoVisibility::Unknown,
        }
    }

    fn is_nested_root(&self, dir: &str) -> bool {
        if let Some(known) = self
            .nested_roots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(dir)
        {
            return *known;
        }
        let path = self.root.join(dir);
        let nested = super::workspace::ROOT_MARKERS
            .iter()
            .any(|m| path.join(m).is_file());
        let mut known = self.nested_roots.write().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_NESTED_ROOTS_KNOWN {
            known.clear();
        }
        known.insert(dir.to_owned(), nested);
        nested
    }

    fn bzl_globals(&self, path: &str) -> Option<Arc<BzlGlobals>> {
        if let Some(open) = self
            .bzl_overlay
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
        {
            return Some(open.clone());
        }
        if let Some(cached) = self.bzl.lock().ok()?.get(path) {
            return Some(cached.clone());
        }
        let text = read_text(&self.root.join(path))?;
        let tree = crate::syntax::parse_str(&text);
        let globals = Arc::new(bzl_globals(&tree, &Rope::from_str(&text)));
        self.bzl
            .lock()
            .ok()?
            .insert(path.to_string(), globals.clone());
        Some(globals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::label::parse_label;
    use crate::workspace::resolve::{resolve, Resolution, Unresolved};

    use crate::fixture::{write_file as write, TempDir};

    /// Directory listings are cached, and read again once the directory
    /// changes.
    #[test]
    fn directory_listings_follow_the_directory() {
        let dir = TempDir::new("listings");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(root, "p/BUILD", "");
        write(root, "p/a.cc", "");
        let index = WorkspaceIndex::scan(root);
        let names = |index: &WorkspaceIndex| index.list_dir("p").to_vec();
        let first = names(&index);
        assert_eq!(
            first,
            [("BUILD".to_string(), false), ("a.cc".to_string(), false)]
        );
        assert_eq!(names(&index), first);
        write(root, "p/sub/b.cc", "");
        assert_eq!(
            names(&index),
            [
                ("BUILD".to_string(), false),
                ("a.cc".to_string(), false),
                ("sub".to_string(), true)
            ]
        );
    }

    /// References come from the disk for closed packages and from the
    /// overlay for open ones; closing the document brings the disk's back.
    #[test]
    fn references_follow_overlays() {
        let dir = TempDir::new("refs-overlay");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(root, "lib/BUILD", "cc_library(name = \"l\")\n");
        write(
            root,
            "a/BUILD",
            "cc_library(name = \"a\", deps = [\"//lib:l\"])\n",
        );
        write(
            root,
            "b/BUILD",
            "cc_library(name = \"b\", deps = [\"//lib:l\"])\n",
        );
        let index = WorkspaceIndex::new(root);
        index.build(&|_| {});
        let packages = |index: &WorkspaceIndex, label: &str| {
            let mut found: Vec<(String, TextRange)> = index.references(label);
            found.sort();
            found
        };
        let at = |text: &str, needle: &str| {
            let start = text.find(needle).expect("needle");
            TextRange::new(start, start + needle.len())
        };
        let disk_a = "cc_library(name = \"a\", deps = [\"//lib:l\"])\n";
        let disk_b = disk_a.replace('a', "b");
        assert_eq!(
            packages(&index, "//lib:l"),
            [
                ("a".to_string(), at(disk_a, "\"//lib:l\"")),
                ("b".to_string(), at(&disk_b, "\"//lib:l\"")),
            ]
        );
        // `a` is open and now points elsewhere, twice.
        let open = "# moved\ncc_library(name = \"a\", deps = [\":x\", \"//lib:l2\"], data = [\"//lib:l2\"])\n";
        index.set_overlay(
            "a",
            Some(Arc::new(crate::workspace::summary::summarize_text(
                "a", open,
            ))),
        );
        assert_eq!(
            packages(&index, "//lib:l"),
            [("b".to_string(), at(&disk_b, "\"//lib:l\""))]
        );
        let l2: Vec<usize> = open.match_indices("\"//lib:l2\"").map(|(i, _)| i).collect();
        assert_eq!(
            packages(&index, "//lib:l2"),
            l2.iter()
                .map(|&i| ("a".to_string(), TextRange::new(i, i + 10)))
                .collect::<Vec<_>>()
        );
        index.set_overlay("a", None);
        assert_eq!(packages(&index, "//lib:l").len(), 2);
        assert!(packages(&index, "//lib:l2").is_empty());
    }

    /// What the disk says (the references map, and the names labels give
    /// a package's targets) follows a saved BUILD file even while it is
    /// open, so the server judges as `bzls check` does on the same files.
    #[test]
    fn a_saved_open_build_file_updates_what_the_disk_says() {
        let dir = TempDir::new("refs-saved-open");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(root, "lib/BUILD", "load(\"@x//:m.bzl\", \"m\")\nm()\n");
        write(
            root,
            "a/BUILD",
            "filegroup(name = \"a\", srcs = [\"//lib:made\"])\n",
        );
        write(
            root,
            "b/BUILD",
            "filegroup(name = \"b\", srcs = [\"//lib:made\"])\n",
        );
        let index = WorkspaceIndex::new(root);
        // Open before the index is built: the disk is read all the same.
        let open = "filegroup(name = \"a\", srcs = [\"//lib:mad\"])\n";
        index.set_overlay(
            "a",
            Some(Arc::new(crate::workspace::summary::summarize_text(
                "a", open,
            ))),
        );
        index.build(&|_| {});
        // Two packages' disks name `made`, none `mad`.
        let evidence = index.name_evidence("lib", "mad", "a");
        assert!(!evidence.named_elsewhere);
        assert_eq!(evidence.near, ["made"]);
        // Saved: one package names each, so neither is evidence.
        write(root, "a/BUILD", open);
        index.file_changed(&root.join("a/BUILD"), FileChange::Changed);
        let evidence = index.name_evidence("lib", "mad", "a");
        assert!(evidence.near.is_empty(), "{evidence:?}");
        assert!(index.name_evidence("lib", "mad", "b").named_elsewhere);
        // References still read the open document.
        assert_eq!(
            index
                .references("//lib:made")
                .into_iter()
                .map(|(p, _)| p)
                .collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn finds_packages_and_resolves_labels() {
        let dir = TempDir::new("index");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(root, "BUILD", "");
        write(
            root,
            "lib/BUILD.bazel",
            "cc_library(name = \"lib\", srcs = [\"a.cc\"])\n",
        );
        write(root, "lib/BUILD", "this file loses to BUILD.bazel\n");
        write(root, "lib/a.cc", "");
        write(root, "lib/data/BUILD", "filegroup(name = \"data\")\n");
        write(root, "ignored/BUILD", "");
        write(root, ".bazelignore", "ignored\n");
        write(root, "examples/MODULE.bazel", "");
        write(root, "examples/BUILD", "filegroup(name = \"x\")\n");
        write(root, "notapkg/x.txt", "");
        std::os::unix::fs::symlink(root, root.join("lib/loop")).expect("symlink");
        std::os::unix::fs::symlink(root, root.join("bazel-out")).expect("symlink");

        let index = WorkspaceIndex::scan(root);
        assert_eq!(
            index.package_names(),
            vec!["", "examples", "lib", "lib/data"]
        );
        let resolved = |label: &str| resolve(&parse_label(label).expect("label"), "", &index);
        assert!(matches!(resolved("//lib"), Resolution::Target { .. }));
        assert!(matches!(
            resolved("//lib:a.cc"),
            Resolution::SourceFile { .. }
        ));
        assert!(matches!(resolved("//lib:b.cc"), Resolution::Unresolved(_)));
        assert!(matches!(resolved("//lib/data"), Resolution::Target { .. }));
        assert!(matches!(
            resolved("//notapkg:x.txt"),
            Resolution::Unresolved(_)
        ));
        // A nested workspace's packages are packages of this one too, and
        // a file label crossing into it is not judged.
        assert!(matches!(
            resolved("//examples:x"),
            Resolution::Target { .. }
        ));
        assert_eq!(resolved("//:examples/y.txt"), Resolution::Unknown);
        assert!(matches!(resolved("//ignored"), Resolution::Unresolved(_)));
    }

    #[test]
    fn labels_into_a_repository_on_disk_are_resolved_there() {
        let dir = TempDir::new("external");
        let main = dir.0.join("main");
        let dep = dir.0.join("dep");
        write(
            &main,
            "WORKSPACE",
            "local_repository(name = \"dep\", path = \"../dep\")\nhttp_archive(name = \"far\")\n\
             new_local_repository(name = \"sys\", path = \"../sys\", build_file = \"//:sys.BUILD\")\n",
        );
        write(&main, "BUILD", "");
        write(&dep, "WORKSPACE", "");
        write(&dir.0, "sys/include/x.h", "");
        write(
            &dep,
            "lib/BUILD.bazel",
            "cc_library(name = \"lib\", srcs = [\"a.cc\"])\ngenrule(name = \"gen\", outs = [\"gen.h\"], cmd = \"\")\n",
        );
        write(&dep, "lib/a.cc", "");
        write(&dep, "lib/sub/BUILD", "");
        write(&dep, "lib/sub/x.h", "");
        write(
            &dep,
            "macros/BUILD",
            "load(\"//:defs.bzl\", \"my_macro\")\nmy_macro(name = \"m\")\n",
        );
        let index = WorkspaceIndex::scan(&main);
        let resolved = |label: &str| resolve(&parse_label(label).expect("label"), "", &index);
        assert!(matches!(resolved("@dep//lib"), Resolution::Target { .. }));
        assert!(matches!(
            resolved("@dep//lib:gen.h"),
            Resolution::OutputFile { .. }
        ));
        assert!(matches!(
            resolved("@dep//lib:a.cc"),
            Resolution::SourceFile { .. }
        ));
        match resolved("@dep//lib:lbi") {
            Resolution::Unresolved(Unresolved::Target {
                message,
                candidates,
                ..
            }) => {
                assert_eq!(
                    message,
                    "no such target '@dep//lib:lbi': target 'lbi' not declared in package 'lib'"
                );
                assert_eq!(candidates, vec!["lib"]);
            }
            other => panic!("{other:?}"),
        }
        match resolved("@dep//lib:sub/x.h") {
            Resolution::Unresolved(Unresolved::Target { candidates, .. }) => {
                assert_eq!(candidates, vec!["@dep//lib/sub:x.h"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolved("@dep//nope:x"),
            Resolution::Unresolved(Unresolved::Package { .. })
        ));
        // A macro may make it; a repository not on disk is not judged.
        assert_eq!(resolved("@dep//macros:anything"), Resolution::Unknown);
        assert_eq!(resolved("@far//x:y"), Resolution::Unknown);
        assert_eq!(resolved("@sys//:anything"), Resolution::Unknown);
        assert_eq!(resolved("@@dep//lib:lbi"), Resolution::Unknown);
        // Unreadable or broken BUILD files there are open, never wrong.
        std::fs::create_dir_all(dep.join("binary")).expect("mkdir");
        std::fs::write(dep.join("binary/BUILD"), b"\xff\xfe\x00garbage").expect("write");
        write(
            &dep,
            "garbage/BUILD",
            "cc_library(name = \"g\" deps = [[[\n)))\n",
        );
        assert_eq!(resolved("@dep//binary:x"), Resolution::Unknown);
        assert_eq!(resolved("@dep//garbage:x"), Resolution::Unknown);
        // A changed BUILD file is read again.
        write(
            &dep,
            "lib/BUILD.bazel",
            "cc_library(name = \"lib\", srcs = [\"a.cc\"])\ncc_library(name = \"lbi\")\n",
        );
        assert!(matches!(
            resolved("@dep//lib:lbi"),
            Resolution::Target { .. }
        ));
    }

    #[test]
    fn subpackages_are_the_direct_packages_below() {
        let dir = TempDir::new("subpackages");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(
            root,
            "BUILD",
            "[filegroup(name = s + \"_all\") for s in subpackages(include = [\"**\"], exclude = [\"skip\"])]\n\
             filegroup(name = \"under_a\", srcs = native.subpackages(include = [\"a*\"]))\n",
        );
        for package in ["a", "a/b", "c/d", "c/d/e", "a-x", "skip", "ignored"] {
            write(root, &format!("{package}/BUILD"), "");
        }
        write(root, "c/file.txt", "");
        write(root, ".bazelignore", "ignored\n");
        let index = WorkspaceIndex::new(root);
        index.build(&|_| {});
        assert_eq!(
            index.direct_subpackages(""),
            vec!["a", "a-x", "c/d", "skip"]
        );
        assert_eq!(index.direct_subpackages("c"), vec!["d"]);
        let root_targets = || -> Vec<String> {
            let summary = index.summary("").expect("root package");
            assert!(!summary.decls.open, "{:?}", summary.decls);
            summary
                .decls
                .targets
                .iter()
                .map(|t| t.name.clone())
                .collect()
        };
        assert_eq!(
            root_targets(),
            vec!["a_all", "a-x_all", "c/d_all", "under_a"]
        );

        // A new package changes the subpackages of the one around it.
        write(root, "c/BUILD", "");
        let changed = index.file_changed(&root.join("c/BUILD"), FileChange::Created);
        assert_eq!(changed, vec!["c".to_string(), String::new()]);
        assert_eq!(root_targets(), vec!["a_all", "a-x_all", "c_all", "under_a"]);
    }

    /// Nested roots are remembered, and forgotten when a root marker comes
    /// or goes.
    #[test]
    fn nested_roots_follow_their_marker_files() {
        let dir = TempDir::new("nested-roots");
        let root = &dir.0;
        write(root, "MODULE.bazel", "");
        write(root, "inner/MODULE.bazel", "");
        write(root, "inner/BUILD", "");
        write(root, "plain/BUILD", "");
        let index = WorkspaceIndex::new(root);
        index.build(&|_| {});
        assert!(index.is_nested_root("inner"));
        assert!(!index.is_nested_root("plain"));
        std::fs::remove_file(root.join("inner/MODULE.bazel")).expect("rm");
        // Not asked again until a file event says so.
        assert!(index.is_nested_root("inner"));
        index.file_changed(&root.join("inner/MODULE.bazel"), FileChange::Deleted);
        assert!(!index.is_nested_root("inner"));
        write(root, "plain/REPO.bazel", "");
        index.file_changed(&root.join("plain/REPO.bazel"), FileChange::Created);
        assert!(index.is_nested_root("plain"));
    }
}
