//! Flag databases from the user's own Bazel: runs `bazel --version` and
//! `bazel help flags-as-proto`, and caches the dump per version as
//! `<cache_dir>/bazel-<version>.flags.pb` (raw protobuf, like the embedded
//! dumps before compression).
//!
//! This is the only part of the flags module that does I/O. Every child
//! process runs under a deadline and is killed (with its process group, on
//! Unix) when the deadline passes, so no call blocks forever.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::base64::{self, Base64Error};
use super::db::FlagDb;
use super::proto::{decode_flag_collection, DecodeError};
use super::version::BazelVersion;

/// Output kept from one stream of a child; the rest is read and dropped.
const MAX_OUTPUT: usize = 64 << 20;

/// How much of stderr an error message quotes (its end).
const STDERR_TAIL: usize = 2000;

/// How long to wait for a child's output after it exited, at least, when the
/// deadline has passed (a grandchild may hold the pipes open).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// Why no dump was produced.
#[derive(Debug)]
#[non_exhaustive]
pub enum DumpError {
    /// The program could not be started.
    Spawn { program: PathBuf, source: io::Error },
    /// The command did not finish before the deadline and was killed.
    TimedOut { command: String },
    /// The command exited unsuccessfully; `stderr` is the end of its stderr.
    Failed {
        command: String,
        status: ExitStatus,
        stderr: String,
    },
    /// `bazel --version` printed no `bazel <version>` line (development
    /// builds print `bazel no_version`).
    UnknownVersion { output: String },
    /// The dump is not base64.
    NotBase64(Base64Error),
    /// The decoded dump is not a `FlagCollection`.
    Decode(DecodeError),
    /// The dump decoded to no flags at all.
    Empty,
    /// Writing the cache failed.
    Io { path: PathBuf, source: io::Error },
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::Spawn { program, source } => {
                write!(f, "cannot run {}: {source}", program.display())
            }
            DumpError::TimedOut { command } => write!(f, "`{command}` timed out"),
            DumpError::Failed {
                command,
                status,
                stderr,
            } => write!(f, "`{command}` failed ({status}): {stderr}"),
            DumpError::UnknownVersion { output } => {
                write!(f, "no Bazel version in `bazel --version` output {output:?}")
            }
            DumpError::NotBase64(e) => write!(f, "flags dump: {e}"),
            DumpError::Decode(e) => write!(f, "flags dump: {e}"),
            DumpError::Empty => write!(f, "flags dump has no flags"),
            DumpError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for DumpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DumpError::Spawn { source, .. } | DumpError::Io { source, .. } => Some(source),
            DumpError::NotBase64(e) => Some(e),
            DumpError::Decode(e) => Some(e),
            _ => None,
        }
    }
}

/// The cache file for `version`: `<cache_dir>/bazel-<number>.flags.pb`, with
/// characters other than `[A-Za-z0-9._+-]` replaced by `_`.
pub fn cache_path(cache_dir: &Path, version: &BazelVersion) -> PathBuf {
    let number: String = version
        .number()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache_dir.join(format!("bazel-{number}.flags.pb"))
}

/// The cached database of `version`, if its file exists and decodes.
pub fn load_cached(cache_dir: &Path, version: &BazelVersion) -> Option<FlagDb> {
    let bytes = fs::read(cache_path(cache_dir, version)).ok()?;
    let mut flags = super::proto::decode_flag_collection(&bytes).ok()?;
    if let Ok(help) = fs::read_to_string(help_path(cache_dir, version)) {
        merge_help(&mut flags, &help);
    }
    Some(FlagDb::from_flags(&version.number(), flags)).filter(|db| !db.is_empty())
}

/// The cache file for the defaults from `bazel help COMMAND --long`:
/// `<cache_dir>/bazel-<number>.help.txt`, Bazel's own help lines.
pub fn help_path(cache_dir: &Path, version: &BazelVersion) -> PathBuf {
    let pb = cache_path(cache_dir, version);
    pb.with_extension("").with_extension("help.txt")
}

