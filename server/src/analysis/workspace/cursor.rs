//! What is under the cursor in a Starlark file.

use ropey::Rope;
use tree_sitter::{Node, Tree};

use crate::analysis::symbols::string_literal_value;
use crate::syntax::node_range;
use crate::text::TextRange;
use crate::workspace::mentions::{make_variable_labels, MAKE_VARIABLE_ATTRIBUTES};

/// The thing at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// The module string of a `load()`.
    LoadModule { module: String, range: TextRange },
    /// A symbol of a `load()`: `exported` from `module`, bound as `local`.
    LoadSymbol {
        module: String,
        exported: String,
        local: String,
        range: TextRange,
    },
    /// The `name = "..."` string of a call: the target it declares.
    TargetName { name: String, range: TextRange },
    /// Another string literal; `attr` is the keyword it is a value of.
    String {
        value: String,
        range: TextRange,
        attr: Option<String>,
    },
    /// A name.
    Identifier { name: String, range: TextRange },
}

fn text(rope: &Rope, node: Node<'_>) -> String {
    rope.byte_slice(node.byte_range()).to_string()
}

/// The innermost string or identifier at `offset` (also just after it).
fn leaf_at(tree: &Tree, offset: usize) -> Option<Node<'_>> {
    let root = tree.root_node();
    let candidates = [offset, offset.saturating_sub(1)];
    for at in candidates {
        let mut node = root.descendant_for_byte_range(at, at)?;
        loop {
            if matches!(node.kind(), "string" | "identifier") {
                return Some(node);
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => break,
            }
        }
    }
    None
}

/// The keyword argument `value` belongs to (through lists, sums, dicts and
/// `select()`), and the call it is in.
fn enclosing_keyword<'t>(value: Node<'t>, rope: &Rope) -> (Option<String>, Option<Node<'t>>) {
    let mut node = value;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "keyword_argument" => {
                let key = parent.child_by_field_name("name").map(|n| text(rope, n));
                let call = parent.parent().and_then(|args| args.parent());
                return (key, call);
            }
            "argument_list" => {
                let call = parent.parent();
                let is_select = call
                    .and_then(|c| c.child_by_field_name("function"))
                    .is_some_and(|f| text(rope, f) == "select");
                if !is_select {
                    return (None, call);
                }
            }
            "module" | "block" | "function_definition" => return (None, None),
            _ => {}
        }
        node = parent;
    }
    (None, None)
}

/// The cursor at `offset`.
pub fn cursor_at(tree: &Tree, rope: &Rope, offset: usize) -> Option<Cursor> {
    let leaf = leaf_at(tree, offset)?;
    let range = node_range(leaf);
    if leaf.kind() == "identifier" {
        // The alias of `load(..., alias = "sym")` is a load symbol.
        if let Some(kw) = leaf.parent().filter(|p| p.kind() == "keyword_argument") {
            if let Some(load) = load_call_of(kw, rope) {
                let module = load_module(load, rope)?;
                let exported = kw
                    .child_by_field_name("value")
                    .and_then(|v| string_literal_value(v, rope))?;
                return Some(Cursor::LoadSymbol {
                    module,
                    exported,
                    local: text(rope, leaf),
                    range,
                });
            }
        }
        return Some(Cursor::Identifier {
            name: text(rope, leaf),
            range,
        });
    }
    let value = string_literal_value(leaf, rope)?;
    // A load's strings.
    let args = leaf.parent();
    let in_load = args
        .filter(|a| a.kind() == "argument_list")
        .and_then(|a| a.parent())
        .filter(|call| is_load(*call, rope));
    if let Some(load) = in_load {
        let module_node = load.child_by_field_name("arguments")?.named_child(0)?;
        if module_node.id() == leaf.id() {
            return Some(Cursor::LoadModule {
                module: value,
                range,
            });
        }
        return Some(Cursor::LoadSymbol {
            module: load_module(load, rope)?,
            exported: value.clone(),
            local: value,
            range,
        });
    }
    if let Some(kw) = leaf.parent().filter(|p| p.kind() == "keyword_argument") {
        if let Some(load) = load_call_of(kw, rope) {
            let local = kw.child_by_field_name("name").map(|n| text(rope, n))?;
            return Some(Cursor::LoadSymbol {
                module: load_module(load, rope)?,
                exported: value,
                local,
                range,
            });
        }
    }
    let (attr, _) = enclosing_keyword(leaf, rope);
    let direct = leaf
        .parent()
        .is_some_and(|p| p.kind() == "keyword_argument");
    if direct && attr.as_deref() == Some("name") {
        return Some(Cursor::TargetName { name: value, range });
    }
    // A label inside a make variable (`cmd = "$(location :x) > $@"`).
    let expands = attr
        .as_deref()
        .is_some_and(|a| MAKE_VARIABLE_ATTRIBUTES.contains(&a));
    if expands {
        let raw = text(rope, leaf);
        if let Some(base) = crate::syntax::value_offset(&raw, &value) {
            let found = make_variable_labels(&value)
                .into_iter()
                .find(|(label, at)| {
                    let start = range.start + base + at;
                    start <= offset && offset <= start + label.len()
                });
            if let Some((label, at)) = found {
                let start = range.start + base + at;
                return Some(Cursor::String {
                    value: label.to_string(),
                    range: TextRange::new(start, start + label.len()),
                    attr,
                });
            }
        }
    }
    Some(Cursor::String { value, range, attr })
}

