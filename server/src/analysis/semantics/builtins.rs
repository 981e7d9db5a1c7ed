//! The names a Starlark file of each kind sees without defining or loading
//! them: Starlark's universe, and Bazel's globals for BUILD, `.bzl`,
//! MODULE.bazel and WORKSPACE files.
//!
//! Bazel's globals change between versions (rules and providers move to
//! Starlark, new functions arrive). bzls's native-rule data are Bazel
//! 2.1.0's ([`crate::workspace::schema`]); the tables below and the
//! evaluator's list of native rules of every version
//! ([`crate::workspace::eval::natives::NATIVE_RULES`]) add the globals of
//! later versions (up to Bazel 9), so that a file written for a newer
//! Bazel gets no false `undefined-name` error. A name is *known* when any
//! of those versions has it. Names are facts, taken from Bazel's
//! documentation of its globals and build encyclopedia for each version.
//!
//! Invariant: an unknown name that looks like a global a future Bazel
//! could add (a provider `FooInfo`, a module `foo_common`) is
//! [`Builtin::MaybeNewer`], reported as a hint only.

use std::sync::OnceLock;

use crate::hash::FastSet;
use crate::syntax::FileKind;
use crate::workspace::eval::natives::NATIVE_RULES;
use crate::workspace::schema::rules;

/// What bzls knows of a name a file reads but does not bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// A global of the file's kind in some Bazel version.
    Known,
    /// Unknown, but shaped like a global a newer Bazel may add.
    MaybeNewer,
    /// Unknown.
    Unknown,
}

/// The Starlark language's own names (every file kind).
const UNIVERSE: &[&str] = &[
    "False",
    "None",
    "True",
    "abs",
    "all",
    "any",
    "bool",
    "depset",
    "dict",
    "dir",
    "enumerate",
    "fail",
    "float",
    "getattr",
    "hasattr",
    "hash",
    "int",
    "len",
    "list",
    "max",
    "min",
    "print",
    "range",
    "repr",
    "reversed",
    "set",
    "sorted",
    "str",
    "tuple",
    "type",
    "zip",
];

/// The functions and values of BUILD files (beyond native rules), in any
/// Bazel version.
const BUILD_GLOBALS: &[&str] = &[
    "depset",
    "distribs",
    "environment_group",
    "existing_rule",
    "existing_rules",
    "exports_files",
    "glob",
    "json",
    "licenses",
    "module_name",
    "module_version",
    "package",
    "package_default_visibility",
    "package_group",
    "package_name",
    "package_relative_label",
    "proto",
    "repo_name",
    "repository_name",
    "select",
    "subpackages",
];

/// The globals of BUILD files that `.bzl` files have too (the others,
/// `glob`, `package`, native rules, are `native.*` there).
const BZL_SHARED: &[&str] = &["Label", "depset", "json", "select", "struct"];

