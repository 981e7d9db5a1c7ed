//! Select conditions: what a key of a `select()` refers to
//! (`config_setting`, an `alias` chain to one, a skylib
//! `config_setting_group`, a `constraint_value`), and whether it matches a
//! configuration, check by check, with the origin of every value.

use std::sync::{Arc, Mutex};

use super::expr::{RuleCall, Value};
use super::values::{parse_bool, ConfigValues, NativeValue, Origin, Setting};
use crate::flags::FlagDb;
use crate::hash::FastMap;
use crate::text::TextRange;
use crate::workspace::label::{parse_label, Repo};

/// The key that matches when nothing else does.
pub const DEFAULT_CONDITION: &str = "//conditions:default";

/// How deep alias chains and groups are followed before giving up.
const MAX_DEPTH: usize = 32;

/// The static calls of the main repository's packages.
pub trait Packages {
    /// The top-level calls of `package`'s BUILD file; `None` when there is
    /// no such package or its BUILD file cannot be read.
    fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>>;
}

/// Three-valued: some conditions cannot be decided statically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
    Unknown,
}

impl Verdict {
    fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::No, _) | (_, Verdict::No) => Verdict::No,
            (Verdict::Yes, Verdict::Yes) => Verdict::Yes,
            _ => Verdict::Unknown,
        }
    }

    fn or(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Yes, _) | (_, Verdict::Yes) => Verdict::Yes,
            (Verdict::No, Verdict::No) => Verdict::No,
            _ => Verdict::Unknown,
        }
    }
}

/// One test a condition makes, and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What is tested: `compilation_mode`, `--define using_cuda`,
    /// `//pkg:flag`, `constraint //c:arm`.
    pub what: String,
    pub expected: String,
    /// The value in the configuration (`None`: not set and no default).
    pub actual: Option<Setting>,
    pub verdict: Verdict,
}

/// A select key, resolved and matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The key made absolute (`//pkg:opt`, `//conditions:default`).
    pub label: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    /// The labels an alias chain went through, then the target reached.
    pub chain: Vec<String>,
    /// Where the condition reached is defined: package and call range.
    pub defined_at: Option<(String, TextRange)>,
    /// Why the verdict is unknown, when it is.
    pub unknown_because: Option<String>,
    /// What the condition sets, for Bazel's specialisation rule (a
    /// group's are those of the member it resolves to); `None` for
    /// conditions that could not be read.
    pub settings: Option<SettingsKey>,
}

/// The settings of a `config_setting`, as Bazel compares them when several
/// conditions match: `values` and `define_values` as `(option, value)`
/// pairs (`("define", "a=1")`), `flag_values` by absolute label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsKey {
    pub values: Vec<(String, String)>,
    pub flags: Vec<(String, String)>,
}

impl SettingsKey {
    /// Bazel's rule: `self` specialises `other` when its settings include all
    /// of `other`'s and are strictly more.
    pub fn refines(&self, other: &SettingsKey) -> bool {
        let includes = |mine: &[(String, String)], theirs: &[(String, String)]| {
            theirs.iter().all(|t| mine.contains(t))
        };
        includes(&self.values, &other.values)
            && includes(&self.flags, &other.flags)
            && (distinct(&self.values) > distinct(&other.values)
                || distinct(&self.flags) > distinct(&other.flags))
    }
}

fn distinct(pairs: &[(String, String)]) -> usize {
    let mut seen: Vec<&(String, String)> = Vec::new();
    for p in pairs {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen.len()
}

/// What conditions are evaluated against, and the conditions already
/// evaluated (a BUILD file with 500 selects tests far fewer conditions).
pub struct Env<'a> {
    pub packages: &'a dyn Packages,
    pub values: &'a ConfigValues,
    pub db: &'a FlagDb,
    /// Absolute key label → its evaluation under `values`.
    memo: Mutex<FastMap<String, Condition>>,
}

