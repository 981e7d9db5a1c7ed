//! Diagnostics for the labels of a BUILD or .bzl file: `label-syntax`,
//! `unresolved-package`, `unresolved-target` on the label strings of a
//! BUILD file (see [`super::mentions`] for which strings are labels), and
//! `unresolved-load`, `load-symbol-not-found` on the `load()`s of any
//! Starlark file. Syntax is only checked for strings that start like a
//! label (`//`, `:`, `@`): a `srcs` entry may be any file name. Resolution
//! never errs on other repositories or open packages (see
//! [`super::resolve`]).

use ropey::Rope;
use tree_sitter::Tree;

use super::label::{parse_label, Repo};
use super::mentions::{outline_mentions, Mention};
use super::outline::{Outline, Statement};
use super::package::{load_decls, LoadDecl};
use super::resolve::{
    resolve, resolve_load, LoadResolution, PackageLookup, RepoVisibility, Resolution, Unresolved,
};
use crate::diagnostic::{Diagnostic, DiagnosticCode, Fix, Related, Severity};
use crate::text::TextRange;

/// The label diagnostics of the BUILD file of `package`; none when a
/// repository rule uses that file as another repository's BUILD file (its
/// labels and loads are that repository's).
pub fn label_diagnostics(
    tree: &Tree,
    rope: &Rope,
    package: &str,
    lookup: &dyn PackageLookup,
) -> Vec<Diagnostic> {
    label_diagnostics_of_outline(&Outline::from_tree(tree, rope), package, lookup)
}

/// [`label_diagnostics`] with the file's outline already read (the
/// analysis host keeps one per version).
pub fn label_diagnostics_of_outline(
    outline: &Outline,
    package: &str,
    lookup: &dyn PackageLookup,
) -> Vec<Diagnostic> {
    label_diagnostics_memoized(outline, &outline_mentions(outline), package, lookup, None)
}

/// What checking one label string found, by what decides it (see
/// [`MentionKey`]), with ranges relative to the literal's start: valid as
/// long as the lookup answers the same (the analysis host keeps one per
/// index revision and package declarations).
pub type LabelMemo = std::sync::Mutex<crate::hash::FastMap<MentionKey, Vec<Diagnostic>>>;

/// At most this many verdicts are kept in a [`LabelMemo`] (and at most four
/// times as many as the file has label strings, or 1,024).
const LABEL_MEMO_LIMIT: usize = 100_000;

/// Everything about a label string that its diagnostics depend on, besides
/// the package and the lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MentionKey {
    text: String,
    strict: bool,
    embedded: bool,
    manual: bool,
    /// The literal's length (quotes included), for the fixes' ranges.
    len: usize,
}

impl MentionKey {
    fn of(mention: &Mention) -> MentionKey {
        MentionKey {
            text: mention.text.clone(),
            strict: mention.strict,
            embedded: mention.embedded,
            manual: mention.manual,
            len: mention.range.len(),
        }
    }
}

/// [`label_diagnostics_of_outline`] with the outline's mentions already
/// read, taking each label's verdict from `memo` when it holds one and
/// recording it otherwise.
pub fn label_diagnostics_memoized(
    outline: &Outline,
    mentions: &[Mention],
    package: &str,
    lookup: &dyn PackageLookup,
    memo: Option<&LabelMemo>,
) -> Vec<Diagnostic> {
    if lookup.builds_another_repository(package) {
        return Vec::new();
    }
    let loads = outline.statements.iter().filter_map(|s| match s {
        Statement::Load(load) => Some(load),
        _ => None,
    });
    let mut out = load_diagnostics_of(loads, package, lookup);
    let Some(memo) = memo else {
        for mention in mentions {
            check_label(
                mention.range,
                &MentionKey::of(mention),
                package,
                lookup,
                &mut out,
            );
        }
        out.sort_by_key(|d| d.range.start);
        return out;
    };
    let mut memo = memo.lock().unwrap_or_else(|p| p.into_inner());
    // Every keystroke in a label string makes a new key: without a bound
    // tied to the file, the memo of a document typed in all day without a
    // save (which starts a new one) would only grow.
    if memo.len() > (mentions.len() * 4).clamp(1_024, LABEL_MEMO_LIMIT) {
        memo.clear();
    }
    for mention in mentions {
        let start = mention.range.start;
        let found = memo
            .entry(MentionKey::of(mention))
            .or_insert_with_key(|key| {
                let mut found = Vec::new();
                check_label(TextRange::new(0, key.len), key, package, lookup, &mut found);
                found
            });
        out.extend(found.iter().map(|d| {
            let mut d = d.clone();
            d.shift(start as isize);
            d
        }));
    }
    out.sort_by_key(|d| d.range.start);
    out
}

