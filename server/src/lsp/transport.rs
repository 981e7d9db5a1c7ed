//! The stdio transport: LSP base-protocol framing, with a gate that only
//! lets well-formed JSON-RPC through to tower-lsp.
//!
//! tower-lsp stops serving on some malformed input (a JSON object that is
//! neither a request nor a response is taken for a response, and its
//! handling ends the read loop). So bzls frames stdin itself, answers
//! malformed messages with JSON-RPC errors, and hands tower-lsp only valid
//! messages through an in-memory pipe. Its output, the gate's error
//! responses and the server's direct notifications ([`DirectSender`]:
//! diagnostics) are written to stdout whole, one frame at a time.

use serde_json::{json, Value};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    DuplexStream,
};
use tokio::sync::mpsc;

/// Largest message body accepted; larger ones are skipped with an error.
pub const MAX_BODY: usize = 512 * 1024 * 1024;
/// Longest header line accepted.
const MAX_HEADER_LINE: usize = 8 * 1024;
const PIPE_CAPACITY: usize = 1 << 20;

/// One frame read from a stream.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Body(Vec<u8>),
    /// The header block had no usable `Content-Length`, or the body was too
    /// large (and was skipped).
    BadHeader(String),
}

/// Reads one base-protocol frame, or `None` at end of input.
pub async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Frame>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") && n >= MAX_HEADER_LINE {
            // Drain the rest of an overlong line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest).await?;
            length = Some(Err("a header line is too long".to_owned()));
            saw_header = true;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length {:?}", value.trim())),
                );
            }
        }
    }
    let length = match length {
        Some(Ok(length)) => length,
        Some(Err(why)) => return Ok(Some(Frame::BadHeader(why))),
        None => {
            return Ok(Some(Frame::BadHeader(
                "missing Content-Length header".to_owned(),
            )))
        }
    };
    if length > MAX_BODY {
        tokio::io::copy(
            &mut (&mut *reader).take(length as u64),
            &mut tokio::io::sink(),
        )
        .await?;
        return Ok(Some(Frame::BadHeader(format!(
            "message of {length} bytes is over the {MAX_BODY}-byte limit"
        ))));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(Some(Frame::Body(body)))
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn error_response(id: Value, code: i64, message: String) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    frame(body.to_string().as_bytes())
}

/// Whether a (valid) message is the `exit` notification.
fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("method") == Some(&json!("exit")) && v.get("id").is_none())
}

fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// Checks one message body. `Ok` means it is a JSON-RPC 2.0 request,
/// notification or response that tower-lsp can take, with `Some(body)` when
/// the body must be replaced: a `bzls/*` request without params gets `{}`
/// (JSON-RPC lets params be omitted; tower-lsp's custom methods require
/// them). `Err` is the error response to send instead (`None` when there is
/// nobody to answer).
pub fn check_message(body: &[u8]) -> Result<Option<Vec<u8>>, Option<Vec<u8>>> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return Err(Some(error_response(
                Value::Null,
                -32700,
                format!("Parse error: {err}"),
            )))
        }
    };
    let Some(object) = value.as_object() else {
        return Err(Some(error_response(
            Value::Null,
            -32600,
            "Invalid request: a message must be a JSON object (batches are not part of LSP)"
                .to_owned(),
        )));
    };
    let id = object.get("id");
    let reply_id = id.filter(|id| valid_id(id)).cloned().unwrap_or(Value::Null);
    let invalid = |why: &str| {
        Err(Some(error_response(
            reply_id.clone(),
            -32600,
            format!("Invalid request: {why}"),
        )))
    };
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return invalid("\"jsonrpc\" must be \"2.0\"");
    }
    if id.is_some_and(|id| !valid_id(id) && !id.is_null()) {
        return invalid("\"id\" must be a number or a string");
    }
    match object.get("method") {
        Some(Value::String(method)) => {
            let params = object.get("params");
            if params.is_some_and(|p| !(p.is_object() || p.is_array() || p.is_null())) {
                return invalid("\"params\" must be an object or an array");
            }
            if method.starts_with("bzls/") && params.is_none_or(Value::is_null) {
                let mut filled = object.clone();
                filled.insert("params".to_owned(), json!({}));
                return Ok(Some(Value::Object(filled).to_string().into_bytes()));
            }
            Ok(None)
        }
        Some(_) => invalid("\"method\" must be a string"),
        None if object.contains_key("result") || object.contains_key("error") => {
            if id.is_none() {
                // A response without an id answers nothing we sent.
                tracing::warn!("dropping a response without an id");
                return Err(None);
            }
            Ok(None)
        }
        None => {
            invalid("a message needs a \"method\" (request) or a \"result\"/\"error\" (response)")
        }
    }
}

