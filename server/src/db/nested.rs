//! A file inside a nested workspace (a directory below a workspace root
//! with its own MODULE.bazel, WORKSPACE or REPO.bazel) is read by Bazel
//! from more than one workspace: run in the nested one, its labels are the
//! nested root's; run in an enclosing one whose packages include the file
//! (an empty WORKSPACE in a package the outer workspace builds, or an
//! example workspace the outer one does not `.bazelignore`), they are the
//! outer root's. A label is reported only when it is unresolved from every
//! one of them.

use std::path::Path;
use std::sync::Arc;

use super::{AnalysisHost, FileKey};
use crate::analysis::{Diagnostic, DocumentSnapshot};
use crate::diagnostic::DiagnosticCode;
use crate::hash::FastMap;
use crate::host::index::WorkspaceIndex;
use crate::syntax::FileKind;
use crate::text::TextRange;

/// The enclosing workspace roots of `nested` (strict ancestors holding a
/// root marker), nearest first.
pub fn enclosing_roots(nested: &Path) -> Vec<std::path::PathBuf> {
    nested
        .ancestors()
        .skip(1)
        .filter(|dir| {
            crate::host::workspace::ROOT_MARKERS
                .iter()
                .any(|m| dir.join(m).is_file())
        })
        .map(Path::to_path_buf)
        .collect()
}

/// Keeps of `diagnostics` (computed for the file at `path` from its own,
/// nested workspace `nested_root`) the resolution errors that every
/// enclosing workspace (the indexes `enclosing` gives, asked only when
/// there is such an error) whose packages include the file reports too,
/// at the same place; other diagnostics are kept as they are. Where the
/// nested workspace finds no package and an enclosing one finds the
/// package but not the target, the enclosing one's diagnostic (with its
/// "did you mean" fixes) is the one kept.
/// An enclosing workspace that does not include the file (it stops at the
/// nested root, or `.bazelignore` cuts the directory off) has no say.
pub fn agreed_by_enclosing(
    diagnostics: Vec<Diagnostic>,
    path: &Path,
    nested_root: &Path,
    snapshot: &DocumentSnapshot,
    enclosing: &dyn Fn() -> Vec<Arc<WorkspaceIndex>>,
) -> Vec<Diagnostic> {
    if !diagnostics.iter().any(|d| d.code.is_resolution()) {
        return diagnostics;
    }
    let mut diagnostics = diagnostics;
    for outer in enclosing() {
        let Some(unresolved) = unresolved_from(&outer, path, nested_root, snapshot) else {
            continue;
        };
        diagnostics.retain(|d| !d.code.is_resolution() || unresolved.contains_key(&d.range));
        for d in &mut diagnostics {
            if let Some(outer) = unresolved.get(&d.range) {
                let finds_package = matches!(
                    outer.code,
                    DiagnosticCode::UnresolvedTarget | DiagnosticCode::MissingInputFile
                );
                if d.code == DiagnosticCode::UnresolvedPackage && finds_package {
                    *d = outer.clone();
                }
            }
        }
    }
    diagnostics
}

/// The package of the file at `path` (of the nested workspace at
/// `nested_root`) as the enclosing workspace `outer` sees it; `None` when
/// `outer`'s packages do not include the file (its walk stopped, or
/// `.bazelignore` cut the directory off).
pub fn package_in(
    outer: &WorkspaceIndex,
    path: &Path,
    nested_root: &Path,
    is_build: bool,
) -> Option<String> {
    let rel = path.strip_prefix(outer.root()).ok()?;
    let package = if is_build {
        let dir = rel.parent()?.to_str()?;
        crate::workspace::resolve::PackageLookup::is_package(outer, dir).then(|| dir.to_string())?
    } else {
        outer.package_of(rel.to_str()?)?
    };
    // The package must be one of the nested workspace's own directories
    // (not a package of the outer root around it).
    outer
        .root()
        .join(&package)
        .starts_with(nested_root)
        .then_some(package)
}

/// Where the file's labels are unresolved from `outer`; `None` when
/// `outer`'s packages do not include the file.
fn unresolved_from(
    outer: &WorkspaceIndex,
    path: &Path,
    nested_root: &Path,
    snapshot: &DocumentSnapshot,
) -> Option<FastMap<TextRange, Diagnostic>> {
    let is_build = snapshot.kind == FileKind::Build;
    let package = package_in(outer, path, nested_root, is_build)?;
    let key = FileKey {
        path: path.to_path_buf(),
        package,
        is_build,
    };
    let list =
        AnalysisHost::transient(outer, &key, snapshot)?.label_diagnostics(outer, &key, snapshot)?;
    Some(
        list.iter()
            .filter(|d| d.code.is_resolution())
            .map(|d| (d.range, d.clone()))
            .collect(),
    )
}
