//! `editors/helix/languages.toml` against Helix's documented schema (the
//! book's "Languages" chapter: `[[language]]`, `[language-server.*]`,
//! `[[grammar]]`), and Helix's file-type rules applied to the Bazel files.
//! Helix itself is not installed here: this reads the file as Helix would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

fn languages_toml() -> String {
    std::fs::read_to_string(repo().join("editors/helix/languages.toml")).expect("languages.toml")
}

fn parse(text: &str) -> Table {
    text.parse::<Table>()
        .unwrap_or_else(|e| panic!("not TOML: {e}\n{text}"))
}

/// Keys Helix documents for a `[[language]]`.
const LANGUAGE_KEYS: &[&str] = &[
    "name",
    "language-id",
    "scope",
    "injection-regex",
    "file-types",
    "shebangs",
    "roots",
    "auto-format",
    "diagnostic-severity",
    "comment-tokens",
    "comment-token",
    "block-comment-tokens",
    "indent",
    "language-servers",
    "grammar",
    "formatter",
    "soft-wrap",
    "text-width",
    "rulers",
    "path-completion",
    "word-completion",
    "workspace-lsp-roots",
    "persistent-diagnostic-sources",
    "rainbow-brackets",
    "code-actions-on-save",
];

/// Keys Helix documents for a `[language-server.NAME]`.
const SERVER_KEYS: &[&str] = &[
    "command",
    "args",
    "config",
    "timeout",
    "environment",
    "required-root-patterns",
];

/// The settings bzls reads (README, "Settings"), without `bzls.`.
const BZLS_SETTINGS: &[&str] = &["command", "configs", "flags", "rc", "bazel"];

const ROOT_MARKERS: &[&str] = &["MODULE.bazel", "REPO.bazel", "WORKSPACE", "WORKSPACE.bazel"];

fn keys(table: &Table) -> BTreeSet<&str> {
    table.keys().map(String::as_str).collect()
}

fn assert_keys_within(what: &str, table: &Table, allowed: &[&str]) {
    let unknown: Vec<&str> = keys(table)
        .into_iter()
        .filter(|k| !allowed.contains(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what}: keys Helix does not document: {unknown:?}"
    );
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn languages(doc: &Table) -> Vec<&Table> {
    doc["language"]
        .as_array()
        .expect("[[language]] entries")
        .iter()
        .map(|v| v.as_table().expect("[[language]] is a table"))
        .collect()
}

fn language<'a>(doc: &'a Table, name: &str) -> &'a Table {
    languages(doc)
        .into_iter()
        .find(|l| l.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no [[language]] named {name}"))
}

/// Helix's glob matching for `file-types` (globset defaults, where `*` also
/// matches `/`): a glob that is not absolute and does not start with a glob
/// character gets `*/` in front. Only `*` and `?` are used in the file.
fn glob_matches(glob: &str, path: &str) -> bool {
    let glob = if glob.starts_with('/') || glob.starts_with(['*', '?', '[', '{']) {
        glob.to_owned()
    } else {
        format!("*/{glob}")
    };
    fn matches(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| matches(rest, &s[i..])),
            Some((b'?', rest)) => !s.is_empty() && matches(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && matches(rest, &s[1..]),
        }
    }
    matches(glob.as_bytes(), path.as_bytes())
}

/// The language Helix picks for `path`: a glob match first, then the
/// extension, as the book's "File-type detection" describes.
fn language_for<'a>(doc: &'a Table, path: &str) -> Option<&'a str> {
    let name = |l: &'a Table| l["name"].as_str().expect("name");
    for lang in languages(doc) {
        for ft in lang["file-types"].as_array().expect("file-types") {
            if let Some(glob) = ft.get("glob").and_then(Value::as_str) {
                if glob_matches(glob, path) {
                    return Some(name(lang));
                }
            }
        }
    }
    let extension = Path::new(path).extension()?.to_str()?;
    languages(doc).into_iter().find_map(|lang| {
        lang["file-types"]
            .as_array()
            .expect("file-types")
            .iter()
            .any(|ft| ft.as_str() == Some(extension))
            .then(|| name(lang))
    })
}

