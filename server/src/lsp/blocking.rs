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

type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on the background analysis thread: one thread, started on
/// first use, at a lower CPU priority than the threads that answer the
/// editor (see [`crate::host::priority`]), with a large stack. Jobs run in
/// the order given; a panicking job is logged and the thread goes on.
///
/// For work nobody waits on right now (the second layer of diagnostics):
/// keystrokes and requests get the CPU first.
pub fn run_in_background(job: impl FnOnce() + Send + 'static) {
    static WORKER: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("bzls-analysis".to_string())
            .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
            .spawn(move || {
                crate::host::priority::lower_current_thread();
                while let Ok(job) = rx.recv() {
                    if let Err(payload) =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                    {
                        tracing::error!(
                            detail = panic_message(payload),
                            "background analysis failed"
                        );
                    }
                }
            });
        match spawned {
            Ok(_) => Some(tx),
            Err(err) => {
                tracing::error!(%err, "cannot start the background analysis thread");
                None
            }
        }
    });
    match worker {
        Some(tx) => {
            if let Err(failed) = tx.send(Box::new(job)) {
                // The thread is gone: run the job here rather than lose it.
                (failed.0)();
            }
        }
        None => job(),
    }
}
