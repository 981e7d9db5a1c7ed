//! `bzls check`, `--version`, `--help`, as CI and users run them.

use std::path::Path;
use std::process::{Command, Output};

use bzls_e2e::{bzls_bin, TempDir, MEMORY_BOMB_MACRO};
use serde_json::{json, Value};

fn bzls(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bzls_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run bzls")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small workspace with one broken BUILD file.
fn workspace() -> TempDir {
    let ws = TempDir::new("cli");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        "pkg/BUILD.bazel",
        "cc_library(\n    name = \"a\",\n    srcs = [\"🎉.cc\" \"b.cc\"],\n)\n",
    );
    ws.write(
        "pkg/defs.bzl",
        "def m(name):\n    native.cc_library(name = name)\n",
    );
    ws.write("ok/BUILD", "cc_library(name = \"ok\")\n");
    ws
}

#[test]
fn version_and_help() {
    let dir = TempDir::new("version");
    let out = bzls(dir.path(), &["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("bzls {}", env!("CARGO_PKG_VERSION"))
    );
    let out = bzls(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    assert!(help.contains("serve") && help.contains("check"), "{help}");
    let out = bzls(dir.path(), &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = bzls(dir.path(), &["check", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn text_output_is_compiler_style() {
    let ws = workspace();
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "pkg/BUILD.bazel:3:13: error[syntax]: expected `,` between items in a list\n"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let ws = workspace();
    let out = bzls(&ws.path().join("ok"), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        report,
        json!([{
            "file": "pkg/BUILD.bazel",
            "range": {"start": {"line": 2, "character": 12}, "end": {"line": 2, "character": 19}},
            "severity": "error",
            "code": "syntax",
            "message": "expected `,` between items in a list"
        }])
    );
}

#[test]
fn clean_paths_exit_0() {
    let ws = workspace();
    let out = bzls(ws.path(), &["check", "ok", "pkg/defs.bzl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    let out = bzls(ws.path(), &["check", "--format", "json", "ok"]);
    assert_eq!(stdout(&out).trim(), "[]");
}

#[test]
fn missing_paths_are_usage_errors() {
    let ws = workspace();
    let out = bzls(ws.path(), &["check", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such/dir"), "{}", stderr(&out));
}

#[test]
fn walks_skip_output_symlinks_ignored_dirs_and_loops() {
    let ws = workspace();
    // bazel-* convenience symlinks point into the output base: never followed.
    let out_base = TempDir::new("outbase");
    out_base.write("external/BUILD", "def broken(:\n");
    std::os::unix::fs::symlink(out_base.path(), ws.path().join("bazel-ws")).expect("symlink");
    // .bazelignore'd directories are skipped.
    ws.write("ignored/BUILD", "def broken(:\n");
    ws.write(".bazelignore", "# comment\nignored\n");
    // A symlink loop is reported and the walk goes on.
    std::os::unix::fs::symlink("..", ws.path().join("ok/loop")).expect("symlink");
    std::os::unix::fs::symlink("self", ws.path().join("ok/self")).expect("symlink");
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "pkg/BUILD.bazel:3:13: error[syntax]: expected `,` between items in a list\n"
    );
    let err = stderr(&out);
    assert!(err.contains("ok/loop") && err.contains("symlink"), "{err}");
    assert!(
        err.contains("ok/self") && err.contains("symlink loop"),
        "{err}"
    );
}

#[test]
fn unusable_files_are_reported_and_the_check_goes_on() {
    let ws = workspace();
    ws.write("latin1/BUILD", b"# caf\xe9\ncc_library(name = \"x\")\n");
    ws.write("huge/BUILD", vec![b'#'; 11 * 1024 * 1024]);
    let out = bzls(ws.path(), &["check"]);
    // Skipped files are warnings; the broken BUILD file still fails the check.
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("latin1/BUILD") && err.contains("not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("huge/BUILD") && err.contains("10 MB limit"),
        "{err}"
    );
    assert!(stdout(&out).contains("pkg/BUILD.bazel:3:13"));
}

#[test]
fn read_failures_exit_2() {
    let ws = workspace();
    // Reading /proc/self/mem from offset 0 fails with EIO, even for root.
    std::os::unix::fs::symlink("/proc/self/mem", ws.path().join("ok/BUILD.bazel"))
        .expect("symlink");
    let out = bzls(ws.path(), &["check", "ok"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    // The other file in the directory was still checked.
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("pkg/BUILD.bazel:3:13"));
}

#[test]
fn unreadable_directories_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let ws = workspace();
    let locked = ws.path().join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    ws.write("locked/BUILD", "x = 1\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable_anyway = std::fs::read_dir(&locked).is_ok();
    let out = bzls(ws.path(), &["check"]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    if readable_anyway {
        // Running with CAP_DAC_OVERRIDE (root): permissions do not apply, so
        // the directory is simply checked.
        assert_eq!(out.status.code(), Some(1));
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("cannot read directory"),
            "{}",
            stderr(&out)
        );
    }
    assert!(stdout(&out).contains("pkg/BUILD.bazel:3:13"));
}

#[test]
fn check_agrees_with_the_server() {
    // The same text through the CLI and through the server gives the same
    // diagnostics.
    let ws = workspace();
    let text = "def f():\n    pass\nx = [1 2]\ny = \"🎉\" + z is w\nreturn 5\n";
    let path = ws.write("same/BUILD", text);
    let out = bzls(ws.path(), &["check", "--format", "json", "same"]);
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON");

    let (mut server, _) = bzls_e2e::TestServer::initialized(json!({}));
    let u = bzls_e2e::uri(&path);
    server.open(&u, "starlark", 1, text);
    // Wait for the set that includes Starlark's own verdict.
    let lsp = server.diagnostics_where(&u, Some(1), |d| {
        d.len() == cli.as_array().map_or(0, Vec::len)
    });
    let simplify = |d: &Value| (d["range"].clone(), d["code"].clone(), d["message"].clone());
    let cli: Vec<_> = cli
        .as_array()
        .expect("array")
        .iter()
        .map(simplify)
        .collect();
    let lsp: Vec<_> = lsp.iter().map(simplify).collect();
    assert_eq!(cli, lsp);
    assert!(cli.len() >= 3, "{cli:?}");
}

#[test]
fn check_reports_labels_that_point_nowhere() {
    let ws = TempDir::new("cli-labels");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write(
        "lib/BUILD.bazel",
        "cc_library(name = \"lib\", srcs = [\"lib.cc\"])\ncc_library(name = \"util\")\n",
    );
    ws.write("lib/lib.cc", "");
    ws.write(
        "app/BUILD",
        "cc_binary(\n    name = \"app\",\n    srcs = [\"main.cc\"],\n    deps = [\"//lib\", \"//lib:utill\", \"//nope\", \"@other//x:y\", \"//lib//bad\"],\n)\n",
    );
    ws.write("app/main.cc", "");
    // A package whose loaded macro may create more targets is never
    // second-guessed.
    ws.write(
        "macros/BUILD",
        "load(\"//tools:m.bzl\", \"my_test\")\nmy_test(name = \"t\")\n",
    );
    ws.write("tools/BUILD", "");
    ws.write(
        "tools/m.bzl",
        "def my_test(name):\n    native.cc_test(name = name)\n    native.cc_library(name = name + \"_lib\")\n",
    );
    ws.write(
        "user/BUILD",
        "filegroup(name = \"u\", srcs = [\"//macros:t_lib\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        "app/BUILD:4:22: error[unresolved-target]: no such target '//lib:utill': target 'utill' not declared in package 'lib'\n\
         app/BUILD:4:37: error[unresolved-package]: no such package 'nope': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope\n\
         app/BUILD:4:47: warning[unknown-repository]: No repository visible as '@other' from main repository\n\
         app/BUILD:4:62: error[label-syntax]: invalid package name 'lib//bad': package names may not contain '//' path separators (perhaps you meant \":bad\"?)\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_reports_labels_into_a_local_repository_that_point_nowhere() {
    let dir = TempDir::new("cli-external");
    dir.write(
        "main/WORKSPACE",
        "load(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\")\nlocal_repository(name = \"dep\", path = \"../dep\")\nhttp_archive(name = \"far\", urls = [])\n",
    );
    dir.write(
        "main/app/BUILD",
        "cc_binary(\n    name = \"app\",\n    deps = [\"@dep//lib\", \"@dep//lib:utli\", \"@dep//nope\", \"@dep//gen:anything\", \"@far//x:y\"],\n)\n",
    );
    dir.write("dep/WORKSPACE", "");
    dir.write(
        "dep/lib/BUILD.bazel",
        "cc_library(name = \"lib\")\ncc_library(name = \"util\")\n",
    );
    dir.write(
        "dep/gen/BUILD",
        "load(\"//:defs.bzl\", \"generate\")\ngenerate(name = \"g\")\n",
    );
    let out = bzls(&dir.path().join("main"), &["check"]);
    assert_eq!(
        stdout(&out),
        "app/BUILD:3:26: error[unresolved-target]: no such target '@dep//lib:utli': target 'utli' not declared in package 'lib'\n\
         app/BUILD:3:44: error[unresolved-package]: no such package '@dep//nope': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn build_files_of_other_repositories_are_not_checked_as_packages() {
    let ws = TempDir::new("cli-foreign-build");
    ws.write(
        "WORKSPACE",
        "load(\"//third_party/zlib:workspace.bzl\", zlib = \"repo\")\nzlib()\n",
    );
    ws.write(
        "third_party/zlib/workspace.bzl",
        "load(\"//third_party:repo.bzl\", \"archive\")\n\n\
         def repo():\n    archive(name = \"zlib\", build_file = \"//third_party/zlib:BUILD.bazel\")\n\
         \x20   # Other mentions of a BUILD file do not make it another repository's.\n\
         \x20   archive(name = \"other\", srcs = [\"//app:BUILD\"], build_file = \"//third_party:other.BUILD\")\n",
    );
    ws.write("third_party/repo.bzl", "def archive(**kwargs):\n    pass\n");
    ws.write("third_party/BUILD", "");
    // The BUILD file of @zlib: its labels are @zlib's.
    ws.write(
        "third_party/zlib/BUILD.bazel",
        "cc_library(name = \"zlib\", srcs = [\"adler32.c\"], deps = [\"//:config\"])\n",
    );
    ws.write("third_party/zlib/BUILD", "");
    ws.write(
        "app/BUILD",
        "cc_binary(name = \"app\", deps = [\"//third_party/zlib\", \"//third_party/zlib:zlbi\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        "app/BUILD:1:55: error[unresolved-target]: no such target '//third_party/zlib:zlbi': target 'zlbi' not declared in package 'third_party/zlib'\n",
        "stderr: {}",
        stderr(&out)
    );
}

/// Deeply nested files (in the shapes that make Starlark's parser,
/// evaluator and AST drop recurse) get a `file-too-complex` warning, and
/// the check goes on to find a typo in a label into one of them.
#[test]
fn deeply_nested_files_are_reported_and_the_check_goes_on() {
    let ws = TempDir::new("cli-deep");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    let shapes = [
        (
            "brackets",
            format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        ("plus", format!("x = 1{}\n", " + 1".repeat(100_000))),
        ("dots", format!("x = a{}\n", ".b".repeat(100_000))),
        ("calls", format!("x = f{}\n", "()".repeat(100_000))),
    ];
    for (package, text) in &shapes {
        ws.write(
            &format!("{package}/BUILD"),
            format!("{text}cc_library(name = \"t\")\n"),
        );
    }
    ws.write(
        "bzl/deep.bzl",
        format!(
            "def m(name):\n    native.cc_library(name = name)\n\nX = {}1{}\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
    );
    ws.write(
        "bzl/BUILD",
        "load(\":deep.bzl\", \"m\")\n\nm(name = \"t\")\n",
    );
    ws.write(
        "app/BUILD",
        "cc_library(\n    name = \"app\",\n    deps = [\"//brackets:t\", \"//plus:t\", \"//bzl:t\", \"//calls:tt\"],\n)\n",
    );
    let out = bzls(ws.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    let mut seen: Vec<(String, String)> = found
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let expected: Vec<(String, String)> = [
        ("app/BUILD", "unresolved-target"),
        ("brackets/BUILD", "file-too-complex"),
        ("bzl/deep.bzl", "file-too-complex"),
        ("calls/BUILD", "file-too-complex"),
        ("dots/BUILD", "file-too-complex"),
        ("plus/BUILD", "file-too-complex"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(seen, expected, "{found:#?}");
    let typo = found
        .iter()
        .find(|d| d["code"] == "unresolved-target")
        .expect("typo");
    assert!(
        typo["message"]
            .as_str()
            .unwrap_or_default()
            .contains("//calls:tt"),
        "{typo}"
    );
}

/// A macro that asks for more memory than the machine has (a string of
/// 10^12 bytes) is evaluated in a worker process whose memory is limited:
/// the worker dies, the check goes on, the package is reported as not
/// fully evaluated, and labels elsewhere are still checked.
#[test]
fn a_macro_that_exhausts_memory_is_reported_and_the_check_goes_on() {
    let ws = TempDir::new("cli-memory");
    ws.write("MODULE.bazel", "module(name = \"ws\")\n");
    ws.write("bomb/defs.bzl", MEMORY_BOMB_MACRO);
    ws.write(
        "bomb/BUILD",
        "load(\":defs.bzl\", \"m\")\n\nm(name = \"t\")\n\ncc_library(name = \"plain\")\n",
    );
    ws.write(
        "loop/defs.bzl",
        "def m(name):\n    for i in range(100000000):\n        pass\n    native.cc_library(name = name)\n",
    );
    ws.write(
        "loop/BUILD",
        "load(\":defs.bzl\", \"m\")\n\nm(name = \"t\")\n",
    );
    ws.write("lib/BUILD", "cc_library(name = \"lib\")\n");
    ws.write(
        "app/BUILD",
        "cc_library(\n    name = \"app\",\n    deps = [\"//bomb:t\", \"//bomb:plain\", \"//bomb:made_up\", \"//loop:t\", \"//lib:lbi\"],\n)\n",
    );
    let out = bzls(ws.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut found: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    found.sort_by_key(|d| d["file"].as_str().unwrap_or_default().to_owned());
    let summary: Vec<(String, String, String)> = found
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let codes: Vec<(&str, &str)> = summary
        .iter()
        .map(|(f, c, _)| (f.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("app/BUILD", "unresolved-target"),
            ("bomb/BUILD", "file-too-complex"),
            ("loop/BUILD", "file-too-complex"),
        ],
        "{found:#?}"
    );
    assert!(summary[0].2.contains("lbi"), "{}", summary[0].2);
    assert!(
        summary[1].2.contains("more memory than"),
        "{}",
        summary[1].2
    );
    assert!(summary[2].2.contains("steps"), "{}", summary[2].2);
    // The warning is on the load that brought the macro in.
    assert_eq!(found[1]["range"]["start"]["line"], 0, "{:#?}", found[1]);
}

/// The evaluation worker (`bzls __evaluator`, started by the server) reads
/// only its own protocol: a batch it can evaluate is answered, and
/// garbage on its input ends it with status 1 rather than a hang or a
/// crash. Its end of input ends it with status 0.
#[test]
fn the_evaluation_worker_answers_requests_and_exits_on_garbage() {
    use std::io::Write;
    use std::process::Stdio;
    let run = |input: &str| {
        let mut child = Command::new(bzls_bin())
            .arg("__evaluator")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the worker");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write");
        drop(stdin);
        child.wait_with_output().expect("wait")
    };
    // A batch of two BUILD files: one reply each, in order.
    let job = |package: &str, name: &str| json!({"package": package, "text": format!("cc_library(name = \"{name}\")\n"), "files": null});
    let request = json!({"Evaluate": [job("one", "a"), job("two", "b")]});
    let out = run(&format!("{request}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names: Vec<Value> = stdout(&out)
        .lines()
        .map(|line| {
            let reply: Value = serde_json::from_str(line).expect("a JSON reply");
            reply["Done"]["decls"]["targets"][0]["name"].clone()
        })
        .collect();
    assert_eq!(names, [json!("a"), json!("b")]);

    for garbage in ["not json\n", "{\"Evaluate\": 3}\n", "\u{0}\u{1}\u{2}\n"] {
        let out = run(garbage);
        assert_eq!(out.status.code(), Some(1), "{garbage:?}: {}", stderr(&out));
    }
}

#[test]
fn check_judges_a_nested_workspace_from_the_workspace_around_it() {
    let ws = TempDir::new("cli-nested");
    ws.write("MODULE.bazel", "module(name = \"outer\")\n");
    ws.write(
        "project/apis/BUILD",
        "cc_library(name = \"model_cc_proto\")\n",
    );
    // An empty WORKSPACE in a package the outer workspace builds: its
    // labels name the outer workspace's packages.
    ws.write("project/ops/remote_predict/WORKSPACE", "");
    ws.write(
        "project/ops/remote_predict/BUILD",
        "cc_library(name = \"op\", deps = [\"//project/apis:model_cc_proto\", \"//project/apis:modle_cc_proto\"])\n",
    );
    ws.write(
        "app/BUILD",
        "cc_binary(name = \"app\", deps = [\"//project/ops/remote_predict:op\"])\n",
    );
    // An example workspace with its own module: its labels are its own.
    ws.write(
        "examples/hello/MODULE.bazel",
        "module(name = \"hello\")\nbazel_dep(name = \"outer\")\n",
    );
    ws.write("examples/hello/lib/BUILD", "cc_library(name = \"greet\")\n");
    ws.write(
        "examples/hello/BUILD",
        "cc_binary(name = \"hello\", deps = [\"//lib:greet\", \"//lib:gret\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        // The example's typo, from its own root; the operator's, from the
        // outer root (where the package exists: the nested root has none).
        "examples/hello/BUILD:1:50: error[unresolved-target]: no such target '//lib:gret': target 'gret' not declared in package 'lib'\n\
         project/ops/remote_predict/BUILD:1:66: error[unresolved-target]: no such target '//project/apis:modle_cc_proto': target 'modle_cc_proto' not declared in package 'project/apis'\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_catches_near_misses_in_packages_that_call_unfollowable_macros() {
    let ws = TempDir::new("cli-open");
    ws.write(
        "MODULE.bazel",
        "module(name = \"ws\")\nbazel_dep(name = \"envoy\")\n",
    );
    ws.write(
        "sink/BUILD",
        "load(\"@envoy//bazel:envoy_build_system.bzl\", \"envoy_cc_library\", \"envoy_package\")\n\
         envoy_package()\n\
         envoy_cc_library(name = \"sink_impl_lib\", srcs = [\"sink_impl.cc\", \"sink_impl.h\", \"sink_impll.cc\"])\n",
    );
    ws.write("sink/sink_impl.cc", "");
    ws.write("sink/sink_impl.h", "");
    ws.write(
        "app/BUILD",
        "cc_binary(name = \"app\", deps = [\"//sink:sink_impl_lib\", \"//sink:sink_impl_lbi\", \"//sink:made_by_the_macro\", \"//sink:sink_impl_lib_test\", \"//sink:siink_impl_lib_test\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        "app/BUILD:1:57: error[unresolved-target]: no such target '//sink:sink_impl_lbi': target 'sink_impl_lbi' not declared in package 'sink' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sink_impl_lib')\n\
         app/BUILD:1:138: error[unresolved-target]: no such target '//sink:siink_impl_lib_test': target 'siink_impl_lib_test' not declared in package 'sink' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sink_impl_lib_test')\n\
         sink/BUILD:3:81: error[missing-input-file]: missing input file '//sink:sink_impll.cc' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sink_impl.cc')\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

/// An Envoy-style API package: `api_cc_py_proto_library(name = "base")`
/// comes from a repository that is not on disk and makes `base_cc_proto`.
/// The labels of other packages show that name exists, so one letter away
/// from it is a typo; a name nothing else uses stays unknown, and one that
/// two packages use is taken to exist.
#[test]
fn check_takes_names_other_packages_use_as_evidence() {
    let ws = TempDir::new("cli-evidence");
    ws.write(
        "MODULE.bazel",
        "module(name = \"ws\")\nbazel_dep(name = \"envoy_api\")\n",
    );
    ws.write(
        "api/client/BUILD",
        "load(\"@envoy_api//bazel:api_build_system.bzl\", \"api_cc_py_proto_library\")\n\
         api_cc_py_proto_library(name = \"base\", srcs = [\"base.proto\"])\n",
    );
    ws.write("api/client/base.proto", "");
    ws.write(
        "common/BUILD",
        "cc_library(name = \"common\", deps = [\"//api/client:base_cc_proto\"])\n",
    );
    ws.write(
        "other/BUILD",
        "cc_library(name = \"other\", deps = [\"//api/client:base_cc_proto\"])\n",
    );
    ws.write(
        "source/BUILD",
        "cc_library(name = \"source\", deps = [\"//api/client:base_cc_pproto\", \"//api/client:base_py_pb2\"])\n",
    );
    // Two names one letter apart, each used by one package: either may be
    // the typo, so neither is reported. A name two packages use is taken
    // to exist, even one letter away from a better known one.
    ws.write(
        "tests/BUILD",
        "cc_test(name = \"t\", deps = [\"//api/client:base_grpc_x\", \"//api/client:base_cc_protoq\"])\n",
    );
    ws.write(
        "tools/BUILD",
        "cc_binary(name = \"t\", deps = [\"//api/client:base_grpc_y\", \"//api/client:base_cc_protoq\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        "source/BUILD:1:37: error[unresolved-target]: no such target '//api/client:base_cc_pproto': target 'base_cc_pproto' not declared in package 'api/client' (the package calls macros bzls cannot follow; other BUILD files name its target 'base_cc_proto', one letter away)\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

/// rules_js's `npm_link_all_packages()` comes from a repository made when
/// Bazel fetches (`@npm`): bzls reads the names it links from the pnpm lock
/// file that `npm_translate_lock` names, so typos in `node_modules/...`
/// labels are caught in a fresh checkout.
#[test]
fn check_reads_npm_link_all_packages_from_the_pnpm_lock_file() {
    let ws = TempDir::new("cli-pnpm");
    ws.write(
        "MODULE.bazel",
        "module(name = \"ws\")\n\
         bazel_dep(name = \"aspect_rules_js\", version = \"2.0.0\")\n\
         npm = use_extension(\"@aspect_rules_js//npm:extensions.bzl\", \"npm\")\n\
         npm.npm_translate_lock(name = \"npm\", pnpm_lock = \"//js:pnpm-lock.yaml\")\n\
         use_repo(npm, \"npm\")\n",
    );
    ws.write(
        "js/pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      '@types/node':\n        specifier: ^22\n        version: 22.0.0\n      typescript:\n        specifier: ^5\n        version: 5.8.2\n\n  web:\n    dependencies:\n      jasmine:\n        specifier: ^5\n        version: 5.0.0\n\npackages:\n\n  typescript@5.8.2:\n    resolution: {integrity: sha512-x}\n",
    );
    // A closed package: every name is known.
    ws.write(
        "js/BUILD.bazel",
        "load(\"@npm//:defs.bzl\", \"npm_link_all_packages\")\n\
         npm_link_all_packages(name = \"node_modules\")\n\
         filegroup(name = \"a\", srcs = [\":node_modules\", \":node_modules/typescript\", \":node_modules/typescript/dir\", \":node_modules/@types\", \":node_modules/@types/node\", \":node_modules/lodash\", \":.aspect_rules_js/node_modules/typescript@5.8.2\"])\n",
    );
    // An open one (a call bzls cannot follow): near misses only.
    ws.write(
        "js/web/BUILD.bazel",
        "load(\"@npm//:defs.bzl\", \"npm_link_all_packages\")\n\
         load(\"@other//:defs.bzl\", \"web_package\")\n\
         npm_link_all_packages()\n\
         web_package()\n\
         filegroup(name = \"b\", srcs = [\":node_modules/jasmine\", \":node_modules/jasmne\", \":node_modules/made_by_web_package\", \"//js:node_modules/@types/nod\"])\n",
    );
    // Not a pnpm project: npm_link_all_packages() links nothing here.
    ws.write(
        "other/BUILD.bazel",
        "load(\"@npm//:defs.bzl\", \"npm_link_all_packages\")\n\
         npm_link_all_packages()\n\
         filegroup(name = \"c\", srcs = [\":node_modules/typescript\"])\n",
    );
    let out = bzls(ws.path(), &["check"]);
    assert_eq!(
        stdout(&out),
        "js/BUILD.bazel:3:161: error[missing-input-file]: missing input file '//js:node_modules/lodash'\n\
         js/web/BUILD.bazel:2:6: warning[unknown-repository]: No repository visible as '@other' from main repository\n\
         js/web/BUILD.bazel:5:56: error[missing-input-file]: missing input file '//js/web:node_modules/jasmne' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'node_modules/jasmine')\n\
         js/web/BUILD.bazel:5:117: error[unresolved-target]: no such target '//js:node_modules/@types/nod': target 'node_modules/@types/nod' not declared in package 'js'\n\
         other/BUILD.bazel:3:31: error[missing-input-file]: missing input file '//other:node_modules/typescript'\n",
        "stderr: {}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));

    // The lock file changes under the server's index as under the CLI: a
    // new dependency is known at once.
    ws.write(
        "js/pnpm-lock.yaml",
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      lodash:\n        specifier: ^4\n        version: 4.17.21\n      typescript:\n        specifier: ^5\n        version: 5.8.2\n      '@types/node':\n        specifier: ^22\n        version: 22.0.0\n",
    );
    let out = bzls(ws.path(), &["check", "js/BUILD.bazel"]);
    assert_eq!(stdout(&out), "", "stderr: {}", stderr(&out));
    // A corrupt lock file (here: bytes that are no YAML) says nothing
    // about what the call links: no false alarm.
    ws.write(
        "js/pnpm-lock.yaml",
        b"\xff\xfe\0garbage: [\n\x01".as_slice(),
    );
    let out = bzls(ws.path(), &["check", "js/BUILD.bazel"]);
    assert_eq!(stdout(&out), "", "stderr: {}", stderr(&out));
}