#[test]
fn languages_toml_uses_only_documented_keys() {
    let doc = parse(&languages_toml());
    assert_keys_within(
        "top level",
        &doc,
        &["use-grammars", "language", "language-server", "grammar"],
    );
    for lang in languages(&doc) {
        let name = lang["name"].as_str().expect("name");
        assert_keys_within(&format!("[[language]] {name}"), lang, LANGUAGE_KEYS);
        if let Some(indent) = lang.get("indent") {
            let indent = indent.as_table().expect("indent table");
            assert_keys_within("indent", indent, &["tab-width", "unit"]);
            assert_eq!(keys(indent).len(), 2, "indent needs tab-width and unit");
        }
        for ft in lang["file-types"].as_array().expect("file-types") {
            match ft {
                Value::String(_) => {}
                Value::Table(t) => {
                    assert_eq!(keys(t), BTreeSet::from(["glob"]), "{name}: {ft}");
                    let glob = t["glob"].as_str().expect("glob string");
                    assert!(
                        !glob.contains(['[', '{', '\\']),
                        "{name}: the test's matcher only knows * and ?: {glob}"
                    );
                }
                other => panic!("{name}: a file type is a string or {{ glob }}: {other}"),
            }
        }
        for server in lang["language-servers"]
            .as_array()
            .expect("language-servers")
        {
            match server {
                Value::String(_) => {}
                Value::Table(t) => assert_keys_within(
                    "language-servers entry",
                    t,
                    &["name", "only-features", "except-features"],
                ),
                other => panic!("{name}: bad language-servers entry {other}"),
            }
        }
    }
    let servers = doc["language-server"]
        .as_table()
        .expect("[language-server]");
    for (name, server) in servers {
        let server = server.as_table().expect("server table");
        assert_keys_within(&format!("[language-server.{name}]"), server, SERVER_KEYS);
    }
    for grammar in doc["grammar"].as_array().expect("[[grammar]]") {
        let grammar = grammar.as_table().expect("grammar table");
        assert_keys_within("[[grammar]]", grammar, &["name", "source"]);
        let source = grammar["source"].as_table().expect("source table");
        let source_keys = keys(source);
        assert!(
            source_keys == BTreeSet::from(["path"])
                || (source_keys.contains("git")
                    && source_keys.contains("rev")
                    && source_keys.is_subset(&BTreeSet::from(["git", "rev", "subpath"]))),
            "a grammar source is {{path}} or {{git, rev, subpath?}}: {source_keys:?}"
        );
    }
}

