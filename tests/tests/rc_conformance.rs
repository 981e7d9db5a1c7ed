//! `bzls rc` against real Bazel 2.1.0: randomly generated rc setups, each
//! expanded by both; the option lists (normalized option, rc file) and the
//! `--config` chains must be the same, and where Bazel rejects the setup
//! bzls must report an error of the same kind.
//!
//! Environment:
//! - `BZLS_RC_SEED=N` (decimal or 0x-hex; `random` for a fresh one) picks
//!   the cases; default: a fixed seed, so CI is reproducible.
//! - `BZLS_RC_CASES=N` how many (default 150); `BZLS_RC_ONLY=I` runs case I
//!   alone.
//! - `BZLS_RC_ORACLE_ONLY=1` runs and reads Bazel only (checks the
//!   harness and the generator, not bzls); with `BZLS_RC_SHOW=1` it
//!   prints every case and Bazel's answer.
//! - `BZLS_TEST_CACHE` where Bazel is installed (default
//!   `target/test-cache`); without npm or network the test is skipped,
//!   unless `$CI` is set: then it fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bzls_e2e::bazel::{
    bazel_2_1_0, parse_options, AppliedOption, BazelServer, ErrorKind, Oracle, RcError, Source,
    PLATFORM_VIA,
};
use bzls_e2e::bzls_bin;
use bzls_e2e::rng::Rng;
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x00b2_1a5e_2010;
const DEFAULT_CASES: usize = 150;
/// Stop after this many mismatches: the report stays readable.
const MAX_REPORTED: usize = 5;

// ---------------------------------------------------------------------------
// Random rc setups.

