//! The workspace model in the server, over stdio, as an editor drives it:
//! background indexing with progress, live label diagnostics with quick
//! fixes, go to definition, references, hover, completion, workspace
//! symbols, and watched-file events.

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

fn fixture() -> TempDir {
    let ws = TempDir::new("workspace-lsp");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        "lib/BUILD.bazel",
        "\n\n\ncc_library(\n    name = \"util\",\n    srcs = [\"util.cc\"],\n)\n",
    );
    ws.write("lib/util.cc", "");
    ws.write("tools/BUILD", "");
    ws.write(
        "tools/defs.bzl",
        "def my_test(name):\n    \"\"\"A test.\"\"\"\n    native.cc_test(name = name)\n",
    );
    ws.write(
        "other/BUILD",
        "load(\"//tools:defs.bzl\", \"my_test\")\nfilegroup(name = \"o\", srcs = [\"//lib:util\"])\nmy_test(name = \"t\")\n",
    );
    ws
}

/// Starts the server on `ws`, answering its progress request, and waits
/// for indexing to end.
fn start(ws: &TempDir) -> TestServer {
    let mut server = TestServer::spawn();
    let result = server.initialize_with_progress(ws.path());
    let caps = &result["capabilities"];
    assert_eq!(caps["workspaceSymbolProvider"], json!(true));
    assert!(caps["codeActionProvider"].is_object(), "{caps}");
    server.take("progress begin", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin"
    });
    server.take("progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    server
}

/// The labels of a completion response's items.
fn item_labels(completion: &Value) -> Vec<&str> {
    completion["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect()
}

fn position(text: &str, needle: &str) -> Value {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

const APP: &str = "cc_binary(\n    name = \"app\",\n    deps = [\"//lib:util\", \"//lib:utill\", \"//nope\"],\n)\n";

#[test]
fn broken_deps_are_flagged_and_fixed() {
    let ws = fixture();
    let mut server = start(&ws);
    let app = ws.write("app/BUILD", APP);
    let u = uri(&app);
    server.open(&u, "starlark", 1, APP);
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 2);
    assert_eq!(diags[0]["code"], "unresolved-target");
    assert_eq!(
        diags[0]["message"],
        "no such target '//lib:utill': target 'utill' not declared in package 'lib'"
    );
    assert_eq!(diags[1]["code"], "unresolved-package");
    // The quick fix replaces the label with the near name.
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": u},
            "range": diags[0]["range"],
            "context": {"diagnostics": [diags[0]]},
        }),
    );
    let action = &actions["result"][0];
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][&u][0];
    assert_eq!(edit["newText"], "//lib:util");

    // Creating the missing package clears its diagnostic once the watcher
    // says so.
    let nope = ws.write("nope/BUILD", "filegroup(name = \"nope\")\n");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&nope), "type": 1}]}),
    );
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 1);
    assert_eq!(diags[0]["code"], "unresolved-target");

    // An edit in another open BUILD file re-checks this one.
    let lib = ws.path().join("lib/BUILD.bazel");
    let lib_text = std::fs::read_to_string(&lib).expect("read");
    server.open(&uri(&lib), "starlark", 1, &lib_text);
    let edited = lib_text.replace(
        "cc_library(\n",
        "cc_library(name = \"utill\")\ncc_library(\n",
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&lib), "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    server.diagnostics_where(&u, Some(1), |d| d.is_empty());
    server.shutdown();
}

/// rules_js's `node_modules/...` targets come from the pnpm lock file: a
/// dependency added to it (as `pnpm install` does) is known at once.
#[test]
fn pnpm_lock_file_changes_reach_open_build_files() {
    let ws = TempDir::new("workspace-lsp-pnpm");
    ws.write(
        "MODULE.bazel",
        "module(name = \"ws\")\n\
         npm = use_extension(\"@aspect_rules_js//npm:extensions.bzl\", \"npm\")\n\
         npm.npm_translate_lock(pnpm_lock = \"//:pnpm-lock.yaml\")\n\
         use_repo(npm, \"npm\")\n",
    );
    let lock = ws.write(
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      typescript:\n        specifier: ^5\n        version: 5.8.2\n",
    );
    let text = "load(\"@npm//:defs.bzl\", \"npm_link_all_packages\")\n\
                npm_link_all_packages()\n\
                filegroup(name = \"a\", srcs = [\":node_modules/typescript\", \":node_modules/lodash\"])\n";
    let build = ws.write("BUILD.bazel", text);
    let mut server = start(&ws);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 1);
    assert_eq!(diags[0]["code"], "missing-input-file");
    assert_eq!(
        diags[0]["message"],
        "missing input file '//:node_modules/lodash'"
    );
    ws.write(
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      lodash:\n        specifier: ^4\n        version: 4.17.21\n      typescript:\n        specifier: ^5\n        version: 5.8.2\n",
    );
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&lock), "type": 2}]}),
    );
    server.diagnostics_where(&u, Some(1), |d| d.is_empty());
    server.shutdown();
}

