//! Real Bazel 2.1.0 as an oracle for `.bazelrc` expansion.
//!
//! - [`bazel_2_1_0`] installs the release binary from npm into the test cache
//!   once and returns its path.
//! - [`BazelServer`] owns one scratch workspace and one Bazel server for a
//!   whole test; dropping it runs `bazel shutdown` and removes its files.
//! - [`Oracle::parse`] turns what one `bazel COMMAND --nobuild --announce_rc
//!   --build_event_json_file=F ARGS...` printed into the effective, ordered
//!   option list with each option's rc file and `--config` chain, or the rc
//!   errors it reported.
//!
//! How the oracle is read (all measured on Bazel 2.1.0):
//!
//! - The Build Event Protocol's "original" command line lists every rc file
//!   read (`--rc_source=PATH`, numbered from 0 = the client's own options)
//!   and every rc token as `--default_override=N:SECTION=TOKEN`, one token
//!   each, exactly as tokenized, per section in read order (imports spliced
//!   in place). That gives the tokens and their files.
//! - Bazel's order of application is rebuilt from those: rc sections by
//!   command priority (`common`, then `build`, then `test`...), each in read
//!   order; then the command line; every `--config=x` followed by the
//!   expansion of `common:x`, `build:x`, ... in place, recursively; with
//!   `--enable_platform_specific_config` true at the end, the `linux`
//!   config's expansion right after the last `--[no]enable_platform_specific_config`.
//! - That rebuilt list is then checked against Bazel's own "canonical"
//!   command line, which is the same list with only the last occurrence of
//!   each single-valued option kept. A disagreement is an oracle error, not
//!   a test verdict.
//! - `--announce_rc`'s stderr gives the rc chunks in application order (also
//!   cross-checked) and the error messages; without a BEP file the options
//!   were rejected.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// `eprintln!` that libtest does not capture: skips and timings show in
/// a plain `cargo test` run.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub const BAZEL_VERSION: &str = "2.1.0";
const NPM_PACKAGE: &str = "@bazel/bazel-linux_x64@2.1.0";
const BINARY_IN_PACKAGE: &str = "node_modules/@bazel/bazel-linux_x64/bazel-2.1.0-linux-x86_64";
/// Orphaned servers (test killed before its guard ran) exit by themselves.
const MAX_IDLE_SECS: u32 = 300;

/// The test cache: `$BZLS_TEST_CACHE`, else `<target dir>/test-cache`.
pub fn test_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BZLS_TEST_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("test-cache");
    }
    // This test executable lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("current_exe");
    match exe.ancestors().nth(3) {
        Some(target) => target.join("test-cache"),
        None => std::env::temp_dir().join("bzls-test-cache"),
    }
}

/// A number from the environment: decimal or `0x`-hex.
pub fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// A conformance test's seed: `$NAME` as a number, a fresh one for
/// `random`, else `default`.
pub fn env_seed(name: &str, default: u64) -> u64 {
    if std::env::var(name).is_ok_and(|v| v.trim() == "random") {
        return SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
    }
    env_number(name).unwrap_or(default)
}

/// Arguments as a shell would need them quoted, for reproduction lines.
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '"', '\'', '\\', '#', '$', '(', ')', ',']) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a missing oracle must fail the test instead of skipping it.
pub fn oracle_required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The Bazel 2.1.0 binary, installed from npm into the test cache on first
/// use. `None`, with the reason printed, when it cannot be had (no npm, no
/// network, not linux-x86_64); under `$CI` a missing Bazel panics instead,
/// so CI really runs the conformance check (except off linux-x86_64, where
/// no such release binary exists).
pub fn bazel_2_1_0() -> Option<PathBuf> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = BIN.get_or_init(|| {
        if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
            return Err("the Bazel 2.1.0 oracle is only available on linux-x86_64".to_owned());
        }
        install(&test_cache_dir())
    });
    match result {
        Ok(bin) => Some(bin.clone()),
        Err(reason) => {
            let supported = cfg!(target_os = "linux") && cfg!(target_arch = "x86_64");
            if oracle_required() && supported {
                panic!("$CI is set but Bazel {BAZEL_VERSION} is unavailable: {reason}");
            }
            say!("SKIPPED: Bazel {BAZEL_VERSION} is unavailable: {reason}");
            None
        }
    }
}

