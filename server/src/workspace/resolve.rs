//! Resolving a label to what it names, without running Bazel: a target
//! declared in a BUILD file, an output file, a source file, or nothing (with
//! Bazel's message). The workspace is asked through [`PackageLookup`], so
//! this stays pure.
//!
//! Never a false alarm: a label into another repository, or a missing name
//! in an *open* package (one a macro or loop may add to), is `Unknown`, not
//! an error.

use std::sync::Arc;

use super::bzl::BzlGlobals;
use super::label::{Label, Repo, Special};
use super::package::{PackageDecls, TargetDecl};

/// What resolution needs to know about the main repository.
pub trait PackageLookup {
    /// `package` (`""` is the root) has a BUILD file.
    fn is_package(&self, package: &str) -> bool;
    /// The declarations of `package`'s BUILD file.
    fn decls(&self, package: &str) -> Option<Arc<PackageDecls>>;
    /// A file (or directory) exists at this workspace-relative path.
    fn is_file(&self, path: &str) -> bool;
    /// The top-level bindings of the .bzl file at this workspace-relative
    /// path, or `None` when it cannot be read.
    fn bzl_globals(&self, _path: &str) -> Option<Arc<BzlGlobals>> {
        None
    }
    /// The directory holds a workspace of its own (`MODULE.bazel`,
    /// `WORKSPACE`, ...). Bazel treats it as a repository boundary when the
    /// outer workspace declares it as a local repository and as a plain
    /// package otherwise, so a label crossing into it is never an error.
    fn is_nested_root(&self, _dir: &str) -> bool {
        false
    }
    /// Whether `@name` is a repository the main repository can see.
    fn repo_visibility(&self, _name: &str) -> RepoVisibility {
        RepoVisibility::Undecidable
    }
    /// The BUILD file of `package` is used by a repository rule as another
    /// repository's BUILD file (`build_file = "//third_party/zlib:BUILD.bazel"`):
    /// its labels are that repository's, not the main repository's.
    fn builds_another_repository(&self, _package: &str) -> bool {
        false
    }
    /// The entries of a workspace-relative directory (`(name, is a
    /// directory)`), for near misses of file names; empty when unknown.
    fn dir_entries(&self, _dir: &str) -> Arc<[(String, bool)]> {
        Arc::from([])
    }
    /// The packages of repository `@name` (apparent name) when it is on
    /// disk; `None` when it is not (its labels are then unknown).
    fn repository(&self, _name: &str) -> Option<Arc<dyn PackageLookup + Send + Sync>> {
        None
    }
    /// What the BUILD files of the main repository say, through the labels
    /// they hold, of a target `name` of `package` that a label in a file of
    /// package `current` names (see [`NameEvidence`]). Nothing by default.
    fn name_evidence(&self, _package: &str, _name: &str, _current: &str) -> NameEvidence {
        NameEvidence::default()
    }
}

/// The labels of a workspace that builds name targets that exist: what
/// they say of one name of an open package, where bzls cannot list the
/// targets (see [`PackageLookup::name_evidence`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameEvidence {
    /// A BUILD file of a package other than the one asking names this very
    /// target: it is taken to exist.
    pub named_elsewhere: bool,
    /// Other names that labels give to targets of the package, one edit
    /// away from the name (by [`crate::suggest::one_edit_apart`]), that
    /// more packages use than use the name, one of them not the one
    /// asking. Names only the asking package uses are left out (one package
    /// using `bundle_cjs` and `bundle_mjs` names two targets), and so are
    /// names no more packages use than the name itself: a typo in one
    /// package must not make the right name in another look like one.
    pub near: Vec<String>,
}

/// Whether an apparent repository name is visible from the main repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepoVisibility {
    /// Declared, built in, or the main repository's own name.
    Visible,
    /// Not declared, but something may declare it (an open WORKSPACE,
    /// Bazel's WORKSPACE suffix, no MODULE.bazel or WORKSPACE to read).
    Undecidable,
    /// Declared nowhere.
    Unknown,
}

/// What a label names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A target a call declares (its `name`), or a file `exports_files`
    /// names.
    Target { package: String, decl: TargetDecl },
    /// An output file; `decl.generated_by` names its rule.
    OutputFile { package: String, decl: TargetDecl },
    /// A source file of the package.
    SourceFile { package: String, path: String },
    /// A special label (`//visibility:public`, `__pkg__`, ...).
    Special(Special),
    /// Cannot be decided statically (another repository, an open package).
    Unknown,
    /// Bazel would fail to find it.
    Unresolved(Unresolved),
}

