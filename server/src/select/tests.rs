//! Fixture tests: a multi-file fixture (`//- /path`) is a workspace whose
//! `/.bazelrc` and `BUILD` files are read; a target is configured under a
//! command line and the result rendered one select per block.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use expect_test::{expect, Expect};
use ropey::Rope;

use super::conditions::{Env, Packages, Verdict};
use super::expr::{rule_calls, RuleCall};
use super::flat_strings;
use super::resolve::{evaluate_call, Outcome};
use super::values::ConfigValues;
use crate::fixture::files;
use crate::flags::embedded;
use crate::rc::chain::{Origin as RcOrigin, RcRoot, ReadError};
use crate::rc::expand::expand;
use crate::rc::RcChain;
use crate::syntax::{parse_str_with, Grammar};

struct FixturePackages(HashMap<String, Arc<Vec<RuleCall>>>);

impl Packages for FixturePackages {
    fn calls(&self, package: &str) -> Option<Arc<Vec<RuleCall>>> {
        self.0.get(package).cloned()
    }
}

struct Fixture {
    packages: FixturePackages,
    chain: RcChain,
}

fn load(fixture: &str) -> Fixture {
    let mut rc: HashMap<PathBuf, Arc<str>> = HashMap::new();
    let mut packages = HashMap::new();
    for (path, text) in files(fixture) {
        if let Some(dir) = path.strip_suffix("/BUILD") {
            let tree = parse_str_with(Grammar::Starlark, &text);
            let calls = rule_calls(&tree, &Rope::from_str(&text));
            packages.insert(dir.trim_start_matches('/').to_string(), Arc::new(calls));
        } else {
            rc.insert(
                Path::new("/ws").join(path.trim_start_matches('/')),
                Arc::from(text.as_str()),
            );
        }
    }
    let reader = move |p: &Path| rc.get(p).cloned().ok_or(ReadError::NotFound);
    let chain = RcChain::load_for(
        Some(Path::new("/ws")),
        &[RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: RcOrigin::Workspace,
        }],
        &reader,
        Some([2, 1, 0]),
    );
    Fixture {
        packages: FixturePackages(packages),
        chain,
    }
}

/// Configures `target` under `bazel build ARGS` and renders each select.
fn render(fixture: &str, target: &str, args: &[&str]) -> String {
    let f = load(fixture);
    let db = embedded("2.1.0").expect("2.1.0 database");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let ex = expand(&f.chain, db, "build", &args, "linux");
    let values = ConfigValues::from_expansion(&ex, db);
    let env = Env::new(&f.packages, &values, db);
    let (package, name) = target.trim_start_matches("//").split_once(':').unwrap();
    let calls = f.packages.calls(package).expect("package");
    let Some(call) = calls.iter().find(|c| c.name.as_deref() == Some(name)) else {
        return "no such target\n".to_string();
    };
    let mut out = String::new();
    for err in &ex.errors {
        out.push_str(&format!("rc error: {}\n", err.message));
    }
    for attr in evaluate_call(&env, call, package) {
        for select in &attr.selects {
            let outcome = match &select.outcome {
                Outcome::Chosen(i) => format!("-> {}", select.conditions[*i].label),
                Outcome::Ambiguous(_) => "AMBIGUOUS".into(),
                Outcome::NoMatch => "NO MATCH".into(),
                Outcome::Unknown(why) => format!("UNKNOWN ({why})"),
            };
            out.push_str(&format!("{}: select {outcome}\n", attr.name));
            for c in &select.conditions {
                let verdict = match c.verdict {
                    Verdict::Yes => "yes",
                    Verdict::No => "no",
                    Verdict::Unknown => "?",
                };
                out.push_str(&format!("  {} {verdict}\n", c.label));
                for check in &c.checks {
                    let actual = match &check.actual {
                        Some(s) => format!("{:?} ({})", s.value, s.origin.describe(&f.chain)),
                        None => "unset".into(),
                    };
                    out.push_str(&format!(
                        "    {} == {:?}: {actual}\n",
                        check.what, check.expected
                    ));
                }
            }
            if let Some(msg) = select.error_message(&attr.name, target) {
                out.push_str(&format!("  error: {}\n", msg.replace('\n', "\n    ")));
            }
        }
        match attr.value.as_ref().and_then(flat_strings) {
            Some(v) => out.push_str(&format!("  value: {v:?}\n")),
            None => out.push_str("  value: none\n"),
        }
    }
    out
}

