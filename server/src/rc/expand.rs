//! The effective options of `bazel COMMAND ARGS`, as Bazel computes them,
//! with the provenance of every option.
//!
//! Bazel's order, which [`expand`] reproduces:
//! 1. the rc options filed under each of the command's keys, most general
//!    first: `always`, `common`, then the inheritance chain (`build`,
//!    `test`, ...); under one key, in the order the client read the files
//!    (imports spliced in place). Each run of one key's options from one file
//!    (a *chunk*) is parsed on its own, so `--define x=1` may take its value
//!    from the next line of the same chunk;
//! 2. the command-line options;
//! 3. every `--config=NAME` is kept and directly followed by its expansion:
//!    the chunks of `always:NAME`, `common:NAME`, `build:NAME`, ... in that
//!    order, each in file order, where a nested `--config=OTHER` is expanded
//!    in place, recursively; the whole expansion is parsed as one list;
//! 4. when `--enable_platform_specific_config` ends up true and some key
//!    `CMD:<host os>` exists for the command, that config is expanded right
//!    after the last `--enable_platform_specific_config`.
//!
//! Each option is normalised to one `--long_name[=value]` token: `-c opt`
//! becomes `--compilation_mode=opt` and `--define x=1` becomes
//! `--define=x=1`.
//!
//! Errors do not stop the expansion (Bazel stops at the first); every
//! problem is reported and the rest is still computed, which is what an
//! editor needs.

use super::chain::{ChainErrorKind, FileId, RcChain};
use super::file::{ALWAYS, COMMON};
use super::options::{parse_args, ArgKind};
use super::schema::{AliasedSchema, FlagSchema, FlagShape};
use crate::text::TextRange;

/// Where an option was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionSource {
    /// A word of an rc file.
    Rc { file: FileId, range: TextRange },
    /// The `index`th argument after the command.
    CommandLine { index: usize },
}

/// One `--config` (or the platform-specific config) on the way to an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigStep {
    pub name: String,
    /// What pulled the config in, as users write it: `--config=cuda`, or
    /// `--enable_platform_specific_config` for the host's config.
    pub trigger: String,
    pub source: OptionSource,
}

/// One option of the effective list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveOption {
    /// The normalised token: `--compilation_mode=opt`, `--keep_going`.
    pub option: String,
    /// The flag's long name when the word is a flag (`compilation_mode`,
    /// `//my:setting` for Starlark flags); `None` for residue words.
    pub name: Option<String>,
    /// The value, when one was given.
    pub value: Option<String>,
    pub source: OptionSource,
    /// The configs that pulled the option in, outermost first.
    pub via: Vec<ConfigStep>,
    /// The key the option was filed under (`build`, `common:cuda`), or
    /// `None` on the command line.
    pub section: Option<String>,
}

impl EffectiveOption {
    /// True when the option's flag is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }
}

/// The kinds of problems [`expand`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpandErrorKind {
    UndefinedConfig,
    ConfigCycle,
    /// `--config NAME` (two words) inside a config definition.
    ConfigSyntax,
    MissingValue,
    /// An option of a section that does not apply to the command.
    FlagCommand,
    /// A problem reading the rc files (see [`ChainErrorKind`]).
    Chain(ChainErrorKind),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandError {
    pub kind: ExpandErrorKind,
    pub message: String,
    pub source: Option<OptionSource>,
}

/// The result of [`expand`].
#[derive(Clone, Debug, Default)]
pub struct Expansion {
    pub command: String,
    /// The keys whose options apply, in Bazel's order: `always`, `common`,
    /// `build`, ...
    pub keys: Vec<String>,
    pub options: Vec<EffectiveOption>,
    /// Options of `common` sections that the command does not know, which
    /// Bazel 7 and later skip.
    pub ignored: Vec<EffectiveOption>,
    /// Words that are not options (target patterns), in order.
    pub residue: Vec<EffectiveOption>,
    pub errors: Vec<ExpandError>,
}

/// A word before normalisation.
#[derive(Clone, Debug)]
struct RawArg {
    text: String,
    source: OptionSource,
    via: Vec<ConfigStep>,
    section: Option<String>,
}

/// The host platform's config name for `--enable_platform_specific_config`.
pub fn host_platform_config() -> &'static str {
    if cfg!(target_os = "linux") {
        "linux"
    } else if cfg!(target_os = "macos") {
        "macos"
    } else if cfg!(target_os = "windows") {
        "windows"
    } else if cfg!(target_os = "freebsd") {
        "freebsd"
    } else if cfg!(target_os = "openbsd") {
        "openbsd"
    } else {
        std::env::consts::OS
    }
}

