//! The external repositories of a workspace on disk, found without running
//! Bazel: the files that declare them (`MODULE.bazel` and what it
//! includes, `WORKSPACE.bazel` or `WORKSPACE`, `WORKSPACE.bzlmod`), read
//! with [`crate::workspace::repos`], and for each repository the directory
//! that holds it, when one exists:
//!
//! - a local path (`local_repository(path)`, `local_path_override(path)`),
//!   relative to the root or absolute;
//! - else `<output_base>/external/<dir>`, where the output base is found
//!   through the `bazel-<root's basename>` convenience symlink (it points to
//!   `<output_base>/execroot/<name>`). WORKSPACE repositories live under
//!   their apparent name; Bzlmod ones under canonical names
//!   (`rules_cc~0.0.9`, `rules_cc~`, `rules_cc+`; `_main~ext~name`,
//!   `+ext+name`, `mod+ext+name`), matched by module name for `bazel_dep`s
//!   and by the last `~`/`+` segment for extension repositories, and only
//!   when the match is unambiguous.
//!
//! All the files are merged: which ones Bazel reads depends on its version
//! and flags (`--enable_bzlmod`, `--enable_workspace`), and a superset never
//! makes a false alarm. Missing files and directories are normal; nothing
//! here panics or follows a symlink more than one step.

use std::path::{Path, PathBuf};

use ropey::Rope;

use crate::hash::{FastMap, FastSet};
use crate::text::TextRange;
use crate::workspace::label::{parse_label, Repo};
use crate::workspace::repos::{module_repos, workspace_repos, RepoDecl, RepoSet, RepoSource};

/// Files larger than this are not read.
const MAX_FILE: u64 = 10 * 1024 * 1024;

/// At most this many files are included (an include cycle ends earlier:
/// no file is read twice).
const MAX_INCLUDES: usize = 256;

/// A workspace's external repositories.
#[derive(Clone, Debug, Default)]
pub struct Repositories {
    pub set: RepoSet,
    /// Apparent name → the repository's directory, for those found.
    pub on_disk: FastMap<String, PathBuf>,
    /// The repositories of [`Repositories::on_disk`] known to be whole: a
    /// local path, or a directory of `output_base/external` whose fetch
    /// Bazel finished (it writes `external/@<dir>.marker` then). Labels
    /// into the others are not judged (a fetch may be under way).
    pub complete: FastSet<String>,
    /// Workspace-relative paths of the workspace's BUILD files that a
    /// repository rule uses as another repository's BUILD file
    /// (`build_file = "//third_party/zlib:BUILD.bazel"`), found by
    /// [`scan_workspace_files`].
    pub foreign_build_files: FastSet<String>,
    /// `bind(name = ...)` → where that name string is (a WORKSPACE file or
    /// a `.bzl` file it loads), for `//external:name`.
    pub binds: FastMap<String, (PathBuf, TextRange)>,
}

impl Repositories {
    /// The directory of `@apparent`, when it is on disk.
    pub fn path_of(&self, apparent: &str) -> Option<&Path> {
        self.on_disk.get(apparent).map(PathBuf::as_path)
    }
}

/// Reads a Starlark file; `None` when missing, too large or unreadable.
fn read_starlark(path: &Path) -> Option<(tree_sitter::Tree, Rope)> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let tree = crate::syntax::parse_str(&text);
    Some((tree, Rope::from_str(&text)))
}

/// The path of an `include()` label of the main repository.
fn include_path(root: &Path, label: &str) -> Option<PathBuf> {
    let label = parse_label(label).ok()?;
    if !matches!(label.repo, Repo::Current | Repo::Main) {
        return None;
    }
    let package = label.package.unwrap_or_default();
    Some(root.join(package).join(label.name))
}

/// The repositories of the workspace at `root`.
pub fn load_repositories(root: &Path) -> Repositories {
    let mut set = RepoSet::default();
    if let Some((tree, rope)) = read_starlark(&root.join("MODULE.bazel")) {
        set = module_repos(&tree, &rope);
        let mut done: Vec<String> = Vec::new();
        let mut next = 0;
        while next < set.includes.len() && done.len() < MAX_INCLUDES {
            let label = set.includes[next].clone();
            next += 1;
            if done.contains(&label) {
                continue;
            }
            done.push(label.clone());
            match include_path(root, &label).and_then(|p| read_starlark(&p)) {
                Some((tree, rope)) => set.merge(module_repos(&tree, &rope)),
                // An include we cannot read may declare anything.
                None => set.open = true,
            }
        }
    }
    let workspace = ["WORKSPACE.bazel", "WORKSPACE"]
        .iter()
        .map(|name| root.join(name))
        .find(|p| p.is_file());
    for path in workspace
        .into_iter()
        .chain(std::iter::once(root.join("WORKSPACE.bzlmod")))
    {
        if let Some((tree, rope)) = read_starlark(&path) {
            set.merge(workspace_repos(&tree, &rope));
        }
    }
    let (on_disk, complete) = find_on_disk(root, &set);
    let (foreign_build_files, binds) = scan_workspace_files(root);
    Repositories {
        set,
        on_disk,
        complete,
        foreign_build_files,
        binds,
    }
}

