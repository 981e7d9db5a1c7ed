//! Readable messages for tree-sitter's ERROR and MISSING nodes.

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::{Diagnostic, DiagnosticCode};
use crate::syntax::{node_range, walk_preorder};
use crate::text::TextRange;

/// Longest token text quoted in a message.
const MAX_QUOTE: usize = 24;

/// Syntax diagnostics for the ERROR and MISSING nodes under `root`. An ERROR
/// node is reported once; nodes inside it are not reported again.
///
/// The walk keeps the ancestors of the node it visits: tree-sitter's
/// `Node::parent` searches down from the root, so walking up from each of
/// many errors in a deep tree was quadratic (seconds on a few kilobytes of
/// broken text, found by fuzzing).
pub fn syntax_errors(root: Node<'_>, rope: &Rope, out: &mut Vec<Diagnostic>) {
    if !root.has_error() {
        return;
    }
    let mut cursor = root.walk();
    // The ancestors of the cursor's node, the root first.
    let mut ancestors: Vec<Node<'_>> = Vec::new();
    loop {
        let node = cursor.node();
        let descend = if node.is_missing() {
            out.push(missing_node(node, &ancestors, rope));
            false
        } else if node.is_error() {
            if !starts_with_soft_keyword(node, rope) {
                out.push(error_node(node, &ancestors, rope));
            }
            false
        } else {
            node.has_error()
        };
        if descend && cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        loop {
            if ancestors.is_empty() {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            ancestors.pop();
        }
    }
}

/// Python's soft keywords, which Starlark code uses as plain names
/// (`match(env, ...)`). tree-sitter's Python-derived grammar may read them as
/// the start of a statement Starlark does not have and report an error;
/// such an error is left to Starlark's own parser, which knows better.
const SOFT_KEYWORDS: &[&str] = &["match", "case", "type", "print", "exec"];

fn starts_with_soft_keyword(node: Node<'_>, rope: &Rope) -> bool {
    first_token(node).is_some_and(|t| {
        let text = rope.byte_slice(t.byte_range()).to_string();
        SOFT_KEYWORDS.contains(&text.as_str())
    })
}

fn missing_node<'t>(node: Node<'t>, ancestors: &[Node<'t>], rope: &Rope) -> Diagnostic {
    let kind = node.kind();
    let range = node_range(node);
    if let Some(open) = opener_of(kind) {
        if let Some(opener) = find_unclosed_opener(node, open) {
            return Diagnostic::error(
                DiagnosticCode::Syntax,
                range,
                format!(
                    "expected `{kind}` to close this `{open}`{}",
                    context(ancestors, rope)
                ),
            )
            .with_related(node_range(opener), format!("the unclosed `{open}`"));
        }
    }
    let message = match kind {
        "identifier" => format!("expected a name{}", context(ancestors, rope)),
        "string_end" | "\"" | "'" => "unterminated string literal".to_owned(),
        ":" => format!("expected `:`{}", context(ancestors, rope)),
        _ if kind.chars().all(|c| c.is_ascii_punctuation()) => {
            format!("expected `{kind}`{}", context(ancestors, rope))
        }
        _ => format!(
            "expected {}{}",
            describe_kind(kind),
            context(ancestors, rope)
        ),
    };
    Diagnostic::error(DiagnosticCode::Syntax, range, message)
}

fn error_node<'t>(node: Node<'t>, ancestors: &[Node<'t>], rope: &Rope) -> Diagnostic {
    let leaves = leaf_tokens(node);
    if let Some((token, message)) = python_keyword(&leaves, rope) {
        return Diagnostic::error(
            DiagnosticCode::UnsupportedSyntax,
            node_range(token),
            message,
        );
    }
    if let Some((start, _)) = leaves
        .iter()
        .find(|(t, parent)| t.kind() == "string_start" && parent.kind() != "string")
    {
        // To the end of its line, but never past the statement: diagnostics
        // of a statement depend on its own text only.
        let end = line_content_end(rope, start.start_byte()).min(statement_end(node, ancestors));
        return Diagnostic::error(
            DiagnosticCode::Syntax,
            TextRange::new(start.start_byte(), end.max(start.end_byte())),
            "unterminated string literal",
        );
    }
    if let Some(opener) = unclosed_opener(&leaves) {
        let close = closer_of(opener.kind()).unwrap_or(")");
        return Diagnostic::error(
            DiagnosticCode::Syntax,
            node_range(opener),
            format!(
                "`{}` is never closed; expected `{close}`{}",
                opener.kind(),
                context(ancestors, rope)
            ),
        );
    }
    // An operator with nothing after it on its line: `x = 1 +`.
    let dangling = leaves.iter().enumerate().find(|(i, (t, _))| {
        is_binary_operator(t.kind())
            && leaves.get(i + 1).is_none_or(|(next, _)| {
                rope.byte_to_line(next.start_byte()) > rope.byte_to_line(t.end_byte())
            })
    });
    if let Some((_, (op, _))) = dangling {
        return Diagnostic::error(
            DiagnosticCode::Syntax,
            node_range(*op),
            format!(
                "expected an expression after `{}`{}",
                op.kind(),
                context(ancestors, rope)
            ),
        );
    }
    let first = first_token(node);
    let range = match first {
        Some(token) if spans_lines(rope, node_range(node)) => node_range(token),
        _ => node_range(node),
    };
    let range = if range.is_empty() && range.end < rope.len_bytes() {
        // Give an empty error a visible extent of one character.
        let char_idx = rope.byte_to_char(range.start);
        TextRange::new(range.start, rope.char_to_byte(char_idx + 1))
    } else {
        range
    };
    if missing_comma(node, ancestors) {
        return Diagnostic::error(
            DiagnosticCode::Syntax,
            range,
            format!("expected `,` between items{}", context(ancestors, rope)),
        );
    }
    let what = match first {
        Some(token) => describe_token(token, rope),
        None => "end of input".to_owned(),
    };
    let mut message = format!("unexpected {what}{}", context(ancestors, rope));
    if first.is_some_and(|f| f.kind() == "=")
        && ancestors
            .last()
            .is_some_and(|p| p.kind() == "argument_list")
    {
        message.push_str("; a keyword argument needs a name before `=`");
    }
    Diagnostic::error(DiagnosticCode::Syntax, range, message)
}

fn is_binary_operator(kind: &str) -> bool {
    matches!(
        kind,
        "+" | "-"
            | "*"
            | "/"
            | "//"
            | "%"
            | "|"
            | "&"
            | "^"
            | "<<"
            | ">>"
            | "=="
            | "!="
            | "<"
            | "<="
            | ">"
            | ">="
            | "and"
            | "or"
            | "in"
            | "="
            | "+="
            | "-="
            | "*="
            | "/="
            | "//="
            | "%="
            | "|="
            | "&="
            | "^="
            | "<<="
            | ">>="
    )
}

/// The leaves under `node`, in order, skipping comments, each with its
/// parent (`node` for itself as a leaf).
fn leaf_tokens(node: Node<'_>) -> Vec<(Node<'_>, Node<'_>)> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    let mut ancestors = vec![node];
    loop {
        let n = cursor.node();
        if n.child_count() == 0 && !n.is_extra() {
            out.push((n, *ancestors.last().unwrap_or(&node)));
        }
        if cursor.goto_first_child() {
            ancestors.push(n);
            continue;
        }
        loop {
            if ancestors.len() <= 1 {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
            ancestors.pop();
        }
    }
}

/// Python keywords that Starlark lacks, with what to write instead.
fn python_keyword<'t>(leaves: &[(Node<'t>, Node<'t>)], rope: &Rope) -> Option<(Node<'t>, String)> {
    leaves.iter().find_map(|&(t, _)| {
        if !matches!(t.kind(), "identifier") && !is_keyword(t.kind()) {
            return None;
        }
        let text = rope.byte_slice(t.byte_range()).to_string();
        let message = match text.as_str() {
            "is" => "Starlark has no `is` operator; use `==`",
            "class" => "Starlark has no classes; use a struct, a provider, or a dict",
            "import" | "from" => {
                "Starlark has no `import`; use load(\"//pkg:file.bzl\", \"symbol\")"
            }
            "try" | "except" | "finally" | "raise" => {
                "Starlark has no exceptions; call fail(\"message\") to stop with an error"
            }
            "yield" => "Starlark has no generators (`yield`)",
            "global" | "nonlocal" => {
                "Starlark has no `global`/`nonlocal`; globals are frozen after a file loads"
            }
            "async" | "await" => "Starlark has no `async`/`await`",
            _ => return None,
        };
        Some((t, message.to_owned()))
    })
}

/// The innermost opening bracket among `leaves` that no closer matches.
fn unclosed_opener<'t>(leaves: &[(Node<'t>, Node<'t>)]) -> Option<Node<'t>> {
    let mut stack: Vec<Node<'t>> = Vec::new();
    for &(t, _) in leaves {
        if closer_of(t.kind()).is_some() {
            stack.push(t);
        } else if let Some(open) = opener_of(t.kind()) {
            if stack.last().is_some_and(|o| o.kind() == open) {
                stack.pop();
            }
        }
    }
    stack.last().copied()
}

/// An ERROR between two items of a list, call or dict, with no comma.
fn missing_comma<'t>(node: Node<'t>, ancestors: &[Node<'t>]) -> bool {
    let Some(&parent) = ancestors.last() else {
        return false;
    };
    if !matches!(
        parent.kind(),
        "list" | "argument_list" | "dictionary" | "tuple" | "set" | "parameters"
    ) {
        return false;
    }
    let is_item = |n: Option<Node<'_>>| {
        n.is_some_and(|n| {
            !n.is_extra()
                && !matches!(
                    n.kind(),
                    "," | "(" | "[" | "{" | ")" | "]" | "}" | ":" | "="
                )
        })
    };
    let first_is_item = first_token(node).is_some_and(|f| {
        matches!(
            f.kind(),
            "identifier" | "integer" | "float" | "true" | "false" | "none" | "string"
        )
    });
    first_is_item && (is_item(node.prev_sibling()) || is_item(node.next_sibling()))
}

