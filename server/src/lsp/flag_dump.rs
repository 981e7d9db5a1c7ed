//! Dumping the flags of the Bazel in use, once, in the background.
//!
//! Only when the user allows running Bazel (`bzls.bazel.allowRun`): the
//! binary is `bzls.bazel.path`, else `bazelisk`, else `bazel` on `PATH`. Its
//! `bazel help flags-as-proto` goes into the cache dir (one file per
//! version), where [`crate::host::flags::choose`] finds it. Nothing waits for
//! it: answers use the built-in databases until it is there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::state::{lock, SharedState};
use crate::flags::dump::dump_flags_in;
use crate::host::flags::cache_dir;
use crate::host::programs::on_path;

/// A dump may take this long (a cold Bazel server starts first).
const DUMP_TIMEOUT: Duration = Duration::from_secs(180);

/// The Bazel binary to run, per the settings.
pub fn bazel_binary(configured: Option<&Path>) -> Option<PathBuf> {
    match configured {
        Some(path) => Some(path.to_path_buf()),
        None => on_path("bazelisk").or_else(|| on_path("bazel")),
    }
}

/// Starts the dump if it is allowed and has not run yet; `then` runs on
/// success (to refresh diagnostics).
pub fn maybe_start(state: &SharedState, then: impl FnOnce() + Send + 'static) {
    let (binary, workspace) = {
        let mut state = lock(state);
        if !state.settings.allow_run || state.flag_dump_started {
            return;
        }
        let Some(binary) = bazel_binary(state.settings.bazel_path.as_deref()) else {
            tracing::info!("no bazel or bazelisk on PATH; using the built-in flag databases");
            return;
        };
        state.flag_dump_started = true;
        (binary, state.root.clone())
    };
    let Some(cache) = cache_dir() else {
        tracing::info!("no cache directory (HOME unset); flags are not dumped");
        return;
    };
    let state = state.clone();
    std::thread::spawn(move || {
        match dump_flags_in(&binary, workspace.as_deref(), &cache, DUMP_TIMEOUT) {
            Ok((version, path)) => {
                tracing::info!(%version, path = %path.display(), "dumped the flags of the Bazel in use");
                {
                    let mut state = lock(&state);
                    state.bazel_version = Some(version);
                    // Select previews read the flag database it chooses.
                    state
                        .analysis
                        .selects()
                        .input_changed(crate::db::selects::SelectInput::BazelVersion);
                }
                then();
            }
            Err(err) => {
                tracing::warn!(binary = %binary.display(), %err, "could not dump Bazel's flags")
            }
        }
    });
}
