//! The Starlark values of Bazel's loading phase that evaluation needs:
//! opaque stand-ins for what we do not model, rules that record targets,
//! `select()`, symbolic macros, `Label`s and the `native` module.
//!
//! `unsafe_code` is allowed here only because starlark's derives
//! (`ProvidesStaticType`, `Trace`, ...) expand to `unsafe impl`s; this file
//! writes no `unsafe` of its own.
#![allow(unsafe_code)]

use std::fmt;
use std::sync::OnceLock;

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::collections::StarlarkHasher;
use starlark::eval::{Arguments, Evaluator};
use starlark::starlark_complex_value;
use starlark::starlark_simple_value;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{
    starlark_value, Coerce, Freeze, FreezeResult, Freezer, Heap, NoSerialize, StarlarkValue, Trace,
    Value, ValueLike,
};

use super::state::{mark_open, with_state, AttrValue, RecordedRule, Site};
use crate::text::TextRange;
use crate::workspace::mentions::LABEL_ATTRIBUTES;
use crate::workspace::package::TargetDecl;

/// What `glob()` reads, reached through the evaluator's `extra`.
#[derive(ProvidesStaticType)]
pub(super) struct Extra<'a> {
    pub source: &'a dyn super::EvalSource,
}

fn other_error(message: String) -> starlark::Error {
    starlark::Error::new_other(anyhow::anyhow!(message))
}

/// A value we do not model: a symbol of an unfetched module, a Bazel global
/// we do not define, or anything derived from one. Anything that would need
/// its real value to decide which targets exist (calling it, truth,
/// iteration, indexing) marks the package open, unless the value is
/// *inert*: a provider, an `attr.*` schema and the like, whose calls are
/// known to make no targets.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct Opaque {
    pub what: String,
    pub inert: bool,
}
starlark_simple_value!(Opaque);

impl Opaque {
    pub fn new(what: impl Into<String>) -> Opaque {
        Opaque {
            what: what.into(),
            inert: false,
        }
    }

    pub fn inert(what: impl Into<String>) -> Opaque {
        Opaque {
            what: what.into(),
            inert: true,
        }
    }

    fn derived(&self, what: String) -> Opaque {
        Opaque {
            what,
            inert: self.inert,
        }
    }

    fn used(&self, how: &str) {
        mark_open(|| format!("{how} `{}`, whose value is unknown", self.what));
    }
}

/// Records a call whose effect cannot be followed (`what` says which): a
/// call given a string `name` is taken to make targets named after it and
/// after the strings it is given outside its input attributes (see
/// `PackageDecls::unfollowed`); any other call may make anything, and
/// opens the package.
fn unfollowed_call(
    args: &Arguments<'_, '_>,
    eval: &Evaluator<'_, '_, '_>,
    what: impl Fn() -> String,
) {
    let named = args.names_map().ok();
    let name = named.as_ref().and_then(|named| {
        named
            .iter()
            .find(|(key, _)| key.as_str() == "name")
            .and_then(|(_, value)| value.unpack_str().map(str::to_string))
    });
    let Some(name) = name else {
        // Called by the BUILD file for its value (`strip_prefix =
        // strip_prefix.from_root("")`): a helper computing an attribute,
        // which makes no targets. Called as a statement, or from a macro,
        // it may.
        let site = build_site(eval);
        if site.direct && site.info.as_ref().is_some_and(|i| i.used_as_value) {
            super::state::note(|| format!("{} for its value", what()));
        } else {
            mark_open(|| format!("{}, whose effect is unknown", what()));
        }
        return;
    };
    // Strings given outside the input attributes may name files the call
    // writes (`out`, `outs`, `tbl_outs`). In its input attributes, a string
    // that is neither written as a label (`":bin"`) nor names a file
    // (`"x.py"`) may be a pattern or a path the call reads its own way (a
    // directory's `data = ["bin"]`), so it is not judged as a label either.
    let mut outputs = Vec::new();
    for (key, value) in named.iter().flat_map(|n| n.iter()) {
        let key = key.as_str();
        if key == "name" {
            continue;
        }
        let mut strings = Vec::new();
        collect_strings(*value, 0, &mut strings);
        if LABEL_ATTRIBUTES.contains(&key) {
            strings.retain(|s| !s.starts_with([':', '/', '@']) && !s.contains('.'));
        }
        outputs.extend(strings);
    }
    let reason = format!("{} (name \"{name}\"), whose effect is unknown", what());
    with_state(|s| s.unfollowed_call(name, outputs, reason));
}

