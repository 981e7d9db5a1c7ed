//! A tower layer that turns a panicking handler into an error response.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use tower::Service;
use tower_lsp::jsonrpc::{Request, Response};

use super::blocking::{internal_error, panic_message};

/// Wraps the LSP service: if handling a message panics, a request gets an
/// `InternalError` response and a notification is dropped; either way the
/// server keeps serving.
pub struct CatchPanic<S>(pub S);

impl<S> Service<Request> for CatchPanic<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let req = without_null_params(req);
        let id = req.id().cloned();
        let method = req.method().to_owned();
        let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| self.0.call(req))) {
            Ok(fut) => fut,
            Err(payload) => {
                let detail = panic_message(payload);
                tracing::error!(method, detail, "handler panicked");
                return Box::pin(async move {
                    Ok(id.map(|id| Response::from_error(id, internal_error(&method, &detail))))
                });
            }
        };
        Box::pin(async move {
            match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(result) => result,
                Err(payload) => {
                    let detail = panic_message(payload);
                    tracing::error!(method, detail, "handler panicked");
                    Ok(id.map(|id| Response::from_error(id, internal_error(&method, &detail))))
                }
            }
        })
    }
}

/// Drops `"params": null`. Some clients send it for `shutdown` and `exit`,
/// whose params are void; tower-lsp would reject it as invalid params.
fn without_null_params(req: Request) -> Request {
    if req.params() != Some(&serde_json::Value::Null) {
        return req;
    }
    let (method, id, _) = req.into_parts();
    let builder = Request::build(method);
    match id {
        Some(id) => builder.id(id).finish(),
        None => builder.finish(),
    }
}
