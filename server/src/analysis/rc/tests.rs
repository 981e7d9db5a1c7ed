//! Fixture tests for the rc features: a multi-file fixture (`//- /path`)
//! makes the workspace `/ws`, whose `.bazelrc` is the root of the chain; a
//! `$0` in one file marks the cursor, and that file is the one asked about.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use expect_test::{expect, Expect};

use super::completion::complete;
use super::configs::list_configs;
use super::diagnostics::rc_diagnostics;
use super::hover::hover;
use super::navigation::{definition, references, rename};
use super::symbols::rc_symbols;
use super::RcContext;
use crate::fixture::{cursor, files, render_diagnostics};
use crate::flags::{embedded, FlagDb};
use crate::rc::chain::{Origin, RcRoot, ReadError};
use crate::rc::RcChain;

struct Fixture {
    chain: RcChain,
    file: usize,
    offset: usize,
}

fn db(version: &str) -> &'static FlagDb {
    embedded(version).expect("embedded database")
}

fn load(fixture: &str) -> Fixture {
    load_for(fixture, None)
}

fn load_for(fixture: &str, version: Option<[u32; 3]>) -> Fixture {
    let mut map: HashMap<PathBuf, Arc<str>> = HashMap::new();
    let mut cursor_at = None;
    let parts = if fixture.trim_start().starts_with("//-") {
        files(fixture)
    } else {
        vec![("/.bazelrc".to_string(), fixture.to_string())]
    };
    for (path, text) in parts {
        let path = Path::new("/ws").join(path.trim_start_matches('/'));
        let text = if text.contains("$0") {
            let (text, offset) = cursor(&text);
            cursor_at = Some((path.clone(), offset));
            text
        } else {
            text
        };
        map.insert(path, Arc::from(text.as_str()));
    }
    let reader = move |p: &Path| map.get(p).cloned().ok_or(ReadError::NotFound);
    let chain = RcChain::load_for(
        Some(Path::new("/ws")),
        &[RcRoot {
            path: PathBuf::from("/ws/.bazelrc"),
            origin: Origin::Workspace,
        }],
        &reader,
        version,
    );
    let (file, offset) = match cursor_at {
        Some((path, offset)) => (
            chain.file_by_path(&path).expect("cursor file in chain"),
            offset,
        ),
        None => (0, 0),
    };
    Fixture {
        chain,
        file,
        offset,
    }
}

fn ctx<'a>(f: &'a Fixture, version: &'a str) -> RcContext<'a> {
    RcContext {
        chain: &f.chain,
        db: db(version),
        exact: true,
        version: Some(version),
        file: f.file,
    }
}

fn check_diagnostics(fixture: &str, expect: Expect) {
    check_diagnostics_with(fixture, "7.1.0", expect);
}

fn check_diagnostics_with(fixture: &str, version: &str, expect: Expect) {
    let f = load(fixture);
    let ctx = ctx(&f, version);
    let diags = rc_diagnostics(&ctx);
    expect.assert_eq(&render_diagnostics(ctx.text(), &diags));
}

fn check_clean(fixture: &str) {
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    let diags = rc_diagnostics(&ctx);
    assert!(
        diags.is_empty(),
        "{}",
        render_diagnostics(ctx.text(), &diags)
    );
}

#[test]
fn clean_file_has_no_diagnostics() {
    check_clean(
        r#"
# Comments, quoting, continuations and every section kind.
common --announce_rc
startup --host_jvm_args=-Xmx2g
build --copt="-DFOO=a b" -c opt --define x=1 \
      --jobs=8 --keep_going --nokeep_going
build:cuda --define=using_cuda=true --config=opt
build:opt --compilation_mode=opt
test --test_output=errors --config=cuda
coverage --combined_report=lcov
query --output=label
build --//my:setting=1 --@repo//x:flag
try-import %workspace%/user.bazelrc
"#,
    );
}

