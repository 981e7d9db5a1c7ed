//! Formatting and lint with the real buildifier 8.2.1, over stdio: the
//! formatting edits turn the buffer into exactly what buildifier prints
//! for it (the oracle), touch only what changes, and follow the
//! workspace's `.buildifier.json`; lint warnings are diagnostics with
//! buildifier's own fixes as quick fixes; a missing buildifier is one clear
//! message, and the server keeps serving.

use std::path::Path;
use std::time::Duration;

use bzls_e2e::buildifier::buildifier_8_2_1;
use bzls_e2e::{apply_text_edits, uri, TempDir, TestServer};
use serde_json::{json, Value};

/// What buildifier itself prints for `text` of `kind`, run in `root`.
fn oracle(bin: &Path, root: &Path, kind: &str, path: &str, text: &str) -> String {
    let (kind, path) = (format!("-type={kind}"), format!("-path={path}"));
    oracle_with(bin, root, &["-mode=fix", &kind, &path], text)
}

/// What buildifier prints for `text` with `args`, run in `root`.
fn oracle_with(bin: &Path, root: &Path, args: &[&str], text: &str) -> String {
    bzls_e2e::buildifier::run(bin, root, args, text)
}

/// A server on `ws` that formats and lints with the buildifier `bin`.
fn start(ws: &TempDir, bin: &Path) -> TestServer {
    let mut server = TestServer::spawn();
    server.initialize_workspace(
        Some(ws.path()),
        json!({}),
        json!({"bzls": {"buildifier": {"path": bin.display().to_string()}}}),
    );
    server
}

/// Replaces the whole text of an open document.
fn replace_all(server: &mut TestServer, uri: &str, version: i64, text: &str) {
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    );
}

fn format(server: &mut TestServer, uri: &str) -> Value {
    server.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    )
}

const UNFORMATTED_BUILD: &str = "load(\"//tools:defs.bzl\", \"my_macro\")\n\
    \n\
    # Ünïcödé comment: 日本語 🚀\n\
    cc_library(name=\"lib\",srcs=[\"b.cc\",\"a.cc\"],deps=[\":dep\"])\n\
    my_macro(name = \"m\", tags = [\"z\", \"y\"],)\n";

#[test]
fn formatting_gives_buildifiers_output_in_small_edits() {
    let Some(bin) = buildifier_8_2_1() else {
        return;
    };
    let ws = TempDir::new("formatting");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write("tools/BUILD", "");
    ws.write(
        "tools/defs.bzl",
        "def my_macro(name, **kwargs):\n    pass\n",
    );
    let build = ws.write("pkg/BUILD", UNFORMATTED_BUILD);
    let bzl_text = "def f(a,b = 1):\n  return [a,b]\n";
    let bzl = ws.write("pkg/defs.bzl", bzl_text);
    let mut server = start(&ws, &bin);

    let build_uri = uri(&build);
    server.open(&build_uri, "starlark", 1, UNFORMATTED_BUILD);
    let response = format(&mut server, &build_uri);
    let edits = response["result"].as_array().expect("edits").clone();
    let formatted = apply_text_edits(UNFORMATTED_BUILD, &edits);
    let expected = oracle(&bin, ws.path(), "build", "pkg/BUILD", UNFORMATTED_BUILD);
    assert_eq!(formatted, expected);
    assert!(
        formatted.contains("\"a.cc\",\n        \"b.cc\","),
        "{formatted}"
    );
    // Small edits: the load line and the comment (with its multi-byte
    // characters) are outside every edit.
    for edit in &edits {
        assert!(edit["range"]["start"]["line"].as_u64() >= Some(3), "{edit}");
    }

    // Formatted already: nothing to do.
    replace_all(&mut server, &build_uri, 2, &formatted);
    let again = format(&mut server, &build_uri);
    assert_eq!(again["result"], json!([]), "{again}");

    // A .bzl file is formatted as one.
    let bzl_uri = uri(&bzl);
    server.open(&bzl_uri, "starlark", 1, bzl_text);
    let response = format(&mut server, &bzl_uri);
    let edits = response["result"].as_array().expect("edits").clone();
    assert_eq!(
        apply_text_edits(bzl_text, &edits),
        oracle(&bin, ws.path(), "bzl", "pkg/defs.bzl", bzl_text)
    );

    // Text that does not parse: no edits and no error (its syntax
    // diagnostics say where); the server keeps serving.
    replace_all(&mut server, &bzl_uri, 2, "def f(:\n");
    let broken = format(&mut server, &bzl_uri);
    assert_eq!(broken["result"], Value::Null, "{broken}");
    assert!(broken.get("error").is_none(), "{broken}");
}

#[test]
fn the_workspaces_buildifier_json_is_followed() {
    let Some(bin) = buildifier_8_2_1() else {
        return;
    };
    let ws = TempDir::new("formatting-config");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        ".buildifier.json",
        "{\"buildifier_disable\": [\"listsort\"]}\n",
    );
    let text = "cc_library(name=\"lib\",srcs=[\"b.cc\",\"a.cc\"])\n";
    let build = ws.write("pkg/BUILD.bazel", text);
    let mut server = start(&ws, &bin);
    let build_uri = uri(&build);
    server.open(&build_uri, "starlark", 1, text);
    let response = format(&mut server, &build_uri);
    let formatted = apply_text_edits(text, response["result"].as_array().expect("edits"));
    // Sorting is off: b.cc stays first.
    assert!(
        formatted.contains("\"b.cc\",\n        \"a.cc\","),
        "{formatted}"
    );
    assert_eq!(
        formatted,
        oracle(&bin, ws.path(), "build", "pkg/BUILD.bazel", text)
    );
}

