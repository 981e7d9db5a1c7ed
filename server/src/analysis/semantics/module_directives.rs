//! What Bazel's module-file evaluation rejects in the directives of a
//! MODULE.bazel file, in Bazel's words (code `module-file-directive`):
//!
//! - a repo name used twice in the file: the module's own (its
//!   `repo_name`, else its `name`), a `bazel_dep`'s (its `repo_name`, else
//!   its `name`; also a dev dependency's), a `use_repo` import;
//! - one repo of an extension imported twice under two names (by the
//!   non-isolated usages of one extension, which share their imports);
//! - two overrides of one module;
//! - a module name Bazel's pattern rejects (`module`, `bazel_dep`, the
//!   overrides), a repo name every Bazel version rejects (`repo_name`,
//!   `use_repo`).
//!
//! And, when the extension's `.bzl` file is on disk (code
//! `module-extension-tag`): a tag the extension does not define
//! (`pip.parze(...)`), an attribute its tag class does not have.
//!
//! (`module()` called twice or late is the syntax layer's
//! `module-file-order`.) Only literal strings are judged; a statement with
//! a syntax error is skipped. Names and overrides brought in by `include()` are not followed:
//! what this file alone shows is reported.

use ropey::Rope;
use tree_sitter::Node;

use super::RuleLookup;
use crate::analysis::{Diagnostic, DiagnosticCode};
use crate::hash::FastMap;
use crate::syntax::node_range;
use crate::text::TextRange;
use crate::workspace::callables::{Callable, Origin};

/// The overrides, each naming the module it overrides by `module_name`.
const OVERRIDES: &[&str] = &[
    "archive_override",
    "git_override",
    "local_path_override",
    "multiple_version_override",
    "single_version_override",
];

/// The directive diagnostics of a MODULE.bazel file's tree.
pub fn directive_diagnostics(
    root: Node<'_>,
    rope: &Rope,
    rules: &dyn RuleLookup,
) -> Vec<Diagnostic> {
    let mut checker = Checker {
        rope,
        rules,
        out: Vec::new(),
        module_called: false,
        repo_names: FastMap::default(),
        overrides: FastMap::default(),
        proxies: FastMap::default(),
        imports: FastMap::default(),
        extensions: FastMap::default(),
    };
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        if stmt.kind() != "expression_statement" || stmt.has_error() {
            continue;
        }
        let Some(expr) = stmt.named_child(0) else {
            continue;
        };
        match expr.kind() {
            "call" => checker.call(expr, None),
            "assignment" => {
                let left = expr
                    .child_by_field_name("left")
                    .filter(|l| l.kind() == "identifier")
                    .map(|l| checker.text(l));
                if let Some(right) = expr
                    .child_by_field_name("right")
                    .filter(|r| r.kind() == "call")
                {
                    checker.call(right, left);
                }
            }
            _ => {}
        }
    }
    checker.out
}

/// One use of a repo name, for the message of a second one.
struct RepoNameUsage {
    how: &'static str,
    range: TextRange,
    line: usize,
}

/// The extension a `use_extension` proxy stands for, and the key its
/// imports are kept under (non-isolated usages of one extension share it).
#[derive(Clone)]
struct Proxy {
    label: String,
    name: String,
    usage: String,
}

struct Checker<'a> {
    rope: &'a Rope,
    rules: &'a dyn RuleLookup,
    out: Vec<Diagnostic>,
    /// `module()` was seen (a second one is `module-file-order`'s).
    module_called: bool,
    repo_names: FastMap<String, RepoNameUsage>,
    /// Overridden module names, with the first override's range.
    overrides: FastMap<String, TextRange>,
    /// `use_extension` proxies by variable.
    proxies: FastMap<String, Proxy>,
    /// Per usage: exported repo name → the range of its first import.
    imports: FastMap<String, FastMap<String, (TextRange, usize)>>,
    /// Extensions read, by `label` and name.
    extensions: FastMap<(String, String), Option<Callable>>,
}

