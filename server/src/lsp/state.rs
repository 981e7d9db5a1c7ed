//! The server's mutable state: open documents and negotiated settings.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tower_lsp::jsonrpc;
use tower_lsp::lsp_types::Url;

use super::settings::Settings;
use crate::analysis::{Document, DocumentSnapshot, MAX_ANALYSED_SIZE};
use crate::host::rc::DiskRcReader;
use crate::rc::chain::RcSource;
use crate::syntax::FileKind;
use crate::text::PositionEncoding;

pub struct OpenDocument {
    pub doc: Document,
    /// The file name, for messages from starlark_syntax.
    pub file_name: String,
}

impl OpenDocument {
    pub fn new(doc: Document, file_name: String) -> OpenDocument {
        OpenDocument { doc, file_name }
    }

    /// The rc parse of the current text (`None` unless an rc document).
    pub fn rc_source(&self) -> Option<RcSource> {
        self.doc.rc_source().cloned()
    }
}

/// Asks for every open Starlark document's diagnostics to be published
/// again (after indexing, or a change elsewhere in the workspace).
pub type RefreshAll = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub struct State {
    pub encoding: PositionEncoding,
    pub documents: HashMap<Url, OpenDocument>,
    /// Documents whose `didOpen` is being read (see
    /// [`super::text_sync::begin_opening`]).
    pub opening: HashMap<Url, super::text_sync::OpeningSlot>,
    /// How many openings were begun (their ids).
    pub openings_started: u64,
    /// `initialize` was answered.
    pub initialized: bool,
    /// The client sent `shutdown`.
    pub shutdown_requested: bool,
    /// Messages about buildifier already shown to the user (each is shown
    /// once a session; formatting on save would repeat them).
    pub buildifier_messages: std::collections::HashSet<String>,
    /// The workspace root the client opened, if any.
    pub root: Option<PathBuf>,
    pub settings: Settings,
    /// Parses of rc files read from disk.
    pub rc_disk: Arc<DiskRcReader>,
    /// Texts of files locations point into (see [`super::convert::DiskRopes`]).
    pub disk_ropes: Arc<super::convert::DiskRopes>,
    /// The client can watch files for us (dynamic registration).
    pub watch_files: bool,
    /// The background flag dump was started (it runs once per server).
    pub flag_dump_started: bool,
    /// The version of the Bazel binary, once the flag dump ran: used when
    /// the workspace does not name a version itself.
    pub bazel_version: Option<crate::flags::BazelVersion>,
    /// The workspace index of each workspace root seen so far.
    pub indexes: HashMap<PathBuf, Arc<crate::host::index::WorkspaceIndex>>,
    /// The client shows `window/workDoneProgress`.
    pub work_done_progress: bool,
    /// The client can be asked to fetch inlay hints / code lenses again.
    pub refresh_inlay_hints: bool,
    pub refresh_code_lenses: bool,
    /// Set once the publisher exists.
    pub refresh_starlark: Option<RefreshAll>,
    /// The per-version analyses of open Starlark documents.
    pub analysis: Arc<crate::db::AnalysisHost>,
    /// The workspace root of each directory a request or a file event came
    /// from, so that they do not stat their way up the tree each time.
    /// Cleared when a root marker file is created or deleted.
    pub roots: RootCache,
}

/// Directory → its workspace root (`None`: none), bounded: a directory
/// whose file was deleted is forgotten, and past [`RootCache::MAX`]
/// directories the cache starts again (finding a root again costs a few
/// `stat`s), so file events over a long session cannot grow it without end.
#[derive(Default)]
pub struct RootCache {
    roots: HashMap<PathBuf, Option<PathBuf>>,
}

impl RootCache {
    /// The most directories remembered.
    pub const MAX: usize = 4_096;

    pub fn get(&self, dir: &std::path::Path) -> Option<&Option<PathBuf>> {
        self.roots.get(dir)
    }

    pub fn insert(&mut self, dir: PathBuf, root: Option<PathBuf>) {
        if self.roots.len() >= Self::MAX && !self.roots.contains_key(&dir) {
            self.roots = HashMap::new();
        }
        self.roots.insert(dir, root);
    }

    /// Forgets the directory of a deleted file (the directory may be gone
    /// too).
    pub fn forget_dir_of(&mut self, file: &std::path::Path) {
        if let Some(dir) = file.parent() {
            self.roots.remove(dir);
        }
    }

    pub fn clear(&mut self) {
        self.roots = HashMap::new();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.roots.len()
    }
}

pub type SharedState = Arc<Mutex<State>>;

/// Locks the state. A panic while the lock was held leaves it poisoned; the
/// state itself is still consistent (documents are repaired where they
/// change, see `text_sync`), so the poison is ignored.
///
/// Every handler and the message loop itself (`did_change` locks it inside
/// `block_in_place`, which stops the task that polls every handler) wait
/// for this lock, so holding it long stalls the whole server: a wait or a
/// hold longer than [`StateGuard::SLOW`] is logged (a warning naming the
/// caller).
#[track_caller]
pub fn lock(state: &SharedState) -> StateGuard<'_> {
    let caller = std::panic::Location::caller();
    let asked = std::time::Instant::now();
    let guard = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let held_since = std::time::Instant::now();
    let waited = held_since - asked;
    if waited >= StateGuard::SLOW {
        tracing::warn!(
            %caller,
            waited_ms = waited.as_millis() as u64,
            "waited long for the server's state"
        );
    }
    StateGuard {
        guard,
        caller,
        held_since,
    }
}

