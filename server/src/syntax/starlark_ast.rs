//! starlark_syntax, for Starlark's own parser and its messages.
//!
//! starlark_syntax stops at the first error and returns no tree at all for a
//! broken file, so keystroke features use the tree-sitter tree; this parse
//! runs in the background and its last good AST is kept.
//!
//! Invariant: its parser and AST are recursive, so [`parse_starlark`] must be
//! called on a thread with a large stack ([`STARLARK_STACK_SIZE`]), and it
//! refuses trees nested deeper than [`MAX_STARLARK_DEPTH`].

use std::sync::{Arc, OnceLock};

use starlark_syntax::syntax::{AstModule, Dialect};
use tree_sitter::Node;

use crate::text::TextRange;

/// Stack size for threads that run [`parse_starlark`].
pub const STARLARK_STACK_SIZE: usize = 64 * 1024 * 1024;

/// Deepest tree-sitter nesting handed to starlark_syntax.
pub const MAX_STARLARK_DEPTH: usize = 1_000;

/// Bazel's Starlark: `def` with keyword-only parameters, `lambda`, `load`; no
/// type annotations and no f-strings. Top-level `if`/`for` are left to bzls's
/// own dialect rules, which know the file kind.
fn bazel_dialect() -> Dialect {
    Dialect {
        enable_keyword_only_arguments: true,
        enable_top_level_stmt: true,
        ..Dialect::Standard
    }
}

/// The outcome of running starlark_syntax over a text.
#[derive(Clone, Debug)]
pub enum StarlarkParse {
    /// The text parsed; the AST is shared so it can outlive later broken edits.
    Parsed(Arc<AstModule>),
    /// Starlark's first error.
    Error(StarlarkError),
    /// The text nests deeper than [`MAX_STARLARK_DEPTH`]; not parsed.
    TooDeep { depth: usize },
}

/// Starlark's own message for the first error in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarlarkError {
    pub range: Option<TextRange>,
    pub message: String,
}

/// An upper estimate of how deeply a recursive-descent parser would nest on
/// some text, accumulated over a walk of its tree: the tree's depth, the
/// deepest bracket nesting among its tokens (an unclosed `[[[[` is flat in an
/// ERROR node but deep to a parser), and the longest run of prefix
/// operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nesting {
    max: usize,
    brackets: usize,
    prefix_run: usize,
}

impl Nesting {
    /// Records one node of the walk, at `depth` below the walk's root.
    pub fn visit(&mut self, node: Node<'_>, depth: usize) {
        self.max = self.max.max(depth);
        match token_class(node.kind_id()) {
            TokenClass::Open => self.brackets += 1,
            TokenClass::Close => self.brackets = self.brackets.saturating_sub(1),
            TokenClass::Prefix => {
                self.prefix_run += 1;
                self.max = self.max.max(self.prefix_run);
                return;
            }
            TokenClass::Other => {
                // Any other node breaks a run: nested prefix operators in a
                // well-formed tree count through the tree's depth, and flat
                // runs in ERROR nodes through `prefix_run`.
                self.prefix_run = 0;
                return;
            }
        }
        self.prefix_run = 0;
        self.max = self.max.max(self.brackets);
    }

    /// The estimate for everything visited so far.
    pub fn value(self) -> usize {
        self.max
    }

    /// The estimate for a whole subtree.
    pub fn of(root: Node<'_>) -> usize {
        let mut nesting = Nesting::default();
        crate::syntax::walk_preorder_depth(root, |node, depth| {
            nesting.visit(node, depth);
            true
        });
        nesting.value()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenClass {
    Open,
    Close,
    Prefix,
    Other,
}

/// The class of a node kind, by a table indexed by kind id.
fn token_class(kind_id: u16) -> TokenClass {
    static TABLE: OnceLock<Vec<TokenClass>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let language = crate::syntax::starlark_language();
        (0..language.node_kind_count())
            .map(|id| {
                let kind = u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id));
                match kind {
                    Some("(" | "[" | "{") => TokenClass::Open,
                    Some(")" | "]" | "}") => TokenClass::Close,
                    Some("not" | "-" | "+" | "~" | "lambda") => TokenClass::Prefix,
                    _ => TokenClass::Other,
                }
            })
            .collect()
    });
    table
        .get(usize::from(kind_id))
        .copied()
        .unwrap_or(TokenClass::Other)
}

/// How deeply starlark's recursive code could nest on `text`: `Ok` when it
/// is at most [`MAX_STARLARK_DEPTH`], else `Err` with the estimate.
///
/// Every path that hands text to the `starlark` crates (parser, AST walks,
/// evaluator, and the drop of its AST, all recursive) checks this first, on
/// a thread with [`STARLARK_STACK_SIZE`] of stack. Ordinary text is cleared
/// by a byte scan ([`shallow_enough`]); anything else is measured on a
/// tree-sitter parse, whose parser and walks are iterative.
pub fn recursion_depth(text: &str) -> Result<(), usize> {
    if shallow_enough(text) {
        return Ok(());
    }
    let tree = crate::syntax::parse_str(text);
    let depth = Nesting::of(tree.root_node()) + 1;
    if depth > MAX_STARLARK_DEPTH {
        Err(depth)
    } else {
        Ok(())
    }
}

