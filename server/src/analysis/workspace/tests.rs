//! Fixture tests: a multi-file workspace written to a temporary directory
//! (`//- /path` lines), one file holding the `$0` cursor.

use std::path::{Path, PathBuf};

use ropey::Rope;

use super::completion::completion;
use super::definition::definition;
use super::hover::hover;
use super::references::references;
use super::symbols::workspace_symbols;
use super::{FileContext, FileRange};
use crate::fixture::{files, CURSOR};
use crate::host::index::WorkspaceIndex;
use crate::syntax::parse_str;

struct Workspace {
    root: PathBuf,
    index: WorkspaceIndex,
    /// The file with the cursor: (relative path, text, offset).
    cursor: (String, String, usize),
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn workspace(fixture: &str) -> Workspace {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = std::env::temp_dir().join(format!(
        "bzls-nav-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&root);
    let mut cursor = None;
    for (path, mut text) in files(fixture) {
        let rel = path.trim_start_matches('/').to_string();
        if let Some(at) = text.find(CURSOR) {
            text.replace_range(at..at + CURSOR.len(), "");
            cursor = Some((rel.clone(), text.clone(), at));
        }
        let full = root.join(&rel);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, text).expect("write");
    }
    let index = WorkspaceIndex::new(&root);
    index.build(&|_| {});
    Workspace {
        root,
        index,
        cursor: cursor.expect("a $0 cursor"),
    }
}

impl Workspace {
    fn run<T>(&self, f: impl FnOnce(&FileContext<'_>, usize) -> T) -> T {
        let (rel, text, offset) = &self.cursor;
        let tree = parse_str(text);
        let rope = Rope::from_str(text);
        let path = self.root.join(rel);
        let name = Path::new(rel)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        let is_build = name == "BUILD" || name == "BUILD.bazel";
        let package = self.index.package_of(rel).unwrap_or_default();
        let ctx = FileContext::new(&self.index, &tree, &rope, path, package, is_build);
        f(&ctx, *offset)
    }

    /// `path:"text at range"` for each location.
    fn show(&self, ranges: &[FileRange]) -> Vec<String> {
        ranges
            .iter()
            .map(|r| {
                let rel = r.path.strip_prefix(&self.root).expect("in root");
                let text = std::fs::read_to_string(&r.path).expect("read");
                let (rel_s, cur_text) = (&self.cursor.0, &self.cursor.1);
                let text = if rel == Path::new(rel_s) {
                    cur_text.clone()
                } else {
                    text
                };
                format!("{}:{}", rel.display(), &text[r.range.start..r.range.end])
            })
            .collect()
    }

    fn definition(&self) -> Vec<String> {
        let found = self.run(|ctx, at| definition(ctx, &self.index, at));
        self.show(&found)
    }
}

const BASE: &str = r#"
//- /MODULE.bazel
module(name = "ws")
bazel_dep(name = "rules_cc", version = "0.1")
bazel_dep(name = "abseil-cpp", version = "1", repo_name = "com_google_absl")
//- /lib/BUILD.bazel
load("//tools:defs.bzl", "my_test")
cc_library(name = "lib", srcs = ["lib.cc"])
genrule(name = "gen", outs = ["gen.h"], cmd = "")
config_setting(name = "linux", values = {"cpu": "k8"})
my_test(name = "t")
//- /lib/lib.cc
//- /lib/sub/x.h
//- /lib/deep/a/BUILD
//- /lib/deep/b/BUILD
//- /tools/BUILD
//- /tools/impl.bzl
def my_test(name, size = "small"):
    """Makes a test and its library."""
    native.cc_test(name = name)
//- /tools/defs.bzl
load(":impl.bzl", _my_test = "my_test")
my_test = _my_test
"#;

fn with_cursor(file: &str) -> String {
    format!("{BASE}{file}")
}

#[test]
fn labels_a_macro_may_make_go_to_its_call() {
    let def = |app: &str| {
        workspace(&format!(
            "//- /MODULE.bazel\n\
             //- /protos/BUILD\nload(\"@unfetched//:defs.bzl\", \"my_proto\")\n\
             my_proto(name = \"x_proto\", srcs = [\"x.proto\"])\nmy_proto(name = \"x_proto_lite\")\nmy_proto(name = \"y\")\n\
             //- /app/BUILD\n{app}"
        ))
        .definition()
    };
    // `x_cc_proto` keeps the stem of `x_proto`.
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"//protos:x_cc_proto$0\"])\n"),
        vec!["protos/BUILD:\"x_proto\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"//protos:x_proto_lite_java$0\"])\n"),
        vec!["protos/BUILD:\"x_proto_lite\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"//protos:y_test$0\"])\n"),
        vec!["protos/BUILD:\"y\""]
    );
}

#[test]
fn external_labels_go_to_their_bind() {
    let found = workspace(
        "//- /WORKSPACE\nbind(name = \"zlib\", actual = \"@net_zlib//:zlib\")\n\
         //- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//external:zlib$0\"])\n",
    )
    .definition();
    assert_eq!(found, vec!["WORKSPACE:\"zlib\""]);
    // Made by a macro of a loaded .bzl file.
    let found = workspace(
        "//- /WORKSPACE\nload(\"//tools:deps.bzl\", \"deps\")\ndeps()\n\
         //- /tools/BUILD\n\
         //- /tools/deps.bzl\ndef deps():\n    native.bind(name = \"config\", actual = \"//tools:config\")\n\
         //- /app/BUILD\ncc_binary(name = \"a\", data = [\"//external:config$0\"])\n",
    )
    .definition();
    assert_eq!(found, vec!["tools/deps.bzl:\"config\""]);
}

#[test]
fn labels_go_to_their_targets() {
    let def = |app: &str| workspace(&with_cursor(&format!("//- /app/BUILD\n{app}"))).definition();
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"//lib$0\"])\n"),
        vec!["lib/BUILD.bazel:\"lib\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"//li$0b:lib\"])\n"),
        vec!["lib/BUILD.bazel:\"lib\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", srcs = [\"//lib:gen.h$0\"])\n"),
        vec!["lib/BUILD.bazel:\"gen\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", srcs = [\"//lib:lib.cc$0\"])\n"),
        vec!["lib/lib.cc:"]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = select({\"//lib:li$0nux\": []}))\n"),
        vec!["lib/BUILD.bazel:\"linux\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\":b$0\"])\ncc_library(name = \"b\")\n"),
        vec!["app/BUILD:\"b\""]
    );
    assert_eq!(
        def("package_group(name = \"g\", packages = [\"//tools$0\"])\n"),
        vec!["tools/BUILD:"]
    );
    assert!(def("cc_binary(name = \"a\", deps = [\"//lib:nope$0\"])\n").is_empty());
    assert!(def("cc_binary(name = \"a\", deps = [\"@ext//x$0\"])\n").is_empty());
}

#[test]
fn loads_go_to_files_and_definitions() {
    let def = |app: &str| workspace(&with_cursor(&format!("//- /app/BUILD\n{app}"))).definition();
    assert_eq!(
        def("load(\"//tools:defs$0.bzl\", \"my_test\")\n"),
        vec!["tools/defs.bzl:"]
    );
    // Through the re-export in defs.bzl to impl.bzl.
    assert_eq!(
        def("load(\"//tools:defs.bzl\", \"my_$0test\")\n"),
        vec!["tools/impl.bzl:my_test"]
    );
    assert_eq!(
        def("load(\"//tools:defs.bzl\", \"my_test\")\nmy_te$0st(name = \"x\")\n"),
        vec!["tools/impl.bzl:my_test"]
    );
    assert_eq!(
        def("load(\"//tools:defs.bzl\", t = \"my_test\")\nt$0(name = \"x\")\n"),
        vec!["tools/impl.bzl:my_test"]
    );
}

#[test]
fn locals_and_globals_of_a_bzl_file() {
    let def =
        |bzl: &str| workspace(&with_cursor(&format!("//- /tools/more.bzl\n{bzl}"))).definition();
    assert_eq!(
        def("X = 1\ndef f(a, b = X):\n    c = a\n    return c$0 + b\n"),
        vec!["tools/more.bzl:c"]
    );
    assert_eq!(
        def("X = 1\ndef f(a, b = X$0):\n    pass\n"),
        vec!["tools/more.bzl:X"]
    );
    assert_eq!(
        def("X = 1\ndef f(a):\n    return a$0\n"),
        vec!["tools/more.bzl:a"]
    );
    assert_eq!(
        def("def g():\n    pass\ndef f():\n    g$0()\n"),
        vec!["tools/more.bzl:g"]
    );
}

#[test]
fn references_find_every_mention() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib\", \"//lib:lib\"])\n//- /other/BUILD\nfilegroup(name = \"o\", srcs = [\"//lib:lib$0\"])\n",
    ));
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, true, &[]));
    let mut shown = ws.show(&found);
    shown.sort();
    assert_eq!(
        shown,
        vec![
            "app/BUILD:\"//lib\"",
            "app/BUILD:\"//lib:lib\"",
            "lib/BUILD.bazel:\"lib\"",
            "other/BUILD:\"//lib:lib\"",
        ]
    );
    // From the name string, relative mentions included.
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_library(name = \"b$0\")\ncc_binary(name = \"a\", deps = [\":b\", \"b\", \"//app:b\"])\n",
    ));
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, false, &[]));
    assert_eq!(
        ws.show(&found),
        vec![
            "app/BUILD:\":b\"",
            "app/BUILD:\"b\"",
            "app/BUILD:\"//app:b\""
        ]
    );
}

