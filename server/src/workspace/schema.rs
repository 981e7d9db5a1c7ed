//! The attribute schemas of Bazel's native rules, as real Bazel 2.1.0
//! reports them (`bazel info build-language`, dumped by
//! `tools/dump-build-language` into `server/data/build-language/`).
//!
//! Invariants:
//! - every entry comes from Bazel's own output (never edited by hand; the
//!   `build_language` integration test re-dumps it and compares bytes);
//! - only attributes a BUILD file can set are present: implicit ones (`$x`,
//!   `:x`) were dropped by the dump, and every rule has `name`;
//! - an attribute's [`AttrType`] is Bazel's `Attribute.Discriminator`; a
//!   *nodep* `string`/`string_list` is Bazel's `NODEP_LABEL(_LIST)` (a
//!   label that is not a dependency, like `visibility`), so it counts as a
//!   label attribute;
//! - the schema describes Bazel 2.1.0: attributes newer Bazel added
//!   (`cc_library.implementation_deps`) are unknown here, and callers fall
//!   back to conventions for them.
//!
//! Pure: the file is compiled in and parsed once, on first use.

use std::sync::OnceLock;

/// The embedded dump.
const DATA: &str = include_str!("../../data/build-language/bazel-2.1.0.txt");

/// An attribute's type: build.proto's `Attribute.Discriminator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    Integer,
    String,
    Label,
    Output,
    StringList,
    LabelList,
    OutputList,
    DistributionSet,
    License,
    StringDict,
    FilesetEntryList,
    /// `{string: [label]}`.
    LabelListDict,
    StringListDict,
    Boolean,
    Tristate,
    IntegerList,
    DeprecatedStringDictUnary,
    Unknown,
    /// `{string: label}`.
    LabelDictUnary,
    SelectorList,
    /// `{label: string}`.
    LabelKeyedStringDict,
}

impl AttrType {
    /// The type named as in the data file (the discriminator, lower case).
    pub fn from_name(name: &str) -> Option<AttrType> {
        Some(match name {
            "integer" => AttrType::Integer,
            "string" => AttrType::String,
            "label" => AttrType::Label,
            "output" => AttrType::Output,
            "string_list" => AttrType::StringList,
            "label_list" => AttrType::LabelList,
            "output_list" => AttrType::OutputList,
            "distribution_set" => AttrType::DistributionSet,
            "license" => AttrType::License,
            "string_dict" => AttrType::StringDict,
            "fileset_entry_list" => AttrType::FilesetEntryList,
            "label_list_dict" => AttrType::LabelListDict,
            "string_list_dict" => AttrType::StringListDict,
            "boolean" => AttrType::Boolean,
            "tristate" => AttrType::Tristate,
            "integer_list" => AttrType::IntegerList,
            "deprecated_string_dict_unary" => AttrType::DeprecatedStringDictUnary,
            "unknown" => AttrType::Unknown,
            "label_dict_unary" => AttrType::LabelDictUnary,
            "selector_list" => AttrType::SelectorList,
            "label_keyed_string_dict" => AttrType::LabelKeyedStringDict,
            _ => return None,
        })
    }
}

/// Where the labels are in an attribute's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelPlaces {
    /// Every string (a label or a list of labels).
    All,
    /// The keys of its dictionary (`config_setting.flag_values`).
    DictKeys,
    /// The values of its dictionary (`cc_toolchain_suite.toolchains`).
    DictValues,
}

/// One attribute of a native rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrSchema {
    pub name: &'static str,
    pub ty: AttrType,
    /// The rule cannot be called without it.
    pub mandatory: bool,
    /// Its labels are not dependencies (`visibility`).
    pub nodep: bool,
    /// Its default as Bazel reports it, a Starlark literal (`"medium"`,
    /// `True`, `-1`); `None` for most attributes, whose default is the
    /// type's empty value or computed.
    pub default: Option<&'static str>,
}

