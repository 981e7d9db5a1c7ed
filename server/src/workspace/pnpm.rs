//! pnpm lock files (`pnpm-lock.yaml`) as rules_js reads them, and the
//! stand-in bzls evaluates for the `defs.bzl` of a repository
//! `npm_translate_lock` makes from one.
//!
//! rules_js generates `@npm//:defs.bzl` from the lock file when Bazel
//! fetches the repository. Its `npm_link_all_packages()`, called in the
//! Bazel package of a pnpm project (an *importer* of the lock file), makes
//! `node_modules/<name>` and `node_modules/<name>/dir` for each package the
//! project depends on, `node_modules/@<scope>` for each scope among them,
//! and `node_modules` itself. A fresh checkout has no such repository, so
//! bzls writes its own `defs.bzl` from the lock file ([`defs_module`]): the
//! same target names, as `filegroup`s, and nothing else. The package-store
//! targets the lock's own package gets (`.aspect_rules_js/...`, named after
//! versions and peer dependencies) are left to an unfollowed call, so any
//! name under that prefix may exist.
//!
//! Pure: the host reads the lock file and answers the module's text.

use std::fmt::Write as _;

/// What bzls reads of a lock file: the packages each importer depends on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnpmLock {
    /// In file order; each path at most once.
    pub importers: Vec<Importer>,
}

/// One pnpm project of a lock file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Importer {
    /// Relative to the lock file's directory, `/`-separated, `""` for the
    /// directory itself (pnpm's `.`). Never holds `.` or `..` segments.
    pub path: String,
    /// `dependencies` and `optionalDependencies`, by the names the project
    /// uses (an alias, where the lock gives one).
    pub prod: Vec<String>,
    /// `devDependencies`.
    pub dev: Vec<String>,
}

/// The sections of an importer that rules_js links, and whether each is
/// for production (`prod = True`) rather than development.
const DEPENDENCY_SECTIONS: [(&str, bool); 3] = [
    ("dependencies", true),
    ("optionalDependencies", true),
    ("devDependencies", false),
];

/// Reads the importers of a lock file, any version pnpm writes (5.x with or
/// without `importers:`, 6, 9): block mappings by indentation, keys plain
/// or quoted. Whatever cannot be read is skipped. Stops at the first
/// top-level `packages:` or `snapshots:` (the bulk of a large lock file,
/// which names no importer). `None` for a text without pnpm's top-level
/// `lockfileVersion` (not a lock file, or a corrupt one): bzls then cannot
/// say what `npm_link_all_packages()` makes, rather than saying "nothing".
pub fn parse(text: &str) -> Option<PnpmLock> {
    let mut lock = PnpmLock::default();
    let mut saw_version = false;
    // The keys of the mappings around the current line, with their indents.
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut saw_importers = false;
    for line in text.lines() {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') || content.starts_with('-') {
            continue;
        }
        let indent = line.len() - content.len();
        let Some(key) = mapping_key(content) else {
            continue;
        };
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        if path.is_empty() && matches!(key.as_str(), "packages" | "snapshots") {
            break;
        }
        path.push((indent, key));
        let keys: Vec<&str> = path.iter().map(|(_, k)| k.as_str()).collect();
        match keys.as_slice() {
            ["importers"] => saw_importers = true,
            ["lockfileVersion"] => saw_version = true,
            ["importers", importer, section, name] => {
                if let Some(importer) = normalize(importer) {
                    add(&mut lock, importer, section, name);
                }
            }
            // A lock file of one project (pnpm 5 without workspaces).
            [section, name] if !saw_importers => add(&mut lock, String::new(), section, name),
            _ => {}
        }
    }
    saw_version.then_some(lock)
}

fn add(lock: &mut PnpmLock, importer: String, section: &str, name: &str) {
    let Some(&(_, prod)) = DEPENDENCY_SECTIONS.iter().find(|(s, _)| *s == section) else {
        return;
    };
    if !is_package_name(name) {
        return;
    }
    let at = match lock.importers.iter().position(|i| i.path == importer) {
        Some(at) => at,
        None => {
            lock.importers.push(Importer {
                path: importer,
                ..Importer::default()
            });
            lock.importers.len() - 1
        }
    };
    let entry = &mut lock.importers[at];
    let names = if prod {
        &mut entry.prod
    } else {
        &mut entry.dev
    };
    if !names.iter().any(|n| n == name) {
        names.push(name.to_string());
    }
}

/// An importer path as pnpm writes it (`.`, `packages/a`, `./b`), without
/// `.` segments; `None` for one leaving the lock file's directory or not a
/// plain relative path.
fn normalize(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part if part.contains('\\') || part.contains(':') => return None,
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Whether `name` can be an npm package name (`x`, `@scope/x`) that a
/// target name can hold: printable, no quotes or backslashes, at most one
/// `/` and only after a scope.
fn is_package_name(name: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    };
    match name.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, rest)| plain(scope) && plain(rest)),
        None => plain(name),
    }
}

