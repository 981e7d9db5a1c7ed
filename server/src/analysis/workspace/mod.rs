//! IDE features over the workspace model, for Starlark files: go to
//! definition, references, hover, completion inside strings, workspace
//! symbols.
//!
//! The workspace is seen through [`WorkspaceView`]; results are plain data
//! ([`FileRange`]: absolute path and byte range). Ranges in the file being
//! edited always come from the request's own snapshot, never from the
//! index, so they match the text the request was made on.

pub mod calls;
pub mod completion;
pub mod cursor;
pub mod definition;
pub mod highlight;
pub mod hover;
pub mod links;
pub mod references;
pub mod rename;
pub mod selects;
pub mod symbol_rename;
pub mod symbols;
pub mod target_lens;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Tree;

use crate::text::TextRange;
use crate::workspace::bzl::BzlGlobals;
use crate::workspace::outline::Outline;
use crate::workspace::package::PackageDecls;
use crate::workspace::resolve::{NameEvidence, PackageLookup};
use crate::workspace::summary::{summarize_outline, PackageSummary};

/// A range in a file of the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub path: PathBuf,
    pub range: TextRange,
}

/// What the features need to know about the workspace beyond resolution.
pub trait WorkspaceView: PackageLookup + Sync {
    fn root(&self) -> &Path;
    /// The BUILD file of `package`.
    fn build_file(&self, package: &str) -> Option<PathBuf>;
    /// Mentions of absolute label `//pkg:name`: `(package, range)`.
    fn references(&self, label: &str) -> Vec<(String, TextRange)>;
    /// Every package name, sorted.
    fn sorted_packages(&self) -> Arc<Vec<String>>;
    /// The names the main repository has for itself (its module name,
    /// `workspace(name = ...)`): `@ws//pkg:x` is `//pkg:x`.
    fn main_repository_names(&self) -> Vec<String>;
    /// The repository names the main repository can use after `@`, sorted.
    fn repository_names(&self) -> Vec<String>;
    /// Entries of a workspace-relative directory: `(name, is_dir)`, sorted
    /// by name.
    fn list_dir(&self, dir: &str) -> Arc<[(String, bool)]> {
        self.list_dir_at(&self.root().join(dir))
    }
    /// Entries of a directory anywhere (a repository on disk): `(name,
    /// is_dir)`, sorted by name. Shared: a listing that did not change is
    /// not copied.
    fn list_dir_at(&self, dir: &Path) -> Arc<[(String, bool)]>;
    /// The text of a workspace file (for hovers that quote it).
    fn file_text(&self, path: &Path) -> Option<Arc<str>>;
    /// Where `bind(name = "name")` names it (for `//external:name`): a
    /// WORKSPACE file or a `.bzl` file it loads, and the string's range.
    fn bind_location(&self, name: &str) -> Option<(PathBuf, TextRange)>;
    /// The directory of repository `@name` (apparent name), when it is on
    /// disk (a local path, or `output_base/external/<name>`).
    fn repository_path(&self, name: &str) -> Option<PathBuf>;
    /// A regular file exists at this absolute path.
    fn is_file_at(&self, path: &Path) -> bool;
    /// Calls `visit` for every package summary the index holds.
    fn for_each_summary(&self, visit: &mut dyn FnMut(&str, &PackageSummary));
    /// Replaces an open static reading of the BUILD file of `package`
    /// (text `text`) by its evaluation, which follows the workspace's
    /// macros.
    fn evaluate(&self, package: &str, text: &str, summary: &mut PackageSummary);
    /// This view as a plain [`PackageLookup`].
    fn as_lookup(&self) -> &dyn PackageLookup;
    /// The files of the main repository that can load a `.bzl` file: the
    /// BUILD files of its packages, `.bzl` files, and the root's WORKSPACE
    /// and MODULE.bazel files. Read from the disk on every call: for rare
    /// whole-workspace edits (a rename), never on the keystroke path.
    fn loading_files(&self) -> Vec<LoadingFile>;
    /// The BUILD and `.bzl` files of the other repositories inside the
    /// workspace's directory (local repositories, `local_path_override`),
    /// which may name the main repository's targets (`@//pkg:x`). Read from
    /// the disk on every call, like [`WorkspaceView::loading_files`].
    fn nested_repository_files(&self) -> Vec<PathBuf>;
}

/// A file that may load `.bzl` files (see [`WorkspaceView::loading_files`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadingFile {
    /// Its absolute path.
    pub path: PathBuf,
    pub kind: crate::syntax::FileKind,
    /// The package its relative labels are in (`""` for root files).
    pub package: String,
}

/// The file a request is about.
pub struct FileContext<'a> {
    pub tree: &'a Tree,
    pub rope: &'a Rope,
    /// Its absolute path.
    pub path: PathBuf,
    /// Its package (for a BUILD file, its directory).
    pub package: String,
    /// A BUILD file (its label strings are relative to `package`).
    pub is_build: bool,
    /// The file's own summary (BUILD files), from this very text.
    pub summary: Arc<PackageSummary>,
    /// The file's own top-level bindings.
    pub globals: Arc<BzlGlobals>,
}

