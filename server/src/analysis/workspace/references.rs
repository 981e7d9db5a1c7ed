//! Find references: every mention of a target in the workspace's BUILD
//! files, relative forms (`:x`, `x`) included, and in its rc files
//! (`--//pkg:flag`, label values), from the target's `name` string or from
//! any label naming it.

use super::cursor::{cursor_at, Cursor};
use std::path::Path;
use std::sync::Arc;

use super::{between_quotes, FileContext, FileRange, WorkspaceView};
use crate::analysis::rc::labels::rc_labels;
use crate::rc::chain::ChainFile;
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::summary::absolute_label;

/// The references of what is at `offset`: the target's mentions (in the
/// BUILD files of the index and in `rc_files`), and its declaration when
/// `include_declaration`.
pub fn references(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
    include_declaration: bool,
    rc_files: &[ChainFile],
) -> Vec<FileRange> {
    let Some(label) = target_at(ctx, offset).map(|l| main_form(view, l)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if include_declaration {
        if let Some(decl) = super::definition::label_definition(ctx, view, &label) {
            out.push(decl);
        }
    }
    let spellings = spellings(view, &label);
    for spelling in &spellings {
        for (package, range) in view.references(spelling) {
            if (ctx.is_build && package == ctx.package) || in_other_repository(view, &package) {
                continue;
            }
            if let Some(path) = view.build_file(&package) {
                out.push(FileRange { path, range });
            }
        }
    }
    if ctx.is_build {
        out.extend(
            ctx.summary
                .mentions
                .iter()
                .filter(|(l, _)| spellings.contains(l))
                .map(|(_, range)| FileRange {
                    path: ctx.path.clone(),
                    range: *range,
                }),
        );
    }
    out.extend(rc_mentions(&label, rc_files));
    let disk = |path: &Path| view.file_text(path);
    out.extend(
        nested_mentions(view, &label, &disk)
            .into_iter()
            .map(|(at, _)| at),
    );
    out.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    out.dedup();
    out
}

/// Whether the directory of `package` is inside another repository (a
/// directory below the root with its own MODULE.bazel, WORKSPACE or
/// REPO.bazel): its labels are not the main repository's.
pub fn in_other_repository(view: &dyn WorkspaceView, package: &str) -> bool {
    Path::new(package)
        .ancestors()
        .filter(|dir| !dir.as_os_str().is_empty())
        .any(|dir| dir.to_str().is_some_and(|d| view.is_nested_root(d)))
}

/// The absolute forms the index files mentions of `label` under: the label
/// itself, and for a target of the main repository `@ws//pkg:x` for each
/// name the main repository has (`module(name = "ws")`).
pub fn spellings(view: &dyn WorkspaceView, label: &str) -> Vec<String> {
    let mut out = vec![label.to_string()];
    if label.starts_with("//") {
        out.extend(
            view.main_repository_names()
                .iter()
                .map(|name| format!("@{name}{label}")),
        );
    }
    out
}

/// `label` with the main repository's own name dropped (`@ws//pkg:x` →
/// `//pkg:x`).
pub fn main_form(view: &dyn WorkspaceView, label: String) -> String {
    let own = label
        .strip_prefix('@')
        .and_then(|l| l.split_once("//"))
        .filter(|(repo, _)| view.main_repository_names().iter().any(|n| n == repo))
        .map(|(_, rest)| format!("//{rest}"));
    own.unwrap_or(label)
}

/// The strings naming `label` (`//pkg:x`) in the other repositories inside
/// the workspace (`@//pkg:x`, `@@//pkg:x`, `@ws//pkg:x`): the text
/// between the quotes, and the label as written. Each file is read with
/// `text_of` and parsed afresh, so the ranges match that text.
pub fn nested_mentions(
    view: &dyn WorkspaceView,
    label: &str,
    text_of: &dyn Fn(&Path) -> Option<Arc<str>>,
) -> Vec<(FileRange, String)> {
    let Some((package, name)) = label.strip_prefix("//").and_then(|l| l.rsplit_once(':')) else {
        return Vec::new();
    };
    let main_names = view.main_repository_names();
    let names_it = |written: &str| {
        parse_label(written).is_ok_and(|l| {
            let main = match &l.repo {
                Repo::Main => true,
                Repo::Apparent(repo) => main_names.contains(repo),
                Repo::Current | Repo::Canonical(_) => false,
            };
            main && l.package.as_deref() == Some(package) && l.name == name
        })
    };
    let mut out = Vec::new();
    for path in view.nested_repository_files() {
        let Some(text) = text_of(&path) else { continue };
        if !text.contains(name) || !text.contains(&format!("//{package}")) {
            continue;
        }
        let tree = crate::syntax::parse_str_with(crate::syntax::Grammar::Starlark, &text);
        crate::syntax::walk_preorder(tree.root_node(), |node| {
            if node.kind() != "string" {
                return true;
            }
            let range = crate::syntax::node_range(node);
            let written = text
                .get(range.start..range.end)
                .and_then(crate::syntax::string_literal);
            if let Some(written) = written.filter(|w| names_it(w)) {
                if let Some(inner) = between_quotes(&text, range) {
                    out.push((
                        FileRange {
                            path: path.clone(),
                            range: inner,
                        },
                        written,
                    ));
                }
            }
            false
        });
    }
    out
}

/// The labels in `rc_files` naming `label` (absolute).
pub fn rc_mentions(label: &str, rc_files: &[ChainFile]) -> Vec<FileRange> {
    rc_files
        .iter()
        .flat_map(|file| {
            rc_labels(&file.text, &file.parsed)
                .into_iter()
                .filter(|m| absolute_label(&m.written, "").as_deref() == Some(label))
                .map(|m| FileRange {
                    path: file.path.clone(),
                    range: m.range,
                })
        })
        .collect()
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
