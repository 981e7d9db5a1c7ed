//! `bzls select`: which branch each `select()` of a target takes under a
//! Bazel command line, and the attributes' configured values.
//!
//! ```text
//! bzls select [--format text|json] [--workspace DIR] [--command build] LABEL [-- BAZEL_ARGS...]
//! ```
//!
//! `BAZEL_ARGS` are expanded together with the workspace's rc files, as
//! `bazel COMMAND BAZEL_ARGS` would. Exit status: 0 when the target
//! resolved, 1 when it is in error (ambiguous, no match, rc error), 2 for
//! usage or I/O failures, 3 when bzls cannot decide statically.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Value as Json};

use crate::db::selects::SelectSession;
use crate::host::build_files::DiskPackages;
use crate::host::flags::{cache_dir, choose, workspace_version};
use crate::host::rc::{home_dir, rc_roots, DiskRcReader, RcSelection};
use crate::host::workspace::find_workspace_root;
use crate::rc::chain::ChainErrorKind;
use crate::rc::RcChain;
use crate::select::conditions::absolute;
use crate::select::{AttributeEval, Outcome, Value, Verdict};
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::mentions::LABEL_ATTRIBUTES;

/// `bzls select` output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectFormat {
    /// The attributes' values, then each select's conditions, check by check.
    Text,
    /// `{"target", "status", "error"?, "attributes": [{"name", "selects": [{"chosen", "matching"}], "value"}]}`.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct SelectArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SelectFormat::Text)]
    pub format: SelectFormat,
    /// The workspace. Default: the one around the current directory.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The Bazel command whose options apply.
    #[arg(long, default_value = "build")]
    pub command: String,
    /// The target: `//pkg:name`, `//pkg`, or relative to the current directory's package.
    #[arg(value_name = "LABEL")]
    pub label: String,
    /// What a user would pass to bazel after the command: `--config=cuda -c opt --define=x=1`.
    #[arg(last = true, allow_hyphen_values = true, value_name = "BAZEL_ARGS")]
    pub bazel_args: Vec<String>,
}

/// Why a target is in error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorClass {
    Ambiguous,
    NoMatch,
    RcError,
}

impl ErrorClass {
    fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Ambiguous => "ambiguous",
            ErrorClass::NoMatch => "no-match",
            ErrorClass::RcError => "rc-error",
        }
    }
}

/// The result for one target.
struct Report {
    target: String,
    package: String,
    kind: String,
    attributes: Vec<AttributeEval>,
    error: Option<(ErrorClass, String)>,
    /// Why bzls cannot decide, when it cannot.
    unknown: Option<String>,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("bzls select: {message}");
    ExitCode::from(2)
}