/// Why a label points nowhere, in Bazel's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    Package {
        message: String,
    },
    Target {
        message: String,
        candidates: Vec<String>,
        /// A label of the package being checked (`current`) that no rule
        /// declares: Bazel takes the name for a source file of the package,
        /// and fails only when a build needs it (`missing input file`).
        input_file: bool,
    },
}

/// Resolves `label`, written in a file of package `current` of the main
/// repository. A label into another repository is resolved there when
/// [`PackageLookup::repository`] has it on disk (the packages of the
/// result are then that repository's), and is `Unknown` otherwise.
pub fn resolve(label: &Label, current: &str, lookup: &dyn PackageLookup) -> Resolution {
    if let Some(special) = label.special() {
        return Resolution::Special(special);
    }
    match &label.repo {
        Repo::Current | Repo::Main => resolve_in(label, current, lookup, ""),
        Repo::Apparent(name) => match lookup.repository(name) {
            Some(repository) => resolve_in(label, "", &*repository, &format!("@{name}")),
            None => Resolution::Unknown,
        },
        Repo::Canonical(_) => Resolution::Unknown,
    }
}

/// Resolves `label` in the repository `lookup` reads, whose labels are
/// shown with `repo` before `//` (`""` for the main repository).
fn resolve_in(label: &Label, current: &str, lookup: &dyn PackageLookup, repo: &str) -> Resolution {
    let package = label.package.as_deref().unwrap_or(current);
    if repo.is_empty() && package == "external" && !lookup.is_package(package) {
        // `//external:name`: a `bind()` of the WORKSPACE file.
        return Resolution::Unknown;
    }
    if !lookup.is_package(package) {
        let shown = if repo.is_empty() {
            package.to_string()
        } else {
            format!("{repo}//{package}")
        };
        return Resolution::Unresolved(Unresolved::Package {
            message: format!(
                "no such package '{shown}': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: {}",
                if package.is_empty() { "." } else { package }
            ),
        });
    }
    let decls = lookup.decls(package).unwrap_or_default();
    let name = label.name.as_str();
    if let Some(decl) = decls.target(name) {
        return if decl.generated_by.is_some() {
            Resolution::OutputFile {
                package: package.to_string(),
                decl: decl.clone(),
            }
        } else {
            Resolution::Target {
                package: package.to_string(),
                decl: decl.clone(),
            }
        };
    }
    // A file label must not reach into a subpackage.
    let mut dir = String::from(package);
    let segments: Vec<&str> = name.split('/').collect();
    for (i, segment) in segments.iter().enumerate().take(segments.len() - 1) {
        if !dir.is_empty() {
            dir.push('/');
        }
        dir.push_str(segment);
        if lookup.is_package(&dir) {
            if lookup.is_nested_root(&dir) {
                return Resolution::Unknown;
            }
            let rest = segments[i + 1..].join("/");
            return Resolution::Unresolved(Unresolved::Target {
                message: format!(
                    "Label '{repo}//{package}:{name}' is invalid because '{dir}' is a subpackage; perhaps you meant to put the colon here: '{repo}//{dir}:{rest}'?"
                ),
                candidates: vec![format!("{repo}//{dir}:{rest}")],
                input_file: false,
            });
        }
    }
    let path = if package.is_empty() {
        name.to_string()
    } else {
        format!("{package}/{name}")
    };
    if lookup.is_file(&path) {
        return Resolution::SourceFile {
            package: package.to_string(),
            path,
        };
    }
    // An open package may hold names nobody declares, but not a near miss
    // of one it has.
    let may_declare = decls.may_declare(name);
    let typo = if may_declare {
        let (dir, base) = match path.rsplit_once('/') {
            Some((dir, base)) => (dir, base),
            None => ("", path.as_str()),
        };
        let prefix = &name[..name.len() - base.len()];
        let entries = lookup.dir_entries(dir);
        // `sub/fiel.txt`: near the files of `sub`, or a target's name
        // (`node_modules/typscript`).
        let files: Vec<String> = entries
            .iter()
            .filter(|(_, is_dir)| !is_dir)
            .map(|(f, _)| format!("{prefix}{f}"))
            .collect();
        decls
            .near_miss(name, files.iter().map(String::as_str))
            .map(|near| (near, false))
            .or_else(|| {
                // Names the workspace's labels give the package's targets
                // are as good as declared (a tree that builds names only
                // targets that exist), unless this name is one of them.
                let evidence = lookup.name_evidence(package, name, current);
                if evidence.named_elsewhere {
                    return None;
                }
                // A name used elsewhere is evidence only if it is no typo
                // itself (of a declared name, or of a file).
                let plausible = evidence.near.iter().filter(|other| {
                    decls.may_declare(other)
                        && decls
                            .near_miss(other, files.iter().map(String::as_str))
                            .is_none()
                });
                decls
                    .near_miss(name, plausible.map(String::as_str))
                    .map(|near| (near, true))
            })
    } else {
        None
    };
    if (may_declare && typo.is_none())
        || (repo.is_empty() && package.is_empty() && name == "MODULE.bazel.lock")
    {
        // `MODULE.bazel.lock` is written by Bazel itself on the first build
        // (and usually not checked in).
        return Resolution::Unknown;
    }
    let mut candidates: Vec<String> =
        crate::suggest::did_you_mean(name, decls.targets.iter().map(|t| t.name.as_str()), 3)
            .into_iter()
            .map(str::to_string)
            .collect();
    if let Some((near, _)) = &typo {
        if !candidates.contains(near) {
            candidates.insert(0, near.clone());
        }
    }
    // Bazel makes every undeclared label of a package's own rules one of
    // its source files.
    let input_file = repo.is_empty() && label.package.as_deref().is_none_or(|p| p == current);
    let mut message = if input_file {
        format!("missing input file '//{package}:{name}'")
    } else {
        format!(
            "no such target '{repo}//{package}:{name}': target '{name}' not declared in package '{package}'"
        )
    };
    match typo {
        Some((near, false)) => message.push_str(&format!(
            " (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from '{near}')"
        )),
        Some((near, true)) => message.push_str(&format!(
            " (the package calls macros bzls cannot follow; other BUILD files name its target '{near}', one letter away)"
        )),
        None => {}
    }
    Resolution::Unresolved(Unresolved::Target {
        message,
        candidates,
        input_file,
    })
}

