//! Labels: parsing, validation, and making them absolute.
//!
//! Input: text; its first line is the label, the second the current
//! package (for relative labels), the third a target name.
//!
//! Invariants:
//! - a parsed label's package and name pass `validate_package_name` and
//!   `validate_target_name`, and its package is `None` exactly for
//!   relative labels (no repository);
//! - `parse_label(label.to_string()) == label` (the canonical spelling
//!   parses back to the same label);
//! - `//PKG:NAME` parses, to PKG and NAME, whenever both validate;
//! - `absolute_label` (in a valid current package) gives a label that
//!   parses, is absolute, and is its own absolute form; the select
//!   module's `absolute` agrees with it for main-repository labels.
#![no_main]

use bzls::workspace::label::{parse_label, validate_package_name, validate_target_name, Repo};
use bzls::workspace::summary::absolute_label;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut lines = input.split('\n');
    let text = lines.next().unwrap_or("");
    let current = lines.next().unwrap_or("pkg");
    let name = lines.next().unwrap_or("t");

    // Validation never panics, whatever the text.
    let package_ok = validate_package_name(text).is_none();
    let name_ok = validate_target_name(text).is_none();
    let _ = (package_ok, name_ok);

    if let Ok(label) = parse_label(text) {
        let _ = label.special();
        if label.is_relative() {
            assert_eq!(
                label.repo,
                Repo::Current,
                "{text:?} -> {label:?}: a relative label with a repository"
            );
        }
        if let Some(package) = &label.package {
            assert_eq!(
                validate_package_name(package),
                None,
                "{text:?} -> {label:?}: invalid package"
            );
        }
        assert_eq!(
            validate_target_name(&label.name),
            None,
            "{text:?} -> {label:?}: invalid name"
        );
        let shown = label.to_string();
        assert_eq!(
            parse_label(&shown).as_ref(),
            Ok(&label),
            "{text:?} -> {label:?} -> {shown:?} does not parse back to the same label"
        );
    }

    // `//PKG:NAME` from parts that validate.
    if validate_package_name(text).is_none() && validate_target_name(name).is_none() {
        let composed = format!("//{text}:{name}");
        match parse_label(&composed) {
            Ok(label) => {
                assert_eq!(label.repo, Repo::Current, "{composed:?}");
                assert_eq!(label.package.as_deref(), Some(text), "{composed:?}");
                assert_eq!(label.name, name, "{composed:?}");
            }
            Err(e) => panic!("{composed:?} from a valid package and name: {e}"),
        }
    }

    if validate_package_name(current).is_none() {
        if let Some(abs) = absolute_label(text, current) {
            let label = parse_label(&abs)
                .unwrap_or_else(|e| panic!("absolute_label({text:?}, {current:?}) = {abs:?}: {e}"));
            assert!(!label.is_relative(), "{abs:?} is relative");
            assert_eq!(
                absolute_label(&abs, "elsewhere").as_deref(),
                Some(abs.as_str()),
                "absolute_label is not idempotent on {abs:?}"
            );
            if matches!(
                parse_label(text).map(|l| l.repo),
                Ok(Repo::Current | Repo::Main)
            ) {
                assert_eq!(
                    bzls::select::conditions::absolute(text, current),
                    abs,
                    "select's absolute() and absolute_label disagree on {text:?} in {current:?}"
                );
            }
        }
    }
});