#[test]
fn references_to_a_target_of_another_repository() {
    let ws = workspace(
        "//- /WORKSPACE\nlocal_repository(name = \"ext\", path = \"third_party/ext\")\n\
         //- /third_party/ext/WORKSPACE\n\
         //- /third_party/ext/lib/BUILD\ncc_library(name = \"util\")\n\
         //- /app/BUILD\ncc_binary(name = \"a\", deps = [\"@ext//lib:util$0\", \"//lib:util\"])\n\
         //- /other/BUILD\nfilegroup(name = \"o\", srcs = [\"@ext//lib:util\", \"@ext//lib\"])\n\
         //- /lib/BUILD\ncc_library(name = \"util\")\n",
    );
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, true, &[]));
    let mut shown = ws.show(&found);
    shown.sort();
    assert_eq!(
        shown,
        vec![
            "app/BUILD:\"@ext//lib:util\"",
            "other/BUILD:\"@ext//lib:util\"",
            "third_party/ext/lib/BUILD:\"util\"",
        ]
    );
}

#[test]
fn native_rule_attributes_are_labels_by_bazels_schema() {
    // Attributes of label type in Bazel 2.1.0 that no convention lists, a
    // dictionary whose values are labels, and text attributes and macro
    // attributes of the same name that are not labels.
    let ws = workspace(&with_cursor(
        r#"//- /app/BUILD
load("//tools:defs.bzl", "my_test")
cc_library(name = "st$0amp", srcs = ["stamp.cc"])
cc_library(name = "a", linkstamp = ":stamp")
java_binary(name = "j", launcher = ":stamp", main_class = "Main")
genquery(name = "q", scope = [":stamp"], expression = ":stamp")
cc_toolchain_suite(name = "s", toolchains = {"stamp": ":stamp"})
sh_test(name = "t", srcs = ["t.sh"], args = [":stamp"])
my_test(name = "m", linkstamp = ":stamp")
//- /app/stamp.cc
//- /app/t.sh
"#,
    ));
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, false, &[]));
    assert_eq!(
        ws.show(&found),
        vec![
            "app/BUILD:\":stamp\"",
            "app/BUILD:\":stamp\"",
            "app/BUILD:\":stamp\"",
            "app/BUILD:\":stamp\"",
        ]
    );
    let lines: Vec<usize> = found
        .iter()
        .map(|r| ws.cursor.1[..r.range.start].lines().count())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);
}

#[test]
fn hovers_say_what_a_label_is() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib$0\"])\n",
    ));
    let h = ws.run(|ctx, at| hover(ctx, &ws.index, at)).expect("hover");
    assert!(
        h.markdown.starts_with("**cc_library** `//lib:lib`"),
        "{}",
        h.markdown
    );
    assert!(
        h.markdown.contains("Declared in `lib/BUILD.bazel:2`"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("srcs = [\"lib.cc\"]"), "{}", h.markdown);
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_t$0est(name = \"x\")\n",
    ));
    let h = ws.run(|ctx, at| hover(ctx, &ws.index, at)).expect("hover");
    assert!(
        h.markdown.contains("def my_test(name, size = \"small\")"),
        "{}",
        h.markdown
    );
    assert!(
        h.markdown.contains("Makes a test and its library."),
        "{}",
        h.markdown
    );
}

fn complete(file: &str) -> Vec<String> {
    let ws = workspace(&with_cursor(file));
    ws.run(|ctx, at| completion(ctx, &ws.index, at))
        .map(|c| c.items.into_iter().map(|i| i.text).collect())
        .unwrap_or_default()
}

#[test]
fn completion_inside_strings() {
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//$0\"])\n"),
        vec!["//app", "//lib", "//lib/", "//tools"]
    );
    // One segment at a time.
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib/$0\"])\n"),
        vec!["//lib/deep/"]
    );
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib/deep/$0\"])\n"),
        vec!["//lib/deep/a", "//lib/deep/b"]
    );
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib:$0\"])\n"),
        vec![
            "//lib:lib",
            "//lib:gen",
            "//lib:gen.h",
            "//lib:linux",
            "//lib:t",
            "//lib:deep/",
            "//lib:lib.cc",
            "//lib:sub/"
        ]
    );
    assert_eq!(
        complete(
            "//- /app/BUILD\ncc_library(name = \"b\")\ncc_binary(name = \"a\", deps = [\":$0\"])\n"
        ),
        vec![":b", ":a"]
    );
    assert_eq!(
        complete("//- /lib/more/BUILD\ncc_library(name = \"b\", srcs = [\"$0\"])\n//- /lib/more/b.cc\n//- /lib/more/inc/b.h\n"),
        vec!["b.cc", "inc/"]
    );
    assert_eq!(
        complete("//- /app/BUILD\nload(\"//tools:$0\")\n"),
        vec!["//tools:defs.bzl", "//tools:impl.bzl"]
    );
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"@$0\"])\n"),
        vec![
            "@bazel_tools",
            "@com_google_absl",
            "@local_config_platform",
            "@rules_cc"
        ]
    );
    assert_eq!(
        complete("//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"@r$0\"])\n"),
        vec!["@rules_cc"]
    );
    assert_eq!(
        complete("//- /app/BUILD\nload(\"//tools:defs.bzl\", \"$0\")\n"),
        vec!["my_test"]
    );
}

#[test]
fn completion_in_a_repository_on_disk() {
    let fixture = |app: &str| {
        format!(
            "//- /WORKSPACE\nlocal_repository(name = \"ext\", path = \"third_party/ext\")\n\
             //- /third_party/ext/WORKSPACE\n\
             //- /third_party/ext/lib/BUILD\ncc_library(name = \"lib\", srcs = [\"lib.cc\"])\ncc_library(name = \"util\")\n\
             //- /third_party/ext/lib/lib.cc\n\
             //- /third_party/ext/lib/inc/x.h\n\
             //- /third_party/ext/lib/deep/BUILD\n\
             //- /third_party/ext/tools/defs.bzl\n\
             //- /app/BUILD\n{app}"
        )
    };
    let complete = |app: &str| -> Vec<String> {
        let ws = workspace(&fixture(app));
        ws.run(|ctx, at| completion(ctx, &ws.index, at))
            .map(|c| c.items.into_iter().map(|i| i.text).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        complete("cc_binary(name = \"a\", deps = [\"@ext//$0\"])\n"),
        vec!["@ext//lib", "@ext//lib/", "@ext//tools/"]
    );
    assert_eq!(
        complete("cc_binary(name = \"a\", deps = [\"@ext//lib/$0\"])\n"),
        vec!["@ext//lib/deep", "@ext//lib/deep/", "@ext//lib/inc/"]
    );
    assert_eq!(
        complete("cc_binary(name = \"a\", deps = [\"@ext//lib:$0\"])\n"),
        vec![
            "@ext//lib:lib",
            "@ext//lib:util",
            "@ext//lib:inc/",
            "@ext//lib:lib.cc"
        ]
    );
    assert_eq!(
        complete("cc_binary(name = \"a\", deps = [\"@ext//lib:u$0\"])\n"),
        vec!["@ext//lib:util"]
    );
    // A repository that is not on disk offers nothing, and no path leaves
    // the repository or the package.
    assert!(complete("cc_binary(name = \"a\", deps = [\"@far//$0\"])\n").is_empty());
    for escape in [
        "@ext//../$0",
        "@ext//lib/../../$0",
        "@ext//lib:../$0",
        "//app:../$0",
        "../$0",
    ] {
        assert!(
            complete(&format!("cc_binary(name = \"a\", srcs = [\"{escape}\"])\n")).is_empty(),
            "{escape}"
        );
    }
}

#[test]
fn workspace_symbols_find_targets() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"lib_user$0\")\n",
    ));
    let found = workspace_symbols(&ws.index, "lib");
    let labels: Vec<&str> = found.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, vec!["//lib:lib", "//app:lib_user"]);
    assert!(workspace_symbols(&ws.index, "lib:")
        .iter()
        .all(|s| s.label.starts_with("//lib:")));
}

#[test]
fn labels_into_repositories_on_disk_go_there() {
    const EXT: &str = r#"
//- /MODULE.bazel
module(name = "ws")
bazel_dep(name = "ext", version = "1")
local_path_override(module_name = "ext", path = "third_party/ext")
//- /third_party/ext/MODULE.bazel
module(name = "ext")
//- /third_party/ext/BUILD.bazel
cc_library(name = "ext")
//- /third_party/ext/lib/BUILD
cc_library(name = "util", srcs = ["util.cc"])
genrule(name = "gen", outs = ["gen.h"], cmd = "")
//- /third_party/ext/lib/util.cc
//- /third_party/ext/lib/defs.bzl
def m():
    pass
"#;
    let def = |app: &str| workspace(&format!("{EXT}//- /app/BUILD\n{app}")).definition();
    let hover_of = |app: &str| {
        let ws = workspace(&format!("{EXT}//- /app/BUILD\n{app}"));
        ws.run(|ctx, at| hover(ctx, &ws.index, at))
            .map(|h| h.markdown)
            .unwrap_or_default()
    };
    let h = hover_of("cc_binary(name = \"a\", deps = [\"@ext//lib:u$0til\"])\n");
    assert!(
        h.starts_with("**cc_library** `@ext//lib:util`\n\nDeclared in `third_party/ext/lib/BUILD`"),
        "{h}"
    );
    assert!(h.contains("srcs = [\"util.cc\"]"), "{h}");
    let h = hover_of("cc_binary(name = \"a\", deps = [\"@other//x$0\"])\n");
    assert_eq!(
        h,
        "`@other//x`: a label in repository `@other`, which is not on disk"
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"@ext//lib:u$0til\"])\n"),
        vec!["third_party/ext/lib/BUILD:\"util\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", srcs = [\"@ext//lib:gen.h$0\"])\n"),
        vec!["third_party/ext/lib/BUILD:\"gen\""]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", srcs = [\"@ext//lib:util.cc$0\"])\n"),
        vec!["third_party/ext/lib/util.cc:"]
    );
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"@e$0xt\"])\n"),
        vec!["third_party/ext/BUILD.bazel:\"ext\""]
    );
    assert_eq!(
        def("load(\"@ext//lib:de$0fs.bzl\", \"m\")\n"),
        vec!["third_party/ext/lib/defs.bzl:"]
    );
    // A target a macro makes there: its package's BUILD file.
    assert_eq!(
        def("cc_binary(name = \"a\", deps = [\"@ext//lib:made_by_$0macro\"])\n"),
        vec!["third_party/ext/lib/BUILD:"]
    );
    // Not on disk, or no such package there: nowhere.
    assert!(def("cc_binary(name = \"a\", deps = [\"@other//x$0\"])\n").is_empty());
    assert!(def("cc_binary(name = \"a\", deps = [\"@ext//nope:x$0\"])\n").is_empty());
}

