//! Which rc files a workspace reads, and reading them from disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::rc::chain::{normalize, Origin, RcRoot, RcSource, ReadError};
use crate::rc::RcReader;

/// rc files larger than this are refused (Bazel would read them, but no
/// real rc file comes near; a huge one is a mistake or not an rc file).
pub const MAX_RC_SIZE: u64 = 10 * 1024 * 1024;

/// Which of Bazel's default rc files to read, as Bazel's startup options
/// `--[no]system_rc`, `--[no]workspace_rc`, `--[no]home_rc` and
/// `--bazelrc=FILE` choose them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcSelection {
    pub system_rc: bool,
    pub workspace_rc: bool,
    pub home_rc: bool,
    /// `--bazelrc` files, read after the others.
    pub extra: Vec<PathBuf>,
}

impl Default for RcSelection {
    fn default() -> Self {
        RcSelection {
            system_rc: true,
            workspace_rc: true,
            home_rc: true,
            extra: Vec::new(),
        }
    }
}

/// The system rc file Bazel reads on this platform.
pub fn system_rc_path() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        PathBuf::from(base).join("bazel.bazelrc")
    } else {
        PathBuf::from("/etc/bazel.bazelrc")
    }
}

/// The user's home directory, from `HOME` (or `USERPROFILE`).
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The rc files Bazel reads for `workspace`, in Bazel's order: system,
/// workspace, home, then `--bazelrc` files. A file that is also an earlier
/// one (the workspace is the home directory) is read once.
pub fn rc_roots(
    workspace: Option<&Path>,
    selection: &RcSelection,
    home: Option<&Path>,
) -> Vec<RcRoot> {
    let mut roots: Vec<RcRoot> = Vec::new();
    let mut push = |path: PathBuf, origin: Origin| {
        if !roots.iter().any(|r| r.path == path) {
            roots.push(RcRoot { path, origin });
        }
    };
    if selection.system_rc {
        push(system_rc_path(), Origin::System);
    }
    if selection.workspace_rc {
        if let Some(ws) = workspace {
            push(ws.join(".bazelrc"), Origin::Workspace);
        }
    }
    if selection.home_rc {
        if let Some(home) = home {
            push(home.join(".bazelrc"), Origin::Home);
        }
    }
    for extra in &selection.extra {
        push(extra.clone(), Origin::Explicit);
    }
    roots
}

/// Reads rc files from disk and keeps each file's parse until its
/// modification time or size changes.
#[derive(Default)]
pub struct DiskRcReader {
    cache: Mutex<HashMap<PathBuf, (SystemTime, u64, RcSource)>>,
}

/// Reads open editor buffers first (keyed by lexically normalised path),
/// then the disk.
pub struct OverlayReader<'a> {
    pub overlays: &'a HashMap<PathBuf, RcSource>,
    pub disk: &'a DiskRcReader,
}

impl RcReader for OverlayReader<'_> {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError> {
        if let Some(source) = self.overlays.get(&normalize(path)) {
            return Ok(source.clone());
        }
        self.disk.read(path)
    }
}

impl DiskRcReader {
    pub fn new() -> DiskRcReader {
        DiskRcReader::default()
    }

    /// Forgets cached parses (for example after a file-watcher event).
    pub fn invalidate(&self, path: &Path) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(path);
        }
    }
}

impl RcReader for DiskRcReader {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            Err(e) => return Err(ReadError::Unreadable(e.to_string())),
        };
        if !meta.is_file() {
            return Err(ReadError::Unreadable("not a regular file".to_string()));
        }
        if meta.len() > MAX_RC_SIZE {
            return Err(ReadError::Unreadable(format!(
                "larger than {MAX_RC_SIZE} bytes"
            )));
        }
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if let Ok(cache) = self.cache.lock() {
            if let Some((t, len, source)) = cache.get(path) {
                if *t == mtime && *len == meta.len() {
                    return Ok(source.clone());
                }
            }
        }
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Unreadable(e.to_string()),
        })?;
        // Bazel reads bytes; a stray non-UTF-8 byte must not hide the file.
        let text: Arc<str> = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
        let source = RcSource::new(text);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(path.to_path_buf(), (mtime, meta.len(), source.clone()));
        }
        Ok(source)
    }
}

/// The rc chain around `path`, and the file's id in it: the chain of the
/// workspace the file belongs to, with the file appended as a `--bazelrc`
/// file when no default rc file reaches it (`ci.bazelrc`). `None` when the
/// file cannot be read.
pub fn chain_for_file(
    path: &Path,
    workspace: Option<&Path>,
    selection: &RcSelection,
    reader: &dyn RcReader,
    version: Option<[u32; 3]>,
) -> Option<(crate::rc::RcChain, crate::rc::chain::FileId)> {
    let path = normalize(path);
    let mut roots = rc_roots(workspace, selection, home_dir().as_deref());
    let chain = crate::rc::RcChain::load_for(workspace, &roots, reader, version);
    if let Some(file) = chain.file_by_path(&path) {
        return Some((chain, file));
    }
    roots.push(RcRoot {
        path: path.clone(),
        origin: Origin::Explicit,
    });
    let chain = crate::rc::RcChain::load_for(workspace, &roots, reader, version);
    let file = chain.file_by_path(&path)?;
    Some((chain, file))
}