/// At most this many `.bzl` files are read by [`scan_workspace_files`].
const MAX_SCANNED_BZL: usize = 256;

/// Reads the files that declare repositories (`WORKSPACE`,
/// `WORKSPACE.bazel`, `WORKSPACE.bzlmod`, `MODULE.bazel`) and the
/// main-repository `.bzl` files they load, transitively, for:
/// - the workspace's `BUILD`/`BUILD.bazel` files given as a `build_file`
///   (a main-repository label, as a string or in `Label(...)`): a
///   repository rule given such a file (`build_file =
///   "//third_party/zlib:BUILD.bazel"`) makes it the BUILD file of another
///   repository, whose labels are that repository's;
/// - the `bind()`s (`bind`, `native.bind`) and where their names are.
pub fn scan_workspace_files(
    root: &Path,
) -> (FastSet<String>, FastMap<String, (PathBuf, TextRange)>) {
    let mut found = FastSet::default();
    let mut binds = FastMap::default();
    let mut queue: Vec<PathBuf> = [
        "WORKSPACE",
        "WORKSPACE.bazel",
        "WORKSPACE.bzlmod",
        "MODULE.bazel",
    ]
    .iter()
    .map(|name| root.join(name))
    .collect();
    let mut seen: FastSet<PathBuf> = FastSet::default();
    while let Some(path) = queue.pop() {
        if seen.len() >= MAX_SCANNED_BZL + 4 || !seen.insert(path.clone()) {
            continue;
        }
        let Some((tree, rope)) = read_starlark(&path) else {
            continue;
        };
        let package = path
            .parent()
            .and_then(|dir| dir.strip_prefix(root).ok())
            .and_then(Path::to_str)
            .unwrap_or("")
            .to_string();
        let main_label = |text: &str| {
            parse_label(text)
                .ok()
                .filter(|l| matches!(l.repo, Repo::Current | Repo::Main))
                .map(|l| {
                    let dir = l.package.clone().unwrap_or_else(|| package.clone());
                    if dir.is_empty() {
                        l.name
                    } else {
                        format!("{dir}/{}", l.name)
                    }
                })
        };
        for load in crate::workspace::package::load_decls(&tree, &rope) {
            if let Some(file) = main_label(&load.module) {
                queue.push(root.join(file));
            }
        }
        crate::syntax::walk_preorder(tree.root_node(), |node| {
            if node.kind() == "call" {
                let callee = node
                    .child_by_field_name("function")
                    .map(|f| rope.byte_slice(f.byte_range()).to_string());
                if matches!(callee.as_deref(), Some("bind" | "native.bind")) {
                    if let Some((name, range)) = node
                        .child_by_field_name("arguments")
                        .and_then(|args| keyword_string(args, &rope, "name"))
                    {
                        binds.entry(name).or_insert_with(|| (path.clone(), range));
                    }
                }
                return true;
            }
            if node.kind() != "keyword_argument" {
                return true;
            }
            let is_build_file = node
                .child_by_field_name("name")
                .is_some_and(|n| rope.byte_slice(n.byte_range()) == "build_file");
            let value = node
                .child_by_field_name("value")
                .and_then(|value| match value.kind() {
                    "string" => Some(value),
                    // `Label("//third_party/zlib:BUILD.bazel")`.
                    "call" => value
                        .child_by_field_name("arguments")
                        .and_then(|args| args.named_child(0))
                        .filter(|arg| arg.kind() == "string"),
                    _ => None,
                });
            let file = value
                .filter(|_| is_build_file)
                .and_then(|v| crate::analysis::symbols::string_literal_value(v, &rope))
                .and_then(|text| main_label(&text));
            if let Some(file) = file {
                let base = file.rsplit('/').next().unwrap_or(&file);
                if crate::workspace::is_build_file_name(base) && file != base {
                    found.insert(file);
                }
            }
            true
        });
    }
    (found, binds)
}