/// Whether starlark's recursive code can safely run over `text` without a
/// tree to estimate its nesting from: no logical line (a statement;
/// newlines inside brackets do not end it) nests brackets deeper than 200,
/// holds over 1,000 tokens that can nest an expression (operators,
/// keywords, `.`, and brackets right after an operand: calls and
/// subscripts), or is indented by over 400 columns (nested blocks), outside
/// strings and comments. Anything else needs a tree (see
/// [`recursion_depth`]).
pub fn shallow_enough(text: &str) -> bool {
    const MAX_BRACKETS: usize = 200;
    const MAX_OPERATORS: usize = 1_000;
    const MAX_INDENT: usize = 400;
    let bytes = text.as_bytes();
    let (mut depth, mut operators) = (0usize, 0usize);
    // Whether the last token ends an operand, so that a `(` or `[` after
    // it is a call or a subscript (one more level) rather than a literal.
    let mut after_operand = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' | b'\'' => {
                i = skip_string(bytes, i);
                after_operand = true;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                if after_operand && b != b'{' {
                    operators += 1;
                }
                depth += 1;
                if depth > MAX_BRACKETS {
                    return false;
                }
                after_operand = false;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                after_operand = true;
            }
            b'\n' => {
                after_operand = false;
                if depth == 0 {
                    operators = 0;
                    let indent = bytes[i + 1..]
                        .iter()
                        .take_while(|b| matches!(b, b' ' | b'\t'))
                        .count();
                    if indent > MAX_INDENT {
                        return false;
                    }
                }
            }
            b'+' | b'-' | b'~' | b'*' | b'/' | b'%' | b'|' | b'&' | b'^' | b'<' | b'>' | b'='
            | b'!' | b'.' => {
                operators += 1;
                after_operand = false;
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let keyword = matches!(
                    &text[start..i],
                    "if" | "else" | "not" | "and" | "or" | "lambda" | "for" | "in"
                );
                if keyword {
                    operators += 1;
                }
                after_operand = !keyword;
                if operators > MAX_OPERATORS {
                    return false;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => after_operand = false,
        }
        if operators > MAX_OPERATORS {
            return false;
        }
        i += 1;
    }
    true
}

/// The index just past the string literal that starts at `start` (a quote),
/// or the end of the text if it is unterminated.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.get(start..start + 3) == Some(&[quote, quote, quote][..]);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote && !triple => return i + 1,
            b if b == quote && bytes.get(i..i + 3) == Some(&[quote, quote, quote][..]) => {
                return i + 3
            }
            b'\n' if !triple => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Parses `text` with starlark_syntax. `depth` is the text's [`Nesting`]
/// estimate (plus one for the module), used to refuse pathological nesting
/// before recursing.
pub fn parse_starlark(file_name: &str, text: &str, depth: usize) -> StarlarkParse {
    if depth > MAX_STARLARK_DEPTH {
        return StarlarkParse::TooDeep { depth };
    }
    match AstModule::parse(file_name, text.to_owned(), &bazel_dialect()) {
        Ok(ast) => StarlarkParse::Parsed(Arc::new(ast)),
        Err(err) => {
            let range = err.span().map(|span| {
                let start = span.span.begin().get() as usize;
                let end = span.span.end().get() as usize;
                TextRange::new(start.min(text.len()), end.clamp(start, text.len()))
            });
            let message = first_line(&err.without_diagnostic().to_string());
            StarlarkParse::Error(StarlarkError { range, message })
        }
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_cleared_by_the_byte_scan() {
        let build = "load(\"//a:b.bzl\", \"m\")\n\ncc_library(\n    name = \"x\",\n    srcs = glob([\"*.cc\"]) + select({\"//c:d\": [\"e.cc\"]}),\n    deps = [\":y\"] if FOO.bar(1.5) else [],\n)\n";
        assert!(shallow_enough(build));
        assert_eq!(recursion_depth(build), Ok(()));
        // Thousands of strings in one list nest nothing.
        let long = format!("x = [{}]\n", "\"a.b\", ".repeat(50_000));
        assert!(shallow_enough(&long));
    }

    #[test]
    fn every_shape_of_deep_nesting_is_refused() {
        let shapes = [
            format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000)),
            format!("x = {}\n", "[".repeat(10_000)),
            format!("x = 1{}\n", " + 1".repeat(100_000)),
            format!("x = a{}\n", ".b".repeat(100_000)),
            format!("x = f{}\n", "()".repeat(100_000)),
            format!("x = l{}\n", "[0]".repeat(100_000)),
            format!("x = {}True\n", "not ".repeat(100_000)),
            format!("x = {}1\n", "lambda: ".repeat(10_000)),
            format!("x = {}1\n", "- ".repeat(100_000)),
        ];
        for text in shapes {
            assert!(!shallow_enough(&text), "{}", &text[..20]);
            let depth = recursion_depth(&text).expect_err(&text[..20]);
            assert!(depth > MAX_STARLARK_DEPTH, "{depth}");
        }
    }

    #[test]
    fn what_the_scan_doubts_is_measured_on_a_tree() {
        // Over the scan's operator budget, but flat.
        let wide = format!("x = [{}]\n", "a + b, ".repeat(2_000));
        assert!(!shallow_enough(&wide));
        assert_eq!(recursion_depth(&wide), Ok(()));
        // Brackets in strings and comments do not count.
        let quoted = format!("x = \"{}\"  # {}\n", "[".repeat(5_000), "(".repeat(5_000));
        assert!(shallow_enough(&quoted));
    }
}