/// Diagnostics come in two layers per version: the first at once (syntax,
/// with the last label diagnostics moved through the edit), the second
/// when the labels of that very text are checked. A squiggle never
/// disappears and comes back while typing.
#[test]
fn label_diagnostics_move_with_edits_until_checked_again() {
    let ws = fixture();
    let mut server = start(&ws);
    let app = ws.write("app/BUILD", APP);
    let u = uri(&app);
    server.open(&u, "starlark", 1, APP);
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 2);
    let target = diags[0]["range"].clone();

    // Typing inside the misspelt label: the first publication of version 2
    // still shows its squiggle, grown by the typed character.
    let inside = json!({"line": target["end"]["line"], "character": target["end"]["character"].as_u64().expect("col") - 1});
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2},
               "contentChanges": [{"range": {"start": inside, "end": inside}, "text": "x"}]}),
    );
    let first = server.diagnostics(&u, 2);
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0]["code"], "unresolved-target");
    assert_eq!(first[0]["range"]["start"], target["start"]);
    assert_eq!(
        first[0]["range"]["end"]["character"],
        target["end"]["character"].as_u64().expect("col") + 1
    );
    // Then the label as now typed is judged.
    let checked = server.diagnostics_where(&u, Some(2), |d| {
        d.iter().any(|x| {
            x["message"]
                .as_str()
                .is_some_and(|m| m.contains("'//lib:utillx'"))
        })
    });
    assert_eq!(checked.len(), 2, "{checked:?}");

    // A new line above moves every squiggle down at once.
    let top = json!({"line": 0, "character": 0});
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 3},
               "contentChanges": [{"range": {"start": top, "end": top}, "text": "\n"}]}),
    );
    let moved = server.diagnostics(&u, 3);
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert_eq!(
        moved[0]["range"]["start"]["line"],
        target["start"]["line"].as_u64().expect("line") + 1
    );
    server.shutdown();
}

#[test]
fn navigation_hover_completion_and_symbols() {
    let ws = fixture();
    let mut server = start(&ws);
    let app = ws.write("app/BUILD", APP);
    let u = uri(&app);
    server.open(&u, "starlark", 1, APP);

    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": position(APP, "lib:util\"")}),
    );
    let loc = &def["result"][0];
    assert_eq!(loc["uri"], json!(uri(&ws.path().join("lib/BUILD.bazel"))));
    assert_eq!(loc["range"]["start"], json!({"line": 4, "character": 11}));

    let refs = server.request(
        "textDocument/references",
        json!({"textDocument": {"uri": u}, "position": position(APP, "lib:util\""), "context": {"includeDeclaration": true}}),
    );
    let mut files: Vec<String> = refs["result"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            l["uri"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .nth(1)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    files.sort();
    assert_eq!(files, vec!["app", "lib", "other"]);

    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": position(APP, "lib:util\"")}),
    );
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(text.starts_with("**cc_library** `//lib:util`"), "{text}");

    // Completion after `//lib:` offers the package's targets and files.
    let typed = "cc_binary(name = \"x\", deps = [\"//lib:\"])\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": typed}]}),
    );
    let at = typed.find("//lib:").expect("typed") + "//lib:".len();
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": at}}),
    );
    let labels = item_labels(&completion);
    assert_eq!(labels, vec!["//lib:util", "//lib:util.cc"]);

    let symbols = server.request("workspace/symbol", json!({"query": "util"}));
    assert_eq!(symbols["result"][0]["name"], "//lib:util");
    server.shutdown();
}

#[test]
fn loads_are_checked_in_bzl_and_build_files() {
    let ws = fixture();
    let mut server = start(&ws);
    let text =
        "load(\"//tools:defs.bzl\", \"my_tset\")\nload(\"//tools:gone.bzl\", \"x\")\nALL = [my_tset, x]\n";
    let bzl = ws.write("tools/more.bzl", text);
    let u = uri(&bzl);
    server.open(&u, "starlark", 1, text);
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 2);
    assert_eq!(diags[0]["code"], "load-symbol-not-found");
    assert_eq!(diags[1]["code"], "unresolved-load");
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": position(text, "defs.bzl")}),
    );
    assert_eq!(
        def["result"][0]["uri"],
        json!(uri(&ws.path().join("tools/defs.bzl")))
    );
    server.shutdown();
}

/// Garbage in an indexed workspace: half-typed and binary-looking BUILD
/// text, positions past the end, odd queries, malformed quick-fix data,
/// watcher events for paths that do not exist or loop. Every request gets
/// an answer (a result or a clear error) and the server keeps serving.
#[test]
fn garbage_in_the_workspace_gets_answers() {
    let ws = fixture();
    std::os::unix::fs::symlink(ws.path(), ws.path().join("lib/loop")).expect("symlink");
    let mut server = start(&ws);
    let texts = [
        "cc_library(name = \"a\", deps = [\"//lib:\", \":\", \"@\", \"//\", \"//lib//x\", \"\\u{0}\"",
        "load(\"//tools:defs.bzl\", \"my_test\", x = )\nmy_test(name = )\n[[[[[[[[[[\"//lib\"",
        "\u{feff}\u{0}\u{1}\"//li\u{fffd}b:util\" = = select({\"//:\": [\"@@//x\"]})\n\r\r\n\t\"",
        &format!("cc_library(name = \"big\", deps = [{}])\n", "\"//lib:util\", ".repeat(2_000)),
    ];
    let app = ws.path().join("app/BUILD");
    let u = uri(&app);
    for (version, text) in texts.iter().enumerate() {
        let version = version as i64 + 1;
        if version == 1 {
            server.open(&u, "starlark", version, text);
        } else {
            server.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [{"text": text}]}),
            );
        }
        server.diagnostics(&u, version);
        let lines = text.lines().count() as i64;
        for line in [0, lines, 1_000_000] {
            for character in [0, 19, 10_000] {
                let pos = json!({"line": line, "character": character});
                for method in [
                    "textDocument/definition",
                    "textDocument/hover",
                    "textDocument/completion",
                ] {
                    let r = server
                        .request(method, json!({"textDocument": {"uri": u}, "position": pos}));
                    assert!(
                        r.get("result").is_some() || r.get("error").is_some(),
                        "{method}: {r}"
                    );
                }
                let r = server.request(
                    "textDocument/references",
                    json!({"textDocument": {"uri": u}, "position": pos, "context": {"includeDeclaration": true}}),
                );
                assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
            }
        }
    }
    for query in ["", ":", "//", "\u{0}", &"x".repeat(10_000), "lib:util/../"] {
        let r = server.request("workspace/symbol", json!({"query": query}));
        assert!(r.get("result").is_some(), "{query:?}: {r}");
    }
    let r = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": u},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
            "context": {"diagnostics": [
                {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "message": "x", "data": {"fixes": [{"range": 5, "newText": null}, "junk"]}},
                {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}, "message": "y", "data": "not an object"}
            ]},
        }),
    );
    assert_eq!(r["result"], Value::Null, "{r}");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            {"uri": uri(&ws.path().join("no/such/dir/BUILD")), "type": 2},
            {"uri": uri(&ws.path().join("lib/loop/lib/BUILD.bazel")), "type": 1},
            {"uri": "file:///etc/passwd", "type": 3},
            {"uri": "untitled:Untitled-1", "type": 1}
        ]}),
    );

    // Still serving: a good file gets its answers.
    let good = ws.path().join("other/BUILD");
    let text = std::fs::read_to_string(&good).expect("read");
    server.open(&uri(&good), "starlark", 1, &text);
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&good)}, "position": position(&text, "lib:util")}),
    );
    assert_eq!(
        def["result"][0]["uri"],
        json!(uri(&ws.path().join("lib/BUILD.bazel")))
    );
    server.shutdown();
}