pub fn run(args: SelectArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => return usage(format!("cannot read the current directory: {err}")),
    };
    let start = match &args.workspace {
        Some(dir) if !dir.is_dir() => {
            return usage(format!("--workspace {}: not a directory", dir.display()))
        }
        Some(dir) => cwd.join(dir),
        None => cwd.clone(),
    };
    let Some(root) =
        find_workspace_root(&start).or_else(|| args.workspace.as_ref().map(|_| start.clone()))
    else {
        return usage(format!(
            "no workspace around {} (no MODULE.bazel, REPO.bazel, WORKSPACE or WORKSPACE.bazel); pass --workspace DIR",
            start.display()
        ));
    };
    let current = current_package(&root, &cwd);
    let (package, name) = match target_of(&args.label, &current) {
        Ok(t) => t,
        Err(message) => return usage(message),
    };
    let version = workspace_version(Some(&root));
    let choice = choose(version.as_ref(), cache_dir().as_deref());
    if !choice.db.has_command(&args.command) {
        return usage(format!(
            "`{}` is not a Bazel command (Bazel {} flag database)",
            args.command,
            choice.db.version()
        ));
    }
    let roots = rc_roots(Some(&root), &RcSelection::default(), home_dir().as_deref());
    let reader = DiskRcReader::new();
    let chain = RcChain::load_for(
        Some(&root),
        &roots,
        &reader,
        version.as_ref().map(|v| v.triple()),
    );
    if let Some(err) = chain
        .errors
        .iter()
        .find(|e| e.kind == ChainErrorKind::UnreadableFile)
    {
        return usage(&err.message);
    }
    // The same set-up as the editor's previews (`crate::db::selects`).
    let session = SelectSession::new(
        chain,
        version.as_ref(),
        &args.command,
        &args.bazel_args,
        &root,
        Vec::new(),
    );
    let Some(calls) = session.calls(&package) else {
        return usage(format!(
            "no such package '{package}': no readable BUILD file in {}",
            root.join(&package).display()
        ));
    };
    let target = format!("//{package}:{name}");
    let Some(call) = calls
        .iter()
        .find(|c| c.name.as_deref() == Some(name.as_str()))
    else {
        return usage(format!(
            "no target '{target}': no call with name = \"{name}\" at the top level of its BUILD file (targets made by macros are not read)"
        ));
    };
    let mut report = Report {
        target,
        package: package.clone(),
        kind: call.kind.clone(),
        attributes: Vec::new(),
        error: None,
        unknown: None,
    };
    if let Some(err) = &session.rc_error {
        report.error = Some((ErrorClass::RcError, err.clone()));
    } else {
        report.attributes = session.evaluate_call(call, &package);
        classify(&mut report);
    }
    let chain = &session.chain;
    let written = match args.format {
        SelectFormat::Text => write_text(&mut std::io::stdout().lock(), &report, chain, &root),
        SelectFormat::Json => write_json(&mut std::io::stdout().lock(), &report),
    };
    if let Err(err) = written {
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            return usage(format!("cannot write the output: {err}"));
        }
    }
    match (&report.error, &report.unknown) {
        (Some(_), _) => ExitCode::from(1),
        (None, Some(_)) => ExitCode::from(3),
        (None, None) => ExitCode::SUCCESS,
    }
}

/// The first failing select decides the error; an undecidable select
/// makes the whole report unknown unless another one already failed.
fn classify(report: &mut Report) {
    for attr in &report.attributes {
        for select in &attr.selects {
            let class = match &select.outcome {
                Outcome::Ambiguous(_) => ErrorClass::Ambiguous,
                Outcome::NoMatch => ErrorClass::NoMatch,
                Outcome::Unknown(why) => {
                    report.unknown.get_or_insert_with(|| why.clone());
                    continue;
                }
                Outcome::Chosen(_) => continue,
            };
            if report.error.is_none() {
                let message = select
                    .error_message(&attr.name, &report.target)
                    .unwrap_or_default();
                report.error = Some((class, message));
            }
        }
    }
    if report.error.is_some() {
        report.unknown = None;
    }
}

/// The package of `cwd` relative to `root` (its path; BUILD files are not
/// checked): relative labels are read in it.
fn current_package(root: &Path, cwd: &Path) -> String {
    cwd.strip_prefix(root)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// `(package, name)` of a main-repository target label.
fn target_of(text: &str, current: &str) -> Result<(String, String), String> {
    let label = parse_label(text).map_err(|e| format!("invalid label {text:?}: {}", e.message))?;
    if !matches!(label.repo, Repo::Current | Repo::Main) {
        return Err(format!(
            "{text}: only targets of the main repository can be evaluated"
        ));
    }
    Ok((
        label.package.unwrap_or_else(|| current.to_string()),
        label.name,
    ))
}

/// A configured value as JSON; in label attributes every string is made
/// absolute.
fn value_json(value: &Value, package: &str, labels: bool) -> Json {
    match value {
        Value::Str(s, _) if labels => json!(absolute(s, package)),
        Value::Str(s, _) => json!(s),
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        Value::None | Value::Unknown(_) | Value::Select(_) | Value::Concat(_) => Json::Null,
        Value::List(items) | Value::Tuple(items) => Json::Array(
            items
                .iter()
                .map(|i| value_json(i, package, labels))
                .collect(),
        ),
        Value::Dict(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let key = match k {
                    Value::Str(s, _) if labels => absolute(s, package),
                    Value::Str(s, _) => s.clone(),
                    other => value_json(other, package, false).to_string(),
                };
                map.insert(key, value_json(v, package, labels));
            }
            Json::Object(map)
        }
    }
}

