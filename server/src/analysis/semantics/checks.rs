//! The checks of Bazel's resolver on a file's names (see
//! [`super::names`]), in Bazel's own words where it has them:
//!
//! - `undefined-name`: `name 'x' is not defined`, for a name bound nowhere
//!   in the file and no builtin of its kind (an error; a hint when the name
//!   looks like a builtin of a newer Bazel, see [`super::builtins`]);
//! - `redeclared`: a second module-level binding of a name: `'x'
//!   redeclared at top level` in `.bzl` and MODULE.bazel files (BUILD and
//!   WORKSPACE files may reassign), `conflicting global declaration of 'x'`
//!   where a load and another binding meet there, `load statement defines
//!   'x' more than once` (every file kind);
//! - `load-after-statement` (`.bzl`): `load statements must appear before
//!   any other statement` (docstrings and comments aside);
//! - `referenced-before-assignment`: a module-level read, run when the file
//!   is loaded, of a global the file binds only later;
//! - `unused-load` (a warning): a loaded symbol the file never reads, with
//!   a fix that removes it (not on a line marked `# @unused` or
//!   `# buildifier: disable=load`).

use ropey::Rope;

use super::builtins::{builtin, Builtin};
use super::names::{BindKind, FileNames, GlobalBinding};
use crate::analysis::{Diagnostic, DiagnosticCode, Fix, Severity};
use crate::hash::{FastMap, FastSet};
use crate::syntax::FileKind;
use crate::text::TextRange;

/// The name diagnostics of a file of `kind`.
pub fn name_diagnostics(kind: FileKind, names: &FileNames, rope: &Rope) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !matches!(
        kind,
        FileKind::Build | FileKind::Bzl | FileKind::Module | FileKind::Workspace
    ) {
        return out;
    }
    let mut first: FastMap<&str, &GlobalBinding> = FastMap::default();
    for global in &names.globals {
        first.entry(global.name.as_ref()).or_insert(global);
    }
    undefined(kind, names, &first, &mut out);
    before_assignment(names, &first, &mut out);
    redeclared(kind, names, &mut out);
    if kind == FileKind::Bzl {
        late_loads(names, &mut out);
    }
    // A load in MODULE.bazel is an error of its own.
    if kind != FileKind::Module {
        unused_loads(names, rope, &mut out);
    }
    out
}

fn undefined(
    kind: FileKind,
    names: &FileNames,
    first: &FastMap<&str, &GlobalBinding>,
    out: &mut Vec<Diagnostic>,
) {
    let mut candidates: Option<Vec<String>> = None;
    for read in &names.free {
        if first.contains_key(read.name.as_ref()) {
            continue;
        }
        let severity = match builtin(kind, &read.name) {
            Builtin::Known => continue,
            Builtin::Unknown => Severity::Error,
            Builtin::MaybeNewer => Severity::Hint,
        };
        let candidates = candidates.get_or_insert_with(|| {
            let mut all: Vec<String> = first.keys().map(|n| (*n).to_owned()).collect();
            all.extend(super::builtins::names(kind).map(str::to_owned));
            all.sort();
            all.dedup();
            all
        });
        let near =
            crate::suggest::did_you_mean(&read.name, candidates.iter().map(String::as_str), 3);
        let mut message = format!("name '{}' is not defined", read.name);
        if let Some(best) = near.first() {
            message.push_str(&format!(" (did you mean '{best}'?)"));
        }
        if severity == Severity::Hint {
            message.push_str(&format!(
                "; it may be a builtin of a newer Bazel than bzls's data ({})",
                crate::workspace::callables::SCHEMA_BAZEL
            ));
        }
        let mut diagnostic =
            Diagnostic::new(severity, DiagnosticCode::UndefinedName, read.range, message);
        diagnostic.fixes = near
            .iter()
            .map(|n| Fix {
                range: read.range,
                new_text: (*n).to_owned(),
            })
            .collect();
        out.push(diagnostic);
    }
}

