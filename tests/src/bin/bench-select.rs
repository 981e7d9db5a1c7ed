//! Times a configuration switch through the real protocol: how long after
//! `workspace/executeCommand bzls.setActiveConfig` an editor has the open
//! BUILD file's new diagnostics, and its new inlay hints (the server asks
//! the client to refresh them; the client then requests them).
//!
//! The workspace is generated into a temporary directory from the select
//! corpus the criterion bench `select` uses (`bzls::select::corpus`): a
//! 3,565-line BUILD file with 500 selects and 100 config_settings and an rc
//! file with 20 nested configs.
//!
//! Usage: `bench-select [--switches N]` with `BZLS_BIN` naming the server
//! binary (default: the workspace's debug build).

use std::process::ExitCode;
use std::time::Instant;

use bzls::select::corpus::{build_file, rc_file};
use bzls_e2e::{report_latencies as report, uri, TempDir, TestServer};
use serde_json::{json, Value};

fn switches() -> Result<usize, String> {
    let mut args = std::env::args().skip(1);
    let mut n = 100;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--switches" => {
                n = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--switches takes a number")?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(n)
}

/// The number of `select-branch-not-taken` hints in a diagnostics list
/// judged under `command` (their message quotes the command line).
fn untaken_under(diagnostics: &Value, command: &str) -> usize {
    let quoted = format!("`{command}`");
    diagnostics.as_array().map_or(0, |d| {
        d.iter()
            .filter(|x| {
                x["code"] == "select-branch-not-taken"
                    && x["message"].as_str().is_some_and(|m| m.contains(&quoted))
            })
            .count()
    })
}

/// Empty files for every source file the corpus names, so that its labels
/// resolve and the only diagnostics are the select ones.
fn write_sources(ws: &TempDir, build: &str) {
    for literal in build.split('"').skip(1).step_by(2) {
        if literal.ends_with(".cc") || literal.ends_with(".h") {
            ws.write(&format!("pkg/{literal}"), "");
        }
    }
}

fn main() -> ExitCode {
    let n = match switches() {
        Ok(n) => n,
        Err(message) => {
            eprintln!("bench-select: {message}\nusage: bench-select [--switches N]");
            return ExitCode::from(2);
        }
    };
    let ws = TempDir::new("bench-select");
    ws.write(
        "MODULE.bazel",
        "module(name = \"bench\")\nbazel_dep(name = \"bazel_skylib\", version = \"1.5.0\")\n",
    );
    ws.write(".bazelrc", rc_file());
    let build = build_file();
    let path = ws.write("pkg/BUILD.bazel", &build);
    write_sources(&ws, &build);
    let u = uri(&path);
    println!(
        "workspace: {} ({} lines in pkg/BUILD.bazel)",
        ws.path().display(),
        build.lines().count()
    );

    let mut server = TestServer::spawn();
    let response = server.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(ws.path()),
            "capabilities": {"workspace": {
                "inlayHint": {"refreshSupport": true},
                "codeLens": {"refreshSupport": true}
            }}
        }),
    );
    if response.get("result").is_none() {
        eprintln!("bench-select: initialize failed: {response}");
        return ExitCode::FAILURE;
    }
    server.notify("initialized", json!({}));
    server.open(&u, "starlark", 1, &build);
    let opened = server.diagnostics(&u, 1);
    let unexpected: Vec<&Value> = opened
        .iter()
        .filter(|d| !d["code"].as_str().is_some_and(|c| c.starts_with("select-")))
        .collect();
    if !unexpected.is_empty() {
        eprintln!("bench-select: the corpus has unexpected diagnostics: {unexpected:?}");
        return ExitCode::FAILURE;
    }
    let end = json!({"line": build.lines().count() + 1, "character": 0});
    let hints = |server: &mut TestServer| {
        server.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": end}}),
        )
    };
    let first = hints(&mut server);
    let count = first["result"].as_array().map_or(0, Vec::len);
    println!("inlay hints under the default configuration: {count}");

    // Two configurations that differ in what they select, alternated.
    let configs = [
        (json!(["c0", "c5"]), "bazel build --config=c0 --config=c5"),
        (json!(["c3"]), "bazel build --config=c3"),
    ];
    let (mut to_diagnostics, mut to_hints, mut untaken) = (Vec::new(), Vec::new(), [0, 0]);
    let mut last_sizes = (0, 0);
    for i in 0..n + 2 {
        let which = i % 2;
        let (configs, command) = &configs[which];
        server.clear_backlog();
        let start = Instant::now();
        let id = server.send_request(
            "workspace/executeCommand",
            json!({"command": "bzls.setActiveConfig", "arguments": [{"configs": configs}]}),
        );
        // As an editor does: the hints are requested as soon as the server
        // asks for a refresh, while its diagnostics may still be on the way.
        let (mut published, mut answer) = (None, None);
        let (mut diagnostics_at, mut hints_at) = (start.elapsed(), start.elapsed());
        let mut hints_id = None;
        while published.is_none() || answer.is_none() {
            let pending = hints_id;
            let message = server.take("diagnostics, refresh or hints after the switch", |m| {
                (m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == u
                    && untaken_under(&m["params"]["diagnostics"], command) > 0)
                    || m["method"] == "workspace/inlayHint/refresh"
                    || (pending.is_some() && m["id"] == json!(pending) && m.get("method").is_none())
            });
            if message["method"] == "workspace/inlayHint/refresh" {
                server.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": null}));
                hints_id = Some(server.send_request(
                    "textDocument/inlayHint",
                    json!({"textDocument": {"uri": u}, "range": {"start": {"line": 0, "character": 0}, "end": end}}),
                ));
            } else if message["method"] == "textDocument/publishDiagnostics" {
                diagnostics_at = start.elapsed();
                published = Some(message);
            } else {
                hints_at = start.elapsed();
                answer = Some(message);
            }
        }
        let (published, answer) = (published.unwrap_or_default(), answer.unwrap_or_default());
        untaken[which] = untaken_under(&published["params"]["diagnostics"], command);
        server.response(id);
        if answer.get("result").is_none() {
            eprintln!("bench-select: inlay hints failed: {answer}");
            return ExitCode::FAILURE;
        }
        last_sizes = (published.to_string().len(), answer.to_string().len());
        // The first two switches warm up.
        if i >= 2 {
            to_diagnostics.push(diagnostics_at);
            to_hints.push(hints_at);
        }
    }
    println!(
        "last messages: publishDiagnostics {} KB, inlayHint response {} KB",
        last_sizes.0 / 1024,
        last_sizes.1 / 1024
    );
    println!(
        "untaken branches under --config=c0 --config=c5: {}, under --config=c3: {}",
        untaken[0], untaken[1]
    );
    report("switch → publishDiagnostics", to_diagnostics);
    report("switch → refresh → inlayHint response", to_hints);
    server.shutdown();
    ExitCode::SUCCESS
}
