//! `.bazelrc` support in the server, over stdio, as an editor drives it.
//!
//! Every test runs in a scratch workspace whose `.bazelversion` is 7.1.0 (a
//! Bazel version with an embedded flag database, so unknown flags are
//! errors), with `HOME` and `XDG_CACHE_HOME` pointing at scratch directories
//! so that the machine's own `~/.bazelrc` and flag caches never leak in.

use std::path::Path;

use bzls_e2e::{uri, TempDir, TestServer};
use serde_json::{json, Value};

/// The workspace rc file most tests use. Line numbers matter: tests point
/// at them.
const RC: &str = "\
# Project settings
common --announce_rc
build --keep_going
build:cuda --define=a=1
build:cuda --config=gpu
test:cuda --test_tag_filters=gpu
import %workspace%/tools/ci.bazelrc
build:gpu --copt=-DGPU
";

/// Imported by [`RC`].
const CI: &str = "\
build:ci --config=cuda
test:ci --config cuda
";

/// A scratch workspace, home and cache directory.
struct Fixture {
    ws: TempDir,
    home: TempDir,
    cache: TempDir,
}

impl Fixture {
    /// A Bazel 7.1.0 workspace holding `files`.
    fn new(name: &str, files: &[(&str, &str)]) -> Fixture {
        let ws = TempDir::new(&format!("rc-lsp-{name}"));
        ws.write("MODULE.bazel", "module(name = \"ws\")\n");
        ws.write(".bazelversion", "7.1.0\n");
        for (path, text) in files {
            ws.write(path, text);
        }
        Fixture {
            ws,
            home: TempDir::new(&format!("rc-lsp-{name}-home")),
            cache: TempDir::new(&format!("rc-lsp-{name}-cache")),
        }
    }

    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.ws.path().join(rel)
    }

    fn uri(&self, rel: &str) -> String {
        uri(&self.path(rel))
    }

    /// Starts `bzls serve` in this fixture and initializes it with the
    /// workspace as root.
    fn start(&self, capabilities: Value, options: Value) -> TestServer {
        let mut server = self.spawn();
        let mut params = json!({
            "processId": null,
            "rootUri": uri(self.ws.path()),
            "capabilities": capabilities,
        });
        if !options.is_null() {
            params["initializationOptions"] = options;
        }
        let response = server.request("initialize", params);
        assert!(
            response.get("result").is_some(),
            "initialize failed: {response}"
        );
        server.notify("initialized", json!({}));
        server
    }

    fn spawn(&self) -> TestServer {
        TestServer::spawn_with_env(&[
            ("HOME", path_str(self.home.path())),
            ("XDG_CACHE_HOME", path_str(self.cache.path())),
            // Bazelisk's override would beat `.bazelversion`; empty is unset.
            ("USE_BAZEL_VERSION", ""),
        ])
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// A server started with default capabilities and settings, with `rel`
/// open as an rc document holding `text`; its first diagnostics are taken.
fn open_rc(fx: &Fixture, rel: &str, text: &str) -> (TestServer, String, Vec<Value>) {
    let mut server = fx.start(json!({}), Value::Null);
    let u = fx.uri(rel);
    server.open(&u, "bazelrc", 1, text);
    let diagnostics = server.diagnostics(&u, 1);
    (server, u, diagnostics)
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

fn at(u: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}})
}

/// The `result` of a response; panics with the response on an error.
fn result(response: Value) -> Value {
    assert!(
        response.get("error").is_none(),
        "expected a result, got {response}"
    );
    response.get("result").cloned().unwrap_or(Value::Null)
}

/// `(code, severity, range)` of each diagnostic.
fn summary(diagnostics: &[Value]) -> Vec<(String, i64, Value)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("?").to_owned(),
                d["severity"].as_i64().unwrap_or(0),
                d["range"].clone(),
            )
        })
        .collect()
}

/// Sorts `(uri, range)` pairs by file, then position.
fn sort_locations(list: &mut [(String, Value)]) {
    list.sort_by_key(|(u, r)| (u.clone(), start_of(r)));
}

fn start_of(r: &Value) -> (u64, u64) {
    (
        r["start"]["line"].as_u64().unwrap_or(0),
        r["start"]["character"].as_u64().unwrap_or(0),
    )
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("?"))
        .collect()
}

/// The completion items of a response (a list or a bare array).
fn items(response: Value) -> Vec<Value> {
    let result = result(response);
    let list = if result.is_array() {
        result
    } else {
        result["items"].clone()
    };
    list.as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no completion items in {list}"))
}

fn labels(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap_or("?"))
        .collect()
}

fn item<'a>(items: &'a [Value], label: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no completion item {label:?} in {:?}", labels(items)))
}

/// `(uri, range)` of each location of a response.
fn locations(result: &Value) -> Vec<(String, Value)> {
    result
        .as_array()
        .unwrap_or_else(|| panic!("expected a list of locations, got {result}"))
        .iter()
        .map(|l| {
            (
                l["uri"].as_str().unwrap_or("?").to_owned(),
                l["range"].clone(),
            )
        })
        .collect()
}

