//! Facts about the real embedded dumps.

use super::*;

fn db(version: &str) -> &'static FlagDb {
    embedded(version).expect("embedded")
}

fn chain(db: &FlagDb, command: &str) -> Vec<String> {
    db.inheritance_chain(command)
}

#[test]
fn sizes_and_commands() {
    let old = db("2.1.0");
    let new = db("7.1.0");
    assert_eq!(old.len(), 802);
    assert_eq!(new.len(), 979);
    assert_eq!(
        old.commands(),
        [
            "analyze-profile",
            "aquery",
            "build",
            "canonicalize-flags",
            "clean",
            "config",
            "coverage",
            "cquery",
            "dump",
            "fetch",
            "help",
            "info",
            "license",
            "mobile-install",
            "print_action",
            "query",
            "run",
            "shutdown",
            "startup",
            "sync",
            "test",
            "version",
        ]
    );
    assert_eq!(new.commands().len(), 24);
    assert!(new.has_command("mod") && new.has_command("vendor"));
    assert!(!old.has_command("mod"));
    assert_eq!(old.flags_for_command("build").count(), 675);
    assert_eq!(new.flags_for_command("build").count(), 838);
    assert_eq!(new.flags_for_command("startup").count(), 42);
    for db in [old, new] {
        assert!(db.flags().windows(2).all(|w| w[0].name < w[1].name));
        assert!(db.flags().iter().all(|f| !f.commands.is_empty()));
    }
}

#[test]
fn well_known_flags() {
    for version in ["2.1.0", "7.1.0"] {
        let db = db(version);
        let c = db.by_abbreviation("c").expect("-c");
        assert_eq!(c.name, "compilation_mode");
        assert!(db.applies_to(c, "build"));
        assert!(!db.applies_to(c, "query"));
        assert_eq!(
            c.value_kind(),
            ValueKind::Enum(vec!["fastbuild".into(), "dbg".into(), "opt".into()])
        );

        let abbreviations: Vec<_> = ["c", "d", "j", "k", "l", "s", "t"]
            .iter()
            .map(|a| db.by_abbreviation(a).map(|f| f.name.as_str()))
            .collect();
        assert_eq!(
            abbreviations,
            [
                Some("compilation_mode"),
                Some("dump"),
                Some("jobs"),
                Some("keep_going"),
                Some("long"),
                Some("subcommands"),
                Some("cache_test_results"),
            ],
            "{version}"
        );

        let config = db.get("config").expect("--config");
        assert!(config.allows_multiple);
        assert!(!config.has_negative_flag);
        assert!(db.get("define").expect("--define").allows_multiple);

        let keep_going = db.get("keep_going").expect("--keep_going");
        assert!(keep_going.has_negative_flag);
        assert!(keep_going.is_boolean());
        assert!(!keep_going.is_deprecated());
        assert_eq!(db.get_negated("nokeep_going"), Some(keep_going));

        assert!(db
            .get("enable_platform_specific_config")
            .is_some_and(|f| f.is_boolean()));
        assert_eq!(
            db.get("cache_test_results").map(FlagInfo::value_kind),
            Some(ValueKind::TriState)
        );
        assert!(db.get("proto:locations").is_some());
        // Startup options are in the same table.
        assert!(db.get("batch").is_some_and(FlagInfo::is_startup));
        // No dump carries converters, enum values or old names (the old
        // names come from the curated table, see `embedded::OLD_NAMES`).
        assert!(db.flags().iter().all(|f| f.type_converter.is_none()
            && f.enum_values.is_empty()
            && f.deprecation_warning.is_none()));
    }
}