/// The strings in `value`: itself, or the items of its lists, tuples and
/// dictionaries (keys and values), a few levels deep, at most 1,000.
fn collect_strings(value: Value<'_>, depth: usize, out: &mut Vec<String>) {
    if depth > 3 || out.len() >= 1000 {
        return;
    }
    if let Some(s) = value.unpack_str() {
        out.push(s.to_string());
    } else if let Some(list) = ListRef::from_value(value) {
        list.iter().for_each(|v| collect_strings(v, depth + 1, out));
    } else if let Some(tuple) = TupleRef::from_value(value) {
        tuple
            .iter()
            .for_each(|v| collect_strings(v, depth + 1, out));
    } else if let Some(dict) = DictRef::from_value(value) {
        for (k, v) in dict.iter() {
            collect_strings(k, depth + 1, out);
            collect_strings(v, depth + 1, out);
        }
    }
}

impl fmt::Display for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.what)
    }
}

#[starlark_value(type = "opaque", skip_vtable)]
impl<'v> StarlarkValue<'v> for Opaque {
    fn invoke(
        &self,
        _me: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        if !self.inert {
            // A call given a string `name` is taken to make targets named
            // after it only; any other call may make anything.
            let what = &self.what;
            unfollowed_call(args, eval, || format!("called `{what}`"));
        }
        Ok(eval.heap().alloc(self.derived(format!("{}()", self.what))))
    }

    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        Some(heap.alloc(self.derived(format!("{}.{attribute}", self.what))))
    }

    fn has_attr(&self, _attribute: &str, _heap: Heap<'v>) -> bool {
        true
    }

    fn to_bool(&self) -> bool {
        // False, unless the evaluation that runs again with the other
        // outcome assumes true (see `Evaluator::evaluate_ast`); a module's
        // top level (no package) takes false.
        super::state::with_state(|s| s.truth_of(&self.what)).unwrap_or(false)
    }

    fn write_hash(&self, hasher: &mut StarlarkHasher) -> starlark::Result<()> {
        std::hash::Hash::hash(&self.what, hasher);
        Ok(())
    }

    fn at(&self, _index: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        self.used("indexed");
        Ok(heap.alloc(self.derived(format!("{}[]", self.what))))
    }

    fn slice(
        &self,
        _start: Option<Value<'v>>,
        _stop: Option<Value<'v>>,
        _stride: Option<Value<'v>>,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        self.used("sliced");
        Ok(heap.alloc(self.derived(format!("{}[:]", self.what))))
    }

    fn iterate_collect(&self, _heap: Heap<'v>) -> starlark::Result<Vec<Value<'v>>> {
        self.used("iterated over");
        Ok(Vec::new())
    }

    fn length(&self) -> starlark::Result<i32> {
        self.used("took the length of");
        Ok(0)
    }

    fn is_in(&self, _other: Value<'v>) -> starlark::Result<bool> {
        self.used("tested membership in");
        Ok(false)
    }

    fn plus(&self, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(self.derived(self.what.clone())))
    }

    fn minus(&self, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(self.derived(self.what.clone())))
    }

    fn add(&self, _rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(self.derived(self.what.clone()))))
    }

    fn radd(&self, _lhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(self.derived(self.what.clone()))))
    }

    fn sub(&self, _other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(self.derived(self.what.clone())))
    }

    fn mul(&self, _rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(self.derived(self.what.clone()))))
    }

    fn rmul(&self, _lhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(self.derived(self.what.clone()))))
    }

    fn percent(&self, _other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(self.derived(self.what.clone())))
    }

    fn bit_or(&self, _other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(self.derived(self.what.clone())))
    }
}

/// The value of `select({...})`: its branches are not needed to know the
/// targets, so it is only carried around (and concatenated).
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct Select;
starlark_simple_value!(Select);

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("select(...)")
    }
}

#[starlark_value(type = "select", skip_vtable)]
impl<'v> StarlarkValue<'v> for Select {
    fn add(&self, _rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(Select)))
    }

    fn radd(&self, _lhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        Some(Ok(heap.alloc(Select)))
    }

    fn bit_or(&self, _other: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        Ok(heap.alloc(Select))
    }
}

/// Where the BUILD file makes the current call (see [`Site`]).
pub(super) fn build_site(eval: &Evaluator<'_, '_, '_>) -> Site {
    let stack = eval.call_stack();
    let count = stack.frames.len();
    with_state(|s| {
        for (i, frame) in stack.frames.iter().enumerate() {
            let Some(location) = &frame.location else {
                continue;
            };
            if location.file.filename() != s.build_file {
                continue;
            }
            let span = location.span;
            let call = TextRange::new(span.begin().get() as usize, span.end().get() as usize);
            let info = s.calls.get(&(call.start, call.end)).cloned();
            let name = info.as_ref().and_then(|i| i.name).unwrap_or(call);
            return Some(Site {
                call,
                name,
                direct: i + 1 == count,
                info,
            });
        }
        None
    })
    .flatten()
    .unwrap_or(Site {
        call: TextRange::default(),
        name: TextRange::default(),
        direct: false,
        info: None,
    })
}

