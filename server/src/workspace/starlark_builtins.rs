//! Starlark's own functions and the methods of its values (`len`,
//! `sorted`, `str.format`, `list.append`, `dict.get`), with their
//! parameters and documentation as the `starlark` crate (Apache-2.0)
//! documents its implementation of the language, read once.
//!
//! Bazel's own functions of the same names that differ (`fail`, `print`)
//! are not taken from here (see [`super::callables::build_builtin`]).

use std::sync::OnceLock;

use starlark::docs::{DocFunction, DocItem, DocMember, DocString};
use starlark::environment::Globals;

use super::callables::{Callable, Origin, Param, ParamKind};

/// A kind of Starlark value whose methods bzls knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Str,
    List,
    Dict,
}

impl ValueType {
    /// Its name in Starlark (`str`, `list`, `dict`).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Str => "str",
            ValueType::List => "list",
            ValueType::Dict => "dict",
        }
    }
}

struct Tables {
    /// Functions and type constructors of the global scope, by name.
    functions: Vec<Callable>,
    /// The methods of `str`, `list` and `dict`, by name.
    methods: [Vec<Callable>; 3],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let module = Globals::standard().documentation();
        let mut functions = Vec::new();
        let mut methods: [Vec<Callable>; 3] = Default::default();
        for (name, item) in module.members.iter() {
            match item {
                DocItem::Member(DocMember::Function(function)) => {
                    functions.push(callable(name, function, None));
                }
                DocItem::Type(ty) => {
                    if let Some(constructor) = &ty.constructor {
                        functions.push(callable(name, constructor, ty.docs.as_ref()));
                    }
                    let slot = match name.as_str() {
                        "str" => 0,
                        "list" => 1,
                        "dict" => 2,
                        _ => continue,
                    };
                    for (method, member) in ty.members.iter() {
                        if let DocMember::Function(function) = member {
                            let full = format!("{name}.{method}");
                            methods[slot].push(callable(&full, function, None));
                        }
                    }
                }
                _ => {}
            }
        }
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        for list in &mut methods {
            list.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Tables { functions, methods }
    })
}

/// The Starlark function (or type constructor) `name`: `len`, `sorted`,
/// `str`, `dict`, ...
pub fn universe_function(name: &str) -> Option<Callable> {
    tables().functions.iter().find(|c| c.name == name).cloned()
}

/// The methods of values of type `ty`, by name (each named `str.format`,
/// ...).
pub fn value_methods(ty: ValueType) -> &'static [Callable] {
    let slot = match ty {
        ValueType::Str => 0,
        ValueType::List => 1,
        ValueType::Dict => 2,
    };
    &tables().methods[slot]
}

/// The method `name` of values of type `ty`.
pub fn value_method(ty: ValueType, name: &str) -> Option<Callable> {
    let full = format!("{}.{name}", ty.name());
    value_methods(ty).iter().find(|c| c.name == full).cloned()
}

fn callable(name: &str, function: &DocFunction, type_docs: Option<&DocString>) -> Callable {
    let params = &function.params;
    let mut out = Vec::new();
    let mut push = |p: &starlark::docs::DocParam, kind: ParamKind| {
        let ty = p.typ.to_string();
        let regular = matches!(kind, ParamKind::Positional | ParamKind::Keyword);
        out.push(Param {
            name: p.name.clone(),
            kind,
            ty: (ty != "typing.Any").then_some(ty),
            default: p.default_value.clone(),
            mandatory: regular && p.default_value.is_none(),
        });
    };
    for p in params.pos_only.iter().chain(&params.pos_or_named) {
        push(p, ParamKind::Positional);
    }
    if let Some(p) = &params.args {
        push(p, ParamKind::Args);
    }
    for p in &params.named_only {
        push(p, ParamKind::Keyword);
    }
    if let Some(p) = &params.kwargs {
        push(p, ParamKind::Kwargs);
    }
    let doc = function.docs.as_ref().or(type_docs).map(markdown);
    Callable {
        name: name.to_owned(),
        params: out,
        doc,
        origin: Origin::Starlark,
        attrs_known: params.kwargs.is_none(),
        members: Vec::new(),
        kwargs_to: None,
    }
}

/// A doc string as Markdown: the crate writes its summaries as
/// `[name]( url ): text`, which Markdown does not link (spaces); the link
/// goes to the end.
fn markdown(docs: &DocString) -> String {
    let mut text = docs.summary.trim().to_owned();
    let mut link = None;
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((_, after)) = rest.split_once("](") {
            if let Some((url, tail)) = after.split_once(')') {
                let tail = tail.trim_start_matches(':').trim().to_owned();
                link = Some(url.trim().to_owned());
                text = tail;
            }
        }
    }
    if let Some(details) = &docs.details {
        text.push_str("\n\n");
        text.push_str(details.trim());
    }
    if let Some(url) = link {
        text.push_str(&format!("\n\n[Starlark specification]({url})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_and_methods_come_with_parameters_and_docs() {
        let len = universe_function("len").expect("len");
        assert!(
            len.signature().starts_with("len(") && len.params.len() == 1,
            "{len:?}"
        );
        assert!(
            len.doc.as_deref().is_some_and(|d| d.contains("length")),
            "{len:?}"
        );
        let get = value_method(ValueType::Dict, "get").expect("dict.get");
        assert_eq!(get.params.len(), 2, "{get:?}");
        assert!(!get.params[1].mandatory);
        let format = value_method(ValueType::Str, "format").expect("str.format");
        assert!(format
            .doc
            .as_deref()
            .is_some_and(|d| d.contains("Starlark specification")));
        let names: Vec<&str> = value_methods(ValueType::List)
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert!(
            names.contains(&"list.append") && names.contains(&"list.pop"),
            "{names:?}"
        );
        assert!(universe_function("sorted").is_some() && universe_function("dict").is_some());
    }
}