/// Whether `attr` of a `kind` call holds labels: Bazel 2.1.0's schema for
/// native rules, the conventions otherwise.
fn is_label_attribute(kind: &str, attr: &str) -> bool {
    match crate::workspace::schema::rule_schema(kind).and_then(|r| r.attribute(attr)) {
        Some(schema) => schema.is_label(),
        None => LABEL_ATTRIBUTES.contains(&attr),
    }
}

fn write_json(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    let attributes: Vec<Json> = report
        .attributes
        .iter()
        .map(|attr| {
            let selects: Vec<Json> = attr
                .selects
                .iter()
                .map(|s| json!({"chosen": s.chosen(), "matching": s.matching()}))
                .collect();
            let value = attr.value.as_ref().map_or(Json::Null, |v| {
                value_json(
                    v,
                    &report.package,
                    is_label_attribute(&report.kind, &attr.name),
                )
            });
            json!({"name": attr.name, "selects": selects, "value": value})
        })
        .collect();
    let mut body = json!({
        "target": report.target,
        "status": match (&report.error, &report.unknown) {
            (Some(_), _) => "error",
            (None, Some(_)) => "unknown",
            (None, None) => "ok",
        },
        "attributes": attributes,
    });
    if let Some((class, message)) = &report.error {
        body["error"] = json!({"class": class.as_str(), "message": message});
    }
    if let Some(why) = &report.unknown {
        body["reason"] = json!(why);
    }
    serde_json::to_writer_pretty(&mut *out, &body)?;
    writeln!(out)
}

fn write_text(
    out: &mut impl Write,
    report: &Report,
    chain: &RcChain,
    root: &Path,
) -> std::io::Result<()> {
    let status = match (&report.error, &report.unknown) {
        (Some((class, _)), _) => format!("error ({})", class.as_str()),
        (None, Some(why)) => format!("unknown: {why}"),
        (None, None) => "ok".to_string(),
    };
    writeln!(out, "{} ({}): {status}", report.target, report.kind)?;
    if let Some((_, message)) = &report.error {
        for line in message.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    let build = DiskPackages::new(root).build_file(&report.package);
    let build_text = build.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    let line_of = |offset: usize| {
        build_text
            .as_deref()
            .map_or(0, |t| t[..offset.min(t.len())].matches('\n').count() + 1)
    };
    let display = build
        .as_ref()
        .and_then(|p| p.strip_prefix(root).ok())
        .map_or_else(|| report.package.clone(), |p| p.display().to_string());
    for attr in &report.attributes {
        let value = attr.value.as_ref().map_or_else(
            || "(not configured)".to_string(),
            |v| {
                value_json(
                    v,
                    &report.package,
                    is_label_attribute(&report.kind, &attr.name),
                )
                .to_string()
            },
        );
        writeln!(out, "\n{} = {value}", attr.name)?;
        for select in &attr.selects {
            let outcome = match &select.outcome {
                Outcome::Chosen(i) => format!("takes {}", select.conditions[*i].label),
                Outcome::Ambiguous(_) => "is ambiguous".to_string(),
                Outcome::NoMatch => "matches nothing".to_string(),
                Outcome::Unknown(why) => format!("cannot be decided: {why}"),
            };
            writeln!(
                out,
                "  select at {display}:{} {outcome}",
                line_of(select.range.start)
            )?;
            for c in &select.conditions {
                let mark = match c.verdict {
                    Verdict::Yes => "✓",
                    Verdict::No => "✗",
                    Verdict::Unknown => "?",
                };
                writeln!(out, "    {mark} {}", c.label)?;
                for check in &c.checks {
                    let have = match &check.actual {
                        Some(s) => format!("{:?} ({})", s.value, s.origin.describe(chain)),
                        None => "unset".to_string(),
                    };
                    writeln!(
                        out,
                        "        {}: want {:?}, have {have}",
                        check.what, check.expected
                    )?;
                }
                if let Some(why) = &c.unknown_because {
                    writeln!(out, "        {why}")?;
                }
            }
        }
    }
    Ok(())
}