/// Computes the effective options of `bazel COMMAND ARGS` (see the module
/// docs). `platform` is the config name `--enable_platform_specific_config`
/// selects (see [`host_platform_config`]).
pub fn expand(
    chain: &RcChain,
    schema: &dyn FlagSchema,
    command: &str,
    args: &[String],
    platform: &str,
) -> Expansion {
    with_expander(chain, schema, command, |ex| {
        for err in &chain.errors {
            ex.out.errors.push(ExpandError {
                kind: ExpandErrorKind::Chain(err.kind),
                message: err.message.clone(),
                source: Some(OptionSource::Rc {
                    file: err.file,
                    range: err.range,
                }),
            });
        }

        // 1. rc options, chunk by chunk.
        for key in ex.keys {
            let mut chunk: Vec<RawArg> = Vec::new();
            let mut chunk_file = None;
            for entry in chain.entries_for(key) {
                if chunk_file != Some(entry.file) && !chunk.is_empty() {
                    ex.parse_and_expand(std::mem::take(&mut chunk), true);
                }
                chunk_file = Some(entry.file);
                chunk.push(RawArg {
                    text: entry.word.text.to_string(),
                    source: OptionSource::Rc {
                        file: entry.file,
                        range: entry.word.range,
                    },
                    via: Vec::new(),
                    section: Some(key.clone()),
                });
            }
            if !chunk.is_empty() {
                ex.parse_and_expand(chunk, true);
            }
        }

        // 2. the command line.
        let cli: Vec<RawArg> = args
            .iter()
            .enumerate()
            .map(|(index, text)| RawArg {
                text: text.clone(),
                source: OptionSource::CommandLine { index },
                via: Vec::new(),
                section: None,
            })
            .collect();
        ex.parse_and_expand(cli, true);

        // 4. the platform-specific config.
        ex.platform_specific(platform);
        std::mem::take(&mut ex.out)
    })
}

/// What `--config=NAME` alone expands to for `command`: the options of its
/// sections, nested configs in place, each with the chain that pulled it in
/// (starting with `--config=NAME` itself, sourced on the command line).
pub fn expand_config(
    chain: &RcChain,
    schema: &dyn FlagSchema,
    command: &str,
    name: &str,
) -> Expansion {
    with_expander(chain, schema, command, |ex| {
        let at = OptionSource::CommandLine { index: 0 };
        let via = vec![ConfigStep {
            name: name.to_string(),
            trigger: format!("--config={name}"),
            source: at.clone(),
        }];
        let mut ancestors = vec![name.to_string()];
        let raw = ex.config_expansion(name, &mut ancestors, &via, &at);
        ex.parse_and_expand(raw, false);
        std::mem::take(&mut ex.out)
    })
}

/// Runs `f` on an expander for `command`, whose schema also knows the
/// chain's `--flag_alias` names.
fn with_expander<R>(
    chain: &RcChain,
    schema: &dyn FlagSchema,
    command: &str,
    f: impl FnOnce(&mut Expander<'_>) -> R,
) -> R {
    let keys = keys_for(schema, command);
    let aliased = AliasedSchema {
        inner: schema,
        aliases: chain.flag_aliases(),
    };
    f(&mut Expander::new(chain, &aliased, command, &keys))
}

/// The keys whose options apply to `command`, in Bazel's order.
fn keys_for(schema: &dyn FlagSchema, command: &str) -> Vec<String> {
    let mut keys = vec![ALWAYS.to_string(), COMMON.to_string()];
    keys.extend(schema.inheritance_chain(command));
    keys
}

struct Expander<'a> {
    chain: &'a RcChain,
    schema: &'a dyn FlagSchema,
    command: &'a str,
    keys: &'a [String],
    out: Expansion,
}

