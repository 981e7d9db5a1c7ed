//! The stdio transport: base-protocol framing (`read_frame`), the JSON-RPC
//! gate (`check_message`), and the whole gate task (`spawn`) between a
//! fuzzed stdin and an in-memory stdout, on a current-thread tokio runtime.
//!
//! Input: the raw bytes a client writes to stdin.
//!
//! `bzls::lsp::transport` is private to bzls, and its public entry point,
//! `bzls::lsp::serve_stdio`, owns the process's stdin and stdout and runs
//! the whole server (indexing the client's root, spawning `bazel`). So this
//! target compiles the server's own `server/src/lsp/transport.rs` as a
//! module (`#[path]`), unchanged: the same code, without a server around it.
//!
//! Invariants:
//! - framing terminates; a body framed again reads back the same;
//! - `check_message`: a replaced body passes unchanged (`Ok(None)`) and has
//!   object params; an error reply is one well-formed frame holding a
//!   JSON-RPC 2.0 error response (code -32700 or -32600) with a valid id;
//! - the gate forwards to the server exactly the messages that pass, in
//!   order (replaced where replaced, none after `exit`), and writes to
//!   stdout exactly the error replies for the others, in order.
#![no_main]

#[allow(dead_code)]
#[path = "../../server/src/lsp/transport.rs"]
mod transport;

use transport::{check_message, read_frame, spawn, Frame};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tokio::io::{AsyncReadExt, BufReader};

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
}

fuzz_target!(|data: &[u8]| {
    RUNTIME.with(|rt| rt.block_on(run(data.to_vec())));
});

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

async fn frames(input: &[u8]) -> Vec<Frame> {
    let mut reader = BufReader::new(input);
    let mut out = Vec::new();
    while let Ok(Some(frame)) = read_frame(&mut reader).await {
        out.push(frame);
    }
    out
}

/// The only frame of `bytes`, which must be exactly one well-formed frame.
async fn only_body(bytes: &[u8]) -> Vec<u8> {
    match frames(bytes).await.as_slice() {
        [Frame::Body(body)] => body.clone(),
        other => panic!("not one frame: {other:?} from {:?}", String::from_utf8_lossy(bytes)),
    }
}

fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("method") == Some(&Value::from("exit")) && v.get("id").is_none())
}

fn check_error_reply(body: &[u8]) -> Value {
    let value: Value = serde_json::from_slice(body).expect("an error reply is JSON");
    assert_eq!(value["jsonrpc"], "2.0", "{value}");
    let code = value["error"]["code"].as_i64();
    assert!(matches!(code, Some(-32700 | -32600)), "{value}");
    assert!(value["error"]["message"].is_string(), "{value}");
    let id = &value["id"];
    assert!(id.is_null() || id.is_string() || id.is_i64() || id.is_u64(), "{value}");
    value
}

async fn run(input: Vec<u8>) {
    // The model: frame, check, forward or reply, stop after `exit` or at
    // the end of the input.
    let mut forwarded: Vec<Vec<u8>> = Vec::new();
    let mut replies: Vec<Value> = Vec::new();
    {
        let mut reader = BufReader::new(input.as_slice());
        while let Ok(Some(frame)) = read_frame(&mut reader).await {
            match frame {
                Frame::Body(body) => {
                    assert_eq!(only_body(&framed(&body)).await, body, "a body framed again");
                    match check_message(&body) {
                        Ok(replaced) => {
                            if let Some(replaced) = &replaced {
                                assert_eq!(
                                    check_message(replaced),
                                    Ok(None),
                                    "a replaced body must pass as it is"
                                );
                                let value: Value =
                                    serde_json::from_slice(replaced).expect("replaced is JSON");
                                assert!(value["params"].is_object() || value["params"].is_array());
                            }
                            let body = replaced.unwrap_or(body);
                            let exit = is_exit(&body);
                            forwarded.push(body);
                            if exit {
                                break;
                            }
                        }
                        Err(Some(reply)) => {
                            let reply_body = only_body(&reply).await;
                            replies.push(check_error_reply(&reply_body));
                        }
                        Err(None) => {}
                    }
                }
                Frame::BadHeader(why) => {
                    replies.push(serde_json::json!({
                        "jsonrpc": "2.0",
                        "id": null,
                        "error": {"code": -32700, "message": format!("Parse error: {why}")},
                    }));
                }
            }
        }
    }

    // The gate itself.
    let (mut client_out, stdout) = tokio::io::duplex(64 << 20);
    let stdin = std::io::Cursor::new(input);
    let mut transport = spawn(stdin, stdout);
    let mut to_server = Vec::new();
    transport
        .server_in
        .read_to_end(&mut to_server)
        .await
        .expect("read what the gate forwards");
    drop(transport.server_out);
    drop(transport.direct);
    transport.writer.await.expect("the writer ends");
    let mut out = Vec::new();
    client_out.read_to_end(&mut out).await.expect("read stdout");

    let got_forwarded: Vec<Vec<u8>> = frames(&to_server)
        .await
        .into_iter()
        .map(|f| match f {
            Frame::Body(b) => b,
            other => panic!("the gate forwarded a bad frame: {other:?}"),
        })
        .collect();
    assert_eq!(got_forwarded, forwarded, "forwarded messages");
    let got_replies: Vec<Value> = frames(&out)
        .await
        .into_iter()
        .map(|f| match f {
            Frame::Body(b) => check_error_reply(&b),
            other => panic!("the gate wrote a bad frame: {other:?}"),
        })
        .collect();
    assert_eq!(got_replies, replies, "error replies on stdout");
}
