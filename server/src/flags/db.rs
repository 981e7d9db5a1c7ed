//! The flag database of one Bazel version, and its lookups.

use crate::hash::FastMap as HashMap;
use std::fmt;

use super::info::FlagInfo;
use super::proto::{decode_flag_collection, DecodeError};

/// All flags of one Bazel version, indexed.
///
/// Invariants: `flags` is sorted by name and names are unique (a dump that
/// repeats a name is merged: the first entry wins, commands are united);
/// every index in the maps is a valid index into `flags`; `commands` is
/// sorted and unique; `by_command` lists flag indices in ascending order.
pub struct FlagDb {
    version: String,
    flags: Vec<FlagInfo>,
    /// Names, then old names that are not also a name.
    by_name: HashMap<String, usize>,
    by_abbreviation: HashMap<String, usize>,
    commands: Vec<String>,
    by_command: HashMap<String, Vec<usize>>,
    /// Inheritance chain of every command in `commands`.
    chains: HashMap<String, Vec<String>>,
}

impl fmt::Debug for FlagDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagDb")
            .field("version", &self.version)
            .field("flags", &self.flags.len())
            .field("commands", &self.commands)
            .finish()
    }
}

impl FlagDb {
    /// Decodes the raw (not base64) output of `bazel help flags-as-proto` and
    /// indexes it. `version` is only a label, kept for [`FlagDb::version`].
    pub fn from_proto(version: &str, bytes: &[u8]) -> Result<FlagDb, DecodeError> {
        Ok(FlagDb::from_flags(version, decode_flag_collection(bytes)?))
    }

    /// Indexes already decoded flags (any order; repeated names are merged).
    pub fn from_flags(version: &str, mut flags: Vec<FlagInfo>) -> FlagDb {
        flags.sort_by(|a, b| a.name.cmp(&b.name));
        flags.dedup_by(|later, first| {
            if later.name != first.name {
                return false;
            }
            for command in later.commands.drain(..) {
                if !first.commands.contains(&command) {
                    first.commands.push(command);
                }
            }
            true
        });

        let mut by_name = HashMap::with_capacity_and_hasher(flags.len(), Default::default());
        let mut by_abbreviation = HashMap::default();
        let mut by_command: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, flag) in flags.iter().enumerate() {
            by_name.insert(flag.name.clone(), i);
            if let Some(abbreviation) = &flag.abbreviation {
                by_abbreviation.entry(abbreviation.clone()).or_insert(i);
            }
            for command in &flag.commands {
                let indices = by_command.entry(command.clone()).or_default();
                if indices.last() != Some(&i) {
                    indices.push(i);
                }
            }
        }
        for (i, flag) in flags.iter().enumerate() {
            for old in &flag.old_names {
                by_name.entry(old.clone()).or_insert(i);
            }
        }
        let mut commands: Vec<String> = by_command.keys().cloned().collect();
        commands.sort();
        let chains = commands
            .iter()
            .map(|c| (c.clone(), compute_chain(&by_command, c)))
            .collect();

        FlagDb {
            version: version.to_string(),
            flags,
            by_name,
            by_abbreviation,
            commands,
            by_command,
            chains,
        }
    }

    /// The version label given to [`FlagDb::from_proto`].
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The flag called `name` (without dashes), or whose old name is `name`.
    /// A real name wins over another flag's old name.
    pub fn get(&self, name: &str) -> Option<&FlagInfo> {
        self.by_name.get(name).map(|&i| &self.flags[i])
    }

    /// The flag that `--no<rest>` negates, when `name` is `no<rest>`, no flag
    /// is called `name` itself (`noorder_results` is a flag of its own), and
    /// the flag has a negative form.
    pub fn get_negated(&self, name: &str) -> Option<&FlagInfo> {
        if self.by_name.contains_key(name) {
            return None;
        }
        let flag = self.get(name.strip_prefix("no")?)?;
        flag.has_negative_flag.then_some(flag)
    }

    /// The flag whose one-letter abbreviation is `abbrev` (`c` gives
    /// `compilation_mode`).
    pub fn by_abbreviation(&self, abbrev: &str) -> Option<&FlagInfo> {
        self.by_abbreviation.get(abbrev).map(|&i| &self.flags[i])
    }

    /// All flags, sorted by name.
    pub fn flags(&self) -> &[FlagInfo] {
        &self.flags
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// Every command name some flag applies to, sorted; includes the
    /// pseudo-command `startup`. Commands without any flag are not known.
    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    /// Whether any flag applies to `command`.
    pub fn has_command(&self, command: &str) -> bool {
        self.by_command.contains_key(command)
    }

    /// The flags that apply to `command`, inherited ones included, by name.
    pub fn flags_for_command<'a>(
        &'a self,
        command: &'a str,
    ) -> impl Iterator<Item = &'a FlagInfo> + 'a {
        self.by_command
            .get(command)
            .into_iter()
            .flatten()
            .map(|&i| &self.flags[i])
    }

    /// Whether `flag` may be given to `command` (directly or inherited: the
    /// dump already lists inheriting commands).
    pub fn applies_to(&self, flag: &FlagInfo, command: &str) -> bool {
        flag.commands.iter().any(|c| c == command)
    }

    /// Which commands `command` inherits options from, most general first,
    /// ending in `command` itself (`coverage` gives `[build, test, coverage]`).
    ///
    /// Derived from the data, because Bazel's command annotations change
    /// between versions: a command other than `build` and `test` inherits
    /// `test` (and so `test`'s chain) if every flag of `test` applies to it,
    /// else `build` if every flag of `build` does, else nothing; `test`
    /// inherits `build` the same way. An unknown command gives `[command]`.
    pub fn inheritance_chain(&self, command: &str) -> Vec<String> {
        self.chains
            .get(command)
            .cloned()
            .unwrap_or_else(|| vec![command.to_string()])
    }
}

