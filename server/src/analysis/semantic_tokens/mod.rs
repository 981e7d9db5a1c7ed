//! Semantic tokens: what the words of a file are, beyond what a grammar
//! sees. Labels are split into their repository, package and target name
//! (inside the string, the quotes, `//` and `:` left to the grammar);
//! rule and macro calls, attribute names, target declarations, `load()`
//! symbols; in rc files commands, config names and flags.
//!
//! Invariants: tokens are sorted by start, never overlap and never span a
//! line (a label holds no newline); ranges are byte ranges of the text.

mod encode;

pub use encode::{encode, encode_starlark, EncodedToken, StatementTokens};

use tree_sitter::{Node, Tree};

use crate::rc::file::{LineKind, RcFile};
use crate::text::TextRange;
use crate::workspace::schema::rule_schema;

/// What a token is. The legend lists them in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A repository (`@repo`) or a package (`//pkg/sub`).
    Namespace,
    /// A called rule, macro or function; a `def`.
    Function,
    /// An attribute name in a call (`srcs =`).
    Parameter,
    /// A `load()`ed symbol.
    Variable,
    /// A target name: in a label, or declared by `name = "..."`.
    EnumMember,
    /// A config name in an rc file (`build:cuda`, `--config=cuda`).
    Type,
    /// A flag in an rc file (`--copt`).
    Property,
    /// A command in an rc file (`build`, `import`).
    Keyword,
}

impl TokenKind {
    /// Every kind, in legend order.
    pub const ALL: [TokenKind; 8] = [
        TokenKind::Namespace,
        TokenKind::Function,
        TokenKind::Parameter,
        TokenKind::Variable,
        TokenKind::EnumMember,
        TokenKind::Type,
        TokenKind::Property,
        TokenKind::Keyword,
    ];

    /// The index in the legend.
    pub fn index(self) -> u32 {
        TokenKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u32
    }
}

/// Modifier bits, in legend order.
pub mod modifiers {
    /// Where the thing is declared (`name = "x"`, `build:cuda`, `def f`).
    pub const DECLARATION: u32 = 1;
    /// One of Bazel's own (native rules, `glob`, `select`,
    /// `//conditions:default`, `//visibility:public`).
    pub const DEFAULT_LIBRARY: u32 = 2;
    /// Every modifier's name, in bit order.
    pub const NAMES: [&str; 2] = ["declaration", "defaultLibrary"];
}

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub range: TextRange,
    pub kind: TokenKind,
    pub modifiers: u32,
}

/// Bazel's own functions of BUILD and .bzl files (beyond native rules).
const BUILTINS: &[&str] = &[
    "glob",
    "select",
    "package",
    "exports_files",
    "licenses",
    "package_name",
    "repository_name",
    "package_relative_label",
    "existing_rule",
    "existing_rules",
    "subpackages",
    "module_name",
    "module_version",
    "depset",
    "struct",
    "provider",
    "rule",
    "macro",
    "aspect",
    "Label",
    "fail",
    "print",
    "len",
    "str",
    "int",
    "bool",
    "list",
    "dict",
    "tuple",
    "range",
    "enumerate",
    "zip",
    "sorted",
    "reversed",
    "any",
    "all",
    "min",
    "max",
    "hasattr",
    "getattr",
    "type",
    "repr",
    "module",
    "bazel_dep",
    "use_extension",
    "use_repo",
    "use_repo_rule",
    "register_toolchains",
    "register_execution_platforms",
    "workspace",
];

/// The tokens of a Starlark file. `mentions` are a BUILD file's label
/// strings (absolute label, literal range: see
/// [`crate::workspace::summary::PackageSummary::mentions`]); other files
/// get their absolute label strings (`//p:t`, `@r//p:t`) split instead.
pub fn starlark_tokens(
    tree: &Tree,
    text: &str,
    mentions: Option<&[(String, TextRange)]>,
) -> Vec<Token> {
    let mut out = Vec::new();
    syntax_tokens(tree, text, mentions.is_none(), &mut out);
    for (_, range) in mentions.unwrap_or_default() {
        if let Some(inner) = label_in(text, *range) {
            label_tokens(&text[inner.start..inner.end], inner.start, &mut out);
        }
    }
    settle(out, text)
}