/// What a `load()` label names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadResolution {
    /// A .bzl file of the main repository (workspace-relative path).
    File(String),
    /// Another repository: cannot be decided here.
    Unknown,
    /// Bazel would fail to load it, with its message.
    Unresolved(String),
}

/// Resolves the label of a `load()` written in a file of package `current`.
pub fn resolve_load(label: &Label, current: &str, lookup: &dyn PackageLookup) -> LoadResolution {
    if !matches!(label.repo, Repo::Current | Repo::Main) {
        return LoadResolution::Unknown;
    }
    let package = label.package.as_deref().unwrap_or(current);
    let name = label.name.as_str();
    let shown = format!("//{package}:{name}");
    if !(name.ends_with(".bzl") || name.ends_with(".scl")) {
        return LoadResolution::Unresolved(format!(
            "The label must reference a file with extension '.bzl': '{shown}'"
        ));
    }
    if !lookup.is_package(package) {
        return LoadResolution::Unresolved(format!(
            "Unable to find package for {shown}: BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: {}",
            if package.is_empty() { "." } else { package }
        ));
    }
    let mut dir = String::from(package);
    let segments: Vec<&str> = name.split('/').collect();
    for segment in segments.iter().take(segments.len() - 1) {
        if !dir.is_empty() {
            dir.push('/');
        }
        dir.push_str(segment);
        if lookup.is_package(&dir) && !lookup.is_nested_root(&dir) {
            return LoadResolution::Unresolved(format!(
                "Label '{shown}' is invalid because '{dir}' is a subpackage"
            ));
        }
    }
    let path = if package.is_empty() {
        name.to_string()
    } else {
        format!("{package}/{name}")
    };
    if lookup.is_file(&path) {
        LoadResolution::File(path)
    } else {
        LoadResolution::Unresolved(format!("cannot load '{shown}': no such file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::label::parse_label;
    use crate::workspace::testing::Memory;

    fn ws() -> Memory {
        Memory::new(
            &[
                ("", "exports_files([\"LICENSE\"])\n"),
                (
                    "app",
                    "cc_binary(name = \"app\", srcs = [\"main.cc\"], deps = [\"//lib\"])\ngenrule(name = \"gen\", outs = [\"gen.h\"], cmd = \"\")\n",
                ),
                ("lib", "cc_library(name = \"lib\")\ncc_library(name = \"util\")\n"),
                ("lib/sub", "cc_library(name = \"sub\")\n"),
                ("macros", "load(\"//tools:m.bzl\", \"my_test\")\nmy_test(name = \"t\")\n"),
            ],
            &["LICENSE", "app/main.cc", "lib/data/x.txt", "lib/sub/y.txt"],
        )
    }

    fn resolved(text: &str, current: &str) -> Resolution {
        resolve(&parse_label(text).expect("label"), current, &ws())
    }

    #[test]
    fn targets_files_and_outputs() {
        assert!(
            matches!(resolved("//lib", "app"), Resolution::Target { decl, .. } if decl.name == "lib")
        );
        assert!(matches!(
            resolved("//lib:util", "app"),
            Resolution::Target { .. }
        ));
        assert!(matches!(
            resolved(":util", "lib"),
            Resolution::Target { .. }
        ));
        assert!(matches!(resolved("util", "lib"), Resolution::Target { .. }));
        assert!(
            matches!(resolved("main.cc", "app"), Resolution::SourceFile { path, .. } if path == "app/main.cc")
        );
        assert!(matches!(
            resolved("//lib:data/x.txt", "app"),
            Resolution::SourceFile { .. }
        ));
        assert!(
            matches!(resolved(":gen.h", "app"), Resolution::OutputFile { decl, .. } if decl.generated_by.as_deref() == Some("gen"))
        );
        assert!(matches!(
            resolved("//:LICENSE", "app"),
            Resolution::Target { .. }
        ));
        assert!(matches!(
            resolved("@//lib", "app"),
            Resolution::Target { .. }
        ));
    }

    #[test]
    fn unresolved_with_bazels_messages() {
        let Resolution::Unresolved(Unresolved::Target {
            message,
            candidates,
            input_file: false,
        }) = resolved("//lib:utill", "app")
        else {
            panic!("expected unresolved target");
        };
        assert_eq!(
            message,
            "no such target '//lib:utill': target 'utill' not declared in package 'lib'"
        );
        assert_eq!(candidates, vec!["util"]);
        // In the package's own BUILD file, Bazel takes it for a source file.
        for written in [":utill", "utill", "//lib:utill", "@//lib:utill"] {
            let Resolution::Unresolved(Unresolved::Target {
                message,
                candidates,
                input_file: true,
            }) = resolved(written, "lib")
            else {
                panic!("{written}: expected a missing input file");
            };
            assert_eq!(message, "missing input file '//lib:utill'");
            assert_eq!(candidates, vec!["util"]);
        }
        let Resolution::Unresolved(Unresolved::Package { message }) = resolved("//nope:x", "app")
        else {
            panic!("expected unresolved package");
        };
        assert!(
            message.starts_with("no such package 'nope': BUILD file not found"),
            "{message}"
        );
        let Resolution::Unresolved(Unresolved::Target {
            message,
            candidates,
            input_file: false,
        }) = resolved("//lib:sub/y.txt", "lib")
        else {
            panic!("expected a subpackage crossing");
        };
        assert!(message.contains("'lib/sub' is a subpackage"), "{message}");
        assert_eq!(candidates, vec!["//lib/sub:y.txt"]);
    }

    #[test]
    fn never_false_alarms() {
        assert_eq!(resolved("@other//x:y", "app"), Resolution::Unknown);
        assert_eq!(resolved("//external:zlib", "app"), Resolution::Unknown);
        assert_eq!(resolved("//:MODULE.bazel.lock", "app"), Resolution::Unknown);
        assert_eq!(
            resolved("//macros:t_lib", "app"),
            Resolution::Unknown,
            "open package"
        );
        assert_eq!(
            resolved("//visibility:public", "app"),
            Resolution::Special(Special::Visibility)
        );
        assert_eq!(
            resolved("//conditions:default", "app"),
            Resolution::Special(Special::ConditionsDefault)
        );
        assert_eq!(
            resolved("//lib:__pkg__", "app"),
            Resolution::Special(Special::PackageSpec)
        );
    }
}
