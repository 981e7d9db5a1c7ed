//! Which kind of Bazel file a path names.

use std::path::Path;

/// The kinds of files bzls understands. Every kind but [`FileKind::Bazelrc`]
/// is Starlark; the kind selects the dialect rules that apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `BUILD`, `BUILD.bazel`, `*.BUILD`, `BUILD.*.bazel`.
    Build,
    /// `*.bzl`.
    Bzl,
    /// `WORKSPACE`, `WORKSPACE.bazel`, `WORKSPACE.bzlmod`.
    Workspace,
    /// `MODULE.bazel`.
    Module,
    /// `REPO.bazel`.
    Repo,
    /// `*.star`: plain Starlark, no Bazel dialect rules.
    Star,
    /// `.bazelrc`, `*.bazelrc`, `bazel.rc`.
    Bazelrc,
}

impl FileKind {
    /// Decides the kind from a file name alone, or `None` for files bzls does
    /// not handle.
    pub fn from_file_name(name: &str) -> Option<FileKind> {
        let kind = match name {
            "BUILD" | "BUILD.bazel" => FileKind::Build,
            "WORKSPACE" | "WORKSPACE.bazel" | "WORKSPACE.bzlmod" => FileKind::Workspace,
            "MODULE.bazel" => FileKind::Module,
            "REPO.bazel" => FileKind::Repo,
            ".bazelrc" | "bazel.rc" => FileKind::Bazelrc,
            _ if name.ends_with(".bzl") => FileKind::Bzl,
            _ if name.ends_with(".star") => FileKind::Star,
            _ if name.ends_with(".bazelrc") => FileKind::Bazelrc,
            // `foo.BUILD`, the build_file of an external repository.
            _ if name.len() > ".BUILD".len() && name.ends_with(".BUILD") => FileKind::Build,
            // `BUILD.foo.bazel`, likewise.
            _ if name.len() > "BUILD..bazel".len()
                && name.starts_with("BUILD.")
                && name.ends_with(".bazel") =>
            {
                FileKind::Build
            }
            _ => return None,
        };
        Some(kind)
    }

    /// Decides the kind from a path's last component.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        FileKind::from_file_name(path.file_name()?.to_str()?)
    }

    /// The kind for a document the client opened with `language_id` at
    /// `path`: the file name decides when it can, else the language id
    /// (`starlark`, `bzl` or `bazelrc`).
    pub fn for_document(path: Option<&Path>, language_id: &str) -> Option<FileKind> {
        if let Some(kind) = path.and_then(FileKind::from_path) {
            return Some(kind);
        }
        match language_id {
            "starlark" | "bzl" | "bazel" => Some(FileKind::Star),
            "bazelrc" => Some(FileKind::Bazelrc),
            _ => None,
        }
    }

    /// True for every kind parsed as Starlark.
    pub fn is_starlark(self) -> bool {
        self != FileKind::Bazelrc
    }

    /// The name users know the kind by, as used in messages.
    pub fn display_name(self) -> &'static str {
        match self {
            FileKind::Build => "BUILD files",
            FileKind::Bzl => ".bzl files",
            FileKind::Workspace => "WORKSPACE files",
            FileKind::Module => "MODULE.bazel files",
            FileKind::Repo => "REPO.bazel files",
            FileKind::Star => "Starlark files",
            FileKind::Bazelrc => "bazelrc files",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileKind::{self, *};

    #[test]
    fn kinds_by_file_name() {
        let cases: &[(&str, Option<FileKind>)] = &[
            ("BUILD", Some(Build)),
            ("BUILD.bazel", Some(Build)),
            ("zlib.BUILD", Some(Build)),
            ("BUILD.zlib.bazel", Some(Build)),
            ("defs.bzl", Some(Bzl)),
            ("WORKSPACE", Some(Workspace)),
            ("WORKSPACE.bazel", Some(Workspace)),
            ("WORKSPACE.bzlmod", Some(Workspace)),
            ("MODULE.bazel", Some(Module)),
            ("REPO.bazel", Some(Repo)),
            ("rules.star", Some(Star)),
            (".bazelrc", Some(Bazelrc)),
            ("user.bazelrc", Some(Bazelrc)),
            ("bazel.rc", Some(Bazelrc)),
            (".BUILD", None),
            ("BUILD.txt", None),
            ("BUILD..bazel", None),
            ("build", None),
            ("main.cc", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(FileKind::from_file_name(name), *want, "{name}");
        }
    }

    #[test]
    fn language_id_is_a_fallback() {
        use std::path::Path;
        assert_eq!(
            FileKind::for_document(Some(Path::new("/x/BUILD")), "plaintext"),
            Some(Build)
        );
        assert_eq!(
            FileKind::for_document(Some(Path::new("/x/untitled")), "starlark"),
            Some(Star)
        );
        assert_eq!(FileKind::for_document(None, "bzl"), Some(Star));
        assert_eq!(FileKind::for_document(None, "bazelrc"), Some(Bazelrc));
        assert_eq!(
            FileKind::for_document(Some(Path::new("/x/a.py")), "python"),
            None
        );
    }
}
