//! `bzls check`: the server's diagnostics for files on disk.

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use ropey::Rope;
use serde::Serialize;

use super::{CheckArgs, Format};
use crate::analysis::diagnostics::check_text;
use crate::analysis::rc::diagnostics::rc_diagnostics;
use crate::analysis::rc::RcContext;
use crate::analysis::DocumentSnapshot;
use crate::analysis::{Severity, MAX_ANALYSED_SIZE};
use crate::db::{AnalysisHost, FileKey};
use crate::host::flags::{cache_dir, choose, workspace_version};
use crate::host::index::WorkspaceIndex;
use crate::host::rc::{chain_for_file, DiskRcReader, OverlayReader, RcSelection};
use crate::host::walk::{find_workspace_root, read_bazelignore, walk, Problem, Walk};
use crate::host::workspace::workspace_of;
use crate::rc::chain::RcSource;
use crate::syntax::starlark_ast::STARLARK_STACK_SIZE;
use crate::syntax::FileKind;
use crate::text::{human_line_col, line_col_of, PositionEncoding};
use std::panic::AssertUnwindSafe;

/// One diagnostic, located for output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostic {
    /// Relative to the workspace root when under it, else absolute.
    pub file: String,
    /// 0-based line and UTF-16 column, as in LSP.
    pub start: (u32, u32),
    pub end: (u32, u32),
    /// 1-based line and character column, as compilers print them.
    pub human: (usize, usize),
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

#[derive(Default, Debug)]
pub struct CheckOutcome {
    pub diagnostics: Vec<FileDiagnostic>,
    pub problems: Vec<Problem>,
    pub files_checked: usize,
}

impl CheckOutcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Checks `paths` (files or directories); `root` is the workspace root that
/// output paths are relative to.
pub fn check_paths(root: &Path, paths: &[PathBuf]) -> CheckOutcome {
    let ignored = read_bazelignore(root);
    let mut found = Walk::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &ignored, &mut found);
        } else if let Some(kind) = FileKind::from_path(path) {
            found.files.push((path.clone(), kind));
        } else {
            tracing::info!(path = %path.display(), "not a Bazel file; skipped");
        }
    }
    found.files.sort();
    found.files.dedup();
    let results = check_files(root, &found.files);
    let mut outcome = CheckOutcome {
        problems: found.problems,
        ..CheckOutcome::default()
    };
    for result in results {
        match result {
            FileResult::Checked(diagnostics) => {
                outcome.files_checked += 1;
                outcome.diagnostics.extend(diagnostics);
            }
            FileResult::Skipped(problem) => outcome.problems.push(problem),
        }
    }
    outcome
}

enum FileResult {
    Checked(Vec<FileDiagnostic>),
    Skipped(Problem),
}

/// Checks files on worker threads with stacks large enough for
/// starlark_syntax; results come back in input order.
fn check_files(root: &Path, files: &[(PathBuf, FileKind)]) -> Vec<FileResult> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<FileResult>> = (0..files.len()).map(|_| None).collect();
    let collected: Vec<Vec<(usize, FileResult)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(STARLARK_STACK_SIZE)
                    .spawn_scoped(scope, || {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((path, kind)) = files.get(i) else {
                                break;
                            };
                            // One file's failure is that file's alone.
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                check_file(root, path, *kind)
                            }))
                            .unwrap_or_else(|payload| {
                                FileResult::Skipped(Problem {
                                    path: path.clone(),
                                    message: format!(
                                        "internal error while checking this file: {}",
                                        panic_text(payload.as_ref())
                                    ),
                                    io_failure: true,
                                })
                            });
                            done.push((i, result));
                        }
                        done
                    })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.ok())
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    tracing::error!("a check worker panicked");
                    Vec::new()
                })
            })
            .collect()
    });
    for (i, result) in collected.into_iter().flatten() {
        slots[i] = Some(result);
    }
    slots
        .into_iter()
        .zip(files)
        .map(|(slot, (path, _))| {
            slot.unwrap_or_else(|| {
                FileResult::Skipped(Problem {
                    path: path.clone(),
                    message: "internal error while checking this file".to_owned(),
                    io_failure: true,
                })
            })
        })
        .collect()
}

/// The message of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

