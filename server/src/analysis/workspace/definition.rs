//! Go to definition: a label to its target (the `name` string of the call
//! that declares it), an output file to the rule generating it, a source
//! file to the file, a package label to its BUILD file; a `load()` path to
//! the .bzl file and a loaded symbol to its definition, following
//! re-exports (`x = _x`); local names to their binding.

use tree_sitter::Node;

use super::cursor::{cursor_at, Cursor};
use super::{absolute, FileContext, FileRange, WorkspaceView};
use crate::syntax::node_range;
use crate::text::TextRange;
use crate::workspace::bzl::{Global, GlobalKind};
use crate::workspace::label::{parse_label, Repo, Special};
use crate::workspace::package::may_be_made_by;
use crate::workspace::resolve::{resolve, resolve_load, LoadResolution, PackageLookup, Resolution};

/// How many re-exports are followed before giving up (a cycle).
const MAX_REEXPORTS: usize = 16;

/// The definitions of what is at `offset`.
pub fn definition(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
) -> Vec<FileRange> {
    let Some(cursor) = cursor_at(ctx.tree, ctx.rope, offset) else {
        return Vec::new();
    };
    match cursor {
        Cursor::LoadModule { module, .. } => load_file(&ctx.package, &module, view)
            .map(|(path, _)| FileRange {
                path: absolute(view, &path),
                range: TextRange::new(0, 0),
            })
            .or_else(|| external_definition(view, &module))
            .into_iter()
            .collect(),
        Cursor::LoadSymbol {
            module, exported, ..
        } => symbol_definition(&ctx.package, &module, &exported, view, 0)
            .into_iter()
            .collect(),
        Cursor::TargetName { range, .. } => vec![FileRange {
            path: ctx.path.clone(),
            range,
        }],
        Cursor::String { value, .. } => label_definition(ctx, view, &value).into_iter().collect(),
        Cursor::Identifier { name, range } => identifier_definition(ctx, view, &name, range),
    }
}

/// The .bzl file a load label names, and the package it is in.
pub(super) fn load_file(
    current: &str,
    module: &str,
    lookup: &dyn PackageLookup,
) -> Option<(String, String)> {
    let label = parse_label(module).ok()?;
    let package = label.package.clone().unwrap_or_else(|| current.to_string());
    match resolve_load(&label, current, lookup) {
        LoadResolution::File(path) => Some((path, package)),
        _ => None,
    }
}

/// Where `exported` of `module` (loaded from a file of `current`) is
/// defined, following re-exports.
pub(super) fn symbol_definition(
    current: &str,
    module: &str,
    exported: &str,
    view: &dyn WorkspaceView,
    depth: usize,
) -> Option<FileRange> {
    let (path, global) = symbol_global(current, module, exported, view, depth)?;
    Some(FileRange {
        path: absolute(view, &path),
        range: global.range,
    })
}

/// The global `exported` of `module` names, with its file's path,
/// following re-exports.
pub(super) fn symbol_global(
    current: &str,
    module: &str,
    exported: &str,
    view: &dyn WorkspaceView,
    depth: usize,
) -> Option<(String, Global)> {
    symbol_global_in(current, module, exported, view, depth).map(|found| (found.path, found.global))
}

/// A global of a `.bzl` file, and where: the file's path and package.
pub(super) struct FoundGlobal {
    pub path: String,
    pub package: String,
    pub global: Global,
}

/// [`symbol_global`], with the package of the file that binds it.
pub(super) fn symbol_global_in(
    current: &str,
    module: &str,
    exported: &str,
    view: &dyn WorkspaceView,
    depth: usize,
) -> Option<FoundGlobal> {
    if depth > MAX_REEXPORTS {
        return None;
    }
    let (path, package) = load_file(current, module, view)?;
    let globals = view.bzl_globals(&path)?;
    let global = globals.get(exported)?;
    if let GlobalKind::Variable {
        alias_of: Some(alias),
        ..
    } = &global.kind
    {
        if let Some((load, next)) = globals.loaded(alias) {
            if let Some(found) = symbol_global_in(&package, &load.module, next, view, depth + 1) {
                return Some(found);
            }
        }
    }
    Some(FoundGlobal {
        path,
        package,
        global: global.clone(),
    })
}