/// The globals of `.bzl` files beyond those of BUILD files, in any Bazel
/// version: functions, modules, and providers.
const BZL_GLOBALS: &[&str] = &[
    "Actions",
    "AnalysisFailureInfo",
    "AnalysisTestResultInfo",
    "AndroidApplicationResourceInfo",
    "AndroidAssetsInfo",
    "AndroidBinaryData",
    "AndroidBinaryNativeLibsInfo",
    "AndroidCcLinkParamsInfo",
    "AndroidDeviceBrokerInfo",
    "AndroidDex2OatInfo",
    "AndroidDexInfo",
    "AndroidFeatureFlagSet",
    "AndroidIdeInfo",
    "AndroidIdlInfo",
    "AndroidInstrumentationInfo",
    "AndroidLibraryAarInfo",
    "AndroidLibraryResourceClassJarProvider",
    "AndroidManifestInfo",
    "AndroidNativeLibsInfo",
    "AndroidNeverLinkLibrariesProvider",
    "AndroidOptimizationInfo",
    "AndroidOptimizedJarInfo",
    "AndroidPreDexJarInfo",
    "AndroidProguardInfo",
    "AndroidResourcesInfo",
    "AndroidSdkInfo",
    "ApkInfo",
    "BaselineProfileProvider",
    "CcInfo",
    "CcSharedLibraryHintInfo",
    "CcSharedLibraryInfo",
    "CcToolchainConfigInfo",
    "DataBindingV2Info",
    "DebugPackageInfo",
    "DefaultInfo",
    "IncompatiblePlatformProvider",
    "InstrumentedFilesInfo",
    "JavaCcLinkParamsInfo",
    "JavaInfo",
    "JavaPluginInfo",
    "Label",
    "MaterializedDepsInfo",
    "OutputGroupInfo",
    "PackageSpecificationInfo",
    "ProguardMappingInfo",
    "ProguardSpecProvider",
    "ProtoInfo",
    "ProtoRegistryAspect",
    "ProtoRegistryProvider",
    "PyCcLinkParamsProvider",
    "PyInfo",
    "PyRuntimeInfo",
    "PyWrapCcInfo",
    "RunEnvironmentInfo",
    "analysis_test_transition",
    "android_common",
    "apple_common",
    "aspect",
    "attr",
    "cc_common",
    "cc_proto_aspect",
    "cmd_helper",
    "config",
    "config_common",
    "configuration_field",
    "coverage_common",
    "depset",
    "exec_group",
    "exec_transition",
    "experimental_java_library_export_do_not_use",
    "go_wrap_cc_helper_do_not_use",
    "java_common",
    "java_proto_common",
    "json",
    "macro",
    "materializer_rule",
    "module_extension",
    "native",
    "platform_common",
    "proto",
    "proto_common",
    "proto_common_do_not_use",
    "provider",
    "py_builtins",
    "py_internal",
    "py_transitions",
    "py_wrap_cc_helper_do_not_use",
    "repository_rule",
    "rule",
    "select",
    "struct",
    "subrule",
    "tag_class",
    "testing",
    "transition",
    "visibility",
];

/// WORKSPACE's globals beyond those of BUILD files, in any Bazel version.
const WORKSPACE_GLOBALS: &[&str] = &[
    "DEFAULT_SYSTEM_JAVABASE",
    "__embedded_dir__",
    "__workspace_dir__",
    "android_ndk_repository",
    "android_sdk_repository",
    "bind",
    "depset",
    "dont_symlink_directories_in_execroot",
    "local_config_platform",
    "local_repository",
    "new_local_repository",
    "register_execution_platforms",
    "register_toolchains",
    "select",
    "toplevel_output_directories",
    "workspace",
];

/// What bzls knows of `name` read in a file of `kind`.
pub fn builtin(kind: FileKind, name: &str) -> Builtin {
    if known(kind).contains(name) {
        return Builtin::Known;
    }
    let provider = name.ends_with("Info") && name.starts_with(|c: char| c.is_ascii_uppercase());
    let module = name.ends_with("_common");
    if provider || module {
        Builtin::MaybeNewer
    } else {
        Builtin::Unknown
    }
}

/// The names known to files of `kind`, as a set (built once per kind).
fn known(kind: FileKind) -> &'static FastSet<&'static str> {
    static SETS: OnceLock<[FastSet<&'static str>; 5]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        [
            FileKind::Build,
            FileKind::Bzl,
            FileKind::Module,
            FileKind::Workspace,
            FileKind::Star,
        ]
        .map(|kind| names(kind).collect())
    });
    let index = match kind {
        FileKind::Build => 0,
        FileKind::Bzl => 1,
        FileKind::Module => 2,
        FileKind::Workspace => 3,
        _ => 4,
    };
    &sets[index]
}

/// Every name known to files of `kind` (may repeat).
pub fn names(kind: FileKind) -> Box<dyn Iterator<Item = &'static str>> {
    let universe = UNIVERSE.iter().copied();
    let native = || {
        rules()
            .iter()
            .map(|r| r.name)
            .chain(NATIVE_RULES.iter().copied())
    };
    let build = move || BUILD_GLOBALS.iter().copied().chain(native());
    match kind {
        FileKind::Build => Box::new(universe.chain(build())),
        FileKind::Bzl => Box::new(
            universe
                .chain(BZL_SHARED.iter().copied())
                .chain(BZL_GLOBALS.iter().copied()),
        ),
        FileKind::Module => Box::new(
            universe.chain(["module"]).chain(
                crate::analysis::diagnostics::MODULE_DIRECTIVES
                    .iter()
                    .copied(),
            ),
        ),
        FileKind::Workspace => Box::new(
            universe
                .chain(build())
                .chain(WORKSPACE_GLOBALS.iter().copied()),
        ),
        _ => Box::new(universe),
    }
}
