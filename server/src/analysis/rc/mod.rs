//! IDE features for `.bazelrc` files, computed on the rc model
//! ([`crate::rc`]) and the flag database ([`crate::flags`]).
//!
//! Every feature takes an [`RcContext`]: the workspace's rc chain, the
//! database that answers for the Bazel version in use, and the file the
//! request is about. Results are plain data in byte offsets; locations in
//! other files carry the file's id in the chain.

pub mod completion;
pub mod configs;
pub mod diagnostics;
pub mod hover;
pub mod labels;
pub mod navigation;
pub mod symbols;

use std::path::PathBuf;

use crate::flags::{FlagDb, FlagInfo};
use crate::rc::chain::{FileId, RcChain};
use crate::rc::file::{LineKind, COMMON, STARTUP};
use crate::rc::lexer::Word;
use crate::rc::options::{parse_args_from, ArgKind, FlagArg};
use crate::rc::schema::AliasedSchema;
use crate::rc::FlagSchema;
use crate::text::TextRange;

/// What a request about one rc file needs.
#[derive(Clone, Copy)]
pub struct RcContext<'a> {
    pub chain: &'a RcChain,
    pub db: &'a FlagDb,
    /// The database is for the Bazel version in use (else unknown flags are
    /// only hints).
    pub exact: bool,
    /// The Bazel version in use, when known.
    pub version: Option<&'a str>,
    pub file: FileId,
}

/// A range in some file of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub file: FileId,
    pub path: PathBuf,
    pub range: TextRange,
}

impl RcContext<'_> {
    pub fn text(&self) -> &str {
        &self.chain.files[self.file].text
    }

    pub fn file_range(&self, file: FileId, range: TextRange) -> FileRange {
        FileRange {
            file,
            path: self.chain.files[file].path.clone(),
            range,
        }
    }

    /// "Bazel 7.1.0" or "Bazel 7.1.0 (closest to 7.4.1)".
    pub fn db_label(&self) -> String {
        match (self.exact, self.version) {
            (false, Some(v)) => format!("Bazel {} (closest to {v})", self.db.version()),
            _ => format!("Bazel {}", self.db.version()),
        }
    }

    /// The flag database entry for a parsed flag.
    pub fn info(&self, flag: &FlagArg) -> Option<&FlagInfo> {
        flag.shape.as_ref().and_then(|s| self.db.get(&s.name))
    }
}

/// One argument of a line of the file, as Bazel parses it.
#[derive(Clone, Debug)]
pub struct LineArg<'a> {
    /// The line's index in the file.
    pub line: usize,
    /// The key the line files options under (`build`, `build:cuda`).
    pub key: &'a str,
    /// The command part of the key.
    pub command: &'a str,
    /// The word (the flag, or the residue word).
    pub word: &'a Word,
    /// The next word, when the flag took it as its value.
    pub value_word: Option<&'a Word>,
    /// `None` for residue words and the `--` separator.
    pub flag: Option<FlagArg>,
}

/// Calls `visit` with every argument of every options line of `ctx.file`,
/// parsed chunk by chunk as Bazel parses them (a chunk is the run of one
/// key's options from one file, so a value may come from a later line).
/// Arguments come grouped by key, not in text order.
pub fn for_each_arg<'a>(ctx: &RcContext<'a>, mut visit: impl FnMut(LineArg<'a>)) {
    let chain = ctx.chain;
    let aliased = AliasedSchema {
        inner: ctx.db,
        aliases: chain.flag_aliases(),
    };
    let schema: &dyn FlagSchema = &aliased;
    let ending = chain.configs_ending_options();
    let ends_options = |flag: &FlagArg| {
        flag.canonical_name() == "config"
            && flag.value.as_deref().is_some_and(|v| ending.contains(v))
    };
    let mut keys: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in &chain.files[ctx.file].parsed.lines {
        if let Some(key) = line.key() {
            if seen.insert(key) {
                keys.push(key);
            }
        }
    }
    let mut texts: Vec<&str> = Vec::new();
    for key in keys {
        let command = key.split(':').next().unwrap_or(key);
        // A config's sections are parsed as one list (its expansion), so a
        // `--` carries on into later chunks; plain sections chunk by chunk.
        let is_config = key.contains(':');
        let mut residue_only = false;
        let entries: Vec<_> = chain.entries_for(key).collect();
        let mut start = 0;
        while start < entries.len() {
            let file = entries[start].file;
            let end = entries[start..]
                .iter()
                .position(|e| e.file != file)
                .map_or(entries.len(), |n| start + n);
            if !is_config {
                residue_only = false;
            }
            let chunk = &entries[start..end];
            texts.clear();
            texts.extend(chunk.iter().map(|e| &*e.word.text));
            let parsed_chunk = parse_args_from(schema, &texts, &mut residue_only, &ends_options);
            if file == ctx.file {
                for parsed in parsed_chunk {
                    let entry = chunk[parsed.index];
                    let flag = match parsed.kind {
                        ArgKind::Flag(flag) => Some(flag),
                        ArgKind::Residue | ArgKind::Separator => None,
                    };
                    visit(LineArg {
                        line: entry.line,
                        key,
                        command,
                        word: &entry.word,
                        value_word: parsed.value_index.map(|i| &chunk[i].word),
                        flag,
                    });
                }
            }
            start = end;
        }
    }
}

/// The config name a `--config=NAME` word names, with the range of the name
/// when the word is plain text.
pub fn config_reference(word: &Word, source: &str) -> Option<(String, TextRange)> {
    let value = word.text.strip_prefix("--config=")?;
    let range = if word.is_plain(source) {
        TextRange::new(word.range.start + "--config=".len(), word.range.end)
    } else {
        word.range
    };
    Some((value.to_string(), range))
}

/// Commands an rc line may start with besides Bazel's commands.
pub const PSEUDO_COMMANDS: &[&str] = &[COMMON, crate::rc::file::ALWAYS, STARTUP];

/// True when `command` may head an rc line under this database.
pub fn is_known_command(db: &FlagDb, command: &str) -> bool {
    PSEUDO_COMMANDS.contains(&command) || db.commands().iter().any(|c| c == command)
}

/// True when the line at `line` is an options line.
pub fn is_options_line(ctx: &RcContext<'_>, line: usize) -> bool {
    matches!(
        ctx.chain.files[ctx.file]
            .parsed
            .lines
            .get(line)
            .map(|l| &l.kind),
        Some(LineKind::Options { .. })
    )
}

pub use crate::suggest::did_you_mean;

#[cfg(test)]
mod tests;