impl<'a> Env<'a> {
    pub fn new(packages: &'a dyn Packages, values: &'a ConfigValues, db: &'a FlagDb) -> Env<'a> {
        Env {
            packages,
            values,
            db,
            memo: Mutex::new(FastMap::default()),
        }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, FastMap<String, Condition>> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A label of the main repository made absolute, or the text as written
/// for other repositories (and non-labels).
pub fn absolute(text: &str, current: &str) -> String {
    match parse_label(text) {
        Ok(label) if matches!(label.repo, Repo::Current | Repo::Main) => {
            let package = label.package.as_deref().unwrap_or(current);
            format!("//{package}:{}", label.name)
        }
        _ => text.to_string(),
    }
}

/// Splits `//pkg:name` into package and name.
fn split(label: &str) -> Option<(&str, &str)> {
    label.strip_prefix("//")?.split_once(':')
}

/// Finds the call that declares `label` (absolute, main repository).
fn find<'p>(
    env: &Env<'_>,
    label: &str,
    calls: &'p mut Option<Arc<Vec<RuleCall>>>,
) -> Option<&'p RuleCall> {
    let (package, name) = split(label)?;
    *calls = env.packages.calls(package);
    calls
        .as_ref()?
        .iter()
        .find(|c| c.name.as_deref() == Some(name))
}

/// Resolves and matches the select key `key`, written in package `current`.
pub fn condition(env: &Env<'_>, key: &str, current: &str) -> Condition {
    let label = absolute(key, current);
    if let Some(hit) = env.memo().get(&label) {
        return hit.clone();
    }
    let out = evaluate_condition(env, label);
    env.memo().insert(out.label.clone(), out.clone());
    out
}

fn evaluate_condition(env: &Env<'_>, label: String) -> Condition {
    let mut out = Condition {
        label: label.clone(),
        verdict: Verdict::Unknown,
        checks: Vec::new(),
        chain: Vec::new(),
        defined_at: None,
        unknown_because: None,
        settings: None,
    };
    if label == DEFAULT_CONDITION {
        out.verdict = Verdict::No;
        return out;
    }
    resolve_into(env, &label, &mut out, 0);
    out
}

fn unknown(out: &mut Condition, why: String) {
    out.verdict = Verdict::Unknown;
    out.unknown_because = Some(why);
}

fn resolve_into(env: &Env<'_>, label: &str, out: &mut Condition, depth: usize) {
    if depth > MAX_DEPTH || out.chain.iter().filter(|l| *l == label).count() > 1 {
        return unknown(out, format!("alias cycle through {label}"));
    }
    out.chain.push(label.to_string());
    if split(label).is_none() {
        return unknown(out, format!("{label} is in another repository"));
    }
    let mut calls = None;
    let Some(call) = find(env, label, &mut calls) else {
        let (package, _) = split(label).unwrap_or_default();
        let why = if env.packages.calls(package).is_none() {
            format!("no package '{package}' (or its BUILD file is unreadable)")
        } else {
            format!("{label} is not declared by a plain call in its BUILD file")
        };
        return unknown(out, why);
    };
    let (package, _) = split(label).unwrap_or_default();
    out.defined_at = Some((package.to_string(), call.range));
    let kind = call.kind.as_str();
    match kind {
        "config_setting" => config_setting(env, call, package, out),
        "alias" => match call.attr("actual") {
            Some(Value::Str(actual, _)) => {
                let next = absolute(actual, package);
                resolve_into(env, &next, out, depth + 1)
            }
            _ => unknown(out, format!("the alias {label} has no literal `actual`")),
        },
        "constraint_value" => {
            out.settings = Some(SettingsKey::default());
            let check = constraint_check(env, label, package);
            out.verdict = check.verdict;
            out.checks.push(check);
        }
        _ if kind.ends_with("config_setting_group") => group(env, call, package, out, depth),
        _ => unknown(
            out,
            format!("{label} is a `{kind}`, not a config_setting bzls can read"),
        ),
    }
}

/// `selects.config_setting_group(match_any = [...])` or `match_all`.
fn group(env: &Env<'_>, call: &RuleCall, package: &str, out: &mut Condition, depth: usize) {
    let (list, any) = match (call.attr("match_any"), call.attr("match_all")) {
        (Some(list), None) => (list, true),
        (None, Some(list)) => (list, false),
        _ => {
            return unknown(
                out,
                "a config_setting_group needs match_any or match_all".into(),
            )
        }
    };
    let Value::List(items) = list else {
        return unknown(out, "the group's list is not a literal".into());
    };
    let mut verdict = if any { Verdict::No } else { Verdict::Yes };
    let mut members: Vec<(Verdict, Option<SettingsKey>)> = Vec::new();
    for item in items {
        let Some(member) = item.as_str() else {
            return unknown(out, "a group member is not a string".into());
        };
        let mut inner = Condition {
            label: absolute(member, package),
            verdict: Verdict::Unknown,
            checks: Vec::new(),
            chain: out.chain.clone(),
            defined_at: None,
            unknown_because: None,
            settings: None,
        };
        resolve_into(env, &inner.label.clone(), &mut inner, depth + 1);
        members.push((inner.verdict, inner.settings.clone()));
        verdict = if any {
            verdict.or(inner.verdict)
        } else {
            verdict.and(inner.verdict)
        };
        for mut check in inner.checks {
            check.what = format!("{} › {}", inner.label, check.what);
            out.checks.push(check);
        }
        if inner.verdict == Verdict::Unknown && out.unknown_because.is_none() {
            out.unknown_because = inner.unknown_because;
        }
    }
    out.verdict = verdict;
    out.settings = chain_end(&members, any);
    if verdict != Verdict::Unknown {
        out.unknown_because = None;
    }
}

/// The member a group stands for, as Bazel sees it. bazel_skylib makes a
/// group a chain of aliases, one `select()` per member: `match_any` stops
/// at the first member that matches, `match_all` at the first that does
/// not; otherwise the chain ends at the last member. That member's
/// settings are the group's for the specialisation rule (so a group beside
/// one of its own members is ambiguous when both match). `None` when an
/// undecided member comes first.
fn chain_end(members: &[(Verdict, Option<SettingsKey>)], any: bool) -> Option<SettingsKey> {
    let last = members.len().checked_sub(1)?;
    for (i, (verdict, settings)) in members.iter().enumerate() {
        let stops = match verdict {
            Verdict::Unknown => return None,
            Verdict::Yes => any,
            Verdict::No => !any,
        };
        if stops || i == last {
            return settings.clone();
        }
    }
    None
}

/// A `config_setting`: every `values`, `define_values`, `flag_values` and
/// `constraint_values` entry must match.
fn config_setting(env: &Env<'_>, call: &RuleCall, package: &str, out: &mut Condition) {
    let mut key = SettingsKey::default();
    let mut verdict = Verdict::Yes;
    let mut push = |out: &mut Condition, check: Check| {
        verdict = verdict.and(check.verdict);
        out.checks.push(check);
    };
    let dict = |name: &str| -> Result<Vec<(String, String)>, String> {
        match call.attr(name) {
            None | Some(Value::None) => Ok(Vec::new()),
            Some(Value::Dict(entries)) => entries
                .iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    (Some(k), Value::Str(v, _)) => Ok((k.to_string(), v.clone())),
                    (Some(k), Value::Bool(b)) => Ok((k.to_string(), b.to_string())),
                    _ => Err(format!("`{name}` is not a dict of strings")),
                })
                .collect(),
            Some(_) => Err(format!("`{name}` is not a literal dict")),
        }
    };
    let (values, defines, flags) =
        match (dict("values"), dict("define_values"), dict("flag_values")) {
            (Ok(v), Ok(d), Ok(f)) => (v, d, f),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unknown(out, e),
        };
    for (option, expected) in &values {
        if option == "define" {
            let Some((k, v)) = expected.split_once('=') else {
                return unknown(
                    out,
                    format!("`values` define {expected:?} is not KEY=VALUE"),
                );
            };
            key.values.push(("define".into(), expected.clone()));
            push(out, define_check(env, k, v));
        } else {
            key.values.push((option.clone(), expected.clone()));
            push(out, native_check(env, option, expected));
        }
    }
    for (k, v) in &defines {
        key.values.push(("define".into(), format!("{k}={v}")));
        push(out, define_check(env, k, v));
    }
    for (flag, expected) in &flags {
        let flag = absolute(flag, package);
        key.flags.push((flag.clone(), expected.clone()));
        push(out, flag_check(env, &flag, expected));
    }
    match call.attr("constraint_values") {
        None | Some(Value::None) => {}
        Some(Value::List(items)) => {
            for item in items {
                let Some(c) = item.as_str() else {
                    return unknown(out, "`constraint_values` is not a list of strings".into());
                };
                push(out, constraint_check(env, &absolute(c, package), package));
            }
        }
        Some(_) => return unknown(out, "`constraint_values` is not a literal list".into()),
    }
    out.settings = Some(key);
    out.verdict = verdict;
    if verdict == Verdict::Unknown {
        out.unknown_because = Some("a value it tests is not known".into());
    }
}

