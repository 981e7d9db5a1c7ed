//! The decoders of outside data: `bazel help flags-as-proto` dumps (raw
//! protobuf and base64 stdout), `bazel help` lines, Bazel versions
//! (`.bazelversion`, `.bazeliskrc`, `bazel --version`), and names looked up
//! in the build-language schema.
//!
//! Input: raw bytes (also read as lossy UTF-8 text).
//!
//! Invariants:
//! - `decode_flag_collection`: every decoded flag has a name; `FlagDb`
//!   built from a decodable dump answers every query, and each command's
//!   inheritance chain ends with the command itself;
//! - `decode_dump`: what it accepts decodes to a non-empty collection;
//! - base64: `decode(encode(bytes)) == bytes`, also with line breaks;
//! - `BazelVersion::parse`: `patch` is `None` whenever `minor` is, `raw`
//!   is the trimmed text, parsing `raw` again gives the same version;
//! - a flag database from the dump drives the rc pipeline (expansion,
//!   diagnostics, completion) without panicking.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bzls::analysis::rc::completion::complete;
use bzls::analysis::rc::diagnostics::rc_diagnostics;
use bzls::analysis::rc::RcContext;
use bzls::flags::dump::{decode_dump, parse_help_line};
use bzls::flags::proto::decode_flag_collection;
use bzls::flags::version::{bazeliskrc_version, detect};
use bzls::flags::{base64, BazelVersion, FlagDb};
use bzls::rc::chain::{Origin, RcChain, RcRoot, ReadError};
use bzls::rc::expand::expand;
use bzls::workspace::schema::{rule_schema, AttrType};
use bzls_fuzz::{check_diagnostics, check_range};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    flags_proto(data);
    let _ = decode_dump(data).map(|bytes| {
        let flags = decode_flag_collection(&bytes).expect("decode_dump's bytes decode");
        assert!(!flags.is_empty(), "decode_dump accepted an empty collection");
    });
    base64_round_trip(data);

    let text = String::from_utf8_lossy(data);
    let _ = base64::decode(&text);
    for line in text.lines().take(512) {
        if let Some((name, _default, _description)) = parse_help_line(line) {
            assert!(!name.is_empty(), "parse_help_line gave an empty name for {line:?}");
        }
        check_version(line);
        let _ = rule_schema(line.trim()).map(|r| r.attributes().len());
        let _ = AttrType::from_name(line.trim());
    }
    if let Some(v) = BazelVersion::from_version_output(&text) {
        check_parsed(&v);
    }
    let _ = bazeliskrc_version(&text);
    if let Some(v) = detect(Some(&text), Some(&text), None) {
        check_parsed(&v);
    }
});

fn flags_proto(data: &[u8]) {
    let Ok(flags) = decode_flag_collection(data) else {
        return;
    };
    for flag in &flags {
        assert!(!flag.name.is_empty(), "a decoded flag without a name");
        let _ = flag.value_kind();
        let _ = flag.value_kind().completion_values();
        let _ = (flag.is_boolean(), flag.is_deprecated(), flag.is_startup());
    }
    let db = FlagDb::from_proto("fuzz", data).expect("decoded once, decodes again");
    for command in db.commands() {
        let chain = db.inheritance_chain(command);
        assert_eq!(
            chain.last(),
            Some(command),
            "the inheritance chain of {command:?} is {chain:?}"
        );
        for flag in db.flags_for_command(command).take(64) {
            assert!(db.applies_to(flag, command));
        }
    }
    for flag in db.flags().iter().take(64) {
        assert!(db.get(&flag.name).is_some(), "flag {:?} not found by name", flag.name);
        if let Some(a) = &flag.abbreviation {
            let _ = db.by_abbreviation(a);
        }
        let _ = db.get_negated(&format!("no{}", flag.name));
    }
    rc_with(&db);
}

/// A small rc file, expanded and checked against the dump's database.
fn rc_with(db: &FlagDb) {
    const RC: &str = "common --keep_going\nbuild -c opt --jobs=3 --copt=\"a b\"\nbuild:x --define=x=1 --config=y\nbuild:y -k\ntest:x --test_output=errors\nstartup --host_jvm_args=-Xmx1g\nfoo --bar\n";
    let reader = |p: &Path| {
        if p == Path::new("/ws/.bazelrc") {
            Ok(Arc::<str>::from(RC))
        } else {
            Err(ReadError::NotFound)
        }
    };
    let chain = RcChain::load(
        Some(Path::new("/ws")),
        &[RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: Origin::Workspace,
        }],
        &reader,
    );
    let args = vec!["--config=x".to_owned(), "-c".to_owned(), "dbg".to_owned()];
    for command in db.commands().iter().take(4).map(String::as_str).chain(["build", "test"]) {
        let _ = expand(&chain, db, command, &args, "linux");
    }
    let ctx = RcContext {
        chain: &chain,
        db,
        exact: true,
        version: None,
        file: 0,
    };
    check_diagnostics(RC, &rc_diagnostics(&ctx), "rc diagnostics with a fuzzed database");
    for offset in [0, 8, 21, 35, RC.len()] {
        for item in complete(&ctx, offset) {
            check_range(RC, item.replace, "completion");
        }
    }
}

fn base64_encode(bytes: &[u8], wrap: Option<usize>) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (index, chunk) in bytes.chunks(3).enumerate() {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
        if wrap.is_some_and(|w| (index + 1) % (w / 4) == 0) {
            out.push_str("\r\n");
        }
    }
    out
}

fn base64_round_trip(data: &[u8]) {
    let plain = base64_encode(data, None);
    assert_eq!(base64::decode(&plain).as_deref(), Ok(data), "base64 of {data:?}");
    let wrapped = base64_encode(data, Some(76));
    assert_eq!(base64::decode(&wrapped).as_deref(), Ok(data), "wrapped base64 of {data:?}");
    let unpadded = plain.trim_end_matches('=');
    assert_eq!(base64::decode(unpadded).as_deref(), Ok(data), "unpadded base64 of {data:?}");
}

fn check_parsed(v: &BazelVersion) {
    assert!(v.minor.is_some() || v.patch.is_none(), "patch without minor: {v:?}");
    assert_eq!(v.raw, v.raw.trim(), "raw is not trimmed: {v:?}");
    assert_eq!(
        BazelVersion::parse(&v.raw).as_ref(),
        Some(v),
        "parsing {:?} again gives another version",
        v.raw
    );
    let _ = (v.number(), v.triple(), v.is_complete(), v.to_string());
}

fn check_version(line: &str) {
    if let Some(v) = BazelVersion::parse(line) {
        assert_eq!(v.raw, line.trim(), "raw of {line:?}");
        check_parsed(&v);
    }
}
