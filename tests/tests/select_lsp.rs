//! select() previews over stdio: diagnostics (untaken branches dimmed,
//! `select-no-match`), inlay hints, hover with provenance and code lenses,
//! all following the active configuration as `bzls.setActiveConfig` and
//! `workspace/didChangeConfiguration` switch it.

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

const BUILD: &str = r#"config_setting(name = "opt", values = {"compilation_mode": "opt"})
config_setting(name = "cuda", define_values = {"using_cuda": "true"})

filegroup(
    name = "t",
    srcs = select({
        ":opt": ["opt.txt"],
        "//conditions:default": ["default.txt"],
    }),
)

filegroup(
    name = "strict",
    srcs = select({":cuda": ["cuda.txt"]}),
)
"#;

fn fixture() -> TempDir {
    let ws = TempDir::new("select-lsp");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        ".bazelrc",
        "build:opt -c opt\n# CUDA builds.\nbuild:cuda --define=using_cuda=true\n",
    );
    ws
}

fn position(text: &str, needle: &str) -> Value {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn start(ws: &TempDir) -> TestServer {
    let mut server = TestServer::spawn();
    let result = server.initialize_workspace(
        Some(ws.path()),
        json!({"workspace": {
            "inlayHint": {"refreshSupport": true},
            "codeLens": {"refreshSupport": true},
        }}),
        json!({"bzls": {"rc": {"homeRc": false, "systemRc": false}}}),
    );
    let caps = &result["capabilities"];
    assert_eq!(caps["inlayHintProvider"], json!(true), "{caps}");
    assert!(caps["codeLensProvider"].is_object(), "{caps}");
    server
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn hints(server: &mut TestServer, u: &str) -> Vec<(u64, String)> {
    let response = server.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}}),
    );
    response["result"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|h| {
            (
                h["position"]["line"].as_u64().expect("test data"),
                h["label"].as_str().expect("test data").to_string(),
            )
        })
        .collect()
}

fn hover(server: &mut TestServer, u: &str, at: Value) -> String {
    let response = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": at}),
    );
    response["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn previews_follow_the_active_configuration() {
    let ws = fixture();
    let mut server = start(&ws);
    let build = ws.write("pkg/BUILD", BUILD);
    let u = uri(&build);
    server.open(&u, "starlark", 1, BUILD);

    // Default configuration: the default branch is taken, `:opt` is dimmed,
    // and the select without a default fails.
    let diags = server.diagnostics_where(&u, Some(1), |d| {
        d.iter().any(|x| x["code"] == "select-no-match")
    });
    let not_taken: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "select-branch-not-taken")
        .collect();
    assert_eq!(not_taken.len(), 1, "{diags:?}");
    assert_eq!(not_taken[0]["tags"], json!([1]));
    assert_eq!(not_taken[0]["severity"], 4);
    assert_eq!(not_taken[0]["range"]["start"], position(BUILD, "\":opt\""));
    let no_match = diags
        .iter()
        .find(|d| d["code"] == "select-no-match")
        .expect("test data");
    assert_eq!(no_match["severity"], 1);
    assert!(
        no_match["message"]
            .as_str()
            .expect("test data")
            .starts_with("Configurable attribute \"srcs\" doesn't match this configuration"),
        "{no_match}"
    );
    let default_line = position(BUILD, "\"//conditions:default\"")["line"]
        .as_u64()
        .expect("test data");
    let strict_line = position(BUILD, "select({\":cuda\"")["line"]
        .as_u64()
        .expect("test data");
    assert_eq!(
        hints(&mut server, &u),
        vec![
            (default_line, "✓ taken".to_string()),
            (strict_line, "no match".to_string())
        ]
    );
    let md = hover(&mut server, &u, position(BUILD, "select({\n"));
    assert!(md.contains("Takes **`//conditions:default`**"), "{md}");
    assert!(
        md.contains("`compilation_mode`: want `opt`, have `fastbuild` (default)"),
        "{md}"
    );
    let lenses = server.request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    // The select lenses (the target lenses, Build above each target, aside).
    let titles: Vec<&str> = lenses["result"]
        .as_array()
        .expect("test data")
        .iter()
        .filter(|l| l["command"]["command"] == "bzls.pickConfig")
        .map(|l| l["command"]["title"].as_str().expect("test data"))
        .collect();
    assert_eq!(
        titles,
        [
            "⚙ bazel build · 1 select",
            "⚙ bazel build · 1 failing select"
        ]
    );
    assert_eq!(lenses["result"][0]["command"]["command"], "bzls.pickConfig");

    // Switch to --config=opt --config=cuda: the hints, hover and diagnostics follow.
    let response = server.request(
        "workspace/executeCommand",
        json!({"command": "bzls.setActiveConfig", "arguments": [{"configs": ["opt", "cuda"]}]}),
    );
    assert_eq!(response["result"]["configs"], json!(["opt", "cuda"]));
    let refresh = server.take("inlayHint refresh", |m| {
        m["method"] == "workspace/inlayHint/refresh"
    });
    server.send(&json!({"jsonrpc": "2.0", "id": refresh["id"], "result": null}));
    // The first layer of a refresh may still show the old select
    // diagnostics (or, from the open, none yet): wait for the new ones.
    let diags = server.diagnostics_where(&u, Some(1), |d| {
        !d.iter().any(|x| x["code"] == "select-no-match")
            && d.iter().any(|x| x["code"] == "select-branch-not-taken")
    });
    let not_taken: Vec<&Value> = diags
        .iter()
        .filter(|d| d["code"] == "select-branch-not-taken")
        .collect();
    assert_eq!(not_taken.len(), 1, "{diags:?}");
    assert_eq!(
        not_taken[0]["range"]["start"],
        position(BUILD, "\"//conditions:default\"")
    );
    let opt_line = position(BUILD, "\":opt\"")["line"]
        .as_u64()
        .expect("test data");
    let cuda_line = strict_line;
    assert_eq!(
        hints(&mut server, &u),
        vec![
            (opt_line, "✓ taken".to_string()),
            (cuda_line, "✓ taken".to_string())
        ]
    );
    let md = hover(&mut server, &u, position(BUILD, "\":cuda\""));
    assert!(
        md.contains("under `bazel build --config=opt --config=cuda`"),
        "{md}"
    );
    assert!(
        md.contains("have `true` (`--define=using_cuda=true` from .bazelrc:3, via --config=cuda)"),
        "{md}"
    );

    // An undefined config: the lenses say so, and nothing is judged.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"configs": ["nope"]}}}),
    );
    let diags = server.diagnostics_where(&u, Some(1), |d| {
        !d.iter().any(|x| x["code"] == "select-branch-not-taken")
    });
    assert!(
        codes(&diags).iter().all(|c| !c.starts_with("select-")),
        "{diags:?}"
    );
    let lenses = server.request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    let title = lenses["result"][0]["command"]["title"]
        .as_str()
        .expect("test data")
        .to_string();
    assert!(
        title.contains("rc error: Config value 'nope' is not defined in any .rc file"),
        "{title}"
    );
}

