//! End-to-end harness: spawns the built `bzls` binary and speaks LSP to it
//! over stdio, the way an editor does.
//!
//! [`TestServer`] keeps every message the server sends; tests wait for the
//! ones they expect. Dropping a server that is still running performs
//! `shutdown` + `exit` and asserts that the process exits cleanly.

pub mod bazel;
pub mod buildifier;
pub mod monorepo;
pub mod npm;
pub mod rng;
pub mod select_gen;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A `.bzl` file whose macro `m(name)` asks for 10^12 bytes at once: its
/// evaluation must end at the memory bound, never take the machine's
/// memory or abort the server.
pub const MEMORY_BOMB_MACRO: &str =
    "def m(name):\n    x = (\"a\" * 1000) * 1000000000\n    native.cc_library(name = name, tags = [x])\n";

/// How long to wait for any one expected message.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The `bzls` binary under test: `$BZLS_BIN`, or the workspace's debug
/// build, built on first use.
pub fn bzls_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("BZLS_BIN") {
            return PathBuf::from(bin);
        }
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "bzls", "--bin", "bzls"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p bzls failed");
        // This test executable lives in target/<profile>/deps/.
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let bin = profile_dir.join("bzls");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

pub struct TestServer {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages received but not yet taken by a test.
    backlog: Vec<Value>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
    finished: bool,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn params_is_null(message: &Value) -> bool {
    message.get("params") == Some(&Value::Null)
}

impl TestServer {
    /// Starts `bzls serve` without initializing it.
    pub fn spawn() -> TestServer {
        TestServer::spawn_with_env(&[])
    }

    pub fn spawn_with_env(env: &[(&str, &str)]) -> TestServer {
        let mut command = Command::new(bzls_bin());
        command
            .arg("serve")
            .env("BZLS_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn bzls serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        TestServer {
            stdin: child.stdin.take(),
            child,
            incoming,
            backlog: Vec::new(),
            next_id: 1,
            stderr,
            finished: false,
        }
    }

    /// Starts a server and initializes it with `capabilities`.
    pub fn initialized(capabilities: Value) -> (TestServer, Value) {
        let mut server = TestServer::spawn();
        let result = server.initialize(capabilities);
        (server, result)
    }

    /// Sends `initialize` + `initialized`; returns the `InitializeResult`.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        self.initialize_workspace(None, capabilities, Value::Null)
    }

    /// Sends `initialize` (with the workspace `root`, when given, and the
    /// `initializationOptions`, when not null) + `initialized`; returns the
    /// `InitializeResult`, panicking when the server answers an error.
    pub fn initialize_workspace(
        &mut self,
        root: Option<&std::path::Path>,
        capabilities: Value,
        options: Value,
    ) -> Value {
        let mut params = json!({
            "processId": null,
            "rootUri": root.map(uri),
            "capabilities": capabilities,
        });
        if !options.is_null() {
            params["initializationOptions"] = options;
        }
        let response = self.request("initialize", params);
        let result = response.get("result").cloned().unwrap_or_else(|| {
            panic!("initialize failed: {response}");
        });
        self.notify("initialized", json!({}));
        result
    }

    /// Initializes on the workspace `root` as an editor that shows
    /// progress does, and accepts the server's progress token; returns
    /// the `InitializeResult`. Indexing progress (`$/progress` begin and
    /// end) then follows.
    pub fn initialize_with_progress(&mut self, root: &std::path::Path) -> Value {
        let result = self.initialize_workspace(
            Some(root),
            json!({"window": {"workDoneProgress": true}}),
            Value::Null,
        );
        let create = self.take("workDoneProgress/create", |m| {
            m["method"] == "window/workDoneProgress/create"
        });
        self.send(&json!({"jsonrpc": "2.0", "id": create["id"], "result": null}));
        result
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Writes raw bytes to the server's stdin.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to bzls");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("serialize");
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend(body);
        self.send_raw(&framed);
    }

    /// Sends a notification; `Value::Null` params are omitted, as editors do.
    pub fn notify(&mut self, method: &str, params: Value) {
        let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        if params_is_null(&message) {
            message.as_object_mut().map(|m| m.remove("params"));
        }
        self.send(&message);
    }

