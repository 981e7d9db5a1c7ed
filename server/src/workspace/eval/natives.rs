//! The globals of BUILD files and `.bzl` modules: Bazel's native rules
//! (which record targets), the package functions (`glob`, `package_name`,
//! `native.existing_rules`, ...), the rule-set definers (`rule`, `macro`,
//! `provider`, `attr`, ...) and starlark's standard library.

use std::sync::{Arc, OnceLock};

use starlark::environment::{Globals, GlobalsBuilder, LibraryExtension};
use starlark::eval::{Arguments, Evaluator};
use starlark::starlark_module;
use starlark::values::dict::{AllocDict, DictRef};
use starlark::values::list::{AllocList, ListRef};
use starlark::values::none::NoneType;
use starlark::values::{FrozenValue, Heap, Value, ValueLike};

use super::glob::glob_files;
use super::state::{with_state, AttrValue, RecordedRule};
use super::values::{
    dict_keys, record_exports, record_rule, LabelValue, NativeModule, NativeRule, Opaque, Select,
    StarlarkRule, SymbolicMacro, SymbolicMacroGen,
};
use crate::hash::FastMap;
use crate::workspace::label::{parse_label, Repo};

/// Bazel's native rules, 2.1.0 to 9 (and those Bazel 8 loads on its own,
/// `--incompatible_autoload_externally`): a call records a target of that
/// kind. Names from Bazel's build encyclopedia of each version.
pub(crate) const NATIVE_RULES: &[&str] = &[
    "aar_import",
    "action_listener",
    "alias",
    "android_binary",
    "android_device",
    "android_device_script_fixture",
    "android_host_service_fixture",
    "android_instrumentation_test",
    "android_library",
    "android_local_test",
    "android_ndk_repository",
    "android_sdk",
    "android_sdk_repository",
    "android_tools_defaults_jar",
    "apple_binary",
    "apple_cc_toolchain",
    "apple_static_library",
    "available_xcodes",
    "cc_binary",
    "cc_host_toolchain_alias",
    "cc_import",
    "cc_libc_top_alias",
    "cc_library",
    "cc_proto_library",
    "cc_shared_library",
    "cc_static_library",
    "cc_test",
    "cc_toolchain",
    "cc_toolchain_alias",
    "cc_toolchain_suite",
    "config_feature_flag",
    "config_setting",
    "constraint_setting",
    "constraint_value",
    "environment",
    "environment_group",
    "extra_action",
    "fdo_prefetch_hints",
    "fdo_profile",
    "filegroup",
    "genquery",
    "genrule",
    "ios_application",
    "ios_extension",
    "ios_framework",
    "ios_static_framework",
    "ios_test",
    "j2objc_library",
    "java_binary",
    "java_host_runtime_alias",
    "java_import",
    "java_library",
    "java_lite_proto_library",
    "java_package_configuration",
    "java_plugin",
    "java_plugins_flag_alias",
    "java_proto_library",
    "java_runtime",
    "java_runtime_alias",
    "java_single_jar",
    "java_test",
    "java_toolchain",
    "java_toolchain_alias",
    "label_flag",
    "label_setting",
    "memprof_profile",
    "ninja_build",
    "ninja_graph",
    "objc_import",
    "objc_library",
    "platform",
    "propeller_optimize",
    "proto_lang_toolchain",
    "proto_library",
    "proto_toolchain",
    "py_binary",
    "py_library",
    "py_proto_library",
    "py_runtime",
    "py_test",
    "sh_binary",
    "sh_library",
    "sh_test",
    "starlark_doc_extract",
    "test_suite",
    "toolchain",
    "toolchain_type",
    "xcode_config",
    "xcode_config_alias",
    "xcode_version",
    "xcodeproj",
];

/// Bazel globals whose calls make no targets: calling them, or anything
/// reached through their attributes, gives an inert opaque value.
const INERT_GLOBALS: &[&str] = &[
    "attr",
    "aspect",
    "config",
    "config_common",
    "platform_common",
    "transition",
    "analysis_test_transition",
    "exec_group",
    "subrule",
    "module_extension",
    "repository_rule",
    "tag_class",
    "visibility",
    "testing",
    "coverage_common",
];

