//! Rename of a target: its `name` string and every label naming it in the
//! workspace's BUILD files, each in the form it was written (`:x`, `x`,
//! `//pkg:x`, `//pkg` for `//pkg:pkg`, `@//pkg:x`), `select()` keys and
//! visibility lists included; and rename of variables (see
//! [`crate::analysis::scope`]).
//!
//! A rename is refused, with the reason, when Bazel would reject the new
//! name, when a target of that name exists already, and when not every
//! mention can be found or rewritten: a target a macro makes under a
//! name computed from its own (`x_lib` from `name = "x"`), an output or
//! source file, a target of another repository, a label written with
//! escapes, or a file whose text no longer matches the index.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cursor::{cursor_at, Cursor};
use super::references::{
    in_other_repository, main_form, nested_mentions, rc_mentions, spellings, target_at,
};
use super::symbol_rename::{rename_symbol, symbol_at, Symbol};
use super::{between_quotes, FileContext, FileRange, WorkspaceView};
use crate::analysis::scope::binding_at;
use crate::rc::chain::ChainFile;
use crate::syntax::string_literal;
use crate::text::TextRange;
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::resolve::{resolve, Resolution};
use crate::workspace::summary::absolute_label;

/// One replacement in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub range: TextRange,
    pub new_text: String,
}

/// The text of a workspace file as the editor has it (the open document,
/// else the file on disk); `None` when it cannot be read.
pub type TextOf<'a> = &'a dyn Fn(&Path) -> Option<Arc<str>>;

/// What a rename at a position would rename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renamable {
    /// A target: its absolute label, and the range of its name under the
    /// cursor (inside the string).
    Target {
        label: String,
        range: TextRange,
        name: String,
    },
    /// A variable of this file.
    Variable { range: TextRange, name: String },
    /// A global of a `.bzl` file other files may load.
    Symbol { symbol: Symbol, range: TextRange },
}

/// What is at `offset` and can be renamed, or why nothing can.
pub fn prepare_rename(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
    text_of: TextOf<'_>,
) -> Result<Renamable, String> {
    let text = ctx.rope.to_string();
    if let Some(label) = target_at(ctx, offset).map(|l| main_form(view, l)) {
        let (_, name) = declaration(ctx, view, &label, text_of)?;
        let at = match cursor_at(ctx.tree, ctx.rope, offset) {
            Some(Cursor::String { range, .. } | Cursor::TargetName { range, .. }) => range,
            _ => return Err("not on a label".to_string()),
        };
        let inner = label_text(&text, at).ok_or("a label written with escapes")?;
        let written = &text[inner.start..inner.end];
        let range = match written.rfind(':') {
            Some(colon) if written[colon + 1..] == name => {
                TextRange::new(inner.start + colon + 1, inner.end)
            }
            _ if written == name => inner,
            // `//pkg` for `//pkg:pkg`: the whole label.
            _ => inner,
        };
        return Ok(Renamable::Target { label, range, name });
    }
    let binding = binding_at(ctx.tree, &text, offset);
    if let Some(symbol) = symbol_at(ctx, view, offset, &text, binding.as_ref()) {
        let range = word_at(&text, offset, &symbol.name).ok_or("nothing to rename here")?;
        return Ok(Renamable::Symbol { symbol, range });
    }
    let binding = binding.ok_or("nothing to rename here")?;
    let range = binding
        .occurrences
        .iter()
        .map(|o| o.range)
        .find(|r| r.start <= offset && offset <= r.end)
        .ok_or("nothing to rename here")?;
    Ok(Renamable::Variable {
        range,
        name: binding.name,
    })
}

/// The edits that rename what is at `offset` to `new_name`, or why it
/// cannot be done. `rc_files` are the workspace's rc files, whose
/// `--//pkg:flag` options and label values name targets too.
pub fn rename(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
    new_name: &str,
    text_of: TextOf<'_>,
    rc_files: &[ChainFile],
) -> Result<Vec<FileEdit>, String> {
    match prepare_rename(ctx, view, offset, text_of)? {
        Renamable::Target { label, name, .. } => {
            rename_target(ctx, view, &label, &name, new_name, text_of, rc_files)
        }
        Renamable::Variable { name, .. } => rename_variable(ctx, offset, &name, new_name),
        Renamable::Symbol { symbol, .. } => rename_symbol(ctx, view, &symbol, new_name, text_of),
    }
}

