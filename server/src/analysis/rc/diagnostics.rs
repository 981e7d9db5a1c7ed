//! Diagnostics for one rc file of the chain.
//!
//! Severity follows two rules:
//! - what Bazel rejects is an error, what it only warns about or silently
//!   ignores is a warning;
//! - what depends on the flag database (unknown commands and flags, flags a
//!   command does not take, values) is at most a hint when the database is
//!   not for the exact Bazel version in use: a newer Bazel may know it.

use std::collections::{HashMap, HashSet};

use super::{config_reference, did_you_mean, for_each_arg, is_known_command, LineArg, RcContext};
use crate::analysis::{Diagnostic, DiagnosticCode, Severity};
use crate::flags::{FlagInfo, ValueKind};
use crate::rc::chain::{ChainErrorKind, FileId};
use crate::rc::file::{LineKind, ALWAYS, COMMON, STARTUP};
use crate::rc::lexer::Word;
use crate::text::TextRange;

/// The diagnostics of `ctx.file`, in text order.
pub fn rc_diagnostics(ctx: &RcContext<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = ctx.text();
    let file = &ctx.chain.files[ctx.file];

    for err in ctx.chain.errors.iter().filter(|e| e.file == ctx.file) {
        let code = match err.kind {
            ChainErrorKind::MissingImport | ChainErrorKind::UnreadableFile => {
                DiagnosticCode::RcMissingImport
            }
            ChainErrorKind::ImportCycle => DiagnosticCode::RcImportCycle,
            ChainErrorKind::InvalidImport => DiagnosticCode::RcInvalidImport,
        };
        out.push(Diagnostic::error(code, err.range, err.message.clone()));
    }

    for line in &file.parsed.lines {
        let LineKind::Options { command, config } = &line.kind else {
            continue;
        };
        let command_range = line.command_range(text);
        if command == STARTUP && config.is_some() {
            out.push(Diagnostic::new(
                Severity::Warning,
                DiagnosticCode::RcStartupConfig,
                line.head.range,
                "Bazel ignores `startup:NAME` sections: --config cannot select startup options",
            ));
        } else if !is_known_command(ctx.db, command) {
            let candidates = ctx
                .db
                .commands()
                .iter()
                .map(String::as_str)
                .chain(super::PSEUDO_COMMANDS.iter().copied());
            let hint = suggestion(&did_you_mean(command, candidates, 3));
            out.push(Diagnostic::new(
                db_severity(ctx, Severity::Error),
                DiagnosticCode::RcUnknownCommand,
                command_range,
                format!(
                    "`{command}` is not a Bazel command ({}); Bazel ignores this line{hint}",
                    ctx.db_label()
                ),
            ));
        }
    }

    let defined: HashSet<&str> = defined_configs(ctx);
    let mut memo = HashMap::new();
    for_each_arg(ctx, |arg| {
        check_arg(ctx, &arg, &defined, &mut memo, &mut out)
    });
    config_cycles(ctx, &mut out);
    out.sort_by_key(|d| (d.range.start, d.range.end));
    out
}

/// Config names with at least one option under some `CMD:NAME` key, which
/// is what Bazel counts as defined.
fn defined_configs<'a>(ctx: &RcContext<'a>) -> HashSet<&'a str> {
    ctx.chain
        .keys()
        .filter_map(|key| key.split_once(':').map(|(_, name)| name))
        .collect()
}

fn db_severity(ctx: &RcContext<'_>, severity: Severity) -> Severity {
    if ctx.exact {
        severity
    } else {
        Severity::Hint
    }
}