/// The value and range of the string given as keyword `key` in an
/// argument list.
fn keyword_string(
    args: tree_sitter::Node<'_>,
    rope: &Rope,
    key: &str,
) -> Option<(String, TextRange)> {
    let mut cursor = args.walk();
    let found = args.named_children(&mut cursor).find_map(|arg| {
        let name = arg.child_by_field_name("name")?;
        if arg.kind() != "keyword_argument" || rope.byte_slice(name.byte_range()) != key {
            return None;
        }
        let value = arg.child_by_field_name("value")?;
        let text = crate::analysis::symbols::string_literal_value(value, rope)?;
        Some((text, crate::syntax::node_range(value)))
    });
    found
}

/// `<output_base>/external`, through the `bazel-<basename>` symlink.
fn external_dir(root: &Path) -> Option<PathBuf> {
    let basename = root.file_name()?.to_str()?;
    let link = root.join(format!("bazel-{basename}"));
    // One step only: the link's own target, never a chain.
    let target = std::fs::read_link(&link).ok()?;
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let external = target.parent()?.parent()?.join("external");
    external.is_dir().then_some(external)
}

/// The directory names under `external`.
fn list_dirs(external: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(external) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort_unstable();
    names
}

fn find_on_disk(root: &Path, set: &RepoSet) -> (FastMap<String, PathBuf>, FastSet<String>) {
    let mut out = FastMap::default();
    let mut complete = FastSet::default();
    let external = external_dir(root);
    let dirs = external.as_deref().map(list_dirs).unwrap_or_default();
    for decl in &set.repos {
        if out.contains_key(&decl.apparent) {
            continue;
        }
        let local = decl.local_path.as_deref().map(|p| root.join(p));
        if let Some(local) = local.filter(|p| p.is_dir()) {
            out.insert(decl.apparent.clone(), local);
            complete.insert(decl.apparent.clone());
            continue;
        }
        if let (Some(external), Some(dir)) = (&external, external_name(decl, &dirs)) {
            if external.join(format!("@{dir}.marker")).is_file() {
                complete.insert(decl.apparent.clone());
            }
            out.insert(decl.apparent.clone(), external.join(dir));
        }
    }
    (out, complete)
}

/// The directory under `external/` holding `decl`, when exactly one fits.
fn external_name<'d>(decl: &RepoDecl, dirs: &'d [String]) -> Option<&'d str> {
    let fits = |dir: &&String| -> bool {
        match &decl.source {
            RepoSource::BazelDep { module, .. } => is_module_dir(dir, module),
            RepoSource::UseRepo { exported, .. } => is_extension_dir(dir, exported),
            RepoSource::RepoRule { .. } => is_extension_dir(dir, &decl.apparent),
            RepoSource::LocalRepository
            | RepoSource::NewLocalRepository
            | RepoSource::WorkspaceRule { .. } => **dir == decl.apparent,
        }
    };
    let mut found = dirs.iter().filter(fits);
    let first = found.next()?;
    found.next().is_none().then_some(first.as_str())
}

/// `module~version`, `module~`, `module+`, `module+version` (or the bare
/// module name, as Bazel 6 under `--noenable_bzlmod` never writes but a
/// `module~` style never makes ambiguous).
fn is_module_dir(dir: &str, module: &str) -> bool {
    let Some(rest) = dir.strip_prefix(module) else {
        return false;
    };
    let mut chars = rest.chars();
    match chars.next() {
        Some('~' | '+') => !chars.as_str().contains(['~', '+']),
        _ => false,
    }
}