impl<'a> FileContext<'a> {
    /// The context of a file; a BUILD file's declarations are evaluated
    /// through `view` when a static reading leaves them open.
    pub fn new(
        view: &dyn WorkspaceView,
        tree: &'a Tree,
        rope: &'a Rope,
        path: PathBuf,
        package: String,
        is_build: bool,
    ) -> FileContext<'a> {
        let summary = if is_build {
            Arc::new(file_summary(view, tree, rope, &package))
        } else {
            Arc::new(PackageSummary::default())
        };
        let globals = Arc::new(crate::workspace::bzl::bzl_globals(tree, rope));
        FileContext::with_parts(tree, rope, path, package, is_build, summary, globals)
    }

    /// The context of a file whose summary and bindings are known already
    /// (computed once per version by the analysis host).
    pub fn with_parts(
        tree: &'a Tree,
        rope: &'a Rope,
        path: PathBuf,
        package: String,
        is_build: bool,
        summary: Arc<PackageSummary>,
        globals: Arc<BzlGlobals>,
    ) -> FileContext<'a> {
        FileContext {
            tree,
            rope,
            path,
            package,
            is_build,
            summary,
            globals,
        }
    }

    /// The workspace as resolution should see it: this file's own package
    /// from this text.
    pub fn lookup<'v>(&'v self, view: &'v dyn WorkspaceView) -> CurrentFirst<'v> {
        CurrentFirst::new(
            view.as_lookup(),
            &self.package,
            self.is_build.then(|| self.summary.decls.clone()),
        )
    }
}

/// What the BUILD file of `package` with this tree declares: its static
/// reading, replaced by its evaluation through `view` (which follows the
/// workspace's macros) when the static reading leaves it open and the text
/// has no syntax error.
pub fn file_summary(
    view: &dyn WorkspaceView,
    tree: &Tree,
    rope: &Rope,
    package: &str,
) -> PackageSummary {
    file_summary_of_outline(view, &Outline::from_tree(tree, rope), tree, rope, package)
}

/// [`file_summary`] with the file's outline already read.
pub fn file_summary_of_outline(
    view: &dyn WorkspaceView,
    outline: &Outline,
    tree: &Tree,
    rope: &Rope,
    package: &str,
) -> PackageSummary {
    let mut summary = summarize_outline(package, outline);
    if summary.decls.open && !tree.root_node().has_error() {
        view.evaluate(package, &rope.to_string(), &mut summary);
    }
    crate::workspace::summary::open_when_broken(&mut summary, tree);
    summary
}

/// A [`PackageLookup`] where the current BUILD file's package comes from
/// the request's text rather than the index.
pub struct CurrentFirst<'v> {
    view: &'v dyn PackageLookup,
    package: &'v str,
    decls: Option<Arc<PackageDecls>>,
}

impl<'v> CurrentFirst<'v> {
    /// `view` with `package` declaring `decls` (when given).
    pub fn new(
        view: &'v dyn PackageLookup,
        package: &'v str,
        decls: Option<Arc<PackageDecls>>,
    ) -> CurrentFirst<'v> {
        CurrentFirst {
            view,
            package,
            decls,
        }
    }
}

impl PackageLookup for CurrentFirst<'_> {
    fn is_package(&self, package: &str) -> bool {
        (self.decls.is_some() && package == self.package) || self.view.is_package(package)
    }

    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>> {
        match &self.decls {
            Some(decls) if package == self.package => Some(decls.clone()),
            _ => self.view.decls(package),
        }
    }

    fn is_file(&self, path: &str) -> bool {
        self.view.is_file(path)
    }

    fn dir_entries(&self, dir: &str) -> Arc<[(String, bool)]> {
        self.view.dir_entries(dir)
    }

    fn bzl_globals(&self, path: &str) -> Option<Arc<BzlGlobals>> {
        self.view.bzl_globals(path)
    }

    fn is_nested_root(&self, dir: &str) -> bool {
        self.view.is_nested_root(dir)
    }

    fn repo_visibility(&self, name: &str) -> crate::workspace::resolve::RepoVisibility {
        self.view.repo_visibility(name)
    }

    fn repository(&self, name: &str) -> Option<Arc<dyn PackageLookup + Send + Sync>> {
        self.view.repository(name)
    }

    fn builds_another_repository(&self, package: &str) -> bool {
        self.view.builds_another_repository(package)
    }

    fn name_evidence(&self, package: &str, name: &str, current: &str) -> NameEvidence {
        self.view.name_evidence(package, name, current)
    }
}

/// The text between a one-quote string literal's quotes, when it holds no
/// escapes or prefix.
pub(crate) fn between_quotes(text: &str, literal: TextRange) -> Option<TextRange> {
    let raw = text.get(literal.start..literal.end)?;
    let value = crate::syntax::string_literal(raw)?;
    let quote = raw.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    (inner == value && !inner.contains(quote))
        .then(|| TextRange::new(literal.start + 1, literal.end - 1))
}

/// Absolute path of a workspace-relative one.
fn absolute(view: &dyn WorkspaceView, rel: &str) -> PathBuf {
    view.root().join(rel)
}