/// One option line of `bazel help COMMAND --long`:
/// `  --[no]keep_going [-k] (a boolean; default: "false")` gives
/// `("keep_going", Some("false"), "a boolean")`.
pub fn parse_help_line(line: &str) -> Option<(String, Option<String>, String)> {
    let rest = line.trim_start().strip_prefix("--")?;
    let rest = rest.strip_prefix("[no]").unwrap_or(rest);
    let name_end = rest.find(' ')?;
    let name = &rest[..name_end];
    let open = rest.find(" (")?;
    let inner = rest[open + 2..].trim_end().strip_suffix(')')?;
    let (description, default) = match inner.rsplit_once("; default: ") {
        Some((d, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('"')
                .and_then(|d| d.strip_suffix('"'))
                .unwrap_or(default);
            (d, Some(default.to_string()))
        }
        None => (inner, None),
    };
    let description = description.split("; ").next().unwrap_or(description).trim();
    (!name.is_empty()).then(|| (name.to_string(), default, description.to_string()))
}

/// Fills defaults and value descriptions in from saved help lines.
fn merge_help(flags: &mut [super::FlagInfo], help: &str) {
    let by_name: std::collections::HashMap<String, usize> = flags
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    for (name, default, description) in help.lines().filter_map(parse_help_line) {
        if let Some(&i) = by_name.get(&name) {
            let flag = &mut flags[i];
            if flag.default_value.is_none() {
                flag.default_value = default;
                flag.value_description = Some(description);
            }
        }
    }
}

/// [`dump_flags_in`] from the current directory.
pub fn dump_flags(
    bazel: &Path,
    cache_dir: &Path,
    timeout: Duration,
) -> Result<(BazelVersion, PathBuf), DumpError> {
    dump_flags_in(bazel, None, cache_dir, timeout)
}

/// Makes sure the cache holds the flags of the Bazel that `bazel` runs, and
/// returns its version and the cache file.
///
/// Runs `bazel --version`; if the cache has no valid file for that version,
/// runs `bazel help flags-as-proto`, decodes and validates the output and
/// writes it atomically (temporary file, then rename). Both commands share
/// one `timeout`. Run it in the workspace (`workdir`) so that Bazelisk picks
/// the workspace's version and an already running Bazel server is reused.
pub fn dump_flags_in(
    bazel: &Path,
    workdir: Option<&Path>,
    cache_dir: &Path,
    timeout: Duration,
) -> Result<(BazelVersion, PathBuf), DumpError> {
    let deadline = Instant::now() + timeout;
    let output = run(bazel, workdir, &["--version"], deadline)?;
    let text = String::from_utf8_lossy(&output);
    let version =
        BazelVersion::from_version_output(&text).ok_or_else(|| DumpError::UnknownVersion {
            output: text.chars().take(200).collect(),
        })?;
    let path = cache_path(cache_dir, &version);
    if load_cached(cache_dir, &version).is_some() {
        return Ok((version, path));
    }
    let output = run(bazel, workdir, &["help", "flags-as-proto"], deadline)?;
    let bytes = decode_dump(&output)?;
    // Defaults are not in the proto: keep `help COMMAND --long`'s option
    // lines too, best effort (a failing command only loses its defaults).
    let mut help = String::new();
    if let Ok(flags) = super::proto::decode_flag_collection(&bytes) {
        let mut commands: Vec<&str> = flags
            .iter()
            .flat_map(|f| f.commands.iter().map(String::as_str))
            .filter(|c| *c != "startup")
            .collect();
        commands.sort_unstable();
        commands.dedup();
        for command in commands {
            if let Ok(out) = run(bazel, workdir, &["help", command, "--long"], deadline) {
                let text = String::from_utf8_lossy(&out);
                for line in text.lines().filter(|l| parse_help_line(l).is_some()) {
                    help.push_str(line.trim());
                    help.push('\n');
                }
            }
        }
    }
    if !help.is_empty() {
        let help_file = help_path(cache_dir, &version);
        write_atomically(&help_file, help.as_bytes()).map_err(|source| DumpError::Io {
            path: help_file.clone(),
            source,
        })?;
    }
    write_atomically(&path, &bytes).map_err(|source| DumpError::Io {
        path: path.clone(),
        source,
    })?;
    Ok((version, path))
}

/// Decodes the base64 stdout of `bazel help flags-as-proto` and checks that
/// it is a non-empty `FlagCollection`. If the whole output does not decode
/// (a wrapper script printed something too), each line is tried, longest
/// first.
pub fn decode_dump(stdout: &[u8]) -> Result<Vec<u8>, DumpError> {
    fn attempt(text: &str) -> Result<Vec<u8>, DumpError> {
        let bytes = base64::decode(text).map_err(DumpError::NotBase64)?;
        let flags = decode_flag_collection(&bytes).map_err(DumpError::Decode)?;
        if flags.is_empty() {
            return Err(DumpError::Empty);
        }
        Ok(bytes)
    }
    let text = String::from_utf8_lossy(stdout);
    let error = match attempt(&text) {
        Ok(bytes) => return Ok(bytes),
        Err(error) => error,
    };
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() < 2 {
        return Err(error);
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.len()));
    lines.into_iter().find_map(|l| attempt(l).ok()).ok_or(error)
}