#[test]
fn completion_stops_at_its_limit_and_says_so() {
    use crate::analysis::workspace::completion::MAX_ITEMS;
    let mut build = String::from("//- /many/BUILD\n");
    for i in 0..MAX_ITEMS + 50 {
        build.push_str(&format!("cc_library(name = \"t{i}\")\n"));
    }
    build.push_str("cc_binary(name = \"a\", deps = [\":$0\"])\n//- /many/x.cc\n");
    let ws = workspace(&with_cursor(&build));
    let found = ws
        .run(|ctx, at| completion(ctx, &ws.index, at))
        .expect("completion");
    assert_eq!(found.items.len(), MAX_ITEMS);
    assert!(found.incomplete);
    assert_eq!(found.items[0].text, ":t0");
    // Narrowed by typing: complete again.
    let ws = workspace(&with_cursor(&build.replace("\":$0\"", "\":t24$0\"")));
    let found = ws
        .run(|ctx, at| completion(ctx, &ws.index, at))
        .expect("completion");
    let texts: Vec<&str> = found.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            ":t24", ":t240", ":t241", ":t242", ":t243", ":t244", ":t245", ":t246", ":t247",
            ":t248", ":t249"
        ]
    );
    assert!(!found.incomplete);
}

/// `W text` / `text` for each highlight at the cursor, in text order.
fn highlights_at(ws: &Workspace) -> Vec<String> {
    use crate::analysis::scope::Access;
    let text = ws.cursor.1.clone();
    ws.run(|ctx, at| super::highlight::highlights(ctx, &ws.index, at))
        .iter()
        .map(|h| {
            let w = if h.access == Access::Write { "W " } else { "" };
            format!("{w}{}", &text[h.range.start..h.range.end])
        })
        .collect()
}

#[test]
fn highlights_show_a_target_and_its_mentions_in_the_file() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_library(name = \"b\")\ncc_binary(name = \"a\", deps = [\":b$0\", \"b\", \"//app:b\", \"//lib\"])\n",
    ));
    assert_eq!(
        highlights_at(&ws),
        vec!["W \"b\"", "\":b\"", "\"b\"", "\"//app:b\""]
    );
    // A label into another package: its mentions here, no declaration.
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib$0\"])\ncc_binary(name = \"c\", deps = [\"//lib:lib\"])\n",
    ));
    assert_eq!(highlights_at(&ws), vec!["\"//lib\"", "\"//lib:lib\""]);
}

#[test]
fn highlights_show_a_variable_by_scope() {
    let ws = workspace(&with_cursor(
        "//- /app/defs.bzl\nload(\"//tools:defs.bzl\", \"my_test\")\nX = 1\ndef f(x):\n    X = x\n    return X\ndef g():\n    my_test(name = \"t\", size = X$0)\n",
    ));
    assert_eq!(highlights_at(&ws), vec!["W X", "X"]);
    let ws = workspace(&with_cursor(
        "//- /app/defs.bzl\nload(\"//tools:defs.bzl\", \"my_test\")\ndef g():\n    my_te$0st(name = \"t\")\n",
    ));
    assert_eq!(highlights_at(&ws), vec!["W my_test", "my_test"]);
}

/// `text -> where` for each link of the cursor's file; label links are
/// resolved as the editor would on a click.
fn links_of(ws: &Workspace) -> Vec<String> {
    use super::links::{document_links, link_target, LinkTarget};
    let text = ws.cursor.1.clone();
    ws.run(|ctx, _| {
        document_links(ctx, &ws.index)
            .into_iter()
            .map(|link| {
                let shown = &text[link.range.start..link.range.end];
                let target = match link.target {
                    LinkTarget::File(path) => path
                        .strip_prefix(&ws.root)
                        .expect("in root")
                        .display()
                        .to_string(),
                    LinkTarget::Label(label) => match link_target(ctx, &ws.index, &label) {
                        Some(found) => ws.show(&[found]).join(""),
                        None => format!("{label} (nowhere)"),
                    },
                };
                format!("{shown} -> {target}")
            })
            .collect()
    })
}

#[test]
fn links_go_to_loaded_files_targets_and_source_files() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\n$0cc_binary(\n    name = \"a\",\n    srcs = [\"//lib:lib.cc\"],\n    deps = [\":b\", \"//lib\", \"//lib:nope\"],\n    copts = [\"-O2\"],\n)\ncc_library(name = \"b\")\n",
    ));
    assert_eq!(
        links_of(&ws),
        vec![
            "//tools:defs.bzl -> tools/defs.bzl",
            "//lib:lib.cc -> lib/lib.cc:",
            ":b -> app/BUILD:\"b\"",
            "//lib -> lib/BUILD.bazel:\"lib\"",
            "//lib:nope -> //lib:nope (nowhere)",
        ]
    );
}

#[test]
fn links_in_bzl_files_are_absolute_labels() {
    let ws = workspace(&with_cursor(
        "//- /app/defs.bzl\nload(\":other.bzl\", \"x\")\n$0DEFAULT = \"//lib:lib\"\nPATTERN = \"//lib:all\"\nTEXT = \"hello\"\n//- /app/other.bzl\nx = 1\n//- /app/BUILD\n",
    ));
    assert_eq!(
        links_of(&ws),
        vec![
            ":other.bzl -> app/other.bzl",
            "//lib:lib -> lib/BUILD.bazel:\"lib\"",
        ]
    );
}

#[test]
fn links_skip_labels_that_go_nowhere() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\n$0cc_binary(\n    name = \"a\",\n    deps = [\"@com_google_absl//absl/strings\", \"//lib\"],\n    visibility = [\"//visibility:public\"],\n)\n",
    ));
    assert_eq!(links_of(&ws), vec!["//lib -> lib/BUILD.bazel:\"lib\""]);
}

#[test]
fn target_lenses_build_test_and_run() {
    use super::target_lens::target_lenses;
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\n$0load(\"//tools:defs.bzl\", \"my_test\")\ncc_library(name = \"lib\")\ncc_binary(name = \"bin\")\nmy_test(name = \"t\")\ngenrule(name = \"gen\", outs = [\"gen.h\"], cmd = \"\")\nconfig_setting(name = \"opt\", values = {\"compilation_mode\": \"opt\"})\nexports_files([\"x.txt\"])\ntest_suite(name = \"all\")\n",
    ));
    let lenses: Vec<String> = ws.run(|ctx, _| {
        target_lenses(ctx)
            .iter()
            .map(|l| {
                let actions: Vec<&str> = l.actions.iter().map(|a| a.command()).collect();
                format!("{} {}", l.label, actions.join(","))
            })
            .collect()
    });
    assert_eq!(
        lenses,
        vec![
            "//app:lib build",
            "//app:bin build,run",
            "//app:t build,test",
            "//app:gen build",
            "//app:all build,test",
        ]
    );
}

/// The edits of renaming what is at the cursor to `new_name`, each as
/// `path:"old text" -> new text`, in path order; or why not.
fn rename_at(ws: &Workspace, new_name: &str) -> Result<Vec<String>, String> {
    use super::rename::rename;
    let read = |path: &Path| std::fs::read_to_string(path).ok().map(std::sync::Arc::from);
    // The workspace's `.bazelrc` and its imports.
    let roots = [crate::rc::RcRoot {
        path: ws.root.join(".bazelrc"),
        origin: crate::rc::chain::Origin::Workspace,
    }];
    let chain = crate::rc::RcChain::load(
        Some(&ws.root),
        &roots,
        &crate::host::rc::DiskRcReader::new(),
    );
    let edits = ws.run(|ctx, at| rename(ctx, &ws.index, at, new_name, &read, &chain.files))?;
    Ok(edits
        .iter()
        .map(|e| {
            let rel = e.path.strip_prefix(&ws.root).expect("in root");
            let text = if rel == Path::new(&ws.cursor.0) {
                ws.cursor.1.clone()
            } else {
                std::fs::read_to_string(&e.path).expect("read")
            };
            format!(
                "{}:{:?} -> {}",
                rel.display(),
                &text[e.range.start..e.range.end],
                e.new_text
            )
        })
        .collect())
}

#[test]
fn rename_a_target_everywhere_in_the_form_written() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_library(name = \"b\")\ncc_binary(name = \"a\", deps = [\":b$0\", \"b\", \"//app:b\"], visibility = [\"//visibility:public\"])\n\
         //- /other/BUILD\nfilegroup(name = \"o\", srcs = [\"//app:b\"] + select({\"//app:b\": [], \"//conditions:default\": []}))\n\
         //- /app2/BUILD\ncc_library(name = \"app2\")\n\
         //- /user/BUILD\nfilegroup(name = \"u\", srcs = [\"@//app:b\"])\n",
    ));
    assert_eq!(
        rename_at(&ws, "c"),
        Ok(vec![
            "app/BUILD:\"b\" -> c".to_string(),
            "app/BUILD:\":b\" -> :c".to_string(),
            "app/BUILD:\"b\" -> c".to_string(),
            "app/BUILD:\"//app:b\" -> //app:c".to_string(),
            "other/BUILD:\"//app:b\" -> //app:c".to_string(),
            "other/BUILD:\"//app:b\" -> //app:c".to_string(),
            "user/BUILD:\"@//app:b\" -> @//app:c".to_string(),
        ])
    );
}