#[test]
fn fields_by_version() {
    let old = db("2.1.0");
    let new = db("7.1.0");
    // 2.1.0 has fields 1-6 only.
    assert!(old.flags().iter().all(|f| f.requires_value.is_none()
        && f.effect_tags.is_empty()
        && f.metadata_tags.is_empty()
        && f.category.is_empty()));
    // 7.1.0 always sets requires_value and category.
    assert!(new
        .flags()
        .iter()
        .all(|f| f.requires_value.is_some() && !f.category.is_empty()));
    // A boolean never requires a value.
    assert!(new
        .flags()
        .iter()
        .all(|f| !(f.has_negative_flag && f.requires_value == Some(true))));

    let keep_going = new.get("keep_going").expect("--keep_going");
    assert_eq!(keep_going.effect_tags, ["EAGERNESS_TO_EXIT"]);
    assert_eq!(keep_going.category, "EXECUTION_STRATEGY");
    assert_eq!(keep_going.requires_value, Some(false));
    assert_eq!(new.get("jobs").and_then(|f| f.requires_value), Some(true));
    let incompatible = new
        .get("incompatible_strict_action_env")
        .expect("incompatible flag");
    assert_eq!(incompatible.metadata_tags, ["INCOMPATIBLE_CHANGE"]);

    // Expansion flags take no value.
    assert_eq!(
        new.get("remote_download_minimal").map(FlagInfo::value_kind),
        Some(ValueKind::ValueOptional)
    );
    assert_eq!(
        old.get("remote_download_minimal").map(FlagInfo::value_kind),
        Some(ValueKind::String)
    );
}

#[test]
fn deprecation() {
    let new = db("7.1.0");
    let deprecated = |name: &str| new.get(name).map(FlagInfo::is_deprecated);
    assert_eq!(deprecated("batch"), Some(true)); // metadata tag
    assert_eq!(deprecated("host_javabase"), Some(true)); // "No-op."
    assert_eq!(deprecated("expand_configs_in_place"), Some(true)); // NO_OP effect
    assert_eq!(deprecated("compilation_mode"), Some(false));
    assert_eq!(
        deprecated("incompatible_enable_deprecated_label_apis"),
        Some(false)
    );
    // The startup `watchfs` is deprecated and shares the entry of the
    // command `watchfs`, which is not.
    assert_eq!(deprecated("watchfs"), Some(true));
    let old = db("2.1.0");
    assert_eq!(old.get("announce").map(FlagInfo::is_deprecated), Some(true));
    assert_eq!(old.get("batch").map(FlagInfo::is_deprecated), Some(true));
}

#[test]
fn inheritance() {
    for version in ["2.1.0", "7.1.0"] {
        let db = db(version);
        assert_eq!(chain(db, "build"), ["build"], "{version}");
        assert_eq!(chain(db, "test"), ["build", "test"], "{version}");
        assert_eq!(
            chain(db, "coverage"),
            ["build", "test", "coverage"],
            "{version}"
        );
        assert_eq!(chain(db, "query"), ["query"], "{version}");
        assert_eq!(chain(db, "info"), ["build", "info"], "{version}");
        assert_eq!(chain(db, "run"), ["build", "run"], "{version}");
        assert_eq!(chain(db, "aquery"), ["build", "aquery"], "{version}");
        assert_eq!(chain(db, "version"), ["version"], "{version}");
        assert_eq!(chain(db, "startup"), ["startup"], "{version}");
        assert_eq!(chain(db, "common"), ["common"], "{version}");
    }
    let old = db("2.1.0");
    let new = db("7.1.0");
    assert_eq!(chain(old, "cquery"), ["build", "cquery"]);
    assert_eq!(chain(new, "cquery"), ["build", "test", "cquery"]);
    assert_eq!(chain(old, "fetch"), ["fetch"]);
    assert_eq!(chain(new, "fetch"), ["build", "test", "fetch"]);
    assert_eq!(chain(old, "canonicalize-flags"), ["canonicalize-flags"]);
    assert_eq!(
        chain(new, "canonicalize-flags"),
        ["build", "canonicalize-flags"]
    );
    assert_eq!(chain(new, "mod"), ["mod"]);
}

#[test]
fn dump_quirks() {
    let new = db("7.1.0");
    // Bazel keys the dump by name: `output` of query, cquery and aquery is
    // one entry with aquery's documentation and everyone's commands.
    let output = new.get("output").expect("--output");
    assert!(output.documentation.contains("aquery"));
    assert!(new.applies_to(output, "query") && new.applies_to(output, "cquery"));
    // Old names are not dumped as flags; the curated table maps them.
    assert!(!new
        .flags()
        .iter()
        .any(|f| f.name == "experimental_strict_action_env"));
    assert_eq!(
        new.get("experimental_strict_action_env")
            .map(|f| f.name.as_str()),
        Some("incompatible_strict_action_env")
    );
}
