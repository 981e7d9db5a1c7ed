//! The rc files Bazel reads for a workspace, in Bazel's order, with imports
//! spliced in place.
//!
//! Reading files is the caller's business: [`RcChain::load`] asks a
//! [`RcReader`] for each file, so the analysis core stays free of I/O (the
//! LSP layer reads open documents from memory and the rest from disk).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::file::{parse, LineKind, RcFile, WORKSPACE_PREFIX};
use super::lexer::Word;
use crate::text::TextRange;

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    NotFound,
    /// Exists but cannot be read (permissions, a directory, too large, ...).
    Unreadable(String),
}

/// A file's text and its parse.
#[derive(Clone, Debug)]
pub struct RcSource {
    pub text: Arc<str>,
    pub parsed: Arc<RcFile>,
}

impl RcSource {
    pub fn new(text: Arc<str>) -> RcSource {
        let parsed = Arc::new(parse(&text));
        RcSource { text, parsed }
    }
}

/// Supplies files to [`RcChain::load`]. Implementations may cache parses
/// (the LSP layer keeps one per file), so a keystroke in one file does not
/// re-lex the others.
pub trait RcReader {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError>;
}

impl<F: Fn(&Path) -> Result<Arc<str>, ReadError>> RcReader for F {
    fn read(&self, path: &Path) -> Result<RcSource, ReadError> {
        self(path).map(RcSource::new)
    }
}

/// Why a file is in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `/etc/bazel.bazelrc`.
    System,
    /// `%workspace%/.bazelrc`.
    Workspace,
    /// `~/.bazelrc`.
    Home,
    /// `--bazelrc=FILE`.
    Explicit,
    /// Imported by `file` at line index `line`.
    Import { file: FileId, line: usize },
}

/// A file the chain may read, with its origin. Missing system, workspace and
/// home files are skipped silently, as Bazel does.
#[derive(Clone, Debug)]
pub struct RcRoot {
    pub path: PathBuf,
    pub origin: Origin,
}

/// Index of a file in [`RcChain::files`].
pub type FileId = usize;

/// A file of the chain.
#[derive(Clone, Debug)]
pub struct ChainFile {
    pub path: PathBuf,
    /// The path to show users: relative to the workspace when inside it.
    pub display: String,
    pub origin: Origin,
    pub text: Arc<str>,
    pub parsed: Arc<RcFile>,
    pub lines: Arc<LineIndex>,
}

/// One option word filed under a key (`build`, `build:cuda`), in the order
/// Bazel's client hands options to the server.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Arc<str>,
    pub word: Word,
    pub file: FileId,
    /// Index of the line in the file's [`RcFile::lines`].
    pub line: usize,
}

/// What went wrong while reading the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainErrorKind {
    MissingImport,
    ImportCycle,
    InvalidImport,
    UnreadableFile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    pub kind: ChainErrorKind,
    pub message: String,
    /// The file and range to blame.
    pub file: FileId,
    pub range: TextRange,
}

/// How an import line resolved.
#[derive(Clone, Debug)]
pub struct ImportLink {
    pub file: FileId,
    pub line: usize,
    pub target: PathBuf,
    /// The imported file, when it was read.
    pub loaded: Option<FileId>,
}

/// The files of a workspace's rc chain and their options, in Bazel's order.
#[derive(Clone, Debug, Default)]
pub struct RcChain {
    pub workspace: Option<PathBuf>,
    pub files: Vec<ChainFile>,
    pub entries: Vec<Entry>,
    pub imports: Vec<ImportLink>,
    pub errors: Vec<ChainError>,
    by_key: HashMap<Arc<str>, Vec<usize>>,
}

/// Byte offsets of line starts, for turning offsets into line numbers.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The zero-based line of `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }
}

/// Imports nest at most this deep; deeper is treated as a cycle. Bazel has
/// no limit, but a chain this deep is always a mistake and recursion must
/// stay bounded.
const MAX_IMPORT_DEPTH: usize = 64;

impl RcChain {
    /// Reads `roots` in order, following imports depth first.
    pub fn load(workspace: Option<&Path>, roots: &[RcRoot], reader: &dyn RcReader) -> RcChain {
        let mut chain = RcChain {
            workspace: workspace.map(Path::to_path_buf),
            ..RcChain::default()
        };
        for root in roots {
            let source = match reader.read(&root.path) {
                Ok(source) => source,
                Err(ReadError::NotFound) if root.origin != Origin::Explicit => continue,
                Err(err) => {
                    // An explicit --bazelrc that is missing or unreadable is
                    // an error Bazel reports without a location.
                    let id = chain.add_file(
                        root.path.clone(),
                        root.origin.clone(),
                        RcSource::new("".into()),
                    );
                    chain.errors.push(ChainError {
                        kind: ChainErrorKind::UnreadableFile,
                        message: read_error_message(&root.path, &err),
                        file: id,
                        range: TextRange::empty(0),
                    });
                    continue;
                }
            };
            let mut stack = vec![normalize(&root.path)];
            chain.load_file(
                reader,
                root.path.clone(),
                root.origin.clone(),
                source,
                &mut stack,
            );
        }
        for (i, entry) in chain.entries.iter().enumerate() {
            chain.by_key.entry(entry.key.clone()).or_default().push(i);
        }
        chain
    }

