//! Evaluation of BUILD files in child processes, so that no BUILD file or
//! macro can take the server down.
//!
//! The `starlark` interpreter bounds steps ([`crate::workspace::eval::MAX_TICKS`])
//! but not memory: one expression (`("a" * 1000) * 1000000000`, a `join`
//! of a list that repeats one long string) asks the allocator for more
//! than the machine has, and Rust aborts the process when an allocation
//! fails. So the binary evaluates in worker processes (`bzls
//! __evaluator`, started from [`std::env::current_exe`]) whose address
//! space is limited to [`MEMORY_LIMIT`] with `setrlimit`. A worker that
//! dies (out of memory, a crash) or goes silent for [`STEP_TIMEOUT`] is
//! killed; the package it was evaluating is read statically, open, and
//! the reason says which bound was hit. The next evaluation starts a new
//! worker.
//!
//! The protocol is one JSON value a line over the worker's stdin and
//! stdout. The parent sends [`Request`]s, a batch of BUILD files at a
//! time; while evaluating, the worker asks for what [`EvalSource`]
//! provides ([`Reply::ModuleText`], ...) and waits for the [`Answer`], and
//! it ends each file with a [`Reply::Done`].
//!
//! Invariants:
//! - A worker is used by one batch at a time (taken from the pool, put
//!   back after its last `Done`); at most [`max_workers`] live at once, and an
//!   evaluation that finds them all busy waits for one.
//! - Every [`ProcessEvaluator::invalidate`] reaches every worker before
//!   its next evaluation: each worker knows the sequence number of the last
//!   invalidation it applied, and an idle worker too far behind the log is
//!   told to forget everything.
//! - Evaluation never fails outright: when no worker can be started, it
//!   runs in this process ([`Evaluator`]), as the library does when the
//!   binary has not enabled isolation ([`isolate_evaluation`]).

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use starlark::syntax::AstModule;

use crate::workspace::eval::{static_reading, EvalSource, Evaluation, Evaluator, ModuleKey};

/// The address space a worker may use. Ordinary evaluation of the largest
/// real BUILD files needs a few tens of MB; the rest is head room.
pub const MEMORY_LIMIT: u64 = 2 * 1024 * 1024 * 1024;

/// How long a worker may compute without a message (a question for the
/// parent or its answer) before it is taken to be stuck and killed.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many workers live at once: two a core (as many as the
/// index's reader threads, which wait on them), up to 8; each keeps its
/// own cache of evaluated `.bzl` modules.
pub fn max_workers() -> usize {
    std::thread::available_parallelism().map_or(4, |n| (2 * n.get()).clamp(2, 8))
}

/// The hidden subcommand that runs a worker.
pub const WORKER_COMMAND: &str = "__evaluator";

/// How many invalidations are remembered for workers that are behind.
const MAX_LOG: usize = 256;

/// Whether, and with which executable, evaluations run in workers;
/// unset: in this process.
static ISOLATION: OnceLock<PathBuf> = OnceLock::new();

/// Makes every [`ProcessEvaluator`] created from now on evaluate in workers
/// started from `exe` (the `bzls` binary, which must handle
/// [`WORKER_COMMAND`]). Called once by the binary's `main`; the library's
/// tests leave it unset and evaluate in-process.
pub fn isolate_evaluation(exe: PathBuf) {
    let _ = ISOLATION.set(exe);
}

/// What the parent sends.
#[derive(Serialize, Deserialize, Debug)]
enum Request {
    /// Evaluate these BUILD files in order, ending each with a
    /// [`Reply::Done`]: a batch costs one message from the parent, not one
    /// a file, and the worker does not wait between files.
    Evaluate(Vec<Job>),
    /// Forget a cached module and its dependents (`None`: all).
    Invalidate(Option<ModuleKey>),
}

/// One BUILD file to evaluate.
#[derive(Serialize, Deserialize, Debug)]
struct Job {
    package: String,
    text: String,
    /// The package's files, sent along when the text calls `glob` (saves
    /// the worker asking for them).
    files: Option<Vec<String>>,
}