const ERROR: i64 = 1;
const WARNING: i64 = 2;
const HINT: i64 = 4;

#[test]
fn diagnostics_have_codes_severities_and_ranges() {
    let text = "\
bulid --keep_going
build --no_such_flag
build --universe_scope=//...
build --compilation_mode=fast
build --config=nope
import %workspace%/missing.rc
startup:foo --host_jvm_args=x
build:c1 --config=c2
build:c2 --config=c1
build:c3 --config c1
try-import %workspace%/.bazelrc
import
build --legacy_whole_archive
run --jobs
";
    let fx = Fixture::new("diag", &[(".bazelrc", text)]);
    let (_server, _u, d) = open_rc(&fx, ".bazelrc", text);
    let s = |code: &str, severity, r| (code.to_owned(), severity, r);
    assert_eq!(
        summary(&d),
        [
            s("rc-unknown-command", ERROR, range(0, 0, 0, 5)),
            s("rc-unknown-flag", ERROR, range(1, 6, 1, 20)),
            s("rc-flag-command", ERROR, range(2, 6, 2, 28)),
            s("rc-invalid-value", ERROR, range(3, 25, 3, 29)),
            s("rc-undefined-config", ERROR, range(4, 15, 4, 19)),
            s("rc-missing-import", ERROR, range(5, 7, 5, 29)),
            s("rc-startup-config", WARNING, range(6, 0, 6, 11)),
            s("rc-config-cycle", ERROR, range(7, 18, 7, 20)),
            s("rc-config-cycle", ERROR, range(8, 18, 8, 20)),
            s("rc-config-syntax", ERROR, range(9, 9, 9, 17)),
            s("rc-import-cycle", ERROR, range(10, 11, 10, 31)),
            s("rc-invalid-import", ERROR, range(11, 0, 11, 6)),
            s("rc-deprecated-flag", WARNING, range(12, 6, 12, 28)),
            s("rc-missing-value", ERROR, range(13, 4, 13, 10)),
        ],
        "full list: {d:#?}"
    );
    let message = |i: usize| d[i]["message"].as_str().unwrap_or("").to_owned();
    assert!(
        message(0).contains("did you mean `build`?"),
        "{}",
        message(0)
    );
    assert!(
        message(2).contains("does not apply to `build`") && message(2).contains("`query`"),
        "{}",
        message(2)
    );
    assert_eq!(
        message(3),
        "`fast` is not a valid value for `--compilation_mode`; expected one of `fastbuild`, `dbg`, `opt`"
    );
    assert_eq!(
        message(4),
        "Config value 'nope' is not defined in any .rc file"
    );
    assert_eq!(message(7), "Config expansion has a cycle: c1 -> c2 -> c1");
    assert!(message(5).contains("missing.rc"), "{}", message(5));
    assert!(d.iter().all(|d| d["source"] == "bzls"), "{d:#?}");
}

#[test]
fn unknown_flags_are_hints_when_the_flag_database_is_not_exact() {
    let text = "build --keep_goign\nbulid -k\nbuild --config=nope\n";
    let fx = Fixture::new("inexact", &[(".bazelrc", text)]);
    // No embedded or cached database for 7.4.1: the closest one answers.
    fx.ws.write(".bazelversion", "7.4.1\n");
    let (_server, _u, d) = open_rc(&fx, ".bazelrc", text);
    let s = |code: &str, severity, r| (code.to_owned(), severity, r);
    assert_eq!(
        summary(&d),
        [
            s("rc-unknown-flag", HINT, range(0, 6, 0, 18)),
            s("rc-unknown-command", HINT, range(1, 0, 1, 5)),
            // Not a matter of flag databases: still an error.
            s("rc-undefined-config", ERROR, range(2, 15, 2, 19)),
        ],
        "{d:#?}"
    );
    assert_eq!(
        d[0]["message"],
        "Unknown flag `--keep_goign` (Bazel 7.1.0 (closest to 7.4.1)); did you mean `--keep_going`?"
    );
}

#[test]
fn nested_workspaces_have_their_own_chain() {
    // `examples/app` is a workspace of its own: the outer `.bazelrc` is not
    // in its chain. A missing `try-import` is fine.
    let inner = "try-import %workspace%/user.bazelrc\nbuild --config=cuda --config=local\n";
    let fx = Fixture::new(
        "nested",
        &[
            (".bazelrc", RC),
            ("tools/ci.bazelrc", CI),
            ("examples/app/MODULE.bazel", ""),
            ("examples/app/.bazelversion", "7.1.0\n"),
            ("examples/app/.bazelrc", inner),
            ("examples/app/local.bazelrc", "build:local --keep_going\n"),
        ],
    );
    let (mut server, u, d) = open_rc(&fx, "examples/app/.bazelrc", inner);
    assert_eq!(
        summary(&d),
        [
            ("rc-undefined-config".to_owned(), ERROR, range(1, 15, 1, 19)),
            ("rc-undefined-config".to_owned(), ERROR, range(1, 29, 1, 34)),
        ]
    );
    // Once `user.bazelrc` exists and is open, it joins the chain.
    let user = fx.uri("examples/app/user.bazelrc");
    server.open(&user, "bazelrc", 1, "import %workspace%/local.bazelrc\n");
    let d = server.diagnostics_where(&u, Some(1), |d| d.len() == 1);
    assert_eq!(
        summary(&d),
        [("rc-undefined-config".to_owned(), ERROR, range(1, 15, 1, 19))]
    );
}