/// The key of a line `key:` or `key: value` of a block mapping, unquoted;
/// `None` for any other line.
fn mapping_key(content: &str) -> Option<String> {
    let (key, rest) = match content.chars().next()? {
        quote @ ('\'' | '"') => {
            let mut key = String::new();
            let mut chars = content[1..].char_indices();
            loop {
                let (at, c) = chars.next()?;
                if c == quote {
                    // '' is a quote inside a single-quoted key.
                    if quote == '\'' && content[1 + at + 1..].starts_with('\'') {
                        chars.next();
                        key.push('\'');
                        continue;
                    }
                    break (key, &content[1 + at + 1..]);
                }
                if quote == '"' && c == '\\' {
                    let (_, escaped) = chars.next()?;
                    key.push(escaped);
                    continue;
                }
                key.push(c);
            }
        }
        _ => {
            let colon = content
                .match_indices(':')
                .map(|(at, _)| at)
                .find(|&at| content[at + 1..].is_empty() || content[at + 1..].starts_with(' '))?;
            (content[..colon].trim_end().to_string(), &content[colon..])
        }
    };
    let rest = rest.trim_start_matches(' ');
    (rest == ":" || rest.starts_with(": ")).then_some(key)
}

impl PnpmLock {
    /// The importer whose Bazel package is `package`, the lock file being
    /// in package `lock_package`.
    pub fn importer_of(&self, lock_package: &str, package: &str) -> Option<&Importer> {
        self.importers
            .iter()
            .find(|i| join(lock_package, &i.path) == package)
    }
}

fn join(package: &str, path: &str) -> String {
    match (package.is_empty(), path.is_empty()) {
        (_, true) => package.to_string(),
        (true, false) => path.to_string(),
        (false, false) => format!("{package}/{path}"),
    }
}

/// The text bzls evaluates for `defs.bzl` of the repository made from the
/// lock file `lock` in package `lock_package` (see the module docs):
/// `npm_link_all_packages` and `npm_link_targets` with rules_js's
/// parameters, declaring the names rules_js's would.
pub fn defs_module(lock: &PnpmLock, lock_package: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# bzls's stand-in for the defs.bzl rules_js generates from //{lock_package}:pnpm-lock.yaml."
    );
    // A module not on disk: its calls are not followed (see the module docs).
    out.push_str("load(\"@bzls_unfollowed//:npm.bzl\", \"npm_package_store\")\n\n");
    out.push_str("_IMPORTERS = {\n");
    for importer in &lock.importers {
        let _ = writeln!(
            out,
            "    {}: ({}, {}),",
            quoted(&join(lock_package, &importer.path)),
            string_list(&importer.prod),
            string_list(&importer.dev),
        );
    }
    out.push_str("}\n\n");
    let _ = writeln!(out, "_ROOT_PACKAGE = {}\n", quoted(lock_package));
    out.push_str(DEFS_FUNCTIONS);
    out
}

/// The functions of [`defs_module`], after its `_IMPORTERS` and
/// `_ROOT_PACKAGE`.
const DEFS_FUNCTIONS: &str = r#"def _linked(package, prod, dev):
    entry = _IMPORTERS.get(package)
    if entry == None:
        return None
    return (entry[0] if prod else []) + (entry[1] if dev else [])

def npm_link_all_packages(name = "node_modules", imported_links = [], prod = True, dev = True):
    """Links the npm packages of this Bazel package's pnpm project (read by bzls from the lock file)."""
    package = native.package_name()
    if package == _ROOT_PACKAGE:
        npm_package_store(name = ".aspect_rules_js")
    linked = _linked(package, prod, dev)
    scopes = {}
    for dependency in linked or []:
        native.filegroup(name = name + "/" + dependency, tags = ["manual"])
        native.filegroup(name = name + "/" + dependency + "/dir", tags = ["manual"])
        if dependency.startswith("@"):
            scopes[dependency.split("/")[0]] = True
    for link in imported_links:
        link(name, prod, dev)
    for scope in scopes:
        native.filegroup(name = name + "/" + scope, tags = ["manual"])
    if linked != None:
        native.filegroup(name = name, tags = ["manual"])

def npm_link_targets(name = "node_modules", package = None, prod = True, dev = True):
    """The labels of the packages npm_link_all_packages links in `package` (this package by default)."""
    package = package if package != None else native.package_name()
    return ["//%s:%s/%s" % (package, name, dependency) for dependency in _linked(package, prod, dev) or []]
"#;