/// Members of `native` that are functions of ours (the rest are rules or
/// opaque).
const NATIVE_FUNCTIONS: &[&str] = &[
    "glob",
    "package_name",
    "repository_name",
    "repo_name",
    "module_name",
    "module_version",
    "existing_rule",
    "existing_rules",
    "exports_files",
    "package_group",
    "package_relative_label",
    "subpackages",
];

struct Bazel {
    globals: Globals,
    /// The globals by name (for `native.x`).
    by_name: FastMap<String, FrozenValue>,
}

fn bazel() -> &'static Bazel {
    static BAZEL: OnceLock<Bazel> = OnceLock::new();
    BAZEL.get_or_init(|| {
        let globals = GlobalsBuilder::extended_by(&[
            LibraryExtension::StructType,
            LibraryExtension::Json,
            LibraryExtension::Print,
            LibraryExtension::SetType,
        ])
        .with(package_functions)
        .with(|b| {
            for rule in NATIVE_RULES {
                b.set(
                    rule,
                    NativeRule {
                        kind: (*rule).to_string(),
                    },
                );
            }
            for name in INERT_GLOBALS {
                b.set(name, Opaque::inert(*name));
            }
            b.set("native", NativeModule);
        })
        .build();
        let by_name = globals
            .iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        Bazel { globals, by_name }
    })
}

/// The globals of BUILD files and `.bzl` modules.
pub(super) fn globals() -> &'static Globals {
    &bazel().globals
}

/// True when `name` is one of our globals.
pub(super) fn is_global(name: &str) -> bool {
    bazel().by_name.contains_key(name)
}

/// `native.<attribute>`.
pub(super) fn native_member<'v>(attribute: &str, heap: Heap<'v>) -> Value<'v> {
    if NATIVE_FUNCTIONS.contains(&attribute) || NATIVE_RULES.contains(&attribute) {
        if let Some(value) = bazel().by_name.get(attribute) {
            return value.to_value();
        }
    }
    heap.alloc(Opaque::new(format!("native.{attribute}")))
}

fn current_package() -> starlark::Result<String> {
    with_state(|s| s.package.clone()).ok_or_else(|| {
        starlark::Error::new_other(anyhow::anyhow!(
            "package functions can only be called while evaluating a BUILD file"
        ))
    })
}

fn string_list(value: Value<'_>) -> starlark::Result<Vec<String>> {
    if value.is_none() {
        return Ok(Vec::new());
    }
    let Some(list) = ListRef::from_value(value) else {
        return Err(starlark::Error::new_other(anyhow::anyhow!(
            "expected a list of strings, got {}",
            value.get_type()
        )));
    };
    list.iter()
        .map(|v| {
            v.unpack_str().map(str::to_string).ok_or_else(|| {
                starlark::Error::new_other(anyhow::anyhow!(
                    "expected a string, got {}",
                    v.get_type()
                ))
            })
        })
        .collect()
}

fn rule_dict<'v>(rule: &RecordedRule, heap: Heap<'v>) -> Value<'v> {
    let mut entries: Vec<(&str, Value<'v>)> = vec![
        ("name", heap.alloc(rule.name.as_str())),
        ("kind", heap.alloc(rule.kind.as_str())),
    ];
    for (key, value) in &rule.attrs {
        if key == "name" || key == "kind" {
            continue;
        }
        let value = match value {
            AttrValue::Str(s) => heap.alloc(s.as_str()),
            AttrValue::Bool(b) => Value::new_bool(*b),
            AttrValue::Int(i) => heap.alloc(*i),
            AttrValue::List(items) => heap.alloc(AllocList(items.iter().map(String::as_str))),
        };
        entries.push((key.as_str(), value));
    }
    heap.alloc(AllocDict(entries))
}

