//! One flag of a dump, and what can be said about its value.

/// The values Bazel's boolean converter accepts, in completion order.
pub const BOOLEAN_VALUES: [&str; 6] = ["true", "false", "yes", "no", "1", "0"];

/// The values Bazel's tri-state converter accepts, in completion order.
pub const TRI_STATE_VALUES: [&str; 7] = ["auto", "yes", "no", "true", "false", "1", "0"];

/// One `FlagInfo` of a `bazel help flags-as-proto` dump, as plain data.
///
/// Fields hold exactly what the dump says; a field the dump's Bazel version
/// does not emit keeps its empty value (`""`, `[]`, `None`). The dump has no
/// default values, so neither does this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagInfo {
    /// Name without leading dashes, never empty. Query output options contain
    /// a colon (`proto:locations`).
    pub name: String,
    /// `--no<name>` exists as well (boolean and tri-state flags).
    pub has_negative_flag: bool,
    /// Help text, possibly empty. May contain `%{product}` placeholders.
    pub documentation: String,
    /// Commands the flag applies to, as the dump lists them (inherited
    /// commands are already included: a `build` flag lists `test` too). The
    /// pseudo-command `startup` marks startup options.
    pub commands: Vec<String>,
    /// One-letter short form without the dash (`c` for `compilation_mode`).
    pub abbreviation: Option<String>,
    /// The flag may be given several times and its values accumulate.
    pub allows_multiple: bool,
    /// `OptionEffectTag` names; empty before Bazel 5-ish dumps (none in 2.1.0).
    pub effect_tags: Vec<String>,
    /// `OptionMetadataTag` names such as `DEPRECATED`, `EXPERIMENTAL`,
    /// `INCOMPATIBLE_CHANGE`, `HIDDEN`; empty in 2.1.0.
    pub metadata_tags: Vec<String>,
    /// Documentation category (`OUTPUT_PARAMETERS`, ...); empty in 2.1.0.
    pub category: String,
    /// Whether `--name` must be followed by a value. `None` when the dump
    /// predates the field (2.1.0). `Some(false)` without a negative form marks
    /// expansion flags (`--remote_download_minimal`) and flags whose value is
    /// optional (`--subcommands`).
    pub requires_value: Option<bool>,
    /// Former names still accepted by Bazel. Only newer dumps (field 11) carry
    /// them; old names are not flags of their own in any dump.
    pub old_names: Vec<String>,
    /// Bazel's deprecation message for the flag, from newer dumps (field 12).
    pub deprecation_warning: Option<String>,
    /// The Java converter class. No dump seen so far carries one (the field
    /// number in newer Bazel is unverified), so this is `None` for every
    /// decoded dump; [`FlagInfo::value_kind`] uses it when set.
    pub type_converter: Option<String>,
    /// Accepted values of an enum flag. Empty for every decoded dump, for the
    /// same reason as [`FlagInfo::type_converter`].
    pub enum_values: Vec<String>,
    /// The default, as `bazel help COMMAND --long` prints it (`"false"`,
    /// `see description`), when that output was dumped with the flags. Not
    /// in any `flags-as-proto` dump.
    pub default_value: Option<String>,
    /// The value's description from the same help output (`a boolean`,
    /// `fastbuild, dbg or opt`).
    pub value_description: Option<String>,
    /// Answers computed from the fields above on first use (documentation
    /// scans are too slow to repeat for every option of a large rc file).
    /// Invariant: the fields above do not change after the first query.
    #[doc(hidden)]
    pub derived: Derived,
}

/// Lazily computed properties of a [`FlagInfo`]; never part of equality.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    kind: std::sync::OnceLock<ValueKind>,
    deprecated: std::sync::OnceLock<bool>,
}

impl PartialEq for Derived {
    fn eq(&self, _: &Derived) -> bool {
        true
    }
}

impl Eq for Derived {}

/// What kind of value a flag takes, as far as the data tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    /// `--name`, `--noname` or `--name=<bool>`; see [`BOOLEAN_VALUES`].
    Boolean,
    /// Like a boolean, plus `auto`; see [`TRI_STATE_VALUES`].
    TriState,
    /// One of a fixed set of values.
    Enum(Vec<String>),
    /// An integer (only known from a converter name).
    Integer,
    /// A Bazel label (only known from a converter name).
    Label,
    /// The flag may stand alone: expansion flags, and flags with an optional
    /// value (`requires_value` is false and there is no `--no` form).
    ValueOptional,
    /// Anything else, including everything the data cannot classify.
    String,
}

impl ValueKind {
    /// Values worth offering for completion, in a sensible order; empty when
    /// the values are open-ended.
    pub fn completion_values(&self) -> Vec<&str> {
        match self {
            ValueKind::Boolean => BOOLEAN_VALUES.to_vec(),
            ValueKind::TriState => TRI_STATE_VALUES.to_vec(),
            ValueKind::Enum(values) => values.iter().map(String::as_str).collect(),
            ValueKind::Integer
            | ValueKind::Label
            | ValueKind::ValueOptional
            | ValueKind::String => Vec::new(),
        }
    }
}

