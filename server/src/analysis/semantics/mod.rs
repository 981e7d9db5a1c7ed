//! Semantic diagnostics of Starlark files: what Bazel rejects when it
//! loads a file, beyond syntax. Names ([`names`]: undefined names, globals
//! reassigned, `load()` after other statements, unused loads) for every
//! file kind; targets ([`targets`]: duplicate and invalid names, unknown
//! attributes, missing mandatory ones, values of the wrong type, labels
//! listed twice) for BUILD files; `include()` ([`module_file`]) for
//! MODULE.bazel files.
//!
//! Invariants:
//! - No false errors: an error is reported only where Bazel's loading
//!   phase fails for certain. What only a newer Bazel than bzls's data
//!   may accept is a hint; what depends on evaluation bzls cannot do is
//!   not reported.
//! - A function of the file's text (and, for targets, of the rules it
//!   loads, through [`RuleLookup`]); no I/O.

pub mod builtins;
mod checks;
mod module_directives;
pub mod module_file;
pub mod names;
pub mod targets;

use ropey::Rope;
use tree_sitter::Tree;

use crate::analysis::Diagnostic;
use crate::syntax::FileKind;
use crate::workspace::callables::Callable;

pub use checks::name_diagnostics;
pub use names::NamesMemo;

/// What a file's loaded symbols are, for the target checks: the Starlark
/// rule a loaded name is bound to, when the loaded file is on disk and
/// declares it with `rule(attrs = {...})`; and for MODULE.bazel, the
/// module extensions it uses.
pub trait RuleLookup {
    /// The rule `name` (a name the file loads) is, if known.
    fn loaded_rule(&self, name: &str) -> Option<Callable>;

    /// The module extension `name` of the `.bzl` file `label` (as
    /// `use_extension` names it), if its file is on disk and defines it
    /// with `module_extension(...)`.
    fn module_extension(&self, _label: &str, _name: &str) -> Option<Callable> {
        None
    }
}

/// No loaded rule is known.
pub struct NoRules;

impl RuleLookup for NoRules {
    fn loaded_rule(&self, _name: &str) -> Option<Callable> {
        None
    }
}

/// Every semantic diagnostic of a Starlark file of `kind` (its tree-sitter
/// `tree` of `rope`), sorted by position. `package` is a BUILD file's
/// package (for labels listed twice). `memo` keeps the names of statements
/// across versions of one document.
pub fn semantic_diagnostics(
    kind: FileKind,
    tree: &Tree,
    rope: &Rope,
    package: &str,
    rules: &dyn RuleLookup,
    memo: Option<&NamesMemo>,
) -> Vec<Diagnostic> {
    if !kind.is_starlark() {
        return Vec::new();
    }
    let root = tree.root_node();
    let names = names::FileNames::of_module(root, rope, memo);
    let mut out = name_diagnostics(kind, &names, rope);
    match kind {
        FileKind::Build => out.extend(targets::target_diagnostics(
            root, rope, package, &names, rules,
        )),
        FileKind::Module => {
            out.extend(module_file::include_diagnostics(root, rope));
            out.extend(module_directives::directive_diagnostics(root, rope, rules));
        }
        _ => {}
    }
    out.sort_by_key(|d| (d.range.start, d.range.end));
    out
}

#[cfg(test)]
mod tests;
