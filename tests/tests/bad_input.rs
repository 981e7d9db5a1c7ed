//! Garbage in: each case sends something broken, then checks that the
//! server answered clearly and still serves correctly.

use std::time::Duration;

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

const HOOKS: &[(&str, &str)] = &[("BZLS_TEST_HOOKS", "1")];

fn hooked() -> TestServer {
    let mut server = TestServer::spawn_with_env(HOOKS);
    server.initialize(json!({}));
    server
}

/// The server's view of a document.
fn document(server: &mut TestServer, u: &str) -> Value {
    let response = server.request("bzls/debug/document", json!({"uri": u}));
    response["result"].clone()
}

/// Checks that the server still answers a real request correctly.
fn assert_serving(server: &mut TestServer) {
    let u = "file:///alive/BUILD";
    server.open(u, "starlark", 1, "cc_library(name = \"alive\")\n");
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    assert_eq!(symbols["result"][0]["name"], "alive", "{symbols}");
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
}

fn error_code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {response}"))
}

#[test]
fn out_of_range_inverted_and_mid_surrogate_positions_are_clamped() {
    let mut server = hooked();
    let u = "file:///ws/BUILD";
    server.open(u, "starlark", 1, "s = \"🎉\"\n");
    // Line past the end: appended at the end of the text.
    server.change(u, 2, (99, 0), (99, 5), "t = 1\n");
    // Column past the end of line 0: the end of that line.
    server.change(u, 3, (0, 200), (0, 300), " + \"x\"");
    // Inverted: swapped.
    server.change(u, 4, (1, 1), (1, 0), "u");
    // Inside the surrogate pair (column 6 of `s = "🎉"`): before the emoji.
    server.change(u, 5, (0, 6), (0, 6), "a");
    let doc = document(&mut server, u);
    assert_eq!(doc["version"], 5);
    assert_eq!(doc["text"], "s = \"a🎉\" + \"x\"\nu = 1\n");
    assert_eq!(doc["treeMatchesFreshParse"], true);
    assert_eq!(server.diagnostics(u, 5), Vec::<Value>::new());
    assert!(
        server.stderr().contains("repaired a bad position"),
        "the clamp is logged"
    );
    assert_serving(&mut server);
}

#[test]
fn unknown_documents_get_clear_errors() {
    let mut server = hooked();
    let response = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "file:///no/such/dir/BUILD"}}),
    );
    assert_eq!(error_code(&response), -32602);
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("unknown document") && message.contains("cannot be read"),
        "{message}"
    );

    let response = server.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": "untitled:Untitled-1"}}),
    );
    assert_eq!(error_code(&response), -32602);

    // Changes and closes for documents never opened are ignored.
    server.change("file:///never/opened/BUILD", 2, (0, 0), (0, 0), "x");
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": "file:///never/opened/BUILD"}}),
    );
    // Malformed params.
    for method in [
        "textDocument/documentSymbol",
        "textDocument/semanticTokens/full",
        "textDocument/semanticTokens/range",
        "textDocument/completion",
    ] {
        let response = server.request(method, json!({"textDocument": 5}));
        assert_eq!(error_code(&response), -32602, "{method}: {response}");
    }
    let response = server.request("workspace/symbol", json!([1, 2]));
    assert_eq!(error_code(&response), -32602, "{response}");
    assert_serving(&mut server);
}

#[test]
fn unknown_methods() {
    let mut server = hooked();
    let response = server.request("bzls/noSuchRequest", json!({}));
    assert_eq!(error_code(&response), -32601);
    server.notify("bzls/noSuchNotification", json!({}));
    server.notify("$/noSuchThing", json!({}));
    assert_serving(&mut server);
}

/// Requests answered by the server's fast lane (their results are written
/// without tower-lsp's JSON tree), with params naming `uri`.
fn fast_lane_requests(uri: &str) -> Vec<(&'static str, Value)> {
    let doc = json!({"textDocument": {"uri": uri}});
    let at = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}});
    vec![
        ("textDocument/documentSymbol", doc.clone()),
        ("textDocument/semanticTokens/full", doc.clone()),
        ("textDocument/completion", at.clone()),
        (
            "textDocument/references",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0},
                   "context": {"includeDeclaration": true}}),
        ),
        ("workspace/symbol", json!({"query": "x"})),
    ]
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut server = TestServer::spawn();
    for (method, params) in fast_lane_requests("file:///x/BUILD") {
        let response = server.request(method, params);
        assert_eq!(error_code(&response), -32002, "{method}: {response}");
    }
    server.initialize(json!({}));
    assert_serving(&mut server);
}

