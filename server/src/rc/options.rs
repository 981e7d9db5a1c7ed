//! Bazel's option syntax: which words are flags, which take the next word
//! as their value, and the normalised `--long_name=value` form.
//!
//! One list of words (an rc chunk, the command line, or a config's
//! expansion) is parsed as Bazel's options parser parses it:
//! - `--name=value` carries its value;
//! - `--name` of a flag that needs a value takes the next word, whatever it
//!   is (`--copt -O2` sets `copt` to `-O2`);
//! - booleans and tri-states (`--name`, `--noname`) and flags whose value is
//!   optional take nothing;
//! - `-x` is the flag abbreviated `x` (`-c opt`);
//! - `--` ends the options: every later word is residue (target patterns),
//!   as is every word not starting with `-`;
//! - Starlark flags (`--//pkg:flag`, `--@repo//pkg:flag`, `--no//pkg:flag`)
//!   never take the next word.

use super::schema::{FlagSchema, FlagShape};

/// What one word (or a flag and its value word) of a list is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedArg {
    /// Index of the flag word (or residue word) in the list.
    pub index: usize,
    /// Index of the next word when the flag took it as its value.
    pub value_index: Option<usize>,
    pub kind: ArgKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Flag(FlagArg),
    /// A word that is not an option (a target pattern), or any word after
    /// `--`.
    Residue,
    /// The lone `--`.
    Separator,
}

/// A flag as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagArg {
    /// The name as written, without dashes or value: `compilation_mode`,
    /// `c` (abbreviated), `nokeep_going`, `//my:flag`.
    pub written: String,
    /// The value, inline (`=v`) or from the next word.
    pub value: Option<String>,
    /// The value was written after `=` in the same word.
    pub inline_value: bool,
    /// The schema's entry, when it knows the flag.
    pub shape: Option<FlagShape>,
    /// `--noNAME` of a boolean.
    pub negated: bool,
    /// Written `-x`.
    pub abbreviated: bool,
    /// A Starlark build setting (or a `--flag_alias` name for one).
    pub starlark: bool,
    /// The flag needs a value and the list ended first.
    pub missing_value: bool,
}

impl FlagArg {
    /// The flag's canonical long name: the schema's when known, else as
    /// written (without a `no` prefix only when known to be negated).
    pub fn canonical_name(&self) -> &str {
        match &self.shape {
            Some(shape) => &shape.name,
            None => &self.written,
        }
    }

    /// The normalised single token: `--compilation_mode=opt`,
    /// `--define=x=1`, `--keep_going`, `--nokeep_going`. Unknown flags keep
    /// their written form.
    pub fn normalized(&self, original: &str) -> String {
        let Some(shape) = &self.shape else {
            return original.to_string();
        };
        let base = if self.negated {
            format!("--no{}", shape.name)
        } else {
            format!("--{}", shape.name)
        };
        match &self.value {
            Some(v) => format!("{base}={v}"),
            None => base,
        }
    }
}

/// Starlark flags: `--//pkg:flag`, `--@repo//pkg:flag`, and their `no`
/// forms. `name` is without the leading dashes.
pub fn is_starlark_flag(name: &str) -> bool {
    let name = name
        .strip_prefix("no")
        .filter(|n| n.starts_with("//") || n.starts_with('@'))
        .unwrap_or(name);
    name.starts_with("//") || name.starts_with('@')
}

/// Classifies one word without looking at its neighbours; `None` for words
/// that are not flags.
pub fn classify(schema: &dyn FlagSchema, text: &str) -> Option<FlagArg> {
    let flag =
        |written: &str, value: Option<&str>, shape, negated, abbreviated, starlark| FlagArg {
            written: written.to_string(),
            inline_value: value.is_some(),
            value: value.map(str::to_string),
            shape,
            negated,
            abbreviated,
            starlark,
            missing_value: false,
        };
    if let Some(rest) = text.strip_prefix("--") {
        let (name, value) = match rest.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (rest, None),
        };
        if name.is_empty() {
            return None;
        }
        let aliased = |n: &str| schema.is_alias(n);
        if is_starlark_flag(name) || aliased(name) || name.strip_prefix("no").is_some_and(aliased) {
            return Some(flag(name, value, None, false, false, true));
        }
        if let Some(shape) = schema.flag(name) {
            return Some(flag(name, value, Some(shape), false, false, false));
        }
        if let Some(positive) = name.strip_prefix("no") {
            if let Some(shape) = schema.flag(positive).filter(|s| s.boolean) {
                return Some(flag(name, value, Some(shape), true, false, false));
            }
        }
        return Some(flag(name, value, None, false, false, false));
    }
    let abbrev = text.strip_prefix('-')?;
    if abbrev.is_empty() {
        return None;
    }
    let shape = schema.abbreviation(abbrev);
    Some(flag(abbrev, None, shape, false, true, false))
}

