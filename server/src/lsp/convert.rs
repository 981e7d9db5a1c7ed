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
    let start = position(rope, range.start, encoding);
    // A short range on one line (a label, a name): its end is its start
    // plus its own length, without a second walk down the rope.
    const SHORT: usize = 256;
    if range.end >= range.start && range.end - range.start <= SHORT && range.end <= rope.len_bytes()
    {
        let slice = rope.byte_slice(range.start..range.end);
        let mut units = 0u32;
        let mut one_line = true;
        for c in slice.chars() {
            if c == '\n' || c == '\r' {
                one_line = false;
                break;
            }
            units += match encoding {
                PositionEncoding::Utf8 => c.len_utf8() as u32,
                PositionEncoding::Utf16 => c.len_utf16() as u32,
            };
        }
        if one_line {
            return lsp::Range::new(
                start,
                lsp::Position::new(start.line, start.character + units),
            );
        }
    }
    lsp::Range::new(start, position(rope, range.end, encoding))
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
        tags: matches!(
            d.code,
            crate::analysis::DiagnosticCode::SelectBranchNotTaken
                | crate::analysis::DiagnosticCode::UnusedLoad
        )
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
    let (open, cache) = {
        let state = super::state::lock(state);
        let open = state.documents.get(&uri).map(|o| o.doc.rope().clone());
        (open, state.disk_ropes.clone())
    };
    let rope = match open {
        Some(rope) => rope,
        None => cache.rope(path)?,
    };
    Some((uri, rope))
}

/// Texts of files on disk that locations point into, kept while their
/// size and modification time stay the same: references list many
/// results in the same few dozen files, request after request.
///
/// Invariant: at most [`DiskRopes::MAX_BYTES`] of text are kept (the least
/// recently used go first); an entry is used only while the file's
/// metadata still matches it, and is dropped when the client reports the
/// file (or a directory above it) changed or deleted.
#[derive(Default)]
pub struct DiskRopes {
    inner: std::sync::Mutex<DiskRopesInner>,
}

#[derive(Default)]
struct DiskRopesInner {
    entries: std::collections::HashMap<std::path::PathBuf, DiskRope>,
    bytes: usize,
    clock: u64,
}

struct DiskRope {
    modified: Option<std::time::SystemTime>,
    len: u64,
    rope: Rope,
    used: u64,
}

impl DiskRopes {
    /// Room for the results of a few references requests in a large tree
    /// (mediapipe's 460 results of one label lie in 1.4 MB of BUILD
    /// files); files created and deleted all day pass through it, so it
    /// fills to this bound and stays there.
    pub const MAX_BYTES: usize = 4 * 1024 * 1024;

    /// Drops what is kept of `path` and of every file under it.
    pub fn forget(&self, path: &std::path::Path) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut freed = 0;
        inner.entries.retain(|kept, entry| {
            let keep = !kept.starts_with(path);
            if !keep {
                freed += entry.rope.len_bytes();
            }
            keep
        });
        inner.bytes -= freed;
    }

    /// The text of the file at `path` (`None` when it cannot be read as
    /// UTF-8).
    pub fn rope(&self, path: &std::path::Path) -> Option<Rope> {
        let meta = std::fs::metadata(path).ok()?;
        let (modified, len) = (meta.modified().ok(), meta.len());
        {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            inner.clock += 1;
            let clock = inner.clock;
            if let Some(kept) = inner.entries.get_mut(path) {
                if kept.modified == modified && kept.len == len && modified.is_some() {
                    kept.used = clock;
                    return Some(kept.rope.clone());
                }
            }
        }
        let rope = Rope::from_str(&String::from_utf8(std::fs::read(path).ok()?).ok()?);
        let size = rope.len_bytes();
        if size > Self::MAX_BYTES / 4 {
            return Some(rope);
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = inner.entries.remove(path) {
            inner.bytes -= old.rope.len_bytes();
        }
        while inner.bytes + size > Self::MAX_BYTES {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(p, _)| p.clone())
            else {
                break;
            };
            if let Some(old) = inner.entries.remove(&oldest) {
                inner.bytes -= old.rope.len_bytes();
            }
        }
        let used = inner.clock;
        inner.bytes += size;
        inner.entries.insert(
            path.to_path_buf(),
            DiskRope {
                modified,
                len,
                rope: rope.clone(),
                used,
            },
        );
        Some(rope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-line shortcut agrees with converting both ends.
    #[test]
    fn ranges_agree_with_their_two_positions() {
        let text = "ab\r\nc\u{e9}\u{1f389}d\re\n\nfg";
        let rope = Rope::from_str(text);
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            for &a in &bounds {
                for &b in bounds.iter().filter(|&&b| b >= a) {
                    let both =
                        lsp::Range::new(position(&rope, a, encoding), position(&rope, b, encoding));
                    assert_eq!(
                        range(&rope, TextRange::new(a, b), encoding),
                        both,
                        "{a}..{b}"
                    );
                }
            }
        }
    }

    #[test]
    fn disk_ropes_follow_the_file_and_stay_bounded() {
        let dir = crate::fixture::TempDir::new("disk-ropes");
        let path = dir.0.join("BUILD");
        std::fs::write(&path, "a\n").expect("write");
        let ropes = DiskRopes::default();
        assert_eq!(ropes.rope(&path).map(String::from).as_deref(), Some("a\n"));
        std::fs::write(&path, "abc\n").expect("write");
        assert_eq!(
            ropes.rope(&path).map(String::from).as_deref(),
            Some("abc\n")
        );
        std::fs::write(dir.0.join("bin"), [0xff, 0xfe]).expect("write");
        assert!(ropes.rope(&dir.0.join("bin")).is_none());
        assert!(ropes.rope(&dir.0.join("missing")).is_none());
        // Large files push the least recently used out.
        let big = "x".repeat(DiskRopes::MAX_BYTES / 4);
        for i in 0..5 {
            let p = dir.0.join(format!("big{i}"));
            std::fs::write(&p, &big).expect("write");
            assert_eq!(ropes.rope(&p).map(|r| r.len_bytes()), Some(big.len()));
        }
        {
            let inner = ropes.inner.lock().expect("lock");
            assert!(inner.bytes <= DiskRopes::MAX_BYTES);
            assert!(!inner.entries.contains_key(&dir.0.join("big0")));
        }
        // A file the client reports changed, or under a deleted directory,
        // is forgotten, and its bytes with it.
        let sub = dir.0.join("sub");
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join("BUILD"), "s\n").expect("write");
        assert!(ropes.rope(&sub.join("BUILD")).is_some());
        let before = ropes.inner.lock().expect("lock").bytes;
        ropes.forget(&sub);
        let inner = ropes.inner.lock().expect("lock");
        assert!(!inner.entries.contains_key(&sub.join("BUILD")));
        assert_eq!(inner.bytes, before - 2);
        assert_eq!(
            inner.bytes,
            inner
                .entries
                .values()
                .map(|e| e.rope.len_bytes())
                .sum::<usize>()
        );
    }
}
