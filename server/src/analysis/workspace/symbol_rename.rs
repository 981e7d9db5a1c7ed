//! Rename of a `.bzl` symbol other files may load: its definition and
//! uses in the `.bzl` file, every `load()` of it in the workspace (BUILD,
//! `.bzl` and WORKSPACE files) with the uses of the name it binds there,
//! re-exports (a `.bzl` file that loads it under its own name exports it
//! again, so what loads it from there is renamed too), and
//! `use_extension()`/`use_repo_rule()` in MODULE.bazel.
//!
//! A load that binds the symbol under an alias (`alias = "sym"`) keeps its
//! alias: only the string changes. Every file is read as the editor has it
//! and parsed afresh, so the edits match the text they apply to. Files of
//! other repositories are not changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tree_sitter::Tree;

use super::cursor::{cursor_at, Cursor};
use super::definition::load_file;
use super::rename::{is_identifier, FileEdit, TextOf};
use super::{between_quotes, FileContext, LoadingFile, WorkspaceView};
use crate::analysis::scope::{binding_at, name_is_free, Binding};
use crate::hash::FastSet;
use crate::syntax::{parse_str_with, FileKind, Grammar};
use crate::text::TextRange;
use crate::workspace::bzl::bzl_globals;
use crate::workspace::package::load_decls;

/// A global of a `.bzl` file of the main repository.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Symbol {
    /// The file's workspace-relative path.
    pub module: String,
    /// The name the file binds it under (the one `load()` names).
    pub name: String,
}

/// The loadable symbol at `offset`, if the cursor is on one: the string
/// of a `load()` (not its alias), a use of a name a load binds under the
/// symbol's own name, or a public global of this `.bzl` file. `None` for
/// everything else, and for symbols of files not in the main repository
/// (those are renamed locally, with an alias).
pub(super) fn symbol_at(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    offset: usize,
    text: &str,
    binding: Option<&Binding>,
) -> Option<Symbol> {
    if let Some(Cursor::LoadSymbol {
        module,
        exported,
        local,
        range,
    }) = cursor_at(ctx.tree, ctx.rope, offset)
    {
        // On `alias` of `alias = "sym"`: the alias is a variable.
        let on_string = local == exported
            || text
                .get(range.start..)
                .is_some_and(|s| s.starts_with(['"', '\'']));
        return on_string
            .then(|| loaded_symbol(ctx, view, &module, &exported))
            .flatten();
    }
    let binding = binding?;
    if binding.loaded {
        let (module, exported) = ctx.globals.loads.iter().find_map(|load| {
            load.symbols
                .iter()
                .find(|(local, _, _)| *local == binding.name)
                .map(|(_, exported, _)| (load.module.as_str(), exported.as_str()))
        })?;
        return (exported == binding.name)
            .then(|| loaded_symbol(ctx, view, module, exported))
            .flatten();
    }
    let is_bzl = ctx.path.extension().is_some_and(|e| e == "bzl");
    if binding.global && is_bzl && !binding.name.starts_with('_') {
        let module = ctx
            .path
            .strip_prefix(view.root())
            .ok()?
            .to_str()?
            .to_string();
        return Some(Symbol {
            module,
            name: binding.name.clone(),
        });
    }
    None
}

/// `exported` of the `.bzl` file `module` names, when that file is in the
/// main repository.
fn loaded_symbol(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    module: &str,
    exported: &str,
) -> Option<Symbol> {
    let (path, _) = load_file(&ctx.package, module, &ctx.lookup(view))?;
    view.is_file_at(&view.root().join(&path)).then(|| Symbol {
        module: path,
        name: exported.to_string(),
    })
}

/// One file, parsed.
struct Parsed {
    text: Arc<str>,
    tree: Tree,
    rope: Rope,
}

impl Parsed {
    fn new(text: Arc<str>) -> Parsed {
        let tree = parse_str_with(Grammar::Starlark, &text);
        let rope = Rope::from_str(&text);
        Parsed { text, tree, rope }
    }
}