fn check(fixture: &str, target: &str, args: &[&str], expect: Expect) {
    expect.assert_eq(&render(fixture, target, args));
}

const BASIC: &str = r#"
//- /.bazelrc
build:opt -c opt
# CUDA.
build:cuda --define=using_cuda=true --config=opt
//- /pkg/BUILD
config_setting(name = "opt", values = {"compilation_mode": "opt"})
config_setting(name = "cuda", define_values = {"using_cuda": "true"})
config_setting(name = "cuda_opt", values = {"compilation_mode": "opt", "define": "using_cuda=true"})
filegroup(
    name = "t",
    srcs = ["common"] + select({
        ":opt": ["opt.txt"],
        ":cuda_opt": ["//other:cuda_opt"],
        "//conditions:default": ["default.txt"],
    }),
)
"#;

#[test]
fn default_branch_when_nothing_matches() {
    check(
        BASIC,
        "//pkg:t",
        &[],
        expect![[r#"
            srcs: select -> //conditions:default
              //pkg:opt no
                compilation_mode == "opt": "fastbuild" (default)
              //pkg:cuda_opt no
                compilation_mode == "opt": "fastbuild" (default)
                --define using_cuda == "true": unset
              //conditions:default no
              value: ["common", "default.txt"]
        "#]],
    );
}

#[test]
fn a_config_picks_the_branch_and_says_where_the_value_came_from() {
    check(
        BASIC,
        "//pkg:t",
        &["--config=opt"],
        expect![[r#"
            srcs: select -> //pkg:opt
              //pkg:opt yes
                compilation_mode == "opt": "opt" (`--compilation_mode=opt` from .bazelrc:1, via --config=opt)
              //pkg:cuda_opt no
                compilation_mode == "opt": "opt" (`--compilation_mode=opt` from .bazelrc:1, via --config=opt)
                --define using_cuda == "true": unset
              //conditions:default no
              value: ["common", "opt.txt"]
        "#]],
    );
}

#[test]
fn the_specialised_condition_wins() {
    check(
        BASIC,
        "//pkg:t",
        &["--config=cuda"],
        expect![[r#"
            srcs: select -> //pkg:cuda_opt
              //pkg:opt yes
                compilation_mode == "opt": "opt" (`--compilation_mode=opt` from .bazelrc:1, via --config=cuda → --config=opt)
              //pkg:cuda_opt yes
                compilation_mode == "opt": "opt" (`--compilation_mode=opt` from .bazelrc:1, via --config=cuda → --config=opt)
                --define using_cuda == "true": "true" (`--define=using_cuda=true` from .bazelrc:3, via --config=cuda)
              //conditions:default no
              value: ["common", "//other:cuda_opt"]
        "#]],
    );
}

#[test]
fn ambiguous_and_no_match_are_errors() {
    let fixture = r#"
//- /pkg/BUILD
config_setting(name = "a", define_values = {"x": "1"})
config_setting(name = "b", values = {"define": "y=1"})
filegroup(name = "t", srcs = select({":a": ["a"], ":b": ["b"]}))
filegroup(name = "u", srcs = select({":a": ["a"]}, no_match_error = "set x"))
"#;
    check(
        fixture,
        "//pkg:t",
        &["--define=x=1", "--define", "y=1"],
        expect![[r#"
            srcs: select AMBIGUOUS
              //pkg:a yes
                --define x == "1": "1" (`--define=x=1` from the command line)
              //pkg:b yes
                --define y == "1": "1" (`--define=y=1` from the command line)
              error: Illegal ambiguous match on configurable attribute "srcs" in //pkg:t:
                //pkg:a
                //pkg:b
                Multiple matches are not allowed unless one is unambiguously more specialized.
              value: none
        "#]],
    );
    check(
        fixture,
        "//pkg:t",
        &[],
        expect![[r#"
            srcs: select NO MATCH
              //pkg:a no
                --define x == "1": unset
              //pkg:b no
                --define y == "1": unset
              error: Configurable attribute "srcs" doesn't match this configuration (would a default condition help?).
                Conditions checked:
                 //pkg:a
                 //pkg:b
              value: none
        "#]],
    );
    check(
        fixture,
        "//pkg:u",
        &["--define=x=2"],
        expect![[r#"
            srcs: select NO MATCH
              //pkg:a no
                --define x == "1": "2" (`--define=x=2` from the command line)
              error: Configurable attribute "srcs" doesn't match this configuration: set x
              value: none
        "#]],
    );
}

#[test]
fn aliases_groups_flags_platforms_and_with_or() {
    let fixture = r#"
//- /.bazelrc
build:arm --platforms=//plat:arm
//- /plat/BUILD
constraint_setting(name = "cpu", default_constraint_value = ":x86")
constraint_value(name = "x86", constraint_setting = ":cpu")
constraint_value(name = "arm64", constraint_setting = ":cpu")
platform(name = "base", constraint_values = [":arm64"])
platform(name = "arm", parents = [":base"])
//- /flags/BUILD
load("@bazel_skylib//rules:common_settings.bzl", "bool_flag", "string_flag")
string_flag(name = "mode", build_setting_default = "lite")
bool_flag(name = "fast", build_setting_default = False)
alias(name = "mode_alias", actual = ":mode")
//- /pkg/BUILD
load("@bazel_skylib//lib:selects.bzl", "selects")
config_setting(name = "lite", flag_values = {"//flags:mode_alias": "lite"})
config_setting(name = "fast", flag_values = {"//flags:fast": "true"})
config_setting(name = "on_arm", constraint_values = ["//plat:arm64"])
config_setting(name = "on_x86", constraint_values = ["//plat:x86"])
alias(name = "lite_alias", actual = ":lite")
selects.config_setting_group(name = "lite_or_fast", match_any = [":lite", ":fast"])
selects.config_setting_group(name = "lite_and_fast", match_all = [":lite", ":fast"])
filegroup(
    name = "t",
    srcs = select({":lite_alias": ["lite"], "//conditions:default": []}) +
           select({":lite_and_fast": ["both"], "//conditions:default": ["not_both"]}) +
           selects.with_or({(":on_arm", ":on_x86"): ["cpu"]}),
    data = select({":lite_or_fast": ["any"], "//conditions:default": []}) +
           select(selects.with_or_dict({(":on_arm", ":on_x86"): ["dict"]})),
)
"#;
    check(
        fixture,
        "//pkg:t",
        &["--//flags:fast", "--config=arm"],
        expect![[r#"
            srcs: select -> //pkg:lite_alias
              //pkg:lite_alias yes
                //flags:mode_alias == "lite": "lite" (default)
              //conditions:default no
            srcs: select -> //pkg:lite_and_fast
              //pkg:lite_and_fast yes
                //pkg:lite › //flags:mode_alias == "lite": "lite" (default)
                //pkg:fast › //flags:fast == "true": "true" (`--//flags:fast` from the command line)
              //conditions:default no
            srcs: select -> //pkg:on_arm
              //pkg:on_arm yes
                target platform constraint == "//plat:arm64": "//plat:arm64" (`--platforms=//plat:arm` from .bazelrc:1, via --config=arm)
              //pkg:on_x86 no
                target platform constraint == "//plat:x86": "//plat:arm64" (`--platforms=//plat:arm` from .bazelrc:1, via --config=arm)
              value: ["lite", "both", "cpu"]
            data: select -> //pkg:lite_or_fast
              //pkg:lite_or_fast yes
                //pkg:lite › //flags:mode_alias == "lite": "lite" (default)
                //pkg:fast › //flags:fast == "true": "true" (`--//flags:fast` from the command line)
              //conditions:default no
            data: select -> //pkg:on_arm
              //pkg:on_arm yes
                target platform constraint == "//plat:arm64": "//plat:arm64" (`--platforms=//plat:arm` from .bazelrc:1, via --config=arm)
              //pkg:on_x86 no
                target platform constraint == "//plat:x86": "//plat:arm64" (`--platforms=//plat:arm` from .bazelrc:1, via --config=arm)
              value: ["any", "dict"]
        "#]],
    );
    // Host platform: the constraint setting's default applies.
    let out = render(
        fixture,
        "//pkg:t",
        &["--no//flags:fast", "--//flags:mode=full"],
    );
    assert!(
        out.contains("srcs: select -> //conditions:default"),
        "{out}"
    );
    assert!(out.contains("//pkg:on_x86 yes"), "{out}");
    assert!(out.contains("value: [\"not_both\", \"cpu\"]"), "{out}");
}

#[test]
fn rc_errors_and_unknown_conditions_are_reported() {
    let fixture = r#"
//- /pkg/BUILD
load("//:defs.bzl", "CONDITIONS", "my_setting")
my_setting(name = "custom")
filegroup(name = "t", srcs = select({":custom": ["a"], "//conditions:default": []}))
filegroup(name = "u", srcs = select(CONDITIONS))
filegroup(name = "v", srcs = select({"@other//:c": ["a"], ":missing": ["b"]}))
"#;
    check(
        fixture,
        "//pkg:t",
        &["--config=nope"],
        expect![[r#"
            rc error: Config value 'nope' is not defined in any .rc file
            srcs: select UNKNOWN (//pkg:custom is a `my_setting`, not a config_setting bzls can read)
              //pkg:custom ?
              //conditions:default no
              value: none
        "#]],
    );
    let out = render(fixture, "//pkg:u", &[]);
    assert!(
        out.contains("UNKNOWN (the select's dict is not a literal"),
        "{out}"
    );
    let out = render(fixture, "//pkg:v", &[]);
    assert!(
        out.contains("UNKNOWN (@other//:c is in another repository)"),
        "{out}"
    );
}

#[test]
fn garbage_never_panics() {
    for text in [
        "filegroup(name = \"t\", srcs = select(",
        "filegroup(name = \"t\", srcs = select({1: 2, \"//conditions:default\": [}))",
        "filegroup(name = \"t\", srcs = select({\":t\": [\"a\"]}) + 3 + select())",
        "alias(name = \"a\", actual = \":b\")\nalias(name = \"b\", actual = \":a\")\nfilegroup(name = \"t\", srcs = select({\":a\": []}))",
        "config_setting(name = \"c\", values = {\"define\": \"novalue\"}, flag_values = {1: 2})\nfilegroup(name = \"t\", srcs = select({\":c\": []}))",
        "filegroup(name = \"t\", srcs = select({\"\u{0}\": [], \"//:\": [], \"@@\": [], \"//conditions:default\": select({})}))",
    ] {
        let fixture = format!("//- /pkg/BUILD\n{text}\n");
        let _ = render(&fixture, "//pkg:t", &["--platforms=//nowhere:p", "--cpu"]);
    }
}

/// Bazel 2.1.0 keeps every match that no other match specialises, so a
/// later key that specialises two earlier, unrelated ones wins over both
/// (conformance case: `select({":a": .., ":b": .., ":ab": ..})` with
/// `--define=a=1 --define b=1` takes `:ab` in any key order), and an
/// ambiguity lists every most-specialised match.
#[test]
fn a_later_key_refining_two_earlier_matches_wins() {
    let fixture = r#"
//- /pkg/BUILD
config_setting(name = "a", define_values = {"a": "1"})
config_setting(name = "b", values = {"define": "b=1"})
config_setting(name = "ab", define_values = {"a": "1", "b": "1"})
config_setting(name = "dbg", values = {"compilation_mode": "dbg"})
filegroup(name = "t", srcs = select({":a": ["a"], ":b": ["b"], ":ab": ["ab"]}))
filegroup(name = "u", srcs = select({":ab": ["ab"], ":a": ["a"], ":b": ["b"]}))
filegroup(name = "v", srcs = select({":a": ["a"], ":b": ["b"], ":dbg": ["dbg"], ":ab": ["ab"]}))
"#;
    for target in ["//pkg:t", "//pkg:u"] {
        let out = render(fixture, target, &["--define=a=1", "--define", "b=1"]);
        assert!(out.contains("srcs: select -> //pkg:ab"), "{out}");
        assert!(out.contains("value: [\"ab\"]"), "{out}");
    }
    let out = render(
        fixture,
        "//pkg:v",
        &["--define=a=1", "--define=b=1", "-c", "dbg"],
    );
    assert!(out.contains("srcs: select AMBIGUOUS"), "{out}");
    assert!(
        out.contains("in //pkg:v:\n    //pkg:dbg\n    //pkg:ab\n    Multiple matches"),
        "{out}"
    );
}

/// String literals are read with Starlark's escapes decoded; anything the
/// reading cannot decode exactly is unknown rather than a guess.
#[test]
fn string_literals_decode_escapes() {
    let text = r#"x(
    name = "t",
    plain = "a:b",
    single = 'q',
    triple = """one
two""",
    raw = r"a\d",
    escaped = "a\tb\"c\\d\n",
    octal_hex = "\101\x42\u0043",
    continued = "ab\
cd",
    invalid = "a\qb",
    bytes = b"abc",
    unclosed = "abc
)
"#;
    let tree = parse_str_with(Grammar::Starlark, text);
    let rope = Rope::from_str(text);
    let calls = rule_calls(&tree, &rope);
    let call = &calls[0];
    let read = |name: &str| call.attr(name).and_then(|v| v.as_str()).map(str::to_string);
    assert_eq!(read("plain").as_deref(), Some("a:b"));
    assert_eq!(read("single").as_deref(), Some("q"));
    assert_eq!(read("triple").as_deref(), Some("one\ntwo"));
    assert_eq!(read("raw").as_deref(), Some("a\\d"));
    assert_eq!(read("escaped").as_deref(), Some("a\tb\"c\\d\n"));
    assert_eq!(read("octal_hex").as_deref(), Some("ABC"));
    assert_eq!(read("continued").as_deref(), Some("abcd"));
    assert_eq!(read("invalid"), None);
    assert_eq!(read("bytes"), None);
    assert_eq!(read("unclosed"), None);
}

/// Statements with syntax errors are read afresh: the same text may be
/// recovered differently in another context.
#[test]
fn rule_calls_reusing_reads_broken_statements_afresh() {
    use crate::select::expr::{rule_calls, rule_calls_reusing, CallPieces};
    let mut pieces: Option<CallPieces> = None;
    for text in crate::fixture::error_recovery_versions() {
        let rope = ropey::Rope::from_str(&text);
        let tree = crate::syntax::parse_str(&text);
        let (calls, next) = rule_calls_reusing(&tree, &rope, pieces.as_ref());
        assert_eq!(calls, rule_calls(&tree, &rope), "for:\n{text}");
        pieces = Some(next);
    }
}

/// Reading again only the statements that changed gives what a fresh
/// reading gives, through edits that move, change, break and drop calls.
#[test]
fn rule_calls_reusing_equals_a_fresh_reading() {
    use crate::select::expr::{rule_calls, rule_calls_reusing, CallPieces};
    let versions = [
        "config_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\ncc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\n",
        "# moved\nconfig_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\ncc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\n",
        "# moved\nconfig_setting(name = \"opt\", values = {\"compilation_mode\": \"dbg\"})\ncc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\n",
        "# moved\nconfig_setting(name = \"opt\", values = {\"compilation_mode\": \"dbg\"\ncc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\n",
        "cc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\ncc_library(name = \"a\", srcs = select({\":opt\": [\"o.cc\"], \"//conditions:default\": []}))\n",
        "",
    ];
    let mut pieces: Option<CallPieces> = None;
    for text in versions {
        let rope = ropey::Rope::from_str(text);
        let tree = crate::syntax::parse_str(text);
        let (calls, next) = rule_calls_reusing(&tree, &rope, pieces.as_ref());
        assert_eq!(calls, rule_calls(&tree, &rope), "for:\n{text}");
        pieces = Some(next);
    }
}
