//! The server over stdio, as an editor drives it.

use std::time::Duration;

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn advertises_only_what_it_implements() {
    let (_server, result) = TestServer::initialized(json!({}));
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["textDocumentSync"]["openClose"], true);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["foldingRangeProvider"], true);
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["documentHighlightProvider"], true);
    assert_eq!(caps["documentLinkProvider"]["resolveProvider"], true);
    assert_eq!(caps["selectionRangeProvider"], true);
    assert_eq!(caps["semanticTokensProvider"]["full"]["delta"], true);
    assert_eq!(caps["semanticTokensProvider"]["range"], true);
    assert_eq!(
        caps["semanticTokensProvider"]["legend"]["tokenTypes"],
        json!([
            "namespace",
            "function",
            "parameter",
            "variable",
            "enumMember",
            "type",
            "property",
            "keyword"
        ])
    );
    assert_eq!(
        caps["semanticTokensProvider"]["legend"]["tokenModifiers"],
        json!(["declaration", "defaultLibrary"])
    );
    assert_eq!(
        caps["signatureHelpProvider"]["triggerCharacters"],
        json!(["(", ","])
    );
    let mut advertised: Vec<&str> = caps
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    advertised.sort_unstable();
    assert_eq!(
        advertised,
        [
            "codeActionProvider",
            "codeLensProvider",
            "completionProvider",
            "definitionProvider",
            "documentFormattingProvider",
            "documentHighlightProvider",
            "documentLinkProvider",
            "documentSymbolProvider",
            "executeCommandProvider",
            "foldingRangeProvider",
            "hoverProvider",
            "inlayHintProvider",
            "positionEncoding",
            "referencesProvider",
            "renameProvider",
            "selectionRangeProvider",
            "semanticTokensProvider",
            "signatureHelpProvider",
            "textDocumentSync",
            "workspaceSymbolProvider"
        ]
    );
    assert_eq!(result["serverInfo"]["name"], "bzls");
}

#[test]
fn negotiates_utf8_when_offered() {
    let (mut server, result) =
        TestServer::initialized(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    // In UTF-8, the 🎉 before the error takes 4 columns.
    let u = "file:///ws/pkg/BUILD";
    server.open(u, "starlark", 1, "x = \"🎉\" + [1 2]\n");
    let diagnostics = server.diagnostics_where(u, Some(1), |d| !d.is_empty());
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 0, "character": 16})
    );
}

#[test]
fn utf16_columns_count_surrogate_pairs() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/pkg/BUILD";
    server.open(u, "starlark", 1, "x = \"🎉\" + [1 2]\n");
    let diagnostics = server.diagnostics_where(u, Some(1), |d| !d.is_empty());
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 0, "character": 14})
    );
}

#[test]
fn live_diagnostics_follow_incremental_edits() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/pkg/BUILD";
    let text = "cc_library(\n    name = \"lib\",\n    srcs = [\"a.cc\"],\n)\n";
    server.open(u, "starlark", 1, text);
    assert_eq!(server.diagnostics(u, 1), Vec::<Value>::new());

    // Type a second string without a comma.
    server.change(u, 2, (2, 18), (2, 18), " \"b.cc\"");
    let d = server.diagnostics_where(u, Some(2), |d| !d.is_empty());
    assert_eq!(codes(&d), ["syntax"]);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expected `,`"),
        "{d:?}"
    );
    assert_eq!(d[0]["source"], "bzls");

    // Fix it.
    server.change(u, 3, (2, 18), (2, 18), ",");
    let d = server.diagnostics(u, 3);
    assert_eq!(d, Vec::<Value>::new());

    // A dialect rule.
    server.change(u, 4, (4, 0), (4, 0), "def f():\n    pass\n");
    let d = server.diagnostics_where(u, Some(4), |d| !d.is_empty());
    assert_eq!(codes(&d), ["build-file-def"]);
    assert_eq!(d[0]["range"]["start"], json!({"line": 4, "character": 0}));
}

#[test]
fn several_changes_in_one_notification_apply_in_order() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/x.bzl";
    server.open(u, "starlark", 1, "a = 1\n");
    server.diagnostics(u, 1);
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": u, "version": 2},
            "contentChanges": [
                {"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 5}}, "text": "\nb = (2"},
                {"range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 6}}, "text": ")\nc = 3"},
                {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "text": "zz"}
            ]
        }),
    );
    assert_eq!(server.diagnostics(u, 2), Vec::<Value>::new());
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .expect("symbols")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["zz", "b", "c"]);
}