#[test]
fn deprecation_warnings_are_real() {
    // `--force_python` is a deprecated no-op. `--watchfs` is not deprecated
    // as a build flag: only the startup option of the same name is, and
    // Bazel's dump keys both by name.
    let text = "build --force_python=PY3 --watchfs\n";
    let fx = Fixture::new("deprecated", &[(".bazelrc", text)]);
    let (_server, _u, d) = open_rc(&fx, ".bazelrc", text);
    assert_eq!(codes(&d), ["rc-deprecated-flag"]);
    let message = d[0]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("`--force_python` is deprecated"),
        "{message}"
    );
    assert!(!message.contains("%{product}"), "{message}");
}

#[test]
fn editing_one_open_rc_file_updates_the_others() {
    let main = "import %workspace%/tools/ci.bazelrc\nbuild --config=release\n";
    let ci_on_disk = "build --keep_going\n";
    let fx = Fixture::new(
        "live",
        &[(".bazelrc", main), ("tools/ci.bazelrc", ci_on_disk)],
    );
    let mut server = fx.start(json!({}), Value::Null);
    let rc = fx.uri(".bazelrc");
    let ci = fx.uri("tools/ci.bazelrc");
    server.open(&rc, "bazelrc", 1, main);
    let d = server.diagnostics_where(&rc, Some(1), |d| !d.is_empty());
    assert_eq!(
        summary(&d),
        [("rc-undefined-config".to_owned(), ERROR, range(1, 15, 1, 22))]
    );
    server.open(&ci, "bazelrc", 1, ci_on_disk);
    assert_eq!(server.diagnostics(&ci, 1), Vec::<Value>::new());

    // Defining the config in the open imported file (not saved) fixes the
    // importing file.
    server.change(&ci, 2, (1, 0), (1, 0), "build:release --stamp\n");
    let d = server.diagnostics_where(&rc, Some(1), <[Value]>::is_empty);
    assert_eq!(d, Vec::<Value>::new());
    assert_eq!(server.diagnostics(&ci, 2), Vec::<Value>::new());
    server.clear_backlog();

    // A typo in the definition breaks it again, with a suggestion.
    server.change(&ci, 3, (1, 6), (1, 13), "relaese");
    let d = server.diagnostics_where(&rc, Some(1), |d| !d.is_empty());
    assert_eq!(codes(&d), ["rc-undefined-config"]);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("did you mean `relaese`?"),
        "{d:#?}"
    );
    server.clear_backlog();

    // Closing the buffer: the file on disk counts again, and it has no
    // such config either. Fix it in the buffer first, then close.
    server.change(&ci, 4, (1, 6), (1, 13), "release");
    server.diagnostics_where(&rc, Some(1), <[Value]>::is_empty);
    server.clear_backlog();
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": ci}}),
    );
    let d = server.diagnostics_where(&rc, Some(1), |d| !d.is_empty());
    assert_eq!(codes(&d), ["rc-undefined-config"]);
}

#[test]
fn completes_commands_configs_flags_and_values() {
    let text = format!(
        "{RC}bui\nbuild:c\nbuild --config=g\nbuild --keep\nbuild --compilation_mode=\nbuild --keep_going=f\nquery --univ\nbuild --univ\n\n"
    );
    let fx = Fixture::new("complete", &[(".bazelrc", RC), ("tools/ci.bazelrc", CI)]);
    let (mut server, u, _) = open_rc(&fx, ".bazelrc", &text);
    let mut complete = |line: u32, character: u32| {
        items(server.request("textDocument/completion", at(&u, line, character)))
    };

    // A command at the start of a line.
    let got = complete(8, 3);
    let build = item(&got, "build");
    assert_eq!(build["textEdit"]["range"], range(8, 0, 8, 3));
    assert_eq!(build["textEdit"]["newText"], "build");
    for label in [
        "common",
        "always",
        "startup",
        "import",
        "try-import",
        "test",
    ] {
        item(&got, label);
    }
    // On an empty line, nothing is replaced.
    let got = complete(16, 0);
    assert_eq!(item(&got, "test")["textEdit"]["range"], range(16, 0, 16, 0));

    // Config names after `build:`, from every file of the chain. (The
    // half-typed `build:c` section itself may be offered too.)
    let got = complete(9, 7);
    for name in ["ci", "cuda", "gpu"] {
        item(&got, name);
    }
    assert!(
        got.iter().all(|i| i["kind"] == 9),
        "config items are modules: {got:#?}"
    );
    assert_eq!(
        item(&got, "cuda")["textEdit"],
        json!({"range": range(9, 6, 9, 7), "newText": "cuda"})
    );

    // Config names after `--config=`.
    let got = complete(10, 16);
    for name in ["ci", "cuda", "gpu"] {
        item(&got, name);
    }
    assert_eq!(
        item(&got, "gpu")["textEdit"],
        json!({"range": range(10, 15, 10, 16), "newText": "gpu"})
    );

    // Flags of the line's command, both forms of a boolean.
    let got = complete(11, 12);
    for label in ["--keep_going", "--nokeep_going"] {
        assert_eq!(
            item(&got, label)["textEdit"],
            json!({"range": range(11, 6, 11, 12), "newText": label})
        );
    }
    let query_flags = complete(14, 12);
    item(&query_flags, "--universe_scope");
    let build_flags = complete(15, 12);
    assert!(
        !labels(&build_flags).contains(&"--universe_scope"),
        "--universe_scope is a query flag, offered for build"
    );
    // The list is filtered by what was typed (letters in order), like the
    // editor would, and marked incomplete so the editor asks again.
    assert!(
        labels(&build_flags).iter().all(|l| {
            let mut rest = l.chars();
            "--univ".chars().all(|c| rest.any(|x| x == c))
        }),
        "{:?}",
        labels(&build_flags)
    );

    // Values of an enum flag, and of a boolean.
    let got = complete(12, 25);
    assert_eq!(labels(&got), ["fastbuild", "dbg", "opt"]);
    assert_eq!(
        item(&got, "opt")["textEdit"],
        json!({"range": range(12, 25, 12, 25), "newText": "opt"})
    );
    let got = complete(13, 20);
    for label in ["true", "false"] {
        assert_eq!(
            item(&got, label)["textEdit"]["range"],
            range(13, 19, 13, 20)
        );
    }
}

