//! The rc files Bazel reads for a workspace, in Bazel's order, with imports
//! spliced in place.
//!
//! Reading files is the caller's business: [`RcChain::load`] asks a
//! [`RcReader`] for each file, so the analysis core stays free of I/O (the
//! LSP layer reads open documents from memory and the rest from disk).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::file::{parse, version_condition_holds, LineKind, RcFile, WORKSPACE_PREFIX};
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
    /// The Bazel version the chain was read for, if known.
    pub bazel_version: Option<[u32; 3]>,
    pub files: Vec<ChainFile>,
    pub entries: Vec<Entry>,
    pub imports: Vec<ImportLink>,
    pub errors: Vec<ChainError>,
    /// Key → index into `key_entries`.
    by_key: crate::hash::FastMap<Arc<str>, usize>,
    /// The entries of each key, in order.
    key_entries: Vec<Vec<usize>>,
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
        RcChain::load_for(workspace, roots, reader, None)
    }

    /// [`RcChain::load`] for a known Bazel version (major, minor, patch),
    /// which decides `try-import-if-bazel-version` lines. Without one, such
    /// imports are read (the configs they define count as defined).
    pub fn load_for(
        workspace: Option<&Path>,
        roots: &[RcRoot],
        reader: &dyn RcReader,
        version: Option<[u32; 3]>,
    ) -> RcChain {
        let mut chain = RcChain {
            workspace: workspace.map(Path::to_path_buf),
            bazel_version: version,
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
        // Consecutive entries of one line share their key: hash once a line.
        let mut last: Option<(Arc<str>, usize)> = None;
        for (i, entry) in chain.entries.iter().enumerate() {
            let list = match &last {
                Some((key, list)) if Arc::ptr_eq(key, &entry.key) => *list,
                _ => {
                    let next = chain.key_entries.len();
                    let list = *chain.by_key.entry(entry.key.clone()).or_insert(next);
                    if list == next {
                        chain.key_entries.push(Vec::new());
                    }
                    last = Some((entry.key.clone(), list));
                    list
                }
            };
            chain.key_entries[list].push(i);
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
                LineKind::Import {
                    optional,
                    path,
                    condition,
                } => {
                    if let (Some(condition), Some(version)) = (condition, self.bazel_version) {
                        if version_condition_holds(&condition.text, version) == Some(false) {
                            continue;
                        }
                    }
                    let Some(path_word) = path else {
                        self.errors.push(ChainError {
                            kind: ChainErrorKind::InvalidImport,
                            message: if &*line.head.text == super::file::TRY_IMPORT_IF_VERSION {
                                format!(
                                    "`{}` takes a version condition (`>=8.0.0`) and a file name; Bazel rejects the whole rc file",
                                    line.head.text
                                )
                            } else {
                                format!(
                                    "`{}` takes exactly one file name; Bazel rejects the whole rc file",
                                    line.head.text
                                )
                            },
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
                            let mut message = read_error_message(&target, &err);
                            let raw = Path::new(&*path_word.text);
                            if raw.is_relative() && !path_word.text.starts_with(WORKSPACE_PREFIX) {
                                // Bazel reads relative paths from the directory
                                // it runs in, not from the importing file's.
                                let beside = self.files[id].path.parent().map(|d| d.join(raw));
                                if let Some(beside) = beside.filter(|b| reader.read(b).is_ok()) {
                                    let shown = self.display_path(&beside);
                                    message.push_str(&format!(
                                        ". Bazel resolves a relative import from the directory it runs in, not from this file; `{shown}` exists: write `%workspace%/{shown}`"
                                    ));
                                }
                            }
                            self.errors.push(ChainError {
                                kind: ChainErrorKind::MissingImport,
                                message,
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
            .map(|&list| self.key_entries[list].as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.entries[i])
    }

    /// Every key some option is filed under (`build`, `build:cuda`), each
    /// once, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(|k| &**k)
    }

    /// The names `--flag_alias=NAME=LABEL` defines anywhere in the chain.
    pub fn flag_aliases(&self) -> crate::hash::FastSet<String> {
        let mut out = crate::hash::FastSet::default();
        let mut previous_was_flag = false;
        for entry in &self.entries {
            let text = &*entry.word.text;
            let value = text
                .strip_prefix("--flag_alias=")
                .or_else(|| previous_was_flag.then_some(text));
            if let Some((name, _)) = value.and_then(|v| v.split_once('=')) {
                out.insert(name.to_string());
            }
            previous_was_flag = text == "--flag_alias";
        }
        out
    }

    /// The configs whose expansion reaches a lone `--` (in their own
    /// sections or a nested config's), after which Bazel reads every word as
    /// a target pattern. One pass over the entries.
    pub fn configs_ending_options(&self) -> crate::hash::FastSet<&str> {
        use crate::hash::{FastMap, FastSet};
        let mut ending: FastSet<&str> = FastSet::default();
        // nested config -> the configs that use it
        let mut used_by: FastMap<&str, Vec<&str>> = FastMap::default();
        for entry in &self.entries {
            let Some((_, name)) = entry.key.split_once(':') else {
                continue;
            };
            let text = &*entry.word.text;
            if text == "--" {
                ending.insert(name);
            } else if let Some(nested) = text.strip_prefix("--config=") {
                used_by.entry(nested).or_default().push(name);
            }
        }
        let mut stack: Vec<&str> = ending.iter().copied().collect();
        while let Some(config) = stack.pop() {
            for &user in used_by.get(config).into_iter().flatten() {
                if ending.insert(user) {
                    stack.push(user);
                }
            }
        }
        ending
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
