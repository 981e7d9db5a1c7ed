//! textDocument/foldingRange.

use tower_lsp::lsp_types as lsp;

use super::state::RequestSnapshot;
use crate::analysis::folding::{folding_ranges, FoldKind};

pub fn folding_range(req: &RequestSnapshot) -> Vec<lsp::FoldingRange> {
    let rope = &req.snapshot.rope;
    let mut out: Vec<lsp::FoldingRange> = Vec::new();
    let folds = match &req.kept {
        Some((host, path)) => host.folds(path, &req.snapshot),
        None => std::sync::Arc::new(folding_ranges(&req.snapshot)),
    };
    for fold in folds.iter().copied() {
        let start_line = rope.byte_to_line(fold.range.start);
        let mut end_line = rope.byte_to_line(fold.range.end);
        // Keep a closing bracket that starts its own line visible.
        let end_line_start = rope.line_to_byte(end_line);
        let before_end = rope.byte_slice(end_line_start..fold.range.end).to_string();
        if fold.kind == FoldKind::Region
            && before_end.trim().len() <= 1
            && end_line > start_line + 1
        {
            end_line -= 1;
        }
        if end_line <= start_line {
            continue;
        }
        let (start_line, end_line) = (start_line as u32, end_line as u32);
        // Editors show one fold per start line: keep the outermost.
        if out.last().is_some_and(|f| f.start_line == start_line) {
            continue;
        }
        out.push(lsp::FoldingRange {
            start_line,
            start_character: None,
            end_line,
            end_character: None,
            kind: match fold.kind {
                FoldKind::Region => None,
                FoldKind::Comment => Some(lsp::FoldingRangeKind::Comment),
                FoldKind::Imports => Some(lsp::FoldingRangeKind::Imports),
            },
            collapsed_text: None,
        });
    }
    out
}