#[test]
fn hover_explains_configs_and_flags() {
    let fx = Fixture::new("hover", &[(".bazelrc", RC), ("tools/ci.bazelrc", CI)]);
    let (mut server, u, _) = open_rc(&fx, ".bazelrc", RC);
    let mut hover = |line: u32, character: u32| {
        let h = result(server.request("textDocument/hover", at(&u, line, character)));
        assert_eq!(h["contents"]["kind"], "markdown", "{h}");
        (
            h["contents"]["value"].as_str().unwrap_or("").to_owned(),
            h["range"].clone(),
        )
    };

    // The `cuda` of `build:cuda`.
    let (md, r) = hover(3, 7);
    assert_eq!(r, range(3, 6, 3, 10));
    assert_eq!(
        md,
        "**`--config=cuda`** for `bazel build` expands to:\n\n\
         - `--define=a=1` — .bazelrc:4\n\
         - `--config=gpu` — .bazelrc:5\n  \
         - `--copt=-DGPU` — .bazelrc:8 (via --config=gpu)\n\n\
         Defined in: `build:cuda` at .bazelrc:4, `build:cuda` at .bazelrc:5, `test:cuda` at .bazelrc:6"
    );

    // `test:cuda` expands for `bazel test`: build's sections, then test's.
    let (md, _) = hover(5, 6);
    assert!(
        md.starts_with("**`--config=cuda`** for `bazel test` expands to:"),
        "{md}"
    );
    assert!(
        md.contains("- `--test_tag_filters=gpu` — .bazelrc:6\n"),
        "{md}"
    );

    // The `gpu` of `--config=gpu`.
    let (md, r) = hover(4, 21);
    assert_eq!(r, range(4, 20, 4, 23));
    assert!(
        md.starts_with(
            "**`--config=gpu`** for `bazel build` expands to:\n\n- `--copt=-DGPU` — .bazelrc:8\n"
        ),
        "{md}"
    );
    assert!(
        md.ends_with("Defined in: `build:gpu` at .bazelrc:8"),
        "{md}"
    );

    // A flag.
    let (md, r) = hover(2, 10);
    assert_eq!(r, range(2, 6, 2, 18));
    assert!(md.starts_with("**`--keep_going`**: boolean"), "{md}");
    assert!(
        md.trim_end()
            .ends_with("_From the Bazel 7.1.0 flag database._"),
        "{md}"
    );

    // Nothing on a comment.
    let h = result(server.request("textDocument/hover", at(&u, 0, 3)));
    assert_eq!(h, Value::Null);
}

