//! The real buildifier 8.2.1, from the npm package `@bazel/buildifier`
//! (which ships the Linux binary), installed once into the test cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::bazel::{oracle_required, test_cache_dir};
use crate::say;

const VERSION: &str = "8.2.1";
const NPM_PACKAGE: &str = "@bazel/buildifier@8.2.1";
const BINARY_IN_PACKAGE: &str = "node_modules/@bazel/buildifier/buildifier-linux_amd64";

/// The buildifier 8.2.1 binary. `None`, with the reason printed, when it
/// cannot be had (no npm, no network, not linux-x86_64); under `$CI` a
/// missing buildifier panics instead (on linux-x86_64).
pub fn buildifier_8_2_1() -> Option<PathBuf> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let supported = cfg!(target_os = "linux") && cfg!(target_arch = "x86_64");
    let result = BIN.get_or_init(|| {
        if !supported {
            return Err("the buildifier binary is used on linux-x86_64 only".to_owned());
        }
        install(&test_cache_dir())
    });
    match result {
        Ok(bin) => Some(bin.clone()),
        Err(reason) => {
            if oracle_required() && supported {
                panic!("$CI is set but buildifier {VERSION} is unavailable: {reason}");
            }
            say!("SKIPPED: buildifier {VERSION} is unavailable: {reason}");
            None
        }
    }
}

/// What buildifier `bin` prints for `text` with `args`, run in `root` (as
/// the server runs it, so that a `.buildifier.json` there applies).
pub fn run(bin: &Path, root: &Path, args: &[&str], text: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(root)
        .env("PWD", root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run buildifier");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn install(cache: &Path) -> Result<PathBuf, String> {
    let dir = crate::npm::NpmInstall {
        name: &format!("buildifier-{VERSION}"),
        packages: &[NPM_PACKAGE],
        env: Vec::new(),
    }
    .run(cache, |tmp| {
        let bin = tmp.join(BINARY_IN_PACKAGE);
        make_executable(&bin)?;
        match Command::new(&bin).arg("--version").output() {
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains(VERSION) => Ok(()),
            other => Err(format!("installed binary does not run: {other:?}")),
        }
    })?;
    let bin = dir.join(BINARY_IN_PACKAGE);
    make_executable(&bin)?;
    Ok(bin)
}

/// npm does not always keep the executable bit of a package's files.
fn make_executable(bin: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", bin.display()))
}