#[test]
fn unsaved_macro_edits_reach_open_build_files() {
    let ws = fixture();
    let mut server = start(&ws);
    let app_text = "load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"t\")\ncc_library(name = \"g\", deps = [\":helper_t\"])\n";
    let app = ws.write("app/BUILD", app_text);
    let app_uri = uri(&app);
    server.open(&app_uri, "starlark", 1, app_text);
    let diags = server.diagnostics_where(&app_uri, Some(1), |d| !d.is_empty());
    assert_eq!(diags[0]["code"], "missing-input-file", "{diags:?}");

    // The macro learns to make `helper_<name>`, not saved: the BUILD file's
    // evaluation follows the open text.
    let defs = ws.path().join("tools/defs.bzl");
    let defs_uri = uri(&defs);
    let old = std::fs::read_to_string(&defs).expect("defs.bzl");
    server.open(&defs_uri, "starlark", 1, &old);
    let line = old.lines().count() as u32;
    server.change(
        &defs_uri,
        2,
        (line, 0),
        (line, 0),
        "    native.filegroup(name = \"helper_\" + name)\n",
    );
    server.diagnostics_where(&app_uri, Some(1), |d| d.is_empty());
    assert_eq!(std::fs::read_to_string(&defs).expect("defs.bzl"), old);
}

/// Files on disk that nest far deeper than any real file, in every shape
/// that makes Starlark's recursive parser, evaluator or AST drop recurse:
/// brackets, an unclosed bracket run, long operator, attribute, call and
/// `not` chains, nested lambdas, and a deep `.bzl` that a BUILD file loads.
/// Written by [`deep_workspace`]; each BUILD file also names what the
/// static reading still finds in it.
fn deep_workspace() -> TempDir {
    const DEEP: usize = 10_000;
    const LONG: usize = 100_000;
    let ws = TempDir::new("workspace-deep");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    let deep_files = [
        (
            "brackets/BUILD",
            format!("x = {}{}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
        ),
        ("unclosed/BUILD", format!("x = {}\n", "[".repeat(DEEP))),
        ("plus/BUILD", format!("x = 1{}\n", " + 1".repeat(LONG))),
        ("dots/BUILD", format!("x = a{}\n", ".b".repeat(LONG))),
        ("calls/BUILD", format!("x = f{}\n", "()".repeat(LONG))),
        ("nots/BUILD", format!("x = {}True\n", "not ".repeat(LONG))),
        (
            "lambdas/BUILD",
            format!("x = {}1\n", "lambda: ".repeat(DEEP)),
        ),
        (
            "bzl/deep.bzl",
            format!(
                "def m(name):\n    native.cc_library(name = name)\n\nX = {}1{}\n",
                "(".repeat(DEEP),
                ")".repeat(DEEP)
            ),
        ),
    ];
    for (path, text) in &deep_files {
        let extra = if path.ends_with("BUILD") {
            "\ncc_library(name = \"t\")\n"
        } else {
            ""
        };
        ws.write(path, format!("{text}{extra}"));
    }
    ws.write(
        "bzl/BUILD",
        "load(\":deep.bzl\", \"m\")\n\nm(name = \"t\")\n",
    );
    ws
}

/// A workspace with deeply nested files is indexed without taking the
/// server down (it once died of a stack overflow reading such a file for
/// the index); labels into those packages resolve from what tree-sitter
/// reads, a typo is still caught, and an open deep file says why it is not
/// fully checked.
#[test]
fn deeply_nested_files_on_disk_are_indexed_without_a_crash() {
    let ws = deep_workspace();
    let mut server = start(&ws);
    let app = ws.path().join("app/BUILD");
    let u = uri(&app);
    let text = "cc_library(\n    name = \"app\",\n    deps = [\n        \"//brackets:t\",\n        \"//plus:t\",\n        \"//calls:t\",\n        \"//bzl:t\",\n        \"//dots:tt\",\n    ],\n)\n";
    server.open(&u, "starlark", 1, text);
    let diagnostics = server.diagnostics_where(&u, Some(1), |d| {
        d.iter().any(|d| d["code"] == "unresolved-target")
    });
    let unresolved: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unresolved-target")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(unresolved.len(), 1, "{diagnostics:#?}");
    assert!(unresolved[0].contains("//dots:tt"), "{unresolved:?}");
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": position(text, "brackets:t")}),
    );
    assert_eq!(
        def["result"][0]["uri"],
        json!(uri(&ws.path().join("brackets/BUILD"))),
        "{def}"
    );
    let deep = ws.path().join("plus/BUILD");
    let deep_text = std::fs::read_to_string(&deep).expect("plus/BUILD");
    server.open(&uri(&deep), "starlark", 1, &deep_text);
    let d = server.diagnostics_where(&uri(&deep), Some(1), |d| {
        d.iter().any(|d| d["code"] == "file-too-complex")
    });
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["severity"], 2);
    assert!(server.shutdown().success());
}

