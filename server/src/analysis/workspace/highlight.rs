//! Document highlights: the other places in this file that name what is at
//! the cursor. A target: its `name` string and every label naming it
//! (`:x`, `x`, `//pkg:x`). A variable: its bindings and reads, by
//! Starlark's scoping rules ([`crate::analysis::scope`]).

use super::cursor::{cursor_at, Cursor};
use super::references::target_at;
use super::{FileContext, WorkspaceView};
use crate::analysis::scope::{binding_at, Access};
use crate::text::TextRange;

/// One highlighted range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub range: TextRange,
    pub access: Access,
}

/// The highlights for `offset`, in text order; empty where nothing is
/// named twice.
pub fn highlights(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Vec<Highlight> {
    let mut out = match cursor_at(ctx.tree, ctx.rope, offset) {
        Some(Cursor::TargetName { .. } | Cursor::String { .. }) if ctx.is_build => {
            target_highlights(ctx, view, offset)
        }
        Some(Cursor::Identifier { .. } | Cursor::LoadSymbol { .. } | Cursor::String { .. }) => {
            let text = ctx.rope.to_string();
            binding_at(ctx.tree, &text, offset)
                .map(|b| b.occurrences)
                .unwrap_or_default()
                .into_iter()
                .map(|o| Highlight {
                    range: o.range,
                    access: o.access,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    out.sort_by_key(|h| h.range.start);
    out.dedup();
    out
}

fn target_highlights(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Vec<Highlight> {
    let Some(label) = target_at(ctx, offset) else {
        return Vec::new();
    };
    let mut out: Vec<Highlight> = ctx
        .summary
        .mentions
        .iter()
        .filter(|(mentioned, _)| *mentioned == label)
        .map(|(_, range)| Highlight {
            range: *range,
            access: Access::Read,
        })
        .collect();
    if let Some(decl) = super::definition::label_definition(ctx, view, &label) {
        if decl.path == ctx.path && !decl.range.is_empty() {
            out.push(Highlight {
                range: decl.range,
                access: Access::Write,
            });
        }
    }
    out
}
