//! The server and the CLI agree: after any sequence of edits to an open
//! BUILD file that uses the workspace's macros, the diagnostics the server
//! publishes once typing has paused equal what `bzls check` reports on the
//! same text (select previews aside: they depend on the active
//! configuration, which the CLI does not have).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bzls_e2e::{bzls_bin, uri, TempDir, TestServer};
use serde_json::{json, Value};

const DEFS: &str = r#"
def lib_and_test(name, srcs = [], deps = []):
    """A library and its test."""
    native.cc_library(
        name = name,
        srcs = srcs,
        deps = deps,
        copts = select({
            "//tools:opt": ["-O2"],
            "//conditions:default": [],
        }),
    )
    native.cc_test(name = name + "_test", deps = [":" + name])
"#;

const APP: &str = r#"load("//tools:defs.bzl", "lib_and_test")

lib_and_test(
    name = "core",
    srcs = ["a.cc"],
    deps = [
        "//dep:base",
        "//dep:util",
    ],
)

cc_binary(
    name = "app",
    srcs = ["a.cc"],
    deps = [
        ":core",
        ":core_test",
        "//dep:missing",
    ],
)
"#;

fn fixture() -> TempDir {
    let ws = TempDir::new("settled-vs-check");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        "tools/BUILD",
        "config_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\n",
    );
    ws.write("tools/defs.bzl", DEFS);
    ws.write(
        "dep/BUILD",
        "cc_library(name = \"base\")\ncc_library(name = \"util\")\n",
    );
    ws.write("app/a.cc", "");
    ws.write("app/BUILD", APP);
    ws
}

/// `(code, range, message)` of each diagnostic, select previews left out.
fn comparable(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter(|d| {
            !d["code"]
                .as_str()
                .is_some_and(|code| code.starts_with("select-"))
        })
        .map(|d| format!("{} {} {}", d["code"], d["range"], d["message"]))
        .collect()
}

fn check(root: &Path, text: &str) -> BTreeSet<String> {
    std::fs::write(root.join("app/BUILD"), text).expect("write");
    let out = Command::new(bzls_bin())
        .args(["check", "--format", "json", "app/BUILD"])
        .current_dir(root)
        .output()
        .expect("run bzls check");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json output");
    comparable(&list)
}

/// The last diagnostics published for `version`, once none has come for a
/// while (typing paused, the background passes ran); `seen` is the last one
/// taken already, if any.
fn settled(
    server: &mut TestServer,
    u: &str,
    version: i64,
    seen: Option<Vec<Value>>,
) -> BTreeSet<String> {
    let mut last = match seen {
        Some(list) => list,
        None => server.diagnostics(u, version),
    };
    while let Some(newer) = server.arrives_within(Duration::from_millis(600), |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(u)
            && m["params"]["version"] == json!(version)
    }) {
        last = newer["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    }
    comparable(&last)
}

/// `(line, col, characters deleted there, text then typed)`.
type Edit<'a> = (u32, u32, u32, &'a str);

/// Applies `(line, col, delete, insert)` edits one keystroke at a time
/// (inserts character by character), mirroring them on `text`.
fn type_edits(
    server: &mut TestServer,
    u: &str,
    text: &mut String,
    version: &mut i64,
    edits: &[Edit],
) {
    for &(line, col, delete, insert) in edits {
        let at = |text: &str, line: u32, col: u32| {
            let start = text
                .split_inclusive('\n')
                .take(line as usize)
                .map(str::len)
                .sum::<usize>();
            start + col as usize
        };
        if delete > 0 {
            *version += 1;
            server.change(u, *version, (line, col), (line, col + delete), "");
            let from = at(text, line, col);
            text.replace_range(from..from + delete as usize, "");
        }
        let (mut line, mut col) = (line, col);
        for ch in insert.chars() {
            *version += 1;
            server.change(u, *version, (line, col), (line, col), &ch.to_string());
            let from = at(text, line, col);
            text.insert(from, ch);
            if ch == '\n' {
                (line, col) = (line + 1, 0);
            } else {
                col += 1;
            }
        }
    }
}

#[test]
fn settled_server_diagnostics_equal_bzls_check() {
    let ws = fixture();
    let mut server = TestServer::spawn();
    server.initialize_workspace(Some(ws.path()), json!({}), Value::Null);
    let path = ws.path().join("app/BUILD");
    let u = uri(&path);
    server.open(&u, "starlark", 1, APP);
    let mut text = APP.to_string();
    let mut version = 1;
    // The index is built in the background: wait for the missing label.
    let first = server.diagnostics_where(&u, Some(1), |d| {
        d.iter().any(|x| x["code"] == "unresolved-target")
    });
    // What is left arrived before it.
    server.clear_backlog();
    assert_eq!(
        settled(&mut server, &u, 1, Some(first)),
        check(ws.path(), &text)
    );

    // What each sequence is about, what one of the diagnostics after it
    // says (so that the comparison is not between two empty sets), and the
    // edits.
    let sequences: Vec<(&str, &str, Vec<Edit>)> = vec![
        // A typo typed inside a `deps` label of the macro call.
        (
            "typo inside a macro's deps label",
            "'//dep:bsae'",
            vec![(6, 15, 4, "bsae")],
        ),
        // ... and fixed again.
        ("typo fixed", "'//dep:missing'", vec![(6, 15, 4, "base")]),
        // The macro's name misspelt: the symbol is not loaded.
        (
            "macro name misspelt",
            "'//dep:missing'",
            vec![(2, 8, 4, "tset")],
        ),
        (
            "macro name fixed",
            "'//dep:missing'",
            vec![(2, 8, 4, "test")],
        ),
        // A new target, and a label to it.
        (
            "target added",
            "'//dep:missing'",
            vec![
                (20, 0, 0, "cc_library(name = \"extra\")\n"),
                (16, 8, 0, "\":extra\",\n        "),
            ],
        ),
        // The target the binary depends on renamed away.
        (
            "target renamed",
            "'//app:core_test'",
            vec![(3, 12, 4, "kernel")],
        ),
        // Syntax broken (a closing bracket removed), then repaired.
        ("syntax broken", "syntax", vec![(9, 0, 1, "")]),
        ("syntax repaired", "'//app:core'", vec![(9, 0, 0, ")")]),
        // A string left open in the macro call: error recovery may swallow
        // what follows, so the package's own targets are not judged, but
        // labels to other packages in calls without an error still are.
        ("string left open", "'//dep:missing'", vec![(3, 18, 1, "")]),
        ("string closed", "'//app:core'", vec![(3, 18, 0, "\"")]),
    ];
    for (what, expected, edits) in sequences {
        type_edits(&mut server, &u, &mut text, &mut version, &edits);
        let from_server = settled(&mut server, &u, version, None);
        let from_check = check(ws.path(), &text);
        assert!(
            from_check.iter().any(|d| d.contains(expected)),
            "after {what}, expected a diagnostic with {expected}: {from_check:#?}"
        );
        assert_eq!(
            from_server, from_check,
            "after {what}, the server and `bzls check` disagree on:\n{text}"
        );
    }
    server.shutdown();
}