#[test]
fn malformed_json_rpc() {
    let mut server = hooked();
    // A body that is not JSON.
    let garbage = b"{this is not json";
    server.send_raw(format!("Content-Length: {}\r\n\r\n", garbage.len()).as_bytes());
    server.send_raw(garbage);
    let response = server.take("parse error", |m| m["error"]["code"] == -32700);
    assert_eq!(response["id"], Value::Null);
    // JSON that is not a JSON-RPC message.
    let not_rpc = br#"{"hello": "world"}"#;
    server.send_raw(format!("Content-Length: {}\r\n\r\n", not_rpc.len()).as_bytes());
    server.send_raw(not_rpc);
    server.take("invalid request", |m| m["error"]["code"] == -32600);
    // Binary garbage with a valid frame.
    let binary = [0xff_u8, 0xfe, 0x00, 0x01, 0x80];
    server.send_raw(format!("Content-Length: {}\r\n\r\n", binary.len()).as_bytes());
    server.send_raw(&binary);
    server.take("parse error", |m| m["error"]["code"] == -32700);
    // A header block without Content-Length, and one with a bad value.
    server.send_raw(b"X-Junk: 1\r\n\r\n");
    server.take("missing Content-Length", |m| {
        m["error"]["message"]
            .as_str()
            .is_some_and(|s| s.contains("missing Content-Length"))
    });
    server.send_raw(b"Content-Length: -5\r\n\r\n");
    server.take("bad Content-Length", |m| {
        m["error"]["message"]
            .as_str()
            .is_some_and(|s| s.contains("invalid Content-Length"))
    });
    // A batch, and a request with a bad id: answered, not served.
    server.send(&json!([{"jsonrpc": "2.0", "method": "exit"}]));
    server.take("batch refused", |m| m["error"]["code"] == -32600);
    server.send(&json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "shutdown"}));
    server.take("bad id refused", |m| m["error"]["code"] == -32600);
    assert_serving(&mut server);
}

#[test]
fn cancelled_requests() {
    let mut server = hooked();
    let u = "file:///ws/BUILD";
    server.open(u, "starlark", 1, "cc_library(name = \"a\")\n");
    let id = server.send_request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    server.notify("$/cancelRequest", json!({"id": id}));
    let response = server.response(id);
    // Either it finished first or it was cancelled; both are answers.
    assert!(
        response.get("result").is_some() || error_code(&response) == -32800,
        "{response}"
    );
    // Cancelling something unknown is harmless.
    server.notify("$/cancelRequest", json!({"id": 9999}));
    assert_serving(&mut server);
}

#[test]
fn a_panicking_handler_becomes_an_error_response() {
    let mut server = hooked();
    let response = server.request("bzls/debug/panic", json!({}));
    assert_eq!(error_code(&response), -32603);
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("requested panic"),
        "{response}"
    );
    let response = server.request("bzls/debug/panic", json!({"inBlocking": true}));
    assert_eq!(error_code(&response), -32603);
    assert_serving(&mut server);
}

#[test]
fn deep_nesting_garbage_and_huge_lines() {
    let mut server = hooked();
    let deep = format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    server.open("file:///ws/deep.bzl", "starlark", 1, &deep);
    // Tree-sitter finds nothing wrong; the warning says why Starlark's own
    // checks were skipped (it comes with the background pass).
    let d = server.diagnostics_where("file:///ws/deep.bzl", Some(1), |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "file-too-complex");
    let unclosed = format!("x = {}\n", "[".repeat(10_000));
    server.open("file:///ws/unclosed.bzl", "starlark", 1, &unclosed);
    assert!(!server.diagnostics("file:///ws/unclosed.bzl", 1).is_empty());
    let prefix = format!("x = {}1\n", "not ".repeat(10_000));
    server.open("file:///ws/prefix.bzl", "starlark", 1, &prefix);
    server.diagnostics("file:///ws/prefix.bzl", 1);
    let garbage = "\u{0}\u{1}\u{fffd}\u{7f}((]]🎉\r\r\n\"\"\"'''\\\u{feff}def def";
    server.open("file:///ws/garbage/BUILD", "starlark", 1, garbage);
    assert!(!server.diagnostics("file:///ws/garbage/BUILD", 1).is_empty());
    let long_line = format!("x = [{}]\n", "\"a\", ".repeat(200_000));
    server.open("file:///ws/long.bzl", "starlark", 1, &long_line);
    assert_eq!(
        server.diagnostics("file:///ws/long.bzl", 1),
        Vec::<Value>::new()
    );
    server.change(
        "file:///ws/long.bzl",
        2,
        (0, 500_000),
        (0, 500_000),
        "\"b\", ",
    );
    assert_eq!(
        server.diagnostics("file:///ws/long.bzl", 2),
        Vec::<Value>::new()
    );
    assert_serving(&mut server);
}