/// The server's ends of the transport, and the task that writes to stdout.
pub struct Transport {
    /// Where the server reads messages.
    pub server_in: DuplexStream,
    /// Where the server writes messages.
    pub server_out: DuplexStream,
    /// Ends once the server's output is closed and fully written.
    pub writer: tokio::task::JoinHandle<()>,
    /// Writes notifications to stdout without going through tower-lsp.
    pub direct: DirectSender,
}

/// Sends notifications straight to stdout, ahead of whatever tower-lsp has
/// not written yet: tower-lsp writes nothing while one of its handlers
/// blocks (opening a large file parses it), and the first diagnostics of
/// an opened file should not wait for that. A notification sent here is
/// written before any message tower-lsp produces after the send.
#[derive(Clone)]
pub struct DirectSender(mpsc::UnboundedSender<Outgoing>);

/// A frame for the writer, and who to tell once it is written.
type Outgoing = (Vec<u8>, Option<tokio::sync::oneshot::Sender<()>>);

impl DirectSender {
    /// Sends notification `method` with `params`; the receiver completes
    /// once it has been written to stdout (or can no longer be).
    pub fn notify(
        &self,
        method: &str,
        params: impl serde::Serialize,
    ) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Fails only once stdout is closed, when nothing can be sent.
        let _ = self.0.send((notification(method, params), Some(tx)));
        rx
    }
}

impl DirectSender {
    /// Sends a response whose JSON `body` is already written (see
    /// [`super::fast_lane`]).
    pub fn respond(&self, body: &[u8]) {
        // Fails only once stdout is closed, when nothing can be sent.
        let _ = self.0.send((frame(body), None));
    }
}

fn notification(method: &str, params: impl serde::Serialize) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
    frame(body.to_string().as_bytes())
}

/// Connects `stdin`/`stdout` to a server through the gate.
pub fn spawn<I, O>(stdin: I, stdout: O) -> Transport
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (server_in, mut to_server) = tokio::io::duplex(PIPE_CAPACITY);
    let (from_server, server_out) = tokio::io::duplex(PIPE_CAPACITY);
    let (errors_tx, errors_rx) = mpsc::unbounded_channel::<Outgoing>();
    let direct = DirectSender(errors_tx.clone());
    let pending = Pending::default();
    let answered = pending.clone();

    tokio::spawn(async move {
        let mut reader = BufReader::new(stdin);
        loop {
            let read = read_frame(&mut reader).await;
            crate::host::memory::note_activity();
            match read {
                Ok(Some(Frame::Body(body))) => match check_message(&body) {
                    Ok(replaced) => {
                        let body = replaced.unwrap_or(body);
                        pending.asked(&body);
                        if to_server.write_all(&frame(&body)).await.is_err() {
                            break;
                        }
                        // After `exit`, read nothing more: the server ends
                        // even if the client keeps stdin open (Neovim does).
                        if is_exit(&body) {
                            break;
                        }
                    }
                    Err(reply) => {
                        let shown =
                            String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                        tracing::warn!(body = shown, "malformed message");
                        if let Some(reply) = reply {
                            let _ = errors_tx.send((reply, None));
                        }
                    }
                },
                Ok(Some(Frame::BadHeader(why))) => {
                    tracing::warn!(why, "bad message header");
                    let _ = errors_tx.send((
                        error_response(Value::Null, -32700, format!("Parse error: {why}")),
                        None,
                    ));
                }
                Ok(None) => break,
                Err(err) => {
                    tracing::warn!(%err, "cannot read stdin");
                    break;
                }
            }
        }
        // End of input: let the server see it.
        let _ = to_server.shutdown().await;
    });

    let writer = tokio::spawn(write_out(from_server, errors_rx, stdout, answered));
    Transport {
        server_in,
        server_out,
        writer,
        direct,
    }
}

/// The client's requests not answered yet: when each was read, to log an
/// answer written long after (see [`Pending::SLOW`]), and whether the time
/// went before the answer was ready or into writing it (a client that does
/// not read its input).
#[derive(Clone, Default)]
struct Pending(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Asked>>>);

/// A request read from the client.
struct Asked {
    method: String,
    read: std::time::Instant,
}

/// The head of a JSON-RPC message, read without building the rest.
#[derive(serde::Deserialize)]
struct Head {
    id: Option<Value>,
    method: Option<serde::de::IgnoredAny>,
}