#[test]
fn highlights_links_and_selection_ranges() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "load(\"//tools:defs.bzl\", \"my_test\")\ncc_library(name = \"b\")\ncc_binary(\n    name = \"app\",\n    deps = [\":b\", \"//lib:util\", \"//app:b\"],\n)\nmy_test(name = \"t\")\n";
    let app = ws.write("app/BUILD", text);
    let u = uri(&app);
    server.open(&u, "starlark", 1, text);

    // The target `b`: its name (written) and its two mentions (read).
    let found = server.request(
        "textDocument/documentHighlight",
        json!({"textDocument": {"uri": u}, "position": position(text, ":b\"")}),
    );
    let shown: Vec<(u64, u64, u64)> = found["result"]
        .as_array()
        .expect("highlights")
        .iter()
        .map(|h| {
            let start = &h["range"]["start"];
            (
                start["line"].as_u64().unwrap_or(99),
                start["character"].as_u64().unwrap_or(99),
                h["kind"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(shown, vec![(1, 18, 3), (4, 12, 2), (4, 32, 2)]);
    // A loaded symbol: the load string and the call.
    let found = server.request(
        "textDocument/documentHighlight",
        json!({"textDocument": {"uri": u}, "position": position(text, "my_test(")}),
    );
    assert_eq!(found["result"].as_array().map(Vec::len), Some(2), "{found}");

    // Links: the load path goes to its file at once; labels on resolve.
    let links = server.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": u}}),
    );
    let links = links["result"].as_array().expect("links").clone();
    assert_eq!(links.len(), 4, "{links:?}");
    assert_eq!(
        links[0]["target"],
        json!(uri(&ws.path().join("tools/defs.bzl")))
    );
    let util = links
        .iter()
        .find(|l| l["range"]["start"] == json!({"line": 4, "character": 19}))
        .expect("a link on //lib:util")
        .clone();
    assert!(util["target"].is_null(), "resolved later: {util}");
    let resolved = server.request("documentLink/resolve", util);
    assert_eq!(
        resolved["result"]["target"],
        json!(format!("{}#L5,12", uri(&ws.path().join("lib/BUILD.bazel"))))
    );

    // Selection ranges: the name inside a label, then outwards.
    let ranges = server.request(
        "textDocument/selectionRange",
        json!({"textDocument": {"uri": u}, "positions": [position(text, "util\"")]}),
    );
    let first = &ranges["result"][0];
    assert_eq!(
        first["range"],
        json!({"start": {"line": 4, "character": 25}, "end": {"line": 4, "character": 29}})
    );
    assert_eq!(
        first["parent"]["range"],
        json!({"start": {"line": 4, "character": 19}, "end": {"line": 4, "character": 29}})
    );
    server.shutdown();
}

#[test]
fn target_lenses_build_test_and_run_with_the_active_configuration() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "cc_library(name = \"lib\")\ncc_test(name = \"t\")\ncc_binary(name = \"b\")\n";
    let app = ws.write("app/BUILD", text);
    let u = uri(&app);
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"configs": ["ci"], "flags": ["--copt=-O2"]}}}),
    );
    server.open(&u, "starlark", 1, text);
    let lenses = server.request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    let shown: Vec<(u64, String, Value)> = lenses["result"]
        .as_array()
        .expect("lenses")
        .iter()
        .filter(|l| l["command"]["command"] == "bzls.runTarget")
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap_or(99),
                l["command"]["title"].as_str().unwrap_or("").to_string(),
                l["command"]["arguments"][0]["argv"].clone(),
            )
        })
        .collect();
    let argv =
        |command: &str, label: &str| json!(["bazel", command, "--config=ci", "--copt=-O2", label]);
    assert_eq!(
        shown,
        vec![
            (0, "Build".to_string(), argv("build", "//app:lib")),
            (1, "Build".to_string(), argv("build", "//app:t")),
            (1, "Test".to_string(), argv("test", "//app:t")),
            (2, "Build".to_string(), argv("build", "//app:b")),
            (2, "Run".to_string(), argv("run", "//app:b")),
        ]
    );
    let first = &lenses["result"][0]["command"]["arguments"][0];
    assert_eq!(first["cwd"], json!(ws.path().display().to_string()));
    assert_eq!(first["label"], "//app:lib");

    // The setting turns them off.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"codeLens": {"targets": false}}}}),
    );
    let lenses = server.request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    let targets = lenses["result"].as_array().map_or(0, |l| {
        l.iter()
            .filter(|l| l["command"]["command"] == "bzls.runTarget")
            .count()
    });
    assert_eq!(targets, 0, "{lenses}");
    server.shutdown();
}