#[test]
fn rename_a_target_in_rc_files() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\nbool_flag(name = \"fast$0\", build_setting_default = False)\nplatform(name = \"linux\")\n\
         //- /.bazelrc\nbuild --//app:fast --no//app:fast --//app:faster\nimport %workspace%/ci.bazelrc\n\
         //- /ci.bazelrc\nbuild:ci --@//app:fast=true --platforms=//app:linux,//app:fast\n",
    ));
    assert_eq!(
        rename_at(&ws, "quick"),
        Ok(vec![
            ".bazelrc:\"//app:fast\" -> //app:quick".to_string(),
            ".bazelrc:\"//app:fast\" -> //app:quick".to_string(),
            "app/BUILD:\"fast\" -> quick".to_string(),
            "ci.bazelrc:\"@//app:fast\" -> @//app:quick".to_string(),
            "ci.bazelrc:\"//app:fast\" -> //app:quick".to_string(),
        ])
    );
}

#[test]
fn rename_a_target_named_from_other_repositories_of_the_workspace() {
    let ws = workspace(
        "//- /MODULE.bazel\nmodule(name = \"ws\")\nbazel_dep(name = \"sub\")\nlocal_path_override(module_name = \"sub\", path = \"examples/sub\")\n\
         //- /lib/BUILD\ncc_library(name = \"ut$0il\")\n\
         //- /app/BUILD\ncc_binary(name = \"a\", deps = [\"@ws//lib:util\", \"@sub//:s\"])\n\
         //- /examples/sub/MODULE.bazel\nmodule(name = \"sub\")\n\
         //- /examples/sub/lib/BUILD\ncc_library(name = \"util\")\n\
         //- /examples/sub/BUILD\ncc_library(name = \"s\", deps = [\"@ws//lib:util\", \"@//lib:util\", \"//lib:util\"])\n",
    );
    assert_eq!(
        rename_at(&ws, "core"),
        Ok(vec![
            "app/BUILD:\"@ws//lib:util\" -> @ws//lib:core".to_string(),
            "examples/sub/BUILD:\"@ws//lib:util\" -> @ws//lib:core".to_string(),
            "examples/sub/BUILD:\"@//lib:util\" -> @//lib:core".to_string(),
            "lib/BUILD:\"util\" -> core".to_string(),
        ])
    );
    // Find references sees the same mentions.
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, false, &[]));
    assert_eq!(found.len(), 3, "{:?}", ws.show(&found));
}

#[test]
fn rename_a_package_named_target_keeps_the_package() {
    let ws = workspace(&with_cursor(
        "//- /app2/BUILD\ncc_library(name = \"app$02\")\n//- /x/BUILD\nfilegroup(name = \"x\", srcs = [\"//app2\"])\n",
    ));
    assert_eq!(
        rename_at(&ws, "core"),
        Ok(vec![
            "app2/BUILD:\"app2\" -> core".to_string(),
            "x/BUILD:\"//app2\" -> //app2:core".to_string(),
        ])
    );
}

#[test]
fn rename_refuses_what_bazel_rejects_and_what_cannot_be_found() {
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\ncc_library(name = \"b$0\")\ncc_library(name = \"c\")\nmy_test(name = \"t\")\n//- /app/c.txt\n",
    ));
    for (new, why) in [
        ("c", "exists already"),
        ("c.txt", "source file"),
        ("a:b", "`:`"),
        ("/x", "starts or ends with `/`"),
        ("x/../y", "`..`"),
        ("", "empty"),
        ("a b", "` ` is not allowed"),
    ] {
        let err = rename_at(&ws, new).expect_err(new);
        assert!(err.contains(why), "{new}: {err}");
    }
    // A target of another repository, an output file.
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"//lib:gen.h$0\"])\n",
    ));
    let err = rename_at(&ws, "x.h").expect_err("output file");
    assert!(err.contains("output file"), "{err}");
    let ws = workspace(&with_cursor(
        "//- /app/BUILD\ncc_binary(name = \"a\", deps = [\"@com_google_absl//absl/strings$0\"])\n",
    ));
    let err = rename_at(&ws, "x").expect_err("another repository");
    assert!(err.contains("own packages"), "{err}");
}

#[test]
fn rename_a_target_a_macro_makes_from_another_name_is_refused() {
    let ws = workspace(&with_cursor(
        "//- /m/defs.bzl\ndef lib_and_test(name):\n    native.cc_library(name = name + \"_lib\")\n    native.cc_test(name = name)\n//- /m/BUILD\n\
         //- /app/BUILD\nload(\"//m:defs.bzl\", \"lib_and_test\")\nlib_and_test(name = \"t\")\nfilegroup(name = \"f\", srcs = [\":t_lib$0\"])\n",
    ));
    let err = rename_at(&ws, "x").expect_err("computed");
    assert!(err.contains("made by the call named `t`"), "{err}");
}

#[test]
fn rename_variables_by_scope_and_alias_loaded_symbols() {
    let ws = workspace(&with_cursor(
        "//- /app/defs.bzl\nload(\"//tools:defs.bzl\", \"my_test\")\ndef _helper(x):\n    y$0 = x\n    return y\ndef other(y):\n    return my_test(name = y)\n",
    ));
    assert_eq!(
        rename_at(&ws, "z"),
        Ok(vec![
            "app/defs.bzl:\"y\" -> z".to_string(),
            "app/defs.bzl:\"y\" -> z".to_string()
        ])
    );
    let err = rename_at(&ws, "x").expect_err("taken");
    assert!(err.contains("already used"), "{err}");
    // A symbol of another repository is renamed here only, with an alias.
    let ws = workspace(&with_cursor(
        "//- /app/defs.bzl\nload(\"@rules_x//:defs.bzl\", \"my_test\")\ndef f():\n    return my_te$0st(name = \"t\")\n",
    ));
    assert_eq!(
        rename_at(&ws, "t2"),
        Ok(vec![
            "app/defs.bzl:\"\\\"my_test\\\"\" -> t2 = \"my_test\"".to_string(),
            "app/defs.bzl:\"my_test\" -> t2".to_string(),
        ])
    );
}

/// A macro, loaded plainly, under an alias, through a re-export, and a
/// same-named macro of another file that must not change.
const SYMBOL_FIXTURE: &str = "//- /tools/BUILD\n\
//- /tools/defs.bzl\ndef my_macro(name):\n    native.filegroup(name = name)\ndef both(name):\n    my_macro(name = name)\n\
//- /tools/reexport.bzl\nload(\":defs.bzl\", \"my_macro\")\n\
//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_macro\")\nmy_macro(name = \"a\")\ncc_library(name = \"l\")\n\
//- /lib/BUILD\nload(\"//tools:defs.bzl\", mm = \"my_macro\")\nmm(name = \"b\")\n\
//- /pkg/BUILD\nload(\"//tools:reexport.bzl\", \"my_macro\")\nmy_macro(name = \"c\")\n\
//- /other/defs.bzl\ndef my_macro(name):\n    pass\n\
//- /other/BUILD\nload(\":defs.bzl\", \"my_macro\")\nmy_macro(name = \"o\")\n\
//- /MODULE.bazel\next = use_extension(\"//tools:defs.bzl\", \"my_macro\")\n";

/// The edits of renaming `my_macro` of `tools/defs.bzl` to `group`.
const SYMBOL_RENAMED: [&str; 9] = [
    "MODULE.bazel:\"my_macro\" -> group",
    "app/BUILD:\"my_macro\" -> group",
    "app/BUILD:\"my_macro\" -> group",
    "lib/BUILD:\"my_macro\" -> group",
    "pkg/BUILD:\"my_macro\" -> group",
    "pkg/BUILD:\"my_macro\" -> group",
    "tools/defs.bzl:\"my_macro\" -> group",
    "tools/defs.bzl:\"my_macro\" -> group",
    "tools/reexport.bzl:\"my_macro\" -> group",
];

#[test]
fn rename_a_bzl_symbol_across_its_loads() {
    let expected: Vec<String> = SYMBOL_RENAMED.iter().map(|s| s.to_string()).collect();
    // From the definition, from a use in a loading BUILD file, and from
    // the string of a load.
    for fixture in [
        SYMBOL_FIXTURE.replace(
            "def my_macro(name):\n    native",
            "def my_ma$0cro(name):\n    native",
        ),
        SYMBOL_FIXTURE.replace("my_macro(name = \"a\")", "my_mac$0ro(name = \"a\")"),
        SYMBOL_FIXTURE.replace("mm = \"my_macro\"", "mm = \"my_m$0acro\""),
    ] {
        let ws = workspace(&fixture);
        assert_eq!(rename_at(&ws, "group"), Ok(expected.clone()), "{fixture}");
    }
    // The alias is a name of its own file.
    let ws = workspace(&SYMBOL_FIXTURE.replace("mm(name", "m$0m(name"));
    assert_eq!(
        rename_at(&ws, "g"),
        Ok(vec![
            "lib/BUILD:\"mm\" -> g".to_string(),
            "lib/BUILD:\"mm\" -> g".to_string()
        ])
    );
}

