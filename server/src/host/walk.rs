//! Finding the workspace root and the Bazel files under a directory.
//!
//! Invariants: symlinks named `bazel-*` (Bazel's output links) are never
//! followed; a directory is never entered twice, so symlink loops end.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::syntax::FileKind;

pub use crate::host::workspace::find_workspace_root;

/// Something the walk could not do; reported, and the walk goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
    /// True when part of the tree could not be read at all (exit status 2).
    pub io_failure: bool,
}

#[derive(Default, Debug)]
pub struct Walk {
    pub files: Vec<(PathBuf, FileKind)>,
    pub problems: Vec<Problem>,
}

pub use crate::host::workspace::read_bazelignore;

/// Collects the Bazel files under `dir`, skipping `ignored` directories.
pub fn walk(dir: &Path, ignored: &[PathBuf], walk: &mut Walk) {
    let mut visited: HashSet<(u64, u64)> = HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    if let Ok(meta) = std::fs::metadata(dir) {
        visited.insert((meta.dev(), meta.ino()));
    }
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                walk.problems.push(Problem {
                    path: dir.clone(),
                    message: format!("cannot read directory: {err}"),
                    io_failure: true,
                });
                continue;
            }
        };
        let mut children: Vec<_> = entries.filter_map(Result::ok).collect();
        children.sort_by_key(|e| e.file_name());
        for entry in children {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_symlink() && name.starts_with("bazel-") {
                continue;
            }
            if ignored.iter().any(|i| i == &path) {
                continue;
            }
            let meta = if file_type.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(meta) => meta,
                    Err(err) if err.raw_os_error() == Some(40) => {
                        walk.problems.push(Problem {
                            path: path.clone(),
                            message: "symlink loop; not followed".to_owned(),
                            io_failure: false,
                        });
                        continue;
                    }
                    // A dangling symlink: nothing to check.
                    Err(_) => continue,
                }
            } else {
                match entry.metadata() {
                    Ok(meta) => meta,
                    Err(_) => continue,
                }
            };
            if meta.is_dir() {
                if name == ".git" {
                    continue;
                }
                if !visited.insert((meta.dev(), meta.ino())) {
                    if file_type.is_symlink() {
                        walk.problems.push(Problem {
                            path: path.clone(),
                            message: "symlink to a directory already visited (a symlink loop?); not followed".to_owned(),
                            io_failure: false,
                        });
                    }
                    continue;
                }
                stack.push(path);
            } else if let Some(kind) = FileKind::from_path(&path) {
                walk.files.push((path, kind));
            }
        }
    }
}