#[starlark_module]
fn package_functions(builder: &mut GlobalsBuilder) {
    fn glob<'v>(
        #[starlark(default = NoneType)] include: Value<'v>,
        #[starlark(default = NoneType)] exclude: Value<'v>,
        #[starlark(default = 1)] exclude_directories: i32,
        #[starlark(default = true)] allow_empty: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let include = string_list(include)?;
        let exclude = string_list(exclude)?;
        let package = current_package()?;
        let files = match with_state(|s| s.files.clone()).flatten() {
            Some(files) => files,
            None => {
                let files = Arc::new(super::package_files(eval, &package));
                with_state(|s| s.files = Some(files.clone()));
                files
            }
        };
        let found = glob_files(&files, &include, &exclude, exclude_directories != 0);
        if found.is_empty() && allow_empty.unpack_bool() == Some(false) {
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "glob pattern {include:?} didn't match anything, but allow_empty is set to False"
            )));
        }
        Ok(eval
            .heap()
            .alloc(AllocList(found.iter().map(String::as_str))))
    }

    fn select<'v>(
        #[starlark(require = pos)] x: Value<'v>,
        #[starlark(require = named, default = "")] no_match_error: &str,
    ) -> starlark::Result<Select> {
        let _ = (x, no_match_error);
        Ok(Select)
    }

    fn package_name() -> starlark::Result<String> {
        current_package()
    }

    fn repository_name() -> starlark::Result<String> {
        current_package()?;
        Ok("@".to_string())
    }

    fn repo_name() -> starlark::Result<String> {
        current_package()?;
        Ok(String::new())
    }

    fn module_name() -> starlark::Result<NoneType> {
        Ok(NoneType)
    }

    fn module_version() -> starlark::Result<NoneType> {
        Ok(NoneType)
    }

    fn package<'v>(args: &Arguments<'v, '_>) -> starlark::Result<NoneType> {
        let _ = args;
        Ok(NoneType)
    }

    fn licenses<'v>(
        #[starlark(require = pos)] license_types: Value<'v>,
    ) -> starlark::Result<NoneType> {
        let _ = license_types;
        Ok(NoneType)
    }

    /// Bazel's `subpackages(include, exclude, allow_empty)`: the direct
    /// subpackages matching the patterns, sorted; opaque when the source
    /// does not know them.
    fn subpackages<'v>(
        #[starlark(require = named)] include: Value<'v>,
        #[starlark(require = named, default = NoneType)] exclude: Value<'v>,
        #[starlark(require = named, default = false)] allow_empty: bool,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let include = string_list(include)?;
        let exclude = string_list(exclude)?;
        let package = current_package()?;
        let Some(subpackages) = super::subpackages_of(eval, &package) else {
            return Ok(eval.heap().alloc(Opaque::new("subpackages()")));
        };
        let found = glob_files(&subpackages, &include, &exclude, false);
        if found.is_empty() && !allow_empty {
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "subpackages pattern {include:?} didn't match anything, but allow_empty is set to False"
            )));
        }
        Ok(eval
            .heap()
            .alloc(AllocList(found.iter().map(String::as_str))))
    }

    fn exports_files<'v>(
        srcs: Value<'v>,
        #[starlark(default = NoneType)] visibility: Value<'v>,
        #[starlark(default = NoneType)] licenses: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        let _ = (visibility, licenses);
        record_exports(srcs, eval)
    }

    fn package_group<'v>(
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        record_rule("package_group", true, args, eval, &[])
    }

    fn existing_rule<'v>(
        #[starlark(require = pos)] name: &str,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        current_package()?;
        let rule = with_state(|s| s.rules.iter().find(|r| r.name == name).cloned()).flatten();
        Ok(match rule {
            Some(rule) => rule_dict(&rule, heap),
            None => Value::new_none(),
        })
    }

    fn existing_rules<'v>(heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        current_package()?;
        let rules = with_state(|s| s.rules.clone()).unwrap_or_default();
        let entries: Vec<(&str, Value<'v>)> = rules
            .iter()
            .map(|r| (r.name.as_str(), rule_dict(r, heap)))
            .collect();
        Ok(heap.alloc(AllocDict(entries)))
    }

    #[allow(non_snake_case)]
    fn Label<'v>(
        #[starlark(require = pos)] input: Value<'v>,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        make_label("Label", input, heap)
    }

    fn package_relative_label<'v>(
        #[starlark(require = pos)] input: Value<'v>,
        heap: Heap<'v>,
    ) -> starlark::Result<Value<'v>> {
        current_package()?;
        make_label("package_relative_label", input, heap)
    }

    fn depset<'v>(args: &Arguments<'v, '_>) -> starlark::Result<Opaque> {
        let _ = args;
        Ok(Opaque::inert("depset"))
    }

    fn provider<'v>(args: &Arguments<'v, '_>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        let init = args
            .names_map()?
            .into_iter()
            .any(|(k, v)| k.as_str() == "init" && !v.is_none());
        let provider = heap.alloc(Opaque::inert("provider"));
        Ok(if init {
            heap.alloc((provider, heap.alloc(Opaque::inert("provider init"))))
        } else {
            provider
        })
    }

    fn rule<'v>(args: &Arguments<'v, '_>) -> starlark::Result<StarlarkRule> {
        let mut outputs = Vec::new();
        let mut outputs_unknown = false;
        let mut output_attrs = Vec::new();
        for (key, value) in args.names_map()? {
            if key.as_str() == "attrs" {
                // `attr.output()` / `attr.output_list()` attributes name
                // output files of the target.
                match DictRef::from_value(value) {
                    Some(dict) => {
                        for (k, v) in dict.iter() {
                            let is_output = v
                                .downcast_ref::<Opaque>()
                                .is_some_and(|o| o.what.starts_with("attr.output"));
                            if let (true, Some(k)) = (is_output, k.unpack_str()) {
                                output_attrs.push(k.to_string());
                            }
                        }
                    }
                    // Computed by code we cannot run: any attribute may be
                    // an output.
                    None if !value.is_none() => outputs_unknown = true,
                    None => {}
                }
                continue;
            }
            if key.as_str() != "outputs" || value.is_none() {
                continue;
            }
            match DictRef::from_value(value) {
                Some(dict) => {
                    for (k, v) in dict.iter() {
                        match (k.unpack_str(), v.unpack_str()) {
                            (Some(k), Some(v)) => outputs.push((k.to_string(), v.to_string())),
                            _ => outputs_unknown = true,
                        }
                    }
                }
                None => outputs_unknown = true,
            }
        }
        Ok(StarlarkRule {
            kind: OnceLock::new(),
            outputs,
            outputs_unknown,
            output_attrs,
        })
    }

    fn r#macro<'v>(args: &Arguments<'v, '_>) -> starlark::Result<SymbolicMacro<'v>> {
        let named = args.names_map()?;
        let get = |key: &str| {
            named
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| *v)
        };
        let Some(implementation) = get("implementation") else {
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "macro() requires an implementation"
            )));
        };
        Ok(SymbolicMacroGen {
            implementation,
            attrs: dict_keys(get("attrs")),
            kind: OnceLock::new(),
        })
    }
}

/// `Label(input)`: a label is kept, a string parsed, anything else opaque.
fn make_label<'v>(function: &str, input: Value<'v>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
    if input.downcast_ref::<LabelValue>().is_some() {
        return Ok(input);
    }
    let Some(text) = input.unpack_str() else {
        return Ok(heap.alloc(Opaque::new(format!("{function}()"))));
    };
    match label_value(text) {
        Some(label) => Ok(heap.alloc(label)),
        None => Err(starlark::Error::new_other(anyhow::anyhow!(
            "invalid label in {function}(): '{text}'"
        ))),
    }
}

/// Parses a label's text against the package being evaluated (the root
/// package at a module's top level, where we do not know the module's).
fn label_value(text: &str) -> Option<LabelValue> {
    let label = parse_label(text).ok()?;
    let package = match label.package {
        Some(p) => p,
        None => with_state(|s| s.package.clone()).unwrap_or_default(),
    };
    let repo = match label.repo {
        Repo::Current | Repo::Main => String::new(),
        Repo::Apparent(r) | Repo::Canonical(r) => r,
    };
    Some(LabelValue {
        repo,
        package,
        name: label.name,
    })
}