#[test]
fn bzls_serves_starlark_and_bazelrc() {
    let doc = parse(&languages_toml());
    let server = doc["language-server"]["bzls"].as_table().expect("bzls");
    assert_eq!(server["command"].as_str(), Some("bzls"));
    assert_eq!(strings(server.get("args")), ["serve"]);
    let config = server["config"].as_table().expect("config");
    assert_keys_within("bzls settings", config, BZLS_SETTINGS);
    assert!(config["configs"].is_array() && config["flags"].is_array());

    for name in ["starlark", "bazelrc"] {
        let lang = language(&doc, name);
        assert_eq!(strings(lang.get("language-servers")), ["bzls"], "{name}");
        assert_eq!(strings(lang.get("roots")), ROOT_MARKERS, "{name}");
        assert_eq!(lang["comment-token"].as_str(), Some("#"), "{name}");
        assert_eq!(
            lang["scope"].as_str(),
            Some(format!("source.{name}").as_str())
        );
    }
    // Starlark keeps Helix's grammar (Python's, which Helix ships).
    assert_eq!(
        language(&doc, "starlark")["grammar"].as_str(),
        Some("python")
    );

    // Which files go where, by Helix's rules.
    for (path, expected) in [
        ("/ws/BUILD", "starlark"),
        ("/ws/pkg/BUILD.bazel", "starlark"),
        ("/ws/third_party/zlib.BUILD", "starlark"),
        ("/ws/pkg/defs.bzl", "starlark"),
        ("/ws/WORKSPACE", "starlark"),
        ("/ws/WORKSPACE.bazel", "starlark"),
        ("/ws/WORKSPACE.bzlmod", "starlark"),
        ("/ws/MODULE.bazel", "starlark"),
        ("/ws/REPO.bazel", "starlark"),
        ("/ws/tools/script.star", "starlark"),
        ("/ws/.bazelrc", "bazelrc"),
        ("/home/me/.bazelrc", "bazelrc"),
        ("/ws/tools/ci.bazelrc", "bazelrc"),
        ("/etc/bazel.bazelrc", "bazelrc"),
        ("/ws/bazel.rc", "bazelrc"),
    ] {
        assert_eq!(language_for(&doc, path), Some(expected), "{path}");
    }
    for other in [
        "/ws/main.py",
        "/ws/BUILDING.md.txt",
        "/ws/.bashrc",
        "/ws/x.rc",
    ] {
        assert_eq!(language_for(&doc, other), None, "{other}");
    }
}

#[test]
fn bazelrc_grammar_entry_points_at_the_grammar() {
    let text = languages_toml();
    let doc = parse(&text);
    let bazelrc = language(&doc, "bazelrc");
    assert_eq!(bazelrc["grammar"].as_str(), Some("bazelrc"));
    assert_eq!(bazelrc["injection-regex"].as_str(), Some("^bazelrc$"));
    let grammars: Vec<&Table> = doc["grammar"]
        .as_array()
        .expect("[[grammar]]")
        .iter()
        .filter_map(Value::as_table)
        .filter(|g| g["name"].as_str() == Some("bazelrc"))
        .collect();
    assert_eq!(grammars.len(), 1, "one [[grammar]] named bazelrc");
    // The local form: the grammar/ folder of a checkout.
    let path = grammars[0]["source"]["path"].as_str().expect("source.path");
    assert!(
        Path::new(path).is_absolute() && path.ends_with("/grammar"),
        "{path}"
    );
    // What `hx --grammar build` compiles, and the queries to copy.
    let grammar = repo().join("grammar");
    for file in ["src/parser.c", "src/scanner.c", "queries/highlights.scm"] {
        assert!(grammar.join(file).is_file(), "grammar/{file} is missing");
    }
    let tree_sitter_json =
        std::fs::read_to_string(grammar.join("tree-sitter.json")).expect("tree-sitter.json");
    assert!(tree_sitter_json.contains("\"name\": \"bazelrc\""));

    // The git form, commented out below it, parses and is complete.
    let git: String = text
        .lines()
        .skip_while(|l| !l.starts_with("# [[grammar]]"))
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{}\n", l.trim_start_matches('#').trim_start()))
        .collect();
    let git = parse(&git);
    let entry = git["grammar"].as_array().expect("commented [[grammar]]")[0]
        .as_table()
        .expect("table");
    assert_eq!(entry["name"].as_str(), Some("bazelrc"));
    let source = entry["source"].as_table().expect("source");
    assert_eq!(
        keys(source),
        BTreeSet::from(["git", "rev", "subpath"]),
        "{source:?}"
    );
    assert_eq!(source["subpath"].as_str(), Some("grammar"));

    // The copy-in instructions name what Helix needs.
    for needle in [
        "hx --grammar fetch",
        "hx --grammar build",
        "runtime/queries/bazelrc",
        "languages.toml",
    ] {
        assert!(
            text.contains(needle),
            "languages.toml does not mention {needle}"
        );
    }
}