/// Module-level reads, run as the file loads, of a global bound only by a
/// later statement.
fn before_assignment(
    names: &FileNames,
    first: &FastMap<&str, &GlobalBinding>,
    out: &mut Vec<Diagnostic>,
) {
    for read in names.free.iter().filter(|r| !r.deferred) {
        let Some(binding) = first.get(read.name.as_ref()) else {
            continue;
        };
        // `x = x + 1` reads `x` before it binds it; a `def` binds its name
        // before anything in it runs.
        let later = binding.statement > read.statement
            || (binding.statement == read.statement
                && matches!(
                    binding.kind,
                    BindKind::Assign | BindKind::Augmented | BindKind::For
                ));
        if binding.kind == BindKind::Maybe || !later {
            continue;
        }
        out.push(
            Diagnostic::error(
                DiagnosticCode::ReferencedBeforeAssignment,
                read.range,
                format!(
                    "global variable '{}' is referenced before assignment",
                    read.name
                ),
            )
            .with_related(binding.range, format!("'{}' is assigned here", read.name)),
        );
    }
}

/// Second module-level bindings of a name: one `load()` binding a name
/// twice, in every file kind; any other only where top-level rebinding is
/// not allowed (`.bzl` and MODULE.bazel files; BUILD and WORKSPACE files
/// may reassign, loaded names too).
fn redeclared(kind: FileKind, names: &FileNames, out: &mut Vec<Diagnostic>) {
    let rebinding_allowed = matches!(kind, FileKind::Build | FileKind::Workspace);
    let is_load = |g: &GlobalBinding| matches!(g.kind, BindKind::Load { .. });
    let mut seen: FastMap<&str, &GlobalBinding> = FastMap::default();
    for global in &names.globals {
        if global.kind == BindKind::Maybe {
            continue;
        }
        let Some(mut previous) = seen.get(global.name.as_ref()).copied() else {
            seen.insert(global.name.as_ref(), global);
            continue;
        };
        let name = &global.name;
        let same_load = names
            .globals
            .iter()
            .take_while(|g| !std::ptr::eq(*g, global))
            .filter(|_| is_load(global))
            .find(|g| g.name == *name && is_load(g) && g.statement == global.statement);
        if let Some(earlier) = same_load {
            previous = earlier;
        }
        let diagnostic = if same_load.is_some() {
            Diagnostic::error(
                DiagnosticCode::Redeclared,
                global.range,
                format!("load statement defines '{name}' more than once"),
            )
            .with_related(previous.range, format!("'{name}' previously declared here"))
        } else if rebinding_allowed {
            // Bazel 2.1.0 lets a BUILD file bind a loaded name again; later
            // versions are not known to reject it.
            continue;
        } else if is_load(previous) != is_load(global) {
            let (this, that) = if is_load(global) {
                ("file-local", "global")
            } else {
                ("global", "file-local")
            };
            Diagnostic::error(
                DiagnosticCode::Redeclared,
                global.range,
                format!("conflicting {this} declaration of '{name}'"),
            )
            .with_related(
                previous.range,
                format!("'{name}' previously declared as {that} here"),
            )
        } else {
            Diagnostic::error(
                DiagnosticCode::Redeclared,
                global.range,
                format!("'{name}' redeclared at top level"),
            )
            .with_related(previous.range, format!("'{name}' previously declared here"))
        };
        out.push(diagnostic);
    }
}

fn late_loads(names: &FileNames, out: &mut Vec<Diagnostic>) {
    let mut first_other: Option<TextRange> = None;
    for stmt in &names.statements {
        if stmt.is_load {
            if let Some(other) = first_other {
                out.push(
                    Diagnostic::error(
                        DiagnosticCode::LoadAfterStatement,
                        stmt.range,
                        "load statements must appear before any other statement",
                    )
                    .with_related(other, "first non-load statement appears here"),
                );
            }
        } else if !stmt.is_string && first_other.is_none() {
            first_other = Some(stmt.range);
        }
    }
}

