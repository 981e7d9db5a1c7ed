//! Bazel rc file (`.bazelrc`) support for the [tree-sitter] parsing library.
//!
//! Use the [`LANGUAGE`] constant to add this language to a tree-sitter
//! [`Parser`], then parse:
//!
//! ```
//! let code = "build:opt --copt=\"-O2 -g\" -c opt  # optimised\n";
//! let mut parser = tree_sitter::Parser::new();
//! parser
//!     .set_language(&tree_sitter_bazelrc::LANGUAGE.into())
//!     .expect("Error loading bazelrc parser");
//! let tree = parser.parse(code, None).unwrap();
//! assert!(!tree.root_node().has_error());
//! assert_eq!(tree.root_node().child(0).unwrap().kind(), "line");
//! ```
//!
//! Word nodes (`command`, `flag`, `value`, `target_pattern`, `import_path`)
//! cover the raw text of a word, quotes, escapes and line continuations
//! included; see the README for how to turn that text into Bazel's word.
//!
//! [`Parser`]: https://docs.rs/tree-sitter/*/tree_sitter/struct.Parser.html
//! [tree-sitter]: https://tree-sitter.github.io/

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_bazelrc() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for this grammar.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_bazelrc) };

/// The content of the [`node-types.json`] file for this grammar.
///
/// [`node-types.json`]: https://tree-sitter.github.io/tree-sitter/using-parsers/6-static-node-types
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// The syntax highlighting query for this grammar.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

#[cfg(test)]
mod tests;