/// Where an rc file lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Relative to the workspace root.
    Workspace(&'static str),
    /// `$HOME/.bazelrc`.
    Home,
    /// Relative to a directory outside the workspace, imported by absolute
    /// path (`%outside%` in the generated text).
    Outside(&'static str),
}

const WS_RC: Place = Place::Workspace(".bazelrc");
const EXTRA_RC: Place = Place::Workspace("tools/extra.rc");
const MORE_RC: Place = Place::Workspace("tools/more.rc");
const HOME_EXTRA_RC: Place = Place::Workspace("tools/home.rc");
const OUTSIDE_RC: Place = Place::Outside("outside.rc");

struct RcFile {
    place: Place,
    /// Logical lines: a continued line is one entry with `\n`s inside, so
    /// that other lines are never inserted into it.
    lines: Vec<String>,
    crlf: bool,
}

impl RcFile {
    fn text(&self) -> String {
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut text = self.lines.join("\n").replace('\n', eol);
        text.push_str(eol);
        text
    }
}

struct Case {
    index: usize,
    files: Vec<RcFile>,
    command: &'static str,
    args: Vec<String>,
    /// What error the generator meant to provoke, if any (for the report).
    intent: &'static str,
}

const CONFIG_NAMES: &[&str] = &["opt", "dbg", "ci", "fast", "remote"];

/// One option as rc text (may be two tokens, may be quoted).
fn rc_option(rng: &mut Rng) -> String {
    let key = *rng.pick(&["a", "b", "c"]);
    let val = *rng.pick(&["1", "2"]);
    match rng.below(20) {
        0..=2 => format!("--define={key}={val}"),
        3 => format!("--define {key}={val}"),
        4..=6 => rng
            .pick(&[
                "--copt=-O2",
                "--copt -g",
                "--copt=\"-DA=a b\"",
                "--copt='-DB c'",
                "--copt=-DE\\ e",
                "--copt=\"-DQ=\\\"q\\\"\"",
                "--copt -Wall",
                "--copt=-D\"S 1\"",
            ])
            .to_string(),
        7 | 8 => rng
            .pick(&[
                "-c opt",
                "-c dbg",
                "--compilation_mode=fastbuild",
                "--compilation_mode dbg",
            ])
            .to_string(),
        9 | 10 => rng.pick(&["--jobs=4", "-j 2", "--jobs 8"]).to_string(),
        11 | 12 => rng
            .pick(&["--keep_going", "-k", "--nokeep_going"])
            .to_string(),
        13 => rng
            .pick(&["--verbose_failures", "--noverbose_failures"])
            .to_string(),
        14 => rng.pick(&["--cpu=k8", "--cpu arm"]).to_string(),
        15 | 16 => rng
            .pick(&[
                "--action_env=FOO",
                "--action_env=FOO=bar",
                "--action_env BAR=1",
            ])
            .to_string(),
        17 => rng
            .pick(&["--test_output=errors", "--test_output all"])
            .to_string(),
        18 => rng.pick(&["--host_copt=-O1", "--linkopt=-lm"]).to_string(),
        _ => format!("--define=k{}={val}", rng.below(4)),
    }
}

/// One option as command-line arguments.
fn cl_option(rng: &mut Rng) -> Vec<String> {
    let v: &[&str] = match rng.below(14) {
        0 => &["--define=a=9"],
        1 => &["--define", "b=9"],
        2 => &["--copt=-DCL=x y"],
        3 => &["--copt", "-O3"],
        4 => &["-c", "opt"],
        5 => &["--compilation_mode=dbg"],
        6 => &["--jobs=3"],
        7 => &["-j", "5"],
        8 => &["-k"],
        9 => &["--nokeep_going"],
        10 => &["--verbose_failures"],
        11 => &["--cpu=k8"],
        12 => &["--action_env=CL=1"],
        _ => &["--test_output=errors"],
    };
    v.iter().map(|s| s.to_string()).collect()
}

/// Renders one rc line: `section tokens...`, with random spacing,
/// continuations (one entry, with `\n` inside) and trailing comments.
fn render_line(rng: &mut Rng, section: &str, options: &[String]) -> String {
    let mut tokens = vec![section.to_owned()];
    tokens.extend(options.iter().cloned());
    let sep = if rng.chance(100) {
        "\t"
    } else if rng.chance(100) {
        "   "
    } else {
        " "
    };
    let indent = if rng.chance(50) { "  " } else { "" };
    if tokens.len() > 1 && rng.chance(120) {
        // A backslash continuation after a random token.
        let at = 1 + rng.below(tokens.len() - 1);
        let first = tokens[..at].join(sep);
        let rest = tokens[at..].join(sep);
        return format!("{indent}{first} \\\n    {rest}");
    }
    let mut line = format!("{indent}{}", tokens.join(sep));
    if rng.chance(70) {
        line.push_str(" # trailing comment");
    } else if rng.chance(15) {
        // `#` inside a token starts a comment too.
        line.push_str(" --copt=-DHASH#not-an-option --define=after=hash");
    }
    line
}

fn generate(seed: u64, index: usize) -> Case {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let rng = &mut rng;

    let has_ws = rng.chance(950);
    let has_home = rng.chance(150) || !has_ws;
    let mut places = Vec::new();
    if has_ws {
        places.push(WS_RC);
    }
    if has_home {
        places.push(Place::Home);
    }
    let has_extra = rng.chance(450);
    let has_more = rng.chance(250);
    let has_outside = has_ws && rng.chance(150);
    let has_home_extra = has_home && rng.chance(300);
    for (present, place) in [
        (has_extra, EXTRA_RC),
        (has_more, MORE_RC),
        (has_outside, OUTSIDE_RC),
        (has_home_extra, HOME_EXTRA_RC),
    ] {
        if present {
            places.push(place);
        }
    }
    // Lines per file; imports are inserted afterwards.
    let mut lines: Vec<(Place, Vec<String>)> = places.iter().map(|p| (*p, Vec::new())).collect();
    let main = places[0];
    let stanza_target = |rng: &mut Rng| -> Place {
        // The main rc file gets most of the lines.
        if rng.chance(500) {
            main
        } else {
            *rng.pick(&places)
        }
    };

    // Configs: a random subset, in an order that nested `--config`s follow
    // (no accidental cycles).
    let mut names: Vec<&str> = CONFIG_NAMES.to_vec();
    for i in (1..names.len()).rev() {
        let j = rng.below(i + 1);
        names.swap(i, j);
    }
    names.truncate(rng.below(5));
    let mut stanzas: Vec<(Place, String, Vec<String>)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let extra = rng.below(3);
        for k in 0..=extra {
            let section = if k == 0 {
                if rng.chance(700) {
                    "build"
                } else {
                    "common"
                }
            } else {
                *rng.pick(&["common", "build", "build", "test"])
            };
            let mut options: Vec<String> = (0..1 + rng.below(3)).map(|_| rc_option(rng)).collect();
            if i + 1 < names.len() && rng.chance(300) {
                let inner = names[i + 1 + rng.below(names.len() - i - 1)];
                let at = rng.below(options.len() + 1);
                options.insert(at, format!("--config={inner}"));
            }
            stanzas.push((stanza_target(rng), format!("{section}:{name}"), options));
        }
    }
    let platform_defined = rng.chance(200);
    if platform_defined {
        for _ in 0..1 + rng.below(2) {
            let section = *rng.pick(&["common", "build", "build", "test"]);
            let options = (0..1 + rng.below(2)).map(|_| rc_option(rng)).collect();
            stanzas.push((stanza_target(rng), format!("{section}:linux"), options));
        }
    }
    for _ in 0..1 + rng.below(6) {
        let section = *rng.pick(&["common", "common", "build", "build", "build", "test"]);
        let mut options: Vec<String> = (0..1 + rng.below(4)).map(|_| rc_option(rng)).collect();
        if !names.is_empty() && rng.chance(150) {
            let at = rng.below(options.len() + 1);
            options.insert(at, format!("--config={}", rng.pick(&names)));
        }
        if rng.chance(60) {
            let at = rng.below(options.len() + 1);
            options.insert(at, "--enable_platform_specific_config".to_owned());
        }
        stanzas.push((stanza_target(rng), section.to_owned(), options));
    }
    // Shuffle, so definitions and uses come in any order and files.
    for i in (1..stanzas.len()).rev() {
        let j = rng.below(i + 1);
        stanzas.swap(i, j);
    }

    let command = if rng.chance(250) { "test" } else { "build" };
    let mut args = Vec::new();
    for _ in 0..rng.below(4) {
        if !names.is_empty() && rng.chance(400) {
            let name = *rng.pick(&names);
            if rng.chance(200) {
                args.extend(["--config".to_owned(), name.to_owned()]);
            } else {
                args.push(format!("--config={name}"));
            }
        } else {
            args.extend(cl_option(rng));
        }
    }
    if rng.chance(60) {
        args.push(
            rng.pick(&[
                "--enable_platform_specific_config",
                "--noenable_platform_specific_config",
            ])
            .to_string(),
        );
    }

    // Error (and other odd) cases, a few percent.
    let mut intent = "";
    let mut extra_lines: Vec<(Place, String)> = Vec::new();
    let mut import_loop = false;
    let mut duplicate_import = false;
    match rng.below(1000) {
        0..=24 => {
            intent = "undefined config";
            if rng.chance(500) || names.is_empty() {
                args.push("--config=nosuch".to_owned());
            } else {
                let name = *rng.pick(&names);
                stanzas.push((
                    main,
                    format!("build:{name}"),
                    vec!["--config=nosuch".to_owned()],
                ));
                args.push(format!("--config={name}"));
            }
        }
        25..=49 => {
            intent = "config cycle";
            stanzas.push((
                stanza_target(rng),
                "build:loop_a".to_owned(),
                vec!["--define=la=1".to_owned(), "--config=loop_b".to_owned()],
            ));
            stanzas.push((
                stanza_target(rng),
                "common:loop_b".to_owned(),
                vec!["--config=loop_a".to_owned()],
            ));
            args.push("--config=loop_a".to_owned());
        }
        50..=64 => {
            intent = "missing import";
            extra_lines.push((main, "import %workspace%/tools/missing.rc".to_owned()));
        }
        65..=79 if has_ws => {
            intent = "import loop";
            import_loop = true;
        }
        80..=89 if !names.is_empty() => {
            intent = "two-token --config in a definition";
            let name = *rng.pick(&names);
            stanzas.push((
                main,
                "build:twotoken".to_owned(),
                vec!["--config".to_owned(), name.to_owned()],
            ));
            args.push("--config=twotoken".to_owned());
        }
        90..=99 if has_extra && has_ws => {
            intent = "duplicate import";
            duplicate_import = true;
        }
        100..=114 => {
            intent = "startup:x section";
            extra_lines.push((main, "startup:zz --max_idle_secs=5".to_owned()));
        }
        115..=129 if !names.is_empty() => {
            intent = "empty definition line";
            extra_lines.push((stanza_target(rng), format!("build:{}", rng.pick(&names))));
        }
        _ => {}
    }

    for (place, section, options) in &stanzas {
        let rendered = render_line(rng, section, options);
        let file = lines.iter_mut().find(|(p, _)| p == place).map(|(_, l)| l);
        if let Some(file) = file {
            file.push(rendered);
        }
    }
    for (place, line) in extra_lines {
        if let Some((_, file)) = lines.iter_mut().find(|(p, _)| *p == place) {
            let at = rng.below(file.len() + 1);
            file.insert(at, line);
        }
    }
    // Comments, blank lines, a missing try-import.
    for (_, file) in lines.iter_mut() {
        for _ in 0..rng.below(3) {
            let line = match rng.below(10) {
                0..=4 => "# a comment".to_owned(),
                5 | 6 => String::new(),
                7 => "# a comment continued \\".to_owned(), // swallows the next line
                8 => "try-import %workspace%/tools/absent.rc".to_owned(),
                _ => "   # indented comment".to_owned(),
            };
            let at = rng.below(file.len() + 1);
            file.insert(at, line);
        }
    }
    // Imports, at random positions in their importers.
    let import_of = |rng: &mut Rng, target: Place| -> String {
        let kind = if rng.chance(200) {
            "try-import"
        } else {
            "import"
        };
        match target {
            Place::Workspace(rel) => match rng.below(10) {
                0 | 1 => format!("{kind} {rel}"), // relative to the current directory
                2 => format!("{kind} %workspace%/tools/../{rel}"),
                3 => format!("{kind} \"%workspace%/{rel}\""),
                _ => format!("{kind} %workspace%/{rel}"),
            },
            Place::Outside(rel) => format!("{kind} %outside%/{rel}"),
            Place::Home => unreachable!("the home rc is never imported"),
        }
    };
    let mut imports: Vec<(Place, String)> = Vec::new();
    if has_extra {
        let importer = if has_ws { WS_RC } else { Place::Home };
        imports.push((importer, import_of(rng, EXTRA_RC)));
        if duplicate_import {
            imports.push((importer, import_of(rng, EXTRA_RC)));
        }
    }
    if has_more {
        let importer = if has_extra { EXTRA_RC } else { main };
        imports.push((importer, import_of(rng, MORE_RC)));
    }
    if has_outside {
        imports.push((WS_RC, import_of(rng, OUTSIDE_RC)));
    }
    if has_home_extra {
        imports.push((Place::Home, import_of(rng, HOME_EXTRA_RC)));
    }
    if import_loop {
        let from = if has_more {
            MORE_RC
        } else if has_extra {
            EXTRA_RC
        } else {
            WS_RC
        };
        imports.push((from, "import %workspace%/.bazelrc".to_owned()));
    }
    for (place, line) in imports {
        if let Some((_, file)) = lines.iter_mut().find(|(p, _)| *p == place) {
            let at = rng.below(file.len() + 1);
            file.insert(at, line);
        }
    }

    let files = lines
        .into_iter()
        .map(|(place, lines)| RcFile {
            place,
            lines,
            crlf: rng.chance(40),
        })
        .collect();
    Case {
        index,
        files,
        command,
        args,
        intent,
    }
}

