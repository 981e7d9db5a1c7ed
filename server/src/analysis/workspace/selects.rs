//! `select()` previews in an open BUILD file under the active
//! configuration: which branch each select takes (inlay hints), the
//! branches not taken (dimmed through hint diagnostics tagged
//! unnecessary), failing selects (`select-no-match`, `select-ambiguous`),
//! hover that explains every condition flag by flag, and a code lens per
//! target that names the configuration.
//!
//! Everything here works on [`TargetPreview`]s computed once per text and
//! configuration by [`preview`]; ranges are byte ranges of that text.

use ropey::Rope;
use tree_sitter::Tree;

use crate::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use crate::rc::RcChain;
use crate::select::expr::{rule_calls, RuleCall};
use crate::select::{evaluate_call, AttributeEval, Env, Outcome, SelectEval, Verdict};
use crate::text::TextRange;

/// The selects of one target (or macro call) of the file, evaluated.
#[derive(Clone, Debug)]
pub struct TargetPreview {
    /// `//pkg:name`, or the callee when the call has no literal name.
    pub target: String,
    pub call_range: TextRange,
    pub attributes: Vec<AttributeEval>,
}

/// An inlay hint: `label` shown at `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectHint {
    pub offset: usize,
    pub label: String,
    pub tooltip: String,
}

/// A code lens above a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectLens {
    pub range: TextRange,
    pub title: String,
}

/// Evaluates every select of the BUILD file of `package` (text `rope`).
pub fn preview(tree: &Tree, rope: &Rope, package: &str, env: &Env<'_>) -> Vec<TargetPreview> {
    preview_calls(&rule_calls(tree, rope), package, env)
}

/// Evaluates every select of `calls`, the calls of the BUILD file of
/// `package` (see [`rule_calls`]).
pub fn preview_calls(calls: &[RuleCall], package: &str, env: &Env<'_>) -> Vec<TargetPreview> {
    calls
        .iter()
        .filter(|call| call.attrs.iter().any(|a| a.value.has_select()))
        .map(|call| TargetPreview {
            target: match &call.name {
                Some(name) => format!("//{package}:{name}"),
                None => call.kind.clone(),
            },
            call_range: call.range,
            attributes: evaluate_call(env, call, package),
        })
        .collect()
}

fn each_select(
    previews: &[TargetPreview],
) -> impl Iterator<Item = (&TargetPreview, &AttributeEval, &SelectEval)> {
    previews.iter().flat_map(|t| {
        t.attributes
            .iter()
            .flat_map(move |a| a.selects.iter().map(move |s| (t, a, s)))
    })
}

/// `select-no-match` and `select-ambiguous` errors, and a dimmed hint over
/// every branch not taken. `config` describes the active configuration
/// (`bazel build --config=cuda`).
pub fn select_diagnostics(
    previews: &[TargetPreview],
    rope: &Rope,
    config: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (target, attr, select) in each_select(previews) {
        let error = |code, message: String| Diagnostic {
            range: select.callee_range,
            severity: Severity::Error,
            code,
            message: format!("{message}\n(under `{config}`)"),
            related: Vec::new(),
            fixes: Vec::new(),
        };
        match &select.outcome {
            Outcome::NoMatch => out.push(error(
                DiagnosticCode::SelectNoMatch,
                select
                    .error_message(&attr.name, &target.target)
                    .unwrap_or_default(),
            )),
            Outcome::Ambiguous(_) => out.push(error(
                DiagnosticCode::SelectAmbiguous,
                select
                    .error_message(&attr.name, &target.target)
                    .unwrap_or_default(),
            )),
            Outcome::Chosen(chosen) => {
                for (i, key) in select.key_ranges.iter().enumerate() {
                    if i == *chosen {
                        continue;
                    }
                    let Some(range) = branch_range(rope, select, i, *key) else {
                        continue;
                    };
                    out.push(Diagnostic {
                        range,
                        severity: Severity::Hint,
                        code: DiagnosticCode::SelectBranchNotTaken,
                        message: format!(
                            "Not taken under `{config}`: {} is the branch taken",
                            select.conditions[*chosen].label
                        ),
                        related: Vec::new(),
                        fixes: Vec::new(),
                    });
                }
            }
            Outcome::Unknown(_) => {}
        }
    }
    out
}

/// The range of branch `i` of a select: from its key to the end of its
/// value (the line before the next key, or the closing brace).
fn branch_range(rope: &Rope, select: &SelectEval, i: usize, key: TextRange) -> Option<TextRange> {
    let end_limit = select
        .key_ranges
        .get(i + 1)
        .map_or(select.range.end, |next| next.start);
    let text = rope
        .byte_slice(key.start..end_limit.min(rope.len_bytes()))
        .to_string();
    // Up to the last non-blank character before the next key or the `}`.
    let trimmed = text
        .trim_end_matches(|c: char| c.is_whitespace() || c == ')' || c == '}')
        .trim_end_matches(|c: char| c.is_whitespace() || c == ',');
    (!trimmed.is_empty()).then(|| TextRange::new(key.start, key.start + trimmed.len()))
}