#[test]
fn rename_a_target_across_packages() {
    let ws = fixture();
    // A Starlark-flag-style option and a label value name it too.
    ws.write(
        ".bazelrc",
        "build:x --//lib:util=1 --platforms=//lib:util\n",
    );
    let mut server = start(&ws);
    let app = ws.write("app/BUILD", APP);
    let u = uri(&app);
    server.open(&u, "starlark", 1, APP);

    // From the label in another package: the name part, and the name.
    let at = position(APP, "util\"");
    let prepared = server.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": u}, "position": at}),
    );
    assert_eq!(prepared["result"]["placeholder"], "util", "{prepared}");
    assert_eq!(
        prepared["result"]["range"]["start"],
        json!({"line": 2, "character": 19})
    );
    let renamed = server.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": u}, "position": at, "newName": "core"}),
    );
    let changes = renamed["result"]["changes"]
        .as_object()
        .expect("changes")
        .clone();
    let rc = uri(&ws.path().join(".bazelrc"));
    assert_eq!(
        changes[&rc],
        json!([
            {"newText": "//lib:core", "range": {"start": {"line": 0, "character": 10}, "end": {"line": 0, "character": 20}}},
            {"newText": "//lib:core", "range": {"start": {"line": 0, "character": 35}, "end": {"line": 0, "character": 45}}},
        ])
    );
    let mut files: Vec<(String, Vec<String>)> = changes
        .iter()
        .filter(|(file, _)| **file != rc)
        .map(|(file, edits)| {
            let dir = file.rsplit('/').nth(1).unwrap_or("").to_string();
            let texts = edits
                .as_array()
                .expect("edits")
                .iter()
                .map(|e| e["newText"].as_str().unwrap_or("").to_string())
                .collect();
            (dir, texts)
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            ("app".to_string(), vec!["//lib:core".to_string()]),
            ("lib".to_string(), vec!["core".to_string()]),
            ("other".to_string(), vec!["//lib:core".to_string()]),
        ]
    );
    // The declaration's edit is the text between its quotes.
    let lib = uri(&ws.path().join("lib/BUILD.bazel"));
    assert_eq!(
        changes[&lib][0]["range"],
        json!({"start": {"line": 4, "character": 12}, "end": {"line": 4, "character": 16}})
    );

    // Refused, with why: a name that exists, a name Bazel rejects.
    for (new_name, why) in [
        ("util.cc", "source file"),
        ("a:b", "not a valid target name"),
    ] {
        let refused = server.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": u}, "position": at, "newName": new_name}),
        );
        assert_eq!(refused["error"]["code"], -32803, "{refused}");
        let message = refused["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(why), "{new_name}: {message}");
    }
    // Nothing to rename on a keyword.
    let refused = server.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": u}, "position": position(APP, "deps")}),
    );
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    server.shutdown();
}

#[test]
fn rename_a_bzl_macro_across_its_loads() {
    let ws = fixture();
    let mut server = start(&ws);
    // An open BUILD file with an unsaved use of the macro: renamed as the
    // editor has it.
    let app = ws.write("app/BUILD", "");
    let app_uri = uri(&app);
    let app_text = "load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"a\")\n";
    server.open(&app_uri, "starlark", 1, app_text);
    let defs = ws.path().join("tools/defs.bzl");
    let defs_uri = uri(&defs);
    let defs_text = std::fs::read_to_string(&defs).expect("defs.bzl");
    server.open(&defs_uri, "starlark", 1, &defs_text);

    let at = position(&defs_text, "my_test");
    let prepared = server.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": defs_uri}, "position": at}),
    );
    assert_eq!(prepared["result"]["placeholder"], "my_test", "{prepared}");
    let renamed = server.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": defs_uri}, "position": at, "newName": "unit_test"}),
    );
    let changes = renamed["result"]["changes"].as_object().expect("changes");
    let base = format!("{}/", uri(ws.path()));
    let mut edited: Vec<(String, usize)> = changes
        .iter()
        .map(|(file, edits)| {
            let edits = edits.as_array().expect("edits");
            assert!(
                edits.iter().all(|e| e["newText"] == "unit_test"),
                "{renamed}"
            );
            let rel = file.strip_prefix(&base).unwrap_or(file).to_string();
            (rel, edits.len())
        })
        .collect();
    edited.sort();
    assert_eq!(
        edited,
        vec![
            ("app/BUILD".to_string(), 2),
            ("other/BUILD".to_string(), 2),
            ("tools/defs.bzl".to_string(), 1),
        ],
        "{renamed}"
    );
    // The unsaved line of app/BUILD: its call, on line 1.
    let app_edits = changes[&app_uri].as_array().expect("app edits");
    assert!(
        app_edits
            .iter()
            .any(|e| e["range"]["start"] == json!({"line": 1, "character": 0})),
        "{renamed}"
    );
    // A private name could not be loaded.
    let refused = server.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": defs_uri}, "position": at, "newName": "_t"}),
    );
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    server.shutdown();
}

/// Decodes LSP's relative semantic tokens into `(line, start, length,
/// type index)`.
fn decode_tokens(data: &Value) -> Vec<(u64, u64, u64, u64)> {
    let flat: Vec<u64> = data
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_u64().expect("number"))
        .collect();
    let (mut line, mut start) = (0, 0);
    flat.chunks(5)
        .map(|t| {
            line += t[0];
            start = if t[0] == 0 { start + t[1] } else { t[1] };
            (line, start, t[2], t[3])
        })
        .collect()
}