#[test]
fn files_that_cannot_be_read_get_clear_errors() {
    let dir = TempDir::new("unreadable");
    let binary = dir.write("bin/BUILD", [0xffu8, 0xfe, 0x00, b'x']);
    let big = dir.write("big/BUILD", vec![b'#'; 11 * 1024 * 1024]);
    let mut server = hooked();
    for path in [binary, big] {
        let response = server.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(&path)}}),
        );
        assert_eq!(error_code(&response), -32602, "{response}");
    }
    assert_serving(&mut server);
}

#[test]
fn null_params_on_shutdown_and_exit() {
    let mut server = TestServer::initialized(json!({})).0;
    server.send(&json!({"jsonrpc": "2.0", "id": 77, "method": "shutdown", "params": null}));
    let response = server.response(77);
    assert!(response.get("error").is_none(), "{response}");
    server.send(&json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let status = server.wait_exit_with_stdin_open();
    assert!(status.success(), "{status}");
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut server = TestServer::initialized(json!({})).0;
    server.notify("exit", Value::Null);
    let status = server.wait_exit_with_stdin_open();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn closed_stdin_ends_the_server() {
    let mut server = TestServer::initialized(json!({})).0;
    let status = server.wait_exit();
    assert!(
        status.code().is_some(),
        "exited by itself, not killed: {status}"
    );
}

#[test]
fn requests_after_shutdown_are_refused() {
    let mut server = TestServer::initialized(json!({})).0;
    let response = server.request("shutdown", Value::Null);
    assert!(response.get("error").is_none());
    for (method, params) in fast_lane_requests("file:///x/BUILD") {
        let response = server.request(method, params);
        assert_eq!(error_code(&response), -32600, "{method}: {response}");
    }
    server.notify("exit", Value::Null);
    assert!(server.wait_exit_with_stdin_open().success());
    let _ = Duration::ZERO;
}

#[test]
fn huge_documents_are_kept_in_sync_but_not_analysed() {
    let mut server = hooked();
    let u = "file:///ws/huge/BUILD";
    let huge = "# filler line\n".repeat(800_000);
    server.open(u, "starlark", 1, &huge);
    let d = server.diagnostics(u, 1);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "file-too-large");
    assert_eq!(d[0]["severity"], 2);
    assert_serving(&mut server);
    // Edits still apply; shrinking it below the limit brings analysis back.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": "x = [\n"}]}),
    );
    let d = server.diagnostics(u, 2);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "syntax");
    assert_eq!(document(&mut server, u)["text"], "x = [\n");
}

/// The editing features added with issue 17, fed positions past the end,
/// half-typed text, a made-up link and a made-up result id: each gets an
/// answer (a result, or an error with a message), and the server serves on.
#[test]
fn editing_features_take_garbage() {
    let mut server = hooked();
    let ws = TempDir::new("bad-editing");
    ws.write("MODULE.bazel", "");
    let text = "cc_library(name = \"a\", deps = [\":b\", \"//x:\n$(location \"\nload(\"";
    let build = ws.write("pkg/BUILD", text);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let far = json!({"line": 999, "character": 999});
    let mid = json!({"line": 0, "character": 40});
    for (method, params) in [
        (
            "textDocument/documentHighlight",
            json!({"textDocument": {"uri": u}, "position": far}),
        ),
        (
            "textDocument/documentHighlight",
            json!({"textDocument": {"uri": u}, "position": mid}),
        ),
        (
            "textDocument/selectionRange",
            json!({"textDocument": {"uri": u}, "positions": [far, mid, {"line": 0, "character": 0}]}),
        ),
        (
            "textDocument/documentLink",
            json!({"textDocument": {"uri": u}}),
        ),
        (
            "documentLink/resolve",
            json!({"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "data": {"uri": "not a uri", "label": 3}}),
        ),
        (
            "documentLink/resolve",
            json!({"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "data": {"uri": u, "label": "//nope//bad"}}),
        ),
        (
            "textDocument/prepareRename",
            json!({"textDocument": {"uri": u}, "position": far}),
        ),
        (
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": mid, "newName": ""}),
        ),
        (
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": mid, "newName": "a\nb"}),
        ),
        (
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": u}}),
        ),
        (
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": u}, "previousResultId": "made-up"}),
        ),
        (
            "textDocument/semanticTokens/range",
            json!({"textDocument": {"uri": u}, "range": {"start": far, "end": {"line": 0, "character": 0}}}),
        ),
        ("textDocument/codeLens", json!({"textDocument": {"uri": u}})),
    ] {
        let response = server.request(method, params);
        let answered = response.get("result").is_some()
            || response["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty());
        assert!(answered, "{method}: {response}");
    }
    assert_serving(&mut server);
}