#[test]
fn a_missing_buildifier_is_one_clear_message_and_the_server_keeps_serving() {
    let ws = TempDir::new("formatting-missing");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    let text = "cc_library(name=\"lib\")\n";
    let build = ws.write("pkg/BUILD", text);
    let mut server = TestServer::spawn();
    server.initialize_workspace(
        Some(ws.path()),
        json!({}),
        json!({"bzls": {"buildifier": {"path": "/does/not/exist/buildifier"}}}),
    );
    let build_uri = uri(&build);
    server.open(&build_uri, "starlark", 1, text);
    for attempt in 0..2 {
        let response = format(&mut server, &build_uri);
        let message = response["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("buildifier not found")
                && message.contains("/does/not/exist/buildifier"),
            "{response}"
        );
        let shown = server.arrives_within(Duration::from_millis(300), |m| {
            m["method"] == "window/showMessage"
        });
        if attempt == 0 {
            let shown = shown.expect("a message for the user");
            assert!(
                shown["params"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("buildifier not found"),
                "{shown}"
            );
        } else {
            assert!(shown.is_none(), "shown twice: {shown:?}");
        }
    }
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": build_uri}}),
    );
    assert_eq!(symbols["result"][0]["name"], "lib", "{symbols}");

    // rc files are not buildifier's: bzls formats them itself.
    let rc_text = "  build   --jobs=4   # four\n\n\n\ntest:ci  --config=x \\\n   --y\n";
    let rc = ws.write(".bazelrc", rc_text);
    let rc_uri = uri(&rc);
    server.open(&rc_uri, "bazelrc", 1, rc_text);
    let response = format(&mut server, &rc_uri);
    let edits = response["result"].as_array().expect("edits");
    assert_eq!(
        apply_text_edits(rc_text, edits),
        "build --jobs=4 # four\n\n\n\ntest:ci  --config=x \\\n   --y\n"
    );
}

#[test]
fn lint_warnings_are_diagnostics_and_buildifier_fixes_them() {
    let Some(bin) = buildifier_8_2_1() else {
        return;
    };
    let ws = TempDir::new("lint");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        "pkg/defs.bzl",
        "def used(name):\n    pass\n\ndef unused_too():\n    pass\n",
    );
    let text = "load(\":defs.bzl\", \"unused_too\", \"used\")\n\nused(name = \"x\")\n";
    let build = ws.write("pkg/BUILD", text);
    let mut server = start(&ws, &bin);
    let build_uri = uri(&build);
    server.open(&build_uri, "starlark", 1, text);
    let is_lint = |d: &Value| d["source"] == "buildifier";
    let diagnostics =
        server.diagnostics_where(&build_uri, Some(1), |list| list.iter().any(is_lint));
    let lint: Vec<&Value> = diagnostics.iter().filter(|d| is_lint(d)).collect();
    assert_eq!(lint.len(), 1, "{diagnostics:?}");
    let warning = lint[0];
    assert_eq!(warning["code"], "load");
    assert_eq!(warning["severity"], 2);
    assert!(
        warning["codeDescription"]["href"]
            .as_str()
            .unwrap_or_default()
            .ends_with("WARNINGS.md#load"),
        "{warning}"
    );
    // On the unused symbol, inside its quotes.
    let column = text.find("unused_too").unwrap_or(0) as u64;
    assert_eq!(
        warning["range"]["start"],
        json!({"line": 0, "character": column})
    );

    // The quick fix is buildifier's own.
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": build_uri},
            "range": warning["range"],
            "context": {"diagnostics": [warning]},
        }),
    );
    let actions = actions["result"].as_array().expect("actions").clone();
    let fix = actions
        .iter()
        .find(|a| a["title"] == "Fix 'load' with buildifier")
        .unwrap_or_else(|| panic!("no fix among {actions:?}"));
    let edits = fix["edit"]["changes"][&build_uri]
        .as_array()
        .expect("edits");
    let fixed = apply_text_edits(text, edits);
    let expected = oracle_with(
        &bin,
        ws.path(),
        &[
            "-mode=fix",
            "-lint=fix",
            "-warnings=load",
            "-type=build",
            "-path=pkg/BUILD",
        ],
        text,
    );
    assert_eq!(fixed, expected);
    assert!(!fixed.contains("unused_too"), "{fixed}");

    // Typing above the warning moves it with the text until the next lint.
    server.change(&build_uri, 2, (0, 0), (0, 0), "# top\n");
    let moved = server.diagnostics_where(&build_uri, Some(2), |list| list.iter().any(is_lint));
    let warning = moved.iter().find(|d| is_lint(d)).expect("lint");
    assert_eq!(
        warning["range"]["start"],
        json!({"line": 1, "character": column})
    );

    // Turned off: the warnings go.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"buildifier": {"lint": "off"}}}}),
    );
    server.diagnostics_where(&build_uri, Some(2), |list| !list.iter().any(is_lint));
    // (Publications from before are no longer of interest.)
    server.clear_backlog();
    // Back on, with that warning turned off by name: none either.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls.buildifier.lint": "warn", "bzls.buildifier.warnings": "-load"}}),
    );
    assert!(
        server
            .arrives_within(Duration::from_millis(1500), |m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["diagnostics"]
                        .as_array()
                        .is_some_and(|list| list.iter().any(is_lint))
            })
            .is_none(),
        "a load warning with -load"
    );
}