#[test]
fn semantic_tokens_full_delta_and_range() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "cc_library(\n    name = \"b\",\n    deps = [\"//lib:util\"],\n)\n";
    let app = ws.write("app/BUILD", text);
    let u = uri(&app);
    server.open(&u, "starlark", 1, text);
    let full = server.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": u}}),
    );
    // function cc_library; parameter name; enumMember b; parameter deps;
    // namespace lib; enumMember util (types by the legend's order).
    assert_eq!(
        decode_tokens(&full["result"]["data"]),
        vec![
            (0, 0, 10, 1),
            (1, 4, 4, 2),
            (1, 12, 1, 4),
            (2, 4, 4, 2),
            (2, 15, 3, 0),
            (2, 19, 4, 4)
        ]
    );
    let id = full["result"]["resultId"]
        .as_str()
        .expect("result id")
        .to_string();

    // Renaming `b` to `bb`: one edit, the one token that changed.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"range": {"start": {"line": 1, "character": 12}, "end": {"line": 1, "character": 13}}, "text": "bb"}]}),
    );
    let delta = server.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": u}, "previousResultId": id}),
    );
    let edits = delta["result"]["edits"].as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{delta}");
    assert_eq!(edits[0]["start"], 10);
    assert_eq!(edits[0]["deleteCount"], 5);
    assert_eq!(edits[0]["data"], json!([0, 8, 2, 4, 1]));

    let range = server.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": u}, "range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 99}}}),
    );
    assert_eq!(
        decode_tokens(&range["result"]["data"]),
        vec![(2, 4, 4, 2), (2, 15, 3, 0), (2, 19, 4, 4)]
    );

    // An rc file: the command, the config, the flag, the config it names.
    let rc_text = "build:ci --config=opt\n";
    let rc = ws.write(".bazelrc", rc_text);
    let rc_uri = uri(&rc);
    server.open(&rc_uri, "bazelrc", 1, rc_text);
    let full = server.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": rc_uri}}),
    );
    assert_eq!(
        decode_tokens(&full["result"]["data"]),
        vec![(0, 0, 5, 7), (0, 6, 2, 5), (0, 11, 6, 6), (0, 18, 3, 5)]
    );
    server.shutdown();
}

#[test]
fn a_nested_workspace_file_is_judged_from_the_outer_workspace_too() {
    let ws = TempDir::new("workspace-lsp-nested");
    ws.write("MODULE.bazel", "module(name = \"outer\")\n");
    ws.write(
        "project/apis/BUILD",
        "cc_library(name = \"model_cc_proto\")\n",
    );
    ws.write("project/ops/remote_predict/WORKSPACE", "");
    let text = "cc_library(name = \"op\", deps = [\"//project/apis:model_cc_proto\", \"//project/apis:modle_cc_proto\"])\n";
    let build = ws.write("project/ops/remote_predict/BUILD", text);
    let mut server = start(&ws);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let diags = server.diagnostics_where(&u, Some(1), |d| !d.is_empty());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "unresolved-target", "{diags:?}");
    assert_eq!(
        diags[0]["range"]["start"],
        position(text, "\"//project/apis:modle_cc_proto\"")
    );
    // Its own root has no such package: the definition comes from the
    // outer workspace.
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": position(text, "apis:model_cc_proto")}),
    );
    assert_eq!(
        def["result"][0]["uri"],
        json!(uri(&ws.path().join("project/apis/BUILD"))),
        "{def}"
    );
    server.shutdown();
}

/// Starlark itself, over stdio: attribute completion in a half-typed call
/// (inserting `name = `), signature help with the active parameter as the
/// arguments go on, and hovers on a native rule and a macro's parameter.
#[test]
fn calls_get_attribute_completion_signature_help_and_hover() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "load(\"//tools:defs.bzl\", \"my_test\")\ncc_library(\n    name = \"a\",\n    hd\n";
    let path = ws.write("calls/BUILD", text);
    let u = uri(&path);
    server.open(&u, "starlark", 1, text);

    let at = position(text, "hd\n");
    let typed_end =
        json!({"line": at["line"], "character": at["character"].as_u64().unwrap_or(0) + 2});
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": typed_end}),
    );
    let items = completion["result"]["items"].as_array().expect("items");
    let hdrs = items
        .iter()
        .find(|i| i["label"] == "hdrs = ")
        .unwrap_or_else(|| panic!("hdrs offered: {completion}"));
    assert_eq!(hdrs["kind"], json!(10), "a property: {hdrs}");
    assert_eq!(hdrs["detail"], "List of labels");
    assert_eq!(hdrs["textEdit"]["newText"], "hdrs = ");
    let doc = hdrs["documentation"]["value"].as_str().unwrap_or("");
    assert!(doc.starts_with("`hdrs` of `cc_library`"), "{hdrs}");
    // A native rule's attributes come on resolve.
    let names = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 1, "character": 3}}),
    );
    let rule = names["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["label"] == "cc_library")
        .unwrap_or_else(|| panic!("cc_library offered: {names}"));
    assert!(rule.get("documentation").is_none(), "{rule}");
    let resolved = server.request("completionItem/resolve", rule.clone());
    let doc = resolved["result"]["documentation"]["value"]
        .as_str()
        .unwrap_or("");
    assert!(doc.contains("| `srcs` | List of labels |"), "{resolved}");
    assert_eq!(hdrs["textEdit"]["range"]["start"], at);
    assert!(
        !items.iter().any(|i| i["label"] == "name = "),
        "{completion}"
    );

    // Typing `=` asks for label completion, not for every name.
    let after_equals = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": typed_end,
               "context": {"triggerKind": 2, "triggerCharacter": "="}}),
    );
    assert_eq!(after_equals["result"], Value::Null, "{after_equals}");

    let help = server.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": u}, "position": position(text, "\"a\"")}),
    );
    let signature = &help["result"]["signatures"][0];
    let label = signature["label"].as_str().unwrap_or("");
    assert!(label.starts_with("cc_library(*, name, "), "{help}");
    let active = help["result"]["activeParameter"].as_u64().expect("active") as usize;
    let range = signature["parameters"][active]["label"]
        .as_array()
        .expect("offsets");
    let (from, to) = (
        range[0].as_u64().unwrap_or(0) as usize,
        range[1].as_u64().unwrap_or(0) as usize,
    );
    assert_eq!(&label[from..to], "name");

    let text2 = "load(\"//tools:defs.bzl\", \"my_test\")\ncc_library(name = \"a\")\nmy_test(name = \"t\")\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text2}]}),
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": position(text2, "library(name")}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        shown.contains("cc_library(*, name") && shown.contains("| `srcs` |"),
        "{hover}"
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": position(text2, "name = \"t\"")}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.starts_with("`name` of `my_test`"), "{hover}");

    // A .bzl file: members after `.`, asked for by the trigger character.
    let bzl = "def _impl(ctx):\n    ctx.actions.\n";
    let path = ws.write("tools/rules.bzl", bzl);
    let b = uri(&path);
    server.open(&b, "starlark", 1, bzl);
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": b}, "position": {"line": 1, "character": 16},
               "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    );
    let labels = item_labels(&completion);
    assert!(
        labels.contains(&"run") && labels.contains(&"declare_file"),
        "{completion}"
    );

    // MODULE.bazel: its own functions.
    let module = "module(name = \"ws\")\nbazel_dep(name = \"rules_cc\", v\n";
    let m = uri(&ws.path().join("MODULE.bazel"));
    server.open(&m, "starlark", 1, module);
    let end = json!({"line": 1, "character": 31});
    let help = server.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": m}, "position": end}),
    );
    let label = help["result"]["signatures"][0]["label"]
        .as_str()
        .unwrap_or("");
    assert!(
        label.starts_with("bazel_dep(*, name, version = ''"),
        "{help}"
    );
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": m}, "position": end}),
    );
    let labels = item_labels(&completion);
    assert_eq!(labels, ["version = "], "{completion}");
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": m}, "position": {"line": 1, "character": 3}}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        shown.contains("Declares a dependency on another Bazel module."),
        "{hover}"
    );
    server.shutdown();
}

