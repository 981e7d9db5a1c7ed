//! BUILD files read from disk for `select()` evaluation: each package's
//! static calls, parsed once and cached. Open documents can override the
//! disk ([`DiskPackages::with_overlay`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ropey::Rope;

use crate::select::expr::{rule_calls, RuleCall};
use crate::select::Packages;
use crate::syntax::{parse_str_with, Grammar};

/// Largest BUILD file read (bigger ones count as unreadable).
const MAX_BUILD_FILE: u64 = 10 * 1024 * 1024;

/// The main repository's packages under `root`, read on demand.
pub struct DiskPackages {
    root: PathBuf,
    /// Package → text that replaces its BUILD file (open documents).
    overlay: HashMap<String, Arc<str>>,
    cache: Mutex<HashMap<String, Option<Arc<Vec<RuleCall>>>>>,
}

impl DiskPackages {
    pub fn new(root: &Path) -> DiskPackages {
        DiskPackages {
            root: root.to_path_buf(),
            overlay: HashMap::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Uses `text` as the BUILD file of `package`.
    pub fn with_overlay(mut self, package: &str, text: Arc<str>) -> DiskPackages {
        self.overlay.insert(package.to_string(), text);
        self
    }

    /// Uses `calls`, already read from an open document's tree, as the
    /// calls of `package` (no second parse).
    pub fn set_calls(&self, package: &str, calls: Arc<Vec<RuleCall>>) {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(package.to_string(), Some(calls));
    }

    /// The BUILD file of `package`: `BUILD.bazel`, else `BUILD`.
    pub fn build_file(&self, package: &str) -> Option<PathBuf> {
        if package.split('/').any(|s| s == ".." || s == ".") || package.starts_with('/') {
            return None;
        }
        crate::workspace::build_file_in(&self.root.join(package), |p| p.is_file())
    }

    fn read(&self, package: &str) -> Option<Arc<str>> {
        if let Some(text) = self.overlay.get(package) {
            return Some(text.clone());
        }
        let path = self.build_file(package)?;
        let meta = std::fs::metadata(&path).ok()?;
        if meta.len() > MAX_BUILD_FILE {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        String::from_utf8(bytes).ok().map(Arc::from)
    }
}

impl Packages for DiskPackages {
    fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(package)
        {
            return hit.clone();
        }
        let calls = self.read(package).map(|text| {
            let tree = parse_str_with(Grammar::Starlark, &text);
            Arc::new(rule_calls(&tree, &Rope::from_str(&text)))
        });
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(package.to_string(), calls.clone());
        calls
    }
}