/// Installs the npm package into `<cache>/bazel-2.1.0` (see
/// [`crate::npm::NpmInstall`]).
fn install(cache: &Path) -> Result<PathBuf, String> {
    let dir = crate::npm::NpmInstall {
        name: &format!("bazel-{BAZEL_VERSION}"),
        packages: &[NPM_PACKAGE],
        env: Vec::new(),
    }
    .run(cache, |tmp| {
        let version = Command::new(tmp.join(BINARY_IN_PACKAGE))
            .arg("--version")
            .output();
        match version {
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains(BAZEL_VERSION) => Ok(()),
            other => Err(format!("installed binary does not run: {other:?}")),
        }
    })?;
    let bin = dir.join(BINARY_IN_PACKAGE);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} missing after install", bin.display()))
    }
}

/// One scratch workspace and one Bazel server, for a whole test. Every
/// command runs with a cleared environment (`PATH`, and `HOME` = [`Self::home`]),
/// the default rc files (`/etc/bazel.bazelrc`, `%workspace%/.bazelrc`,
/// `$HOME/.bazelrc`) and `--output_user_root` in the test cache. Dropping it
/// shuts the server down and removes the workspace and output base.
pub struct BazelServer {
    bin: PathBuf,
    /// `<cache>/bazel-2.1.0-runs/<pid>-<n>`: holds `ws/`, `home/`, `outside/`.
    run_dir: PathBuf,
    output_user_root: PathBuf,
    workspace: PathBuf,
    home: PathBuf,
    outside: PathBuf,
    output_base: Option<PathBuf>,
    /// How long the first command (server start) took.
    pub cold_start: Duration,
}

impl BazelServer {
    /// Creates the workspace (an empty `WORKSPACE` and `BUILD`) and starts
    /// the server with `bazel info output_base`.
    pub fn start(bin: &Path) -> BazelServer {
        let cache = test_cache_dir();
        let runs = cache.join(format!("bazel-{BAZEL_VERSION}-runs"));
        remove_stale_runs(&runs);
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, Ordering::Relaxed);
        let run_dir = runs.join(format!("{}-{n}", std::process::id()));
        force_remove_dir(&run_dir);
        let workspace = run_dir.join("ws");
        let home = run_dir.join("home");
        let outside = run_dir.join("outside");
        for dir in [&workspace, &home, &outside] {
            std::fs::create_dir_all(dir).expect("create Bazel scratch dirs");
        }
        let mut server = BazelServer {
            bin: bin.to_owned(),
            output_user_root: cache.join(format!("bazel-{BAZEL_VERSION}-root")),
            workspace: canonical(&workspace),
            home: canonical(&home),
            outside: canonical(&outside),
            run_dir,
            output_base: None,
            cold_start: Duration::ZERO,
        };
        server.reset();
        let started = Instant::now();
        let out = server.run(&["info", "output_base"]);
        server.cold_start = started.elapsed();
        assert!(
            out.status.success(),
            "bazel info failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let base = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let _ = std::fs::write(
            server.run_dir.join("output_base"),
            base.as_os_str().as_encoded_bytes(),
        );
        server.output_base = Some(base);
        server
    }

    /// The workspace root (canonical path): the current directory of every
    /// command and the value of `%workspace%`.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// `$HOME` for Bazel (and for the tool compared with it): its
    /// `.bazelrc` is the home rc.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A scratch directory outside the workspace, for rc files imported by
    /// absolute path.
    pub fn outside(&self) -> &Path {
        &self.outside
    }

    /// Removes every file but `WORKSPACE`, `BUILD` and `.bazelversion` from the workspace,
    /// and empties the home and outside directories.
    pub fn reset(&self) {
        for dir in [&self.workspace, &self.home, &self.outside] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if dir == &self.workspace
                    && (name == "WORKSPACE" || name == "BUILD" || name == ".bazelversion")
                {
                    continue;
                }
                let path = entry.path();
                if path.is_dir() && !path.is_symlink() {
                    force_remove_dir(&path);
                } else {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        std::fs::write(self.workspace.join("WORKSPACE"), "").expect("write WORKSPACE");
        std::fs::write(self.workspace.join("BUILD"), "").expect("write BUILD");
        // Bazel itself ignores it; it makes bzls answer with the 2.1.0 flag
        // database, as it would for a workspace pinned to this version.
        std::fs::write(
            self.workspace.join(".bazelversion"),
            format!("{BAZEL_VERSION}\n"),
        )
        .expect("write .bazelversion");
    }

    /// Runs `bazel STARTUP_OPTIONS ARGS...` in the workspace.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.bin);
        command
            .env_clear()
            .env("HOME", &self.home)
            .current_dir(&self.workspace)
            .stdin(Stdio::null())
            .arg(format!(
                "--output_user_root={}",
                self.output_user_root.display()
            ))
            .arg(format!("--max_idle_secs={MAX_IDLE_SECS}"))
            // The server lives for a few hundred short commands: the quick
            // JIT tier serves those best (measured: ~20% less per command).
            .arg("--host_jvm_args=-XX:TieredStopAtLevel=1")
            .args(args);
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.output().expect("run bazel")
    }

    /// Runs `bazel COMMAND --nobuild --announce_rc
    /// --build_event_json_file=F ARGS...` (no targets: nothing is loaded).
    pub fn expand(&self, command: &str, args: &[String]) -> OracleRun {
        let bep = self.run_dir.join("bep.json");
        let _ = std::fs::remove_file(&bep);
        let mut full = vec![
            command.to_owned(),
            "--nobuild".to_owned(),
            "--announce_rc".to_owned(),
            format!("--build_event_json_file={}", bep.display()),
        ];
        full.extend(args.iter().cloned());
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let out = self.run(&full);
        OracleRun {
            exit_code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            bep: std::fs::read_to_string(&bep).ok(),
        }
    }
}