fn suggestion(candidates: &[&str]) -> String {
    match candidates {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn check_arg(
    ctx: &RcContext<'_>,
    arg: &LineArg<'_>,
    defined: &HashSet<&str>,
    memo: &mut HashMap<String, String>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(flag) = &arg.flag else { return };
    let command = arg.command;
    // Lines Bazel ignores; startup lines when the database does not list
    // startup options (2.1.0's dump does not).
    if !is_known_command(ctx.db, command)
        || (command == STARTUP && (!ctx.db.has_command(STARTUP) || arg.key.contains(':')))
    {
        return;
    }
    let word = &arg.word;
    if flag.starlark {
        return;
    }
    let Some(info) = ctx.info(flag) else {
        // A flag another Bazel version has (renamed or removed since, or
        // added later): Bazel may still accept it under an old name, so
        // this database cannot call it unknown.
        let other = other_versions_have(ctx, &flag.written).or_else(|| {
            flag.written
                .strip_prefix("no")
                .and_then(|positive| other_versions_have(ctx, positive))
        });
        if let Some(version) = other.filter(|_| !flag.abbreviated) {
            out.push(Diagnostic::new(
                Severity::Hint,
                DiagnosticCode::RcUnknownFlag,
                word.range,
                format!(
                    "`--{}` is not a flag of {} (Bazel {version} has it): it was renamed or removed, or added later",
                    flag.written,
                    ctx.db_label()
                ),
            ));
            return;
        }
        let written = format!(
            "{}{}",
            if flag.abbreviated { "-" } else { "--" },
            flag.written
        );
        let names = ctx
            .db
            .flags_for_command(lookup_command(command))
            .map(|f| f.name.as_str());
        let hint = suggestion(
            &did_you_mean(flag.written.trim_start_matches("no"), names, 3)
                .iter()
                .map(|n| format!("--{n}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        out.push(Diagnostic::new(
            db_severity(ctx, Severity::Error),
            DiagnosticCode::RcUnknownFlag,
            word.range,
            format!("Unknown flag `{written}` ({}){hint}", ctx.db_label()),
        ));
        return;
    };

    if !applies(ctx, info, command) {
        let commands: Vec<&str> = info
            .commands
            .iter()
            .map(String::as_str)
            .filter(|c| *c != STARTUP)
            .collect();
        let message = if command == ALWAYS {
            format!(
                "`--{}` does not apply to every command, so `always` makes commands such as `{}` fail",
                info.name,
                first_command_without(ctx, info).unwrap_or("version")
            )
        } else if command == COMMON {
            format!(
                "`--{}` is not supported by every command; Bazel before 7.0 rejects it for the others (it applies to {})",
                info.name,
                short_list(&commands)
            )
        } else if info.is_startup() && commands.is_empty() {
            format!(
                "`--{}` is a startup option: write it on a `startup` line",
                info.name
            )
        } else {
            format!(
                "`--{}` does not apply to `{command}`; it applies to {}",
                info.name,
                short_list(&commands)
            )
        };
        let severity = if command == COMMON {
            // Bazel 7 skips such options.
            if crate::rc::FlagSchema::major_version(ctx.db).is_some_and(|m| m < 7) {
                db_severity(ctx, Severity::Warning)
            } else {
                return;
            }
        } else {
            db_severity(ctx, Severity::Error)
        };
        out.push(Diagnostic::new(
            severity,
            DiagnosticCode::RcFlagCommand,
            word.range,
            message,
        ));
        return;
    }

    if flag.missing_value {
        out.push(Diagnostic::error(
            DiagnosticCode::RcMissingValue,
            word.range,
            format!(
                "`--{}` needs a value: write `--{}=VALUE`",
                info.name, info.name
            ),
        ));
        return;
    }

    // Bazel's dump has one entry per name: a startup option and a command
    // option of the same name share tags, so a deprecated startup option
    // says nothing about the command option (`--watchfs`).
    let shared_with_startup = info.is_startup() && command != STARTUP;
    let written = flag
        .written
        .strip_prefix("no")
        .filter(|_| flag.negated)
        .unwrap_or(&flag.written);
    if !flag.abbreviated && written != info.name && info.old_names.iter().any(|n| n == written) {
        out.push(Diagnostic::new(
            db_severity(ctx, Severity::Warning),
            DiagnosticCode::RcDeprecatedFlag,
            word.range,
            format!(
                "`--{written}` is the old name of `--{}`; Bazel warns about it and may drop it",
                info.name
            ),
        ));
    } else if info.is_deprecated() && !shared_with_startup {
        let mut message = deprecation_message(info);
        if !ctx.exact {
            message.push_str(&format!(" (per the {} flag database)", ctx.db_label()));
        }
        out.push(Diagnostic::new(
            db_severity(ctx, Severity::Warning),
            DiagnosticCode::RcDeprecatedFlag,
            word.range,
            message,
        ));
    }

    if let Some(value) = &flag.value {
        check_value(ctx, arg, info, value, out);
    }

    if info.name == "config" {
        if let Some(value) = &flag.value {
            let value_range = if flag.inline_value {
                config_reference(word, ctx.text()).map_or(word.range, |(_, r)| r)
            } else {
                arg.value_word.as_ref().map_or(word.range, |w| w.range)
            };
            if !defined.contains(value.as_str()) {
                // Files repeat the same undefined names; suggest once a name.
                let hint = memo
                    .entry(value.clone())
                    .or_insert_with(|| suggestion(&did_you_mean(value, defined.iter().copied(), 3)))
                    .clone();
                out.push(Diagnostic::error(
                    DiagnosticCode::RcUndefinedConfig,
                    value_range,
                    format!("Config value '{value}' is not defined in any .rc file{hint}"),
                ));
            }
            if !flag.inline_value && arg.key.contains(':') {
                out.push(Diagnostic::error(
                    DiagnosticCode::RcConfigSyntax,
                    word.range,
                    format!(
                        "Inside a config definition Bazel only accepts `--config={value}` in one word"
                    ),
                ));
            }
        }
    }
}

/// The newest other embedded Bazel version whose database has flag `name`.
fn other_versions_have(ctx: &RcContext<'_>, name: &str) -> Option<&'static str> {
    crate::flags::embedded_versions()
        .iter()
        .rev()
        .copied()
        .filter(|v| *v != ctx.db.version())
        .find(|v| crate::flags::embedded(v).is_some_and(|db| db.get(name).is_some()))
}

/// The command whose flags a section's flags are checked against.
fn lookup_command(command: &str) -> &str {
    match command {
        COMMON | ALWAYS => "build",
        other => other,
    }
}

/// True when `info` may appear in a `command` section.
fn applies(ctx: &RcContext<'_>, info: &FlagInfo, command: &str) -> bool {
    match command {
        // Bazel 7 and later accept any flag some command knows; earlier
        // versions need it on every command. Checked with a warning above.
        COMMON => {
            if crate::rc::FlagSchema::major_version(ctx.db).is_some_and(|m| m < 7) {
                first_command_without(ctx, info).is_none()
            } else {
                info.commands.iter().any(|c| c != STARTUP)
            }
        }
        ALWAYS => first_command_without(ctx, info).is_none(),
        other => info.commands.iter().any(|c| c == other),
    }
}

fn first_command_without<'a>(ctx: &RcContext<'a>, info: &FlagInfo) -> Option<&'a str> {
    ctx.db
        .commands()
        .iter()
        .map(String::as_str)
        .find(|c| *c != STARTUP && !info.commands.iter().any(|ic| ic == c))
}

fn check_value(
    ctx: &RcContext<'_>,
    arg: &LineArg<'_>,
    info: &FlagInfo,
    value: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(flag) = &arg.flag else { return };
    let range = value_range(arg, ctx.text());
    let invalid = |allowed: &[&str]| -> Option<String> {
        (!allowed.contains(&value)).then(|| {
            format!(
                "`{value}` is not a valid value for `--{}`; expected one of {}",
                info.name,
                allowed
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    };
    let problem = match info.value_kind() {
        ValueKind::Boolean | ValueKind::TriState if flag.negated => {
            Some(format!("`--no{}` takes no value", info.name))
        }
        kind @ (ValueKind::Boolean | ValueKind::TriState | ValueKind::Enum(_)) => {
            invalid(&kind.completion_values())
        }
        ValueKind::Integer => value
            .parse::<i64>()
            .is_err()
            .then(|| format!("`--{}` takes an integer, not `{value}`", info.name)),
        ValueKind::Label | ValueKind::ValueOptional | ValueKind::String => None,
    };
    if let Some(message) = problem {
        out.push(Diagnostic::new(
            db_severity(ctx, Severity::Error),
            DiagnosticCode::RcInvalidValue,
            range,
            message,
        ));
    }
}

/// The range of a flag's value: after the `=` when the word is plain, the
/// value word when it is separate, else the whole word.
pub fn value_range(arg: &LineArg<'_>, source: &str) -> TextRange {
    if let Some(w) = arg.value_word {
        return w.range;
    }
    let word = arg.word;
    if word.is_plain(source) {
        if let Some(eq) = word.text.find('=') {
            return TextRange::new(word.range.start + eq + 1, word.range.end);
        }
    }
    word.range
}

fn short_list(items: &[&str]) -> String {
    const MAX: usize = 8;
    let shown: Vec<String> = items.iter().take(MAX).map(|c| format!("`{c}`")).collect();
    if items.len() > MAX {
        format!("{} and {} more", shown.join(", "), items.len() - MAX)
    } else if shown.is_empty() {
        "no command".to_string()
    } else {
        shown.join(", ")
    }
}

/// "`--x` is deprecated: REASON", with Bazel's own warning when the
/// database has one, else the documentation's first sentence.
pub fn deprecation_message(info: &FlagInfo) -> String {
    // The documentation's sentence that says so, if one does.
    let says_so = |sentence: &&str| {
        let lower = sentence.to_ascii_lowercase();
        ["deprecat", "no-op", "noop", "no effect", "obsolete"]
            .iter()
            .any(|w| lower.contains(w))
    };
    let why = info.deprecation_warning.clone().unwrap_or_else(|| {
        info.documentation
            .split_inclusive(". ")
            .map(str::trim)
            .find(says_so)
            .map(str::to_string)
            .unwrap_or_else(|| "Bazel marks it deprecated".to_string())
    });
    let why = why.replace("%{product}", "Bazel");
    if why.is_empty() {
        format!("`--{}` is deprecated", info.name)
    } else {
        format!("`--{}` is deprecated: {why}", info.name)
    }
}

/// Configs whose definitions `--config` each other in a loop: every
/// `--config=` word of this file whose edge lies on a cycle (both ends in one
/// strongly connected component) is reported, with one such cycle.
fn config_cycles(ctx: &RcContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    // (from, to, file, word)
    let mut edges: Vec<(usize, usize, FileId, &Word)> = Vec::new();
    for entry in &ctx.chain.entries {
        let Some((_, name)) = entry.key.split_once(':') else {
            continue;
        };
        let Some(target) = entry.word.text.strip_prefix("--config=") else {
            continue;
        };
        let from = intern_name(&mut ids, &mut names, name);
        let to = intern_name(&mut ids, &mut names, target);
        edges.push((from, to, entry.file, &entry.word));
    }
    if edges.is_empty() {
        return;
    }
    let mut adjacency = vec![Vec::new(); names.len()];
    for &(from, to, _, _) in &edges {
        adjacency[from].push(to);
    }
    let component = strongly_connected(&adjacency);
    for &(from, to, file, word) in &edges {
        if file != ctx.file || component[from] != component[to] {
            continue;
        }
        // A path back from `to` to `from` inside the component.
        let path = path_within(&adjacency, &component, to, from);
        let mut cycle: Vec<&str> = vec![names[from]];
        cycle.extend(path.iter().map(|&n| names[n]));
        let range = config_reference(word, ctx.text()).map_or(word.range, |(_, r)| r);
        out.push(Diagnostic::error(
            DiagnosticCode::RcConfigCycle,
            range,
            format!("Config expansion has a cycle: {}", cycle.join(" -> ")),
        ));
    }
}

fn intern_name<'a>(
    ids: &mut HashMap<&'a str, usize>,
    names: &mut Vec<&'a str>,
    name: &'a str,
) -> usize {
    *ids.entry(name).or_insert_with(|| {
        names.push(name);
        names.len() - 1
    })
}

/// Tarjan's algorithm, iteratively: the component index of every node.
fn strongly_connected(adjacency: &[Vec<usize>]) -> Vec<usize> {
    let n = adjacency.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut component = vec![usize::MAX; n];
    let mut next_index = 0;
    let mut next_component = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, next child position)
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child == 0 && index[node] == usize::MAX {
                index[node] = next_index;
                low[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&next) = adjacency[node].get(*child) {
                *child += 1;
                if index[next] == usize::MAX {
                    work.push((next, 0));
                } else if on_stack[next] {
                    low[node] = low[node].min(index[next]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(top) = stack.pop() {
                    on_stack[top] = false;
                    component[top] = next_component;
                    if top == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// The nodes of a shortest path from `from` to `to` (both included, `from`
/// first) that stays inside their component.
fn path_within(
    adjacency: &[Vec<usize>],
    component: &[usize],
    from: usize,
    to: usize,
) -> Vec<usize> {
    let mut parent = vec![usize::MAX; adjacency.len()];
    let mut queue = std::collections::VecDeque::from([from]);
    parent[from] = from;
    while let Some(node) = queue.pop_front() {
        if node == to {
            break;
        }
        for &next in &adjacency[node] {
            if parent[next] == usize::MAX && component[next] == component[from] {
                parent[next] = node;
                queue.push_back(next);
            }
        }
    }
    let mut path = vec![to];
    let mut node = to;
    while node != from && parent[node] != usize::MAX && path.len() <= adjacency.len() {
        node = parent[node];
        path.push(node);
    }
    path.reverse();
    path
}
