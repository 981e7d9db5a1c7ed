//! The committed native rule schemas
//! (`server/data/build-language/bazel-2.1.0.txt`) are exactly what
//! `tools/dump-build-language` makes of real Bazel 2.1.0's
//! `bazel info build-language`: the dump runs again here and must match
//! byte for byte.
//!
//! Bazel comes from the test cache (`BZLS_TEST_CACHE`, default
//! `target/test-cache`, installed from npm on first use); its extracted
//! install is shared with the rc conformance test. Without npm, network or
//! `python3` the test is skipped, unless `$CI` is set: then it fails.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use bzls_e2e::bazel::{bazel_2_1_0, oracle_required, test_cache_dir, BAZEL_VERSION};
use bzls_e2e::say;

#[test]
fn committed_schemas_are_bazels_own_output() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let committed = repo.join(format!(
        "server/data/build-language/bazel-{BAZEL_VERSION}.txt"
    ));
    let root = test_cache_dir().join(format!("bazel-{BAZEL_VERSION}-root"));
    let started = Instant::now();
    let run = Command::new("python3")
        .arg(repo.join("tools/dump-build-language"))
        .arg("--bazel")
        .arg(&bazel)
        .arg("--output-user-root")
        .arg(&root)
        .args(["--output", "-"])
        .stdin(Stdio::null())
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) if !oracle_required() => {
            say!("SKIPPED: cannot run python3 for tools/dump-build-language: {e}");
            return;
        }
        Err(e) => panic!("$CI is set but python3 cannot run: {e}"),
    };
    assert!(
        out.status.success(),
        "tools/dump-build-language failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    say!(
        "dumped Bazel {BAZEL_VERSION}'s build language in {:?}",
        started.elapsed()
    );
    let want = std::fs::read(&committed).expect("read the committed schemas");
    if out.stdout != want {
        let got = String::from_utf8_lossy(&out.stdout);
        let want = String::from_utf8_lossy(&want);
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        panic!(
            "{} is not Bazel's output (run tools/dump-build-language); first difference at line {}:\n  dumped:    {:?}\n  committed: {:?}",
            committed.display(),
            first + 1,
            got.lines().nth(first),
            want.lines().nth(first),
        );
    }
}
