//! The LSP layer: the only code that knows tower-lsp and lsp-types.
//!
//! Rules (see ARCHITECTURE.md):
//! - Handlers that change state (`didOpen`, `didChange`, `didClose`) do all
//!   their work synchronously, before any `.await`, so edits apply in the
//!   order the client sent them even though tower-lsp interleaves handlers.
//! - Requests take a snapshot, compute on the blocking pool, and answer
//!   `ContentModified` if the document changed meanwhile.
//! - Diagnostics are published by one task, which always reads the current
//!   state, so a stale set can never overwrite a newer one.
//! - A panic in a handler becomes an error response ([`catch_panic`]).

mod blocking;
mod catch_panic;
mod code_action;
mod code_lens;
mod completion;
mod configs;
mod convert;
mod diagnostics;
mod document_highlight;
mod document_link;
mod document_symbol;
mod fast_lane;
mod flag_dump;
mod folding_range;
mod formatting;
mod goto_definition;
mod hover;
mod lint;
mod rc_model;
mod references;
mod rename;
mod selection_range;
mod selects;
mod semantic_tokens;
mod server;
mod settings;
mod signature_help;
mod state;
mod text_sync;
mod transport;
mod workspace;
mod workspace_symbol;

pub use server::serve_stdio;
