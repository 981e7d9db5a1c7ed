//! Go-to-definition, references and rename for config names, and import
//! paths, across every file of the rc chain.

use super::{config_reference, FileRange, RcContext};
use crate::rc::chain::FileId;
use crate::rc::file::LineKind;
use crate::rc::lexer::Word;
use crate::text::TextRange;

/// What the cursor is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A config name, in a `cmd:NAME` head or a `--config` value.
    Config { name: String, range: TextRange },
    /// The path of an import line.
    Import { line: usize, range: TextRange },
}

/// The config name or import path at `offset`.
pub fn target_at(ctx: &RcContext<'_>, offset: usize) -> Option<Target> {
    let text = ctx.text();
    let file = &ctx.chain.files[ctx.file];
    let line_idx = file.parsed.line_at(offset)?;
    let line = &file.parsed.lines[line_idx];
    match &line.kind {
        LineKind::Import {
            path: Some(path), ..
        } if path.range.contains_offset(offset) => {
            return Some(Target::Import {
                line: line_idx,
                range: path.range,
            });
        }
        LineKind::Import { .. } => return None,
        LineKind::Options { config, .. } => {
            if let (Some(name), Some(range)) = (config, line.config_range(text)) {
                if range.contains_offset(offset) {
                    return Some(Target::Config {
                        name: name.clone(),
                        range,
                    });
                }
            }
        }
    }
    for (i, word) in line.args.iter().enumerate() {
        if !word.range.contains_offset(offset) {
            continue;
        }
        if let Some((name, range)) = config_reference(word, text) {
            return Some(Target::Config { name, range });
        }
        // `--config NAME` in two words.
        if i > 0 && &*line.args[i - 1].text == "--config" {
            return Some(Target::Config {
                name: word.text.to_string(),
                range: word.range,
            });
        }
        if &*word.text == "--config" {
            let value = line.args.get(i + 1)?;
            return Some(Target::Config {
                name: value.text.to_string(),
                range: value.range,
            });
        }
    }
    None
}

/// Go-to-definition: every `cmd:NAME` section of a config, or the imported
/// file.
pub fn definition(ctx: &RcContext<'_>, offset: usize) -> Vec<FileRange> {
    match target_at(ctx, offset) {
        Some(Target::Config { name, .. }) => sections(ctx, &name),
        Some(Target::Import { line, .. }) => ctx
            .chain
            .imports
            .iter()
            .filter(|i| i.file == ctx.file && i.line == line)
            .filter_map(|i| i.loaded)
            .map(|file| ctx.file_range(file, TextRange::empty(0)))
            .collect(),
        None => Vec::new(),
    }
}

/// The heads of every `cmd:NAME` section, across the chain.
fn sections(ctx: &RcContext<'_>, name: &str) -> Vec<FileRange> {
    ctx.chain
        .config_sections(name)
        .map(|(file, line)| {
            let f = &ctx.chain.files[file];
            let l = &f.parsed.lines[line];
            ctx.file_range(file, l.config_range(&f.text).unwrap_or(l.head.range))
        })
        .collect()
}

/// One place a config name is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameOccurrence {
    pub at: FileRange,
    /// A `cmd:NAME` head (else a `--config` use).
    pub definition: bool,
    /// The range covers exactly the name (else the whole word, which is
    /// quoted or escaped).
    pub exact: bool,
    /// For an inexact occurrence, what the rewritten word puts before the
    /// name (`build:` or `--config=`).
    pub word_prefix: String,
}

/// Every place `name` is written as a config: section heads and
/// `--config` uses, in every file of the chain.
pub fn occurrences(ctx: &RcContext<'_>, name: &str) -> Vec<NameOccurrence> {
    let mut out = Vec::new();
    for (id, f) in ctx.chain.files.iter().enumerate() {
        for line in &f.parsed.lines {
            if let LineKind::Options {
                command,
                config: Some(c),
            } = &line.kind
            {
                if c == name {
                    let range = line.config_range(&f.text);
                    out.push(NameOccurrence {
                        at: ctx.file_range(id, range.unwrap_or(line.head.range)),
                        definition: true,
                        exact: range.is_some() && line.head.is_plain(&f.text),
                        word_prefix: format!("{command}:"),
                    });
                }
            }
            if !matches!(line.kind, LineKind::Options { .. }) {
                continue;
            }
            uses_in(ctx, id, &line.args, &f.text, name, &mut out);
        }
    }
    out
}

fn uses_in(
    ctx: &RcContext<'_>,
    id: FileId,
    args: &[Word],
    text: &str,
    name: &str,
    out: &mut Vec<NameOccurrence>,
) {
    for (i, word) in args.iter().enumerate() {
        if let Some((value, range)) = config_reference(word, text) {
            if value == name {
                out.push(NameOccurrence {
                    at: ctx.file_range(id, range),
                    definition: false,
                    exact: word.is_plain(text),
                    word_prefix: "--config=".to_string(),
                });
            }
        } else if &*word.text == "--config" {
            if let Some(value) = args.get(i + 1).filter(|v| &*v.text == name) {
                out.push(NameOccurrence {
                    at: ctx.file_range(id, value.range),
                    definition: false,
                    exact: value.is_plain(text),
                    word_prefix: String::new(),
                });
            }
        }
    }
}

/// Find references: every `--config` use of the name at `offset`, and the
/// sections too when `include_declaration`.
pub fn references(ctx: &RcContext<'_>, offset: usize, include_declaration: bool) -> Vec<FileRange> {
    let Some(Target::Config { name, .. }) = target_at(ctx, offset) else {
        return Vec::new();
    };
    occurrences(ctx, &name)
        .into_iter()
        .filter(|o| include_declaration || !o.definition)
        .map(|o| o.at)
        .collect()
}

/// The range and current name to rename at `offset`.
pub fn prepare_rename(ctx: &RcContext<'_>, offset: usize) -> Option<(TextRange, String)> {
    match target_at(ctx, offset)? {
        Target::Config { name, range } => Some((range, name)),
        Target::Import { .. } => None,
    }
}

/// A text edit in some file of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub at: FileRange,
    pub new_text: String,
}

/// Renames the config at `offset` to `new_name` in every file of the chain.
pub fn rename(ctx: &RcContext<'_>, offset: usize, new_name: &str) -> Result<Vec<FileEdit>, String> {
    let Some(Target::Config { name, .. }) = target_at(ctx, offset) else {
        return Err("Only config names can be renamed here".to_string());
    };
    if new_name.is_empty()
        || new_name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ':' | '#' | '"' | '\'' | '\\' | '='))
    {
        return Err(format!(
            "`{new_name}` cannot be a config name: it must be non-empty, without spaces, quotes, backslashes, `:`, `=` or `#`"
        ));
    }
    if new_name != name && ctx.chain.config_names().any(|n| n == new_name) {
        return Err(format!(
            "A config named `{new_name}` already exists; renaming would merge the two"
        ));
    }
    Ok(occurrences(ctx, &name)
        .into_iter()
        .map(|o| FileEdit {
            new_text: if o.exact {
                new_name.to_string()
            } else {
                format!("{}{new_name}", o.word_prefix)
            },
            at: o.at,
        })
        .collect())
}
