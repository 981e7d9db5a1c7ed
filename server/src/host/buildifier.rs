//! Buildifier, the formatter every Bazel user already runs: found through
//! the `bzls.buildifier.path` setting or on `PATH`, and run on the text of
//! a document (never on the file: the editor's buffer is what is
//! formatted, and bzls never writes user files).
//!
//! Buildifier runs in the document's workspace root, so it reads the
//! workspace's `.buildifier.json` as it does on the command line; `-path`
//! tells it where the file lives (some formatting depends on it) and
//! `-type` what kind of file it is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::programs::{is_executable, on_path, run_with_input};
use crate::syntax::FileKind;

/// How long one run may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The most output read from one run.
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

/// A buildifier binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buildifier {
    pub path: PathBuf,
}

/// Why a file was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The text does not parse (the file's syntax diagnostics say where).
    Syntax(String),
    /// Buildifier is missing, or it failed; in words for the user.
    Failed(String),
}

impl Buildifier {
    /// The binary `configured` names (a path, or a name looked up on
    /// `PATH`), else `buildifier` on `PATH`. `Err` says, for the user, what
    /// was looked for.
    pub fn locate(configured: Option<&Path>) -> Result<Buildifier, String> {
        let found = match configured {
            Some(path) if path.components().count() > 1 => {
                is_executable(path).then(|| path.to_path_buf())
            }
            Some(name) => on_path(&name.to_string_lossy()),
            None => on_path("buildifier"),
        };
        found.map(|path| Buildifier { path }).ok_or_else(|| match configured {
            Some(path) => format!(
                "buildifier not found: bzls.buildifier.path is {:?}, which is not an executable file",
                path.display().to_string()
            ),
            None => "buildifier not found on PATH; install it (e.g. `npm install -g @bazel/buildifier`) or set bzls.buildifier.path".to_string(),
        })
    }

    /// `text`, formatted as a file of `kind` at `path_in_workspace` (`/`
    /// separated) of the workspace at `root`.
    pub fn format(
        &self,
        text: &str,
        kind: FileKind,
        root: Option<&Path>,
        path_in_workspace: Option<&str>,
    ) -> Result<String, FormatError> {
        let mut command = Command::new(&self.path);
        command
            .arg("-mode=fix")
            .arg(format!("-type={}", file_type(kind)));
        if let Some(path) = path_in_workspace {
            command.arg(format!("-path={path}"));
        }
        if let Some(root) = root {
            command.current_dir(root).env("PWD", root);
        }
        let finished = run_with_input(command, text.as_bytes(), TIMEOUT, MAX_OUTPUT)
            .map_err(FormatError::Failed)?;
        let stderr = String::from_utf8_lossy(&finished.stderr).trim().to_string();
        match finished.code {
            // 4: lint warnings, when `.buildifier.json` turns lint on; the
            // formatted text is still printed.
            Some(0) | Some(4) => String::from_utf8(finished.stdout).map_err(|_| {
                FormatError::Failed("buildifier printed text that is not UTF-8".to_string())
            }),
            Some(1) => Err(FormatError::Syntax(stderr)),
            code => Err(FormatError::Failed(format!(
                "buildifier failed ({}): {stderr}",
                code.map_or("killed by a signal".to_string(), |c| format!(
                    "exit code {c}"
                ))
            ))),
        }
    }
}

/// Buildifier's `-type` for a kind of Starlark file.
fn file_type(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Build => "build",
        FileKind::Bzl => "bzl",
        FileKind::Workspace => "workspace",
        FileKind::Module => "module",
        _ => "default",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::TempDir;
    use std::os::unix::fs::PermissionsExt;

    /// A fake buildifier: a shell script.
    fn fake(dir: &TempDir, script: &str) -> Buildifier {
        let path = dir.0.join("buildifier");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Buildifier { path }
    }

    #[test]
    fn arguments_and_working_directory() {
        let dir = TempDir::new("buildifier");
        let bin = fake(&dir, "cat >/dev/null; echo \"$@\"; pwd");
        let out = bin
            .format("x", FileKind::Module, Some(&dir.0), Some("MODULE.bazel"))
            .expect("formatted");
        let root = dir.0.canonicalize().expect("root");
        assert_eq!(
            out,
            format!(
                "-mode=fix -type=module -path=MODULE.bazel\n{}\n",
                root.display()
            )
        );
    }

    #[test]
    fn exit_codes_mean_syntax_errors_warnings_and_failures() {
        let dir = TempDir::new("buildifier");
        let bin = fake(&dir, "cat; exit 4");
        assert_eq!(
            bin.format("a = 1\n", FileKind::Bzl, None, None),
            Ok("a = 1\n".to_string())
        );
        let bin = fake(&dir, "echo '<stdin>:1:3: syntax error' >&2; exit 1");
        assert_eq!(
            bin.format("a = (\n", FileKind::Bzl, None, None),
            Err(FormatError::Syntax("<stdin>:1:3: syntax error".to_string()))
        );
        let bin = fake(&dir, "echo boom >&2; exit 3");
        assert_eq!(
            bin.format("", FileKind::Build, None, None),
            Err(FormatError::Failed(
                "buildifier failed (exit code 3): boom".to_string()
            ))
        );
    }

    #[test]
    fn locating_says_what_was_looked_for() {
        let err = Buildifier::locate(Some(Path::new("/does/not/buildifier"))).expect_err("missing");
        assert!(
            err.contains("bzls.buildifier.path is \"/does/not/buildifier\""),
            "{err}"
        );
        let dir = TempDir::new("buildifier");
        let bin = fake(&dir, "true");
        assert_eq!(Buildifier::locate(Some(&bin.path)), Ok(bin.clone()));
    }
}