/// The end of the top-level statement that contains `node` (whose
/// ancestors are `ancestors`, the root first).
fn statement_end(node: Node<'_>, ancestors: &[Node<'_>]) -> usize {
    ancestors.get(1).copied().unwrap_or(node).end_byte()
}

fn line_content_end(rope: &Rope, offset: usize) -> usize {
    let line = rope.byte_to_line(offset);
    crate::text::line_content_range(rope, line).end
}

fn spans_lines(rope: &Rope, range: TextRange) -> bool {
    rope.byte_to_line(range.start) != rope.byte_to_line(range.end.min(rope.len_bytes()))
}

/// The first leaf under `node` that is not a comment.
fn first_token(node: Node<'_>) -> Option<Node<'_>> {
    let mut found = None;
    walk_preorder(node, |n| {
        if found.is_some() {
            return false;
        }
        if n.child_count() == 0 && n != node && !n.is_extra() {
            found = Some(n);
            return false;
        }
        // A string is one token to users.
        if n.kind() == "string" && n != node {
            found = Some(n);
            return false;
        }
        true
    });
    found.or_else(|| (node.child_count() == 0).then_some(node))
}

fn describe_token(token: Node<'_>, rope: &Rope) -> String {
    let text = quote(rope, node_range(token));
    match token.kind() {
        "identifier" => format!("name `{text}`"),
        "string" | "string_start" | "string_content" => format!("string {text}"),
        "integer" | "float" => format!("number `{text}`"),
        "comment" => "comment".to_owned(),
        kind if is_keyword(kind) => format!("keyword `{kind}`"),
        _ if text.is_empty() => "end of input".to_owned(),
        _ => format!("`{text}`"),
    }
}

fn is_keyword(kind: &str) -> bool {
    matches!(
        kind,
        "def"
            | "if"
            | "elif"
            | "else"
            | "for"
            | "in"
            | "return"
            | "load"
            | "lambda"
            | "and"
            | "or"
            | "not"
            | "pass"
            | "break"
            | "continue"
            | "while"
            | "class"
            | "import"
            | "from"
            | "try"
            | "except"
            | "finally"
            | "raise"
            | "with"
            | "as"
            | "yield"
            | "global"
            | "nonlocal"
            | "is"
            | "del"
            | "assert"
            | "async"
            | "await"
    )
}

/// The text of `range`, on one line and shortened for a message.
fn quote(rope: &Rope, range: TextRange) -> String {
    let end = range.end.min(rope.len_bytes());
    let start = range.start.min(end);
    let slice = rope.byte_slice(start..end);
    let mut text = String::new();
    for ch in slice.chars() {
        if ch == '\n' || ch == '\r' {
            text.push('…');
            break;
        }
        if text.chars().count() >= MAX_QUOTE {
            text.push('…');
            break;
        }
        text.push(ch);
    }
    text
}

/// " in the call to `foo`", " in a list", ... or "" at the top level: the
/// innermost of `ancestors` (the root first) that says where a node is.
fn context(ancestors: &[Node<'_>], rope: &Rope) -> String {
    for (i, n) in ancestors.iter().enumerate().rev() {
        let described = match n.kind() {
            "argument_list" => match i
                .checked_sub(1)
                .map(|p| ancestors[p])
                .filter(|p| p.kind() == "call")
            {
                Some(call) => match call.child_by_field_name("function") {
                    Some(f) => format!(" in the arguments of `{}`", quote(rope, node_range(f))),
                    None => " in call arguments".to_owned(),
                },
                None => " in call arguments".to_owned(),
            },
            "list" | "list_comprehension" => " in a list".to_owned(),
            "dictionary" | "dictionary_comprehension" => " in a dict".to_owned(),
            "tuple" | "parenthesized_expression" => " in parentheses".to_owned(),
            "parameters" | "lambda_parameters" => " in the parameters".to_owned(),
            "subscript" => " in a subscript".to_owned(),
            "function_definition" => match n.child_by_field_name("name") {
                Some(name) => format!(" in `def {}`", quote(rope, node_range(name))),
                None => " in a function definition".to_owned(),
            },
            "if_statement" | "elif_clause" | "else_clause" => " in an `if` statement".to_owned(),
            "for_statement" => " in a `for` statement".to_owned(),
            "string" => " in a string".to_owned(),
            _ => continue,
        };
        return described;
    }
    String::new()
}

fn describe_kind(kind: &str) -> String {
    match kind {
        "expression" | "primary_expression" => "an expression".to_owned(),
        "block" => "an indented block".to_owned(),
        "integer" | "float" => "a number".to_owned(),
        "string" => "a string".to_owned(),
        _ if kind.starts_with('_') => "more input".to_owned(),
        _ => format!("`{}`", kind.replace('_', " ")),
    }
}

fn opener_of(closer: &str) -> Option<&'static str> {
    match closer {
        ")" => Some("("),
        "]" => Some("["),
        "}" => Some("{"),
        _ => None,
    }
}

fn closer_of(opener: &str) -> Option<&'static str> {
    match opener {
        "(" => Some(")"),
        "[" => Some("]"),
        "{" => Some("}"),
        _ => None,
    }
}

/// The opening bracket a MISSING closer belongs to: the nearest earlier
/// sibling (or the parent's first child) of kind `open`.
fn find_unclosed_opener<'t>(missing: Node<'t>, open: &str) -> Option<Node<'t>> {
    let mut sib = missing.prev_sibling();
    while let Some(s) = sib {
        if s.kind() == open {
            return Some(s);
        }
        sib = s.prev_sibling();
    }
    None
}