fn define_check(env: &Env<'_>, key: &str, expected: &str) -> Check {
    let actual = env.values.define(key).cloned();
    let verdict = match &actual {
        Some(s) if s.value == expected => Verdict::Yes,
        _ => Verdict::No,
    };
    Check {
        what: format!("--define {key}"),
        expected: expected.to_string(),
        actual,
        verdict,
    }
}

fn native_check(env: &Env<'_>, option: &str, expected: &str) -> Check {
    let info = env.db.get(option);
    let name = info.map_or(option, |i| i.name.as_str());
    let boolean = info.is_some_and(|i| i.is_boolean());
    let same = |actual: &str| {
        if boolean {
            match (parse_bool(actual), parse_bool(expected)) {
                (Some(a), Some(b)) => a == b,
                _ => actual == expected,
            }
        } else {
            actual == expected
        }
    };
    let (actual, verdict) = match env.values.native(name, env.db) {
        NativeValue::Single(s) => {
            let v = if same(&s.value) {
                Verdict::Yes
            } else {
                Verdict::No
            };
            (Some(s), v)
        }
        NativeValue::Multiple(all) => match all.iter().rev().find(|s| same(&s.value)) {
            Some(hit) => (Some(hit.clone()), Verdict::Yes),
            None => (all.last().cloned(), Verdict::No),
        },
        NativeValue::Unknown if boolean => {
            // Unset booleans are false, with few exceptions Bazel documents.
            let s = Setting {
                value: "false".into(),
                origin: Origin::Default,
            };
            let v = if same(&s.value) {
                Verdict::Yes
            } else {
                Verdict::No
            };
            (Some(s), v)
        }
        NativeValue::Unknown => (None, Verdict::Unknown),
    };
    Check {
        what: name.to_string(),
        expected: expected.to_string(),
        actual,
        verdict,
    }
}

