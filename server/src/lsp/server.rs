//! The tower-lsp service: capabilities, and dispatch to one file per feature.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService, Server};

use super::blocking::run_blocking;
use super::catch_panic::CatchPanic;
use super::diagnostics::{schedule_background_pass, Publisher, BACKGROUND_PASS_DELAY};
use super::fast_lane::FastLane;
use super::rc_model::{self, RcModel};
use super::state::{
    content_modified, is_current, lock, request_snapshot, RequestSnapshot, SharedState, State,
};
use super::{
    code_action, code_lens, completion, configs, document_highlight, document_link,
    document_symbol, flag_dump, folding_range, formatting, goto_definition, hover, lint,
    references, rename, selection_range, selects, semantic_tokens, signature_help, text_sync,
    transport, workspace, workspace_symbol,
};
use crate::db::selects::SelectInput;
use crate::host::index::FileChange;
use crate::syntax::FileKind;
use crate::text::PositionEncoding;

/// The language server. Cloning it is cheap: every part is shared.
#[derive(Clone)]
pub struct Backend {
    state: SharedState,
    publisher: Publisher,
    client: Client,
    /// The last semantic tokens sent per document.
    tokens: Arc<semantic_tokens::TokenCache>,
}

/// Environment variable that enables test-only requests (`bzls/debug/panic`).
pub const TEST_HOOKS_ENV: &str = "BZLS_TEST_HOOKS";

impl Backend {
    /// Between a successful `initialize` and `shutdown`.
    pub fn serving(&self) -> bool {
        let state = lock(&self.state);
        state.initialized && !state.shutdown_requested
    }

    /// Waits until `uri` is not being opened (see `did_open`), nor any rc
    /// file: select previews and rc requests read every open rc file.
    async fn opened(&self, uri: &Url) {
        self.wait_openings(|slot_uri, slot| slot.rc || slot_uri == uri)
            .await;
    }

    /// Waits until no document is being opened: for requests that read
    /// every open document (workspace symbols, references, configs).
    async fn all_opened(&self) {
        self.wait_openings(|_, _| true).await;
    }

    /// Waits for the openings begun before this call that `which` picks.
    async fn wait_openings(&self, which: impl Fn(&Url, &text_sync::OpeningSlot) -> bool) {
        let waiting: Vec<_> = lock(&self.state)
            .opening
            .iter()
            .filter(|(uri, slot)| which(uri, slot))
            .map(|(_, slot)| slot.done.clone())
            .collect();
        for mut done in waiting {
            // Err: the opening ended (its sender is dropped).
            let _ = done.changed().await;
        }
    }