fn display_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn check_file(root: &Path, path: &Path, kind: FileKind) -> FileResult {
    let skipped = |message: String, io_failure: bool| {
        FileResult::Skipped(Problem {
            path: path.to_path_buf(),
            message,
            io_failure,
        })
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_ANALYSED_SIZE as u64 => {
            return skipped(
                format!(
                    "skipped: {} bytes is over the {} MB limit",
                    meta.len(),
                    MAX_ANALYSED_SIZE / (1024 * 1024)
                ),
                false,
            )
        }
        Ok(_) => {}
        Err(err) => return skipped(format!("cannot read: {err}"), true),
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return skipped(format!("cannot read: {err}"), true),
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            return skipped(
                format!(
                    "skipped: not valid UTF-8 (byte offset {})",
                    err.utf8_error().valid_up_to()
                ),
                false,
            )
        }
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let diagnostics = match std::panic::catch_unwind(|| {
        if kind == FileKind::Bazelrc {
            check_rc(path, &text)
        } else {
            let mut diagnostics = check_text(kind, &file_name, &text);
            // Only a package's own BUILD file: `BUILD.foo.bazel` and
            // `foo.BUILD` are build files for other repositories, whose
            // labels mean something else.
            let own_build = crate::workspace::is_build_file_name(&file_name);
            if (kind == FileKind::Build && own_build) || kind == FileKind::Bzl {
                diagnostics.extend(check_labels(path, &text, kind));
            } else if matches!(kind, FileKind::Module | FileKind::Workspace) {
                diagnostics.extend(check_dialect_file(path, &text, kind));
            }
            diagnostics
        }
    }) {
        Ok(diagnostics) => diagnostics,
        Err(_) => return skipped("internal error while checking this file".to_owned(), true),
    };
    let rope = Rope::from_str(&text);
    let file = display_path(root, path);
    let located = diagnostics
        .into_iter()
        .map(|d| {
            let start = line_col_of(&rope, d.range.start, PositionEncoding::Utf16);
            let end = line_col_of(&rope, d.range.end, PositionEncoding::Utf16);
            FileDiagnostic {
                file: file.clone(),
                start: (start.line, start.col),
                end: (end.line, end.col),
                human: human_line_col(&rope, d.range.start),
                severity: d.severity,
                code: d.code.as_str(),
                message: d.message,
            }
        })
        .collect();
    FileResult::Checked(located)
}

/// The workspace indexes of this run, one per workspace root.
fn workspace_index(root: &Path) -> std::sync::Arc<WorkspaceIndex> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static INDEXES: OnceLock<Mutex<HashMap<PathBuf, Arc<WorkspaceIndex>>>> = OnceLock::new();
    let indexes = INDEXES.get_or_init(Default::default);
    if let Ok(map) = indexes.lock() {
        if let Some(index) = map.get(root) {
            return index.clone();
        }
    }
    let index = Arc::new(WorkspaceIndex::scan(root));
    if let Ok(mut map) = indexes.lock() {
        return map.entry(root.to_path_buf()).or_insert(index).clone();
    }
    index
}

/// The label diagnostics of a BUILD file (`BUILD`, `BUILD.bazel`) of a
/// workspace's main repository, and the `load()` diagnostics of a .bzl
/// file: from the analysis host's per-version analysis of the text, as the
/// server computes them for an open document, so the two cannot disagree.
/// The semantic checks of a MODULE.bazel or WORKSPACE file, with the
/// module extensions of its workspace when it is in one.
fn check_dialect_file(path: &Path, text: &str, kind: FileKind) -> Vec<crate::analysis::Diagnostic> {
    let tree = crate::syntax::parse_str(text);
    let rope = Rope::from_str(text);
    let check = |rules: &dyn crate::analysis::semantics::RuleLookup| {
        crate::analysis::semantics::semantic_diagnostics(kind, &tree, &rope, "", rules, None)
    };
    let path = crate::rc::chain::normalize(path);
    match crate::host::workspace::find_workspace_root(&path) {
        Some(root) if kind == FileKind::Module => {
            let index = workspace_index(&root);
            check(&crate::analysis::workspace::calls::ModuleFileLookup { view: &*index })
        }
        _ => check(&crate::analysis::semantics::NoRules),
    }
}

