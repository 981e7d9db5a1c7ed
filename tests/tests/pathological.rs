//! A workspace holding, at once, every kind of file that has hurt
//! language servers: the server must index it, keep answering while it
//! does, say what it could not analyse, and exit cleanly.

use std::time::{Duration, Instant};

use bzls_e2e::{uri, TempDir, TestServer, MEMORY_BOMB_MACRO};
use serde_json::json;

/// Packages whose labels `ok/BUILD` uses; every one of them must resolve.
const RESOLVING: &[&str] = &[
    "//deep:t",
    "//latin1:l",
    "//self:s",
    "//cycle:c",
    "//recurse:r",
    "//biglist:b",
    "//globall:all",
    "//bomb:x",
];

fn pathological_workspace() -> TempDir {
    let ws = TempDir::new("pathological");
    ws.write("MODULE.bazel", "module(name = \"patho\")\n");
    // An rc file that imports itself.
    ws.write(
        ".bazelrc",
        "import %workspace%/.bazelrc\nbuild:x --copt=-O2\n",
    );
    // 10,000 nested brackets.
    ws.write(
        "deep/BUILD",
        format!(
            "x = {}{}\ncc_library(name = \"t\")\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    // Over 10 MB.
    ws.write(
        "big/BUILD",
        format!(
            "cc_library(name = \"big\")\n{}",
            "# filler line of a big BUILD file\n".repeat(330_000)
        ),
    );
    // Binary.
    let binary: Vec<u8> = (0..=255u8).cycle().take(25_600).collect();
    ws.write("binary/BUILD", binary);
    // A Latin-1 .bzl, loaded.
    ws.write(
        "latin1/defs.bzl",
        b"def m(name):\n    \"\"\"caf\xe9\"\"\"\n    native.cc_library(name = name)\n".as_slice(),
    );
    ws.write(
        "latin1/BUILD",
        "load(\":defs.bzl\", \"m\")\nm(name = \"l\")\n",
    );
    // A symlink loop.
    std::os::unix::fs::symlink("..", ws.path().join("deep/loop")).expect("symlink");
    // A BUILD file that loads itself.
    ws.write(
        "self/BUILD",
        "load(\"//self:BUILD\", \"x\")\ncc_library(name = \"s\")\n",
    );
    // Two .bzl files that load each other.
    ws.write(
        "cycle/a.bzl",
        "load(\":b.bzl\", \"b\")\ndef a(name):\n    b(name)\n",
    );
    ws.write(
        "cycle/b.bzl",
        "load(\":a.bzl\", \"a\")\ndef b(name):\n    a(name)\n",
    );
    ws.write("cycle/BUILD", "load(\":a.bzl\", \"a\")\na(name = \"c\")\n");
    // A macro that recurses forever.
    ws.write("recurse/defs.bzl", "def m(name):\n    m(name)\n");
    ws.write(
        "recurse/BUILD",
        "load(\":defs.bzl\", \"m\")\nm(name = \"r\")\n",
    );
    // A macro that builds a 10^7-element list.
    ws.write(
        "biglist/defs.bzl",
        "def m(name):\n    x = list(range(10000000))\n    native.cc_library(name = name, tags = [str(len(x))])\n",
    );
    ws.write(
        "biglist/BUILD",
        "load(\":defs.bzl\", \"m\")\nm(name = \"b\")\n",
    );
    // A macro that asks for 10^12 bytes at once.
    ws.write("bomb/defs.bzl", MEMORY_BOMB_MACRO);
    ws.write(
        "bomb/BUILD",
        "load(\":defs.bzl\", \"m\")\nm(name = \"x\")\n",
    );
    // glob(["**"]) over 100,000 files.
    ws.write(
        "globall/BUILD",
        "filegroup(name = \"all\", srcs = glob([\"**\"]))\n",
    );
    for d in 0..100 {
        let dir = ws.path().join(format!("globall/d{d:03}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..1_000 {
            std::fs::File::create(dir.join(format!("f{f:04}.txt"))).expect("touch");
        }
    }
    // A directory the server cannot read (unless it runs as root).
    ws.write("locked/sub/BUILD", "cc_library(name = \"u\")\n");
    let mut deps: Vec<String> = RESOLVING.iter().map(|l| format!("\"{l}\"")).collect();
    deps.push("\"//globall:nope\"".to_owned());
    ws.write(
        "ok/BUILD",
        format!(
            "cc_library(\n    name = \"ok\",\n    deps = [\n        {},\n    ],\n)\n",
            deps.join(",\n        ")
        ),
    );
    ws
}

fn lock(dir: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_pathological_workspace_is_indexed_and_served() {
    let ws = pathological_workspace();
    let locked = ws.path().join("locked");
    lock(&locked, 0o000);
    let locked_for_us = std::fs::read_dir(&locked).is_err();
    let normal_text = "cc_library(name = \"a\")\n\ncc_library(name = \"b\", deps = [\":a\"])\n";
    let normal = ws.write("normal/BUILD", normal_text);

    let mut server = TestServer::spawn();
    server.initialize_with_progress(ws.path());

    // Definition on a normal file, while the workspace is indexed.
    let normal_uri = uri(&normal);
    server.open(&normal_uri, "starlark", 1, normal_text);
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let def = server.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": normal_uri}, "position": {"line": 2, "character": 35}}),
        );
        times.push(started.elapsed());
        assert_eq!(def["result"][0]["range"]["start"]["line"], 0, "{def}");
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "definition while indexing: median {median:?}, max {:?}",
        times[times.len() - 1]
    );
    assert!(
        median < Duration::from_millis(10),
        "definition while indexing: {times:?}"
    );

    let end = server.take("progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let log = server.take("the log of what could not be analysed", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|s| s.contains("could not be fully analysed"))
    });
    let log = log["params"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(log.contains("locked"), locked_for_us, "{log}");
    for (path, why) in [
        ("binary/BUILD", "not valid UTF-8"),
        ("big/BUILD", "larger than 10 MB"),
        ("deep/BUILD", "levels deep"),
        ("latin1/defs.bzl", "not valid UTF-8"),
        ("bomb/BUILD", "more memory than"),
    ] {
        assert!(
            log.lines().any(|l| l.contains(path) && l.contains(why)),
            "{path}: {why}\n{log}"
        );
    }
    assert!(
        end["params"]["value"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be analysed")),
        "{end}"
    );

    // Every label into those packages resolves; the one typo is caught.
    let ok = ws.path().join("ok/BUILD");
    let ok_text = std::fs::read_to_string(&ok).expect("ok/BUILD");
    server.open(&uri(&ok), "starlark", 1, &ok_text);
    let diagnostics = server.diagnostics_where(&uri(&ok), Some(1), |d| !d.is_empty());
    let messages: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 1, "{diagnostics:#?}");
    assert!(messages[0].contains("//globall:nope"), "{messages:?}");

    // The rc file that imports itself says so.
    let rc = ws.path().join(".bazelrc");
    let rc_text = std::fs::read_to_string(&rc).expect(".bazelrc");
    server.open(&uri(&rc), "bazelrc", 1, &rc_text);
    let rc_diagnostics = server.diagnostics_where(&uri(&rc), Some(1), |d| !d.is_empty());
    assert!(
        rc_diagnostics
            .iter()
            .any(|d| d["code"] == "rc-import-cycle"),
        "{rc_diagnostics:#?}"
    );

    // The BUILD file whose macro exhausts memory says so.
    let bomb = ws.path().join("bomb/BUILD");
    let bomb_text = std::fs::read_to_string(&bomb).expect("bomb/BUILD");
    server.open(&uri(&bomb), "starlark", 1, &bomb_text);
    let bomb_diagnostics = server.diagnostics_where(&uri(&bomb), Some(1), |d| !d.is_empty());
    assert!(
        bomb_diagnostics
            .iter()
            .any(|d| d["code"] == "file-too-complex"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("more memory than"))),
        "{bomb_diagnostics:#?}"
    );

    // Opening the files themselves is fine too.
    for path in [
        "deep/BUILD",
        "self/BUILD",
        "cycle/a.bzl",
        "recurse/defs.bzl",
    ] {
        let file = ws.path().join(path);
        let text = std::fs::read_to_string(&file).expect("readable");
        server.open(&uri(&file), "starlark", 1, &text);
        server.diagnostics(&uri(&file), 1);
    }
    let status = server.shutdown();
    lock(&locked, 0o755);
    assert!(status.success(), "{status}");
}