/// The edits that rename `symbol` to `new_name` everywhere, or why not.
pub(super) fn rename_symbol(
    ctx: &FileContext<'_>,
    view: &dyn WorkspaceView,
    symbol: &Symbol,
    new_name: &str,
    text_of: TextOf<'_>,
) -> Result<Vec<FileEdit>, String> {
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not a Starlark name"));
    }
    if new_name.starts_with('_') {
        return Err(format!(
            "`{new_name}` starts with `_`: other files could no longer load it"
        ));
    }
    if new_name == symbol.name {
        return Ok(Vec::new());
    }
    // Each file is read once, however many re-exports lead back to it.
    let texts = std::cell::RefCell::new(crate::hash::FastMap::<PathBuf, Arc<str>>::default());
    texts
        .borrow_mut()
        .insert(ctx.path.clone(), Arc::from(ctx.rope.to_string()));
    let read = |path: &Path| -> Result<Arc<str>, String> {
        if let Some(text) = texts.borrow().get(path) {
            return Ok(text.clone());
        }
        let text = text_of(path).ok_or_else(|| format!("cannot read {}", path.display()))?;
        texts.borrow_mut().insert(path.to_path_buf(), text.clone());
        Ok(text)
    };
    let mut loading = view.loading_files();
    // The file being edited, even outside any package.
    if !loading.iter().any(|f| f.path == ctx.path) {
        if let Some(kind) = FileKind::from_path(&ctx.path) {
            loading.push(LoadingFile {
                path: ctx.path.clone(),
                kind,
                package: ctx.package.clone(),
            });
        }
    }
    let lookup = ctx.lookup(view);
    let mut edits = Vec::new();
    let mut queue = vec![symbol.clone()];
    let mut done: FastSet<Symbol> = FastSet::default();
    while let Some(symbol) = queue.pop() {
        if !done.insert(symbol.clone()) {
            continue;
        }
        let module_path = view.root().join(&symbol.module);
        let module = Parsed::new(read(&module_path)?);
        define(&module, &module_path, &symbol, new_name, &mut edits)?;
        let file_name = Path::new(&symbol.module)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&symbol.module);
        for file in &loading {
            if file.path == module_path {
                continue;
            }
            // Most files cannot load it: skip them unparsed.
            let Ok(text) = read(&file.path) else {
                continue;
            };
            if !text.contains(file_name) || !text.contains(symbol.name.as_str()) {
                continue;
            }
            let parsed = Parsed::new(text);
            let names_module = |label: &str| {
                load_file(&file.package, label, &lookup).is_some_and(|(p, _)| p == symbol.module)
            };
            if file.kind == FileKind::Module {
                extension_uses(
                    &parsed,
                    &names_module,
                    &symbol,
                    new_name,
                    &file.path,
                    &mut edits,
                );
                continue;
            }
            for load in load_decls(&parsed.tree, &parsed.rope) {
                if !names_module(&load.module) {
                    continue;
                }
                for (local, exported, range) in &load.symbols {
                    if *exported != symbol.name {
                        continue;
                    }
                    if local != exported {
                        // `alias = "sym"`: the alias stays.
                        let string = aliased_string(&parsed.text, *range).ok_or_else(|| {
                            format!("a load in {} is written with escapes", file.path.display())
                        })?;
                        edits.push(edit(&file.path, string, new_name));
                        continue;
                    }
                    bound_name(&parsed, &file.path, range.start + 1, new_name, &mut edits)?;
                    // A `.bzl` file exports what it loads under a public name.
                    if file.kind == FileKind::Bzl {
                        if let Some(module) = file
                            .path
                            .strip_prefix(view.root())
                            .ok()
                            .and_then(|p| p.to_str())
                        {
                            queue.push(Symbol {
                                module: module.to_string(),
                                name: symbol.name.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    edits.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
    edits.dedup();
    Ok(edits)
}

/// Renames the global `symbol` of its own (parsed) file.
fn define(
    module: &Parsed,
    path: &Path,
    symbol: &Symbol,
    new_name: &str,
    edits: &mut Vec<FileEdit>,
) -> Result<(), String> {
    let globals = bzl_globals(&module.tree, &module.rope);
    let bound = globals
        .get(&symbol.name)
        .map(|g| g.range.start)
        .or_else(|| {
            // Bound by a load of this file (a re-export).
            globals.loads.iter().find_map(|l| {
                l.symbols
                    .iter()
                    .find(|(local, exported, _)| *local == symbol.name && local == exported)
                    .map(|(_, _, range)| range.start + 1)
            })
        })
        .ok_or_else(|| {
            format!(
                "{} no longer defines `{}`; save it and try again",
                path.display(),
                symbol.name
            )
        })?;
    bound_name(module, path, bound, new_name, edits)
}

/// Renames the module-level variable at `offset` of a parsed file, every
/// occurrence of it; refused when `new_name` would clash with a name the
/// file uses.
fn bound_name(
    file: &Parsed,
    path: &Path,
    offset: usize,
    new_name: &str,
    edits: &mut Vec<FileEdit>,
) -> Result<(), String> {
    let binding = binding_at(&file.tree, &file.text, offset)
        .filter(|b| b.global)
        .ok_or_else(|| format!("{} changed while renaming; try again", path.display()))?;
    let starts: Vec<usize> = binding.occurrences.iter().map(|o| o.range.start).collect();
    if !name_is_free(&file.tree, &file.text, new_name, &starts) {
        return Err(format!(
            "`{new_name}` is already used in {}",
            path.display()
        ));
    }
    edits.extend(
        binding
            .occurrences
            .iter()
            .map(|o| edit(path, o.range, new_name)),
    );
    Ok(())
}

/// `use_extension("//m:ext.bzl", "sym")` and `use_repo_rule(...)` calls of
/// a MODULE.bazel file naming `symbol`: the name string.
fn extension_uses(
    file: &Parsed,
    names_module: &dyn Fn(&str) -> bool,
    symbol: &Symbol,
    new_name: &str,
    path: &Path,
    edits: &mut Vec<FileEdit>,
) {
    crate::syntax::walk_preorder(file.tree.root_node(), |node| {
        if node.kind() != "call" {
            return true;
        }
        let function = node
            .child_by_field_name("function")
            .and_then(|f| file.text.get(f.byte_range()));
        if !matches!(function, Some("use_extension" | "use_repo_rule")) {
            return true;
        }
        let Some(args) = node.child_by_field_name("arguments") else {
            return false;
        };
        let mut cursor = args.walk();
        let strings: Vec<_> = args.named_children(&mut cursor).take(2).collect();
        let value = |n: tree_sitter::Node<'_>| {
            (n.kind() == "string")
                .then(|| file.text.get(n.byte_range()))
                .flatten()
                .and_then(crate::syntax::string_literal)
        };
        if let [module, name] = strings[..] {
            if value(module).is_some_and(|m| names_module(&m))
                && value(name).as_deref() == Some(symbol.name.as_str())
            {
                if let Some(inner) = between_quotes(&file.text, crate::syntax::node_range(name)) {
                    edits.push(edit(path, inner, new_name));
                }
            }
        }
        false
    });
}

/// The text between the quotes of the string in `alias = "sym"`.
fn aliased_string(text: &str, argument: TextRange) -> Option<TextRange> {
    let arg = text.get(argument.start..argument.end)?;
    let eq = arg.find('=')?;
    let quote = arg[eq..].find(['"', '\''])? + eq;
    between_quotes(text, TextRange::new(argument.start + quote, argument.end))
}

fn edit(path: &Path, range: TextRange, new_name: &str) -> FileEdit {
    FileEdit {
        path: PathBuf::from(path),
        range,
        new_text: new_name.to_string(),
    }
}