/// Bazel's loading-phase checks as squiggles, over stdio: undefined names,
/// unknown attributes of native and loaded Starlark rules, duplicate
/// targets, unused loads (faded), in BUILD, `.bzl` and MODULE.bazel files,
/// with quick fixes; and no false error on a clean file.
#[test]
fn semantic_errors_are_squiggles_with_fixes() {
    let ws = fixture();
    ws.write(
        "tools/rules.bzl",
        "def _impl(ctx):\n    return []\n\nmy_rule = rule(implementation = _impl, attrs = {\"color\": attr.string()})\n",
    );
    let mut server = start(&ws);
    let text = "load(\"//tools:rules.bzl\", \"my_rule\")\nload(\"//tools:defs.bzl\", \"my_test\")\ncc_libary(name = \"a\")\ncc_library(name = \"b\", srcz = [])\ncc_library(name = \"b\")\nmy_rule(name = \"c\", colour = \"red\")\n";
    let build = ws.write("sem/BUILD", text);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let diags = server.diagnostics_where(&u, Some(1), |d| d.len() == 5);
    let codes: Vec<(&str, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["range"]["start"]["line"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("unused-load", 1),
            ("undefined-name", 2),
            ("unknown-attribute", 3),
            ("duplicate-target", 4),
            ("unknown-attribute", 5),
        ],
        "{diags:?}"
    );
    assert_eq!(diags[0]["severity"], 2);
    assert_eq!(diags[0]["tags"], json!([1]), "an unused load is faded");
    assert_eq!(
        diags[1]["message"],
        "name 'cc_libary' is not defined (did you mean 'cc_library'?)"
    );
    assert_eq!(
        diags[4]["message"],
        "no such attribute 'colour' in 'my_rule' rule (did you mean 'color'?)"
    );
    // Quick fixes: the near name, and removing the unused load.
    for (diag, expected) in [
        (&diags[1], "cc_library"),
        (&diags[4], "color"),
        (&diags[0], ""),
    ] {
        let actions = server.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": u},
                "range": diag["range"],
                "context": {"diagnostics": [diag]},
            }),
        );
        let edit = &actions["result"][0]["edit"]["changes"][&u][0];
        assert_eq!(edit["newText"], expected, "{actions}");
    }

    // A .bzl file: a global bound twice, a name defined nowhere.
    let bzl_text = "X = 1\nX = 2\n\ndef f():\n    return undefined_thing\n";
    let bzl = ws.write("sem/defs.bzl", bzl_text);
    server.open(&uri(&bzl), "starlark", 1, bzl_text);
    let diags = server.diagnostics_where(&uri(&bzl), Some(1), |d| d.len() == 2);
    assert_eq!(diags[0]["message"], "'X' redeclared at top level");
    assert_eq!(diags[1]["message"], "name 'undefined_thing' is not defined");

    // MODULE.bazel: include() with a label of another repository.
    let module_text = "module(name = \"ws\")\ninclude(\"@other//:x.MODULE.bazel\")\n";
    let module = ws.write("MODULE.bazel", module_text);
    server.open(&uri(&module), "starlark", 1, module_text);
    let diags = server.diagnostics_where(&uri(&module), Some(1), |d| d.len() == 1);
    assert_eq!(diags[0]["code"], "module-file-include");

    // Fixing the BUILD file clears every error.
    let fixed = "load(\"//tools:rules.bzl\", \"my_rule\")\ncc_library(name = \"a\")\ncc_library(name = \"b\", srcs = [])\nmy_rule(name = \"c\", color = \"red\")\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    server.diagnostics_where(&u, Some(2), |d| d.is_empty());
    server.shutdown();
}