#[test]
fn rename_a_bzl_symbol_refuses_clashes_and_private_names() {
    let fixture = SYMBOL_FIXTURE.replace(
        "def my_macro(name):\n    native",
        "def my_ma$0cro(name):\n    native",
    );
    let ws = workspace(&fixture);
    // `cc_library` is a rule app/BUILD calls; `both` a global of defs.bzl.
    for (new, why) in [
        ("cc_library", "already used in"),
        ("both", "already used in"),
        ("_private", "could no longer load"),
        ("not a name", "not a Starlark name"),
    ] {
        let err = rename_at(&ws, new).expect_err(new);
        assert!(err.contains(why), "{new}: {err}");
    }
    // A local of a function that uses the symbol would capture it.
    let ws = workspace(
        "//- /t/BUILD\n//- /t/defs.bzl\ndef hel$0per():\n    pass\ndef user(name):\n    helper()\n",
    );
    let err = rename_at(&ws, "name").expect_err("captured");
    assert!(err.contains("already used"), "{err}");
    assert_eq!(
        rename_at(&ws, "assist"),
        Ok(vec![
            "t/defs.bzl:\"helper\" -> assist".to_string(),
            "t/defs.bzl:\"helper\" -> assist".to_string()
        ])
    );
}

#[test]
fn labels_in_make_variables_navigate_and_rename() {
    let fixture = "//- /app/BUILD\ncc_binary(name = \"tool\")\ngenrule(\n    name = \"gen\",\n    outs = [\"o\"],\n    cmd = \"$(location :to$0ol) > $@\",\n    tools = [\":tool\"],\n)\n//- /other/BUILD\ngenrule(name = \"g\", outs = [\"p\"], cmd = \"$(execpath //app:tool) $(location //app:tool)\", tools = [\"//app:tool\"])\n";
    let ws = workspace(&with_cursor(fixture));
    assert_eq!(ws.definition(), vec!["app/BUILD:\"tool\""]);
    assert_eq!(highlights_at(&ws), vec!["W \"tool\"", ":tool", "\":tool\""]);
    assert_eq!(
        rename_at(&ws, "compiler"),
        Ok(vec![
            "app/BUILD:\"tool\" -> compiler".to_string(),
            "app/BUILD:\":tool\" -> :compiler".to_string(),
            "app/BUILD:\":tool\" -> :compiler".to_string(),
            "other/BUILD:\"//app:tool\" -> //app:compiler".to_string(),
            "other/BUILD:\"//app:tool\" -> //app:compiler".to_string(),
            "other/BUILD:\"//app:tool\" -> //app:compiler".to_string(),
        ])
    );
    let found = ws.run(|ctx, at| references(ctx, &ws.index, at, false, &[]));
    assert_eq!(found.len(), 5, "{:?}", ws.show(&found));
}

fn names(file: &str) -> Vec<String> {
    let ws = workspace(&with_cursor(file));
    ws.run(|ctx, at| super::calls::name_completion(ctx, &ws.index, at))
        .map(|c| c.items.into_iter().map(|i| i.text).collect())
        .unwrap_or_default()
}

fn signature(file: &str) -> Option<(String, Option<String>)> {
    let ws = workspace(&with_cursor(file));
    ws.run(|ctx, at| super::calls::signature_help(ctx, &ws.index, at))
        .map(|help| {
            let active = help
                .active_param
                .map(|i| help.callable.params[i].name.clone());
            (help.callable.signature(), active)
        })
}

fn hover_text(file: &str) -> Option<String> {
    let ws = workspace(&with_cursor(file));
    ws.run(|ctx, at| hover(ctx, &ws.index, at))
        .map(|h| h.markdown)
}

#[test]
fn attribute_names_complete_inside_calls() {
    // A half-typed call (no closing parenthesis): the native rule's
    // attributes not given yet, `name` first.
    let items = names("//- /app/BUILD\ncc_library(\n    name = \"a\",\n    s$0\n");
    assert!(items.contains(&"srcs = ".to_owned()), "{items:?}");
    assert!(!items.iter().any(|i| i == "name = "), "{items:?}");
    assert!(items.iter().all(|i| i.starts_with('s')), "{items:?}");
    // In a closed call, between arguments.
    let items = names("//- /app/BUILD\ngenrule(name = \"g\", $0)\n");
    assert_eq!(items.first().map(String::as_str), Some("outs = "));
    assert!(!items.iter().any(|i| i.starts_with("generator_")));
    // A macro loaded from the workspace: its parameters, then names in
    // scope.
    let items = names("//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_test($0)\n");
    assert_eq!(&items[..2], ["name = ", "size = "]);
    assert!(items.contains(&"my_test".to_owned()));
    assert!(items.contains(&"cc_library".to_owned()));
    // A keyword argument's value gets names in scope, not attributes.
    let items = names("//- /app/BUILD\ncc_library(name = \"a\", deps = s$0)\n");
    assert!(items.contains(&"select".to_owned()), "{items:?}");
    assert!(!items.iter().any(|i| i.ends_with(" = ")), "{items:?}");
    // Inside a string: not a name.
    assert!(names("//- /app/BUILD\ncc_library(name = \"s$0\")\n").is_empty());
}

#[test]
fn names_in_scope_and_after_native_complete() {
    let items = names("//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nX = 1\nc$0\n");
    assert!(items.contains(&"cc_library".to_owned()));
    assert!(items.iter().all(|i| i.starts_with('c')));
    let items = names("//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nX = 1\n$0\n");
    assert!(items.contains(&"my_test".to_owned()) && items.contains(&"X".to_owned()));
    // A .bzl file: no native rule without `native.`.
    let items = names("//- /tools/more.bzl\ndef f():\n    cc_$0\n");
    assert!(!items.contains(&"cc_library".to_owned()), "{items:?}");
    let items = names("//- /tools/more.bzl\ndef f():\n    native.cc_$0\n");
    assert!(items.contains(&"cc_library".to_owned()), "{items:?}");
    let items = names("//- /tools/more.bzl\ndef f():\n    native.gl$0\n");
    assert_eq!(items, ["glob"]);
}

#[test]
fn signature_help_follows_the_argument() {
    assert_eq!(
        signature("//- /app/BUILD\nglob([\"*.cc\"], $0)\n"),
        Some((
            "glob(include = [], exclude = [], exclude_directories = 1, allow_empty = unbound)"
                .to_owned(),
            Some("exclude".to_owned())
        ))
    );
    assert_eq!(
        signature("//- /app/BUILD\nglob($0\n").map(|s| s.1),
        Some(Some("include".to_owned()))
    );
    let (label, active) =
        signature("//- /app/BUILD\ncc_library(\n    name = \"a\",\n    srcs = [$0],\n)\n")
            .expect("help");
    assert!(label.starts_with("cc_library(*, name, "), "{label}");
    assert_eq!(active.as_deref(), Some("srcs"));
    // A macro of the workspace, through its re-export, by keyword and by
    // position; **kwargs takes unknown keywords.
    assert_eq!(
        signature(
            "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_test(\"t\", size = $0)\n"
        ),
        Some((
            "my_test(name, size = \"small\")".to_owned(),
            Some("size".to_owned())
        ))
    );
    assert_eq!(
        signature("//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_test($0)\n")
            .and_then(|s| s.1),
        Some("name".to_owned())
    );
    // A keyword whose value is not written yet.
    assert_eq!(
        signature("//- /app/BUILD\ncc_library(name = \"a\", srcs = $0)\n").and_then(|s| s.1),
        Some("srcs".to_owned())
    );
    assert_eq!(
        signature("//- /app/BUILD\ncc_library(name = \"a\", hdrs = $0\n").and_then(|s| s.1),
        Some("hdrs".to_owned())
    );
    // Not in a call.
    assert_eq!(signature("//- /app/BUILD\nx = [1, $0]\n"), None);
    // A rule set's cc_library that is not on disk: the native rule's.
    let found = signature(
        "//- /app/BUILD\nload(\"@rules_cc//cc:defs.bzl\", \"cc_library\")\ncc_library(name = \"a\", hdrs = [$0])\n",
    );
    assert_eq!(found.and_then(|s| s.1).as_deref(), Some("hdrs"));
}

#[test]
fn hovers_on_rules_builtins_and_attributes() {
    let rule = hover_text("//- /app/BUILD\ncc_lib$0rary(name = \"a\")\n").expect("hover");
    assert!(rule.contains("cc_library(*, name"), "{rule}");
    assert!(rule.contains("Native rule"), "{rule}");
    assert!(rule.contains("| `srcs` | List of labels |"), "{rule}");
    let attr =
        hover_text("//- /app/BUILD\ncc_library(name = \"a\", sr$0cs = [])\n").expect("hover");
    assert!(attr.starts_with("`srcs` of `cc_library`"), "{attr}");
    assert!(
        attr.contains("List of labels") && attr.contains("Optional"),
        "{attr}"
    );
    let name = hover_text("//- /app/BUILD\ngenrule(na$0me = \"g\")\n").expect("hover");
    assert!(name.contains("Mandatory"), "{name}");
    // The default Bazel reports, where it reports one.
    let size =
        hover_text("//- /app/BUILD\ncc_test(name = \"t\", si$0ze = \"small\")\n").expect("hover");
    assert!(
        size.starts_with("`size = \"medium\"` of `cc_test`"),
        "{size}"
    );
    let glob = hover_text("//- /app/BUILD\nx = gl$0ob([\"*\"])\n").expect("hover");
    assert!(
        glob.contains("glob(include = []") && glob.contains("Builtin"),
        "{glob}"
    );
    // A half-typed call.
    let open = hover_text("//- /app/BUILD\ncc_bin$0ary(\n").expect("hover");
    assert!(open.contains("cc_binary(*, name"), "{open}");
    // A macro's keyword: its parameter.
    let size = hover_text(
        "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_test(name = \"t\", si$0ze = \"large\")\n",
    )
    .expect("hover");
    assert!(
        size.starts_with("`size = \"small\"` of `my_test`"),
        "{size}"
    );
    // A keyword a macro does not name goes to its **kwargs.
    let extra = hover_text(
        "//- /app/BUILD\nload(\"//tools:more.bzl\", \"wrap\")\nwrap(name = \"t\", sr$0cs = [])\n//- /tools/more.bzl\ndef wrap(name, **kwargs):\n    pass\n",
    )
    .expect("hover");
    assert_eq!(
        extra,
        "`srcs` goes to `**kwargs` of `wrap`, which does not name it"
    );
    // The macro itself keeps its docstring hover.
    let mac = hover_text(
        "//- /app/BUILD\nload(\"//tools:defs.bzl\", \"my_test\")\nmy_te$0st(name = \"t\")\n",
    )
    .expect("hover");
    assert!(mac.contains("Makes a test and its library."), "{mac}");
}