/// What the worker sends.
#[derive(Serialize, Deserialize, Debug)]
enum Reply {
    ModuleText(ModuleKey),
    PackageFiles(String),
    Subpackages(String),
    Done(Evaluation),
}

/// The parent's answer to a question.
#[derive(Serialize, Deserialize, Debug)]
enum Answer {
    ModuleText(Option<String>),
    PackageFiles(Vec<String>),
    Subpackages(Option<Vec<String>>),
}

/// Evaluates BUILD files in worker processes (or in this process when
/// isolation is not enabled or no worker starts); same contract as
/// [`Evaluator`].
pub struct ProcessEvaluator {
    exe: Option<PathBuf>,
    /// [`STEP_TIMEOUT`], but for tests.
    step_timeout: Duration,
    pool: Mutex<Pool>,
    /// Signalled when a worker is put back or ends.
    returned: Condvar,
    log: Mutex<InvalidationLog>,
    /// Used when there is no worker.
    local: Evaluator,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Worker>,
    /// Workers started and not ended, idle or busy.
    live: usize,
}

#[derive(Default)]
struct InvalidationLog {
    /// The sequence number of the latest invalidation.
    latest: u64,
    /// The latest invalidations, oldest first, with their numbers.
    entries: VecDeque<(u64, Option<ModuleKey>)>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The sequence number of the last invalidation this worker applied.
    synced: u64,
}

impl Default for ProcessEvaluator {
    fn default() -> Self {
        ProcessEvaluator::new()
    }
}

impl ProcessEvaluator {
    /// Isolated when [`isolate_evaluation`] was called.
    pub fn new() -> ProcessEvaluator {
        ProcessEvaluator::with_workers(ISOLATION.get().cloned(), STEP_TIMEOUT)
    }

    /// Evaluates in workers started as `exe __evaluator` (`None`: in this
    /// process), each step waiting at most `step_timeout`.
    pub fn with_workers(exe: Option<PathBuf>, step_timeout: Duration) -> ProcessEvaluator {
        ProcessEvaluator {
            exe,
            step_timeout,
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            log: Mutex::new(InvalidationLog::default()),
            local: Evaluator::new(),
        }
    }

    /// Evaluates the BUILD file of `package` (text `build_text`).
    pub fn evaluate(&self, package: &str, build_text: &str, source: &dyn EvalSource) -> Evaluation {
        self.evaluate_many(&[(package, build_text)], source)
            .pop()
            .unwrap_or_else(|| static_reading(build_text, "not evaluated".to_string()))
    }

    /// Evaluates BUILD files, given as `(package, text)`, in order: in one
    /// worker as far as it gets (one message for the batch, so the worker
    /// does not wait on the caller between files). A file that stops its
    /// worker is read statically with the reason, and the files after it
    /// go to a fresh worker. Returns one evaluation a file, in order.
    pub fn evaluate_many(
        &self,
        builds: &[(&str, &str)],
        source: &dyn EvalSource,
    ) -> Vec<Evaluation> {
        let mut done = Vec::with_capacity(builds.len());
        while done.len() < builds.len() {
            let rest = &builds[done.len()..];
            if !self.in_worker(rest, source, &mut done) {
                let local = rest
                    .iter()
                    .map(|(package, text)| self.local.evaluate(package, text, source));
                done.extend(local);
            }
        }
        done
    }

    /// Evaluates BUILD files already parsed (by
    /// [`crate::workspace::eval::parse_build`]), given as `(package, text,
    /// tree)`, as [`ProcessEvaluator::evaluate_many`] does; in this process
    /// the trees are reused, a worker parses the texts again.
    pub fn evaluate_parsed_many(
        &self,
        builds: Vec<(&str, &str, AstModule)>,
        source: &dyn EvalSource,
    ) -> Vec<Evaluation> {
        if self.exe.is_none() {
            return builds
                .into_iter()
                .map(|(package, text, ast)| self.local.evaluate_parsed(package, text, ast, source))
                .collect();
        }
        let texts: Vec<(&str, &str)> = builds
            .into_iter()
            .map(|(package, text, _)| (package, text))
            .collect();
        self.evaluate_many(&texts, source)
    }

