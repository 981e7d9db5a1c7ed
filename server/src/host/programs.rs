//! Finding and running other programs (Bazel, buildifier): on `PATH`, with
//! input on stdin, bounded in time and in output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first executable named `name` on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file this user may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What a finished run printed, and how it ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `command` with `input` on its stdin; stops it after `timeout`, and
/// reads at most `max_output` bytes of each of its outputs (the rest is
/// discarded and the run is an error). `Err` says, in words for the user,
/// why it did not finish.
pub fn run_with_input(
    mut command: Command,
    input: &[u8],
    timeout: Duration,
    max_output: usize,
) -> Result<Finished, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("cannot talk to {program}"));
    };
    let limit = max_output as u64 + 1;
    let input = input.to_vec();
    // The three pipes are served at once: a program that writes before it
    // has read all its input would otherwise wait on us while we wait on
    // it.
    let writer = std::thread::spawn(move || {
        // A program that exits without reading all of it closes the pipe;
        // its exit status tells what happened.
        let _ = stdin.write_all(&input);
    });
    let read_all = |pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.take(limit).read_to_end(&mut out);
            out
        })
    };
    let out_reader = read_all(Box::new(stdout));
    let err_reader = read_all(Box::new(stderr));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "{program} did not finish within {} s",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("cannot wait for {program}: {e}"));
            }
        }
    };
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let status = status?;
    if stdout.len() > max_output || stderr.len() > max_output {
        return Err(format!(
            "{program} printed more than {} MB",
            max_output / (1024 * 1024)
        ));
    }
    Ok(Finished {
        code: status.code(),
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn input_goes_in_and_output_comes_out() {
        let big = "x".repeat(1 << 20);
        let done = run_with_input(
            shell("cat; echo err >&2; exit 3"),
            big.as_bytes(),
            Duration::from_secs(10),
            4 << 20,
        )
        .expect("ran");
        assert_eq!(done.code, Some(3));
        assert_eq!(done.stdout.len(), big.len());
        assert_eq!(done.stderr, b"err\n");
    }

    #[test]
    fn a_program_that_hangs_is_stopped() {
        let started = Instant::now();
        let err = run_with_input(
            shell("exec sleep 30"),
            b"",
            Duration::from_millis(100),
            1024,
        )
        .expect_err("timed out");
        assert!(err.contains("did not finish within 0.1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn too_much_output_is_an_error_and_a_missing_program_says_so() {
        let err = run_with_input(
            shell("head -c 5000 /dev/zero"),
            b"",
            Duration::from_secs(10),
            1000,
        )
        .expect_err("too much");
        assert!(err.contains("printed more than"), "{err}");
        let err = run_with_input(
            Command::new("/does/not/exist"),
            b"",
            Duration::from_secs(1),
            10,
        )
        .expect_err("missing");
        assert!(err.contains("cannot run /does/not/exist"), "{err}");
    }
}
