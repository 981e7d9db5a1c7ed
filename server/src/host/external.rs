//! The packages of an external repository that is on disk (a local path, or
//! a repository Bazel fetched into `output_base/external`), for resolving
//! the main repository's labels into it.
//!
//! Read lazily, one package at a time, when a label points into it, and
//! statically: a BUILD file's declarations are those of its calls (see
//! [`outline_decls`]); a package whose BUILD file calls a loaded macro, or
//! loops, is *open*, so a missing name there is never an error. A BUILD
//! file's declarations are kept until its size or modification time
//! changes (Bazel rewrites fetched repositories; no watcher sees them).
//!
//! Invariants: never writes, never follows more than the OS does for one
//! path, and a file it cannot read makes its package open, not empty.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use ropey::Rope;

use crate::hash::FastMap;
use crate::workspace::eval::parse_build;
use crate::workspace::outline::Outline;
use crate::workspace::package::{outline_decls, PackageDecls};
use crate::workspace::resolve::PackageLookup;

/// BUILD files larger than this are not read (their package is open).
const MAX_BUILD_FILE: u64 = 10 * 1024 * 1024;

/// Which version of a BUILD file some declarations were read from.
type Stamp = (u64, Option<SystemTime>);

pub struct ExternalRepository {
    root: PathBuf,
    read: Mutex<FastMap<String, (Stamp, Arc<PackageDecls>)>>,
}

impl ExternalRepository {
    pub fn new(root: &Path) -> ExternalRepository {
        ExternalRepository {
            root: root.to_path_buf(),
            read: Mutex::new(FastMap::default()),
        }
    }

    fn dir(&self, package: &str) -> PathBuf {
        if package.is_empty() {
            self.root.clone()
        } else {
            self.root.join(package)
        }
    }

    /// The BUILD file of `package` (`BUILD.bazel` wins).
    fn build_file(&self, package: &str) -> Option<PathBuf> {
        crate::workspace::build_file_in(&self.dir(package), |p| p.is_file())
    }
}

/// The static reading of one BUILD text (open when it does not parse).
fn read_decls(text: &str) -> PackageDecls {
    match parse_build("", text) {
        Ok(ast) => outline_decls(&Outline::from_ast(&ast, text)),
        Err(_) => {
            let tree = crate::syntax::parse_str(text);
            let mut decls = crate::workspace::package::package_decls(&tree, &Rope::from_str(text));
            decls.open = true;
            decls
        }
    }
}

fn open_package() -> PackageDecls {
    PackageDecls {
        open: true,
        ..PackageDecls::default()
    }
}

impl PackageLookup for ExternalRepository {
    fn is_package(&self, package: &str) -> bool {
        self.build_file(package).is_some()
    }

    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>> {
        let path = self.build_file(package)?;
        let Ok(meta) = std::fs::metadata(&path) else {
            return Some(Arc::new(open_package()));
        };
        let stamp = (meta.len(), meta.modified().ok());
        let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, decls)) = read.get(package) {
            if *seen == stamp {
                return Some(decls.clone());
            }
        }
        let decls = if meta.len() > MAX_BUILD_FILE {
            open_package()
        } else {
            std::fs::read(&path)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or_else(open_package, |text| read_decls(&text))
        };
        let decls = Arc::new(decls);
        read.insert(package.to_string(), (stamp, decls.clone()));
        Some(decls)
    }

    fn is_file(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }

    fn dir_entries(&self, dir: &str) -> Arc<[(String, bool)]> {
        let Ok(entries) = std::fs::read_dir(self.dir(dir)) else {
            return Arc::from([]);
        };
        let mut entries: Vec<(String, bool)> = entries
            .flatten()
            .take(10_000)
            .filter_map(|e| {
                let is_dir = e.path().is_dir();
                Some((e.file_name().into_string().ok()?, is_dir))
            })
            .collect();
        entries.sort();
        Arc::from(entries)
    }

    fn is_nested_root(&self, dir: &str) -> bool {
        let dir = self.dir(dir);
        super::workspace::ROOT_MARKERS
            .iter()
            .any(|marker| dir.join(marker).is_file())
    }
}