#[test]
fn bzl_files_complete_and_explain_rules_attributes_and_actions() {
    // Members after a dotted name.
    let items = names("//- /tools/r.bzl\ndef _impl(ctx):\n    ctx.actions.ru$0\n");
    assert_eq!(items, ["run", "run_shell"]);
    let items = names("//- /tools/r.bzl\ndef _impl(ctx):\n    ctx.$0\n");
    assert!(items.contains(&"actions".to_owned()) && items.contains(&"label".to_owned()));
    assert!(items.contains(&"runfiles".to_owned()), "{items:?}");
    let items = names("//- /tools/r.bzl\nr = rule(attrs = {\"x\": attr.s$0})\n");
    assert_eq!(
        items,
        ["string", "string_dict", "string_list", "string_list_dict"]
    );
    // Members of values bzls does not know: nothing, not every name.
    assert!(names("//- /tools/r.bzl\nx = foo.$0\n").is_empty());
    // In BUILD files, only `native.`-less names; no `attr`.
    assert!(names("//- /app/BUILD\nx = attr.$0\n").is_empty());
    // Names of .bzl files: rule, provider, attr ...
    let items = names("//- /tools/r.bzl\nr = ru$0\n");
    assert!(items.contains(&"rule".to_owned()), "{items:?}");
    // Parameters of rule().
    let items = names("//- /tools/r.bzl\nr = rule(implementation = _impl, a$0)\n");
    assert!(items.contains(&"attrs = ".to_owned()), "{items:?}");
    // Signature help inside a method call, with the active keyword.
    let (label, active) = signature(
        "//- /tools/r.bzl\ndef _impl(ctx):\n    ctx.actions.run(outputs = [], executable = $0)\n",
    )
    .expect("help");
    assert!(label.starts_with("ctx.actions.run(*, outputs, "), "{label}");
    assert_eq!(active.as_deref(), Some("executable"));
    assert_eq!(
        signature("//- /tools/r.bzl\nx = {\"a\": attr.label(default = None, $0)}\n")
            .map(|s| s.0.starts_with("attr.label(default = None, *, ")),
        Some(true)
    );
    // Hovers: a method, a field, a function.
    let run =
        hover_text("//- /tools/r.bzl\ndef _impl(ctx):\n    ctx.actions.r$0un(outputs = [])\n")
            .expect("hover");
    assert!(run.contains("An action that runs an executable."), "{run}");
    let label =
        hover_text("//- /tools/r.bzl\ndef _impl(ctx):\n    return ctx.la$0bel\n").expect("hover");
    assert!(label.starts_with("`ctx.label`: Label"), "{label}");
    let rule = hover_text("//- /tools/r.bzl\nr = ru$0le(implementation = _impl)\n").expect("hover");
    assert!(rule.contains("rule(implementation, *, "), "{rule}");
}

/// Calls, completion and hover take any text at any offset: half-typed
/// calls, stray brackets and quotes, non-ASCII, offsets past the end.
#[test]
fn call_features_take_garbage_at_every_offset() {
    let ws = workspace(&with_cursor("//- /app/BUILD\n$0\n"));
    let texts = [
        "cc_library(name = \"a\", srcs = [\"é\", ",
        "))((,,==\"\"\n\t(",
        "x = native.\nctx.actions.run(\n  outputs = , executable =",
        "def f(ctx):\n    ctx.\n    attr.label(default = [1, (2, {\"k\": select(",
        "load(\"//tools:defs.bzl\", \"my_test\")\nmy_test(\"t\", size = 1, **{}, *[])\n🎉(",
        "glob(\n\n\n\n   ",
        "a.b.c.d(e.f(g(h(",
        "\"\"\"(\n\"\"\"(  # (\n",
    ];
    for text in texts {
        for (path, is_build) in [("app/BUILD", true), ("tools/r.bzl", false)] {
            let tree = parse_str(text);
            let rope = Rope::from_str(text);
            let ctx = FileContext::new(
                &ws.index,
                &tree,
                &rope,
                ws.root.join(path),
                "app".to_owned(),
                is_build,
            );
            let offsets = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len(), text.len() + 5]);
            for at in offsets {
                let _ = super::calls::name_completion(&ctx, &ws.index, at);
                let _ = super::calls::signature_help(&ctx, &ws.index, at);
                let _ = hover(&ctx, &ws.index, at.min(text.len()));
            }
        }
    }
}

#[test]
fn module_and_workspace_files_see_their_own_functions() {
    let items = names("//- /MODULE.bazel\nbazel_$0\n");
    assert_eq!(items, ["bazel_dep"]);
    assert!(names("//- /MODULE.bazel\ncc_$0\n").is_empty());
    assert_eq!(
        signature("//- /MODULE.bazel\nuse_repo(pip, $0)\n").and_then(|s| s.1),
        Some("args".to_owned())
    );
    let items = names("//- /WORKSPACE\nlocal_repository($0)\n");
    assert_eq!(&items[..2], ["name = ", "path = "]);
    assert!(items.contains(&"workspace".to_owned()));
    let items = names("//- /WORKSPACE\nw$0\n");
    assert_eq!(items, ["workspace"]);
    // Hover on their functions and on a keyword argument.
    let dep = hover_text("//- /MODULE.bazel\nbazel_d$0ep(name = \"x\")\n").expect("hover");
    assert!(
        dep.contains("bazel_dep(") && dep.contains("Builtin"),
        "{dep}"
    );
    let repo = hover_text("//- /MODULE.bazel\nbazel_dep(name = \"x\", repo_na$0me = \"y\")\n")
        .expect("hover");
    assert!(repo.starts_with("`repo_name"), "{repo}");
    let local = hover_text("//- /WORKSPACE\nlocal_repos$0itory(name = \"x\", path = \"p\")\n")
        .expect("hover");
    assert!(local.contains("local_repository("), "{local}");
    // Statement keywords: `load` in WORKSPACE, not in MODULE.bazel.
    assert!(names("//- /WORKSPACE\nlo$0\n").contains(&"load".to_owned()));
    assert!(!names("//- /MODULE.bazel\nlo$0\n").contains(&"load".to_owned()));
}

#[test]
fn starlark_rules_of_the_workspace_get_their_attributes() {
    let rules = "//- /tools/rules.bzl\ndef _impl(ctx):\n    pass\n\ngen_rule = rule(\n    implementation = _impl,\n    doc = \"Generates.\",\n    attrs = {\n        \"srcs\": attr.label_list(),\n        \"out\": attr.output(mandatory = True),\n        \"_tool\": attr.label(),\n    },\n)\n";
    let items = names(&format!(
        "{rules}//- /app/BUILD\nload(\"//tools:rules.bzl\", \"gen_rule\")\ngen_rule(name = \"g\", $0)\n"
    ));
    assert_eq!(&items[..2], ["out = ", "srcs = "]);
    assert!(
        items.contains(&"visibility = ".to_owned()) && !items.iter().any(|i| i == "_tool = "),
        "{items:?}"
    );
    let (label, active) = signature(&format!(
        "{rules}//- /app/BUILD\nload(\"//tools:rules.bzl\", \"gen_rule\")\ngen_rule(name = \"g\", out = $0)\n"
    ))
    .expect("help");
    assert!(
        label.starts_with("gen_rule(*, name, out, srcs, "),
        "{label}"
    );
    assert_eq!(active.as_deref(), Some("out"));
    let shown = hover_text(&format!(
        "{rules}//- /app/BUILD\nload(\"//tools:rules.bzl\", \"gen_rule\")\ngen_ru$0le(name = \"g\")\n"
    ))
    .expect("hover");
    assert!(
        shown.contains("Generates.") && shown.contains("| `out` **(mandatory)** | Output file |"),
        "{shown}"
    );
    // In its own file, too.
    let local = signature("//- /tools/more.bzl\nr = rule(implementation = _i, attrs = {\"x\": attr.string()})\ndef m():\n    r(name = \"a\", $0)\n");
    assert!(local.is_some_and(|(l, _)| l.starts_with("r(*, name, x, ")));
}