/// The diagnostics of the `load()`s of a Starlark file in `package`.
pub fn load_diagnostics(
    tree: &Tree,
    rope: &Rope,
    package: &str,
    lookup: &dyn PackageLookup,
) -> Vec<Diagnostic> {
    load_diagnostics_of(load_decls(tree, rope).iter(), package, lookup)
}

/// The diagnostics of the given `load()`s of a file in `package`.
pub fn load_diagnostics_of<'a>(
    loads: impl Iterator<Item = &'a LoadDecl>,
    package: &str,
    lookup: &dyn PackageLookup,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for load in loads {
        let label = match parse_label(&load.module) {
            Ok(label) => label,
            Err(err) => {
                out.push(Diagnostic::error(
                    DiagnosticCode::LabelSyntax,
                    load.module_range,
                    err.message,
                ));
                continue;
            }
        };
        if let Repo::Apparent(name) = &label.repo {
            unknown_repository(name, load.module_range, lookup, &mut out);
        }
        let path = match resolve_load(&label, package, lookup) {
            LoadResolution::File(path) => path,
            LoadResolution::Unknown => continue,
            LoadResolution::Unresolved(message) => {
                out.push(Diagnostic::error(
                    DiagnosticCode::UnresolvedLoad,
                    load.module_range,
                    message,
                ));
                continue;
            }
        };
        let Some(globals) = lookup.bzl_globals(&path) else {
            continue;
        };
        if !globals.complete {
            // A file that does not parse may be half-typed: its names are
            // not known for sure.
            continue;
        }
        for (_, exported, range) in &load.symbols {
            if globals.exports(exported) {
                continue;
            }
            let shown = match (&label.package, label.package.is_none()) {
                (Some(pkg), _) => format!("//{pkg}:{}", label.name),
                (None, _) => format!("//{package}:{}", label.name),
            };
            let message = if exported.starts_with('_') {
                format!("symbol '{exported}' is private and cannot be imported from '{shown}'")
            } else {
                format!("file '{shown}' does not contain symbol '{exported}'")
            };
            let mut d = Diagnostic::error(DiagnosticCode::LoadSymbolNotFound, *range, message);
            let names = globals.exported_names();
            let candidates = crate::suggest::did_you_mean(exported, names.iter().copied(), 3);
            if !candidates.is_empty() {
                d.related.push(Related {
                    range: *range,
                    message: format!("did you mean {}?", candidates.join(", ")),
                });
            }
            out.push(d);
        }
    }
    out
}

