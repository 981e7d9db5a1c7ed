//! `textDocument/formatting`: Starlark files are formatted by buildifier
//! (see [`crate::host::buildifier`]), rc files by our own formatter (see
//! [`crate::rc::format`]); the answer is the few edits that turn the buffer
//! into the formatted text, not a replacement of the whole document. Range
//! formatting is not offered: buildifier formats whole files, and a range
//! of its output cannot be mapped back safely.

use std::path::PathBuf;

use tower_lsp::jsonrpc;
use tower_lsp::lsp_types::{self as lsp, Url};

use super::convert;
use super::state::{lock, request_snapshot, SharedState};
use crate::analysis::DocumentSnapshot;
use crate::host::buildifier::{Buildifier, FileContext, FormatError};
use crate::rc::format::format_rc;
use crate::syntax::FileKind;
use crate::text::{replacements, PositionEncoding};

/// What formatting one document needs, read from the state.
pub struct FormatInput {
    snapshot: DocumentSnapshot,
    encoding: PositionEncoding,
    /// Whether the document is open (its generation is then checked
    /// again before answering).
    pub open: bool,
    configured: Option<PathBuf>,
    root: Option<PathBuf>,
    path_in_workspace: Option<String>,
}

impl FormatInput {
    pub fn generation(&self) -> u64 {
        self.snapshot.generation
    }

    pub fn snapshot(&self) -> &DocumentSnapshot {
        &self.snapshot
    }

    /// `bzls.buildifier.path`, if set.
    pub fn configured(&self) -> Option<&std::path::Path> {
        self.configured.as_deref()
    }

    /// Which file the text is, for buildifier.
    pub fn file(&self) -> FileContext<'_> {
        FileContext {
            kind: self.snapshot.kind,
            root: self.root.as_deref(),
            path_in_workspace: self.path_in_workspace.as_deref(),
        }
    }
}

/// Why a document was not formatted.
pub enum NotFormatted {
    /// Not a Starlark file, or its text does not parse (its syntax
    /// diagnostics say where): nothing to do, and nothing to tell.
    Nothing,
    /// Buildifier is missing or failed: tell the user.
    Failed(String),
}

/// Reads what formatting `uri` needs (a snapshot of the buffer, the
/// settings, the workspace root); off the LSP loop.
pub fn input(state: &SharedState, uri: &Url) -> jsonrpc::Result<FormatInput> {
    let req = request_snapshot(state, uri)?;
    let path = uri.to_file_path().ok();
    let root = path
        .as_deref()
        .and_then(|path| super::workspace::cached_root(state, path));
    let path_in_workspace = match (&path, &root) {
        (Some(path), Some(root)) => path
            .strip_prefix(root)
            .ok()
            .map(|rel| rel.to_string_lossy().replace('\\', "/")),
        _ => None,
    };
    let configured = lock(state).settings.buildifier_path.clone();
    Ok(FormatInput {
        snapshot: req.snapshot,
        encoding: req.encoding,
        open: req.open,
        configured,
        root,
        path_in_workspace,
    })
}

/// Formats the document: the edits that turn it into buildifier's output
/// (none when it is formatted already).
pub fn format(input: &FormatInput) -> Result<Vec<lsp::TextEdit>, NotFormatted> {
    let kind = input.snapshot.kind;
    let text = input.snapshot.rope.to_string();
    if kind == FileKind::Bazelrc {
        return Ok(edits(input, &text, &format_rc(&text)));
    }
    if !kind.is_starlark() {
        return Err(NotFormatted::Nothing);
    }
    let buildifier =
        Buildifier::locate(input.configured.as_deref()).map_err(NotFormatted::Failed)?;
    let formatted = buildifier
        .format(&text, &input.file())
        .map_err(|err| match err {
            FormatError::Syntax(why) => {
                tracing::info!(%why, "not formatted: buildifier cannot parse the file");
                NotFormatted::Nothing
            }
            FormatError::Failed(why) => NotFormatted::Failed(why),
        })?;
    Ok(edits(input, &text, &formatted))
}

/// The edits that turn `text` (the input's) into `formatted`.
pub fn edits(input: &FormatInput, text: &str, formatted: &str) -> Vec<lsp::TextEdit> {
    let rope = &input.snapshot.rope;
    replacements(text, formatted)
        .into_iter()
        .map(|r| lsp::TextEdit {
            range: convert::range(rope, r.range, input.encoding),
            new_text: r.new_text,
        })
        .collect()
}