/// A Starlark build setting: the command line's value, else its
/// `build_setting_default`.
fn flag_check(env: &Env<'_>, flag: &str, expected: &str) -> Check {
    let mut chain = vec![flag.to_string()];
    // Follow aliases to the setting itself; the command line may name any.
    let mut target = flag.to_string();
    let mut setting_call = None;
    for _ in 0..MAX_DEPTH {
        let mut calls = None;
        let Some(call) = find(env, &target, &mut calls).cloned() else {
            break;
        };
        if call.kind == "alias" {
            if let Some(actual) = call.attr("actual").and_then(Value::as_str) {
                let (package, _) = split(&target).unwrap_or_default();
                target = absolute(actual, package);
                chain.push(target.clone());
                continue;
            }
        }
        setting_call = Some(call);
        break;
    }
    let spellings: Vec<String> = chain
        .iter()
        .flat_map(|l| [l.clone(), format!("@{l}"), format!("@@{l}")])
        .collect();
    let is_bool = setting_call.as_ref().is_some_and(|c| {
        c.kind.ends_with("bool_flag")
            || c.kind.ends_with("bool_setting")
            || matches!(c.attr("build_setting_default"), Some(Value::Bool(_)))
    });
    let actual = env.values.starlark(&spellings).cloned().or_else(|| {
        let call = setting_call.as_ref()?;
        let value = match call.attr("build_setting_default")? {
            Value::Str(s, _) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::List(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?
                .join(","),
            _ => return None,
        };
        Some(Setting {
            value,
            origin: Origin::Default,
        })
    });
    let verdict = match &actual {
        None => Verdict::Unknown,
        Some(s) if is_bool => match (parse_bool(&s.value), parse_bool(expected)) {
            (Some(a), Some(b)) => verdict_of(a == b),
            _ => verdict_of(s.value == expected),
        },
        Some(s) => verdict_of(s.value == expected),
    };
    Check {
        what: flag.to_string(),
        expected: expected.to_string(),
        actual,
        verdict,
    }
}

fn verdict_of(yes: bool) -> Verdict {
    if yes {
        Verdict::Yes
    } else {
        Verdict::No
    }
}

/// The host platform's constraint values, as `@platforms` names them.
pub fn host_constraints() -> Vec<String> {
    let os = match std::env::consts::OS {
        "macos" => "osx",
        other => other,
    };
    let cpu = std::env::consts::ARCH;
    vec![
        format!("@platforms//os:{os}"),
        format!("@platforms//cpu:{cpu}"),
    ]
}

/// The target platform's constraint values: those of the first
/// `--platforms` entry (and its parents), else the host's.
fn platform_constraints(env: &Env<'_>) -> (Vec<String>, Option<Setting>) {
    let platforms = match env.values.native("platforms", env.db) {
        NativeValue::Single(s) if !s.value.is_empty() => Some(s),
        NativeValue::Multiple(all) => all.last().cloned(),
        _ => None,
    };
    let Some(setting) = platforms else {
        return (host_constraints(), None);
    };
    let first = setting
        .value
        .split(',')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut out = Vec::new();
    let mut next = Some(absolute(&first, ""));
    let mut depth = 0;
    while let Some(platform) = next.take() {
        depth += 1;
        if depth > MAX_DEPTH {
            break;
        }
        let mut calls = None;
        let Some(call) = find(env, &platform, &mut calls).cloned() else {
            break;
        };
        let (package, _) = split(&platform).unwrap_or_default();
        if let Some(Value::List(items)) = call.attr("constraint_values") {
            out.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|c| absolute(c, package)),
            );
        }
        if let Some(Value::List(parents)) = call.attr("parents") {
            next = parents
                .first()
                .and_then(Value::as_str)
                .map(|p| absolute(p, package));
        }
    }
    (out, Some(setting))
}

