//! A synthetic Bazel monorepo, for benchmarks: a `MODULE.bazel` (rules_cc,
//! platforms, a vendored module under a `local_path_override`), a
//! `.bazelrc` with configs, macros in `tools/build_defs/defs.bzl`, and
//! packages nested in a tree (`teams/t3/svc1/lib/core`), each with a
//! `BUILD.bazel` of 3 to 12 targets and the source files they name.
//!
//! Invariants (the tests check them):
//! - Deterministic: the same spec writes the same bytes.
//! - Every label resolves: deps only point to targets of lower-numbered
//!   packages (so the graph is acyclic) or of the same package, and every
//!   source file a label names is written.
//! - Source files sit directly in their package's directory or in its
//!   `testdata/`, never in a directory that is a package of its own.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct MonorepoSpec {
    /// Generated packages (the root, `tools/build_defs` and the vendored
    /// module come on top).
    pub packages: usize,
    pub seed: u64,
    /// Average number of other packages a package's main library depends on.
    pub fan_out: usize,
    pub min_targets: usize,
    pub max_targets: usize,
}

impl MonorepoSpec {
    pub fn new(packages: usize, seed: u64) -> MonorepoSpec {
        MonorepoSpec {
            packages,
            seed,
            fan_out: 5,
            min_targets: 3,
            max_targets: 12,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Packages with a BUILD file, all included.
    pub packages: usize,
    /// Top-level target declarations (a macro call counts once).
    pub targets: usize,
    pub files: usize,
    pub bytes: u64,
    /// Sizes of the smallest and largest generated BUILD file.
    pub min_build_bytes: usize,
    pub max_build_bytes: usize,
}

/// Directory names of generated packages. None is `testdata`, the one
/// non-package directory a package uses.
const KINDS: &[&str] = &[
    "lib", "api", "core", "util", "server", "client", "storage", "model", "rpc", "base", "auth",
    "cache",
];

/// One generated package, as later packages see it.
struct Package {
    path: String,
    /// The main library, named after the last path segment (so `//path`
    /// names it).
    leaf: String,
    /// Other libraries later packages may depend on.
    extra_libs: Vec<String>,
    /// `exports_files(["README.md"])`.
    exports_readme: bool,
}

const MACROS: &str = r#""""Macros shared across the monorepo."""

load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")

def my_cc_test(name, srcs = [], deps = [], **kwargs):
    """A test with a library of its own: makes `name` and `name_lib`."""
    cc_library(
        name = name + "_lib",
        srcs = srcs,
        deps = deps,
        testonly = True,
    )
    cc_test(
        name = name,
        deps = [":" + name + "_lib"],
        **kwargs
    )

def cc_library_set(name, variants = ["a", "b"], deps = [], **kwargs):
    """One library per variant (`name_a`, ...) and a filegroup `name` of them."""
    for variant in variants:
        cc_library(
            name = "%s_%s" % (name, variant),
            deps = deps,
            defines = ["VARIANT_%s" % variant.upper()],
            **kwargs
        )
    native.filegroup(
        name = name,
        srcs = [":%s_%s" % (name, v) for v in variants],
    )
"#;

const MODULE: &str = r#"module(name = "synthetic_monorepo", version = "0.1.0")

bazel_dep(name = "rules_cc", version = "0.1.1")
bazel_dep(name = "platforms", version = "0.0.11")
bazel_dep(name = "vendored_zlib", version = "1.3.1")
local_path_override(
    module_name = "vendored_zlib",
    path = "third_party/zlib",
)
"#;

const BAZELRC: &str = "\
common --enable_bzlmod
build --cxxopt=-std=c++17
build --host_cxxopt=-std=c++17
build:opt --compilation_mode=opt
build:dbg --compilation_mode=dbg
build:asan --copt=-fsanitize=address --linkopt=-fsanitize=address
test --test_output=errors
test:ci --config=opt --test_output=all
";

struct Writer {
    summary: Summary,
}

impl Writer {
    fn file(&mut self, root: &Path, rel: &str, text: &str) -> io::Result<()> {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
        self.summary.files += 1;
        self.summary.bytes += text.len() as u64;
        Ok(())
    }

    /// `<package>/<name>.cc`.
    fn cc(&mut self, root: &Path, package: &str, file: CcFile<'_>, i: usize) -> io::Result<()> {
        let text = cc_source(package, &file, i);
        let name = file.name;
        self.file(root, &format!("{package}/{name}.cc"), &text)
    }

    /// `<package>/<name>.h`.
    fn header(&mut self, root: &Path, package: &str, name: &str, i: usize) -> io::Result<()> {
        self.file(root, &format!("{package}/{name}.h"), &cc_header(name, i))
    }

    fn build(&mut self, root: &Path, package: &str, text: &str, targets: usize) -> io::Result<()> {
        let rel = if package.is_empty() {
            "BUILD.bazel".to_string()
        } else {
            format!("{package}/BUILD.bazel")
        };
        self.file(root, &rel, text)?;
        self.summary.packages += 1;
        self.summary.targets += targets;
        Ok(())
    }
}

/// Writes a monorepo into `dir` (created if missing; existing files with
/// the same names are overwritten).
pub fn generate(dir: &Path, spec: &MonorepoSpec) -> io::Result<Summary> {
    let mut rng = Rng::new(spec.seed);
    let mut out = Writer {
        summary: Summary {
            min_build_bytes: usize::MAX,
            ..Summary::default()
        },
    };
    out.file(dir, "MODULE.bazel", MODULE)?;
    out.file(dir, ".bazelrc", BAZELRC)?;
    out.file(dir, ".bazelversion", "8.0.0\n")?;
    out.file(dir, "README.md", "# A synthetic monorepo\n")?;
    out.build(
        dir,
        "",
        "exports_files([\"README.md\"])\n\nfilegroup(\n    name = \"docs\",\n    srcs = [\"README.md\"],\n    visibility = [\"//visibility:public\"],\n)\n",
        2,
    )?;
    out.file(dir, "tools/build_defs/defs.bzl", MACROS)?;
    out.build(
        dir,
        "tools/build_defs",
        "exports_files([\"defs.bzl\"])\n",
        1,
    )?;
    out.file(
        dir,
        "third_party/zlib/MODULE.bazel",
        "module(name = \"vendored_zlib\", version = \"1.3.1\")\n",
    )?;
    out.file(
        dir,
        "third_party/zlib/zlib.c",
        "int zlib_version(void) { return 131; }\n",
    )?;
    out.file(dir, "third_party/zlib/zlib.h", "int zlib_version(void);\n")?;
    out.build(
        dir,
        "third_party/zlib",
        "cc_library(\n    name = \"zlib\",\n    srcs = [\"zlib.c\"],\n    hdrs = [\"zlib.h\"],\n    visibility = [\"//visibility:public\"],\n)\n",
        1,
    )?;

    let teams = (spec.packages / 400).max(2);
    let mut paths: HashSet<String> = HashSet::new();
    let mut packages: Vec<Package> = Vec::with_capacity(spec.packages);
    for i in 0..spec.packages {
        let path = package_path(&mut rng, teams, i, &mut paths);
        let package = write_package(dir, &path, i, spec, &packages, &mut rng, &mut out)?;
        packages.push(package);
    }
    if out.summary.min_build_bytes == usize::MAX {
        out.summary.min_build_bytes = 0;
    }
    Ok(out.summary)
}

/// A fresh package path: `teams/t<team>/svc<n>/<kind>[/<kind><n>...]`.
fn package_path(rng: &mut Rng, teams: usize, i: usize, taken: &mut HashSet<String>) -> String {
    let mut path = format!(
        "teams/t{}/svc{}/{}",
        rng.below(teams),
        rng.below(6),
        rng.pick(KINDS)
    );
    for _ in 0..rng.below(3) {
        let _ = write!(path, "/{}{}", rng.pick(KINDS), rng.below(4));
    }
    if !taken.insert(path.clone()) {
        let _ = write!(path, "{i}");
        taken.insert(path.clone());
    }
    path
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A Starlark list, one item a line, indented for an attribute.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    let mut out = String::from("[\n");
    for item in items {
        let _ = writeln!(out, "        \"{item}\",");
    }
    out.push_str("    ]");
    out
}

/// A C++ source file to write.
struct CcFile<'a> {
    /// `<name>.cc`.
    name: &'a str,
    /// The package's header it includes (`<header>.h`, written too).
    header: &'a str,
    /// Defines `main()` (tests and binaries).
    main: bool,
}

fn cc_source(package: &str, file: &CcFile<'_>, i: usize) -> String {
    let CcFile { name, header, main } = file;
    let mut text = format!(
        "// Generated for //{package}.\n#include \"{package}/{header}.h\"\n\nnamespace p{i} {{\nint {name}_value() {{ return {i}; }}\n}}  // namespace p{i}\n"
    );
    if *main {
        let _ = write!(
            text,
            "\nint main() {{ return p{i}::{name}_value() == {i} ? 0 : 1; }}\n"
        );
    }
    text
}

fn cc_header(name: &str, i: usize) -> String {
    format!("#pragma once\n\nnamespace p{i} {{\nint {name}_value();\n}}  // namespace p{i}\n")
}

/// Labels of targets in earlier packages for package `i` to depend on.
fn cross_deps(
    rng: &mut Rng,
    i: usize,
    spec: &MonorepoSpec,
    packages: &[Package],
) -> (Vec<String>, Vec<usize>) {
    if packages.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let wanted = (rng.below(2 * spec.fan_out.max(1) - 1) + 1).min(packages.len());
    let mut chosen: Vec<usize> = Vec::new();
    for _ in 0..wanted * 2 {
        if chosen.len() == wanted {
            break;
        }
        // Half near neighbours (same team, usually), half anywhere.
        let j = if rng.chance(500) {
            i - 1 - rng.below(i.min(40))
        } else {
            rng.below(i)
        };
        if !chosen.contains(&j) {
            chosen.push(j);
        }
    }
    chosen.sort_unstable();
    let labels = chosen
        .iter()
        .map(|&j| {
            let dep = &packages[j];
            if !dep.extra_libs.is_empty() && rng.chance(250) {
                format!("//{}:{}", dep.path, rng.pick(&dep.extra_libs))
            } else if rng.chance(500) {
                format!("//{}", dep.path)
            } else {
                format!("//{}:{}", dep.path, dep.leaf)
            }
        })
        .collect();
    (labels, chosen)
}

fn write_package(
    root: &Path,
    path: &str,
    i: usize,
    spec: &MonorepoSpec,
    packages: &[Package],
    rng: &mut Rng,
    out: &mut Writer,
) -> io::Result<Package> {
    let leaf = last_segment(path).to_string();
    let span = spec.max_targets.saturating_sub(spec.min_targets) + 1;
    let budget = spec.min_targets + rng.below(span);
    let (mut deps, chosen) = cross_deps(rng, i, spec, packages);
    if rng.chance(100) {
        deps.push("@vendored_zlib//:zlib".to_string());
    }
    // As buildifier keeps them.
    deps.sort_unstable();

    let mut body = String::new();
    let mut targets = 1; // the main library
    let mut extra_libs = Vec::new();
    let mut uses_macros = false;
    let mut select_key = None;
    let mut exports_readme = false;

    // Optional targets, in a shuffled order, until the budget is spent.
    let mut kinds: Vec<u8> = (0..10).collect();
    for k in (1..kinds.len()).rev() {
        kinds.swap(k, rng.below(k + 1));
    }
    for kind in kinds {
        if targets >= budget {
            break;
        }
        match kind {
            0 => {
                let name = format!("{leaf}_util");
                let file = CcFile {
                    name: &name,
                    header: &name,
                    main: false,
                };
                out.cc(root, path, file, i)?;
                out.header(root, path, &name, i)?;
                let self_dep = if rng.chance(500) {
                    format!(":{leaf}")
                } else {
                    format!("//{path}:{leaf}")
                };
                let _ = write!(
                    body,
                    "\ncc_library(\n    name = \"{name}\",\n    srcs = [\"{name}.cc\"],\n    hdrs = [\"{name}.h\"],\n    copts = [\"-Wall\", \"-Wextra\"],\n    deps = [\"{self_dep}\"],\n)\n"
                );
                extra_libs.push(name);
                targets += 1;
            }
            1 => {
                let name = format!("{leaf}_test");
                let file = CcFile {
                    name: &name,
                    header: &leaf,
                    main: true,
                };
                out.cc(root, path, file, i)?;
                let mut data = Vec::new();
                if let Some(&j) = chosen.last() {
                    if packages[j].exports_readme {
                        data.push(format!("//{}:README.md", packages[j].path));
                    }
                }
                let _ = write!(
                    body,
                    "\ncc_test(\n    name = \"{name}\",\n    size = \"small\",\n    srcs = [\"{name}.cc\"],\n    data = {},\n    deps = [\":{leaf}\"],\n)\n",
                    list(&data)
                );
                targets += 1;
            }
            2 if targets + 1 < budget => {
                let gen = format!("{leaf}_gen");
                let _ = write!(
                    body,
                    "\ngenrule(\n    name = \"{gen}\",\n    outs = [\"{gen}.h\"],\n    cmd = \"echo '// generated by {gen}' > $@\",\n)\n\ncc_library(\n    name = \"{leaf}_generated\",\n    hdrs = [\":{gen}.h\"],\n)\n"
                );
                extra_libs.push(format!("{leaf}_generated"));
                targets += 2;
            }
            // No room for two more targets (and no second alias below: a
            // package declares each name once).
            2 => {}
            3 => {
                out.file(
                    root,
                    &format!("{path}/testdata/input.json"),
                    "{\"values\": [1, 2, 3]}\n",
                )?;
                out.file(
                    root,
                    &format!("{path}/testdata/golden.txt"),
                    "expected output\n",
                )?;
                let _ = write!(
                    body,
                    "\nfilegroup(\n    name = \"{leaf}_data\",\n    srcs = [\n        \"testdata/golden.txt\",\n        \"testdata/input.json\",\n    ],\n)\n"
                );
                targets += 1;
            }
            4 => {
                out.file(root, &format!("{path}/README.md"), &format!("# //{path}\n"))?;
                body.push_str("\nexports_files([\"README.md\"])\n");
                exports_readme = true;
                targets += 1;
            }
            5 => {
                let name = format!("{leaf}_opt");
                let _ = write!(
                    body,
                    "\nconfig_setting(\n    name = \"{name}\",\n    values = {{\"compilation_mode\": \"opt\"}},\n)\n"
                );
                select_key = Some(name);
                targets += 1;
            }
            6 => {
                let name = format!("{leaf}_mtest");
                let file = CcFile {
                    name: &name,
                    header: &leaf,
                    main: true,
                };
                out.cc(root, path, file, i)?;
                let _ = write!(
                    body,
                    "\nmy_cc_test(\n    name = \"{name}\",\n    srcs = [\"{name}.cc\"],\n    deps = [\":{leaf}\"],\n)\n"
                );
                uses_macros = true;
                targets += 1;
            }
            7 => {
                let _ = write!(
                    body,
                    "\ncc_library_set(\n    name = \"{leaf}_variants\",\n    variants = [\"fast\", \"small\"],\n    deps = [\":{leaf}\"],\n)\n"
                );
                uses_macros = true;
                targets += 1;
            }
            8 => {
                let name = format!("{leaf}_main");
                let file = CcFile {
                    name: &name,
                    header: &leaf,
                    main: true,
                };
                out.cc(root, path, file, i)?;
                let _ = write!(
                    body,
                    "\ncc_binary(\n    name = \"{name}\",\n    srcs = [\"{name}.cc\"],\n    deps = [\":{leaf}\"],\n)\n"
                );
                targets += 1;
            }
            _ => {
                let _ = write!(
                    body,
                    "\nalias(\n    name = \"{leaf}_alias\",\n    actual = \":{leaf}\",\n)\n"
                );
                targets += 1;
            }
        }
    }

    // The main library, first in the file: a few sources and headers.
    let mut srcs = Vec::new();
    let mut hdrs = Vec::new();
    for (k, part) in ["", "_impl", "_internal", "_io", "_parse", "_format"]
        .iter()
        .enumerate()
        .take(2 + rng.below(5))
    {
        let name = format!("{leaf}{part}");
        let header = if k < 3 { &name } else { &leaf };
        let file = CcFile {
            name: &name,
            header,
            main: false,
        };
        out.cc(root, path, file, i)?;
        srcs.push(format!("{name}.cc"));
        if k < 3 {
            out.header(root, path, &name, i)?;
            hdrs.push(format!("{name}.h"));
        }
    }
    let mut main = format!(
        "\ncc_library(\n    name = \"{leaf}\",\n    srcs = {},\n    hdrs = {},\n    copts = [\"-Wall\"],\n    tags = [\"team-{}\"],\n    deps = {}",
        list(&srcs),
        list(&hdrs),
        path.split('/').nth(1).unwrap_or("root"),
        list(&deps)
    );
    // A select() branch names a package not already in `deps` (Bazel
    // rejects a label listed twice).
    let extra = (i > 0)
        .then(|| rng.below(i))
        .filter(|j| !chosen.contains(j));
    if let (Some(key), Some(j)) = (&select_key, extra) {
        let _ = write!(
            main,
            " + select({{\n        \":{key}\": [\"//{}\"],\n        \"//conditions:default\": [],\n    }})",
            packages[j].path
        );
    }
    main.push_str(",\n)\n");

    let mut text = format!(
        "# Package //{path} (generated, #{i}).\n#\n# Owners: team-{}. Libraries here are public to the monorepo; tests stay\n# small and hermetic. Keep deps sorted; run the formatter before sending\n# changes for review. New dependencies on other teams' packages need an\n# owner's approval; prefer the narrowest library that provides the API.\n# Generated code lives next to the rule that makes it.\n\n",
        path.split('/').nth(1).unwrap_or("root")
    );
    // Load what the package calls, as real BUILD files do (an unused load
    // is a warning).
    let calls = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .filter(|n| {
                // Calls start their line (`my_cc_test(` is no `cc_test(`).
                let call = format!("{n}(");
                [&main, &body]
                    .iter()
                    .any(|t| t.starts_with(&call) || t.contains(&format!("\n{call}")))
            })
            .map(|n| format!("\"{n}\""))
            .collect()
    };
    let rules = calls(&["cc_binary", "cc_library", "cc_test"]);
    if !rules.is_empty() {
        let _ = writeln!(
            text,
            "load(\"@rules_cc//cc:defs.bzl\", {})",
            rules.join(", ")
        );
    }
    let macros = calls(&["cc_library_set", "my_cc_test"]);
    if uses_macros && !macros.is_empty() {
        let _ = writeln!(
            text,
            "load(\"//tools/build_defs:defs.bzl\", {})",
            macros.join(", ")
        );
    }
    text.push_str("\npackage(default_visibility = [\"//visibility:public\"])\n");
    text.push_str(&main);
    text.push_str(&body);
    if text.len() < 1024 {
        // Small packages still carry the usual lint target (and stay within
        // the 1-6 KB of real BUILD files).
        let _ = write!(
            text,
            "\n# Every source of the package, for the linters.\nfilegroup(\n    name = \"{leaf}_srcs\",\n    srcs = glob([\n        \"*.cc\",\n        \"*.h\",\n    ]),\n    visibility = [\"//tools:__subpackages__\"],\n)\n"
        );
        targets += 1;
    }
    out.summary.min_build_bytes = out.summary.min_build_bytes.min(text.len());
    out.summary.max_build_bytes = out.summary.max_build_bytes.max(text.len());
    out.build(root, path, &text, targets)?;
    Ok(Package {
        path: path.to_string(),
        leaf,
        extra_libs,
        exports_readme,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempDir;

    fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(dir)
                        .expect("prefix")
                        .display()
                        .to_string();
                    out.push((rel, std::fs::read(&path).expect("read")));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn deterministic_and_sized() {
        let a = TempDir::new("mono-a");
        let b = TempDir::new("mono-b");
        let spec = MonorepoSpec::new(120, 7);
        let sa = generate(a.path(), &spec).expect("generate");
        let sb = generate(b.path(), &spec).expect("generate");
        assert_eq!(sa, sb);
        assert_eq!(listing(a.path()), listing(b.path()));
        assert_eq!(sa.packages, 123);
        assert!(sa.min_build_bytes >= 1024, "{sa:?}");
        assert!(sa.max_build_bytes <= 6 * 1024, "{sa:?}");
        let per_package = sa.targets as f64 / sa.packages as f64;
        assert!((3.0..=12.0).contains(&per_package), "{sa:?}");
        let c = TempDir::new("mono-c");
        generate(c.path(), &MonorepoSpec::new(120, 8)).expect("generate");
        assert_ne!(listing(a.path()), listing(c.path()));
    }
}
