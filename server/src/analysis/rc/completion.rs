//! Completion in rc files: commands, config names, flags and values.

use super::RcContext;
use crate::flags::{FlagInfo, ValueKind};
use crate::rc::file::{ALWAYS, COMMON, IMPORT, STARTUP, TRY_IMPORT};
use crate::rc::lexer::{lex, Word};
use crate::rc::options::classify;
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Command,
    Config,
    Flag,
    Value,
}

/// One completion item. `replace` is the range the item's `insert` text
/// replaces (the part of the word typed so far).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    pub insert: String,
    pub replace: TextRange,
    pub deprecated: bool,
    /// Orders items before the client filters: lower first.
    pub sort: String,
    /// For flags: the flag whose documentation `completionItem/resolve`
    /// fills in (a flag list is long; sending every text up front is not).
    pub resolve_flag: Option<String>,
}

/// At most this many flags go into one answer (an empty prefix matches a
/// thousand); the answer is then marked incomplete so clients ask again.
pub const MAX_FLAG_ITEMS: usize = 100;

/// What the cursor is completing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Position {
    Command,
    Config { command: String },
    Flag { command: String },
    FlagValue { command: String, flag: String },
    ConfigValue,
    None,
}

/// Completions at `offset` in `ctx.file`.
pub fn complete(ctx: &RcContext<'_>, offset: usize) -> Vec<CompletionItem> {
    let text = ctx.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let (position, replace) = position_at(ctx, text, offset);
    match position {
        Position::Command => commands(ctx, replace),
        Position::Config { .. } => configs(ctx, replace, offset),
        Position::ConfigValue => configs(ctx, replace, offset),
        Position::Flag { command } => {
            let typed = text.get(replace.start..offset).unwrap_or("");
            flags(ctx, &command, typed, replace)
        }
        Position::FlagValue { command: _, flag } => values(ctx, &flag, replace),
        Position::None => Vec::new(),
    }
}

/// Whether `typed` matches `label` the way editors filter completions: its
/// characters appear in order, ignoring case. The flag list is long, so
/// the server sends only what the client would show.
fn is_subsequence(typed: &str, label: &str) -> bool {
    let mut label = label.chars().map(|c| c.to_ascii_lowercase());
    typed
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .all(|t| label.any(|l| l == t))
}

