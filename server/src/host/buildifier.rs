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

use serde::Deserialize;

use super::programs::{is_executable, on_path, run_with_input};
use crate::diagnostic::LintWarning;
use crate::syntax::FileKind;
use crate::text::TextRange;

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

    /// A command that runs buildifier on a file of `file`'s kind and place.
    fn command(&self, file: &FileContext<'_>) -> Command {
        let mut command = Command::new(&self.path);
        command.arg(format!("-type={}", file_type(file.kind)));
        if let Some(path) = file.path_in_workspace {
            command.arg(format!("-path={path}"));
        }
        if let Some(root) = file.root {
            command.current_dir(root).env("PWD", root);
        }
        command
    }

    /// `text`, formatted as `file`.
    pub fn format(&self, text: &str, file: &FileContext<'_>) -> Result<String, FormatError> {
        let mut command = self.command(file);
        command.arg("-mode=fix");
        self.formatted(command, text)
    }

    /// `text` formatted, with the lint warnings of `category` fixed
    /// (`-lint=fix`), as [`Buildifier::format`] formats it.
    pub fn fix(
        &self,
        text: &str,
        file: &FileContext<'_>,
        category: &str,
    ) -> Result<String, FormatError> {
        let mut command = self.command(file);
        command
            .arg("-mode=fix")
            .arg("-lint=fix")
            .arg(format!("-warnings={category}"));
        self.formatted(command, text)
    }

    /// The lint warnings of `text` (`-lint=warn`), with `warnings` (as
    /// buildifier's `-warnings`: `all`, or a list like `+a,-b`) when given;
    /// none for a text that does not parse.
    pub fn lint(
        &self,
        text: &str,
        file: &FileContext<'_>,
        warnings: Option<&str>,
    ) -> Result<Vec<LintWarning>, FormatError> {
        let mut command = self.command(file);
        command
            .arg("-mode=check")
            .arg("-lint=warn")
            .arg("-format=json");
        if let Some(warnings) = warnings {
            command.arg(format!("-warnings={warnings}"));
        }
        let finished = run_with_input(command, text.as_bytes(), TIMEOUT, MAX_OUTPUT)
            .map_err(FormatError::Failed)?;
        if !matches!(finished.code, Some(0) | Some(4)) {
            return Err(FormatError::Failed(failure(&finished)));
        }
        let report: LintReport = serde_json::from_slice(&finished.stdout).map_err(|e| {
            FormatError::Failed(format!("buildifier's lint report is not as expected: {e}"))
        })?;
        let lines = LineStarts::new(text);
        Ok(report
            .files
            .into_iter()
            .filter(|file| file.valid)
            .flat_map(|file| file.warnings)
            .filter_map(|w| {
                let start = lines.offset(text, w.start.line, w.start.column)?;
                let end = lines.offset(text, w.end.line, w.end.column)?.max(start);
                Some(LintWarning {
                    range: TextRange::new(start, end),
                    category: w.category,
                    message: w.message.trim_end().to_string(),
                    url: w.url,
                    auto_fixable: w.auto_fixable,
                })
            })
            .collect())
    }

    /// Runs a command that prints a formatted text.
    fn formatted(&self, command: Command, text: &str) -> Result<String, FormatError> {
        let finished = run_with_input(command, text.as_bytes(), TIMEOUT, MAX_OUTPUT)
            .map_err(FormatError::Failed)?;
        match finished.code {
            // 4: lint warnings, when `.buildifier.json` turns lint on; the
            // formatted text is still printed.
            Some(0) | Some(4) => String::from_utf8(finished.stdout).map_err(|_| {
                FormatError::Failed("buildifier printed text that is not UTF-8".to_string())
            }),
            Some(1) => Err(FormatError::Syntax(
                String::from_utf8_lossy(&finished.stderr).trim().to_string(),
            )),
            _ => Err(FormatError::Failed(failure(&finished))),
        }
    }
}

/// Which file a text is: its kind, and where it lives.
#[derive(Clone, Copy, Debug)]
pub struct FileContext<'a> {
    pub kind: FileKind,
    /// The workspace root (buildifier runs there, and reads its
    /// `.buildifier.json`).
    pub root: Option<&'a Path>,
    /// The file's path in the workspace, `/`-separated.
    pub path_in_workspace: Option<&'a str>,
}

/// What a failed run said, for the user.
fn failure(finished: &super::programs::Finished) -> String {
    let stderr = String::from_utf8_lossy(&finished.stderr).trim().to_string();
    let how = finished.code.map_or("killed by a signal".to_string(), |c| {
        format!("exit code {c}")
    });
    format!("buildifier failed ({how}): {stderr}")
}