    /// Forgets a cached module and every module that loaded it (`None`:
    /// all), in this process and in every worker.
    pub fn invalidate(&self, key: Option<&ModuleKey>) {
        self.local.invalidate(key);
        let mut log = lock(&self.log);
        log.latest += 1;
        let latest = log.latest;
        log.entries.push_back((latest, key.cloned()));
        if log.entries.len() > MAX_LOG {
            log.entries.pop_front();
        }
    }

    /// Evaluates `builds` in one worker, pushing onto `done` an evaluation
    /// for each file it finished, and for the file that stopped it (read
    /// statically, with the reason); so at least one. False (and nothing
    /// pushed) when no worker could be started.
    fn in_worker(
        &self,
        builds: &[(&str, &str)],
        source: &dyn EvalSource,
        done: &mut Vec<Evaluation>,
    ) -> bool {
        let Some(exe) = self.exe.as_ref() else {
            return false;
        };
        let Some(mut worker) = self.take(exe) else {
            return false;
        };
        HOLDING.with(|holding| holding.set(holding.get() + 1));
        let _release = Release;
        let first = done.len();
        let outcome = self.sync(&mut worker).and_then(|()| {
            let jobs = builds
                .iter()
                .map(|(package, text)| Job {
                    package: package.to_string(),
                    text: text.to_string(),
                    files: text.contains("glob").then(|| source.package_files(package)),
                })
                .collect();
            worker.send(&Request::Evaluate(jobs))?;
            worker.serve(source, self.step_timeout, first + builds.len(), done)
        });
        match outcome {
            Ok(()) => {
                lock(&self.pool).idle.push(worker);
                self.returned.notify_one();
            }
            Err(failure) => {
                let reason = worker.end(failure, self.step_timeout);
                lock(&self.pool).live -= 1;
                self.returned.notify_one();
                let (package, text) = builds[done.len() - first];
                tracing::warn!(package, "evaluation stopped: {reason}");
                let mut evaluation = static_reading(text, format!("evaluation stopped: {reason}"));
                evaluation.cut_short = Some(reason);
                done.push(evaluation);
            }
        }
        true
    }

