//! Folding ranges for calls, lists, dicts, functions, blocks and comment runs.

use tree_sitter::Node;

use crate::analysis::DocumentSnapshot;
use crate::syntax::{node_range, walk_preorder};
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
    Imports,
}

/// A foldable region. The LSP layer turns it into lines; a fold that does
/// not span two lines is never produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub range: TextRange,
    pub kind: FoldKind,
}

fn foldable(kind: &str) -> bool {
    matches!(
        kind,
        "argument_list"
            | "list"
            | "dictionary"
            | "tuple"
            | "parameters"
            | "list_comprehension"
            | "dictionary_comprehension"
            | "parenthesized_expression"
            | "function_definition"
            | "if_statement"
            | "for_statement"
            | "string"
            // rc files: a line continued over several physical lines.
            | "line"
    )
}

/// The folds of a Starlark or rc document, in document order.
pub fn folding_ranges(snapshot: &DocumentSnapshot) -> Vec<Fold> {
    let Some(tree) = &snapshot.tree else {
        return Vec::new();
    };
    let rope = &snapshot.rope;
    let mut out = Vec::new();
    let root = tree.root_node();
    // A node on one line holds no fold: its subtree is skipped (most of
    // the tree). tree-sitter's rows count `\n` only, the rope's lines also
    // a lone `\r`: with one in the text, the rope is asked.
    let lone_cr = rope.chunks().any(|chunk| chunk.contains('\r'));
    walk_preorder(root, |node| {
        let multi_line = node.start_position().row < node.end_position().row
            || (lone_cr
                && rope.byte_to_line(node.start_byte()) < rope.byte_to_line(node.end_byte()));
        if multi_line && foldable(node.kind()) {
            out.push(Fold {
                range: node_range(node),
                kind: FoldKind::Region,
            });
        }
        multi_line
    });
    fold_runs(root, rope, &mut out);
    out.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    out
}

/// Runs of consecutive top-level comments and of `load` statements.
fn fold_runs(root: Node<'_>, rope: &ropey::Rope, out: &mut Vec<Fold>) {
    let mut cursor = root.walk();
    let mut run: Option<(FoldKind, TextRange, usize)> = None;
    let flush = |run: &mut Option<(FoldKind, TextRange, usize)>, out: &mut Vec<Fold>| {
        if let Some((kind, range, count)) = run.take() {
            if count > 1 && rope.byte_to_line(range.start) < rope.byte_to_line(range.end) {
                out.push(Fold { range, kind });
            }
        }
    };
    for node in root.children(&mut cursor) {
        let kind = if node.kind() == "comment" {
            Some(FoldKind::Comment)
        } else if is_load(node, rope) || node.kind() == "import" {
            Some(FoldKind::Imports)
        } else {
            None
        };
        let range = node_range(node);
        match (&mut run, kind) {
            (Some((run_kind, run_range, count)), Some(kind))
                if *run_kind == kind
                    && rope.byte_to_line(range.start) <= rope.byte_to_line(run_range.end) + 1 =>
            {
                run_range.end = range.end;
                *count += 1;
            }
            (_, kind) => {
                flush(&mut run, out);
                run = kind.map(|k| (k, range, 1));
            }
        }
    }
    flush(&mut run, out);
}

fn is_load(stmt: Node<'_>, rope: &ropey::Rope) -> bool {
    stmt.kind() == "expression_statement"
        && stmt
            .named_child(0)
            .filter(|c| c.kind() == "call")
            .and_then(|c| crate::analysis::diagnostics::callee_name(c, rope))
            .is_some_and(|n| n == "load")
}
