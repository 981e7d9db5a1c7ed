//! Flag databases compiled into the binary (`server/data/flags/`), each
//! gunzipped and decoded once, on first use.

use std::io::Read;
use std::sync::OnceLock;

use flate2::read::GzDecoder;

use super::db::FlagDb;
use super::version::BazelVersion;

/// Each embedded version, ascending, with its gzipped raw
/// `bazel help flags-as-proto` output.
const EMBEDDED: [(&str, &[u8]); 2] = [
    (
        "2.1.0",
        include_bytes!("../../data/flags/bazel-2.1.0.flags.pb.gz"),
    ),
    (
        "7.1.0",
        include_bytes!("../../data/flags/bazel-7.1.0.flags.pb.gz"),
    ),
];

/// The versions of `EMBEDDED`, in the same order.
const VERSIONS: [&str; EMBEDDED.len()] = {
    let mut versions = [""; EMBEDDED.len()];
    let mut i = 0;
    while i < EMBEDDED.len() {
        versions[i] = EMBEDDED[i].0;
        i += 1;
    }
    versions
};

static DBS: [OnceLock<FlagDb>; EMBEDDED.len()] = [const { OnceLock::new() }; EMBEDDED.len()];

/// The versions of the embedded databases, ascending.
pub fn embedded_versions() -> &'static [&'static str] {
    &VERSIONS
}

/// Former names Bazel still accepts (`@Option(oldName = ...)`), for dumps
/// too old to list them (field 11 appeared in Bazel 8.4): `(old, current)`.
/// Curated from Bazel's option definitions; applied only when the current
/// name is a flag of the dump and the old one is not.
const OLD_NAMES: &[(&str, &str)] = &[
    (
        "experimental_strict_action_env",
        "incompatible_strict_action_env",
    ),
    ("project_id", "bes_instance_name"),
    (
        "experimental_local_execution_delay",
        "dynamic_local_execution_delay",
    ),
    (
        "experimental_remote_build_event_upload",
        "remote_build_event_upload",
    ),
    (
        "experimental_remote_download_regex",
        "remote_download_regex",
    ),
    (
        "experimental_remote_cache_compression",
        "remote_cache_compression",
    ),
    ("experimental_remote_grpc_log", "remote_grpc_log"),
    ("experimental_enable_bzlmod", "enable_bzlmod"),
    (
        "experimental_allow_unresolved_symlinks",
        "allow_unresolved_symlinks",
    ),
    ("experimental_worker_multiplex", "worker_multiplex"),
    (
        "experimental_action_cache_store_output_metadata",
        "action_cache_store_output_metadata",
    ),
];

/// Gunzips and decodes one embedded dump.
fn load(index: usize) -> Result<FlagDb, String> {
    let mut bytes = Vec::new();
    GzDecoder::new(EMBEDDED[index].1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let mut flags = super::proto::decode_flag_collection(&bytes).map_err(|e| e.to_string())?;
    add_old_names(&mut flags);
    Ok(FlagDb::from_flags(VERSIONS[index], flags))
}

/// Adds the [`OLD_NAMES`] a dump does not know.
fn add_old_names(flags: &mut [super::FlagInfo]) {
    for (old, current) in OLD_NAMES {
        if flags
            .iter()
            .any(|f| f.name == *old || f.old_names.iter().any(|n| n == old))
        {
            continue;
        }
        if let Some(flag) = flags.iter_mut().find(|f| f.name == *current) {
            flag.old_names.push(old.to_string());
        }
    }
}

fn get(index: usize) -> &'static FlagDb {
    DBS[index].get_or_init(|| {
        load(index).unwrap_or_else(|error| {
            // Unreachable with the checked-in data (tests decode every dump);
            // an empty database degrades features instead of crashing.
            tracing::error!("embedded Bazel {} flags: {error}", VERSIONS[index]);
            FlagDb::from_flags(VERSIONS[index], Vec::new())
        })
    })
}

/// The embedded database of exactly `version` (`"7.1.0"`), if there is one.
pub fn embedded(version: &str) -> Option<&'static FlagDb> {
    VERSIONS.iter().position(|&v| v == version).map(get)
}

/// The newest embedded database.
pub fn latest_embedded() -> &'static FlagDb {
    get(VERSIONS.len() - 1)
}