fn unused_loads(names: &FileNames, rope: &Rope, out: &mut Vec<Diagnostic>) {
    let read: FastSet<&str> = names.free.iter().map(|r| r.name.as_ref()).collect();
    let mut unused_per_statement: FastMap<TextRange, usize> = FastMap::default();
    let unused: Vec<&GlobalBinding> = names
        .globals
        .iter()
        .filter(|g| matches!(g.kind, BindKind::Load { .. }) && !read.contains(g.name.as_ref()))
        .filter(|g| {
            // Bound again later (a reassignment, reported as such): the
            // load is not what is unused.
            names.globals.iter().filter(|o| o.name == g.name).count() == 1
        })
        .collect();
    for global in &unused {
        if let BindKind::Load { statement, .. } = &global.kind {
            *unused_per_statement.entry(*statement).or_default() += 1;
        }
    }
    for global in unused {
        if suppressed(global.range, rope) {
            continue;
        }
        let BindKind::Load {
            entry,
            statement,
            symbols,
        } = &global.kind
        else {
            continue;
        };
        let whole = unused_per_statement.get(statement).copied() == Some(*symbols);
        let fix = if whole {
            Fix {
                range: whole_lines(*statement, rope),
                new_text: String::new(),
            }
        } else {
            Fix {
                range: with_separator(*entry, statement.start, rope),
                new_text: String::new(),
            }
        };
        let mut diagnostic = Diagnostic::new(
            Severity::Warning,
            DiagnosticCode::UnusedLoad,
            global.range,
            format!("'{}' is loaded but never used", global.name),
        );
        diagnostic.fixes.push(fix);
        out.push(diagnostic);
    }
}

/// Whether the line of `range` carries buildifier's suppression of an
/// unused name (`# @unused`, `# buildifier: disable=load`), which Bazel
/// projects already write for its own warning.
fn suppressed(range: TextRange, rope: &Rope) -> bool {
    let len = rope.len_bytes();
    let line = rope.line(rope.byte_to_line(range.start.min(len)));
    let text = line.to_string();
    text.find('#').is_some_and(|at| {
        let comment = &text[at..];
        comment.contains("@unused") || comment.contains("buildifier: disable=load")
    })
}

/// `range` widened to whole lines, with the line break after it, when
/// nothing else is on those lines.
fn whole_lines(range: TextRange, rope: &Rope) -> TextRange {
    let len = rope.len_bytes();
    let start_line = rope.byte_to_line(range.start.min(len));
    let line_start = rope.line_to_byte(start_line);
    let end_line = rope.byte_to_line(range.end.min(len));
    let next_line = if end_line + 1 < rope.len_lines() {
        rope.line_to_byte(end_line + 1)
    } else {
        len
    };
    let before = rope.byte_slice(line_start..range.start).to_string();
    let after = rope.byte_slice(range.end.min(len)..next_line).to_string();
    if before.trim().is_empty() && after.trim().is_empty() {
        TextRange::new(line_start, next_line)
    } else {
        range
    }
}

/// A load argument with the comma (and blanks) that separate it from the
/// previous argument.
fn with_separator(entry: TextRange, statement_start: usize, rope: &Rope) -> TextRange {
    let text = rope.byte_slice(statement_start..entry.start).to_string();
    let trimmed = text.trim_end();
    if let Some(stripped) = trimmed.strip_suffix(',') {
        let start = statement_start + stripped.trim_end().len();
        return TextRange::new(start, entry.end);
    }
    // The first symbol: take the comma after it instead.
    let len = rope.len_bytes();
    let rest = rope.byte_slice(entry.end.min(len)..).to_string();
    let after = rest.trim_start();
    match after.strip_prefix(',') {
        Some(tail) => {
            let skipped = rest.len() - tail.trim_start().len();
            TextRange::new(entry.start, entry.end + skipped)
        }
        None => entry,
    }
}