/// Parses one list of words (see the module docs).
pub fn parse_args(schema: &dyn FlagSchema, words: &[&str]) -> Vec<ParsedArg> {
    parse_args_from(schema, words, &mut false, &|_| false)
}

/// [`parse_args`] for a list that continues an earlier one: `residue_only`
/// says whether a `--` came before (and is updated), and `ends_options`
/// marks flags after which every word is residue (a `--config` whose
/// expansion, inlined there, contains `--`).
pub fn parse_args_from(
    schema: &dyn FlagSchema,
    words: &[&str],
    residue_only: &mut bool,
    ends_options: &dyn Fn(&FlagArg) -> bool,
) -> Vec<ParsedArg> {
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    let single = |index: usize, kind: ArgKind| ParsedArg {
        index,
        value_index: None,
        kind,
    };
    while i < words.len() {
        let text = words[i];
        let flag = if *residue_only {
            None
        } else {
            classify(schema, text)
        };
        if !*residue_only && text == "--" {
            *residue_only = true;
            out.push(single(i, ArgKind::Separator));
            i += 1;
            continue;
        }
        let Some(mut flag) = flag else {
            out.push(single(i, ArgKind::Residue));
            i += 1;
            continue;
        };
        let mut value_index = None;
        if flag.value.is_none() {
            if let Some(shape) = &flag.shape {
                if !shape.boolean {
                    match words.get(i + 1) {
                        Some(next) => {
                            flag.value = Some(next.to_string());
                            value_index = Some(i + 1);
                        }
                        None => flag.missing_value = true,
                    }
                }
            }
        }
        if ends_options(&flag) {
            *residue_only = true;
        }
        out.push(ParsedArg {
            index: i,
            value_index,
            kind: ArgKind::Flag(flag),
        });
        i += 1 + usize::from(value_index.is_some());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::schema::test_schema::TestSchema;

    fn normalized(words: &[&str]) -> Vec<String> {
        parse_args(&TestSchema { major: 7 }, words)
            .into_iter()
            .map(|p| match p.kind {
                ArgKind::Flag(f) if f.missing_value => format!("missing:{}", words[p.index]),
                ArgKind::Flag(f) => f.normalized(words[p.index]),
                ArgKind::Residue => format!("residue:{}", words[p.index]),
                ArgKind::Separator => "sep".to_string(),
            })
            .collect()
    }

    #[test]
    fn normalizes() {
        assert_eq!(
            normalized(&[
                "-c",
                "opt",
                "--define",
                "x=1",
                "--copt",
                "-O2",
                "-k",
                "--nokeep_going",
                "--keep_going=false"
            ]),
            vec![
                "--compilation_mode=opt",
                "--define=x=1",
                "--copt=-O2",
                "--keep_going",
                "--nokeep_going",
                "--keep_going=false"
            ]
        );
        assert_eq!(
            normalized(&[
                "//t",
                "--//a:b",
                "x",
                "--no@r//c:d",
                "--unknown",
                "y",
                "--",
                "-//z",
                "--jobs"
            ]),
            vec![
                "residue://t",
                "--//a:b",
                "residue:x",
                "--no@r//c:d",
                "--unknown",
                "residue:y",
                "sep",
                "residue:-//z",
                "residue:--jobs"
            ]
        );
        assert_eq!(normalized(&["--jobs"]), vec!["missing:--jobs"]);
        assert_eq!(normalized(&["--old_define=a=b"]), vec!["--define=a=b"]);
        assert_eq!(
            normalized(&["-", "--", "---"]),
            vec!["residue:-", "sep", "residue:---"]
        );
    }
}