/// The embedded database closest to `version`, and whether it is exact.
///
/// Exact means same major, minor and patch with no pre-release suffix or
/// fork. Otherwise the newest embedded version with the same major that is
/// not newer than `version` is chosen, else the oldest one of that major;
/// with no embedded version of that major, the one with the nearest major
/// (the newer on a tie). Without a version, the newest database.
pub fn closest_embedded(version: Option<&BazelVersion>) -> (&'static FlagDb, bool) {
    let Some(wanted) = version else {
        return (latest_embedded(), false);
    };
    let parsed: Vec<(usize, BazelVersion)> = VERSIONS
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((i, BazelVersion::parse(v)?)))
        .collect();
    let key = |v: &BazelVersion| (v.minor.unwrap_or(u32::MAX), v.patch.unwrap_or(u32::MAX));

    if let Some((i, _)) = parsed.iter().find(|(_, v)| {
        wanted.pre.is_none()
            && wanted.fork.is_none()
            && (v.major, v.minor, v.patch) == (wanted.major, wanted.minor, wanted.patch)
            && wanted.patch.is_some()
    }) {
        return (get(*i), true);
    }

    let same_major: Vec<&(usize, BazelVersion)> = parsed
        .iter()
        .filter(|(_, v)| v.major == wanted.major)
        .collect();
    let chosen = if same_major.is_empty() {
        // On a tie, `Reverse` makes the newer major the minimum.
        parsed
            .iter()
            .min_by_key(|(_, v)| (v.major.abs_diff(wanted.major), std::cmp::Reverse(v.major)))
            .map(|(i, _)| *i)
    } else {
        same_major
            .iter()
            .filter(|(_, v)| key(v) <= key(wanted))
            .max_by_key(|(_, v)| key(v))
            .or(same_major.first())
            .map(|(i, _)| *i)
    };
    (chosen.map_or_else(latest_embedded, get), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closest(text: Option<&str>) -> (&'static str, bool) {
        let version = text.map(|t| BazelVersion::parse(t).expect("valid"));
        let (db, exact) = closest_embedded(version.as_ref());
        (db.version(), exact)
    }

    #[test]
    fn every_embedded_dump_decodes() {
        assert_eq!(embedded_versions(), ["2.1.0", "7.1.0"]);
        assert!(VERSIONS.windows(2).all(|w| {
            let key = |v| BazelVersion::parse(v).map(|v| (v.major, v.minor, v.patch));
            key(w[0]) < key(w[1])
        }));
        for (i, version) in VERSIONS.iter().enumerate() {
            let db = load(i).expect("decodes");
            assert_eq!(db.version(), *version);
            assert!(db.len() > 500, "{version}: {}", db.len());
        }
        assert!(embedded("7.1.0").is_some_and(|db| !db.is_empty()));
        assert!(embedded("6.0.0").is_none());
        // Decoded once: the same instance every time.
        assert!(std::ptr::eq(
            embedded("2.1.0").expect("embedded"),
            embedded("2.1.0").expect("embedded")
        ));
    }

    #[test]
    fn closest_versions() {
        assert_eq!(closest(None), ("7.1.0", false));
        assert_eq!(closest(Some("7.1.0")), ("7.1.0", true));
        assert_eq!(closest(Some("2.1.0")), ("2.1.0", true));
        assert_eq!(closest(Some("7.1.0rc1")), ("7.1.0", false));
        assert_eq!(closest(Some("fork/7.1.0")), ("7.1.0", false));
        assert_eq!(closest(Some("7.x")), ("7.1.0", false));
        assert_eq!(closest(Some("7.0.2")), ("7.1.0", false));
        assert_eq!(closest(Some("7.4.1")), ("7.1.0", false));
        assert_eq!(closest(Some("2.2.0")), ("2.1.0", false));
        assert_eq!(closest(Some("2.0.0")), ("2.1.0", false));
        assert_eq!(closest(Some("3.7.2")), ("2.1.0", false));
        assert_eq!(closest(Some("6.5.0")), ("7.1.0", false));
        assert_eq!(closest(Some("9.0.0")), ("7.1.0", false));
        assert_eq!(closest(Some("1.0.0")), ("2.1.0", false));
    }
}