impl AttrSchema {
    /// Where its value holds labels, or `None` when it holds none.
    pub fn label_places(&self) -> Option<LabelPlaces> {
        match self.ty {
            AttrType::Label | AttrType::LabelList => Some(LabelPlaces::All),
            AttrType::String | AttrType::StringList if self.nodep => Some(LabelPlaces::All),
            AttrType::LabelKeyedStringDict => Some(LabelPlaces::DictKeys),
            AttrType::LabelDictUnary | AttrType::LabelListDict => Some(LabelPlaces::DictValues),
            _ => None,
        }
    }

    /// Whether its value holds labels somewhere.
    pub fn is_label(&self) -> bool {
        self.label_places().is_some()
    }

    /// Whether it declares output files (`genrule.outs`).
    pub fn is_output(&self) -> bool {
        matches!(self.ty, AttrType::Output | AttrType::OutputList)
    }
}

/// A native rule: its settable attributes, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSchema {
    pub name: &'static str,
    attributes: Vec<AttrSchema>,
}

impl RuleSchema {
    /// The attribute `name`, if the rule has it (in Bazel 2.1.0).
    pub fn attribute(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes
            .binary_search_by(|a| a.name.cmp(name))
            .ok()
            .map(|i| &self.attributes[i])
    }

    /// Every attribute, sorted by name.
    pub fn attributes(&self) -> &[AttrSchema] {
        &self.attributes
    }
}

/// Every native rule of Bazel 2.1.0, sorted by name.
pub fn rules() -> &'static [RuleSchema] {
    static RULES: OnceLock<Vec<RuleSchema>> = OnceLock::new();
    RULES.get_or_init(|| parse(DATA).unwrap_or_else(|e| panic!("embedded rule schemas: {e}")))
}

/// The native rule `name` (`cc_library`), if Bazel 2.1.0 has it.
pub fn rule_schema(name: &str) -> Option<&'static RuleSchema> {
    let rules = rules();
    rules
        .binary_search_by(|r| r.name.cmp(name))
        .ok()
        .map(|i| &rules[i])
}

