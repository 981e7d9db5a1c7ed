//! `bzls select` as users and CI run it: the JSON contract, exit codes
//! (0 resolved, 1 error, 2 usage or I/O failure, 3 unknown), `--workspace`,
//! `--command`, relative labels, and garbage arguments (a clear message on
//! stderr and exit 2, never a panic).
//!
//! Every run gets `HOME` pointing at a scratch directory, so the machine's
//! own `~/.bazelrc` never leaks in.

use std::process::{Command, Output};

use bzls_e2e::{bzls_bin, TempDir};
use serde_json::{json, Value};

const RC: &str = "\
build:opt -c opt
build:cuda --define=cuda=1 --config=opt
test --define=in_test=1
";

const BUILD: &str = r#"
config_setting(name = "opt", values = {"compilation_mode": "opt"})
config_setting(name = "cuda", define_values = {"cuda": "1"})
config_setting(name = "cuda_opt", values = {"compilation_mode": "opt", "define": "cuda=1"})
config_setting(name = "in_test", define_values = {"in_test": "1"})
alias(name = "opt_alias", actual = ":opt")
filegroup(
    name = "t",
    srcs = ["common"] + select({
        ":opt": [":opt_leaf"],
        ":cuda_opt": ["//other:cuda_leaf"],
        "//conditions:default": ["default.txt"],
    }),
)
filegroup(name = "amb", srcs = select({":opt": ["a"], ":opt_alias": ["b"]}))
filegroup(name = "strict", srcs = select({":opt": ["a"]}, no_match_error = "build with -c opt"))
filegroup(name = "only_test", srcs = select({":in_test": ["t"], "//conditions:default": []}))
my_setting(name = "custom")
filegroup(name = "unknown", srcs = select({":custom": ["a"], "//conditions:default": []}))
filegroup(name = "plain", srcs = ["x"])
"#;

struct Fixture {
    ws: TempDir,
    home: TempDir,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let ws = TempDir::new(&format!("select-cli-{name}"));
        ws.write("WORKSPACE", "");
        ws.write(".bazelversion", "2.1.0\n");
        ws.write(".bazelrc", RC);
        ws.write("pkg/BUILD", BUILD);
        ws.write("pkg/sub/BUILD", "filegroup(name = \"s\", srcs = select({\"//pkg:opt\": [\"o\"], \"//conditions:default\": [\":d\"]}))\n");
        ws.write("other/BUILD", "filegroup(name = \"cuda_leaf\")\n");
        Fixture {
            home: TempDir::new(&format!("select-cli-{name}-home")),
            ws,
        }
    }

    /// Runs `bzls ARGS` in `dir` (relative to the workspace).
    fn run_in(&self, dir: &str, args: &[&str]) -> Output {
        Command::new(bzls_bin())
            .args(args)
            .current_dir(self.ws.path().join(dir))
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env_remove("USE_BAZEL_VERSION")
            .output()
            .expect("run bzls")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in("", args)
    }

    /// `bzls select --format json LABEL -- BAZEL_ARGS` in `dir`: the exit
    /// code and the JSON (which must be there, whatever the code).
    fn json(&self, dir: &str, label: &str, bazel_args: &[&str]) -> (Option<i32>, Value) {
        let mut args = vec!["select", "--format", "json", label, "--"];
        args.extend_from_slice(bazel_args);
        let out = self.run_in(dir, &args);
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        (out.status.code(), json_of(&out))
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn first_select(v: &Value) -> &Value {
    &v["attributes"][0]["selects"][0]
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(out), stderr(out)))
}

/// Exit code 2 with a one-line `bzls select: ...` message and no panic.
fn assert_usage(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{err}",
        stdout(out)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
}

