//! Writes a synthetic monorepo for benchmarks:
//! `gen-monorepo [--packages N] [--seed S] OUT_DIR`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bzls_e2e::monorepo::{generate, MonorepoSpec};

const USAGE: &str = "usage: gen-monorepo [--packages N] [--seed S] OUT_DIR";

fn parse() -> Result<(MonorepoSpec, PathBuf), String> {
    let mut spec = MonorepoSpec::new(1000, 1);
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} takes a number"))
        };
        match arg.as_str() {
            "--packages" => spec.packages = number("--packages")? as usize,
            "--seed" => spec.seed = number("--seed")?,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            dir if out.is_none() => out = Some(PathBuf::from(dir)),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    let out = out.ok_or("missing OUT_DIR")?;
    Ok((spec, out))
}

fn main() -> ExitCode {
    let (spec, out) = match parse() {
        Ok(parsed) => parsed,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("gen-monorepo: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    match generate(&out, &spec) {
        Ok(summary) => {
            println!(
                "{} packages, {} targets, {} files, {} bytes (BUILD files {}..{} bytes) in {:.2?} -> {}",
                summary.packages,
                summary.targets,
                summary.files,
                summary.bytes,
                summary.min_build_bytes,
                summary.max_build_bytes,
                start.elapsed(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("gen-monorepo: {}: {err}", out.display());
            ExitCode::FAILURE
        }
    }
}
