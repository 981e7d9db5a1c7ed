//! `bzls rc` (the effective options of a Bazel command, with provenance)
//! and `bzls check` on rc files, as users and CI run them.
//!
//! Every run gets `HOME` pointing at a scratch directory, so the machine's
//! own `~/.bazelrc` never leaks in, and `--nosystem_rc` where the exact
//! output matters (`/etc/bazel.bazelrc` is outside the test's control).

use std::process::{Command, Output};

use bzls_e2e::{bzls_bin, TempDir};
use serde_json::{json, Value};

/// The workspace rc file. Line numbers (1-based in `bzls rc`) matter.
const RC: &str = "\
build --keep_going
test --test_output=errors
common --announce_rc
build -c opt
import %workspace%/tools/ci.bazelrc
build --define x=1
test:cuda --test_tag_filters=gpu
build:cuda --define=cuda=1
common:cuda --config=gpu
build:gpu --copt=-DGPU
build:cycle1 --config=cycle2
build:cycle2 --config=cycle1
";

const CI: &str = "\
build --verbose_failures
build:ci --config=cuda
";

/// A Bazel 7.1.0 workspace, and a home directory with its own `.bazelrc`.
struct Fixture {
    ws: TempDir,
    home: TempDir,
    cache: TempDir,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let ws = TempDir::new(&format!("rc-cli-{name}"));
        ws.write("MODULE.bazel", "module(name = \"ws\")\n");
        ws.write(".bazelversion", "7.1.0\n");
        ws.write(".bazelrc", RC);
        ws.write("tools/ci.bazelrc", CI);
        ws.write("extra.rc", "build --jobs=5\n");
        let home = TempDir::new(&format!("rc-cli-{name}-home"));
        home.write(".bazelrc", "build --jobs=3\n");
        Fixture {
            ws,
            home,
            cache: TempDir::new(&format!("rc-cli-{name}-cache")),
        }
    }

    /// Runs `bzls ARGS` in `dir` (relative to the workspace).
    fn run_in(&self, dir: &str, args: &[&str]) -> Output {
        Command::new(bzls_bin())
            .args(args)
            .current_dir(self.ws.path().join(dir))
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("USE_BAZEL_VERSION")
            .output()
            .expect("run bzls")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in("", args)
    }

    /// The home rc file as `bzls rc` names it (outside the workspace: its
    /// full path).
    fn home_rc(&self, line: usize) -> String {
        format!("{}:{line}", self.home.path().join(".bazelrc").display())
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn exit_code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// The expected text output: `OPTION  SOURCE (via ...)` lines, options
/// padded to the longest one.
fn text_table(rows: &[(&str, &str)]) -> String {
    let width = rows.iter().map(|(o, _)| o.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(option, source)| format!("{option:<width$}  {source}\n"))
        .collect()
}

/// `(option, source, via)` triples of a JSON report.
fn json_options(report: &Value) -> Vec<(String, String, Vec<String>)> {
    report["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no options in {report}"))
        .iter()
        .map(|o| {
            (
                o["option"].as_str().unwrap_or("?").to_owned(),
                o["source"].as_str().unwrap_or("?").to_owned(),
                o["via"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .map(|s| s.as_str().unwrap_or("?").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn opt(option: &str, source: &str, via: &[&str]) -> (String, String, Vec<String>) {
    (
        option.to_owned(),
        source.to_owned(),
        via.iter().map(|s| s.to_string()).collect(),
    )
}

fn json_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

#[test]
fn build_options_in_bazel_order_with_sources() {
    let fx = Fixture::new("build");
    let out = fx.run(&["rc", "--nosystem_rc", "build"]);
    assert_eq!(exit_code(&out), Some(0), "{}", stderr(&out));
    let home = fx.home_rc(1);
    // `common` first; then build's options in read order: the workspace
    // file with its import spliced in place, then ~/.bazelrc. `-c opt` and
    // `--define x=1` are normalized. No `test` option.
    assert_eq!(
        stdout(&out),
        text_table(&[
            ("--announce_rc", ".bazelrc:3"),
            ("--keep_going", ".bazelrc:1"),
            ("--compilation_mode=opt", ".bazelrc:4"),
            ("--verbose_failures", "tools/ci.bazelrc:1"),
            ("--define=x=1", ".bazelrc:6"),
            ("--jobs=3", &home),
        ])
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn test_inherits_build_and_configs_expand_in_place() {
    let fx = Fixture::new("test");
    let out = fx.run(&[
        "rc",
        "--nosystem_rc",
        "test",
        "--config=ci",
        "--define",
        "y=2",
        "-k",
    ]);
    assert_eq!(exit_code(&out), Some(0), "{}", stderr(&out));
    let home = fx.home_rc(1);
    // `--config=ci` is kept, followed by its expansion: `build:ci` ->
    // `--config=cuda` -> `common:cuda` (-> `--config=gpu`) before
    // `build:cuda` before `test:cuda`.
    let expected = [
        "--announce_rc           .bazelrc:3",
        "--keep_going            .bazelrc:1",
        "--compilation_mode=opt  .bazelrc:4",
        "--verbose_failures      tools/ci.bazelrc:1",
        "--define=x=1            .bazelrc:6",
        &format!("--jobs=3                {home}"),
        "--test_output=errors    .bazelrc:2",
        "--config=ci             command line",
        "--config=cuda           tools/ci.bazelrc:2 (via --config=ci)",
        "--config=gpu            .bazelrc:9 (via --config=ci -> --config=cuda)",
        "--copt=-DGPU            .bazelrc:10 (via --config=ci -> --config=cuda -> --config=gpu)",
        "--define=cuda=1         .bazelrc:8 (via --config=ci -> --config=cuda)",
        "--test_tag_filters=gpu  .bazelrc:7 (via --config=ci -> --config=cuda)",
        "--define=y=2            command line",
        "--keep_going            command line",
    ];
    let got = stdout(&out);
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        expected,
        "full output:\n{got}"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let fx = Fixture::new("json");
    let out = fx.run(&[
        "rc",
        "--format",
        "json",
        "--nosystem_rc",
        "--nohome_rc",
        "build",
        "--config=cuda",
    ]);
    assert_eq!(exit_code(&out), Some(0), "{}", stderr(&out));
    let report = json_report(&out);
    assert_eq!(report["command"], "build");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(
        json_options(&report),
        [
            opt("--announce_rc", ".bazelrc:3", &[]),
            opt("--keep_going", ".bazelrc:1", &[]),
            opt("--compilation_mode=opt", ".bazelrc:4", &[]),
            opt("--verbose_failures", "tools/ci.bazelrc:1", &[]),
            opt("--define=x=1", ".bazelrc:6", &[]),
            opt("--config=cuda", "command line", &[]),
            opt("--config=gpu", ".bazelrc:9", &["--config=cuda"]),
            opt(
                "--copt=-DGPU",
                ".bazelrc:10",
                &["--config=cuda", "--config=gpu"]
            ),
            opt("--define=cuda=1", ".bazelrc:8", &["--config=cuda"]),
        ]
    );
    // Exactly the documented keys.
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&report), ["command", "errors", "options"]);
    assert_eq!(keys(&report["options"][0]), ["option", "source", "via"]);
}

#[test]
fn the_workspace_is_found_from_a_subdirectory() {
    let fx = Fixture::new("subdir");
    let out = fx.run_in("tools", &["rc", "--nosystem_rc", "--nohome_rc", "build"]);
    assert_eq!(exit_code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        text_table(&[
            ("--announce_rc", ".bazelrc:3"),
            ("--keep_going", ".bazelrc:1"),
            ("--compilation_mode=opt", ".bazelrc:4"),
            ("--verbose_failures", "tools/ci.bazelrc:1"),
            ("--define=x=1", ".bazelrc:6"),
        ])
    );
}

#[test]
fn startup_options_choose_the_rc_files() {
    let fx = Fixture::new("startup");
    let home = fx.home_rc(1);
    let workspace_rows = [
        ("--announce_rc", ".bazelrc:3"),
        ("--keep_going", ".bazelrc:1"),
        ("--compilation_mode=opt", ".bazelrc:4"),
        ("--verbose_failures", "tools/ci.bazelrc:1"),
        ("--define=x=1", ".bazelrc:6"),
    ];
    let run = |args: &[&str]| {
        let mut all = vec!["rc", "--nosystem_rc"];
        all.extend(args);
        let out = fx.run(&all);
        assert_eq!(exit_code(&out), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };

    // ~/.bazelrc is read by default, not with --nohome_rc.
    assert!(run(&["build"]).contains(&home));
    assert_eq!(run(&["--nohome_rc", "build"]), text_table(&workspace_rows));

    // --bazelrc files come last, in either spelling.
    let mut rows = workspace_rows.to_vec();
    rows.push(("--jobs=5", "extra.rc:1"));
    assert_eq!(
        run(&["--nohome_rc", "--bazelrc=extra.rc", "build"]),
        text_table(&rows)
    );
    assert_eq!(
        run(&["--noworkspace_rc", "--bazelrc", "extra.rc", "build"]),
        text_table(&[("--jobs=3", &home), ("--jobs=5", "extra.rc:1")])
    );
    // The positive forms turn them back on; the last one wins.
    assert_eq!(
        run(&["--noworkspace_rc", "--nohome_rc", "--workspace_rc", "build"]),
        text_table(&workspace_rows)
    );
    assert_eq!(
        run(&["--noworkspace_rc", "--nohome_rc", "build"]),
        "",
        "no rc file at all"
    );
}

#[test]
fn rc_errors_exit_1() {
    let fx = Fixture::new("errors");

    // An undefined config, from the command line.
    let out = fx.run(&["rc", "--nosystem_rc", "build", "--config=nope"]);
    assert_eq!(exit_code(&out), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with("--config=nope           command line\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        stderr(&out),
        "error: command line: Config value 'nope' is not defined in any .rc file\n"
    );
    let out = fx.run(&[
        "rc",
        "--format=json",
        "--nosystem_rc",
        "build",
        "--config=nope",
    ]);
    assert_eq!(exit_code(&out), Some(1));
    assert_eq!(
        json_report(&out)["errors"],
        json!([{"message": "Config value 'nope' is not defined in any .rc file", "source": "command line"}])
    );

    // A config cycle, blamed on the rc line that closes it.
    let out = fx.run(&[
        "rc",
        "--format",
        "json",
        "--nosystem_rc",
        "build",
        "--config=cycle1",
    ]);
    assert_eq!(exit_code(&out), Some(1), "{}", stderr(&out));
    let report = json_report(&out);
    assert_eq!(
        report["errors"],
        json!([{
            "message": "Config expansion has a cycle: config value cycle1 expands to itself, see inheritance chain [cycle1, cycle2, cycle1]",
            "source": ".bazelrc:12"
        }])
    );
    let options = json_options(&report);
    assert_eq!(
        options[options.len() - 3..],
        [
            opt("--config=cycle1", "command line", &[]),
            opt("--config=cycle2", ".bazelrc:11", &["--config=cycle1"]),
            opt(
                "--config=cycle1",
                ".bazelrc:12",
                &["--config=cycle1", "--config=cycle2"]
            ),
        ]
    );

    // A missing import: the rest is still expanded.
    fx.ws.write(
        "tools/ci.bazelrc",
        format!("{CI}import %workspace%/tools/gone.bazelrc\n"),
    );
    let out = fx.run(&["rc", "--format", "json", "--nosystem_rc", "build"]);
    assert_eq!(exit_code(&out), Some(1), "{}", stderr(&out));
    let report = json_report(&out);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["source"], "tools/ci.bazelrc:3");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("tools/gone.bazelrc"),
        "{report}"
    );
    assert_eq!(json_options(&report).len(), 6, "{report}");
    let out = fx.run(&["rc", "--nosystem_rc", "build"]);
    assert_eq!(exit_code(&out), Some(1));
    assert!(
        stderr(&out).starts_with("error: tools/ci.bazelrc:3: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    let fx = Fixture::new("usage");
    let cases: &[(&[&str], &str)] = &[
        (&["rc"], "COMMAND"),
        (&["rc", "--nohome_rc"], "missing COMMAND"),
        (
            &["rc", "--bogus", "build"],
            "unknown startup option `--bogus`",
        ),
        (&["rc", "frobnicate"], "`frobnicate` is not a Bazel command"),
        (&["rc", "--format", "yaml", "build"], "yaml"),
        (&["rc", "--bazelrc=missing.rc", "build"], "missing.rc"),
        (&["rc", "--bazelrc"], "--bazelrc"),
    ];
    for (args, message) in cases {
        let out = fx.run(args);
        assert_eq!(
            exit_code(&out),
            Some(2),
            "bzls {args:?}\nstdout:\n{}\nstderr:\n{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(message),
            "bzls {args:?}: expected {message:?} in stderr:\n{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "", "bzls {args:?}");
    }
    // A --bazelrc that cannot be read (a directory).
    let out = fx.run(&["rc", "--bazelrc=tools", "build"]);
    assert_eq!(exit_code(&out), Some(2), "{}", stderr(&out));
}

#[test]
fn check_reports_rc_diagnostics() {
    let fx = Fixture::new("check");
    // Every rc file of the workspace is checked, `tools/ci.bazelrc` too
    // (against the chain it would join): keep both about a typo, an
    // undefined config and a deprecated flag.
    fx.ws
        .write("tools/ci.bazelrc", "build --verbose_failures\n");
    fx.ws.write(
        ".bazelrc",
        "build --keep_goign\nbuild --config=nope\nbuild --legacy_whole_archive\n",
    );
    let out = fx.run(&["check"]);
    assert_eq!(exit_code(&out), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        ".bazelrc:1:7: error[rc-unknown-flag]: Unknown flag `--keep_goign` (Bazel 7.1.0); did you mean `--keep_going`?\n\
         .bazelrc:2:16: error[rc-undefined-config]: Config value 'nope' is not defined in any .rc file\n\
         .bazelrc:3:7: warning[rc-deprecated-flag]: `--legacy_whole_archive` is deprecated: Deprecated, superseded by --incompatible_remove_legacy_whole_archive (see https://github.com/bazelbuild/bazel/issues/7362 for details).\n"
    );

    let out = fx.run(&["check", "--format", "json"]);
    assert_eq!(exit_code(&out), Some(1));
    let report = json_report(&out);
    assert_eq!(
        report[1],
        json!({
            "file": ".bazelrc",
            "range": {"start": {"line": 1, "character": 15}, "end": {"line": 1, "character": 19}},
            "severity": "error",
            "code": "rc-undefined-config",
            "message": "Config value 'nope' is not defined in any .rc file"
        })
    );

    // Imported files are checked too, and warnings alone pass.
    fx.ws
        .write(".bazelrc", "import %workspace%/tools/ci.bazelrc\n");
    fx.ws
        .write("tools/ci.bazelrc", "build --legacy_whole_archive\n");
    let out = fx.run(&["check"]);
    assert_eq!(exit_code(&out), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("tools/ci.bazelrc:1:7: warning[rc-deprecated-flag]: "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_of_a_clean_rc_workspace_exits_0() {
    let fx = Fixture::new("check-clean");
    // Drop the cycle: everything else in the fixture is valid.
    let clean: String = RC
        .lines()
        .filter(|l| !l.contains("cycle"))
        .map(|l| format!("{l}\n"))
        .collect();
    fx.ws.write(".bazelrc", clean);
    let out = fx.run(&["check"]);
    assert_eq!(exit_code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");
}
