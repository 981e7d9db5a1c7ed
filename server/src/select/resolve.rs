//! Which branch each `select()` takes, and an attribute's configured value.
//!
//! Bazel's rule, as its configured-attribute mapper applies it: the keys
//! are visited in order, keeping the best match so far; a matching key
//! replaces it when it specialises it ([`SettingsKey::refines`]), is
//! dropped when the best specialises it, and otherwise the select is
//! ambiguous. With no match, `//conditions:default` is taken, or the
//! select fails with `no_match_error` (or Bazel's message).

use super::conditions::{condition, Condition, Env, Verdict, DEFAULT_CONDITION};
use super::expr::{RuleCall, Select, Value};
use crate::text::TextRange;

/// How a select resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The branch at this index (a matching condition, or the default).
    Chosen(usize),
    /// Several conditions match and none specialises the others: the
    /// indices of the conflicting branches.
    Ambiguous(Vec<usize>),
    /// Nothing matches and there is no default.
    NoMatch,
    /// bzls cannot tell (a condition it cannot read or decide).
    Unknown(String),
}

/// One select, evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectEval {
    pub range: TextRange,
    pub callee_range: TextRange,
    /// One per branch, in branch order.
    pub conditions: Vec<Condition>,
    /// The key ranges, in branch order.
    pub key_ranges: Vec<TextRange>,
    pub outcome: Outcome,
    pub no_match_error: Option<String>,
}

impl SelectEval {
    /// The chosen condition's label (`//conditions:default` included).
    pub fn chosen(&self) -> Option<&str> {
        match self.outcome {
            Outcome::Chosen(i) => Some(&self.conditions[i].label),
            _ => None,
        }
    }

    /// The labels of the conditions that match, in branch order.
    pub fn matching(&self) -> Vec<&str> {
        self.conditions
            .iter()
            .filter(|c| c.verdict == Verdict::Yes)
            .map(|c| c.label.as_str())
            .collect()
    }

    /// Bazel's error message for a failed select of attribute `attr` of
    /// `target`; `None` when it did not fail.
    pub fn error_message(&self, attr: &str, target: &str) -> Option<String> {
        match &self.outcome {
            Outcome::NoMatch => Some(match &self.no_match_error {
                Some(custom) => format!(
                    "Configurable attribute \"{attr}\" doesn't match this configuration: {custom}"
                ),
                None => {
                    let mut msg = format!(
                        "Configurable attribute \"{attr}\" doesn't match this configuration \
                         (would a default condition help?).\nConditions checked:"
                    );
                    for c in &self.conditions {
                        msg.push_str("\n ");
                        msg.push_str(&c.label);
                    }
                    msg
                }
            }),
            Outcome::Ambiguous(indices) => {
                let mut msg = format!(
                    "Illegal ambiguous match on configurable attribute \"{attr}\" in {target}:"
                );
                for &i in indices {
                    msg.push('\n');
                    msg.push_str(&self.conditions[i].label);
                }
                msg.push_str(
                    "\nMultiple matches are not allowed unless one is unambiguously more specialized.",
                );
                Some(msg)
            }
            _ => None,
        }
    }
}

/// Evaluates one select written in `package`.
pub fn evaluate_select(env: &Env<'_>, select: &Select, package: &str) -> SelectEval {
    let conditions: Vec<Condition> = select
        .branches
        .iter()
        .map(|b| condition(env, &b.key, package))
        .collect();
    let outcome = if select.opaque {
        Outcome::Unknown("the select's dict is not a literal bzls can read".into())
    } else {
        outcome(&conditions)
    };
    SelectEval {
        range: select.range,
        callee_range: select.callee_range,
        key_ranges: select.branches.iter().map(|b| b.key_range).collect(),
        conditions,
        outcome,
        no_match_error: select.no_match_error.clone(),
    }
}

