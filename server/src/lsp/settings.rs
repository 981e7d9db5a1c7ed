//! Client settings, from `initializationOptions` and
//! `workspace/didChangeConfiguration`.
//!
//! Accepted shapes (editors differ): `{"bzls": {"command": ...}}`, the inner
//! object `{"command": ...}`, or flat dotted keys `{"bzls.command": ...}`.
//! Unknown keys are ignored; a key of the wrong type keeps its previous
//! value and is logged.

use std::path::PathBuf;

use serde_json::Value;

/// The settings bzls understands. Names are a public interface (docs/server.md, Settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `bzls.command`: the Bazel command select() previews assume.
    pub command: String,
    /// `bzls.configs`: the active `--config` names.
    pub configs: Vec<String>,
    /// `bzls.flags`: extra Bazel flags for the active configuration.
    pub flags: Vec<String>,
    /// `bzls.rc.systemRc`: read `/etc/bazel.bazelrc`.
    pub system_rc: bool,
    /// `bzls.rc.homeRc`: read `~/.bazelrc`.
    pub home_rc: bool,
    /// `bzls.bazel.path`: the Bazel (or Bazelisk) binary.
    pub bazel_path: Option<PathBuf>,
    /// `bzls.bazel.allowRun`: bzls may run Bazel in the background (to dump
    /// the flags of the exact version in use).
    pub allow_run: bool,
    /// `bzls.buildifier.path`: the buildifier binary (a path, or a name
    /// looked up on `PATH`); unset: `buildifier` on `PATH`.
    pub buildifier_path: Option<PathBuf>,
    /// `bzls.buildifier.lint`: `"warn"` shows buildifier's lint warnings
    /// as diagnostics, `"off"` does not.
    pub buildifier_lint: bool,
    /// `bzls.buildifier.warnings`: buildifier's `-warnings` (`"all"`, or
    /// a list like `"+unsorted-dict-items,-native-cc-library"`); unset:
    /// buildifier's default, or the workspace's `.buildifier.json`.
    pub buildifier_warnings: Option<String>,
    /// `bzls.codeLens.targets`: build / test / run lenses above targets.
    pub target_lenses: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            command: "build".to_string(),
            configs: Vec::new(),
            flags: Vec::new(),
            system_rc: true,
            home_rc: true,
            bazel_path: None,
            allow_run: false,
            buildifier_path: None,
            buildifier_lint: true,
            buildifier_warnings: None,
            target_lenses: true,
        }
    }
}

impl Settings {
    /// Applies whatever `value` sets, keeping the rest.
    pub fn update(&mut self, value: &Value) {
        let Some(obj) = value.as_object() else { return };
        let inner = obj.get("bzls").and_then(Value::as_object).unwrap_or(obj);
        let lookup = |path: &str| nested(inner, path).or_else(|| obj.get(&format!("bzls.{path}")));
        if let Some(v) = lookup("command") {
            match v.as_str() {
                Some(s) if !s.trim().is_empty() => self.command = s.trim().to_string(),
                _ => tracing::warn!(?v, "bzls.command must be a non-empty string"),
            }
        }
        if let Some(v) = lookup("configs") {
            match strings(v) {
                Some(list) => self.configs = list,
                None => tracing::warn!(?v, "bzls.configs must be a list of strings"),
            }
        }
        if let Some(v) = lookup("flags") {
            match strings(v) {
                Some(list) => self.flags = list,
                None => tracing::warn!(?v, "bzls.flags must be a list of strings"),
            }
        }
        let boolean = |path: &str, slot: &mut bool| {
            if let Some(v) = lookup(path) {
                match v.as_bool() {
                    Some(b) => *slot = b,
                    None => tracing::warn!(?v, "bzls.{path} must be a boolean"),
                }
            }
        };
        boolean("rc.systemRc", &mut self.system_rc);
        boolean("rc.homeRc", &mut self.home_rc);
        boolean("bazel.allowRun", &mut self.allow_run);
        boolean("codeLens.targets", &mut self.target_lenses);
        optional_path(lookup("bazel.path"), "bazel.path", &mut self.bazel_path);
        optional_path(
            lookup("buildifier.path"),
            "buildifier.path",
            &mut self.buildifier_path,
        );
        if let Some(v) = lookup("buildifier.lint") {
            match v.as_str() {
                Some("warn") => self.buildifier_lint = true,
                Some("off") => self.buildifier_lint = false,
                _ => tracing::warn!(?v, "bzls.buildifier.lint must be \"warn\" or \"off\""),
            }
        }
        if let Some(v) = lookup("buildifier.warnings") {
            match v {
                Value::Null => self.buildifier_warnings = None,
                Value::String(s) if s.trim().is_empty() => self.buildifier_warnings = None,
                Value::String(s) => self.buildifier_warnings = Some(s.trim().to_string()),
                _ => tracing::warn!(?v, "bzls.buildifier.warnings must be a string"),
            }
        }
    }
}

/// Sets `slot` from a path setting: a string, or null or blank for none.
fn optional_path(value: Option<&Value>, name: &str, slot: &mut Option<PathBuf>) {
    match value {
        None => {}
        Some(Value::Null) => *slot = None,
        Some(Value::String(s)) if s.trim().is_empty() => *slot = None,
        Some(Value::String(s)) => *slot = Some(PathBuf::from(s.trim())),
        Some(v) => tracing::warn!(?v, "bzls.{name} must be a string"),
    }
}

/// `path` (`rc.homeRc`) inside nested objects.
fn nested<'a>(obj: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let value = obj.get(first)?;
    match rest {
        None => Some(value),
        Some(rest) => nested(value.as_object()?, rest),
    }
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_every_shape() {
        for value in [
            json!({"bzls": {"command": "test", "configs": ["a"], "rc": {"homeRc": false}}}),
            json!({"command": "test", "configs": ["a"], "rc": {"homeRc": false}}),
            json!({"bzls.command": "test", "bzls.configs": ["a"], "bzls.rc.homeRc": false}),
        ] {
            let mut s = Settings::default();
            s.update(&value);
            assert_eq!(s.command, "test", "{value}");
            assert_eq!(s.configs, vec!["a"], "{value}");
            assert!(!s.home_rc, "{value}");
            assert!(s.system_rc);
        }
    }

    #[test]
    fn paths_are_set_and_cleared() {
        let mut s = Settings::default();
        s.update(&json!({"bzls.buildifier.path": " /opt/buildifier ", "bzls": {"bazel": {"path": "bazelisk"}}}));
        assert_eq!(s.buildifier_path, Some(PathBuf::from("/opt/buildifier")));
        assert_eq!(s.bazel_path, Some(PathBuf::from("bazelisk")));
        s.update(&json!({"bzls.buildifier.lint": "off", "bzls.buildifier.warnings": "all"}));
        assert!(!s.buildifier_lint);
        assert_eq!(s.buildifier_warnings.as_deref(), Some("all"));
        s.update(&json!({"bzls": {"buildifier": {"path": null, "lint": "warn", "warnings": null}, "bazel": {"path": ""}}}));
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn wrong_types_keep_the_old_value() {
        let mut s = Settings::default();
        s.update(&json!({"bzls": {"command": 3, "configs": "x", "rc": {"homeRc": "no"}, "bazel": {"path": 1}, "buildifier": {"path": false, "lint": true, "warnings": 3}}}));
        assert_eq!(s, Settings::default());
        s.update(&json!(null));
        s.update(&json!([1, 2]));
        assert_eq!(s, Settings::default());
    }
}