/// The label's own text in a mention's range: between the quotes of a
/// string without escapes, or the range itself for a label inside a make
/// variable.
fn label_in(text: &str, range: TextRange) -> Option<TextRange> {
    let raw = text.get(range.start..range.end)?;
    let prefix = usize::from(raw.starts_with(['r', 'R']));
    let quoted = &raw[prefix..];
    if !quoted.starts_with(['"', '\'']) {
        return Some(range);
    }
    let quote = if quoted.starts_with("\"\"\"") || quoted.starts_with("'''") {
        3
    } else {
        1
    };
    let inner = raw.get(prefix + quote..raw.len().checked_sub(quote)?)?;
    (!inner.contains('\\')).then(|| TextRange::new(range.start + prefix + quote, range.end - quote))
}

/// Sorted, without empty tokens, tokens across lines and overlaps.
fn settle(mut tokens: Vec<Token>, text: &str) -> Vec<Token> {
    tokens.retain(|t| {
        t.range.start < t.range.end
            && text
                .get(t.range.start..t.range.end)
                .is_some_and(|s| !s.contains('\n'))
    });
    tokens.sort_by_key(|t| t.range.start);
    let mut end = 0;
    tokens.retain(|t| {
        let keep = t.range.start >= end;
        if keep {
            end = t.range.end;
        }
        keep
    });
    tokens
}

/// The tokens the syntax tree gives: callees, keyword names, `def`
/// names, and (`strings`: files other than BUILD files) absolute labels
/// in strings. One walk over the tree, comparing node kinds by id (a
/// tree-sitter query for the same is four times slower on a large file).
fn syntax_tokens(tree: &Tree, text: &str, strings: bool, out: &mut Vec<Token>) {
    walk(&mut tree.walk(), text, strings, out);
}

/// The syntax tokens of the subtree under `cursor` (the cursor's root is
/// where the walk ends).
fn walk(cursor: &mut tree_sitter::TreeCursor<'_>, text: &str, strings: bool, out: &mut Vec<Token>) {
    let kinds = kinds();
    loop {
        let node = cursor.node();
        // A leaf has no child to go to: not asking saves a cursor step on
        // every punctuation token.
        let descend = node.child_count() > 0 && visit(node, kinds, text, strings, out);
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The node kinds the walk stops at, by id.
struct Kinds {
    call: u16,
    keyword_argument: u16,
    function_definition: u16,
    string: u16,
    comment: u16,
}

fn kinds() -> &'static Kinds {
    static KINDS: std::sync::OnceLock<Kinds> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let language = crate::syntax::starlark_language();
        let id = |name: &str| language.id_for_node_kind(name, true);
        Kinds {
            call: id("call"),
            keyword_argument: id("keyword_argument"),
            function_definition: id("function_definition"),
            string: id("string"),
            comment: id("comment"),
        }
    })
}

/// Adds the tokens of `node`; whether to look inside it.
fn visit(node: Node<'_>, kinds: &Kinds, text: &str, strings: bool, out: &mut Vec<Token>) -> bool {
    let kind = node.kind_id();
    if kind == kinds.call {
        call_tokens(node, text, out)
    } else if kind == kinds.keyword_argument {
        keyword_tokens(node, text, out);
        true
    } else if kind == kinds.function_definition {
        if let Some(name) = node.child_by_field_name("name") {
            out.push(Token {
                range: crate::syntax::node_range(name),
                kind: TokenKind::Function,
                modifiers: modifiers::DECLARATION,
            });
        }
        true
    } else if kind == kinds.string {
        if strings {
            string_tokens(node, text, out);
        }
        false
    } else {
        kind != kinds.comment
    }
}