fn no_package(what: &str) -> starlark::Error {
    other_error(format!(
        "{what} can only be called while evaluating a BUILD file"
    ))
}

/// The strings of an `outs`-like value (a string or a list of strings);
/// `None` when it is something else.
fn strings_of(value: Value<'_>) -> Option<Vec<String>> {
    if value.is_none() {
        return Some(Vec::new());
    }
    if let Some(s) = value.unpack_str() {
        return Some(vec![s.to_string()]);
    }
    let list = ListRef::from_value(value)?;
    list.iter()
        .map(|v| v.unpack_str().map(str::to_string))
        .collect()
}

fn attr_value(value: Value<'_>) -> Option<AttrValue> {
    if let Some(s) = value.unpack_str() {
        return Some(AttrValue::Str(s.to_string()));
    }
    if let Some(b) = value.unpack_bool() {
        return Some(AttrValue::Bool(b));
    }
    if let Some(i) = value.unpack_i32() {
        return Some(AttrValue::Int(i));
    }
    if ListRef::from_value(value).is_some() {
        return strings_of(value).map(AttrValue::List);
    }
    None
}

/// Substitutes `%{attr}` in an output template with string attributes.
fn expand_template(template: &str, attrs: &[(String, Value<'_>)]) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find("%{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}')?;
        let key = &after[..end];
        let value = attrs.iter().find(|(k, _)| k == key)?.1.unpack_str()?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Records the target a rule call makes (and its output files), in the
/// package being evaluated. Rules take keyword arguments only. `native`:
/// a rule Bazel defines, whose output attributes are those of its schema.
pub(super) fn record_rule<'v>(
    kind: &str,
    native: bool,
    args: &Arguments<'v, '_>,
    eval: &mut Evaluator<'v, '_, '_>,
    templates: &[(String, String)],
) -> starlark::Result<Value<'v>> {
    let heap = eval.heap();
    args.no_positional_args(heap)?;
    let attrs: Vec<(String, Value<'v>)> = args
        .names_map()?
        .into_iter()
        .map(|(k, v)| (k.as_str().to_string(), v))
        .collect();
    if with_state(|_| ()).is_none() {
        return Err(no_package(kind));
    }
    let site = build_site(eval);
    let name_value = attrs.iter().find(|(k, _)| k == "name").map(|(_, v)| *v);
    let Some(name) = name_value.and_then(|v| v.unpack_str()).map(str::to_string) else {
        mark_open(|| format!("a `{kind}` call has no string name"));
        return Ok(Value::new_none());
    };
    let mut outputs: Vec<String> = Vec::new();
    // A native rule's output attributes are those of Bazel's schema
    // (`genrule.outs`); other calls take `out` and `outs`.
    let schema = native
        .then(|| crate::workspace::schema::rule_schema(kind))
        .flatten();
    for (key, value) in &attrs {
        if !crate::workspace::package::is_output_attribute(schema, key) {
            continue;
        }
        match strings_of(*value) {
            Some(files) => outputs.extend(files),
            None => mark_open(|| format!("`{key}` of `{name}` is not a list of strings")),
        }
    }
    for (_, template) in templates {
        match expand_template(template, &attrs) {
            Some(file) => outputs.push(file),
            None => mark_open(|| format!("output `{template}` of `{name}` cannot be expanded")),
        }
    }
    let recorded = RecordedRule {
        name: name.clone(),
        kind: kind.to_string(),
        attrs: attrs
            .iter()
            .filter_map(|(k, v)| attr_value(*v).map(|v| (k.clone(), v)))
            .collect(),
    };
    with_state(|s| {
        let added = s.add_target(TargetDecl {
            name: name.clone(),
            kind: kind.to_string(),
            name_range: site.name,
            call_range: site.call,
            generated_by: None,
        });
        if !added {
            return;
        }
        s.rules.push(recorded);
        for file in outputs {
            let name_range = site.range_of(&file);
            s.add_target(TargetDecl {
                name: file,
                kind: kind.to_string(),
                name_range,
                call_range: site.call,
                generated_by: Some(name.clone()),
            });
        }
    });
    Ok(Value::new_none())
}

/// Records `exports_files([...])`.
pub(super) fn record_exports<'v>(
    srcs: Value<'v>,
    eval: &mut Evaluator<'v, '_, '_>,
) -> starlark::Result<Value<'v>> {
    if with_state(|_| ()).is_none() {
        return Err(no_package("exports_files"));
    }
    let site = build_site(eval);
    let Some(files) = strings_of(srcs) else {
        mark_open(|| "`exports_files` of something else than a list of strings".to_string());
        return Ok(Value::new_none());
    };
    with_state(|s| {
        for file in files {
            let name_range = site.range_of(&file);
            s.add_target(TargetDecl {
                name: file,
                kind: "exports_files".to_string(),
                name_range,
                call_range: site.call,
                generated_by: None,
            });
        }
    });
    Ok(Value::new_none())
}

