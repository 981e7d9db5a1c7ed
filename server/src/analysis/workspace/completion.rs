//! Completion inside strings: `//` → packages, `//pkg:` → its targets and
//! files, `:` → the current package's targets, `@` → repositories,
//! `@repo//` and `@repo//pkg:` → the packages, targets and files of a
//! repository on disk, file names in file attributes (`srcs`, `hdrs`,
//! `data`, ...), and in `load()` the .bzl files and the names the loaded
//! file exports.

use super::cursor::string_at;
use super::definition::load_file;
use super::{FileContext, WorkspaceView};
use crate::text::TextRange;
use crate::workspace::package::PackageDecls;

/// What a completion item names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Package,
    Target,
    File,
    Directory,
    Symbol,
    Repository,
    /// A parameter or attribute name in a call (inserted as `name = `).
    Parameter,
    /// A native rule.
    Rule,
    /// A function (builtin, or defined in the file).
    Function,
    /// A global variable of the file.
    Variable,
    /// A field of a value (`ctx.label`).
    Field,
    /// A keyword of the language (`def`, `return`, `True`).
    Keyword,
}

/// A completion: `text` replaces `range` (the typed part of the string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub kind: ItemKind,
    /// The rule kind, for targets.
    pub detail: Option<String>,
    pub range: TextRange,
    /// Markdown shown beside the item.
    pub documentation: Option<String>,
    /// A native rule whose documentation (its attributes) is looked up when
    /// the client asks (`completionItem/resolve`): too long to send for
    /// every item.
    pub native_rule: Option<&'static str>,
}

/// A list of completions; `incomplete` when it was cut at [`MAX_ITEMS`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub items: Vec<Item>,
    pub incomplete: bool,
}

/// At most this many items are returned.
pub const MAX_ITEMS: usize = 200;

/// Attributes whose strings are usually file names of the package.
const FILE_ATTRIBUTES: &[&str] = &[
    "srcs",
    "hdrs",
    "textual_hdrs",
    "data",
    "src",
    "resources",
    "additional_linker_inputs",
    "exports_files",
];

