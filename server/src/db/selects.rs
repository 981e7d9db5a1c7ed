//! `select()` previews per document version: the active configuration of a
//! workspace ([`SelectSession`]: its rc chain, the expansion of `bazel
//! COMMAND --config=... FLAGS`, the BUILD files conditions live in), and the
//! previews of each open BUILD file's version under it ([`SelectCache`]).
//!
//! Invariants:
//! - A session is reused only under the [`SessionKey`] it was built for:
//!   the revision of everything else it read ([`SelectInput`]:
//!   configuration, rc files, files on disk, the Bazel version) and the
//!   generation of every other open BUILD file of the workspace. The key is read before the
//!   session's inputs, so a change after that changes the key and an entry
//!   is never reused for a newer state.
//! - Previews are reused only for the same document generation under the
//!   same key; the calls read from a generation's tree are reused under
//!   any key (they depend on the text alone). Generations are unique across
//!   documents, so nothing computed for an earlier opening of a file passes
//!   for a later one.
//! - Concurrent askers (diagnostics, inlay hints, code lenses, hover of one
//!   text) compute previews once and share them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ropey::Rope;

use crate::analysis::workspace::selects::{self, TargetPreview};
use crate::analysis::{Diagnostic, DocumentSnapshot};
use crate::flags::{BazelVersion, FlagDb};
use crate::host::build_files::DiskPackages;
use crate::host::flags::ActiveConfig;
use crate::rc::RcChain;
use crate::select::expr::CallPieces;
use crate::select::{AttributeEval, ConfigValues, Env, RuleCall};

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

impl SelectSession {
    /// Expands `bazel COMMAND ARGS` over `chain` for the workspace at
    /// `root`, whose open BUILD files (`overlays`: package → text) are read
    /// instead of the disk.
    pub fn new(
        chain: RcChain,
        version: Option<&BazelVersion>,
        command: &str,
        args: &[String],
        root: &Path,
        overlays: Vec<(String, Arc<str>)>,
    ) -> SelectSession {
        let description = std::iter::once(format!("bazel {command}"))
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let config = ActiveConfig::new(&chain, version, command, args);
        let (db, values, rc_error) = (config.choice.db, config.values, config.error);
        let mut packages = DiskPackages::new(root);
        for (package, text) in overlays {
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

    /// The calls of the BUILD file of `package` (open text first, then the
    /// disk); `None` when it has no readable BUILD file.
    pub fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>> {
        use crate::select::Packages;
        self.packages.calls(package)
    }

    /// Every attribute of `call` (of `package`) under this configuration,
    /// as `bzls select` reports it. Meaningless when `rc_error` is set.
    pub fn evaluate_call(&self, call: &RuleCall, package: &str) -> Vec<AttributeEval> {
        let env = Env::new(&self.packages, &self.values, self.db);
        crate::select::evaluate_call(&env, call, package)
    }

    /// The select diagnostics of one BUILD file.
    pub fn diagnostics(&self, previews: &[TargetPreview], rope: &Rope) -> Vec<Diagnostic> {
        selects::select_diagnostics(previews, rope, &self.description)
    }
}

/// What a select session depends on beyond the document it previews (see
/// the module's invariants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKey {
    epoch: u64,
    others: Vec<(PathBuf, u64)>,
}

impl SessionKey {
    fn new(epoch: u64, mut others: Vec<(PathBuf, u64)>) -> SessionKey {
        others.sort();
        SessionKey { epoch, others }
    }
}

/// A session and the key it was built for.
struct CachedSession {
    key: SessionKey,
    session: Arc<SelectSession>,
}

/// Previews computed for one generation of a document under one session.
#[derive(Clone)]
pub struct CachedPreviews {
    generation: u64,
    key: SessionKey,
    /// The document's calls, read from that generation's tree.
    calls: Arc<Vec<RuleCall>>,
    /// The calls by statement, for the next version to reuse.
    pieces: Arc<CallPieces>,
    pub session: Arc<SelectSession>,
    pub previews: Arc<Vec<TargetPreview>>,
}

/// What a select session reads, besides the open BUILD documents (which
/// count by their generations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectInput {
    /// A document was opened or closed (the open texts read instead of
    /// the disk).
    Documents,
    /// An open rc document changed.
    RcDocument,
    /// The active configuration (command, configs, flags).
    ActiveConfiguration,
    /// Files on disk (BUILD files, rc files).
    Disk,
    /// The Bazel version, which chooses the flag database.
    BazelVersion,
}

/// The select sessions of every workspace and the previews of every open
/// BUILD document.
#[derive(Default)]
pub struct SelectCache {
    /// Bumped by every [`SelectInput`] change.
    revision: std::sync::atomic::AtomicU64,
    /// Workspace root → its last session.
    sessions: Mutex<HashMap<PathBuf, CachedSession>>,
    /// BUILD file → the previews of its last computed version.
    previews: Mutex<HashMap<PathBuf, CachedPreviews>>,
    /// Held while previews are looked up and computed, so that askers
    /// arriving together compute them once.
    compute: Mutex<()>,
}

impl SelectCache {
    /// Records that `what` changed: no session built before is reused.
    pub fn input_changed(&self, what: SelectInput) {
        self.revision
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tracing::trace!(?what, "select input changed");
    }

    /// The key of a session built from now on, with the other open BUILD
    /// files of the workspace at these generations (in any order). Read it
    /// before the session's inputs.
    pub fn key(&self, others: Vec<(PathBuf, u64)>) -> SessionKey {
        SessionKey::new(
            self.revision.load(std::sync::atomic::Ordering::SeqCst),
            others,
        )
    }

    /// The session and previews of the BUILD file at `path` (of `package`
    /// in the workspace at `root`) for `snapshot`, under `key`: from the
    /// cache when nothing changed since, else computed, building a session
    /// with `build` when the workspace has none for `key`. `None` when the
    /// snapshot has no tree.
    pub fn previews(
        &self,
        path: &Path,
        root: &Path,
        package: &str,
        snapshot: &DocumentSnapshot,
        key: SessionKey,
        build: impl FnOnce() -> SelectSession,
    ) -> Option<CachedPreviews> {
        let tree = snapshot.tree.as_ref()?;
        let _computing = self.compute.lock().unwrap_or_else(|p| p.into_inner());
        let cached = lock(&self.previews).get(path).cloned();
        let (same_text, older) = match cached {
            Some(c) if c.generation == snapshot.generation => (Some(c), None),
            other => (None, other),
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
        let reusable = lock(&self.sessions)
            .get(root)
            .filter(|c| c.key == key)
            .map(|c| c.session.clone());
        let session = match reusable {
            Some(session) => session,
            None => {
                let session = Arc::new(build());
                lock(&self.sessions).insert(
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
        lock(&self.previews).insert(path.to_path_buf(), entry.clone());
        Some(entry)
    }

    /// Forgets the previews of the file at `path` (closed, or opened anew).
    pub fn forget(&self, path: &Path) {
        lock(&self.previews).remove(path);
    }
}

/// Locks a cache map; a panic while it was held leaves it consistent (each
/// update is one insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
