//! Conversions between bzls's plain data and lsp-types (to_proto and
//! from_proto in one place).

use ropey::Rope;
use tower_lsp::lsp_types as lsp;

use crate::analysis::{Diagnostic, Severity};
use crate::text::{line_col_of, LineCol, LineIndex, PositionEncoding, TextChange, TextRange};

pub fn position(rope: &Rope, offset: usize, encoding: PositionEncoding) -> lsp::Position {
    let lc = line_col_of(rope, offset, encoding);
    lsp::Position::new(lc.line, lc.col)
}

pub fn range(rope: &Rope, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range::new(
        position(rope, range.start, encoding),
        position(rope, range.end, encoding),
    )
}

pub fn line_col(pos: lsp::Position) -> LineCol {
    LineCol::new(pos.line, pos.character)
}

pub fn text_change(change: lsp::TextDocumentContentChangeEvent) -> TextChange {
    TextChange {
        range: change.range.map(|r| (line_col(r.start), line_col(r.end))),
        text: change.text,
    }
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(
    uri: &lsp::Url,
    rope: &Rope,
    d: &Diagnostic,
    encoding: PositionEncoding,
) -> lsp::Diagnostic {
    diagnostic_at(uri, d, &|offset| position(rope, offset, encoding))
}

/// Converts a list of diagnostics of one text, with one line index for all
/// of them (a file can have hundreds: every untaken select branch is one).
pub fn diagnostics(
    uri: &lsp::Url,
    rope: &Rope,
    list: &[Diagnostic],
    encoding: PositionEncoding,
) -> Vec<lsp::Diagnostic> {
    // A line index costs a pass over the text: worth it for many
    // diagnostics, not for the few of a typical keystroke.
    if list.len() < 32 {
        let position = |offset| position(rope, offset, encoding);
        return list
            .iter()
            .map(|d| diagnostic_at(uri, d, &position))
            .collect();
    }
    let index = LineIndex::new(rope);
    let position = |offset| {
        let lc = index.line_col(offset, encoding);
        lsp::Position::new(lc.line, lc.col)
    };
    list.iter()
        .map(|d| diagnostic_at(uri, d, &position))
        .collect()
}

/// Converts a linter's warnings (buildifier's) in `rope`: source
/// `buildifier`, code = the warning's category, with a link to its
/// documentation; `data` says whether buildifier can fix it.
pub fn lint_diagnostics(
    rope: &Rope,
    list: &[crate::diagnostic::LintWarning],
    encoding: PositionEncoding,
) -> Vec<lsp::Diagnostic> {
    list.iter()
        .map(|w| lsp::Diagnostic {
            range: range(rope, w.range, encoding),
            severity: Some(lsp::DiagnosticSeverity::WARNING),
            code: Some(lsp::NumberOrString::String(w.category.clone())),
            code_description: w
                .url
                .as_deref()
                .and_then(|url| lsp::Url::parse(url).ok())
                .map(|href| lsp::CodeDescription { href }),
            source: Some(LINT_SOURCE.to_owned()),
            message: w.message.clone(),
            related_information: None,
            tags: None,
            data: Some(serde_json::json!({"autoFixable": w.auto_fixable})),
        })
        .collect()
}

/// The `source` of buildifier's lint diagnostics.
pub const LINT_SOURCE: &str = "buildifier";

/// Converts `d`, placing byte offsets with `position`.
fn diagnostic_at(
    uri: &lsp::Url,
    d: &Diagnostic,
    position: &dyn Fn(usize) -> lsp::Position,
) -> lsp::Diagnostic {
    let range = |r: crate::text::TextRange| lsp::Range::new(position(r.start), position(r.end));
    let related = (!d.related.is_empty()).then(|| {
        d.related
            .iter()
            .map(|r| lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri.clone(), range(r.range)),
                message: r.message.clone(),
            })
            .collect()
    });
    lsp::Diagnostic {
        range: range(d.range),
        severity: Some(severity(d.severity)),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_owned())),
        code_description: None,
        source: Some("bzls".to_owned()),
        message: d.message.clone(),
        related_information: related,
        tags: (d.code == crate::analysis::DiagnosticCode::SelectBranchNotTaken)
            .then(|| vec![lsp::DiagnosticTag::UNNECESSARY]),
        data: (!d.fixes.is_empty()).then(|| {
            serde_json::json!({
                "fixes": d.fixes.iter().map(|f| serde_json::json!({
                    "range": range(f.range),
                    "newText": f.new_text,
                })).collect::<Vec<_>>()
            })
        }),
    }
}

/// The byte offset of a client position in `rope` (clamped like VS Code).
pub fn offset(rope: &Rope, pos: lsp::Position, encoding: PositionEncoding) -> usize {
    crate::text::offset_of(rope, line_col(pos), encoding).offset
}

/// A location in a file of the rc chain; `None` when its path has no
/// `file:` URI.
pub fn file_location(
    at: &crate::analysis::rc::FileRange,
    chain: &crate::rc::RcChain,
    encoding: PositionEncoding,
) -> Option<lsp::Location> {
    let uri = lsp::Url::from_file_path(&at.path).ok()?;
    let rope = Rope::from_str(&chain.files.get(at.file)?.text);
    Some(lsp::Location::new(uri, range(&rope, at.range, encoding)))
}

/// The location of each of `found`, in order (`None` where its file cannot
/// be read): positions come from the open document's text when it is open,
/// else from the file on disk, each file read once however many ranges it
/// holds.
pub fn workspace_locations(
    state: &super::state::SharedState,
    found: &[crate::analysis::workspace::FileRange],
    encoding: PositionEncoding,
) -> Vec<Option<lsp::Location>> {
    let mut texts: std::collections::HashMap<&std::path::Path, Option<(lsp::Url, Rope)>> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for at in found {
        let entry = texts
            .entry(at.path.as_path())
            .or_insert_with(|| location_text(state, &at.path));
        out.push(match entry.as_ref() {
            Some((uri, rope)) => {
                let end = at.range.end.min(rope.len_bytes());
                let start = at.range.start.min(end);
                Some(lsp::Location::new(
                    uri.clone(),
                    range(rope, TextRange::new(start, end), encoding),
                ))
            }
            // The start of a file that cannot be read (a directory, a
            // generated file) needs no text.
            None if at.range.end == 0 => lsp::Url::from_file_path(&at.path)
                .ok()
                .map(|uri| lsp::Location::new(uri, lsp::Range::default())),
            None => None,
        });
    }
    out
}

/// The URI and text of `path`: the open document's, else the file's on
/// disk (`None` when it cannot be read as UTF-8).
fn location_text(
    state: &super::state::SharedState,
    path: &std::path::Path,
) -> Option<(lsp::Url, Rope)> {
    let uri = lsp::Url::from_file_path(path).ok()?;
    let open = super::state::lock(state)
        .documents
        .get(&uri)
        .map(|o| o.doc.rope().clone());
    let rope = match open {
        Some(rope) => rope,
        None => Rope::from_str(&String::from_utf8(std::fs::read(path).ok()?).ok()?),
    };
    Some((uri, rope))
}