/// A native rule (`cc_library`, `genrule`, ...): calling it records a
/// target of this kind.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct NativeRule {
    pub kind: String,
}
starlark_simple_value!(NativeRule);

impl fmt::Display for NativeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<rule {}>", self.kind)
    }
}

#[starlark_value(type = "rule", skip_vtable)]
impl<'v> StarlarkValue<'v> for NativeRule {
    fn invoke(
        &self,
        _me: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        record_rule(&self.kind, true, args, eval, &[])
    }
}

/// What `rule()` returns: its kind is the name it is first exported as;
/// calling it records a target and its predeclared `outputs`.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct StarlarkRule {
    #[allocative(skip)]
    pub kind: OnceLock<String>,
    /// `outputs = {"key": "%{name}.x"}`.
    pub outputs: Vec<(String, String)>,
    /// `outputs` was something we cannot expand (a function).
    pub outputs_unknown: bool,
    /// Attributes declared `attr.output()` or `attr.output_list()`: their
    /// values name output files.
    pub output_attrs: Vec<String>,
}
starlark_simple_value!(StarlarkRule);

impl fmt::Display for StarlarkRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<rule {}>", self.kind())
    }
}

impl StarlarkRule {
    fn kind(&self) -> &str {
        self.kind.get().map(String::as_str).unwrap_or("rule")
    }
}

#[starlark_value(type = "rule", skip_vtable)]
impl<'v> StarlarkValue<'v> for StarlarkRule {
    fn invoke(
        &self,
        _me: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        if self.outputs_unknown {
            // Computed outputs are templates over the attributes, named
            // after the target in practice: taken as an unfollowed call.
            unfollowed_call(args, eval, || {
                format!("the outputs of rule `{}` are computed", self.kind())
            });
        }
        let mut templates = self.outputs.clone();
        if !self.output_attrs.is_empty() {
            for (key, value) in args.names_map()? {
                if !self.output_attrs.iter().any(|a| a == key.as_str()) || value.is_none() {
                    continue;
                }
                let files: Option<Vec<String>> = match value.unpack_str() {
                    Some(file) => Some(vec![file.to_string()]),
                    None => ListRef::from_value(value).and_then(|list| {
                        list.iter()
                            .map(|v| v.unpack_str().map(str::to_string))
                            .collect()
                    }),
                };
                match files {
                    // Literal names: `%` does not occur in file names Bazel
                    // accepts as outputs, so they expand to themselves.
                    Some(files) => templates.extend(
                        files
                            .into_iter()
                            .filter(|f| !f.contains('%'))
                            .map(|f| (key.as_str().to_string(), f)),
                    ),
                    None => mark_open(|| {
                        format!(
                            "output attribute `{}` of rule `{}` is computed",
                            key.as_str(),
                            self.kind()
                        )
                    }),
                }
            }
        }
        record_rule(self.kind(), false, args, eval, &templates)
    }

    fn export_as(
        &self,
        variable_name: &str,
        _eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<()> {
        let _ = self.kind.set(variable_name.to_string());
        Ok(())
    }
}

/// What `macro()` returns (a symbolic macro): calling it calls the
/// implementation with `name`, `visibility` and the declared attributes
/// (`None` when not given).
#[derive(Debug, Trace, Coerce, ProvidesStaticType, NoSerialize, Allocative)]
#[repr(C)]
pub(super) struct SymbolicMacroGen<V> {
    pub implementation: V,
    #[trace(unsafe_ignore)]
    pub attrs: Vec<String>,
    #[trace(unsafe_ignore)]
    #[allocative(skip)]
    pub kind: OnceLock<String>,
}
starlark_complex_value!(pub(super) SymbolicMacro);

impl<'v> Freeze for SymbolicMacro<'v> {
    type Frozen = FrozenSymbolicMacro;
    fn freeze(self, freezer: &Freezer) -> FreezeResult<Self::Frozen> {
        Ok(SymbolicMacroGen {
            implementation: self.implementation.freeze(freezer)?,
            attrs: self.attrs,
            kind: self.kind,
        })
    }
}

impl<V> fmt::Display for SymbolicMacroGen<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<macro {}>",
            self.kind.get().map(String::as_str).unwrap_or("macro")
        )
    }
}