/// A label into another repository that is on disk, read statically.
pub(super) struct ExternalTarget {
    /// The package's BUILD file.
    pub build: std::path::PathBuf,
    pub text: Option<std::sync::Arc<str>>,
    /// The call declaring the target (an output file: its rule), when a
    /// static reading finds it.
    pub decl: Option<crate::workspace::package::TargetDecl>,
    /// A file of the package with the label's name.
    pub file: Option<std::path::PathBuf>,
}

/// Finds `text` (a label into a repository on disk) there; `None` for
/// other labels, repositories not on disk and missing packages.
pub(super) fn external_target(view: &dyn WorkspaceView, text: &str) -> Option<ExternalTarget> {
    let label = parse_label(text).ok()?;
    let Repo::Apparent(name) = &label.repo else {
        return None;
    };
    let repo = view.repository_path(name)?;
    let package = label.package.as_deref().unwrap_or_default();
    let dir = if package.is_empty() {
        repo.clone()
    } else {
        repo.join(package)
    };
    let build = crate::workspace::build_file_in(&dir, |p| view.is_file_at(p))?;
    let text = view.file_text(&build);
    let decl = text.as_deref().and_then(|source| {
        let tree = crate::syntax::parse_str_with(crate::syntax::Grammar::Starlark, source);
        let decls = crate::workspace::package::package_decls(&tree, &ropey::Rope::from_str(source));
        let decl = decls.target(&label.name)?;
        let rule = decl.generated_by.as_deref().and_then(|r| decls.target(r));
        Some(rule.unwrap_or(decl).clone())
    });
    let file = Some(dir.join(&label.name)).filter(|f| decl.is_none() && view.is_file_at(f));
    Some(ExternalTarget {
        build,
        text,
        decl,
        file,
    })
}

/// The definition of a label into another repository that is on disk: the
/// target's `name` in its package's BUILD file (an output file: its rule),
/// else a file of that name, else the BUILD file. Read statically: targets
/// made by macros there lead to the BUILD file.
pub(super) fn external_definition(view: &dyn WorkspaceView, text: &str) -> Option<FileRange> {
    let found = external_target(view, text)?;
    Some(match (found.decl, found.file) {
        (Some(decl), _) => FileRange {
            path: found.build,
            range: decl.name_range,
        },
        (None, Some(file)) => FileRange {
            path: file,
            range: TextRange::new(0, 0),
        },
        (None, None) => FileRange {
            path: found.build,
            range: TextRange::new(0, 0),
        },
    })
}

/// The definition of a label string.
pub(super) fn label_definition(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    text: &str,
) -> Option<FileRange> {
    if let Some(found) = external_definition(view, text) {
        return Some(found);
    }
    let label = parse_label(text).ok()?;
    let lookup = ctx.lookup(view);
    let in_build = |package: &str, range: TextRange| -> Option<FileRange> {
        let path = if ctx.is_build && package == ctx.package {
            ctx.path.clone()
        } else {
            view.build_file(package)?
        };
        Some(FileRange { path, range })
    };
    let build_file = |package: &str| in_build(package, TextRange::new(0, 0));
    match resolve(&label, &ctx.package, &lookup) {
        Resolution::Target { package, decl } => in_build(&package, decl.name_range),
        Resolution::OutputFile { package, decl } => {
            let rule = decl
                .generated_by
                .as_deref()
                .and_then(|rule| lookup.decls(&package)?.target(rule).cloned());
            in_build(&package, rule.map_or(decl.name_range, |r| r.name_range))
        }
        Resolution::SourceFile { path, .. } => Some(FileRange {
            path: absolute(view, &path),
            range: TextRange::new(0, 0),
        }),
        Resolution::Special(Special::PackageSpec) => build_file(label.package.as_deref()?),
        Resolution::Special(_) => None,
        Resolution::Unknown => {
            let package = label.package.as_deref().unwrap_or(&ctx.package);
            if package == "external" && !lookup.is_package(package) {
                return bind_definition(view, &label.name);
            }
            // A name a macro or rule bzls cannot follow may make: the call
            // whose `name` it is made from, else the package's BUILD file.
            if !lookup.is_package(package) {
                return None;
            }
            match maker_of(ctx, view, package, &label.name) {
                Some(range) => in_build(package, range),
                None => build_file(package),
            }
        }
        Resolution::Unresolved(_) => {
            // `//pkg` where `pkg` has no target of that name: its BUILD file.
            let package = label.package.as_deref()?;
            let last = package.rsplit('/').next().unwrap_or(package);
            (last == label.name && lookup.is_package(package))
                .then(|| build_file(package))
                .flatten()
        }
    }
}

