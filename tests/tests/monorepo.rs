//! The synthetic monorepo is a workspace that builds, so `bzls check` must
//! find no unresolved label in it.

use std::process::Command;

use bzls_e2e::monorepo::{generate, MonorepoSpec};
use bzls_e2e::{bzls_bin, TempDir};
use serde_json::Value;

#[test]
fn generated_monorepo_checks_clean() {
    let dir = TempDir::new("monorepo");
    let summary = generate(dir.path(), &MonorepoSpec::new(50, 1)).expect("generate");
    assert_eq!(summary.packages, 53);
    let out = Command::new(bzls_bin())
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("run bzls");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let diagnostics = report.as_array().expect("a list");
    let unresolved: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| {
            d["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("unresolved-"))
        })
        .collect();
    assert!(unresolved.is_empty(), "{unresolved:#?}");
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