/// The start of the logical line holding `offset`: the physical line's
/// start, moved back over lines ending in a continuation backslash.
fn logical_line_start(text: &str, offset: usize) -> usize {
    let mut start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    loop {
        if start == 0 {
            return 0;
        }
        let before = &text[..start - 1];
        let before = before.strip_suffix('\r').unwrap_or(before);
        if !before.ends_with('\\') {
            return start;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
}

fn position_at(ctx: &RcContext<'_>, text: &str, offset: usize) -> (Position, TextRange) {
    let start = logical_line_start(text, offset);
    let prefix = &text[start..offset];
    let lexed = lex(prefix);
    let empty = TextRange::empty(offset);
    let Some(line) = lexed.lines.first() else {
        if lexed.comments.is_empty() {
            return (Position::Command, empty);
        }
        return (Position::None, empty);
    };
    if line.comment.is_some() {
        return (Position::None, empty);
    }
    let shift = |r: TextRange| TextRange::new(r.start + start, r.end + start);
    let words: Vec<Word> = line
        .words
        .iter()
        .map(|w| Word {
            text: w.text.clone(),
            range: shift(w.range),
        })
        .collect();
    // The cursor is in the last word when that word reaches the cursor.
    let in_word =
        words.last().is_some_and(|w| w.range.end == offset) && !prefix.ends_with([' ', '\t']);
    let current = if in_word { words.last() } else { None };
    let plain = |w: &Word| w.is_plain(text);

    if words.len() == 1 && current.is_some() {
        let head = &words[0];
        if let Some(colon) = head.text.find(':').filter(|_| plain(head)) {
            let command = head.text[..colon].to_string();
            let replace = TextRange::new(head.range.start + colon + 1, offset);
            return (Position::Config { command }, replace);
        }
        return (Position::Command, head.range);
    }

    let head = &words[0].text;
    if &**head == IMPORT || &**head == TRY_IMPORT {
        return (Position::None, empty);
    }
    let command = head.split(':').next().unwrap_or(head).to_string();
    let schema: &dyn crate::rc::FlagSchema = ctx.db;

    if let Some(word) = current {
        if !plain(word) {
            return (Position::None, empty);
        }
        if let Some(rest) = word.text.strip_prefix("--") {
            if let Some(eq) = rest.find('=') {
                let name = &rest[..eq];
                let replace = TextRange::new(word.range.start + 2 + eq + 1, offset);
                if name == "config" {
                    return (Position::ConfigValue, replace);
                }
                let flag = classify(schema, &word.text)
                    .and_then(|f| f.shape)
                    .map_or(name.to_string(), |s| s.name);
                return (Position::FlagValue { command, flag }, replace);
            }
            return (Position::Flag { command }, word.range);
        }
        if word.text.starts_with('-') {
            return (Position::Flag { command }, word.range);
        }
    }

    // A value word after a flag that takes the next word? (The head is
    // never such a flag.)
    let previous = if current.is_some() {
        words.len().checked_sub(2)
    } else {
        words.len().checked_sub(1)
    };
    let replace = current.map_or(empty, |w| w.range);
    if let Some(prev) = previous.filter(|&i| i >= 1).map(|i| &words[i]) {
        if let Some(flag) = classify(schema, &prev.text) {
            if let Some(shape) = flag.shape.filter(|s| !s.boolean && flag.value.is_none()) {
                if shape.name == "config" {
                    return (Position::ConfigValue, replace);
                }
                return (
                    Position::FlagValue {
                        command,
                        flag: shape.name,
                    },
                    replace,
                );
            }
        }
    }
    if current.is_none() {
        return (Position::Flag { command }, empty);
    }
    (Position::None, empty)
}

fn commands(ctx: &RcContext<'_>, replace: TextRange) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    let pseudo: [(&str, &str); 5] = [
        (COMMON, "Options for every command that supports them"),
        (
            ALWAYS,
            "Options for every command; a command that lacks one fails",
        ),
        (STARTUP, "Startup options of the Bazel server"),
        (IMPORT, "Read another rc file here; it must exist"),
        (TRY_IMPORT, "Read another rc file here if it exists"),
    ];
    for (name, doc) in pseudo {
        items.push(CompletionItem {
            label: name.to_string(),
            kind: CompletionKind::Command,
            detail: Some(doc.to_string()),
            documentation: None,
            insert: name.to_string(),
            replace,
            deprecated: false,
            sort: format!("1{name}"),
            resolve_flag: None,
        });
    }
    for command in ctx.db.commands() {
        if command == STARTUP {
            continue;
        }
        let chain = ctx.db.inheritance_chain(command);
        let detail = if chain.len() > 1 {
            format!("inherits {}", chain[..chain.len() - 1].join(", "))
        } else {
            "Bazel command".to_string()
        };
        items.push(CompletionItem {
            label: command.clone(),
            kind: CompletionKind::Command,
            detail: Some(detail),
            documentation: None,
            insert: command.clone(),
            replace,
            deprecated: false,
            sort: format!("0{command}"),
            resolve_flag: None,
        });
    }
    items
}

/// Every config defined in the chain, in order of first definition, with
/// its sections. The line being typed (at `offset`) does not define one.
fn configs(ctx: &RcContext<'_>, replace: TextRange, offset: usize) -> Vec<CompletionItem> {
    let mut order: Vec<&str> = Vec::new();
    let mut sections: std::collections::HashMap<&str, Vec<String>> = Default::default();
    for (id, file) in ctx.chain.files.iter().enumerate() {
        for (name, line) in file.parsed.config_definitions() {
            let head = &file.parsed.lines[line].head;
            if name.is_empty()
                || (id == ctx.file && file.parsed.lines[line].range.contains_offset(offset))
            {
                continue;
            }
            let entry = sections.entry(name).or_default();
            if entry.is_empty() {
                order.push(name);
            }
            entry.push(format!(
                "{} ({})",
                head.text,
                ctx.chain.location(id, head.range.start)
            ));
        }
    }
    let descriptions: std::collections::HashMap<String, String> =
        super::configs::list_configs(ctx.chain)
            .into_iter()
            .filter_map(|c| Some((c.name, c.description?)))
            .collect();
    order
        .into_iter()
        .map(|name| {
            let sections = sections.remove(name).unwrap_or_default();
            let documentation = match descriptions.get(name) {
                Some(description) => format!("{description}\n\n{}", sections.join("\n")),
                None => sections.join("\n"),
            };
            CompletionItem {
                label: name.to_string(),
                kind: CompletionKind::Config,
                detail: Some(format!(
                    "config, {} section{}",
                    sections.len(),
                    if sections.len() == 1 { "" } else { "s" }
                )),
                documentation: Some(documentation),
                insert: name.to_string(),
                replace,
                deprecated: false,
                sort: name.to_string(),
                resolve_flag: None,
            }
        })
        .collect()
}

/// The flags offered in a `command` section.
fn candidate_flags<'a>(ctx: &RcContext<'a>, command: &'a str) -> Vec<&'a FlagInfo> {
    let db = ctx.db;
    match command {
        STARTUP => db.flags_for_command(STARTUP).collect(),
        COMMON | ALWAYS => db
            .flags()
            .iter()
            .filter(|f| f.commands.iter().any(|c| c != STARTUP))
            .collect(),
        other if db.commands().iter().any(|c| c == other) => db.flags_for_command(other).collect(),
        _ => db.flags_for_command("build").collect(),
    }
}

/// The flags of a `command` section matching `typed` (see
/// [`is_subsequence`]), at most [`MAX_FLAG_ITEMS`]: the best matches
/// (prefix, then substring, then scattered letters), each in rank order
/// (plain flags, then experimental and incompatible ones, then deprecated).
fn flags<'a>(
    ctx: &RcContext<'a>,
    command: &'a str,
    typed: &str,
    replace: TextRange,
) -> Vec<CompletionItem> {
    let want = typed.trim_start_matches('-').to_ascii_lowercase();
    let quality = |name: &str| {
        if name.starts_with(&want) {
            0
        } else if name.contains(&want) {
            1
        } else {
            2
        }
    };
    // (quality, rank, name, negated, flag): cheap to build and sort; items
    // are made only for the ones kept.
    let mut matches = Vec::new();
    for info in candidate_flags(ctx, command) {
        let deprecated = info.is_deprecated();
        let rank = if deprecated {
            3
        } else if info.name.starts_with("experimental_") || info.name.starts_with("incompatible_") {
            2
        } else {
            1
        };
        // Labels are `--name` and `--noname`: the typed dashes match their
        // dashes, the rest must match the name (no label built per flag).
        let positive = info.name.to_ascii_lowercase();
        if is_subsequence(&want, &positive) {
            matches.push((quality(&positive), rank, &info.name, false, info));
        }
        if info.has_negative_flag {
            let negative = format!("no{positive}");
            if is_subsequence(&want, &negative) {
                let q = quality(&negative).min(quality(&positive));
                matches.push((q, rank, &info.name, true, info));
            }
        }
    }
    matches.sort_by(|a, b| (a.0, a.1, a.2, a.3).cmp(&(b.0, b.1, b.2, b.3)));
    matches.truncate(MAX_FLAG_ITEMS);
    matches
        .into_iter()
        .map(|(_, rank, name, negated, info)| {
            let takes_value = !matches!(
                info.value_kind_ref(),
                ValueKind::Boolean | ValueKind::TriState | ValueKind::ValueOptional
            );
            let label = if negated {
                format!("--no{name}")
            } else {
                format!("--{name}")
            };
            CompletionItem {
                insert: if takes_value && !negated {
                    format!("{label}=")
                } else {
                    label.clone()
                },
                label,
                kind: CompletionKind::Flag,
                detail: Some(flag_detail(info)),
                documentation: None,
                replace,
                deprecated: rank == 3,
                sort: format!("{rank}{name}{}", if negated { "~no" } else { "" }),
                resolve_flag: Some(name.clone()),
            }
        })
        .collect()
}

