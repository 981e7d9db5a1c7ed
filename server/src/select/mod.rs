//! `select()` under an active configuration: which branch each select
//! takes, why, and the configured values of a target's attributes. Pure:
//! BUILD files come through [`Packages`], the configuration as
//! [`ConfigValues`] computed from an rc expansion.
//!
//! - [`expr`] reads a BUILD file's calls statically, selects included;
//! - [`values`] turns the effective options into the values conditions
//!   test, with provenance;
//! - [`conditions`] resolves select keys (`config_setting`, `alias`,
//!   `config_setting_group`, `constraint_value`) and matches them;
//! - [`resolve`] applies Bazel's choice rule and configures values.

pub mod conditions;
pub mod corpus;
pub mod expr;
pub mod resolve;
pub mod values;

#[cfg(test)]
mod tests;

pub use conditions::{Condition, Env, Packages, Verdict};
pub use expr::{RuleCall, Select, Value};
pub use resolve::{evaluate_call, evaluate_select, AttributeEval, Outcome, SelectEval};
pub use values::ConfigValues;

/// The labels (absolute for the main repository) and strings of a
/// configured value, flattened in order: `[":a"] + ["b"]` gives both.
/// `None` when some part is not a string.
pub fn flat_strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Str(s, _) => Some(vec![s.clone()]),
        Value::List(items) | Value::Tuple(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(flat_strings(item)?);
            }
            Some(out)
        }
        Value::None => Some(Vec::new()),
        _ => None,
    }
}
