//! The values an active configuration gives to the options `config_setting`
//! can test, each with where it came from.
//!
//! They come from the effective option list of `bazel COMMAND ARGS`
//! ([`crate::rc::expand`]), read in Bazel's order:
//! - native options: the last occurrence wins, except for options that may
//!   be given several times (`--copt`), whose values accumulate;
//! - `--define=K=V`: the last value per key wins;
//! - Starlark build settings (`--//pkg:flag=v`, `--@repo//pkg:flag=v`,
//!   `--no//pkg:bool`): the last wins;
//! - Bazel's documented defaults for the few options a select usually tests
//!   ([`documented_default`]); other unset options have no known value.

use crate::flags::FlagDb;
use crate::hash::FastMap;
use crate::rc::expand::{ConfigStep, EffectiveOption, Expansion, OptionSource};

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An option of the effective list.
    Option {
        /// The option as normalised (`--compilation_mode=opt`).
        option: String,
        source: OptionSource,
        /// The configs that pulled it in, outermost first.
        via: Vec<ConfigStep>,
    },
    /// Bazel's default for the option.
    Default,
}

/// One value and its origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: Origin,
}

/// What an option is in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeValue {
    /// A single-valued option's value.
    Single(Setting),
    /// Every value of an option that accumulates (possibly none).
    Multiple(Vec<Setting>),
    /// The option is not set and its default is not known.
    Unknown,
}

/// The values of one active configuration.
#[derive(Clone, Debug, Default)]
pub struct ConfigValues {
    pub command: String,
    /// Native options by long name, every occurrence in order.
    native: FastMap<String, Vec<Setting>>,
    /// Native options that accumulate (`--copt`), by the flag database.
    multiple: FastMap<String, bool>,
    defines: FastMap<String, Setting>,
    /// Starlark settings by the label as written after `--` (`//pkg:flag`).
    starlark: FastMap<String, Setting>,
}

/// The host CPU as Bazel names it (`k8` for x86-64 Linux).
pub fn host_cpu() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "k8",
        ("linux", "aarch64") => "aarch64",
        ("linux", "powerpc64") => "ppc",
        ("linux", "s390x") => "s390x",
        ("macos", "x86_64") => "darwin",
        ("macos", "aarch64") => "darwin_arm64",
        ("windows", "x86_64") => "x64_windows",
        ("windows", "aarch64") => "arm64_windows",
        ("freebsd", _) => "freebsd",
        ("openbsd", _) => "openbsd",
        (_, arch) => arch,
    }
}

/// Bazel's documented default of an option a `config_setting` commonly
/// tests; `None` when bzls does not know it.
pub fn documented_default(name: &str) -> Option<String> {
    Some(
        match name {
            "compilation_mode" => "fastbuild",
            "cpu" | "host_cpu" => host_cpu(),
            "stamp" | "force_pic" | "collect_code_coverage" | "enable_runfiles" => {
                if name == "enable_runfiles" {
                    "true"
                } else {
                    "false"
                }
            }
            "host_compilation_mode" => "opt",
            "java_toolchain" | "host_java_toolchain" | "crosstool_top" => return None,
            "apple_platform_type" => "macos",
            _ => return None,
        }
        .to_string(),
    )
}

/// Values of boolean options that mean true and false, as Bazel's boolean
/// converter accepts them.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "True" | "yes" => Some(true),
        "0" | "false" | "False" | "no" => Some(false),
        _ => None,
    }
}

impl ConfigValues {
    /// Reads the effective options of `expansion` (see the module docs).
    pub fn from_expansion(expansion: &Expansion, db: &FlagDb) -> ConfigValues {
        let mut out = ConfigValues {
            command: expansion.command.clone(),
            ..ConfigValues::default()
        };
        for opt in &expansion.options {
            out.add(opt, db);
        }
        out
    }

    fn add(&mut self, opt: &EffectiveOption, db: &FlagDb) {
        let Some(name) = opt.name.as_deref() else {
            return;
        };
        let origin = Origin::Option {
            option: opt.option.clone(),
            source: opt.source.clone(),
            via: opt.via.clone(),
        };
        // Starlark settings: `--//p:f=v`, `--//p:f` (true), `--no//p:f`.
        let starlark = name
            .strip_prefix("no")
            .filter(|n| n.starts_with("//") || n.starts_with('@'))
            .map(|n| (n, Some("false")))
            .or_else(|| (name.starts_with("//") || name.starts_with('@')).then_some((name, None)));
        if let Some((label, forced)) = starlark {
            let value = forced
                .map(str::to_string)
                .or_else(|| opt.value.clone())
                .unwrap_or_else(|| "true".to_string());
            self.starlark
                .insert(label.to_string(), Setting { value, origin });
            return;
        }
        let Some(info) = db.get(name) else {
            return;
        };
        let negated = opt.option == format!("--no{}", info.name);
        let value = if negated {
            "false".to_string()
        } else {
            match &opt.value {
                Some(v) => v.clone(),
                None if info.has_negative_flag => "true".to_string(),
                None => String::new(),
            }
        };
        if info.name == "define" {
            if let Some((key, v)) = value.split_once('=') {
                self.defines.insert(
                    key.to_string(),
                    Setting {
                        value: v.to_string(),
                        origin,
                    },
                );
            }
            return;
        }
        self.multiple
            .insert(info.name.clone(), info.allows_multiple);
        self.native
            .entry(info.name.clone())
            .or_default()
            .push(Setting { value, origin });
    }

    /// The value of native option `name` (its long name).
    pub fn native(&self, name: &str, db: &FlagDb) -> NativeValue {
        let multiple = db.get(name).is_some_and(|f| f.allows_multiple)
            || self.multiple.get(name).copied().unwrap_or(false);
        let set = self.native.get(name);
        if multiple {
            return NativeValue::Multiple(set.cloned().unwrap_or_default());
        }
        if let Some(last) = set.and_then(|v| v.last()) {
            return NativeValue::Single(last.clone());
        }
        match documented_default(name) {
            Some(value) => NativeValue::Single(Setting {
                value,
                origin: Origin::Default,
            }),
            None => NativeValue::Unknown,
        }
    }

    /// The value of `--define=key=...`, when set.
    pub fn define(&self, key: &str) -> Option<&Setting> {
        self.defines.get(key)
    }

    /// The value a command-line option gives the Starlark setting whose
    /// label is written one of `spellings` (`//pkg:flag`, `@//pkg:flag`, ...).
    pub fn starlark(&self, spellings: &[String]) -> Option<&Setting> {
        spellings.iter().find_map(|s| self.starlark.get(s))
    }
}

impl Origin {
    /// Where the value came from, for people: ``--define=x=1` from
    /// .bazelrc:12, via --config=cuda`, `command line`, `default`.
    pub fn describe(&self, chain: &crate::rc::RcChain) -> String {
        match self {
            Origin::Default => "default".to_string(),
            Origin::Option {
                option,
                source,
                via,
            } => {
                let at = match source {
                    OptionSource::Rc { file, range } => chain.location(*file, range.start),
                    OptionSource::CommandLine { .. } => "the command line".to_string(),
                };
                let mut out = format!("`{option}` from {at}");
                if !via.is_empty() {
                    let steps: Vec<&str> = via.iter().map(|s| s.trigger.as_str()).collect();
                    out.push_str(", via ");
                    out.push_str(&steps.join(" → "));
                }
                out
            }
        }
    }
}