impl Drop for BazelServer {
    fn drop(&mut self) {
        // The last case's rc files may hold options `shutdown` rejects.
        self.reset();
        let out = self.run(&["shutdown"]);
        if !out.status.success() {
            eprintln!(
                "bazel shutdown failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            // Stop the server this guard started, by its pid.
            let pid_file = self
                .output_base
                .as_ref()
                .map(|base| base.join("server/server.pid.txt"));
            if let Some(pid) = pid_file.and_then(|f| std::fs::read_to_string(f).ok()) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
        if let Some(base) = &self.output_base {
            force_remove_dir(base);
        }
        force_remove_dir(&self.run_dir);
    }
}

/// Removes run directories left by test processes that no longer exist
/// (killed before their guard ran), with their output bases.
fn remove_stale_runs(runs: &Path) {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.split('-').next()?.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        // Its server may still be idling; it ends after MAX_IDLE_SECS.
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(u64::from(MAX_IDLE_SECS) + 60));
        if !old {
            continue;
        }
        if let Ok(base) = std::fs::read_to_string(entry.path().join("output_base")) {
            force_remove_dir(Path::new(base.trim()));
        }
        force_remove_dir(&entry.path());
    }
}

/// `remove_dir_all`, after making read-only directories (Bazel's output
/// base has some) writable.
fn force_remove_dir(path: &Path) {
    fn make_writable(path: &Path) {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return;
        };
        if !meta.is_dir() {
            return;
        }
        let mut perms = meta.permissions();
        if perms.readonly() {
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = std::fs::set_permissions(path, perms);
        }
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                make_writable(&entry.path());
            }
        }
    }
    if !path.exists() {
        return;
    }
    if std::fs::remove_dir_all(path).is_err() {
        make_writable(path);
        let _ = std::fs::remove_dir_all(path);
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// What one oracle command printed.
#[derive(Clone, Debug)]
pub struct OracleRun {
    pub exit_code: Option<i32>,
    pub stderr: String,
    /// The BEP JSON file; absent when Bazel rejected the options.
    pub bep: Option<String>,
}

// ---------------------------------------------------------------------------
// Options.

/// How the flags the conformance test uses take values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arity {
    /// `--name`, `--noname`.
    Boolean,
    /// `--name=value` or `--name value`.
    Value,
}