impl Checker<'_> {
    fn text(&self, node: Node<'_>) -> String {
        self.rope
            .get_byte_slice(node.byte_range())
            .map(String::from)
            .unwrap_or_default()
    }

    /// The value of a string literal node.
    fn literal(&self, node: Node<'_>) -> Option<String> {
        (node.kind() == "string")
            .then(|| crate::syntax::string_literal(&self.text(node)))
            .flatten()
    }

    /// The keyword argument `key` of a call.
    fn keyword<'t>(&self, call: Node<'t>, key: &str) -> Option<Node<'t>> {
        let args = call.child_by_field_name("arguments")?;
        crate::workspace::callables::keyword_value(args, self.rope, key)
    }

    fn line(&self, node: Node<'_>) -> usize {
        node.start_position().row + 1
    }

    fn error(&mut self, code: DiagnosticCode, node: Node<'_>, message: String) {
        self.out
            .push(Diagnostic::error(code, node_range(node), message));
    }

    /// A top-level call; `bound` is the variable it is assigned to.
    fn call(&mut self, call: Node<'_>, bound: Option<String>) {
        let Some(function) = call.child_by_field_name("function") else {
            return;
        };
        if function.kind() == "attribute" {
            self.tag(call, function);
            return;
        }
        if function.kind() != "identifier" {
            return;
        }
        let callee = self.text(function);
        match callee.as_str() {
            "module" => self.module(call),
            "bazel_dep" => self.bazel_dep(call),
            "use_extension" => self.use_extension(call, bound),
            "use_repo" => self.use_repo(call),
            name if OVERRIDES.contains(&name) => self.override_of(call),
            _ => {}
        }
    }

    fn module(&mut self, call: Node<'_>) {
        if self.module_called {
            return;
        }
        self.module_called = true;
        let name = self.keyword(call, "name");
        if let Some((value, node)) = name.and_then(|n| self.literal(n).map(|v| (v, n))) {
            if !value.is_empty() {
                self.module_name(&value, node);
            }
        }
        let name = name.and_then(|n| self.literal(n).map(|v| (v, n)));
        let repo = match self.keyword(call, "repo_name") {
            Some(node) => match self.literal(node) {
                Some(value) if value.is_empty() => name.map(|n| (n, "as the current module name")),
                Some(value) => self
                    .repo_name_valid(&value, node)
                    .then_some(((value, node), "as the module's own repo name")),
                None => None,
            },
            None => name.map(|n| (n, "as the current module name")),
        };
        if let Some(((value, node), how)) = repo.filter(|((value, _), _)| !value.is_empty()) {
            self.use_repo_name(&value, how, node);
        }
    }

    fn bazel_dep(&mut self, call: Node<'_>) {
        let name = self
            .keyword(call, "name")
            .and_then(|n| self.literal(n).map(|v| (v, n)));
        if let Some((value, node)) = &name {
            self.module_name(value, *node);
        }
        let repo = match self.keyword(call, "repo_name") {
            // `repo_name = None` (Bazel 7.2+): no repo.
            Some(node) => match self.literal(node) {
                Some(value) if value.is_empty() => name,
                Some(value) => self.repo_name_valid(&value, node).then_some((value, node)),
                None => None,
            },
            None => name,
        };
        if let Some((value, node)) = repo {
            self.use_repo_name(&value, "by a bazel_dep", node);
        }
    }

    fn use_extension(&mut self, call: Node<'_>, bound: Option<String>) {
        let Some(args) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        let positional: Vec<Node<'_>> = args
            .named_children(&mut cursor)
            .filter(|a| !matches!(a.kind(), "keyword_argument" | "comment"))
            .collect();
        let label = positional
            .first()
            .copied()
            .or_else(|| self.keyword(call, "extension_bzl_file"))
            .and_then(|n| self.literal(n));
        let name = positional
            .get(1)
            .copied()
            .or_else(|| self.keyword(call, "extension_name"))
            .and_then(|n| self.literal(n));
        let (Some(label), Some(name), Some(var)) = (label, name, bound) else {
            return;
        };
        let isolate = self
            .keyword(call, "isolate")
            .is_some_and(|v| self.text(v) != "False");
        // `//p:e.bzl` and `@//p:e.bzl` are one file.
        let key = format!(
            "{}%{name}",
            label
                .strip_prefix('@')
                .filter(|l| l.starts_with("//"))
                .unwrap_or(&label)
        );
        let usage = if isolate { format!("{key}%{var}") } else { key };
        self.proxies.insert(var, Proxy { label, name, usage });
    }

    fn use_repo(&mut self, call: Node<'_>) {
        let Some(args) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        let list: Vec<Node<'_>> = args
            .named_children(&mut cursor)
            .filter(|a| a.kind() != "comment")
            .collect();
        let proxy = list
            .first()
            .filter(|p| p.kind() == "identifier")
            .and_then(|p| self.proxies.get(&self.text(*p)))
            .cloned();
        for arg in list.iter().skip(1) {
            let (local, exported, node) = match arg.kind() {
                "string" => match self.literal(*arg) {
                    Some(name) => (name.clone(), name, *arg),
                    None => continue,
                },
                "keyword_argument" => {
                    let (Some(key), Some(value)) = (
                        arg.child_by_field_name("name"),
                        arg.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    match self.literal(value) {
                        Some(exported) => (self.text(key), exported, value),
                        None => continue,
                    }
                }
                _ => continue,
            };
            if !self.repo_name_valid(&local, node) || !self.repo_name_valid(&exported, node) {
                continue;
            }
            self.use_repo_name(&local, "by a use_repo() call", node);
            let Some(proxy) = &proxy else {
                continue;
            };
            let line = self.line(node);
            let imports = self.imports.entry(proxy.usage.clone()).or_default();
            if let Some((first, first_line)) = imports.get(&exported).copied() {
                let message = format!(
                    "The repo exported as '{exported}' by module extension '{}' is already imported at line {first_line}",
                    proxy.name
                );
                self.out.push(
                    Diagnostic::error(
                        DiagnosticCode::ModuleFileDirective,
                        node_range(node),
                        message,
                    )
                    .with_related(first, format!("'{exported}' is first imported here")),
                );
            } else {
                imports.insert(exported, (node_range(node), line));
            }
        }
    }

    fn override_of(&mut self, call: Node<'_>) {
        let Some(node) = self.keyword(call, "module_name") else {
            return;
        };
        let Some(name) = self.literal(node) else {
            return;
        };
        if !self.module_name(&name, node) {
            return;
        }
        if let Some(first) = self.overrides.get(&name).copied() {
            self.out.push(
                Diagnostic::error(
                    DiagnosticCode::ModuleFileDirective,
                    node_range(node),
                    format!("multiple overrides for dep {name} found"),
                )
                .with_related(first, format!("'{name}' is first overridden here")),
            );
        } else {
            self.overrides.insert(name, node_range(node));
        }
    }

    /// `proxy.tag(...)`: the tag must be one of the extension's tag
    /// classes, and its keywords attributes of that class.
    fn tag(&mut self, call: Node<'_>, function: Node<'_>) {
        let (Some(object), Some(attribute)) = (
            function.child_by_field_name("object"),
            function.child_by_field_name("attribute"),
        ) else {
            return;
        };
        if object.kind() != "identifier" {
            return;
        }
        let Some(proxy) = self.proxies.get(&self.text(object)).cloned() else {
            return;
        };
        let rules = self.rules;
        let extension = self
            .extensions
            .entry((proxy.label.clone(), proxy.name.clone()))
            .or_insert_with(|| rules.module_extension(&proxy.label, &proxy.name))
            .clone();
        let Some(extension) = extension else {
            return;
        };
        let tag = self.text(attribute);
        let Some(class) = extension.members.iter().find(|m| m.name == tag) else {
            if extension.attrs_known {
                let near = crate::suggest::did_you_mean(
                    &tag,
                    extension.members.iter().map(|m| m.name.as_str()),
                    3,
                );
                let mut message = format!(
                    "The module extension {} does not have a tag class named {tag}",
                    defined_at(&extension)
                );
                if let Some(best) = near.first() {
                    message.push_str(&format!(" (did you mean '{best}'?)"));
                }
                self.error(DiagnosticCode::ModuleExtensionTag, attribute, message);
            }
            return;
        };
        if !class.attrs_known {
            return;
        }
        let Some(args) = call.child_by_field_name("arguments") else {
            return;
        };
        let mut cursor = args.walk();
        let keys: Vec<Node<'_>> = args
            .named_children(&mut cursor)
            .filter(|a| a.kind() == "keyword_argument")
            .filter_map(|a| a.child_by_field_name("name"))
            .collect();
        for key in keys {
            let attr = self.text(key);
            if class.params.iter().any(|p| p.name == attr) {
                continue;
            }
            let near = crate::suggest::did_you_mean(
                &attr,
                class.params.iter().map(|p| p.name.as_str()),
                3,
            );
            let mut message = format!("in '{tag}' tag, unknown attribute {attr} provided");
            if let Some(best) = near.first() {
                message.push_str(&format!(" (did you mean '{best}'?)"));
            }
            self.error(DiagnosticCode::ModuleExtensionTag, key, message);
        }
    }

    /// Reports `name` when Bazel's module name pattern rejects it; whether
    /// it is valid.
    fn module_name(&mut self, name: &str, node: Node<'_>) -> bool {
        if valid_module_name(name) {
            return true;
        }
        self.error(
            DiagnosticCode::ModuleFileDirective,
            node,
            format!(
                "invalid module name '{name}': valid names must 1) only contain lowercase letters (a-z), digits (0-9), dots (.), hyphens (-), and underscores (_); 2) begin with a lowercase letter; 3) end with a lowercase letter or digit."
            ),
        );
        false
    }

    /// Reports a repo name every Bazel version rejects; whether it is
    /// valid.
    fn repo_name_valid(&mut self, name: &str, node: Node<'_>) -> bool {
        if valid_repo_name(name) {
            return true;
        }
        self.error(
            DiagnosticCode::ModuleFileDirective,
            node,
            format!(
                "invalid user-provided repo name '{name}': valid names may contain only A-Z, a-z, 0-9, '-', '_', '.', and must start with a letter or a number"
            ),
        );
        false
    }

    /// Records a use of repo name `name`; a second one is an error.
    fn use_repo_name(&mut self, name: &str, how: &'static str, node: Node<'_>) {
        if let Some(first) = self.repo_names.get(name) {
            let message = format!(
                "The repo name '{name}' is already being used {} at line {}",
                first.how, first.line
            );
            let related = first.range;
            self.out.push(
                Diagnostic::error(
                    DiagnosticCode::ModuleFileDirective,
                    node_range(node),
                    message,
                )
                .with_related(related, format!("'{name}' is first used here")),
            );
            return;
        }
        let line = self.line(node);
        self.repo_names.insert(
            name.to_owned(),
            RepoNameUsage {
                how,
                range: node_range(node),
                line,
            },
        );
    }
}

/// "defined at `path`" for a module extension whose file bzls read.
fn defined_at(extension: &Callable) -> String {
    match &extension.origin {
        Origin::ModuleExtension { path: Some(path) } => {
            format!("'{}' defined at {path}", extension.name)
        }
        _ => format!("'{}'", extension.name),
    }
}

/// Bazel's module name pattern: `[a-z]([a-z0-9._-]*[a-z0-9])?`.
fn valid_module_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_lowercase()
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
}

/// A user-provided repo name as the most lenient Bazel version takes it:
/// `[a-zA-Z0-9][-.\w]*` (earlier versions also required a letter first;
/// not reported, as a newer Bazel accepts it).
fn valid_repo_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(b))
}
