//! The packages of a workspace on disk, for label resolution
//! ([`crate::workspace::resolve::PackageLookup`]).
//!
//! A package is a directory with `BUILD.bazel` or `BUILD` (`BUILD.bazel`
//! wins). The walk skips `.git`, the `bazel-*` output links, directories
//! listed in `.bazelignore`, and nested workspaces (directories with their
//! own `MODULE.bazel`, `REPO.bazel`, `WORKSPACE` or `WORKSPACE.bazel`, which
//! are roots of their own); it never enters a directory twice, so symlink
//! loops end. BUILD files are read and parsed when first asked about.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ropey::Rope;

use super::workspace::{read_bazelignore, ROOT_MARKERS};
use crate::hash::{FastMap, FastSet};
use crate::workspace::package::{package_decls, PackageDecls};
use crate::workspace::resolve::PackageLookup;

/// BUILD files larger than this are not parsed (the package then counts as
/// open: nothing in it is reported missing).
const MAX_BUILD_FILE: u64 = 10 * 1024 * 1024;

/// The packages of one workspace.
pub struct WorkspaceIndex {
    root: PathBuf,
    /// Package name (`""` for the root) → its BUILD file.
    packages: FastMap<String, PathBuf>,
    decls: Mutex<FastMap<String, Arc<PackageDecls>>>,
}

impl WorkspaceIndex {
    /// Walks `root` for packages.
    pub fn scan(root: &Path) -> WorkspaceIndex {
        let ignored: FastSet<PathBuf> = read_bazelignore(root).into_iter().collect();
        let mut packages = FastMap::default();
        let mut visited: HashSet<(u64, u64)> = HashSet::new();
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((dir, package)) = stack.pop() {
            let Ok(meta) = std::fs::metadata(&dir) else {
                continue;
            };
            if !visited.insert((meta.dev(), meta.ino())) {
                continue;
            }
            if !package.is_empty() && ROOT_MARKERS.iter().any(|m| dir.join(m).is_file()) {
                // A nested workspace: a root of its own.
                continue;
            }
            if let Some(build) = ["BUILD.bazel", "BUILD"]
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file())
            {
                packages.insert(package.clone(), build);
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if name == ".git" || (kind.is_symlink() && name.starts_with("bazel-")) {
                    continue;
                }
                let path = entry.path();
                if !path.is_dir() || ignored.contains(&path) {
                    continue;
                }
                let child = if package.is_empty() {
                    name.to_string()
                } else {
                    format!("{package}/{name}")
                };
                stack.push((path, child));
            }
        }
        WorkspaceIndex {
            root: root.to_path_buf(),
            packages,
            decls: Mutex::new(FastMap::default()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every package name, sorted.
    pub fn package_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.packages.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl PackageLookup for WorkspaceIndex {
    fn is_package(&self, package: &str) -> bool {
        self.packages.contains_key(package)
    }

    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>> {
        if let Ok(cache) = self.decls.lock() {
            if let Some(decls) = cache.get(package) {
                return Some(decls.clone());
            }
        }
        let path = self.packages.get(package)?;
        let readable = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_BUILD_FILE);
        let text = readable
            .then(|| std::fs::read(path).ok())
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let decls = Arc::new(match text {
            Some(text) => {
                let tree = crate::syntax::parse_str(&text);
                package_decls(&tree, &Rope::from_str(&text))
            }
            // Unreadable: claim nothing is missing.
            None => PackageDecls {
                open: true,
                ..PackageDecls::default()
            },
        });
        if let Ok(mut cache) = self.decls.lock() {
            cache.insert(package.to_string(), decls.clone());
        }
        Some(decls)
    }

    fn is_file(&self, path: &str) -> bool {
        // Directories count: Bazel accepts them as source labels (with a
        // warning), and a label naming a subpackage's directory is left to
        // Bazel to judge.
        self.root.join(path).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::label::parse_label;
    use crate::workspace::resolve::{resolve, Resolution};

    use crate::fixture::{write_file as write, TempDir};

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
        write(root, "examples/BUILD", "");
        write(root, "notapkg/x.txt", "");
        std::os::unix::fs::symlink(root, root.join("lib/loop")).expect("symlink");
        std::os::unix::fs::symlink(root, root.join("bazel-out")).expect("symlink");

        let index = WorkspaceIndex::scan(root);
        assert_eq!(index.package_names(), vec!["", "lib", "lib/data"]);
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
        assert!(matches!(resolved("//examples"), Resolution::Unresolved(_)));
        assert!(matches!(resolved("//ignored"), Resolution::Unresolved(_)));
    }
}