#[test]
fn strings_lists_and_dicts_have_their_methods() {
    // After a literal.
    let items = names("//- /tools/more.bzl\nX = \"a,b\".$0\n");
    assert!(
        items.contains(&"split".to_owned()) && items.contains(&"format".to_owned()),
        "{items:?}"
    );
    let items = names("//- /tools/more.bzl\nX = [1].ap$0\n");
    assert_eq!(items, ["append"]);
    // After a name last assigned a literal, in any file kind.
    let items = names("//- /app/BUILD\nDEPS = {}\nDEPS.$0\n");
    assert!(items.contains(&"get".to_owned()) && items.contains(&"items".to_owned()));
    let items = names("//- /tools/more.bzl\ndef f():\n    out = []\n    out.e$0\n");
    assert_eq!(items, ["extend"]);
    // Unknown values get nothing guessed.
    assert!(names("//- /tools/more.bzl\ndef f(x):\n    x.$0\n").is_empty());
    // Signature help and hover on a method, from the starlark crate's docs.
    let (label, active) =
        signature("//- /tools/more.bzl\nD = {}\nX = D.get(\"k\", $0)\n").expect("signature");
    assert_eq!(label, "dict.get(key, default = ...)");
    assert_eq!(active.as_deref(), Some("default"));
    let text = hover_text("//- /tools/more.bzl\nX = \", \".jo$0in([\"a\"])\n").expect("hover");
    assert!(
        text.contains("str.join") && text.contains("Starlark"),
        "{text}"
    );
    // Starlark's own functions take the crate's parameters and docs.
    let text = hover_text("//- /app/BUILD\nX = le$0n([])\n").expect("hover");
    assert!(
        text.contains("len(") && text.contains("Starlark specification"),
        "{text}"
    );
}

#[test]
fn repository_and_module_contexts_have_their_members() {
    let items = names("//- /tools/repo.bzl\ndef _impl(repository_ctx):\n    repository_ctx.d$0\n");
    assert_eq!(items, ["delete", "download", "download_and_extract"]);
    let items = names("//- /tools/repo.bzl\ndef _impl(rctx):\n    rctx.os.$0\n");
    assert_eq!(items, ["arch", "environ", "name"]);
    let items = names("//- /tools/ext.bzl\ndef _impl(mctx):\n    mctx.$0\n");
    assert!(
        items.contains(&"modules".to_owned()) && items.contains(&"extension_metadata".to_owned()),
        "{items:?}"
    );
    let (label, active) =
        signature("//- /tools/repo.bzl\ndef _impl(rctx):\n    rctx.execute([\"ls\"], $0)\n")
            .expect("signature");
    assert!(
        label.starts_with("repository_ctx.execute(arguments, timeout = 600"),
        "{label}"
    );
    assert_eq!(active.as_deref(), Some("timeout"));
    let text =
        hover_text("//- /tools/repo.bzl\ndef _impl(rctx):\n    return rctx.work$0space_root\n")
            .expect("hover");
    assert!(text.contains("path"), "{text}");
}

#[test]
fn providers_take_their_fields() {
    let file = "//- /tools/info.bzl\nMyInfo = provider(doc = \"What a target knows.\", fields = {\"srcs\": \"The sources.\", \"deps\": \"\"})\ndef f():\n    return MyInfo($0)\n";
    let (label, _) = signature(file).expect("signature");
    assert_eq!(label, "MyInfo(*, srcs, deps)");
    let items = names(file);
    assert_eq!(&items[..2], ["srcs = ", "deps = "]);
    let text = hover_text("//- /tools/info.bzl\nOtherInfo = provider(\"Doc first.\", fields = [\"x\"])\ndef f():\n    return Other$0Info(x = 1)\n")
        .expect("hover");
    assert!(
        text.contains("Doc first.") && text.contains("Provider defined in this file"),
        "{text}"
    );
}

#[test]
fn module_extension_tags_complete_and_explain() {
    let ext = "//- /tools/ext.bzl\n_toolchain = tag_class(doc = \"A toolchain.\", attrs = {\"version\": attr.string(mandatory = True), \"name\": attr.string(), \"_private\": attr.label()})\n\ndef _impl(mctx):\n    pass\n\nlang = module_extension(implementation = _impl, tag_classes = {\"toolchain\": _toolchain, \"override\": tag_class(attrs = {\"path\": attr.label()})})\n";
    let module = |body: &str| {
        format!(
            "{ext}//- /MODULE.bazel\nlang = use_extension(\"//tools:ext.bzl\", \"lang\")\n{body}"
        )
    };
    let items = names(&module("lang.$0\n"));
    assert_eq!(items, ["toolchain", "override"]);
    let items = names(&module("lang.toolchain($0)\n"));
    assert_eq!(&items[..2], ["version = ", "name = "]);
    let (label, active) =
        signature(&module("lang.toolchain(version = \"1\", $0)\n")).expect("signature");
    assert_eq!(label, "toolchain(*, version, name)");
    assert_eq!(active, None);
    let text = hover_text(&module("lang.tool$0chain(version = \"1\")\n")).expect("hover");
    assert!(
        text.contains("A toolchain.")
            && text.contains("tools/ext.bzl")
            && text.contains("| `version` **(mandatory)** |"),
        "{text}"
    );
    // An extension not on disk: nothing guessed.
    assert!(names("//- /MODULE.bazel\npip = use_extension(\"@rules_python//python/extensions:pip.bzl\", \"pip\")\npip.$0\n").is_empty());
}

#[test]
fn a_rule_implementation_sees_its_attributes() {
    let file = |body: &str| {
        format!(
            "//- /tools/r.bzl\ndef _impl(ctx):\n    {body}\n\nmy_rule = rule(implementation = _impl, attrs = {{\"srcs\": attr.label_list(allow_files = True), \"config\": attr.label(allow_single_file = True), \"_tool\": attr.label(executable = True, cfg = \"exec\"), \"out\": attr.output(), \"level\": attr.int()}})\n"
        )
    };
    assert_eq!(
        names(&file("ctx.attr.$0")),
        ["srcs", "config", "_tool", "out", "level"]
    );
    assert_eq!(names(&file("ctx.files.$0")), ["srcs", "config", "_tool"]);
    assert_eq!(names(&file("ctx.file.$0")), ["config"]);
    assert_eq!(names(&file("ctx.executable.$0")), ["_tool"]);
    assert_eq!(names(&file("ctx.outputs.$0")), ["out"]);
    assert_eq!(names(&file("ctx.attr.le$0")), ["level"]);
    // `attrs` built from named dicts and their unions.
    let items = names("//- /tools/r.bzl\n_COMMON = {\"deps\": attr.label_list()}\n\ndef _impl(ctx):\n    ctx.attr.$0\n\nr = rule(implementation = _impl, attrs = dicts.add(_COMMON, {\"x\": attr.int()}) | dict(**{\"y\": attr.bool()}))\n");
    assert_eq!(items, ["deps", "x", "y"]);
    // Outside the implementation: the fields of `ctx.attr` are unknown.
    let items = names("//- /tools/r.bzl\ndef helper(ctx):\n    ctx.attr.$0\n");
    assert!(items.is_empty(), "{items:?}");
}

#[test]
fn locals_parameters_and_keywords_complete() {
    // Parameters and locals of the function around the cursor, before the
    // file's globals; names bound later in the body count too.
    let items = names(
        "//- /tools/more.bzl\nTOP = 1\ndef f(abc, *args, key = TOP, **kw):\n    xyz = 1\n    for (i, j) in []:\n        pass\n    def inner():\n        pass\n    $0\n    later = 2\n",
    );
    let at = |name: &str| items.iter().position(|i| i == name);
    for name in [
        "abc", "args", "key", "kw", "xyz", "i", "j", "inner", "later", "TOP",
    ] {
        assert!(at(name).is_some(), "{name}: {items:?}");
    }
    assert!(at("abc") < at("TOP"), "{items:?}");
    // Statement keywords of a function body.
    for keyword in ["return", "if", "for", "def", "pass"] {
        assert!(at(keyword).is_some(), "{keyword}: {items:?}");
    }
    assert!(
        at("load").is_none(),
        "load only at the top level: {items:?}"
    );
    // Another function's locals are not in scope; a comprehension's are.
    let items = names("//- /tools/more.bzl\ndef f(abc):\n    pass\ndef g():\n    a$0\n");
    assert!(!items.contains(&"abc".to_owned()), "{items:?}");
    let items = names("//- /tools/more.bzl\nX = [elem + e$0 for elem in []]\n");
    assert!(items.contains(&"elem".to_owned()), "{items:?}");
    // At the top level of a .bzl file: `load`, `def`, not `return`.
    let items = names("//- /tools/more.bzl\nX = 1\n$0\n");
    assert!(items.contains(&"load".to_owned()) && items.contains(&"def".to_owned()));
    assert!(!items.contains(&"return".to_owned()), "{items:?}");
    // `glob` and `package` are `native.` members in a .bzl file, not
    // globals; `select` and `struct` are globals.
    let items = names("//- /tools/more.bzl\ndef f():\n    $0\n");
    assert!(!items.contains(&"glob".to_owned()), "{items:?}");
    assert!(!items.contains(&"package".to_owned()), "{items:?}");
    assert!(items.contains(&"select".to_owned()) && items.contains(&"struct".to_owned()));
    // A BUILD file has neither `def` nor `return`; `load` at the top.
    let items = names("//- /app/BUILD\n$0\n");
    assert!(items.contains(&"load".to_owned()), "{items:?}");
    assert!(!items.contains(&"def".to_owned()) && !items.contains(&"return".to_owned()));
    // In an expression: constants, then operators after an operand.
    let items = names("//- /app/BUILD\ncc_library(name = \"a\", linkstatic = T$0)\n");
    assert_eq!(items, ["True"], "{items:?}");
    let items = names("//- /tools/more.bzl\ndef f(x):\n    if x a$0\n");
    assert!(items.contains(&"and".to_owned()), "{items:?}");
    let items = names("//- /tools/more.bzl\ndef f(x):\n    return x if x e$0\n");
    assert!(items.contains(&"else".to_owned()), "{items:?}");
    // The name being assigned is not offered to itself.
    let items = names("//- /app/BUILD\nabc$0 = 1\n");
    assert!(!items.contains(&"abc".to_owned()), "{items:?}");
}