/// The locked state (see [`lock`]).
pub struct StateGuard<'s> {
    guard: MutexGuard<'s, State>,
    caller: &'static std::panic::Location<'static>,
    held_since: std::time::Instant,
}

impl StateGuard<'_> {
    /// The longest wait for, or hold of, the state that is not logged.
    pub const SLOW: std::time::Duration = std::time::Duration::from_millis(250);
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.guard
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        let held = self.held_since.elapsed();
        if held >= StateGuard::SLOW {
            tracing::warn!(
                caller = %self.caller,
                held_ms = held.as_millis() as u64,
                "held the server's state long"
            );
        }
    }
}

/// A snapshot of `uri` to compute a request on, and whether it came from an
/// open document (whose changes make the answer stale).
pub struct RequestSnapshot {
    pub snapshot: DocumentSnapshot,
    pub encoding: PositionEncoding,
    pub open: bool,
    /// For an open document: the analysis host that keeps its per-version
    /// results, and the document's path.
    pub kept: Option<(Arc<crate::db::AnalysisHost>, PathBuf)>,
}

/// A snapshot of the open document at `uri`, doing a deferred reparse (a
/// few milliseconds on a large file) without holding the state lock, so
/// that keystrokes are not held up by it. `None` when the document is not
/// open.
pub fn open_snapshot(state: &SharedState, uri: &Url) -> Option<DocumentSnapshot> {
    let pending = {
        let mut guard = lock(state);
        let open = guard.documents.get_mut(uri)?;
        match open.doc.pending_reparse() {
            None => return Some(open.doc.snapshot()),
            Some(pending) => pending,
        }
    };
    let reparsed = pending.run();
    let mut guard = lock(state);
    let open = guard.documents.get_mut(uri)?;
    // A change that came meanwhile makes the reparse stale: the snapshot
    // then reparses the newest text (under the lock, as before).
    open.doc.install_reparse(reparsed);
    Some(open.doc.snapshot())
}

/// The snapshot of an open document, or else the file read from disk.
pub fn request_snapshot(state: &SharedState, uri: &Url) -> jsonrpc::Result<RequestSnapshot> {
    if let Some(snapshot) = open_snapshot(state, uri) {
        let (encoding, host) = {
            let state = lock(state);
            (state.encoding, state.analysis.clone())
        };
        return Ok(RequestSnapshot {
            snapshot,
            encoding,
            open: true,
            kept: uri.to_file_path().ok().map(|path| (host, path)),
        });
    }
    let encoding = lock(state).encoding;
    let mut doc = read_unopened(uri).map_err(|why| jsonrpc::Error {
        code: jsonrpc::ErrorCode::InvalidParams,
        message: format!("bzls: unknown document {uri}: {why}").into(),
        data: None,
    })?;
    Ok(RequestSnapshot {
        snapshot: doc.snapshot(),
        encoding,
        open: false,
        kept: None,
    })
}

fn read_unopened(uri: &Url) -> Result<Document, String> {
    let path = uri
        .to_file_path()
        .map_err(|()| "it is not open and is not a file: URI".to_owned())?;
    let kind = FileKind::from_path(&path).ok_or("it is not open and is not a Bazel file")?;
    let meta =
        std::fs::metadata(&path).map_err(|e| format!("it is not open and cannot be read: {e}"))?;
    if meta.len() > MAX_ANALYSED_SIZE as u64 {
        return Err(format!(
            "it is not open and is larger than {MAX_ANALYSED_SIZE} bytes"
        ));
    }
    let bytes =
        std::fs::read(&path).map_err(|e| format!("it is not open and cannot be read: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| "it is not open and is not UTF-8".to_owned())?;
    Ok(Document::new(kind, 0, &text))
}

/// True when the document at `uri` is still at `generation` (or closed).
pub fn is_current(state: &SharedState, uri: &Url, generation: u64) -> bool {
    lock(state)
        .documents
        .get(uri)
        .is_none_or(|open| open.doc.generation() == generation)
}

pub fn content_modified() -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::ContentModified,
        message: "bzls: the document changed while the request was computed".into(),
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::RootCache;
    use std::path::{Path, PathBuf};

    #[test]
    fn root_cache_stays_bounded_and_forgets_deleted_directories() {
        let mut cache = RootCache::default();
        cache.insert(PathBuf::from("/ws/a"), Some(PathBuf::from("/ws")));
        cache.forget_dir_of(Path::new("/ws/a/BUILD"));
        assert!(cache.get(Path::new("/ws/a")).is_none());
        for i in 0..3 * RootCache::MAX {
            cache.insert(PathBuf::from(format!("/ws/p{i}")), None);
            assert!(cache.len() <= RootCache::MAX);
        }
        // The newest one is always kept.
        assert_eq!(
            cache.get(Path::new(&format!("/ws/p{}", 3 * RootCache::MAX - 1))),
            Some(&None)
        );
    }
}