/// A one-line summary of a flag: its kind and abbreviation.
pub fn flag_detail(info: &FlagInfo) -> String {
    let kind = match info.value_kind() {
        ValueKind::Boolean => "boolean".to_string(),
        ValueKind::TriState => "tri-state (yes/no/auto)".to_string(),
        ValueKind::Enum(values) => format!("one of {}", values.join(", ")),
        ValueKind::Integer => "integer".to_string(),
        ValueKind::Label => "label".to_string(),
        ValueKind::ValueOptional => "value optional".to_string(),
        ValueKind::String => "value".to_string(),
    };
    let mut detail = kind;
    if let Some(abbrev) = &info.abbreviation {
        detail.push_str(&format!(", -{abbrev}"));
    }
    if info.allows_multiple {
        detail.push_str(", repeatable");
    }
    detail
}

fn values(ctx: &RcContext<'_>, flag: &str, replace: TextRange) -> Vec<CompletionItem> {
    let Some(info) = ctx.db.get(flag) else {
        return Vec::new();
    };
    info.value_kind()
        .completion_values()
        .into_iter()
        .enumerate()
        .map(|(i, value)| CompletionItem {
            label: value.to_string(),
            kind: CompletionKind::Value,
            detail: Some(format!("--{}", info.name)),
            documentation: None,
            insert: value.to_string(),
            replace,
            deprecated: false,
            sort: format!("{i:03}"),
            resolve_flag: None,
        })
        .collect()
}
