//! Document links: `load()` paths and labels, clickable.
//!
//! Listing the links reads nothing from disk, so it stays fast on large
//! files: a `load()` path points at its file at once; a label is resolved
//! when the editor asks for its target ([`link_target`]), since that can
//! mean reading the BUILD file it lands in.

use std::path::PathBuf;

use tree_sitter::Node;

use super::{absolute, between_quotes, FileContext, FileRange, WorkspaceView};
use crate::hash::FastMap;
use crate::syntax::string_literal;
use crate::text::TextRange;
use crate::workspace::label::parse_label;
use crate::workspace::summary::absolute_label;

/// Where a link goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// The start of a file.
    File(PathBuf),
    /// A target, by absolute label, found by [`link_target`].
    Label(String),
}

/// One link: the text between a string's quotes, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: LinkTarget,
}

/// The links of a file, in text order: load paths that resolve, the label
/// strings of a BUILD file (see [`crate::workspace::mentions`]), and the
/// absolute labels (`//p:t`, `@r//p:t`) of other files.
pub fn document_links(ctx: &FileContext<'_>, view: &dyn WorkspaceView) -> Vec<Link> {
    let text = ctx.rope.to_string();
    let mut out = Vec::new();
    let root = ctx.tree.root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        if let Some((module, range)) = load_module(statement, &text) {
            let path = super::definition::load_file(&ctx.package, &module, view)
                .map(|(path, _)| absolute(view, &path))
                .or_else(|| super::definition::external_definition(view, &module).map(|f| f.path));
            if let Some(path) = path {
                out.push(Link {
                    range,
                    target: LinkTarget::File(path),
                });
            }
        }
    }
    if ctx.is_build {
        let mut on_disk: FastMap<&str, bool> = FastMap::default();
        for (label, literal) in &ctx.summary.mentions {
            if !may_go_somewhere(label, view, &mut on_disk) {
                continue;
            }
            // A string of its own, or a label inside a make variable.
            let own = text
                .get(literal.start..literal.end)
                .is_some_and(|raw| raw.starts_with(['"', '\'']));
            let range = if own {
                between_quotes(&text, *literal)
            } else {
                Some(*literal)
            };
            if let Some(range) = range {
                out.push(Link {
                    range,
                    target: LinkTarget::Label(label.clone()),
                });
            }
        }
    } else {
        absolute_labels(root, &text, &ctx.package, &mut out);
    }
    out.sort_by_key(|l| l.range.start);
    out.dedup_by_key(|l| l.range.start);
    out
}

/// Whether an absolute label can have a target to go to: not one of
/// Bazel's own (`//visibility:public`, `//conditions:default`), and not in
/// a repository that is not on disk (`on_disk` remembers the answers).
fn may_go_somewhere<'l>(
    label: &'l str,
    view: &dyn WorkspaceView,
    on_disk: &mut FastMap<&'l str, bool>,
) -> bool {
    if label.starts_with("//visibility:") || label == "//conditions:default" {
        return false;
    }
    match label.strip_prefix('@').and_then(|l| l.split_once("//")) {
        Some((repo, _)) => *on_disk
            .entry(repo)
            .or_insert_with(|| view.repository_path(repo).is_some()),
        None => true,
    }
}

/// Where a label link goes: the target's `name` string, the source file,
/// or the BUILD file (see [`super::definition`]).
pub fn link_target(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    label: &str,
) -> Option<FileRange> {
    super::definition::label_definition(ctx, view, label)
}

/// The module string of a top-level `load()` statement, and the range
/// between its quotes.
fn load_module(statement: Node<'_>, text: &str) -> Option<(String, TextRange)> {
    let call = match statement.kind() {
        "expression_statement" => statement.named_child(0)?,
        _ => return None,
    };
    let function = call.child_by_field_name("function")?;
    if call.kind() != "call" || text.get(function.byte_range()) != Some("load") {
        return None;
    }
    let first = call.child_by_field_name("arguments")?.named_child(0)?;
    let range = crate::syntax::node_range(first);
    let module = string_literal(text.get(first.byte_range())?)?;
    Some((module, between_quotes(text, range)?))
}

/// Every string of a non-BUILD file that is an absolute label, but not a
/// target pattern (`//p:all`, `//p/...`).
fn absolute_labels(node: Node<'_>, text: &str, package: &str, out: &mut Vec<Link>) {
    if node.kind() == "string" {
        let range = crate::syntax::node_range(node);
        let Some(inner) = between_quotes(text, range) else {
            return;
        };
        let value = &text[inner.start..inner.end];
        let absolute = value.starts_with("//") || (value.starts_with('@') && value.contains("//"));
        let pattern = value.ends_with("...") || value.ends_with(":all") || value.ends_with(":*");
        if absolute && !pattern && parse_label(value).is_ok() {
            if let Some(label) = absolute_label(value, package) {
                out.push(Link {
                    range: inner,
                    target: LinkTarget::Label(label),
                });
            }
        }
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        absolute_labels(child, text, package, out);
    }
}
