//! Running analysis work on the blocking pool.

use tower_lsp::jsonrpc;

/// Runs `f` on the blocking thread pool (whose threads have a large stack)
/// and turns a panic into an internal-error response.
pub async fn run_blocking<T, F>(label: &'static str, f: F) -> jsonrpc::Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Ok(value),
        Err(err) => {
            let detail = if err.is_panic() {
                panic_message(err.into_panic())
            } else {
                "the task was cancelled".to_owned()
            };
            tracing::error!(label, detail, "handler failed");
            Err(internal_error(label, &detail))
        }
    }
}

pub fn internal_error(label: &str, detail: &str) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InternalError,
        message: format!("bzls: internal error in {label}: {detail}").into(),
        data: None,
    }
}

pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