/// Typing `.` after a string, list or dict (or a name assigned one) offers
/// its methods, with the starlark crate's documentation; signature help
/// follows into the method's call.
#[test]
fn value_methods_complete_after_a_dot() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "SEP = \", \"\n\ndef f(names):\n    out = []\n    out.\n";
    let path = ws.write("tools/methods.bzl", text);
    let u = uri(&path);
    server.open(&u, "starlark", 1, text);
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 4, "character": 8},
               "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    );
    let labels: Vec<&str> = completion["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        ["append", "clear", "extend", "index", "insert", "pop", "remove"],
        "{completion}"
    );
    // The method typed, the call begun.
    let text2 =
        "SEP = \", \"\n\ndef f(names):\n    out = []\n    out.append(1)\n    return SEP.join()\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text2}]}),
    );
    let help = server.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": u}, "position": {"line": 5, "character": 20}}),
    );
    let label = help["result"]["signatures"][0]["label"]
        .as_str()
        .unwrap_or("");
    assert!(label.starts_with("str.join("), "{help}");
    server.shutdown();
}

/// In MODULE.bazel, a module extension's tags (read from its `.bzl` file)
/// complete after `ext.`, and their attributes inside `ext.tag(`.
#[test]
fn module_extension_tags_complete_in_module_files() {
    let ws = fixture();
    ws.write(
        "tools/ext.bzl",
        "def _impl(mctx):\n    pass\n\nlang = module_extension(\n    implementation = _impl,\n    tag_classes = {\"toolchain\": tag_class(attrs = {\"version\": attr.string(mandatory = True)})},\n)\n",
    );
    let mut server = start(&ws);
    let text =
        "module(name = \"ws\")\nlang = use_extension(\"//tools:ext.bzl\", \"lang\")\nlang.\n";
    let module = ws.write("MODULE.bazel", text);
    let u = uri(&module);
    server.open(&u, "starlark", 1, text);
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": 5},
               "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    );
    assert_eq!(
        completion["result"]["items"][0]["label"], "toolchain",
        "{completion}"
    );
    let text2 = "module(name = \"ws\")\nlang = use_extension(\"//tools:ext.bzl\", \"lang\")\nlang.toolchain()\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text2}]}),
    );
    let help = server.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": u}, "position": {"line": 2, "character": 15}}),
    );
    assert_eq!(
        help["result"]["signatures"][0]["label"], "toolchain(*, version)",
        "{help}"
    );
    // What Bazel rejects: a tag the extension lacks, an attribute its tag
    // class lacks, a repo name used twice.
    let text3 = "module(name = \"ws\")\nbazel_dep(name = \"ws\", version = \"1\")\nlang = use_extension(\"//tools:ext.bzl\", \"lang\")\nlang.toolchan(version = \"1\")\nlang.toolchain(versoin = \"1\")\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 3}, "contentChanges": [{"text": text3}]}),
    );
    let diags = server.diagnostics_where(&u, Some(3), |d| d.len() == 3);
    let shown: Vec<(&str, u64, &str)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or(""),
                d["range"]["start"]["line"].as_u64().unwrap_or(99),
                d["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "module-file-directive",
                1,
                "The repo name 'ws' is already being used as the current module name at line 1"
            ),
            (
                "module-extension-tag",
                3,
                "The module extension 'lang' defined at tools/ext.bzl does not have a tag class named toolchan (did you mean 'toolchain'?)"
            ),
            (
                "module-extension-tag",
                4,
                "in 'toolchain' tag, unknown attribute versoin provided (did you mean 'version'?)"
            ),
        ],
        "{diags:?}"
    );
    server.shutdown();
}

/// A struct loaded from a `.bzl` file (skylib's style) completes its
/// fields after `.`, and a macro's call its rule's attributes.
#[test]
fn struct_fields_and_macro_attributes_complete() {
    let ws = fixture();
    ws.write(
        "tools/paths.bzl",
        "def _join(path, *others):\n    \"\"\"Joins paths.\"\"\"\n    return path\n\ndef lib(name, **kwargs):\n    native.cc_library(name = name, **kwargs)\n\npaths = struct(join = _join, SEP = \"/\")\n",
    );
    let mut server = start(&ws);
    let text = "load(\"//tools:paths.bzl\", \"lib\", \"paths\")\nX = paths.\nlib(name = \"a\", srcz = [])\nlib(name = \"b\", )\n";
    let build = ws.write("structs/BUILD", text);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 1, "character": 10},
               "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    );
    let items: Vec<(&str, &str)> = completion["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap_or(""),
                i["detail"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        items,
        [("join", "join(path, *others)"), ("SEP", "field = \"/\"")],
        "{completion}"
    );
    let completion = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": {"line": 3, "character": 16}}),
    );
    let labels: Vec<&str> = completion["result"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"srcs = ") && !labels.contains(&"name = "),
        "{labels:?}"
    );
    // The `.` typed: the file parses again, and the macro call is judged.
    let text2 = "load(\"//tools:paths.bzl\", \"lib\", \"paths\")\nX = paths.SEP\nlib(name = \"a\", srcz = [])\n";
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": text2}]}),
    );
    let diags = server.diagnostics_where(&u, Some(2), |d| {
        d.iter().any(|d| d["code"] == "unknown-attribute")
    });
    assert!(
        diags.iter().any(|d| d["message"]
            == "no such attribute 'srcz' in 'cc_library' rule (did you mean 'srcs'?)"),
        "{diags:?}"
    );
    server.shutdown();
}