/// Buildifier's `-format=json` report.
#[derive(Deserialize)]
struct LintReport {
    #[serde(default)]
    files: Vec<LintFile>,
}

#[derive(Deserialize)]
struct LintFile {
    #[serde(default)]
    valid: bool,
    #[serde(default)]
    warnings: Vec<ReportedWarning>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportedWarning {
    start: ReportedPosition,
    end: ReportedPosition,
    category: String,
    message: String,
    url: Option<String>,
    #[serde(default)]
    auto_fixable: bool,
}

/// A 1-based line, and a 1-based column counted in characters.
#[derive(Deserialize)]
struct ReportedPosition {
    line: usize,
    column: usize,
}

/// The byte offsets where the lines of a text start.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts(starts)
    }

    /// The byte offset of 1-based `line`, 1-based character `column`
    /// (clamped to the line's end); `None` for a line past the text.
    fn offset(&self, text: &str, line: usize, column: usize) -> Option<usize> {
        let start = *self.0.get(line.checked_sub(1)?)?;
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = &text[start..end];
        let within = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
        Some(start + within)
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

    /// A file of `kind` outside any workspace.
    fn bare(kind: FileKind) -> FileContext<'static> {
        FileContext {
            kind,
            root: None,
            path_in_workspace: None,
        }
    }

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
            .format(
                "x",
                &FileContext {
                    kind: FileKind::Module,
                    root: Some(&dir.0),
                    path_in_workspace: Some("MODULE.bazel"),
                },
            )
            .expect("formatted");
        let root = dir.0.canonicalize().expect("root");
        assert_eq!(
            out,
            format!(
                "-type=module -path=MODULE.bazel -mode=fix\n{}\n",
                root.display()
            )
        );
    }

    #[test]
    fn exit_codes_mean_syntax_errors_warnings_and_failures() {
        let dir = TempDir::new("buildifier");
        let bin = fake(&dir, "cat; exit 4");
        assert_eq!(
            bin.format("a = 1\n", &bare(FileKind::Bzl)),
            Ok("a = 1\n".to_string())
        );
        let bin = fake(&dir, "echo '<stdin>:1:3: syntax error' >&2; exit 1");
        assert_eq!(
            bin.format("a = (\n", &bare(FileKind::Bzl)),
            Err(FormatError::Syntax("<stdin>:1:3: syntax error".to_string()))
        );
        let bin = fake(&dir, "echo boom >&2; exit 3");
        assert_eq!(
            bin.format("", &bare(FileKind::Build)),
            Err(FormatError::Failed(
                "buildifier failed (exit code 3): boom".to_string()
            ))
        );
    }

    #[test]
    fn lint_reports_become_warnings_at_character_columns() {
        let dir = TempDir::new("buildifier");
        let report = r#"{"success":false,"files":[{"filename":"<stdin>","valid":true,"warnings":[{"start":{"line":2,"column":3},"end":{"line":2,"column":4},"category":"load","actionable":true,"autoFixable":true,"message":"Loaded symbol \"x\" is unused.\n","url":"https://example.invalid/WARNINGS.md#load"},{"start":{"line":9,"column":1},"end":{"line":9,"column":2},"category":"past-the-end","message":"m"}]}]}"#;
        let bin = fake(
            &dir,
            &format!("cat >/dev/null; printf '%s\\n' '{report}'; exit 4"),
        );
        let text = "# 日本\n日本x = 1\n";
        let file = bare(FileKind::Bzl);
        let found = bin.lint(text, &file, None).expect("linted");
        let at = text.find('x').expect("x");
        assert_eq!(
            found,
            vec![LintWarning {
                range: TextRange::new(at, at + 1),
                category: "load".to_string(),
                message: "Loaded symbol \"x\" is unused.".to_string(),
                url: Some("https://example.invalid/WARNINGS.md#load".to_string()),
                auto_fixable: true,
            }]
        );
        let bin = fake(
            &dir,
            "cat >/dev/null; echo '{\"files\":[{\"valid\":false,\"warnings\":[]}]}'",
        );
        assert_eq!(bin.lint("def f(:\n", &file, None), Ok(Vec::new()));
        let bin = fake(&dir, "cat >/dev/null; echo 'not json'");
        assert!(matches!(
            bin.lint("", &file, None),
            Err(FormatError::Failed(_))
        ));
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
