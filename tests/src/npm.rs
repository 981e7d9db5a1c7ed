//! Pinned npm packages installed once into the test cache
//! ([`crate::bazel::test_cache_dir`]): Bazel 2.1.0 for the rc conformance
//! test; Node.js 24, code-server and playwright-core for the VS Code test.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

use crate::say;

/// One `npm install` into `<cache>/<name>`.
pub struct NpmInstall<'a> {
    /// The directory under the cache; name it after the pinned versions,
    /// so that a version change installs afresh.
    pub name: &'a str,
    /// `package@version` specs.
    pub packages: &'a [&'a str],
    /// Extra environment of `npm` (e.g. `PATH` with another Node.js first).
    pub env: Vec<(&'static str, OsString)>,
}

impl NpmInstall<'_> {
    /// Installs the packages into `<cache>/<name>` unless that directory
    /// exists, and returns it. The install goes into a private temporary
    /// directory first, checked with `verify`, then renamed: concurrent
    /// test runs never see a half-installed cache. `Err` says why it could
    /// not be done (no npm, no network, a failed check).
    pub fn run(
        &self,
        cache: &Path,
        verify: impl Fn(&Path) -> Result<(), String>,
    ) -> Result<PathBuf, String> {
        let dir = cache.join(self.name);
        if dir.is_dir() {
            return Ok(dir);
        }
        std::fs::create_dir_all(cache).map_err(|e| format!("create {}: {e}", cache.display()))?;
        let tmp = cache.join(format!("{}.tmp-{}", self.name, unique_suffix()));
        std::fs::create_dir_all(&tmp).map_err(|e| format!("create {}: {e}", tmp.display()))?;
        let started = Instant::now();
        say!(
            "installing {} into {} ...",
            self.packages.join(" "),
            dir.display()
        );
        let output = Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&tmp)
            .args([
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--loglevel=error",
                "--fetch-retries=1",
                "--fetch-timeout=60000",
            ])
            .args(self.packages)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(format!("cannot run npm ({e}); install Node.js/npm"));
            }
        };
        if !output.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!(
                "`npm install {}` failed ({}): {}",
                self.packages.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        if let Err(e) = verify(&tmp) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another test run won the race; use its copy.
            let _ = std::fs::remove_dir_all(&tmp);
        }
        say!(
            "installed {} in {:?}",
            self.packages.join(" "),
            started.elapsed()
        );
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(format!("{} missing after install", dir.display()))
        }
    }
}

/// `<pid>-<nanos>`: a name no other live test process uses.
pub fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}