pub fn completion(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Option<Completions> {
    let at = string_at(ctx.tree, ctx.rope, offset)?;
    let range = TextRange::new(at.range.start + 1, offset);
    let mut out = Completions::default();
    let prefix = at.prefix.as_str();
    if let Some(module) = &at.load_symbol_of {
        let (path, _) = load_file(&ctx.package, module, &ctx.lookup(view))?;
        let globals = view.bzl_globals(&path)?;
        for name in globals.exported_names() {
            if name.starts_with(prefix) {
                push(&mut out, name.to_string(), ItemKind::Symbol, None, range);
            }
        }
        return Some(out);
    }
    let only_bzl = at.load_module;
    if let Some(rest) = prefix
        .strip_prefix("@//")
        .or_else(|| prefix.strip_prefix("//"))
    {
        let lead = &prefix[..prefix.len() - rest.len()];
        match rest.split_once(':') {
            Some((package, name)) => {
                let head = format!("{lead}{package}:");
                package_contents(ctx, view, package, name, &head, only_bzl, range, &mut out);
            }
            None => packages(view, lead, rest, range, &mut out),
        }
        return Some(out);
    }
    if let Some(name) = prefix.strip_prefix(':') {
        package_contents(
            ctx,
            view,
            &ctx.package.clone(),
            name,
            ":",
            only_bzl,
            range,
            &mut out,
        );
        return Some(out);
    }
    if let Some((name, rest)) = prefix
        .strip_prefix('@')
        .and_then(|typed| typed.split_once("//"))
        .filter(|(name, _)| !name.is_empty() && !name.starts_with('@'))
    {
        external(view, name, rest, only_bzl, range, &mut out);
        return Some(out);
    }
    if let Some(typed) = prefix.strip_prefix('@') {
        if !typed.contains("//") && !typed.starts_with('@') {
            for name in view.repository_names() {
                if name.starts_with(typed) {
                    push(
                        &mut out,
                        format!("@{name}"),
                        ItemKind::Repository,
                        None,
                        range,
                    );
                }
            }
        }
        return Some(out);
    }
    let files_wanted = only_bzl
        || at
            .attr
            .as_deref()
            .is_some_and(|a| FILE_ATTRIBUTES.contains(&a));
    if files_wanted {
        files(view, &ctx.package, prefix, "", only_bzl, range, &mut out);
    }
    Some(out)
}

/// In repository `@name`, when it is on disk: after `@name//`, its
/// packages and directories one path segment at a time; after
/// `@name//pkg:`, the package's targets (as its BUILD file declares them)
/// and files.
fn external(
    view: &dyn WorkspaceView,
    name: &str,
    rest: &str,
    only_bzl: bool,
    range: TextRange,
    out: &mut Completions,
) {
    let Some(root) = view.repository_path(name) else {
        return;
    };
    if !is_plain_path(rest) {
        return;
    }
    let is_build = crate::workspace::is_build_file_name;
    let entries_of = |dir: &str| {
        let entries = view.list_dir_at(&if dir.is_empty() {
            root.clone()
        } else {
            root.join(dir)
        });
        entries
            .iter()
            .filter(|(n, _)| !n.starts_with('.') && !n.starts_with("bazel-"))
            .cloned()
            .collect::<Vec<_>>()
    };
    match rest.split_once(':') {
        Some((package, typed)) => {
            let head = format!("@{name}//{package}:");
            if !only_bzl {
                let decls = view.repository(name).and_then(|repo| repo.decls(package));
                targets(decls.as_deref(), typed, &head, range, out);
            }
            let (sub, _) = typed.rsplit_once('/').unwrap_or(("", typed));
            let dir = [package, sub]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            for (entry, is_dir) in entries_of(&dir) {
                let rel = if sub.is_empty() {
                    entry.clone()
                } else {
                    format!("{sub}/{entry}")
                };
                if !rel.starts_with(typed) || is_build(&entry) {
                    continue;
                }
                if is_dir {
                    let below = root.join(&dir).join(&entry);
                    let subpackage =
                        crate::workspace::build_file_in(&below, |p| view.is_file_at(p)).is_some();
                    if !subpackage {
                        push(
                            out,
                            format!("{head}{rel}/"),
                            ItemKind::Directory,
                            None,
                            range,
                        );
                    }
                } else if !only_bzl || entry.ends_with(".bzl") {
                    push(out, format!("{head}{rel}"), ItemKind::File, None, range);
                }
            }
        }
        None => {
            let base = rest.rfind('/').map_or("", |i| &rest[..i]);
            for (entry, is_dir) in entries_of(base) {
                let path = if base.is_empty() {
                    entry.clone()
                } else {
                    format!("{base}/{entry}")
                };
                if !is_dir || !path.starts_with(rest) {
                    continue;
                }
                let dir = root.join(&path);
                if crate::workspace::build_file_in(&dir, |p| view.is_file_at(p)).is_some() {
                    push(
                        out,
                        format!("@{name}//{path}"),
                        ItemKind::Package,
                        None,
                        range,
                    );
                }
                push(
                    out,
                    format!("@{name}//{path}/"),
                    ItemKind::Directory,
                    None,
                    range,
                );
            }
        }
    }
}

/// A relative path that stays where it starts: no `..` or `.` segment, not
/// absolute (what is typed must not list directories outside the package).
fn is_plain_path(path: &str) -> bool {
    !path.starts_with('/') && !path.split(['/', ':']).any(|s| s == ".." || s == ".")
}

fn push(
    out: &mut Completions,
    text: String,
    kind: ItemKind,
    detail: Option<String>,
    range: TextRange,
) {
    push_item(
        out,
        Item {
            text,
            kind,
            detail,
            range,
            documentation: None,
            native_rule: None,
        },
    );
}

/// Adds `item`, unless the list is at [`MAX_ITEMS`] (then it says it is
/// incomplete).
pub(super) fn push_item(out: &mut Completions, item: Item) {
    if out.items.len() >= MAX_ITEMS {
        out.incomplete = true;
        return;
    }
    out.items.push(item);
}

/// Packages under the typed path, one path segment at a time: the
/// packages at the typed level, and `dir/` for each directory below it
/// that holds packages. `lead` is `//` or `@//`.
fn packages(
    view: &dyn WorkspaceView,
    lead: &str,
    typed: &str,
    range: TextRange,
    out: &mut Completions,
) {
    let sorted = view.sorted_packages();
    let base = typed.rfind('/').map_or("", |i| &typed[..=i]);
    let first = sorted.partition_point(|p| p.as_str() < typed);
    let mut last_dir: Option<&str> = None;
    for name in sorted[first..].iter().take_while(|p| p.starts_with(typed)) {
        let rest = &name[base.len()..];
        match rest.split_once('/') {
            None => push(out, format!("{lead}{name}"), ItemKind::Package, None, range),
            Some((segment, _)) => {
                let dir = &name[..base.len() + segment.len()];
                if last_dir != Some(dir) {
                    last_dir = Some(dir);
                    push(
                        out,
                        format!("{lead}{dir}/"),
                        ItemKind::Directory,
                        None,
                        range,
                    );
                }
            }
        }
        if out.incomplete {
            break;
        }
    }
}

/// Targets and files of `package` whose name starts with `typed`.
#[allow(clippy::too_many_arguments)]
fn package_contents(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    package: &str,
    typed: &str,
    head: &str,
    only_bzl: bool,
    range: TextRange,
    out: &mut Completions,
) {
    if !only_bzl {
        let decls = if ctx.is_build && package == ctx.package {
            Some(ctx.summary.decls.clone())
        } else {
            view.decls(package)
        };
        targets(decls.as_deref(), typed, head, range, out);
    }
    files(view, package, typed, head, only_bzl, range, out);
}

/// The targets `decls` declares whose name starts with `typed`.
fn targets(
    decls: Option<&PackageDecls>,
    typed: &str,
    head: &str,
    range: TextRange,
    out: &mut Completions,
) {
    for decl in decls.iter().flat_map(|d| d.targets.iter()) {
        if out.incomplete {
            return;
        }
        if decl.name.starts_with(typed) && decl.kind != "exports_files" {
            push(
                out,
                format!("{head}{}", decl.name),
                ItemKind::Target,
                Some(decl.kind.clone()),
                range,
            );
        }
    }
}

/// Files of `package` (not in subpackages) under the typed path.
fn files(
    view: &dyn WorkspaceView,
    package: &str,
    typed: &str,
    head: &str,
    only_bzl: bool,
    range: TextRange,
    out: &mut Completions,
) {
    if out.incomplete || !is_plain_path(package) || !is_plain_path(typed) {
        return;
    }
    let (sub, _) = typed.rsplit_once('/').unwrap_or(("", typed));
    let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    };
    let dir = join(package, sub);
    for (name, is_dir) in view.list_dir(&dir).iter() {
        let (name, is_dir) = (name.as_str(), *is_dir);
        if out.incomplete {
            return;
        }
        let rel = join(sub, name);
        if !rel.starts_with(typed) || name.starts_with('.') {
            continue;
        }
        if is_dir {
            if view.is_package(&join(&dir, name)) || name.starts_with("bazel-") {
                continue;
            }
            push(
                out,
                format!("{head}{rel}/"),
                ItemKind::Directory,
                None,
                range,
            );
        } else if !crate::workspace::is_build_file_name(name)
            && (!only_bzl || name.ends_with(".bzl"))
        {
            push(out, format!("{head}{rel}"), ItemKind::File, None, range);
        }
    }
}
