//! The workspace model, pure parts: labels as Bazel defines them
//! ([`label`]); what a BUILD file declares, read statically ([`package`])
//! or by evaluating it and the workspace's own macros like Bazel's loading
//! phase ([`eval`]); what a .bzl file binds ([`bzl`]); the label strings a
//! BUILD file mentions ([`mentions`]), with Bazel's native rule schemas
//! ([`schema`]); resolution against a
//! [`resolve::PackageLookup`]; the diagnostics ([`check`]); and the
//! external repositories `MODULE.bazel` and `WORKSPACE` declare
//! ([`repos`]), with the pnpm lock files of rules_js's npm repositories
//! ([`pnpm`]). The index on disk is [`crate::host::index`].

pub mod bzl;
pub mod callables;
pub mod check;
pub mod eval;
pub mod label;
pub mod mentions;
pub mod outline;
pub mod package;
pub mod pnpm;
pub mod repos;
pub mod resolve;
pub mod schema;
pub mod starlark_builtins;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use label::{parse_label, Label, LabelError, Repo, Special};

/// The names a package's BUILD file can have, the one Bazel prefers first:
/// when a directory holds both, `BUILD.bazel` is the package's BUILD file
/// and `BUILD` is an ordinary file.
pub const BUILD_FILE_NAMES: [&str; 2] = ["BUILD.bazel", "BUILD"];

/// Whether a file named `name` can be a package's own BUILD file (not a
/// `foo.BUILD` or `BUILD.foo.bazel` that a repository rule takes).
pub fn is_build_file_name(name: &str) -> bool {
    BUILD_FILE_NAMES.contains(&name)
}

/// How strongly a file named `name` is its directory's BUILD file: a lower
/// rank wins (`BUILD.bazel` 0, `BUILD` 1); `None` for other names.
pub fn build_file_rank(name: &str) -> Option<usize> {
    BUILD_FILE_NAMES.iter().position(|n| *n == name)
}

/// The BUILD file of directory `dir`, given which files exist: `BUILD.bazel`
/// wins over `BUILD`.
pub fn build_file_in(
    dir: &std::path::Path,
    is_file: impl Fn(&std::path::Path) -> bool,
) -> Option<std::path::PathBuf> {
    BUILD_FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| is_file(path))
}
