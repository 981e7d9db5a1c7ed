//! Choosing the flag database for a workspace: the Bazel version it uses
//! (from `USE_BAZEL_VERSION`, `.bazeliskrc`, `.bazelversion`), a dump of
//! that exact version in the cache if one was made, else the closest
//! embedded database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::flags::{closest_embedded, detect, dump, BazelVersion, FlagDb};

/// The database chosen for a workspace.
#[derive(Clone, Copy, Debug)]
pub struct FlagDbChoice {
    pub db: &'static FlagDb,
    /// The database is for exactly the version in use.
    pub exact: bool,
}

/// The directory flag dumps are cached in: `$XDG_CACHE_HOME/bzls/flags`,
/// else `~/.cache/bzls/flags`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| super::rc::home_dir().map(|h| h.join(".cache")))?;
    Some(base.join("bzls").join("flags"))
}

/// The Bazel version `workspace` uses, as Bazelisk decides it.
pub fn workspace_version(workspace: Option<&Path>) -> Option<BazelVersion> {
    let read = |name: &str| workspace.and_then(|ws| std::fs::read_to_string(ws.join(name)).ok());
    let env = std::env::var("USE_BAZEL_VERSION").ok();
    detect(
        read(".bazelversion").as_deref(),
        read(".bazeliskrc").as_deref(),
        env.as_deref(),
    )
}

/// Databases loaded from the dump cache, leaked once per version so they
/// can be shared as `&'static` like the embedded ones (a handful at most).
fn cached_db(dir: &Path, version: &BazelVersion) -> Option<&'static FlagDb> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, &'static FlagDb>>> = OnceLock::new();
    let path = dump::cache_path(dir, version);
    let map = LOADED.get_or_init(Default::default);
    if let Ok(map) = map.lock() {
        if let Some(db) = map.get(&path) {
            return Some(db);
        }
    }
    let db: &'static FlagDb = Box::leak(Box::new(dump::load_cached(dir, version)?));
    if let Ok(mut map) = map.lock() {
        map.insert(path, db);
    }
    Some(db)
}

/// The best database for `version`: an exact cached dump, else the closest
/// embedded one.
pub fn choose(version: Option<&BazelVersion>, cache: Option<&Path>) -> FlagDbChoice {
    if let (Some(version), Some(dir)) = (version, cache) {
        if version.is_complete() {
            if let Some(db) = cached_db(dir, version) {
                return FlagDbChoice { db, exact: true };
            }
        }
    }
    let (db, exact) = closest_embedded(version);
    FlagDbChoice { db, exact }
}

/// The active configuration of a workspace, as `select()` evaluation needs
/// it: the flag database, the values the command line and the rc files set,
/// and the first rc error that stops evaluation. The one set-up both the
/// server's previews and `bzls select` use.
pub struct ActiveConfig {
    pub choice: FlagDbChoice,
    pub expansion: crate::rc::expand::Expansion,
    pub values: crate::select::ConfigValues,
    /// The first error of the expansion that stops evaluation (an undefined
    /// config, a cycle, ...). An option of an rc section that does not apply
    /// to the command counts only when the flag database is exactly the
    /// Bazel in use: otherwise it may be an option the database lacks.
    pub error: Option<String>,
}

impl ActiveConfig {
    /// Expands `bazel COMMAND ARGS` over `chain` with the flags of `version`
    /// (the closest known database when it is not dumped).
    pub fn new(
        chain: &crate::rc::RcChain,
        version: Option<&BazelVersion>,
        command: &str,
        args: &[String],
    ) -> ActiveConfig {
        use crate::rc::expand::{expand, host_platform_config, ExpandErrorKind};
        let choice = choose(version, cache_dir().as_deref());
        let mut expansion = expand(chain, choice.db, command, args, host_platform_config());
        if !choice.exact {
            expansion
                .errors
                .retain(|e| e.kind != ExpandErrorKind::FlagCommand);
        }
        let error = expansion.errors.first().map(|e| e.message.clone());
        let values = crate::select::ConfigValues::from_expansion(&expansion, choice.db);
        ActiveConfig {
            choice,
            expansion,
            values,
            error,
        }
    }
}
