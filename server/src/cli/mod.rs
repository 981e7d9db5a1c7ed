//! The command line: `bzls serve`, `bzls check`, `bzls rc`, `bzls select`, `--version`, `--help`.

mod check;
mod rc;
mod select;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::syntax::starlark_ast::STARLARK_STACK_SIZE;

pub use check::{check_paths, CheckOutcome, FileDiagnostic};

/// A language server for Bazel: BUILD, .bzl, WORKSPACE, MODULE.bazel and .bazelrc files.
#[derive(Parser, Debug)]
#[command(name = "bzls", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the language server on stdin/stdout (logs go to stderr; set BZLS_LOG=debug for more).
    Serve,
    /// Report the diagnostics the server would show, for CI.
    ///
    /// Exit status: 0 without errors, 1 with errors, 2 on usage or I/O failure.
    Check(CheckArgs),
    /// Print the effective options of `bazel COMMAND ARGS` after the rc files, one per line, with provenance.
    ///
    /// Startup options `--[no]system_rc`, `--[no]workspace_rc`, `--[no]home_rc` and `--bazelrc=FILE` may precede COMMAND.
    /// Exit status: 0 without errors, 1 with rc errors, 2 on usage or I/O failure.
    Rc(rc::RcArgs),
    /// Show which branch each select() of a target takes under `bazel COMMAND BAZEL_ARGS`, and why.
    ///
    /// BAZEL_ARGS (after `--`) are expanded with the workspace's rc files, as bazel would.
    /// Exit status: 0 when the target resolved, 1 when it is in error (ambiguous, no match, rc error),
    /// 2 on usage or I/O failure, 3 when bzls cannot decide statically.
    Select(select::SelectArgs),
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Files or directories to check. Default: the workspace around the current directory.
    pub paths: Vec<std::path::PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: severity[code]: message`, 1-based.
    Text,
    /// A JSON array of `{file, range, severity, code, message}`, 0-based UTF-16 positions.
    Json,
}

/// Runs the CLI and returns the process exit code, on a thread with
/// [`STARLARK_STACK_SIZE`] of stack: every command may parse and evaluate
/// Starlark, whose crates recurse (see
/// [`crate::syntax::starlark_ast::recursion_depth`]).
pub fn run() -> ExitCode {
    let main = std::thread::Builder::new()
        .name("bzls-main".to_owned())
        .stack_size(STARLARK_STACK_SIZE)
        .spawn(run_here);
    match main.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        // No thread: run here, on the main thread's stack.
        Err(_) => run_here(),
    }
}

fn run_here() -> ExitCode {
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(
            crate::host::eval_process::WORKER_COMMAND,
        ))
    {
        init_logging();
        return crate::host::eval_process::run_worker();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    init_logging();
    match cli.command {
        Command::Serve => serve(),
        Command::Check(args) => check::run(args),
        Command::Rc(args) => rc::run(args),
        Command::Select(args) => select::run(args),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BZLS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

fn serve() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .thread_stack_size(STARLARK_STACK_SIZE)
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("bzls: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let clean = runtime.block_on(crate::lsp::serve_stdio());
    // Do not wait for blocking tasks of a client that has gone.
    runtime.shutdown_background();
    if clean {
        ExitCode::SUCCESS
    } else {
        tracing::warn!("exiting without a shutdown request");
        ExitCode::from(1)
    }
}
