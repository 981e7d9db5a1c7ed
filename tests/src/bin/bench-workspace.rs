//! Benchmarks the workspace model through the real protocol, on a
//! synthetic monorepo (see `gen-monorepo`):
//!
//! ```text
//! bench-workspace [--bzls PATH] [--requests N] WORKSPACE_DIR
//! ```
//!
//! Starts `bzls serve` on the workspace and measures, over stdio:
//! - the cold index: from `initialized` to the end of the indexing
//!   progress, and the server's peak resident memory after it (`VmHWM`);
//! - definition, references and completion on labels of BUILD files all
//!   over the tree: p50 / p99 / max;
//! - the diagnostics after a `didChange` of a BUILD file (a label retyped):
//!   time until the new version's diagnostics arrive.
//!
//! Times include the JSON-RPC round trip through pipes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bzls_e2e::rng::Rng;
use bzls_e2e::{report_latencies as report, uri, TestServer};
use serde_json::json;

struct Args {
    bzls: Option<PathBuf>,
    requests: usize,
    dir: PathBuf,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut out = Args {
        bzls: None,
        requests: 200,
        dir: PathBuf::new(),
    };
    let mut dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bzls" => out.bzls = Some(args.next().ok_or("--bzls takes a path")?.into()),
            "--requests" => {
                out.requests = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--requests takes a number")?
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            d => dir = Some(PathBuf::from(d)),
        }
    }
    out.dir = dir.ok_or("missing WORKSPACE_DIR")?;
    Ok(out)
}

/// Every `BUILD.bazel` under `dir`.
fn build_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            build_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "BUILD.bazel") {
            out.push(path);
        }
    }
}

/// `(line, character)` positions inside the label strings of `deps`.
fn label_positions(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (line, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if (t.starts_with("\"//") || t.starts_with("\":")) && t.ends_with("\",") {
            let col = l.len() - t.len() + 3;
            out.push((line, col));
        }
    }
    out
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench-workspace: {message}\nusage: bench-workspace [--bzls PATH] [--requests N] WORKSPACE_DIR");
            return ExitCode::from(2);
        }
    };
    if let Some(bin) = &args.bzls {
        std::env::set_var("BZLS_BIN", bin);
    }
    let dir = match args.dir.canonicalize() {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("bench-workspace: {}: {err}", args.dir.display());
            return ExitCode::from(2);
        }
    };
    let mut builds = Vec::new();
    build_files(&dir, &mut builds);
    builds.sort();
    println!(
        "workspace: {} ({} BUILD.bazel files)",
        dir.display(),
        builds.len()
    );

    let mut server = TestServer::spawn_with_env(&[("BZLS_LOG", "info")]);
    let pid = server.pid();
    let response = server.request(
        "initialize",
        json!({"processId": null, "rootUri": uri(&dir), "capabilities": {"window": {"workDoneProgress": true}}}),
    );
    assert!(response.get("result").is_some(), "{response}");
    let start = Instant::now();
    server.notify("initialized", json!({}));
    let create = server.take("progress create", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    server.send(&json!({"jsonrpc": "2.0", "id": create["id"], "result": null}));
    server.take_within(Duration::from_secs(600), "indexing end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let cold = start.elapsed();
    let rss = peak_rss_kb(pid);
    println!(
        "cold index (walk + every BUILD file read): {:.2} s; peak RSS {} MB",
        cold.as_secs_f64(),
        rss.map_or("?".to_string(), |kb| format!("{:.0}", kb as f64 / 1024.0))
    );

    let mut rng = Rng::new(7);
    let (mut def, mut refs, mut comp) = (Vec::new(), Vec::new(), Vec::new());
    let mut opened = 0;
    while def.len() < args.requests && opened < 10 * args.requests {
        opened += 1;
        let path = &builds[rng.below(builds.len())];
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let positions = label_positions(&text);
        if positions.is_empty() {
            continue;
        }
        let u = uri(path);
        server.open(&u, "starlark", 1, &text);
        let (line, character) = positions[rng.below(positions.len())];
        let pos = json!({"line": line, "character": character});
        let t = Instant::now();
        let r = server.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": u}, "position": pos}),
        );
        def.push(t.elapsed());
        assert!(r.get("result").is_some(), "{r}");
        let t = Instant::now();
        server.request(
            "textDocument/references",
            json!({"textDocument": {"uri": u}, "position": pos, "context": {"includeDeclaration": true}}),
        );
        refs.push(t.elapsed());
        // Completion right after the `//` or `:` of the label.
        let t = Instant::now();
        server.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}}),
        );
        comp.push(t.elapsed());
        server.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
        server.clear_backlog();
    }
    report("definition", def);
    report("references", refs);
    report("completion", comp);

    // Edits: retype one label in a large BUILD file, wait for the new
    // version's diagnostics.
    let mut edits = Vec::new();
    if let Some(path) = builds
        .iter()
        .rev()
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| !label_positions(&t).is_empty()))
    {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (line, character) = label_positions(&text)[0];
        let u = uri(path);
        server.open(&u, "starlark", 1, &text);
        server.diagnostics(&u, 1);
        for version in 2..52 {
            let letter = if version % 2 == 0 { "x" } else { "" };
            let range = json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character + if version % 2 == 0 { 0 } else { 1 }}});
            let t = Instant::now();
            server.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [{"range": range, "text": letter}]}),
            );
            server.diagnostics(&u, version);
            edits.push(t.elapsed());
        }
    }
    report("didChange → diagnostics", edits);
    for line in server.stderr().lines() {
        if line.contains("workspace walked") || line.contains("workspace indexed") {
            println!("server log: {}", line.trim());
        }
    }
    let rss = peak_rss_kb(pid);
    println!(
        "peak RSS at the end: {} MB",
        rss.map_or("?".to_string(), |kb| format!("{:.0}", kb as f64 / 1024.0))
    );
    server.shutdown();
    ExitCode::SUCCESS
}
