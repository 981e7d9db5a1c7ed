//! The tower-lsp service: capabilities, and dispatch to one file per feature.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{LanguageServer, LspService, Server};

use super::blocking::run_blocking;
use super::catch_panic::CatchPanic;
use super::diagnostics::{schedule_background_pass, Publisher, BACKGROUND_PASS_DELAY};
use super::state::{
    content_modified, is_current, lock, request_snapshot, RequestSnapshot, SharedState, State,
};
use super::{document_symbol, folding_range, text_sync, transport};
use crate::text::PositionEncoding;

pub struct Backend {
    state: SharedState,
    publisher: Publisher,
}

/// Environment variable that enables test-only requests (`bzls/debug/panic`).
pub const TEST_HOOKS_ENV: &str = "BZLS_TEST_HOOKS";

impl Backend {
    fn followup(&self, followup: Option<text_sync::Followup>, delay: std::time::Duration) {
        let Some(followup) = followup else { return };
        self.publisher.refresh(followup.uri.clone());
        if let Some(generation) = followup.background_pass {
            schedule_background_pass(
                self.state.clone(),
                self.publisher.clone(),
                followup.uri,
                generation,
                delay,
            );
        }
    }

    /// `bzls/debug/panic`: panics, to test that the server survives it.
    async fn debug_panic(&self, params: Value) -> Result<Value> {
        if params.get("inBlocking").and_then(Value::as_bool) == Some(true) {
            return run_blocking("bzls/debug/panic", || -> Value {
                panic!("requested panic on the blocking pool")
            })
            .await;
        }
        panic!("requested panic in the handler");
    }

    /// `bzls/debug/document`: the server's view of an open document (text,
    /// version, and whether its tree matches a fresh parse), so tests can
    /// check that the rope and the tree stay consistent.
    async fn debug_document(&self, params: Value) -> Result<Value> {
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .and_then(|u| Url::parse(u).ok())
            .ok_or_else(|| {
                tower_lsp::jsonrpc::Error::invalid_params("expected {\"uri\": string}")
            })?;
        let snapshot = {
            let mut state = lock(&self.state);
            let open = state.documents.get_mut(&uri).ok_or_else(|| {
                tower_lsp::jsonrpc::Error::invalid_params(format!("{uri} is not open"))
            })?;
            open.doc.snapshot()
        };
        run_blocking("bzls/debug/document", move || {
            let text = snapshot.text();
            let tree = snapshot.tree.as_ref().map(crate::syntax::sexp);
            let fresh = tree
                .as_ref()
                .map(|_| crate::syntax::sexp(&crate::syntax::parse_str(&text)));
            serde_json::json!({
                "version": snapshot.version,
                "text": text,
                "tree": tree,
                "treeMatchesFreshParse": tree == fresh,
            })
        })
        .await
    }
}

fn negotiate_encoding(params: &InitializeParams) -> PositionEncoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = negotiate_encoding(&params);
        lock(&self.state).encoding = encoding;
        tracing::info!(?encoding, "initialize");
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(match encoding {
                    PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
                    PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        will_save: None,
                        will_save_wait_until: None,
                        save: None,
                    },
                )),
                document_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "bzls".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        tracing::info!("initialized");
    }

    async fn shutdown(&self) -> Result<()> {
        tracing::info!("shutdown");
        lock(&self.state).shutdown_requested = true;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let followup =
            tokio::task::block_in_place(|| text_sync::did_open(&mut lock(&self.state), params));
        self.followup(followup, std::time::Duration::ZERO);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let followup =
            tokio::task::block_in_place(|| text_sync::did_change(&mut lock(&self.state), params));
        self.followup(followup, BACKGROUND_PASS_DELAY);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = text_sync::did_close(&mut lock(&self.state), params);
        // Publishing for a closed document clears its diagnostics.
        self.publisher.refresh(uri);
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.on_snapshot(
            "textDocument/documentSymbol",
            params.text_document.uri,
            document_symbol::document_symbol,
        )
        .await
        .map(Some)
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.on_snapshot(
            "textDocument/foldingRange",
            params.text_document.uri,
            folding_range::folding_range,
        )
        .await
        .map(Some)
    }
}

impl Backend {
    /// Answers a request with `compute` on a snapshot of `uri`, on the
    /// blocking pool; `ContentModified` if the open document changed while
    /// it ran.
    async fn on_snapshot<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: fn(&RequestSnapshot) -> T,
    ) -> Result<T> {
        let state = self.state.clone();
        let req_uri = uri.clone();
        let req = run_blocking(label, move || request_snapshot(&state, &req_uri)).await??;
        let generation = req.snapshot.generation;
        let open = req.open;
        let answer = run_blocking(label, move || compute(&req)).await?;
        if open && !is_current(&self.state, &uri, generation) {
            return Err(content_modified());
        }
        Ok(answer)
    }
}

/// Runs the server on stdin/stdout until the client says `exit` or closes
/// the input. Returns whether `shutdown` came first (LSP asks for exit
/// status 0 then, and 1 otherwise).
pub async fn serve_stdio() -> bool {
    let state: SharedState = Arc::new(std::sync::Mutex::new(State::default()));
    let test_hooks = std::env::var_os(TEST_HOOKS_ENV).is_some_and(|v| v == "1");
    let mut builder = LspService::build(|client| Backend {
        publisher: Publisher::spawn(client, state.clone()),
        state: state.clone(),
    });
    if test_hooks {
        builder = builder
            .custom_method("bzls/debug/panic", Backend::debug_panic)
            .custom_method("bzls/debug/document", Backend::debug_document);
    }
    let (service, socket) = builder.finish();
    let transport = transport::spawn(tokio::io::stdin(), tokio::io::stdout());
    Server::new(transport.server_in, transport.server_out, socket)
        .concurrency_level(8)
        .serve(CatchPanic(service))
        .await;
    // Let the last responses reach stdout.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), transport.writer).await;
    let clean = lock(&state).shutdown_requested;
    clean
}