/// The flags the oracle can normalize: (long name, abbreviation, arity,
/// may be given multiple times). All exist in Bazel 2.1.0 and apply to
/// `build` and `test`.
const FLAGS: &[(&str, Option<char>, Arity, bool)] = &[
    ("action_env", None, Arity::Value, true),
    ("announce_rc", None, Arity::Boolean, false),
    ("build", None, Arity::Boolean, false),
    ("build_event_json_file", None, Arity::Value, false),
    ("compilation_mode", Some('c'), Arity::Value, false),
    ("config", None, Arity::Value, true),
    ("copt", None, Arity::Value, true),
    ("cpu", None, Arity::Value, false),
    ("define", None, Arity::Value, true),
    (
        "enable_platform_specific_config",
        None,
        Arity::Boolean,
        false,
    ),
    ("host_copt", None, Arity::Value, true),
    ("jobs", Some('j'), Arity::Value, false),
    ("keep_going", Some('k'), Arity::Boolean, false),
    ("linkopt", None, Arity::Value, true),
    ("strip", None, Arity::Value, false),
    ("test_arg", None, Arity::Value, true),
    ("test_env", None, Arity::Value, true),
    ("test_output", None, Arity::Value, false),
    ("verbose_failures", None, Arity::Boolean, false),
];

/// The options the harness itself passes to Bazel; not part of the result.
const HARNESS_OPTIONS: &[&str] = &["build", "announce_rc", "build_event_json_file"];

fn flag(name: &str) -> Option<(Arity, bool)> {
    FLAGS.iter().find(|f| f.0 == name).map(|f| (f.2, f.3))
}

fn abbreviation(c: char) -> Option<&'static str> {
    FLAGS.iter().find(|f| f.1 == Some(c)).map(|f| f.0)
}

/// One option, parsed from one or two tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedOption {
    pub name: String,
    /// The value as Bazel's canonical command line shows it: booleans are
    /// `1`/`0`.
    pub value: String,
    pub boolean: bool,
}

impl ParsedOption {
    /// The one-token form of the `bzls rc` contract: `--name=value`,
    /// `--name`, `--noname`.
    pub fn normalized(&self) -> String {
        match (self.boolean, self.value.as_str()) {
            (true, "0") => format!("--no{}", self.name),
            (true, _) => format!("--{}", self.name),
            (false, value) => format!("--{}={value}", self.name),
        }
    }
}

/// Splits tokens into options (`-c opt` → `--compilation_mode=opt`,
/// `--define x=1` → `--define=x=1`, `-k` → `--keep_going`). Returns each
/// option with the index of its first token.
pub fn parse_options<S: AsRef<str>>(tokens: &[S]) -> Result<Vec<(ParsedOption, usize)>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let start = i;
        let token = tokens[i].as_ref();
        i += 1;
        let (name, inline) = if let Some(rest) = token.strip_prefix("--") {
            match rest.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (rest.to_owned(), None),
            }
        } else if let Some(rest) = token.strip_prefix('-') {
            let mut chars = rest.chars();
            match (chars.next().and_then(abbreviation), chars.next()) {
                (Some(name), None) => (name.to_owned(), None),
                _ => return Err(format!("unknown option token {token:?}")),
            }
        } else {
            return Err(format!("non-option token {token:?}"));
        };
        let parsed = match (flag(&name), inline) {
            (Some((Arity::Value, _)), Some(value)) => ParsedOption {
                name,
                value,
                boolean: false,
            },
            (Some((Arity::Value, _)), None) => {
                let Some(value) = tokens.get(i) else {
                    return Err(format!("expected a value after {token:?}"));
                };
                i += 1;
                ParsedOption {
                    name,
                    value: value.as_ref().to_owned(),
                    boolean: false,
                }
            }
            (Some((Arity::Boolean, _)), value) => {
                let value = match value.as_deref() {
                    None | Some("1" | "true" | "yes") => "1",
                    Some("0" | "false" | "no") => "0",
                    Some(other) => return Err(format!("bad boolean {other:?} in {token:?}")),
                };
                ParsedOption {
                    name,
                    value: value.to_owned(),
                    boolean: true,
                }
            }
            (None, None) => match name.strip_prefix("no").map(|n| (n, flag(n))) {
                Some((base, Some((Arity::Boolean, _)))) => ParsedOption {
                    name: base.to_owned(),
                    value: "0".to_owned(),
                    boolean: true,
                },
                _ => return Err(format!("option unknown to the harness: {token:?}")),
            },
            (None, Some(_)) => return Err(format!("option unknown to the harness: {token:?}")),
        };
        out.push((parsed, start));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// The oracle's answer.