    /// Sends a request and returns its id without waiting.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        if params_is_null(&message) {
            message.as_object_mut().map(|m| m.remove("params"));
        }
        self.send(&message);
        id
    }

    /// Sends a request and waits for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: i64) -> Value {
        self.take(&format!("response to request {id}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        })
    }

    /// Waits for, and removes, the first message matching `pred`.
    pub fn take(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.take_within(TIMEOUT, what, pred)
    }

    /// The process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// [`TestServer::take`] with a time limit of `wait`.
    pub fn take_within(
        &mut self,
        wait: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) => {
                    if pred(&message) {
                        return message;
                    }
                    self.backlog.push(message);
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out waiting for {what}\nbacklog: {:#?}\nstderr:\n{}",
                    self.backlog,
                    self.stderr()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "bzls closed stdout while waiting for {what}\nstderr:\n{}",
                    self.stderr()
                ),
            }
        }
    }

    /// Forgets the messages received so far but not taken: they all arrived
    /// before the last message `take` returned.
    pub fn clear_backlog(&mut self) {
        self.backlog.clear();
    }

    /// Whether a message matching `pred` arrives within `wait`.
    pub fn arrives_within(
        &mut self,
        wait: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) if pred(&message) => return Some(message),
                Ok(message) => self.backlog.push(message),
                Err(_) => return None,
            }
        }
    }

    /// Waits for diagnostics of `uri` at `version` satisfying `pred`;
    /// returns their list.
    pub fn diagnostics_where(
        &mut self,
        uri: &str,
        version: Option<i64>,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let uri = uri.to_owned();
        let m = self.take(&format!("diagnostics for {uri} v{version:?}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(uri)
                && (version.is_none() || m["params"]["version"] == json!(version))
                && m["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| pred(d))
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits for any diagnostics of `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        self.diagnostics_where(uri, Some(version), |_| true)
    }

    pub fn open(&mut self, uri: &str, language_id: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language_id, "version": version, "text": text}}),
        );
    }

    /// Sends one incremental change replacing `[start, end)` (each
    /// `(line, character)`) with `text`.
    pub fn change(
        &mut self,
        uri: &str,
        version: i64,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {"start": {"line": start.0, "character": start.1}, "end": {"line": end.0, "character": end.1}},
                    "text": text
                }]
            }),
        );
    }

    /// `shutdown` then `exit`; returns the exit status. Stdin stays open, as
    /// editors keep it: the server must end by itself.
    pub fn shutdown(&mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert!(
            response.get("error").is_none(),
            "shutdown failed: {response}"
        );
        self.notify("exit", Value::Null);
        self.wait_exit_with_stdin_open()
    }

    /// Waits for the process to end after closing its stdin.
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.stdin.take();
        self.wait_exit_with_stdin_open()
    }

    /// Waits for the process to end without closing its stdin.
    pub fn wait_exit_with_stdin_open(&mut self) -> ExitStatus {
        self.finished = true;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("bzls did not exit\nstderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if std::thread::panicking() {
            let _ = self.child.kill();
            return;
        }
        let status = self.shutdown();
        assert!(
            status.success(),
            "bzls exited with {status}\nstderr:\n{}",
            self.stderr()
        );
    }
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bzls-e2e-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, text).expect("write fixture");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints one line of latency figures (p50, p99, max) for the benchmark
/// binaries; "no samples" when `times` is empty.
pub fn report_latencies(name: &str, mut times: Vec<Duration>) {
    if times.is_empty() {
        println!("{name:<40} no samples");
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<40} n={:<4} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times.last().copied().unwrap_or_default())
    );
}

/// The byte offset of an LSP position (UTF-16 columns) in `text`, clamped
/// to the end of its line.
pub fn utf16_offset(text: &str, line: u64, character: u64) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16() as u64;
    }
    end
}

/// `text` with the LSP `TextEdit`s `edits` (UTF-16 positions, not
/// overlapping) applied, as an editor applies them.
pub fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        utf16_offset(
            text,
            position["line"].as_u64().expect("line"),
            position["character"].as_u64().expect("character"),
        )
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            (
                offset(&edit["range"]["start"]),
                offset(&edit["range"]["end"]),
                edit["newText"].as_str().expect("newText"),
            )
        })
        .collect();
    spans.sort_by_key(|&(start, end, _)| (start, end));
    let mut out = String::new();
    let mut at = 0;
    for (start, end, new_text) in spans {
        assert!(start >= at, "overlapping edits: {edits:?}");
        out.push_str(&text[at..start]);
        out.push_str(new_text);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}