#[test]
fn half_typed_selects_and_odd_positions_get_answers() {
    let ws = fixture();
    let mut server = start(&ws);
    let text = "config_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\nfilegroup(name = \"t\", srcs = select({\":opt\": [\"a\"], \"//conditions:def";
    let build = ws.write("half/BUILD", text);
    let u = uri(&build);
    server.open(&u, "starlark", 1, text);
    let _ = server.diagnostics(&u, 1);
    for at in [
        json!({"line": 1, "character": 40}),
        json!({"line": 99, "character": 0}),
        json!({"line": 0, "character": 9999}),
    ] {
        let response = server.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": at}),
        );
        assert!(response.get("error").is_none(), "{response}");
    }
    let response = server.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": u}, "range": {"start": {"line": 5, "character": 0}, "end": {"line": 0, "character": 0}}}),
    );
    assert!(response.get("error").is_none(), "{response}");
    let response = server.request("textDocument/codeLens", json!({"textDocument": {"uri": u}}));
    assert!(response.get("error").is_none(), "{response}");
}

/// A configuration switch recomputes only the select diagnostics: the
/// label and syntax diagnostics of the same text are republished with
/// them, and after an edit everything follows the new text.
#[test]
fn a_switch_keeps_the_other_diagnostics_of_the_text() {
    const TEXT: &str = r#"config_setting(name = "opt", values = {"compilation_mode": "opt"})

filegroup(
    name = "t",
    srcs = select({
        ":opt": [":missing"],
        "//conditions:default": [],
    }),
)
"#;
    let ws = fixture();
    let mut server = start(&ws);
    let build = ws.write("pkg/BUILD", TEXT);
    let u = uri(&build);
    server.open(&u, "starlark", 1, TEXT);
    let diags = server.diagnostics_where(&u, Some(1), |d| {
        d.iter().any(|x| x["code"] == "missing-input-file")
    });
    assert_eq!(
        codes(&diags),
        vec!["missing-input-file", "select-branch-not-taken"],
        "{diags:?}"
    );

    let switch = |server: &mut TestServer, configs: Value| {
        let response = server.request(
            "workspace/executeCommand",
            json!({"command": "bzls.setActiveConfig", "arguments": [{"configs": configs}]}),
        );
        assert!(response.get("result").is_some(), "{response}");
    };
    switch(&mut server, json!(["opt"]));
    let diags = server.diagnostics_where(&u, Some(1), |d| {
        d.iter().any(|x| {
            x["message"]
                .as_str()
                .is_some_and(|m| m.contains("--config=opt"))
        })
    });
    let mut got = codes(&diags);
    got.sort();
    assert_eq!(
        got,
        vec!["missing-input-file", "select-branch-not-taken"],
        "{diags:?}"
    );
    let untaken = diags
        .iter()
        .find(|d| d["code"] == "select-branch-not-taken")
        .expect("test data");
    assert_eq!(
        untaken["range"]["start"],
        position(TEXT, "\"//conditions:default\"")
    );

    // Fix the label, then switch back: the fixed text is what is judged.
    let at = position(TEXT, ":missing");
    let (line, col) = (
        at["line"].as_u64().expect("test data") as u32,
        at["character"].as_u64().expect("test data") as u32,
    );
    server.change(&u, 2, (line, col), (line, col + 8), ":opt");
    server.diagnostics_where(&u, Some(2), |d| {
        !d.iter().any(|x| x["code"] == "missing-input-file")
    });
    switch(&mut server, json!([]));
    let diags = server.diagnostics_where(&u, Some(2), |d| {
        d.iter().any(|x| {
            x["code"] == "select-branch-not-taken"
                && x["range"]["start"] == position(TEXT, "\":opt\"")
        })
    });
    assert_eq!(codes(&diags), vec!["select-branch-not-taken"], "{diags:?}");
    server.shutdown();
}