/// The callee of a call (a `load()`'s strings instead); whether to look
/// inside the call.
fn call_tokens(node: Node<'_>, text: &str, out: &mut Vec<Token>) -> bool {
    let src = |n: Node<'_>| text.get(n.byte_range()).unwrap_or("");
    let Some(function) = node.child_by_field_name("function") else {
        return true;
    };
    let (name_node, native) = match function.kind() {
        "identifier" => (Some(function), false),
        "attribute" => (
            function.child_by_field_name("attribute"),
            function
                .child_by_field_name("object")
                .is_some_and(|o| src(o) == "native"),
        ),
        _ => (None, false),
    };
    let Some(name_node) = name_node else {
        return true;
    };
    let name = src(name_node);
    if name == "load" && function.kind() == "identifier" {
        load_tokens(node, text, out);
        return false;
    }
    let builtin = native
        || (function.kind() == "identifier"
            && (rule_schema(name).is_some() || BUILTINS.contains(&name)));
    out.push(Token {
        range: crate::syntax::node_range(name_node),
        kind: TokenKind::Function,
        modifiers: if builtin {
            modifiers::DEFAULT_LIBRARY
        } else {
            0
        },
    });
    true
}

/// An attribute name, and the target a `name = "..."` declares.
fn keyword_tokens(node: Node<'_>, text: &str, out: &mut Vec<Token>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let key = text.get(name.byte_range()).unwrap_or("");
    out.push(Token {
        range: crate::syntax::node_range(name),
        kind: TokenKind::Parameter,
        modifiers: 0,
    });
    let Some(value) = node.child_by_field_name("value") else {
        return;
    };
    if key == "name" && value.kind() == "string" {
        if let Some(inner) = inner_range(value, text) {
            out.push(Token {
                range: inner,
                kind: TokenKind::EnumMember,
                modifiers: modifiers::DECLARATION,
            });
        }
    }
}

/// An absolute label string (`//p:t`, `@r//p:t`) of a file other than a
/// BUILD file, split into its parts.
fn string_tokens(node: Node<'_>, text: &str, out: &mut Vec<Token>) {
    let Some(inner) = inner_range(node, text) else {
        return;
    };
    let value = &text[inner.start..inner.end];
    let absolute = value.starts_with("//") || (value.starts_with('@') && value.contains("//"));
    if absolute && crate::workspace::label::parse_label(value).is_ok() {
        label_tokens(value, inner.start, out);
    }
}

/// The module and symbols of a `load()`.
fn load_tokens(call: Node<'_>, text: &str, out: &mut Vec<Token>) {
    let Some(args) = call.child_by_field_name("arguments") else {
        return;
    };
    let mut cursor = args.walk();
    for (i, arg) in args.named_children(&mut cursor).enumerate() {
        match arg.kind() {
            "string" if i == 0 => {
                if let Some(inner) = inner_range(arg, text) {
                    label_tokens(&text[inner.start..inner.end], inner.start, out);
                }
            }
            "string" => {
                if let Some(inner) = inner_range(arg, text) {
                    out.push(Token {
                        range: inner,
                        kind: TokenKind::Variable,
                        modifiers: modifiers::DECLARATION,
                    });
                }
            }
            "keyword_argument" => {
                if let Some(alias) = arg.child_by_field_name("name") {
                    out.push(Token {
                        range: crate::syntax::node_range(alias),
                        kind: TokenKind::Variable,
                        modifiers: modifiers::DECLARATION,
                    });
                }
            }
            _ => {}
        }
    }
}

/// The text between a string literal's quotes, when it has no escapes.
fn inner_range(string: Node<'_>, text: &str) -> Option<TextRange> {
    let range = crate::syntax::node_range(string);
    let raw = text.get(range.start..range.end)?;
    let value = crate::syntax::string_literal(raw)?;
    let offset = crate::syntax::value_offset(raw, &value)?;
    Some(TextRange::new(
        range.start + offset,
        range.start + offset + value.len(),
    ))
}