    fn add_file(&mut self, path: PathBuf, origin: Origin, source: RcSource) -> FileId {
        let display = self.display_path(&path);
        let lines = Arc::new(LineIndex::new(&source.text));
        self.files.push(ChainFile {
            path,
            display,
            origin,
            text: source.text,
            parsed: source.parsed,
            lines,
        });
        self.files.len() - 1
    }

    fn load_file(
        &mut self,
        reader: &dyn RcReader,
        path: PathBuf,
        origin: Origin,
        source: RcSource,
        stack: &mut Vec<PathBuf>,
    ) {
        let id = self.add_file(path, origin, source);
        let parsed = self.files[id].parsed.clone();
        for (line_idx, line) in parsed.lines.iter().enumerate() {
            match &line.kind {
                LineKind::Options { .. } => {
                    for word in &line.args {
                        self.entries.push(Entry {
                            key: line.head.text.clone(),
                            word: word.clone(),
                            file: id,
                            line: line_idx,
                        });
                    }
                }
                LineKind::Import { optional, path } => {
                    let Some(path_word) = path else {
                        self.errors.push(ChainError {
                            kind: ChainErrorKind::InvalidImport,
                            message: format!(
                                "`{}` takes exactly one file name; Bazel rejects the whole rc file",
                                line.head.text
                            ),
                            file: id,
                            range: line.range,
                        });
                        continue;
                    };
                    let target = self.resolve_import(&path_word.text);
                    let key = normalize(&target);
                    let link = self.imports.len();
                    self.imports.push(ImportLink {
                        file: id,
                        line: line_idx,
                        target: target.clone(),
                        loaded: None,
                    });
                    if stack.contains(&key) || stack.len() >= MAX_IMPORT_DEPTH {
                        let mut cycle: Vec<String> =
                            stack.iter().map(|p| self.display_path(p)).collect();
                        cycle.push(self.display_path(&key));
                        self.errors.push(ChainError {
                            kind: ChainErrorKind::ImportCycle,
                            message: format!("Import loop detected: {}", cycle.join(" -> ")),
                            file: id,
                            range: path_word.range,
                        });
                        continue;
                    }
                    match reader.read(&target) {
                        Ok(source) => {
                            stack.push(key);
                            let child = self.files.len();
                            self.imports[link].loaded = Some(child);
                            self.load_file(
                                reader,
                                target,
                                Origin::Import {
                                    file: id,
                                    line: line_idx,
                                },
                                source,
                                stack,
                            );
                            stack.pop();
                        }
                        Err(ReadError::NotFound) if *optional => {}
                        Err(err) => {
                            if *optional && matches!(err, ReadError::Unreadable(_)) {
                                continue;
                            }
                            self.errors.push(ChainError {
                                kind: ChainErrorKind::MissingImport,
                                message: read_error_message(&target, &err),
                                file: id,
                                range: path_word.range,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Where an import path points: `%workspace%` is the workspace root;
    /// a relative path is taken from the workspace root (Bazel takes it from
    /// the directory bazel runs in, which is usually the root).
    pub fn resolve_import(&self, raw: &str) -> PathBuf {
        let base = self.workspace.clone().unwrap_or_default();
        if let Some(rest) = raw.strip_prefix(WORKSPACE_PREFIX) {
            let rest = rest.trim_start_matches('/');
            return base.join(rest);
        }
        let path = Path::new(raw);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        }
    }

    fn display_path(&self, path: &Path) -> String {
        if let Some(ws) = &self.workspace {
            if let Ok(rel) = normalize(path).strip_prefix(normalize(ws)) {
                return rel.to_string_lossy().into_owned();
            }
        }
        path.to_string_lossy().into_owned()
    }

    /// The entries filed under `key`, in order.
    pub fn entries_for<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// True when some file defines `cmd:name` for any command.
    pub fn defines_config(&self, name: &str) -> bool {
        self.config_names().any(|n| n == name)
    }

    /// Every config name defined in the chain, each once, in order of first
    /// definition. Sections without options count too.
    pub fn config_names(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::HashSet::new();
        self.files
            .iter()
            .flat_map(|f| f.parsed.config_definitions().map(|(name, _)| name))
            .filter(move |name| !name.is_empty() && seen.insert(*name))
    }

    /// Every `(file, line index)` whose head is `cmd:name`, for any command.
    pub fn config_sections<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (FileId, usize)> + 'a {
        self.files.iter().enumerate().flat_map(move |(id, f)| {
            f.parsed
                .config_definitions()
                .filter(move |(n, _)| *n == name)
                .map(move |(_, line)| (id, line))
        })
    }

    /// The file with this path, if it is in the chain.
    pub fn file_by_path(&self, path: &Path) -> Option<FileId> {
        let want = normalize(path);
        self.files.iter().position(|f| normalize(&f.path) == want)
    }

    /// `display:LINE` (one-based) for a range in a file.
    pub fn location(&self, file: FileId, offset: usize) -> String {
        let f = &self.files[file];
        format!("{}:{}", f.display, f.lines.line_of(offset) + 1)
    }
}

fn read_error_message(path: &Path, err: &ReadError) -> String {
    match err {
        ReadError::NotFound => format!("rc file `{}` does not exist", path.display()),
        ReadError::Unreadable(why) => format!("cannot read rc file `{}`: {why}", path.display()),
    }
}

/// Lexically normalises a path (`a/./b/../c` → `a/c`), without touching the
/// file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