#[test]
fn starlark_own_errors_arrive_in_the_background() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/x.bzl";
    // tree-sitter accepts a top-level `return`; Starlark does not.
    server.open(u, "starlark", 1, "return 1\n");
    let d = server.diagnostics_where(u, Some(1), |d| !d.is_empty());
    assert_eq!(codes(&d), ["syntax"]);
}

#[test]
fn symbols_and_folding_ranges() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/pkg/BUILD.bazel";
    let text = "cc_library(\n    name = \"lib\",\n    srcs = [\n        \"a.cc\",\n    ],\n)\n\ncc_test(name = \"t\")\n";
    server.open(u, "starlark", 1, text);
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let symbols = symbols["result"].as_array().expect("array").clone();
    assert_eq!(symbols.len(), 2);
    assert_eq!(symbols[0]["name"], "lib");
    assert_eq!(symbols[0]["detail"], "cc_library");
    assert_eq!(
        symbols[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 1}})
    );
    assert_eq!(
        symbols[0]["selectionRange"],
        json!({"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 16}})
    );
    assert_eq!(symbols[1]["name"], "t");

    let folds = server.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": u}}),
    );
    let folds: Vec<(u64, u64)> = folds["result"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap_or(99),
                f["endLine"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(folds, [(0, 4), (2, 3)]);
}

#[test]
fn closing_clears_diagnostics_and_bazelrc_is_kept_in_sync() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/BUILD";
    server.open(u, "starlark", 1, "x = [\n");
    server.diagnostics_where(u, Some(1), |d| !d.is_empty());
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    let cleared = server.take("cleared diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u
            && m["params"]["version"].is_null()
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));

    // An rc document is kept in sync too: its diagnostics follow the edits
    // (rc_lsp.rs tests the rc features themselves).
    let rc = "file:///ws/.bazelrc";
    server.open(rc, "bazelrc", 1, "build --config=x\n");
    let diagnostics = server.diagnostics(rc, 1);
    assert_eq!(codes(&diagnostics), ["rc-undefined-config"]);
    server.change(rc, 2, (0, 0), (0, 0), "build:x --jobs=1\n");
    assert_eq!(server.diagnostics(rc, 2), Vec::<Value>::new());
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": rc}}),
    );
    let cleared = server.take("cleared rc diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == rc
            && m["params"]["version"].is_null()
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
}

#[test]
fn unopened_files_are_read_from_disk() {
    let dir = TempDir::new("unopened");
    let path = dir.write("pkg/BUILD", "cc_library(name = \"on_disk\")\n");
    let (mut server, _) = TestServer::initialized(json!({}));
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&path)}}),
    );
    assert_eq!(symbols["result"][0]["name"], "on_disk");
}

#[test]
fn typing_a_large_file_keeps_up() {
    // 2,000 targets, commented 200 times without waiting: the last version's
    // diagnostics must arrive and be correct.
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "cc_library(\n    name = \"t{i}\",\n    deps = [\":d{i}\"],\n)\n\n"
        ));
    }
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/big/BUILD";
    server.open(u, "starlark", 1, &text);
    for v in 2..=201 {
        // Every fifth line is blank: comment it.
        let line = (v as u32 * 5 * 37) % 10_000 + 4;
        server.change(u, v, (line, 0), (line, 0), "#");
    }
    let d = server.diagnostics(u, 201);
    assert_eq!(d, Vec::<Value>::new());
    // No stale set may follow the final one.
    server.clear_backlog();
    let late = server.arrives_within(Duration::from_millis(500), |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["version"].as_i64().is_some_and(|v| v < 201)
    });
    assert!(
        late.is_none(),
        "stale diagnostics after the final version: {late:?}"
    );
}