impl<'a> Expander<'a> {
    fn new(
        chain: &'a RcChain,
        schema: &'a dyn FlagSchema,
        command: &'a str,
        keys: &'a [String],
    ) -> Expander<'a> {
        Expander {
            chain,
            schema,
            command,
            keys,
            out: Expansion {
                command: command.to_string(),
                keys: keys.to_vec(),
                ..Expansion::default()
            },
        }
    }

    /// Parses one list of words (a chunk, the command line or a config's
    /// whole expansion) and appends the options. With `expand_configs`,
    /// every `--config` found is followed by its expansion.
    fn parse_and_expand(&mut self, raw: Vec<RawArg>, expand_configs: bool) {
        let texts: Vec<&str> = raw.iter().map(|r| r.text.as_str()).collect();
        let parsed = parse_args(self.schema, &texts);
        for arg in parsed {
            let word = &raw[arg.index];
            let flag = match arg.kind {
                ArgKind::Separator => continue,
                ArgKind::Residue => {
                    self.out.residue.push(residue(word.clone()));
                    continue;
                }
                ArgKind::Flag(flag) => flag,
            };
            if flag.missing_value {
                self.out.errors.push(ExpandError {
                    kind: ExpandErrorKind::MissingValue,
                    message: format!("Expected value after {}", word.text),
                    source: Some(word.source.clone()),
                });
                continue;
            }
            let opt = EffectiveOption {
                option: flag.normalized(&word.text),
                name: Some(flag.canonical_name().to_string()),
                value: flag.value.clone(),
                source: word.source.clone(),
                via: word.via.clone(),
                section: word.section.clone(),
            };
            if self.is_ignored(&opt, flag.shape.as_ref()) {
                self.out.ignored.push(opt);
                continue;
            }
            let config = (expand_configs && opt.is("config"))
                .then(|| opt.value.clone())
                .flatten();
            let at = opt.source.clone();
            let mut via = opt.via.clone();
            self.out.options.push(opt);
            if let Some(name) = config {
                via.push(ConfigStep {
                    name: name.clone(),
                    trigger: format!("--config={name}"),
                    source: at.clone(),
                });
                let mut ancestors = vec![name.clone()];
                let expansion = self.config_expansion(&name, &mut ancestors, &via, &at);
                self.parse_and_expand(expansion, false);
            }
        }
    }

    /// `common` options unknown to the command: Bazel 7 and later skip them
    /// when another command knows them; earlier versions reject them.
    fn is_ignored(&mut self, opt: &EffectiveOption, shape: Option<&FlagShape>) -> bool {
        let Some(shape) = shape else { return false };
        if self.schema.applies(&shape.name, self.command) {
            return false;
        }
        let section = opt.section.as_deref().unwrap_or("");
        let section_command = section.split(':').next().unwrap_or("");
        if section_command == COMMON && self.schema.major_version().is_none_or(|m| m >= 7) {
            return true;
        }
        self.out.errors.push(ExpandError {
            kind: ExpandErrorKind::FlagCommand,
            message: format!(
                "`{}` does not apply to `{}`{}",
                opt.option,
                self.command,
                if section.is_empty() {
                    String::new()
                } else {
                    format!(" (from `{section}`)")
                }
            ),
            source: Some(opt.source.clone()),
        });
        false
    }

    /// The raw words `--config=name` expands to, nested configs inlined.
    fn config_expansion(
        &mut self,
        name: &str,
        ancestors: &mut Vec<String>,
        via: &[ConfigStep],
        at: &OptionSource,
    ) -> Vec<RawArg> {
        let mut expansion = Vec::new();
        let mut found = false;
        for command in self.keys {
            let key = format!("{command}:{name}");
            let entries: Vec<_> = self.chain.entries_for(&key).cloned().collect();
            for entry in entries {
                found = true;
                let source = OptionSource::Rc {
                    file: entry.file,
                    range: entry.word.range,
                };
                let text = entry.word.text.to_string();
                expansion.push(RawArg {
                    text: text.clone(),
                    source: source.clone(),
                    via: via.to_vec(),
                    section: Some(key.clone()),
                });
                if text.len() >= 8 && text.as_bytes().starts_with(b"--config") {
                    let Some(eq) = text.find('=') else {
                        self.out.errors.push(ExpandError {
                            kind: ExpandErrorKind::ConfigSyntax,
                            message: format!(
                                "In {}, the definition of config {name} expands to another config that either has no value or is not in the form --config=value. Write `--config=NAME` in one word.",
                                self.chain.files[entry.file].display
                            ),
                            source: Some(source),
                        });
                        continue;
                    };
                    let nested = text[eq + 1..].to_string();
                    if ancestors.contains(&nested) {
                        let mut cycle = ancestors.clone();
                        cycle.push(nested.clone());
                        self.out.errors.push(ExpandError {
                            kind: ExpandErrorKind::ConfigCycle,
                            message: format!(
                                "Config expansion has a cycle: config value {nested} expands to itself, see inheritance chain [{}]",
                                cycle.join(", ")
                            ),
                            source: Some(source),
                        });
                        continue;
                    }
                    let mut nested_via = via.to_vec();
                    nested_via.push(ConfigStep {
                        name: nested.clone(),
                        trigger: format!("--config={nested}"),
                        source: source.clone(),
                    });
                    ancestors.push(nested.clone());
                    let inner = self.config_expansion(&nested, ancestors, &nested_via, &source);
                    ancestors.pop();
                    expansion.extend(inner);
                }
            }
        }
        if !found {
            self.out.errors.push(ExpandError {
                kind: ExpandErrorKind::UndefinedConfig,
                message: format!("Config value '{name}' is not defined in any .rc file"),
                source: Some(at.clone()),
            });
        }
        expansion
    }

    fn platform_specific(&mut self, platform: &str) {
        let Some(last) = self
            .out
            .options
            .iter()
            .rposition(|o| o.is("enable_platform_specific_config"))
        else {
            return;
        };
        let enabled = {
            let opt = &self.out.options[last];
            !opt.option.starts_with("--no")
                && opt
                    .value
                    .as_deref()
                    .is_none_or(|v| matches!(v, "true" | "1" | "yes"))
        };
        if !enabled {
            return;
        }
        let defined = self.keys.iter().any(|c| {
            self.chain
                .entries_for(&format!("{c}:{platform}"))
                .next()
                .is_some()
        });
        if !defined {
            return;
        }
        let at = self.out.options[last].source.clone();
        let mut via = self.out.options[last].via.clone();
        via.push(ConfigStep {
            name: platform.to_string(),
            trigger: "--enable_platform_specific_config".to_string(),
            source: at.clone(),
        });
        let mut ancestors = vec![platform.to_string()];
        let raw = self.config_expansion(platform, &mut ancestors, &via, &at);
        let before = self.out.options.len();
        self.parse_and_expand(raw, false);
        let added: Vec<_> = self.out.options.drain(before..).collect();
        let at_index = last + 1;
        self.out.options.splice(at_index..at_index, added);
    }
}