fn rename_variable(
    ctx: &FileContext<'_>,
    offset: usize,
    name: &str,
    new_name: &str,
) -> Result<Vec<FileEdit>, String> {
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a Starlark name"));
    }
    let text = ctx.rope.to_string();
    let binding = binding_at(ctx.tree, &text, offset).ok_or("nothing to rename here")?;
    if new_name != name {
        // The new name must not be bound in the same scope already.
        let scope_text = &text[binding.scope.start..binding.scope.end];
        if mentions_word(scope_text, new_name) {
            return Err(format!("`{new_name}` is already used in this scope"));
        }
    }
    // A symbol a load binds under its own name (`"sym"`) gets an alias
    // (`new = "sym"`); everything else is the name itself.
    Ok(binding
        .occurrences
        .iter()
        .map(|o| {
            let quoted =
                o.range.start > 0 && matches!(text.as_bytes()[o.range.start - 1], b'"' | b'\'');
            if quoted {
                let literal = TextRange::new(o.range.start - 1, o.range.end + 1);
                FileEdit {
                    path: ctx.path.clone(),
                    range: literal,
                    new_text: format!("{new_name} = {}", &text[literal.start..literal.end]),
                }
            } else {
                FileEdit {
                    path: ctx.path.clone(),
                    range: o.range,
                    new_text: new_name.to_string(),
                }
            }
        })
        .collect())
}

fn rename_target(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    label: &str,
    name: &str,
    new_name: &str,
    text_of: TextOf<'_>,
    rc_files: &[ChainFile],
) -> Result<Vec<FileEdit>, String> {
    check_target_name(new_name)?;
    let (decl, _) = declaration(ctx, view, label, text_of)?;
    let package = label
        .strip_prefix("//")
        .and_then(|l| l.rsplit_once(':'))
        .map(|(p, _)| p.to_string())
        .ok_or("not a target of this workspace")?;
    if new_name == name {
        return Ok(Vec::new());
    }
    let new_label = format!("//{package}:{new_name}");
    let lookup = ctx.lookup(view);
    let taken = parse_label(&new_label)
        .map(|l| resolve(&l, &package, &lookup))
        .map_err(|e| e.to_string())?;
    match taken {
        Resolution::Target { .. } | Resolution::OutputFile { .. } => {
            return Err(format!("`{new_label}` exists already"));
        }
        Resolution::SourceFile { .. } => {
            return Err(format!("`{new_label}` is a source file of the package"));
        }
        _ => {}
    }
    let mut edits = vec![FileEdit {
        path: decl.path.clone(),
        range: decl.range,
        new_text: new_name.to_string(),
    }];
    // Every mention, in every spelling: other packages from the index, this
    // file from its own text.
    let mut mentions: Vec<(String, PathBuf, TextRange, &str)> = Vec::new();
    let spellings = spellings(view, label);
    for spelling in &spellings {
        for (mentioning, range) in view.references(spelling) {
            if (ctx.is_build && mentioning == ctx.package) || in_other_repository(view, &mentioning)
            {
                continue;
            }
            let path = view
                .build_file(&mentioning)
                .ok_or_else(|| format!("the BUILD file of `//{mentioning}` is gone"))?;
            mentions.push((mentioning, path, range, spelling));
        }
        if ctx.is_build {
            for (mentioned, range) in &ctx.summary.mentions {
                if mentioned == spelling {
                    mentions.push((ctx.package.clone(), ctx.path.clone(), *range, spelling));
                }
            }
        }
    }
    let own_text: Arc<str> = Arc::from(ctx.rope.to_string());
    for (mentioning, path, literal, spelling) in mentions {
        let text = if path == ctx.path {
            own_text.clone()
        } else {
            text_of(&path).ok_or_else(|| format!("cannot read {}", path.display()))?
        };
        let stale = || {
            format!(
                "{} changed since it was indexed; save it and try again",
                path.display()
            )
        };
        let raw = text.get(literal.start..literal.end).ok_or_else(stale)?;
        let value = if is_literal(raw) {
            string_literal(raw).ok_or_else(stale)?
        } else {
            // A label inside a make variable: the range is the label.
            raw.to_string()
        };
        if absolute_label(&value, &mentioning).as_deref() != Some(spelling) {
            return Err(stale());
        }
        let inner = label_text(&text, literal).ok_or_else(|| {
            format!(
                "a label in {} is written with escapes ({raw}); rename it by hand",
                path.display()
            )
        })?;
        edits.push(FileEdit {
            path,
            range: inner,
            new_text: renamed_label(&value, name, new_name),
        });
    }
    // The other repositories inside the workspace.
    let editor = |path: &Path| text_of(path);
    for (at, written) in nested_mentions(view, label, &editor) {
        edits.push(FileEdit {
            path: at.path,
            range: at.range,
            new_text: renamed_label(&written, name, new_name),
        });
    }
    // Starlark flags and label values in rc files.
    for mention in rc_mentions(label, rc_files) {
        let text = rc_files
            .iter()
            .find(|f| f.path == mention.path)
            .and_then(|f| f.text.get(mention.range.start..mention.range.end))
            .unwrap_or_default();
        edits.push(FileEdit {
            new_text: renamed_label(text, name, new_name),
            path: mention.path,
            range: mention.range,
        });
    }
    edits.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    edits.dedup();
    Ok(edits)
}