impl Pending {
    /// The longest time from a request read to its answer written that is
    /// not logged.
    const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

    /// At most this many requests are tracked (a client may never wait for
    /// its answers).
    const MAX: usize = 10_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Asked>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a message the gate lets through, if it is a request.
    fn asked(&self, body: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Request {
            id: Option<Value>,
            method: Option<String>,
        }
        let Ok(Request {
            id: Some(id),
            method: Some(method),
        }) = serde_json::from_slice::<Request>(body)
        else {
            return;
        };
        let mut pending = self.lock();
        if pending.len() < Self::MAX {
            pending.insert(
                id.to_string(),
                Asked {
                    method,
                    read: std::time::Instant::now(),
                },
            );
        }
    }

    /// Notes a frame written to the client (made ready at `ready`), if it
    /// answers a request; logs the answer if it came late. Returns the
    /// answered request's method and the time since it was read.
    fn answered(
        &self,
        frame: &[u8],
        ready: std::time::Instant,
    ) -> Option<(String, std::time::Duration)> {
        if self.lock().is_empty() {
            return None;
        }
        let body = frame
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(frame, |at| &frame[at + 4..]);
        let Ok(Head {
            id: Some(id),
            method: None,
            ..
        }) = serde_json::from_slice::<Head>(body)
        else {
            return None;
        };
        let asked = self.lock().remove(&id.to_string())?;
        let total = asked.read.elapsed();
        if total >= Self::SLOW {
            tracing::warn!(
                method = asked.method,
                %id,
                total_ms = total.as_millis() as u64,
                writing_ms = ready.elapsed().as_millis() as u64,
                "slow answer"
            );
        }
        Some((asked.method, total))
    }
}