    /// An idle worker, a new one, or (when [`max_workers`] are busy) the
    /// first one put back; `None` when none can be started.
    fn take(&self, exe: &PathBuf) -> Option<Worker> {
        // A source that evaluated while answering a worker would wait for
        // itself when every worker is busy: it gets one beyond the cap.
        let nested = HOLDING.with(|holding| holding.get() > 0);
        let mut pool = lock(&self.pool);
        loop {
            if let Some(worker) = pool.idle.pop() {
                return Some(worker);
            }
            if pool.live < max_workers() || nested {
                pool.live += 1;
                drop(pool);
                return match Worker::start(exe, lock(&self.log).latest) {
                    Ok(worker) => Some(worker),
                    Err(err) => {
                        lock(&self.pool).live -= 1;
                        self.returned.notify_one();
                        tracing::warn!(
                            "cannot start an evaluation process: {err}; evaluating in the server"
                        );
                        None
                    }
                };
            }
            pool = self.returned.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Sends `worker` the invalidations it has not applied.
    fn sync(&self, worker: &mut Worker) -> Result<(), Failure> {
        let pending: Vec<Request> = {
            let log = lock(&self.log);
            if worker.synced == log.latest {
                return Ok(());
            }
            let oldest_kept = log.entries.front().map_or(log.latest, |(seq, _)| *seq);
            let pending = if worker.synced + 1 < oldest_kept {
                vec![Request::Invalidate(None)]
            } else {
                log.entries
                    .iter()
                    .filter(|(seq, _)| *seq > worker.synced)
                    .map(|(_, key)| Request::Invalidate(key.clone()))
                    .collect()
            };
            worker.synced = log.latest;
            pending
        };
        for request in &pending {
            worker.send(request)?;
        }
        Ok(())
    }
}

impl Drop for ProcessEvaluator {
    fn drop(&mut self) {
        for mut worker in lock(&self.pool).idle.drain(..) {
            // Closing stdin ends the worker's loop; kill in case it is busy.
            let _ = worker.child.kill();
            let _ = worker.child.wait();
        }
    }
}

thread_local! {
    /// How many workers this thread holds (more than one only when a
    /// source evaluates while answering a worker).
    static HOLDING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a held worker off [`HOLDING`] when dropped.
struct Release;

impl Drop for Release {
    fn drop(&mut self) {
        HOLDING.with(|holding| holding.set(holding.get().saturating_sub(1)));
    }
}

/// Why a worker stopped serving an evaluation.
enum Failure {
    /// Its output ended (it died) or could not be written to.
    Gone,
    /// It sent nothing for [`STEP_TIMEOUT`].
    Silent,
    /// It sent something that is not a [`Reply`].
    Garbled(String),
}

impl From<std::io::Error> for Failure {
    fn from(_: std::io::Error) -> Failure {
        Failure::Gone
    }
}

impl Worker {
    fn start(exe: &PathBuf, synced: u64) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .arg(WORKER_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("no pipes to the evaluation process"));
        };
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            synced,
        })
    }

    fn send<T: Serialize>(&mut self, message: &T) -> Result<(), Failure> {
        let mut line = serde_json::to_vec(message).map_err(|e| Failure::Garbled(e.to_string()))?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        self.stdin.flush()?;
        Ok(())
    }

    /// Answers the worker's questions from `source`, pushing its
    /// evaluations onto `done`, until `done` holds `goal` of them.
    fn serve(
        &mut self,
        source: &dyn EvalSource,
        timeout: Duration,
        goal: usize,
        done: &mut Vec<Evaluation>,
    ) -> Result<(), Failure> {
        while done.len() < goal {
            let reply: Reply = self.receive(timeout)?;
            let answer = match reply {
                Reply::Done(evaluation) => {
                    done.push(evaluation);
                    continue;
                }
                Reply::ModuleText(key) => {
                    Answer::ModuleText(source.module_text(&key).map(|t| t.to_string()))
                }
                Reply::PackageFiles(package) => {
                    Answer::PackageFiles(source.package_files(&package))
                }
                Reply::Subpackages(package) => Answer::Subpackages(source.subpackages(&package)),
            };
            self.send(&answer)?;
        }
        Ok(())
    }

    /// The next message, waiting at most `timeout` for it to begin.
    fn receive<T: for<'de> Deserialize<'de>>(&mut self, timeout: Duration) -> Result<T, Failure> {
        if self.stdout.buffer().is_empty() && !readable(&self.stdout, timeout) {
            return Err(Failure::Silent);
        }
        let mut line = Vec::new();
        if self.stdout.read_until(b'\n', &mut line)? == 0 {
            return Err(Failure::Gone);
        }
        serde_json::from_slice(&line).map_err(|e| Failure::Garbled(e.to_string()))
    }

    /// Stops the worker after `failure`; says what happened, in words for
    /// the user.
    fn end(mut self, failure: Failure, timeout: Duration) -> String {
        let _ = self.child.kill();
        let status = self.child.wait();
        match failure {
            Failure::Silent => format!(
                "it computed for more than {} s without finishing",
                timeout.as_secs_f64()
            ),
            Failure::Garbled(what) => format!("the evaluation process sent garbage ({what})"),
            Failure::Gone => {
                use std::os::unix::process::ExitStatusExt;
                let signal = status.ok().and_then(|s| s.signal());
                match signal {
                    // Rust aborts when an allocation fails; the kernel
                    // kills a process the machine cannot feed.
                    Some(libc::SIGABRT) | Some(libc::SIGKILL) => format!(
                        "it needed more memory than the {} MiB an evaluation may use",
                        MEMORY_LIMIT / (1024 * 1024)
                    ),
                    Some(signal) => format!("the evaluation process crashed (signal {signal})"),
                    None => "the evaluation process exited".to_string(),
                }
            }
        }
    }
}