/// The declaration of `label`: the range of its name inside the `name`
/// string of the call that declares it, and the name; or why the target
/// cannot be renamed.
fn declaration(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    label: &str,
    text_of: TextOf<'_>,
) -> Result<(FileRange, String), String> {
    let parsed = parse_label(label).map_err(|e| e.to_string())?;
    if !matches!(parsed.repo, Repo::Current | Repo::Main) || label.starts_with('@') {
        return Err("only targets of this workspace's own packages can be renamed".to_string());
    }
    let lookup = ctx.lookup(view);
    let (package, decl) = match resolve(&parsed, &ctx.package, &lookup) {
        Resolution::Target { package, decl } => (package, decl),
        Resolution::OutputFile { .. } => {
            return Err(format!(
                "`{label}` is an output file: rename it in the rule that declares it"
            ))
        }
        Resolution::SourceFile { .. } => {
            return Err(format!("`{label}` is a source file: rename the file"))
        }
        Resolution::Special(_) => return Err(format!("`{label}` is one of Bazel's own labels")),
        Resolution::Unknown => {
            return Err(format!(
            "bzls cannot tell where `{label}` is declared (a macro it cannot follow may make it)"
        ))
        }
        Resolution::Unresolved(_) => return Err(format!("`{label}` is not declared anywhere")),
    };
    if decl.kind == "exports_files" {
        return Err(format!("`{label}` is a source file: rename the file"));
    }
    let path = if ctx.is_build && package == ctx.package {
        ctx.path.clone()
    } else {
        view.build_file(&package)
            .ok_or_else(|| format!("the BUILD file of `//{package}` is gone"))?
    };
    let text: Arc<str> = if path == ctx.path {
        Arc::from(ctx.rope.to_string())
    } else {
        text_of(&path).ok_or_else(|| format!("cannot read {}", path.display()))?
    };
    let raw = text
        .get(decl.name_range.start..decl.name_range.end)
        .unwrap_or("");
    let written = string_literal(raw);
    if written.as_deref() != Some(decl.name.as_str()) {
        return Err(match written {
            Some(given) => format!(
                "`{label}` is made by the call named `{given}`, from that name: rename the call instead"
            ),
            None => format!("the name of `{label}` is computed, so its mentions cannot all be found"),
        });
    }
    let range = between_quotes(&text, decl.name_range)
        .ok_or_else(|| format!("the name of `{label}` is written with escapes"))?;
    Ok((FileRange { path, range }, decl.name))
}

/// Checks a new target name as Bazel does (`LabelValidator`): not empty,
/// no `:`, not absolute or ending in `/`, no `//`, and no `.`/`..` path
/// segments; only the characters Bazel allows.
pub fn check_target_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{name}` is not a valid target name: {why}"));
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.contains(':') {
        return bad("it contains `:`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return bad("it starts or ends with `/`, or contains `//`");
    }
    if name.split('/').any(|s| s == "." || s == "..") {
        return bad("it has a `.` or `..` path segment");
    }
    const ALLOWED: &str = "!%-@^_\"#$&'()*-+,;<=>?[]{|}~/.";
    if let Some(c) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !ALLOWED.contains(*c))
    {
        return bad(&format!("`{c}` is not allowed"));
    }
    match parse_label(&format!(":{name}")) {
        Ok(label) if label.name == name => Ok(()),
        Ok(_) => bad("Bazel would read it as another name"),
        Err(e) => bad(&e.to_string()),
    }
}

/// `written` (a label naming target `old`) with the target name `new`, in
/// the same form.
fn renamed_label(written: &str, old: &str, new: &str) -> String {
    match written.rfind(':') {
        Some(colon) => format!("{}:{new}", &written[..colon]),
        None if written.contains("//") => format!("{written}:{new}"),
        None if written == old => new.to_string(),
        None => format!("{written}:{new}"),
    }
}

/// Whether `raw` is a string literal (rather than a label inside one).
fn is_literal(raw: &str) -> bool {
    raw.trim_start_matches(['r', 'R']).starts_with(['"', '\''])
}

/// The label's own text at `at`: between the quotes of a string literal
/// without escapes, or `at` itself for a label inside a make variable.
fn label_text(text: &str, at: TextRange) -> Option<TextRange> {
    let raw = text.get(at.start..at.end)?;
    if is_literal(raw) {
        between_quotes(text, at)
    } else {
        Some(at)
    }
}

pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            name,
            "and"
                | "break"
                | "continue"
                | "def"
                | "elif"
                | "else"
                | "for"
                | "if"
                | "in"
                | "lambda"
                | "load"
                | "not"
                | "or"
                | "pass"
                | "return"
                | "True"
                | "False"
                | "None"
        )
}

/// The range of `word` around `offset` in `text` (the name under the
/// cursor).
fn word_at(text: &str, offset: usize, word: &str) -> Option<TextRange> {
    let from = offset.saturating_sub(word.len());
    let to = (offset + word.len()).min(text.len());
    let window = text.get(from..to)?;
    window
        .match_indices(word)
        .map(|(at, _)| TextRange::new(from + at, from + at + word.len()))
        .find(|r| r.start <= offset && offset <= r.end)
}

/// Whether `word` appears in `text` as a whole word.
fn mentions_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}