/// Where an applied option came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    CommandLine,
    /// An rc file, as an absolute path.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::CommandLine => f.write_str("command line"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The first entry of [`AppliedOption::via`] for options that
/// `--enable_platform_specific_config` pulled in (the `linux` config, with
/// no `--config` token of its own).
pub const PLATFORM_VIA: &str = "--enable_platform_specific_config";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedOption {
    /// Normalized: one `--long_name=value` token, `--name`/`--noname`.
    pub option: String,
    pub source: Source,
    /// The `--config=x` tokens that pulled it in, outermost first.
    pub via: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    UndefinedConfig,
    ConfigCycle,
    MissingImport,
    ImportLoop,
    Other,
}

impl ErrorKind {
    /// Classifies an error message, Bazel's or bzls's, by its words.
    pub fn classify(message: &str) -> ErrorKind {
        let m = message.to_lowercase();
        let import = m.contains("import") || m.contains(".blazerc") || m.contains("rc file");
        if import && (m.contains("loop") || m.contains("cycle") || m.contains("recursive")) {
            ErrorKind::ImportLoop
        } else if m.contains("cycle") || m.contains("expands to itself") || m.contains("loop") {
            ErrorKind::ConfigCycle
        } else if m.contains("not defined")
            || m.contains("undefined")
            || m.contains("unknown config")
            || m.contains("no such config")
        {
            ErrorKind::UndefinedConfig
        } else if m.contains("error reading .blazerc")
            || (import
                && [
                    "not found",
                    "missing",
                    "no such file",
                    "cannot",
                    "can't",
                    "could not",
                    "unable",
                    "error reading",
                    "does not exist",
                    "failed to read",
                ]
                .iter()
                .any(|w| m.contains(w)))
        {
            ErrorKind::MissingImport
        } else {
            ErrorKind::Other
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcError {
    pub kind: ErrorKind,
    pub message: String,
}

/// One rc chunk `--announce_rc` reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Announcement {
    /// `Reading rc options for 'build' from FILE:` + `Inherited 'common'
    /// options: TEXT` / `'build' options: TEXT`. `section` is the rc
    /// section (`common`, `build`), `command` the command run.
    Chunk {
        command: String,
        section: String,
        file: String,
        text: String,
    },
    /// `Found applicable config definition build:x in file FILE: TEXT`.
    ConfigDefinition {
        section: String,
        file: String,
        text: String,
    },
}

/// Bazel's verdict on one command.
#[derive(Clone, Debug, Default)]
pub struct Oracle {
    /// In application order; empty when `errors` is not.
    pub options: Vec<AppliedOption>,
    pub errors: Vec<RcError>,
    pub announcements: Vec<Announcement>,
    pub warnings: Vec<String>,
}

impl Oracle {
    /// Parses one run of `bazel COMMAND --nobuild --announce_rc
    /// --build_event_json_file=F CL_ARGS...`. `Err` means the oracle's
    /// output could not be understood (a harness problem, never a verdict).
    pub fn parse(
        command: &str,
        cl_args: &[String],
        stderr: &str,
        bep: Option<&str>,
    ) -> Result<Oracle, String> {
        let (announcements, warnings, error_messages) = parse_stderr(stderr);
        let bep = bep.map(parse_bep).transpose()?.flatten();
        let Some(bep) = bep else {
            if error_messages.is_empty() {
                return Err(format!(
                    "no BEP command line and no error from Bazel; stderr:\n{stderr}"
                ));
            }
            let errors = error_messages
                .into_iter()
                .map(|message| RcError {
                    kind: ErrorKind::classify(&message),
                    message,
                })
                .collect();
            return Ok(Oracle {
                options: Vec::new(),
                errors,
                announcements,
                warnings,
            });
        };
        let options = reconstruct(command, cl_args, &bep)?;
        check_against_canonical(&options, &bep.canonical)?;
        check_announced_chunks(command, &bep, &announcements)?;
        let options = options
            .into_iter()
            .map(|o| AppliedOption {
                option: o.parsed.normalized(),
                source: o.source,
                via: o.via,
            })
            .collect();
        Ok(Oracle {
            options,
            errors: Vec::new(),
            announcements,
            warnings,
        })
    }
}

/// Splits `--announce_rc` stderr into rc chunks, warnings and errors.
pub fn parse_stderr(stderr: &str) -> (Vec<Announcement>, Vec<String>, Vec<String>) {
    let mut announcements = Vec::new();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let lines: Vec<&str> = stderr.lines().collect();
    let mut i = 0;
    // A message's continuation lines are indented.
    let continuation = |i: usize| -> Vec<&str> {
        lines[i..]
            .iter()
            .take_while(|l| l.starts_with("  "))
            .copied()
            .collect()
    };
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(rest) = line
            .strip_prefix("INFO: Reading rc options for '")
            .and_then(|r| r.strip_suffix(':'))
        {
            let Some((command, file)) = rest.split_once("' from ") else {
                continue;
            };
            let Some(next) = lines.get(i) else { continue };
            let next = next.trim_start();
            let (section, text) = if let Some(r) = next.strip_prefix("Inherited '") {
                match r.split_once("' options: ") {
                    Some((s, t)) => (s, t),
                    None => continue,
                }
            } else if let Some(r) = next.strip_prefix('\'') {
                match r.split_once("' options: ") {
                    Some((s, t)) => (s, t),
                    None => continue,
                }
            } else {
                continue;
            };
            i += 1;
            announcements.push(Announcement::Chunk {
                command: command.to_owned(),
                section: section.to_owned(),
                file: file.to_owned(),
                text: text.to_owned(),
            });
        } else if let Some(rest) = line.strip_prefix("INFO: Found applicable config definition ") {
            let Some((section, rest)) = rest.split_once(" in file ") else {
                continue;
            };
            let Some((file, text)) = rest.split_once(": ") else {
                continue;
            };
            announcements.push(Announcement::ConfigDefinition {
                section: section.to_owned(),
                file: file.to_owned(),
                text: text.to_owned(),
            });
        } else if let Some(rest) = line.strip_prefix("ERROR: ") {
            let more = continuation(i);
            i += more.len();
            errors.push(join_message(rest, &more));
        } else if let Some(rest) = line.strip_prefix("WARNING: ") {
            let more = continuation(i);
            i += more.len();
            warnings.push(join_message(rest, &more));
        } else if line.starts_with("[FATAL ") {
            // The C++ client: `[FATAL 04:53:13.959 src/main/cpp/blaze.cc:1313] message`.
            let rest = line.split_once("] ").map_or(line, |(_, m)| m);
            let more = continuation(i);
            i += more.len();
            errors.push(join_message(rest, &more));
        }
    }
    (announcements, warnings, errors)
}

fn join_message(first: &str, more: &[&str]) -> String {
    let mut message = first.trim_end().to_owned();
    for line in more {
        message.push('\n');
        message.push_str(line.trim());
    }
    message
}

/// What the BEP's structured command lines say.
#[derive(Clone, Debug, Default)]
pub struct BepCommandLine {
    /// `--rc_source` values by index; 0 is `client`.
    pub rc_sources: Vec<String>,
    /// `--default_override=N:SECTION=TOKEN`, by section, in order.
    pub overrides: BTreeMap<String, Vec<(usize, String)>>,
    /// The canonical command line's options: (name, value), harness and
    /// hidden options left out.
    pub canonical: Vec<(String, String)>,
}

/// `Ok(None)` when the file has no canonical command line (it always has
/// one when Bazel accepted the options).
pub fn parse_bep(json_lines: &str) -> Result<Option<BepCommandLine>, String> {
    let mut original = None;
    let mut canonical = None;
    for line in json_lines.lines().filter(|l| !l.trim().is_empty()) {
        let event: Value =
            serde_json::from_str(line).map_err(|e| format!("bad BEP line: {e}: {line}"))?;
        let Some(cl) = event.get("structuredCommandLine") else {
            continue;
        };
        let options: Vec<Value> = cl["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["sectionLabel"] == "command options")
            .flat_map(|s| {
                s["optionList"]["option"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        match cl["commandLineLabel"].as_str() {
            Some("original") => original = Some(options),
            Some("canonical") => canonical = Some(options),
            _ => {}
        }
    }
    let (Some(original), Some(canonical)) = (original, canonical) else {
        return Ok(None);
    };
    let mut out = BepCommandLine::default();
    for option in &original {
        let value = option["optionValue"].as_str().unwrap_or("");
        match option["optionName"].as_str() {
            Some("rc_source") => out.rc_sources.push(value.to_owned()),
            Some("default_override") => {
                let (index, rest) = value
                    .split_once(':')
                    .ok_or_else(|| format!("bad default_override {value:?}"))?;
                let index: usize = index
                    .parse()
                    .map_err(|_| format!("bad default_override {value:?}"))?;
                let (section, token) = rest
                    .split_once('=')
                    .ok_or_else(|| format!("bad default_override {value:?}"))?;
                out.overrides
                    .entry(section.to_owned())
                    .or_default()
                    .push((index, token.to_owned()));
            }
            _ => {}
        }
    }
    for option in &canonical {
        let hidden = option["metadataTags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t == "HIDDEN"));
        let Some(name) = option["optionName"].as_str() else {
            continue;
        };
        if hidden || HARNESS_OPTIONS.contains(&name) {
            continue;
        }
        let value = option["optionValue"].as_str().unwrap_or("");
        out.canonical.push((name.to_owned(), value.to_owned()));
    }
    Ok(Some(out))
}

/// The rc sections applying to `command`, by priority.
pub fn command_sections(command: &str) -> Vec<&str> {
    match command {
        "test" => vec!["common", "build", "test"],
        other => vec!["common", other],
    }
}

/// One rc section's options, each with its file.
type SectionOptions = Result<Vec<(ParsedOption, Source)>, String>;

struct Rebuilt {
    parsed: ParsedOption,
    source: Source,
    via: Vec<String>,
}

/// Rebuilds Bazel's application order from the rc tokens (see the module
/// docs).
fn reconstruct(
    command: &str,
    cl_args: &[String],
    bep: &BepCommandLine,
) -> Result<Vec<Rebuilt>, String> {
    let sections = command_sections(command);
    let file = |index: usize| -> Result<Source, String> {
        bep.rc_sources
            .get(index)
            .map(|p| Source::File(PathBuf::from(p)))
            .ok_or_else(|| format!("rc source #{index} not listed"))
    };
    // Parses the tokens of one rc section; each option's source is its
    // first token's file.
    let section_options = |section: &str| -> SectionOptions {
        let tokens: Vec<&(usize, String)> = bep
            .overrides
            .get(section)
            .into_iter()
            .flatten()
            .filter(|(index, _)| *index != 0)
            .collect();
        let texts: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        parse_options(&texts)
            .map_err(|e| format!("section {section}: {e}"))?
            .into_iter()
            .map(|(parsed, at)| Ok((parsed, file(tokens[at].0)?)))
            .collect()
    };

    fn expand(
        out: &mut Vec<Rebuilt>,
        parsed: ParsedOption,
        source: Source,
        via: &[String],
        config_sections: &dyn Fn(&str) -> SectionOptions,
    ) -> Result<(), String> {
        let config = (parsed.name == "config").then(|| parsed.value.clone());
        out.push(Rebuilt {
            parsed,
            source,
            via: via.to_vec(),
        });
        if let Some(name) = config {
            let token = format!("--config={name}");
            if via.contains(&token) || via.len() > 32 {
                return Err(format!(
                    "config cycle through {token} but Bazel accepted it"
                ));
            }
            let mut inner = via.to_vec();
            inner.push(token);
            for (p, s) in config_sections(&name)? {
                expand(out, p, s, &inner, config_sections)?;
            }
        }
        Ok(())
    }
    let config_sections = |name: &str| -> SectionOptions {
        let mut all = Vec::new();
        for section in &sections {
            all.extend(section_options(&format!("{section}:{name}"))?);
        }
        Ok(all)
    };

    let mut out = Vec::new();
    for section in &sections {
        for (parsed, source) in section_options(section)? {
            expand(&mut out, parsed, source, &[], &config_sections)?;
        }
    }
    for (parsed, _) in parse_options(cl_args).map_err(|e| format!("command line: {e}"))? {
        expand(&mut out, parsed, Source::CommandLine, &[], &config_sections)?;
    }
    let last_platform = out
        .iter()
        .rposition(|o| o.parsed.name == "enable_platform_specific_config");
    if let Some(at) = last_platform {
        if out[at].parsed.value == "1" {
            let mut platform = Vec::new();
            for (p, s) in config_sections("linux")? {
                expand(
                    &mut platform,
                    p,
                    s,
                    &[PLATFORM_VIA.to_owned()],
                    &config_sections,
                )?;
            }
            out.splice(at + 1..at + 1, platform);
        }
    }
    Ok(out)
}

/// Bazel's canonical list is the applied list with only the last
/// occurrence of each single-valued option.
fn check_against_canonical(
    options: &[Rebuilt],
    canonical: &[(String, String)],
) -> Result<(), String> {
    let mut seen = HashSet::new();
    let mut kept: Vec<(String, String)> = Vec::new();
    for o in options.iter().rev() {
        let multiple = flag(&o.parsed.name).is_some_and(|f| f.1);
        if multiple || seen.insert(o.parsed.name.clone()) {
            kept.push((o.parsed.name.clone(), o.parsed.value.clone()));
        }
    }
    kept.reverse();
    if kept == canonical {
        return Ok(());
    }
    let show = |list: &[(String, String)]| {
        list.iter()
            .map(|(n, v)| format!("  {n}={v}\n"))
            .collect::<String>()
    };
    Err(format!(
        "the rebuilt option order disagrees with Bazel's canonical command line\nrebuilt (deduplicated):\n{}canonical:\n{}",
        show(&kept),
        show(canonical)
    ))
}

/// The rc chunks `--announce_rc` printed must be the rc sections' tokens,
/// file by file, in the order rebuilt.
fn check_announced_chunks(
    command: &str,
    bep: &BepCommandLine,
    announcements: &[Announcement],
) -> Result<(), String> {
    fn push(list: &mut Vec<(String, String, String)>, section: &str, file: &str, text: &str) {
        match list.last_mut() {
            Some(last) if last.0 == section && last.1 == file => {
                last.2.push(' ');
                last.2.push_str(text);
            }
            _ => list.push((section.to_owned(), file.to_owned(), text.to_owned())),
        }
    }
    let mut announced = Vec::new();
    for a in announcements {
        if let Announcement::Chunk {
            section,
            file,
            text,
            ..
        } = a
        {
            push(&mut announced, section, file, text);
        }
    }
    let mut rebuilt = Vec::new();
    for section in command_sections(command) {
        for (index, token) in bep.overrides.get(section).into_iter().flatten() {
            if *index == 0 {
                continue;
            }
            let file = bep.rc_sources.get(*index).map_or("?", String::as_str);
            push(&mut rebuilt, section, file, token);
        }
    }
    if announced == rebuilt {
        Ok(())
    } else {
        Err(format!(
            "--announce_rc chunks disagree with the BEP's rc tokens\nannounced: {announced:#?}\nfrom BEP: {rebuilt:#?}"
        ))
    }
}