#[test]
fn definition_of_a_config_spans_the_chain() {
    let fx = Fixture::new("definition", &[(".bazelrc", RC), ("tools/ci.bazelrc", CI)]);
    let mut server = fx.start(json!({}), Value::Null);
    let rc = fx.uri(".bazelrc");
    let ci = fx.uri("tools/ci.bazelrc");
    server.open(&ci, "bazelrc", 1, CI);
    server.diagnostics(&ci, 1);
    let cuda_sections = vec![
        (rc.clone(), range(3, 6, 3, 10)),
        (rc.clone(), range(4, 6, 4, 10)),
        (rc.clone(), range(5, 5, 5, 9)),
    ];

    // `--config=cuda` in the imported file.
    let got = result(server.request("textDocument/definition", at(&ci, 0, 19)));
    assert_eq!(locations(&got), cuda_sections);
    // `--config cuda`, in two words.
    let got = result(server.request("textDocument/definition", at(&ci, 1, 18)));
    assert_eq!(locations(&got), cuda_sections);
    // The `ci` of `build:ci`.
    let got = result(server.request("textDocument/definition", at(&ci, 0, 7)));
    assert_eq!(
        locations(&got),
        [
            (ci.clone(), range(0, 6, 0, 8)),
            (ci.clone(), range(1, 5, 1, 7))
        ]
    );

    // From the workspace rc file: `--config=gpu`, and the import's path.
    server.open(&rc, "bazelrc", 1, RC);
    server.diagnostics(&rc, 1);
    let got = result(server.request("textDocument/definition", at(&rc, 4, 21)));
    assert_eq!(locations(&got), [(rc.clone(), range(7, 6, 7, 9))]);
    let got = result(server.request("textDocument/definition", at(&rc, 6, 20)));
    assert_eq!(locations(&got), [(ci.clone(), range(0, 0, 0, 0))]);

    // Not on a name: nothing.
    let got = result(server.request("textDocument/definition", at(&rc, 2, 10)));
    assert!(
        got.is_null() || got == json!([]),
        "definition on --keep_going: {got}"
    );
}

#[test]
fn references_find_every_use_of_a_config() {
    let fx = Fixture::new("references", &[(".bazelrc", RC), ("tools/ci.bazelrc", CI)]);
    let (mut server, rc, _) = open_rc(&fx, ".bazelrc", RC);
    let ci = fx.uri("tools/ci.bazelrc");
    let mut references = |line: u32, character: u32, include: bool| {
        let mut params = at(&rc, line, character);
        params["context"] = json!({"includeDeclaration": include});
        locations(&result(server.request("textDocument/references", params)))
    };
    let uses = [
        (ci.clone(), range(0, 18, 0, 22)),
        (ci.clone(), range(1, 17, 1, 21)),
    ];
    assert_eq!(references(3, 7, false), uses);
    let mut all = references(3, 7, true);
    sort_locations(&mut all);
    let mut expected = vec![
        (rc.clone(), range(3, 6, 3, 10)),
        (rc.clone(), range(4, 6, 4, 10)),
        (rc.clone(), range(5, 5, 5, 9)),
        uses[0].clone(),
        uses[1].clone(),
    ];
    sort_locations(&mut expected);
    assert_eq!(all, expected);
    // From a use: the same uses.
    assert_eq!(
        references(4, 21, false),
        [(rc.clone(), range(4, 20, 4, 23))]
    );
}

#[test]
fn rename_rewrites_a_config_across_files_and_refuses_bad_names() {
    let fx = Fixture::new("rename", &[(".bazelrc", RC), ("tools/ci.bazelrc", CI)]);
    let (mut server, rc, _) = open_rc(&fx, ".bazelrc", RC);
    let ci = fx.uri("tools/ci.bazelrc");

    let prepared = result(server.request("textDocument/prepareRename", at(&rc, 3, 7)));
    assert_eq!(
        prepared,
        json!({"range": range(3, 6, 3, 10), "placeholder": "cuda"})
    );
    let not_a_name = result(server.request("textDocument/prepareRename", at(&rc, 2, 10)));
    assert_eq!(not_a_name, Value::Null, "prepareRename on a flag");

    let mut rename = |new_name: &str| {
        let mut params = at(&rc, 3, 7);
        params["newName"] = json!(new_name);
        server.request("textDocument/rename", params)
    };
    let edit = result(rename("nvidia"));
    let changes = edit["changes"]
        .as_object()
        .unwrap_or_else(|| panic!("no `changes` in {edit}"));
    let mut files: Vec<&str> = changes.keys().map(String::as_str).collect();
    files.sort_unstable();
    let mut expected_files = vec![rc.as_str(), ci.as_str()];
    expected_files.sort_unstable();
    assert_eq!(files, expected_files);
    let edits = |u: &str| -> Vec<(Value, Value)> {
        let mut list: Vec<(Value, Value)> = changes[u]
            .as_array()
            .expect("edits")
            .iter()
            .map(|e| (e["range"].clone(), e["newText"].clone()))
            .collect();
        list.sort_by_key(|(r, _)| start_of(r));
        list
    };
    assert_eq!(
        edits(&rc),
        [
            (range(3, 6, 3, 10), json!("nvidia")),
            (range(4, 6, 4, 10), json!("nvidia")),
            (range(5, 5, 5, 9), json!("nvidia")),
        ]
    );
    assert_eq!(
        edits(&ci),
        [
            (range(0, 18, 0, 22), json!("nvidia")),
            (range(1, 17, 1, 21), json!("nvidia")),
        ]
    );

    for bad in ["a b", "x:y", "\"quoted\"", "it's", "a=b", "#c", ""] {
        let response = rename(bad);
        assert!(
            response.get("error").is_some(),
            "renaming to {bad:?} should fail: {response}"
        );
        assert!(
            response["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("cannot be a config name"),
            "{response}"
        );
    }
    let response = rename("gpu");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("A config named `gpu` already exists"),
        "renaming onto an existing config: {response}"
    );
}