fn is_load(call: Node<'_>, rope: &Rope) -> bool {
    call.kind() == "call"
        && call
            .child_by_field_name("function")
            .is_some_and(|f| text(rope, f) == "load")
}

fn load_call_of<'t>(keyword: Node<'t>, rope: &Rope) -> Option<Node<'t>> {
    keyword
        .parent()
        .filter(|a| a.kind() == "argument_list")
        .and_then(|a| a.parent())
        .filter(|call| is_load(*call, rope))
}

fn load_module(load: Node<'_>, rope: &Rope) -> Option<String> {
    let first = load.child_by_field_name("arguments")?.named_child(0)?;
    string_literal_value(first, rope)
}

/// The string literal around `offset` and the part of its value before
/// the cursor, for completion: `(literal range, typed prefix, attribute,
/// in the module position of a load, the load's module if a symbol)`.
pub struct StringAtCursor {
    pub range: TextRange,
    pub prefix: String,
    pub attr: Option<String>,
    pub load_module: bool,
    pub load_symbol_of: Option<String>,
}

/// The string the cursor is inside (between its quotes), if any.
pub fn string_at(tree: &Tree, rope: &Rope, offset: usize) -> Option<StringAtCursor> {
    let root = tree.root_node();
    let mut node = root.descendant_for_byte_range(offset, offset)?;
    while node.kind() != "string" {
        node = node.parent()?;
    }
    let range = node_range(node);
    let raw = text(rope, node);
    let quote = raw.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    // Inside the quotes: after the opening one, and not after a closed end.
    if offset <= range.start || (offset == range.end && raw.len() > 1 && raw.ends_with(quote)) {
        return None;
    }
    let prefix = rope
        .byte_slice(range.start + 1..offset.min(range.end))
        .to_string();
    if prefix.contains('\\') || prefix.contains('\n') {
        return None;
    }
    let in_load = node
        .parent()
        .filter(|a| a.kind() == "argument_list")
        .and_then(|a| a.parent())
        .filter(|call| is_load(*call, rope));
    let (load_module_pos, load_symbol_of) = match in_load {
        Some(load) => {
            let first = load
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0));
            if first.is_some_and(|f| f.id() == node.id()) {
                (true, None)
            } else {
                (false, self::load_module(load, rope))
            }
        }
        None => (false, None),
    };
    let (attr, _) = enclosing_keyword(node, rope);
    Some(StringAtCursor {
        range,
        prefix,
        attr,
        load_module: load_module_pos,
        load_symbol_of,
    })
}