/// The parts of label `label` written at byte `at`: `@repo`, the package
/// (without `//`), the target name.
pub fn label_tokens(label: &str, at: usize, out: &mut Vec<Token>) {
    let special = label.starts_with("//visibility:") || label == "//conditions:default";
    let library = if special {
        modifiers::DEFAULT_LIBRARY
    } else {
        0
    };
    let mut rest_start = 0;
    if label.starts_with('@') {
        let end = label.find("//").unwrap_or(label.len());
        if end > 1 {
            out.push(Token {
                range: TextRange::new(at, at + end),
                kind: TokenKind::Namespace,
                modifiers: 0,
            });
        }
        rest_start = end;
    }
    let rest = &label[rest_start..];
    let (package, name) = match rest.strip_prefix("//") {
        Some(after) => match after.find(':') {
            Some(colon) => (
                Some((rest_start + 2, rest_start + 2 + colon)),
                Some(rest_start + 2 + colon + 1),
            ),
            None => (Some((rest_start + 2, label.len())), None),
        },
        None if rest.is_empty() => (None, None),
        None => (None, Some(rest_start + usize::from(rest.starts_with(':')))),
    };
    if let Some((start, end)) = package.filter(|(s, e)| s < e) {
        out.push(Token {
            range: TextRange::new(at + start, at + end),
            kind: TokenKind::Namespace,
            modifiers: library,
        });
    }
    if let Some(start) = name.filter(|s| *s < label.len()) {
        out.push(Token {
            range: TextRange::new(at + start, at + label.len()),
            kind: TokenKind::EnumMember,
            modifiers: library,
        });
    }
}