impl FlagInfo {
    /// The flag is a plain boolean: it has a `--no` form and is not tri-state.
    pub fn is_boolean(&self) -> bool {
        *self.value_kind_ref() == ValueKind::Boolean
    }

    /// The flag is deprecated or does nothing: metadata tag `DEPRECATED`,
    /// effect tag `NO_OP`, a deprecation warning, or documentation that opens
    /// with "Deprecated"/"No-op"/"Obsolete" or says "this option is
    /// deprecated", "this flag is a no-op", "has no effect" and the like.
    ///
    /// Caveat: Bazel keys its dump by name, so a startup option and a command
    /// option with the same name (`watchfs`) share one entry, tags included.
    pub fn is_deprecated(&self) -> bool {
        *self
            .derived
            .deprecated
            .get_or_init(|| self.compute_deprecated())
    }

    fn compute_deprecated(&self) -> bool {
        self.metadata_tags.iter().any(|t| t == "DEPRECATED")
            || self.effect_tags.iter().any(|t| t == "NO_OP")
            || self.deprecation_warning.is_some()
            || doc_says_deprecated(&self.documentation)
    }

    /// The flag's value kind. In order: the converter name, dumped enum
    /// values, the `--no` form (boolean, or tri-state when the documentation
    /// names the quoted values `auto` and `yes`), an exact
    /// `Values: 'a', 'b', 'c'.` list in the documentation (enum),
    /// `requires_value == Some(false)` (value optional), else string.
    pub fn value_kind(&self) -> ValueKind {
        self.value_kind_ref().clone()
    }

    /// [`FlagInfo::value_kind`], without cloning.
    pub fn value_kind_ref(&self) -> &ValueKind {
        self.derived.kind.get_or_init(|| self.compute_value_kind())
    }

    fn compute_value_kind(&self) -> ValueKind {
        if let Some(kind) = self
            .type_converter
            .as_deref()
            .and_then(|c| kind_from_converter(c, &self.enum_values))
        {
            return kind;
        }
        if !self.enum_values.is_empty() {
            return ValueKind::Enum(self.enum_values.clone());
        }
        if self.has_negative_flag {
            return if doc_says_tri_state(&self.documentation) {
                ValueKind::TriState
            } else {
                ValueKind::Boolean
            };
        }
        if let Some(values) = doc_enum_values(&self.documentation) {
            return ValueKind::Enum(values);
        }
        if self.requires_value == Some(false) {
            return ValueKind::ValueOptional;
        }
        ValueKind::String
    }

    /// Whether the flag is a startup option.
    pub fn is_startup(&self) -> bool {
        self.commands.iter().any(|c| c == "startup")
    }
}

/// Maps the simple name of a Java converter class to a kind, for the few
/// converters whose meaning is certain.
fn kind_from_converter(converter: &str, enum_values: &[String]) -> Option<ValueKind> {
    let simple = converter.rsplit(['.', '$']).next().unwrap_or(converter);
    if !enum_values.is_empty() {
        return Some(ValueKind::Enum(enum_values.to_vec()));
    }
    match simple {
        "BooleanConverter" => Some(ValueKind::Boolean),
        "TriStateConverter" => Some(ValueKind::TriState),
        "IntegerConverter" | "LongConverter" => Some(ValueKind::Integer),
        "LabelConverter" | "EmptyToNullLabelConverter" => Some(ValueKind::Label),
        _ => None,
    }
}

/// `word` occurs in `text` wrapped in single quotes, double quotes or
/// backticks.
fn mentions_quoted(text: &str, word: &str) -> bool {
    ['\'', '"', '`'].iter().any(|&q| {
        text.match_indices(word)
            .any(|(i, _)| text[..i].ends_with(q) && text[i + word.len()..].starts_with(q))
    })
}

fn doc_says_tri_state(doc: &str) -> bool {
    mentions_quoted(doc, "auto") && mentions_quoted(doc, "yes")
}