// ---------------------------------------------------------------------------
// Running one case.

fn file_path(server: &BazelServer, place: Place) -> PathBuf {
    match place {
        Place::Workspace(rel) => server.workspace().join(rel),
        Place::Home => server.home().join(".bazelrc"),
        Place::Outside(rel) => server.outside().join(rel),
    }
}

fn write_case(server: &BazelServer, case: &Case) {
    server.reset();
    let outside = server.outside().display().to_string();
    for file in &case.files {
        let path = file_path(server, file.place);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create rc dir");
        }
        std::fs::write(&path, file.text().replace("%outside%", &outside)).expect("write rc file");
    }
}

/// What `bzls rc --format json` said.
struct BzlsAnswer {
    exit_code: Option<i32>,
    options: Vec<AppliedOption>,
    errors: Vec<RcError>,
    raw: String,
}

fn run_bzls(server: &BazelServer, case: &Case) -> Result<BzlsAnswer, String> {
    let out = Command::new(bzls_bin())
        .args(["rc", "--format", "json", case.command])
        .args(&case.args)
        .current_dir(server.workspace())
        .env("HOME", server.home())
        .output()
        .map_err(|e| format!("run bzls: {e}"))?;
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "`bzls rc` exited with {}:\n{raw}{stderr}",
            out.status
        ));
    }
    parse_bzls_json(server.workspace(), out.status.code(), raw)
        .map_err(|e| format!("{e}\nstderr:\n{stderr}"))
}