/// Parses the dump's format: `#` comments; a rule name at the start of a
/// line; then its attributes, indented: `NAME TYPE [mandatory] [nodep] [=
/// DEFAULT]` (the default a Starlark literal, to the end of the line).
fn parse(text: &'static str) -> Result<Vec<RuleSchema>, String> {
    let mut rules: Vec<RuleSchema> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let error = |what: &str| format!("line {}: {what}: {line:?}", i + 1);
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            if line.contains(char::is_whitespace) {
                return Err(error("a rule line is one name"));
            }
            rules.push(RuleSchema {
                name: line,
                attributes: Vec::new(),
            });
            continue;
        }
        let rule = rules
            .last_mut()
            .ok_or_else(|| error("an attribute before any rule"))?;
        let (line, default) = match line.split_once(" = ") {
            Some((head, default)) => (head, Some(default.trim())),
            None => (line, None),
        };
        let mut words = line.split_whitespace();
        let (Some(name), Some(ty)) = (words.next(), words.next()) else {
            return Err(error("an attribute needs a name and a type"));
        };
        let ty = AttrType::from_name(ty).ok_or_else(|| error("unknown type"))?;
        let mut attr = AttrSchema {
            name,
            ty,
            mandatory: false,
            nodep: false,
            default,
        };
        for flag in words {
            match flag {
                "mandatory" => attr.mandatory = true,
                "nodep" => attr.nodep = true,
                _ => return Err(error("unknown flag")),
            }
        }
        rule.attributes.push(attr);
    }
    for rule in &mut rules {
        rule.attributes.sort_by(|a, b| a.name.cmp(b.name));
        if rule.attributes.windows(2).any(|w| w[0].name == w[1].name) {
            return Err(format!("rule {}: an attribute listed twice", rule.name));
        }
    }
    rules.sort_by(|a, b| a.name.cmp(b.name));
    if rules.windows(2).any(|w| w[0].name == w[1].name) {
        return Err("a rule listed twice".to_string());
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(rule: &str, name: &str) -> AttrSchema {
        *rule_schema(rule)
            .unwrap_or_else(|| panic!("no rule {rule}"))
            .attribute(name)
            .unwrap_or_else(|| panic!("no {rule}.{name}"))
    }

    #[test]
    fn the_embedded_data_parses_and_covers_the_native_rules() {
        let rules = rules();
        assert_eq!(rules.len(), 76);
        assert_eq!(
            rules.iter().map(|r| r.attributes().len()).sum::<usize>(),
            1634
        );
        for rule in rules {
            let name = rule.attribute("name").expect("every rule has `name`");
            assert_eq!(name.ty, AttrType::String, "{}", rule.name);
            assert!(rule
                .attributes()
                .iter()
                .all(|a| !a.name.starts_with(['$', ':'])));
        }
        assert!(rule_schema("my_macro").is_none());
        // Newer than Bazel 2.1.0.
        assert!(rule_schema("cc_library")
            .unwrap()
            .attribute("implementation_deps")
            .is_none());
    }

    #[test]
    fn attribute_types() {
        assert_eq!(attr("cc_library", "deps").ty, AttrType::LabelList);
        assert_eq!(attr("cc_library", "linkstamp").ty, AttrType::Label);
        assert_eq!(attr("genrule", "outs").ty, AttrType::OutputList);
        assert!(attr("genrule", "outs").is_output() && attr("genrule", "outs").mandatory);
        assert_eq!(attr("genrule", "cmd").ty, AttrType::String);
        assert!(!attr("genrule", "cmd").is_label());
        assert_eq!(attr("genrule", "toolchains").ty, AttrType::LabelList);
        assert_eq!(attr("filegroup", "srcs").ty, AttrType::LabelList);
        assert_eq!(
            attr("config_setting", "flag_values").label_places(),
            Some(LabelPlaces::DictKeys)
        );
        assert_eq!(
            attr("config_setting", "flag_values").ty,
            AttrType::LabelKeyedStringDict
        );
        assert_eq!(attr("config_setting", "values").ty, AttrType::StringDict);
        assert_eq!(
            attr("cc_toolchain_suite", "toolchains").label_places(),
            Some(LabelPlaces::DictValues)
        );
        let actual = attr("alias", "actual");
        assert_eq!((actual.ty, actual.mandatory), (AttrType::Label, true));
        assert_eq!(attr("sh_binary", "srcs").ty, AttrType::LabelList);
        assert_eq!(attr("java_library", "exports").ty, AttrType::LabelList);
        assert_eq!(attr("java_binary", "launcher").ty, AttrType::Label);
        assert_eq!(attr("sh_test", "args").ty, AttrType::StringList);
        assert!(!attr("sh_test", "args").is_label());
        assert_eq!(attr("cc_library", "licenses").ty, AttrType::License);
        assert!(!attr("cc_library", "licenses").is_label());
    }

    #[test]
    fn visibility_is_a_nodep_label_list_wherever_it_exists() {
        let mut with = 0;
        for rule in rules() {
            let Some(v) = rule.attribute("visibility") else {
                continue;
            };
            with += 1;
            assert_eq!((v.ty, v.nodep), (AttrType::StringList, true));
            assert_eq!(v.label_places(), Some(LabelPlaces::All));
        }
        assert!(with > 60, "{with}");
        // A nodep single label.
        assert!(attr("toolchain", "toolchain").is_label());
        assert!(!attr("toolchain", "toolchain").is_output());
    }

    #[test]
    fn bad_data_is_rejected() {
        assert!(parse("  name string\n").is_err());
        assert!(parse("r\n  name strang\n").is_err());
        assert!(parse("r\n  name string often\n").is_err());
        assert!(parse("r\n  name\n").is_err());
        assert!(parse("r x\n").is_err());
        assert!(parse("r\n  a string\n  a label\n").is_err());
        assert!(parse("r\nr\n").is_err());
        let ok = parse("# c\nr\n  b label nodep\n  a string mandatory\n").unwrap();
        assert_eq!(ok[0].attributes()[0].name, "a");
        assert!(ok[0].attribute("b").unwrap().nodep);
    }
}