#[test]
fn struct_and_provider_fields_complete() {
    let lib = "//- /lib/paths.bzl\ndef _join(path, *others):\n    \"\"\"Joins paths.\"\"\"\n    return path\n\ndef _base(p):\n    return p\n\npaths = struct(\n    join = _join,\n    basename = _base,\n    SEP = \"/\",\n)\n";
    // A struct loaded from a .bzl file: its fields, functions with their
    // signature and docstring.
    let fixture = format!(
        "{lib}//- /tools/more.bzl\nload(\"//lib:paths.bzl\", \"paths\")\ndef f():\n    paths.$0\n"
    );
    let ws = workspace(&with_cursor(&fixture));
    let items = ws
        .run(|ctx, at| super::calls::name_completion(ctx, &ws.index, at))
        .expect("items")
        .items;
    let shown: Vec<(String, Option<String>)> = items
        .iter()
        .map(|i| (i.text.clone(), i.detail.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("join".to_owned(), Some("join(path, *others)".to_owned())),
            ("basename".to_owned(), Some("basename(p)".to_owned())),
            ("SEP".to_owned(), Some("field = \"/\"".to_owned())),
        ]
    );
    assert!(items[0]
        .documentation
        .as_deref()
        .is_some_and(|d| d.contains("Joins paths.")));
    // Signature help and hover of a struct's function.
    let fixture = format!("{lib}//- /tools/more.bzl\nload(\"//lib:paths.bzl\", \"paths\")\nX = paths.join(\"a\", $0)\n");
    assert_eq!(
        signature(&fixture),
        Some(("join(path, *others)".to_owned(), Some("others".to_owned())))
    );
    // In a BUILD file too.
    let fixture =
        format!("{lib}//- /app/BUILD\nload(\"//lib:paths.bzl\", \"paths\")\nX = paths.ba$0\n");
    assert_eq!(names(&fixture), ["basename"]);
    // A struct of the file, through a name.
    let items =
        names("//- /tools/more.bzl\ndef f():\n    s = struct(alpha = 1, beta = [])\n    s.$0\n");
    assert_eq!(items, ["alpha", "beta"]);
    // A provider's instance: made, or read from a dependency.
    let info = "//- /tools/info.bzl\nFooInfo = provider(fields = {\"files\": \"the files\", \"count\": \"how many\"})\n";
    let items = names(&format!(
        "{info}//- /tools/more.bzl\nload(\":info.bzl\", \"FooInfo\")\ndef _impl(ctx):\n    return ctx.attr.dep[FooInfo].$0\n"
    ));
    assert_eq!(items, ["files", "count"]);
    let items = names(&format!(
        "{info}//- /tools/more.bzl\nload(\":info.bzl\", \"FooInfo\")\ndef _impl(ctx):\n    info = ctx.attr.dep[FooInfo]\n    return info.c$0\n"
    ));
    assert_eq!(items, ["count"]);
    let items = names(&format!(
        "{info}//- /tools/more.bzl\nload(\":info.bzl\", \"FooInfo\")\ndef _impl(ctx):\n    info = FooInfo(files = [])\n    return info.$0\n"
    ));
    assert_eq!(items, ["files", "count"]);
    // A struct is not a rule: calling it checks nothing.
    assert_eq!(
        hover_text(&format!("{lib}//- /tools/more.bzl\nload(\"//lib:paths.bzl\", \"paths\")\nX = pa$0ths\n"))
            .map(|h| h.contains("Struct defined in `lib/paths.bzl`") && h.contains("    join = _join,")),
        Some(true)
    );
}

/// The semantic diagnostics of the file at the cursor, with rules and
/// macros loaded from the workspace, each as `code@line: message`.
fn semantic(fixture: &str) -> Vec<String> {
    struct Loaded<'a> {
        ctx: &'a FileContext<'a>,
        view: &'a dyn super::WorkspaceView,
    }
    impl crate::analysis::semantics::RuleLookup for Loaded<'_> {
        fn loaded_rule(&self, name: &str) -> Option<crate::workspace::callables::Callable> {
            super::calls::loaded_callable(&self.ctx.package, &self.ctx.globals, self.view, name)
                .flatten()
        }
    }
    let ws = workspace(&with_cursor(fixture));
    ws.run(|ctx, _| {
        let lookup = Loaded {
            ctx,
            view: &ws.index,
        };
        crate::analysis::semantics::semantic_diagnostics(
            crate::syntax::FileKind::Build,
            ctx.tree,
            ctx.rope,
            &ctx.package,
            &lookup,
            None,
        )
        .into_iter()
        .map(|d| {
            let line = ctx.rope.byte_to_line(d.range.start) + 1;
            format!("{}@{line}: {}", d.code.as_str(), d.message)
        })
        .collect()
    })
}

#[test]
fn macros_take_the_attributes_their_kwargs_reach() {
    let defs = "//- /build/BUILD\n//- /build/defs.bzl\nload(\":rules.bzl\", \"gen_rule\")\n\
        def my_library(name, extra = [], **kwargs):\n    \"\"\"A library.\"\"\"\n    native.cc_library(name = name, linkstatic = True, **kwargs)\n\n\
        def my_gen(name, **kwargs):\n    gen_rule(name = name, **kwargs)\n\n\
        def outer(name, **kwargs):\n    my_library(name = name + \"_lib\", **kwargs)\n\n\
        def popper(name, **kwargs):\n    flavor = kwargs.pop(\"flavor\", None)\n    native.cc_library(name = name, **kwargs)\n\n\
        def twice(name, **kwargs):\n    native.cc_library(name = name, **kwargs)\n    native.cc_test(name = name + \"_test\", **kwargs)\n\
        //- /build/rules.bzl\ngen_rule = rule(implementation = _impl, attrs = {\"template\": attr.label(), \"subs\": attr.string_dict()})\n";
    let load = "load(\"//build:defs.bzl\", \"my_library\", \"my_gen\", \"outer\", \"popper\", \"twice\")\n";
    // Completion: the macro's parameters, then the rule's attributes,
    // without those the macro sets itself.
    let items = names(&format!(
        "{defs}//- /app/BUILD\n{load}my_library(name = \"a\", $0)\n"
    ));
    let at = |name: &str| items.iter().position(|i| i == name);
    assert_eq!(
        items.first().map(String::as_str),
        Some("extra = "),
        "{items:?}"
    );
    assert!(
        at("srcs = ").is_some() && at("deps = ").is_some(),
        "{items:?}"
    );
    assert!(at("linkstatic = ").is_none(), "set by the macro: {items:?}");
    assert!(at("extra = ") < at("srcs = "));
    // Through another macro, and to a Starlark rule of another file.
    let items = names(&format!(
        "{defs}//- /app/BUILD\n{load}outer(name = \"a\", hd$0)\n"
    ));
    assert_eq!(items, ["hdrs = "]);
    let items = names(&format!(
        "{defs}//- /app/BUILD\n{load}my_gen(name = \"a\", $0)\n"
    ));
    assert!(
        items.starts_with(&["template = ".to_owned(), "subs = ".to_owned()]),
        "{items:?}"
    );
    // Signature help and hover name the rule.
    let (label, active) = signature(&format!(
        "{defs}//- /app/BUILD\n{load}my_library(name = \"a\", srcs = [$0])\n"
    ))
    .expect("help");
    assert!(
        label.starts_with("my_library(name, extra = [], *, "),
        "{label}"
    );
    assert_eq!(active.as_deref(), Some("srcs"));
    let hover = hover_text(&format!(
        "{defs}//- /app/BUILD\n{load}my_library(name = \"a\", sr$0cs = [])\n"
    ))
    .expect("hover");
    assert!(
        hover.starts_with("`srcs` of `cc_library`, through `**kwargs` of `my_library`"),
        "{hover}"
    );
    let hover = hover_text(&format!(
        "{defs}//- /app/BUILD\n{load}my_lib$0rary(name = \"a\")\n"
    ))
    .expect("hover");
    assert!(hover.contains("`**kwargs` reach `cc_library`"), "{hover}");
    // Unknown attributes through macros: in Bazel's words, with the near
    // name; none where the macro may consume a keyword itself.
    let found = semantic(&format!(
        "{defs}//- /app/BUILD\n{load}my_library(name = \"a\", srcz = [], extra = [])\n\
         outer(name = \"b\", depz = [])\nmy_gen(name = \"c\", templat = \":t\")\n\
         popper(name = \"d\", flavor = \"x\")\ntwice(name = \"e\", anything = 1)\n\
         my_library(name = \"f\", linkstatic = False)\n$0"
    ));
    assert_eq!(
        found,
        [
            "unknown-attribute@2: no such attribute 'srcz' in 'cc_library' rule (did you mean 'srcs'?)",
            "unknown-attribute@3: no such attribute 'depz' in 'cc_library' rule (did you mean 'deps'?)",
            "unknown-attribute@4: no such attribute 'templat' in 'gen_rule' rule (did you mean 'template'?)",
        ]
    );
    // A rule set's wrapper not on disk: the native rule's attributes are
    // offered, nothing is judged.
    let wrap = "//- /build/BUILD\n//- /build/wrap.bzl\nload(\"@rules_cc//cc:defs.bzl\", \"cc_library\")\ndef wrap(name, **kwargs):\n    cc_library(name = name, **kwargs)\n";
    let load = "load(\"//build:wrap.bzl\", \"wrap\")\n";
    let items = names(&format!(
        "{wrap}//- /app/BUILD\n{load}wrap(name = \"a\", hd$0)\n"
    ));
    assert_eq!(items, ["hdrs = "]);
    assert!(semantic(&format!(
        "{wrap}//- /app/BUILD\n{load}wrap(name = \"a\", hdrz = [])\n$0"
    ))
    .is_empty());
}