/// The tokens of an rc file: the command, its config name, each flag's
/// name (and a config named by `--config`), and labels given as flags
/// (`--//pkg:flag`).
pub fn rc_tokens(file: &RcFile, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for line in &file.lines {
        let command = line.command_range(text);
        if !command.is_empty() {
            out.push(Token {
                range: command,
                kind: TokenKind::Keyword,
                modifiers: 0,
            });
        }
        if let Some(config) = line.config_range(text).filter(|r| !r.is_empty()) {
            out.push(Token {
                range: config,
                kind: TokenKind::Type,
                modifiers: modifiers::DECLARATION,
            });
        }
        if !matches!(line.kind, LineKind::Options { .. }) {
            continue;
        }
        let mut previous_was_config = false;
        for word in &line.args {
            let was_config = std::mem::take(&mut previous_was_config);
            if !word.is_plain(text) {
                continue;
            }
            let raw = &text[word.range.start..word.range.end];
            if was_config && !raw.starts_with('-') {
                out.push(Token {
                    range: word.range,
                    kind: TokenKind::Type,
                    modifiers: 0,
                });
                continue;
            }
            let Some(flag) = raw.strip_prefix("--").or_else(|| raw.strip_prefix('-')) else {
                continue;
            };
            let dashes = raw.len() - flag.len();
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            let name_start = word.range.start + dashes;
            let label = name
                .strip_prefix("no")
                .filter(|n| n.starts_with("//") || n.starts_with('@'));
            if let Some(label) =
                label.or(Some(name).filter(|n| n.starts_with("//") || n.starts_with('@')))
            {
                let at = name_start + (name.len() - label.len());
                label_tokens(label, at, &mut out);
            } else if !name.is_empty() {
                out.push(Token {
                    range: TextRange::new(name_start, name_start + name.len()),
                    kind: TokenKind::Property,
                    modifiers: 0,
                });
            }
            if name == "config" {
                match value {
                    Some(v) if !v.is_empty() => {
                        let start = name_start + name.len() + 1;
                        out.push(Token {
                            range: TextRange::new(start, start + v.len()),
                            kind: TokenKind::Type,
                            modifiers: 0,
                        });
                    }
                    Some(_) => {}
                    None => previous_was_config = true,
                }
            }
        }
    }
    settle(out, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str, tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| {
                let m = match t.modifiers {
                    0 => String::new(),
                    bits => format!(
                        " +{}",
                        modifiers::NAMES
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| bits & (1 << i) != 0)
                            .map(|(_, n)| *n)
                            .collect::<Vec<_>>()
                            .join("+")
                    ),
                };
                format!("{:?} {}{m}", t.kind, &text[t.range.start..t.range.end])
            })
            .collect()
    }

    #[test]
    fn build_files_split_labels_and_name_calls_and_attributes() {
        let text = "load(\"@rules_cc//cc:defs.bzl\", \"cc_library\", my = \"x\")\n# \"//not:a_label\"\ncc_library(\n    name = \"lib\",\n    deps = [\":a\", \"//pkg/sub:b\", \"//pkg\"],\n    visibility = [\"//visibility:public\"],\n)\nmy_macro(name = \"m\", cmd = \"$(location :lib) > $@\")\n";
        let tree = crate::syntax::parse_str(text);
        let mentions: Vec<(String, TextRange)> =
            [":a", "//pkg/sub:b", "//pkg", "//visibility:public"]
                .iter()
                .map(|l| {
                    let quoted = format!("\"{l}\"");
                    let at = text.find(&quoted).expect("in text");
                    (l.to_string(), TextRange::new(at, at + quoted.len()))
                })
                .collect();
        // A label inside a make variable: the mention is the label itself.
        let at = text.find(":lib)").expect("in text");
        let mut mentions = mentions;
        mentions.push(("//app:lib".to_string(), TextRange::new(at, at + 4)));
        let tokens = starlark_tokens(&tree, text, Some(&mentions));
        assert_eq!(
            show(text, &tokens),
            [
                "Namespace @rules_cc",
                "Namespace cc",
                "EnumMember defs.bzl",
                "Variable cc_library +declaration",
                "Variable my +declaration",
                "Function cc_library +defaultLibrary",
                "Parameter name",
                "EnumMember lib +declaration",
                "Parameter deps",
                "EnumMember a",
                "Namespace pkg/sub",
                "EnumMember b",
                "Namespace pkg",
                "Parameter visibility",
                "Namespace visibility +defaultLibrary",
                "EnumMember public +defaultLibrary",
                "Function my_macro",
                "Parameter name",
                "EnumMember m +declaration",
                "Parameter cmd",
                "EnumMember lib",
            ]
        );
    }

    #[test]
    fn bzl_files_split_absolute_labels_only() {
        let text = "def _impl(ctx):\n    return native.glob([\"x\"]) + [Label(\"//a:b\"), \"not/a/label\"]\n";
        let tree = crate::syntax::parse_str(text);
        assert_eq!(
            show(text, &starlark_tokens(&tree, text, None)),
            [
                "Function _impl +declaration",
                "Function glob +defaultLibrary",
                "Function Label +defaultLibrary",
                "Namespace a",
                "EnumMember b",
            ]
        );
    }

    #[test]
    fn rc_files_name_commands_configs_and_flags() {
        let text = "build:cuda --config=opt --copt=-O2 --//pkg:flag=1 --no//pkg:other\ntest --config asan -c opt\nimport %workspace%/x.bazelrc\n";
        let file = crate::rc::file::parse(text);
        assert_eq!(
            show(text, &rc_tokens(&file, text)),
            [
                "Keyword build",
                "Type cuda +declaration",
                "Property config",
                "Type opt",
                "Property copt",
                "Namespace pkg",
                "EnumMember flag",
                "Namespace pkg",
                "EnumMember other",
                "Keyword test",
                "Property config",
                "Type asan",
                "Property c",
                "Keyword import",
            ]
        );
    }

    #[test]
    fn tokens_never_overlap_on_any_text() {
        let texts = [
            "x = \"@\"\ny = \"//\"\nz = \"@r\"\nf(name = \"\")\n\"//a:\"",
            "load(\"\", )\nload(\"@//:\", \"\", a = )",
            "build: --=\n--config\n-- --no --//\n",
        ];
        for text in texts {
            let tree = crate::syntax::parse_str(text);
            let file = crate::rc::file::parse(text);
            for tokens in [starlark_tokens(&tree, text, None), rc_tokens(&file, text)] {
                for pair in tokens.windows(2) {
                    assert!(
                        pair[0].range.end <= pair[1].range.start,
                        "{text:?}: {tokens:?}"
                    );
                }
                for t in &tokens {
                    assert!(
                        t.range.start < t.range.end
                            && !text[t.range.start..t.range.end].contains('\n')
                    );
                }
            }
        }
    }
}
