//! `bzls rc`: the effective options of `bazel COMMAND ARGS`, with
//! provenance, as the workspace's rc files make them.
//!
//! ```text
//! bzls rc [--format text|json] [STARTUP_OPTIONS] COMMAND [ARGS...]
//! ```
//!
//! `STARTUP_OPTIONS` are Bazel's own rc selectors: `--[no]system_rc`,
//! `--[no]workspace_rc`, `--[no]home_rc` and `--bazelrc=FILE`.
//! Exit status: 0 without errors, 1 with rc errors, 2 for usage or I/O
//! failures.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::host::flags::{cache_dir, choose, workspace_version};
use crate::host::rc::{home_dir, rc_roots, DiskRcReader, RcSelection};
use crate::host::workspace::find_workspace_root;
use crate::rc::chain::ChainErrorKind;
use crate::rc::expand::{expand, host_platform_config, ExpandErrorKind, Expansion, OptionSource};
use crate::rc::RcChain;

/// `bzls rc` output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RcFormat {
    /// One option per line: `OPTION  SOURCE (via --config=...)`; errors on stderr.
    Text,
    /// `{"command", "options": [{"option", "source", "via"}], "errors": [{"message", "source"}]}`.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct RcArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RcFormat::Text)]
    pub format: RcFormat,
    /// `[STARTUP_OPTIONS] COMMAND [ARGS...]`, as given to bazel.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND [ARGS]"
    )]
    pub words: Vec<String>,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    command: &'a str,
    options: Vec<JsonOption>,
    errors: Vec<JsonError>,
}

#[derive(Serialize)]
struct JsonOption {
    option: String,
    source: String,
    via: Vec<String>,
}

#[derive(Serialize)]
struct JsonError {
    message: String,
    source: Option<String>,
}

/// Splits the leading startup options off `words`.
fn startup_options(words: &[String], cwd: &Path) -> Result<(RcSelection, usize), String> {
    let mut selection = RcSelection::default();
    let mut i = 0;
    while i < words.len() && words[i].starts_with('-') {
        let word = words[i].as_str();
        match word {
            "--system_rc" => selection.system_rc = true,
            "--nosystem_rc" => selection.system_rc = false,
            "--workspace_rc" => selection.workspace_rc = true,
            "--noworkspace_rc" => selection.workspace_rc = false,
            "--home_rc" => selection.home_rc = true,
            "--nohome_rc" => selection.home_rc = false,
            "--bazelrc" => {
                i += 1;
                let file = words.get(i).ok_or("--bazelrc needs a file")?;
                selection.extra.push(cwd.join(file));
            }
            _ => match word.strip_prefix("--bazelrc=") {
                Some("/dev/null") => {}
                Some(file) => selection.extra.push(cwd.join(file)),
                None => {
                    return Err(format!(
                        "unknown startup option `{word}` (bzls rc accepts --[no]system_rc, --[no]workspace_rc, --[no]home_rc and --bazelrc=FILE before the command)"
                    ))
                }
            },
        }
        i += 1;
    }
    Ok((selection, i))
}

pub fn run(args: RcArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            eprintln!("bzls: cannot read the current directory: {err}");
            return ExitCode::from(2);
        }
    };
    let (selection, consumed) = match startup_options(&args.words, &cwd) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("bzls rc: {message}");
            return ExitCode::from(2);
        }
    };
    let Some(command) = args.words.get(consumed) else {
        eprintln!("bzls rc: missing COMMAND (for example `bzls rc build --config=ci`)");
        return ExitCode::from(2);
    };
    let rest = &args.words[consumed + 1..];
    let workspace = find_workspace_root(&cwd);
    let version = workspace_version(workspace.as_deref());
    let choice = choose(version.as_ref(), cache_dir().as_deref());
    if !choice.db.has_command(command) && !matches!(command.as_str(), "help") {
        eprintln!(
            "bzls rc: `{command}` is not a Bazel command (Bazel {} flag database)",
            choice.db.version()
        );
        return ExitCode::from(2);
    }
    let roots = rc_roots(workspace.as_deref(), &selection, home_dir().as_deref());
    let reader = DiskRcReader::new();
    let chain = RcChain::load_for(
        workspace.as_deref(),
        &roots,
        &reader,
        version.as_ref().map(|v| v.triple()),
    );
    if let Some(err) = chain
        .errors
        .iter()
        .find(|e| e.kind == ChainErrorKind::UnreadableFile)
    {
        eprintln!("bzls rc: {}", err.message);
        return ExitCode::from(2);
    }
    let mut ex = expand(&chain, choice.db, command, rest, host_platform_config());
    if !choice.exact {
        // A flag a newer Bazel gave another command is not an error we can
        // vouch for.
        ex.errors.retain(|e| e.kind != ExpandErrorKind::FlagCommand);
    }
    let written = match args.format {
        RcFormat::Text => write_text(&mut std::io::stdout().lock(), &chain, &ex),
        RcFormat::Json => write_json(&mut std::io::stdout().lock(), &chain, &ex),
    };
    if let Err(err) = written {
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("bzls rc: cannot write the output: {err}");
            return ExitCode::from(2);
        }
    }
    if ex.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn source(chain: &RcChain, source: &OptionSource) -> String {
    match source {
        OptionSource::Rc { file, range } => chain.location(*file, range.start),
        OptionSource::CommandLine { .. } => "command line".to_string(),
    }
}

fn write_text(out: &mut impl Write, chain: &RcChain, ex: &Expansion) -> std::io::Result<()> {
    let width = ex
        .options
        .iter()
        .map(|o| o.option.len())
        .max()
        .unwrap_or(0)
        .min(60);
    for opt in &ex.options {
        let via: Vec<&str> = opt.via.iter().map(|s| s.trigger.as_str()).collect();
        let via = if via.is_empty() {
            String::new()
        } else {
            format!(" (via {})", via.join(" -> "))
        };
        writeln!(
            out,
            "{:<width$}  {}{via}",
            opt.option,
            source(chain, &opt.source)
        )?;
    }
    for err in &ex.errors {
        let at = err
            .source
            .as_ref()
            .map(|s| format!("{}: ", source(chain, s)))
            .unwrap_or_default();
        eprintln!("error: {at}{}", err.message);
    }
    Ok(())
}

fn write_json(out: &mut impl Write, chain: &RcChain, ex: &Expansion) -> std::io::Result<()> {
    let json = JsonOutput {
        command: &ex.command,
        options: ex
            .options
            .iter()
            .map(|o| JsonOption {
                option: o.option.clone(),
                source: source(chain, &o.source),
                via: o.via.iter().map(|s| s.trigger.clone()).collect(),
            })
            .collect(),
        errors: ex
            .errors
            .iter()
            .map(|e| JsonError {
                message: e.message.clone(),
                source: e.source.as_ref().map(|s| source(chain, s)),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}