/// Writes the server's frames, the gate's error responses and direct
/// notifications to `stdout`, each frame whole, until the server's output
/// closes.
async fn write_out<O: AsyncWrite + Unpin>(
    from_server: DuplexStream,
    mut direct: mpsc::UnboundedReceiver<Outgoing>,
    mut stdout: O,
    pending: Pending,
) {
    // Frames are read on a task of their own: a read cut short by the
    // `select!` below would lose the bytes it had taken (channels are safe
    // to cancel, `read_frame` is not).
    let (frames_tx, mut frames) = mpsc::channel::<Vec<u8>>(64);
    tokio::spawn(async move {
        let mut server = BufReader::new(from_server);
        loop {
            match read_frame(&mut server).await {
                Ok(Some(Frame::Body(body))) => {
                    if frames_tx.send(frame(&body)).await.is_err() {
                        break;
                    }
                }
                Ok(Some(Frame::BadHeader(why))) => {
                    tracing::error!(why, "the server wrote a bad frame");
                }
                Ok(None) | Err(_) => break,
            }
        }
    });
    loop {
        let (out, written) = tokio::select! {
            // The gate's replies and direct notifications first: one sent
            // before tower-lsp produced a frame is written before it.
            biased;
            Some(outgoing) = direct.recv() => outgoing,
            next = frames.recv() => match next {
                Some(out) => (out, None),
                None => break,
            },
        };
        let ready = std::time::Instant::now();
        if stdout.write_all(&out).await.is_err() || stdout.flush().await.is_err() {
            break;
        }
        let _ = pending.answered(&out, ready);
        if let Some(written) = written {
            let _ = written.send(());
        }
    }
    // Direct notifications sent before the server's output closed.
    while let Ok((out, _)) = direct.try_recv() {
        if stdout.write_all(&out).await.is_err() {
            break;
        }
    }
    let _ = stdout.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<Frame> {
        let mut reader = BufReader::new(input);
        let mut out = Vec::new();
        while let Ok(Some(frame)) = read_frame(&mut reader).await {
            out.push(frame);
        }
        out
    }

    #[tokio::test]
    async fn framing() {
        let input = b"Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: x\r\n\r\n[1]Foo: bar\r\n\r\nContent-Length: zz\r\n\r\n";
        assert_eq!(
            frames(input).await,
            [
                Frame::Body(b"{}".to_vec()),
                Frame::Body(b"[1]".to_vec()),
                Frame::BadHeader("missing Content-Length header".to_owned()),
                Frame::BadHeader("invalid Content-Length \"zz\"".to_owned()),
            ]
        );
    }

    #[test]
    fn message_checks() {
        let ok = |s: &str| check_message(s.as_bytes()).is_ok();
        assert!(ok(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
        ));
        assert!(ok(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        assert!(ok(r#"{"jsonrpc":"2.0","id":"a","result":null}"#));
        assert!(!ok(r#"{"hello":"world"}"#));
        assert!(!ok(r#"[{"jsonrpc":"2.0","method":"exit"}]"#));
        assert!(!ok(r#"{"jsonrpc":"1.0","method":"exit"}"#));
        assert!(!ok(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#));
        assert!(!ok(r#"{"jsonrpc":"2.0","method":5}"#));
        assert!(!ok(r#"{"jsonrpc":"2.0","method":"x","params":5}"#));
        assert!(!ok("not json"));
        let reply = check_message(br#"{"jsonrpc":"2.0","id":7,"method":5}"#)
            .unwrap_err()
            .unwrap();
        assert!(String::from_utf8_lossy(&reply).contains(r#""id":7"#));
        // Our own requests may omit params: they get `{}`; others pass as sent.
        let filled = |s: &str| {
            check_message(s.as_bytes())
                .unwrap()
                .map(|b| serde_json::from_slice::<Value>(&b).unwrap()["params"].clone())
        };
        assert_eq!(
            filled(r#"{"jsonrpc":"2.0","id":1,"method":"bzls/listConfigs"}"#),
            Some(json!({}))
        );
        assert_eq!(
            filled(r#"{"jsonrpc":"2.0","id":1,"method":"bzls/listConfigs","params":null}"#),
            Some(json!({}))
        );
        assert_eq!(
            filled(r#"{"jsonrpc":"2.0","id":1,"method":"bzls/listConfigs","params":{"uri":"x"}}"#),
            None
        );
        assert_eq!(
            filled(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
            None
        );
    }

    /// Answers are matched with the requests they answer (ids as numbers or
    /// strings); notifications, requests from the server and unknown ids
    /// are not answers.
    #[test]
    fn answers_are_matched_with_their_requests() {
        let pending = Pending::default();
        let now = std::time::Instant::now();
        pending.asked(br#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{}}"#);
        pending.asked(br#"{"jsonrpc":"2.0","id":"a","method":"shutdown"}"#);
        pending.asked(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        let method = |body: &[u8]| pending.answered(&frame(body), now).map(|(m, _)| m);
        assert_eq!(
            method(br#"{"jsonrpc":"2.0","method":"x","params":{"id":7}}"#),
            None
        );
        assert_eq!(
            method(br#"{"jsonrpc":"2.0","id":7,"method":"window/workDoneProgress/create"}"#),
            None
        );
        assert_eq!(method(br#"{"jsonrpc":"2.0","result":null,"id":8}"#), None);
        assert_eq!(
            method(br#"{"jsonrpc":"2.0","result":{"contents":"x"},"id":7}"#).as_deref(),
            Some("textDocument/hover")
        );
        assert_eq!(method(br#"{"jsonrpc":"2.0","result":null,"id":7}"#), None);
        assert_eq!(
            method(br#"{"jsonrpc":"2.0","error":{"code":1,"message":"m"},"id":"a"}"#).as_deref(),
            Some("shutdown")
        );
        assert!(pending.lock().is_empty());
    }

    /// Direct notifications reach stdout whole, in order, ahead of what the
    /// server writes after them, and their senders learn when.
    #[tokio::test]
    async fn direct_notifications_are_written_in_order_and_acknowledged() {
        let (stdin_client, stdin_server) = tokio::io::duplex(1 << 16);
        let (stdout_server, mut stdout_client) = tokio::io::duplex(1 << 16);
        let mut transport = spawn(stdin_server, stdout_server);
        let first = transport.direct.notify("a", json!({"n": 1}));
        let second = transport.direct.notify("b", json!({"n": 2}));
        first.await.expect("written");
        second.await.expect("written");
        transport
            .server_out
            .write_all(&frame(br#"{"jsonrpc":"2.0","method":"c"}"#))
            .await
            .expect("server writes");
        drop(transport.server_out);
        drop(stdin_client);
        transport.writer.await.expect("writer ends");
        let mut out = Vec::new();
        stdout_client.read_to_end(&mut out).await.expect("read");
        let mut reader = BufReader::new(out.as_slice());
        let mut methods = Vec::new();
        while let Ok(Some(Frame::Body(body))) = read_frame(&mut reader).await {
            let value: Value = serde_json::from_slice(&body).expect("json");
            methods.push(value["method"].as_str().unwrap_or_default().to_owned());
        }
        assert_eq!(methods, ["a", "b", "c"]);
    }
}