#[test]
fn resolved_target_json_and_exit_0() {
    let f = Fixture::new("ok");
    let (code, v) = f.json("", "//pkg:t", &["--config=cuda"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        v,
        json!({
            "target": "//pkg:t",
            "status": "ok",
            "attributes": [{
                "name": "srcs",
                "selects": [{"chosen": "//pkg:cuda_opt", "matching": ["//pkg:opt", "//pkg:cuda_opt"]}],
                "value": ["//pkg:common", "//other:cuda_leaf"],
            }],
        })
    );
    // No flags: the default branch.
    let (code, v) = f.json("", "//pkg:t", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(first_select(&v)["chosen"], "//conditions:default");
    assert_eq!(first_select(&v)["matching"], json!([]));
    assert_eq!(
        v["attributes"][0]["value"],
        json!(["//pkg:common", "//pkg:default.txt"])
    );
    // The last compilation mode wins.
    let (_, v) = f.json("", "//pkg:t", &["-c", "opt", "--compilation_mode=dbg"]);
    assert_eq!(first_select(&v)["chosen"], "//conditions:default");
    // A target without selects has no attributes to show.
    let (code, v) = f.json("", "//pkg:plain", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["attributes"], json!([]));
    // Text output names the choice.
    let out = f.run(&["select", "//pkg:t", "--", "-c", "opt"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("takes //pkg:opt"), "{}", stdout(&out));
}

#[test]
fn errors_exit_1_with_their_class() {
    let f = Fixture::new("errors");
    let (code, v) = f.json("", "//pkg:amb", &["-c", "opt"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["status"], "error");
    assert_eq!(v["error"]["class"], "ambiguous");
    assert_eq!(
        v["error"]["message"],
        "Illegal ambiguous match on configurable attribute \"srcs\" in //pkg:amb:\n//pkg:opt\n//pkg:opt_alias\nMultiple matches are not allowed unless one is unambiguously more specialized."
    );
    assert_eq!(first_select(&v)["chosen"], Value::Null);
    assert_eq!(v["attributes"][0]["value"], Value::Null);
    assert!(v.get("reason").is_none(), "{v}");

    let (code, v) = f.json("", "//pkg:strict", &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["error"]["class"], "no-match");
    assert_eq!(
        v["error"]["message"],
        "Configurable attribute \"srcs\" doesn't match this configuration: build with -c opt"
    );

    let (code, v) = f.json("", "//pkg:t", &["--config=nope"]);
    assert_eq!(code, Some(1));
    assert_eq!(v["error"]["class"], "rc-error");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("nope"),
        "{v}"
    );
    // Text output says so too, with the same exit code.
    let out = f.run(&["select", "//pkg:amb", "--", "-c", "opt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error (ambiguous)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn undecidable_targets_exit_3_with_a_reason() {
    let f = Fixture::new("unknown");
    let (code, v) = f.json("", "//pkg:unknown", &[]);
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["status"], "unknown");
    assert!(v["reason"].as_str().unwrap().contains("my_setting"), "{v}");
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(first_select(&v)["chosen"], Value::Null);
}

#[test]
fn workspace_command_and_relative_labels() {
    let f = Fixture::new("where");
    // From inside the package: a relative label.
    let (code, v) = f.json("pkg", ":t", &["-c", "opt"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["target"], "//pkg:t");
    let (code, v) = f.json("pkg/sub", "s", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["target"], "//pkg/sub:s");
    assert_eq!(v["attributes"][0]["value"], json!(["//pkg/sub:d"]));
    // From outside, with --workspace.
    let outside = TempDir::new("select-cli-outside");
    let out = Command::new(bzls_bin())
        .args(["select", "--format", "json", "--workspace"])
        .arg(f.ws.path())
        .args(["//pkg:t", "--", "-c", "opt"])
        .current_dir(outside.path())
        .env("HOME", f.home.path())
        .env("XDG_CACHE_HOME", f.home.path().join(".cache"))
        .output()
        .expect("run bzls");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(first_select(&json_of(&out))["chosen"], "//pkg:opt");
    // --command picks the rc sections: `test` options apply to `test` only.
    let chosen = |command: &str| {
        let out = f.run(&[
            "select",
            "--format",
            "json",
            "--command",
            command,
            "//pkg:only_test",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        first_select(&json_of(&out))["chosen"].clone()
    };
    assert_eq!(chosen("build"), "//conditions:default");
    assert_eq!(chosen("test"), "//pkg:in_test");
}

#[test]
fn garbage_arguments_exit_2_with_a_clear_message() {
    let f = Fixture::new("garbage");
    f.ws.write(
        "bin/BUILD",
        b"\xff\xfe\x00\x01filegroup(\x00\xc3(".as_slice(),
    );
    f.ws.write("dirbuild/BUILD/x", "");
    std::fs::create_dir_all(f.ws.path().join("dangling")).expect("mkdir");
    std::os::unix::fs::symlink("/nonexistent/BUILD", f.ws.path().join("dangling/BUILD"))
        .expect("symlink");
    for (args, needle) in [
        (vec!["select", "//pkg:a:b"], "invalid label"),
        (vec!["select", "//pkg:"], "invalid label"),
        (vec!["select", "@other//pkg:t"], "main repository"),
        (vec!["select", "//missing:t"], "no such package"),
        (vec!["select", "//pkg:nope"], "no target"),
        (
            vec!["select", "--command", "frobnicate", "//pkg:t"],
            "not a Bazel command",
        ),
        (vec!["select", "--format", "yaml", "//pkg:t"], "yaml"),
        (
            vec!["select", "--workspace", "/nonexistent/dir", "//pkg:t"],
            "not a directory",
        ),
        (vec!["select"], "LABEL"),
        (vec!["select", "//bin:t"], "bin"),
        (vec!["select", "//dirbuild:t"], "dirbuild"),
        (vec!["select", "//dangling:t"], "dangling"),
    ] {
        let out = f.run(&args);
        assert_usage(&out, needle);
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}