#[test]
fn document_symbols_group_sections() {
    let text = "\
build --keep_going
build:cuda --define=a=1
test:cuda --test_tag_filters=gpu
import %workspace%/tools/ci.bazelrc
build --jobs=4 --verbose_failures
";
    let fx = Fixture::new("symbols", &[(".bazelrc", text), ("tools/ci.bazelrc", CI)]);
    let (mut server, u, _) = open_rc(&fx, ".bazelrc", text);
    let symbols = result(server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    ));
    fn tree(symbols: &Value) -> Vec<(String, Vec<String>)> {
        symbols
            .as_array()
            .expect("symbols")
            .iter()
            .map(|s| {
                let children = s["children"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .map(|c| c["name"].as_str().unwrap_or("?").to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                (s["name"].as_str().unwrap_or("?").to_owned(), children)
            })
            .collect()
    }
    let s = |name: &str, children: &[&str]| {
        (
            name.to_owned(),
            children.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        tree(&symbols),
        [
            s("build", &["build", "build"]),
            s("cuda", &["build:cuda", "test:cuda"]),
            s("%workspace%/tools/ci.bazelrc", &[]),
        ]
    );
    let cuda = &symbols[1];
    assert_eq!(cuda["range"], range(1, 0, 2, 32));
    assert_eq!(cuda["selectionRange"], range(1, 6, 1, 10));
    assert_eq!(cuda["children"][1]["range"], range(2, 0, 2, 32));
    let build = &symbols[0];
    assert_eq!(build["range"], range(0, 0, 4, 33));
    assert_eq!(build["children"][1]["detail"], "2 options");
    assert_eq!(symbols[2]["selectionRange"], range(3, 7, 3, 35));
}

/// A workspace whose `.bazelrc` uses a config that only `~/.bazelrc`
/// defines.
fn home_config_fixture(name: &str) -> Fixture {
    let fx = Fixture::new(name, &[(".bazelrc", "build --config=mine\n")]);
    fx.home.write(".bazelrc", "build:mine --jobs=2\n");
    fx
}

#[test]
fn home_rc_is_read_unless_turned_off_in_initialization_options() {
    let fx = home_config_fixture("init-options");
    let text = "build --config=mine\n";
    let (_server, _, d) = open_rc(&fx, ".bazelrc", text);
    assert_eq!(d, Vec::<Value>::new(), "~/.bazelrc defines `mine`");

    let mut server = fx.start(
        json!({}),
        json!({"bzls": {"rc": {"homeRc": false, "systemRc": false}}}),
    );
    let u = fx.uri(".bazelrc");
    server.open(&u, "bazelrc", 1, text);
    let d = server.diagnostics(&u, 1);
    assert_eq!(
        summary(&d),
        [("rc-undefined-config".to_owned(), ERROR, range(0, 15, 0, 19))]
    );
    // Completion agrees: no config from ~/.bazelrc.
    let got = items(server.request("textDocument/completion", at(&u, 0, 15)));
    assert!(!labels(&got).contains(&"mine"), "{:?}", labels(&got));
}

#[test]
fn did_change_configuration_toggles_home_rc() {
    let fx = home_config_fixture("configuration");
    let text = "build --config=mine\n";
    let (mut server, u, d) = open_rc(&fx, ".bazelrc", text);
    assert_eq!(d, Vec::<Value>::new());
    server.clear_backlog();

    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"rc": {"homeRc": false, "systemRc": false}}}}),
    );
    let d = server.diagnostics_where(&u, Some(1), |d| !d.is_empty());
    assert_eq!(codes(&d), ["rc-undefined-config"]);
    server.clear_backlog();

    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"bzls": {"rc": {"homeRc": true}}}}),
    );
    let d = server.diagnostics_where(&u, Some(1), <[Value]>::is_empty);
    assert_eq!(d, Vec::<Value>::new());
}

#[test]
fn watched_file_events_reread_the_disk() {
    let text = "import %workspace%/generated.bazelrc\nbuild --config=gen\n";
    let fx = Fixture::new("watched", &[(".bazelrc", text)]);
    let mut server = fx.start(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
    );
    // The server asks the client to watch rc files; answer as editors do.
    let request = server.take("client/registerCapability", |m| {
        m["method"] == "client/registerCapability"
    });
    server.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": null}));
    let registration = &request["params"]["registrations"][0];
    assert_eq!(
        registration["method"], "workspace/didChangeWatchedFiles",
        "{request}"
    );
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .expect("watchers")
        .iter()
        .filter_map(|w| w["globPattern"].as_str())
        .collect();
    for glob in [
        "**/.bazelrc",
        "**/*.bazelrc",
        "**/bazel.rc",
        "**/.bazelversion",
    ] {
        assert!(globs.contains(&glob), "{glob} not watched: {globs:?}");
    }

    let u = fx.uri(".bazelrc");
    server.open(&u, "bazelrc", 1, text);
    let d = server.diagnostics_where(&u, Some(1), |d| !d.is_empty());
    assert_eq!(
        codes(&d),
        ["rc-missing-import", "rc-undefined-config"],
        "{d:#?}"
    );
    assert_eq!(d[0]["range"], range(0, 7, 0, 36));
    server.clear_backlog();

    let generated = fx.ws.write("generated.bazelrc", "build:gen --stamp\n");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&generated), "type": 1}]}),
    );
    let d = server.diagnostics_where(&u, Some(1), <[Value]>::is_empty);
    assert_eq!(d, Vec::<Value>::new());
    server.clear_backlog();

    // Deleting it brings the errors back.
    std::fs::remove_file(&generated).expect("remove");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&generated), "type": 3}]}),
    );
    let d = server.diagnostics_where(&u, Some(1), |d| !d.is_empty());
    assert_eq!(codes(&d), ["rc-missing-import", "rc-undefined-config"]);
}

