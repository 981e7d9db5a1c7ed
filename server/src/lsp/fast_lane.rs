//! Requests whose answers can be large, answered without tower-lsp's
//! `serde_json::Value` step.
//!
//! tower-lsp turns every result into a `serde_json::Value` (a tree of
//! allocations) before it writes it, then frees it. For the semantic tokens
//! of a 5,000-line BUILD file (41,000 numbers) that took more than half of
//! the request: about 2.5 ms, against 0.1 ms to compute the tokens. This
//! layer sits between tower-lsp's server loop and its service. For the
//! methods of [`FAST_METHODS`] it calls the backend's own handler, writes
//! the result in one pass straight into a response frame, and hands the
//! frame to the transport's direct channel; every other message, and these
//! methods before `initialize` or after `shutdown`, go to tower-lsp as
//! before.
//!
//! Invariants:
//! - A request taken here gets exactly one response: the handler's result
//!   (through the direct channel), or its error (through tower-lsp's
//!   output, as any error response).
//! - Only between a successful `initialize` and `shutdown`: tower-lsp
//!   answers the protocol's errors outside that span.
//! - `$/cancelRequest` does not reach these requests (tower-lsp does not
//!   know them); they are answered anyway, which LSP allows.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tower::Service;
use tower_lsp::jsonrpc::{Error, Id, Request, Response};
use tower_lsp::LanguageServer;

use super::server::Backend;
use super::transport::DirectSender;

/// The methods answered here: those whose results grow with the file or
/// the workspace.
pub const FAST_METHODS: [&str; 12] = [
    "textDocument/semanticTokens/full",
    "textDocument/semanticTokens/full/delta",
    "textDocument/semanticTokens/range",
    "textDocument/completion",
    "textDocument/references",
    "textDocument/documentSymbol",
    "textDocument/foldingRange",
    "textDocument/documentLink",
    "textDocument/documentHighlight",
    "textDocument/inlayHint",
    "textDocument/codeLens",
    "workspace/symbol",
];

/// Wraps tower-lsp's service (see the module doc).
pub struct FastLane<S> {
    inner: S,
    backend: Backend,
    direct: DirectSender,
}

impl<S> FastLane<S> {
    pub fn new(inner: S, backend: Backend, direct: DirectSender) -> FastLane<S> {
        FastLane {
            inner,
            backend,
            direct,
        }
    }
}

type Answer<E> = Pin<Box<dyn Future<Output = Result<Option<Response>, E>> + Send>>;

impl<S> Service<Request> for FastLane<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Answer<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let fast =
            req.id().is_some() && FAST_METHODS.contains(&req.method()) && self.backend.serving();
        if !fast {
            return Box::pin(self.inner.call(req));
        }
        let (method, id, params) = req.into_parts();
        let Some(id) = id else {
            return Box::pin(async { Ok(None) });
        };
        let backend = self.backend.clone();
        let direct = self.direct.clone();
        Box::pin(async move {
            match answer(&backend, &method, params).await {
                Ok(result) => {
                    direct.respond(&response_body(&id, &result));
                    Ok(None)
                }
                Err(error) => Ok(Some(Response::from_error(id, error))),
            }
        })
    }
}

/// A response's body: `result` is the result's JSON.
fn response_body(id: &Id, result: &[u8]) -> Vec<u8> {
    let id = serde_json::to_vec(id).unwrap_or_else(|_| b"null".to_vec());
    let mut body = Vec::with_capacity(result.len() + id.len() + 40);
    body.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    body.extend_from_slice(&id);
    body.extend_from_slice(b",\"result\":");
    body.extend_from_slice(result);
    body.push(b'}');
    body
}

/// Runs the backend's handler for `method`; the JSON of its result.
async fn answer(backend: &Backend, method: &str, params: Option<Value>) -> Result<Vec<u8>, Error> {
    match method {
        "textDocument/semanticTokens/full" => {
            json(backend.semantic_tokens_full(params_of(params)?).await?)
        }
        "textDocument/semanticTokens/full/delta" => json(
            backend
                .semantic_tokens_full_delta(params_of(params)?)
                .await?,
        ),
        "textDocument/semanticTokens/range" => {
            json(backend.semantic_tokens_range(params_of(params)?).await?)
        }
        "textDocument/completion" => json(backend.completion(params_of(params)?).await?),
        "textDocument/references" => json(backend.references(params_of(params)?).await?),
        "textDocument/documentSymbol" => json(backend.document_symbol(params_of(params)?).await?),
        "textDocument/foldingRange" => json(backend.folding_range(params_of(params)?).await?),
        "textDocument/documentLink" => json(backend.document_link(params_of(params)?).await?),
        "textDocument/documentHighlight" => {
            json(backend.document_highlight(params_of(params)?).await?)
        }
        "textDocument/inlayHint" => json(backend.inlay_hint(params_of(params)?).await?),
        "textDocument/codeLens" => json(backend.code_lens(params_of(params)?).await?),
        "workspace/symbol" => json(backend.symbol(params_of(params)?).await?),
        _ => Err(Error::method_not_found()),
    }
}

/// The request's params, as tower-lsp would read them.
fn params_of<P: DeserializeOwned>(params: Option<Value>) -> Result<P, Error> {
    serde_json::from_value(params.unwrap_or(Value::Null))
        .map_err(|err| Error::invalid_params(err.to_string()))
}

fn json<R: Serialize>(result: R) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(&result).map_err(|err| {
        tracing::error!(%err, "cannot serialize a result");
        Error::internal_error()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_body_is_json_rpc() {
        let body = response_body(&Id::Number(7), b"[1,2]");
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"jsonrpc": "2.0", "id": 7, "result": [1, 2]})
        );
        let body = response_body(&Id::String("a\"b".to_owned()), b"null");
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["id"], "a\"b");
    }
}