fn check_labels(path: &Path, text: &str, kind: FileKind) -> Vec<crate::analysis::Diagnostic> {
    let path = crate::rc::chain::normalize(path);
    let Some(root) = crate::host::workspace::find_workspace_root(&path) else {
        return Vec::new();
    };
    let index = workspace_index(&root);
    let Some(package) = index.package_of_file(&path) else {
        // A file the walk skipped (ignored directory) or outside packages.
        return Vec::new();
    };
    // A file with syntax errors is checked as the server checks it: the
    // strings of calls with an error in them are not read, and a BUILD
    // file's own package is open (see `open_when_broken`).
    let tree = crate::syntax::parse_str(text);
    let snapshot = DocumentSnapshot {
        kind,
        version: 0,
        generation: 0,
        rope: Rope::from_str(text),
        tree: Some(tree),
        nesting: 0,
        incremental: false,
    };
    let key = FileKey {
        path,
        package,
        is_build: kind == FileKind::Build,
    };
    let list = AnalysisHost::transient(&index, &key, &snapshot)
        .and_then(|analysis| analysis.label_diagnostics(&index, &key, &snapshot))
        .map(|list| list.to_vec())
        .unwrap_or_default();
    // A nested workspace's file is judged from the workspaces around it too.
    let enclosing = || {
        crate::db::nested::enclosing_roots(&root)
            .iter()
            .map(|outer| workspace_index(outer))
            .collect()
    };
    crate::db::nested::agreed_by_enclosing(list, &key.path, &root, &snapshot, &enclosing)
}

/// The diagnostics of an rc file, on the chain of the workspace around it
/// (the file's own text is the one given, already read).
fn check_rc(path: &Path, text: &str) -> Vec<crate::analysis::Diagnostic> {
    let path = crate::rc::chain::normalize(path);
    let workspace = workspace_of(&path, None);
    let disk = DiskRcReader::new();
    let overlays = std::collections::HashMap::from([(path.clone(), RcSource::new(text.into()))]);
    let reader = OverlayReader {
        overlays: &overlays,
        disk: &disk,
    };
    let version = workspace_version(workspace.as_deref());
    let Some((chain, file)) = chain_for_file(
        &path,
        workspace.as_deref(),
        &RcSelection::default(),
        &reader,
        version.as_ref().map(|v| v.triple()),
    ) else {
        return Vec::new();
    };
    let choice = choose(version.as_ref(), cache_dir().as_deref());
    let version = version.map(|v| v.raw);
    let ctx = RcContext {
        chain: &chain,
        db: choice.db,
        exact: choice.exact,
        version: version.as_deref(),
        file,
    };
    rc_diagnostics(&ctx)
}

#[derive(Serialize)]
struct JsonPosition {
    line: u32,
    character: u32,
}

#[derive(Serialize)]
struct JsonRange {
    start: JsonPosition,
    end: JsonPosition,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    range: JsonRange,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            eprintln!("bzls: cannot read the current directory: {err}");
            return ExitCode::from(2);
        }
    };
    let paths: Vec<PathBuf> = args.paths.iter().map(|p| absolute(&cwd, p)).collect();
    for (given, path) in args.paths.iter().zip(&paths) {
        if let Err(err) = std::fs::metadata(path) {
            eprintln!("bzls: {}: {err}", given.display());
            return ExitCode::from(2);
        }
    }
    let anchor = paths.first().cloned().unwrap_or_else(|| cwd.clone());
    let anchor_dir = if anchor.is_dir() {
        anchor.clone()
    } else {
        anchor
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_path_buf)
    };
    let root = find_workspace_root(&anchor_dir).unwrap_or(anchor_dir);
    let paths = if paths.is_empty() {
        vec![root.clone()]
    } else {
        paths
    };
    let outcome = check_paths(&root, &paths);

    let mut problems = outcome.problems.clone();
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    for problem in &problems {
        eprintln!(
            "bzls: warning: {}: {}",
            problem.path.display(),
            problem.message
        );
    }
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Text => write_text(&mut out, &outcome),
        Format::Json => write_json(&mut out, &outcome),
    };
    if let Err(err) = written.and_then(|()| out.flush()) {
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("bzls: cannot write the report: {err}");
            return ExitCode::from(2);
        }
    }
    if problems.iter().any(|p| p.io_failure) {
        ExitCode::from(2)
    } else if outcome.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_text(out: &mut impl Write, outcome: &CheckOutcome) -> std::io::Result<()> {
    for d in &outcome.diagnostics {
        writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            d.file,
            d.human.0,
            d.human.1,
            d.severity.as_str(),
            d.code,
            d.message
        )?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, outcome: &CheckOutcome) -> std::io::Result<()> {
    let list: Vec<JsonDiagnostic<'_>> = outcome
        .diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            file: &d.file,
            range: JsonRange {
                start: JsonPosition {
                    line: d.start.0,
                    character: d.start.1,
                },
                end: JsonPosition {
                    line: d.end.0,
                    character: d.end.1,
                },
            },
            severity: d.severity.as_str(),
            code: d.code,
            message: &d.message,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}