    fn followup(&self, followup: Option<text_sync::Followup>, delay: std::time::Duration) {
        let Some(followup) = followup else { return };
        self.publisher.refresh(followup.uri.clone());
        let lint_delay = if delay.is_zero() {
            delay
        } else {
            lint::LINT_DELAY
        };
        lint::schedule(
            self.state.clone(),
            self.publisher.clone(),
            followup.uri.clone(),
            lint_delay,
        );
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

    /// `bzls/listConfigs`: the configs of the workspace's rc files, and the
    /// active configuration.
    async fn list_configs(&self, params: Value) -> Result<Value> {
        self.all_opened().await;
        let input = configs::list_configs_input(&self.state, &params)?;
        run_blocking(configs::LIST_CONFIGS, move || {
            configs::list_configs_answer(input)
        })
        .await
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
        self.opened(&uri).await;
        let snapshot = {
            let mut state = lock(&self.state);
            let open = state.documents.get_mut(&uri).ok_or_else(|| {
                tower_lsp::jsonrpc::Error::invalid_params(format!("{uri} is not open"))
            })?;
            open.doc.snapshot()
        };
        run_blocking("bzls/debug/document", move || {
            let grammar = if snapshot.kind == FileKind::Bazelrc {
                crate::syntax::Grammar::Bazelrc
            } else {
                crate::syntax::Grammar::Starlark
            };
            let text = snapshot.text();
            let tree = snapshot.tree.as_ref().map(crate::syntax::sexp);
            let fresh = tree
                .as_ref()
                .map(|_| crate::syntax::sexp(&crate::syntax::parse_str_with(grammar, &text)));
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

/// Republishes the diagnostics of every open Starlark document.
fn refresh_starlark(state: &SharedState, publisher: &Publisher) {
    let uris: Vec<Url> = lock(state)
        .documents
        .iter()
        .filter(|(_, open)| open.doc.kind().is_starlark())
        .map(|(uri, _)| uri.clone())
        .collect();
    for uri in uris {
        publisher.refresh(uri);
    }
}

/// Republishes the diagnostics of every open rc document.
fn refresh_rc(state: &SharedState, publisher: &Publisher) {
    let uris: Vec<Url> = lock(state)
        .documents
        .iter()
        .filter(|(_, open)| open.doc.kind() == FileKind::Bazelrc)
        .map(|(uri, _)| uri.clone())
        .collect();
    for uri in uris {
        publisher.refresh(uri);
    }
}

/// The workspace root the client opened: its first workspace folder, else
/// the (deprecated) root URI.
#[allow(deprecated)]
fn client_root(params: &InitializeParams) -> Option<std::path::PathBuf> {
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or_else(|| params.root_uri.clone())
        .and_then(|u| u.to_file_path().ok())
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
        {
            let mut state = lock(&self.state);
            state.encoding = encoding;
            state.root = client_root(&params);
            if let Some(options) = &params.initialization_options {
                state.settings.update(options);
            }
            let workspace_caps = params.capabilities.workspace.as_ref();
            state.refresh_inlay_hints = workspace_caps
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|h| h.refresh_support)
                .unwrap_or(false);
            state.refresh_code_lenses = workspace_caps
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                .unwrap_or(false);
            state.watch_files = params
                .capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false);
            state.work_done_progress = params
                .capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false);
        }
        tracing::info!(?encoding, "initialize");
        lock(&self.state).initialized = true;
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
                document_formatting_provider: Some(OneOf::Left(true)),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".to_owned(), ",".to_owned()]),
                    retrigger_characters: Some(vec!["=".to_owned()]),
                    work_done_progress_options: Default::default(),
                }),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(
                        ["-", "=", ":", "@", "/", "."]
                            .iter()
                            .map(|c| c.to_string())
                            .collect(),
                    ),
                    ..CompletionOptions::default()
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: semantic_tokens::legend(),
                            range: Some(true),
                            full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![configs::SET_ACTIVE_CONFIG.to_string()],
                    ..ExecuteCommandOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
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
        if lock(&self.state).watch_files {
            self.register_watchers().await;
        }
        self.start_flag_dump();
        let root = lock(&self.state).root.clone();
        if let Some(root) = root {
            let root = crate::host::workspace::find_workspace_root(&root).unwrap_or(root);
            workspace::index_of_root(&self.state, &self.client, &root);
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        lock(&self.state).settings.update(&params.settings);
        lint::schedule_all(&self.state, &self.publisher);
        self.refresh_rc_documents();
        self.active_config_changed();
        self.start_flag_dump();
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        {
            let mut state = lock(&self.state);
            // BUILD files on disk hold conditions other files' selects use.
            state.analysis.selects().input_changed(SelectInput::Disk);
            for change in &params.changes {
                if let Ok(path) = change.uri.to_file_path() {
                    state.rc_disk.invalidate(&path);
                    state.disk_ropes.forget(&path);
                    let marker = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| crate::host::workspace::ROOT_MARKERS.contains(&n));
                    if marker && change.typ != FileChangeType::CHANGED {
                        state.roots.clear();
                    } else if change.typ == FileChangeType::DELETED {
                        state.roots.forget_dir_of(&path);
                    }
                }
            }
        }
        self.refresh_rc_documents();
        let rc_changed = params.changes.iter().any(|c| {
            let path = c.uri.path();
            path.ends_with("bazelrc")
                || path.ends_with("/bazel.rc")
                || path.ends_with("/.bazelversion")
        });
        if rc_changed {
            self.active_config_changed();
        }
        let state = self.state.clone();
        let publisher = self.publisher.clone();
        let changes = params.changes;
        super::blocking::run_file_events(move || {
            let mut touched = false;
            for change in changes {
                let Ok(path) = change.uri.to_file_path() else {
                    continue;
                };
                let Some(index) = workspace::existing_index(&state, &path) else {
                    continue;
                };
                let kind = match change.typ {
                    FileChangeType::CREATED => FileChange::Created,
                    FileChangeType::DELETED => FileChange::Deleted,
                    _ => FileChange::Changed,
                };
                index.file_changed(&path, kind);
                touched = true;
            }
            if touched {
                refresh_starlark(&state, &publisher);
            }
        });
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        self.all_opened().await;
        let state = self.state.clone();
        run_blocking("workspace/symbol", move || {
            Some(workspace_symbol::workspace_symbol(&state, &params.query))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let mut actions = code_action::code_actions(&params);
        if lint::any_fixable(&params.context.diagnostics) {
            // buildifier's own fixes: a run of buildifier each, off the loop.
            let uri = params.text_document.uri.clone();
            self.opened(&uri).await;
            let state = self.state.clone();
            let diagnostics = params.context.diagnostics.clone();
            let (fixes, open, generation) = run_blocking("textDocument/codeAction", move || {
                let input = formatting::input(&state, &uri)?;
                let fixes = lint::fixes(&input, &uri, &diagnostics);
                Ok::<_, tower_lsp::jsonrpc::Error>((fixes, input.open, input.generation()))
            })
            .await??;
            if open && !is_current(&self.state, &params.text_document.uri, generation) {
                return Err(content_modified());
            }
            actions.extend(fixes);
        }
        Ok((!actions.is_empty()).then_some(actions))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let range = params.range;
        self.on_starlark(
            "textDocument/inlayHint",
            params.text_document.uri,
            move |req, state, enc| selects::inlay_hint_request(req, state, range, enc),
        )
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.on_starlark(
            "textDocument/codeLens",
            params.text_document.uri,
            code_lens::code_lens,
        )
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        match params.command.as_str() {
            configs::SET_ACTIVE_CONFIG => {
                let active = configs::set_active_config(&self.state, &params.arguments)?;
                self.active_config_changed();
                Ok(Some(active))
            }
            other => Err(tower_lsp::jsonrpc::Error::invalid_params(format!(
                "unknown command {other:?}"
            ))),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let pos = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        if let Some(rc) = self
            .on_rc("textDocument/completion", uri.clone(), move |model, enc| {
                completion::completion(model, pos, enc)
            })
            .await?
        {
            return Ok(rc);
        }
        // Names outside strings complete as they are typed, or after
        // `.`; not after the characters that trigger label completion
        // (`=` would offer every name after each attribute).
        let names = params
            .context
            .as_ref()
            .and_then(|c| c.trigger_character.as_deref())
            .is_none_or(|c| c == ".");
        if is_dialect_file(&uri) {
            return self
                .on_dialect("textDocument/completion", uri, move |ctx, view, enc| {
                    completion::context_completion(ctx, view, pos, enc, names)
                })
                .await;
        }
        self.on_starlark("textDocument/completion", uri, move |req, _, enc| {
            completion::starlark_completion(req, pos, enc, names)
        })
        .await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let pos = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        if is_dialect_file(&uri) {
            return self
                .on_dialect("textDocument/signatureHelp", uri, move |ctx, view, enc| {
                    signature_help::context_signature_help(ctx, view, pos, enc)
                })
                .await;
        }
        self.on_starlark("textDocument/signatureHelp", uri, move |req, _, enc| {
            signature_help::signature_help(req, pos, enc)
        })
        .await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        run_blocking("completionItem/resolve", move || completion::resolve(item)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let pos = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        if let Some(rc) = self
            .on_rc("textDocument/hover", uri.clone(), move |model, enc| {
                hover::hover(model, pos, enc)
            })
            .await?
        {
            return Ok(rc);
        }
        if is_dialect_file(&uri) {
            return self
                .on_dialect("textDocument/hover", uri, move |ctx, view, enc| {
                    hover::context_hover(ctx, view, pos, enc)
                })
                .await;
        }
        self.on_starlark("textDocument/hover", uri, move |req, state, enc| {
            hover::starlark_hover(req, state, pos, enc)
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let pos = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        if let Some(rc) = self
            .on_rc("textDocument/definition", uri.clone(), move |model, enc| {
                goto_definition::goto_definition(model, pos, enc)
            })
            .await?
        {
            return Ok(rc);
        }
        self.on_starlark("textDocument/definition", uri, move |req, state, enc| {
            goto_definition::starlark_definition(req, state, pos, enc)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.all_opened().await;
        let pos = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        let include = params.context.include_declaration;
        if let Some(rc) = self
            .on_rc("textDocument/references", uri.clone(), move |model, enc| {
                references::references(model, pos, include, enc)
            })
            .await?
        {
            return Ok(rc);
        }
        self.on_starlark("textDocument/references", uri, move |req, state, enc| {
            references::starlark_references(req, state, pos, include, enc)
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let pos = params.position;
        let uri = params.text_document.uri;
        if let Some(rc) = self
            .on_rc(
                "textDocument/prepareRename",
                uri.clone(),
                move |model, enc| rename::prepare_rename(model, pos, enc),
            )
            .await?
        {
            return Ok(rc);
        }
        self.all_opened().await;
        self.on_starlark("textDocument/prepareRename", uri, move |req, state, enc| {
            rename::starlark_prepare_rename(req, state, pos, enc)
        })
        .await?
        .transpose()
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.all_opened().await;
        let pos = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        let new_name = params.new_name;
        let rc_name = new_name.clone();
        if let Some(rc) = self
            .on_rc("textDocument/rename", uri.clone(), move |model, enc| {
                rename::rename(model, pos, &rc_name, enc)
            })
            .await?
        {
            return rc;
        }
        self.on_starlark("textDocument/rename", uri, move |req, state, enc| {
            rename::starlark_rename(req, state, pos, &new_name, enc)
        })
        .await?
        .transpose()
    }

    async fn shutdown(&self) -> Result<()> {
        tracing::info!("shutdown");
        lock(&self.state).shutdown_requested = true;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let path = params.text_document.uri.to_file_path().ok();
        let kind = crate::syntax::FileKind::for_document(
            path.as_deref(),
            &params.text_document.language_id,
        );
        if let Some(path) = path {
            if kind.is_some_and(|k| k.is_starlark()) {
                if let Some(root) = workspace::cached_root(&self.state, &path) {
                    workspace::index_of_root(&self.state, &self.client, &root);
                }
            }
        }
        // The text is parsed off the LSP loop (a large BUILD file takes
        // tens of milliseconds); changes and requests that arrive meanwhile
        // wait in the opening's slot (see `text_sync`).
        let uri = params.text_document.uri.clone();
        let (done, waiting) = tokio::sync::watch::channel(());
        let (encoding, id) = {
            let mut state = lock(&self.state);
            let rc = kind == Some(FileKind::Bazelrc);
            let id = text_sync::begin_opening(&mut state, uri.clone(), rc, waiting);
            (state.encoding, id)
        };
        let publisher = self.publisher.clone();
        let opening = run_blocking("textDocument/didOpen", move || {
            text_sync::open(params, |uri, version, rope, diagnostics| {
                let converted = super::convert::diagnostics(uri, rope, &diagnostics, encoding);
                publisher.publish_early(uri.clone(), version, converted);
            })
        })
        .await
        .ok()
        .flatten();
        let followups = text_sync::finish_opening(&mut lock(&self.state), &uri, id, opening);
        drop(done);
        if followups.is_empty() {
            // Closed meanwhile: take back what was published early.
            self.publisher.refresh(uri);
            return;
        }
        let rc = followups.iter().any(|f| f.rc);
        for (i, followup) in followups.into_iter().enumerate() {
            let delay = if i == 0 {
                std::time::Duration::ZERO
            } else {
                BACKGROUND_PASS_DELAY
            };
            self.followup(Some(followup), delay);
        }
        if rc {
            self.refresh_rc_documents();
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let followup =
            tokio::task::block_in_place(|| text_sync::did_change(&mut lock(&self.state), params));
        let rc = followup.as_ref().is_some_and(|f| f.rc);
        self.followup(followup, BACKGROUND_PASS_DELAY);
        if rc {
            // Other rc files see this one's configs and imports.
            self.refresh_rc_documents();
            self.active_config_changed();
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = text_sync::did_close(&mut lock(&self.state), params);
        self.tokens.forget(&uri);
        let state = self.state.clone();
        let closed = uri.clone();
        tokio::task::block_in_place(move || workspace::clear_overlay(&state, &closed));
        // Publishing for a closed document clears its diagnostics.
        self.publisher.refresh(uri);
        self.refresh_rc_documents();
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        self.opened(&uri).await;
        let state = self.state.clone();
        let req_uri = uri.clone();
        let (outcome, open, generation) = run_blocking("textDocument/formatting", move || {
            let input = formatting::input(&state, &req_uri)?;
            let outcome = formatting::format(&input);
            Ok::<_, tower_lsp::jsonrpc::Error>((outcome, input.open, input.generation()))
        })
        .await??;
        if open && !is_current(&self.state, &uri, generation) {
            return Err(content_modified());
        }
        match outcome {
            Ok(edits) => Ok(Some(edits)),
            Err(formatting::NotFormatted::Nothing) => Ok(None),
            Err(formatting::NotFormatted::Failed(why)) => {
                tracing::warn!(%why, "not formatted");
                let first = lock(&self.state).buildifier_messages.insert(why.clone());
                if first {
                    self.client
                        .show_message(MessageType::ERROR, format!("bzls: {why}"))
                        .await;
                }
                Err(tower_lsp::jsonrpc::Error {
                    code: tower_lsp::jsonrpc::ErrorCode::InternalError,
                    message: format!("bzls: {why}").into(),
                    data: None,
                })
            }
        }
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

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        let tokens = self.semantic_tokens_of(uri.clone()).await?;
        Ok(tokens.map(|t| SemanticTokensResult::Tokens(self.tokens.full(&uri, t))))
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        let uri = params.text_document.uri;
        let tokens = self.semantic_tokens_of(uri.clone()).await?;
        Ok(tokens.map(|t| self.tokens.delta(&uri, &params.previous_result_id, t)))
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let tokens = self.semantic_tokens_of(params.text_document.uri).await?;
        Ok(tokens.map(|t| {
            SemanticTokensRangeResult::Tokens(SemanticTokens {
                result_id: None,
                data: semantic_tokens::in_range(&t, params.range),
            })
        }))
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let pos = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        self.on_starlark("textDocument/documentHighlight", uri, move |req, _, enc| {
            document_highlight::document_highlight(req, pos, enc)
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let uri = params.text_document.uri;
        let link_uri = uri.clone();
        self.on_starlark("textDocument/documentLink", uri, move |req, _, enc| {
            document_link::document_link(req, &link_uri, enc)
        })
        .await
    }

    async fn document_link_resolve(&self, mut link: DocumentLink) -> Result<DocumentLink> {
        let Some((uri, label)) = document_link::link_data(&link) else {
            return Ok(link);
        };
        link.target = self
            .on_starlark("documentLink/resolve", uri, move |req, state, enc| {
                document_link::resolve_target(req, state, &label, enc)
            })
            .await?;
        Ok(link)
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        let positions = params.positions;
        self.on_snapshot(
            "textDocument/selectionRange",
            params.text_document.uri,
            move |req| selection_range::selection_range(req, &positions),
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
    /// The semantic tokens of `uri`: an rc file's from its text, a
    /// Starlark file's with its analysis.
    async fn semantic_tokens_of(&self, uri: Url) -> Result<Option<Vec<SemanticToken>>> {
        let is_rc = {
            let state = lock(&self.state);
            match state.documents.get(&uri) {
                Some(open) => open.doc.kind() == FileKind::Bazelrc,
                None => uri
                    .to_file_path()
                    .ok()
                    .and_then(|p| FileKind::from_path(&p))
                    .is_some_and(|k| k == FileKind::Bazelrc),
            }
        };
        if is_rc {
            return self
                .on_snapshot("textDocument/semanticTokens", uri, |req| {
                    semantic_tokens::rc(&req.snapshot.rope, req.encoding)
                })
                .await
                .map(Some);
        }
        self.on_starlark("textDocument/semanticTokens", uri, |req, state, enc| {
            let host = lock(state).analysis.clone();
            semantic_tokens::starlark(req, &host, enc)
        })
        .await
    }

    /// Dumps the flags of the Bazel in use in the background, if allowed;
    /// the rc documents are refreshed when it is done.
    fn start_flag_dump(&self) {
        let state = self.state.clone();
        let publisher = self.publisher.clone();
        flag_dump::maybe_start(&self.state, move || refresh_rc(&state, &publisher));
    }

    /// Republishes the diagnostics of every open rc document: they depend on
    /// the other rc files, the settings and the files on disk.
    fn refresh_rc_documents(&self) {
        refresh_rc(&self.state, &self.publisher);
    }

    /// The active configuration (or the rc files it comes from) changed:
    /// recompute the select diagnostics of open files, and ask the client
    /// to fetch inlay hints and code lenses again.
    fn active_config_changed(&self) {
        let (builds, hints, lenses) = {
            let state = lock(&self.state);
            state
                .analysis
                .selects()
                .input_changed(SelectInput::ActiveConfiguration);
            let builds: Vec<Url> = state
                .documents
                .iter()
                .filter(|(_, open)| open.doc.kind().is_starlark())
                .map(|(uri, _)| uri.clone())
                .collect();
            (builds, state.refresh_inlay_hints, state.refresh_code_lenses)
        };
        // Only select diagnostics depend on the configuration.
        for uri in builds {
            self.publisher.refresh_selects(uri);
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            if hints {
                let _ = client.inlay_hint_refresh().await;
            }
            if lenses {
                let _ = client.code_lens_refresh().await;
            }
        });
    }

    /// Asks the client to watch the files bzls's answers depend on.
    async fn register_watchers(&self) {
        let globs = [
            "**/.bazelrc",
            "**/*.bazelrc",
            "**/bazel.rc",
            "**/.bazelversion",
            "**/.bazeliskrc",
            "**/BUILD",
            "**/BUILD.bazel",
            "**/*.bzl",
            "**/MODULE.bazel",
            "**/REPO.bazel",
            "**/WORKSPACE",
            "**/WORKSPACE.bazel",
            // Source files: creating or deleting one changes which labels
            // resolve.
            "**/*",
        ];
        let watchers = globs
            .iter()
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "bzls-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(err) = self.client.register_capability(vec![registration]).await {
            tracing::warn!(%err, "the client refused file watchers");
        }
    }

    /// Answers a request about an rc file with `compute` on the rc model
    /// around it, on the blocking pool. `Ok(None)` for other files;
    /// `ContentModified` if the document changed meanwhile.
    async fn on_rc<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: impl FnOnce(&RcModel, PositionEncoding) -> T + Send + 'static,
    ) -> Result<Option<T>> {
        self.opened(&uri).await;
        let prepared = {
            let state = lock(&self.state);
            let encoding = state.encoding;
            let open = state
                .documents
                .get(&uri)
                .map(|o| (o.doc.kind(), o.doc.generation()));
            let is_rc = match open {
                Some((kind, _)) => kind == FileKind::Bazelrc,
                None => uri
                    .to_file_path()
                    .ok()
                    .and_then(|p| FileKind::from_path(&p))
                    .is_some_and(|k| k == FileKind::Bazelrc),
            };
            is_rc.then(|| (rc_model::inputs(&state), encoding, open.map(|(_, g)| g)))
        };
        let Some((inputs, encoding, generation)) = prepared else {
            return Ok(None);
        };
        let req_uri = uri.clone();
        let answer = run_blocking(label, move || {
            rc_model::build(&inputs, &req_uri).map(|model| compute(&model, encoding))
        })
        .await?;
        if let Some(generation) = generation {
            if !is_current(&self.state, &uri, generation) {
                return Err(content_modified());
            }
        }
        Ok(answer)
    }

    /// Answers a request on a Starlark file with `compute` on its analysis
    /// (see [`workspace::StarlarkRequest`]), on the blocking pool;
    /// `ContentModified` if the open document changed while it ran.
    async fn on_starlark<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: impl FnOnce(&workspace::StarlarkRequest, &SharedState, PositionEncoding) -> Option<T>
            + Send
            + 'static,
    ) -> Result<Option<T>> {
        self.on_file(label, uri, move |req, path, state| {
            let (open, encoding) = (req.open, req.encoding);
            workspace::StarlarkRequest::new(state, req.snapshot, path, open)
                .and_then(|request| compute(&request, state, encoding))
        })
        .await
    }

    /// Answers a request on a MODULE.bazel or WORKSPACE file with `compute`
    /// on its context (see [`workspace::with_dialect_context`]), like
    /// [`Backend::on_starlark`].
    async fn on_dialect<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: impl FnOnce(
                &crate::analysis::workspace::FileContext<'_>,
                &dyn crate::analysis::workspace::WorkspaceView,
                PositionEncoding,
            ) -> Option<T>
            + Send
            + 'static,
    ) -> Result<Option<T>> {
        self.on_file(label, uri, move |req, path, state| {
            let encoding = req.encoding;
            workspace::with_dialect_context(state, &req.snapshot, &path, |ctx, view| {
                compute(ctx, view, encoding)
            })
            .flatten()
        })
        .await
    }

    /// Runs `compute` on a snapshot of the file at `uri` (and its path), on
    /// the blocking pool; `ContentModified` if the open document changed
    /// while it ran.
    async fn on_file<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: impl FnOnce(RequestSnapshot, std::path::PathBuf, &SharedState) -> Option<T>
            + Send
            + 'static,
    ) -> Result<Option<T>> {
        let Ok(path) = uri.to_file_path() else {
            return Ok(None);
        };
        let mut timing = RequestTiming::start(label);
        self.opened(&uri).await;
        timing.opened();
        let state = self.state.clone();
        let req_uri = uri.clone();
        let (answer, open, generation, timing) = run_blocking(label, move || {
            timing.started();
            let req = request_snapshot(&state, &req_uri)?;
            timing.snapshot();
            let (open, generation) = (req.open, req.snapshot.generation);
            let answer = compute(req, path, &state);
            Ok::<_, tower_lsp::jsonrpc::Error>((answer, open, generation, timing))
        })
        .await??;
        timing.finish(&uri);
        if open && !is_current(&self.state, &uri, generation) {
            return Err(content_modified());
        }
        Ok(answer)
    }

    /// Answers a request with `compute` on a snapshot of `uri`, on the
    /// blocking pool; `ContentModified` if the open document changed while
    /// it ran.
    async fn on_snapshot<T: Send + 'static>(
        &self,
        label: &'static str,
        uri: Url,
        compute: impl FnOnce(&RequestSnapshot) -> T + Send + 'static,
    ) -> Result<T> {
        let mut timing = RequestTiming::start(label);
        self.opened(&uri).await;
        timing.opened();
        let state = self.state.clone();
        let req_uri = uri.clone();
        let (req, timing) = run_blocking(label, move || {
            timing.started();
            let req = request_snapshot(&state, &req_uri);
            timing.snapshot();
            req.map(|req| (req, timing))
        })
        .await??;
        let generation = req.snapshot.generation;
        let open = req.open;
        let answer = run_blocking(label, move || compute(&req)).await?;
        timing.finish(&uri);
        if open && !is_current(&self.state, &uri, generation) {
            return Err(content_modified());
        }
        Ok(answer)
    }
}

/// Where the time of one request went, logged (warning) when the whole
/// took longer than [`RequestTiming::SLOW`]: waiting for the document's
/// opening, for a thread of the blocking pool, for the document's snapshot
/// (the state's lock, a deferred reparse), and the work itself.
struct RequestTiming {
    label: &'static str,
    began: std::time::Instant,
    opened: std::time::Duration,
    started: std::time::Duration,
    snapshot: std::time::Duration,
}

impl RequestTiming {
    const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

    fn start(label: &'static str) -> RequestTiming {
        RequestTiming {
            label,
            began: std::time::Instant::now(),
            opened: Default::default(),
            started: Default::default(),
            snapshot: Default::default(),
        }
    }

    fn opened(&mut self) {
        self.opened = self.began.elapsed();
    }

    fn started(&mut self) {
        self.started = self.began.elapsed();
    }

    fn snapshot(&mut self) {
        self.snapshot = self.began.elapsed();
    }

    fn finish(&self, uri: &Url) {
        let total = self.began.elapsed();
        if total >= Self::SLOW {
            tracing::warn!(
                label = self.label,
                %uri,
                total_ms = total.as_millis() as u64,
                opening_ms = self.opened.as_millis() as u64,
                pool_ms = self.started.saturating_sub(self.opened).as_millis() as u64,
                snapshot_ms = self.snapshot.saturating_sub(self.started).as_millis() as u64,
                work_ms = total.saturating_sub(self.snapshot).as_millis() as u64,
                "slow request"
            );
        }
    }
}

/// A MODULE.bazel or WORKSPACE file (see [`workspace::with_dialect_context`]).
fn is_dialect_file(uri: &Url) -> bool {
    uri.to_file_path()
        .ok()
        .and_then(|p| FileKind::from_path(&p))
        .is_some_and(|k| matches!(k, FileKind::Module | FileKind::Workspace))
}

/// Logs (a warning) each time the async runtime could not run a task for
/// longer than [`STALL`]: every message in and out passes through tasks on
/// it, so a stall delays every answer, whatever the handler took.
fn watch_for_stalls() {
    const TICK: std::time::Duration = std::time::Duration::from_millis(100);
    const STALL: std::time::Duration = std::time::Duration::from_millis(500);
    tokio::spawn(async {
        let mut last = std::time::Instant::now();
        loop {
            tokio::time::sleep(TICK).await;
            let now = std::time::Instant::now();
            let late = now.duration_since(last).saturating_sub(TICK);
            if late >= STALL {
                tracing::warn!(
                    late_ms = late.as_millis() as u64,
                    "the message loop stalled"
                );
            }
            last = now;
        }
    });
}

/// Runs the server on stdin/stdout until the client says `exit` or closes
/// the input. Returns whether `shutdown` came first (LSP asks for exit
/// status 0 then, and 1 otherwise).
pub async fn serve_stdio() -> bool {
    let state: SharedState = Arc::new(std::sync::Mutex::new(State::default()));
    let test_hooks = std::env::var_os(TEST_HOOKS_ENV).is_some_and(|v| v == "1");
    let transport = transport::spawn(tokio::io::stdin(), tokio::io::stdout());
    // Freed memory goes back to the system after each burst of messages.
    crate::host::memory::trim_when_idle();
    watch_for_stalls();
    let direct = transport.direct.clone();
    let mut builder = LspService::build(|client| {
        let publisher = Publisher::spawn(state.clone(), direct);
        let (refresh_state, refresh_publisher) = (state.clone(), publisher.clone());
        lock(&state).refresh_starlark = Some(Arc::new(move || {
            refresh_starlark(&refresh_state, &refresh_publisher)
        }));
        Backend {
            publisher,
            state: state.clone(),
            client,
            tokens: Arc::default(),
        }
    });
    builder = builder.custom_method(configs::LIST_CONFIGS, Backend::list_configs);
    if test_hooks {
        builder = builder
            .custom_method("bzls/debug/panic", Backend::debug_panic)
            .custom_method("bzls/debug/document", Backend::debug_document);
    }
    let (service, socket) = builder.finish();
    let backend = service.inner().clone();
    let service = FastLane::new(service, backend, transport.direct.clone());
    Server::new(transport.server_in, transport.server_out, socket)
        .concurrency_level(8)
        .serve(CatchPanic(service))
        .await;
    // Let the last responses reach stdout.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), transport.writer).await;
    let clean = lock(&state).shutdown_requested;
    clean
}