fn residue(arg: RawArg) -> EffectiveOption {
    EffectiveOption {
        option: arg.text,
        name: None,
        value: None,
        source: arg.source,
        via: arg.via,
        section: arg.section,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::rc::chain::{Origin, RcRoot, ReadError};
    use crate::rc::schema::test_schema::TestSchema;

    fn chain(files: &[(&str, &str)]) -> RcChain {
        let map: HashMap<PathBuf, Arc<str>> = files
            .iter()
            .map(|(p, t)| (Path::new("/ws").join(p), Arc::from(*t)))
            .collect();
        let reader = move |p: &Path| map.get(p).cloned().ok_or(ReadError::NotFound);
        RcChain::load(
            Some(Path::new("/ws")),
            &[RcRoot {
                path: PathBuf::from("/ws/.bazelrc"),
                origin: Origin::Workspace,
            }],
            &reader,
        )
    }

    fn run(files: &[(&str, &str)], command: &str, args: &[&str]) -> Expansion {
        let chain = chain(files);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        expand(&chain, &TestSchema { major: 7 }, command, &args, "linux")
    }

    fn render(files: &[(&str, &str)], command: &str, args: &[&str]) -> String {
        let chain = chain(files);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ex = expand(&chain, &TestSchema { major: 7 }, command, &args, "linux");
        let mut out = String::new();
        for o in &ex.options {
            let src = match &o.source {
                OptionSource::Rc { file, range } => chain.location(*file, range.start),
                OptionSource::CommandLine { index } => format!("arg {index}"),
            };
            let via: Vec<_> = o.via.iter().map(|s| s.trigger.as_str()).collect();
            out.push_str(&format!("{} {} [{}]\n", o.option, src, via.join(" ")));
        }
        for e in &ex.errors {
            out.push_str(&format!("error {:?}: {}\n", e.kind, e.message));
        }
        out
    }

    #[test]
    fn order_follows_command_priority_then_file_order() {
        let rc = "build --define=b=1\ncommon --announce_rc\ntest --test_output=errors\nbuild -c opt --jobs 4\n";
        expect_test::expect![[r#"
            --announce_rc .bazelrc:2 []
            --define=b=1 .bazelrc:1 []
            --compilation_mode=opt .bazelrc:4 []
            --jobs=4 .bazelrc:4 []
            --test_output=errors .bazelrc:3 []
            --keep_going arg 0 []
        "#]]
        .assert_eq(&render(&[(".bazelrc", rc)], "test", &["-k"]));
    }

    #[test]
    fn configs_expand_in_place_common_before_build() {
        let rc = "build:b --define=x=b --config=c\ncommon:b --announce_rc\nbuild:c --copt=-O3\nbuild --config=b --jobs=2\n";
        expect_test::expect![[r#"
            --config=b .bazelrc:4 []
            --announce_rc .bazelrc:2 [--config=b]
            --define=x=b .bazelrc:1 [--config=b]
            --config=c .bazelrc:1 [--config=b]
            --copt=-O3 .bazelrc:3 [--config=b --config=c]
            --jobs=2 .bazelrc:4 []
            --define=y=1 arg 0 []
        "#]]
        .assert_eq(&render(&[(".bazelrc", rc)], "build", &["--define", "y=1"]));
    }

    #[test]
    fn imports_splice_in_place() {
        let files = [
            (".bazelrc", "build --define=a=1\nimport %workspace%/x.rc\nbuild --define=c=1\ntry-import %workspace%/missing.rc\n"),
            ("x.rc", "build --define=b=1\n"),
        ];
        expect_test::expect![[r#"
            --define=a=1 .bazelrc:1 []
            --define=b=1 x.rc:1 []
            --define=c=1 .bazelrc:3 []
        "#]]
        .assert_eq(&render(&files, "build", &[]));
    }

    #[test]
    fn errors() {
        let rc = "build:a --config=b\nbuild:b --config=a\nbuild:c --config d\nimport %workspace%/nope.rc\nimport %workspace%/.bazelrc\n";
        let ex = run(
            &[(".bazelrc", rc)],
            "build",
            &["--config=a", "--config=c", "--config=zzz", "--jobs"],
        );
        let kinds: Vec<_> = ex.errors.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ExpandErrorKind::Chain(ChainErrorKind::MissingImport),
                ExpandErrorKind::Chain(ChainErrorKind::ImportCycle),
                ExpandErrorKind::ConfigCycle,
                ExpandErrorKind::ConfigSyntax,
                ExpandErrorKind::UndefinedConfig,
                ExpandErrorKind::MissingValue,
            ]
        );
    }

    #[test]
    fn common_options_unknown_to_the_command_are_skipped() {
        let rc = "common --test_output=errors --universe_scope=//x\n";
        let ex = run(&[(".bazelrc", rc)], "build", &[]);
        assert!(ex.options.is_empty());
        assert_eq!(ex.ignored.len(), 2);
        assert!(ex.errors.is_empty());
        let chain = chain(&[(".bazelrc", rc)]);
        let old = expand(&chain, &TestSchema { major: 2 }, "build", &[], "linux");
        assert_eq!(old.errors.len(), 2);
        let ex = run(&[(".bazelrc", "build --test_output=all\n")], "build", &[]);
        assert_eq!(ex.errors[0].kind, ExpandErrorKind::FlagCommand);
    }

    #[test]
    fn platform_specific_config() {
        let rc = "build --enable_platform_specific_config --jobs=1\nbuild:linux --define=os=linux\nbuild:macos --define=os=mac\n";
        expect_test::expect![[r#"
            --enable_platform_specific_config .bazelrc:1 []
            --define=os=linux .bazelrc:2 [--enable_platform_specific_config]
            --jobs=1 .bazelrc:1 []
        "#]]
        .assert_eq(&render(&[(".bazelrc", rc)], "build", &[]));
        let off = render(
            &[(".bazelrc", rc)],
            "build",
            &["--noenable_platform_specific_config"],
        );
        assert!(!off.contains("os=linux"), "{off}");
    }

    #[test]
    fn residue_and_starlark_flags() {
        let ex = run(
            &[(".bazelrc", "build --//my:flag=1 --no@r//x:y\n")],
            "build",
            &["//foo/...", "--", "-//bar:baz", "--unknown_flag", "-x"],
        );
        let opts: Vec<_> = ex.options.iter().map(|o| o.option.as_str()).collect();
        assert_eq!(opts, vec!["--//my:flag=1", "--no@r//x:y"]);
        let residue: Vec<_> = ex.residue.iter().map(|o| o.option.as_str()).collect();
        assert_eq!(
            residue,
            vec!["//foo/...", "-//bar:baz", "--unknown_flag", "-x"]
        );
    }

    #[test]
    fn unknown_flags_are_kept_as_written() {
        let ex = run(&[(".bazelrc", "build --what=1 --ever -z\n")], "build", &[]);
        let opts: Vec<_> = ex.options.iter().map(|o| o.option.as_str()).collect();
        assert_eq!(opts, vec!["--what=1", "--ever", "-z"]);
    }
}