/// Checks one mention at `range`: a whole string literal (quotes
/// included), or an `embedded` label inside one (`$(location :x)`).
fn check_label(
    range: TextRange,
    key: &MentionKey,
    package: &str,
    lookup: &dyn PackageLookup,
    out: &mut Vec<Diagnostic>,
) {
    let (text, strict, embedded) = (key.text.as_str(), key.strict, key.embedded);
    let looks_like_label =
        strict && (text.starts_with("//") || text.starts_with(':') || text.starts_with('@'));
    let label = match parse_label(text) {
        Ok(label) => label,
        Err(err) => {
            if looks_like_label {
                out.push(Diagnostic::error(
                    DiagnosticCode::LabelSyntax,
                    range,
                    err.message,
                ));
            }
            return;
        }
    };
    if let Repo::Apparent(name) = &label.repo {
        if strict || text.contains("//") {
            unknown_repository(name, range, lookup, out);
        }
    }
    match resolve(&label, package, lookup) {
        Resolution::Unresolved(Unresolved::Package { message }) => {
            out.push(Diagnostic::error(
                DiagnosticCode::UnresolvedPackage,
                range,
                message,
            ));
        }
        Resolution::Unresolved(Unresolved::Target {
            message,
            candidates,
            input_file,
        }) => {
            let mut d = match (input_file, key.manual) {
                (false, _) => Diagnostic::error(DiagnosticCode::UnresolvedTarget, range, message),
                (true, false) => Diagnostic::error(DiagnosticCode::MissingInputFile, range, message),
                (true, true) => Diagnostic::new(
                    Severity::Warning,
                    DiagnosticCode::MissingInputFile,
                    range,
                    format!("{message} (the target is tagged manual: `bazel build //...` skips it, building it fails)"),
                ),
            };
            if !candidates.is_empty() {
                d.related.push(Related {
                    range,
                    message: format!("did you mean {}?", candidates.join(", ")),
                });
            }
            let inner = if embedded {
                range
            } else {
                TextRange::new(
                    range.start + 1,
                    range.end.saturating_sub(1).max(range.start + 1),
                )
            };
            d.fixes = candidates
                .iter()
                .map(|candidate| Fix {
                    range: inner,
                    new_text: respell(text, candidate),
                })
                .collect();
            out.push(d);
        }
        _ => {}
    }
}

/// An `unknown-repository` warning when `@name` is declared nowhere.
fn unknown_repository(
    name: &str,
    range: TextRange,
    lookup: &dyn PackageLookup,
    out: &mut Vec<Diagnostic>,
) {
    if lookup.repo_visibility(name) == RepoVisibility::Unknown {
        out.push(Diagnostic::new(
            Severity::Warning,
            DiagnosticCode::UnknownRepository,
            range,
            format!("No repository visible as '@{name}' from main repository"),
        ));
    }
}