/// A Starlark string literal of `s` (names are checked by
/// [`is_package_name`]; paths come from the file system).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn string_list(names: &[String]) -> String {
    let items: Vec<String> = names.iter().map(|n| quoted(n)).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> PnpmLock {
        parse(text).expect("a lock file")
    }

    fn importer(path: &str, prod: &[&str], dev: &[&str]) -> Importer {
        Importer {
            path: path.to_string(),
            prod: prod.iter().map(|s| s.to_string()).collect(),
            dev: dev.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn version_9_importers() {
        let lock = parse_ok(
            "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .:\n    devDependencies:\n      '@bazel/runfiles':\n        specifier: ^6.3.0\n        version: 6.5.0\n      chalk:\n        specifier: 5.1.1\n        version: 5.1.1\n\n  js/private/bundle:\n    dependencies:\n      c8:\n        specifier: 10.1.3\n        version: 10.1.3\n    optionalDependencies:\n      \"fsevents\":\n        specifier: '*'\n        version: 2.3.3\n    devDependencies: {}\n\npackages:\n\n  c8@10.1.3:\n    dependencies:\n      foo: 1.0.0\n",
        );
        assert_eq!(
            lock.importers,
            vec![
                importer("", &[], &["@bazel/runfiles", "chalk"]),
                importer("js/private/bundle", &["c8", "fsevents"], &[]),
            ]
        );
    }

    #[test]
    fn version_5_with_and_without_importers() {
        let lock = parse_ok(
            "lockfileVersion: 5.4\n\nimporters:\n\n  .:\n    specifiers:\n      a: ^1.0.0\n    dependencies:\n      a: 1.0.0\n\n  ./packages/b:\n    specifiers:\n      c: ^2\n    devDependencies:\n      c: 2.0.0\n  ../outside:\n    dependencies:\n      d: 1.0.0\n",
        );
        assert_eq!(
            lock.importers,
            vec![
                importer("", &["a"], &[]),
                importer("packages/b", &[], &["c"])
            ]
        );
        let single = parse_ok(
            "lockfileVersion: 5.3\n\nspecifiers:\n  x: ^1\n  y: ^2\n\ndependencies:\n  x: 1.0.0\n\ndevDependencies:\n  y: 2.0.0 # comment\n\npackages:\n\n  /x/1.0.0:\n    dependencies:\n      z: 1.0.0\n",
        );
        assert_eq!(single.importers, vec![importer("", &["x"], &["y"])]);
    }

    #[test]
    fn garbage_gives_what_it_can() {
        // Not a lock file: nothing is known, not "no dependencies".
        for text in [
            "",
            "\0\u{1}::::",
            "importers:\n  .:\n    dependencies:\n      a: 1\n",
            "settings:\n  lockfileVersion: 9\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        for text in [
            "lockfileVersion: 9\nimporters:\n  .:\n    dependencies:\n      'unterminated:\n",
            "lockfileVersion: 9\nimporters: [1, 2]\n- a\n  - b: c\n",
            "lockfileVersion: 9\nimporters:\n\t.:\n",
        ] {
            let lock = parse_ok(text);
            assert!(lock
                .importers
                .iter()
                .all(|i| i.prod.len() + i.dev.len() > 0));
        }
        let lock = parse_ok(
            "lockfileVersion: 9\nimporters:\n  .:\n    dependencies:\n      'a\"b': 1\n      ok: 1\n      ../x: 1\n",
        );
        assert_eq!(lock.importers, vec![importer("", &["ok"], &[])]);
        // A merge conflict in the lock file: both sides' dependencies.
        let lock = parse_ok(
            "lockfileVersion: 9\nimporters:\n  .:\n    dependencies:\n<<<<<<< HEAD\n      a: 1\n=======\n      b: 1\n>>>>>>> branch\n",
        );
        assert_eq!(lock.importers, vec![importer("", &["a", "b"], &[])]);
    }

    #[test]
    fn keys() {
        assert_eq!(mapping_key("a: b").as_deref(), Some("a"));
        assert_eq!(mapping_key("a:").as_deref(), Some("a"));
        assert_eq!(mapping_key("'@s/x':").as_deref(), Some("@s/x"));
        assert_eq!(mapping_key("'it''s': 1").as_deref(), Some("it's"));
        assert_eq!(mapping_key("\"a\\\"b\": 1").as_deref(), Some("a\"b"));
        assert_eq!(mapping_key("http://x: 1").as_deref(), Some("http://x"));
        assert_eq!(mapping_key("no colon"), None);
        assert_eq!(mapping_key("'open"), None);
    }

    #[test]
    fn importers_map_to_bazel_packages() {
        let lock = PnpmLock {
            importers: vec![importer("", &["a"], &[]), importer("web", &["b"], &[])],
        };
        assert_eq!(
            lock.importer_of("", "web").map(|i| &i.prod[0][..]),
            Some("b")
        );
        assert_eq!(
            lock.importer_of("js", "js").map(|i| &i.prod[0][..]),
            Some("a")
        );
        assert_eq!(
            lock.importer_of("js", "js/web").map(|i| &i.prod[0][..]),
            Some("b")
        );
        assert!(lock.importer_of("js", "web").is_none());
        let defs = defs_module(&lock, "js");
        assert!(defs.contains("    \"js\": ([\"a\"], []),\n"), "{defs}");
        assert!(defs.contains("    \"js/web\": ([\"b\"], []),\n"), "{defs}");
        assert!(defs.contains("_ROOT_PACKAGE = \"js\"\n"), "{defs}");
    }
}