/// A canonical name made by an extension or a repo rule: it has a `~` or
/// `+`, and its last segment is `name`.
fn is_extension_dir(dir: &str, name: &str) -> bool {
    dir.rsplit_once(['~', '+'])
        .is_some_and(|(prefix, last)| last == name && !prefix.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixture::{write_file as write, TempDir};

    /// A fake output base with `external/<dir>` for each of `dirs`, linked
    /// from `<root>/bazel-<basename>`.
    fn output_base(root: &Path, base: &Path, dirs: &[&str]) {
        let basename = root.file_name().and_then(|n| n.to_str()).expect("name");
        let execroot = base.join("execroot/_main");
        std::fs::create_dir_all(&execroot).expect("mkdir");
        for dir in dirs {
            std::fs::create_dir_all(base.join("external").join(dir)).expect("mkdir");
        }
        write(base, "external/@rules_cc~0.0.9.marker", "");
        std::os::unix::fs::symlink(&execroot, root.join(format!("bazel-{basename}")))
            .expect("symlink");
    }

    #[test]
    fn bzlmod_tilde_names() {
        let dir = TempDir::new("tilde");
        let ws = dir.0.join("ws");
        write(
            &ws,
            "MODULE.bazel",
            r#"
module(name = "ws")
bazel_dep(name = "rules_cc", version = "0.0.9")
bazel_dep(name = "protobuf", version = "27.0", repo_name = "com_google_protobuf")
bazel_dep(name = "mylib", version = "1.0")
local_path_override(module_name = "mylib", path = "third_party/mylib")
bazel_dep(name = "absent", version = "1.0")
maven = use_extension("@rules_jvm_external//:extensions.bzl", "maven")
use_repo(maven, "maven", junit = "junit_junit")
include("//:more.MODULE.bazel")
"#,
        );
        write(&ws, "more.MODULE.bazel", "bazel_dep(name = \"abseil-cpp\", version = \"1\", repo_name = \"absl\")\ninclude(\"//:more.MODULE.bazel\")\n");
        std::fs::create_dir_all(ws.join("third_party/mylib")).expect("mkdir");
        output_base(
            &ws,
            &dir.0.join("base"),
            &[
                "rules_cc~0.0.9",
                "protobuf~",
                "abseil-cpp~1",
                "rules_jvm_external~~maven~maven",
                "rules_jvm_external~~maven~junit_junit",
                "rules_cc_other~1",
            ],
        );
        let repos = load_repositories(&ws);
        assert!(!repos.set.open, "{:?}", repos.set);
        let ext = dir.0.join("base/external");
        assert_eq!(
            repos.path_of("rules_cc"),
            Some(ext.join("rules_cc~0.0.9").as_path())
        );
        assert_eq!(
            repos.path_of("com_google_protobuf"),
            Some(ext.join("protobuf~").as_path())
        );
        assert_eq!(
            repos.path_of("absl"),
            Some(ext.join("abseil-cpp~1").as_path())
        );
        assert_eq!(
            repos.path_of("maven"),
            Some(ext.join("rules_jvm_external~~maven~maven").as_path())
        );
        assert_eq!(
            repos.path_of("junit"),
            Some(ext.join("rules_jvm_external~~maven~junit_junit").as_path())
        );
        assert_eq!(
            repos.path_of("mylib"),
            Some(ws.join("third_party/mylib").as_path())
        );
        assert_eq!(repos.path_of("absent"), None);
        // Only a local path, or a fetch Bazel marked finished, is whole.
        let mut complete: Vec<&str> = repos.complete.iter().map(String::as_str).collect();
        complete.sort_unstable();
        assert_eq!(complete, vec!["mylib", "rules_cc"]);
    }

    #[test]
    fn bzlmod_plus_names_and_ambiguity() {
        let dir = TempDir::new("plus");
        let ws = dir.0.join("proj");
        write(
            &ws,
            "MODULE.bazel",
            r#"
bazel_dep(name = "rules_cc", version = "0.1.1")
bazel_dep(name = "platforms", version = "0.0.10")
ext = use_extension("//:ext.bzl", "ext")
use_repo(ext, "tool", "twice")
http_archive = use_repo_rule("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
http_archive(name = "archive", urls = ["x"])
"#,
        );
        output_base(
            &ws,
            &dir.0.join("ob"),
            &[
                "rules_cc+",
                "platforms+0.0.10",
                "platforms+0.0.9",
                "+ext+tool",
                "+ext+twice",
                "other+ext2+twice",
                "+_repo_rules+archive",
            ],
        );
        let repos = load_repositories(&ws);
        let ext = dir.0.join("ob/external");
        assert_eq!(
            repos.path_of("rules_cc"),
            Some(ext.join("rules_cc+").as_path())
        );
        assert_eq!(repos.path_of("platforms"), None, "two versions: ambiguous");
        assert_eq!(repos.path_of("tool"), Some(ext.join("+ext+tool").as_path()));
        assert_eq!(repos.path_of("twice"), None, "ambiguous");
        assert_eq!(
            repos.path_of("archive"),
            Some(ext.join("+_repo_rules+archive").as_path())
        );
    }

    #[test]
    fn workspace_repos_on_disk() {
        let dir = TempDir::new("ws");
        let ws = dir.0.join("legacy");
        write(
            &ws,
            "WORKSPACE",
            "workspace(name = \"legacy\")\nlocal_repository(name = \"near\", path = \"../near\")\nlocal_repository(name = \"gone\", path = \"/nonexistent/bzls\")\nhttp_archive(name = \"zlib\", urls = [\"x\"])\n",
        );
        write(&ws, "WORKSPACE.bazel", "http_archive(name = \"wins\")\n");
        write(
            &ws,
            "WORKSPACE.bzlmod",
            "http_archive(name = \"bzlmod_only\")\n",
        );
        std::fs::create_dir_all(dir.0.join("near")).expect("mkdir");
        output_base(&ws, &dir.0.join("out"), &["zlib", "wins"]);
        let repos = load_repositories(&ws);
        assert!(repos.set.get("wins").is_some(), "WORKSPACE.bazel wins");
        assert!(repos.set.get("zlib").is_none());
        assert!(repos.set.get("bzlmod_only").is_some());
        assert_eq!(
            repos.path_of("wins"),
            Some(dir.0.join("out/external/wins").as_path())
        );

        std::fs::remove_file(ws.join("WORKSPACE.bazel")).expect("rm");
        let repos = load_repositories(&ws);
        assert_eq!(repos.set.main_names, vec!["legacy"]);
        assert_eq!(repos.path_of("near"), Some(ws.join("../near").as_path()));
        assert_eq!(repos.path_of("gone"), None);
        assert_eq!(
            repos.path_of("zlib"),
            Some(dir.0.join("out/external/zlib").as_path())
        );
    }

    #[test]
    fn open_workspace() {
        let dir = TempDir::new("open");
        write(
            &dir.0,
            "WORKSPACE",
            "load(\"@grpc//bazel:deps.bzl\", \"grpc_deps\")\ngrpc_deps()\n",
        );
        let repos = load_repositories(&dir.0);
        assert!(repos.set.open);
        assert_eq!(
            repos.set.status("com_github_grpc"),
            crate::workspace::repos::RepoStatus::Undecidable
        );
    }

    #[test]
    fn garbage_and_broken_links() {
        let dir = TempDir::new("garbage");
        let root = &dir.0;
        write(root, "MODULE.bazel", [0u8, 159, 146, 150, 255, b'(', b'"']);
        write(root, "WORKSPACE", "\u{feff}((((\"\n\0");
        std::fs::create_dir_all(root.join("WORKSPACE.bzlmod")).expect("a directory");
        let name = root.file_name().and_then(|n| n.to_str()).expect("name");
        // A dangling link, and a link loop.
        std::os::unix::fs::symlink(root.join("nowhere"), root.join(format!("bazel-{name}")))
            .expect("symlink");
        std::os::unix::fs::symlink(root.join("loop"), root.join("loop")).expect("symlink");
        let repos = load_repositories(root);
        assert!(repos.on_disk.is_empty());
        let repos = load_repositories(&root.join("missing"));
        assert!(repos.set.repos.is_empty());
        let _ = load_repositories(Path::new("/"));

        let dir = TempDir::new("loop");
        let name = dir.0.file_name().and_then(|n| n.to_str()).expect("name");
        let link = dir.0.join(format!("bazel-{name}"));
        std::os::unix::fs::symlink(&link, &link).expect("self loop");
        write(
            &dir.0,
            "MODULE.bazel",
            "bazel_dep(name = \"a\")\ninclude(\"//:MODULE.bazel\")\ninclude(\"@other//:x\")\n",
        );
        let repos = load_repositories(&dir.0);
        assert!(repos.set.get("a").is_some());
        assert!(repos.on_disk.is_empty());
    }

    #[test]
    fn canonical_name_matching() {
        assert!(is_module_dir("rules_cc~0.0.9", "rules_cc"));
        assert!(is_module_dir("rules_cc~", "rules_cc"));
        assert!(is_module_dir("rules_cc+", "rules_cc"));
        assert!(!is_module_dir("rules_cc_ext~1", "rules_cc"));
        assert!(!is_module_dir("rules_cc~~ext~x", "rules_cc"));
        assert!(!is_module_dir("rules_cc", "rules_cc"));
        assert!(is_extension_dir("_main~ext~name", "name"));
        assert!(is_extension_dir("+ext+name", "name"));
        assert!(is_extension_dir("mod+ext+name", "name"));
        assert!(!is_extension_dir("name", "name"));
        assert!(!is_extension_dir("+name", "name"));
        assert!(!is_extension_dir("_main~ext~name2", "name"));
    }
}