/// Parses a documentation sentence of exactly the shape
/// `Values: 'a', 'b', 'c'.` (two or more lower-case identifiers).
fn doc_enum_values(doc: &str) -> Option<Vec<String>> {
    let (_, rest) = doc.split_once("Values: ")?;
    let (list, _) = rest.split_once('.')?;
    let values: Option<Vec<String>> = list
        .split(", ")
        .map(|item| {
            let word = item.strip_prefix('\'')?.strip_suffix('\'')?;
            let ok = !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            ok.then(|| word.to_string())
        })
        .collect();
    values.filter(|v| v.len() >= 2)
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

fn doc_says_deprecated(doc: &str) -> bool {
    let doc = doc.trim_start().to_ascii_lowercase();
    const OPENINGS: [&str; 5] = ["deprecated", "no-op", "noop", "no op", "obsolete"];
    const PHRASES: [&str; 8] = [
        "this option is deprecated",
        "this flag is deprecated",
        "this is deprecated",
        "this flag is a no-op",
        "this flag is a noop",
        "this option has no effect",
        "this flag has no effect",
        ". deprecated:",
    ];
    // A phrase counts only as a whole statement: "this option has no effect
    // if docker is missing" is a condition, not a deprecation.
    let unconditional = |phrase: &str| {
        doc.match_indices(phrase).any(|(i, _)| {
            let rest = doc[i + phrase.len()..].trim_start();
            rest.is_empty()
                || rest.starts_with(['.', ';', ',', ')', ':'])
                || rest.starts_with("and ")
                || rest.starts_with("anymore")
                || rest.starts_with("and will")
        })
    };
    let conditional_phrase = |p: &&str| p.contains("no effect");
    OPENINGS.iter().any(|w| starts_with_word(&doc, w))
        || PHRASES.iter().any(|p| {
            if conditional_phrase(p) {
                unconditional(p)
            } else {
                doc.contains(p)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_doc(doc: &str) -> FlagInfo {
        FlagInfo {
            name: "f".into(),
            documentation: doc.into(),
            ..FlagInfo::default()
        }
    }

    #[test]
    fn deprecation_from_documentation() {
        for doc in [
            "Deprecated. No-op.",
            "Deprecated no-op.",
            "No-op. Kept here for backwards compatibility.",
            "noop",
            "Obsolete, no effect.",
            "This option is deprecated and has no effect.",
            "This flag is a no-op.",
            "This flag has no effect, and is deprecated",
            "If set, ... mode. This is deprecated and will be removed.",
            "Heap threshold. Deprecated: set GC flags directly.",
        ] {
            assert!(with_doc(doc).is_deprecated(), "{doc}");
        }
        for doc in [
            "If set to true, disable the deprecated parameters 'single_file'.",
            "Deprecate local_resources in favor of --local_ram_resources.",
            "Whether to exit. No-op if --fatal_async_exceptions_exclusions is available.",
            "aquery, cquery: include aspects. query: no-op (aspects are always followed).",
            "Enable Docker-based sandboxing. This option has no effect if Docker is not installed.",
            "This flag has no effect when the cache is disabled.",
            "Nooperation",
            "",
        ] {
            assert!(!with_doc(doc).is_deprecated(), "{doc}");
        }
    }

    #[test]
    fn deprecation_from_tags_and_warning() {
        let mut f = with_doc("Does things.");
        f.metadata_tags.push("DEPRECATED".into());
        assert!(f.is_deprecated());
        let mut f = with_doc("Does things.");
        f.effect_tags.push("NO_OP".into());
        assert!(f.is_deprecated());
        let mut f = with_doc("Does things.");
        f.deprecation_warning = Some("use --other".into());
        assert!(f.is_deprecated());
    }

    #[test]
    fn value_kinds() {
        let mut f = with_doc("Continue as much as possible after an error.");
        f.has_negative_flag = true;
        f.derived = Derived::default();
        assert_eq!(f.value_kind(), ValueKind::Boolean);
        assert!(f.is_boolean());
        assert_eq!(f.value_kind().completion_values(), BOOLEAN_VALUES);

        f.documentation = "If set to 'auto', reruns... If set to 'yes', caches...".into();
        f.derived = Derived::default();
        assert_eq!(f.value_kind(), ValueKind::TriState);
        assert!(!f.is_boolean());

        let f = with_doc("Specify the mode. Values: 'fastbuild', 'dbg', 'opt'.");
        assert_eq!(
            f.value_kind(),
            ValueKind::Enum(vec!["fastbuild".into(), "dbg".into(), "opt".into()])
        );
        assert_eq!(
            f.value_kind().completion_values(),
            ["fastbuild", "dbg", "opt"]
        );

        // Not the exact shape: no guess.
        for doc in [
            "Values: 'only'.",
            "Values must be between 1 and 5000.",
            "Allowed values are: text, proto.",
            "Values: 'a', b.",
        ] {
            assert_eq!(with_doc(doc).value_kind(), ValueKind::String, "{doc}");
        }

        let mut f = with_doc("Downloads all remote outputs.");
        f.requires_value = Some(false);
        f.derived = Derived::default();
        assert_eq!(f.value_kind(), ValueKind::ValueOptional);
        f.requires_value = Some(true);
        f.derived = Derived::default();
        assert_eq!(f.value_kind(), ValueKind::String);
    }

    #[test]
    fn value_kinds_from_converter_data() {
        let mut f = with_doc("");
        f.type_converter =
            Some("com.google.devtools.common.options.Converters$IntegerConverter".into());
        assert_eq!(f.value_kind(), ValueKind::Integer);
        f.type_converter = Some("com.example.SomethingElse".into());
        f.derived = Derived::default();
        assert_eq!(f.value_kind(), ValueKind::String);
        f.enum_values = vec!["a".into(), "b".into()];
        f.derived = Derived::default();
        assert_eq!(
            f.value_kind(),
            ValueKind::Enum(vec!["a".into(), "b".into()])
        );
    }
}