fn outcome(conditions: &[Condition]) -> Outcome {
    let mut best: Option<usize> = None;
    let mut conflicts: Vec<usize> = Vec::new();
    let mut default = None;
    for (i, c) in conditions.iter().enumerate() {
        if c.label == DEFAULT_CONDITION {
            default = Some(i);
            continue;
        }
        match c.verdict {
            Verdict::No => continue,
            Verdict::Unknown => {
                return Outcome::Unknown(
                    c.unknown_because
                        .clone()
                        .unwrap_or_else(|| format!("{} cannot be decided", c.label)),
                )
            }
            Verdict::Yes => {}
        }
        let Some(b) = best else {
            best = Some(i);
            continue;
        };
        let (Some(mine), Some(theirs)) = (&c.settings, &conditions[b].settings) else {
            return Outcome::Unknown(format!(
                "{} and {} both match; bzls cannot compare them",
                conditions[b].label, c.label
            ));
        };
        if mine.refines(theirs) {
            best = Some(i);
        } else if theirs.refines(mine) {
            // The best so far is more specialised: keep it.
        } else {
            conflicts.push(b);
            conflicts.push(i);
            break;
        }
    }
    if !conflicts.is_empty() {
        return Outcome::Ambiguous(conflicts);
    }
    match (best, default) {
        (Some(i), _) | (None, Some(i)) => Outcome::Chosen(i),
        (None, None) => Outcome::NoMatch,
    }
}

/// An attribute of a target, configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeEval {
    pub name: String,
    pub name_range: TextRange,
    /// Every select evaluated for the value, in text order.
    pub selects: Vec<SelectEval>,
    /// The configured value; `None` when a select failed or is unknown.
    pub value: Option<Value>,
}

/// Evaluates every attribute of `call` that holds a select.
pub fn evaluate_call(env: &Env<'_>, call: &RuleCall, package: &str) -> Vec<AttributeEval> {
    call.attrs
        .iter()
        .filter(|a| a.value.has_select())
        .map(|a| {
            let mut selects = Vec::new();
            let value = configure(env, &a.value, package, &mut selects);
            AttributeEval {
                name: a.name.clone(),
                name_range: a.name_range,
                selects,
                value,
            }
        })
        .collect()
}

/// The value with every select replaced by its chosen branch (configured
/// in turn); `+` of lists and strings joined. Records each select met.
pub fn configure(
    env: &Env<'_>,
    value: &Value,
    package: &str,
    selects: &mut Vec<SelectEval>,
) -> Option<Value> {
    match value {
        Value::Select(select) => {
            let eval = evaluate_select(env, select, package);
            let chosen = match eval.outcome {
                Outcome::Chosen(i) => Some(i),
                _ => None,
            };
            selects.push(eval);
            let branch = &select.branches[chosen?];
            configure(env, &branch.value, package, selects)
        }
        Value::List(items) | Value::Tuple(items) => {
            let mut out = Vec::new();
            let mut ok = true;
            for item in items {
                match configure(env, item, package, selects) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            let configured = match value {
                Value::Tuple(_) => Value::Tuple(out),
                _ => Value::List(out),
            };
            ok.then_some(configured)
        }
        Value::Concat(parts) => {
            let mut configured = Vec::new();
            let mut ok = true;
            for part in parts {
                match configure(env, part, package, selects) {
                    Some(v) => configured.push(v),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            join(configured)
        }
        Value::Dict(entries) => {
            let mut out = Vec::new();
            let mut ok = true;
            for (k, v) in entries {
                match (
                    configure(env, k, package, selects),
                    configure(env, v, package, selects),
                ) {
                    (Some(k), Some(v)) => out.push((k, v)),
                    _ => ok = false,
                }
            }
            ok.then_some(Value::Dict(out))
        }
        other => Some(other.clone()),
    }
}

/// `a + b + ...` of configured values: lists concatenate, strings join,
/// dicts merge (later keys win); anything else is unknown.
fn join(parts: Vec<Value>) -> Option<Value> {
    let mut parts = parts.into_iter();
    let mut acc = parts.next()?;
    for part in parts {
        acc = match (acc, part) {
            (Value::List(mut a), Value::List(b)) => {
                a.extend(b);
                Value::List(a)
            }
            (Value::Str(a, r), Value::Str(b, _)) => Value::Str(a + &b, r),
            (Value::Dict(mut a), Value::Dict(b)) => {
                for (k, v) in b {
                    a.retain(|(existing, _)| existing != &k);
                    a.push((k, v));
                }
                Value::Dict(a)
            }
            (Value::Unknown(r), _) | (_, Value::Unknown(r)) => Value::Unknown(r),
            (a, _) => Value::Unknown(match a {
                Value::Str(_, r) => r,
                _ => TextRange::new(0, 0),
            }),
        };
    }
    Some(acc)
}