/// Whether the target platform has constraint value `value`.
fn constraint_check(env: &Env<'_>, value: &str, _current: &str) -> Check {
    let (constraints, setting) = platform_constraints(env);
    let normalize = |c: &str| {
        c.strip_prefix("@bazel_tools//platforms:")
            .map(|name| match name {
                "linux" | "osx" | "windows" | "freebsd" | "android" | "ios" => {
                    format!("@platforms//os:{name}")
                }
                _ => format!("@platforms//cpu:{name}"),
            })
            .unwrap_or_else(|| c.to_string())
    };
    let wanted = normalize(value);
    let has = constraints.iter().any(|c| normalize(c) == wanted);
    let verdict = if has {
        Verdict::Yes
    } else {
        // The constraint setting's default applies when the platform sets
        // no value of that setting.
        default_applies(env, &wanted, &constraints)
    };
    let actual = Setting {
        value: if constraints.is_empty() {
            "(no constraints)".into()
        } else {
            constraints.join(", ")
        },
        origin: setting.map_or(Origin::Default, |s| s.origin),
    };
    Check {
        what: "target platform constraint".into(),
        expected: value.to_string(),
        actual: Some(actual),
        verdict,
    }
}

/// For a main-repository `constraint_value` the platform does not list:
/// whether its setting's `default_constraint_value` is it and the platform
/// sets no other value of that setting.
fn default_applies(env: &Env<'_>, value: &str, constraints: &[String]) -> Verdict {
    if split(value).is_none() {
        return Verdict::No;
    }
    let mut calls = None;
    let Some(call) = find(env, value, &mut calls).cloned() else {
        return Verdict::No;
    };
    let (package, _) = split(value).unwrap_or_default();
    let Some(setting) = call
        .attr("constraint_setting")
        .and_then(Value::as_str)
        .map(|s| absolute(s, package))
    else {
        return Verdict::No;
    };
    let mut setting_calls = None;
    let Some(setting_call) = find(env, &setting, &mut setting_calls).cloned() else {
        return Verdict::No;
    };
    let (setting_package, _) = split(&setting).unwrap_or_default();
    let default = setting_call
        .attr("default_constraint_value")
        .and_then(Value::as_str)
        .map(|d| absolute(d, setting_package));
    if default.as_deref() != Some(value) {
        return Verdict::No;
    }
    // Another value of the same setting on the platform wins.
    for other in constraints {
        let mut other_calls = None;
        if let Some(other_call) = find(env, other, &mut other_calls) {
            let (other_package, _) = split(other).unwrap_or_default();
            let other_setting = other_call
                .attr("constraint_setting")
                .and_then(Value::as_str)
                .map(|s| absolute(s, other_package));
            if other_setting.as_deref() == Some(setting.as_str()) {
                return Verdict::No;
            }
        }
    }
    Verdict::Yes
}