#[test]
fn unknown_commands_flags_and_values() {
    check_diagnostics(
        r#"
biuld --jobs=3
build --jbos=3 --compilation_mode=fast --keep_going=maybe --universe_scope=//x
query --compilation_mode=opt
build --jobs
"#,
        expect![[r#"

            biuld --jobs=3
            ^^^^^ error[rc-unknown-command]: `biuld` is not a Bazel command (Bazel 7.1.0); Bazel ignores this line; did you mean `build`?
            build --jbos=3 --compilation_mode=fast --keep_going=maybe --universe_scope=//x
            #     ^^^^^^^^ error[rc-unknown-flag]: Unknown flag `--jbos` (Bazel 7.1.0); did you mean `--jobs`?
            #                                 ^^^^ error[rc-invalid-value]: `fast` is not a valid value for `--compilation_mode`; expected one of `fastbuild`, `dbg`, `opt`
            #                                                   ^^^^^ error[rc-invalid-value]: `maybe` is not a valid value for `--keep_going`; expected one of `true`, `false`, `yes`, `no`, `1`, `0`
            #                                                         ^^^^^^^^^^^^^^^^^^^^ error[rc-flag-command]: `--universe_scope` does not apply to `build`; it applies to `aquery`, `cquery`, `fetch`, `query`
            query --compilation_mode=opt
            #     ^^^^^^^^^^^^^^^^^^^^^^ error[rc-flag-command]: `--compilation_mode` does not apply to `query`; it applies to `aquery`, `build`, `canonicalize-flags`, `clean`, `config`, `coverage`, `cquery`, `fetch` and 5 more
            build --jobs
            #     ^^^^^^ error[rc-missing-value]: `--jobs` needs a value: write `--jobs=VALUE`
        "#]],
    );
}

#[test]
fn configs_imports_and_cycles() {
    check_diagnostics(
        r#"
//- /.bazelrc
import %workspace%/missing.bazelrc
try-import %workspace%/optional.bazelrc
import %workspace%/a.bazelrc
build --config=nope --config=loop_a
build:loop_a --config=loop_b
build:loop_b --config=loop_a
build:two --config loop_a
startup:x --batch
import a b
//- /a.bazelrc
import %workspace%/.bazelrc
"#,
        expect![[r#"
            import %workspace%/missing.bazelrc
            #      ^^^^^^^^^^^^^^^^^^^^^^^^^^^ error[rc-missing-import]: rc file `/ws/missing.bazelrc` does not exist
            try-import %workspace%/optional.bazelrc
            import %workspace%/a.bazelrc
            build --config=nope --config=loop_a
            #              ^^^^ error[rc-undefined-config]: Config value 'nope' is not defined in any .rc file
            build:loop_a --config=loop_b
            #                     ^^^^^^ error[rc-config-cycle]: Config expansion has a cycle: loop_a -> loop_b -> loop_a
            build:loop_b --config=loop_a
            #                     ^^^^^^ error[rc-config-cycle]: Config expansion has a cycle: loop_b -> loop_a -> loop_b
            build:two --config loop_a
            #         ^^^^^^^^ error[rc-config-syntax]: Inside a config definition Bazel only accepts `--config=loop_a` in one word
            startup:x --batch
            ^^^^^^^^^ warning[rc-startup-config]: Bazel ignores `startup:NAME` sections: --config cannot select startup options
            import a b
            ^^^^^^^^^^ error[rc-invalid-import]: `import` takes exactly one file name; Bazel rejects the whole rc file
        "#]],
    );
}

#[test]
fn import_cycle_is_reported_where_it_closes() {
    check_diagnostics(
        r#"
//- /.bazelrc
import %workspace%/a.bazelrc
//- /a.bazelrc
import %workspace%/.bazelrc$0
"#,
        expect![[r#"
            import %workspace%/.bazelrc
            #      ^^^^^^^^^^^^^^^^^^^^ error[rc-import-cycle]: Import loop detected: .bazelrc -> a.bazelrc -> .bazelrc
        "#]],
    );
}

#[test]
fn database_misses_are_hints_for_other_versions() {
    let f = load("build --experimental_brand_new_flag\nvendor --foo\n");
    let mut ctx = ctx(&f, "7.1.0");
    ctx.exact = false;
    ctx.version = Some("9.0.0");
    let diags = rc_diagnostics(&ctx);
    assert!(!diags.is_empty());
    assert!(
        diags
            .iter()
            .all(|d| d.severity == crate::analysis::Severity::Hint),
        "{diags:?}"
    );
}

#[test]
fn common_options_follow_the_version() {
    // Bazel 7 skips `common` options a command lacks; 2.1.0 rejects them.
    check_clean("common --test_output=errors --jobs=2 --universe_scope=//x\n");
    check_diagnostics_with(
        "common --test_output=errors\n",
        "2.1.0",
        expect![[r#"
            common --test_output=errors
            #      ^^^^^^^^^^^^^^^^^^^^ warning[rc-flag-command]: `--test_output` is not supported by every command; Bazel before 7.0 rejects it for the others (it applies to `aquery`, `build`, `clean`, `config`, `coverage`, `cquery`, `info`, `mobile-install` and 3 more)
        "#]],
    );
}

#[test]
fn deprecated_flags_warn() {
    // `watchfs` is also a deprecated startup option; the build flag is not.
    check_diagnostics(
        "build --force_python=PY3 --watchfs\n",
        expect![[r#"
            build --force_python=PY3 --watchfs
            #     ^^^^^^^^^^^^^^^^^^ warning[rc-deprecated-flag]: `--force_python` is deprecated: No-op, will be removed soon.
        "#]],
    );
}

fn labels(fixture: &str) -> Vec<String> {
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    complete(&ctx, f.offset)
        .into_iter()
        .map(|i| i.label)
        .collect()
}

#[test]
fn completes_commands_at_line_start() {
    let labels = labels("bu$0\n");
    assert!(labels.contains(&"build".to_string()), "{labels:?}");
    assert!(labels.contains(&"try-import".to_string()));
    assert!(labels.contains(&"common".to_string()));
    let labels = super::tests::labels("$0");
    assert!(labels.contains(&"test".to_string()));
}

#[test]
fn completes_config_names() {
    let fixture = r#"
//- /.bazelrc
build:cuda --define=a=1
import %workspace%/more.bazelrc
test --config=$0
//- /more.bazelrc
build:asan --copt=-fsanitize=address
test:ci --test_output=errors
"#;
    assert_eq!(labels(fixture), vec!["cuda", "asan", "ci"]);
    // The comment above a config's first section documents it.
    let f = load("# Address sanitizer.\nbuild:asan --copt=-fsanitize=address\nbuild --config=$0\n");
    let items = complete(&ctx(&f, "7.1.0"), f.offset);
    assert_eq!(
        items[0].documentation.as_deref(),
        Some("Address sanitizer.\n\nbuild:asan (.bazelrc:2)")
    );
    assert_eq!(labels("build:cuda --x\nbuild:$0"), vec!["cuda"]);
    assert_eq!(labels("build:cuda --x\nbuild --config $0"), vec!["cuda"]);
}

#[test]
fn completes_flags_for_the_command() {
    let labels = labels("build --keep_go$0");
    assert!(labels.contains(&"--keep_going".to_string()));
    assert!(labels.contains(&"--nokeep_going".to_string()));
    assert!(!labels.contains(&"--universe_scope".to_string()));
    let labels = super::tests::labels("test --test_out$0");
    assert!(labels.contains(&"--test_output".to_string()));
    // Before a letter is typed, a capped list (the client asks again).
    let labels = super::tests::labels("build -c opt $0");
    assert_eq!(labels.len(), super::completion::MAX_FLAG_ITEMS);
    let labels = super::tests::labels("build -c opt --jo$0");
    assert_eq!(
        labels.first().map(String::as_str),
        Some("--jobs"),
        "{labels:?}"
    );
    // Prefix matches come first, experimental ones included.
    let labels = super::tests::labels("build --experimental_rem$0");
    assert!(labels[0].starts_with("--experimental_rem"), "{labels:?}");
    // Nothing in comments.
    assert!(super::tests::labels("build --a # --$0").is_empty());
}

#[test]
fn completes_values() {
    assert_eq!(
        labels("build --compilation_mode=$0"),
        vec!["fastbuild", "dbg", "opt"]
    );
    assert_eq!(labels("build -c $0"), vec!["fastbuild", "dbg", "opt"]);
    assert_eq!(
        labels("build --keep_going=$0"),
        vec!["true", "false", "yes", "no", "1", "0"]
    );
}

#[test]
fn completion_replaces_the_typed_word() {
    let f = load("build --config=cu$0\nbuild:cuda --x\n");
    let ctx = ctx(&f, "7.1.0");
    let items = complete(&ctx, f.offset);
    let text = ctx.text();
    assert_eq!(&text[items[0].replace.start..items[0].replace.end], "cu");
}

fn render_locations(f: &Fixture, locations: &[super::FileRange]) -> String {
    locations
        .iter()
        .map(|l| {
            let file = &f.chain.files[l.file];
            format!(
                "{} {:?}",
                f.chain.location(l.file, l.range.start),
                &file.text[l.range.start..l.range.end]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn goes_to_every_section_of_a_config() {
    let fixture = r#"
//- /.bazelrc
build:cuda --define=a=1
import %workspace%/more.bazelrc
build --config=cu$0da
//- /more.bazelrc
test:cuda --test_output=errors
common:cuda --announce_rc
"#;
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    expect![[r#"
        .bazelrc:1 "cuda"
        more.bazelrc:1 "cuda"
        more.bazelrc:2 "cuda"
    "#]]
    .assert_eq(&(render_locations(&f, &definition(&ctx, f.offset)) + "\n"));
}

#[test]
fn import_path_goes_to_the_file() {
    let fixture = r#"
//- /.bazelrc
import %workspace%/tools/ci.ba$0zelrc
//- /tools/ci.bazelrc
build --jobs=1
"#;
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    let defs = definition(&ctx, f.offset);
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].path, Path::new("/ws/tools/ci.bazelrc"));
}

#[test]
fn finds_references_and_renames_across_files() {
    let fixture = r#"
//- /.bazelrc
build:cu$0da --define=a=1
import %workspace%/more.bazelrc
build --config=cuda
test --config cuda --config="cuda"
//- /more.bazelrc
test:cuda --config=cuda_base
build:cuda_base --jobs=1
common --config=cuda
"#;
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    expect![[r#"
        .bazelrc:3 "cuda"
        .bazelrc:4 "cuda"
        .bazelrc:4 "--config=\"cuda\""
        more.bazelrc:3 "cuda"
    "#]]
    .assert_eq(&(render_locations(&f, &references(&ctx, f.offset, false)) + "\n"));
    assert_eq!(references(&ctx, f.offset, true).len(), 6);

    let edits = rename(&ctx, f.offset, "gpu").expect("rename");
    let rendered: Vec<String> = edits
        .iter()
        .map(|e| {
            format!(
                "{} -> {}",
                f.chain.location(e.at.file, e.at.range.start),
                e.new_text
            )
        })
        .collect();
    assert_eq!(
        rendered,
        vec![
            ".bazelrc:1 -> gpu",
            ".bazelrc:3 -> gpu",
            ".bazelrc:4 -> gpu",
            ".bazelrc:4 -> --config=gpu",
            "more.bazelrc:1 -> gpu",
            "more.bazelrc:3 -> gpu",
        ]
    );
    assert!(rename(&ctx, f.offset, "has space").is_err());
    assert!(rename(&ctx, f.offset, "cuda_base").is_err());
}

#[test]
fn hover_explains_a_config_flag_by_flag() {
    let fixture = r#"
build:cuda --define=using_cuda=true --config=cuda_base
common:cuda --announce_rc
build:cuda_base -c opt
build --config=cu$0da
"#;
    let f = load(fixture);
    let ctx = ctx(&f, "7.1.0");
    let h = hover(&ctx, f.offset).expect("hover");
    expect![[r#"
        **`--config=cuda`** for `bazel build` expands to:

        - `--announce_rc` — .bazelrc:3
        - `--define=using_cuda=true` — .bazelrc:2
        - `--config=cuda_base` — .bazelrc:2
          - `--compilation_mode=opt` — .bazelrc:4 (via --config=cuda_base)

        Defined in: `build:cuda` at .bazelrc:2, `common:cuda` at .bazelrc:3"#]]
    .assert_eq(&h.markdown);
}

#[test]
fn hover_on_flags_and_commands() {
    let f = load("build -c opt --keep_go$0ing\n");
    let ctx = ctx(&f, "7.1.0");
    let h = hover(&ctx, f.offset).expect("hover");
    assert!(
        h.markdown.starts_with("**`--keep_going`**: boolean"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("Bazel 7.1.0 flag database"));

    let f = load("cover$0age --x\n");
    let ctx = super::tests::ctx(&f, "7.1.0");
    let h = hover(&ctx, f.offset).expect("hover");
    assert!(
        h.markdown
            .contains("inherits the options of `build`, then `test`"),
        "{}",
        h.markdown
    );
}

#[test]
fn symbols_group_sections_by_config() {
    let src = "build --jobs=1\nbuild:cuda --x\ntest:cuda --y\nimport %workspace%/a.rc\ntest --z\nbuild --w\n";
    let file = crate::rc::file::parse(src);
    let rendered: Vec<String> = rc_symbols(&file, src)
        .iter()
        .map(|s| {
            format!(
                "{:?} {} [{}]",
                s.kind,
                s.name,
                s.children
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    assert_eq!(
        rendered,
        vec![
            "Command build [build, build]",
            "Config cuda [build:cuda, test:cuda]",
            "Import %workspace%/a.rc []",
            "Command test [test]",
        ]
    );
}

#[test]
fn features_survive_garbage() {
    let garbage = [
        "",
        "\\",
        "\"",
        "build:",
        ":",
        "--config=",
        "build --config=",
        "\u{0}\u{1}\u{7f}",
        "build '--x",
        "import",
        "try-import \"",
        "build \\\n\\\n",
        "é:é --é=é",
        "build --config x --config",
    ];
    for text in garbage {
        let f = load(text);
        let ctx = ctx(&f, "7.1.0");
        let _ = rc_diagnostics(&ctx);
        for offset in 0..=text.len() {
            if !text.is_char_boundary(offset) {
                continue;
            }
            let _ = complete(&ctx, offset);
            let _ = hover(&ctx, offset);
            let _ = definition(&ctx, offset);
            let _ = references(&ctx, offset, true);
            let _ = rename(&ctx, offset, "x");
        }
        let _ = complete(&ctx, text.len() + 10);
    }
}

// What real repositories taught (see BENCHMARKS.md, "Real rc files"): each
// of these was a false alarm on a tree that builds.

#[test]
fn old_flag_names_are_accepted_with_a_warning() {
    check_diagnostics(
        "common --experimental_strict_action_env\nbuild --project_id=x\n",
        expect![[r#"
            common --experimental_strict_action_env
            #      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning[rc-deprecated-flag]: `--experimental_strict_action_env` is the old name of `--incompatible_strict_action_env`; Bazel warns about it and may drop it
            build --project_id=x
            #     ^^^^^^^^^^^^^^ warning[rc-deprecated-flag]: `--project_id` is the old name of `--bes_instance_name`; Bazel warns about it and may drop it
        "#]],
    );
}

#[test]
fn flag_aliases_are_flags() {
    check_clean(
        "build --flag_alias=drivers=//build:drivers --flag_alias tracing=//build:tracing\nbuild:wasm --drivers=local-sync --notracing --tracing\n",
    );
}

#[test]
fn a_separator_in_a_nested_config_makes_later_words_targets() {
    check_clean(
        "build:filters --build_tag_filters=-gpu -- //foo/...\nbuild:suite --config=filters\nbuild:suite -//foo/bar:t -//foo/baz/...\n",
    );
}

#[test]
fn flags_of_other_versions_are_only_hints() {
    // `--apple_bitcode` is in 2.1.0's database
    // only: renamed, removed, or still accepted by an old name.
    let f = load("build --apple_bitcode=embedded\n");
    let ctx = ctx(&f, "7.1.0");
    let diags = rc_diagnostics(&ctx);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].severity, crate::analysis::Severity::Hint);
    assert!(
        diags[0].message.contains("Bazel 2.1.0 has it"),
        "{}",
        diags[0].message
    );
}

#[test]
fn startup_options_are_checked() {
    check_diagnostics(
        "startup --host_jvm_args=-Xmx2g --bogus_startup\nbuild --host_jvm_args=-Xmx2g\n",
        expect![[r#"
            startup --host_jvm_args=-Xmx2g --bogus_startup
            #                              ^^^^^^^^^^^^^^^ error[rc-unknown-flag]: Unknown flag `--bogus_startup` (Bazel 7.1.0)
            build --host_jvm_args=-Xmx2g
            #     ^^^^^^^^^^^^^^^^^^^^^^ error[rc-flag-command]: `--host_jvm_args` is a startup option: write it on a `startup` line
        "#]],
    );
}

#[test]
fn try_import_if_bazel_version_follows_the_version() {
    let fixture = r#"
//- /.bazelrc
try-import-if-bazel-version >=9.0.0 %workspace%/b9.bazelrc
build --config=nine
//- /b9.bazelrc
build:nine --jobs=9
"#;
    for (version, defined) in [
        (None, true),
        (Some([9, 0, 1]), true),
        (Some([8, 7, 0]), false),
    ] {
        let f = load_for(fixture, version);
        let ctx = ctx(&f, "7.1.0");
        let undefined = rc_diagnostics(&ctx)
            .iter()
            .any(|d| d.code == crate::analysis::DiagnosticCode::RcUndefinedConfig);
        assert_eq!(undefined, !defined, "{version:?}");
    }
}

#[test]
fn repeated_undefined_configs_stay_fast() {
    // Suggestions are computed once per name, not once per use.
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!("build:c{i} --jobs=1\n"));
    }
    for i in 0..3000 {
        text.push_str(&format!("build --config=missing{}\n", i % 30));
    }
    let f = load(&text);
    let ctx = ctx(&f, "7.1.0");
    let started = std::time::Instant::now();
    let diags = rc_diagnostics(&ctx);
    assert_eq!(diags.len(), 3000);
    // Generous: the point is the absence of a quadratic blow-up.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Renders [`list_configs`]: one line per config with its commands and
/// sections (`file:line`), then its description indented.
fn check_configs(fixture: &str, expect: Expect) {
    let f = load(fixture);
    let mut out = String::new();
    for config in list_configs(&f.chain) {
        let sections: Vec<String> = config
            .sections
            .iter()
            .map(|&(file, range)| {
                let text = &f.chain.files[file].text[range.start..range.end];
                format!("{text}@{}", f.chain.location(file, range.start))
            })
            .collect();
        out.push_str(&format!(
            "{} [{}] {}\n",
            config.name,
            config.commands.join(","),
            sections.join(" ")
        ));
        for line in config.description.iter().flat_map(|d| d.lines()) {
            out.push_str(&format!("    | {line}\n"));
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn configs_with_commands_sections_and_descriptions() {
    check_configs(
        r#"
//- /.bazelrc
build --jobs=4
# Build with CUDA.
#   Needs the toolkit.
build:cuda --define=using_cuda=true
test:cuda --test_tag_filters=gpu

# Not attached: a blank line follows.

build:opt -c opt   # a trailing comment is not a description
#
build:empty_doc
build: --nothing
import %workspace%/ci.bazelrc
build:cuda --copt=-DCUDA
//- /ci.bazelrc
# CI runs.
common:ci --jobs=50
build:opt --strip=always
"#,
        expect![[r#"
            cuda [build,test] build:cuda@.bazelrc:4 test:cuda@.bazelrc:5 build:cuda@.bazelrc:14
                | Build with CUDA.
                |   Needs the toolkit.
            opt [build] build:opt@.bazelrc:9 build:opt@ci.bazelrc:3
            empty_doc [build] build:empty_doc@.bazelrc:11
            ci [common] common:ci@ci.bazelrc:2
                | CI runs.
        "#]],
    );
}

#[test]
fn configs_of_garbage_are_named_and_nothing_panics() {
    check_configs(
        "//- /.bazelrc\n\u{0}\u{feff}#\n:\n::x\n\"build:q\n#\\\nbuild:z\nbuild:\u{e9}t\u{e9}",
        expect![[r#"
            q [build] "build:q@.bazelrc:4
            été [build] build:été@.bazelrc:7
                | build:z
        "#]],
    );
}
