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
    static WORKER: Worker = Worker::new("bzls-analysis");
    WORKER.run(Box::new(job));
}

/// Runs `job` on the lint thread (like [`run_in_background`], one
/// long-lived thread): buildifier's lint of open documents, one at a time.
pub fn run_lint(job: impl FnOnce() + Send + 'static) {
    static WORKER: Worker = Worker::new("bzls-lint");
    WORKER.run(Box::new(job));
}

/// Runs `job` on the select-preview thread (like [`run_in_background`],
/// another long-lived thread): the second layer computes a BUILD file's
/// select previews there while its own thread checks labels. A thread
/// started per publication instead cost a thread's creation and its
/// allocator heap each time (1,600 threads in 90 s of typing).
pub fn run_previews(job: impl FnOnce() + Send + 'static) {
    static WORKER: Worker = Worker::new("bzls-previews");
    WORKER.run(Box::new(job));
}

/// Runs `job` on the file-event thread (like [`run_in_background`],
/// another long-lived thread): watched-file events update the index there,
/// in the order they came, off the LSP loop (a branch switch can bring
/// thousands of them at once).
pub fn run_file_events(job: impl FnOnce() + Send + 'static) {
    static WORKER: Worker = Worker::new("bzls-file-events");
    WORKER.run(Box::new(job));
}

/// A long-lived thread running jobs in order, started on first use, at a
/// lower CPU priority, with a large stack; a panicking job is logged and
/// the thread goes on. Without the thread (it could not be started, or is
/// gone) a job runs on the caller's.
struct Worker {
    name: &'static str,
    tx: std::sync::OnceLock<Option<std::sync::Mutex<std::sync::mpsc::Sender<Job>>>>,
}

impl Worker {
    const fn new(name: &'static str) -> Worker {
        Worker {
            name,
            tx: std::sync::OnceLock::new(),
        }
    }

    fn run(&self, job: Job) {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let name = self.name;
            let spawned = std::thread::Builder::new()
                .name(name.to_string())
                .stack_size(crate::syntax::starlark_ast::STARLARK_STACK_SIZE)
                .spawn(move || {
                    crate::host::priority::lower_current_thread();
                    while let Ok(job) = rx.recv() {
                        if let Err(payload) =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                        {
                            tracing::error!(
                                thread = name,
                                detail = panic_message(payload),
                                "background job failed"
                            );
                        }
                    }
                });
            match spawned {
                Ok(_) => Some(std::sync::Mutex::new(tx)),
                Err(err) => {
                    tracing::error!(%err, thread = name, "cannot start a background thread");
                    None
                }
            }
        });
        let sent = match tx {
            Some(tx) => tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(job)
                .map_err(|failed| failed.0),
            None => Err(job),
        };
        if let Err(job) = sent {
            // No thread: run the job here rather than lose it.
            job();
        }
    }
}
