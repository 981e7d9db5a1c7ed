//! Finding the workspace a file belongs to.

use std::path::{Path, PathBuf};

/// Files that make a directory a workspace root.
pub const ROOT_MARKERS: &[&str] = &["MODULE.bazel", "REPO.bazel", "WORKSPACE", "WORKSPACE.bazel"];

/// The nearest directory at or above `start` holding one of
/// [`ROOT_MARKERS`]. `start` may be a file or a directory.
pub fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() {
        start
    } else {
        start.parent()?
    };
    start
        .ancestors()
        .find(|dir| ROOT_MARKERS.iter().any(|m| dir.join(m).is_file()))
        .map(Path::to_path_buf)
}

/// Directory paths (absolute, under `root`) listed in `root/.bazelignore`.
pub fn read_bazelignore(root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(root.join(".bazelignore")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| root.join(l.trim_end_matches('/')))
        .collect()
}

/// The workspace a file belongs to: the nearest root marker above it, else
/// `fallback` (the client's root) when the file is inside it, else the
/// file's directory.
pub fn workspace_of(path: &Path, fallback: Option<&Path>) -> Option<PathBuf> {
    find_workspace_root(path)
        .or_else(|| {
            fallback
                .filter(|r| path.starts_with(r))
                .map(Path::to_path_buf)
        })
        .or_else(|| path.parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_root() {
        let dir = std::env::temp_dir().join(format!("bzls-root-{}", std::process::id()));
        let nested = dir.join("a/examples/b");
        std::fs::create_dir_all(&nested).expect("mkdir");
        std::fs::write(dir.join("MODULE.bazel"), "").expect("write");
        std::fs::write(dir.join("a/examples/WORKSPACE"), "").expect("write");
        assert_eq!(find_workspace_root(&nested), Some(dir.join("a/examples")));
        assert_eq!(find_workspace_root(&dir.join("a")), Some(dir.clone()));
        assert_eq!(find_workspace_root(&dir.join("a/BUILD")), Some(dir.clone()));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
