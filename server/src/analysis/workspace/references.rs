//! Find references: every mention of a target in the workspace's BUILD
//! files, relative forms (`:x`, `x`) included, from the target's `name`
//! string or from any label naming it.

use super::cursor::{cursor_at, Cursor};
use super::{FileContext, FileRange, WorkspaceView};
use crate::workspace::summary::absolute_label;

/// The references of what is at `offset`: the target's mentions, and its
/// declaration when `include_declaration`.
pub fn references(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
    include_declaration: bool,
) -> Vec<FileRange> {
    let Some(label) = target_at(ctx, offset) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if include_declaration {
        if let Some(decl) = super::definition::label_definition(ctx, view, &label) {
            out.push(decl);
        }
    }
    for (package, range) in view.references(&label) {
        if ctx.is_build && package == ctx.package {
            continue;
        }
        if let Some(path) = view.build_file(&package) {
            out.push(FileRange { path, range });
        }
    }
    if ctx.is_build {
        out.extend(
            ctx.summary
                .mentions
                .iter()
                .filter(|(l, _)| *l == label)
                .map(|(_, range)| FileRange {
                    path: ctx.path.clone(),
                    range: *range,
                }),
        );
    }
    out.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    out.dedup();
    out
}

/// The absolute label (`//pkg:name`, `@repo//pkg:name`) of the target at
/// `offset`.
pub fn target_at(ctx: &FileContext<'_>, offset: usize) -> Option<String> {
    match cursor_at(ctx.tree, ctx.rope, offset)? {
        Cursor::TargetName { name, .. } if ctx.is_build => {
            Some(format!("//{}:{name}", ctx.package))
        }
        Cursor::String { value, .. }
            if ctx.is_build || value.starts_with("//") || value.starts_with('@') =>
        {
            absolute_label(&value, &ctx.package)
        }
        _ => None,
    }
}