/// Whether `reader`'s file has data (or end of file) within `timeout`.
#[allow(unsafe_code)]
fn readable(reader: &BufReader<ChildStdout>, timeout: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd: reader.get_ref().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    loop {
        // SAFETY: one valid pollfd, for the length given.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready >= 0 {
            return ready > 0;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // Let the read find out what is wrong.
            return true;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The worker's side: limits its address space to [`MEMORY_LIMIT`], lowers
/// its CPU priority as the index's threads do, then serves evaluations on stdin/stdout until stdin ends. Runs on a thread
/// with [`crate::syntax::starlark_ast::STARLARK_STACK_SIZE`] of stack.
pub fn run_worker() -> std::process::ExitCode {
    limit_memory(MEMORY_LIMIT);
    // Evaluation is background work, as on the index's threads: the
    // threads that answer the editor get the CPU first.
    crate::host::priority::lower_current_thread();
    let stdin = BufReader::new(std::io::stdin());
    match serve_requests(stdin, std::io::stdout()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

#[allow(unsafe_code)]
fn limit_memory(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: a valid rlimit for the call's duration.
    let result = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    if result != 0 {
        tracing::warn!(
            "cannot limit the evaluation process's memory: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Serves [`Request`]s read from `input`, writing [`Reply`]s to `output`.
fn serve_requests(input: impl BufRead + Send, output: impl Write + Send) -> std::io::Result<()> {
    let channel = Mutex::new(Channel { input, output });
    let evaluator = Evaluator::new();
    loop {
        let request: Option<Request> = lock(&channel).read()?;
        match request {
            None => return Ok(()),
            Some(Request::Invalidate(key)) => evaluator.invalidate(key.as_ref()),
            Some(Request::Evaluate(jobs)) => {
                // Modules not on disk (an external repository that is not
                // fetched), asked for once a batch rather than once a file.
                let missing = Mutex::new(HashSet::new());
                for job in jobs {
                    let source = Remote {
                        channel: &channel,
                        package: &job.package,
                        files: job.files,
                        missing: &missing,
                    };
                    let evaluation = evaluator.evaluate(&job.package, &job.text, &source);
                    lock(&channel).write(&Reply::Done(evaluation))?;
                }
            }
        }
    }
}

/// The worker's pipes to the parent.
struct Channel<R, W> {
    input: R,
    output: W,
}

impl<R: BufRead, W: Write> Channel<R, W> {
    /// The next message; `None` at the end of input.
    fn read<T: for<'de> Deserialize<'de>>(&mut self) -> std::io::Result<Option<T>> {
        let mut line = Vec::new();
        if self.input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        serde_json::from_slice(&line)
            .map(Some)
            .map_err(std::io::Error::other)
    }

    fn write<T: Serialize>(&mut self, message: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.output.write_all(&line)?;
        self.output.flush()
    }

    /// Asks the parent, and waits for its answer.
    fn ask(&mut self, question: &Reply) -> std::io::Result<Answer> {
        self.write(question)?;
        self.read()?
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
    }
}

/// What a worker's evaluation reads: questions to the parent.
struct Remote<'a, R, W> {
    channel: &'a Mutex<Channel<R, W>>,
    /// The package evaluated, and its files when the parent sent them.
    package: &'a str,
    files: Option<Vec<String>>,
    /// The modules the parent said are not on disk, during this batch.
    missing: &'a Mutex<HashSet<ModuleKey>>,
}

impl<R: BufRead + Send, W: Write + Send> Remote<'_, R, W> {
    /// The parent's answer; a parent that is gone ends the worker (there is
    /// nobody left to evaluate for).
    fn ask(&self, question: Reply) -> Answer {
        match lock(self.channel).ask(&question) {
            Ok(answer) => answer,
            Err(_) => std::process::exit(0),
        }
    }
}

impl<R: BufRead + Send, W: Write + Send> EvalSource for Remote<'_, R, W> {
    fn module_text(&self, key: &ModuleKey) -> Option<Arc<str>> {
        if lock(self.missing).contains(key) {
            return None;
        }
        let text = match self.ask(Reply::ModuleText(key.clone())) {
            Answer::ModuleText(text) => text.map(Arc::from),
            _ => None,
        };
        if text.is_none() {
            lock(self.missing).insert(key.clone());
        }
        text
    }

    fn package_files(&self, package: &str) -> Vec<String> {
        if let Some(files) = self.files.as_ref().filter(|_| package == self.package) {
            return files.clone();
        }
        match self.ask(Reply::PackageFiles(package.to_string())) {
            Answer::PackageFiles(files) => files,
            _ => Vec::new(),
        }
    }

    fn subpackages(&self, package: &str) -> Option<Vec<String>> {
        match self.ask(Reply::Subpackages(package.to_string())) {
            Answer::Subpackages(packages) => packages,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::TempDir;
    use std::os::unix::fs::PermissionsExt;

    /// A source with nothing in it.
    struct Empty;

    impl EvalSource for Empty {
        fn module_text(&self, _: &ModuleKey) -> Option<Arc<str>> {
            None
        }
        fn package_files(&self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    const BUILD: &str =
        "load(\"//m:defs.bzl\", \"mac\")\nmac(name = \"a\")\ncc_library(name = \"b\")\n";

    /// A fake worker: a shell script that ignores its argument.
    fn worker(dir: &TempDir, name: &str, script: &str) -> PathBuf {
        let path = dir.0.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn evaluate_with(exe: PathBuf, timeout: Duration) -> Evaluation {
        ProcessEvaluator::with_workers(Some(exe), timeout).evaluate("p", BUILD, &Empty)
    }

    /// What a failed worker leaves: the static reading, open, and why.
    fn assert_static(evaluation: &Evaluation, why: &str) {
        let names: Vec<&str> = evaluation
            .decls
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(evaluation.decls.open);
        let cut_short = evaluation.cut_short.as_deref().unwrap_or_default();
        assert!(cut_short.contains(why), "{cut_short}");
        assert!(evaluation.open_reasons[0].starts_with("evaluation stopped: "));
    }

    #[test]
    fn a_worker_killed_by_an_abort_ran_out_of_memory() {
        let dir = TempDir::new("eval-process");
        let exe = worker(&dir, "abort", "read line\nkill -ABRT $$");
        assert_static(&evaluate_with(exe, STEP_TIMEOUT), "more memory than");
    }

    #[test]
    fn a_silent_worker_is_killed_after_the_step_timeout() {
        let dir = TempDir::new("eval-process");
        let exe = worker(&dir, "silent", "read line\nexec sleep 30");
        let started = std::time::Instant::now();
        assert_static(
            &evaluate_with(exe, Duration::from_millis(200)),
            "computed for more than 0.2 s",
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_worker_that_sends_garbage_is_stopped() {
        let dir = TempDir::new("eval-process");
        let exe = worker(
            &dir,
            "garbage",
            "read line\necho '{not json'\nexec sleep 30",
        );
        assert_static(&evaluate_with(exe, STEP_TIMEOUT), "garbage");
    }

    #[test]
    fn a_worker_that_exits_is_reported() {
        let dir = TempDir::new("eval-process");
        let exe = worker(&dir, "exits", "exit 3");
        assert_static(&evaluate_with(exe, STEP_TIMEOUT), "exited");
    }

    #[test]
    fn no_worker_means_evaluation_here() {
        let dir = TempDir::new("eval-process");
        let evaluator =
            ProcessEvaluator::with_workers(Some(dir.0.join("does-not-exist")), STEP_TIMEOUT);
        let evaluation = evaluator.evaluate("p", "cc_library(name = \"x\")\n", &Empty);
        assert_eq!(evaluation.cut_short, None);
        assert_eq!(evaluation.decls.targets[0].name, "x");
    }

    /// The worker's side, in this process: within a batch, a module the
    /// parent says is not on disk is asked for once, not once a file.
    #[test]
    fn a_missing_module_is_asked_for_once_a_batch() {
        let job = |package: &str| Job {
            package: package.to_string(),
            text: "load(\"@x//:d.bzl\", \"m\")\nm(name = \"t\")\n".to_string(),
            files: None,
        };
        let request =
            serde_json::to_string(&Request::Evaluate(vec![job("a"), job("b")])).expect("request");
        let answer = serde_json::to_string(&Answer::ModuleText(None)).expect("answer");
        let input = format!("{request}\n{answer}\n");
        let mut output = Vec::new();
        serve_requests(input.as_bytes(), &mut output).expect("served");
        let replies: Vec<Reply> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("a reply"))
            .collect();
        let kinds: Vec<&str> = replies
            .iter()
            .map(|reply| match reply {
                Reply::ModuleText(_) => "module",
                Reply::Done(_) => "done",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["module", "done", "done"]);
    }

    /// A worker's answer: an evaluation that found one target, `w`.
    const DONE_W: &str = r#"{"Done":{"decls":{"targets":[{"name":"w","kind":"k","name_range":{"start":0,"end":1},"call_range":{"start":0,"end":1},"generated_by":null}],"loads":[],"open":false,"unfollowed":[],"unfollowed_outputs":[]},"open_reasons":[],"cut_short":null}}"#;

    /// A batch whose second file stops the worker (this fake one finishes
    /// one file, then exits): the first file keeps its evaluation, the
    /// second is read statically with the reason, and the third goes to a
    /// fresh worker.
    #[test]
    fn a_file_that_stops_its_worker_leaves_the_rest_of_the_batch_evaluated() {
        let dir = TempDir::new("eval-process");
        let exe = worker(
            &dir,
            "one-then-exit",
            &format!(
                "read line
echo '{DONE_W}'
exit 3"
            ),
        );
        let evaluator = ProcessEvaluator::with_workers(Some(exe), STEP_TIMEOUT);
        let builds = [("p1", BUILD), ("p2", BUILD), ("p3", BUILD)];
        let evaluations = evaluator.evaluate_many(&builds, &Empty);
        assert_eq!(evaluations.len(), 3);
        assert_eq!(evaluations[0].decls.targets[0].name, "w");
        assert_eq!(evaluations[0].cut_short, None);
        assert_static(&evaluations[1], "exited");
        assert_eq!(evaluations[2].decls.targets[0].name, "w");
        assert_eq!(evaluations[2].cut_short, None);
    }

    /// A worker that answers every evaluation with one fixed target, and
    /// logs the requests it got: invalidations reach an idle worker
    /// before its next evaluation, and the worker is reused.
    #[test]
    fn invalidations_reach_the_worker_before_its_next_evaluation() {
        let dir = TempDir::new("eval-process");
        let log = dir.0.join("requests");
        let done = DONE_W;
        let script = format!(
            "while read line; do\n  echo \"$line\" >> '{}'\n  case \"$line\" in\n    *Evaluate*) echo '{done}' ;;\n  esac\ndone",
            log.display()
        );
        let exe = worker(&dir, "echo", &script);
        let evaluator = ProcessEvaluator::with_workers(Some(exe), STEP_TIMEOUT);
        let first = evaluator.evaluate("p", BUILD, &Empty);
        assert_eq!(first.decls.targets[0].name, "w");
        evaluator.invalidate(Some(&ModuleKey {
            repo: String::new(),
            path: "m/defs.bzl".into(),
        }));
        evaluator.invalidate(None);
        let second = evaluator.evaluate("p", BUILD, &Empty);
        assert_eq!(second, first);
        let requests = std::fs::read_to_string(&log).expect("log");
        let kinds: Vec<&str> = requests
            .lines()
            .map(|l| {
                if l.contains("Evaluate") {
                    "evaluate"
                } else if l.contains("null") {
                    "all"
                } else {
                    "one"
                }
            })
            .collect();
        assert_eq!(kinds, ["evaluate", "one", "all", "evaluate"], "{requests}");
    }
}