/// Writes `bytes` to `path` so that readers see the old file or the whole
/// new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn spawn(command: &mut Command, program: &Path) -> Result<Child, DumpError> {
    // A script written just before may still be open for writing in a
    // process forked meanwhile (ETXTBSY); that passes quickly.
    let mut attempts = 0;
    loop {
        match command.spawn() {
            Ok(child) => return Ok(child),
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 20 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(DumpError::Spawn {
                    program: program.to_path_buf(),
                    source,
                })
            }
        }
    }
}

/// Reads a stream to its end on a thread, keeping at most `MAX_OUTPUT`
/// bytes, and sends them on `tx` tagged with `tag`.
fn drain<R: Read + Send + 'static>(stream: Option<R>, tag: u8, tx: mpsc::Sender<(u8, Vec<u8>)>) {
    let Some(mut stream) = stream else {
        let _ = tx.send((tag, Vec::new()));
        return;
    };
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = MAX_OUTPUT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send((tag, kept));
    });
}

/// Kills the child and, on Unix, the process group it leads.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `program args` and returns its stdout, or an error if it cannot
/// start, fails, or is still running at `deadline`.
fn run(
    program: &Path,
    workdir: Option<&Path>,
    args: &[&str],
    deadline: Instant,
) -> Result<Vec<u8>, DumpError> {
    let describe = || format!("{} {}", program.display(), args.join(" "));
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = workdir {
        command.current_dir(dir);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a timeout also ends what it started.
        command.process_group(0);
    }
    let mut child = spawn(&mut command, program)?;
    let (tx, rx) = mpsc::channel();
    drain(child.stdout.take(), 0, tx.clone());
    drain(child.stderr.take(), 1, tx);

    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                let now = Instant::now();
                if now >= deadline {
                    kill(&mut child);
                    return Err(DumpError::TimedOut {
                        command: describe(),
                    });
                }
                thread::sleep(pause.min(deadline - now));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(source) => {
                kill(&mut child);
                return Err(DumpError::Spawn {
                    program: program.to_path_buf(),
                    source,
                });
            }
        }
    };

    let output_deadline = deadline.max(Instant::now() + OUTPUT_GRACE);
    let (mut stdout, mut stderr) = (None, None);
    while stdout.is_none() || stderr.is_none() {
        let left = output_deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((0, bytes)) => stdout = Some(bytes),
            Ok((_, bytes)) => stderr = Some(bytes),
            Err(_) => {
                // Something the child started still holds the pipes.
                kill(&mut child);
                return Err(DumpError::TimedOut {
                    command: describe(),
                });
            }
        }
    }
    let stdout = stdout.unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr.unwrap_or_default()).into_owned();
        let tail_start = stderr
            .char_indices()
            .rev()
            .nth(STDERR_TAIL)
            .map_or(0, |(i, _)| i);
        return Err(DumpError::Failed {
            command: describe(),
            status,
            stderr: stderr[tail_start..].trim().to_string(),
        });
    }
    Ok(stdout)
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn help_lines_give_defaults() {
        // Lines as Bazel 2.1.0's `help build --long` prints them.
        assert_eq!(
            parse_help_line("  --[no]keep_going [-k] (a boolean; default: \"false\")"),
            Some((
                "keep_going".into(),
                Some("false".into()),
                "a boolean".into()
            ))
        );
        assert_eq!(
            parse_help_line(
                "  --compilation_mode [-c] (fastbuild, dbg or opt; default: \"fastbuild\")"
            ),
            Some((
                "compilation_mode".into(),
                Some("fastbuild".into()),
                "fastbuild, dbg or opt".into()
            ))
        );
        assert_eq!(
            parse_help_line("  --repository_cache (a path; default: see description)"),
            Some((
                "repository_cache".into(),
                Some("see description".into()),
                "a path".into()
            ))
        );
        assert_eq!(
            parse_help_line("  --distdir (a path; may be used multiple times)"),
            Some(("distdir".into(), None, "a path".into()))
        );
        assert_eq!(parse_help_line("    Continue as much as possible."), None);
        assert_eq!(parse_help_line("  --"), None);
    }

    use super::*;
    use crate::flags::test_util::{base64_encode, collection, flag_message};
    use std::os::unix::fs::PermissionsExt;

    use crate::fixture::TempDir;

    fn script(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("bazel");
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn sample_dump() -> Vec<u8> {
        collection(&[
            flag_message("keep_going", &["build", "test"], true),
            flag_message("jobs", &["build", "test"], false),
        ])
    }

    /// A fake `bazel` that prints `version` and the sample dump (after an
    /// optional noise line), counting `help` calls in `help-calls`.
    fn fake_bazel(dir: &Path, version_line: &str, noise: &str) -> PathBuf {
        let dump = dir.join("dump.b64");
        fs::write(&dump, format!("{noise}{}\n", base64_encode(&sample_dump()))).expect("write");
        let calls = dir.join("help-calls");
        script(
            dir,
            &format!(
                "case \"$1\" in\n\
                 --version) echo '{version_line}' ;;\n\
                 help) [ \"$2\" = flags-as-proto ] || exit 2; echo x >> '{}'; cat '{}' ;;\n\
                 *) exit 2 ;;\n\
                 esac",
                calls.display(),
                dump.display()
            ),
        )
    }

    fn help_calls(dir: &Path) -> usize {
        fs::read_to_string(dir.join("help-calls")).map_or(0, |s| s.lines().count())
    }

    #[test]
    fn dumps_once_then_uses_the_cache() {
        let tmp = TempDir::new("cache");
        let bazel = fake_bazel(&tmp.0, "bazel 99.1.0rc2", "");
        let cache = tmp.0.join("cache");
        let timeout = Duration::from_secs(20);

        let (version, path) = dump_flags(&bazel, &cache, timeout).expect("dumps");
        assert_eq!(version.number(), "99.1.0rc2");
        assert_eq!(path, cache.join("bazel-99.1.0rc2.flags.pb"));
        assert_eq!(fs::read(&path).expect("cached"), sample_dump());
        assert_eq!(help_calls(&tmp.0), 1);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(&cache).expect("dir").count(), 1);

        let db = load_cached(&cache, &version).expect("loads");
        assert_eq!(db.version(), "99.1.0rc2");
        assert_eq!(db.len(), 2);
        assert!(db.get("keep_going").is_some_and(|f| f.has_negative_flag));

        // Second run: the cache answers.
        let (again, _) = dump_flags_in(&bazel, Some(&tmp.0), &cache, timeout).expect("cached");
        assert_eq!(again, version);
        assert_eq!(help_calls(&tmp.0), 1);

        // A corrupt cache file is replaced.
        fs::write(&path, b"\xff\xff").expect("corrupt");
        assert!(load_cached(&cache, &version).is_none());
        dump_flags(&bazel, &cache, timeout).expect("re-dumps");
        assert_eq!(help_calls(&tmp.0), 2);
        assert!(load_cached(&cache, &version).is_some());
    }

    #[test]
    fn tolerates_wrapper_noise() {
        let tmp = TempDir::new("noise");
        let bazel = fake_bazel(&tmp.0, "bazel 99.2.0", "Running tools/bazel wrapper\n");
        let cache = tmp.0.join("cache");
        let (version, _) = dump_flags(&bazel, &cache, Duration::from_secs(20)).expect("dumps");
        assert!(load_cached(&cache, &version).is_some());
    }

    #[test]
    fn reports_failures() {
        let tmp = TempDir::new("fail");
        let cache = tmp.0.join("cache");
        let timeout = Duration::from_secs(20);

        let bazel = script(&tmp.0, "echo 'bazel no_version'");
        assert!(matches!(
            dump_flags(&bazel, &cache, timeout),
            Err(DumpError::UnknownVersion { .. })
        ));

        let bazel = script(
            &tmp.0,
            "if [ \"$1\" = --version ]; then echo 'bazel 99.3.0'; else echo 'boom' >&2; exit 3; fi",
        );
        match dump_flags(&bazel, &cache, timeout) {
            Err(DumpError::Failed { stderr, .. }) => assert_eq!(stderr, "boom"),
            other => panic!("unexpected {other:?}"),
        }

        let bazel = script(
            &tmp.0,
            "if [ \"$1\" = --version ]; then echo 'bazel 99.3.0'; else echo 'not base64!'; fi",
        );
        assert!(matches!(
            dump_flags(&bazel, &cache, timeout),
            Err(DumpError::NotBase64(_))
        ));
        assert!(!cache_path(&cache, &BazelVersion::parse("99.3.0").expect("v")).exists());

        let missing = tmp.0.join("no-such-bazel");
        assert!(matches!(
            dump_flags(&missing, &cache, timeout),
            Err(DumpError::Spawn { .. })
        ));
    }

    #[test]
    fn kills_a_hanging_bazel() {
        let tmp = TempDir::new("hang");
        // `sleep` is a grandchild holding the pipes; the process group goes.
        let bazel = script(&tmp.0, "sleep 30\necho 'bazel 1.0.0'");
        let start = Instant::now();
        let result = dump_flags(&bazel, &tmp.0.join("cache"), Duration::from_millis(300));
        assert!(
            matches!(result, Err(DumpError::TimedOut { .. })),
            "{result:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn decode_dump_checks_content() {
        let good = base64_encode(&sample_dump());
        assert_eq!(decode_dump(good.as_bytes()).expect("good"), sample_dump());
        assert!(matches!(decode_dump(b""), Err(DumpError::Empty)));
        assert!(matches!(decode_dump(b"AAAA"), Err(DumpError::Decode(_))));
        let noisy = format!("INFO: noise\n{good}\nmore noise\n");
        assert_eq!(decode_dump(noisy.as_bytes()).expect("noisy"), sample_dump());
    }

    #[test]
    fn cache_file_names_are_sanitised() {
        let mut version = BazelVersion::parse("7.1.0").expect("v");
        version.pre = Some("-x/../y".into());
        assert_eq!(
            cache_path(Path::new("/c"), &version),
            Path::new("/c/bazel-7.1.0-x_.._y.flags.pb")
        );
    }
}