#[test]
fn garbage_rc_text_never_kills_the_server() {
    let huge_word = "x".repeat(100_000);
    let many_flags = "--keep_going ".repeat(5_000);
    let text = format!(
        "\u{0}\u{1}\u{7}\u{1b}[31m\u{fffd}\u{feff}build --define=\"unterminated\n\
         build:\nbuild: --keep_going\n:\n:cfg --x\n--\n--config=\nbuild --config=\n\
         build --config='half\nimport \"%workspace%/x\ntry-import\nimport a b c\n\
         build --define {huge_word}\nbuild {many_flags}\n\
         build \\\n\\\n\\\nbuild:🎉 --copt=🎉\r\nbuild --config=🎉\r\n\
         startup --host_jvm_args='\ncommon --config=\"\\\nbuild --keep_going \\\n\
         import %workspace%/junk.rc\n"
    );
    let fx = Fixture::new("garbage", &[]);
    // Imported from disk: not UTF-8, with a NUL.
    fx.ws.write(
        "junk.rc",
        [
            0xff, 0xfe, 0x00, b'b', b'u', b'i', b'l', b'd', b' ', 0xc3, b'\n',
        ],
    );
    let (mut server, u, _) = open_rc(&fx, ".bazelrc", &text);

    // Every line, at its start, inside, and far past its end; sent all at
    // once, as a busy editor would.
    let lines = text.lines().count() as u32;
    let methods = [
        "textDocument/hover",
        "textDocument/completion",
        "textDocument/definition",
        "textDocument/prepareRename",
        "textDocument/references",
    ];
    let mut pending = Vec::new();
    for line in 0..lines + 2 {
        // Two requests a line, rotating through the methods and columns.
        for k in 0..2 {
            let n = 2 * line as usize + k;
            let method = methods[n % methods.len()];
            let character = [0, 1, 3, 7, 15, 5000][n % 6];
            let mut params = at(&u, line, character);
            if method == "textDocument/references" {
                params["context"] = json!({"includeDeclaration": true});
            }
            let id = server.send_request(method, params);
            pending.push((id, format!("{method} at {line}:{character}")));
        }
    }
    for (id, what) in pending {
        let response = server.response(id);
        assert!(response.get("error").is_none(), "{what}: {response}");
    }
    result(server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": u}}),
    ));
    // The emoji config: a position inside its surrogate pair.
    let emoji_line = text
        .lines()
        .position(|l| l.starts_with("build:🎉"))
        .expect("emoji line") as u32;
    result(server.request("textDocument/hover", at(&u, emoji_line, 7)));

    // Edits keep working, and the server still answers afterwards.
    server.change(&u, 2, (0, 0), (3, 0), "\u{0}\"'\\");
    server.change(&u, 3, (0, 2), (1, 9999), "build --config=");
    server.diagnostics(&u, 3);
    items(server.request("textDocument/completion", at(&u, 0, 15)));
    server.change(&u, 4, (0, 0), (9999, 0), "build --keep_going\n");
    let d = server.diagnostics(&u, 4);
    assert_eq!(d, Vec::<Value>::new(), "after replacing everything");
    let h = result(server.request("textDocument/hover", at(&u, 0, 8)));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .starts_with("**`--keep_going`**"),
        "{h}"
    );
}

#[test]
fn positions_past_the_end_are_clamped() {
    let text = "build:gpu --copt=-DGPU\nbuild --config=gpu";
    let fx = Fixture::new("clamp", &[(".bazelrc", text)]);
    let (mut server, u, d) = open_rc(&fx, ".bazelrc", text);
    assert_eq!(d, Vec::<Value>::new());

    // Past the end of the last line: the end of `gpu`.
    let got = result(server.request("textDocument/definition", at(&u, 1, 999)));
    assert_eq!(locations(&got), [(u.clone(), range(0, 6, 0, 9))]);
    let h = result(server.request("textDocument/hover", at(&u, 1, 999)));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .starts_with("**`--config=gpu`**"),
        "{h}"
    );
    let got = items(server.request("textDocument/completion", at(&u, 1, 999)));
    item(&got, "gpu");

    // Past the last line: answers, not errors.
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
        "textDocument/prepareRename",
    ] {
        let response = server.request(method, at(&u, 999, 999));
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    let mut params = at(&u, 999, 0);
    params["context"] = json!({"includeDeclaration": true});
    result(server.request("textDocument/references", params));

    // An edit past the end appends.
    server.change(&u, 2, (50, 0), (60, 3), "\nbuild --config=nope\n");
    let d = server.diagnostics(&u, 2);
    assert_eq!(
        summary(&d),
        [("rc-undefined-config".to_owned(), ERROR, range(2, 15, 2, 19))]
    );
}