/// `//external:name`: the `bind(name = "name")` (or `native.bind`) of the
/// WORKSPACE file or of a main-repository `.bzl` file it loads.
fn bind_definition(view: &dyn WorkspaceView, name: &str) -> Option<FileRange> {
    let (path, range) = view.bind_location(name)?;
    Some(FileRange { path, range })
}

/// The `name` string of the call in `package`'s BUILD file that may make
/// target `name` (`x_cc_proto` from `my_proto(name = "x_proto")`; see
/// [`may_be_made_by`]), read statically: of several, one whose whole name
/// the target holds, then the longest.
fn maker_of(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    package: &str,
    name: &str,
) -> Option<TextRange> {
    let text: std::sync::Arc<str> = if ctx.is_build && package == ctx.package {
        ctx.rope.to_string().into()
    } else {
        view.file_text(&view.build_file(package)?)?
    };
    let tree = crate::syntax::parse_str(&text);
    let decls = crate::workspace::package::package_decls(&tree, &ropey::Rope::from_str(&text));
    decls
        .targets
        .iter()
        .filter(|t| t.generated_by.is_none() && may_be_made_by(&t.name, name))
        // A call whose whole name is in the target's comes first (`x` for
        // `x_test`, before `x_proto` whose stem is `x`).
        .max_by_key(|t| (name.contains(t.name.as_str()), t.name.len()))
        .map(|t| t.name_range)
}

fn identifier_definition(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    name: &str,
    range: TextRange,
) -> Vec<FileRange> {
    let here = |range: TextRange| FileRange {
        path: ctx.path.clone(),
        range,
    };
    // A local of the enclosing function.
    let node = ctx
        .tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end);
    if let Some(local) = node.and_then(|n| local_binding(n, name, ctx.rope)) {
        return vec![here(local)];
    }
    if let Some((load, exported)) = ctx.globals.loaded(name) {
        if let Some(found) = symbol_definition(&ctx.package, &load.module, exported, view, 0) {
            return vec![found];
        }
        if let Some((_, _, at)) = load.symbols.iter().find(|(l, _, _)| l == name) {
            return vec![here(*at)];
        }
    }
    ctx.globals
        .get(name)
        .map(|g| vec![here(g.range)])
        .unwrap_or_default()
}

/// The first binding of `name` in the function enclosing `node`: a
/// parameter or an assignment in its body.
fn local_binding(node: Node<'_>, name: &str, rope: &ropey::Rope) -> Option<TextRange> {
    let mut def = node.parent();
    while let Some(d) = def {
        if d.kind() == "function_definition" || d.kind() == "lambda" {
            break;
        }
        def = d.parent();
    }
    let def = def?;
    let is_name = |n: Node<'_>| n.kind() == "identifier" && rope.byte_slice(n.byte_range()) == name;
    let mut found = None;
    if let Some(params) = def.child_by_field_name("parameters") {
        crate::syntax::walk_preorder(params, |n| {
            if found.is_none() && is_name(n) {
                // A parameter's name (not a default value's names).
                let parent = n.parent();
                let is_param = parent.is_some_and(|p| {
                    p.kind() == "parameters"
                        || p.kind() == "lambda_parameters"
                        || p.child_by_field_name("name")
                            .is_some_and(|nm| nm.id() == n.id())
                        || matches!(p.kind(), "list_splat_pattern" | "dictionary_splat_pattern")
                });
                if is_param {
                    found = Some(node_range(n));
                }
            }
            found.is_none()
        });
    }
    if found.is_some() {
        return found;
    }
    let body = def.child_by_field_name("body")?;
    crate::syntax::walk_preorder(body, |n| {
        if found.is_some() || n.kind() == "function_definition" {
            return false;
        }
        if matches!(
            n.kind(),
            "assignment" | "augmented_assignment" | "for_statement"
        ) {
            let target = n
                .child_by_field_name("left")
                .filter(|l| l.start_byte() <= node.start_byte() || n.kind() != "for_statement");
            if let Some(target) = target {
                crate::syntax::walk_preorder(target, |t| {
                    if found.is_none() && is_name(t) {
                        found = Some(node_range(t));
                    }
                    found.is_none()
                });
            }
        }
        found.is_none()
    });
    found
}