#[starlark_value(type = "macro")]
impl<'v, V: ValueLike<'v>> StarlarkValue<'v> for SymbolicMacroGen<V>
where
    Self: ProvidesStaticType<'v>,
{
    fn invoke(
        &self,
        _me: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let kind = self
            .kind
            .get()
            .cloned()
            .unwrap_or_else(|| "macro".to_string());
        let heap = eval.heap();
        args.no_positional_args(heap)?;
        let given: Vec<(String, Value<'v>)> = args
            .names_map()?
            .into_iter()
            .map(|(k, v)| (k.as_str().to_string(), v))
            .collect();
        let get = |key: &str| {
            given
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| *v)
                .unwrap_or_else(Value::new_none)
        };
        let mut keys: Vec<&str> = vec!["name", "visibility"];
        keys.extend(
            self.attrs
                .iter()
                .map(String::as_str)
                .filter(|a| *a != "name" && *a != "visibility"),
        );
        let named: Vec<(&str, Value<'v>)> = keys.iter().map(|k| (*k, get(k))).collect();
        let implementation = self.implementation.to_value();
        if let Err(e) = eval.eval_function(implementation, &[], &named) {
            let message = format!(
                "macro `{kind}` failed: {}",
                first_line(&e.kind().to_string())
            );
            // The macro's own name is the one target we know it makes.
            let site = build_site(eval);
            if let Some(name) = get("name").unpack_str() {
                with_state(|s| {
                    s.add_target(TargetDecl {
                        name: name.to_string(),
                        kind: kind.clone(),
                        name_range: site.name,
                        call_range: site.call,
                        generated_by: None,
                    })
                });
            }
            mark_open(|| message);
        }
        Ok(Value::new_none())
    }

    fn export_as(
        &self,
        variable_name: &str,
        _eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<()> {
        let _ = self.kind.set(variable_name.to_string());
        Ok(())
    }
}

pub(super) fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(text)
}

/// The attribute names of a `rule()`/`macro()` `attrs` dict.
pub(super) fn dict_keys(value: Option<Value<'_>>) -> Vec<String> {
    value
        .and_then(DictRef::from_value)
        .map(|d| {
            d.keys()
                .filter_map(|k| k.unpack_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `Label("...")`: its parts are known; anything else about it is opaque.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct LabelValue {
    pub repo: String,
    pub package: String,
    pub name: String,
}
starlark_simple_value!(LabelValue);

impl fmt::Display for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}//{}:{}", self.repo, self.package, self.name)
    }
}

#[starlark_value(type = "Label", skip_vtable)]
impl<'v> StarlarkValue<'v> for LabelValue {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        Some(match attribute {
            "name" => heap.alloc(self.name.as_str()),
            "package" => heap.alloc(self.package.as_str()),
            "repo_name" | "workspace_name" => heap.alloc(self.repo.as_str()),
            "workspace_root" => heap.alloc(if self.repo.is_empty() {
                String::new()
            } else {
                format!("external/{}", self.repo)
            }),
            _ => heap.alloc(Opaque::new(format!("Label.{attribute}"))),
        })
    }

    fn has_attr(&self, _attribute: &str, _heap: Heap<'v>) -> bool {
        true
    }

    fn write_hash(&self, hasher: &mut StarlarkHasher) -> starlark::Result<()> {
        std::hash::Hash::hash(&self.to_string(), hasher);
        Ok(())
    }

    fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
        Ok(other
            .downcast_ref::<LabelValue>()
            .is_some_and(|o| o.to_string() == self.to_string()))
    }
}

/// The `native` module: native rules, the package functions, and opaque
/// values for anything else.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative)]
pub(super) struct NativeModule;
starlark_simple_value!(NativeModule);

impl fmt::Display for NativeModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("native")
    }
}

#[starlark_value(type = "native", skip_vtable)]
impl<'v> StarlarkValue<'v> for NativeModule {
    fn get_attr(&self, attribute: &str, heap: Heap<'v>) -> Option<Value<'v>> {
        Some(super::natives::native_member(attribute, heap))
    }

    fn has_attr(&self, _attribute: &str, _heap: Heap<'v>) -> bool {
        true
    }
}