/// A `bazel` that prints its version and a hand-made flag dump with two
/// boolean flags, `only_flag` (build) and `other_flag` (test), as real Bazel prints
/// `help flags-as-proto`: base64 of a `FlagCollection`.
#[cfg(unix)]
fn fake_bazel(dir: &Path, version: &str) -> std::path::PathBuf {
    fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }
    let flag = |name: &str, command: &str| {
        let mut info = field(1, name.as_bytes());
        // has_negative_flag: a boolean, which takes no value word.
        info.extend([2 << 3, 1]);
        info.extend(field(3, b"A flag of the dumped Bazel."));
        info.extend(field(4, command.as_bytes()));
        field(1, &info)
    };
    let mut dump = flag("only_flag", "build");
    dump.extend(flag("other_flag", "test"));
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in dump.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let script = dir.join("bazel");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1 $2\" in\n  --version*) echo 'bazel {version}' ;;\n  'help flags-as-proto') echo '{b64}' ;;\n  'help build') echo 'Options that appear before the command:'; echo '  --[no]only_flag (a boolean; default: \"true\")'; echo '    A flag of the dumped Bazel.' ;;\n  *) exit 2 ;;\nesac\n"
        ),
    )
    .expect("write fake bazel");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

#[cfg(unix)]
#[test]
fn allowed_bazel_is_asked_for_its_flags_once() {
    // No .bazelversion: the version comes from the binary, and its dump is
    // then the exact database.
    let text = "build --only_flag --jbos=2 --jobs=2\n";
    let fx = Fixture::new("dump", &[(".bazelrc", text)]);
    std::fs::remove_file(fx.path(".bazelversion")).expect("rm .bazelversion");
    let bin = TempDir::new("rc-lsp-dump-bin");
    let bazel = fake_bazel(bin.path(), "6.6.6");
    let options = json!({"bzls": {"bazel": {"allowRun": true, "path": path_str(&bazel)}}});
    let mut server = fx.start(json!({}), options);
    let u = fx.uri(".bazelrc");
    server.open(&u, "bazelrc", 1, text);
    // Once the dump is in, `--only_flag` is known, the typo is an error
    // (the database is exact), and `--jobs`, which this Bazel lacks but
    // others have, a hint.
    let d = server.diagnostics_where(&u, Some(1), |d| {
        d.iter()
            .any(|x| x["message"].as_str().is_some_and(|m| m.contains("6.6.6")))
    });
    assert_eq!(codes(&d), ["rc-unknown-flag", "rc-unknown-flag"], "{d:?}");
    assert_eq!(d[0]["severity"], 1, "{d:?}");
    assert_eq!(d[1]["severity"], 4, "{d:?}");
    let hover = result(server.request("textDocument/hover", at(&u, 0, 9)));
    let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(markdown.contains("Bazel 6.6.6 flag database"), "{markdown}");
    // Defaults come from `help build --long`, dumped alongside.
    assert!(
        markdown.contains("Value: a boolean; default: `true`"),
        "{markdown}"
    );
    let cached = fx.cache.path().join("bzls/flags/bazel-6.6.6.flags.pb");
    assert!(
        cached.is_file(),
        "the dump is cached at {}",
        cached.display()
    );
}

#[test]
fn bazel_is_not_run_unless_allowed() {
    let text = "build --jobs=2\n";
    let fx = Fixture::new("no-dump", &[(".bazelrc", text)]);
    let (_server, _u, d) = open_rc(&fx, ".bazelrc", text);
    assert_eq!(d, Vec::<Value>::new());
    assert!(
        !fx.cache.path().join("bzls/flags").exists(),
        "nothing dumped"
    );
}

#[test]
fn flag_documentation_comes_on_resolve() {
    let text = "build --keep_go\n";
    let fx = Fixture::new("resolve", &[(".bazelrc", text)]);
    let (mut server, u, _) = open_rc(&fx, ".bazelrc", text);
    let list = result(server.request("textDocument/completion", at(&u, 0, 15)));
    assert_eq!(
        list["isIncomplete"], true,
        "flag lists are filtered by what was typed"
    );
    let got = items(json!({"result": list}));
    let keep_going = item(&got, "--keep_going").clone();
    assert!(
        keep_going.get("documentation").is_none(),
        "sent on resolve only"
    );
    let resolved = result(server.request("completionItem/resolve", keep_going));
    let doc = resolved["documentation"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(doc.starts_with("**`--keep_going`**"), "{doc}");
    assert!(doc.contains("Bazel 7.1.0 flag database"), "{doc}");
    // An item without data resolves to itself.
    let plain = json!({"label": "x"});
    assert_eq!(
        result(server.request("completionItem/resolve", plain.clone())),
        plain
    );
}