/// Inlay hints inside `range`: after the key of the branch taken, `taken`;
/// after `select(` of a failing or undecided select, why.
pub fn select_hints(previews: &[TargetPreview], range: TextRange) -> Vec<SelectHint> {
    let mut out = Vec::new();
    for (_, _, select) in each_select(previews) {
        if select.range.end < range.start || select.range.start > range.end {
            continue;
        }
        match &select.outcome {
            Outcome::Chosen(i) => {
                let key = select.key_ranges[*i];
                let c = &select.conditions[*i];
                let tooltip = if c.verdict == Verdict::Yes {
                    format!("{} matches the active configuration", c.label)
                } else {
                    "no other condition matches".to_string()
                };
                out.push(SelectHint {
                    offset: key.end,
                    label: "✓ taken".to_string(),
                    tooltip,
                });
            }
            Outcome::Ambiguous(_) => out.push(SelectHint {
                offset: select.callee_range.end,
                label: "ambiguous".to_string(),
                tooltip: "several conditions match and none specialises the others".to_string(),
            }),
            Outcome::NoMatch => out.push(SelectHint {
                offset: select.callee_range.end,
                label: "no match".to_string(),
                tooltip: "no condition matches and there is no //conditions:default".to_string(),
            }),
            Outcome::Unknown(why) => out.push(SelectHint {
                offset: select.callee_range.end,
                label: "?".to_string(),
                tooltip: format!("bzls cannot decide: {why}"),
            }),
        }
    }
    out
}

/// Hover on `select` or on one of its keys: the branch taken, then every
/// condition with its checks and where each value came from.
pub fn select_hover(
    previews: &[TargetPreview],
    offset: usize,
    chain: &RcChain,
    config: &str,
) -> Option<(String, TextRange)> {
    let (target, attr, select, range) = each_select(previews).find_map(|(t, a, s)| {
        if s.callee_range.contains_offset(offset) {
            return Some((t, a, s, s.callee_range));
        }
        s.key_ranges
            .iter()
            .find(|k| k.contains_offset(offset))
            .map(|k| (t, a, s, *k))
    })?;
    let mut md = format!(
        "**`select()`** of `{}` in `{}` under `{config}`\n\n",
        attr.name, target.target
    );
    match &select.outcome {
        Outcome::Chosen(i) => {
            md.push_str(&format!("Takes **`{}`**.\n\n", select.conditions[*i].label))
        }
        Outcome::NoMatch | Outcome::Ambiguous(_) => {
            let message = select
                .error_message(&attr.name, &target.target)
                .unwrap_or_default();
            md.push_str(&format!("**Error**: {}\n\n", message.replace('\n', "  \n")));
        }
        Outcome::Unknown(why) => md.push_str(&format!("Cannot be decided statically: {why}\n\n")),
    }
    for c in &select.conditions {
        let mark = match c.verdict {
            Verdict::Yes => "✓ matches",
            Verdict::No if c.label == crate::select::conditions::DEFAULT_CONDITION => "default",
            Verdict::No => "✗ does not match",
            Verdict::Unknown => "? unknown",
        };
        md.push_str(&format!("- `{}` — {mark}\n", c.label));
        if c.chain.len() > 1 {
            md.push_str(&format!("  - via {}\n", c.chain.join(" → ")));
        }
        for check in &c.checks {
            let have = match &check.actual {
                Some(s) => format!("`{}` ({})", s.value, s.origin.describe(chain)),
                None => "unset".to_string(),
            };
            let ok = match check.verdict {
                Verdict::Yes => "✓",
                Verdict::No => "✗",
                Verdict::Unknown => "?",
            };
            md.push_str(&format!(
                "  - {ok} `{}`: want `{}`, have {have}\n",
                check.what, check.expected
            ));
        }
        if let Some(why) = &c.unknown_because {
            md.push_str(&format!("  - {why}\n"));
        }
    }
    Some((md, range))
}

/// A lens above every call with selects: the active configuration, and
/// how its selects resolve.
pub fn select_lenses(previews: &[TargetPreview], config: &str) -> Vec<SelectLens> {
    previews
        .iter()
        .map(|t| {
            let selects: Vec<&SelectEval> = t.attributes.iter().flat_map(|a| &a.selects).collect();
            let failing = selects
                .iter()
                .filter(|s| matches!(s.outcome, Outcome::NoMatch | Outcome::Ambiguous(_)))
                .count();
            let status = if failing > 0 {
                format!(
                    "{failing} failing select{}",
                    if failing == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "{} select{}",
                    selects.len(),
                    if selects.len() == 1 { "" } else { "s" }
                )
            };
            SelectLens {
                range: TextRange::new(t.call_range.start, t.call_range.start),
                title: format!("⚙ {config} · {status}"),
            }
        })
        .collect()
}