/// `label` with its target name replaced by `candidate`, in the same form
/// (`:x`, `x`, `//p:x`, `//p`); a candidate that is a label already
/// (`//dir:rest`) is taken whole.
fn respell(label: &str, candidate: &str) -> String {
    if candidate.starts_with("//") || candidate.starts_with('@') {
        return candidate.to_string();
    }
    if let Some((prefix, _)) = label.rsplit_once(':') {
        return format!("{prefix}:{candidate}");
    }
    if label.starts_with("//") || label.starts_with('@') {
        return format!("{label}:{candidate}");
    }
    candidate.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::render_diagnostics;
    use crate::syntax::parse_str;
    use crate::workspace::testing::Memory;

    fn check(build: &str) -> String {
        let lib = "cc_library(name = \"lib\")\nconfig_setting(name = \"linux\", values = {\"cpu\": \"k8\"})\n";
        let lookup = Memory::new(
            &[("lib", lib), ("app", build), ("tools", "")],
            &["app/main.cc"],
        )
        .with_bzl(
            "tools/defs.bzl",
            "def my_test(name):\n    pass\n\n_hidden = 1\nVERSION = \"1\"\n",
        )
        .with_bzl("tools/broken.bzl", "def half(:\n")
        .with_repos(&["ext"]);
        let tree = parse_str(build);
        let diags = label_diagnostics(&tree, &Rope::from_str(build), "app", &lookup);
        render_diagnostics(build, &diags)
    }

    /// A label memo changes nothing but the time taken, and a file typed
    /// in without end (a new label string per keystroke) keeps it bounded.
    #[test]
    fn the_label_memo_agrees_and_stays_bounded() {
        let lookup = Memory::new(&[("lib", "cc_library(name = \"lib\")\n"), ("app", "")], &[]);
        let memo = LabelMemo::default();
        for i in 0..3_000 {
            let build = format!("cc_library(name = \"a\", deps = [\"//lib\", \"//lib:l{i}\"])\n");
            let tree = parse_str(&build);
            let outline = Outline::from_tree(&tree, &Rope::from_str(&build));
            let mentions = outline_mentions(&outline);
            let memoized =
                label_diagnostics_memoized(&outline, &mentions, "app", &lookup, Some(&memo));
            if i % 500 == 0 {
                let plain = label_diagnostics_memoized(&outline, &mentions, "app", &lookup, None);
                assert_eq!(memoized, plain);
                assert_eq!(memoized.len(), 1);
            }
            assert!(memo.lock().expect("memo").len() <= 1_025);
        }
    }

    #[test]
    fn flags_what_bazel_would_reject() {
        expect_test::expect![[r#"

            load("//tools:defs.bzl", "my_test", "my_tset", "_hidden", v = "VERSION")
            #                                   ^^^^^^^^^ error[load-symbol-not-found]: file '//tools:defs.bzl' does not contain symbol 'my_tset'
            #                                              ^^^^^^^^^ error[load-symbol-not-found]: symbol '_hidden' is private and cannot be imported from '//tools:defs.bzl'
            load("//tools:broken.bzl", "anything")
            load("//tools:nope.bzl", "x")
            #    ^^^^^^^^^^^^^^^^^^ error[unresolved-load]: cannot load '//tools:nope.bzl': no such file
            load("//nope:defs.bzl", "x")
            #    ^^^^^^^^^^^^^^^^^ error[unresolved-load]: Unable to find package for //nope:defs.bzl: BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope
            load("//tools:defs.txt", "x")
            #    ^^^^^^^^^^^^^^^^^^ error[unresolved-load]: The label must reference a file with extension '.bzl': '//tools:defs.txt'
            load("@ext//:defs.bzl", "x")
            load("@unknown//:defs.bzl", "x")
            #    ^^^^^^^^^^^^^^^^^^^^^ warning[unknown-repository]: No repository visible as '@unknown' from main repository
            load("//tools//x.bzl", "x")
            #    ^^^^^^^^^^^^^^^^ error[label-syntax]: invalid package name 'tools//x.bzl': package names may not contain '//' path separators (perhaps you meant ":x.bzl"?)
            cc_binary(
                name = "app",
                srcs = ["main.cc", "missing.cc"],
            #                      ^^^^^^^^^^^^ error[missing-input-file]: missing input file '//app:missing.cc'
                deps = ["//lib", "//lib:libb", "//nope", "//lib//x", "@ext//a:b", "@nope//a:b"] + select({
            #                    ^^^^^^^^^^^^ error[unresolved-target]: no such target '//lib:libb': target 'libb' not declared in package 'lib'
            #                                  ^^^^^^^^ error[unresolved-package]: no such package 'nope': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope
            #                                            ^^^^^^^^^^ error[label-syntax]: invalid package name 'lib//x': package names may not contain '//' path separators (perhaps you meant ":x"?)
            #                                                                     ^^^^^^^^^^^^ warning[unknown-repository]: No repository visible as '@nope' from main repository
                    "//lib:linux": [":app"],
                    "//lib:linuz": [],
            #       ^^^^^^^^^^^^^ error[unresolved-target]: no such target '//lib:linuz': target 'linuz' not declared in package 'lib'
                    "//conditions:default": [],
                }),
                visibility = ["//visibility:public"],
                copts = ["//not-a-label-attribute"],
            )
        "#]]
        .assert_eq(&check(
            r#"
load("//tools:defs.bzl", "my_test", "my_tset", "_hidden", v = "VERSION")
load("//tools:broken.bzl", "anything")
load("//tools:nope.bzl", "x")
load("//nope:defs.bzl", "x")
load("//tools:defs.txt", "x")
load("@ext//:defs.bzl", "x")
load("@unknown//:defs.bzl", "x")
load("//tools//x.bzl", "x")
cc_binary(
    name = "app",
    srcs = ["main.cc", "missing.cc"],
    deps = ["//lib", "//lib:libb", "//nope", "//lib//x", "@ext//a:b", "@nope//a:b"] + select({
        "//lib:linux": [":app"],
        "//lib:linuz": [],
        "//conditions:default": [],
    }),
    visibility = ["//visibility:public"],
    copts = ["//not-a-label-attribute"],
)
"#,
        ));
    }

    #[test]
    fn near_misses_in_open_packages_are_typos() {
        let open = r#"load("@envoy//bazel:defs.bzl", "envoy_cc_library", "envoy_package")
envoy_package()
envoy_cc_library(name = "sink_impl_lib", srcs = ["sink.cc"])
cc_library(name = "core_util")
cc_test(name = "test_2")
genrule(name = "bundle_gen", outs = ["bundle.cjs"], cmd = "")
filegroup(name = "node_modules/typescript")
cc_library(name = "any")
filegroup(name = "f", srcs = [":core_utl", ":sink_impl_lbi", ":other_thing", "sinc.cc", ":test_3", ":cor", "sink_impl_lib_test", ":bundle_cjs", ":ab"])
"#;
        let app = r#"filegroup(name = "a", srcs = ["//open:core_utl", "//open:whatever_else", "//open:sub/dta.txt", "//open:node_modules/typscript", "//open:node_modules/other", "//open:ay", "//open:y"])
"#;
        let lookup = Memory::new(
            &[("open", open), ("app", app)],
            &["open/sink.cc", "open/sub/data.txt"],
        );
        let render = |package: &str, text: &str| {
            let tree = parse_str(text);
            let diags = label_diagnostics(&tree, &Rope::from_str(text), package, &lookup);
            let mut out = render_diagnostics(text, &diags);
            for d in &diags {
                for r in &d.related {
                    out.push_str(&format!("related: {}\n", r.message));
                }
            }
            out
        };
        expect_test::expect![[r#"
            load("@envoy//bazel:defs.bzl", "envoy_cc_library", "envoy_package")
            envoy_package()
            envoy_cc_library(name = "sink_impl_lib", srcs = ["sink.cc"])
            cc_library(name = "core_util")
            cc_test(name = "test_2")
            genrule(name = "bundle_gen", outs = ["bundle.cjs"], cmd = "")
            filegroup(name = "node_modules/typescript")
            cc_library(name = "any")
            filegroup(name = "f", srcs = [":core_utl", ":sink_impl_lbi", ":other_thing", "sinc.cc", ":test_3", ":cor", "sink_impl_lib_test", ":bundle_cjs", ":ab"])
            #                             ^^^^^^^^^^^ error[missing-input-file]: missing input file '//open:core_utl' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'core_util')
            #                                          ^^^^^^^^^^^^^^^^ error[missing-input-file]: missing input file '//open:sink_impl_lbi' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sink_impl_lib')
            #                                                                            ^^^^^^^^^ error[missing-input-file]: missing input file '//open:sinc.cc' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sink.cc')
            related: did you mean core_util?
            related: did you mean sink_impl_lib?
            related: did you mean sink.cc?
        "#]].assert_eq(&render("open", open));
        expect_test::expect![[r#"
            filegroup(name = "a", srcs = ["//open:core_utl", "//open:whatever_else", "//open:sub/dta.txt", "//open:node_modules/typscript", "//open:node_modules/other", "//open:ay", "//open:y"])
            #                             ^^^^^^^^^^^^^^^^^ error[unresolved-target]: no such target '//open:core_utl': target 'core_utl' not declared in package 'open' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'core_util')
            #                                                                        ^^^^^^^^^^^^^^^^^^^^ error[unresolved-target]: no such target '//open:sub/dta.txt': target 'sub/dta.txt' not declared in package 'open' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'sub/data.txt')
            #                                                                                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error[unresolved-target]: no such target '//open:node_modules/typscript': target 'node_modules/typscript' not declared in package 'open' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'node_modules/typescript')
            #                                                                                                                                                            ^^^^^^^^^^^ error[unresolved-target]: no such target '//open:ay': target 'ay' not declared in package 'open' (the package calls macros bzls cannot follow, but a macro does not make a name one letter away from 'any')
            related: did you mean core_util?
            related: did you mean sub/data.txt?
            related: did you mean node_modules/typescript?
            related: did you mean any?
        "#]].assert_eq(&render("app", app));
    }

    /// A tree that builds names only targets that exist: in an open
    /// package, a name one letter away from one that other labels use is a
    /// typo, unless another package uses it too.
    #[test]
    fn names_other_packages_use_make_near_misses() {
        let api = r#"load("@envoy//bazel:api_build_system.bzl", "api_proto_package")
api_proto_package()
filegroup(name = "protos", srcs = ["base.proto"])
"#;
        let common = r#"cc_library(name = "c", deps = ["//api/client:base_cc_proto", "//api/client:base_test1", "//api/client:shared_lib"])
"#;
        let other = r#"cc_library(name = "o", deps = ["//api/client:shared_lbi", "//api/client:base_cc_proto"])
"#;
        let source = r#"cc_library(name = "s", deps = [
    "//api/client:base_cc_pproto",
    "//api/client:base_cc_proto_extra",
    "//api/client:base_py_proto",
    "//api/client:base_test2",
    "//api/client:shared_lbi",
])
"#;
        let lookup = Memory::new(
            &[
                ("api/client", api),
                ("common", common),
                ("other", other),
                ("source", source),
            ],
            &["api/client/base.proto"],
        );
        let tree = parse_str(source);
        let diags = label_diagnostics(&tree, &Rope::from_str(source), "source", &lookup);
        expect_test::expect![[r#"
            cc_library(name = "s", deps = [
                "//api/client:base_cc_pproto",
            #   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error[unresolved-target]: no such target '//api/client:base_cc_pproto': target 'base_cc_pproto' not declared in package 'api/client' (the package calls macros bzls cannot follow; other BUILD files name its target 'base_cc_proto', one letter away)
                "//api/client:base_cc_proto_extra",
                "//api/client:base_py_proto",
                "//api/client:base_test2",
                "//api/client:shared_lbi",
            ])
        "#]]
        .assert_eq(&render_diagnostics(source, &diags));
        // The fix offers the name the other files use.
        assert_eq!(
            diags[0].related.first().map(|r| r.message.as_str()),
            Some("did you mean base_cc_proto?")
        );
    }

    #[test]
    fn near_misses_take_any_text() {
        let open = "load(\"@x//:d.bzl\", \"m\")\nm()\ncc_library(name = \"ñame_ü\")\n";
        let lookup = Memory::new(&[("o", open)], &["o/sïnk.cc", "o/é/ß.txt"]);
        for label in [
            ":ñame_",
            ":ñame_üü",
            "sïnc.cc",
            "é/ß.tx",
            "é/ßß.txt",
            ":é",
            ":ü",
            "ñ/",
            ":\u{0}",
            ":a b",
            "://",
            ":ñame_ü_",
        ] {
            let text = format!("filegroup(name = \"f\", srcs = [\"{label}\"])\n");
            let tree = parse_str(&text);
            for d in label_diagnostics(&tree, &Rope::from_str(&text), "o", &lookup) {
                assert!(
                    text.get(d.range.start..d.range.end).is_some(),
                    "{label}: {d:?}"
                );
            }
        }
    }

    #[test]
    fn same_package_names_are_missing_input_files() {
        let build = r#"
filegroup(name = "fg", srcs = ["gone.txt", ":fgg", "//app:gone2.txt", "//lib:gone.txt"])
proto_library(name = "p", srcs = ["baz.proto"], tags = ["manual", "no-ide"])
genrule(name = "g", outs = ["o"], cmd = "$(location :nope.txt)", tags = ["manual"])
"#;
        expect_test::expect![[r#"

            filegroup(name = "fg", srcs = ["gone.txt", ":fgg", "//app:gone2.txt", "//lib:gone.txt"])
            #                              ^^^^^^^^^^ error[missing-input-file]: missing input file '//app:gone.txt'
            #                                          ^^^^^^ error[missing-input-file]: missing input file '//app:fgg'
            #                                                  ^^^^^^^^^^^^^^^^^ error[missing-input-file]: missing input file '//app:gone2.txt'
            #                                                                     ^^^^^^^^^^^^^^^^ error[unresolved-target]: no such target '//lib:gone.txt': target 'gone.txt' not declared in package 'lib'
            proto_library(name = "p", srcs = ["baz.proto"], tags = ["manual", "no-ide"])
            #                                 ^^^^^^^^^^^ warning[missing-input-file]: missing input file '//app:baz.proto' (the target is tagged manual: `bazel build //...` skips it, building it fails)
            genrule(name = "g", outs = ["o"], cmd = "$(location :nope.txt)", tags = ["manual"])
            #                                                   ^^^^^^^^^ warning[missing-input-file]: missing input file '//app:nope.txt' (the target is tagged manual: `bazel build //...` skips it, building it fails)
        "#]]
        .assert_eq(&check(build));
    }

    #[test]
    fn labels_in_make_variables_are_checked() {
        let build = r#"
genrule(
    name = "gen",
    srcs = ["//lib"],
    outs = ["out.txt"],
    cmd = "$(location //lib:libb) $(execpath :gen) $$(location :nope) $(SRCS) $(locations //nope) > $@",
    tools = [":tool"],
)
cc_binary(
    name = "tool",
    args = ["--in=$(rootpath :out.txt)", "--x=$(rlocationpath :out.tx)"],
    env = {"X": "$(location //lib)"},
)
"#;
        let rendered = check(build);
        expect_test::expect![[r#"

            genrule(
                name = "gen",
                srcs = ["//lib"],
                outs = ["out.txt"],
                cmd = "$(location //lib:libb) $(execpath :gen) $$(location :nope) $(SRCS) $(locations //nope) > $@",
            #                     ^^^^^^^^^^ error[unresolved-target]: no such target '//lib:libb': target 'libb' not declared in package 'lib'
            #                                                                                         ^^^^^^ error[unresolved-package]: no such package 'nope': BUILD file not found in any of the following directories. Add a BUILD file to a directory to mark it as a package: nope
                tools = [":tool"],
            )
            cc_binary(
                name = "tool",
                args = ["--in=$(rootpath :out.txt)", "--x=$(rlocationpath :out.tx)"],
            #                                                             ^^^^^^^ error[missing-input-file]: missing input file '//app:out.tx'
                env = {"X": "$(location //lib)"},
            )
        "#]]
        .assert_eq(&rendered);
        // The fix replaces the label alone.
        let lookup = Memory::new(
            &[("lib", "cc_library(name = \"lib\")\n"), ("app", build)],
            &[],
        );
        let tree = parse_str(build);
        let diags = label_diagnostics(&tree, &Rope::from_str(build), "app", &lookup);
        let libb = diags
            .iter()
            .find(|d| d.message.contains("libb"))
            .expect("a diagnostic on //lib:libb");
        assert_eq!(&build[libb.range.start..libb.range.end], "//lib:libb");
        assert_eq!(
            libb.fixes
                .first()
                .map(|f| (&build[f.range.start..f.range.end], f.new_text.as_str())),
            Some(("//lib:libb", "//lib:lib"))
        );
    }

    #[test]
    fn make_variable_labels_are_found_as_bazel_expands_them() {
        use crate::workspace::mentions::make_variable_labels;
        assert_eq!(
            make_variable_labels("$(location :a) $(locations //b:c)x $(execpaths  d ) $$(location :e) $$$(rootpath f)"),
            vec![(":a", 11), ("//b:c", 27), ("d", 48), ("f", 81)]
        );
        assert!(make_variable_labels("$(SRCS) $(location) $(location a b) $(location").is_empty());
        assert!(make_variable_labels("$(location //bad//label)").is_empty());
        assert!(
            make_variable_labels("$(location %s) $(location {}) $(location :{name})").is_empty()
        );
    }
}