/// Reads the `bzls rc --format json` contract.
fn parse_bzls_json(
    workspace: &Path,
    exit_code: Option<i32>,
    raw: String,
) -> Result<BzlsAnswer, String> {
    let json: Value = serde_json::from_str(&raw)
        .map_err(|e| format!("`bzls rc --format json` printed no JSON ({e}):\n{raw}"))?;
    let mut options = Vec::new();
    for o in json["options"].as_array().into_iter().flatten() {
        let option = o["option"]
            .as_str()
            .ok_or_else(|| format!("option without text: {o}"))?;
        let source = o["source"]
            .as_str()
            .ok_or_else(|| format!("option without source: {o}"))?;
        let via = o["via"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect();
        options.push(AppliedOption {
            option: option.to_owned(),
            source: bzls_source(workspace, source),
            via,
        });
    }
    let errors = json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let message = e["message"].as_str().unwrap_or_default().to_owned();
            RcError {
                kind: ErrorKind::classify(&message),
                message,
            }
        })
        .collect();
    Ok(BzlsAnswer {
        exit_code,
        options,
        errors,
        raw,
    })
}

/// `command line`, or `path:line` with the path relative to the workspace
/// or absolute.
fn bzls_source(workspace: &Path, source: &str) -> Source {
    if source == "command line" {
        return Source::CommandLine;
    }
    let path = match source.rsplit_once(':') {
        Some((path, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => path,
        _ => source,
    };
    Source::File(canonical_file(&workspace.join(path)))
}

fn canonical_file(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

fn canonical_source(source: &Source) -> Source {
    match source {
        Source::File(path) => Source::File(canonical_file(path)),
        Source::CommandLine => Source::CommandLine,
    }
}

/// Compares; `Err` explains the first difference.
fn verdict(oracle: &Oracle, bzls: &BzlsAnswer) -> Result<(), String> {
    if let Some(first) = oracle.errors.first() {
        if bzls.errors.is_empty() {
            return Err(format!(
                "Bazel rejects this setup ({:?}: {}) but bzls reports no error",
                first.kind, first.message
            ));
        }
        if bzls.exit_code != Some(1) {
            return Err(format!(
                "bzls reported errors but exited with {:?}, not 1",
                bzls.exit_code
            ));
        }
        if first.kind != ErrorKind::Other && !bzls.errors.iter().any(|e| e.kind == first.kind) {
            return Err(format!(
                "Bazel's error is {:?} ({}); bzls's are {:?}",
                first.kind,
                first.message,
                bzls.errors
                    .iter()
                    .map(|e| (e.kind, e.message.as_str()))
                    .collect::<Vec<_>>()
            ));
        }
        return Ok(());
    }
    if !bzls.errors.is_empty() {
        return Err(format!(
            "Bazel accepts this setup but bzls reports {:?}",
            bzls.errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
        ));
    }
    if bzls.exit_code != Some(0) {
        return Err(format!(
            "bzls reported no error but exited with {:?}",
            bzls.exit_code
        ));
    }
    let n = oracle.options.len().max(bzls.options.len());
    for i in 0..n {
        let (Some(b), Some(z)) = (oracle.options.get(i), bzls.options.get(i)) else {
            return Err(format!(
                "option lists differ in length ({} for Bazel, {} for bzls), from #{i}",
                oracle.options.len(),
                bzls.options.len()
            ));
        };
        if b.option != z.option {
            return Err(format!(
                "option #{i}: Bazel applies {}, bzls {}",
                b.option, z.option
            ));
        }
        if canonical_source(&b.source) != z.source {
            return Err(format!("option #{i} ({}): source differs", b.option));
        }
        // How bzls names the platform config's chain is not specified.
        let platform = b.via.first().is_some_and(|v| v == PLATFORM_VIA);
        if !platform && b.via != z.via {
            return Err(format!(
                "option #{i} ({}): the --config chain differs",
                b.option
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The report.

fn display_source(server: &BazelServer, source: &Source) -> String {
    let Source::File(path) = source else {
        return "command line".to_owned();
    };
    let path = canonical_file(path);
    if let Ok(rel) = path.strip_prefix(server.home()) {
        return format!("~/{}", rel.display());
    }
    if let Ok(rel) = path.strip_prefix(server.outside()) {
        return format!("%outside%/{}", rel.display());
    }
    if let Ok(rel) = path.strip_prefix(server.workspace()) {
        return rel.display().to_string();
    }
    path.display().to_string()
}

fn describe_place(place: Place) -> String {
    match place {
        Place::Workspace(rel) => format!("%workspace%/{rel}"),
        Place::Home => "~/.bazelrc".to_owned(),
        Place::Outside(rel) => format!("%outside%/{rel}"),
    }
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '"', '\'', '\\', '#', '$']) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn report(
    server: &BazelServer,
    seed: u64,
    case: &Case,
    oracle: Option<&Oracle>,
    bzls: Option<&BzlsAnswer>,
    problem: &str,
) -> String {
    let mut r = String::new();
    let _ = writeln!(
        r,
        "=== rc conformance: case {} of seed {seed:#x} ===",
        case.index
    );
    let _ = writeln!(
        r,
        "reproduce: BZLS_RC_SEED={seed:#x} BZLS_RC_ONLY={} cargo test -p bzls-e2e --test rc_conformance",
        case.index
    );
    if !case.intent.is_empty() {
        let _ = writeln!(r, "generated as: {}", case.intent);
    }
    let _ = writeln!(r, "command: {} {}", case.command, shell_words(&case.args));
    for file in &case.files {
        let _ = writeln!(
            r,
            "--- {}{}",
            describe_place(file.place),
            if file.crlf { " (CRLF)" } else { "" }
        );
        for (n, line) in file.lines.iter().flat_map(|l| l.split('\n')).enumerate() {
            let _ = writeln!(r, "{:>4} | {line}", n + 1);
        }
    }
    let _ = writeln!(r, "PROBLEM: {problem}");
    let row = |o: &AppliedOption| {
        let via = if o.via.is_empty() {
            String::new()
        } else {
            format!("  via {}", o.via.join(" > "))
        };
        format!("{}  [{}]{via}", o.option, display_source(server, &o.source))
    };
    if let Some(oracle) = oracle {
        if oracle.errors.is_empty() {
            let _ = writeln!(r, "Bazel 2.1.0 applies:");
        }
        for e in &oracle.errors {
            let _ = writeln!(r, "Bazel 2.1.0 error ({:?}): {}", e.kind, e.message);
        }
        for w in oracle.warnings.iter().filter(|w| !w.starts_with("Usage:")) {
            let _ = writeln!(r, "Bazel 2.1.0 warning: {w}");
        }
        if bzls.is_none() {
            for (i, o) in oracle.options.iter().enumerate() {
                let _ = writeln!(r, " {i:>3}  {}", row(o));
            }
        }
        if let Some(bzls) = bzls {
            let n = oracle.options.len().max(bzls.options.len());
            let left: Vec<String> = oracle.options.iter().map(row).collect();
            let width = left.iter().map(String::len).max().unwrap_or(0).min(70);
            if n > 0 {
                let _ = writeln!(r, "   #  {:<width$} | bzls", "Bazel");
            }
            for i in 0..n {
                let b = left.get(i).cloned().unwrap_or_default();
                let z = bzls.options.get(i).map(row).unwrap_or_default();
                let same = oracle
                    .options
                    .get(i)
                    .zip(bzls.options.get(i))
                    .is_some_and(|(b, z)| {
                        b.option == z.option && canonical_source(&b.source) == z.source
                    });
                let mark = if same { ' ' } else { '!' };
                let _ = writeln!(r, "{mark}{i:>3}  {b:<width$} | {z}");
            }
        }
    }
    if let Some(bzls) = bzls {
        for e in &bzls.errors {
            let _ = writeln!(r, "bzls error ({:?}): {}", e.kind, e.message);
        }
        if bzls.options.is_empty() && bzls.errors.is_empty() {
            let _ = writeln!(r, "bzls output: {}", bzls.raw.trim());
        }
    }
    r
}

// ---------------------------------------------------------------------------
// The tests.

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

fn seed() -> u64 {
    if std::env::var("BZLS_RC_SEED").is_ok_and(|v| v.trim() == "random") {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
    }
    env_number("BZLS_RC_SEED").unwrap_or(DEFAULT_SEED)
}

#[test]
fn rc_expansion_matches_bazel_2_1_0() {
    let Some(bazel) = bazel_2_1_0() else {
        return;
    };
    let seed = seed();
    let cases: Vec<usize> = match env_number("BZLS_RC_ONLY") {
        Some(only) => vec![only as usize],
        None => (0..env_number("BZLS_RC_CASES").map_or(DEFAULT_CASES, |n| n as usize)).collect(),
    };
    let oracle_only = std::env::var_os("BZLS_RC_ORACLE_ONLY").is_some_and(|v| v == "1");
    let show = std::env::var_os("BZLS_RC_SHOW").is_some_and(|v| v == "1");
    if !oracle_only {
        // Build bzls before timing anything.
        let _ = bzls_bin();
    }
    let started = Instant::now();
    let server = BazelServer::start(&bazel);
    let mut bazel_time = Duration::ZERO;
    let mut bzls_time = Duration::ZERO;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut oracle_problems = Vec::new();
    for &index in &cases {
        let case = generate(seed, index);
        write_case(&server, &case);
        let t = Instant::now();
        let run = server.expand(case.command, &case.args);
        bazel_time += t.elapsed();
        let oracle = match Oracle::parse(case.command, &case.args, &run.stderr, run.bep.as_deref())
        {
            Ok(oracle) => oracle,
            Err(e) => {
                let problem = format!(
                    "the oracle's output is not understood: {e}\nBazel stderr:\n{}",
                    run.stderr
                );
                oracle_problems.push(report(&server, seed, &case, None, None, &problem));
                if oracle_problems.len() >= MAX_REPORTED {
                    break;
                }
                continue;
            }
        };
        let kind = match oracle.errors.first() {
            Some(e) => format!("error: {:?}", e.kind),
            None => "accepted".to_owned(),
        };
        *kinds.entry(kind).or_default() += 1;
        if oracle_only {
            if show {
                bzls_e2e::say!(
                    "{}",
                    report(&server, seed, &case, Some(&oracle), None, "(shown)")
                );
            }
            continue;
        }
        let t = Instant::now();
        let bzls = run_bzls(&server, &case);
        bzls_time += t.elapsed();
        let outcome = match &bzls {
            Ok(answer) => verdict(&oracle, answer),
            Err(e) => Err(e.clone()),
        };
        if let Err(problem) = outcome {
            failures.push(report(
                &server,
                seed,
                &case,
                Some(&oracle),
                bzls.as_ref().ok(),
                &problem,
            ));
            if failures.len() >= MAX_REPORTED {
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    bzls_e2e::say!(
        "rc conformance: seed {seed:#x}, {} cases in {elapsed:.1?} (Bazel cold start {:.1?}, Bazel {:.0?}/case, bzls {:.0?}/case); oracle outcomes: {kinds:?}",
        cases.len(),
        server.cold_start,
        bazel_time / cases.len().max(1) as u32,
        bzls_time / cases.len().max(1) as u32,
    );
    drop(server);
    if !oracle_problems.is_empty() {
        panic!(
            "the Bazel oracle could not be read (a harness problem):\n{}",
            oracle_problems.join("\n")
        );
    }
    if !failures.is_empty() {
        panic!(
            "bzls rc disagrees with Bazel 2.1.0 ({} shown, stopped at {MAX_REPORTED}):\n\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The generator must stay within what the harness can read, and produce
/// every feature now and then.
#[test]
fn generated_cases_cover_the_features() {
    let mut text = String::new();
    let mut tests = 0;
    let mut intents: BTreeMap<&str, usize> = BTreeMap::new();
    for index in 0..DEFAULT_CASES {
        let case = generate(DEFAULT_SEED, index);
        tests += usize::from(case.command == "test");
        *intents.entry(case.intent).or_default() += 1;
        parse_options(&case.args).expect("command-line args the harness can normalize");
        for file in &case.files {
            text.push_str(&file.text());
        }
        text.push_str(&case.args.join(" "));
    }
    for needle in [
        "common:",
        "build:",
        "test:",
        "test ",
        "import ",
        "try-import ",
        "%workspace%",
        "%outside%",
        "--config=",
        "\\\n",
        "# a comment continued \\",
        "linux",
        "--enable_platform_specific_config",
        "-c ",
        "--define ",
        "'",
        "\"",
        "\r\n",
    ] {
        assert!(
            text.contains(needle),
            "no generated case contains {needle:?}"
        );
    }
    assert!(tests > 10, "{tests} test commands");
    assert!(intents.len() > 5, "{intents:?}");
}

// ---------------------------------------------------------------------------
// The oracle parser on captured Bazel 2.1.0 output (runs without Bazel).

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bazel-2.1.0-rc");

struct Fixture {
    command: String,
    args: Vec<String>,
    stderr: String,
    bep: Option<String>,
}

fn fixture(name: &str) -> Fixture {
    let dir = Path::new(FIXTURES).join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f));
    let cmdline = read("command.txt").expect("command.txt");
    let mut words = cmdline.lines();
    Fixture {
        command: words.next().expect("command").to_owned(),
        args: words.map(str::to_owned).collect(),
        stderr: read("stderr.txt").expect("stderr.txt"),
        bep: read("bep.json").ok(),
    }
}

fn parse_fixture(name: &str) -> Oracle {
    let f = fixture(name);
    Oracle::parse(&f.command, &f.args, &f.stderr, f.bep.as_deref())
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// (option, source with `/RUN` for the capture directory, via).
fn rows(oracle: &Oracle) -> Vec<(String, String, String)> {
    oracle
        .options
        .iter()
        .map(|o| (o.option.clone(), o.source.to_string(), o.via.join(" ")))
        .collect()
}

fn expect(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(o, s, v)| (o.to_string(), s.to_string(), v.to_string()))
        .collect()
}

#[test]
fn oracle_parser_reads_nested_configs_imports_and_overrides() {
    let oracle = parse_fixture("nested");
    assert!(oracle.errors.is_empty(), "{:?}", oracle.errors);
    let ws = "/RUN/ws/.bazelrc";
    let extra = "/RUN/ws/tools/extra.rc";
    let home = "/RUN/home/.bazelrc";
    let cl = "command line";
    assert_eq!(
        rows(&oracle),
        expect(&[
            ("--keep_going", ws, ""),
            ("--verbose_failures", extra, ""),
            ("--compilation_mode=opt", ws, ""),
            ("--jobs=3", ws, ""),
            ("--copt=a b", ws, ""),
            ("--define=inc=1", extra, ""),
            ("--config=y", extra, ""),
            ("--define=y=1", ws, "--config=y"),
            ("--define=a=2", ws, ""),
            // The home rc comes after the workspace's, section by section.
            ("--define=home=1", home, ""),
            ("--nokeep_going", home, ""),
            ("--config=x", cl, ""),
            // common:x before build:x; build:x in read order: extra.rc is
            // imported on line 3, before the .bazelrc's build:x lines.
            ("--define=xc=1", ws, "--config=x"),
            ("--define=incx=1", extra, "--config=x"),
            ("--define=x1=1", ws, "--config=x"),
            ("--config=y", ws, "--config=x"),
            ("--define=y=1", ws, "--config=x --config=y"),
            ("--compilation_mode=fastbuild", ws, "--config=x"),
            ("--define=x2=1", ws, "--config=x"),
            ("--compilation_mode=dbg", cl, ""),
            ("--define=cl=1", cl, ""),
        ])
    );
}

#[test]
fn oracle_parser_reads_test_inheritance_and_platform_config() {
    let oracle = parse_fixture("test_platform");
    assert!(oracle.errors.is_empty(), "{:?}", oracle.errors);
    let ws = "/RUN/ws/.bazelrc";
    let cl = "command line";
    let p = PLATFORM_VIA;
    // The linux config (common:, build:, test: in that order) comes right
    // after the last --enable_platform_specific_config.
    assert_eq!(
        rows(&oracle),
        expect(&[
            ("--define=c=1", ws, ""),
            ("--define=b=1", ws, ""),
            ("--enable_platform_specific_config", ws, ""),
            ("--define=clinux=1", ws, p),
            ("--define=linux=1", ws, p),
            ("--config=x", ws, p),
            ("--define=bx=1", ws, &format!("{p} --config=x")),
            ("--define=tx=1", ws, &format!("{p} --config=x")),
            ("--define=tlinux=1", ws, p),
            ("--copt=q\"uote", ws, ""),
            ("--test_output=errors", ws, ""),
            ("--copt=-DX=a b", cl, ""),
            ("--config=x", cl, ""),
            ("--define=bx=1", ws, "--config=x"),
            ("--define=tx=1", ws, "--config=x"),
        ])
    );
}

#[test]
fn oracle_parser_reads_errors() {
    for (name, kind, words) in [
        ("undefined_config", ErrorKind::UndefinedConfig, "Config value nosuch is not defined in any .rc file"),
        ("config_cycle", ErrorKind::ConfigCycle, "Config expansion has a cycle: config value a expands to itself, see inheritance chain [a, b]"),
        ("missing_import", ErrorKind::MissingImport, "Unexpected error reading .blazerc file '/RUN/ws/tools/missing.rc'"),
        ("import_loop", ErrorKind::ImportLoop, "Import loop detected:\n/RUN/ws/.bazelrc\n/RUN/ws/tools/extra.rc\n/RUN/ws/.bazelrc"),
        ("two_token_config", ErrorKind::Other, "For recursive config definitions, please do not provide the value in a separate token"),
    ] {
        let oracle = parse_fixture(name);
        assert!(oracle.options.is_empty(), "{name}");
        let [error] = oracle.errors.as_slice() else {
            panic!("{name}: {:?}", oracle.errors);
        };
        assert_eq!(error.kind, kind, "{name}: {}", error.message);
        assert!(error.message.contains(words), "{name}: {}", error.message);
    }
}

/// The contract's JSON, as bzls would print it for the `nested` fixture
/// (workspace-relative sources with lines), passes the comparison; a
/// swapped pair does not.
#[test]
fn bzls_json_contract_is_read_and_compared() {
    let oracle = parse_fixture("nested");
    let workspace = Path::new("/RUN/ws");
    let options: Vec<Value> = oracle
        .options
        .iter()
        .enumerate()
        .map(|(line, o)| {
            let source = match &o.source {
                Source::CommandLine => "command line".to_owned(),
                Source::File(path) => match path.strip_prefix(workspace) {
                    Ok(rel) => format!("{}:{}", rel.display(), line + 1),
                    Err(_) => format!("{}:{}", path.display(), line + 1),
                },
            };
            serde_json::json!({"option": o.option, "source": source, "via": o.via})
        })
        .collect();
    let json = serde_json::json!({"command": "build", "options": options, "errors": []});
    let answer = parse_bzls_json(workspace, Some(0), json.to_string()).expect("contract JSON");
    assert_eq!(answer.options.len(), oracle.options.len());
    assert_eq!(
        answer.options[0].source,
        Source::File("/RUN/ws/.bazelrc".into())
    );
    verdict(&oracle, &answer).expect("same list");

    let mut swapped = options.clone();
    swapped.swap(3, 4);
    let json = serde_json::json!({"command": "build", "options": swapped, "errors": []});
    let answer = parse_bzls_json(workspace, Some(0), json.to_string()).expect("contract JSON");
    let problem = verdict(&oracle, &answer).expect_err("order matters");
    assert!(problem.contains("option #3"), "{problem}");

    let errors = serde_json::json!({
        "command": "build",
        "options": [],
        "errors": [{"message": "config 'nosuch' is not defined", "source": ".bazelrc:1"}],
    });
    let answer = parse_bzls_json(workspace, Some(1), errors.to_string()).expect("contract JSON");
    verdict(&parse_fixture("undefined_config"), &answer).expect("same error kind");
    let problem = verdict(&parse_fixture("config_cycle"), &answer).expect_err("other kind");
    assert!(problem.contains("ConfigCycle"), "{problem}");
    verdict(&oracle, &answer).expect_err("Bazel accepts it");
}

#[test]
fn error_kinds_of_plausible_bzls_messages() {
    for (message, kind) in [
        ("config `foo` is not defined", ErrorKind::UndefinedConfig),
        ("undefined config 'foo'", ErrorKind::UndefinedConfig),
        (
            "--config=a expands to itself: a -> b -> a",
            ErrorKind::ConfigCycle,
        ),
        ("config cycle: a -> b -> a", ErrorKind::ConfigCycle),
        (
            "import loop: .bazelrc -> tools/a.rc -> .bazelrc",
            ErrorKind::ImportLoop,
        ),
        (
            "cannot read imported file tools/x.rc: No such file or directory",
            ErrorKind::MissingImport,
        ),
        ("import: tools/x.rc not found", ErrorKind::MissingImport),
    ] {
        assert_eq!(ErrorKind::classify(message), kind, "{message}");
    }
}

// ---------------------------------------------------------------------------
// Capturing the fixtures (needs Bazel):
//   cargo test -p bzls-e2e --test rc_conformance -- --ignored capture_oracle_fixtures

/// (fixture name, rc files (path in the workspace or `~/...`, text),
/// command and arguments one per line).
type Capture = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const CAPTURES: &[Capture] = &[
    (
        "nested",
        &[
            (
                ".bazelrc",
                "common --keep_going\nbuild -c opt --jobs=3 --copt=\"a b\"\nimport %workspace%/tools/extra.rc\nbuild --define=a=2\nbuild:x --define=x1=1 --config=y\ncommon:x --define=xc=1\nbuild:x -c fastbuild --define x2=1\nbuild:y --define=y=1\ntest:x --define=xt=1\n",
            ),
            (
                "tools/extra.rc",
                "build --define=inc=1 --config=y\nbuild:x --define=incx=1\ncommon --verbose_failures\n",
            ),
            ("~/.bazelrc", "build --define=home=1 --nokeep_going\n"),
        ],
        "build\n--config=x\n-c\ndbg\n--define\ncl=1\n",
    ),
    (
        "test_platform",
        &[(
            ".bazelrc",
            "test --copt=q\\\"uote --test_output=errors\nbuild --define=b=1 --enable_platform_specific_config\ncommon --define=c=1\nbuild:linux --define=linux=1 --config=x\ncommon:linux --define=clinux=1\ntest:linux --define=tlinux=1\nbuild:x --define=bx=1\ntest:x --define=tx=1\n",
        )],
        "test\n--copt=-DX=a b\n--config\nx\n",
    ),
    (
        "undefined_config",
        &[(".bazelrc", "build:x --config=nosuch\n")],
        "build\n--config=x\n",
    ),
    (
        "config_cycle",
        &[(".bazelrc", "build:a --define=a=1 --config=b\ncommon:b --config=a\n")],
        "build\n--config=a\n",
    ),
    (
        "missing_import",
        &[(".bazelrc", "build --define=a=1\nimport %workspace%/tools/missing.rc\n")],
        "build\n",
    ),
    (
        "import_loop",
        &[
            (".bazelrc", "import %workspace%/tools/extra.rc\n"),
            ("tools/extra.rc", "import %workspace%/.bazelrc\n"),
        ],
        "build\n",
    ),
    (
        "two_token_config",
        &[(".bazelrc", "build:a --config b\nbuild:b --define=b=1\n")],
        "build\n--config=a\n",
    ),
];

/// Keeps the BEP's command-line events, without the machine's environment.
fn scrub_bep(bep: &str) -> String {
    let mut out = String::new();
    for line in bep.lines() {
        let Ok(mut event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event.get("structuredCommandLine").is_none() {
            continue;
        }
        if let Some(sections) = event["structuredCommandLine"]["sections"].as_array_mut() {
            sections.retain(|s| {
                s["sectionLabel"] == "command options" || s["sectionLabel"] == "command"
            });
            for s in sections.iter_mut() {
                if let Some(options) = s["optionList"]["option"].as_array_mut() {
                    options.retain(|o| {
                        !matches!(
                            o["optionName"].as_str(),
                            Some(
                                "client_env"
                                    | "binary_path"
                                    | "startup_time"
                                    | "command_wait_time"
                                    | "extract_data_time"
                            )
                        )
                    });
                }
            }
        }
        out.push_str(&event.to_string());
        out.push('\n');
    }
    out
}

#[test]
#[ignore = "regenerates tests/fixtures/bazel-2.1.0-rc with real Bazel"]
fn capture_oracle_fixtures() {
    let bazel = bazel_2_1_0().expect("Bazel 2.1.0");
    let server = BazelServer::start(&bazel);
    let run_dir = server.workspace().parent().expect("run dir").to_owned();
    let anonymize = |text: &str| text.replace(&run_dir.display().to_string(), "/RUN");
    for (name, files, cmdline) in CAPTURES {
        server.reset();
        for (rel, text) in *files {
            let path = match rel.strip_prefix("~/") {
                Some(home_rel) => server.home().join(home_rel),
                None => server.workspace().join(rel),
            };
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        let mut words = cmdline.lines();
        let command = words.next().expect("command");
        let args: Vec<String> = words.map(str::to_owned).collect();
        let run = server.expand(command, &args);
        let dir = Path::new(FIXTURES).join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fixture dir");
        std::fs::write(dir.join("command.txt"), cmdline).expect("write");
        std::fs::write(dir.join("stderr.txt"), anonymize(&run.stderr)).expect("write");
        if let Some(bep) = &run.bep {
            std::fs::write(dir.join("bep.json"), anonymize(&scrub_bep(bep))).expect("write");
        }
        let mut setup = String::new();
        for (rel, text) in *files {
            let _ = writeln!(setup, "--- {rel}\n{text}");
        }
        std::fs::write(dir.join("rc-files.txt"), setup).expect("write");
        eprintln!("captured {name} (exit {:?})", run.exit_code);
    }
}