/// Whether every element of `small` is in `large`; both sorted ascending.
/// An empty `small` is not considered included: a command without flags
/// cannot be a parent.
fn is_included(small: &[usize], large: &[usize]) -> bool {
    if small.is_empty() || small.len() > large.len() {
        return false;
    }
    let mut rest = large.iter();
    small.iter().all(|s| rest.by_ref().any(|l| l == s))
}

fn compute_chain(by_command: &HashMap<String, Vec<usize>>, command: &str) -> Vec<String> {
    let empty = Vec::new();
    let flags_of = |c: &str| by_command.get(c).unwrap_or(&empty);
    let own = flags_of(command);
    let build_in_test = is_included(flags_of("build"), flags_of("test"));
    let mut chain = Vec::new();
    match command {
        "build" => {}
        "test" => {
            if build_in_test {
                chain.push("build".to_string());
            }
        }
        _ => {
            if is_included(flags_of("test"), own) {
                if build_in_test {
                    chain.push("build".to_string());
                }
                chain.push("test".to_string());
            } else if is_included(flags_of("build"), own) {
                chain.push("build".to_string());
            }
        }
    }
    chain.push(command.to_string());
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::test_util::{collection, flag_message, Writer};

    fn small_db() -> FlagDb {
        let mut keep_going = Writer::default();
        keep_going
            .string(1, "keep_going")
            .boolean(2, true)
            .string(4, "build")
            .string(4, "test")
            .string(4, "info")
            .string(5, "k")
            .string(11, "old_keep_going");
        let bytes = collection(&[
            flag_message("test_output", &["test"], false),
            keep_going.0,
            flag_message("nohost_deps", &["query"], false),
            flag_message("host_deps", &["query"], true),
            flag_message("order_results", &["query"], true),
            flag_message("noorder_results", &["query"], false),
            // A repeated name: commands are merged.
            flag_message("test_output", &["coverage", "test"], false),
            flag_message("watchfs", &["startup", "build", "test", "info"], true),
        ]);
        FlagDb::from_proto("test", &bytes).expect("valid")
    }

    #[test]
    fn lookups() {
        let db = small_db();
        assert_eq!(db.version(), "test");
        let names: Vec<_> = db.flags().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "host_deps",
                "keep_going",
                "nohost_deps",
                "noorder_results",
                "order_results",
                "test_output",
                "watchfs"
            ]
        );
        assert_eq!(
            db.get("keep_going").map(|f| f.name.as_str()),
            Some("keep_going")
        );
        assert_eq!(
            db.get("old_keep_going").map(|f| f.name.as_str()),
            Some("keep_going")
        );
        assert_eq!(db.get("--keep_going"), None);
        assert_eq!(
            db.by_abbreviation("k").map(|f| f.name.as_str()),
            Some("keep_going")
        );
        assert_eq!(db.by_abbreviation("x"), None);
        assert_eq!(
            db.get("test_output").map(|f| f.commands.clone()),
            Some(vec!["test".to_string(), "coverage".to_string()])
        );
        assert_eq!(
            db.commands(),
            ["build", "coverage", "info", "query", "startup", "test"]
        );
        assert!(db.has_command("startup"));
        assert!(!db.has_command("common"));
    }

    #[test]
    fn negated_names() {
        let db = small_db();
        assert_eq!(
            db.get_negated("nokeep_going").map(|f| f.name.as_str()),
            Some("keep_going")
        );
        // A real flag called no... is not a negation.
        assert_eq!(db.get_negated("noorder_results"), None);
        assert_eq!(db.get_negated("nohost_deps"), None);
        // No negative form.
        assert_eq!(db.get_negated("notest_output"), None);
        assert_eq!(db.get_negated("keep_going"), None);
    }

    #[test]
    fn commands_and_inheritance() {
        let db = small_db();
        let query: Vec<_> = db
            .flags_for_command("query")
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            query,
            [
                "host_deps",
                "nohost_deps",
                "noorder_results",
                "order_results"
            ]
        );
        assert_eq!(db.flags_for_command("nonsense").count(), 0);
        let keep_going = db.get("keep_going").expect("exists");
        assert!(db.applies_to(keep_going, "info"));
        assert!(!db.applies_to(keep_going, "query"));

        assert_eq!(db.inheritance_chain("build"), ["build"]);
        assert_eq!(db.inheritance_chain("test"), ["build", "test"]);
        assert_eq!(db.inheritance_chain("info"), ["build", "info"]);
        // coverage lacks keep_going and watchfs, so it inherits nothing here.
        assert_eq!(db.inheritance_chain("coverage"), ["coverage"]);
        assert_eq!(db.inheritance_chain("query"), ["query"]);
        assert_eq!(db.inheritance_chain("startup"), ["startup"]);
        assert_eq!(db.inheritance_chain("unknown"), ["unknown"]);
    }

    #[test]
    fn inclusion() {
        assert!(is_included(&[1, 3], &[0, 1, 2, 3]));
        assert!(!is_included(&[1, 4], &[0, 1, 2, 3]));
        assert!(!is_included(&[], &[0, 1]));
        assert!(!is_included(&[0, 1, 2], &[0, 1]));
    }
}
