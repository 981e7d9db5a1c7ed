//! What the rc model needs to know about Bazel's flags.
//!
//! The model only asks a few questions of the flag database; keeping them
//! behind [`FlagSchema`] lets the expansion be tested with tiny hand-written
//! schemas and run with [`crate::flags::FlagDb`] in the product.

/// What the model needs to know about one flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagShape {
    /// The flag's current long name, without dashes.
    pub name: String,
    /// Takes no value (`--x`, `--nox`, optionally `--x=false`).
    pub boolean: bool,
}

/// The questions the model asks of a flag database.
pub trait FlagSchema {
    /// The major version of Bazel the schema describes, when known.
    fn major_version(&self) -> Option<u32>;
    /// The commands `command` inherits options from, most general first,
    /// ending with `command` itself (`coverage` → `build, test, coverage`).
    fn inheritance_chain(&self, command: &str) -> Vec<String>;
    /// A flag by long name (or a former name).
    fn flag(&self, name: &str) -> Option<FlagShape>;
    /// A flag by its one-letter abbreviation (`c` → `compilation_mode`).
    fn abbreviation(&self, abbrev: &str) -> Option<FlagShape>;
    /// True when `command` is a command this Bazel has.
    fn has_command(&self, command: &str) -> bool;
    /// True when the flag named `name` (a [`FlagShape::name`]) applies to
    /// `command`, directly or inherited.
    fn applies(&self, name: &str, command: &str) -> bool;
    /// True when `name` is a `--flag_alias` for a Starlark flag.
    fn is_alias(&self, _name: &str) -> bool {
        false
    }
}

/// A schema plus the `--flag_alias=NAME=LABEL` names of an rc chain, which
/// Bazel accepts as `--NAME` for the aliased Starlark flag.
pub struct AliasedSchema<'a> {
    pub inner: &'a dyn FlagSchema,
    pub aliases: crate::hash::FastSet<String>,
}

impl FlagSchema for AliasedSchema<'_> {
    fn major_version(&self) -> Option<u32> {
        self.inner.major_version()
    }

    fn inheritance_chain(&self, command: &str) -> Vec<String> {
        self.inner.inheritance_chain(command)
    }

    fn flag(&self, name: &str) -> Option<FlagShape> {
        self.inner.flag(name)
    }

    fn abbreviation(&self, abbrev: &str) -> Option<FlagShape> {
        self.inner.abbreviation(abbrev)
    }

    fn has_command(&self, command: &str) -> bool {
        self.inner.has_command(command)
    }

    fn applies(&self, name: &str, command: &str) -> bool {
        self.inner.applies(name, command)
    }

    fn is_alias(&self, name: &str) -> bool {
        self.aliases.contains(name)
    }
}

/// A schema that knows no flags: every option is kept as written and
/// commands inherit nothing but `build` for the well-known build-like ones.
/// Used when no database is available.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSchema;

impl FlagSchema for NoSchema {
    fn major_version(&self) -> Option<u32> {
        None
    }

    fn inheritance_chain(&self, command: &str) -> Vec<String> {
        vec![command.to_string()]
    }

    fn flag(&self, _name: &str) -> Option<FlagShape> {
        None
    }

    fn abbreviation(&self, _abbrev: &str) -> Option<FlagShape> {
        None
    }

    fn has_command(&self, _command: &str) -> bool {
        true
    }

    fn applies(&self, _name: &str, _command: &str) -> bool {
        true
    }
}

impl FlagSchema for crate::flags::FlagDb {
    fn major_version(&self) -> Option<u32> {
        self.version().split('.').next()?.parse().ok()
    }

    fn inheritance_chain(&self, command: &str) -> Vec<String> {
        crate::flags::FlagDb::inheritance_chain(self, command)
    }

    fn flag(&self, name: &str) -> Option<FlagShape> {
        self.get(name).map(shape)
    }

    fn abbreviation(&self, abbrev: &str) -> Option<FlagShape> {
        self.by_abbreviation(abbrev).map(shape)
    }

    fn has_command(&self, command: &str) -> bool {
        crate::flags::FlagDb::has_command(self, command)
    }

    fn applies(&self, name: &str, command: &str) -> bool {
        self.get(name)
            .is_some_and(|info| info.commands.iter().any(|c| c == command))
    }
}

/// The model's view of a flag. A flag takes no value word when it has a
/// `--no` form (booleans, tri-states) or its value is optional (expansion
/// flags such as `--remote_download_minimal`). Old dumps (2.1.0) do not say
/// whether a value is required; the newest embedded dump's answer for the
/// same name is used then.
fn shape(info: &crate::flags::FlagInfo) -> FlagShape {
    let requires_value = info.requires_value.or_else(|| {
        crate::flags::latest_embedded()
            .get(&info.name)
            .and_then(|latest| latest.requires_value)
    });
    FlagShape {
        name: info.name.clone(),
        boolean: info.has_negative_flag || requires_value == Some(false),
    }
}

#[cfg(test)]
pub(crate) mod test_schema {
    //! A small hand-written schema for unit tests.
    use super::*;

    pub struct TestSchema {
        pub major: u32,
    }

    const ALL: &[&str] = &["build", "test", "coverage", "query", "info", "version"];
    const BUILD_LIKE: &[&str] = &["build", "test", "coverage", "info"];
    const TEST_LIKE: &[&str] = &["test", "coverage"];

    fn commands_of(name: &str) -> &'static [&'static str] {
        match name {
            "config" | "announce_rc" => ALL,
            "define"
            | "copt"
            | "compilation_mode"
            | "jobs"
            | "cpu"
            | "platforms"
            | "old_define"
            | "keep_going"
            | "enable_platform_specific_config" => BUILD_LIKE,
            "test_output" => TEST_LIKE,
            "universe_scope" => &["query"],
            _ => &[],
        }
    }

    fn shape(name: &str, boolean: bool, _commands: &[&str]) -> FlagShape {
        FlagShape {
            name: name.to_string(),
            boolean,
        }
    }

    impl FlagSchema for TestSchema {
        fn major_version(&self) -> Option<u32> {
            Some(self.major)
        }

        fn inheritance_chain(&self, command: &str) -> Vec<String> {
            let chain: &[&str] = match command {
                "build" => &["build"],
                "test" => &["build", "test"],
                "coverage" => &["build", "test", "coverage"],
                "info" => &["build", "info"],
                other => return vec![other.to_string()],
            };
            chain.iter().map(|c| c.to_string()).collect()
        }

        fn flag(&self, name: &str) -> Option<FlagShape> {
            Some(match name {
                "config" => shape("config", false, ALL),
                "define" | "copt" | "compilation_mode" | "jobs" | "cpu" | "platforms" => {
                    shape(name, false, BUILD_LIKE)
                }
                "old_define" => shape("define", false, BUILD_LIKE),
                "keep_going" | "enable_platform_specific_config" => shape(name, true, BUILD_LIKE),
                "test_output" => shape(name, false, TEST_LIKE),
                "announce_rc" => shape(name, true, ALL),
                "universe_scope" => shape(name, false, &["query"]),
                _ => return None,
            })
        }

        fn abbreviation(&self, abbrev: &str) -> Option<FlagShape> {
            match abbrev {
                "c" => self.flag("compilation_mode"),
                "k" => self.flag("keep_going"),
                _ => None,
            }
        }

        fn has_command(&self, command: &str) -> bool {
            ALL.contains(&command)
        }

        fn applies(&self, name: &str, command: &str) -> bool {
            commands_of(name).contains(&command)
        }
    }
}