#[test]
fn starlark_messages_do_not_flicker_while_typing_elsewhere() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let u = "file:///ws/flicker.bzl";
    server.open(u, "starlark", 1, "x = 1\n\nreturn 1\n");
    let d = server.diagnostics_where(u, Some(1), |d| !d.is_empty());
    assert_eq!(d[0]["range"]["start"], json!({"line": 2, "character": 0}));
    // Typing above it: the message stays, moved down a line, in the very
    // first publication for the new version.
    server.change(u, 2, (0, 0), (0, 0), "y = 2\n");
    let d = server.diagnostics(u, 2);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"], json!({"line": 3, "character": 0}));
    // Editing the statement itself drops it at once.
    server.change(u, 3, (3, 0), (3, 6), "z =");
    let d = server.diagnostics(u, 3);
    assert_eq!(d, Vec::<Value>::new());
}

/// Opening a file publishes its syntax diagnostics before its tree is
/// parsed (from starlark_syntax, on a thread of their own), and every later
/// publication of that version keeps them: nothing flickers away and back.
#[test]
fn opening_publishes_syntax_diagnostics_first_and_keeps_them() {
    let (mut server, _) = TestServer::initialized(json!({}));
    let dir = TempDir::new("open-early");
    let path = dir.path().join("MODULE.bazel");
    std::fs::write(&path, "").expect("write");
    let u = uri(&path);
    // A valid file (so starlark_syntax parses it) with findings of the
    // syntax layer, and a large body so the tree comes noticeably later.
    let mut text = String::from(
        "bazel_dep(name = \"a\", version = \"1\")\nmodule(name = \"m\")\nload(\"//:x.bzl\", \"y\")\n",
    );
    for i in 0..3_000 {
        text.push_str(&format!(
            "bazel_dep(name = \"dep{i}\", version = \"1.{i}\")\n"
        ));
    }
    server.open(&u, "starlark", 7, &text);
    let expected = ["module-file-order", "module-file-load"];
    let first = server.diagnostics(&u, 7);
    let mut first_codes = codes(&first);
    first_codes.sort();
    let mut want: Vec<String> = expected.iter().map(|c| c.to_string()).collect();
    want.sort();
    assert_eq!(first_codes, want, "the first publication: {first:?}");
    // Every publication of version 7 for a while holds the same set.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        let Some(message) = server.arrives_within(left, |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(u)
        }) else {
            break;
        };
        assert_eq!(message["params"]["version"], 7);
        let list = message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut got = codes(&list);
        got.sort();
        assert_eq!(got, want, "a later publication: {list:?}");
        assert_eq!(list, first, "the same diagnostics, ranges and messages");
    }
}

/// A large file is parsed off the LSP loop when it is opened; the edits,
/// requests and close that the client sends right behind the `didOpen`
/// (without waiting for anything) wait for it and apply in order.
#[test]
fn edits_and_requests_right_behind_a_large_open_apply_in_order() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "cc_library(\n    name = \"t{i}\",\n    deps = [\":t{}\"],\n)\n\n",
            (i + 1) % 3000
        ));
    }
    let ws = TempDir::new("large-open");
    ws.write("MODULE.bazel", "");
    let large = ws.write("large/BUILD", &text);
    let gone = ws.write("gone/BUILD", &text);
    let mut server = TestServer::spawn();
    server.initialize_workspace(Some(ws.path()), json!({}), Value::Null);
    let (u, v) = (uri(&large), uri(&gone));
    let (u, v) = (u.as_str(), v.as_str());
    server.open(u, "starlark", 1, &text);
    // Rename the first target and break the second one's dep, at once.
    server.change(u, 2, (1, 12), (1, 14), "first");
    server.change(u, 3, (7, 14), (7, 16), "t0");
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    );
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 3000, "{:.300}", symbols.to_string());
    assert_eq!(&names[..2], ["first", "t1"]);
    let d = server.diagnostics_where(u, Some(3), |d| !d.is_empty());
    let messages: Vec<&str> = d.iter().filter_map(|d| d["message"].as_str()).collect();
    assert_eq!(messages.len(), 2, "{d:#?}");
    assert!(messages.iter().all(|m| m.contains("t0")), "{messages:?}");

    // Opened and closed at once: its diagnostics are taken back (the open's
    // own publications may come first, with its version).
    server.open(v, "starlark", 1, &text);
    server.notify("textDocument/didClose", json!({"textDocument": {"uri": v}}));
    let last = server.take("the closed document's last diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == v
            && m["params"]["version"].is_null()
    });
    assert_eq!(last["params"]["diagnostics"], json!([]), "{last}");
}
